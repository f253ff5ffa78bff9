//! Summaries across many provisioning events: how many, since when, which errors. A [`Summarizer`]
//! takes events one at a time (from Graph pages or a file, in any order) and keeps only counters, so
//! memory is bounded whatever the range: at most [`MAX_JOBS`] jobs, [`MAX_CYCLES`] cycles (the most
//! recent by last event; older ones are dropped and counted) and [`MAX_REASONS`] distinct reasons
//! (the rest fold into one "other" row), each reason with at most [`SAMPLES`] sample objects.
//!
//! The reason of a failure or warning is the error code Graph sent (`errorInformation.errorCode`);
//! the reason of a skip is what the explain engine reads from the event (a step's `SkipReason`, the
//! error code, or one of its cases such as an agent-filtered object). Evidence stays quoted: a code
//! is only ever a value the event carried or the name of a documented case.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::finding::{Evidence, Explanation, NextStep, fmt_time};
use super::log::{diagnose_entry, known_skip};
use crate::graph::model::logs::{ProvisioningObjectSummary, ProvisioningResult};
use crate::graph::model::{QuarantineReason, SynchronizationJob};

/// At most this many jobs are counted one by one; further jobs are counted under [`OTHER`].
pub const MAX_JOBS: usize = 1_000;
/// At most this many cycles are kept: the most recent by their last event.
pub const MAX_CYCLES: usize = 200;
/// At most this many distinct reasons are kept; further ones are counted under [`OTHER`].
pub const MAX_REASONS: usize = 500;
/// Sample objects kept per reason.
pub const SAMPLES: usize = 3;
/// The key that collects what went past a bound.
pub const OTHER: &str = "(other)";

/// A status or action count, by Graph's own value (`success`, `create`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// Graph's value; `(none)` when the event carried none.
    pub value: String,
    /// How many events.
    pub count: u64,
}

/// Counts by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    /// `success`.
    pub success: u64,
    /// `failure`.
    pub failure: u64,
    /// `skipped`.
    pub skipped: u64,
    /// `warning`.
    pub warning: u64,
    /// Anything else, or no status.
    pub other: u64,
}

impl StatusCounts {
    fn add(&mut self, status: Option<&ProvisioningResult>) {
        match status {
            Some(ProvisioningResult::Success) => self.success += 1,
            Some(ProvisioningResult::Failure) => self.failure += 1,
            Some(ProvisioningResult::Skipped) => self.skipped += 1,
            Some(ProvisioningResult::Warning) => self.warning += 1,
            _ => self.other += 1,
        }
    }

    fn merge(&mut self, o: &StatusCounts) {
        self.success += o.success;
        self.failure += o.failure;
        self.skipped += o.skipped;
        self.warning += o.warning;
        self.other += o.other;
    }

    /// All events counted.
    pub fn total(&self) -> u64 {
        self.success + self.failure + self.skipped + self.warning + self.other
    }
}

/// One job's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// The job id the events carried (`(none)` when absent, [`OTHER`] past [`MAX_JOBS`]).
    pub job_id: String,
    /// The service principal's object id, as the events carried it.
    pub service_principal_id: Option<String>,
    /// The service principal's display name, as the events carried it.
    pub name: Option<String>,
    /// Counts by outcome.
    pub status: StatusCounts,
    /// The first event's time.
    pub first: Option<DateTime<Utc>>,
    /// The last event's time.
    pub last: Option<DateTime<Utc>>,
    /// The event (counted from 1 in this summarizer) that first counted it: merging adds a
    /// summarizer's new jobs in that order, as adding its events one by one would.
    #[serde(skip)]
    since: u64,
}

/// One provisioning cycle's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleSummary {
    /// The cycle id.
    pub cycle_id: String,
    /// The job of the cycle's first event.
    pub job_id: Option<String>,
    /// The first event's time.
    pub first: Option<DateTime<Utc>>,
    /// The last event's time.
    pub last: Option<DateTime<Utc>>,
    /// Seconds from the first to the last event (0 for a single event).
    pub duration_seconds: Option<i64>,
    /// Counts by outcome.
    pub status: StatusCounts,
}

/// What kind of outcome a reason explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasonKind {
    /// A failed event's error code.
    Failure,
    /// A warning's error code.
    Warning,
    /// Why an event was skipped.
    Skip,
}

impl ReasonKind {
    /// `failure`, `warning`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::Failure => "failure",
            ReasonKind::Warning => "warning",
            ReasonKind::Skip => "skip",
        }
    }
}

