//! Reading a record fast: a byte search that skips records a filter cannot match before any
//! parsing ([`Prefilter`]), and a borrowed look at only the fields filters, ordering, summaries and
//! the "did it simply succeed" question need ([`Glance`]); everything else is skipped by serde
//! without being built. The full [`ProvisioningObjectSummary`] is parsed only for records a command
//! prints or explains.

use std::borrow::Cow;

use memchr::memmem;

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

/// `provisioningStatusInfo`: `status` and `errorInformation`.
#[derive(Debug, Default)]
pub(crate) struct StatusGlance<'a> {
    pub status: Option<Cow<'a, str>>,
    pub error_information: Option<ErrorGlance<'a>>,
}

/// `errorInformation`: `errorCode` and `reason`.
#[derive(Debug, Default)]
pub(crate) struct ErrorGlance<'a> {
    pub error_code: Option<Cow<'a, str>>,
    pub reason: Option<Cow<'a, str>>,
}

/// An identity or the service principal: `id` and `displayName`.
#[derive(Debug, Default)]
pub(crate) struct IdentityGlance<'a> {
    pub id: Option<Cow<'a, str>>,
    pub display_name: Option<Cow<'a, str>>,
}

/// An object member read with `set` per member: `Some(None)` for `null`; `None` when it is not
/// an object, or `set` refuses a member (a number where a string belongs).
fn object<'a, T: Default>(
    value: &'a [u8],
    mut set: impl FnMut(&mut T, &[u8], &'a [u8]) -> Option<()>,
) -> Option<Option<T>> {
    if value == b"null" {
        return Some(None);
    }
    let mut out = T::default();
    members(value, |key, v| set(&mut out, key, v))?;
    Some(Some(out))
}

impl<'a> StatusGlance<'a> {
    fn of(value: &'a [u8]) -> Option<Option<StatusGlance<'a>>> {
        object(value, |s: &mut StatusGlance<'a>, key, v| {
            match key {
                b"status" => s.status = string(v)?,
                b"errorInformation" => {
                    s.error_information = object(v, |e: &mut ErrorGlance<'a>, key, v| {
                        match key {
                            b"errorCode" => e.error_code = string(v)?,
                            b"reason" => e.reason = string(v)?,
                            _ => {}
                        }
                        Some(())
                    })?;
                }
                _ => {}
            }
            Some(())
        })
    }
}

impl<'a> IdentityGlance<'a> {
    fn of(value: &'a [u8]) -> Option<Option<IdentityGlance<'a>>> {
        object(value, |i: &mut IdentityGlance<'a>, key, v| {
            match key {
                b"id" => i.id = string(v)?,
                b"displayName" => i.display_name = string(v)?,
                _ => {}
            }
            Some(())
        })
    }
}

