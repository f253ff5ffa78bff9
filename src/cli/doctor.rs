//! `provctl doctor …`: checks of the machine provctl runs on. `doctor network` checks the cloud sync
//! agent's network prerequisites (hosts, ports, DNS chains, TLS without inspection) and renders
//! [`crate::doctor::network`]'s results as a checklist; any failure exits 7 (unhealthy).
//! `doctor auth` signs in as every command would and shows, from the token's claims, which
//! commands its permissions allow ([`crate::graph::permissions`]).

use std::time::Duration;

use serde_json::Value;

use super::{CliError, Context, ErrorKind};
use crate::doctor::network::{self, CheckResult, NetworkCheck, Proxy, Status};
use crate::graph::auth::{AccessToken, TokenClaims, claims};
use crate::graph::permissions::{self, CommandAccess};
use crate::output::{Cell, Column, OutputFormat, Table};

/// Arguments of `provctl doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The check to run.
    #[command(subcommand)]
    pub check: DoctorCommand,
}

/// The checks.
#[derive(Debug, clap::Subcommand)]
pub enum DoctorCommand {
    /// Check the agent's network prerequisites from this host: every documented host and port, DNS
    /// with the whole CNAME chain, TCP, and a TLS handshake that must chain to a public root.
    ///
    /// Run it on the cloud sync agent's server. Wildcards (*.msappproxy.net, ...) are checked
    /// through a host Microsoft documents under them. With --proxy or HTTPS_PROXY the checks go
    /// through that proxy (which then resolves the names).
    Network(NetworkArgs),
    /// Sign in as every command would and show who the token is for, the permissions it carries,
    /// and which provctl commands they allow (and, for the others, what is missing).
    ///
    /// Exits 3 when no usable token can be had (with the sign-in error explained), 4 when a
    /// command named by --require is not allowed, 0 otherwise. Makes no Graph call: it reads the
    /// token's claims. Directory roles a signed-in user also needs are not in the token; they are
    /// named in the notes.
    Auth(AuthArgs),
}

/// Arguments of `provctl doctor auth`.
#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// Exit 4 unless this command is allowed, e.g. --require 'jobs restart'; repeatable (CI preflight).
    #[arg(long, value_name = "COMMAND")]
    pub require: Vec<String>,
}

/// Arguments of `provctl doctor network`.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Limit for each step (DNS, connect, TLS handshake), e.g. 10s, 1500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Check only this host (or documented wildcard, e.g. '*.msappproxy.net'); repeatable.
    #[arg(long, value_name = "HOST")]
    pub only: Vec<String>,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration like 10s or 500ms: {e}"))?;
    if d.is_zero() || d > Duration::from_secs(600) {
        return Err(format!("'{s}' must be more than 0 and at most 10m"));
    }
    Ok(d)
}

/// `provctl doctor <check>`.
pub async fn run(ctx: &Context, args: DoctorArgs) -> Result<(), CliError> {
    match args.check {
        DoctorCommand::Network(a) => network_cmd(ctx, a).await,
        DoctorCommand::Auth(a) => auth_cmd(ctx, a).await,
    }
}

async fn auth_cmd(ctx: &Context, args: AuthArgs) -> Result<(), CliError> {
    let required = required_commands(&args.require)?;
    let (endpoints, _) = ctx.connection().await?;
    let scope = endpoints.scope.clone();
    let provider = ctx.token_provider().await?;
    let token = provider.token(&[scope.as_str()]).await?;
    let claims = usable_claims(provider.method(), &token)?;
    let access = permissions::evaluate(&claims);
    let mut doc = super::auth::token_doc(Some(&claims), provider.method(), &token);
    doc["commands"] = serde_json::to_value(&access).unwrap_or(Value::Null);
    ctx.out.emit_text(&doc, |color| {
        let mut s = super::auth::whoami_text(&doc);
        s.push('\n');
        s.push_str(&access_table(&access).render(ctx.out.table_width(), color));
        s
    })?;
    let denied: Vec<&CommandAccess> = access
        .iter()
        .filter(|a| !a.allowed && required.contains(&a.command.as_str()))
        .collect();
    match denied.as_slice() {
        [] => Ok(()),
        [first, ..] => {
            let names: Vec<&str> = denied.iter().map(|a| a.command.as_str()).collect();
            Err(CliError::new(
                ErrorKind::Permission,
                format!("the token does not allow {}", names.join(", ")),
            )
            .hint(format!("{}: {}", first.command, why_denied(first))))
        }
    }
}

