//! The Graph reads behind a scoping check: the operators a job's scoping filters support
//! (`GET .../schema/filterOperators`), the Entra user or group with exactly the attributes the
//! clauses name (`$select`), whether the job syncs all or only assigned objects (`SyncAll` in the
//! synchronization secrets), and the object's assignment to the application, directly
//! (`appRoleAssignedTo`) or through a group (`checkMemberGroups`). Every call is first a
//! [`GraphRequest`] value. No printing.

use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{FilterOperatorSchema, ODataCollection, SynchronizationSecret};
use super::sync::{self, JobKey};
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest};

/// `GET .../jobs/{job}/schema/filterOperators`.
pub fn filter_operators_request(key: &JobKey) -> GraphRequest {
    GraphRequest::get(
        ApiVersion::V1,
        key.path().seg("schema").seg("filterOperators"),
    )
}

/// The operators the job's scoping filters support.
pub async fn filter_operators(
    client: &GraphClient,
    key: &JobKey,
) -> Result<Vec<FilterOperatorSchema>, GraphError> {
    let page: ODataCollection<FilterOperatorSchema> =
        client.get_json(&filter_operators_request(key)).await?;
    Ok(page.value)
}

/// Schema attribute names of the Entra ID source directory that Microsoft Graph spells otherwise
/// ("Property differences between Azure AD Graph and Microsoft Graph",
/// learn.microsoft.com/graph/migrate-azure-ad-graph-property-differences).
const GRAPH_NAMES: &[(&str, &str)] = &[
    ("objectId", "id"),
    ("facsimileTelephoneNumber", "faxNumber"),
    ("immutableId", "onPremisesImmutableId"),
    ("mobile", "mobilePhone"),
    ("dirSyncEnabled", "onPremisesSyncEnabled"),
    ("telephoneNumber", "businessPhones"),
    ("physicalDeliveryOfficeName", "officeLocation"),
];

/// The Graph property that carries a schema attribute: its name, and for the on-premises
/// extension attributes the key inside `onPremisesExtensionAttributes`.
fn graph_property(attribute: &str) -> (String, Option<String>) {
    if let Some((_, g)) = GRAPH_NAMES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(attribute))
    {
        return ((*g).to_owned(), None);
    }
    let lower = attribute.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix("extensionattribute")
        && n.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n))
    {
        return (
            "onPremisesExtensionAttributes".to_owned(),
            Some(format!("extensionAttribute{n}")),
        );
    }
    (attribute.to_owned(), None)
}

/// An Entra user or group, read for a scoping check.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryObject {
    /// `user` or `group` (as schemas name the source object).
    pub kind: &'static str,
    /// The object id.
    pub id: String,
    /// Its display name, when Graph gave one.
    pub display_name: Option<String>,
    /// The attributes, keyed by the names the clauses use (`null` when the object has none).
    pub attributes: Map<String, Value>,
    /// Attributes Graph would not select (named in its answer), left as unknown.
    pub unreadable: Vec<String>,
}

/// `GET /users/{id}` (or `/groups/{id}`) with `$select` of exactly these Graph properties.
pub fn directory_object_request(kind: &str, id: &str, select: &[String]) -> GraphRequest {
    let collection = if kind == "group" { "groups" } else { "users" };
    GraphRequest::get(ApiVersion::V1, GraphPath::new().lit(collection).seg(id))
        .query("$select", select.join(","))
}

