//! Reading one provisioning log entry (or a provisionOnDemand answer, through the models' conversion):
//! walk the steps in order, find the decisive one (the first that isn't a success) and explain by its
//! type and the error information — reading the message when the code is generic, and saying so when
//! the entry contradicts itself instead of inventing a cause.

use crate::graph::model::{
    DecodedProvisionOnDemand, ProvisioningAction, ProvisioningErrorInfo, ProvisioningObjectSummary,
    ProvisioningResult, ProvisioningStep, ProvisioningStepType,
};

use super::finding::{
    Category, Evidence, Explanation, Finding, PropertyChange, Subject, SubjectKind, fmt_time,
};
use super::graph_error::unknown_finding;
use super::knowledge::{Entry, Knowledge, Scope, Vars, cases};

/// Explains one provisioning log entry.
pub fn explain_log(entry: &ProvisioningObjectSummary) -> Explanation {
    Explanation {
        subject: Subject {
            kind: SubjectKind::LogEntry,
            id: entry.id.clone(),
            display_name: object_name(entry),
        },
        findings: vec![diagnose_entry(entry)],
        changes: changes(entry),
        history: Vec::new(),
    }
}

/// Explains a decoded provisionOnDemand answer, with the same reading as a log entry.
pub fn explain_on_demand(answer: &DecodedProvisionOnDemand) -> Explanation {
    let mut entry = answer.to_summary();
    // The answer names the object by its reportableIdentifier, which the log shape lacks.
    let reportable = answer
        .value
        .as_ref()
        .and_then(|v| v.reportable_identifier.clone());
    if let (Some(name), Some(source)) = (reportable, entry.source_identity.as_mut())
        && source
            .display_name
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
    {
        source.display_name = Some(name);
    }
    let mut x = explain_log(&entry);
    x.subject.kind = SubjectKind::OnDemand;
    x
}

/// Adds a scoping check of the entry's object (see [`super::scope`]) to an explanation: the
/// clause that excludes it, or that the current filters let it through, and where the check and
/// the log's own record disagree.
pub fn add_scope_check(x: &mut Explanation, check: &super::scope::ScopeEvaluation) {
    let Some(f) = x.findings.first_mut() else {
        return;
    };
    let line = match check.in_scope {
        Some(false) => match check.failing_clause() {
            Some(c) => format!("excluded by {c}"),
            None => "out of scope".to_owned(),
        },
        Some(true) => "in scope under the current filters and assignments (they or the object changed since this entry)".to_owned(),
        None => "undecided: some clauses can't be evaluated (see `provctl scope check`)".to_owned(),
    };
    f.summary = format!("{} Scope check: {line}.", f.summary);
    for e in check.excluded_by.iter().skip(1) {
        f.evidence.push(Evidence::new(
            "scope check: also excluded by",
            e.reason.clone(),
        ));
    }
    f.evidence.insert(0, Evidence::new("scope check", line));
    for d in &check.disagreements {
        f.evidence.push(Evidence::new(
            "scope check disagrees with the log",
            d.clone(),
        ));
    }
}

/// One line of why, for `logs search` tables: `None` for entries that succeeded.
pub fn skip_or_failure_reason(entry: &ProvisioningObjectSummary) -> Option<String> {
    if matches!(entry.status(), Some(ProvisioningResult::Success)) && entry.error().is_none() {
        return None;
    }
    let f = diagnose_entry(entry);
    Some(match f.code.as_deref() {
        Some(code) if !f.known || code_is_from_data(&f) => format!("{code}: {}", f.title),
        _ => f.title,
    })
}

/// The knowledge entry a skip reason or an error code names, for a skipped entry.
fn known_skip_value<'k>(k: &'k Knowledge, value: &str) -> Option<&'k Entry> {
    k.lookup(value, &[Scope::SkipReason, Scope::ObjectError, Scope::Case])
}

