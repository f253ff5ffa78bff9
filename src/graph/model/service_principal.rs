//! `servicePrincipal`, reduced to what finding provisioning jobs needs: ids, names, the
//! application template (cloud sync configurations are instances of one known template), tags.

use serde::{Deserialize, Serialize};

use super::common::null_default;

/// The application template every cloud sync configuration's service principal is created from.
pub const CLOUD_SYNC_APPLICATION_TEMPLATE_ID: &str = "1a4721b3-e57f-4451-ae87-ef078703ec94";

/// A `servicePrincipal` (the fields provctl selects; anything else is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The object id: what `/servicePrincipals/{id}/synchronization/...` takes.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// The application (client) id.
    #[serde(default)]
    pub app_id: Option<String>,
    /// The name (for cloud sync, usually the AD domain).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The gallery/application template it was created from.
    #[serde(default)]
    pub application_template_id: Option<String>,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<String>,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`.
    #[serde(default)]
    pub service_principal_type: Option<String>,
    /// Whether sign-in is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// The tenant that owns the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_owner_organization_id: Option<String>,
    /// The single sign-on mode (`saml`, `password`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_single_sign_on_mode: Option<String>,
}

impl ServicePrincipal {
    /// True for a cloud sync configuration (created from the cloud sync application template).
    pub fn is_cloud_sync(&self) -> bool {
        self.application_template_id
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(CLOUD_SYNC_APPLICATION_TEMPLATE_ID))
    }

    /// The display name, or the id when there is none.
    pub fn name(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_sync_is_recognised_by_template() -> Result<(), serde_json::Error> {
        let sp: ServicePrincipal = serde_json::from_str(
            r#"{"id":"s1","displayName":"contoso.com","applicationTemplateId":"1A4721B3-E57F-4451-AE87-EF078703EC94","tags":null}"#,
        )?;
        assert!(sp.is_cloud_sync());
        assert!(sp.tags.is_empty());
        assert_eq!(sp.name(), "contoso.com");
        Ok(())
    }
}
