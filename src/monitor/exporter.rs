//! The exporter's core: the tenants being watched, the last good snapshot of each, a refresh loop on
//! its own schedule, and the HTTP endpoint (`/metrics`, `/healthz`) that serves the last
//! snapshots. A scrape only encodes what is held: it never calls Graph, so scrapes cannot spend a
//! tenant's Graph budget, however often Prometheus comes. A failed refresh keeps the last good
//! snapshot and marks it stale.

use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::metrics::{
    OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, TenantMetrics, encode_metrics, encode_openmetrics,
};
use super::snapshot::{CollectOptions, TenantSnapshot, collect};
use super::tenants::{DEFAULT_TENANT_CONCURRENCY, across_tenants};
use crate::graph::GraphClient;

/// The default time between refreshes: a tenant costs ceil(N/999) + ceil(N/20) requests per
/// refresh (plus two for agents), far inside Graph's per-app budgets at this pace.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(300);

/// How the monitor refreshes.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// What each snapshot reads.
    pub collect: CollectOptions,
    /// Time between the start of two refreshes.
    pub interval: Duration,
    /// Tenants refreshed at once.
    pub concurrency: usize,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions {
            collect: CollectOptions {
                agents: true,
                ..CollectOptions::default()
            },
            interval: DEFAULT_REFRESH,
            concurrency: DEFAULT_TENANT_CONCURRENCY,
        }
    }
}

/// What the monitor knows about one tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantState {
    /// The tenant's name (profile name, or the tenant of a single-tenant run).
    pub name: String,
    /// The last snapshot taken successfully.
    pub last_good: Option<TenantSnapshot>,
    /// Why the last refresh failed, when it did.
    pub last_error: Option<String>,
    /// When the last refresh ended.
    pub last_attempt: Option<DateTime<Utc>>,
    /// Refreshes that failed so far.
    pub refresh_failures: u64,
}

/// One watched tenant: its client (or why none could be made) and its state.
struct Watched {
    client: Result<GraphClient, String>,
    state: TenantState,
}

/// The tenants being watched and their last snapshots.
pub struct Monitor {
    opts: MonitorOptions,
    tenants: RwLock<Vec<Watched>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("opts", &self.opts)
            .field("tenants", &self.read().len())
            .finish()
    }
}

impl Monitor {
    /// A monitor of these tenants: `(name, client)`, or `(name, Err(why))` for a tenant whose
    /// client could not be set up (it is reported as down on every refresh, not dropped).
    pub fn new(tenants: Vec<(String, Result<GraphClient, String>)>, opts: MonitorOptions) -> Self {
        Monitor {
            opts,
            tenants: RwLock::new(
                tenants
                    .into_iter()
                    .map(|(name, client)| Watched {
                        client,
                        state: TenantState {
                            name,
                            ..TenantState::default()
                        },
                    })
                    .collect(),
            ),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Watched>> {
        self.tenants.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Refreshes every tenant (at most `concurrency` at once) and returns their states afterwards.
    /// A tenant that fails keeps its last good snapshot.
    pub async fn refresh(&self) -> Vec<TenantState> {
        let clients: Vec<(usize, Result<GraphClient, String>)> = self
            .read()
            .iter()
            .enumerate()
            .map(|(i, w)| (i, w.client.clone()))
            .collect();
        let collect_opts = &self.opts.collect;
        let outcomes = across_tenants(clients, self.opts.concurrency, |(i, client)| async move {
            let result = match client {
                Ok(c) => collect(&c, collect_opts).await.map_err(|e| e.to_string()),
                Err(why) => Err(why),
            };
            (i, result)
        })
        .await;
        let now = Utc::now();
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        for (i, result) in outcomes {
            let Some(w) = tenants.get_mut(i) else {
                continue;
            };
            w.state.last_attempt = Some(now);
            match result {
                Ok(snap) => {
                    w.state.last_good = Some(snap);
                    w.state.last_error = None;
                }
                Err(why) => {
                    tracing::warn!(target: "provctl::monitor", "refreshing tenant {} failed: {why}", w.state.name);
                    w.state.last_error = Some(why);
                    w.state.refresh_failures += 1;
                }
            }
        }
        tenants.iter().map(|w| w.state.clone()).collect()
    }

    /// The tenants' states as they are now.
    pub fn states(&self) -> Vec<TenantState> {
        self.read().iter().map(|w| w.state.clone()).collect()
    }

    /// Whether at least one refresh has ended.
    pub fn has_refreshed(&self) -> bool {
        self.read().iter().any(|w| w.state.last_attempt.is_some())
    }

    /// The metrics of what is held now (no Graph call): OpenMetrics text when `openmetrics`, else
    /// the Prometheus text format.
    pub fn encode(&self, now: DateTime<Utc>, openmetrics: bool) -> String {
        let tenants = self.read();
        let metrics: Vec<TenantMetrics<'_>> = tenants
            .iter()
            .map(|w| TenantMetrics {
                tenant: &w.state.name,
                snapshot: w.state.last_good.as_ref(),
                last_refresh_failed: w.state.last_error.is_some(),
                last_attempt: w.state.last_attempt,
                refresh_failures: w.state.refresh_failures,
                stats: w.client.as_ref().ok().map(GraphClient::stats),
            })
            .collect();
        if openmetrics {
            encode_openmetrics(&metrics, now)
        } else {
            encode_metrics(&metrics, now)
        }
    }

    /// Refreshes forever, one refresh every `interval` (a slow refresh delays the next one rather
    /// than overlapping it).
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.opts.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.refresh().await;
        }
    }

    /// The HTTP endpoint: `GET /metrics` (OpenMetrics text of the last snapshots) and
    /// `GET /healthz` (200 once the first refresh has ended, 503 before).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .with_state(self)
    }
}

/// Prometheus asks for OpenMetrics in `Accept` and gets it; anything else (curl, older scrapers)
/// gets the Prometheus text format.
async fn metrics(State(m): State<Arc<Monitor>>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        OPENMETRICS_CONTENT_TYPE
    } else {
        TEXT_CONTENT_TYPE
    };
    (
        [(header::CONTENT_TYPE, content_type)],
        m.encode(Utc::now(), openmetrics),
    )
        .into_response()
}

async fn healthz(State(m): State<Arc<Monitor>>) -> Response {
    if m.has_refreshed() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: the first refresh has not ended yet\n",
        )
            .into_response()
    }
}
