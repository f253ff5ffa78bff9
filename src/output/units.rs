//! Quantities for people: counts with thousands separators (`1,234,567`) and durations in their
//! largest useful unit (`42s`, `2m 05s`, `3h 07m`). Machine formats carry the raw numbers.

/// `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `42s`, `2m 05s`, `3h 07m`; `-` when unknown.
pub fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "-".into(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        Some(s) => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_read_in_the_largest_useful_unit() {
        assert_eq!(duration(Some(42)), "42s");
        assert_eq!(duration(Some(125)), "2m 05s");
        assert_eq!(duration(Some(3 * 3600 + 7 * 60)), "3h 07m");
        assert_eq!(duration(None), "-");
    }
}
