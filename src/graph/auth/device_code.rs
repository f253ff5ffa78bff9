//! The `device-code` method: a user signs in on another device (the prompt goes to stderr through
//! [`AuthUi`]), and the refresh token keeps them signed in. Built on the oauth2 crate (azure_identity
//! has no device-code credential) with a small adapter onto our reqwest 0.13 client. Tokens are
//! renewed silently five minutes before they expire, and once more when Graph answers 401.
//!
//! It asks for explicit delegated permissions ([`AuthOptions::scopes`], as
//! `https://<graph host>/<permission>` plus `offline_access`), not `.default`: in a tenant where
//! nobody consented the client to the synchronization permissions, `.default` signs in fine and
//! every command then gets 403. The cached login remembers the permissions its token was granted;
//! a command that cannot run without one more ([`AuthOptions::required_scopes`]) renews the token
//! for it (Entra answers AADSTS65001 when it was never consented) instead of using a token that
//! Graph would refuse. Permissions that only enrich a command are asked for at sign-in, never
//! forced at renewal, so a missing optional consent does not stop the command.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    ClientId, DeviceAuthorizationUrl, DeviceCodeErrorResponse, DeviceCodeErrorResponseType,
    EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use tokio::sync::Mutex;

use super::azure::find_aadsts;
use super::cache::{CacheKey, CachedLogin, TokenStore, default_store};
use super::{
    AccessToken, AuthError, AuthMethod, AuthOptions, AuthUi, DEFAULT_PUBLIC_CLIENT_ID,
    DeviceCodePrompt, TokenProvider, claims, expires_soon,
};
use crate::graph::Endpoints;
use crate::secret::Secret;

const METHOD: &str = "device-code";

/// The tenant used when none is configured: any work or school account.
pub const DEFAULT_TENANT: &str = "organizations";

type Client = BasicClient<EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// An HTTP failure inside the oauth2 adapter.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpFailure(String);

type HttpFuture = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpFailure>> + Send>>;

/// The oauth2 ↔ reqwest 0.13 adapter: oauth2 accepts any async function from request to response.
pub fn http_client(client: &reqwest::Client) -> impl Fn(oauth2::HttpRequest) -> HttpFuture + '_ {
    move |req| {
        let client = client.clone();
        Box::pin(async move {
            let req = reqwest::Request::try_from(req).map_err(|e| HttpFailure(e.to_string()))?;
            let resp = client
                .execute(req)
                .await
                .map_err(|e| HttpFailure(e.without_url().to_string()))?;
            let mut b = http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                b = b.header(k, v);
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| HttpFailure(e.without_url().to_string()))?;
            b.body(body.to_vec())
                .map_err(|e| HttpFailure(e.to_string()))
        })
    }
}

/// Device-code sign-in with a cached, silently refreshed login.
#[derive(Debug)]
pub struct DeviceCodeProvider {
    http: reqwest::Client,
    client: Client,
    profile: String,
    authority: String,
    tenant: String,
    client_id: String,
    /// The Graph resource (`https://graph.microsoft.com`), from the cloud's `.default` scope.
    resource: String,
    /// The delegated permissions a sign-in asks for (empty: `.default`).
    needed: Vec<String>,
    /// Those without which this run cannot work: a cached login lacking one is renewed for it.
    required: Vec<String>,
    store: Arc<dyn TokenStore>,
    ui: Arc<dyn AuthUi>,
    interactive: bool,
    state: Mutex<Option<CachedLogin>>,
}

/// The tenant for device code: `--tenant`, then the profile, else `organizations`.
fn tenant_of(opts: &AuthOptions) -> String {
    opts.tenant().unwrap_or_else(|| DEFAULT_TENANT.to_owned())
}

fn client_id_of(opts: &AuthOptions) -> String {
    opts.client_id()
        .unwrap_or_else(|| DEFAULT_PUBLIC_CLIENT_ID.to_owned())
}

/// The cache key of the login `opts` would use.
pub fn cache_key(opts: &AuthOptions, endpoints: &Endpoints) -> CacheKey {
    CacheKey::new(
        opts.profile_name(),
        endpoints.login.as_str(),
        &tenant_of(opts),
        &client_id_of(opts),
    )
}