/// The `--require` names as [`permissions::COMMANDS`] spells them; an unknown one is a usage error.
fn required_commands(names: &[String]) -> Result<Vec<&'static str>, CliError> {
    names
        .iter()
        .map(|n| {
            permissions::command_needs(n)
                .map(|c| c.command)
                .ok_or_else(|| {
                    let known: Vec<&str> =
                        permissions::COMMANDS.iter().map(|c| c.command).collect();
                    CliError::usage(format!(
                        "--require '{n}' is not a provctl command that calls Graph"
                    ))
                    .hint(format!("choose from: {}", known.join(", ")))
                })
        })
        .collect()
}

/// The token's claims, or exit 3 when they cannot be read or the token has expired: Graph would
/// refuse it, and nothing can be said about its permissions.
fn usable_claims(method: &str, token: &AccessToken) -> Result<TokenClaims, CliError> {
    let claims = claims::decode(&token.token).map_err(|e| {
        CliError::new(ErrorKind::Auth, format!("{method} sign-in gave a token provctl cannot read: {e}"))
            .hint("Graph access tokens for work accounts are JWTs (three base64url parts); check PROVCTL_ACCESS_TOKEN / --token-stdin carries the whole access token, not an id or refresh token")
    })?;
    if let Some(exp) = token.expires_on.or(claims.expires_on)
        && exp <= chrono::Utc::now()
    {
        return Err(CliError::new(
            ErrorKind::Auth,
            format!("the {method} token expired at {}", crate::output::time::short(exp)),
        )
        .hint("get a new token (or sign in again with `provctl login`); Graph refuses expired tokens with 401"));
    }
    Ok(claims)
}

/// `needs X (or Y); you have Z`, or for delegated-only commands the sign-in first.
fn why_denied(a: &CommandAccess) -> String {
    let missing = a.missing.join(" and ");
    match &a.note {
        Some(n) if a.user_sign_in_required => {
            let n = n.strip_prefix(a.command.as_str()).unwrap_or(n).trim_start();
            format!("{n}; delegated {missing}")
        }
        Some(n) => format!("needs {missing}; {n}"),
        None => format!("needs {missing}"),
    }
}

/// One row per command: allowed or not, and why.
fn access_table(access: &[CommandAccess]) -> Table {
    let mut t = Table::new([
        Column::new("COMMAND", "command").keep(),
        Column::new("ACCESS", "access").keep(),
        Column::new("WHY", "why"),
    ]);
    for a in access {
        let (verdict, style, why) = if a.allowed {
            let mut why = format!("granted by {}", a.granted_by.as_deref().unwrap_or("?"));
            if let Some(n) = &a.note {
                why.push_str("; ");
                why.push_str(n);
            }
            ("allowed", Cell::Good, why)
        } else {
            ("not allowed", Cell::Bad, why_denied(a))
        };
        t.styled_row(vec![
            (a.command.clone(), Cell::Plain),
            (verdict.to_owned(), style),
            (why, Cell::Plain),
        ]);
    }
    t
}

async fn network_cmd(ctx: &Context, args: NetworkArgs) -> Result<(), CliError> {
    let check = network_check(ctx, &args)?;
    let results = network::run(&check).await;
    let doc = serde_json::to_value(&results).unwrap_or(Value::Null);
    ctx.out.emit(&doc, || checklist(&results))?;
    let failed = results.iter().filter(|r| r.status == Status::Fail).count();
    if ctx.out.format == OutputFormat::Table && !ctx.out.has_query() {
        eprintln!(
            "{failed} of {} network checks failed{}",
            results.len(),
            if failed > 0 { " — see FIX" } else { "" }
        );
    }
    if failed > 0 {
        return Err(CliError::new(ErrorKind::Unhealthy, ""));
    }
    Ok(())
}

