//! Conformance of the Graph models and the JSON Schemas in `graph-schemas/` against Microsoft's
//! documented payloads (`tests/fixtures/reference/examples`) and our wiremock fixtures: every payload
//! validates against its schema, parses into its model, round-trips (model → JSON → model), and the
//! model's JSON still validates. Then one test per known trap of the Graph provisioning API.

use std::collections::BTreeSet;
use std::error::Error;
use std::fmt::Debug;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use provctl::graph::model::*;

use crate::support::graph_schemas::{
    SCHEMA_BASE, assert_valid, examples_dir, read_json, repo, schemas_dir, validator,
};

type TestResult = Result<(), Box<dyn Error>>;

/// Which model a payload parses into.
#[derive(Debug, Clone, Copy)]
enum Model {
    Job,
    JobList,
    CreateJob,
    Restart,
    OnDemandRequest,
    OnDemandResponse,
    OnDemandDecoded,
    ValidateCredentials,
    Secrets,
    Summary,
    SummaryList,
    Agent,
    AgentList,
    DirSync,
    DirSyncPatch,
    ServicePrincipal,
    ServicePrincipalList,
    Schema,
    GraphError,
    BatchRequest,
    BatchResponse,
}

/// Parses `value` into `T`, writes it back, parses that again, and checks both models are equal.
/// Returns the model's JSON.
fn round_trip<T>(what: &str, value: &Value) -> Value
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let model: T = serde_path_to_error::deserialize(value)
        .unwrap_or_else(|e| panic!("{what} does not parse at {}: {e}", e.path()));
    let written =
        serde_json::to_value(&model).unwrap_or_else(|e| panic!("{what} does not serialise: {e}"));
    let again: T = serde_json::from_value(written.clone())
        .unwrap_or_else(|e| panic!("{what}: the model's own JSON does not parse: {e}"));
    assert_eq!(model, again, "{what} changes in a round trip");
    written
}

impl Model {
    fn round_trip(self, what: &str, v: &Value) -> Value {
        match self {
            Model::Job => round_trip::<SynchronizationJob>(what, v),
            Model::JobList => round_trip::<ODataCollection<SynchronizationJob>>(what, v),
            Model::CreateJob => round_trip::<CreateSynchronizationJobRequest>(what, v),
            Model::Restart => round_trip::<RestartRequest>(what, v),
            Model::OnDemandRequest => round_trip::<ProvisionOnDemandRequest>(what, v),
            Model::OnDemandResponse => {
                let out = round_trip::<ProvisionOnDemandResponse>(what, v);
                let raw: ProvisionOnDemandResponse =
                    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
                raw.decode().unwrap_or_else(|e| panic!("{what}: {e}"));
                out
            }
            Model::OnDemandDecoded => round_trip::<DecodedProvisionOnDemand>(what, v),
            Model::ValidateCredentials => round_trip::<ValidateCredentialsRequest>(what, v),
            Model::Secrets => round_trip::<SynchronizationSecrets>(what, v),
            Model::Summary => round_trip::<ProvisioningObjectSummary>(what, v),
            Model::SummaryList => round_trip::<ODataCollection<ProvisioningObjectSummary>>(what, v),
            Model::Agent => round_trip::<OnPremisesAgent>(what, v),
            Model::AgentList => round_trip::<ODataCollection<OnPremisesAgent>>(what, v),
            Model::DirSync => round_trip::<OnPremisesDirectorySynchronization>(what, v),
            Model::DirSyncPatch => round_trip::<OnPremisesDirectorySynchronizationPatch>(what, v),
            Model::ServicePrincipal => round_trip::<ServicePrincipal>(what, v),
            Model::ServicePrincipalList => round_trip::<ODataCollection<ServicePrincipal>>(what, v),
            Model::Schema => round_trip::<SynchronizationSchema>(what, v),
            Model::GraphError => round_trip::<GraphErrorEnvelope>(what, v),
            Model::BatchRequest => round_trip::<BatchRequest>(what, v),
            Model::BatchResponse => round_trip::<BatchResponse>(what, v),
        }
    }
}

