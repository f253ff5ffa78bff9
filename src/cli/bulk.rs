//! `--all` on `quarantine clear` and `jobs restart`: the same action on every job a selection
//! picks. The jobs are listed once (`cli::resolve::discover`), each job's plan comes from the
//! library's one rule (`sync::plan_clear` / `sync::plan_restart`: nothing to change, held back
//! for TooManyDeletes without `--force`, or send), the plan is shown and confirmed once
//! (`prompt::confirm`, `--yes` in scripts), the requests go out through `sync::send_each` at a
//! bounded concurrency, `--wait` polls each started job with `sync::wait_for_run`, and the
//! result is one row per job with an exit code a script can branch on (0, 8, 7, 9).

use futures::stream::{self, StreamExt};
use serde_json::{Value, json};

use super::jobs::short_id;
use super::jobs::wait::{WaitArgs, judge};
use super::resolve::{AllJobs, discover, partial_result, report_failures};
use super::{CliError, Context, ErrorKind};
use crate::graph::model::ResetScope;
use crate::graph::sync::{
    self, ActionPlan, DiscoverOptions, JobAction, JobEntry, JobKey, RunMarker, WaitOutcome,
};
use crate::graph::{GraphClient, GraphError};
use crate::output::sanitize::line;
use crate::output::{Cell, Column, Field, OutputFormat, Table};

/// Which action `--all` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BulkVerb {
    /// `quarantine clear`: `POST .../start` on the quarantined jobs.
    Clear,
    /// `jobs restart --reset ...`: `POST .../restart` with this scope.
    Restart(ResetScope),
}

/// One `--all` run: the action and the flags that shape it.
pub(crate) struct Bulk<'a> {
    /// The action.
    pub verb: BulkVerb,
    /// `--force`: include the jobs quarantined for TooManyDeletes.
    pub force: bool,
    /// `--yes`: no question.
    pub yes: bool,
    /// `--dry-run`: list the exact requests, send nothing.
    pub dry_run: bool,
    /// `--wait` and its timeout.
    pub wait: &'a WaitArgs,
}

/// Where one job stands in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Will be sent once confirmed (the plan shown before the question).
    Planned,
    /// `--dry-run`: the request is shown, not sent.
    DryRun,
    /// Graph accepted the request.
    Sent,
    /// Graph refused it, or it could not be sent.
    Failed,
    /// Held back: TooManyDeletes without `--force`.
    Skipped,
    /// Already as asked.
    Unchanged,
    /// `--wait`: the next run finished healthy.
    Healthy,
    /// `--wait`: quarantined again.
    Quarantined,
    /// `--wait`: the next run failed.
    RunFailed,
    /// `--wait`: no run finished in time.
    TimedOut,
}

impl Outcome {
    /// The stable name in `-o json` and CSV.
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Planned => "planned",
            Outcome::DryRun => "dryRun",
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Unchanged => "unchanged",
            Outcome::Healthy => "healthy",
            Outcome::Quarantined => "quarantined",
            Outcome::RunFailed => "runFailed",
            Outcome::TimedOut => "timedOut",
        }
    }

    /// As the table shows it.
    fn shown(self) -> (&'static str, Cell) {
        match self {
            Outcome::Planned => ("to send", Cell::Plain),
            Outcome::DryRun => ("dry run", Cell::Plain),
            Outcome::Sent => ("sent", Cell::Good),
            Outcome::Failed => ("failed", Cell::Bad),
            Outcome::Skipped => ("skipped", Cell::Warn),
            Outcome::Unchanged => ("nothing to change", Cell::Dim),
            Outcome::Healthy => ("healthy", Cell::Good),
            Outcome::Quarantined => ("quarantined again", Cell::Bad),
            Outcome::RunFailed => ("run failed", Cell::Bad),
            Outcome::TimedOut => ("timed out", Cell::Warn),
        }
    }
}

