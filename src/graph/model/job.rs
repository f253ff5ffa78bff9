//! `synchronizationJob` and its nested types (schedule, status, quarantine, task executions,
//! progress), with the questions a CLI asks of a job: what state is it in, is it really
//! quarantined, how many objects are escrowed, which template is it, what is setting X.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{
    GraphDuration, KeyValuePair, StringKeyLongValuePair, lenient_i64, never_time, null_default,
    open_enum, opt_enum,
};

open_enum! {
    /// CSDL `synchronizationStatusCode`: the overall state of a job.
    pub enum SynchronizationStatusCode {
        /// Never authorised or run.
        NotConfigured = "NotConfigured",
        /// Configured, but the first run has not completed.
        NotRun = "NotRun",
        /// Running periodically.
        Active = "Active",
        /// Stopped, with its state kept.
        Paused = "Paused",
        /// Many or critical errors: retried at a reduced frequency.
        Quarantine = "Quarantine" | "Quarantined",
    }
}

open_enum! {
    /// CSDL `synchronizationScheduleState`.
    pub enum SynchronizationScheduleState {
        /// The schedule runs.
        Active = "Active",
        /// The schedule is off.
        Disabled = "Disabled",
        /// The schedule is paused.
        Paused = "Paused",
    }
}

open_enum! {
    /// CSDL `synchronizationTaskExecutionResult`: how a run ended.
    pub enum SynchronizationTaskExecutionResult {
        /// No errors.
        Succeeded = "Succeeded",
        /// The run failed.
        Failed = "Failed",
        /// The run completed with object-level errors (escrows).
        EntryLevelErrors = "EntryLevelErrors",
    }
}

open_enum! {
    /// CSDL `quarantineReason`. Not a flags enum although the values are powers of two.
    /// `QuarantineOnDemand` (as the Entra docs write it) is read as `QuarantinedOnDemand`.
    pub enum QuarantineReason {
        /// Too many escrows at the start (base threshold).
        EncounteredBaseEscrowThreshold = "EncounteredBaseEscrowThreshold",
        /// Too many escrows in total.
        EncounteredTotalEscrowThreshold = "EncounteredTotalEscrowThreshold",
        /// Too high a proportion of escrows.
        EncounteredEscrowProportionThreshold = "EncounteredEscrowProportionThreshold",
        /// An exception (often bad credentials or an unreachable target).
        EncounteredQuarantineException = "EncounteredQuarantineException",
        /// Unknown reason.
        Unknown = "Unknown",
        /// Quarantined by request.
        QuarantinedOnDemand = "QuarantinedOnDemand" | "QuarantineOnDemand",
        /// The accidental-deletion threshold tripped.
        TooManyDeletes = "TooManyDeletes",
        /// Ingestion was interrupted.
        IngestionInterrupted = "IngestionInterrupted",
    }
}

/// The prefix of cloud sync job template ids (`AD2AADProvisioning`, `AD2AADPasswordHash`, ...).
const CLOUD_SYNC_TEMPLATE_PREFIXES: &[&str] = &["AD2AAD", "AAD2AD", "ADDC"];

/// True when a job template name (or the start of a job id) is one of cloud sync's (`AD2AAD…`,
/// `AAD2AD…`, `ADDC…`), whose jobs live only on cloud sync configurations. Any case.
pub fn is_cloud_sync_template(template: &str) -> bool {
    CLOUD_SYNC_TEMPLATE_PREFIXES.iter().any(|p| {
        template
            .get(..p.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(p))
    })
}

/// CSDL `synchronizationJob`: one provisioning job of a service principal.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationJob {
    /// The job id. Opaque and **contains dots**: `{templateId}.{32 hex}[.{guid}]`.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// The template the job was made from (`AD2AADProvisioning`, `BoxOutDelta`, `aws`).
    #[serde(default)]
    pub template_id: Option<String>,
    /// The run schedule.
    #[serde(default)]
    pub schedule: Option<SynchronizationSchedule>,
    /// The job's status.
    #[serde(default)]
    pub status: Option<SynchronizationStatus>,
    /// Settings (`QuarantineTooManyDeletesThreshold` = `"500"`); missing or `null` reads as empty.
    #[serde(default, deserialize_with = "null_default")]
    pub synchronization_job_settings: Vec<KeyValuePair>,
}

