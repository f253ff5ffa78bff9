//! `provctl logs search|show|export` end to end: the real binary against the emulator (loopback,
//! its own CA, a token it issued). Filters and their combinations against the demo tenant, paging
//! and limits, ordering, bad input (exit 2), exports compared id by id with the emulator, a real
//! SIGKILL mid-export then `--resume`, fault injection, throttling, and offline `--file` readers.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use provctl::sim::{FaultSpec, GenerateSpec, SimConfig, TenantSource, ThrottleConfig, demo};
use serde_json::Value;

use crate::common::Env;

/// Reading logs needs only these.
const ROLES: &[&str] = &["ProvisioningLog.Read.All", "Application.Read.All"];

/// The harness's emulator with this configuration, signed in with [`ROLES`], tables 250 wide.
fn env_with(config: SimConfig) -> Env {
    let mut env = Env::with(config);
    env.use_roles(ROLES);
    env.set_env("PROVCTL_TERM_WIDTH", "250");
    env
}

/// The demo tenant, unthrottled (each test process paces itself anyway).
fn demo_env() -> Env {
    env_with(SimConfig {
        throttle: ThrottleConfig::off(),
        ..SimConfig::for_tests()
    })
}

fn generated_env(logs: u64, throttle: ThrottleConfig) -> Env {
    env_with(SimConfig {
        tenant: TenantSource::Generate(GenerateSpec {
            sps: 20,
            jobs: 8,
            logs,
            seed: 7,
        }),
        throttle,
        ..SimConfig::for_tests()
    })
}

/// The binary in the test's directory (relative `--out` names land there), on the real clock:
/// these tests take their time ranges from it.
fn command(env: &Env, args: &[&str]) -> Command {
    let mut c = env.spawn_cmd(args);
    c.current_dir(env.dir()).env_remove("PROVCTL_NOW");
    c
}

/// Runs the binary to completion (the emulator serves from its own runtime meanwhile).
fn exec(env: &Env, args: &[&str]) -> Run {
    Run(command(env, args).output().expect("binary runs"))
}

struct Run(Output);

