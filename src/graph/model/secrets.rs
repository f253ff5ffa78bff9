//! Synchronization secrets (`/servicePrincipals/{id}/synchronization/secrets`): the key/value
//! pairs, the PUT body (which **replaces every secret**: GET, merge, PUT), cloud sync's
//! `SyncNotificationSettings` JSON-in-a-string value, and the validateCredentials body.
//! Secret values never appear in `Debug` output.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{lenient_opt_i64, null_default, open_enum};

open_enum! {
    /// CSDL `synchronizationSecret`: the names of the credentials and settings a job keeps.
    pub enum SynchronizationSecret {
        /// None.
        None = "None",
        /// User name.
        UserName = "UserName",
        /// Password.
        Password = "Password",
        /// Secret token (SCIM bearer token).
        SecretToken = "SecretToken",
        /// App key.
        AppKey = "AppKey",
        /// Base address (SCIM endpoint URL).
        BaseAddress = "BaseAddress",
        /// Client identifier.
        ClientIdentifier = "ClientIdentifier",
        /// Client secret.
        ClientSecret = "ClientSecret",
        /// Single sign-on type.
        SingleSignOnType = "SingleSignOnType",
        /// Sandbox.
        Sandbox = "Sandbox",
        /// URL.
        Url = "Url",
        /// Domain.
        Domain = "Domain",
        /// Consumer key.
        ConsumerKey = "ConsumerKey",
        /// Consumer secret.
        ConsumerSecret = "ConsumerSecret",
        /// Token key.
        TokenKey = "TokenKey",
        /// Token expiration.
        TokenExpiration = "TokenExpiration",
        /// OAuth2 access token.
        Oauth2AccessToken = "Oauth2AccessToken",
        /// OAuth2 access token creation time.
        Oauth2AccessTokenCreationTime = "Oauth2AccessTokenCreationTime",
        /// OAuth2 refresh token.
        Oauth2RefreshToken = "Oauth2RefreshToken",
        /// Sync all users and groups (vs. assigned only).
        SyncAll = "SyncAll",
        /// Instance name.
        InstanceName = "InstanceName",
        /// OAuth2 client id.
        Oauth2ClientId = "Oauth2ClientId",
        /// OAuth2 client secret.
        Oauth2ClientSecret = "Oauth2ClientSecret",
        /// Company id.
        CompanyId = "CompanyId",
        /// Update key on soft delete.
        UpdateKeyOnSoftDelete = "UpdateKeyOnSoftDelete",
        /// Synchronization schedule.
        SynchronizationSchedule = "SynchronizationSchedule",
        /// System of record.
        SystemOfRecord = "SystemOfRecord",
        /// Sandbox name.
        SandboxName = "SandboxName",
        /// Enforce domain.
        EnforceDomain = "EnforceDomain",
        /// Notification e-mail and accidental-delete threshold (JSON in a string).
        SyncNotificationSettings = "SyncNotificationSettings",
        /// Skip deletes of objects that went out of scope.
        SkipOutOfScopeDeletions = "SkipOutOfScopeDeletions",
        /// OAuth2 authorization code.
        Oauth2AuthorizationCode = "Oauth2AuthorizationCode",
        /// OAuth2 redirect URI.
        Oauth2RedirectUri = "Oauth2RedirectUri",
        /// Application template identifier.
        ApplicationTemplateIdentifier = "ApplicationTemplateIdentifier",
        /// OAuth2 token exchange URI.
        Oauth2TokenExchangeUri = "Oauth2TokenExchangeUri",
        /// OAuth2 authorization URI.
        Oauth2AuthorizationUri = "Oauth2AuthorizationUri",
        /// Authentication type.
        AuthenticationType = "AuthenticationType",
        /// Server.
        Server = "Server",
        /// Perform inbound entitlement grants.
        PerformInboundEntitlementGrants = "PerformInboundEntitlementGrants",
        /// Hard deletes enabled.
        HardDeletesEnabled = "HardDeletesEnabled",
        /// Sync agent compatibility key.
        SyncAgentCompatibilityKey = "SyncAgentCompatibilityKey",
        /// Sync agent AD container.
        SyncAgentADContainer = "SyncAgentADContainer",
        /// Validate domain.
        ValidateDomain = "ValidateDomain",
        /// Test references.
        TestReferences = "TestReferences",
        /// Connection string.
        ConnectionString = "ConnectionString",
    }
}

