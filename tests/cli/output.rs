//! Output people can read and scripts can trust: every list command's table at 80, 120 and 200
//! columns (snapshots: ids and times whole, low-priority columns dropped, text shortened with …),
//! CSV/TSV with full ids and RFC 3339 times, objects as key/value rows, the computed fields of
//! `-o json`, one colour decision, and no control character from Graph reaching the terminal.

use serde_json::Value;

use crate::common::Env;

/// The list commands and a name for their snapshots.
const LISTS: &[(&str, &[&str])] = &[
    ("jobs_list", &["jobs", "list"]),
    ("quarantine_list", &["quarantine", "list"]),
    (
        "logs_search_file",
        &[
            "logs",
            "search",
            "--file",
            "examples/portal-download.json",
            "--all",
        ],
    ),
    (
        "logs_summary_file",
        &["logs", "summary", "--file", "examples/portal-download.json"],
    ),
    ("agents_list", &["agents", "list"]),
    ("agents_check", &["agents", "check"]),
    ("tenant_job_threshold", &["tenant", "job-threshold", "show"]),
];

/// How many terminal columns a line takes (every character here is one column wide).
fn columns(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn every_list_fits_80_120_and_200_columns_without_splitting_an_id_or_a_time() {
    let env = Env::fixed();
    for (name, args) in LISTS {
        for width in [80u16, 120, 200] {
            let (code, out, err) = env.run_at_width(width, args);
            assert!(
                code == 0 || code == 7,
                "{name} at {width}: exit {code}\n{err}"
            );
            for line in out.lines() {
                assert!(
                    columns(line) <= usize::from(width),
                    "{name} at {width}: a line of {} columns:\n{out}",
                    columns(line)
                );
            }
            insta::assert_snapshot!(format!("{name}_{width}"), out);
        }
    }
}

#[test]
fn wide_shows_every_column_in_full_whatever_the_width() {
    let env = Env::fixed();
    let (code, out, err) = env.run_at_width(80, &["jobs", "list", "--wide"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("STEADY SINCE") && out.contains("EncounteredEscrowProportionThreshold"),
        "{out}"
    );
    assert!(!out.contains('…') || out.contains("…4d5e01"), "{out}");
}

#[test]
fn csv_carries_full_ids_and_rfc3339_times_and_tsv_has_no_header() {
    let env = Env::fixed();
    let (code, csv, err) = env.run(&["jobs", "list", "-o", "csv"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "application,servicePrincipalId,jobId,templateId,status,quarantineReason,lastRunState,lastRunTime,nextRun,escrowed,steadySince"
        )
    );
    let first = lines.next().unwrap_or_default();
    assert!(
        first.contains(",AD2AADProvisioning.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e01,"),
        "{first}"
    );
    assert!(
        first.contains(",2026-11-25T09:00:00Z,"),
        "RFC 3339 UTC: {first}"
    );
    assert!(!csv.contains('…') && !csv.contains(" ago"), "{csv}");
    let (_, tsv, _) = env.run(&["jobs", "list", "-o", "tsv"]);
    assert_eq!(
        tsv.lines().count(),
        csv.lines().count() - 1,
        "no header:\n{tsv}"
    );
    assert!(
        tsv.starts_with("corp.contoso.com\t6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e01\t"),
        "{tsv}"
    );
    let (_, ids, _) = env.run(&["jobs", "list", "-o", "tsv", "--query", "[].id"]);
    assert_eq!(ids.lines().count(), 7, "{ids}");
    assert!(!ids.contains("value"), "{ids}");
}

#[test]
fn logs_search_csv_fills_the_reason_of_skips_and_failures() {
    let env = Env::fixed();
    let (code, out, err) = env.run(&[
        "logs",
        "search",
        "--file",
        "examples/portal-download.json",
        "--all",
        "-o",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let headers = rows.headers().unwrap_or_else(|e| panic!("{e}")).clone();
    let at = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (status, reason, time) = (at("status"), at("reason"), at("activityDateTime"));
    let mut problems = 0;
    for row in rows.records() {
        let row = row.unwrap_or_else(|e| panic!("{e}"));
        if matches!(&row[status], "failure" | "skipped") {
            problems += 1;
            assert!(!row[reason].is_empty(), "{row:?}");
        }
        assert!(
            row[time].ends_with('Z') && row[time].contains('T'),
            "{row:?}"
        );
    }
    assert!(problems > 0, "the file has skips or failures");
}

#[test]
fn show_commands_print_key_value_rows_in_csv_never_json() {
    let env = Env::fixed();
    let (code, out, err) = env.run(&[
        "jobs",
        "show",
        "corp.contoso.com/AD2AADPasswordHash",
        "-o",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("key,value\n"), "{out}");
    assert!(!out.trim_start().starts_with('{'), "{out}");
    let (_, tsv, _) = env.run(&["quarantine", "show", "salesforce", "-o", "tsv"]);
    assert!(tsv.lines().all(|l| l.split('\t').count() == 2), "{tsv}");
}

#[test]
fn computed_views_carry_their_computed_fields_in_json() {
    let env = Env::fixed();
    let list = env.json(&["quarantine", "list", "-o", "json"]);
    let first = &list[0];
    assert!(
        first["id"].is_string() && first["status"].is_object(),
        "the Graph job: {first:#}"
    );
    let c = &first["computed"];
    for key in [
        "reason",
        "since",
        "reEvaluations",
        "nextAttempt",
        "errorCode",
        "daysLeft",
        "disableAround",
        "cause",
    ] {
        assert!(c.get(key).is_some(), "computed.{key} in {c:#}");
    }
    assert!(c["daysLeft"].is_i64(), "{c:#}");
    let (code, out, _) = env.run(&["jobs", "check", "-o", "json"]);
    assert_eq!(code, 7);
    let check: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let q = check
        .as_array()
        .and_then(|a| a.iter().find(|f| f["health"] == "quarantined"))
        .unwrap_or_else(|| panic!("{check:#}"));
    assert!(
        q["reason"].is_string() && q["daysLeft"].is_i64() && q["job"]["id"].is_string(),
        "{q:#}"
    );
}

#[test]
fn a_crafted_display_name_cannot_retitle_or_clear_the_terminal() {
    let crafted = "corp\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}H";
    let env = Env::fixed_with(|doc| {
        doc["servicePrincipals"][0]["displayName"] = Value::from(crafted);
    });
    for format in ["table", "csv", "tsv", "json", "ndjson", "yaml"] {
        let (code, out, err) = env.run(&["jobs", "list", "-o", format]);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(
            !out.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "{format}: a raw control character in {out:?}"
        );
        assert!(out.contains("corp"), "{format}: the name is still shown");
    }
    let json = env.json(&["jobs", "list", "-o", "json"]);
    assert_eq!(
        json[0]["servicePrincipal"]["displayName"], crafted,
        "JSON escapes, never changes"
    );
}

/// Every stream of every kind of output, with Graph's or a file's text crafted to retitle the
/// terminal (OSC), clear it (CSI, also as the one-character C1 CSI U+009B): tables, CSV/TSV, an
/// explanation, the "nothing to change" answer, progress and wait lines of `--wait`, prompts'
/// refusals and error messages.
#[test]
fn crafted_graph_and_file_text_reaches_no_stream_of_any_command_raw() {
    use provctl::sim::demo::{JOB_CORP_PHS, JOB_CORP_PROVISIONING, SP_CORP};
    let crafted = "corp\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}H";
    let env = Env::fixed_with(|doc| {
        if let Some(sp) = doc["servicePrincipals"]
            .as_array_mut()
            .and_then(|sps| sps.iter_mut().find(|sp| sp["id"] == SP_CORP))
        {
            sp["displayName"] = Value::from(crafted);
        }
    });
    let answer = env.dir().join("graph-error.json");
    std::fs::write(
        &answer,
        serde_json::json!({"error": {"code": "Authorization_RequestDenied", "message": crafted}})
            .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let answer = answer.display().to_string();
    let runs: &[&[&str]] = &[
        &["jobs", "list", "-o", "csv"],
        &["jobs", "list", "-o", "tsv"],
        &["quarantine", "list"],
        &["explain", "job", JOB_CORP_PROVISIONING],
        &["explain", "--file", &answer],
        &["jobs", "show", JOB_CORP_PROVISIONING, "-o", "csv"],
        &["jobs", "start", JOB_CORP_PHS],
        &[
            "jobs",
            "restart",
            JOB_CORP_PROVISIONING,
            "--reset",
            "escrows",
        ],
        &[
            "jobs",
            "start",
            JOB_CORP_PROVISIONING,
            "--wait",
            "--timeout",
            "20s",
            "--poll-interval",
            "1s",
        ],
    ];
    for args in runs {
        let (_, out, err) = env.run(args);
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            assert!(
                !text.contains(['\u{1b}', '\u{7}', '\u{9b}']),
                "{args:?} {stream}: a raw control character in {text:?}"
            );
        }
        assert!(
            out.contains("corp") || err.contains("corp"),
            "{args:?}: the crafted text is still shown, escaped: {out}{err}"
        );
    }
}

#[test]
fn no_color_covers_every_stream_and_an_empty_no_color_is_unset() {
    let env = Env::fixed();
    let coloured = env
        .cmd(&["-v", "jobs", "list"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
    assert!(
        String::from_utf8_lossy(&coloured.stderr).contains('\u{1b}'),
        "-v logs coloured"
    );
    for (flag, no_color) in [(Some("--no-color"), ""), (None, "1")] {
        let mut args = vec!["-v", "jobs", "list"];
        args.extend(flag);
        let out = env
            .cmd(&args)
            .env("NO_COLOR", no_color)
            .env("CLICOLOR_FORCE", "1")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains('\u{1b}'),
            "{flag:?}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains('\u{1b}'),
            "{flag:?}"
        );
    }
    let empty = env
        .cmd(&["jobs", "list"])
        .env("NO_COLOR", "")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        String::from_utf8_lossy(&empty.stdout).contains('\u{1b}'),
        "NO_COLOR= is unset"
    );
}

#[test]
fn closed_values_are_case_insensitive_and_idempotent_requests_change_nothing() {
    let env = Env::fixed();
    let (code, out, err) = env.run(&["jobs", "list", "--status", "Quarantine", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let jobs: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jobs.as_array().map(Vec::len), Some(3));
    let (code, _, err) = env.run(&["quarantine", "list", "--reason", "TOOMANYDELETES"]);
    assert_eq!(code, 0, "{err}");
    // Every other closed value set, in capitals or mixed case.
    for line in [
        "-o JSON jobs list",
        "--output Csv jobs list",
        "--cloud GLOBAL jobs list",
        "--auth TOKEN jobs list",
        "logs search --action CREATE --status FAILURE --limit 1",
        "logs export --out - --format NDJSON --since 1h",
        "jobs restart corp.contoso.com/AD2AADProvisioning --reset ESCROWS,quarantinestate --dry-run",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 0, "{line}: {err}");
    }
    env.clear();
    let (code, out, err) = env.run(&["quarantine", "clear", "corp.contoso.com/AD2AADPasswordHash"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to change"), "{out}");
    assert!(env.posts().is_empty(), "nothing sent");
}

#[test]
fn a_time_range_error_echoes_the_users_words() {
    let env = Env::fixed();
    let (code, _, err) = env.run(&["logs", "search", "--since", "1d", "--until", "2d"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "--since 1d (2026-11-24 12:00 UTC) is not before --until 2d (2026-11-23 12:00 UTC)"
        ),
        "{err}"
    );
}

/// Issue 16: `explain object` of a UPN that no log mentions suggests commands that then work
/// (none is refused as bad usage).
#[test]
fn explain_object_by_upn_suggests_commands_that_work() {
    let env = Env::fixed();
    let (code, out, err) = env.run(&["explain", "object", "alex@contoso.com"]);
    assert_eq!(code, 0, "{err}");
    let suggested: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("$ provctl "))
        .collect();
    assert!(!suggested.is_empty(), "{out}");
    for line in suggested {
        let args: Vec<&str> = line.split_whitespace().collect();
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 0, "`provctl {line}` is refused: {err}");
    }
}

/// Issue 16: `config list -o csv` has the camelCase keys of every other CSV and the profile's
/// bare name, not the table's headers and its ` *` mark.
#[test]
fn config_list_csv_has_column_keys_and_the_bare_profile_name() {
    let env = Env::fixed();
    let (code, _, err) = env.run(&["config", "set", "tenant", "contoso.onmicrosoft.com"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = env.run(&["config", "list", "-o", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "profile,tenant,cloud,auth,clientId,certificatePath,current\ndefault,contoso.onmicrosoft.com,,,,,true\n"
    );
}
