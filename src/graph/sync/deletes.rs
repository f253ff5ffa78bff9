//! The deletes a `TooManyDeletes` quarantine holds back, as far as Graph shows them: the job's own
//! words (its TooManyDeletes error, which carries the count), its last run's counts, its deletion
//! threshold, and the delete and disable events the provisioning logs hold for the job's current
//! cycle (the cycle of its newest event). That list is what a restart with `ForceDeletes` lets
//! through; Graph has no other list of pending deletes. When the logs hold no event for the job, or
//! cannot be read, the report says so ([`DeleteEvents`]) and lists nothing: nothing is guessed.
//!
//! The log pass is the crawl of [`crate::export::crawl`] (paged, paced by the client), filtered by
//! Graph on the job, the cycle and the action; only the first [`Budget::shown`] events are kept,
//! all are counted, so memory does not grow with the number of deletes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::export::crawl::{CrawlError, LogCrawl};
use crate::graph::directory::{self, JobDeleteThreshold};
use crate::graph::logs::{self, ActionFilter, LogQuery};
use crate::graph::model::logs::ProvisioningObjectSummary;
use crate::graph::model::{QuarantineReason, SynchronizationError, SynchronizationJob};
use crate::graph::{GraphClient, GraphError};

/// The actions the accidental-deletion threshold counts: Microsoft's words are that users are not
/// "disabled or deleted" unexpectedly.
pub const DELETE_ACTIONS: [ActionFilter; 2] = [ActionFilter::Delete, ActionFilter::Disable];

/// The job setting that carries the threshold in app provisioning jobs (also present on cloud
/// sync jobs, whose own threshold lives in the `SyncNotificationSettings` secret).
pub const THRESHOLD_SETTING: &str = "QuarantineTooManyDeletesThreshold";

/// How much of the log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Events kept for display (all are counted).
    pub shown: usize,
    /// Stop after this many pages of events (`None`: read them all). A short look (a prompt, a
    /// section of `quarantine show`) reads one page and says when it stopped there.
    pub pages: Option<usize>,
}

/// Everything Graph says about a job's held-back deletes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldBackDeletes {
    /// The service principal's object id.
    pub service_principal_id: String,
    /// The job id.
    pub job_id: String,
    /// True when the job is quarantined with reason `TooManyDeletes`.
    pub quarantined_too_many_deletes: bool,
    /// The job's TooManyDeletes error (quarantine's, else the last run's), as Graph sent it.
    pub error: Option<SynchronizationError>,
    /// The last run's counts, as Graph sent them.
    pub last_run: Option<RunCounts>,
    /// The deletion threshold.
    pub threshold: Threshold,
    /// The delete events of the current cycle, or why there is no list.
    pub events: DeleteEvents,
}

/// A run's counts (`synchronizationTaskExecution`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// `timeBegan`.
    pub time_began: Option<DateTime<Utc>>,
    /// `timeEnded`.
    pub time_ended: Option<DateTime<Utc>>,
    /// `state`, as Graph spells it.
    pub state: Option<String>,
    /// `countImported`.
    pub count_imported: i64,
    /// `countImportedDeltas`.
    pub count_imported_deltas: i64,
    /// `countExported`.
    pub count_exported: i64,
    /// `countEscrowed`.
    pub count_escrowed: i64,
    /// `countEntitled`.
    pub count_entitled: i64,
}

/// Where the deletion threshold is read from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Threshold {
    /// The job setting `QuarantineTooManyDeletesThreshold`, verbatim, when the job carries it.
    pub job_setting: Option<String>,
    /// A cloud sync configuration's own threshold (the `SyncNotificationSettings` secret).
    pub cloud_sync: Option<JobDeleteThreshold>,
    /// Why the cloud sync threshold could not be read (e.g. the secrets need
    /// Synchronization.ReadWrite.All).
    pub cloud_sync_error: Option<String>,
}

/// The delete events of the job's current cycle, or why Graph offers no list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum DeleteEvents {
    /// The log was read: the events found (maybe none).
    Listed(DeleteList),
    /// The provisioning logs hold no event of this job, so there is no current cycle to list.
    NoCycle,
    /// Graph refused the provisioning logs.
    Refused {
        /// HTTP status.
        status: u16,
        /// Graph's error code.
        code: String,
        /// Graph's message, verbatim.
        message: String,
    },
}

/// The delete and disable events of one cycle.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteList {
    /// The cycle (`cycleId` of the job's newest event).
    pub cycle_id: String,
    /// When the job's newest event happened.
    pub newest_event: Option<DateTime<Utc>>,
    /// Every delete and disable event counted.
    pub total: u64,
    /// False when the read stopped at the page budget: `total` is then a floor.
    pub complete: bool,
    /// Counts by `provisioningAction`.
    pub by_action: BTreeMap<String, u64>,
    /// Counts by `provisioningStatusInfo.status`.
    pub by_status: BTreeMap<String, u64>,
    /// The first [`Budget::shown`] events, oldest first.
    pub events: Vec<DeleteEvent>,
}

