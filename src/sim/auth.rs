//! The login side of the emulator: `POST /{tenant}/oauth2/v2.0/token` (client credentials with a
//! secret or a certificate assertion, refresh token, device code), `POST .../devicecode`, and the
//! managed identity endpoints (IMDS, App Service, and Azure Cloud Shell's `MSI_ENDPOINT`). Errors
//! use Entra's OAuth error shape with AADSTS codes, not Graph's envelope. A user sign-in that asks
//! for a permission the user never consented to (the tenant file's `users[].scopes`) is refused
//! with AADSTS65001, as Entra refuses it.

use super::server::{DeviceGrant, RefreshGrant, ReqIds, St, lock};
use super::tenant::App;
use super::tokens::{UserInfo, random_b64};
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::collections::HashMap;

const GRAPH: &str = "https://graph.microsoft.com";
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn oauth_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    r
}

/// An Entra OAuth error (`error`, `error_description` with the AADSTS code, `error_codes`, ids).
pub(crate) fn oauth_error(
    ids: &ReqIds,
    status: StatusCode,
    error: &str,
    code: u32,
    message: &str,
) -> Response {
    oauth_json(status, &oauth_error_body(ids, error, code, message))
}

fn oauth_error_body(ids: &ReqIds, error: &str, code: u32, message: &str) -> Value {
    let now = chrono::Utc::now();
    let ts = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let description = format!(
        "AADSTS{code}: {message} Trace ID: {} Correlation ID: {} Timestamp: {ts}",
        ids.request_id, ids.client_request_id
    );
    json!({
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": ids.request_id,
        "correlation_id": ids.client_request_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    })
}

fn form(headers: &HeaderMap, body: &Bytes) -> Option<HashMap<String, String>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return None;
    }
    Some(url::form_urlencoded::parse(body).into_owned().collect())
}

