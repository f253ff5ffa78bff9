//! The emulator reached the way provctl reaches any tenant: over TLS with the emulator's CA added
//! as an extra root (as `--ca-file` does), Graph and the login host both at its base URL; and one
//! raw request to it with its answer kept whole ([`send`]), for the tests of what it serves.

use provctl::graph::{Cloud, Endpoints, HttpOptions, http_client};
use provctl::sim::{Sim, SimConfig, SimHandle};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A running emulator, provctl's HTTP client trusting it, and the endpoints that point at it.
pub struct Emulator {
    /// The emulator.
    pub sim: SimHandle,
    /// provctl's HTTP client with the emulator's CA as an extra root.
    pub http: reqwest::Client,
    /// Graph and login at the emulator's base URL.
    pub endpoints: Endpoints,
}

/// Starts an emulator with this configuration.
pub async fn start(config: SimConfig) -> Emulator {
    let sim = Sim::start(config).await.expect("emulator starts");
    let http = http_client(&HttpOptions {
        extra_roots_pem: vec![sim.ca_pem().as_bytes().to_vec()],
        ..Default::default()
    })
    .expect("http client");
    let base = sim.base_url().as_str().to_owned();
    let endpoints = Endpoints::custom(&base, Some(&base), Cloud::Global).expect("endpoints");
    Emulator {
        sim,
        http,
        endpoints,
    }
}

/// One answer, its body kept both as text and as JSON (`Null` when empty or not JSON).
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON.
    pub json: Value,
}

/// Sends `method url`, with a bearer token, a JSON body and a `client-request-id` when given.
pub async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
    client_request_id: Option<&str>,
) -> Reply {
    let mut req = client.request(method.clone(), url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    if let Some(id) = client_request_id {
        req = req.header("client-request-id", id);
    }
    let r = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}