impl<'a> Glance<'a> {
    /// A look at a record's JSON text; `None` when it is not a JSON object in Graph's shape (the
    /// caller then normalises it, or reports why it is not a record).
    ///
    /// Only the members read here are parsed (by serde, which checks them); the others — the
    /// steps and modified properties, most of a record's bytes — are stepped over by matching
    /// quotes and brackets ([`members`]), not checked. A member name with an escape, or anything
    /// that is not a plain object, gives `None`.
    pub fn of(text: &'a [u8]) -> Option<Glance<'a>> {
        let mut g = Glance {
            graph_shaped: true,
            ..Glance::default()
        };
        members(text, |key, value| {
            match key {
                b"id" => g.id = string(value)?,
                b"activityDateTime" => g.time = string(value)?,
                b"changeId" => g.change_id = string(value)?,
                b"cycleId" => g.cycle_id = string(value)?,
                b"jobId" => g.job_id = string(value)?,
                b"tenantId" => g.tenant_id = string(value)?,
                b"provisioningAction" => g.action = string(value)?,
                b"action" => g.beta_action = string(value)?,
                b"provisioningStatusInfo" => g.status = StatusGlance::of(value)?,
                b"statusInfo" => g.beta_status = value != b"null",
                b"sourceIdentity" => g.source = IdentityGlance::of(value)?,
                b"targetIdentity" => g.target = IdentityGlance::of(value)?,
                b"servicePrincipal" => g.service_principal = IdentityGlance::of(value)?,
                // PascalCase names or an Azure Monitor envelope: normalise first.
                other => {
                    if other.first().is_some_and(u8::is_ascii_uppercase) || other == b"properties" {
                        g.graph_shaped = false;
                    }
                }
            }
            Some(())
        })?;
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
        let mut s = ProvisioningObjectSummary::default();
        self.fill(&mut s);
        s
    }

    /// Like [`Glance::to_summary`], into `out`, whose strings are reused (a reader that glances
    /// a million records allocates for few of them). Every field not glanced is reset.
    pub fn fill(&self, out: &mut ProvisioningObjectSummary) {
        let old = std::mem::take(out);
        let identity = |old: Option<ProvisionedIdentity>, i: &Option<IdentityGlance<'_>>| {
            let i = i.as_ref()?;
            let old = old.unwrap_or_default();
            Some(ProvisionedIdentity {
                id: reuse(old.id, &i.id),
                display_name: reuse(old.display_name, &i.display_name),
                ..Default::default()
            })
        };
        let old_status = old.provisioning_status_info.unwrap_or_default();
        let old_error = old_status.error_information.unwrap_or_default();
        let old_sp = old.service_principal.unwrap_or_default();
        *out = ProvisioningObjectSummary {
            id: reuse(Some(old.id), &self.id).unwrap_or_default(),
            activity_date_time: self.time(),
            change_id: reuse(old.change_id, &self.change_id),
            cycle_id: reuse(old.cycle_id, &self.cycle_id),
            job_id: reuse(old.job_id, &self.job_id),
            tenant_id: reuse(old.tenant_id, &self.tenant_id),
            provisioning_action: self.action.as_deref().map(ProvisioningAction::parse),
            action: reuse(old.action, &self.beta_action),
            provisioning_status_info: self.status.as_ref().map(|st| ProvisioningStatusInfo {
                status: st.status.as_deref().map(ProvisioningResult::parse),
                error_information: st
                    .error_information
                    .as_ref()
                    .map(|e| ProvisioningErrorInfo {
                        error_code: reuse(old_error.error_code, &e.error_code),
                        reason: reuse(old_error.reason, &e.reason),
                        ..Default::default()
                    }),
            }),
            source_identity: identity(old.source_identity, &self.source),
            target_identity: identity(old.target_identity, &self.target),
            service_principal: self.service_principal.as_ref().map(|p| {
                ProvisioningServicePrincipal {
                    id: reuse(old_sp.id, &p.id),
                    display_name: reuse(old_sp.display_name, &p.display_name),
                }
            }),
            ..Default::default()
        };
    }
}

/// `value` as an owned string, in `old`'s allocation when there is one.
fn reuse(old: Option<String>, value: &Option<Cow<'_, str>>) -> Option<String> {
    let value = value.as_deref()?;
    let mut s = old.unwrap_or_default();
    s.clear();
    s.push_str(value);
    Some(s)
}

/// A string member's value: borrowed when it has no escape, `None` for `null`; anything else
/// (a number, an object) is not Graph's shape, and gives `Err` through the `?` of the caller.
fn string(value: &[u8]) -> Option<Option<Cow<'_, str>>> {
    if value == b"null" {
        return Some(None);
    }
    let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if memchr::memchr(b'\\', inner).is_none() {
        return std::str::from_utf8(inner)
            .ok()
            .map(|s| Some(Cow::Borrowed(s)));
    }
    serde_json::from_slice::<String>(value)
        .ok()
        .map(|s| Some(Cow::Owned(s)))
}

