//! Entra users and groups and an application's assignments, as a scoping check reads them:
//! `GET /users/{id}` and `/groups/{id}` (with `$select`), `GET /servicePrincipals/{id}/
//! appRoleAssignedTo` (paged) and `POST /directoryObjects/{id}/checkMemberGroups` (transitive
//! membership). The documents come from the tenant file's `directory` section and each service
//! principal's `appRoleAssignedTo`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::server::{
    ApiError, ApiResult, ApiVersion, Origin, Perm, St, json_body, json_response, lock, next_link,
    query_opt, query_pairs, require, throttle,
};
use super::tenant::{Tenant, doc_id};
use super::throttle::Family;
use super::tokens::Claims;

fn selected(doc: &Value, raw: &Option<String>) -> Value {
    let pairs = query_pairs(raw);
    let Some(select) = query_opt(&pairs, "$select") else {
        return doc.clone();
    };
    let mut out = Map::new();
    for f in select.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        out.insert(f.to_owned(), doc.get(f).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

fn find<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items.iter().find(|d| doc_id(d).eq_ignore_ascii_case(id))
}

/// `GET /users/{id}`
pub(crate) async fn get_user(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::UsersRead)?;
    throttle(&st, Family::General)?;
    let t = lock(&st.tenant);
    let doc = find(&t.directory_users, &id).ok_or_else(|| ApiError::not_found(&id))?;
    let mut out = selected(doc, &raw);
    if let Some(o) = out.as_object_mut() {
        o.insert("@odata.context".into(), json!(ver.context("users/$entity")));
    }
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET /groups/{id}`
pub(crate) async fn get_group(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::GroupsRead)?;
    throttle(&st, Family::General)?;
    let t = lock(&st.tenant);
    let doc = find(&t.directory_groups, &id).ok_or_else(|| ApiError::not_found(&id))?;
    let mut doc = doc.clone();
    if let Some(o) = doc.as_object_mut() {
        o.remove("members");
    }
    let mut out = selected(&doc, &raw);
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "@odata.context".into(),
            json!(ver.context("groups/$entity")),
        );
    }
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo` (`$top`, `$skiptoken`, `$select`).
pub(crate) async fn app_role_assigned_to(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Extension(origin): Extension<Origin>,
    Path(sp_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    require(&claims, Perm::ServicePrincipalsRead)?;
    throttle(&st, Family::General)?;
    let pairs = query_pairs(&raw);
    let top = match query_opt(&pairs, "$top") {
        None => 100,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=999).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid page size specified: '{v}'. Must be between 1 and 999 inclusive."
                ))
            })?,
    };
    let skip = match query_opt(&pairs, "$skiptoken") {
        None => 0,
        Some(tok) => super::logs::decode_offset(tok)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid $skiptoken '{tok}'.")))?,
    };
    let t = lock(&st.tenant);
    let sp = t.sp(&sp_id).ok_or_else(|| ApiError::not_found(&sp_id))?;
    let all = &sp.app_role_assigned_to;
    let page: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(top)
        .map(|a| selected(a, &raw))
        .collect();
    let mut out = json!({
        "@odata.context": ver.context(&format!("servicePrincipals('{sp_id}')/appRoleAssignedTo")),
        "value": page,
    });
    if skip + top < all.len() {
        let path = format!("/{}/servicePrincipals/{sp_id}/appRoleAssignedTo", ver.0);
        let mut params = vec![
            ("$top", top.to_string()),
            ("$skiptoken", super::logs::encode_offset(skip + top)),
        ];
        if let Some(s) = query_opt(&pairs, "$select") {
            params.push(("$select", s.to_owned()));
        }
        out["@odata.nextLink"] = json!(next_link(&origin, &path, &params));
    }
    Ok(json_response(StatusCode::OK, &out))
}

/// The groups `id` is a member of, directly or through nested groups.
fn transitive_groups(t: &Tenant, id: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut frontier = vec![id.to_ascii_lowercase()];
    while let Some(member) = frontier.pop() {
        for g in &t.directory_groups {
            let gid = doc_id(g).to_ascii_lowercase();
            let has = g["members"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(&member)))
            });
            if has && !out.contains(&gid) {
                out.push(gid.clone());
                frontier.push(gid);
            }
        }
    }
    out
}

/// `POST /directoryObjects/{id}/checkMemberGroups` `{"groupIds":[...]}` (at most 20).
pub(crate) async fn check_member_groups(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    if action != "checkMemberGroups" {
        return Err(ApiError::bad_request(format!(
            "Resource not found for the segment '{action}'."
        )));
    }
    require(&claims, Perm::GroupsRead)?;
    throttle(&st, Family::General)?;
    let body = json_body(&headers, &body, true)?;
    let ids: Vec<String> = body["groupIds"]
        .as_array()
        .ok_or_else(|| ApiError::bad_request("The request body must carry 'groupIds'."))?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if ids.len() > 20 {
        return Err(ApiError::bad_request(
            "The number of groupIds must not exceed 20.",
        ));
    }
    let t = lock(&st.tenant);
    if find(&t.directory_users, &id).is_none() && find(&t.directory_groups, &id).is_none() {
        return Err(ApiError::not_found(&id));
    }
    let member_of = transitive_groups(&t, &id);
    let hits: Vec<&String> = ids
        .iter()
        .filter(|g| member_of.contains(&g.to_ascii_lowercase()))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"@odata.context": ver.context("Collection(Edm.String)"), "value": hits}),
    ))
}
