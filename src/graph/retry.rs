//! When to retry a Graph request and how long to wait. Graph tells us with `Retry-After` (seconds,
//! fractional seconds, or an HTTP date); otherwise we back off exponentially with full jitter, capped,
//! within a total time budget per call.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// Retry settings for one client.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 = never retry).
    pub max_attempts: u32,
    /// First backoff step when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Cap on one backoff step.
    pub max_delay: Duration,
    /// Total time one call may spend waiting between attempts; past it, the last error is returned.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            budget: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before attempt `attempt + 1` (attempt counts from 1) when the server said nothing:
    /// full jitter over `min(max_delay, base * 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        if cap.is_zero() {
            return cap;
        }
        let millis = cap.as_millis().min(u64::MAX as u128) as u64;
        // At least half the step, so a storm still spreads out but never hammers.
        let low = millis / 2;
        Duration::from_millis(rand::rng().random_range(low..=millis))
    }
}

/// What kind of request, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// GET and other reads: safe to repeat.
    Safe,
    /// Actions (POST start/restart/...): repeat only when the server said it did not process them.
    Action,
}

/// Whether an HTTP status may be retried for this kind of request.
///
/// Reads retry on 429, 500, 502, 503 and 504. Actions retry only on 429, and on 503 that carries a
/// `Retry-After` (the service said it did not take the request).
pub fn status_is_retryable(status: u16, kind: Idempotency, has_retry_after: bool) -> bool {
    match kind {
        Idempotency::Safe => matches!(status, 429 | 500 | 502 | 503 | 504),
        Idempotency::Action => status == 429 || (status == 503 && has_retry_after),
    }
}

/// Parses a `Retry-After` value: whole seconds (`"7"`), fractional seconds (`"1.5"`), or an HTTP date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `now`; a date in the past means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        // A day is far beyond any real Retry-After; refuse rather than sleep forever.
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_all_three_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:09 GMT", now),
            Some(Duration::from_secs(9))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("1.2.3", now), None);
    }

    #[test]
    fn actions_retry_only_when_the_server_did_not_process_them() {
        assert!(status_is_retryable(429, Idempotency::Action, false));
        assert!(status_is_retryable(503, Idempotency::Action, true));
        assert!(!status_is_retryable(503, Idempotency::Action, false));
        assert!(!status_is_retryable(504, Idempotency::Action, true));
        assert!(!status_is_retryable(500, Idempotency::Action, true));
        assert!(status_is_retryable(504, Idempotency::Safe, false));
        assert!(!status_is_retryable(404, Idempotency::Safe, false));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..Default::default()
        };
        for attempt in 1..20 {
            let d = p.backoff(attempt);
            assert!(d <= Duration::from_secs(1), "{d:?}");
        }
        let d3 = p.backoff(3);
        assert!(
            d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
            "{d3:?}"
        );
    }
}
