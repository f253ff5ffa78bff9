//! Reading an access token's claims (tenant, identity, `scp`, `roles`, expiry) for `whoami` and to
//! tell app-only tokens from delegated ones, and the claims a Conditional Access claims challenge
//! asks for ([`challenge`]). Decoding only: the signature is Graph's business, and the token
//! itself is never printed.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::secret::Secret;

/// Whether a token acts for an application or for a signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// Application permissions (`roles`), no user: client secret, certificate, managed identity.
    AppOnly,
    /// Delegated permissions (`scp`) of a signed-in user: device code, Azure CLI user.
    Delegated,
    /// Not a JWT, or one without the claims that tell.
    Unknown,
}

/// What `whoami` shows about a token: who, where, what it may do, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenClaims {
    /// `tid`: the tenant id.
    pub tenant_id: Option<String>,
    /// The user's sign-in name (`upn`, `preferred_username` or `unique_name`), for delegated tokens.
    pub user: Option<String>,
    /// `appid`/`azp`: the application (client) id.
    pub app_id: Option<String>,
    /// `app_displayname`, when present.
    pub app_name: Option<String>,
    /// `oid`: the object id of the user or service principal.
    pub object_id: Option<String>,
    /// `aud`: the audience (the Graph resource).
    pub audience: Option<String>,
    /// App-only or delegated.
    pub kind: IdentityKind,
    /// Delegated permissions (`scp`, space separated in the token).
    pub scopes: Vec<String>,
    /// Application permissions or directory roles (`roles`, `wids` are not included).
    pub roles: Vec<String>,
    /// `exp`.
    pub expires_on: Option<DateTime<Utc>>,
}

impl TokenClaims {
    /// The identity in one string: the user's sign-in name, or `app <id>`.
    pub fn identity(&self) -> String {
        match (&self.user, &self.app_id) {
            (Some(u), _) => u.clone(),
            (None, Some(a)) => match &self.app_name {
                Some(n) => format!("{n} (app {a})"),
                None => format!("app {a}"),
            },
            (None, None) => "(unknown)".to_owned(),
        }
    }

