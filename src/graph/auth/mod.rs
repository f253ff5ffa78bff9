//! The seam between the Graph client and whatever signs in: a [`TokenProvider`] hands out bearer
//! tokens for a scope, and [`provider_for`] picks the sign-in method from flags, environment and
//! profile. Each method lives in its own submodule; tests use [`StaticToken`].
//!
//! # Sign-in methods
//!
//! | `--auth` | what it uses |
//! |---|---|
//! | `token` | `PROVCTL_ACCESS_TOKEN`, or a token read from stdin with `--token-stdin` |
//! | `env` | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`, or `AZURE_CLIENT_CERTIFICATE_PATH` (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`) |
//! | `certificate` | `--certificate` (PEM or PFX) with `--tenant` and `--client-id` (or the profile's values) |
//! | `workload-identity` | `AZURE_FEDERATED_TOKEN_FILE` with `AZURE_TENANT_ID` and `AZURE_CLIENT_ID` (AKS, GitHub OIDC) |
//! | `managed-identity` | App Service style `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, or IMDS; `--client-id` picks a user-assigned identity |
//! | `azure-cli` | the account of `az login` |
//! | `device-code` | a user sign-in (`provctl login`), cached and refreshed silently |
//!
//! # Automatic order
//!
//! When neither `--auth` nor the profile names a method, the first that applies wins:
//!
//! 1. `token` when `--token-stdin` is given or `PROVCTL_ACCESS_TOKEN` is set;
//! 2. `env` when `AZURE_CLIENT_SECRET` or `AZURE_CLIENT_CERTIFICATE_PATH` is set;
//! 3. `workload-identity` when `AZURE_FEDERATED_TOKEN_FILE` is set;
//! 4. `device-code` when a cached login exists for the profile (from `provctl login`);
//! 5. `managed-identity` when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are both set (IMDS alone
//!    is never probed: ask for it with `--auth managed-identity`). Azure Cloud Shell sets
//!    `MSI_ENDPOINT` without `MSI_SECRET`, which azure_identity refuses, so there the order goes on;
//! 6. `azure-cli` when `az` is on `PATH` (in Cloud Shell: the signed-in user).
//!
//! Otherwise the error lists the ways to sign in. Applications ask for `endpoints.scope`
//! (`https://<graph host>/.default`); a device-code user sign-in asks for the explicit delegated
//! permissions of [`AuthOptions::scopes`] on that cloud's Graph resource. The authority is
//! `endpoints.login`, so national clouds and the emulator need no special case.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::graph::{Cloud, Endpoints};
use crate::secret::Secret;

mod azure;
pub mod azure_cli;
pub mod cache;
pub mod certificate;
pub mod claims;
pub mod device_code;
pub mod env;
pub mod managed_identity;
pub mod token;
pub mod workload_identity;

pub use claims::{IdentityKind, TokenClaims};
pub use token::StaticToken;

/// The public client id used for device-code sign-in when neither `--client-id` nor the profile
/// names one: Microsoft Graph Command Line Tools.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// The variable holding a ready-made access token.
pub const ACCESS_TOKEN_VAR: &str = "PROVCTL_ACCESS_TOKEN";

/// A bearer token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The token itself; never printed.
    pub token: Secret,
    /// Expiry, when known.
    pub expires_on: Option<DateTime<Utc>>,
}

