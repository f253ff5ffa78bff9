//! `provctl jobs ...`: list, show, start, pause, restart and check synchronization jobs. This module
//! holds what the verbs share: the `--wait` flags and the little formatting helpers the tables
//! use. Naming a job (`JOB` + `--sp`) and discovery with a progress bar are in `cli::resolve`.

mod check;
mod list;
mod pause;
mod restart;
mod show;
mod start;
pub(crate) mod wait;
mod watch;

use clap::Subcommand;

use super::{CliError, Context};
use crate::graph::model::{SynchronizationJob, SynchronizationStatusCode};
use crate::output::Cell;

// Naming a job and listing jobs belong to `cli::resolve`; the verbs here (and older callers)
// keep importing them from `jobs`.
pub use crate::cli::resolve::JobArg;
pub(crate) use crate::cli::resolve::{discover_tenants, partial_result, report_failures, resolve};

pub use check::CheckArgs;
pub use list::ListArgs;
pub use pause::PauseArgs;
pub use restart::RestartArgs;
pub(crate) use restart::finish_with;
pub(crate) use show::Page;
pub use show::ShowArgs;
pub use start::StartArgs;
pub use watch::WatchArgs;

/// `provctl jobs`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Every synchronization job in the tenant, in one table.
    ///
    /// Lists the service principals (GET /servicePrincipals, 999 per page), then their jobs with
    /// JSON $batch (20 service principals per request). `-o json` gives the full Graph job objects,
    /// each with a `servicePrincipal` {id, appId, displayName} added.
    List(ListArgs),
    /// Everything about one job: schedule, status, quarantine, progress, counts, runs, settings.
    Show(ShowArgs),
    /// Restart a job, clearing what --reset names (POST .../restart).
    ///
    /// With --all instead of JOB: every job the selection flags pick, listed first and confirmed
    /// once (--yes in scripts), sent --concurrency at a time; one row per job. Jobs quarantined
    /// for TooManyDeletes are skipped without --force. Exit 8 when some failed, 7 when --wait
    /// sees a job quarantined again.
    Restart(RestartArgs),
    /// Start a paused or quarantined job (POST .../start).
    Start(StartArgs),
    /// Pause a job, keeping its state (POST .../pause).
    Pause(PauseArgs),
    /// For monitoring: one line per unhealthy job (a table on a terminal); exit 0 when all are
    /// healthy, 7 otherwise.
    Check(CheckArgs),
    /// A live view of every job, refreshed in place: status changes highlighted, the running
    /// cycle's progress, until q or Ctrl-C. When stdout is not a terminal, or with --follow, one
    /// line per change instead (NDJSON with -o json), for a script to tail.
    Watch(WatchArgs),
}

/// Runs `provctl jobs ...`.
pub async fn run(ctx: &Context, cmd: JobsCommand) -> Result<(), CliError> {
    match cmd {
        JobsCommand::List(a) => list::run(ctx, a).await,
        JobsCommand::Show(a) => show::run(ctx, a).await,
        JobsCommand::Restart(a) => restart::run(ctx, a).await,
        JobsCommand::Start(a) => start::run(ctx, a).await,
        JobsCommand::Pause(a) => pause::run(ctx, a).await,
        JobsCommand::Check(a) => check::run(ctx, a).await,
        JobsCommand::Watch(a) => watch::run(ctx, a).await,
    }
}

/// A job id shortened for a table: the template and the last six characters
/// (`AD2AADProvisioning…4d5e01`); `provctl jobs show` accepts that suffix back.
pub(crate) fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 24 {
        return id.to_owned();
    }
    let tail: String = chars[chars.len() - 6..].iter().collect();
    format!("…{tail}")
}

/// The status code as shown, with its style.
pub(crate) fn status_cell(job: &SynchronizationJob) -> (String, Cell) {
    let text = job
        .status_code()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| "-".into());
    let style = match job.status_code() {
        Some(SynchronizationStatusCode::Active) => Cell::Good,
        Some(SynchronizationStatusCode::Quarantine) => Cell::Bad,
        Some(SynchronizationStatusCode::Paused) => Cell::Warn,
        _ => Cell::Dim,
    };
    (text, style)
}

/// `APPLICATION/JOB-ID` as messages, prompts and progress lines name a job: the display name is
/// Graph's text, so its control characters are escaped here, once, for every line that prints it.
pub(crate) fn job_label(entry: &crate::graph::sync::JobEntry) -> String {
    crate::output::sanitize::line(&format!(
        "{}/{}",
        entry.service_principal.name(),
        entry.job.id
    ))
    .into_owned()
}

/// Says that the job is already as asked (`what`, e.g. "is already Active") and sends nothing
/// (see [`crate::cli::prompt::nothing_to_change`]).
pub(crate) fn nothing_to_change(
    ctx: &Context,
    entry: &crate::graph::sync::JobEntry,
    what: &str,
) -> Result<(), CliError> {
    let name = job_label(entry);
    let status = entry
        .job
        .status_code()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let doc = serde_json::json!({
        "servicePrincipal": {"id": entry.service_principal.id, "displayName": entry.service_principal.display_name},
        "jobId": entry.job.id,
        "status": status,
    });
    crate::cli::prompt::nothing_to_change(ctx, &format!("{name} {what}"), doc)
}

/// The standard hint for a refused write.
pub(crate) fn confirm_hint() -> &'static str {
    "run it from a terminal to be asked, or add --yes to confirm in a script"
}

/// Prints the exact request for `--dry-run` on stdout.
pub(crate) fn print_dry_run(
    ctx: &Context,
    graph: &crate::graph::GraphClient,
    req: &crate::graph::GraphRequest,
) -> Result<(), CliError> {
    let text = req.to_http_text(&graph.endpoints().graph);
    let doc = serde_json::json!({
        "dryRun": true,
        "method": req.method.as_str(),
        "url": graph.url_for(req).as_str(),
        "body": req.body,
    });
    ctx.out
        .emit_text(&doc, |_| format!("{text}\n(dry run: nothing was sent)"))?;
    Ok(())
}
