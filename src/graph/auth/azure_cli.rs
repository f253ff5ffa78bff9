//! The `azure-cli` method: the account signed in with `az login`, through azure_identity's
//! `AzureCliCredential` (which runs `az account get-access-token`). Tests swap the `az` program
//! with [`PathExecutor`].

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;

use async_trait::async_trait;
use azure_identity::{AzureCliCredential, AzureCliCredentialOptions, Executor};

use super::azure::{AzureProvider, map_error};
use super::{AuthError, AuthOptions, EnvVars, TokenProvider};
use crate::graph::Endpoints;

/// True when an `az` program is on the `PATH` of `env`.
pub fn az_on_path(env: &EnvVars) -> bool {
    let Some(path) = env.get("PATH") else {
        return false;
    };
    let names: &[&str] = if cfg!(windows) {
        &["az.cmd", "az.exe", "az.bat"]
    } else {
        &["az"]
    };
    std::env::split_paths(path).any(|dir| names.iter().any(|n| dir.join(n).is_file()))
}

/// An [`Executor`] that runs commands with `dir` first on `PATH`, so a stand-in `az` is found.
#[derive(Debug, Clone)]
pub struct PathExecutor {
    dir: PathBuf,
}

impl PathExecutor {
    /// Runs commands with `dir` prepended to `PATH`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PathExecutor { dir: dir.into() }
    }
}

#[async_trait]
impl Executor for PathExecutor {
    async fn run(&self, program: &OsStr, args: &[&OsStr]) -> std::io::Result<Output> {
        let mut paths = vec![self.dir.clone()];
        if let Some(p) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&p));
        }
        let path = std::env::join_paths(paths).map_err(std::io::Error::other)?;
        tokio::process::Command::new(program)
            .args(args)
            .env("PATH", path)
            .output()
            .await
    }
}

/// The provider for `--auth azure-cli`, running the real `az`.
pub fn provider(
    opts: &AuthOptions,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    provider_with_executor(opts, endpoints, None)
}

/// The provider for `--auth azure-cli` with a chosen [`Executor`] (`None`: the default one).
pub fn provider_with_executor(
    opts: &AuthOptions,
    _endpoints: &Endpoints,
    executor: Option<Arc<dyn Executor>>,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let options = AzureCliCredentialOptions {
        tenant_id: opts.tenant(),
        executor,
        ..AzureCliCredentialOptions::default()
    };
    let credential =
        AzureCliCredential::new(Some(options)).map_err(|e| map_error("azure-cli", &e))?;
    Ok(Arc::new(AzureProvider::new(credential, "azure-cli")))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::graph::Cloud;
    use std::os::unix::fs::PermissionsExt;

    /// Writes a fake `az` that prints `stdout` and exits with `code`.
    pub(crate) fn fake_az(dir: &std::path::Path, stdout: &str, code: i32) {
        let script = format!("#!/bin/sh\ncat <<'JSON'\n{stdout}\nJSON\nexit {code}\n");
        let path = dir.join("az");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[tokio::test]
    async fn the_token_of_az_login_is_used() {
        let dir = tempfile::tempdir().unwrap();
        fake_az(
            dir.path(),
            r#"{"accessToken":"az-token","expires_on":4102444800,"tokenType":"Bearer"}"#,
            0,
        );
        assert!(az_on_path(&EnvVars::from_pairs([(
            "PATH",
            dir.path().to_str().unwrap()
        )])));
        let p = provider_with_executor(
            &AuthOptions::default(),
            &Endpoints::for_cloud(Cloud::Global),
            Some(Arc::new(PathExecutor::new(dir.path()))),
        )
        .unwrap();
        let t = p
            .token(&["https://graph.microsoft.com/.default"])
            .await
            .unwrap();
        assert_eq!(t.token.expose(), "az-token");
        assert_eq!(p.method(), "azure-cli");
    }

    #[tokio::test]
    async fn an_az_that_is_not_logged_in_is_a_rejection() {
        let dir = tempfile::tempdir().unwrap();
        fake_az(
            dir.path(),
            "ERROR: Please run 'az login' to setup account.",
            1,
        );
        let p = provider_with_executor(
            &AuthOptions::default(),
            &Endpoints::for_cloud(Cloud::Global),
            Some(Arc::new(PathExecutor::new(dir.path()))),
        )
        .unwrap();
        let err = p
            .token(&["https://graph.microsoft.com/.default"])
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Rejected { .. }), "{err:?}");
    }
}
