//! The Microsoft Graph client and nothing else: transport, clouds, the auth seam, retries, pacing,
//! paging, `$batch`, OData filters and the resource models. No printing, no clap, no knowledge of
//! commands: the CLI and library users compose these calls.

pub mod auth;
pub mod cloud;
mod error;
pub mod model;
pub mod path;

pub use cloud::{Cloud, Endpoints};
pub use error::{GraphError, ServiceError};
pub use path::GraphPath;
