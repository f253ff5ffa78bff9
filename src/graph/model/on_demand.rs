//! provisionOnDemand: the request (`parameters[{ruleId, subjects[...]}]`) and its answer, a
//! `stringKeyStringValuePair` whose `key` and `value` are themselves strings. Graph sends them in
//! more than one shape: `key` is JSON text of `{result, details}` or a plain type name
//! (`Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo`, cross-tenant
//! synchronization), and `value` is JSON text of one record, of an array of records, or of an
//! array of steps. `decode()` reads every one of them, and the decoded record converts to a
//! [`ProvisioningObjectSummary`] so the explain engine reads one shape whether an event came from
//! the logs or from an on-demand run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{DetailsInfo, json_text, never_time, null_default, opt_enum};
use super::logs::{
    ModifiedProperty, ProvisionedIdentity, ProvisioningAction, ProvisioningErrorInfo,
    ProvisioningObjectSummary, ProvisioningResult, ProvisioningStatusErrorCategory,
    ProvisioningStatusInfo, ProvisioningStep, ProvisioningStepType, ProvisioningSystem,
};

/// The body of `POST .../jobs/{jobId}/provisionOnDemand`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionOnDemandRequest {
    /// One entry per rule (usually one).
    #[serde(default, deserialize_with = "null_default")]
    pub parameters: Vec<SynchronizationJobApplicationParameters>,
}

impl ProvisionOnDemandRequest {
    /// A request for one object under one rule (`ruleId` from `schema.synchronizationRules[].id`).
    pub fn single(rule_id: impl Into<String>, subject: SynchronizationJobSubject) -> Self {
        ProvisionOnDemandRequest {
            parameters: vec![SynchronizationJobApplicationParameters {
                rule_id: rule_id.into(),
                subjects: vec![subject],
            }],
        }
    }
}

/// CSDL `synchronizationJobApplicationParameters`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationJobApplicationParameters {
    /// The rule (`schema.synchronizationRules[].id`; may carry a suffix such as `#V2`).
    #[serde(default, deserialize_with = "null_default")]
    pub rule_id: String,
    /// The objects to provision.
    #[serde(default, deserialize_with = "null_default")]
    pub subjects: Vec<SynchronizationJobSubject>,
}

/// CSDL `synchronizationJobSubject`: the object to provision.
///
/// App provisioning: `objectId` = the Entra object id, `objectTypeName` = `User`/`Group`.
/// Cloud sync: `objectId` = the AD **distinguishedName**, `objectTypeName` = `user` (lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationJobSubject {
    /// The object's id (or DN for cloud sync).
    #[serde(default, deserialize_with = "null_default")]
    pub object_id: String,
    /// Its type name, sent as given.
    #[serde(default, deserialize_with = "null_default")]
    pub object_type_name: String,
    /// Linked objects to provision with it (a group's selected members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<SynchronizationLinkedObjects>,
}

impl SynchronizationJobSubject {
    /// A subject with no links.
    pub fn new(object_id: impl Into<String>, object_type_name: impl Into<String>) -> Self {
        SynchronizationJobSubject {
            object_id: object_id.into(),
            object_type_name: object_type_name.into(),
            links: None,
        }
    }
}

/// CSDL `synchronizationLinkedObjects`. Empty parts are left out of the body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationLinkedObjects {
    /// The manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Box<SynchronizationJobSubject>>,
    /// Group members.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub members: Vec<SynchronizationJobSubject>,
    /// Owners.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub owners: Vec<SynchronizationJobSubject>,
}

/// The raw answer: `{"@odata.context", "key": "<JSON string>", "value": "<JSON string>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProvisionOnDemandResponse {
    /// `@odata.context`.
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
    /// JSON text of `{result, details}`, or a plain type name (an already-parsed object is
    /// accepted and kept as text).
    #[serde(default, with = "json_text")]
    pub key: Option<String>,
    /// JSON text of the provisioning record (`"{}"` for some group runs), or of an array of
    /// records or of steps.
    #[serde(default, with = "json_text")]
    pub value: Option<String>,
}

/// Which of the two JSON strings of a provisionOnDemand answer did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnDemandDecodeError {
    /// The `key` string.
    #[error("provisionOnDemand answer: the \"key\" string is not the expected JSON: {0}")]
    Key(String),
    /// The `value` string.
    #[error("provisionOnDemand answer: the \"value\" string is not the expected JSON: {0}")]
    Value(String),
    /// The body itself.
    #[error("provisionOnDemand answer: the body is not a key/value JSON object: {0}")]
    Body(String),
}

