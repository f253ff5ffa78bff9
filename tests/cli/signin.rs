//! Sign-in as a user meets it: `--sim` alone signs in as the demo admin, so every command works;
//! `--sim-as app` keeps the app-only sign-in; half an application sign-in names the missing
//! variable; an unreachable identity provider is a network failure (exit 6) naming the host and
//! the cause.

use crate::common::Env;

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
