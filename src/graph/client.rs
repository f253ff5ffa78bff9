//! The Graph client: one `reqwest::Client` (shared with token requests), the endpoints of one cloud or
//! test server, a token provider, retries and pacing. Every request carries a fresh
//! `client-request-id`; every failure becomes a [`GraphError`] that keeps Graph's identifiers.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::auth::{AccessToken, TokenProvider};
use super::pacing::{EndpointFamily, Pacer};
use super::retry::{self, Idempotency, RetryPolicy};
use super::{Cloud, Endpoints, GraphError, GraphPath, ServiceError};

pub use reqwest::Method;

/// The Graph API version a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `v1.0`: the stable API.
    #[default]
    V1,
    /// `beta`: needed for agents and some fields.
    Beta,
}

impl ApiVersion {
    /// The URL segment (`v1.0` or `beta`).
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Graph request, built before anything is sent (so `--dry-run` can show it exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphRequest {
    /// HTTP method.
    pub method: Method,
    /// API version.
    pub version: ApiVersion,
    /// Path below the version segment.
    pub path: GraphPath,
    /// Query parameters, in order (`$filter`, `$top`, ...), not yet encoded.
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// True for a POST that only reads (a `$batch` of GETs): retried as a GET is.
    pub read_only: bool,
}

impl GraphRequest {
    /// A request with the given method.
    pub fn new(method: Method, version: ApiVersion, path: GraphPath) -> Self {
        GraphRequest {
            method,
            version,
            path,
            query: Vec::new(),
            body: None,
            read_only: false,
        }
    }

    /// A GET request.
    pub fn get(version: ApiVersion, path: GraphPath) -> Self {
        GraphRequest::new(Method::GET, version, path)
    }

    /// A POST request (add a body with [`GraphRequest::body`]).
    pub fn post(version: ApiVersion, path: GraphPath) -> Self {
        GraphRequest::new(Method::POST, version, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The full URL against a Graph base URL (`https://graph.microsoft.com/`).
    pub fn url(&self, graph_base: &Url) -> Url {
        let mut s = String::with_capacity(128);
        s.push_str(graph_base.as_str());
        s.push_str(self.version.as_str());
        s.push('/');
        s.push_str(self.path.as_str());
        for (i, (k, v)) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.extend(percent_encoding::utf8_percent_encode(k, QUERY));
            s.push('=');
            s.extend(percent_encoding::utf8_percent_encode(v, QUERY));
        }
        // The parts are encoded above, so this cannot fail; fall back to the base for safety.
        Url::parse(&s).unwrap_or_else(|_| graph_base.clone())
    }

    /// The request as HTTP text, the way `--dry-run` shows it. The token is never shown.
    pub fn to_http_text(&self, graph_base: &Url) -> String {
        let mut out = format!(
            "{} {}\nAuthorization: Bearer (redacted)\n",
            self.method,
            self.url(graph_base)
        );
        if let Some(body) = &self.body {
            out.push_str("Content-Type: application/json\n\n");
            out.push_str(&serde_json::to_string_pretty(body).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// Marks a request that changes nothing (a `$batch` POST carrying only GETs), so it is
    /// retried on 5xx and dropped connections as a GET is.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    fn idempotency(&self) -> Idempotency {
        if self.read_only || self.method == Method::GET || self.method == Method::HEAD {
            Idempotency::Safe
        } else {
            Idempotency::Action
        }
    }
}

/// Query values: encode everything that could end a parameter, and spaces as `%20` (not `+`).
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A successful answer.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, fully read.
    pub body: Bytes,
    /// The URL that answered (without query), for error messages.
    pub url: String,
}

/// A successful answer whose body was read into the caller's buffer
/// ([`GraphClient::send_into`]).
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The URL that answered (without query), for error messages.
    pub url: String,
}

impl ResponseHead {
    /// The whole response, with its body.
    pub fn with_body(self, body: Vec<u8>) -> GraphResponse {
        GraphResponse {
            status: self.status,
            headers: self.headers,
            body: Bytes::from(body),
            url: self.url,
        }
    }
}

impl GraphResponse {
    /// Decodes the body as JSON; a mismatch names the JSON path of the field that broke.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        decode(&self.body, &self.url)
    }

    /// The `request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("request-id").and_then(|v| v.to_str().ok())
    }
}

/// Decodes JSON, reporting the path of the field that did not fit.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], url: &str) -> Result<T, GraphError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| GraphError::Decode {
        url: url.to_owned(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// What one client has sent: every HTTP attempt (retries included), the 429s among them, and the
/// attempts that failed (an error status or no answer). Shared by the client's clones, so a long
/// running caller (the exporter) can report its own traffic without wrapping the client.
#[derive(Debug, Default)]
pub struct GraphStats {
    requests: AtomicU64,
    throttled: AtomicU64,
    errors: AtomicU64,
}

impl GraphStats {
    /// HTTP requests sent (each retry counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Answers with status 429.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Attempts answered with a non-2xx status or lost to a transport error (429s included).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    fn count(&self, status: Option<u16>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            Some(200..=299) => {}
            Some(s) => {
                if s == 429 {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                }
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A Graph client. Cheap to clone; clones share the connection pool, token cache and pacing.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Endpoints,
    tokens: Option<Arc<dyn TokenProvider>>,
    retry: RetryPolicy,
    pacer: Pacer,
    stats: Arc<GraphStats>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph", &self.inner.endpoints.graph.as_str())
            .field(
                "auth",
                &self.inner.tokens.as_ref().map(|t| t.method().to_owned()),
            )
            .finish()
    }
}

/// Builds a [`GraphClient`].
#[derive(Default)]
pub struct GraphClientBuilder {
    endpoints: Option<Endpoints>,
    http: Option<reqwest::Client>,
    tokens: Option<Arc<dyn TokenProvider>>,
    retry: Option<RetryPolicy>,
    pacing: Option<bool>,
    pacer: Option<Pacer>,
}

impl GraphClientBuilder {
    /// Talk to a national cloud (default: global).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.endpoints = Some(Endpoints::for_cloud(cloud));
        self
    }

    /// Talk to custom endpoints (tests, the emulator).
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = Some(endpoints);
        self
    }

