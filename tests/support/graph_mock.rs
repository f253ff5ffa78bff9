//! A wiremock server standing in for Graph, and the library's client pointed at it, for the
//! request-shape tests: any request no test mock matches gets a 500, so it fails loudly.

use provctl::graph::auth::StaticToken;
use provctl::graph::{Cloud, Endpoints, GraphClient, RetryPolicy};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A mock server whose catch-all (mounted with the lowest priority) answers 500.
pub async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500).set_body_string("unmatched request in test"))
        .with_priority(u8::MAX)
        .mount(&s)
        .await;
    s
}

/// A Graph client for `s` with a fixed token and this retry policy.
pub fn client(s: &MockServer, retry: RetryPolicy) -> GraphClient {
    GraphClient::builder()
        .endpoints(
            Endpoints::custom(&s.uri(), None, Cloud::Global).unwrap_or_else(|e| panic!("{e}")),
        )
        .token_provider(StaticToken::new("test-token"))
        .retry_policy(retry)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}
