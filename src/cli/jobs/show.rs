//! `provctl jobs show JOB`: one page about one job — schedule in words, status, quarantine, progress,
//! objects by type, the last run / last successful run / last run with exports, and the settings.

use chrono::{DateTime, Utc};
use clap::Args;

use super::{JobArg, resolve};
use crate::cli::{CliError, Context};
use crate::graph::model::SynchronizationTaskExecution;
use crate::graph::sync::{self, JobEntry};
use crate::output::time::{now, with_relative};

/// Arguments of `provctl jobs show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The job to act on.
    #[command(flatten)]
    pub job: JobArg,
}

/// Runs `provctl jobs show`: resolves the job, then reads it fresh (GET .../jobs/{id}).
pub async fn run(ctx: &Context, args: ShowArgs) -> Result<(), CliError> {
    let mut entry = resolve(ctx, &args.job).await?;
    let graph = ctx.graph().await?;
    let (job, raw) = sync::get_job(graph, &entry.key()).await?;
    entry.job = job;
    entry.raw = raw;
    let doc = entry.to_json();
    ctx.out.emit_text(&doc, |_| render(&entry, now()))?;
    Ok(())
}

/// A two-column block: labels padded to one width.
pub(crate) struct Page {
    out: String,
}

impl Page {
    pub(crate) fn new(title: &str) -> Page {
        Page {
            out: format!("{title}\n"),
        }
    }

    pub(crate) fn section(&mut self, title: &str) {
        self.out.push('\n');
        self.out.push_str(title);
        self.out.push('\n');
    }

    pub(crate) fn kv(&mut self, key: &str, value: impl AsRef<str>) {
        let mut lines = value.as_ref().lines();
        let first = lines.next().unwrap_or("");
        self.out.push_str(&format!("  {key:<22} {first}\n"));
        for l in lines {
            self.out.push_str(&format!("  {:<22} {l}\n", ""));
        }
    }

    pub(crate) fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str("  ");
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// The `jobs show` page.
pub fn render(e: &JobEntry, now: DateTime<Utc>) -> String {
    let j = &e.job;
    let sp = &e.service_principal;
    let mut p = Page::new(&format!(
        "{} / {}",
        sp.name(),
        j.template().unwrap_or("job")
    ));
    p.kv("Job id", &j.id);
    p.kv(
        "Application",
        format!(
            "{} (service principal {}{})",
            sp.name(),
            sp.id,
            sp.app_id
                .as_deref()
                .map(|a| format!(", appId {a}"))
                .unwrap_or_default()
        ),
    );
    p.kv(
        "Template",
        format!(
            "{}{}",
            j.template().unwrap_or("-"),
            if j.is_cloud_sync() || sp.is_cloud_sync() {
                " (cloud sync)"
            } else {
                " (app provisioning)"
            }
        ),
    );
    let schedule = match &j.schedule {
        Some(s) => {
            let interval = s
                .interval
                .as_ref()
                .map(|i| i.describe())
                .unwrap_or_else(|| "no interval".into());
            let state = s.state.as_ref().map(|s| s.as_str()).unwrap_or("unknown");
            format!("{interval} (schedule {state})")
        }
        None => "none".into(),
    };
    p.kv("Schedule", schedule);
    let status = j.status.clone().unwrap_or_default();
    p.kv(
        "Status",
        status
            .code
            .as_ref()
            .map(|c| c.as_str())
            .unwrap_or("unknown"),
    );
    if j.is_quarantined()
        && let Some(q) = j.quarantine()
    {
        let mut text = format!(
            "{}\nsince {} (series began {})\nre-evaluated {} time(s); next attempt {}",
            q.reason
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or("unknown reason"),
            with_relative(q.current_began, now),
            with_relative(q.series_began, now),
            q.series_count,
            with_relative(q.next_attempt, now),
        );
        if let Some(at) = sync::quarantine_disable_at(j) {
            let began = at
                - chrono::Duration::days(crate::graph::model::job::QUARANTINE_DISABLE_AFTER_DAYS);
            let days = crate::diagnose::days_left(began, now).max(0);
            text.push_str(&format!(
                "\ndisabled around {} ({days} days left)",
                crate::output::time::short(at)
            ));
        }
        if let Some(err) = &q.error {
            text.push_str(&format!(
                "\nerror {}: {}",
                err.code.as_deref().unwrap_or("-"),
                err.message.as_deref().unwrap_or("")
            ));
        }
        p.kv("Quarantine", text);
    }
    match status.progress.first().filter(|p| p.total_units > 0) {
        Some(pr) => p.kv(
            "Progress",
            format!(
                "{}/{} {} (observed {})",
                pr.completed_units,
                pr.total_units,
                pr.units.as_deref().unwrap_or("units"),
                with_relative(pr.progress_observation_date_time, now)
            ),
        ),
        None => p.kv("Progress", "no run in progress"),
    }
    p.kv(
        "Failures in a row",
        status.count_successive_complete_failures.to_string(),
    );
    if status.escrows_pruned {
        p.kv(
            "Escrows pruned",
            "yes: failures were pruned during the initial cycle; the job pauses after it",
        );
    }
    p.kv(
        "Steady state",
        format!(
            "first {}\nlast {}",
            with_relative(status.steady_state_first_achieved_time, now),
            with_relative(status.steady_state_last_achieved_time, now)
        ),
    );
    if let Some(url) = status
        .troubleshooting_url
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        p.kv("Troubleshooting", url);
    }
    p.section("Objects by type");
    if status.synchronized_entry_count_by_type.is_empty() {
        p.line("none reported");
    }
    for c in &status.synchronized_entry_count_by_type {
        p.kv(c.key.as_deref().unwrap_or("?"), c.value.to_string());
    }
    for (title, exec) in [
        ("Last run", &status.last_execution),
        ("Last successful run", &status.last_successful_execution),
        (
            "Last successful run with exports",
            &status.last_successful_execution_with_exports,
        ),
    ] {
        p.section(title);
        match exec {
            Some(x) => execution(&mut p, x, now),
            None => p.line("never"),
        }
    }
    p.section("Settings");
    if j.synchronization_job_settings.is_empty() {
        p.line("none");
    }
    for s in &j.synchronization_job_settings {
        p.kv(&s.name, s.value.as_deref().unwrap_or(""));
    }
    p.finish()
}

