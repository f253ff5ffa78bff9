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
    /// What the call does, in an admin's words ("restart a job"); completes "To …, grant …".
    pub action: &'static str,
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
        action: "find the service principals that hold jobs",
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
        action: "list the synchronization jobs of a service principal",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: Some("Application.ReadWrite.OwnedBy"),
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetJob,
        request: "GET /servicePrincipals/{id}/synchronization/jobs/{jobId}",
        action: "read a synchronization job",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: Some("Application.ReadWrite.OwnedBy"),
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::StartJob,
        request: "POST .../synchronization/jobs/{jobId}/start",
        action: "start a job (also clears its quarantine)",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::PauseJob,
        request: "POST .../synchronization/jobs/{jobId}/pause",
        action: "pause a job",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::RestartJob,
        request: "POST .../synchronization/jobs/{jobId}/restart",
        action: "restart a job",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ProvisionOnDemand,
        request: "POST .../synchronization/jobs/{jobId}/provisionOnDemand",
        action: "provision one object on demand",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ValidateCredentials,
        request: "POST .../synchronization/jobs/{jobId}/validateCredentials",
        action: "validate a job's target credentials",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetSchema,
        request: "GET .../synchronization/jobs/{jobId}/schema",
        action: "read a job's schema",
        delegated: SYNC_READ_D,
        application: SYNC_READ_A,
        least_delegated: Some("Synchronization.Read.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::GetSecrets,
        request: "GET /servicePrincipals/{id}/synchronization/secrets",
        action: "read a service principal's synchronization secrets (job thresholds)",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::PutSecrets,
        request: "PUT /servicePrincipals/{id}/synchronization/secrets",
        action: "write a service principal's synchronization secrets (job thresholds)",
        delegated: SYNC_WRITE_D,
        application: SYNC_WRITE_A,
        least_delegated: Some("Synchronization.ReadWrite.All"),
        least_application: None,
        user_roles: SYNC_ROLES,
    },
    Grant {
        operation: Operation::ReadProvisioningLogs,
        request: "GET /auditLogs/provisioning",
        action: "read provisioning logs",
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
        action: "list the cloud sync agents",
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
        action: "list the AD domains the cloud sync agents serve",
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
        action: "read the tenant's accidental-deletion prevention",
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
        action: "change the tenant's accidental-deletion prevention",
        delegated: &["OnPremDirectorySynchronization.ReadWrite.All"],
        application: &[],
        least_delegated: Some("OnPremDirectorySynchronization.ReadWrite.All"),
        least_application: None,
        user_roles: &["Global Administrator", "Hybrid Identity Administrator"],
    },
    Grant {
        operation: Operation::GetFilterOperators,
        request: "GET .../synchronization/jobs/{jobId}/schema/filterOperators",
        action: "read the operators a job's scoping filters may use",
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
        action: "read the user a scoping filter tests",
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
        action: "read the group a scoping filter tests",
        delegated: GROUP_READ,
        application: GROUP_READ,
        least_delegated: Some("GroupMember.Read.All"),
        least_application: Some("GroupMember.Read.All"),
        user_roles: &[],
    },
    Grant {
        operation: Operation::ListAppRoleAssignments,
        request: "GET /servicePrincipals/{id}/appRoleAssignedTo",
        action: "read who is assigned to an application",
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
            "Application.ReadWrite.OwnedBy",
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
        action: "check which assigned groups a user is a member of",
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

impl CommandNeeds {
    /// The command family: its first word (`jobs` for `jobs restart`).
    pub fn family(&self) -> &'static str {
        self.command.split(' ').next().unwrap_or(self.command)
    }

    /// The delegated scopes a user sign-in should ask for to run this command, optional calls
    /// included: see [`delegated_scopes`].
    pub fn delegated_scopes(&self) -> Vec<&'static str> {
        delegated_scopes(self.required.iter().chain(self.optional).copied())
    }

    /// The application permissions an app-only sign-in needs for the required calls; empty when
    /// Graph serves one of them only to a signed-in user. See [`application_roles`].
    pub fn application_roles(&self) -> Vec<&'static str> {
        application_roles(self.required.iter().copied())
    }
}

