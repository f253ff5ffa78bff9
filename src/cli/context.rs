//! What every command handler gets: the global flags, the output settings, and a Graph client built
//! lazily on first use — `provctl --version` or `provctl explain --file` never pay for TLS roots,
//! credentials or the emulator.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{CliError, GlobalArgs};
use crate::graph::auth::{StaticToken, TokenProvider};
use crate::graph::{Cloud, Endpoints, GraphClient, HttpOptions};
use crate::output::Output;
use crate::sim::{Sim, SimConfig, SimHandle};

/// The state a command runs with.
#[derive(Debug)]
pub struct Context {
    /// Global flags as given.
    pub global: GlobalArgs,
    /// Output settings.
    pub out: Output,
    graph: OnceCell<GraphClient>,
    sim: OnceCell<SimHandle>,
}

impl Context {
    /// A context; validates `--query` up front.
    pub fn new(global: GlobalArgs) -> Result<Context, CliError> {
        let out = Output::new(global.output, global.query.as_deref(), global.no_color)
            .map_err(CliError::usage)?;
        Ok(Context {
            global,
            out,
            graph: OnceCell::new(),
            sim: OnceCell::new(),
        })
    }

    /// Whether stderr is a terminal with colour allowed (for messages and progress).
    pub fn stderr_color(&self) -> bool {
        use std::io::IsTerminal;
        !self.global.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stderr().is_terminal()
    }

    /// The Graph client, built on first use.
    pub async fn graph(&self) -> Result<&GraphClient, CliError> {
        self.graph.get_or_try_init(|| self.build_graph()).await
    }

    /// The in-process emulator of `--sim`, started on first use.
    pub async fn sim(&self) -> Result<&SimHandle, CliError> {
        self.sim
            .get_or_try_init(|| async {
                Sim::start(SimConfig::default()).await.map_err(|e| {
                    CliError::general(format!("cannot start the built-in emulator: {e}"))
                })
            })
            .await
    }

    async fn build_graph(&self) -> Result<GraphClient, CliError> {
        let g = &self.global;
        if g.sim {
            return self.build_sim_graph().await;
        }
        let cloud = g.cloud.unwrap_or(Cloud::Global);
        let endpoints = match &g.graph_url {
            Some(url) => Endpoints::custom(url, g.login_url.as_deref(), cloud)?,
            None => {
                let mut e = Endpoints::for_cloud(cloud);
                if let Some(login) = &g.login_url {
                    e.login = crate::graph::cloud::base_url(login, "--login-url")?;
                }
                e
            }
        };
        let mut http_opts = HttpOptions {
            proxy: g.proxy.clone(),
            ..Default::default()
        };
        if let Some(path) = &g.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                CliError::usage(format!(
                    "--ca-file '{}' cannot be read: {e}",
                    path.display()
                ))
            })?;
            http_opts.extra_roots_pem.push(pem);
        }
        let http = crate::graph::http_client(&http_opts)?;
        let tokens = self.token_provider().await?;
        Ok(GraphClient::builder()
            .endpoints(endpoints)
            .http_client(http)
            .shared_token_provider(tokens)
            .build()?)
    }

    /// `--sim`: only configuration differs from a real run — the emulator's base URLs, its CA, and
    /// the demo tenant's app identity.
    async fn build_sim_graph(&self) -> Result<GraphClient, CliError> {
        let sim = self.sim().await?;
        let base = sim.base_url().as_str();
        let endpoints = Endpoints::custom(base, Some(base), Cloud::Global)?;
        let http = crate::graph::http_client(&HttpOptions {
            extra_roots_pem: vec![sim.ca_pem().as_bytes().to_vec()],
            ..Default::default()
        })?;
        let app = sim.demo_app();
        let token = sim.issue_token(crate::sim::TokenSpec::app(&app.client_id, SIM_DEMO_ROLES));
        Ok(GraphClient::builder()
            .endpoints(endpoints)
            .http_client(http)
            .token_provider(StaticToken::new(token))
            .build()?)
    }

    async fn token_provider(&self) -> Result<Arc<dyn TokenProvider>, CliError> {
        if self.global.token_stdin {
            let mut s = String::new();
            use tokio::io::AsyncReadExt;
            tokio::io::stdin()
                .read_to_string(&mut s)
                .await
                .map_err(|e| CliError::usage(format!("--token-stdin: cannot read stdin: {e}")))?;
            let t = s.trim();
            if t.is_empty() {
                return Err(CliError::usage(
                    "--token-stdin: stdin was empty; pipe an access token into provctl",
                ));
            }
            return Ok(Arc::new(StaticToken::new(t)));
        }
        match std::env::var("PROVCTL_ACCESS_TOKEN") {
            Ok(t) if !t.trim().is_empty() => Ok(Arc::new(StaticToken::new(t.trim()))),
            _ => Err(CliError::new(
                super::ErrorKind::Auth,
                "no credentials: set PROVCTL_ACCESS_TOKEN or use --token-stdin",
            )),
        }
    }
}

/// The application permissions the demo app holds in the emulator's demo tenant.
const SIM_DEMO_ROLES: &[&str] = &[
    "Application.Read.All",
    "Synchronization.ReadWrite.All",
    "ProvisioningLog.Read.All",
    "AuditLog.Read.All",
];