/// Every reference example: file → (schema, model). A new example file fails
/// `every_reference_example_is_in_the_table` until it is added here.
const EXAMPLES: &[(&str, &str, Model)] = &[
    (
        "create-synchronizationjob-cloudsync.response.beta.json",
        "synchronizationJob.schema.json",
        Model::Job,
    ),
    (
        "get-synchronizationjob.v1.json",
        "synchronizationJob.schema.json",
        Model::Job,
    ),
    (
        "list-synchronizationjobs.v1.json",
        "synchronizationJob.list.schema.json",
        Model::JobList,
    ),
    (
        "restart-synchronizationjob.request.v1.json",
        "restart.request.schema.json",
        Model::Restart,
    ),
    (
        "restart-synchronizationjob-full.request.beta.json",
        "restart.request.schema.json",
        Model::Restart,
    ),
    (
        "restart-synchronizationjob-forcedeletes.request.beta.json",
        "restart.request.schema.json",
        Model::Restart,
    ),
    (
        "provisionondemand-adto3p.request.v1.json",
        "provisionOnDemand.request.schema.json",
        Model::OnDemandRequest,
    ),
    (
        "provisionondemand-adto3p.response.v1.json",
        "provisionOnDemand.response.schema.json",
        Model::OnDemandResponse,
    ),
    (
        "provisionondemand-adto3p.response.v1.decoded.json",
        "provisionOnDemand.decoded.schema.json",
        Model::OnDemandDecoded,
    ),
    (
        "provisionondemand-ad2aad-cloudsync.request.v1.json",
        "provisionOnDemand.request.schema.json",
        Model::OnDemandRequest,
    ),
    (
        "provisionondemand-ad2aad-cloudsync.response.v1.json",
        "provisionOnDemand.response.schema.json",
        Model::OnDemandResponse,
    ),
    (
        "provisionondemand-ad2aad-cloudsync.response.v1.decoded.json",
        "provisionOnDemand.decoded.schema.json",
        Model::OnDemandDecoded,
    ),
    (
        "provisionondemand-group.request.v1.json",
        "provisionOnDemand.request.schema.json",
        Model::OnDemandRequest,
    ),
    (
        "provisionondemand-group.response.v1.json",
        "provisionOnDemand.response.schema.json",
        Model::OnDemandResponse,
    ),
    (
        "validatecredentials.request.v1.json",
        "validateCredentials.request.schema.json",
        Model::ValidateCredentials,
    ),
    (
        "put-synchronization-secrets-syncnotificationsettings.request.beta.json",
        "synchronizationSecrets.request.schema.json",
        Model::Secrets,
    ),
    (
        "list-provisioningobjectsummary.success.v1.json",
        "provisioningObjectSummary.list.schema.json",
        Model::SummaryList,
    ),
    (
        "list-provisioningobjectsummary.failure.v1.json",
        "provisioningObjectSummary.list.schema.json",
        Model::SummaryList,
    ),
    (
        "list-provisioningobjectsummary.success.beta.json",
        "provisioningObjectSummary.beta.list.schema.json",
        Model::SummaryList,
    ),
    (
        "list-provisioningobjectsummary.failure.beta.json",
        "provisioningObjectSummary.beta.list.schema.json",
        Model::SummaryList,
    ),
    (
        "list-onpremisesagents.provisioning.beta.json",
        "onPremisesAgent.list.schema.json",
        Model::AgentList,
    ),
    (
        "get-onpremisesdirectorysynchronization.json",
        "onPremisesDirectorySynchronization.schema.json",
        Model::DirSync,
    ),
    (
        "patch-onpremisesdirectorysynchronization.request.json",
        "onPremisesDirectorySynchronization.patch.request.schema.json",
        Model::DirSyncPatch,
    ),
    (
        "patch-onpremisesdirectorysynchronization-disable-adp.aadcloudsynctools.request.json",
        "onPremisesDirectorySynchronization.patch.request.schema.json",
        Model::DirSyncPatch,
    ),
    (
        "graph-error-envelope.json",
        "graphError.schema.json",
        Model::GraphError,
    ),
];

