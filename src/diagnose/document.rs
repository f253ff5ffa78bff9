//! Explaining a document an admin already has, without a tenant: a job (or a job list), a Graph error
//! envelope, a provisionOnDemand answer (raw or decoded), or provisioning logs (a Graph list response,
//! provctl's NDJSON export, a JSON array such as a portal download, or one entry). The caller reads
//! the file; this module only looks at its text.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::graph::ServiceError;
use crate::graph::model::{
    DecodedProvisionOnDemand, OnPremisesAgent, ProvisionOnDemandResponse,
    ProvisioningObjectSummary, ProvisioningResult, SynchronizationJob,
};

use super::{
    Explanation, explain_agents, explain_error, explain_job, explain_log, explain_object,
    explain_on_demand,
};

/// What kind of document was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// One synchronization job, or a list of them.
    Jobs,
    /// A Graph error envelope.
    GraphError,
    /// A provisionOnDemand answer.
    OnDemand,
    /// Provisioning log entries.
    ProvisioningLogs,
    /// Cloud sync provisioning agents.
    Agents,
}

/// The explanations drawn from one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentExplanation {
    /// What the document holds.
    pub kind: DocumentKind,
    /// How many records it holds (jobs or log entries; 1 for an error or an answer).
    pub records: usize,
    /// The explanations. For logs without a selection: every entry that didn't simply succeed.
    pub explanations: Vec<Explanation>,
}

/// Why a document couldn't be explained.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Neither JSON nor NDJSON.
    #[error("not JSON or NDJSON: {0}")]
    NotJson(String),
    /// JSON, but not a shape provctl explains.
    #[error(
        "not a document provctl can explain (expected a synchronization job or job list, a Graph error envelope, a provisionOnDemand answer, provisioning log entries, or a provisioning agent list)"
    )]
    Unrecognised,
    /// The shape was recognised but a field didn't fit.
    #[error("{kind:?} document: {message}")]
    Invalid {
        /// The kind it looked like.
        kind: DocumentKind,
        /// The decoder's message (with the JSON path when known).
        message: String,
    },
    /// `--id` matched nothing in the document.
    #[error(
        "no record with id {0:?} in the document (tried entry id, changeId, source and target ids, job id)"
    )]
    NotFound(String),
}

/// Explains a document. `select` picks one record: a log entry id or changeId (explained as an entry),
/// a source or target object id (explained as that object's history), or a job id. `now` is used for
/// quarantine arithmetic.
pub fn explain_document(
    text: &str,
    select: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DocumentExplanation, DocumentError> {
    let select = select.map(str::trim).filter(|s| !s.is_empty());
    let doc = split(text)?;
    let kind = doc.classify().ok_or(DocumentError::Unrecognised)?;
    match kind {
        DocumentKind::GraphError => {
            let e = ServiceError::from_body(0, doc.text.as_bytes(), "", "");
            Ok(one(kind, explain_error(&e, None)))
        }
        DocumentKind::OnDemand => Ok(one(kind, explain_on_demand(&decode_on_demand(doc.text)?))),
        DocumentKind::Jobs => {
            let jobs: Vec<SynchronizationJob> = doc.typed(kind)?;
            let total = jobs.len();
            let chosen: Vec<&SynchronizationJob> = match select {
                Some(id) => {
                    let hit: Vec<_> = jobs.iter().filter(|j| j.id == id).collect();
                    if hit.is_empty() {
                        return Err(DocumentError::NotFound(id.to_owned()));
                    }
                    hit
                }
                None => jobs.iter().collect(),
            };
            Ok(DocumentExplanation {
                kind,
                records: total,
                explanations: chosen
                    .into_iter()
                    .map(|j| explain_job(j, None, now))
                    .collect(),
            })
        }
        DocumentKind::Agents => {
            let agents: Vec<OnPremisesAgent> = doc.typed(kind)?;
            Ok(DocumentExplanation {
                kind,
                records: agents.len(),
                explanations: vec![explain_agents(&agents)],
            })
        }
        DocumentKind::ProvisioningLogs => {
            let entries: Vec<ProvisioningObjectSummary> = doc.typed(kind)?;
            let total = entries.len();
            let explanations = match select {
                Some(id) => select_entries(&entries, id)?,
                None if entries.len() == 1 => entries.iter().map(explain_log).collect(),
                None => entries
                    .iter()
                    .filter(|e| {
                        !(e.status() == Some(&ProvisioningResult::Success) && e.error().is_none())
                    })
                    .map(explain_log)
                    .collect(),
            };
            Ok(DocumentExplanation {
                kind,
                records: total,
                explanations,
            })
        }
    }
}

fn one(kind: DocumentKind, x: Explanation) -> DocumentExplanation {
    DocumentExplanation {
        kind,
        records: 1,
        explanations: vec![x],
    }
}

fn select_entries(
    entries: &[ProvisioningObjectSummary],
    id: &str,
) -> Result<Vec<Explanation>, DocumentError> {
    if let Some(e) = entries
        .iter()
        .find(|e| e.id == id || e.change_id.as_deref() == Some(id))
    {
        return Ok(vec![explain_log(e)]);
    }
    let same = |v: Option<&String>| v.is_some_and(|s| s.eq_ignore_ascii_case(id));
    let of_object: Vec<ProvisioningObjectSummary> = entries
        .iter()
        .filter(|e| {
            same(e.source_identity.as_ref().and_then(|i| i.id.as_ref()))
                || same(e.target_identity.as_ref().and_then(|i| i.id.as_ref()))
        })
        .cloned()
        .collect();
    if of_object.is_empty() {
        return Err(DocumentError::NotFound(id.to_owned()));
    }
    Ok(vec![explain_object(id, &of_object)])
}

/// A document split into its records without building a JSON tree: each record is decoded straight
/// from its text, so a 1,000-entry file is read once.
struct Split<'a> {
    /// The whole text (trimmed).
    text: &'a str,
    /// The top-level object's keys, when the document is one object.
    top_keys: Vec<String>,
    /// The records: list items, array items, NDJSON lines, or the one object.
    records: Vec<&'a RawValue>,
}

