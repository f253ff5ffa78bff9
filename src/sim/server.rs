//! The emulator's HTTP side: shared state, the router (Graph `v1.0`/`beta`, login, managed
//! identity), the framing middleware every request passes (request log, request ids, Graph error
//! envelope), bearer-token authorization and permission checks, the directory routes
//! (servicePrincipals, agents, onPremisesSynchronization), and the listeners (HTTPS + plain HTTP).

use super::faults::{Decision, FaultSpec, FaultState};
use super::tenant::{Tenant, doc_id};
use super::throttle::{Family, Throttle};
use super::tokens::{Claims, TokenProblem, TokenSpec, TokenStore, UserInfo};
use super::{DemoApp, RequestRecord, SimConfig, SimError, SimHandle, TenantSource};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The Content-Type Graph answers JSON with.
pub(crate) const JSON_CT: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Lock a mutex, surviving poisoning (a panicked handler must not take the emulator down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A device code waiting for approval.
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Authentication contexts a claims request asked for.
    pub acrs: Vec<String>,
    pub offline: bool,
    pub polls: u32,
    pub expires: chrono::DateTime<chrono::Utc>,
}

/// What a refresh token stands for.
#[derive(Clone)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Authentication contexts the sign-in satisfied; a claims request adds to them.
    pub acrs: Vec<String>,
    pub user_index: usize,
    pub expires: chrono::DateTime<chrono::Utc>,
}

/// Everything the handlers share.
pub(crate) struct AppState {
    pub tenant: Mutex<Tenant>,
    pub tokens: Mutex<TokenStore>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub throttle: Throttle,
    pub faults: Mutex<FaultState>,
    pub cycle: Duration,
    pub token_lifetime: Duration,
    pub device_code_polls: u32,
    pub device_codes: Mutex<HashMap<String, DeviceGrant>>,
    pub refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
    /// The router, for `$batch` items; cleared at shutdown to break the state ↔ router cycle.
    pub router: Mutex<Option<Router>>,
    pub tenant_id: String,
    /// Log paging tokens carry the generation they were issued in; older ones are refused as
    /// expired (Graph documents that a `$skiptoken` can expire).
    pub link_generation: std::sync::atomic::AtomicU64,
}

pub(crate) type St = Arc<AppState>;

impl AppState {
    pub fn demo_app(&self) -> DemoApp {
        let t = lock(&self.tenant);
        t.apps
            .iter()
            .find(|a| a.client_secret.is_some())
            .map(|a| DemoApp {
                client_id: a.client_id.clone(),
                client_secret: a.client_secret.clone().unwrap_or_default(),
            })
            .unwrap_or(DemoApp {
                client_id: String::new(),
                client_secret: String::new(),
            })
    }

    /// The first user's name and delegated scopes.
    pub fn first_user(&self) -> Option<(String, Vec<String>)> {
        let t = lock(&self.tenant);
        t.users.first().map(|u| (u.upn.clone(), u.scopes.clone()))
    }