/// An object that showed a reason, to look at first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// The log entry's id (for `provctl explain log`).
    pub log_id: String,
    /// The source object's id, as the event carried it.
    pub source_id: Option<String>,
    /// The source object's display name, as the event carried it.
    pub display_name: Option<String>,
    /// When.
    pub at: Option<DateTime<Utc>>,
}

/// One error code or skip reason across the events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonSummary {
    /// Failure, warning or skip.
    pub kind: ReasonKind,
    /// The code Graph sent, the skip reason, or the explain engine's case name; [`OTHER`] for what
    /// went past [`MAX_REASONS`].
    pub code: String,
    /// One line on what it means (the explain engine's title for the first event seen).
    pub title: String,
    /// How many events.
    pub count: u64,
    /// `count` over all events of the summary, 0 to 1.
    pub share: f64,
    /// The first event's time.
    pub first_seen: Option<DateTime<Utc>>,
    /// The last event's time.
    pub last_seen: Option<DateTime<Utc>>,
    /// Up to [`SAMPLES`] objects, the first seen.
    pub samples: Vec<Sample>,
}

/// The summary of a set of events. Field names are stable for scripts (`-o json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogSummary {
    /// Every event counted.
    pub total: u64,
    /// The first event's time.
    pub first: Option<DateTime<Utc>>,
    /// The last event's time.
    pub last: Option<DateTime<Utc>>,
    /// Counts by outcome.
    pub status: StatusCounts,
    /// Counts by action, largest first.
    pub actions: Vec<Count>,
    /// Per job, most events first.
    pub jobs: Vec<JobSummary>,
    /// Per cycle, the most recent first (at most [`MAX_CYCLES`]).
    pub cycles: Vec<CycleSummary>,
    /// How many times a cycle was left out, or pushed out by a later one, because more than
    /// [`MAX_CYCLES`] were seen; not zero means [`LogSummary::cycles`] is not every cycle. (A cycle
    /// whose events are far apart in the input can be left out more than once.)
    pub cycles_dropped: u64,
    /// Error codes and skip reasons, most frequent first.
    pub reasons: Vec<ReasonSummary>,
}

impl LogSummary {
    /// The most frequent failure (or warning) reason, if any: the "dominant error".
    pub fn dominant_error(&self) -> Option<&ReasonSummary> {
        self.reasons
            .iter()
            .filter(|r| r.kind != ReasonKind::Skip && r.code != OTHER)
            .max_by_key(|r| r.count)
    }
}

#[derive(Debug)]
struct ReasonAcc {
    /// As [`JobSummary`]'s `since`.
    since: u64,
    title: String,
    count: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    samples: Vec<Sample>,
}

#[derive(Debug)]
struct CycleAcc {
    /// As [`JobSummary`]'s `since`.
    since: u64,
    job_id: Option<String>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    status: StatusCounts,
}

/// Counts events one at a time in bounded memory; [`Summarizer::finish`] gives the [`LogSummary`].
#[derive(Debug, Default)]
pub struct Summarizer {
    total: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    status: StatusCounts,
    // (Keys come from the records; foldhash is seeded per process.)
    actions: HashMap<String, u64, RandomState>,
    jobs: HashMap<String, JobSummary, RandomState>,
    cycles: HashMap<String, CycleAcc, RandomState>,
    cycles_dropped: u64,
    reasons: HashMap<(ReasonKind, String), ReasonAcc, RandomState>,
}

