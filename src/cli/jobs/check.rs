//! `provctl jobs check`: for monitoring (Nagios, cron, CI). No table: one line per unhealthy job on
//! stdout, or one `OK` line; exit 0 when every job is healthy and 7 when any is quarantined or its
//! last run failed.

use clap::Args;
use serde_json::{Value, json};

use super::{discover, report_failures};
use crate::cli::{CliError, Context, ErrorKind};
use crate::graph::sync::{self, DiscoverOptions, Health, JobEntry};
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
}

/// Runs `provctl jobs check`.
pub async fn run(ctx: &Context, args: CheckArgs) -> Result<(), CliError> {
    let inv = discover(
        ctx,
        DiscoverOptions {
            service_principal: args.sp.clone(),
            cloud_sync_only: args.cloud_sync,
            ..DiscoverOptions::default()
        },
    )
    .await?;
    report_failures(&inv);
    let t = now();
    let bad: Vec<(&JobEntry, Health)> = inv
        .jobs
        .iter()
        .map(|e| (e, sync::health(&e.job)))
        .filter(|(_, h)| {
            matches!(h, Health::Quarantined | Health::Failed)
                || (args.paused_is_unhealthy && *h == Health::Paused)
        })
        .collect();
    let doc = Value::Array(
        bad.iter()
            .map(|(e, h)| {
                json!({
                    "servicePrincipal": {"id": e.service_principal.id, "displayName": e.service_principal.display_name},
                    "jobId": e.job.id,
                    "health": format!("{h:?}").to_ascii_lowercase(),
                    "line": line(e, *h, t),
                })
            })
            .collect(),
    );
    let text = if bad.is_empty() {
        format!("OK: {} job(s), all healthy\n", inv.jobs.len())
    } else {
        bad.iter().map(|(e, h)| line(e, *h, t) + "\n").collect()
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
    if !inv.failures.is_empty() {
        return Err(CliError::new(
            ErrorKind::Partial,
            format!(
                "UNKNOWN: the jobs of {} application(s) could not be listed",
                inv.failures.len()
            ),
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
    let name = format!("{}/{}", e.service_principal.name(), j.id);
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
