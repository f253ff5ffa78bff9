//! Synchronization jobs across a tenant: finding the service principals that have jobs, listing every
//! job with JSON `$batch` (20 service principals per request, bounded concurrency), resolving what a
//! user typed (`SP/JOB`, a full job id, a template name or prefix) to one job, and the job actions
//! (start, pause, restart, provisionOnDemand, validateCredentials, secrets). Every action is first a
//! [`GraphRequest`] value, so `--dry-run` can show the exact request without sending it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;

use super::batch::{BatchItem, MAX_BATCH};
use super::model::{
    CLOUD_SYNC_APPLICATION_TEMPLATE_ID, ProvisionOnDemandRequest, ProvisionOnDemandResponse,
    ResetScope, RestartRequest, ServicePrincipal, SynchronizationJob, SynchronizationSchema,
    SynchronizationSecrets, SynchronizationStatusCode, SynchronizationTaskExecutionResult,
    ValidateCredentialsRequest,
};
use super::odata::{quote, sp_eq};
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest, Method};

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

/// The two ids every job endpoint takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobKey {
    /// The service principal object id.
    pub service_principal_id: String,
    /// The job id (contains dots; always one path segment).
    pub job_id: String,
}

impl JobKey {
    /// A key.
    pub fn new(service_principal_id: impl Into<String>, job_id: impl Into<String>) -> Self {
        JobKey {
            service_principal_id: service_principal_id.into(),
            job_id: job_id.into(),
        }
    }

    /// `servicePrincipals/{sp}/synchronization/jobs/{job}`.
    pub fn path(&self) -> GraphPath {
        jobs_path(&self.service_principal_id).seg(&self.job_id)
    }
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service_principal_id, self.job_id)
    }
}

/// `servicePrincipals/{sp}/synchronization/jobs`.
pub fn jobs_path(service_principal_id: &str) -> GraphPath {
    GraphPath::new()
        .lit("servicePrincipals")
        .seg(service_principal_id)
        .lit("synchronization/jobs")
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
/// JSON `$batch` requests of 20 (ceil(N/20) requests), `opts.concurrency` at a time. Service
/// principals without synchronization (404/403 items) are skipped quietly; other item errors are
/// returned in [`JobInventory::failures`].
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
    let items: Vec<BatchItem> = chunk
        .iter()
        .map(|(i, sp)| BatchItem::get(i.to_string(), &jobs_path(&sp.id)))
        .collect();
    let answers = match client.batch(version, items, 1).await {
        Ok(a) => a,
        Err(e) => {
            let status = e.status();
            let message = e.to_string();
            return chunk
                .into_iter()
                .map(|(i, sp)| (i, failed(sp, status, message.clone())))
                .collect();
        }
    };
    let mut out = Vec::with_capacity(chunk.len());
    for ((i, sp), answer) in chunk.into_iter().zip(answers) {
        let url = format!("/{}", jobs_path(&sp.id));
        if matches!(answer.status, 403 | 404) {
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
    Ok(JobEntry {
        service_principal: sp.clone(),
        job,
        raw,
    })
}

// ---------------------------------------------------------------------------------------------
// Resolving what the user typed to one job.

/// Why a job reference could not be resolved to one job.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Nothing matched.
    #[error("{message}")]
    NotFound {
        /// What was looked for and where.
        message: String,
        /// The jobs that exist (`SP/JOB (template, status)`), to pick from.
        candidates: Vec<String>,
    },
    /// More than one job matched.
    #[error("{message}")]
    Ambiguous {
        /// What was looked for.
        message: String,
        /// The jobs that matched.
        candidates: Vec<String>,
    },
    /// A Graph call failed while looking.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl ResolveError {
    /// The candidate jobs, one per line.
    pub fn candidates(&self) -> &[String] {
        match self {
            ResolveError::NotFound { candidates, .. }
            | ResolveError::Ambiguous { candidates, .. } => candidates,
            ResolveError::Graph(_) => &[],
        }
    }
}

/// What the user typed to name a job: `SP/JOB`, a full job id, or a template name / unique prefix
/// (of the template or the id), optionally narrowed to one service principal (`--sp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// The service principal (object id, appId or display name), if given.
    pub service_principal: Option<String>,
    /// The job part.
    pub job: String,
}

