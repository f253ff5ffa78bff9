//! Scenario tests of the explain engine: Microsoft's documented examples (read from the repository's
//! `tests/fixtures/reference/examples`) and one test per trap, each asserting the finding an admin should get.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::coverage_tests::reference_dir;
use super::*;
use crate::graph::ServiceError;
use crate::graph::model::{
    DecodedProvisionOnDemand, ODataCollection, ProvisionOnDemandResponse, ProvisioningAction,
    ProvisioningObjectSummary, ServicePrincipal, SynchronizationJob,
};

fn example(name: &str) -> String {
    let path = reference_dir().join("examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn job(json: &str) -> SynchronizationJob {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("job JSON: {e}"))
}

fn entry(json: &str) -> ProvisioningObjectSummary {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("entry JSON: {e}"))
}

fn logs(name: &str) -> Vec<ProvisioningObjectSummary> {
    let c: ODataCollection<ProvisioningObjectSummary> =
        serde_json::from_str(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    c.value
}

fn on_demand(name: &str) -> DecodedProvisionOnDemand {
    let r: ProvisionOnDemandResponse =
        serde_json::from_str(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    r.decode().unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("bad date"))
}

fn sp() -> Option<&'static ServicePrincipal> {
    static SP: std::sync::LazyLock<ServicePrincipal> =
        std::sync::LazyLock::new(|| ServicePrincipal {
            id: "sp-1".into(),
            display_name: Some("contoso.com".into()),
            ..ServicePrincipal::default()
        });
    Some(&SP)
}

fn commands(f: &Finding) -> Vec<String> {
    f.next_steps
        .iter()
        .filter_map(|s| s.command.clone())
        .collect()
}

fn has_case(x: &Explanation, code: &str) -> bool {
    x.findings.iter().any(|f| f.code.as_deref() == Some(code))
}

// ---------------------------------------------------------------------------------------------
// Microsoft's examples
// ---------------------------------------------------------------------------------------------

#[test]
fn get_job_example_names_the_salesforce_credentials_and_is_not_called_quarantined() {
    let j = job(&example("get-synchronizationjob.v1.json"));
    let x = explain_job(&j, None, at(2024, 5, 1, 0));
    let f = x.headline().unwrap_or_else(|| panic!("a finding"));
    assert_eq!(f.code.as_deref(), Some("SalesforceInvalidCredentials"));
    assert_eq!(f.category, Category::Credentials);
    assert!(f.summary.contains("still carries"), "{}", f.summary);
    assert!(has_case(&x, "job-paused"), "{x:#?}");
    assert!(
        x.findings
            .iter()
            .all(|f| !f.summary.contains("is quarantined"))
    );
    let text = render_text(&x, 400);
    assert!(text.contains("no schedule"), "{text}");
    assert!(text.contains("isn't quarantined"), "{text}");
}

