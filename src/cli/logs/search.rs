//! `provctl logs search`: find provisioning events by object, job, cycle, change, outcome, action
//! and time, from Graph or an offline file. For an object GUID it also answers the "a group is
//! missing in Entra ID" question on stderr: is there any event at all, what was the latest skip or
//! failure, and which `provctl explain` command looks into it.

use std::io::Write;

use clap::Args;
use futures::StreamExt;
use serde_json::Value;

use super::{FileArg, FilterArgs, csv_row, file_error, identity_text, job_text, why};
use crate::cli::{CliError, Context};
use crate::graph::logs::{self, LogQuery};
use crate::graph::model::logs::{ProvisioningObjectSummary, ProvisioningResult};
use crate::output::{Cell, OutputFormat, Table};

/// `provctl logs search`
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    filters: FilterArgs,

    /// At most this many events (default 100; see --all).
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<u64>,

    /// Every matching event (for large ranges prefer `provctl logs export`).
    #[arg(long)]
    all: bool,

    /// Oldest first (default: newest first).
    #[arg(long)]
    oldest_first: bool,

    #[command(flatten)]
    file: FileArg,
}

const DEFAULT_LIMIT: u64 = 100;

/// One event found: the typed record and its JSON.
struct Found {
    summary: ProvisioningObjectSummary,
    raw: Value,
}

pub(super) async fn run(ctx: &Context, args: SearchArgs) -> Result<(), CliError> {
    let mut query = args.filters.to_query()?;
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
    let streaming = ctx.out.format == OutputFormat::Ndjson && !ctx.out.has_query();
    let found = match &args.file.file {
        Some(path) => from_file(path, &query)?,
        None => from_graph(ctx, &query, streaming).await?,
    };
    if !streaming {
        render(ctx, &found)?;
    }
    hints(ctx, &query, &found, args.limit.is_none() && !args.all);
    Ok(())
}

async fn from_graph(
    ctx: &Context,
    query: &LogQuery,
    streaming: bool,
) -> Result<Vec<Found>, CliError> {
    let graph = ctx.graph().await?;
    let mut stream = logs::search(graph, query)?;
    let mut found = Vec::new();
    let mut stdout = std::io::stdout().lock();
    while let Some(r) = stream.next().await {
        let summary = r?;
        let raw = serde_json::to_value(&summary).unwrap_or(Value::Null);
        if streaming {
            // NDJSON streams as pages arrive: memory stays flat for `--all`.
            let line = serde_json::to_string(&raw).unwrap_or_default();
            writeln!(stdout, "{line}").map_err(crate::output::OutputError::from)?;
            // Keep only what the stderr hints need.
            if found.is_empty()
                || matches!(
                    summary.status(),
                    Some(ProvisioningResult::Failure | ProvisioningResult::Skipped)
                )
            {
                found.push(Found {
                    summary,
                    raw: Value::Null,
                });
            }
            continue;
        }
        found.push(Found { summary, raw });
    }
    stdout.flush().map_err(crate::output::OutputError::from)?;
    Ok(found)
}

fn from_file(path: &std::path::Path, query: &LogQuery) -> Result<Vec<Found>, CliError> {
    let file = crate::logfile::open(path).map_err(file_error)?;
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let mut file = file;
    for rec in file.by_ref() {
        let rec = rec.map_err(file_error)?;
        if query.matches(&rec.summary) {
            found.push(Found {
                summary: rec.summary,
                raw: rec.raw,
            });
        }
    }
    warnings.extend(file.warnings());
    for w in warnings {
        eprintln!("provctl: warning: {w}");
    }
    // A file is in any order: sort like Graph would, then apply the limit.
    found.sort_by(|a, b| {
        let o = a
            .summary
            .activity_date_time
            .cmp(&b.summary.activity_date_time);
        if query.oldest_first { o } else { o.reverse() }
    });
    if let Some(l) = query.limit {
        found.truncate(usize::try_from(l).unwrap_or(usize::MAX));
    }
    Ok(found)
}

