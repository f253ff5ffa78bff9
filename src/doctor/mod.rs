//! Local health checks of the machine provctl runs on — a cloud sync agent's host. Each check is a
//! library call with injectable inputs (targets, resolver, roots, timeouts), so it is tested against
//! loopback servers; `provctl doctor <check>` in [`crate::cli`] only renders the results.

pub mod network;
