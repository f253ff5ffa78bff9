//! Reading a record fast: a byte search that skips records a filter cannot match before any
//! parsing ([`Prefilter`]), and a borrowed look at only the fields filters, ordering, summaries and
//! the "did it simply succeed" question need ([`Glance`]); everything else is skipped by serde
//! without being built. The full [`ProvisioningObjectSummary`] is parsed only for records a command
//! prints or explains.

use std::borrow::Cow;
use std::fmt;

use memchr::memmem;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use crate::graph::logs::{LogQuery, StatusFilter};
use crate::graph::model::logs::{
    ProvisionedIdentity, ProvisioningAction, ProvisioningErrorInfo, ProvisioningObjectSummary,
    ProvisioningResult, ProvisioningServicePrincipal, ProvisioningStatusInfo,
};
use crate::graph::model::parse_graph_time;

/// The fields of a record in Graph's camelCase shape, borrowed from its text. `graph_shaped` is
/// false when the record needs [`super::normalize`] first (an Azure Monitor envelope, PascalCase
/// names, enums as numbers, objects written as JSON text): then none of the fields can be trusted.
#[derive(Debug, Default)]
pub(crate) struct Glance<'a> {
    pub id: Option<Cow<'a, str>>,
    pub time: Option<Cow<'a, str>>,
    pub change_id: Option<Cow<'a, str>>,
    pub cycle_id: Option<Cow<'a, str>>,
    pub job_id: Option<Cow<'a, str>>,
    pub tenant_id: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub beta_action: Option<Cow<'a, str>>,
    pub status: Option<StatusGlance<'a>>,
    /// Beta's `statusInfo`: rare; its presence sends the record to the full parse.
    pub beta_status: bool,
    pub source: Option<IdentityGlance<'a>>,
    pub target: Option<IdentityGlance<'a>>,
    pub service_principal: Option<IdentityGlance<'a>>,
    pub graph_shaped: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusGlance<'a> {
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub error_information: Option<ErrorGlance<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorGlance<'a> {
    #[serde(borrow, default)]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityGlance<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub display_name: Option<Cow<'a, str>>,
}

impl<'a> Glance<'a> {
    /// A look at a record's JSON text; `None` when it is not a JSON object in Graph's shape (the
    /// caller then normalises it, or reports why it is not a record).
    pub fn of(text: &'a [u8]) -> Option<Glance<'a>> {
        let mut de = serde_json::Deserializer::from_slice(text);
        let g = Glance::deserialize(&mut de).ok()?;
        de.end().ok()?;
        // Enums written as numbers ("1") are names only after normalising.
        let numeric = |v: Option<&str>| v.is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit()));
        let status = g.status.as_ref().and_then(|s| s.status.as_deref());
        if numeric(status) || numeric(g.action.as_deref()) {
            return None;
        }
        g.graph_shaped.then_some(g)
    }

    /// True when the full model must be read to know the outcome (beta's `statusInfo` only).
    pub fn needs_full_status(&self) -> bool {
        self.beta_status && self.status.as_ref().is_none_or(|s| s.status.is_none())
    }

    /// The record's time (`None`: none, or not a time).
    pub fn time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_graph_time(self.time.as_deref()?).ok().flatten()
    }

    /// The glanced fields as a (partial) summary: what [`LogQuery::matches`] and a summary read.
    pub fn to_summary(&self) -> ProvisioningObjectSummary {
        let s = |v: &Option<Cow<'_, str>>| v.as_deref().map(str::to_owned);
        let identity = |i: &Option<IdentityGlance<'_>>| {
            i.as_ref().map(|i| ProvisionedIdentity {
                id: s(&i.id),
                display_name: s(&i.display_name),
                ..Default::default()
            })
        };
        ProvisioningObjectSummary {
            id: s(&self.id).unwrap_or_default(),
            activity_date_time: self.time(),
            change_id: s(&self.change_id),
            cycle_id: s(&self.cycle_id),
            job_id: s(&self.job_id),
            tenant_id: s(&self.tenant_id),
            provisioning_action: self.action.as_deref().map(ProvisioningAction::parse),
            action: s(&self.beta_action),
            provisioning_status_info: self.status.as_ref().map(|st| ProvisioningStatusInfo {
                status: st.status.as_deref().map(ProvisioningResult::parse),
                error_information: st
                    .error_information
                    .as_ref()
                    .map(|e| ProvisioningErrorInfo {
                        error_code: s(&e.error_code),
                        reason: s(&e.reason),
                        ..Default::default()
                    }),
            }),
            source_identity: identity(&self.source),
            target_identity: identity(&self.target),
            service_principal: self.service_principal.as_ref().map(|p| {
                ProvisioningServicePrincipal {
                    id: s(&p.id),
                    display_name: s(&p.display_name),
                }
            }),
            ..Default::default()
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Glance<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(GlanceVisitor(std::marker::PhantomData))
    }
}

