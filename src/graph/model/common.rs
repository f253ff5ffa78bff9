//! Building blocks every Graph model shares: "open" enums that keep values they do not know,
//! timestamps where `""` and `0001-01-01T00:00:00Z` mean "never", ISO 8601 durations (with .NET's
//! `TimeSpan.MaxValue` meaning "no schedule"), lenient numbers, key/value pairs, free-form details
//! maps, and the OData collection and error envelopes.

use std::fmt;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Declares an "open" Graph enum: known members compare case-insensitively (plus optional
/// aliases), serialise back with Graph's canonical spelling, and unknown values are kept verbatim
/// in `Other(String)` instead of failing the whole document.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[doc = concat!("Graph value `", $wire, "`.")]
                $variant,
            )+
            /// A value this version of provctl does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The canonical Graph spellings of the known members, in metadata order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// Reads a wire value: case-insensitive, aliases accepted, unknown values kept.
            pub fn parse(value: &str) -> Self {
                let trimmed = value.trim();
                $(
                    if trimmed.eq_ignore_ascii_case($wire)
                        $(|| trimmed.eq_ignore_ascii_case($alias))*
                    {
                        return Self::$variant;
                    }
                )+
                Self::Other(value.to_owned())
            }

            /// The canonical Graph spelling (an unknown value verbatim).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(value) => value,
                }
            }

            /// True for a member this version knows (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::parse(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::graph::model::common::deserialize_open_enum(deserializer, Self::parse)
            }
        }

        impl $crate::graph::model::common::OpenEnum for $name {
            fn as_wire(&self) -> &str {
                self.as_str()
            }
        }
    };
}
pub(crate) use open_enum;

/// What every open enum offers generically (used by the serde helpers).
pub trait OpenEnum {
    /// The wire spelling.
    fn as_wire(&self) -> &str;
}

/// Deserialises an open enum from a string; numbers and booleans are kept as their text.
pub(crate) fn deserialize_open_enum<'de, D, T>(
    deserializer: D,
    parse: fn(&str) -> T,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct OpenVisitor<T>(fn(&str) -> T);
    impl<T> Visitor<'_> for OpenVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an enum member name (string)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok((self.0)(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Ok((self.0)(&v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Ok((self.0)(&v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            Ok((self.0)(if v { "true" } else { "false" }))
        }
    }
    deserializer.deserialize_any(OpenVisitor(parse))
}

/// `Option<open enum>` where `null`, a missing field and `""` all mean "not set".
///
/// Graph's docs examples return `""` for enums the metadata marks non-nullable (the quarantine
/// `reason`); reading that as `None` keeps `Other("")` out of every `match`.
pub mod opt_enum {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::OpenEnum;

    /// Reads `null`, `""` (or whitespace) as `None`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + OpenEnum,
    {
        let value = Option::<T>::deserialize(deserializer)?;
        Ok(value.filter(|v| !v.as_wire().trim().is_empty()))
    }

    /// Writes `None` as `null`, a value with its canonical spelling.
    pub fn serialize<S, T>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        value.serialize(serializer)
    }
}

/// Reads `null` as the type's default (an empty collection, an empty string, zero).
pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------

/// Parses a Graph timestamp. `""`, `null`-like blanks and year-1 dates (`0001-01-01T00:00:00Z`,
/// .NET's `DateTime.MinValue`) mean "never" and give `Ok(None)`. Offsets are converted to UTC; a
/// timestamp without an offset is read as UTC. Up to 9 fractional digits are kept (Graph sends 7).
pub fn parse_graph_time(value: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
    let s = value.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let parsed: DateTime<Utc> = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
            .map(|n| n.and_utc())
            .map_err(|_| format!("not an ISO 8601 timestamp: {value:?}"))?,
    };
    if parsed.year() <= 1 {
        return Ok(None);
    }
    Ok(Some(parsed))
}

