//! Actions on one job: every call is first a [`GraphRequest`] value (so `--dry-run` can show the
//! exact request without sending it), then the call that sends it. Start, pause, restart,
//! provisionOnDemand, validateCredentials, the schema and the synchronization secrets; which of
//! start and restart a job needs (the held-back-deletes rule), and one action sent to many jobs
//! at a bounded concurrency.

use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::JobKey;
use crate::graph::model::{
    ProvisionOnDemandRequest, ProvisionOnDemandResponse, QuarantineReason, ResetScope,
    RestartRequest, SynchronizationJob, SynchronizationSchema, SynchronizationSecrets,
    ValidateCredentialsRequest,
};
use crate::graph::{ApiVersion, GraphClient, GraphError, GraphRequest, directory};

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

/// `GET /servicePrincipals/{sp}/synchronization/secrets` (built by [`directory`], their one home).
pub fn get_secrets_request(service_principal_id: &str) -> GraphRequest {
    directory::secrets_request(service_principal_id)
}

/// `PUT /servicePrincipals/{sp}/synchronization/secrets` (replaces every secret: GET and merge
/// first; built by [`directory`]).
pub fn put_secrets_request(
    service_principal_id: &str,
    secrets: &SynchronizationSecrets,
) -> Result<GraphRequest, GraphError> {
    directory::put_secrets_request(service_principal_id, secrets)
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

/// A state-changing action on one job, as a value: one place builds its request and sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// `POST .../start`: resumes a paused job, clears a quarantine.
    Start,
    /// `POST .../pause`.
    Pause,
    /// `POST .../restart` with this reset scope.
    Restart(ResetScope),
}

impl JobAction {
    /// The request (see [`start_request`], [`pause_request`], [`restart_request`]).
    pub fn request(self, key: &JobKey) -> GraphRequest {
        match self {
            JobAction::Start => start_request(key),
            JobAction::Pause => pause_request(key),
            JobAction::Restart(scope) => restart_request(key, scope),
        }
    }

    /// Sends it (see [`start`], [`pause`], [`restart`]).
    pub async fn send(self, client: &GraphClient, key: &JobKey) -> Result<(), GraphError> {
        match self {
            JobAction::Start => start(client, key).await,
            JobAction::Pause => pause(client, key).await,
            JobAction::Restart(scope) => restart(client, key, scope).await,
        }
    }

    /// Graph's name of the action (`start`, `pause`, `restart`).
    pub fn name(self) -> &'static str {
        match self {
            JobAction::Start => "start",
            JobAction::Pause => "pause",
            JobAction::Restart(_) => "restart",
        }
    }
}

/// What an action on one job comes to, decided before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionPlan {
    /// Send this.
    Send(JobAction),
    /// The job is already as asked (`why`: "is not quarantined (status Active)").
    Unchanged(String),
    /// Held back without the caller's explicit consent (`why`, quoting the reason).
    NeedsForce(String),
}

/// True when the job is quarantined because the accidental-deletion threshold held deletes back
/// (TooManyDeletes): the one rule for "this job may only be started or restarted on purpose".
/// Start lifts such a quarantine but the held-back deletes quarantine the job again; restart with
/// ForceDeletes lets them all through.
pub fn holds_back_deletes(job: &SynchronizationJob) -> bool {
    job.is_quarantined()
        && job.quarantine().and_then(|q| q.reason.as_ref())
            == Some(&QuarantineReason::TooManyDeletes)
}

/// Clearing a job's quarantine (`POST .../start`, as Microsoft documents): nothing to change for a
/// job that is not quarantined; a TooManyDeletes quarantine only with `force`.
pub fn plan_clear(job: &SynchronizationJob, force: bool) -> ActionPlan {
    if !job.is_quarantined() {
        let status = job
            .status_code()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "unknown".into());
        return ActionPlan::Unchanged(format!("is not quarantined (status {status})"));
    }
    if holds_back_deletes(job) && !force {
        return ActionPlan::NeedsForce(
            "is quarantined for TooManyDeletes: start would lift the quarantine, but the deletes held back by the accidental-deletion threshold would quarantine it again".into(),
        );
    }
    ActionPlan::Send(JobAction::Start)
}

/// Restarting a job with `scope`: a job quarantined for TooManyDeletes only with `force`, since
/// ForceDeletes lets every held-back delete through and any other scope is undone by them.
pub fn plan_restart(job: &SynchronizationJob, scope: ResetScope, force: bool) -> ActionPlan {
    if holds_back_deletes(job) && !force {
        let why = if scope.contains(ResetScope::FORCE_DELETES) {
            "is quarantined for TooManyDeletes: ForceDeletes would let every delete held back by the accidental-deletion threshold through"
        } else {
            "is quarantined for TooManyDeletes: the deletes held back by the accidental-deletion threshold would quarantine it again"
        };
        return ActionPlan::NeedsForce(why.into());
    }
    ActionPlan::Send(JobAction::Restart(scope))
}

/// Sends each `(job, action)`, at most `concurrency` at a time (each through the client's retries
/// and pacing, like a single action); the results come back in the order given.
pub async fn send_each(
    client: &GraphClient,
    actions: &[(JobKey, JobAction)],
    concurrency: usize,
) -> Vec<Result<(), GraphError>> {
    let mut done: Vec<(usize, Result<(), GraphError>)> = stream::iter(actions.iter().enumerate())
        .map(|(i, (key, action))| async move { (i, action.send(client, key).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
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
    directory::secrets(client, service_principal_id).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn job(code: &str, reason: Option<&str>) -> SynchronizationJob {
        serde_json::from_value(serde_json::json!({
            "id": "AD2AADProvisioning.x.y",
            "status": {"code": code, "quarantine": reason.map(|r| serde_json::json!({"reason": r}))},
        }))
        .unwrap_or_default()
    }

    #[test]
    fn too_many_deletes_is_started_or_restarted_only_with_force() {
        let held = job("Quarantine", Some("TooManyDeletes"));
        assert!(holds_back_deletes(&held));
        assert!(
            matches!(plan_clear(&held, false), ActionPlan::NeedsForce(w) if w.contains("TooManyDeletes"))
        );
        assert_eq!(plan_clear(&held, true), ActionPlan::Send(JobAction::Start));
        let force_deletes = plan_restart(&held, ResetScope::FORCE_DELETES, false);
        assert!(matches!(force_deletes, ActionPlan::NeedsForce(w) if w.contains("ForceDeletes")));
        assert!(matches!(
            plan_restart(&held, ResetScope::ESCROWS, false),
            ActionPlan::NeedsForce(_)
        ));
        assert_eq!(
            plan_restart(&held, ResetScope::FORCE_DELETES, true),
            ActionPlan::Send(JobAction::Restart(ResetScope::FORCE_DELETES))
        );
        let escrow = job("Quarantine", Some("EncounteredEscrowProportionThreshold"));
        assert_eq!(
            plan_clear(&escrow, false),
            ActionPlan::Send(JobAction::Start)
        );
        let healthy = job("Active", None);
        assert!(
            matches!(plan_clear(&healthy, false), ActionPlan::Unchanged(w) if w.contains("Active"))
        );
        assert!(!holds_back_deletes(&healthy));
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
