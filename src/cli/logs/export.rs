//! `provctl logs export`: a time range of provisioning logs to a file, page by page in constant
//! memory, paced to Graph's budget, and resumable with every record exactly once.
//!
//! Design: records are fetched oldest first (`$orderby=activityDateTime asc`) and written to
//! `FILE.partial`. After each page the data is flushed and fsynced, then a checkpoint
//! (`FILE.checkpoint.json`: byte offset of the end of the last complete record, record count, the
//! nextLink, the last record's time and the ids that share it) is replaced atomically (write, fsync,
//! rename). `--resume` truncates the partial file to the checkpointed offset and follows the saved
//! nextLink; if Graph refuses it, it restarts the query from the last record's time and skips the
//! ids already written at that instant. When the last page is in, the footer is written, the file
//! fsynced and renamed over FILE, and the checkpoint removed. Records are passed through as Graph
//! sent them (NDJSON/JSON) without being deserialised.
//!
//! Speed: the next page is requested as soon as its link is read from the end of the current
//! body, so it travels while this page is parsed and written; two page buffers take turns; NDJSON
//! lines are laid out inside the received page (no copy); and on Linux the synced part of the
//! file is dropped from the page cache, so an export of gigabytes neither evicts the rest of the
//! machine's cache nor pays for fresh pages (`benches/README.md` has the numbers).

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::{CSV_HEADERS, FilterArgs, csv_row};
use crate::cli::{CliError, Context};
use crate::graph::logs::{self, LogQuery, PageCursor, RawPage};
use crate::graph::model::logs::ProvisioningObjectSummary;
use crate::graph::{GraphClient, GraphError};

/// `provctl logs export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: FilterArgs,

    /// The file to write (written to FILE.partial, renamed into place when complete).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,

    /// File format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Ndjson)]
    format: ExportFormat,

    /// Continue an interrupted export of FILE from its checkpoint.
    #[arg(long)]
    resume: bool,

    /// Replace FILE if it exists, and discard an interrupted export of it.
    #[arg(long)]
    force: bool,

    /// Do not pace requests to Graph's budget (only for an unthrottled emulator or a benchmark).
    #[arg(long, hide_short_help = true)]
    no_pacing: bool,
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One record per line, exactly as Graph sent it.
    Ndjson,
    /// A JSON array of records.
    Json,
    /// CSV: id, activityDateTime, action, status, errorCode, reason, source/target id and name,
    /// jobId, cycleId, changeId.
    Csv,
}

/// What survives a crash: enough to continue with every record exactly once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    format: ExportFormat,
    /// The `$filter` without the time range, to refuse resuming with other filters.
    filter: String,
    api: String,
    page_size: Option<u32>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    /// Bytes of the partial file that hold complete records (header included).
    offset: u64,
    /// Records written up to `offset`.
    count: u64,
    /// The next page to fetch; `None` before the first page or when complete.
    next_link: Option<String>,
    /// The last record written: its time, and the ids of every record written at that time.
    last_time: Option<String>,
    tail_ids: Vec<String>,
    /// Every page is in; only the footer and the rename remain.
    complete: bool,
}

const CHECKPOINT_VERSION: u32 = 1;

/// The longest time between two checkpoints (a paced export checkpoints after every page).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

#[derive(Clone)]
struct Paths {
    out: PathBuf,
    partial: PathBuf,
    checkpoint: PathBuf,
}

