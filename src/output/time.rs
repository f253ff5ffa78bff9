//! Times, the one format of each: for people `2026-11-23 14:05 UTC (2d ago)` (to the minute, in UTC,
//! relative to a "now" that tests can pin with `PROVCTL_NOW` so snapshots stay stable); for scripts
//! (CSV, TSV, JSON fields provctl computes) RFC 3339 in UTC, `2026-11-23T14:05:16Z`.

use chrono::{DateTime, Duration, Utc};

/// The current time, or `PROVCTL_NOW` (RFC 3339) when set (tests, reproducible reports).
pub fn now() -> DateTime<Utc> {
    std::env::var("PROVCTL_NOW")
        .ok()
        .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// For people: `2026-11-23 14:05 UTC`.
pub fn short(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// For scripts: RFC 3339 in UTC, `2026-11-23T14:05:16Z` (fractional seconds only when set).
pub fn machine(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `3d ago`, `in 5h`, `just now`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = now.signed_duration_since(t);
    let (past, d) = if d >= Duration::zero() {
        (true, d)
    } else {
        (false, -d)
    };
    let text = if d < Duration::minutes(1) {
        return "just now".into();
    } else if d < Duration::hours(1) {
        format!("{}m", d.num_minutes())
    } else if d < Duration::days(2) {
        format!("{}h", d.num_hours())
    } else {
        format!("{}d", d.num_days())
    };
    if past {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

/// `2026-11-23 14:05 UTC (2d ago)`, or `never`.
pub fn with_relative(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!("{} ({})", short(t), relative(t, now)),
        None => "never".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every time provctl prints goes through [`short`] or [`machine`]: no other `format("%…")` or
    /// `to_rfc3339` in the code that renders (the emulator and Graph's wire formats aside, and
    /// tests, which spell out the values they expect).
    #[test]
    fn no_time_is_formatted_outside_this_module() {
        fn walk(dir: &std::path::Path, bad: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let path = e.path();
                let rel = path.to_string_lossy().replace('\\', "/");
                if rel.ends_with("/src/sim") || rel.ends_with("/src/graph") {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, bad);
                    continue;
                }
                if !rel.ends_with(".rs")
                    || rel.ends_with("/output/time.rs")
                    || rel.ends_with("tests.rs")
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for (n, line) in code.lines().enumerate() {
                    let line = line.trim_start();
                    if line.starts_with("//") {
                        continue;
                    }
                    if line.contains("to_rfc3339") || line.contains(".format(\"%") {
                        bad.push(format!("{rel}:{}: {line}", n + 1));
                    }
                }
            }
        }
        let mut bad = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut bad,
        );
        assert!(
            bad.is_empty(),
            "times formatted by hand:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn relative_times_read_naturally() {
        let now: DateTime<Utc> = "2026-11-25T12:00:00Z".parse().unwrap();
        assert_eq!(
            relative("2026-11-25T11:59:30Z".parse().unwrap(), now),
            "just now"
        );
        assert_eq!(
            relative("2026-11-25T11:15:00Z".parse().unwrap(), now),
            "45m ago"
        );
        assert_eq!(
            relative("2026-11-24T12:00:00Z".parse().unwrap(), now),
            "24h ago"
        );
        assert_eq!(
            relative("2026-11-20T12:00:00Z".parse().unwrap(), now),
            "5d ago"
        );
        assert_eq!(
            relative("2026-11-25T18:00:00Z".parse().unwrap(), now),
            "in 6h"
        );
        assert_eq!(with_relative(None, now), "never");
        assert_eq!(
            with_relative(Some("2026-11-25T07:04:16Z".parse().unwrap()), now),
            "2026-11-25 07:04 UTC (4h ago)"
        );
        assert_eq!(
            machine("2026-11-25T07:04:16+02:00".parse().unwrap()),
            "2026-11-25T05:04:16Z"
        );
    }
}
