//! The Graph emulator: an axum server that answers like Microsoft Graph and the Entra login host for
//! the provisioning APIs provctl uses, so every test, benchmark and demo runs against one faithful
//! stand-in. It stores and serves `serde_json::Value` documents (never the client's models), keeps
//! state (restart lifts quarantines, pause/start change status), runs simulated provisioning cycles
//! computed lazily from elapsed time, and can throttle and inject faults.
//!
//! # Starting it
//! ```no_run
//! # async fn demo() -> Result<(), provctl::sim::SimError> {
//! let sim = provctl::sim::Sim::start(provctl::sim::SimConfig::for_tests()).await?;
//! println!("Graph at {}v1.0/, CA:\n{}", sim.base_url(), sim.ca_pem());
//! # Ok(()) }
//! ```
//!
//! # Routes
//! Graph (`{base}v1.0/...` and `{base}beta/...`): `servicePrincipals` (list with `$filter`
//! `eq`/`startswith` on `applicationTemplateId`/`displayName`, `$select`, `$top`, paging), one
//! service principal, `synchronization/jobs` (list, get, `start`, `pause`, `restart`,
//! `provisionOnDemand`, `validateCredentials`, `schema`, `schema/filterOperators`),
//! `synchronization/secrets` (GET/PUT), `appRoleAssignedTo`, `users/{id}` and `groups/{id}` (with
//! `$select`), `directoryObjects/{id}/checkMemberGroups`,
//! `auditLogs/provisioning` (`$filter`, `$orderby`, `$top`, `$skiptoken`),
//! `directory/onPremisesSynchronization`, beta `onPremisesPublishingProfiles/provisioning/...`,
//! and `$batch`. Login: `POST {base}{tenant}/oauth2/v2.0/token` and `.../devicecode`. Managed
//! identity: `GET {base}metadata/identity/oauth2/token` (IMDS, header `Metadata: true`),
//! `GET {base}msi/token` (App Service, header `X-IDENTITY-HEADER`, api-version 2019-08-01) and
//! `POST {base}oauth2/token` (Azure Cloud Shell's `MSI_ENDPOINT`, form `resource=…`, header
//! `Metadata: true`: a delegated token of the first user, as Cloud Shell answers for the user
//! signed in to the portal).
//!
//! # Tenant file format
//! A JSON object; every string of the form `$now`, `$now-3d`, `$now+2h`, `$now-90m`, `$now-15s`
//! is replaced at load by that instant (UTC, `YYYY-MM-DDTHH:MM:SSZ`), so a tenant always looks current.
//! ```json
//! {
//!   "tenantId": "guid", "domains": ["contoso.onmicrosoft.com"],
//!   "apps": [{"clientId": "guid", "clientSecret": "s3cret", "displayName": "provctl demo",
//!             "roles": ["Synchronization.ReadWrite.All", "..."], "publicClient": true,
//!             "certificates": ["-----BEGIN CERTIFICATE-----\n..."]}],   // for client assertions (x5t/x5t#S256 + RS256/PS256)
//!   "users": [{"id": "guid", "userPrincipalName": "admin@contoso.com", "displayName": "Admin",
//!              "scopes": ["Synchronization.ReadWrite.All", "..."]}],
//!   "managedIdentity": {"clientId": "guid", "principalId": "guid", "roles": ["..."], "identityHeader": "secret"},
//!   "directory": {"users": [ <user documents> ],
//!                 "groups": [ <group documents, plus "members": ["user or group id", ...]> ]},
//!   "servicePrincipals": [{ "id": "guid", "appId": "guid", "displayName": "...", "applicationTemplateId": "...",
//!       "appRoleAssignedTo": [{"principalId": "guid", "principalType": "User|Group", "principalDisplayName": "..."}],
//!       "synchronization": {
//!         "secrets": [{"key": "BaseAddress", "value": "..."}],
//!         "jobs": [{ "job": { <synchronizationJob document as GET returns it> },
//!                    "script": [ {"result": "succeed"}, {"result": "entryLevelErrors", "escrowed": 3},
//!                                {"result": "quarantine", "reason": "EncounteredQuarantineException",
//!                                 "error": {"code": "...", "message": "...", "tenantActionable": true}} ],
//!                    "credentialsValid": true,
//!                    "actionError": {"status": 409, "code": "...", "message": "..."},   // start/pause/restart answer it
//!                    "schema": { <synchronizationSchema document> } }] } }],
//!   "provisioningLogs": [ <provisioningObjectSummary documents (v1.0 shape)> ],
//!   "agents": [...], "agentGroups": [...], "publishedResources": [...],   // beta documents; links by id:
//!                         // agents[].agentGroupIds, agentGroups[].agentIds, publishedResources[].agentGroupIds
//!   "onPremisesSynchronization": { <onPremisesDirectorySynchronization document, beta shape> }
//! }
//! ```
//! `script` lists the outcomes of successive runs after start/restart (the last one repeats; none
//! = succeed). `actionError`, when present, is the Graph error every start, pause and restart of
//! that job answers (nothing changes), for a job Graph refuses to act on. `synchronization` and `appRoleAssignedTo` are not part of the served
//! servicePrincipal document.
//! A complete small example: `tests/fixtures/sim-tenant-minimal.json`.
//!
//! # Several tenants
//! [`SimConfig::extra_tenants`] serves more tenants on the same port, the way Graph serves every
//! tenant from one host: each has its own state, app registrations (credentials), tokens, request
//! log and throttling budget. A login request goes to the tenant its path names
//! (`/{tenant-id or domain}/oauth2/v2.0/token`); a Graph request to the tenant in its bearer
//! token's `tid` claim (a token minted by another tenant is then refused by that tenant's signature
//! check, like any foreign token). Requests naming no tenant go to the first one. Faults apply to
//! each tenant alike (`latency=50ms` delays every tenant's answers).
//!
//! # Behaviour worth knowing
//! - Jobs: `start`/`restart` begin a run; for one `cycle` the job shows `progress`, then the run
//!   completes with the next scripted outcome, writes a new `lastExecution` (its
//!   `activityIdentifier` is the `cycleId` of the log records the run appends). Reset scopes:
//!   `QuarantineState` lifts the quarantine now, `Escrows` zeroes `countEscrowed(Raw)`,
//!   `Watermark`/`ConnectorDataStore` make the run a full cycle (1200 units instead of 40),
//!   `ForceDeletes` releases a `TooManyDeletes` quarantine (without it the next run re-quarantines);
//!   an empty/omitted scope = Watermark+Escrows+QuarantineState. A re-quarantine continues the
//!   series (`seriesBegan` kept, `seriesCount` + 1, `nextAttempt` 6/12/24 h later).
//! - Tokens are JWT-shaped but signed with a random per-token signature the emulator remembers;
//!   a token from another emulator instance is refused (401 "Signature validation failed.").
//! - Throttling grants paced clients a small tolerance (min(150 ms, window/10)) for arrival jitter;
//!   refused requests do not consume budget.
//! - The device code response says `interval: 1` (Entra says 5) so tests poll quickly.
//! - Generated logs: record `i` (newest first) belongs to service principal `i % n`; time filters
//!   become an index range and `jobId eq`/`servicePrincipal/id eq` a stride.
//!
//! # Real shapes it serves (`tests/fixtures/real/README.md` cites each)
//! - provisionOnDemand on a cross-tenant synchronization job (template `Azure2Azure…`) answers with
//!   `key` = the type name `Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo`
//!   and `value` = a JSON array of records; other jobs answer with JSON-text `key`/`value`.
//! - GET `synchronization/secrets` returns `"*"` for stored credentials (`Password`, `SecretToken`,
//!   `ClientSecret`, OAuth tokens, ...), and PUT stores whatever it is given, `"*"` included.
//! - A job that never ran carries Graph's placeholder `lastExecution` (state `Failed`, `0001-01-01`
//!   times, error code `None`): the demo's Dropbox job.
//! - A user sign-in (device code, refresh token) asking for a delegated permission outside the
//!   user's `scopes` (what was consented for them) is refused with `invalid_grant` AADSTS65001 and
//!   `suberror` `consent_required`; the token answer's `scope` lists what was granted.
//! - `--faults claims-challenge=c1`: Graph answers 401 with `WWW-Authenticate: Bearer realm="",
//!   authorization_uri="…", error="insufficient_claims", claims="<base64>"` (Microsoft's documented
//!   shape) to every token without `acrs` `c1`; a device-code or refresh-token request with the
//!   `claims` parameter asking for `c1` gets a token that carries it. Client credentials never do.
//!
//! # Where it still differs from Graph
//! - Which secrets Graph masks is inferred (credentials masked, settings not); Graph's exact list is
//!   not documented.
//! - Consent is per user (`users[].scopes`), not per client application, and nobody is prompted:
//!   a permission outside the list is refused as if the user could not consent to it.
//! - Claims challenges come only from the `claims-challenge` fault, never from a policy, and the
//!   401's message text is the emulator's; the challenge is satisfied by the `claims` request
//!   alone (no MFA happens). Redirects are not produced. (`$batch` items run through the router
//!   one by one, so a token without the read permission gets per-item 403s.)
//! - Cloud Shell's endpoint is served on the emulator's port and path `oauth2/token`, not on
//!   `localhost:50342`, and answers only for the tenant's first user.
//! - Permissions: published resources are readable with `Policy.Read.HybridAuthentication` here, as
//!   `graph::permissions` lists; the real service may ask for more.
//! - Error envelopes always carry a message; Graph sometimes sends an empty one.
//! - How Graph logs the deletes a `TooManyDeletes` cycle held back is not documented: the demo's
//!   emea cycle logs each as a `delete` event with status `skipped` and a skipped export step.
//!
//! # The demo tenant
//! See [`demo`] for its ids, the known AD ObjectGuids and what each demonstrates.
//!
//! # Modules
//! | module | what it holds |
//! |---|---|
//! | `server` | the HTTP side: `state` (what handlers share, one state per tenant), `frame` (the middleware every request passes, Graph's error envelope, JSON answers), `authz` (token check, permissions, throttling budget), `routes` (the router, `$batch` dispatch), `listen` (HTTPS/HTTP listeners, tenant choice, fault injection, start/stop) |
//! | `auth` | login: token and device-code endpoints, managed identity (IMDS, App Service) |
//! | `jobs` | `synchronization/jobs` routes and secrets, and the lazily computed job simulation |
//! | `logs` | `auditLogs/provisioning`: filters, ordering, keyset paging |
//! | `directory` | `servicePrincipals`, beta agents/agent groups/published resources, `onPremisesSynchronization` |
//! | `objects` | users, groups, `appRoleAssignedTo`, `checkMemberGroups` (for scoping checks) |
//! | `batch` | JSON `$batch`, each item through the router; the body mangling of faults |
//! | `odata` | the `$filter` subset |
//! | `tenant` | the tenant's documents and job state; loading a tenant file |
//! | [`demo`] | the built-in demo tenant |
//! | `generate` | large generated tenants |
//! | `tokens` | JWT-shaped tokens and their validation |
//! | `throttle` | sliding-window budgets per endpoint family |
//! | `faults` | seeded fault injection |
//! | `tls` | the CA and server certificate generated at start |

