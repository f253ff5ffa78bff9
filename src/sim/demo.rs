//! The built-in demo tenant: every case an admin should meet, with stable ids. Documents live in
//! `demo-tenant.json` (embedded; `$now-…` times resolved at load); provisioning logs are built
//! here from a compact table so they stay consistent with the jobs.
//!
//! | what | id |
//! |---|---|
//! | tenant | [`TENANT_ID`] (`contoso.onmicrosoft.com`) |
//! | app with every application permission | [`CLIENT_ID`] / [`CLIENT_SECRET`] (also a public client for device code) |
//! | read-only app (Synchronization.Read.All, Application.Read.All) | `0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9` / `reader-secret~Lm3Np6Qr9St2` |
//! | user for device code | `admin@contoso.com` |
//! | cloud sync `corp.contoso.com` (template `1a4721b3-…`) | [`SP_CORP`]: [`JOB_CORP_PROVISIONING`] quarantined `EncounteredEscrowProportionThreshold` (restart with Escrows/QuarantineState → healthy), [`JOB_CORP_PHS`] healthy |
//! | cloud sync `emea.corp.contoso.com` | [`SP_EMEA`]: [`JOB_EMEA_PROVISIONING`] quarantined `TooManyDeletes` (needs ForceDeletes; `Full` alone re-quarantines); its last cycle logged [`EMEA_HELD_BACK_DELETES`] `delete` events (status `skipped`) |
//! | Salesforce | [`SP_SALESFORCE`]: [`JOB_SALESFORCE`] quarantined `EncounteredQuarantineException` / `SalesforceInvalidCredentials`; validateCredentials → 400; every run re-quarantines |
//! | ServiceNow | [`SP_SERVICENOW`]: [`JOB_SERVICENOW`] active, last run `EntryLevelErrors` |
//! | Box | [`SP_BOX`]: [`JOB_BOX`] paused |
//! | Dropbox Business | [`SP_DROPBOX`]: [`JOB_DROPBOX`] `NotRun` |
//! | no jobs | `Microsoft.Azure.SyncFabric`, `Contoso HR Portal` |
//! | agents | `DC01.corp.contoso.com` active, `DC02.corp.contoso.com` inactive, `EMEA-DC01…` active |
//! | onPremisesSynchronization | id = tenant id; deletion prevention `enabledForCount` 500 |
//!
//! Known AD ObjectGuids (cloud sync logs, `sourceIdentity/id`):
//!
//! | ObjectGuid | object | what it shows |
//! |---|---|---|
//! | [`OG_CREATED`] | Adele Vance | created in Entra ID (success); department 'Sales', in scope of `Sales only` |
//! | [`OG_INVALID_DOMAIN`] | Alex Wilber | fails three cycles in a row: `InvalidDomain` (UPN suffix not verified) |
//! | [`OG_DUPLICATE`] | Megan Bowen | fails: `DuplicateTargetEntries` |
//! | [`OG_MISSING_FIELDS`] | svc-backup | fails: `MandatoryFieldsMissing` |
//! | [`OG_SOURCE_ONLY`] | (none) | skipped, identity has only a source id: the agent filtered it out by OU/group scoping |
//! | [`OG_CRITICAL`] | krbtgt | skipped: `IsCriticalSystemObject` = True |
//! | [`OG_SCOPING`] | Lee Gu | skipped: the job's scoping filter `Sales only` (department EQUALS 'Sales') excludes him (department 'Marketing'); the import step records his attributes |
//! | [`OG_EMEA_UPDATED`] | Pradeep Gupta | updated by the emea configuration (success) |
//!
//! App provisioning logs (Entra object ids, `sourceIdentity/id`): [`USER_SN_CREATED`] (ServiceNow
//! create, success), [`USER_SN_CONFLICT`] (`ServiceNowEntryConflict`, HTTP 409),
//! [`USER_SN_NOT_ENTITLED`] (skipped, not effectively entitled), [`USER_SN_REDUNDANT`] (skipped,
//! `RedundantExport`), [`USER_SF_UNAUTHORIZED`] (Salesforce `Unauthorized`),
//! [`USER_SF_LICENSE`] (Salesforce `LicenseLimitExceeded`), [`USER_SN_OUT_OF_SCOPE`] (skipped by
//! ServiceNow's scoping filters). Plus routine successful updates.
//!
//! Scoping (`scope check`): ServiceNow syncs only assigned users and groups (`SyncAll` = false)
//! and scopes users with two filters, `Sales department` (department EQUALS 'Sales' and
//! accountEnabled IS TRUE) or `Contractors` (userPrincipalName REGEX MATCH). The `directory`
//! section holds its users: Isaiah Langer (Sales, assigned through [`GROUP_SN_USERS`]), Johanna
//! Lorenz (Sales, through the nested group `Sales Team`), Lynne Robbins and Nestor Wilke (assigned
//! directly; Nestor's department, Operations, fails both filters), Cameron White (Marketing,
//! assigned directly, excluded by both filters) and Henrietta Mueller ([`USER_SN_UNASSIGNED`]:
//! Sales, but not assigned, so skipped before any filter applies). corp.contoso.com's users job keeps cloud sync's
//! default exclusions in `inputFilterGroups` and adds `Sales only`.

