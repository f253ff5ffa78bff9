//! What `jobs watch` shows: each job reduced to what an admin follows (status, health, quarantine
//! reason, the running cycle's progress, the last run), and the changes between two looks at the
//! same jobs, so a live view can highlight them and a script can tail them as lines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::graph::sync::{self, JobEntry};

/// One job as watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchedJob {
    /// The tenant (empty in a single-tenant run).
    pub tenant: String,
    /// The application (service principal display name or id).
    pub application: String,
    /// The service principal id.
    pub service_principal_id: String,
    /// The job id.
    pub job_id: String,
    /// The job's template.
    pub template: String,
    /// Status code (`Active`, `Paused`, `Quarantine`, ...).
    pub status: String,
    /// Health as provctl judges it.
    pub health: String,
    /// The quarantine reason, when quarantined.
    pub quarantine: Option<String>,
    /// The running cycle's progress (`20/40 Entries`), while a run is under way.
    pub progress: Option<String>,
    /// The last run's state and end time.
    pub last_run: Option<String>,
    /// Escrowed entries after the last run.
    pub escrowed: Option<i64>,
}

/// Where a job is found again between two looks.
pub type WatchKey = (String, String, String);

impl WatchedJob {
    /// A job as watched.
    pub fn of(tenant: &str, e: &JobEntry) -> WatchedJob {
        let j = &e.job;
        let progress = sync::cycle_progress(j);
        let last_run = j.last_execution().map(|x| {
            let state = x.state.as_ref().map(|s| s.as_str()).unwrap_or("?");
            match x.time_ended {
                Some(t) => format!("{state} {}", crate::output::time::machine(t)),
                None => state.to_owned(),
            }
        });
        WatchedJob {
            tenant: tenant.to_owned(),
            application: e.service_principal.name().to_owned(),
            service_principal_id: e.service_principal.id.clone(),
            job_id: j.id.clone(),
            template: j.template().unwrap_or("").to_owned(),
            status: j
                .status_code()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into()),
            health: sync::health(j).as_str().to_owned(),
            quarantine: j.quarantine().filter(|_| j.is_quarantined()).map(|q| {
                q.reason
                    .as_ref()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_else(|| "unknown".into())
            }),
            progress,
            last_run,
            escrowed: j.escrowed(),
        }
    }

    /// `(tenant, service principal id, job id)`.
    pub fn key(&self) -> WatchKey {
        (
            self.tenant.clone(),
            self.service_principal_id.clone(),
            self.job_id.clone(),
        )
    }
}

/// One thing that changed about one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// When the change was seen.
    pub at: DateTime<Utc>,
    /// The tenant (empty in a single-tenant run).
    pub tenant: String,
    /// The application.
    pub application: String,
    /// The service principal id.
    pub service_principal_id: String,
    /// The job id.
    pub job_id: String,
    /// What changed: `job` (appeared/disappeared), `status`, `health`, `quarantine`, `progress`,
    /// `lastRun`, `escrowed`.
    pub field: &'static str,
    /// The value before (`None`: there was none).
    pub from: Option<String>,
    /// The value now.
    pub to: Option<String>,
}

impl Change {
    /// The changed job's `(tenant, service principal id, job id)`.
    pub fn key(&self) -> WatchKey {
        (
            self.tenant.clone(),
            self.service_principal_id.clone(),
            self.job_id.clone(),
        )
    }
}

/// The changes from `before` to `now` (jobs matched by tenant, service principal and job id):
/// jobs that appeared or went away, then each field that differs, in job order.
pub fn changes(before: &[WatchedJob], now: &[WatchedJob], at: DateTime<Utc>) -> Vec<Change> {
    let old: BTreeMap<WatchKey, &WatchedJob> = before.iter().map(|j| (j.key(), j)).collect();
    let mut out = Vec::new();
    let change = |j: &WatchedJob, field, from: Option<String>, to: Option<String>| Change {
        at,
        tenant: j.tenant.clone(),
        application: j.application.clone(),
        service_principal_id: j.service_principal_id.clone(),
        job_id: j.job_id.clone(),
        field,
        from,
        to,
    };
    for j in now {
        let Some(o) = old.get(&j.key()) else {
            out.push(change(j, "job", None, Some(j.status.clone())));
            continue;
        };
        let fields: [(&'static str, Option<String>, Option<String>); 6] = [
            ("status", Some(o.status.clone()), Some(j.status.clone())),
            ("health", Some(o.health.clone()), Some(j.health.clone())),
            ("quarantine", o.quarantine.clone(), j.quarantine.clone()),
            ("progress", o.progress.clone(), j.progress.clone()),
            ("lastRun", o.last_run.clone(), j.last_run.clone()),
            (
                "escrowed",
                o.escrowed.map(|n| n.to_string()),
                j.escrowed.map(|n| n.to_string()),
            ),
        ];
        for (field, from, to) in fields {
            if from != to {
                out.push(change(j, field, from, to));
            }
        }
    }
    let seen: std::collections::BTreeSet<WatchKey> = now.iter().map(WatchedJob::key).collect();
    for o in before {
        if !seen.contains(&o.key()) {
            out.push(change(o, "job", Some(o.status.clone()), None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str, progress: Option<&str>) -> WatchedJob {
        WatchedJob {
            tenant: "a".into(),
            application: "app".into(),
            service_principal_id: "sp".into(),
            job_id: "job".into(),
            template: "t".into(),
            status: status.into(),
            health: if status == "Quarantine" {
                "quarantined".into()
            } else {
                "healthy".into()
            },
            quarantine: (status == "Quarantine").then(|| "TooManyDeletes".into()),
            progress: progress.map(str::to_owned),
            last_run: None,
            escrowed: Some(0),
        }
    }

    #[test]
    fn a_lifted_quarantine_shows_as_status_health_and_quarantine_changes() {
        let at = Utc::now();
        let c = changes(
            &[job("Quarantine", None)],
            &[job("Active", Some("3/40 Entries"))],
            at,
        );
        let fields: Vec<&str> = c.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["status", "health", "quarantine", "progress"]);
        assert_eq!(c[0].from.as_deref(), Some("Quarantine"));
        assert_eq!(c[0].to.as_deref(), Some("Active"));
        assert!(changes(&[job("Active", None)], &[job("Active", None)], at).is_empty());
    }

    #[test]
    fn jobs_that_appear_or_go_away_are_changes_too() {
        let at = Utc::now();
        let c = changes(&[], &[job("Active", None)], at);
        assert_eq!((c[0].field, c[0].from.clone()), ("job", None));
        let c = changes(&[job("Active", None)], &[], at);
        assert_eq!((c[0].field, c[0].to.clone()), ("job", None));
    }
}
