//! `provctl sim serve`: run the Graph emulator from the command line for demos and manual testing.
//! It prints the URLs, the CA file to trust, the demo credentials, the environment that points
//! provctl at it (with a demo admin token), and a ready-to-paste `curl`
//! example, then serves until Ctrl-C.

use crate::sim::{FaultSpec, GenerateSpec, Sim, SimConfig, SimError, TenantSource, ThrottleConfig};
use std::path::PathBuf;
use std::time::Duration;

/// `provctl sim …`: the Graph emulator.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SimCommand,
}

/// Subcommands of `provctl sim`.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Start the emulator (Graph v1.0 + beta, login and managed identity endpoints) and serve
    /// until Ctrl-C.
    Serve(ServeArgs),
}

/// Options of `provctl sim serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// HTTPS port on 127.0.0.1 (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Also serve plain HTTP on this loopback port (0 = pick a free one).
    #[arg(long, value_name = "N")]
    pub http_port: Option<u16>,
    /// Serve this tenant file instead of the built-in demo tenant (format: see the `sim` module docs).
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    pub tenant_file: Option<PathBuf>,
    /// Also serve this tenant file on the same port (repeatable): Graph requests are routed by the
    /// `tid` of their token, sign-ins by the tenant in the login path.
    #[arg(long, value_name = "FILE")]
    pub extra_tenant: Vec<PathBuf>,
    /// Serve a large generated tenant. SPEC: comma-separated sps=N, jobs=N (<= sps), logs=N,
    /// seed=N; e.g. `sps=5000,jobs=800,logs=1000000,seed=7`.
    #[arg(long, value_name = "SPEC", value_parser = parse_generate)]
    pub generate: Option<GenerateSpec>,
    /// Inject faults on Graph routes. SPEC: comma-separated latency=DUR, jitter=DUR,
    /// error-rate=0..1 (500/502/503/504), drop-rate=0..1 (connection closed, no response),
    /// truncate-rate=0..1 (body cut halfway), slow-body=DUR (pause between body chunks), seed=N,
    /// token-endpoint=true (also fault the login routes), claims-challenge=CONTEXT (Conditional
    /// Access: Graph answers 401 with a claims challenge until a user token carries CONTEXT); e.g.
    /// `latency=50ms,jitter=10ms,error-rate=0.1,drop-rate=0.05,seed=7`.
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    pub faults: Option<FaultSpec>,
    /// Length of one simulated provisioning cycle (after start/restart).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_dur)]
    pub cycle: Duration,
    /// Lifetime of issued access tokens.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_dur)]
    pub token_lifetime: Duration,
    /// Device code flow: answer `authorization_pending` this many times before approving.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub device_code_polls: u32,
    /// Turn off throttling (default: logs and provisionOnDemand 5 requests / 10 s).
    #[arg(long)]
    pub no_throttle: bool,
    /// Where to write the generated CA certificate (default: a file in the temp directory).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

fn parse_generate(s: &str) -> Result<GenerateSpec, String> {
    s.parse().map_err(|e: SimError| e.to_string())
}

fn parse_faults(s: &str) -> Result<FaultSpec, String> {
    s.parse().map_err(|e: SimError| e.to_string())
}

fn parse_dur(s: &str) -> Result<Duration, String> {
    crate::sim::parse_duration("duration", s).map_err(|e| e.to_string())
}

/// Run `provctl sim …`.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    match args.command {
        SimCommand::Serve(serve) => run_serve(serve).await,
    }
}