    /// Use this HTTP client (share it with the token provider); default: [`http_client`] with no extras.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Where bearer tokens come from. Without one, requests carry no `Authorization` header.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.tokens = Some(Arc::new(provider));
        self
    }

    /// Like [`GraphClientBuilder::token_provider`], for a shared provider.
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(provider);
        self
    }

    /// Retry settings (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Pace the throttled endpoint families to Graph's documented budgets (default: on).
    pub fn pacing(mut self, on: bool) -> Self {
        self.pacing = Some(on);
        self
    }

    /// Pace with explicit budgets instead of Graph's documented ones (`(requests, window)`).
    pub fn pacing_budgets(
        mut self,
        logs: Option<(usize, Duration)>,
        on_demand: Option<(usize, Duration)>,
    ) -> Self {
        self.pacer = Some(Pacer::custom(logs, on_demand));
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<GraphClient, GraphError> {
        let http = match self.http {
            Some(h) => h,
            None => http_client(&HttpOptions::default())?,
        };
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                endpoints: self
                    .endpoints
                    .unwrap_or_else(|| Endpoints::for_cloud(Cloud::Global)),
                tokens: self.tokens,
                retry: self.retry.unwrap_or_default(),
                pacer: match (self.pacer, self.pacing.unwrap_or(true)) {
                    (_, false) => Pacer::off(),
                    (Some(p), true) => p,
                    (None, true) => Pacer::documented(),
                },
                stats: Arc::default(),
            }),
        })
    }
}

/// Options for the one HTTP client a process uses.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Extra trusted root certificates, PEM (`--ca-file`, `PROVCTL_CA_FILE`, the emulator's CA).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// An explicit proxy URL (otherwise the system/`HTTPS_PROXY` settings apply).
    pub proxy: Option<String>,
    /// Per-request timeout (default 100 s, like Graph's own gateway timeout).
    pub timeout: Option<Duration>,
}

/// Builds the process's HTTP client: rustls, no redirects (token endpoints must not be redirected),
/// gzip, extra roots and proxy as asked.
pub fn http_client(opts: &HttpOptions) -> Result<reqwest::Client, GraphError> {
    http_client_with_env(opts, &|name| std::env::var(name).ok())
}

