//! `quarantine clear --all` and `jobs restart --all` end to end: the exact requests of a dry run
//! (and none sent), one confirmation or `--yes`, the TooManyDeletes job skipped without
//! `--force`, a job Graph refuses (exit 8, named), `--wait` on a job quarantined again (exit 7),
//! an empty or unknown selection, and the result table at two widths.

use provctl::sim::demo::*;
use serde_json::Value;

use crate::common::Env;

/// `jobs restart --all --reset escrows --dry-run -o json`, for selection flags to be added to.
const RESTART_ALL_DRY_RUN: &[&str] = &[
    "jobs",
    "restart",
    "--all",
    "--reset",
    "escrows",
    "--dry-run",
    "-o",
    "json",
];

/// The job paths (`…/jobs/{id}/{action}`) of the POSTs the emulator received.
fn posted(env: &Env) -> Vec<String> {
    let mut p: Vec<String> = env.posts().into_iter().map(|r| r.path).collect();
    p.sort();
    p
}

fn job_path(sp: &str, job: &str, action: &str) -> String {
    format!("/v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}/{action}")
}

/// The row of `job` in a bulk result document.
fn row<'a>(doc: &'a Value, job: &str) -> &'a Value {
    doc["jobs"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["jobId"] == job))
        .unwrap_or_else(|| panic!("no row for {job} in {doc:#}"))
}

