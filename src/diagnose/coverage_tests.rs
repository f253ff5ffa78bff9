//! Keeps the knowledge file honest against Microsoft's error-code reference, kept in the repository as
//! data (`tests/fixtures/reference/error-codes.toml`, generated from the reference page; see that
//! folder's README): every code in its tables must have an entry in the right scope, and every
//! descriptive row (skip cases, quarantine symptoms) must map to a case. A new row in the reference
//! fails this test until it gets an entry.

use std::path::PathBuf;

use serde::Deserialize;

use super::knowledge::{Knowledge, Scope};

/// `tests/fixtures/reference` inside the repository: Microsoft's documented payloads
/// (`examples/`) and the error-code reference as data.
pub(crate) fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference")
}

/// Descriptive first cells (sections D and the quarantine symptom table), by their opening words, and
/// the knowledge key that covers them.
const DESCRIPTIVE_ROWS: &[(&str, &str)] = &[
    ("Scoping filter excluded the object", "scoping-filter"),
    ("NotEffectivelyEntitled", "NotEffectivelyEntitled"),
    ("Not assigned / out of scope", "not-assigned"),
    ("Missing required/matching attribute", "ImportSkipped"),
    (
        "Cloud sync: `IsCriticalSystemObject`",
        "IsCriticalSystemObject",
    ),
    ("Cloud sync: replication-victim", "replication-victim"),
    (
        "Cloud sync: an event whose Identity has only a Source ID",
        "agent-filtered",
    ),
    ("Nested groups", "nested-groups"),
    (
        "Tenant-level deletion threshold",
        "tenant-deletion-prevention",
    ),
    ("SCIM compliance: HTTP 404", "scim-endpoint-not-found"),
    ("Invalid credentials", "InvalidCredentials"),
    ("Duplicate roles", "duplicate-roles"),
];

/// One table row of the reference, as `error_codes_to_toml.py` wrote it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    section: String,
    #[allow(dead_code)]
    header: String,
    cell: String,
    scope: Option<String>,
    codes: Vec<String>,
    #[allow(dead_code)]
    meaning: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reference {
    row: Vec<Row>,
}

fn reference_rows() -> Vec<Row> {
    let text = include_str!("../../tests/fixtures/reference/error-codes.toml");
    let r: Reference = toml::from_str(text).unwrap_or_else(|e| panic!("error-codes.toml: {e}"));
    r.row
}

fn scope_named(name: &str) -> Scope {
    match name {
        "job-error" => Scope::JobError,
        "quarantine-reason" => Scope::QuarantineReason,
        "object-error" => Scope::ObjectError,
        other => panic!("error-codes.toml: unknown scope {other:?}"),
    }
}

#[test]
fn every_code_and_case_of_the_error_code_reference_has_a_knowledge_entry() {
    let k = Knowledge::global();
    let rows = reference_rows();
    assert!(rows.len() > 40, "read only {} rows", rows.len());
    let mut missing = Vec::new();
    let mut checked = 0;
    for row in &rows {
        match row.scope.as_deref().map(scope_named) {
            Some(scope) => {
                if row.codes.is_empty() {
                    missing.push(format!("{}: no code read from {:?}", row.section, row.cell));
                }
                for code in &row.codes {
                    checked += 1;
                    // Section C also lists the SkipReason RedundantExport.
                    let scopes: &[Scope] = if scope == Scope::ObjectError {
                        &[Scope::ObjectError, Scope::SkipReason]
                    } else {
                        &[scope]
                    };
                    if k.lookup(code, scopes).is_none() {
                        missing.push(format!("{code} ({})", row.section));
                    }
                }
            }
            None => {
                let hit = DESCRIPTIVE_ROWS
                    .iter()
                    .find(|(prefix, _)| row.cell.starts_with(prefix));
                match hit {
                    Some((_, key)) => {
                        checked += 1;
                        let found = k.case(key).is_some()
                            || k.lookup(key, &[Scope::ObjectError, Scope::JobError]).is_some();
                        if !found {
                            missing.push(format!("case {key} for {:?}", row.cell));
                        }
                    }
                    None if !row.codes.is_empty() => {
                        for code in &row.codes {
                            checked += 1;
                            if k.lookup(code, &[Scope::JobError, Scope::ObjectError]).is_none() {
                                missing.push(format!("{code} ({})", row.section));
                            }
                        }
                    }
                    None => missing.push(format!(
                        "{}: row {:?} maps to no knowledge entry (add one, and a DESCRIPTIVE_ROWS line)",
                        row.section, row.cell
                    )),
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing knowledge:\n{}",
        missing.join("\n")
    );
    assert!(checked > 50, "checked only {checked} codes");
}

#[test]
fn cells_naming_several_codes_carry_each_code() {
    let rows = reference_rows();
    let codes_of = |prefix: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r.cell.starts_with(prefix))
            .map(|r| r.codes.clone())
            .unwrap_or_else(|| panic!("no row starts with {prefix:?}"))
    };
    assert_eq!(
        codes_of("InsufficientRights"),
        [
            "InsufficientRights",
            "MethodNotAllowed",
            "NotPermitted",
            "Unauthorized"
        ]
    );
    assert_eq!(
        codes_of("EncounteredBaseEscrowThreshold"),
        [
            "EncounteredBaseEscrowThreshold",
            "EncounteredTotalEscrowThreshold"
        ]
    );
    assert_eq!(
        codes_of("Conflict, EntryConflict"),
        ["Conflict", "EntryConflict", "ContosoEntryConflict"]
    );
    assert_eq!(
        codes_of("QuarantinedOnDemand"),
        ["QuarantinedOnDemand", "QuarantineOnDemand"]
    );
    assert_eq!(codes_of("RedundantExport"), ["RedundantExport"]);
}
