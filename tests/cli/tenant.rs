//! End-to-end tests of `provctl agents` and `provctl tenant` through the real binary against the
//! emulator: delegated and app-only tokens, show/disable/enable with count and percent, dry-run and
//! non-terminal refusals that send nothing, and the per-job threshold round trip (and its refusal
//! of secrets Graph reads back masked as `"*"`, which a PUT would write over the real values).

use std::path::PathBuf;

use provctl::sim::demo::SP_CORP;
use provctl::sim::{SimConfig, TenantSource};
use serde_json::Value;

use crate::common::Env;

const ADMIN_SCOPES: &[&str] = &[
    "Policy.Read.HybridAuthentication",
    "OnPremisesPublishingProfiles.ReadWrite.All",
    "OnPremDirectorySynchronization.ReadWrite.All",
    "Synchronization.ReadWrite.All",
    "Application.Read.All",
];

/// An app-only token that may manage jobs (the agent and tenant APIs still refuse it).
fn app_only(e: &Env) -> String {
    e.app_token(&["Synchronization.ReadWrite.All", "Application.Read.All"])
}

/// How many writes (PATCH, PUT) the emulator received.
fn writes(e: &Env) -> usize {
    e.sim
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" || r.method == "PUT")
        .count()
}

/// `tenant deletion-prevention show` as JSON.
fn tenant_doc(e: &Env, token: &str) -> Value {
    let (code, stdout, stderr) = e.run_as(
        token,
        &["-o", "json", "tenant", "deletion-prevention", "show"],
    );
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("json")
}

#[test]
fn agents_list_shows_machines_and_domains_with_a_delegated_token() {
    let e = Env::demo();
    let (code, stdout, stderr) = e.run_as(&e.delegated_token(ADMIN_SCOPES), &["agents", "list"]);
    assert!(code == 0, "{}", stderr);
    assert!(
        stdout.contains("DC01.corp.contoso.com")
            && stdout.contains("inactive")
            && stdout.contains("emea.corp.contoso.com"),
        "{stdout}"
    );
}

/// Issue 14 item 8: a token that may read agents but not published resources still lists the
/// agents, with the domains left blank and a note naming the permission.
#[test]
fn agents_list_with_agent_read_only_lists_agents_and_leaves_domains_blank() {
    let e = Env::demo();
    let (code, stdout, stderr) = e.run_as(
        &e.delegated_token(&["Directory.ReadWrite.All"]),
        &["agents", "list"],
    );
    assert!(code == 0, "{stderr}");
    let dc02 = stdout
        .lines()
        .find(|l| l.contains("DC02.corp.contoso.com"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // The agent group is named after the domain; the DOMAINS column after it stays blank.
    assert_eq!(dc02.matches("corp.contoso.com").count(), 2, "{stdout}");
    assert!(
        stderr.contains("DOMAINS is left blank")
            && stderr.contains("OnPremisesPublishingProfiles.ReadWrite.All"),
        "{stderr}"
    );
}

#[test]
fn agents_with_an_app_only_token_explain_that_a_user_must_sign_in() {
    let e = Env::demo();
    let (code, _, stderr) = e.run_as(&app_only(&e), &["agents", "list"]);
    assert_eq!(Some(code), Some(4));
    assert!(
        stderr.contains("app-only tokens") && stderr.contains("provctl login"),
        "{stderr}"
    );
}

#[test]
fn agents_check_passes_when_every_domain_has_an_active_agent() {
    let e = Env::demo();
    let (code, stdout, stderr) = e.run_as(
        &e.delegated_token(ADMIN_SCOPES),
        &["-o", "json", "agents", "check"],
    );
    assert!(code == 0, "{}", stderr);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc.as_array().unwrap().len(), 2);
    assert!(
        doc.as_array()
            .unwrap()
            .iter()
            .all(|d| d["expectedError"].is_null())
    );
}

#[test]
fn agents_check_fails_for_a_domain_without_an_active_agent_and_names_the_job_error() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sim-tenant-no-active-agent.json");
    let e = Env::with(SimConfig {
        tenant: TenantSource::File(file),
        ..SimConfig::for_tests()
    });
    let (code, stdout, stderr) = e.run_as(&e.delegated_token(ADMIN_SCOPES), &["agents", "check"]);
    assert_eq!(Some(code), Some(7));
    assert!(
        stdout.contains("HybridIdentityServiceNoActiveAgents")
            && stdout.contains("HybridIdentityServiceNoAgentsAssigned"),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 of 2 domain(s) have no active agent")
            && stderr.contains("branch.fabrikam.local"),
        "{stderr}"
    );
}

