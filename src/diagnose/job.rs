//! Reading a synchronization job: is it really quarantined (a paused job with an empty quarantine record
//! isn't), why, since when and how many days are left before the ~28-day disable, what to fix first and
//! which reset scopes clear it; and the status traps (a NotRun placeholder execution, "no schedule").

use chrono::{DateTime, Duration, Utc};

use crate::graph::model::{
    QuarantineReason, ServicePrincipal, SynchronizationError, SynchronizationJob,
    SynchronizationQuarantine, SynchronizationStatusCode, SynchronizationTaskExecution,
    SynchronizationTaskExecutionResult,
};

use crate::graph::sync::JobKey;

use super::finding::{Evidence, Explanation, Finding, Severity, Subject, SubjectKind, fmt_time};
use super::graph_error::unknown_finding;
use super::knowledge::{Entry, Knowledge, Scope, Vars, cases};

use crate::graph::model::job::QUARANTINE_DISABLE_AFTER_DAYS as QUARANTINE_DISABLE_DAYS;

/// Within this many days of the disable, say so loudly.
const DISABLE_WARNING_DAYS: i64 = 7;

/// How the suggested commands name the job: `<service principal id>/<job id>` (the [`JobKey`]
/// form every command accepts), when the owner is known.
fn cli_ref(job: &SynchronizationJob, owner: Option<&ServicePrincipal>) -> Option<String> {
    let sp = owner.map(|o| o.id.trim()).unwrap_or_default();
    let id = job.id.trim();
    (!sp.is_empty() && !id.is_empty()).then(|| JobKey::new(sp, id).to_string())
}

/// The job as titled: `<service principal name>/<job id>`, or the job id alone.
fn display(job: &SynchronizationJob, owner: Option<&ServicePrincipal>) -> String {
    match owner
        .and_then(|o| o.display_name.as_deref())
        .filter(|n| !n.is_empty())
    {
        Some(name) => format!("{name}/{}", job.id),
        None => job.id.clone(),
    }
}

/// Explains a job's state; `owner` is the service principal it belongs to, when known (it names
/// the job in the suggested commands). `now` is used for the days left before a quarantined job
/// is disabled.
pub fn explain_job(
    job: &SynchronizationJob,
    owner: Option<&ServicePrincipal>,
    now: DateTime<Utc>,
) -> Explanation {
    let k = Knowledge::global();
    let r = Reader {
        job,
        name: display(job, owner),
        vars: Vars {
            job: cli_ref(job, owner),
            ..Vars::default()
        },
        now,
    };
    let mut findings = if job.is_quarantined() {
        r.quarantined(k)
    } else {
        r.not_quarantined(k)
    };
    if job.status.as_ref().is_some_and(|s| s.escrows_pruned) {
        findings.push(k.case_finding(
            cases::ESCROWS_PRUNED,
            format!("{}: escrowsPruned is true.", r.name),
            vec![Evidence::new("status.escrowsPruned", "true")],
            &r.vars,
        ));
    }
    Explanation {
        subject: Subject {
            kind: SubjectKind::Job,
            id: job.id.clone(),
            display_name: Some(r.name.clone()),
        },
        findings,
        changes: Vec::new(),
        history: Vec::new(),
    }
}

/// One line of why a job is quarantined, for `quarantine list` tables; `None` when it isn't.
pub fn quarantine_one_liner(job: &SynchronizationJob) -> Option<String> {
    if !job.is_quarantined() {
        return None;
    }
    let k = Knowledge::global();
    let q = job.quarantine();
    let reason = q.and_then(|q| q.reason.as_ref());
    let error = quarantine_error(job);
    let code = error
        .and_then(|e| e.code.as_deref())
        .filter(|c| !c.trim().is_empty());
    let entry = headline_entry(k, reason, code);
    let mut label: Vec<&str> = Vec::new();
    if let Some(r) = reason {
        label.push(r.as_str());
    }
    if let Some(c) = code {
        label.push(c);
    }
    let label = if label.is_empty() {
        "quarantined".to_owned()
    } else {
        label.join(" / ")
    };
    Some(match entry {
        Some(e) => format!("{label}: {}", e.title),
        None => match error
            .and_then(|e| e.message.as_deref())
            .filter(|m| !m.trim().is_empty())
        {
            Some(m) => format!("{label}: {}", first_sentence(m)),
            None => label,
        },
    })
}

