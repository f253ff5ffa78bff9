//! The sign-in commands through the binary, against the emulator started in the test process and
//! reached like any tenant (`--graph-url`, `--login-url`, `--ca-file`): device-code login, whoami,
//! logout, managed identity, profiles, an auth failure's exit code — and that no secret or token
//! ever shows up in stdout, stderr, `--verbose` traces or the cache file.

use std::path::Path;

use assert_cmd::Command;
use provctl::sim::TokenSpec;

use crate::common::{Env, outcome};

/// The binary signed out (it signs in by itself), with no other program on PATH; `extra` adds
/// variables.
fn cmd(e: &Env, args: &[&str], extra: &[(&str, &str)]) -> Command {
    let mut c = e.signed_out(args);
    c.env("PATH", "/nonexistent");
    for (k, v) in extra {
        c.env(k, v);
    }
    c
}

fn read_all(dir: &Path) -> String {
    let mut s = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            s.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    s
}

#[test]
fn login_whoami_logout_with_a_device_code() {
    let e = Env::demo();
    let tenant = e.sim.tenant_id().to_owned();
    let (code, out, err) = outcome(cmd(&e, &["--tenant", &tenant, "login"], &[]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("microsoft.com/devicelogin"),
        "prompt on stderr: {err}"
    );
    assert!(!out.contains("devicelogin"), "never on stdout: {out}");
    assert!(out.contains("Signed in as admin@contoso.com"), "{out}");

    // The cached login is picked automatically, and whoami shows a delegated identity.
    let (code, out, err) = outcome(cmd(&e, &["--tenant", &tenant, "-o", "json", "whoami"], &[]));
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["method"], "device-code");
    assert_eq!(doc["kind"], "delegated");
    assert_eq!(doc["identity"], "admin@contoso.com");
    assert!(doc["scopes"].as_array().is_some_and(|s| !s.is_empty()));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let f = e.dir().join("cache").join("tokens.json");
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let (_, out, _) = outcome(cmd(&e, &["--tenant", &tenant, "logout"], &[]));
    assert!(out.contains("Removed 1 cached sign-in"), "{out}");
    let (code, _, err) = outcome(cmd(&e, &["--tenant", &tenant, "whoami"], &[]));
    assert_eq!(code, 3, "not signed in is an auth error");
    assert!(err.contains("provctl login"), "{err}");
}