impl JobRef {
    /// Parses `JOB` (and `--sp`): `SP/JOB` splits at the first `/` (job ids contain no `/`).
    pub fn parse(job: &str, sp: Option<&str>) -> JobRef {
        let job = job.trim();
        match (job.split_once('/'), sp) {
            (Some((s, j)), None) if !s.is_empty() && !j.is_empty() => JobRef {
                service_principal: Some(s.to_owned()),
                job: j.to_owned(),
            },
            _ => JobRef {
                service_principal: sp.map(str::to_owned),
                job: job.to_owned(),
            },
        }
    }

    /// Finds the one job this names, listing jobs with [`discover_jobs`] (only the named service
    /// principal's when one is given).
    pub async fn resolve(&self, client: &GraphClient) -> Result<JobEntry, ResolveError> {
        let opts = DiscoverOptions {
            service_principal: self.service_principal.clone(),
            ..DiscoverOptions::default()
        };
        let inv = discover_jobs(client, &opts).await?;
        if let Some(sp) = &self.service_principal
            && inv.service_principals == 0
        {
            return Err(ResolveError::NotFound {
                message: format!(
                    "no service principal has the object id, appId or display name '{sp}'"
                ),
                candidates: Vec::new(),
            });
        }
        self.pick(inv.jobs)
    }

    /// Picks the one job this names from `jobs`: exact id, then exact template, then a unique
    /// prefix of the id or template, then a unique suffix of the id (as `jobs list` shortens it).
    pub fn pick(&self, jobs: Vec<JobEntry>) -> Result<JobEntry, ResolveError> {
        let want = self.job.trim_start_matches('…');
        let lower = want.to_ascii_lowercase();
        let rules: [&dyn Fn(&JobEntry) -> bool; 4] = [
            &|e| e.job.id == want,
            &|e| {
                e.job
                    .template()
                    .is_some_and(|t| t.eq_ignore_ascii_case(want))
            },
            &|e| {
                e.job.id.to_ascii_lowercase().starts_with(&lower)
                    || e.job
                        .template()
                        .is_some_and(|t| t.to_ascii_lowercase().starts_with(&lower))
            },
            &|e| want.len() >= 4 && e.job.id.to_ascii_lowercase().ends_with(&lower),
        ];
        for rule in rules {
            let hits: Vec<usize> = (0..jobs.len()).filter(|&i| rule(&jobs[i])).collect();
            match hits.as_slice() {
                [] => continue,
                [one] => {
                    let mut jobs = jobs;
                    return Ok(jobs.swap_remove(*one));
                }
                _ => {
                    return Err(ResolveError::Ambiguous {
                        message: format!(
                            "'{}' matches {} jobs; name one of them as SP/JOB, or narrow it with --sp",
                            self.job,
                            hits.len()
                        ),
                        candidates: hits.iter().map(|&i| describe(&jobs[i])).collect(),
                    });
                }
            }
        }
        let scope = match &self.service_principal {
            Some(sp) => format!(" on service principal '{sp}'"),
            None => " in the tenant".to_owned(),
        };
        Err(ResolveError::NotFound {
            message: format!(
                "no synchronization job matches '{}'{scope} (accepted: a full job id, SP/JOB, or a template name or unique prefix)",
                self.job
            ),
            candidates: jobs.iter().map(describe).collect(),
        })
    }
}

fn describe(e: &JobEntry) -> String {
    format!(
        "{}/{}  ({}, {})",
        e.service_principal.name(),
        e.job.id,
        e.job.template().unwrap_or("?"),
        e.job
            .status_code()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "no status".into())
    )
}

// ---------------------------------------------------------------------------------------------
// One job: requests (for --dry-run) and the calls that send them.

