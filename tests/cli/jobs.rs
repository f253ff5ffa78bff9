//! `provctl jobs ...` end to end: listing with `$batch` discovery and filters, naming jobs, show,
//! restart with every scope (checked against the emulator's state and the exact wire body), the
//! guard rails, dry runs, start/pause, `--wait`, and `jobs check`.

use provctl::sim::demo::*;
use serde_json::Value;

use crate::common::{Env, eventually, sp_job};

fn code(doc: &Value) -> &str {
    doc["status"]["code"].as_str().unwrap_or("")
}

#[test]
fn jobs_list_shows_every_job_of_the_demo_tenant_with_two_requests() {
    let env = Env::demo();
    let (code, out, err) = env.run(&["jobs", "list"]);
    assert_eq!(code, 0, "{err}");
    for app in [
        "corp.contoso.com",
        "emea.corp.contoso.com",
        "Salesforce",
        "ServiceNow",
        "Box",
        "Dropbox Business",
    ] {
        assert!(out.contains(app), "{app} missing:\n{out}");
    }
    assert!(out.contains("EncounteredEscrow"), "{out}");
    // One page of service principals, one $batch for the eight job lists.
    let wire = env.wire_requests();
    assert_eq!(
        wire.len(),
        2,
        "{:?}",
        wire.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(wire[0].path.ends_with("/servicePrincipals"));
    let q = wire[0].query.clone().unwrap_or_default();
    assert!(q.contains("%24top=999") || q.contains("$top=999"), "{q}");
    assert!(q.contains("select"), "{q}");
    assert!(wire[1].path.ends_with("/$batch"));
}

#[test]
fn jobs_list_json_is_the_full_graph_objects_with_their_service_principal() {
    let env = Env::demo();
    let doc = env.json(&["jobs", "list", "-o", "json"]);
    let jobs = doc.as_array().cloned().unwrap_or_default();
    assert_eq!(jobs.len(), 7);
    let corp = jobs
        .iter()
        .find(|j| j["id"] == JOB_CORP_PROVISIONING)
        .unwrap_or_else(|| panic!("corp job missing"));
    assert_eq!(corp["servicePrincipal"]["id"], SP_CORP);
    assert_eq!(corp["servicePrincipal"]["displayName"], "corp.contoso.com");
    assert!(corp["status"]["quarantine"]["seriesCount"].is_number());
    assert!(corp["synchronizationJobSettings"].is_array());
    assert!(corp.get("@odata.context").is_none());
}

#[test]
fn jobs_list_filters_by_status_template_application_and_cloud_sync() {
    let env = Env::demo();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["jobs", "list", "-o", "json", "--query", "[].id"];
        a.extend_from_slice(args);
        env.json(&a)
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(&["--status", "quarantine"]).len(), 3);
    assert_eq!(ids(&["--status", "paused"]), vec![JOB_BOX.to_owned()]);
    assert_eq!(ids(&["--status", "notrun"]), vec![JOB_DROPBOX.to_owned()]);
    assert_eq!(
        ids(&["--template", "SALESFORCE"]),
        vec![JOB_SALESFORCE.to_owned()]
    );
    assert_eq!(
        ids(&["--sp", "ServiceNow"]),
        vec![JOB_SERVICENOW.to_owned()]
    );
    assert_eq!(ids(&["--sp", SP_BOX]), vec![JOB_BOX.to_owned()]);
    assert_eq!(ids(&["--cloud-sync"]).len(), 3);
    env.clear();
    assert_eq!(ids(&["--cloud-sync"]).len(), 3);
    let q = env.wire_requests()[0].query.clone().unwrap_or_default();
    assert!(q.contains("applicationTemplateId"), "{q}");
    let (code, _, err) = env.run(&["jobs", "list", "--status", "sleeping"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("sleeping") && err.contains("quarantine"),
        "{err}"
    );
}

#[test]
fn jobs_list_renders_every_output_format() {
    let env = Env::demo();
    let (c, csv, _) = env.run(&["jobs", "list", "-o", "csv"]);
    assert_eq!(c, 0);
    assert!(
        csv.starts_with("application,servicePrincipalId,jobId,templateId,status"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 8);
    let (c, ndjson, _) = env.run(&["jobs", "list", "-o", "ndjson"]);
    assert_eq!(c, 0);
    assert_eq!(ndjson.lines().count(), 7);
    let (c, yaml, _) = env.run(&["jobs", "list", "-o", "yaml"]);
    assert_eq!(c, 0);
    assert!(yaml.contains("templateId: salesforce"), "{yaml}");
    let (c, tsv, _) = env.run(&["jobs", "list", "-o", "tsv"]);
    assert_eq!(c, 0);
    assert_eq!(tsv.lines().count(), 7, "no header row: {tsv}");
}

#[test]
fn jobs_show_accepts_sp_slash_job_template_with_sp_and_id_suffix() {
    let env = Env::demo();
    for args in [
        vec!["jobs", "show", "corp.contoso.com/AD2AADProvisioning"],
        vec!["jobs", "show", "AD2AADProvisioning", "--sp", SP_CORP],
        vec!["jobs", "show", JOB_CORP_PROVISIONING],
        vec!["jobs", "show", "…4d5e01"],
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains(JOB_CORP_PROVISIONING), "{out}");
        assert!(out.contains("every 40 minutes"), "{out}");
        assert!(
            out.contains("EncounteredEscrowProportionThreshold"),
            "{out}"
        );
        assert!(out.contains("Last successful run"), "{out}");
        assert!(out.contains("QuarantineTooManyDeletesThreshold"), "{out}");
    }
    let (c, out, _) = env.run(&["jobs", "show", "PHS", "--sp", "corp.contoso.com"]);
    assert_eq!(c, 5, "PHS is not a prefix of the template: {out}");
    let (c, out, err) = env.run(&["jobs", "show", "AD2AADPass", "--sp", "corp.contoso.com"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        out.contains("Objects by type") && out.contains("Last run"),
        "{out}"
    );
    let doc = env.json(&["jobs", "show", "salesforce", "-o", "json"]);
    assert_eq!(doc["id"], JOB_SALESFORCE);
    assert_eq!(doc["servicePrincipal"]["id"], SP_SALESFORCE);
}

#[test]
fn ambiguous_jobs_exit_2_and_unknown_jobs_exit_5_listing_the_candidates() {
    let env = Env::demo();
    let (code, _, err) = env.run(&["jobs", "show", "AD2AADProvisioning"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("matches 2 jobs"), "{err}");
    assert!(
        err.contains("emea.corp.contoso.com/AD2AADProvisioning."),
        "{err}"
    );
    let (code, _, err) = env.run(&["jobs", "show", "workday"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("'workday'") && err.contains("Box/BoxOutDelta."),
        "{err}"
    );
    let (code, _, err) = env.run(&["jobs", "show", "x", "--sp", "Fabrikam"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("'Fabrikam'"), "{err}");
}

fn restart_body(env: &Env) -> String {
    let posts = env.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].path.ends_with("/restart"), "{}", posts[0].path);
    posts[0].body.clone()
}

#[test]
fn restart_with_escrows_and_quarantine_clears_both_in_the_emulator() {
    let env = Env::demo();
    let target = sp_job(SP_CORP, JOB_CORP_PROVISIONING);
    let (code, out, err) = env.run(&["jobs", "restart", &target, "--reset", "escrows,quarantine"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Restarted corp.contoso.com/"), "{out}");
    assert_eq!(
        restart_body(&env),
        r#"{"criteria":{"resetScope":"Escrows, QuarantineState"}}"#
    );
    let job = env.job(SP_CORP, JOB_CORP_PROVISIONING);
    assert_eq!(code_of(&job), "Active");
    assert!(job["status"]["quarantine"].is_null());
    assert_eq!(job["status"]["lastExecution"]["countEscrowed"], 0);
}

fn code_of(doc: &Value) -> String {
    code(doc).to_owned()
}

#[test]
fn restart_with_watermark_runs_a_full_cycle() {
    let env = Env::demo();
    let target = sp_job(SP_CORP, JOB_CORP_PHS);
    let (c, _, err) = env.run(&["jobs", "restart", &target, "--reset", "Watermark"]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        restart_body(&env),
        r#"{"criteria":{"resetScope":"Watermark"}}"#
    );
    // A full (initial) cycle imports every object: 1200 in the emulator, against 12 for a delta.
    eventually(&env, SP_CORP, JOB_CORP_PHS, "the full cycle", |j| {
        j["status"]["lastExecution"]["countImported"] == 1200
    });
}

#[test]
fn restart_with_force_deletes_lifts_a_too_many_deletes_quarantine() {
    let env = Env::demo();
    let target = sp_job(SP_EMEA, JOB_EMEA_PROVISIONING);
    let (c, _, err) = env.run(&[
        "jobs",
        "restart",
        &target,
        "--reset",
        "force-deletes",
        "--yes",
    ]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        restart_body(&env),
        r#"{"criteria":{"resetScope":"ForceDeletes"}}"#
    );
    assert_eq!(code_of(&env.job(SP_EMEA, JOB_EMEA_PROVISIONING)), "Active");
    eventually(&env, SP_EMEA, JOB_EMEA_PROVISIONING, "a healthy run", |j| {
        j["status"]["lastExecution"]["state"] == "Succeeded"
    });
}

#[test]
fn restart_full_with_yes_and_portal_send_the_documented_bodies() {
    let env = Env::demo();
    let (c, _, err) = env.run(&[
        "jobs",
        "restart",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
        "--reset",
        "full",
        "--yes",
    ]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(restart_body(&env), r#"{"criteria":{"resetScope":"Full"}}"#);
    let job = env.job(SP_CORP, JOB_CORP_PROVISIONING);
    assert_eq!(code_of(&job), "Active");
    assert_eq!(job["status"]["lastExecution"]["countEscrowed"], 0);
    env.clear();
    let (c, out, err) = env.run(&[
        "jobs",
        "restart",
        &sp_job(SP_SALESFORCE, JOB_SALESFORCE),
        "--reset",
        "portal",
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("portal"), "{out}");
    assert_eq!(restart_body(&env), r#"{"criteria":{}}"#);
    assert_eq!(code_of(&env.job(SP_SALESFORCE, JOB_SALESFORCE)), "Active");
}

#[test]
fn restart_without_reset_lists_the_choices_and_sends_nothing() {
    let env = Env::demo();
    let (c, _, err) = env.run(&["jobs", "restart", "salesforce"]);
    assert_eq!(c, 2);
    for word in [
        "--reset is required",
        "portal",
        "escrows",
        "watermark",
        "quarantine",
        "force-deletes",
        "connector-data-store",
        "none",
    ] {
        assert!(err.contains(word), "{word}: {err}");
    }
    let (c, _, err) = env.run(&["jobs", "restart", "salesforce", "--reset", "everything"]);
    assert_eq!(c, 2);
    assert!(err.contains("'everything'"), "{err}");
    assert!(env.requests().is_empty(), "{:?}", env.requests());
}

#[test]
fn none_and_connector_data_store_are_refused_without_force() {
    let env = Env::demo();
    let target = sp_job(SP_BOX, JOB_BOX);
    for scope in ["none", "connector-data-store", "ConnectorDataStore"] {
        let (c, _, err) = env.run(&["jobs", "restart", &target, "--reset", scope]);
        assert_eq!(c, 2, "{scope}: {err}");
        assert!(err.contains("refusing"), "{err}");
    }
    assert!(env.requests().is_empty());
    // Issue 14 item 9: --force allows the scope; it does not confirm the action.
    for scope in ["none", "connector-data-store"] {
        let (c, _, err) = env.run(&["jobs", "restart", &target, "--reset", scope, "--force"]);
        assert_eq!(c, 2, "{scope}: {err}");
        assert!(err.contains("needs confirmation"), "{err}");
    }
    assert!(env.posts().is_empty(), "{:?}", env.posts());
    let (c, _, err) = env.run(&[
        "jobs", "restart", &target, "--reset", "none", "--force", "--yes",
    ]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(restart_body(&env), r#"{"criteria":{"resetScope":"None"}}"#);
    // None starts the paused job, as Microsoft describes (and why start is the better call).
    assert_eq!(code_of(&env.job(SP_BOX, JOB_BOX)), "Active");
    env.clear();
    let (c, _, err) = env.run(&[
        "jobs",
        "restart",
        &sp_job(SP_SERVICENOW, JOB_SERVICENOW),
        "--reset",
        "connector-data-store",
        "--force",
        "--yes",
    ]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        restart_body(&env),
        r#"{"criteria":{"resetScope":"ConnectorDataStore"}}"#
    );
    // Clearing the connector cache makes the next run a full cycle.
    eventually(&env, SP_SERVICENOW, JOB_SERVICENOW, "the full cycle", |j| {
        j["status"]["lastExecution"]["countImported"] == 1200
    });
}

#[test]
fn restart_with_full_requires_yes_when_not_a_terminal_and_sends_nothing() {
    let env = Env::demo();
    for scope in ["full", "force-deletes", "escrows,ForceDeletes"] {
        let (c, _, err) = env.run(&[
            "jobs",
            "restart",
            &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
            "--reset",
            scope,
        ]);
        assert_eq!(c, 2, "{scope}: {err}");
        assert!(
            err.contains("nothing was sent") && err.contains("--yes"),
            "{err}"
        );
    }
    assert!(env.requests().is_empty(), "{:?}", env.requests());
}

#[test]
fn dry_run_prints_the_exact_request_and_sends_no_action() {
    let env = Env::demo();
    let target = sp_job(SP_CORP, JOB_CORP_PROVISIONING);
    let (c, out, err) = env.run(&[
        "jobs",
        "restart",
        &target,
        "--reset",
        "watermark,escrows,quarantine",
        "--dry-run",
    ]);
    assert_eq!(c, 0, "{err}");
    let url = format!(
        "POST {}v1.0/servicePrincipals/{SP_CORP}/synchronization/jobs/{JOB_CORP_PROVISIONING}/restart",
        env.sim.base_url()
    );
    assert!(out.contains(&url), "{out}");
    assert!(
        out.contains("\"resetScope\": \"Watermark, Escrows, QuarantineState\""),
        "{out}"
    );
    assert!(
        out.contains("Bearer (redacted)") && out.contains("nothing was sent"),
        "{out}"
    );
    // Full needs no confirmation when nothing is sent.
    let (c, out, _) = env.run(&[
        "jobs",
        "restart",
        &target,
        "--reset",
        "full",
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(c, 0);
    assert!(out.contains("\"dryRun\": true"), "{out}");
    // Box is paused (start would resume it); ServiceNow is active (pause would pause it).
    for (verb, job, path) in [
        ("start", sp_job(SP_BOX, JOB_BOX), "/start"),
        ("pause", sp_job(SP_SERVICENOW, JOB_SERVICENOW), "/pause"),
    ] {
        let (c, out, err) = env.run(&["jobs", verb, &job, "--dry-run"]);
        assert_eq!(c, 0, "{err}");
        assert!(out.contains(path), "{out}");
    }
    assert!(env.posts().is_empty(), "{:?}", env.posts());
    assert!(
        env.requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.ends_with("$batch"))
    );
    assert_eq!(
        code_of(&env.job(SP_CORP, JOB_CORP_PROVISIONING)),
        "Quarantine"
    );
}

#[test]
fn start_resumes_a_paused_job_and_has_nothing_to_change_on_an_active_one_without_force() {
    let env = Env::demo();
    let (c, out, err) = env.run(&["jobs", "start", "BoxOutDelta"]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("Started Box/"), "{out}");
    assert_eq!(code_of(&env.job(SP_BOX, JOB_BOX)), "Active");
    env.clear();
    let (c, out, err) = env.run(&["jobs", "start", "ServiceNowOutDelta"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        out.contains("already Active: nothing to change") && err.contains("--force"),
        "{out}{err}"
    );
    assert!(env.posts().is_empty());
    let (c, _, err) = env.run(&["jobs", "start", "ServiceNowOutDelta", "--force"]);
    assert_eq!(c, 0, "{err}");
    assert_eq!(env.posts().len(), 1);
}

#[test]
fn pause_pauses_and_reports_the_previous_status() {
    let env = Env::demo();
    let doc = env.json(&[
        "jobs",
        "pause",
        "--sp",
        "ServiceNow",
        "ServiceNowOutDelta",
        "-o",
        "json",
    ]);
    assert_eq!(doc["action"], "pause");
    assert_eq!(doc["previousStatus"], "Active");
    let job = env.job(SP_SERVICENOW, JOB_SERVICENOW);
    assert_eq!(code_of(&job), "Paused");
    assert_eq!(job["schedule"]["state"], "Paused");
    env.clear();
    let (c, out, err) = env.run(&["jobs", "pause", "ServiceNowOutDelta"]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("already Paused: nothing to change"), "{out}");
    assert!(env.posts().is_empty(), "nothing sent");
}

#[test]
fn wait_returns_0_after_the_next_cycle_succeeds() {
    let env = Env::demo();
    let (c, out, err) = env.run_waiting(&[
        "jobs",
        "restart",
        &sp_job(SP_CORP, JOB_CORP_PROVISIONING),
        "--reset",
        "escrows,quarantine",
    ]);
    assert_eq!(c, 0, "{err}\n{out}");
    assert!(err.contains("waiting for the next run"), "{err}");
    assert!(err.contains("last run Succeeded"), "{err}");
    assert!(out.contains("healthy"), "{out}");
    let (c, _, err) = env.run_waiting(&["jobs", "start", "BoxOutDelta"]);
    assert_eq!(c, 0, "{err}");
}

#[test]
fn wait_returns_7_when_the_job_is_quarantined_again_and_9_on_timeout() {
    let env = Env::demo();
    let (c, _, err) = env.run_waiting(&["jobs", "restart", "salesforce", "--reset", "quarantine"]);
    assert_eq!(c, 7, "{err}");
    assert!(
        err.contains("quarantined again (EncounteredQuarantineException)"),
        "{err}"
    );
    let (c, _, err) = env.run(&[
        "jobs",
        "restart",
        "salesforce",
        "--reset",
        "quarantine",
        "--wait",
        "--timeout",
        "0s",
    ]);
    assert_eq!(c, 9, "{err}");
    assert!(err.contains("no run finished within"), "{err}");
    let (c, _, err) = env.run(&["jobs", "start", "box", "--wait", "--timeout", "soon"]);
    assert_eq!(c, 2);
    assert!(err.contains("'soon'"), "{err}");
}

#[test]
fn jobs_check_prints_one_line_per_unhealthy_job_and_exits_7() {
    let env = Env::demo();
    let (c, out, _) = env.run(&["jobs", "check"]);
    assert_eq!(c, 7, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines.iter().all(|l| l.starts_with("CRITICAL ")), "{out}");
    assert!(out.contains("reason=TooManyDeletes"), "{out}");
    let (c, out, _) = env.run(&["jobs", "check", "--sp", "ServiceNow"]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(out, "OK: 1 job(s), all healthy\n");
    let (c, out, _) = env.run(&[
        "jobs",
        "check",
        "--sp",
        "Box",
        "--paused-is-unhealthy",
        "-o",
        "json",
    ]);
    assert_eq!(c, 7);
    assert!(out.contains("\"health\": \"paused\""), "{out}");
}

#[test]
fn snapshot_jobs_list_table() {
    let env = Env::fixed();
    let (c, out, err) = env.run(&["jobs", "list"]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("jobs_list", out);
}

#[test]
fn snapshot_jobs_show_page() {
    let env = Env::fixed();
    let (c, out, err) = env.run(&["jobs", "show", "corp.contoso.com/AD2AADProvisioning"]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("jobs_show_corp", out);
}

/// Issue 16: at a terminal 80 columns wide, `jobs check` is a table fitted to the width (the
/// monitoring lines would wrap through the job ids); the exit code is still 7.
#[test]
fn jobs_check_on_an_80_column_terminal_is_a_table_that_never_splits_an_id() {
    use std::io::Read;
    let env = Env::fixed();
    let (mut child, mut reader, _keyboard) = env.in_terminal(80, &["jobs", "check"]);
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shown.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // The pty reports EIO once the child has gone.
            Err(_) => break,
        }
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.exit_code(), 7, "{status:?}");
    let shown = String::from_utf8_lossy(&shown);
    assert!(
        shown.starts_with("APPLICATION") && shown.contains("…4d5e01"),
        "{shown}"
    );
    for line in shown.lines() {
        assert!(line.chars().count() <= 80, "{line:?} wraps:\n{shown}");
    }
}

/// Issue 16: at a terminal, the force-deletes prompt quotes the pending deletes the job reports
/// (812 over the threshold of 500) and reads as one sentence; "n" sends nothing.
#[test]
fn the_force_deletes_prompt_shows_the_pending_deletes_and_no_answers_send_nothing() {
    use std::io::{Read, Write};
    let env = Env::fixed();
    let (mut child, mut reader, mut keyboard) = env.in_terminal(
        200,
        &[
            "jobs",
            "restart",
            "emea.corp.contoso.com/AD2AADProvisioning",
            "--reset",
            "force-deletes",
        ],
    );
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&shown).contains("[y/N]") {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => shown.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let prompt = String::from_utf8_lossy(&shown).into_owned();
    assert!(
        prompt.contains("(812) exceeded the accidental deletion threshold (500)")
            && prompt.contains("Proceed? [y/N]")
            && !prompt.contains(".."),
        "{prompt}"
    );
    keyboard
        .write_all(b"n\r")
        .and_then(|_| keyboard.flush())
        .unwrap_or_else(|e| panic!("{e}"));
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.exit_code(), 1, "{status:?}");
    assert!(env.posts().is_empty(), "nothing sent");
}
