//! Provisioning logs (`GET /auditLogs/provisioning`): `provisioningObjectSummary` and its nested
//! types, v1.0 plus beta's deprecated `action` and `statusInfo`. The convenience methods read v1.0
//! first and fall back to beta, so the explain engine never has to know which version answered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{DetailsInfo, lenient_opt_i64, never_time, null_default, open_enum, opt_enum};

open_enum! {
    /// CSDL `provisioningAction`. The docs write `stageddelete`; it reads as `stagedDelete`.
    pub enum ProvisioningAction {
        /// Graph's `other`: no change, or another action. (Named `OtherAction` because `Other(String)`
        /// holds values this version does not know.)
        OtherAction = "other",
        /// Created in the target.
        Create = "create",
        /// Deleted in the target.
        Delete = "delete",
        /// Disabled in the target.
        Disable = "disable",
        /// Updated in the target.
        Update = "update",
        /// Soft-deleted (staged) in the target.
        StagedDelete = "stagedDelete",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// CSDL `provisioningResult`: the outcome of an event or a step. Graph's on-demand answers use
    /// PascalCase (`"Skipped"`); both read the same.
    pub enum ProvisioningResult {
        /// It worked.
        Success = "success",
        /// It failed.
        Failure = "failure",
        /// Nothing was done (out of scope, redundant export, ...).
        Skipped = "skipped",
        /// It worked with a warning.
        Warning = "warning",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// CSDL `provisioningStepType`. The docs' examples also show `"Import"`/`"Export"`.
    pub enum ProvisioningStepType {
        /// Reading the object from the source.
        Import = "import",
        /// Scoping-filter evaluation.
        Scoping = "scoping",
        /// Matching against the target.
        Matching = "matching",
        /// Deciding what to do.
        Processing = "processing",
        /// Resolving references (manager, members).
        ReferenceResolution = "referenceResolution",
        /// Writing to the target.
        Export = "export",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// CSDL `provisioningStatusErrorCategory`.
    pub enum ProvisioningStatusErrorCategory {
        /// A failure.
        Failure = "failure",
        /// A failure outside the service (the target refused, a conflict): usually fixable by the
        /// admin.
        NonServiceFailure = "nonServiceFailure",
        /// Success.
        Success = "success",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// CSDL `initiatorType`.
    pub enum InitiatorType {
        /// A user.
        User = "user",
        /// An application.
        Application = "application",
        /// The provisioning service itself.
        System = "system",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// CSDL `provisioningObjectSummary`: one provisioning event for one object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningObjectSummary {
    /// The event id.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// When it happened.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub activity_date_time: Option<DateTime<Utc>>,
    /// The change id: the identifier support asks for.
    #[serde(default)]
    pub change_id: Option<String>,
    /// The sync cycle.
    #[serde(default)]
    pub cycle_id: Option<String>,
    /// How long it took (numeric strings tolerated).
    #[serde(default, with = "lenient_opt_i64")]
    pub duration_in_milliseconds: Option<i64>,
    /// Who started it (the docs' `initiatingType` typo is read too).
    #[serde(default)]
    pub initiated_by: Option<Initiator>,
    /// The job (`AD2AADProvisioning.{hex}.{guid}`).
    #[serde(default)]
    pub job_id: Option<String>,
    /// The attributes changed.
    #[serde(default, deserialize_with = "null_default")]
    pub modified_properties: Vec<ModifiedProperty>,
    /// What was done (v1.0).
    #[serde(default, with = "opt_enum")]
    pub provisioning_action: Option<ProvisioningAction>,
    /// The outcome (v1.0).
    #[serde(default)]
    pub provisioning_status_info: Option<ProvisioningStatusInfo>,
    /// The steps, in order.
    #[serde(default, deserialize_with = "null_default")]
    pub provisioning_steps: Vec<ProvisioningStep>,
    /// The service principal of the job (a single object, although the docs say "collection").
    #[serde(default)]
    pub service_principal: Option<ProvisioningServicePrincipal>,
    /// The object in the source.
    #[serde(default)]
    pub source_identity: Option<ProvisionedIdentity>,
    /// The source system.
    #[serde(default)]
    pub source_system: Option<ProvisioningSystem>,
    /// The object in the target.
    #[serde(default)]
    pub target_identity: Option<ProvisionedIdentity>,
    /// The target system.
    #[serde(default)]
    pub target_system: Option<ProvisioningSystem>,
    /// The tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Beta only, deprecated: the action as a string (`"Create"`). Prefer [`Self::action`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Beta only, deprecated: the outcome (`statusBase`/`statusDetails`). Prefer [`Self::status`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_info: Option<StatusDetails>,
}

impl ProvisioningObjectSummary {
    /// The outcome: `provisioningStatusInfo.status`, falling back to beta `statusInfo.status`.
    pub fn status(&self) -> Option<&ProvisioningResult> {
        self.provisioning_status_info
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .or_else(|| self.status_info.as_ref().and_then(|s| s.status.as_ref()))
    }

    /// What was done: `provisioningAction`, falling back to beta's `action` string.
    pub fn action(&self) -> Option<ProvisioningAction> {
        self.provisioning_action.clone().or_else(|| {
            self.action
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .map(ProvisioningAction::parse)
        })
    }

    /// The error: `provisioningStatusInfo.errorInformation`, falling back to beta `statusInfo`.
    pub fn error(&self) -> Option<ProvisioningErrorInfo> {
        if let Some(e) = self
            .provisioning_status_info
            .as_ref()
            .and_then(|s| s.error_information.as_ref())
        {
            return Some(e.clone());
        }
        self.status_info.as_ref().and_then(StatusDetails::error)
    }

    /// The field [`Self::status`] was read from, for evidence labels: `provisioningStatusInfo`
    /// (v1.0), or `statusInfo` on old beta records that carry only that.
    pub fn status_field(&self) -> &'static str {
        let v1 = self
            .provisioning_status_info
            .as_ref()
            .is_some_and(|s| s.status.is_some());
        if v1 || self.status_info.is_none() {
            "provisioningStatusInfo"
        } else {
            "statusInfo"
        }
    }

    /// The object [`Self::error`] was read from, for evidence labels: `errorInformation` (v1.0's
    /// `provisioningStatusInfo.errorInformation`), or beta's flat `statusInfo`.
    pub fn error_field(&self) -> &'static str {
        let v1 = self
            .provisioning_status_info
            .as_ref()
            .is_some_and(|s| s.error_information.is_some());
        if !v1
            && self
                .status_info
                .as_ref()
                .is_some_and(|s| s.error().is_some())
        {
            "statusInfo"
        } else {
            "errorInformation"
        }
    }

    /// The field [`Self::action`] was read from: `provisioningAction`, or beta's `action`.
    pub fn action_field(&self) -> &'static str {
        if self.provisioning_action.is_none() && self.action.is_some() {
            "action"
        } else {
            "provisioningAction"
        }
    }

    /// True when the outcome is `failure`.
    pub fn is_failure(&self) -> bool {
        self.status() == Some(&ProvisioningResult::Failure)
    }

    /// True when the outcome is `skipped`.
    pub fn is_skipped(&self) -> bool {
        self.status() == Some(&ProvisioningResult::Skipped)
    }

    /// Why the event was skipped, as Graph records it: the first non-empty `SkipReason` in a
    /// step's details (Graph puts it there, not in `errorInformation`).
    pub fn skip_reason(&self) -> Option<&str> {
        self.provisioning_steps
            .iter()
            .find_map(|s| s.details.get("SkipReason").filter(|v| !v.trim().is_empty()))
    }

    /// The first step that failed, else the first one skipped: where to look first.
    pub fn decisive_step(&self) -> Option<&ProvisioningStep> {
        let with = |r: ProvisioningResult| {
            self.provisioning_steps
                .iter()
                .find(|s| s.status.as_ref() == Some(&r))
        };
        with(ProvisioningResult::Failure).or_else(|| with(ProvisioningResult::Skipped))
    }
}

/// CSDL `initiator`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "InitiatorWire")]
pub struct Initiator {
    /// Id (empty for the service).
    #[serde(default)]
    pub id: Option<String>,
    /// Name (`Azure AD Provisioning Service`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Kind (`system`). The docs' example misspells it `initiatingType`; both are read (the
    /// correct name wins when both are present) and it is written as `initiatorType`.
    #[serde(default, with = "opt_enum")]
    pub initiator_type: Option<InitiatorType>,
}

/// What Graph may send for an initiator, including the docs' `initiatingType` spelling.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitiatorWire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default, with = "opt_enum")]
    initiator_type: Option<InitiatorType>,
    #[serde(default, with = "opt_enum")]
    initiating_type: Option<InitiatorType>,
}

impl From<InitiatorWire> for Initiator {
    fn from(w: InitiatorWire) -> Self {
        Initiator {
            id: w.id,
            display_name: w.display_name,
            initiator_type: w.initiator_type.or(w.initiating_type),
        }
    }
}

/// CSDL `modifiedProperty`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    /// The attribute.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Before (often `null`).
    #[serde(default)]
    pub old_value: Option<String>,
    /// After.
    #[serde(default)]
    pub new_value: Option<String>,
}