use super::SimError;
use super::tenant::{Tenant, fmt_time, from_json, sort_logs};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The demo tenant id.
pub const TENANT_ID: &str = "4f2a6c1e-9b3d-4e5f-8a7c-1d2e3f4a5b6c";
/// Client id of the demo app (every application permission).
pub const CLIENT_ID: &str = "5b7e2f3a-1c4d-4e8f-9a0b-6c2d8e1f3a57";
/// Client secret of the demo app.
pub const CLIENT_SECRET: &str = "provctl-demo-secret~Q8w2Zr5Tn9Lb4Xv7";
/// Cloud sync configuration `corp.contoso.com`.
pub const SP_CORP: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e01";
/// Cloud sync configuration `emea.corp.contoso.com`.
pub const SP_EMEA: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e02";
/// Salesforce.
pub const SP_SALESFORCE: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e03";
/// ServiceNow.
pub const SP_SERVICENOW: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e04";
/// Box.
pub const SP_BOX: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e05";
/// Dropbox Business.
pub const SP_DROPBOX: &str = "6a1f4c2e-8b3d-4f5a-9c7e-0d1b2a3c4e06";
/// corp.contoso.com users/groups job (quarantined: escrow proportion).
pub const JOB_CORP_PROVISIONING: &str =
    "AD2AADProvisioning.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e01";
/// corp.contoso.com password hash sync job (healthy).
pub const JOB_CORP_PHS: &str =
    "AD2AADPasswordHash.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e02";
/// emea.corp.contoso.com users/groups job (quarantined: TooManyDeletes).
pub const JOB_EMEA_PROVISIONING: &str =
    "AD2AADProvisioning.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e03";
/// Salesforce job (quarantined: invalid credentials).
pub const JOB_SALESFORCE: &str =
    "salesforce.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e04";
/// ServiceNow job (active, entry-level errors).
pub const JOB_SERVICENOW: &str =
    "ServiceNowOutDelta.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e05";
/// Box job (paused).
pub const JOB_BOX: &str =
    "BoxOutDelta.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e06";
/// Dropbox job (NotRun).
pub const JOB_DROPBOX: &str =
    "DropboxSCIMOutDelta.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e07";

