//! `provctl logs summary`: how many, since when, which errors — totals by status and action, per
//! job, per cycle, and the top error codes and skip reasons with sample objects, over the same
//! filters as `logs search`, from Graph (paced like search) or from a file. The counting is
//! [`crate::diagnose::summary`]; this handler feeds it events and renders the result.

use clap::Args;
use futures::StreamExt;
use serde_json::Value;

use super::{FileArg, FilterArgs, file_error};
use crate::cli::{CliError, Context};
use crate::diagnose::Explanation;
use crate::diagnose::summary::{self, Coverage, LogSummary, ReasonKind, StatusCounts, Summarizer};
use crate::graph::logs::{self, LogQuery, StatusFilter};
use crate::graph::model::SynchronizationJob;
use crate::output::units::{count as thousands, duration};
use crate::output::{Cell, Column, Table};

/// `provctl logs summary` (its examples are in `cli::help::EXAMPLES`).
#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    filters: FilterArgs,

    /// How many error codes and skip reasons to show in the table (all of them in `-o json`).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    top: u16,

    /// How many of the most recent cycles to show in the table (all kept ones in `-o json`).
    #[arg(long, value_name = "N", default_value_t = 10)]
    cycles: u16,

    #[command(flatten)]
    file: FileArg,
}

pub(super) async fn run(ctx: &Context, args: SummaryArgs) -> Result<(), CliError> {
    let mut query = args.filters.to_query(ctx, args.file.file.is_some()).await?;
    query.limit = None;
    let summary = match &args.file.file {
        Some(path) => from_file(path, &query)?,
        None => from_graph(ctx, &query).await?,
    };
    let doc = serde_json::to_value(&summary).unwrap_or(Value::Null);
    let (top, cycles) = (usize::from(args.top), usize::from(args.cycles));
    ctx.out.emit_text(&doc, |color| {
        render(&summary, top, cycles, ctx.out.table_width(), color)
    })?;
    Ok(())
}

/// Every matching event from Graph, one page at a time, paced as `logs search` is.
async fn from_graph(ctx: &Context, query: &LogQuery) -> Result<LogSummary, CliError> {
    let graph = ctx.graph().await?;
    let mut stream = logs::search(graph, query)?;
    let mut s = Summarizer::new();
    while let Some(event) = stream.next().await {
        s.add(&event?);
    }
    Ok(s.finish())
}

/// Events read at most for a job's dominant error: one page, well within Graph's budget of
/// 5 provisioning-log requests per 10 seconds.
const DOMINANT_ERROR_BUDGET: u64 = 1_000;

/// For an escrow-quarantined job, reads its failures since the quarantine series began (at most
/// 30 days back, [`DOMINANT_ERROR_BUDGET`] events) and adds the dominant error to `x`. Anything
/// else is left as it is. A log read that fails is said on stderr and does not fail the command.
pub(crate) async fn add_dominant_error(
    ctx: &Context,
    job: &SynchronizationJob,
    x: &mut Explanation,
) -> Result<(), CliError> {
    if !summary::is_escrow_quarantine(job) {
        return Ok(());
    }
    let now = crate::output::time::now();
    let floor = now - chrono::Duration::days(30);
    let since = job
        .quarantine()
        .and_then(|q| q.series_began.or(q.current_began))
        .map(|t| t.max(floor))
        .unwrap_or(now - chrono::Duration::days(7));
    let query = LogQuery {
        job_id: Some(job.id.clone()),
        status: Some(StatusFilter::Failure),
        since: Some(since),
        limit: Some(DOMINANT_ERROR_BUDGET),
        page_size: Some(u32::try_from(DOMINANT_ERROR_BUDGET).unwrap_or(1_000)),
        ..LogQuery::default()
    };
    let graph = ctx.graph().await?;
    let mut s = Summarizer::new();
    let read = async {
        let mut stream = logs::search(graph, &query)?;
        while let Some(event) = stream.next().await {
            s.add(&event?);
        }
        Ok::<(), CliError>(())
    }
    .await;
    if let Err(e) = read {
        eprintln!(
            "provctl: note: the provisioning logs could not be read for the dominant error: {}",
            crate::output::sanitize::line(&e.to_string())
        );
        return Ok(());
    }
    let coverage = if s.total() >= DOMINANT_ERROR_BUDGET {
        Coverage::CutShort { read: s.total() }
    } else {
        Coverage::Complete
    };
    summary::add_dominant_error(x, &s.finish(), coverage);
    Ok(())
}

