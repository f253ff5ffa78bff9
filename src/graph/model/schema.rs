//! `synchronizationSchema`, typed as far as provctl reads it (the rules, their ids for
//! provisionOnDemand, the object mappings' names and their scoping filters) with **everything else
//! kept as raw JSON**, so a GET → edit → PUT round trip never drops a field Graph sent. Also the
//! `filterOperatorSchema` list of `GET .../schema/filterOperators`.

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

impl ObjectMapping {
    /// The mapping's scoping filter (`scope`, CSDL `filter`), read from the raw part so a round trip
    /// keeps it byte for byte. `Ok(None)` when the mapping has no `scope` (or `null`).
    pub fn scope(&self) -> Result<Option<Filter>, serde_json::Error> {
        match self.extra.get("scope") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Filter::deserialize(v).map(Some),
        }
    }
}

/// CSDL `filter`: an object mapping's scoping filter. Each set of groups is OR-ed; the clauses of
/// a group are AND-ed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// The scoping filters an admin edits ("Source object scope").
    #[serde(default, deserialize_with = "null_default")]
    pub groups: Vec<FilterGroup>,
    /// Filters applied when objects are read (cloud sync keeps its default exclusions here).
    #[serde(default, deserialize_with = "null_default")]
    pub input_filter_groups: Vec<FilterGroup>,
    /// Experimental category filters.
    #[serde(default, deserialize_with = "null_default")]
    pub category_filter_groups: Vec<FilterGroup>,
}

/// CSDL `filterGroup`: clauses that must all be true.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterGroup {
    /// The group's name (the portal's "scoping filter title").
    #[serde(default)]
    pub name: Option<String>,
    /// The clauses.
    #[serde(default, deserialize_with = "null_default")]
    pub clauses: Vec<FilterClause>,
}

/// CSDL `filterClause`: one assertion on one source attribute.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterClause {
    /// The operator (`EQUALS`, `IS NOT NULL`, `REGEX MATCH`, `Greater_Than`, ...).
    #[serde(default)]
    pub operator_name: Option<String>,
    /// The source attribute tested.
    #[serde(default)]
    pub source_operand_name: Option<String>,
    /// The values it is tested against (`null` for unary operators).
    #[serde(default)]
    pub target_operand: Option<FilterOperand>,
}

/// CSDL `filterOperand`. Values are kept as sent (Graph documents strings).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterOperand {
    /// The values.
    #[serde(default, deserialize_with = "null_default")]
    pub values: Vec<Value>,
}

/// CSDL `filterOperatorSchema`: one operator a job's scoping filters support.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterOperatorSchema {
    /// The operator name.
    #[serde(default)]
    pub name: Option<String>,
    /// `Binary` or `Unary` (Graph's default: `Binary`).
    #[serde(default)]
    pub arity: Option<String>,
    /// `All` or `Any`: how a multi-valued attribute is compared (Graph's default: `All`).
    #[serde(default)]
    pub multivalued_comparison_type: Option<String>,
    /// The attribute types it applies to (`String`, `Integer`, `Boolean`, ...).
    #[serde(default, deserialize_with = "null_default")]
    pub supported_attribute_types: Vec<String>,
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

    #[test]
    fn a_mappings_scope_reads_groups_and_clauses_and_null_reads_as_none()
    -> Result<(), serde_json::Error> {
        let m: ObjectMapping = serde_json::from_str(
            r#"{"name":"m","scope":{"groups":[{"name":"Sales","clauses":[{"operatorName":"EQUALS","sourceOperandName":"department","targetOperand":{"values":["Sales"]}}]}],"inputFilterGroups":null}}"#,
        )?;
        let f = m.scope()?.unwrap_or_default();
        assert_eq!(
            f.groups[0].clauses[0].operator_name.as_deref(),
            Some("EQUALS")
        );
        assert!(f.input_filter_groups.is_empty());
        let none: ObjectMapping = serde_json::from_str(r#"{"name":"m","scope":null}"#)?;
        assert_eq!(none.scope()?, None);
        Ok(())
    }
}