#![warn(missing_docs)]

mod auth;
mod batch;
pub mod demo;
mod directory;
mod faults;
mod generate;
mod jobs;
mod logs;
mod objects;
mod odata;
mod server;
mod tenant;
mod throttle;
mod tls;
mod tokens;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use faults::FaultSpec;
pub use generate::GenerateSpec;
pub use throttle::{Budget, ThrottleConfig};
pub use tokens::TokenSpec;

/// Where the emulator's tenant comes from.
#[derive(Debug, Clone, Default)]
pub enum TenantSource {
    /// The built-in demo tenant (see [`demo`]).
    #[default]
    Demo,
    /// A tenant file (format in the module docs).
    File(PathBuf),
    /// A large generated tenant.
    Generate(GenerateSpec),
}

/// Everything that shapes one emulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The tenant to serve.
    pub tenant: TenantSource,
    /// HTTPS port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Also serve plain HTTP: `Some(0)` = a free port; `None` = no plain HTTP.
    pub http_port: Option<u16>,
    /// Length of one simulated provisioning cycle.
    pub cycle: Duration,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Device code flow: how many polls answer `authorization_pending` before approval.
    pub device_code_polls: u32,
    /// Per-tenant, per-endpoint-family request budgets.
    pub throttle: ThrottleConfig,
    /// Injected faults on Graph routes.
    pub faults: FaultSpec,
    /// More tenants served on the same port (see "Several tenants" above), each with its own
    /// state, credentials, tokens, request log and throttling budget.
    pub extra_tenants: Vec<TenantSource>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            tenant: TenantSource::Demo,
            port: 0,
            http_port: None,
            cycle: Duration::from_secs(2),
            token_lifetime: Duration::from_secs(3600),
            device_code_polls: 2,
            throttle: ThrottleConfig::default(),
            faults: FaultSpec::default(),
            extra_tenants: Vec::new(),
        }
    }
}