#[test]
fn list_and_create_job_examples_are_paused_jobs() {
    let list: ODataCollection<SynchronizationJob> =
        serde_json::from_str(&example("list-synchronizationjobs.v1.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    for j in &list.value {
        let x = explain_job(j, sp(), at(2024, 5, 1, 0));
        assert_eq!(x.findings[0].code.as_deref(), Some("job-paused"));
        assert_eq!(x.severity(), Severity::Info);
        assert_eq!(quarantine_one_liner(j), None);
    }
    let j = job(&example(
        "create-synchronizationjob-cloudsync.response.beta.json",
    ));
    let x = explain_job(&j, sp(), at(2024, 5, 1, 0));
    assert_eq!(x.findings[0].code.as_deref(), Some("job-paused"));
    assert_eq!(
        commands(&x.findings[0]),
        ["provctl jobs start sp-1/AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da"]
    );
}

#[test]
fn failure_log_examples_are_read_as_a_conflict_with_their_code() {
    for name in [
        "list-provisioningobjectsummary.failure.v1.json",
        "list-provisioningobjectsummary.failure.beta.json",
    ] {
        let entries = logs(name);
        assert_eq!(entries.len(), 1, "{name}");
        let x = explain_log(&entries[0]);
        let f = &x.findings[0];
        assert_eq!(f.code.as_deref(), Some("ContosoEntryConflict"), "{name}");
        assert_eq!(f.category, Category::Conflict, "{name}");
        assert!(
            f.summary
                .starts_with("Creating Group 'Self-service Pilot' in Contoso failed"),
            "{}",
            f.summary
        );
        assert!(
            f.evidence
                .iter()
                .any(|e| e.field.contains("EntryExportAdd")),
            "{name}"
        );
        assert!(f.sources.iter().any(|s| s.id == "LOGS"));
        assert_eq!(x.changes.len(), 6);
        assert_eq!(
            skip_or_failure_reason(&entries[0]).as_deref(),
            Some("ContosoEntryConflict: The object already exists in the target")
        );
    }
}

#[test]
fn success_log_examples_are_successes_with_no_reason_line() {
    for name in [
        "list-provisioningobjectsummary.success.v1.json",
        "list-provisioningobjectsummary.success.beta.json",
    ] {
        for e in logs(name) {
            let x = explain_log(&e);
            assert_eq!(x.findings[0].category, Category::Healthy, "{name}");
            assert_eq!(skip_or_failure_reason(&e), None);
        }
    }
}

#[test]
fn provision_on_demand_examples_explain_their_outcome() {
    let x = explain_on_demand(&on_demand("provisionondemand-adto3p.response.v1.json"));
    let f = &x.findings[0];
    assert_eq!(f.code.as_deref(), Some("RedundantExport"));
    assert_eq!(f.category, Category::NoChange);
    assert_eq!(x.subject.kind, SubjectKind::OnDemand);
    assert_eq!(
        x.subject.display_name.as_deref(),
        Some("BillBob@contoso.com")
    );

    let x = explain_on_demand(&on_demand(
        "provisionondemand-ad2aad-cloudsync.response.v1.json",
    ));
    assert_eq!(x.findings[0].code.as_deref(), Some("success"));
    assert!(
        x.findings[0]
            .summary
            .starts_with("Updating user 'adelev@chicago.com'"),
        "{}",
        x.findings[0].summary
    );
    assert!(!x.changes.is_empty());

    let x = explain_on_demand(&on_demand("provisionondemand-group.response.v1.json"));
    assert_eq!(x.findings[0].category, Category::Healthy);
}

#[test]
fn graph_error_envelope_example_is_explained_by_its_code() {
    let body = example("graph-error-envelope.json");
    let e = ServiceError::from_body(0, body.as_bytes(), "", "");
    let x = explain_error(&e, None);
    assert_eq!(x.findings[0].code.as_deref(), Some("invalidRange"));
    assert!(
        x.findings[0]
            .evidence
            .iter()
            .any(|e| e.value == "request-id")
    );
}

#[test]
fn every_example_that_is_a_job_log_answer_or_error_explains_without_error() {
    let dir = reference_dir().join("examples");
    let mut seen = 0;
    for item in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = item.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(".json") || name.contains(".request.") || name.ends_with(".decoded.json")
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let xs: Vec<Explanation> = if name.contains("synchronizationjob") {
            let jobs: Vec<SynchronizationJob> = match v.get("value") {
                Some(list) => {
                    serde_json::from_value(list.clone()).unwrap_or_else(|e| panic!("{name}: {e}"))
                }
                None => vec![serde_json::from_value(v).unwrap_or_else(|e| panic!("{name}: {e}"))],
            };
            jobs.iter()
                .map(|j| explain_job(j, sp(), at(2024, 5, 1, 0)))
                .collect()
        } else if name.contains("provisioningobjectsummary") {
            let c: ODataCollection<ProvisioningObjectSummary> =
                serde_json::from_value(v).unwrap_or_else(|e| panic!("{name}: {e}"));
            c.value.iter().map(explain_log).collect()
        } else if name.starts_with("provisionondemand") {
            vec![explain_on_demand(&on_demand(&name))]
        } else if name.contains("error-envelope") {
            vec![explain_error(
                &ServiceError::from_body(400, text.as_bytes(), "GET", "u"),
                None,
            )]
        } else {
            continue;
        };
        for x in xs {
            seen += 1;
            assert!(!x.findings.is_empty(), "{name}");
            assert!(!render_text(&x, 80).is_empty());
            assert!(serde_json::to_string(&x).is_ok());
        }
    }
    assert!(seen >= 10, "explained only {seen} examples");
}

// ---------------------------------------------------------------------------------------------
// Jobs: traps and reasons
// ---------------------------------------------------------------------------------------------

#[test]
fn not_run_with_a_placeholder_failed_execution_is_not_a_failure() {
    let j = job(
        r#"{"id":"AD2AADProvisioning.x","templateId":"AD2AADProvisioning",
        "schedule":{"interval":"PT40M","state":"Active"},
        "status":{"code":"NotRun","lastExecution":{"state":"Failed","timeBegan":"0001-01-01T00:00:00Z",
        "timeEnded":"0001-01-01T00:00:00Z","countImported":0,"countExported":0,"countEscrowed":0,"error":null}}}"#,
    );
    let x = explain_job(&j, sp(), at(2024, 5, 1, 0));
    assert_eq!(x.findings.len(), 1, "{x:#?}");
    assert_eq!(x.findings[0].code.as_deref(), Some("job-not-run"));
    assert_eq!(x.severity(), Severity::Info);
    assert!(
        x.findings[0]
            .evidence
            .iter()
            .any(|e| e.value.contains("placeholder"))
    );
}

