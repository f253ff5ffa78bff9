//! The `token` method: a ready-made access token from `PROVCTL_ACCESS_TOKEN` or stdin
//! (`--token-stdin`). Nothing is refreshed: when Graph rejects it, the user gets a new one.

use std::io::Read;

use async_trait::async_trait;

use super::{ACCESS_TOKEN_VAR, AccessToken, AuthError, AuthOptions, TokenProvider, claims};
use crate::secret::Secret;

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
        // A JWT carries its expiry; an opaque test token has none.
        let expires_on = claims::decode(&self.token).ok().and_then(|c| c.expires_on);
        Ok(AccessToken {
            token: self.token.clone(),
            expires_on,
        })
    }

    fn method(&self) -> &str {
        "token"
    }
}

/// Reads a token from `input` (stdin in the CLI): the first non-empty line, an optional
/// `Bearer ` prefix removed.
pub fn read_token(mut input: impl Read) -> Result<Secret, AuthError> {
    let mut raw = String::new();
    input
        .read_to_string(&mut raw)
        .map_err(|e| AuthError::NotConfigured(format!("--token-stdin: cannot read stdin: {e}")))?;
    let raw = Secret::new(raw);
    let line = raw
        .expose()
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("Bearer ").unwrap_or(l).trim());
    match line {
        Some(t) => Ok(Secret::new(t)),
        None => Err(AuthError::NotConfigured(
            "--token-stdin: stdin was empty; pipe a token in, e.g. `az account get-access-token \
             --resource-type ms-graph --query accessToken -o tsv | provctl --token-stdin ...`"
                .to_owned(),
        )),
    }
}

/// The provider for `--auth token`: the stdin token when `--token-stdin` was given, otherwise
/// `PROVCTL_ACCESS_TOKEN`.
pub fn from_options(opts: &AuthOptions) -> Result<StaticToken, AuthError> {
    if opts.token_stdin {
        return match &opts.stdin_token {
            Some(t) if !t.is_empty() => Ok(StaticToken::new(t.clone())),
            _ => Err(AuthError::NotConfigured(
                "--token-stdin was given but no token was read from stdin".to_owned(),
            )),
        };
    }
    let raw = opts.env.get(ACCESS_TOKEN_VAR).ok_or_else(|| {
        AuthError::NotConfigured(format!(
            "--auth token needs {ACCESS_TOKEN_VAR} or --token-stdin"
        ))
    })?;
    let raw = raw.trim();
    Ok(StaticToken::new(raw.strip_prefix("Bearer ").unwrap_or(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::EnvVars;

    #[test]
    fn stdin_token_is_trimmed_and_its_bearer_prefix_dropped() {
        let t = read_token("\n  Bearer abc.def.ghi \n".as_bytes()).unwrap();
        assert_eq!(t.expose(), "abc.def.ghi");
        assert!(read_token("  \n".as_bytes()).is_err());
    }

    #[tokio::test]
    async fn the_env_token_is_used_as_is() {
        let opts = AuthOptions {
            env: EnvVars::from_pairs([(ACCESS_TOKEN_VAR, "opaque-token")]),
            ..AuthOptions::default()
        };
        let p = from_options(&opts).unwrap();
        let t = p.token(&["s"]).await.unwrap();
        assert_eq!(t.token.expose(), "opaque-token");
        assert!(t.expires_on.is_none());
        assert_eq!(p.method(), "token");
    }
}
