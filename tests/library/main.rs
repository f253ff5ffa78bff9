//! Integration tests of the `provctl` library, in one test binary (one link for CI): the Graph
//! client against wiremock (`graph_client`, `jobs_wire`), sign-in against the emulator (`auth`),
//! pacing (`pacing`), the models and schemas against Microsoft's documented payloads
//! (`schemas`), and the emulator itself (`sim_graph` for its behaviour, `sim_conformance` for the
//! shapes it serves). Shared set-up lives in `tests/support/`. The binary's own tests are in
//! `tests/cli/`.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod graph_client;
mod jobs_wire;
mod pacing;
mod schemas;
mod sim_conformance;
mod sim_graph;
