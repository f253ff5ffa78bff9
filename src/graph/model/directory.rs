//! Tenant-level Connect Sync settings: `onPremisesDirectorySynchronization` (configuration with
//! accidental-deletion prevention, and the feature switches), plus the PATCH body, which writes
//! only what is set (the AADCloudSyncTools "disable ADP" body byte for byte).

use serde::{Deserialize, Serialize};

use super::common::{GraphDuration, null_default, open_enum, opt_enum};

open_enum! {
    /// CSDL `onPremisesDirectorySynchronizationDeletionPreventionType`.
    pub enum DeletionPreventionType {
        /// No threshold.
        Disabled = "disabled",
        /// `alertThreshold` is a number of objects.
        EnabledForCount = "enabledForCount",
        /// `alertThreshold` is a percentage.
        EnabledForPercentage = "enabledForPercentage",
        /// Graph's marker for values added after the client's version.
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// CSDL `onPremisesDirectorySynchronization` (`GET /directory/onPremisesSynchronization/{id}`;
/// the id is the tenant id in practice).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesDirectorySynchronization {
    /// The id (the tenant id).
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// Configuration.
    #[serde(default)]
    pub configuration: Option<OnPremisesDirectorySynchronizationConfiguration>,
    /// Feature switches.
    #[serde(default, deserialize_with = "null_default")]
    pub features: OnPremisesDirectorySynchronizationFeature,
}

impl OnPremisesDirectorySynchronization {
    /// The accidental-deletion prevention settings, when present.
    pub fn accidental_deletion_prevention(
        &self,
    ) -> Option<&OnPremisesAccidentalDeletionPrevention> {
        self.configuration
            .as_ref()
            .and_then(|c| c.accidental_deletion_prevention.as_ref())
    }

    /// True when the tenant-level deletion threshold is on (neither `disabled` nor unset), which
    /// can block cloud sync deletes too.
    pub fn deletion_prevention_enabled(&self) -> bool {
        self.accidental_deletion_prevention()
            .and_then(|a| a.synchronization_prevention_type.as_ref())
            .is_some_and(|t| *t != DeletionPreventionType::Disabled)
    }
}

/// CSDL `onPremisesDirectorySynchronizationConfiguration` (v1.0 has only
/// `accidentalDeletionPrevention`; the rest is beta). Unset fields are left out when written.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesDirectorySynchronizationConfiguration {
    /// The tenant deletion threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accidental_deletion_prevention: Option<OnPremisesAccidentalDeletionPrevention>,
    /// Beta: the anchor attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_attribute: Option<String>,
    /// Beta: the sync client's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// Beta: the last export's figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_export_data: Option<OnPremisesCurrentExportData>,
    /// Beta: the interval the customer asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_requested_synchronization_interval: Option<GraphDuration>,
    /// Beta: the sync client's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronization_client_version: Option<String>,
    /// Beta: the interval in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronization_interval: Option<GraphDuration>,
    /// Beta: writeback containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writeback_configuration: Option<OnPremisesWritebackConfiguration>,
}

/// CSDL `onPremisesAccidentalDeletionPrevention`. Unset fields are left out when written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesAccidentalDeletionPrevention {
    /// Off, by count, or by percentage.
    #[serde(default, with = "opt_enum", skip_serializing_if = "Option::is_none")]
    pub synchronization_prevention_type: Option<DeletionPreventionType>,
    /// A count or a percentage, depending on the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_threshold: Option<i32>,
}

/// CSDL `onPremisesCurrentExportData` (beta).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesCurrentExportData {
    /// The sync server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_machine_name: Option<String>,
    /// Pending additions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_objects_addition: Option<i32>,
    /// Pending deletions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_objects_deletion: Option<i32>,
    /// Pending updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_objects_update: Option<i32>,
    /// The service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Links provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_links_provisioning_count: Option<i64>,
    /// Objects provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_objects_provisioning_count: Option<i32>,
    /// Connector space size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_connector_space_objects: Option<i32>,
}