    pub fn issue_token(&self, spec: &TokenSpec) -> String {
        let mut store = lock(&self.tokens);
        match spec {
            TokenSpec::App {
                client_id,
                roles,
                lifetime,
            } => {
                store
                    .mint(
                        &self.tenant_id,
                        client_id,
                        "provctl test app",
                        client_id,
                        Some(roles),
                        None,
                        None,
                        *lifetime,
                    )
                    .0
            }
            TokenSpec::Delegated {
                client_id,
                scopes,
                upn,
                lifetime,
            } => {
                let oid = lock(&self.tenant)
                    .users
                    .iter()
                    .find(|u| u.upn.eq_ignore_ascii_case(upn))
                    .map(|u| u.id.clone())
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                store
                    .mint(
                        &self.tenant_id,
                        client_id,
                        "provctl test app",
                        client_id,
                        None,
                        Some(scopes),
                        Some(UserInfo {
                            upn,
                            name: upn,
                            oid: &oid,
                            acrs: &[],
                        }),
                        *lifetime,
                    )
                    .0
            }
        }
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }
    pub fn clear_requests(&self) {
        lock(&self.requests).clear()
    }
    pub fn job_doc(&self, sp_id: &str, job_id: &str) -> Option<Value> {
        let now = chrono::Utc::now();
        let mut t = lock(&self.tenant);
        let index = t
            .sp(sp_id)?
            .jobs
            .iter()
            .position(|j| doc_id(&j.doc) == job_id)?;
        super::jobs::advance_job(&mut t, sp_id, index, now, self.cycle);
        t.sp(sp_id)?.jobs.get(index).map(|j| j.doc.clone())
    }
    pub fn service_principals_with_jobs(&self) -> Vec<String> {
        lock(&self.tenant)
            .service_principals
            .iter()
            .filter(|s| !s.jobs.is_empty())
            .map(|s| doc_id(&s.doc).to_string())
            .collect()
    }
    pub fn set_faults(&self, faults: FaultSpec) {
        *lock(&self.faults) = FaultState::new(faults);
    }
    pub fn expire_page_links(&self) {
        self.link_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Which Graph version a route serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApiVersion(pub &'static str);

impl ApiVersion {
    pub fn is_beta(self) -> bool {
        self.0 == "beta"
    }
    /// `https://graph.microsoft.com/{ver}/$metadata#{rest}`
    pub fn context(self, rest: &str) -> String {
        format!("https://graph.microsoft.com/{}/$metadata#{rest}", self.0)
    }
}

/// Scheme and authority the request came in on (`https://127.0.0.1:1234`), for nextLinks.
#[derive(Clone, Debug)]
pub(crate) struct Origin(pub String);

/// Ids of the current request.
#[derive(Clone, Debug)]
pub(crate) struct ReqIds {
    pub request_id: String,
    pub client_request_id: String,
}

/// A 5xx the fault layer asks the framing middleware to answer with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InjectStatus(pub u16);

/// A Graph-style error; rendered into the envelope by the framing middleware.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            headers: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }
    pub fn throttled(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. Please retry after the time given in the Retry-After header.",
        );
        e.headers.push(("retry-after", retry_after.to_string()));
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// Result type of Graph handlers.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// A JSON response with Graph's Content-Type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    raw_json_response(status, body.to_string())
}

/// A pre-serialized JSON response with Graph's Content-Type.
pub(crate) fn raw_json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CT));
    r
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn envelope(err: &ApiError, ids: &ReqIds) -> Value {
    json!({"error": {"code": err.code, "message": err.message, "innerError": {
        "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        "request-id": ids.request_id,
        "client-request-id": ids.client_request_id,
    }}})
}

fn injected_error(status: u16) -> ApiError {
    let (code, message) = match status {
        502 => ("badGateway", "The gateway received an invalid response."),
        503 => (
            "serviceNotAvailable",
            "The service is temporarily unavailable. Try again later.",
        ),
        504 => ("gatewayTimeout", "The gateway timed out."),
        _ => ("generalException", "An internal server error occurred."),
    };
    let mut e = ApiError::new(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        code,
        message,
    );
    if status == 503 {
        e.headers.push(("retry-after", "1".into()));
    }
    e
}