const RESOLVE: [Operation; 2] = [Op::ListServicePrincipals, Op::ListJobs];

/// Every command that calls Graph, and what it calls: **the** permission table. `doctor auth`,
/// `provctl help permissions`, the 403 hints and the explanations read it; a test walks clap's
/// command tree against it and another checks the emulator grants exactly what it says. Commands
/// naming a job resolve the reference first (service principals, then their jobs), hence
/// `RESOLVE`. A new command that calls Graph adds one row here.
pub const COMMANDS: &[CommandNeeds] = &[
    CommandNeeds {
        command: "jobs list",
        required: &RESOLVE,
        optional: &[],
    },
    CommandNeeds {
        command: "jobs show",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::GetJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs check",
        required: &RESOLVE,
        optional: &[],
    },
    CommandNeeds {
        command: "jobs start",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::StartJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs pause",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::PauseJob],
        optional: &[],
    },
    CommandNeeds {
        command: "jobs restart",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::RestartJob],
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
        required: &RESOLVE,
        optional: &[],
    },
    CommandNeeds {
        command: "quarantine show",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::GetJob],
        // The dominant error of an escrow quarantine, read from the job's recent failures; the
        // delete events of a TooManyDeletes job's current cycle.
        optional: &[Op::ReadProvisioningLogs],
    },
    CommandNeeds {
        command: "quarantine deletes",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::GetJob],
        // The delete events of the current cycle (refused: the command says there is no list);
        // a cloud sync configuration's own threshold, from its secrets.
        optional: &[Op::ReadProvisioningLogs, Op::GetSecrets],
    },
    // Clearing a quarantine is POST .../start, as Microsoft documents it.
    CommandNeeds {
        command: "quarantine clear",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::StartJob],
        optional: &[],
    },
    // The schema names the synchronization rule when --rule is not given.
    CommandNeeds {
        command: "provision",
        required: &[
            Op::ListServicePrincipals,
            Op::ListJobs,
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
        command: "explain job",
        required: &[Op::ListServicePrincipals, Op::ListJobs, Op::GetJob],
        // The dominant error of an escrow quarantine, read from the job's recent failures; the
        // delete events of a TooManyDeletes job's current cycle.
        optional: &[Op::ReadProvisioningLogs],
    },
    CommandNeeds {
        command: "explain log",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "explain object",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "logs search",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "logs show",
        required: &[Op::ReadProvisioningLogs],
        optional: &[],
    },
    CommandNeeds {
        command: "logs summary",
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

/// The rows of [`COMMANDS`] of one family (`jobs`, `tenant`, `logs`, ...).
pub fn family(name: &str) -> impl Iterator<Item = &'static CommandNeeds> {
    COMMANDS.iter().filter(move |c| c.family() == name)
}

/// The delegated scopes a user sign-in (device code) should ask for so that every command of the
/// family can run: see [`delegated_scopes`]. Empty for an unknown family.
pub fn family_scopes(name: &str) -> Vec<&'static str> {
    delegated_scopes(family(name).flat_map(|c| c.required.iter().chain(c.optional).copied()))
}

/// The delegated scopes without which some command of the family cannot run: as
/// [`family_scopes`], for the required calls only (optional ones only enrich a result).
pub fn family_required_scopes(name: &str) -> Vec<&'static str> {
    delegated_scopes(family(name).flat_map(|c| c.required.iter().copied()))
}

/// The command families of [`COMMANDS`] (`jobs`, `logs`, `agents`, ...), in table order.
pub fn families() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in COMMANDS {
        if !out.contains(&c.family()) {
            out.push(c.family());
        }
    }
    out
}

