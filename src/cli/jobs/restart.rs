//! `provctl jobs restart JOB --reset <scopes>`: `POST .../restart` with the reset scope spelled the
//! way Microsoft's docs send it, behind guard rails: no default scope, `None`/`ConnectorDataStore`
//! only with `--force`, and `full`/`force-deletes`/`None`/`ConnectorDataStore` only after a
//! confirmation (or `--yes` in scripts) — `--force` allows a scope, `--yes` confirms the action —
//! and `--dry-run` to see the exact request first.

use std::io::IsTerminal;

use clap::Args;

use super::wait::{WaitArgs, wait};
use super::{confirm_hint, print_dry_run, resolve};
use crate::cli::bulk::{Bulk, BulkVerb};
use crate::cli::resolve::{JobTarget, JobsArg};
use crate::cli::{CliError, Context, ErrorKind};
use crate::graph::model::ResetScope;
use crate::graph::sync::{self, RunMarker};

/// The reset choices, one line each (shown in `--help` and when `--reset` is missing).
pub const RESET_CHOICES: &str = "\
Reset scopes (--reset, comma-separated; exact Graph names such as Escrows or QuarantineState work too):
  portal                what the portal's \"Restart provisioning\" does: no resetScope sent
                        (Microsoft: similar to quarantine + watermark + escrows; meets most needs)
  escrows               Escrows: forget the failed objects waiting to be retried
  watermark             Watermark: re-evaluate every object; the next run is a full initial cycle
  quarantine            QuarantineState: lift the quarantine temporarily
  full                  Full: escrows + watermark + quarantine + the connector cache (asks to confirm)
  force-deletes         ForceDeletes: push the deletes held back by the accidental-deletion
                        threshold (not part of full; asks to confirm)
  connector-data-store  ConnectorDataStore: clear the cache for every object; Microsoft: only with
                        Microsoft Support (needs --force)
  none                  None: Microsoft: do not use, call `provctl jobs start` instead (needs --force)";

/// Arguments of `provctl jobs restart`.
#[derive(Debug, Clone, Args)]
#[command(after_help = RESET_CHOICES)]
pub struct RestartArgs {
    /// The job to act on, or --all.
    #[command(flatten)]
    pub jobs: JobsArg,

    /// What to clear, comma-separated (escrows,watermark,quarantine | full | force-deletes |
    /// portal | ...): see the list below.
    #[arg(long, value_name = "SCOPES", value_parser = ResetParser, hide_possible_values = true)]
    pub reset: Option<ResetScope>,

    /// Allow the scopes Microsoft says not to use (none, connector-data-store). Allowing is not
    /// confirming: they still ask, or need --yes. With --all, also restart the jobs quarantined
    /// for TooManyDeletes instead of skipping them.
    #[arg(long)]
    pub force: bool,

    /// Confirm full / force-deletes / none / connector-data-store, or --all, without being asked
    /// (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print the exact HTTP request and send nothing that changes the job (the job is still
    /// looked up with read-only GETs to find its application).
    #[arg(long)]
    pub dry_run: bool,

    /// Whether and how long to wait for the next run.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// Parses `--reset`: friendly names and exact Graph names, comma-separated; `portal` alone.
pub fn parse_reset(value: &str) -> Result<ResetScope, CliError> {
    let parts: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(missing_reset(&format!("--reset '{value}' names no scope")));
    }
    if parts.iter().any(|p| p.eq_ignore_ascii_case("portal")) {
        if parts.len() > 1 {
            return Err(CliError::usage(format!(
                "--reset '{value}': `portal` sends no resetScope at all, so it cannot be combined with other scopes"
            )));
        }
        return Ok(ResetScope::empty());
    }
    let mut scope = ResetScope::empty();
    for p in parts {
        let friendly = match p.to_ascii_lowercase().as_str() {
            "quarantine" => Some(ResetScope::QUARANTINE_STATE),
            "force-deletes" | "forcedeletes" => Some(ResetScope::FORCE_DELETES),
            "connector-data-store" | "connectordatastore" => Some(ResetScope::CONNECTOR_DATA_STORE),
            "quarantine-state" => Some(ResetScope::QUARANTINE_STATE),
            _ => None,
        };
        scope |= match friendly {
            Some(s) => s,
            None => ResetScope::parse(p)
                .map_err(|_| missing_reset(&format!("--reset: '{p}' is not a reset scope")))?,
        };
    }
    Ok(scope)
}

