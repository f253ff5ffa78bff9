//! Searching the provisioning logs (`GET /auditLogs/provisioning`): a typed [`LogQuery`] that only
//! ever produces the documented filters (through [`odata::Filter`]), a streaming search that stops
//! paging as soon as `limit` records arrived, and a raw page fetch for exports that pass records
//! through without deserialising them. Pacing (5 requests / 10 s) is the client's job.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;

use super::model::logs::{
    ProvisionedIdentity, ProvisioningAction, ProvisioningObjectSummary, ProvisioningResult,
};
use super::odata::{self, Filter, FilterError, LogField};
use super::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest};

/// The largest page Graph hands out for provisioning logs (a practical value; not documented).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The outcome filter (`provisioningStatusInfo/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// `success`
    Success,
    /// `failure`
    Failure,
    /// `skipped`
    Skipped,
    /// `warning`
    Warning,
}

impl StatusFilter {
    /// The accepted spellings, for error messages and help.
    pub const ACCEPTED: &'static str = "success, failure, skipped, warning";

    /// The Graph enum member.
    pub fn as_graph(self) -> &'static str {
        match self {
            StatusFilter::Success => "success",
            StatusFilter::Failure => "failure",
            StatusFilter::Skipped => "skipped",
            StatusFilter::Warning => "warning",
        }
    }

    /// Whether a record's outcome matches (for offline filtering).
    pub fn matches(self, status: Option<&ProvisioningResult>) -> bool {
        matches!(
            (self, status),
            (StatusFilter::Success, Some(ProvisioningResult::Success))
                | (StatusFilter::Failure, Some(ProvisioningResult::Failure))
                | (StatusFilter::Skipped, Some(ProvisioningResult::Skipped))
                | (StatusFilter::Warning, Some(ProvisioningResult::Warning))
        )
    }
}

impl FromStr for StatusFilter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, FilterError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "success" => Ok(StatusFilter::Success),
            "failure" | "failed" => Ok(StatusFilter::Failure),
            "skipped" => Ok(StatusFilter::Skipped),
            "warning" => Ok(StatusFilter::Warning),
            _ => Err(FilterError(format!(
                "--status '{s}' is not a provisioning status: use one of {}",
                StatusFilter::ACCEPTED
            ))),
        }
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_graph())
    }
}

/// The action filter (`provisioningAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionFilter {
    /// `create`
    Create,
    /// `update`
    Update,
    /// `delete`
    Delete,
    /// `disable`
    Disable,
    /// `stagedDelete`
    StagedDelete,
    /// `other` (no change, or another action)
    Other,
}

impl ActionFilter {
    /// The accepted spellings, for error messages and help.
    pub const ACCEPTED: &'static str = "create, update, delete, disable, staged-delete, other";

    /// The Graph enum member (CSDL spelling).
    pub fn as_graph(self) -> &'static str {
        match self {
            ActionFilter::Create => "create",
            ActionFilter::Update => "update",
            ActionFilter::Delete => "delete",
            ActionFilter::Disable => "disable",
            ActionFilter::StagedDelete => "stagedDelete",
            ActionFilter::Other => "other",
        }
    }

    /// Whether a record's action matches (for offline filtering).
    pub fn matches(self, action: Option<&ProvisioningAction>) -> bool {
        matches!(
            (self, action),
            (ActionFilter::Create, Some(ProvisioningAction::Create))
                | (ActionFilter::Update, Some(ProvisioningAction::Update))
                | (ActionFilter::Delete, Some(ProvisioningAction::Delete))
                | (ActionFilter::Disable, Some(ProvisioningAction::Disable))
                | (
                    ActionFilter::StagedDelete,
                    Some(ProvisioningAction::StagedDelete)
                )
                | (ActionFilter::Other, Some(ProvisioningAction::OtherAction))
        )
    }
}

impl FromStr for ActionFilter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, FilterError> {
        let k: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        match k.as_str() {
            "create" => Ok(ActionFilter::Create),
            "update" => Ok(ActionFilter::Update),
            "delete" => Ok(ActionFilter::Delete),
            "disable" => Ok(ActionFilter::Disable),
            "stageddelete" => Ok(ActionFilter::StagedDelete),
            "other" => Ok(ActionFilter::Other),
            _ => Err(FilterError(format!(
                "--action '{s}' is not a provisioning action: use one of {}",
                ActionFilter::ACCEPTED
            ))),
        }
    }
}

