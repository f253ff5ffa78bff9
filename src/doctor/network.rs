//! `doctor network`: the network prerequisites of the cloud sync agent, checked from the agent's
//! host the way the troubleshooting guide lists them — every host and port, DNS with the whole
//! CNAME chain, a TCP connect, and for 443 a TLS handshake whose certificate must chain to a public
//! root (another issuer means inline TLS inspection, which the guide says to avoid).
//!
//! Everything the check touches is injectable ([`NetworkCheck`]): the targets, the DNS servers,
//! the trusted roots, the timeouts and the proxy — so tests run it against loopback servers. Only
//! the hosts in [`NetworkCheck::targets`] (and the proxy) are ever contacted.

mod dns;
mod proxy;
mod targets;
mod tls;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rustls::RootCertStore;
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub use proxy::Proxy;
pub use targets::default_targets;

use proxy::ProxyRefusal;

/// One host and port to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The host dialled (for a wildcard: the documented representative).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// What the agent uses it for, in the guide's words.
    pub purpose: String,
    /// The documented wildcard this host stands for (`*.msappproxy.net`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wildcard: Option<String>,
    /// Whether a TLS handshake follows the TCP connect.
    pub tls: bool,
}

impl Target {
    /// A TLS target on port 443.
    pub fn https(host: impl Into<String>, purpose: impl Into<String>) -> Target {
        Target {
            host: host.into(),
            port: 443,
            purpose: purpose.into(),
            wildcard: None,
            tls: true,
        }
    }

    /// A plain-HTTP target on port 80 (CRL and OCSP downloads).
    pub fn http(host: impl Into<String>, purpose: impl Into<String>) -> Target {
        Target {
            host: host.into(),
            port: 80,
            purpose: purpose.into(),
            wildcard: None,
            tls: false,
        }
    }

    /// The same target on another port (tests use ephemeral loopback ports).
    pub fn port(mut self, port: u16) -> Target {
        self.port = port;
        self
    }

    /// Marks the host as the representative of a documented wildcard.
    pub fn wildcard(mut self, wildcard: impl Into<String>) -> Target {
        self.wildcard = Some(wildcard.into());
        self
    }

    /// Whether `name` selects this target (`--only`): its host or its wildcard, any case.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim().trim_end_matches('.');
        self.host.eq_ignore_ascii_case(name)
            || self
                .wildcard
                .as_deref()
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
    }
}

/// Which DNS servers answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DnsConfig {
    /// The host's own configuration (`/etc/resolv.conf`, the Windows registry) and hosts file.
    #[default]
    System,
    /// These servers (UDP, then TCP), without the hosts file — tests, or comparing a forwarder.
    Nameservers(Vec<SocketAddr>),
}

/// The inputs of a run.
#[derive(Debug, Clone)]
pub struct NetworkCheck {
    /// What to check (default: [`default_targets`]).
    pub targets: Vec<Target>,
    /// Who resolves names.
    pub dns: DnsConfig,
    /// The roots a certificate must chain to (default: the public WebPKI roots, independent of
    /// the host's store, so a TLS-inspection CA installed on the host is still reported).
    pub roots: Arc<RootCertStore>,
    /// Limit for each step (DNS lookup, TCP connect, proxy answer, TLS handshake, HTTP answer).
    pub timeout: Duration,
    /// Limit for the whole run; targets not finished by then are reported as failed.
    pub overall_timeout: Duration,
    /// How many targets are checked at once.
    pub concurrency: usize,
    /// The outbound proxy, if the agent uses one.
    pub proxy: Option<Proxy>,
}

impl NetworkCheck {
    /// A check of `targets` with the system resolver, the public roots, 10 s per step, 8 at once,
    /// no proxy.
    pub fn new(targets: Vec<Target>) -> NetworkCheck {
        let timeout = Duration::from_secs(10);
        NetworkCheck {
            targets,
            dns: DnsConfig::System,
            roots: public_roots(),
            timeout,
            overall_timeout: overall_for(timeout),
            concurrency: 8,
            proxy: None,
        }
    }
}