/// [`http_client`] with the proxy variables read through `env` (tests pass their own).
fn http_client_with_env(
    opts: &HttpOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<reqwest::Client, GraphError> {
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("provctl/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .timeout(opts.timeout.unwrap_or(Duration::from_secs(100)))
        .pool_idle_timeout(Duration::from_secs(60))
        // HTTP/1.1: provctl's traffic is pages fetched one after another and a few concurrent
        // `$batch` calls, which gain nothing from HTTP/2 multiplexing, while HTTP/2's 16 KB frames
        // cost ~1 µs of CPU per 2 KB record and a quarter of the throughput on large log pages
        // (benches/README.md, "Log export"). Graph serves both.
        .http1_only();
    for pem in &opts.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            GraphError::Config(format!("extra CA certificate is not valid PEM: {e}"))
        })?;
        if certs.is_empty() {
            return Err(GraphError::Config(
                "extra CA file holds no PEM certificate".into(),
            ));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    for proxy in proxies(opts, env)? {
        b = b.proxy(proxy);
    }
    b.build()
        .map_err(|e| GraphError::Config(format!("cannot build the HTTP client: {e}")))
}

/// Destinations never sent through a proxy, whatever the settings say: a local Graph (the
/// emulator, a test server) must not hand its bearer token to a proxy.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxies to use: `--proxy` for everything, else the `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`
/// variables (upper or lower case) minus `NO_PROXY` — loopback excepted in both cases. With no
/// variable set, none: reqwest's system settings then apply (Windows and macOS proxy settings).
fn proxies(
    opts: &HttpOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<reqwest::Proxy>, GraphError> {
    let var = |upper: &str| {
        env(upper)
            .or_else(|| env(&upper.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let bad =
        |p: &str, e: reqwest::Error| GraphError::Config(format!("proxy '{p}' is not usable: {e}"));
    if let Some(p) = &opts.proxy {
        let proxy = reqwest::Proxy::all(p).map_err(|e| bad(p, e))?;
        return Ok(vec![
            proxy.no_proxy(reqwest::NoProxy::from_string(LOOPBACK)),
        ]);
    }
    let no_proxy = match var("NO_PROXY") {
        Some(list) => format!("{list},{LOOPBACK}"),
        None => LOOPBACK.to_owned(),
    };
    let mut out = Vec::new();
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        if let Some(p) = var(name) {
            let proxy = match name {
                "HTTPS_PROXY" => reqwest::Proxy::https(&p),
                "HTTP_PROXY" => reqwest::Proxy::http(&p),
                _ => reqwest::Proxy::all(&p),
            }
            .map_err(|e| bad(&p, e))?;
            out.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
    }
    Ok(out)
}

impl GraphClient {
    /// A builder.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// The endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The retry policy of this client (the `$batch` item rounds back off by it too).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The requests this client (and its clones) sent so far.
    pub fn stats(&self) -> &GraphStats {
        &self.inner.stats
    }

    /// The token provider, if any.
    pub fn token_provider(&self) -> Option<&Arc<dyn TokenProvider>> {
        self.inner.tokens.as_ref()
    }

    /// The same client (connection pool, tokens, retry policy) with pacing switched on (Graph's
    /// documented budgets) or off. Off is only for an unthrottled emulator or a benchmark: against
    /// Graph an unpaced crawl meets 429s and waits out their `Retry-After` instead.
    pub fn with_pacing(&self, on: bool) -> GraphClient {
        GraphClient {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                endpoints: self.inner.endpoints.clone(),
                tokens: self.inner.tokens.clone(),
                retry: self.inner.retry.clone(),
                // The same counters: requests sent by either client are the caller's traffic.
                stats: self.inner.stats.clone(),
                pacer: if on {
                    Pacer::documented()
                } else {
                    Pacer::off()
                },
            }),
        }
    }

    /// The full URL of a request.
    pub fn url_for(&self, req: &GraphRequest) -> Url {
        req.url(&self.inner.endpoints.graph)
    }

    /// Sends a request (with retries and pacing) and returns the successful answer; any error status
    /// becomes [`GraphError::Service`].
    pub async fn send(&self, req: &GraphRequest) -> Result<GraphResponse, GraphError> {
        let mut body = Vec::new();
        let head = self.send_into(req, &mut body).await?;
        Ok(head.with_body(body))
    }

    /// Like [`GraphClient::send`], but the successful body is read into `body` (cleared first), so
    /// a caller fetching many large pages reuses one buffer instead of allocating one per page.
    pub async fn send_into(
        &self,
        req: &GraphRequest,
        body: &mut Vec<u8>,
    ) -> Result<ResponseHead, GraphError> {
        // One choke point: an id that would collapse out of the URL (`..`) is never sent.
        req.path
            .check()
            .map_err(|e| GraphError::InvalidInput(e.to_string()))?;
        let url = self.url_for(req);
        let family = EndpointFamily::of_path(req.path.as_str());
        self.execute(
            req.method.clone(),
            url,
            req.body.as_ref(),
            family,
            req.idempotency(),
            body,
        )
        .await
    }

    /// Sends a request and decodes the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(&self, req: &GraphRequest) -> Result<T, GraphError> {
        self.send(req).await?.json()
    }

    /// GETs an absolute URL that Graph handed out (an `@odata.nextLink`). The URL must point at this
    /// client's Graph host, so a token is never sent elsewhere.
    pub async fn get_link(&self, link: &str) -> Result<GraphResponse, GraphError> {
        let mut body = Vec::new();
        let head = self.get_link_into(link, &mut body).await?;
        Ok(head.with_body(body))
    }

    /// Like [`GraphClient::get_link`], reading the body into `body` (see [`GraphClient::send_into`]).
    pub async fn get_link_into(
        &self,
        link: &str,
        body: &mut Vec<u8>,
    ) -> Result<ResponseHead, GraphError> {
        let url = Url::parse(link).map_err(|e| {
            GraphError::InvalidInput(format!("nextLink '{link}' is not a URL: {e}"))
        })?;
        let base = &self.inner.endpoints.graph;
        if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
            return Err(GraphError::InvalidInput(format!(
                "nextLink '{link}' points outside {base}; refusing to send the token there"
            )));
        }
        let rel = url.path()[base.path().len()..].to_owned();
        let family = EndpointFamily::of_path(rel.split_once('/').map(|(_, p)| p).unwrap_or(&rel));
        self.execute(Method::GET, url, None, family, Idempotency::Safe, body)
            .await
    }

    async fn bearer(
        &self,
        refresh_from: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>, GraphError> {
        let Some(p) = &self.inner.tokens else {
            return Ok(None);
        };
        let scope = self.inner.endpoints.scope.as_str();
        if let Some(old) = refresh_from {
            return Ok(p.refresh(&[scope], old).await?);
        }
        Ok(Some(p.token(&[scope]).await?))
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        family: EndpointFamily,
        kind: Idempotency,
        sink: &mut Vec<u8>,
    ) -> Result<ResponseHead, GraphError> {
        let policy = &self.inner.retry;
        let pacer = self.inner.pacer.for_family(family);
        let shown_url = strip_query(&url);
        let body_bytes = match body {
            Some(v) => Some(Bytes::from(
                serde_json::to_vec(v).map_err(|e| GraphError::InvalidInput(e.to_string()))?,
            )),
            None => None,
        };
        let mut token = self.bearer(None).await?;
        let mut refreshed = false;
        let mut challenged = false;
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempt += 1;
            if let Some(p) = pacer {
                let w = p.acquire().await;
                if w > Duration::from_millis(5) {
                    tracing::debug!(target: "provctl::pacing", "paced {family:?} request for {w:?}");
                }
            }
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let mut rb = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header("client-request-id", &client_request_id)
                .header("Accept", "application/json");
            if let Some(t) = &token {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.token.expose()))
                    .map_err(|_| {
                        GraphError::Config(
                            "the access token contains characters not allowed in a header".into(),
                        )
                    })?;
                v.set_sensitive(true);
                rb = rb.header(reqwest::header::AUTHORIZATION, v);
            }
            if let Some(b) = &body_bytes {
                rb = rb
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            } else if method == Method::POST {
                rb = rb.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            tracing::debug!(
                target: "provctl::http",
                "→ {method} {url} (client-request-id {client_request_id}{})",
                if token.is_some() { "; Authorization: Bearer (redacted)" } else { "" }
            );
            let started = Instant::now();
            let outcome = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    match read_body(resp, sink).await {
                        Ok(()) => Ok((status, headers)),
                        Err(e) => Err((e, true)),
                    }
                }
                Err(e) => Err((e, false)),
            };
            self.inner
                .stats
                .count(outcome.as_ref().ok().map(|(status, _)| *status));
            match outcome {
                Err((e, _)) if let Some(detail) = certificate_failure(&e) => {
                    // A refused certificate will be refused again: say which, don't retry.
                    return Err(GraphError::Certificate {
                        method: method.to_string(),
                        url: shown_url,
                        host: url.host_str().unwrap_or_default().to_owned(),
                        detail,
                    });
                }
                Err((e, response_started)) => {
                    // A read error after the status line means the server got the request: only reads
                    // may be repeated then. A connect error means nothing was sent.
                    let retryable =
                        kind == Idempotency::Safe || (!response_started && e.is_connect());
                    let message = transport_message(&e);
                    if retryable && attempt < policy.max_attempts {
                        let wait = policy.backoff(attempt);
                        if waited + wait <= policy.budget {
                            tracing::info!(target: "provctl::retry", "retrying {method} {shown_url} in {wait:?} (attempt {}/{}): {message}", attempt + 1, policy.max_attempts);
                            tokio::time::sleep(wait).await;
                            waited += wait;
                            continue;
                        }
                    }
                    return Err(GraphError::Transport {
                        method: method.to_string(),
                        url: shown_url,
                        message,
                        attempts: attempt,
                    });
                }
                Ok((status, headers)) => {
                    tracing::debug!(target: "provctl::http", "← {status} {method} {shown_url} in {:?} ({} bytes; request-id {})", started.elapsed(), sink.len(), header_str(&headers, "request-id").unwrap_or("-"));
                    if (200..300).contains(&status) {
                        return Ok(ResponseHead {
                            status,
                            headers,
                            url: shown_url,
                        });
                    }
                    if (300..400).contains(&status) && status != 304 {
                        // Never followed (the client's redirect policy is `none`): a redirect
                        // would carry the bearer token to another host.
                        let location_host = header_str(&headers, "location").map(|l| {
                            Url::parse(l)
                                .ok()
                                .and_then(|u| u.host_str().map(str::to_owned))
                                .unwrap_or_else(|| url.host_str().unwrap_or_default().to_owned())
                        });
                        return Err(GraphError::Redirect {
                            method: method.to_string(),
                            url: shown_url,
                            status,
                            location_host,
                        });
                    }
                    // A Conditional Access claims challenge: a user sign-in asks for a token that
                    // carries the claims and the request is retried once; other sign-ins cannot,
                    // and say so.
                    if status == 401
                        && !challenged
                        && token.is_some()
                        && let Some(p) = &self.inner.tokens
                        && let Some(claims) = header_str(&headers, "www-authenticate")
                            .and_then(crate::graph::auth::claims::challenge)
                    {
                        challenged = true;
                        let scope = self.inner.endpoints.scope.as_str();
                        if let Some(new) = p.claims_challenge(&[scope], &claims).await? {
                            token = Some(new);
                            tracing::info!(target: "provctl::retry", "Graph answered 401 with a claims challenge; retrying {method} {shown_url} once with a token that carries the claims");
                            attempt -= 1;
                            continue;
                        }
                    }
                    if status == 401
                        && !refreshed
                        && !challenged
                        && let Some(old) = token.as_ref()
                        && let Some(new) = self.bearer(Some(old)).await?
                    {
                        refreshed = true;
                        token = Some(new);
                        tracing::info!(target: "provctl::retry", "Graph answered 401; retrying {method} {shown_url} once with a refreshed token");
                        attempt -= 1;
                        continue;
                    }
                    let retry_after = header_str(&headers, "retry-after")
                        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
                    let mut err =
                        ServiceError::from_body(status, sink, method.as_str(), &shown_url);
                    err.request_id = err
                        .request_id
                        .or_else(|| header_str(&headers, "request-id").map(str::to_owned));
                    err.client_request_id = err.client_request_id.or(Some(client_request_id));
                    err.date = err
                        .date
                        .or_else(|| header_str(&headers, "date").map(str::to_owned));
                    err.attempts = attempt;
                    err.retry_after = retry_after;
                    if retry::status_is_retryable(status, kind, retry_after.is_some())
                        && attempt < policy.max_attempts
                    {
                        let wait = retry_after.unwrap_or_else(|| policy.backoff(attempt));
                        if waited + wait <= policy.budget {
                            if status == 429
                                && let Some(p) = pacer
                            {
                                p.hold_until(Instant::now() + wait).await;
                            }
                            tracing::info!(target: "provctl::retry", "retrying {method} {shown_url} in {wait:?} (attempt {}/{}): {status} {}{}", attempt + 1, policy.max_attempts, err.code, if retry_after.is_some() { " (Retry-After)" } else { "" });
                            tokio::time::sleep(wait).await;
                            waited += wait;
                            continue;
                        }
                    }
                    return Err(GraphError::Service(Box::new(err)));
                }
            }
        }
    }
}

