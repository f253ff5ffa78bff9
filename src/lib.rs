//! # provctl
//!
//! A library and command-line tool for the people who run Microsoft Entra provisioning: cloud sync
//! (Active Directory → Entra ID) and app provisioning jobs, reached through Microsoft Graph.
//!
//! The layers, in the direction data flows:
//!
//! | module | what it does |
//! |---|---|
//! | [`graph`] | the Graph client: clouds, auth seam, retries, pacing, paging, `$batch`, OData filters, models; job discovery and the one resolver of job and service principal names ([`graph::sync::resolve`]); the permission table (which Graph permission each call and command needs: `doctor auth`, 403 hints, the knowledge and the emulator read it); sign-in (`graph::auth`, given its settings as values) |
//! | [`logfile`] | the one offline file reader: every log, job, agent, error and answer file shape, streamed in bounded memory |
//! | [`export`] | the log export engine: a time range of provisioning logs to a file, resumable with every record exactly once (checkpoint, crawl, formats); its [`export::crawl`] is the streaming page API for any long pass over the logs |
//! | [`diagnose`] | pure functions from models to findings: why a job is quarantined, why an object was skipped, why a sign-in failed (codes and fixes in `knowledge.toml`) |
//! | [`output`] | rendering results: tables fitted to the terminal, JSON, NDJSON, YAML, CSV/TSV, `--query`; the one colour decision, time format and control-character sanitizer |
//! | [`cli`] | the `provctl` command line: argument parsing, one module per command group, help topics, examples, man pages and completions |
//! | [`monitor`] | watching health over time and across tenants: job and agent snapshots, Prometheus metrics and the exporter, `jobs watch` changes, running one piece of work for several tenants |
//! | [`doctor`] | checks of the machine provctl runs on: the cloud sync agent's network prerequisites (DNS chains, ports, TLS without inspection, proxies) |
//! | [`config`] | profiles: named sign-in settings in `config.toml` (never a secret), and which one is in use |
//! | [`secret`] | a string that prints as `(redacted)`, for secrets and tokens |
//! | [`sim`] | the Graph emulator used by tests, benchmarks and `--sim` demos |
//!
//! Everything the command line does is a library call. The failures of the last day, page by page,
//! paced to Graph's budget for provisioning logs:
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use provctl::graph::odata::{Filter, LogField};
//! use provctl::graph::{ApiVersion, GraphClient, GraphPath, GraphRequest, auth::StaticToken};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = GraphClient::builder().token_provider(StaticToken::new("eyJ0eXAi...")).build()?;
//! let since = chrono::Utc::now() - chrono::Duration::days(1);
//! let filter = Filter::all([Filter::eq(LogField::Status, "failure")?, Filter::after(since)]).unwrap();
//! let req = GraphRequest::get(ApiVersion::V1, GraphPath::new().lit("auditLogs/provisioning"))
//!     .query("$filter", filter.as_str());
//! let mut pages = client.pages::<serde_json::Value>(req);
//! while let Some(page) = pages.try_next().await? {
//!     for entry in &page.items {
//!         println!("{} {}", entry["activityDateTime"], entry["provisioningStatusInfo"]["errorInformation"]["errorCode"]);
//!     }
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod diagnose;
pub mod doctor;
pub mod export;
pub mod graph;
pub mod logfile;
pub mod monitor;
pub mod output;
pub mod secret;
pub mod sim;