/// The quarantine's error, else the last execution's.
fn quarantine_error(job: &SynchronizationJob) -> Option<&SynchronizationError> {
    job.quarantine()
        .and_then(|q| q.error.as_ref())
        .filter(|e| e.code.as_deref().is_some_and(|c| !c.trim().is_empty()))
        .or_else(|| job.last_execution().and_then(|e| e.error.as_ref()))
}

/// The mechanism-defining reasons lead; otherwise a known error code says what to fix.
fn headline_entry<'k>(
    k: &'k Knowledge,
    reason: Option<&QuarantineReason>,
    code: Option<&str>,
) -> Option<&'k Entry> {
    let reason_entry = reason.and_then(|r| k.lookup(r.as_str(), &[Scope::QuarantineReason]));
    let code_entry = code
        .and_then(|c| k.lookup(c, &[Scope::JobError, Scope::ObjectError]))
        .filter(|e| !e.in_scope(Scope::QuarantineReason));
    let reason_leads = matches!(
        reason,
        Some(
            QuarantineReason::TooManyDeletes
                | QuarantineReason::EncounteredEscrowProportionThreshold
                | QuarantineReason::EncounteredBaseEscrowThreshold
                | QuarantineReason::EncounteredTotalEscrowThreshold
                | QuarantineReason::QuarantinedOnDemand
        )
    );
    if reason_leads {
        reason_entry.or(code_entry)
    } else {
        code_entry.or(reason_entry)
    }
}

fn first_sentence(s: &str) -> &str {
    let s = s.trim();
    match s.find(". ") {
        Some(i) => &s[..=i],
        None => s,
    }
}

struct Reader<'a> {
    job: &'a SynchronizationJob,
    name: String,
    vars: Vars,
    now: DateTime<Utc>,
}