fn paths(out: &Path) -> Paths {
    let with = |suffix: &str| {
        let mut s = out.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    Paths {
        out: out.to_path_buf(),
        partial: with(".partial"),
        checkpoint: with(".checkpoint.json"),
    }
}

pub(super) async fn run(ctx: &Context, args: ExportArgs) -> Result<(), CliError> {
    if args.filters.since.is_none() && !args.resume {
        return Err(CliError::usage(
            "--since is required: say where the export starts (e.g. --since 30d, or --since 2026-11-01T00:00:00Z)",
        ));
    }
    let mut query = args.filters.to_query(ctx, false).await?;
    query.oldest_first = true;
    query.limit = None;
    let p = paths(&args.out);
    let api = query.version.as_str().to_owned();
    let base_filter = LogQuery {
        since: None,
        until: None,
        ..query.clone()
    }
    .filter()?
    .map(|f| f.as_str().to_owned())
    .unwrap_or_default();

    let (mut cp, mut file) = if args.resume && p.checkpoint.exists() {
        let cp = load_checkpoint(&p)?;
        if cp.filter != base_filter || cp.format != args.format || cp.api != api {
            return Err(CliError::usage(format!(
                "{} was made with other filters or format (filter \"{}\", format {:?}); resume with the same flags, or start over with --force",
                p.checkpoint.display(),
                cp.filter,
                cp.format
            )));
        }
        let file = reopen_partial(&p, cp.offset)?;
        eprintln!(
            "provctl: resuming the export into {} after {} records",
            p.out.display(),
            cp.count
        );
        (cp, file)
    } else {
        if args.resume && args.filters.since.is_none() {
            return Err(CliError::usage(format!(
                "--resume: there is no checkpoint {} to resume; start the export with --since",
                p.checkpoint.display()
            )));
        }
        if p.checkpoint.exists() && !args.force {
            return Err(CliError::usage(format!(
                "an interrupted export of {} exists ({})",
                p.out.display(),
                p.checkpoint.display()
            ))
            .hint("add --resume to continue it, or --force to start over"));
        }
        if p.out.exists() && !args.force {
            return Err(CliError::usage(format!(
                "{} already exists; choose another --out, or add --force to replace it",
                p.out.display()
            )));
        }
        let now = crate::output::time::now();
        let since = query.since.unwrap_or(now);
        let until = query.until.unwrap_or(now);
        if since >= until {
            return Err(CliError::usage(format!(
                "--since {} is not before --until {}: the time range is empty",
                crate::output::time::short(since),
                crate::output::time::short(until)
            )));
        }
        let cp = Checkpoint {
            version: CHECKPOINT_VERSION,
            format: args.format,
            filter: base_filter,
            api,
            page_size: query.page_size,
            since,
            until,
            offset: 0,
            count: 0,
            next_link: None,
            last_time: None,
            tail_ids: Vec::new(),
            complete: false,
        };
        let mut file = create_partial(&p)?;
        let header = header(args.format);
        write_data(&p, &mut file, &header)?;
        let mut cp = cp;
        cp.offset = header.len() as u64;
        save_checkpoint(&p, &cp)?;
        (cp, file)
    };
    // The range is fixed at the start, so a resumed export covers exactly the same records.
    query.since = Some(cp.since);
    query.until = Some(cp.until);
    query.page_size = cp.page_size;

    let graph = ctx.graph().await?;
    let client = if args.no_pacing {
        unpaced(graph)?
    } else {
        graph.clone()
    };
    let started = Instant::now();
    let start_count = cp.count;
    let progress = Progress::new(ctx, &cp);
    if !cp.complete {
        let r = crawl(&client, &query, &p, &mut file, &mut cp, &progress).await;
        progress.finish();
        if let Err(e) = r {
            // Everything up to `cp.offset` is whole pages: make it the checkpoint before leaving.
            if file.sync_data().is_ok() {
                let _ = save_checkpoint(&p, &cp);
            }
            return Err(e.hint(format!(
                "{} records are safe in {}; run the same command with --resume to continue",
                cp.count,
                p.partial.display()
            )));
        }
    }
    finish(&p, file, &cp)?;
    let secs = started.elapsed().as_secs_f64();
    let n = cp.count - start_count;
    eprintln!(
        "provctl: exported {} records to {} ({n} in {secs:.1} s, {:.0} records/s)",
        cp.count,
        p.out.display(),
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    );
    Ok(())
}

/// A client like `graph` but without pacing (same connection pool and tokens).
fn unpaced(graph: &GraphClient) -> Result<GraphClient, CliError> {
    let mut b = GraphClient::builder()
        .endpoints(graph.endpoints().clone())
        .http_client(graph.http().clone())
        .pacing(false);
    if let Some(t) = graph.token_provider() {
        b = b.shared_token_provider(t.clone());
    }
    Ok(b.build()?)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::general(format!("cannot {what} {}: {e}", path.display()))
}

fn create_partial(p: &Paths) -> Result<File, CliError> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&p.partial)
        .map_err(|e| io_err("create", &p.partial, e))
}

