//! Conformance of the Graph emulator against the contract in `graph-schemas/` and Microsoft's
//! documented payloads (`tests/fixtures/reference/examples`): each reference request is sent to the
//! emulator over real HTTPS (its generated CA as an extra root), and every answer body — resources,
//! collections, `$batch` items, the decoded provisionOnDemand strings and every error envelope — must
//! validate against its schema. `sim_graph` covers the emulator's behaviour; this file covers
//! the shapes it serves.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use provctl::sim::{Sim, SimConfig, SimHandle, TenantSource, ThrottleConfig, TokenSpec, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::emulator::{Reply, send};
use crate::support::graph_schemas::{LocalSchemas, SCHEMA_BASE, examples_dir, read_json};

const APP_ROLES: &[&str] = &[
    "Application.Read.All",
    "Synchronization.ReadWrite.All",
    "ProvisioningLog.Read.All",
];
/// The Microsoft Graph Command Line Tools client id, as an admin signs in with it.
const CLI_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
const ADMIN: &str = "admin@contoso.com";
const USER_SCOPES: &[&str] = &[
    "Policy.Read.HybridAuthentication",
    "OnPremisesPublishingProfiles.ReadWrite.All",
    "OnPremDirectorySynchronization.ReadWrite.All",
];

/// One emulator and an HTTPS client that trusts its CA.
struct Graph {
    sim: SimHandle,
    client: reqwest::Client,
    base: String,
}

impl Graph {
    async fn start(config: SimConfig) -> Self {
        let sim = Sim::start(config).await.expect("emulator starts");
        let ca = reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).expect("CA PEM parses");
        let client = reqwest::Client::builder()
            .add_root_certificate(ca)
            .build()
            .expect("client builds");
        let base = sim.base_url().to_string();
        Self { sim, client, base }
    }

    async fn demo() -> Self {
        Self::start(SimConfig::for_tests()).await
    }

    async fn unthrottled() -> Self {
        let mut config = SimConfig::for_tests();
        config.throttle = ThrottleConfig::off();
        Self::start(config).await
    }

    fn app_token(&self) -> String {
        self.sim
            .issue_token(TokenSpec::app(demo::CLIENT_ID, APP_ROLES))
    }

    fn user_token(&self) -> String {
        self.sim
            .issue_token(TokenSpec::delegated(CLI_CLIENT, ADMIN, USER_SCOPES))
    }

    /// Send `method {base}{path}`; `path` starts with the version (`v1.0/...`, `beta/...`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        client_request_id: Option<&str>,
    ) -> Reply {
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        send(&self.client, method, &url, token, body, client_request_id).await
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    /// GET that must answer 200 with a body valid against `schema`.
    async fn get_valid(&self, path: &str, token: &str, schema: &str) -> Value {
        let r = self.get(path, token).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        assert_valid(schema, &format!("GET {path}"), &r.json);
        r.json
    }

    /// Every page of a collection (following `@odata.nextLink`), each page validated.
    async fn crawl_valid(&self, first: &str, token: &str, schema: &str) -> Vec<Value> {
        let mut url = first.to_string();
        let mut out = Vec::new();
        loop {
            let page = self.get_valid(&url, token, schema).await;
            out.extend(page["value"].as_array().cloned().unwrap_or_default());
            match page["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_string(),
                None => return out,
            }
        }
    }
}

/// Validators built so far, by reference (`file.json` or `file.json#/$defs/x`): building one is the
/// slow part of validating, and the crawls below validate hundreds of pages.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn validator(reference: &str) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(reference.to_string())
        .or_insert_with(|| {
            let wrapper = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$ref": format!("{SCHEMA_BASE}{reference}"),
            });
            let v = jsonschema::options()
                .with_retriever(LocalSchemas)
                .should_validate_formats(true)
                .build(&wrapper)
                .unwrap_or_else(|e| panic!("schema {reference} does not build: {e}"));
            Arc::new(v)
        })
        .clone()
}

