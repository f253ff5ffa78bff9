//! `synchronizationSchema`, typed as far as provctl reads it (the rules, their ids for
//! provisionOnDemand, and the object mappings' names) with **everything else kept as raw JSON**,
//! so a GET → edit → PUT round trip never drops a field Graph sent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::null_default;

/// CSDL `synchronizationSchema` (`GET .../jobs/{jobId}/schema`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationSchema {
    /// The schema id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The rules (one per direction/object flow).
    #[serde(default, deserialize_with = "null_default")]
    pub synchronization_rules: Vec<SynchronizationRule>,
    /// Everything else (`directories`, `@odata.context`, ...), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SynchronizationSchema {
    /// A rule by id (exact).
    pub fn rule(&self, id: &str) -> Option<&SynchronizationRule> {
        self.synchronization_rules
            .iter()
            .find(|r| r.id.as_deref() == Some(id))
    }

    /// The rule that maps `source_object` (`user`, `group`; case-insensitive) to the target:
    /// the `ruleId` provisionOnDemand needs.
    pub fn rule_for_object(&self, source_object: &str) -> Option<&SynchronizationRule> {
        self.synchronization_rules.iter().find(|r| {
            r.object_mappings.iter().any(|m| {
                m.source_object_name
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(source_object))
            })
        })
    }
}

/// CSDL `synchronizationRule`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationRule {
    /// The rule id (the provisionOnDemand `ruleId`).
    #[serde(default)]
    pub id: Option<String>,
    /// The rule name.
    #[serde(default)]
    pub name: Option<String>,
    /// The source directory (`Active Directory`, `Azure Active Directory`).
    #[serde(default)]
    pub source_directory_name: Option<String>,
    /// The target directory.
    #[serde(default)]
    pub target_directory_name: Option<String>,
    /// The object mappings.
    #[serde(default, deserialize_with = "null_default")]
    pub object_mappings: Vec<ObjectMapping>,
    /// Everything else (`editable`, `priority`, `metadata`, filters), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// CSDL `objectMapping`, typed by name only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMapping {
    /// The mapping name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the mapping is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The source object (`user`, `group`).
    #[serde(default)]
    pub source_object_name: Option<String>,
    /// The target object.
    #[serde(default)]
    pub target_object_name: Option<String>,
    /// Everything else (`attributeMappings`, `scope`, `flowTypes`, `metadata`), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parts_survive_a_round_trip() -> Result<(), serde_json::Error> {
        let text = r#"{"id":"s","directories":[{"name":"AD"}],"synchronizationRules":[{"id":"r1","name":"USER","sourceDirectoryName":"Active Directory","targetDirectoryName":"Azure Active Directory","priority":1,"objectMappings":[{"name":"Provision users","enabled":true,"sourceObjectName":"user","targetObjectName":"User","attributeMappings":[{"source":null}],"flowTypes":"Add, Update"}]}]}"#;
        let s: SynchronizationSchema = serde_json::from_str(text)?;
        assert_eq!(
            s.rule_for_object("USER").and_then(|r| r.id.as_deref()),
            Some("r1")
        );
        assert!(s.rule("r1").is_some());
        let back: Value = serde_json::to_value(&s)?;
        assert_eq!(back, serde_json::from_str::<Value>(text)?);
        Ok(())
    }
}
