//! Beta on-premises provisioning agents (`/beta/onPremisesPublishingProfiles/provisioning/...`):
//! `onPremisesAgent`, `onPremisesAgentGroup`, `publishedResource` (an AD domain registered for
//! cloud sync) and the publishing profile. Delegated-only endpoints; there is no v1.0 equivalent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{never_time, null_default, open_enum, opt_enum};

open_enum! {
    /// CSDL `agentStatus`. The docs' example shows `"Active"`; compared case-insensitively.
    pub enum AgentStatus {
        /// The agent is connected.
        Active = "active",
        /// The agent has not been seen recently.
        Inactive = "inactive",
    }
}

open_enum! {
    /// CSDL `onPremisesPublishingType`: the profile id in the URL (`provisioning` for cloud sync).
    pub enum OnPremisesPublishingType {
        /// Application Proxy.
        ApplicationProxy = "applicationProxy",
        /// Exchange Online.
        ExchangeOnline = "exchangeOnline",
        /// Pass-through authentication.
        Authentication = "authentication",
        /// Cloud sync provisioning.
        Provisioning = "provisioning",
        /// Intune PFX.
        IntunePfx = "intunePfx",
        /// Offline domain join (sic: Graph spells it `oflineDomainJoin`).
        OflineDomainJoin = "oflineDomainJoin",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
        /// Private Access.
        PrivateAccess = "privateAccess",
    }
}

/// CSDL `onPremisesAgent`: an installed agent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesAgent {
    /// Agent id.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// The machine it runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_name: Option<String>,
    /// The public IP it connects from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ip: Option<String>,
    /// Active or inactive.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
    /// What it serves.
    #[serde(default, deserialize_with = "null_default")]
    pub supported_publishing_types: Vec<OnPremisesPublishingType>,
    /// Its groups (present with `$expand=agentGroups`).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub agent_groups: Vec<OnPremisesAgentGroup>,
}

impl OnPremisesAgent {
    /// True when the agent reports `active` (any case).
    pub fn is_active(&self) -> bool {
        self.status == Some(AgentStatus::Active)
    }
}

/// CSDL `onPremisesAgentGroup`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesAgentGroup {
    /// Group id.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// True for the default group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// What it serves.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub publishing_type: Option<OnPremisesPublishingType>,
    /// Its agents (with `$expand=agents`).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub agents: Vec<OnPremisesAgent>,
    /// Its published resources (with `$expand`).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub published_resources: Vec<PublishedResource>,
}

/// CSDL `publishedResource`: for provisioning, an AD domain registered for cloud sync.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedResource {
    /// Resource id.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The resource (the AD domain name).
    #[serde(default)]
    pub resource_name: Option<String>,
    /// What it serves.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub publishing_type: Option<OnPremisesPublishingType>,
    /// Its agent groups (with `$expand=agentGroups`).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub agent_groups: Vec<OnPremisesAgentGroup>,
}

/// CSDL `onPremisesPublishingProfile` (the properties; navigation collections when expanded).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesPublishingProfile {
    /// The publishing type as id (`provisioning`).
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Agent update settings.
    #[serde(default)]
    pub hybrid_agent_updater_configuration: Option<HybridAgentUpdaterConfiguration>,
    /// Whether default access is enabled.
    #[serde(default)]
    pub is_default_access_enabled: Option<bool>,
    /// Whether the profile is enabled.
    #[serde(default)]
    pub is_enabled: Option<bool>,
    /// Agents (when expanded).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub agents: Vec<OnPremisesAgent>,
    /// Agent groups (when expanded).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub agent_groups: Vec<OnPremisesAgentGroup>,
    /// Published resources (when expanded).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub published_resources: Vec<PublishedResource>,
}

/// CSDL `hybridAgentUpdaterConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HybridAgentUpdaterConfiguration {
    /// Whether the update configuration may be overridden.
    #[serde(default, deserialize_with = "null_default")]
    pub allow_update_configuration_override: bool,
    /// Updates deferred until.
    #[serde(default, with = "never_time")]
    pub defer_update_date_time: Option<DateTime<Utc>>,
    /// The update window.
    #[serde(default)]
    pub update_window: Option<UpdateWindow>,
}

/// CSDL `updateWindow` (times of day, kept as sent: `Edm.TimeOfDay`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWindow {
    /// Start (`HH:MM:SS`).
    #[serde(default)]
    pub update_window_start_time: Option<String>,
    /// End.
    #[serde(default)]
    pub update_window_end_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_status_is_case_insensitive() -> Result<(), serde_json::Error> {
        let a: OnPremisesAgent = serde_json::from_str(
            r#"{"id":"1","status":"Active","supportedPublishingTypes":["Provisioning","somethingNew"]}"#,
        )?;
        assert!(a.is_active());
        assert_eq!(
            a.supported_publishing_types[0],
            OnPremisesPublishingType::Provisioning
        );
        assert_eq!(a.supported_publishing_types[1].as_str(), "somethingNew");
        assert_eq!(serde_json::to_value(&a)?["status"], "active");
        Ok(())
    }
}
