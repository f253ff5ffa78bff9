//! `provctl exporter`, `provctl metrics` and `provctl jobs watch` against the emulator: the
//! exposition text read back with a real parser (and `promtool check metrics` when installed),
//! scrapes served without calling Graph, and the watch both as lines and under a real
//! pseudo-terminal.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use provctl::sim::demo;

use crate::common::{Env, sp_job};

/// A spawned binary, killed when the test ends however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a child's pipe, as they come.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads lines until one satisfies `want` (or panics after `secs`), returning every line read.
fn read_until(rx: &Receiver<String>, secs: u64, want: impl Fn(&str) -> bool) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = want(&line);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("timed out; lines so far:\n{}", seen.join("\n")),
        }
    }
}

/// Parses exposition text with `prometheus-parse`.
fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not Prometheus text ({e}):\n{text}"))
}

fn value(s: &prometheus_parse::Sample) -> f64 {
    match s.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        _ => f64::NAN,
    }
}

/// The one sample of `metric` whose labels include `labels`.
fn sample<'a>(
    scrape: &'a prometheus_parse::Scrape,
    metric: &str,
    labels: &[(&str, &str)],
) -> &'a prometheus_parse::Sample {
    let hits: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        .collect();
    assert_eq!(hits.len(), 1, "{metric} {labels:?}: {hits:#?}");
    hits[0]
}

/// Only these label names may appear: tenants, applications, jobs, entry types, agents and closed
/// value sets; never a provisioned object.
const LABELS: &[&str] = &[
    "tenant",
    "application",
    "job_id",
    "template",
    "state",
    "reason",
    "type",
    "agent_id",
    "machine",
    "status",
];

fn assert_bounded_labels(scrape: &prometheus_parse::Scrape) {
    for s in &scrape.samples {
        assert!(s.metric.starts_with("provctl_"), "{}", s.metric);
        assert!(
            s.labels.get("tenant").is_some(),
            "{} has no tenant",
            s.metric
        );
        for (k, _) in s.labels.iter() {
            assert!(LABELS.contains(&k.as_str()), "{} has label {k}", s.metric);
        }
    }
}

/// `promtool check metrics` on the text when promtool is installed (Debian: `apt-get install
/// prometheus`): it must accept it with no lint problem.
fn promtool_accepts(text: &str) {
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: promtool is not installed (Debian: apt-get install prometheus); `promtool check metrics` skipped"
            );
            return;
        }
        Err(e) => panic!("promtool: {e}"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("promtool: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{said}\n{text}"
    );
    assert!(said.trim().is_empty(), "promtool found problems:\n{said}");
}

