//! Directory routes: `servicePrincipals` (list with `$filter`/`$select`/`$top`/paging, get),
//! beta `onPremisesPublishingProfiles/provisioning/{agents,agentGroups,publishedResources}` (with
//! `$expand`, delegated only) and `directory/onPremisesSynchronization` (GET, PATCH merge).

use super::server::{
    ApiError, ApiResult, ApiVersion, AppState, Origin, Perm, St, json_body, json_response, lock,
    next_link, no_content, query_opt, query_pairs, require, throttle,
};
use super::tenant::{Tenant, doc_id};
use super::throttle::Family;
use super::tokens::Claims;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

pub(crate) fn parse_top(
    pairs: &[(String, String)],
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match query_opt(pairs, "$top") {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "Invalid page size specified: '{v}'. Must be between 1 and {max} inclusive."
            ))),
        },
    }
}

/// The fields a `$select` names (blank entries dropped); `None` without `$select`.
pub(crate) fn select_fields(pairs: &[(String, String)]) -> Option<Vec<String>> {
    query_opt(pairs, "$select").map(|s| {
        s.split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect()
    })
}

pub(crate) fn select(doc: &Value, fields: Option<&[String]>) -> Value {
    match (fields, doc.as_object()) {
        (Some(fields), Some(obj)) => {
            let mut m = Map::new();
            for f in fields {
                if let Some(v) = obj.get(f) {
                    m.insert(f.clone(), v.clone());
                }
            }
            Value::Object(m)
        }
        _ => doc.clone(),
    }
}

