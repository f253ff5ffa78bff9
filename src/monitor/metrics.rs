//! The Prometheus / OpenMetrics text of a set of tenants, built with `prometheus-client` from
//! what the monitor holds (the last good snapshot of each tenant, its refresh times and its
//! client's request counters). Building it never calls Graph. Labels name tenants, applications,
//! jobs, entry types and agents, all bounded by the tenant's configuration; never a provisioned
//! object.

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};

use super::snapshot::{AgentsView, TenantSnapshot};
use crate::graph::GraphStats;
use crate::graph::sync::{self, Health, JobEntry};

/// The content type of [`encode_openmetrics`]'s text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of [`encode_metrics`]'s text (Prometheus text format 0.0.4).
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The counter families, by their OpenMetrics name (samples add `_total`).
const COUNTERS: [&str; 4] = [
    "provctl_graph_requests",
    "provctl_graph_throttled",
    "provctl_graph_errors",
    "provctl_refresh_failures",
];

/// What the metrics of one tenant are made from.
#[derive(Debug, Clone, Copy)]
pub struct TenantMetrics<'a> {
    /// The tenant's name (its profile name, or the tenant id/domain of a single-tenant run).
    pub tenant: &'a str,
    /// The last snapshot taken successfully, if any.
    pub snapshot: Option<&'a TenantSnapshot>,
    /// Whether the last refresh failed (the snapshot, if any, is then stale).
    pub last_refresh_failed: bool,
    /// When the last refresh (successful or not) ended.
    pub last_attempt: Option<DateTime<Utc>>,
    /// Refreshes that failed so far.
    pub refresh_failures: u64,
    /// The tenant's client's request counters.
    pub stats: Option<&'a GraphStats>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabels {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    tenant: String,
    application: String,
    job_id: String,
    template: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobStateLabels {
    tenant: String,
    application: String,
    job_id: String,
    template: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuarantineLabels {
    tenant: String,
    application: String,
    job_id: String,
    template: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EntryLabels {
    tenant: String,
    application: String,
    job_id: String,
    template: String,
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabels {
    tenant: String,
    agent_id: String,
    machine: String,
    status: String,
}

type IntGauge<L> = Family<L, Gauge>;
type FloatGauge<L> = Family<L, Gauge<f64, AtomicU64>>;

/// Every family, registered once per encoding.
struct Families {
    health: IntGauge<JobStateLabels>,
    quarantined: IntGauge<QuarantineLabels>,
    series_start: FloatGauge<JobLabels>,
    series_count: IntGauge<JobLabels>,
    time_left: FloatGauge<JobLabels>,
    escrowed: IntGauge<JobLabels>,
    last_run: IntGauge<JobStateLabels>,
    last_run_end: FloatGauge<JobLabels>,
    entries: IntGauge<EntryLabels>,
    agent_active: IntGauge<AgentLabels>,
    agents_readable: IntGauge<TenantLabels>,
    tenant_up: IntGauge<TenantLabels>,
    stale: IntGauge<TenantLabels>,
    age: FloatGauge<TenantLabels>,
    last_refresh: FloatGauge<TenantLabels>,
    last_attempt: FloatGauge<TenantLabels>,
    discovery_failures: IntGauge<TenantLabels>,
    jobs: IntGauge<TenantLabels>,
    requests: Family<TenantLabels, Counter>,
    throttled: Family<TenantLabels, Counter>,
    errors: Family<TenantLabels, Counter>,
    refresh_failures: Family<TenantLabels, Counter>,
}

impl Families {
    fn register(reg: &mut Registry) -> Families {
        let f = Families {
            health: Family::default(),
            quarantined: Family::default(),
            series_start: Family::default(),
            series_count: Family::default(),
            time_left: Family::default(),
            escrowed: Family::default(),
            last_run: Family::default(),
            last_run_end: Family::default(),
            entries: Family::default(),
            agent_active: Family::default(),
            agents_readable: Family::default(),
            tenant_up: Family::default(),
            stale: Family::default(),
            age: Family::default(),
            last_refresh: Family::default(),
            last_attempt: Family::default(),
            discovery_failures: Family::default(),
            jobs: Family::default(),
            requests: Family::default(),
            throttled: Family::default(),
            errors: Family::default(),
            refresh_failures: Family::default(),
        };
        reg.register(
            "provctl_job_health",
            "1 for the job's health state (healthy, quarantined, failed, paused, notrun), 0 for the others",
            f.health.clone(),
        );
        reg.register(
            "provctl_job_quarantined",
            "1 when the job is quarantined; reason is the quarantine reason (none when not quarantined)",
            f.quarantined.clone(),
        );
        reg.register(
            "provctl_job_quarantine_series_start_timestamp_seconds",
            "When the current quarantine series began (seriesBegan), Unix time; quarantined jobs only",
            f.series_start.clone(),
        );
        reg.register(
            "provctl_job_quarantine_reevaluations",
            "How many times the quarantine was re-evaluated and kept in this series (seriesCount); quarantined jobs only",
            f.series_count.clone(),
        );
        reg.register(
            "provctl_job_quarantine_time_left_seconds",
            "Time left before the service disables the quarantined job, about 28 days after the series began (divide by 86400 for days; 0 when overdue)",
            f.time_left.clone(),
        );
        reg.register(
            "provctl_job_escrowed",
            "Escrowed (retrying) entries after the last run (countEscrowed)",
            f.escrowed.clone(),
        );
        reg.register(
            "provctl_job_last_execution",
            "1 with the state of the job's last execution (Succeeded, Failed, EntryLevelErrors, ...)",
            f.last_run.clone(),
        );
        reg.register(
            "provctl_job_last_execution_end_timestamp_seconds",
            "When the job's last execution ended, Unix time",
            f.last_run_end.clone(),
        );
        reg.register(
            "provctl_job_synchronized_entries",
            "Entries the job keeps in sync, by type (synchronizedEntryCountByType)",
            f.entries.clone(),
        );
        reg.register(
            "provctl_agent_active",
            "1 when the cloud sync provisioning agent is active; status is Graph's agent status",
            f.agent_active.clone(),
        );
        reg.register(
            "provctl_agents_readable",
            "1 when the identity may read the tenant's provisioning agents (a signed-in user), 0 otherwise",
            f.agents_readable.clone(),
        );
        reg.register(
            "provctl_tenant_up",
            "1 when the tenant's last refresh succeeded",
            f.tenant_up.clone(),
        );
        reg.register(
            "provctl_snapshot_stale",
            "1 when the last refresh failed and older data is being served (or none yet)",
            f.stale.clone(),
        );
        reg.register(
            "provctl_snapshot_age_seconds",
            "Age of the data served for the tenant",
            f.age.clone(),
        );
        reg.register(
            "provctl_last_refresh_timestamp_seconds",
            "When the tenant was last refreshed successfully, Unix time",
            f.last_refresh.clone(),
        );
        reg.register(
            "provctl_last_refresh_attempt_timestamp_seconds",
            "When the tenant's last refresh ended, successful or not, Unix time",
            f.last_attempt.clone(),
        );
        reg.register(
            "provctl_discovery_failures",
            "Service principals whose jobs could not be listed in the last good refresh",
            f.discovery_failures.clone(),
        );
        reg.register(
            "provctl_jobs",
            "Synchronization jobs found in the last good refresh",
            f.jobs.clone(),
        );
        reg.register(
            "provctl_graph_requests",
            "HTTP requests sent to Graph and the login endpoint for the tenant, retries included",
            f.requests.clone(),
        );
        reg.register(
            "provctl_graph_throttled",
            "Graph answers with status 429 (throttled)",
            f.throttled.clone(),
        );
        reg.register(
            "provctl_graph_errors",
            "Graph requests answered with an error status or lost to a network error",
            f.errors.clone(),
        );
        reg.register(
            "provctl_refresh_failures",
            "Refreshes of the tenant that failed",
            f.refresh_failures.clone(),
        );
        f
    }
}

/// A label value as OpenMetrics wants it: `\`, `"` and newlines escaped, other control characters
/// dropped (text from Graph may hold anything). `prometheus-client` writes label values as given.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

const HEALTH_STATES: [Health; 5] = [
    Health::Healthy,
    Health::Quarantined,
    Health::Failed,
    Health::Paused,
    Health::NotRun,
];

fn job_metrics(f: &Families, tenant: &str, e: &JobEntry, now: DateTime<Utc>) {
    let j = &e.job;
    let base = JobLabels {
        tenant: label(tenant),
        application: label(e.service_principal.name()),
        job_id: label(&j.id),
        template: label(j.template().unwrap_or("")),
    };
    let with_state = |state: &str| JobStateLabels {
        tenant: base.tenant.clone(),
        application: base.application.clone(),
        job_id: base.job_id.clone(),
        template: base.template.clone(),
        state: label(state),
    };
    let health = sync::health(j);
    for h in HEALTH_STATES {
        f.health
            .get_or_create(&with_state(h.as_str()))
            .set(i64::from(h == health));
    }
    let quarantine = j.quarantine().filter(|_| j.is_quarantined());
    let reason = quarantine
        .and_then(|q| q.reason.as_ref())
        .map(|r| r.as_str().to_owned())
        .unwrap_or_else(|| {
            if quarantine.is_some() {
                "unknown"
            } else {
                "none"
            }
            .to_owned()
        });
    f.quarantined
        .get_or_create(&QuarantineLabels {
            tenant: base.tenant.clone(),
            application: base.application.clone(),
            job_id: base.job_id.clone(),
            template: base.template.clone(),
            reason: label(&reason),
        })
        .set(i64::from(quarantine.is_some()));
    if let Some(q) = quarantine {
        f.series_count.get_or_create(&base).set(q.series_count);
        if let Some(began) = q.series_began.or(q.current_began) {
            f.series_start.get_or_create(&base).set(unix(began));
        }
        if let Some(disable_at) = sync::quarantine_disable_at(j) {
            let left = (disable_at - now).num_milliseconds().max(0) as f64 / 1000.0;
            f.time_left.get_or_create(&base).set(left);
        }
    }
    if let Some(n) = j.escrowed() {
        f.escrowed.get_or_create(&base).set(n);
    }
    if let Some(run) = j.last_execution() {
        if let Some(state) = &run.state {
            f.last_run.get_or_create(&with_state(state.as_str())).set(1);
        }
        if let Some(end) = run.time_ended {
            f.last_run_end.get_or_create(&base).set(unix(end));
        }
    }
    if let Some(status) = &j.status {
        for pair in &status.synchronized_entry_count_by_type {
            let Some(kind) = pair.key.as_deref() else {
                continue;
            };
            f.entries
                .get_or_create(&EntryLabels {
                    tenant: base.tenant.clone(),
                    application: base.application.clone(),
                    job_id: base.job_id.clone(),
                    template: base.template.clone(),
                    r#type: label(kind),
                })
                .set(pair.value);
        }
    }
}

fn tenant_metrics(f: &Families, t: &TenantMetrics<'_>, now: DateTime<Utc>) {
    let tl = TenantLabels {
        tenant: label(t.tenant),
    };
    let fresh = t.snapshot.is_some() && !t.last_refresh_failed;
    f.tenant_up.get_or_create(&tl).set(i64::from(fresh));
    f.stale.get_or_create(&tl).set(i64::from(!fresh));
    f.refresh_failures
        .get_or_create(&tl)
        .inner()
        .store(t.refresh_failures, Ordering::Relaxed);
    if let Some(at) = t.last_attempt {
        f.last_attempt.get_or_create(&tl).set(unix(at));
    }
    if let Some(stats) = t.stats {
        f.requests
            .get_or_create(&tl)
            .inner()
            .store(stats.requests(), Ordering::Relaxed);
        f.throttled
            .get_or_create(&tl)
            .inner()
            .store(stats.throttled(), Ordering::Relaxed);
        f.errors
            .get_or_create(&tl)
            .inner()
            .store(stats.errors(), Ordering::Relaxed);
    }
    let Some(snap) = t.snapshot else {
        return;
    };
    f.last_refresh.get_or_create(&tl).set(unix(snap.taken_at));
    f.age
        .get_or_create(&tl)
        .set(((now - snap.taken_at).num_milliseconds().max(0) as f64) / 1000.0);
    f.jobs.get_or_create(&tl).set(snap.jobs.len() as i64);
    f.discovery_failures
        .get_or_create(&tl)
        .set(snap.failures.len() as i64);
    for e in &snap.jobs {
        job_metrics(f, t.tenant, e, now);
    }
    match &snap.agents {
        AgentsView::Read(agents) => {
            f.agents_readable.get_or_create(&tl).set(1);
            for a in agents {
                f.agent_active
                    .get_or_create(&AgentLabels {
                        tenant: tl.tenant.clone(),
                        agent_id: label(&a.id),
                        machine: label(a.machine_name.as_deref().unwrap_or("")),
                        status: label(
                            &a.status
                                .as_ref()
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| "unknown".into()),
                        ),
                    })
                    .set(i64::from(a.is_active()));
            }
        }
        AgentsView::NotReadable => {
            f.agents_readable.get_or_create(&tl).set(0);
        }
        AgentsView::NotRead | AgentsView::Failed(_) => {}
    }
}

fn registry(tenants: &[TenantMetrics<'_>], now: DateTime<Utc>) -> Registry {
    let mut reg = Registry::default();
    let f = Families::register(&mut reg);
    for t in tenants {
        tenant_metrics(&f, t, now);
    }
    reg
}

/// The OpenMetrics text (ending in `# EOF`) for these tenants as of `now`.
pub fn encode_openmetrics(tenants: &[TenantMetrics<'_>], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry(tenants, now));
    out
}

/// The same metrics in the Prometheus text format 0.0.4, which node-exporter's textfile collector
/// and `promtool check metrics` read: no `# EOF`, and a counter's HELP/TYPE lines name the
/// `_total` sample (OpenMetrics names the family without it). `prometheus-client` writes only
/// OpenMetrics, so the counter descriptors are renamed here.
pub fn encode_metrics(tenants: &[TenantMetrics<'_>], now: DateTime<Utc>) -> String {
    let mut om = String::new();
    let _ = encode_registry(&mut om, &registry(tenants, now));
    let mut out = String::with_capacity(om.len() + 64);
    for line in om.lines() {
        let descriptor = ["# HELP ", "# TYPE "]
            .into_iter()
            .find(|p| line.starts_with(p));
        if let Some(prefix) = descriptor {
            let rest = &line[prefix.len()..];
            let name = rest.split(' ').next().unwrap_or("");
            if COUNTERS.contains(&name) {
                out.push_str(prefix);
                out.push_str(name);
                out.push_str("_total");
                out.push_str(&rest[name.len()..]);
                out.push('\n');
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_names_counters_by_their_total_sample_and_openmetrics_ends_with_eof() {
        let t = TenantMetrics {
            tenant: "a",
            snapshot: None,
            last_refresh_failed: true,
            last_attempt: None,
            refresh_failures: 2,
            stats: None,
        };
        let now = Utc::now();
        let text = encode_metrics(&[t], now);
        assert!(
            text.contains("# TYPE provctl_refresh_failures_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("provctl_refresh_failures_total{tenant=\"a\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("provctl_snapshot_stale{tenant=\"a\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF"), "{text}");
        let om = encode_openmetrics(&[t], now);
        assert!(
            om.contains("# TYPE provctl_refresh_failures counter\n"),
            "{om}"
        );
        assert!(om.ends_with("# EOF\n"), "{om}");
    }

    #[test]
    fn label_values_escape_quotes_backslashes_and_newlines_and_drop_control_characters() {
        assert_eq!(label("a\"b\\c\nd\u{1b}[31me"), "a\\\"b\\\\c\\nd[31me");
    }
}
