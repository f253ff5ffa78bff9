//! One table: every command that names a job or an application, run with every way of naming it
//! (ids, display names, appId, template names and prefixes, the `…suffix` the tables print), must
//! reach the same job; malformed, unknown and ambiguous names fail the same way everywhere; a
//! named application is found with a filtered query, never by listing the tenant; and a token that
//! may not read jobs gets a permission error, never an empty table.

use provctl::sim::{SimConfig, ThrottleConfig, demo};
use serde_json::Value;

use crate::common::{Env, ROLES};

const SF_APP_ID: &str = "2b7d9e1f-3c5a-4b6d-8e0f-1a2c3e4f5a03";

/// The ways of naming the Salesforce job: the job argument, then the `--sp` value if any.
fn salesforce_forms() -> Vec<(String, Option<&'static str>)> {
    let job = demo::JOB_SALESFORCE;
    vec![
        (format!("{}/{job}", demo::SP_SALESFORCE), None),
        (format!("Salesforce/{job}"), None),
        ("Salesforce/salesforce".into(), None),
        (format!("{SF_APP_ID}/salesf"), None),
        ("salesforce".into(), Some(demo::SP_SALESFORCE)),
        ("salesf".into(), Some(SF_APP_ID)),
        ("…4d5e04".into(), Some("Salesforce")),
        (job.into(), None),
        ("salesforce".into(), None),
        ("SALESF".into(), None),
        ("…4d5e04".into(), None),
        ("...4d5e04".into(), None),
    ]
}

/// The ways of naming the corp.contoso.com provisioning job (a cloud sync job, as `jobs check`
/// prints it, and its template on its configuration).
fn corp_forms() -> Vec<(String, Option<&'static str>)> {
    let job = demo::JOB_CORP_PROVISIONING;
    vec![
        (format!("corp.contoso.com/{job}"), None),
        ("corp.contoso.com/AD2AADProvisioning".into(), None),
        ("AD2AADProv".into(), Some("corp.contoso.com")),
        ("…4d5e01".into(), None),
        (job.into(), None),
    ]
}

/// A command that takes a job: its words, with `JOB` where the job goes (`--sp` is appended).
struct JobCommand {
    words: &'static [&'static str],
    /// Whether it makes sense for a cloud sync job too.
    cloud_sync: bool,
    /// Whether it makes sense for an app provisioning job.
    app: bool,
}

