//! `provctl scope check` end to end against the emulator's demo objects: an app job's filters with
//! the Entra user read by `$select`, assignment directly, through a nested group or not at all,
//! cloud sync's attributes from the import step, the log's own record beside the evaluation,
//! `explain` showing the failing clause, and the offline form on Microsoft's documented payloads.

use provctl::sim::demo::*;
use serde_json::{Value, json};

use crate::common::{Env, ROLES, sp_job};

/// The demo token plus what reading users and group memberships needs.
fn env() -> Env {
    let mut roles = ROLES.to_vec();
    roles.extend(["User.Read.All", "GroupMember.Read.All"]);
    Env::demo().with_roles(&roles)
}

fn check(env: &Env, sp: &str, job: &str, object: &str) -> Value {
    env.json(&[
        "-o",
        "json",
        "scope",
        "check",
        &sp_job(sp, job),
        "--object",
        object,
    ])
}

fn clause<'a>(doc: &'a Value, group: &str, attribute: &str) -> &'a Value {
    doc["mappings"][0]["groups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["name"] == group))
        .and_then(|g| g["clauses"].as_array())
        .and_then(|cs| cs.iter().find(|c| c["attribute"] == attribute))
        .unwrap_or_else(|| panic!("no clause {group}/{attribute} in {doc}"))
}

#[test]
fn an_app_user_in_the_wrong_department_is_excluded_by_the_clause_the_log_also_recorded() {
    let env = env();
    let doc = check(&env, SP_SERVICENOW, JOB_SERVICENOW, USER_SN_OUT_OF_SCOPE);
    assert_eq!(doc["inScope"], false, "{doc}");
    let c = clause(&doc, "Sales department", "department");
    assert_eq!(
        (&c["operator"], &c["expected"], &c["actual"], &c["passed"]),
        (
            &json!("EQUALS"),
            &json!(["Sales"]),
            &json!("Marketing"),
            &json!(false)
        )
    );
    assert_eq!(
        clause(&doc, "Sales department", "accountEnabled")["passed"],
        true
    );
    assert_eq!(doc["excludedBy"][0]["group"], "Sales department");
    assert_eq!(doc["assignment"]["direct"], true);
    assert_eq!(doc["assignment"]["syncScope"]["mode"], "assignedOnly");
    assert!(
        doc["comparison"]
            .as_array()
            .is_some_and(|c| c.len() == 3 && c.iter().all(|x| x["agrees"] == true)),
        "{doc}"
    );
    assert_eq!(doc["disagreements"], json!([]));
    assert_eq!(doc["filterOperatorsRead"], true);
    // The user was read with exactly the clauses' attributes.
    let user_reads: Vec<String> = env
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/users/"))
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(user_reads.len(), 1, "{user_reads:?}");
    let select = user_reads[0].replace("%2C", ",").replace("%24", "$");
    assert!(
        select.contains("$select=id,displayName,department,accountEnabled,userPrincipalName"),
        "{select}"
    );
}

#[test]
fn an_app_user_assigned_through_a_nested_group_and_in_sales_is_in_scope() {
    let env = env();
    let doc = check(&env, SP_SERVICENOW, JOB_SERVICENOW, USER_SN_CONFLICT);
    assert_eq!(doc["inScope"], true, "{doc}");
    assert_eq!(doc["assignment"]["viaGroups"], json!(["ServiceNow Users"]));
    assert_eq!(doc["excludedBy"], json!([]));
    let direct = check(&env, SP_SERVICENOW, JOB_SERVICENOW, USER_SN_CREATED);
    assert_eq!(
        (&direct["inScope"], &direct["assignment"]["viaGroups"]),
        (&json!(true), &json!(["ServiceNow Users"]))
    );
}