/// The overall limit that goes with a per-step `timeout`: room for a few slow rounds.
pub fn overall_for(timeout: Duration) -> Duration {
    timeout.saturating_mul(12).max(Duration::from_secs(30))
}

/// The public WebPKI roots (Mozilla's list, as shipped by `webpki-roots`).
pub fn public_roots() -> Arc<RootCertStore> {
    Arc::new(RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every step succeeded.
    Pass,
    /// A step failed; see `problem` and `fix`.
    Fail,
}

/// What went wrong, as a stable code for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The host name does not exist.
    DnsNxdomain,
    /// A CNAME in the chain points to a name that does not resolve.
    DnsBrokenChain,
    /// DNS did not answer, or answered with an error.
    DnsFailure,
    /// The port is closed (connection refused).
    TcpRefused,
    /// No answer to the TCP connect.
    TcpTimeout,
    /// Another connect error (unreachable network, ...).
    TcpError,
    /// No answer to the TLS handshake.
    TlsTimeout,
    /// The certificate chains to a root that is not public: inline TLS inspection.
    TlsInspection,
    /// The certificate is otherwise invalid (expired, wrong name).
    TlsCertificate,
    /// The TLS connection failed for another reason (reset, protocol error).
    TlsError,
    /// Port 80 accepted the connection but no HTTP answer came.
    HttpNoAnswer,
    /// The proxy cannot be reached.
    ProxyUnreachable,
    /// The proxy asks for credentials (407).
    ProxyAuth,
    /// The proxy refused the destination.
    ProxyRefused,
    /// The overall time ran out before this target finished.
    Deadline,
}

/// The DNS step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsOutcome {
    /// The host, then each CNAME target in order.
    pub chain: Vec<String>,
    /// Addresses of the last name in the chain.
    pub addresses: Vec<IpAddr>,
    /// What failed, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The name whose lookup failed (the broken link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_name: Option<String>,
    /// The failing answer was NXDOMAIN.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nxdomain: bool,
    /// Names were resolved by the proxy, not here (nothing was looked up locally).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_proxy: bool,
}

/// The TCP step (to the target, or to the proxy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TcpOutcome {
    /// Whether a connection was made.
    pub connected: bool,
    /// The address connected to (or last tried).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<SocketAddr>,
    /// The proxy the connection went through (`http://proxy:8080`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_proxy: Option<String>,
    /// What failed, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Time to connect, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

/// One presented certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// Subject common name (or the subject's attributes).
    pub subject: String,
    /// Issuer common name (or the issuer's attributes).
    pub issuer: String,
}

/// The TLS step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsOutcome {
    /// The chain verified against the expected roots, for this host name.
    pub verified: bool,
    /// Negotiated protocol (`TLSv1_3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Issuer of the topmost presented certificate: the root the chain claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The presented chain, leaf first.
    pub chain: Vec<CertSummary>,
    /// The issuer is not a trusted root: inline TLS inspection.
    pub inspection: bool,
    /// What failed, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// What was checked.
    pub target: Target,
    /// Pass or fail.
    pub status: Status,
    /// Name resolution.
    pub dns: DnsOutcome,
    /// TCP connect.
    pub tcp: TcpOutcome,
    /// TLS handshake (443 targets that got that far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOutcome>,
    /// HTTP status line of `HEAD /` (port-80 targets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// The failure's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_kind: Option<ProblemKind>,
    /// The failure, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// What to change, in the guide's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl CheckResult {
    fn new(target: &Target) -> CheckResult {
        CheckResult {
            target: target.clone(),
            status: Status::Pass,
            dns: DnsOutcome::default(),
            tcp: TcpOutcome::default(),
            tls: None,
            http: None,
            problem_kind: None,
            problem: None,
            fix: None,
        }
    }

    fn fail(
        mut self,
        kind: ProblemKind,
        problem: impl Into<String>,
        proxy: Option<&Proxy>,
    ) -> Self {
        self.status = Status::Fail;
        self.fix = Some(fix_for(kind, &self.target, &self.dns, proxy));
        self.problem_kind = Some(kind);
        self.problem = Some(problem.into());
        self
    }
}

