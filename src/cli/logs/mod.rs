//! `provctl logs`: find everything that happened to one object (`search`), read one entry in full
//! (`show`), and export a large range to a file without losing a record (`export`). `search` and
//! `show` also read offline files (`--file`): exports, Graph dumps, portal downloads, CSV and Azure
//! Monitor exports. `summary` counts across many events: by status, action, job, cycle and reason.

mod export;
mod search;
mod show;
mod summary;

pub(crate) use summary::add_dominant_error;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliError, Context};
use crate::graph::ApiVersion;
use crate::graph::logs::{ActionFilter, LogQuery, StatusFilter, parse_time};
use crate::graph::model::logs::{
    ProvisionedIdentity, ProvisioningObjectSummary, ProvisioningResult,
};
use crate::graph::odata;
use crate::logfile::FileError;

/// `provctl logs ...`
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LogsCommand,
}

/// The `logs` verbs.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Find provisioning events: everything that happened to one object, one job's failures, ...
    ///
    /// Newest first. The table shows one line of "why" (error code or skip reason); `-o json`,
    /// `-o ndjson` and `-o csv` give the records for scripts.
    Search(Box<search::SearchArgs>),
    /// Show one provisioning event in full: identities, systems, the steps as a timeline, and the
    /// modified properties as old → new.
    Show(Box<show::ShowArgs>),
    /// Export a time range to a file, paced to Graph's budget, resumable after a crash or Ctrl-C.
    ///
    /// Writes to FILE.partial beside FILE and renames it into place when complete. A checkpoint
    /// beside it lets `--resume` continue where it stopped (after a crash, a full disk, Ctrl-C),
    /// with every record exactly once. The format follows the extension of FILE. `--out -`
    /// streams NDJSON to stdout, without a checkpoint.
    Export(Box<export::ExportArgs>),
    /// How many, since when, which errors: totals by status and action, per job, per cycle, and
    /// the top error codes and skip reasons with sample objects.
    ///
    /// Takes the filters of `search`, from Graph (every matching event, paced to Graph's budget)
    /// or from a file. Memory stays bounded whatever the range.
    Summary(Box<summary::SummaryArgs>),
}

/// Runs `provctl logs`.
pub async fn run(ctx: &Context, args: LogsArgs) -> Result<(), CliError> {
    match args.command {
        LogsCommand::Search(a) => search::run(ctx, *a).await,
        LogsCommand::Show(a) => show::run(ctx, *a).await,
        LogsCommand::Export(a) => export::run(ctx, *a).await,
        LogsCommand::Summary(a) => summary::run(ctx, *a).await,
    }
}

/// The filters `search` and `export` share.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// The object's AD ObjectGuid (cloud sync) or Entra object id (app provisioning): matches
    /// sourceIdentity/id or targetIdentity/id. Braces and upper case are fine.
    #[arg(long, value_name = "GUID")]
    pub object_guid: Option<String>,

    /// Any object id exactly as Graph stores it (e.g. a target app's own id): matches
    /// sourceIdentity/id or targetIdentity/id, case-sensitive.
    #[arg(long, value_name = "ID")]
    pub object_id: Option<String>,

    /// Part of the source or target object's display name (case-sensitive, as Graph compares).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,

    /// Only this job: a full job id, SP/JOB, a template name or unique prefix, or the …suffix
    /// the tables print (names are looked up in Graph; with --file give the full job id).
    #[arg(long, value_name = "JOB")]
    pub job: Option<String>,

    /// Only this application (service principal): object id, appId or display name (with --file,
    /// the object id).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Only this sync cycle (cycleId).
    #[arg(long, value_name = "CYCLE_ID")]
    pub cycle: Option<String>,

    /// Only this change (changeId: the identifier support asks for).
    #[arg(long, value_name = "CHANGE_ID")]
    pub change: Option<String>,

    /// Only this outcome (any case): success, failure, skipped, warning.
    #[arg(long, value_name = "STATUS", value_parser = super::values::Closed::<StatusFilter>::new())]
    pub status: Option<StatusFilter>,

    /// Only this action (any case): create, update, delete, disable, staged-delete, other.
    #[arg(long, value_name = "ACTION", value_parser = super::values::Closed::<ActionFilter>::new())]
    pub action: Option<ActionFilter>,

    /// Only events after this time: a duration back from now (30m, 2h, 7d) or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only events before this time: a duration back from now (30m, 2h, 7d) or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Records per Graph page ($top, 1 to 1000).
    #[arg(long, value_name = "N", hide_short_help = true)]
    pub page_size: Option<u32>,

    /// Ask the beta endpoint (adds the deprecated `action` and `statusInfo` fields).
    #[arg(long, hide_short_help = true)]
    pub beta: bool,
}