fn missing(ids: &ReqIds, name: &str) -> Response {
    oauth_error(
        ids,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn unknown_tenant(ids: &ReqIds, tenant: &str) -> Response {
    oauth_error(
        ids,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

fn unknown_client(ids: &ReqIds, client_id: &str, tenant: &str) -> Response {
    oauth_error(
        ids,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// Delegated scopes named in a `scope` parameter (resource prefix stripped, OIDC scopes dropped).
/// Any cloud's Graph resource is accepted (`https://graph.microsoft.us/…`), as the client asks
/// for the selected cloud's.
fn graph_scopes(scope: &str, default: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in scope.split_whitespace() {
        let s = match s.strip_prefix("https://") {
            Some(rest) => rest.rsplit_once('/').map_or(s, |(_, p)| p),
            None => s,
        };
        match s {
            "openid" | "profile" | "offline_access" | "email" => {}
            ".default" => out.extend(default.iter().cloned()),
            other => out.push(other.to_string()),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn token_body(access: &str, lifetime: i64, scope: Option<&str>, refresh: Option<&str>) -> Value {
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    if let Some(s) = scope {
        body["scope"] = json!(s);
    }
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    body
}

/// `POST /{tenant}/oauth2/v2.0/token`
pub(crate) async fn token(
    State(st): State<St>,
    Extension(ids): Extension<ReqIds>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !lock(&st.tenant).is_known_tenant(&tenant) {
        return unknown_tenant(&ids, &tenant);
    }
    let Some(f) = form(&headers, &body) else {
        return missing(&ids, "grant_type");
    };
    let Some(grant) = f.get("grant_type") else {
        return missing(&ids, "grant_type");
    };
    match grant.as_str() {
        "client_credentials" => client_credentials(&st, &ids, &tenant, &f),
        "refresh_token" => refresh(&st, &ids, &f),
        DEVICE_CODE_GRANT => device_token(&st, &ids, &f),
        other => oauth_error(
            &ids,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn find_app(st: &St, client_id: &str) -> Option<App> {
    lock(&st.tenant)
        .apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
        .cloned()
}

fn client_credentials(
    st: &St,
    ids: &ReqIds,
    tenant: &str,
    f: &HashMap<String, String>,
) -> Response {
    let Some(client_id) = f.get("client_id").filter(|c| !c.is_empty()) else {
        return missing(ids, "client_id");
    };
    let scope = f.get("scope").map(String::as_str).unwrap_or("");
    if scope.is_empty() {
        return missing(ids, "scope");
    }
    let resource = scope.trim().strip_suffix("/.default");
    match resource {
        Some(r) if r.trim_end_matches('/') == GRAPH || r == GRAPH_APP_ID => {}
        Some(r) => {
            return oauth_error(
                ids,
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                500011,
                &format!(
                    "The resource principal named {r} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                ),
            );
        }
        None => {
            return oauth_error(
                ids,
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            );
        }
    }
    let Some(app) = find_app(st, client_id) else {
        return unknown_client(ids, client_id, tenant);
    };
    if let Some(secret) = f.get("client_secret") {
        if app.client_secret.as_deref() != Some(secret.as_str()) {
            return oauth_error(
                ids,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.".replace("{client_id}", client_id).as_str(),
            );
        }
    } else if let Some(assertion) = f.get("client_assertion") {
        if f.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
            return oauth_error(
                ids,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            );
        }
        if let Err((code, msg)) = check_assertion(&app, assertion) {
            return oauth_error(ids, StatusCode::UNAUTHORIZED, "invalid_client", code, &msg);
        }
    } else {
        return oauth_error(
            ids,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let lifetime = st.token_lifetime;
    let (access, _) = lock(&st.tokens).mint(
        &st.tenant_id,
        &app.client_id,
        &app.display_name,
        &app.client_id,
        Some(&app.roles),
        None,
        None,
        lifetime,
    );
    oauth_json(
        StatusCode::OK,
        &token_body(&access, lifetime.as_secs() as i64, None, None),
    )
}

/// Check a client assertion's header (`x5t` of a registered certificate) and claims
/// (`aud`, `iss` = `sub` = client id, `exp`).
fn check_assertion(app: &App, assertion: &str) -> Result<(), (u32, String)> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let decode = |s: &str| -> Option<Value> {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    };
    let malformed = || (50012, "Client assertion is not a valid JWT.".to_string());
    if parts.len() != 3 {
        return Err(malformed());
    }
    let head = decode(parts[0]).ok_or_else(malformed)?;
    let claims = decode(parts[1]).ok_or_else(malformed)?;
    if head["alg"].as_str() != Some("RS256") && head["alg"].as_str() != Some("PS256") {
        return Err((
            5002738,
            "Invalid JWT token. Only RS256 and PS256 are supported.".into(),
        ));
    }
    let x5t = head["x5t"]
        .as_str()
        .or_else(|| head["x5t#S256"].as_str())
        .unwrap_or("")
        .trim_end_matches('=');
    let cert = app
        .certificates
        .iter()
        .find(|c| c.x5t == x5t || c.x5t_s256 == x5t);
    let Some(cert) = cert else {
        return Err((
            700027,
            format!(
                "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{x5t}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                app.client_id
            ),
        ));
    };
    let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = if head["alg"] == "PS256" {
        &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256
    } else {
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256
    };
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2].trim_end_matches('='))
        .unwrap_or_default();
    let signed = &assertion[..parts[0].len() + 1 + parts[1].len()];
    if aws_lc_rs::signature::UnparsedPublicKey::new(alg, &cert.spki)
        .verify(signed.as_bytes(), &signature)
        .is_err()
    {
        return Err((
            700027,
            "Client assertion failed signature validation.".into(),
        ));
    }
    let aud = claims["aud"].as_str().unwrap_or("");
    if !(aud.ends_with("/oauth2/v2.0/token") || aud.ends_with("/oauth2/token")) {
        return Err((
            700021,
            format!("Client assertion audience claim '{aud}' does not match the token endpoint."),
        ));
    }
    if claims["iss"].as_str() != Some(&app.client_id)
        || claims["sub"].as_str() != Some(&app.client_id)
    {
        return Err((
            700023,
            "Client assertion audience claim does not match Realm issuer.".into(),
        ));
    }
    let exp = claims["exp"].as_i64().unwrap_or(0);
    if exp <= chrono::Utc::now().timestamp() {
        return Err((
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(())
}

fn user_tokens(
    st: &St,
    client_id: &str,
    app_name: &str,
    scopes: &[String],
    user_index: usize,
    offline: bool,
    acrs: &[String],
) -> Option<Value> {
    let user = lock(&st.tenant).users.get(user_index).cloned()?;
    let lifetime = st.token_lifetime;
    let (access, _) = lock(&st.tokens).mint(
        &st.tenant_id,
        client_id,
        app_name,
        client_id,
        None,
        Some(scopes),
        Some(UserInfo {
            upn: &user.upn,
            name: &user.display_name,
            oid: &user.id,
            acrs,
        }),
        lifetime,
    );
    let refresh = offline.then(|| {
        let rt = format!("1.AS0A{}", random_b64(96));
        lock(&st.refresh_tokens).insert(
            rt.clone(),
            RefreshGrant {
                client_id: client_id.to_string(),
                scopes: scopes.to_vec(),
                acrs: acrs.to_vec(),
                user_index,
                expires: chrono::Utc::now() + chrono::Duration::days(90),
            },
        );
        rt
    });
    let scope = scopes
        .iter()
        .map(|s| format!("{GRAPH}/{s}"))
        .chain(offline.then(|| "offline_access".to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    Some(token_body(
        &access,
        lifetime.as_secs() as i64,
        Some(&scope),
        refresh.as_deref(),
    ))
}

/// The authentication contexts a `claims` request parameter asks for
/// (`{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`, or `"values":[...]`).
fn claims_acrs(f: &HashMap<String, String>) -> Vec<String> {
    let Some(v) = f
        .get("claims")
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
    else {
        return Vec::new();
    };
    let acrs = &v["access_token"]["acrs"];
    let mut out: Vec<String> = acrs["value"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(list) = acrs["values"].as_array() {
        out.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    out
}

/// The delegated permissions user `user_index` has consented to for the client: the tenant file's
/// `users[].scopes` (the demo admin: all of them).
fn consented(st: &St, user_index: usize) -> Vec<String> {
    lock(&st.tenant)
        .users
        .get(user_index)
        .map(|u| u.scopes.clone())
        .unwrap_or_default()
}

/// Entra's answer when a user sign-in asks for a permission nobody consented to (the token
/// endpoint's `invalid_grant` with AADSTS65001 and `suberror` `consent_required`), or `None`
/// when every one of `asked` was consented.
fn consent_missing(
    st: &St,
    ids: &ReqIds,
    client_id: &str,
    asked: &[String],
    user_index: usize,
) -> Option<Response> {
    let granted = consented(st, user_index);
    if asked
        .iter()
        .all(|a| granted.iter().any(|g| g.eq_ignore_ascii_case(a)))
    {
        return None;
    }
    let name = find_app(st, client_id)
        .map(|a| a.display_name)
        .unwrap_or_default();
    let mut body = oauth_error_body(
        ids,
        "invalid_grant",
        65001,
        &format!(
            "The user or administrator has not consented to use the application with ID '{client_id}' named '{name}'. Send an interactive authorization request for this user and resource."
        ),
    );
    body["suberror"] = json!("consent_required");
    Some(oauth_json(StatusCode::BAD_REQUEST, &body))
}

fn refresh(st: &St, ids: &ReqIds, f: &HashMap<String, String>) -> Response {
    let Some(rt) = f.get("refresh_token") else {
        return missing(ids, "refresh_token");
    };
    // A refresh token may ask for other consented permissions of the same resource (incremental
    // consent); one never consented is refused with AADSTS65001 and the token stays usable.
    let known = lock(&st.refresh_tokens).get(rt).cloned();
    if let (Some(g), Some(scope)) = (&known, f.get("scope")) {
        let granted = consented(st, g.user_index);
        let asked = graph_scopes(scope, &granted);
        if let Some(refused) = consent_missing(st, ids, &g.client_id, &asked, g.user_index) {
            return refused;
        }
        if let Some(g) = lock(&st.refresh_tokens).get_mut(rt) {
            g.scopes = asked;
        }
    }
    let grant = lock(&st.refresh_tokens).remove(rt);
    let expired = || {
        oauth_error(
            ids,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued on an earlier date and was inactive for 90.00:00:00.",
        )
    };
    let Some(grant) = grant.filter(|g| g.expires > chrono::Utc::now()) else {
        return expired();
    };
    if let Some(c) = f.get("client_id")
        && !c.eq_ignore_ascii_case(&grant.client_id)
    {
        return expired();
    }
    let name = find_app(st, &grant.client_id)
        .map(|a| a.display_name)
        .unwrap_or_default();
    let mut acrs = grant.acrs.clone();
    acrs.extend(claims_acrs(f));
    match user_tokens(
        st,
        &grant.client_id,
        &name,
        &grant.scopes,
        grant.user_index,
        true,
        &acrs,
    ) {
        Some(body) => oauth_json(StatusCode::OK, &body),
        None => expired(),
    }
}

fn device_token(st: &St, ids: &ReqIds, f: &HashMap<String, String>) -> Response {
    let Some(code) = f.get("device_code") else {
        return missing(ids, "device_code");
    };
    let mut codes = lock(&st.device_codes);
    let Some(grant) = codes.get_mut(code) else {
        return oauth_error(
            ids,
            StatusCode::BAD_REQUEST,
            "bad_verification_code",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        );
    };
    if grant.expires <= chrono::Utc::now() {
        codes.remove(code);
        return oauth_error(
            ids,
            StatusCode::BAD_REQUEST,
            "expired_token",
            70019,
            "Verification code expired.",
        );
    }
    if grant.polls < st.device_code_polls {
        grant.polls += 1;
        return oauth_error(
            ids,
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        );
    }
    let Some(grant) = codes.remove(code) else {
        return missing(ids, "device_code");
    };
    drop(codes);
    // The user approved in the browser; a permission nobody consented is refused there, and the
    // poll gets the refusal.
    if let Some(refused) = consent_missing(st, ids, &grant.client_id, &grant.scopes, 0) {
        return refused;
    }
    let name = find_app(st, &grant.client_id)
        .map(|a| a.display_name)
        .unwrap_or_default();
    match user_tokens(
        st,
        &grant.client_id,
        &name,
        &grant.scopes,
        0,
        grant.offline,
        &grant.acrs,
    ) {
        Some(body) => oauth_json(StatusCode::OK, &body),
        None => oauth_error(
            ids,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            50034,
            "The user account does not exist in the directory.",
        ),
    }
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`
pub(crate) async fn device_code(
    State(st): State<St>,
    Extension(ids): Extension<ReqIds>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !lock(&st.tenant).is_known_tenant(&tenant) {
        return unknown_tenant(&ids, &tenant);
    }
    let Some(f) = form(&headers, &body) else {
        return missing(&ids, "client_id");
    };
    let Some(client_id) = f.get("client_id") else {
        return missing(&ids, "client_id");
    };
    let Some(app) = find_app(&st, client_id) else {
        return unknown_client(&ids, client_id, &tenant);
    };
    if !app.public_client {
        return oauth_error(
            &ids,
            StatusCode::BAD_REQUEST,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let scope = f.get("scope").map(String::as_str).unwrap_or("");
    let user_scopes = lock(&st.tenant)
        .users
        .first()
        .map(|u| u.scopes.clone())
        .unwrap_or_default();
    let scopes = graph_scopes(scope, &user_scopes);
    let offline = scope.split_whitespace().any(|s| s == "offline_access");
    let device_code = format!("DAQABIQEAAAB{}", random_b64(96));
    let user_code: String = random_b64(12)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(9)
        .collect::<String>()
        .to_ascii_uppercase();
    lock(&st.device_codes).insert(
        device_code.clone(),
        DeviceGrant {
            client_id: app.client_id.clone(),
            scopes,
            acrs: claims_acrs(&f),
            offline,
            polls: 0,
            expires: chrono::Utc::now() + chrono::Duration::seconds(900),
        },
    );
    oauth_json(
        StatusCode::OK,
        &json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": format!("To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code {user_code} to authenticate."),
        }),
    )
}

fn mi_query(raw: &Option<String>) -> HashMap<String, String> {
    super::server::query_pairs(raw).into_iter().collect()
}

fn graph_resource(r: &str) -> bool {
    let r = r.trim_end_matches("/.default").trim_end_matches('/');
    r == GRAPH || r == GRAPH_APP_ID
}

fn mi_token(st: &St) -> Option<(String, i64, String)> {
    let mi = lock(&st.tenant).managed_identity.clone()?;
    let lifetime = st.token_lifetime;
    let (access, exp) = lock(&st.tokens).mint(
        &st.tenant_id,
        &mi.client_id,
        "provctl managed identity",
        &mi.principal_id,
        Some(&mi.roles),
        None,
        None,
        lifetime,
    );
    Some((access, exp, mi.client_id))
}

fn plain_error(status: StatusCode, error: &str, description: &str) -> Response {
    oauth_json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// IMDS and Cloud Shell refuse a request without `Metadata: true` (a guard against SSRF).
fn metadata_missing(headers: &HeaderMap) -> Option<Response> {
    (headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true")).then(|| {
        plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified",
        )
    })
}

/// The managed-identity answer to a `resource` that is not Graph.
fn not_graph(resource: &str) -> Option<Response> {
    (!graph_resource(resource)).then(|| {
        plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            &format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant."
            ),
        )
    })
}

/// IMDS: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...` with `Metadata: true`.
pub(crate) async fn imds_token(
    State(st): State<St>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(refused) = metadata_missing(&headers) {
        return refused;
    }
    let q = mi_query(&raw);
    if !q.contains_key("api-version") {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        );
    }
    let resource = q.get("resource").cloned().unwrap_or_default();
    if let Some(refused) = not_graph(&resource) {
        return refused;
    }
    let Some((access, exp, client_id)) = mi_token(&st) else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    };
    let now = chrono::Utc::now().timestamp();
    let life = (exp - now).to_string();
    oauth_json(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "client_id": client_id,
            "expires_in": life,
            "expires_on": exp.to_string(),
            "ext_expires_in": life,
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    )
}

/// Azure Cloud Shell: `POST {MSI_ENDPOINT}` (`http://localhost:50342/oauth2/token` there) with the
/// form body `resource=...` and `Metadata: true`. Cloud Shell sets `MSI_ENDPOINT` without
/// `MSI_SECRET` and answers for the user signed in to the portal: a delegated token of the
/// tenant's first user, in the managed-identity answer shape (`expires_on` as a string of
/// seconds, `resource` echoed).
pub(crate) async fn cloud_shell_token(
    State(st): State<St>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = metadata_missing(&headers) {
        return refused;
    }
    let f: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let resource = f.get("resource").cloned().unwrap_or_default();
    if let Some(refused) = not_graph(&resource) {
        return refused;
    }
    let client_id = lock(&st.tenant)
        .apps
        .first()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    let scopes = consented(&st, 0);
    let Some(body) = user_tokens(&st, &client_id, "Azure Cloud Shell", &scopes, 0, false, &[])
    else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "No user is signed in to Cloud Shell",
        );
    };
    let now = chrono::Utc::now().timestamp();
    let life = body["expires_in"].as_i64().unwrap_or(0);
    oauth_json(
        StatusCode::OK,
        &json!({
            "access_token": body["access_token"],
            "expires_in": life.to_string(),
            "expires_on": (now + life).to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    )
}

/// App Service: `GET {IDENTITY_ENDPOINT}?resource=...&api-version=2019-08-01` with `X-IDENTITY-HEADER`.
pub(crate) async fn app_service_token(
    State(st): State<St>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let expected = lock(&st.tenant)
        .managed_identity
        .as_ref()
        .map(|m| m.identity_header.clone());
    let given = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    let Some(expected) = expected else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    };
    if given != Some(expected.as_str()) {
        return oauth_json(
            StatusCode::UNAUTHORIZED,
            &json!({"statusCode": 401, "message": "Unauthorized. X-IDENTITY-HEADER is missing or invalid."}),
        );
    }
    let q = mi_query(&raw);
    if q.get("api-version").map(String::as_str) != Some("2019-08-01") {
        return oauth_json(
            StatusCode::BAD_REQUEST,
            &json!({"statusCode": 400, "message": "api-version must be 2019-08-01."}),
        );
    }
    let resource = q.get("resource").cloned().unwrap_or_default();
    if !graph_resource(&resource) {
        return oauth_json(
            StatusCode::BAD_REQUEST,
            &json!({"statusCode": 400, "message": format!("AADSTS500011: The resource principal named {resource} was not found in the tenant.")}),
        );
    }
    let Some((access, exp, client_id)) = mi_token(&st) else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    };
    oauth_json(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "expires_on": exp.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }),
    )
}
