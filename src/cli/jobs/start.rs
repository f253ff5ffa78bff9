//! `provctl jobs start JOB`: `POST .../start`, which resumes a paused job from where it stopped and
//! clears a quarantine. Microsoft warns against starting a job that is already running, so an
//! Active job is refused unless `--force`.

use clap::Args;

use super::restart::finish_with;
use super::wait::{WaitArgs, wait};
use super::{JobArg, print_dry_run, resolve};
use crate::cli::{CliError, Context};
use crate::graph::model::SynchronizationStatusCode;
use crate::graph::sync::{self, RunMarker};

/// Arguments of `provctl jobs start`.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    /// The job to act on.
    #[command(flatten)]
    pub job: JobArg,

    /// Start even when the job is already Active (Microsoft: repeated starts on a running job can
    /// stop the service).
    #[arg(long)]
    pub force: bool,

    /// Print the exact HTTP request and send nothing that changes the job.
    #[arg(long)]
    pub dry_run: bool,

    /// Whether and how long to wait for the next run.

    #[command(flatten)]
    pub wait: WaitArgs,
}

/// Runs `provctl jobs start`.
pub async fn run(ctx: &Context, args: StartArgs) -> Result<(), CliError> {
    let entry = resolve(ctx, &args.job).await?;
    let key = entry.key();
    let graph = ctx.graph().await?;
    let name = super::job_label(&entry);
    if entry.job.status_code() == Some(&SynchronizationStatusCode::Active) && !args.force {
        // Nothing is sent: Microsoft warns that repeated starts on a running job can stop the
        // service. --force sends start anyway.
        eprintln!(
            "  hint: add --force to send start anyway, or `provctl jobs restart` to reset state"
        );
        return super::nothing_to_change(ctx, &entry, "is already Active");
    }
    let req = sync::start_request(&key);
    if args.dry_run {
        return print_dry_run(ctx, graph, &req);
    }
    let before = RunMarker::of(&entry.job);
    graph.send(&req).await?;
    let mut doc = serde_json::json!({
        "action": "start",
        "servicePrincipal": {"id": entry.service_principal.id, "displayName": entry.service_principal.display_name},
        "jobId": entry.job.id,
        "previousStatus": entry.job.status_code().map(|c| c.as_str().to_owned()),
    });
    if args.wait.wait {
        eprintln!("Started {name}.");
        let job = match wait(ctx, &key, &name, &before, &args.wait).await {
            Ok(job) => job,
            Err(e) => return finish_with(ctx, &doc, e),
        };
        doc["job"] = serde_json::to_value(&job).unwrap_or_default();
        doc["healthy"] = serde_json::Value::Bool(true);
        ctx.out.emit_text(&doc, |_| {
            format!("{name}: started; the next run finished healthy.")
        })?;
        return Ok(());
    }
    ctx.out.emit_text(&doc, |_| format!("Started {name}."))?;
    Ok(())
}