impl Run {
    fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    fn ok(self) -> Self {
        assert_eq!(
            self.code(),
            0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    fn json(&self) -> Vec<Value> {
        serde_json::from_str::<Value>(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn id_of(record: &Value) -> String {
    record["id"].as_str().unwrap_or_default().to_owned()
}

fn ids(records: &[Value]) -> BTreeSet<String> {
    records.iter().map(id_of).collect()
}

/// The ids in order.
fn id_list(records: &[Value]) -> Vec<String> {
    records.iter().map(id_of).collect()
}

fn times(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            r["activityDateTime"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn expected(all: &[Value], pred: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    ids(&all.iter().filter(|r| pred(r)).cloned().collect::<Vec<_>>())
}

// ---------------------------------------------------------------------------------------------
// search

#[test]
fn object_guid_search_finds_every_event_newest_first_and_points_to_explain() {
    let env = demo_env();
    // Braces and upper case are accepted; Graph is sent the canonical lowercase form.
    let upper = format!("{{{}}}", demo::OG_INVALID_DOMAIN.to_uppercase());
    let r = exec(
        &env,
        &["logs", "search", "--object-guid", &upper, "-o", "json"],
    )
    .ok();
    let found = r.json();
    assert_eq!(found.len(), 3, "three InvalidDomain cycles");
    assert!(
        found
            .iter()
            .all(|f| f["sourceIdentity"]["id"] == demo::OG_INVALID_DOMAIN)
    );
    let t = times(&found);
    assert!(t.windows(2).all(|w| w[0] >= w[1]), "newest first: {t:?}");
    // Hints go to stderr; stdout stays JSON.
    let err = r.stderr();
    assert!(err.contains("Latest failure"), "{err}");
    assert!(
        err.contains(&format!(
            "provctl explain log {}",
            found[0]["id"].as_str().unwrap_or("")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "provctl explain object {}",
            demo::OG_INVALID_DOMAIN
        )),
        "{err}"
    );
    let sent = env.sim.requests();
    let q = sent
        .iter()
        .filter_map(|r| r.query.clone())
        .find(|q| q.contains("sourceIdentity"))
        .unwrap_or_default();
    assert!(q.contains(&demo::OG_INVALID_DOMAIN.to_string()), "{q}");
    assert!(
        q.contains("targetIdentity%2Fid") || q.contains("targetIdentity/id"),
        "{q}"
    );

    // The table: time, action, status, source → target, job, why.
    let table = exec(
        &env,
        &["logs", "search", "--object-guid", demo::OG_CRITICAL],
    )
    .ok();
    let out = table.stdout();
    assert!(
        out.contains("TIME") && out.contains("SOURCE → TARGET") && out.contains("WHY"),
        "{out}"
    );
    assert!(
        out.contains("krbtgt") && out.contains("skipped") && out.contains("IsCriticalSystemObject"),
        "{out}"
    );
    assert!(
        table.stderr().contains("Latest skipped"),
        "{}",
        table.stderr()
    );
}

#[test]
fn a_guid_with_no_events_is_said_plainly_with_the_likely_reasons() {
    let env = demo_env();
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--object-guid",
            "0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10",
            "-o",
            "json",
        ],
    )
    .ok();
    assert_eq!(r.json().len(), 0);
    let err = r.stderr();
    assert!(
        err.contains("No provisioning event mentions 0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10"),
        "{err}"
    );
    assert!(err.contains("scope") && err.contains("retention"), "{err}");
    assert!(
        err.contains("provctl explain object 0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10"),
        "{err}"
    );

    // The source-only skip: the agent filtered the object.
    let r = exec(
        &env,
        &["logs", "search", "--object-guid", demo::OG_SOURCE_ONLY],
    )
    .ok();
    assert!(r.stdout().contains("OutOfScope"), "{}", r.stdout());
}

#[test]
fn every_filter_and_combinations_match_what_the_emulator_holds() {
    let env = demo_env();
    let all = env.sim_records(None);
    assert!(all.len() > 30);
    let s = |r: &Value, p: &str| {
        r.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let check = |args: Vec<String>, want: BTreeSet<String>| {
        let mut full = vec![
            "logs".to_string(),
            "search".into(),
            "--all".into(),
            "-o".into(),
            "json".into(),
        ];
        full.extend(args.clone());
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let got = ids(&exec(&env, &refs).ok().json());
        assert!(
            !want.is_empty(),
            "{args:?}: pick a filter that matches something"
        );
        assert_eq!(got, want, "{args:?}");
    };
    let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    check(
        a(&["--job", demo::JOB_SERVICENOW]),
        expected(&all, |r| s(r, "/jobId") == demo::JOB_SERVICENOW),
    );
    check(
        a(&["--sp", &demo::SP_CORP.to_uppercase()]),
        expected(&all, |r| s(r, "/servicePrincipal/id") == demo::SP_CORP),
    );
    let cycle = s(&all[0], "/cycleId");
    check(
        a(&["--cycle", &cycle]),
        expected(&all, |r| s(r, "/cycleId") == cycle),
    );
    let change = s(&all[3], "/changeId");
    check(
        a(&["--change", &change]),
        expected(&all, |r| s(r, "/changeId") == change),
    );
    for status in ["success", "failure", "skipped"] {
        check(
            a(&["--status", status]),
            expected(&all, |r| s(r, "/provisioningStatusInfo/status") == status),
        );
    }
    for action in ["create", "update", "other"] {
        check(
            a(&["--action", action]),
            expected(&all, |r| s(r, "/provisioningAction") == action),
        );
    }
    check(
        a(&["--display-name", "Wilber"]),
        expected(&all, |r| {
            s(r, "/sourceIdentity/displayName").contains("Wilber")
                || s(r, "/targetIdentity/displayName").contains("Wilber")
        }),
    );
    check(
        a(&["--object-id", demo::USER_SN_CONFLICT]),
        expected(&all, |r| {
            s(r, "/sourceIdentity/id") == demo::USER_SN_CONFLICT
                || s(r, "/targetIdentity/id") == demo::USER_SN_CONFLICT
        }),
    );
    // Time range: the 24 hours from 3 days ago to 2 days ago.
    let now = chrono::Utc::now();
    let since =
        (now - chrono::Duration::days(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let until =
        (now - chrono::Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    check(
        a(&["--since", &since, "--until", &until]),
        expected(&all, |r| {
            let t = s(r, "/activityDateTime");
            t > since && t < until
        }),
    );
    // Combinations.
    check(
        a(&[
            "--sp",
            demo::SP_CORP,
            "--status",
            "failure",
            "--action",
            "create",
            "--since",
            "7d",
        ]),
        expected(&all, |r| {
            s(r, "/servicePrincipal/id") == demo::SP_CORP
                && s(r, "/provisioningStatusInfo/status") == "failure"
                && s(r, "/provisioningAction") == "create"
        }),
    );
    check(
        a(&[
            "--job",
            demo::JOB_SERVICENOW,
            "--status",
            "skipped",
            "--display-name",
            "Nestor",
        ]),
        expected(&all, |r| {
            s(r, "/jobId") == demo::JOB_SERVICENOW
                && s(r, "/provisioningStatusInfo/status") == "skipped"
                && s(r, "/sourceIdentity/displayName").contains("Nestor")
        }),
    );
}

#[test]
fn paging_limits_and_ordering() {
    let env = demo_env();
    let all = env.sim_records(None);
    // Five pages, whatever the demo holds (its 812 held-back deletes among them): every record
    // once. Pages are paced at Graph's 5 requests per 10 s, so a few large pages keep this quick.
    let five = all.len().div_ceil(5).to_string();
    let four = all.len().div_ceil(4).to_string();
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--all",
            "--page-size",
            &five,
            "-o",
            "json",
        ],
    )
    .ok();
    let got = r.json();
    assert_eq!(got.len(), all.len());
    assert_eq!(ids(&got), ids(&all));
    let t = times(&got);
    assert!(t.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Oldest first.
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--all",
            "--oldest-first",
            "--page-size",
            &four,
            "-o",
            "json",
        ],
    )
    .ok();
    let t = times(&r.json());
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "oldest first: {t:?}");

    // A limit stops paging early: 7 records with pages of 3 is three requests, not fifteen.
    env.sim.clear_requests();
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--limit",
            "7",
            "--page-size",
            "3",
            "-o",
            "ndjson",
        ],
    )
    .ok();
    assert_eq!(r.stdout().lines().count(), 7);
    let pages = env
        .sim
        .requests()
        .iter()
        .filter(|q| q.path.contains("auditLogs/provisioning"))
        .count();
    assert_eq!(pages, 3);
    // The newest 7, in order.
    let lines: Vec<Value> = r
        .stdout()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut newest = times(&all);
    newest.sort();
    newest.reverse();
    assert_eq!(times(&lines), newest[..7].to_vec());

    // A small limit is one small page.
    env.sim.clear_requests();
    exec(&env, &["logs", "search", "--limit", "2", "-o", "json"]).ok();
    let q = env.sim.requests()[0].query.clone().unwrap_or_default();
    assert!(q.contains("%24top=2") || q.contains("$top=2"), "{q}");

    // The default limit says so on stderr.
    let r = exec(&env, &["logs", "search", "--page-size", "50"]).ok();
    assert!(r.stdout().lines().count() > 10);
    // CSV has the documented columns.
    let r = exec(&env, &["logs", "search", "--limit", "3", "-o", "csv"]).ok();
    assert_eq!(
        r.stdout().lines().next().unwrap_or(""),
        "id,activityDateTime,action,status,errorCode,reason,sourceId,sourceName,targetId,targetName,jobId,cycleId,changeId"
    );
    assert_eq!(r.stdout().lines().count(), 4);
}

/// The record ids of `text` in the order they appear, one per line at most (a wrapped table row
/// continues on lines without an id), and the column where each id starts.
fn ids_in_lines(text: &str, known: &HashSet<String>) -> Vec<(String, usize)> {
    text.lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find(|w| known.contains(*w))
                .and_then(|w| l.find(w).map(|at| (w.to_owned(), at)))
        })
        .collect()
}

#[test]
fn search_all_over_many_pages_streams_the_same_records_in_every_format() {
    let env = generated_env(2500, ThrottleConfig::off());
    let all = env.sim_records(None);
    // Five pages per run (the client paces itself to Graph's 5 requests per 10 s).
    let base = ["logs", "search", "--all", "--page-size", "500", "-o"];
    let run = |format: &'static str| {
        let mut args = base.to_vec();
        args.push(format);
        exec(&env, &args).ok()
    };
    // NDJSON streamed before this change too: it is the reference.
    let ndjson: Vec<Value> = run("ndjson")
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(ndjson.len(), 2500);
    assert_eq!(ids(&ndjson), ids(&all));
    let t = times(&ndjson);
    assert!(t.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let order = id_list(&ndjson);

    // JSON: the same bytes as the whole array pretty-printed at once.
    let json = run("json").stdout();
    let whole = serde_json::to_string_pretty(&Value::Array(ndjson.clone())).unwrap_or_default();
    assert!(json == whole + "\n", "-o json differs from the whole array");

    // CSV: a header row, then one row per record in the same order.
    let csv = run("csv").stdout();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        rdr.headers().map(|h| h.len()).unwrap_or_default(),
        13,
        "the documented columns"
    );
    let rows: Vec<String> = rdr
        .records()
        .map(|r| r.map(|r| r[0].to_owned()).unwrap_or_default())
        .collect();
    assert_eq!(rows, order);

