//! Whether a request may proceed: the bearer-token check of every Graph route
//! ([`require_token`]), the permission each operation needs ([`Perm`], [`require`]) and the
//! throttling budget it counts against ([`throttle`]).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::frame::ApiError;
use super::state::{AppState, St, lock};
use crate::sim::throttle::Family;
use crate::sim::tokens::{Claims, TokenProblem};

/// Bearer-token check for Graph routes: 401 `InvalidAuthenticationToken` when missing/bad/expired.
pub(crate) async fn require_token(State(st): State<St>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let result = lock(&st.tokens).validate(&token);
    let wanted = lock(&st.faults).spec.claims_challenge.clone();
    match result {
        Ok(claims) if wanted.as_ref().is_some_and(|c| !claims.acrs.contains(c)) => {
            // Conditional Access with an authentication context: Graph refuses the token with a
            // claims challenge naming the context (Microsoft's documented header shape).
            use base64::Engine as _;
            let context = wanted.unwrap_or_default();
            let challenge = serde_json::json!({"access_token": {"acrs": {"essential": true, "value": context}}});
            let encoded = base64::engine::general_purpose::STANDARD.encode(challenge.to_string());
            let mut e = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: InsufficientClaims",
            );
            e.headers.push((
                "www-authenticate",
                format!(
                    r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="{encoded}""#
                ),
            ));
            e.into_response()
        }
        Ok(claims) => {
            req.extensions_mut().insert(claims);
            next.run(req).await
        }
        Err(p) => {
            let message = match p {
                TokenProblem::Empty => "Access token is empty.",
                TokenProblem::Malformed => {
                    "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format."
                }
                TokenProblem::Expired => "Lifetime validation failed, the token is expired.",
                TokenProblem::UnknownSignature => "Signature validation failed.",
            };
            let mut e = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                message,
            );
            e.headers.push((
                "www-authenticate",
                r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#.into(),
            ));
            e.into_response()
        }
    }
}

/// The permission a Graph operation needs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Perm {
    ServicePrincipalsRead,
    JobsRead,
    JobsWrite,
    LogsRead,
    AgentsRead,
    PublishedResourcesRead,
    OnPremSyncRead,
    OnPremSyncWrite,
    UsersRead,
    GroupsRead,
}

impl Perm {
    /// (application roles, delegated scopes) that grant it; an empty role list = delegated only.
    fn grants(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Perm::ServicePrincipalsRead => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
            Perm::JobsRead => (
                &[
                    "Synchronization.Read.All",
                    "Synchronization.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                ],
                &["Synchronization.Read.All", "Synchronization.ReadWrite.All"],
            ),
            Perm::JobsWrite => (
                &[
                    "Synchronization.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                ],
                &["Synchronization.ReadWrite.All"],
            ),
            Perm::LogsRead => (
                &[
                    "ProvisioningLog.Read.All",
                    "AuditLog.Read.All",
                    "Directory.Read.All",
                ],
                &[
                    "ProvisioningLog.Read.All",
                    "AuditLog.Read.All",
                    "Directory.Read.All",
                ],
            ),
            Perm::AgentsRead => (
                &[],
                &[
                    "Policy.Read.HybridAuthentication",
                    "Policy.ReadWrite.HybridAuthentication",
                    "Directory.ReadWrite.All",
                    "OnPremisesPublishingProfiles.ReadWrite.All",
                ],
            ),
            Perm::PublishedResourcesRead => (
                &[],
                &[
                    "OnPremisesPublishingProfiles.ReadWrite.All",
                    "Policy.Read.HybridAuthentication",
                    "Policy.ReadWrite.HybridAuthentication",
                ],
            ),
            Perm::OnPremSyncRead => (
                &[],
                &[
                    "OnPremDirectorySynchronization.Read.All",
                    "OnPremDirectorySynchronization.ReadWrite.All",
                ],
            ),
            Perm::OnPremSyncWrite => (&[], &["OnPremDirectorySynchronization.ReadWrite.All"]),
            // GET /users/{id}: User.Read.All (least, application); delegated User.ReadBasic.All
            // doesn't return the attributes scoping filters test.
            Perm::UsersRead => (
                &[
                    "User.Read.All",
                    "User.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "User.Read.All",
                    "User.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
            // GET /groups/{id}, checkMemberGroups: GroupMember.Read.All (least).
            Perm::GroupsRead => (
                &[
                    "GroupMember.Read.All",
                    "Group.Read.All",
                    "Group.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "GroupMember.Read.All",
                    "Group.Read.All",
                    "Group.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
        }
    }
}

/// 403 unless the token carries a permission granting `perm`.
pub(crate) fn require(claims: &Claims, perm: Perm) -> Result<(), ApiError> {
    let (roles, scopes) = perm.grants();
    let ok = if claims.app_only {
        claims.roles.iter().any(|r| roles.contains(&r.as_str()))
    } else {
        claims.scopes.iter().any(|s| scopes.contains(&s.as_str()))
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Count the request against a throttling family.
pub(crate) fn throttle(st: &AppState, family: Family) -> Result<(), ApiError> {
    st.throttle.check(family).map_err(ApiError::throttled)
}