/// Formats a timestamp the way Graph does: RFC 3339, UTC `Z`, fractional seconds only when set.
pub fn format_graph_time(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Serde helper for `Option<DateTime<Utc>>` fields where `null`, a missing field, `""` and
/// `0001-01-01T00:00:00Z` all read as `None` ("never"). `None` is written as `null`.
///
/// Use with `#[serde(default, with = "never_time")]`.
pub mod never_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Reads a timestamp, mapping blanks and year-1 sentinels to `None`.
    pub fn deserialize<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
    where
        D: Deserializer<'de>,
    {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(s) => super::parse_graph_time(&s).map_err(de::Error::custom),
        }
    }

    /// Writes RFC 3339 (UTC, `Z`), or `null` for "never".
    pub fn serialize<S>(value: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
    {
        match value {
            Some(t) => serializer.serialize_str(&super::format_graph_time(t)),
            None => serializer.serialize_none(),
        }
    }
}

/// Serde helper for `Option<String>` fields that Graph documents as JSON **text** (the
/// provisionOnDemand `key`/`value`): a string is kept as is, an object or array that arrives
/// already parsed is kept as its JSON text, `null` is `None`. Written back as a string.
pub mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    /// Reads a string, or any other JSON value as its text.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        Ok(match Option::<Value>::deserialize(deserializer)? {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => Some(other.to_string()),
        })
    }

    /// Writes the string (or `null`).
    pub fn serialize<S: Serializer>(
        value: &Option<String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient numbers
// ---------------------------------------------------------------------------------------------

struct LenientI64;

impl Visitor<'_> for LenientI64 {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, a string holding an integer, or null")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::custom(format!("{v} is too large for a 64-bit count")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && v >= i64::MIN as f64 && v <= i64::MAX as f64 {
            Ok(Some(v as i64))
        } else {
            Err(E::custom(format!("{v} is not a whole number")))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<i64>()
            .map(Some)
            .map_err(|_| E::custom(format!("{v:?} is not an integer")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Serde helper for `i64` counts that may arrive as numbers, numeric strings (`"0"`) or `null`
/// (read as 0). Written back as a JSON number. Use with `#[serde(default, with = "lenient_i64")]`.
pub mod lenient_i64 {
    use serde::{Deserializer, Serializer};

    /// Reads a number, a numeric string, or `null` (0).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        Ok(deserializer
            .deserialize_any(super::LenientI64)?
            .unwrap_or(0))
    }

    /// Writes a JSON number.
    pub fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(*value)
    }
}

/// Like [`lenient_i64`] for `Option<i64>`: `null`, `""` and a missing field read as `None`.
pub mod lenient_opt_i64 {
    use serde::{Deserializer, Serializer};

    /// Reads a number, a numeric string, or `null`/`""` (`None`).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        deserializer.deserialize_any(super::LenientI64)
    }

    /// Writes a JSON number or `null`.
    pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.serialize_i64(*v),
            None => serializer.serialize_none(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ISO 8601 durations
// ---------------------------------------------------------------------------------------------

/// Days in .NET's `TimeSpan.MaxValue` (`P10675199DT2H48M5.4775807S`), which Graph sends for a job
/// that has no schedule. Any interval this long or longer is read as "never".
const NEVER_DAYS: u128 = 10_675_199;
const NANOS_PER_SEC: u128 = 1_000_000_000;
const NANOS_PER_DAY: u128 = 86_400 * NANOS_PER_SEC;

/// What an ISO 8601 duration string means once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationValue {
    /// A finite length of time.
    Finite(Duration),
    /// .NET `TimeSpan.MaxValue` (or longer): no schedule, never.
    Never,
}

