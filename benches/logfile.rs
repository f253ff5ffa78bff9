//! Offline reading benchmark, run by hand: `cargo bench --bench logfile` (release build).
//!
//! For each size in `BENCH_RECORDS` (default `100000,1000000`): the emulator (in this process)
//! generates that many records and the release `provctl logs export --no-pacing` writes them as
//! NDJSON (in `BENCH_DIR`, default the system temp dir), as an admin's export would be. Then, in
//! the same run and on the same warm file, each command runs `BENCH_RUNS` times (default 3) under
//! `/usr/bin/time -v`, and the median wall time and the largest peak RSS are reported:
//!
//! - `provctl logs search --file F --status failure --all -o none` (and with `--oldest-first`;
//!   and `-o ndjson`, where the newest-first order of an oldest-first export is worked out by
//!   reading the file twice, while `-o none` prints nothing and skips the ordering)
//! - `provctl logs search --file F --object-guid G --all -o none`, G a rare object of the file
//! - `provctl explain --file F -o none`
//! - `provctl logs summary --file F -o none`, against the search for failures above
//! - the Python one-liner: `json.loads` per line, counting `provisioningStatusInfo.status ==
//!   "failure"`
//! - `grep -c G F`
//!
//! The targets (issue 15): search ≥ 3× faster than Python; the rare object within 4× of
//! `grep -c`; explain ≥ 2× faster than Python; peak RSS ≤ 64 MiB for every provctl command.
//! Issue 17: the summary at least as fast as `logs search --file F --status failure`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use provctl::sim::{GenerateSpec, Sim, SimConfig, TenantSource, ThrottleConfig, TokenSpec, demo};

mod support;
use support::field;

const ROLES: &[&str] = &["ProvisioningLog.Read.All"];

const PYTHON: &str = "import json,sys\nn=0\nfor l in open(sys.argv[1]):\n    r=json.loads(l)\n    n+=(r.get('provisioningStatusInfo') or {}).get('status')=='failure'\nprint(n)";

/// Writes `records` generated records to `out` with the release `logs export`.
fn export(records: u64, out: &Path) {
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
            throttle: ThrottleConfig::off(),
            http_port: Some(0),
            ..SimConfig::default()
        }))
        .expect("emulator");
    let now = chrono::Utc::now();
    let since = (now - chrono::Duration::days(31)).to_rfc3339();
    let until = (now + chrono::Duration::minutes(5)).to_rfc3339();
    let token = sim.issue_token(TokenSpec::app(demo::CLIENT_ID, ROLES));
    let o = Command::new(env!("CARGO_BIN_EXE_provctl"))
        .arg("--graph-url")
        .arg(sim.http_base_url().expect("plain HTTP").as_str())
        .args([
            "logs",
            "export",
            "--no-pacing",
            "--since",
            &since,
            "--until",
            &until,
            "--page-size",
            "1000",
            "--out",
        ])
        .arg(out)
        .env("PROVCTL_ACCESS_TOKEN", token)
        .output()
        .expect("run provctl logs export");
    assert!(
        o.status.success(),
        "export failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    rt.block_on(sim.shutdown());
}

