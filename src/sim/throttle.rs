//! Throttling like Graph's service-specific limits: per tenant and endpoint family, at most N
//! requests in any sliding window W. Over budget → 429 `TooManyRequests` with `Retry-After`
//! (whole seconds, rounded up). Refused requests do not consume budget, so a client that waits
//! `Retry-After` gets through, and a client pacing itself to exactly N per W never sees a 429.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One sliding-window budget: at most `requests` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub window: Duration,
}

impl Budget {
    /// `requests` per `window`.
    pub fn new(requests: u32, window: Duration) -> Self {
        Self { requests, window }
    }
}

/// Budgets per endpoint family; `None` = unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// `GET /auditLogs/provisioning` (Graph: 5 per 10 s per app per tenant).
    pub logs: Option<Budget>,
    /// `POST .../provisionOnDemand` (Graph: 5 per 10 s).
    pub provision_on_demand: Option<Budget>,
    /// Every other Graph route (off by default).
    pub general: Option<Budget>,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            logs: Some(Budget::new(5, Duration::from_secs(10))),
            provision_on_demand: Some(Budget::new(5, Duration::from_secs(10))),
            general: None,
        }
    }
}

impl ThrottleConfig {
    /// No throttling at all.
    pub fn off() -> Self {
        Self {
            logs: None,
            provision_on_demand: None,
            general: None,
        }
    }
}

/// The endpoint family a Graph request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Logs,
    ProvisionOnDemand,
    General,
}

/// Slack granted to paced clients: request arrival jitters by a few milliseconds.
const TOLERANCE: Duration = Duration::from_millis(150);

/// Sliding-window state.
pub(crate) struct Throttle {
    config: ThrottleConfig,
    seen: Mutex<HashMap<Family, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Count a request; `Err(retry_after_seconds)` when over budget.
    pub fn check(&self, family: Family) -> Result<(), u64> {
        let budget = match family {
            Family::Logs => self.config.logs,
            Family::ProvisionOnDemand => self.config.provision_on_demand,
            Family::General => self.config.general,
        };
        let Some(budget) = budget else {
            return Ok(());
        };
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let q = seen.entry(family).or_default();
        let horizon = budget
            .window
            .saturating_sub(TOLERANCE.min(budget.window / 10));
        while let Some(&t) = q.front() {
            if now.duration_since(t) >= horizon {
                q.pop_front();
            } else {
                break;
            }
        }
        if q.len() < budget.requests as usize {
            q.push_back(now);
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        let wait = horizon.saturating_sub(now.duration_since(oldest));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixth_request_in_window_is_refused_with_retry_after() {
        let t = Throttle::new(ThrottleConfig::default());
        for _ in 0..5 {
            assert!(t.check(Family::Logs).is_ok());
        }
        let retry = t.check(Family::Logs).unwrap_err();
        assert!((9..=10).contains(&retry), "{retry}");
        assert!(t.check(Family::ProvisionOnDemand).is_ok());
        assert!(t.check(Family::General).is_ok());
    }
}
