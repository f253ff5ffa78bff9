//! The `managed-identity` method: the identity Azure gives the machine or app, through
//! azure_identity's `ManagedIdentityCredential` (App Service style `IDENTITY_ENDPOINT` +
//! `IDENTITY_HEADER`, or IMDS on a VM). `--client-id` picks a user-assigned identity.
//!
//! azure_identity reads `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` from the process environment itself.

use std::sync::Arc;

use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};

use super::azure::{AzureProvider, client_options, map_error};
use super::{AuthError, AuthOptions, TokenProvider};
use crate::graph::Endpoints;

/// The provider for `--auth managed-identity`.
pub fn provider(
    opts: &AuthOptions,
    http: &reqwest::Client,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    // A user-assigned identity: `--client-id`, then AZURE_CLIENT_ID, then the profile.
    let user_assigned = opts
        .client_id
        .clone()
        .or_else(|| opts.env.get(super::env::CLIENT_ID).map(str::to_owned))
        .or_else(|| opts.client_id())
        .map(UserAssignedId::ClientId);
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: user_assigned,
        client_options: client_options(http, endpoints),
    };
    let credential = ManagedIdentityCredential::new(Some(options))
        .map_err(|e| map_error("managed-identity", &e))?;
    Ok(Arc::new(AzureProvider::new(credential, "managed-identity")))
}