/// The code and title [`diagnose_entry`] gives a skipped entry when its skip reason (else its
/// error code) is a known one: the first rule of a skip's diagnosis, which needs nothing else of
/// the entry. `None`: not skipped, or the diagnosis reads more (then call [`diagnose_entry`]).
pub(crate) fn known_skip(entry: &ProvisioningObjectSummary) -> Option<(String, String)> {
    if entry.status() != Some(&ProvisioningResult::Skipped) {
        return None;
    }
    let k = Knowledge::global();
    let error = entry.error();
    let code = error
        .as_ref()
        .and_then(|e| e.error_code.as_deref())
        .filter(|c| !c.trim().is_empty());
    [entry.skip_reason(), code]
        .into_iter()
        .flatten()
        .find_map(|v| known_skip_value(k, v).map(|e| (v.to_owned(), e.title.clone())))
}

/// True when the finding's code came from the entry (a Graph code), not from one of our case names.
fn code_is_from_data(f: &Finding) -> bool {
    f.code
        .as_deref()
        .is_some_and(|c| Knowledge::global().case(c).is_none())
}

/// The headline finding for one entry.
pub(crate) fn diagnose_entry(entry: &ProvisioningObjectSummary) -> Finding {
    let k = Knowledge::global();
    let ctx = Context::new(entry);
    let error = entry.error();
    let status = entry.status();
    match status {
        Some(ProvisioningResult::Success) if error.is_none() => ctx.success(k),
        Some(ProvisioningResult::Skipped) => ctx.skipped(k, error.as_ref()),
        Some(ProvisioningResult::Warning) => match &error {
            Some(e) if has_code_or_text(e) => ctx.failure(k, e),
            _ => ctx.step_or_case(k, cases::WARNING),
        },
        // Failure, success-with-error, unknown and missing statuses.
        _ => match &error {
            Some(e) if has_code_or_text(e) => ctx.failure(k, e),
            _ => match ctx.decisive {
                Some(_) => ctx.failed_step(k),
                None if matches!(status, Some(ProvisioningResult::Failure)) => ctx.inconsistent(k),
                None => {
                    let status = status.map_or("(none)", |s| s.as_str());
                    let mut f = unknown_finding(
                        k,
                        format!(
                            "{} has status {status} and no error information.",
                            ctx.object
                        ),
                        ctx.base_evidence(),
                    );
                    f.code = None;
                    f.title = "No result recorded".to_owned();
                    f
                }
            },
        },
    }
}

fn has_code_or_text(e: &ProvisioningErrorInfo) -> bool {
    [&e.error_code, &e.reason, &e.additional_details]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
}

/// What every explanation of an entry needs: names, the decisive step, and placeholder values.
struct Context<'a> {
    entry: &'a ProvisioningObjectSummary,
    /// "Group 'Self-service Pilot'".
    object: String,
    /// " on 2019-06-24 20:53 UTC", or "".
    when: String,
    decisive: Option<(usize, &'a ProvisioningStep)>,
    vars: Vars,
}

