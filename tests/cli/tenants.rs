//! `--profiles` and `--all-profiles`: one emulator serving several tenants, each profile signing in
//! to its own tenant with its own certificate; combined output with the tenant named, and a
//! tenant that fails reported by name with exit 8 while the others' results are shown.

use serde_json::Value;

use crate::common::Env;

#[test]
fn jobs_list_across_profiles_names_each_tenant_and_one_failing_sign_in_exits_8() {
    let (env, tenants) = Env::tenants(&["alpha", "beta"], Some("broken"));
    let (code, out, err) = env.run(&[
        "jobs",
        "list",
        "--profiles",
        "alpha,beta,broken",
        "-o",
        "json",
    ]);
    assert_eq!(code, 8, "{err}\n{out}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let items = doc.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{doc:#}");
    for item in &items {
        let tenant = item["tenant"].as_str().unwrap_or("");
        // Each tenant's job came from its own tenant's data.
        assert_eq!(
            item["servicePrincipal"]["displayName"].as_str(),
            Some(format!("{tenant}.local").as_str()),
            "{item:#}"
        );
    }
    assert!(err.contains("tenant broken:"), "{err}");
    assert!(err.contains("1 of 3 tenants failed: broken"), "{err}");
    for t in &tenants {
        let paths: Vec<String> = env
            .sim
            .tenant_requests(&t.tenant_id)
            .into_iter()
            .map(|r| r.path)
            .collect();
        assert!(
            paths.iter().any(|p| p.ends_with("/oauth2/v2.0/token")),
            "{} never signed in: {paths:?}",
            t.profile
        );
        assert!(
            paths.iter().any(|p| p.ends_with("$batch")),
            "{}: {paths:?}",
            t.profile
        );
    }
}

#[test]
fn jobs_list_for_all_profiles_adds_a_tenant_column() {
    let (env, _) = Env::tenants(&["alpha", "beta"], None);
    let (code, out, err) = env.run(&["jobs", "list", "--all-profiles"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let header = lines.next().unwrap_or("");
    assert!(header.trim_start().starts_with("TENANT"), "{out}");
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.trim_start().starts_with("alpha") && r.contains("alpha.local")),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r.trim_start().starts_with("beta") && r.contains("beta.local")),
        "{out}"
    );
}

#[test]
fn check_quarantine_metrics_and_agents_cover_every_profile() {
    let (env, _) = Env::tenants(&["alpha", "beta"], None);
    let (code, out, err) = env.run(&["jobs", "check", "--all-profiles"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "OK: 2 job(s) in 2 tenant(s), all healthy\n");

    let (code, out, err) = env.run(&[
        "quarantine",
        "list",
        "--profiles",
        "alpha,beta",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "[]");

    let (code, out, err) = env.run(&["metrics", "--all-profiles", "--no-agents"]);
    assert_eq!(code, 0, "{err}");
    for tenant in ["alpha", "beta"] {
        let line = format!("provctl_jobs{{tenant=\"{tenant}\"}} 1");
        assert!(out.lines().any(|l| l == line), "no `{line}` in:\n{out}");
    }

    // The agent APIs refuse app-only tokens: each tenant fails on its own, and both are named.
    let (code, _, err) = env.run(&["agents", "check", "--all-profiles"]);
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("2 of 2 tenants failed: alpha, beta"), "{err}");
}

#[test]
fn profiles_refuse_single_tenant_flags_and_unknown_names() {
    let (env, _) = Env::tenants(&["alpha"], None);
    let (code, _, err) = env.run(&["jobs", "list", "--profiles", "alpha", "--tenant", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--tenant cannot be combined with --profiles"),
        "{err}"
    );
    let (code, _, err) = env.run(&["jobs", "list", "--profiles", "alpha,nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'nope'") && err.contains("alpha"), "{err}");
}
