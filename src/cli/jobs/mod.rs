//! `provctl jobs ...`: list, show, start, pause, restart and check synchronization jobs. This module
//! holds what the verbs share: naming a job (`JOB` + `--sp`), discovery with a progress bar, the
//! `--wait` flags, and the little formatting helpers the tables use.

mod check;
mod list;
mod pause;
mod restart;
mod show;
mod start;
pub(crate) mod wait;
mod watch;

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::tenants::{TenantArgs, TenantRun, each_tenant};
use super::{CliError, Context, ErrorKind};
use crate::graph::model::{SynchronizationJob, SynchronizationStatusCode};
use crate::graph::sync::{self, DiscoverOptions, JobEntry, JobInventory, JobRef, ResolveError};
use crate::output::Cell;

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
    Restart(RestartArgs),
    /// Start a paused or quarantined job (POST .../start).
    Start(StartArgs),
    /// Pause a job, keeping its state (POST .../pause).
    Pause(PauseArgs),
    /// For monitoring: one line per unhealthy job; exit 0 when all are healthy, 7 otherwise.
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

/// How a command names one job.
#[derive(Debug, Clone, Args)]
pub struct JobArg {
    /// The job: a full job id, SP/JOB, or a template name or unique prefix (AD2AADProvisioning,
    /// salesforce) — with --sp when several applications have one.
    #[arg(value_name = "JOB")]
    pub job: String,

    /// The application (service principal) the job belongs to: object id, appId or display name.
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,
}

/// Resolves `JOB` (+ `--sp`) to one job; not found → exit 5, ambiguous → exit 2, both listing the
/// jobs to choose from.
pub(crate) async fn resolve(ctx: &Context, arg: &JobArg) -> Result<JobEntry, CliError> {
    if arg.job.trim().is_empty() {
        return Err(CliError::usage(
            "JOB is empty; give a full job id, SP/JOB, or a template name (see `provctl jobs list`)",
        ));
    }
    let graph = ctx.graph().await?;
    JobRef::parse(&arg.job, arg.sp.as_deref())
        .resolve(graph)
        .await
        .map_err(resolve_error)
}

fn resolve_error(e: ResolveError) -> CliError {
    let candidates: Vec<String> = e.candidates().to_vec();
    let mut err = match e {
        ResolveError::Graph(g) => return g.into(),
        ResolveError::NotFound { message, .. } => CliError::not_found(message),
        ResolveError::Ambiguous { message, .. } => CliError::usage(message),
    };
    if !candidates.is_empty() {
        let mut list = String::from("the jobs to choose from:");
        for c in &candidates {
            list.push_str("\n      ");
            list.push_str(c);
        }
        err = err.hint(list);
    } else {
        err = err.hint("`provctl jobs list` shows every job and its application");
    }
    err
}

/// Lists jobs, with a progress bar on stderr when `progress` is on (off for one tenant among
/// several: their bars would fight over the line), shown only on a terminal and only once the
/// listing has taken longer than a moment.
pub(crate) async fn discover(
    graph: &crate::graph::GraphClient,
    mut opts: DiscoverOptions,
    progress: bool,
) -> Result<JobInventory, CliError> {
    if !progress {
        return Ok(sync::discover_jobs(graph, &opts).await?);
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} listing jobs {bar:30} {pos}/{len} applications")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let shown = Arc::new(AtomicBool::new(false));
    let on_terminal = std::io::stderr().is_terminal();
    let began = Instant::now();
    {
        let bar = bar.clone();
        let shown = shown.clone();
        opts.progress = Some(Arc::new(move |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if on_terminal
                && began.elapsed().as_millis() > 400
                && !shown.swap(true, Ordering::SeqCst)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }));
    }
    let inv = sync::discover_jobs(graph, &opts).await;
    bar.finish_and_clear();
    Ok(inv?)
}

/// The jobs of every selected tenant (see [`crate::cli::tenants`]): `--sp` and `--cloud-sync`
/// narrow the discovery, one progress bar for a single tenant.
pub(crate) async fn discover_tenants(
    ctx: &Context,
    tenants: &TenantArgs,
    service_principal: Option<String>,
    cloud_sync_only: bool,
) -> Result<Vec<TenantRun<JobInventory>>, CliError> {
    let opts = DiscoverOptions {
        service_principal,
        cloud_sync_only,
        ..DiscoverOptions::default()
    };
    each_tenant(ctx, tenants, |on| {
        let opts = opts.clone();
        async move { discover(&on.graph, opts, !on.multi).await }
    })
    .await
}

/// Prints the service principals whose jobs could not be listed on stderr, naming the tenant in
/// a multi-tenant run.
pub(crate) fn report_failures(inv: &JobInventory, tenant: Option<&str>) {
    let prefix = tenant.map(|t| format!("tenant {t}: ")).unwrap_or_default();
    for f in &inv.failures {
        eprintln!(
            "provctl: warning: {prefix}cannot list the jobs of {} ({}): {}",
            crate::output::strip_controls(f.service_principal.name()),
            f.service_principal.id,
            f.message
        );
    }
}

/// The exit for a listing where the jobs of `failed` of `total` applications could not be listed:
/// partial (8) after printing what worked.
pub(crate) fn partial_result(failed: usize, total: usize) -> Result<(), CliError> {
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::new(
            ErrorKind::Partial,
            format!(
                "the jobs of {failed} of {total} applications could not be listed (see the warnings above)"
            ),
        ))
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
