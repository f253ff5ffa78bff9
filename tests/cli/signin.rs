//! Sign-in as a user meets it: `--sim` alone signs in as the demo admin, so every command works;
//! `--sim-as app` keeps the app-only sign-in; half an application sign-in names the missing
//! variable; an unreachable identity provider is a network failure (exit 6) naming the host and
//! the cause. `provctl login` asks for the permissions of the named command families, and a
//! permission nobody consented is Entra's AADSTS65001, explained; in Cloud Shell (`MSI_ENDPOINT`
//! without `MSI_SECRET`) az signs in, not the endpoint; `--auth azure-cli` asks az for the
//! selected cloud's Graph and refuses when az is signed in to another cloud.

use crate::common::{Env, outcome};

#[test]
fn sim_alone_signs_in_as_the_demo_admin_and_sim_as_app_stays_app_only() {
    let env = Env::fixed();
    for args in [
        &["--sim", "agents", "list"][..],
        &["--sim", "agents", "check"],
        &["--sim", "tenant", "deletion-prevention", "show"],
    ] {
        let (code, out, err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?}");
    }
    let (code, _, err) = env.run(&["--sim", "--sim-as", "APP", "agents", "list"]);
    assert_eq!(
        code, 4,
        "app-only tokens are refused by the agent APIs: {err}"
    );
}

#[test]
fn half_an_application_sign_in_names_the_missing_secret() {
    let env = Env::fixed();
    let out = env
        .cmd(&["jobs", "list"])
        .env_remove("PROVCTL_ACCESS_TOKEN")
        .env("AZURE_TENANT_ID", "contoso.onmicrosoft.com")
        .env("AZURE_CLIENT_ID", "5b7e2f3a-1c4d-4e8f-9a0b-6c2d8e1f3a57")
        .env("PATH", "/nonexistent")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("but AZURE_CLIENT_SECRET is not"), "{err}");
}

#[test]
fn an_unreachable_identity_provider_exits_6_naming_the_host_and_the_cause() {
    let env = Env::fixed();
    // Nothing listens on the discard port of loopback: the connection is refused at once.
    let out = env
        .cmd(&["jobs", "list"])
        .env_remove("PROVCTL_ACCESS_TOKEN")
        .env("PROVCTL_LOGIN_URL", "https://127.0.0.1:9")
        .env("AZURE_TENANT_ID", "contoso.onmicrosoft.com")
        .env("AZURE_CLIENT_ID", "5b7e2f3a-1c4d-4e8f-9a0b-6c2d8e1f3a57")
        .env("AZURE_CLIENT_SECRET", "not-a-secret")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("127.0.0.1:9") && err.contains("connect"),
        "{err}"
    );
}

/// `provctl --login-url <emulator> --tenant <its id> ARGS`, signed in by whatever the cache holds
/// (no ready token).
fn user_cmd(env: &Env, args: &[&str]) -> (i32, String, String) {
    let base = env.sim.base_url().to_string();
    let tenant = env.sim.tenant_id().to_owned();
    let mut all = vec!["--login-url", base.as_str(), "--tenant", tenant.as_str()];
    all.extend_from_slice(args);
    let mut cmd = env.cmd(&all);
    cmd.env_remove("PROVCTL_ACCESS_TOKEN");
    outcome(cmd)
}