impl<'a> Context<'a> {
    fn new(entry: &'a ProvisioningObjectSummary) -> Context<'a> {
        let decisive = entry
            .provisioning_steps
            .iter()
            .enumerate()
            .find(|(_, s)| matches!(&s.status, Some(r) if *r != ProvisioningResult::Success));
        let kind = entry
            .source_identity
            .as_ref()
            .and_then(|i| i.identity_type.as_deref())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("Object");
        let object = match object_name(entry) {
            Some(name) => format!("{kind} '{name}'"),
            None => match source_id(entry) {
                Some(id) => format!("{kind} {id}"),
                None => kind.to_owned(),
            },
        };
        let when = entry
            .activity_date_time
            .map(|t| format!(" on {}", fmt_time(&t)))
            .unwrap_or_default();
        let job = match (
            entry
                .service_principal
                .as_ref()
                .and_then(|s| s.id.as_deref()),
            entry.job_id.as_deref(),
        ) {
            (Some(sp), Some(job)) if !sp.is_empty() && !job.is_empty() => {
                Some(format!("{sp}/{job}"))
            }
            _ => None,
        };
        Context {
            entry,
            object,
            when,
            decisive,
            vars: Vars {
                job,
                object_id: source_id(entry).map(str::to_owned),
                log_id: Some(entry.id.clone()).filter(|s| !s.is_empty()),
                tenant_id: entry.tenant_id.clone(),
            },
        }
    }

    fn action_phrase(&self) -> String {
        let target = self
            .entry
            .target_system
            .as_ref()
            .and_then(|s| s.display_name.as_deref())
            .filter(|s| !s.is_empty())
            .map(|s| format!(" in {s}"))
            .unwrap_or_default();
        let verb = match self.entry.action() {
            Some(ProvisioningAction::Create) => "Creating",
            Some(ProvisioningAction::Update) => "Updating",
            Some(ProvisioningAction::Delete) => "Deleting",
            Some(ProvisioningAction::Disable) => "Disabling",
            Some(ProvisioningAction::StagedDelete) => "Staging the deletion of",
            _ => "Provisioning",
        };
        format!("{verb} {}{target}", self.object)
    }

    fn step_evidence(&self) -> Option<Evidence> {
        self.decisive.map(|(i, s)| {
            Evidence::new(
                format!(
                    "provisioningSteps[{i}] {} ({})",
                    s.name.as_deref().unwrap_or("?"),
                    s.provisioning_step_type
                        .as_ref()
                        .map_or("?", |t| t.as_str())
                ),
                format!(
                    "{}: {}",
                    s.status.as_ref().map_or("?", |r| r.as_str()),
                    s.description.as_deref().unwrap_or("")
                )
                .trim_end_matches([':', ' '])
                .to_owned(),
            )
        })
    }

    fn base_evidence(&self) -> Vec<Evidence> {
        let mut ev = Vec::new();
        if let Some(s) = self.entry.status() {
            let field = format!("{}.status", self.entry.status_field());
            ev.push(Evidence::new(field, s.as_str()));
        }
        if let Some(a) = self.entry.action() {
            ev.push(Evidence::new(self.entry.action_field(), a.as_str()));
        }
        ev.extend(self.step_evidence());
        ev
    }

    /// `errorInformation.<field>`, or `statusInfo.<field>` when the error came from beta's
    /// `statusInfo`: the label names the field the record carries.
    fn error_label(&self, field: &str) -> String {
        format!("{}.{field}", self.entry.error_field())
    }

    fn at_step(&self) -> String {
        self.decisive
            .and_then(|(_, s)| s.name.as_deref())
            .map(|n| format!(" at step {n}"))
            .unwrap_or_default()
    }

    fn success(&self, k: &Knowledge) -> Finding {
        let ev = self.base_evidence();
        if matches!(self.entry.action(), Some(ProvisioningAction::OtherAction)) {
            let summary = format!("{} needed no change{}.", self.object, self.when);
            return k.case_finding(cases::NO_CHANGE, summary, ev, &self.vars);
        }
        let summary = format!("{} succeeded{}.", self.action_phrase(), self.when);
        k.case_finding(cases::SUCCESS, summary, ev, &self.vars)
    }

    fn skipped(&self, k: &Knowledge, error: Option<&ProvisioningErrorInfo>) -> Finding {
        let mut ev = self.base_evidence();
        let skipped = format!("{} was skipped{}{}", self.object, self.when, self.at_step());

        // 1. A skip reason named by a step or by the error code.
        let skip_reason = self.entry.skip_reason();
        let code = error
            .and_then(|e| e.error_code.as_deref())
            .filter(|c| !c.trim().is_empty());
        let code_field = self.error_label("errorCode");
        for (field, value) in [
            ("details.SkipReason", skip_reason),
            (code_field.as_str(), code),
        ] {
            let Some(value) = value else { continue };
            ev.push(Evidence::new(field, value));
            if let Some(e) = known_skip_value(k, value) {
                let summary = format!("{skipped}: {}", e.meaning);
                let mut f = k.finding(e, summary, ev, &self.vars);
                f.code = Some(value.to_owned());
                return f;
            }
        }

        // 2. What the steps' details say: system objects, replication victims, entitlement, scoping.
        if let Some(f) = self.scoping_reason(k, &skipped, &mut ev) {
            return f;
        }
        // 3. Only a source id, no target, from cloud sync (or from an unknown source): the agent
        //    filtered it out of scope (troubleshooting guide).
        if source_id(self.entry).is_some()
            && target_id(self.entry).is_none()
            && cloud_sync_or_unknown(self.entry)
        {
            ev.push(Evidence::new(
                "targetIdentity.id",
                "(empty: the event names only the source object)",
            ));
            let summary = format!("{skipped} with only a source id and no target object.");
            return k.case_finding(cases::AGENT_FILTERED, summary, ev, &self.vars);
        }
        // An import that was skipped in app provisioning: the matching attribute is empty.
        if let Some((_, s)) = self.decisive
            && s.provisioning_step_type == Some(ProvisioningStepType::Import)
            && let Some(e) = k.lookup("ImportSkipped", &[Scope::ObjectError])
        {
            return k.finding(e, format!("{skipped}: {}", e.meaning), ev, &self.vars);
        }

        // 4. A skip we can't narrow down; unknown codes were already quoted as evidence.
        if let Some(e) = error
            && let Some(text) = message(e)
        {
            ev.push(Evidence::new(self.error_label("reason"), text));
        }
        // A skipped delete may be one the job's deletion threshold holds back.
        let case = match self.entry.action() {
            Some(
                ProvisioningAction::Delete
                | ProvisioningAction::StagedDelete
                | ProvisioningAction::Disable,
            ) => cases::SKIPPED_DELETE,
            _ => cases::SKIPPED,
        };
        k.case_finding(case, format!("{skipped}."), ev, &self.vars)
    }

    /// Skip reasons read from step details: isCriticalSystemObject, replication victims (CNF names),
    /// IsEffectivelyEntitledForProvisioning, Assigned, "Scoping filter evaluation passed".
    fn scoping_reason(
        &self,
        k: &Knowledge,
        skipped: &str,
        ev: &mut Vec<Evidence>,
    ) -> Option<Finding> {
        let steps = &self.entry.provisioning_steps;
        let detail_is = |key: &str, want: &str| {
            steps.iter().enumerate().find_map(|(i, s)| {
                s.details
                    .get(key)
                    .filter(|v| v.trim().eq_ignore_ascii_case(want))
                    .map(|v| (i, s, v.to_owned()))
            })
        };
        let cite =
            |ev: &mut Vec<Evidence>, (i, s, v): (usize, &ProvisioningStep, String), key: &str| {
                ev.push(Evidence::new(
                    format!(
                        "provisioningSteps[{i}] {} details.{key}",
                        s.name.as_deref().unwrap_or("?")
                    ),
                    v,
                ));
            };
        if let Some(hit) = detail_is("isCriticalSystemObject", "true") {
            cite(ev, hit, "isCriticalSystemObject");
            let summary = format!("{skipped}: it is a critical system object.");
            return Some(k.case_finding(
                cases::CRITICAL_SYSTEM_OBJECT,
                summary,
                std::mem::take(ev),
                &self.vars,
            ));
        }
        let dn = steps
            .iter()
            .find_map(|s| s.details.get("distinguishedName"))
            .map(str::to_owned)
            .or_else(|| object_name(self.entry));
        if let Some(dn) = dn.filter(|d| d.contains("CNF:")) {
            ev.push(Evidence::new("distinguishedName", dn));
            let summary =
                format!("{skipped}: its name carries the CNF: mark of a replication conflict.");
            return Some(k.case_finding(
                cases::REPLICATION_VICTIM,
                summary,
                std::mem::take(ev),
                &self.vars,
            ));
        }
        if let Some(hit) = detail_is("IsEffectivelyEntitledForProvisioning", "false") {
            cite(ev, hit, "IsEffectivelyEntitledForProvisioning");
            let summary =
                format!("{skipped}: the user is not effectively entitled for provisioning.");
            return Some(k.case_finding(
                cases::NOT_ENTITLED,
                summary,
                std::mem::take(ev),
                &self.vars,
            ));
        }
        if let Some(hit) = detail_is("Assigned", "false") {
            cite(ev, hit, "Assigned");
            let summary = format!("{skipped}: it isn't assigned to the application.");
            return Some(k.case_finding(
                cases::NOT_ASSIGNED,
                summary,
                std::mem::take(ev),
                &self.vars,
            ));
        }
        if let Some(hit) = detail_is("Scoping filter evaluation passed", "false") {
            cite(ev, hit, "Scoping filter evaluation passed");
            // Name the filter or clause when the step details do.
            let (_, step, _) = steps
                .iter()
                .enumerate()
                .find(|(_, s)| s.details.get("Scoping filter evaluation passed").is_some())
                .map(|(i, s)| (i, s, ()))?;
            let named: Vec<String> = step
                .details
                .iter()
                .filter(|(key, v)| {
                    let key = key.to_ascii_lowercase();
                    (key.contains("filter")
                        || key.contains("rule")
                        || key.contains("clause")
                        || key.contains("scope"))
                        && !key.contains("evaluation passed")
                        && !v.trim().is_empty()
                        && v.trim() != "{}"
                })
                .map(|(key, v)| format!("{key} = {v}"))
                .collect();
            let which = if named.is_empty() {
                String::new()
            } else {
                format!(" ({})", named.join("; "))
            };
            for n in named {
                ev.push(Evidence::new("scoping step detail", n));
            }
            let summary = format!("{skipped}: a scoping filter excludes it{which}.");
            return Some(k.case_finding(
                cases::SCOPING_FILTER,
                summary,
                std::mem::take(ev),
                &self.vars,
            ));
        }
        // Other "False" details of a skipped scoping step (IsActive, Active in the source system, ...).
        if let Some((i, s)) = self.decisive
            && s.provisioning_step_type == Some(ProvisioningStepType::Scoping)
        {
            for (key, v) in s
                .details
                .iter()
                .filter(|(_, v)| v.trim().eq_ignore_ascii_case("false"))
            {
                ev.push(Evidence::new(
                    format!(
                        "provisioningSteps[{i}] {} details.{key}",
                        s.name.as_deref().unwrap_or("?")
                    ),
                    v,
                ));
            }
        }
        None
    }

    /// A failure (or warning) that carries error information; the finding keeps the entry's own code.
    fn failure(&self, k: &Knowledge, e: &ProvisioningErrorInfo) -> Finding {
        let mut f = self.failure_finding(k, e);
        if let Some(c) = e
            .error_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            f.code = Some(c.to_owned());
        }
        f
    }

