//! The explain engine: pure functions from Graph models to findings an admin can act on — why a job
//! is quarantined, why an object was skipped or failed (a log record, a provisionOnDemand answer,
//! every record of one object), what a Graph error or a refused sign-in (AADSTS code) means, which
//! agents are inactive and which domains have none active left, whether an object is in a job's
//! scope — each with the evidence, the likely causes, the next steps (provctl commands where they
//! exist) and the documents behind them; and log summaries ([`summary`]: counts by status, job,
//! cycle and reason in one streaming pass). The knowledge lives in `knowledge.toml`, embedded at
//! build time ([`knowledge`]). No I/O here; "now" is a parameter.

mod agents;
pub mod deletes;
mod finding;
mod graph_error;
mod job;
pub mod knowledge;
mod log;
mod object;
pub mod scope;
mod sign_in;
pub mod summary;
mod text;

pub use agents::explain_agents;
pub use finding::{
    Category, Evidence, Explanation, Finding, HistoryEvent, NextStep, PropertyChange, Severity,
    Source, Subject, SubjectKind,
};
pub use graph_error::{explain_error, explain_graph_error};
pub use job::{days_left, explain_job, quarantine_one_liner};
pub use log::{add_scope_check, explain_log, explain_on_demand, skip_or_failure_reason};
pub use object::explain_object;
pub use sign_in::{explain_auth_error, sign_in_entry};
pub use summary::{LogSummary, Summarizer};
pub use text::render_text;

#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod tests;