impl SimConfig {
    /// The demo tenant on random loopback ports (HTTPS and plain HTTP), with a ~100 ms cycle.
    pub fn for_tests() -> Self {
        Self {
            http_port: Some(0),
            cycle: Duration::from_millis(100),
            device_code_polls: 1,
            ..Self::default()
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The tenant file could not be read or parsed.
    #[error("tenant file {path}: {message}")]
    TenantFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The tenant document is not in the expected shape.
    #[error("tenant: {0}")]
    Tenant(String),
    /// A spec string (`--generate`, `--faults`, durations) is invalid.
    #[error("{0}")]
    Spec(String),
    /// Certificates could not be generated.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A socket could not be bound or served.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An app registration of the demo tenant holding every application permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoApp {
    /// Application (client) id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

/// One request the emulator received (including each `$batch` item).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path, percent-encoded as received.
    pub path: String,
    /// Raw query string (without `?`), if any.
    pub query: Option<String>,
    /// Request body as text (lossy UTF-8).
    pub body: String,
    /// Response status.
    pub status: u16,
    /// Request headers; the Authorization value is replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
}

/// Entry point.
pub struct Sim;

impl Sim {
    /// Load the tenant, generate the CA and server certificate, bind the sockets and serve.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        server::start(config).await
    }
}

/// A running emulator. Clones share it; [`SimHandle::shutdown`] (or dropping the last clone) stops it.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<server::Running>,
}