    // The table: three blocks of rows, still one table with one header and aligned columns.
    let table = run("table").stdout();
    let known: HashSet<String> = order.iter().cloned().collect();
    let found = ids_in_lines(&table, &known);
    assert_eq!(
        found.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        order
    );
    assert!(
        found.iter().all(|(_, at)| *at == found[0].1),
        "the ID column starts at the same place on every row"
    );
    assert_eq!(table.lines().filter(|l| l.contains("SOURCE")).count(), 1);
}

#[test]
fn bad_input_is_a_usage_error_naming_the_value() {
    let env = demo_env();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--object-guid", "a3f1c9d2-5b6e-4f70-8a91"],
            "--object-guid 'a3f1c9d2-5b6e-4f70-8a91' is not a GUID",
        ),
        (&["--object-guid", "x' or '1' eq '1"], "is not a GUID"),
        // A name is looked up (an unknown one exits 5: tests/cli/job_refs.rs); `..` is never sent.
        (&["--sp", ".."], "--sp: '..' cannot be used"),
        (
            &["--since", "yesterday"],
            "--since 'yesterday' is not a time",
        ),
        (
            &["--until", "2026-13-45"],
            "--until '2026-13-45' is not a time",
        ),
        (
            &["--status", "exploded"],
            "--status 'exploded' is not a provisioning status: use one of success, failure, skipped, warning",
        ),
        (
            &["--action", "rename"],
            "--action 'rename' is not a provisioning action",
        ),
        (&["--since", "1d", "--until", "2d"], "is not before --until"),
        (&["--limit", "0"], "--limit 0"),
        (&["--page-size", "5000"], "--page-size 5000 is out of range"),
        (&["--job", " "], "--job is empty"),
    ];
    for (args, msg) in cases {
        let mut full = vec!["logs", "search"];
        full.extend_from_slice(args);
        let r = exec(&env, &full);
        assert_eq!(r.code(), 2, "{args:?}: {}", r.stderr());
        assert!(r.stderr().contains(msg), "{args:?}: {}", r.stderr());
        assert!(r.stdout().is_empty());
    }
    // Nothing was sent to Graph for any of them.
    assert!(
        env.sim
            .requests()
            .iter()
            .all(|r| !r.path.contains("auditLogs"))
    );
    let r = exec(&env, &["logs", "export", "--out", "x.ndjson"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("--since is required"), "{}", r.stderr());
}

// ---------------------------------------------------------------------------------------------
// show