/// `GET .../jobs/{job}`.
pub fn get_job_request(key: &JobKey) -> GraphRequest {
    GraphRequest::get(ApiVersion::V1, key.path())
}

/// `POST .../jobs/{job}/start` (no body; 204). Clears a quarantine and resumes a paused job.
pub fn start_request(key: &JobKey) -> GraphRequest {
    GraphRequest::post(ApiVersion::V1, key.path().seg("start"))
}

/// `POST .../jobs/{job}/pause` (no body; 204).
pub fn pause_request(key: &JobKey) -> GraphRequest {
    GraphRequest::post(ApiVersion::V1, key.path().seg("pause"))
}

/// `POST .../jobs/{job}/restart` with `{"criteria":{"resetScope":"..."}}` (204).
///
/// An empty scope sends `{"criteria":{}}`: Microsoft documents that leaving `resetScope` empty
/// emulates the portal's "Restart provisioning" (≈ QuarantineState, Watermark, Escrows). We omit
/// the property rather than send `""`, because `resetScope` is an OData flags enum and an empty
/// string is read by OData as the zero member, `None` — the one value Microsoft says never to use.
/// `criteria` itself is nullable, so `{"criteria":{}}` is the documented "no scope" form.
pub fn restart_request(key: &JobKey, scope: ResetScope) -> GraphRequest {
    let body = serde_json::to_value(RestartRequest::new(scope))
        .unwrap_or_else(|_| serde_json::json!({"criteria": {}}));
    GraphRequest::post(ApiVersion::V1, key.path().seg("restart")).body(body)
}

/// `POST .../jobs/{job}/provisionOnDemand` (200, stringKeyStringValuePair).
pub fn provision_on_demand_request(
    key: &JobKey,
    body: &ProvisionOnDemandRequest,
) -> Result<GraphRequest, GraphError> {
    let v = serde_json::to_value(body).map_err(|e| GraphError::InvalidInput(e.to_string()))?;
    Ok(GraphRequest::post(ApiVersion::V1, key.path().seg("provisionOnDemand")).body(v))
}

/// `POST .../jobs/{job}/validateCredentials` (204 when valid).
pub fn validate_credentials_request(
    key: &JobKey,
    body: &ValidateCredentialsRequest,
) -> Result<GraphRequest, GraphError> {
    let v = serde_json::to_value(body).map_err(|e| GraphError::InvalidInput(e.to_string()))?;
    Ok(GraphRequest::post(ApiVersion::V1, key.path().seg("validateCredentials")).body(v))
}

/// `GET /servicePrincipals/{sp}/synchronization/secrets`.
pub fn get_secrets_request(service_principal_id: &str) -> GraphRequest {
    GraphRequest::get(ApiVersion::V1, secrets_path(service_principal_id))
}

/// `PUT /servicePrincipals/{sp}/synchronization/secrets` (replaces every secret: GET and merge first).
pub fn put_secrets_request(
    service_principal_id: &str,
    secrets: &SynchronizationSecrets,
) -> Result<GraphRequest, GraphError> {
    let v = serde_json::to_value(secrets).map_err(|e| GraphError::InvalidInput(e.to_string()))?;
    Ok(GraphRequest::new(
        Method::PUT,
        ApiVersion::V1,
        secrets_path(service_principal_id),
    )
    .body(v))
}

fn secrets_path(service_principal_id: &str) -> GraphPath {
    GraphPath::new()
        .lit("servicePrincipals")
        .seg(service_principal_id)
        .lit("synchronization/secrets")
}

