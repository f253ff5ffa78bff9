//! The emulator's HTTP side, one concern a file:
//! - `state`: what the handlers share, one `AppState` per tenant served (documents, tokens,
//!   request log, throttling budget, faults, device codes, refresh tokens, its router), and loading
//!   a tenant;
//! - `frame`: the framing middleware every request passes (request ids, request log, Graph's error
//!   envelope and headers), Graph's error and JSON answers, and the query and body helpers of the
//!   handlers;
//! - `authz`: bearer-token authorization, the permission each operation needs, the throttling
//!   budget;
//! - `routes`: one tenant's router (Graph `v1.0` and `beta`, login, managed identity) and running
//!   one request through it for `$batch`;
//! - `listen`: the HTTPS and plain-HTTP listeners and the front service that picks the tenant and
//!   injects faults; starting and stopping.
//!
//! The handlers themselves live beside this module (`jobs`, `logs`, `directory`, `objects`,
//! `batch`, `auth`) and import what they need from here.

mod authz;
mod frame;
mod listen;
mod routes;
mod state;

pub(crate) use authz::{Perm, require, throttle};
pub(crate) use frame::{
    ApiError, ApiResult, ApiVersion, Origin, ReqIds, json_body, json_response, next_link,
    no_content, query_opt, query_pairs, raw_json_response,
};
pub(crate) use listen::{Running, start};
pub(crate) use routes::{dispatch, parse_method};
pub(crate) use state::{AppState, DeviceGrant, RefreshGrant, St, lock};
