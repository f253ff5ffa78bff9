//! Synchronization jobs across a tenant, split along its seams:
//! - [`discovery`]: which service principals hold jobs, and every job listed with `$batch`;
//! - [`resolve`]: what a user typed to name a job or a service principal, turned into one job;
//! - [`actions`]: the requests on one job (get, start, pause, restart, provisionOnDemand,
//!   validateCredentials, schema) and on its service principal's secrets;
//! - [`wait`]: how a job stands, and polling it until a new run ends;
//! - [`deletes`]: what a TooManyDeletes job holds back, from the job and its current cycle's log.
//!
//! [`JobKey`] (which job) and [`jobs_path`], which discovery, resolve, actions and wait use, live here. Everything is
//! re-exported here, so `crate::graph::sync::discover_jobs`, `sync::JobRef`, `sync::JobKey` and the
//! rest keep their paths.

use std::fmt;

use crate::graph::GraphPath;

pub mod actions;
pub mod deletes;
pub mod discovery;
pub mod resolve;
pub mod wait;

pub use actions::*;
pub use discovery::*;
pub use resolve::*;
pub use wait::*;

/// The two ids every job endpoint takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobKey {
    /// The service principal object id.
    pub service_principal_id: String,
    /// The job id (contains dots; always one path segment).
    pub job_id: String,
}

impl JobKey {
    /// A key.
    pub fn new(service_principal_id: impl Into<String>, job_id: impl Into<String>) -> Self {
        JobKey {
            service_principal_id: service_principal_id.into(),
            job_id: job_id.into(),
        }
    }

    /// `servicePrincipals/{sp}/synchronization/jobs/{job}`.
    pub fn path(&self) -> GraphPath {
        jobs_path(&self.service_principal_id).seg(&self.job_id)
    }
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service_principal_id, self.job_id)
    }
}

/// `servicePrincipals/{sp}/synchronization/jobs`.
pub fn jobs_path(service_principal_id: &str) -> GraphPath {
    GraphPath::new()
        .lit("servicePrincipals")
        .seg(service_principal_id)
        .lit("synchronization/jobs")
}
