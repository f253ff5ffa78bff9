//! Job discovery: the service principals that may hold synchronization jobs (one filtered, paged
//! `GET /servicePrincipals`), and their job lists fetched with JSON `$batch` (20 service principals
//! per request, bounded concurrency). A service principal whose list could not be read is kept in
//! [`JobInventory::failures`], never counted as "no jobs".

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;

use super::JobKey;
use super::jobs_path;
use crate::graph::batch::{BatchItem, MAX_BATCH};
use crate::graph::model::{
    CLOUD_SYNC_APPLICATION_TEMPLATE_ID, QuarantineReason, ServicePrincipal, SynchronizationJob,
    SynchronizationStatusCode,
};
use crate::graph::odata::{quote, sp_eq};
use crate::graph::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest};

/// The largest page `GET /servicePrincipals` serves (`$top` ≤ 999).
pub const SERVICE_PRINCIPAL_PAGE: usize = 999;

/// The service principal properties provctl reads.
pub const SERVICE_PRINCIPAL_SELECT: &str = "id,appId,displayName,applicationTemplateId,tags";

/// How many `$batch` requests are in flight at once by default.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 4;

/// Reports progress: (service principals whose jobs are listed, service principals in all).
pub type ProgressFn = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// What [`discover_jobs`] looks at.
#[derive(Clone)]
pub struct DiscoverOptions {
    /// API version (default v1.0).
    pub version: ApiVersion,
    /// Only cloud sync configurations (service principals made from the cloud sync template).
    pub cloud_sync_only: bool,
    /// Only the service principal(s) matching this object id, appId or display name.
    pub service_principal: Option<String>,
    /// `$batch` requests in flight at once (default [`DEFAULT_BATCH_CONCURRENCY`]).
    pub concurrency: usize,
    /// Called after each batch with (done, total).
    pub progress: Option<ProgressFn>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            version: ApiVersion::V1,
            cloud_sync_only: false,
            service_principal: None,
            concurrency: DEFAULT_BATCH_CONCURRENCY,
            progress: None,
        }
    }
}

impl fmt::Debug for DiscoverOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscoverOptions")
            .field("version", &self.version)
            .field("cloud_sync_only", &self.cloud_sync_only)
            .field("service_principal", &self.service_principal)
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// One job with the service principal it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEntry {
    /// The service principal (application) that owns the job.
    pub service_principal: ServicePrincipal,
    /// The job, parsed.
    pub job: SynchronizationJob,
    /// The job exactly as Graph sent it (without `@odata.context`), for `-o json`.
    pub raw: Value,
}

impl JobEntry {
    /// The `(service principal id, job id)` pair the job endpoints take.
    pub fn key(&self) -> JobKey {
        JobKey::new(&self.service_principal.id, &self.job.id)
    }

    /// The raw job document plus a `servicePrincipal` object (`id`, `appId`, `displayName`), so a
    /// script reading `-o json` has everything needed to act on the job.
    pub fn to_json(&self) -> Value {
        let mut doc = self.raw.clone();
        if let Some(o) = doc.as_object_mut() {
            o.insert(
                "servicePrincipal".into(),
                serde_json::json!({
                    "id": self.service_principal.id,
                    "appId": self.service_principal.app_id,
                    "displayName": self.service_principal.display_name,
                }),
            );
        }
        doc
    }
}

/// A job's state as a selection names it (`synchronizationStatusCode`). `Quarantine` also matches
/// a job whose status code Graph left unknown but whose quarantine record is filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Running on schedule.
    Active,
    /// Paused, state kept.
    Paused,
    /// Quarantined.
    Quarantine,
    /// Configured, first run not completed.
    NotRun,
    /// Never configured.
    NotConfigured,
}

impl JobState {
    /// Whether `job` is in this state.
    pub fn matches(self, job: &SynchronizationJob) -> bool {
        let want = match self {
            JobState::Active => SynchronizationStatusCode::Active,
            JobState::Paused => SynchronizationStatusCode::Paused,
            JobState::Quarantine => return job.is_quarantined(),
            JobState::NotRun => SynchronizationStatusCode::NotRun,
            JobState::NotConfigured => SynchronizationStatusCode::NotConfigured,
        };
        job.status_code() == Some(&want)
    }
}