/// The guide's remedy for a failure.
fn fix_for(kind: ProblemKind, t: &Target, dns: &DnsOutcome, proxy: Option<&Proxy>) -> String {
    let (host, port) = (&t.host, t.port);
    let allow = t.wildcard.as_deref().unwrap_or(host);
    let proxy = proxy.map(|p| p.to_string()).unwrap_or_default();
    match kind {
        ProblemKind::DnsNxdomain | ProblemKind::DnsBrokenChain | ProblemKind::DnsFailure => {
            let link = match &dns.failed_name {
                Some(n) if n != host => format!(" ('{n}' in the chain of {host} did not resolve)"),
                _ => String::new(),
            };
            format!(
                "the host must resolve every record in the CNAME chain{link}; allow DNS resolution \
                 of external names / check the DNS forwarders"
            )
        }
        ProblemKind::TcpRefused => format!(
            "open outbound TCP {port} to {allow} on the firewall (also for Windows services \
             running as Network Service)"
        ),
        ProblemKind::TcpTimeout
        | ProblemKind::TcpError
        | ProblemKind::TlsTimeout
        | ProblemKind::HttpNoAnswer => format!(
            "a firewall or proxy drops the traffic; allow {allow}:{port} or configure the proxy in \
             AADConnectProvisioningAgent.exe.config"
        ),
        ProblemKind::TlsInspection => format!(
            "exempt *.msappproxy.net and *.servicebus.windows.net{} from TLS inspection",
            if allow == "*.msappproxy.net" || allow == "*.servicebus.windows.net" {
                String::new()
            } else {
                format!(" (and {allow})")
            }
        ),
        ProblemKind::TlsCertificate | ProblemKind::TlsError => format!(
            "something between the agent and {host} answers TLS in Microsoft's place or cuts it; \
             allow {allow}:{port} without inspection or termination"
        ),
        ProblemKind::ProxyUnreachable => format!(
            "the proxy {proxy} cannot be reached; check the address (--proxy / HTTPS_PROXY) and \
             the proxyaddress in AADConnectProvisioningAgent.exe.config"
        ),
        ProblemKind::ProxyAuth => format!(
            "the proxy {proxy} wants credentials; the agent uses useDefaultCredentials=\"true\": \
             allow the agent's service account on the proxy, or exempt {allow} from proxy \
             authentication"
        ),
        ProblemKind::ProxyRefused => {
            format!("allow {allow}:{port} on the proxy {proxy}")
        }
        ProblemKind::Deadline => format!(
            "the run ran out of time before {host} was checked; run again with a longer --timeout \
             or with --only {host}"
        ),
    }
}

/// What every target's check shares.
struct Shared<'a> {
    check: &'a NetworkCheck,
    resolver: Result<hickory_resolver::TokioResolver, String>,
}

