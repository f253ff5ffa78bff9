//! Every sign-in method end to end against the emulator over TLS (its CA added as an extra root,
//! exactly as `--ca-file` does): the token each method gets must open a Graph call. Also: a user
//! sign-in asks for explicit permissions and a missing consent is refused as Entra refuses it
//! (AADSTS65001); a Conditional Access claims challenge is answered by a user sign-in and
//! explained for an app; Cloud Shell's `MSI_ENDPOINT` is answered as Cloud Shell does, and left
//! to az. Managed identity reads the process environment, so it is tested through the binary in
//! `tests/cli/auth.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use provctl::graph::auth::cache::{MemoryStore, TokenStore};
use provctl::graph::auth::certificate::{ClientCertificate, testing};
use provctl::graph::auth::device_code::DeviceCodeProvider;
use provctl::graph::auth::{
    AuthError, AuthMethod, AuthOptions, AuthUi, DeviceCodePrompt, EnvVars, IdentityKind,
    TokenProvider, azure_cli, claims, provider_for,
};
use provctl::graph::path::GraphPath;
use provctl::graph::permissions::family_scopes;
use provctl::graph::{ApiVersion, GraphClient, GraphError, GraphRequest};
use provctl::sim::{FaultSpec, SimConfig, TenantSource, TokenSpec};

use crate::support::emulator::{Emulator, start};

impl Emulator {
    /// Gets a token from `p` and proves Graph accepts it.
    async fn graph_call_succeeds(&self, p: &dyn TokenProvider) {
        let t = p
            .token(&[self.endpoints.scope.as_str()])
            .await
            .expect("token");
        let url = format!("{}v1.0/servicePrincipals", self.sim.base_url());
        let resp = self
            .http
            .get(url)
            .bearer_auth(t.token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "Graph refused the {} token", p.method());
    }

    fn opts(&self, pairs: &[(&str, &str)]) -> AuthOptions {
        AuthOptions {
            env: EnvVars::from_pairs(pairs.iter().copied()),
            no_cache: true,
            ..AuthOptions::default()
        }
    }
}

#[tokio::test]
async fn env_secret_signs_in_and_a_wrong_secret_or_tenant_is_explained() {
    let s = start(SimConfig::for_tests()).await;
    let app = s.sim.demo_app();
    let tenant = s.sim.tenant_id().to_owned();
    let o = s.opts(&[
        ("AZURE_TENANT_ID", &tenant),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_CLIENT_SECRET", &app.client_secret),
    ]);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    assert_eq!(p.method(), "env");
    s.graph_call_succeeds(p.as_ref()).await;
    let c = claims::decode(&p.token(&[&s.endpoints.scope]).await.unwrap().token).unwrap();
    assert_eq!(c.kind, IdentityKind::AppOnly);

    let wrong = s.opts(&[
        ("AZURE_TENANT_ID", &tenant),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_CLIENT_SECRET", "not-the-secret"),
    ]);
    let p = provider_for(&wrong, &s.http, &s.endpoints).await.unwrap();
    let err = p.token(&[&s.endpoints.scope]).await.unwrap_err();
    let (msg, hints) = provctl::diagnose::explain_auth_error(&err);
    assert!(
        msg.contains("AADSTS7000215") && msg.contains("secret"),
        "{msg}"
    );
    assert!(hints[0].contains("AZURE_CLIENT_SECRET"), "{hints:?}");
    assert!(!format!("{msg}{hints:?}{err:?}").contains("not-the-secret"));

    let unknown = s.opts(&[
        ("AZURE_TENANT_ID", "nowhere.example"),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_CLIENT_SECRET", &app.client_secret),
    ]);
    let p = provider_for(&unknown, &s.http, &s.endpoints).await.unwrap();
    let err = p.token(&[&s.endpoints.scope]).await.unwrap_err();
    let (msg, _) = provctl::diagnose::explain_auth_error(&err);
    assert!(msg.contains("tenant is unknown"), "{msg}");
}

