//! What every CLI test needs: an emulator running in this process (on its own runtime, so it keeps
//! serving while the test blocks on the binary), its CA written to a file, an app token for the
//! demo app, a temporary HOME, and the environment that pins "now", the table width and colour.

#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use provctl::sim::{RequestRecord, Sim, SimConfig, SimHandle, TenantSource, TokenSpec, demo};
use serde_json::Value;

/// Application permissions of the token the tests use.
pub const ROLES: &[&str] = &[
    "Application.Read.All",
    "Synchronization.ReadWrite.All",
    "ProvisioningLog.Read.All",
    "AuditLog.Read.All",
];

/// The instant fixed-time tenants are built around (and `PROVCTL_NOW` for them).
pub const FIXED_NOW: &str = "2026-11-25T12:00:00Z";

/// A running emulator plus the files and settings the binary is run with.
pub struct Env {
    /// The emulator.
    pub sim: SimHandle,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    ca: PathBuf,
    token: String,
    now: String,
    tenant_dir: Option<tempfile::TempDir>,
}

impl Env {
    /// The demo tenant, times relative to the real clock; `PROVCTL_NOW` = when it was loaded.
    pub fn demo() -> Env {
        let now = Utc::now();
        Env::start(SimConfig::for_tests(), now)
    }

    /// The demo tenant's documents with every `$now…` time resolved against [`FIXED_NOW`], so
    /// tables are the same on every run (for snapshots).
    pub fn fixed() -> Env {
        Env::fixed_with(|_| {})
    }

    /// [`Env::fixed`] with the tenant document changed by `edit` first (extra service
    /// principals, secrets, ...).
    pub fn fixed_with(edit: impl FnOnce(&mut Value)) -> Env {
        let now: DateTime<Utc> = FIXED_NOW.parse().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut doc: Value = serde_json::from_str(include_str!("../../src/sim/demo-tenant.json"))
            .unwrap_or_else(|e| panic!("demo tenant: {e}"));
        edit(&mut doc);
        resolve_times(&mut doc, now);
        let path = dir.path().join("tenant.json");
        std::fs::write(&path, doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let cfg = SimConfig {
            tenant: TenantSource::File(path),
            ..SimConfig::for_tests()
        };
        let mut env = Env::start(cfg, now);
        env.tenant_dir = Some(dir);
        env
    }

    /// An emulator with this configuration; `now` pins `PROVCTL_NOW`.
    pub fn start(cfg: SimConfig, now: DateTime<Utc>) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        let sim = rt
            .block_on(Sim::start(cfg))
            .unwrap_or_else(|e| panic!("emulator: {e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, sim.ca_pem()).unwrap_or_else(|e| panic!("{e}"));
        let token = sim.issue_token(TokenSpec::app(demo::CLIENT_ID, ROLES));
        Env {
            sim,
            rt,
            dir,
            ca,
            token,
            now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            tenant_dir: None,
        }
    }

    /// Signs the commands in with an app token carrying only these application permissions.
    pub fn use_roles(&mut self, roles: &[&str]) {
        self.token = self.sim.issue_token(TokenSpec::app(demo::CLIENT_ID, roles));
    }

    /// `provctl --graph-url <emulator> --ca-file <pem> ARGS` with a token, pinned time and width,
    /// no colour, a temporary HOME, and stdin that is not a terminal.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("provctl").unwrap_or_else(|e| panic!("{e}"));
        let home = self.dir.path();
        c.arg("--graph-url")
            .arg(self.sim.base_url().as_str())
            .arg("--ca-file")
            .arg(&self.ca)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("PROVCTL_ACCESS_TOKEN", &self.token)
            .env("PROVCTL_NOW", &self.now)
            .env("PROVCTL_TERM_WIDTH", "150")
            .env("NO_COLOR", "1")
            .write_stdin("");
        c
    }

    /// The same emulator, with the binary given a token carrying these application permissions.
    pub fn with_roles(mut self, roles: &[&str]) -> Env {
        self.token = self.sim.issue_token(TokenSpec::app(demo::CLIENT_ID, roles));
        self
    }

    /// Runs the binary; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self
            .cmd(args)
            .output()
            .unwrap_or_else(|e| panic!("running provctl: {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs the binary with the table fitted to `width` columns, signed in as the demo admin
    /// (delegated, every permission: the agent APIs refuse app-only tokens).
    pub fn run_at_width(&self, width: u16, args: &[&str]) -> (i32, String, String) {
        let token = self
            .sim
            .user_token()
            .unwrap_or_else(|| panic!("the tenant has no user"));
        let out = self
            .cmd(args)
            .env("PROVCTL_TERM_WIDTH", width.to_string())
            .env("PROVCTL_ACCESS_TOKEN", token)
            .output()
            .unwrap_or_else(|e| panic!("running provctl: {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs the binary and parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "provctl {args:?} failed:\n{err}\n{out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }

    /// The job document as the emulator holds it now.
    pub fn job(&self, sp: &str, job: &str) -> Value {
        self.sim
            .job(sp, job)
            .unwrap_or_else(|| panic!("no job {sp}/{job}"))
    }

    /// Every request the emulator received (top-level and `$batch` items).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.sim.requests()
    }

    /// Only the requests that went over the wire (not the items inside a `$batch`).
    pub fn wire_requests(&self) -> Vec<RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| {
                r.headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
            })
            .collect()
    }

    /// The POSTs received (job actions).
    pub fn posts(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && !r.path.ends_with("$batch"))
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.sim.clear_requests();
    }

    /// Runs a future on the emulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// `sp/job` for the CLI.
pub fn sp_job(sp: &str, job: &str) -> String {
    format!("{sp}/{job}")
}

/// Replaces `$now`, `$now-3d`, `$now+2h`, `$now-90m`, `$now-15s` strings by absolute times.
pub fn resolve_times(v: &mut Value, now: DateTime<Utc>) {
    match v {
        Value::String(s) if s.starts_with("$now") => {
            let rest = &s[4..];
            let t = if rest.is_empty() {
                now
            } else {
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                let body = &rest[1..];
                let (n, unit) = body.split_at(body.len() - 1);
                let n: i64 = n
                    .parse()
                    .unwrap_or_else(|_| panic!("bad relative time {s}"));
                let d = match unit {
                    "d" => Duration::days(n),
                    "h" => Duration::hours(n),
                    "m" => Duration::minutes(n),
                    "s" => Duration::seconds(n),
                    _ => panic!("bad unit in {s}"),
                };
                now + d * sign
            };
            *s = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve_times(x, now)),
        Value::Object(o) => o.values_mut().for_each(|x| resolve_times(x, now)),
        _ => {}
    }
}

/// Polls `check` on the job until it holds (or panics after 5 s).
pub fn eventually(env: &Env, sp: &str, job: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let doc = env.job(sp, job);
        if check(&doc) {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "timed out waiting for {what}: {doc:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