#[test]
fn quarantine_clear_all_dry_run_lists_the_exact_requests_and_sends_nothing() {
    let env = Env::demo();
    let (c, out, err) = env.run(&["quarantine", "clear", "--all", "--dry-run"]);
    assert_eq!(c, 0, "{err}");
    let base = env.sim.base_url().as_str().trim_end_matches('/').to_owned();
    for (sp, job) in [
        (SP_CORP, JOB_CORP_PROVISIONING),
        (SP_SALESFORCE, JOB_SALESFORCE),
    ] {
        let line = format!("POST {base}{}", job_path(sp, job, "start"));
        assert!(out.contains(&line), "{line}\n{out}");
    }
    assert!(
        !out.contains(&job_path(SP_EMEA, JOB_EMEA_PROVISIONING, "start")),
        "{out}"
    );
    assert!(
        out.contains("skipped") && out.contains("TooManyDeletes"),
        "{out}"
    );
    assert!(out.contains("nothing to change"), "{out}");
    assert!(out.contains("nothing was sent"), "{out}");
    let doc = env.json(RESTART_ALL_DRY_RUN);
    let corp = row(&doc, JOB_CORP_PROVISIONING);
    assert_eq!(corp["outcome"], "dryRun");
    assert_eq!(corp["request"]["method"], "POST");
    assert_eq!(
        corp["request"]["url"],
        format!(
            "{base}{}",
            job_path(SP_CORP, JOB_CORP_PROVISIONING, "restart")
        )
    );
    assert_eq!(corp["request"]["body"]["criteria"]["resetScope"], "Escrows");
    let (c, csv, err) = env.run(&["quarantine", "clear", "--all", "--dry-run", "-o", "csv"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        csv.starts_with("jobId,application,servicePrincipalId,action,outcome,detail\n")
            && csv.contains(&format!(
                "{JOB_SALESFORCE},Salesforce,{SP_SALESFORCE},start,dryRun,"
            )),
        "{csv}"
    );
    assert!(env.posts().is_empty(), "{:?}", posted(&env));
}

#[test]
fn quarantine_clear_all_with_yes_clears_every_quarantined_job_but_too_many_deletes() {
    let env = Env::demo();
    let (c, out, err) = env.run(&["quarantine", "clear", "--all", "--yes", "-o", "json"]);
    assert_eq!(c, 0, "{err}\n{out}");
    assert_eq!(
        posted(&env),
        vec![
            job_path(SP_CORP, JOB_CORP_PROVISIONING, "start"),
            job_path(SP_SALESFORCE, JOB_SALESFORCE, "start"),
        ]
    );
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(doc["action"], "start");
    assert_eq!(doc["counts"]["sent"], 2);
    assert_eq!(doc["counts"]["skipped"], 1);
    assert_eq!(doc["counts"]["unchanged"], 4);
    let emea = row(&doc, JOB_EMEA_PROVISIONING);
    assert_eq!(emea["outcome"], "skipped");
    assert!(
        emea["detail"]
            .as_str()
            .is_some_and(|d| d.contains("TooManyDeletes")),
        "{emea}"
    );
    assert_eq!(row(&doc, JOB_SERVICENOW)["outcome"], "unchanged");
    // The corp job ran and is healthy; the emea job is still held by its deletes.
    crate::common::eventually(&env, SP_CORP, JOB_CORP_PROVISIONING, "a healthy run", |j| {
        j["status"]["code"] == "Active" && j["status"]["lastExecution"]["state"] == "Succeeded"
    });
    let jobs = env.json(&["jobs", "list", "--status", "quarantine", "-o", "json"]);
    let ids: Vec<&str> = jobs
        .as_array()
        .map(|a| a.iter().filter_map(|j| j["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(ids.contains(&JOB_EMEA_PROVISIONING), "{ids:?}");
    assert!(!ids.contains(&JOB_CORP_PROVISIONING), "{ids:?}");
}

#[test]
fn too_many_deletes_is_skipped_without_force_and_cleared_with_it() {
    let env = Env::demo();
    let args = [
        "quarantine",
        "clear",
        "--all",
        "--reason",
        "TooManyDeletes",
        "--yes",
    ];
    let (c, out, err) = env.run(&args);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("skipped") && out.contains("--force"), "{out}");
    assert!(err.contains("1 job(s) skipped"), "{err}");
    // Restart with ForceDeletes in bulk: the same rule, the same flag.
    let doc = env.json(&[
        "jobs",
        "restart",
        "--all",
        "--sp",
        SP_EMEA,
        "--reset",
        "force-deletes",
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(row(&doc, JOB_EMEA_PROVISIONING)["outcome"], "skipped");
    assert!(env.posts().is_empty(), "{:?}", posted(&env));
    let (c, out, err) = env.run(&[&args[..], &["--force"]].concat());
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("sent"), "{out}");
    assert_eq!(
        posted(&env),
        vec![job_path(SP_EMEA, JOB_EMEA_PROVISIONING, "start")]
    );
}

#[test]
fn a_job_graph_refuses_exits_8_naming_it_and_the_others_are_done() {
    let env = Env::fixed_with(|doc| {
        let sps = doc["servicePrincipals"]
            .as_array_mut()
            .expect("servicePrincipals");
        let sf = sps
            .iter_mut()
            .find(|sp| sp["id"] == SP_SALESFORCE)
            .expect("the Salesforce service principal");
        sf["synchronization"]["jobs"][0]["actionError"] = serde_json::json!({
            "status": 409,
            "code": "Conflict",
            "message": "The job is being updated by another request."
        });
    });
    let (c, out, err) = env.run(&[
        "jobs",
        "restart",
        "--all",
        "--status",
        "quarantine",
        "--reset",
        "escrows,quarantine",
        "--yes",
    ]);
    assert_eq!(c, 8, "{err}\n{out}");
    assert!(
        out.contains("failed") && out.contains("409 Conflict"),
        "{out}"
    );
    let named = format!("Salesforce/{JOB_SALESFORCE}");
    assert!(
        err.contains(&format!("provctl: error: {named}:"))
            && err.contains("1 of 2 request(s) failed"),
        "{err}"
    );
    let sent = env
        .posts()
        .into_iter()
        .filter(|r| r.status == 204)
        .map(|r| r.path)
        .collect::<Vec<_>>();
    assert_eq!(
        sent,
        vec![job_path(SP_CORP, JOB_CORP_PROVISIONING, "restart")]
    );
}

#[test]
fn wait_exits_7_when_a_cleared_job_is_quarantined_again() {
    let env = Env::demo();
    let (c, out, err) = env.run(&[
        "quarantine",
        "clear",
        "--all",
        "--yes",
        "--wait",
        "--timeout",
        "20s",
        "--poll-interval",
        "30ms",
        "-o",
        "json",
    ]);
    assert_eq!(c, 7, "{err}\n{out}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(row(&doc, JOB_CORP_PROVISIONING)["outcome"], "healthy");
    assert_eq!(row(&doc, JOB_SALESFORCE)["outcome"], "quarantined");
    assert!(
        err.contains(&format!("Salesforce/{JOB_SALESFORCE}")),
        "{err}"
    );
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_sent() {
    let env = Env::demo();
    let (c, _, err) = env.run(&["quarantine", "clear", "--all"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let (c, _, err) = env.run(&["jobs", "restart", "--all", "--reset", "escrows"]);
    assert_eq!(c, 2, "{err}");
    assert!(env.posts().is_empty(), "{:?}", posted(&env));
}

#[test]
fn all_and_a_job_conflict_and_selection_flags_need_all() {
    let env = Env::demo();
    let (c, _, err) = env.run(&["quarantine", "clear", "salesforce", "--all"]);
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("--all") && err.contains("cannot be used with"),
        "{err}"
    );
    let (c, _, err) = env.run(&[
        "quarantine",
        "clear",
        "salesforce",
        "--status",
        "quarantine",
    ]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("--status") && err.contains("--all"), "{err}");
    let (c, _, err) = env.run(&[
        "jobs",
        "restart",
        "salesforce",
        "--reset",
        "escrows",
        "--concurrency",
        "2",
    ]);
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("--concurrency can only be used with --all"),
        "{err}"
    );
    let (c, _, err) = env.run(&[
        "quarantine",
        "clear",
        "--all",
        "--concurrency",
        "0",
        "--yes",
    ]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("--concurrency"), "{err}");
    let (c, _, err) = env.run(&["quarantine", "clear"]);
    assert_eq!(c, 2, "{err}");
    assert!(env.posts().is_empty());
}

#[test]
fn an_empty_selection_says_so_and_an_unknown_sp_is_not_found() {
    let env = Env::demo();
    let (c, out, err) = env.run(&[
        "jobs",
        "restart",
        "--all",
        "--template",
        "workday",
        "--reset",
        "escrows",
    ]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("No job matched"), "{out}");
    let (c, _, err) = env.run(&[
        "quarantine",
        "clear",
        "--all",
        "--sp",
        "No Such App",
        "--yes",
    ]);
    assert_eq!(c, 5, "{err}");
    assert!(env.posts().is_empty());
}

#[test]
fn snapshot_quarantine_clear_all_table() {
    for width in [80u16, 120] {
        let env = Env::fixed();
        let (c, out, err) = env.run_at_width(width, &["quarantine", "clear", "--all", "--yes"]);
        assert_eq!(c, 0, "{err}");
        insta::assert_snapshot!(format!("quarantine_clear_all_{width}"), out);
    }
}

#[test]
fn list_commands_and_all_pick_the_same_jobs_with_the_same_flags() {
    let env = Env::demo();
    let ids = |doc: &Value, key: &str| -> Vec<String> {
        let mut v: Vec<String> = doc
            .as_array()
            .or_else(|| doc["jobs"].as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|j| j[key].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    for select in [
        vec!["--status", "quarantine", "--cloud-sync"],
        vec!["--reason", "EncounteredQuarantineException"],
        vec!["--template", "AD2AADProvisioning"],
    ] {
        let listed = env.json(&[&["jobs", "list", "-o", "json"][..], &select].concat());
        let quarantined = env.json(&[&["quarantine", "list", "-o", "json"][..], &select].concat());
        let bulk = env.json(&[RESTART_ALL_DRY_RUN, &select].concat());
        assert_eq!(ids(&listed, "id"), ids(&bulk, "jobId"), "{select:?}");
        assert!(!ids(&listed, "id").is_empty(), "{select:?}");
        // quarantine list shows the quarantined ones among them.
        let q = ids(&quarantined, "id");
        assert!(
            q.iter().all(|id| ids(&listed, "id").contains(id)),
            "{select:?}"
        );
    }
    assert!(env.posts().is_empty());
}