/// Fails with every error of `instance` against a schema file or a part of one
/// (`file.json#/$defs/x`); formats checked, references resolved locally.
fn assert_valid(reference: &str, what: &str, instance: &Value) {
    let errors: Vec<String> = validator(reference)
        .iter_errors(instance)
        .map(|e| format!("  at {}: {}", e.instance_path(), e))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against {reference}:\n{}",
        errors.join("\n")
    );
}

fn example(name: &str) -> Value {
    read_json(&examples_dir().join(name))
}

fn job_path(ver: &str, sp: &str, job: &str) -> String {
    format!("{ver}/servicePrincipals/{sp}/synchronization/jobs/{job}")
}

/// Every key path of `reference` exists in `actual` with a value of the same JSON type
/// (arrays: the first reference item against every actual item).
fn assert_same_shape(reference: &Value, actual: &Value, at: &str) {
    match (reference, actual) {
        (Value::Object(r), Value::Object(a)) => {
            for (k, rv) in r {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}/{k} is missing from {actual}"));
                assert_same_shape(rv, av, &format!("{at}/{k}"));
            }
        }
        (Value::Array(r), Value::Array(a)) => {
            if let Some(first) = r.first() {
                for (i, av) in a.iter().enumerate() {
                    assert_same_shape(first, av, &format!("{at}/{i}"));
                }
            }
        }
        (r, a) => assert_eq!(
            std::mem::discriminant(r),
            std::mem::discriminant(a),
            "{at}: reference {r} vs emulator {a}"
        ),
    }
}

/// `actual` carries every key of `reference` (one level; both must be objects to compare).
fn assert_has_keys(reference: &Value, actual: &Value, at: &str) {
    if let (Some(r), Some(a)) = (reference.as_object(), actual.as_object()) {
        for k in r.keys() {
            assert!(a.contains_key(k), "{at} lacks {k}: {actual}");
        }
    }
}

/// A job carries every property of the documented GET job answer, down to status and schedule.
fn assert_job_like_the_reference(job: &Value, at: &str) {
    let reference = example("get-synchronizationjob.v1.json");
    assert_has_keys(&reference, job, at);
    for part in ["status", "schedule"] {
        assert_has_keys(&reference[part], &job[part], &format!("{at}/{part}"));
    }
    assert_has_keys(
        &reference["status"]["quarantine"],
        &job["status"]["quarantine"],
        &format!("{at}/status/quarantine"),
    );
}

#[tokio::test]
async fn a_broken_document_fails_its_schema() {
    // The checks below are only worth something if the validator bites.
    let g = Graph::demo().await;
    let mut job = g
        .sim
        .job(demo::SP_CORP, demo::JOB_CORP_PROVISIONING)
        .expect("demo job");
    assert!(validator("synchronizationJob.schema.json").is_valid(&job));
    job["status"]["countSuccessiveCompleteFailures"] = json!("3");
    job["status"]["code"] = json!("Sleeping");
    assert!(!validator("synchronizationJob.schema.json").is_valid(&job));
    assert!(!validator("graphError.schema.json").is_valid(&json!({"error": {"code": 400}})));
}

#[tokio::test]
async fn jobs_list_get_and_schema_validate_in_both_versions() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let sps = g.sim.service_principals_with_jobs();
    assert!(sps.len() >= 6, "{sps:?}");
    for ver in ["v1.0", "beta"] {
        for sp in &sps {
            let list = g
                .get_valid(
                    &format!("{ver}/servicePrincipals/{sp}/synchronization/jobs"),
                    &t,
                    "synchronizationJob.list.schema.json",
                )
                .await;
            let jobs = list["value"].as_array().expect("value array");
            assert!(!jobs.is_empty());
            for job in jobs {
                let id = job["id"].as_str().expect("job id");
                let one = g
                    .get_valid(&job_path(ver, sp, id), &t, "synchronizationJob.schema.json")
                    .await;
                assert_eq!(one["id"], job["id"]);
                assert_job_like_the_reference(&one, &format!("{ver} job {id}"));
            }
        }
    }
    g.get_valid(
        &format!(
            "{}/schema",
            job_path("v1.0", demo::SP_CORP, demo::JOB_CORP_PROVISIONING)
        ),
        &t,
        "synchronizationSchema.schema.json",
    )
    .await;
}