/// CSDL `provisioningStep`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ProvisioningStepWire")]
pub struct ProvisioningStep {
    /// The step (`EntryImport`, `EntrySynchronizationSkip`, `EntryExportAdd`, ...).
    #[serde(default)]
    pub name: Option<String>,
    /// The phase (on-demand answers call it `type`; both are read, `provisioningStepType` wins).
    #[serde(default, with = "opt_enum")]
    pub provisioning_step_type: Option<ProvisioningStepType>,
    /// The step's outcome.
    #[serde(default, with = "opt_enum")]
    pub status: Option<ProvisioningResult>,
    /// What happened, in words.
    #[serde(default)]
    pub description: Option<String>,
    /// Free-form details (`{"SkipReason":"RedundantExport"}`).
    #[serde(default)]
    pub details: DetailsInfo,
    /// When the step ran. Not in the log metadata: only provisionOnDemand answers carry it, so it
    /// is written only when set.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
}

/// What Graph may send for a step, including the on-demand `type` spelling.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProvisioningStepWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, with = "opt_enum")]
    provisioning_step_type: Option<ProvisioningStepType>,
    #[serde(default, rename = "type", with = "opt_enum")]
    step_type: Option<ProvisioningStepType>,
    #[serde(default, with = "opt_enum")]
    status: Option<ProvisioningResult>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    details: DetailsInfo,
    #[serde(default, with = "never_time")]
    timestamp: Option<DateTime<Utc>>,
}