#[test]
fn show_prints_identities_steps_and_modified_properties() {
    let env = demo_env();
    let all = env.sim_records(Some(&format!(
        "sourceIdentity/id eq '{}'",
        demo::OG_DUPLICATE
    )));
    let id = all[0]["id"].as_str().unwrap_or_default().to_owned();
    let r = exec(&env, &["logs", "show", &id]).ok();
    let out = r.stdout();
    for want in [
        &format!("Event {id}"),
        "Megan Bowen",
        "Active Directory → Azure Active Directory",
        "DuplicateTargetEntries",
        "Steps",
        "├─ 1. EntryImport (import) success",
        "└─ 4. EntryExportUpdate (export) failure",
        "Modified properties",
        "displayName",
        "(none) → 'Megan Bowen'",
        &format!("provctl explain log {id}"),
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let r = exec(&env, &["logs", "show", &id, "-o", "json"]).ok();
    let v: Value = serde_json::from_str(&r.stdout()).unwrap_or(Value::Null);
    assert_eq!(v["id"], id.as_str());

    let r = exec(&env, &["logs", "show", "no-such-event"]);
    assert_eq!(r.code(), 5, "{}", r.stderr());
    assert!(
        r.stderr()
            .contains("no provisioning event has the id 'no-such-event'")
    );
}

// ---------------------------------------------------------------------------------------------
// export

fn read_ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

fn assert_exactly_once(got: &[Value], want: &[Value]) {
    let got_ids: Vec<String> = got
        .iter()
        .map(|r| r["id"].as_str().unwrap_or("").to_owned())
        .collect();
    let unique: HashSet<&String> = got_ids.iter().collect();
    assert_eq!(unique.len(), got_ids.len(), "duplicates in the export");
    assert_eq!(
        ids(got),
        ids(want),
        "the export differs from the emulator's records"
    );
}

fn range() -> (String, String) {
    let now = chrono::Utc::now();
    (
        (now - chrono::Duration::days(31)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (now + chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

#[test]
fn export_writes_exactly_the_matching_records_in_every_format() {
    let env = demo_env();
    let (since, _) = range();
    let all = env.sim_records(None);
    let failures = env.sim_records(Some("provisioningStatusInfo/status eq 'failure'"));

    let out = env.dir().join("all.ndjson");
    // Five pages whatever the demo holds (exports are paced at 5 requests per 10 s).
    let five = all.len().div_ceil(5).to_string();
    let r = export(&env, &out, &["--page-size", &five]).ok();
    assert!(
        r.stderr()
            .contains(&format!("exported {} records", all.len())),
        "{}",
        r.stderr()
    );
    let got = read_ndjson(&out);
    assert_exactly_once(&got, &all);
    let t = times(&got);
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert!(
        !env.dir().join("all.ndjson.partial").exists()
            && !env.dir().join("all.ndjson.checkpoint.json").exists()
    );

    // JSON array, filtered.
    let out = env.dir().join("failures.json");
    export(
        &env,
        &out,
        &[
            "--status",
            "failure",
            "--format",
            "json",
            "--page-size",
            "4",
        ],
    )
    .ok();
    let v: Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap_or_default()).unwrap_or(Value::Null);
    assert_exactly_once(v.as_array().map(Vec::as_slice).unwrap_or(&[]), &failures);

    // CSV with the documented columns.
    let out = env.dir().join("failures.csv");
    export(&env, &out, &["--status", "failure", "--format", "csv"]).ok();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    assert_eq!(
        headers[..6],
        [
            "id",
            "activityDateTime",
            "action",
            "status",
            "errorCode",
            "reason"
        ]
    );
    let csv_ids: BTreeSet<String> = rdr
        .records()
        .filter_map(Result::ok)
        .map(|r| r[0].to_owned())
        .collect();
    assert_eq!(csv_ids, ids(&failures));

    // An existing file is not replaced without --force.
    let r = exec(
        &env,
        &[
            "logs",
            "export",
            "--since",
            &since,
            "--out",
            out.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("already exists"), "{}", r.stderr());
    // An empty range writes a valid empty file.
    let out = env.dir().join("none.json");
    export(
        &env,
        &out,
        &[
            "--object-guid",
            "0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10",
            "--format",
            "json",
        ],
    )
    .ok();
    let v: Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(v, Value::Array(vec![]));
}

fn checkpoint_count(path: &Path) -> u64 {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["count"].as_u64())
        .unwrap_or(0)
}

#[test]
fn an_export_killed_mid_way_resumes_with_every_record_exactly_once() {
    let env = generated_env(6000, ThrottleConfig::off());
    env.sim
        .set_faults("latency=25ms".parse::<FaultSpec>().unwrap_or_default());
    let want = env.sim_records(None);
    assert_eq!(want.len(), 6000);
    let out = env.dir().join("big.ndjson");
    let cp = env.dir().join("big.ndjson.checkpoint.json");
    let args = export_args(&out, "50");
    let mut child = spawn(&env, &args, false);
    wait_for_checkpoint(&out, 1000);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let at_kill = checkpoint_count(&cp);
    assert!((1000..6000).contains(&at_kill), "{at_kill}");
    assert!(!out.exists(), "nothing in place before completion");
    assert!(env.dir().join("big.ndjson.partial").exists());

    // Without --resume the interrupted export is not silently discarded.
    let r = exec(&env, &refs(&args));
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("--resume"), "{}", r.stderr());

    env.sim.set_faults(FaultSpec::default());
    let r = exec(&env, &refs(&resumed(&args))).ok();
    assert!(r.stderr().contains("resuming"), "{}", r.stderr());
    assert_exactly_once(&read_ndjson(&out), &want);
    assert!(!cp.exists());
}

#[test]
fn faults_do_not_lose_or_repeat_a_record() {
    let env = generated_env(2000, ThrottleConfig::off());
    env.sim.set_faults(
        "error-rate=0.15,drop-rate=0.1,truncate-rate=0.1,seed=5"
            .parse::<FaultSpec>()
            .unwrap_or_default(),
    );
    let out = env.dir().join("faults.ndjson");
    export(&env, &out, &["--page-size", "100", "--no-pacing"]).ok();
    env.sim.set_faults(FaultSpec::default());
    let want = env.sim_records(None);
    assert_exactly_once(&read_ndjson(&out), &want);
    let failed = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.status >= 500)
        .count();
    assert!(failed > 0, "the faults were injected");
}

/// Asserts that stderr says `text`.
fn says(r: &Run, text: &str) {
    assert!(
        r.stderr().contains(text),
        "{text:?} not in:\n{}",
        r.stderr()
    );
}

/// A generated tenant of `logs` records answering each request after `latency`, and the records.
fn slow_env(logs: u64, latency: &str) -> (Env, Vec<Value>) {
    let env = generated_env(logs, ThrottleConfig::off());
    let want = env.sim_records(None);
    env.sim.set_faults(
        format!("latency={latency}")
            .parse::<FaultSpec>()
            .unwrap_or_default(),
    );
    (env, want)
}

/// Starts the binary without waiting, its output discarded (or stderr kept).
fn spawn(env: &Env, args: &[String], keep_stderr: bool) -> std::process::Child {
    command(env, &refs(args))
        .stdout(Stdio::null())
        .stderr(if keep_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("spawn")
}

/// The args of an unpaced export of everything to `out` in pages of `page`.
fn export_args(out: &Path, page: &str) -> Vec<String> {
    export_line(out, &["--page-size", page, "--no-pacing"])
}

/// `logs export` of everything in [`range`] to `out`, with `more` flags.
fn export_line(out: &Path, more: &[&str]) -> Vec<String> {
    let (since, until) = range();
    let out = out.to_str().unwrap_or_default();
    [
        "logs", "export", "--since", &since, "--until", &until, "--out", out,
    ]
    .iter()
    .chain(more)
    .map(|s| s.to_string())
    .collect()
}

/// Runs [`export_line`].
fn export(env: &Env, out: &Path, more: &[&str]) -> Run {
    exec(env, &refs(&export_line(out, more)))
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn resumed(args: &[String]) -> Vec<String> {
    let mut a = args.to_vec();
    a.push("--resume".into());
    a
}

/// The number in "N records are safe in".
fn safe_count(stderr: &str) -> u64 {
    let at = stderr
        .find(" records are safe in")
        .unwrap_or_else(|| panic!("no safe count in: {stderr}"));
    stderr[..at]
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no safe count in: {stderr}"))
}

/// After a failure: the checkpoint describes exactly the partial file, and no temporary file
/// is left beside it.
fn assert_checkpoint_exact(out: &Path) -> u64 {
    let cp = provctl::export::checkpoint_path(out);
    let v: Value = serde_json::from_slice(&std::fs::read(&cp).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", cp.display()));
    let partial = provctl::export::partial_path(out);
    let len = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        v["offset"].as_u64(),
        Some(len),
        "the offset is the file's end"
    );
    let lines = read_ndjson(&partial).len() as u64;
    assert_eq!(
        v["count"].as_u64(),
        Some(lines),
        "the count is the file's records"
    );
    let mut tmp = cp.as_os_str().to_owned();
    tmp.push(".tmp");
    assert!(
        !PathBuf::from(tmp).exists(),
        "temporary checkpoint left behind"
    );
    lines
}

fn assert_done_and_clean(out: &Path, want: &[Value]) {
    assert_exactly_once(&read_ndjson(out), want);
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let dir = out.parent().unwrap_or(Path::new("."));
    let left: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(name) && n != name)
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(target_os = "linux")]
fn send_signal(child: &std::process::Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap_or(0);
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Waits (off the runtime) until the checkpoint of `out` counts at least `n` records.
fn wait_for_checkpoint(out: &Path, n: u64) {
    let cp = provctl::export::checkpoint_path(out);
    let deadline = Instant::now() + Duration::from_secs(60);
    while checkpoint_count(&cp) < n {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_size_limit_mid_page_then_an_expired_link_loses_nothing_and_says_the_truth() {
    use std::os::unix::process::CommandExt;
    let env = generated_env(3000, ThrottleConfig::off());
    let want = env.sim_records(None);
    let out = env.dir().join("limited.ndjson");
    let args = export_args(&out, "100");
    // The file size limit (RLIMIT_FSIZE) makes a write fail part-way through a page with EFBIG,
    // like a full disk; SIGXFSZ is ignored so the write returns the error instead of killing.
    let mut c = command(&env, &refs(&args));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2_500_000,
                rlim_max: 2_500_000,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0
                || libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r = Run(c.output().expect("binary runs"));
    assert_eq!(r.code(), 1, "{}", r.stderr());
    says(&r, "cannot write");
    let safe = assert_checkpoint_exact(&out);
    assert_eq!(
        safe_count(&r.stderr()),
        safe,
        "the hint and the checkpoint agree"
    );
    assert!(safe > 0 && safe < 3000, "{safe}");
    // Graph refuses the saved nextLink (its skiptoken expired) when the export resumes.
    env.sim.expire_page_links();
    let r = exec(&env, &refs(&resumed(&args))).ok();
    says(&r, "refused the saved page link");
    says(&r, "exported 3000 records");
    assert_done_and_clean(&out, &want);
}

#[test]
fn sigkill_at_random_points_several_times_then_resume_gives_every_record_once() {
    use rand::{Rng, SeedableRng};
    let (env, want) = slow_env(4000, "8ms");
    let out = env.dir().join("killed.ndjson");
    let args = export_args(&out, "50");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261205);
    let mut counts = Vec::new();
    for round in 0..5 {
        let a = if round == 0 {
            args.clone()
        } else {
            resumed(&args)
        };
        let mut child = spawn(&env, &a, false);
        std::thread::sleep(Duration::from_millis(rng.random_range(60..400)));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert!(!out.exists(), "killed after the export completed");
        counts.push(checkpoint_count(&provctl::export::checkpoint_path(&out)));
        // Every other time, the saved link has expired as well.
        if round % 2 == 1 {
            env.sim.expire_page_links();
        }
    }
    assert!(
        counts.iter().any(|&n| n > 0 && n < 4000),
        "no kill landed mid-export: {counts:?}"
    );
    env.sim.set_faults(FaultSpec::default());
    let r = exec(&env, &refs(&resumed(&args))).ok();
    says(&r, "exported 4000 records");
    assert_done_and_clean(&out, &want);
}

#[cfg(target_os = "linux")]
#[test]
fn sigint_and_sigterm_write_the_checkpoint_and_exit_130_and_143() {
    let (env, want) = slow_env(4000, "20ms");
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let out = env.dir().join(format!("signal{code}.ndjson"));
        let args = export_args(&out, "50");
        let child = spawn(&env, &args, true);
        wait_for_checkpoint(&out, 100);
        send_signal(&child, signal);
        let o = child.wait_with_output().expect("wait");
        let r = Run(o);
        assert_eq!(r.code(), code, "{}", r.stderr());
        let safe = assert_checkpoint_exact(&out);
        assert_eq!(safe_count(&r.stderr()), safe, "{}", r.stderr());
        assert!((100..4000).contains(&safe), "{safe}");
        env.sim.expire_page_links();
        exec(&env, &refs(&resumed(&args))).ok();
        assert_done_and_clean(&out, &want);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_checkpoint_with_any_field_corrupted_is_refused_or_detected_never_trusted() {
    use provctl::export::checkpoint::Checkpoint;
    let (env, want) = slow_env(3000, "20ms");
    let out = env.dir().join("corrupt.ndjson");
    let args = export_args(&out, "50");
    let child = spawn(&env, &args, false);
    wait_for_checkpoint(&out, 200);
    send_signal(&child, libc::SIGINT);
    let _ = child.wait_with_output();
    env.sim.set_faults(FaultSpec::default());
    let cp_path = provctl::export::checkpoint_path(&out);
    let partial = provctl::export::partial_path(&out);
    let original = std::fs::read(&cp_path).expect("checkpoint");
    let partial_len = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    let resume = resumed(&args);
    let refused = |what: String| {
        let r = exec(&env, &refs(&resume));
        assert_eq!(r.code(), 1, "{what} was trusted: {}", r.stderr());
        assert!(
            r.stderr().contains("--resume refused"),
            "{what}: {}",
            r.stderr()
        );
        assert!(r.stderr().contains("--force"), "{what}: {}", r.stderr());
        let len = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, partial_len, "{what}: the partial file was touched");
    };

    // Every field edited by hand: the checksum refuses it.
    let v: Value = serde_json::from_slice(&original).unwrap_or(Value::Null);
    let fields: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    assert!(fields.len() >= 17, "{fields:?}");
    for field in &fields {
        let mut edited = v.clone();
        edited[field.as_str()] = match &v[field.as_str()] {
            Value::Number(n) => (n.as_u64().unwrap_or(0).saturating_sub(7)).into(),
            Value::Bool(b) => (!b).into(),
            Value::Null => "2026-01-01T00:00:00Z".into(),
            Value::Array(a) => Value::Array(a[1..].to_vec()),
            Value::Object(_) => serde_json::json!({"bytes": 10, "sha256": "0"}),
            Value::String(s) if field == "last_time" => "not a time".into(),
            Value::String(s) if field == "format" => {
                (if s == "csv" { "json" } else { "csv" }).into()
            }
            Value::String(s) => format!("{s}x").into(),
        };
        std::fs::write(&cp_path, serde_json::to_vec(&edited).unwrap_or_default()).expect("write");
        refused(format!("an edited {field}"));
    }
    std::fs::write(&cp_path, b"{\"version\": 2, \"offset\": ").expect("write");
    refused("half a checkpoint".into());

    // Edited with a valid checksum (through the library): the file refuses it.
    std::fs::write(&cp_path, &original).expect("write");
    let cp = Checkpoint::load(&cp_path).expect("the original loads");
    let resealed = |f: &dyn Fn(&mut Checkpoint)| {
        let mut c = cp.clone();
        f(&mut c);
        c.save(&cp_path, &provctl::export::Passthrough)
            .expect("save");
    };
    resealed(&|c| c.offset -= 7);
    refused("an offset inside a record".into());
    resealed(&|c| c.count += 1);
    refused("a wrong count".into());
    resealed(&|c| c.position.tail_ids = vec!["someone-else".into()]);
    refused("other tail ids".into());
    resealed(&|c| c.position.last_time = Some("2020-01-01T00:00:00Z".into()));
    refused("another last time".into());
    resealed(&|c| c.position.last_time = Some("yesterday".into()));
    refused("an unparseable last time".into());

    // An early `complete: true` is detected: the resume crawls on from the last record's time.
    resealed(&|c| {
        c.complete = true;
        c.position.next_link = None;
    });
    let r = exec(&env, &refs(&resume)).ok();
    says(&r, "exported 3000 records");
    assert_done_and_clean(&out, &want);
}

#[test]
fn resume_refuses_other_filters_range_or_page_size_naming_them() {
    let (env, want) = slow_env(1500, "20ms");
    let out = env.dir().join("changed.ndjson");
    let args = export_args(&out, "50");
    let mut child = spawn(&env, &args, false);
    wait_for_checkpoint(&out, 100);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let cp = provctl::export::checkpoint_path(&out);
    let before = std::fs::read(&cp).unwrap_or_default();
    let with = |flag: &str, value: &str| {
        let mut a = resumed(&args);
        match a.iter().position(|x| x == flag) {
            Some(i) => a[i + 1] = value.to_owned(),
            None => a.extend([flag.to_owned(), value.to_owned()]),
        }
        a
    };
    for (a, names) in [
        (with("--since", "2026-01-01T00:00:00Z"), vec!["--since"]),
        (with("--until", "1h"), vec!["--until"]),
        (with("--page-size", "60"), vec!["--page-size"]),
        (with("--status", "failure"), vec!["the filters", "failure"]),
        (with("--format", "json"), vec!["--format"]),
    ] {
        let r = exec(&env, &refs(&a));
        assert_eq!(r.code(), 2, "{a:?}: {}", r.stderr());
        for n in names {
            assert!(
                r.stderr().contains(n),
                "{a:?} does not name {n}: {}",
                r.stderr()
            );
        }
        assert_eq!(
            std::fs::read(&cp).unwrap_or_default(),
            before,
            "checkpoint touched"
        );
    }
    // Leaving the range and page size out means the ones the export started with.
    env.sim.set_faults(FaultSpec::default());
    let bare: Vec<String> = [
        "logs",
        "export",
        "--out",
        out.to_str().unwrap_or_default(),
        "--no-pacing",
        "--resume",
    ]
    .map(str::to_owned)
    .to_vec();
    exec(&env, &refs(&bare)).ok();
    assert_done_and_clean(&out, &want);
}

#[test]
fn out_dash_streams_to_stdout_and_the_format_follows_the_extension() {
    let env = demo_env();
    let all = env.sim_records(None);
    let (since, until) = range();
    let base = ["logs", "export", "--since", &since, "--until", &until];
    let with = |more: &[&'static str]| -> Vec<String> {
        base.iter().chain(more).map(|s| s.to_string()).collect()
    };
    let run = |a: Vec<String>| exec(&env, &refs(&a));
    let r = run(with(&["--out", "-"])).ok();
    let got: Vec<Value> = r
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    assert_exactly_once(&got, &all);
    says(&r, "no checkpoint");
    assert!(!env.dir().join("-").exists() && !env.dir().join("-.partial").exists());
    let r = run(with(&["--out", "-", "--resume"]));
    assert_eq!(r.code(), 2, "{}", r.stderr());

    // The extension picks the format.
    run(with(&["--out", "e.csv"])).ok();
    let text = std::fs::read_to_string(env.dir().join("e.csv")).unwrap_or_default();
    assert!(text.starts_with("id,activityDateTime,"), "{text}");
    run(with(&["--out", "e.JSON"])).ok();
    let v: Value =
        serde_json::from_slice(&std::fs::read(env.dir().join("e.JSON")).unwrap_or_default())
            .unwrap_or(Value::Null);
    assert_exactly_once(v.as_array().map(Vec::as_slice).unwrap_or(&[]), &all);
    // A disagreeing --format, or a name that says nothing, is refused naming both.
    let r = run(with(&["--out", "f.csv", "--format", "json"]));
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("--format json") && r.stderr().contains("f.csv"),
        "{}",
        r.stderr()
    );
    let r = run(with(&["--out", "f.txt"]));
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("f.txt") && r.stderr().contains("--format"),
        "{}",
        r.stderr()
    );
    assert!(!env.dir().join("f.csv").exists() && !env.dir().join("f.txt.partial").exists());
    // An explicit format for a name without a known extension is fine.
    run(with(&["--out", "g.log", "--format", "ndjson"])).ok();
    assert_exactly_once(&read_ndjson(&env.dir().join("g.log")), &all);
}

#[test]
fn throttled_export_honours_retry_after_and_paced_export_sees_no_429() {
    let env = generated_env(700, ThrottleConfig::default());
    let want = env.sim_records(None);
    // Unpaced: the emulator answers 429 with Retry-After; the export waits and still gets everything.
    env.sim.clear_requests();
    let out = env.dir().join("unpaced.ndjson");
    export(&env, &out, &["--page-size", "100", "--no-pacing"]).ok();
    assert_exactly_once(&read_ndjson(&out), &want);
    assert!(
        env.sim.requests().iter().any(|r| r.status == 429),
        "the budget was exceeded"
    );

    // Paced: 8 pages at 5 per 10 s, and never a 429.
    std::thread::sleep(Duration::from_secs(10));
    env.sim.clear_requests();
    let out = env.dir().join("paced.ndjson");
    let started = Instant::now();
    export(&env, &out, &["--page-size", "100"]).ok();
    let took = started.elapsed();
    assert_exactly_once(&read_ndjson(&out), &want);
    assert!(
        env.sim.requests().iter().all(|r| r.status != 429),
        "paced export was throttled"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

// ---------------------------------------------------------------------------------------------
// offline files

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn search_and_show_read_every_file_shape_with_the_same_filters() {
    let env = demo_env();
    // Our own exports.
    for (name, format) in [("e.ndjson", "ndjson"), ("e.json", "json"), ("e.csv", "csv")] {
        let out = env.dir().join(name);
        export(&env, &out, &["--format", format]).ok();
    }
    // A Graph response dump of two pages, concatenated.
    let all = env.sim_records(None);
    let (a, b) = all.split_at(all.len() / 2);
    let dump = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&serde_json::json!({"@odata.context": "x", "value": a, "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/provisioning?$skiptoken=x"})).unwrap_or_default(),
        serde_json::to_string_pretty(&serde_json::json!({"@odata.context": "x", "value": b})).unwrap_or_default()
    );
    std::fs::write(env.dir().join("dump.json"), dump).expect("write dump");

    let failures_dup = expected(&all, |r| {
        r["provisioningStatusInfo"]["status"] == "failure"
            && r["sourceIdentity"]["id"] == demo::OG_INVALID_DOMAIN
    });
    for name in ["e.ndjson", "e.json", "e.csv", "dump.json"] {
        let p = env.dir().join(name);
        let r = exec(
            &env,
            &[
                "logs",
                "search",
                "--file",
                p.to_str().unwrap_or_default(),
                "--object-guid",
                &demo::OG_INVALID_DOMAIN.to_uppercase(),
                "--status",
                "failure",
                "-o",
                "json",
            ],
        )
        .ok();
        assert_eq!(ids(&r.json()), failures_dup, "{name}");
        let t = times(&r.json());
        assert!(t.windows(2).all(|w| w[0] >= w[1]), "{name}: newest first");
        let r = exec(
            &env,
            &[
                "logs",
                "search",
                "--file",
                p.to_str().unwrap_or_default(),
                "--all",
                "-o",
                "json",
            ],
        )
        .ok();
        assert_eq!(r.json().len(), all.len(), "{name}");
    }
    // Offline reads never call Graph.
    env.sim.clear_requests();
    let id = all[0]["id"].as_str().unwrap_or_default();
    let r = exec(
        &env,
        &[
            "logs",
            "show",
            id,
            "--file",
            env.dir().join("dump.json").to_str().unwrap_or_default(),
        ],
    )
    .ok();
    assert!(r.stdout().contains(&format!("Event {id}")));
    assert!(env.sim.requests().is_empty());

    // The admin's samples.
    let portal = examples().join("portal-download.json");
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--file",
            portal.to_str().unwrap_or_default(),
            "--status",
            "failure",
            "-o",
            "json",
        ],
    )
    .ok();
    assert!(!r.json().is_empty());
    let monitor = examples().join("azure-monitor-provisioninglogs.json");
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--file",
            monitor.to_str().unwrap_or_default(),
            "--all",
            "-o",
            "json",
        ],
    )
    .ok();
    let recs = r.json();
    assert!(recs.len() >= 3);
    assert!(
        recs.iter()
            .all(|r| r["provisioningStatusInfo"]["status"].is_string())
    );
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--file",
            monitor.to_str().unwrap_or_default(),
            "--status",
            "skipped",
            "--action",
            "other",
            "-o",
            "json",
        ],
    )
    .ok();
    assert_eq!(r.json().len(), 1);
}