/// AD ObjectGuid: created in Entra ID.
pub const OG_CREATED: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f601";
/// AD ObjectGuid: InvalidDomain failures.
pub const OG_INVALID_DOMAIN: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f602";
/// AD ObjectGuid: DuplicateTargetEntries failure.
pub const OG_DUPLICATE: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f603";
/// AD ObjectGuid: skipped with only a source id (agent-side scoping).
pub const OG_SOURCE_ONLY: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f604";
/// AD ObjectGuid: skipped, IsCriticalSystemObject.
pub const OG_CRITICAL: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f605";
/// AD ObjectGuid: skipped by a scoping filter.
pub const OG_SCOPING: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f606";
/// AD ObjectGuid: MandatoryFieldsMissing failure.
pub const OG_MISSING_FIELDS: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f607";
/// AD ObjectGuid: updated by the emea configuration.
pub const OG_EMEA_UPDATED: &str = "a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f608";
/// Entra user: created in ServiceNow.
pub const USER_SN_CREATED: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d01";
/// Entra user: ServiceNowEntryConflict.
pub const USER_SN_CONFLICT: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d02";
/// Entra user: skipped, not effectively entitled.
pub const USER_SN_NOT_ENTITLED: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d03";
/// Entra user: skipped, RedundantExport.
pub const USER_SN_REDUNDANT: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d04";
/// Entra user: Salesforce Unauthorized.
pub const USER_SF_UNAUTHORIZED: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d05";
/// Entra user: Salesforce LicenseLimitExceeded.
pub const USER_SF_LICENSE: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d06";
/// Entra user: skipped by ServiceNow's scoping filters (department 'Marketing'), assigned directly.
pub const USER_SN_OUT_OF_SCOPE: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d08";
/// Entra user: not assigned to ServiceNow (which syncs only assigned users): skipped before any filter.
pub const USER_SN_UNASSIGNED: &str = "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d09";
/// Entra group assigned to ServiceNow (`ServiceNow Users`; the group `Sales Team` is nested in it).
pub const GROUP_SN_USERS: &str = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a01";

const TENANT_JSON: &str = include_str!("demo-tenant.json");

/// The demo tenant document as embedded (times still relative).
pub(crate) fn tenant_json() -> Value {
    serde_json::from_str(TENANT_JSON).unwrap_or_else(|_| json!({"tenantId": TENANT_ID}))
}

/// The demo tenant with times resolved against `now` and its provisioning logs.
pub(crate) fn tenant(now: DateTime<Utc>) -> Result<Tenant, SimError> {
    let mut t = from_json(tenant_json(), now)?;
    t.logs = logs(now);
    sort_logs(&mut t.logs);
    Ok(t)
}

struct Ctx {
    sp: &'static str,
    sp_name: &'static str,
    job: &'static str,
    cloud_sync: bool,
}

const CORP: Ctx = Ctx {
    sp: SP_CORP,
    sp_name: "corp.contoso.com",
    job: JOB_CORP_PROVISIONING,
    cloud_sync: true,
};
const EMEA: Ctx = Ctx {
    sp: SP_EMEA,
    sp_name: "emea.corp.contoso.com",
    job: JOB_EMEA_PROVISIONING,
    cloud_sync: true,
};
const SERVICENOW: Ctx = Ctx {
    sp: SP_SERVICENOW,
    sp_name: "ServiceNow",
    job: JOB_SERVICENOW,
    cloud_sync: false,
};
const SALESFORCE: Ctx = Ctx {
    sp: SP_SALESFORCE,
    sp_name: "Salesforce",
    job: JOB_SALESFORCE,
    cloud_sync: false,
};
const BOX: Ctx = Ctx {
    sp: SP_BOX,
    sp_name: "Box",
    job: JOB_BOX,
    cloud_sync: false,
};

enum Outcome {
    Success,
    Failure {
        code: &'static str,
        reason: &'static str,
        category: &'static str,
        action: Option<&'static str>,
    },
    Skipped {
        step: Value,
    },
}

struct Entry {
    ctx: &'static Ctx,
    minutes_ago: i64,
    action: &'static str,
    source_id: &'static str,
    name: &'static str,
    target_id: &'static str,
    outcome: Outcome,
}

fn step(name: &str, kind: &str, status: &str, description: String, details: Value) -> Value {
    json!({"name": name, "provisioningStepType": kind, "status": status, "description": description, "details": details})
}

