//! `provctl quarantine list|show|clear`: the quarantined jobs of a tenant, why each is quarantined
//! (the explanation comes from `crate::diagnose`), how many days are left before the service
//! disables it, and clearing it the way Microsoft documents.

mod deletes;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::bulk::{Bulk, BulkVerb};
use super::jobs::wait::{WaitArgs, wait};
use super::jobs::{self, JobArg};
use super::resolve::{JobSelectArgs, JobTarget, JobsArg};
use super::tenants::{TenantArgs, failed_tenants, tag, with_tenant_column};
use super::{CliError, Context};
use crate::diagnose;
use crate::graph::sync::{self, ActionPlan, JobEntry, RunMarker};
use crate::output::time::{now, relative, with_relative};
use crate::output::{Cell, Column, Field, Table};

/// `provctl quarantine`.
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Only the quarantined jobs: reason, since when, re-evaluations, next attempt, error code, the
    /// likely cause, and the days left before the service disables the job (~28 days after the
    /// quarantine series began).
    List(QuarantineListArgs),
    /// The full story of one quarantined job, and the fix.
    Show(QuarantineShowArgs),
    /// Clear a job's quarantine: POST .../start.
    ///
    /// Microsoft's start documentation says: "If the job is in quarantine, the quarantine status is
    /// cleared", and the restart documentation says to use start (not resetScope None) to start a
    /// quarantined job. Start keeps the watermark and the escrows, so the next run continues from
    /// where the job stopped and retries the failed objects; if the cause is not fixed the job is
    /// quarantined again. To also forget the retry queue or re-evaluate every object, use
    /// `provctl jobs restart --reset quarantine,escrows[,watermark]` instead. A TooManyDeletes
    /// quarantine is refused: start lifts it but the held-back deletes still block the next run;
    /// after checking the deletes, use `provctl jobs restart --reset force-deletes`.
    ///
    /// With --all instead of JOB: every job the selection flags pick, listed first and confirmed
    /// once (--yes in scripts), sent --concurrency at a time; one row per job (sent, failed,
    /// skipped for TooManyDeletes without --force, nothing to change). Exit 8 when some failed,
    /// 7 when --wait sees a job quarantined again.
    Clear(QuarantineClearArgs),
    /// What a TooManyDeletes job holds back: the job's error and counts, its deletion threshold,
    /// and the delete and disable events of its current cycle from the provisioning logs — what
    /// `provctl jobs restart JOB --reset force-deletes` would let through.
    ///
    /// The current cycle is the cycleId of the job's newest provisioning event. Every event is
    /// counted; the table shows the first --limit of them, oldest first. Graph has no other list
    /// of pending deletes: when the logs hold none for the job, or cannot be read, this says so.
    Deletes(deletes::QuarantineDeletesArgs),
}

/// Arguments of `provctl quarantine list`.
#[derive(Debug, Clone, Args)]
pub struct QuarantineListArgs {
    /// Only the jobs of this application (object id, appId or display name).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Which of the quarantined jobs.
    #[command(flatten)]
    pub select: JobSelectArgs,

    /// Which tenants.
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// Arguments of `provctl quarantine show`.
#[derive(Debug, Clone, Args)]
pub struct QuarantineShowArgs {
    /// The job to act on.
    #[command(flatten)]
    pub job: JobArg,
}

/// Arguments of `provctl quarantine clear`.
#[derive(Debug, Clone, Args)]
pub struct QuarantineClearArgs {
    /// The job to act on, or --all.
    #[command(flatten)]
    pub jobs: JobsArg,

    /// Clear a TooManyDeletes quarantine with start anyway (with --all: include the jobs
    /// quarantined for TooManyDeletes instead of skipping them).
    #[arg(long)]
    pub force: bool,

    /// Confirm --all without being asked (needed when stdin is not a terminal); one job is
    /// cleared without a question.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print the exact HTTP request(s) and send nothing that changes a job.
    #[arg(long)]
    pub dry_run: bool,

