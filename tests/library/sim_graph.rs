//! The Graph emulator against a real HTTP client: tokens, jobs and their state machine, logs with
//! filters and paging, `$batch`, throttling, faults, generated tenants and managed identity.

use provctl::graph::permissions::{GRANTS, Operation, operation_of_request};
use provctl::sim::{
    Budget, FaultSpec, GenerateSpec, Sim, SimConfig, SimHandle, TenantSource, ThrottleConfig,
    TokenSpec, demo,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::support::emulator::send;

const ALL_ROLES: &[&str] = &[
    "Application.Read.All",
    "Synchronization.ReadWrite.All",
    "ProvisioningLog.Read.All",
];

async fn start(config: SimConfig) -> (SimHandle, reqwest::Client, String) {
    let sim = Sim::start(config).await.expect("sim starts");
    let base = sim.http_base_url().expect("plain http").to_string();
    (sim, reqwest::Client::new(), base)
}

async fn demo_sim() -> (SimHandle, reqwest::Client, String) {
    start(SimConfig::for_tests()).await
}

fn app_token(sim: &SimHandle) -> String {
    sim.issue_token(TokenSpec::app(demo::CLIENT_ID, ALL_ROLES))
}

async fn get(
    c: &reqwest::Client,
    url: &str,
    token: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = send(c, reqwest::Method::GET, url, Some(token), None, None).await;
    (r.status, r.headers, r.json)
}

async fn post_json(c: &reqwest::Client, url: &str, token: &str, body: Value) -> (u16, Value) {
    let r = send(
        c,
        reqwest::Method::POST,
        url,
        Some(token),
        Some(&body),
        None,
    )
    .await;
    (r.status, r.json)
}

/// POSTs a job action (`start`, `pause`, `restart`, ...) to `{job_url}/{name}`, with `body` as
/// JSON when given; the status.
async fn action(
    c: &reqwest::Client,
    job_url: &str,
    name: &str,
    token: &str,
    body: Option<Value>,
) -> u16 {
    let mut req = c.post(format!("{job_url}/{name}")).bearer_auth(token);
    if let Some(b) = &body {
        req = req.json(b);
    }
    req.send().await.expect("request").status().as_u16()
}

fn job_url(base: &str, sp: &str, job: &str) -> String {
    format!("{base}v1.0/servicePrincipals/{sp}/synchronization/jobs/{job}")
}

#[tokio::test]
async fn token_over_https_trusted_via_generated_ca_lists_the_demo_jobs() {
    let sim = Sim::start(SimConfig::for_tests()).await.unwrap();
    let ca = reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let app = sim.demo_app();
    let token: Value = client
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            sim.base_url(),
            sim.tenant_id()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let payload = access.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["tid"], sim.tenant_id());
    assert!(claims["roles"].as_array().unwrap().len() > 3);

    let r = client
        .get(format!(
            "{}v1.0/servicePrincipals/{}/synchronization/jobs",
            sim.base_url(),
            demo::SP_CORP
        ))
        .bearer_auth(access)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    assert_eq!(r.headers()["client-request-id"], "abc-123");
    assert!(r.headers().contains_key("request-id"));
    let body: Value = r.json().await.unwrap();
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/synchronization/jobs")
    );
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![demo::JOB_CORP_PROVISIONING, demo::JOB_CORP_PHS]);
    sim.shutdown().await;
}