#[test]
fn managed_identity_through_the_app_service_endpoint() {
    let e = Env::demo();
    let endpoint = format!("{}msi/token", e.sim.base_url());
    let (code, out, err) = outcome(cmd(
        &e,
        &["--auth", "managed-identity", "-o", "json", "whoami"],
        &[
            ("IDENTITY_ENDPOINT", &endpoint),
            ("IDENTITY_HEADER", "provctl-sim-identity-header"),
        ],
    ));
    assert_eq!(code, 0, "{out}\n{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["method"], "managed-identity");
    assert_eq!(doc["kind"], "app-only");
    assert!(
        doc["roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x == "Synchronization.ReadWrite.All"))
    );
}

#[test]
fn no_secret_or_token_appears_in_any_output_trace_or_cache_file() {
    let e = Env::demo();
    let app = e.sim.demo_app();
    let tenant = e.sim.tenant_id().to_owned();
    let token = e
        .sim
        .issue_token(TokenSpec::app(&app.client_id, &["Application.Read.All"]));
    let env_secret = [
        ("AZURE_TENANT_ID", tenant.as_str()),
        ("AZURE_CLIENT_ID", app.client_id.as_str()),
        ("AZURE_CLIENT_SECRET", app.client_secret.as_str()),
    ];
    // Sign in with the secret and show who we are, with traces on.
    let mut outputs = vec![
        outcome(cmd(&e, &["-vv", "whoami"], &env_secret)),
        outcome(cmd(&e, &["-vv", "-o", "json", "whoami"], &env_secret)),
    ];
    // A ready token, traced.
    outputs.push(outcome(cmd(
        &e,
        &["-vv", "whoami"],
        &[("PROVCTL_ACCESS_TOKEN", &token)],
    )));
    // A device-code login with traces, then a Graph command with its token, traced.
    outputs.push(outcome(cmd(
        &e,
        &["-vv", "--tenant", &tenant, "login"],
        &[],
    )));
    let agents = outcome(cmd(&e, &["-v", "--tenant", &tenant, "agents", "list"], &[]));
    let (_, _, err) = &agents;
    assert!(
        err.contains("Bearer (redacted)"),
        "the trace shows the header, redacted:\n{err}"
    );
    outputs.push(agents);
    // An auth failure: the wrong secret.
    let wrong = outcome(cmd(
        &e,
        &["-vv", "whoami"],
        &[
            ("AZURE_TENANT_ID", tenant.as_str()),
            ("AZURE_CLIENT_ID", app.client_id.as_str()),
            ("AZURE_CLIENT_SECRET", "wrong-secret-Zq9"),
        ],
    ));
    let (code, _, err) = &wrong;
    assert_eq!(*code, 3);
    assert!(err.contains("AADSTS7000215"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    outputs.push(wrong);

    for (code, out, err) in &outputs[..5] {
        assert_eq!(*code, 0, "{out}\n{err}");
    }
    let cache = read_all(&e.dir().join("cache"));
    assert!(cache.contains("access_token"), "the login was cached");
    for (_, out, err) in &outputs {
        for (what, needle) in [
            ("client secret", app.client_secret.as_str()),
            ("wrong secret", "wrong-secret-Zq9"),
            ("access token", token.as_str()),
        ] {
            assert!(!out.contains(needle), "{what} on stdout:\n{out}");
            assert!(!err.contains(needle), "{what} on stderr:\n{err}");
            assert!(!cache.contains(needle), "{what} in the cache file");
        }
        // No bearer token of any kind in traces: JWTs start with eyJ.
        assert!(!err.contains("Bearer eyJ"), "{err}");
        assert!(!out.contains("eyJ"), "{out}");
        assert!(!err.contains("eyJ"), "a JWT in stderr:\n{err}");
    }
}

#[test]
fn profiles_are_set_listed_used_and_refuse_secrets() {
    let e = Env::demo();
    let (code, out, err) = outcome(cmd(
        &e,
        &[
            "--profile",
            "work",
            "config",
            "set",
            "tenant",
            "contoso.com",
        ],
        &[],
    ));
    assert_eq!(code, 0, "{out}{err}");
    // The first profile written becomes the current one, and says so; the next ones do not.
    assert!(out.contains("work is now the current profile"), "{out}");
    let (code, out, err) = outcome(cmd(
        &e,
        &["--profile", "work", "config", "set", "auth", "device-code"],
        &[],
    ));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("current profile"), "{out}");
    let (code, out, err) = outcome(cmd(
        &e,
        &["--profile", "lab", "config", "set", "cloud", "usgov"],
        &[],
    ));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("current profile"), "{out}");
    let (code, out, err) = outcome(cmd(
        &e,
        &[
            "--profile",
            "lab",
            "config",
            "set",
            "client-id",
            "not-a-guid",
        ],
        &[],
    ));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("client-id 'not-a-guid' is not a GUID"),
        "{err}"
    );
    let (code, out, err) = outcome(cmd(&e, &["config", "use", "lab"], &[]));
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = outcome(cmd(&e, &["-o", "json", "config", "list"], &[]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc.as_array().map(Vec::len), Some(2));
    assert!(
        doc.as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "lab" && p["current"] == true)
    );
    let (_, out, _) = outcome(cmd(
        &e,
        &["--profile", "work", "config", "get", "auth"],
        &[],
    ));
    assert_eq!(out.trim(), "device-code");

    let (code, out, err) = outcome(cmd(&e, &["config", "set", "client-secret", "hunter2"], &[]));
    assert_eq!(code, 2);
    assert!(err.contains("never hold secrets"), "{err}");
    assert!(!out.contains("hunter2") && !err.contains("hunter2"));
    let file = std::fs::read_to_string(e.dir().join("config/config.toml")).unwrap();
    assert!(!file.contains("hunter2"));
}
