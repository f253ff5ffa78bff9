//! `provctl tenant ...` against real shapes: Graph reads sensitive synchronization secrets back as
//! `"*"`, and a PUT of the threshold would write that `"*"` over the real value.

use provctl::sim::demo::SP_CORP;

use crate::common::Env;

/// Issue 14 item 2: a cloud sync configuration holding a credential (masked as `"*"` on GET, as
/// Graph does) is refused with exit 2 naming the key, and nothing is written.
#[test]
fn job_threshold_set_refuses_masked_secrets_and_writes_nothing() {
    let env = Env::fixed_with(|doc| {
        if let Some(sp) = doc["servicePrincipals"]
            .as_array_mut()
            .and_then(|sps| sps.iter_mut().find(|sp| sp["id"] == SP_CORP))
            && let Some(secrets) = sp["synchronization"]["secrets"].as_array_mut()
        {
            secrets.push(serde_json::json!({"key": "SecretToken", "value": "real-token-value"}));
        }
    });
    let (code, _, err) = env.run(&[
        "tenant",
        "job-threshold",
        "set",
        "--sp",
        "corp.contoso.com",
        "--count",
        "1200",
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("SecretToken") && err.contains("\"*\""),
        "{err}"
    );
    assert!(
        env.wire_requests().iter().all(|r| r.method != "PUT"),
        "nothing is written"
    );
}

/// Issue 16: a tenant write that is already as asked says "nothing to change", exits 0 and sends
/// nothing, in the same words and JSON as the job actions (`quarantine clear` on a healthy job).
#[test]
fn tenant_writes_already_as_asked_say_nothing_to_change_and_send_nothing() {
    let mut env = Env::fixed();
    // The tenant's deletion prevention is served only to a signed-in admin.
    let admin = env
        .sim
        .user_token()
        .unwrap_or_else(|| panic!("the demo tenant has an admin"));
    env.set_env("PROVCTL_ACCESS_TOKEN", &admin);
    for line in [
        "tenant deletion-prevention enable --count 500",
        "tenant job-threshold set --sp corp.contoso.com --count 500",
        "quarantine clear corp.contoso.com/AD2AADPasswordHash",
        "jobs pause Box/BoxOutDelta",
    ] {
        let args: &[&str] = &line.split(' ').collect::<Vec<_>>();
        env.clear();
        let (code, out, err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.ends_with(": nothing to change.\n"), "{args:?}: {out}");
        let json = env.json(&[args, &["-o", "json"]].concat());
        assert_eq!(json["changed"], false, "{args:?}: {json}");
        assert_eq!(json["action"], "none", "{args:?}: {json}");
        assert!(
            env.wire_requests()
                .iter()
                .all(|r| r.method == "GET" || r.path.ends_with("$batch")),
            "{args:?}: nothing is written: {:?}",
            env.wire_requests()
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        );
    }
}
