//! JSON `$batch` bodies (`POST /$batch`): up to 20 requests with relative URLs, and the answer with
//! one response per request id (in any order). Bodies stay raw JSON: each item is decoded into its
//! own model by whoever sent it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::null_default;

/// The most requests one `$batch` may carry.
pub const MAX_BATCH_REQUESTS: usize = 20;

/// The body of `POST /$batch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The requests (at most [`MAX_BATCH_REQUESTS`]).
    #[serde(default, deserialize_with = "null_default")]
    pub requests: Vec<BatchRequestItem>,
}

/// One request of a batch.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRequestItem {
    /// Correlates the response (unique within the batch).
    pub id: String,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// Relative to the version root: `/servicePrincipals/{id}/synchronization/jobs`.
    pub url: String,
    /// Headers (`Content-Type` is required with a body).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Ids that must complete first.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub depends_on: Vec<String>,
}

/// The answer of `POST /$batch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchResponse {
    /// One per request, in any order.
    #[serde(default, deserialize_with = "null_default")]
    pub responses: Vec<BatchResponseItem>,
    /// `@odata.nextLink`, when the service splits the answer.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

impl BatchResponse {
    /// The response for request `id`.
    pub fn get(&self, id: &str) -> Option<&BatchResponseItem> {
        self.responses.iter().find(|r| r.id == id)
    }
}

/// One response of a batch.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchResponseItem {
    /// The request id it answers.
    #[serde(default, deserialize_with = "null_default")]
    pub id: String,
    /// HTTP status.
    #[serde(default)]
    pub status: u16,
    /// Headers (names as sent; compare case-insensitively).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: BTreeMap<String, String>,
    /// The body: the resource, an error envelope, or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl BatchResponseItem {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header by name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