    fn failure_finding(&self, k: &Knowledge, e: &ProvisioningErrorInfo) -> Finding {
        let mut ev = self.base_evidence();
        let code = e
            .error_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(c) = code {
            ev.push(Evidence::new(self.error_label("errorCode"), c));
        }
        if let Some(c) = &e.error_category {
            ev.push(Evidence::new(self.error_label("errorCategory"), c.as_str()));
        }
        let text = message(e);
        if let Some(t) = &text {
            ev.push(Evidence::new(self.error_label("reason"), t.as_str()));
        }
        if let Some(r) = e
            .recommended_action
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            ev.push(Evidence::new(self.error_label("recommendedAction"), r));
        }
        let outcome = match self.entry.status() {
            Some(ProvisioningResult::Warning) => "completed with a warning",
            _ => "failed",
        };
        let what = format!(
            "{} {outcome}{}{}{}",
            self.action_phrase(),
            self.when,
            self.at_step(),
            code.map(|c| format!(" with {c}")).unwrap_or_default()
        );
        let scopes = [Scope::ObjectError, Scope::SkipReason, Scope::JobError];
        let by_code = code.and_then(|c| k.lookup(c, &scopes));
        let specific = by_code.filter(|e| !e.generic);
        if let Some(entry) = specific {
            // A deletion refused by the tenant's threshold can hide behind any code: the message says so.
            if let Some(f) = self.deletion_threshold(k, text.as_deref(), &what, &mut ev) {
                return f;
            }
            return k.finding(entry, format!("{what}: {}", entry.meaning), ev, &self.vars);
        }
        // Generic or unknown code: the message usually holds the real cause.
        if let Some(t) = text.as_deref()
            && let Some((entry, pattern)) = k.match_message(t, &[Scope::ObjectError, Scope::Case])
        {
            ev.push(Evidence::new(
                "read from the message",
                format!("\"{pattern}\""),
            ));
            let note = match code {
                Some(c) if by_code.is_some() => {
                    format!(" The code {c} is generic; the message says more.")
                }
                Some(c) => {
                    format!(" provctl doesn't know the code {c}; this was read from the message.")
                }
                None => " This was read from the message.".to_owned(),
            };
            let summary = format!("{what}: {}{note}", entry.meaning);
            return k.finding(entry, summary, ev, &self.vars);
        }
        if let Some(entry) = by_code {
            return k.finding(entry, format!("{what}: {}", entry.meaning), ev, &self.vars);
        }
        // Unknown code, unhelpful message: say what we know, where it stopped, and where to look.
        let summary = match &text {
            Some(t) => format!("{what}. The service said: {t}"),
            None => format!("{what}."),
        };
        let mut f = unknown_finding(k, summary, ev);
        f.category = self.step_category();
        f.code = code.map(str::to_owned);
        f.title = match code {
            Some(c) => format!("Unrecognised code {c}"),
            None => "Failure without an error code".to_owned(),
        };
        for s in &mut f.next_steps {
            if let Some(cmd) = &mut s.command {
                *cmd = self.vars.fill(cmd);
            }
        }
        f
    }

    fn deletion_threshold(
        &self,
        k: &Knowledge,
        text: Option<&str>,
        what: &str,
        ev: &mut Vec<Evidence>,
    ) -> Option<Finding> {
        let (entry, pattern) = k.match_message(text?, &[Scope::Case])?;
        if entry.key != cases::TENANT_DELETION_PREVENTION {
            return None;
        }
        ev.push(Evidence::new(
            "read from the message",
            format!("\"{pattern}\""),
        ));
        Some(k.finding(
            entry,
            format!("{what}: {}", entry.meaning),
            std::mem::take(ev),
            &self.vars,
        ))
    }

    /// A failed step without error information: explain by the step's type.
    fn failed_step(&self, k: &Knowledge) -> Finding {
        let Some((_, step)) = self.decisive else {
            return self.inconsistent(k);
        };
        let case = match &step.provisioning_step_type {
            Some(ProvisioningStepType::Import) => cases::IMPORT_FAILED,
            Some(ProvisioningStepType::Scoping) => cases::SKIPPED,
            Some(ProvisioningStepType::Matching) => cases::MATCHING_FAILED,
            Some(ProvisioningStepType::Processing | ProvisioningStepType::ReferenceResolution) => {
                cases::REFERENCE_UNRESOLVED
            }
            Some(ProvisioningStepType::Export) => cases::EXPORT_FAILED,
            _ => cases::UNKNOWN,
        };
        if case == cases::SKIPPED {
            return self.skipped(k, None);
        }
        self.step_or_case(k, case)
    }

    fn step_or_case(&self, k: &Knowledge, case: &str) -> Finding {
        let summary = format!(
            "{} ended{}{}{}.",
            self.action_phrase(),
            self.entry
                .status()
                .map(|s| format!(" with status {}", s.as_str()))
                .unwrap_or_default(),
            self.when,
            self.at_step()
        );
        k.case_finding(case, summary, self.base_evidence(), &self.vars)
    }

    fn inconsistent(&self, k: &Knowledge) -> Finding {
        let steps = self.entry.provisioning_steps.len();
        let summary = format!(
            "{} is marked failed{}, but all {steps} recorded step(s) succeeded and no error information was given; the log doesn't say why.",
            self.object, self.when
        );
        k.case_finding(
            cases::INCONSISTENT,
            summary,
            self.base_evidence(),
            &self.vars,
        )
    }

    fn step_category(&self) -> Category {
        match self
            .decisive
            .and_then(|(_, s)| s.provisioning_step_type.as_ref())
        {
            Some(ProvisioningStepType::Scoping) => Category::Scoping,
            Some(ProvisioningStepType::Matching) => Category::Matching,
            Some(ProvisioningStepType::Processing | ProvisioningStepType::ReferenceResolution) => {
                Category::References
            }
            Some(ProvisioningStepType::Import | ProvisioningStepType::Export) => Category::Target,
            _ => Category::Unknown,
        }
    }
}