/// The source object id that occurs in the fewest records (first found among the least).
fn rare_object(file: &Path) -> (String, u64) {
    use std::collections::HashMap;
    use std::io::BufRead;
    let f = std::io::BufReader::new(std::fs::File::open(file).expect("export file"));
    let mut counts: HashMap<String, u64> = HashMap::new();
    for line in f.lines().take(200_000) {
        let line = line.expect("line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        if let Some(id) = v["sourceIdentity"]["id"].as_str() {
            *counts.entry(id.to_owned()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        .expect("an object")
}

struct Timed {
    wall: f64,
    /// User + system CPU seconds (median): steadier than wall time on a shared machine.
    cpu: f64,
    rss_mib: f64,
    stdout: String,
}

/// Runs a command `runs` times: the median wall time, the largest peak RSS, the last stdout.
fn time(program: &str, args: &[&str], runs: usize) -> Timed {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss: f64 = 0.0;
    let mut stdout = String::new();
    for _ in 0..runs {
        let started = Instant::now();
        let o = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(program)
            .args(args)
            .output()
            .expect("run under /usr/bin/time");
        walls.push(started.elapsed().as_secs_f64());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{program} {args:?} failed:\n{err}");
        cpus.push(
            field(&err, "User time (seconds)").unwrap_or(0.0)
                + field(&err, "System time (seconds)").unwrap_or(0.0),
        );
        rss = rss.max(field(&err, "Maximum resident set size (kbytes)").unwrap_or(0.0) / 1024.0);
        stdout = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Timed {
        wall: walls[walls.len() / 2],
        cpu: cpus[cpus.len() / 2],
        rss_mib: rss,
        stdout,
    }
}

fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_RECORDS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let provctl = env!("CARGO_BIN_EXE_provctl");
    for &n in &sizes {
        let file = dir.path().join(format!("export-{n}.ndjson"));
        export(n, &file);
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let (guid, occurs) = rare_object(&file);
        let f = file.to_str().expect("path");
        println!(
            "\n{n} records, {:.0} MB NDJSON from `logs export`; rare object {guid} ({occurs} source events in the first 200,000 lines); median of {runs} runs",
            bytes as f64 / 1e6
        );
        let python = time("python3", &["-c", PYTHON, f], runs);
        let grep = time("grep", &["-c", &guid, f], runs);
        let rows: Vec<(String, Timed, String)> = vec![
            (
                format!(
                    "python3 one-liner (json.loads per line, status == failure) → {}",
                    python.stdout
                ),
                python,
                String::new(),
            ),
            (
                format!("grep -c {guid} → {}", grep.stdout),
                grep,
                String::new(),
            ),
        ];
        let py = (rows[0].1.wall, rows[0].1.cpu);
        let gr = (rows[1].1.wall, rows[1].1.cpu);
        let mut rows = rows;
        for (label, args, base, name) in [
            (
                "logs search --file F --status failure --all -o none",
                vec![
                    "logs", "search", "--file", f, "--status", "failure", "--all", "-o", "none",
                ],
                py,
                "python",
            ),
            (
                "logs search --file F --status failure --all --oldest-first -o none",
                vec![
                    "logs",
                    "search",
                    "--file",
                    f,
                    "--status",
                    "failure",
                    "--all",
                    "--oldest-first",
                    "-o",
                    "none",
                ],
                py,
                "python",
            ),
            (
                "logs search --file F --status failure --all -o ndjson (printed, newest first)",
                vec![
                    "logs", "search", "--file", f, "--status", "failure", "--all", "-o", "ndjson",
                ],
                py,
                "python",
            ),
            (
                "logs search --file F --object-guid G --all -o none",
                vec![
                    "logs",
                    "search",
                    "--file",
                    f,
                    "--object-guid",
                    &guid,
                    "--all",
                    "-o",
                    "none",
                ],
                gr,
                "grep -c",
            ),
            (
                "explain --file F -o none",
                vec!["explain", "--file", f, "-o", "none"],
                py,
                "python",
            ),
        ] {
            let t = time(provctl, &args, runs);
            let ratio = format!("{:.2}× {name}", t.wall / base.0);
            let cpu_ratio = format!("{:.2}×", t.cpu / base.1);
            rows.push((
                format!("provctl {label}"),
                t,
                format!("{ratio} (CPU {cpu_ratio})"),
            ));
        }
        // Issue 17: the summary reads every record, yet is to be at least as fast as the search
        // for failures (which skips most records with a byte search) on the same file.
        let search = rows
            .iter()
            .find(|(label, _, _)| {
                label == "provctl logs search --file F --status failure --all -o none"
            })
            .map(|(_, t, _)| (t.wall, t.cpu))
            .expect("the search row");
        let t = time(
            provctl,
            &["logs", "summary", "--file", f, "-o", "none"],
            runs,
        );
        let against = format!(
            "{:.2}× search (CPU {:.2}×)",
            t.wall / search.0,
            t.cpu / search.1
        );
        rows.push(("provctl logs summary --file F -o none".into(), t, against));
        println!(
            "{:>9} {:>8} {:>12} {:>34}  command",
            "wall s", "CPU s", "peak RSS MiB", "wall (CPU) against"
        );
        for (label, t, ratio) in rows {
            println!(
                "{:>9.3} {:>8.3} {:>12.1} {:>34}  {label}",
                t.wall, t.cpu, t.rss_mib, ratio
            );
        }
        std::fs::remove_file(&file).ok();
    }
}