impl fmt::Display for ActionFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_graph())
    }
}

/// Parses `--since`/`--until`: a duration back from `now` (`90s`, `30m`, `2h`, `7d`, `1w`) or an
/// RFC 3339 time (`2026-11-01T00:00:00Z`). `flag` names the option in the error.
pub fn parse_time(
    value: &str,
    now: DateTime<Utc>,
    flag: &str,
) -> Result<DateTime<Utc>, FilterError> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    // A bare date means its midnight, UTC.
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad_time(value, flag))?;
    let d = match unit.trim() {
        "s" | "sec" | "secs" => Duration::try_seconds(n),
        "m" | "min" | "mins" => Duration::try_minutes(n),
        "h" | "hour" | "hours" => Duration::try_hours(n),
        "d" | "day" | "days" => Duration::try_days(n),
        "w" | "week" | "weeks" => Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(|| bad_time(value, flag))?;
    now.checked_sub_signed(d)
        .ok_or_else(|| bad_time(value, flag))
}

fn bad_time(value: &str, flag: &str) -> FilterError {
    FilterError(format!(
        "{flag} '{value}' is not a time: use a duration back from now (30m, 2h, 7d, 2w) or an RFC 3339 time (2026-11-01T00:00:00Z)"
    ))
}

/// What to look for in the provisioning logs. Every field narrows the search; all are optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    /// An AD ObjectGuid or object id (canonical lowercase GUID): matches `sourceIdentity/id` or
    /// `targetIdentity/id` (the AD object in cloud sync, either side in app provisioning).
    pub object_guid: Option<String>,
    /// Any object id as Graph stores it (an Entra object id, or a target app's own id): matches
    /// `sourceIdentity/id` or `targetIdentity/id`, verbatim.
    pub object_id: Option<String>,
    /// Part of the display name of the source or target object (`contains`, case-sensitive).
    pub display_name: Option<String>,
    /// `jobId eq`.
    pub job_id: Option<String>,
    /// `servicePrincipal/id eq` (canonical lowercase GUID).
    pub service_principal_id: Option<String>,
    /// `cycleId eq`.
    pub cycle_id: Option<String>,
    /// `changeId eq`.
    pub change_id: Option<String>,
    /// `provisioningStatusInfo/status eq`.
    pub status: Option<StatusFilter>,
    /// `provisioningAction eq`, any of these (none: any action).
    pub actions: Vec<ActionFilter>,
    /// `activityDateTime gt`.
    pub since: Option<DateTime<Utc>>,
    /// `activityDateTime lt`.
    pub until: Option<DateTime<Utc>>,
    /// Stop after this many records.
    pub limit: Option<u64>,
    /// `$orderby=activityDateTime asc` instead of `desc`.
    pub oldest_first: bool,
    /// `$top` (1..=1000; default 1000, or the limit when smaller).
    pub page_size: Option<u32>,
    /// The API version (v1.0 by default; beta adds the deprecated `action`/`statusInfo`).
    pub version: ApiVersion,
}

impl LogQuery {
    /// Sets `object_guid` from user input, validating it (braces and upper case accepted).
    pub fn with_object_guid(mut self, value: &str) -> Result<Self, FilterError> {
        self.object_guid = Some(odata::guid(value, "--object-guid")?);
        Ok(self)
    }

    /// Sets `service_principal_id` from user input, validating it as a GUID.
    pub fn with_service_principal(mut self, value: &str) -> Result<Self, FilterError> {
        self.service_principal_id = Some(odata::guid(value, "--sp")?);
        Ok(self)
    }