impl SynchronizationJob {
    /// The status code, if Graph sent one.
    pub fn status_code(&self) -> Option<&SynchronizationStatusCode> {
        self.status.as_ref().and_then(|s| s.code.as_ref())
    }

    /// True when the job is quarantined.
    ///
    /// A known status code decides: only `Quarantine` means quarantined (a `Paused` job that
    /// still carries a quarantine record, as in Graph's own GET example, is paused, not
    /// quarantined). When the code is missing or unknown, a non-empty quarantine record decides.
    pub fn is_quarantined(&self) -> bool {
        match self.status_code() {
            Some(SynchronizationStatusCode::Quarantine) => true,
            Some(code) if code.is_known() => false,
            _ => self
                .status
                .as_ref()
                .and_then(|s| s.quarantine.as_ref())
                .is_some_and(|q| !q.is_empty()),
        }
    }

    /// The quarantine record, when Graph sent one (it may be an empty record: see
    /// [`SynchronizationQuarantine::is_empty`]).
    pub fn quarantine(&self) -> Option<&SynchronizationQuarantine> {
        self.status.as_ref().and_then(|s| s.quarantine.as_ref())
    }

    /// Objects in escrow (failed and waiting for retry) after the last run, if a run is known.
    pub fn escrowed(&self) -> Option<i64> {
        self.last_execution().map(|e| e.count_escrowed)
    }

    /// The template id, falling back to the job id's prefix before the first `.`.
    pub fn template(&self) -> Option<&str> {
        self.template_id
            .as_deref()
            .filter(|t| !t.is_empty())
            .or_else(|| self.id.split('.').next().filter(|p| !p.is_empty()))
    }

    /// True for a cloud sync job (AD ↔ Entra ID), judged by the template id and the id prefix.
    pub fn is_cloud_sync(&self) -> bool {
        let prefix = self.id.split('.').next().unwrap_or_default();
        [self.template_id.as_deref().unwrap_or_default(), prefix]
            .iter()
            .any(|t| is_cloud_sync_template(t))
    }

    /// True when the job reads from Active Directory (cloud sync AD → Entra ID: `AD2AAD…`,
    /// `ADDC…`), so its objects are named by distinguishedName. Entra → AD jobs (`AAD2AD…`, group
    /// writeback) and app provisioning read from Entra ID and name objects by object id.
    pub fn source_is_active_directory(&self) -> bool {
        let prefix = self.id.split('.').next().unwrap_or_default();
        [self.template_id.as_deref().unwrap_or_default(), prefix]
            .iter()
            .any(|t| t.starts_with("AD2AAD") || t.starts_with("ADDC"))
    }

    /// A setting's value by name (case-insensitive).
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.synchronization_job_settings
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .and_then(|s| s.value.as_deref())
    }

    /// The run interval, when a schedule is present.
    pub fn interval(&self) -> Option<&GraphDuration> {
        self.schedule.as_ref().and_then(|s| s.interval.as_ref())
    }

    /// The last run, if any. A job that never ran carries a placeholder `lastExecution` (state
    /// `Failed`, `0001-01-01` times, error code `None`): that is no run, so it reads as `None`.
    pub fn last_execution(&self) -> Option<&SynchronizationTaskExecution> {
        self.last_execution_record()
            .filter(|e| !e.is_never_run_placeholder())
    }

    /// The job's `TooManyDeletes` error, as Graph sent it: the quarantine's, else the last run's.
    /// Its message carries the count ("the number of deletions in this cycle (812) exceeded …").
    pub fn too_many_deletes_error(&self) -> Option<&SynchronizationError> {
        let too_many = |e: &&SynchronizationError| e.code.as_deref() == Some("TooManyDeletes");
        self.quarantine()
            .and_then(|q| q.error.as_ref())
            .filter(too_many)
            .or_else(|| {
                self.last_execution()
                    .and_then(|x| x.error.as_ref())
                    .filter(too_many)
            })
    }

    /// The `lastExecution` record as Graph sent it, a never-run placeholder included.
    pub fn last_execution_record(&self) -> Option<&SynchronizationTaskExecution> {
        self.status.as_ref().and_then(|s| s.last_execution.as_ref())
    }
}

/// CSDL `synchronizationSchedule`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationSchedule {
    /// When the schedule expires, if ever.
    #[serde(default, with = "never_time")]
    pub expiration: Option<DateTime<Utc>>,
    /// The interval between runs (`PT40M`; `P10675199DT2H48M5.4775807S` = no schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<GraphDuration>,
    /// Whether the schedule runs.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub state: Option<SynchronizationScheduleState>,
}