/// Runs the check: every target, at most `concurrency` at once, within `overall_timeout`. The
/// results come back in the order of `targets`.
pub async fn run(check: &NetworkCheck) -> Vec<CheckResult> {
    let shared = Shared {
        check,
        resolver: dns::resolver(&check.dns, check.timeout),
    };
    let deadline = tokio::time::Instant::now() + check.overall_timeout;
    let mut slots: Vec<Option<CheckResult>> = vec![None; check.targets.len()];
    let shared = &shared;
    let mut stream = futures::stream::iter(check.targets.iter().enumerate())
        .map(|(i, t)| async move { (i, check_target(shared, t).await) })
        .buffer_unordered(check.concurrency.max(1));
    while let Ok(Some((i, r))) = tokio::time::timeout_at(deadline, stream.next()).await {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .zip(&check.targets)
        .map(|(slot, t)| {
            slot.unwrap_or_else(|| {
                CheckResult::new(t).fail(
                    ProblemKind::Deadline,
                    format!(
                        "not finished within the overall {}",
                        humantime::format_duration(check.overall_timeout)
                    ),
                    check.proxy.as_ref(),
                )
            })
        })
        .collect()
}

async fn check_target(shared: &Shared<'_>, t: &Target) -> CheckResult {
    let check = shared.check;
    match check.proxy.as_ref().filter(|p| p.applies_to(&t.host)) {
        Some(proxy) => via_proxy(shared, t, proxy).await,
        None => direct(shared, t).await,
    }
}

async fn direct(shared: &Shared<'_>, t: &Target) -> CheckResult {
    let check = shared.check;
    let mut r = CheckResult::new(t);
    let resolver = match &shared.resolver {
        Ok(res) => res,
        Err(e) => {
            r.dns.error = Some(e.clone());
            return r.fail(ProblemKind::DnsFailure, e.clone(), None);
        }
    };
    r.dns = match tokio::time::timeout(check.timeout * 4, dns::resolve(resolver, &t.host)).await {
        Ok(d) => d,
        Err(_) => DnsOutcome {
            chain: vec![t.host.clone()],
            error: Some(format!("no DNS answer for {} (timed out)", t.host)),
            failed_name: Some(t.host.clone()),
            ..DnsOutcome::default()
        },
    };
    if let Some(err) = r.dns.error.clone() {
        let kind = if r.dns.nxdomain && r.dns.failed_name.as_deref() == Some(t.host.as_str()) {
            ProblemKind::DnsNxdomain
        } else if r.dns.chain.len() > 1 {
            ProblemKind::DnsBrokenChain
        } else if r.dns.nxdomain {
            ProblemKind::DnsNxdomain
        } else {
            ProblemKind::DnsFailure
        };
        let problem = if kind == ProblemKind::DnsBrokenChain {
            format!("broken CNAME chain: {} — {err}", r.dns.chain.join(" → "))
        } else {
            err
        };
        return r.fail(kind, problem, None);
    }

    // Connect to the resolved addresses in order (A before AAAA), at most three.
    let addrs: Vec<SocketAddr> = r
        .dns
        .addresses
        .iter()
        .take(3)
        .map(|ip| SocketAddr::new(*ip, t.port))
        .collect();
    let (stream, tcp, kind) = connect_any(&addrs, check.timeout).await;
    r.tcp = tcp;
    let Some(stream) = stream else {
        let problem = r.tcp.error.clone().unwrap_or_default();
        return r.fail(kind.unwrap_or(ProblemKind::TcpError), problem, None);
    };
    finish(check, r, stream, None).await
}

async fn via_proxy(shared: &Shared<'_>, t: &Target, proxy: &Proxy) -> CheckResult {
    let check = shared.check;
    let mut r = CheckResult::new(t);
    r.dns = DnsOutcome {
        chain: vec![t.host.clone()],
        at_proxy: true,
        ..DnsOutcome::default()
    };
    r.tcp.via_proxy = Some(proxy.to_string());
    let addrs = match &shared.resolver {
        Ok(res) => {
            match tokio::time::timeout(
                check.timeout,
                dns::proxy_addresses(res, &proxy.host, proxy.port),
            )
            .await
            {
                Ok(Ok(a)) => a,
                Ok(Err(e)) => {
                    r.tcp.error = Some(format!("proxy {proxy}: {e}"));
                    return r.fail(
                        ProblemKind::ProxyUnreachable,
                        format!("proxy {proxy}: {e}"),
                        Some(proxy),
                    );
                }
                Err(_) => {
                    let e = format!(
                        "proxy {proxy}: no DNS answer for {} (timed out)",
                        proxy.host
                    );
                    r.tcp.error = Some(e.clone());
                    return r.fail(ProblemKind::ProxyUnreachable, e, Some(proxy));
                }
            }
        }
        Err(e) => {
            r.tcp.error = Some(e.clone());
            return r.fail(ProblemKind::ProxyUnreachable, e.clone(), Some(proxy));
        }
    };
    let (stream, tcp, _) = connect_any(&addrs, check.timeout).await;
    r.tcp = TcpOutcome {
        via_proxy: Some(proxy.to_string()),
        ..tcp
    };
    let Some(mut stream) = stream else {
        let problem = format!(
            "proxy {proxy} unreachable: {}",
            r.tcp.error.clone().unwrap_or_default()
        );
        return r.fail(ProblemKind::ProxyUnreachable, problem, Some(proxy));
    };
    if !t.tls {
        // Plain HTTP goes to the proxy as an absolute-form request, not a tunnel.
        return match tokio::time::timeout(check.timeout, proxy.head(&mut stream, &t.host, t.port))
            .await
        {
            Ok(Ok(status)) => {
                r.http = Some(status.clone());
                match proxy::status_code(&status) {
                    Some(407) => r.fail(
                        ProblemKind::ProxyAuth,
                        format!("proxy {proxy}: {status}"),
                        Some(proxy),
                    ),
                    Some(403 | 502..=504) => r.fail(
                        ProblemKind::ProxyRefused,
                        format!("proxy {proxy} answered '{status}' for http://{}/", t.host),
                        Some(proxy),
                    ),
                    _ => r,
                }
            }
            Ok(Err(e)) => r.fail(
                ProblemKind::HttpNoAnswer,
                format!("no HTTP answer through proxy {proxy}: {}", refusal_text(&e)),
                Some(proxy),
            ),
            Err(_) => r.fail(
                ProblemKind::HttpNoAnswer,
                format!(
                    "no HTTP answer through proxy {proxy} within {}",
                    secs(check.timeout)
                ),
                Some(proxy),
            ),
        };
    }
    match tokio::time::timeout(check.timeout, proxy.connect(&mut stream, &t.host, t.port)).await {
        Ok(Ok(())) => finish(check, r, stream, Some(proxy)).await,
        Ok(Err(ProxyRefusal::Status(407, line))) => r.fail(
            ProblemKind::ProxyAuth,
            format!("proxy {proxy}: {line}"),
            Some(proxy),
        ),
        Ok(Err(ProxyRefusal::Status(_, line))) => r.fail(
            ProblemKind::ProxyRefused,
            format!(
                "proxy {proxy} refused CONNECT {}:{}: {line}",
                t.host, t.port
            ),
            Some(proxy),
        ),
        Ok(Err(e)) => r.fail(
            ProblemKind::ProxyRefused,
            format!(
                "proxy {proxy}: CONNECT {}:{} failed: {}",
                t.host,
                t.port,
                refusal_text(&e)
            ),
            Some(proxy),
        ),
        Err(_) => r.fail(
            ProblemKind::TcpTimeout,
            format!(
                "proxy {proxy} did not answer CONNECT within {}",
                secs(check.timeout)
            ),
            Some(proxy),
        ),
    }
}

/// After the connection (direct or tunnelled): the TLS handshake, or `HEAD /` on port 80.
async fn finish(
    check: &NetworkCheck,
    mut r: CheckResult,
    mut stream: TcpStream,
    proxy: Option<&Proxy>,
) -> CheckResult {
    let t = r.target.clone();
    if !t.tls {
        let request = format!(
            "HEAD / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            t.host
        );
        let answer = tokio::time::timeout(check.timeout, async {
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|e| ProxyRefusal::Io(e.to_string()))?;
            proxy::read_head(&mut stream).await
        })
        .await;
        return match answer {
            Ok(Ok(status)) if proxy::status_code(&status).is_some() => {
                r.http = Some(status);
                r
            }
            Ok(Ok(other)) => r.fail(
                ProblemKind::HttpNoAnswer,
                format!("port {} answered, but not with HTTP: '{other}'", t.port),
                proxy,
            ),
            Ok(Err(e)) => r.fail(
                ProblemKind::HttpNoAnswer,
                format!(
                    "no HTTP answer from {}:{}: {}",
                    t.host,
                    t.port,
                    refusal_text(&e)
                ),
                proxy,
            ),
            Err(_) => r.fail(
                ProblemKind::HttpNoAnswer,
                format!(
                    "no HTTP answer from {}:{} within {}",
                    t.host,
                    t.port,
                    secs(check.timeout)
                ),
                proxy,
            ),
        };
    }
    match tokio::time::timeout(check.timeout, tls::handshake(stream, &t.host, &check.roots)).await {
        Err(_) => r.fail(
            ProblemKind::TlsTimeout,
            format!(
                "no answer to the TLS handshake within {}",
                secs(check.timeout)
            ),
            proxy,
        ),
        Ok(Err(e)) => {
            r.tls = Some(TlsOutcome {
                error: Some(e.to_string()),
                ..TlsOutcome::default()
            });
            r.fail(
                ProblemKind::TlsError,
                format!("TLS handshake with {} failed: {e}", t.host),
                proxy,
            )
        }
        Ok(Ok(outcome)) => {
            let verdict = if outcome.verified {
                None
            } else if outcome.inspection {
                Some((
                    ProblemKind::TlsInspection,
                    format!(
                        "TLS inspection: certificate issued by '{}', not a public root — the guide \
                         says to avoid inline inspection between the agent and the service",
                        outcome.issuer.as_deref().unwrap_or("(no certificate)")
                    ),
                ))
            } else {
                Some((
                    ProblemKind::TlsCertificate,
                    format!(
                        "{} (issued by '{}')",
                        outcome.error.as_deref().unwrap_or("certificate rejected"),
                        outcome.issuer.as_deref().unwrap_or("?")
                    ),
                ))
            };
            r.tls = Some(outcome);
            match verdict {
                Some((kind, problem)) => r.fail(kind, problem, proxy),
                None => r,
            }
        }
    }
}