impl ProvisionOnDemandResponse {
    /// Reads and decodes an answer's body in one step.
    pub fn read(body: &[u8]) -> Result<DecodedProvisionOnDemand, OnDemandDecodeError> {
        serde_json::from_slice::<ProvisionOnDemandResponse>(body)
            .map_err(|e| OnDemandDecodeError::Body(e.to_string()))?
            .decode()
    }

    /// Parses both strings. A missing, blank, `"null"` or `"{}"` value gives `value: None`; a `key`
    /// that is not JSON is a type name (kept in `key_name`); a `value` array holds records (the
    /// first is `value`, the rest `more`) or steps (one record holding them).
    pub fn decode(&self) -> Result<DecodedProvisionOnDemand, OnDemandDecodeError> {
        let mut decoded = DecodedProvisionOnDemand::default();
        match self.key.as_deref().map(str::trim) {
            None | Some("") | Some("null") => {}
            Some(text) if text.starts_with('{') => {
                decoded.key = serde_json::from_str::<Option<OnDemandResult>>(text)
                    .map_err(|e| OnDemandDecodeError::Key(e.to_string()))?
                    .unwrap_or_default();
            }
            Some(text) if text.starts_with('[') || text.starts_with('"') => {
                return Err(OnDemandDecodeError::Key(format!(
                    "expected an object or a type name, got {}",
                    text.chars().take(40).collect::<String>()
                )));
            }
            Some(name) => decoded.key_name = Some(name.to_owned()),
        }
        match self.value.as_deref().map(str::trim) {
            None | Some("") | Some("null") => {}
            Some(text) if text.starts_with('[') => {
                let items = serde_json::from_str::<Vec<Value>>(text)
                    .map_err(|e| OnDemandDecodeError::Value(e.to_string()))?;
                let mut records = records_of(items)?.into_iter();
                decoded.value = records.next();
                decoded.more = records.collect();
            }
            Some(text) => {
                let record = serde_json::from_str::<Option<OnDemandProvisioningRecord>>(text)
                    .map_err(|e| OnDemandDecodeError::Value(e.to_string()))?;
                decoded.value = record.filter(|r| *r != OnDemandProvisioningRecord::default());
            }
        }
        Ok(decoded)
    }
}

/// The records of a `value` array: each item is a record, or (when no item looks like a record)
/// the items are the steps of one record.
fn records_of(items: Vec<Value>) -> Result<Vec<OnDemandProvisioningRecord>, OnDemandDecodeError> {
    const RECORD_FIELDS: [&str; 4] = ["provisioningSteps", "statusInfo", "changeId", "action"];
    let is_record = |v: &Value| {
        v.as_object()
            .is_some_and(|o| RECORD_FIELDS.iter().any(|f| o.contains_key(*f)))
    };
    let bad = |i: usize, e: serde_json::Error| OnDemandDecodeError::Value(format!("[{i}]: {e}"));
    if items.iter().any(is_record) {
        let mut records = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let r: OnDemandProvisioningRecord =
                serde_json::from_value(item).map_err(|e| bad(i, e))?;
            if r != OnDemandProvisioningRecord::default() {
                records.push(r);
            }
        }
        return Ok(records);
    }
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        steps.push(serde_json::from_value::<OnDemandStep>(item).map_err(|e| bad(i, e))?);
    }
    Ok(vec![OnDemandProvisioningRecord {
        provisioning_steps: steps,
        ..OnDemandProvisioningRecord::default()
    }])
}

/// A decoded provisionOnDemand answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DecodedProvisionOnDemand {
    /// The verdict (`key`), empty when `key` was a type name.
    #[serde(default)]
    pub key: OnDemandResult,
    /// `key` when Graph sent a plain type name instead of a verdict
    /// (`Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// The provisioning record (`value`), `None` when Graph sent `"{}"`.
    #[serde(default)]
    pub value: Option<OnDemandProvisioningRecord>,
    /// Further records, when `value` was an array of several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<OnDemandProvisioningRecord>,
}

