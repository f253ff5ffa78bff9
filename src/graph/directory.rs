//! Tenant-level accidental deletion prevention (`/directory/onPremisesSynchronization`, the
//! Connect Sync / DirSync feature that can also block cloud sync deletes) and cloud sync's own
//! per-job delete threshold, kept in the `SyncNotificationSettings` synchronization secret.
//! Both are read first and written back with only the changed values.

use serde_json::{Map, Value};

use super::model::{
    DeletionPreventionType, OnPremisesDirectorySynchronization,
    OnPremisesDirectorySynchronizationPatch, SynchronizationSecret, SynchronizationSecrets,
};
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest, Method};

/// The onPremisesSynchronization collection request.
pub fn get_request() -> GraphRequest {
    GraphRequest::get(
        ApiVersion::V1,
        GraphPath::new().lit("directory/onPremisesSynchronization"),
    )
}

/// Reads the tenant's onPremisesDirectorySynchronization object (one per tenant; its id is the
/// tenant id). `None` when the tenant has none.
pub async fn get(
    client: &GraphClient,
) -> Result<Option<OnPremisesDirectorySynchronization>, GraphError> {
    let page: super::model::ODataCollection<OnPremisesDirectorySynchronization> =
        client.get_json(&get_request()).await?;
    Ok(page.value.into_iter().next())
}

/// The desired tenant-level setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionPrevention {
    /// Off.
    Disabled,
    /// Block when more than this many objects would be deleted.
    Count(i32),
    /// Block when more than this percentage of objects would be deleted.
    Percent(i32),
}

/// The PATCH that moves `current` to `desired`, with only what changes; `None` when nothing does.
pub fn patch_for(
    current: &OnPremisesDirectorySynchronization,
    desired: DeletionPrevention,
) -> Option<OnPremisesDirectorySynchronizationPatch> {
    let adp = current.accidental_deletion_prevention();
    let cur_type = adp.and_then(|a| a.synchronization_prevention_type.clone());
    let cur_threshold = adp.and_then(|a| a.alert_threshold);
    let (want_type, want_threshold) = match desired {
        DeletionPrevention::Disabled => (DeletionPreventionType::Disabled, None),
        DeletionPrevention::Count(n) => (DeletionPreventionType::EnabledForCount, Some(n)),
        DeletionPrevention::Percent(n) => (DeletionPreventionType::EnabledForPercentage, Some(n)),
    };
    let type_changes = cur_type.as_ref() != Some(&want_type);
    let threshold_changes = want_threshold.is_some() && want_threshold != cur_threshold;
    if !type_changes && !threshold_changes {
        return None;
    }
    let mut patch = OnPremisesDirectorySynchronizationPatch::accidental_deletion_prevention(
        want_type,
        if threshold_changes {
            want_threshold
        } else {
            None
        },
    );
    if !type_changes
        && let Some(cfg) = patch.configuration.as_mut()
        && let Some(a) = cfg.accidental_deletion_prevention.as_mut()
    {
        a.synchronization_prevention_type = None;
    }
    Some(patch)
}

/// The PATCH request for the object `id`.
pub fn patch_request(
    id: &str,
    patch: &OnPremisesDirectorySynchronizationPatch,
) -> Result<GraphRequest, GraphError> {
    let body = serde_json::to_value(patch).map_err(|e| GraphError::InvalidInput(e.to_string()))?;
    Ok(GraphRequest::new(
        Method::PATCH,
        ApiVersion::V1,
        GraphPath::new()
            .lit("directory/onPremisesSynchronization")
            .seg(id),
    )
    .body(body))
}

/// The request that reads a service principal's synchronization secrets.
pub fn secrets_request(sp_id: &str) -> GraphRequest {
    GraphRequest::get(
        ApiVersion::V1,
        GraphPath::new()
            .lit("servicePrincipals")
            .seg(sp_id)
            .lit("synchronization/secrets"),
    )
}

/// Reads a service principal's synchronization secrets.
pub async fn secrets(
    client: &GraphClient,
    sp_id: &str,
) -> Result<SynchronizationSecrets, GraphError> {
    client.get_json(&secrets_request(sp_id)).await
}

/// A cloud sync configuration's own delete threshold, from `SyncNotificationSettings`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDeleteThreshold {
    /// Whether the threshold is on (cloud sync's default: on).
    pub enabled: bool,
    /// The number of deletes per run that trips it (default 500).
    pub value: Option<i64>,
    /// True when the secret is absent and the service defaults apply.
    pub defaulted: bool,
}