/// One job of the run.
struct Row<'a> {
    entry: &'a JobEntry,
    plan: ActionPlan,
    outcome: Outcome,
    /// In full, for `-o json` and `--dry-run`.
    detail: String,
    /// The table's shorter cell, when `detail` is too long to read there.
    cell: Option<String>,
    error: Option<Value>,
}

impl Row<'_> {
    fn name(&self) -> String {
        super::jobs::job_label(self.entry)
    }

    fn action(&self) -> Option<JobAction> {
        match self.plan {
            ActionPlan::Send(a) => Some(a),
            _ => None,
        }
    }
}

impl<'a> Bulk<'a> {
    /// A run of `verb` with `--force`, `--yes`, `--dry-run` and the `--wait` flags.
    pub(crate) fn new(
        verb: BulkVerb,
        force: bool,
        yes: bool,
        dry_run: bool,
        wait: &'a WaitArgs,
    ) -> Self {
        Bulk {
            verb,
            force,
            yes,
            dry_run,
            wait,
        }
    }

    /// Lists the jobs `--sp`/`--cloud-sync` reach, keeps those the selection picks, and acts on
    /// them, `all.concurrency` requests (and waits) at a time.
    pub(crate) async fn run(&self, ctx: &Context, all: &AllJobs) -> Result<(), CliError> {
        let graph = ctx.graph().await?;
        let select = &all.select;
        let opts = DiscoverOptions {
            service_principal: all.service_principal.clone(),
            cloud_sync_only: select.cloud_sync,
            ..DiscoverOptions::default()
        };
        let inv = discover(graph, opts, true).await?;
        report_failures(&inv, None);
        let selection = select.selection();
        let mut rows: Vec<Row> = inv
            .jobs
            .iter()
            .filter(|e| selection.matches(&e.job))
            .map(|entry| self.plan(entry))
            .collect();
        if rows.is_empty() {
            let doc = self.doc(graph, &rows);
            if human(ctx) {
                ctx.out.emit_text(&doc, |_| {
                    format!(
                        "No job matched ({} job(s) in {} application(s) looked at); nothing was sent.",
                        inv.jobs.len(),
                        inv.service_principals
                    )
                })?;
            } else {
                ctx.out.emit(&doc, || table(&rows))?;
            }
            return partial_result(&inv);
        }
        if self.dry_run {
            for r in rows.iter_mut().filter(|r| r.action().is_some()) {
                r.outcome = Outcome::DryRun;
            }
            let doc = self.doc(graph, &rows);
            if human(ctx) {
                ctx.out
                    .emit_text(&doc, |_| self.dry_run_text(graph, &rows))?;
            } else {
                // CSV/TSV get the table's rows, the other formats the document.
                ctx.out.emit(&doc, || table(&rows))?;
            }
            return partial_result(&inv);
        }
        let to_send = rows.iter().filter(|r| r.action().is_some()).count();
        if to_send > 0 && !self.yes {
            eprint!(
                "{}",
                table(&rows).render(ctx.out.table_width(), ctx.stderr_color())
            );
            super::prompt::confirm(&self.question(to_send), false)?;
        }
        let before: Vec<RunMarker> = rows.iter().map(|r| RunMarker::of(&r.entry.job)).collect();
        self.send(graph, &mut rows, all.concurrency).await;
        if self.wait.wait {
            self.wait_all(graph, &mut rows, &before, all.concurrency)
                .await;
        }
        let doc = self.doc(graph, &rows);
        ctx.out.emit(&doc, || table(&rows))?;
        finish(&rows, human(ctx))?;
        partial_result(&inv)
    }

