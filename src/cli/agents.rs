//! `provctl agents list|check`: the cloud sync (provisioning) agents, their groups and the AD domains
//! they serve, and whether every domain has an active agent. Graph serves these beta endpoints only
//! to a signed-in user, so an app-only 403 is explained rather than passed through.

use serde_json::json;

use super::tenants::{TenantArgs, TenantRun, each_tenant, failed_tenants, with_tenant_column};
use super::{CliError, Context, ErrorKind};
use crate::graph::GraphError;
use crate::graph::agents::{self, AgentInventory, DomainHealth};
use crate::graph::permissions::Operation;
use crate::output::{Cell, Column, Field, Table};

/// `provctl agents ...`
#[derive(Debug, clap::Args)]
pub struct AgentsArgs {
    #[command(subcommand)]
    command: AgentsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AgentsCommand {
    /// List provisioning agents: machine, external IP, status, agent groups and the domains they serve.
    ///
    /// Calls GET /beta/onPremisesPublishingProfiles/provisioning/agents?$expand=agentGroups and
    /// .../publishedResources?$expand=agentGroups. Needs a user sign-in (`provctl login`) with the
    /// delegated permission Policy.Read.HybridAuthentication; app-only tokens are refused by Graph.
    List,
    /// Exit non-zero (7) when an AD domain has no active agent, naming the job-level error cloud sync
    /// will report for it (HybridIdentityServiceNoActiveAgents / HybridIdentityServiceNoAgentsAssigned).
    Check(CheckArgs),
}

/// Arguments of `provctl agents check`.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Which tenants.
    #[command(flatten)]
    tenants: TenantArgs,
}

/// Runs `provctl agents`.
pub async fn run(ctx: &Context, args: AgentsArgs) -> Result<(), CliError> {
    match args.command {
        AgentsCommand::List => {
            let graph = ctx.graph().await?;
            let inv = agents::inventory(graph).await.map_err(CliError::from)?;
            list(ctx, &inv)
        }
        AgentsCommand::Check(a) => {
            let runs = each_tenant(ctx, &a.tenants, |on| async move {
                let mut inv = agents::inventory(&on.graph).await.map_err(CliError::from)?;
                // Health is per domain: without the domains there is nothing to judge.
                match inv.domains_refused.take() {
                    Some(e) => Err(GraphError::Service(Box::new(e)).into()),
                    None => Ok(inv),
                }
            })
            .await?;
            check(ctx, &runs, a.tenants.is_multi())
        }
    }
}

fn list(ctx: &Context, inv: &AgentInventory) -> Result<(), CliError> {
    if let Some(e) = &inv.domains_refused {
        let needs = crate::graph::permissions::grant(Operation::ListPublishedResources);
        eprintln!(
            "note: DOMAINS is left blank: Graph refused the published-resources call (HTTP {}); reading domains needs one of {}",
            e.status,
            needs.delegated.join(", ")
        );
    }
    let domains = inv.domains_of_agents();
    let doc = json!({ "agents": inv.agents, "publishedResources": inv.domains });
    ctx.out.emit(&doc, || {
        let mut t = Table::new([
            // The machine names the row: it gets room before the groups and domains.
            Column::new("MACHINE", "machineName").min_width(16),
            Column::machine("agentId"),
            Column::new("EXTERNAL IP", "externalIp").keep().priority(2),
            Column::new("STATUS", "status").keep(),
            Column::new("AGENT GROUPS", "agentGroups").priority(1),
            Column::new("DOMAINS", "domains").priority(1),
        ]);
        for a in &inv.agents {
            let status = a
                .status
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "unknown".into());
            let style = if a.is_active() { Cell::Good } else { Cell::Bad };
            let groups: Vec<String> = a
                .agent_groups
                .iter()
                .map(|g| g.display_name.clone().unwrap_or_else(|| g.id.clone()))
                .collect();
            t.push(vec![
                Field::new(a.machine_name.clone().unwrap_or_else(|| a.id.clone())),
                Field::new(a.id.clone()),
                Field::new(a.external_ip.clone().unwrap_or_default()),
                Field::new(status).style(style),
                Field::new(groups.join(", ")),
                Field::new(domains.get(&a.id).map(|d| d.join(", ")).unwrap_or_default()),
            ]);
        }
        t
    })?;
    Ok(())
}

fn check(ctx: &Context, runs: &[TenantRun<AgentInventory>], multi: bool) -> Result<(), CliError> {
    let health: Vec<(&str, DomainHealth)> = runs
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|inv| (r, inv)))
        .flat_map(|(r, inv)| {
            let tenant = r.tenant.as_deref().unwrap_or("");
            inv.domain_health().into_iter().map(move |h| (tenant, h))
        })
        .collect();
    let unhealthy: Vec<&(&str, DomainHealth)> = health
        .iter()
        .filter(|(_, h)| h.expected_error.is_some())
        .collect();
    let doc = serde_json::Value::Array(
        health
            .iter()
            .map(|(tenant, h)| {
                let v = serde_json::to_value(h).unwrap_or_default();
                super::tenants::tag(v, multi.then_some(*tenant))
            })
            .collect(),
    );
    ctx.out.emit(&doc, || {
        let mut t = Table::new([
            Column::new("DOMAIN", "domain"),
            Column::new("AGENTS", "agents").priority(1),
            Column::new("ACTIVE", "activeAgents"),
            Column::new("RESULT", "result"),
        ]);
        for (_, h) in &health {
            let (result, style) = match &h.expected_error {
                None => ("ok".to_owned(), Cell::Good),
                Some(code) => (format!("jobs will fail: {code}"), Cell::Bad),
            };
            t.styled_row(vec![
                (h.domain.clone(), Cell::Plain),
                (
                    if h.agents.is_empty() {
                        "none".into()
                    } else {
                        h.agents.join(", ")
                    },
                    Cell::Plain,
                ),
                (
                    if h.active_agents.is_empty() {
                        "none".into()
                    } else {
                        h.active_agents.join(", ")
                    },
                    if h.active_agents.is_empty() {
                        Cell::Bad
                    } else {
                        Cell::Good
                    },
                ),
                (result, style),
            ]);
        }
        let tenants: Vec<&str> = health.iter().map(|(t, _)| *t).collect();
        with_tenant_column(t, multi, &tenants)
    })?;
    if let Some(e) = failed_tenants(runs, ctx.stderr_color()) {
        return Err(e);
    }
    if unhealthy.is_empty() {
        return Ok(());
    }
    let mut err = CliError::new(
        ErrorKind::Unhealthy,
        format!(
            "{} of {} domain(s) have no active agent",
            unhealthy.len(),
            health.len()
        ),
    );
    for (tenant, h) in unhealthy {
        let fix = match h.expected_error.as_deref() {
            Some("HybridIdentityServiceNoAgentsAssigned") => {
                "install and register a provisioning agent for it"
            }
            _ => {
                "start the 'Microsoft Entra Provisioning Agent' service on the agent host and allow outbound 443 to *.msappproxy.net and *.servicebus.windows.net (`provctl doctor network` on that host)"
            }
        };
        let prefix = if multi {
            format!("tenant {tenant}, ")
        } else {
            String::new()
        };
        err = err.hint(format!(
            "{prefix}{}: jobs will fail with {}; {fix}",
            h.domain,
            h.expected_error.as_deref().unwrap_or("")
        ));
    }
    Err(err)
}