/// The attributes the import step records for an object (empty for most demo objects).
fn imported(source_id: &str) -> Value {
    let ad = |sam: &str, name: &str, dept: &str| {
        json!({"objectGUID": "", "sAMAccountName": sam, "mailNickname": sam,
            "userPrincipalName": format!("{sam}@contoso.com"), "department": dept,
            "isCriticalSystemObject": "False",
            "distinguishedName": format!("CN={name},OU=Users,DC=corp,DC=contoso,DC=com")})
    };
    let entra = |upn: &str, dept: &str| {
        json!({"objectId": "", "accountEnabled": "True", "userPrincipalName": upn,
            "mailNickname": upn.split('@').next().unwrap_or(upn), "department": dept,
            "IsSoftDeleted": "False", "appRoleAssignments": "msiam_access"})
    };
    let mut v = match source_id {
        OG_CREATED => ad("adelev", "Adele Vance", "Sales"),
        OG_SCOPING => ad("leeg", "Lee Gu", "Marketing"),
        USER_SN_CREATED => entra("isaiahl@contoso.com", "Sales"),
        USER_SN_OUT_OF_SCOPE => entra("cameronw@contoso.com", "Marketing"),
        _ => return json!({}),
    };
    for key in ["objectGUID", "objectId"] {
        if v.get(key).is_some() {
            v[key] = json!(source_id);
        }
    }
    v
}

/// `ScopeEvaluationResult` as the scoping step records it (Microsoft's cross-tenant example shape).
fn scope_result(source_id: &str) -> Option<String> {
    let r = match source_id {
        OG_CREATED => json!({"Sales only.department EQUALS 'Sales'": true}),
        OG_SCOPING => json!({"Sales only.department EQUALS 'Sales'": false}),
        USER_SN_CREATED => json!({"Sales department.department EQUALS 'Sales'": true,
            "Sales department.accountEnabled IS TRUE": true}),
        USER_SN_OUT_OF_SCOPE => json!({"Sales department.department EQUALS 'Sales'": false,
            "Sales department.accountEnabled IS TRUE": true,
            "Contractors.userPrincipalName REGEX MATCH '.*@contractors\\.contoso\\.com$'": false}),
        _ => return None,
    };
    Some(r.to_string())
}

fn id_for(kind: &str, n: usize) -> String {
    super::generate::det_guid(&format!("provctl-demo-{kind}-{n}"))
}

