//! The restart action's body: `ResetScope` (CSDL `synchronizationJobRestartScope`, a flags enum)
//! and `{"criteria":{"resetScope":"..."}}`. The wire format is exactly what Microsoft's docs send
//! (`"Watermark, Escrows, QuarantineState"`), because this is the one body where a wrong string
//! restarts a job the wrong way.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a restart clears (CSDL `synchronizationJobRestartScope`, `IsFlags=true`).
///
/// | member | value | effect |
/// |---|---|---|
/// | `None` | 0 | starts a paused/quarantined job: **don't use, call start** |
/// | `ConnectorDataStore` | 1 | clears the cache for all objects: **only with Microsoft Support** |
/// | `Escrows` | 2 | clears the retry queue of failed objects |
/// | `Watermark` | 4 | re-evaluates every object (the next cycle is an initial cycle) |
/// | `QuarantineState` | 8 | lifts the quarantine temporarily |
/// | `Full` | 15 | all four above; **not** `ForceDeletes` |
/// | `ForceDeletes` | 32 | lets the deletes held back by the accidental-deletion threshold through |
///
/// [`ResetScope::empty()`] (no member at all) is the portal's "Restart provisioning"; it differs
/// from an explicit [`ResetScope::NONE`], which is written `"None"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResetScope {
    bits: u8,
    explicit_none: bool,
}

/// A resetScope string that names something that is not a member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown resetScope member {member:?} in {value:?}; accepted names: None, ConnectorDataStore, Escrows, Watermark, QuarantineState, Full, ForceDeletes"
)]
pub struct ResetScopeError {
    /// The whole string given.
    pub value: String,
    /// The part that is not a member.
    pub member: String,
}

impl ResetScope {
    /// `None` (0), written explicitly as `"None"`. Microsoft: "DO NOT USE, call start instead".
    pub const NONE: ResetScope = ResetScope {
        bits: 0,
        explicit_none: true,
    };
    /// `ConnectorDataStore` (1). Microsoft: "DO NOT USE without Microsoft Support".
    pub const CONNECTOR_DATA_STORE: ResetScope = ResetScope::from_bits_const(1);
    /// `Escrows` (2): clear the retry queue.
    pub const ESCROWS: ResetScope = ResetScope::from_bits_const(2);
    /// `Watermark` (4): re-evaluate every object.
    pub const WATERMARK: ResetScope = ResetScope::from_bits_const(4);
    /// `QuarantineState` (8): lift the quarantine temporarily.
    pub const QUARANTINE_STATE: ResetScope = ResetScope::from_bits_const(8);
    /// `Full` (15 = the four above).
    pub const FULL: ResetScope = ResetScope::from_bits_const(15);
    /// `ForceDeletes` (32): push the deletes the accidental-deletion threshold held back.
    pub const FORCE_DELETES: ResetScope = ResetScope::from_bits_const(32);

