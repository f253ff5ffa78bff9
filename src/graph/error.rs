//! The one error type of the Graph layer. A service error keeps everything an admin quotes to
//! Microsoft support: HTTP status, Graph `code` and `message`, `request-id`, `client-request-id`, `date`.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::auth::AuthError;

/// An error from a Graph call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Graph answered with an HTTP error status (after any retries).
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// The request could not be sent or its answer not read (after any retries).
    #[error("{method} {url}: {message}{}", attempts_note(*.attempts))]
    Transport {
        /// HTTP method.
        method: String,
        /// The URL without its query string.
        url: String,
        /// What went wrong, in words.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The server's TLS certificate was refused. Not transient: never retried.
    #[error("{method} {url}: the TLS certificate presented for {host} was refused: {detail}")]
    Certificate {
        /// HTTP method.
        method: String,
        /// The URL without its query string.
        url: String,
        /// The host whose certificate failed.
        host: String,
        /// Why it was refused (unknown issuer, expired, wrong name, ...).
        detail: String,
    },
    /// The server answered with a redirect. provctl never follows one, so the token stays here.
    #[error(
        "{method} {url}: answered {status} redirect to {}; redirects are not followed, so the token was not sent there",
        location_host.as_deref().unwrap_or("(no Location header)")
    )]
    Redirect {
        /// HTTP method.
        method: String,
        /// The URL without its query string.
        url: String,
        /// The 3xx status.
        status: u16,
        /// The host of the `Location` header (the URL itself may carry secrets).
        location_host: Option<String>,
    },
    /// The answer was not the JSON we expected.
    #[error("{url}: unexpected response body at {path}: {message}")]
    Decode {
        /// The URL without its query string.
        url: String,
        /// The JSON path of the field that did not fit (`value[3].status.code`).
        path: String,
        /// The decoder's message.
        message: String,
    },
    /// No token could be obtained.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The client was configured with a bad value (base URL, certificate, ...).
    #[error("{0}")]
    Config(String),
    /// A value given to a request builder was refused before anything was sent.
    #[error("{0}")]
    InvalidInput(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl GraphError {
    /// The HTTP status, for service errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Service(e) => Some(e.status),
            _ => None,
        }
    }

    /// The Graph error code (`Authorization_RequestDenied`, `itemNotFound`, ...), for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Service(e) => Some(&e.code),
            _ => None,
        }
    }

    /// The service's `request-id`, for service errors.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Service(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            GraphError::Service(e) => Some(e),
            _ => None,
        }
    }
}

/// An HTTP error answer from Graph, parsed from the error envelope
/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    /// HTTP status code.
    pub status: u16,
    /// Top-level Graph error code (`badRequest`, `Authorization_RequestDenied`, ...), or the
    /// OAuth `error` of a non-envelope body; empty when the answer carried none (never invented).
    pub code: String,
    /// The error message exactly as Graph sent it (empty when it sent an empty one or none).
    pub message: String,
    /// The codes of nested innerErrors, outermost first (the last is the most specific).
    pub inner_codes: Vec<String>,
    /// `request-id` from innerError or the response header.
    pub request_id: Option<String>,
    /// `client-request-id` from innerError or the response header.
    pub client_request_id: Option<String>,
    /// `date` from innerError or the response header.
    pub date: Option<String>,
    /// HTTP method of the failed request.
    pub method: String,
    /// URL of the failed request, without its query string.
    pub url: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// The `Retry-After` the last answer carried, if any.
    pub retry_after: Option<Duration>,
}

impl ServiceError {
    /// The most specific code: the innermost innerError code, else the top-level code.
    pub fn most_specific_code(&self) -> &str {
        self.inner_codes
            .last()
            .map(String::as_str)
            .unwrap_or(&self.code)
    }

    /// Builds a service error from a status and a response body (the envelope when there is one).
    pub fn from_body(status: u16, body: &[u8], method: &str, url: &str) -> ServiceError {
        let mut e = ServiceError {
            status,
            code: String::new(),
            message: String::new(),
            inner_codes: Vec::new(),
            request_id: None,
            client_request_id: None,
            date: None,
            method: method.to_owned(),
            url: url.to_owned(),
            attempts: 1,
            retry_after: None,
        };
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let error = parsed
            .as_ref()
            .and_then(|v| get_ci(v, "error"))
            .filter(|e| e.is_object());
        match error {
            Some(err) => {
                e.code = str_field(err, "code").unwrap_or_default();
                e.message = str_field(err, "message").unwrap_or_default();
                let mut inner = get_ci(err, "innerError");
                let mut depth = 0;
                while let Some(i) = inner {
                    if depth > 16 {
                        break;
                    }
                    depth += 1;
                    if let Some(code) = str_field(i, "code") {
                        e.inner_codes.push(code);
                    }
                    e.request_id = e.request_id.take().or_else(|| str_field(i, "request-id"));
                    e.client_request_id = e
                        .client_request_id
                        .take()
                        .or_else(|| str_field(i, "client-request-id"));
                    e.date = e.date.take().or_else(|| str_field(i, "date"));
                    inner = get_ci(i, "innerError");
                }
            }
            None => {
                // Not an envelope (a proxy, a load balancer, an OAuth error): keep what there is.
                let text = String::from_utf8_lossy(body);
                let snippet: String = text.chars().take(300).collect();
                e.code = parsed
                    .as_ref()
                    .and_then(|v| str_field(v, "error"))
                    .unwrap_or_default();
                e.message = parsed
                    .as_ref()
                    .and_then(|v| str_field(v, "error_description"))
                    .unwrap_or_else(|| snippet.trim().to_owned());
            }
        }
        // An empty message stays empty: evidence quotes what Graph sent.
        e
    }
}