/// CSDL `synchronizationStatus`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationStatus {
    /// The overall state.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub code: Option<SynchronizationStatusCode>,
    /// Consecutive failed runs.
    #[serde(default, with = "lenient_i64")]
    pub count_successive_complete_failures: i64,
    /// True when escrows were pruned during the initial cycle instead of quarantining the job
    /// (the job then pauses after the initial cycle).
    #[serde(default, deserialize_with = "null_default")]
    pub escrows_pruned: bool,
    /// The last run.
    #[serde(default)]
    pub last_execution: Option<SynchronizationTaskExecution>,
    /// The last run without errors.
    #[serde(default)]
    pub last_successful_execution: Option<SynchronizationTaskExecution>,
    /// The last run that exported something.
    #[serde(default)]
    pub last_successful_execution_with_exports: Option<SynchronizationTaskExecution>,
    /// Progress of the current run.
    #[serde(default, deserialize_with = "null_default")]
    pub progress: Vec<SynchronizationProgress>,
    /// The quarantine record; `null` when not quarantined.
    #[serde(default)]
    pub quarantine: Option<SynchronizationQuarantine>,
    /// When steady state was first reached (`0001-01-01T00:00:00Z` = never → `None`).
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub steady_state_first_achieved_time: Option<DateTime<Utc>>,
    /// When steady state was last reached (`None` = never).
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub steady_state_last_achieved_time: Option<DateTime<Utc>>,
    /// Synchronised objects per type.
    #[serde(default, deserialize_with = "null_default")]
    pub synchronized_entry_count_by_type: Vec<StringKeyLongValuePair>,
    /// A troubleshooting link, when Graph gives one.
    #[serde(default)]
    pub troubleshooting_url: Option<String>,
}

/// About how many days after its quarantine series began the service disables a job (Microsoft:
/// "about four weeks"). The one home of the number: status lines, explanations and `jobs check`
/// all count from it.
pub const QUARANTINE_DISABLE_AFTER_DAYS: i64 = 28;

/// CSDL `synchronizationQuarantine`.
///
/// Graph's docs example returns `""` for `reason` and every timestamp; those read as `None`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationQuarantine {
    /// When the quarantine was last evaluated and imposed.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub current_began: Option<DateTime<Utc>>,
    /// The next re-evaluation.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<DateTime<Utc>>,
    /// Why (`""` reads as `None`).
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub reason: Option<QuarantineReason>,
    /// When the first quarantine of this series began.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub series_began: Option<DateTime<Utc>>,
    /// How many times the quarantine was re-evaluated and kept in this series.
    #[serde(default, with = "lenient_i64")]
    pub series_count: i64,
    /// The error behind the quarantine.
    #[serde(default)]
    pub error: Option<SynchronizationError>,
}

impl SynchronizationQuarantine {
    /// True when the record says nothing about an actual quarantine: no reason and no timestamps
    /// (an error or a series count may still be present, as in Graph's GET example).
    pub fn is_empty(&self) -> bool {
        self.reason.is_none()
            && self.current_began.is_none()
            && self.next_attempt.is_none()
            && self.series_began.is_none()
    }
}

/// CSDL `synchronizationError`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationError {
    /// The code (`SalesforceInvalidCredentials`, `AzureActiveDirectoryInvalidCredential`).
    #[serde(default)]
    pub code: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
    /// True when the customer can fix it.
    #[serde(default, deserialize_with = "null_default")]
    pub tenant_actionable: bool,
}

impl SynchronizationTaskExecution {
    /// True for the record Graph gives a job that never ran: no start or end time (`0001-01-01`),
    /// no counts, and no error beyond the code `None` (the state says `Failed`).
    pub fn is_never_run_placeholder(&self) -> bool {
        self.time_began.is_none()
            && self.time_ended.is_none()
            && self.count_imported == 0
            && self.count_exported == 0
            && self.count_escrowed == 0
            && self.count_exports == 0
            && self.count_imported_deltas == 0
            && self.error.as_ref().is_none_or(|e| {
                e.code
                    .as_deref()
                    .is_none_or(|c| c.is_empty() || c == "None")
            })
    }
}

