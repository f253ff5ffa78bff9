//! What the handlers share: one [`AppState`] per tenant served (its documents, tokens, request log,
//! throttling budget, faults, pending device codes and refresh tokens, and its router), and how a
//! tenant is loaded from its [`TenantSource`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::Value;

use super::routes::build_router;
use crate::sim::faults::{FaultSpec, FaultState};
use crate::sim::tenant::{Tenant, doc_id};
use crate::sim::throttle::Throttle;
use crate::sim::tokens::{TokenSpec, TokenStore, UserInfo};
use crate::sim::{DemoApp, RequestRecord, SimConfig, SimError, TenantSource};

/// Lock a mutex, surviving poisoning (a panicked handler must not take the emulator down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A device code waiting for approval.
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Authentication contexts a claims request asked for.
    pub acrs: Vec<String>,
    pub offline: bool,
    pub polls: u32,
    pub expires: chrono::DateTime<chrono::Utc>,
}

/// What a refresh token stands for.
#[derive(Clone)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Authentication contexts the sign-in satisfied; a claims request adds to them.
    pub acrs: Vec<String>,
    pub user_index: usize,
    pub expires: chrono::DateTime<chrono::Utc>,
}

/// Everything the handlers share.
pub(crate) struct AppState {
    pub tenant: Mutex<Tenant>,
    pub tokens: Mutex<TokenStore>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub throttle: Throttle,
    pub faults: Mutex<FaultState>,
    pub cycle: Duration,
    pub token_lifetime: Duration,
    pub device_code_polls: u32,
    pub device_codes: Mutex<HashMap<String, DeviceGrant>>,
    pub refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
    /// The router, for `$batch` items; cleared at shutdown to break the state ↔ router cycle.
    pub router: Mutex<Option<Router>>,
    pub tenant_id: String,
    /// Log paging tokens carry the generation they were issued in; older ones are refused as
    /// expired (Graph documents that a `$skiptoken` can expire).
    pub link_generation: std::sync::atomic::AtomicU64,
}

pub(crate) type St = Arc<AppState>;

impl AppState {
    pub fn demo_app(&self) -> DemoApp {
        let t = lock(&self.tenant);
        t.apps
            .iter()
            .find(|a| a.client_secret.is_some())
            .map(|a| DemoApp {
                client_id: a.client_id.clone(),
                client_secret: a.client_secret.clone().unwrap_or_default(),
            })
            .unwrap_or(DemoApp {
                client_id: String::new(),
                client_secret: String::new(),
            })
    }

    /// The first user's name and delegated scopes.
    pub fn first_user(&self) -> Option<(String, Vec<String>)> {
        let t = lock(&self.tenant);
        t.users.first().map(|u| (u.upn.clone(), u.scopes.clone()))
    }

    pub fn issue_token(&self, spec: &TokenSpec) -> String {
        let (client_id, roles, scopes, upn, lifetime) = match spec {
            TokenSpec::App {
                client_id,
                roles,
                lifetime,
            } => (client_id, Some(roles), None, None, lifetime),
            TokenSpec::Delegated {
                client_id,
                scopes,
                upn,
                lifetime,
            } => (client_id, None, Some(scopes), Some(upn), lifetime),
        };
        // A delegated token names the tenant's user of that name (a made-up one otherwise).
        let oid = upn.map(|upn| {
            lock(&self.tenant)
                .users
                .iter()
                .find(|u| u.upn.eq_ignore_ascii_case(upn))
                .map(|u| u.id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
        });
        let user = upn.zip(oid.as_deref()).map(|(upn, oid)| UserInfo {
            upn,
            name: upn,
            oid,
            acrs: &[],
        });
        lock(&self.tokens)
            .mint(
                &self.tenant_id,
                client_id,
                "provctl test app",
                client_id,
                roles.map(Vec::as_slice),
                scopes.map(Vec::as_slice),
                user,
                *lifetime,
            )
            .0
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }
    pub fn clear_requests(&self) {
        lock(&self.requests).clear()
    }
    pub fn job_doc(&self, sp_id: &str, job_id: &str) -> Option<Value> {
        let now = chrono::Utc::now();
        let mut t = lock(&self.tenant);
        let index = t
            .sp(sp_id)?
            .jobs
            .iter()
            .position(|j| doc_id(&j.doc) == job_id)?;
        crate::sim::jobs::advance_job(&mut t, sp_id, index, now, self.cycle);
        t.sp(sp_id)?.jobs.get(index).map(|j| j.doc.clone())
    }
    pub fn service_principals_with_jobs(&self) -> Vec<String> {
        lock(&self.tenant)
            .service_principals
            .iter()
            .filter(|s| !s.jobs.is_empty())
            .map(|s| doc_id(&s.doc).to_string())
            .collect()
    }
    pub fn set_faults(&self, faults: FaultSpec) {
        *lock(&self.faults) = FaultState::new(faults);
    }
    pub fn expire_page_links(&self) {
        self.link_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The tenant a source describes, its `$now` times resolved against the clock.
pub(crate) fn load_tenant(source: &TenantSource) -> Result<Tenant, SimError> {
    let now = chrono::Utc::now();
    match source {
        TenantSource::Demo => crate::sim::demo::tenant(now),
        TenantSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: format!("not valid JSON: {e}"),
            })?;
            crate::sim::tenant::from_json(v, now).map_err(|e| SimError::TenantFile {
                path: path.clone(),
                message: e.to_string(),
            })
        }
        TenantSource::Generate(spec) => crate::sim::tenant::generated(spec, now),
    }
}

/// One tenant's state with its router installed: its own tokens, request log, throttling budget
/// and faults.
pub(crate) fn tenant_state(config: &SimConfig, tenant: Tenant) -> St {
    let state: St = Arc::new(AppState {
        tenant_id: tenant.tenant_id.clone(),
        tenant: Mutex::new(tenant),
        tokens: Mutex::new(TokenStore::default()),
        requests: Mutex::new(Vec::new()),
        throttle: Throttle::new(config.throttle.clone()),
        faults: Mutex::new(FaultState::new(config.faults.clone())),
        cycle: config.cycle,
        token_lifetime: config.token_lifetime,
        device_code_polls: config.device_code_polls,
        device_codes: Mutex::new(HashMap::new()),
        refresh_tokens: Mutex::new(HashMap::new()),
        router: Mutex::new(None),
        link_generation: std::sync::atomic::AtomicU64::new(0),
    });
    *lock(&state.router) = Some(build_router(&state));
    state
}