#[test]
fn paused_job_with_an_empty_quarantine_record_is_not_quarantined() {
    let j = job(
        r#"{"id":"j","status":{"code":"Paused","quarantine":{"currentBegan":"","nextAttempt":"",
        "reason":"","seriesBegan":"","seriesCount":0,"error":null}}}"#,
    );
    let x = explain_job(&j, sp(), at(2024, 5, 1, 0));
    assert_eq!(x.findings.len(), 1);
    assert_eq!(x.findings[0].code.as_deref(), Some("job-paused"));
    assert_eq!(quarantine_one_liner(&j), None);
}

#[test]
fn the_dotnet_max_interval_reads_as_no_schedule() {
    let j = job(
        r#"{"id":"j","schedule":{"interval":"P10675199DT2H48M5.4775807S","state":"Active"},
        "status":{"code":"Active","lastExecution":{"state":"Succeeded","timeBegan":"2024-05-01T10:00:00Z",
        "timeEnded":"2024-05-01T10:05:00Z","countImported":10,"countExported":2}}}"#,
    );
    let x = explain_job(&j, sp(), at(2024, 5, 1, 12));
    let f = &x.findings[0];
    assert_eq!(f.code.as_deref(), Some("job-healthy"));
    assert!(f.summary.contains("no schedule"), "{}", f.summary);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.field == "schedule.interval" && e.value.contains("(no schedule)"))
    );
}

#[test]
fn active_with_entry_level_errors_is_healthy_with_object_errors() {
    let j = job(
        r#"{"id":"j","schedule":{"interval":"PT40M"},"status":{"code":"Active",
        "lastExecution":{"state":"EntryLevelErrors","timeBegan":"2024-05-01T10:00:00Z","timeEnded":"2024-05-01T10:05:00Z",
        "countImported":500,"countEscrowed":12}}}"#,
    );
    let x = explain_job(&j, sp(), at(2024, 5, 1, 12));
    let f = &x.findings[0];
    assert_eq!(f.code.as_deref(), Some("job-entry-level-errors"));
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.summary.contains("12 object(s) escrowed"), "{}", f.summary);
    assert!(f.summary.contains("every 40 minutes"), "{}", f.summary);
}

fn quarantined(reason: &str, code: &str, series_began: &str) -> SynchronizationJob {
    job(&format!(
        r#"{{"id":"AD2AADProvisioning.abc","status":{{"code":"Quarantine","countSuccessiveCompleteFailures":3,
        "lastExecution":{{"state":"Failed","timeBegan":"2024-05-19T10:00:00Z","countImported":1000,"countEscrowed":450}},
        "quarantine":{{"currentBegan":"2024-05-19T10:00:00Z","nextAttempt":"2024-05-20T10:00:00Z","reason":"{reason}",
        "seriesBegan":"{series_began}","seriesCount":4,"error":{{"code":"{code}","message":"m","tenantActionable":true}}}}}}}}"#
    ))
}

#[test]
fn days_left_before_the_disable_are_counted_from_the_series_start() {
    let began = at(2024, 5, 1, 0);
    assert_eq!(days_left(began, at(2024, 5, 20, 12)), 9); // 8.5 days rounds up
    assert_eq!(days_left(began, at(2024, 5, 29, 0)), 0);
    assert_eq!(days_left(began, at(2024, 5, 30, 0)), -1);

    let j = quarantined(
        "EncounteredEscrowProportionThreshold",
        "",
        "2024-05-01T00:00:00Z",
    );
    let x = explain_job(&j, sp(), at(2024, 5, 10, 0));
    assert_eq!(x.findings.len(), 1, "19 days left: no disable warning");
    assert!(
        x.findings[0]
            .evidence
            .iter()
            .any(|e| e.value.starts_with("19 days left"))
    );
    let x = explain_job(&j, sp(), at(2024, 5, 25, 0));
    assert!(has_case(&x, "quarantine-disable-near"));
    assert!(
        x.findings[1].summary.contains("about 4 days are left"),
        "{}",
        x.findings[1].summary
    );
    let x = explain_job(&j, sp(), at(2024, 7, 1, 0));
    assert!(
        x.findings[1].summary.contains("past the ~28 days"),
        "{}",
        x.findings[1].summary
    );
}

#[test]
fn escrow_quarantine_says_fix_object_errors_then_reset_escrows_and_quarantine() {
    let j = quarantined(
        "EncounteredEscrowProportionThreshold",
        "",
        "2024-05-15T00:00:00Z",
    );
    let x = explain_job(&j, sp(), at(2024, 5, 20, 0));
    let f = &x.findings[0];
    assert_eq!(
        f.code.as_deref(),
        Some("EncounteredEscrowProportionThreshold")
    );
    assert_eq!(f.severity, Severity::Critical);
    assert!(commands(f).contains(
        &"provctl jobs restart sp-1/AD2AADProvisioning.abc --reset escrows,quarantine".to_owned()
    ));
    for fact in [
        "450 escrowed (failed) of 1000 imported",
        "3 successive complete failures",
        "since 2024-05-15",
        "re-evaluated 4 times",
        "next attempt 2024-05-20",
    ] {
        assert!(
            f.summary.contains(fact),
            "{fact} missing from {}",
            f.summary
        );
    }
    assert_eq!(
        quarantine_one_liner(&j).as_deref(),
        Some("EncounteredEscrowProportionThreshold: Too many objects are failing")
    );
}

