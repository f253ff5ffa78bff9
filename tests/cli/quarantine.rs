//! `provctl quarantine ...` end to end: the list (with the diagnose one-liner and days left), the
//! full story with the fix, clearing with start (and `--wait`), the TooManyDeletes guard, `--sim`.

use provctl::sim::demo::*;

use crate::common::{Env, offline, outcome, sp_job};

#[test]
fn quarantine_list_shows_only_quarantined_jobs_with_reason_days_left_and_cause() {
    let env = Env::demo();
    let (c, out, err) = env.run(&["quarantine", "list"]);
    assert_eq!(c, 0, "{err}");
    // Rows start in the first column; wrapped cells continue on indented lines.
    let rows = out.lines().filter(|l| !l.starts_with("  ")).count();
    assert_eq!(rows, 1 + 3, "{out}");
    assert!(out.contains("DAYS LEFT") && out.contains("CAUSE"), "{out}");
    // CSV carries the same facts, with full ids and RFC 3339 times.
    let (c, csv, _) = env.run(&["quarantine", "list", "-o", "csv"]);
    assert_eq!(c, 0);
    assert!(csv.contains("SalesforceInvalidCredentials"), "{csv}");
    assert!(
        csv.contains("The app rejected the admin credentials"),
        "{csv}"
    );
    assert!(
        csv.starts_with(
            "application,servicePrincipalId,jobId,reason,since,reEvaluations,nextAttempt,errorCode,daysLeft,cause\n"
        ),
        "{csv}"
    );
    assert!(!out.contains("ServiceNow") && !out.contains("Box"), "{out}");
    let doc = env.json(&[
        "quarantine",
        "list",
        "--reason",
        "toomanydeletes",
        "-o",
        "json",
    ]);
    assert_eq!(doc.as_array().map(Vec::len), Some(1));
    assert_eq!(doc[0]["id"], JOB_EMEA_PROVISIONING);
    let (c, _, err) = env.run(&["quarantine", "list", "--reason", "Sleepy"]);
    assert_eq!(c, 2);
    assert!(
        err.contains("'Sleepy'") && err.contains("TooManyDeletes"),
        "{err}"
    );
}