/// Every request passes here: ids, request log, Graph error envelope, response headers.
async fn frame(State(st): State<St>, req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let ids = ReqIds {
        request_id,
        client_request_id,
    };
    let (mut parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let value = if k == header::AUTHORIZATION {
                "<redacted>".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect();
    let mut record = RequestRecord {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        status: 0,
        headers,
    };
    parts.extensions.insert(ids.clone());
    let injected = parts.extensions.get::<InjectStatus>().copied();
    let mut resp = match injected {
        Some(InjectStatus(s)) => injected_error(s).into_response(),
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    if resp.status().as_u16() >= 400
        && !resp.headers().contains_key(header::CONTENT_TYPE)
        && resp.extensions().get::<ApiError>().is_none()
    {
        // Errors produced by the router itself (e.g. 405) still get Graph's envelope.
        let message = match resp.status() {
            StatusCode::METHOD_NOT_ALLOWED => {
                "Specified HTTP method is not allowed for the request target."
            }
            _ => "The request could not be processed.",
        };
        let code = if resp.status().is_server_error() {
            "generalException"
        } else {
            "BadRequest"
        };
        let err = ApiError::new(resp.status(), code, message);
        resp.extensions_mut().insert(err);
    }
    if let Some(err) = resp.extensions_mut().remove::<ApiError>() {
        let mut r = json_response(err.status, &envelope(&err, &ids));
        for (k, v) in &err.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                r.headers_mut().insert(*k, v);
            }
        }
        resp = r;
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        h.insert("client-request-id", v);
    }
    h.insert(
        "x-ms-ags-diagnostic",
        HeaderValue::from_static(
            r#"{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"PROVCTL-SIM"}}"#,
        ),
    );
    record.status = resp.status().as_u16();
    lock(&st.requests).push(record);
    resp
}

/// Bearer-token check for Graph routes: 401 `InvalidAuthenticationToken` when missing/bad/expired.
async fn require_token(State(st): State<St>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let result = lock(&st.tokens).validate(&token);
    let wanted = lock(&st.faults).spec.claims_challenge.clone();
    match result {
        Ok(claims) if wanted.as_ref().is_some_and(|c| !claims.acrs.contains(c)) => {
            // Conditional Access with an authentication context: Graph refuses the token with a
            // claims challenge naming the context (Microsoft's documented header shape).
            use base64::Engine as _;
            let context = wanted.unwrap_or_default();
            let challenge = serde_json::json!({"access_token": {"acrs": {"essential": true, "value": context}}});
            let encoded = base64::engine::general_purpose::STANDARD.encode(challenge.to_string());
            let mut e = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: InsufficientClaims",
            );
            e.headers.push((
                "www-authenticate",
                format!(
                    r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="{encoded}""#
                ),
            ));
            e.into_response()
        }
        Ok(claims) => {
            req.extensions_mut().insert(claims);
            next.run(req).await
        }
        Err(p) => {
            let message = match p {
                TokenProblem::Empty => "Access token is empty.",
                TokenProblem::Malformed => {
                    "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format."
                }
                TokenProblem::Expired => "Lifetime validation failed, the token is expired.",
                TokenProblem::UnknownSignature => "Signature validation failed.",
            };
            let mut e = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                message,
            );
            e.headers.push((
                "www-authenticate",
                r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#.into(),
            ));
            e.into_response()
        }
    }
}

/// The permission a Graph operation needs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Perm {
    ServicePrincipalsRead,
    JobsRead,
    JobsWrite,
    LogsRead,
    AgentsRead,
    PublishedResourcesRead,
    OnPremSyncRead,
    OnPremSyncWrite,
    UsersRead,
    GroupsRead,
}