impl SynchronizationSecret {
    /// True for keys whose values are settings rather than credentials (shown in Debug output).
    pub fn is_setting(&self) -> bool {
        matches!(
            self,
            SynchronizationSecret::SyncNotificationSettings
                | SynchronizationSecret::SyncAll
                | SynchronizationSecret::SkipOutOfScopeDeletions
                | SynchronizationSecret::SynchronizationSchedule
                | SynchronizationSecret::BaseAddress
                | SynchronizationSecret::Url
                | SynchronizationSecret::Domain
        )
    }
}

/// CSDL `synchronizationSecretKeyStringValuePair`. `Debug` redacts credential values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynchronizationSecretKeyStringValuePair {
    /// The secret's name.
    pub key: SynchronizationSecret,
    /// Its value (always a string; settings hold JSON or `"true"`).
    #[serde(default)]
    pub value: Option<String>,
}

impl SynchronizationSecretKeyStringValuePair {
    /// A pair.
    pub fn new(key: SynchronizationSecret, value: impl Into<String>) -> Self {
        SynchronizationSecretKeyStringValuePair {
            key,
            value: Some(value.into()),
        }
    }
}

impl fmt::Debug for SynchronizationSecretKeyStringValuePair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: &dyn fmt::Debug = if self.key.is_setting() {
            &self.value
        } else {
            &"(redacted)"
        };
        f.debug_struct("SynchronizationSecretKeyStringValuePair")
            .field("key", &self.key)
            .field("value", shown)
            .finish()
    }
}

/// The secrets collection: the GET answer and the PUT body (`{"value":[{key,value}]}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SynchronizationSecrets {
    /// Every secret. A PUT replaces them all, so send the merged list.
    #[serde(default, deserialize_with = "null_default")]
    pub value: Vec<SynchronizationSecretKeyStringValuePair>,
}

/// What Graph's GET of synchronization secrets returns in place of a sensitive value. A PUT writes
/// every value it is given, so sending it back would overwrite the real credential with `*`.
pub const MASKED_VALUE: &str = "*";

impl SynchronizationSecrets {
    /// The keys whose value Graph masked (`"*"`), in the order read.
    pub fn masked_keys(&self) -> Vec<String> {
        self.value
            .iter()
            .filter(|p| p.value.as_deref() == Some(MASKED_VALUE))
            .map(|p| p.key.to_string())
            .collect()
    }

    /// Refuses a body that would write a masked value back (the PUT replaces every secret).
    pub fn check_writable(&self) -> Result<(), String> {
        let masked = self.masked_keys();
        if masked.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "refusing to write synchronization secrets: Graph masked the value of {} as \"*\" \
                 when they were read, and the PUT would overwrite the real value with \"*\"",
                masked.join(", ")
            ))
        }
    }

    /// A secret's value.
    pub fn get(&self, key: &SynchronizationSecret) -> Option<&str> {
        self.value
            .iter()
            .find(|p| p.key == *key)
            .and_then(|p| p.value.as_deref())
    }

    /// Sets a secret, replacing an existing one with the same key.
    pub fn set(&mut self, key: SynchronizationSecret, value: impl Into<String>) {
        let value = Some(value.into());
        match self.value.iter_mut().find(|p| p.key == key) {
            Some(p) => p.value = value,
            None => self
                .value
                .push(SynchronizationSecretKeyStringValuePair { key, value }),
        }
    }

    /// The parsed `SyncNotificationSettings`, if present.
    pub fn sync_notification_settings(
        &self,
    ) -> Option<Result<SyncNotificationSettings, serde_json::Error>> {
        self.get(&SynchronizationSecret::SyncNotificationSettings)
            .map(SyncNotificationSettings::parse)
    }

    /// Writes `SyncNotificationSettings` back as its JSON string.
    pub fn set_sync_notification_settings(
        &mut self,
        settings: &SyncNotificationSettings,
    ) -> Result<(), serde_json::Error> {
        let text = settings.to_secret_value()?;
        self.set(SynchronizationSecret::SyncNotificationSettings, text);
        Ok(())
    }
}