#[test]
fn deletion_prevention_show_reports_tenant_and_per_job_thresholds() {
    let e = Env::demo();
    let token = e.delegated_token(ADMIN_SCOPES);
    let (code, stdout, stderr) = e.run_as(&token, &["tenant", "deletion-prevention", "show"]);
    assert!(code == 0, "{}", stderr);
    assert!(
        stdout.contains("enabled: more than 500 deletes are blocked"),
        "{stdout}"
    );
    assert!(
        stdout.contains("corp.contoso.com: 500 deletes per run"),
        "{stdout}"
    );
    let doc = tenant_doc(&e, &token);
    assert_eq!(
        doc["tenant"]["configuration"]["accidentalDeletionPrevention"]["alertThreshold"],
        500
    );
}

#[test]
fn deletion_prevention_with_an_app_only_token_says_a_user_must_sign_in() {
    let e = Env::demo();
    let (code, _, stderr) = e.run_as(&app_only(&e), &["tenant", "deletion-prevention", "show"]);
    assert_eq!(Some(code), Some(4));
    assert!(stderr.contains("only to a signed-in user"));
}

#[test]
fn disable_without_yes_off_a_terminal_refuses_and_sends_nothing() {
    let e = Env::demo();
    let (code, _, stderr) = e.run_as(
        &e.delegated_token(ADMIN_SCOPES),
        &["tenant", "deletion-prevention", "disable"],
    );
    assert_eq!(Some(code), Some(2));
    assert!(stderr.contains("--yes"));
    assert_eq!(writes(&e), 0);
}

#[test]
fn disable_dry_run_prints_the_patch_and_sends_nothing() {
    let e = Env::demo();
    let (code, stdout, _) = e.run_as(
        &e.delegated_token(ADMIN_SCOPES),
        &["tenant", "deletion-prevention", "disable", "--dry-run"],
    );
    assert!(code == 0);
    assert!(
        stdout.starts_with("PATCH ") && stdout.contains("directory/onPremisesSynchronization/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"synchronizationPreventionType\": \"disabled\""),
        "{stdout}"
    );
    assert_eq!(writes(&e), 0);
}

#[test]
fn disable_then_enable_by_count_and_percent_change_the_tenant() {
    let e = Env::demo();
    let token = e.delegated_token(ADMIN_SCOPES);
    let adp = |doc: &Value| doc["tenant"]["configuration"]["accidentalDeletionPrevention"].clone();

    e.cmd_as(&token)
        .args(["tenant", "deletion-prevention", "disable", "--yes"])
        .assert()
        .success();
    assert_eq!(
        adp(&tenant_doc(&e, &token))["synchronizationPreventionType"],
        "disabled"
    );
    let patch = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.body,
        r#"{"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"disabled"}}}"#
    );

    // Enables by count or percent; what the tenant then says (type, threshold).
    let enable = |flag: &str, value: &str| {
        e.cmd_as(&token)
            .args([
                "tenant",
                "deletion-prevention",
                "enable",
                flag,
                value,
                "--yes",
            ])
            .assert()
            .success();
        let a = adp(&tenant_doc(&e, &token));
        (
            a["synchronizationPreventionType"]
                .as_str()
                .map(str::to_owned),
            a["alertThreshold"].as_i64(),
        )
    };
    assert_eq!(
        enable("--count", "750"),
        (Some("enabledForCount".to_owned()), Some(750))
    );
    assert_eq!(
        enable("--percent", "10"),
        (Some("enabledForPercentage".to_owned()), Some(10))
    );

    // Asking for the current state again sends no PATCH.
    let before = writes(&e);
    enable("--percent", "10");
    assert_eq!(writes(&e), before);
}

#[test]
fn enable_rejects_out_of_range_and_missing_thresholds() {
    let e = Env::demo();
    let token = e.delegated_token(ADMIN_SCOPES);
    let (code, _, stderr) = e.run_as(
        &token,
        &[
            "tenant",
            "deletion-prevention",
            "enable",
            "--percent",
            "150",
        ],
    );
    assert_eq!(Some(code), Some(2));
    assert!(stderr.contains("150"));
    let (code, _, _) = e.run_as(&token, &["tenant", "deletion-prevention", "enable"]);
    assert_eq!(Some(code), Some(2));
    assert_eq!(writes(&e), 0);
}