fn reopen_partial(p: &Paths, offset: u64) -> Result<File, CliError> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(&p.partial)
        .map_err(|e| io_err("open", &p.partial, e))?;
    let len = f
        .metadata()
        .map_err(|e| io_err("read", &p.partial, e))?
        .len();
    if len < offset {
        return Err(CliError::general(format!(
            "{} holds {len} bytes but the checkpoint says {offset} were written: the file was changed or lost data; start over with --force",
            p.partial.display()
        )));
    }
    // Anything after the checkpoint is a page that was not confirmed: it is fetched again.
    f.set_len(offset)
        .map_err(|e| io_err("truncate", &p.partial, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| io_err("seek in", &p.partial, e))?;
    Ok(f)
}

fn write_data(p: &Paths, f: &mut File, data: &[u8]) -> Result<(), CliError> {
    f.write_all(data)
        .and_then(|_| f.sync_data())
        .map_err(|e| io_err("write", &p.partial, e))
}

fn load_checkpoint(p: &Paths) -> Result<Checkpoint, CliError> {
    let text = fs::read(&p.checkpoint).map_err(|e| io_err("read", &p.checkpoint, e))?;
    let cp: Checkpoint = serde_json::from_slice(&text).map_err(|e| {
        CliError::general(format!(
            "{} is not a provctl export checkpoint: {e}",
            p.checkpoint.display()
        ))
        .hint("start over with --force")
    })?;
    if cp.version != CHECKPOINT_VERSION {
        return Err(CliError::general(format!(
            "{} was written by another provctl version (checkpoint version {}); start over with --force",
            p.checkpoint.display(),
            cp.version
        )));
    }
    Ok(cp)
}

/// Replaces the checkpoint atomically: a crash leaves the old one or the new one, never half.
fn save_checkpoint(p: &Paths, cp: &Checkpoint) -> Result<(), CliError> {
    let mut tmp = p.checkpoint.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let body = serde_json::to_vec_pretty(cp).unwrap_or_default();
    let mut f = File::create(&tmp).map_err(|e| io_err("create", &tmp, e))?;
    f.write_all(&body)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err("write", &tmp, e))?;
    fs::rename(&tmp, &p.checkpoint).map_err(|e| io_err("replace", &p.checkpoint, e))
}

fn header(format: ExportFormat) -> Vec<u8> {
    match format {
        ExportFormat::Ndjson => Vec::new(),
        ExportFormat::Json => b"[".to_vec(),
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let _ = w.write_record(CSV_HEADERS);
            w.into_inner().unwrap_or_default()
        }
    }
}

fn footer(format: ExportFormat) -> &'static [u8] {
    match format {
        ExportFormat::Json => b"\n]\n",
        _ => b"",
    }
}

/// Writes the footer, fsyncs, renames the partial file over FILE and removes the checkpoint.
fn finish(p: &Paths, mut file: File, cp: &Checkpoint) -> Result<(), CliError> {
    file.set_len(cp.offset)
        .and_then(|_| file.seek(SeekFrom::Start(cp.offset)).map(|_| ()))
        .map_err(|e| io_err("truncate", &p.partial, e))?;
    file.write_all(footer(cp.format))
        .and_then(|_| file.sync_all())
        .map_err(|e| io_err("write", &p.partial, e))?;
    drop(file);
    fs::rename(&p.partial, &p.out).map_err(|e| io_err("rename into place", &p.out, e))?;
    if let Some(dir) = p.out.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    let _ = fs::remove_file(&p.checkpoint);
    Ok(())
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    id: String,
    #[serde(rename = "activityDateTime", default)]
    time: String,
}

