//! A crawl of the provisioning logs, oldest first, page by page, that can stop anywhere and go on
//! later with every record exactly once: the streaming page and record API that `logs export`
//! writes to disk, and that any other long pass over Graph's logs (a summary, a count) reads.
//!
//! Each [`CrawlPage`] carries the [`Position`] after it: the nextLink, the last record's time and
//! the ids of every record seen at that instant. [`LogCrawl::resume`] continues from a position by
//! following its nextLink; if Graph refuses the link (a `$skiptoken` expires: 400), the crawl asks
//! the query again from the last record's time and skips the records the position says were seen.
//!
//! Speed: records stay Graph's JSON text inside the page body (no per-record parse); the next page
//! is requested as soon as its link is read from the end of the current body, so it travels while
//! the caller works on this one; and page buffers are handed back ([`LogCrawl::recycle`]) and reused.
//! Retries and pacing are the client's ([`crate::graph::retry`], [`crate::graph::pacing`]): a page
//! that fails after them ends the crawl with that error, and the caller resumes from its position.
//!
//! ```no_run
//! # async fn demo(client: provctl::graph::GraphClient) -> Result<(), Box<dyn std::error::Error>> {
//! use provctl::export::crawl::LogCrawl;
//! use provctl::graph::logs::{LogQuery, StatusFilter};
//! use provctl::graph::model::logs::ProvisioningObjectSummary;
//!
//! let query = LogQuery {
//!     status: Some(StatusFilter::Failure),
//!     since: Some(chrono::Utc::now() - chrono::Duration::days(7)),
//!     ..Default::default()
//! };
//! let mut crawl = LogCrawl::new(&client, query)?;
//! let mut failures_per_code = std::collections::BTreeMap::<String, u64>::new();
//! while let Some(page) = crawl.next_page().await? {
//!     for text in page.records() {
//!         let r: ProvisioningObjectSummary = serde_json::from_str(text)?;
//!         let code = r.error().and_then(|e| e.error_code.clone()).unwrap_or_default();
//!         *failures_per_code.entry(code).or_default() += 1;
//!     }
//!     // `page.position()` is where to resume if this process stops now.
//!     crawl.recycle(page);
//! }
//! # Ok(()) }
//! ```

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::graph::logs::{self, LogQuery, PageCursor, RawPage};
use crate::graph::odata::FilterError;
use crate::graph::{GraphClient, GraphError, ServiceError};

/// Where a crawl stands: enough to go on with every record exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The next page to fetch; `None` before the first page, and after the last.
    pub next_link: Option<String>,
    /// The time of the last record seen, as Graph wrote it (RFC 3339).
    pub last_time: Option<String>,
    /// The ids of every record seen at `last_time` (the records a restart from that time skips).
    pub tail_ids: Vec<String>,
}

/// A crawl that cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The query cannot be asked.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// Graph (or the way to it) failed after the client's retries.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A position whose last time is not a time: continuing from it would repeat or skip records.
    #[error("the saved position's last record time '{0}' is not an RFC 3339 time")]
    BadPosition(String),
}

/// One page of the crawl: the records not seen before, as Graph's JSON text.
#[derive(Debug)]
pub struct CrawlPage {
    raw: RawPage,
    /// Indexes of the records to hand out; `None` for all.
    keep: Option<Vec<usize>>,
    after: Position,
    refused: Option<Box<ServiceError>>,
}

impl CrawlPage {
    /// The records not seen before, in order, each exactly as Graph sent it.
    pub fn records(&self) -> impl Iterator<Item = &str> + '_ {
        let all = self.raw.records().enumerate();
        all.filter(|(i, _)| {
            self.keep
                .as_ref()
                .is_none_or(|k| k.binary_search(i).is_ok())
        })
        .map(|(_, r)| r)
    }

    /// How many records [`CrawlPage::records`] yields.
    pub fn len(&self) -> usize {
        self.keep.as_ref().map_or(self.raw.len(), Vec::len)
    }

    /// True when the page brings no new record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position after this page (where to resume once this page is dealt with).
    pub fn position(&self) -> &Position {
        &self.after
    }

    /// True for the last page of the crawl.
    pub fn is_last(&self) -> bool {
        self.after.next_link.is_none()
    }

    /// When Graph refused the saved nextLink before this page (an expired `$skiptoken`), its
    /// answer: this page comes from the query asked again from the last record's time.
    pub fn refused_link(&self) -> Option<&ServiceError> {
        self.refused.as_deref()
    }

    /// Lays the records out as NDJSON inside the page body, without a copy, when they are all of
    /// the page from some index on and the body is compact (see [`RawPage::ndjson_in_place`]).
    /// Returns where the lines are in [`CrawlPage::body`] and where the last line starts in them.
    /// After this, only [`CrawlPage::records`] still reads the records.
    pub fn ndjson_in_place(&mut self) -> Option<(std::ops::Range<usize>, usize)> {
        let from = match &self.keep {
            None => 0,
            Some(k) => {
                let first = *k.first()?;
                (k.len() == self.raw.len() - first).then_some(first)?
            }
        };
        let last_len = self.raw.records().next_back()?.len() + 1;
        let lines = self.raw.ndjson_in_place(from)?;
        let last = lines.len() - last_len;
        Some((lines, last))
    }

    /// The page body as received (or as [`CrawlPage::ndjson_in_place`] left it).
    pub fn body(&self) -> &[u8] {
        self.raw.body()
    }
}