struct GlanceVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for GlanceVisitor<'a> {
    type Value = Glance<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a provisioning log record (a JSON object)")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Glance<'a>, M::Error> {
        let mut g = Glance {
            graph_shaped: true,
            ..Glance::default()
        };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "id" => g.id = map.next_value()?,
                "activityDateTime" => g.time = map.next_value()?,
                "changeId" => g.change_id = map.next_value()?,
                "cycleId" => g.cycle_id = map.next_value()?,
                "jobId" => g.job_id = map.next_value()?,
                "tenantId" => g.tenant_id = map.next_value()?,
                "provisioningAction" => g.action = map.next_value()?,
                "action" => g.beta_action = map.next_value()?,
                "provisioningStatusInfo" => g.status = map.next_value()?,
                "statusInfo" => {
                    g.beta_status = map.next_value::<Option<IgnoredAny>>()?.is_some();
                }
                "sourceIdentity" => g.source = map.next_value()?,
                "targetIdentity" => g.target = map.next_value()?,
                "servicePrincipal" => g.service_principal = map.next_value()?,
                other => {
                    // PascalCase names or an Azure Monitor envelope: normalise first.
                    if other.starts_with(|c: char| c.is_ascii_uppercase()) || other == "properties"
                    {
                        g.graph_shaped = false;
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(g)
    }
}

/// Byte patterns at least one of which every record a filter can match contains, so a record
/// without any is skipped unread. Conservative: a record whose text holds a `\u` escape (which
/// could spell a pattern differently) is always read.
#[derive(Debug, Default)]
pub struct Prefilter {
    /// Every group must match (one of its patterns).
    groups: Vec<Vec<Pattern>>,
}

#[derive(Debug)]
enum Pattern {
    Exact(memmem::Finder<'static>),
    /// ASCII case-insensitive: a case-free stretch of the pattern (digits, hyphens) found with
    /// `memmem`, or a letter found in both cases with `memchr2`, then the whole compared.
    Folded {
        lower: Vec<u8>,
        anchor: Anchor,
    },
}

#[derive(Debug)]
enum Anchor {
    Run(memmem::Finder<'static>, usize),
    Letter(u8, u8, usize),
}

impl Pattern {
    fn exact(p: &str) -> Pattern {
        Pattern::Exact(memmem::Finder::new(p.as_bytes()).into_owned())
    }

    fn folded(p: &str) -> Pattern {
        let lower = p.as_bytes().to_ascii_lowercase();
        // The longest stretch without letters.
        let (mut best, mut cur_start) = ((0, 0), 0);
        for (i, b) in lower.iter().enumerate() {
            if b.is_ascii_alphabetic() {
                cur_start = i + 1;
            } else if i + 1 - cur_start > best.1 - best.0 {
                best = (cur_start, i + 1);
            }
        }
        let anchor = if best.1 - best.0 >= 3 {
            Anchor::Run(
                memmem::Finder::new(&lower[best.0..best.1]).into_owned(),
                best.0,
            )
        } else {
            // The rarest letter in JSON text, by a rough frequency order.
            const RARE_FIRST: &[u8] = b"qjzxkvwbpgyfmhculdrsnioate";
            let (i, b) = lower
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| RARE_FIRST.iter().position(|r| r == *b).unwrap_or(0))
                .map(|(i, b)| (i, *b))
                .unwrap_or((0, 0));
            Anchor::Letter(b, b.to_ascii_uppercase(), i)
        };
        Pattern::Folded { lower, anchor }
    }