/// Why a duration string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an ISO 8601 duration (like PT40M or P1DT2H): {reason}")]
pub struct DurationError {
    /// The string given.
    pub value: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

/// Parses an ISO 8601 duration (`PT40M`, `P1DT2H`, `PT1.5S`, `P2W`, `P10675199DT2H48M5.4775807S`).
///
/// Lenient: lowercase letters and `,` as the decimal mark are accepted, a fraction may appear on
/// any component, years count as 365 days and months as 30 (Graph never sends either for these
/// properties). Negative durations are refused.
pub fn parse_iso8601_duration(value: &str) -> Result<DurationValue, DurationError> {
    let err = |reason| DurationError {
        value: value.to_owned(),
        reason,
    };
    let s = value.trim();
    let rest = s
        .strip_prefix('P')
        .or_else(|| s.strip_prefix('p'))
        .ok_or_else(|| {
            if s.starts_with('-') {
                err("negative durations are not supported")
            } else {
                err("it must start with P")
            }
        })?;
    if rest.is_empty() {
        return Err(err("it has no components"));
    }
    let mut total: u128 = 0;
    let mut in_time = false;
    let mut components = 0usize;
    let mut int_part: Option<u128> = None;
    let mut frac_nanos: u128 = 0;
    let mut frac_digits = 0u32;
    let mut in_fraction = false;
    let mut saw_digit = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                let d = u128::from(c as u8 - b'0');
                saw_digit = true;
                if in_fraction {
                    if frac_digits < 9 {
                        frac_nanos = frac_nanos * 10 + d;
                        frac_digits += 1;
                    }
                } else {
                    let cur = int_part.unwrap_or(0);
                    int_part = Some(
                        cur.checked_mul(10)
                            .and_then(|v| v.checked_add(d))
                            .ok_or_else(|| err("a number is too large"))?,
                    );
                }
            }
            '.' | ',' => {
                if in_fraction || !saw_digit {
                    return Err(err("misplaced decimal mark"));
                }
                in_fraction = true;
            }
            'T' | 't' => {
                if in_time || saw_digit {
                    return Err(err("misplaced T"));
                }
                in_time = true;
            }
            _ => {
                if !saw_digit {
                    return Err(err("a designator has no number before it"));
                }
                let unit_nanos: u128 = match (in_time, c.to_ascii_uppercase()) {
                    (false, 'Y') => 365 * NANOS_PER_DAY,
                    (false, 'M') => 30 * NANOS_PER_DAY,
                    (false, 'W') => 7 * NANOS_PER_DAY,
                    (false, 'D') => NANOS_PER_DAY,
                    (true, 'H') => 3600 * NANOS_PER_SEC,
                    (true, 'M') => 60 * NANOS_PER_SEC,
                    (true, 'S') => NANOS_PER_SEC,
                    _ => return Err(err("unknown designator")),
                };
                while frac_digits < 9 {
                    frac_nanos *= 10;
                    frac_digits += 1;
                }
                let whole = int_part
                    .unwrap_or(0)
                    .checked_mul(unit_nanos)
                    .ok_or_else(|| err("a number is too large"))?;
                let frac = frac_nanos
                    .checked_mul(unit_nanos)
                    .map(|v| v / NANOS_PER_SEC)
                    .ok_or_else(|| err("a number is too large"))?;
                total = total
                    .checked_add(whole)
                    .and_then(|v| v.checked_add(frac))
                    .ok_or_else(|| err("a number is too large"))?;
                components += 1;
                int_part = None;
                frac_nanos = 0;
                frac_digits = 0;
                in_fraction = false;
                saw_digit = false;
            }
        }
    }
    if saw_digit {
        return Err(err("a number has no designator after it"));
    }
    if components == 0 {
        return Err(err("it has no components"));
    }
    if total >= NEVER_DAYS * NANOS_PER_DAY {
        return Ok(DurationValue::Never);
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| err("a number is too large"))?;
    // The remainder is below one billion, so it always fits.
    let nanos = u32::try_from(total % NANOS_PER_SEC).unwrap_or(0);
    Ok(DurationValue::Finite(Duration::new(secs, nanos)))
}

/// Formats a duration as ISO 8601 the way Graph writes intervals (`PT40M`, `P1DT2H`, `PT0S`).
pub fn format_iso8601_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let nanos = duration.subsec_nanos();
    let days = total / 86_400;
    let hours = (total % 86_400) / 3600;
    let minutes = (total % 3600) / 60;
    let seconds = total % 60;
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 || seconds > 0 || nanos > 0 || days == 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds > 0 || nanos > 0 {
            if nanos > 0 {
                let frac = format!("{nanos:09}");
                out.push_str(&format!("{seconds}.{}S", frac.trim_end_matches('0')));
            } else {
                out.push_str(&format!("{seconds}S"));
            }
        } else if hours == 0 && minutes == 0 {
            out.push_str("0S");
        }
    }
    out
}

/// An ISO 8601 duration as Graph sends it (schedule `interval`, directory sync intervals).
///
/// Keeps the original string (written back verbatim) and what it means. A string that is not a
/// duration is kept too, so one odd value never fails a whole job list: [`GraphDuration::value`]
/// is then `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphDuration {
    raw: String,
    value: Option<DurationValue>,
}

/// The name the job schedule uses for its interval.
pub type ScheduleInterval = GraphDuration;