fn head(raw: &str) -> Head {
    serde_json::from_str(raw).unwrap_or(Head {
        id: String::new(),
        time: String::new(),
    })
}

/// Compares two Graph timestamps as instants (text comparison fails on differing precision).
fn time_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Fetches pages until the last one, appending each to the partial file and checkpointing. When
/// it returns, no checkpoint is being written any more.
async fn crawl(
    client: &GraphClient,
    query: &LogQuery,
    p: &Paths,
    file: &mut File,
    cp: &mut Checkpoint,
    progress: &Progress,
) -> Result<(), CliError> {
    let mut syncer = Syncer::default();
    let r = crawl_pages(client, query, p, file, cp, progress, &mut syncer).await;
    let waited = syncer.wait().await;
    r.and(waited)
}

async fn crawl_pages(
    client: &GraphClient,
    query: &LogQuery,
    p: &Paths,
    file: &mut File,
    cp: &mut Checkpoint,
    progress: &Progress,
    syncer: &mut Syncer,
) -> Result<(), CliError> {
    // Skipping records already written is needed only when restarting from a time.
    let mut dedup = false;
    let mut cursor = match &cp.next_link {
        Some(l) => PageCursor::Link(l.clone()),
        None => {
            let (c, d) = restart_cursor(query, cp)?;
            dedup = d;
            c
        }
    };
    let mut buf: Vec<u8> = Vec::new();
    // Two page buffers take turns: one is being filled by the next request while the other's
    // records are written, and neither is allocated again.
    let mut spare: Vec<u8> = Vec::new();
    // The next page is requested as soon as its link is known (read from the end of this page's
    // body) and arrives while this page is parsed and written; pacing still gates every request.
    let mut prefetch = Prefetch(None);
    let mut undecodable = 0;
    loop {
        let fetched = match prefetch.0.take() {
            Some((_, task)) => task.await.unwrap_or_else(|e| {
                Err(FetchError::Graph(GraphError::InvalidInput(format!(
                    "the page request stopped: {e}"
                ))))
            }),
            None => fetch(client, &cursor, std::mem::take(&mut spare)).await,
        };
        let body = match fetched {
            Ok(body) => body,
            Err(FetchError::Interrupted) => {
                return Err(CliError::general(format!(
                    "interrupted after {} records",
                    cp.count
                )));
            }
            Err(FetchError::Graph(GraphError::Service(s)))
                if s.status == 400 && matches!(cursor, PageCursor::Link(_)) =>
            {
                eprintln!(
                    "provctl: Graph refused the saved page link ({}); continuing from the last record's time instead",
                    s.code
                );
                let (c, d) = restart_cursor(query, cp)?;
                cursor = c;
                dedup = d;
                continue;
            }
            Err(FetchError::Graph(e)) => return Err(e.into()),
        };
        if let Some(l) = logs::peek_next_link(&body) {
            prefetch.start(client, l, std::mem::take(&mut spare));
        }
        let mut page = match RawPage::parse(body) {
            Ok(page) => page,
            Err(e) if undecodable < logs::DECODE_RETRIES => {
                // Cut short in transit: ask for the same page again.
                undecodable += 1;
                tracing::info!(target: "provctl::retry", "page from {} did not decode ({e}); fetching it again", logs::cursor_url(client, &cursor));
                prefetch.cancel();
                continue;
            }
            Err(e) => {
                return Err(GraphError::Decode {
                    url: logs::cursor_url(client, &cursor),
                    path: String::new(),
                    message: e,
                }
                .into());
            }
        };
        undecodable = 0;
        if let Some(l) = &page.next_link {
            cursor = PageCursor::Link(l.clone());
            if !prefetch.is_for(l) {
                prefetch.cancel();
                prefetch.start(client, l.clone(), std::mem::take(&mut spare));
            }
        } else {
            prefetch.cancel();
        }
        let next_link = page.next_link.take();
        let written = append_page(&mut page, cp, &mut buf, dedup)?;
        if written.past_tail {
            dedup = false;
        }
        let data = match written.in_place {
            Some(lines) => &page.body()[lines],
            None => &buf[..],
        };
        file.write_all(data)
            .map_err(|e| io_err("write", &p.partial, e))?;
        cp.offset += data.len() as u64;
        spare = page.into_buffer();
        cp.next_link = next_link;
        cp.complete = cp.next_link.is_none();
        // Checkpoint after the first page, the last, and at most every CHECKPOINT_EVERY between
        // (two fsyncs per 1000-record page would dominate an unthrottled export), in the
        // background while the next pages are written. A crash loses at most that much work,
        // never a record: the data is synced before the checkpoint names it.
        if cp.complete {
            syncer.wait().await?;
            checkpoint_now(file, p, cp)?;
        } else if syncer.due() {
            syncer.start(file, p, cp).await?;
        }
        progress.update(cp);
        if cp.complete {
            return Ok(());
        }
    }
}

