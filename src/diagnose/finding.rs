//! The shape of an answer: an [`Explanation`] holds one or more [`Finding`]s (the first is the headline),
//! each saying what happened, the evidence, the likely causes and the next steps, with a severity, a
//! category and the documents the knowledge came from. The JSON shape is stable: `-o json` prints it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How explanations write a time: the one format for people (`2024-05-01 10:05 UTC`).
pub(crate) fn fmt_time(t: &DateTime<Utc>) -> String {
    crate::output::time::short(*t)
}

/// What was explained, and the findings about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The thing explained.
    pub subject: Subject,
    /// The findings, most important first. Never empty when built by this module.
    pub findings: Vec<Finding>,
    /// Attribute changes carried by a log entry or a provisionOnDemand answer (old → new).
    pub changes: Vec<PropertyChange>,
    /// The object's recent events, newest first (only for [`crate::diagnose::explain_object`]).
    pub history: Vec<HistoryEvent>,
}

impl Explanation {
    /// The headline finding.
    pub fn headline(&self) -> Option<&Finding> {
        self.findings.first()
    }

    /// The worst severity among the findings (`Info` when there are none).
    pub fn severity(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info)
    }
}

/// The thing an explanation is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// What kind of thing it is.
    pub kind: SubjectKind,
    /// Its id (job id, log entry id, object id); empty when unknown.
    pub id: String,
    /// A human name (service principal and job, the object's display name), when known.
    pub display_name: Option<String>,
}

/// The kinds of things provctl explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubjectKind {
    /// A synchronization job.
    Job,
    /// One provisioning log entry (provisioningObjectSummary).
    LogEntry,
    /// A provisionOnDemand answer.
    OnDemand,
    /// One object across its provisioning log entries.
    Object,
    /// A Graph error answer.
    GraphError,
    /// The cloud sync provisioning agents.
    Agents,
}

/// One finding: what happened, why we think so, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The kind of problem.
    pub category: Category,
    /// The code, reason or case the knowledge was found under (`TooManyDeletes`, `agent-filtered`).
    pub code: Option<String>,
    /// A short label (`The app rejected the admin credentials`).
    pub title: String,
    /// What happened, in one sentence with the facts (codes, dates, counts).
    pub summary: String,
    /// The fields that say so, with their values.
    pub evidence: Vec<Evidence>,
    /// The likely causes, most likely first. Empty when the documentation gives none.
    pub causes: Vec<String>,
    /// What to do, in order: fix first, then clear.
    pub next_steps: Vec<NextStep>,
    /// The documents the knowledge came from.
    pub sources: Vec<Source>,
    /// False when provctl has no knowledge of the code and only repeats what the service said.
    pub known: bool,
}

/// A field and its value, quoted as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Where the value was read (`status.quarantine.reason`, `provisioningSteps[2] EntryExportAdd`).
    pub field: String,
    /// The value as read.
    pub value: String,
}

impl Evidence {
    /// Evidence from a field and a value.
    pub fn new(field: impl Into<String>, value: impl Into<String>) -> Evidence {
        Evidence {
            field: field.into(),
            value: value.into(),
        }
    }
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    /// The action in words.
    pub text: String,
    /// The provctl command that does it, when there is one.
    pub command: Option<String>,
}

/// A document the knowledge came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// Its short id (`CS-ERR`, `AP-Q`, `LOGS`, ...).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Where it lives (repository and path).
    pub document: String,
}

/// How bad a finding is. Ordered: `Info < Warning < Error < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Nothing wrong, or expected behaviour.
    Info,
    /// Worth a look; the service copes or retries by itself.
    Warning,
    /// Something fails and needs a fix.
    Error,
    /// Provisioning is stopped (quarantine, no agent, bad credentials).
    Critical,
}

impl Severity {
    /// The lower-case name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// The kind of problem a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Credentials: admin credentials of an app, the cloud sync service account, a sign-in.
    Credentials,
    /// The cloud sync agent: not assigned, not active, unreachable.
    Agent,
    /// A permission or role is missing (in Graph or in the target app).
    Permissions,
    /// A configuration problem: mappings, schema, tenant URL.
    Configuration,
    /// The object is out of scope.
    Scoping,
    /// Matching source and target objects failed (duplicates).
    Matching,
    /// The object already exists in the target, or values conflict.
    Conflict,
    /// Required values are missing on the source object.
    MissingData,
    /// A value is invalid for the target.
    InvalidData,
    /// A reference (manager, member) couldn't be resolved yet.
    References,
    /// The target (or source) system failed or refused the operation.
    Target,
    /// Temporary: throttling, timeouts, retried automatically.
    Transient,
    /// A Microsoft-side problem: contact support.
    Service,
    /// Too many object-level failures (escrows).
    Escrow,
    /// An accidental-deletion threshold holds deletes back.
    DeletionThreshold,
    /// A licence or quota limit.
    Quota,
    /// Cross-tenant synchronization policies.
    CrossTenant,
    /// The object or resource doesn't exist.
    NotFound,
    /// Nothing needed to change.
    NoChange,
    /// Working as intended.
    Healthy,
    /// The data contradicts itself.
    Inconsistent,
    /// Not known to provctl.
    Unknown,
}

impl Category {
    /// The kebab-case name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Credentials => "credentials",
            Category::Agent => "agent",
            Category::Permissions => "permissions",
            Category::Configuration => "configuration",
            Category::Scoping => "scoping",
            Category::Matching => "matching",
            Category::Conflict => "conflict",
            Category::MissingData => "missing-data",
            Category::InvalidData => "invalid-data",
            Category::References => "references",
            Category::Target => "target",
            Category::Transient => "transient",
            Category::Service => "service",
            Category::Escrow => "escrow",
            Category::DeletionThreshold => "deletion-threshold",
            Category::Quota => "quota",
            Category::CrossTenant => "cross-tenant",
            Category::NotFound => "not-found",
            Category::NoChange => "no-change",
            Category::Healthy => "healthy",
            Category::Inconsistent => "inconsistent",
            Category::Unknown => "unknown",
        }
    }
}

/// One attribute change of a log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    /// The attribute.
    pub name: String,
    /// The value before (None when the entry didn't carry one).
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
}

/// One event in an object's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// The log entry id.
    pub id: String,
    /// When it happened (RFC 3339), when known.
    pub time: Option<String>,
    /// The action (`create`, `update`, `delete`, `other`, ...).
    pub action: String,
    /// The result (`success`, `failure`, `skipped`, `warning`).
    pub status: String,
    /// One line of why, for skips and failures.
    pub reason: Option<String>,
}
