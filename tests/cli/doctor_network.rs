//! `doctor network` against loopback servers only: a small DNS server with good, broken and direct
//! CNAME chains; TLS servers with a "public" root the check trusts and an inspection CA it does
//! not; a closed port; a server that never answers the handshake; an HTTP CONNECT proxy. Plus the
//! command line's `--help` and bad flag values (which fail before any network use).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, CNAME};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use predicates::prelude::*;
use provctl::doctor::network::{
    self, CheckResult, DnsConfig, NetworkCheck, ProblemKind, Proxy, Status, Target,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::common::offline;

// ---------- a loopback DNS server ----------

/// A zone: CNAMEs and A records; any other name is NXDOMAIN.
#[derive(Default, Clone)]
struct Zone {
    cname: HashMap<String, String>,
    a: HashMap<String, Ipv4Addr>,
}

impl Zone {
    fn cname(mut self, from: &str, to: &str) -> Self {
        self.cname.insert(format!("{from}."), format!("{to}."));
        self
    }
    fn a(mut self, name: &str) -> Self {
        self.a.insert(format!("{name}."), Ipv4Addr::LOCALHOST);
        self
    }

    /// Answers like a recursive server: a CNAME query gets the one link; an address query gets
    /// the whole chain, then the address, NODATA or NXDOMAIN at its end.
    fn answer(&self, req: &Message) -> Message {
        let mut resp = Message::response(req.metadata.id, req.metadata.op_code);
        resp.metadata.recursion_desired = req.metadata.recursion_desired;
        resp.metadata.recursion_available = true;
        resp.queries = req.queries.clone();
        let Some(q) = req.queries.first() else {
            resp.metadata.response_code = ResponseCode::FormErr;
            return resp;
        };
        let mut name = q.name().to_ascii().to_ascii_lowercase();
        let rr = |owner: &str, data: RData| {
            Record::from_rdata(Name::from_ascii(owner).unwrap(), 60, data)
        };
        if q.query_type() == RecordType::CNAME {
            if let Some(to) = self.cname.get(&name) {
                resp.answers.push(rr(
                    &name,
                    RData::CNAME(CNAME(Name::from_ascii(to).unwrap())),
                ));
            } else if !self.a.contains_key(&name) {
                resp.metadata.response_code = ResponseCode::NXDomain;
            }
            return resp;
        }
        for _ in 0..10 {
            match self.cname.get(&name) {
                Some(to) => {
                    resp.answers.push(rr(
                        &name,
                        RData::CNAME(CNAME(Name::from_ascii(to).unwrap())),
                    ));
                    name = to.clone();
                }
                None => break,
            }
        }
        match self.a.get(&name) {
            Some(ip) if q.query_type() == RecordType::A => {
                resp.answers.push(rr(&name, RData::A(A(*ip))));
            }
            Some(_) => {} // NODATA (no AAAA)
            None => resp.metadata.response_code = ResponseCode::NXDomain,
        }
        resp
    }
}

/// Serves `zone` on 127.0.0.1 (UDP) until the test ends.
async fn dns_server(zone: Zone) -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(req) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if let Ok(bytes) = zone.answer(&req).to_vec() {
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    });
    addr
}

// ---------- certificates and TLS servers ----------

struct Ca {
    cert: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

fn ca(common_name: &str) -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        cert,
        issuer: rcgen::Issuer::new(params, key),
    }
}

/// A TLS server for `host` with a leaf issued by `ca` (the CA certificate is sent too, as
/// inspection boxes do).
async fn tls_server(ca: &Ca, host: &str) -> u16 {
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .signed_by(&key, &ca.issuer)
        .unwrap();
    let chain = vec![leaf.der().clone(), ca.cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    port
}

fn roots(ca: &Ca) -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    store
        .add(CertificateDer::from(ca.cert.der().to_vec()))
        .unwrap();
    Arc::new(store)
}

/// Accepts connections and holds them without a byte in answer.
async fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    port
}

