//! The bridge to azure_identity: client options that send token requests through our one
//! `reqwest::Client` to the cloud's authority host, a [`TokenProvider`] over any
//! `TokenCredential`, and the mapping of azure_core errors to [`AuthError`] with the AADSTS code.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use chrono::DateTime;

use super::{AccessToken, AuthError, TokenProvider};
use crate::graph::Endpoints;
use crate::secret::Secret;

/// Client options for a credential: authority = `endpoints.login`, transport = `http`, and a short
/// retry budget (sign-in should fail fast and say why).
pub(crate) fn client_options(http: &reqwest::Client, endpoints: &Endpoints) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = endpoints.login.as_str().trim_end_matches('/').to_owned();
    ClientOptions {
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        transport: Some(Transport::new(Arc::new(http.clone()))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: 3,
            initial_delay: azure_core::time::Duration::milliseconds(300),
            max_delay: azure_core::time::Duration::seconds(5),
            max_total_elapsed: azure_core::time::Duration::seconds(30),
        }),
        ..ClientOptions::default()
    }
}

/// A [`TokenProvider`] over an azure_identity credential (which caches and renews tokens itself).
#[derive(Debug)]
pub(crate) struct AzureProvider {
    credential: Arc<dyn TokenCredential>,
    method: &'static str,
}

impl AzureProvider {
    pub(crate) fn new(credential: Arc<dyn TokenCredential>, method: &'static str) -> Self {
        AzureProvider { credential, method }
    }
}

#[async_trait]
impl TokenProvider for AzureProvider {
    async fn token(&self, scopes: &[&str]) -> Result<AccessToken, AuthError> {
        let t = self
            .credential
            .get_token(scopes, None)
            .await
            .map_err(|e| map_error(self.method, &e))?;
        Ok(AccessToken {
            token: Secret::new(t.token.secret()),
            expires_on: DateTime::from_timestamp(t.expires_on.unix_timestamp(), 0),
        })
    }

    async fn refresh(
        &self,
        scopes: &[&str],
        rejected: &AccessToken,
    ) -> Result<Option<AccessToken>, AuthError> {
        // The credential's cache renews a token that is about to expire; a fresh one that Graph
        // refused would only be refused again.
        let fresh = self.token(scopes).await?;
        Ok((fresh.token != rejected.token).then_some(fresh))
    }

    fn method(&self) -> &str {
        self.method
    }
}

/// Maps an azure_core error to [`AuthError`]: identity-provider answers become `Rejected` (with
/// the AADSTS code), everything else `Unavailable`.
pub(crate) fn map_error(method: &str, err: &azure_core::Error) -> AuthError {
    let mut message = err.to_string();
    // Drop the SDK's troubleshooting link: our hints are more specific.
    if let Some(i) = message.find("\nTo troubleshoot") {
        message.truncate(i);
    }
    let message = message.trim().replace('\n', " ");
    let mut aadsts = find_aadsts(&message);
    let mut http_answer = false;
    let mut transport_failed = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        let kind = e.downcast_ref::<azure_core::Error>().map(|az| az.kind());
        if matches!(kind, Some(ErrorKind::Connection | ErrorKind::Io))
            || e.downcast_ref::<reqwest::Error>().is_some()
        {
            transport_failed = true;
        }
        if let Some(ErrorKind::HttpResponse { error_code, .. }) = kind {
            http_answer = true;
            if aadsts.is_none() {
                aadsts = error_code
                    .as_deref()
                    .and_then(|c| c.split(',').next())
                    .filter(|c| c.chars().all(|ch| ch.is_ascii_digit()) && !c.is_empty())
                    .map(|c| format!("AADSTS{c}"));
            }
        }
        source = e.source();
    }
    let rejected = aadsts.is_some()
        || http_answer
        || (!transport_failed && matches!(err.kind(), ErrorKind::Credential));
    if rejected {
        AuthError::Rejected {
            method: method.to_owned(),
            message,
            aadsts,
        }
    } else {
        // The cause that matters (the DNS, connect or TLS error, with the host) sits deep in the
        // source chain: name every link that adds something.
        let mut message = message;
        let mut source = std::error::Error::source(err);
        while let Some(e) = source {
            let text = e.to_string().trim().replace('\n', " ");
            if !text.is_empty() && !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = e.source();
        }
        AuthError::Unavailable {
            method: method.to_owned(),
            message,
        }
    }
}

/// The first `AADSTS<digits>` code in `text`.
pub(crate) fn find_aadsts(text: &str) -> Option<String> {
    let i = text.find("AADSTS")?;
    let digits: String = text[i + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_codes_are_found_in_messages() {
        assert_eq!(
            find_aadsts("ClientSecretCredential authentication failed. AADSTS7000215: Invalid"),
            Some("AADSTS7000215".to_owned())
        );
        assert_eq!(find_aadsts("no code AADSTS here"), None);
    }

    #[test]
    fn a_credential_error_is_rejected_and_keeps_its_code() {
        let e = azure_core::Error::with_message(
            ErrorKind::Credential,
            "AADSTS90002: Tenant 'x' not found.\nTo troubleshoot, visit https://aka.ms/x",
        );
        match map_error("env", &e) {
            AuthError::Rejected {
                aadsts, message, ..
            } => {
                assert_eq!(aadsts.as_deref(), Some("AADSTS90002"));
                assert!(!message.contains("troubleshoot"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let io = azure_core::Error::with_message(ErrorKind::Connection, "refused");
        assert!(matches!(
            map_error("env", &io),
            AuthError::Unavailable { .. }
        ));
    }
}