/// What the job says about the deletes it holds back: the message of its TooManyDeletes error,
/// quoted as Graph wrote it.
fn pending_deletes(job: &crate::graph::model::SynchronizationJob) -> Option<&str> {
    job.too_many_deletes_error()
        .and_then(|e| e.message.as_deref())
        .filter(|m| !m.is_empty())
}

/// `--reset` typed at the edge: [`parse_reset`] decides; the friendly names are listed for
/// `--help` and completions.
#[derive(Debug, Clone, Copy)]
pub struct ResetParser;

impl clap::builder::TypedValueParser for ResetParser {
    type Value = ResetScope;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ResetScope, clap::Error> {
        parse_reset(&value.to_string_lossy()).map_err(|e| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{}\n", e.message),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            [
                "portal",
                "escrows",
                "watermark",
                "quarantine",
                "full",
                "force-deletes",
                "connector-data-store",
                "none",
            ]
            .into_iter()
            .map(clap::builder::PossibleValue::new),
        ))
    }
}

fn missing_reset(message: &str) -> CliError {
    CliError::usage(format!("{message}\n\n{RESET_CHOICES}"))
}

/// True for the scopes that re-process or delete a lot, or that Microsoft says not to use: they
/// need a confirmation (`--force` only allows the latter).
fn needs_confirmation(scope: ResetScope) -> bool {
    scope.contains(ResetScope::FULL)
        || scope.contains(ResetScope::FORCE_DELETES)
        || scope.is_discouraged()
}