    /// The `$filter` expression, or `None` when nothing narrows the search.
    pub fn filter(&self) -> Result<Option<Filter>, FilterError> {
        let mut parts = Vec::new();
        for id in [&self.object_guid, &self.object_id].into_iter().flatten() {
            parts.push(either_side(
                id,
                LogField::SourceIdentityId,
                LogField::TargetIdentityId,
                Filter::eq,
            )?);
        }
        if let Some(n) = &self.display_name {
            parts.push(either_side(
                n,
                LogField::SourceIdentityDisplayName,
                LogField::TargetIdentityDisplayName,
                Filter::contains,
            )?);
        }
        let eqs = [
            (LogField::JobId, &self.job_id),
            (LogField::ServicePrincipalId, &self.service_principal_id),
            (LogField::CycleId, &self.cycle_id),
            (LogField::ChangeId, &self.change_id),
        ];
        for (field, v) in eqs {
            if let Some(v) = v {
                parts.push(Filter::eq(field, v)?);
            }
        }
        if let Some(s) = self.status {
            parts.push(Filter::eq(LogField::Status, s.as_graph())?);
        }
        let actions = self
            .actions
            .iter()
            .map(|a| Filter::eq(LogField::ProvisioningAction, a.as_graph()))
            .collect::<Result<Vec<_>, _>>()?;
        parts.extend(Filter::any(actions));
        if let Some(t) = self.since {
            parts.push(Filter::after(t));
        }
        if let Some(t) = self.until {
            parts.push(Filter::before(t));
        }
        Ok(Filter::all(parts))
    }

    /// Checks the values that cannot be expressed (an empty time range, a zero page size).
    pub fn validate(&self) -> Result<(), FilterError> {
        if let (Some(s), Some(u)) = (self.since, self.until)
            && s >= u
        {
            return Err(FilterError(format!(
                "--since {} is not before --until {}: the time range is empty",
                odata::datetime_literal(s),
                odata::datetime_literal(u)
            )));
        }
        if let Some(p) = self.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&p)
        {
            return Err(FilterError(format!(
                "--page-size {p} is out of range: Graph accepts 1 to {MAX_PAGE_SIZE}"
            )));
        }
        Ok(())
    }

    /// The `$top` sent: the page size, lowered to the limit so a small search is one small page.
    pub fn top(&self) -> u32 {
        let page = self
            .page_size
            .unwrap_or(MAX_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        match self.limit {
            Some(l) if l < u64::from(page) => (l.max(1)) as u32,
            _ => page,
        }
    }

    /// The first request of the search.
    pub fn to_request(&self) -> Result<GraphRequest, FilterError> {
        self.validate()?;
        let mut req =
            GraphRequest::get(self.version, GraphPath::new().lit("auditLogs/provisioning"));
        if let Some(f) = self.filter()? {
            req = req.query("$filter", f.as_str());
        }
        req = req.query(
            "$orderby",
            if self.oldest_first {
                "activityDateTime asc"
            } else {
                "activityDateTime desc"
            },
        );
        Ok(req.query("$top", self.top().to_string()))
    }

    /// Whether a record matches this query, for offline files (Graph applies the same filters
    /// server-side). `contains` and ids compare as Graph does: case-sensitively.
    pub fn matches(&self, r: &ProvisioningObjectSummary) -> bool {
        let src = r.source_identity.as_ref();
        let tgt = r.target_identity.as_ref();
        if let Some(g) = &self.object_guid
            && !(id_of(src).eq_ignore_ascii_case(g) || id_of(tgt).eq_ignore_ascii_case(g))
        {
            return false;
        }
        if let Some(g) = &self.object_id
            && !(id_of(src) == g || id_of(tgt) == g)
        {
            return false;
        }
        if let Some(n) = &self.display_name
            && !(name_of(src).contains(n.as_str()) || name_of(tgt).contains(n.as_str()))
        {
            return false;
        }
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        if !eq(&self.job_id, r.job_id.as_deref())
            || !eq(&self.cycle_id, r.cycle_id.as_deref())
            || !eq(&self.change_id, r.change_id.as_deref())
        {
            return false;
        }
        if let Some(sp) = &self.service_principal_id {
            let have = r.service_principal.as_ref().and_then(|s| s.id.as_deref());
            if !have.is_some_and(|h| h.eq_ignore_ascii_case(sp)) {
                return false;
            }
        }
        if let Some(s) = self.status
            && !s.matches(r.status())
        {
            return false;
        }
        if !self.actions.is_empty() {
            let have = r.action();
            if !self.actions.iter().any(|a| a.matches(have.as_ref())) {
                return false;
            }
        }
        let t = r.activity_date_time;
        if let Some(since) = self.since
            && t.is_none_or(|t| t <= since)
        {
            return false;
        }
        if let Some(until) = self.until
            && t.is_none_or(|t| t >= until)
        {
            return false;
        }
        true
    }
}

