//! Request-shape tests of `provctl::graph::sync` against wiremock: the exact restart bodies (from
//! `wiremock-fixtures/jobs/`), the start/pause paths with a dotted job id kept as one segment,
//! `$batch` discovery (request count, 404 skipped, refusals and other item errors reported; the
//! per-item 403s of Microsoft's documented batch answer read as a missing permission) and the
//! wait loop. Unmatched requests hit a catch-all 500 so they fail loudly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use provctl::graph::RetryPolicy;
use provctl::graph::model::ResetScope;
use provctl::graph::sync::{self, DiscoverOptions, JobKey, RunMarker, WaitOptions, WaitOutcome};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_string, method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::graph_mock::{client, server};

const SP: &str = "sp-1";
const JOB: &str =
    "AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da.26effcb4-3ce8-4076-bfbb-79ebc0be0481";

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/wiremock-fixtures/jobs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn job_path(action: &str) -> String {
    format!("/v1.0/servicePrincipals/{SP}/synchronization/jobs/{JOB}{action}")
}

#[tokio::test]
async fn restart_bodies_are_exactly_what_the_docs_send() {
    let cases = [
        (
            "watermark,escrows,quarantine",
            "restart-watermark-escrows-quarantine.request.json",
        ),
        ("Full", "restart-full.request.json"),
        ("ForceDeletes", "restart-force-deletes.request.json"),
        ("QuarantineState", "restart-quarantine.request.json"),
        ("", "restart-portal.request.json"),
    ];
    for (scope, file) in cases {
        let s = server().await;
        let want = fixture(file);
        // body_string pins the bytes (member order and the ", " joiner), not just the JSON value.
        Mock::given(method("POST"))
            .and(path(job_path("/restart")))
            .and(body_string(want.to_string()))
            .and(body_json(&want))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&s)
            .await;
        let scope = ResetScope::parse(&scope.replace("quarantine", "QuarantineState"))
            .unwrap_or_else(|e| panic!("{e}"));
        sync::restart(
            &client(&s, RetryPolicy::none()),
            &JobKey::new(SP, JOB),
            scope,
        )
        .await
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        s.verify().await;
    }
}

#[tokio::test]
async fn start_and_pause_post_no_body_to_the_dotted_job_id_as_one_segment() {
    let s = server().await;
    for action in ["/start", "/pause"] {
        Mock::given(method("POST"))
            .and(path(job_path(action)))
            .and(body_string(""))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&s)
            .await;
    }
    let c = client(&s, RetryPolicy::none());
    let key = JobKey::new(SP, JOB);
    sync::start(&c, &key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sync::pause(&c, &key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.verify().await;
    let req = sync::start_request(&key);
    assert_eq!(
        req.to_http_text(
            &"https://graph.microsoft.com/"
                .parse()
                .unwrap_or_else(|e| panic!("{e}"))
        ),
        format!(
            "POST https://graph.microsoft.com/v1.0/servicePrincipals/{SP}/synchronization/jobs/{JOB}/start\nAuthorization: Bearer (redacted)\n"
        )
    );
}

#[tokio::test]
async fn get_job_parses_a_quarantined_job_and_a_missing_job_is_404() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(job_path("")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("get-synchronizationjob.quarantined.json")),
        )
        .mount(&s)
        .await;
    let (job, raw) = sync::get_job(&client(&s, RetryPolicy::none()), &JobKey::new(SP, JOB))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(job.is_quarantined());
    assert!(raw.get("@odata.context").is_none());
    assert_eq!(sync::health(&job), sync::Health::Quarantined);
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1.0/servicePrincipals/{SP}/synchronization/jobs/other.job"
        )))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": "ResourceNotFound", "message": "not found"}}),
            ),
        )
        .mount(&s)
        .await;
    let err = sync::get_job(
        &client(&s, RetryPolicy::none()),
        &JobKey::new(SP, "other.job"),
    )
    .await
    .err()
    .map(|e| (e.status(), e.code().map(str::to_owned)));
    assert_eq!(err, Some((Some(404), Some("ResourceNotFound".to_owned()))));
}

/// Answers `$batch` items by service principal: sp-3 → 404, sp-4 → 403, sp-5 → 500, others one job.
struct BatchAnswers(Arc<AtomicUsize>);

