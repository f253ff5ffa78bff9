//! What every command handler gets: the global flags, the output settings, and a Graph client built
//! lazily on first use — `provctl --version` or `provctl explain --file` never pay for TLS roots,
//! credentials or the emulator.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{CliError, GlobalArgs};
use crate::config::{Config, Profile, config_path};
use crate::graph::auth::{
    AuthMethod, AuthOptions, EnvVars, StaticToken, TokenProvider, provider_for, token,
};
use crate::graph::{Cloud, Endpoints, GraphClient, HttpOptions};
use crate::output::Output;
use crate::secret::Secret;
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
    connection: OnceCell<(Endpoints, reqwest::Client)>,
    tokens: OnceCell<Arc<dyn TokenProvider>>,
    stdin_token: OnceCell<Secret>,
    family: Option<&'static str>,
}

impl Context {
    /// A context; validates `--query` up front.
    pub fn new(global: GlobalArgs) -> Result<Context, CliError> {
        let mut out = Output::new(global.output, global.query.as_deref(), global.no_color)
            .map_err(CliError::usage)?;
        out.wide = global.wide;
        Ok(Context {
            global,
            out,
            graph: OnceCell::new(),
            sim: OnceCell::new(),
            connection: OnceCell::new(),
            tokens: OnceCell::new(),
            stdin_token: OnceCell::new(),
            family: None,
        })
    }

    /// The same context for a command of `family` (`jobs`, `logs`, ...): a user sign-in asks for
    /// the delegated permissions that family needs ([`crate::graph::permissions::family_scopes`]).
    pub fn for_family(mut self, family: Option<&'static str>) -> Context {
        self.family = family;
        self
    }

    /// The delegated permissions a user sign-in of this command asks for (none: `.default`),
    /// and those it cannot run without.
    fn family_scopes(&self) -> (Vec<String>, Vec<String>) {
        use crate::graph::permissions::{family_required_scopes, family_scopes};
        let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
        match self.family {
            Some(f) => (owned(family_scopes(f)), owned(family_required_scopes(f))),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// Whether stderr may carry colour (messages and progress): the one decision of
    /// [`crate::output::color_enabled`].
    pub fn stderr_color(&self) -> bool {
        self.out.stderr_color
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
        let (endpoints, http) = self.connection().await?.clone();
        let tokens = self.token_provider().await?.clone();
        Ok(GraphClient::builder()
            .endpoints(endpoints)
            .http_client(http)
            .shared_token_provider(tokens)
            .build()?)
    }

    /// The Graph/login endpoints and the one HTTP client of this invocation (the emulator's with
    /// `--sim`: only configuration differs from a real run — its base URLs and its CA).
    pub async fn connection(&self) -> Result<&(Endpoints, reqwest::Client), CliError> {
        self.connection
            .get_or_try_init(|| self.build_connection())
            .await
    }

    async fn build_connection(&self) -> Result<(Endpoints, reqwest::Client), CliError> {
        let g = &self.global;
        if g.sim {
            let sim = self.sim().await?;
            let base = sim.base_url().as_str();
            let endpoints = Endpoints::custom(base, Some(base), Cloud::Global)?;
            let http = crate::graph::http_client(&HttpOptions {
                extra_roots_pem: vec![sim.ca_pem().as_bytes().to_vec()],
                ..Default::default()
            })?;
            return Ok((endpoints, http));
        }
        let profile_cloud = self.profile()?.and_then(|p| p.cloud);
        let endpoints = self.endpoints_for(profile_cloud)?;
        let http = self.http_client()?;
        Ok((endpoints, http))
    }

    /// The endpoints for a profile's cloud: `--graph-url`/`--login-url` when given, else the
    /// cloud's (`--cloud` wins over the profile's).
    fn endpoints_for(&self, profile_cloud: Option<Cloud>) -> Result<Endpoints, CliError> {
        let g = &self.global;
        let cloud = g.cloud.or(profile_cloud).unwrap_or(Cloud::Global);
        Ok(match &g.graph_url {
            Some(url) => Endpoints::custom(url, g.login_url.as_deref(), cloud)?,
            None => {
                let mut e = Endpoints::for_cloud(cloud);
                if let Some(login) = &g.login_url {
                    e.login = crate::graph::cloud::base_url(login, "--login-url")?;
                }
                e
            }
        })
    }

    /// A new HTTP client with `--proxy` and `--ca-file` applied.
    fn http_client(&self) -> Result<reqwest::Client, CliError> {
        let g = &self.global;
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
        Ok(crate::graph::http_client(&http_opts)?)
    }

    /// The config file's path and contents.
    pub fn config(&self) -> Result<(std::path::PathBuf, Config), CliError> {
        let env = EnvVars::from_process();
        let path = config_path(&env).map_err(|e| CliError::usage(e.to_string()))?;
        let config = Config::load(&path).map_err(|e| CliError::usage(e.to_string()))?;
        Ok((path, config))
    }

    /// One Graph client per named profile, for a run over several tenants: each with its own
    /// sign-in (the profile's tenant, cloud, method, client id and certificate; the process's
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `PROVCTL_ACCESS_TOKEN` are not used), its own token
    /// cache and its own pacing, sharing only the connection pool. A profile whose sign-in cannot
    /// be set up gets its error instead of a client, so the others still run.
    pub async fn profile_clients(
        &self,
        names: &[String],
    ) -> Result<Vec<(String, Result<GraphClient, CliError>)>, CliError> {
        let g = &self.global;
        let single_only = [
            (g.sim, "--sim"),
            (g.profile.is_some(), "--profile"),
            (g.tenant.is_some(), "--tenant"),
            (g.client_id.is_some(), "--client-id"),
            (g.certificate.is_some(), "--certificate"),
            (g.auth.is_some(), "--auth"),
            (g.token_stdin, "--token-stdin"),
        ];
        if let Some((_, flag)) = single_only.iter().find(|(set, _)| *set) {
            return Err(CliError::usage(format!(
                "{flag} cannot be combined with --profiles or --all-profiles: each profile names its own tenant and sign-in"
            )));
        }
        let (path, config) = self.config()?;
        let env = EnvVars::from_process().without(&[
            crate::graph::auth::env::TENANT_ID,
            crate::graph::auth::env::CLIENT_ID,
            crate::graph::auth::ACCESS_TOKEN_VAR,
        ]);
        let http = self.http_client()?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let profile = config
                .select(Some(name), &env)
                .map_err(|e| CliError::usage(format!("{e} (config file {})", path.display())))?;
            let client = async {
                let profile =
                    profile.ok_or_else(|| CliError::usage(format!("no profile '{name}'")))?;
                let endpoints = self.endpoints_for(profile.cloud)?;
                let (scopes, required_scopes) = self.family_scopes();
                let opts = AuthOptions {
                    no_cache: g.no_cache,
                    profile: Some(profile),
                    env: env.clone(),
                    scopes,
                    required_scopes,
                    ..AuthOptions::default()
                };
                let tokens = provider_for(&opts, &http, &endpoints).await?;
                Ok::<_, CliError>(
                    GraphClient::builder()
                        .endpoints(endpoints)
                        .http_client(http.clone())
                        .shared_token_provider(tokens)
                        .build()?,
                )
            }
            .await;
            out.push((name.clone(), client));
        }
        Ok(out)
    }