fn execution(p: &mut Page, x: &SynchronizationTaskExecution, now: DateTime<Utc>) {
    p.kv(
        "State",
        x.state.as_ref().map(|s| s.as_str()).unwrap_or("unknown"),
    );
    p.kv("Began", with_relative(x.time_began, now));
    p.kv("Ended", with_relative(x.time_ended, now));
    p.kv(
        "Counts",
        format!(
            "imported {} ({} deltas), exported {}, escrowed {}, entitled {}",
            x.count_imported,
            x.count_imported_deltas,
            x.count_exported,
            x.count_escrowed,
            x.count_entitled
        ),
    );
    if let Some(err) = &x.error
        && (err.code.is_some() || err.message.is_some())
    {
        p.kv(
            "Error",
            format!(
                "{}: {}",
                err.code.as_deref().unwrap_or("-"),
                err.message.as_deref().unwrap_or("")
            ),
        );
    }
    if let Some(a) = x.activity_identifier.as_deref() {
        p.kv("Activity id", a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dotnet_max_interval_reads_as_no_schedule_and_missing_runs_as_never() {
        let raw = serde_json::json!({
            "id": "BoxOutDelta.x", "templateId": "BoxOutDelta",
            "schedule": {"expiration": null, "interval": "P10675199DT2H48M5.4775807S", "state": "Disabled"},
            "status": {"code": "Paused", "lastExecution": null, "quarantine": null,
                       "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z"}
        });
        let e = JobEntry {
            service_principal: Default::default(),
            job: serde_json::from_value(raw.clone()).unwrap_or_default(),
            raw,
        };
        let now = "2026-11-25T12:00:00Z".parse().unwrap_or_default();
        let page = render(&e, now);
        assert!(page.contains("no schedule (schedule Disabled)"), "{page}");
        assert!(page.contains("Last run\n  never"), "{page}");
        assert!(page.contains("first never"), "{page}");
    }
}