/// Reads a response body into `body` (cleared first), chunk by chunk, sized by Content-Length.
async fn read_body(mut resp: reqwest::Response, body: &mut Vec<u8>) -> Result<(), reqwest::Error> {
    body.clear();
    if let Some(n) = resp.content_length() {
        // A hint only: never reserve more than a sane page because a header said so.
        body.reserve(usize::try_from(n).unwrap_or(0).min(64 << 20));
    }
    while let Some(chunk) = resp.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(())
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn strip_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// Why a TLS certificate was refused, when that is what `e` is (found anywhere in its sources).
fn certificate_failure(e: &reqwest::Error) -> Option<String> {
    use std::error::Error;
    let mut src: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(rustls::Error::InvalidCertificate(c)) = rustls_error(s) {
            return Some(describe_certificate_error(c));
        }
        src = s.source();
    }
    None
}

/// The rustls error in `e`, looking inside `io::Error`s: their `source()` skips the error they
/// wrap, and the TLS stream reports a refused certificate as an `io::Error` around it.
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner)
}

fn describe_certificate_error(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => "it was issued by a certificate authority this machine does not trust \
             (a TLS-inspecting proxy re-signs traffic with its own root)"
            .to_owned(),
        C::Expired | C::ExpiredContext { .. } => "it has expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet".to_owned(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not valid for this host name".to_owned()
        }
        C::Revoked => "it has been revoked".to_owned(),
        other => format!("{other:?}"),
    }
}

