//! Plain-text rendering of an [`Explanation`]: each finding, then its evidence, causes and next steps,
//! wrapped to a width. No colour codes: the CLI adds colour where the terminal wants it.

use std::fmt::Write as _;

use super::finding::{Explanation, Finding};

/// The narrowest width we wrap to, whatever the terminal says.
const MIN_WIDTH: usize = 40;

/// Renders an explanation as plain text wrapped to `width` columns.
pub fn render_text(explanation: &Explanation, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let mut out = String::new();
    for (i, finding) in explanation.findings.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_finding(&mut out, finding, width);
    }
    if !explanation.changes.is_empty() {
        out.push_str("\nChanges:\n");
        for c in &explanation.changes {
            let line = format!(
                "{}: {} → {}",
                c.name,
                c.old_value.as_deref().unwrap_or("(none)"),
                c.new_value.as_deref().unwrap_or("(none)")
            );
            wrap_into(&mut out, &line, width, "  ", "    ");
        }
    }
    if !explanation.history.is_empty() {
        out.push_str("\nHistory (newest first):\n");
        for h in &explanation.history {
            let mut line = format!(
                "{} {} {} ({})",
                h.time.as_deref().unwrap_or("(no time)"),
                h.action,
                h.status,
                h.id
            );
            if let Some(r) = &h.reason {
                let _ = write!(line, ": {r}");
            }
            wrap_into(&mut out, &line, width, "  ", "    ");
        }
    }
    out
}

fn render_finding(out: &mut String, f: &Finding, width: usize) {
    let head = format!(
        "[{}] {} ({})",
        f.severity.as_str(),
        f.title,
        f.category.as_str()
    );
    wrap_into(out, &head, width, "", "  ");
    wrap_into(out, &f.summary, width, "", "");
    if !f.evidence.is_empty() {
        out.push_str("Evidence:\n");
        for e in &f.evidence {
            wrap_into(
                out,
                &format!("{}: {}", e.field, e.value),
                width,
                "  ",
                "    ",
            );
        }
    }
    if !f.causes.is_empty() {
        out.push_str("Likely causes:\n");
        for c in &f.causes {
            wrap_into(out, c, width, "  - ", "    ");
        }
    }
    if !f.next_steps.is_empty() {
        out.push_str("Next steps:\n");
        for (n, s) in f.next_steps.iter().enumerate() {
            let lead = format!("  {}. ", n + 1);
            let rest = " ".repeat(lead.chars().count());
            wrap_into(out, &s.text, width, &lead, &rest);
            if let Some(cmd) = &s.command {
                // Commands stay on one line so they can be copied.
                let _ = writeln!(out, "{rest}$ {cmd}");
            }
        }
    }
    if !f.sources.is_empty() {
        let names: Vec<String> = f
            .sources
            .iter()
            .map(|s| format!("{} ({})", s.id, s.title))
            .collect();
        wrap_into(
            out,
            &format!("Sources: {}", names.join("; ")),
            width,
            "",
            "  ",
        );
    }
}

/// Appends `text` word-wrapped to `width`, the first line after `first`, the others after `rest`.
/// Words longer than a line (URLs, ids) are kept whole rather than broken.
fn wrap_into(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut line_len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if !empty && line_len + 1 + wlen > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            line_len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += wlen;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::finding::*;

    fn sample() -> Explanation {
        Explanation {
            subject: Subject {
                kind: SubjectKind::Job,
                id: "j".into(),
                display_name: None,
            },
            findings: vec![Finding {
                severity: Severity::Critical,
                category: Category::Credentials,
                code: Some("X".into()),
                title: "The app rejected the admin credentials".into(),
                summary: "The job has been quarantined since 2024-05-01 with a very long sentence that must wrap somewhere around here.".into(),
                evidence: vec![Evidence::new("status.quarantine.error.code", "SalesforceInvalidCredentials")],
                causes: vec!["The token changed.".into()],
                next_steps: vec![NextStep {
                    text: "Lift the quarantine.".into(),
                    command: Some("provctl quarantine clear sp/job --with-a-very-long-argument-that-does-not-wrap".into()),
                }],
                sources: vec![Source { id: "AP-Q".into(), title: "t".into(), document: "d".into() }],
                known: true,
            }],
            changes: vec![PropertyChange { name: "mail".into(), old_value: None, new_value: Some("a@b".into()) }],
            history: vec![],
        }
    }

    #[test]
    fn renders_finding_then_evidence_then_steps_within_the_width() {
        let text = render_text(&sample(), 60);
        let ev = text.find("Evidence:").unwrap();
        let causes = text.find("Likely causes:").unwrap();
        let steps = text.find("Next steps:").unwrap();
        assert!(text.starts_with("[critical] The app rejected"));
        assert!(ev < causes && causes < steps, "{text}");
        assert!(text.contains("     $ provctl quarantine clear sp/job"));
        assert!(text.contains("mail: (none) → a@b"));
        assert!(text.contains("Sources: AP-Q (t)"));
        for line in text.lines().filter(|l| !l.contains("$ provctl")) {
            assert!(line.chars().count() <= 60, "too long: {line:?}");
        }
        assert!(!text.contains('\u{1b}'), "no colour codes");
    }

    #[test]
    fn a_tiny_width_still_renders_without_panicking() {
        let text = render_text(&sample(), 0);
        assert!(text.contains("Next steps:"));
    }
}
