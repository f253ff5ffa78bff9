//! Explaining a failed Graph call: the error envelope's code and message (walking innerErrors to the
//! most specific code we know), the HTTP status when the code says nothing, and — when the caller says
//! which operation failed — the permission and role that operation needs.

use super::finding::{Category, Evidence, Explanation, Finding, Subject, SubjectKind};
use super::knowledge::{Knowledge, Scope, Vars, cases};
use crate::graph::auth::AuthError;
use crate::graph::permissions::{self, Operation};
use crate::graph::{GraphError, ServiceError};

/// Explains a Graph error answer. A denied call names the permission and role it needed, from the
/// permission table ([`permissions`]): for `operation` when given, else for the operation the
/// request's method and URL show.
pub fn explain_error(error: &ServiceError, operation: Option<Operation>) -> Explanation {
    let k = Knowledge::global();
    let evidence = service_evidence(error);
    let message = error.message.trim().trim_end_matches('.');
    let facts = format!(
        "{}{}{}",
        status_prefix(error.status),
        match error.most_specific_code() {
            "" => "(no error code)",
            code => code,
        },
        if message.is_empty() {
            " with an empty message".to_owned()
        } else {
            format!(": {message}")
        }
    );

    // The most specific code first, then outward; then the message (AADSTS codes); then the status.
    let codes = error
        .inner_codes
        .iter()
        .rev()
        .chain(std::iter::once(&error.code));
    let by_code = codes
        .filter_map(|c| k.lookup(c, &[Scope::GraphError]))
        .find(|e| e.in_scope(Scope::GraphError));
    // A sign-in answer names its cause by the AADSTS code in the message; the OAuth `error`
    // (`invalid_grant`) only says the request failed.
    let by_sign_in_code = error
        .message
        .contains("AADSTS")
        .then(|| k.match_message(&error.message, &[Scope::GraphError]))
        .flatten()
        .map(|(e, _)| e);
    let entry = by_sign_in_code
        .or(by_code)
        .or_else(|| {
            k.match_message(&error.message, &[Scope::GraphError, Scope::SignIn])
                .map(|(e, _)| e)
        })
        .or_else(|| status_entry(k, error.status));

    let mut finding = match entry {
        Some(e) => k.finding(
            e,
            format!("Graph refused the request: {facts}."),
            evidence,
            &Vars::default(),
        ),
        None => unknown_finding(k, format!("Graph answered {facts}."), evidence),
    };
    let operation =
        operation.or_else(|| permissions::operation_of_request(&error.method, &error.url));
    if let Some(op) = operation
        && matches!(
            finding.category,
            Category::Permissions | Category::Credentials | Category::Configuration
        )
    {
        let g = permissions::grant(op);
        finding.evidence.push(Evidence::new(
            "operation",
            format!("{} ({})", g.request, g.action),
        ));
        finding.next_steps.insert(
            0,
            super::finding::NextStep {
                text: permissions::grant_sentence(op),
                command: None,
            },
        );
    }
    Explanation {
        subject: Subject {
            kind: SubjectKind::GraphError,
            id: error.request_id.clone().unwrap_or_default(),
            display_name: Some(format!("{} {}", error.method, error.url).trim().to_owned())
                .filter(|s| !s.is_empty()),
        },
        findings: vec![finding],
        changes: Vec::new(),
        history: Vec::new(),
    }
}

