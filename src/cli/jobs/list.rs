//! `provctl jobs list`: every synchronization job of the tenant in one table, found with one paged
//! service principal listing and `$batch`ed job lists (see `graph::sync::discover_jobs`).

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::Value;

use super::{discover_tenants, partial_result, report_failures, short_id, status_cell};
use crate::cli::resolve::JobSelectArgs;
use crate::cli::tenants::{TenantArgs, failed_tenants, tag, with_tenant_column};
use crate::cli::{CliError, Context};
use crate::graph::model::{SynchronizationJob, SynchronizationStatusCode};
use crate::graph::sync::JobEntry;
use crate::output::time::{now, relative};
use crate::output::{Cell, Column, Field, Table};

/// Arguments of `provctl jobs list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only the jobs of this application (service principal object id, appId or display name).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Which jobs.
    #[command(flatten)]
    pub select: JobSelectArgs,

    /// Which tenants.
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// Runs `provctl jobs list`.
pub async fn run(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let runs =
        discover_tenants(ctx, &args.tenants, args.sp.clone(), args.select.cloud_sync).await?;
    let multi = args.tenants.is_multi();
    let selection = args.select.selection();
    let mut jobs: Vec<(&str, &JobEntry)> = Vec::new();
    for run in &runs {
        let Ok(inv) = &run.result else { continue };
        report_failures(inv, run.tenant.as_deref());
        let tenant = run.tenant.as_deref().unwrap_or("");
        jobs.extend(
            inv.jobs
                .iter()
                .filter(|e| selection.matches(&e.job))
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

/// The `jobs list` table: on a narrow terminal the steady-state time, the template and the
/// escrow count drop first; the application name and the quarantine reason shorten; the job id and
/// status always show. `-o csv|tsv` carry the full ids and RFC 3339 times in columns of their own.
pub fn table(jobs: &[&JobEntry], now: DateTime<Utc>) -> Table {
    let mut t = Table::new([
        Column::new("APPLICATION", "application").min_width(16),
        Column::machine("servicePrincipalId"),
        Column::new("JOB", "jobId").keep(),
        Column::new("TEMPLATE", "templateId").priority(3),
        Column::new("STATUS", "status").keep(),
        Column::new("QUARANTINE", "quarantineReason").priority(1),
        Column::human("LAST RUN").keep().priority(1),
        Column::machine("lastRunState"),
        Column::machine("lastRunTime"),
        Column::new("NEXT RUN", "nextRun").keep().priority(2),
        Column::new("ESCROWED", "escrowed").keep().priority(2),
        Column::new("STEADY SINCE", "steadySince")
            .keep()
            .priority(4),
    ]);
    for e in jobs {
        let j = &e.job;
        let quarantine = if j.is_quarantined() {
            let reason = j
                .quarantine()
                .and_then(|q| q.reason.as_ref())
                .map(|r| r.as_str().to_owned());
            Field::new(reason.clone().unwrap_or_else(|| "yes".into()))
                .machine(reason.unwrap_or_default())
                .style(Cell::Bad)
        } else {
            Field::new("-").machine("").style(Cell::Dim)
        };
        let (status, style) = status_cell(j);
        let run = j.last_execution();
        let run_time = run.and_then(|e| e.time_ended.or(e.time_began));
        let (next, next_at) = next_run(j, now);
        let steady = j
            .status
            .as_ref()
            .and_then(|s| s.steady_state_first_achieved_time);
        t.push(vec![
            Field::new(e.service_principal.name()),
            Field::new(e.service_principal.id.clone()),
            Field::id(j.id.clone(), short_id(&j.id)),
            Field::new(j.template().unwrap_or("-")).machine(j.template().unwrap_or("")),
            Field::new(status).style(style),
            quarantine,
            last_run(j, now).into(),
            Field::new(
                run.and_then(|e| e.state.as_ref())
                    .map(|s| s.as_str())
                    .unwrap_or(""),
            ),
            Field::time(run_time, ""),
            Field::new(next.clone()).machine(match next_at {
                Some(at) => crate::output::time::machine(at),
                None => next,
            }),
            escrowed(j).into(),
            Field::time(
                steady,
                steady
                    .map(|t| relative(t, now))
                    .unwrap_or_else(|| "never".into()),
            ),
        ]);
    }
    t
}

fn last_run(j: &SynchronizationJob, now: DateTime<Utc>) -> (String, Cell) {
    let Some(e) = j.last_execution() else {
        // Includes Graph's placeholder run of a job that never ran (state Failed, year-1 times).
        return ("not run yet".into(), Cell::Dim);
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

/// When the job runs next, for people (`in 3h`, `paused`, `due`), and as a time when there is one.
fn next_run(j: &SynchronizationJob, now: DateTime<Utc>) -> (String, Option<DateTime<Utc>>) {
    if j.is_quarantined() {
        let at = j.quarantine().and_then(|q| q.next_attempt);
        return (
            at.map(|t| relative(t, now)).unwrap_or_else(|| "-".into()),
            at,
        );
    }
    if j.status_code() == Some(&SynchronizationStatusCode::Paused) {
        return ("paused".into(), None);
    }
    let Some(interval) = j.interval() else {
        return ("-".into(), None);
    };
    if interval.is_never() {
        return ("no schedule".into(), None);
    }
    match (
        interval.as_duration(),
        j.last_execution().and_then(|e| e.time_began),
    ) {
        (Some(d), Some(began)) => match chrono::Duration::from_std(d) {
            Ok(d) if began + d > now => (relative(began + d, now), Some(began + d)),
            Ok(_) => ("due".into(), None),
            Err(_) => ("-".into(), None),
        },
        _ => ("-".into(), None),
    }
}

fn escrowed(j: &SynchronizationJob) -> (String, Cell) {
    match j.escrowed() {
        Some(0) => ("0".into(), Cell::Plain),
        Some(n) => (n.to_string(), Cell::Warn),
        None => ("-".into(), Cell::Dim),
    }
}
