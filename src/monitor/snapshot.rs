//! One tenant's provisioning state at one moment: every synchronization job (through the `$batch`
//! discovery), the service principals whose jobs could not be listed, and the provisioning agents
//! when the identity may read them. Exporter scrapes, `provctl metrics` and `jobs watch` all read
//! snapshots, never Graph directly.

use chrono::{DateTime, Utc};

use crate::graph::agents;
use crate::graph::model::OnPremisesAgent;
use crate::graph::sync::{self, DiscoverFailure, DiscoverOptions, JobEntry};
use crate::graph::{GraphClient, GraphError};

/// What a snapshot reads.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    /// How jobs are discovered (which service principals, `$batch` concurrency).
    pub discover: DiscoverOptions,
    /// Also read the cloud sync agents (two beta calls; Graph answers them only to a signed-in
    /// user, so an app-only identity gets [`AgentsView::NotReadable`]).
    pub agents: bool,
}

/// The agents part of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentsView {
    /// Not asked for.
    NotRead,
    /// The identity may not read agents (Graph answered 401/403: app-only tokens are refused).
    NotReadable,
    /// Reading them failed for another reason; the jobs are still good.
    Failed(String),
    /// Every provisioning agent.
    Read(Vec<OnPremisesAgent>),
}

/// A tenant's jobs and agents at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSnapshot {
    /// When the snapshot was taken (the end of the refresh).
    pub taken_at: DateTime<Utc>,
    /// Every job found.
    pub jobs: Vec<JobEntry>,
    /// Service principals whose jobs could not be listed.
    pub failures: Vec<DiscoverFailure>,
    /// How many service principals were looked at.
    pub service_principals: usize,
    /// The agents.
    pub agents: AgentsView,
}

/// Takes a snapshot of one tenant. Fails only when the jobs cannot be discovered at all.
pub async fn collect(
    client: &GraphClient,
    opts: &CollectOptions,
) -> Result<TenantSnapshot, GraphError> {
    let inventory = sync::discover_jobs(client, &opts.discover).await?;
    let agents = if opts.agents {
        match agents::inventory(client).await {
            Ok(inv) => AgentsView::Read(inv.agents),
            Err(e) if matches!(e.status(), Some(401 | 403)) => AgentsView::NotReadable,
            Err(e) => AgentsView::Failed(e.to_string()),
        }
    } else {
        AgentsView::NotRead
    };
    Ok(TenantSnapshot {
        taken_at: Utc::now(),
        jobs: inventory.jobs,
        failures: inventory.failures,
        service_principals: inventory.service_principals,
        agents,
    })
}
