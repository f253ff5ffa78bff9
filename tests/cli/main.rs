//! End-to-end tests of the `provctl` binary against the in-process Graph emulator: one test binary,
//! one module per command group. Shared setup (emulator, CA file, token, pinned time and width)
//! lives in `common`.

mod common;
mod jobs;
mod monitor;
mod provision;
mod quarantine;
mod tenants;
