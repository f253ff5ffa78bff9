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