/// One delete or disable event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteEvent {
    /// The log entry id (`provctl logs show ID`).
    pub id: String,
    /// `activityDateTime`.
    pub activity_date_time: Option<DateTime<Utc>>,
    /// `provisioningAction` (`delete`, `disable`).
    pub action: Option<String>,
    /// `provisioningStatusInfo.status`.
    pub status: Option<String>,
    /// `sourceIdentity.id`.
    pub source_id: Option<String>,
    /// `sourceIdentity.displayName`.
    pub source_name: Option<String>,
    /// `targetIdentity.id`.
    pub target_id: Option<String>,
    /// `targetIdentity.displayName`.
    pub target_name: Option<String>,
    /// `errorInformation.errorCode`, when the event carries one.
    pub error_code: Option<String>,
}

impl DeleteEvent {
    fn of(r: &ProvisioningObjectSummary) -> DeleteEvent {
        let text = |v: Option<&String>| v.filter(|s| !s.is_empty()).cloned();
        let src = r.source_identity.as_ref();
        let tgt = r.target_identity.as_ref();
        DeleteEvent {
            id: r.id.clone(),
            activity_date_time: r.activity_date_time,
            action: r.action().map(|a| a.as_str().to_owned()),
            status: r.status().map(|s| s.as_str().to_owned()),
            source_id: text(src.and_then(|i| i.id.as_ref())),
            source_name: text(src.and_then(|i| i.display_name.as_ref())),
            target_id: text(tgt.and_then(|i| i.id.as_ref())),
            target_name: text(tgt.and_then(|i| i.display_name.as_ref())),
            error_code: r
                .error()
                .and_then(|e| e.error_code)
                .filter(|c| !c.is_empty()),
        }
    }
}

/// What the job itself says (no Graph call): its error, its last run's counts and its threshold
/// setting. [`held_back_deletes`] adds the secret's threshold and the log events.
pub fn from_job(service_principal_id: &str, job: &SynchronizationJob) -> HeldBackDeletes {
    HeldBackDeletes {
        service_principal_id: service_principal_id.to_owned(),
        job_id: job.id.clone(),
        quarantined_too_many_deletes: job.is_quarantined()
            && job.quarantine().and_then(|q| q.reason.as_ref())
                == Some(&QuarantineReason::TooManyDeletes),
        error: job.too_many_deletes_error().cloned(),
        last_run: job.last_execution().map(|x| RunCounts {
            time_began: x.time_began,
            time_ended: x.time_ended,
            state: x.state.as_ref().map(|s| s.as_str().to_owned()),
            count_imported: x.count_imported,
            count_imported_deltas: x.count_imported_deltas,
            count_exported: x.count_exported,
            count_escrowed: x.count_escrowed,
            count_entitled: x.count_entitled,
        }),
        threshold: Threshold {
            job_setting: job.setting(THRESHOLD_SETTING).map(str::to_owned),
            cloud_sync: None,
            cloud_sync_error: None,
        },
        events: DeleteEvents::NoCycle,
    }
}

/// The whole report: [`from_job`], the cloud sync threshold (read from the secrets, for a cloud
/// sync job), and the delete events of the current cycle within `budget`. A refused log read is
/// [`DeleteEvents::Refused`]; other failures (the network, Graph's 5xx after retries) are errors.
pub async fn held_back_deletes(
    client: &GraphClient,
    service_principal_id: &str,
    job: &SynchronizationJob,
    budget: Budget,
) -> Result<HeldBackDeletes, GraphError> {
    let mut report = from_job(service_principal_id, job);
    if job.is_cloud_sync() {
        match directory::secrets(client, service_principal_id).await {
            Ok(s) => match directory::job_threshold(&s) {
                Ok(t) => report.threshold.cloud_sync = Some(t),
                Err(e) => report.threshold.cloud_sync_error = Some(e.to_string()),
            },
            Err(GraphError::Service(s)) if matches!(s.status, 401 | 403) => {
                report.threshold.cloud_sync_error = Some(s.to_string());
            }
            Err(e) => return Err(e),
        }
    }
    report.events = delete_events(client, &job.id, budget).await?;
    Ok(report)
}

/// The delete and disable events of the job's current cycle (see the module documentation).
pub async fn delete_events(
    client: &GraphClient,
    job_id: &str,
    budget: Budget,
) -> Result<DeleteEvents, GraphError> {
    match read_events(client, job_id, budget).await {
        Err(GraphError::Service(s)) if matches!(s.status, 401 | 403) => Ok(DeleteEvents::Refused {
            status: s.status,
            code: s.code.clone(),
            message: s.message.clone(),
        }),
        other => other,
    }
}

