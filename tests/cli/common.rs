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
    /// More variables for the binary (e.g. `PROVCTL_CONFIG_DIR` of a multi-tenant setup).
    extra_env: Vec<(String, String)>,
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
            extra_env: Vec::new(),
        }
    }

    /// An emulator with this configuration, `PROVCTL_NOW` = when it started.
    pub fn with(cfg: SimConfig) -> Env {
        Env::start(cfg, Utc::now())
    }

    /// An app-only token of the tenant's app registration carrying these application
    /// permissions.
    pub fn app_token(&self, roles: &[&str]) -> String {
        self.sim
            .issue_token(TokenSpec::app(&self.sim.demo_app().client_id, roles))
    }

    /// A delegated token of the admin `admin@contoso.com` carrying these scopes.
    pub fn delegated_token(&self, scopes: &[&str]) -> String {
        self.sim.issue_token(TokenSpec::delegated(
            &self.sim.demo_app().client_id,
            "admin@contoso.com",
            scopes,
        ))
    }

    /// The flags that point the binary at the emulator.
    pub fn base_args(&self) -> Vec<String> {
        vec![
            "--graph-url".into(),
            self.sim.base_url().to_string(),
            "--ca-file".into(),
            self.ca.display().to_string(),
        ]
    }

    /// The whole environment the binary runs with: a token, pinned time and width, no colour, a
    /// temporary HOME.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        let home = self.dir.path();
        let mut vars = vec![
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".to_owned(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".to_owned(),
                home.join("config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".to_owned(),
                home.join("cache").display().to_string(),
            ),
            ("PROVCTL_ACCESS_TOKEN".to_owned(), self.token.clone()),
            ("PROVCTL_NOW".to_owned(), self.now.clone()),
            ("PROVCTL_TERM_WIDTH".to_owned(), "150".to_owned()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
        ];
        vars.extend(self.extra_env.iter().cloned());
        vars
    }

    /// Adds a variable for every later run of the binary.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.extra_env.push((name.to_owned(), value.to_owned()));
    }

    /// Signs the commands in with an app token carrying only these application permissions.
    pub fn use_roles(&mut self, roles: &[&str]) {
        self.token = self.sim.issue_token(TokenSpec::app(demo::CLIENT_ID, roles));
    }

    /// `provctl --graph-url <emulator> --ca-file <pem> ARGS` with a token, pinned time and width,
    /// no colour, a temporary HOME, and stdin that is not a terminal.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("provctl").unwrap_or_else(|e| panic!("{e}"));
        c.args(self.base_args())
            .args(args)
            .env_clear()
            .envs(self.env_vars())
            .write_stdin("");
        c
    }

    /// [`Env::cmd`] signed in with `token` instead; the caller adds the arguments.
    pub fn cmd_as(&self, token: &str) -> assert_cmd::Command {
        let mut c = self.cmd(&[]);
        c.env("PROVCTL_ACCESS_TOKEN", token);
        c
    }

    /// [`Env::cmd`] with no token: the binary signs in by itself at the emulator's login
    /// endpoints (`--login-url`), keeping its settings in `config/` and its sign-ins in
    /// `cache/` of HOME ([`Env::dir`]). Token lifetimes are real: "now" is not pinned.
    pub fn signed_out(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.cmd(&["--login-url", self.sim.base_url().as_str()]);
        c.args(args)
            .env_remove("PROVCTL_ACCESS_TOKEN")
            .env_remove("PROVCTL_NOW")
            .env("PROVCTL_CONFIG_DIR", self.dir().join("config"))
            .env("PROVCTL_CACHE_DIR", self.dir().join("cache"));
        c
    }

    /// The same emulator, with the binary given a token carrying these application permissions.
    pub fn with_roles(mut self, roles: &[&str]) -> Env {
        self.use_roles(roles);
        self
    }

    /// Like [`Env::cmd`], as a `std::process::Command` for a long-running binary (exporter,
    /// watch) that a test spawns, reads while it runs, and kills.
    pub fn spawn_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_provctl"));
        c.args(self.base_args())
            .args(args)
            .env_clear()
            .envs(self.env_vars())
            .stdin(std::process::Stdio::null());
        c
    }

    /// The temporary directory the binary runs in (HOME).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Runs the binary; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        outcome(self.cmd(args))
    }

    /// [`Env::run`] signed in with `token`.
    pub fn run_as(&self, token: &str, args: &[&str]) -> (i32, String, String) {
        let mut c = self.cmd_as(token);
        c.args(args);
        outcome(c)
    }

    /// Runs a job command with `--wait`, polling every 30 ms for at most 20 s.
    pub fn run_waiting(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = args.to_vec();
        all.extend(["--wait", "--timeout", "20s", "--poll-interval", "30ms"]);
        self.run(&all)
    }

    /// Runs the binary with the table fitted to `width` columns, signed in as the demo admin
    /// (delegated, every permission: the agent APIs refuse app-only tokens).
    pub fn run_at_width(&self, width: u16, args: &[&str]) -> (i32, String, String) {
        let token = self
            .sim
            .user_token()
            .unwrap_or_else(|| panic!("the tenant has no user"));
        let mut c = self.cmd_as(&token);
        c.args(args).env("PROVCTL_TERM_WIDTH", width.to_string());
        outcome(c)
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

    /// Every provisioning record the emulator holds that matches `filter`, read straight from
    /// its plain-HTTP API (every page), to compare the binary's answers with.
    pub fn sim_records(&self, filter: Option<&str>) -> Vec<Value> {
        let base = self
            .sim
            .http_base_url()
            .unwrap_or_else(|| panic!("the emulator serves plain HTTP"))
            .clone();
        let mut url = base
            .join("v1.0/auditLogs/provisioning")
            .unwrap_or_else(|e| panic!("{e}"));
        {
            let mut q = url.query_pairs_mut();
            if let Some(f) = filter {
                q.append_pair("$filter", f);
            }
            q.append_pair("$top", "1000");
        }
        self.block_on(async {
            let http = reqwest::Client::new();
            let mut out = Vec::new();
            let mut next = Some(url.to_string());
            while let Some(u) = next {
                // The emulator's nextLinks point at the https origin; ask the plain-http one.
                let u = u.replace(self.sim.base_url().as_str(), base.as_str());
                let page: Value = http
                    .get(&u)
                    .bearer_auth(&self.token)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{u}: {e}"))
                    .json()
                    .await
                    .unwrap_or_else(|e| panic!("{u}: {e}"));
                out.extend(page["value"].as_array().cloned().unwrap_or_default());
                next = page["@odata.nextLink"].as_str().map(str::to_owned);
            }
            out
        })
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.sim.clear_requests();
    }

    /// Starts `provctl ARGS` on a pseudo-terminal `cols` wide (so it sees a terminal and sizes to
    /// it): the child, what it writes to the terminal, and the keyboard.
    pub fn in_terminal(
        &self,
        cols: u16,
        args: &[&str],
    ) -> (
        Box<dyn portable_pty::Child + Send + Sync>,
        Box<dyn std::io::Read + Send>,
        Box<dyn std::io::Write + Send>,
    ) {
        use portable_pty::{CommandBuilder, PtySize, native_pty_system};
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("no pseudo-terminal: {e}"));
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_provctl"));
        cmd.args(self.base_args());
        cmd.args(args);
        cmd.env_clear();
        // The terminal's own width, not the pinned one of the pipes.
        for (k, v) in self.env_vars() {
            if k != "PROVCTL_TERM_WIDTH" {
                cmd.env(k, v);
            }
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(pair.slave);
        let reader = pair
            .master
            .try_clone_reader()
            .unwrap_or_else(|e| panic!("{e}"));
        let writer = pair.master.take_writer().unwrap_or_else(|e| panic!("{e}"));
        (child, reader, writer)
    }

    /// Runs a future on the emulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// One tenant of [`Env::tenants`]: its profile name and tenant id.
#[derive(Debug, Clone)]
pub struct TestTenant {
    /// The profile that signs in to it.
    pub profile: String,
    /// Its tenant id.
    pub tenant_id: String,
}

impl Env {
    /// One emulator serving `names.len()` tenants made from `tests/fixtures/sim-tenant-minimal.json`
    /// (one cloud sync job each), each with its own app registration signing in with its own
    /// certificate, and a config file with one profile per tenant (`auth = "certificate"`).
    /// `broken`, when given, is one more profile for the last tenant whose certificate that tenant
    /// does not know, so its sign-in fails.
    pub fn tenants(names: &[&str], broken: Option<&str>) -> (Env, Vec<TestTenant>) {
        use provctl::graph::auth::certificate::testing::self_signed;
        let now = Utc::now();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let template: Value =
            serde_json::from_str(include_str!("../fixtures/sim-tenant-minimal.json"))
                .unwrap_or_else(|e| panic!("minimal tenant: {e}"));
        let mut sources = Vec::new();
        let mut tenants = Vec::new();
        let mut config = String::new();
        let cert_file = |name: &str, cn: &str| {
            let (cert, key) = self_signed(cn).unwrap_or_else(|e| panic!("certificate: {e}"));
            let path = dir.path().join(format!("{name}.pem"));
            std::fs::write(&path, format!("{cert}{key}")).unwrap_or_else(|e| panic!("{e}"));
            (cert, path)
        };
        for (i, name) in names.iter().enumerate() {
            let tenant_id = format!("{:08x}-2222-4333-8444-555555555555", i + 1);
            let client_id = format!("{:08x}-bbbb-4ccc-8ddd-eeeeeeeeeeee", i + 1);
            let (cert, cert_path) = cert_file(name, &format!("provctl test {name}"));
            let mut doc = template.clone();
            doc["tenantId"] = Value::from(tenant_id.clone());
            doc["domains"] = serde_json::json!([format!("{name}.onmicrosoft.com")]);
            doc["apps"][0]["clientId"] = Value::from(client_id.clone());
            doc["apps"][0]["certificates"] = serde_json::json!([cert]);
            if let Some(o) = doc["apps"][0].as_object_mut() {
                o.remove("clientSecret");
            }
            doc["servicePrincipals"][0]["displayName"] = Value::from(format!("{name}.local"));
            let path = dir.path().join(format!("{name}.json"));
            std::fs::write(&path, doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
            sources.push(TenantSource::File(path));
            config.push_str(&format!(
                "[profiles.{name}]\ntenant = \"{tenant_id}\"\nauth = \"certificate\"\nclient-id = \"{client_id}\"\ncertificate-path = '{}'\n\n",
                cert_path.display()
            ));
            tenants.push(TestTenant {
                profile: (*name).to_owned(),
                tenant_id,
            });
        }
        if let (Some(bad), Some(last)) = (broken, names.len().checked_sub(1)) {
            let (_, cert_path) = cert_file(bad, "provctl unknown certificate");
            config.push_str(&format!(
                "[profiles.{bad}]\ntenant = \"{:08x}-2222-4333-8444-555555555555\"\nauth = \"certificate\"\nclient-id = \"{:08x}-bbbb-4ccc-8ddd-eeeeeeeeeeee\"\ncertificate-path = '{}'\n\n",
                last + 1,
                last + 1,
                cert_path.display()
            ));
        }
        let config_dir = dir.path().join("provctl-config");
        std::fs::create_dir_all(&config_dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(config_dir.join("config.toml"), config).unwrap_or_else(|e| panic!("{e}"));
        let mut sources = sources.into_iter();
        let first = sources
            .next()
            .unwrap_or_else(|| panic!("at least one tenant"));
        let cfg = SimConfig {
            tenant: first,
            extra_tenants: sources.collect(),
            ..SimConfig::for_tests()
        };
        let mut env = Env::start(cfg, now);
        env.set_env("PROVCTL_CONFIG_DIR", &config_dir.display().to_string());
        let login = env.sim.base_url().to_string();
        env.set_env("PROVCTL_LOGIN_URL", &login);
        env.tenant_dir = Some(dir);
        (env, tenants)
    }
}

/// Runs a command; returns (exit code, stdout, stderr).
pub fn outcome(mut c: assert_cmd::Command) -> (i32, String, String) {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("running provctl: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The binary alone, no emulator, in a clean environment without colour: for `--help` and flag
/// checks that fail before any network use.
pub fn offline(args: &[&str]) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("provctl").unwrap_or_else(|e| panic!("{e}"));
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .write_stdin("");
    c
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
