//! The emulator reached the way provctl reaches any tenant: over TLS with the emulator's CA added
//! as an extra root (as `--ca-file` does), Graph and the login host both at its base URL.

use provctl::graph::{Cloud, Endpoints, HttpOptions, http_client};
use provctl::sim::{Sim, SimConfig, SimHandle};

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