/// Explains any failure of a Graph call: error answers as [`explain_error`] does, and transport,
/// decoding and sign-in failures with what the error carries.
pub fn explain_graph_error(error: &GraphError, operation: Option<Operation>) -> Explanation {
    let k = Knowledge::global();
    let (case, summary, evidence) = match error {
        GraphError::Service(e) => return explain_error(e, operation),
        GraphError::Auth(AuthError::Rejected {
            method,
            message,
            aadsts,
        }) => {
            let mut ev = vec![Evidence::new("sign-in method", method.as_str())];
            if let Some(code) = aadsts {
                ev.push(Evidence::new("AADSTS code", code.as_str()));
                if let Some(e) = k.lookup(code, &[Scope::SignIn, Scope::GraphError]) {
                    let f = k.finding(
                        e,
                        format!("Sign-in was refused: {message}"),
                        ev,
                        &Vars::default(),
                    );
                    return single(f, SubjectKind::GraphError, "");
                }
            }
            ev.push(Evidence::new("message", message.as_str()));
            (
                cases::GRAPH_SIGN_IN,
                format!("Sign-in was refused: {message}"),
                ev,
            )
        }
        GraphError::Auth(other) => (
            cases::GRAPH_SIGN_IN,
            format!("No token could be obtained: {other}"),
            Vec::new(),
        ),
        GraphError::Transport {
            method,
            url,
            message,
            attempts,
        } => (
            cases::GRAPH_TRANSPORT,
            format!("{method} {url} could not be completed after {attempts} attempt(s): {message}"),
            vec![Evidence::new("error", message.as_str())],
        ),
        GraphError::Certificate { host, detail, .. } => (
            cases::GRAPH_TRANSPORT,
            error.to_string(),
            vec![
                Evidence::new("host", host.as_str()),
                Evidence::new("certificate", detail.as_str()),
            ],
        ),
        GraphError::Decode { url, path, message } => (
            cases::GRAPH_DECODE,
            format!("The answer from {url} didn't fit at {path}: {message}"),
            vec![Evidence::new("field", path.as_str())],
        ),
        other => (cases::GRAPH_INVALID_INPUT, other.to_string(), Vec::new()),
    };
    let f = k.case_finding(case, summary, evidence, &Vars::default());
    single(f, SubjectKind::GraphError, "")
}

fn single(finding: Finding, kind: SubjectKind, id: &str) -> Explanation {
    Explanation {
        subject: Subject {
            kind,
            id: id.to_owned(),
            display_name: None,
        },
        findings: vec![finding],
        changes: Vec::new(),
        history: Vec::new(),
    }
}

fn status_prefix(status: u16) -> String {
    if status == 0 {
        String::new()
    } else {
        format!("HTTP {status} ")
    }
}

/// When no code is known, the HTTP status still says which family the failure belongs to.
fn status_entry(k: &Knowledge, status: u16) -> Option<&super::knowledge::Entry> {
    let code = match status {
        400 => "badRequest",
        401 => "InvalidAuthenticationToken",
        403 => "Authorization_RequestDenied",
        404 => "Request_ResourceNotFound",
        409 => "conflict",
        429 => "tooManyRequests",
        500..=599 => "serviceNotAvailable",
        _ => return None,
    };
    k.lookup(code, &[Scope::GraphError])
}

fn service_evidence(e: &ServiceError) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if e.status != 0 {
        ev.push(Evidence::new("HTTP status", e.status.to_string()));
    }
    if !e.code.is_empty() {
        ev.push(Evidence::new("error.code", e.code.as_str()));
    }
    if !e.inner_codes.is_empty() {
        ev.push(Evidence::new(
            "error.innerError.code",
            e.inner_codes.join(" > "),
        ));
    }
    // Quoted as sent, an empty message included: evidence never fills a gap.
    ev.push(Evidence::new("error.message", e.message.as_str()));
    for (field, value) in [
        ("request-id", &e.request_id),
        ("client-request-id", &e.client_request_id),
        ("date", &e.date),
    ] {
        if let Some(v) = value {
            ev.push(Evidence::new(field, v.as_str()));
        }
    }
    ev
}