#[tokio::test]
async fn token_endpoint_answers_entra_errors() {
    let (sim, c, base) = demo_sim().await;
    let post = |tenant: &str, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{base}{tenant}/oauth2/v2.0/token");
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let cc = |id: &str, secret: &str| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", id.to_string()),
            ("client_secret", secret.to_string()),
            ("scope", "https://graph.microsoft.com/.default".to_string()),
        ]
    };
    let (s, b) = post(sim.tenant_id(), cc(demo::CLIENT_ID, "wrong")).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(b["error_codes"][0], 7000215);
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215:")
    );
    assert!(
        b["trace_id"].is_string() && b["correlation_id"].is_string() && b["timestamp"].is_string()
    );
    let (s, b) = post(
        "nosuchtenant.example",
        cc(demo::CLIENT_ID, demo::CLIENT_SECRET),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str(), b["error_codes"][0].as_u64()),
        (400, Some("invalid_request"), Some(90002))
    );
    let (s, b) = post(
        sim.tenant_id(),
        cc("00000000-0000-0000-0000-000000000001", "x"),
    )
    .await;
    assert_eq!((s, b["error_codes"][0].as_u64()), (400, Some(700016)));
    let (s, b) = post(
        sim.tenant_id(),
        vec![
            ("grant_type", "refresh_token".into()),
            ("client_id", demo::CLIENT_ID.into()),
            ("refresh_token", "1.AS0Abogus".into()),
        ],
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str(), b["error_codes"][0].as_u64()),
        (400, Some("invalid_grant"), Some(700082))
    );
    // Faults never touch the login routes unless asked.
    sim.set_faults("error-rate=1".parse().unwrap());
    let (s, _) = post(
        "contoso.onmicrosoft.com",
        cc(demo::CLIENT_ID, demo::CLIENT_SECRET),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn device_code_is_pending_then_issues_tokens_and_refreshes() {
    let (sim, c, base) = demo_sim().await;
    let dc: Value = c
        .post(format!("{base}organizations/oauth2/v2.0/devicecode"))
        .form(&[
            ("client_id", "14d82eec-204b-4c2f-b7e8-296a70dab67e"),
            ("scope", "https://graph.microsoft.com/Policy.Read.HybridAuthentication offline_access openid"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = dc["device_code"].as_str().unwrap().to_string();
    assert!(
        dc["message"]
            .as_str()
            .unwrap()
            .contains(dc["user_code"].as_str().unwrap())
    );
    let poll = || {
        let c = c.clone();
        let url = format!("{base}organizations/oauth2/v2.0/token");
        let code = code.clone();
        async move {
            let r = c
                .post(url)
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", "14d82eec-204b-4c2f-b7e8-296a70dab67e"),
                    ("device_code", code.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = poll().await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert_eq!(b["error_codes"][0], 70016);
    let (s, b) = poll().await;
    assert_eq!(s, 200, "{b}");
    let rt = b["refresh_token"].as_str().unwrap().to_string();
    let access = b["access_token"].as_str().unwrap().to_string();
    let (s, _, agents) = get(
        &c,
        &format!("{base}beta/onPremisesPublishingProfiles/provisioning/agents?$expand=agentGroups"),
        &access,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(agents["value"].as_array().unwrap().len(), 3);
    assert!(agents["value"][0]["agentGroups"].is_array());
    let r: Value = c
        .post(format!("{base}{}/oauth2/v2.0/token", sim.tenant_id()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "14d82eec-204b-4c2f-b7e8-296a70dab67e"),
            ("refresh_token", rt.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        r["access_token"].is_string() && r["refresh_token"].is_string(),
        "{r}"
    );
}

#[tokio::test]
async fn graph_routes_refuse_missing_expired_and_underprivileged_tokens() {
    let (sim, c, base) = demo_sim().await;
    let url = format!(
        "{base}v1.0/servicePrincipals/{}/synchronization/jobs",
        demo::SP_CORP
    );
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(b["error"]["message"], "Access token is empty.");
    assert!(b["error"]["innerError"]["request-id"].is_string());
    assert!(b["error"]["innerError"]["date"].is_string());

    let expired =
        sim.issue_token(TokenSpec::app(demo::CLIENT_ID, ALL_ROLES).with_lifetime(Duration::ZERO));
    let (s, _, b) = get(&c, &url, &expired).await;
    assert_eq!(s, 401);
    assert_eq!(
        b["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );
    let (s, _, _) = get(&c, &url, "aaa.bbb.ccc").await;
    assert_eq!(s, 401);

    let reader = sim.issue_token(TokenSpec::app(
        demo::CLIENT_ID,
        &["Synchronization.Read.All"],
    ));
    let (s, _, _) = get(&c, &url, &reader).await;
    assert_eq!(s, 200);
    let (s, b) = post_json(
        &c,
        &format!(
            "{}/restart",
            job_url(&base, demo::SP_CORP, demo::JOB_CORP_PROVISIONING)
        ),
        &reader,
        json!({}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        b["error"]["message"],
        "Insufficient privileges to complete the operation."
    );

    // Delegated-only routes refuse app-only tokens even with every role.
    let all = sim.issue_token(TokenSpec::app(
        demo::CLIENT_ID,
        &[
            "Directory.ReadWrite.All",
            "Policy.Read.HybridAuthentication",
            "OnPremDirectorySynchronization.Read.All",
        ],
    ));
    let (s, _, _) = get(
        &c,
        &format!("{base}beta/onPremisesPublishingProfiles/provisioning/agents"),
        &all,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = get(
        &c,
        &format!("{base}v1.0/directory/onPremisesSynchronization"),
        &all,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, b) = get(&c, &format!("{base}v1.0/auditLogs/provisioning"), &reader).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
}

#[tokio::test]
async fn unknown_ids_are_404_with_graph_envelope() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let (s, _, b) = get(
        &c,
        &format!("{base}v1.0/servicePrincipals/00000000-0000-0000-0000-00000000dead"),
        &t,
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "Request_ResourceNotFound");
    let (s, _, b) = get(
        &c,
        &job_url(&base, demo::SP_CORP, "AD2AADProvisioning.nope"),
        &t,
    )
    .await;
    assert_eq!(s, 404);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AD2AADProvisioning.nope")
    );
    // job ids with dots also work percent-encoded
    let enc = demo::JOB_CORP_PHS.replace('.', "%2E");
    let (s, _, b) = get(&c, &job_url(&base, demo::SP_CORP, &enc), &t).await;
    assert_eq!((s, b["id"].as_str()), (200, Some(demo::JOB_CORP_PHS)));
}

#[tokio::test]
async fn restart_with_escrows_and_quarantine_state_heals_the_escrow_quarantine() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = job_url(&base, demo::SP_CORP, demo::JOB_CORP_PROVISIONING);
    let (_, _, before) = get(&c, &url, &t).await;
    assert_eq!(before["status"]["code"], "Quarantine");
    assert_eq!(
        before["status"]["quarantine"]["reason"],
        "EncounteredEscrowProportionThreshold"
    );
    assert!(
        before["status"]["lastExecution"]["countEscrowed"]
            .as_i64()
            .unwrap()
            > 0
    );

    let (s, b) = post_json(
        &c,
        &format!("{url}/restart"),
        &t,
        json!({"criteria": {"resetScope": "Watermark, Bogus"}}),
    )
    .await;
    assert_eq!(s, 400);
    assert!(b["error"]["message"].as_str().unwrap().contains("'Bogus'"));

    let s = action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "Escrows,QuarantineState"}})),
    )
    .await;
    assert_eq!(s, 204);
    let now = sim.job(demo::SP_CORP, demo::JOB_CORP_PROVISIONING).unwrap();
    assert!(now["status"]["quarantine"].is_null());
    assert_ne!(now["status"]["code"], "Quarantine");
    assert_eq!(now["status"]["lastExecution"]["countEscrowed"], 0);
    assert_eq!(now["status"]["lastExecution"]["countEscrowedRaw"], 0);
    assert_eq!(now["status"]["progress"][0]["units"], "Entries");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, _, after) = get(&c, &url, &t).await;
    assert_eq!(after["status"]["code"], "Active");
    assert_eq!(after["status"]["lastExecution"]["state"], "Succeeded");
    assert_eq!(after["status"]["progress"], json!([]));
    assert_ne!(
        after["status"]["lastExecution"]["timeEnded"],
        before["status"]["lastExecution"]["timeEnded"]
    );
}

#[tokio::test]
async fn watermark_runs_a_full_cycle_and_empty_criteria_is_the_portal_restart() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = job_url(&base, demo::SP_SERVICENOW, demo::JOB_SERVICENOW);
    let s = action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "Watermark"}})),
    )
    .await;
    assert_eq!(s, 204);
    let j = sim.job(demo::SP_SERVICENOW, demo::JOB_SERVICENOW).unwrap();
    assert_eq!(j["status"]["progress"][0]["totalUnits"], 1200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let j = sim.job(demo::SP_SERVICENOW, demo::JOB_SERVICENOW).unwrap();
    assert_eq!(j["status"]["lastExecution"]["countImported"], 1200);
    // Salesforce: the portal restart (no criteria) lifts the quarantine, the next run re-quarantines it.
    let url = job_url(&base, demo::SP_SALESFORCE, demo::JOB_SALESFORCE);
    let status = action(&c, &url, "restart", &t, None).await;
    assert_eq!(status, 204);
    let j = sim.job(demo::SP_SALESFORCE, demo::JOB_SALESFORCE).unwrap();
    assert!(j["status"]["quarantine"].is_null());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let j = sim.job(demo::SP_SALESFORCE, demo::JOB_SALESFORCE).unwrap();
    assert_eq!(j["status"]["code"], "Quarantine");
    assert_eq!(
        j["status"]["quarantine"]["error"]["code"],
        "SalesforceInvalidCredentials"
    );
    assert_eq!(
        j["status"]["quarantine"]["seriesCount"], 4,
        "the series continues"
    );
    let status = action(
        &c,
        &url,
        "validateCredentials",
        &t,
        Some(json!({"useSavedCredentials": true})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn too_many_deletes_needs_force_deletes() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = job_url(&base, demo::SP_EMEA, demo::JOB_EMEA_PROVISIONING);
    let s = action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "Full"}})),
    )
    .await;
    assert_eq!(s, 204);
    assert!(
        sim.job(demo::SP_EMEA, demo::JOB_EMEA_PROVISIONING).unwrap()["status"]["quarantine"]
            .is_null()
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let j = sim.job(demo::SP_EMEA, demo::JOB_EMEA_PROVISIONING).unwrap();
    assert_eq!(
        j["status"]["quarantine"]["reason"], "TooManyDeletes",
        "Full does not include ForceDeletes"
    );
    let s = action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "ForceDeletes"}})),
    )
    .await;
    assert_eq!(s, 204);
    let j = sim.job(demo::SP_EMEA, demo::JOB_EMEA_PROVISIONING).unwrap();
    assert!(j["status"]["quarantine"].is_null());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let j = sim.job(demo::SP_EMEA, demo::JOB_EMEA_PROVISIONING).unwrap();
    assert_eq!(j["status"]["code"], "Active");
    assert!(j["status"]["quarantine"].is_null());
}

#[tokio::test]
async fn pause_and_start_change_status() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let box_url = job_url(&base, demo::SP_BOX, demo::JOB_BOX);
    let status = action(&c, &box_url, "start", &t, None).await;
    assert_eq!(status, 204);
    let j = sim.job(demo::SP_BOX, demo::JOB_BOX).unwrap();
    assert_eq!(
        (
            j["status"]["code"].as_str(),
            j["schedule"]["state"].as_str()
        ),
        (Some("Active"), Some("Active"))
    );
    let url = job_url(&base, demo::SP_CORP, demo::JOB_CORP_PHS);
    let status = action(&c, &url, "pause", &t, None).await;
    assert_eq!(status, 204);
    let j = sim.job(demo::SP_CORP, demo::JOB_CORP_PHS).unwrap();
    assert_eq!(
        (
            j["status"]["code"].as_str(),
            j["schedule"]["state"].as_str()
        ),
        (Some("Paused"), Some("Paused"))
    );
    // start on the quarantined Salesforce job clears the quarantine
    let sf = job_url(&base, demo::SP_SALESFORCE, demo::JOB_SALESFORCE);
    action(&c, &sf, "start", &t, None).await;
    let j = sim.job(demo::SP_SALESFORCE, demo::JOB_SALESFORCE).unwrap();
    assert!(j["status"]["quarantine"].is_null());
    // NotRun job runs its first cycle
    let dbx = job_url(&base, demo::SP_DROPBOX, demo::JOB_DROPBOX);
    assert_eq!(
        sim.job(demo::SP_DROPBOX, demo::JOB_DROPBOX).unwrap()["status"]["code"],
        "NotRun"
    );
    action(&c, &dbx, "start", &t, None).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        sim.job(demo::SP_DROPBOX, demo::JOB_DROPBOX).unwrap()["status"]["code"],
        "Active"
    );
}