/// True when a login for `opts` is in the cache (errors count as no).
pub fn has_cached_login(opts: &AuthOptions, endpoints: &Endpoints) -> bool {
    // Only looking: no notice about where tokens would be kept.
    let Ok(store) = default_store(&opts.env, false, None) else {
        return false;
    };
    matches!(store.load(&cache_key(opts, endpoints)), Ok(Some(_)))
}

impl DeviceCodeProvider {
    /// A provider for `opts`. With `interactive` false it never prompts: without a usable cached
    /// login it fails and says to run `provctl login`. `--auth device-code` (or a profile saying
    /// so) makes it interactive.
    pub fn new(
        opts: &AuthOptions,
        http: &reqwest::Client,
        endpoints: &Endpoints,
        interactive: bool,
    ) -> Result<Self, AuthError> {
        let ui = opts.ui();
        let store = default_store(&opts.env, opts.no_cache, Some(ui.as_ref()))?;
        Self::with_store(opts, http, endpoints, interactive, store)
    }

    /// Like [`DeviceCodeProvider::new`] with a chosen store.
    pub fn with_store(
        opts: &AuthOptions,
        http: &reqwest::Client,
        endpoints: &Endpoints,
        interactive: bool,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, AuthError> {
        let tenant = tenant_of(opts);
        let client_id = client_id_of(opts);
        let base = endpoints.login.as_str().trim_end_matches('/').to_owned();
        let bad = |e: url::ParseError| {
            AuthError::NotConfigured(format!("tenant '{tenant}' does not make a valid URL: {e}"))
        };
        let client = BasicClient::new(ClientId::new(client_id.clone()))
            .set_device_authorization_url(
                DeviceAuthorizationUrl::new(format!("{base}/{tenant}/oauth2/v2.0/devicecode"))
                    .map_err(bad)?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{base}/{tenant}/oauth2/v2.0/token")).map_err(bad)?,
            );
        let interactive = interactive
            || opts.method == Some(AuthMethod::DeviceCode)
            || opts.profile.as_ref().and_then(|p| p.auth) == Some(AuthMethod::DeviceCode);
        Ok(DeviceCodeProvider {
            http: http.clone(),
            client,
            profile: opts.profile_name().to_owned(),
            authority: endpoints.login.as_str().to_owned(),
            tenant,
            client_id,
            resource: endpoints
                .scope
                .trim_end_matches("/.default")
                .trim_end_matches('/')
                .to_owned(),
            needed: opts.scopes.clone(),
            required: opts.required_scopes.clone(),
            store,
            ui: opts.ui(),
            interactive,
            state: Mutex::new(None),
        })
    }

    fn key(&self) -> CacheKey {
        CacheKey::new(
            &self.profile,
            &self.authority,
            &self.tenant,
            &self.client_id,
        )
    }

    /// Where logins are kept (for `login` and `logout` messages).
    pub fn store_description(&self) -> String {
        self.store.describe()
    }

    /// Runs the device-code flow now (prompting through the UI), caches and returns the login.
    pub async fn login(&self) -> Result<CachedLogin, AuthError> {
        let mut state = self.state.lock().await;
        let login = self.device_flow(None).await?;
        self.store.save(&login)?;
        *state = Some(login.clone());
        Ok(login)
    }

    /// Removes this profile's cached logins (all tenants when `tenant` is `None`).
    pub async fn logout(&self, tenant: Option<&str>) -> Result<Vec<CachedLogin>, AuthError> {
        *self.state.lock().await = None;
        self.store.remove(&self.profile, tenant)
    }

    /// The scopes to ask for: each permission on the cloud's Graph resource, or `.default` when
    /// none is named, plus `offline_access` for the refresh token.
    fn request_scopes(&self, permissions: &[String]) -> Vec<Scope> {
        let mut out: Vec<Scope> = if permissions.is_empty() {
            vec![Scope::new(format!("{}/.default", self.resource))]
        } else {
            permissions
                .iter()
                .map(|p| Scope::new(format!("{}/{p}", self.resource)))
                .collect()
        };
        out.push(Scope::new("offline_access".to_owned()));
        out
    }

    /// What the sign-in asked for, in words, for error messages.
    fn asked_for(permissions: &[String]) -> String {
        if permissions.is_empty() {
            ".default".to_owned()
        } else {
            permissions.join(" ")
        }
    }

    /// Signs in with a device code; `claims` (a Conditional Access claims challenge) goes with
    /// the request, so the sign-in satisfies it.
    async fn device_flow(&self, claims: Option<&str>) -> Result<CachedLogin, AuthError> {
        let hc = http_client(&self.http);
        let asked = Self::asked_for(&self.needed);
        let mut request = self
            .client
            .exchange_device_code()
            .add_scopes(self.request_scopes(&self.needed));
        if let Some(c) = claims {
            request = request.add_extra_param("claims", c);
        }
        let details: StandardDeviceAuthorizationResponse = request
            .request_async(&hc)
            .await
            .map_err(|e| basic_error(e, &format!("starting device-code sign-in for {asked}")))?;
        self.ui.device_code(&DeviceCodePrompt {
            verification_uri: details.verification_uri().to_string(),
            user_code: details.user_code().secret().clone(),
            expires_in: details.expires_in().as_secs(),
        });
        let token = self
            .client
            .exchange_device_access_token(&details)
            .request_async(&hc, tokio::time::sleep, None)
            .await
            .map_err(|e| device_error(e, &asked))?;
        Ok(self.to_login(&token, None))
    }

    fn to_login(
        &self,
        token: &oauth2::basic::BasicTokenResponse,
        previous: Option<&CachedLogin>,
    ) -> CachedLogin {
        let access_token = Secret::new(token.access_token().secret().clone());
        let claims = claims::decode(&access_token).ok();
        let expires_on = token
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d)
            .or_else(|| claims.as_ref().and_then(|c| c.expires_on))
            .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(60));
        CachedLogin {
            profile: self.profile.clone(),
            authority: self.authority.clone(),
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            access_token,
            expires_on,
            // Entra may or may not rotate the refresh token: keep the old one when it does not.
            refresh_token: token
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone()))
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            scopes: granted_scopes(token, claims.as_ref()),
            account: claims
                .and_then(|c| c.user)
                .or_else(|| previous.and_then(|p| p.account.clone())),
        }
    }

    /// Renews `login` with its refresh token, for the permissions it holds plus those this run
    /// needs (Entra grants any that were consented, and answers AADSTS65001 for one that was not).
    /// With `claims` (a Conditional Access claims challenge), the request carries it.
    async fn redeem(
        &self,
        login: &CachedLogin,
        claims: Option<&str>,
    ) -> Result<CachedLogin, AuthError> {
        let Some(rt) = &login.refresh_token else {
            return Err(AuthError::Rejected {
                method: METHOD.to_owned(),
                message: "the cached sign-in has no refresh token and its access token expired"
                    .to_owned(),
                aadsts: None,
            });
        };
        let hc = http_client(&self.http);
        let rt = RefreshToken::new(rt.expose().to_owned());
        let mut wanted = login.scopes.clone();
        if !self.required.is_empty() {
            for n in &self.required {
                if !wanted.iter().any(|w| w.eq_ignore_ascii_case(n)) {
                    wanted.push(n.clone());
                }
            }
        }
        let mut request = self
            .client
            .exchange_refresh_token(&rt)
            .add_scopes(self.request_scopes(&wanted));
        if let Some(c) = claims {
            request = request.add_extra_param("claims", c);
        }
        let token = request.request_async(&hc).await.map_err(|e| {
            basic_error(
                e,
                &format!("renewing the sign-in for {}", Self::asked_for(&wanted)),
            )
        })?;
        let fresh = self.to_login(&token, Some(login));
        self.store.save(&fresh)?;
        Ok(fresh)
    }

    /// The current login, renewed or (when interactive) signed in again as needed.
    async fn current(
        &self,
        state: &mut Option<CachedLogin>,
        force_refresh: bool,
    ) -> Result<CachedLogin, AuthError> {
        if state.is_none() {
            *state = self.store.load(&self.key())?;
        }
        let now = Utc::now();
        match state.clone() {
            Some(l) if !force_refresh && !expiring(&l, now) && l.covers(&self.required) => Ok(l),
            Some(l) => match self.redeem(&l, None).await {
                Ok(fresh) => {
                    *state = Some(fresh.clone());
                    Ok(fresh)
                }
                Err(e) if self.interactive && matches!(e, AuthError::Rejected { .. }) => {
                    tracing::debug!("refresh failed ({e}); signing in again");
                    self.sign_in(state).await
                }
                Err(e) => Err(e),
            },
            None if self.interactive => self.sign_in(state).await,
            None => Err(AuthError::NotConfigured(format!(
                "not signed in for profile '{}' (tenant {}): run `provctl login`",
                self.profile, self.tenant
            ))),
        }
    }

    async fn sign_in(&self, state: &mut Option<CachedLogin>) -> Result<CachedLogin, AuthError> {
        let login = self.device_flow(None).await?;
        self.store.save(&login)?;
        *state = Some(login.clone());
        Ok(login)
    }
}

