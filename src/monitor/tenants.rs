//! Running the same work for several tenants at once. Each tenant brings its own
//! [`crate::graph::GraphClient`] (its own credentials, token cache and pacing budget), so one
//! tenant's throttling or failure never slows or hides another's; the results come back in the
//! order the tenants were given.

use futures::StreamExt;
use futures::stream;

/// How many tenants are worked on at once by default. Each tenant's requests are paced against
/// its own budget, so this only bounds local sockets (at most 4 `$batch` connections per tenant,
/// 256 in all) and memory (about 1 MiB per tenant in flight); an MSP's 50 tenants take one round
/// of Graph's latency instead of fifty (benches/README.md, "Several tenants").
pub const DEFAULT_TENANT_CONCURRENCY: usize = 64;

/// Runs `work` for every item (one per tenant), at most `concurrency` at a time, and returns the
/// outputs in the items' order. A slow tenant holds only its own slot: the next tenant starts as
/// soon as any one finishes, not when the slow one does.
pub async fn across_tenants<I, T, F, Fut>(items: Vec<I>, concurrency: usize, work: F) -> Vec<T>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = T>,
{
    let mut work = work;
    let mut done: Vec<(usize, T)> = stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| {
            let fut = work(item);
            async move { (i, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, out)| out).collect()
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

    #[tokio::test(start_paused = true)]
    async fn a_slow_tenant_holds_only_its_own_slot() {
        let finished = Arc::new(std::sync::Mutex::new(Vec::new()));
        let start = tokio::time::Instant::now();
        let out = across_tenants((0..6).collect(), 2, |i: u64| {
            let finished = finished.clone();
            async move {
                // Tenant 0 takes 1 s; the five others 100 ms each, sharing the second slot.
                let ms = if i == 0 { 1000 } else { 100 };
                tokio::time::sleep(Duration::from_millis(ms)).await;
                finished.lock().unwrap().push(i);
                i
            }
        })
        .await;
        assert_eq!(out, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(*finished.lock().unwrap(), vec![1, 2, 3, 4, 5, 0]);
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}