#[tokio::test]
async fn service_principals_filter_select_and_page() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let (s, _, b) = get(&c, &format!("{base}beta/servicePrincipals?$filter=applicationTemplateId eq '1a4721b3-e57f-4451-ae87-ef078703ec94'&$select=id,displayName"), &t).await;
    assert_eq!(s, 200);
    let v = b["value"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["displayName"], "corp.contoso.com");
    assert!(v[0].get("appId").is_none());
    let (_, _, b) = get(&c, &format!("{base}v1.0/servicePrincipals?$filter=startswith(displayName,'Microsoft.Azure.SyncFabric')"), &t).await;
    assert_eq!(b["value"].as_array().unwrap().len(), 1);
    let mut url = format!("{base}v1.0/servicePrincipals?$top=3");
    let mut seen = Vec::new();
    loop {
        let (s, _, b) = get(&c, &url, &t).await;
        assert_eq!(s, 200);
        for sp in b["value"].as_array().unwrap() {
            seen.push(sp["id"].as_str().unwrap().to_string());
        }
        match b["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let (s, _, _) = get(&c, &format!("{base}v1.0/servicePrincipals?$top=1000"), &t).await;
    assert_eq!(s, 400);
    let (s, _, b) = get(
        &c,
        &format!("{base}v1.0/servicePrincipals/{}", demo::SP_CORP),
        &t,
    )
    .await;
    assert_eq!(
        (s, b["applicationTemplateId"].as_str()),
        (200, Some("1a4721b3-e57f-4451-ae87-ef078703ec94"))
    );
    assert!(b.get("synchronization").is_none());
}

async fn all_pages(c: &reqwest::Client, first: String, token: &str) -> Vec<Value> {
    let mut url = first;
    let mut out = Vec::new();
    loop {
        let (s, _, b) = get(c, &url, token).await;
        assert_eq!(s, 200, "{b}");
        out.extend(b["value"].as_array().unwrap().iter().cloned());
        match b["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => return out,
        }
    }
}

#[tokio::test]
async fn logs_filter_order_and_page_every_record_exactly_once() {
    let mut config = SimConfig::for_tests();
    config.throttle = ThrottleConfig::off();
    let (sim, c, base) = start(config).await;
    let t = app_token(&sim);
    let all = all_pages(&c, format!("{base}v1.0/auditLogs/provisioning"), &t).await;
    assert!(all.len() >= 30, "{}", all.len());
    let filter = format!("servicePrincipal/id eq '{}'", demo::SP_CORP);
    let one_page = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter={filter}"),
        &t,
    )
    .await;
    let paged = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter={filter}&$top=4"),
        &t,
    )
    .await;
    let ids = |v: &[Value]| {
        v.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&one_page), ids(&paged));
    let asc = all_pages(&c, format!("{base}v1.0/auditLogs/provisioning?$filter={filter}&$top=5&$orderby=activityDateTime asc"), &t).await;
    let mut rev = ids(&asc);
    rev.reverse();
    assert_eq!(rev, ids(&one_page));
    let times: Vec<&str> = one_page
        .iter()
        .map(|r| r["activityDateTime"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let (_, _, b) = get(
        &c,
        &format!(
            "{base}v1.0/auditLogs/provisioning?$filter=sourceIdentity/id eq '{}'",
            demo::OG_INVALID_DOMAIN
        ),
        &t,
    )
    .await;
    let v = b["value"].as_array().unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(
        v[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"],
        "InvalidDomain"
    );
    let (_, _, b) = get(&c, &format!("{base}v1.0/auditLogs/provisioning?$filter=(provisioningStatusInfo/status eq 'Skipped' or provisioningStatusInfo/status eq 'failure') and jobId eq '{}'", demo::JOB_CORP_PROVISIONING), &t).await;
    assert_eq!(b["value"].as_array().unwrap().len(), 8);
    let (_, _, b) = get(
        &c,
        &format!(
            "{base}beta/auditLogs/provisioning?$filter=sourceIdentity/id eq '{}'",
            demo::OG_CRITICAL
        ),
        &t,
    )
    .await;
    assert_eq!(b["value"][0]["statusInfo"]["status"], "skipped");
    assert_eq!(b["value"][0]["action"], "Other");

    for (bad, needle) in [
        ("$filter=foo eq 'x'", "'foo'"),
        ("$filter=startswith(jobId,'x')", "'startswith'"),
        ("$filter=jobId eq 'x", "unterminated"),
        ("$top=1001", "1001"),
        ("$orderby=jobId", "jobId"),
        ("$skiptoken=garbage", "garbage"),
    ] {
        let (s, _, b) = get(&c, &format!("{base}v1.0/auditLogs/provisioning?{bad}"), &t).await;
        assert_eq!(s, 400, "{bad}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains(needle),
            "{bad}: {b}"
        );
    }
    let yesterday =
        (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let recent = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter=activityDateTime gt {yesterday}&$top=2"),
        &t,
    )
    .await;
    let expect = all
        .iter()
        .filter(|r| r["activityDateTime"].as_str().unwrap() > yesterday.to_string().as_str())
        .count();
    assert_eq!(recent.len(), expect);
}

#[tokio::test]
async fn logs_are_throttled_at_five_per_ten_seconds_with_retry_after() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = format!("{base}v1.0/auditLogs/provisioning?$top=1");
    for _ in 0..5 {
        assert_eq!(get(&c, &url, &t).await.0, 200);
    }
    let (s, h, b) = get(&c, &url, &t).await;
    assert_eq!(s, 429);
    assert_eq!(b["error"]["code"], "TooManyRequests");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry));
    // other families are unaffected
    let (s, _, _) = get(&c, &format!("{base}v1.0/servicePrincipals"), &t).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_client_pacing_itself_to_the_budget_sees_no_429() {
    // 3 requests per 1.5 s, sent one every 500 ms (measured from the previous send).
    let mut config = SimConfig::for_tests();
    config.throttle.logs = Some(Budget::new(3, Duration::from_millis(1500)));
    let (sim, c, base) = start(config).await;
    let t = app_token(&sim);
    let url = format!("{base}v1.0/auditLogs/provisioning?$top=1");
    let mut last: Option<Instant> = None;
    for i in 0..7u32 {
        if let Some(prev) = last
            && let Some(wait) = Duration::from_millis(500).checked_sub(prev.elapsed())
        {
            tokio::time::sleep(wait).await;
        }
        last = Some(Instant::now());
        assert_eq!(get(&c, &url, &t).await.0, 200, "request {i}");
    }
}