/// Reads the per-job threshold from the secrets (absent settings = the documented default, 500).
pub fn job_threshold(secrets: &SynchronizationSecrets) -> Result<JobDeleteThreshold, GraphError> {
    match settings_object(secrets)? {
        None => Ok(JobDeleteThreshold {
            enabled: true,
            value: Some(500),
            defaulted: true,
        }),
        Some(m) => Ok(JobDeleteThreshold {
            enabled: m
                .get("DeleteThresholdEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            value: m.get("DeleteThresholdValue").and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            }),
            defaulted: false,
        }),
    }
}

fn settings_object(
    secrets: &SynchronizationSecrets,
) -> Result<Option<Map<String, Value>>, GraphError> {
    let Some(text) = secrets.get(&SynchronizationSecret::SyncNotificationSettings) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) | Err(_) => Err(GraphError::Decode {
            url: "synchronization/secrets".into(),
            path: "SyncNotificationSettings".into(),
            message: "the value is not a JSON object".into(),
        }),
    }
}

/// Every secret, with `SyncNotificationSettings` changed to the new threshold and nothing else
/// touched (the PUT replaces all secrets, so all must be sent back).
pub fn with_job_threshold(
    secrets: &SynchronizationSecrets,
    enabled: bool,
    value: Option<i64>,
) -> Result<SynchronizationSecrets, GraphError> {
    let mut m = settings_object(secrets)?.unwrap_or_default();
    m.insert("DeleteThresholdEnabled".into(), Value::Bool(enabled));
    if let Some(v) = value {
        m.insert("DeleteThresholdValue".into(), Value::from(v));
    }
    let mut out = secrets.clone();
    out.set(
        SynchronizationSecret::SyncNotificationSettings,
        Value::Object(m).to_string(),
    );
    Ok(out)
}

/// The PUT that writes all secrets of a service principal.
pub fn put_secrets_request(
    sp_id: &str,
    secrets: &SynchronizationSecrets,
) -> Result<GraphRequest, GraphError> {
    secrets.check_writable().map_err(GraphError::InvalidInput)?;
    let body =
        serde_json::to_value(secrets).map_err(|e| GraphError::InvalidInput(e.to_string()))?;
    Ok(GraphRequest::new(
        Method::PUT,
        ApiVersion::V1,
        GraphPath::new()
            .lit("servicePrincipals")
            .seg(sp_id)
            .lit("synchronization/secrets"),
    )
    .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(kind: &str, threshold: i32) -> OnPremisesDirectorySynchronization {
        serde_json::from_value(serde_json::json!({
            "id": "t", "configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": kind, "alertThreshold": threshold}}, "features": {}
        }))
        .unwrap()
    }

    #[test]
    fn patches_carry_only_what_changes() {
        let cur = current("enabledForCount", 500);
        let p = patch_for(&cur, DeletionPrevention::Disabled).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"disabled"}}}"#
        );
        assert!(patch_for(&cur, DeletionPrevention::Count(500)).is_none());
        let p = patch_for(&cur, DeletionPrevention::Count(800)).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"configuration":{"accidentalDeletionPrevention":{"alertThreshold":800}}}"#
        );
        let p = patch_for(&cur, DeletionPrevention::Percent(10)).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"enabledForPercentage","alertThreshold":10}}}"#
        );
        assert!(patch_for(&current("disabled", 0), DeletionPrevention::Disabled).is_none());
    }

    #[test]
    fn the_job_threshold_changes_one_value_and_keeps_every_other_secret() {
        let secrets: SynchronizationSecrets = serde_json::from_value(serde_json::json!({"value": [
            {"key": "Domain", "value": "{\"domain\":\"corp\"}"},
            {"key": "SyncNotificationSettings", "value": "{\"Enabled\":true,\"Recipients\":\"a@b.c\",\"DeleteThresholdEnabled\":true,\"DeleteThresholdValue\":500,\"Future\":1}"},
            {"key": "SecretToken", "value": "s3cret"}
        ]}))
        .unwrap();
        assert_eq!(
            job_threshold(&secrets).unwrap(),
            JobDeleteThreshold {
                enabled: true,
                value: Some(500),
                defaulted: false
            }
        );
        let changed = with_job_threshold(&secrets, true, Some(1200)).unwrap();
        assert_eq!(changed.value.len(), 3);
        assert_eq!(
            changed.get(&SynchronizationSecret::SecretToken),
            Some("s3cret")
        );
        let m: Value = serde_json::from_str(
            changed
                .get(&SynchronizationSecret::SyncNotificationSettings)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(m["DeleteThresholdValue"], 1200);
        assert_eq!(m["Recipients"], "a@b.c");
        assert_eq!(m["Future"], 1);
        let empty = SynchronizationSecrets::default();
        assert!(job_threshold(&empty).unwrap().defaulted);
    }

    /// Issue 14 item 2: secrets as Graph's GET returns them (`"*"` for the token) are never
    /// written back.
    #[test]
    fn masked_secrets_read_back_are_refused_before_a_put_is_built() {
        let got: SynchronizationSecrets = serde_json::from_str(include_str!(
            "../../tests/fixtures/real/get-synchronization-secrets.masked.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.masked_keys(), vec!["SecretToken".to_owned()]);
        let updated = with_job_threshold(&got, true, Some(100)).unwrap_or_else(|e| panic!("{e}"));
        let err = put_secrets_request("sp", &updated)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("SecretToken") && err.contains("\"*\""),
            "{err}"
        );
    }
}
