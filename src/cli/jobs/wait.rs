//! `--wait` on restart, start and `quarantine clear`: poll the job until a run that began after our
//! action has finished, print each state transition on stderr, and turn the outcome into the exit
//! code a script can branch on (0 healthy, 7 quarantined or failed again, 9 timed out).

use std::time::Duration;

use clap::Args;

use crate::cli::{CliError, Context, ErrorKind};
use crate::graph::model::SynchronizationJob;
use crate::graph::sync::{self, JobKey, RunMarker, WaitOptions, WaitOutcome};

/// The `--wait` flags.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Wait until the next run has finished: exit 0 when the job is healthy, 7 when it is
    /// quarantined (or the run failed) again, 9 on timeout.
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits (30s, 10m, 2h).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,

    /// First pause between polls while waiting; it grows by half up to 60s (or this, if larger).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, hide = true)]
    pub poll_interval: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); use e.g. 30s, 10m, 2h"))
}

impl WaitArgs {
    /// How the library polls for these flags.
    pub fn options(&self) -> WaitOptions {
        WaitOptions {
            timeout: self.timeout,
            poll: self.poll_interval,
            max_poll: Duration::from_secs(60).max(self.poll_interval),
        }
    }
}

/// Waits for the run after an action on `key` (whose last run before the action was `before`).
pub async fn wait(
    ctx: &Context,
    key: &JobKey,
    name: &str,
    before: &RunMarker,
    args: &WaitArgs,
) -> Result<SynchronizationJob, CliError> {
    let graph = ctx.graph().await?;
    let started = std::time::Instant::now();
    eprintln!(
        "waiting for the next run of {name} (up to {})...",
        humantime::format_duration(args.timeout)
    );
    let outcome = sync::wait_for_run(graph, key, before, &args.options(), |seen| {
        eprintln!(
            "  [+{}s] {}",
            started.elapsed().as_secs(),
            crate::output::sanitize::line(&seen.to_string())
        );
    })
    .await?;
    judge(key, name, outcome, args)
}

/// How a wait ended, as the exit a script branches on: the job when healthy; 7 when quarantined
/// (naming the reason) or the run failed again; 9 when no run finished in time.
pub(crate) fn judge(
    key: &JobKey,
    name: &str,
    outcome: WaitOutcome,
    args: &WaitArgs,
) -> Result<SynchronizationJob, CliError> {
    match outcome {
        WaitOutcome::Healthy(job) => {
            eprintln!("{name} is healthy.");
            Ok(*job)
        }
        WaitOutcome::Quarantined(job) => {
            let reason = job
                .quarantine()
                .and_then(|q| q.reason.as_ref())
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|| "unknown reason".into());
            Err(CliError::new(
                ErrorKind::Unhealthy,
                format!("{name} is quarantined again ({reason})"),
            )
            .hint(format!(
                "`provctl quarantine show {}` explains why and what to fix",
                key
            )))
        }
        WaitOutcome::Failed(job) => {
            let code = job
                .last_execution()
                .and_then(|e| e.error.as_ref())
                .and_then(|e| e.code.clone())
                .unwrap_or_else(|| "no error code".into());
            Err(CliError::new(
                ErrorKind::Unhealthy,
                format!("the run of {name} failed ({code})"),
            ))
        }
        WaitOutcome::TimedOut(_) => Err(CliError::new(
            ErrorKind::Timeout,
            format!(
                "{name}: no run finished within {}",
                humantime::format_duration(args.timeout)
            ),
        )
        .hint("runs can take a long time on large directories; wait longer with --timeout 2h, or check later with `provctl jobs show`")),
    }
}