#[tokio::test]
async fn a_ready_token_from_the_environment_is_used_as_is() {
    let s = start(SimConfig::for_tests()).await;
    let token = s.sim.issue_token(TokenSpec::app(
        &s.sim.demo_app().client_id,
        &["Application.Read.All"],
    ));
    let o = s.opts(&[("PROVCTL_ACCESS_TOKEN", &token)]);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    assert_eq!(p.method(), "token");
    s.graph_call_succeeds(p.as_ref()).await;
}

/// The demo tenant with `cert_pem` registered on the demo app (the emulator checks the assertion's
/// x5t thumbprint and signature against it, as Entra does).
fn tenant_file_with_certificate(dir: &std::path::Path, cert_pem: &str) -> std::path::PathBuf {
    demo_tenant_file(dir, |t| {
        t["apps"][0]["certificates"] = serde_json::json!([cert_pem])
    })
}

#[tokio::test]
async fn certificate_pem_and_pfx_and_workload_identity_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, key_pem) = testing::self_signed("provctl-e2e").unwrap();
    let pem_path = dir.path().join("app.pem");
    std::fs::write(&pem_path, format!("{cert_pem}{key_pem}")).unwrap();
    let pfx_path = dir.path().join("app.pfx");
    std::fs::write(
        &pfx_path,
        testing::to_pfx(&cert_pem, &key_pem, "pfx-pass").unwrap(),
    )
    .unwrap();
    let cert = ClientCertificate::load(&pem_path, None).unwrap();
    assert_eq!(
        cert.thumbprint_sha1().len(),
        27,
        "base64url SHA-1 thumbprint"
    );
    let tenant_file = tenant_file_with_certificate(dir.path(), &cert_pem);
    let s = start(SimConfig {
        tenant: TenantSource::File(tenant_file),
        ..SimConfig::for_tests()
    })
    .await;
    let app = s.sim.demo_app();
    let tenant = s.sim.tenant_id().to_owned();

    // --auth certificate with a PEM file.
    let mut o = s.opts(&[]);
    o.method = Some(AuthMethod::Certificate);
    o.tenant = Some(tenant.clone());
    o.client_id = Some(app.client_id.clone());
    o.certificate_path = Some(pem_path.clone());
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    assert_eq!(p.method(), "certificate");
    s.graph_call_succeeds(p.as_ref()).await;

    // env with a PFX and its password.
    let pfx = pfx_path.to_str().unwrap();
    let o = s.opts(&[
        ("AZURE_TENANT_ID", &tenant),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_CLIENT_CERTIFICATE_PATH", pfx),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pfx-pass"),
    ]);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    assert_eq!(p.method(), "env");
    s.graph_call_succeeds(p.as_ref()).await;

    // A certificate the app does not know is refused with AADSTS700027.
    let (other_pem, other_key) = testing::self_signed("stranger").unwrap();
    let other = dir.path().join("other.pem");
    std::fs::write(&other, format!("{other_pem}{other_key}")).unwrap();
    let mut o = s.opts(&[]);
    o.method = Some(AuthMethod::Certificate);
    o.tenant = Some(tenant.clone());
    o.client_id = Some(app.client_id.clone());
    o.certificate_path = Some(other);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    let err = p.token(&[&s.endpoints.scope]).await.unwrap_err();
    assert!(
        matches!(&err, AuthError::Rejected { aadsts: Some(c), .. } if c == "AADSTS700027"),
        "{err:?}"
    );

    // Workload identity: the federated token file holds an assertion (here one our certificate signs).
    let endpoint = format!("{}{tenant}/oauth2/v2.0/token", s.sim.base_url());
    let federated = cert.assertion(&app.client_id, &endpoint).unwrap();
    let token_file = dir.path().join("federated-token");
    std::fs::write(&token_file, federated.expose()).unwrap();
    let o = s.opts(&[
        ("AZURE_TENANT_ID", &tenant),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_FEDERATED_TOKEN_FILE", token_file.to_str().unwrap()),
    ]);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    assert_eq!(p.method(), "workload-identity");
    s.graph_call_succeeds(p.as_ref()).await;
}

#[derive(Debug, Default)]
struct RecordingUi(Mutex<Vec<DeviceCodePrompt>>);