/// Syncs the file, then replaces the checkpoint with `cp` (whose offset is all written to `file`).
fn checkpoint_now(file: &File, p: &Paths, cp: &Checkpoint) -> Result<(), CliError> {
    file.sync_data()
        .map_err(|e| io_err("write", &p.partial, e))?;
    forget_written(file, cp.offset);
    save_checkpoint(p, cp)
}

/// Checkpoints on a blocking thread while the export goes on writing: one at a time, each naming
/// only bytes that were written before its fsync began.
#[derive(Default)]
struct Syncer {
    task: Option<tokio::task::JoinHandle<Result<(), CliError>>>,
    last: Option<Instant>,
}

impl Syncer {
    /// True when no checkpoint is being written and the last one is old enough.
    fn due(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
            && self.last.is_none_or(|t| t.elapsed() >= CHECKPOINT_EVERY)
    }

    /// Starts a checkpoint of `cp` after the previous one ended (its error, if any, is returned).
    async fn start(&mut self, file: &File, p: &Paths, cp: &Checkpoint) -> Result<(), CliError> {
        self.wait().await?;
        let file = file
            .try_clone()
            .map_err(|e| io_err("reopen", &p.partial, e))?;
        let (p, cp) = (p.clone(), cp.clone());
        self.task = Some(tokio::task::spawn_blocking(move || {
            checkpoint_now(&file, &p, &cp)
        }));
        self.last = Some(Instant::now());
        Ok(())
    }

    /// Waits for the checkpoint being written, if any.
    async fn wait(&mut self) -> Result<(), CliError> {
        match self.task.take() {
            Some(t) => t
                .await
                .unwrap_or_else(|e| Err(CliError::general(format!("the checkpoint stopped: {e}")))),
            None => Ok(()),
        }
    }
}