impl GraphDuration {
    /// .NET `TimeSpan.MaxValue`, Graph's "no schedule".
    pub const NEVER_WIRE: &'static str = "P10675199DT2H48M5.4775807S";

    /// Parses strictly: an error names the value and what is wrong with it.
    pub fn parse(value: &str) -> Result<Self, DurationError> {
        let parsed = parse_iso8601_duration(value)?;
        Ok(GraphDuration {
            raw: value.to_owned(),
            value: Some(parsed),
        })
    }

    /// Parses leniently: a malformed string is kept with no meaning attached.
    pub fn parse_lenient(value: &str) -> Self {
        GraphDuration {
            raw: value.to_owned(),
            value: parse_iso8601_duration(value).ok(),
        }
    }

    /// A finite interval, written the way Graph writes it (`PT40M`).
    pub fn from_duration(duration: Duration) -> Self {
        GraphDuration {
            raw: format_iso8601_duration(duration),
            value: Some(DurationValue::Finite(duration)),
        }
    }

    /// "No schedule" (.NET `TimeSpan.MaxValue`).
    pub fn never() -> Self {
        GraphDuration {
            raw: Self::NEVER_WIRE.to_owned(),
            value: Some(DurationValue::Never),
        }
    }

    /// The string as Graph sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// What the string means, or `None` when it is not a duration.
    pub fn value(&self) -> Option<DurationValue> {
        self.value
    }

    /// The length of time, or `None` for "never" and for malformed strings.
    pub fn as_duration(&self) -> Option<Duration> {
        match self.value {
            Some(DurationValue::Finite(d)) => Some(d),
            _ => None,
        }
    }

    /// True for .NET `TimeSpan.MaxValue` (or longer): no schedule.
    pub fn is_never(&self) -> bool {
        self.value == Some(DurationValue::Never)
    }

    /// True when the string could be read as a duration.
    pub fn is_valid(&self) -> bool {
        self.value.is_some()
    }

    /// In words: "every 40 minutes", "every 1 day 2 hours", "no schedule".
    pub fn describe(&self) -> String {
        match self.value {
            Some(DurationValue::Never) => "no schedule".to_owned(),
            Some(DurationValue::Finite(d)) if d.is_zero() => {
                "continuously (no interval)".to_owned()
            }
            Some(DurationValue::Finite(d)) => format!("every {}", describe_duration(d)),
            None => format!("unrecognised interval {:?}", self.raw),
        }
    }
}

/// A duration in words: "40 minutes", "1 day 2 hours", "1.5 seconds".
pub fn describe_duration(d: Duration) -> String {
    fn unit(n: u64, word: &str) -> String {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    }
    let total = d.as_secs();
    let mut parts = Vec::new();
    let days = total / 86_400;
    let hours = (total % 86_400) / 3600;
    let minutes = (total % 3600) / 60;
    let seconds = total % 60;
    if days > 0 {
        parts.push(unit(days, "day"));
    }
    if hours > 0 {
        parts.push(unit(hours, "hour"));
    }
    if minutes > 0 {
        parts.push(unit(minutes, "minute"));
    }
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        parts.push(format!("{seconds}.{} seconds", frac.trim_end_matches('0')));
    } else if seconds > 0 {
        parts.push(unit(seconds, "second"));
    }
    if parts.is_empty() {
        "0 seconds".to_owned()
    } else {
        parts.join(" ")
    }
}

impl fmt::Display for GraphDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::str::FromStr for GraphDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GraphDuration::parse(s)
    }
}

impl Serialize for GraphDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for GraphDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(GraphDuration::parse_lenient(&raw))
    }
}

// ---------------------------------------------------------------------------------------------
// Key/value pairs and details
// ---------------------------------------------------------------------------------------------

/// CSDL `keyValuePair` (`{name, value}`), the items of `synchronizationJobSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    /// The setting name (`QuarantineTooManyDeletesThreshold`).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// The value, always a string on the wire (`"500"`).
    #[serde(default)]
    pub value: Option<String>,
}

/// CSDL `stringKeyStringValuePair` (`{key, value}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StringKeyStringValuePair {
    /// The key.
    #[serde(default)]
    pub key: Option<String>,
    /// The value.
    #[serde(default)]
    pub value: Option<String>,
}

