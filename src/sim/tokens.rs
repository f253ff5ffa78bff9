//! Access tokens the emulator issues: JWT-shaped (`base64url(header).base64url(payload).signature`)
//! with the claims Entra puts in Graph tokens, so clients can decode them. The emulator remembers
//! every signature it issued; a token whose signature it does not know, or whose `exp` has passed,
//! is rejected with 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// What to put in a token minted with `SimHandle::issue_token`.
#[derive(Debug, Clone)]
pub enum TokenSpec {
    /// An app-only token (`idtyp` "app") carrying application permissions in `roles`.
    App {
        /// The client (application) id; `appid`/`azp`.
        client_id: String,
        /// Application permissions, e.g. `Synchronization.ReadWrite.All`.
        roles: Vec<String>,
        /// Lifetime from now; a zero or very short lifetime gives an expired token.
        lifetime: Duration,
    },
    /// A delegated token (`idtyp` "user") carrying scopes in `scp`.
    Delegated {
        /// The client (application) id.
        client_id: String,
        /// Delegated permissions, e.g. `Policy.Read.HybridAuthentication`.
        scopes: Vec<String>,
        /// The signed-in user's UPN.
        upn: String,
        /// Lifetime from now.
        lifetime: Duration,
    },
}

impl TokenSpec {
    /// An app-only token for `client_id` with `roles`, valid one hour.
    pub fn app(client_id: &str, roles: &[&str]) -> Self {
        Self::App {
            client_id: client_id.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            lifetime: Duration::from_secs(3600),
        }
    }
    /// A delegated token for `upn` with `scopes`, valid one hour.
    pub fn delegated(client_id: &str, upn: &str, scopes: &[&str]) -> Self {
        Self::Delegated {
            client_id: client_id.to_string(),
            scopes: scopes.iter().map(|r| r.to_string()).collect(),
            upn: upn.to_string(),
            lifetime: Duration::from_secs(3600),
        }
    }
    /// The same token with another lifetime.
    pub fn with_lifetime(mut self, d: Duration) -> Self {
        match &mut self {
            Self::App { lifetime, .. } | Self::Delegated { lifetime, .. } => *lifetime = d,
        }
        self
    }
}

/// The claims of a validated token, as the authorization layer needs them.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    pub app_only: bool,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    /// `acrs`: the Conditional Access authentication contexts the sign-in satisfied (a claims
    /// request asked for them).
    pub acrs: Vec<String>,
}

/// Why a bearer token was refused.
pub(crate) enum TokenProblem {
    Empty,
    Malformed,
    Expired,
    UnknownSignature,
}

/// Issued token signatures and their expiry (unix seconds).
#[derive(Default)]
pub(crate) struct TokenStore {
    issued: HashMap<String, i64>,
}

pub(crate) fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub(crate) fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    b64(&bytes)
}

/// User details for a delegated token.
pub(crate) struct UserInfo<'a> {
    pub upn: &'a str,
    pub name: &'a str,
    pub oid: &'a str,
    /// Authentication contexts a claims request asked for (`acrs`); empty for none.
    pub acrs: &'a [String],
}

impl TokenStore {
    /// Mint a token. Returns (token, exp unix seconds).
    #[allow(clippy::too_many_arguments)]
    pub fn mint(
        &mut self,
        tenant_id: &str,
        client_id: &str,
        app_name: &str,
        app_oid: &str,
        roles: Option<&[String]>,
        scopes: Option<&[String]>,
        user: Option<UserInfo<'_>>,
        lifetime: Duration,
    ) -> (String, i64) {
        let now = chrono::Utc::now().timestamp();
        let exp = now + lifetime.as_secs() as i64;
        let header = json!({"typ": "JWT", "nonce": random_b64(24), "alg": "RS256",
            "x5t": "provctl-sim", "kid": "provctl-sim"});
        let mut payload = json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{tenant_id}/"),
            "iat": now, "nbf": now, "exp": exp,
            "aio": random_b64(32),
            "app_displayname": app_name,
            "appid": client_id,
            "azp": client_id,
            "appidacr": "1",
            "idp": format!("https://sts.windows.net/{tenant_id}/"),
            "tid": tenant_id,
            "uti": random_b64(16),
            "ver": "1.0",
            "xms_tcdt": 1_600_000_000,
        });
        if let Some(obj) = payload.as_object_mut() {
            match user {
                Some(u) => {
                    obj.insert("idtyp".into(), json!("user"));
                    obj.insert("oid".into(), json!(u.oid));
                    obj.insert("sub".into(), json!(u.oid));
                    obj.insert("upn".into(), json!(u.upn));
                    obj.insert("unique_name".into(), json!(u.upn));
                    obj.insert("name".into(), json!(u.name));
                    obj.insert("scp".into(), json!(scopes.unwrap_or_default().join(" ")));
                    if !u.acrs.is_empty() {
                        obj.insert("acrs".into(), json!(u.acrs));
                    }
                }
                None => {
                    obj.insert("idtyp".into(), json!("app"));
                    obj.insert("oid".into(), json!(app_oid));
                    obj.insert("sub".into(), json!(app_oid));
                    obj.insert("roles".into(), json!(roles.unwrap_or_default()));
                }
            }
        }
        let sig = random_b64(64);
        let token = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes()),
            sig
        );
        self.issued.insert(sig, exp);
        (token, exp)
    }

    /// Validate a bearer token and return its claims.
    pub fn validate(&self, token: &str) -> Result<Claims, TokenProblem> {
        if token.trim().is_empty() {
            return Err(TokenProblem::Empty);
        }
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(TokenProblem::Malformed);
        }
        let payload: Value = URL_SAFE_NO_PAD
            .decode(parts[1])
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenProblem::Malformed)?;
        let Some(&exp) = self.issued.get(parts[2]) else {
            return Err(TokenProblem::UnknownSignature);
        };
        if exp <= chrono::Utc::now().timestamp() {
            return Err(TokenProblem::Expired);
        }
        let app_only = payload["idtyp"].as_str() == Some("app");
        let roles = super::tenant::strings(payload.get("roles"));
        let scopes = payload["scp"]
            .as_str()
            .map(|s| s.split(' ').map(str::to_string).collect())
            .unwrap_or_default();
        let acrs = super::tenant::strings(payload.get("acrs"));
        Ok(Claims {
            app_only,
            roles,
            scopes,
            acrs,
        })
    }
}