/// Tells the kernel that the synced part of the file will not be read again, so a long export
/// does not fill the page cache (and evict everything else) with gigabytes it only writes; the
/// pages it frees are reused for the next ones. Advice only: failures are ignored.
fn forget_written(file: &File, synced: u64) {
    #[cfg(target_os = "linux")]
    {
        let len = std::num::NonZeroU64::new(synced);
        if len.is_some() {
            let _ = rustix::fs::fadvise(file, 0, len, rustix::fs::Advice::DontNeed);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, synced);
}

type PageTask = tokio::task::JoinHandle<Result<Vec<u8>, FetchError>>;

/// The request for the next page (with its link), stopped if the export stops.
struct Prefetch(Option<(String, PageTask)>);

impl Prefetch {
    fn start(&mut self, client: &GraphClient, link: String, into: Vec<u8>) {
        let (client, next) = (client.clone(), PageCursor::Link(link.clone()));
        let task = tokio::spawn(async move { fetch(&client, &next, into).await });
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

/// The first request again, from the last written record's time when there is one.
fn restart_cursor(query: &LogQuery, cp: &Checkpoint) -> Result<(PageCursor, bool), CliError> {
    let mut q = query.clone();
    let mut dedup = false;
    if let Some(t) = cp.last_time.as_deref()
        && let Ok(t) = DateTime::parse_from_rfc3339(t)
    {
        // `gt` one millisecond earlier includes the last instant; its ids already written are skipped.
        let from = t.with_timezone(&Utc) - chrono::Duration::milliseconds(1);
        q.since = Some(q.since.map_or(from, |s| s.max(from)));
        dedup = true;
    }
    Ok((PageCursor::First(Box::new(q.to_request()?)), dedup))
}

struct Appended {
    /// A record newer than the checkpointed instant was seen: no more skipping needed.
    past_tail: bool,
    /// The page's records already laid out as NDJSON inside the page itself (nothing was copied
    /// to the buffer); `None` when they were written to the buffer.
    in_place: Option<std::ops::Range<usize>>,
}

/// Lays out one page's records for the file (in the page itself for NDJSON when possible,
/// otherwise in `buf`) and advances the checkpoint's count and last record.
fn append_page(
    page: &mut RawPage,
    cp: &mut Checkpoint,
    buf: &mut Vec<u8>,
    dedup: bool,
) -> Result<Appended, CliError> {
    buf.clear();
    let mut past_tail = !dedup;
    // Which records to write: after a restart from a time, those already written are skipped.
    let mut keep = Vec::new();
    for (i, raw) in page.records().enumerate() {
        if !past_tail {
            let h = head(raw);
            match cp.last_time.as_deref().map(|t| time_cmp(&h.time, t)) {
                Some(std::cmp::Ordering::Less) => continue,
                Some(std::cmp::Ordering::Equal) if cp.tail_ids.contains(&h.id) => continue,
                Some(std::cmp::Ordering::Greater) | None => past_tail = true,
                Some(std::cmp::Ordering::Equal) => {}
            }
        }
        keep.push(i);
        if past_tail {
            // Everything from here on is written.
            keep.extend(i + 1..page.len());
            break;
        }
    }
    let first = cp.count;
    cp.count += keep.len() as u64;
    update_tail(page, cp);
    // The common case, NDJSON of a whole page (or of its tail): no copy at all.
    let suffix = keep.first().is_some_and(|&k| keep.len() == page.len() - k);
    if cp.format == ExportFormat::Ndjson && suffix {
        let from = keep[0];
        if let Some(lines) = page.ndjson_in_place(from) {
            return Ok(Appended {
                past_tail,
                in_place: Some(lines),
            });
        }
    }
    let records: Vec<&str> = page.records().collect();
    for (n, &i) in keep.iter().enumerate() {
        write_record(cp.format, first + n as u64, records[i], buf)?;
    }
    Ok(Appended {
        past_tail,
        in_place: None,
    })
}

/// Sets `last_time`/`tail_ids` from the end of the page (walking back while the time repeats).
fn update_tail(page: &RawPage, cp: &mut Checkpoint) {
    let Some(last) = page.records().next_back() else {
        return;
    };
    let last = head(last);
    let same_as_before = cp
        .last_time
        .as_deref()
        .is_some_and(|t| time_cmp(t, &last.time) == std::cmp::Ordering::Equal);
    let mut ids = Vec::new();
    let mut whole_page = true;
    for raw in page.records().rev() {
        let h = head(raw);
        if time_cmp(&h.time, &last.time) != std::cmp::Ordering::Equal {
            whole_page = false;
            break;
        }
        ids.push(h.id);
    }
    if whole_page && same_as_before {
        for id in ids {
            if !cp.tail_ids.contains(&id) {
                cp.tail_ids.push(id);
            }
        }
    } else {
        cp.tail_ids = ids;
    }
    cp.last_time = Some(last.time);
}

fn write_record(
    format: ExportFormat,
    index: u64,
    text: &str,
    buf: &mut Vec<u8>,
) -> Result<(), CliError> {
    match format {
        ExportFormat::Ndjson | ExportFormat::Json => {
            if format == ExportFormat::Json {
                buf.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
            }
            if text.as_bytes().contains(&b'\n') {
                // Pretty-printed by the server: one line per record is the format's promise.
                let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                    CliError::general(format!("Graph sent a record that is not JSON: {e}"))
                })?;
                serde_json::to_writer(&mut *buf, &v)
                    .map_err(|e| CliError::general(e.to_string()))?;
            } else {
                buf.extend_from_slice(text.as_bytes());
            }
            if format == ExportFormat::Ndjson {
                buf.push(b'\n');
            }
        }
        ExportFormat::Csv => {
            let r: ProvisioningObjectSummary = serde_json::from_str(text).map_err(|e| {
                CliError::general(format!(
                    "Graph sent a record provctl cannot read for CSV: {e}"
                ))
            })?;
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut *buf);
            w.write_record(csv_row(&r))
                .and_then(|_| w.flush().map_err(csv::Error::from))
                .map_err(|e| CliError::general(e.to_string()))?;
        }
    }
    Ok(())
}