/// The crawl. See the module documentation.
pub struct LogCrawl {
    client: GraphClient,
    query: LogQuery,
    cursor: Option<PageCursor>,
    /// After the last page handed out.
    position: Position,
    /// Skip records the position says were seen (after a restart from a time).
    dedup: bool,
    refused: Option<Box<ServiceError>>,
    spare: Vec<u8>,
    prefetch: Prefetch,
}

impl LogCrawl {
    /// A crawl of `query` (its filters and range; the order is oldest first, with no limit).
    pub fn new(client: &GraphClient, query: LogQuery) -> Result<LogCrawl, CrawlError> {
        LogCrawl::resume(client, query, Position::default())
    }

    /// A crawl of `query` that goes on after `from` (a [`CrawlPage::position`] saved earlier with
    /// the same query). A position without a nextLink but with a last time starts from that time.
    pub fn resume(
        client: &GraphClient,
        mut query: LogQuery,
        from: Position,
    ) -> Result<LogCrawl, CrawlError> {
        query.oldest_first = true;
        query.limit = None;
        query.validate()?;
        let mut crawl = LogCrawl {
            client: client.clone(),
            query,
            cursor: None,
            position: from,
            dedup: false,
            refused: None,
            spare: Vec::new(),
            prefetch: Prefetch(None),
        };
        crawl.cursor = Some(match crawl.position.next_link.clone() {
            Some(l) => PageCursor::Link(l),
            None => crawl.restart()?,
        });
        Ok(crawl)
    }

    /// The position after the last page handed out.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// Hands a page's buffer back for the next page (optional; saves an allocation per page).
    pub fn recycle(&mut self, page: CrawlPage) {
        self.spare = page.raw.into_buffer();
    }

