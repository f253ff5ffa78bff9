//! A `$filter` builder for the documented provisioning-log filters (`eq`, `contains`, `gt`, `lt`,
//! `and`, `or`). User input only ever enters as a quoted string literal (single quotes doubled), a
//! validated GUID, or a validated datetime, so no value can change the filter's structure.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

/// A value that cannot go into a filter, with what is accepted instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// A filterable property of `provisioningObjectSummary`, with the operators Graph documents for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum LogField {
    Id,
    ActivityDateTime,
    JobId,
    CycleId,
    ChangeId,
    TenantId,
    ServicePrincipalId,
    ServicePrincipalDisplayName,
    SourceIdentityId,
    SourceIdentityDisplayName,
    SourceIdentityType,
    TargetIdentityId,
    TargetIdentityDisplayName,
    TargetIdentityType,
    SourceSystemDisplayName,
    TargetSystemDisplayName,
    ProvisioningAction,
    Status,
    InitiatedByDisplayName,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`
    Eq,
    /// `contains(field, 'x')`
    Contains,
    /// `gt`
    Gt,
    /// `lt`
    Lt,
}

impl LogField {
    /// The property path as Graph spells it in `$filter`.
    pub fn path(self) -> &'static str {
        use LogField::*;
        match self {
            Id => "id",
            ActivityDateTime => "activityDateTime",
            JobId => "jobId",
            CycleId => "cycleId",
            ChangeId => "changeId",
            TenantId => "tenantId",
            ServicePrincipalId => "servicePrincipal/id",
            ServicePrincipalDisplayName => "servicePrincipal/displayName",
            SourceIdentityId => "sourceIdentity/id",
            SourceIdentityDisplayName => "sourceIdentity/displayName",
            SourceIdentityType => "sourceIdentity/identityType",
            TargetIdentityId => "targetIdentity/id",
            TargetIdentityDisplayName => "targetIdentity/displayName",
            TargetIdentityType => "targetIdentity/identityType",
            SourceSystemDisplayName => "sourceSystem/displayName",
            TargetSystemDisplayName => "targetSystem/displayName",
            ProvisioningAction => "provisioningAction",
            Status => "provisioningStatusInfo/status",
            InitiatedByDisplayName => "initiatedBy/displayName",
        }
    }

    /// Whether Graph documents `op` for this property.
    pub fn supports(self, op: Op) -> bool {
        use LogField::*;
        match self {
            ActivityDateTime => matches!(op, Op::Eq | Op::Gt | Op::Lt),
            ServicePrincipalId | ServicePrincipalDisplayName => op == Op::Eq,
            _ => matches!(op, Op::Eq | Op::Contains),
        }
    }
}

/// A filter expression, built only through the typed constructors below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    /// `field eq 'value'` with the value quoted safely.
    pub fn eq(field: LogField, value: &str) -> Result<Filter, FilterError> {
        check(field, Op::Eq)?;
        Ok(Filter(format!("{} eq {}", field.path(), quote(value))))
    }

    /// `contains(field, 'value')` with the value quoted safely.
    pub fn contains(field: LogField, value: &str) -> Result<Filter, FilterError> {
        check(field, Op::Contains)?;
        Ok(Filter(format!(
            "contains({}, {})",
            field.path(),
            quote(value)
        )))
    }

    /// `activityDateTime gt <time>` (unquoted, as OData v4 writes datetimes).
    pub fn after(time: DateTime<Utc>) -> Filter {
        Filter(format!("activityDateTime gt {}", datetime_literal(time)))
    }

    /// `activityDateTime lt <time>`.
    pub fn before(time: DateTime<Utc>) -> Filter {
        Filter(format!("activityDateTime lt {}", datetime_literal(time)))
    }

    /// `field eq '<guid>'` with the GUID validated and written in Graph's canonical lowercase form.
    pub fn eq_guid(field: LogField, value: &str, flag: &str) -> Result<Filter, FilterError> {
        let g = guid(value, flag)?;
        Filter::eq(field, &g)
    }

    /// `(a) and (b) and ...`; `None` when the list is empty.
    pub fn all(parts: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        join(parts, "and")
    }

    /// `(a) or (b) or ...`; `None` when the list is empty.
    pub fn any(parts: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        join(parts, "or")
    }

    /// The expression text for `$filter`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn join(parts: impl IntoIterator<Item = Filter>, op: &str) -> Option<Filter> {
    let parts: Vec<Filter> = parts.into_iter().collect();
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(Filter(
            parts
                .iter()
                .map(|p| format!("({})", p.0))
                .collect::<Vec<_>>()
                .join(&format!(" {op} ")),
        )),
    }
}

fn check(field: LogField, op: Op) -> Result<(), FilterError> {
    if field.supports(op) {
        Ok(())
    } else {
        Err(FilterError(format!(
            "Graph does not document {op:?} on {}",
            field.path()
        )))
    }
}

/// An OData string literal: `'` + value with every `'` doubled + `'`.
pub fn quote(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('\'');
    for c in value.chars() {
        if c == '\'' {
            s.push('\'');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// Validates a GUID (with or without braces, any case) and returns the canonical lowercase dashed
/// form that Graph stores (its filters are case-sensitive). `flag` names the option in the error.
pub fn guid(value: &str, flag: &str) -> Result<String, FilterError> {
    let trimmed = value.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed);
    uuid::Uuid::try_parse(inner)
        .ok()
        .filter(|_| inner.len() == 36)
        .map(|u| u.hyphenated().to_string())
        .ok_or_else(|| {
            FilterError(format!(
                "{flag} '{value}' is not a GUID: expected 32 hex digits in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (braces and upper case are fine)"
            ))
        })
}

/// A datetime as OData writes it in filters: RFC 3339 in UTC, unquoted, milliseconds when present.
pub fn datetime_literal(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The SDK-style `$filter` for service principals: `field eq 'value'`.
pub fn sp_eq(property: &str, value: &str) -> String {
    format!("{property} eq {}", quote(value))
}

/// `startswith(field, 'value')` for service principals.
pub fn sp_startswith(property: &str, value: &str) -> String {
    format!("startswith({property}, {})", quote(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_filters_are_written_as_graph_expects() {
        let f = Filter::all([
            Filter::eq(LogField::JobId, "AD2AADProvisioning.xxx.yyy").unwrap(),
            Filter::eq(LogField::Status, "failure").unwrap(),
            Filter::after("2024-05-01T00:00:00Z".parse().unwrap()),
        ])
        .unwrap();
        assert_eq!(
            f.as_str(),
            "(jobId eq 'AD2AADProvisioning.xxx.yyy') and (provisioningStatusInfo/status eq 'failure') and (activityDateTime gt 2024-05-01T00:00:00Z)"
        );
        assert_eq!(
            Filter::contains(LogField::SourceIdentityDisplayName, "O'Brien")
                .unwrap()
                .as_str(),
            "contains(sourceIdentity/displayName, 'O''Brien')"
        );
        assert!(Filter::contains(LogField::ServicePrincipalId, "x").is_err());
    }

    #[test]
    fn guids_are_validated_and_canonicalised() {
        assert_eq!(
            guid("{0D4F6A8E-2B1C-4E3A-9F5D-7C8B6A4E2D10}", "--object-guid").unwrap(),
            "0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10"
        );
        let err = guid("0d4f6a8e2b1c4e3a9f5d7c8b6a4e2d10", "--object-guid")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--object-guid '0d4f6a8e2b1c4e3a9f5d7c8b6a4e2d10' is not a GUID"),
            "{err}"
        );
        assert!(guid("x' or '1' eq '1", "--object-id").is_err());
    }

    /// Scans an OData string literal starting at `s[0] == '\''`; returns (unescaped value, rest).
    fn read_literal(s: &str) -> Option<(String, &str)> {
        let mut chars = s.char_indices();
        if chars.next()?.1 != '\'' {
            return None;
        }
        let mut out = String::new();
        let mut it = chars.peekable();
        while let Some((i, c)) = it.next() {
            if c == '\'' {
                if let Some(&(_, '\'')) = it.peek() {
                    it.next();
                    out.push('\'');
                } else {
                    return Some((out, &s[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        None
    }

    proptest! {
        #[test]
        fn no_value_can_change_the_structure_of_an_eq_filter(v in ".*") {
            let f = Filter::eq(LogField::SourceIdentityDisplayName, &v).unwrap();
            let rest = f.as_str().strip_prefix("sourceIdentity/displayName eq ").unwrap();
            let (value, tail) = read_literal(rest).unwrap();
            prop_assert_eq!(value, v);
            prop_assert_eq!(tail, "");
        }

        #[test]
        fn injection_attempts_stay_inside_the_literal(prefix in "[a-z]{0,5}", inj in prop::sample::select(vec!["'", ") or (", "' or '1' eq '1", "'')", "\\'"])) {
            let v = format!("{prefix}{inj}");
            let combined = Filter::all([Filter::contains(LogField::JobId, &v).unwrap(), Filter::eq(LogField::Status, "failure").unwrap()]).unwrap();
            let rest = combined.as_str().strip_prefix("(contains(jobId, ").unwrap();
            let (value, tail) = read_literal(rest).unwrap();
            prop_assert_eq!(value, v);
            prop_assert_eq!(tail, ")) and (provisioningStatusInfo/status eq 'failure')");
        }
    }
}
