//! `provctl metrics`: one snapshot of every selected tenant's jobs (and agents, when the identity
//! may read them) printed as Prometheus / OpenMetrics text on stdout, for cron and node-exporter's
//! textfile collector. The same metric families as `provctl exporter` (see `crate::monitor`).

use std::io::Write;

use chrono::Utc;
use clap::Args;

use super::tenants::{TenantArgs, each_tenant, failed_tenants, single_tenant_label};
use super::{CliError, Context};
use crate::graph::sync::DiscoverOptions;
use crate::monitor::metrics::{TenantMetrics, encode_metrics};
use crate::monitor::{CollectOptions, collect};
use crate::output::OutputError;

/// Arguments of `provctl metrics`.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Only cloud sync configurations.
    #[arg(long)]
    pub cloud_sync: bool,

    /// Do not read the provisioning agents (two beta calls that need a signed-in user).
    #[arg(long)]
    pub no_agents: bool,

    /// Which tenants.
    #[command(flatten)]
    pub tenants: TenantArgs,
}

impl MetricsArgs {
    /// What each snapshot reads.
    pub fn collect_options(&self) -> CollectOptions {
        CollectOptions {
            discover: DiscoverOptions {
                cloud_sync_only: self.cloud_sync,
                ..DiscoverOptions::default()
            },
            agents: !self.no_agents,
        }
    }
}

/// Runs `provctl metrics`. A tenant that fails is printed as down (`provctl_tenant_up 0`) with
/// the others, and the command exits 8 naming it.
pub async fn run(ctx: &Context, args: MetricsArgs) -> Result<(), CliError> {
    let opts = args.collect_options();
    let runs = each_tenant(ctx, &args.tenants, |on| {
        let opts = opts.clone();
        async move {
            let snap = collect(&on.graph, &opts).await?;
            Ok((snap, on.graph))
        }
    })
    .await?;
    let single = single_tenant_label(ctx)?;
    let at = Utc::now();
    let metrics: Vec<TenantMetrics<'_>> = runs
        .iter()
        .map(|r| {
            let ok = r.result.as_ref().ok();
            TenantMetrics {
                tenant: r.tenant.as_deref().unwrap_or(&single),
                snapshot: ok.map(|(snap, _)| snap),
                last_refresh_failed: ok.is_none(),
                last_attempt: Some(at),
                refresh_failures: u64::from(ok.is_none()),
                stats: ok.map(|(_, graph)| graph.stats()),
            }
        })
        .collect();
    let text = encode_metrics(&metrics, at);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(OutputError::from)?;
    match failed_tenants(&runs, ctx.stderr_color()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
