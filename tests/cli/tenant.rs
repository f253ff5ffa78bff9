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