impl Respond for BatchAnswers {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let items = body["requests"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 20, "a batch holds at most 20 requests");
        let list = fixture("list-synchronizationjobs.json");
        let responses: Vec<Value> = items
            .iter()
            .map(|it| {
                let url = it["url"].as_str().unwrap_or("");
                let sp = url.split('/').nth(2).unwrap_or("");
                let (status, body) = match sp {
                    "sp-3" => (404, json!({"error": {"code": "Request_ResourceNotFound", "message": "no synchronization"}})),
                    "sp-4" => (403, json!({"error": {"code": "Authorization_RequestDenied", "message": "denied"}})),
                    "sp-5" => (500, json!({"error": {"code": "generalException", "message": "boom"}})),
                    _ => {
                        let mut l = list.clone();
                        l["value"][0]["id"] = json!(format!("BoxOutDelta.{sp}"));
                        (200, l)
                    }
                };
                json!({"id": it["id"], "status": status, "headers": {"Content-Type": "application/json"}, "body": body})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"responses": responses}))
    }
}

#[tokio::test]
async fn discovery_pages_service_principals_and_batches_job_lists_by_twenty() {
    let s = server().await;
    let sps: Vec<Value> = (1..=25)
        .map(|i| json!({"id": format!("sp-{i}"), "appId": format!("app-{i}"), "displayName": format!("App {i}")}))
        .collect();
    let next = format!("{}/v1.0/servicePrincipals?$skiptoken=page2", s.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/servicePrincipals"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": sps[12..]})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/servicePrincipals"))
        .and(query_param("$top", "999"))
        .and(query_param(
            "$select",
            "id,appId,displayName,applicationTemplateId,tags",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": sps[..12], "@odata.nextLink": next})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let batches = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(BatchAnswers(batches.clone()))
        .mount(&s)
        .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let opts = DiscoverOptions {
        progress: Some(Arc::new(move |d, t| {
            if let Ok(mut v) = seen2.lock() {
                v.push((d, t));
            }
        })),
        ..DiscoverOptions::default()
    };
    let inv = sync::discover_jobs(&client(&s, RetryPolicy::none()), &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.service_principals, 25);
    assert_eq!(inv.jobs.len(), 22, "25 minus 404, 403 and 500");
    assert_eq!(inv.failures.len(), 2, "a 403 is not 'no jobs'");
    assert_eq!(inv.failures[0].service_principal.id, "sp-4");
    assert!(inv.failures[0].is_refused());
    assert_eq!(inv.failures[1].service_principal.id, "sp-5");
    assert_eq!(inv.failures[1].status, Some(500));
    assert_eq!(inv.refused(), 1);
    assert_eq!(batches.load(Ordering::SeqCst), 2, "ceil(25/20) batches");
    assert_eq!(inv.jobs[0].job.id, "BoxOutDelta.sp-1");
    assert_eq!(
        inv.jobs[0].service_principal.display_name.as_deref(),
        Some("App 1")
    );
    assert!(inv.jobs[0].job.interval().is_some_and(|i| i.is_never()));
    let progress = seen.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(progress.first(), Some(&(0, 25)));
    assert_eq!(progress.last(), Some(&(25, 25)));
    s.verify().await;
}

#[tokio::test]
async fn cloud_sync_discovery_filters_by_the_application_template() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/servicePrincipals"))
        .and(query_param(
            "$filter",
            "applicationTemplateId eq '1a4721b3-e57f-4451-ae87-ef078703ec94'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&s)
        .await;
    let inv = sync::discover_jobs(
        &client(&s, RetryPolicy::none()),
        &DiscoverOptions {
            cloud_sync_only: true,
            ..DiscoverOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(inv.jobs.is_empty() && inv.failures.is_empty());
    s.verify().await;
}

/// Answers each job list in a `$batch` with an item of Microsoft's documented batch response
/// (`tests/fixtures/real/json-batching.response.docs-example.json`): the item whose id is given
/// per service principal, re-labelled with the request's id.
struct DocumentedItems(Vec<(&'static str, &'static str)>);

impl Respond for DocumentedItems {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let p = format!(
            "{}/tests/fixtures/real/json-batching.response.docs-example.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"));
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|it| {
                let url = it["url"].as_str().unwrap_or("");
                let sp = url.split('/').nth(2).unwrap_or("");
                let mut item = match self.0.iter().find(|(s, _)| *s == sp) {
                    Some((_, "jobs")) => {
                        json!({"status": 200, "headers": {"Content-Type": "application/json"},
                        "body": fixture("list-synchronizationjobs.json")})
                    }
                    Some((_, doc_id)) => doc["responses"]
                        .as_array()
                        .and_then(|r| r.iter().find(|x| x["id"] == *doc_id))
                        .cloned()
                        .unwrap_or_else(|| panic!("no item {doc_id} in {p}")),
                    None => panic!("unexpected item {url}"),
                };
                item["id"] = it["id"].clone();
                item
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"responses": responses}))
    }
}