/// Reads one job: the parsed job and the raw document.
pub async fn get_job(
    client: &GraphClient,
    key: &JobKey,
) -> Result<(SynchronizationJob, Value), GraphError> {
    let resp = client.send(&get_job_request(key)).await?;
    let mut raw: Value = resp.json()?;
    if let Some(o) = raw.as_object_mut() {
        o.remove("@odata.context");
    }
    let job = serde_path_to_error::deserialize(&raw).map_err(|e| GraphError::Decode {
        url: resp.url.clone(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    Ok((job, raw))
}

/// Starts a job (see [`start_request`]).
pub async fn start(client: &GraphClient, key: &JobKey) -> Result<(), GraphError> {
    client.send(&start_request(key)).await.map(|_| ())
}

/// Pauses a job (see [`pause_request`]).
pub async fn pause(client: &GraphClient, key: &JobKey) -> Result<(), GraphError> {
    client.send(&pause_request(key)).await.map(|_| ())
}

/// Restarts a job with a reset scope (see [`restart_request`]).
pub async fn restart(
    client: &GraphClient,
    key: &JobKey,
    scope: ResetScope,
) -> Result<(), GraphError> {
    client.send(&restart_request(key, scope)).await.map(|_| ())
}

/// Provisions one object on demand.
pub async fn provision_on_demand(
    client: &GraphClient,
    key: &JobKey,
    body: &ProvisionOnDemandRequest,
) -> Result<ProvisionOnDemandResponse, GraphError> {
    client
        .send(&provision_on_demand_request(key, body)?)
        .await?
        .json()
}

/// `GET .../jobs/{job}/schema`.
pub fn get_schema_request(key: &JobKey) -> GraphRequest {
    GraphRequest::get(ApiVersion::V1, key.path().seg("schema"))
}

/// Reads a job's synchronization schema (the rule ids provisionOnDemand needs).
pub async fn get_schema(
    client: &GraphClient,
    key: &JobKey,
) -> Result<SynchronizationSchema, GraphError> {
    client.get_json(&get_schema_request(key)).await
}

/// Validates the job's credentials (an error answer means they are not valid).
pub async fn validate_credentials(
    client: &GraphClient,
    key: &JobKey,
    body: &ValidateCredentialsRequest,
) -> Result<(), GraphError> {
    client
        .send(&validate_credentials_request(key, body)?)
        .await
        .map(|_| ())
}

/// Reads a service principal's synchronization secrets.
pub async fn get_secrets(
    client: &GraphClient,
    service_principal_id: &str,
) -> Result<SynchronizationSecrets, GraphError> {
    client
        .send(&get_secrets_request(service_principal_id))
        .await?
        .json()
}

/// Replaces a service principal's synchronization secrets.
pub async fn put_secrets(
    client: &GraphClient,
    service_principal_id: &str,
    secrets: &SynchronizationSecrets,
) -> Result<(), GraphError> {
    client
        .send(&put_secrets_request(service_principal_id, secrets)?)
        .await
        .map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Health and waiting.

/// About how long a job may stay quarantined before the service disables it (Microsoft: ~4 weeks).
pub const QUARANTINE_DISABLE_AFTER_DAYS: i64 = 28;

/// How a job stands, for checks and `--wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Active (or not yet run / paused on purpose) and the last run succeeded or had only
    /// object-level errors.
    Healthy,
    /// Quarantined.
    Quarantined,
    /// The last run failed.
    Failed,
    /// Paused.
    Paused,
    /// Never configured or never run.
    NotRun,
}

/// Judges a job.
pub fn health(job: &SynchronizationJob) -> Health {
    if job.is_quarantined() {
        return Health::Quarantined;
    }
    match job.status_code() {
        Some(SynchronizationStatusCode::Paused) => return Health::Paused,
        Some(SynchronizationStatusCode::NotRun | SynchronizationStatusCode::NotConfigured) => {
            return Health::NotRun;
        }
        _ => {}
    }
    match job.last_execution().and_then(|e| e.state.as_ref()) {
        Some(SynchronizationTaskExecutionResult::Failed) => Health::Failed,
        _ => Health::Healthy,
    }
}

/// When the service will disable a quarantined job (series start + 28 days), if known.
pub fn quarantine_disable_at(job: &SynchronizationJob) -> Option<DateTime<Utc>> {
    job.quarantine()
        .and_then(|q| q.series_began.or(q.current_began))
        .map(|t| t + chrono::Duration::days(QUARANTINE_DISABLE_AFTER_DAYS))
}

/// How [`wait_for_run`] polls.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First pause between polls.
    pub poll: Duration,
    /// Longest pause between polls (the pause grows by half each time up to this).
    pub max_poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            poll: Duration::from_secs(5),
            max_poll: Duration::from_secs(60),
        }
    }
}