fn either_side(
    value: &str,
    source: LogField,
    target: LogField,
    op: fn(LogField, &str) -> Result<Filter, FilterError>,
) -> Result<Filter, FilterError> {
    let both = Filter::any([op(source, value)?, op(target, value)?]);
    both.ok_or_else(|| FilterError("empty filter".into()))
}

/// One page of raw records: each record's JSON text exactly as Graph sent it, kept as spans of the
/// response body (no copy, no deserialisation per record). The body buffer can be handed back
/// ([`RawPage::into_buffer`]) and reused for the next page.
#[derive(Debug, Clone, Default)]
pub struct RawPage {
    body: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// The link to the next page, if any.
    pub next_link: Option<String>,
}

/// The page as serde_json sees it: the records as raw JSON borrowed from the body.
#[derive(Deserialize)]
struct PageSpans<'a> {
    #[serde(borrow)]
    value: Option<Vec<&'a serde_json::value::RawValue>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

impl RawPage {
    /// Reads a page body (`{"value":[...],"@odata.nextLink":"..."}`). The whole body must be JSON,
    /// so a body cut short in transit is refused; the error names the line and column.
    pub fn parse(body: Vec<u8>) -> Result<RawPage, String> {
        let (spans, next_link) = {
            let page: PageSpans = serde_json::from_slice(&body).map_err(|e| {
                if e.is_eof() {
                    format!("the page ends early, it was cut short: {e}")
                } else {
                    format!("the page is not a Graph collection: {e}")
                }
            })?;
            let values = page
                .value
                .ok_or("the page is not a Graph collection: it has no \"value\" array")?;
            let base = body.as_ptr() as usize;
            let spans = values
                .iter()
                .map(|r| {
                    let start = r.get().as_ptr() as usize - base;
                    (start, start + r.get().len())
                })
                .collect();
            (spans, page.next_link)
        };
        Ok(RawPage {
            body,
            spans,
            next_link,
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the page holds no record.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The records' JSON texts, in order.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        // The spans were checked as JSON (hence UTF-8) when the page was parsed.
        self.spans
            .iter()
            .map(|&(s, e)| std::str::from_utf8(&self.body[s..e]).unwrap_or(""))
    }

    /// Lays the records from index `from` on out as NDJSON (each record then `\n`) by rewriting
    /// the body in place: the single comma between two records becomes the line break, and the
    /// byte after the last record (`]` or a space) the final one. Returns where the lines are in
    /// [`RawPage::body`]; `None` (nothing changed) when the page's layout does not allow it
    /// (records spread over lines, or more than a comma between them): copy them instead. After
    /// this the body is no longer one JSON document, but [`RawPage::records`] still works.
    pub fn ndjson_in_place(&mut self, from: usize) -> Option<std::ops::Range<usize>> {
        let spans = self.spans.get(from..)?;
        let (&(start, _), &(_, end)) = (spans.first()?, spans.last()?);
        let compact = spans.windows(2).all(|w| w[1].0 == w[0].1 + 1)
            && end < self.body.len()
            && memchr::memchr(b'\n', &self.body[start..end]).is_none();
        if !compact {
            return None;
        }
        for &(_, e) in spans {
            self.body[e] = b'\n';
        }
        Some(start..end + 1)
    }

    /// The body as received (or as [`RawPage::ndjson_in_place`] left it).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body buffer, for the next page.
    pub fn into_buffer(self) -> Vec<u8> {
        self.body
    }
}

#[derive(Deserialize)]
struct TypedPageBody {
    #[serde(default)]
    value: Vec<ProvisioningObjectSummary>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// Where a page comes from: the first request, or a nextLink Graph handed out.
#[derive(Debug, Clone)]
pub enum PageCursor {
    /// The first page of a query.
    First(Box<GraphRequest>),
    /// A saved `@odata.nextLink`, followed verbatim.
    Link(String),
}

/// How many times a page whose body did not decode (cut short in transit) is fetched again by
/// typed searches. (A body cut short is usually a read error, which the client's retries cover.)
pub const DECODE_RETRIES: u32 = 3;

/// Fetches one page's body into `buf` (a buffer to reuse; pass `Vec::new()` for none) without
/// reading it: see [`RawPage::parse`] and [`peek_next_link`].
pub async fn fetch_page_body(
    client: &GraphClient,
    cursor: &PageCursor,
    mut buf: Vec<u8>,
) -> Result<Vec<u8>, GraphError> {
    match cursor {
        PageCursor::First(req) => client.send_into(req, &mut buf).await?,
        PageCursor::Link(l) => client.get_link_into(l, &mut buf).await?,
    };
    Ok(buf)
}

/// The `@odata.nextLink` of a page body, read from its end without parsing the page (Graph writes
/// it as the last member), so the next request can start while this page is still being read.
/// `None` when the body does not end with one (the last page, a body cut short, another layout).
/// [`RawPage::parse`] has the last word: a caller must check that it found the same link.
pub fn peek_next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"@odata.nextLink\":";
    let end = body.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if body[end] != b'}' {
        return None;
    }
    let from = end.saturating_sub(16 * 1024);
    let at = from + memchr::memmem::rfind(&body[from..end], KEY)? + KEY.len();
    serde_json::from_slice::<String>(body[at..end].trim_ascii()).ok()
}

/// How a page's URL is shown in errors (without its query).
pub fn cursor_url(client: &GraphClient, cursor: &PageCursor) -> String {
    let url = match cursor {
        PageCursor::First(req) => client.url_for(req).to_string(),
        PageCursor::Link(l) => l.clone(),
    };
    url.split('?').next().unwrap_or_default().to_owned()
}

async fn fetch_typed_page(
    client: &GraphClient,
    cursor: &PageCursor,
) -> Result<(Vec<ProvisioningObjectSummary>, Option<String>), GraphError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let resp = match cursor {
            PageCursor::First(req) => client.send(req).await?,
            PageCursor::Link(l) => client.get_link(l).await?,
        };
        let mut de = serde_json::Deserializer::from_slice(&resp.body);
        match serde_path_to_error::deserialize::<_, TypedPageBody>(&mut de) {
            Ok(b) => return Ok((b.value, b.next_link)),
            // A syntax error is a body cut short; a data error is a shape we do not understand.
            Err(e) if e.inner().is_eof() && attempt <= DECODE_RETRIES => {}
            Err(e) => {
                return Err(GraphError::Decode {
                    url: resp.url,
                    path: e.path().to_string(),
                    message: e.inner().to_string(),
                });
            }
        }
    }
}