async fn read_events(
    client: &GraphClient,
    job_id: &str,
    budget: Budget,
) -> Result<DeleteEvents, GraphError> {
    let newest = LogQuery {
        job_id: Some(job_id.to_owned()),
        limit: Some(1),
        ..LogQuery::default()
    };
    let mut stream = logs::search(client, &newest).map_err(invalid)?;
    let Some(latest) = stream.next().await.transpose()? else {
        return Ok(DeleteEvents::NoCycle);
    };
    drop(stream);
    let Some(cycle_id) = latest.cycle_id.clone().filter(|c| !c.is_empty()) else {
        return Ok(DeleteEvents::NoCycle);
    };
    let query = LogQuery {
        job_id: Some(job_id.to_owned()),
        cycle_id: Some(cycle_id.clone()),
        actions: DELETE_ACTIONS.to_vec(),
        ..LogQuery::default()
    };
    let mut list = DeleteList {
        cycle_id,
        newest_event: latest.activity_date_time,
        total: 0,
        complete: true,
        by_action: BTreeMap::new(),
        by_status: BTreeMap::new(),
        events: Vec::new(),
    };
    let mut crawl = LogCrawl::new(client, query).map_err(crawl_error)?;
    let mut pages = 0;
    while let Some(page) = crawl.next_page().await.map_err(crawl_error)? {
        for text in page.records() {
            let r: ProvisioningObjectSummary =
                serde_json::from_str(text).map_err(|e| GraphError::Decode {
                    url: "auditLogs/provisioning".into(),
                    path: String::new(),
                    message: e.to_string(),
                })?;
            list.add(&r, budget.shown);
        }
        let last = page.is_last();
        crawl.recycle(page);
        pages += 1;
        if !last && budget.pages.is_some_and(|max| pages >= max) {
            list.complete = false;
            break;
        }
    }
    Ok(DeleteEvents::Listed(list))
}

impl DeleteList {
    fn add(&mut self, r: &ProvisioningObjectSummary, shown: usize) {
        self.total += 1;
        let action = r
            .action()
            .map_or("(none)".to_owned(), |a| a.as_str().to_owned());
        *self.by_action.entry(action).or_default() += 1;
        let status = r
            .status()
            .map_or("(none)".to_owned(), |s| s.as_str().to_owned());
        *self.by_status.entry(status).or_default() += 1;
        if self.events.len() < shown {
            self.events.push(DeleteEvent::of(r));
        }
    }
}

fn invalid(e: crate::graph::odata::FilterError) -> GraphError {
    GraphError::InvalidInput(e.0)
}

fn crawl_error(e: CrawlError) -> GraphError {
    match e {
        CrawlError::Graph(g) => g,
        other => GraphError::InvalidInput(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> SynchronizationJob {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_too_many_deletes_job_reports_its_error_counts_and_setting() {
        let j = job(
            r#"{"id":"AD2AADProvisioning.x.y","templateId":"AD2AADProvisioning",
            "status":{"code":"Quarantine",
              "lastExecution":{"countImported":2210,"countExported":0,"state":"Failed",
                "error":{"code":"TooManyDeletes","message":"deletions in this cycle (812)"}},
              "quarantine":{"reason":"TooManyDeletes",
                "error":{"code":"TooManyDeletes","message":"deletions in this cycle (812)"}}},
            "synchronizationJobSettings":[{"name":"QuarantineTooManyDeletesThreshold","value":"500"}]}"#,
        );
        let r = from_job("sp", &j);
        assert!(r.quarantined_too_many_deletes);
        assert_eq!(
            r.error.and_then(|e| e.message).as_deref(),
            Some("deletions in this cycle (812)")
        );
        assert_eq!(r.last_run.map(|x| x.count_imported), Some(2210));
        assert_eq!(r.threshold.job_setting.as_deref(), Some("500"));
    }

    #[test]
    fn a_healthy_job_has_no_delete_error() {
        let j = job(r#"{"id":"j","status":{"code":"Active"}}"#);
        let r = from_job("sp", &j);
        assert!(!r.quarantined_too_many_deletes);
        assert!(r.error.is_none() && r.threshold.job_setting.is_none());
    }

    #[test]
    fn the_list_counts_every_event_and_keeps_only_the_first_shown() {
        let mut l = DeleteList {
            cycle_id: "c".into(),
            newest_event: None,
            total: 0,
            complete: true,
            by_action: BTreeMap::new(),
            by_status: BTreeMap::new(),
            events: Vec::new(),
        };
        for n in 0..5 {
            let r: ProvisioningObjectSummary = serde_json::from_str(&format!(
                r#"{{"id":"e{n}","provisioningAction":"{}","provisioningStatusInfo":{{"status":"skipped"}}}}"#,
                if n == 4 { "disable" } else { "delete" }
            ))
            .unwrap();
            l.add(&r, 2);
        }
        assert_eq!(l.total, 5);
        assert_eq!(l.events.len(), 2);
        assert_eq!(l.by_action.get("delete"), Some(&4));
        assert_eq!(l.by_action.get("disable"), Some(&1));
        assert_eq!(l.by_status.get("skipped"), Some(&5));
    }
}