/// CSDL `stringKeyLongValuePair` (`{key, value: Int64}`), e.g. synchronised entries per type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StringKeyLongValuePair {
    /// The key (an object type such as `user`).
    #[serde(default)]
    pub key: Option<String>,
    /// The count (numeric strings tolerated).
    #[serde(default, with = "lenient_i64")]
    pub value: i64,
}

/// CSDL `detailsInfo`: an open type with no declared properties, in practice a map of strings
/// (`{"SkipReason":"RedundantExport"}`). Keeps Graph's key order and leaves out OData annotations
/// (`@odata.type`), which are metadata. Non-string values are kept as
/// their JSON text and `null` as `""`, so one odd value never fails a log page. Equality is a
/// map's: the same entries in any order.
#[derive(Debug, Clone, Default)]
pub struct DetailsInfo(Vec<(String, String)>);

impl PartialEq for DetailsInfo {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .all(|(k, v)| other.0.iter().any(|(k2, v2)| k == k2 && v == v2))
    }
}

impl Eq for DetailsInfo {}

impl DetailsInfo {
    /// An empty map.
    pub fn new() -> Self {
        DetailsInfo(Vec::new())
    }

    /// The value of `key`: an exact match first, then a case-insensitive one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` (replacing an exact match, else appending).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// The entries in Graph's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for DetailsInfo {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = DetailsInfo::new();
        for (k, v) in iter {
            out.insert(k, v);
        }
        out
    }
}

impl Serialize for DetailsInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for DetailsInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DetailsVisitor;
        impl<'de> Visitor<'de> for DetailsVisitor {
            type Value = DetailsInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of details")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<DetailsInfo, A::Error> {
                let mut out = DetailsInfo::new();
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    // `@odata.type` and other OData annotations describe the map; they are
                    // not details of the object.
                    if k.starts_with("@odata.") {
                        continue;
                    }
                    let text = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.insert(k, text);
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> Result<DetailsInfo, E> {
                Ok(DetailsInfo::new())
            }
            fn visit_none<E: de::Error>(self) -> Result<DetailsInfo, E> {
                Ok(DetailsInfo::new())
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<DetailsInfo, D2::Error> {
                d.deserialize_any(DetailsVisitor)
            }
        }
        deserializer.deserialize_any(DetailsVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// OData envelopes
// ---------------------------------------------------------------------------------------------

/// A Graph collection page: `{"@odata.context", "value": [...], "@odata.nextLink"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct ODataCollection<T> {
    /// `@odata.context`, when Graph sent one.
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
    /// The items of this page (`null` or missing reads as empty).
    #[serde(default, deserialize_with = "null_default")]
    pub value: Vec<T>,
    /// `@odata.nextLink`: the URL of the next page, to be followed verbatim.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

impl<T> Default for ODataCollection<T> {
    fn default() -> Self {
        ODataCollection {
            context: None,
            value: Vec::new(),
            next_link: None,
        }
    }
}

impl<T> ODataCollection<T> {
    /// A single page holding `value`.
    pub fn new(value: Vec<T>) -> Self {
        ODataCollection {
            context: None,
            value,
            next_link: None,
        }
    }

    /// True when another page follows.
    pub fn has_next(&self) -> bool {
        self.next_link.as_deref().is_some_and(|l| !l.is_empty())
    }
}

/// The Graph error body: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GraphErrorEnvelope {
    /// The error.
    #[serde(default)]
    pub error: GraphErrorBody,
}

/// CSDL `publicError`: `code`, `message`, optional `target`, `details` and a nested `innerError`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphErrorBody {
    /// The Graph error code (`invalidRange`, `Authorization_RequestDenied`): branch on this.
    #[serde(default, deserialize_with = "null_default")]
    pub code: String,
    /// Human text; never branch on it.
    #[serde(default, deserialize_with = "null_default")]
    pub message: String,
    /// The target of the error, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Further errors.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<GraphErrorDetail>,
    /// `innerError` (also read as `innererror`).
    #[serde(
        default,
        rename = "innerError",
        alias = "innererror",
        alias = "InnerError",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<GraphInnerError>,
}

impl GraphErrorBody {
    /// The most specific code: the innermost `innerError.code`, else the top-level code.
    pub fn most_specific_code(&self) -> &str {
        let mut code = self.code.as_str();
        let mut inner = self.inner_error.as_ref();
        while let Some(e) = inner {
            if let Some(c) = e.code.as_deref().filter(|c| !c.is_empty()) {
                code = c;
            }
            inner = e.inner_error.as_deref();
        }
        code
    }

