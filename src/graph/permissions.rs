//! Which Graph permissions each provctl command needs, as data: the permission table of the Graph
//! reference (delegated scopes, application roles, least-privileged ones, app-only support, the
//! directory role a signed-in user also needs), the operations each command performs, and a pure
//! [`evaluate`] that tells from a token's claims which commands it allows and what is missing.

use serde::Serialize;

use super::auth::{IdentityKind, TokenClaims};
use Operation as Op;

/// A Graph call provctl makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Operation {
    /// `GET /servicePrincipals` (finding the service principals that own jobs).
    ListServicePrincipals,
    /// `GET /servicePrincipals/{id}/synchronization/jobs`.
    ListJobs,
    /// `GET .../synchronization/jobs/{jobId}`.
    GetJob,
    /// `POST .../jobs/{jobId}/start`.
    StartJob,
    /// `POST .../jobs/{jobId}/pause`.
    PauseJob,
    /// `POST .../jobs/{jobId}/restart`.
    RestartJob,
    /// `POST .../jobs/{jobId}/provisionOnDemand`.
    ProvisionOnDemand,
    /// `POST .../jobs/{jobId}/validateCredentials`.
    ValidateCredentials,
    /// `GET .../jobs/{jobId}/schema`.
    GetSchema,
    /// `GET /servicePrincipals/{id}/synchronization/secrets`.
    GetSecrets,
    /// `PUT /servicePrincipals/{id}/synchronization/secrets` (replaces them all).
    PutSecrets,
    /// `GET /auditLogs/provisioning`.
    ReadProvisioningLogs,
    /// `GET /beta/onPremisesPublishingProfiles/provisioning/agents` (and `agentGroups`).
    ListAgents,
    /// `GET /beta/onPremisesPublishingProfiles/provisioning/publishedResources`.
    ListPublishedResources,
    /// `GET /directory/onPremisesSynchronization`.
    GetOnPremisesSync,
    /// `PATCH /directory/onPremisesSynchronization/{id}`.
    UpdateOnPremisesSync,
    /// `GET .../jobs/{jobId}/schema/filterOperators`.
    GetFilterOperators,
    /// `GET /users/{id}?$select=...` (the attributes a scoping filter tests).
    GetUser,
    /// `GET /groups/{id}?$select=...`.
    GetGroup,
    /// `GET /servicePrincipals/{id}/appRoleAssignedTo`.
    ListAppRoleAssignments,
    /// `POST /directoryObjects/{id}/checkMemberGroups` (a user's transitive group memberships).
    CheckMemberGroups,
}

/// What grants one [`Operation`], from the Graph permission reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The operation.
    pub operation: Operation,
    /// The request, as Graph's documentation writes it.
    pub request: &'static str,
    /// Delegated scopes (`scp`) that grant it, the one to ask for first.
    pub delegated: &'static [&'static str],
    /// Application roles (`roles`) that grant it, the one to ask for first; empty when Graph
    /// serves the call only to a signed-in user.
    pub application: &'static [&'static str],
    /// The least-privileged delegated scope, as the reference marks it.
    pub least_delegated: Option<&'static str>,
    /// The least-privileged application role, as the reference marks it.
    pub least_application: Option<&'static str>,
    /// The directory role(s) a signed-in user also needs (any one); not visible in the token.
    pub user_roles: &'static [&'static str],
}

impl Grant {
    /// True when an application (client credentials, managed identity) can make the call.
    pub fn app_only_supported(&self) -> bool {
        !self.application.is_empty()
    }
}

const SYNC_READ_D: &[&str] = &["Synchronization.Read.All", "Synchronization.ReadWrite.All"];
const SYNC_READ_A: &[&str] = &[
    "Synchronization.Read.All",
    "Synchronization.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
];
const SYNC_WRITE_D: &[&str] = &["Synchronization.ReadWrite.All"];
const SYNC_WRITE_A: &[&str] = &[
    "Synchronization.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
];
const SYNC_ROLES: &[&str] = &[
    "Application Administrator",
    "Cloud Application Administrator",
    "Hybrid Identity Administrator (cloud sync)",
];
const LOG_PERMS: &[&str] = &[
    "ProvisioningLog.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
];
const HYBRID_ROLES: &[&str] = &["Hybrid Identity Administrator"];