impl FilterArgs {
    /// Validates the flags into a query (bad values: usage errors naming the value). `--job` and
    /// `--sp` go through the one resolver, to the ids the logs carry; `offline` (a file) accepts
    /// only the values that need no Graph lookup.
    pub async fn to_query(&self, ctx: &Context, offline: bool) -> Result<LogQuery, CliError> {
        let now = crate::output::time::now();
        let non_empty = |v: &Option<String>, flag: &str| -> Result<Option<String>, CliError> {
            match v {
                Some(s) if s.trim().is_empty() => Err(CliError::usage(format!(
                    "{flag} is empty: give a value or leave the flag out"
                ))),
                Some(s) => Ok(Some(s.trim().to_owned())),
                None => Ok(None),
            }
        };
        let mut q = LogQuery {
            object_id: non_empty(&self.object_id, "--object-id")?,
            display_name: non_empty(&self.display_name, "--display-name")?,
            job_id: non_empty(&self.job, "--job")?,
            service_principal_id: non_empty(&self.sp, "--sp")?,
            cycle_id: non_empty(&self.cycle, "--cycle")?,
            change_id: non_empty(&self.change, "--change")?,
            page_size: self.page_size,
            version: if self.beta {
                ApiVersion::Beta
            } else {
                ApiVersion::V1
            },
            ..Default::default()
        };
        if let Some(g) = &self.object_guid {
            q.object_guid = Some(odata::guid(g, "--object-guid")?);
        }
        q.status = self.status;
        q.actions = self.action.into_iter().collect();
        if let Some(s) = &self.since {
            q.since = Some(parse_time(s, now, "--since")?);
        }
        if let Some(u) = &self.until {
            q.until = Some(parse_time(u, now, "--until")?);
        }
        if let (Some(since), Some(until), Some(s), Some(u)) =
            (q.since, q.until, &self.since, &self.until)
            && since >= until
        {
            // In the user's own words: "1d" and "2d" are durations back from now.
            let t = crate::output::time::short;
            return Err(CliError::usage(format!(
                "--since {s} ({}) is not before --until {u} ({}): the time range is empty",
                t(since),
                t(until)
            ))
            .hint("durations count back from now, so the larger one is the earlier time: e.g. --since 2d --until 1d"));
        }
        q.validate()?;
        let (job_id, sp_id) = crate::cli::resolve::resolve_log_refs(
            ctx,
            q.job_id.as_deref(),
            q.service_principal_id.as_deref(),
            offline,
        )
        .await?;
        q.job_id = job_id;
        q.service_principal_id = sp_id;
        Ok(q)
    }
}

/// `--file` errors: not found → 5, unreadable/malformed → 1, with the position in the message.
pub(crate) fn file_error(e: FileError) -> CliError {
    use crate::logfile::FileErrorKind;
    let kind = match e.kind {
        FileErrorKind::NotFound => super::ErrorKind::NotFound,
        _ => super::ErrorKind::General,
    };
    let mut err = CliError::new(kind, e.to_string());
    if e.kind == FileErrorKind::Truncated {
        err = err.hint("the file was cut short (an interrupted download or copy?); fetch it again, or use the records before this point");
    }
    err
}