/// The model behind each schema, for wiremock fixtures (named `<schema stem>.<anything>.json`).
const SCHEMA_MODELS: &[(&str, Model)] = &[
    ("synchronizationJob.schema.json", Model::Job),
    ("synchronizationJob.list.schema.json", Model::JobList),
    (
        "synchronizationJob.create.request.schema.json",
        Model::CreateJob,
    ),
    ("restart.request.schema.json", Model::Restart),
    (
        "provisionOnDemand.request.schema.json",
        Model::OnDemandRequest,
    ),
    (
        "provisionOnDemand.response.schema.json",
        Model::OnDemandResponse,
    ),
    (
        "provisionOnDemand.decoded.schema.json",
        Model::OnDemandDecoded,
    ),
    (
        "validateCredentials.request.schema.json",
        Model::ValidateCredentials,
    ),
    ("synchronizationSecrets.request.schema.json", Model::Secrets),
    ("provisioningObjectSummary.schema.json", Model::Summary),
    ("provisioningObjectSummary.beta.schema.json", Model::Summary),
    (
        "provisioningObjectSummary.list.schema.json",
        Model::SummaryList,
    ),
    (
        "provisioningObjectSummary.beta.list.schema.json",
        Model::SummaryList,
    ),
    ("onPremisesAgent.schema.json", Model::Agent),
    ("onPremisesAgent.list.schema.json", Model::AgentList),
    (
        "onPremisesDirectorySynchronization.schema.json",
        Model::DirSync,
    ),
    (
        "onPremisesDirectorySynchronization.patch.request.schema.json",
        Model::DirSyncPatch,
    ),
    ("servicePrincipal.schema.json", Model::ServicePrincipal),
    (
        "servicePrincipal.list.schema.json",
        Model::ServicePrincipalList,
    ),
    ("synchronizationSchema.schema.json", Model::Schema),
    ("graphError.schema.json", Model::GraphError),
    ("batch.request.schema.json", Model::BatchRequest),
    ("batch.response.schema.json", Model::BatchResponse),
];

fn json_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect()
}

fn schema_files() -> BTreeSet<String> {
    json_files(&schemas_dir())
}

fn check(schema: &str, model: Option<Model>, what: &str, value: &Value) {
    assert_valid(schema, what, value);
    if let Some(model) = model {
        let written = model.round_trip(what, value);
        assert_valid(schema, &format!("the model's JSON of {what}"), &written);
    }
}

fn example(name: &str) -> Value {
    read_json(&examples_dir().join(name))
}