impl AuthUi for RecordingUi {
    fn device_code(&self, prompt: &DeviceCodePrompt) {
        self.0.lock().unwrap().push(prompt.clone());
    }
    fn notice(&self, _message: &str) {}
}

#[tokio::test]
async fn device_code_signs_in_then_refreshes_after_expiry_without_a_prompt() {
    // Tokens live one minute: inside the five-minute margin, so every use renews silently.
    let s = start(SimConfig {
        token_lifetime: Duration::from_secs(60),
        ..SimConfig::for_tests()
    })
    .await;
    let ui = Arc::new(RecordingUi::default());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let o = AuthOptions {
        method: Some(AuthMethod::DeviceCode),
        tenant: Some(s.sim.tenant_id().to_owned()),
        ui: Some(ui.clone()),
        ..AuthOptions::default()
    };
    let p = DeviceCodeProvider::with_store(&o, &s.http, &s.endpoints, true, store.clone()).unwrap();
    s.graph_call_succeeds(&p).await;
    assert_eq!(ui.0.lock().unwrap().len(), 1, "one prompt");
    let first = p.token(&[&s.endpoints.scope]).await.unwrap();
    let c = claims::decode(&first.token).unwrap();
    assert_eq!(c.kind, IdentityKind::Delegated);
    assert_eq!(c.user.as_deref(), Some("admin@contoso.com"));

    s.sim.clear_requests();
    s.graph_call_succeeds(&p).await;
    assert_eq!(ui.0.lock().unwrap().len(), 1, "no second prompt");
    let refreshes = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.body.contains("grant_type=refresh_token"))
        .count();
    assert!(
        refreshes >= 1,
        "the token was renewed with the refresh token"
    );

    // A 401 with the current token refreshes once more, still without a prompt.
    let current = p.token(&[&s.endpoints.scope]).await.unwrap();
    let renewed = p.refresh(&[&s.endpoints.scope], &current).await.unwrap();
    assert!(renewed.is_some_and(|t| t.token != current.token));
    assert_eq!(ui.0.lock().unwrap().len(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_token_from_a_fake_az_opens_graph() {
    use std::os::unix::fs::PermissionsExt;
    let s = start(SimConfig::for_tests()).await;
    let token = s.sim.issue_token(TokenSpec::delegated(
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "admin@contoso.com",
        &["Application.Read.All"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    let exp = chrono::Utc::now().timestamp() + 3600;
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\necho '{{\"accessToken\":\"{token}\",\"expires_on\":{exp},\"tokenType\":\"Bearer\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = azure_cli::provider_with_executor(
        &AuthOptions::default(),
        &s.endpoints,
        Some(Arc::new(azure_cli::PathExecutor::new(dir.path()))),
    )
    .unwrap();
    s.graph_call_succeeds(p.as_ref()).await;
}

/// The demo tenant with `edit` applied to its document first.
fn demo_tenant_file(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut serde_json::Value),
) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/sim/demo-tenant.json"
    ))
    .unwrap();
    let mut t: serde_json::Value = serde_json::from_str(&demo).unwrap();
    edit(&mut t);
    let path = dir.join("tenant.json");
    std::fs::write(&path, t.to_string()).unwrap();
    path
}

