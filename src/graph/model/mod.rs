//! Serde models of the Graph resources provctl reads and sends: synchronization jobs and their
//! actions (restart, provisionOnDemand, validateCredentials, secrets, schema), provisioning logs,
//! beta provisioning agents, tenant directory-synchronization settings, service principals and
//! `$batch` bodies.
//!
//! Every model is tolerant: unknown fields are ignored, unknown enum values are kept
//! (`Other(String)`) and compared case-insensitively, `null` and missing collections read as
//! empty, and `""`/`0001-01-01T00:00:00Z` timestamps read as "never" (`None`). Request bodies are
//! written exactly as Microsoft's documentation sends them. JSON Schemas of the same shapes live
//! in `graph-schemas/` at the repository root.

#![warn(missing_docs)]

pub mod agents;
pub mod batch;
pub mod common;
pub mod directory;
pub mod job;
pub mod logs;
pub mod on_demand;
pub mod restart;
pub mod schema;
pub mod secrets;
pub mod service_principal;

pub use agents::{
    AgentStatus, HybridAgentUpdaterConfiguration, OnPremisesAgent, OnPremisesAgentGroup,
    OnPremisesPublishingProfile, OnPremisesPublishingType, PublishedResource, UpdateWindow,
};
pub use batch::{
    BatchRequest, BatchRequestItem, BatchResponse, BatchResponseItem, MAX_BATCH_REQUESTS,
};
pub use common::{
    DetailsInfo, DurationError, DurationValue, GraphDuration, GraphErrorBody, GraphErrorDetail,
    GraphErrorEnvelope, GraphInnerError, KeyValuePair, ODataCollection, OpenEnum, ScheduleInterval,
    StringKeyLongValuePair, StringKeyStringValuePair, describe_duration, format_graph_time,
    format_iso8601_duration, parse_graph_time, parse_iso8601_duration,
};
pub use directory::{
    DeletionPreventionType, OnPremisesAccidentalDeletionPrevention, OnPremisesCurrentExportData,
    OnPremisesDirectorySynchronization, OnPremisesDirectorySynchronizationConfiguration,
    OnPremisesDirectorySynchronizationFeature, OnPremisesDirectorySynchronizationPatch,
    OnPremisesWritebackConfiguration,
};
pub use job::{
    CreateSynchronizationJobRequest, QuarantineReason, SynchronizationError, SynchronizationJob,
    SynchronizationProgress, SynchronizationQuarantine, SynchronizationSchedule,
    SynchronizationScheduleState, SynchronizationStatus, SynchronizationStatusCode,
    SynchronizationTaskExecution, SynchronizationTaskExecutionResult, is_cloud_sync_template,
};
pub use logs::{
    Initiator, InitiatorType, ModifiedProperty, ProvisionedIdentity, ProvisioningAction,
    ProvisioningErrorInfo, ProvisioningObjectSummary, ProvisioningResult,
    ProvisioningServicePrincipal, ProvisioningStatusErrorCategory, ProvisioningStatusInfo,
    ProvisioningStep, ProvisioningStepType, ProvisioningSystem, StatusDetails,
};
pub use on_demand::{
    DecodedProvisionOnDemand, OnDemandDecodeError, OnDemandIdentity, OnDemandProvisioningRecord,
    OnDemandResult, OnDemandResultDetails, OnDemandStatusInfo, OnDemandStep, OnDemandSystem,
    ProvisionOnDemandRequest, ProvisionOnDemandResponse, SynchronizationJobApplicationParameters,
    SynchronizationJobSubject, SynchronizationLinkedObjects,
};
pub use restart::{ResetScope, ResetScopeError, RestartRequest, SynchronizationJobRestartCriteria};
pub use schema::{ObjectMapping, SynchronizationRule, SynchronizationSchema};
pub use secrets::{
    SyncNotificationSettings, SynchronizationSecret, SynchronizationSecretKeyStringValuePair,
    SynchronizationSecrets, ValidateCredentialsRequest,
};
pub use service_principal::{CLOUD_SYNC_APPLICATION_TEMPLATE_ID, ServicePrincipal};

#[cfg(test)]
mod no_panic_tests {
    //! Arbitrary JSON, shaped with real Graph property names so it reaches the custom
    //! deserialisers, must give a value or an error, never a panic.

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;

    const KEYS: &[&str] = &[
        "id",
        "value",
        "status",
        "code",
        "schedule",
        "interval",
        "state",
        "quarantine",
        "reason",
        "currentBegan",
        "seriesCount",
        "lastExecution",
        "countEscrowed",
        "timeBegan",
        "steadyStateFirstAchievedTime",
        "synchronizationJobSettings",
        "name",
        "key",
        "details",
        "provisioningSteps",
        "provisioningStepType",
        "type",
        "provisioningStatusInfo",
        "errorInformation",
        "statusInfo",
        "action",
        "provisioningAction",
        "initiatedBy",
        "initiatingType",
        "durationInMilliseconds",
        "activityDateTime",
        "criteria",
        "resetScope",
        "configuration",
        "accidentalDeletionPrevention",
        "synchronizationPreventionType",
        "features",
        "agentGroups",
        "error",
        "innerError",
        "@odata.nextLink",
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[ -~]{0,12}".prop_map(Value::from),
            prop_oneof![
                Just("PT40M"),
                Just(""),
                Just("0001-01-01T00:00:00Z"),
                Just("Quarantine"),
                Just("P10675199DT2H48M5.4775807S"),
                Just("Full, ForceDeletes"),
                Just("{}"),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                    Value::Object(
                        kv.into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_json_never_panics(v in json()) {
            let _ = serde_json::from_value::<SynchronizationJob>(v.clone());
            let _ = serde_json::from_value::<ODataCollection<ProvisioningObjectSummary>>(v.clone());
            let _ = serde_json::from_value::<ProvisioningObjectSummary>(v.clone())
                .map(|s| (s.status().cloned(), s.action(), s.error()));
            let _ = serde_json::from_value::<RestartRequest>(v.clone());
            let _ = serde_json::from_value::<OnPremisesDirectorySynchronization>(v.clone());
            let _ = serde_json::from_value::<OnPremisesAgent>(v.clone());
            let _ = serde_json::from_value::<GraphErrorEnvelope>(v.clone());
            if let Ok(r) = serde_json::from_value::<ProvisionOnDemandResponse>(v.clone()) {
                let _ = r.decode().map(|d| d.to_summary());
            }
            if let Ok(job) = serde_json::from_value::<SynchronizationJob>(v) {
                let _ = (job.is_quarantined(), job.escrowed(), job.template(), job.interval().map(|i| i.describe()));
            }
        }
    }
}