/// The items of a JSON array, when `raw` is one.
fn array_items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).ok()
    } else {
        None
    }
}

fn split(text: &str) -> Result<Split<'_>, DocumentError> {
    let text = text.trim_start_matches('\u{feff}').trim();
    let whole = serde_json::from_str::<&RawValue>(text);
    let Ok(whole) = whole else {
        // NDJSON: one JSON value per non-empty line.
        let lines: Result<Vec<&RawValue>, _> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(serde_json::from_str::<&RawValue>)
            .collect();
        return match (lines, whole) {
            (Ok(records), _) if records.len() > 1 => Ok(Split {
                text,
                top_keys: Vec::new(),
                records,
            }),
            (_, Err(e)) => Err(DocumentError::NotJson(e.to_string())),
            (_, Ok(_)) => Err(DocumentError::Unrecognised),
        };
    };
    if let Some(items) = array_items(whole) {
        return Ok(Split {
            text,
            top_keys: Vec::new(),
            records: items,
        });
    }
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(whole.get()).unwrap_or_default();
    let records = top
        .get("value")
        .and_then(|v| array_items(v))
        .unwrap_or_else(|| vec![whole]);
    Ok(Split {
        text,
        top_keys: top.into_keys().collect(),
        records,
    })
}

impl Split<'_> {
    fn classify(&self) -> Option<DocumentKind> {
        let has_top = |k: &str| self.top_keys.iter().any(|t| t == k);
        if has_top("error") {
            return Some(DocumentKind::GraphError);
        }
        if has_top("key") && has_top("value") && !has_top("id") {
            return Some(DocumentKind::OnDemand);
        }
        // Only the first record is looked at closely.
        let first: BTreeMap<String, &RawValue> =
            serde_json::from_str(self.records.first()?.get()).ok()?;
        let has = |k: &str| first.contains_key(k);
        if has("provisioningSteps")
            || has("provisioningStatusInfo")
            || has("statusInfo")
            || has("activityDateTime")
            || has("sourceIdentity")
        {
            Some(DocumentKind::ProvisioningLogs)
        } else if has("machineName") || has("supportedPublishingTypes") {
            Some(DocumentKind::Agents)
        } else if has("templateId")
            || has("schedule")
            || has("synchronizationJobSettings")
            || has("status")
        {
            Some(DocumentKind::Jobs)
        } else {
            None
        }
    }

    fn typed<T: DeserializeOwned>(&self, kind: DocumentKind) -> Result<Vec<T>, DocumentError> {
        self.records
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                typed(kind, raw.get()).map_err(|e| match e {
                    DocumentError::Invalid { kind, message } if self.records.len() > 1 => {
                        DocumentError::Invalid {
                            kind,
                            message: format!("record {}: {message}", i + 1),
                        }
                    }
                    other => other,
                })
            })
            .collect()
    }
}

fn typed<T: DeserializeOwned>(kind: DocumentKind, text: &str) -> Result<T, DocumentError> {
    // The fast path; only a failure pays for the field path in the message.
    if let Ok(v) = serde_json::from_str(text) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| DocumentError::Invalid {
        kind,
        message: format!("at {}: {}", e.path(), e.inner()),
    })
}

