//! A sign-in that failed ([`AuthError`]) in one sentence naming the cause, and hints naming the fix.
//! The causes and fixes of Entra's AADSTS codes are entries of `knowledge.toml` (scope `sign-in`):
//! this file only chooses which entry, and words the answer for a terminal.

use super::knowledge::{Entry, Knowledge, Scope};
use crate::graph::auth::AuthError;

/// The knowledge entry of an AADSTS code (`AADSTS7000215`, or the digits alone).
pub fn sign_in_entry(code: &str) -> Option<&'static Entry> {
    let digits = code.trim().trim_start_matches("AADSTS");
    Knowledge::global().lookup(&format!("AADSTS{digits}"), &[Scope::SignIn])
}

/// A one-paragraph explanation of `err` and what to do about it: `(message, hints)`.
pub fn explain_auth_error(err: &AuthError) -> (String, Vec<String>) {
    match err {
        AuthError::Rejected {
            method,
            message,
            aadsts,
        } => match (aadsts.as_deref().and_then(sign_in_entry), aadsts) {
            (Some(entry), Some(code)) => {
                let mut hints: Vec<String> = entry.steps.iter().map(step_hint).collect();
                hints.push(format!("Entra said: {message}"));
                (
                    format!(
                        "{method} sign-in failed: {} ({code}).",
                        lower_first(&entry.title)
                    ),
                    hints,
                )
            }
            _ => {
                let mut hints = vec![];
                if method == "azure-cli" {
                    hints.push(
                        "run `az login` (add `--tenant <tenant>` for another tenant), or choose another method with --auth"
                            .to_owned(),
                    );
                } else if method == "managed-identity" {
                    hints.push(
                        "managed identity works only on Azure (VM, App Service, Functions, Container Apps); check the identity is assigned and, for a user-assigned one, pass its client id with --client-id"
                            .to_owned(),
                    );
                } else if let Some(code) = aadsts {
                    hints.push(format!(
                        "look up {code} at https://login.microsoftonline.com/error?code={}",
                        code.trim_start_matches("AADSTS")
                    ));
                }
                (format!("{method} sign-in failed: {message}"), hints)
            }
        },
        AuthError::NotConfigured(m) => (
            m.clone(),
            vec![
                "sign in as a user with `provctl login`, or as an application with AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (see `provctl help auth`)"
                    .to_owned(),
            ],
        ),
        AuthError::Unavailable { method, message } => (
            format!("{method} sign-in could not reach the identity provider: {message}"),
            vec![
                "check the network, proxy (HTTPS_PROXY) and --ca-file settings, then retry; `provctl doctor network` checks DNS, TCP and TLS to the sign-in and Graph hosts".to_owned(),
            ],
        ),
        AuthError::DelegatedRequired { .. } => (
            format!("{err}."),
            vec![
                "sign in as a user with `provctl login` (or --auth device-code); the user needs the delegated permission and a directory role such as Hybrid Identity Administrator (see `provctl help permissions`)"
                    .to_owned(),
            ],
        ),
        AuthError::ClaimsChallenge { .. } => (
            format!("{err}."),
            Knowledge::global()
                .lookup("insufficient_claims", &[Scope::SignIn])
                .map(|e| e.steps.iter().map(step_hint).collect())
                .unwrap_or_default(),
        ),
        AuthError::Cache { .. } => (err.to_string(), vec![]),
    }
}

/// A knowledge step as a hint: `sign in again: `provctl login``.
fn step_hint(step: &super::knowledge::StepTemplate) -> String {
    let text = lower_first(step.text.trim_end_matches('.'));
    match &step.command {
        Some(c) => format!("{text}: `{c}`"),
        None => text,
    }
}

/// Hints continue a sentence, so they start in lower case ("the client secret is wrong").
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(code: &str) -> AuthError {
        AuthError::Rejected {
            method: "env".into(),
            message: format!("{code}: something"),
            aadsts: Some(code.into()),
        }
    }

    #[test]
    fn common_failures_name_cause_fix_and_code() {
        let (m, h) = explain_auth_error(&rejected("AADSTS7000215"));
        assert!(
            m.contains("client secret is wrong") && m.contains("AADSTS7000215"),
            "{m}"
        );
        assert!(h[0].contains("AZURE_CLIENT_SECRET"));
        let (m, h) = explain_auth_error(&rejected("AADSTS90002"));
        assert!(m.contains("tenant is unknown"), "{m}");
        assert!(h[0].contains("--tenant"));
        let (_, h) = explain_auth_error(&rejected("AADSTS700082"));
        assert!(h[0].contains("provctl login"), "{h:?}");
        let (_, h) = explain_auth_error(&rejected("AADSTS65001"));
        assert!(
            h[0].contains("admin consent") && h[0].contains("provctl help permissions"),
            "{h:?}"
        );
        let (_, h) = explain_auth_error(&rejected("AADSTS1234567"));
        assert!(h[0].contains("error?code=1234567"));
    }

    #[test]
    fn an_app_facing_a_claims_challenge_is_told_what_to_do() {
        let (m, h) = explain_auth_error(&AuthError::ClaimsChallenge {
            method: "env".into(),
        });
        assert!(m.contains("claims challenge") && m.contains("env"), "{m}");
        assert!(h[0].contains("provctl login"), "{h:?}");
        assert!(h[1].contains("workload identity"), "{h:?}");
        let (_, h) = explain_auth_error(&rejected("AADSTS65004"));
        assert!(h[0].contains("provctl login"), "{h:?}");
        let (_, h) = explain_auth_error(&rejected("AADSTS65001"));
        assert!(h.iter().any(|x| x.contains("--scopes")), "{h:?}");
    }

    #[test]
    fn every_sign_in_entry_has_a_fix() {
        for code in [
            "AADSTS7000222",
            "AADSTS700024",
            "AADSTS53003",
            "AADSTS70019",
        ] {
            let e = sign_in_entry(code).unwrap_or_else(|| panic!("{code}"));
            assert!(!e.steps.is_empty(), "{code}");
        }
        assert_eq!(
            sign_in_entry("700084").map(|e| e.key.as_str()),
            Some("AADSTS70008")
        );
    }
}