#[test]
fn job_threshold_set_writes_back_every_secret_with_one_value_changed() {
    let e = Env::demo();
    let token = e.delegated_token(ADMIN_SCOPES);
    let before = e.sim.requests().len();
    let (code, stdout, stderr) = e.run_as(
        &token,
        &[
            "tenant",
            "job-threshold",
            "set",
            "--sp",
            "corp.contoso.com",
            "--count",
            "1200",
            "--dry-run",
        ],
    );
    assert!(code == 0, "{}", stderr);
    assert!(
        stdout.contains("- DeleteThresholdEnabled: true  DeleteThresholdValue: 500")
            && stdout.contains("+ DeleteThresholdEnabled: true  DeleteThresholdValue: 1200"),
        "{stdout}"
    );
    assert_eq!(writes(&e), 0);
    assert!(e.sim.requests().len() > before);

    e.cmd_as(&token)
        .args([
            "tenant",
            "job-threshold",
            "set",
            "--sp",
            "corp.contoso.com",
            "--count",
            "1200",
            "--yes",
        ])
        .assert()
        .success();
    let put = e
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("a PUT");
    let body: Value = serde_json::from_str(&put.body).unwrap();
    let keys: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert!(keys.len() > 1, "every secret is written back: {keys:?}");
    let (_, stdout, _) = e.run_as(&token, &["-o", "json", "tenant", "job-threshold", "show"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let corp = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["displayName"] == "corp.contoso.com")
        .unwrap()
        .clone();
    assert_eq!(corp["deleteThreshold"]["value"], 1200);
}

/// Issue 14 item 2: a cloud sync configuration holding a credential (masked as `"*"` on GET, as
/// Graph does) is refused with exit 2 naming the key, and nothing is written.
#[test]
fn job_threshold_set_refuses_masked_secrets_and_writes_nothing() {
    let env = Env::fixed_with(|doc| {
        if let Some(sp) = doc["servicePrincipals"]
            .as_array_mut()
            .and_then(|sps| sps.iter_mut().find(|sp| sp["id"] == SP_CORP))
            && let Some(secrets) = sp["synchronization"]["secrets"].as_array_mut()
        {
            secrets.push(serde_json::json!({"key": "SecretToken", "value": "real-token-value"}));
        }
    });
    let (code, _, err) = env.run(&[
        "tenant",
        "job-threshold",
        "set",
        "--sp",
        "corp.contoso.com",
        "--count",
        "1200",
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("SecretToken") && err.contains("\"*\""),
        "{err}"
    );
    assert!(
        env.wire_requests().iter().all(|r| r.method != "PUT"),
        "nothing is written"
    );
}

/// Issue 16: a tenant write that is already as asked says "nothing to change", exits 0 and sends
/// nothing, in the same words and JSON as the job actions (`quarantine clear` on a healthy job).
#[test]
fn tenant_writes_already_as_asked_say_nothing_to_change_and_send_nothing() {
    let mut env = Env::fixed();
    // The tenant's deletion prevention is served only to a signed-in admin.
    let admin = env
        .sim
        .user_token()
        .unwrap_or_else(|| panic!("the demo tenant has an admin"));
    env.set_env("PROVCTL_ACCESS_TOKEN", &admin);
    for line in [
        "tenant deletion-prevention enable --count 500",
        "tenant job-threshold set --sp corp.contoso.com --count 500",
        "quarantine clear corp.contoso.com/AD2AADPasswordHash",
        "jobs pause Box/BoxOutDelta",
    ] {
        let args: &[&str] = &line.split(' ').collect::<Vec<_>>();
        env.clear();
        let (code, out, err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.ends_with(": nothing to change.\n"), "{args:?}: {out}");
        let json = env.json(&[args, &["-o", "json"]].concat());
        assert_eq!(json["changed"], false, "{args:?}: {json}");
        assert_eq!(json["action"], "none", "{args:?}: {json}");
        assert!(
            env.wire_requests()
                .iter()
                .all(|r| r.method == "GET" || r.path.ends_with("$batch")),
            "{args:?}: nothing is written: {:?}",
            env.wire_requests()
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        );
    }
}