    /// The next page; `None` after the last. A failure leaves the crawl where it was: resume it
    /// (or a new one) from [`LogCrawl::position`].
    pub async fn next_page(&mut self) -> Result<Option<CrawlPage>, CrawlError> {
        let Some(cursor) = self.cursor.clone() else {
            return Ok(None);
        };
        let fetched = match self.prefetch.0.take() {
            Some((_, task)) => task.await.unwrap_or_else(|e| {
                Err(GraphError::InvalidInput(format!(
                    "the page request stopped: {e}"
                )))
            }),
            None => {
                logs::fetch_page_body(&self.client, &cursor, std::mem::take(&mut self.spare)).await
            }
        };
        let body = match fetched {
            Ok(body) => body,
            // Graph documents that a nextLink can expire; a second refusal in a row is an error.
            Err(GraphError::Service(s))
                if matches!(s.status, 400 | 410)
                    && matches!(cursor, PageCursor::Link(_))
                    && self.refused.is_none() =>
            {
                self.refused = Some(s);
                self.cursor = Some(self.restart()?);
                return Box::pin(self.next_page()).await;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(l) = logs::peek_next_link(&body) {
            let buf = std::mem::take(&mut self.spare);
            self.prefetch.start(&self.client, l, buf);
        }
        let raw = RawPage::parse(body).map_err(|message| {
            self.prefetch.cancel();
            GraphError::Decode {
                url: logs::cursor_url(&self.client, &cursor),
                path: String::new(),
                message,
            }
        })?;
        match &raw.next_link {
            Some(l) if !self.prefetch.is_for(l) => {
                self.prefetch.cancel();
                let buf = std::mem::take(&mut self.spare);
                self.prefetch.start(&self.client, l.clone(), buf);
            }
            Some(_) => {}
            None => self.prefetch.cancel(),
        }
        let page = self.take(raw);
        self.position = page.after.clone();
        self.cursor = page.after.next_link.clone().map(PageCursor::Link);
        Ok(Some(page))
    }

    /// The first request again, from the last record's time when there is one; the records
    /// already seen at that instant are skipped.
    fn restart(&mut self) -> Result<PageCursor, CrawlError> {
        let mut q = self.query.clone();
        self.dedup = false;
        if let Some(t) = self.position.last_time.as_deref() {
            let at = DateTime::parse_from_rfc3339(t)
                .map_err(|_| CrawlError::BadPosition(t.to_owned()))?
                .with_timezone(&Utc);
            // `gt` one millisecond earlier includes the last instant (Graph's literals are
            // milliseconds); the records before it and its ids already seen are skipped.
            let from = at - chrono::Duration::milliseconds(1);
            q.since = Some(q.since.map_or(from, |s| s.max(from)));
            self.dedup = true;
        }
        Ok(PageCursor::First(Box::new(q.to_request()?)))
    }

    /// Picks the records not seen before and works out the position after them.
    fn take(&mut self, mut raw: RawPage) -> CrawlPage {
        let mut keep = None;
        if self.dedup {
            let mut k = Vec::new();
            for (i, text) in raw.records().enumerate() {
                let h = head(text);
                let seen = match self.position.last_time.as_deref() {
                    Some(t) => match time_cmp(&h.time, t) {
                        Ordering::Less => true,
                        Ordering::Equal => self.position.tail_ids.contains(&h.id),
                        Ordering::Greater => false,
                    },
                    None => false,
                };
                if !seen {
                    k.push(i);
                }
                if time_cmp(&h.time, self.position.last_time.as_deref().unwrap_or("")).is_gt() {
                    // Past the instant: every later record is new.
                    k.extend(i + 1..raw.len());
                    self.dedup = false;
                    break;
                }
            }
            keep = Some(k);
        }
        let mut after = Position {
            next_link: raw.next_link.take(),
            ..self.position.clone()
        };
        let kept: Vec<&str> = match &keep {
            None => raw.records().collect(),
            Some(k) => {
                let all: Vec<&str> = raw.records().collect();
                k.iter().map(|&i| all[i]).collect()
            }
        };
        advance_tail(&mut after, &kept);
        let refused = self.refused.take();
        let all = raw.len();
        CrawlPage {
            raw,
            keep: keep.filter(|k| k.len() != all),
            after,
            refused,
        }
    }
}

/// Moves `last_time`/`tail_ids` to the end of `records` (walking back while the time repeats;
/// merged with the ids already there when every record shares the previous last instant).
fn advance_tail(pos: &mut Position, records: &[&str]) {
    let Some(last) = records.last().map(|r| head(r)) else {
        return;
    };
    let mut ids = Vec::new();
    let mut whole = true;
    for text in records.iter().rev() {
        let h = head(text);
        if time_cmp(&h.time, &last.time) != Ordering::Equal {
            whole = false;
            break;
        }
        ids.push(h.id);
    }
    let same_instant = pos
        .last_time
        .as_deref()
        .is_some_and(|t| time_cmp(t, &last.time) == Ordering::Equal);
    ids.reverse();
    if whole && same_instant {
        for id in ids {
            if !pos.tail_ids.contains(&id) {
                pos.tail_ids.push(id);
            }
        }
    } else {
        pos.tail_ids = ids;
    }
    pos.last_time = Some(last.time);
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    id: String,
    #[serde(rename = "activityDateTime", default)]
    time: String,
}

/// A record's id and time (empty when absent: such a record is kept, never matched as seen).
fn head(raw: &str) -> Head {
    serde_json::from_str(raw).unwrap_or(Head {
        id: String::new(),
        time: String::new(),
    })
}

/// Compares two Graph timestamps as instants (text comparison fails on differing precision).
fn time_cmp(a: &str, b: &str) -> Ordering {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

type PageTask = tokio::task::JoinHandle<Result<Vec<u8>, GraphError>>;

/// The request for the next page (with its link), stopped when the crawl is dropped.
struct Prefetch(Option<(String, PageTask)>);

impl Prefetch {
    fn start(&mut self, client: &GraphClient, link: String, into: Vec<u8>) {
        let (client, next) = (client.clone(), PageCursor::Link(link.clone()));
        let task = tokio::spawn(async move { logs::fetch_page_body(&client, &next, into).await });
        self.0 = Some((link, task));
    }

    fn is_for(&self, link: &str) -> bool {
        self.0.as_ref().is_some_and(|(l, _)| l == link)
    }

    fn cancel(&mut self) {
        if let Some((_, t)) = self.0.take() {
            t.abort();
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, t: &str) -> String {
        format!(r#"{{"id":"{id}","activityDateTime":"{t}"}}"#)
    }

    #[test]
    fn the_tail_holds_every_id_of_the_last_instant_across_pages() {
        let mut p = Position::default();
        let a = [
            rec("1", "2026-01-01T00:00:01Z"),
            rec("2", "2026-01-01T00:00:02Z"),
        ];
        advance_tail(&mut p, &a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(p.tail_ids, ["2"]);
        // A page entirely at the same instant (other precision) adds to the ids.
        let b = [
            rec("3", "2026-01-01T00:00:02.000Z"),
            rec("4", "2026-01-01T00:00:02Z"),
        ];
        advance_tail(&mut p, &b.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(p.tail_ids, ["2", "3", "4"]);
        let c = [
            rec("5", "2026-01-01T00:00:02Z"),
            rec("6", "2026-01-01T00:00:03Z"),
        ];
        advance_tail(&mut p, &c.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(p.tail_ids, ["6"]);
        assert_eq!(p.last_time.as_deref(), Some("2026-01-01T00:00:03Z"));
        // No record: nothing moves.
        advance_tail(&mut p, &[]);
        assert_eq!(p.tail_ids, ["6"]);
    }
}