fn record(n: usize, e: &Entry, now: DateTime<Utc>) -> Value {
    let ctx = e.ctx;
    let (src_sys, tgt_sys) = if ctx.cloud_sync {
        ("Active Directory", "Azure Active Directory")
    } else {
        ("Azure Active Directory", ctx.sp_name)
    };
    let kind = if ctx.cloud_sync { "user" } else { "User" };
    let import = step(
        if e.action == "create" {
            "EntryImportAdd"
        } else {
            "EntryImport"
        },
        "import",
        "success",
        format!(
            "Received {kind} '{}' change of type ({}) from {src_sys}",
            e.name,
            if e.action == "create" {
                "Add"
            } else {
                "Update"
            }
        ),
        imported(e.source_id),
    );
    let mut scoping_details =
        json!({"Active in the source system": "True", "Scoping filter evaluation passed": "True"});
    if let Some(r) = scope_result(e.source_id) {
        scoping_details["ScopeEvaluationResult"] = json!(r);
    }
    let scoping = step(
        "EntrySynchronizationScoping",
        "scoping",
        "success",
        format!("Determine if {kind} in scope by evaluating against each scoping filter"),
        scoping_details,
    );
    let matching = step(
        "EntrySynchronizationAdd",
        "matching",
        "success",
        format!(
            "{kind} '{}' will be {} in {tgt_sys}",
            e.name,
            if e.action == "create" {
                "created"
            } else {
                "updated"
            }
        ),
        json!({}),
    );
    let export_name = if e.action == "create" {
        "EntryExportAdd"
    } else {
        "EntryExportUpdate"
    };
    let (status, error_info, steps) = match &e.outcome {
        Outcome::Success => (
            "success",
            Value::Null,
            vec![
                import,
                scoping,
                matching,
                step(
                    export_name,
                    "export",
                    "success",
                    format!(
                        "{kind} '{}' was {} in {tgt_sys}",
                        e.name,
                        if e.action == "create" {
                            "created"
                        } else {
                            "updated"
                        }
                    ),
                    json!({"ReportableIdentifier": e.name}),
                ),
            ],
        ),
        Outcome::Failure {
            code,
            reason,
            category,
            action,
        } => (
            "failure",
            json!({"errorCode": code, "reason": reason, "additionalDetails": null,
                   "errorCategory": category, "recommendedAction": action}),
            vec![
                import,
                scoping,
                matching,
                step(
                    export_name,
                    "export",
                    "failure",
                    format!(
                        "Failed to {} {kind} '{}' in {tgt_sys}",
                        if e.action == "create" {
                            "create"
                        } else {
                            "update"
                        },
                        e.name
                    ),
                    json!({"ReportableIdentifier": e.name}),
                ),
            ],
        ),
        Outcome::Skipped { step } => ("skipped", Value::Null, vec![import, step.clone()]),
    };
    let source_only = e.name.is_empty();
    let steps = if source_only {
        vec![step(
            "EntryImport",
            "import",
            "skipped",
            "The object was filtered by the provisioning agent: it is outside the organizational units or groups in scope of this configuration.".into(),
            json!({"SkipReason": "OutOfScope"}),
        )]
    } else {
        steps
    };
    let mut modified = vec![];
    if !source_only {
        modified.push(json!({"displayName": "displayName", "oldValue": null, "newValue": e.name}));
        if ctx.cloud_sync {
            modified.push(json!({"displayName": "sourceAnchor", "oldValue": null,
                "newValue": e.source_id}));
        } else {
            modified.push(
                json!({"displayName": "objectId", "oldValue": null, "newValue": e.source_id}),
            );
        }
    }
    let when = now - chrono::Duration::minutes(e.minutes_ago);
    json!({
        "id": id_for("log", n),
        "activityDateTime": fmt_time(when),
        "tenantId": TENANT_ID,
        "jobId": ctx.job,
        "cycleId": id_for(&format!("cycle-{}", ctx.job), (e.minutes_ago / 40) as usize),
        "changeId": id_for("change", n),
        "provisioningAction": e.action,
        "durationInMilliseconds": 180 + (n as i64 * 137) % 2900,
        "sourceSystem": {"id": id_for("system", if ctx.cloud_sync { 1 } else { 2 }), "displayName": src_sys, "details": {}},
        "targetSystem": {"id": id_for("system", if ctx.cloud_sync { 2 } else { 3 }), "displayName": tgt_sys,
            "details": {"ApplicationId": id_for("app", ctx.sp.len()), "ServicePrincipalId": ctx.sp, "ServicePrincipalDisplayName": ctx.sp_name}},
        "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
        "servicePrincipal": {"id": ctx.sp, "displayName": ctx.sp_name},
        "sourceIdentity": {"id": e.source_id, "displayName": e.name, "identityType": kind, "details": {}},
        "targetIdentity": {"id": e.target_id, "displayName": if e.target_id.is_empty() { "" } else { e.name }, "identityType": if e.target_id.is_empty() && source_only { "" } else { kind }, "details": {}},
        "provisioningStatusInfo": {"status": status, "errorInformation": error_info},
        "provisioningSteps": steps,
        "modifiedProperties": modified,
    })
}

fn skip_scoping(name: &str, details: Value, description: &str) -> Outcome {
    let _ = name;
    Outcome::Skipped {
        step: step(
            "EntrySynchronizationSkip",
            "scoping",
            "skipped",
            description.to_string(),
            details,
        ),
    }
}