/// The permission table: one row per operation.
pub const GRANTS: &[Grant] = &[
    Grant {
        operation: Operation::ListServicePrincipals,
        request: "GET /servicePrincipals",
        delegated: &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        application: &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Application.ReadWrite.OwnedBy",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        least_delegated: Some("Application.Read.All"),
        least_application: Some("Application.Read.All"),
        user_roles: &[],
    },
    Grant {
        operation: Operation::ListJobs,
        request: "GET /servicePrincipals/{id}/synchronization/jobs",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: Some("Application.ReadWrite.OwnedBy"),
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetJob,
        request: "GET /servicePrincipals/{id}/synchronization/jobs/{jobId}",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: Some("Application.ReadWrite.OwnedBy"),
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::StartJob,
        request: "POST .../synchronization/jobs/{jobId}/start",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::PauseJob,
        request: "POST .../synchronization/jobs/{jobId}/pause",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::RestartJob,
        request: "POST .../synchronization/jobs/{jobId}/restart",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ProvisionOnDemand,
        request: "POST .../synchronization/jobs/{jobId}/provisionOnDemand",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ValidateCredentials,
        request: "POST .../synchronization/jobs/{jobId}/validateCredentials",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetSchema,
        request: "GET .../synchronization/jobs/{jobId}/schema",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetSecrets,
        request: "GET /servicePrincipals/{id}/synchronization/secrets",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::PutSecrets,
        request: "PUT /servicePrincipals/{id}/synchronization/secrets",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ReadProvisioningLogs,
        request: "GET /auditLogs/provisioning",
        delegated: LOG_PERMS,
        application: LOG_PERMS,
        least_delegated: Some("ProvisioningLog.Read.All"),
        least_application: Some("ProvisioningLog.Read.All"),
        user_roles: &[
            "Reports Reader",
            "Security Reader",
            "Security Administrator",
            "Security Operator",
            "Global Reader",
            "Application Administrator",
            "Cloud Application Administrator",
        ],
    },
    Grant {
        operation: Operation::ListAgents,
        request: "GET /beta/onPremisesPublishingProfiles/provisioning/agents",
        delegated: &[
            "Policy.Read.HybridAuthentication",
            "Policy.ReadWrite.HybridAuthentication",
            "Directory.ReadWrite.All",
            "OnPremisesPublishingProfiles.ReadWrite.All",
        ],
        application: &[],
        least_delegated: Some("Policy.Read.HybridAuthentication"),
        least_application: None,
        user_roles: HYBRID_ROLES,
    },
    Grant {
        operation: Operation::ListPublishedResources,
        request: "GET /beta/onPremisesPublishingProfiles/provisioning/publishedResources",
        delegated: &[
            "Policy.Read.HybridAuthentication",
            "OnPremisesPublishingProfiles.ReadWrite.All",
            "Policy.ReadWrite.HybridAuthentication",
        ],
        application: &[],
        least_delegated: Some("OnPremisesPublishingProfiles.ReadWrite.All"),
        least_application: None,
        user_roles: HYBRID_ROLES,
    },
    Grant {
        operation: Operation::GetOnPremisesSync,
        request: "GET /directory/onPremisesSynchronization",
        delegated: &[
            "OnPremDirectorySynchronization.Read.All",
            "OnPremDirectorySynchronization.ReadWrite.All",
        ],
        application: &[],
        least_delegated: Some("OnPremDirectorySynchronization.Read.All"),
        least_application: None,
        user_roles: &["Global Administrator", "Hybrid Identity Administrator"],
    },
    Grant {
        operation: Operation::UpdateOnPremisesSync,
        request: "PATCH /directory/onPremisesSynchronization/{id}",
        delegated: &["OnPremDirectorySynchronization.ReadWrite.All"],
        application: &[],
        least_delegated: Some("OnPremDirectorySynchronization.ReadWrite.All"),
        least_application: None,
        user_roles: &["Global Administrator", "Hybrid Identity Administrator"],
    },
    Grant {
        operation: Operation::GetFilterOperators,
        request: "GET .../synchronization/jobs/{jobId}/schema/filterOperators",
        delegated: SYNC_WRITE_D,
        application: &[
            "Application.ReadWrite.OwnedBy",
            "Synchronization.ReadWrite.All",
        ],
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: Some("Application.ReadWrite.OwnedBy"),
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetUser,
        request: "GET /users/{id}",
        delegated: &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        application: &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        least_delegated: Some("User.Read.All"),
        least_application: Some("User.Read.All"),
        user_roles: &[],
    },
    Grant {
        operation: Operation::GetGroup,
        request: "GET /groups/{id}",
        delegated: GROUP_READ,
        application: GROUP_READ,
        least_delegated: Some("GroupMember.Read.All"),
        least_application: Some("GroupMember.Read.All"),
        user_roles: &[],
    },
    Grant {
        operation: Operation::ListAppRoleAssignments,
        request: "GET /servicePrincipals/{id}/appRoleAssignedTo",
        delegated: &[
            "Application.Read.All",
            "Directory.Read.All",
            "Application.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        application: &[
            "Application.Read.All",
            "Directory.Read.All",
            "Application.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        least_delegated: Some("Application.Read.All"),
        least_application: Some("Application.Read.All"),
        user_roles: &[],
    },
    // For a user the reference asks for GroupMember.Read.All *and* User.Read.All (or
    // User.ReadBasic.All, delegated); the user half is GetUser's row.
    Grant {
        operation: Operation::CheckMemberGroups,
        request: "POST /directoryObjects/{id}/checkMemberGroups",
        delegated: GROUP_READ,
        application: GROUP_READ,
        least_delegated: Some("GroupMember.Read.All"),
        least_application: Some("GroupMember.Read.All"),
        user_roles: &[],
    },
];

const GROUP_READ: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

/// The row of [`GRANTS`] for `op`.
pub fn grant(op: Operation) -> &'static Grant {
    GRANTS
        .iter()
        .find(|g| g.operation == op)
        .unwrap_or(&GRANTS[0])
}