/// Case-insensitive field lookup (`innerError` and `innererror` both occur).
fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    get_ci(v, key).and_then(Value::as_str).map(str::to_owned)
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph returned {}", self.status)?;
        if self.code.is_empty() {
            // No code was sent: name the status by its HTTP reason phrase, not by an invented code.
            if let Some(reason) = reqwest::StatusCode::from_u16(self.status)
                .ok()
                .and_then(|s| s.canonical_reason())
            {
                write!(f, " ({reason})")?;
            }
        } else {
            write!(f, " {}", self.code)?;
        }
        if self.message.is_empty() {
            f.write_str(" with an empty message")?;
        } else {
            write!(f, ": {}", self.message)?;
        }
        if let Some(inner) = self.inner_codes.last() {
            write!(f, " [{inner}]")?;
        }
        write!(f, " ({} {}", self.method, self.url)?;
        if let Some(id) = &self.request_id {
            write!(f, "; request-id {id}")?;
        }
        if let Some(id) = &self.client_request_id {
            write!(f, "; client-request-id {id}")?;
        }
        if let Some(d) = &self.date {
            write!(f, "; date {d}")?;
        }
        if self.attempts > 1 {
            write!(f, "; {} attempts", self.attempts)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_fields_are_kept_and_inner_errors_walked_case_insensitively() {
        let body = br#"{"error":{"code":"badRequest","message":"nope","innererror":{"code":"outer","date":"2024-01-01T00:00:00","request-id":"r-1","client-request-id":"c-1","innerError":{"code":"InvalidResetScope"}}}}"#;
        let e = ServiceError::from_body(400, body, "POST", "https://g/x");
        assert_eq!(e.code, "badRequest");
        assert_eq!(e.message, "nope");
        assert_eq!(e.inner_codes, vec!["outer", "InvalidResetScope"]);
        assert_eq!(e.most_specific_code(), "InvalidResetScope");
        assert_eq!(e.request_id.as_deref(), Some("r-1"));
        assert_eq!(e.client_request_id.as_deref(), Some("c-1"));
        assert_eq!(e.date.as_deref(), Some("2024-01-01T00:00:00"));
        let shown = e.to_string();
        assert!(
            shown.contains("request-id r-1") && shown.contains("400 badRequest"),
            "{shown}"
        );
    }

    #[test]
    fn non_envelope_bodies_keep_what_was_sent_and_invent_no_code() {
        let e = ServiceError::from_body(502, b"<html>Bad gateway</html>", "GET", "https://g/x");
        assert_eq!(e.code, "");
        assert!(e.message.contains("Bad gateway"));
        assert!(
            e.to_string()
                .starts_with("Graph returned 502 (Bad Gateway): <html>"),
            "{e}"
        );
        let e = ServiceError::from_body(401, br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret"}"#, "POST", "u");
        assert_eq!(e.code, "invalid_client");
        assert!(e.message.starts_with("AADSTS7000215"));
    }

    /// Issue 14 item 11: captured envelopes with an empty `message` or an empty `code` are shown as
    /// sent; nothing is invented in their place.
    #[test]
    fn an_empty_message_is_shown_as_empty_never_invented() {
        let body = include_bytes!("../../tests/fixtures/real/graph-error-empty-message.json");
        let e = ServiceError::from_body(403, body, "GET", "https://g/x");
        assert_eq!(e.code, "UnknownError");
        assert_eq!(e.message, "");
        let shown = e.to_string();
        assert!(
            shown.starts_with("Graph returned 403 UnknownError with an empty message ("),
            "{shown}"
        );
        let body = include_bytes!("../../tests/fixtures/real/graph-error-empty-code.json");
        let e = ServiceError::from_body(404, body, "GET", "https://g/x");
        assert_eq!(e.code, "");
        assert!(
            e.to_string()
                .starts_with("Graph returned 404 (Not Found): The requested item is not found."),
            "{e}"
        );
        let e = ServiceError::from_body(418, b"", "GET", "https://g/x");
        assert_eq!((e.code.as_str(), e.message.as_str()), ("", ""));
        assert!(!e.to_string().contains("httpError"), "{e}");
    }
}