impl From<ProvisioningStepWire> for ProvisioningStep {
    fn from(w: ProvisioningStepWire) -> Self {
        ProvisioningStep {
            name: w.name,
            provisioning_step_type: w.provisioning_step_type.or(w.step_type),
            status: w.status,
            description: w.description,
            details: w.details,
            timestamp: w.timestamp,
        }
    }
}

/// CSDL `provisioningStatusInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningStatusInfo {
    /// The outcome.
    #[serde(default, with = "opt_enum")]
    pub status: Option<ProvisioningResult>,
    /// The error (`null` on success).
    #[serde(default)]
    pub error_information: Option<ProvisioningErrorInfo>,
}

/// CSDL `provisioningErrorInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningErrorInfo {
    /// The code (`ContosoEntryConflict`): what the diagnose table keys on.
    #[serde(default)]
    pub error_code: Option<String>,
    /// The reason, in words.
    #[serde(default)]
    pub reason: Option<String>,
    /// More details.
    #[serde(default)]
    pub additional_details: Option<String>,
    /// The category.
    #[serde(default, with = "opt_enum")]
    pub error_category: Option<ProvisioningStatusErrorCategory>,
    /// What to do.
    #[serde(default)]
    pub recommended_action: Option<String>,
}

/// Beta's deprecated `statusInfo` (`statusBase` / `statusDetails`): a flat status with the error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// `#microsoft.graph.statusDetails` or `#microsoft.graph.statusBase`.
    #[serde(
        default,
        rename = "@odata.type",
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// The outcome.
    #[serde(default, with = "opt_enum")]
    pub status: Option<ProvisioningResult>,
    /// The error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// More details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<String>,
    /// The category.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub error_category: Option<ProvisioningStatusErrorCategory>,
    /// What to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_action: Option<String>,
}

impl StatusDetails {
    /// The error part as a v1.0 `provisioningErrorInfo`, when any error field is set.
    pub fn error(&self) -> Option<ProvisioningErrorInfo> {
        let any = self.error_code.is_some()
            || self.reason.is_some()
            || self.additional_details.is_some()
            || self.recommended_action.is_some();
        any.then(|| ProvisioningErrorInfo {
            error_code: self.error_code.clone(),
            reason: self.reason.clone(),
            additional_details: self.additional_details.clone(),
            error_category: self.error_category.clone(),
            recommended_action: self.recommended_action.clone(),
        })
    }
}

