//! The command-line side of naming jobs and applications: the `JOB` + `--sp` arguments every
//! job-taking command flattens in, and the calls into the one resolver (`graph::sync::resolve`)
//! with its errors mapped to exit codes (malformed 2, ambiguous 2, refused 4, not found 5,
//! partial 8). A new command that names a job or an `--sp` flattens [`JobArg`] (or [`JobsArg`],
//! one job or `--all` of a selection; [`JobSelectArgs`] are the selection flags) and calls
//! `resolve`, `resolve_sp`, `resolve_log_refs` or `discover` here, and parses nothing itself.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::tenants::{TenantArgs, TenantRun, each_tenant};
use super::{CliError, Context, ErrorKind};
use crate::graph::model::ServicePrincipal;
use crate::graph::sync::{
    self, DiscoverOptions, JobEntry, JobInventory, JobRef, JobSelection, JobState, ResolveError,
    looks_like_guid,
};

/// How a command names one job.
#[derive(Debug, Clone, Args)]
pub struct JobArg {
    /// The job: SP/JOB, a full job id, a template name or unique prefix (AD2AADProvisioning,
    /// salesforce), or the …suffix the tables print. SP is an object id, appId or display name.
    #[arg(value_name = "JOB")]
    pub job: String,

    /// The application (service principal) the job belongs to: object id, appId or display name.
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,
}

impl JobArg {
    /// The reference as the resolver reads it.
    pub fn job_ref(&self) -> JobRef {
        JobRef::parse(&self.job, self.sp.as_deref())
    }
}

/// Which of the listed jobs a command takes: the selection flags of `jobs list`,
/// `quarantine list` and the `--all` actions (`--sp` is the command's own: it narrows the listing
/// itself). [`JobSelectArgs::selection`] hands them to the one filter, `sync::JobSelection`.
#[derive(Debug, Clone, Default, Args)]
pub struct JobSelectArgs {
    /// Only jobs made from this template (AD2AADProvisioning, salesforce, ...; any case).
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Only jobs in this state (any case).
    #[arg(long, value_enum, value_name = "STATUS", ignore_case = true)]
    pub status: Option<JobState>,

    /// Only jobs quarantined for this reason (TooManyDeletes, EncounteredQuarantineException, ...;
    /// any case).
    #[arg(long, value_name = "REASON", value_parser = super::values::Closed::<super::values::KnownQuarantineReason>::new())]
    pub reason: Option<super::values::KnownQuarantineReason>,

    /// Only cloud sync configurations (service principals of application template
    /// 1a4721b3-e57f-4451-ae87-ef078703ec94).
    #[arg(long)]
    pub cloud_sync: bool,
}

impl JobSelectArgs {
    /// The filter over listed jobs (`--cloud-sync` and `--sp` act on the listing itself).
    pub fn selection(&self) -> JobSelection {
        JobSelection {
            template: self.template.clone(),
            state: self.status,
            quarantine_reason: self.reason.clone().map(|r| r.0),
        }
    }

    /// The flags given, as typed (for "only with --all" and "nothing matched" messages).
    pub fn given(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.template.is_some() {
            flags.push("--template");
        }
        if self.status.is_some() {
            flags.push("--status");
        }
        if self.reason.is_some() {
            flags.push("--reason");
        }
        if self.cloud_sync {
            flags.push("--cloud-sync");
        }
        flags
    }
}

/// How an action names its jobs: one `JOB` (+ `--sp`), or `--all` the jobs the selection flags
/// pick (every job of the tenant when none is given).
#[derive(Debug, Clone, Args)]
pub struct JobsArg {
    /// The job: SP/JOB, a full job id, a template name or unique prefix (AD2AADProvisioning,
    /// salesforce), or the …suffix the tables print. SP is an object id, appId or display name.
    #[arg(
        value_name = "JOB",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub job: Option<String>,

    /// The application (service principal) the job belongs to: object id, appId or display name.
    /// With --all: only this application's jobs.
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Act on every job the selection flags (--status, --reason, --template, --cloud-sync, --sp)
    /// pick, after one confirmation (or --yes); instead of JOB.
    #[arg(long)]
    pub all: bool,

    /// The selection flags (only with --all).
    #[command(flatten)]
    pub select: JobSelectArgs,

    /// With --all: how many requests are in flight at once (1-16; default 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: Option<u16>,
}

/// Requests in flight at once for `--all` when `--concurrency` is not given.
pub const DEFAULT_CONCURRENCY: u16 = 4;

/// What a [`JobsArg`] names.
#[derive(Debug, Clone)]
pub enum JobTarget {
    /// One job.
    One(JobArg),
    /// Every selected job.
    All(AllJobs),
}

/// `--all`: every job of the listing (narrowed by `--sp` and `--cloud-sync`) that the selection
/// picks, and how many requests may be in flight at once.
#[derive(Debug, Clone)]
pub struct AllJobs {
    /// `--sp`.
    pub service_principal: Option<String>,
    /// The selection flags.
    pub select: JobSelectArgs,
    /// `--concurrency`.
    pub concurrency: usize,
}

impl JobsArg {
    /// One job or all selected; the selection flags without `--all` are a usage error (2).
    pub fn target(&self) -> Result<JobTarget, CliError> {
        match (&self.job, self.all) {
            (Some(job), false) => {
                let mut given = self.select.given();
                if self.concurrency.is_some() {
                    given.push("--concurrency");
                }
                if !given.is_empty() {
                    return Err(CliError::usage(format!(
                        "{} can only be used with --all, and JOB '{job}' names one job",
                        given.join(", ")
                    ))
                    .hint("drop JOB and add --all to act on every job the selection flags pick"));
                }
                Ok(JobTarget::One(JobArg {
                    job: job.clone(),
                    sp: self.sp.clone(),
                }))
            }
            (None, true) => Ok(JobTarget::All(AllJobs {
                service_principal: self.sp.clone(),
                select: self.select.clone(),
                concurrency: usize::from(self.concurrency.unwrap_or(DEFAULT_CONCURRENCY)),
            })),
            // clap refuses both and neither; say it again rather than guess.
            _ => Err(CliError::usage(
                "name one JOB or give --all (with selection flags), not both",
            )),
        }
    }
}