/// Why no token could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The identity provider refused the request (wrong secret, unknown tenant, expired refresh token...).
    #[error("{method} sign-in failed: {message}")]
    Rejected {
        /// The sign-in method (`env`, `device-code`, ...).
        method: String,
        /// What the identity provider said (AADSTS text included).
        message: String,
        /// The AADSTS code, when the answer carried one (`AADSTS7000215`).
        aadsts: Option<String>,
    },
    /// The sign-in method is not configured (missing variable, file, profile value).
    #[error("{0}")]
    NotConfigured(String),
    /// The identity provider could not be reached or answered nonsense.
    #[error("{method} sign-in: {message}")]
    Unavailable {
        /// The sign-in method.
        method: String,
        /// What went wrong.
        message: String,
    },
    /// The call needs a signed-in user (delegated permissions) but the token is app-only.
    #[error(
        "{what} needs a signed-in user (delegated permissions), but the {method} sign-in gives an app-only token"
    )]
    DelegatedRequired {
        /// What needs the user (`provctl agents list`, `tenant deletion prevention`).
        what: String,
        /// The sign-in method in use.
        method: String,
    },
    /// Graph answered with a Conditional Access claims challenge (`insufficient_claims`) that this
    /// sign-in method cannot answer: an application's client credentials, a ready-made token, az.
    #[error(
        "Graph refused the token with a Conditional Access claims challenge, which a {method} sign-in cannot satisfy"
    )]
    ClaimsChallenge {
        /// The sign-in method in use.
        method: String,
    },
    /// The token cache file is unsafe or unreadable.
    #[error("token cache {}: {message}", path.display())]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// Something that hands out bearer tokens for Graph.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token valid for `scopes` (cached by the provider as it sees fit).
    async fn token(&self, scopes: &[&str]) -> Result<AccessToken, AuthError>;

    /// Called once when Graph answered 401 to a request made with `rejected`: return a fresh token
    /// to retry with, or `None` when this provider cannot get a new one.
    async fn refresh(
        &self,
        scopes: &[&str],
        rejected: &AccessToken,
    ) -> Result<Option<AccessToken>, AuthError> {
        let _ = (scopes, rejected);
        Ok(None)
    }

    /// Called once when Graph answered 401 with a Conditional Access claims challenge: `claims`
    /// is the decoded JSON the challenge asks for ([`claims::challenge`]). A user sign-in passes it
    /// back to the token request (the `claims` parameter) and returns the new token to retry with.
    /// Nothing else can satisfy it, so the default says so ([`AuthError::ClaimsChallenge`]).
    async fn claims_challenge(
        &self,
        scopes: &[&str],
        claims: &str,
    ) -> Result<Option<AccessToken>, AuthError> {
        let _ = (scopes, claims);
        Err(AuthError::ClaimsChallenge {
            method: self.method().to_owned(),
        })
    }

    /// The method's name as `--auth` spells it (`env`, `certificate`, `device-code`, `token`, ...).
    fn method(&self) -> &str;
}

/// A way to sign in, as `--auth` and the profile's `auth` key spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// Service principal from `AZURE_*` variables (secret or certificate).
    Env,
    /// Service principal with a certificate file (PEM or PFX).
    Certificate,
    /// Federated token file (AKS workload identity, CI OIDC).
    WorkloadIdentity,
    /// Azure managed identity (App Service style endpoint or IMDS).
    ManagedIdentity,
    /// The account signed in to the Azure CLI.
    AzureCli,
    /// Interactive user sign-in with a device code, cached and refreshed.
    DeviceCode,
    /// A ready-made access token.
    Token,
}

impl AuthMethod {
    /// Every method, in the order help texts list them.
    pub const ALL: [AuthMethod; 7] = [
        AuthMethod::Env,
        AuthMethod::Certificate,
        AuthMethod::WorkloadIdentity,
        AuthMethod::ManagedIdentity,
        AuthMethod::AzureCli,
        AuthMethod::DeviceCode,
        AuthMethod::Token,
    ];

    /// The name `--auth` accepts.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Env => "env",
            AuthMethod::Certificate => "certificate",
            AuthMethod::WorkloadIdentity => "workload-identity",
            AuthMethod::ManagedIdentity => "managed-identity",
            AuthMethod::AzureCli => "azure-cli",
            AuthMethod::DeviceCode => "device-code",
            AuthMethod::Token => "token",
        }
    }

    /// True when tokens of this method act for a signed-in user (delegated permissions).
    pub fn is_delegated(self) -> bool {
        matches!(self, AuthMethod::DeviceCode | AuthMethod::AzureCli)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let found = AuthMethod::ALL.into_iter().find(|m| m.name() == norm);
        let alias = match norm.as_str() {
            "cert" | "client-certificate" => Some(AuthMethod::Certificate),
            "workload" | "federated" => Some(AuthMethod::WorkloadIdentity),
            "msi" | "managed" => Some(AuthMethod::ManagedIdentity),
            "az" | "cli" | "az-cli" => Some(AuthMethod::AzureCli),
            "device" | "devicecode" | "user" => Some(AuthMethod::DeviceCode),
            "access-token" => Some(AuthMethod::Token),
            _ => None,
        };
        found.or(alias).ok_or_else(|| {
            let names: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.name()).collect();
            format!(
                "unknown sign-in method '{s}': expected one of {}",
                names.join(", ")
            )
        })
    }
}