/// CSDL `onPremisesWritebackConfiguration` (beta).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesWritebackConfiguration {
    /// Container for Microsoft 365 groups written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unified_group_container: Option<String>,
    /// Container for users written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_container: Option<String>,
}

macro_rules! features {
    ($( $(#[$doc:meta])* $field:ident ),+ $(,)?) => {
        /// CSDL `onPremisesDirectorySynchronizationFeature`: tenant switches (all nullable
        /// Booleans). Unset switches are left out when written, so a PATCH changes only the ones set.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct OnPremisesDirectorySynchronizationFeature {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<bool>,
            )+
        }

        impl OnPremisesDirectorySynchronizationFeature {
            /// Every switch that is set, with its Graph name.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, bool)> {
                let all: Vec<(&'static str, Option<bool>)> = vec![
                    $((features!(@camel $field), self.$field),)+
                ];
                all.into_iter().filter_map(|(k, v)| v.map(|v| (k, v)))
            }
        }
    };
    (@camel allow_on_prem_update_of_on_premises_object_identifier_enabled) => { "allowOnPremUpdateOfOnPremisesObjectIdentifierEnabled" };
    (@camel block_cloud_object_takeover_through_hard_match_enabled) => { "blockCloudObjectTakeoverThroughHardMatchEnabled" };
    (@camel block_soft_match_enabled) => { "blockSoftMatchEnabled" };
    (@camel bypass_dir_sync_overrides_enabled) => { "bypassDirSyncOverridesEnabled" };
    (@camel cloud_password_policy_for_password_synced_users_enabled) => { "cloudPasswordPolicyForPasswordSyncedUsersEnabled" };
    (@camel concurrent_credential_update_enabled) => { "concurrentCredentialUpdateEnabled" };
    (@camel concurrent_org_id_provisioning_enabled) => { "concurrentOrgIdProvisioningEnabled" };
    (@camel device_writeback_enabled) => { "deviceWritebackEnabled" };
    (@camel directory_extensions_enabled) => { "directoryExtensionsEnabled" };
    (@camel fope_conflict_resolution_enabled) => { "fopeConflictResolutionEnabled" };
    (@camel group_write_back_enabled) => { "groupWriteBackEnabled" };
    (@camel password_sync_enabled) => { "passwordSyncEnabled" };
    (@camel password_writeback_enabled) => { "passwordWritebackEnabled" };
    (@camel quarantine_upon_proxy_addresses_conflict_enabled) => { "quarantineUponProxyAddressesConflictEnabled" };
    (@camel quarantine_upon_upn_conflict_enabled) => { "quarantineUponUpnConflictEnabled" };
    (@camel soft_match_on_upn_enabled) => { "softMatchOnUpnEnabled" };
    (@camel synchronize_upn_for_managed_users_enabled) => { "synchronizeUpnForManagedUsersEnabled" };
    (@camel unified_group_writeback_enabled) => { "unifiedGroupWritebackEnabled" };
    (@camel user_force_password_change_on_logon_enabled) => { "userForcePasswordChangeOnLogonEnabled" };
    (@camel user_writeback_enabled) => { "userWritebackEnabled" };
}

features! {
    /// Allow on-premises updates of the on-premises object identifier.
    allow_on_prem_update_of_on_premises_object_identifier_enabled,
    /// Block cloud object takeover through hard match.
    block_cloud_object_takeover_through_hard_match_enabled,
    /// Block soft match.
    block_soft_match_enabled,
    /// Bypass DirSync overrides.
    bypass_dir_sync_overrides_enabled,
    /// Cloud password policy for password-synced users.
    cloud_password_policy_for_password_synced_users_enabled,
    /// Concurrent credential update.
    concurrent_credential_update_enabled,
    /// Concurrent OrgId provisioning.
    concurrent_org_id_provisioning_enabled,
    /// Device writeback.
    device_writeback_enabled,
    /// Directory extensions.
    directory_extensions_enabled,
    /// FOPE conflict resolution.
    fope_conflict_resolution_enabled,
    /// Group writeback.
    group_write_back_enabled,
    /// Password hash sync.
    password_sync_enabled,
    /// Password writeback (not in use; updating it is not supported).
    password_writeback_enabled,
    /// Quarantine on proxyAddresses conflict.
    quarantine_upon_proxy_addresses_conflict_enabled,
    /// Quarantine on UPN conflict.
    quarantine_upon_upn_conflict_enabled,
    /// Soft match on UPN.
    soft_match_on_upn_enabled,
    /// Synchronise UPN for managed users.
    synchronize_upn_for_managed_users_enabled,
    /// Microsoft 365 group writeback.
    unified_group_writeback_enabled,
    /// Force password change at logon.
    user_force_password_change_on_logon_enabled,
    /// User writeback.
    user_writeback_enabled,
}

