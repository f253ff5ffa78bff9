//! `provctl exporter`: a Prometheus exporter. It refreshes every selected tenant on its own
//! schedule (the `$batch` job discovery, plus agents when the identity may read them) and serves
//! the last snapshots on `/metrics`, with `/healthz` for probes. Scrapes never call Graph; a tenant
//! whose refresh fails keeps its last good data, marked stale. The work is `crate::monitor`'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::metrics::MetricsArgs;
use super::tenants::tenant_clients;
use super::{CliError, Context};
use crate::monitor::exporter::DEFAULT_REFRESH;
use crate::monitor::{DEFAULT_TENANT_CONCURRENCY, Monitor, MonitorOptions};

/// The shortest `--interval`: one refresh per tenant costs ceil(N/999) + ceil(N/20) requests.
const MIN_INTERVAL: Duration = Duration::from_secs(30);

/// Arguments of `provctl exporter`.
#[derive(Debug, Clone, Args)]
pub struct ExporterArgs {
    /// Address to serve `/metrics` and `/healthz` on. Loopback by default; another address
    /// exposes the metrics, unauthenticated, to that network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9899")]
    pub listen: SocketAddr,

    /// Time between refreshes (at least 30s).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,

    /// What to read, and which tenants.
    #[command(flatten)]
    pub what: MetricsArgs,
}

fn parse_interval(value: &str) -> Result<Duration, String> {
    super::parse_interval(
        value,
        MIN_INTERVAL,
        &format!(
            "so each tenant's refreshes stay within Graph's budgets (default {})",
            humantime::format_duration(DEFAULT_REFRESH)
        ),
    )
}

/// Runs `provctl exporter` until Ctrl-C or SIGTERM.
pub async fn run(ctx: &Context, args: ExporterArgs) -> Result<(), CliError> {
    let tenants: Vec<_> = tenant_clients(ctx, &args.what.tenants)
        .await?
        .into_iter()
        .map(|(name, client)| {
            let client = client.map_err(|e| e.message);
            if let Err(why) = &client {
                eprintln!(
                    "provctl: warning: tenant {name} cannot sign in and is reported as down: {}",
                    crate::output::sanitize::line(why)
                );
            }
            (name, client)
        })
        .collect();
    let count = tenants.len();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::general(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::general(format!("cannot listen on {}: {e}", args.listen)))?;
    let monitor = Arc::new(Monitor::new(
        tenants,
        MonitorOptions {
            collect: args.what.collect_options(),
            interval: args.interval,
            concurrency: DEFAULT_TENANT_CONCURRENCY,
        },
    ));
    if !local.ip().is_loopback() {
        eprintln!(
            "provctl: warning: serving metrics without authentication on {local}, reachable from other hosts"
        );
    }
    eprintln!(
        "provctl exporter: serving http://{local}/metrics for {count} tenant(s), refreshing every {}",
        humantime::format_duration(args.interval)
    );
    let refresher = tokio::spawn(monitor.clone().run());
    let served = axum::serve(listener, monitor.router())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    refresher.abort();
    served.map_err(|e| CliError::general(format!("serving on {local} failed: {e}")))
}

/// Ctrl-C, or SIGTERM on Unix (systemd, containers).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
