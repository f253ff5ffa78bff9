//! `provctl jobs list`: every synchronization job of the tenant in one table, found with one paged
//! service principal listing and `$batch`ed job lists (see `graph::sync::discover_jobs`).

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::Value;

use super::{discover_tenants, partial_result, report_failures, short_id, status_cell};
use crate::cli::tenants::{TenantArgs, failed_tenants, tag, with_tenant_column};
use crate::cli::{CliError, Context};
use crate::graph::model::{SynchronizationJob, SynchronizationStatusCode};
use crate::graph::sync::JobEntry;
use crate::output::time::{now, relative};
use crate::output::{Cell, Table};

/// Arguments of `provctl jobs list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only the jobs of this application (service principal object id, appId or display name).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Only jobs made from this template (AD2AADProvisioning, salesforce, ...; any case).
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Only jobs in this state.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusFilter>,

    /// Only cloud sync configurations (service principals of application template
    /// 1a4721b3-e57f-4451-ae87-ef078703ec94).
    #[arg(long)]
    pub cloud_sync: bool,

    /// Which tenants.
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// `--status` values (synchronizationStatusCode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFilter {
    /// Running on schedule.
    Active,
    /// Paused, state kept.
    Paused,
    /// Quarantined.
    Quarantine,
    /// Configured, first run not completed.
    Notrun,
    /// Never configured.
    Notconfigured,
}

impl StatusFilter {
    fn matches(self, job: &SynchronizationJob) -> bool {
        let want = match self {
            StatusFilter::Active => SynchronizationStatusCode::Active,
            StatusFilter::Paused => SynchronizationStatusCode::Paused,
            StatusFilter::Quarantine => return job.is_quarantined(),
            StatusFilter::Notrun => SynchronizationStatusCode::NotRun,
            StatusFilter::Notconfigured => SynchronizationStatusCode::NotConfigured,
        };
        job.status_code() == Some(&want)
    }
}

/// Runs `provctl jobs list`.
pub async fn run(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let runs = discover_tenants(ctx, &args.tenants, args.sp.clone(), args.cloud_sync).await?;
    let multi = args.tenants.is_multi();
    let mut jobs: Vec<(&str, &JobEntry)> = Vec::new();
    for run in &runs {
        let Ok(inv) = &run.result else { continue };
        report_failures(inv, run.tenant.as_deref());
        let tenant = run.tenant.as_deref().unwrap_or("");
        jobs.extend(
            inv.jobs
                .iter()
                .filter(|e| {
                    args.template.as_deref().is_none_or(|t| {
                        e.job
                            .template()
                            .is_some_and(|have| have.eq_ignore_ascii_case(t))
                    })
                })
                .filter(|e| args.status.is_none_or(|s| s.matches(&e.job)))
                .map(|e| (tenant, e)),
        );
    }
    let doc = Value::Array(
        jobs.iter()
            .map(|(t, e)| tag(e.to_json(), multi.then_some(*t)))
            .collect(),
    );
    ctx.out.emit(&doc, || {
        let entries: Vec<&JobEntry> = jobs.iter().map(|(_, e)| *e).collect();
        let tenants: Vec<&str> = jobs.iter().map(|(t, _)| *t).collect();
        with_tenant_column(table(&entries, now()), multi, &tenants)
    })?;
    if let Some(e) = failed_tenants(&runs, ctx.stderr_color()) {
        return Err(e);
    }
    for run in &runs {
        if let Ok(inv) = &run.result {
            partial_result(inv)?;
        }
    }
    Ok(())
}

/// The `jobs list` table.
pub fn table(jobs: &[&JobEntry], now: DateTime<Utc>) -> Table {
    let mut t = Table::new([
        "APPLICATION",
        "JOB",
        "TEMPLATE",
        "STATUS",
        "QUARANTINE",
        "LAST RUN",
        "NEXT RUN",
        "ESCROWED",
        "STEADY SINCE",
    ]);
    for e in jobs {
        let j = &e.job;
        let quarantine = if j.is_quarantined() {
            j.quarantine()
                .and_then(|q| q.reason.as_ref())
                .map(|r| (r.as_str().to_owned(), Cell::Bad))
                .unwrap_or_else(|| ("yes".into(), Cell::Bad))
        } else {
            ("-".into(), Cell::Dim)
        };
        t.styled_row(vec![
            (e.service_principal.name().to_owned(), Cell::Plain),
            (short_id(&j.id), Cell::Dim),
            (j.template().unwrap_or("-").to_owned(), Cell::Plain),
            status_cell(j),
            quarantine,
            last_run(j, now),
            (next_run(j, now), Cell::Plain),
            escrowed(j),
            (
                j.status
                    .as_ref()
                    .and_then(|s| s.steady_state_first_achieved_time)
                    .map(|t| relative(t, now))
                    .unwrap_or_else(|| "never".into()),
                Cell::Plain,
            ),
        ]);
    }
    t
}

fn last_run(j: &SynchronizationJob, now: DateTime<Utc>) -> (String, Cell) {
    let Some(e) = j.last_execution() else {
        return ("never".into(), Cell::Dim);
    };
    let state = e.state.as_ref().map(|s| s.as_str()).unwrap_or("?");
    let when = e
        .time_ended
        .or(e.time_began)
        .map(|t| format!(" {}", relative(t, now)))
        .unwrap_or_default();
    let style = match state {
        "Succeeded" => Cell::Good,
        "Failed" => Cell::Bad,
        _ => Cell::Warn,
    };
    (format!("{state}{when}"), style)
}

fn next_run(j: &SynchronizationJob, now: DateTime<Utc>) -> String {
    if j.is_quarantined() {
        return j
            .quarantine()
            .and_then(|q| q.next_attempt)
            .map(|t| relative(t, now))
            .unwrap_or_else(|| "-".into());
    }
    if j.status_code() == Some(&SynchronizationStatusCode::Paused) {
        return "paused".into();
    }
    let Some(interval) = j.interval() else {
        return "-".into();
    };
    if interval.is_never() {
        return "no schedule".into();
    }
    match (
        interval.as_duration(),
        j.last_execution().and_then(|e| e.time_began),
    ) {
        (Some(d), Some(began)) => match chrono::Duration::from_std(d) {
            Ok(d) if began + d > now => relative(began + d, now),
            Ok(_) => "due".into(),
            Err(_) => "-".into(),
        },
        _ => "-".into(),
    }
}

fn escrowed(j: &SynchronizationJob) -> (String, Cell) {
    match j.escrowed() {
        Some(0) => ("0".into(), Cell::Plain),
        Some(n) => (n.to_string(), Cell::Warn),
        None => ("-".into(), Cell::Dim),
    }
}
