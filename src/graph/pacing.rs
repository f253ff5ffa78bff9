//! Client-side pacing per endpoint family, so a long crawl never meets a 429. Graph's documented
//! budgets (provisioning logs and provisionOnDemand: 5 requests per 10 seconds per app per tenant) are
//! sliding windows, so the pacer is one too: the n-th request waits until the (n-budget)-th is a full
//! window old. A token bucket would allow a burst of 5 followed by one every 2 s, i.e. 9 in 10 s.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Groups of endpoints that share one throttling budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointFamily {
    /// `/auditLogs/provisioning` (identity and access reports): 5 requests / 10 s.
    ProvisioningLogs,
    /// `.../jobs/{id}/provisionOnDemand`: 5 requests / 10 s.
    ProvisionOnDemand,
    /// Everything else: no documented service-specific limit.
    General,
}

impl EndpointFamily {
    /// The family of a request path (below the version segment, encoded).
    pub fn of_path(path: &str) -> EndpointFamily {
        let p = path.trim_start_matches('/');
        let lower = p.to_ascii_lowercase();
        if lower.starts_with("auditlogs/provisioning")
            || lower.starts_with("auditlogs/directoryprovisioning")
        {
            EndpointFamily::ProvisioningLogs
        } else if lower.ends_with("/provisionondemand") {
            EndpointFamily::ProvisionOnDemand
        } else {
            EndpointFamily::General
        }
    }

    /// The documented budget: at most `.0` requests in any window of `.1`.
    pub fn documented_budget(self) -> Option<(usize, Duration)> {
        match self {
            EndpointFamily::ProvisioningLogs | EndpointFamily::ProvisionOnDemand => {
                Some((5, Duration::from_secs(10)))
            }
            EndpointFamily::General => None,
        }
    }
}

/// A sliding-window limiter: at most `limit` starts in any `window`.
#[derive(Debug)]
pub struct SlidingWindow {
    limit: usize,
    window: Duration,
    /// Margin added to the window, for the time between our clock and the server's.
    margin: Duration,
    starts: Mutex<VecDeque<Instant>>,
}

impl SlidingWindow {
    /// A limiter allowing `limit` requests per `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        SlidingWindow {
            limit: limit.max(1),
            window,
            margin: Duration::from_millis(60),
            starts: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until one more request fits in the window, then records it as started. Returns how long
    /// it waited.
    pub async fn acquire(&self) -> Duration {
        let began = Instant::now();
        let mut starts = self.starts.lock().await;
        loop {
            let now = Instant::now();
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window + self.margin)
            {
                starts.pop_front();
            }
            if starts.len() < self.limit {
                starts.push_back(now);
                return now.duration_since(began);
            }
            // Holding the lock while sleeping keeps waiters in FIFO order.
            if let Some(oldest) = starts.front().copied() {
                tokio::time::sleep_until(oldest + self.window + self.margin).await;
            }
        }
    }

    /// Pushes the whole window back: after a 429 with `Retry-After`, nobody starts before `until`.
    pub async fn hold_until(&self, until: Instant) {
        let mut starts = self.starts.lock().await;
        // Fill the window with starts dated so that the next slot opens at `until`.
        let base = until
            .checked_sub(self.window + self.margin)
            .unwrap_or(until);
        starts.clear();
        for _ in 0..self.limit {
            starts.push_back(base);
        }
    }
}

/// The pacers of one client (one tenant).
#[derive(Debug)]
pub struct Pacer {
    logs: Option<SlidingWindow>,
    on_demand: Option<SlidingWindow>,
}

impl Pacer {
    /// Pacing at Graph's documented budgets.
    pub fn documented() -> Self {
        let mk = |f: EndpointFamily| f.documented_budget().map(|(n, w)| SlidingWindow::new(n, w));
        Pacer {
            logs: mk(EndpointFamily::ProvisioningLogs),
            on_demand: mk(EndpointFamily::ProvisionOnDemand),
        }
    }

    /// Pacing with explicit budgets (`None` = unpaced), e.g. a test server with a scaled-down window.
    pub fn custom(logs: Option<(usize, Duration)>, on_demand: Option<(usize, Duration)>) -> Self {
        let mk = |b: Option<(usize, Duration)>| b.map(|(n, w)| SlidingWindow::new(n, w));
        Pacer {
            logs: mk(logs),
            on_demand: mk(on_demand),
        }
    }

    /// No pacing at all (benchmarks against an unthrottled emulator).
    pub fn off() -> Self {
        Pacer {
            logs: None,
            on_demand: None,
        }
    }

    /// The limiter for a family, if it is paced.
    pub fn for_family(&self, family: EndpointFamily) -> Option<&SlidingWindow> {
        match family {
            EndpointFamily::ProvisioningLogs => self.logs.as_ref(),
            EndpointFamily::ProvisionOnDemand => self.on_demand.as_ref(),
            EndpointFamily::General => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_recognised_from_paths() {
        assert_eq!(
            EndpointFamily::of_path("auditLogs/provisioning"),
            EndpointFamily::ProvisioningLogs
        );
        assert_eq!(
            EndpointFamily::of_path(
                "servicePrincipals/x/synchronization/jobs/AD2AAD.1/provisionOnDemand"
            ),
            EndpointFamily::ProvisionOnDemand
        );
        assert_eq!(
            EndpointFamily::of_path("servicePrincipals"),
            EndpointFamily::General
        );
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window() {
        let w = SlidingWindow::new(5, Duration::from_secs(10));
        let t0 = Instant::now();
        let mut times = Vec::new();
        for _ in 0..30 {
            w.acquire().await;
            times.push(Instant::now().duration_since(t0));
        }
        for i in 5..times.len() {
            assert!(
                times[i] - times[i - 5] >= Duration::from_secs(10),
                "request {i} too early: {times:?}"
            );
        }
        // 30 requests at 5 per 10 s: the last starts after 5 full windows, not much later.
        let last = *times.last().unwrap();
        assert!(
            last >= Duration::from_secs(50) && last < Duration::from_secs(51),
            "{last:?}"
        );
    }
}