/// Walks the members of the JSON object `text`, handing each name and the bytes of its value
/// to `each`, without parsing the values: strings are stepped over with `memchr` (to the next
/// quote or backslash), containers by counting brackets outside strings. `None` when `text` is
/// not one object (with nothing but whitespace after it), a name holds an escape, the brackets
/// do not match, or `each` gives `None`.
fn members<'a>(
    text: &'a [u8],
    mut each: impl FnMut(&'a [u8], &'a [u8]) -> Option<()>,
) -> Option<()> {
    let ws = |i: usize| {
        i + text[i.min(text.len())..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count()
    };
    let mut i = ws(0);
    if text.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(i + 1);
    if text.get(i) == Some(&b'}') {
        return (ws(i + 1) == text.len()).then_some(());
    }
    loop {
        if text.get(i) != Some(&b'"') {
            return None;
        }
        let end = i + 1 + memchr::memchr2(b'"', b'\\', &text[i + 1..])?;
        if text[end] != b'"' {
            return None;
        }
        let key = &text[i + 1..end];
        i = ws(end + 1);
        if text.get(i) != Some(&b':') {
            return None;
        }
        i = ws(i + 1);
        let end = value_end(text, i)?;
        each(key, &text[i..end])?;
        i = ws(end);
        match text.get(i) {
            Some(b',') => i = ws(i + 1),
            Some(b'}') => return (ws(i + 1) == text.len()).then_some(()),
            _ => return None,
        }
    }
}

/// Where the JSON value starting at `text[i]` ends (one past its last byte).
fn value_end(text: &[u8], i: usize) -> Option<usize> {
    match *text.get(i)? {
        b'"' => string_end(text, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *text.get(j)? {
                    b'"' => {
                        j = string_end(text, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let n = text[i..]
                .iter()
                .take_while(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            (n > 0).then_some(i + n)
        }
    }
}

/// One past the closing quote of the string starting at `text[i]`. Eight bytes at a time:
/// most strings of a record are shorter than a `memchr` call is worth.
fn string_end(text: &[u8], i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `x` equal to `b` (exact for the lowest such byte).
    let has = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    let mut j = i + 1;
    loop {
        while let Some(chunk) = text.get(j..j + 8) {
            let x = u64::from_le_bytes(chunk.try_into().ok()?);
            let m = has(x, b'"') | has(x, b'\\');
            if m != 0 {
                j += (m.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        match *text.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// Byte patterns at least one of which every record a filter can match contains, so a record
/// without any is skipped unread. Conservative: a record whose text holds a `\u` escape (which
/// could spell a pattern differently) is always read.
#[derive(Debug, Default, Clone)]
pub struct Prefilter {
    /// Every group must match (one of its patterns).
    groups: Vec<Vec<Pattern>>,
}

#[derive(Debug, Clone)]
enum Pattern {
    Exact(memmem::Finder<'static>),
    /// A member whose name ends in `tatus` (any case of `Status`) with the number `n` as its
    /// value, quoted or not: an enum written as a number (Azure Monitor).
    StatusNumber(memmem::Finder<'static>, u8),
    /// ASCII case-insensitive: a case-free stretch of the pattern (digits, hyphens) found with
    /// `memmem`, or a letter found in both cases with `memchr2`, then the whole compared.
    Folded {
        lower: Vec<u8>,
        anchor: Anchor,
    },
}

#[derive(Debug, Clone)]
enum Anchor {
    Run(Box<memmem::Finder<'static>>, usize),
    Letter(u8, u8, usize),
}

impl Pattern {
    fn exact(p: &str) -> Pattern {
        Pattern::Exact(memmem::Finder::new(p.as_bytes()).into_owned())
    }

    fn status_number(n: u8) -> Pattern {
        Pattern::StatusNumber(memmem::Finder::new(b"tatus\"").into_owned(), n)
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
                Box::new(memmem::Finder::new(&lower[best.0..best.1]).into_owned()),
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
            Pattern::StatusNumber(f, n) => f.find_iter(hay).any(|i| {
                let rest = &hay[i + 6..];
                let rest = rest.trim_ascii_start().strip_prefix(b":").unwrap_or(b"");
                let rest = rest.trim_ascii_start();
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                rest.first() == Some(&(b'0' + n))
            }),
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
            groups.push(vec![
                Pattern::folded(s.as_graph()),
                Pattern::status_number(n),
            ]);
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

/// Recognises, by bytes alone, a record that is surely in Graph's own shape already, so it can be
/// parsed straight into the model without [`super::normalize`]: its first member name is
/// camelCase, it has no `properties` (an Azure Monitor envelope), no enum member written as a
/// number, and no string value that starts like JSON text (`"{` or `"[`). Anything else goes
/// through the careful path.
#[derive(Debug)]
pub(crate) struct ShapeCheck {
    properties: [memmem::Finder<'static>; 2],
    numbers: Vec<memmem::Finder<'static>>,
    json_text: Vec<memmem::Finder<'static>>,
}

impl Default for ShapeCheck {
    fn default() -> Self {
        let f = |p: &str| memmem::Finder::new(p.as_bytes()).into_owned();
        ShapeCheck {
            // (A spelling of the envelope's member in another case still has no `id`, which the
            // caller checks.)
            properties: [f("\"properties\""), f("\"Properties\"")],
            // The names of normalised enums, from their end (any case of the first letter).
            numbers: [
                "tatus\"",
                "rovisioningAction\"",
                "tepType\"",
                "ype\"",
                "rrorCategory\"",
            ]
            .into_iter()
            .map(f)
            .collect(),
            json_text: ["\":\"{", "\":\"[", "\": \"{", "\": \"["]
                .into_iter()
                .map(f)
                .collect(),
        }
    }
}

impl ShapeCheck {
    /// True only when `record` needs no normalising.
    pub fn surely_graph_shaped(&self, record: &[u8]) -> bool {
        let first = record
            .strip_prefix(b"{")
            .map(|r| r.trim_ascii_start())
            .and_then(|r| r.strip_prefix(b"\""))
            .and_then(|r| r.first());
        if !first.is_some_and(u8::is_ascii_lowercase)
            || self.properties.iter().any(|p| p.find(record).is_some())
        {
            return false;
        }
        let numeric = self.numbers.iter().any(|f| {
            f.find_iter(record).any(|i| {
                let rest = record[i + f.needle().len()..].trim_ascii_start();
                let rest = rest.strip_prefix(b":").unwrap_or(b"").trim_ascii_start();
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                rest.first().is_some_and(u8::is_ascii_digit)
            })
        });
        !numeric && !self.json_text.iter().any(|f| f.find(record).is_some())
    }
}

/// Recognises a record that surely simply succeeded without parsing it, so `explain --file`
/// skips plain successes unread: its one top-level `provisioningStatusInfo` member (found by a
/// byte search, its depth checked) says `success` with no `errorInformation`, and it has no beta
/// `statusInfo` and no `\u` escape (which could spell a member name differently). Anything else
/// is read and judged on its fields.
#[derive(Debug, Clone)]
pub struct SuccessSkip {
    status_info: memmem::Finder<'static>,
    beta: memmem::Finder<'static>,
    escape: memmem::Finder<'static>,
}

impl Default for SuccessSkip {
    fn default() -> Self {
        let f = |p: &[u8]| memmem::Finder::new(p).into_owned();
        SuccessSkip {
            status_info: f(b"\"provisioningStatusInfo\""),
            beta: f(b"\"statusInfo\""),
            escape: f(b"\\u"),
        }
    }
}

impl SuccessSkip {
    /// True only when `record` simply succeeded.
    pub fn surely_simple_success(&self, record: &[u8]) -> bool {
        let Some(at) = self.status_info.find(record) else {
            return false;
        };
        let after = at + self.status_info.needle().len();
        if self.status_info.find(&record[after..]).is_some()
            || self.beta.find(record).is_some()
            || self.escape.find(record).is_some()
            || depth_at(&record[..at]) != Some(1)
        {
            return false;
        }
        let Some(value) = record[after..].trim_ascii_start().strip_prefix(b":") else {
            return false;
        };
        let value = value.trim_ascii_start();
        match value_end(value, 0).and_then(|end| StatusGlance::of(&value[..end])) {
            Some(Some(s)) => {
                s.error_information.is_none()
                    && s.status.is_some_and(|s| s.eq_ignore_ascii_case("success"))
            }
            _ => false,
        }
    }
}

/// The nesting depth after `prefix` (the start of a JSON value), `None` when it ends inside a
/// string. Strings, most of the bytes, are skipped with `memchr`.
fn depth_at(prefix: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < prefix.len() {
        // Outside a string: up to the next quote, counting brackets on the way.
        let next = memchr::memchr(b'"', &prefix[i..]).map_or(prefix.len(), |q| i + q);
        for &b in &prefix[i..next] {
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if next == prefix.len() {
            return Some(depth);
        }
        // Inside: to the closing quote, over escapes.
        let mut j = next + 1;
        loop {
            match memchr::memchr2(b'"', b'\\', &prefix[j..]) {
                None => return None,
                Some(k) if prefix[j + k] == b'\\' => j += k + 2,
                Some(k) => {
                    j += k + 1;
                    break;
                }
            }
        }
        i = j;
    }
    Some(depth)
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

    /// Any JSON value, with strings full of quotes, backslashes, brackets and non-ASCII.
    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\"\\\\{}\\[\\],:é€\n\u{1}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn members_are_exactly_the_objects_members_and_a_cut_object_is_none(
            fields in proptest::collection::btree_map("[a-zA-Z]{1,8}", json(), 0..8),
            pretty in proptest::bool::ANY,
        ) {
            let object = serde_json::Value::Object(fields.clone().into_iter().collect());
            let text = if pretty {
                serde_json::to_vec_pretty(&object)
            } else {
                serde_json::to_vec(&object)
            }
            .unwrap_or_default();
            let mut seen = Vec::new();
            let walked = members(&text, |k, v| {
                let value: serde_json::Value = serde_json::from_slice(v).ok()?;
                seen.push((String::from_utf8(k.to_vec()).ok()?, value));
                Some(())
            });
            proptest::prop_assert!(walked.is_some());
            let want: Vec<(String, serde_json::Value)> = fields.into_iter().collect();
            proptest::prop_assert_eq!(seen, want);
            for cut in 0..text.len() {
                proptest::prop_assert!(members(&text[..cut], |_, _| Some(())).is_none());
            }
        }
    }

    #[test]
    fn a_glance_steps_over_what_it_does_not_read_and_refuses_what_is_not_an_object() {
        // Quotes, escapes and brackets inside skipped strings.
        let text = br#"{"provisioningSteps":[{"d":"a \" ] } [ \\","e":["}",{"f":"\"{"}]}],"id":"x","jobId":"j\u00e9","sourceIdentity":{"id":"G","details":{"k":"]"}},"provisioningStatusInfo":{"status":"success","errorInformation":null}}"#;
        let g = Glance::of(text).unwrap_or_else(|| panic!("glance"));
        assert_eq!(g.id.as_deref(), Some("x"));
        assert_eq!(g.job_id.as_deref(), Some("jé"));
        assert_eq!(g.source.and_then(|s| s.id).as_deref(), Some("G"));
        for bad in [
            &br#"{"id":"x""#[..],
            br#"{"id":"x",}"#,
            br#"{"id" "x"}"#,
            br#"{"id":"x"}}"#,
            br#"{"a\"b":1}"#,
            br#"{"id":5}"#,
            br#"{"sourceIdentity":"G"}"#,
            br#"{"provisioningSteps":[{]}"#,
            b"",
            b"{",
        ] {
            assert!(
                Glance::of(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
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
    fn depth_is_counted_outside_strings_only() {
        assert_eq!(depth_at(br#"{"a":{"b":"}}\"{[","c":["#), Some(3));
        assert_eq!(depth_at(br#"{"a":"x"#), None);
        assert_eq!(depth_at(br#"{"a":{},"b""#), Some(1));
    }

    #[test]
    fn only_records_in_graphs_shape_skip_normalising() {
        let c = ShapeCheck::default();
        for (text, plain) in [
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"failure"}}"#,
                true,
            ),
            (r#"{"Id":"a"}"#, false),
            (r#"{"@odata.type":"x","id":"a"}"#, false),
            (r#"{"time":"t","properties":{"id":"a"}}"#, false),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status": "1"}}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningSteps":[{"provisioningStepType":5}]}"#,
                false,
            ),
            (r#"{"id":"a","sourceIdentity":"{\"id\":\"g\"}"}"#, false),
        ] {
            assert_eq!(c.surely_graph_shaped(text.as_bytes()), plain, "{text}");
        }
    }

    #[test]
    fn only_a_plain_success_is_skipped_by_explain() {
        let skip = SuccessSkip::default();
        for (text, skipped) in [
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success","errorInformation":null}}"#,
                true,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo" : {"status":"Success"},"x":"Skipped"}"#,
                true,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"success","errorInformation":{"errorCode":"E"}}}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningStatusInfo":{"status":"skipped"}}"#,
                false,
            ),
            (
                r#"{"id":"a","provisioningSteps":[{"status":"success"}]}"#,
                false,
            ),
            (
                r#"{"id":"a","x":{"provisioningStatusInfo":{"status":"success"}}}"#,
                false,
            ),
            (
                r#"{"id":"a","x":"\"provisioningStatusInfo\":{","provisioningStatusInfo":{"status":"success"}}"#,
                true,
            ),
            (
                r#"{"id":"a","statusInfo":{},"provisioningStatusInfo":{"status":"success"}}"#,
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
