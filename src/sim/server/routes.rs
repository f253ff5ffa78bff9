//! The router of one tenant: Graph `v1.0` and `beta` (the handlers live in `jobs`, `logs`,
//! `directory`, `objects` and `batch`; each version only serves what Graph serves in it), the login
//! and managed-identity endpoints (`auth`), behind the token check and the framing middleware; and
//! one request through it, for `$batch` items.

use axum::Router;
use axum::extract::{Extension, Request};
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::authz::require_token;
use super::frame::{ApiError, ApiResult, ApiVersion, frame};
use super::state::{AppState, St, lock};

/// A path under a version that no route serves: Graph's 400 naming the first unknown segment.
async fn unknown_segment(req: Request) -> ApiResult {
    let path = req.uri().path().to_string();
    let seg = path
        .trim_start_matches('/')
        .split('/')
        .find(|s| !s.is_empty() && *s != "v1.0" && *s != "beta")
        .unwrap_or("")
        .to_string();
    Err(ApiError::bad_request(format!(
        "Resource not found for the segment '{seg}'."
    )))
}

/// The routes of one Graph version.
fn graph_routes(st: &St, ver: ApiVersion) -> Router<St> {
    let sync = "/servicePrincipals/{sp}/synchronization";
    let mut r = Router::new()
        .route(
            "/servicePrincipals",
            get(crate::sim::directory::list_service_principals),
        )
        .route(
            "/servicePrincipals/{sp}",
            get(crate::sim::directory::get_service_principal),
        )
        .route(&format!("{sync}/jobs"), get(crate::sim::jobs::list_jobs))
        .route(
            &format!("{sync}/jobs/validateCredentials"),
            post(crate::sim::jobs::validate_credentials_collection),
        )
        .route(
            &format!("{sync}/jobs/{{job}}"),
            get(crate::sim::jobs::get_job),
        )
        .route(
            &format!("{sync}/jobs/{{job}}/{{action}}"),
            post(crate::sim::jobs::job_action).get(crate::sim::jobs::get_schema),
        )
        .route(
            &format!("{sync}/jobs/{{job}}/schema/filterOperators"),
            get(crate::sim::jobs::filter_operators),
        )
        .route(
            "/servicePrincipals/{sp}/appRoleAssignedTo",
            get(crate::sim::objects::app_role_assigned_to),
        )
        .route("/users/{id}", get(crate::sim::objects::get_user))
        .route("/groups/{id}", get(crate::sim::objects::get_group))
        .route(
            "/directoryObjects/{id}/{action}",
            post(crate::sim::objects::check_member_groups),
        )
        .route(
            &format!("{sync}/secrets"),
            get(crate::sim::jobs::get_secrets).put(crate::sim::jobs::put_secrets),
        )
        .route("/auditLogs/provisioning", get(crate::sim::logs::list_logs))
        .route(
            "/directory/onPremisesSynchronization",
            get(crate::sim::directory::on_prem_list),
        )
        .route(
            "/directory/onPremisesSynchronization/{id}",
            get(crate::sim::directory::on_prem_get).patch(crate::sim::directory::on_prem_patch),
        );
    if ver.is_beta() {
        r = r
            .route(
                "/auditLogs/directoryProvisioning",
                get(crate::sim::logs::list_logs),
            )
            .route(
                "/onPremisesPublishingProfiles/provisioning/{collection}",
                get(crate::sim::directory::publishing_list),
            )
            .route(
                "/onPremisesPublishingProfiles/provisioning/{collection}/{id}",
                get(crate::sim::directory::publishing_get),
            );
    }
    r.route("/$batch", post(crate::sim::batch::batch))
        .route_layer(middleware::from_fn_with_state(st.clone(), require_token))
        .fallback(unknown_segment)
        .layer(Extension(ver))
}

/// The whole router of one tenant: both Graph versions, login, managed identity, and the framing
/// middleware around all of them.
pub(crate) fn build_router(st: &St) -> Router {
    Router::new()
        .nest("/v1.0", graph_routes(st, ApiVersion("v1.0")))
        .nest("/beta", graph_routes(st, ApiVersion("beta")))
        .route("/{tenant}/oauth2/v2.0/token", post(crate::sim::auth::token))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(crate::sim::auth::device_code),
        )
        .route(
            "/metadata/identity/oauth2/token",
            get(crate::sim::auth::imds_token),
        )
        .route("/msi/token", get(crate::sim::auth::app_service_token))
        .route("/oauth2/token", post(crate::sim::auth::cloud_shell_token))
        .fallback(|req: Request| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("No route for {} {}", req.method(), req.uri().path()),
            )
        })
        .layer(middleware::from_fn_with_state(st.clone(), frame))
        .with_state(st.clone())
}

/// Run one request through the router (used by `$batch`).
pub(crate) async fn dispatch(st: &AppState, req: Request) -> Response {
    let router = lock(&st.router).clone();
    match router {
        Some(r) => match tower::ServiceExt::oneshot(r, req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        },
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Method helper for batch items.
pub(crate) fn parse_method(m: &str) -> Option<Method> {
    Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()
}