/// The delegated permissions a token answer granted: its `scope` (resource prefixes dropped,
/// `offline_access` and the OpenID scopes left out), else the token's `scp` claim.
fn granted_scopes(
    token: &oauth2::basic::BasicTokenResponse,
    claims: Option<&claims::TokenClaims>,
) -> Vec<String> {
    let from_answer: Vec<String> = token
        .scopes()
        .map(|list| {
            list.iter()
                .flat_map(|s| s.as_str().split_whitespace())
                .map(|s| s.rsplit_once('/').map_or(s, |(_, p)| p))
                .filter(|p| {
                    !matches!(
                        p.to_ascii_lowercase().as_str(),
                        "offline_access" | "openid" | "profile" | "email" | ".default"
                    )
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if from_answer.is_empty() {
        claims.map(|c| c.scopes.clone()).unwrap_or_default()
    } else {
        from_answer
    }
}

fn expiring(l: &CachedLogin, now: DateTime<Utc>) -> bool {
    expires_soon(
        &AccessToken {
            token: Secret::default(),
            expires_on: Some(l.expires_on),
        },
        now,
    )
}

fn to_access_token(l: &CachedLogin) -> AccessToken {
    AccessToken {
        token: l.access_token.clone(),
        expires_on: Some(l.expires_on),
    }
}

#[async_trait]
impl TokenProvider for DeviceCodeProvider {
    async fn token(&self, _scopes: &[&str]) -> Result<AccessToken, AuthError> {
        let mut state = self.state.lock().await;
        self.current(&mut state, false)
            .await
            .map(|l| to_access_token(&l))
    }

    async fn refresh(
        &self,
        _scopes: &[&str],
        rejected: &AccessToken,
    ) -> Result<Option<AccessToken>, AuthError> {
        let mut state = self.state.lock().await;
        // Another task may already have renewed it.
        if let Some(l) = state.as_ref()
            && l.access_token != rejected.token
        {
            return Ok(Some(to_access_token(l)));
        }
        self.current(&mut state, true)
            .await
            .map(|l| Some(to_access_token(&l)))
    }

    async fn claims_challenge(
        &self,
        _scopes: &[&str],
        claims: &str,
    ) -> Result<Option<AccessToken>, AuthError> {
        let mut state = self.state.lock().await;
        if state.is_none() {
            *state = self.store.load(&self.key())?;
        }
        let renewed = match state.clone() {
            Some(l) => self.redeem(&l, Some(claims)).await,
            None => Err(AuthError::NotConfigured(format!(
                "not signed in for profile '{}' (tenant {}): run `provctl login`",
                self.profile, self.tenant
            ))),
        };
        let login = match renewed {
            Ok(l) => l,
            // The refresh token cannot satisfy it (MFA, a compliant device): sign in again with
            // the claims when a person is there to do it.
            Err(e) if self.interactive && !matches!(e, AuthError::Unavailable { .. }) => {
                tracing::debug!("claims challenge: renewing failed ({e}); signing in again");
                let login = self.device_flow(Some(claims)).await?;
                self.store.save(&login)?;
                login
            }
            Err(e) => return Err(e),
        };
        *state = Some(login.clone());
        Ok(Some(to_access_token(&login)))
    }

    fn method(&self) -> &str {
        METHOD
    }
}

fn rejected(context: &str, code: &str, description: Option<&str>) -> AuthError {
    let description = description.unwrap_or("");
    AuthError::Rejected {
        method: METHOD.to_owned(),
        message: format!("{context}: {code}: {description}")
            .trim_end_matches([' ', ':'])
            .to_owned(),
        aadsts: find_aadsts(description),
    }
}

fn basic_error(e: RequestTokenError<HttpFailure, BasicErrorResponse>, context: &str) -> AuthError {
    match e {
        RequestTokenError::ServerResponse(r) => rejected(
            context,
            r.error().as_ref(),
            r.error_description().map(String::as_str),
        ),
        RequestTokenError::Request(e) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: {e}"),
        },
        RequestTokenError::Parse(e, _) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: unexpected answer from the token endpoint: {e}"),
        },
        RequestTokenError::Other(m) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: {m}"),
        },
    }
}

fn device_error(
    e: RequestTokenError<HttpFailure, DeviceCodeErrorResponse>,
    asked: &str,
) -> AuthError {
    let context = &format!("waiting for device-code sign-in for {asked}");
    match e {
        RequestTokenError::ServerResponse(r) => {
            let what = match r.error() {
                DeviceCodeErrorResponseType::ExpiredToken => {
                    "the code expired before sign-in finished; run `provctl login` again"
                }
                DeviceCodeErrorResponseType::AccessDenied => "sign-in was declined",
                _ => "",
            };
            let desc = r.error_description().map(String::as_str).unwrap_or(what);
            rejected(context, r.error().as_ref(), Some(desc))
        }
        RequestTokenError::Request(e) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: {e}"),
        },
        RequestTokenError::Parse(e, _) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: unexpected answer from the token endpoint: {e}"),
        },
        RequestTokenError::Other(m) => AuthError::Unavailable {
            method: METHOD.to_owned(),
            message: format!("{context}: {m}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::EnvVars;
    use crate::graph::auth::cache::MemoryStore;
    use crate::graph::{Cloud, Endpoints};
    use serde_json::json;
    use std::sync::Mutex as StdMutex;
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[derive(Debug, Default)]
    struct RecordingUi(StdMutex<Vec<DeviceCodePrompt>>);

    impl AuthUi for RecordingUi {
        fn device_code(&self, prompt: &DeviceCodePrompt) {
            self.0.lock().unwrap().push(prompt.clone());
        }
        fn notice(&self, _message: &str) {}
    }

    fn endpoints(server: &MockServer) -> Endpoints {
        Endpoints::custom(&server.uri(), Some(&server.uri()), Cloud::Global).unwrap()
    }

    fn token_body(at: &str, rt: &str, expires_in: i64) -> serde_json::Value {
        json!({"token_type":"Bearer","access_token":at,"refresh_token":rt,"expires_in":expires_in,
               "scope":"https://graph.microsoft.com/.default offline_access"})
    }

    fn provider(
        server: &MockServer,
        ui: Arc<RecordingUi>,
        store: Arc<dyn TokenStore>,
    ) -> DeviceCodeProvider {
        let opts = AuthOptions {
            tenant: Some("contoso.com".into()),
            env: EnvVars::default(),
            ui: Some(ui),
            method: Some(AuthMethod::DeviceCode),
            ..AuthOptions::default()
        };
        DeviceCodeProvider::with_store(
            &opts,
            &reqwest::Client::new(),
            &endpoints(server),
            false,
            store,
        )
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn device_code_waits_for_approval_then_refreshes_without_a_prompt() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/contoso.com/oauth2/v2.0/devicecode"))
            .and(body_string_contains("offline_access"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "device_code":"dc-1","user_code":"ABCD-EFGH",
                "verification_uri":"https://microsoft.com/devicelogin",
                "expires_in":900,"interval":5,"message":"To sign in..."})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/contoso.com/oauth2/v2.0/token"))
            .and(body_string_contains("device_code=dc-1"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error":"authorization_pending",
                "error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending."})))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/contoso.com/oauth2/v2.0/token"))
            .and(body_string_contains("device_code=dc-1"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(token_body("at-1", "rt-1", 3600)),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/contoso.com/oauth2/v2.0/token"))
            .and(body_string_contains("grant_type=refresh_token"))
            .and(body_string_contains("refresh_token=rt-1"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(token_body("at-2", "rt-2", 3600)),
            )
            .expect(1)
            .mount(&server)
            .await;

        let ui = Arc::new(RecordingUi::default());
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
        let p = provider(&server, ui.clone(), store.clone());
        let t = p.token(&[]).await.unwrap();
        assert_eq!(t.token.expose(), "at-1");
        let prompts = ui.0.lock().unwrap().clone();
        assert_eq!(prompts.len(), 1);
        assert_eq!(prompts[0].user_code, "ABCD-EFGH");

        // Cached: no new request.
        assert_eq!(p.token(&[]).await.unwrap().token.expose(), "at-1");

        // Pretend the token is about to expire: it is renewed with the refresh token, silently.
        {
            let mut s = p.state.lock().await;
            if let Some(l) = s.as_mut() {
                l.expires_on = Utc::now() + chrono::Duration::minutes(2);
            }
        }
        assert_eq!(p.token(&[]).await.unwrap().token.expose(), "at-2");
        assert_eq!(ui.0.lock().unwrap().len(), 1, "no second prompt");
        let saved = store.load(&p.key()).unwrap().unwrap();
        assert_eq!(saved.refresh_token.unwrap().expose(), "rt-2");
    }

    #[tokio::test]
    async fn a_401_refreshes_once_and_an_expired_refresh_token_says_to_log_in() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/contoso.com/oauth2/v2.0/token"))
            .and(body_string_contains("refresh_token=rt-old"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error":"invalid_grant",
                "error_description":"AADSTS700082: The refresh token has expired due to inactivity.",
                "error_codes":[700082]})))
            .expect(1)
            .mount(&server)
            .await;
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
        let ui = Arc::new(RecordingUi::default());
        let mut p = provider(&server, ui.clone(), store.clone());
        p.interactive = false;
        store
            .save(&CachedLogin {
                profile: "default".into(),
                authority: p.authority.clone(),
                tenant: "contoso.com".into(),
                client_id: DEFAULT_PUBLIC_CLIENT_ID.into(),
                access_token: Secret::new("at-old"),
                expires_on: Utc::now() + chrono::Duration::hours(1),
                refresh_token: Some(Secret::new("rt-old")),
                account: None,
                scopes: Vec::new(),
            })
            .unwrap();
        let t = p.token(&[]).await.unwrap();
        assert_eq!(t.token.expose(), "at-old");
        let err = p.refresh(&[], &t).await.unwrap_err();
        match &err {
            AuthError::Rejected { aadsts, .. } => {
                assert_eq!(aadsts.as_deref(), Some("AADSTS700082"))
            }
            other => panic!("{other:?}"),
        }
        let (msg, hints) = crate::diagnose::explain_auth_error(&err);
        assert!(
            format!("{msg} {}", hints.join(" ")).contains("provctl login"),
            "{msg} {hints:?}"
        );
        assert!(ui.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn without_a_cached_login_a_non_interactive_provider_says_to_log_in() {
        let server = MockServer::start().await;
        let mut p = provider(
            &server,
            Arc::new(RecordingUi::default()),
            Arc::new(MemoryStore::default()),
        );
        p.interactive = false;
        let err = p.token(&[]).await.unwrap_err().to_string();
        assert!(err.contains("provctl login"), "{err}");
    }
}