#[test]
fn credential_quarantine_fixes_the_credentials_first_then_clears() {
    let j = quarantined(
        "EncounteredQuarantineException",
        "AzureActiveDirectoryExpiredCredentials",
        "2024-05-15T00:00:00Z",
    );
    let x = explain_job(&j, sp(), at(2024, 5, 20, 0));
    let f = &x.findings[0];
    assert_eq!(
        f.code.as_deref(),
        Some("AzureActiveDirectoryExpiredCredentials")
    );
    assert_eq!(f.category, Category::Credentials);
    assert!(
        f.next_steps[0]
            .text
            .contains("Repair-AADCloudSyncToolsAccount")
    );
    assert!(
        commands(f).contains(&"provctl quarantine clear sp-1/AD2AADProvisioning.abc".to_owned())
    );
    assert!(
        f.sources.iter().any(|s| s.id == "AP-Q"),
        "the reason's source is cited too"
    );
}

#[test]
fn too_many_deletes_says_verify_then_force_deletes() {
    let j = quarantined("TooManyDeletes", "", "2024-05-19T00:00:00Z");
    let x = explain_job(&j, sp(), at(2024, 5, 20, 0));
    let f = &x.findings[0];
    assert_eq!(f.category, Category::DeletionThreshold);
    assert!(
        commands(f)
            .iter()
            .any(|c| c.ends_with("--reset force-deletes"))
    );
    assert!(f.next_steps[0].text.contains("confirm"), "verify first");
}

#[test]
fn quarantined_on_demand_points_to_support() {
    let j = quarantined("QuarantineOnDemand", "", "2024-05-19T00:00:00Z");
    let f = &explain_job(&j, sp(), at(2024, 5, 20, 0)).findings[0];
    assert_eq!(f.category, Category::Service);
    assert!(f.next_steps.iter().any(|s| s.text.contains("support")));
}

#[test]
fn an_unknown_quarantine_code_is_quoted_not_explained() {
    let j = quarantined("Unknown", "BrandNewFailure", "2024-05-19T00:00:00Z");
    let f = &explain_job(&j, sp(), at(2024, 5, 20, 0)).findings[0];
    assert_eq!(f.code.as_deref(), Some("Unknown"));
    assert!(
        f.summary.contains("error BrandNewFailure: m"),
        "{}",
        f.summary
    );
    assert!(f.causes.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Log entries: step types and traps
// ---------------------------------------------------------------------------------------------

const SP: &str =
    r#""servicePrincipal":{"id":"sp-9","displayName":"Contoso"},"jobId":"ContosoOutDelta.1","#;

#[test]
fn a_failure_with_every_step_successful_and_no_error_is_inconsistent() {
    let e = entry(&format!(
        r#"{{"id":"l1",{SP}"provisioningStatusInfo":{{"status":"failure","errorInformation":null}},
        "sourceIdentity":{{"id":"g-1","displayName":"Ann","identityType":"User"}},
        "provisioningSteps":[{{"name":"EntryImport","provisioningStepType":"import","status":"success"}},
                             {{"name":"EntryExportUpdate","provisioningStepType":"export","status":"success"}}]}}"#
    ));
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.category, Category::Inconsistent);
    assert!(
        f.summary.contains("all 2 recorded step(s) succeeded"),
        "{}",
        f.summary
    );
    assert!(f.causes.is_empty(), "no invented cause");
    assert!(commands(f).contains(&"provctl logs search --object-id g-1".to_owned()));
}

#[test]
fn a_generic_or_unknown_code_with_a_409_message_is_read_as_a_conflict() {
    let e = entry(
        r#"{"id":"l2","provisioningAction":"create","provisioningStatusInfo":{"status":"failure",
        "errorInformation":{"errorCode":"AzureActiveDirectoryFilteringError","reason":"The target returned HTTP 409: an object with this name already exists."}},
        "provisioningSteps":[{"name":"EntryExportAdd","provisioningStepType":"export","status":"failure"}]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.category, Category::Conflict);
    assert_eq!(
        f.code.as_deref(),
        Some("AzureActiveDirectoryFilteringError")
    );
    assert!(f.summary.contains("read from the message"), "{}", f.summary);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.field == "read from the message")
    );

    let e = entry(
        r#"{"id":"l3","provisioningStatusInfo":{"status":"failure",
        "errorInformation":{"errorCode":"UnprocessableEntity","reason":"userName already in use"}}}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.category, Category::Conflict);
    assert!(f.summary.contains("is generic"), "{}", f.summary);
}