    /// The `request-id` from the first innerError that carries one.
    pub fn request_id(&self) -> Option<&str> {
        let mut inner = self.inner_error.as_ref();
        while let Some(e) = inner {
            if let Some(id) = e.request_id.as_deref() {
                return Some(id);
            }
            inner = e.inner_error.as_deref();
        }
        None
    }
}

/// CSDL `publicErrorDetail`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphErrorDetail {
    /// Code.
    #[serde(default)]
    pub code: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// An `innerError`: the support identifiers, and possibly a more specific code and a nested error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GraphInnerError {
    /// A more specific code, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A more specific message, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `date` (as sent; the docs' example holds a placeholder, not a timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `request-id`: quote it to Microsoft support.
    #[serde(
        default,
        rename = "request-id",
        skip_serializing_if = "Option::is_none"
    )]
    pub request_id: Option<String>,
    /// `client-request-id`: the id the client sent, echoed.
    #[serde(
        default,
        rename = "client-request-id",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_request_id: Option<String>,
    /// A nested `innerError`.
    #[serde(
        default,
        rename = "innerError",
        alias = "innererror",
        alias = "InnerError",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<Box<GraphInnerError>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_the_shapes_graph_sends() {
        let d = |s: &str| GraphDuration::parse(s).map(|g| g.as_duration());
        assert_eq!(d("PT40M"), Ok(Some(Duration::from_secs(2400))));
        assert_eq!(d("P1DT2H"), Ok(Some(Duration::from_secs(93_600))));
        assert_eq!(d("PT1.5S"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(d("PT0,25S"), Ok(Some(Duration::from_millis(250))));
        assert_eq!(d("P2D"), Ok(Some(Duration::from_secs(172_800))));
        assert_eq!(d("P1W"), Ok(Some(Duration::from_secs(604_800))));
        assert_eq!(d("pt20m"), Ok(Some(Duration::from_secs(1200))));
        assert_eq!(d("PT0S"), Ok(Some(Duration::ZERO)));
    }

    #[test]
    fn timespan_max_value_means_no_schedule() {
        let g =
            GraphDuration::parse("P10675199DT2H48M5.4775807S").unwrap_or_else(|e| panic!("{e}"));
        assert!(g.is_never());
        assert_eq!(g.as_duration(), None);
        assert_eq!(g.describe(), "no schedule");
        assert_eq!(g.as_str(), GraphDuration::NEVER_WIRE);
        assert_eq!(GraphDuration::never(), g);
    }

    #[test]
    fn durations_describe_themselves() {
        let g = |s: &str| GraphDuration::parse_lenient(s).describe();
        assert_eq!(g("PT40M"), "every 40 minutes");
        assert_eq!(g("P1DT2H"), "every 1 day 2 hours");
        assert_eq!(g("PT1M"), "every 1 minute");
        assert_eq!(g("PT1.5S"), "every 1.5 seconds");
        assert_eq!(g("bogus"), "unrecognised interval \"bogus\"");
    }

    #[test]
    fn malformed_durations_are_errors_naming_the_value() {
        for bad in [
            "", "P", "PT", "40M", "P4", "PT4X", "P1H", "-PT4M", "P..1D", "PT1.2.3S",
        ] {
            let e = GraphDuration::parse(bad);
            assert!(e.is_err(), "{bad:?} should not parse");
        }
        let e = GraphDuration::parse("40M").err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("\"40M\"")));
        let huge = format!("P{}D", "9".repeat(60));
        assert!(GraphDuration::parse(&huge).is_err());
    }

    #[test]
    fn durations_serialise_back_verbatim_and_format_like_graph() -> Result<(), serde_json::Error> {
        let g: GraphDuration = serde_json::from_str("\"PT40M\"")?;
        assert_eq!(serde_json::to_string(&g)?, "\"PT40M\"");
        let odd: GraphDuration = serde_json::from_str("\"whenever\"")?;
        assert!(!odd.is_valid());
        assert_eq!(serde_json::to_string(&odd)?, "\"whenever\"");
        assert_eq!(
            GraphDuration::from_duration(Duration::from_secs(2400)).as_str(),
            "PT40M"
        );
        assert_eq!(
            GraphDuration::from_duration(Duration::from_secs(93_600)).as_str(),
            "P1DT2H"
        );
        assert_eq!(
            GraphDuration::from_duration(Duration::ZERO).as_str(),
            "PT0S"
        );
        assert_eq!(
            GraphDuration::from_duration(Duration::from_millis(1500)).as_str(),
            "PT1.5S"
        );
        assert_eq!(
            GraphDuration::from_duration(Duration::from_secs(86_400)).as_str(),
            "P1D"
        );
        Ok(())
    }

    #[test]
    fn never_timestamps_read_as_none() {
        assert_eq!(parse_graph_time(""), Ok(None));
        assert_eq!(parse_graph_time("0001-01-01T00:00:00Z"), Ok(None));
        assert_eq!(parse_graph_time("0001-01-01T00:00:00"), Ok(None));
        let t = parse_graph_time("2022-04-21T18:40:07.8465145Z");
        assert!(matches!(t, Ok(Some(_))));
        let naive = parse_graph_time("2019-06-24T20:53:08");
        assert_eq!(
            naive
                .ok()
                .flatten()
                .map(|t| format_graph_time(&t))
                .as_deref(),
            Some("2019-06-24T20:53:08Z")
        );
        assert!(parse_graph_time("yesterday").is_err());
    }

    #[test]
    fn lenient_counts_accept_strings_and_null() -> Result<(), serde_json::Error> {
        let p: StringKeyLongValuePair = serde_json::from_str(r#"{"key":"user","value":"12"}"#)?;
        assert_eq!(p.value, 12);
        let p: StringKeyLongValuePair = serde_json::from_str(r#"{"key":"user","value":null}"#)?;
        assert_eq!(p.value, 0);
        assert!(serde_json::from_str::<StringKeyLongValuePair>(r#"{"value":"x"}"#).is_err());
        Ok(())
    }

    #[test]
    fn details_keep_order_and_tolerate_odd_values() -> Result<(), serde_json::Error> {
        let d: DetailsInfo = serde_json::from_str(r#"{"b":"1","a":2,"c":null,"d":{"x":true}}"#)?;
        let keys: Vec<_> = d.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "a", "c", "d"]);
        assert_eq!(d.get("A"), Some("2"));
        assert_eq!(d.get("c"), Some(""));
        assert_eq!(d.get("d"), Some(r#"{"x":true}"#));
        let d: DetailsInfo = serde_json::from_str("null")?;
        assert!(d.is_empty());
        let ab: DetailsInfo = [("a", "1"), ("b", "2")].into_iter().collect();
        let ba: DetailsInfo = [("b", "2"), ("a", "1")].into_iter().collect();
        assert_eq!(ab, ba);
        assert_ne!(ab, [("a", "1")].into_iter().collect::<DetailsInfo>());
        Ok(())
    }

    #[test]
    fn error_envelope_walks_inner_errors() -> Result<(), serde_json::Error> {
        let e: GraphErrorEnvelope = serde_json::from_str(
            r#"{"error":{"code":"badRequest","message":"m","innererror":{"code":"x","request-id":"r1","innerError":{"code":"deeper"}}}}"#,
        )?;
        assert_eq!(e.error.most_specific_code(), "deeper");
        assert_eq!(e.error.request_id(), Some("r1"));
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_durations_never_panics(s in ".{0,40}") {
            let _ = GraphDuration::parse(&s);
            let _ = GraphDuration::parse_lenient(&s).describe();
        }

        #[test]
        fn parsing_duration_like_strings_never_panics(s in "[pPtT0-9.,YMWDHS-]{0,30}") {
            let _ = GraphDuration::parse_lenient(&s).describe();
        }

        #[test]
        fn formatted_durations_parse_back(secs in 0u64..10_000_000_000, nanos in 0u32..1_000_000_000) {
            let d = Duration::new(secs, nanos);
            let g = GraphDuration::from_duration(d);
            let back = GraphDuration::parse(g.as_str());
            proptest::prop_assert!(back.is_ok());
            if let Ok(back) = back
                && secs < 10_675_199 * 86_400
            {
                proptest::prop_assert_eq!(back.as_duration(), Some(d));
            }
        }

        #[test]
        fn parsing_arbitrary_timestamps_never_panics(s in ".{0,40}") {
            let _ = parse_graph_time(&s);
        }
    }
}