/// Resolves `JOB` (+ `--sp`) to one job; not found → exit 5, ambiguous → exit 2, both listing the
/// jobs to choose from.
pub(crate) async fn resolve(ctx: &Context, arg: &JobArg) -> Result<JobEntry, CliError> {
    let job = arg.job_ref();
    job.check()?;
    let graph = ctx.graph().await?;
    Ok(job.resolve(graph).await?)
}

/// Resolves an `--sp` value (object id, appId or display name) to one service principal.
pub(crate) async fn resolve_sp(ctx: &Context, value: &str) -> Result<ServicePrincipal, CliError> {
    let graph = ctx.graph().await?;
    Ok(sync::resolve_service_principal(graph, value).await?)
}

/// What `logs … --job X --sp Y` filter on, in the ids the provisioning logs carry: the `jobId`
/// and the `servicePrincipal/id`. With `offline` (a file, no Graph) only values that need no
/// lookup are accepted: a full job id and a service principal object id.
pub(crate) async fn resolve_log_refs(
    ctx: &Context,
    job: Option<&str>,
    sp: Option<&str>,
    offline: bool,
) -> Result<(Option<String>, Option<String>), CliError> {
    let (job, sp) = (
        job.map(str::trim).filter(|s| !s.is_empty()),
        sp.map(str::trim).filter(|s| !s.is_empty()),
    );
    if offline {
        let job_id = match job {
            Some(j) => match JobRef::parse(j, None).job_id_offline()? {
                Some(id) => Some(id.to_owned()),
                None => {
                    return Err(CliError::usage(format!(
                        "--job '{j}': with --file give the full job id (the jobId of the records); names, prefixes and SP/JOB are looked up in Graph"
                    )));
                }
            },
            None => None,
        };
        let sp_id = match sp {
            Some(s) if looks_like_guid(s) => Some(crate::graph::odata::guid(s, "--sp")?),
            Some(s) => {
                return Err(CliError::usage(format!(
                    "--sp '{s}': with --file give the service principal's object id (servicePrincipal.id of the records); names are looked up in Graph"
                )));
            }
            None => None,
        };
        return Ok((job_id, sp_id));
    }
    let graph = ctx.graph().await?;
    let (job_id, sp_id) = match (job, sp) {
        (Some(j), sp) => {
            let r = JobRef::parse(j, sp);
            match (r.job_id_offline()?, &r.service_principal) {
                (Some(id), None) => (Some(id.to_owned()), None),
                _ => {
                    let e = r.resolve(graph).await?;
                    // Narrow to the application only when the user named it.
                    let sp_id = r
                        .service_principal
                        .is_some()
                        .then_some(e.service_principal.id);
                    (Some(e.job.id), sp_id)
                }
            }
        }
        (None, Some(s)) => (
            None,
            Some(sync::resolve_service_principal(graph, s).await?.id),
        ),
        (None, None) => (None, None),
    };
    Ok((job_id, sp_id))
}

impl From<ResolveError> for CliError {
    fn from(e: ResolveError) -> Self {
        let candidates: Vec<String> = e.candidates().to_vec();
        let mut err = match e {
            ResolveError::Graph(g) => return g.into(),
            ResolveError::Invalid { message } => return CliError::usage(message),
            ResolveError::Refused { message, .. } => {
                return CliError::new(ErrorKind::Permission, message).hint(
                    "`provctl doctor auth` lists what your token carries and what each command needs",
                );
            }
            ResolveError::Partial { message } => {
                return CliError::new(ErrorKind::Partial, message)
                    .hint("the warnings above name each application that could not be read");
            }
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
}

/// Lists jobs with a progress bar on stderr, shown only on a terminal and only once the listing
/// has taken longer than a moment. An `--sp` that names no application is not found (5); a token
/// that may read no job list at all is a permission error (4), never an empty list.
/// `progress` is off for one tenant among several (their bars would fight over the line).
pub(crate) async fn discover(
    graph: &crate::graph::GraphClient,
    mut opts: DiscoverOptions,
    progress: bool,
) -> Result<JobInventory, CliError> {
    if !progress {
        let inv = sync::find_jobs(graph, &opts).await?;
        if let Err(e @ ResolveError::Refused { .. }) = inv.outcome() {
            return Err(e.into());
        }
        return Ok(inv);
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
    let inv = sync::find_jobs(graph, &opts).await;
    bar.finish_and_clear();
    let inv = inv?;
    if let Err(e @ ResolveError::Refused { .. }) = inv.outcome() {
        return Err(e.into());
    }
    Ok(inv)
}

/// The jobs of every selected tenant (see [`crate::cli::tenants`]), one progress bar for a
/// single tenant.
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
            crate::output::sanitize::line(f.service_principal.name()),
            crate::output::sanitize::line(&f.service_principal.id),
            crate::output::sanitize::line(&f.message)
        );
    }
}

/// The exit for a listing with failures: partial (8) after printing what worked, saying how many
/// lists were refused.
pub(crate) fn partial_result(inv: &JobInventory) -> Result<(), CliError> {
    Ok(inv.outcome()?)
}
