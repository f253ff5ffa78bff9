//! # provctl
//!
//! A library and command-line tool for the people who run Microsoft Entra provisioning: cloud sync
//! (Active Directory → Entra ID) and app provisioning jobs, reached through Microsoft Graph.
//!
//! The layers, in the direction data flows:
//!
//! | module | what it does |
//! |---|---|
//! | [`graph`] | the Graph client: clouds, auth seam, retries, pacing, paging, `$batch`, OData filters, models |
//! | [`diagnose`] | pure functions from models to findings: why a job is quarantined, why an object was skipped |
//! | [`output`] | rendering results as tables, JSON, NDJSON, YAML, CSV; `--query` |
//! | [`cli`] | the `provctl` command line: argument parsing and one module per command group |
//! | [`sim`] | the Graph emulator used by tests, benchmarks and `--sim` demos |
//!
//! Everything the command line does is a library call. A quick look at every job of a tenant:
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use provctl::graph::{GraphClient, auth::StaticToken};
//!
//! # async fn demo() -> Result<(), provctl::graph::GraphError> {
//! let client = GraphClient::builder()
//!     .token_provider(StaticToken::new("eyJ0eXAi..."))
//!     .build()?;
//! let jobs = provctl::graph::sync::discover_jobs(&client, &Default::default()).await?;
//! for job in &jobs.jobs {
//!     println!("{} {}", job.service_principal.display_name, job.job.id);
//! }
//! # Ok(()) }
//! ```

pub mod cli;
pub mod diagnose;
pub mod graph;
pub mod logfile;
pub mod output;
pub mod secret;
pub mod sim;