#[tokio::test]
async fn batch_runs_each_item_through_the_routes_with_its_own_status() {
    let mut config = SimConfig::for_tests();
    config.throttle.logs = Some(Budget::new(1, Duration::from_secs(10)));
    let (sim, c, base) = start(config).await;
    let t = app_token(&sim);
    sim.clear_requests();
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/servicePrincipals/{}/synchronization/jobs/{}", demo::SP_CORP, demo::JOB_CORP_PHS)},
        {"id": "2", "method": "GET", "url": "/auditLogs/provisioning?$top=1"},
        {"id": "3", "method": "GET", "url": "/auditLogs/provisioning?$top=1"},
        {"id": "4", "method": "POST", "url": format!("/servicePrincipals/{}/synchronization/jobs/{}/restart", demo::SP_CORP, demo::JOB_CORP_PROVISIONING),
         "headers": {"Content-Type": "application/json"}, "body": {"criteria": {"resetScope": "Nope"}}},
        {"id": "5", "method": "GET", "url": "/servicePrincipals/does-not-exist"}
    ]});
    let (s, b) = post_json(&c, &format!("{base}v1.0/$batch"), &t, body).await;
    assert_eq!(s, 200);
    let by_id = |id: &str| {
        b["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["id"], demo::JOB_CORP_PHS);
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("3")["status"], 429);
    assert!(by_id("3")["headers"]["Retry-After"].is_string());
    assert_eq!(by_id("4")["status"], 400);
    assert_eq!(by_id("5")["status"], 404);
    assert_eq!(
        sim.requests().len(),
        6,
        "the batch and each item are recorded"
    );
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/servicePrincipals"}))
        .collect();
    let (s, _) = post_json(
        &c,
        &format!("{base}beta/$batch"),
        &t,
        json!({"requests": too_many}),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn provision_on_demand_answers_double_encoded_json_and_is_throttled() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = format!(
        "{}/provisionOnDemand",
        job_url(&base, demo::SP_CORP, demo::JOB_CORP_PROVISIONING)
    );
    let body = json!({"parameters": [{"ruleId": "6c409270-f78a-4bc6-af23-7cf3ab6482fe", "subjects": [{"objectId": "CN=AdeleV,CN=Users,DC=corp,DC=contoso,DC=com", "objectTypeName": "user"}]}]});
    let (s, b) = post_json(&c, &url, &t, body.clone()).await;
    assert_eq!(s, 200, "{b}");
    let key: Value = serde_json::from_str(b["key"].as_str().unwrap()).unwrap();
    let value: Value = serde_json::from_str(b["value"].as_str().unwrap()).unwrap();
    assert_eq!(key["result"], "Success");
    assert_eq!(value["provisioningSteps"][0]["type"], "Import");
    let r = c
        .post(&url)
        .bearer_auth(&t)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415, "Content-Type is required");
    for _ in 0..3 {
        assert_eq!(post_json(&c, &url, &t, body.clone()).await.0, 200);
    }
    assert_eq!(post_json(&c, &url, &t, body.clone()).await.0, 429);
}

/// Issue 14 item 2: the emulator masks credentials on GET as Graph does
/// (`tests/fixtures/real/README.md`): the SDK example's PUT reads back with `SecretToken` = `"*"`.
#[tokio::test]
async fn secrets_get_masks_credentials_as_graph_does() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = format!(
        "{base}v1.0/servicePrincipals/{}/synchronization/secrets",
        demo::SP_SERVICENOW
    );
    let put: Value = serde_json::from_str(include_str!(
        "../fixtures/real/put-synchronization-secrets.sdk-example.request.json"
    ))
    .unwrap();
    let r = c.put(&url).bearer_auth(&t).json(&put).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, _, got) = get(&c, &url, &t).await;
    let expected: Value = serde_json::from_str(include_str!(
        "../fixtures/real/get-synchronization-secrets.masked.json"
    ))
    .unwrap();
    assert_eq!(got["value"], expected["value"]);
}

#[tokio::test]
async fn secrets_schema_and_on_premises_synchronization() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = format!(
        "{base}beta/servicePrincipals/{}/synchronization/secrets",
        demo::SP_CORP
    );
    let r = c.put(&url).bearer_auth(&t).json(&json!({"value": [{"key": "SyncNotificationSettings", "value": "{\"Enabled\":false}"}]})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, _, b) = get(&c, &url, &t).await;
    assert_eq!(b["value"].as_array().unwrap().len(), 1, "PUT replaces all");
    let (s, _, b) = get(
        &c,
        &format!(
            "{}/schema",
            job_url(&base, demo::SP_CORP, demo::JOB_CORP_PROVISIONING)
        ),
        &t,
    )
    .await;
    assert_eq!(s, 200);
    assert!(b["synchronizationRules"][0]["id"].is_string());

    let user = sim.issue_token(TokenSpec::delegated(
        "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "admin@contoso.com",
        &["OnPremDirectorySynchronization.ReadWrite.All"],
    ));
    let one = format!(
        "{base}beta/directory/onPremisesSynchronization/{}",
        sim.tenant_id()
    );
    let (s, _, b) = get(&c, &one, &user).await;
    assert_eq!(s, 200);
    assert_eq!(
        b["configuration"]["accidentalDeletionPrevention"]["synchronizationPreventionType"],
        "enabledForCount"
    );
    assert!(b["configuration"]["synchronizationClientVersion"].is_string());
    let r = c.patch(&one).bearer_auth(&user).json(&json!({"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"disabled"}}})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (_, _, b) = get(
        &c,
        &format!("{base}v1.0/directory/onPremisesSynchronization"),
        &user,
    )
    .await;
    let cfg = &b["value"][0]["configuration"];
    assert_eq!(
        cfg["accidentalDeletionPrevention"]["synchronizationPreventionType"],
        "disabled"
    );
    assert_eq!(cfg["accidentalDeletionPrevention"]["alertThreshold"], 500);
    assert!(
        cfg.get("synchronizationClientVersion").is_none(),
        "v1.0 has only accidentalDeletionPrevention"
    );
}

#[tokio::test]
async fn faults_inject_errors_drops_truncation_latency_and_slow_bodies() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let url = format!("{base}v1.0/servicePrincipals");
    sim.set_faults("error-rate=1,seed=3".parse().unwrap());
    let (s, h, b) = get(&c, &url, &t).await;
    assert!([500, 502, 503, 504].contains(&s), "{s}");
    assert!(b["error"]["code"].is_string());
    assert!(h.contains_key("request-id"));
    sim.set_faults("drop-rate=1".parse().unwrap());
    assert!(c.get(&url).bearer_auth(&t).send().await.is_err());
    sim.set_faults("truncate-rate=1".parse().unwrap());
    let r = c.get(&url).bearer_auth(&t).send().await;
    let broken = match r {
        Err(_) => true,
        Ok(r) => match r.text().await {
            Err(_) => true,
            Ok(text) => serde_json::from_str::<Value>(&text).is_err(),
        },
    };
    assert!(broken);
    sim.set_faults("latency=200ms".parse().unwrap());
    let begin = Instant::now();
    assert_eq!(get(&c, &url, &t).await.0, 200);
    assert!(begin.elapsed() >= Duration::from_millis(200));
    sim.set_faults("slow-body=60ms".parse().unwrap());
    let begin = Instant::now();
    let (s, _, b) = get(&c, &url, &t).await;
    assert_eq!(s, 200);
    assert!(b["value"].is_array());
    assert!(begin.elapsed() >= Duration::from_millis(180));
    sim.set_faults(FaultSpec::default());
    assert_eq!(get(&c, &url, &t).await.0, 200);
}

#[tokio::test]
async fn faults_repeat_exactly_with_the_same_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (sim, c, base) = demo_sim().await;
        let t = app_token(&sim);
        sim.set_faults("error-rate=0.5,seed=11".parse().unwrap());
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(
                get(&c, &format!("{base}v1.0/servicePrincipals"), &t)
                    .await
                    .0,
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&200) && runs[0].iter().any(|s| *s >= 500));
}