fn parse<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(example(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Removes insignificant whitespace from a JSON text (keeps key order, unlike `Value`).
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn example_text(name: &str) -> String {
    let path = examples_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ------------------------------------------------------------------------------------------------
// Tables
// ------------------------------------------------------------------------------------------------

#[test]
fn every_reference_example_is_in_the_table() {
    let listed: BTreeSet<String> = EXAMPLES.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    let present = json_files(&examples_dir());
    let missing: Vec<_> = present.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "examples with no schema in the EXAMPLES table: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&present).collect();
    assert!(
        stale.is_empty(),
        "EXAMPLES lists files that do not exist: {stale:?}"
    );
}

#[test]
fn every_reference_example_validates_parses_and_round_trips() {
    for (file, schema, model) in EXAMPLES {
        check(schema, Some(*model), file, &example(file));
    }
}

#[test]
fn every_wiremock_fixture_validates_parses_and_round_trips() {
    let dir = repo().join("wiremock-fixtures");
    let schemas = schema_files();
    let mut unmatched = Vec::new();
    for file in json_files(&dir) {
        // The longest schema stem the fixture name starts with: `synchronizationJob.list.x.json`
        // → `synchronizationJob.list.schema.json`.
        let schema = schemas
            .iter()
            .filter(|s| {
                let stem = s.trim_end_matches(".schema.json");
                file.starts_with(&format!("{stem}."))
            })
            .max_by_key(|s| s.len());
        let Some(schema) = schema else {
            unmatched.push(file);
            continue;
        };
        let model = SCHEMA_MODELS
            .iter()
            .find(|(s, _)| s == schema)
            .map(|(_, m)| *m);
        check(
            schema,
            model,
            &format!("wiremock-fixtures/{file}"),
            &read_json(&dir.join(&file)),
        );
    }
    assert!(
        unmatched.is_empty(),
        "fixtures whose name does not start with a schema stem (name them <schema stem>.<case>.json): {unmatched:?}"
    );
}

#[test]
fn every_schema_builds_and_has_a_local_id() {
    for file in schema_files() {
        let schema = read_json(&schemas_dir().join(&file));
        assert_eq!(
            schema["$id"].as_str(),
            Some(format!("{SCHEMA_BASE}{file}").as_str()),
            "{file}: $id must name the file"
        );
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        validator(&file);
    }
}

#[test]
fn schemas_refuse_what_graph_would_refuse() {
    let bad_restart = serde_json::json!({"criteria": {"resetScope": "Everything"}});
    assert!(!validator("restart.request.schema.json").is_valid(&bad_restart));
    let typo = serde_json::json!({"criteria": {"resetScop": "Full"}});
    assert!(!validator("restart.request.schema.json").is_valid(&typo));
    let no_rule = serde_json::json!({"parameters": [{"subjects": [{"objectId": "x", "objectTypeName": "User"}]}]});
    assert!(!validator("provisionOnDemand.request.schema.json").is_valid(&no_rule));
    let bad_interval = serde_json::json!({"id": "x", "schedule": {"interval": "40 minutes"}});
    assert!(!validator("synchronizationJob.schema.json").is_valid(&bad_interval));
    let bad_time =
        serde_json::json!({"id": "x", "status": {"steadyStateFirstAchievedTime": "yesterday"}});
    assert!(!validator("synchronizationJob.schema.json").is_valid(&bad_time));
    let bad_patch = serde_json::json!({"configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": "off"}}});
    assert!(
        !validator("onPremisesDirectorySynchronization.patch.request.schema.json")
            .is_valid(&bad_patch)
    );
}

// ------------------------------------------------------------------------------------------------
// Traps
// ------------------------------------------------------------------------------------------------

#[test]
fn docs_get_job_parses_with_empty_quarantine_strings_max_interval_and_never_timestamps() {
    let job: SynchronizationJob = parse("get-synchronizationjob.v1.json");
    assert_eq!(job.status_code(), Some(&SynchronizationStatusCode::Paused));
    // Paused, with a quarantine record whose reason and times are "": not quarantined.
    assert!(!job.is_quarantined());
    let q = job
        .quarantine()
        .unwrap_or_else(|| panic!("quarantine record"));
    assert!(q.is_empty());
    assert_eq!(
        (q.reason.clone(), q.current_began, q.series_count),
        (None, None, 2)
    );
    assert_eq!(q.error.as_ref().map(|e| e.tenant_actionable), Some(true));
    // TimeSpan.MaxValue: no schedule.
    let interval = job.interval().unwrap_or_else(|| panic!("interval"));
    assert!(interval.is_never());
    assert_eq!(interval.as_duration(), None);
    assert_eq!(interval.describe(), "no schedule");
    assert_eq!(interval.as_str(), "P10675199DT2H48M5.4775807S");
    // 0001-01-01T00:00:00Z: never.
    let status = job.status.as_ref().unwrap_or_else(|| panic!("status"));
    assert_eq!(status.steady_state_first_achieved_time, None);
    assert_eq!(
        job.setting("QuarantineTooManyDeletesThreshold"),
        Some("500")
    );
    assert_eq!(job.template(), Some("BoxOutDelta"));
    assert_eq!(job.escrowed(), None);
}

#[test]
fn cloud_sync_create_answer_reads_as_a_paused_cloud_sync_job_every_40_minutes() {
    let job: SynchronizationJob = parse("create-synchronizationjob-cloudsync.response.beta.json");
    assert!(job.is_cloud_sync());
    assert_eq!(job.template(), Some("ADDCInPassthrough"));
    assert_eq!(
        job.interval().map(|i| i.describe()).as_deref(),
        Some("every 40 minutes")
    );
    assert!(!job.is_quarantined());
}

#[test]
fn quarantined_fixture_is_quarantined_with_escrows() {
    let path = repo().join("wiremock-fixtures/synchronizationJob.list.cloudsync-quarantined.json");
    let jobs: ODataCollection<SynchronizationJob> =
        serde_json::from_value(read_json(&path)).unwrap_or_else(|e| panic!("{e}"));
    let job = &jobs.value[0];
    assert!(job.is_quarantined());
    assert_eq!(job.escrowed(), Some(12));
    assert_eq!(
        job.quarantine().and_then(|q| q.reason.clone()),
        Some(QuarantineReason::TooManyDeletes)
    );
    assert!(!jobs.value[1].is_quarantined());
}

#[test]
fn unknown_enum_values_are_kept_and_written_back_verbatim() -> TestResult {
    let mut v = example("get-synchronizationjob.v1.json");
    v["status"]["code"] = "Hibernating".into();
    v["schedule"]["state"] = "Snoozed".into();
    v["status"]["quarantine"]["reason"] = "SolarFlare".into();
    let job: SynchronizationJob = serde_json::from_value(v)?;
    assert_eq!(
        job.status_code(),
        Some(&SynchronizationStatusCode::Other("Hibernating".into()))
    );
    let back = serde_json::to_value(&job)?;
    assert_eq!(back["status"]["code"], "Hibernating");
    assert_eq!(back["schedule"]["state"], "Snoozed");
    assert_eq!(back["status"]["quarantine"]["reason"], "SolarFlare");
    // An unknown code with a non-empty quarantine record counts as quarantined? Here the record
    // has a reason, so yes.
    assert!(job.is_quarantined());
    Ok(())
}

#[test]
fn enums_compare_case_insensitively_and_write_canonical_spelling() -> TestResult {
    let job: SynchronizationJob = serde_json::from_str(
        r#"{"id":"x","status":{"code":"active"},"schedule":{"state":"paused","interval":"PT40M"}}"#,
    )?;
    assert_eq!(job.status_code(), Some(&SynchronizationStatusCode::Active));
    let back = serde_json::to_value(&job)?;
    assert_eq!(back["status"]["code"], "Active");
    assert_eq!(back["schedule"]["state"], "Paused");
    // The success example's steps say "Import"/"Export"; the model writes "import"/"export".
    let logs: ODataCollection<ProvisioningObjectSummary> =
        parse("list-provisioningobjectsummary.success.v1.json");
    let steps = &logs.value[0].provisioning_steps;
    assert_eq!(
        steps[0].provisioning_step_type,
        Some(ProvisioningStepType::Import)
    );
    assert_eq!(
        serde_json::to_value(&steps[1])?["provisioningStepType"],
        "export"
    );
    Ok(())
}

#[test]
fn quarantine_on_demand_alias_and_staged_delete_spelling_are_read() -> TestResult {
    let q: SynchronizationQuarantine = serde_json::from_str(r#"{"reason":"QuarantineOnDemand"}"#)?;
    assert_eq!(q.reason, Some(QuarantineReason::QuarantinedOnDemand));
    assert_eq!(serde_json::to_value(&q)?["reason"], "QuarantinedOnDemand");
    let s: ProvisioningObjectSummary =
        serde_json::from_str(r#"{"id":"1","provisioningAction":"stageddelete"}"#)?;
    assert_eq!(s.action(), Some(ProvisioningAction::StagedDelete));
    assert_eq!(
        serde_json::to_value(&s)?["provisioningAction"],
        "stagedDelete"
    );
    Ok(())
}

#[test]
fn restart_scope_wire_format_matches_the_docs_byte_for_byte() -> TestResult {
    let scope = ResetScope::WATERMARK | ResetScope::ESCROWS | ResetScope::QUARANTINE_STATE;
    let body = serde_json::to_string(&RestartRequest::new(scope))?;
    assert_eq!(
        body,
        r#"{"criteria":{"resetScope":"Watermark, Escrows, QuarantineState"}}"#
    );
    assert_eq!(
        body,
        minify(&example_text("restart-synchronizationjob.request.v1.json"))
    );
    // And back.
    let parsed: RestartRequest = parse("restart-synchronizationjob.request.v1.json");
    assert_eq!(parsed.scope(), scope);
    assert_eq!(
        ResetScope::parse("Escrows,Watermark,QuarantineState")?,
        scope
    );
    Ok(())
}

#[test]
fn restart_beta_examples_round_trip_exactly() -> TestResult {
    for (file, scope) in [
        (
            "restart-synchronizationjob-full.request.beta.json",
            ResetScope::FULL,
        ),
        (
            "restart-synchronizationjob-forcedeletes.request.beta.json",
            ResetScope::FORCE_DELETES,
        ),
    ] {
        let body: RestartRequest = parse(file);
        assert_eq!(body.scope(), scope, "{file}");
        assert_eq!(
            serde_json::to_string(&body)?,
            minify(&example_text(file)),
            "{file}"
        );
    }
    assert_eq!(
        (ResetScope::FULL | ResetScope::FORCE_DELETES).to_wire(),
        "Full, ForceDeletes"
    );
    Ok(())
}

#[test]
fn restart_scope_errors_name_the_value_and_the_accepted_names() {
    let err = ResetScope::parse("Watermark, Escrow")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("\"Escrow\"") && err.contains("\"Watermark, Escrow\""),
        "{err}"
    );
    for name in [
        "None",
        "ConnectorDataStore",
        "Escrows",
        "Watermark",
        "QuarantineState",
        "Full",
        "ForceDeletes",
    ] {
        assert!(err.contains(name), "{err} lacks {name}");
    }
}

#[test]
fn adp_patch_bodies_match_the_examples_byte_for_byte() -> TestResult {
    let disable = OnPremisesDirectorySynchronizationPatch::disable_accidental_deletion_prevention();
    assert_eq!(
        serde_json::to_string(&disable)?,
        minify(&example_text(
            "patch-onpremisesdirectorysynchronization-disable-adp.aadcloudsynctools.request.json"
        ))
    );
    let mut docs = OnPremisesDirectorySynchronizationPatch::accidental_deletion_prevention(
        DeletionPreventionType::EnabledForCount,
        Some(500),
    );
    docs.features = Some(OnPremisesDirectorySynchronizationFeature {
        group_write_back_enabled: Some(true),
        ..Default::default()
    });
    assert_eq!(
        serde_json::to_string(&docs)?,
        minify(&example_text(
            "patch-onpremisesdirectorysynchronization.request.json"
        ))
    );
    let current: OnPremisesDirectorySynchronization =
        parse("get-onpremisesdirectorysynchronization.json");
    assert!(current.deletion_prevention_enabled());
    Ok(())
}

#[test]
fn provision_on_demand_answers_decode_to_the_documented_content() -> TestResult {
    for name in [
        "provisionondemand-adto3p",
        "provisionondemand-ad2aad-cloudsync",
    ] {
        let raw: ProvisionOnDemandResponse = parse(&format!("{name}.response.v1.json"));
        let decoded = raw.decode()?;
        let documented: DecodedProvisionOnDemand =
            parse(&format!("{name}.response.v1.decoded.json"));
        assert_eq!(decoded, documented, "{name}");
    }
    Ok(())
}

#[test]
fn provision_on_demand_strings_hold_what_the_decoded_schema_describes() {
    for name in [
        "provisionondemand-adto3p.response.v1.json",
        "provisionondemand-ad2aad-cloudsync.response.v1.json",
        "provisionondemand-group.response.v1.json",
    ] {
        let raw = example(name);
        let inner = |field: &str| -> Value {
            let text = raw[field]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: {field} is not a string"));
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{name}: {field} is not JSON: {e}"))
        };
        let decoded = serde_json::json!({"key": inner("key"), "value": inner("value")});
        assert_valid(
            "provisionOnDemand.decoded.schema.json",
            &format!("decoded {name}"),
            &decoded,
        );
    }
}

#[test]
fn provision_on_demand_app_example_explains_as_a_redundant_export_skip() -> TestResult {
    let raw: ProvisionOnDemandResponse = parse("provisionondemand-adto3p.response.v1.json");
    let decoded = raw.decode()?;
    assert_eq!(decoded.key.result, Some(ProvisioningResult::Skipped));
    assert_eq!(
        decoded.key.details.error_code.as_deref(),
        Some("RedundantExport")
    );
    let summary = decoded.to_summary();
    assert_eq!(summary.status(), Some(&ProvisioningResult::Skipped));
    assert_eq!(summary.action(), Some(ProvisioningAction::OtherAction));
    assert_eq!(
        summary.error().and_then(|e| e.error_code).as_deref(),
        Some("RedundantExport")
    );
    let skip = summary
        .decisive_step()
        .unwrap_or_else(|| panic!("a skipped step"));
    assert_eq!(
        skip.provisioning_step_type,
        Some(ProvisioningStepType::Export)
    );
    assert_eq!(skip.details.get("SkipReason"), Some("RedundantExport"));
    assert_eq!(summary.duration_in_milliseconds, Some(218));
    assert_eq!(
        summary
            .target_system
            .and_then(|s| s.display_name)
            .as_deref(),
        Some("customappsso")
    );
    // The converted summary is a valid provisioningObjectSummary.
    assert_valid(
        "provisioningObjectSummary.schema.json",
        "converted summary",
        &serde_json::to_value(decoded.to_summary())?,
    );
    Ok(())
}

#[test]
fn provision_on_demand_cloud_sync_example_converts_with_source_guid() -> TestResult {
    let raw: ProvisionOnDemandResponse =
        parse("provisionondemand-ad2aad-cloudsync.response.v1.json");
    let summary = ProvisioningObjectSummary::from(&raw.decode()?);
    assert_eq!(summary.status(), Some(&ProvisioningResult::Success));
    assert_eq!(summary.action(), Some(ProvisioningAction::Update));
    assert_eq!(
        summary
            .source_identity
            .as_ref()
            .and_then(|i| i.id.as_deref()),
        Some("38a2171b-8b04-4b21-8133-ca8ae52250f3")
    );
    assert_eq!(
        summary
            .source_system
            .as_ref()
            .and_then(|s| s.display_name.as_deref()),
        Some("Active Directory")
    );
    assert!(
        summary
            .provisioning_steps
            .iter()
            .all(|s| s.timestamp.is_some())
    );
    assert_eq!(summary.error(), None);
    Ok(())
}

#[test]
fn provision_on_demand_group_example_has_an_empty_value() -> TestResult {
    let raw: ProvisionOnDemandResponse = parse("provisionondemand-group.response.v1.json");
    let decoded = raw.decode()?;
    assert_eq!(decoded.value, None);
    assert_eq!(decoded.status(), Some(&ProvisioningResult::Success));
    let request: ProvisionOnDemandRequest = parse("provisionondemand-group.request.v1.json");
    let links = request.parameters[0].subjects[0]
        .links
        .as_ref()
        .map(|l| l.members.len());
    assert_eq!(links, Some(2));
    assert_eq!(
        request.parameters[0].rule_id,
        "33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2"
    );
    Ok(())
}

#[test]
fn beta_logs_fall_back_to_status_info_and_action() -> TestResult {
    let logs: ODataCollection<ProvisioningObjectSummary> =
        parse("list-provisioningobjectsummary.failure.beta.json");
    let mut s = logs.value[0].clone();
    assert_eq!(s.action(), Some(ProvisioningAction::Create));
    // Remove the v1.0 fields: the beta ones answer.
    s.provisioning_status_info = None;
    s.provisioning_action = None;
    assert_eq!(s.status(), Some(&ProvisioningResult::Failure));
    assert_eq!(s.action(), Some(ProvisioningAction::Create));
    let e = s.error().unwrap_or_else(|| panic!("beta error"));
    assert_eq!(e.error_code.as_deref(), Some("ContosoEntryConflict"));
    assert_eq!(
        e.error_category,
        Some(ProvisioningStatusErrorCategory::NonServiceFailure)
    );
    assert_eq!(
        s.status_info.as_ref().and_then(|i| i.odata_type.as_deref()),
        Some("#microsoft.graph.statusDetails")
    );
    Ok(())
}

#[test]
fn v1_logs_read_status_error_and_typo_initiator() {
    let logs: ODataCollection<ProvisioningObjectSummary> =
        parse("list-provisioningobjectsummary.failure.v1.json");
    let s = &logs.value[0];
    assert!(s.is_failure());
    assert_eq!(
        s.error().and_then(|e| e.error_code).as_deref(),
        Some("ContosoEntryConflict")
    );
    assert_eq!(
        s.decisive_step().and_then(|st| st.name.as_deref()),
        Some("EntryExportAdd")
    );
    let ok: ODataCollection<ProvisioningObjectSummary> =
        parse("list-provisioningobjectsummary.success.v1.json");
    assert_eq!(
        ok.value[0]
            .initiated_by
            .as_ref()
            .and_then(|i| i.initiator_type.clone()),
        Some(InitiatorType::System)
    );
    assert_eq!(
        ok.value[0]
            .service_principal
            .as_ref()
            .and_then(|p| p.id.as_deref()),
        Some("6cc35b93-185a-4485-a519-50c09549g3ad")
    );
}

#[test]
fn agents_example_reads_active_with_groups() {
    let agents: ODataCollection<OnPremisesAgent> =
        parse("list-onpremisesagents.provisioning.beta.json");
    assert!(agents.value[0].is_active());
    assert_eq!(
        agents.value[0].agent_groups[0].display_name.as_deref(),
        Some("Group 1")
    );
}

#[test]
fn sync_notification_settings_round_trip_inside_the_secrets_body() -> TestResult {
    let secrets: SynchronizationSecrets =
        parse("put-synchronization-secrets-syncnotificationsettings.request.beta.json");
    let settings = secrets
        .sync_notification_settings()
        .unwrap_or_else(|| panic!("present"))?;
    assert_eq!(settings.delete_threshold_value, Some(50));
    assert_eq!(settings.recipients.as_deref(), Some("foobar@xyz.com"));
    assert_eq!(
        Some(settings.to_secret_value()?.as_str()),
        secrets.get(&SynchronizationSecret::SyncNotificationSettings)
    );
    Ok(())
}

#[test]
fn error_envelope_example_and_fixture_give_codes_and_request_ids() {
    let e: GraphErrorEnvelope = parse("graph-error-envelope.json");
    assert_eq!(e.error.code, "invalidRange");
    assert_eq!(e.error.request_id(), Some("request-id"));
    let fixture: GraphErrorEnvelope = serde_json::from_value(read_json(
        &repo().join("wiremock-fixtures/graphError.forbidden-nested.json"),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixture.error.most_specific_code(), "missingRole");
}

#[test]
fn missing_and_null_collections_default_to_empty() -> TestResult {
    let page: ODataCollection<ProvisioningObjectSummary> =
        serde_json::from_str(r#"{"value":null}"#)?;
    assert!(page.value.is_empty() && !page.has_next());
    let s: ProvisioningObjectSummary =
        serde_json::from_str(r#"{"id":"1","provisioningSteps":null,"modifiedProperties":null}"#)?;
    assert!(s.provisioning_steps.is_empty() && s.modified_properties.is_empty());
    let job: SynchronizationJob = serde_json::from_str(
        r#"{"id":"j","status":{"code":"Active","progress":null,"synchronizedEntryCountByType":null}}"#,
    )?;
    assert!(job.synchronization_job_settings.is_empty());
    Ok(())
}

#[test]
fn fixtures_read_as_the_scenarios_they_stage() {
    let fixture = |name: &str| read_json(&repo().join("wiremock-fixtures").join(name));
    let job: SynchronizationJob = serde_json::from_value(fixture(
        "synchronizationJob.cloudsync-no-active-agents.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(job.is_quarantined() && job.is_cloud_sync());
    assert_eq!(
        job.quarantine()
            .and_then(|q| q.error.as_ref())
            .and_then(|e| e.code.as_deref()),
        Some("HybridIdentityServiceNoActiveAgents")
    );
    assert_eq!(
        job.interval().and_then(GraphDuration::as_duration),
        Some(std::time::Duration::from_secs(120))
    );
    let agents: ODataCollection<OnPremisesAgent> =
        serde_json::from_value(fixture("onPremisesAgent.list.one-inactive.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(agents.value.iter().filter(|a| a.is_active()).count(), 1);
    let dirsync: OnPremisesDirectorySynchronization = serde_json::from_value(fixture(
        "onPremisesDirectorySynchronization.beta-connect-sync.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let adp = dirsync
        .accidental_deletion_prevention()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        adp.synchronization_prevention_type,
        Some(DeletionPreventionType::EnabledForPercentage)
    );
    let interval = dirsync
        .configuration
        .as_ref()
        .and_then(|c| c.synchronization_interval.as_ref());
    assert_eq!(
        interval.map(|i| i.describe()).as_deref(),
        Some("every 30 minutes")
    );
    let page: ODataCollection<ProvisioningObjectSummary> = serde_json::from_value(fixture(
        "provisioningObjectSummary.list.cloudsync-skipped-page1.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(page.has_next());
    let skipped = &page.value[0];
    assert!(skipped.is_skipped());
    assert_eq!(
        skipped
            .decisive_step()
            .and_then(|s| s.details.get("SkipReason")),
        Some("NotEffectivelyEntitled")
    );
    let sps: ODataCollection<ServicePrincipal> =
        serde_json::from_value(fixture("servicePrincipal.list.cloudsync.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sps.value.iter().filter(|s| s.is_cloud_sync()).count(), 1);
    let batch: BatchResponse = serde_json::from_value(fixture("batch.response.job-lists.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batch.get("2").map(|r| r.is_success()), Some(false));
    assert_eq!(
        batch
            .get("1")
            .and_then(|r| r.header("content-type"))
            .map(|h| h.starts_with("application/json")),
        Some(true)
    );
}