fn scopes_of(family: &str) -> Vec<String> {
    family_scopes(family)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn device_code_asks_for_the_familys_permissions_and_a_missing_consent_is_aadsts65001() {
    // Nobody consented the provisioning-log permission in this tenant.
    let dir = tempfile::tempdir().unwrap();
    let tenant_file = demo_tenant_file(dir.path(), |t| {
        let scopes = t["users"][0]["scopes"].as_array_mut().unwrap();
        scopes.retain(|s| s != "ProvisioningLog.Read.All");
    });
    let s = start(SimConfig {
        tenant: TenantSource::File(tenant_file),
        ..SimConfig::for_tests()
    })
    .await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let ui = Arc::new(RecordingUi::default());
    let opts = |scopes: Vec<String>| AuthOptions {
        method: Some(AuthMethod::DeviceCode),
        tenant: Some(s.sim.tenant_id().to_owned()),
        ui: Some(ui.clone()),
        required_scopes: scopes.clone(),
        scopes,
        ..AuthOptions::default()
    };

    // The jobs family: explicit permissions on the Graph resource, plus offline_access.
    let jobs = DeviceCodeProvider::with_store(
        &opts(scopes_of("jobs")),
        &s.http,
        &s.endpoints,
        true,
        store.clone(),
    )
    .unwrap();
    let login = jobs.login().await.unwrap();
    let asked = s
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/devicecode"))
        .unwrap()
        .body;
    let asked = url::form_urlencoded::parse(asked.as_bytes())
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(
        asked,
        "https://graph.microsoft.com/Application.Read.All https://graph.microsoft.com/Synchronization.ReadWrite.All offline_access"
    );
    assert_eq!(login.scopes, scopes_of("jobs"));
    s.graph_call_succeeds(&jobs).await;

    // The logs family with the same cached login: the token lacks ProvisioningLog.Read.All, so
    // it is renewed for it (not reused), and Entra refuses the permission nobody consented.
    let logs = DeviceCodeProvider::with_store(
        &AuthOptions {
            method: None,
            ..opts(scopes_of("logs"))
        },
        &s.http,
        &s.endpoints,
        false,
        store.clone(),
    )
    .unwrap();
    let err = logs.token(&[&s.endpoints.scope]).await.unwrap_err();
    assert!(
        matches!(&err, AuthError::Rejected { aadsts: Some(c), .. } if c == "AADSTS65001"),
        "{err:?}"
    );
    let (msg, hints) = provctl::diagnose::explain_auth_error(&err);
    assert!(
        msg.contains("consent") && msg.contains("AADSTS65001"),
        "{msg}"
    );
    assert!(hints[0].contains("admin consent"), "{hints:?}");
    assert!(
        hints.iter().any(|h| h.contains("provctl login --scopes")),
        "{hints:?}"
    );
    assert!(
        hints.iter().any(|h| h.contains("ProvisioningLog.Read.All")),
        "the permission asked for is named: {hints:?}"
    );

    // A fresh sign-in asking for it is refused at the end of the device flow, the same way.
    let fresh = DeviceCodeProvider::with_store(
        &opts(scopes_of("logs")),
        &s.http,
        &s.endpoints,
        true,
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    let err = fresh.login().await.unwrap_err();
    assert!(
        matches!(&err, AuthError::Rejected { aadsts: Some(c), .. } if c == "AADSTS65001"),
        "{err:?}"
    );
}

fn graph_client(s: &Emulator, tokens: Arc<dyn TokenProvider>) -> GraphClient {
    GraphClient::builder()
        .endpoints(s.endpoints.clone())
        .http_client(s.http.clone())
        .shared_token_provider(tokens)
        .build()
        .unwrap()
}

fn list_service_principals() -> GraphRequest {
    GraphRequest::get(ApiVersion::V1, GraphPath::new().lit("servicePrincipals"))
}

#[tokio::test]
async fn a_claims_challenge_is_answered_by_a_user_sign_in_and_explained_for_an_app() {
    let s = start(SimConfig::for_tests()).await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let user = DeviceCodeProvider::with_store(
        &AuthOptions {
            method: Some(AuthMethod::DeviceCode),
            tenant: Some(s.sim.tenant_id().to_owned()),
            ui: Some(Arc::new(RecordingUi::default())),
            scopes: scopes_of("jobs"),
            ..AuthOptions::default()
        },
        &s.http,
        &s.endpoints,
        true,
        store,
    )
    .unwrap();
    user.login().await.unwrap();
    // From now on Conditional Access wants authentication context c1 for Graph.
    s.sim.set_faults(FaultSpec {
        claims_challenge: Some("c1".into()),
        ..FaultSpec::default()
    });
    s.sim.clear_requests();
    let client = graph_client(&s, Arc::new(user));
    let resp = client.send(&list_service_principals()).await.unwrap();
    assert_eq!(resp.status, 200);
    let requests = s.sim.requests();
    let statuses: Vec<(String, u16)> = requests
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        statuses[0],
        ("/v1.0/servicePrincipals".into(), 401),
        "{statuses:?}"
    );
    let renewal = requests
        .iter()
        .find(|r| r.body.contains("grant_type=refresh_token"))
        .unwrap_or_else(|| panic!("no renewal: {statuses:?}"));
    let claims = url::form_urlencoded::parse(renewal.body.as_bytes())
        .find(|(k, _)| k == "claims")
        .map(|(_, v)| v.into_owned())
        .expect("the claims went back to the token request");
    let claims: serde_json::Value = serde_json::from_str(&claims).unwrap();
    assert_eq!(claims["access_token"]["acrs"]["value"], "c1");
    assert_eq!(requests.last().map(|r| r.status), Some(200));

    // An application cannot satisfy it: no retry loop, an explanation.
    let app = s.sim.demo_app();
    let o = s.opts(&[
        ("AZURE_TENANT_ID", s.sim.tenant_id()),
        ("AZURE_CLIENT_ID", &app.client_id),
        ("AZURE_CLIENT_SECRET", &app.client_secret),
    ]);
    let p = provider_for(&o, &s.http, &s.endpoints).await.unwrap();
    s.sim.clear_requests();
    let err = graph_client(&s, p)
        .send(&list_service_principals())
        .await
        .unwrap_err();
    let GraphError::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(auth, AuthError::ClaimsChallenge { .. }),
        "{auth:?}"
    );
    let (msg, hints) = provctl::diagnose::explain_auth_error(auth);
    assert!(
        msg.contains("claims challenge") && msg.contains("env"),
        "{msg}"
    );
    assert!(
        hints.iter().any(|h| h.contains("workload identity")),
        "{hints:?}"
    );
    let graph_calls = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/"))
        .count();
    assert_eq!(graph_calls, 1, "asked once, not retried");
}

