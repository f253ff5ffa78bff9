//! By-hand benchmark of job discovery (`provctl jobs list`): `$batch` discovery against a
//! one-request-per-service-principal loop, on a generated tenant with Graph-like latency, counting
//! the requests each made from the emulator's log.
//!
//! ```text
//! cargo bench --profile dev --bench jobs_list          # 5000 service principals, 800 jobs, 50 ms
//! JOBS_BENCH_SPS=1000 JOBS_BENCH_LATENCY_MS=20 cargo bench --profile dev --bench jobs_list
//! ```
//!
//! Run on 2026-11-26 (debug build, 2 shared cores, 5000 service principals / 800 jobs, 50 ms):
//! `$batch` discovery 14.7 s with 256 requests (= ceil(5000/999) + ceil(5000/20)); one request per
//! service principal 461.3 s with 5006 requests: 31x faster, 19.6x fewer requests.

use std::time::{Duration, Instant};

use provctl::graph::auth::StaticToken;
use provctl::graph::model::ODataCollection;
use provctl::graph::sync::{self, DiscoverOptions};
use provctl::graph::{ApiVersion, Cloud, Endpoints, GraphClient, HttpOptions};
use provctl::sim::{FaultSpec, GenerateSpec, Sim, SimConfig, SimHandle, TenantSource, TokenSpec};
use serde_json::Value;

mod support;
use support::env_num;

/// Requests that went over the wire (the items inside a `$batch` are logged too, without a
/// User-Agent).
fn wire_requests(sim: &SimHandle) -> usize {
    sim.requests()
        .iter()
        .filter(|r| {
            r.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        })
        .count()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sps = env_num("JOBS_BENCH_SPS", 5000) as usize;
    let jobs = env_num("JOBS_BENCH_JOBS", 800) as usize;
    let latency = Duration::from_millis(env_num("JOBS_BENCH_LATENCY_MS", 50));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let sim = Sim::start(SimConfig {
            tenant: TenantSource::Generate(GenerateSpec {
                sps,
                jobs,
                logs: 100,
                seed: 7,
            }),
            faults: FaultSpec {
                latency,
                ..FaultSpec::default()
            },
            ..SimConfig::default()
        })
        .await?;
        let token = sim.issue_token(TokenSpec::app(
            &sim.demo_app().client_id,
            &["Application.Read.All", "Synchronization.Read.All"],
        ));
        let http = provctl::graph::http_client(&HttpOptions {
            extra_roots_pem: vec![sim.ca_pem().as_bytes().to_vec()],
            ..HttpOptions::default()
        })?;
        let graph = GraphClient::builder()
            .endpoints(Endpoints::custom(sim.base_url().as_str(), None, Cloud::Global)?)
            .http_client(http)
            .token_provider(StaticToken::new(token))
            .build()?;
        println!(
            "generated tenant: {sps} service principals, {jobs} jobs; {} ms latency per request",
            latency.as_millis()
        );

        sim.clear_requests();
        let t = Instant::now();
        let inv = sync::discover_jobs(&graph, &DiscoverOptions::default()).await?;
        let batched = t.elapsed();
        let batched_requests = wire_requests(&sim);
        let n = inv.service_principals;
        let bound = n.div_ceil(999) + n.div_ceil(20);
        println!(
            "$batch discovery:      {:>8.2?}  {:>5} requests (bound ceil(N/999)+ceil(N/20) = {bound}), {} jobs, {} failures",
            batched,
            batched_requests,
            inv.jobs.len(),
            inv.failures.len()
        );

        if std::env::var_os("JOBS_BENCH_SKIP_NAIVE").is_some() {
            return Ok(());
        }
        sim.clear_requests();
        let t = Instant::now();
        let all: Vec<provctl::graph::model::ServicePrincipal> =
            sync::list_service_principals(&graph, ApiVersion::V1, None).await?;
        let mut found = 0usize;
        for sp in &all {
            let req = provctl::graph::GraphRequest::get(ApiVersion::V1, sync::jobs_path(&sp.id));
            let page: ODataCollection<Value> = graph.get_json(&req).await?;
            found += page.value.len();
        }
        let naive = t.elapsed();
        let naive_requests = wire_requests(&sim);
        println!(
            "one request per SP:    {:>8.2?}  {:>5} requests, {found} jobs",
            naive, naive_requests
        );
        println!(
            "speed-up: {:.1}x, {:.1}x fewer requests",
            naive.as_secs_f64() / batched.as_secs_f64(),
            naive_requests as f64 / batched_requests.max(1) as f64
        );
        assert!(batched_requests <= bound, "more requests than the bound");
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
