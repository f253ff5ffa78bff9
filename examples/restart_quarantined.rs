//! Restart every job quarantined for a given reason, wait for each one's next run, and report —
//! the library from Rust, the way a script author would use it.
//!
//! ```text
//! PROVCTL_ACCESS_TOKEN=eyJ0... cargo run --example restart_quarantined -- \
//!     --reason EncounteredEscrowProportionThreshold --reset "Escrows, QuarantineState" [--timeout 30m]
//!     [--graph-url https://graph.microsoft.com/] [--ca-file corp-ca.pem]
//! ```
//! The token comes from `PROVCTL_ACCESS_TOKEN` (any Graph token with Synchronization.ReadWrite.All
//! and Application.Read.All); `--graph-url`/`--ca-file` (or `PROVCTL_GRAPH_URL`/`PROVCTL_CA_FILE`)
//! point it elsewhere, e.g. at a test server. Exit code: 0 when every job came back healthy,
//! 7 when any is quarantined or failed again, 9 when a wait timed out, 2 on bad arguments.

use std::process::ExitCode;
use std::time::Duration;

use provctl::graph::auth::StaticToken;
use provctl::graph::model::{QuarantineReason, ResetScope};
use provctl::graph::sync::{
    self, DiscoverOptions, JobSelection, RunMarker, WaitOptions, WaitOutcome,
};
use provctl::graph::{Cloud, Endpoints, GraphClient, HttpOptions};

struct Args {
    reason: QuarantineReason,
    reset: ResetScope,
    timeout: Duration,
    poll: Duration,
    graph_url: Option<String>,
    ca_file: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut reason = None;
    let mut reset = None;
    let mut timeout = Duration::from_secs(30 * 60);
    let mut poll = Duration::from_secs(10);
    let mut graph_url = std::env::var("PROVCTL_GRAPH_URL").ok();
    let mut ca_file = std::env::var("PROVCTL_CA_FILE").ok();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--reason" => {
                let r = QuarantineReason::parse(&value()?);
                if !r.is_known() {
                    return Err(format!("--reason '{r}' is not a quarantineReason"));
                }
                reason = Some(r);
            }
            "--reset" => reset = Some(ResetScope::parse(&value()?).map_err(|e| e.to_string())?),
            "--timeout" => {
                timeout = humantime::parse_duration(&value()?).map_err(|e| e.to_string())?
            }
            "--poll" => poll = humantime::parse_duration(&value()?).map_err(|e| e.to_string())?,
            "--graph-url" => graph_url = Some(value()?),
            "--ca-file" => ca_file = Some(value()?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Args {
        reason: reason.ok_or("--reason is required (e.g. EncounteredEscrowProportionThreshold)")?,
        reset: reset.ok_or("--reset is required (e.g. \"Escrows, QuarantineState\")")?,
        timeout,
        poll,
        graph_url,
        ca_file,
    })
}

fn client(args: &Args) -> Result<GraphClient, String> {
    let token = std::env::var("PROVCTL_ACCESS_TOKEN")
        .map_err(|_| "set PROVCTL_ACCESS_TOKEN to a Graph access token".to_owned())?;
    let mut http = HttpOptions::default();
    if let Some(path) = &args.ca_file {
        http.extra_roots_pem
            .push(std::fs::read(path).map_err(|e| format!("--ca-file {path}: {e}"))?);
    }
    let mut b = GraphClient::builder()
        .http_client(provctl::graph::http_client(&http).map_err(|e| e.to_string())?)
        .token_provider(StaticToken::new(token));
    if let Some(url) = &args.graph_url {
        b = b.endpoints(Endpoints::custom(url, None, Cloud::Global).map_err(|e| e.to_string())?);
    }
    b.build().map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("restart_quarantined: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("restart_quarantined: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: &Args) -> Result<u8, String> {
    let graph = client(args)?;
    let inventory = sync::discover_jobs(&graph, &DiscoverOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    // The same selection `provctl jobs list --reason` and `jobs restart --all --reason` use.
    let selection = JobSelection {
        quarantine_reason: Some(args.reason.clone()),
        ..JobSelection::default()
    };
    let targets: Vec<_> = inventory
        .jobs
        .into_iter()
        .filter(|e| selection.matches(&e.job))
        .collect();
    println!(
        "{} job(s) quarantined for {}; restarting with resetScope \"{}\"",
        targets.len(),
        args.reason,
        args.reset
    );
    let wait = WaitOptions {
        timeout: args.timeout,
        poll: args.poll,
        max_poll: Duration::from_secs(60).max(args.poll),
    };
    let mut worst = 0u8;
    for entry in targets {
        let key = entry.key();
        let name = format!("{}/{}", entry.service_principal.name(), entry.job.id);
        let before = RunMarker::of(&entry.job);
        sync::restart(&graph, &key, args.reset)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let outcome = sync::wait_for_run(&graph, &key, &before, &wait, |_| {})
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let (verdict, code) = match outcome {
            WaitOutcome::Healthy(_) => ("healthy".to_owned(), 0),
            WaitOutcome::Quarantined(j) => (
                format!(
                    "quarantined again ({})",
                    j.quarantine()
                        .and_then(|q| q.reason.as_ref())
                        .map(|r| r.as_str().to_owned())
                        .unwrap_or_default()
                ),
                7,
            ),
            WaitOutcome::Failed(_) => ("run failed".to_owned(), 7),
            WaitOutcome::TimedOut(_) => ("timed out waiting".to_owned(), 9),
        };
        println!("{name}: {verdict}");
        worst = worst.max(code);
    }
    Ok(worst)
}