impl Perm {
    /// (application roles, delegated scopes) that grant it; an empty role list = delegated only.
    fn grants(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Perm::ServicePrincipalsRead => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
            Perm::JobsRead => (
                &[
                    "Synchronization.Read.All",
                    "Synchronization.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                ],
                &["Synchronization.Read.All", "Synchronization.ReadWrite.All"],
            ),
            Perm::JobsWrite => (
                &[
                    "Synchronization.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                ],
                &["Synchronization.ReadWrite.All"],
            ),
            Perm::LogsRead => (
                &[
                    "ProvisioningLog.Read.All",
                    "AuditLog.Read.All",
                    "Directory.Read.All",
                ],
                &[
                    "ProvisioningLog.Read.All",
                    "AuditLog.Read.All",
                    "Directory.Read.All",
                ],
            ),
            Perm::AgentsRead => (
                &[],
                &[
                    "Policy.Read.HybridAuthentication",
                    "Policy.ReadWrite.HybridAuthentication",
                    "Directory.ReadWrite.All",
                    "OnPremisesPublishingProfiles.ReadWrite.All",
                ],
            ),
            Perm::PublishedResourcesRead => (
                &[],
                &[
                    "OnPremisesPublishingProfiles.ReadWrite.All",
                    "Policy.Read.HybridAuthentication",
                    "Policy.ReadWrite.HybridAuthentication",
                ],
            ),
            Perm::OnPremSyncRead => (
                &[],
                &[
                    "OnPremDirectorySynchronization.Read.All",
                    "OnPremDirectorySynchronization.ReadWrite.All",
                ],
            ),
            Perm::OnPremSyncWrite => (&[], &["OnPremDirectorySynchronization.ReadWrite.All"]),
            // GET /users/{id}: User.Read.All (least, application); delegated User.ReadBasic.All
            // doesn't return the attributes scoping filters test.
            Perm::UsersRead => (
                &[
                    "User.Read.All",
                    "User.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "User.Read.All",
                    "User.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
            // GET /groups/{id}, checkMemberGroups: GroupMember.Read.All (least).
            Perm::GroupsRead => (
                &[
                    "GroupMember.Read.All",
                    "Group.Read.All",
                    "Group.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "GroupMember.Read.All",
                    "Group.Read.All",
                    "Group.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
        }
    }
}

/// 403 unless the token carries a permission granting `perm`.
pub(crate) fn require(claims: &Claims, perm: Perm) -> Result<(), ApiError> {
    let (roles, scopes) = perm.grants();
    let ok = if claims.app_only {
        claims.roles.iter().any(|r| roles.contains(&r.as_str()))
    } else {
        claims.scopes.iter().any(|s| scopes.contains(&s.as_str()))
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Count the request against a throttling family.
pub(crate) fn throttle(st: &AppState, family: Family) -> Result<(), ApiError> {
    st.throttle.check(family).map_err(ApiError::throttled)
}

/// Parse a raw query string into decoded (name, value) pairs.
pub(crate) fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The value of a query option, accepting it with or without `$` (as Graph does).
pub(crate) fn query_opt<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(&name[1..]))
        .map(|(_, v)| v.as_str())
}

/// Build `{origin}/{ver}/{path}?{query}` with a proper encoding.
pub(crate) fn next_link(origin: &Origin, path: &str, params: &[(&str, String)]) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    format!("{}{}?{}", origin.0, path, q.replace('+', "%20"))
}

/// Parse a JSON request body with a Graph-style 400 when it is not JSON.
pub(crate) fn json_body(
    headers: &HeaderMap,
    body: &Bytes,
    required: bool,
) -> Result<Value, ApiError> {
    if body.is_empty() {
        return if required {
            Err(ApiError::bad_request(
                "Empty Payload. JSON content expected.",
            ))
        } else {
            Ok(Value::Null)
        };
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("The content type '{ct}' is not supported. Use 'application/json'."),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))
}

async fn unknown_segment(req: Request) -> ApiResult {
    let path = req.uri().path().to_string();
    let seg = path
        .trim_start_matches('/')
        .split('/')
        .find(|s| !s.is_empty() && *s != "v1.0" && *s != "beta")
        .unwrap_or("")
        .to_string();
    Err(ApiError::bad_request(format!(
        "Resource not found for the segment '{seg}'."
    )))
}

fn graph_routes(st: &St, ver: ApiVersion) -> Router<St> {
    let sync = "/servicePrincipals/{sp}/synchronization";
    let mut r = Router::new()
        .route(
            "/servicePrincipals",
            get(super::directory::list_service_principals),
        )
        .route(
            "/servicePrincipals/{sp}",
            get(super::directory::get_service_principal),
        )
        .route(&format!("{sync}/jobs"), get(super::jobs::list_jobs))
        .route(
            &format!("{sync}/jobs/validateCredentials"),
            post(super::jobs::validate_credentials_collection),
        )
        .route(&format!("{sync}/jobs/{{job}}"), get(super::jobs::get_job))
        .route(
            &format!("{sync}/jobs/{{job}}/{{action}}"),
            post(super::jobs::job_action).get(super::jobs::get_schema),
        )
        .route(
            &format!("{sync}/jobs/{{job}}/schema/filterOperators"),
            get(super::jobs::filter_operators),
        )
        .route(
            "/servicePrincipals/{sp}/appRoleAssignedTo",
            get(super::objects::app_role_assigned_to),
        )
        .route("/users/{id}", get(super::objects::get_user))
        .route("/groups/{id}", get(super::objects::get_group))
        .route(
            "/directoryObjects/{id}/{action}",
            post(super::objects::check_member_groups),
        )
        .route(
            &format!("{sync}/secrets"),
            get(super::jobs::get_secrets).put(super::jobs::put_secrets),
        )
        .route("/auditLogs/provisioning", get(super::logs::list_logs))
        .route(
            "/directory/onPremisesSynchronization",
            get(super::directory::on_prem_list),
        )
        .route(
            "/directory/onPremisesSynchronization/{id}",
            get(super::directory::on_prem_get).patch(super::directory::on_prem_patch),
        );
    if ver.is_beta() {
        r = r
            .route(
                "/auditLogs/directoryProvisioning",
                get(super::logs::list_logs),
            )
            .route(
                "/onPremisesPublishingProfiles/provisioning/{collection}",
                get(super::directory::publishing_list),
            )
            .route(
                "/onPremisesPublishingProfiles/provisioning/{collection}/{id}",
                get(super::directory::publishing_get),
            );
    }
    r.route("/$batch", post(super::batch::batch))
        .route_layer(middleware::from_fn_with_state(st.clone(), require_token))
        .fallback(unknown_segment)
        .layer(Extension(ver))
}

fn build_router(st: &St) -> Router {
    Router::new()
        .nest("/v1.0", graph_routes(st, ApiVersion("v1.0")))
        .nest("/beta", graph_routes(st, ApiVersion("beta")))
        .route("/{tenant}/oauth2/v2.0/token", post(super::auth::token))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(super::auth::device_code),
        )
        .route(
            "/metadata/identity/oauth2/token",
            get(super::auth::imds_token),
        )
        .route("/msi/token", get(super::auth::app_service_token))
        .route("/oauth2/token", post(super::auth::cloud_shell_token))
        .fallback(|req: Request| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("No route for {} {}", req.method(), req.uri().path()),
            )
        })
        .layer(middleware::from_fn_with_state(st.clone(), frame))
        .with_state(st.clone())
}