/// What a job looked like at one poll, for printing state transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Status code (`Active`, `Quarantine`, ...).
    pub status: String,
    /// `running (20/40 Entries)` while a run is under way.
    pub progress: Option<String>,
    /// The state of the last run, once the run we wait for has ended.
    pub last_run: Option<String>,
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.status)?;
        if let Some(p) = &self.progress {
            write!(f, ", {p}")?;
        }
        if let Some(r) = &self.last_run {
            write!(f, ", last run {r}")?;
        }
        Ok(())
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitOutcome {
    /// A new run finished and the job is healthy.
    Healthy(Box<SynchronizationJob>),
    /// A new run finished and the job is quarantined.
    Quarantined(Box<SynchronizationJob>),
    /// A new run finished and failed (not quarantined).
    Failed(Box<SynchronizationJob>),
    /// The timeout passed first; the job as last seen.
    TimedOut(Box<SynchronizationJob>),
}

/// A fingerprint of the last run, taken before an action, so the wait can tell a new run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunMarker {
    activity: Option<String>,
    began: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
}

impl RunMarker {
    /// The marker of a job's last run.
    pub fn of(job: &SynchronizationJob) -> RunMarker {
        match job.last_execution() {
            Some(e) => RunMarker {
                activity: e.activity_identifier.clone(),
                began: e.time_began,
                ended: e.time_ended,
            },
            None => RunMarker::default(),
        }
    }
}

/// The running cycle's progress (`20/40 Entries`), while a run is under way.
pub fn cycle_progress(job: &SynchronizationJob) -> Option<String> {
    job.status
        .as_ref()
        .and_then(|s| s.progress.first())
        .filter(|p| p.total_units > 0)
        .map(|p| {
            format!(
                "{}/{} {}",
                p.completed_units,
                p.total_units,
                p.units.as_deref().unwrap_or("units")
            )
        })
}

impl Health {
    /// The lower-case word for the state (`healthy`, `quarantined`, `failed`, `paused`, `notrun`).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Quarantined => "quarantined",
            Health::Failed => "failed",
            Health::Paused => "paused",
            Health::NotRun => "notrun",
        }
    }
}

fn observe(job: &SynchronizationJob, new_run: bool) -> Observation {
    let status = job
        .status_code()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let progress = cycle_progress(job).map(|p| format!("running ({p})"));
    let last_run = if new_run {
        job.last_execution()
            .and_then(|e| e.state.as_ref())
            .map(|s| s.as_str().to_owned())
    } else {
        None
    };
    Observation {
        status,
        progress,
        last_run,
    }
}