/// A port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Answers any request with `HTTP/1.1 200 OK` (a CRL host on port 80).
async fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = read_head(&mut tcp).await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    port
}

async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        match tcp.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// An HTTP CONNECT proxy that "resolves" every name to 127.0.0.1, refuses hosts starting with
/// `blocked`, and records what it was asked for.
async fn connect_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let head = read_head(&mut client).await;
                let line = head.lines().next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(line.clone());
                let target = line.split_whitespace().nth(1).unwrap_or_default();
                if line.starts_with("HEAD http://") {
                    // Plain HTTP in absolute form: answer as the origin would.
                    let _ = client
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                }
                if target.starts_with("auth") {
                    let _ = client
                        .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                        .await;
                    return;
                }
                let Some((host, port)) = target.rsplit_once(':') else {
                    return;
                };
                if host.starts_with("blocked") {
                    let _ = client
                        .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let Ok(mut upstream) =
                    TcpStream::connect(("127.0.0.1", port.parse().unwrap_or(0))).await
                else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, seen)
}

fn check(targets: Vec<Target>, dns: SocketAddr, roots: Arc<RootCertStore>) -> NetworkCheck {
    let mut c = NetworkCheck::new(targets);
    c.dns = DnsConfig::Nameservers(vec![dns]);
    c.roots = roots;
    c.timeout = Duration::from_secs(3);
    c.overall_timeout = Duration::from_secs(20);
    c
}

fn by_host<'a>(results: &'a [CheckResult], host: &str) -> &'a CheckResult {
    results
        .iter()
        .find(|r| r.target.host == host)
        .unwrap_or_else(|| panic!("no result for {host}"))
}

// ---------- the scenarios ----------

#[tokio::test]
async fn dns_reports_the_whole_chain_and_names_the_broken_link() {
    let zone = Zone::default()
        .cname("good-a.test", "good-b.test")
        .cname("good-b.test", "good-c.test")
        .a("good-c.test")
        .cname("broken-a.test", "broken-b.test")
        .a("direct.test");
    let dns = dns_server(zone).await;
    let public = ca("Test Public Root");
    let port = http_server().await;
    let targets = vec![
        Target::http("good-a.test", "t").port(port),
        Target::http("broken-a.test", "t").port(port),
        Target::http("direct.test", "t").port(port),
        Target::http("missing.test", "t").port(port),
    ];
    let results = network::run(&check(targets, dns, roots(&public))).await;

    let good = by_host(&results, "good-a.test");
    assert_eq!(good.status, Status::Pass, "{good:#?}");
    assert_eq!(
        good.dns.chain,
        ["good-a.test", "good-b.test", "good-c.test"]
    );
    assert_eq!(
        good.dns.addresses,
        [std::net::IpAddr::from(Ipv4Addr::LOCALHOST)]
    );
    assert!(good.tcp.connected);
    assert_eq!(good.http.as_deref(), Some("HTTP/1.1 200 OK"));

    let broken = by_host(&results, "broken-a.test");
    assert_eq!(broken.status, Status::Fail);
    assert_eq!(broken.problem_kind, Some(ProblemKind::DnsBrokenChain));
    assert_eq!(broken.dns.chain, ["broken-a.test", "broken-b.test"]);
    assert_eq!(broken.dns.failed_name.as_deref(), Some("broken-b.test"));
    let problem = broken.problem.as_deref().unwrap();
    assert!(
        problem.contains("broken-b.test does not exist"),
        "{problem}"
    );
    let fix = broken.fix.as_deref().unwrap();
    assert!(
        fix.contains("resolve every record in the CNAME chain"),
        "{fix}"
    );
    assert!(fix.contains("check the DNS forwarders"), "{fix}");
    assert!(!broken.tcp.connected, "no connection after a DNS failure");

    let direct = by_host(&results, "direct.test");
    assert_eq!(direct.status, Status::Pass, "{direct:#?}");
    assert_eq!(direct.dns.chain, ["direct.test"]);

    let missing = by_host(&results, "missing.test");
    assert_eq!(missing.problem_kind, Some(ProblemKind::DnsNxdomain));
}