/// The delegated scopes a user sign-in asks for so that every command can run: the fewest that
/// cover every call of every family.
pub fn all_scopes() -> Vec<&'static str> {
    delegated_scopes(
        COMMANDS
            .iter()
            .flat_map(|c| c.required.iter().chain(c.optional).copied()),
    )
}

/// The delegated permissions a user sign-in asks for, from `provctl login --scopes` words:
/// `all` (every family, [`all_scopes`]), `default` (none named: `.default`, whatever the tenant
/// consented for the client), or command families (`jobs`, `logs`, ...). An unknown word is an
/// error naming it and what is accepted.
pub fn scopes_for(words: &[String]) -> Result<Vec<&'static str>, String> {
    let words: Vec<String> = words
        .iter()
        .map(|w| w.trim().to_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let accepted = || format!("all, default, {}", families().join(", "));
    if words.is_empty() || words.iter().any(|w| w == "all") {
        return Ok(all_scopes());
    }
    if words.iter().any(|w| w == "default") {
        if words.len() > 1 {
            return Err(format!(
                "'default' asks for whatever the tenant consented (.default) and cannot be combined with families; accepted: {}",
                accepted()
            ));
        }
        return Ok(Vec::new());
    }
    let mut ops: Vec<Operation> = Vec::new();
    for w in &words {
        if !families().contains(&w.as_str()) {
            return Err(format!(
                "unknown command family '{w}': accepted: {}",
                accepted()
            ));
        }
        ops.extend(family(w).flat_map(|c| c.required.iter().chain(c.optional).copied()));
    }
    Ok(delegated_scopes(ops))
}

/// The fewest delegated scopes that grant every call of `ops`, each call's first (preferred)
/// scope: a scope that another chosen one already covers is left out (`Synchronization.Read.All`
/// when `Synchronization.ReadWrite.All` is asked for too). In the order first needed.
pub fn delegated_scopes(ops: impl IntoIterator<Item = Operation>) -> Vec<&'static str> {
    fewest(ops, |g| g.delegated)
}

/// The fewest application permissions that grant every call of `ops`, chosen as
/// [`delegated_scopes`] chooses scopes; empty when one of the calls has none (a user must sign in).
pub fn application_roles(ops: impl IntoIterator<Item = Operation>) -> Vec<&'static str> {
    let ops: Vec<Operation> = ops.into_iter().collect();
    if ops.iter().any(|op| !grant(*op).app_only_supported()) {
        return Vec::new();
    }
    fewest(ops, |g| g.application)
}

fn fewest(
    wanted: impl IntoIterator<Item = Operation>,
    granting: fn(&Grant) -> &'static [&'static str],
) -> Vec<&'static str> {
    let mut ops: Vec<Operation> = Vec::new();
    for op in wanted {
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    let mut chosen: Vec<&'static str> = Vec::new();
    for op in &ops {
        let perms = granting(grant(*op));
        if !perms.iter().any(|p| chosen.contains(p))
            && let Some(first) = perms.first()
        {
            chosen.push(first);
        }
    }
    let covered_without = |chosen: &[&str], skip: &str| {
        ops.iter().all(|op| {
            granting(grant(*op))
                .iter()
                .any(|p| *p != skip && chosen.contains(p))
        })
    };
    let mut i = 0;
    while i < chosen.len() {
        if covered_without(&chosen, chosen[i]) {
            chosen.remove(i);
        } else {
            i += 1;
        }
    }
    chosen
}