/// Searches the provisioning logs: a stream of records in the query's order, one page fetched at a
/// time, stopping (without fetching further pages) once `query.limit` records were yielded.
pub fn search(
    client: &GraphClient,
    query: &LogQuery,
) -> Result<BoxStream<'static, Result<ProvisioningObjectSummary, GraphError>>, FilterError> {
    Ok(search_request(client, query.to_request()?, query.limit))
}

/// Like [`search`], for a request built by hand (e.g. `$filter=id eq '...'`).
pub fn search_request(
    client: &GraphClient,
    first: GraphRequest,
    limit: Option<u64>,
) -> BoxStream<'static, Result<ProvisioningObjectSummary, GraphError>> {
    let first = PageCursor::First(Box::new(first));
    let limit = limit.unwrap_or(u64::MAX);
    let client = client.clone();
    // The remaining count travels with the cursor, so no page is fetched once the limit is met.
    let pages = stream::try_unfold((Some(first), limit), move |(cursor, left)| {
        let client = client.clone();
        async move {
            let Some(cursor) = cursor.filter(|_| left > 0) else {
                return Ok(None);
            };
            let (mut items, next) = fetch_typed_page(&client, &cursor).await?;
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(items.len());
            items.truncate(take);
            let left = left - take as u64;
            Ok::<_, GraphError>(Some((items, (next.map(PageCursor::Link), left))))
        }
    });
    pages
        .map(|r| match r {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(e) => stream::iter([Err(e)]).right_stream(),
        })
        .flatten()
        .boxed()
}