#[test]
fn an_unknown_code_is_repeated_with_its_message_and_where_it_stopped() {
    let e = entry(
        r#"{"id":"l4","provisioningStatusInfo":{"status":"failure",
        "errorInformation":{"errorCode":"WeirdNewCode","reason":"Something odd happened","additionalDetails":"detail 42"}},
        "provisioningSteps":[{"name":"EntryExportUpdate","provisioningStepType":"export","status":"failure"}]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert!(!f.known);
    assert_eq!(f.code.as_deref(), Some("WeirdNewCode"));
    assert_eq!(
        f.category,
        Category::Target,
        "category from the export step"
    );
    assert!(
        f.summary.contains("Something odd happened detail 42"),
        "{}",
        f.summary
    );
    assert!(f.causes.is_empty());
    assert!(
        f.next_steps
            .iter()
            .any(|s| s.text.contains("documentation"))
    );
    assert_eq!(
        skip_or_failure_reason(&e).as_deref(),
        Some("WeirdNewCode: Unrecognised code WeirdNewCode")
    );
}

#[test]
fn skipped_with_only_a_source_id_was_filtered_by_the_agent() {
    let e = entry(
        r#"{"id":"l5","provisioningStatusInfo":{"status":"skipped"},
        "sourceIdentity":{"id":"0b7e1c52-8a47-4b51-9a3c-1f1e2d3c4b5a","identityType":"group"},
        "targetIdentity":{"id":"","displayName":""},"provisioningSteps":[]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.code.as_deref(), Some("agent-filtered"));
    assert_eq!(f.category, Category::Scoping);
    assert!(
        f.causes
            .iter()
            .any(|c| c.contains("isCriticalSystemObject"))
    );
    assert!(commands(f).contains(
        &"provctl logs search --object-id 0b7e1c52-8a47-4b51-9a3c-1f1e2d3c4b5a".to_owned()
    ));
    assert!(f.sources.iter().any(|s| s.id == "CS-TS"));
}

fn skipped_scoping(details: &str) -> ProvisioningObjectSummary {
    entry(&format!(
        r#"{{"id":"s","provisioningStatusInfo":{{"status":"skipped"}},
        "sourceIdentity":{{"id":"u-1","displayName":"Bob","identityType":"User"}},"targetIdentity":{{"id":""}},
        "provisioningSteps":[{{"name":"EntryImport","provisioningStepType":"import","status":"success","details":{{}}}},
        {{"name":"EntrySynchronizationScoping","provisioningStepType":"scoping","status":"skipped","details":{details}}}]}}"#
    ))
}

#[test]
fn scoping_steps_name_the_reason_for_a_skip() {
    let f = &explain_log(&skipped_scoping(
        r#"{"IsActive":"True","Assigned":"True","IsEffectivelyEntitledForProvisioning":"False"}"#,
    ))
    .findings[0];
    assert_eq!(f.code.as_deref(), Some("NotEffectivelyEntitled"));
    assert!(f.next_steps[0].text.contains("assign it again"));

    let f = &explain_log(&skipped_scoping(r#"{"Assigned":"False"}"#)).findings[0];
    assert_eq!(f.code.as_deref(), Some("not-assigned"));

    let f = &explain_log(&skipped_scoping(
        r#"{"Scoping filter evaluation passed":"False","ScopingFilterName":"Only Sales","ScopeEvaluationResult":"{\"department EQUALS Sales\":false}"}"#,
    ))
    .findings[0];
    assert_eq!(f.code.as_deref(), Some("scoping-filter"));
    assert!(
        f.summary.contains("ScopingFilterName = Only Sales"),
        "{}",
        f.summary
    );
    assert!(
        f.summary.contains("department EQUALS Sales"),
        "{}",
        f.summary
    );
}

#[test]
fn critical_system_objects_and_replication_victims_are_expected_skips() {
    let e = entry(
        r#"{"id":"c","provisioningStatusInfo":{"status":"skipped"},"sourceIdentity":{"id":"g"},
        "provisioningSteps":[{"name":"EntryImport","provisioningStepType":"import","status":"success",
        "details":{"isCriticalSystemObject":"TRUE","distinguishedName":"CN=Domain Admins,CN=Users,DC=corp"}},
        {"name":"EntrySynchronizationScoping","provisioningStepType":"scoping","status":"skipped","details":{}}]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.code.as_deref(), Some("IsCriticalSystemObject"));
    assert_eq!(f.severity, Severity::Info);

    let e = entry(
        r#"{"id":"r","provisioningStatusInfo":{"status":"skipped"},"sourceIdentity":{"id":"g"},
        "provisioningSteps":[{"name":"EntryImport","provisioningStepType":"import","status":"success",
        "details":{"distinguishedName":"CN=Ann\\0ACNF:1234,OU=Staff,DC=corp"}}]}"#,
    );
    assert_eq!(
        explain_log(&e).findings[0].code.as_deref(),
        Some("replication-victim")
    );
}

#[test]
fn each_failing_step_type_without_error_information_is_explained_by_its_type() {
    for (ty, want) in [
        ("import", "import-failed"),
        ("matching", "matching-failed"),
        ("referenceResolution", "reference-unresolved"),
        ("processing", "reference-unresolved"),
        ("export", "export-failed"),
    ] {
        let e = entry(&format!(
            r#"{{"id":"t","provisioningStatusInfo":{{"status":"failure"}},
            "provisioningSteps":[{{"name":"S","provisioningStepType":"{ty}","status":"failure","description":"d"}}]}}"#
        ));
        assert_eq!(
            explain_log(&e).findings[0].code.as_deref(),
            Some(want),
            "{ty}"
        );
    }
    let e = entry(
        r#"{"id":"i","provisioningStatusInfo":{"status":"skipped"},"targetIdentity":{"id":"t"},
        "provisioningSteps":[{"name":"EntryImport","provisioningStepType":"import","status":"skipped"}]}"#,
    );
    assert_eq!(
        explain_log(&e).findings[0].code.as_deref(),
        Some("ImportSkipped")
    );
}

