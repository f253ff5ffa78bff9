//! The `azure-cli` method: the account signed in with `az login`, through azure_identity's
//! `AzureCliCredential` (which runs `az account get-access-token --scope <the selected cloud's
//! Graph>/.default`). az signs in to one cloud at a time: before the first token, `az cloud show`
//! is asked which, and a cloud other than the one provctl was pointed at (`--cloud`, the profile)
//! is refused naming both, rather than left to fail as an unknown resource. Tests swap the `az`
//! program with [`PathExecutor`].

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;

use async_trait::async_trait;
use azure_identity::{AzureCliCredential, AzureCliCredentialOptions, Executor};
use tokio::sync::OnceCell;

use super::azure::{AzureProvider, map_error};
use super::{AccessToken, AuthError, AuthOptions, AuthUi, EnvVars, TokenProvider};
use crate::graph::{Cloud, Endpoints};

const METHOD: &str = "azure-cli";

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
    endpoints: &Endpoints,
    executor: Option<Arc<dyn Executor>>,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let executor = executor.unwrap_or_else(azure_identity::new_executor);
    let options = AzureCliCredentialOptions {
        tenant_id: opts.tenant(),
        executor: Some(executor.clone()),
        ..AzureCliCredentialOptions::default()
    };
    let credential = AzureCliCredential::new(Some(options)).map_err(|e| map_error(METHOD, &e))?;
    Ok(Arc::new(AzureCliProvider {
        inner: AzureProvider::new(credential, METHOD),
        executor,
        cloud: endpoints.cloud(),
        checked: OnceCell::new(),
        ui: opts.ui(),
    }))
}

/// The Azure CLI's account, checked once against the selected cloud.
#[derive(Debug)]
struct AzureCliProvider {
    inner: AzureProvider,
    executor: Arc<dyn Executor>,
    cloud: Option<Cloud>,
    checked: OnceCell<()>,
    ui: Arc<dyn AuthUi>,
}

impl AzureCliProvider {
    /// Refuses when az is signed in to another cloud than the selected one (`az cloud show`).
    /// When az cannot tell, the token request says what is wrong.
    async fn check_cloud(&self) -> Result<(), AuthError> {
        let Some(cloud) = self.cloud else {
            return Ok(());
        };
        let Some(active) = az_cloud(self.executor.as_ref()).await else {
            return Ok(());
        };
        if active.eq_ignore_ascii_case(cloud.az_name()) {
            return Ok(());
        }
        match active.parse::<Cloud>() {
            Ok(_) => Err(AuthError::Rejected {
                method: METHOD.to_owned(),
                message: format!(
                    "provctl is set for the {cloud} cloud (az calls it {}), but az is signed in to {active} \
                     (`az cloud show`): run `az cloud set --name {}` and `az login`, or choose the cloud \
                     az uses with --cloud",
                    cloud.az_name(),
                    cloud.az_name()
                ),
                aadsts: None,
            }),
            Err(_) => {
                self.ui.notice(&format!(
                    "az is signed in to the cloud '{active}' (`az cloud show`), which provctl does \
                     not know; provctl is set for the {cloud} cloud ({})",
                    cloud.az_name()
                ));
                Ok(())
            }
        }
    }
}

#[async_trait]
impl TokenProvider for AzureCliProvider {
    async fn token(&self, scopes: &[&str]) -> Result<AccessToken, AuthError> {
        self.checked.get_or_try_init(|| self.check_cloud()).await?;
        self.inner.token(scopes).await
    }

    async fn refresh(
        &self,
        scopes: &[&str],
        rejected: &AccessToken,
    ) -> Result<Option<AccessToken>, AuthError> {
        self.inner.refresh(scopes, rejected).await
    }

    fn method(&self) -> &str {
        METHOD
    }
}

/// The name of az's active cloud (`az cloud show --query name -o tsv`), run through the platform
/// shell as azure_identity runs az; `None` when az does not answer with one.
async fn az_cloud(executor: &dyn Executor) -> Option<String> {
    const COMMAND: &str = "az cloud show --query name -o tsv";
    let output = if cfg!(windows) {
        executor
            .run(OsStr::new("cmd"), &[OsStr::new("/C"), OsStr::new(COMMAND)])
            .await
    } else {
        executor
            .run(
                OsStr::new("/bin/sh"),
                &[OsStr::new("-c"), OsStr::new(COMMAND)],
            )
            .await
    };
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            tracing::debug!("`{COMMAND}` failed ({})", o.status);
            return None;
        }
        Err(e) => {
            tracing::debug!("`{COMMAND}` could not run: {e}");
            return None;
        }
    };
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // One word of letters and digits: anything else is not a cloud name.
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())).then_some(name)
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

    /// Writes a fake `az` that says it is signed in to `cloud`, hands out `token`, and appends
    /// each command line it was run with to `calls`.
    pub(crate) fn fake_az_in_cloud(dir: &std::path::Path, cloud: &str, token: &str) {
        let calls = dir.join("calls");
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in\n  *'cloud show'*) echo {cloud} ;;\n  *) echo '{{\"accessToken\":\"{token}\",\"expires_on\":4102444800,\"tokenType\":\"Bearer\"}}' ;;\nesac\n",
            calls.display()
        );
        let path = dir.join("az");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[tokio::test]
    async fn az_is_asked_for_the_selected_clouds_graph_and_another_cloud_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fake_az_in_cloud(dir.path(), "AzureUSGovernment", "gov-token");
        let usgov = Endpoints::for_cloud(Cloud::UsGov);
        let p = provider_with_executor(
            &AuthOptions::default(),
            &usgov,
            Some(Arc::new(PathExecutor::new(dir.path()))),
        )
        .unwrap();
        let t = p.token(&[usgov.scope.as_str()]).await.unwrap();
        assert_eq!(t.token.expose(), "gov-token");
        let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
        assert!(
            calls.contains("get-access-token -o json --scope https://graph.microsoft.us/.default"),
            "{calls}"
        );

        // az signed in to the public cloud while provctl is set for US Government.
        let dir = tempfile::tempdir().unwrap();
        fake_az_in_cloud(dir.path(), "AzureCloud", "public-token");
        let p = provider_with_executor(
            &AuthOptions::default(),
            &usgov,
            Some(Arc::new(PathExecutor::new(dir.path()))),
        )
        .unwrap();
        let err = p.token(&[usgov.scope.as_str()]).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("usgov")
                && text.contains("AzureUSGovernment")
                && text.contains("signed in to AzureCloud"),
            "{text}"
        );
        let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
        assert!(
            !calls.contains("get-access-token"),
            "no token asked: {calls}"
        );
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