/// Polls a job until a run newer than `before` has finished (or `opts.timeout` passes), calling
/// `on_change` whenever what is seen changes. Throttling is honoured: the client waits out
/// `Retry-After`, and a poll that still fails with 429/503 only lengthens the next pause.
pub async fn wait_for_run(
    client: &GraphClient,
    key: &JobKey,
    before: &RunMarker,
    opts: &WaitOptions,
    mut on_change: impl FnMut(&Observation),
) -> Result<WaitOutcome, GraphError> {
    let started = tokio::time::Instant::now();
    let mut pause = opts.poll;
    let mut last_seen: Option<Observation> = None;
    let mut last_job = SynchronizationJob::default();
    loop {
        match get_job(client, key).await {
            Ok((job, _)) => {
                let marker = RunMarker::of(&job);
                let running = job
                    .status
                    .as_ref()
                    .is_some_and(|s| s.progress.iter().any(|p| p.total_units > 0));
                let new_run = marker != *before && marker.ended.is_some() && !running;
                let seen = observe(&job, new_run);
                if last_seen.as_ref() != Some(&seen) {
                    on_change(&seen);
                    last_seen = Some(seen);
                }
                if new_run {
                    return Ok(match health(&job) {
                        Health::Quarantined => WaitOutcome::Quarantined(Box::new(job)),
                        Health::Failed => WaitOutcome::Failed(Box::new(job)),
                        _ => WaitOutcome::Healthy(Box::new(job)),
                    });
                }
                last_job = job;
            }
            Err(e) if matches!(e.status(), Some(429 | 503 | 504)) => {
                let ra = e.service().and_then(|s| s.retry_after);
                pause = ra.unwrap_or(pause * 2).max(opts.poll);
            }
            Err(e) => return Err(e),
        }
        let elapsed = started.elapsed();
        if elapsed >= opts.timeout {
            return Ok(WaitOutcome::TimedOut(Box::new(last_job)));
        }
        tokio::time::sleep(pause.min(opts.timeout - elapsed)).await;
        pause = (pause + pause / 2).min(opts.max_poll.max(opts.poll));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sp: &str, id: &str, template: &str) -> JobEntry {
        let raw =
            serde_json::json!({"id": id, "templateId": template, "status": {"code": "Active"}});
        JobEntry {
            service_principal: ServicePrincipal {
                id: sp.into(),
                display_name: Some(format!("{sp}-name")),
                ..ServicePrincipal::default()
            },
            job: serde_json::from_value(raw.clone()).unwrap_or_default(),
            raw,
        }
    }

    #[test]
    fn sp_slash_job_splits_at_the_first_slash_and_sp_flag_wins() {
        assert_eq!(
            JobRef::parse("corp.contoso.com/AD2AADProvisioning", None),
            JobRef {
                service_principal: Some("corp.contoso.com".into()),
                job: "AD2AADProvisioning".into()
            }
        );
        assert_eq!(
            JobRef::parse("AD2AADProvisioning.abc", Some("x")).service_principal,
            Some("x".into())
        );
    }

    #[test]
    fn template_names_prefixes_and_suffixes_resolve_and_ambiguity_lists_candidates() {
        let jobs = vec![
            entry("a", "AD2AADProvisioning.1.aaaa01", "AD2AADProvisioning"),
            entry("a", "AD2AADPasswordHash.1.aaaa02", "AD2AADPasswordHash"),
            entry("b", "salesforce.1.bbbb03", "salesforce"),
        ];
        let pick = |s: &str| JobRef::parse(s, None).pick(jobs.clone());
        assert_eq!(
            pick("salesforce").map(|e| e.job.id).ok(),
            Some("salesforce.1.bbbb03".into())
        );
        assert_eq!(
            pick("ad2aadpass").map(|e| e.job.id).ok(),
            Some("AD2AADPasswordHash.1.aaaa02".into())
        );
        assert_eq!(
            pick("…aa01").map(|e| e.job.id).ok(),
            Some("AD2AADProvisioning.1.aaaa01".into())
        );
        match pick("AD2AAD") {
            Err(ResolveError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => panic!("expected ambiguity, got {other:?}"),
        }
        match pick("workday") {
            Err(ResolveError::NotFound {
                candidates,
                message,
            }) => {
                assert_eq!(candidates.len(), 3);
                assert!(message.contains("'workday'"), "{message}");
            }
            other => panic!("expected not found, got {other:?}"),
        }
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

    #[test]
    fn restart_bodies_match_the_docs() {
        let key = JobKey::new("sp", "AD2AADProvisioning.x.y");
        let r = restart_request(
            &key,
            ResetScope::parse("Escrows,QuarantineState,Watermark").unwrap_or_default(),
        );
        assert_eq!(
            r.body.map(|b| b.to_string()).as_deref(),
            Some(r#"{"criteria":{"resetScope":"Watermark, Escrows, QuarantineState"}}"#)
        );
        assert_eq!(
            restart_request(&key, ResetScope::empty())
                .body
                .map(|b| b.to_string())
                .as_deref(),
            Some(r#"{"criteria":{}}"#)
        );
        assert_eq!(
            r.path.as_str(),
            "servicePrincipals/sp/synchronization/jobs/AD2AADProvisioning.x.y/restart"
        );
    }
}