#[test]
fn a_delete_refused_by_the_tenant_threshold_names_tenant_deletion_prevention() {
    let e = entry(
        r#"{"id":"d","provisioningAction":"delete","provisioningStatusInfo":{"status":"failure",
        "errorInformation":{"errorCode":"AzureActiveDirectoryConstraintViolation","reason":"The export was blocked: the accidental deletion threshold of the tenant was exceeded."}},
        "provisioningSteps":[{"name":"EntryExportDelete","provisioningStepType":"export","status":"failure"}]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.category, Category::DeletionThreshold);
    assert!(commands(f).contains(&"provctl tenant deletion-prevention disable".to_owned()));
    assert!(
        f.next_steps
            .iter()
            .any(|s| s.text.contains("TooManyDeletes")),
        "explains the difference"
    );
}

#[test]
fn redundant_export_and_action_other_mean_nothing_to_do() {
    let e = entry(
        r#"{"id":"n","provisioningAction":"other","provisioningStatusInfo":{"status":"skipped"},
        "provisioningSteps":[{"name":"EntrySynchronizationSkip","provisioningStepType":"export","status":"skipped","details":{"SkipReason":"RedundantExport"}}]}"#,
    );
    let f = &explain_log(&e).findings[0];
    assert_eq!(f.category, Category::NoChange);
    assert_eq!(f.next_steps[0].text, "Nothing to do.");
    let e = entry(
        r#"{"id":"o","provisioningAction":"other","provisioningStatusInfo":{"status":"success"}}"#,
    );
    assert_eq!(
        explain_log(&e).findings[0].code.as_deref(),
        Some("no-change")
    );
}

#[test]
fn modified_properties_are_shown_old_to_new() {
    let e = entry(
        r#"{"id":"m","provisioningStatusInfo":{"status":"success"},
        "modifiedProperties":[{"displayName":"department","oldValue":"Sales","newValue":"Marketing"}]}"#,
    );
    let x = explain_log(&e);
    assert!(render_text(&x, 80).contains("department: Sales → Marketing"));
}

// ---------------------------------------------------------------------------------------------
// Objects, JSON shape, robustness, speed
// ---------------------------------------------------------------------------------------------

#[test]
fn an_object_without_events_lists_the_reasons_from_the_guide() {
    let x = explain_object("0b7e1c52-8a47-4b51-9a3c-1f1e2d3c4b5a", &[]);
    let f = &x.findings[0];
    assert_eq!(f.code.as_deref(), Some("object-not-found"));
    assert!(f.summary.contains("No provisioning events"));
    assert!(f.causes.iter().any(|c| c.contains("caught up")));
    assert!(
        f.causes
            .iter()
            .any(|c| c.contains("isCriticalSystemObject"))
    );
    assert!(f.causes.iter().any(|c| c.contains("scoping")));
    assert!(commands(f)[0].ends_with("0b7e1c52-8a47-4b51-9a3c-1f1e2d3c4b5a"));
}