/// A provctl command and the Graph calls it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommandNeeds {
    /// The command as typed after `provctl` (`jobs restart`).
    pub command: &'static str,
    /// Calls it cannot do without.
    pub required: &'static [Operation],
    /// Calls that only enrich the result; without them the command still runs.
    pub optional: &'static [Operation],
}

/// Every command that calls Graph, and what it calls. Commands addressing a job by id find its
/// service principal first, hence the service principal list.
pub const COMMANDS: &[CommandNeeds] = &[
    CommandNeeds {
        command: "jobs list",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs show",
        required: &[Op::ListServicePrincipals, Op::GetJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs start",
        required: &[Op::ListServicePrincipals, Op::StartJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs pause",
        required: &[Op::ListServicePrincipals, Op::PauseJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs restart",
        required: &[Op::ListServicePrincipals, Op::RestartJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs schema",
        required: &[Op::ListServicePrincipals, Op::GetSchema],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs validate-credentials",
        required: &[Op::ListServicePrincipals, Op::ValidateCredentials],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs check",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs watch",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[],
    },
    // The agent calls only enrich the metrics: Graph serves them to a signed-in user only, and
    // an app-only identity still gets every job metric.
    CommandNeeds {
        command: "metrics",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[Op::ListAgents, Op::ListPublishedResources],
    },
    CommandNeeds {
        command: "exporter",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[Op::ListAgents, Op::ListPublishedResources],
    },
    CommandNeeds {
        command: "quarantine list",
        required: &[Op::ListServicePrincipals, Op::ListJobs],
        optional: &[],
    },
    CommandNeeds {
        command: "quarantine clear",
        required: &[Op::ListServicePrincipals, Op::RestartJob],
        optional: &[],
    },
    CommandNeeds {
        command: "provision",
        required: &[
            Op::ListServicePrincipals,
            Op::GetSchema,
            Op::ProvisionOnDemand,
        ],
        optional: &[],
    },
    // App provisioning reads the user or group and the assignments; cloud sync reads the log's
    // import step instead. Either way the job's schema is the one thing it cannot do without.
    CommandNeeds {
        command: "scope check",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::GetSchema],
        optional: &[
            Op::GetFilterOperators,
            Op::GetUser,
            Op::GetGroup,
            Op::ListAppRoleAssignments,
            Op::CheckMemberGroups,
            Op::GetSecrets,
            Op::ReadProvisioningLogs,
        ],
    },
    CommandNeeds {
        command: "logs search",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "logs export",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "agents list",
        required: &[Op::ListAgents, Op::ListPublishedResources],
        optional: &[],
    },
    CommandNeeds {
        command: "agents check",
        required: &[Op::ListAgents, Op::ListPublishedResources],
        optional: &[],
    },
    CommandNeeds {
        command: "tenant deletion-prevention show",
        required: &[Op::GetOnPremisesSync],
        optional: &[Op::ListServicePrincipals, Op::GetSecrets],
    },
    CommandNeeds {
        command: "tenant deletion-prevention disable",
        required: &[Op::GetOnPremisesSync, Op::UpdateOnPremisesSync],
        optional: &[],
    },
    CommandNeeds {
        command: "tenant deletion-prevention enable",
        required: &[Op::GetOnPremisesSync, Op::UpdateOnPremisesSync],
        optional: &[],
    },
    CommandNeeds {
        command: "tenant job-threshold show",
        required: &[Op::ListServicePrincipals, Op::GetSecrets],
        optional: &[],
    },
    CommandNeeds {
        command: "tenant job-threshold set",
        required: &[Op::ListServicePrincipals, Op::GetSecrets, Op::PutSecrets],
        optional: &[],
    },
];

/// The entry of [`COMMANDS`] for `command` (spaces and case ignored), if provctl knows it.
pub fn command_needs(command: &str) -> Option<&'static CommandNeeds> {
    let want: Vec<String> = command
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    COMMANDS
        .iter()
        .find(|c| c.command.split(' ').eq(want.iter().map(String::as_str)))
}

/// Whether a token allows one command, and if not, what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandAccess {
    /// The command (`jobs restart`).
    pub command: String,
    /// True when the token carries a permission for every required call.
    pub allowed: bool,
    /// The token's permissions that grant its calls (comma separated), when any do.
    pub granted_by: Option<String>,
    /// One entry per required call the token does not cover: the permission to add, with its
    /// alternatives (`Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy)`).
    pub missing: Vec<String>,
    /// What else to know: delegated-only calls, directory roles, what `you have` instead,
    /// optional calls that will be skipped.
    pub note: Option<String>,
    /// True when an app-only token can never run it: Graph serves a required call only to a
    /// signed-in user.
    pub user_sign_in_required: bool,
}

/// The permission that grants `grant` for this token, if any.
fn granting(claims: &TokenClaims, grant: &Grant) -> Option<&'static str> {
    let (scopes, roles): (&[String], &[String]) = (&claims.scopes, &claims.roles);
    let has = |list: &[String], p: &str| list.iter().any(|x| x.eq_ignore_ascii_case(p));
    match claims.kind {
        IdentityKind::AppOnly => grant.application.iter().copied().find(|p| has(roles, p)),
        IdentityKind::Delegated => grant.delegated.iter().copied().find(|p| has(scopes, p)),
        IdentityKind::Unknown => grant
            .delegated
            .iter()
            .chain(grant.application)
            .copied()
            .find(|p| claims.has_permission(p)),
    }
}