/// The check the flags ask for: the documented list (narrowed by --only), the proxy from --proxy
/// or the environment.
fn network_check(ctx: &Context, args: &NetworkArgs) -> Result<NetworkCheck, CliError> {
    let mut targets = network::default_targets(ctx.global.tenant.as_deref());
    if !args.only.is_empty() {
        for name in &args.only {
            if !targets.iter().any(|t| t.matches(name)) {
                let mut known: Vec<&str> = targets.iter().map(|t| t.host.as_str()).collect();
                known.dedup();
                return Err(CliError::usage(format!(
                    "--only '{name}' is not one of the documented hosts"
                ))
                .hint(format!("choose from: {}", known.join(", "))));
            }
        }
        targets.retain(|t| args.only.iter().any(|n| t.matches(n)));
    }
    let proxy = match &ctx.global.proxy {
        Some(p) => Some(Proxy::parse(p).map_err(|e| CliError::usage(format!("--proxy: {e}")))?),
        None => Proxy::from_env()
            .transpose()
            .map_err(|e| CliError::usage(format!("HTTPS_PROXY: {e}")))?,
    };
    let mut check = NetworkCheck::new(targets);
    check.timeout = args.timeout;
    check.overall_timeout = network::overall_for(args.timeout);
    check.proxy = proxy;
    Ok(check)
}