/// The body of `PATCH /directory/onPremisesSynchronization/{id}`: only what is set is written.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesDirectorySynchronizationPatch {
    /// Configuration changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<OnPremisesDirectorySynchronizationConfiguration>,
    /// Feature switch changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<OnPremisesDirectorySynchronizationFeature>,
}

impl OnPremisesDirectorySynchronizationPatch {
    /// Turns the tenant deletion threshold off, as `Disable-AADCloudSyncToolsDirSyncAccidental
    /// DeletionPrevention` does: `{"configuration":{"accidentalDeletionPrevention":
    /// {"synchronizationPreventionType":"disabled"}}}`.
    pub fn disable_accidental_deletion_prevention() -> Self {
        Self::accidental_deletion_prevention(DeletionPreventionType::Disabled, None)
    }

    /// Sets the tenant deletion threshold (`alert_threshold` is left out when `None`).
    pub fn accidental_deletion_prevention(
        kind: DeletionPreventionType,
        alert_threshold: Option<i32>,
    ) -> Self {
        OnPremisesDirectorySynchronizationPatch {
            configuration: Some(OnPremisesDirectorySynchronizationConfiguration {
                accidental_deletion_prevention: Some(OnPremisesAccidentalDeletionPrevention {
                    synchronization_prevention_type: Some(kind),
                    alert_threshold,
                }),
                ..Default::default()
            }),
            features: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_body_matches_aadcloudsynctools_byte_for_byte() -> Result<(), serde_json::Error> {
        let body = serde_json::to_string(
            &OnPremisesDirectorySynchronizationPatch::disable_accidental_deletion_prevention(),
        )?;
        assert_eq!(
            body,
            r#"{"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"disabled"}}}"#
        );
        Ok(())
    }

    #[test]
    fn docs_patch_body_is_reproduced() -> Result<(), serde_json::Error> {
        let mut patch = OnPremisesDirectorySynchronizationPatch::accidental_deletion_prevention(
            DeletionPreventionType::EnabledForCount,
            Some(500),
        );
        patch.features = Some(OnPremisesDirectorySynchronizationFeature {
            group_write_back_enabled: Some(true),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_string(&patch)?,
            r#"{"configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"enabledForCount","alertThreshold":500}},"features":{"groupWriteBackEnabled":true}}"#
        );
        Ok(())
    }

    #[test]
    fn features_iterate_with_graph_names() -> Result<(), serde_json::Error> {
        let f: OnPremisesDirectorySynchronizationFeature = serde_json::from_str(
            r#"{"blockSoftMatchEnabled":true,"passwordSyncEnabled":null,"newSwitch":true}"#,
        )?;
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            [("blockSoftMatchEnabled", true)]
        );
        Ok(())
    }

    #[test]
    fn deletion_prevention_state_is_read() -> Result<(), serde_json::Error> {
        let d: OnPremisesDirectorySynchronization = serde_json::from_str(
            r#"{"id":"t","configuration":{"accidentalDeletionPrevention":{"synchronizationPreventionType":"EnabledForCount","alertThreshold":500},"synchronizationInterval":"PT30M"},"features":null}"#,
        )?;
        assert!(d.deletion_prevention_enabled());
        assert_eq!(
            d.accidental_deletion_prevention()
                .and_then(|a| a.alert_threshold),
            Some(500)
        );
        Ok(())
    }
}
