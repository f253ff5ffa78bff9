//! Cloud sync (provisioning) agents, their agent groups and the AD domains (published resources)
//! they serve: beta `onPremisesPublishingProfiles/provisioning/...`. Graph answers these only to a
//! signed-in user (delegated permission `Policy.Read.HybridAuthentication`); app-only tokens get 403.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use serde::Serialize;

use super::model::{OnPremisesAgent, PublishedResource};
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest, ServiceError};

/// The agents and domains of a tenant, joined through their agent groups.
#[derive(Debug, Clone, Serialize)]
pub struct AgentInventory {
    /// Every provisioning agent, with its agent groups.
    pub agents: Vec<OnPremisesAgent>,
    /// Every published resource (AD domain), with its agent groups (empty when refused).
    pub domains: Vec<PublishedResource>,
    /// Graph's refusal (401/403) of the published-resources call, when the token may read agents
    /// but not domains: the agents are still listed, the domains are unknown.
    #[serde(skip)]
    pub domains_refused: Option<ServiceError>,
}

/// The health of one domain's agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainHealth {
    /// The domain (published resource display name or resource name).
    pub domain: String,
    /// Agents assigned to the domain through its agent groups.
    pub agents: Vec<String>,
    /// Those of them that are active.
    pub active_agents: Vec<String>,
    /// The job-level error cloud sync reports for this state, if unhealthy:
    /// `HybridIdentityServiceNoAgentsAssigned` or `HybridIdentityServiceNoActiveAgents`.
    pub expected_error: Option<String>,
}

fn profile_path(collection: &str) -> GraphPath {
    GraphPath::new()
        .lit("onPremisesPublishingProfiles/provisioning")
        .seg(collection)
}

/// The request that lists agents with their groups.
pub fn list_agents_request() -> GraphRequest {
    GraphRequest::get(ApiVersion::Beta, profile_path("agents")).query("$expand", "agentGroups")
}

/// The request that lists published resources (domains) with their groups.
pub fn list_domains_request() -> GraphRequest {
    GraphRequest::get(ApiVersion::Beta, profile_path("publishedResources"))
        .query("$expand", "agentGroups")
}

/// Lists agents and domains (two paged calls). A token that may read agents but not published
/// resources still gets the agents: the refusal is kept in `domains_refused`.
pub async fn inventory(client: &GraphClient) -> Result<AgentInventory, GraphError> {
    let agents: Vec<OnPremisesAgent> = client.items(list_agents_request()).try_collect().await?;
    let (domains, domains_refused) = match client
        .items(list_domains_request())
        .try_collect::<Vec<PublishedResource>>()
        .await
    {
        Ok(d) => (d, None),
        Err(GraphError::Service(e)) if matches!(e.status, 401 | 403) => (Vec::new(), Some(*e)),
        Err(e) => return Err(e),
    };
    Ok(AgentInventory {
        agents,
        domains,
        domains_refused,
    })
}

impl AgentInventory {
    /// The domains each agent serves (by agent id), through shared agent groups.
    pub fn domains_of_agents(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for agent in &self.agents {
            let groups: Vec<&str> = agent.agent_groups.iter().map(|g| g.id.as_str()).collect();
            let names = self
                .domains
                .iter()
                .filter(|d| {
                    d.agent_groups
                        .iter()
                        .any(|g| groups.contains(&g.id.as_str()))
                })
                .map(domain_name)
                .collect();
            out.insert(agent.id.clone(), names);
        }
        out
    }

    /// Per domain: which agents serve it, which are active, and the error cloud sync reports when
    /// none is.
    pub fn domain_health(&self) -> Vec<DomainHealth> {
        self.domains
            .iter()
            .map(|d| {
                let groups: Vec<&str> = d.agent_groups.iter().map(|g| g.id.as_str()).collect();
                let serving: Vec<&OnPremisesAgent> = self
                    .agents
                    .iter()
                    .filter(|a| {
                        a.agent_groups
                            .iter()
                            .any(|g| groups.contains(&g.id.as_str()))
                    })
                    .collect();
                let name =
                    |a: &&OnPremisesAgent| a.machine_name.clone().unwrap_or_else(|| a.id.clone());
                let agents: Vec<String> = serving.iter().map(name).collect();
                let active_agents: Vec<String> =
                    serving.iter().filter(|a| a.is_active()).map(name).collect();
                let expected_error = if agents.is_empty() {
                    Some("HybridIdentityServiceNoAgentsAssigned".to_owned())
                } else if active_agents.is_empty() {
                    Some("HybridIdentityServiceNoActiveAgents".to_owned())
                } else {
                    None
                };
                DomainHealth {
                    domain: domain_name(d),
                    agents,
                    active_agents,
                    expected_error,
                }
            })
            .collect()
    }
}

fn domain_name(d: &PublishedResource) -> String {
    d.display_name
        .clone()
        .or_else(|| d.resource_name.clone())
        .unwrap_or_else(|| d.id.clone())
}