#[test]
fn malformed_and_truncated_files_are_clear_errors_with_a_position() {
    let env = demo_env();
    let cases: &[(&str, &str, &str)] = &[
        (
            "trunc.json",
            "[{\"id\":\"1\",\"activityDateTime\":\"2026-11-01T00:00:00Z\"},\n{\"id\":\"2\",\"activ",
            "cut short",
        ),
        ("trunc-array.json", "[{\"id\":\"1\"}", "cut short"),
        (
            "bad.ndjson",
            "{\"id\":\"1\"}\n{\"id\":\"2\",}\n",
            "not valid JSON (line 2, column 11): trailing comma",
        ),
        (
            "bad-value.json",
            "[{\"id\":\"1\"},\n {\"id\": tru}]",
            "not valid JSON",
        ),
        (
            "garbage.json",
            "[{\"id\":\"1\"} {\"id\":\"2\"}]",
            "expected ',' or ']'",
        ),
        (
            "wrong.json",
            "[{\"id\": 5, \"provisioningSteps\": 3}]",
            "does not fit",
        ),
        ("notlogs.csv", "a,b\n1,2\n", "names no column provctl knows"),
        ("nocolumnid.csv", "status,b\n1,2\n", "no 'id' column"),
        ("short.csv", "id,status\n1,success\n2\n", "fields"),
    ];
    for (name, content, msg) in cases {
        let p = env.dir().join(name);
        std::fs::write(&p, content).expect("write");
        let r = exec(
            &env,
            &[
                "logs",
                "search",
                "--file",
                p.to_str().unwrap_or_default(),
                "--all",
            ],
        );
        assert_eq!(r.code(), 1, "{name}: {}", r.stderr());
        let err = r.stderr();
        assert!(err.contains(msg), "{name}: {err}");
        assert!(err.contains(name), "{name}: the file is named: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    // Line numbers point at the record.
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--file",
            env.dir().join("bad.ndjson").to_str().unwrap_or_default(),
            "--all",
        ],
    );
    says(&r, "bad.ndjson:2");
    let r = exec(
        &env,
        &["logs", "search", "--file", "/nonexistent/file.json"],
    );
    assert_eq!(r.code(), 5);
    // Unknown CSV columns are reported, not fatal.
    let p = env.dir().join("extra.csv");
    std::fs::write(&p, "id,status,Favourite Colour\n1,failure,blue\n").expect("write");
    let r = exec(
        &env,
        &[
            "logs",
            "search",
            "--file",
            p.to_str().unwrap_or_default(),
            "-o",
            "json",
        ],
    )
    .ok();
    assert_eq!(r.json().len(), 1);
    says(&r, "'Favourite Colour' is not known");
}

