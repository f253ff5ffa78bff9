//! `provctl jobs pause JOB`: `POST .../pause` (Graph's name for suspend); the job keeps its state
//! and `provctl jobs start` resumes it from where it stopped.

use clap::Args;

use super::{JobArg, print_dry_run, resolve};
use crate::cli::{CliError, Context};
use crate::graph::sync;

/// Arguments of `provctl jobs pause`.
#[derive(Debug, Clone, Args)]
pub struct PauseArgs {
    /// The job to act on.
    #[command(flatten)]
    pub job: JobArg,

    /// Print the exact HTTP request and send nothing that changes the job.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `provctl jobs pause`.
pub async fn run(ctx: &Context, args: PauseArgs) -> Result<(), CliError> {
    let entry = resolve(ctx, &args.job).await?;
    let key = entry.key();
    let graph = ctx.graph().await?;
    if entry.job.status_code() == Some(&crate::graph::model::SynchronizationStatusCode::Paused) {
        return super::nothing_to_change(ctx, &entry, "is already Paused");
    }
    let req = sync::pause_request(&key);
    if args.dry_run {
        return print_dry_run(ctx, graph, &req);
    }
    graph.send(&req).await?;
    let name = super::job_label(&entry);
    let doc = serde_json::json!({
        "action": "pause",
        "servicePrincipal": {"id": entry.service_principal.id, "displayName": entry.service_principal.display_name},
        "jobId": entry.job.id,
        "previousStatus": entry.job.status_code().map(|c| c.as_str().to_owned()),
    });
    ctx.out.emit_text(&doc, |_| {
        format!("Paused {name}. Resume it with `provctl jobs start {key}`.")
    })?;
    Ok(())
}
