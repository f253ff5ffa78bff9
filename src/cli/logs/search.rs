//! `provctl logs search`: find provisioning events by object, job, cycle, change, outcome, action
//! and time, from Graph or an offline file. For an object GUID it also answers the "a group is
//! missing in Entra ID" question on stderr: is there any event at all, what was the latest skip or
//! failure, and which `provctl explain` command looks into it.
//!
//! Events are written as they arrive, in every format ([`ListWriter`]: a table in blocks of
//! 1,000 rows), and only what the hints need is kept, so memory does not grow with the number of
//! events. `--query` is the exception: it runs on the whole document, so with a query every event
//! is held. A file can be in any order: `--limit N` keeps the first N by time in a heap of N, and
//! `--all` sorts in bounded memory where the file allows it ([`crate::logfile::all_by_time`]).

use std::io::{BufWriter, Write};

use clap::Args;
use futures::{FutureExt, StreamExt};
use serde_json::Value;

use super::{FileArg, FilterArgs, csv_row, file_error, identity_text, job_text, why};
use crate::cli::{CliError, Context};
use crate::graph::logs::{self, LogQuery};
use crate::graph::model::logs::{ProvisioningObjectSummary, ProvisioningResult};
use crate::logfile::{
    Delivered, Prefilter, Record, SORT_IN_MEMORY, TimeOrder, all_by_time, first_by_time,
};
use crate::output::{Cell, Column, Field, ListWriter, OutputFormat, Row};

/// `provctl logs search`
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    filters: FilterArgs,

    /// At most this many events (default 100; see --all).
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<u64>,

    /// Every matching event (for large ranges prefer `provctl logs export`).
    ///
    /// With --file: up to 4,000 matches are sorted by time. Beyond that, a file already sorted
    /// by time either way (an export is oldest first) is printed in the asked order; any other file
    /// is printed in file order, with a note on stderr (--limit N gives the first N by time).
    #[arg(long)]
    all: bool,

    /// Oldest first (default: newest first).
    #[arg(long)]
    oldest_first: bool,

    #[command(flatten)]
    file: FileArg,
}

const DEFAULT_LIMIT: u64 = 100;

pub(super) async fn run(ctx: &Context, args: SearchArgs) -> Result<(), CliError> {
    let mut query = args.filters.to_query(ctx, args.file.file.is_some()).await?;
    if args.limit == Some(0) {
        return Err(CliError::usage(
            "--limit 0 would show nothing: give a positive number, or --all for every event",
        ));
    }
    query.limit = if args.all {
        None
    } else {
        Some(args.limit.unwrap_or(DEFAULT_LIMIT))
    };
    query.oldest_first = args.oldest_first;
    let stdout = std::io::stdout();
    let mut found = Found::new(ctx, BufWriter::new(stdout.lock()));
    let delivered = match &args.file.file {
        Some(path) => {
            // Nothing printed (`-o none`, no query): the order is not worked out, only the count
            // and the latest problem, which do not depend on it.
            let silent = ctx.out.format == OutputFormat::None && !ctx.out.has_query();
            from_file(path, &query, &mut found, silent)?
        }
        None => {
            from_graph(ctx, &query, &mut found).await?;
            Delivered::InOrder
        }
    };
    let seen = found.finish()?;
    if delivered == Delivered::FileOrder {
        file_order_note(ctx, &query, &seen, args.file.file.as_deref());
    }
    hints(
        ctx,
        &query,
        &seen,
        args.limit.is_none() && !args.all,
        args.file.file.as_deref(),
    );
    Ok(())
}

/// Where the events found go: written out as they come, with only what the hints need kept.
struct Found<'o, W: Write> {
    list: ListWriter<'o, W>,
    csv: bool,
    seen: Seen,
}

/// What the stderr hints need of the events found: how many, and the latest skip or failure.
#[derive(Debug, Default)]
struct Seen {
    count: u64,
    latest_problem: Option<ProvisioningObjectSummary>,
}

impl Seen {
    fn saw(&mut self, r: &ProvisioningObjectSummary) {
        self.count += 1;
        let problem = matches!(
            r.status(),
            Some(ProvisioningResult::Failure | ProvisioningResult::Skipped)
        );
        // The latest by time; of equal times the last printed.
        if problem
            && self
                .latest_problem
                .as_ref()
                .is_none_or(|l| r.activity_date_time >= l.activity_date_time)
        {
            self.latest_problem = Some(r.clone());
        }
    }
}

impl<'o, W: Write> Found<'o, W> {
    fn new(ctx: &'o Context, out: W) -> Self {
        let csv = matches!(ctx.out.format, OutputFormat::Csv | OutputFormat::Tsv);
        let list = if csv {
            ctx.out.list(out, super::CSV_HEADERS)
        } else {
            ctx.out.list(out, table_columns())
        };
        Found {
            list,
            csv,
            seen: Seen::default(),
        }
    }