/// CSDL `provisioningServicePrincipal` (`identity`: id and displayName).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningServicePrincipal {
    /// The service principal's object id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// CSDL `provisionedIdentity`: an object in the source or the target.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedIdentity {
    /// Its id (for cloud sync sources: the AD objectGUID).
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Its type (`User`, `Group`, `RolesCompound`): a free string.
    #[serde(default)]
    pub identity_type: Option<String>,
    /// Free-form details.
    #[serde(default, deserialize_with = "null_default")]
    pub details: DetailsInfo,
}

/// CSDL `provisioningSystem`: the source or target system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningSystem {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name (`Azure Active Directory`, `Active Directory`, the app's name).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Free-form details (`ApplicationId`, `ServicePrincipalId`, ...).
    #[serde(default, deserialize_with = "null_default")]
    pub details: DetailsInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(json: &str) -> ProvisioningObjectSummary {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn enums_read_any_case_and_aliases() {
        assert_eq!(
            ProvisioningAction::parse("stageddelete"),
            ProvisioningAction::StagedDelete
        );
        assert_eq!(ProvisioningAction::StagedDelete.as_str(), "stagedDelete");
        assert_eq!(
            ProvisioningResult::parse("Skipped"),
            ProvisioningResult::Skipped
        );
        assert_eq!(ProvisioningStepType::parse("Import").as_str(), "import");
        assert_eq!(
            ProvisioningStepType::parse("ReferenceResolution"),
            ProvisioningStepType::ReferenceResolution
        );
        assert_eq!(
            ProvisioningResult::parse("Exploded"),
            ProvisioningResult::Other("Exploded".into())
        );
    }

    #[test]
    fn beta_only_fields_are_the_fallback() {
        let s = summary(
            r##"{"id":"1","action":"Create","statusInfo":{"@odata.type":"#microsoft.graph.statusDetails","status":"failure","errorCode":"E1","reason":"why","errorCategory":"nonServiceFailure"}}"##,
        );
        assert_eq!(s.action(), Some(ProvisioningAction::Create));
        assert_eq!(s.status(), Some(&ProvisioningResult::Failure));
        let e = s.error().unwrap_or_else(|| panic!("error present"));
        assert_eq!(e.error_code.as_deref(), Some("E1"));
        assert_eq!(
            e.error_category,
            Some(ProvisioningStatusErrorCategory::NonServiceFailure)
        );
        assert!(s.is_failure());
    }

    #[test]
    fn v1_fields_win_over_beta() {
        let s = summary(
            r#"{"id":"1","action":"Delete","provisioningAction":"update","statusInfo":{"status":"failure"},"provisioningStatusInfo":{"status":"success","errorInformation":null}}"#,
        );
        assert_eq!(s.action(), Some(ProvisioningAction::Update));
        assert_eq!(s.status(), Some(&ProvisioningResult::Success));
        assert_eq!(s.error(), None);
    }

    #[test]
    fn typo_initiating_type_and_step_type_alias_are_read() {
        let s = summary(
            r#"{"id":"1","initiatedBy":{"initiatingType":"system","id":"","displayName":"svc"},
            "provisioningSteps":[{"name":"EntryExportAdd","type":"Export","status":"Failure","details":null},
                                 {"name":"x","provisioningStepType":"scoping","status":"skipped","details":{"SkipReason":"NotEffectivelyEntitled"}}]}"#,
        );
        assert_eq!(
            s.initiated_by
                .as_ref()
                .and_then(|i| i.initiator_type.clone()),
            Some(InitiatorType::System)
        );
        assert_eq!(
            s.provisioning_steps[0].provisioning_step_type,
            Some(ProvisioningStepType::Export)
        );
        assert_eq!(
            s.decisive_step().and_then(|st| st.name.as_deref()),
            Some("EntryExportAdd")
        );
        assert_eq!(
            s.provisioning_steps[1].details.get("skipreason"),
            Some("NotEffectivelyEntitled")
        );
    }

    #[test]
    fn both_spellings_present_do_not_fail_the_page() {
        let s = summary(
            r#"{"id":"1","initiatedBy":{"initiatingType":"user","initiatorType":"system"},
            "provisioningSteps":[{"type":"Import","provisioningStepType":"export"}]}"#,
        );
        assert_eq!(
            s.initiated_by.and_then(|i| i.initiator_type),
            Some(InitiatorType::System)
        );
        assert_eq!(
            s.provisioning_steps[0].provisioning_step_type,
            Some(ProvisioningStepType::Export)
        );
    }

    #[test]
    fn empty_object_parses() {
        let s = summary("{}");
        assert_eq!(s.status(), None);
        assert_eq!(s.action(), None);
        assert!(s.provisioning_steps.is_empty());
    }
}
