//! What every request and answer passes through: the framing middleware ([`frame`]: request ids,
//! the request log, Graph's error envelope and response headers), Graph's error ([`ApiError`]) and
//! JSON answers, the request extensions handlers read ([`ApiVersion`], [`Origin`], [`ReqIds`]),
//! and the query and body helpers handlers share.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::{St, lock};
use crate::sim::RequestRecord;

/// The Content-Type Graph answers JSON with.
pub(crate) const JSON_CT: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

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
pub(crate) async fn frame(State(st): State<St>, req: Request, next: Next) -> Response {
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
