//! Local health checks of the machine provctl runs on — a cloud sync agent's host. Today one check,
//! [`network`]. Each check is a library call with injectable inputs (targets, resolver, roots,
//! timeouts), so it is tested against loopback servers; `provctl doctor <check>` in [`crate::cli`]
//! only renders the results. (`doctor auth` needs no check of its own here: it reads a token's
//! claims against [`crate::graph::permissions`].)

pub mod network;