    /// The library's decision for one job, as a row.
    fn plan<'e>(&self, entry: &'e JobEntry) -> Row<'e> {
        let plan = match self.verb {
            BulkVerb::Clear => sync::plan_clear(&entry.job, self.force),
            BulkVerb::Restart(scope) => sync::plan_restart(&entry.job, scope, self.force),
        };
        // The library words its reasons to follow a job's name ("… is not quarantined").
        let why = |w: &str| w.strip_prefix("is ").unwrap_or(w).to_owned();
        let (outcome, detail, cell) = match &plan {
            ActionPlan::Send(_) => (Outcome::Planned, String::new(), None),
            ActionPlan::Unchanged(w) => (Outcome::Unchanged, why(w), None),
            // "quarantined for TooManyDeletes: start would …": the table keeps the first clause.
            ActionPlan::NeedsForce(w) => {
                let w = why(w);
                let short = w.split(':').next().unwrap_or(&w).to_owned();
                (
                    Outcome::Skipped,
                    format!("{w}; --force includes it"),
                    Some(format!("{short}; --force includes it")),
                )
            }
        };
        Row {
            entry,
            plan,
            outcome,
            detail,
            cell,
            error: None,
        }
    }

    /// The one question before anything is sent.
    fn question(&self, n: usize) -> String {
        match self.verb {
            BulkVerb::Clear => {
                format!(
                    "Clear the quarantine of the {n} job(s) marked \"to send\" (POST .../start)"
                )
            }
            BulkVerb::Restart(scope) => format!(
                "Restart the {n} job(s) marked \"to send\" with {}",
                scope_words(scope)
            ),
        }
    }

    /// Sends every planned action, `concurrency` at a time, and records each answer.
    async fn send(&self, graph: &GraphClient, rows: &mut [Row<'_>], concurrency: usize) {
        let planned: Vec<(usize, (JobKey, JobAction))> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.action().map(|a| (i, (r.entry.key(), a))))
            .collect();
        let (index, actions): (Vec<usize>, Vec<(JobKey, JobAction)>) = planned.into_iter().unzip();
        let results = sync::send_each(graph, &actions, concurrency).await;
        for (i, result) in index.into_iter().zip(results) {
            let r = &mut rows[i];
            match result {
                Ok(()) => {
                    r.outcome = Outcome::Sent;
                    r.detail = "next run begins shortly".into();
                }
                Err(e) => {
                    r.outcome = Outcome::Failed;
                    r.detail = failure_detail(&e);
                    r.error = Some(error_json(&e));
                    eprintln!(
                        "provctl: error: {}: {}",
                        line(&r.name()),
                        line(&e.to_string())
                    );
                }
            }
        }
    }

    /// `--wait`: polls every job whose request was accepted until its next run ends.
    async fn wait_all(
        &self,
        graph: &GraphClient,
        rows: &mut [Row<'_>],
        before: &[RunMarker],
        concurrency: usize,
    ) {
        let opts = self.wait.options();
        let started = std::time::Instant::now();
        let waiting: Vec<(usize, JobKey, String)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.outcome == Outcome::Sent)
            .map(|(i, r)| (i, r.entry.key(), r.name()))
            .collect();
        eprintln!(
            "waiting for the next run of {} job(s) (up to {})...",
            waiting.len(),
            humantime::format_duration(self.wait.timeout)
        );
        let opts = &opts;
        // Bounded like the requests. The runs themselves go on side by side in the service, so a
        // job waited for later usually has its run finished already: its first poll ends it.
        let ended: Vec<(usize, String, Result<WaitOutcome, GraphError>)> = stream::iter(waiting)
            .map(|(i, key, name)| async move {
                let outcome = sync::wait_for_run(graph, &key, &before[i], opts, |seen| {
                    eprintln!(
                        "  [+{}s] {}: {}",
                        started.elapsed().as_secs(),
                        line(&name),
                        line(&seen.to_string())
                    );
                })
                .await;
                (i, name, outcome)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (i, name, result) in ended {
            let r = &mut rows[i];
            let outcome = match result {
                Ok(o) => o,
                Err(e) => {
                    r.outcome = Outcome::Failed;
                    r.detail = format!(
                        "accepted, but reading the job failed: {}",
                        failure_detail(&e)
                    );
                    r.error = Some(error_json(&e));
                    eprintln!("provctl: error: {}: {}", line(&name), line(&e.to_string()));
                    continue;
                }
            };
            r.outcome = match &outcome {
                WaitOutcome::Healthy(_) => Outcome::Healthy,
                WaitOutcome::Quarantined(_) => Outcome::Quarantined,
                WaitOutcome::Failed(_) => Outcome::RunFailed,
                WaitOutcome::TimedOut(_) => Outcome::TimedOut,
            };
            r.detail = match judge(&r.entry.key(), &name, outcome, self.wait) {
                Ok(_) => "the next run finished healthy".into(),
                Err(e) => e
                    .message
                    .strip_prefix(&format!("{name} "))
                    .or_else(|| e.message.strip_prefix(&format!("{name}: ")))
                    .map(|m| m.strip_prefix("is ").unwrap_or(m))
                    .unwrap_or(&e.message)
                    .to_owned(),
            };
        }
    }

    /// The result document: stable field names for scripts (`docs/json-output.md`).
    fn doc(&self, graph: &GraphClient, rows: &[Row]) -> Value {
        let (action, scope) = match self.verb {
            BulkVerb::Clear => ("start", None),
            BulkVerb::Restart(scope) => ("restart", Some(scope.to_wire())),
        };
        let mut counts = serde_json::Map::new();
        for r in rows {
            let n = counts
                .entry(r.outcome.as_str())
                .or_insert(Value::from(0u64));
            *n = Value::from(n.as_u64().unwrap_or(0) + 1);
        }
        let jobs: Vec<Value> = rows
            .iter()
            .map(|r| {
                let key = r.entry.key();
                let request = r.action().map(|a| {
                    let req = a.request(&key);
                    json!({
                        "method": req.method.as_str(),
                        "url": graph.url_for(&req).as_str(),
                        "body": req.body,
                    })
                });
                json!({
                    "servicePrincipal": {
                        "id": r.entry.service_principal.id,
                        "appId": r.entry.service_principal.app_id,
                        "displayName": r.entry.service_principal.display_name,
                    },
                    "jobId": r.entry.job.id,
                    "action": r.action().map(JobAction::name).unwrap_or("none"),
                    "outcome": r.outcome.as_str(),
                    "detail": r.detail,
                    "request": request,
                    "error": r.error,
                })
            })
            .collect();
        json!({
            "action": action,
            "resetScope": scope,
            "dryRun": self.dry_run,
            "counts": counts,
            "jobs": jobs,
        })
    }

    /// `--dry-run` for people: each request exactly as it would be sent, and why the others
    /// would send nothing.
    fn dry_run_text(&self, graph: &GraphClient, rows: &[Row]) -> String {
        let base = &graph.endpoints().graph;
        let mut out = String::new();
        let mut n = 0;
        for r in rows {
            match r.action() {
                Some(a) => {
                    n += 1;
                    out.push_str(&format!("# {}\n", r.name()));
                    out.push_str(&a.request(&r.entry.key()).to_http_text(base));
                }
                None => out.push_str(&format!(
                    "# {}: {}: {}\n",
                    r.name(),
                    r.outcome.shown().0,
                    r.detail
                )),
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "(dry run: {n} request(s) shown for {} job(s); nothing was sent)",
            rows.len()
        ));
        out
    }
}

/// Whether the output is for people (a table or text, no `--query`).
fn human(ctx: &Context) -> bool {
    ctx.out.format == OutputFormat::Table && !ctx.out.has_query()
}

/// `resetScope "Escrows, QuarantineState"`, or the portal's empty scope in words.
fn scope_words(scope: ResetScope) -> String {
    if scope.is_empty() {
        "no resetScope (the portal's Restart provisioning)".into()
    } else {
        format!("resetScope \"{}\"", scope.to_wire())
    }
}

/// What the row says about a failed request: Graph's status, code and message, or the error.
fn failure_detail(e: &GraphError) -> String {
    match e.service() {
        Some(s) if !s.code.is_empty() => format!("{} {}: {}", s.status, s.code, s.message),
        Some(s) => format!("{}: {}", s.status, s.message),
        None => e.to_string(),
    }
}

/// A failed request in `-o json`: what Graph said, never invented.
fn error_json(e: &GraphError) -> Value {
    match e.service() {
        Some(s) => json!({
            "status": s.status,
            "code": s.code,
            "message": s.message,
            "requestId": s.request_id,
        }),
        None => json!({"status": null, "code": null, "message": e.to_string(), "requestId": null}),
    }
}

/// The table: one row per job. On a narrow terminal the detail wraps first; the job, the
/// application and the outcome always show.
fn table(rows: &[Row]) -> Table {
    let mut t = Table::new([
        Column::new("JOB", "jobId").keep(),
        Column::new("APPLICATION", "application").min_width(16),
        Column::machine("servicePrincipalId"),
        Column::new("ACTION", "action").keep(),
        Column::new("OUTCOME", "outcome").keep(),
        Column::new("DETAIL", "detail").priority(1).min_width(24),
    ]);
    for r in rows {
        let (shown, style) = r.outcome.shown();
        let action = match r.action() {
            Some(JobAction::Restart(scope)) if scope.is_empty() => "restart (portal)".to_owned(),
            Some(JobAction::Restart(scope)) => format!("restart {}", scope.to_wire()),
            Some(a) => a.name().to_owned(),
            None => "-".to_owned(),
        };
        t.push(vec![
            Field::id(r.entry.job.id.clone(), short_id(&r.entry.job.id)),
            Field::new(r.entry.service_principal.name()),
            Field::new(r.entry.service_principal.id.clone()),
            Field::new(action).machine(r.action().map(JobAction::name).unwrap_or("none")),
            Field::new(shown).machine(r.outcome.as_str()).style(style),
            Field::new(match (&r.cell, r.detail.as_str()) {
                (Some(cell), _) => cell.as_str(),
                (None, "") => "-",
                (None, detail) => detail,
            })
            .machine(r.detail.clone()),
        ]);
    }
    t
}

/// The exit after the table: 8 when a request failed (each job named), else 7 when `--wait`
/// saw a job quarantined or its run fail again, else 9 when a wait ran out of time.
fn finish(rows: &[Row], human: bool) -> Result<(), CliError> {
    let named = |want: &[Outcome]| -> Vec<String> {
        rows.iter()
            .filter(|r| want.contains(&r.outcome))
            .map(Row::name)
            .collect()
    };
    let sent = rows
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Skipped | Outcome::Unchanged))
        .count();
    let failed = named(&[Outcome::Failed]);
    if !failed.is_empty() {
        return Err(CliError::new(
            ErrorKind::Partial,
            format!(
                "{} of {sent} request(s) failed: {}",
                failed.len(),
                failed.join(", ")
            ),
        )
        .hint("the other jobs were done; each failure is named above with Graph's answer"));
    }
    let unhealthy = named(&[Outcome::Quarantined, Outcome::RunFailed]);
    if !unhealthy.is_empty() {
        return Err(CliError::new(
            ErrorKind::Unhealthy,
            format!(
                "{} job(s) quarantined or failing again after the action: {}",
                unhealthy.len(),
                unhealthy.join(", ")
            ),
        )
        .hint("`provctl quarantine show SP/JOB` explains why and what to fix"));
    }
    let late = named(&[Outcome::TimedOut]);
    if !late.is_empty() {
        return Err(CliError::new(
            ErrorKind::Timeout,
            format!("no run finished in time for: {}", late.join(", ")),
        )
        .hint("wait longer with --timeout, or check later with `provctl jobs list`"));
    }
    if human {
        let skipped = rows
            .iter()
            .filter(|r| r.outcome == Outcome::Skipped)
            .count();
        if skipped > 0 {
            eprintln!(
                "{skipped} job(s) skipped: quarantined for TooManyDeletes; check the held-back deletes, then add --force"
            );
        }
    }
    Ok(())
}
