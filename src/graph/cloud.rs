//! National clouds and their hosts, and the endpoint set a client talks to. Tests and the emulator
//! use [`Endpoints::custom`]; plain `http://` is accepted only for loopback hosts.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::Url;

use super::GraphError;

/// A Microsoft cloud with its own Graph and login hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// The global (public) cloud.
    #[default]
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud, in the order help texts list them.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// The Graph host, e.g. `graph.microsoft.com`.
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "graph.microsoft.com",
            Cloud::UsGov => "graph.microsoft.us",
            Cloud::UsGovDod => "dod-graph.microsoft.us",
            Cloud::China => "microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The login (authority) host, e.g. `login.microsoftonline.com`.
    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "login.microsoftonline.us",
            Cloud::China => "login.chinacloudapi.cn",
        }
    }

    /// The name the Azure CLI gives this cloud (`az cloud show`); both US Government clouds are
    /// `AzureUSGovernment` there.
    pub fn az_name(self) -> &'static str {
        match self {
            Cloud::Global => "AzureCloud",
            Cloud::UsGov | Cloud::UsGovDod => "AzureUSGovernment",
            Cloud::China => "AzureChinaCloud",
        }
    }

    /// The name accepted by `--cloud`.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "global" | "public" | "azurecloud" | "azurepubliccloud" => Ok(Cloud::Global),
            "usgov" | "us-gov" | "l4" | "gcchigh" | "gcc-high" | "azureusgovernment" => {
                Ok(Cloud::UsGov)
            }
            "usgov-dod" | "us-gov-dod" | "dod" | "l5" => Ok(Cloud::UsGovDod),
            "china" | "azurechinacloud" | "21vianet" => Ok(Cloud::China),
            _ => Err(format!(
                "unknown cloud '{s}': expected one of global, usgov (GCC High, L4), usgov-dod (DoD, L5), china"
            )),
        }
    }
}

/// Where a client sends Graph requests and token requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Graph base URL ending in `/`, without the version segment (`https://graph.microsoft.com/`).
    pub graph: Url,
    /// Login authority base URL ending in `/` (`https://login.microsoftonline.com/`).
    pub login: Url,
    /// The OAuth scope for Graph: `https://<graph host>/.default`.
    pub scope: String,
}

impl Endpoints {
    /// The endpoints of a national cloud.
    pub fn for_cloud(cloud: Cloud) -> Self {
        // The hosts are constants, so these parses cannot fail.
        let graph = Url::parse(&format!("https://{}/", cloud.graph_host()))
            .unwrap_or_else(|_| unreachable!());
        let login = Url::parse(&format!("https://{}/", cloud.login_host()))
            .unwrap_or_else(|_| unreachable!());
        Endpoints {
            scope: format!("https://{}/.default", cloud.graph_host()),
            graph,
            login,
        }
    }

    /// The national cloud these endpoints sign in for, known by its Graph scope (custom endpoints
    /// keep their cloud's scope).
    pub fn cloud(&self) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|c| self.scope == format!("https://{}/.default", c.graph_host()))
    }

    /// Custom endpoints (tests, the emulator, proxies). The scope stays that of `cloud`, because a real
    /// token is always issued for a real Graph host.
    pub fn custom(graph: &str, login: Option<&str>, cloud: Cloud) -> Result<Self, GraphError> {
        let mut e = Endpoints::for_cloud(cloud);
        e.graph = graph_base(base_url(graph, "--graph-url")?);
        if let Some(login) = login {
            e.login = base_url(login, "--login-url")?;
        }
        Ok(e)
    }
}

/// The Graph base without a trailing API version: requests add `v1.0/` or `beta/` themselves, so a
/// URL pasted with its version (`https://127.0.0.1:8443/v1.0/`, as `sim serve` and Graph Explorer
/// show it) would otherwise become `/v1.0/v1.0/`.
fn graph_base(mut url: Url) -> Url {
    let path = url.path();
    for version in ["v1.0/", "beta/"] {
        if let Some(base) = path.strip_suffix(version)
            && base.ends_with('/')
        {
            let base = base.to_owned();
            url.set_path(&base);
            break;
        }
    }
    url
}

/// Parses a base URL, appends a trailing `/`, and refuses plain HTTP except on loopback.
pub fn base_url(raw: &str, what: &str) -> Result<Url, GraphError> {
    let mut url = Url::parse(raw)
        .map_err(|e| GraphError::Config(format!("{what} '{raw}' is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(GraphError::Config(format!(
                "{what} '{raw}' uses plain http: only https is accepted, except for loopback hosts (127.0.0.1, ::1, localhost)"
            )));
        }
        other => {
            return Err(GraphError::Config(format!(
                "{what} '{raw}' has scheme '{other}': expected https"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(GraphError::Config(format!(
            "{what} '{raw}' must not carry a query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_url_is_accepted_with_or_without_its_version() {
        for raw in [
            "https://127.0.0.1:8443",
            "https://127.0.0.1:8443/",
            "https://127.0.0.1:8443/v1.0",
            "https://127.0.0.1:8443/v1.0/",
            "https://127.0.0.1:8443/beta/",
        ] {
            let e = Endpoints::custom(raw, None, Cloud::Global).unwrap();
            assert_eq!(e.graph.as_str(), "https://127.0.0.1:8443/", "{raw}");
        }
        let e = Endpoints::custom("https://proxy.example/graph/v1.0", None, Cloud::Global).unwrap();
        assert_eq!(e.graph.as_str(), "https://proxy.example/graph/");
    }

    #[test]
    fn every_cloud_has_its_hosts_and_scope() {
        let e = Endpoints::for_cloud(Cloud::UsGovDod);
        assert_eq!(e.graph.as_str(), "https://dod-graph.microsoft.us/");
        assert_eq!(e.login.as_str(), "https://login.microsoftonline.us/");
        assert_eq!(e.scope, "https://dod-graph.microsoft.us/.default");
        assert_eq!(e.cloud(), Some(Cloud::UsGovDod));
        assert_eq!(Cloud::UsGovDod.az_name(), "AzureUSGovernment");
        assert_eq!(
            Endpoints::custom("https://127.0.0.1:1/", None, Cloud::China)
                .unwrap()
                .cloud(),
            Some(Cloud::China)
        );
        assert_eq!(
            Endpoints::for_cloud(Cloud::China).login.as_str(),
            "https://login.chinacloudapi.cn/"
        );
    }

    #[test]
    fn cloud_names_parse_and_unknown_names_are_refused() {
        assert_eq!("GCCHigh".parse::<Cloud>(), Ok(Cloud::UsGov));
        assert_eq!("global".parse::<Cloud>(), Ok(Cloud::Global));
        let err = "mars".parse::<Cloud>().unwrap_err();
        assert!(err.contains("'mars'") && err.contains("usgov-dod"));
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        assert!(base_url("http://127.0.0.1:8080", "--graph-url").is_ok());
        assert!(base_url("http://localhost:1/x", "--graph-url").is_ok());
        assert!(base_url("http://[::1]:1/", "--graph-url").is_ok());
        let err = base_url("http://graph.example.com/", "--graph-url")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plain http"), "{err}");
        assert_eq!(
            base_url("https://x.test/base", "u").unwrap().as_str(),
            "https://x.test/base/"
        );
    }
}