    /// Every member with its Graph name, in metadata order (for building CLI aliases and help).
    pub const MEMBERS: &'static [(&'static str, ResetScope)] = &[
        ("None", ResetScope::NONE),
        ("ConnectorDataStore", ResetScope::CONNECTOR_DATA_STORE),
        ("Escrows", ResetScope::ESCROWS),
        ("Watermark", ResetScope::WATERMARK),
        ("QuarantineState", ResetScope::QUARANTINE_STATE),
        ("Full", ResetScope::FULL),
        ("ForceDeletes", ResetScope::FORCE_DELETES),
    ];

    /// The canonical write order after `Full`.
    const WRITE_ORDER: &'static [(&'static str, u8)] = &[
        ("ConnectorDataStore", 1),
        ("Watermark", 4),
        ("Escrows", 2),
        ("QuarantineState", 8),
        ("ForceDeletes", 32),
    ];

    const ALL_BITS: u8 = 1 | 2 | 4 | 8 | 32;

    const fn from_bits_const(bits: u8) -> ResetScope {
        ResetScope {
            bits,
            explicit_none: false,
        }
    }

    /// No member: the portal's "Restart provisioning" (roughly QuarantineState, Watermark and
    /// Escrows, as Microsoft describes it). [`RestartRequest::new`] leaves `resetScope` out.
    pub const fn empty() -> ResetScope {
        ResetScope {
            bits: 0,
            explicit_none: false,
        }
    }

    /// The numeric flags value (`Full` = 15; `None` and empty = 0).
    pub const fn bits(self) -> u8 {
        self.bits
    }

    /// From a numeric value; bits that are not members are refused.
    pub fn from_bits(bits: u8) -> Option<ResetScope> {
        (bits & !Self::ALL_BITS == 0).then_some(ResetScope::from_bits_const(bits))
    }

    /// True when no member is set (neither a flag nor an explicit `None`).
    pub const fn is_empty(self) -> bool {
        self.bits == 0 && !self.explicit_none
    }

    /// True for an explicit `None`.
    pub const fn is_none_member(self) -> bool {
        self.bits == 0 && self.explicit_none
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: ResetScope) -> bool {
        self.bits & other.bits == other.bits
            && (other.bits != 0 || !other.explicit_none || self.explicit_none)
    }

    /// True when the scope asks for a member Microsoft says not to use: an explicit `None`
    /// ("call start instead"), or `ConnectorDataStore` on its own, outside `Full` ("only with
    /// Microsoft Support"). `Full` itself is what the Entra docs and AADCloudSyncTools send.
    pub const fn is_discouraged(self) -> bool {
        self.is_none_member() || (self.bits & 1 != 0 && self.bits & 15 != 15)
    }

    /// The member names in canonical order: `Full` first when all four of its flags are set.
    pub fn names(self) -> Vec<&'static str> {
        if self.is_none_member() {
            return vec!["None"];
        }
        let mut out = Vec::new();
        let mut rest = self.bits;
        if rest & Self::FULL.bits == Self::FULL.bits {
            out.push("Full");
            rest &= !Self::FULL.bits;
        }
        for (name, bit) in Self::WRITE_ORDER {
            if rest & bit != 0 {
                out.push(name);
            }
        }
        out
    }

    /// The wire string: names joined by `", "` (`"Watermark, Escrows, QuarantineState"`),
    /// `"None"` for an explicit None, `""` for an empty scope.
    pub fn to_wire(self) -> String {
        self.names().join(", ")
    }

    /// Parses a wire string: names joined by `","` or `", "`, any case; `""` is the empty scope.
    pub fn parse(value: &str) -> Result<ResetScope, ResetScopeError> {
        let mut scope = ResetScope::empty();
        for part in value.split(',') {
            let name = part.trim();
            if name.is_empty() {
                continue;
            }
            let member = Self::MEMBERS
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, m)| *m)
                .ok_or_else(|| ResetScopeError {
                    value: value.to_owned(),
                    member: name.to_owned(),
                })?;
            scope |= member;
        }
        Ok(scope)
    }
}

impl BitOr for ResetScope {
    type Output = ResetScope;
    fn bitor(self, rhs: ResetScope) -> ResetScope {
        let bits = self.bits | rhs.bits;
        ResetScope {
            bits,
            explicit_none: bits == 0 && (self.explicit_none || rhs.explicit_none),
        }
    }
}

impl BitOrAssign for ResetScope {
    fn bitor_assign(&mut self, rhs: ResetScope) {
        *self = *self | rhs;
    }
}

impl fmt::Debug for ResetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("ResetScope(empty)")
        } else {
            write!(f, "ResetScope({})", self.names().join(" | "))
        }
    }
}

impl fmt::Display for ResetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl FromStr for ResetScope {
    type Err = ResetScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResetScope::parse(s)
    }
}

impl Serialize for ResetScope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for ResetScope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        ResetScope::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// CSDL `synchronizationJobRestartCriteria`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationJobRestartCriteria {
    /// What to clear. `None` (omitted on the wire) = the portal's "Restart provisioning".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_scope: Option<ResetScope>,
}

/// The body of `POST .../jobs/{jobId}/restart`: `{"criteria":{"resetScope":"..."}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RestartRequest {
    /// The criteria (nullable in the metadata).
    #[serde(default)]
    pub criteria: Option<SynchronizationJobRestartCriteria>,
}

impl RestartRequest {
    /// A restart with `scope`. An empty scope leaves `resetScope` out (`{"criteria":{}}`), which
    /// Microsoft documents as the portal's "Restart provisioning".
    pub fn new(scope: ResetScope) -> RestartRequest {
        RestartRequest {
            criteria: Some(SynchronizationJobRestartCriteria {
                reset_scope: (!scope.is_empty()).then_some(scope),
            }),
        }
    }

