//! Turning an [`AuthError`] into one paragraph naming the cause and the fix, with the AADSTS code
//! when Entra gave one. The CLI prints the message and the hints and exits with the auth code.

use super::AuthError;

/// `(cause, fix)` for the AADSTS codes admins meet most.
fn known_code(code: &str) -> Option<(&'static str, &'static str)> {
    let digits = code.trim_start_matches("AADSTS");
    Some(match digits {
        "7000215" => (
            "the client secret is wrong",
            "copy the secret's Value (not its Secret ID) from the app registration's Certificates & secrets page into AZURE_CLIENT_SECRET, or create a new secret",
        ),
        "7000222" => (
            "the client secret has expired",
            "create a new client secret in the app registration (Certificates & secrets) and update AZURE_CLIENT_SECRET",
        ),
        "90002" | "90023" | "900023" | "90013" => (
            "the tenant is unknown",
            "check --tenant / AZURE_TENANT_ID: use the tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com",
        ),
        "700016" => (
            "the application (client) id is not known in this tenant",
            "check --client-id / AZURE_CLIENT_ID against the app registration, and that --tenant is the tenant the app lives in (or has been consented in)",
        ),
        "700027" | "700023" => (
            "the certificate's signature was not accepted",
            "upload the certificate (its public part, .cer/.pem) to the app registration under Certificates & secrets, and check the thumbprint matches",
        ),
        "700024" => (
            "the client assertion is outside its valid time range",
            "check this machine's clock (time sync), then retry",
        ),
        "70008" | "700082" | "50173" | "700084" | "70043" | "700003" => (
            "the saved sign-in has expired or was revoked",
            "run `provctl login` to sign in again",
        ),
        "65001" | "650057" | "90094" | "90008" => (
            "the permissions have not been consented for this application",
            "ask a Global or Privileged Role Administrator to grant admin consent for the permissions this command needs (see `provctl help permissions`)",
        ),
        "50076" | "50079" | "50158" => (
            "multi-factor authentication is required",
            "run `provctl login` and complete the MFA prompt in the browser",
        ),
        "53003" | "53000" | "53001" => (
            "a Conditional Access policy blocked the sign-in",
            "ask your identity administrator which policy applies (the sign-in logs show it), or sign in from a compliant device",
        ),
        "7000112" | "7000218" => (
            "the application is disabled or needs a credential",
            "check the app registration and its service principal are enabled, and that a secret or certificate is provided",
        ),
        "50126" => (
            "the user name or password is wrong",
            "run `provctl login` again and check the account",
        ),
        "70016" => (
            "device-code sign-in is still waiting for approval",
            "finish the sign-in in the browser",
        ),
        "70019" | "70020" => (
            "the device code expired before sign-in finished",
            "run `provctl login` again and enter the code within 15 minutes",
        ),
        _ => return None,
    })
}

/// A one-paragraph explanation of `err` and what to do about it.
pub fn explain_auth_error(err: &AuthError) -> (String, Vec<String>) {
    match err {
        AuthError::Rejected {
            method,
            message,
            aadsts,
        } => {
            let known = aadsts.as_deref().and_then(known_code);
            match (known, aadsts) {
                (Some((cause, fix)), Some(code)) => (
                    format!("{method} sign-in failed: {cause} ({code})."),
                    vec![fix.to_owned(), format!("Entra said: {message}")],
                ),
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
            }
        }
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
                "sign in as a user with `provctl login` (or --auth device-code); the user needs the delegated permission and a directory role such as Hybrid Identity Administrator"
                    .to_owned(),
            ],
        ),
        AuthError::Cache { .. } => (err.to_string(), vec![]),
    }
}

/// Hints for a Graph 403 given what the token is: app-only tokens need application permissions
/// with admin consent; delegated ones need the scope and a directory role.
pub fn missing_permission_hints(
    claims: &super::TokenClaims,
    permission: &str,
    role: Option<&str>,
) -> Vec<String> {
    use super::IdentityKind;
    let has = claims.has_permission(permission);
    match claims.kind {
        IdentityKind::AppOnly if !has => vec![format!(
            "the application {} lacks the application permission {permission}: add it under API permissions (Microsoft Graph, Application permissions) and grant admin consent",
            claims.app_id.as_deref().unwrap_or("")
        )],
        IdentityKind::Delegated if !has => vec![format!(
            "the sign-in lacks the delegated permission {permission}: run `provctl login` again after an administrator consents it"
        )],
        IdentityKind::Delegated => match role {
            Some(r) => vec![format!(
                "{} has {permission} but also needs the {r} directory role (or a higher one)",
                claims.identity()
            )],
            None => vec![],
        },
        _ => vec![],
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
        assert!(h[0].contains("provctl login"));
        let (_, h) = explain_auth_error(&rejected("AADSTS65001"));
        assert!(h[0].contains("admin consent"));
        let (_, h) = explain_auth_error(&rejected("AADSTS1234567"));
        assert!(h[0].contains("error?code=1234567"));
    }

    #[test]
    fn a_missing_application_permission_says_where_to_add_it() {
        let c = super::super::claims::decode(&super::super::claims::unsigned_jwt(
            &serde_json::json!({"appid":"a1","idtyp":"app","roles":["Application.Read.All"]}),
        ))
        .unwrap();
        let h = missing_permission_hints(&c, "Synchronization.ReadWrite.All", None);
        assert!(h[0].contains("Application permissions") && h[0].contains("admin consent"));
    }
}
