//! JSON `$batch`: up to 20 requests in one POST, each answered on its own. A POST that carries
//! only GETs is retried as a GET is (5xx, dropped connections). Items that failed in a way
//! `graph::retry` calls retryable (429; for reads also 500/502/503/504) are sent again in a later
//! batch after the longest `Retry-After` they carried, or the policy's backoff. Batches run with
//! bounded concurrency.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::retry;
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest, Method, ServiceError};

/// Graph's limit on requests per batch.
pub const MAX_BATCH: usize = 20;

/// How many rounds an item may be re-sent (see the module docs) before its last answer is returned.
const MAX_ROUNDS: u32 = 6;

/// One request inside a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchItem {
    /// Caller-chosen id, unique within the call.
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// URL relative to the version root, starting with `/` (`/servicePrincipals/{id}/synchronization/jobs`).
    pub url: String,
    /// JSON body, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Headers (`Content-Type` is added when there is a body).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl BatchItem {
    /// A GET of a path.
    pub fn get(id: impl Into<String>, path: &GraphPath) -> Self {
        BatchItem {
            id: id.into(),
            method: "GET".into(),
            url: format!("/{path}"),
            body: None,
            headers: BTreeMap::new(),
        }
    }

    fn is_read(&self) -> bool {
        self.method.eq_ignore_ascii_case("GET")
    }
}

/// The answer to one batch item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchItemResponse {
    /// The item's id.
    pub id: String,
    /// HTTP status of the item.
    pub status: u16,
    /// Item headers.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// Item body (`null` when none).
    #[serde(default)]
    pub body: Value,
}

impl BatchItemResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The item's error, for non-2xx answers.
    pub fn error(&self, url: &str) -> Option<ServiceError> {
        if self.is_success() {
            return None;
        }
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut e = ServiceError::from_body(self.status, &body, "GET", url);
        e.request_id = e
            .request_id
            .or_else(|| self.header("request-id").map(str::to_owned));
        Some(e)
    }

    /// Decodes the item's body.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, GraphError> {
        T::deserialize(&self.body).map_err(|e| GraphError::Decode {
            url: format!("$batch item {}", self.id),
            path: String::new(),
            message: e.to_string(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
    }
}

#[derive(Deserialize)]
struct BatchBody {
    #[serde(default)]
    responses: Vec<BatchItemResponse>,
}

impl GraphClient {
    /// Runs `items` as JSON batches of at most 20, at most `concurrency` batches in flight, and
    /// returns one answer per item in the order given. Item-level failures are answers, not errors;
    /// the call fails only when a whole batch request fails.
    pub async fn batch(
        &self,
        version: ApiVersion,
        items: Vec<BatchItem>,
        concurrency: usize,
    ) -> Result<Vec<BatchItemResponse>, GraphError> {
        let order: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let chunks: Vec<Vec<BatchItem>> =
            items.chunks(MAX_BATCH).map(<[BatchItem]>::to_vec).collect();
        let results: Vec<Result<Vec<BatchItemResponse>, GraphError>> = stream::iter(chunks)
            .map(|chunk| self.run_chunk(version, chunk))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let mut by_id: HashMap<String, BatchItemResponse> = HashMap::with_capacity(order.len());
        for r in results {
            for item in r? {
                by_id.insert(item.id.clone(), item);
            }
        }
        order
            .into_iter()
            .map(|id| {
                by_id.remove(&id).ok_or_else(|| GraphError::Decode {
                    url: "$batch".into(),
                    path: format!("responses[id={id}]"),
                    message: "the batch answer has no response for this request".into(),
                })
            })
            .collect()
    }

    async fn run_chunk(
        &self,
        version: ApiVersion,
        chunk: Vec<BatchItem>,
    ) -> Result<Vec<BatchItemResponse>, GraphError> {
        let mut pending = chunk;
        let mut done: Vec<BatchItemResponse> = Vec::with_capacity(pending.len());
        for round in 1..=MAX_ROUNDS {
            let body = serde_json::json!({ "requests": pending });
            let mut req =
                GraphRequest::new(Method::POST, version, GraphPath::new().seg("$batch")).body(body);
            // A batch of reads changes nothing, so the POST is repeated as a GET would be; a
            // batch holding a write keeps the action rules (429, 503 with Retry-After).
            if pending.iter().all(BatchItem::is_read) {
                req = req.read_only();
            }
            let answer: BatchBody = self.send(&req).await?.json()?;
            let mut by_id: HashMap<String, BatchItemResponse> = answer
                .responses
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            let mut again = Vec::new();
            let mut wait = Duration::ZERO;
            for item in pending {
                match by_id.remove(&item.id) {
                    Some(resp) => {
                        let kind = if item.is_read() {
                            retry::Idempotency::Safe
                        } else {
                            retry::Idempotency::Action
                        };
                        let retry_after = resp.retry_after();
                        let retryable =
                            retry::status_is_retryable(resp.status, kind, retry_after.is_some());
                        // Throttled items always wait their turn; other failures get as many
                        // attempts as the client's policy gives any request.
                        let limit = if resp.status == 429 {
                            MAX_ROUNDS
                        } else {
                            self.retry_policy().max_attempts.min(MAX_ROUNDS)
                        };
                        if retryable && round < limit {
                            let w =
                                retry_after.unwrap_or_else(|| self.retry_policy().backoff(round));
                            wait = wait.max(w);
                            again.push(item);
                        } else {
                            done.push(resp);
                        }
                    }
                    None => again.push(item),
                }
            }
            if again.is_empty() {
                return Ok(done);
            }
            tracing::info!(target: "provctl::retry", "re-sending {} failed $batch item(s) in {wait:?} (round {}/{MAX_ROUNDS})", again.len(), round + 1);
            tokio::time::sleep(wait).await;
            pending = again;
        }
        Ok(done)
    }
}