#[test]
fn login_asks_for_the_named_families_and_a_permission_nobody_consented_is_explained() {
    // Nobody consented the provisioning-log permission in this tenant.
    let env = Env::fixed_with(|t| {
        if let Some(scopes) = t["users"][0]["scopes"].as_array_mut() {
            scopes.retain(|s| s != "ProvisioningLog.Read.All");
        }
    });
    let (code, _, err) = user_cmd(&env, &["login", "--scopes", "jobz"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'jobz'") && err.contains("all, default, jobs"),
        "{err}"
    );

    // Every family (the default) includes the refused permission: Entra's AADSTS65001, explained.
    let (code, _, err) = user_cmd(&env, &["login"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("AADSTS65001"), "{err}");
    assert!(err.contains("admin consent"), "{err}");
    assert!(err.contains("provctl login --scopes"), "{err}");

    // Only jobs and tenant settings: granted, and the jobs commands run on the cached sign-in.
    let (code, out, err) = user_cmd(&env, &["login", "--scopes", "jobs,tenant", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("devicelogin"),
        "the prompt goes to stderr: {err}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let granted: Vec<&str> = doc["scopes"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    assert!(
        granted.contains(&"Synchronization.ReadWrite.All"),
        "{granted:?}"
    );
    assert!(
        !granted.contains(&"ProvisioningLog.Read.All"),
        "{granted:?}"
    );
    let (code, out, err) = user_cmd(&env, &["jobs", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Salesforce"), "{out}");
    // The quarantine commands only enrich their answer with provisioning logs: the missing
    // consent does not stop them.
    let (code, _, err) = user_cmd(&env, &["quarantine", "list"]);
    assert_eq!(code, 0, "{err}");

    // The logs family needs one more permission: the cached token is not reused for it; renewing
    // for it is refused, and said so.
    let (code, _, err) = user_cmd(&env, &["logs", "search", "--all"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("AADSTS65001") && err.contains("ProvisioningLog.Read.All"),
        "{err}"
    );
}

#[cfg(unix)]
fn fake_az(dir: &std::path::Path, cloud: &str, token: &str) {
    use std::os::unix::fs::PermissionsExt;
    let calls = dir.join("calls");
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in\n  *'cloud show'*) echo {cloud} ;;\n  *) echo '{{\"accessToken\":\"{token}\",\"expires_on\":4102444800,\"tokenType\":\"Bearer\"}}' ;;\nesac\n",
        calls.display()
    );
    let path = dir.join("az");
    std::fs::write(&path, script).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[cfg(unix)]
fn with_az_on_path(
    env: &Env,
    dir: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (i32, String, String) {
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = env.cmd(args);
    cmd.env_remove("PROVCTL_ACCESS_TOKEN").env("PATH", path);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    outcome(cmd)
}

#[cfg(unix)]
#[test]
fn in_cloud_shell_the_msi_endpoint_is_left_alone_and_az_signs_in() {
    let env = Env::fixed();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token = env.sim.user_token().unwrap_or_else(|| panic!("no user"));
    fake_az(dir.path(), "AzureCloud", &token);
    // What Cloud Shell sets: MSI_ENDPOINT (the emulator serves its endpoint) and no MSI_SECRET.
    let msi_endpoint = format!("{}oauth2/token", env.sim.base_url());
    env.clear();
    let (code, out, err) = with_az_on_path(
        &env,
        dir.path(),
        &["-o", "json", "whoami"],
        &[("MSI_ENDPOINT", &msi_endpoint), ("ACC_CLOUD", "PROD")],
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(doc["method"], "azure-cli");
    assert_eq!(doc["identity"], "admin@contoso.com");
    assert!(
        !env.requests().iter().any(|r| r.path == "/oauth2/token"),
        "the Cloud Shell endpoint was not asked"
    );
    assert!(
        !out.contains(&token) && !err.contains(&token),
        "the token is never printed"
    );
}

#[cfg(unix)]
#[test]
fn azure_cli_asks_for_the_clouds_graph_and_refuses_when_az_is_on_another_cloud() {
    let env = Env::fixed();
    let token = env.sim.user_token().unwrap_or_else(|| panic!("no user"));

    let gov = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    fake_az(gov.path(), "AzureUSGovernment", &token);
    let (code, _, err) = with_az_on_path(
        &env,
        gov.path(),
        &["--cloud", "usgov", "--auth", "azure-cli", "whoami"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let calls = std::fs::read_to_string(gov.path().join("calls")).unwrap_or_default();
    assert!(
        calls.contains("--scope https://graph.microsoft.us/.default"),
        "{calls}"
    );

    let public = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    fake_az(public.path(), "AzureCloud", &token);
    let (code, _, err) = with_az_on_path(
        &env,
        public.path(),
        &["--cloud", "usgov", "--auth", "azure-cli", "whoami"],
        &[],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("usgov") && err.contains("AzureUSGovernment") && err.contains("AzureCloud"),
        "{err}"
    );
    let calls = std::fs::read_to_string(public.path().join("calls")).unwrap_or_default();
    assert!(
        !calls.contains("get-access-token"),
        "no token asked: {calls}"
    );
}

#[test]
fn a_claims_challenge_to_an_app_only_sign_in_is_explained() {
    let env = Env::fixed();
    // Conditional Access wants authentication context c1, which only a user can satisfy.
    env.sim.set_faults(provctl::sim::FaultSpec {
        claims_challenge: Some("c1".into()),
        ..provctl::sim::FaultSpec::default()
    });
    let (code, _, err) = env.run(&["jobs", "list"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("Conditional Access claims challenge") && err.contains("provctl login"),
        "{err}"
    );
    assert!(err.contains("workload identity"), "{err}");
}
