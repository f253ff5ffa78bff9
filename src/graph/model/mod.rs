//! Serde models of the Graph resources provctl reads and sends: synchronization jobs and their
//! actions (restart, provisionOnDemand, validateCredentials, secrets, schema), provisioning logs,
//! beta provisioning agents, tenant directory-synchronization settings and service principals.
//!
//! Every model is tolerant: unknown fields are ignored, unknown enum values are kept
//! (`Other(String)`) and compared case-insensitively, `null` and missing collections read as
//! empty, and `""`/`0001-01-01T00:00:00Z` timestamps read as "never" (`None`). Request bodies are
//! written exactly as Microsoft's documentation sends them. JSON Schemas of the same shapes live
//! in `graph-schemas/` at the repository root.

pub mod agents;
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
    SynchronizationTaskExecution, SynchronizationTaskExecutionResult,
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