#[tokio::test]
async fn generated_tenant_pages_every_log_once_and_filters_by_time() {
    let mut config = SimConfig::for_tests();
    config.throttle = ThrottleConfig::off();
    config.tenant = TenantSource::Generate(
        "sps=60,jobs=12,logs=5000,seed=7"
            .parse::<GenerateSpec>()
            .unwrap(),
    );
    let (sim, c, base) = start(config).await;
    let t = app_token(&sim);
    let all = all_pages(&c, format!("{base}v1.0/auditLogs/provisioning"), &t).await;
    assert_eq!(all.len(), 5000);
    let mut ids: Vec<&str> = all.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5000);
    let cut = all[1234]["activityDateTime"].as_str().unwrap().to_string();
    let newer = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter=activityDateTime gt {cut}&$top=700"),
        &t,
    )
    .await;
    let expect = all
        .iter()
        .filter(|r| r["activityDateTime"].as_str().unwrap() > cut.as_str())
        .count();
    assert_eq!(newer.len(), expect);
    let failures = all_pages(&c, format!("{base}beta/auditLogs/provisioning?$filter=provisioningStatusInfo/status eq 'failure' and activityDateTime lt {cut}&$orderby=activityDateTime asc"), &t).await;
    let expect = all
        .iter()
        .filter(|r| {
            r["provisioningStatusInfo"]["status"] == "failure"
                && r["activityDateTime"].as_str().unwrap() < cut.as_str()
        })
        .count();
    assert_eq!(failures.len(), expect);
    assert!(failures[0]["statusInfo"]["errorCode"].is_string());
    let job = all[17]["jobId"].as_str().unwrap().to_string();
    let sp = all[17]["servicePrincipal"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for order in ["desc", "asc"] {
        let one_job = all_pages(&c, format!("{base}v1.0/auditLogs/provisioning?$filter=jobId eq '{job}' and activityDateTime lt {cut}&$top=50&$orderby=activityDateTime {order}"), &t).await;
        let expect: Vec<&Value> = all
            .iter()
            .filter(|r| {
                r["jobId"] == job.as_str() && r["activityDateTime"].as_str().unwrap() < cut.as_str()
            })
            .collect();
        assert_eq!(one_job.len(), expect.len(), "{order}");
        assert!(!one_job.is_empty());
    }
    let by_sp = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter=servicePrincipal/id eq '{sp}'"),
        &t,
    )
    .await;
    assert_eq!(
        by_sp.len(),
        all.iter()
            .filter(|r| r["servicePrincipal"]["id"] == sp.as_str())
            .count()
    );
    let none = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter=jobId eq 'nope'"),
        &t,
    )
    .await;
    assert!(none.is_empty());
    let (_, _, sps) = get(&c, &format!("{base}v1.0/servicePrincipals?$top=999"), &t).await;
    assert_eq!(sps["value"].as_array().unwrap().len(), 60);
}

#[tokio::test]
async fn managed_identity_endpoints_issue_graph_tokens() {
    let (_sim, c, base) = demo_sim().await;
    let r = c.get(format!("{base}metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com")).send().await.unwrap();
    assert_eq!(r.status(), 400, "Metadata header required");
    let b: Value = c.get(format!("{base}metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com")).header("Metadata", "true").send().await.unwrap().json().await.unwrap();
    assert!(
        b["access_token"].is_string() && b["expires_on"].is_string() && b["client_id"].is_string()
    );
    let token = b["access_token"].as_str().unwrap().to_string();
    let (s, _, _) = get(&c, &format!("{base}v1.0/servicePrincipals"), &token).await;
    assert_eq!(s, 200);
    let b: Value = c
        .get(format!(
            "{base}msi/token?api-version=2019-08-01&resource=https://graph.microsoft.com"
        ))
        .header("X-IDENTITY-HEADER", "provctl-sim-identity-header")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["token_type"], "Bearer");
    assert!(b["resource"].is_string() && b["expires_on"].is_string());
}

#[tokio::test]
async fn request_log_records_everything_and_can_be_cleared() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    sim.clear_requests();
    assert!(sim.requests().is_empty());
    c.post(format!(
        "{base}v1.0/servicePrincipals/{}/synchronization/jobs/{}/restart",
        demo::SP_CORP,
        demo::JOB_CORP_PHS
    ))
    .bearer_auth(&t)
    .json(&json!({"criteria": {"resetScope": "Watermark"}}))
    .send()
    .await
    .unwrap();
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].status, 204);
    assert!(reqs[0].body.contains("Watermark"));
    let auth = reqs[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap();
    assert_eq!(auth.1, "<redacted>");
}

fn b64url(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[tokio::test]
async fn client_assertion_signed_with_a_registered_certificate_gets_a_token() {
    use aws_lc_rs::{digest, rand::SystemRandom, signature};
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap();
    let cert = rcgen::CertificateParams::new(vec!["provctl-test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let other_key =
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .unwrap();
    let mut tenant: Value =
        serde_json::from_str(include_str!("../../src/sim/demo-tenant.json")).unwrap();
    tenant["apps"][0]["certificates"] = json!([cert.pem()]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    std::fs::write(&path, tenant.to_string()).unwrap();
    let mut config = SimConfig::for_tests();
    config.tenant = TenantSource::File(path);
    let (sim, c, base) = start(config).await;
    let token_url = format!("{base}{}/oauth2/v2.0/token", sim.tenant_id());
    let x5t = b64url(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert.der()).as_ref());
    let assertion = |signing_key: &rcgen::KeyPair, exp_offset: i64| {
        let now = chrono::Utc::now().timestamp();
        let head = b64url(
            json!({"alg": "RS256", "typ": "JWT", "x5t": x5t})
                .to_string()
                .as_bytes(),
        );
        let body = b64url(
            json!({"aud": token_url, "iss": demo::CLIENT_ID, "sub": demo::CLIENT_ID, "jti": "1", "nbf": now, "exp": now + exp_offset})
                .to_string()
                .as_bytes(),
        );
        let kp = signature::RsaKeyPair::from_pkcs8(&signing_key.serialize_der()).unwrap();
        let mut sig = vec![0u8; kp.public_modulus_len()];
        kp.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            format!("{head}.{body}").as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{head}.{body}.{}", b64url(&sig))
    };
    let post = |a: String| {
        let c = c.clone();
        let url = token_url.clone();
        async move {
            let r = c
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", demo::CLIENT_ID),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", a.as_str()),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = post(assertion(&key, 600)).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["access_token"].is_string());
    let (s, b) = post(assertion(&other_key, 600)).await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (401, Some(700027)),
        "{b}"
    );
    let (s, b) = post(assertion(&key, -60)).await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (401, Some(700024)),
        "{b}"
    );
}

#[tokio::test]
async fn a_completed_run_writes_its_provisioning_logs() {
    let mut config = SimConfig::for_tests();
    config.throttle = ThrottleConfig::off();
    let (sim, c, base) = start(config).await;
    let t = app_token(&sim);
    let url = job_url(&base, demo::SP_SERVICENOW, demo::JOB_SERVICENOW);
    let s = action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "Escrows"}})),
    )
    .await;
    assert_eq!(s, 204);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, _, job) = get(&c, &url, &t).await;
    let cycle = job["status"]["lastExecution"]["activityIdentifier"]
        .as_str()
        .unwrap()
        .to_string();
    let logs = all_pages(
        &c,
        format!("{base}v1.0/auditLogs/provisioning?$filter=cycleId eq '{cycle}'"),
        &t,
    )
    .await;
    assert_eq!(logs.len(), 3, "one record per export");
    assert!(logs.iter().all(|r| r["jobId"] == demo::JOB_SERVICENOW));
}