    /// True when the token carries `permission` in `scp` or `roles` (case-insensitive).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.scopes
            .iter()
            .chain(&self.roles)
            .any(|p| p.eq_ignore_ascii_case(permission))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawClaims {
    tid: Option<String>,
    oid: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    unique_name: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    app_displayname: Option<String>,
    aud: Option<serde_json::Value>,
    idtyp: Option<String>,
    scp: Option<String>,
    roles: Option<Vec<String>>,
    exp: Option<i64>,
}

/// Decodes the payload of a JWT access token. Fails (without echoing the token) when it is not
/// a JWT, e.g. an opaque token from a test.
pub fn decode(token: &Secret) -> Result<TokenClaims, AuthError> {
    let not_jwt =
        |why: &str| AuthError::NotConfigured(format!("the access token is not a JWT ({why})"));
    let mut parts = token.expose().split('.');
    let (Some(_header), Some(payload), Some(_sig)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(not_jwt("expected three dot-separated parts"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| not_jwt("the payload is not base64url"))?;
    let raw: RawClaims =
        serde_json::from_slice(&bytes).map_err(|_| not_jwt("the payload is not JSON claims"))?;
    let scopes: Vec<String> = raw
        .scp
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let roles = raw.roles.unwrap_or_default();
    let kind = match raw.idtyp.as_deref() {
        Some("app") => IdentityKind::AppOnly,
        Some("user") => IdentityKind::Delegated,
        _ if raw.scp.is_some() => IdentityKind::Delegated,
        _ if raw.appid.is_some() || raw.azp.is_some() || !roles.is_empty() => IdentityKind::AppOnly,
        _ => IdentityKind::Unknown,
    };
    let user = if kind == IdentityKind::Delegated {
        raw.upn.or(raw.preferred_username).or(raw.unique_name)
    } else {
        None
    };
    let audience = match raw.aud {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Array(a)) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    };
    Ok(TokenClaims {
        tenant_id: raw.tid,
        user,
        app_id: raw.appid.or(raw.azp),
        app_name: raw.app_displayname,
        object_id: raw.oid,
        audience,
        kind,
        scopes,
        roles,
        expires_on: raw.exp.and_then(|e| DateTime::from_timestamp(e, 0)),
    })
}

/// The claims a Conditional Access claims challenge asks for: from a 401's `WWW-Authenticate`
/// value `Bearer realm="", authorization_uri="…", error="insufficient_claims", claims="<base64>"`,
/// the decoded JSON (`{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`) that goes back
/// to the token request as its `claims` parameter. `None` for any other 401 (an expired token) or
/// a `claims` value that is not base64 of a JSON object.
pub fn challenge(www_authenticate: &str) -> Option<String> {
    let param = |name: &str| -> Option<&str> {
        let lower = www_authenticate.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(name) {
            let at = from + i;
            let before = lower[..at].trim_end();
            let rest = www_authenticate[at + name.len()..].trim_start();
            // A whole parameter name (after a comma or the scheme), followed by `=`.
            if (before.ends_with(',') || before.ends_with("bearer") || before.is_empty())
                && let Some(value) = rest.strip_prefix('=')
            {
                let value = value.trim_start();
                return Some(match value.strip_prefix('"') {
                    Some(quoted) => quoted.split('"').next().unwrap_or(""),
                    None => value.split([',', ' ']).next().unwrap_or(""),
                });
            }
            from = at + name.len();
        }
        None
    };
    if !param("error")?.eq_ignore_ascii_case("insufficient_claims") {
        return None;
    }
    let encoded = param("claims")?.trim();
    // Entra pads standard base64; tolerate the URL-safe alphabet and missing padding too.
    let padded = format!(
        "{}{}",
        encoded.trim_end_matches('='),
        "=".repeat((4 - encoded.trim_end_matches('=').len() % 4) % 4)
    );
    let bytes = STANDARD
        .decode(&padded)
        .or_else(|_| URL_SAFE.decode(&padded))
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    json.is_object().then(|| json.to_string())
}

/// Builds an unsigned JWT with `claims` as payload (tests and the emulator fakes).
pub fn unsigned_jwt(claims: &serde_json::Value) -> Secret {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    Secret::new(format!("{header}.{payload}.sig"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_app_only_token_lists_roles_and_the_app() {
        let t = unsigned_jwt(&json!({
            "tid": "t1", "appid": "a1", "app_displayname": "provctl-ci", "idtyp": "app",
            "roles": ["Synchronization.ReadWrite.All"], "exp": 2000000000,
            "aud": "https://graph.microsoft.com"
        }));
        let c = decode(&t).unwrap();
        assert_eq!(c.kind, IdentityKind::AppOnly);
        assert_eq!(c.identity(), "provctl-ci (app a1)");
        assert!(c.has_permission("synchronization.readwrite.all"));
        assert_eq!(c.expires_on.unwrap().timestamp(), 2000000000);
        assert_eq!(c.tenant_id.as_deref(), Some("t1"));
    }

    #[test]
    fn a_user_token_is_delegated_with_its_scopes() {
        let t = unsigned_jwt(&json!({
            "tid": "t1", "appid": "14d8", "upn": "adele@contoso.com",
            "scp": "AuditLog.Read.All Synchronization.Read.All"
        }));
        let c = decode(&t).unwrap();
        assert_eq!(c.kind, IdentityKind::Delegated);
        assert_eq!(c.identity(), "adele@contoso.com");
        assert_eq!(c.scopes, ["AuditLog.Read.All", "Synchronization.Read.All"]);
    }

    #[test]
    fn a_claims_challenge_is_decoded_from_the_documented_header() {
        // The example of Microsoft's "Claims challenges, claims requests and client capabilities".
        let header = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==""#;
        let claims: serde_json::Value = serde_json::from_str(&challenge(header).unwrap()).unwrap();
        assert_eq!(claims["access_token"]["acrs"]["value"], "cp1");
        assert_eq!(claims["access_token"]["acrs"]["essential"], true);
        // Unpadded values are accepted too.
        let unpadded = header.replace("fQ==", "fQ");
        assert!(challenge(&unpadded).is_some());
        // An ordinary 401 (expired token) is no challenge.
        assert_eq!(
            challenge(
                r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#
            ),
            None
        );
        assert_eq!(
            challenge(r#"Bearer error="insufficient_claims", claims="not base64!""#),
            None
        );
    }

    #[test]
    fn an_opaque_token_is_refused_without_echoing_it() {
        let err = decode(&Secret::new("not-a-jwt-hunter2")).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert!(decode(&Secret::new("a.%%%.c")).is_err());
    }
}