impl Reader<'_> {
    fn status_evidence(&self) -> Vec<Evidence> {
        let mut ev = Vec::new();
        if let Some(c) = self.job.status_code() {
            ev.push(Evidence::new("status.code", c.as_str()));
        }
        if let Some(i) = self.job.interval() {
            let v = if i.is_never() {
                format!("{} (no schedule)", i.as_str())
            } else {
                format!("{} ({})", i.as_str(), i.describe())
            };
            ev.push(Evidence::new("schedule.interval", v));
        }
        if let Some(s) = self.job.schedule.as_ref().and_then(|s| s.state.as_ref()) {
            ev.push(Evidence::new("schedule.state", s.as_str()));
        }
        ev
    }

    fn execution_evidence(&self, ev: &mut Vec<Evidence>, e: &SynchronizationTaskExecution) {
        if let Some(s) = &e.state {
            ev.push(Evidence::new("status.lastExecution.state", s.as_str()));
        }
        if let Some(t) = e.time_began.or(e.time_ended) {
            ev.push(Evidence::new(
                "status.lastExecution.timeBegan",
                fmt_time(&t),
            ));
        }
        ev.push(Evidence::new(
            "status.lastExecution counts",
            format!(
                "imported {}, exported {}, escrowed {}",
                e.count_imported, e.count_exported, e.count_escrowed
            ),
        ));
    }

    fn error_evidence(ev: &mut Vec<Evidence>, field: &str, e: &SynchronizationError) {
        if let Some(c) = e.code.as_deref().filter(|c| !c.trim().is_empty()) {
            ev.push(Evidence::new(format!("{field}.code"), c));
        }
        if let Some(m) = e.message.as_deref().filter(|m| !m.trim().is_empty()) {
            ev.push(Evidence::new(format!("{field}.message"), m));
        }
        if e.tenant_actionable {
            ev.push(Evidence::new(format!("{field}.tenantActionable"), "true"));
        }
    }

    fn quarantined(&self, k: &Knowledge) -> Vec<Finding> {
        let q = self.job.quarantine();
        let reason = q.and_then(|q| q.reason.as_ref());
        let error = quarantine_error(self.job);
        let code = error
            .and_then(|e| e.code.as_deref())
            .filter(|c| !c.trim().is_empty());
        let status = self.job.status.as_ref();

        let mut ev = self.status_evidence();
        if let Some(r) = reason {
            ev.push(Evidence::new("status.quarantine.reason", r.as_str()));
        }
        if let Some(e) = error {
            Self::error_evidence(&mut ev, "status.quarantine.error", e);
        }
        let mut facts = vec![match reason {
            Some(r) => format!("{} is quarantined ({})", self.name, r.as_str()),
            None => format!("{} is quarantined", self.name),
        }];
        if let Some(q) = q {
            self.quarantine_facts(q, &mut facts, &mut ev);
        }
        if let Some(c) = code {
            // The first sentence here; the whole message is in the evidence.
            let msg = error
                .and_then(|e| e.message.as_deref())
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!(": {}", first_sentence(m).trim_end_matches('.')))
                .unwrap_or_default();
            facts.push(format!("error {c}{msg}"));
        }
        if let Some(e) = self.job.last_execution() {
            if e.count_escrowed > 0 || e.count_imported > 0 {
                facts.push(format!(
                    "{} escrowed (failed) of {} imported in the last run",
                    e.count_escrowed, e.count_imported
                ));
            }
            self.execution_evidence(&mut ev, e);
        }
        if let Some(s) = status.filter(|s| s.count_successive_complete_failures > 0) {
            facts.push(format!(
                "{} successive complete failures",
                s.count_successive_complete_failures
            ));
            ev.push(Evidence::new(
                "status.countSuccessiveCompleteFailures",
                s.count_successive_complete_failures.to_string(),
            ));
        }
        let summary = format!("{}.", facts.join("; "));

        let mut findings = Vec::new();
        let mut headline = match headline_entry(k, reason, code) {
            Some(e) => {
                let mut f = k.finding(e, summary, ev, &self.vars);
                if !e.in_scope(Scope::QuarantineReason) {
                    f.code = code.map(str::to_owned);
                }
                f
            }
            None => {
                let mut f = unknown_finding(k, summary, ev);
                f.code = code
                    .map(str::to_owned)
                    .or_else(|| reason.map(|r| r.as_str().to_owned()));
                f.severity = Severity::Critical;
                f
            }
        };
        headline.severity = Severity::Critical;
        // When the error code led, the reason's entry says how to clear: append its clearing steps.
        if let Some(reason_entry) =
            reason.and_then(|r| k.lookup(r.as_str(), &[Scope::QuarantineReason]))
            && headline.code.as_deref() != Some(reason_entry.key.as_str())
        {
            let clear = k.finding(reason_entry, String::new(), Vec::new(), &self.vars);
            // Only the clearing steps (quarantine clear, restart/start with scopes) are appended.
            let clears =
                |c: &str| c.starts_with("provctl quarantine ") || c.starts_with("provctl jobs ");
            for s in clear
                .next_steps
                .into_iter()
                .filter(|s| s.command.as_deref().is_some_and(clears))
            {
                if !headline.next_steps.iter().any(|h| h.command == s.command) {
                    headline.next_steps.push(s);
                }
            }
            for src in clear.sources {
                if !headline.sources.contains(&src) {
                    headline.sources.push(src);
                }
            }
        }
        let category = headline.category;
        findings.push(headline);
        if let Some(mut f) = self.disable_warning(k, q) {
            f.category = category;
            findings.push(f);
        }
        findings
    }

    fn quarantine_facts(
        &self,
        q: &SynchronizationQuarantine,
        facts: &mut Vec<String>,
        ev: &mut Vec<Evidence>,
    ) {
        if let Some(b) = q.series_began {
            let days = (self.now - b).num_days();
            facts.push(format!("since {} ({days} days)", fmt_time(&b)));
            ev.push(Evidence::new("status.quarantine.seriesBegan", fmt_time(&b)));
        }
        if q.series_count > 0 {
            facts.push(match q.series_count {
                1 => "evaluated once in this series".to_owned(),
                n => format!("re-evaluated {n} times in this series"),
            });
            ev.push(Evidence::new(
                "status.quarantine.seriesCount",
                q.series_count.to_string(),
            ));
        }
        if let Some(c) = q.current_began {
            ev.push(Evidence::new(
                "status.quarantine.currentBegan",
                fmt_time(&c),
            ));
        }
        if let Some(n) = q.next_attempt {
            facts.push(format!("next attempt {}", fmt_time(&n)));
            ev.push(Evidence::new("status.quarantine.nextAttempt", fmt_time(&n)));
        }
        if let Some(b) = q.series_began {
            let left = days_left(b, self.now);
            let text = if left > 0 {
                format!(
                    "{left} days left before the job is disabled (about {QUARANTINE_DISABLE_DAYS} days after the series began)"
                )
            } else {
                format!(
                    "past the ~{QUARANTINE_DISABLE_DAYS}-day limit: the job may already be disabled"
                )
            };
            ev.push(Evidence::new("days left before disable", text));
        }
    }

    fn disable_warning(
        &self,
        k: &Knowledge,
        q: Option<&SynchronizationQuarantine>,
    ) -> Option<Finding> {
        let began = q?.series_began?;
        let left = days_left(began, self.now);
        if left > DISABLE_WARNING_DAYS {
            return None;
        }
        let at = began + Duration::days(QUARANTINE_DISABLE_DAYS);
        let summary = if left > 0 {
            format!(
                "{} has been quarantined since {}: about {left} days are left before it is disabled (around {}). Fix the cause now.",
                self.name,
                fmt_time(&began),
                fmt_time(&at)
            )
        } else {
            format!(
                "{} has been quarantined since {}, past the ~{QUARANTINE_DISABLE_DAYS} days after which the job is disabled (around {}).",
                self.name,
                fmt_time(&began),
                fmt_time(&at)
            )
        };
        Some(k.case_finding(
            cases::QUARANTINE_DISABLE_NEAR,
            summary,
            vec![Evidence::new(
                "status.quarantine.seriesBegan",
                fmt_time(&began),
            )],
            &self.vars,
        ))
    }

    fn not_quarantined(&self, k: &Knowledge) -> Vec<Finding> {
        let mut ev = self.status_evidence();
        let mut findings = Vec::new();
        let code = self.job.status_code();
        let last = self.job.last_execution_record();
        let placeholder = last.is_some_and(SynchronizationTaskExecution::is_never_run_placeholder);
        if let Some(e) = last {
            if placeholder {
                ev.push(Evidence::new(
                    "status.lastExecution",
                    "a placeholder: no start or end time and no counts (not a real run)",
                ));
            } else {
                self.execution_evidence(&mut ev, e);
            }
        }
        // A quarantine record with no reason and no dates: a leftover, not a quarantine.
        if let Some(q) = self.job.quarantine().filter(|q| q.is_empty()) {
            ev.push(Evidence::new(
                "status.quarantine",
                format!(
                    "present but empty (no reason, no dates; seriesCount {}), so the job isn't quarantined",
                    q.series_count
                ),
            ));
        }
        // An error the job still carries (the quarantine record's or the last real run's) comes first.
        if let Some(f) = self.carried_error(k, placeholder) {
            findings.push(f);
        }
        let no_schedule = self.job.interval().is_some_and(|i| i.is_never());
        let (case, summary) = match code {
            Some(SynchronizationStatusCode::NotConfigured) => (
                cases::JOB_NOT_CONFIGURED,
                format!("{} is not configured.", self.name),
            ),
            Some(SynchronizationStatusCode::NotRun) => (
                cases::JOB_NOT_RUN,
                format!("{} hasn't completed its first run yet.", self.name),
            ),
            Some(SynchronizationStatusCode::Paused) => (
                cases::JOB_PAUSED,
                format!(
                    "{} is paused{}.",
                    self.name,
                    if no_schedule {
                        " and has no schedule"
                    } else {
                        ""
                    }
                ),
            ),
            Some(SynchronizationStatusCode::Active) | None => self.active_case(last, placeholder),
            Some(other) => {
                let mut f = unknown_finding(
                    k,
                    format!(
                        "{} reports the status {}, which provctl doesn't know.",
                        self.name,
                        other.as_str()
                    ),
                    ev,
                );
                f.code = Some(other.as_str().to_owned());
                findings.push(f);
                return findings;
            }
        };
        let mut f = k.case_finding(case, summary, ev, &self.vars);
        if case == cases::JOB_ENTRY_LEVEL_ERRORS {
            f.next_steps.insert(
                0,
                super::finding::NextStep {
                    text: "List the failed entries of this job in the provisioning logs."
                        .to_owned(),
                    command: None,
                },
            );
        }
        findings.push(f);
        findings
    }

    fn active_case(
        &self,
        last: Option<&SynchronizationTaskExecution>,
        placeholder: bool,
    ) -> (&'static str, String) {
        let schedule = self
            .job
            .interval()
            .map(|i| format!(", {}", i.describe()))
            .unwrap_or_default();
        match last
            .filter(|_| !placeholder)
            .and_then(|e| e.state.as_ref().map(|s| (e, s)))
        {
            Some((e, SynchronizationTaskExecutionResult::EntryLevelErrors)) => (
                cases::JOB_ENTRY_LEVEL_ERRORS,
                format!(
                    "{} is active{schedule}; its last run{} left {} object(s) escrowed (failed) of {} imported.",
                    self.name,
                    e.time_ended
                        .or(e.time_began)
                        .map(|t| format!(" ({})", fmt_time(&t)))
                        .unwrap_or_default(),
                    e.count_escrowed,
                    e.count_imported
                ),
            ),
            Some((e, SynchronizationTaskExecutionResult::Failed)) => (
                cases::JOB_FAILED_RUN,
                format!(
                    "{} is active{schedule}, but its last run{} failed.",
                    self.name,
                    e.time_ended
                        .or(e.time_began)
                        .map(|t| format!(" ({})", fmt_time(&t)))
                        .unwrap_or_default()
                ),
            ),
            Some((e, _)) => (
                cases::JOB_HEALTHY,
                format!(
                    "{} is healthy{schedule}; last run{}: imported {}, exported {}.",
                    self.name,
                    e.time_ended
                        .or(e.time_began)
                        .map(|t| format!(" {}", fmt_time(&t)))
                        .unwrap_or_default(),
                    e.count_imported,
                    e.count_exported
                ),
            ),
            None => (
                cases::JOB_HEALTHY,
                format!("{} is active{schedule}; no run recorded yet.", self.name),
            ),
        }
    }

    /// An error the job still carries although it isn't quarantined (the GET example: a paused job
    /// whose empty quarantine record keeps SalesforceInvalidCredentials).
    fn carried_error(&self, k: &Knowledge, placeholder: bool) -> Option<Finding> {
        let (field, e) = self
            .job
            .quarantine()
            .and_then(|q| q.error.as_ref())
            .map(|e| ("status.quarantine.error", e))
            .or_else(|| {
                self.job
                    .last_execution()
                    .filter(|_| !placeholder)
                    .and_then(|x| x.error.as_ref())
                    .map(|e| ("status.lastExecution.error", e))
            })?;
        let code = e.code.as_deref().map(str::trim).filter(|c| !c.is_empty())?;
        let mut ev = Vec::new();
        Self::error_evidence(&mut ev, field, e);
        let msg = e
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| format!(": {}", first_sentence(m).trim_end_matches('.')))
            .unwrap_or_default();
        let summary = format!("{} still carries error {code}{msg}.", self.name);
        let mut f = match k.lookup(code, &[Scope::JobError, Scope::ObjectError]) {
            Some(entry) => k.finding(entry, summary, ev, &self.vars),
            None => unknown_finding(k, summary, ev),
        };
        f.code = Some(code.to_owned());
        // Not quarantined: nothing is stopped by it right now, but it must be fixed before starting.
        f.severity = f.severity.min(Severity::Error);
        Some(f)
    }
}

/// Whole days left before the ~28-day disable, counted from the quarantine series' start.
pub fn days_left(series_began: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let at = series_began + Duration::days(QUARANTINE_DISABLE_DAYS);
    let left = at - now;
    // Round up partial days: 27.5 days left is "28 days".
    let secs = left.num_seconds();
    if secs <= 0 {
        secs.div_euclid(86_400)
    } else {
        (secs + 86_399) / 86_400
    }
}
