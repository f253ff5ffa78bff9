//! `provctl provision` end to end: the rule id comes from the job's schema, cloud sync takes a DN and
//! apps an Entra object id (validated before anything is sent), the double-encoded answer is decoded
//! and explained, and `--dry-run` sends no provisionOnDemand.

use provctl::sim::demo::*;
use serde_json::Value;

use crate::common::{Env, sp_job};

const DN: &str = "CN=Adele Vance,OU=Users,DC=corp,DC=contoso,DC=com";

fn on_demand_posts(env: &Env) -> Vec<Value> {
    env.wire_requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/provisionOnDemand"))
        .map(|r| serde_json::from_str(&r.body).unwrap_or(Value::Null))
        .collect()
}

#[test]
fn cloud_sync_provisions_by_distinguished_name_with_the_schema_rule_and_explains_the_answer() {
    let env = Env::demo();
    let (code, out, err) = env.run(&[
        "provision",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
        "--object",
        DN,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Adele Vance"), "{out}");
    let posts = on_demand_posts(&env);
    assert_eq!(posts.len(), 1);
    let subject = &posts[0]["parameters"][0]["subjects"][0];
    assert_eq!(subject["objectId"], DN);
    assert_eq!(subject["objectTypeName"], "user");
    assert!(
        posts[0]["parameters"][0]["ruleId"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
}

#[test]
fn app_provisioning_takes_the_entra_object_id_and_reports_a_redundant_export_as_no_change() {
    let env = Env::demo();
    let (code, out, err) = env.run(&[
        "-o",
        "json",
        "provision",
        &sp_job(SP_SERVICENOW, JOB_SERVICENOW),
        "--object",
        USER_SN_REDUNDANT,
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(doc["findings"][0]["title"].as_str().is_some(), "{doc}");
    let posts = on_demand_posts(&env);
    assert_eq!(
        posts[0]["parameters"][0]["subjects"][0]["objectTypeName"],
        "User"
    );
}

#[test]
fn the_wrong_kind_of_object_id_is_refused_before_anything_is_sent() {
    let env = Env::demo();
    let (code, _, err) = env.run(&[
        "provision",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
        "--object",
        USER_SN_CREATED,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is not an AD distinguishedName"), "{err}");
    let (code, _, err) = env.run(&[
        "provision",
        &sp_job(SP_SERVICENOW, JOB_SERVICENOW),
        "--object",
        DN,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a GUID") && err.contains("Entra object id"),
        "{err}"
    );
    assert!(on_demand_posts(&env).is_empty());
}

#[test]
fn dry_run_prints_the_request_and_sends_no_provision_on_demand() {
    let env = Env::demo();
    let (code, out, err) = env.run(&[
        "provision",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
        "--object",
        DN,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("POST ")
            && out.contains("/provisionOnDemand")
            && out.contains("\"objectId\": \"CN=Adele Vance"),
        "{out}"
    );
    assert!(on_demand_posts(&env).is_empty());
}

/// A service principal with one job of `template`, added to the demo tenant.
fn with_job(template: &str, sp_id: &str, job_id: &str) -> Env {
    let (template, sp_id, job_id) = (template.to_owned(), sp_id.to_owned(), job_id.to_owned());
    Env::fixed_with(move |doc| {
        let sp = serde_json::json!({
            "id": sp_id, "appId": "0c0c0c0c-0000-4000-8000-000000000001",
            "displayName": format!("{template} app"),
            "synchronization": {"secrets": [], "jobs": [{"job": {
                "id": job_id, "templateId": template,
                "schedule": {"expiration": null, "interval": "PT40M", "state": "Active"},
                "status": {"code": "Active", "lastExecution": null, "quarantine": null, "progress": [],
                           "synchronizedEntryCountByType": []},
                "synchronizationJobSettings": []}}]}
        });
        if let Some(sps) = doc["servicePrincipals"].as_array_mut() {
            sps.push(sp);
        }
    })
}

/// Issue 14 item 1: a cross-tenant job answers with a type-name key and an array value (as
/// Microsoft's walkthrough shows); provision reads it, explains it and exits 0.
#[test]
fn cross_tenant_answer_with_a_type_name_key_and_array_value_is_read_and_succeeds() {
    let sp = "0c0c0c0c-0000-4000-8000-0000000000a1";
    let job = "Azure2Azure.0c0c0c0c00004000800000000000000a.0c0c0c0c-0000-4000-8000-0000000000a2";
    let env = with_job("Azure2Azure", sp, job);
    let (code, out, err) = env.run(&["provision", &sp_job(sp, job), "--object", USER_SN_REDUNDANT]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!err.contains("could not"), "{err}");
    assert!(
        out.contains("EntryExportUpdate") || out.contains("succeeded"),
        "{out}"
    );
}

/// Issue 14 item 7: group writeback (Entra ID → AD) is cloud sync but takes an Entra object id,
/// and a DN is refused before anything is sent.
#[test]
fn group_writeback_provisions_by_entra_object_id_not_by_dn() {
    let sp = "0c0c0c0c-0000-4000-8000-0000000000b1";
    let job = "AAD2ADGroupProvisioning.763aefeaa45b49f4a4a430d135e944f5.e6fcbbe7-674c-41c2-bde1-ef5d078a6a57";
    let env = with_job("AAD2ADGroupProvisioning", sp, job);
    let group = "0c0c0c0c-0000-4000-8000-0000000000b9";
    let (code, _, err) = env.run(&[
        "provision",
        &sp_job(sp, job),
        "--type",
        "group",
        "--object",
        DN,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(on_demand_posts(&env).is_empty());
    let (code, _, err) = env.run(&[
        "provision",
        &sp_job(sp, job),
        "--type",
        "group",
        "--object",
        group,
    ]);
    assert_eq!(code, 0, "{err}");
    let posts = on_demand_posts(&env);
    let subject = &posts[0]["parameters"][0]["subjects"][0];
    assert_eq!(subject["objectId"], group);
    assert_eq!(subject["objectTypeName"], "Group");
}

/// Issue 14 item 1: an answer provctl cannot read, after Graph accepted the request (the object
/// may already be provisioned), is printed as sent with its controls escaped, said so on stderr,
/// and the exit code follows Graph's 200: never a failure for a success. The emulator only sends
/// readable answers, so a wiremock Graph stands in.
#[test]
fn an_unreadable_on_demand_answer_is_shown_as_sent_and_exits_0() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let sp = "6a1f4c2e-0000-4000-8000-000000000001";
    let job = serde_json::json!({"id": "salesforce.x.y", "templateId": "salesforce",
        "schedule": {"expiration": null, "interval": "PT40M", "state": "Active"},
        "status": {"code": "Active", "lastExecution": null, "quarantine": null, "progress": [],
                   "synchronizedEntryCountByType": []},
        "synchronizationJobSettings": []});
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path_regex("^/v1.0/servicePrincipals$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"value": [{"id": sp, "appId": "a", "displayName": "SF"}]}),
            ))
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1.0/\$batch$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "responses": [{"id": "0", "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"value": [job]}}]})))
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path_regex("/provisionOnDemand$"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw("not json \u{1b}]0;owned\u{7}\u{1b}[2J done", "text/plain"),
            )
            .mount(&s)
            .await;
        s
    });
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut c = crate::common::offline(&[
        "--graph-url",
        &server.uri(),
        "provision",
        &format!("{sp}/salesforce.x.y"),
        "--object",
        USER_SF_UNAUTHORIZED,
        "--rule",
        "r1",
    ]);
    c.env("HOME", home.path()).env("PROVCTL_ACCESS_TOKEN", "x");
    let (code, out, err) = crate::common::outcome(c);
    assert_eq!(code, 0, "a 200 reported as a failure:\n{err}\n{out}");
    assert!(out.contains("not json") && out.contains("done"), "{out}");
    assert!(!out.contains(['\u{1b}', '\u{7}']), "raw controls: {out:?}");
    assert!(
        err.contains("HTTP 200") && err.contains("shown as sent"),
        "{err}"
    );
    let posts = rt.block_on(server.received_requests()).unwrap_or_default();
    assert_eq!(
        posts
            .iter()
            .filter(|r| r.url.path().ends_with("/provisionOnDemand"))
            .count(),
        1,
        "provisioned once"
    );
}