const ROUTINE: [(&str, &str); 12] = [
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d01", "Allan Deyoung"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d02", "Christie Cline"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d03", "Debra Berger"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d04", "Enrico Cattaneo"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d05", "Irvin Sayers"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d06", "Joni Sherman"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d07", "Lidia Holloway"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d08", "Miriam Graham"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d09", "Nestor Wilke"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d10", "Raul Razo"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d11", "Sandy Frink"),
    ("b7c8d9e0-1f2a-4b3c-9d4e-6f7a8b9c0d12", "Vanessa Rodriguez"),
];

fn entries() -> Vec<Entry> {
    let invalid_domain = || Outcome::Failure {
        code: "InvalidDomain",
        reason: "The userPrincipalName suffix 'fabrikam.local' of the object is not a verified domain of the tenant. Add and verify the domain in Microsoft Entra ID, or change the user's UPN suffix in Active Directory.",
        category: "nonServiceFailure",
        action: Some(
            "Use a verified domain in the userPrincipalName, then wait for the next cycle or provision on demand.",
        ),
    };
    let mut v = vec![
        Entry { ctx: &CORP, minutes_ago: 3 * 60 + 2, action: "create", source_id: OG_CREATED, name: "Adele Vance", target_id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e01", outcome: Outcome::Success },
        Entry { ctx: &CORP, minutes_ago: 3 * 60 + 3, action: "create", source_id: OG_INVALID_DOMAIN, name: "Alex Wilber", target_id: "", outcome: invalid_domain() },
        Entry { ctx: &CORP, minutes_ago: 27 * 60, action: "create", source_id: OG_INVALID_DOMAIN, name: "Alex Wilber", target_id: "", outcome: invalid_domain() },
        Entry { ctx: &CORP, minutes_ago: 2 * 24 * 60 + 5, action: "create", source_id: OG_INVALID_DOMAIN, name: "Alex Wilber", target_id: "", outcome: invalid_domain() },
        Entry { ctx: &CORP, minutes_ago: 3 * 60 + 4, action: "update", source_id: OG_DUPLICATE, name: "Megan Bowen", target_id: "", outcome: Outcome::Failure {
            code: "DuplicateTargetEntries",
            reason: "The operation failed because more than one object in Microsoft Entra ID matches the matching attribute (userPrincipalName 'meganb@contoso.com'). Remove the duplicate object or change the matching attribute.",
            category: "nonServiceFailure",
            action: None,
        } },
        Entry { ctx: &CORP, minutes_ago: 3 * 60 + 5, action: "create", source_id: OG_MISSING_FIELDS, name: "svc-backup", target_id: "", outcome: Outcome::Failure {
            code: "MandatoryFieldsMissing",
            reason: "The object could not be created because required attributes are missing: mailNickname. Populate the attribute in Active Directory or fix the attribute mappings.",
            category: "nonServiceFailure",
            action: None,
        } },
        Entry { ctx: &CORP, minutes_ago: 26 * 60, action: "other", source_id: OG_SOURCE_ONLY, name: "", target_id: "", outcome: Outcome::Skipped { step: json!(null) } },
        Entry { ctx: &CORP, minutes_ago: 4 * 24 * 60, action: "other", source_id: OG_CRITICAL, name: "krbtgt", target_id: "", outcome: skip_scoping("krbtgt", json!({"IsCriticalSystemObject": "True", "SkipReason": "IsCriticalSystemObject"}), "The user 'krbtgt' is a critical system object (isCriticalSystemObject = TRUE) and is excluded by the default cloud sync scoping.") },
        Entry { ctx: &CORP, minutes_ago: 30 * 60, action: "other", source_id: OG_SCOPING, name: "Lee Gu", target_id: "", outcome: skip_scoping("Lee Gu", json!({"Active in the source system": "True", "Scoping filter evaluation passed": "False", "ScopeEvaluationResult": scope_result(OG_SCOPING), "SkipReason": "NotInScope"}), "Determine if user in scope by evaluating against each scoping filter: the user 'Lee Gu' is out of scope.") },
        Entry { ctx: &EMEA, minutes_ago: 24 * 60 + 10, action: "update", source_id: OG_EMEA_UPDATED, name: "Pradeep Gupta", target_id: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e08", outcome: Outcome::Success },
        Entry { ctx: &SERVICENOW, minutes_ago: 34, action: "create", source_id: USER_SN_CREATED, name: "Isaiah Langer", target_id: "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a01", outcome: Outcome::Success },
        Entry { ctx: &SERVICENOW, minutes_ago: 34, action: "create", source_id: USER_SN_CONFLICT, name: "Johanna Lorenz", target_id: "", outcome: Outcome::Failure {
            code: "ServiceNowEntryConflict",
            reason: "Message: ServiceNow returned an error response with the HTTP status code 409.  This response indicates that a user or a group already exists with the same name. This can be avoided by identifying and removing the conflicting user from ServiceNow, or removing the current user from the scope of provisioning.",
            category: "nonServiceFailure",
            action: None,
        } },
        Entry { ctx: &SERVICENOW, minutes_ago: 74, action: "other", source_id: USER_SN_NOT_ENTITLED, name: "Nestor Wilke", target_id: "", outcome: skip_scoping("Nestor Wilke", json!({"IsActive": "True", "Assigned": "True", "IsEffectivelyEntitledForProvisioning": "False", "SkipReason": "NotEffectivelyEntitled"}), "The user 'Nestor Wilke' is not effectively entitled for provisioning (IsEffectivelyEntitledForProvisioning = False): check the user's assignment to the application.") },
        Entry { ctx: &SERVICENOW, minutes_ago: 52, action: "other", source_id: USER_SN_OUT_OF_SCOPE, name: "Cameron White", target_id: "", outcome: Outcome::Skipped { step: step("EntrySynchronizationScoping", "scoping", "skipped", "Determine if User in scope by evaluating against each scoping filter".into(), json!({"Active in the source system": "True", "Assigned to the application": "True", "User has the required role": "True", "Scoping filter evaluation passed": "False", "ScopeEvaluationResult": scope_result(USER_SN_OUT_OF_SCOPE)})) } },
        Entry { ctx: &SERVICENOW, minutes_ago: 53, action: "other", source_id: USER_SN_UNASSIGNED, name: "Henrietta Mueller", target_id: "", outcome: skip_scoping("Henrietta Mueller", json!({"Active in the source system": "True", "Assigned": "False"}), "Determine if User in scope by evaluating against each scoping filter") },
        Entry { ctx: &SERVICENOW, minutes_ago: 74, action: "other", source_id: USER_SN_REDUNDANT, name: "Lynne Robbins", target_id: "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a04", outcome: Outcome::Skipped { step: step("EntrySynchronizationSkip", "export", "skipped", "The state of the user in both the source and target systems already match. No change to the User 'Lynne Robbins' currently needs to be made.".into(), json!({"SkipReason": "RedundantExport"})) } },
        Entry { ctx: &SALESFORCE, minutes_ago: 3 * 24 * 60 + 20, action: "update", source_id: USER_SF_UNAUTHORIZED, name: "Patti Fernandez", target_id: "f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b05", outcome: Outcome::Failure {
            code: "Unauthorized",
            reason: "Salesforce returned HTTP 401 Unauthorized: the admin credentials were rejected. The job will be quarantined if this persists.",
            category: "nonServiceFailure",
            action: Some("Re-enter valid Salesforce admin credentials and test the connection."),
        } },
        Entry { ctx: &SALESFORCE, minutes_ago: 4 * 24 * 60, action: "create", source_id: USER_SF_LICENSE, name: "Grady Archie", target_id: "", outcome: Outcome::Failure {
            code: "LicenseLimitExceeded",
            reason: "The user could not be created in Salesforce because no licenses are available.",
            category: "nonServiceFailure",
            action: Some("Purchase more Salesforce licenses or review the users assigned to the application."),
        } },
        Entry { ctx: &BOX, minutes_ago: 12 * 24 * 60, action: "update", source_id: "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d07", name: "Diego Siciliani", target_id: "f6a7b8c9-d0e1-4f2a-8b3c-4d5e6f7a8b07", outcome: Outcome::Success },
    ];
    for (i, (id, name)) in ROUTINE.iter().enumerate() {
        v.push(Entry {
            ctx: &CORP,
            minutes_ago: 9 * 24 * 60 - (i as i64) * 11 * 60,
            action: "update",
            source_id: id,
            name,
            target_id: "",
            outcome: Outcome::Success,
        });
        v.push(Entry {
            ctx: &SERVICENOW,
            minutes_ago: 5 * 24 * 60 - (i as i64) * 7 * 60,
            action: "update",
            source_id: id,
            name,
            target_id: "",
            outcome: Outcome::Success,
        });
    }
    v
}

fn logs(now: DateTime<Utc>) -> Vec<Value> {
    let mut v: Vec<Value> = entries()
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let mut r = record(n, e, now);
            if e.target_id.is_empty() && matches!(e.outcome, Outcome::Success) {
                r["targetIdentity"]["id"] = json!(id_for("target", n));
                r["targetIdentity"]["displayName"] = json!(e.name);
            }
            r
        })
        .collect();
    v.extend((0..EMEA_HELD_BACK_DELETES).map(|i| emea_delete(i, now)));
    v
}

