//! `GET /auditLogs/provisioning`: the documented `$filter` subset, `$orderby=activityDateTime`,
//! `$top` (max 1000) and `$skiptoken` paging. The skiptoken is an opaque keyset cursor (the last
//! record's time and id, or its index for generated logs), so following nextLinks yields every
//! matching record exactly once. Generated logs are written straight into the output buffer.

use super::generate::{self, GenLogs};
use super::odata::{self, Expr};
use super::server::{
    ApiError, ApiResult, ApiVersion, Origin, Perm, St, lock, next_link, query_opt, query_pairs,
    raw_json_response, require, throttle,
};
use super::throttle::Family;
use super::tokens::{Claims, b64};
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Encode a plain offset as an opaque skiptoken.
pub(crate) fn encode_offset(n: usize) -> String {
    b64(format!("o:{n}").as_bytes())
}

/// Decode an offset skiptoken.
pub(crate) fn decode_offset(tok: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(tok).ok()?).ok()?;
    raw.strip_prefix("o:")?.parse().ok()
}

enum Cursor {
    Key(String, String),
    Index(u64),
}

/// A cursor as a skiptoken of link generation `generation` (see `AppState::link_generation`).
fn encode_cursor(c: &Cursor, generation: u64) -> String {
    match c {
        Cursor::Key(t, id) => b64(format!("{generation}/k:{t}|{id}").as_bytes()),
        Cursor::Index(i) => b64(format!("{generation}/i:{i}").as_bytes()),
    }
}

/// The cursor of a skiptoken, if it is one of generation `generation`.
fn decode_cursor(tok: &str, generation: u64) -> Option<Cursor> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(tok).ok()?).ok()?;
    let (g, raw) = raw.split_once('/')?;
    if g.parse::<u64>().ok()? != generation {
        return None;
    }
    if let Some(k) = raw.strip_prefix("k:") {
        let (t, id) = k.split_once('|')?;
        return Some(Cursor::Key(t.to_string(), id.to_string()));
    }
    raw.strip_prefix("i:")?.parse().ok().map(Cursor::Index)
}

/// Beta documents also carry the deprecated `action` and `statusInfo`.
fn beta_shape(doc: &Value) -> Value {
    let mut out = serde_json::Map::new();
    let Some(obj) = doc.as_object() else {
        return doc.clone();
    };
    for (k, v) in obj {
        out.insert(k.clone(), v.clone());
        if k == "changeId" {
            let action = doc["provisioningAction"].as_str().unwrap_or("other");
            let mut c = action.chars();
            let cap = c
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default();
            out.insert("action".into(), json!(cap));
        }
    }
    let psi = &doc["provisioningStatusInfo"];
    let status = psi["status"].clone();
    let info = &psi["errorInformation"];
    let status_info = if info.is_object() {
        json!({"@odata.type": "#microsoft.graph.statusDetails", "status": status,
               "errorCode": info["errorCode"], "reason": info["reason"],
               "additionalDetails": info["additionalDetails"], "errorCategory": info["errorCategory"],
               "recommendedAction": info["recommendedAction"]})
    } else {
        json!({"@odata.type": "#microsoft.graph.statusBase", "status": status})
    };
    out.insert("statusInfo".into(), status_info);
    Value::Object(out)
}

/// `GET /auditLogs/provisioning`
pub(crate) async fn list_logs(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Extension(origin): Extension<Origin>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::LogsRead)?;
    throttle(&st, Family::Logs)?;
    let pairs = query_pairs(&raw);
    for (k, _) in &pairs {
        let name = k.trim_start_matches('$').to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "skip" | "count" | "search" | "expand" | "select"
        ) {
            return Err(ApiError::bad_request(format!(
                "The query parameter '{k}' is not supported on auditLogs/provisioning. Supported: $filter, $orderby, $top, $skiptoken."
            )));
        }
    }
    let top = match query_opt(&pairs, "$top") {
        None => 1000,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid $top value '{v}': it must be an integer between 1 and 1000."
                )));
            }
        },
    };
    let orderby = query_opt(&pairs, "$orderby");
    let ascending = match orderby.map(|o| o.split_whitespace().collect::<Vec<_>>()) {
        None => false,
        Some(parts) => match parts.as_slice() {
            ["activityDateTime"] | ["activityDateTime", "desc"] => false,
            ["activityDateTime", "asc"] => true,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid $orderby '{}': only 'activityDateTime asc' and 'activityDateTime desc' are supported.",
                    orderby.unwrap_or_default()
                )));
            }
        },
    };
    let filter_src = query_opt(&pairs, "$filter");
    let filter = match filter_src {
        Some(f) => Some(odata::parse(f, &odata::LOG_FIELDS)?),
        None => None,
    };
    let generation = st.link_generation.load(std::sync::atomic::Ordering::SeqCst);
    let cursor = match query_opt(&pairs, "$skiptoken") {
        Some(tok) => Some(decode_cursor(tok, generation).ok_or_else(|| {
            ApiError::bad_request(format!("The $skiptoken '{tok}' is invalid or expired."))
        })?),
        None => None,
    };
    // Generated records are about 2 KB: size the page once (growing it copies the whole page).
    let mut out = String::with_capacity(top * 2300 + 512);
    out.push_str("{\"@odata.context\":");
    out.push_str(&json!(ver.context("auditLogs/provisioning")).to_string());
    out.push_str(",\"value\":[");
    let generated = lock(&st.tenant).generated_logs.clone();
    let next = match generated {
        Some(spec) => {
            let tenant_id = st.tenant_id.clone();
            let start = match cursor {
                Some(Cursor::Index(i)) => Some(i),
                None => None,
                Some(Cursor::Key(..)) => {
                    return Err(ApiError::bad_request(
                        "The $skiptoken is invalid or expired.",
                    ));
                }
            };
            page_generated(
                &spec,
                &tenant_id,
                filter.as_ref(),
                ascending,
                start,
                top,
                ver,
                &mut out,
            )
            .map(Cursor::Index)
        }
        None => {
            let t = lock(&st.tenant);
            page_stored(
                &t.logs,
                filter.as_ref(),
                ascending,
                cursor,
                top,
                ver,
                &mut out,
            )
        }
    };
    out.push(']');
    if let Some(c) = next {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(f) = filter_src {
            params.push(("$filter", f.to_string()));
        }
        params.push(("$top", top.to_string()));
        if let Some(o) = orderby {
            params.push(("$orderby", o.to_string()));
        }
        params.push(("$skiptoken", encode_cursor(&c, generation)));
        let link = next_link(
            &origin,
            &format!("/{}/auditLogs/provisioning", ver.0),
            &params,
        );
        out.push_str(",\"@odata.nextLink\":");
        out.push_str(&json!(link).to_string());
    }
    out.push('}');
    Ok(raw_json_response(StatusCode::OK, out))
}