    fn found_in(&self, hay: &[u8]) -> bool {
        match self {
            Pattern::Exact(f) => f.find(hay).is_some(),
            Pattern::Folded { lower, anchor } => {
                let at = |hit: usize, off: usize| {
                    hit.checked_sub(off)
                        .and_then(|s| hay.get(s..s + lower.len()))
                        .is_some_and(|w| w.eq_ignore_ascii_case(lower))
                };
                match anchor {
                    Anchor::Run(f, off) => f.find_iter(hay).any(|h| at(h, *off)),
                    Anchor::Letter(a, b, off) => {
                        memchr::memchr2_iter(*a, *b, hay).any(|h| at(h, *off))
                    }
                }
            }
        }
    }
}

impl Prefilter {
    /// The patterns for a query's id and status filters (time, name and action filters are not
    /// byte-searchable: they leave the prefilter open).
    pub fn for_query(q: &LogQuery) -> Prefilter {
        let mut groups = Vec::new();
        let plain = |v: &str| !v.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
        // GUIDs compare case-insensitively; other ids exactly, as Graph compares them.
        for g in [&q.object_guid, &q.service_principal_id]
            .into_iter()
            .flatten()
        {
            if plain(g) && g.is_ascii() {
                groups.push(vec![Pattern::folded(g)]);
            }
        }
        for v in [&q.object_id, &q.job_id, &q.cycle_id, &q.change_id]
            .into_iter()
            .flatten()
        {
            if plain(v) && !v.is_empty() {
                groups.push(vec![Pattern::exact(v)]);
            }
        }
        if let Some(s) = q.status {
            // The name in any case, or its number in the CSDL member order (Azure Monitor).
            let n = match s {
                StatusFilter::Success => 0,
                StatusFilter::Failure => 1,
                StatusFilter::Skipped => 2,
                StatusFilter::Warning => 3,
            };
            let mut g = vec![Pattern::folded(s.as_graph())];
            for form in ["tatus\":N", "tatus\": N", "tatus\":\"N\"", "tatus\": \"N\""] {
                g.push(Pattern::exact(&form.replace('N', &n.to_string())));
            }
            groups.push(g);
        }
        Prefilter { groups }
    }

    /// Records that hold `value` in any ASCII case (an entry id, a change id, an object id):
    /// for looking one record or object up.
    pub fn for_value(value: &str) -> Prefilter {
        let plain = !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
        Prefilter {
            groups: if plain && value.is_ascii() && !value.is_empty() {
                vec![vec![Pattern::folded(value)]]
            } else {
                Vec::new()
            },
        }
    }

    /// True when nothing is filtered.
    pub fn is_open(&self) -> bool {
        self.groups.is_empty()
    }

