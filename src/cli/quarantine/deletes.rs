//! `provctl quarantine deletes JOB`: what a TooManyDeletes job holds back, before anyone confirms
//! `jobs restart --reset force-deletes` — the job's own error (with its count), its last run's
//! counts, its deletion threshold, and the delete and disable events of its current cycle from
//! the provisioning logs. The gathering is [`crate::graph::sync::deletes`]; this renders it.

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::Value;

use crate::cli::jobs::{self, JobArg};
use crate::cli::{CliError, Context};
use crate::graph::permissions::{Operation, grant_sentence};
use crate::graph::sync::deletes::{self, Budget, DeleteEvents, HeldBackDeletes};
use crate::graph::sync::{self, JobEntry};
use crate::output::time::{now, relative, with_relative};
use crate::output::{Cell, Column, Field, OutputFormat, Table};

/// Arguments of `provctl quarantine deletes`.
#[derive(Debug, Clone, Args)]
pub struct QuarantineDeletesArgs {
    /// The job to look at.
    #[command(flatten)]
    pub job: JobArg,

    /// Show at most N events (all are counted; 0 shows only the counts).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
}

/// Runs `provctl quarantine deletes`.
pub async fn run(ctx: &Context, args: QuarantineDeletesArgs) -> Result<(), CliError> {
    let mut entry = jobs::resolve(ctx, &args.job).await?;
    let graph = ctx.graph().await?;
    let (job, raw) = sync::get_job(graph, &entry.key()).await?;
    entry.job = job;
    entry.raw = raw;
    let budget = Budget {
        shown: usize::try_from(args.limit).unwrap_or(usize::MAX),
        pages: None,
    };
    let report =
        deletes::held_back_deletes(graph, &entry.service_principal.id, &entry.job, budget).await?;
    let doc = serde_json::to_value(&report).unwrap_or(Value::Null);
    let csv = matches!(ctx.out.format, OutputFormat::Csv | OutputFormat::Tsv);
    if csv && !ctx.out.has_query() {
        ctx.out.emit(&doc, || events_table(&report, now()))?;
    } else {
        let width = ctx.out.table_width();
        ctx.out
            .emit_text(&doc, |color| render(&entry, &report, now(), width, color))?;
    }
    Ok(())
}

/// The events, one row each (the table of the page, and the rows of `-o csv`).
fn events_table(r: &HeldBackDeletes, now: DateTime<Utc>) -> Table {
    let mut t = Table::new([
        Column::new("TIME", "activityDateTime").keep(),
        Column::new("ACTION", "action").keep(),
        Column::new("STATUS", "status").priority(2),
        Column::new("OBJECT", "sourceName").min_width(16),
        Column::machine("sourceId"),
        Column::machine("targetName"),
        Column::new("TARGET ID", "targetId").keep().priority(1),
        Column::new("ERROR CODE", "errorCode").priority(3),
        Column::new("LOG ID", "id").keep(),
    ]);
    let DeleteEvents::Listed(l) = &r.events else {
        return t;
    };
    let opt = |v: &Option<String>| {
        Field::new(v.clone().unwrap_or_else(|| "-".into())).machine(v.clone().unwrap_or_default())
    };
    for e in &l.events {
        // The object as the source names it; its id when it has no name.
        let object = e
            .source_name
            .clone()
            .or_else(|| e.target_name.clone())
            .or_else(|| e.source_id.as_ref().map(|id| format!("[{id}]")))
            .unwrap_or_else(|| "-".into());
        t.push(vec![
            Field::time(
                e.activity_date_time,
                e.activity_date_time
                    .map(|t| relative(t, now))
                    .unwrap_or_else(|| "-".into()),
            ),
            opt(&e.action).style(Cell::Warn),
            opt(&e.status),
            Field::new(object).machine(e.source_name.clone().unwrap_or_default()),
            opt(&e.source_id),
            opt(&e.target_name),
            opt(&e.target_id),
            opt(&e.error_code),
            Field::new(e.id.clone()),
        ]);
    }
    t
}

