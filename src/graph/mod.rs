//! The Microsoft Graph client and nothing else: transport, clouds, the auth seam, retries, pacing,
//! paging, `$batch`, OData filters and the resource models, and the operations on jobs (with the
//! one resolver of job and service principal names, [`sync::resolve`]), logs, agents and directory
//! settings. No printing, no clap, no knowledge of commands: the CLI and library users compose
//! these calls.

pub mod agents;
pub mod auth;
pub mod batch;
mod client;
pub mod cloud;
pub mod directory;
mod error;
pub mod logs;
pub mod model;
pub mod odata;
pub mod pacing;
pub mod paging;
pub mod path;
pub mod permissions;
pub mod retry;
pub mod scope;
pub mod sync;

pub use client::{
    ApiVersion, GraphClient, GraphClientBuilder, GraphRequest, GraphResponse, GraphStats,
    HttpOptions, Method, ResponseHead, http_client,
};
pub use cloud::{Cloud, Endpoints};
pub use error::{GraphError, ServiceError};
pub use pacing::EndpointFamily;
pub use path::GraphPath;
pub use retry::RetryPolicy;