impl DecodedProvisionOnDemand {
    /// The outcome: the record's `statusInfo.status`, else the key's `result`, else what the
    /// steps say (any failed step: failure; else any skipped: skipped; all succeeded: success).
    pub fn status(&self) -> Option<&ProvisioningResult> {
        self.value
            .as_ref()
            .and_then(|v| v.status_info.as_ref())
            .and_then(|s| s.status.as_ref())
            .or(self.key.result.as_ref())
            .or_else(|| {
                self.value
                    .as_ref()
                    .and_then(OnDemandProvisioningRecord::steps_status)
            })
    }

    /// The record as a provisioning-log event (see [`OnDemandProvisioningRecord::to_summary`]),
    /// with the key's verdict and error filled in where the record lacks them.
    pub fn to_summary(&self) -> ProvisioningObjectSummary {
        let mut summary = self
            .value
            .as_ref()
            .map(OnDemandProvisioningRecord::to_summary)
            .unwrap_or_default();
        let info = summary
            .provisioning_status_info
            .get_or_insert_with(ProvisioningStatusInfo::default);
        if info.status.is_none() {
            info.status = self.status().cloned();
        }
        if info.error_information.is_none() {
            let d = &self.key.details;
            if d.error_code.is_some() || d.error_message.is_some() {
                info.error_information = Some(ProvisioningErrorInfo {
                    error_code: d.error_code.clone(),
                    reason: d.error_message.clone(),
                    ..ProvisioningErrorInfo::default()
                });
            }
        }
        summary
    }
}

impl From<&DecodedProvisionOnDemand> for ProvisioningObjectSummary {
    fn from(decoded: &DecodedProvisionOnDemand) -> Self {
        decoded.to_summary()
    }
}

/// The decoded `key`: `{"result":"Skipped","details":{"errorCode","errorMessage"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandResult {
    /// `Success`, `Skipped`, `Failure`, ... (any case).
    #[serde(default, with = "opt_enum")]
    pub result: Option<ProvisioningResult>,
    /// Why.
    #[serde(default, deserialize_with = "null_default")]
    pub details: OnDemandResultDetails,
}

/// The decoded `key.details`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandResultDetails {
    /// The code (`RedundantExport`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Anything else Graph put there, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The decoded `value`: a provisioning-log-like record with PascalCase enum values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandProvisioningRecord {
    /// `Create`, `Update`, `Other`, ...
    #[serde(default, with = "opt_enum")]
    pub action: Option<ProvisioningAction>,
    /// The change id.
    #[serde(default)]
    pub change_id: Option<String>,
    /// When it started.
    #[serde(default, with = "never_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, with = "never_time")]
    pub end_time: Option<DateTime<Utc>>,
    /// The attributes changed (`oldValue` may be absent).
    #[serde(default, deserialize_with = "null_default")]
    pub modified_properties: Vec<ModifiedProperty>,
    /// The steps.
    #[serde(default, deserialize_with = "null_default")]
    pub provisioning_steps: Vec<OnDemandStep>,
    /// The object's reportable identifier (UPN, name).
    #[serde(default)]
    pub reportable_identifier: Option<String>,
    /// The outcome.
    #[serde(default)]
    pub status_info: Option<OnDemandStatusInfo>,
    /// The object in the source.
    #[serde(default)]
    pub source_identity: Option<OnDemandIdentity>,
    /// The source system.
    #[serde(default)]
    pub source_system: Option<OnDemandSystem>,
    /// The object in the target.
    #[serde(default)]
    pub target_identity: Option<OnDemandIdentity>,
    /// The target system.
    #[serde(default)]
    pub target_system: Option<OnDemandSystem>,
}