impl SimHandle {
    /// `https://127.0.0.1:PORT/`: Graph at `{base}v1.0/`, login at `{base}{tenant}/oauth2/v2.0/token`.
    pub fn base_url(&self) -> &url::Url {
        &self.inner.base_url
    }
    /// `http://127.0.0.1:PORT2/` when plain HTTP was asked for.
    pub fn http_base_url(&self) -> Option<&url::Url> {
        self.inner.http_base_url.as_ref()
    }
    /// PEM of the CA generated at start; the server certificate chains to it.
    pub fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }
    /// The tenant id (of the first tenant when several are served).
    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }
    /// The ids of every tenant served, the first one first.
    pub fn tenant_ids(&self) -> Vec<String> {
        self.inner
            .tenants
            .iter()
            .map(|st| st.tenant_id.clone())
            .collect()
    }
    /// The requests received by one tenant (by id), including its `$batch` items.
    pub fn tenant_requests(&self, tenant_id: &str) -> Vec<RequestRecord> {
        self.inner
            .tenants
            .iter()
            .find(|st| st.tenant_id.eq_ignore_ascii_case(tenant_id))
            .map(|st| st.requests())
            .unwrap_or_default()
    }
    /// The first app registration (all application permissions).
    pub fn demo_app(&self) -> DemoApp {
        self.inner.state.demo_app()
    }
    /// A delegated token of the tenant's first user (the demo admin: every delegated permission
    /// and role it holds), for the demo app, as the token endpoint would issue after a sign-in;
    /// `None` when the tenant has no user.
    pub fn user_token(&self) -> Option<String> {
        let (upn, scopes) = self.inner.state.first_user()?;
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let client_id = self.demo_app().client_id;
        Some(self.issue_token(TokenSpec::delegated(&client_id, &upn, &scopes)))
    }
    /// Mint a bearer token directly, as the token endpoint would.
    pub fn issue_token(&self, spec: TokenSpec) -> String {
        self.inner.state.issue_token(&spec)
    }
    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.state.requests()
    }
    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.inner.state.clear_requests()
    }
    /// The job document as `GET .../jobs/{job_id}` would return it now.
    pub fn job(&self, sp_id: &str, job_id: &str) -> Option<serde_json::Value> {
        self.inner.state.job_doc(sp_id, job_id)
    }
    /// Ids of the service principals that carry synchronization jobs, in tenant order.
    pub fn service_principals_with_jobs(&self) -> Vec<String> {
        self.inner.state.service_principals_with_jobs()
    }
    /// Replace the injected faults.
    pub fn set_faults(&self, faults: FaultSpec) {
        self.inner.state.set_faults(faults)
    }
    /// Expire every provisioning-log nextLink handed out so far: following one is answered 400
    /// "The $skiptoken is invalid or expired.", as Graph does for an expired `$skiptoken`.
    pub fn expire_page_links(&self) {
        self.inner.state.expire_page_links()
    }
    /// Stop serving and wait briefly for the servers to wind down.
    pub async fn shutdown(self) {
        self.inner.shutdown().await
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("base_url", &self.inner.base_url.as_str())
            .field("tenant_id", &self.inner.tenant_id)
            .finish()
    }
}

/// Parse `250ms`, `2s`, `1h`, `1m30s` (humantime syntax) with an error naming the value.
pub fn parse_duration(what: &str, value: &str) -> Result<Duration, SimError> {
    humantime::parse_duration(value).map_err(|e| {
        SimError::Spec(format!(
            "{what}: `{value}` is not a duration ({e}); use e.g. 250ms, 2s, 1h"
        ))
    })
}