const JOB_COMMANDS: &[JobCommand] = &[
    JobCommand {
        words: &["jobs", "show", "JOB", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["jobs", "start", "JOB", "--dry-run", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["jobs", "pause", "JOB", "--dry-run", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &[
            "jobs",
            "restart",
            "JOB",
            "--reset",
            "quarantine",
            "--dry-run",
            "-o",
            "json",
        ],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["quarantine", "show", "JOB", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["quarantine", "clear", "JOB", "--dry-run", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["explain", "job", "JOB", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &[
            "provision",
            "JOB",
            "--object",
            demo::USER_SF_UNAUTHORIZED,
            "--dry-run",
        ],
        cloud_sync: false,
        app: true,
    },
    JobCommand {
        words: &[
            "logs", "search", "--job", "JOB", "--limit", "5", "-o", "json",
        ],
        cloud_sync: true,
        app: true,
    },
    JobCommand {
        words: &["logs", "summary", "--job", "JOB", "-o", "json"],
        cloud_sync: true,
        app: true,
    },
    // Scope checks need an object the job can judge: an Entra user for the app job, an AD
    // object whose attributes the cloud sync log recorded for the cloud sync job.
    JobCommand {
        words: &[
            "scope",
            "check",
            "JOB",
            "--object",
            demo::USER_SN_CREATED,
            "-o",
            "json",
        ],
        cloud_sync: false,
        app: true,
    },
    JobCommand {
        words: &[
            "scope",
            "check",
            "JOB",
            "--object",
            demo::OG_SCOPING,
            "-o",
            "json",
        ],
        cloud_sync: true,
        app: false,
    },
];

/// Every `jobId` value anywhere in a document.
fn job_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match x.as_str() {
                    Some(id) if k == "jobId" => out.push(id.to_owned()),
                    _ => job_ids(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| job_ids(x, out)),
        _ => {}
    }
}

/// The demo token plus what `scope check` needs to read the object it judges.
/// Every command with every form is about a hundred runs, a third of them log reads or
/// provisionOnDemand calls: unthrottled, or Graph's 5-per-10-s budgets make this minutes of waiting
/// (the budgets have their own tests in `logs.rs` and the library's `pacing`).
fn env_for_every_command() -> Env {
    let mut roles = ROLES.to_vec();
    roles.extend(["User.Read.All", "GroupMember.Read.All"]);
    Env::with(SimConfig {
        throttle: ThrottleConfig::off(),
        ..SimConfig::for_tests()
    })
    .with_roles(&roles)
}

fn args<'a>(words: &[&'a str], job: &'a str, sp: Option<&'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = words
        .iter()
        .map(|w| if *w == "JOB" { job } else { w })
        .collect();
    if let Some(sp) = sp {
        out.extend(["--sp", sp]);
    }
    out
}

/// Runs one command with one form and checks it reached `job` of `sp`.
fn reaches(env: &Env, words: &[&str], form: &(String, Option<&str>), sp: &str, job: &str) {
    let a = args(words, &form.0, form.1);
    let (code, out, err) = env.run(&a);
    assert_eq!(code, 0, "provctl {a:?} exited {code}:\n{err}\n{out}");
    if words[0] == "logs" {
        let doc: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{a:?}: not JSON ({e}):\n{out}"));
        let mut ids = Vec::new();
        job_ids(&doc, &mut ids);
        assert!(
            !ids.is_empty(),
            "provctl {a:?}: no events, though the job has some"
        );
        for id in &ids {
            assert_eq!(id, job, "provctl {a:?}");
        }
    } else {
        assert!(
            out.contains(job),
            "provctl {a:?} did not reach {job}:\n{out}"
        );
        assert!(
            words[0] == "explain" || out.contains(sp),
            "provctl {a:?} did not name {sp}:\n{out}"
        );
    }
}

#[test]
fn every_job_command_reaches_the_same_job_by_every_form() {
    let env = env_for_every_command();
    for cmd in JOB_COMMANDS {
        for form in salesforce_forms().into_iter().filter(|_| cmd.app) {
            reaches(
                &env,
                cmd.words,
                &form,
                demo::SP_SALESFORCE,
                demo::JOB_SALESFORCE,
            );
        }
        if cmd.cloud_sync {
            for form in corp_forms() {
                reaches(
                    &env,
                    cmd.words,
                    &form,
                    demo::SP_CORP,
                    demo::JOB_CORP_PROVISIONING,
                );
            }
        }
    }
}

#[test]
fn logs_export_filters_on_the_resolved_job_id() {
    let env = Env::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (n, form) in [
        ("salesforce", None),
        ("salesforce", Some("Salesforce")),
        ("…4d5e04", None),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.path().join(format!("export-{n}.ndjson"));
        let file = file.to_string_lossy().into_owned();
        let a = args(
            &[
                "logs", "export", "--job", "JOB", "--since", "30d", "--out", &file,
            ],
            form.0,
            form.1,
        );
        let (code, out, err) = env.run(&a);
        assert_eq!(code, 0, "provctl {a:?}:\n{err}\n{out}");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let records: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("jobId").is_some())
            .collect();
        assert!(!records.is_empty(), "{a:?}: nothing exported:\n{text}");
        assert!(
            records.iter().all(|r| r["jobId"] == demo::JOB_SALESFORCE),
            "{a:?}"
        );
    }
}

#[test]
fn every_sp_flag_takes_an_object_id_an_app_id_or_a_display_name() {
    let env = Env::demo();
    let lists: &[&[&str]] = &[
        &["jobs", "list", "-o", "json"],
        &["jobs", "check", "-o", "json"],
        &["quarantine", "list", "-o", "json"],
        &["logs", "search", "--limit", "3", "-o", "json"],
    ];
    for words in lists {
        for sp in [demo::SP_SALESFORCE, SF_APP_ID, "Salesforce"] {
            let a = args(words, "", Some(sp));
            let (code, out, err) = env.run(&a);
            // `jobs check` exits 7 because the Salesforce job is quarantined.
            assert!(
                code == 0 || (words[1] == "check" && code == 7),
                "provctl {a:?} exited {code}:\n{err}"
            );
            assert!(out.contains(demo::JOB_SALESFORCE), "provctl {a:?}:\n{out}");
            assert!(
                !out.contains(demo::JOB_CORP_PROVISIONING),
                "provctl {a:?} not narrowed:\n{out}"
            );
        }
    }
    for sp in [
        demo::SP_CORP,
        "2b7d9e1f-3c5a-4b6d-8e0f-1a2c3e4f5a01",
        "corp.contoso.com",
    ] {
        let (code, out, err) = env.run(&[
            "tenant",
            "job-threshold",
            "set",
            "--sp",
            sp,
            "--count",
            "50",
            "--dry-run",
        ]);
        assert_eq!(code, 0, "--sp {sp}:\n{err}");
        assert!(out.contains(demo::SP_CORP), "--sp {sp}:\n{out}");
    }
}

#[test]
fn unknown_malformed_and_ambiguous_names_fail_the_same_way_in_every_command() {
    let env = env_for_every_command();
    let nosuch_sp: &[&[&str]] = &[
        &["jobs", "list"],
        &["jobs", "check"],
        &["quarantine", "list"],
        &["logs", "search"],
        &["logs", "summary"],
        &["jobs", "show", "salesforce"],
        &["explain", "job", "salesforce"],
        &[
            "tenant",
            "job-threshold",
            "set",
            "--count",
            "5",
            "--dry-run",
        ],
    ];
    for words in nosuch_sp {
        let a = args(words, "", Some("nosuch"));
        let (code, _, err) = env.run(&a);
        assert_eq!(code, 5, "provctl {a:?}:\n{err}");
        assert!(
            err.contains("'nosuch'"),
            "provctl {a:?} does not name the value:\n{err}"
        );
    }
    for cmd in JOB_COMMANDS {
        for (job, sp, exit, says) in [
            ("workday", None, 5, "'workday'"),
            ("AD2AADProvisioning", None, 2, "matches 2 jobs"),
            ("../x", None, 2, "'..'"), // allow-outside-path: an id, not a path
            ("..", Some(demo::SP_CORP), 2, "'..'"),
            ("x", Some(".."), 2, "'..'"),
        ] {
            let a = args(cmd.words, job, sp);
            let (code, _, err) = env.run(&a);
            assert_eq!(code, exit, "provctl {a:?}:\n{err}");
            assert!(err.contains(says), "provctl {a:?}:\n{err}");
        }
    }
    // Offline, only what needs no lookup: the full job id and the object id.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/azure-monitor-provisioninglogs.json"
    );
    for (flag, value, says) in [
        ("--job", "salesforce", "with --file give the full job id"),
        (
            "--sp",
            "Salesforce",
            "with --file give the service principal's object id",
        ),
    ] {
        let (code, _, err) = env.run(&["logs", "search", "--file", file, flag, value]);
        assert_eq!(code, 2, "{flag} {value}:\n{err}");
        assert!(
            err.contains(says) && err.contains(value),
            "{flag} {value}:\n{err}"
        );
    }
    let (code, _, err) = env.run(&[
        "logs",
        "search",
        "--file",
        file,
        "--job",
        demo::JOB_SALESFORCE,
    ]);
    assert_eq!(code, 0, "{err}");
    // Nothing malformed reached the emulator.
    assert!(
        !env.requests()
            .iter()
            .any(|r| r.path.contains("/..") || r.path.contains("%2E%2E")),
        "a '..' id was sent"
    );
}

#[test]
fn a_named_application_is_found_with_a_filter_not_by_listing_the_tenant() {
    let env = Env::demo();
    for form in [
        vec!["jobs", "show", "Salesforce/salesforce"],
        vec!["explain", "job", "salesforce", "--sp", SF_APP_ID],
        vec!["logs", "search", "--sp", "corp.contoso.com", "--limit", "1"],
        vec!["jobs", "list", "--sp", "Salesforce"],
    ] {
        env.clear();
        let (code, _, err) = env.run(&form);
        assert_eq!(code, 0, "{form:?}:\n{err}");
        let listings: Vec<_> = env
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path.ends_with("/servicePrincipals"))
            .collect();
        assert_eq!(listings.len(), 1, "{form:?}: {listings:?}");
        assert!(
            listings[0]
                .query
                .as_deref()
                .is_some_and(|q| q.contains("filter")),
            "{form:?}: unfiltered listing {:?}",
            listings[0].query
        );
        let job_lists = env
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/synchronization/jobs"))
            .count();
        assert!(
            job_lists <= 1,
            "{form:?}: {job_lists} job lists for one application"
        );
    }
    // A full job id for the logs needs no lookup at all.
    env.clear();
    let (code, _, err) = env.run(&[
        "logs",
        "search",
        "--job",
        demo::JOB_SALESFORCE,
        "--limit",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        env.requests()
            .iter()
            .all(|r| r.path.contains("auditLogs/provisioning")),
        "{:?}",
        env.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    // A cloud sync job without --sp is looked for among the cloud sync configurations only.
    env.clear();
    let (code, _, err) = env.run(&["jobs", "show", "AD2AADPasswordHash"]);
    assert_eq!(code, 0, "{err}");
    let job_lists = env
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/synchronization/jobs"))
        .count();
    assert_eq!(
        job_lists, 2,
        "only corp and emea are cloud sync configurations"
    );
}

#[test]
fn a_token_that_cannot_read_jobs_gets_a_permission_error_naming_it_not_an_empty_table() {
    let mut env = Env::demo();
    env.use_roles(&["Application.Read.All", "ProvisioningLog.Read.All"]);
    for words in [
        vec!["jobs", "list"],
        vec!["quarantine", "list"],
        vec!["jobs", "show", "salesforce"],
        vec!["explain", "job", "Salesforce/salesforce"],
    ] {
        let (code, out, err) = env.run(&words);
        assert_eq!(code, 4, "{words:?}:\n{err}\n{out}");
        assert!(
            err.contains("Synchronization.Read.All"),
            "{words:?}:\n{err}"
        );
        assert!(out.trim().is_empty(), "{words:?} printed a table:\n{out}");
    }
}

/// `jobs watch` runs until stopped: each run here is killed after a few seconds, long enough for
/// the first refresh (which prints every job) or for the error that ends it.
fn watch(env: &Env, sp: &str) -> (i32, String, String) {
    let mut c = env.cmd(&["jobs", "watch", "--follow", "--sp", sp]);
    c.timeout(std::time::Duration::from_secs(4));
    crate::common::outcome(c)
}

#[test]
fn jobs_watch_narrows_to_the_named_application_and_refuses_one_that_does_not_exist() {
    let env = Env::demo();
    for sp in [demo::SP_SALESFORCE, SF_APP_ID, "Salesforce"] {
        let (_, out, err) = watch(&env, sp);
        assert!(
            out.contains(demo::JOB_SALESFORCE),
            "--sp {sp}:\n{err}\n{out}"
        );
        assert!(
            !out.contains(demo::JOB_CORP_PROVISIONING),
            "--sp {sp} not narrowed:\n{out}"
        );
    }
    let (code, out, err) = watch(&env, "nosuch");
    assert_eq!(
        code, 5,
        "an unknown application is watched silently:\n{err}\n{out}"
    );
    assert!(err.contains("'nosuch'"), "{err}");

    let env = env.with_roles(&["Application.Read.All"]);
    let (code, out, err) = watch(&env, "Salesforce");
    assert_eq!(
        code, 4,
        "a token that may not read jobs watches nothing:\n{err}\n{out}"
    );
    assert!(err.contains("Synchronization.Read.All"), "{err}");
}