#[test]
fn an_object_history_leads_with_the_latest_event() {
    let older = entry(
        r#"{"id":"a","activityDateTime":"2024-05-01T10:00:00Z","provisioningStatusInfo":{"status":"failure",
        "errorInformation":{"errorCode":"ContosoEntryConflict","reason":"409"}},"sourceIdentity":{"id":"g","displayName":"Pilot","identityType":"Group"}}"#,
    );
    let newer = entry(
        r#"{"id":"b","activityDateTime":"2024-05-02T10:00:00Z","provisioningStatusInfo":{"status":"success"},
        "provisioningAction":"create","sourceIdentity":{"id":"g","displayName":"Pilot","identityType":"Group"}}"#,
    );
    let x = explain_object("g", &[older, newer]);
    assert_eq!(x.history.len(), 2);
    assert_eq!(x.history[0].id, "b");
    assert_eq!(
        x.history[1].reason.as_deref(),
        Some("ContosoEntryConflict: The object already exists in the target")
    );
    assert!(
        x.findings[0]
            .summary
            .starts_with("Latest of 2 event(s) (1 failed, 0 skipped, 1 other)"),
        "{}",
        x.findings[0].summary
    );
    assert_eq!(x.subject.display_name.as_deref(), Some("Pilot"));
}

#[test]
fn the_json_shape_is_stable() {
    let x = explain_log(&entry(
        r#"{"id":"x","provisioningStatusInfo":{"status":"failure","errorInformation":{"errorCode":"Timeout"}}}"#,
    ));
    let v = serde_json::to_value(&x).unwrap_or_else(|e| panic!("{e}"));
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["changes", "findings", "history", "subject"]);
    assert_eq!(keys(&v["subject"]), ["displayName", "id", "kind"]);
    assert_eq!(
        keys(&v["findings"][0]),
        [
            "category",
            "causes",
            "code",
            "evidence",
            "known",
            "nextSteps",
            "severity",
            "sources",
            "summary",
            "title"
        ]
    );
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(v["findings"][0]["category"], "transient");
    assert_eq!(v["subject"]["kind"], "log-entry");
    let back: Explanation = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, x);
}

#[test]
fn odd_and_empty_inputs_never_panic() {
    let now = at(2024, 5, 1, 0);
    for j in [
        "{}",
        r#"{"id":"","status":{}}"#,
        r#"{"id":"j","status":{"code":"Quarantine"}}"#,
        r#"{"id":"j","status":{"code":"Quarantine","quarantine":{"seriesBegan":"9999-12-31T00:00:00Z"}}}"#,
        r#"{"id":"j","status":{"code":"Hibernating","lastExecution":{"state":"Exploded"}}}"#,
        r#"{"id":"j","schedule":{"interval":"garbage"},"status":{"code":"Active"}}"#,
    ] {
        let j = job(j);
        let x = explain_job(&j, None, now);
        assert!(!x.findings.is_empty());
        let _ = quarantine_one_liner(&j);
        let _ = render_text(&x, 3);
    }
    for e in [
        "{}",
        r#"{"provisioningStatusInfo":{"status":"warning"}}"#,
        r#"{"provisioningStatusInfo":{"status":"whatever"}}"#,
        r#"{"provisioningStatusInfo":{"status":"skipped","errorInformation":{"errorCode":""}}}"#,
        r#"{"provisioningSteps":[{"status":"failure"}]}"#,
    ] {
        let e = entry(e);
        assert!(!explain_log(&e).findings.is_empty());
        let _ = skip_or_failure_reason(&e);
    }
}

