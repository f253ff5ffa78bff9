//! The listeners: HTTPS (and plain HTTP when asked) on loopback, both serving the [`Front`]
//! service, which picks the tenant a request is for, records the origin for nextLinks, injects the
//! configured faults and hands the request to that tenant's router; starting and stopping them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::frame::{InjectStatus, Origin};
use super::state::{St, load_tenant, lock, tenant_state};
use crate::sim::faults::Decision;
use crate::sim::{RequestRecord, SimConfig, SimError, SimHandle};

/// Whether a path is a login/managed-identity route (faults skip them unless asked).
fn is_login_path(path: &str) -> bool {
    path.contains("/oauth2/") || path.starts_with("/msi/")
}

/// The outermost service: picks the tenant, then scheme/origin, fault injection and that tenant's
/// router.
#[derive(Clone)]
struct Front {
    tenants: Arc<[St]>,
    scheme: &'static str,
}

/// The tenant a request is for. Login routes name it in the path (`/{tenant}/oauth2/...`, id or
/// domain); Graph routes carry it as the `tid` claim of the bearer token, as on Graph's one shared
/// host. Anything else (no token, `common`, managed identity) goes to the first tenant, whose
/// authorization then answers as it would for a foreign or missing token.
fn tenant_for<'a>(tenants: &'a [St], path: &str, headers: &HeaderMap) -> &'a St {
    let first = &tenants[0];
    if tenants.len() == 1 {
        return first;
    }
    let named = match path.trim_start_matches('/').split_once('/') {
        Some((seg, rest)) if rest.starts_with("oauth2/") => Some(seg.to_owned()),
        _ => bearer_tid(headers),
    };
    named
        .and_then(|name| {
            tenants.iter().find(|st| {
                st.tenant_id.eq_ignore_ascii_case(&name)
                    || lock(&st.tenant)
                        .domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(&name))
            })
        })
        .unwrap_or(first)
}

/// The `tid` claim of a bearer token, read without checking the signature (the chosen tenant's
/// authorization checks it).
fn bearer_tid(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_owned)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower::Service<axum::http::Request<B>> for Front
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = BoxError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, BoxError>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let st = tenant_for(&self.tenants, req.uri().path(), req.headers()).clone();
        let scheme = self.scheme;
        Box::pin(async move {
            let Some(router) = lock(&st.router).clone() else {
                return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
            };
            let mut req = req.map(Body::new);
            let authority = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
                .or_else(|| req.uri().authority().map(|a| a.to_string()))
                .unwrap_or_else(|| "127.0.0.1".into());
            req.extensions_mut()
                .insert(Origin(format!("{scheme}://{authority}")));
            let decision = {
                let mut f = lock(&st.faults);
                let applies = !f.spec.is_none()
                    && (f.spec.token_endpoint || !is_login_path(req.uri().path()));
                if applies {
                    f.decide()
                } else {
                    Decision::default()
                }
            };
            if !decision.delay.is_zero() {
                tokio::time::sleep(decision.delay).await;
            }
            if decision.drop {
                // Record it, then close the connection without answering.
                lock(&st.requests).push(RequestRecord {
                    method: req.method().to_string(),
                    path: req.uri().path().to_string(),
                    query: req.uri().query().map(str::to_string),
                    body: String::new(),
                    status: 0,
                    headers: Vec::new(),
                });
                return Err::<Response, BoxError>("fault injection: connection dropped".into());
            }
            if let Some(s) = decision.error_status {
                req.extensions_mut().insert(InjectStatus(s));
            }
            let resp = tower::ServiceExt::oneshot(router, req)
                .await
                .map_err(|e| -> BoxError { Box::new(e) })?;
            if decision.truncate || !decision.slow_body.is_zero() {
                return Ok(crate::sim::batch::mangle_body(
                    resp,
                    decision.truncate,
                    decision.slow_body,
                )
                .await);
            }
            Ok(resp)
        })
    }
}