/// A snapshot of environment variables, so method selection can be tested without touching the
/// process environment. Empty values count as unset.
#[derive(Clone, Default)]
pub struct EnvVars(HashMap<String, String>);

impl fmt::Debug for EnvVars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: show names only.
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("EnvVars").field(&names).finish()
    }
}

impl EnvVars {
    /// The process environment (the `AZURE_*`, `IDENTITY_*`, `MSI_*`, `PROVCTL_*` and `PATH` variables).
    pub fn from_process() -> Self {
        EnvVars(
            std::env::vars()
                .filter(|(k, _)| {
                    k.starts_with("AZURE_")
                        || k.starts_with("IDENTITY_")
                        || k.starts_with("MSI_")
                        || k.starts_with("PROVCTL_")
                        || k == "PATH"
                })
                .collect(),
        )
    }

    /// A fixed set of variables (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        EnvVars(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The same variables less `names` (a profile of a multi-tenant run must not pick up the
    /// tenant, client or token meant for a single one).
    pub fn without(&self, names: &[&str]) -> Self {
        let mut vars = self.0.clone();
        vars.retain(|k, _| !names.contains(&k.as_str()));
        EnvVars(vars)
    }

    /// A variable's value, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// A variable that must be set, or a [`AuthError::NotConfigured`] naming it and what needs it.
    pub fn require(&self, name: &str, what: &str) -> Result<&str, AuthError> {
        self.get(name).ok_or_else(|| {
            AuthError::NotConfigured(format!("{what} needs {name}, which is not set"))
        })
    }
}

/// What a device-code sign-in shows the user: where to go and which code to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    /// The page to open (`https://microsoft.com/devicelogin`).
    pub verification_uri: String,
    /// The code to type there.
    pub user_code: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// Where sign-in talks to the person at the keyboard. The CLI sends everything to stderr, never
/// stdout, so piped output stays clean.
pub trait AuthUi: Send + Sync + fmt::Debug {
    /// Show the device-code prompt.
    fn device_code(&self, prompt: &DeviceCodePrompt);
    /// Show a one-line notice (e.g. where tokens are cached).
    fn notice(&self, message: &str);
}

/// The default [`AuthUi`]: plain lines on stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrUi;

impl AuthUi for StderrUi {
    fn device_code(&self, prompt: &DeviceCodePrompt) {
        eprintln!(
            "To sign in, open {} and enter the code {} (it expires in {} minutes).",
            // The login server's text: its control characters never reach the terminal.
            crate::output::sanitize::line(&prompt.verification_uri),
            crate::output::sanitize::line(&prompt.user_code),
            prompt.expires_in.div_ceil(60)
        );
    }

    fn notice(&self, message: &str) {
        eprintln!("note: {}", crate::output::sanitize::page(message));
    }
}

/// A profile's sign-in settings, validated (read from the config file by [`crate::config`]): what
/// [`AuthOptions`] takes. It lives here so the auth layer takes its settings as values and never
/// imports the config module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// Tenant id or domain.
    pub tenant: Option<String>,
    /// The cloud.
    pub cloud: Option<Cloud>,
    /// The sign-in method.
    pub auth: Option<AuthMethod>,
    /// Application (client) id.
    pub client_id: Option<String>,
    /// Certificate file.
    pub certificate_path: Option<PathBuf>,
}

impl Profile {
    /// An empty profile called `name`.
    pub fn named(name: &str) -> Self {
        Profile {
            name: name.to_owned(),
            ..Profile::default()
        }
    }
}