/// Connects to the first address that answers; reports the last failure otherwise.
async fn connect_any(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> (Option<TcpStream>, TcpOutcome, Option<ProblemKind>) {
    let mut out = TcpOutcome::default();
    let mut kind = None;
    for addr in addrs {
        out.address = Some(*addr);
        let started = Instant::now();
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                out.connected = true;
                out.error = None;
                out.elapsed_ms = Some(started.elapsed().as_millis().try_into().unwrap_or(u64::MAX));
                return (Some(stream), out, None);
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                out.error = Some(format!("connection to {addr} refused (port closed)"));
                kind = Some(ProblemKind::TcpRefused);
            }
            Ok(Err(e)) => {
                out.error = Some(format!("cannot connect to {addr}: {e}"));
                kind = Some(ProblemKind::TcpError);
            }
            Err(_) => {
                out.error = Some(format!("no answer from {addr} within {}", secs(timeout)));
                kind = Some(ProblemKind::TcpTimeout);
            }
        }
    }
    if addrs.is_empty() {
        out.error = Some("no address to connect to".into());
    }
    (None, out, kind)
}

fn refusal_text(e: &ProxyRefusal) -> String {
    match e {
        ProxyRefusal::Status(_, line) => line.clone(),
        ProxyRefusal::Io(e) => e.clone(),
    }
}