#[test]
fn a_thousand_entries_each_get_exactly_one_headline() {
    let mut entries = logs("list-provisioningobjectsummary.failure.v1.json");
    entries.extend(logs("list-provisioningobjectsummary.success.v1.json"));
    entries.push(skipped_scoping(r#"{"Assigned":"False"}"#));
    let batch: Vec<ProvisioningObjectSummary> =
        entries.iter().cycle().take(1000).cloned().collect();
    // Timing is a benchmark, not a test: see benches/README.md ("Offline explain").
    let n: usize = batch.iter().map(|e| explain_log(e).findings.len()).sum();
    assert_eq!(n, 1000);
}

// ---------------------------------------------------------------------------------------------
// Real shapes (issue 14): payloads in tests/fixtures/real
// ---------------------------------------------------------------------------------------------

fn real(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Item 12: an old beta record carries only `statusInfo` (with `@odata.type`) and `action`; the
/// evidence names those fields, and a `details` map's `@odata.type` is not quoted as a detail.
#[test]
fn evidence_on_an_old_beta_record_names_status_info_and_skips_odata_annotations() {
    let c: ODataCollection<ProvisioningObjectSummary> = serde_json::from_str(&real(
        "list-provisioningobjectsummary.failure.beta-statusinfo-only.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let entry = &c.value[0];
    assert_eq!(entry.provisioning_steps[2].details.len(), 1);
    assert_eq!(entry.provisioning_steps[2].details.get("@odata.type"), None);
    let x = explain_log(entry);
    let f = x.headline().unwrap_or_else(|| panic!("a finding"));
    let fields: Vec<&str> = f.evidence.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"statusInfo.status"), "{fields:?}");
    assert!(fields.contains(&"statusInfo.errorCode"), "{fields:?}");
    assert!(fields.contains(&"action"), "{fields:?}");
    assert!(
        fields
            .iter()
            .all(|f| !f.starts_with("provisioningStatusInfo") && !f.starts_with("errorInformation")),
        "{fields:?}"
    );
    let text = render_text(&x, 200);
    assert!(!text.contains("odata"), "{text}");
}

/// Item 1: the cross-tenant walkthrough's on-demand answer explains as a success.
#[test]
fn cross_tenant_on_demand_answer_explains_as_a_success() {
    let r: ProvisionOnDemandResponse =
        serde_json::from_str(&real("provisionondemand-crosstenant.response.v1.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let d = r.decode().unwrap_or_else(|e| panic!("{e}"));
    let x = explain_on_demand(&d);
    assert_eq!(x.severity(), Severity::Info, "{x:#?}");
}

/// Item 10: the cross-tenant walkthrough's never-run job (placeholder with error code `None`) is
/// "not run", not a failure.
#[test]
fn documented_never_run_job_with_error_code_none_is_not_a_failure() {
    let j = job(&real("get-synchronizationjob-crosstenant-notrun.v1.json"));
    let x = explain_job(&j, sp(), at(2024, 5, 1, 0));
    assert_eq!(x.findings[0].code.as_deref(), Some("job-not-run"), "{x:#?}");
    assert_eq!(x.severity(), Severity::Info);
}

#[test]
fn a_known_skip_reason_gives_the_code_and_title_the_whole_diagnosis_gives() {
    let skipped = |details: &str, error: &str| {
        entry(&format!(
            r#"{{"id":"s","provisioningStatusInfo":{{"status":"skipped","errorInformation":{error}}},
            "sourceIdentity":{{"id":"g","displayName":"Ann"}},"jobId":"scim.x",
            "provisioningSteps":[{{"name":"EntrySynchronizationSkip","provisioningStepType":"scoping",
            "status":"skipped","description":"d","details":{details}}}]}}"#
        ))
    };
    let mut known = 0;
    for (details, error) in [
        (r#"{"SkipReason":"NotEffectivelyEntitled"}"#, "null"),
        (r#"{"SkipReason":"RedundantExport"}"#, "null"),
        (r#"{"skipreason":"IsCriticalSystemObject"}"#, "null"),
        (r#"{"SkipReason":"NoSuchReasonAnywhere"}"#, "null"),
        (
            r#"{"SkipReason":" "}"#,
            r#"{"errorCode":"RedundantExport"}"#,
        ),
        (r#"{}"#, r#"{"errorCode":"NoSuchCode"}"#),
        (
            r#"{"IsEffectivelyEntitledForProvisioning":"False"}"#,
            "null",
        ),
    ] {
        let e = skipped(details, error);
        let whole = log::diagnose_entry(&e);
        match log::known_skip(&e) {
            Some((code, title)) => {
                known += 1;
                assert_eq!((Some(code), title), (whole.code, whole.title), "{details}");
            }
            // Not known: the summary asks the whole diagnosis.
            None => assert!(!whole.known || whole.code.as_deref() != e.skip_reason()),
        }
    }
    assert_eq!(known, 4);
    // Only skips.
    let mut failed = skipped(r#"{"SkipReason":"RedundantExport"}"#, "null");
    failed.provisioning_status_info = None;
    assert_eq!(log::known_skip(&failed), None);
}

#[test]
fn a_skipped_delete_without_a_reason_points_at_the_deletion_threshold() {
    let e = entry(
        r#"{"id":"d1","jobId":"AD2AADProvisioning.x","provisioningAction":"delete",
        "servicePrincipal":{"id":"sp1"},
        "sourceIdentity":{"id":"g","displayName":"Former Employee 1"},
        "targetIdentity":{"id":"t","displayName":"Former Employee 1"},
        "provisioningStatusInfo":{"status":"skipped"},
        "provisioningSteps":[{"name":"EntryExportDelete","provisioningStepType":"export",
        "status":"skipped","description":"d","details":{}}]}"#,
    );
    let f = log::diagnose_entry(&e);
    assert_eq!(f.code.as_deref(), Some("skipped-delete"));
    let commands: Vec<String> = f
        .next_steps
        .iter()
        .filter_map(|s| s.command.clone())
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c == "provctl quarantine deletes sp1/AD2AADProvisioning.x"),
        "{commands:?}"
    );
    // The same skip of an update stays a plain skip.
    let mut update = e.clone();
    update.provisioning_action = Some(ProvisioningAction::Update);
    assert_eq!(
        log::diagnose_entry(&update).code.as_deref(),
        Some("skipped")
    );
}