impl OnDemandProvisioningRecord {
    /// The outcome the steps give when the record carries no `statusInfo`.
    fn steps_status(&self) -> Option<&'static ProvisioningResult> {
        static FAILURE: ProvisioningResult = ProvisioningResult::Failure;
        static SKIPPED: ProvisioningResult = ProvisioningResult::Skipped;
        static SUCCESS: ProvisioningResult = ProvisioningResult::Success;
        let statuses: Vec<&ProvisioningResult> = self
            .provisioning_steps
            .iter()
            .filter_map(|s| s.status.as_ref())
            .collect();
        if statuses.is_empty() {
            None
        } else if statuses.contains(&&FAILURE) {
            Some(&FAILURE)
        } else if statuses.contains(&&SKIPPED) {
            Some(&SKIPPED)
        } else if statuses.iter().all(|s| **s == SUCCESS) {
            Some(&SUCCESS)
        } else {
            None
        }
    }

    /// The record in the provisioning-log shape: `changeId` → `id` and `changeId` (an on-demand run
    /// has no event id), `startTime` → `activityDateTime`, the duration
    /// from start/end, `type` → `provisioningStepType`, `name` → `displayName`, `type` →
    /// `identityType`, `statusInfo` → `provisioningStatusInfo` (with `errorInformation` when any
    /// error field is set). Step timestamps are kept.
    pub fn to_summary(&self) -> ProvisioningObjectSummary {
        let duration = match (self.start_time, self.end_time) {
            (Some(s), Some(e)) if e >= s => Some((e - s).num_milliseconds()),
            _ => None,
        };
        ProvisioningObjectSummary {
            id: self.change_id.clone().unwrap_or_default(),
            activity_date_time: self.start_time,
            change_id: self.change_id.clone(),
            duration_in_milliseconds: duration,
            modified_properties: self.modified_properties.clone(),
            provisioning_action: self.action.clone(),
            provisioning_status_info: self.status_info.as_ref().map(OnDemandStatusInfo::to_v1),
            provisioning_steps: self
                .provisioning_steps
                .iter()
                .map(OnDemandStep::to_step)
                .collect(),
            source_identity: self.source_identity.as_ref().map(OnDemandIdentity::to_v1),
            source_system: self.source_system.as_ref().map(OnDemandSystem::to_v1),
            target_identity: self.target_identity.as_ref().map(OnDemandIdentity::to_v1),
            target_system: self.target_system.as_ref().map(OnDemandSystem::to_v1),
            ..ProvisioningObjectSummary::default()
        }
    }
}

/// A step of an on-demand record (`type` instead of `provisioningStepType`, plus `timestamp`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandStep {
    /// The step name.
    #[serde(default)]
    pub name: Option<String>,
    /// The phase (`Import`, `Scoping`, `Matching`, `Export`).
    #[serde(default, rename = "type", with = "opt_enum")]
    pub step_type: Option<ProvisioningStepType>,
    /// The outcome.
    #[serde(default, with = "opt_enum")]
    pub status: Option<ProvisioningResult>,
    /// In words.
    #[serde(default)]
    pub description: Option<String>,
    /// When.
    #[serde(default, with = "never_time")]
    pub timestamp: Option<DateTime<Utc>>,
    /// Free-form details.
    #[serde(default, deserialize_with = "null_default")]
    pub details: DetailsInfo,
}

impl OnDemandStep {
    fn to_step(&self) -> ProvisioningStep {
        ProvisioningStep {
            name: self.name.clone(),
            provisioning_step_type: self.step_type.clone(),
            status: self.status.clone(),
            description: self.description.clone(),
            details: self.details.clone(),
            timestamp: self.timestamp,
        }
    }
}

/// The flat `statusInfo` of an on-demand record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandStatusInfo {
    /// The outcome.
    #[serde(default, with = "opt_enum")]
    pub status: Option<ProvisioningResult>,
    /// The error code.
    #[serde(default)]
    pub error_code: Option<String>,
    /// The reason.
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

impl OnDemandStatusInfo {
    fn to_v1(&self) -> ProvisioningStatusInfo {
        let any = self.error_code.is_some()
            || self.reason.is_some()
            || self.additional_details.is_some()
            || self.recommended_action.is_some();
        ProvisioningStatusInfo {
            status: self.status.clone(),
            error_information: any.then(|| ProvisioningErrorInfo {
                error_code: self.error_code.clone(),
                reason: self.reason.clone(),
                additional_details: self.additional_details.clone(),
                error_category: self.error_category.clone(),
                recommended_action: self.recommended_action.clone(),
            }),
        }
    }
}

/// An identity in an on-demand record (`type` instead of `identityType`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandIdentity {
    /// The id (cloud sync sources: the AD objectGUID).
    #[serde(default)]
    pub id: Option<String>,
    /// The type (`User`, `user`, a SCIM schema URN).
    #[serde(default, rename = "type")]
    pub identity_type: Option<String>,
    /// The name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Free-form details.
    #[serde(default, deserialize_with = "null_default")]
    pub details: DetailsInfo,
}

impl OnDemandIdentity {
    fn to_v1(&self) -> ProvisionedIdentity {
        ProvisionedIdentity {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            identity_type: self.identity_type.clone(),
            details: self.details.clone(),
        }
    }
}