async fn documented_batch(items: Vec<(&'static str, &'static str)>) -> sync::JobInventory {
    let s = server().await;
    let sps: Vec<Value> = items
        .iter()
        .map(|(id, _)| json!({"id": id, "displayName": format!("App {id}")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1.0/servicePrincipals"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": sps})))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(DocumentedItems(items))
        .mount(&s)
        .await;
    sync::discover_jobs(
        &client(&s, RetryPolicy::none()),
        &DiscoverOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn documented_per_item_403s_are_a_missing_read_permission_not_an_empty_tenant() {
    // Every list refused (both documented 403 shapes: empty code, Authorization_RequestDenied).
    let inv = documented_batch(vec![("sp-1", "2"), ("sp-2", "3")]).await;
    assert!(inv.jobs.is_empty());
    assert!(inv.all_refused(), "{inv:?}");
    match inv.outcome() {
        Err(sync::ResolveError::Refused {
            permission,
            message,
        }) => {
            assert_eq!(permission, "Synchronization.Read.All");
            assert!(message.contains("all 2 applications"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Some refused, one read, one other error: partial, counting the refusals.
    let inv = documented_batch(vec![("sp-1", "jobs"), ("sp-2", "3"), ("sp-3", "4")]).await;
    assert_eq!(inv.jobs.len(), 1);
    assert_eq!((inv.failures.len(), inv.refused()), (2, 1));
    assert_eq!(inv.failures[1].status, Some(405));
    match inv.outcome() {
        Err(sync::ResolveError::Partial { message }) => {
            assert!(message.contains("2 of 3"), "{message}");
            assert!(message.contains("1 refused"), "{message}");
        }
        other => panic!("expected partial, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dot_dot_job_id_in_a_graph_reply_is_refused_and_never_sent() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/servicePrincipals"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"id": "sp-1"}, {"id": ".."}]})),
        )
        .mount(&s)
        .await;
    let mut list = fixture("list-synchronizationjobs.json");
    list["value"][0]["id"] = json!("..");
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(move |req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let items = body["requests"].as_array().cloned().unwrap_or_default();
            assert_eq!(
                items.len(),
                1,
                "the '..' service principal is never put in a request"
            );
            ResponseTemplate::new(200).set_body_json(json!({"responses": [
                {"id": items[0]["id"], "status": 200, "body": list.clone()}
            ]}))
        })
        .mount(&s)
        .await;
    let inv = sync::discover_jobs(
        &client(&s, RetryPolicy::none()),
        &DiscoverOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(inv.jobs.is_empty());
    assert_eq!(inv.failures.len(), 2);
    assert!(
        inv.failures.iter().all(|f| f.message.contains("'..'")),
        "{:?}",
        inv.failures
    );
    // And a path built from one is refused before sending (the catch-all would answer 500).
    let e = sync::get_job(&client(&s, RetryPolicy::none()), &JobKey::new("sp-1", ".."))
        .await
        .err()
        .unwrap_or_else(|| panic!("a '..' job id was sent"));
    assert!(
        matches!(e, provctl::graph::GraphError::InvalidInput(_)),
        "{e}"
    );
}

/// A job that is running on the first poll and finished (healthy) afterwards.
struct RunThenDone(AtomicUsize);

impl Respond for RunThenDone {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let mut job = fixture("get-synchronizationjob.quarantined.json");
        if n == 0 {
            job["status"]["progress"] =
                json!([{"completedUnits": 5, "totalUnits": 40, "units": "Entries"}]);
        } else {
            job["status"]["code"] = json!("Active");
            job["status"]["quarantine"] = Value::Null;
            job["status"]["lastExecution"] = json!({"activityIdentifier": "a2", "state": "Succeeded",
                "timeBegan": "2026-11-25T12:00:00Z", "timeEnded": "2026-11-25T12:01:00Z"});
        }
        ResponseTemplate::new(200).set_body_json(job)
    }
}

#[tokio::test]
async fn wait_polls_until_a_new_run_has_finished() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path(job_path("")))
        .respond_with(RunThenDone(AtomicUsize::new(0)))
        .mount(&s)
        .await;
    let before: provctl::graph::model::SynchronizationJob =
        serde_json::from_value(fixture("get-synchronizationjob.quarantined.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    let outcome = sync::wait_for_run(
        &client(&s, RetryPolicy::none()),
        &JobKey::new(SP, JOB),
        &RunMarker::of(&before),
        &WaitOptions {
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(10),
            max_poll: Duration::from_millis(50),
        },
        |o| seen.push(o.to_string()),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(outcome, WaitOutcome::Healthy(_)), "{outcome:?}");
    assert_eq!(
        seen,
        vec![
            "Quarantine, running (5/40 Entries)".to_owned(),
            "Active, last run Succeeded".to_owned()
        ]
    );
}