#[test]
fn exporter_serves_the_last_snapshot_without_calling_graph_and_the_text_parses() {
    let env = Env::demo();
    let mut child = env
        .spawn_cmd(&["exporter", "--listen", "127.0.0.1:0", "--no-agents"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = lines_of(child.stderr.take().unwrap_or_else(|| panic!("stderr")));
    let _running = Running(child);
    let banner = read_until(&stderr, 20, |l| l.contains("serving http://"));
    let banner = banner.last().cloned().unwrap_or_default();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    let base = url.trim_end_matches("metrics").to_owned();
    let http = reqwest::Client::new();
    let get = |path: &str, accept: Option<&str>| {
        let mut req = http.get(format!("{base}{path}"));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        env.block_on(async {
            let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (r.status().as_u16(), ct, r.text().await.unwrap_or_default())
        })
    };
    // Ready once the first refresh has ended.
    let until = Instant::now() + Duration::from_secs(20);
    while get("healthz", None).0 != 200 {
        assert!(Instant::now() < until, "/healthz never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    env.clear();
    let (status, content_type, text) = get("metrics", None);
    let (_, om_type, openmetrics) = get(
        "metrics",
        Some("application/openmetrics-text; version=1.0.0"),
    );
    assert_eq!(status, 200);
    assert!(
        env.requests().is_empty(),
        "a scrape called Graph: {:?}",
        env.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert!(
        om_type.starts_with("application/openmetrics-text"),
        "{om_type}"
    );
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");

    let scrape = parse(&text);
    assert_bounded_labels(&scrape);
    let up = sample(&scrape, "provctl_tenant_up", &[("tenant", "default")]);
    assert_eq!(value(up), 1.0);
    let quarantined = sample(
        &scrape,
        "provctl_job_quarantined",
        &[("job_id", demo::JOB_EMEA_PROVISIONING)],
    );
    assert_eq!(quarantined.labels.get("reason"), Some("TooManyDeletes"));
    assert_eq!(value(quarantined), 1.0);
    let paused = sample(
        &scrape,
        "provctl_job_health",
        &[("job_id", demo::JOB_BOX), ("state", "paused")],
    );
    assert_eq!(value(paused), 1.0);
    let left = sample(
        &scrape,
        "provctl_job_quarantine_time_left_seconds",
        &[("job_id", demo::JOB_EMEA_PROVISIONING)],
    );
    assert!(
        value(left) > 0.0 && value(left) <= 28.0 * 86400.0,
        "{left:?}"
    );
    let requests = sample(&scrape, "provctl_graph_requests_total", &[]);
    assert!(
        matches!(requests.value, prometheus_parse::Value::Counter(n) if n >= 2.0),
        "{requests:?}"
    );
    promtool_accepts(&text);
}

#[test]
fn metrics_prints_one_snapshot_that_parses_for_the_textfile_collector() {
    let env = Env::demo();
    let (code, out, err) = env.run(&["metrics", "--no-agents"]);
    assert_eq!(code, 0, "{err}");
    let scrape = parse(&out);
    assert_bounded_labels(&scrape);
    for family in [
        "provctl_job_health",
        "provctl_job_quarantined",
        "provctl_job_escrowed",
        "provctl_job_last_execution",
        "provctl_snapshot_stale",
        "provctl_graph_throttled_total",
    ] {
        assert!(scrape.docs.contains_key(family), "no HELP for {family}");
    }
    let escrowed = sample(
        &scrape,
        "provctl_job_escrowed",
        &[("job_id", demo::JOB_CORP_PROVISIONING)],
    );
    assert!(value(escrowed) > 0.0, "{escrowed:?}");
    assert_eq!(
        value(sample(
            &scrape,
            "provctl_snapshot_stale",
            &[("tenant", "default")]
        )),
        0.0
    );
    promtool_accepts(&out);
}

#[test]
fn jobs_watch_follow_prints_every_job_then_one_line_per_change() {
    let env = Env::demo();
    let mut child = env
        .spawn_cmd(&["jobs", "watch", "--follow", "--interval", "2s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = lines_of(child.stdout.take().unwrap_or_else(|| panic!("stdout")));
    let _running = Running(child);
    let first = read_until(&stdout, 20, |l| l.contains(demo::JOB_DROPBOX));
    let appeared = first.iter().filter(|l| l.contains(" job: - -> ")).count();
    assert_eq!(appeared, 7, "{first:#?}");
    assert!(
        first
            .iter()
            .any(|l| l.ends_with(&format!("Box/{} job: - -> Paused", demo::JOB_BOX))),
        "{first:#?}"
    );

    let (code, _, err) = env.run(&["jobs", "start", &sp_job(demo::SP_BOX, demo::JOB_BOX)]);
    assert_eq!(code, 0, "{err}");
    let later = read_until(&stdout, 20, |l| l.contains("status: Paused -> Active"));
    let line = later.last().cloned().unwrap_or_default();
    assert!(line.contains(&format!("Box/{}", demo::JOB_BOX)), "{line}");
}

#[test]
fn jobs_watch_redraws_in_place_on_a_terminal_and_quits_on_q() {
    let all = watch_in_a_terminal(240);
    assert!(all.contains("status Paused→Active"), "{all}");
}

#[test]
fn jobs_watch_at_160_columns_keeps_the_change_ids_and_times_whole() {
    let all = watch_in_a_terminal(160);
    // The long quarantine reason shortens; what changed, ids, codes and run times do not.
    let changed: Vec<&str> = all
        .split("\r\n")
        .filter(|l| l.contains("status Paused→Active"))
        .collect();
    assert!(!changed.is_empty(), "{all}");
    for l in changed {
        assert!(!l.trim_end().ends_with('…'), "the change was cut: {l}");
    }
    assert!(
        all.contains("…4d5e01") && all.contains("  Quarantine  "),
        "the id and the status code are whole: {all}"
    );
    // NO_COLOR (the harness sets it) covers the live view too: no colour or bold, only the
    // cursor and screen controls.
    let sgr = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap_or_else(|e| panic!("{e}"));
    assert!(!sgr.is_match(&all), "colour under NO_COLOR: {all:?}");
    // Every last run's time is whole (`Succeeded 3m ago`, `just now`), never cut.
    let runs: Vec<&str> = all
        .split("\r\n")
        .filter(|l| l.contains("Succeeded ") || l.contains("Failed "))
        .collect();
    assert!(!runs.is_empty(), "{all}");
    for l in runs {
        assert!(
            l.contains(" ago ") || l.contains(" just now "),
            "a run time was cut: {l}"
        );
    }
}

/// Runs `jobs watch` in a pseudo-terminal `cols` wide, starts the paused Box job so the next
/// refresh marks its row, quits with q, and returns everything the terminal was sent.
fn watch_in_a_terminal(cols: u16) -> String {
    let env = Env::demo();
    let (mut child, mut reader, mut writer) =
        env.in_terminal(cols, &["jobs", "watch", "--interval", "2s"]);
    let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
    {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    // A signal (SIGCHLD of the `jobs start` below) interrupts the read: go on.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                screen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
        });
    }
    let shown =
        || String::from_utf8_lossy(&screen.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    let wait_for = |what: &str| {
        let until = Instant::now() + Duration::from_secs(20);
        while !shown().contains(what) {
            assert!(
                Instant::now() < until,
                "never showed {what:?}:\n{}",
                shown()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for("provctl jobs watch · 7 job(s)");
    // The alternate screen, then the table with the paused Box job.
    assert!(shown().contains("\u{1b}[?1049h"), "{}", shown());
    wait_for("Paused");

    let (code, _, err) = env.run(&["jobs", "start", &sp_job(demo::SP_BOX, demo::JOB_BOX)]);
    assert_eq!(code, 0, "{err}");
    // The next refresh marks the row with what changed.
    wait_for("status Paused→Active");
    wait_for("job(s) changed in the last refresh");

    writer.write_all(b"q").unwrap_or_else(|e| panic!("{e}"));
    writer.flush().unwrap_or_else(|e| panic!("{e}"));
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("q did not end the watch:\n{}", shown());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // The terminal is given back: the alternate screen is left and the cursor shown.
    let all = shown();
    assert!(
        all.contains("\u{1b}[?1049l") && all.contains("\u{1b}[?25h"),
        "{all}"
    );
    all
}