/// `GET /servicePrincipals`
pub(crate) async fn list_service_principals(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Extension(origin): Extension<Origin>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::ServicePrincipalsRead)?;
    throttle(&st, Family::General)?;
    let pairs = query_pairs(&raw);
    let top = parse_top(&pairs, 100, 999)?;
    let filter = match query_opt(&pairs, "$filter") {
        Some(f) => Some(super::odata::parse(
            f,
            &super::odata::SERVICE_PRINCIPAL_FIELDS,
        )?),
        None => None,
    };
    let fields = select_fields(&pairs);
    let skip: usize = match query_opt(&pairs, "$skiptoken") {
        Some(tok) => super::logs::decode_offset(tok)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid $skiptoken '{tok}'.")))?,
        None => 0,
    };
    let t = lock(&st.tenant);
    let matching: Vec<&Value> = t
        .service_principals
        .iter()
        .map(|s| &s.doc)
        .filter(|d| filter.as_ref().is_none_or(|f| f.eval_value(d)))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(top)
        .map(|d| select(d, fields.as_deref()))
        .collect();
    let context = match &fields {
        Some(f) => ver.context(&format!("servicePrincipals({})", f.join(","))),
        None => ver.context("servicePrincipals"),
    };
    let mut body = json!({"@odata.context": context, "value": page});
    if skip + top < matching.len() {
        let mut params: Vec<(&str, String)> = Vec::new();
        for (k, v) in &pairs {
            let k = k.trim_start_matches('$');
            if k.eq_ignore_ascii_case("skiptoken") {
                continue;
            }
            let name = match k.to_ascii_lowercase().as_str() {
                "filter" => "$filter",
                "select" => "$select",
                "top" => "$top",
                _ => continue,
            };
            params.push((name, v.clone()));
        }
        params.push(("$skiptoken", super::logs::encode_offset(skip + top)));
        body["@odata.nextLink"] = json!(next_link(
            &origin,
            &format!("/{}/servicePrincipals", ver.0),
            &params
        ));
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /servicePrincipals/{id}`
pub(crate) async fn get_service_principal(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(sp_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::ServicePrincipalsRead)?;
    throttle(&st, Family::General)?;
    let pairs = query_pairs(&raw);
    let fields = select_fields(&pairs);
    let t = lock(&st.tenant);
    let sp = t.sp(&sp_id).ok_or_else(|| ApiError::not_found(&sp_id))?;
    let mut doc = select(&sp.doc, fields.as_deref());
    if let Some(o) = doc.as_object_mut() {
        o.insert(
            "@odata.context".into(),
            json!(ver.context("servicePrincipals/$entity")),
        );
    }
    Ok(json_response(StatusCode::OK, &doc))
}

fn expand_links(
    items: &[Value],
    link_key: &str,
    targets: &[Value],
    nav: &str,
    expand: bool,
) -> Vec<Value> {
    items
        .iter()
        .map(|item| {
            let mut doc = item.clone();
            let ids: Vec<String> = item
                .get(link_key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(o) = doc.as_object_mut() {
                o.remove("agentGroupIds");
                o.remove("agentIds");
                if expand {
                    let linked: Vec<Value> = targets
                        .iter()
                        .filter(|t| ids.iter().any(|id| id == doc_id(t)))
                        .map(|t| {
                            let mut t = t.clone();
                            if let Some(o) = t.as_object_mut() {
                                o.remove("agentGroupIds");
                                o.remove("agentIds");
                            }
                            t
                        })
                        .collect();
                    o.insert(nav.to_string(), Value::Array(linked));
                }
            }
            doc
        })
        .collect()
}

fn expand_requested(raw: &Option<String>, nav: &str) -> Result<bool, ApiError> {
    let pairs = query_pairs(raw);
    match query_opt(&pairs, "$expand") {
        None => Ok(false),
        Some(e) if e.trim() == nav => Ok(true),
        Some(e) => Err(ApiError::bad_request(format!(
            "Could not find a property named '{e}' on type 'microsoft.graph.onPremisesAgent'. Supported: {nav}."
        ))),
    }
}

/// beta `onPremisesPublishingProfiles/provisioning/{collection}[/{id}]`
async fn publishing(
    st: &AppState,
    claims: &Claims,
    collection: &str,
    id: Option<&str>,
    raw: &Option<String>,
) -> ApiResult {
    let perm = if collection == "publishedResources" {
        Perm::PublishedResourcesRead
    } else {
        Perm::AgentsRead
    };
    require(claims, perm)?;
    throttle(st, Family::General)?;
    let t = lock(&st.tenant);
    let (items, link, targets, nav) = match collection {
        "agents" => (&t.agents, "agentGroupIds", &t.agent_groups, "agentGroups"),
        "agentGroups" => (&t.agent_groups, "agentIds", &t.agents, "agents"),
        _ => (
            &t.published_resources,
            "agentGroupIds",
            &t.agent_groups,
            "agentGroups",
        ),
    };
    let expand = expand_requested(raw, nav)?;
    let ver = ApiVersion("beta");
    let docs = expand_links(items, link, targets, nav, expand);
    match id {
        None => Ok(json_response(
            StatusCode::OK,
            &json!({"@odata.context": ver.context(&format!("onPremisesPublishingProfiles('provisioning')/{collection}")), "value": docs}),
        )),
        Some(id) => {
            let mut doc = docs
                .into_iter()
                .find(|d| doc_id(d) == id)
                .ok_or_else(|| ApiError::not_found(id))?;
            if let Some(o) = doc.as_object_mut() {
                o.insert(
                    "@odata.context".into(),
                    json!(ver.context(&format!(
                        "onPremisesPublishingProfiles('provisioning')/{collection}/$entity"
                    ))),
                );
            }
            Ok(json_response(StatusCode::OK, &doc))
        }
    }
}

pub(crate) async fn publishing_list(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    check_collection(&collection)?;
    publishing(&st, &claims, &collection, None, &raw).await
}

pub(crate) async fn publishing_get(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Path((collection, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    check_collection(&collection)?;
    publishing(&st, &claims, &collection, Some(&id), &raw).await
}

fn check_collection(c: &str) -> Result<(), ApiError> {
    match c {
        "agents" | "agentGroups" | "publishedResources" => Ok(()),
        other => Err(ApiError::bad_request(format!(
            "Resource not found for the segment '{other}'."
        ))),
    }
}

/// The onPremisesSynchronization document for this version (v1.0 keeps only accidentalDeletionPrevention).
fn on_prem_doc(t: &Tenant, ver: ApiVersion) -> Option<Value> {
    let mut doc = t.on_prem_sync.clone()?;
    if !ver.is_beta()
        && let Some(cfg) = doc.get_mut("configuration").and_then(Value::as_object_mut)
    {
        cfg.retain(|k, _| k == "accidentalDeletionPrevention");
    }
    Some(doc)
}

pub(crate) async fn on_prem_list(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
) -> ApiResult {
    require(&claims, Perm::OnPremSyncRead)?;
    throttle(&st, Family::General)?;
    let t = lock(&st.tenant);
    let docs: Vec<Value> = on_prem_doc(&t, ver).into_iter().collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"@odata.context": ver.context("directory/onPremisesSynchronization"), "value": docs}),
    ))
}

pub(crate) async fn on_prem_get(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> ApiResult {
    require(&claims, Perm::OnPremSyncRead)?;
    throttle(&st, Family::General)?;
    let t = lock(&st.tenant);
    let mut doc = on_prem_doc(&t, ver)
        .filter(|d| doc_id(d).eq_ignore_ascii_case(&id))
        .ok_or_else(|| ApiError::not_found(&id))?;
    if let Some(o) = doc.as_object_mut() {
        let mut m = Map::new();
        m.insert(
            "@odata.context".into(),
            json!(ver.context("directory/onPremisesSynchronization/$entity")),
        );
        m.extend(std::mem::take(o));
        *o = m;
    }
    Ok(json_response(StatusCode::OK, &doc))
}

/// Deep-merge `patch` into `target` (objects merge, everything else replaces).
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

pub(crate) async fn on_prem_patch(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require(&claims, Perm::OnPremSyncWrite)?;
    throttle(&st, Family::General)?;
    let patch = json_body(&headers, &body, true)?;
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        ));
    }
    let mut t = lock(&st.tenant);
    let doc = t
        .on_prem_sync
        .as_mut()
        .filter(|d| doc_id(d).eq_ignore_ascii_case(&id))
        .ok_or_else(|| ApiError::not_found(&id))?;
    if let Some(kind) =
        patch.pointer("/configuration/accidentalDeletionPrevention/synchronizationPreventionType")
    {
        let ok = matches!(
            kind.as_str(),
            Some("disabled" | "enabledForCount" | "enabledForPercentage")
        );
        if !ok {
            return Err(ApiError::bad_request(format!(
                "Invalid value {kind} for synchronizationPreventionType; expected disabled, enabledForCount or enabledForPercentage."
            )));
        }
    }
    merge(doc, &patch);
    Ok(no_content())
}