/// The operation a Graph request performs, from its method and URL (absolute, or a path with or
/// without `/v1.0`/`/beta`): how a 403 answer is turned into the permission it needed.
pub fn operation_of_request(method: &str, url: &str) -> Option<Operation> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("", |j| &path[i + 3 + j..]),
        None => path,
    };
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .skip_while(|s| *s == "v1.0" || *s == "beta")
        .collect();
    let get = method.eq_ignore_ascii_case("GET");
    let post = method.eq_ignore_ascii_case("POST");
    Some(match segs.as_slice() {
        ["servicePrincipals"] | ["servicePrincipals", _] if get => Op::ListServicePrincipals,
        ["servicePrincipals", _, "synchronization", "jobs"] if get => Op::ListJobs,
        ["servicePrincipals", _, "synchronization", "jobs", _] if get => Op::GetJob,
        [
            "servicePrincipals",
            _,
            "synchronization",
            "jobs",
            _,
            "schema",
        ] if get => Op::GetSchema,
        [
            "servicePrincipals",
            _,
            "synchronization",
            "jobs",
            _,
            "schema",
            "filterOperators",
        ] if get => Op::GetFilterOperators,
        ["servicePrincipals", _, "appRoleAssignedTo"] if get => Op::ListAppRoleAssignments,
        ["users", _] if get => Op::GetUser,
        ["groups", _] if get => Op::GetGroup,
        ["directoryObjects", _, "checkMemberGroups"] if post => Op::CheckMemberGroups,
        ["servicePrincipals", _, "synchronization", "jobs", _, action] if post => match *action {
            "start" => Op::StartJob,
            "pause" => Op::PauseJob,
            "restart" => Op::RestartJob,
            "provisionOnDemand" => Op::ProvisionOnDemand,
            "validateCredentials" => Op::ValidateCredentials,
            _ => return None,
        },
        ["servicePrincipals", _, "synchronization", "secrets"] if get => Op::GetSecrets,
        ["servicePrincipals", _, "synchronization", "secrets"]
            if method.eq_ignore_ascii_case("PUT") =>
        {
            Op::PutSecrets
        }
        ["auditLogs", "provisioning" | "directoryProvisioning", ..] if get => {
            Op::ReadProvisioningLogs
        }
        [
            "onPremisesPublishingProfiles",
            "provisioning",
            "agents" | "agentGroups",
            ..,
        ] if get => Op::ListAgents,
        [
            "onPremisesPublishingProfiles",
            "provisioning",
            "publishedResources",
            ..,
        ] if get => Op::ListPublishedResources,
        ["directory", "onPremisesSynchronization", ..] if get => Op::GetOnPremisesSync,
        ["directory", "onPremisesSynchronization", _] if method.eq_ignore_ascii_case("PATCH") => {
            Op::UpdateOnPremisesSync
        }
        _ => return None,
    })
}

