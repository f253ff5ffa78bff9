//! Actions on one job: every call is first a [`GraphRequest`] value (so `--dry-run` can show the
//! exact request without sending it), then the call that sends it. Start, pause, restart,
//! provisionOnDemand, validateCredentials, the schema and the synchronization secrets.

use serde_json::Value;

use super::JobKey;
use crate::graph::model::{
    ProvisionOnDemandRequest, ProvisionOnDemandResponse, ResetScope, RestartRequest,
    SynchronizationJob, SynchronizationSchema, SynchronizationSecrets, ValidateCredentialsRequest,
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