fn transport_message(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_with_percent_20() {
        let base = Url::parse("https://graph.microsoft.com/").unwrap();
        let r = GraphRequest::get(
            ApiVersion::V1,
            GraphPath::new().lit("auditLogs/provisioning"),
        )
        .query("$filter", "jobId eq 'a&b' and x eq 'c+d'")
        .query("$top", "10");
        assert_eq!(
            r.url(&base).as_str(),
            "https://graph.microsoft.com/v1.0/auditLogs/provisioning?$filter=jobId%20eq%20%27a%26b%27%20and%20x%20eq%20%27c%2Bd%27&$top=10"
        );
    }

    #[test]
    fn dry_run_text_shows_the_body_and_never_a_token() {
        let base = Url::parse("https://graph.microsoft.com/").unwrap();
        let r = GraphRequest::post(ApiVersion::V1, GraphPath::new().lit("x/restart"))
            .body(serde_json::json!({"criteria": {"resetScope": "Escrows"}}));
        let text = r.to_http_text(&base);
        assert!(text.starts_with("POST https://graph.microsoft.com/v1.0/x/restart\n"));
        assert!(text.contains("Bearer (redacted)") && text.contains("\"resetScope\": \"Escrows\""));
    }

    /// Issue 14 item 14: with `HTTP_PROXY` set, a plain-http loopback Graph is reached directly, so
    /// the bearer token never goes to the proxy (here: a port nobody listens on, which would fail).
    #[tokio::test]
    async fn a_loopback_graph_is_never_proxied() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = format!("http://127.0.0.1:{}", dead.local_addr().unwrap().port());
        drop(dead);
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = server.local_addr().unwrap().port();
        tokio::spawn(async move {
            if let Ok((mut sock, _)) = server.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                    .await;
            }
        });
        let env = |name: &str| (name == "HTTP_PROXY").then(|| proxy.clone());
        assert_eq!(proxies(&HttpOptions::default(), &env).unwrap().len(), 1);
        let http = http_client_with_env(&HttpOptions::default(), &env).unwrap();
        let r = http
            .get(format!("http://127.0.0.1:{port}/v1.0/x"))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let explicit = HttpOptions {
            proxy: Some(proxy.clone()),
            ..HttpOptions::default()
        };
        assert!(http_client_with_env(&explicit, &|_| None).is_ok());
    }
}
