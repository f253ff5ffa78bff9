//! `provctl logs summary` checked against counting the same records listed by `logs search -o
//! json`, on the demo tenant and on a generated one: both carry several cycles per job, several
//! error codes and several skip reasons, and a summary of a file (counted from the glanced fields,
//! reading whole records only for skips) gives the same numbers and reasons as one from Graph.

use std::collections::BTreeMap;

use provctl::sim::{GenerateSpec, SimConfig, TenantSource, ThrottleConfig};
use serde_json::Value;

use crate::common::Env;

fn generated(logs: u64) -> Env {
    let cfg = SimConfig {
        tenant: TenantSource::Generate(GenerateSpec {
            sps: 20,
            jobs: 6,
            logs,
            seed: 11,
        }),
        throttle: ThrottleConfig::off(),
        ..SimConfig::for_tests()
    };
    Env::start(cfg, chrono::Utc::now())
}

fn count<'a>(
    records: &'a [Value],
    key: impl Fn(&'a Value) -> Option<&'a str>,
) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in records {
        if let Some(k) = key(r) {
            *m.entry(k.to_owned()).or_default() += 1;
        }
    }
    m
}

/// The `SkipReason` a skipped record's steps carry.
fn skip_reason(r: &Value) -> Option<&str> {
    r["provisioningSteps"]
        .as_array()?
        .iter()
        .find_map(|s| s["details"]["SkipReason"].as_str())
}

fn reasons(summary: &Value, kind: &str) -> BTreeMap<String, u64> {
    summary["reasons"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| {
            (
                r["code"].as_str().unwrap_or_default().to_owned(),
                r["count"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Checks a summary against the records `logs search` listed; returns both.
fn check(env: &Env, range: &[&str], every_skip_has_a_reason: bool) -> (Value, Vec<Value>) {
    let mut search = vec!["logs", "search", "--all", "-o", "json"];
    search.extend_from_slice(range);
    let listed = env.json(&search).as_array().cloned().unwrap_or_default();
    let mut args = vec!["logs", "summary", "-o", "json"];
    args.extend_from_slice(range);
    let s = env.json(&args);
    assert_eq!(s["total"].as_u64(), Some(listed.len() as u64));
    let status = |r: &'_ Value| {
        r["provisioningStatusInfo"]["status"]
            .as_str()
            .map(str::to_owned)
    };
    for (name, n) in count(&listed, |r| r["provisioningStatusInfo"]["status"].as_str()) {
        assert_eq!(
            s["status"][name.as_str()].as_u64(),
            Some(n),
            "status {name}"
        );
    }
    let failed: Vec<Value> = listed
        .iter()
        .filter(|r| status(r).as_deref() == Some("failure"))
        .cloned()
        .collect();
    let skipped: Vec<Value> = listed
        .iter()
        .filter(|r| status(r).as_deref() == Some("skipped"))
        .cloned()
        .collect();
    assert_eq!(
        reasons(&s, "failure"),
        count(&failed, |r| r["provisioningStatusInfo"]["errorInformation"]
            ["errorCode"]
            .as_str()),
        "failure codes"
    );
    // A skip that carries a SkipReason counts under that code (the demo also has skips whose
    // reason is read from their scoping step instead).
    if every_skip_has_a_reason {
        assert_eq!(
            reasons(&s, "skip"),
            count(&skipped, skip_reason),
            "skip reasons"
        );
    } else {
        let all: u64 = reasons(&s, "skip").values().sum();
        assert_eq!(all, skipped.len() as u64, "skips");
    }
    (s, listed)
}

/// The same records written to a file summarise to the same numbers and reasons.
fn check_file(env: &Env, graph: &Value, listed: &[Value]) {
    let file = env.dir().join("listed.ndjson");
    let text: String = listed.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let f = env.json(&[
        "logs",
        "summary",
        "-o",
        "json",
        "--file",
        file.to_str().unwrap_or(""),
    ]);
    for key in ["total", "status", "actions", "jobs", "cycles", "reasons"] {
        assert_eq!(f[key], graph[key], "{key}");
    }
}

#[test]
fn a_generated_tenant_summarises_several_cycles_codes_and_skip_reasons_like_search_counts() {
    let env = generated(3_000);
    let (s, listed) = check(&env, &["--since", "31d"], true);
    assert_eq!(listed.len(), 3_000);
    assert!(reasons(&s, "failure").len() >= 3, "{s}");
    assert!(reasons(&s, "skip").len() >= 3, "{s}");
    let cycles_per_job = count(&listed, |r| r["jobId"].as_str())
        .keys()
        .map(|job| {
            listed
                .iter()
                .filter(|r| r["jobId"].as_str() == Some(job))
                .filter_map(|r| r["cycleId"].as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        })
        .collect::<Vec<_>>();
    assert!(cycles_per_job.iter().all(|&n| n >= 3), "{cycles_per_job:?}");
    check_file(&env, &s, &listed);
}

#[test]
fn the_demo_tenant_summarises_several_cycles_codes_and_skip_reasons_like_search_counts() {
    let env = Env::demo();
    let (s, listed) = check(&env, &["--since", "30d"], false);
    assert!(reasons(&s, "failure").len() >= 5, "{s}");
    assert!(reasons(&s, "skip").len() >= 3, "{s}");
    let corp_cycles = s["cycles"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter(|c| c["jobId"] == provctl::sim::demo::JOB_CORP_PROVISIONING)
                .count()
        })
        .unwrap_or(0);
    assert!(corp_cycles >= 3, "{s}");
    check_file(&env, &s, &listed);
}
