//! Export benchmark, run by hand: `cargo bench --bench export` (release build).
//!
//! 1. Unthrottled: the emulator (in this process, one worker thread) serves `BENCH_RECORDS`
//!    generated records (default `100000,1000000`) over plain HTTP and over HTTPS; the release
//!    `provctl logs export --no-pacing` runs as a child under `/usr/bin/time -v` and writes NDJSON
//!    (in `BENCH_DIR`, default the system temp dir). Reports records/s, CPU µs per record of the
//!    child (user + sys) and of the emulator (this process, for comparison), peak RSS, and checks
//!    the file holds every record once.
//! 2. Throttled: the emulator enforces 5 requests / 10 s; a paced export of `BENCH_THROTTLED_PAGES`
//!    pages (default 20) of 1000 records. Reports the wall time against the bound the budget allows
//!    (pages × 2 s) and the number of 429s (target: none).

use std::collections::HashSet;
use std::io::BufRead;
use std::process::Command;
use std::time::Instant;

use provctl::sim::{GenerateSpec, Sim, SimConfig, TenantSource, ThrottleConfig, TokenSpec, demo};

mod support;
use support::field;

const ROLES: &[&str] = &["ProvisioningLog.Read.All"];

struct Measured {
    records: u64,
    wall: f64,
    cpu: f64,
    rss_kib: u64,
    lines: u64,
    unique: usize,
    statuses_429: usize,
    /// CPU seconds the bench process (the emulator) spent during the run.
    sim_cpu: f64,
}

/// CPU seconds (user + system) this process has used so far.
fn own_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the state field.
    let ticks = f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0);
    ticks / 100.0
}

fn run(records: u64, throttle: ThrottleConfig, paced: bool, https: bool) -> Measured {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(Sim::start(SimConfig {
            tenant: TenantSource::Generate(GenerateSpec {
                sps: 100,
                jobs: 20,
                logs: records,
                seed: 7,
            }),
            throttle,
            http_port: Some(0),
            ..SimConfig::default()
        }))
        .expect("emulator");
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).expect("CA");
    let out = dir.path().join("export.ndjson");
    let now = chrono::Utc::now();
    let since = (now - chrono::Duration::days(31)).to_rfc3339();
    let until = (now + chrono::Duration::minutes(5)).to_rfc3339();
    let token = sim.issue_token(TokenSpec::app(demo::CLIENT_ID, ROLES));
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v")
        .arg(env!("CARGO_BIN_EXE_provctl"))
        .arg("--graph-url")
        .arg(if https {
            sim.base_url().as_str()
        } else {
            sim.http_base_url().expect("plain HTTP").as_str()
        })
        .arg("--ca-file")
        .arg(&ca)
        .args([
            "logs",
            "export",
            "--since",
            &since,
            "--until",
            &until,
            "--page-size",
            "1000",
            "--out",
        ])
        .arg(&out)
        .env("PROVCTL_ACCESS_TOKEN", token);
    if !paced {
        cmd.arg("--no-pacing");
    }
    let cpu_before = own_cpu();
    let started = Instant::now();
    let o = cmd.output().expect("run provctl under /usr/bin/time");
    let wall = started.elapsed().as_secs_f64();
    let sim_cpu = own_cpu() - cpu_before;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "export failed:\n{err}");
    let cpu = field(&err, "User time (seconds)").unwrap_or(0.0)
        + field(&err, "System time (seconds)").unwrap_or(0.0);
    let rss_kib = field(&err, "Maximum resident set size (kbytes)").unwrap_or(0.0) as u64;
    let mut lines = 0;
    let mut ids = HashSet::new();
    let f = std::io::BufReader::new(std::fs::File::open(&out).expect("export file"));
    for line in f.lines() {
        let line = line.expect("line");
        lines += 1;
        // The id is the first member of every generated record.
        if let Some(id) = line.get(7..43) {
            ids.insert(id.to_owned());
        }
    }
    let statuses_429 = sim.requests().iter().filter(|r| r.status == 429).count();
    rt.block_on(sim.shutdown());
    Measured {
        records,
        wall,
        cpu,
        rss_kib,
        lines,
        unique: ids.len(),
        statuses_429,
        sim_cpu,
    }
}

fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_RECORDS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect();
    println!(
        "unthrottled export to NDJSON (provctl of this build profile: release under `cargo bench`; emulator in the bench process)"
    );
    println!(
        "{:>6} {:>10} {:>9} {:>12} {:>10} {:>12} {:>13} {:>8}",
        "scheme",
        "records",
        "wall s",
        "records/s",
        "CPU µs/rec",
        "peak RSS MiB",
        "sim CPU µs/rec",
        "exact"
    );
    for https in [false, true] {
        for &n in &sizes {
            let m = run(n, ThrottleConfig::off(), false, https);
            println!(
                "{:>6} {:>10} {:>9.2} {:>12.0} {:>10.2} {:>12.1} {:>13.2} {:>8}",
                if https { "https" } else { "http" },
                m.records,
                m.wall,
                m.records as f64 / m.wall,
                m.cpu * 1e6 / m.records as f64,
                m.rss_kib as f64 / 1024.0,
                m.sim_cpu * 1e6 / m.records as f64,
                m.lines == m.records && m.unique as u64 == m.records
            );
        }
    }
    let pages: u64 = std::env::var("BENCH_THROTTLED_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    if pages > 0 {
        let m = run(pages * 1000, ThrottleConfig::default(), true, true);
        let bound = pages as f64 * 2.0;
        println!(
            "\nthrottled (5 req / 10 s) paced export: {} pages in {:.1} s; bound {:.0} s (pages × 2 s) → {:.2}× the bound; 429s: {}; exact: {}",
            pages,
            m.wall,
            bound,
            m.wall / bound,
            m.statuses_429,
            m.lines == m.records && m.unique as u64 == m.records
        );
    }
}
