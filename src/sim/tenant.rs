//! The emulator's tenant: JSON documents loaded from a tenant file (format in the module docs of
//! `sim`), the demo tenant or the generator, plus the per-job simulation state. Relative times
//! (`$now-3d`) are resolved at load so a tenant always looks current.

use super::SimError;
use super::generate::{GenLogs, GenerateSpec};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

/// An app registration that can get tokens.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub display_name: String,
    pub roles: Vec<String>,
    pub public_client: bool,
    /// Certificates registered on the app (for client assertions).
    pub certificates: Vec<AppCert>,
}

/// A certificate registered on an app: its thumbprints and public key.
#[derive(Debug, Clone)]
pub(crate) struct AppCert {
    /// base64url SHA-1 of the DER (`x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER (`x5t#S256`).
    pub x5t_s256: String,
    /// DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
}

/// One DER TLV: (tag, content, whole encoding, rest of input).
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn der_tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((tag, &input[hdr..end], &input[..end], &input[end..]))
}

/// The SubjectPublicKeyInfo of an X.509 certificate (DER).
fn spki_of(cert: &[u8]) -> Option<Vec<u8>> {
    let (_, cert_body, _, _) = der_tlv(cert)?;
    let (_, tbs, _, _) = der_tlv(cert_body)?;
    let mut rest = tbs;
    let (tag, _, _, r) = der_tlv(rest)?;
    if tag == 0xA0 {
        rest = r;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = der_tlv(rest)?.3;
    }
    Some(der_tlv(rest)?.2.to_vec())
}

/// Parse a PEM certificate into an [`AppCert`].
pub(crate) fn app_cert(pem: &str) -> Result<AppCert, String> {
    use aws_lc_rs::digest;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| e.to_string())?;
    let spki = spki_of(&der).ok_or("not an X.509 certificate")?;
    Ok(AppCert {
        x5t: super::tokens::b64(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref()),
        x5t_s256: super::tokens::b64(digest::digest(&digest::SHA256, &der).as_ref()),
        spki,
    })
}

/// A user who can sign in with the device code flow.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub scopes: Vec<String>,
}

/// The managed identity of the host the client pretends to run on.
#[derive(Debug, Clone)]
pub(crate) struct ManagedIdentity {
    pub client_id: String,
    pub principal_id: String,
    pub roles: Vec<String>,
    pub identity_header: String,
}

/// One synchronization job and its simulation state.
#[derive(Debug, Clone)]
pub(crate) struct JobEntry {
    /// The document as GET returns it (kept current by `jobs::advance`).
    pub doc: Value,
    /// Outcomes of successive runs after start/restart; the last repeats.
    pub script: Vec<Value>,
    /// How many scripted runs have completed.
    pub runs_done: usize,
    pub credentials_valid: bool,
    pub schema: Option<Value>,
    /// A run began at this time and ends one cycle later.
    pub running_since: Option<DateTime<Utc>>,
    /// The next run is a full initial cycle (Watermark was reset).
    pub full_cycle: bool,
    /// ForceDeletes was given since the last TooManyDeletes quarantine.
    pub force_deletes: bool,
    /// The last quarantine (kept across a temporary lift so a series can continue).
    pub last_quarantine: Option<Value>,
    /// `actionError` of the tenant file: the error start, pause and restart answer for this job.
    pub action_error: Option<Value>,
}

/// A service principal document plus its synchronization.
#[derive(Debug, Clone)]
pub(crate) struct ServicePrincipal {
    pub doc: Value,
    pub jobs: Vec<JobEntry>,
    pub secrets: Vec<Value>,
    /// `appRoleAssignedTo`: who is assigned to the application.
    pub app_role_assigned_to: Vec<Value>,
}

/// The whole tenant.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub tenant_id: String,
    pub domains: Vec<String>,
    pub apps: Vec<App>,
    pub users: Vec<User>,
    pub managed_identity: Option<ManagedIdentity>,
    pub service_principals: Vec<ServicePrincipal>,
    /// Stored provisioning logs, sorted by (activityDateTime, id) descending.
    pub logs: Vec<Value>,
    /// Generated provisioning logs (served on the fly), if the tenant was generated.
    pub generated_logs: Option<GenLogs>,
    pub agents: Vec<Value>,
    pub agent_groups: Vec<Value>,
    pub published_resources: Vec<Value>,
    pub on_prem_sync: Option<Value>,
    /// Entra users (`directory.users`), served by `GET /users/{id}`.
    pub directory_users: Vec<Value>,
    /// Entra groups (`directory.groups`, each with `members`: ids of users and groups).
    pub directory_groups: Vec<Value>,
    /// Service principal index by id, built on first lookup (the list never changes after load).
    pub sp_index: std::sync::OnceLock<std::collections::HashMap<String, usize>>,
}

