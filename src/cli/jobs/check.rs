//! `provctl jobs check`: for monitoring (Nagios, cron, CI). No table: one line per unhealthy job on
//! stdout, or one `OK` line; exit 0 when every job is healthy and 7 when any is quarantined or its
//! last run failed.

use clap::Args;
use serde_json::{Value, json};

use super::{discover_tenants, report_failures};
use crate::cli::tenants::{TenantArgs, failed_tenants};
use crate::cli::{CliError, Context, ErrorKind};
use crate::graph::sync::{self, Health, JobEntry};
use crate::output::OutputFormat;
use crate::output::time::{now, relative};

/// Arguments of `provctl jobs check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Only the jobs of this application (object id, appId or display name).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Only cloud sync configurations.
    #[arg(long)]
    pub cloud_sync: bool,

    /// Count paused jobs as unhealthy too.
    #[arg(long)]
    pub paused_is_unhealthy: bool,

    /// Which tenants.
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// Runs `provctl jobs check`.
pub async fn run(ctx: &Context, args: CheckArgs) -> Result<(), CliError> {
    let runs = discover_tenants(ctx, &args.tenants, args.sp.clone(), args.cloud_sync).await?;
    let multi = args.tenants.is_multi();
    let t = now();
    let (mut total, mut sp_failures, mut answered) = (0, 0, 0);
    let mut bad: Vec<(Option<&str>, &JobEntry, Health)> = Vec::new();
    for run in &runs {
        let Ok(inv) = &run.result else { continue };
        answered += 1;
        report_failures(inv, run.tenant.as_deref());
        total += inv.jobs.len();
        sp_failures += inv.failures.len();
        bad.extend(
            inv.jobs
                .iter()
                .map(|e| (run.tenant.as_deref(), e, sync::health(&e.job)))
                .filter(|(_, _, h)| {
                    matches!(h, Health::Quarantined | Health::Failed)
                        || (args.paused_is_unhealthy && *h == Health::Paused)
                }),
        );
    }
    let doc = Value::Array(
        bad.iter()
            .map(|(tenant, e, h)| {
                let mut item = json!({
                    "servicePrincipal": {"id": e.service_principal.id, "displayName": e.service_principal.display_name},
                    "jobId": e.job.id,
                    "health": format!("{h:?}").to_ascii_lowercase(),
                    "line": line(e, *h, t),
                });
                if let (Some(name), Some(o)) = (tenant, item.as_object_mut()) {
                    o.insert("tenant".into(), json!(name));
                }
                item
            })
            .collect(),
    );
    let text = if bad.is_empty() {
        if multi {
            format!("OK: {total} job(s) in {answered} tenant(s), all healthy\n")
        } else {
            format!("OK: {total} job(s), all healthy\n")
        }
    } else {
        bad.iter()
            .map(|(tenant, e, h)| match tenant {
                Some(name) => format!("{name}: {}\n", line(e, *h, t)),
                None => line(e, *h, t) + "\n",
            })
            .collect()
    };
    if ctx.out.format == OutputFormat::Table && !ctx.out.has_query() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(crate::output::OutputError::from)?;
    } else {
        ctx.out.emit_text(&doc, |_| text.clone())?;
    }
    if let Some(e) = failed_tenants(&runs, ctx.stderr_color()) {
        return Err(e);
    }
    if sp_failures > 0 {
        return Err(CliError::new(
            ErrorKind::Partial,
            format!("UNKNOWN: the jobs of {sp_failures} application(s) could not be listed"),
        ));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(ErrorKind::Unhealthy, ""))
    }
}

fn line(e: &JobEntry, h: Health, now: chrono::DateTime<chrono::Utc>) -> String {
    let j = &e.job;
    let name = format!(
        "{}/{}",
        crate::output::strip_controls(e.service_principal.name()),
        j.id
    );
    match h {
        Health::Quarantined => {
            let q = j.quarantine();
            let reason = q
                .and_then(|q| q.reason.as_ref())
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into());
            let since = q
                .and_then(|q| q.series_began.or(q.current_began))
                .map(|t| format!(" since {}", relative(t, now)))
                .unwrap_or_default();
            let code = q
                .and_then(|q| q.error.as_ref())
                .and_then(|e| e.code.as_deref())
                .map(|c| format!(" error={c}"))
                .unwrap_or_default();
            format!("CRITICAL {name} quarantined reason={reason}{code}{since}")
        }
        Health::Failed => {
            let code = j
                .last_execution()
                .and_then(|x| x.error.as_ref())
                .and_then(|e| e.code.as_deref())
                .unwrap_or("-");
            format!("CRITICAL {name} last run failed error={code}")
        }
        Health::Paused => format!("WARNING {name} paused"),
        _ => format!("OK {name}"),
    }
}
