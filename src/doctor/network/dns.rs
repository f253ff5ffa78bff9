//! Name resolution that shows its work: the CNAME chain is walked one link at a time (a `CNAME`
//! query per name), so a chain that ends nowhere names the record that failed, and then the last
//! name is resolved to addresses — the guide asks that the host resolve every record in the chain.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};

use super::{DnsConfig, DnsOutcome};

/// Longest chain followed before it is called a loop.
const MAX_CHAIN: usize = 16;

/// Builds the resolver the checks share (its cache spares repeated links).
pub(super) fn resolver(config: &DnsConfig, timeout: Duration) -> Result<TokioResolver, String> {
    let mut builder = match config {
        DnsConfig::System => TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?,
        DnsConfig::Nameservers(addrs) => {
            let servers = addrs
                .iter()
                .map(|a| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = a.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = a.port();
                    NameServerConfig::new(a.ip(), true, vec![udp, tcp])
                })
                .collect();
            let mut b = TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            );
            b.options_mut().use_hosts_file = ResolveHosts::Never;
            b
        }
    };
    let opts = builder.options_mut();
    opts.timeout = timeout;
    opts.attempts = 2;
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    opts.preserve_intermediates = true;
    builder
        .build()
        .map_err(|e| format!("cannot start the DNS resolver: {e}"))
}

/// Resolves `host`, reporting every CNAME link and the final addresses.
pub(super) async fn resolve(resolver: &TokioResolver, host: &str) -> DnsOutcome {
    let mut out = DnsOutcome {
        chain: vec![host.to_owned()],
        ..DnsOutcome::default()
    };
    let mut current = fqdn(host);
    loop {
        if out.chain.len() > MAX_CHAIN {
            out.error = Some(format!(
                "CNAME chain longer than {MAX_CHAIN} links (a loop?)"
            ));
            out.failed_name = Some(display(&current));
            return out;
        }
        match resolver.lookup(current.as_str(), RecordType::CNAME).await {
            Ok(lookup) => {
                let next = lookup.answers().iter().find_map(|r| match &r.data {
                    RData::CNAME(c) if r.name.to_ascii().eq_ignore_ascii_case(&current) => {
                        Some(c.0.to_ascii())
                    }
                    _ => None,
                });
                match next {
                    Some(next) => {
                        out.chain.push(display(&next));
                        current = next;
                    }
                    None => break,
                }
            }
            // NOERROR without a CNAME: `current` is the end of the chain.
            Err(e) if e.is_no_records_found() && !e.is_nx_domain() => break,
            Err(e) => {
                out.error = Some(describe(&e, &current));
                out.failed_name = Some(display(&current));
                out.nxdomain = e.is_nx_domain();
                return out;
            }
        }
    }
    match resolver.lookup_ip(current.as_str()).await {
        Ok(ips) => {
            out.addresses = ips.iter().collect();
            if out.addresses.is_empty() {
                out.error = Some(format!("{} has no A/AAAA record", display(&current)));
                out.failed_name = Some(display(&current));
            }
        }
        Err(e) => {
            out.error = Some(if e.is_no_records_found() && !e.is_nx_domain() {
                format!("{} has no A/AAAA record", display(&current))
            } else {
                describe(&e, &current)
            });
            out.failed_name = Some(display(&current));
            out.nxdomain = e.is_nx_domain();
        }
    }
    out
}

/// Resolves the proxy's own name with the same resolver (a literal address passes through).
pub(super) async fn proxy_addresses(
    resolver: &TokioResolver,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let ips = resolver
        .lookup_ip(fqdn(host).as_str())
        .await
        .map_err(|e| describe(&e, host))?;
    Ok(ips.iter().map(|ip| SocketAddr::new(ip, port)).collect())
}

fn describe(e: &NetError, name: &str) -> String {
    let name = display(name);
    if e.is_nx_domain() {
        format!("{name} does not exist (NXDOMAIN)")
    } else if matches!(e, NetError::Timeout) {
        format!("no DNS answer for {name} (timed out)")
    } else {
        format!("lookup of {name} failed: {e}")
    }
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}

fn display(name: &str) -> String {
    name.trim_end_matches('.').to_owned()
}
