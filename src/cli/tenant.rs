//! `provctl tenant deletion-prevention ...` and `provctl tenant job-threshold ...`: the two
//! accidental-deletion guards that can block cloud sync deletes. The tenant-level one belongs to
//! Connect Sync (onPremisesDirectorySynchronization) and still blocks cloud sync exports when both
//! write to one tenant; the per-job one is cloud sync's own (`SyncNotificationSettings` secret).
//! Both are read first and written back with only what changes, after confirmation.

use serde_json::json;

use super::prompt::confirm;
use super::{CliError, Context};
use crate::graph::directory::{self, DeletionPrevention};
use crate::graph::model::{
    DeletionPreventionType, OnPremisesDirectorySynchronization, ServicePrincipal,
};
use crate::graph::{ApiVersion, GraphClient, sync};
use crate::output::{Cell, Column, Table};

/// `provctl tenant ...`
#[derive(Debug, clap::Args)]
pub struct TenantArgs {
    #[command(subcommand)]
    command: TenantCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TenantCommand {
    /// The tenant-level accidental deletion prevention (Connect Sync's, which also blocks cloud sync
    /// deletes when both export to one tenant or after a migration).
    #[command(subcommand)]
    DeletionPrevention(DeletionPreventionCommand),
    /// Cloud sync's own per-configuration delete threshold (default: 500 deletes per run).
    #[command(subcommand)]
    JobThreshold(JobThresholdCommand),
}

#[derive(Debug, clap::Subcommand)]
enum DeletionPreventionCommand {
    /// Show the tenant setting and every cloud sync configuration's own threshold, and how they differ.
    ///
    /// GET /v1.0/directory/onPremisesSynchronization, then GET .../synchronization/secrets for each
    /// cloud sync service principal. Needs OnPremDirectorySynchronization.Read.All (delegated only).
    Show,
    /// Turn it off so blocked deletes export in the next cycle (what
    /// Disable-AADCloudSyncToolsDirSyncAccidentalDeletionPrevention does). Confirm the deletes first.
    Disable(ChangeFlags),
    /// Turn it on with a count or a percentage threshold.
    Enable(EnableArgs),
}

#[derive(Debug, clap::Args)]
struct ChangeFlags {
    /// Do not ask (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Print the exact request and send nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, clap::Args)]
#[group(id = "threshold", required = true, multiple = false)]
struct EnableArgs {
    /// Block exports that would delete more than N objects.
    #[arg(long, value_name = "N", group = "threshold", value_parser = clap::value_parser!(i32).range(1..))]
    count: Option<i32>,
    /// Block exports that would delete more than N percent of the objects (1-100).
    #[arg(long, value_name = "N", group = "threshold", value_parser = clap::value_parser!(i32).range(1..=100))]
    percent: Option<i32>,
    #[command(flatten)]
    flags: ChangeFlags,
}

#[derive(Debug, clap::Subcommand)]
enum JobThresholdCommand {
    /// Show each cloud sync configuration's delete threshold.
    Show,
    /// Change one configuration's threshold. Reads every synchronization secret and writes them all
    /// back unchanged except this value (Graph's PUT replaces all secrets).
    Set(JobThresholdSetArgs),
}

#[derive(Debug, clap::Args)]
#[group(id = "value", required = true, multiple = false)]
struct JobThresholdSetArgs {
    /// The cloud sync configuration: service principal object id, appId or display name (usually
    /// the AD domain).
    #[arg(long)]
    sp: String,
    /// Block a run that would delete more than N objects.
    #[arg(long, value_name = "N", group = "value", value_parser = clap::value_parser!(i64).range(1..))]
    count: Option<i64>,
    /// Turn the per-job threshold off.
    #[arg(long, group = "value")]
    disable: bool,
    #[command(flatten)]
    flags: ChangeFlags,
}

/// Runs `provctl tenant`.
pub async fn run(ctx: &Context, args: TenantArgs) -> Result<(), CliError> {
    match args.command {
        TenantCommand::DeletionPrevention(DeletionPreventionCommand::Show) => show(ctx).await,
        TenantCommand::DeletionPrevention(DeletionPreventionCommand::Disable(f)) => {
            change(ctx, DeletionPrevention::Disabled, f).await
        }
        TenantCommand::DeletionPrevention(DeletionPreventionCommand::Enable(a)) => {
            let want = match (a.count, a.percent) {
                (Some(n), _) => DeletionPrevention::Count(n),
                (None, Some(p)) => DeletionPrevention::Percent(p),
                (None, None) => {
                    return Err(CliError::usage("enable needs --count N or --percent N"));
                }
            };
            change(ctx, want, a.flags).await
        }
        TenantCommand::JobThreshold(JobThresholdCommand::Show) => job_threshold_show(ctx).await,
        TenantCommand::JobThreshold(JobThresholdCommand::Set(a)) => job_threshold_set(ctx, a).await,
    }
}

async fn current(graph: &GraphClient) -> Result<OnPremisesDirectorySynchronization, CliError> {
    directory::get(graph)
        .await
        .map_err(CliError::from)?
        .ok_or_else(|| CliError::not_found("this tenant has no onPremisesSynchronization object (directory synchronization was never enabled)"))
}

fn describe(sync: &OnPremisesDirectorySynchronization) -> (String, Cell) {
    let adp = sync.accidental_deletion_prevention();
    let threshold = adp.and_then(|a| a.alert_threshold);
    match adp.and_then(|a| a.synchronization_prevention_type.clone()) {
        Some(DeletionPreventionType::EnabledForCount) => (
            format!(
                "enabled: more than {} deletes are blocked",
                threshold.unwrap_or_default()
            ),
            Cell::Warn,
        ),
        Some(DeletionPreventionType::EnabledForPercentage) => (
            format!(
                "enabled: deleting more than {}% of objects is blocked",
                threshold.unwrap_or_default()
            ),
            Cell::Warn,
        ),
        Some(DeletionPreventionType::Disabled) | None => ("disabled".into(), Cell::Good),
        Some(other) => (
            format!("{other} (threshold {})", threshold.unwrap_or_default()),
            Cell::Plain,
        ),
    }
}

async fn cloud_sync_sps(graph: &GraphClient) -> Result<Vec<ServicePrincipal>, CliError> {
    let filter = sync::cloud_sync_filter();
    Ok(sync::list_service_principals(graph, ApiVersion::V1, Some(&filter)).await?)
}

async fn job_thresholds(
    graph: &GraphClient,
) -> Result<
    Vec<(
        ServicePrincipal,
        Result<directory::JobDeleteThreshold, String>,
    )>,
    CliError,
> {
    let mut out = Vec::new();
    for sp in cloud_sync_sps(graph).await? {
        let t = match directory::secrets(graph, &sp.id).await {
            Ok(s) => directory::job_threshold(&s).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        out.push((sp, t));
    }
    Ok(out)
}

fn threshold_text(t: &Result<directory::JobDeleteThreshold, String>) -> String {
    match t {
        Ok(t) if !t.enabled => "disabled".into(),
        Ok(t) => format!(
            "{} deletes per run{}",
            t.value.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
            if t.defaulted { " (default)" } else { "" }
        ),
        Err(e) => format!("unreadable: {e}"),
    }
}

async fn show(ctx: &Context) -> Result<(), CliError> {
    let graph = ctx.graph().await?;
    let sync = current(graph).await?;
    let jobs = job_thresholds(graph).await?;
    let (text, style) = describe(&sync);
    let doc = json!({
        "tenant": sync,
        "cloudSyncConfigurations": jobs.iter().map(|(sp, t)| json!({
            "servicePrincipalId": sp.id, "displayName": sp.display_name, "deleteThreshold": t.as_ref().ok(), "error": t.as_ref().err(),
        })).collect::<Vec<_>>(),
    });
    ctx.out.emit_text(&doc, |_| {
        let mut s = format!("Tenant accidental deletion prevention (Connect Sync): {text}\n");
        if style == Cell::Warn {
            s.push_str("  This tenant-level guard also blocks cloud sync deletes when Connect Sync and cloud sync export to the\n  same tenant, or after moving from Connect to cloud sync. After confirming the deletes are intended:\n  provctl tenant deletion-prevention disable\n");
        }
        s.push_str("\nCloud sync's own delete threshold, per configuration (quarantines the job with TooManyDeletes):\n");
        if jobs.is_empty() {
            s.push_str("  (no cloud sync configurations)\n");
        }
        for (sp, t) in &jobs {
            s.push_str(&format!("  {}: {}\n", sp.display_name.as_deref().unwrap_or(&sp.id), threshold_text(t)));
        }
        s.push_str("  To let one run's blocked deletes through: provctl jobs restart <JOB> --reset force-deletes\n");
        s
    })?;
    Ok(())
}

async fn change(
    ctx: &Context,
    want: DeletionPrevention,
    flags: ChangeFlags,
) -> Result<(), CliError> {
    let graph = ctx.graph().await?;
    let sync = current(graph).await?;
    let Some(patch) = directory::patch_for(&sync, want) else {
        let (text, _) = describe(&sync);
        return crate::cli::prompt::nothing_to_change(
            ctx,
            &format!("Tenant accidental deletion prevention is already as asked ({text})"),
            json!({ "tenant": sync }),
        );
    };
    let req = directory::patch_request(&sync.id, &patch)?;
    if flags.dry_run {
        print!("{}", req.to_http_text(&graph.endpoints().graph));
        return Ok(());
    }
    let (before, _) = describe(&sync);
    let after = match want {
        DeletionPrevention::Disabled => "disabled".to_owned(),
        DeletionPrevention::Count(n) => format!("enabled for more than {n} deletes"),
        DeletionPrevention::Percent(n) => format!("enabled for more than {n}% deletes"),
    };
    confirm(
        &format!("Change tenant accidental deletion prevention from '{before}' to '{after}'"),
        flags.yes,
    )?;
    graph.send(&req).await.map_err(CliError::from)?;
    eprintln!("Tenant accidental deletion prevention is now {after}.");
    Ok(())
}

async fn job_threshold_show(ctx: &Context) -> Result<(), CliError> {
    let graph = ctx.graph().await?;
    let jobs = job_thresholds(graph).await?;
    let doc = json!(jobs.iter().map(|(sp, t)| json!({"servicePrincipalId": sp.id, "displayName": sp.display_name, "deleteThreshold": t.as_ref().ok(), "error": t.as_ref().err()})).collect::<Vec<_>>());
    ctx.out.emit(&doc, || {
        let mut t = Table::new([
            Column::new("CONFIGURATION", "configuration"),
            Column::new("SERVICE PRINCIPAL", "servicePrincipalId").keep(),
            Column::new("DELETE THRESHOLD", "deleteThreshold").keep(),
        ]);
        for (sp, th) in &jobs {
            t.row([
                sp.display_name.clone().unwrap_or_default(),
                sp.id.clone(),
                threshold_text(th),
            ]);
        }
        t
    })?;
    Ok(())
}

async fn job_threshold_set(ctx: &Context, a: JobThresholdSetArgs) -> Result<(), CliError> {
    let graph = ctx.graph().await?;
    let sp = crate::cli::resolve::resolve_sp(ctx, &a.sp).await?;
    if !sp.is_cloud_sync() {
        let names: Vec<String> = cloud_sync_sps(graph)
            .await?
            .iter()
            .map(|s| format!("{} ({})", s.name(), s.id))
            .collect();
        return Err(CliError::not_found(format!(
            "--sp '{}' is {} ({}), not a cloud sync configuration of this tenant",
            a.sp,
            sp.name(),
            sp.id
        ))
        .hint(format!(
            "configurations: {}",
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        )));
    }
    let secrets = directory::secrets(graph, &sp.id).await?;
    // Graph's text, in messages and the prompt: escaped once here.
    let name = crate::output::sanitize::line(sp.display_name.as_deref().unwrap_or(&sp.id));
    let before = directory::job_threshold(&secrets)?;
    let (enabled, value) = if a.disable {
        (false, None)
    } else {
        (true, a.count)
    };
    let updated = directory::with_job_threshold(&secrets, enabled, value)?;
    let after = directory::job_threshold(&updated)?;
    // Already as asked: nothing is sent, even where a write would be refused below.
    if before == after {
        return crate::cli::prompt::nothing_to_change(
            ctx,
            &format!("{name} already has {}", threshold_text(&Ok(before.clone()))),
            json!({ "servicePrincipalId": sp.id, "deleteThreshold": before }),
        );
    }
    // The PUT replaces every secret, and Graph reads sensitive values back as "*": writing them
    // back would replace the real credentials with "*". Nothing is sent then.
    let masked = secrets.masked_keys();
    if !masked.is_empty() {
        return Err(CliError::usage(format!(
            "{name}: Graph masked the value of {} as \"*\", and the PUT that sets the threshold would write \"*\" over the real value; nothing was sent",
            masked.join(", ")
        ))
        .hint("set the delete threshold in the Microsoft Entra admin center (cloud sync configuration > Properties > Prevent accidental deletions), which keeps the credentials"));
    }
    let diff = format!(
        "{name}: SyncNotificationSettings\n- DeleteThresholdEnabled: {}  DeleteThresholdValue: {}\n+ DeleteThresholdEnabled: {}  DeleteThresholdValue: {}\n  ({} other secret(s) written back unchanged)\n",
        before.enabled,
        before
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into()),
        after.enabled,
        after
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into()),
        updated.value.len().saturating_sub(1)
    );
    if a.flags.dry_run {
        println!(
            "{diff}PUT {}v1.0/servicePrincipals/{}/synchronization/secrets (all {} secrets; values not shown)",
            graph.endpoints().graph,
            sp.id,
            updated.value.len()
        );
        return Ok(());
    }
    eprint!("{diff}");
    confirm(
        &format!("Write the synchronization secrets of {name}"),
        a.flags.yes,
    )?;
    let req = directory::put_secrets_request(&sp.id, &updated)?;
    graph.send(&req).await?;
    eprintln!(
        "{name}: delete threshold is now {}.",
        threshold_text(&Ok(after))
    );
    Ok(())
}