/// The honest answer for a code provctl doesn't know: the facts as given, the category and where to
/// look; never an invented cause.
pub(crate) fn unknown_finding(k: &Knowledge, summary: String, evidence: Vec<Evidence>) -> Finding {
    let mut f = k.case_finding(cases::UNKNOWN, summary, evidence, &Vars::default());
    f.known = false;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::finding::Severity;

    fn envelope(status: u16, body: &str) -> ServiceError {
        ServiceError::from_body(
            status,
            body.as_bytes(),
            "POST",
            "https://graph.microsoft.com/v1.0/x",
        )
    }

    #[test]
    fn request_denied_names_the_permission_the_operation_needs() {
        let e = envelope(
            403,
            r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"r-1"}}}"#,
        );
        let x = explain_error(&e, Some(Operation::RestartJob));
        let f = x.headline().unwrap();
        assert_eq!(f.category, Category::Permissions);
        assert!(
            f.next_steps[0]
                .text
                .contains("Synchronization.ReadWrite.All"),
            "{:?}",
            f.next_steps
        );
        assert!(
            f.evidence
                .iter()
                .any(|e| e.field == "request-id" && e.value == "r-1")
        );
        let x = explain_error(&e, Some(Operation::ListAgents));
        assert!(
            x.findings[0].next_steps[0]
                .text
                .contains("Policy.Read.HybridAuthentication")
        );
    }

    #[test]
    fn the_innermost_known_code_wins_and_the_status_is_the_last_resort() {
        let e = envelope(
            400,
            r#"{"error":{"code":"badRequest","message":"x","innerError":{"code":"Request_ResourceNotFound"}}}"#,
        );
        assert_eq!(
            explain_error(&e, None).findings[0].category,
            Category::NotFound
        );
        let e = envelope(
            429,
            r#"{"error":{"code":"SomethingNew","message":"slow down"}}"#,
        );
        assert_eq!(
            explain_error(&e, None).findings[0].category,
            Category::Transient
        );
    }

    #[test]
    fn an_unknown_code_is_repeated_honestly() {
        let e = envelope(
            418,
            r#"{"error":{"code":"TeapotError","message":"I am a teapot"}}"#,
        );
        let f = &explain_error(&e, None).findings[0];
        assert!(!f.known);
        assert_eq!(f.category, Category::Unknown);
        assert!(f.summary.contains("TeapotError") && f.summary.contains("I am a teapot"));
        assert!(f.causes.is_empty());
    }

    #[test]
    fn sign_in_codes_in_the_message_are_recognised() {
        let e = envelope(
            401,
            r#"{"error":"invalid_request","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
        );
        let f = &explain_error(&e, None).findings[0];
        assert_eq!(f.code.as_deref(), Some("AADSTS7000215"));
        assert_eq!(f.severity, Severity::Error);
    }

    /// Issue 14 item 6: the consent error from Microsoft's consent troubleshooting page says what
    /// to do (admin consent), not just "sign-in refused".
    #[test]
    fn missing_consent_aadsts65001_says_grant_admin_consent() {
        let body = include_str!("../../tests/fixtures/real/aadsts65001.token-error.json");
        let f = &explain_error(&envelope(400, body), None).findings[0];
        assert_eq!(f.code.as_deref(), Some("AADSTS65001"), "{f:#?}");
        assert!(
            f.next_steps
                .iter()
                .any(|s| s.text.contains("admin consent")),
            "{f:#?}"
        );
    }

    #[test]
    fn transport_failures_are_explained_without_a_code() {
        let e = GraphError::Transport {
            method: "GET".into(),
            url: "https://graph.microsoft.com/v1.0/x".into(),
            message: "dns error".into(),
            attempts: 3,
        };
        let f = &explain_graph_error(&e, None).findings[0];
        assert_eq!(f.category, Category::Transient);
        assert!(f.summary.contains("3 attempt"));
    }

    #[test]
    fn a_denied_request_without_a_named_operation_is_recognised_by_its_url() {
        let e = ServiceError::from_body(
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges."}}"#,
            "GET",
            "https://graph.microsoft.com/v1.0/auditLogs/provisioning?$top=10",
        );
        let f = &explain_error(&e, None).findings[0];
        assert!(
            f.next_steps[0]
                .text
                .starts_with("To read provisioning logs, grant delegated ProvisioningLog.Read.All"),
            "{:?}",
            f.next_steps
        );
    }
}