/// CSDL `synchronizationTaskExecution`: one run of a job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationTaskExecution {
    /// The run's activity id.
    #[serde(default)]
    pub activity_identifier: Option<String>,
    /// Objects entitled.
    #[serde(default, with = "lenient_i64")]
    pub count_entitled: i64,
    /// Objects entitled for provisioning.
    #[serde(default, with = "lenient_i64")]
    pub count_entitled_for_provisioning: i64,
    /// Objects in escrow (failed, to be retried).
    #[serde(default, with = "lenient_i64")]
    pub count_escrowed: i64,
    /// Escrows before de-duplication.
    #[serde(default, with = "lenient_i64")]
    pub count_escrowed_raw: i64,
    /// Objects exported.
    #[serde(default, with = "lenient_i64")]
    pub count_exported: i64,
    /// Export operations.
    #[serde(default, with = "lenient_i64")]
    pub count_exports: i64,
    /// Objects imported.
    #[serde(default, with = "lenient_i64")]
    pub count_imported: i64,
    /// Deltas imported.
    #[serde(default, with = "lenient_i64")]
    pub count_imported_deltas: i64,
    /// Reference deltas imported.
    #[serde(default, with = "lenient_i64")]
    pub count_imported_reference_deltas: i64,
    /// The run's error.
    #[serde(default)]
    pub error: Option<SynchronizationError>,
    /// How the run ended.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub state: Option<SynchronizationTaskExecutionResult>,
    /// When the run began.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub time_began: Option<DateTime<Utc>>,
    /// When the run ended.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub time_ended: Option<DateTime<Utc>>,
}

/// CSDL `synchronizationProgress`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationProgress {
    /// Units done.
    #[serde(default, with = "lenient_i64")]
    pub completed_units: i64,
    /// When this was observed.
    #[serde(default, with = "never_time", skip_serializing_if = "Option::is_none")]
    pub progress_observation_date_time: Option<DateTime<Utc>>,
    /// Units in total.
    #[serde(default, with = "lenient_i64")]
    pub total_units: i64,
    /// What a unit is.
    #[serde(default)]
    pub units: Option<String>,
}

