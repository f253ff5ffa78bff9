//! The explain engine: pure functions from Graph models to findings an admin can act on — why a job is
//! quarantined, why an object was skipped or failed, what a Graph error means — each with the evidence,
//! the likely causes, the next steps (provctl commands where they exist) and the documents behind them.
//! The knowledge lives in `knowledge.toml`, embedded at build time. No I/O here; "now" is a parameter.

mod agents;
mod document;
mod finding;
mod graph_error;
mod job;
pub mod knowledge;
mod log;
mod object;
pub mod summary;
mod text;

pub use agents::explain_agents;
pub use document::{DocumentError, DocumentExplanation, DocumentKind, explain_document};
pub use finding::{
    Category, Evidence, Explanation, Finding, HistoryEvent, NextStep, PropertyChange, Severity,
    Source, Subject, SubjectKind,
};
pub use graph_error::{GraphOperation, explain_error, explain_graph_error};
pub use job::{QUARANTINE_DISABLE_DAYS, days_left, explain_job, quarantine_one_liner};
pub use log::{explain_log, explain_on_demand, skip_or_failure_reason};
pub use object::explain_object;
pub use summary::{LogSummary, Summarizer};
pub use text::render_text;

#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod tests;