    fn push(
        &mut self,
        summary: &ProvisioningObjectSummary,
        raw: impl FnOnce() -> Value,
    ) -> Result<(), CliError> {
        self.seen.saw(summary);
        let csv = self.csv;
        self.list.push_with(raw, || {
            if csv {
                csv_row(summary).into_iter().map(Field::new).collect()
            } else {
                table_row(summary)
            }
        })?;
        Ok(())
    }

    fn finish(self) -> Result<Seen, CliError> {
        self.list.finish()?;
        Ok(self.seen)
    }
}

async fn from_graph<W: Write>(
    ctx: &Context,
    query: &LogQuery,
    found: &mut Found<'_, W>,
) -> Result<(), CliError> {
    let graph = ctx.graph().await?;
    let mut stream = logs::search(graph, query)?;
    loop {
        // What has arrived goes out before waiting for the next page.
        let next = match stream.next().now_or_never() {
            Some(next) => next,
            None => {
                found.list.flush()?;
                stream.next().await
            }
        };
        let Some(summary) = next else { break };
        let summary = summary?;
        found.push(&summary, || {
            serde_json::to_value(&summary).unwrap_or(Value::Null)
        })?;
    }
    Ok(())
}

/// Reads a file (in any order): the first N by time from a heap of N, or every match in the
/// asked order where bounded memory allows (see `--all`).
fn from_file<W: Write>(
    path: &std::path::Path,
    query: &LogQuery,
    found: &mut Found<'_, W>,
    silent: bool,
) -> Result<Delivered, CliError> {
    let mut file = crate::logfile::open(path).map_err(file_error)?;
    // Records that cannot match are skipped by a byte search, before they are parsed.
    file.prefilter(Prefilter::for_query(query));
    // Said first: CSV columns are known from the header row.
    for w in file.warnings() {
        eprintln!(
            "provctl: warning: {}",
            crate::output::sanitize::line(&w.to_string())
        );
    }
    let order = if query.oldest_first {
        TimeOrder::OldestFirst
    } else {
        TimeOrder::NewestFirst
    };
    let keep = |r: &Record| query.matches(r.fields());
    // Every record printed is read in full: one that does not fit the model is an error here as
    // in `explain --file`.
    let mut push = |r: Record| -> Result<(), CliError> {
        let summary = r.summary().map_err(file_error)?;
        found.push(&summary, || r.json())
    };
    let delivered = match query.limit {
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let first = first_by_time(&mut file, keep, order, n).map_err(file_error)?;
            for r in first {
                push(r)?;
            }
            Delivered::InOrder
        }
        None if silent => {
            for r in file {
                let r = r.map_err(file_error)?;
                if keep(&r) {
                    push(r)?;
                }
            }
            Delivered::InOrder
        }
        None => all_by_time(&mut file, keep, order, push)?,
    };
    Ok(delivered)
}

/// The table's columns: the time, the event id (`provctl explain log` takes it) and the status
/// never shorten; the job drops first on a narrow terminal, then the source and target.
fn table_columns() -> [Column; 7] {
    [
        Column::new("TIME", "activityDateTime").keep(),
        Column::new("ID", "id").keep(),
        Column::new("ACTION", "action").keep().priority(2),
        Column::new("STATUS", "status").keep(),
        Column::new("SOURCE → TARGET", "sourceTarget").priority(1),
        Column::new("JOB", "job").priority(3),
        Column::new("WHY", "why").min_width(30),
    ]
}

fn table_row(r: &ProvisioningObjectSummary) -> Row {
    let status = r
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "-".into());
    let style = match r.status() {
        Some(ProvisioningResult::Success) => Cell::Good,
        Some(ProvisioningResult::Failure) => Cell::Bad,
        Some(ProvisioningResult::Skipped | ProvisioningResult::Warning) => Cell::Warn,
        _ => Cell::Plain,
    };
    vec![
        Field::time(
            r.activity_date_time,
            r.activity_date_time
                .map(crate::output::time::short)
                .unwrap_or_else(|| "-".into()),
        ),
        Field::new(r.id.clone()).style(Cell::Dim),
        Field::new(
            r.action()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_else(|| "-".into()),
        ),
        Field::new(status).style(style),
        Field::new(format!(
            "{} → {}",
            identity_text(r.source_identity.as_ref()),
            identity_text(r.target_identity.as_ref())
        )),
        Field::new(job_text(r)),
        Field::new(why(r)),
    ]
}

/// Said when `--all` printed a large unsorted file in file order.
fn file_order_note(ctx: &Context, query: &LogQuery, seen: &Seen, path: Option<&std::path::Path>) {
    let (c, c0) = if ctx.stderr_color() {
        ("\x1b[36m", "\x1b[0m")
    } else {
        ("", "")
    };
    let (asked, first) = if query.oldest_first {
        ("oldest first", "oldest")
    } else {
        ("newest first", "newest")
    };
    eprintln!(
        "provctl: note: {} matching events were printed in file order, not {asked}: {} is not sorted by time, and sorting more than {SORT_IN_MEMORY} would mean holding them all in memory",
        seen.count,
        path.map(|p| p.display().to_string()).unwrap_or_default()
    );
    eprintln!(
        "  {c}hint:{c0} --limit N gives the {first} N in order; a file sorted by time either way (as `provctl logs export` writes it) is printed in order however large"
    );
}