/// `To restart a job, grant delegated Synchronization.ReadWrite.All or application
/// Synchronization.ReadWrite.All (or Application.ReadWrite.OwnedBy); a signed-in user also needs
/// one of these directory roles: ...` — the sentence a denied call's hint and explanation give.
pub fn grant_sentence(op: Operation) -> String {
    let g = grant(op);
    let roles = (!g.user_roles.is_empty())
        .then(|| format!("one of these directory roles: {}", g.user_roles.join(", ")));
    if !g.app_only_supported() {
        return format!(
            "To {}, sign in as a user with delegated {}{} (Graph serves it only to a signed-in user, with no application permission).",
            g.action,
            alternatives(g.delegated),
            roles.map(|r| format!(" and {r}")).unwrap_or_default()
        );
    }
    format!(
        "To {}, grant delegated {} or application {}{}.",
        g.action,
        alternatives(g.delegated),
        alternatives(g.application),
        roles
            .map(|r| format!("; a signed-in user also needs {r}"))
            .unwrap_or_default()
    )
}

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
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.command), "two rows for `{}`", c.command);
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

    #[test]
    fn quarantine_clear_needs_what_start_needs() {
        let clear = command_needs("quarantine clear").unwrap();
        assert!(clear.required.contains(&Operation::StartJob));
        assert!(!clear.required.contains(&Operation::RestartJob));
    }

    #[test]
    fn a_family_asks_for_the_fewest_delegated_scopes_that_cover_it() {
        assert_eq!(
            family_scopes("jobs"),
            ["Application.Read.All", "Synchronization.ReadWrite.All"]
        );
        assert_eq!(
            command_needs("jobs list").unwrap().delegated_scopes(),
            ["Application.Read.All", "Synchronization.Read.All"]
        );
        assert_eq!(family_scopes("logs"), ["ProvisioningLog.Read.All"]);
        assert_eq!(
            family_scopes("metrics"),
            [
                "Application.Read.All",
                "Synchronization.Read.All",
                "Policy.Read.HybridAuthentication"
            ]
        );
        assert_eq!(
            family_required_scopes("metrics"),
            ["Application.Read.All", "Synchronization.Read.All"],
            "the agent metrics are optional"
        );
        assert_eq!(
            family_scopes("agents"),
            ["Policy.Read.HybridAuthentication"]
        );
        assert_eq!(
            family_scopes("tenant"),
            [
                "Application.Read.All",
                "Synchronization.ReadWrite.All",
                "OnPremDirectorySynchronization.ReadWrite.All"
            ]
        );
        assert!(family_scopes("nosuch").is_empty());
        let all = all_scopes();
        for c in COMMANDS {
            for op in c.required.iter().chain(c.optional) {
                assert!(
                    grant(*op).delegated.iter().any(|s| all.contains(s)),
                    "{}: {op:?} not covered by {all:?}",
                    c.command
                );
            }
        }
        assert!(families().contains(&"jobs") && families().contains(&"agents"));
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(scopes_for(&words(&[])), Ok(all_scopes()));
        assert_eq!(scopes_for(&words(&["ALL"])), Ok(all_scopes()));
        assert_eq!(scopes_for(&words(&["default"])), Ok(vec![]));
        assert_eq!(
            scopes_for(&words(&["logs", "jobs"])),
            Ok(vec![
                "ProvisioningLog.Read.All",
                "Application.Read.All",
                "Synchronization.ReadWrite.All"
            ])
        );
        let err = scopes_for(&words(&["jobz"])).unwrap_err();
        assert!(
            err.contains("'jobz'") && err.contains("all, default, jobs"),
            "{err}"
        );
        assert!(scopes_for(&words(&["default", "jobs"])).is_err());
        assert!(
            command_needs("agents list")
                .unwrap()
                .application_roles()
                .is_empty(),
            "agents need a user"
        );
    }

    #[test]
    fn a_request_is_matched_to_its_operation() {
        let cases = [
            (
                "GET",
                "https://graph.microsoft.com/v1.0/servicePrincipals?$filter=x",
                Some(Operation::ListServicePrincipals),
            ),
            (
                "POST",
                "https://graph.microsoft.us/beta/servicePrincipals/s/synchronization/jobs/j/restart",
                Some(Operation::RestartJob),
            ),
            (
                "GET",
                "/v1.0/servicePrincipals/s/synchronization/jobs/j/schema",
                Some(Operation::GetSchema),
            ),
            (
                "PUT",
                "servicePrincipals/s/synchronization/secrets",
                Some(Operation::PutSecrets),
            ),
            (
                "PATCH",
                "https://h/beta/directory/onPremisesSynchronization/t",
                Some(Operation::UpdateOnPremisesSync),
            ),
            (
                "GET",
                "https://h/beta/onPremisesPublishingProfiles/provisioning/agentGroups",
                Some(Operation::ListAgents),
            ),
            (
                "DELETE",
                "https://h/v1.0/servicePrincipals/s/synchronization/jobs/j",
                None,
            ),
            ("GET", "https://h/v1.0/me", None),
        ];
        for (method, url, want) in cases {
            assert_eq!(operation_of_request(method, url), want, "{method} {url}");
        }
    }

    #[test]
    fn the_sentence_of_a_delegated_only_call_says_a_user_must_sign_in() {
        let s = grant_sentence(Operation::ListAgents);
        assert!(
            s.starts_with(
                "To list the cloud sync agents, sign in as a user with delegated Policy.Read.HybridAuthentication"
            ),
            "{s}"
        );
        assert!(
            s.contains("no application permission") && s.contains("Hybrid Identity Administrator"),
            "{s}"
        );
    }
}