    /// The scope this body asks for (empty when none is given).
    pub fn scope(&self) -> ResetScope {
        self.criteria
            .and_then(|c| c.reset_scope)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_scope_serialises_byte_for_byte() -> Result<(), serde_json::Error> {
        let scope = ResetScope::WATERMARK | ResetScope::ESCROWS | ResetScope::QUARANTINE_STATE;
        let body = serde_json::to_string(&RestartRequest::new(scope))?;
        assert_eq!(
            body,
            r#"{"criteria":{"resetScope":"Watermark, Escrows, QuarantineState"}}"#
        );
        // Order of construction does not matter.
        let other = ResetScope::QUARANTINE_STATE | ResetScope::ESCROWS | ResetScope::WATERMARK;
        assert_eq!(serde_json::to_string(&RestartRequest::new(other))?, body);
        Ok(())
    }

    #[test]
    fn full_replaces_its_four_flags_and_force_deletes_follows() {
        assert_eq!(ResetScope::FULL.to_wire(), "Full");
        let all_four = ResetScope::CONNECTOR_DATA_STORE
            | ResetScope::ESCROWS
            | ResetScope::WATERMARK
            | ResetScope::QUARANTINE_STATE;
        assert_eq!(all_four.to_wire(), "Full");
        assert_eq!(
            (ResetScope::FULL | ResetScope::FORCE_DELETES).to_wire(),
            "Full, ForceDeletes"
        );
        assert_eq!(ResetScope::FORCE_DELETES.to_wire(), "ForceDeletes");
        assert!(!ResetScope::FULL.contains(ResetScope::FORCE_DELETES));
        assert!(ResetScope::FULL.contains(ResetScope::ESCROWS));
        assert_eq!(
            (ResetScope::CONNECTOR_DATA_STORE | ResetScope::ESCROWS).to_wire(),
            "ConnectorDataStore, Escrows"
        );
    }

    #[test]
    fn explicit_none_differs_from_empty() -> Result<(), serde_json::Error> {
        assert_eq!(ResetScope::NONE.to_wire(), "None");
        assert_eq!(ResetScope::empty().to_wire(), "");
        assert_ne!(ResetScope::NONE, ResetScope::empty());
        assert_eq!(
            (ResetScope::NONE | ResetScope::ESCROWS).to_wire(),
            "Escrows"
        );
        assert_eq!(
            serde_json::to_string(&RestartRequest::new(ResetScope::NONE))?,
            r#"{"criteria":{"resetScope":"None"}}"#
        );
        assert_eq!(
            serde_json::to_string(&RestartRequest::new(ResetScope::empty()))?,
            r#"{"criteria":{}}"#
        );
        assert!(ResetScope::NONE.is_discouraged());
        assert!(ResetScope::CONNECTOR_DATA_STORE.is_discouraged());
        assert!(!ResetScope::FULL.is_discouraged());
        assert!(!ResetScope::empty().is_discouraged());
        Ok(())
    }

    #[test]
    fn parses_both_joiners_any_case() {
        let want = ResetScope::WATERMARK | ResetScope::ESCROWS | ResetScope::QUARANTINE_STATE;
        assert_eq!(
            ResetScope::parse("Watermark, Escrows, QuarantineState"),
            Ok(want)
        );
        assert_eq!(
            ResetScope::parse("Escrows,Watermark,QuarantineState"),
            Ok(want)
        );
        assert_eq!(
            ResetScope::parse("escrows ,WATERMARK,  quarantinestate"),
            Ok(want)
        );
        assert_eq!(ResetScope::parse("full"), Ok(ResetScope::FULL));
        assert_eq!(ResetScope::parse(""), Ok(ResetScope::empty()));
        assert_eq!(ResetScope::parse("None"), Ok(ResetScope::NONE));
        assert_eq!(ResetScope::from_bits(15), Some(ResetScope::FULL));
        assert_eq!(ResetScope::from_bits(16), None);
    }

    #[test]
    fn unknown_names_are_reported_with_the_accepted_list() {
        let err = ResetScope::parse("Escrows, Quarantine").err();
        let msg = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(msg.contains("\"Quarantine\""), "{msg}");
        assert!(
            msg.contains("QuarantineState") && msg.contains("ForceDeletes"),
            "{msg}"
        );
        assert_eq!(err.map(|e| e.member), Some("Quarantine".to_owned()));
        let bad: Result<RestartRequest, _> =
            serde_json::from_str(r#"{"criteria":{"resetScope":"Everything"}}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn beta_examples_round_trip() -> Result<(), serde_json::Error> {
        for (json, scope) in [
            (r#"{"criteria":{"resetScope":"Full"}}"#, ResetScope::FULL),
            (
                r#"{"criteria":{"resetScope":"ForceDeletes"}}"#,
                ResetScope::FORCE_DELETES,
            ),
        ] {
            let body: RestartRequest = serde_json::from_str(json)?;
            assert_eq!(body.scope(), scope);
            assert_eq!(serde_json::to_string(&body)?, json);
        }
        let nulls: RestartRequest = serde_json::from_str(r#"{"criteria":null}"#)?;
        assert!(nulls.scope().is_empty());
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn any_flag_combination_round_trips(bits in 0u8..64) {
            if let Some(scope) = ResetScope::from_bits(bits) {
                proptest::prop_assert_eq!(ResetScope::parse(&scope.to_wire()), Ok(scope));
            }
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics(s in ".{0,60}") {
            let _ = ResetScope::parse(&s);
        }
    }
}
