//! The outbound proxy path: which proxy applies (`--proxy`, else `HTTPS_PROXY` / `https_proxy`,
//! minus `NO_PROXY`), and an HTTP `CONNECT` tunnel through it. Names are then resolved by the
//! proxy, not by this host.

use std::fmt;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::secret::Secret;

/// An HTTP proxy: where it is, and credentials if the URL carried them (never displayed).
#[derive(Clone)]
pub struct Proxy {
    /// Host name or address of the proxy.
    pub host: String,
    /// Port of the proxy.
    pub port: u16,
    credentials: Option<(String, Secret)>,
    no_proxy: Vec<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl fmt::Display for Proxy {
    /// `http://host:port`, without credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') && !self.host.starts_with('[') {
            write!(f, "http://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// Parses `http://[user:password@]host[:port]` (a bare `host:port` is taken as http; the port
    /// defaults to 8080). `https://` proxies are refused: the agent's proxy is a plain HTTP proxy.
    pub fn parse(value: &str) -> Result<Proxy, String> {
        let v = value.trim();
        let with_scheme = if v.contains("://") {
            v.to_owned()
        } else {
            format!("http://{v}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| format!("proxy '{value}' is not a valid URL: {e}"))?;
        if url.scheme() != "http" {
            return Err(format!(
                "proxy '{value}': only http:// proxies are supported (scheme '{}')",
                url.scheme()
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("proxy '{value}' has no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let credentials = if url.username().is_empty() {
            None
        } else {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Some((
                decode(url.username()),
                Secret::new(decode(url.password().unwrap_or(""))),
            ))
        };
        Ok(Proxy {
            host,
            port: url.port().unwrap_or(8080),
            credentials,
            no_proxy: Vec::new(),
        })
    }

    /// The proxy from the environment: `HTTPS_PROXY`, else `https_proxy`, with `NO_PROXY` /
    /// `no_proxy` exceptions. `None` when unset or empty.
    pub fn from_env() -> Option<Result<Proxy, String>> {
        let value = ["HTTPS_PROXY", "https_proxy"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))?;
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|k| std::env::var(k).ok())
            .unwrap_or_default();
        Some(Proxy::parse(&value).map(|p| p.with_no_proxy(&no_proxy)))
    }

    /// Adds `NO_PROXY`-style exceptions: comma-separated host suffixes, or `*` for all.
    pub fn with_no_proxy(mut self, list: &str) -> Proxy {
        self.no_proxy = list
            .split(',')
            .map(|s| s.trim().trim_start_matches('*').trim_start_matches('.'))
            .filter(|s| !s.is_empty() || list.trim() == "*")
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if list.trim() == "*" {
            self.no_proxy = vec!["*".into()];
        }
        self
    }

    /// Whether `host` goes through this proxy (not excepted by `NO_PROXY`).
    pub fn applies_to(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        !self
            .no_proxy
            .iter()
            .any(|n| n == "*" || host == *n || host.ends_with(&format!(".{n}")))
    }

    fn auth_header(&self) -> String {
        use base64::Engine;
        match &self.credentials {
            Some((user, pass)) => format!(
                "Proxy-Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", pass.expose()))
            ),
            None => String::new(),
        }
    }

    /// Sends `CONNECT host:port` on an open connection to the proxy; `Ok` once the proxy answered
    /// 2xx, `Err(status line or error)` otherwise.
    pub(super) async fn connect(
        &self,
        stream: &mut TcpStream,
        host: &str,
        port: u16,
    ) -> Result<(), ProxyRefusal> {
        let request = format!(
            "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n{}\r\n",
            self.auth_header()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| ProxyRefusal::Io(e.to_string()))?;
        let status = read_head(stream).await?;
        match status_code(&status) {
            Some(200..=299) => Ok(()),
            Some(code) => Err(ProxyRefusal::Status(code, status)),
            None => Err(ProxyRefusal::Io(format!("not an HTTP answer: '{status}'"))),
        }
    }

    /// Sends `HEAD http://host:port/` through the proxy (plain HTTP is not tunnelled) and returns
    /// the status line.
    pub(super) async fn head(
        &self,
        stream: &mut TcpStream,
        host: &str,
        port: u16,
    ) -> Result<String, ProxyRefusal> {
        let request = format!(
            "HEAD http://{host}:{port}/ HTTP/1.1\r\nHost: {host}\r\n{}Connection: close\r\n\r\n",
            self.auth_header()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| ProxyRefusal::Io(e.to_string()))?;
        read_head(stream).await
    }
}

/// Why the proxy did not carry a request.
#[derive(Debug, Clone)]
pub(super) enum ProxyRefusal {
    /// The proxy answered with a non-2xx status (code, status line).
    Status(u16, String),
    /// The connection failed or the answer was not HTTP.
    Io(String),
}

/// Reads an HTTP response head (status line and headers, up to 16 KiB); returns the status line.
pub(super) async fn read_head<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<String, ProxyRefusal> {
    let mut reader = BufReader::new(stream.take(16 * 1024));
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .await
        .map_err(|e| ProxyRefusal::Io(e.to_string()))?;
    if status.is_empty() {
        return Err(ProxyRefusal::Io(
            "connection closed without an answer".into(),
        ));
    }
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .await
            .map_err(|e| ProxyRefusal::Io(e.to_string()))?;
        if n == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    Ok(status.trim_end().to_owned())
}

/// The code of an HTTP status line (`HTTP/1.1 200 OK` → 200).
pub(super) fn status_code(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_and_hide_credentials() {
        let p = Proxy::parse("http://bob:s%40cret@proxy.contoso.com:3128").unwrap();
        assert_eq!(p.to_string(), "http://proxy.contoso.com:3128");
        assert!(!format!("{p:?}").contains("cret"));
        assert!(p.auth_header().starts_with("Proxy-Authorization: Basic "));
        assert_eq!(
            Proxy::parse("proxy:8080").unwrap().to_string(),
            "http://proxy:8080"
        );
        assert_eq!(Proxy::parse("http://proxy").unwrap().port, 8080);
        assert!(
            Proxy::parse("https://proxy:443")
                .unwrap_err()
                .contains("only http://")
        );
        assert!(Proxy::parse("http://").is_err());
    }

    #[test]
    fn no_proxy_excepts_suffixes() {
        let p = Proxy::parse("proxy:8080")
            .unwrap()
            .with_no_proxy("localhost, .microsoft.com");
        assert!(!p.applies_to("www.microsoft.com"));
        assert!(!p.applies_to("microsoft.com"));
        assert!(p.applies_to("login.microsoftonline.com"));
        assert!(
            !Proxy::parse("p")
                .unwrap()
                .with_no_proxy("*")
                .applies_to("x")
        );
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(
            status_code("HTTP/1.1 200 Connection established"),
            Some(200)
        );
        assert_eq!(status_code("HTTP/1.0 407"), Some(407));
        assert_eq!(status_code("SSH-2.0"), None);
    }
}