/// The page: what the job says, the threshold, then the events of the current cycle.
fn render(
    entry: &JobEntry,
    r: &HeldBackDeletes,
    now: DateTime<Utc>,
    width: Option<u16>,
    color: bool,
) -> String {
    let key = entry.key();
    let mut p = jobs::Page::new(&format!(
        "{} / {}",
        entry.service_principal.name(),
        entry.job.id
    ));
    p.kv(
        "Quarantined",
        if r.quarantined_too_many_deletes {
            "TooManyDeletes".to_owned()
        } else if entry.job.is_quarantined() {
            format!(
                "yes, for {} (not TooManyDeletes)",
                entry
                    .job
                    .quarantine()
                    .and_then(|q| q.reason.as_ref())
                    .map(|x| x.as_str())
                    .unwrap_or("an unknown reason")
            )
        } else {
            "no".to_owned()
        },
    );
    match &r.error {
        Some(e) => p.kv(
            "The job reports",
            format!(
                "{}: {}",
                e.code.as_deref().unwrap_or("-"),
                e.message.as_deref().unwrap_or("(no message)")
            ),
        ),
        None => p.kv("The job reports", "no TooManyDeletes error"),
    }
    if let Some(x) = &r.last_run {
        p.kv(
            "Last run",
            format!(
                "{}, began {}: imported {} ({} deltas), exported {}, escrowed {}",
                x.state.as_deref().unwrap_or("-"),
                with_relative(x.time_began, now),
                x.count_imported,
                x.count_imported_deltas,
                x.count_exported,
                x.count_escrowed
            ),
        );
    }
    let mut threshold = Vec::new();
    if let Some(v) = &r.threshold.job_setting {
        threshold.push(format!("job setting {} = {v}", deletes::THRESHOLD_SETTING));
    }
    if let Some(t) = &r.threshold.cloud_sync {
        threshold.push(if t.enabled {
            format!(
                "SyncNotificationSettings: {} deletes per run{}",
                t.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
                if t.defaulted { " (the default)" } else { "" }
            )
        } else {
            "SyncNotificationSettings: disabled".to_owned()
        });
    }
    if let Some(e) = &r.threshold.cloud_sync_error {
        threshold.push(format!("SyncNotificationSettings unreadable: {e}"));
    }
    if threshold.is_empty() {
        threshold.push("not set on the job".into());
    }
    p.kv("Threshold", threshold.join("\n"));
    if let DeleteEvents::Listed(l) = &r.events {
        p.kv(
            "Current cycle",
            format!(
                "{} (the job's newest event: {})",
                l.cycle_id,
                with_relative(l.newest_event, now)
            ),
        );
    }
    p.kv(
        "Delete events",
        crate::diagnose::deletes::delete_events_line(&r.events),
    );
    let mut out = p.finish();
    match &r.events {
        DeleteEvents::Listed(l) if !l.events.is_empty() => {
            let statuses: Vec<String> = l
                .by_status
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            out.push_str(&format!(
                "\nDelete and disable events of the current cycle ({} of {}, oldest first; status: {}):\n",
                if l.events.len() as u64 == l.total {
                    "all".to_owned()
                } else {
                    format!("the first {}", l.events.len())
                },
                l.total,
                statuses.join(", ")
            ));
            out.push_str(&events_table(r, now).render(width, color));
            if (l.events.len() as u64) < l.total {
                out.push_str(&format!(
                    "Cut short at --limit {}; all {} are counted above (a larger --limit lists more).\n",
                    l.events.len(),
                    l.total
                ));
            }
        }
        DeleteEvents::Refused { .. } => {
            out.push_str(&format!(
                "\n{}\nWithout the logs, the job's own error above is all Graph says about the held-back deletes.\n",
                grant_sentence(Operation::ReadProvisioningLogs)
            ));
        }
        _ => {}
    }
    if r.quarantined_too_many_deletes || r.error.is_some() {
        out.push_str(&format!(
            "\n`provctl jobs restart {key} --reset force-deletes` lets the deletes held back in this cycle through (it asks to confirm).\n"
        ));
    }
    out
}