fn render(ctx: &Context, found: &[Found]) -> Result<(), CliError> {
    if found.is_empty() && ctx.out.format == OutputFormat::Table && !ctx.out.has_query() {
        // An empty table says less than the message on stderr.
        return Ok(());
    }
    let doc = Value::Array(found.iter().map(|f| f.raw.clone()).collect());
    let csv = matches!(ctx.out.format, OutputFormat::Csv | OutputFormat::Tsv);
    ctx.out
        .emit(&doc, || if csv { csv_table(found) } else { table(found) })?;
    Ok(())
}

fn table(found: &[Found]) -> Table {
    let mut t = Table::new([
        "TIME",
        "ID",
        "ACTION",
        "STATUS",
        "SOURCE → TARGET",
        "JOB",
        "WHY",
    ]);
    for f in found {
        let r = &f.summary;
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
        t.styled_row(vec![
            (
                r.activity_date_time
                    .map(crate::output::time::short)
                    .unwrap_or_else(|| "-".into()),
                Cell::Plain,
            ),
            (r.id.clone(), Cell::Dim),
            (
                r.action()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_else(|| "-".into()),
                Cell::Plain,
            ),
            (status, style),
            (
                format!(
                    "{} → {}",
                    identity_text(r.source_identity.as_ref()),
                    identity_text(r.target_identity.as_ref())
                ),
                Cell::Plain,
            ),
            (job_text(r), Cell::Plain),
            (why(r), Cell::Plain),
        ]);
    }
    t
}

fn csv_table(found: &[Found]) -> Table {
    let mut t = Table::new(super::CSV_HEADERS);
    for f in found {
        t.row(csv_row(&f.summary));
    }
    t
}

/// The stderr hints: nothing found (and why that may be), the latest skip or failure of an object
/// and where to look next, or that the default limit cut the list.
fn hints(ctx: &Context, query: &LogQuery, found: &[Found], default_limit: bool) {
    let color = ctx.stderr_color();
    let (c, c0) = if color {
        ("\x1b[36m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut out = String::new();
    let object = query.object_guid.as_deref().or(query.object_id.as_deref());
    if found.is_empty() {
        match object {
            Some(g) => {
                out.push_str(&format!(
                    "No provisioning event mentions {g}{}.\n",
                    range_text(query)
                ));
                out.push_str(&format!("  {c}hint:{c0} likely reasons: the object is outside the configuration's scope (the agent filters by OU or group and never sends it); the sync has not reached it yet (wait for the next cycle, or restart the job); the logs are older than the retention (30 days with Entra ID P1/P2, 7 days without); or this is not the object's id (cloud sync: the AD ObjectGuid, not the Entra object id).\n"));
                out.push_str(&format!(
                    "  {c}hint:{c0} `provctl explain object {g}` checks scope and provisions on demand\n"
                ));
            }
            None => out.push_str(&format!(
                "No provisioning event matches{}.\n",
                range_text(query)
            )),
        }
    } else if let Some(g) = object {
        let latest = found
            .iter()
            .filter(|f| {
                matches!(
                    f.summary.status(),
                    Some(ProvisioningResult::Failure | ProvisioningResult::Skipped)
                )
            })
            .max_by_key(|f| f.summary.activity_date_time);
        match latest {
            Some(f) => {
                let r = &f.summary;
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
    if default_limit && query.limit.is_some_and(|l| found.len() as u64 >= l) {
        out.push_str(&format!(
            "  {c}hint:{c0} showing the first {} events; use --limit N or --all, or `provctl logs export` for large ranges\n",
            found.len()
        ));
    }
    if !out.is_empty() {
        let _ = std::io::stderr().write_all(out.as_bytes());
    }
}

fn range_text(q: &LogQuery) -> String {
    let t = |d: chrono::DateTime<chrono::Utc>| crate::output::time::short(d);
    match (q.since, q.until) {
        (Some(s), Some(u)) => format!(" between {} and {}", t(s), t(u)),
        (Some(s), None) => format!(" since {}", t(s)),
        (None, Some(u)) => format!(" before {}", t(u)),
        (None, None) => " in the retained logs".into(),
    }
}