/// Everything [`provider_for`] needs besides the HTTP client and the endpoints. Flags win over the
/// profile; the profile wins over the automatic order.
#[derive(Debug, Clone, Default)]
pub struct AuthOptions {
    /// `--auth`: the method to use; `None` follows the profile, then the automatic order.
    pub method: Option<AuthMethod>,
    /// `--tenant`: tenant id or domain.
    pub tenant: Option<String>,
    /// `--client-id`: application (client) id; for managed identity, the user-assigned identity.
    pub client_id: Option<String>,
    /// `--certificate`: a PEM or PFX file for certificate sign-in.
    pub certificate_path: Option<PathBuf>,
    /// `--token-stdin`: the token was read from stdin by the CLI (see [`token::read_token`]).
    pub token_stdin: bool,
    /// The token read from stdin, when `token_stdin` is set.
    pub stdin_token: Option<Secret>,
    /// `--no-cache`: keep nothing on disk (device-code tokens live only for this run).
    pub no_cache: bool,
    /// The selected profile (`--profile`, `PROVCTL_PROFILE`, or the current one).
    pub profile: Option<Profile>,
    /// The environment to read (`EnvVars::from_process()` in the CLI).
    pub env: EnvVars,
    /// Where prompts and notices go; stderr when `None`.
    pub ui: Option<Arc<dyn AuthUi>>,
    /// The delegated Graph permissions a user sign-in (device code) asks for, by name
    /// (`Synchronization.ReadWrite.All`; the CLI takes them from `graph::permissions`). Each is
    /// requested as the cloud's Graph resource + the name, with `offline_access`; empty asks for
    /// `.default` (whatever the tenant consented for the client).
    pub scopes: Vec<String>,
    /// The delegated permissions the command cannot run without (a subset of `scopes`): a cached
    /// user sign-in whose token lacks one is renewed for it rather than used. Empty: any.
    pub required_scopes: Vec<String>,
}

impl AuthOptions {
    /// Options reading the process environment, with nothing else set.
    pub fn from_env() -> Self {
        AuthOptions {
            env: EnvVars::from_process(),
            ..AuthOptions::default()
        }
    }

    fn ui(&self) -> Arc<dyn AuthUi> {
        self.ui.clone().unwrap_or_else(|| Arc::new(StderrUi))
    }

    /// The tenant: flag, then profile.
    pub fn tenant(&self) -> Option<String> {
        self.tenant
            .clone()
            .or_else(|| self.profile.as_ref().and_then(|p| p.tenant.clone()))
    }

    /// The client id: flag, then profile.
    pub fn client_id(&self) -> Option<String> {
        self.client_id
            .clone()
            .or_else(|| self.profile.as_ref().and_then(|p| p.client_id.clone()))
    }

    /// The certificate path: flag, then profile.
    pub fn certificate_path(&self) -> Option<PathBuf> {
        self.certificate_path.clone().or_else(|| {
            self.profile
                .as_ref()
                .and_then(|p| p.certificate_path.clone())
        })
    }

    /// The profile name used to key the token cache (`default` without a profile).
    pub fn profile_name(&self) -> &str {
        self.profile
            .as_ref()
            .map(|p| p.name.as_str())
            .unwrap_or("default")
    }

    /// The method that will be used, and why (for `whoami` and `--verbose`).
    pub fn resolve_method(&self, endpoints: &Endpoints) -> Result<AuthMethod, AuthError> {
        if let Some(m) = self.method {
            return Ok(m);
        }
        if let Some(m) = self.profile.as_ref().and_then(|p| p.auth) {
            return Ok(m);
        }
        let env = &self.env;
        if self.token_stdin || env.get(ACCESS_TOKEN_VAR).is_some() {
            return Ok(AuthMethod::Token);
        }
        if env.get(env::CLIENT_SECRET).is_some() || env.get(env::CLIENT_CERTIFICATE_PATH).is_some()
        {
            return Ok(AuthMethod::Env);
        }
        if env.get(workload_identity::FEDERATED_TOKEN_FILE).is_some() {
            return Ok(AuthMethod::WorkloadIdentity);
        }
        if !self.no_cache && device_code::has_cached_login(self, endpoints) {
            return Ok(AuthMethod::DeviceCode);
        }
        // App Service style (IDENTITY_ENDPOINT + IDENTITY_HEADER) only. Cloud Shell sets
        // MSI_ENDPOINT without MSI_SECRET, which azure_identity cannot use: fall through to az.
        if env.get("IDENTITY_ENDPOINT").is_some() && env.get("IDENTITY_HEADER").is_some() {
            return Ok(AuthMethod::ManagedIdentity);
        }
        if azure_cli::az_on_path(env) {
            return Ok(AuthMethod::AzureCli);
        }
        // Half an application sign-in: name what is missing rather than "not signed in".
        let set: Vec<&str> = [env::TENANT_ID, env::CLIENT_ID]
            .into_iter()
            .filter(|v| env.get(v).is_some())
            .collect();
        if env.get(env::CLIENT_ID).is_some() {
            let missing: Vec<&str> = [env::TENANT_ID, env::CLIENT_ID]
                .into_iter()
                .filter(|v| env.get(v).is_none())
                .chain([env::CLIENT_SECRET])
                .collect();
            return Err(AuthError::NotConfigured(format!(
                "{} {} set, but {} {} not: an application signs in with AZURE_TENANT_ID, \
                 AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH \
                 instead of the secret)",
                set.join(" and "),
                if set.len() == 1 { "is" } else { "are" },
                missing.join(" and "),
                if missing.len() == 1 { "is" } else { "are" },
            )));
        }
        Err(AuthError::NotConfigured(
            "not signed in: run `provctl login` to sign in as a user, or set AZURE_TENANT_ID, \
             AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for an \
             application, or PROVCTL_ACCESS_TOKEN for a ready-made token"
                .to_owned(),
        ))
    }
}

