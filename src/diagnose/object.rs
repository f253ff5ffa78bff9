//! An object's story across its provisioning log entries: the latest events, where it stopped and why.
//! No events at all is an answer too ("the group is missing in Entra ID"): say so and list the reasons
//! the troubleshooting guide gives, with the search to repeat after a restart.

use crate::graph::model::{ProvisioningObjectSummary, format_graph_time};

use super::finding::{Evidence, Explanation, HistoryEvent, Subject, SubjectKind};
use super::knowledge::{Knowledge, Vars, cases};
use super::log::{diagnose_entry, object_name, skip_or_failure_reason};

/// How many events the history keeps.
const HISTORY_LEN: usize = 10;

/// Explains one object from its log entries (any order; the newest leads). `object_id` is what was
/// searched for (for cloud sync, the AD ObjectGuid) and names the object when there are no entries.
pub fn explain_object(object_id: &str, entries: &[ProvisioningObjectSummary]) -> Explanation {
    let k = Knowledge::global();
    let mut sorted: Vec<&ProvisioningObjectSummary> = entries.iter().collect();
    // Newest first; entries without a time go last, and ties keep the input order.
    sorted.sort_by_key(|e| std::cmp::Reverse(e.activity_date_time));
    let vars = Vars {
        object_id: Some(object_id.to_owned()).filter(|s| !s.trim().is_empty()),
        ..Vars::default()
    };
    let Some(latest) = sorted.first() else {
        let summary = format!(
            "No provisioning events were found for {}.",
            if object_id.trim().is_empty() {
                "the object"
            } else {
                object_id
            }
        );
        let f = k.case_finding(
            cases::OBJECT_NOT_FOUND,
            summary,
            vec![Evidence::new("provisioning log entries", "0")],
            &vars,
        );
        return Explanation {
            subject: Subject {
                kind: SubjectKind::Object,
                id: object_id.to_owned(),
                display_name: None,
            },
            findings: vec![f],
            changes: Vec::new(),
            history: Vec::new(),
        };
    };

    let mut headline = diagnose_entry(latest);
    let (mut failed, mut skipped, mut ok) = (0, 0, 0);
    for e in &sorted {
        if e.is_failure() {
            failed += 1;
        } else if e.is_skipped() {
            skipped += 1;
        } else {
            ok += 1;
        }
    }
    headline.summary = format!(
        "Latest of {} event(s) ({failed} failed, {skipped} skipped, {ok} other): {}",
        sorted.len(),
        headline.summary
    );
    headline
        .evidence
        .insert(0, Evidence::new("latest log entry", latest.id.as_str()));
    let history = sorted
        .iter()
        .take(HISTORY_LEN)
        .map(|e| HistoryEvent {
            id: e.id.clone(),
            time: e.activity_date_time.map(|t| format_graph_time(&t)),
            action: e
                .action()
                .map_or_else(|| "(none)".to_owned(), |a| a.as_str().to_owned()),
            status: e
                .status()
                .map_or_else(|| "(none)".to_owned(), |s| s.as_str().to_owned()),
            reason: skip_or_failure_reason(e),
        })
        .collect();
    Explanation {
        subject: Subject {
            kind: SubjectKind::Object,
            id: object_id.to_owned(),
            display_name: sorted.iter().find_map(|e| object_name(e)),
        },
        findings: vec![headline],
        changes: Vec::new(),
        history,
    }
}