/// A system in an on-demand record (`name` instead of `displayName`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandSystem {
    /// The id.
    #[serde(default)]
    pub id: Option<String>,
    /// The name (`Active Directory`, `customappsso`).
    #[serde(default)]
    pub name: Option<String>,
    /// Free-form details.
    #[serde(default, deserialize_with = "null_default")]
    pub details: DetailsInfo,
}

impl OnDemandSystem {
    fn to_v1(&self) -> ProvisioningSystem {
        ProvisioningSystem {
            id: self.id.clone(),
            display_name: self.name.clone(),
            details: self.details.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_string_that_broke() {
        let r = ProvisionOnDemandResponse {
            context: None,
            key: Some("{not json".into()),
            value: Some("{}".into()),
        };
        let e = r.decode().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("\"key\""), "{e}");
        let r = ProvisionOnDemandResponse {
            context: None,
            key: Some(r#"{"result":"Success"}"#.into()),
            value: Some("[1,2]".into()),
        };
        let e = r.decode().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("\"value\""), "{e}");
    }

    #[test]
    fn empty_value_decodes_to_none_and_key_still_gives_the_verdict() {
        let r = ProvisionOnDemandResponse {
            context: None,
            key: Some(r#"{"result":"Success","details":{}}"#.into()),
            value: Some("{}".into()),
        };
        let d = r.decode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.value, None);
        assert_eq!(d.status(), Some(&ProvisioningResult::Success));
        assert_eq!(d.to_summary().status(), Some(&ProvisioningResult::Success));
    }

    #[test]
    fn already_parsed_key_and_value_are_accepted() -> Result<(), serde_json::Error> {
        let r: ProvisionOnDemandResponse = serde_json::from_str(
            r#"{"key":{"result":"Failure","details":{"errorCode":"E"}},"value":{}}"#,
        )?;
        let d = r.decode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.key.result, Some(ProvisioningResult::Failure));
        assert_eq!(d.value, None);
        Ok(())
    }

    #[test]
    fn request_leaves_empty_links_out() -> Result<(), serde_json::Error> {
        let req = ProvisionOnDemandRequest::single(
            "r1",
            SynchronizationJobSubject::new("CN=A,DC=x", "user"),
        );
        assert_eq!(
            serde_json::to_string(&req)?,
            r#"{"parameters":[{"ruleId":"r1","subjects":[{"objectId":"CN=A,DC=x","objectTypeName":"user"}]}]}"#
        );
        Ok(())
    }

    /// Issue 14 item 1: the cross-tenant synchronization walkthrough's answer (plain type name in
    /// `key`, an array of records in `value`) decodes, and its steps give the outcome.
    #[test]
    fn cross_tenant_answer_with_a_type_name_key_and_an_array_value_decodes() {
        let r: ProvisionOnDemandResponse = serde_json::from_str(include_str!(
            "../../../tests/fixtures/real/provisionondemand-crosstenant.response.v1.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let d = r.decode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.key_name.as_deref(),
            Some("Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo")
        );
        let record = d.value.as_ref().unwrap_or_else(|| panic!("no record"));
        assert_eq!(record.provisioning_steps.len(), 1);
        assert_eq!(
            record.provisioning_steps[0].name.as_deref(),
            Some("EntryImport")
        );
        assert_eq!(d.status(), Some(&ProvisioningResult::Success));
        assert_eq!(d.to_summary().status(), Some(&ProvisioningResult::Success));
    }

    #[test]
    fn a_value_array_of_steps_is_one_record_and_a_failed_step_is_a_failure() {
        let r = ProvisionOnDemandResponse {
            context: None,
            key: Some("Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo".into()),
            value: Some(
                r#"[{"name":"EntryImport","type":"Import","status":"Success","description":"Retrieved User"},{"name":"EntryExportAdd","type":"Export","status":"Failure","description":"x"}]"#
                    .into(),
            ),
        };
        let d = r.decode().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.value.as_ref().map(|v| v.provisioning_steps.len()),
            Some(2)
        );
        assert!(d.more.is_empty());
        assert_eq!(d.status(), Some(&ProvisioningResult::Failure));
    }

    #[test]
    fn the_documented_json_string_shapes_still_decode() {
        for name in [
            "provisionondemand-adto3p.response.v1.json",
            "provisionondemand-group.response.v1.json",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/reference/examples")
                .join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let r: ProvisionOnDemandResponse =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let d = r.decode().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(d.key_name.is_none() && d.status().is_some(), "{name}");
        }
    }
}