/// Whether a path is a login/managed-identity route (faults skip them unless asked).
fn is_login_path(path: &str) -> bool {
    path.contains("/oauth2/") || path.starts_with("/msi/")
}

/// The outermost service: picks the tenant, then scheme/origin, fault injection and that tenant's
/// router.
#[derive(Clone)]
struct Front {
    tenants: Arc<[St]>,
    scheme: &'static str,
}

/// The tenant a request is for. Login routes name it in the path (`/{tenant}/oauth2/...`, id or
/// domain); Graph routes carry it as the `tid` claim of the bearer token, as on Graph's one shared
/// host. Anything else (no token, `common`, managed identity) goes to the first tenant, whose
/// authorization then answers as it would for a foreign or missing token.
fn tenant_for<'a>(tenants: &'a [St], path: &str, headers: &HeaderMap) -> &'a St {
    let first = &tenants[0];
    if tenants.len() == 1 {
        return first;
    }
    let named = match path.trim_start_matches('/').split_once('/') {
        Some((seg, rest)) if rest.starts_with("oauth2/") => Some(seg.to_owned()),
        _ => bearer_tid(headers),
    };
    named
        .and_then(|name| {
            tenants.iter().find(|st| {
                st.tenant_id.eq_ignore_ascii_case(&name)
                    || lock(&st.tenant)
                        .domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(&name))
            })
        })
        .unwrap_or(first)
}