/// The permissions that would grant `grant` for this kind of token, first one first.
fn candidates(kind: IdentityKind, grant: &Grant) -> &'static [&'static str] {
    match kind {
        IdentityKind::AppOnly => grant.application,
        _ => grant.delegated,
    }
}

/// `A (or B, C)`.
fn alternatives(list: &[&str]) -> String {
    match list {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} (or {})", rest.join(", ")),
    }
}

/// The token's permissions on the same resource (the part before the first dot) as `needed`.
fn related_held(claims: &TokenClaims, needed: &[&str]) -> Vec<String> {
    let prefix = |p: &str| p.split('.').next().unwrap_or("").to_ascii_lowercase();
    let wanted: Vec<String> = needed.iter().map(|p| prefix(p)).collect();
    let mut held: Vec<String> = claims
        .scopes
        .iter()
        .chain(&claims.roles)
        .filter(|p| wanted.contains(&prefix(p)))
        .cloned()
        .collect();
    held.dedup();
    held
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// One `A (or B)` line per missing call, leaving out a call that another missing call's first
/// permission also covers (Read.All is implied when ReadWrite.All is asked for; two calls asking
/// for the same permission first make one line): one short list is easier to act on.
fn missing_lines(calls: &[&'static [&'static str]]) -> Vec<String> {
    let first = |c: &[&'static str]| c.first().copied().unwrap_or_default();
    calls
        .iter()
        .enumerate()
        .filter(|&(i, c)| {
            !calls.iter().enumerate().any(|(j, other)| {
                j != i && c.contains(&first(other)) && (first(other) != first(c) || j < i)
            })
        })
        .map(|(_, c)| alternatives(c))
        .collect()
}

/// What `claims` allows, command by command, in the order of [`COMMANDS`].
pub fn evaluate(claims: &TokenClaims) -> Vec<CommandAccess> {
    COMMANDS
        .iter()
        .map(|c| evaluate_command(claims, c))
        .collect()
}

/// What `claims` allows for one command.
pub fn evaluate_command(claims: &TokenClaims, needs: &CommandNeeds) -> CommandAccess {
    let app_only = claims.kind == IdentityKind::AppOnly;
    let mut granted: Vec<String> = Vec::new();
    let mut missing_calls: Vec<&'static [&'static str]> = Vec::new();
    let mut needed_perms: Vec<&str> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut delegated_only = false;
    let mut user_roles: Vec<&str> = Vec::new();
    for op in needs.required {
        let g = grant(*op);
        if let Some(p) = granting(claims, g) {
            push_unique(&mut granted, p.to_owned());
            for r in g.user_roles {
                if !user_roles.contains(r) {
                    user_roles.push(r);
                }
            }
        } else if app_only && !g.app_only_supported() {
            delegated_only = true;
            missing_calls.push(g.delegated);
        } else {
            let c = candidates(claims.kind, g);
            missing_calls.push(c);
            // "You have" looks at the resource of the main permission only, so an alternative
            // such as Application.ReadWrite.OwnedBy does not drag in unrelated Application.* ones.
            needed_perms.extend(c.first());
        }
    }
    let missing = missing_lines(&missing_calls);
    let allowed = missing.is_empty();
    if delegated_only {
        notes.push(format!(
            "{} needs a user sign-in: `provctl login` (Graph has no application permission for it)",
            needs.command
        ));
    } else if !allowed {
        let held = related_held(claims, &needed_perms);
        notes.push(if held.is_empty() {
            "you have none of these".to_owned()
        } else {
            format!("you have {}", held.join(", "))
        });
    }
    if allowed && claims.kind == IdentityKind::Delegated && !user_roles.is_empty() {
        let roles: Vec<&str> = user_roles.into_iter().take(3).collect();
        notes.push(format!(
            "the user also needs a directory role: {}",
            roles.join(" or ")
        ));
    }
    if allowed {
        for op in needs.optional {
            let g = grant(*op);
            if let Some(p) = granting(claims, g) {
                push_unique(&mut granted, p.to_owned());
            } else {
                notes.push(format!(
                    "without {} it skips {}",
                    alternatives(candidates(claims.kind, g)),
                    g.request
                ));
            }
        }
    }
    CommandAccess {
        command: needs.command.to_owned(),
        allowed,
        granted_by: (!granted.is_empty()).then(|| granted.join(", ")),
        missing,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        user_sign_in_required: delegated_only,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::claims::{decode, unsigned_jwt};
    use serde_json::json;

    fn app(roles: &[&str]) -> TokenClaims {
        decode(&unsigned_jwt(
            &json!({"tid":"t1","appid":"a1","idtyp":"app","roles":roles}),
        ))
        .unwrap()
    }

    fn user(scopes: &[&str]) -> TokenClaims {
        decode(&unsigned_jwt(
            &json!({"tid":"t1","appid":"a1","idtyp":"user",
            "upn":"adele@contoso.com","scp":scopes.join(" ")}),
        ))
        .unwrap()
    }

    fn access<'a>(all: &'a [CommandAccess], command: &str) -> &'a CommandAccess {
        all.iter().find(|a| a.command == command).unwrap()
    }

    #[test]
    fn every_operation_has_one_row_and_every_command_is_findable() {
        for c in COMMANDS {
            for op in c.required.iter().chain(c.optional) {
                assert_eq!(grant(*op).operation, *op);
            }
            assert_eq!(command_needs(&c.command.to_uppercase()), Some(c));
        }
        assert!(command_needs("jobs  restart").is_some());
        assert!(command_needs("jobs frobnicate").is_none());
        for g in GRANTS {
            assert!(!g.delegated.is_empty(), "{:?}", g.operation);
            if let Some(l) = g.least_delegated {
                assert!(g.delegated.contains(&l), "{:?}", g.operation);
            }
            if let Some(l) = g.least_application {
                assert!(g.application.contains(&l), "{:?}", g.operation);
            }
        }
    }

    #[test]
    fn a_read_only_app_may_list_but_not_restart_and_is_told_what_to_add() {
        let all = evaluate(&app(&["Synchronization.Read.All", "Application.Read.All"]));
        let list = access(&all, "jobs list");
        assert!(list.allowed);
        assert_eq!(
            list.granted_by.as_deref(),
            Some("Application.Read.All, Synchronization.Read.All")
        );
        let restart = access(&all, "jobs restart");
        assert!(!restart.allowed);
        assert_eq!(
            restart.missing,
            ["Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy)"]
        );
        assert_eq!(
            restart.note.as_deref(),
            Some("you have Synchronization.Read.All")
        );
        assert!(!access(&all, "logs search").allowed);
        assert_eq!(
            access(&all, "logs search").note.as_deref(),
            Some("you have none of these")
        );
    }

    #[test]
    fn a_read_write_app_may_restart_and_provision() {
        let all = evaluate(&app(&[
            "Synchronization.ReadWrite.All",
            "Application.Read.All",
            "ProvisioningLog.Read.All",
        ]));
        for c in [
            "jobs restart",
            "quarantine clear",
            "provision",
            "logs export",
        ] {
            assert!(access(&all, c).allowed, "{c}");
        }
    }

    #[test]
    fn owned_by_alone_covers_the_jobs_it_owns() {
        let all = evaluate(&app(&["Application.ReadWrite.OwnedBy"]));
        assert!(access(&all, "jobs restart").allowed);
    }

    #[test]
    fn app_only_tokens_are_told_agents_and_tenant_settings_need_a_user() {
        let all = evaluate(&app(&["Directory.ReadWrite.All"]));
        let agents = access(&all, "agents list");
        assert!(!agents.allowed && agents.user_sign_in_required);
        assert!(agents.note.as_deref().unwrap().contains("provctl login"));
        assert_eq!(
            agents.missing[0],
            "Policy.Read.HybridAuthentication (or Policy.ReadWrite.HybridAuthentication, Directory.ReadWrite.All, OnPremisesPublishingProfiles.ReadWrite.All)"
        );
        assert_eq!(
            agents.missing.len(),
            1,
            "publishedResources asks for the same scope first"
        );
        let show = access(&all, "tenant deletion-prevention show");
        assert!(!show.allowed && show.note.as_deref().unwrap().contains("user sign-in"));
    }

    #[test]
    fn a_delegated_hybrid_admin_may_list_agents_and_is_reminded_of_the_role() {
        let all = evaluate(&user(&["Policy.Read.HybridAuthentication"]));
        let agents = access(&all, "agents check");
        assert!(agents.allowed, "{agents:?}");
        assert!(
            agents
                .note
                .as_deref()
                .unwrap()
                .contains("Hybrid Identity Administrator")
        );
        // Application permissions in a user's token do not count: Graph reads `scp`.
        let restart = access(&all, "jobs restart");
        assert_eq!(restart.missing.len(), 2);
        assert_eq!(restart.missing[1], "Synchronization.ReadWrite.All");
    }

    #[test]
    fn an_optional_call_that_is_not_granted_is_a_note_not_a_denial() {
        let all = evaluate(&user(&["OnPremDirectorySynchronization.Read.All"]));
        let show = access(&all, "tenant deletion-prevention show");
        assert!(show.allowed);
        let note = show.note.as_deref().unwrap();
        assert!(note.contains("skips GET /servicePrincipals"), "{note}");
        let disable = access(&all, "tenant deletion-prevention disable");
        assert!(!disable.allowed);
        // ReadWrite.All covers the GET too: one line, not two.
        assert_eq!(
            disable.missing,
            ["OnPremDirectorySynchronization.ReadWrite.All"]
        );
        assert_eq!(
            disable.note.as_deref(),
            Some("you have OnPremDirectorySynchronization.Read.All")
        );
    }
}
