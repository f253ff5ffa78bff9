//! JSON `$batch` (v1.0 and beta): up to 20 requests, each run through the same router as a
//! standalone request (authorization, permissions, throttling and the request log apply per item),
//! so one item can be 429 while the others succeed. Also the body mangling used by fault
//! injection (truncated and slow bodies).

use super::server::{
    ApiError, ApiResult, ApiVersion, Origin, St, dispatch, json_body, json_response, parse_method,
};
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::time::Duration;

const MAX_BATCH: usize = 20;

/// `POST /$batch`
pub(crate) async fn batch(
    State(st): State<St>,
    Extension(ver): Extension<ApiVersion>,
    Extension(origin): Extension<Origin>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let v = json_body(&headers, &body, true)?;
    let items = v["requests"].as_array().ok_or_else(|| {
        ApiError::bad_request(
            "The batch body must be {\"requests\":[{\"id\",\"method\",\"url\"}]}.",
        )
    })?;
    if items.is_empty() {
        return Err(ApiError::bad_request("The batch contains no requests."));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "The batch contains {} requests; the limit is {MAX_BATCH}.",
            items.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let id = item["id"].as_str().unwrap_or("");
        if id.is_empty() || !seen.insert(id.to_string()) {
            return Err(ApiError::bad_request(format!(
                "Each batch request needs a unique non-empty string id; '{id}' is missing or repeated."
            )));
        }
    }
    let mut responses = Vec::new();
    for item in items {
        responses.push(run_item(&st, ver, &origin, &headers, item).await);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"responses": responses}),
    ))
}

fn item_error(id: &str, status: StatusCode, message: &str) -> Value {
    json!({"id": id, "status": status.as_u16(), "headers": {"Content-Type": "application/json"},
           "body": {"error": {"code": "BadRequest", "message": message,
                    "innerError": {"date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                                   "request-id": uuid::Uuid::new_v4().to_string(),
                                   "client-request-id": uuid::Uuid::new_v4().to_string()}}}})
}

async fn run_item(
    st: &St,
    ver: ApiVersion,
    origin: &Origin,
    outer: &HeaderMap,
    item: &Value,
) -> Value {
    let id = item["id"].as_str().unwrap_or("").to_string();
    let Some(method) = item["method"].as_str().and_then(parse_method) else {
        return item_error(&id, StatusCode::BAD_REQUEST, "Invalid or missing method.");
    };
    let Some(url) = item["url"].as_str() else {
        return item_error(&id, StatusCode::BAD_REQUEST, "Invalid or missing url.");
    };
    let path = url
        .strip_prefix("https://graph.microsoft.com")
        .unwrap_or(url);
    let path = path.strip_prefix(&format!("/{}", ver.0)).unwrap_or(path);
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("/{}{}", ver.0, path));
    for name in [
        header::AUTHORIZATION,
        HeaderName::from_static("client-request-id"),
    ] {
        if let Some(v) = outer.get(&name) {
            builder = builder.header(name, v.clone());
        }
    }
    builder = builder.header(header::HOST, origin.0.split("://").nth(1).unwrap_or(""));
    let mut has_ct = false;
    if let Some(h) = item["headers"].as_object() {
        for (k, v) in h {
            if let (Ok(name), Some(val)) = (HeaderName::from_bytes(k.as_bytes()), v.as_str()) {
                has_ct |= name == header::CONTENT_TYPE;
                if let Ok(val) = HeaderValue::from_str(val) {
                    builder = builder.header(name, val);
                }
            }
        }
    }
    let body = match &item["body"] {
        Value::Null => Body::empty(),
        b => {
            if !has_ct {
                return item_error(
                    &id,
                    StatusCode::BAD_REQUEST,
                    "Content-Type header must be specified in the headers of a batch request that has a body.",
                );
            }
            Body::from(b.to_string())
        }
    };
    let Ok(mut req) = builder.body(body) else {
        return item_error(
            &id,
            StatusCode::BAD_REQUEST,
            "Invalid request url or headers.",
        );
    };
    req.extensions_mut().insert(origin.clone());
    let resp = dispatch(st, req).await;
    let status = resp.status().as_u16();
    let mut headers = Map::new();
    for (k, v) in resp.headers() {
        let name = match k.as_str() {
            "content-type" => "Content-Type",
            "retry-after" => "Retry-After",
            "location" => "Location",
            "www-authenticate" => "WWW-Authenticate",
            _ => continue,
        };
        if let Ok(v) = v.to_str() {
            headers.insert(name.into(), json!(v));
        }
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let mut out = json!({"id": id, "status": status, "headers": headers});
    if !body.is_null() {
        out["body"] = body;
    }
    out
}

/// Fault injection on a response body: cut it halfway (and close the connection), and/or send it
/// in chunks with a pause between them.
pub(crate) async fn mangle_body(resp: Response, truncate: bool, pause: Duration) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 256 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let full_len = bytes.len();
    let keep = if truncate { full_len / 2 } else { full_len };
    let n_chunks = if pause.is_zero() { 1 } else { 4 };
    let chunk = keep.div_ceil(n_chunks).max(1);
    let mut pieces: Vec<Bytes> = Vec::new();
    let mut at = 0;
    while at < keep {
        let end = (at + chunk).min(keep);
        pieces.push(bytes.slice(at..end));
        at = end;
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full_len));
    let stream = futures::stream::unfold(
        (pieces.into_iter(), true, truncate),
        move |(mut it, first, truncate)| async move {
            match it.next() {
                Some(p) => {
                    if !first && !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                    Some((Ok::<Bytes, std::io::Error>(p), (it, false, truncate)))
                }
                None if truncate => Some((
                    Err(std::io::Error::other("fault injection: body truncated")),
                    (it, false, false),
                )),
                None => None,
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}
