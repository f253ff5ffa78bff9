//! The `provctl` command line: global flags, the command tree, and dispatch. Each command group lives
//! in its own module (`jobs`, `quarantine`, `logs`, `explain`, ...); a handler resolves its
//! arguments, calls the library, and renders through [`crate::output`].

mod agents;
pub mod auth;
mod bulk;
pub mod config;
pub mod context;
mod docs;
pub mod doctor;
pub mod error;
pub mod explain;
mod exporter;
pub mod help;
pub mod jobs;
pub mod logs;
mod metrics;
mod prompt;
mod provision;
pub mod quarantine;
pub mod resolve;
pub(crate) mod scope;
pub mod sim;
mod tenant;
pub mod tenants;
pub mod values;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use context::Context;
pub use error::{CliError, ErrorKind};
pub use help::parse;

use crate::graph::Cloud;
use crate::output::OutputFormat;

/// Manage and troubleshoot Microsoft Entra provisioning — cloud sync and app provisioning jobs,
/// quarantines and provisioning logs — through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(
    name = "provctl",
    version,
    propagate_version = true,
    max_term_width = 110,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Flags every command accepts.
    #[command(flatten, next_help_heading = "Global options")]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every command.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Tenant id or domain (default: from the profile or AZURE_TENANT_ID).
    #[arg(long, global = true, env = "PROVCTL_TENANT", value_name = "TENANT")]
    pub tenant: Option<String>,

    /// National cloud: global, usgov (GCC High, L4), usgov-dod (DoD, L5), china.
    #[arg(long, global = true, env = "PROVCTL_CLOUD", value_name = "CLOUD")]
    pub cloud: Option<Cloud>,

    /// Graph base URL instead of the cloud's (tests, emulator, proxies); http only for loopback.
    #[arg(long, global = true, env = "PROVCTL_GRAPH_URL", value_name = "URL")]
    pub graph_url: Option<String>,

    /// Login (authority) base URL instead of the cloud's; https only.
    #[arg(long, global = true, env = "PROVCTL_LOGIN_URL", value_name = "URL")]
    pub login_url: Option<String>,

    /// Extra trusted root certificate(s), PEM: a corporate TLS-inspection CA, or the emulator's CA.
    #[arg(long, global = true, env = "PROVCTL_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// HTTPS proxy URL (default: HTTPS_PROXY / the system settings).
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,

    /// Named profile from the config file.
    #[arg(long, global = true, env = "PROVCTL_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Sign-in method (any case): env, certificate, workload-identity, managed-identity, azure-cli,
    /// device-code, token.
    #[arg(long, global = true, value_name = "METHOD", value_parser = values::Closed::<crate::graph::auth::AuthMethod>::new())]
    pub auth: Option<crate::graph::auth::AuthMethod>,

    /// Application (client) id for sign-in.
    #[arg(long, global = true, value_name = "ID")]
    pub client_id: Option<String>,

    /// Certificate file (PEM or PFX) for `--auth certificate`.
    #[arg(long, global = true, value_name = "FILE")]
    pub certificate: Option<PathBuf>,

    /// Read a ready access token from stdin (for people with their own tooling).
    #[arg(long, global = true)]
    pub token_stdin: bool,

    /// Keep no tokens on disk.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, ignore_case = true, default_value_t = OutputFormat::Table, env = "PROVCTL_OUTPUT")]
    pub output: OutputFormat,

    /// JMESPath query applied to the JSON result (e.g. "[?status.code=='Quarantine'].id").
    #[arg(long, global = true, value_name = "JMESPATH")]
    pub query: Option<String>,

    /// Show each HTTP request, retry and pacing wait on stderr (tokens are never shown).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// No colour on any stream, `-v` logs included (also: NO_COLOR set and not empty).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Tables show every column in full, however wide the terminal (default: columns fit it;
    /// ids and times never split, long text shortens with …, low-priority columns drop).
    #[arg(long, global = true)]
    pub wide: bool,

    /// Run against the built-in Graph emulator and its demo tenant (no tenant or credentials needed).
    #[arg(long, global = true)]
    pub sim: bool,

    /// With --sim: who signs in. `user` (default): the demo admin, delegated, every permission
    /// and role, so every command works. `app`: the demo app, app-only (client credentials), to
    /// see what an app-only sign-in may and may not do.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHO",
        ignore_case = true,
        requires = "sim"
    )]
    pub sim_as: Option<SimIdentity>,
}