/// Cloud sync's per-job notification and accidental-delete settings, stored as JSON **in a string**
/// under the `SyncNotificationSettings` secret:
/// `{"Enabled":true,"Recipients":"a@b","DeleteThresholdEnabled":true,"DeleteThresholdValue":500}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SyncNotificationSettings {
    /// Quarantine e-mails on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Who gets them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<String>,
    /// The accidental-delete threshold on (default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_threshold_enabled: Option<bool>,
    /// Deletes per run that trip the threshold (default 500; numeric strings tolerated).
    #[serde(
        default,
        with = "lenient_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_threshold_value: Option<i64>,
    /// Anything else in the string, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SyncNotificationSettings {
    /// Parses the secret's string value.
    pub fn parse(value: &str) -> Result<SyncNotificationSettings, serde_json::Error> {
        serde_json::from_str(value)
    }

    /// The string to store as the secret's value (compact JSON, unset fields left out).
    pub fn to_secret_value(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// The body of `POST .../jobs/{jobId}/validateCredentials` (and the collection-bound variant).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateCredentialsRequest {
    /// The application id (collection-bound call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_identifier: Option<String>,
    /// The template id (collection-bound call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Validate the stored credentials instead of `credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_saved_credentials: Option<bool>,
    /// The credentials to test.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub credentials: Vec<SynchronizationSecretKeyStringValuePair>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS_VALUE: &str = r#"{"Enabled":true,"Recipients":"foobar@xyz.com","DeleteThresholdEnabled":true,"DeleteThresholdValue":50}"#;

    #[test]
    fn notification_settings_round_trip_byte_for_byte() -> Result<(), serde_json::Error> {
        let s = SyncNotificationSettings::parse(DOCS_VALUE)?;
        assert_eq!(s.delete_threshold_value, Some(50));
        assert_eq!(s.to_secret_value()?, DOCS_VALUE);
        let s = SyncNotificationSettings::parse(r#"{"DeleteThresholdValue":"500","Future":1}"#)?;
        assert_eq!(s.delete_threshold_value, Some(500));
        assert_eq!(s.extra.get("Future"), Some(&Value::from(1)));
        Ok(())
    }

    #[test]
    fn secrets_merge_and_debug_redacts_credentials() -> Result<(), serde_json::Error> {
        let mut secrets: SynchronizationSecrets = serde_json::from_str(
            r#"{"value":[{"key":"Password","value":"hunter2"},{"key":"SyncAll","value":"false"}]}"#,
        )?;
        let mut settings = SyncNotificationSettings::parse(DOCS_VALUE)?;
        settings.delete_threshold_value = Some(750);
        secrets.set_sync_notification_settings(&settings)?;
        secrets.set(SynchronizationSecret::SyncAll, "true");
        assert_eq!(secrets.value.len(), 3);
        assert_eq!(secrets.get(&SynchronizationSecret::SyncAll), Some("true"));
        let debug = format!("{secrets:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("750"), "{debug}");
        Ok(())
    }

    #[test]
    fn validate_credentials_body_leaves_unset_fields_out() -> Result<(), serde_json::Error> {
        let body = ValidateCredentialsRequest {
            credentials: vec![SynchronizationSecretKeyStringValuePair::new(
                SynchronizationSecret::UserName,
                "u",
            )],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&body)?,
            r#"{"credentials":[{"key":"UserName","value":"u"}]}"#
        );
        Ok(())
    }
}