/// Which of the discovered jobs a command works on: the one filter behind `jobs list`,
/// `quarantine list` and the actions on many jobs. (Which service principals are looked at at
/// all is [`DiscoverOptions`]' business.) Every part left `None` selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSelection {
    /// Only jobs made from this template (`templateId`, any case).
    pub template: Option<String>,
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs quarantined for this reason.
    pub quarantine_reason: Option<QuarantineReason>,
}

impl JobSelection {
    /// Whether `job` is selected.
    pub fn matches(&self, job: &SynchronizationJob) -> bool {
        let template = self.template.as_deref().is_none_or(|t| {
            job.template()
                .is_some_and(|have| have.eq_ignore_ascii_case(t))
        });
        let state = self.state.is_none_or(|s| s.matches(job));
        let reason = self.quarantine_reason.as_ref().is_none_or(|want| {
            job.is_quarantined() && job.quarantine().and_then(|q| q.reason.as_ref()) == Some(want)
        });
        template && state && reason
    }
}

/// A service principal whose jobs could not be listed (other than "has no synchronization").
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverFailure {
    /// The service principal.
    pub service_principal: ServicePrincipal,
    /// HTTP status of its item, when Graph answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub message: String,
}

impl DiscoverFailure {
    /// Graph refused to read this list (401/403): the token lacks the read permission (or a
    /// role), which is not the same as "this application has no jobs".
    pub fn is_refused(&self) -> bool {
        matches!(self.status, Some(401 | 403))
    }
}

/// Every job found, and the service principals that failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobInventory {
    /// The jobs, in service principal order.
    pub jobs: Vec<JobEntry>,
    /// Service principals whose job list failed (partial result).
    pub failures: Vec<DiscoverFailure>,
    /// How many service principals were looked at.
    pub service_principals: usize,
}

impl JobInventory {
    /// How many job lists Graph refused (401/403; see [`DiscoverFailure::is_refused`]).
    pub fn refused(&self) -> usize {
        self.failures.iter().filter(|f| f.is_refused()).count()
    }

    /// Every job list looked at was refused: the token cannot read synchronization jobs at all,
    /// and an empty result would be a lie.
    pub fn all_refused(&self) -> bool {
        self.service_principals > 0 && self.refused() == self.service_principals
    }
}

/// True when `value` looks like a GUID (object ids and appIds are GUIDs).
pub fn looks_like_guid(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '{' || c == '}');
    v.len() == 36
        && v.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The `$filter` that finds a service principal by object id, appId or display name. GUIDs are
/// matched against `id` and `appId` (Graph refuses a non-GUID literal for `id`), anything else
/// against `displayName`.
pub fn service_principal_filter(value: &str) -> String {
    if looks_like_guid(value) {
        let g = value
            .trim_matches(|c| c == '{' || c == '}')
            .to_ascii_lowercase();
        format!("{} or {}", sp_eq("id", &g), sp_eq("appId", &g))
    } else {
        sp_eq("displayName", value)
    }
}

/// The `$filter` for cloud sync configurations (their application template).
pub fn cloud_sync_filter() -> String {
    format!(
        "applicationTemplateId eq {}",
        quote(CLOUD_SYNC_APPLICATION_TEMPLATE_ID)
    )
}

/// `GET /servicePrincipals?$select=...&$top=999[&$filter=...]`.
pub fn list_service_principals_request(version: ApiVersion, filter: Option<&str>) -> GraphRequest {
    let mut req = GraphRequest::get(version, GraphPath::new().lit("servicePrincipals"))
        .query("$select", SERVICE_PRINCIPAL_SELECT)
        .query("$top", SERVICE_PRINCIPAL_PAGE.to_string());
    if let Some(f) = filter {
        req = req.query("$filter", f);
    }
    req
}

/// Every service principal matching `filter`, following `@odata.nextLink` (ceil(N/999) requests).
pub async fn list_service_principals(
    client: &GraphClient,
    version: ApiVersion,
    filter: Option<&str>,
) -> Result<Vec<ServicePrincipal>, GraphError> {
    client
        .items::<ServicePrincipal>(list_service_principals_request(version, filter))
        .try_collect()
        .await
}

/// The service principals [`discover_jobs`] looks at, for these options.
pub async fn candidate_service_principals(
    client: &GraphClient,
    opts: &DiscoverOptions,
) -> Result<Vec<ServicePrincipal>, GraphError> {
    let filter = match (&opts.service_principal, opts.cloud_sync_only) {
        (Some(sp), _) => Some(service_principal_filter(sp)),
        (None, true) => Some(cloud_sync_filter()),
        (None, false) => None,
    };
    let mut sps = list_service_principals(client, opts.version, filter.as_deref()).await?;
    if opts.cloud_sync_only {
        sps.retain(ServicePrincipal::is_cloud_sync);
    }
    Ok(sps)
}

