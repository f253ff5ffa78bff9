//! The `workload-identity` method: a federated token from a file (AKS workload identity, or a CI
//! OIDC token written to disk) exchanged for a Graph token, through azure_identity's
//! `WorkloadIdentityCredential`.

use std::path::PathBuf;
use std::sync::Arc;

use azure_identity::{
    ClientAssertionCredentialOptions, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use super::azure::{AzureProvider, client_options, map_error};
use super::{AuthError, AuthOptions, TokenProvider, env};
use crate::graph::Endpoints;

/// The file holding the federated token.
pub const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// The provider for `--auth workload-identity`: tenant and client id as for `env`, the token file
/// from `AZURE_FEDERATED_TOKEN_FILE`.
pub fn provider(
    opts: &AuthOptions,
    http: &reqwest::Client,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let what = "--auth workload-identity";
    let tenant = env::tenant(opts, what)?;
    let client_id = env::client_id(opts, what)?;
    let file = opts.env.require(FEDERATED_TOKEN_FILE, what)?;
    let options = WorkloadIdentityCredentialOptions {
        tenant_id: Some(tenant),
        client_id: Some(client_id),
        token_file_path: Some(PathBuf::from(file)),
        credential_options: ClientAssertionCredentialOptions {
            client_options: client_options(http, endpoints),
        },
    };
    let credential = WorkloadIdentityCredential::new(Some(options))
        .map_err(|e| map_error("workload-identity", &e))?;
    Ok(Arc::new(AzureProvider::new(
        credential,
        "workload-identity",
    )))
}
