//! One reader for every offline command: the same files through `explain --file` and
//! `logs search --file` (and `logs show --file`). Log files list the same records in both (explain
//! takes those that did not simply succeed); other documents are explained and refused by search
//! with the same words; bad files are refused by both with the same message and exit code;
//! an empty file is an empty log in both; input quoted in a message is capped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::Env;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap_or_else(|e| panic!("{e}"));
    p
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.pointer("/subject/id").or(r.get("id")))
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What a file should give.
enum Want {
    /// Provisioning logs: this many records in `logs search`.
    Logs(usize),
    /// Another document: explained (this subject kind), refused by search naming what it holds.
    Explained(&'static str, &'static str),
    /// Refused by both commands with a message containing this.
    Refused(&'static str),
}

#[test]
fn the_same_files_read_the_same_through_explain_and_logs_search() {
    let env = Env::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    // provctl's own -o json (and other formats) of the demo tenant.
    let out = |args: &[&str]| -> String {
        let (code, out, err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    let search_json = out(&["logs", "search", "--all", "-o", "json"]);
    let searched: Value = serde_json::from_str(&search_json).unwrap_or_default();
    let n = searched.as_array().map_or(0, Vec::len);
    assert!(n > 5, "the demo tenant has events");
    let first_id = searched[0]["id"].as_str().unwrap_or_default().to_owned();
    let jobs_list = out(&["jobs", "list", "-o", "json"]);
    let jobs: Value = serde_json::from_str(&jobs_list).unwrap_or_default();
    let agents: Value = serde_json::from_slice(
        &std::fs::read(repo(
            "wiremock-fixtures/onPremisesAgent.list.one-inactive.json",
        ))
        .unwrap_or_default(),
    )
    .unwrap_or_default();
    let azure: Value = serde_json::from_slice(
        &std::fs::read(repo("examples/azure-monitor-provisioninglogs.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    let envelopes = azure["records"].as_array().cloned().unwrap_or_default();
    // One envelope per line, camelCase, with numbers as strings.
    let lines: String = envelopes
        .iter()
        .map(|e| {
            let text = e
                .to_string()
                .replace("\"DurationInMilliseconds\":", "\"durationInMilliseconds\":");
            format!("{text}\n")
        })
        .collect();
    let explained_out = out(&["explain", "log", &first_id, "-o", "json"]);
    let on_demand = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
        "key": "{\"result\":\"Skipped\",\"details\":{\"errorCode\":\"RedundantExport\",\"errorMessage\":\"The object is already in the target.\"}}",
        "value": "{}"
    });
    let pages = format!(
        "{}\n{}",
        json!({"@odata.nextLink": "x", "value": searched.as_array().map(|a| a[..3].to_vec()).unwrap_or_default()}),
        json!({"value": searched.as_array().map(|a| a[3..].to_vec()).unwrap_or_default()})
    );
    let long_garbage = "x".repeat(100_000);
    let cases: Vec<(&str, PathBuf, Want)> = vec![
        (
            "search -o json",
            write(d, "search.json", &search_json),
            Want::Logs(n),
        ),
        (
            "search -o ndjson",
            write(
                d,
                "search.ndjson",
                out(&["logs", "search", "--all", "-o", "ndjson"]),
            ),
            Want::Logs(n),
        ),
        (
            "search -o csv",
            write(
                d,
                "search.csv",
                out(&["logs", "search", "--all", "-o", "csv"]),
            ),
            Want::Logs(n),
        ),
        (
            "show -o json",
            write(
                d,
                "show.json",
                out(&["logs", "show", &first_id, "-o", "json"]),
            ),
            Want::Logs(1),
        ),
        (
            "two Graph pages",
            write(d, "pages.json", pages),
            Want::Logs(n),
        ),
        (
            "Azure Monitor blob",
            repo("examples/azure-monitor-provisioninglogs.json"),
            Want::Logs(envelopes.len()),
        ),
        (
            "Azure Monitor lines",
            write(d, "azure.ndjson", lines),
            Want::Logs(envelopes.len()),
        ),
        (
            "portal download",
            repo("examples/portal-download.json"),
            Want::Logs(3),
        ),
        (
            "Graph page of skips",
            repo("wiremock-fixtures/provisioningObjectSummary.list.cloudsync-skipped-page1.json"),
            Want::Logs(1),
        ),
        ("empty", write(d, "empty.json", ""), Want::Logs(0)),
        (
            "jobs list -o json",
            write(d, "jobs.json", &jobs_list),
            Want::Explained("job", "synchronization jobs"),
        ),
        (
            "one job",
            write(d, "job.json", jobs[0].to_string()),
            Want::Explained("job", "synchronization jobs"),
        ),
        (
            "Graph job list",
            repo("wiremock-fixtures/synchronizationJob.list.cloudsync-quarantined.json"),
            Want::Explained("job", "synchronization jobs"),
        ),
        (
            "quarantine show -o json",
            write(
                d,
                "qshow.json",
                json!({"job": jobs[0], "explanation": {"subject": {"kind": "job", "id": "x"}}})
                    .to_string(),
            ),
            Want::Explained("job", "synchronization jobs"),
        ),
        (
            "Graph error",
            repo("wiremock-fixtures/graphError.forbidden-nested.json"),
            Want::Explained("graph-error", "a Graph error"),
        ),
        (
            "provisionOnDemand answer",
            write(d, "pod.json", on_demand.to_string()),
            Want::Explained("on-demand", "a provisionOnDemand answer"),
        ),
        (
            "Graph agent list",
            repo("wiremock-fixtures/onPremisesAgent.list.one-inactive.json"),
            Want::Explained("agents", "provisioning agents"),
        ),
        (
            "agents list -o json",
            write(
                d,
                "agents.json",
                json!({"agents": agents["value"], "publishedResources": []}).to_string(),
            ),
            Want::Explained("agents", "provisioning agents"),
        ),
        (
            "NUL bytes",
            write(d, "nul.bin", vec![0u8; 300_000]),
            Want::Refused("byte 0x00"),
        ),
        (
            "garbage",
            write(d, "garbage.txt", "hello world\nmore\n"),
            Want::Refused("it starts with 'hello world'"),
        ),
        (
            "one long line",
            write(d, "long.txt", &long_garbage),
            Want::Refused("no line ends in its first 64 KiB"),
        ),
        (
            "explain -o json",
            write(d, "explained.json", explained_out),
            Want::Refused("provctl's own explanation"),
        ),
        (
            "not a document",
            write(d, "hello.json", "{\"hello\":1}"),
            Want::Refused("its first object has the members 'hello'"),
        ),
        (
            "cut short",
            write(d, "cut.json", &search_json[..search_json.len() / 2]),
            Want::Refused("cut short"),
        ),
    ];
    for (name, file, want) in cases {
        let f = file.to_str().unwrap_or_default();
        let (ec, eout, eerr) = env.run(&["explain", "--file", f, "-o", "json"]);
        let (sc, sout, serr) = env.run(&["logs", "search", "--file", f, "--all", "-o", "json"]);
        match want {
            Want::Logs(count) => {
                assert_eq!((ec, sc), (0, 0), "{name}: {eerr} / {serr}");
                let listed: Value = serde_json::from_str(&sout).unwrap_or_default();
                let records = listed.as_array().cloned().unwrap_or_default();
                assert_eq!(records.len(), count, "{name}");
                let explained: Value = serde_json::from_str(&eout).unwrap_or_default();
                // Explain takes the entries that did not simply succeed (one entry: whatever it is).
                let problems: Vec<Value> = records
                    .iter()
                    .filter(|r| {
                        count == 1
                            || r.pointer("/provisioningStatusInfo/status")
                                != Some(&json!("success"))
                            || r.pointer("/provisioningStatusInfo/errorInformation")
                                .is_some_and(|e| !e.is_null())
                    })
                    .cloned()
                    .collect();
                assert_eq!(ids(&explained), ids(&Value::Array(problems)), "{name}");
            }
            Want::Explained(kind, holds) => {
                assert_eq!(ec, 0, "{name}: {eerr}");
                let explained: Value = serde_json::from_str(&eout).unwrap_or_default();
                let kinds: BTreeSet<&str> = explained
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.pointer("/subject/kind").and_then(Value::as_str))
                    .collect();
                assert_eq!(kinds, BTreeSet::from([kind]), "{name}: {eout}");
                assert_eq!(sc, 1, "{name}");
                assert!(
                    serr.contains(&format!(
                        "this file holds {holds}, not provisioning log entries"
                    )),
                    "{name}: {serr}"
                );
            }
            Want::Refused(why) => {
                assert_ne!(ec, 0, "{name}");
                assert_eq!(ec, sc, "{name}: the same exit code");
                assert_eq!(eerr, serr, "{name}: the same message");
                assert!(eerr.contains(why), "{name}: {eerr}");
                // Input quoted in a message is capped (about 200 characters).
                assert!(eerr.len() < 700, "{name}: {} bytes of message", eerr.len());
                // Refused before a record is read, except a file cut short: the records before
                // the cut are streamed out, then the error (and a non-zero exit) ends the output.
                if !why.contains("cut short") {
                    assert!(eout.is_empty() && sout.is_empty(), "{name}");
                }
            }
        }
        // `logs show --file` uses the same reader: the same refusal for a bad file.
        if let Want::Refused(_) = want {
            let (code, _, err) = env.run(&["logs", "show", "x", "--file", f]);
            assert_eq!((code, err), (sc, serr.clone()), "{name}: logs show");
        }
    }
}

#[test]
fn an_object_or_an_entry_is_picked_out_of_a_file_with_id() {
    let env = Env::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_, all, _) = env.run(&["logs", "search", "--all", "-o", "ndjson"]);
    let file = write(dir.path(), "all.ndjson", &all);
    let f = file.to_str().unwrap_or_default();
    let first: Value =
        serde_json::from_str(all.lines().next().unwrap_or_default()).unwrap_or_default();
    let id = first["id"].as_str().unwrap_or_default();
    let x = env.json(&["explain", "--file", f, "--id", id, "-o", "json"]);
    assert_eq!(ids(&x), BTreeSet::from([id.to_owned()]));
    // An object's history, the id in upper case.
    let object = first["sourceIdentity"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let x = env.json(&["explain", "--file", f, "--id", &object, "-o", "json"]);
    assert_eq!(x[0]["subject"]["kind"], "object", "{x}");
    let (code, _, err) = env.run(&["explain", "--file", f, "--id", "no-such-record"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no record with id 'no-such-record'"), "{err}");
}

/// Issue 14 item 15: a log file or an error envelope with terminal controls in its names and
/// messages (retitle, clear screen, the one-byte CSI) is shown clean by every offline command.
#[test]
fn a_crafted_file_cannot_retitle_or_clear_the_terminal_in_any_offline_command() {
    let crafted = "Evil\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31mX";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let record = json!({
        "id": "11111111-1111-1111-1111-111111111111",
        "activityDateTime": "2026-11-25T10:00:00Z",
        "jobId": "job1", "cycleId": "c", "changeId": "ch",
        "provisioningAction": "create",
        "provisioningStatusInfo": {"status": "failure", "errorInformation": {
            "errorCode": format!("Bad{crafted}"), "reason": crafted, "additionalDetails": crafted}},
        "sourceIdentity": {"id": "a", "displayName": crafted, "identityType": "User"},
        "targetIdentity": {"id": "b", "displayName": crafted, "identityType": "User"},
        "servicePrincipal": {"id": "sp", "displayName": crafted},
        "provisioningSteps": [{"name": "EntryExport", "provisioningStepType": "export",
            "status": "failure", "description": crafted, "details": {"k": crafted}}],
    });
    let logs = write(dir.path(), "logs.json", json!([record]).to_string());
    let error = write(
        dir.path(),
        "error.json",
        json!({"error": {"code": format!("x{crafted}"), "message": crafted}}).to_string(),
    );
    let (logs, error) = (logs.to_string_lossy(), error.to_string_lossy());
    let runs: Vec<Vec<&str>> = vec![
        vec!["explain", "--file", &logs],
        vec!["explain", "--file", &error],
        vec!["logs", "search", "--file", &logs],
        vec!["logs", "search", "--file", &logs, "-o", "csv"],
        vec!["logs", "search", "--file", &logs, "-o", "tsv"],
        vec!["logs", "summary", "--file", &logs],
        vec![
            "logs",
            "show",
            "11111111-1111-1111-1111-111111111111",
            "--file",
            &logs,
        ],
    ];
    for args in runs {
        let (_, out, err) = crate::common::outcome(crate::common::offline(&args));
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{9b}'])
                && !err.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "{args:?}: a raw control character in\n{out:?}\n{err:?}"
        );
        assert!(
            out.contains("Evil") || err.contains("Evil"),
            "{args:?}: the text is still shown:\n{out}\n{err}"
        );
    }
}

/// Nothing found in a file names the file: Graph's retention and sync timing say nothing about it.
#[test]
fn nothing_found_in_a_file_names_the_file_not_the_retained_logs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = write(dir.path(), "empty.ndjson", "");
    let empty = empty.to_string_lossy();
    for extra in [
        &[][..],
        &["--object-guid", "a7f3c2d1-0001-4e5f-8a9b-0c1d2e3f4a09"][..],
    ] {
        let mut args = vec!["logs", "search", "--file", &*empty];
        args.extend(extra);
        let (code, _, err) = crate::common::outcome(crate::common::offline(&args));
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.contains(&format!("in {empty}")), "{args:?}: {err}");
        assert!(
            !err.contains("retained") && !err.contains("retention"),
            "{args:?}: {err}"
        );
    }
}