/// The deletes of emea.corp.contoso.com's last cycle, 5 hours ago: as many as its TooManyDeletes
/// error reports (812, over the threshold of 500).
pub const EMEA_HELD_BACK_DELETES: usize = 812;

/// One delete event of emea's quarantined cycle: the AD object was deleted, the delete to Entra
/// ID was held back by the threshold. Graph does not document how a held-back delete is logged;
/// the emulator writes it as a `delete` event with status `skipped` (listed in `sim` docs).
fn emea_delete(i: usize, now: DateTime<Utc>) -> Value {
    let name = format!("Former Employee {:03}", i + 1);
    let source_id = id_for("emea-deleted-user", i);
    let target_id = id_for("emea-deleted-target", i);
    // All within one 40-minute cycle bucket of `record` (300..=314 minutes ago).
    let when = now - chrono::Duration::minutes(300 + (i % 15) as i64);
    let ctx = &EMEA;
    json!({
        "id": id_for("log-emea-delete", i),
        "activityDateTime": fmt_time(when),
        "tenantId": TENANT_ID,
        "jobId": ctx.job,
        "cycleId": id_for(&format!("cycle-{}", ctx.job), 300 / 40),
        "changeId": id_for("change-emea-delete", i),
        "provisioningAction": "delete",
        "durationInMilliseconds": 120 + (i as i64 * 37) % 400,
        "sourceSystem": {"id": id_for("system", 1), "displayName": "Active Directory", "details": {}},
        "targetSystem": {"id": id_for("system", 2), "displayName": "Azure Active Directory", "details": {}},
        "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
        "servicePrincipal": {"id": ctx.sp, "displayName": ctx.sp_name},
        "sourceIdentity": {"id": source_id, "displayName": name, "identityType": "user", "details": {}},
        "targetIdentity": {"id": target_id, "displayName": name, "identityType": "user", "details": {}},
        "provisioningStatusInfo": {"status": "skipped", "errorInformation": null},
        "provisioningSteps": [
            step("EntryImportDelete", "import", "success",
                format!("Received user '{name}' change of type (Delete) from Active Directory"), json!({})),
            step("EntryExportDelete", "export", "skipped",
                format!("The delete of user '{name}' in Azure Active Directory was held back: the deletions of this cycle exceed the accidental-deletion threshold"),
                json!({"ReportableIdentifier": name})),
        ],
        "modifiedProperties": [],
    })
}