/// The `tid` claim of a bearer token, read without checking the signature (the chosen tenant's
/// authorization checks it).
fn bearer_tid(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_owned)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower::Service<axum::http::Request<B>> for Front
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = BoxError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, BoxError>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let st = tenant_for(&self.tenants, req.uri().path(), req.headers()).clone();
        let scheme = self.scheme;
        Box::pin(async move {
            let Some(router) = lock(&st.router).clone() else {
                return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
            };
            let mut req = req.map(Body::new);
            let authority = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
                .or_else(|| req.uri().authority().map(|a| a.to_string()))
                .unwrap_or_else(|| "127.0.0.1".into());
            req.extensions_mut()
                .insert(Origin(format!("{scheme}://{authority}")));
            let decision = {
                let mut f = lock(&st.faults);
                let applies = !f.spec.is_none()
                    && (f.spec.token_endpoint || !is_login_path(req.uri().path()));
                if applies {
                    f.decide()
                } else {
                    Decision::default()
                }
            };
            if !decision.delay.is_zero() {
                tokio::time::sleep(decision.delay).await;
            }
            if decision.drop {
                // Record it, then close the connection without answering.
                lock(&st.requests).push(RequestRecord {
                    method: req.method().to_string(),
                    path: req.uri().path().to_string(),
                    query: req.uri().query().map(str::to_string),
                    body: String::new(),
                    status: 0,
                    headers: Vec::new(),
                });
                return Err::<Response, BoxError>("fault injection: connection dropped".into());
            }
            if let Some(s) = decision.error_status {
                req.extensions_mut().insert(InjectStatus(s));
            }
            let resp = tower::ServiceExt::oneshot(router, req)
                .await
                .map_err(|e| -> BoxError { Box::new(e) })?;
            if decision.truncate || !decision.slow_body.is_zero() {
                return Ok(
                    super::batch::mangle_body(resp, decision.truncate, decision.slow_body).await,
                );
            }
            Ok(resp)
        })
    }
}

/// A started emulator: addresses, CA and the server handles.
pub(crate) struct Running {
    pub base_url: url::Url,
    pub http_base_url: Option<url::Url>,
    pub ca_pem: String,
    pub tenant_id: String,
    pub state: St,
    /// Every tenant served, the first being `state`.
    pub tenants: Arc<[St]>,
    handles: Vec<axum_server::Handle<std::net::SocketAddr>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Running {
    pub async fn shutdown(&self) {
        for h in &self.handles {
            h.shutdown();
        }
        let tasks: Vec<_> = lock(&self.tasks).drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for h in &self.handles {
            h.shutdown();
        }
        for st in self.tenants.iter() {
            *lock(&st.router) = None;
        }
    }
}

fn load_tenant(source: &TenantSource) -> Result<Tenant, SimError> {
    let now = chrono::Utc::now();
    match source {
        TenantSource::Demo => super::demo::tenant(now),
        TenantSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: format!("not valid JSON: {e}"),
            })?;
            super::tenant::from_json(v, now).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: e.to_string(),
            })
        }
        TenantSource::Generate(spec) => super::tenant::generated(spec, now),
    }
}