    /// Whether and how long to wait for the next run.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// Runs `provctl quarantine ...`.
pub async fn run(ctx: &Context, cmd: QuarantineCommand) -> Result<(), CliError> {
    match cmd {
        QuarantineCommand::List(a) => list(ctx, a).await,
        QuarantineCommand::Show(a) => show(ctx, a).await,
        QuarantineCommand::Clear(a) => clear(ctx, a).await,
        QuarantineCommand::Deletes(a) => deletes::run(ctx, a).await,
    }
}

async fn list(ctx: &Context, args: QuarantineListArgs) -> Result<(), CliError> {
    let selection = args.select.selection();
    let runs =
        jobs::discover_tenants(ctx, &args.tenants, args.sp.clone(), args.select.cloud_sync).await?;
    let multi = args.tenants.is_multi();
    let mut quarantined: Vec<(&str, &JobEntry)> = Vec::new();
    let (mut looked_jobs, mut looked_sps) = (0, 0);
    for run in &runs {
        let Ok(inv) = &run.result else { continue };
        jobs::report_failures(inv, run.tenant.as_deref());
        looked_jobs += inv.jobs.len();
        looked_sps += inv.service_principals;
        let tenant = run.tenant.as_deref().unwrap_or("");
        quarantined.extend(
            inv.jobs
                .iter()
                .filter(|e| e.job.is_quarantined() && selection.matches(&e.job))
                .map(|e| (tenant, e)),
        );
    }
    let t = now();
    let doc = Value::Array(
        quarantined
            .iter()
            .map(|(tenant, e)| {
                let mut doc = e.to_json();
                doc["computed"] = Summary::of(e, t).to_json();
                tag(doc, multi.then_some(*tenant))
            })
            .collect(),
    );
    if quarantined.is_empty()
        && ctx.out.format == crate::output::OutputFormat::Table
        && !ctx.out.has_query()
    {
        ctx.out.emit_text(&doc, |_| {
            format!(
                "No quarantined jobs ({looked_jobs} job(s) in {looked_sps} application(s) looked at)."
            )
        })?;
    } else {
        ctx.out.emit(&doc, || {
            let entries: Vec<&JobEntry> = quarantined.iter().map(|(_, e)| *e).collect();
            let tenants: Vec<&str> = quarantined.iter().map(|(t, _)| *t).collect();
            with_tenant_column(table(&entries, t), multi, &tenants)
        })?;
    }
    if let Some(e) = failed_tenants(&runs, ctx.stderr_color()) {
        return Err(e);
    }
    for run in &runs {
        if let Ok(inv) = &run.result {
            jobs::partial_result(inv)?;
        }
    }
    Ok(())
}

/// What `quarantine list` works out for one job, shown in the table and carried in `-o json` under
/// `computed` beside the Graph job (names documented in `docs/json-output.md`).
struct Summary {
    reason: Option<String>,
    since: Option<DateTime<Utc>>,
    re_evaluations: i64,
    next_attempt: Option<DateTime<Utc>>,
    error_code: Option<String>,
    days_left: Option<i64>,
    disable_around: Option<DateTime<Utc>>,
    cause: String,
}

impl Summary {
    fn of(e: &JobEntry, now: DateTime<Utc>) -> Summary {
        let q = e.job.quarantine().cloned().unwrap_or_default();
        let since = q.series_began.or(q.current_began);
        let code = error_code(&q);
        Summary {
            reason: q.reason.as_ref().map(|r| r.as_str().to_owned()),
            since,
            re_evaluations: q.series_count,
            next_attempt: q.next_attempt,
            error_code: (code != "-").then_some(code),
            days_left: since.map(|b| diagnose::days_left(b, now).max(0)),
            disable_around: since.map(|b| {
                b + chrono::Duration::days(crate::graph::model::job::QUARANTINE_DISABLE_AFTER_DAYS)
            }),
            cause: cause(&e.job),
        }
    }

