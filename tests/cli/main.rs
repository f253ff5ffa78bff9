//! End-to-end tests of the `provctl` binary against the in-process Graph emulator: one test binary,
//! one module per command group (and `job_refs`: every job-taking command with every way of
//! naming a job). Shared setup (emulator, CA file, token, pinned time and width)
//! lives in `common`.

mod common;
mod files;
mod held_back;
mod help;
mod job_refs;
mod jobs;
mod monitor;
mod output;
mod provision;
mod quarantine;
mod scope;
mod signin;
mod summary;
mod tenant;
mod tenants;