#[test]
fn quarantine_show_tells_the_story_and_the_fix() {
    let env = Env::demo();
    let (c, out, err) = env.run(&[
        "quarantine",
        "show",
        "emea.corp.contoso.com/AD2AADProvisioning",
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("TooManyDeletes"), "{out}");
    assert!(out.contains("days left"), "{out}");
    assert!(out.contains("Next steps"), "{out}");
    let doc = env.json(&["quarantine", "show", "salesforce", "-o", "json"]);
    assert_eq!(doc["job"]["id"], JOB_SALESFORCE);
    assert!(
        doc["explanation"]["findings"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
}

#[test]
fn quarantine_clear_calls_start_and_wait_reports_healthy() {
    let env = Env::demo();
    let (c, out, err) = env.run_waiting(&[
        "quarantine",
        "clear",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
    ]);
    assert_eq!(c, 0, "{err}\n{out}");
    let posts = env.posts();
    assert_eq!(posts.len(), 1);
    assert!(posts[0].path.ends_with("/start"), "{}", posts[0].path);
    assert_eq!(
        env.job(SP_CORP, JOB_CORP_PROVISIONING)["status"]["code"],
        "Active"
    );
}

#[test]
fn quarantine_clear_exits_7_when_the_job_is_quarantined_again() {
    let env = Env::demo();
    let (c, _, err) = env.run_waiting(&["quarantine", "clear", "salesforce"]);
    assert_eq!(c, 7, "{err}");
}

#[test]
fn quarantine_clear_refuses_too_many_deletes_and_has_nothing_to_change_on_healthy_jobs() {
    let env = Env::demo();
    let (c, _, err) = env.run(&[
        "quarantine",
        "clear",
        &sp_job(SP_EMEA, JOB_EMEA_PROVISIONING),
    ]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("force-deletes"), "{err}");
    let (c, out, err) = env.run(&["quarantine", "clear", "ServiceNowOutDelta"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        out.contains("not quarantined") && out.contains("nothing to change"),
        "{out}"
    );
    let (c, out, _) = env.run(&["quarantine", "clear", "salesforce", "--dry-run"]);
    assert_eq!(c, 0);
    assert!(out.contains("/start"), "{out}");
    assert!(env.posts().is_empty(), "{:?}", env.posts());
}

#[test]
fn sim_flag_runs_quarantine_list_on_a_fresh_machine() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut c = offline(&["--sim", "quarantine", "list"]);
    c.env("HOME", dir.path()).env("PROVCTL_TERM_WIDTH", "150");
    let (code, stdout, stderr) = outcome(c);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("corp.contoso.com") && stdout.contains("TooManyDeletes"),
        "{stdout}"
    );
}

#[test]
fn snapshot_quarantine_list_table() {
    let env = Env::fixed();
    let (c, out, err) = env.run(&["quarantine", "list"]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("quarantine_list", out);
}

#[test]
fn snapshot_quarantine_show_page() {
    let env = Env::fixed();
    let (c, out, err) = env.run(&["quarantine", "show", "salesforce"]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("quarantine_show_salesforce", out);
}

/// Builds (if needed) and finds `examples/restart_quarantined`.
fn example_binary() -> std::path::PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", "restart_quarantined"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|e| panic!("cargo build --example: {e}"));
    assert!(status.success());
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    // target/debug/deps/cli-<hash> → target/debug/examples/restart_quarantined
    let debug = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap_or_else(|| panic!("no target dir above {}", exe.display()));
    debug.join("examples").join("restart_quarantined")
}

#[test]
fn restart_quarantined_example_restarts_waits_and_reports() {
    let env = Env::demo();
    let ca = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(ca.path(), env.sim.ca_pem()).unwrap_or_else(|e| panic!("{e}"));
    let token = env.sim.issue_token(provctl::sim::TokenSpec::app(
        CLIENT_ID,
        crate::common::ROLES,
    ));
    let out = std::process::Command::new(example_binary())
        .args([
            "--reason",
            "EncounteredEscrowProportionThreshold",
            "--reset",
            "Escrows, QuarantineState",
            "--timeout",
            "20s",
            "--poll",
            "30ms",
            "--graph-url",
            env.sim.base_url().as_str(),
        ])
        .arg("--ca-file")
        .arg(ca.path())
        .env("PROVCTL_ACCESS_TOKEN", token)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 job(s) quarantined for EncounteredEscrowProportionThreshold"),
        "{stdout}"
    );
    assert!(
        stdout.contains("corp.contoso.com/AD2AADProvisioning.") && stdout.contains(": healthy"),
        "{stdout}"
    );
    let restart = env.posts();
    assert_eq!(restart.len(), 1);
    assert_eq!(
        restart[0].body,
        r#"{"criteria":{"resetScope":"Escrows, QuarantineState"}}"#
    );
}

#[test]
fn an_escrow_quarantine_names_the_dominant_error_from_the_logs() {
    let env = Env::demo();
    let job = sp_job(SP_CORP, JOB_CORP_PROVISIONING);
    // The demo's escrow-quarantined job: its failures since the quarantine series began, by code.
    let since = env.job(SP_CORP, JOB_CORP_PROVISIONING)["status"]["quarantine"]["seriesBegan"]
        .as_str()
        .expect("seriesBegan")
        .to_owned();
    let failures = env.json(&[
        "logs",
        "search",
        "--job",
        JOB_CORP_PROVISIONING,
        "--status",
        "failure",
        "--since",
        &since,
        "--all",
        "-o",
        "json",
    ]);
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for f in failures.as_array().cloned().unwrap_or_default() {
        let code = f["provisioningStatusInfo"]["errorInformation"]["errorCode"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *counts.entry(code).or_default() += 1;
    }
    let (top, n) = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, n)| (c.clone(), *n))
        .expect("the demo job has failures");
    for args in [
        vec!["quarantine", "show", job.as_str(), "-o", "json"],
        vec!["explain", "job", job.as_str(), "-o", "json"],
    ] {
        let doc = env.json(&args);
        let x = if doc.get("explanation").is_some() {
            &doc["explanation"]
        } else {
            &doc
        };
        let evidence = x["findings"][0]["evidence"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let dominant = evidence
            .iter()
            .find(|e| e["field"] == "provisioningLogs.dominantError")
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("{args:?}: no dominant error in {x}"));
        assert!(
            dominant.starts_with(&format!("{top}: {n} of ")),
            "{args:?}: {dominant}"
        );
        let first_step = &x["findings"][0]["nextSteps"][0]["command"];
        assert!(
            first_step
                .as_str()
                .is_some_and(|c| c.starts_with("provctl explain log ")),
            "{args:?}: {first_step}"
        );
    }
    // A job quarantined for another reason reads no logs for it.
    env.clear();
    let _ = env.json(&[
        "quarantine",
        "show",
        &sp_job(SP_SALESFORCE, JOB_SALESFORCE),
        "-o",
        "json",
    ]);
    assert!(
        !env.requests()
            .iter()
            .any(|r| r.path.contains("auditLogs/provisioning")),
        "{:?}",
        env.requests()
    );
}