    /// False only when `record` cannot match.
    pub fn may_match(&self, record: &[u8]) -> bool {
        self.groups
            .iter()
            .all(|g| g.iter().any(|p| p.found_in(record)))
            || memmem::find(record, b"\\u").is_some()
    }
}

/// Recognises, by bytes alone, a record that surely simply succeeded (Graph's compact
/// `"provisioningStatusInfo":{"status":"success"` and no word of a problem anywhere), so
/// `explain --file` skips plain successes unread. Anything else is read and judged on its fields.
#[derive(Debug)]
pub struct SuccessSkip {
    evidence: memmem::Finder<'static>,
    problems: Vec<Pattern>,
}

impl Default for SuccessSkip {
    fn default() -> Self {
        SuccessSkip {
            evidence: memmem::Finder::new(br#""provisioningStatusInfo":{"status":"success""#)
                .into_owned(),
            problems: [
                "failure",
                "skipped",
                "warning",
                "error",
                "unknownFutureValue",
                "\\u",
            ]
            .into_iter()
            .map(Pattern::folded)
            .collect(),
        }
    }
}

impl SuccessSkip {
    /// True only when `record` simply succeeded.
    pub fn surely_simple_success(&self, record: &[u8]) -> bool {
        self.evidence.find(record).is_some() && !self.problems.iter().any(|p| p.found_in(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glance_reads_the_filter_fields_and_flags_records_to_normalise() {
        let text = br#"{"id":"a","activityDateTime":"2026-11-25T10:00:00Z","jobId":"J","provisioningStatusInfo":{"status":"failure","errorInformation":{"errorCode":"E"}},"provisioningSteps":[{"x":[1,{"y":"}"}]}],"sourceIdentity":{"id":"G","displayName":"N"}}"#;
        let g = Glance::of(text).unwrap_or_else(|| panic!("glance"));
        let s = g.to_summary();
        assert_eq!(s.status(), Some(&ProvisioningResult::Failure));
        assert_eq!((s.id.as_str(), s.job_id.as_deref()), ("a", Some("J")));
        assert_eq!(s.error().and_then(|e| e.error_code), Some("E".into()));
        assert!(Glance::of(br#"{"Id":"a"}"#).is_none());
        assert!(Glance::of(br#"{"properties":{},"time":"x"}"#).is_none());
        assert!(Glance::of(br#"{"provisioningStatusInfo":{"status":1}}"#).is_none());
        assert!(Glance::of(br#"{"provisioningStatusInfo":{"status":"1"}}"#).is_none());
        assert!(Glance::of(br#"{"sourceIdentity":"{\"id\":1}"}"#).is_none());
        assert!(Glance::of(br#"[1]"#).is_none());
        assert!(Glance::of(br#"{"id":"a"} x"#).is_none());
    }

    #[test]
    fn the_prefilter_never_skips_a_record_the_query_matches() {
        let q = LogQuery {
            object_guid: Some("0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10".into()),
            status: Some(StatusFilter::Failure),
            ..Default::default()
        };
        let p = Prefilter::for_query(&q);
        for (text, may) in [
            (
                r#"{"sourceIdentity":{"id":"0D4F6A8E-2B1C-4E3A-9F5D-7C8B6A4E2D10"},"status":"Failure"}"#,
                true,
            ),
            (
                r#"{"targetIdentity":{"id":"0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10"},"x":{"Status":1}}"#,
                true,
            ),
            (
                r#"{"targetIdentity":{"id":"0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10"},"x":{"status":"success"}}"#,
                false,
            ),
            (
                r#"{"targetIdentity":{"id":"0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d11"},"status":"failure"}"#,
                false,
            ),
            (
                r#"{"id":"\u0030d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10","status":"failure"}"#,
                true,
            ),
        ] {
            assert_eq!(p.may_match(text.as_bytes()), may, "{text}");
        }
        // A GUID made mostly of letters falls back to a letter anchor.
        let q = LogQuery {
            object_guid: Some("abcdefab-cdef-abcd-efab-cdefabcdefab".into()),
            ..Default::default()
        };
        let p = Prefilter::for_query(&q);
        assert!(p.may_match(b"..ABCDEFAB-cdef-ABCD-efab-cdefabcdefab.."));
        assert!(!p.may_match(b"..abcdefab-cdef-abcd-efab-cdefabcdefaa.."));
        assert!(Prefilter::for_query(&LogQuery::default()).is_open());
    }

    #[test]
    fn only_a_plain_success_is_skipped_by_explain() {
        let skip = SuccessSkip::default();
        for (text, skipped) in [
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success","errorInformation":null}}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success"},"provisioningSteps":[]}"#,
                true,
            ),
            (
                r#"{"id":"a","provisioningSteps":[{"status":"success"}]}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success"},"x":"Skipped"}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success"},"x":"\u0041"}"#,
                false,
            ),
        ] {
            assert_eq!(
                skip.surely_simple_success(text.as_bytes()),
                skipped,
                "{text}"
            );
        }
    }
}