/// Lists the jobs of every service principal in the tenant (or those `opts` selects): one paged
/// `GET /servicePrincipals` (ceil(N/999) requests), then the per-service-principal job lists as
/// JSON `$batch` requests of 20 (ceil(N/20) requests), `opts.concurrency` at a time. A service
/// principal whose list is 404 (deleted meanwhile) is skipped; every other item error, a refusal
/// (401/403) included, is returned in [`JobInventory::failures`] and never read as "no jobs".
pub async fn discover_jobs(
    client: &GraphClient,
    opts: &DiscoverOptions,
) -> Result<JobInventory, GraphError> {
    let sps = candidate_service_principals(client, opts).await?;
    jobs_of(client, opts, sps).await
}

/// Lists the jobs of the given service principals with `$batch` (see [`discover_jobs`]).
pub async fn jobs_of(
    client: &GraphClient,
    opts: &DiscoverOptions,
    sps: Vec<ServicePrincipal>,
) -> Result<JobInventory, GraphError> {
    let total = sps.len();
    let done = Arc::new(AtomicUsize::new(0));
    if let Some(p) = &opts.progress {
        p(0, total);
    }
    let chunks: Vec<Vec<(usize, ServicePrincipal)>> = sps
        .into_iter()
        .enumerate()
        .collect::<Vec<_>>()
        .chunks(MAX_BATCH)
        .map(<[_]>::to_vec)
        .collect();
    let results: Vec<Vec<(usize, SpJobs)>> = stream::iter(chunks)
        .map(|chunk| {
            let done = done.clone();
            let progress = opts.progress.clone();
            async move {
                let n = chunk.len();
                let out = batch_chunk(client, opts.version, chunk).await;
                let d = done.fetch_add(n, Ordering::SeqCst) + n;
                if let Some(p) = &progress {
                    p(d, total);
                }
                out
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut all: Vec<(usize, SpJobs)> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    let mut inv = JobInventory {
        service_principals: total,
        ..JobInventory::default()
    };
    for (_, r) in all {
        match r {
            SpJobs::Jobs(mut jobs) => inv.jobs.append(&mut jobs),
            SpJobs::None => {}
            SpJobs::Failed(f) => inv.failures.push(*f),
        }
    }
    Ok(inv)
}

fn failed(service_principal: ServicePrincipal, status: Option<u16>, message: String) -> SpJobs {
    SpJobs::Failed(Box::new(DiscoverFailure {
        service_principal,
        status,
        message,
    }))
}

enum SpJobs {
    Jobs(Vec<JobEntry>),
    None,
    Failed(Box<DiscoverFailure>),
}

async fn batch_chunk(
    client: &GraphClient,
    version: ApiVersion,
    chunk: Vec<(usize, ServicePrincipal)>,
) -> Vec<(usize, SpJobs)> {
    // An id from Graph that would collapse out of the URL (`..`) is never put in a request.
    let (chunk, bad): (Vec<_>, Vec<_>) = chunk
        .into_iter()
        .partition(|(_, sp)| jobs_path(&sp.id).check().is_ok());
    let mut out: Vec<(usize, SpJobs)> = bad
        .into_iter()
        .map(|(i, sp)| {
            let message = jobs_path(&sp.id)
                .check()
                .err()
                .map(|e| format!("Graph listed a service principal whose id {e}"))
                .unwrap_or_default();
            (i, failed(sp, None, message))
        })
        .collect();
    if chunk.is_empty() {
        return out;
    }
    let items: Vec<BatchItem> = chunk
        .iter()
        .map(|(i, sp)| BatchItem::get(i.to_string(), &jobs_path(&sp.id)))
        .collect();
    let answers = match client.batch(version, items, 1).await {
        Ok(a) => a,
        Err(e) => {
            let status = e.status();
            let message = e.to_string();
            out.extend(
                chunk
                    .into_iter()
                    .map(|(i, sp)| (i, failed(sp, status, message.clone()))),
            );
            return out;
        }
    };
    for ((i, sp), answer) in chunk.into_iter().zip(answers) {
        let url = format!("/{}", jobs_path(&sp.id));
        // 404: the service principal was deleted between the listing and this request.
        if answer.status == 404 {
            out.push((i, SpJobs::None));
            continue;
        }
        if let Some(err) = answer.error(&url) {
            out.push((
                i,
                failed(
                    sp,
                    Some(answer.status),
                    GraphError::Service(Box::new(err)).to_string(),
                ),
            ));
            continue;
        }
        let mut raws: Vec<Value> = answer.body["value"].as_array().cloned().unwrap_or_default();
        // A service principal has one to three jobs; should Graph ever page them, follow the link.
        if let Some(link) = answer.body["@odata.nextLink"].as_str() {
            let more: Result<Vec<Value>, GraphError> = client
                .pages_from_link::<Value>(link.to_owned())
                .map_ok(|p| stream::iter(p.items.into_iter().map(Ok)))
                .try_flatten()
                .try_collect()
                .await;
            match more {
                Ok(mut m) => raws.append(&mut m),
                Err(e) => {
                    out.push((i, failed(sp, e.status(), e.to_string())));
                    continue;
                }
            }
        }
        match entries(&sp, raws, &url) {
            Ok(jobs) if jobs.is_empty() => out.push((i, SpJobs::None)),
            Ok(jobs) => out.push((i, SpJobs::Jobs(jobs))),
            Err(e) => out.push((i, failed(sp, Some(answer.status), e.to_string()))),
        }
    }
    out
}

fn entries(
    sp: &ServicePrincipal,
    raws: Vec<Value>,
    url: &str,
) -> Result<Vec<JobEntry>, GraphError> {
    raws.into_iter()
        .enumerate()
        .map(|(n, raw)| entry(sp, raw, &format!("{url} value[{n}]")))
        .collect()
}

fn entry(sp: &ServicePrincipal, mut raw: Value, url: &str) -> Result<JobEntry, GraphError> {
    if let Some(o) = raw.as_object_mut() {
        o.remove("@odata.context");
    }
    let job: SynchronizationJob =
        serde_path_to_error::deserialize(&raw).map_err(|e| GraphError::Decode {
            url: url.to_owned(),
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
    // A job id that would collapse out of a URL (`..`) would send a later POST elsewhere.
    if let Err(e) = crate::graph::path::check_segment(&job.id) {
        return Err(GraphError::Decode {
            url: url.to_owned(),
            path: "id".into(),
            message: format!("Graph sent a job id that cannot be used: {e}"),
        });
    }
    Ok(JobEntry {
        service_principal: sp.clone(),
        job,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(doc: serde_json::Value) -> SynchronizationJob {
        serde_json::from_value(doc).unwrap_or_default()
    }

    #[test]
    fn a_selection_matches_template_state_and_quarantine_reason_together() {
        let quarantined = job(serde_json::json!({
            "id": "salesforce.x.y",
            "templateId": "salesforce",
            "status": {"code": "Quarantine", "quarantine": {"reason": "TooManyDeletes"}},
        }));
        let active = job(serde_json::json!({
            "id": "AD2AADProvisioning.x.y",
            "templateId": "AD2AADProvisioning",
            "status": {"code": "Active", "quarantine": {"reason": "TooManyDeletes"}},
        }));
        let all = JobSelection::default();
        assert!(all.matches(&quarantined) && all.matches(&active));
        let sel = JobSelection {
            template: Some("SALESFORCE".into()),
            state: Some(JobState::Quarantine),
            quarantine_reason: Some(QuarantineReason::TooManyDeletes),
        };
        assert!(sel.matches(&quarantined));
        // A stale quarantine record on an active job is no quarantine.
        let by_reason = JobSelection {
            quarantine_reason: Some(QuarantineReason::TooManyDeletes),
            ..JobSelection::default()
        };
        assert!(by_reason.matches(&quarantined) && !by_reason.matches(&active));
        let paused = JobSelection {
            state: Some(JobState::Paused),
            ..JobSelection::default()
        };
        assert!(!paused.matches(&quarantined) && !paused.matches(&active));
    }

    #[test]
    fn guid_service_principals_match_id_or_app_id_and_names_match_display_name() {
        assert_eq!(
            service_principal_filter("6A1F4C2E-8B3D-4F5A-9C7E-0D1B2A3C4E01"),
            "id eq '6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e01' or appId eq '6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e01'"
        );
        assert_eq!(
            service_principal_filter("O'Brien app"),
            "displayName eq 'O''Brien app'"
        );
    }
}