fn rustls_config(tls: &super::tls::TlsMaterial) -> Result<Arc<rustls::ServerConfig>, SimError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| SimError::Tls(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())
        .map_err(|e| SimError::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Start serving; see [`super::Sim::start`].
/// One tenant's state with its router installed: its own tokens, request log, throttling budget
/// and faults.
fn tenant_state(config: &SimConfig, tenant: Tenant) -> St {
    let state: St = Arc::new(AppState {
        tenant_id: tenant.tenant_id.clone(),
        tenant: Mutex::new(tenant),
        tokens: Mutex::new(TokenStore::default()),
        requests: Mutex::new(Vec::new()),
        throttle: Throttle::new(config.throttle.clone()),
        faults: Mutex::new(FaultState::new(config.faults.clone())),
        cycle: config.cycle,
        token_lifetime: config.token_lifetime,
        device_code_polls: config.device_code_polls,
        device_codes: Mutex::new(HashMap::new()),
        refresh_tokens: Mutex::new(HashMap::new()),
        router: Mutex::new(None),
        link_generation: std::sync::atomic::AtomicU64::new(0),
    });
    *lock(&state.router) = Some(build_router(&state));
    state
}

pub(crate) async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let mut tenants: Vec<St> = Vec::with_capacity(1 + config.extra_tenants.len());
    for source in std::iter::once(&config.tenant).chain(&config.extra_tenants) {
        let tenant = load_tenant(source)?;
        if tenants
            .iter()
            .any(|st| st.tenant_id.eq_ignore_ascii_case(&tenant.tenant_id))
        {
            return Err(SimError::Tenant(format!(
                "two tenants have the id {}; each tenant served needs its own tenantId",
                tenant.tenant_id
            )));
        }
        tenants.push(tenant_state(&config, tenant));
    }
    let tenants: Arc<[St]> = tenants.into();
    let state = tenants[0].clone();
    let tenant_id = state.tenant_id.clone();
    let tls = super::tls::generate()?;

    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let rustls = axum_server::tls_rustls::RustlsConfig::from_config(rustls_config(&tls)?);
    let handle = axum_server::Handle::new();
    // TCP_NODELAY, as HTTP servers commonly set: without it, small TLS/HTTP2 writes wait on the
    // client's delayed ACK (~40 ms stalls).
    let server = axum_server::from_tcp_rustls(listener, rustls)?
        .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
        .handle(handle.clone());
    let front = Front {
        tenants: tenants.clone(),
        scheme: "https",
    };
    tasks.push(tokio::spawn(async move {
        if let Err(e) = server.serve(tower::make::Shared::new(front)).await {
            tracing::warn!("emulator HTTPS server stopped: {e}");
        }
    }));
    handles.push(handle);

    let mut http_base_url = None;
    if let Some(http_port) = config.http_port {
        let listener = std::net::TcpListener::bind(("127.0.0.1", http_port))?;
        listener.set_nonblocking(true)?;
        let port2 = listener.local_addr()?.port();
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp(listener)?
            .acceptor(axum_server::accept::NoDelayAcceptor::new())
            .handle(handle.clone());
        let front = Front {
            tenants: tenants.clone(),
            scheme: "http",
        };
        tasks.push(tokio::spawn(async move {
            if let Err(e) = server.serve(tower::make::Shared::new(front)).await {
                tracing::warn!("emulator HTTP server stopped: {e}");
            }
        }));
        handles.push(handle);
        http_base_url = url::Url::parse(&format!("http://127.0.0.1:{port2}/")).ok();
    }
    let base_url = url::Url::parse(&format!("https://127.0.0.1:{port}/"))
        .map_err(|e| SimError::Tls(e.to_string()))?;
    Ok(SimHandle {
        inner: Arc::new(Running {
            base_url,
            http_base_url,
            ca_pem: tls.ca_pem,
            tenant_id,
            state,
            tenants,
            handles,
            tasks: Mutex::new(tasks),
        }),
    })
}

/// Run one request through the router (used by `$batch`).
pub(crate) async fn dispatch(st: &AppState, req: Request) -> Response {
    let router = lock(&st.router).clone();
    match router {
        Some(r) => match tower::ServiceExt::oneshot(r, req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        },
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Method helper for batch items.
pub(crate) fn parse_method(m: &str) -> Option<Method> {
    Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()
}