/// A provisioning record of a large file: `secs` after 2026-10-01, failures every tenth.
fn synthetic(i: usize, secs: i64) -> Value {
    let t = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .map(|t| t + chrono::Duration::seconds(secs))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    serde_json::json!({
        "id": format!("rec-{i:05}"),
        "activityDateTime": t,
        "provisioningAction": "create",
        "provisioningStatusInfo": {"status": if i.is_multiple_of(10) { "failure" } else { "success" }},
        "sourceIdentity": {"id": format!("src-{i:05}"), "displayName": format!("User {i}")},
        "jobId": "scim.x.y",
    })
}

/// What a stable sort of `records` by time gives (the order `search --file` promises).
fn by_time(records: &[Value], oldest_first: bool) -> Vec<String> {
    let mut v: Vec<&Value> = records.iter().collect();
    v.sort_by(|a, b| {
        let o = a["activityDateTime"]
            .as_str()
            .cmp(&b["activityDateTime"].as_str());
        if oldest_first { o } else { o.reverse() }
    });
    v.into_iter().map(id_of).collect()
}

fn ndjson_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| id_of(&serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))))
        .collect()
}

#[test]
fn a_large_file_is_searched_in_time_order_without_holding_it() {
    let env = demo_env();
    // 12,000 records (more than are sorted in memory), two per second: ties keep file order.
    let n = 12_000;
    let ascending: Vec<Value> = (0..n).map(|i| synthetic(i, i as i64 / 2)).collect();
    let descending: Vec<Value> = ascending.iter().rev().cloned().collect();
    let shuffled: Vec<Value> = (0..n).map(|i| ascending[(i * 7919) % n].clone()).collect();
    let write = |name: &str, records: &[Value]| {
        let path = env.dir().join(name);
        let text: String = records.iter().map(|r| format!("{r}\n")).collect();
        std::fs::write(&path, text).expect("write");
        path.to_str().unwrap_or_default().to_owned()
    };
    let asc = write("asc.ndjson", &ascending);
    let desc = write("desc.ndjson", &descending);
    let shuf = write("shuffled.ndjson", &shuffled);
    // An export is CSV or JSON too; the reverse reading works on CSV rows as well.
    let asc_csv = env.dir().join("asc.csv");
    {
        let mut w = csv::Writer::from_path(&asc_csv).expect("csv");
        w.write_record(["id", "activityDateTime", "status"])
            .expect("csv");
        for r in &ascending {
            w.write_record([
                r["id"].as_str().unwrap_or_default(),
                r["activityDateTime"].as_str().unwrap_or_default(),
                r["provisioningStatusInfo"]["status"]
                    .as_str()
                    .unwrap_or_default(),
            ])
            .expect("csv");
        }
        w.flush().expect("csv");
    }
    let asc_csv = asc_csv.to_str().unwrap_or_default().to_owned();
    let search = |file: &str, extra: &[&str]| {
        let mut args: Vec<String> = ["logs", "search", "--file", file, "-o", "ndjson"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        exec(&env, &refs).ok()
    };
    let newest = by_time(&ascending, false);
    let oldest = by_time(&ascending, true);

    // Sorted either way, in any shape: every record in the asked order (ties in file order),
    // nothing said.
    for (file, extra, want) in [
        (&asc, &["--all"][..], &newest),
        (&asc, &["--all", "--oldest-first"][..], &oldest),
        (&desc, &["--all"][..], &by_time(&descending, false)),
        (
            &desc,
            &["--all", "--oldest-first"][..],
            &by_time(&descending, true),
        ),
        (&asc_csv, &["--all"][..], &newest),
    ] {
        let r = search(file, extra);
        assert!(ndjson_ids(&r.stdout()) == *want, "{file} {extra:?}");
        assert!(!r.stderr().contains("file order"), "{}", r.stderr());
    }
    // JSON too, from the reversed file.
    let r = exec(
        &env,
        &["logs", "search", "--file", &asc, "--all", "-o", "json"],
    )
    .ok();
    assert!(id_list(&r.json()) == newest);

    // Not sorted: the first N by time with --limit, and with --all file order, said on stderr.
    let r = search(&shuf, &["--limit", "50"]);
    assert_eq!(ndjson_ids(&r.stdout()), by_time(&shuffled, false)[..50]);
    let r = search(&shuf, &["--limit", "50", "--oldest-first"]);
    assert_eq!(ndjson_ids(&r.stdout()), by_time(&shuffled, true)[..50]);
    let r = search(&shuf, &["--all"]);
    assert!(ndjson_ids(&r.stdout()) == id_list(&shuffled), "file order");
    assert!(
        r.stderr()
            .contains("12000 matching events were printed in file order"),
        "{}",
        r.stderr()
    );
    says(&r, "--limit N");
    // Filters apply before the order: the failures of the shuffled file, newest first.
    let r = search(&shuf, &["--status", "failure", "--limit", "1200"]);
    let failures: Vec<Value> = shuffled
        .iter()
        .filter(|r| r["provisioningStatusInfo"]["status"] == "failure")
        .cloned()
        .collect();
    assert_eq!(ndjson_ids(&r.stdout()), by_time(&failures, false));

    // Up to 4,000 matches are sorted in memory, whatever the file's order.
    let part: Vec<Value> = shuffled[..3000].to_vec();
    let part_file = write("part.ndjson", &part);
    let r = search(&part_file, &["--all"]);
    assert!(ndjson_ids(&r.stdout()) == by_time(&part, false));
    assert!(!r.stderr().contains("file order"), "{}", r.stderr());
}

/// Counts `records` (Graph-shaped JSON) the way a summary should: by status, job, cycle and
/// failure code.
fn count_by<'a>(
    records: &'a [Value],
    key: impl Fn(&'a Value) -> Option<&'a str>,
) -> Vec<(String, u64)> {
    let mut m = std::collections::BTreeMap::<String, u64>::new();
    for r in records {
        if let Some(k) = key(r) {
            *m.entry(k.to_owned()).or_default() += 1;
        }
    }
    m.into_iter().collect()
}

fn summary_counts(
    summary: &Value,
    list: &str,
    key: &str,
    count: impl Fn(&Value) -> u64,
) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = summary[list]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|x| (x[key].as_str().unwrap_or_default().to_owned(), count(x)))
        .collect();
    v.sort();
    v
}