/// The body of `POST /servicePrincipals/{id}/synchronization/jobs` (create a job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSynchronizationJobRequest {
    /// The template to instantiate (`AD2AADProvisioning`).
    pub template_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> SynchronizationJob {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn status_codes_compare_case_insensitively_and_keep_unknowns() {
        assert_eq!(
            SynchronizationStatusCode::parse("active"),
            SynchronizationStatusCode::Active
        );
        assert_eq!(
            SynchronizationStatusCode::parse("ACTIVE").as_str(),
            "Active"
        );
        let odd = SynchronizationStatusCode::parse("Hibernating");
        assert_eq!(odd, SynchronizationStatusCode::Other("Hibernating".into()));
        assert_eq!(odd.as_str(), "Hibernating");
        let j = job(r#"{"id":"x","status":{"code":"Hibernating"}}"#);
        assert_eq!(
            serde_json::to_value(&j)
                .ok()
                .and_then(|v| v["status"]["code"].as_str().map(String::from))
                .as_deref(),
            Some("Hibernating")
        );
    }

    #[test]
    fn quarantine_on_demand_is_read_as_quarantined_on_demand() {
        assert_eq!(
            QuarantineReason::parse("QuarantineOnDemand"),
            QuarantineReason::QuarantinedOnDemand
        );
        assert_eq!(
            QuarantineReason::parse("quarantinedondemand").as_str(),
            "QuarantinedOnDemand"
        );
    }

    #[test]
    fn paused_job_with_an_empty_quarantine_record_is_not_quarantined() {
        let j = job(
            r#"{"id":"x","status":{"code":"Paused","quarantine":{"currentBegan":"","nextAttempt":"","reason":"","seriesBegan":"","seriesCount":2,"error":{"code":"E","message":"m","tenantActionable":true}}}}"#,
        );
        assert!(!j.is_quarantined());
        let q = j
            .quarantine()
            .unwrap_or_else(|| panic!("quarantine parsed"));
        assert!(q.is_empty());
        assert_eq!(q.reason, None);
        assert_eq!(q.series_count, 2);
        assert_eq!(q.error.as_ref().and_then(|e| e.code.as_deref()), Some("E"));
    }

    #[test]
    fn quarantine_code_means_quarantined_and_unknown_code_falls_back_to_the_record() {
        assert!(
            job(r#"{"id":"x","status":{"code":"quarantine","quarantine":null}}"#).is_quarantined()
        );
        let rec = r#""quarantine":{"currentBegan":"2024-05-01T00:00:00Z","reason":"TooManyDeletes","seriesCount":1}"#;
        assert!(
            job(&format!(
                r#"{{"id":"x","status":{{"code":"Frozen",{rec}}}}}"#
            ))
            .is_quarantined()
        );
        assert!(job(&format!(r#"{{"id":"x","status":{{{rec}}}}}"#)).is_quarantined());
        assert!(
            !job(r#"{"id":"x","status":{"code":"Active","quarantine":null}}"#).is_quarantined()
        );
        assert!(!job(r#"{"id":"x"}"#).is_quarantined());
    }

    #[test]
    fn helpers_answer_what_the_cli_asks() {
        let j = job(
            r#"{"id":"AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da","templateId":null,
            "schedule":{"interval":"PT40M","state":"active"},
            "status":{"code":"Active","lastExecution":{"countEscrowed":"3","state":"EntryLevelErrors","timeBegan":"2024-05-01T00:00:00Z","timeEnded":""}},
            "synchronizationJobSettings":[{"name":"QuarantineTooManyDeletesThreshold","value":"500"}]}"#,
        );
        assert_eq!(j.template(), Some("AD2AADProvisioning"));
        assert!(j.is_cloud_sync());
        assert_eq!(j.escrowed(), Some(3));
        assert_eq!(j.setting("quarantinetoomanydeletesthreshold"), Some("500"));
        assert_eq!(j.setting("nope"), None);
        assert_eq!(
            j.interval().map(|i| i.describe()).as_deref(),
            Some("every 40 minutes")
        );
        assert_eq!(j.last_execution().and_then(|e| e.time_ended), None);
        assert_eq!(
            j.schedule.as_ref().and_then(|s| s.state.clone()),
            Some(SynchronizationScheduleState::Active)
        );
    }

    #[test]
    fn missing_and_null_collections_read_as_empty() {
        let j = job(r#"{"id":"x","synchronizationJobSettings":null,"status":{"progress":null}}"#);
        assert!(j.synchronization_job_settings.is_empty());
        assert!(j.status.as_ref().is_some_and(
            |s| s.progress.is_empty() && s.synchronized_entry_count_by_type.is_empty()
        ));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let j = job(
            r#"{"id":"x","brandNewProperty":{"a":1},"status":{"code":"Active","alsoNew":[1]}}"#,
        );
        assert_eq!(j.status_code(), Some(&SynchronizationStatusCode::Active));
    }

    /// Issue 14 item 7: a group writeback job (`AAD2ADGroupProvisioning…`, the id from a user's
    /// script, `tests/fixtures/real/README.md`) reads from Entra ID, although it is cloud sync.
    #[test]
    fn group_writeback_reads_from_entra_and_ad2aad_reads_from_ad() {
        let writeback = job(
            r#"{"id":"AAD2ADGroupProvisioning.763aefeaa45b49f4a4a430d135e944f5.e6fcbbe7-674c-41c2-bde1-ef5d078a6a57","templateId":"AAD2ADGroupProvisioning"}"#,
        );
        assert!(writeback.is_cloud_sync());
        assert!(!writeback.source_is_active_directory());
        let inbound = job(r#"{"id":"AD2AADProvisioning.x.y","templateId":"AD2AADProvisioning"}"#);
        assert!(inbound.source_is_active_directory());
        let app = job(r#"{"id":"ServiceNowOutDelta.x.y","templateId":"ServiceNowOutDelta"}"#);
        assert!(!app.source_is_active_directory());
    }

    /// Issue 14 item 10: the cross-tenant walkthrough's job that never ran carries a `Failed`
    /// `lastExecution` with year-1 times and error code `None`: that is no run.
    #[test]
    fn a_never_run_placeholder_is_not_a_failed_run() {
        let j = job(include_str!(
            "../../../tests/fixtures/real/get-synchronizationjob-crosstenant-notrun.v1.json"
        ));
        assert!(
            j.status
                .as_ref()
                .and_then(|s| s.last_execution.as_ref())
                .is_some()
        );
        assert!(j.last_execution().is_none());
        let failed = job(
            r#"{"id":"x","status":{"lastExecution":{"state":"Failed","timeBegan":"2024-01-01T00:00:00Z","timeEnded":"2024-01-01T00:01:00Z","error":{"code":"SalesforceInvalidCredentials"}}}}"#,
        );
        assert!(failed.last_execution().is_some());
    }
}