/// True for cloud sync entries (AD2AAD job ids, source system "Active Directory"), and for entries
/// that say nothing of either; false for app provisioning (source Entra ID, other job templates).
fn cloud_sync_or_unknown(entry: &ProvisioningObjectSummary) -> bool {
    if let Some(job) = non_empty(entry.job_id.as_deref()) {
        return job.starts_with("AD2AAD") || job.starts_with("ADDC");
    }
    match non_empty(
        entry
            .source_system
            .as_ref()
            .and_then(|s| s.display_name.as_deref()),
    ) {
        Some(src) => {
            let src = src.to_ascii_lowercase();
            src.contains("active directory") && !src.contains("azure") && !src.contains("entra")
        }
        None => true,
    }
}

/// The error's words: reason, then additional details.
fn message(e: &ProvisioningErrorInfo) -> Option<String> {
    let parts: Vec<&str> = [&e.reason, &e.additional_details]
        .into_iter()
        .filter_map(|v| v.as_deref().map(str::trim).filter(|s| !s.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

fn source_id(entry: &ProvisioningObjectSummary) -> Option<&str> {
    non_empty(entry.source_identity.as_ref().and_then(|i| i.id.as_deref()))
}

fn target_id(entry: &ProvisioningObjectSummary) -> Option<&str> {
    non_empty(entry.target_identity.as_ref().and_then(|i| i.id.as_deref()))
}

/// The object's name: the source display name, else the target's, else a ReportableIdentifier detail.
pub(crate) fn object_name(entry: &ProvisioningObjectSummary) -> Option<String> {
    non_empty(
        entry
            .source_identity
            .as_ref()
            .and_then(|i| i.display_name.as_deref()),
    )
    .or_else(|| {
        non_empty(
            entry
                .target_identity
                .as_ref()
                .and_then(|i| i.display_name.as_deref()),
        )
    })
    .or_else(|| {
        entry
            .provisioning_steps
            .iter()
            .find_map(|s| non_empty(s.details.get("ReportableIdentifier")))
    })
    .map(str::to_owned)
}

fn changes(entry: &ProvisioningObjectSummary) -> Vec<PropertyChange> {
    entry
        .modified_properties
        .iter()
        .map(|p| PropertyChange {
            name: p.display_name.clone().unwrap_or_default(),
            old_value: p.old_value.clone(),
            new_value: p.new_value.clone(),
        })
        .collect()
}