fn status_total(x: &Value) -> u64 {
    ["success", "failure", "skipped", "warning", "other"]
        .iter()
        .map(|k| x["status"][k].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn summary_numbers_equal_counting_the_records_that_search_lists() {
    let env = generated_env(2_500, ThrottleConfig::off());
    let (since, until) = range();
    let listed = exec(
        &env,
        &[
            "-o", "json", "logs", "search", "--all", "--since", &since, "--until", &until,
        ],
    )
    .ok()
    .json();
    assert!(listed.len() > 1_000, "only {} records", listed.len());
    let run = exec(
        &env,
        &[
            "-o", "json", "logs", "summary", "--since", &since, "--until", &until,
        ],
    )
    .ok();
    let s: Value = serde_json::from_str(&run.stdout()).expect("summary JSON");

    assert_eq!(s["total"].as_u64(), Some(listed.len() as u64));
    fn status(r: &Value) -> Option<&str> {
        r["provisioningStatusInfo"]["status"].as_str()
    }
    for (name, n) in count_by(&listed, status) {
        assert_eq!(
            s["status"][name.as_str()].as_u64(),
            Some(n),
            "status {name}"
        );
    }
    assert_eq!(
        summary_counts(&s, "jobs", "jobId", status_total),
        count_by(&listed, |r| r["jobId"].as_str()),
        "per job"
    );
    assert_eq!(
        summary_counts(&s, "cycles", "cycleId", status_total),
        count_by(&listed, |r| r["cycleId"].as_str()),
        "per cycle"
    );
    let failures: Vec<(String, u64)> = {
        let mut v: Vec<(String, u64)> = s["reasons"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|r| r["kind"] == "failure")
            .map(|r| {
                (
                    r["code"].as_str().unwrap_or_default().to_owned(),
                    r["count"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        v.sort();
        v
    };
    let failed: Vec<Value> = listed
        .iter()
        .filter(|r| status(r) == Some("failure"))
        .cloned()
        .collect();
    assert_eq!(
        failures,
        count_by(&failed, |r| r["provisioningStatusInfo"]["errorInformation"]
            ["errorCode"]
            .as_str()),
        "failure codes"
    );
    for r in s["reasons"].as_array().cloned().unwrap_or_default() {
        let samples = r["samples"].as_array().map(Vec::len).unwrap_or(0);
        assert!((1..=3).contains(&samples), "{r}");
        let share = r["share"].as_f64().unwrap_or(-1.0);
        let want = r["count"].as_f64().unwrap_or(0.0) / listed.len() as f64;
        assert!((share - want).abs() < 1e-9, "{r}");
    }

    // The same records from a file give the same summary.
    let file = env.dir().join("listed.json");
    std::fs::write(&file, serde_json::to_vec(&listed).expect("json")).expect("write");
    let from_file = exec(
        &env,
        &[
            "-o",
            "json",
            "logs",
            "summary",
            "--file",
            file.to_str().expect("utf-8"),
        ],
    )
    .ok();
    let f: Value = serde_json::from_str(&from_file.stdout()).expect("summary JSON");
    // Piped in, `--file -` reads standard input: the same document.
    let piped = env
        .cmd(&["-o", "json", "logs", "summary", "--file", "-"])
        .write_stdin(serde_json::to_vec(&listed).expect("json"))
        .output()
        .expect("run provctl");
    assert!(piped.status.success(), "{piped:?}");
    let p: Value = serde_json::from_slice(&piped.stdout).expect("summary JSON");
    assert_eq!(p, f);
    assert_eq!(f["total"], s["total"]);
    assert_eq!(f["status"], s["status"]);
    assert_eq!(f["jobs"], s["jobs"]);
    assert_eq!(f["cycles"], s["cycles"]);

    // People get the headline and the tables; a filter narrows every number.
    let table = exec(
        &env,
        &[
            "logs", "summary", "--since", &since, "--until", &until, "--status", "failure",
        ],
    )
    .ok()
    .stdout();
    let failed_n = failed.len() as u64;
    assert!(
        table.contains(&format!("{} events", failed_n.to_string().as_str())) || failed_n >= 1_000,
        "{table}"
    );
    assert!(
        table.contains("Top error codes and skip reasons"),
        "{table}"
    );
    assert!(table.contains("provctl explain log "), "{table}");
}
