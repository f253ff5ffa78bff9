//! Set-up shared by the library tests (`tests/library/`): the emulator reached over TLS as provctl
//! reaches a tenant, a wiremock Graph and a client for it, and validating JSON against the
//! committed Graph schemas. The CLI tests have their own
//! harness, `tests/cli/common.rs`.

pub mod emulator;
pub mod graph_mock;
pub mod graph_schemas;