/// Every matching record of a file, in file order (a summary does not need time order).
fn from_file(path: &std::path::Path, query: &LogQuery) -> Result<LogSummary, CliError> {
    let mut file = crate::logfile::open(path).map_err(file_error)?;
    // Records that cannot match are skipped by a byte search, before they are parsed.
    file.prefilter(crate::logfile::Prefilter::for_query(query));
    for w in file.warnings() {
        eprintln!(
            "provctl: warning: {}",
            crate::output::sanitize::line(&w.to_string())
        );
    }
    // Read on one thread, counted on the others: the counts do not depend on the order.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut total = Summarizer::new();
    file.fold_parallel(
        workers,
        Summarizer::new,
        |s, record| {
            // Matched and counted on the glanced fields; only a skip or an uncoded failure,
            // whose reason is read from the steps, is parsed in full.
            let fields = record.fields();
            if !query.matches(fields) {
                return Ok(());
            }
            if summary::needs_steps(fields) {
                s.add(&*record.summary()?);
            } else {
                s.add(fields);
            }
            Ok(())
        },
        |s| total.merge(s),
    )
    .map_err(file_error)?;
    Ok(total.finish())
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(crate::output::time::short)
        .unwrap_or_else(|| "-".into())
}

fn status_line(s: &StatusCounts) -> String {
    let mut parts = Vec::new();
    for (name, n) in [
        ("success", s.success),
        ("failure", s.failure),
        ("skipped", s.skipped),
        ("warning", s.warning),
        ("other", s.other),
    ] {
        if n > 0 {
            parts.push(format!("{name} {}", thousands(n)));
        }
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" · ")
    }
}

/// The job column: the service principal's name and the job's template, as the events carry them.
fn job_name(name: Option<&str>, job_id: &str) -> String {
    let template = job_id.split('.').next().unwrap_or(job_id);
    match name {
        Some(n) => format!("{n} ({template})"),
        None => job_id.to_owned(),
    }
}