/// One row per target: host, port, what for, DNS chain, TCP, TLS/HTTP, result, fix.
fn checklist(results: &[CheckResult]) -> Table {
    let mut t = Table::new([
        Column::new("HOST", "host").keep(),
        Column::new("PORT", "port").keep().priority(1),
        Column::new("FOR", "for").priority(3),
        Column::new("DNS", "dns").priority(2),
        Column::new("TCP", "tcp").priority(2),
        Column::new("TLS", "tls").priority(2),
        Column::new("RESULT", "result"),
        Column::new("FIX", "fix").priority(1),
    ]);
    for r in results {
        let what = match &r.target.wildcard {
            Some(w) => format!("{w} (representative); {}", r.target.purpose),
            None => r.target.purpose.clone(),
        };
        let (dns, dns_style) = if r.dns.at_proxy {
            ("resolved by the proxy".to_owned(), Cell::Dim)
        } else if let Some(e) = &r.dns.error {
            (format!("{} ✗ {e}", r.dns.chain.join(" → ")), Cell::Bad)
        } else if r.dns.addresses.is_empty() {
            ("-".to_owned(), Cell::Dim)
        } else {
            let addrs: Vec<String> = r.dns.addresses.iter().map(|a| a.to_string()).collect();
            let chain = r.dns.chain.join(" → ");
            (format!("{chain} → {}", addrs.join(", ")), Cell::Good)
        };
        let (tcp, tcp_style) = match (&r.tcp, r.dns.error.is_some() && !r.dns.at_proxy) {
            (_, true) => ("-".to_owned(), Cell::Dim),
            (tcp, _) if tcp.connected => {
                let via = tcp
                    .via_proxy
                    .as_ref()
                    .map(|p| format!("via proxy {p}"))
                    .unwrap_or_else(|| {
                        tcp.address
                            .map(|a| format!("ok {a}"))
                            .unwrap_or_else(|| "ok".into())
                    });
                (via, Cell::Good)
            }
            (tcp, _) => {
                let mut s = tcp.error.clone().unwrap_or_else(|| "-".into());
                if let Some(p) = &tcp.via_proxy {
                    s = format!("via proxy {p}: {s}");
                }
                (s, Cell::Bad)
            }
        };
        let (tls, tls_style) = match (&r.tls, &r.http) {
            (Some(tls), _) if tls.verified => (
                format!("ok, issued by {}", tls.issuer.as_deref().unwrap_or("?")),
                Cell::Good,
            ),
            (Some(tls), _) if tls.inspection => (
                format!("inspected: '{}'", tls.issuer.as_deref().unwrap_or("?")),
                Cell::Bad,
            ),
            (Some(tls), _) => (
                tls.error.clone().unwrap_or_else(|| "failed".into()),
                Cell::Bad,
            ),
            (None, Some(http)) => (http.clone(), Cell::Good),
            (None, None) if r.target.tls && r.tcp.connected => {
                ("no handshake".to_owned(), Cell::Bad)
            }
            (None, None) => ("-".to_owned(), Cell::Dim),
        };
        let (result, result_style) = match r.status {
            Status::Pass => ("pass".to_owned(), Cell::Good),
            Status::Fail => (
                format!("FAIL: {}", r.problem.as_deref().unwrap_or("")),
                Cell::Bad,
            ),
        };
        t.styled_row(vec![
            (r.target.host.clone(), Cell::Plain),
            (r.target.port.to_string(), Cell::Plain),
            (what, Cell::Dim),
            (dns, dns_style),
            (tcp, tcp_style),
            (tls, tls_style),
            (result, result_style),
            (r.fix.clone().unwrap_or_default(), Cell::Warn),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(host: &str, port: u16) -> CheckResult {
        CheckResult {
            target: network::Target::https(host, "agent registration").port(port),
            status: Status::Pass,
            dns: network::DnsOutcome {
                chain: vec![host.into(), "edge.example.net".into()],
                addresses: vec!["192.0.2.10".parse().unwrap()],
                ..Default::default()
            },
            tcp: network::TcpOutcome {
                connected: true,
                address: Some("192.0.2.10:443".parse().unwrap()),
                ..Default::default()
            },
            tls: Some(network::TlsOutcome {
                verified: true,
                issuer: Some("DigiCert Global Root G2".into()),
                ..Default::default()
            }),
            http: None,
            problem_kind: None,
            problem: None,
            fix: None,
        }
    }

    #[test]
    fn the_checklist_shows_chain_path_verdict_and_fix() {
        let ok = result("login.microsoftonline.com", 443);
        let mut bad = result("autoupdate.msappproxy.net", 443);
        bad.target = bad.target.wildcard("*.msappproxy.net");
        bad.status = Status::Fail;
        bad.tcp.via_proxy = Some("http://proxy:8080".into());
        bad.dns = network::DnsOutcome {
            chain: vec!["autoupdate.msappproxy.net".into()],
            at_proxy: true,
            ..Default::default()
        };
        bad.tls = Some(network::TlsOutcome {
            inspection: true,
            issuer: Some("Contoso Inspection CA".into()),
            ..Default::default()
        });
        bad.problem = Some("TLS inspection: certificate issued by 'Contoso Inspection CA'".into());
        bad.fix =
            Some("exempt *.msappproxy.net and *.servicebus.windows.net from TLS inspection".into());
        let text = checklist(&[ok, bad]).render(None, false);
        for needle in [
            "login.microsoftonline.com → edge.example.net → 192.0.2.10",
            "ok 192.0.2.10:443",
            "ok, issued by DigiCert Global Root G2",
            "*.msappproxy.net (representative)",
            "resolved by the proxy",
            "via proxy http://proxy:8080",
            "inspected: 'Contoso Inspection CA'",
            "FAIL: TLS inspection",
            "exempt *.msappproxy.net",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        if std::env::var_os("SHOW_TABLE").is_some() {
            println!("{text}");
        }
    }

    #[test]
    fn timeouts_parse_and_bad_ones_name_the_value() {
        assert_eq!(parse_timeout("1500ms"), Ok(Duration::from_millis(1500)));
        assert!(parse_timeout("abc").unwrap_err().contains("'abc'"));
        assert!(parse_timeout("0s").is_err());
    }
}
