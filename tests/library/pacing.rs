//! Client-side pacing against a server that enforces exactly the budget: a 30-page provisioning-log
//! crawl through the emulator receives no 429. The emulator's window is scaled down (5 per 1 s
//! instead of 5 per 10 s) so the test takes seconds; the pacing code path is the same, and the
//! 10-second arithmetic is covered by the paused-clock unit test in `src/graph/pacing.rs`.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use provctl::graph::auth::StaticToken;
use provctl::graph::{ApiVersion, GraphClient, GraphPath, GraphRequest, RetryPolicy};
use provctl::sim::{Budget, GenerateSpec, SimConfig, TenantSource, ThrottleConfig, TokenSpec};

use crate::support::emulator::{Emulator, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thirty_page_log_crawl_paced_to_the_budget_gets_no_429() {
    let window = Duration::from_secs(1);
    let spec: GenerateSpec = "sps=3,jobs=2,logs=300,seed=7"
        .parse()
        .expect("generate spec");
    let Emulator {
        sim,
        http,
        endpoints,
    } = start(SimConfig {
        tenant: TenantSource::Generate(spec),
        throttle: ThrottleConfig {
            logs: Some(Budget::new(5, window)),
            provision_on_demand: None,
            general: None,
        },
        ..SimConfig::for_tests()
    })
    .await;
    let token = sim.issue_token(TokenSpec::app(
        &sim.demo_app().client_id,
        &["ProvisioningLog.Read.All"],
    ));
    let client = GraphClient::builder()
        .endpoints(endpoints)
        .http_client(http)
        .token_provider(StaticToken::new(token))
        // No retries: a single 429 would fail the crawl.
        .retry_policy(RetryPolicy::none())
        .pacing_budgets(Some((5, window)), None)
        .build()
        .expect("client");

    let req = GraphRequest::get(
        ApiVersion::V1,
        GraphPath::new().lit("auditLogs/provisioning"),
    )
    .query("$top", "10");
    let started = Instant::now();
    let pages: Vec<_> = client
        .pages::<serde_json::Value>(req)
        .try_collect()
        .await
        .expect("crawl without a 429");
    let took = started.elapsed();

    assert_eq!(pages.len(), 30);
    let log: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("auditLogs"))
        .collect();
    assert_eq!(log.len(), 30);
    assert!(
        log.iter().all(|r| r.status == 200),
        "statuses: {:?}",
        log.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // 30 requests at 5 per window need at least 5 windows, and pacing should not waste much more.
    assert!(
        took >= 5 * window && took < 5 * window + Duration::from_millis(1500),
        "took {took:?}"
    );
}