impl Tenant {
    fn sp_pos(&self, id: &str) -> Option<usize> {
        self.sp_index
            .get_or_init(|| {
                self.service_principals
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (doc_id(&s.doc).to_owned(), i))
                    .collect()
            })
            .get(id)
            .copied()
    }
    /// Find a service principal by id.
    pub fn sp(&self, id: &str) -> Option<&ServicePrincipal> {
        self.sp_pos(id).and_then(|i| self.service_principals.get(i))
    }
    /// Find a service principal by id, mutably.
    pub fn sp_mut(&mut self, id: &str) -> Option<&mut ServicePrincipal> {
        self.sp_pos(id)
            .and_then(move |i| self.service_principals.get_mut(i))
    }
    /// Whether `name` designates this tenant (its id or one of its domains).
    pub fn is_known_tenant(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.tenant_id)
            || self.domains.iter().any(|d| d.eq_ignore_ascii_case(name))
            || name == "organizations"
            || name == "common"
    }
}

/// The `id` of a document, or "".
pub(crate) fn doc_id(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or("")
}

/// Format an instant like Graph does (UTC, whole seconds, `Z`).
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Replace every `$now…` string in `v` by the instant it names.
pub(crate) fn resolve_times(v: &mut Value, now: DateTime<Utc>) -> Result<(), SimError> {
    match v {
        Value::String(s) if s.starts_with("$now") => {
            *s = fmt_time(relative_time(s, now)?);
        }
        Value::Array(items) => {
            for item in items {
                resolve_times(item, now)?;
            }
        }
        Value::Object(map) => {
            for (_, item) in map.iter_mut() {
                resolve_times(item, now)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn relative_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, SimError> {
    let rest = &s[4..];
    if rest.is_empty() {
        return Ok(now);
    }
    let bad = || {
        SimError::Tenant(format!(
            "`{s}` is not a relative time; use $now, $now-3d, $now+2h, $now-90m or $now-15s"
        ))
    };
    let (sign, body) = match rest.as_bytes()[0] {
        b'-' => (-1i64, &rest[1..]),
        b'+' => (1i64, &rest[1..]),
        _ => return Err(bad()),
    };
    let Some(unit_start) = body.char_indices().last().map(|(i, _)| i) else {
        return Err(bad());
    };
    let (num, unit) = body.split_at(unit_start);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let d = match unit {
        "d" => ChronoDuration::days(n),
        "h" => ChronoDuration::hours(n),
        "m" => ChronoDuration::minutes(n),
        "s" => ChronoDuration::seconds(n),
        _ => return Err(bad()),
    };
    Ok(if sign < 0 { now - d } else { now + d })
}

pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn string(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Parse a tenant document (after `$now` resolution).
pub(crate) fn from_json(mut root: Value, now: DateTime<Utc>) -> Result<Tenant, SimError> {
    resolve_times(&mut root, now)?;
    let tenant_id = string(&root, "tenantId");
    if tenant_id.is_empty() {
        return Err(SimError::Tenant("`tenantId` is missing".into()));
    }
    let mut apps = Vec::new();
    for app in root
        .get("apps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut certificates = Vec::new();
        for pem in strings(app.get("certificates")) {
            certificates.push(app_cert(&pem).map_err(|e| {
                SimError::Tenant(format!(
                    "app {}: a certificate is not a PEM X.509 certificate ({e})",
                    string(app, "clientId")
                ))
            })?);
        }
        apps.push(App {
            client_id: string(app, "clientId"),
            client_secret: app
                .get("clientSecret")
                .and_then(Value::as_str)
                .map(str::to_string),
            display_name: string(app, "displayName"),
            roles: strings(app.get("roles")),
            public_client: app
                .get("publicClient")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            certificates,
        });
    }
    let users = root
        .get("users")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|u| User {
                    id: string(u, "id"),
                    upn: string(u, "userPrincipalName"),
                    display_name: string(u, "displayName"),
                    scopes: strings(u.get("scopes")),
                })
                .collect()
        })
        .unwrap_or_default();
    let managed_identity = root.get("managedIdentity").map(|m| ManagedIdentity {
        client_id: string(m, "clientId"),
        principal_id: string(m, "principalId"),
        roles: strings(m.get("roles")),
        identity_header: string(m, "identityHeader"),
    });
    let mut service_principals = Vec::new();
    if let Some(sps) = root
        .get_mut("servicePrincipals")
        .and_then(Value::as_array_mut)
    {
        for sp in sps.drain(..) {
            service_principals.push(parse_sp(sp)?);
        }
    }
    let mut logs: Vec<Value> = match root.get_mut("provisioningLogs") {
        Some(Value::Array(a)) => std::mem::take(a),
        _ => Vec::new(),
    };
    sort_logs(&mut logs);
    let take = |root: &mut Value, key: &str| match root.get_mut(key) {
        Some(Value::Array(a)) => std::mem::take(a),
        _ => Vec::new(),
    };
    let agents = take(&mut root, "agents");
    let agent_groups = take(&mut root, "agentGroups");
    let published_resources = take(&mut root, "publishedResources");
    let on_prem_sync = root.get("onPremisesSynchronization").cloned();
    let directory = |kind: &str| {
        root.pointer(&format!("/directory/{kind}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (directory_users, directory_groups) = (directory("users"), directory("groups"));
    Ok(Tenant {
        tenant_id,
        domains: strings(root.get("domains")),
        apps,
        users,
        managed_identity,
        service_principals,
        logs,
        generated_logs: None,
        agents,
        agent_groups,
        published_resources,
        on_prem_sync,
        directory_users,
        directory_groups,
        sp_index: std::sync::OnceLock::new(),
    })
}

/// Sort logs newest first, ties by id descending (the cursor order).
pub(crate) fn sort_logs(logs: &mut [Value]) {
    logs.sort_by(|a, b| {
        let ka = (a["activityDateTime"].as_str(), a["id"].as_str());
        let kb = (b["activityDateTime"].as_str(), b["id"].as_str());
        kb.cmp(&ka)
    });
}

fn parse_sp(mut sp: Value) -> Result<ServicePrincipal, SimError> {
    let sync = sp
        .as_object_mut()
        .and_then(|o| o.remove("synchronization"))
        .unwrap_or(Value::Null);
    let app_role_assigned_to = match sp
        .as_object_mut()
        .and_then(|o| o.remove("appRoleAssignedTo"))
    {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    if doc_id(&sp).is_empty() {
        return Err(SimError::Tenant(
            "a service principal has no `id`".to_string(),
        ));
    }
    let secrets = sync
        .get("secrets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut jobs = Vec::new();
    for j in sync
        .get("jobs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let doc = j.get("job").cloned().unwrap_or(Value::Null);
        if doc_id(&doc).is_empty() {
            return Err(SimError::Tenant(format!(
                "service principal {}: a job has no `job.id`",
                doc_id(&sp)
            )));
        }
        jobs.push(JobEntry {
            last_quarantine: doc
                .pointer("/status/quarantine")
                .filter(|q| !q.is_null())
                .cloned(),
            doc,
            script: j
                .get("script")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            runs_done: 0,
            credentials_valid: j
                .get("credentialsValid")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            schema: j.get("schema").cloned(),
            running_since: None,
            full_cycle: false,
            force_deletes: false,
            action_error: j.get("actionError").filter(|e| e.is_object()).cloned(),
        });
    }
    Ok(ServicePrincipal {
        doc: sp,
        jobs,
        secrets,
        app_role_assigned_to,
    })
}

/// Cloud sync's default user exclusions, as a captured cloud sync schema keeps them in the users
/// mapping's `inputFilterGroups` (tests/fixtures/real/cloud-sync-schema-user-scope.json).
fn cloud_sync_default_scope() -> Value {
    let clause = |op: &str, attr: &str, value: Option<&str>| {
        json!({"operatorName": op, "sourceOperandName": attr,
            "targetOperand": value.map(|v| json!({"values": [v]}))})
    };
    json!({
        "categoryFilterGroups": [],
        "groups": [],
        "inputFilterGroups": [{
            "name": "DefaultUserExclusions.0.UX-OrganizationalGroup-Scope",
            "clauses": [
                clause("IS FALSE", "isCriticalSystemObject", None),
                clause("NOT REGEX MATCH", "adminDescription", Some("^User_")),
                clause("IS NOT NULL", "sAMAccountName", None),
                clause("NOT EQUALS", "sAMAccountName", Some("SUPPORT_388945a0")),
                clause("NOT REGEX MATCH", "mailNickname", Some("^SystemMailbox{")),
                clause("NOT REGEX MATCH", "sAMAccountName", Some("^MSOL_")),
                clause("!&", "msExchRecipientTypeDetails", Some("566259712")),
            ]
        }]
    })
}

/// A default synchronizationSchema for jobs whose tenant entry has none. Cloud sync jobs carry
/// cloud sync's default exclusions; app jobs no scoping filter ("By default, Microsoft Entra
/// provisioning connectors don't have any attribute-based scoping filters configured", scoping
/// filters documentation).
pub(crate) fn default_schema(job: &Value) -> Value {
    let template = job["templateId"].as_str().unwrap_or("");
    let cloud_sync = template.starts_with("AD2AAD");
    let (source, target) = if cloud_sync {
        ("ActiveDirectory", "AzureActiveDirectory")
    } else {
        ("AzureActiveDirectory", "customappsso")
    };
    json!({
        "id": job["id"],
        "version": "Date:2024-05-01T00:00:00.0000000Z~Version:1",
        "synchronizationRules": [{
            "id": format!("{}-rule-users", template),
            "name": format!("{source} to {target}"),
            "sourceDirectoryName": source,
            "targetDirectoryName": target,
            "editable": true,
            "containerFilter": {"includedContainers": []},
            "groupFilter": {"includedGroups": []},
            "metadata": [],
            "objectMappings": [{
                "enabled": true,
                "flowTypes": "Add, Update, Delete",
                "name": "Provision users",
                "sourceObjectName": "user",
                "targetObjectName": if cloud_sync { "User" } else { "urn:ietf:params:scim:schemas:core:2.0:User" },
                "attributeMappings": [{
                    "defaultValue": "",
                    "exportMissingReferences": false,
                    "flowBehavior": "FlowWhenChanged",
                    "flowType": "Always",
                    "matchingPriority": 1,
                    "source": {"expression": "[userPrincipalName]", "name": "userPrincipalName", "type": "Attribute", "parameters": []},
                    "targetAttributeName": "userName"
                }],
                "metadata": [],
                "scope": if cloud_sync { cloud_sync_default_scope() } else { Value::Null }
            }]
        }],
        "directories": [
            {"id": source, "name": source, "version": "1.0", "discoveryDateTime": null, "discoverabilities": "None", "objects": [], "readOnly": false},
            {"id": target, "name": target, "version": "1.0", "discoveryDateTime": null, "discoverabilities": "None", "objects": [], "readOnly": false}
        ]
    })
}

/// Build a generated tenant: `spec.sps` service principals, the first `spec.jobs` of which carry
/// one job each (a deterministic mix of states), logs served on the fly.
pub(crate) fn generated(spec: &GenerateSpec, now: DateTime<Utc>) -> Result<Tenant, SimError> {
    let mut base = super::demo::tenant_json();
    if let Some(o) = base.as_object_mut() {
        o.insert("servicePrincipals".into(), json!([]));
        o.insert("provisioningLogs".into(), json!([]));
    }
    let mut t = from_json(base, now)?;
    t.service_principals = super::generate::service_principals(spec, &t.tenant_id, now);
    t.sp_index = std::sync::OnceLock::new();
    t.generated_logs = Some(GenLogs::new(spec, &t.tenant_id, now.timestamp_millis()));
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_resolve_and_bad_ones_are_named() {
        let now = Utc::now();
        let mut v = json!({"a": "$now-3d", "b": ["$now+2h", "$now"], "c": "plain"});
        resolve_times(&mut v, now).unwrap();
        assert_eq!(v["a"], fmt_time(now - ChronoDuration::days(3)));
        assert_eq!(v["b"][1], fmt_time(now));
        assert_eq!(v["c"], "plain");
        assert!(resolve_times(&mut json!({"x": "$now-3é"}), now).is_err());
        assert!(resolve_times(&mut json!({"x": "$now-"}), now).is_err());
        let err = resolve_times(&mut json!({"x": "$now-3w"}), now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`$now-3w`"), "{err}");
    }

    #[test]
    fn tenant_without_id_or_with_bad_jobs_is_refused() {
        let now = Utc::now();
        assert!(from_json(json!({}), now).is_err());
        let err = from_json(
            json!({"tenantId": "t", "servicePrincipals": [{"id": "sp", "synchronization": {"jobs": [{"job": {}}]}}]}),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("job.id"), "{err}");
        let err = from_json(
            json!({"tenantId": "t", "apps": [{"clientId": "c", "certificates": ["nope"]}]}),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("app c"), "{err}");
    }

    #[test]
    fn the_demo_tenant_loads() {
        let t = super::super::demo::tenant(Utc::now()).unwrap();
        assert_eq!(t.service_principals.len(), 8);
        assert!(t.logs.len() >= 30);
        assert!(t.is_known_tenant("contoso.onmicrosoft.com"));
    }
}