fn id_of(i: Option<&ProvisionedIdentity>) -> &str {
    i.and_then(|i| i.id.as_deref()).unwrap_or("")
}

fn name_of(i: Option<&ProvisionedIdentity>) -> &str {
    i.and_then(|i| i.display_name.as_deref()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-25T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn object_guid_matches_source_or_target_in_canonical_form() {
        let q = LogQuery::default()
            .with_object_guid("{A3F1C9D2-5B6E-4F70-8A91-B2C3D4E5F601}")
            .unwrap();
        assert_eq!(
            q.filter().unwrap().unwrap().as_str(),
            "(sourceIdentity/id eq 'a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f601') or (targetIdentity/id eq 'a3f1c9d2-5b6e-4f70-8a91-b2c3d4e5f601')"
        );
    }

    #[test]
    fn combined_filters_are_anded_and_ordered() {
        let q = LogQuery {
            job_id: Some("AD2AADProvisioning.x.y".into()),
            status: Some(StatusFilter::Failure),
            actions: vec!["staged-delete".parse().unwrap()],
            since: Some("2026-11-01T00:00:00Z".parse().unwrap()),
            limit: Some(5),
            oldest_first: true,
            ..Default::default()
        };
        let r = q.to_request().unwrap();
        assert_eq!(
            r.query,
            vec![
                (
                    "$filter".to_string(),
                    "(jobId eq 'AD2AADProvisioning.x.y') and (provisioningStatusInfo/status eq 'failure') and (provisioningAction eq 'stagedDelete') and (activityDateTime gt 2026-11-01T00:00:00Z)".to_string()
                ),
                ("$orderby".into(), "activityDateTime asc".into()),
                ("$top".into(), "5".into()),
            ]
        );
    }

    #[test]
    fn several_actions_match_any_of_them_on_graph_and_offline() {
        let q = LogQuery {
            cycle_id: Some("c".into()),
            actions: vec![ActionFilter::Delete, ActionFilter::Disable],
            ..Default::default()
        };
        assert_eq!(
            q.filter().unwrap().unwrap().as_str(),
            "(cycleId eq 'c') and ((provisioningAction eq 'delete') or (provisioningAction eq 'disable'))"
        );
        let record = |action: &str| -> ProvisioningObjectSummary {
            serde_json::from_str(&format!(
                r#"{{"id":"x","cycleId":"c","provisioningAction":"{action}"}}"#
            ))
            .unwrap()
        };
        assert!(q.matches(&record("delete")) && q.matches(&record("disable")));
        assert!(!q.matches(&record("update")));
    }

    #[test]
    fn times_parse_relative_and_absolute_and_name_bad_values() {
        assert_eq!(
            parse_time("2h", now(), "--since").unwrap(),
            "2026-11-25T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("7d", now(), "--since").unwrap(),
            "2026-11-18T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("2026-11-01T01:00:00+01:00", now(), "--since").unwrap(),
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let e = parse_time("yesterday", now(), "--until").unwrap_err().0;
        assert!(e.contains("--until 'yesterday' is not a time"), "{e}");
        assert!(parse_time("5x", now(), "--since").is_err());
    }

    #[test]
    fn bad_status_and_action_name_the_accepted_values() {
        let e = "broken".parse::<StatusFilter>().unwrap_err().0;
        assert!(e.contains("'broken'") && e.contains("skipped"), "{e}");
        let e = "explode".parse::<ActionFilter>().unwrap_err().0;
        assert!(
            e.contains("'explode'") && e.contains("staged-delete"),
            "{e}"
        );
    }

    #[test]
    fn raw_pages_split_into_records_and_refuse_any_cut() {
        let body = r#"{"@odata.context":"x","value":[ {"id":"1","s":"a}\"]["} ,{"id":"2","n":[1,{"x":null}]}],"@odata.nextLink":"https://g/v1.0/a?$skiptoken=\u0041b"}"#;
        let page = RawPage::parse(body.as_bytes().to_vec()).unwrap();
        let recs: Vec<&str> = page.records().collect();
        assert_eq!(
            recs,
            [
                r#"{"id":"1","s":"a}\"]["}"#,
                r#"{"id":"2","n":[1,{"x":null}]}"#
            ]
        );
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://g/v1.0/a?$skiptoken=Ab")
        );
        for cut in 0..body.len() {
            assert!(
                RawPage::parse(body.as_bytes()[..cut].to_vec()).is_err(),
                "a page cut at {cut} was accepted"
            );
        }
        let empty = RawPage::parse(b"{\"value\":[]}".to_vec()).unwrap();
        assert!(empty.is_empty() && empty.next_link.is_none());
        assert!(RawPage::parse(b"[1]".to_vec()).is_err());
    }

    #[test]
    fn the_next_link_is_read_from_the_end_of_a_whole_page_only() {
        let page =
            br#"{"value":[{"id":"1"}],"@odata.nextLink":"https://g/v1.0/a?$skiptoken=x\u0026y"}
"#;
        assert_eq!(
            peek_next_link(page).as_deref(),
            Some("https://g/v1.0/a?$skiptoken=x&y")
        );
        // Cut short, last page, the link not last: no early answer (the parse decides).
        assert_eq!(peek_next_link(&page[..page.len() - 4]), None);
        assert_eq!(peek_next_link(br#"{"value":[{"id":"1"}]}"#), None);
        assert_eq!(
            peek_next_link(br#"{"@odata.nextLink":"https://g/a","value":[]}"#),
            None
        );
        assert_eq!(peek_next_link(b""), None);
    }

    #[test]
    fn compact_pages_become_ndjson_in_place_and_others_are_left_alone() {
        let body = r#"{"value":[{"id":"1","s":"a,b"},{"id":"2"},{"id":"3","n":[1,2]}],"@odata.nextLink":"https://g/x"}"#;
        let mut page = RawPage::parse(body.as_bytes().to_vec()).unwrap();
        let lines = page.ndjson_in_place(1).unwrap();
        assert_eq!(
            &page.body()[lines],
            b"{\"id\":\"2\"}\n{\"id\":\"3\",\"n\":[1,2]}\n"
        );
        // The records read the same after the rewrite.
        assert_eq!(page.records().next(), Some(r#"{"id":"1","s":"a,b"}"#));
        let mut whole = RawPage::parse(body.as_bytes().to_vec()).unwrap();
        let lines = whole.ndjson_in_place(0).unwrap();
        assert_eq!(
            whole.body()[lines].iter().filter(|&&b| b == b'\n').count(),
            3
        );
        assert!(whole.ndjson_in_place(3).is_none(), "past the end");

        // Pretty-printed pages (a record over several lines, or space between records) are not
        // rewritten: the caller copies them into single lines.
        for body in [
            "{\"value\":[{\"id\":\"1\"}, {\"id\":\"2\"}]}",
            "{\"value\":[\n  {\n    \"id\": \"1\"\n  }\n]}",
        ] {
            let mut page = RawPage::parse(body.as_bytes().to_vec()).unwrap();
            assert!(page.ndjson_in_place(0).is_none(), "{body}");
            assert_eq!(page.body(), body.as_bytes(), "left unchanged");
        }
        let mut empty = RawPage::parse(b"{\"value\":[]}".to_vec()).unwrap();
        assert!(empty.ndjson_in_place(0).is_none());
        let e = RawPage::parse(b"{\"@odata.context\":\"x\"}".to_vec()).unwrap_err();
        assert!(e.contains("no \"value\""), "{e}");
    }

    #[test]
    fn empty_range_and_bad_page_size_are_refused() {
        let q = LogQuery {
            since: Some(now()),
            until: Some(now()),
            ..Default::default()
        };
        assert!(q.to_request().is_err());
        let q = LogQuery {
            page_size: Some(1001),
            ..Default::default()
        };
        assert!(q.to_request().unwrap_err().0.contains("1001"));
    }
}
