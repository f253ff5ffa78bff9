//! The held-back deletes of a TooManyDeletes job as evidence of its explanation: how many delete
//! and disable events the provisioning logs hold for the job's current cycle, or plainly that
//! Graph offers no list, and the command that lists them in full. Pure: the events are read by
//! [`crate::graph::sync::deletes`].

use super::finding::{Evidence, Explanation};
use crate::graph::sync::deletes::DeleteEvents;

/// The evidence field the count is quoted under.
pub const FIELD: &str = "provisioningLogs.deleteEvents";

/// One line on the delete events: the count (a floor when the read stopped early), or why there
/// is no list. Never a guessed number.
pub fn delete_events_line(events: &DeleteEvents) -> String {
    match events {
        DeleteEvents::Listed(l) if l.total == 0 => format!(
            "no delete or disable event in the logs of the current cycle {}: Graph offers no list of the held-back deletes here",
            l.cycle_id
        ),
        DeleteEvents::Listed(l) => {
            let actions: Vec<String> = l
                .by_action
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            format!(
                "{}{} delete/disable event(s) in the current cycle {} ({})",
                if l.complete { "" } else { "at least " },
                l.total,
                l.cycle_id,
                actions.join(", ")
            )
        }
        DeleteEvents::NoCycle => {
            "no provisioning event of this job in the logs, so no current cycle to list: Graph offers no list of the held-back deletes".into()
        }
        DeleteEvents::Refused {
            status,
            code,
            message,
        } => format!(
            "no list: Graph refused the provisioning logs ({status}{}{})",
            if code.is_empty() {
                String::new()
            } else {
                format!(" {code}")
            },
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        ),
    }
}

/// Adds the delete events to the first finding of a TooManyDeletes job's explanation.
pub fn add_held_back_deletes(x: &mut Explanation, events: &DeleteEvents) {
    if let Some(f) = x.findings.first_mut() {
        f.evidence
            .push(Evidence::new(FIELD, delete_events_line(events)));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::graph::sync::deletes::DeleteList;

    #[test]
    fn a_cut_short_count_is_a_floor_and_a_refusal_is_said() {
        let l = DeleteList {
            cycle_id: "c1".into(),
            newest_event: None,
            total: 1000,
            complete: false,
            by_action: BTreeMap::from([("delete".to_owned(), 1000)]),
            by_status: BTreeMap::new(),
            events: Vec::new(),
        };
        let line = delete_events_line(&DeleteEvents::Listed(l));
        assert_eq!(
            line,
            "at least 1000 delete/disable event(s) in the current cycle c1 (delete 1000)"
        );
        let refused = delete_events_line(&DeleteEvents::Refused {
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges".into(),
        });
        assert!(refused.starts_with("no list: Graph refused"), "{refused}");
        assert!(delete_events_line(&DeleteEvents::NoCycle).contains("no list"));
    }
}
