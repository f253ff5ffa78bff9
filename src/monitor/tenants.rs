//! Running the same work for several tenants at once. Each tenant brings its own
//! [`crate::graph::GraphClient`] (its own credentials, token cache and pacing budget), so one
//! tenant's throttling or failure never slows or hides another's; the results come back in the
//! order the tenants were given.

use futures::StreamExt;
use futures::stream;

/// How many tenants are worked on at once by default. Each tenant's requests are paced against
/// its own budget, so this only bounds local sockets (at most 4 `$batch` connections per tenant)
/// and memory; an MSP's 50 tenants take two rounds of Graph's latency instead of fifty
/// (benches/README.md, "Several tenants").
pub const DEFAULT_TENANT_CONCURRENCY: usize = 32;

/// Runs `work` for every item (one per tenant), at most `concurrency` at a time, and returns the
/// outputs in the items' order.
pub async fn across_tenants<I, T, F, Fut>(items: Vec<I>, concurrency: usize, work: F) -> Vec<T>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = T>,
{
    stream::iter(items)
        .map(work)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn tenants_run_concurrently_up_to_the_bound_and_keep_their_order() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let out = across_tenants((0..10).collect(), 3, |i: u64| {
            let running = running.clone();
            let peak = peak.clone();
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later tenants finish first: the order must still be the given one.
                tokio::time::sleep(Duration::from_millis(30 - 2 * i)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 10
            }
        })
        .await;
        assert_eq!(out, (0..10).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