/// Reads the user (or, when no user has this id, the group) with the attributes the clauses name.
/// `kind` narrows it to `user` or `group`. `Ok(None)` when neither exists. A property Graph refuses
/// to select is dropped and reported in [`DirectoryObject::unreadable`].
pub async fn directory_object(
    client: &GraphClient,
    id: &str,
    kind: Option<&str>,
    attributes: &[String],
) -> Result<Option<DirectoryObject>, GraphError> {
    let kinds: &[&'static str] = match kind {
        Some(k) if k.eq_ignore_ascii_case("group") => &["group"],
        Some(_) => &["user"],
        None => &["user", "group"],
    };
    for &k in kinds {
        let mut wanted: Vec<String> = attributes.to_vec();
        let mut unreadable = Vec::new();
        // Each round drops at most one property Graph refused, so this ends.
        for _ in 0..=attributes.len() {
            let mut select: Vec<String> = vec!["id".into(), "displayName".into()];
            for a in &wanted {
                let (p, _) = graph_property(a);
                if !select.contains(&p) {
                    select.push(p);
                }
            }
            match client
                .get_json::<Map<String, Value>>(&directory_object_request(k, id, &select))
                .await
            {
                Ok(doc) => {
                    return Ok(Some(DirectoryObject {
                        kind: k,
                        id: doc
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or(id)
                            .to_owned(),
                        display_name: doc
                            .get("displayName")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        attributes: pick(&doc, attributes, &unreadable),
                        unreadable,
                    }));
                }
                Err(e) if e.status() == Some(404) => break,
                Err(e) if e.status() == Some(400) => {
                    let message = e.service().map(|s| s.message.clone()).unwrap_or_default();
                    let refused = wanted.iter().position(|a| {
                        let (p, _) = graph_property(a);
                        message.contains(&format!("'{p}'"))
                    });
                    match refused {
                        Some(i) => unreadable.push(wanted.remove(i)),
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}

/// The clause attributes out of a Graph document, keyed by the clause names.
fn pick(
    doc: &Map<String, Value>,
    attributes: &[String],
    unreadable: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for a in attributes {
        if unreadable.contains(a) {
            continue;
        }
        let (p, inner) = graph_property(a);
        let v = doc.get(&p).cloned().unwrap_or(Value::Null);
        let v = match inner {
            Some(k) => v.get(&k).cloned().unwrap_or(Value::Null),
            None => v,
        };
        out.insert(a.clone(), v);
    }
    out
}

/// Whether the job syncs every user and group (`Some(true)`), only assigned ones (`Some(false)`),
/// or doesn't say (`None`): the `SyncAll` synchronization secret.
pub async fn sync_all(
    client: &GraphClient,
    service_principal_id: &str,
) -> Result<Option<bool>, GraphError> {
    let secrets = sync::get_secrets(client, service_principal_id).await?;
    Ok(secrets.get(&SynchronizationSecret::SyncAll).and_then(|v| {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }))
}

/// One `appRoleAssignment` of the application, as far as a scoping check reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    /// The assigned user, group or service principal.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// `User`, `Group` or `ServicePrincipal`.
    #[serde(default)]
    pub principal_type: Option<String>,
    /// Its display name.
    #[serde(default)]
    pub principal_display_name: Option<String>,
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`.
pub fn app_role_assigned_to_request(service_principal_id: &str) -> GraphRequest {
    GraphRequest::get(
        ApiVersion::V1,
        GraphPath::new()
            .lit("servicePrincipals")
            .seg(service_principal_id)
            .lit("appRoleAssignedTo"),
    )
    .query("$select", "principalId,principalType,principalDisplayName")
    .query("$top", "999")
}

/// `POST /directoryObjects/{id}/checkMemberGroups` with up to 20 group ids.
pub fn check_member_groups_request(object_id: &str, group_ids: &[String]) -> GraphRequest {
    GraphRequest::post(
        ApiVersion::V1,
        GraphPath::new()
            .lit("directoryObjects")
            .seg(object_id)
            .lit("checkMemberGroups"),
    )
    .body(json!({ "groupIds": group_ids }))
}

/// How an object is assigned to an application.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// `appRoleAssignedTo` names the object itself.
    pub direct: bool,
    /// The assigned groups it is a (transitive) member of: display name, else id.
    pub via_groups: Vec<String>,
}

/// Reads the application's assignments and whether `object_id` is among them, directly or through
/// an assigned group (`checkMemberGroups` checks transitive membership, 20 groups a call).
pub async fn assignment(
    client: &GraphClient,
    service_principal_id: &str,
    object_id: &str,
) -> Result<Assignment, GraphError> {
    let mut out = Assignment::default();
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut items =
        client.items::<AppRoleAssignment>(app_role_assigned_to_request(service_principal_id));
    while let Some(a) = items.try_next().await? {
        let Some(pid) = a.principal_id else { continue };
        if pid.eq_ignore_ascii_case(object_id) {
            out.direct = true;
        } else if a
            .principal_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Group"))
            && !groups.iter().any(|(g, _)| g.eq_ignore_ascii_case(&pid))
        {
            let name = a.principal_display_name.unwrap_or_else(|| pid.clone());
            groups.push((pid, name));
        }
    }
    for chunk in groups.chunks(20) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
        let member: ODataCollection<String> = client
            .get_json(&check_member_groups_request(object_id, &ids))
            .await?;
        for id in member.value {
            if let Some((_, name)) = chunk.iter().find(|(g, _)| g.eq_ignore_ascii_case(&id)) {
                out.via_groups.push(name.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_attribute_names_map_to_graph_properties() {
        assert_eq!(graph_property("department"), ("department".into(), None));
        assert_eq!(graph_property("objectId"), ("id".into(), None));
        assert_eq!(graph_property("mobile"), ("mobilePhone".into(), None));
        assert_eq!(
            graph_property("extensionAttribute7"),
            (
                "onPremisesExtensionAttributes".into(),
                Some("extensionAttribute7".into())
            )
        );
        assert_eq!(graph_property("extensionAttribute16").1, None);
        let doc: Map<String, Value> = serde_json::from_value(json!({
            "id": "u", "mobilePhone": "+1",
            "onPremisesExtensionAttributes": {"extensionAttribute7": "x"}
        }))
        .unwrap_or_default();
        let attrs = ["mobile", "extensionAttribute7", "department"].map(String::from);
        let picked = pick(&doc, &attrs, &[]);
        assert_eq!(picked["mobile"], json!("+1"));
        assert_eq!(picked["extensionAttribute7"], json!("x"));
        assert_eq!(picked["department"], Value::Null);
    }

    #[test]
    fn requests_name_exactly_the_selected_properties() {
        let r = directory_object_request("user", "u-1", &["id".into(), "department".into()]);
        let text = r.to_http_text(
            &url::Url::parse("https://graph.microsoft.com").unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(
            text.starts_with(
                "GET https://graph.microsoft.com/v1.0/users/u-1?$select=id,department"
            ),
            "{text}"
        );
        let c = check_member_groups_request("u-1", &["g1".into()]);
        assert!(
            c.to_http_text(
                &url::Url::parse("https://graph.microsoft.com").unwrap_or_else(|e| panic!("{e}"))
            )
            .contains("\"groupIds\"")
        );
    }
}