async fn run_serve(args: ServeArgs) -> Result<(), SimError> {
    let tenant = match (args.tenant_file, args.generate) {
        (Some(f), _) => TenantSource::File(f),
        (None, Some(spec)) => TenantSource::Generate(spec),
        (None, None) => TenantSource::Demo,
    };
    let label = match &tenant {
        TenantSource::Demo => "built-in demo tenant".to_string(),
        TenantSource::File(f) => format!("tenant file {}", f.display()),
        TenantSource::Generate(g) => format!(
            "generated tenant: {} service principals, {} jobs, {} logs, seed {}",
            g.sps, g.jobs, g.logs, g.seed
        ),
    };
    let config = SimConfig {
        tenant,
        port: args.port,
        http_port: args.http_port,
        cycle: args.cycle,
        token_lifetime: args.token_lifetime,
        device_code_polls: args.device_code_polls,
        throttle: if args.no_throttle {
            ThrottleConfig::off()
        } else {
            ThrottleConfig::default()
        },
        faults: args.faults.unwrap_or_default(),
        extra_tenants: args
            .extra_tenant
            .into_iter()
            .map(TenantSource::File)
            .collect(),
    };
    let sim = Sim::start(config).await?;
    let base = sim.base_url().clone();
    let port = base.port().unwrap_or(0);
    let ca_path = args
        .ca_file
        .unwrap_or_else(|| std::env::temp_dir().join(format!("provctl-sim-ca-{port}.pem")));
    std::fs::write(&ca_path, sim.ca_pem())?;
    let app = sim.demo_app();
    let tenant = sim.tenant_id().to_string();
    let ca = ca_path.display();
    println!("provctl Graph emulator: {label}");
    println!("  Graph        {base}v1.0/   {base}beta/");
    println!("  Login        {base}{tenant}/oauth2/v2.0/token");
    if let Some(http) = sim.http_base_url() {
        println!("  Plain HTTP   {http} (same routes)");
    }
    println!("  CA cert      {ca}");
    println!("  Tenant id    {tenant}");
    for other in sim.tenant_ids().iter().skip(1) {
        println!("  Also tenant  {other}");
    }
    println!("  Client id    {}", app.client_id);
    println!("  Secret       {}", app.client_secret);
    if let Some(sp) = sim.service_principals_with_jobs().first() {
        println!();
        println!("Try it:");
        println!(
            "  TOKEN=$(curl -s --cacert {ca} -d grant_type=client_credentials -d client_id={} -d 'client_secret={}' --data-urlencode scope=https://graph.microsoft.com/.default {base}{tenant}/oauth2/v2.0/token | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')",
            app.client_id, app.client_secret
        );
        println!(
            "  curl -s --cacert {ca} -H \"Authorization: Bearer $TOKEN\" {base}v1.0/servicePrincipals/{sp}/synchronization/jobs"
        );
    }
    println!();
    println!("Use it with provctl (paste into a POSIX shell):");
    println!("  export PROVCTL_GRAPH_URL={base} PROVCTL_LOGIN_URL={base} PROVCTL_CA_FILE={ca}");
    match sim.user_token() {
        Some(token) => {
            println!(
                "  # signed in as the demo admin (delegated, every role; the token lasts {}):",
                humantime::format_duration(args.token_lifetime)
            );
            println!("  export PROVCTL_ACCESS_TOKEN={token}");
            println!("  # or app-only as the demo app: unset PROVCTL_ACCESS_TOKEN and");
            println!(
                "  #   export AZURE_TENANT_ID={tenant} AZURE_CLIENT_ID={} AZURE_CLIENT_SECRET='{}'",
                app.client_id, app.client_secret
            );
        }
        None => println!(
            "  export AZURE_TENANT_ID={tenant} AZURE_CLIENT_ID={} AZURE_CLIENT_SECRET='{}'",
            app.client_id, app.client_secret
        ),
    }
    println!("  provctl jobs list");
    println!();
    println!("Serving until Ctrl-C.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    let _ = std::fs::remove_file(&ca_path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn serve_parses_specs_and_names_bad_values() {
        let cli = Cli::try_parse_from([
            "sim",
            "serve",
            "--generate",
            "sps=10,jobs=2,logs=100,seed=7",
            "--faults",
            "latency=50ms,error-rate=0.1",
            "--cycle",
            "100ms",
            "--no-throttle",
        ])
        .unwrap();
        let SimCommand::Serve(s) = cli.sim.command;
        assert_eq!(s.generate.unwrap().sps, 10);
        assert_eq!(s.cycle, Duration::from_millis(100));
        let err = Cli::try_parse_from(["sim", "serve", "--faults", "error-rate=7"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("error-rate=`7`"), "{err}");
        let err = Cli::try_parse_from(["sim", "serve", "--cycle", "soon"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`soon`"), "{err}");
    }
}