fn secs(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_matches_host_or_wildcard() {
        let t = Target::https("login.microsoftonline.com", "x").wildcard("*.microsoftonline.com");
        assert!(t.matches("LOGIN.microsoftonline.com."));
        assert!(t.matches("*.microsoftonline.com"));
        assert!(!t.matches("microsoftonline.com"));
    }

    #[test]
    fn fixes_use_the_guides_words() {
        let t = Target::https("autoupdate.msappproxy.net", "x").wildcard("*.msappproxy.net");
        let d = DnsOutcome::default();
        assert!(fix_for(ProblemKind::TcpRefused, &t, &d, None)
            .contains("open outbound TCP 443 to *.msappproxy.net on the firewall (also for Windows services running as Network Service)"));
        assert!(
            fix_for(ProblemKind::TcpTimeout, &t, &d, None)
                .contains("configure the proxy in AADConnectProvisioningAgent.exe.config")
        );
        assert_eq!(
            fix_for(ProblemKind::TlsInspection, &t, &d, None),
            "exempt *.msappproxy.net and *.servicebus.windows.net from TLS inspection"
        );
        let broken = DnsOutcome {
            failed_name: Some("b.example".into()),
            ..DnsOutcome::default()
        };
        assert!(
            fix_for(ProblemKind::DnsBrokenChain, &t, &broken, None)
                .contains("'b.example' in the chain of autoupdate.msappproxy.net")
        );
    }
}
