//! By-hand benchmark of several tenants in one run: `provctl jobs check --all-profiles` against the
//! same check run tenant by tenant in a loop (`provctl jobs check --profile NAME`), on one emulator
//! serving 50 tenants of 100 service principals (each with a cloud sync job) with 50 ms of latency
//! on every Graph answer. Each tenant signs in with its own app registration and certificate.
//! Peak RSS of the `provctl` processes comes from GNU time (`/usr/bin/time -f %M`) when present.
//!
//! ```text
//! cargo bench --profile dev --bench tenants
//! TENANTS_BENCH_TENANTS=10 TENANTS_BENCH_SPS=20 TENANTS_BENCH_LATENCY_MS=20 cargo bench --profile dev --bench tenants
//! ```
//!
//! Results and the machine they were measured on: benches/README.md, "Several tenants".

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use provctl::graph::auth::certificate::testing::self_signed;
use provctl::sim::{FaultSpec, Sim, SimConfig, TenantSource};
use serde_json::{Value, json};

mod support;
use support::env_num;

/// A tenant of `sps` service principals, each with one active cloud sync job, signing in with
/// `cert_pem`.
fn tenant_doc(t: usize, sps: usize, client_id: &str, cert_pem: &str) -> Value {
    let tenant_id = format!("{t:08x}-2222-4333-8444-555555555555");
    let tenant32 = tenant_id.replace('-', "");
    let service_principals: Vec<Value> = (0..sps)
        .map(|s| {
            let id = format!("{t:04x}{s:04x}-8888-4777-8666-555555555501");
            json!({
                "id": id,
                "appId": format!("{t:04x}{s:04x}-8888-4777-8666-555555555502"),
                "displayName": format!("domain{s}.tenant{t}.local"),
                "applicationTemplateId": "1a4721b3-e57f-4451-ae87-ef078703ec94",
                "synchronization": {"secrets": [], "jobs": [{"job": {
                    "id": format!("AD2AADProvisioning.{tenant32}.{id}"),
                    "templateId": "AD2AADProvisioning",
                    "schedule": {"expiration": null, "interval": "PT40M", "state": "Active"},
                    "status": {"code": "Active", "countSuccessiveCompleteFailures": 0,
                               "escrowsPruned": false, "lastExecution": null,
                               "lastSuccessfulExecution": null,
                               "lastSuccessfulExecutionWithExports": null, "progress": [],
                               "quarantine": null, "steadyStateFirstAchievedTime": "$now-30d",
                               "steadyStateLastAchievedTime": "$now-40m",
                               "synchronizedEntryCountByType": [], "troubleshootingUrl": null},
                    "synchronizationJobSettings": []}}]}
            })
        })
        .collect();
    json!({
        "tenantId": tenant_id,
        "domains": [format!("tenant{t}.onmicrosoft.com")],
        "apps": [{"clientId": client_id, "displayName": "provctl monitoring",
                  "roles": ["Application.Read.All", "Synchronization.Read.All"],
                  "certificates": [cert_pem]}],
        "servicePrincipals": service_principals,
        "provisioningLogs": []
    })
}

/// Runs provctl (under GNU time when present); returns (wall time, peak RSS in KiB, stdout).
fn run(bin: &Path, args: &[String], envs: &[(String, String)]) -> (Duration, Option<u64>, String) {
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "provctl-peak-rss-kib %M"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args).env_clear().envs(envs.iter().cloned());
    let started = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("provctl-peak-rss-kib "))
        .and_then(|v| v.trim().parse().ok());
    assert!(
        out.status.success(),
        "provctl {args:?} failed ({:?}):\n{stderr}",
        out.status
    );
    (wall, rss, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn vm_hwm_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tenants = env_num("TENANTS_BENCH_TENANTS", 50) as usize;
    let sps = env_num("TENANTS_BENCH_SPS", 100) as usize;
    let latency = Duration::from_millis(env_num("TENANTS_BENCH_LATENCY_MS", 50));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_provctl"));
    let dir = tempfile::tempdir()?;

    let mut sources = Vec::new();
    let mut config = String::new();
    let mut names = Vec::new();
    for t in 1..=tenants {
        let name = format!("tenant{t:02}");
        let client_id = format!("{t:08x}-bbbb-4ccc-8ddd-eeeeeeeeeeee");
        let (cert, key) = self_signed(&name)?;
        let cert_path = dir.path().join(format!("{name}.pem"));
        std::fs::write(&cert_path, format!("{cert}{key}"))?;
        let tenant_path = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &tenant_path,
            tenant_doc(t, sps, &client_id, &cert).to_string(),
        )?;
        sources.push(TenantSource::File(tenant_path));
        config.push_str(&format!(
            "[profiles.{name}]\ntenant = \"{t:08x}-2222-4333-8444-555555555555\"\nauth = \"certificate\"\nclient-id = \"{client_id}\"\ncertificate-path = '{}'\n\n",
            cert_path.display()
        ));
        names.push(name);
    }
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(config_dir.join("config.toml"), config)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut sources = sources.into_iter();
    let first = sources.next().ok_or("no tenants")?;
    let sim = rt.block_on(Sim::start(SimConfig {
        tenant: first,
        extra_tenants: sources.collect(),
        faults: FaultSpec {
            latency,
            ..FaultSpec::default()
        },
        ..SimConfig::default()
    }))?;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem())?;
    let base = sim.base_url().to_string();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let envs: Vec<(String, String)> = vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.display().to_string()),
        (
            "XDG_CACHE_HOME".into(),
            home.join("cache").display().to_string(),
        ),
        (
            "PROVCTL_CONFIG_DIR".into(),
            config_dir.display().to_string(),
        ),
        ("NO_COLOR".into(), "1".into()),
    ];
    let common = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--graph-url".into(),
            base.clone(),
            "--login-url".into(),
            base.clone(),
            "--ca-file".into(),
            ca.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    println!(
        "{tenants} tenants x {sps} service principals (one job each), {} ms latency per Graph answer; binary {}",
        latency.as_millis(),
        bin.display()
    );

    let (together, together_rss, out) =
        run(&bin, &common(&["jobs", "check", "--all-profiles"]), &envs);
    let want = format!(
        "OK: {} job(s) in {tenants} tenant(s), all healthy",
        tenants * sps
    );
    assert_eq!(out.trim(), want, "unexpected result of --all-profiles");
    println!(
        "jobs check --all-profiles:     {:>8.2?}  peak RSS {}",
        together,
        together_rss
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "n/a (no /usr/bin/time)".into())
    );

    let started = Instant::now();
    let mut loop_rss = 0u64;
    for name in &names {
        let (_, rss, out) = run(&bin, &common(&["jobs", "check", "--profile", name]), &envs);
        assert_eq!(out.trim(), format!("OK: {sps} job(s), all healthy"));
        loop_rss = loop_rss.max(rss.unwrap_or(0));
    }
    let looped = started.elapsed();
    println!(
        "jobs check --profile, looped:  {:>8.2?}  peak RSS {:.1} MiB (largest single run)",
        looped,
        loop_rss as f64 / 1024.0
    );
    println!(
        "speed-up: {:.1}x (target >= 10x); emulator (this process) VmHWM {} MiB",
        looped.as_secs_f64() / together.as_secs_f64(),
        vm_hwm_kib()
            .map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "n/a".into())
    );
    Ok(())
}
