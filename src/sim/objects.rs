//! Entra users and groups and an application's assignments, as a scoping check reads them:
//! `GET /users/{id}` and `/groups/{id}` (with `$select`), `GET /servicePrincipals/{id}/
//! appRoleAssignedTo` (paged) and `POST /directoryObjects/{id}/checkMemberGroups` (transitive
//! membership). The documents come from the tenant file's `directory` section and each service
//! principal's `appRoleAssignedTo`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::directory::{parse_top, select, select_fields};
use super::server::{
    ApiError, ApiResult, ApiVersion, Origin, Perm, St, json_body, json_response, lock, next_link,
    query_opt, query_pairs, require, throttle,
};
use super::tenant::{Tenant, doc_id};
use super::throttle::Family;
use super::tokens::Claims;

/// `$select` as a list, when given.
fn fields(raw: &Option<String>) -> Option<Vec<String>> {
    select_fields(&query_pairs(raw))
}

fn find<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items.iter().find(|d| doc_id(d).eq_ignore_ascii_case(id))
}

/// One user or group document, `$select`ed, without the emulator's own `members` list.
fn entity(
    st: &St,
    ver: ApiVersion,
    raw: &Option<String>,
    id: &str,
    collection: &str,
    items: impl Fn(&Tenant) -> &[Value],
) -> ApiResult {
    throttle(st, Family::General)?;
    let t = lock(&st.tenant);
    let mut doc = find(items(&t), id)
        .ok_or_else(|| ApiError::not_found(id))?
        .clone();
    if let Some(o) = doc.as_object_mut() {
        o.remove("members");
    }
    let mut out = select(&doc, fields(raw).as_deref());
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "@odata.context".into(),
            json!(ver.context(&format!("{collection}/$entity"))),
        );
    }
    Ok(json_response(StatusCode::OK, &out))
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
    entity(&st, ver, &raw, &id, "users", |t| &t.directory_users)
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
    entity(&st, ver, &raw, &id, "groups", |t| &t.directory_groups)
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
    let top = parse_top(&pairs, 100, 999)?;
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
        .map(|a| select(a, fields(&raw).as_deref()))
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