/// The stderr hints: nothing found (and why that may be), the latest skip or failure of an object
/// and where to look next, or that the default limit cut the list. With `--file` the file is
/// named where Graph's retained logs would be: retention and sync timing say nothing about a file.
fn hints(
    ctx: &Context,
    query: &LogQuery,
    seen: &Seen,
    default_limit: bool,
    file: Option<&std::path::Path>,
) {
    let color = ctx.stderr_color();
    let (c, c0) = if color {
        ("\x1b[36m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut out = String::new();
    let object = query.object_guid.as_deref().or(query.object_id.as_deref());
    if seen.count == 0 {
        match object {
            Some(g) => {
                out.push_str(&format!(
                    "No provisioning event mentions {g}{}.\n",
                    range_text(query, file)
                ));
                if file.is_some() {
                    out.push_str(&format!(
                        "  {c}hint:{c0} `provctl logs search --object-guid {g}` (without --file) looks in the tenant's logs\n"
                    ));
                } else {
                    out.push_str(&format!("  {c}hint:{c0} likely reasons: the object is outside the configuration's scope (the agent filters by OU or group and never sends it); the sync has not reached it yet (wait for the next cycle, or restart the job); the logs are older than the retention (30 days with Entra ID P1/P2, 7 days without); or this is not the object's id (cloud sync: the AD ObjectGuid, not the Entra object id).\n"));
                    out.push_str(&format!(
                    "  {c}hint:{c0} `provctl explain object {g}` checks scope and provisions on demand\n"
                ));
                }
            }
            None => out.push_str(&format!(
                "No provisioning event matches{}.\n",
                range_text(query, file)
            )),
        }
    } else if let Some(g) = object {
        match &seen.latest_problem {
            Some(r) => {
                out.push_str(&format!(
                    "Latest {} for {g}: {} {} — {}\n",
                    r.status().map(|s| s.as_str()).unwrap_or("event"),
                    r.activity_date_time
                        .map(crate::output::time::short)
                        .unwrap_or_default(),
                    r.id,
                    why(r)
                ));
                out.push_str(&format!(
                    "  {c}hint:{c0} `provctl explain log {}` explains this event; `provctl explain object {g}` looks at the object\n",
                    r.id
                ));
            }
            None => out.push_str(&format!(
                "No skip or failure for {g} among these events: the latest was a success.\n"
            )),
        }
    }
    if default_limit && query.limit.is_some_and(|l| seen.count >= l) {
        out.push_str(&format!(
            "  {c}hint:{c0} showing the first {} events; use --limit N or --all, or `provctl logs export` for large ranges\n",
            seen.count
        ));
    }
    if !out.is_empty() {
        // The reason quotes Graph or the file: escape its controls, keep our colour.
        let out =
            crate::output::sanitize::clean(&out, crate::output::sanitize::Context::ColouredPage);
        let _ = std::io::stderr().write_all(out.as_bytes());
    }
}

fn range_text(q: &LogQuery, file: Option<&std::path::Path>) -> String {
    let t = |d: chrono::DateTime<chrono::Utc>| crate::output::time::short(d);
    let range = match (q.since, q.until) {
        (Some(s), Some(u)) => format!(" between {} and {}", t(s), t(u)),
        (Some(s), None) => format!(" since {}", t(s)),
        (None, Some(u)) => format!(" before {}", t(u)),
        (None, None) if file.is_none() => " in the retained logs".into(),
        (None, None) => String::new(),
    };
    match file {
        Some(f) => format!(" in {}{range}", f.display()),
        None => range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, time: &str, status: &str) -> ProvisioningObjectSummary {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "activityDateTime": time,
            "provisioningStatusInfo": {"status": status},
        }))
        .unwrap_or_default()
    }

    #[test]
    fn the_hints_keep_a_count_and_one_event_not_the_list() {
        let mut seen = Seen::default();
        for (id, time, status) in [
            ("a", "2026-11-02T00:00:00Z", "success"),
            ("b", "2026-11-01T00:00:00Z", "failure"),
            ("c", "2026-11-03T00:00:00Z", "skipped"),
            ("d", "2026-11-03T00:00:00Z", "failure"),
            ("e", "2026-11-02T00:00:00Z", "skipped"),
            ("f", "2026-11-04T00:00:00Z", "success"),
        ] {
            seen.saw(&event(id, time, status));
        }
        assert_eq!(seen.count, 6);
        // The latest skip or failure; of two at the same time, the one printed last (as
        // `max_by_key` over the whole list chose before).
        assert_eq!(seen.latest_problem.map(|r| r.id), Some("d".to_owned()));
    }
}