/// Builds the token provider for `opts`. Every token request goes through `http`, the same client
/// the Graph calls use (so `--ca-file` roots and proxies apply to sign-in too).
pub async fn provider_for(
    opts: &AuthOptions,
    http: &reqwest::Client,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let method = opts.resolve_method(endpoints)?;
    tracing::debug!(method = method.name(), "sign-in method");
    let provider: Arc<dyn TokenProvider> = match method {
        AuthMethod::Token => Arc::new(token::from_options(opts)?),
        AuthMethod::Env => env::provider(opts, http, endpoints)?,
        AuthMethod::Certificate => certificate::provider(opts, http, endpoints)?,
        AuthMethod::WorkloadIdentity => workload_identity::provider(opts, http, endpoints)?,
        AuthMethod::ManagedIdentity => managed_identity::provider(opts, http, endpoints)?,
        AuthMethod::AzureCli => azure_cli::provider(opts, endpoints)?,
        // Interactive only when asked for by name (flag or profile); see DeviceCodeProvider::new.
        AuthMethod::DeviceCode => Arc::new(device_code::DeviceCodeProvider::new(
            opts, http, endpoints, false,
        )?),
    };
    Ok(provider)
}

/// The claims of the token `provider` hands out for `scope`; fails with
/// [`AuthError::DelegatedRequired`] when the token is app-only, because `what` (agents, tenant
/// deletion prevention) only accepts delegated tokens. Opaque tokens are let through: Graph decides.
pub async fn require_delegated(
    provider: &dyn TokenProvider,
    scope: &str,
    what: &str,
) -> Result<Option<TokenClaims>, AuthError> {
    let token = provider.token(&[scope]).await?;
    match claims::decode(&token.token) {
        Ok(c) if c.kind == IdentityKind::AppOnly => Err(AuthError::DelegatedRequired {
            what: what.to_owned(),
            method: provider.method().to_owned(),
        }),
        Ok(c) => Ok(Some(c)),
        Err(_) => Ok(None),
    }
}

/// Seconds before expiry at which a cached token is renewed.
pub const REFRESH_MARGIN_SECS: i64 = 300;

/// True when `token` expires within [`REFRESH_MARGIN_SECS`] (tokens without an expiry never do).
pub fn expires_soon(token: &AccessToken, now: DateTime<Utc>) -> bool {
    token
        .expires_on
        .is_some_and(|e| e - chrono::Duration::seconds(REFRESH_MARGIN_SECS) <= now)
}