fn earlier(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The reason an event counts under, if it is not a plain success: its kind, its code and a title.
pub fn reason_of(e: &ProvisioningObjectSummary) -> Option<(ReasonKind, String, String)> {
    let kind = match e.status() {
        Some(ProvisioningResult::Failure) => ReasonKind::Failure,
        Some(ProvisioningResult::Warning) => ReasonKind::Warning,
        Some(ProvisioningResult::Skipped) => ReasonKind::Skip,
        _ => return None,
    };
    let error = e.error();
    let sent = error
        .as_ref()
        .and_then(|x| non_empty(x.error_code.as_deref()))
        .map(str::to_owned);
    if kind != ReasonKind::Skip
        && let Some(code) = sent
    {
        // A failure's title is the start of what Graph said, not our reading of it.
        let title = error
            .as_ref()
            .and_then(|x| non_empty(x.reason.as_deref()))
            .map(first_line)
            .unwrap_or_default();
        return Some((kind, code, title));
    }
    // Most skips name a known reason: their code and title without building the explanation.
    if let Some((code, title)) = known_skip(e) {
        return Some((kind, code, title));
    }
    let finding = diagnose_entry(e);
    let code = finding
        .code
        .clone()
        .unwrap_or_else(|| "(no code)".to_owned());
    Some((kind, code, finding.title))
}

/// True when [`reason_of`] needs more of the event than its top-level fields: a skip, or a
/// failure or warning without an error code, whose reason is read from the steps. Everything
/// else a [`Summarizer`] counts (time, status, action, job, cycle, error code, the source object)
/// is in the fields a file reader glances at without parsing the whole record
/// ([`crate::logfile::Record::fields`]).
pub fn needs_steps(e: &ProvisioningObjectSummary) -> bool {
    match e.status() {
        Some(ProvisioningResult::Skipped) => true,
        Some(ProvisioningResult::Failure) | Some(ProvisioningResult::Warning) => e
            .provisioning_status_info
            .as_ref()
            .and_then(|s| s.error_information.as_ref())
            .and_then(|x| non_empty(x.error_code.as_deref()))
            .is_none(),
        _ => false,
    }
}

/// Keeps up to [`SAMPLES`] distinct objects: a second event of the same object adds nothing.
fn push_sample(samples: &mut Vec<Sample>, s: Sample) {
    let same = |a: &Sample| match (&a.source_id, &s.source_id) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.display_name == s.display_name && a.display_name.is_some(),
        _ => false,
    };
    if samples.len() < SAMPLES && !samples.iter().any(same) {
        samples.push(s);
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(160).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

impl Summarizer {
    /// An empty summary.
    pub fn new() -> Self {
        Summarizer::default()
    }

    /// Counts one event.
    pub fn add(&mut self, e: &ProvisioningObjectSummary) {
        let at = e.activity_date_time;
        let status = e.status();
        self.total += 1;
        self.first = earlier(self.first, at);
        self.last = later(self.last, at);
        self.status.add(status);
        // Looked up before a key is allocated: almost every event repeats a known action.
        let action = e.action();
        let action = action.as_ref().map_or("(none)", |a| a.as_str());
        match self.actions.get_mut(action) {
            Some(n) => *n += 1,
            None => {
                self.actions.insert(action.to_owned(), 1);
            }
        }
        self.add_job(e, at, status);
        self.add_cycle(e, at, status);
        if let Some((kind, code, title)) = reason_of(e) {
            self.add_reason(e, at, kind, code, title);
        }
    }

    fn add_job(
        &mut self,
        e: &ProvisioningObjectSummary,
        at: Option<DateTime<Utc>>,
        status: Option<&ProvisioningResult>,
    ) {
        let mut key = non_empty(e.job_id.as_deref()).unwrap_or("(none)");
        if !self.jobs.contains_key(key) && self.jobs.len() >= MAX_JOBS {
            key = OTHER;
        }
        let sp = e.service_principal.as_ref();
        if !self.jobs.contains_key(key) {
            self.jobs.insert(
                key.to_owned(),
                JobSummary {
                    since: self.total,
                    job_id: key.to_owned(),
                    service_principal_id: None,
                    name: None,
                    status: StatusCounts::default(),
                    first: None,
                    last: None,
                },
            );
        }
        let Some(j) = self.jobs.get_mut(key) else {
            return;
        };
        if j.job_id != OTHER {
            if j.service_principal_id.is_none() {
                j.service_principal_id =
                    non_empty(sp.and_then(|s| s.id.as_deref())).map(Into::into);
            }
            if j.name.is_none() {
                j.name = non_empty(sp.and_then(|s| s.display_name.as_deref())).map(Into::into);
            }
        }
        j.status.add(status);
        j.first = earlier(j.first, at);
        j.last = later(j.last, at);
    }

    fn add_cycle(
        &mut self,
        e: &ProvisioningObjectSummary,
        at: Option<DateTime<Utc>>,
        status: Option<&ProvisioningResult>,
    ) {
        let Some(cycle) = non_empty(e.cycle_id.as_deref()) else {
            return;
        };
        if !self.room_for_cycle(cycle, at) {
            return;
        }
        if !self.cycles.contains_key(cycle) {
            self.cycles.insert(
                cycle.to_owned(),
                CycleAcc {
                    since: self.total,
                    job_id: non_empty(e.job_id.as_deref()).map(Into::into),
                    first: None,
                    last: None,
                    status: StatusCounts::default(),
                },
            );
        }
        let Some(c) = self.cycles.get_mut(cycle) else {
            return;
        };
        c.first = earlier(c.first, at);
        c.last = later(c.last, at);
        c.status.add(status);
    }

    /// Whether a cycle last seen at `at` may be counted: it is kept already, there is room, or
    /// the kept cycle whose last event is the oldest is dropped for it (unless `at` is older
    /// still). Each drop is counted.
    fn room_for_cycle(&mut self, cycle: &str, at: Option<DateTime<Utc>>) -> bool {
        if self.cycles.contains_key(cycle) || self.cycles.len() < MAX_CYCLES {
            return true;
        }
        self.cycles_dropped += 1;
        let oldest = self
            .cycles
            .iter()
            .min_by_key(|(_, c)| c.last)
            .map(|(k, c)| (k.clone(), c.last));
        match oldest {
            Some((k, last)) if at.is_some() && last < at => {
                self.cycles.remove(&k);
                true
            }
            _ => false,
        }
    }

    fn add_reason(
        &mut self,
        e: &ProvisioningObjectSummary,
        at: Option<DateTime<Utc>>,
        kind: ReasonKind,
        code: String,
        title: String,
    ) {
        let mut key = (kind, code);
        if !self.reasons.contains_key(&key) && self.reasons.len() >= MAX_REASONS {
            key = (kind, OTHER.to_owned());
        }
        let other = key.1 == OTHER;
        let since = self.total;
        let r = self.reasons.entry(key).or_insert_with(|| ReasonAcc {
            since,
            title: if other { String::new() } else { title },
            count: 0,
            first: None,
            last: None,
            samples: Vec::new(),
        });
        r.count += 1;
        r.first = earlier(r.first, at);
        r.last = later(r.last, at);
        if r.samples.len() < SAMPLES {
            let src = e.source_identity.as_ref();
            let sample = Sample {
                log_id: e.id.clone(),
                source_id: non_empty(src.and_then(|s| s.id.as_deref())).map(Into::into),
                display_name: non_empty(src.and_then(|s| s.display_name.as_deref()))
                    .map(Into::into),
                at,
            };
            push_sample(&mut r.samples, sample);
        }
    }

    /// How many events were counted so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The summary, sorted: jobs and reasons by count, cycles most recent first.
    pub fn finish(self) -> LogSummary {
        let total = self.total;
        let mut actions: Vec<Count> = self
            .actions
            .into_iter()
            .map(|(value, count)| Count { value, count })
            .collect();
        actions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let mut jobs: Vec<JobSummary> = self.jobs.into_values().collect();
        jobs.sort_by(|a, b| {
            b.status
                .total()
                .cmp(&a.status.total())
                .then_with(|| a.job_id.cmp(&b.job_id))
        });
        let mut cycles: Vec<CycleSummary> = self
            .cycles
            .into_iter()
            .map(|(cycle_id, c)| CycleSummary {
                cycle_id,
                job_id: c.job_id,
                duration_seconds: match (c.first, c.last) {
                    (Some(f), Some(l)) => Some((l - f).num_seconds()),
                    _ => None,
                },
                first: c.first,
                last: c.last,
                status: c.status,
            })
            .collect();
        cycles.sort_by(|a, b| {
            b.last
                .cmp(&a.last)
                .then_with(|| a.cycle_id.cmp(&b.cycle_id))
        });
        let mut reasons: Vec<ReasonSummary> = self
            .reasons
            .into_iter()
            .map(|((kind, code), r)| ReasonSummary {
                kind,
                code,
                title: r.title,
                count: r.count,
                share: if total == 0 {
                    0.0
                } else {
                    r.count as f64 / total as f64
                },
                first_seen: r.first,
                last_seen: r.last,
                samples: r.samples,
            })
            .collect();
        reasons.sort_by(|a, b| {
            (a.code == OTHER)
                .cmp(&(b.code == OTHER))
                .then_with(|| b.count.cmp(&a.count))
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.code.cmp(&b.code))
        });
        LogSummary {
            total,
            first: self.first,
            last: self.last,
            status: self.status,
            actions,
            jobs,
            cycles,
            cycles_dropped: self.cycles_dropped,
            reasons,
        }
    }

    /// Adds another summarizer's counts (for summaries built in parallel or per tenant), within
    /// the same bounds as [`Summarizer::add`]: jobs and reasons past them fold into [`OTHER`], and
    /// cycles past [`MAX_CYCLES`] drop the oldest. Merging the parts of a sequence in order gives
    /// the counts of adding the whole sequence, and the same samples.
    pub fn merge(&mut self, other: Summarizer) {
        self.total += other.total;
        self.first = earlier(self.first, other.first);
        self.last = later(self.last, other.last);
        self.status.merge(&other.status);
        for (k, v) in other.actions {
            *self.actions.entry(k).or_default() += v;
        }
        let base = self.total - other.total;
        let mut jobs: Vec<(String, JobSummary)> = other.jobs.into_iter().collect();
        jobs.sort_by_key(|(_, j)| j.since);
        for (mut k, mut j) in jobs {
            j.since += base;
            if !self.jobs.contains_key(&k) && self.jobs.len() >= MAX_JOBS {
                k = OTHER.to_owned();
            }
            match self.jobs.get_mut(&k) {
                Some(mine) => {
                    mine.status.merge(&j.status);
                    mine.first = earlier(mine.first, j.first);
                    mine.last = later(mine.last, j.last);
                    if mine.job_id != OTHER {
                        mine.service_principal_id =
                            mine.service_principal_id.take().or(j.service_principal_id);
                        mine.name = mine.name.take().or(j.name);
                    }
                }
                None if k == OTHER => {
                    self.jobs.insert(
                        k.clone(),
                        JobSummary {
                            job_id: k,
                            service_principal_id: None,
                            name: None,
                            ..j
                        },
                    );
                }
                None => {
                    self.jobs.insert(k, j);
                }
            }
        }
        self.cycles_dropped += other.cycles_dropped;
        let mut cycles: Vec<(String, CycleAcc)> = other.cycles.into_iter().collect();
        cycles.sort_by_key(|(_, c)| c.since);
        for (k, mut c) in cycles {
            c.since += base;
            if !self.room_for_cycle(&k, c.last) {
                continue;
            }
            match self.cycles.get_mut(&k) {
                Some(mine) => {
                    mine.first = earlier(mine.first, c.first);
                    mine.last = later(mine.last, c.last);
                    mine.status.merge(&c.status);
                }
                None => {
                    self.cycles.insert(k, c);
                }
            }
        }
        let mut reasons: Vec<((ReasonKind, String), ReasonAcc)> =
            other.reasons.into_iter().collect();
        reasons.sort_by_key(|(_, r)| r.since);
        for ((kind, mut code), mut r) in reasons {
            r.since += base;
            if !self.reasons.contains_key(&(kind, code.clone()))
                && self.reasons.len() >= MAX_REASONS
            {
                code = OTHER.to_owned();
            }
            let other_row = code == OTHER;
            match self.reasons.get_mut(&(kind, code.clone())) {
                Some(mine) => {
                    mine.count += r.count;
                    mine.first = earlier(mine.first, r.first);
                    mine.last = later(mine.last, r.last);
                    for s in r.samples {
                        push_sample(&mut mine.samples, s);
                    }
                }
                None => {
                    let title = if other_row { String::new() } else { r.title };
                    self.reasons.insert((kind, code), ReasonAcc { title, ..r });
                }
            }
        }
    }
}

/// True when a quarantine reason is one of the escrow (failure-count) thresholds: the cases where
/// the dominant error in the logs is the first thing to find.
pub fn is_escrow_quarantine(job: &SynchronizationJob) -> bool {
    job.is_quarantined()
        && matches!(
            job.quarantine().and_then(|q| q.reason.as_ref()),
            Some(
                QuarantineReason::EncounteredEscrowProportionThreshold
                    | QuarantineReason::EncounteredBaseEscrowThreshold
                    | QuarantineReason::EncounteredTotalEscrowThreshold
            )
        )
}

/// How the knowledge file's escrow cases word the step that this summary answers.
const FIND_DOMINANT_STEP: &str = "Find the dominant error";

/// How much of the logs a summary read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every matching event since the given time.
    Complete,
    /// Only the latest N events: reading more would have gone past the request budget.
    CutShort {
        /// How many events were read.
        read: u64,
    },
}