fn key(v: &Value) -> (&str, &str) {
    (
        v["activityDateTime"].as_str().unwrap_or(""),
        v["id"].as_str().unwrap_or(""),
    )
}

/// One page of stored logs (sorted newest first); returns the cursor of the next page.
fn page_stored(
    logs: &[Value],
    filter: Option<&Expr>,
    ascending: bool,
    cursor: Option<Cursor>,
    top: usize,
    ver: ApiVersion,
    out: &mut String,
) -> Option<Cursor> {
    let after = match &cursor {
        Some(Cursor::Key(t, id)) => Some((t.as_str(), id.as_str())),
        _ => None,
    };
    let iter: Box<dyn Iterator<Item = &Value>> = if ascending {
        Box::new(logs.iter().rev())
    } else {
        Box::new(logs.iter())
    };
    let mut written = 0;
    let mut last: Option<&Value> = None;
    let mut more = false;
    for doc in iter {
        if let Some(a) = after {
            let k = key(doc);
            let past = if ascending { k > a } else { k < a };
            if !past {
                continue;
            }
        }
        if filter.is_some_and(|f| !f.eval_value(doc)) {
            continue;
        }
        if written == top {
            more = true;
            break;
        }
        if written > 0 {
            out.push(',');
        }
        if ver.is_beta() {
            out.push_str(&beta_shape(doc).to_string());
        } else {
            out.push_str(&doc.to_string());
        }
        written += 1;
        last = Some(doc);
    }
    if more {
        last.map(|d| {
            let (t, id) = key(d);
            Cursor::Key(t.to_string(), id.to_string())
        })
    } else {
        None
    }
}

/// One page of generated logs; returns the index the next page starts at.
#[allow(clippy::too_many_arguments)]
fn page_generated(
    spec: &GenLogs,
    tenant_id: &str,
    filter: Option<&Expr>,
    ascending: bool,
    start: Option<u64>,
    top: usize,
    ver: ApiVersion,
    out: &mut String,
) -> Option<u64> {
    let (lo, hi) = generate::index_range(spec, filter.map(|f| f.time_bounds()));
    if lo >= hi {
        return None;
    }
    // A filter on one job or service principal visits only that principal's records
    // (record i belongs to principal i % n): a stride instead of a scan.
    let job = filter.and_then(|f| f.eq_constraint("jobId"));
    let sp = filter.and_then(|f| f.eq_constraint("servicePrincipal/id"));
    let (step, residue) = if job.is_some() || sp.is_some() {
        match spec.sp_index_of(job, sp) {
            Some(k) => (spec.sp_count(), k as u64),
            None => return None,
        }
    } else {
        (1, 0)
    };
    let align_up = |p: u64| p + (residue + step - p % step) % step;
    let align_down = |p: u64| p - (p % step + step - residue) % step;
    // Descending time = ascending index.
    let mut written = 0;
    let mut pos = match start {
        Some(p) => p,
        None if ascending => {
            let last = hi - 1;
            if last % step != residue && last < residue {
                return None;
            }
            align_down(last)
        }
        None => align_up(lo),
    };
    loop {
        if pos < lo || pos >= hi {
            return None;
        }
        let rec = generate::GenLog::new(spec, tenant_id, pos);
        if filter.is_none_or(|f| f.eval(&rec)) {
            if written == top {
                return Some(pos);
            }
            if written > 0 {
                out.push(',');
            }
            rec.write_json(out, ver.is_beta());
            written += 1;
        }
        if ascending {
            if pos < step {
                return None;
            }
            pos -= step;
        } else {
            pos += step;
        }
    }
}