/// Errors compare by their text (tests compare whole results).
impl PartialEq for AuthError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Cloud;

    fn opts(pairs: &[(&str, &str)]) -> AuthOptions {
        AuthOptions {
            env: EnvVars::from_pairs(pairs.iter().copied()),
            no_cache: true,
            ..AuthOptions::default()
        }
    }

    #[test]
    fn method_names_round_trip_and_unknown_names_list_the_choices() {
        for m in AuthMethod::ALL {
            assert_eq!(m.name().parse::<AuthMethod>(), Ok(m));
        }
        assert_eq!("MSI".parse::<AuthMethod>(), Ok(AuthMethod::ManagedIdentity));
        let err = "kerberos".parse::<AuthMethod>().unwrap_err();
        assert!(err.contains("'kerberos'"), "{err}");
        assert!(err.contains("workload-identity, managed-identity"), "{err}");
    }

    #[test]
    fn half_an_application_sign_in_names_the_missing_variable() {
        let opts = AuthOptions {
            no_cache: true,
            env: EnvVars::from_pairs([
                ("AZURE_TENANT_ID", "contoso.onmicrosoft.com"),
                ("AZURE_CLIENT_ID", "5b7e2f3a-1c4d-4e8f-9a0b-6c2d8e1f3a57"),
                ("PATH", "/nonexistent"),
            ]),
            ..AuthOptions::default()
        };
        let err = opts
            .resolve_method(&Endpoints::for_cloud(crate::graph::Cloud::Global))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "AZURE_TENANT_ID and AZURE_CLIENT_ID are set, but AZURE_CLIENT_SECRET is not"
            ),
            "{err}"
        );
    }

    #[test]
    fn automatic_order_prefers_token_then_env_then_workload_identity() {
        let e = Endpoints::for_cloud(Cloud::Global);
        let all = [
            (ACCESS_TOKEN_VAR, "t"),
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
            ("IDENTITY_ENDPOINT", "https://x/"),
            ("IDENTITY_HEADER", "h"),
        ];
        let expect = [
            AuthMethod::Token,
            AuthMethod::Env,
            AuthMethod::WorkloadIdentity,
            AuthMethod::ManagedIdentity,
        ];
        for i in 0..expect.len() {
            assert_eq!(opts(&all[i..]).resolve_method(&e), Ok(expect[i]));
        }
        let cert = opts(&[("AZURE_CLIENT_CERTIFICATE_PATH", "/c.pem")]);
        assert_eq!(cert.resolve_method(&e), Ok(AuthMethod::Env));
        // Azure Cloud Shell: MSI_ENDPOINT (and ACC_CLOUD) without MSI_SECRET is not a managed
        // identity azure_identity can use; with no az on PATH nothing applies.
        let cloud_shell = opts(&[
            ("MSI_ENDPOINT", "http://localhost:50342/oauth2/token"),
            ("ACC_CLOUD", "PROD"),
            ("PATH", ""),
        ]);
        assert!(cloud_shell.resolve_method(&e).is_err());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(if cfg!(windows) { "az.cmd" } else { "az" }),
            "",
        )
        .unwrap();
        let cloud_shell = opts(&[
            ("MSI_ENDPOINT", "http://localhost:50342/oauth2/token"),
            ("PATH", dir.path().to_str().unwrap()),
        ]);
        assert_eq!(cloud_shell.resolve_method(&e), Ok(AuthMethod::AzureCli));
        let err = opts(&[("PATH", "")]).resolve_method(&e).unwrap_err();
        assert!(err.to_string().contains("provctl login"), "{err}");
    }

    #[test]
    fn an_explicit_method_or_the_profile_wins_over_the_environment() {
        let e = Endpoints::for_cloud(Cloud::Global);
        let mut o = opts(&[(ACCESS_TOKEN_VAR, "t")]);
        o.profile = Some(Profile {
            auth: Some(AuthMethod::DeviceCode),
            ..Profile::named("work")
        });
        assert_eq!(o.resolve_method(&e), Ok(AuthMethod::DeviceCode));
        o.method = Some(AuthMethod::AzureCli);
        assert_eq!(o.resolve_method(&e), Ok(AuthMethod::AzureCli));
    }

    #[tokio::test]
    async fn delegated_only_calls_refuse_app_only_tokens() {
        let app =
            claims::unsigned_jwt(&serde_json::json!({"appid":"a","idtyp":"app","roles":["X"]}));
        let err = require_delegated(&StaticToken::new(app), "s", "provctl agents list")
            .await
            .unwrap_err();
        let (msg, hints) = crate::diagnose::explain_auth_error(&err);
        assert!(
            msg.contains("provctl agents list") && msg.contains("app-only"),
            "{msg}"
        );
        assert!(hints[0].contains("provctl login"), "{hints:?}");
        let user = claims::unsigned_jwt(&serde_json::json!({"upn":"u@c","scp":"X"}));
        let c = require_delegated(&StaticToken::new(user), "s", "x")
            .await
            .unwrap();
        assert_eq!(c.unwrap().kind, IdentityKind::Delegated);
    }

    #[test]
    fn env_debug_shows_names_not_values() {
        let env = EnvVars::from_pairs([("AZURE_CLIENT_SECRET", "hunter2")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("AZURE_CLIENT_SECRET") && !shown.contains("hunter2"));
    }
}