#[tokio::test]
async fn tls_passes_for_a_public_root_and_names_the_inspection_ca() {
    let dns = dns_server(Zone::default().a("public.test").a("inspected.test")).await;
    let public = ca("Test Public Root");
    let inspection = ca("Contoso Inspection CA");
    let good_port = tls_server(&public, "public.test").await;
    let bad_port = tls_server(&inspection, "inspected.test").await;
    let targets = vec![
        Target::https("public.test", "t").port(good_port),
        Target::https("inspected.test", "t")
            .wildcard("*.msappproxy.net")
            .port(bad_port),
    ];
    let results = network::run(&check(targets, dns, roots(&public))).await;

    let ok = by_host(&results, "public.test");
    assert_eq!(ok.status, Status::Pass, "{ok:#?}");
    let tls = ok.tls.as_ref().unwrap();
    assert!(tls.verified && !tls.inspection);
    assert_eq!(tls.issuer.as_deref(), Some("Test Public Root"));

    let bad = by_host(&results, "inspected.test");
    assert_eq!(bad.status, Status::Fail);
    assert_eq!(bad.problem_kind, Some(ProblemKind::TlsInspection));
    let tls = bad.tls.as_ref().unwrap();
    assert!(tls.inspection && !tls.verified);
    assert_eq!(tls.issuer.as_deref(), Some("Contoso Inspection CA"));
    assert_eq!(tls.chain[0].issuer, "Contoso Inspection CA");
    assert_eq!(
        bad.problem.as_deref(),
        Some(
            "TLS inspection: certificate issued by 'Contoso Inspection CA', not a public root — \
             the guide says to avoid inline inspection between the agent and the service"
        )
    );
    assert_eq!(
        bad.fix.as_deref(),
        Some("exempt *.msappproxy.net and *.servicebus.windows.net from TLS inspection")
    );
}

#[tokio::test]
async fn a_public_certificate_for_another_name_is_not_called_inspection() {
    let dns = dns_server(Zone::default().a("other.test")).await;
    let public = ca("Test Public Root");
    let port = tls_server(&public, "public.test").await;
    let results = network::run(&check(
        vec![Target::https("other.test", "t").port(port)],
        dns,
        roots(&public),
    ))
    .await;
    assert_eq!(
        results[0].problem_kind,
        Some(ProblemKind::TlsCertificate),
        "{:#?}",
        results[0]
    );
    assert!(!results[0].tls.as_ref().unwrap().inspection);
}

#[tokio::test]
async fn a_closed_port_and_a_silent_server_get_their_own_fixes() {
    let dns = dns_server(Zone::default().a("closed.test").a("silent.test")).await;
    let public = ca("Test Public Root");
    let closed = closed_port().await;
    let silent = silent_server().await;
    let targets = vec![
        Target::https("closed.test", "t").port(closed),
        Target::https("silent.test", "t").port(silent),
    ];
    let mut c = check(targets, dns, roots(&public));
    c.timeout = Duration::from_millis(400);
    let results = network::run(&c).await;

    let refused = by_host(&results, "closed.test");
    assert_eq!(
        refused.problem_kind,
        Some(ProblemKind::TcpRefused),
        "{refused:#?}"
    );
    assert_eq!(
        refused.fix.as_deref(),
        Some(&*format!(
            "open outbound TCP {closed} to closed.test on the firewall (also for Windows services \
             running as Network Service)"
        ))
    );

    let timed_out = by_host(&results, "silent.test");
    assert!(timed_out.tcp.connected);
    assert_eq!(
        timed_out.problem_kind,
        Some(ProblemKind::TlsTimeout),
        "{timed_out:#?}"
    );
    let fix = timed_out.fix.as_deref().unwrap();
    assert!(
        fix.starts_with("a firewall or proxy drops the traffic; allow silent.test:"),
        "{fix}"
    );
    assert!(
        fix.contains("AADConnectProvisioningAgent.exe.config"),
        "{fix}"
    );
}

