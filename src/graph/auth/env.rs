//! The `env` method: a service principal described by the `AZURE_*` variables every Azure SDK
//! reads, with a client secret (`AZURE_CLIENT_SECRET`) or a certificate
//! (`AZURE_CLIENT_CERTIFICATE_PATH`, optionally `AZURE_CLIENT_CERTIFICATE_PASSWORD`).

use std::path::PathBuf;
use std::sync::Arc;

use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

use super::azure::{AzureProvider, client_options, map_error};
use super::certificate::{ClientCertificate, with_certificate};
use super::{AuthError, AuthOptions, TokenProvider};
use crate::graph::Endpoints;
use crate::secret::Secret;

/// The tenant id or domain.
pub const TENANT_ID: &str = "AZURE_TENANT_ID";
/// The application (client) id.
pub const CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// The client secret.
pub const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// A PEM or PFX certificate file.
pub const CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// The PFX file's password.
pub const CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";

/// The tenant for app sign-in: `--tenant`, then `AZURE_TENANT_ID`, then the profile.
pub(crate) fn tenant(opts: &AuthOptions, what: &str) -> Result<String, AuthError> {
    opts.tenant
        .clone()
        .or_else(|| opts.env.get(TENANT_ID).map(str::to_owned))
        .or_else(|| opts.tenant())
        .ok_or_else(|| {
            AuthError::NotConfigured(format!(
                "{what} needs a tenant: set {TENANT_ID} or pass --tenant"
            ))
        })
}

/// The client id for app sign-in: `--client-id`, then `AZURE_CLIENT_ID`, then the profile.
pub(crate) fn client_id(opts: &AuthOptions, what: &str) -> Result<String, AuthError> {
    opts.client_id
        .clone()
        .or_else(|| opts.env.get(CLIENT_ID).map(str::to_owned))
        .or_else(|| opts.client_id())
        .ok_or_else(|| {
            AuthError::NotConfigured(format!(
                "{what} needs the application (client) id: set {CLIENT_ID} or pass --client-id"
            ))
        })
}

/// The provider for `--auth env`.
pub fn provider(
    opts: &AuthOptions,
    http: &reqwest::Client,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let what = "--auth env";
    let tenant = tenant(opts, what)?;
    let client_id = client_id(opts, what)?;
    if let Some(secret) = opts.env.get(CLIENT_SECRET) {
        let credential = ClientSecretCredential::new(
            &tenant,
            client_id,
            azure_core::credentials::Secret::new(secret.to_owned()),
            Some(ClientSecretCredentialOptions {
                client_options: client_options(http, endpoints),
            }),
        )
        .map_err(|e| map_error("env", &e))?;
        return Ok(Arc::new(AzureProvider::new(credential, "env")));
    }
    if let Some(path) = opts.env.get(CLIENT_CERTIFICATE_PATH) {
        let password = opts.env.get(CLIENT_CERTIFICATE_PASSWORD).map(Secret::new);
        let cert = ClientCertificate::load(&PathBuf::from(path), password.as_ref())?;
        return with_certificate(cert, &tenant, &client_id, http, endpoints, "env");
    }
    Err(AuthError::NotConfigured(format!(
        "{what} needs {CLIENT_SECRET} or {CLIENT_CERTIFICATE_PATH}"
    )))
}
