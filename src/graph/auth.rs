//! The seam between the Graph client and whatever signs in: a [`TokenProvider`] hands out bearer
//! tokens for a scope. Implementations for each sign-in method live in `crate::graph::auth::*`
//! submodules; tests use [`StaticToken`].

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::secret::Secret;

/// A bearer token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The token itself; never printed.
    pub token: Secret,
    /// Expiry, when known.
    pub expires_on: Option<DateTime<Utc>>,
}

/// Why no token could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The identity provider refused the request (wrong secret, unknown tenant, expired refresh token...).
    #[error("{method} sign-in failed: {message}")]
    Rejected {
        /// The sign-in method (`env`, `device-code`, ...).
        method: String,
        /// What the identity provider said (AADSTS text included).
        message: String,
        /// The AADSTS code, when the answer carried one (`AADSTS7000215`).
        aadsts: Option<String>,
    },
    /// The sign-in method is not configured (missing variable, file, profile value).
    #[error("{0}")]
    NotConfigured(String),
    /// The identity provider could not be reached or answered nonsense.
    #[error("{method} sign-in: {message}")]
    Unavailable {
        /// The sign-in method.
        method: String,
        /// What went wrong.
        message: String,
    },
}

/// Something that hands out bearer tokens for Graph.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token valid for `scopes` (cached by the provider as it sees fit).
    async fn token(&self, scopes: &[&str]) -> Result<AccessToken, AuthError>;

    /// Called once when Graph answered 401 to a request made with `rejected`: return a fresh token
    /// to retry with, or `None` when this provider cannot get a new one.
    async fn refresh(
        &self,
        scopes: &[&str],
        rejected: &AccessToken,
    ) -> Result<Option<AccessToken>, AuthError> {
        let _ = (scopes, rejected);
        Ok(None)
    }

    /// The method's name as `--auth` spells it (`env`, `certificate`, `device-code`, `token`, ...).
    fn method(&self) -> &str;
}

/// A ready-made access token (from `PROVCTL_ACCESS_TOKEN`, `--token-stdin`, or a test).
#[derive(Debug, Clone)]
pub struct StaticToken {
    token: Secret,
}

impl StaticToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<Secret>) -> Self {
        StaticToken {
            token: token.into(),
        }
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self, _scopes: &[&str]) -> Result<AccessToken, AuthError> {
        Ok(AccessToken {
            token: self.token.clone(),
            expires_on: None,
        })
    }

    fn method(&self) -> &str {
        "token"
    }
}