/// Adds the dominant error of `summary` (the job's recent failures) to the first finding of a
/// quarantined job's explanation: evidence quoting the logs, and the command that explains a
/// sample. Says when the summary was cut short, and when the logs hold no failure at all.
pub fn add_dominant_error(x: &mut Explanation, summary: &LogSummary, coverage: Coverage) {
    let Some(f) = x.findings.first_mut() else {
        return;
    };
    let scope = match coverage {
        Coverage::Complete => format!("{} failure event(s) read", summary.total),
        Coverage::CutShort { read } => format!(
            "the latest {read} failure events only: the summary was cut short to stay within Graph's budget for provisioning logs"
        ),
    };
    match summary.dominant_error() {
        Some(r) => {
            let failures = summary.status.failure + summary.status.warning;
            let share = if failures == 0 {
                0.0
            } else {
                r.count as f64 * 100.0 / failures as f64
            };
            let mut value = format!(
                "{}: {} of {} failures ({share:.0}%), first seen {}, last seen {}",
                r.code,
                r.count,
                failures,
                r.first_seen
                    .as_ref()
                    .map(fmt_time)
                    .unwrap_or_else(|| "-".into()),
                r.last_seen
                    .as_ref()
                    .map(fmt_time)
                    .unwrap_or_else(|| "-".into()),
            );
            if !r.title.is_empty() {
                value.push_str(&format!(" — {}", r.title));
            }
            f.evidence
                .push(Evidence::new("provisioningLogs.dominantError", value));
            f.evidence
                .push(Evidence::new("provisioningLogs.scope", scope));
            if let Some(sample) = r.samples.first() {
                // The generic "find the dominant error" and "explain one failed entry" steps are
                // answered by the evidence and the concrete step below.
                f.next_steps.retain(|s| {
                    !s.text.starts_with(FIND_DOMINANT_STEP)
                        && !s.command.as_deref().is_some_and(|c| c.contains("<LOG-ID>"))
                });
                let who = sample
                    .display_name
                    .as_deref()
                    .or(sample.source_id.as_deref())
                    .unwrap_or("a sample object");
                f.next_steps.insert(
                    0,
                    NextStep {
                        text: format!(
                            "Most failures are {}: look at one of them ({who}) and fix its cause at the source.",
                            r.code
                        ),
                        command: Some(format!("provctl explain log {}", sample.log_id)),
                    },
                );
            }
        }
        None => {
            f.evidence.push(Evidence::new(
                "provisioningLogs.dominantError",
                "(none: no failure event in the logs read)",
            ));
            f.evidence
                .push(Evidence::new("provisioningLogs.scope", scope));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(
        id: &str,
        t: &str,
        status: &str,
        code: Option<&str>,
        cycle: &str,
        job: &str,
    ) -> ProvisioningObjectSummary {
        let mut v = json!({
            "id": id,
            "activityDateTime": t,
            "cycleId": cycle,
            "jobId": job,
            "provisioningAction": "create",
            "servicePrincipal": {"id": "sp-1", "displayName": "Salesforce"},
            "sourceIdentity": {"id": format!("obj-{id}"), "displayName": format!("User {id}")},
            "provisioningStatusInfo": {"status": status},
        });
        if let Some(c) = code {
            v["provisioningStatusInfo"]["errorInformation"] =
                json!({"errorCode": c, "reason": format!("{c} happened.\nMore text.")});
        }
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn counts_by_status_action_job_cycle_and_reason() {
        let mut s = Summarizer::new();
        s.add(&event(
            "1",
            "2026-11-01T10:00:00Z",
            "success",
            None,
            "c1",
            "job.a",
        ));
        s.add(&event(
            "2",
            "2026-11-01T10:05:00Z",
            "failure",
            Some("InvalidDomain"),
            "c1",
            "job.a",
        ));
        s.add(&event(
            "3",
            "2026-11-01T11:00:00Z",
            "failure",
            Some("InvalidDomain"),
            "c2",
            "job.a",
        ));
        s.add(&event(
            "4",
            "2026-11-01T11:30:00Z",
            "failure",
            Some("Timeout"),
            "c2",
            "job.b",
        ));
        let x = s.finish();
        assert_eq!(x.total, 4);
        assert_eq!(x.status.failure, 3);
        assert_eq!(x.status.success, 1);
        assert_eq!(
            x.actions,
            [Count {
                value: "create".into(),
                count: 4
            }]
        );
        assert_eq!(x.jobs[0].job_id, "job.a");
        assert_eq!(x.jobs[0].status.total(), 3);
        assert_eq!(x.jobs[0].name.as_deref(), Some("Salesforce"));
        assert_eq!(x.cycles[0].cycle_id, "c2");
        assert_eq!(x.cycles[0].duration_seconds, Some(1800));
        assert_eq!(x.cycles[1].duration_seconds, Some(300));
        let top = &x.reasons[0];
        assert_eq!((top.code.as_str(), top.count), ("InvalidDomain", 2));
        assert!((top.share - 0.5).abs() < 1e-9);
        assert_eq!(top.title, "InvalidDomain happened.");
        assert_eq!(top.samples.len(), 2);
        assert_eq!(top.samples[0].log_id, "2");
        assert_eq!(
            x.dominant_error().map(|r| r.code.as_str()),
            Some("InvalidDomain")
        );
    }

    #[test]
    fn samples_stop_at_three_and_reasons_past_the_bound_fold_into_other() {
        let mut s = Summarizer::new();
        for i in 0..(MAX_REASONS + 10) {
            let code = format!("Code{i}");
            s.add(&event(
                &i.to_string(),
                "2026-11-01T10:00:00Z",
                "failure",
                Some(&code),
                "c",
                "j",
            ));
        }
        for i in 0..5 {
            s.add(&event(
                &format!("x{i}"),
                "2026-11-01T10:00:00Z",
                "failure",
                Some("Code0"),
                "c",
                "j",
            ));
        }
        let x = s.finish();
        assert_eq!(x.reasons.len(), MAX_REASONS + 1);
        assert_eq!(x.reasons[0].code, "Code0");
        assert_eq!(x.reasons[0].samples.len(), SAMPLES);
        let other = x.reasons.last().unwrap_or_else(|| panic!("no reasons"));
        assert_eq!((other.code.as_str(), other.count), (OTHER, 10));
    }

    #[test]
    fn the_dominant_error_becomes_evidence_and_the_first_next_step() {
        let job: SynchronizationJob = serde_json::from_value(json!({
            "id": "salesforce.abc",
            "status": {"code": "Quarantine", "quarantine": {"reason": "EncounteredEscrowProportionThreshold"}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(is_escrow_quarantine(&job));
        let owner = crate::graph::model::ServicePrincipal {
            id: "sp".into(),
            ..Default::default()
        };
        let now = DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        let mut x = super::super::explain_job(&job, Some(&owner), now);
        // The knowledge's escrow case has the generic step this answers.
        assert!(
            x.findings[0]
                .next_steps
                .iter()
                .any(|s| s.text.starts_with(FIND_DOMINANT_STEP))
        );
        let mut s = Summarizer::new();
        for i in 0..3 {
            s.add(&event(
                &i.to_string(),
                "2026-11-01T10:00:00Z",
                "failure",
                Some("InvalidDomain"),
                "c",
                "j",
            ));
        }
        s.add(&event(
            "9",
            "2026-11-01T11:00:00Z",
            "failure",
            Some("Timeout"),
            "c",
            "j",
        ));
        add_dominant_error(&mut x, &s.finish(), Coverage::CutShort { read: 4 });
        let f = &x.findings[0];
        let ev = |field: &str| {
            f.evidence
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.value.clone())
                .unwrap_or_default()
        };
        assert!(
            ev("provisioningLogs.dominantError")
                .starts_with("InvalidDomain: 3 of 4 failures (75%)")
        );
        assert!(ev("provisioningLogs.scope").contains("cut short"));
        assert_eq!(
            f.next_steps[0].command.as_deref(),
            Some("provctl explain log 0")
        );
    }

    #[test]
    fn samples_are_distinct_objects() {
        let mut s = Summarizer::new();
        for i in 0..4 {
            let mut e = event(
                &i.to_string(),
                "2026-11-01T10:00:00Z",
                "failure",
                Some("X"),
                "c",
                "j",
            );
            if i < 3 {
                e.source_identity =
                    event("same", "2026-11-01T10:00:00Z", "failure", None, "c", "j")
                        .source_identity;
            }
            s.add(&e);
        }
        let x = s.finish();
        let ids: Vec<_> = x.reasons[0]
            .samples
            .iter()
            .map(|s| s.log_id.as_str())
            .collect();
        assert_eq!(ids, ["0", "3"]);
    }

    #[test]
    fn only_the_most_recent_cycles_are_kept() {
        let mut s = Summarizer::new();
        let base = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        for i in 0..(MAX_CYCLES + 50) {
            let t = (base + chrono::Duration::minutes(i as i64)).to_rfc3339();
            s.add(&event(
                &i.to_string(),
                &t,
                "success",
                None,
                &format!("cycle{i}"),
                "j",
            ));
        }
        let x = s.finish();
        assert_eq!(x.cycles.len(), MAX_CYCLES);
        assert_eq!(x.cycles_dropped, 50);
        assert_eq!(x.cycles[0].cycle_id, format!("cycle{}", MAX_CYCLES + 49));
    }

    #[test]
    fn merging_parts_in_order_gives_the_whole_and_keeps_the_bounds() {
        let base = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        // More cycles, jobs and reasons than are kept, with repeated objects.
        let events: Vec<ProvisioningObjectSummary> = (0..(MAX_JOBS + MAX_REASONS + 40))
            .map(|i| {
                let t = (base + chrono::Duration::minutes(i as i64)).to_rfc3339();
                let code = format!("E{}", i % (MAX_REASONS + 20));
                let status = if i % 3 == 0 { "success" } else { "failure" };
                let code = (status == "failure").then_some(code.as_str());
                let cycle = format!("cycle{}", i / 4);
                let job = format!("job{}", i % (MAX_JOBS + 30));
                event(&(i % 7).to_string(), &t, status, code, &cycle, &job)
            })
            .collect();
        let mut whole = Summarizer::new();
        for e in &events {
            whole.add(e);
        }
        let mut merged = Summarizer::new();
        for part in events.chunks(97) {
            let mut s = Summarizer::new();
            for e in part {
                s.add(e);
            }
            merged.merge(s);
        }
        let (whole, merged) = (whole.finish(), merged.finish());
        assert!(merged.cycles.len() <= MAX_CYCLES);
        assert!(merged.jobs.len() <= MAX_JOBS + 1);
        assert!(merged.reasons.len() <= MAX_REASONS + 2);
        assert_eq!(merged.total, whole.total);
        assert_eq!(merged.status, whole.status);
        assert_eq!(merged.actions, whole.actions);
        assert_eq!(merged.first, whole.first);
        assert_eq!(merged.last, whole.last);
        // In time order nothing is dropped twice: the kept cycles are the same.
        assert_eq!(merged.cycles, whole.cycles);
        assert_eq!(merged.cycles_dropped, whole.cycles_dropped);
        let key = |s: &LogSummary| {
            let mut v: Vec<(String, u64, Option<String>)> = s
                .jobs
                .iter()
                .map(|j| (j.job_id.clone(), j.status.total(), j.name.clone()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(&merged), key(&whole));
        let reasons = |s: &LogSummary| {
            let mut v: Vec<(String, u64, Vec<Option<String>>)> = s
                .reasons
                .iter()
                .map(|r| {
                    // (The "other" row's samples come from its codes one after another.)
                    let ids = match r.code.as_str() {
                        OTHER => Vec::new(),
                        _ => r.samples.iter().map(|x| x.source_id.clone()).collect(),
                    };
                    (r.code.clone(), r.count, ids)
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(reasons(&merged), reasons(&whole));
    }

    #[test]
    fn a_skip_counts_under_the_reason_the_event_gives() {
        let mut s = Summarizer::new();
        let e: ProvisioningObjectSummary = serde_json::from_value(json!({
            "id": "s1",
            "provisioningStatusInfo": {"status": "skipped"},
            "provisioningSteps": [{"name": "EntryExportSkipped", "status": "skipped",
                "details": {"SkipReason": "RedundantExport"}}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        s.add(&e);
        let x = s.finish();
        assert_eq!(x.reasons[0].kind, ReasonKind::Skip);
        assert_eq!(x.reasons[0].code, "RedundantExport");
        assert!(x.dominant_error().is_none());
    }

    #[test]
    fn merged_summaries_equal_one_summary_of_all_events() {
        let events: Vec<_> = (0..30)
            .map(|i| {
                let status = ["success", "failure", "skipped"][i % 3];
                let code = (status == "failure").then_some(if i % 2 == 0 { "A" } else { "B" });
                event(
                    &i.to_string(),
                    "2026-11-01T10:00:00Z",
                    status,
                    code,
                    &format!("c{}", i % 4),
                    "j",
                )
            })
            .collect();
        let mut one = Summarizer::new();
        events.iter().for_each(|e| one.add(e));
        let (mut a, mut b) = (Summarizer::new(), Summarizer::new());
        events[..12].iter().for_each(|e| a.add(e));
        events[12..].iter().for_each(|e| b.add(e));
        a.merge(b);
        let (one, two) = (one.finish(), a.finish());
        assert_eq!(one.total, two.total);
        assert_eq!(one.status, two.status);
        assert_eq!(one.jobs, two.jobs);
        assert_eq!(one.cycles, two.cycles);
        let counts = |x: &LogSummary| {
            x.reasons
                .iter()
                .map(|r| (r.code.clone(), r.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&one), counts(&two));
    }
}