impl From<FileError> for CliError {
    fn from(e: FileError) -> Self {
        file_error(e)
    }
}

/// `name [id]`, or whichever of the two is known.
pub(crate) fn identity_text(i: Option<&ProvisionedIdentity>) -> String {
    let Some(i) = i else {
        return "-".into();
    };
    let name = i.display_name.as_deref().filter(|s| !s.is_empty());
    let id = i.id.as_deref().filter(|s| !s.is_empty());
    match (name, id) {
        (Some(n), Some(id)) => format!("{n} [{id}]"),
        (Some(n), None) => n.to_owned(),
        (None, Some(id)) => format!("[{id}]"),
        (None, None) => "-".into(),
    }
}

/// The job column: the service principal's name and the job's template (`AD2AADProvisioning`).
pub(crate) fn job_text(r: &ProvisioningObjectSummary) -> String {
    let sp = r
        .service_principal
        .as_ref()
        .and_then(|s| s.display_name.as_deref())
        .filter(|s| !s.is_empty());
    let template = r
        .job_id
        .as_deref()
        .and_then(|j| j.split('.').next())
        .filter(|s| !s.is_empty());
    match (sp, template) {
        (Some(s), Some(t)) => format!("{s} ({t})"),
        (Some(s), None) => s.to_owned(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => "-".into(),
    }
}

/// One line of "why": the error code and the start of the reason for a failure; the skip reason
/// (or the skipped step's description) for a skip; nothing for a success.
pub(crate) fn why(r: &ProvisioningObjectSummary) -> String {
    match r.status() {
        Some(ProvisioningResult::Failure) | Some(ProvisioningResult::Warning) => {
            let e = r.error().unwrap_or_default();
            let code = e.error_code.as_deref().unwrap_or("");
            let reason = e.reason.as_deref().map(first_sentence).unwrap_or_default();
            match (code.is_empty(), reason.is_empty()) {
                (false, false) => format!("{code}: {reason}"),
                (false, true) => code.to_owned(),
                (true, false) => reason,
                (true, true) => r
                    .decisive_step()
                    .and_then(|s| s.description.as_deref())
                    .map(first_sentence)
                    .unwrap_or_default(),
            }
        }
        Some(ProvisioningResult::Skipped) => {
            let step = r.decisive_step();
            let reason = r.skip_reason().map(str::to_owned);
            let source_only = r
                .target_identity
                .as_ref()
                .and_then(|t| t.id.as_deref())
                .is_none_or(str::is_empty)
                && r.source_identity
                    .as_ref()
                    .and_then(|s| s.display_name.as_deref())
                    .is_none_or(str::is_empty);
            let desc = step
                .and_then(|s| s.description.as_deref())
                .map(first_sentence);
            match (reason, desc) {
                (Some(r), Some(d)) => format!("{r}: {d}"),
                (Some(r), None) => r,
                (None, Some(d)) => d,
                (None, None) if source_only => {
                    "only a source id: the agent filtered the object (out of scope)".into()
                }
                (None, None) => "skipped".into(),
            }
        }
        _ => String::new(),
    }
}

fn first_sentence(s: &str) -> String {
    let s = s.trim().trim_start_matches("Message:").trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| c == '.' && s[i + 1..].starts_with(' '))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let mut out: String = s[..end].chars().take(110).collect();
    if out.len() < end {
        out.push('…');
    }
    out
}

pub(crate) use crate::export::format::{CSV_HEADERS, csv_row};

/// `--file` as a path argument (shared by `search` and `show`).
#[derive(Debug, Clone, Default, Args)]
pub struct FileArg {
    /// Read this file instead of Graph: a provctl export (NDJSON, JSON, CSV), `logs search -o
    /// json`, a Graph response dump, the portal's Download JSON, or an Azure Monitor
    /// ProvisioningLogs export (the reader `explain --file` uses). `-` reads standard input.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}