/// Who signs in to the emulator with `--sim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimIdentity {
    /// The demo admin user (delegated).
    User,
    /// The demo app (app-only).
    App,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Synchronization jobs: list, show, restart, start, pause, check.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Quarantined jobs: list, show (with the fix), clear.
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineCommand),
    /// Provisioning logs: search by object, show one event, export a range.
    Logs(logs::LogsArgs),
    /// Explain a job, a provisioning log entry, an object or a file: the cause and the next step.
    Explain(explain::ExplainArgs),
    /// Provision one object now (provisionOnDemand) and explain what happened to it.
    Provision(provision::ProvisionArgs),
    /// Scoping filters: `scope check JOB --object ID` says which clause keeps an object out.
    #[command(subcommand)]
    Scope(scope::ScopeCommand),
    /// Cloud sync provisioning agents: list them, check every domain has an active one.
    Agents(agents::AgentsArgs),
    /// Print one snapshot of job (and agent) health as Prometheus text, for cron and
    /// node-exporter's textfile collector.
    Metrics(metrics::MetricsArgs),
    /// Serve job (and agent) health to Prometheus on /metrics, refreshed on its own schedule.
    Exporter(exporter::ExporterArgs),
    /// Tenant-level settings that affect provisioning: accidental deletion prevention.
    Tenant(tenant::TenantArgs),
    /// Check this host or this sign-in: network prerequisites of the agent, token permissions.
    Doctor(doctor::DoctorArgs),
    /// Sign in as a user with a device code (cached for the profile; `--tenant`, `--client-id`).
    Login(auth::LoginArgs),
    /// Remove the profile's cached sign-ins (only those of `--tenant` when given).
    Logout(auth::LogoutArgs),
    /// Show who the current token belongs to: tenant, identity, method, expiry, scopes, roles.
    Whoami(auth::WhoamiArgs),
    /// Manage profiles: `config set|get|list|use`.
    Config(config::ConfigArgs),
    /// The built-in Graph emulator: `provctl sim serve` runs it for curl, scripts and demos.
    Sim(sim::SimArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Write the man pages: one per command with --out DIR, else the top page to stdout.
    Man(docs::ManArgs),
    /// Help on a topic (auth, output, exit-codes, permissions, global) or a command.
    Help(help::HelpArgs),
}

impl Command {
    /// The command family as the permission table names it (`graph::permissions::COMMANDS`), for
    /// the delegated permissions a user sign-in asks for; `None` for commands that need no
    /// particular permission (`whoami`, `doctor`, `config`, ...).
    pub fn family(&self) -> Option<&'static str> {
        Some(match self {
            Command::Agents(_) => "agents",
            Command::Metrics(_) => "metrics",
            Command::Exporter(_) => "exporter",
            Command::Provision(_) => "provision",
            Command::Scope(_) => "scope",
            Command::Tenant(_) => "tenant",
            Command::Explain(_) => "explain",
            Command::Jobs(_) => "jobs",
            Command::Quarantine(_) => "quarantine",
            Command::Logs(_) => "logs",
            _ => return None,
        })
    }
}

/// Parses a `--interval` value (humantime: `30s`, `5m`) no shorter than `min`; `why` says what
/// the minimum protects.
pub(crate) fn parse_interval(
    value: &str,
    min: std::time::Duration,
    why: &str,
) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(value)
        .map_err(|e| format!("'{value}' is not a duration ({e}); use e.g. 30s, 5m"))?;
    if d < min {
        return Err(format!(
            "'{value}' is too short: at least {}, {why}",
            humantime::format_duration(min)
        ));
    }
    Ok(d)
}

/// Sets up `--verbose` logging on stderr: `-v` shows requests, retries and pacing waits; `-vv` adds
/// everything provctl logs at debug level. `RUST_LOG` overrides both. Coloured only as
/// [`crate::output::color_enabled`] decides for stderr (`--no-color`, `NO_COLOR`).
pub fn init_tracing(verbose: u8, no_color: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "warn,provctl=debug",
        _ => "info,provctl=trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = crate::output::color_enabled(no_color, crate::output::Stream::Stderr);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Runs a parsed command line. An `Err` carries the exit code; one with an empty message (a check
/// that found an unhealthy job, after printing its result) prints nothing more.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::new(cli.global)?.for_family(cli.command.family());
    match cli.command {
        Command::Agents(a) => agents::run(&ctx, a).await,
        Command::Metrics(a) => metrics::run(&ctx, a).await,
        Command::Exporter(a) => exporter::run(&ctx, a).await,
        Command::Provision(a) => provision::run(&ctx, a).await,
        Command::Scope(c) => scope::run(&ctx, c).await,
        Command::Tenant(a) => tenant::run(&ctx, a).await,
        Command::Doctor(a) => doctor::run(&ctx, a).await,
        Command::Login(a) => auth::login(&ctx, &a).await,
        Command::Logout(a) => auth::logout(&ctx, &a).await,
        Command::Whoami(a) => auth::whoami(&ctx, &a).await,
        Command::Config(a) => config::run(&ctx, &a).await,
        Command::Completions(a) => docs::completions(&a),
        Command::Man(a) => docs::man(&a),
        Command::Help(a) => help::run(&a),
        Command::Sim(a) => sim::run(a).await.map_err(|e| match e {
            crate::sim::SimError::Io(_) | crate::sim::SimError::Tls(_) => {
                CliError::general(e.to_string())
            }
            _ => CliError::usage(e.to_string()),
        }),
        Command::Explain(a) => explain::run(&ctx, a).await,
        Command::Jobs(c) => jobs::run(&ctx, c).await,
        Command::Quarantine(c) => quarantine::run(&ctx, c).await,
        Command::Logs(a) => logs::run(&ctx, a).await,
    }
}
