//! Watching provisioning health over time and across tenants: a snapshot of a tenant's jobs (found
//! with the `$batch` discovery of [`crate::graph::sync`]) and agents, the Prometheus metric
//! families built from snapshots, the exporter's refresh loop and HTTP endpoint, the changes
//! between two snapshots (`jobs watch`), and running one piece of work for several tenants at
//! once, each with its own client.

pub mod exporter;
pub mod metrics;
pub mod snapshot;
pub mod tenants;
pub mod watch;

pub use exporter::{Monitor, MonitorOptions, TenantState};
pub use snapshot::{AgentsView, CollectOptions, TenantSnapshot, collect};
pub use tenants::{DEFAULT_TENANT_CONCURRENCY, across_tenants};
