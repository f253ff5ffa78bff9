//! End-to-end tests of `provctl doctor auth` through the real binary against the emulator: tokens
//! of different permission sets (read-only app, read-write app, delegated hybrid admin), the
//! `--require` preflight, a broken token and a failed sign-in — and the token never shows up.

use assert_cmd::Command;
use provctl::sim::TokenSpec;
use serde_json::Value;

use crate::common::{Env, outcome};

/// The binary signed out, tables 250 wide.
fn bare(e: &Env) -> Command {
    let mut c = e.signed_out(&[]);
    c.env("PROVCTL_TERM_WIDTH", "250");
    c
}

/// `doctor auth` with `token` in PROVCTL_ACCESS_TOKEN: (exit code, stdout, stderr); asserts the
/// token never shows.
fn doctor(e: &Env, token: &str, args: &[&str]) -> (i32, String, String) {
    let mut c = bare(e);
    c.env("PROVCTL_ACCESS_TOKEN", token)
        .args(["doctor", "auth"])
        .args(args);
    let out = outcome(c);
    assert_token_not_shown(&out, token);
    out
}

fn doctor_json(e: &Env, token: &str) -> Value {
    let (code, stdout, stderr) = doctor(e, token, &["-o", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("json")
}

fn assert_token_not_shown((_, stdout, stderr): &(i32, String, String), token: &str) {
    // The signature part alone would be enough to replay it.
    let sig = token.rsplit('.').next().unwrap_or(token);
    for s in [stdout, stderr] {
        assert!(!s.contains(token) && !s.contains(sig), "token leaked:\n{s}");
    }
}

fn command<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["commands"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["command"] == name))
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

const READ_ONLY: &[&str] = &["Synchronization.Read.All", "Application.Read.All"];

#[test]
fn a_read_only_app_may_list_jobs_but_restart_names_the_permission_it_needs() {
    let e = Env::demo();
    let token = e.app_token(READ_ONLY);
    let out = doctor(&e, &token, &[]);
    assert_eq!(out.0, 0, "{}", out.2);
    let stdout = &out.1;
    for needle in [
        "Kind:        app-only",
        "Method:      token",
        &format!("Tenant:      {}", e.sim.tenant_id()),
        "Synchronization.Read.All",
        "needs Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy); you have Synchronization.Read.All",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    let restart_line = stdout
        .lines()
        .find(|l| l.contains("jobs restart"))
        .expect("a jobs restart row");
    assert!(restart_line.contains("not allowed"), "{restart_line}");
    let list_line = stdout.lines().find(|l| l.contains("jobs list")).unwrap();
    assert!(
        list_line.contains("allowed") && !list_line.contains("not allowed"),
        "{list_line}"
    );

    let doc = doctor_json(&e, &token);
    assert_eq!(doc["kind"], "app-only");
    assert_eq!(doc["tenant"], e.sim.tenant_id());
    let restart = command(&doc, "jobs restart");
    assert_eq!(restart["allowed"], false);
    assert_eq!(
        restart["missing"][0],
        "Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy)"
    );
    assert_eq!(command(&doc, "jobs list")["allowed"], true);
}

#[test]
fn a_read_write_app_may_restart_and_require_passes() {
    let e = Env::demo();
    let token = e.app_token(&["Synchronization.ReadWrite.All", "Application.Read.All"]);
    let doc = doctor_json(&e, &token);
    let restart = command(&doc, "jobs restart");
    assert_eq!(restart["allowed"], true);
    assert_eq!(
        restart["grantedBy"],
        "Application.Read.All, Synchronization.ReadWrite.All"
    );
    let out = doctor(
        &e,
        &token,
        &[
            "-o",
            "none",
            "--require",
            "jobs restart",
            "--require",
            "quarantine clear",
        ],
    );
    assert_eq!(out.0, 0, "{}", out.2);
}

#[test]
fn require_exits_4_naming_what_is_missing() {
    let e = Env::demo();
    let token = e.app_token(READ_ONLY);
    let out = doctor(&e, &token, &["-o", "none", "--require", "jobs restart"]);
    assert_eq!(out.0, 4, "{}", out.2);
    let stderr = &out.2;
    assert!(
        stderr.contains("does not allow jobs restart")
            && stderr.contains("needs Synchronization.ReadWrite.All"),
        "{stderr}"
    );
    // A name provctl does not know is a usage error, before any sign-in.
    let out = doctor(&e, &token, &["--require", "jobs frobnicate"]);
    assert_eq!(out.0, 2);
    assert!(out.2.contains("choose from: jobs list"));
}

#[test]
fn a_delegated_hybrid_admin_may_list_agents() {
    let e = Env::demo();
    let token = e.delegated_token(&["Policy.Read.HybridAuthentication"]);
    let doc = doctor_json(&e, &token);
    assert_eq!(doc["kind"], "delegated");
    assert_eq!(doc["identity"], "admin@contoso.com");
    for c in ["agents list", "agents check"] {
        let a = command(&doc, c);
        assert_eq!(a["allowed"], true, "{a}");
        assert!(
            a["note"]
                .as_str()
                .unwrap_or("")
                .contains("Hybrid Identity Administrator"),
            "{a}"
        );
    }
    assert_eq!(command(&doc, "jobs list")["allowed"], false);
}

#[test]
fn an_app_only_token_is_told_agents_need_a_user_sign_in() {
    let e = Env::demo();
    let token = e.app_token(&["Synchronization.ReadWrite.All", "Directory.ReadWrite.All"]);
    let out = doctor(&e, &token, &[]);
    assert_eq!(out.0, 0, "{}", out.2);
    let stdout = &out.1;
    let agents = stdout
        .lines()
        .find(|l| l.contains("agents list"))
        .expect("an agents list row");
    assert!(
        agents.contains("not allowed") && agents.contains("needs a user sign-in: `provctl login`"),
        "{stdout}"
    );
    let doc = doctor_json(&e, &token);
    assert_eq!(command(&doc, "agents list")["allowed"], false);
    assert_eq!(
        command(&doc, "tenant deletion-prevention show")["allowed"],
        false
    );
}

#[test]
fn a_broken_or_expired_token_exits_3_without_showing_it() {
    let e = Env::demo();
    let out = doctor(&e, "not-a-jwt-hunter2", &[]);
    assert_eq!(out.0, 3);
    assert!(out.1.is_empty());
    let stderr = &out.2;
    assert!(stderr.contains("not a JWT"), "{stderr}");

    let expired = e.sim.issue_token(
        TokenSpec::app(&e.sim.demo_app().client_id, READ_ONLY)
            .with_lifetime(std::time::Duration::ZERO),
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = doctor(&e, &expired, &[]);
    assert_eq!(out.0, 3);
    assert!(out.2.contains("expired"), "{}", out.2);
}

#[test]
fn a_failed_sign_in_exits_3_with_the_aadsts_code_and_fix() {
    let e = Env::demo();
    let secret = "not-the-secret-hunter2";
    let mut c = bare(&e);
    c.env("AZURE_TENANT_ID", e.sim.tenant_id())
        .env("AZURE_CLIENT_ID", e.sim.demo_app().client_id)
        .env("AZURE_CLIENT_SECRET", secret)
        .args(["doctor", "auth"]);
    let out = outcome(c);
    assert_eq!(out.0, 3, "{}", out.2);
    let stderr = &out.2;
    assert!(
        stderr.contains("AADSTS7000215") && stderr.contains("AZURE_CLIENT_SECRET"),
        "{stderr}"
    );
    assert_token_not_shown(&out, secret);
}

#[test]
fn the_right_secret_signs_in_like_every_command() {
    let e = Env::demo();
    let app = e.sim.demo_app();
    let mut c = bare(&e);
    c.env("AZURE_TENANT_ID", e.sim.tenant_id())
        .env("AZURE_CLIENT_ID", &app.client_id)
        .env("AZURE_CLIENT_SECRET", &app.client_secret)
        .args(["-o", "json"])
        .args(["doctor", "auth"]);
    let out = outcome(c);
    assert_eq!(out.0, 0, "{}", out.2);
    assert_token_not_shown(&out, &app.client_secret);
    let doc: Value = serde_json::from_str(&out.1).expect("json");
    assert_eq!(doc["method"], "env");
    assert_eq!(doc["kind"], "app-only");
}