#[test]
fn an_unassigned_user_is_skipped_before_any_filter_applies() {
    let env = env();
    let doc = check(&env, SP_SERVICENOW, JOB_SERVICENOW, USER_SN_UNASSIGNED);
    assert_eq!(doc["inScope"], false, "{doc}");
    assert!(
        doc["excludedBy"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not assigned")),
        "{doc}"
    );
    assert_eq!(doc["excludedBy"][0]["group"], Value::Null);
    // Her department passes the filter: only the assignment keeps her out.
    assert_eq!(
        clause(&doc, "Sales department", "department")["passed"],
        true
    );
}

#[test]
fn cloud_sync_reads_the_import_steps_attributes_and_names_the_failing_clause() {
    let env = env();
    let out = check(&env, SP_CORP, JOB_CORP_PROVISIONING, OG_SCOPING);
    assert_eq!(out["inScope"], false, "{out}");
    assert!(
        out["object"]["attributesFrom"]
            .as_str()
            .is_some_and(|s| s.contains("import step"))
    );
    let c = clause(&out, "Sales only", "department");
    assert_eq!(
        (&c["actual"], &c["passed"], &c["recorded"]),
        (&json!("Marketing"), &json!(false), &json!(false))
    );
    let defaults = clause(
        &out,
        "DefaultUserExclusions.0.UX-OrganizationalGroup-Scope",
        "isCriticalSystemObject",
    );
    assert_eq!(defaults["passed"], true);
    assert_eq!(out["assignment"], Value::Null);
    let adele = check(&env, SP_CORP, JOB_CORP_PROVISIONING, OG_CREATED);
    assert_eq!(adele["inScope"], true, "{adele}");
    assert_eq!(adele["comparison"][0]["agrees"], true);
}

#[test]
fn the_human_page_shows_every_clause_with_its_value_and_the_result() {
    let env = env();
    let (code, out, err) = env.run(&[
        "scope",
        "check",
        "ServiceNowOutDelta",
        "--object",
        USER_SN_OUT_OF_SCOPE,
    ]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "Result: OUT OF SCOPE: filter 'Sales department': department EQUALS 'Sales' (actual 'Marketing')",
        "[FAIL] department EQUALS 'Sales'  (actual 'Marketing')",
        "[pass] accountEnabled IS TRUE  (actual true)",
        "Assignment: assigned directly; the job syncs only assigned users and groups",
        "(provctl agrees)",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn explain_object_and_log_show_the_failing_clause_of_a_scoping_skip() {
    let env = env();
    let doc = env.json(&["-o", "json", "explain", "object", OG_SCOPING]);
    let f = &doc["findings"][0];
    assert!(
        f["summary"]
            .as_str()
            .is_some_and(|s| s
                .contains("filter 'Sales only': department EQUALS 'Sales' (actual 'Marketing')")),
        "{f}"
    );
    assert_eq!(f["evidence"][0]["field"], "scope check");
    let log_id = doc["history"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let one = env.json(&["-o", "json", "explain", "log", &log_id]);
    assert!(
        one["findings"][0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("Scope check: excluded by")),
        "{one}"
    );
    // A failure that isn't about scope gets no scope check.
    let other = env.json(&["-o", "json", "explain", "object", OG_INVALID_DOMAIN]);
    assert!(
        !other["findings"][0]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("Scope check")
    );
}

#[test]
fn without_the_permissions_for_operators_and_secrets_the_check_says_what_cannot_be_known() {
    let env = Env::demo().with_roles(&[
        "Application.Read.All",
        "Synchronization.Read.All",
        "ProvisioningLog.Read.All",
        "User.Read.All",
        "GroupMember.Read.All",
    ]);
    let doc = check(&env, SP_SERVICENOW, JOB_SERVICENOW, USER_SN_OUT_OF_SCOPE);
    assert_eq!(doc["filterOperatorsRead"], false);
    assert_eq!(doc["assignment"]["syncScope"]["mode"], "unknown");
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("cannot be known") && notes.contains("filterOperators"),
        "{notes}"
    );
    // The filters still decide.
    assert_eq!(doc["inScope"], false);
}

#[test]
fn offline_the_documented_cross_tenant_entry_is_checked_and_a_changed_filter_is_named() {
    let env = env();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let schema = dir.path().join("schema.json");
    // The filter the documented entry recorded, now asking for Sales.
    std::fs::write(
        &schema,
        json!({"synchronizationRules": [{"sourceDirectoryName": "Azure Active Directory",
            "objectMappings": [{"name": "Provision Azure Active Directory Users", "sourceObjectName": "User",
                "scope": {"groups": [{"name": "Marketing department filter", "clauses": [
                    {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]}}]}]})
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let entry = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/real/cross-tenant-sync-provisioning-log-scoping.json"
    );
    let doc = env.json(&[
        "-o",
        "json",
        "scope",
        "check",
        "--schema",
        schema.to_str().unwrap_or(""),
        "--object-file",
        entry,
    ]);
    assert_eq!(doc["inScope"], false, "{doc}");
    assert_eq!(doc["recorded"]["passed"], true);
    // The recorded key names 'Marketing', which no current clause has: said, not matched.
    assert!(
        doc["notes"].to_string().contains("matches no clause"),
        "{doc}"
    );
    assert_eq!(doc["object"]["displayName"], "User4");
}

#[test]
fn offline_cloud_syncs_real_default_exclusions_leave_the_undocumented_operator_undecided() {
    let env = env();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping: Value = serde_json::from_str(include_str!(
        "../fixtures/real/cloud-sync-schema-user-scope.json"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, json!({"synchronizationRules": [{"sourceDirectoryName": "Active Directory", "objectMappings": [mapping]}]}).to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let run = |attrs: Value| {
        let object = dir.path().join("object.json");
        std::fs::write(&object, attrs.to_string()).unwrap_or_else(|e| panic!("{e}"));
        env.json(&[
            "-o",
            "json",
            "scope",
            "check",
            "--schema",
            schema.to_str().unwrap_or(""),
            "--object-file",
            object.to_str().unwrap_or(""),
            "--type",
            "user",
        ])
    };
    let base = json!({"isCriticalSystemObject": "False", "adminDescription": "Staff", "sAMAccountName": "jdoe",
        "mailNickname": "jdoe", "msExchRecipientTypeDetails": "1", "distinguishedName": "CN=John Doe,OU=Cloud,DC=mydomain,DC=tld"});
    let doc = run(base.clone());
    assert_eq!(doc["inScope"], Value::Null, "{doc}");
    let bang = clause(
        &doc,
        "DefaultUserExclusions.0.UX-OrganizationalGroup-Scope",
        "msExchRecipientTypeDetails",
    );
    assert_eq!(
        (&bang["operator"], &bang["passed"]),
        (&json!("!&"), &Value::Null)
    );
    assert_eq!(
        clause(
            &doc,
            "DefaultUserExclusions.0.UX-OrganizationalGroup-Scope",
            "distinguishedName"
        )["passed"],
        true
    );
    let mut msol = base;
    msol["sAMAccountName"] = json!("MSOL_0123abcd");
    let doc = run(msol);
    assert_eq!(doc["inScope"], false, "{doc}");
    assert_eq!(doc["excludedBy"][0]["attribute"], "sAMAccountName");
}

#[test]
fn snapshot_scope_check_page() {
    let mut roles = ROLES.to_vec();
    roles.extend(["User.Read.All", "GroupMember.Read.All"]);
    let env = Env::fixed().with_roles(&roles);
    let (c, out, err) = env.run(&[
        "scope",
        "check",
        "ServiceNowOutDelta",
        "--object",
        USER_SN_OUT_OF_SCOPE,
    ]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("scope_check_servicenow_out_of_scope", out);
}