#[tokio::test]
async fn the_overall_deadline_reports_unfinished_targets() {
    let dns = dns_server(Zone::default().a("silent.test")).await;
    let public = ca("Test Public Root");
    let silent = silent_server().await;
    let mut c = check(
        vec![Target::https("silent.test", "t").port(silent)],
        dns,
        roots(&public),
    );
    c.timeout = Duration::from_secs(5);
    c.overall_timeout = Duration::from_millis(300);
    let results = network::run(&c).await;
    assert_eq!(results[0].problem_kind, Some(ProblemKind::Deadline));
}

#[tokio::test]
async fn through_a_proxy_names_are_resolved_there_and_the_path_is_reported() {
    // The local DNS knows none of these names: only the proxy can reach them.
    let dns = dns_server(Zone::default()).await;
    let public = ca("Test Public Root");
    let port = tls_server(&public, "public.test").await;
    let (proxy_port, seen) = connect_proxy().await;
    let targets = vec![
        Target::https("public.test", "t").port(port),
        Target::https("blocked.test", "t").port(port),
        Target::https("auth.test", "t").port(port),
        Target::http("crl.test", "t").port(80),
    ];
    let mut c = check(targets, dns, roots(&public));
    c.proxy = Some(Proxy::parse(&format!("http://127.0.0.1:{proxy_port}")).unwrap());
    let results = network::run(&c).await;

    let ok = by_host(&results, "public.test");
    assert_eq!(ok.status, Status::Pass, "{ok:#?}");
    let via = format!("http://127.0.0.1:{proxy_port}");
    assert_eq!(ok.tcp.via_proxy.as_deref(), Some(via.as_str()));
    assert!(ok.dns.at_proxy && ok.dns.addresses.is_empty());
    assert!(ok.tls.as_ref().unwrap().verified);

    let blocked = by_host(&results, "blocked.test");
    assert_eq!(blocked.problem_kind, Some(ProblemKind::ProxyRefused));
    assert!(
        blocked
            .problem
            .as_deref()
            .unwrap()
            .contains("403 Forbidden")
    );
    assert_eq!(
        blocked.fix.as_deref(),
        Some(&*format!("allow blocked.test:{port} on the proxy {via}"))
    );

    let auth = by_host(&results, "auth.test");
    assert_eq!(auth.problem_kind, Some(ProblemKind::ProxyAuth));
    assert!(
        auth.fix
            .as_deref()
            .unwrap()
            .contains("useDefaultCredentials")
    );

    let crl = by_host(&results, "crl.test");
    assert_eq!(crl.status, Status::Pass, "{crl:#?}");
    assert_eq!(crl.http.as_deref(), Some("HTTP/1.1 200 OK"));

    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"HEAD http://crl.test:80/ HTTP/1.1".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&format!("CONNECT public.test:{port} HTTP/1.1")),
        "{seen:?}"
    );

    let json = serde_json::to_value(&results).unwrap();
    assert_eq!(json[0]["tcp"]["via_proxy"], via.as_str());
    assert_eq!(json[0]["dns"]["at_proxy"], true);
}

// ---------- the command line (no network: help and flag validation only) ----------

#[test]
fn doctor_network_help_lists_its_flags() {
    offline(&["doctor", "network", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--timeout"))
        .stdout(predicate::str::contains("--only"));
}

#[test]
fn a_bad_timeout_is_a_usage_error_naming_the_value() {
    offline(&["doctor", "network", "--timeout", "abc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'abc'"));
}

#[test]
fn only_refuses_hosts_outside_the_documented_list() {
    offline(&["doctor", "network", "--only", "example.com"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--only 'example.com' is not one of the documented hosts",
        ));
}