fn render(s: &LogSummary, top: usize, cycles: usize, width: Option<u16>, color: bool) -> String {
    let mut out = String::new();
    if s.total == 0 {
        out.push_str("No provisioning event matches.\n");
        return out;
    }
    out.push_str(&format!(
        "{} events, {} → {}\n",
        thousands(s.total),
        time(s.first),
        time(s.last)
    ));
    out.push_str(&format!("Status:  {}\n", status_line(&s.status)));
    let actions: Vec<String> = s
        .actions
        .iter()
        .map(|a| format!("{} {}", a.value, thousands(a.count)))
        .collect();
    out.push_str(&format!("Actions: {}\n", actions.join(" · ")));

    // Counts and times never shorten; on a narrow terminal the first-seen time drops before the
    // last, and the job's name shortens down to 16 characters.
    let mut jobs = Table::new([
        Column::new("JOB", "job").min_width(16),
        Column::new("EVENTS", "events").keep(),
        Column::new("FAILED", "failed").keep(),
        Column::new("SKIPPED", "skipped").keep(),
        Column::new("FIRST", "first").keep().priority(2),
        Column::new("LAST", "last").keep().priority(1),
    ]);
    for j in &s.jobs {
        jobs.styled_row(vec![
            (job_name(j.name.as_deref(), &j.job_id), Cell::Plain),
            (thousands(j.status.total()), Cell::Plain),
            (thousands(j.status.failure), bad_if(j.status.failure)),
            (thousands(j.status.skipped), Cell::Plain),
            (time(j.first), Cell::Plain),
            (time(j.last), Cell::Plain),
        ]);
    }
    out.push('\n');
    out.push_str(&jobs.render(width, color));

    if !s.cycles.is_empty() {
        // The cycle id stays whole: it is what `logs search --cycle` takes.
        let mut t = Table::new([
            Column::new("CYCLE", "cycleId").keep(),
            Column::new("FIRST", "first").keep().priority(2),
            Column::new("LAST", "last").keep().priority(3),
            Column::new("DURATION", "duration").keep().priority(1),
            Column::new("EVENTS", "events").keep(),
            Column::new("FAILED", "failed").keep(),
            Column::new("SKIPPED", "skipped").keep(),
        ]);
        for c in s.cycles.iter().take(cycles) {
            t.styled_row(vec![
                (c.cycle_id.clone(), Cell::Dim),
                (time(c.first), Cell::Plain),
                (time(c.last), Cell::Plain),
                (duration(c.duration_seconds), Cell::Plain),
                (thousands(c.status.total()), Cell::Plain),
                (thousands(c.status.failure), bad_if(c.status.failure)),
                (thousands(c.status.skipped), Cell::Plain),
            ]);
        }
        let shown = s.cycles.len().min(cycles);
        if s.cycles_dropped == 0 {
            out.push_str(&format!(
                "\nCycles: the latest {shown} of {}\n",
                s.cycles.len()
            ));
        } else {
            out.push_str(&format!(
                "\nCycles: the latest {shown} (more than {} cycles: the older ones are not counted here)\n",
                summary::MAX_CYCLES
            ));
        }
        out.push_str(&t.render(width, color));
    }

    if !s.reasons.is_empty() {
        // Codes stay whole (they are what the docs and `explain` are searched by); the samples
        // shorten, and the first-seen time drops first.
        let mut t = Table::new([
            Column::new("KIND", "kind").keep(),
            Column::new("CODE", "code").keep(),
            Column::new("COUNT", "count").keep(),
            Column::new("SHARE", "share").keep(),
            Column::new("FIRST SEEN", "firstSeen").keep().priority(3),
            Column::new("LAST SEEN", "lastSeen").keep().priority(2),
            Column::new("SAMPLES", "samples").priority(1),
        ]);
        for r in s.reasons.iter().take(top) {
            let samples: Vec<String> = r
                .samples
                .iter()
                .map(|x| {
                    x.display_name
                        .clone()
                        .or_else(|| x.source_id.clone())
                        .unwrap_or_else(|| x.log_id.clone())
                })
                .collect();
            let style = match r.kind {
                ReasonKind::Failure => Cell::Bad,
                ReasonKind::Warning | ReasonKind::Skip => Cell::Warn,
            };
            t.styled_row(vec![
                (r.kind.as_str().to_owned(), style),
                (r.code.clone(), Cell::Plain),
                (thousands(r.count), Cell::Plain),
                (format!("{:.1}%", r.share * 100.0), Cell::Plain),
                (time(r.first_seen), Cell::Plain),
                (time(r.last_seen), Cell::Plain),
                (samples.join(", "), Cell::Plain),
            ]);
        }
        out.push_str(&format!(
            "\nTop error codes and skip reasons ({} of {}):\n",
            s.reasons.len().min(top),
            s.reasons.len()
        ));
        out.push_str(&t.render(width, color));
        if let Some(first) = s.reasons.first().and_then(|r| r.samples.first()) {
            out.push_str(&format!(
                "\nhint: to explain a sample event:\n  provctl explain log {}\n",
                first.log_id
            ));
        }
    }
    out
}

fn bad_if(n: u64) -> Cell {
    if n > 0 { Cell::Bad } else { Cell::Plain }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field name of `logs summary -o json` is in the formats guide's `logs summary` entry.
    #[test]
    fn every_json_field_is_documented() {
        let mut s = Summarizer::new();
        let e: crate::graph::model::logs::ProvisioningObjectSummary =
            serde_json::from_value(serde_json::json!({
                "id": "1", "activityDateTime": "2026-11-25T10:00:00Z", "jobId": "scim.x",
                "cycleId": "c", "provisioningAction": "create",
                "servicePrincipal": {"id": "sp", "displayName": "App"},
                "sourceIdentity": {"id": "g", "displayName": "Ann"},
                "provisioningStatusInfo": {"status": "failure", "errorInformation": {"errorCode": "E"}}
            }))
            .unwrap_or_else(|e| panic!("{e}"));
        s.add(&e);
        let doc = serde_json::to_value(s.finish()).unwrap_or(Value::Null);
        let guide = crate::output::FORMATS_GUIDE;
        let entry = guide
            .split("\n- ")
            .find(|b| b.starts_with("`logs summary`"))
            .unwrap_or_else(|| panic!("no `logs summary` entry in docs/json-output.md"));
        fn keys(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        out.push(k.clone());
                        keys(v, out);
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        keys(&doc, &mut all);
        assert!(all.len() > 30, "{all:?}");
        for k in all {
            assert!(
                entry.contains(&format!("`{k}`")),
                "`{k}` is not in the logs summary entry of docs/json-output.md"
            );
        }
    }
}