/// A raw answer (`key`/`value` hold JSON strings) or an already decoded one (they hold objects).
fn decode_on_demand(text: &str) -> Result<DecodedProvisionOnDemand, DocumentError> {
    let kind = DocumentKind::OnDemand;
    let top: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| DocumentError::Invalid {
            kind,
            message: e.to_string(),
        })?;
    let raw = top.get("key").is_some_and(|k| k.get().starts_with('"'));
    if raw {
        let r: ProvisionOnDemandResponse = typed(kind, text)?;
        r.decode().map_err(|e| DocumentError::Invalid {
            kind,
            message: e.to_string(),
        })
    } else {
        typed(kind, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::coverage_tests::reference_dir;
    use chrono::TimeZone;
    use serde_json::Value;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("date"))
    }

    fn example(name: &str) -> String {
        std::fs::read_to_string(reference_dir().join("examples").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn every_kind_of_example_document_is_recognised() {
        for (name, kind) in [
            ("get-synchronizationjob.v1.json", DocumentKind::Jobs),
            ("list-synchronizationjobs.v1.json", DocumentKind::Jobs),
            ("graph-error-envelope.json", DocumentKind::GraphError),
            (
                "provisionondemand-adto3p.response.v1.json",
                DocumentKind::OnDemand,
            ),
            (
                "provisionondemand-adto3p.response.v1.decoded.json",
                DocumentKind::OnDemand,
            ),
            (
                "provisionondemand-group.response.v1.json",
                DocumentKind::OnDemand,
            ),
            (
                "list-provisioningobjectsummary.failure.beta.json",
                DocumentKind::ProvisioningLogs,
            ),
            (
                "list-provisioningobjectsummary.success.v1.json",
                DocumentKind::ProvisioningLogs,
            ),
        ] {
            let d = explain_document(&example(name), None, now())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.kind, kind, "{name}");
            assert!(!d.explanations.is_empty(), "{name}");
        }
        let d = explain_document(
            &example("provisionondemand-adto3p.response.v1.decoded.json"),
            None,
            now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.explanations[0].findings[0].code.as_deref(),
            Some("RedundantExport")
        );
    }

    #[test]
    fn ndjson_and_arrays_of_entries_are_read_and_only_problems_are_explained() {
        let ok = r#"{"id":"a","provisioningStatusInfo":{"status":"success"}}"#;
        let bad = r#"{"id":"b","changeId":"c-b","provisioningStatusInfo":{"status":"failure","errorInformation":{"errorCode":"Timeout"}},"sourceIdentity":{"id":"G-1"}}"#;
        let nd = format!("{ok}\n{bad}\n\n");
        let d = explain_document(&nd, None, now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (d.kind, d.records, d.explanations.len()),
            (DocumentKind::ProvisioningLogs, 2, 1)
        );
        let arr = format!("[{ok},{bad}]");
        let d = explain_document(&arr, Some("c-b"), now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.explanations[0].subject.id, "b");
        let d = explain_document(&arr, Some("g-1"), now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.explanations[0].subject.kind,
            crate::diagnose::SubjectKind::Object
        );
        assert!(matches!(
            explain_document(&arr, Some("nope"), now()),
            Err(DocumentError::NotFound(_))
        ));
    }

    #[test]
    fn a_thousand_record_file_is_read_and_every_record_explained() {
        let failure = example("list-provisioningobjectsummary.failure.v1.json");
        let v: Value = serde_json::from_str(&failure).unwrap_or_else(|e| panic!("{e}"));
        let line = v["value"][0].to_string();
        let nd: String = std::iter::repeat_n(line.as_str(), 1000)
            .collect::<Vec<_>>()
            .join("\n");
        let _ = explain_document("{\"id\":\"warm\",\"provisioningSteps\":[]}", None, now());
        // Timing is a benchmark, not a test: see benches/README.md ("Offline explain").
        let d = explain_document(&nd, None, now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.explanations.len(), 1000);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(matches!(
            explain_document("not json", None, now()),
            Err(DocumentError::NotJson(_))
        ));
        assert!(matches!(
            explain_document(r#"{"hello":1}"#, None, now()),
            Err(DocumentError::Unrecognised)
        ));
        assert!(matches!(
            explain_document(
                r#"{"value":[{"id":"x","provisioningSteps":"oops"}]}"#,
                None,
                now()
            ),
            Err(DocumentError::Invalid { .. })
        ));
    }
}