#[cfg(unix)]
#[tokio::test]
async fn cloud_shells_msi_endpoint_answers_like_cloud_shell_but_az_is_chosen() {
    use std::os::unix::fs::PermissionsExt;
    let s = start(SimConfig::for_tests()).await;
    let msi_endpoint = format!("{}oauth2/token", s.sim.base_url());

    // Cloud Shell's endpoint: POST resource=..., Metadata: true, a delegated token of the user.
    let refused = s
        .http
        .post(&msi_endpoint)
        .form(&[("resource", "https://graph.microsoft.com/")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "no Metadata header");
    let answer: serde_json::Value = s
        .http
        .post(&msi_endpoint)
        .header("Metadata", "true")
        .form(&[("resource", "https://graph.microsoft.com/")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["resource"], "https://graph.microsoft.com/");
    assert!(answer["expires_on"].is_string(), "{answer}");
    let token = answer["access_token"].as_str().unwrap().to_owned();
    let c = claims::decode(&provctl::secret::Secret::new(token.clone())).unwrap();
    assert_eq!(c.kind, IdentityKind::Delegated);
    let resp = s
        .http
        .get(format!("{}v1.0/servicePrincipals", s.sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Automatic selection: MSI_ENDPOINT without MSI_SECRET is not a managed identity
    // azure_identity can use, so az (signed in to the same user in Cloud Shell) is chosen.
    let dir = tempfile::tempdir().unwrap();
    let az = dir.path().join("az");
    let az_token = s.sim.user_token().unwrap();
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\ncase \"$*\" in *'cloud show'*) echo AzureCloud ;; *) echo '{{\"accessToken\":\"{az_token}\",\"expires_on\":4102444800,\"tokenType\":\"Bearer\"}}' ;; esac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = s.opts(&[
        ("MSI_ENDPOINT", msi_endpoint.as_str()),
        ("ACC_CLOUD", "PROD"),
        ("PATH", dir.path().to_str().unwrap()),
    ]);
    assert_eq!(o.resolve_method(&s.endpoints), Ok(AuthMethod::AzureCli));
    s.sim.clear_requests();
    let p = azure_cli::provider_with_executor(
        &o,
        &s.endpoints,
        Some(Arc::new(azure_cli::PathExecutor::new(dir.path()))),
    )
    .unwrap();
    s.graph_call_succeeds(p.as_ref()).await;
    assert!(
        !s.sim.requests().iter().any(|r| r.path == "/oauth2/token"),
        "the Cloud Shell endpoint was not asked"
    );
}