#[tokio::test]
async fn batch_itself_needs_a_token() {
    let (_sim, c, base) = demo_sim().await;
    let r = c
        .post(format!("{base}v1.0/$batch"))
        .json(&json!({"requests": [{"id": "1", "method": "GET", "url": "/servicePrincipals"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_method_the_route_does_not_allow_gets_a_graph_envelope() {
    let (sim, c, base) = demo_sim().await;
    let t = app_token(&sim);
    let r = c
        .delete(format!("{base}v1.0/servicePrincipals"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "BadRequest");
    let (s, _, b) = get(&c, &format!("{base}v1.0/noSuchThing"), &t).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("noSuchThing")
    );
}

#[tokio::test]
async fn a_tenant_file_is_served_and_its_script_plays_run_by_run() {
    let mut config = SimConfig::for_tests();
    config.tenant = TenantSource::File("tests/fixtures/sim-tenant-minimal.json".into());
    let (sim, c, base) = start(config).await;
    assert_eq!(sim.tenant_id(), "11111111-2222-4333-8444-555555555555");
    let app = sim.demo_app();
    assert_eq!(app.client_secret, "fabrikam-secret");
    let t = sim.issue_token(TokenSpec::app(&app.client_id, ALL_ROLES));
    let sp = "99999999-8888-4777-8666-555555555501";
    let job =
        "AD2AADProvisioning.11111111222243338444555555555555.99999999-8888-4777-8666-555555555503";
    let url = job_url(&base, sp, job);
    action(&c, &url, "start", &t, None).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, _, j) = get(&c, &url, &t).await;
    assert_eq!(j["status"]["lastExecution"]["state"], "EntryLevelErrors");
    assert_eq!(j["status"]["lastExecution"]["countEscrowed"], 2);
    action(
        &c,
        &url,
        "restart",
        &t,
        Some(json!({"criteria": {"resetScope": "Escrows"}})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (_, _, j) = get(&c, &url, &t).await;
    assert_eq!(j["status"]["code"], "Quarantine");
    assert_eq!(
        j["status"]["quarantine"]["error"]["code"],
        "HybridIdentityServiceNoActiveAgents"
    );
    assert_eq!(j["status"]["quarantine"]["seriesCount"], 1);
    let (_, _, logs) = get(&c, &format!("{base}v1.0/auditLogs/provisioning?$filter=sourceIdentity/id eq 'f0f0f0f0-0000-4000-8000-000000000001'"), &t).await;
    assert_eq!(
        logs["value"][0]["sourceIdentity"]["displayName"],
        "Kim Akers"
    );
    let bad = Sim::start(SimConfig {
        tenant: TenantSource::File("tests/fixtures/missing.json".into()),
        ..SimConfig::for_tests()
    })
    .await;
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("missing.json"), "{err}");
}

/// One request per row of the permission table, against the demo tenant: `(method, url, body)`.
fn request_for(op: Operation, base: &str, tenant_id: &str) -> (reqwest::Method, String, Value) {
    use reqwest::Method;
    let job = job_url(base, demo::SP_CORP, demo::JOB_CORP_PROVISIONING);
    let sync = format!(
        "{base}v1.0/servicePrincipals/{}/synchronization",
        demo::SP_CORP
    );
    let none = Value::Null;
    match op {
        Operation::ListServicePrincipals => {
            (Method::GET, format!("{base}v1.0/servicePrincipals"), none)
        }
        Operation::ListJobs => (Method::GET, format!("{sync}/jobs"), none),
        Operation::GetJob => (Method::GET, job, none),
        Operation::StartJob => (Method::POST, format!("{job}/start"), json!({})),
        Operation::PauseJob => (Method::POST, format!("{job}/pause"), json!({})),
        Operation::RestartJob => (
            Method::POST,
            format!("{job}/restart"),
            json!({"criteria": {"resetScope": "Escrows"}}),
        ),
        Operation::ProvisionOnDemand => (
            Method::POST,
            format!("{job}/provisionOnDemand"),
            json!({"parameters": [{"ruleId": "6c409270-f78a-4bc6-af23-7cf3ab6482fe", "subjects": [{"objectId": "CN=AdeleV,CN=Users,DC=corp,DC=contoso,DC=com", "objectTypeName": "user"}]}]}),
        ),
        Operation::ValidateCredentials => (
            Method::POST,
            format!("{job}/validateCredentials"),
            json!({"useSavedCredentials": true}),
        ),
        Operation::GetSchema => (Method::GET, format!("{job}/schema"), none),
        Operation::GetSecrets => (Method::GET, format!("{sync}/secrets"), none),
        Operation::PutSecrets => (
            Method::PUT,
            format!("{sync}/secrets"),
            json!({"value": [{"key": "SyncNotificationSettings", "value": "{\"Enabled\":false}"}]}),
        ),
        Operation::ReadProvisioningLogs => (
            Method::GET,
            format!("{base}v1.0/auditLogs/provisioning"),
            none,
        ),
        Operation::ListAgents => (
            Method::GET,
            format!("{base}beta/onPremisesPublishingProfiles/provisioning/agents"),
            none,
        ),
        Operation::ListPublishedResources => (
            Method::GET,
            format!("{base}beta/onPremisesPublishingProfiles/provisioning/publishedResources"),
            none,
        ),
        Operation::GetOnPremisesSync => (
            Method::GET,
            format!("{base}v1.0/directory/onPremisesSynchronization"),
            none,
        ),
        Operation::UpdateOnPremisesSync => (
            Method::PATCH,
            format!("{base}beta/directory/onPremisesSynchronization/{tenant_id}"),
            json!({"configuration": {"accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount", "alertThreshold": 500}}}),
        ),
        Operation::GetFilterOperators => {
            (Method::GET, format!("{job}/schema/filterOperators"), none)
        }
        Operation::GetUser => (
            Method::GET,
            format!("{base}v1.0/users/{}", demo::USER_SN_CREATED),
            none,
        ),
        Operation::GetGroup => (
            Method::GET,
            format!("{base}v1.0/groups/{}", demo::GROUP_SN_USERS),
            none,
        ),
        Operation::ListAppRoleAssignments => (
            Method::GET,
            format!(
                "{base}v1.0/servicePrincipals/{}/appRoleAssignedTo",
                demo::SP_SERVICENOW
            ),
            none,
        ),
        Operation::CheckMemberGroups => (
            Method::POST,
            format!(
                "{base}v1.0/directoryObjects/{}/checkMemberGroups",
                demo::USER_SN_CREATED
            ),
            json!({"groupIds": [demo::GROUP_SN_USERS]}),
        ),
    }
}

async fn status_of(
    c: &reqwest::Client,
    (method, url, body): &(reqwest::Method, String, Value),
    token: &str,
) -> u16 {
    let mut r = c.request(method.clone(), url).bearer_auth(token);
    if !body.is_null() {
        r = r.json(body);
    }
    r.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn the_emulator_grants_and_refuses_exactly_what_the_permission_table_says() {
    let mut config = SimConfig::for_tests();
    config.throttle = ThrottleConfig::off();
    let (sim, c, base) = start(config).await;
    let every: Vec<&str> = {
        let mut all: Vec<&str> = GRANTS
            .iter()
            .flat_map(|g| g.delegated.iter().chain(g.application))
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    let user = |scopes: &[&str]| {
        sim.issue_token(TokenSpec::delegated(
            demo::CLIENT_ID,
            "admin@contoso.com",
            scopes,
        ))
    };
    let app = |roles: &[&str]| sim.issue_token(TokenSpec::app(demo::CLIENT_ID, roles));
    let but = |these: &[&str]| -> Vec<&str> {
        every
            .iter()
            .copied()
            .filter(|p| !these.contains(p))
            .collect()
    };
    for g in GRANTS {
        let req = request_for(g.operation, &base, sim.tenant_id());
        assert_eq!(
            operation_of_request(req.0.as_str(), &req.1),
            Some(g.operation),
            "the table's request classifier must know {}",
            req.1
        );
        let singles = g.delegated.iter().map(|p| ("delegated", *p, user(&[p])));
        let singles = singles.chain(g.application.iter().map(|p| ("application", *p, app(&[p]))));
        for (kind, p, token) in singles {
            let s = status_of(&c, &req, &token).await;
            assert!(
                (200..300).contains(&s),
                "{:?} with {kind} {p} alone: {s}",
                g.operation
            );
        }
        let s = status_of(&c, &req, &user(&but(g.delegated))).await;
        assert_eq!(
            s, 403,
            "{:?} with every delegated scope but its own",
            g.operation
        );
        let s = status_of(&c, &req, &app(&but(g.application))).await;
        assert_eq!(
            s, 403,
            "{:?} with every application role but its own",
            g.operation
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The export engine (library): failures injected through its write seam, the emulator's own
// records as the reference.

mod export_engine {
    use super::*;
    use provctl::export::checkpoint::Checkpoint;
    use provctl::export::format::ExportFormat;
    use provctl::export::{
        self, Destination, ExportError, ExportPlan, FailingWriter, Failure, FileDestination,
        FileRole, TimeArg, WriteSeam,
    };
    use provctl::graph::auth::StaticToken;
    use provctl::graph::logs::LogQuery;
    use provctl::graph::{Cloud, Endpoints, GraphClient};
    use std::collections::HashSet;
    use std::fs::File;
    use std::io::Write;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    struct Setup {
        sim: SimHandle,
        client: GraphClient,
        dir: tempfile::TempDir,
        want: HashSet<String>,
    }

    async fn setup(logs: u64) -> Setup {
        let (sim, http, base) = start(SimConfig {
            tenant: TenantSource::Generate(GenerateSpec {
                sps: 10,
                jobs: 4,
                logs,
                seed: 11,
            }),
            throttle: ThrottleConfig::off(),
            ..SimConfig::for_tests()
        })
        .await;
        let token = app_token(&sim);
        let client = GraphClient::builder()
            .endpoints(Endpoints::custom(&base, Some(&base), Cloud::Global).unwrap())
            .token_provider(StaticToken::new(token.clone()))
            .pacing(false)
            .build()
            .unwrap();
        // The reference: every record the emulator holds, straight from its HTTP API.
        let mut want = HashSet::new();
        let mut next = Some(format!("{base}v1.0/auditLogs/provisioning?$top=1000"));
        while let Some(url) = next {
            let (_, _, page) = get(&http, &url, &token).await;
            for r in page["value"].as_array().unwrap() {
                assert!(want.insert(r["id"].as_str().unwrap().to_owned()));
            }
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
        }
        assert_eq!(want.len() as u64, logs);
        let dir = tempfile::tempdir().unwrap();
        Setup {
            sim,
            client,
            dir,
            want,
        }
    }

    fn plan(page_size: u32) -> ExportPlan {
        let now = chrono::Utc::now();
        ExportPlan {
            query: LogQuery {
                page_size: Some(page_size),
                ..Default::default()
            },
            since: Some(TimeArg {
                at: now - chrono::Duration::days(40),
                text: "40d".into(),
            }),
            until: Some(TimeArg {
                at: now + chrono::Duration::minutes(5),
                text: "+5m".into(),
            }),
            format: ExportFormat::Ndjson,
        }
    }

    /// Data writes fail with `kind` once `after` bytes were written; checkpoints are not touched.
    struct DataFails {
        after: u64,
        kind: std::io::ErrorKind,
    }

    impl WriteSeam for DataFails {
        fn wrap(&self, file: File, role: FileRole) -> Box<dyn Write + Send> {
            match role {
                FileRole::Data => Box::new(FailingWriter::new(file, self.after, self.kind)),
                FileRole::Checkpoint => Box::new(file),
            }
        }
    }

    /// A new export to `out` through `seam`, expected to fail.
    async fn failing_export(s: &Setup, out: &Path, seam: Arc<dyn WriteSeam>) -> ExportError {
        let mut dest = FileDestination::new(out, false, false);
        dest.seam = seam;
        let (plan, dest) = (plan(100), Destination::File(dest));
        let r = export::run(&s.client, &plan, dest, never(), &mut |_| {}).await;
        r.unwrap_err()
    }

    fn never() -> std::future::Pending<()> {
        std::future::pending()
    }

    fn ids_in(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                v["id"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    fn assert_exactly_once(got: &[String], want: &HashSet<String>) {
        let set: HashSet<&String> = got.iter().collect();
        assert_eq!(set.len(), got.len(), "a record was written twice");
        assert_eq!(got.len(), want.len(), "records lost or invented");
        assert!(got.iter().all(|id| want.contains(id)));
    }

    /// After a failure: the checkpoint on disk names exactly the bytes of the partial file, the
    /// error says the same count, and no temporary file is left.
    fn assert_checkpoint_is_exact(out: &Path, e: &ExportError) -> u64 {
        let cp_path = export::checkpoint_path(out);
        let cp = Checkpoint::load(&cp_path).unwrap();
        let partial = export::partial_path(out);
        assert_eq!(std::fs::metadata(&partial).unwrap().len(), cp.offset);
        assert_eq!(ids_in(&partial).len() as u64, cp.count);
        cp.matches_file(&mut File::open(&partial).unwrap()).unwrap();
        match e {
            ExportError::Failed {
                safe: Some(safe), ..
            } => assert_eq!(
                safe.count, cp.count,
                "the error and the checkpoint disagree"
            ),
            other => panic!("{other:?}"),
        }
        assert!(!out.exists());
        assert!(!checkpoint::tmp(&cp_path).exists(), "temporary file left");
        cp.count
    }

    mod checkpoint {
        pub fn tmp(p: &std::path::Path) -> std::path::PathBuf {
            let mut s = p.as_os_str().to_owned();
            s.push(".tmp");
            s.into()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn write_errors_mid_page_then_an_expired_link_lose_and_repeat_nothing() {
        let s = setup(2400).await;
        // A full disk and another write error, each part-way through a page; after each, Graph
        // refuses the saved nextLink (the skiptoken expired) and the resume goes on from the
        // last record's time.
        let cases = [
            (std::io::ErrorKind::StorageFull, 530_000),
            (std::io::ErrorKind::Other, 1_700_000),
        ];
        for (n, (kind, after)) in cases.into_iter().enumerate() {
            let out = s.dir.path().join(format!("w{n}.ndjson"));
            let e = failing_export(&s, &out, Arc::new(DataFails { after, kind })).await;
            assert!(
                matches!(&e, ExportError::Failed { cause: Failure::Io { source, .. }, .. } if source.kind() == kind),
                "{e:?}"
            );
            let safe = assert_checkpoint_is_exact(&out, &e);
            assert!(safe > 0 && safe < 2400, "{safe}");
            s.sim.expire_page_links();
            let mut refused = 0;
            let done = export::run(
                &s.client,
                &plan(100),
                Destination::File(FileDestination::new(&out, true, false)),
                never(),
                &mut |e| refused += matches!(e, export::ExportEvent::LinkRefused(_)) as u32,
            )
            .await
            .unwrap();
            assert_eq!(
                refused, 1,
                "the expired link was followed once, then the time"
            );
            assert_eq!((done.count, done.added), (2400, 2400 - safe));
            assert_exactly_once(&ids_in(&out), &s.want);
            assert!(!export::checkpoint_path(&out).exists());
            assert!(!export::partial_path(&out).exists());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_while_checkpointing_keeps_the_previous_checkpoint_and_no_temp_file() {
        let s = setup(1500).await;
        struct CheckpointsFail(Mutex<u32>);
        impl WriteSeam for CheckpointsFail {
            fn wrap(&self, file: File, role: FileRole) -> Box<dyn Write + Send> {
                let mut n = self.0.lock().unwrap();
                *n += (role == FileRole::Checkpoint) as u32;
                // The first checkpoint (the header) is written; every later one hits a full disk.
                let left = if role == FileRole::Checkpoint && *n > 1 {
                    0
                } else {
                    u64::MAX
                };
                Box::new(FailingWriter::new(
                    file,
                    left,
                    std::io::ErrorKind::StorageFull,
                ))
            }
        }
        let out = s.dir.path().join("c.ndjson");
        let e = failing_export(&s, &out, Arc::new(CheckpointsFail(Mutex::new(0)))).await;
        let cp_path = export::checkpoint_path(&out);
        assert!(!checkpoint::tmp(&cp_path).exists(), "temporary file left");
        let cp = Checkpoint::load(&cp_path).unwrap();
        assert_eq!(cp.count, 0);
        match &e {
            ExportError::Failed {
                safe: Some(safe), ..
            } => assert_eq!(safe.count, 0, "{e}"),
            other => panic!("{other:?}"),
        }
        let done = export::run(
            &s.client,
            &plan(100),
            Destination::File(FileDestination::new(&out, true, false)),
            never(),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(done.count, 1500);
        assert_exactly_once(&ids_in(&out), &s.want);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stop_signal_checkpoints_and_the_resume_finishes_exactly_once() {
        let s = setup(3000).await;
        s.sim
            .set_faults("latency=15ms".parse::<FaultSpec>().unwrap());
        let out = s.dir.path().join("s.ndjson");
        let e = export::run(
            &s.client,
            &plan(100),
            Destination::File(FileDestination::new(&out, false, false)),
            tokio::time::sleep(Duration::from_millis(200)),
            &mut |_| {},
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                e,
                ExportError::Failed {
                    cause: Failure::Stopped,
                    ..
                }
            ),
            "{e:?}"
        );
        let safe = assert_checkpoint_is_exact(&out, &e);
        assert!(safe < 3000);
        s.sim.set_faults(FaultSpec::default());
        export::run(
            &s.client,
            &plan(100),
            Destination::File(FileDestination::new(&out, true, false)),
            never(),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_exactly_once(&ids_in(&out), &s.want);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_gets_every_record_once_in_each_format() {
        let s = setup(700).await;
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for format in [ExportFormat::Ndjson, ExportFormat::Json, ExportFormat::Csv] {
            let buf = Shared::default();
            let mut p = plan(128);
            p.format = format;
            let done = export::run(
                &s.client,
                &p,
                Destination::Stream(Box::new(buf.clone())),
                never(),
                &mut |_| {},
            )
            .await
            .unwrap();
            assert_eq!(done.count, 700);
            let bytes = buf.0.lock().unwrap().clone();
            let got: Vec<String> = match format {
                ExportFormat::Ndjson => String::from_utf8(bytes)
                    .unwrap()
                    .lines()
                    .map(|l| {
                        serde_json::from_str::<Value>(l).unwrap()["id"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect(),
                ExportFormat::Json => serde_json::from_slice::<Vec<Value>>(&bytes)
                    .unwrap()
                    .iter()
                    .map(|v| v["id"].as_str().unwrap().to_owned())
                    .collect(),
                ExportFormat::Csv => csv::Reader::from_reader(&bytes[..])
                    .records()
                    .map(|r| r.unwrap()[0].to_owned())
                    .collect(),
            };
            assert_exactly_once(&got, &s.want);
        }
    }
}

/// A client of the emulator's plain-HTTP side with an app token and no retries.
fn monitor_client(sim: &SimHandle, base: &str) -> provctl::graph::GraphClient {
    use provctl::graph::auth::StaticToken;
    use provctl::graph::{Cloud, Endpoints, GraphClient, RetryPolicy};
    GraphClient::builder()
        .endpoints(Endpoints::custom(base, None, Cloud::Global).expect("endpoints"))
        .token_provider(StaticToken::new(app_token(sim)))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn the_monitor_keeps_the_last_good_snapshot_and_marks_it_stale_when_graph_fails() {
    use provctl::monitor::{Monitor, MonitorOptions};
    let (sim, _, base) = demo_sim().await;
    let monitor = Monitor::new(
        vec![("contoso".into(), Ok(monitor_client(&sim, &base)))],
        MonitorOptions::default(),
    );
    let states = monitor.refresh().await;
    let jobs = states[0].last_good.as_ref().map(|s| s.jobs.len());
    assert_eq!(jobs, Some(7), "{:?}", states[0].last_error);
    let fresh = monitor.encode(chrono::Utc::now(), false);
    assert!(
        fresh.contains("provctl_tenant_up{tenant=\"contoso\"} 1\n"),
        "{fresh}"
    );
    assert!(
        fresh.contains("provctl_snapshot_stale{tenant=\"contoso\"} 0\n"),
        "{fresh}"
    );
    // App-only tokens cannot read agents: the metrics say so instead of failing the refresh.
    assert!(
        fresh.contains("provctl_agents_readable{tenant=\"contoso\"} 0\n"),
        "{fresh}"
    );

    sim.set_faults(FaultSpec {
        error_rate: 1.0,
        ..FaultSpec::default()
    });
    let states = monitor.refresh().await;
    assert!(states[0].last_error.is_some());
    assert_eq!(states[0].last_good.as_ref().map(|s| s.jobs.len()), Some(7));
    let stale = monitor.encode(chrono::Utc::now(), false);
    assert!(
        stale.contains("provctl_tenant_up{tenant=\"contoso\"} 0\n"),
        "{stale}"
    );
    assert!(
        stale.contains("provctl_snapshot_stale{tenant=\"contoso\"} 1\n"),
        "{stale}"
    );
    assert!(
        stale.contains("provctl_refresh_failures_total{tenant=\"contoso\"} 1\n"),
        "{stale}"
    );
    assert!(
        !stale.contains("provctl_graph_errors_total{tenant=\"contoso\"} 0\n"),
        "{stale}"
    );
    // The jobs of the last good refresh are still there.
    assert!(
        stale.contains(&format!("job_id=\"{}\"", demo::JOB_BOX)),
        "{stale}"
    );
    // Encoding reads only what is held: no request reached the emulator.
    sim.clear_requests();
    let _ = monitor.encode(chrono::Utc::now(), true);
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn one_port_serves_several_tenants_each_with_its_own_credentials_and_data() {
    let doc = |tenant: &str, client: &str, secret: &str, sp: &str| {
        let mut d: Value =
            serde_json::from_str(include_str!("../fixtures/sim-tenant-minimal.json"))
                .expect("json");
        d["tenantId"] = json!(tenant);
        d["domains"] = json!([format!("{sp}.onmicrosoft.com")]);
        d["apps"][0]["clientId"] = json!(client);
        d["apps"][0]["clientSecret"] = json!(secret);
        d["servicePrincipals"][0]["displayName"] = json!(sp);
        d
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for (i, name) in ["north", "south"].iter().enumerate() {
        let path = dir.path().join(format!("{name}.json"));
        let tenant = format!("{:08x}-2222-4333-8444-555555555555", i + 1);
        let client = format!("{:08x}-bbbb-4ccc-8ddd-eeeeeeeeeeee", i + 1);
        std::fs::write(
            &path,
            doc(&tenant, &client, &format!("{name}-secret"), name).to_string(),
        )
        .expect("write");
        files.push(TenantSource::File(path));
    }
    let south = files.pop().expect("south");
    let north = files.pop().expect("north");
    let (sim, c, base) = start(SimConfig {
        tenant: north,
        extra_tenants: vec![south],
        ..SimConfig::for_tests()
    })
    .await;
    assert_eq!(sim.tenant_ids().len(), 2);
    let token = |tenant: &str, client: &str, secret: &str| {
        let c = c.clone();
        let url = format!("{base}{tenant}/oauth2/v2.0/token");
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", client.to_owned()),
            ("client_secret", secret.to_owned()),
            ("scope", "https://graph.microsoft.com/.default".to_owned()),
        ];
        async move {
            let r = c.post(url).form(&form).send().await.expect("token request");
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v["access_token"].as_str().unwrap_or("").to_owned())
        }
    };
    // South's app signs in to south (by domain), not to north.
    let (status, south_token) = token(
        "south.onmicrosoft.com",
        "00000002-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "south-secret",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = token(
        "00000001-2222-4333-8444-555555555555",
        "00000002-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "south-secret",
    )
    .await;
    assert_eq!(status, 400, "north must not know south's app");
    // Graph answers south's token with south's data.
    let (status, _, sps) = get(&c, &format!("{base}v1.0/servicePrincipals"), &south_token).await;
    assert_eq!(status, 200);
    assert_eq!(sps["value"][0]["displayName"], "south");
    // North saw only the refused sign-in, none of south's Graph calls.
    let north: Vec<String> = sim
        .tenant_requests("00000001-2222-4333-8444-555555555555")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        north,
        ["/00000001-2222-4333-8444-555555555555/oauth2/v2.0/token"]
    );
}
