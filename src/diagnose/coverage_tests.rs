//! Keeps the knowledge file honest against `shared/reference/error-codes.md`: every code in its tables
//! must have an entry in the right scope, and every descriptive row (skip cases, quarantine symptoms)
//! must map to a case. A new row in the document fails this test until it gets an entry.

use std::path::PathBuf;

use super::knowledge::{Knowledge, Scope};

/// `shared/reference` beside the repository (CI clones the repo beside `shared/`), or beside the
/// worktree's parent; `PROVCTL_SHARED_DIR` overrides.
pub(crate) fn reference_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROVCTL_SHARED_DIR") {
        return PathBuf::from(dir).join("reference");
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("reference"))
        .find(|p| p.join("error-codes.md").is_file())
        .unwrap_or_else(|| manifest.join("../shared/reference"))
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

struct Row {
    section: String,
    header: String,
    first_cell: String,
}

fn table_rows(md: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut section = String::new();
    let mut header: Option<String> = None;
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            section = t.trim_start_matches('#').trim().to_owned();
            header = None;
            continue;
        }
        if !t.starts_with('|') {
            header = None;
            continue;
        }
        let first = t
            .trim_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        if first.chars().all(|c| c == '-' || c == ':' || c == ' ') {
            continue; // the |---|---| separator
        }
        match &header {
            None => header = Some(first),
            Some(h) => rows.push(Row {
                section: section.clone(),
                header: h.clone(),
                first_cell: first,
            }),
        }
    }
    rows
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The codes a first cell names: identifiers outside parentheses (split on `,` and `/`), plus
/// identifiers in backticks or quotes anywhere ("e.g. `ContosoEntryConflict`", "spell it \"...\"").
fn codes_in(cell: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut outside = String::new();
    let mut depth = 0usize;
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    for part in outside.split([',', '/']) {
        let part = part.trim().trim_matches('`');
        if is_identifier(part) {
            codes.push(part.to_owned());
        }
    }
    for quote in ['`', '"'] {
        for (i, piece) in cell.split(quote).enumerate() {
            if i % 2 == 1 && is_identifier(piece) && !codes.iter().any(|c| c == piece) {
                codes.push(piece.to_owned());
            }
        }
    }
    codes
}

fn scope_for(section: &str, header: &str) -> Option<Scope> {
    if header != "Code" && header != "Reason" {
        return None;
    }
    if section.starts_with("A.") {
        Some(Scope::JobError)
    } else if section.starts_with("B.") {
        Some(Scope::QuarantineReason)
    } else if section.starts_with("C.") || section.starts_with("Cross-tenant") {
        Some(Scope::ObjectError)
    } else {
        None
    }
}

#[test]
fn every_code_and_case_of_the_error_code_reference_has_a_knowledge_entry() {
    let path = reference_dir().join("error-codes.md");
    let md = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {} (set PROVCTL_SHARED_DIR): {e}", path.display()));
    let k = Knowledge::global();
    let rows = table_rows(&md);
    assert!(
        rows.len() > 40,
        "parsed only {} rows from {}",
        rows.len(),
        path.display()
    );
    let mut missing = Vec::new();
    let mut checked = 0;
    for row in &rows {
        if row.section.starts_with("Quarantine behaviour") || row.section.starts_with("Gaps") {
            continue;
        }
        match scope_for(&row.section, &row.header) {
            Some(scope) => {
                let codes = codes_in(&row.first_cell);
                if codes.is_empty() {
                    missing.push(format!(
                        "{}: no code read from {:?}",
                        row.section, row.first_cell
                    ));
                }
                for code in codes {
                    checked += 1;
                    // Section C also lists the SkipReason RedundantExport.
                    let scopes: &[Scope] = if scope == Scope::ObjectError {
                        &[Scope::ObjectError, Scope::SkipReason]
                    } else {
                        &[scope]
                    };
                    if k.lookup(&code, scopes).is_none() {
                        missing.push(format!("{code} ({})", row.section));
                    }
                }
            }
            None => {
                let hit = DESCRIPTIVE_ROWS
                    .iter()
                    .find(|(prefix, _)| row.first_cell.starts_with(prefix));
                match hit {
                    Some((_, key)) => {
                        checked += 1;
                        let found = k.case(key).is_some()
                            || k.lookup(key, &[Scope::ObjectError, Scope::JobError]).is_some();
                        if !found {
                            missing.push(format!("case {key} for {:?}", row.first_cell));
                        }
                    }
                    None if !codes_in(&row.first_cell).is_empty() => {
                        for code in codes_in(&row.first_cell) {
                            checked += 1;
                            if k.lookup(&code, &[Scope::JobError, Scope::ObjectError]).is_none() {
                                missing.push(format!("{code} ({})", row.section));
                            }
                        }
                    }
                    None => missing.push(format!(
                        "{}: row {:?} maps to no knowledge entry (add one, and a DESCRIPTIVE_ROWS line)",
                        row.section, row.first_cell
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
fn cells_naming_several_codes_are_split() {
    assert_eq!(
        codes_in("InsufficientRights, MethodNotAllowed, NotPermitted, Unauthorized"),
        [
            "InsufficientRights",
            "MethodNotAllowed",
            "NotPermitted",
            "Unauthorized"
        ]
    );
    assert_eq!(
        codes_in("EncounteredBaseEscrowThreshold / EncounteredTotalEscrowThreshold"),
        [
            "EncounteredBaseEscrowThreshold",
            "EncounteredTotalEscrowThreshold"
        ]
    );
    assert_eq!(
        codes_in("Conflict, EntryConflict (e.g. `ContosoEntryConflict`)"),
        ["Conflict", "EntryConflict", "ContosoEntryConflict"]
    );
    assert_eq!(
        codes_in("QuarantinedOnDemand (docs spell it \"QuarantineOnDemand\")"),
        ["QuarantinedOnDemand", "QuarantineOnDemand"]
    );
    assert_eq!(
        codes_in("RedundantExport (SkipReason / key.details.errorCode)"),
        ["RedundantExport"]
    );
}