/// A started emulator: addresses, CA and the server handles.
pub(crate) struct Running {
    pub base_url: url::Url,
    pub http_base_url: Option<url::Url>,
    pub ca_pem: String,
    pub tenant_id: String,
    pub state: St,
    /// Every tenant served, the first being `state`.
    pub tenants: Arc<[St]>,
    handles: Vec<axum_server::Handle<std::net::SocketAddr>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Running {
    pub async fn shutdown(&self) {
        for h in &self.handles {
            h.shutdown();
        }
        let tasks: Vec<_> = lock(&self.tasks).drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for h in &self.handles {
            h.shutdown();
        }
        for st in self.tenants.iter() {
            *lock(&st.router) = None;
        }
    }
}

/// The TLS settings of the HTTPS listener: the generated chain and key, HTTP/2 and HTTP/1.1.
fn rustls_config(
    tls: &crate::sim::tls::TlsMaterial,
) -> Result<Arc<rustls::ServerConfig>, SimError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| SimError::Tls(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())
        .map_err(|e| SimError::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A non-blocking listener on `127.0.0.1:port` (0: any free port) and the port it got.
fn loopback(port: u16) -> Result<(std::net::TcpListener, u16), SimError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    Ok((listener, port))
}

/// Runs a listener's serving loop as a task; a listener that stops on an error says so.
fn serving(
    what: &'static str,
    serve: impl std::future::Future<Output = std::io::Result<()>> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::warn!("emulator {what} server stopped: {e}");
        }
    })
}

/// Start serving; see [`crate::sim::Sim::start`].
pub(crate) async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let mut tenants: Vec<St> = Vec::with_capacity(1 + config.extra_tenants.len());
    for source in std::iter::once(&config.tenant).chain(&config.extra_tenants) {
        let tenant = load_tenant(source)?;
        if tenants
            .iter()
            .any(|st| st.tenant_id.eq_ignore_ascii_case(&tenant.tenant_id))
        {
            return Err(SimError::Tenant(format!(
                "two tenants have the id {}; each tenant served needs its own tenantId",
                tenant.tenant_id
            )));
        }
        tenants.push(tenant_state(&config, tenant));
    }
    let tenants: Arc<[St]> = tenants.into();
    let state = tenants[0].clone();
    let tenant_id = state.tenant_id.clone();
    let tls = crate::sim::tls::generate()?;

    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    let (listener, port) = loopback(config.port)?;
    let rustls = axum_server::tls_rustls::RustlsConfig::from_config(rustls_config(&tls)?);
    let handle = axum_server::Handle::new();
    // TCP_NODELAY, as HTTP servers commonly set: without it, small TLS/HTTP2 writes wait on the
    // client's delayed ACK (~40 ms stalls).
    let server = axum_server::from_tcp_rustls(listener, rustls)?
        .map(|tls| tls.acceptor(axum_server::accept::NoDelayAcceptor::new()))
        .handle(handle.clone());
    let front = Front {
        tenants: tenants.clone(),
        scheme: "https",
    };
    tasks.push(serving(
        "HTTPS",
        server.serve(tower::make::Shared::new(front)),
    ));
    handles.push(handle);

    let mut http_base_url = None;
    if let Some(http_port) = config.http_port {
        let (listener, port2) = loopback(http_port)?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp(listener)?
            .acceptor(axum_server::accept::NoDelayAcceptor::new())
            .handle(handle.clone());
        let front = Front {
            tenants: tenants.clone(),
            scheme: "http",
        };
        tasks.push(serving(
            "HTTP",
            server.serve(tower::make::Shared::new(front)),
        ));
        handles.push(handle);
        http_base_url = url::Url::parse(&format!("http://127.0.0.1:{port2}/")).ok();
    }
    let base_url = url::Url::parse(&format!("https://127.0.0.1:{port}/"))
        .map_err(|e| SimError::Tls(e.to_string()))?;
    Ok(SimHandle {
        inner: Arc::new(Running {
            base_url,
            http_base_url,
            ca_pem: tls.ca_pem,
            tenant_id,
            state,
            tenants,
            handles,
            tasks: Mutex::new(tasks),
        }),
    })
}
