//! `provctl jobs check`: for monitoring (Nagios, cron, CI). No table: one line per unhealthy job on
//! stdout, or one `OK` line; exit 0 when every job is healthy and 7 when any is quarantined or its
//! last run failed. On a terminal, where those long lines would wrap through the job ids, the
//! unhealthy jobs are a table fitted to the width instead (the exit codes are the same).

use clap::Args;
use serde_json::{Value, json};

use super::{discover_tenants, report_failures};
use crate::cli::tenants::{TenantArgs, failed_tenants, with_tenant_column};
use crate::cli::{CliError, Context, ErrorKind};
use crate::graph::sync::{self, Health, JobEntry};
use crate::output::time::{now, relative};
use crate::output::{Column, Field, OutputFormat, Table};
use chrono::{DateTime, Utc};

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
    let findings: Vec<Finding> = bad
        .iter()
        .map(|(tenant, e, h)| Finding::of(*tenant, e, *h, t))
        .collect();
    let doc = Value::Array(findings.iter().map(Finding::to_json).collect());
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
    // Lines for monitors; a person at a terminal with unhealthy jobs gets the table below.
    let lines = bad.is_empty() || !std::io::IsTerminal::is_terminal(&std::io::stdout());
    if ctx.out.format == OutputFormat::Table && !ctx.out.has_query() && lines {
        use std::io::Write;
        let text = crate::output::sanitize::page(&text);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(crate::output::OutputError::from)?;
    } else {
        ctx.out.emit(&doc, || {
            with_tenant_column(table(&findings), multi, &tenants(&findings))
        })?;
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

/// One unhealthy job as `-o json` carries it: the monitoring line, the fields it is made of under
/// stable names (documented in `docs/json-output.md`), and the Graph job.
struct Finding<'a> {
    tenant: Option<&'a str>,
    entry: &'a JobEntry,
    health: Health,
    line: String,
    reason: Option<String>,
    error_code: Option<String>,
    since: Option<DateTime<Utc>>,
    days_left: Option<i64>,
}

impl<'a> Finding<'a> {
    fn of(
        tenant: Option<&'a str>,
        entry: &'a JobEntry,
        health: Health,
        now: DateTime<Utc>,
    ) -> Self {
        let j = &entry.job;
        let q = j.quarantine().filter(|_| health == Health::Quarantined);
        let since = q.and_then(|q| q.series_began.or(q.current_began));
        let error_code = match q {
            Some(q) => q.error.as_ref().and_then(|e| e.code.clone()),
            None => j
                .last_execution()
                .and_then(|x| x.error.as_ref())
                .and_then(|e| e.code.clone()),
        };
        Finding {
            tenant,
            entry,
            health,
            line: line(entry, health, now),
            reason: q
                .and_then(|q| q.reason.as_ref())
                .map(|r| r.as_str().to_owned()),
            error_code,
            since,
            days_left: since.map(|b| crate::diagnose::days_left(b, now).max(0)),
        }
    }

    fn health(&self) -> String {
        format!("{:?}", self.health).to_ascii_lowercase()
    }

    fn to_json(&self) -> Value {
        let e = self.entry;
        let doc = json!({
            "servicePrincipal": {"id": e.service_principal.id, "displayName": e.service_principal.display_name},
            "jobId": e.job.id,
            "health": self.health(),
            "line": self.line,
            "reason": self.reason,
            "errorCode": self.error_code,
            "since": self.since.map(crate::output::time::machine),
            "daysLeft": self.days_left,
            "job": e.to_json(),
        });
        crate::cli::tenants::tag(doc, self.tenant)
    }
}

/// Each row's tenant, for the TENANT column of a several-tenant run.
fn tenants<'a>(findings: &[Finding<'a>]) -> Vec<&'a str> {
    findings.iter().map(|f| f.tenant.unwrap_or("")).collect()
}

/// `-o csv|tsv`: one row per unhealthy job.
fn table(findings: &[Finding]) -> Table {
    let mut t = Table::new([
        Column::new("APPLICATION", "application").min_width(16),
        Column::machine("servicePrincipalId"),
        Column::new("JOB", "jobId").keep(),
        Column::new("HEALTH", "health").keep(),
        Column::new("REASON", "reason"),
        Column::new("ERROR CODE", "errorCode").priority(2),
        Column::new("SINCE", "since").keep().priority(1),
        Column::new("DAYS LEFT", "daysLeft").keep(),
    ]);
    for f in findings {
        let e = f.entry;
        t.push(vec![
            Field::new(e.service_principal.name()),
            Field::new(e.service_principal.id.clone()),
            Field::id(e.job.id.clone(), super::short_id(&e.job.id)),
            Field::new(f.health()),
            Field::new(f.reason.clone().unwrap_or_default()),
            Field::new(f.error_code.clone().unwrap_or_default()),
            Field::time(
                f.since,
                f.since.map(|s| relative(s, now())).unwrap_or_default(),
            ),
            Field::new(f.days_left.map(|d| d.to_string()).unwrap_or_default()),
        ]);
    }
    t
}

fn line(e: &JobEntry, h: Health, now: chrono::DateTime<chrono::Utc>) -> String {
    let j = &e.job;
    let name = format!(
        "{}/{}",
        crate::output::sanitize::line(e.service_principal.name()),
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