#[tokio::test]
async fn restart_bodies_from_the_examples_answer_204_and_jobs_stay_valid_through_the_run() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let cases = [
        (
            "restart-synchronizationjob.request.v1.json",
            "v1.0",
            demo::SP_CORP,
            demo::JOB_CORP_PROVISIONING,
        ),
        (
            "restart-synchronizationjob-forcedeletes.request.beta.json",
            "beta",
            demo::SP_EMEA,
            demo::JOB_EMEA_PROVISIONING,
        ),
        (
            "restart-synchronizationjob-full.request.beta.json",
            "beta",
            demo::SP_SALESFORCE,
            demo::JOB_SALESFORCE,
        ),
    ];
    for (file, ver, sp, job) in cases {
        let body = example(file);
        assert_valid("restart.request.schema.json", file, &body);
        let path = job_path(ver, sp, job);
        let r = g
            .send(
                Method::POST,
                &format!("{path}/restart"),
                Some(&t),
                Some(&body),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{file}: {}", r.text);
        assert!(r.text.is_empty(), "204 has no body: {}", r.text);
        // Mid-run: progress is reported.
        let mid = g
            .get_valid(&path, &t, "synchronizationJob.schema.json")
            .await;
        assert!(mid["status"]["progress"].is_array(), "{file}");
        assert_job_like_the_reference(&mid, file);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // After the run: a fresh lastExecution (and, for Salesforce, a new quarantine).
    for (file, ver, sp, job) in cases {
        let done = g
            .get_valid(
                &job_path(ver, sp, job),
                &t,
                "synchronizationJob.schema.json",
            )
            .await;
        assert!(done["status"]["lastExecution"].is_object(), "{file}");
        assert_job_like_the_reference(&done, file);
    }
}

#[tokio::test]
async fn provisioning_logs_validate_in_v1_and_beta_including_the_records_a_run_writes() {
    let g = Graph::unthrottled().await;
    let t = g.app_token();
    let path = job_path("v1.0", demo::SP_SERVICENOW, demo::JOB_SERVICENOW);
    let r = g
        .send(
            Method::POST,
            &format!("{path}/restart"),
            Some(&t),
            Some(&json!({"criteria": {"resetScope": "Escrows"}})),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The GET completes the run, which appends its log records.
    g.get_valid(&path, &t, "synchronizationJob.schema.json")
        .await;
    let v1 = g
        .crawl_valid(
            "v1.0/auditLogs/provisioning?$top=7",
            &t,
            "provisioningObjectSummary.list.schema.json",
        )
        .await;
    let beta = g
        .crawl_valid(
            "beta/auditLogs/provisioning?$top=7",
            &t,
            "provisioningObjectSummary.beta.list.schema.json",
        )
        .await;
    assert_eq!(v1.len(), beta.len());
    assert!(v1.len() >= 30, "{}", v1.len());
    for rec in &v1 {
        assert_valid("provisioningObjectSummary.schema.json", "v1.0 record", rec);
    }
    // The reference pages have the same shape as what the emulator serves, record by record.
    let success = &example("list-provisioningobjectsummary.success.v1.json")["value"][0];
    let ok = v1
        .iter()
        .find(|r| r["provisioningStatusInfo"]["status"] == "success")
        .expect("a successful record");
    for key in success.as_object().expect("object").keys() {
        if key == "initiatedBy" {
            continue; // the docs' example misspells initiatorType (see SOURCES.md)
        }
        assert!(ok.get(key).is_some(), "success record lacks {key}: {ok}");
    }
    let failure = &example("list-provisioningobjectsummary.failure.v1.json")["value"][0];
    let bad = v1
        .iter()
        .find(|r| r["provisioningStatusInfo"]["status"] == "failure")
        .expect("a failed record");
    assert_same_shape(
        &failure["provisioningStatusInfo"],
        &bad["provisioningStatusInfo"],
        "provisioningStatusInfo",
    );
    let beta_failure = beta
        .iter()
        .find(|r| r["provisioningStatusInfo"]["status"] == "failure")
        .expect("a failed beta record");
    let reference = &example("list-provisioningobjectsummary.failure.beta.json")["value"][0];
    assert_same_shape(
        &reference["statusInfo"],
        &beta_failure["statusInfo"],
        "statusInfo",
    );
}

#[tokio::test]
async fn generated_tenant_jobs_and_logs_validate() {
    let mut config = SimConfig::for_tests();
    config.throttle = ThrottleConfig::off();
    config.tenant = TenantSource::Generate(
        "sps=12,jobs=6,logs=600,seed=7"
            .parse()
            .expect("generate spec"),
    );
    let g = Graph::start(config).await;
    let t = g
        .sim
        .issue_token(TokenSpec::app(&g.sim.demo_app().client_id, APP_ROLES));
    g.crawl_valid(
        "v1.0/servicePrincipals?$top=5",
        &t,
        "servicePrincipal.list.schema.json",
    )
    .await;
    for sp in g.sim.service_principals_with_jobs() {
        g.get_valid(
            &format!("beta/servicePrincipals/{sp}/synchronization/jobs"),
            &t,
            "synchronizationJob.list.schema.json",
        )
        .await;
    }
    let v1 = g
        .crawl_valid(
            "v1.0/auditLogs/provisioning?$top=250",
            &t,
            "provisioningObjectSummary.list.schema.json",
        )
        .await;
    assert_eq!(v1.len(), 600);
    g.crawl_valid(
        "beta/auditLogs/provisioning?$top=250&$filter=provisioningStatusInfo/status eq 'failure'",
        &t,
        "provisioningObjectSummary.beta.list.schema.json",
    )
    .await;
}

#[tokio::test]
async fn agents_groups_and_published_resources_validate() {
    let g = Graph::demo().await;
    let t = g.user_token();
    let base = "beta/onPremisesPublishingProfiles/provisioning";
    let agents = g
        .get_valid(
            &format!("{base}/agents?$expand=agentGroups"),
            &t,
            "onPremisesAgent.list.schema.json",
        )
        .await;
    let reference = example("list-onpremisesagents.provisioning.beta.json");
    for agent in agents["value"].as_array().expect("value") {
        assert_same_shape(&reference["value"][0], agent, "agent");
    }
    g.get_valid(
        &format!("{base}/agents"),
        &t,
        "onPremisesAgent.list.schema.json",
    )
    .await;
    let id = agents["value"][0]["id"].as_str().expect("agent id");
    g.get_valid(
        &format!("{base}/agents/{id}?$expand=agentGroups"),
        &t,
        "onPremisesAgent.schema.json",
    )
    .await;
    g.get_valid(
        &format!("{base}/agentGroups?$expand=agents"),
        &t,
        "onPremisesAgentGroup.list.schema.json",
    )
    .await;
    g.get_valid(
        &format!("{base}/publishedResources?$expand=agentGroups"),
        &t,
        "publishedResource.list.schema.json",
    )
    .await;
}

#[tokio::test]
async fn on_premises_synchronization_get_and_the_example_patches_validate() {
    let g = Graph::demo().await;
    let t = g.user_token();
    let tenant = g.sim.tenant_id().to_string();
    let one = format!("beta/directory/onPremisesSynchronization/{tenant}");
    let doc = g
        .get_valid(&one, &t, "onPremisesDirectorySynchronization.schema.json")
        .await;
    let reference = example("get-onpremisesdirectorysynchronization.json");
    assert_same_shape(&reference, &doc, "onPremisesSynchronization");
    for ver in ["v1.0", "beta"] {
        g.get_valid(
            &format!("{ver}/directory/onPremisesSynchronization"),
            &t,
            "onPremisesDirectorySynchronization.list.schema.json",
        )
        .await;
    }
    for file in [
        "patch-onpremisesdirectorysynchronization.request.json",
        "patch-onpremisesdirectorysynchronization-disable-adp.aadcloudsynctools.request.json",
    ] {
        let body = example(file);
        assert_valid(
            "onPremisesDirectorySynchronization.patch.request.schema.json",
            file,
            &body,
        );
        let r = g
            .send(Method::PATCH, &one, Some(&t), Some(&body), None)
            .await;
        assert_eq!(r.status, 204, "{file}: {}", r.text);
        let after = g
            .get_valid(&one, &t, "onPremisesDirectorySynchronization.schema.json")
            .await;
        assert_eq!(
            after["configuration"]["accidentalDeletionPrevention"]["synchronizationPreventionType"],
            body["configuration"]["accidentalDeletionPrevention"]["synchronizationPreventionType"],
            "{file}"
        );
        g.get_valid(
            "v1.0/directory/onPremisesSynchronization",
            &t,
            "onPremisesDirectorySynchronization.list.schema.json",
        )
        .await;
    }
}

#[tokio::test]
async fn provision_on_demand_answers_all_three_subject_shapes_with_valid_decoded_strings() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let cases = [
        (
            "provisionondemand-adto3p",
            demo::SP_SERVICENOW,
            demo::JOB_SERVICENOW,
        ),
        (
            "provisionondemand-ad2aad-cloudsync",
            demo::SP_CORP,
            demo::JOB_CORP_PROVISIONING,
        ),
        ("provisionondemand-group", demo::SP_BOX, demo::JOB_BOX),
    ];
    for (stem, sp, job) in cases {
        let body = example(&format!("{stem}.request.v1.json"));
        assert_valid("provisionOnDemand.request.schema.json", stem, &body);
        let r = g
            .send(
                Method::POST,
                &format!("{}/provisionOnDemand", job_path("v1.0", sp, job)),
                Some(&t),
                Some(&body),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{stem}: {}", r.text);
        assert_valid("provisionOnDemand.response.schema.json", stem, &r.json);
        let decode = |field: &str| -> Value {
            let s = r.json[field]
                .as_str()
                .unwrap_or_else(|| panic!("{stem}: {field} is not a string"));
            serde_json::from_str(s)
                .unwrap_or_else(|e| panic!("{stem}: {field} is not JSON ({e}): {s}"))
        };
        let decoded = json!({"key": decode("key"), "value": decode("value")});
        assert_valid("provisionOnDemand.decoded.schema.json", stem, &decoded);
        assert_valid(
            "provisionOnDemand.decoded.schema.json#/$defs/key",
            stem,
            &decoded["key"],
        );
        assert_valid(
            "provisionOnDemand.decoded.schema.json#/$defs/value",
            stem,
            &decoded["value"],
        );
        // Same keys as Microsoft's answer to the same request.
        let reference = if stem == "provisionondemand-group" {
            let raw = example(&format!("{stem}.response.v1.json"));
            json!({
                "key": serde_json::from_str::<Value>(raw["key"].as_str().unwrap_or("null")).unwrap_or(Value::Null),
                "value": serde_json::from_str::<Value>(raw["value"].as_str().unwrap_or("null")).unwrap_or(Value::Null),
            })
        } else {
            example(&format!("{stem}.response.v1.decoded.json"))
        };
        assert_eq!(
            decoded["key"]["result"], reference["key"]["result"],
            "{stem}"
        );
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        assert_eq!(
            keys(&decoded["value"]),
            keys(&reference["value"]),
            "{stem}: value keys"
        );
        if let Some(steps) = reference["value"]["provisioningSteps"].as_array() {
            let ours = decoded["value"]["provisioningSteps"]
                .as_array()
                .expect("steps");
            for step in ours {
                for k in [
                    "name",
                    "type",
                    "status",
                    "description",
                    "timestamp",
                    "details",
                ] {
                    assert!(
                        steps[0].get(k).is_some() && step.get(k).is_some(),
                        "{stem}: step lacks {k}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn secrets_put_from_the_example_then_get_validates() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let path = format!(
        "beta/servicePrincipals/{}/synchronization/secrets",
        demo::SP_CORP
    );
    let body = example("put-synchronization-secrets-syncnotificationsettings.request.beta.json");
    assert_valid(
        "synchronizationSecrets.request.schema.json",
        "PUT body",
        &body,
    );
    let r = g
        .send(Method::PUT, &path, Some(&t), Some(&body), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let got = g
        .get_valid(&path, &t, "synchronizationSecrets.request.schema.json")
        .await;
    assert_eq!(got["value"], body["value"]);
    let settings: Value = serde_json::from_str(
        got["value"][0]["value"]
            .as_str()
            .expect("SyncNotificationSettings value is a string"),
    )
    .expect("SyncNotificationSettings is JSON");
    assert_valid(
        "synchronizationSecrets.request.schema.json#/$defs/syncNotificationSettings",
        "SyncNotificationSettings",
        &settings,
    );
}

#[tokio::test]
async fn validate_credentials_from_the_example_is_204_or_a_valid_400_envelope() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let body = example("validatecredentials.request.v1.json");
    assert_valid("validateCredentials.request.schema.json", "body", &body);
    let ok = g
        .send(
            Method::POST,
            &format!(
                "{}/validateCredentials",
                job_path("v1.0", demo::SP_SERVICENOW, demo::JOB_SERVICENOW)
            ),
            Some(&t),
            Some(&body),
            None,
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    let bad = g
        .send(
            Method::POST,
            &format!(
                "{}/validateCredentials",
                job_path("v1.0", demo::SP_SALESFORCE, demo::JOB_SALESFORCE)
            ),
            Some(&t),
            Some(&body),
            Some("vc-1"),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_error_envelope(&bad, "vc-1", "validateCredentials 400");
}

#[tokio::test]
async fn service_principals_list_and_get_validate() {
    let g = Graph::demo().await;
    let t = g.app_token();
    for ver in ["v1.0", "beta"] {
        let all = g
            .crawl_valid(
                &format!("{ver}/servicePrincipals?$top=3"),
                &t,
                "servicePrincipal.list.schema.json",
            )
            .await;
        assert!(all.len() >= 8);
        g.get_valid(
            &format!("{ver}/servicePrincipals?$filter=applicationTemplateId eq '1a4721b3-e57f-4451-ae87-ef078703ec94'&$select=id,appId,displayName,applicationTemplateId"),
            &t,
            "servicePrincipal.list.schema.json",
        )
        .await;
        g.get_valid(
            &format!("{ver}/servicePrincipals/{}", demo::SP_CORP),
            &t,
            "servicePrincipal.schema.json",
        )
        .await;
    }
}

#[tokio::test]
async fn batch_response_and_every_item_body_validate() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let restart = example("restart-synchronizationjob.request.v1.json");
    let request = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/servicePrincipals/{}/synchronization/jobs", demo::SP_CORP)},
        {"id": "2", "method": "GET", "url": format!("/servicePrincipals/{}/synchronization/jobs/{}", demo::SP_CORP, demo::JOB_CORP_PHS)},
        {"id": "3", "method": "POST", "url": format!("/servicePrincipals/{}/synchronization/jobs/{}/restart", demo::SP_CORP, demo::JOB_CORP_PROVISIONING),
         "headers": {"Content-Type": "application/json"}, "body": restart},
        {"id": "4", "method": "GET", "url": "/auditLogs/provisioning?$top=2"},
        {"id": "5", "method": "GET", "url": "/servicePrincipals/00000000-0000-0000-0000-00000000dead"},
        {"id": "6", "method": "GET", "url": "/servicePrincipals?$top=2"}
    ]});
    assert_valid("batch.request.schema.json", "batch request", &request);
    let r = g
        .send(Method::POST, "v1.0/$batch", Some(&t), Some(&request), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_valid("batch.response.schema.json", "batch response", &r.json);
    let item = |id: &str| -> Value {
        r.json["responses"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("no response {id}: {}", r.text))
    };
    let expect = [
        ("1", 200, Some("synchronizationJob.list.schema.json")),
        ("2", 200, Some("synchronizationJob.schema.json")),
        ("3", 204, None),
        ("4", 200, Some("provisioningObjectSummary.list.schema.json")),
        ("5", 404, Some("graphError.schema.json")),
        ("6", 200, Some("servicePrincipal.list.schema.json")),
    ];
    for (id, status, schema) in expect {
        let it = item(id);
        assert_eq!(it["status"], status, "item {id}: {it}");
        match schema {
            Some(s) => assert_valid(s, &format!("$batch item {id}"), &it["body"]),
            None => assert!(
                it.get("body").is_none_or(Value::is_null),
                "item {id}: 204 without body: {it}"
            ),
        }
    }
}

/// The reference envelope's shape, plus what current Graph sends: ids echoed in body and headers.
fn assert_error_envelope(r: &Reply, client_request_id: &str, what: &str) {
    assert_valid("graphError.schema.json", what, &r.json);
    assert_same_shape(&example("graph-error-envelope.json"), &r.json, what);
    let err = &r.json["error"];
    assert!(
        err["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{what}: {}",
        r.text
    );
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {}",
        r.text
    );
    let inner = &err["innerError"];
    let date = inner["date"].as_str().unwrap_or("");
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{what}: innerError.date {date:?} is not Graph's date"
    );
    let header = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_string()
    };
    let request_id = header("request-id");
    assert!(uuid::Uuid::parse_str(&request_id).is_ok(), "{what}");
    assert_eq!(inner["request-id"], request_id.as_str(), "{what}");
    assert_eq!(header("client-request-id"), client_request_id, "{what}");
    assert_eq!(inner["client-request-id"], client_request_id, "{what}");
    assert!(
        header("content-type").starts_with("application/json"),
        "{what}"
    );
}

/// (what, method, path, token, body, expected status)
type ErrorCase<'a> = (
    &'a str,
    Method,
    String,
    Option<&'a str>,
    Option<&'a Value>,
    u16,
);

#[tokio::test]
async fn every_error_the_emulator_answers_is_a_valid_graph_envelope() {
    let g = Graph::demo().await;
    let t = g.app_token();
    let corp = job_path("v1.0", demo::SP_CORP, demo::JOB_CORP_PROVISIONING);
    let jobs = format!(
        "v1.0/servicePrincipals/{}/synchronization/jobs",
        demo::SP_CORP
    );
    let expired = g
        .sim
        .issue_token(TokenSpec::app(demo::CLIENT_ID, APP_ROLES).with_lifetime(Duration::ZERO));
    let reader = g.sim.issue_token(TokenSpec::app(
        demo::CLIENT_ID,
        &["Synchronization.Read.All", "Application.Read.All"],
    ));
    let app_all = g.sim.issue_token(TokenSpec::app(
        demo::CLIENT_ID,
        &[
            "Directory.ReadWrite.All",
            "Policy.Read.HybridAuthentication",
            "OnPremisesPublishingProfiles.ReadWrite.All",
        ],
    ));
    let restart = format!("{corp}/restart");
    let bad_scope = json!({"criteria": {"resetScope": "Watermark, Bogus"}});
    let cases: Vec<ErrorCase> = vec![
        (
            "400 bad resetScope",
            Method::POST,
            restart.clone(),
            Some(&t),
            Some(&bad_scope),
            400,
        ),
        (
            "400 bad $filter",
            Method::GET,
            "v1.0/auditLogs/provisioning?$filter=foo eq 'x'".into(),
            Some(&t),
            None,
            400,
        ),
        (
            "400 $top too large",
            Method::GET,
            "v1.0/servicePrincipals?$top=1000".into(),
            Some(&t),
            None,
            400,
        ),
        ("401 no token", Method::GET, jobs.clone(), None, None, 401),
        (
            "401 expired token",
            Method::GET,
            jobs.clone(),
            Some(&expired),
            None,
            401,
        ),
        (
            "403 missing permission",
            Method::POST,
            restart.clone(),
            Some(&reader),
            Some(&bad_scope),
            403,
        ),
        (
            "403 app-only token on agents",
            Method::GET,
            "beta/onPremisesPublishingProfiles/provisioning/agents".into(),
            Some(&app_all),
            None,
            403,
        ),
        (
            "404 unknown service principal",
            Method::GET,
            "v1.0/servicePrincipals/00000000-0000-0000-0000-00000000dead".into(),
            Some(&t),
            None,
            404,
        ),
        (
            "404 unknown job",
            Method::GET,
            format!("{jobs}/AD2AADProvisioning.nope"),
            Some(&t),
            None,
            404,
        ),
    ];
    for (i, (what, method, path, token, body, status)) in cases.into_iter().enumerate() {
        let id = format!("conformance-{i}");
        let r = g.send(method, &path, token, body, Some(&id)).await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_error_envelope(&r, &id, what);
        if status == 401 {
            assert!(r.headers.contains_key("www-authenticate"), "{what}");
        }
    }
    // 429: exhaust the logs budget (5 per 10 s by default).
    let logs = "v1.0/auditLogs/provisioning?$top=1";
    let mut throttled = None;
    for i in 0..8 {
        let id = format!("logs-{i}");
        let r = g.send(Method::GET, logs, Some(&t), None, Some(&id)).await;
        if r.status == 429 {
            throttled = Some((r, id));
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let (r, id) = throttled.expect("the logs budget runs out");
    assert_error_envelope(&r, &id, "429 logs budget");
    assert_eq!(r.json["error"]["code"], "TooManyRequests");
    let retry: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=10).contains(&retry), "{retry}");
    // Without a client-request-id, Graph echoes its own request-id.
    let r = g.send(Method::GET, &jobs, None, None, None).await;
    assert_valid("graphError.schema.json", "no client id", &r.json);
    assert_eq!(
        r.json["error"]["innerError"]["client-request-id"],
        r.json["error"]["innerError"]["request-id"]
    );
}

#[tokio::test]
async fn tenant_without_an_active_agent_is_served_for_agents_check() {
    let mut config = SimConfig::for_tests();
    config.tenant = TenantSource::File("tests/fixtures/sim-tenant-no-active-agent.json".into());
    let g = Graph::start(config).await;
    let t = g.sim.issue_token(TokenSpec::delegated(
        CLI_CLIENT,
        "admin@fabrikam.onmicrosoft.com",
        USER_SCOPES,
    ));
    let base = "beta/onPremisesPublishingProfiles/provisioning";
    let resources = g
        .get_valid(
            &format!("{base}/publishedResources?$expand=agentGroups"),
            &t,
            "publishedResource.list.schema.json",
        )
        .await;
    let resources = resources["value"].as_array().expect("value");
    assert_eq!(resources.len(), 2);
    let groups_of = |name: &str| -> Vec<Value> {
        resources
            .iter()
            .find(|r| r["displayName"] == name)
            .and_then(|r| r["agentGroups"].as_array().cloned())
            .unwrap_or_else(|| panic!("no published resource {name}"))
    };
    assert_eq!(groups_of("fabrikam.local").len(), 1);
    assert!(groups_of("branch.fabrikam.local").is_empty());
    let groups = g
        .get_valid(
            &format!("{base}/agentGroups?$expand=agents"),
            &t,
            "onPremisesAgentGroup.list.schema.json",
        )
        .await;
    let agents = groups["value"][0]["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["status"], "inactive");
    let all = g
        .get_valid(
            &format!("{base}/agents?$expand=agentGroups"),
            &t,
            "onPremisesAgent.list.schema.json",
        )
        .await;
    assert!(
        all["value"]
            .as_array()
            .expect("value")
            .iter()
            .all(|a| a["status"] != "active")
    );
}
