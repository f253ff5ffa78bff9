//! Health and waiting: how a job stands (healthy, quarantined, failed, paused, not run), when a
//! quarantine will disable it, and polling a job until a new run has ended (`--wait`).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::JobKey;
use super::actions::get_job;
use crate::graph::model::job::QUARANTINE_DISABLE_AFTER_DAYS;
use crate::graph::model::{
    SynchronizationJob, SynchronizationStatusCode, SynchronizationTaskExecutionResult,
};
use crate::graph::{GraphClient, GraphError};

/// How a job stands, for checks and `--wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Active (or not yet run / paused on purpose) and the last run succeeded or had only
    /// object-level errors.
    Healthy,
    /// Quarantined.
    Quarantined,
    /// The last run failed.
    Failed,
    /// Paused.
    Paused,
    /// Never configured or never run.
    NotRun,
}

/// Judges a job.
pub fn health(job: &SynchronizationJob) -> Health {
    if job.is_quarantined() {
        return Health::Quarantined;
    }
    match job.status_code() {
        Some(SynchronizationStatusCode::Paused) => return Health::Paused,
        Some(SynchronizationStatusCode::NotRun | SynchronizationStatusCode::NotConfigured) => {
            return Health::NotRun;
        }
        _ => {}
    }
    // Graph's placeholder run of a job that never ran (state Failed, year-1 times) is no failure.
    if job
        .last_execution_record()
        .is_some_and(|e| e.is_never_run_placeholder())
    {
        return Health::NotRun;
    }
    match job.last_execution().and_then(|e| e.state.as_ref()) {
        Some(SynchronizationTaskExecutionResult::Failed) => Health::Failed,
        _ => Health::Healthy,
    }
}

/// When the service will disable a quarantined job (series start + 28 days), if known.
pub fn quarantine_disable_at(job: &SynchronizationJob) -> Option<DateTime<Utc>> {
    job.quarantine()
        .and_then(|q| q.series_began.or(q.current_began))
        .map(|t| t + chrono::Duration::days(QUARANTINE_DISABLE_AFTER_DAYS))
}

/// How [`wait_for_run`] polls.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First pause between polls.
    pub poll: Duration,
    /// Longest pause between polls (the pause grows by half each time up to this).
    pub max_poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            poll: Duration::from_secs(5),
            max_poll: Duration::from_secs(60),
        }
    }
}

/// What a job looked like at one poll, for printing state transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Status code (`Active`, `Quarantine`, ...).
    pub status: String,
    /// `running (20/40 Entries)` while a run is under way.
    pub progress: Option<String>,
    /// The state of the last run, once the run we wait for has ended.
    pub last_run: Option<String>,
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.status)?;
        if let Some(p) = &self.progress {
            write!(f, ", {p}")?;
        }
        if let Some(r) = &self.last_run {
            write!(f, ", last run {r}")?;
        }
        Ok(())
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitOutcome {
    /// A new run finished and the job is healthy.
    Healthy(Box<SynchronizationJob>),
    /// A new run finished and the job is quarantined.
    Quarantined(Box<SynchronizationJob>),
    /// A new run finished and failed (not quarantined).
    Failed(Box<SynchronizationJob>),
    /// The timeout passed first; the job as last seen.
    TimedOut(Box<SynchronizationJob>),
}

/// A fingerprint of the last run, taken before an action, so the wait can tell a new run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunMarker {
    activity: Option<String>,
    began: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
}

impl RunMarker {
    /// The marker of a job's last run.
    pub fn of(job: &SynchronizationJob) -> RunMarker {
        match job.last_execution() {
            Some(e) => RunMarker {
                activity: e.activity_identifier.clone(),
                began: e.time_began,
                ended: e.time_ended,
            },
            None => RunMarker::default(),
        }
    }
}

/// The running cycle's progress (`20/40 Entries`), while a run is under way.
pub fn cycle_progress(job: &SynchronizationJob) -> Option<String> {
    job.status
        .as_ref()
        .and_then(|s| s.progress.first())
        .filter(|p| p.total_units > 0)
        .map(|p| {
            format!(
                "{}/{} {}",
                p.completed_units,
                p.total_units,
                p.units.as_deref().unwrap_or("units")
            )
        })
}

impl Health {
    /// The lower-case word for the state (`healthy`, `quarantined`, `failed`, `paused`, `notrun`).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Quarantined => "quarantined",
            Health::Failed => "failed",
            Health::Paused => "paused",
            Health::NotRun => "notrun",
        }
    }
}

fn observe(job: &SynchronizationJob, new_run: bool) -> Observation {
    let status = job
        .status_code()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let progress = cycle_progress(job).map(|p| format!("running ({p})"));
    let last_run = if new_run {
        job.last_execution()
            .and_then(|e| e.state.as_ref())
            .map(|s| s.as_str().to_owned())
    } else {
        None
    };
    Observation {
        status,
        progress,
        last_run,
    }
}

/// Polls a job until a run newer than `before` has finished (or `opts.timeout` passes), calling
/// `on_change` whenever what is seen changes. Throttling is honoured: the client waits out
/// `Retry-After`, and a poll that still fails with 429/503 only lengthens the next pause.
pub async fn wait_for_run(
    client: &GraphClient,
    key: &JobKey,
    before: &RunMarker,
    opts: &WaitOptions,
    mut on_change: impl FnMut(&Observation),
) -> Result<WaitOutcome, GraphError> {
    let started = tokio::time::Instant::now();
    let mut pause = opts.poll;
    let mut last_seen: Option<Observation> = None;
    let mut last_job = SynchronizationJob::default();
    loop {
        match get_job(client, key).await {
            Ok((job, _)) => {
                let marker = RunMarker::of(&job);
                let running = job
                    .status
                    .as_ref()
                    .is_some_and(|s| s.progress.iter().any(|p| p.total_units > 0));
                let new_run = marker != *before && marker.ended.is_some() && !running;
                let seen = observe(&job, new_run);
                if last_seen.as_ref() != Some(&seen) {
                    on_change(&seen);
                    last_seen = Some(seen);
                }
                if new_run {
                    return Ok(match health(&job) {
                        Health::Quarantined => WaitOutcome::Quarantined(Box::new(job)),
                        Health::Failed => WaitOutcome::Failed(Box::new(job)),
                        _ => WaitOutcome::Healthy(Box::new(job)),
                    });
                }
                last_job = job;
            }
            Err(e) if matches!(e.status(), Some(429 | 503 | 504)) => {
                let ra = e.service().and_then(|s| s.retry_after);
                pause = ra.unwrap_or(pause * 2).max(opts.poll);
            }
            Err(e) => return Err(e),
        }
        let elapsed = started.elapsed();
        if elapsed >= opts.timeout {
            return Ok(WaitOutcome::TimedOut(Box::new(last_job)));
        }
        tokio::time::sleep(pause.min(opts.timeout - elapsed)).await;
        pause = (pause + pause / 2).min(opts.max_poll.max(opts.poll));
    }
}
