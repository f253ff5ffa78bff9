//! End-to-end tests of the `provctl` binary against the in-process Graph emulator: one test binary,
//! one module per command group (and `job_refs`: every job-taking command with every way of
//! naming a job). Shared setup (emulator, CA file, tokens, pinned time and width, the binary
//! without an emulator) lives in `common`; add tests to a module here, not a new test binary.

mod auth;
mod bulk;
mod common;
mod doctor_auth;
mod doctor_network;
mod files;
mod held_back;
mod help;
mod job_refs;
mod jobs;
mod logs;
mod monitor;
mod output;
mod provision;
mod quarantine;
mod scope;
mod signin;
mod summary;
mod tenant;
mod tenants;