    fn to_json(&self) -> Value {
        let time = |t: Option<DateTime<Utc>>| t.map(crate::output::time::machine);
        json!({
            "reason": self.reason,
            "since": time(self.since),
            "reEvaluations": self.re_evaluations,
            "nextAttempt": time(self.next_attempt),
            "errorCode": self.error_code,
            "daysLeft": self.days_left,
            "disableAround": time(self.disable_around),
            "cause": self.cause,
        })
    }
}

/// The `quarantine list` table: the job id and the days left always show; on a narrow terminal
/// the re-evaluations and next attempt drop first, and the reason and cause shorten.
pub fn table(jobs: &[&JobEntry], now: DateTime<Utc>) -> Table {
    let mut t = Table::new([
        Column::new("APPLICATION", "application").min_width(16),
        Column::machine("servicePrincipalId"),
        Column::new("JOB", "jobId").keep(),
        Column::new("REASON", "reason").priority(1),
        Column::new("SINCE", "since").keep().priority(2),
        Column::new("RE-EVALS", "reEvaluations").keep().priority(3),
        Column::new("NEXT ATTEMPT", "nextAttempt")
            .keep()
            .priority(3),
        Column::new("ERROR CODE", "errorCode").priority(2),
        Column::new("DAYS LEFT", "daysLeft").keep(),
        Column::new("CAUSE", "cause").priority(1).min_width(24),
    ]);
    for e in jobs {
        let s = Summary::of(e, now);
        let rel =
            |t: Option<DateTime<Utc>>| t.map(|t| relative(t, now)).unwrap_or_else(|| "-".into());
        t.push(vec![
            Field::new(e.service_principal.name()),
            Field::new(e.service_principal.id.clone()),
            Field::id(e.job.id.clone(), jobs::short_id(&e.job.id)),
            Field::new(s.reason.clone().unwrap_or_else(|| "-".into()))
                .machine(s.reason.clone().unwrap_or_default())
                .style(Cell::Bad),
            Field::time(s.since, rel(s.since)),
            Field::new(s.re_evaluations.to_string()),
            Field::time(s.next_attempt, rel(s.next_attempt)),
            Field::new(s.error_code.clone().unwrap_or_else(|| "-".into()))
                .machine(s.error_code.clone().unwrap_or_default()),
            match s.days_left {
                Some(d) if d <= 7 => Field::new(d.to_string()).style(Cell::Bad),
                Some(d) => Field::new(d.to_string()).style(Cell::Warn),
                None => Field::new("-").machine("").style(Cell::Dim),
            },
            Field::new(s.cause),
        ]);
    }
    t
}

/// The quarantine's error code, or `-` when there is none or it only repeats the reason.
fn error_code(q: &crate::graph::model::SynchronizationQuarantine) -> String {
    let code = q.error.as_ref().and_then(|e| e.code.as_deref());
    let reason = q.reason.as_ref().map(|r| r.as_str());
    match code {
        Some(c) if Some(c) != reason && !c.is_empty() => c.to_owned(),
        _ => "-".into(),
    }
}

/// The likely cause, from `crate::diagnose`, without the reason/code label the table already shows.
fn cause(job: &crate::graph::model::SynchronizationJob) -> String {
    let line = diagnose::quarantine_one_liner(job).unwrap_or_default();
    match line.split_once(": ") {
        Some((_, cause)) => cause.to_owned(),
        None => line,
    }
}

async fn show(ctx: &Context, args: QuarantineShowArgs) -> Result<(), CliError> {
    let mut entry = jobs::resolve(ctx, &args.job).await?;
    let graph = ctx.graph().await?;
    let (job, raw) = sync::get_job(graph, &entry.key()).await?;
    entry.job = job;
    entry.raw = raw;
    let t = now();
    let mut explanation = diagnose::explain_job(&entry.job, Some(&entry.service_principal), t);
    super::logs::add_dominant_error(ctx, &entry.job, &mut explanation).await?;
    add_held_back_deletes(ctx, &entry.job, &mut explanation).await?;
    let doc = json!({"job": entry.to_json(), "explanation": explanation});
    let width = ctx.out.width.map(usize::from).unwrap_or(100);
    ctx.out
        .emit_text(&doc, |_| render_show(&entry, &explanation, t, width))?;
    Ok(())
}

/// For a job that reports TooManyDeletes, counts the delete events of its current cycle (one page
/// of the log at most, within Graph's pacing budget) and adds them to `x` as evidence; the full
/// list is `provctl quarantine deletes`. A log read that fails is said on stderr and does not fail
/// the command.
pub(crate) async fn add_held_back_deletes(
    ctx: &Context,
    job: &crate::graph::model::SynchronizationJob,
    x: &mut diagnose::Explanation,
) -> Result<(), CliError> {
    if job.too_many_deletes_error().is_none() {
        return Ok(());
    }
    let graph = ctx.graph().await?;
    let budget = sync::deletes::Budget {
        shown: 0,
        pages: Some(1),
    };
    match sync::deletes::delete_events(graph, &job.id, budget).await {
        Ok(events) => diagnose::deletes::add_held_back_deletes(x, &events),
        Err(e) => eprintln!(
            "provctl: note: the provisioning logs could not be read for the held-back deletes: {e}"
        ),
    }
    Ok(())
}

/// The `quarantine show` page: the quarantine facts, then the explanation from `crate::diagnose`.
pub fn render_show(
    e: &JobEntry,
    explanation: &diagnose::Explanation,
    now: DateTime<Utc>,
    width: usize,
) -> String {
    let j = &e.job;
    let mut p = jobs::Page::new(&format!("{} / {}", e.service_principal.name(), j.id));
    if let Some(q) = j.quarantine().filter(|_| j.is_quarantined()) {
        p.kv(
            "Quarantined",
            q.reason
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or("unknown reason"),
        );
        p.kv("Series began", with_relative(q.series_began, now));
        p.kv("Last imposed", with_relative(q.current_began, now));
        p.kv("Re-evaluations", q.series_count.to_string());
        p.kv("Next attempt", with_relative(q.next_attempt, now));
        if let Some(b) = q.series_began.or(q.current_began) {
            let left = diagnose::days_left(b, now);
            let at =
                b + chrono::Duration::days(crate::graph::model::job::QUARANTINE_DISABLE_AFTER_DAYS);
            p.kv(
                "Disabled around",
                format!(
                    "{} ({} days left)",
                    crate::output::time::short(at),
                    left.max(0)
                ),
            );
        }
        if let Some(err) = &q.error {
            p.kv(
                "Error",
                format!(
                    "{}{}\n{}",
                    err.code.as_deref().unwrap_or("-"),
                    if err.tenant_actionable {
                        " (you can fix this)"
                    } else {
                        ""
                    },
                    err.message.as_deref().unwrap_or("")
                ),
            );
        }
    } else {
        p.kv(
            "Quarantined",
            format!(
                "no (status {})",
                j.status_code().map(|c| c.as_str()).unwrap_or("unknown")
            ),
        );
    }
    let mut out = p.finish();
    out.push('\n');
    out.push_str(&diagnose::render_text(explanation, width));
    out
}

async fn clear(ctx: &Context, args: QuarantineClearArgs) -> Result<(), CliError> {
    let one = match args.jobs.target()? {
        JobTarget::One(one) => one,
        JobTarget::All(all) => {
            let bulk = Bulk::new(
                BulkVerb::Clear,
                args.force,
                args.yes,
                args.dry_run,
                &args.wait,
            );
            return bulk.run(ctx, &all).await;
        }
    };
    let entry = jobs::resolve(ctx, &one).await?;
    let key = entry.key();
    let name = super::jobs::job_label(&entry);
    let reason = entry.job.quarantine().and_then(|q| q.reason.clone());
    let action = match sync::plan_clear(&entry.job, args.force) {
        ActionPlan::Send(action) => action,
        ActionPlan::Unchanged(why) => return jobs::nothing_to_change(ctx, &entry, &why),
        ActionPlan::NeedsForce(why) => {
            return Err(CliError::usage(format!("{name} {why}"))
                .hint(format!(
                    "check the pending deletes first (`provctl quarantine deletes {key}`); if they are intended, run `provctl jobs restart {key} --reset force-deletes`"
                ))
                .hint("add --force to send start anyway"));
        }
    };
    let graph = ctx.graph().await?;
    let req = action.request(&key);
    if args.dry_run {
        return jobs::print_dry_run(ctx, graph, &req);
    }
    let before = RunMarker::of(&entry.job);
    graph.send(&req).await?;
    let mut doc = json!({
        "action": "start",
        "servicePrincipal": {"id": entry.service_principal.id, "displayName": entry.service_principal.display_name},
        "jobId": entry.job.id,
        "previousQuarantineReason": reason.as_ref().map(|r| r.as_str().to_owned()),
    });
    if args.wait.wait {
        eprintln!("Cleared the quarantine of {name} (POST start).");
        let job = match wait(ctx, &key, &name, &before, &args.wait).await {
            Ok(job) => job,
            Err(e) => return jobs::finish_with(ctx, &doc, e),
        };
        doc["job"] = serde_json::to_value(&job).unwrap_or_default();
        doc["healthy"] = Value::Bool(true);
        ctx.out.emit_text(&doc, |_| {
            format!("{name}: quarantine cleared; the next run finished healthy.")
        })?;
        return Ok(());
    }
    ctx.out.emit_text(&doc, |_| {
        format!(
            "Cleared the quarantine of {name} (POST start). The next run begins shortly; if the cause is not fixed, the job is quarantined again.\nFollow it with `provctl jobs show {key}` or add --wait."
        )
    })?;
    Ok(())
}
