//! `--profiles a,b,c` and `--all-profiles`: running a read command for several tenants in one go.
//! Each profile signs in on its own and runs concurrently (see [`crate::monitor::tenants`]); a
//! tenant that fails is reported by name on stderr while the others' results are shown, and the
//! command then exits 8 naming it. Without these flags a command runs for the one tenant of the
//! global flags, exactly as before.

use std::future::Future;

use clap::Args;
use serde_json::Value;

use super::{CliError, Context, ErrorKind};
use crate::graph::GraphClient;
use crate::monitor::{DEFAULT_TENANT_CONCURRENCY, across_tenants};
use crate::output::{Cell, Column, Table};

/// Which tenants a read command covers.
#[derive(Debug, Clone, Default, Args)]
pub struct TenantArgs {
    /// Run for each of these profiles (comma-separated), concurrently, each signing in with its
    /// own tenant and credentials; the output gains a TENANT column (`tenant` in JSON).
    #[arg(
        long,
        value_name = "NAME,...",
        value_delimiter = ',',
        conflicts_with = "all_profiles"
    )]
    pub profiles: Vec<String>,

    /// Run for every profile in the config file (`provctl config list`).
    #[arg(long)]
    pub all_profiles: bool,
}

impl TenantArgs {
    /// Whether several tenants were asked for.
    pub fn is_multi(&self) -> bool {
        self.all_profiles || !self.profiles.is_empty()
    }
}

/// Where one tenant's work runs.
#[derive(Debug, Clone)]
pub struct On {
    /// The tenant's client.
    pub graph: GraphClient,
    /// Whether this is one of several tenants (progress bars stay off then).
    pub multi: bool,
}

/// One tenant's outcome.
#[derive(Debug)]
pub struct TenantRun<T> {
    /// The profile name; `None` in a single-tenant run.
    pub tenant: Option<String>,
    /// What the work returned.
    pub result: Result<T, CliError>,
}

/// The profile names `args` selects: the given ones (each must exist), or all of them.
fn profile_names(ctx: &Context, args: &TenantArgs) -> Result<Vec<String>, CliError> {
    let (path, config) = ctx.config()?;
    if args.all_profiles {
        if config.profiles.is_empty() {
            return Err(CliError::usage(format!(
                "--all-profiles: {} has no profiles; add one with `provctl config set --profile NAME tenant TENANT`",
                path.display()
            )));
        }
        return Ok(config.profiles.keys().cloned().collect());
    }
    let mut names: Vec<String> = Vec::new();
    for raw in &args.profiles {
        let name = raw.trim();
        if name.is_empty() {
            return Err(CliError::usage(
                "--profiles has an empty name; give profile names separated by commas (a,b,c)",
            ));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Runs `work` for the tenant of the global flags, or for every selected profile concurrently.
/// In a single-tenant run an error is returned as is (the command's usual exit code); in a
/// multi-tenant run each tenant's error stays in its [`TenantRun`].
pub async fn each_tenant<T, F, Fut>(
    ctx: &Context,
    args: &TenantArgs,
    work: F,
) -> Result<Vec<TenantRun<T>>, CliError>
where
    F: Fn(On) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    if !args.is_multi() {
        let graph = ctx.graph().await?.clone();
        let result = work(On {
            graph,
            multi: false,
        })
        .await?;
        return Ok(vec![TenantRun {
            tenant: None,
            result: Ok(result),
        }]);
    }
    let names = profile_names(ctx, args)?;
    let clients = ctx.profile_clients(&names).await?;
    let work = &work;
    Ok(across_tenants(
        clients,
        DEFAULT_TENANT_CONCURRENCY,
        |(name, client)| async move {
            let result = match client {
                Ok(graph) => work(On { graph, multi: true }).await,
                Err(e) => Err(e),
            };
            TenantRun {
                tenant: Some(name),
                result,
            }
        },
    )
    .await)
}

/// The tenant's name in a single-tenant run's metrics: `--tenant`, else the profile's tenant or
/// name, else `default`.
pub fn single_tenant_label(ctx: &Context) -> Result<String, CliError> {
    if let Some(t) = &ctx.global.tenant {
        return Ok(t.clone());
    }
    Ok(match ctx.profile()? {
        Some(p) => p.tenant.unwrap_or(p.name),
        None => "default".to_owned(),
    })
}

/// Every selected tenant's name and client (or why it has none), for long-running work that
/// keeps going when one tenant cannot sign in. A single-tenant run fails at once instead.
pub async fn tenant_clients(
    ctx: &Context,
    args: &TenantArgs,
) -> Result<Vec<(String, Result<GraphClient, CliError>)>, CliError> {
    if !args.is_multi() {
        let graph = ctx.graph().await?.clone();
        return Ok(vec![(single_tenant_label(ctx)?, Ok(graph))]);
    }
    let names = profile_names(ctx, args)?;
    ctx.profile_clients(&names).await
}

/// Prints each failed tenant's error on stderr (named), and returns the exit-8 error naming them
/// all, or `None` when every tenant answered.
pub fn failed_tenants<T>(runs: &[TenantRun<T>], color: bool) -> Option<CliError> {
    let failed: Vec<(&str, &CliError)> = runs
        .iter()
        .filter_map(|r| match (&r.tenant, &r.result) {
            (Some(name), Err(e)) => Some((name.as_str(), e)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        return None;
    }
    for (name, e) in &failed {
        CliError {
            kind: e.kind,
            message: format!("tenant {name}: {}", e.message),
            hints: e.hints.clone(),
        }
        .report(color);
    }
    let names: Vec<&str> = failed.iter().map(|(n, _)| *n).collect();
    Some(CliError::new(
        ErrorKind::Partial,
        format!(
            "{} of {} tenants failed: {} (see the errors above); the results of the others are shown",
            failed.len(),
            runs.len(),
            names.join(", ")
        ),
    ))
}

/// Adds `"tenant": NAME` to a JSON object (a multi-tenant result item).
pub fn tag(mut doc: Value, tenant: Option<&str>) -> Value {
    if let (Some(t), Some(o)) = (tenant, doc.as_object_mut()) {
        o.insert("tenant".into(), Value::String(t.to_owned()));
    }
    doc
}

/// Adds the TENANT column in front of a table whose rows came from `tenants` (one per row), in
/// a multi-tenant run.
pub fn with_tenant_column(mut table: Table, multi: bool, tenants: &[&str]) -> Table {
    if multi {
        table.prepend_column(
            Column::new("TENANT", "tenant").keep(),
            tenants
                .iter()
                .map(|t| ((*t).to_owned(), Cell::Plain))
                .collect(),
        );
    }
    table
}