/// Runs `provctl jobs restart`.
pub async fn run(ctx: &Context, args: RestartArgs) -> Result<(), CliError> {
    let Some(scope) = args.reset else {
        return Err(missing_reset(
            "--reset is required: say what the restart should clear",
        ));
    };
    if scope.is_discouraged() && !args.force {
        let which = if scope.is_none_member() {
            "None (Microsoft: \"DO NOT USE. Use the Start synchronizationJob API instead\")"
        } else {
            "ConnectorDataStore (Microsoft: \"DO NOT USE. Contact Microsoft Support for guidance\")"
        };
        return Err(CliError::usage(format!(
            "refusing to restart with resetScope {which}"
        ))
        .hint(if scope.is_none_member() {
            "to resume a paused or quarantined job use `provctl jobs start`; add --force to send None anyway"
        } else {
            "add --force if Microsoft Support asked you to clear the connector data store"
        }));
    }
    let one = match args.jobs.target()? {
        JobTarget::One(one) => one,
        JobTarget::All(all) => {
            let bulk = Bulk::new(
                BulkVerb::Restart(scope),
                args.force,
                args.yes,
                args.dry_run,
                &args.wait,
            );
            return bulk.run(ctx, &all).await;
        }
    };
    let risky = needs_confirmation(scope) && !args.dry_run;
    if risky && !args.yes && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "restarting with resetScope \"{}\" needs confirmation, and stdin is not a terminal; nothing was sent",
            scope.to_wire()
        ))
        .hint(confirm_hint()));
    }
    let entry = resolve(ctx, &one).await?;
    let key = entry.key();
    let graph = ctx.graph().await?;
    let req = sync::restart_request(&key, scope);
    if args.dry_run {
        return print_dry_run(ctx, graph, &req);
    }
    let name = super::job_label(&entry);
    if risky && !args.yes {
        let what = if scope.contains(ResetScope::FORCE_DELETES) {
            let reported = match pending_deletes(&entry.job) {
                Some(said) => format!(
                    "This lets every delete held back by the accidental-deletion threshold through; the job reports: \"{}\"",
                    crate::output::sanitize::line(said)
                ),
                None => "This lets every delete held back by the accidental-deletion threshold through (the job reports no TooManyDeletes error, so no count is known)".to_owned(),
            };
            // The log's list is one command away; reading it here would widen the consent the
            // jobs commands ask a user for (the table lists only calls a command makes).
            format!(
                "{reported}\nThe delete events of the job's current cycle: `provctl quarantine deletes {key}`"
            )
        } else if scope.is_none_member() {
            "Microsoft says not to use None (use `provctl jobs start` instead).".to_owned()
        } else if scope.is_discouraged() {
            "Microsoft says to clear the connector data store only with Microsoft Support: every object's cached state is dropped.".to_owned()
        } else {
            "The next run re-evaluates every object (a full initial cycle) and forgets the retry queue".to_owned()
        };
        crate::cli::prompt::confirm(
            &format!(
                "Restart {name} with resetScope \"{}\". {what}",
                scope.to_wire()
            ),
            false,
        )?;
    }
    let before = RunMarker::of(&entry.job);
    graph.send(&req).await?;
    let wire = if scope.is_empty() {
        "(none: the portal's Restart provisioning)".to_owned()
    } else {
        format!("\"{}\"", scope.to_wire())
    };
    let mut doc = serde_json::json!({
        "action": "restart",
        "servicePrincipal": {"id": entry.service_principal.id, "displayName": entry.service_principal.display_name},
        "jobId": entry.job.id,
        "resetScope": scope.to_wire(),
    });
    if args.wait.wait {
        eprintln!("Restarted {name} with resetScope {wire}.");
        let result = wait(ctx, &key, &name, &before, &args.wait).await;
        let job = match result {
            Ok(job) => job,
            Err(e) => return finish_with(ctx, &doc, e),
        };
        doc["job"] = serde_json::to_value(&job).unwrap_or_default();
        doc["healthy"] = serde_json::Value::Bool(true);
        ctx.out.emit_text(&doc, |_| {
            format!("{name}: restarted; the next run finished healthy.")
        })?;
        return Ok(());
    }
    ctx.out.emit_text(&doc, |_| {
        format!("Restarted {name} with resetScope {wire}.\nThe next run starts shortly; follow it with `provctl jobs show {}`.", key)
    })?;
    Ok(())
}

/// After a `--wait` that ended unhealthy: still print the action's document, then fail.
pub(crate) fn finish_with(
    ctx: &Context,
    doc: &serde_json::Value,
    err: CliError,
) -> Result<(), CliError> {
    let machine = ctx.out.format != crate::output::OutputFormat::Table || ctx.out.has_query();
    if machine && matches!(err.kind, ErrorKind::Unhealthy | ErrorKind::Timeout) {
        let mut d = doc.clone();
        d["healthy"] = serde_json::Value::Bool(false);
        ctx.out.emit_text(&d, |_| String::new())?;
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_and_graph_names_parse_to_the_same_scope() {
        let want = ResetScope::ESCROWS | ResetScope::WATERMARK | ResetScope::QUARANTINE_STATE;
        assert_eq!(parse_reset("escrows,watermark,quarantine").ok(), Some(want));
        assert_eq!(
            parse_reset("Escrows, Watermark, QuarantineState").ok(),
            Some(want)
        );
        assert_eq!(
            parse_reset("force-deletes").ok(),
            Some(ResetScope::FORCE_DELETES)
        );
        assert_eq!(parse_reset("portal").ok(), Some(ResetScope::empty()));
        assert_eq!(parse_reset("none").ok(), Some(ResetScope::NONE));
        let bad = parse_reset("escrows,everything")
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            bad.contains("'everything'") && bad.contains("force-deletes"),
            "{bad}"
        );
        assert!(parse_reset("portal,escrows").is_err());
    }
}