    /// The profile selected by `--profile`, `PROVCTL_PROFILE` or the config file's `current`.
    pub fn profile(&self) -> Result<Option<Profile>, CliError> {
        let env = EnvVars::from_process();
        let path = config_path(&env).map_err(|e| CliError::usage(e.to_string()))?;
        let config = Config::load(&path).map_err(|e| CliError::usage(e.to_string()))?;
        config
            .select(self.global.profile.as_deref(), &env)
            .map_err(|e| CliError::usage(e.to_string()))
    }

    /// The sign-in options of this invocation: flags, profile and environment.
    pub async fn auth_options(&self) -> Result<AuthOptions, CliError> {
        let g = &self.global;
        let method = g.auth;
        let stdin_token = if g.token_stdin {
            Some(self.stdin_token().await?.clone())
        } else {
            None
        };
        let (scopes, required_scopes) = self.family_scopes();
        Ok(AuthOptions {
            method,
            tenant: g.tenant.clone(),
            client_id: g.client_id.clone(),
            certificate_path: g.certificate.clone(),
            token_stdin: g.token_stdin,
            stdin_token,
            // Emulator sign-ins are throwaway: never cache them next to real ones.
            no_cache: g.no_cache || g.sim,
            profile: self.profile()?,
            env: EnvVars::from_process(),
            ui: None,
            scopes,
            required_scopes,
        })
    }

    async fn stdin_token(&self) -> Result<&Secret, CliError> {
        self.stdin_token
            .get_or_try_init(|| async {
                let mut s = String::new();
                use tokio::io::AsyncReadExt;
                tokio::io::stdin()
                    .read_to_string(&mut s)
                    .await
                    .map_err(|e| {
                        CliError::usage(format!("--token-stdin: cannot read stdin: {e}"))
                    })?;
                token::read_token(s.as_bytes()).map_err(|e| CliError::usage(e.to_string()))
            })
            .await
    }

    /// The token provider of this invocation, built on first use. With `--sim` and no `--auth`,
    /// the demo admin user's delegated token (`--sim-as app`: the demo app's, signed in with
    /// client credentials); otherwise [`provider_for`].
    pub async fn token_provider(&self) -> Result<&Arc<dyn TokenProvider>, CliError> {
        self.tokens
            .get_or_try_init(|| async {
                let sim_default =
                    self.global.sim && self.global.auth.is_none() && !self.global.token_stdin;
                if sim_default && self.global.sim_as != Some(super::SimIdentity::App) {
                    // The demo admin, as after an interactive sign-in: the delegated token the
                    // emulator issues for its user (a device-code sign-in would wait seconds).
                    let sim = self.sim().await?;
                    if let Some(token) = sim.user_token() {
                        return Ok(Arc::new(StaticToken::new(token)) as Arc<dyn TokenProvider>);
                    }
                }
                if sim_default {
                    // The demo app signs in like any app: client credentials against the
                    // emulator's token endpoint, through the same credential code as `--auth env`.
                    let sim = self.sim().await?;
                    let app = sim.demo_app();
                    let opts = AuthOptions {
                        method: Some(AuthMethod::Env),
                        no_cache: true,
                        env: EnvVars::from_pairs([
                            ("AZURE_TENANT_ID", sim.tenant_id().to_owned()),
                            ("AZURE_CLIENT_ID", app.client_id),
                            ("AZURE_CLIENT_SECRET", app.client_secret),
                        ]),
                        ..AuthOptions::default()
                    };
                    let (endpoints, http) = self.connection().await?;
                    return Ok(provider_for(&opts, http, endpoints).await?);
                }
                let opts = self.auth_options().await?;
                let (endpoints, http) = self.connection().await?;
                Ok(provider_for(&opts, http, endpoints).await?)
            })
            .await
    }
}
