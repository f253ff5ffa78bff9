//! `provctl quarantine deletes` end to end: the deletes a TooManyDeletes job holds back (the demo's
//! emea configuration, whose last cycle logged 812 deletes), counted in full past `--limit`, the
//! same count `logs search` gives for the cycle, and a plain "no list" when the logs hold nothing
//! for the job or refuse to be read. Also the short section `quarantine show` and `explain job`
//! add, pointing to the full list.

use provctl::sim::demo::*;
use serde_json::Value;

use crate::common::{Env, sp_job};

const EMEA: &str = "emea.corp.contoso.com/AD2AADProvisioning";

#[test]
fn quarantine_deletes_lists_the_current_cycle_and_counts_every_delete_past_the_limit() {
    let env = Env::demo();
    let (c, out, err) = env.run(&["quarantine", "deletes", EMEA, "--limit", "3"]);
    assert_eq!(c, 0, "{err}");
    // Absolute times move with the clock of `Env::demo()`; relative ones are pinned to it.
    insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "[time]")]}, {
        insta::assert_snapshot!("quarantine_deletes_emea", out);
    });

    let doc = env.json(&["quarantine", "deletes", EMEA, "--limit", "3", "-o", "json"]);
    assert_eq!(doc["jobId"], JOB_EMEA_PROVISIONING);
    assert_eq!(doc["quarantinedTooManyDeletes"], true);
    assert_eq!(doc["threshold"]["jobSetting"], "500");
    assert_eq!(doc["threshold"]["cloudSync"]["value"], 500);
    let events = &doc["events"];
    assert_eq!(events["state"], "listed");
    assert_eq!(
        events["total"].as_u64(),
        Some(EMEA_HELD_BACK_DELETES as u64)
    );
    assert_eq!(events["complete"], true);
    assert_eq!(events["events"].as_array().map(Vec::len), Some(3));
    // The job's own count, quoted from Graph, agrees with the events in the demo.
    let said = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        said.contains(&format!("({EMEA_HELD_BACK_DELETES})")),
        "{said}"
    );

    // The same cycle through `logs search`: the same number of delete events.
    let cycle = events["cycleId"].as_str().unwrap_or_default();
    let searched = env.json(&[
        "logs",
        "search",
        "--job",
        JOB_EMEA_PROVISIONING,
        "--cycle",
        cycle,
        "--action",
        "delete",
        "--all",
        "-o",
        "json",
    ]);
    assert_eq!(
        searched.as_array().map(Vec::len),
        Some(EMEA_HELD_BACK_DELETES)
    );

    // CSV: one row per event shown, with full ids.
    let (c, csv, err) = env.run(&["quarantine", "deletes", EMEA, "--limit", "2", "-o", "csv"]);
    assert_eq!(c, 0, "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[0].starts_with(
            "activityDateTime,action,status,sourceName,sourceId,targetName,targetId,errorCode,id"
        ),
        "{csv}"
    );
    assert!(
        lines[1].contains(",delete,skipped,Former Employee"),
        "{csv}"
    );
}

#[test]
fn quarantine_deletes_says_there_is_no_list_when_the_logs_hold_no_event_of_the_job() {
    // The fixed tenant is the demo's documents without its provisioning logs.
    let env = Env::fixed();
    let (c, out, err) = env.run(&["quarantine", "deletes", EMEA]);
    assert_eq!(c, 0, "{err}");
    insta::assert_snapshot!("quarantine_deletes_no_cycle", out);
    let doc = env.json(&["quarantine", "deletes", EMEA, "-o", "json"]);
    assert_eq!(doc["events"]["state"], "noCycle");
    assert_eq!(doc["events"].get("total"), None);
}

#[test]
fn quarantine_deletes_says_there_is_no_list_when_the_log_read_is_refused() {
    let env = Env::demo().with_roles(&["Application.Read.All", "Synchronization.ReadWrite.All"]);
    let (c, out, err) = env.run(&["quarantine", "deletes", EMEA]);
    assert_eq!(c, 0, "{err}");
    assert!(
        out.contains("no list: Graph refused the provisioning logs (403"),
        "{out}"
    );
    assert!(out.contains("To read provisioning logs, grant"), "{out}");
    assert!(!out.contains("Former Employee"), "{out}");
    let doc = env.json(&["quarantine", "deletes", EMEA, "-o", "json"]);
    assert_eq!(doc["events"]["state"], "refused");
    assert_eq!(doc["events"]["status"], 403);
    // What the job itself says is still shown.
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("812"))
    );
}

#[test]
fn quarantine_show_and_explain_job_count_the_deletes_and_point_to_the_list() {
    let env = Env::demo();
    let key = sp_job(SP_EMEA, JOB_EMEA_PROVISIONING);
    for args in [
        vec!["quarantine", "show", EMEA],
        vec!["explain", "job", EMEA],
    ] {
        let (c, out, err) = env.run(&args);
        assert_eq!(c, 0, "{args:?}: {err}");
        assert!(
            out.contains("812 delete/disable event(s) in the current cycle"),
            "{args:?}: {out}"
        );
        assert!(
            out.contains(&format!("provctl quarantine deletes {key}")),
            "{args:?}: {out}"
        );
    }
    let doc = env.json(&["quarantine", "show", EMEA, "-o", "json"]);
    let evidence = doc["explanation"]["findings"][0]["evidence"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        evidence
            .iter()
            .any(|e| e["field"] == "provisioningLogs.deleteEvents"),
        "{evidence:?}"
    );
    // A job without a TooManyDeletes error reads no deletes.
    let doc: Value = env.json(&["quarantine", "show", "salesforce", "-o", "json"]);
    let text = doc.to_string();
    assert!(!text.contains("provisioningLogs.deleteEvents"), "{text}");
}