enum FetchError {
    Interrupted,
    Graph(GraphError),
}

/// How many times a page is asked for again after the client's own retries gave up on a
/// transient failure (network, 5xx, 429, a body cut short).
const PAGE_ATTEMPTS: u32 = 4;

/// One page's body, asked for again after the client's own retries gave up on a transient
/// failure; stops at Ctrl-C.
async fn fetch(
    client: &GraphClient,
    cursor: &PageCursor,
    buf: Vec<u8>,
) -> Result<Vec<u8>, FetchError> {
    let mut attempt = 0;
    let mut buf = Some(buf);
    loop {
        attempt += 1;
        let r = tokio::select! {
            r = logs::fetch_page_body(client, cursor, buf.take().unwrap_or_default()) => r,
            _ = tokio::signal::ctrl_c() => return Err(FetchError::Interrupted),
        };
        match r {
            Ok(p) => return Ok(p),
            Err(e) if attempt < PAGE_ATTEMPTS && transient(&e) => {
                tracing::info!(target: "provctl::retry", "page failed ({e}); asking again");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(u64::from(attempt))) => {}
                    _ = tokio::signal::ctrl_c() => return Err(FetchError::Interrupted),
                }
            }
            Err(e) => return Err(FetchError::Graph(e)),
        }
    }
}

fn transient(e: &GraphError) -> bool {
    match e {
        GraphError::Transport { .. } | GraphError::Decode { .. } => true,
        GraphError::Service(s) => matches!(s.status, 429 | 500 | 502 | 503 | 504),
        _ => false,
    }
}

/// The progress bar on stderr (a terminal only): records, rate, and the ETA from how far the
/// last record's time is through the range.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    since: DateTime<Utc>,
    started: Instant,
    start_count: u64,
}

impl Progress {
    fn new(ctx: &Context, cp: &Checkpoint) -> Progress {
        use std::io::IsTerminal;
        let on =
            std::io::stderr().is_terminal() && ctx.out.format != crate::output::OutputFormat::None;
        let span = (cp.until - cp.since).num_milliseconds().max(1) as u64;
        let bar = on.then(|| {
            let b = indicatif::ProgressBar::new(span);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Progress {
            bar,
            since: cp.since,
            started: Instant::now(),
            start_count: cp.count,
        }
    }

    fn update(&self, cp: &Checkpoint) {
        let Some(b) = &self.bar else { return };
        if let Some(t) = cp
            .last_time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            let done = (t.with_timezone(&Utc) - self.since)
                .num_milliseconds()
                .max(0) as u64;
            b.set_position(done);
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (cp.count - self.start_count) as f64 / secs;
        b.set_message(format!("{} records, {rate:.0}/s", cp.count));
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
