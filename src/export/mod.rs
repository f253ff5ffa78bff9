//! The log export engine: a time range of provisioning logs to a file, oldest first, in constant
//! memory, resumable after a crash, a full disk or a signal with every record exactly once; or to
//! any writer (stdout) with no checkpoint. `provctl logs export` maps its flags to [`run`] and
//! draws the [`ExportEvent`]s it reports; nothing here prints.
//!
//! - [`crawl`]: the pages, from Graph, with their resumable [`crawl::Position`] (also the API for
//!   any other long pass over the logs).
//! - [`format`](mod@format): NDJSON, JSON or CSV, and which one a file name asks for.
//! - [`checkpoint`]: `FILE.checkpoint.json`, sealed with a checksum and a fingerprint of its file.
//!
//! To a file, records go to `FILE.partial`. After a page is written, the checkpoint is replaced
//! only once the bytes it names are durable (fsync first, on a blocking thread beside the writer,
//! at most every [`CHECKPOINT_EVERY`] and after the first and last pages); it names exactly them
//! (offset, count, position, fingerprint), never a page that failed half-way. On any failure the
//! engine truncates the partial file to the last whole page, syncs it, and checkpoints that; the
//! error says how many records the checkpoint on disk holds. `resume` checks the checkpoint
//! against itself, its file and the plan, truncates the file to its offset and goes on from its
//! position. When the last page is in, the footer is written, the file synced and renamed over
//! FILE, and the checkpoint removed.
//!
//! Speed (`benches/README.md`): records are never deserialised for NDJSON/JSON, NDJSON lines are
//! laid out inside the received page, the next page travels while this one is written, and on
//! Linux the synced part of the file is dropped from the page cache (`posix_fadvise`).

pub mod checkpoint;
pub mod crawl;
pub mod format;

use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::graph::logs::LogQuery;
use crate::graph::odata::FilterError;
use crate::graph::{GraphClient, GraphError, ServiceError};
use checkpoint::{CHECKPOINT_VERSION, Checkpoint, Fingerprint};
use crawl::{CrawlError, LogCrawl, Position};
use format::ExportFormat;

/// The longest time between two checkpoints (a paced export checkpoints after every page).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// A time bound as the user gave it: the instant, and the words (`30d`), so that the same words
/// on a resume mean the range the export started with.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeArg {
    /// The instant.
    pub at: DateTime<Utc>,
    /// As written.
    pub text: String,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    /// The filters, page size and API version (its `since`, `until`, `limit` and order are not
    /// used: the range is `since`/`until` below, the order oldest first).
    pub query: LogQuery,
    /// Where the range starts; required for a new export, optional on a resume.
    pub since: Option<TimeArg>,
    /// Where it ends (default: when the export starts).
    pub until: Option<TimeArg>,
    /// The file format.
    pub format: ExportFormat,
}

/// Where the records go.
pub enum Destination {
    /// A file, through `FILE.partial` and a checkpoint.
    File(FileDestination),
    /// Any writer (stdout): no checkpoint, not resumable.
    Stream(Box<dyn Write + Send>),
}

/// An export to a file.
pub struct FileDestination {
    /// The file.
    pub path: PathBuf,
    /// Continue the interrupted export of `path` from its checkpoint.
    pub resume: bool,
    /// Replace `path` if it exists, and discard an interrupted export of it.
    pub force: bool,
    /// How files are written (tests put a failing writer here).
    pub seam: Arc<dyn WriteSeam>,
}

impl FileDestination {
    /// A new export to `path`, or a resumed one.
    pub fn new(path: impl Into<PathBuf>, resume: bool, force: bool) -> FileDestination {
        FileDestination {
            path: path.into(),
            resume,
            force,
            seam: Arc::new(Passthrough),
        }
    }
}

/// Which file a write goes to (for a [`WriteSeam`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// `FILE.partial`: the records.
    Data,
    /// `FILE.checkpoint.json.tmp`: the next checkpoint.
    Checkpoint,
}

/// How the export writes its files: the seam where a test makes a disk fill up or fail. Syncs,
/// truncation and renames still go to the file itself.
pub trait WriteSeam: Send + Sync {
    /// The writer for `file` (already positioned where writing starts).
    fn wrap(&self, file: File, role: FileRole) -> Box<dyn Write + Send>;
}

/// Writes go straight to the file.
pub struct Passthrough;

impl WriteSeam for Passthrough {
    fn wrap(&self, file: File, _: FileRole) -> Box<dyn Write + Send> {
        Box::new(file)
    }
}

/// A writer that accepts `left` more bytes and then fails with `kind` (a full disk is
/// `StorageFull`), writing the part of a buffer that fits first, as a disk does.
pub struct FailingWriter<W> {
    inner: W,
    left: u64,
    kind: std::io::ErrorKind,
}

impl<W: Write> FailingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, left: u64, kind: std::io::ErrorKind) -> Self {
        FailingWriter { inner, left, kind }
    }
}

impl<W: Write> Write for FailingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 && !buf.is_empty() {
            return Err(self.kind.into());
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.write(&buf[..n])?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What the export reports as it goes (the CLI draws it).
#[derive(Debug)]
pub enum ExportEvent<'a> {
    /// The range is fixed; `resumed_after` is the record count of the checkpoint resumed.
    Started {
        /// Start of the range.
        since: DateTime<Utc>,
        /// End of the range.
        until: DateTime<Utc>,
        /// Records already exported, when resuming.
        resumed_after: Option<u64>,
    },
    /// Graph refused the saved page link (an expired `$skiptoken`); the export goes on from the
    /// last record's time.
    LinkRefused(&'a ServiceError),
    /// A page was written.
    Progress {
        /// Records in the file so far.
        count: u64,
        /// Time of the last record written.
        last_time: Option<&'a str>,
    },
}

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records in the file (or written to the stream).
    pub count: u64,
    /// Of those, written by this run.
    pub added: u64,
}

/// Records that are safe after a failure: what the checkpoint on disk holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Safe {
    /// Records the checkpoint vouches for.
    pub count: u64,
    /// The partial file holding them.
    pub partial: PathBuf,
}

impl From<GraphError> for Failure {
    fn from(e: GraphError) -> Self {
        Failure::Graph(Box::new(e))
    }
}

/// Why an export stopped part-way.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Graph (or the network) failed after the client's retries (boxed: a Graph error is large,
    /// and every export result carries this type).
    #[error(transparent)]
    Graph(Box<GraphError>),
    /// A file could not be written.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Graph sent a record this format cannot hold.
    #[error("{0}")]
    Record(String),
    /// The stop signal came.
    #[error("stopped")]
    Stopped,
}

impl From<CrawlError> for Failure {
    fn from(e: CrawlError) -> Self {
        match e {
            CrawlError::Graph(g) => Failure::Graph(Box::new(g)),
            other => Failure::Graph(Box::new(GraphError::InvalidInput(other.to_string()))),
        }
    }
}

/// A setting a resume was asked with that differs from the one the export started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The filters (everything but the range).
    Filters,
    /// The start of the range.
    Since,
    /// The end of the range.
    Until,
    /// Records per page.
    PageSize,
    /// The file format.
    Format,
    /// The API version.
    Api,
}

/// One difference between a resume and its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Which setting.
    pub setting: Setting,
    /// What the checkpoint says.
    pub saved: String,
    /// What the resume asked for.
    pub asked: String,
}

/// Why an export did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A new export has no start.
    #[error("a new export needs the start of its range")]
    NoStart,
    /// The range is empty.
    #[error("the range is empty: {since} is not before {until}")]
    EmptyRange {
        /// Start.
        since: DateTime<Utc>,
        /// End.
        until: DateTime<Utc>,
    },
    /// The filters cannot be asked.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The file exists and `force` was not given.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    /// An interrupted export of the file exists, and neither `resume` nor `force` was given.
    #[error("an interrupted export of {} exists ({})", out.display(), checkpoint.display())]
    Unfinished {
        /// The file.
        out: PathBuf,
        /// Its checkpoint.
        checkpoint: PathBuf,
    },
    /// `resume` without a checkpoint and without a start.
    #[error("there is no checkpoint {} to resume", .0.display())]
    NothingToResume(PathBuf),
    /// The resume asks for other settings than the checkpoint holds.
    #[error("{} was made with other settings", checkpoint.display())]
    Changed {
        /// The checkpoint.
        checkpoint: PathBuf,
        /// What differs.
        changes: Vec<Change>,
    },
    /// The checkpoint cannot be trusted (damaged, edited, or not matching its file).
    #[error("{} {problem}", path.display())]
    BadCheckpoint {
        /// The checkpoint or the partial file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The export stopped part-way.
    #[error("{cause}")]
    Failed {
        /// Why.
        cause: Failure,
        /// What is safe on disk (`None` for a stream).
        safe: Option<Safe>,
    },
}

/// `FILE.partial`: the records until the export is complete.
pub fn partial_path(out: &Path) -> PathBuf {
    with_suffix(out, ".partial")
}

/// `FILE.checkpoint.json`: where an interrupted export of `out` stands.
pub fn checkpoint_path(out: &Path) -> PathBuf {
    with_suffix(out, ".checkpoint.json")
}

fn with_suffix(out: &Path, suffix: &str) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Runs an export until it is complete, fails, or `stop` resolves (then the checkpoint is
/// written, and [`Failure::Stopped`] returned). `client` paces or not as it was built
/// ([`GraphClient::with_pacing`]); its retry policy is the only one.
pub async fn run(
    client: &GraphClient,
    plan: &ExportPlan,
    destination: Destination,
    stop: impl Future<Output = ()>,
    on_event: &mut (dyn FnMut(ExportEvent<'_>) + Send),
) -> Result<ExportSummary, ExportError> {
    match destination {
        Destination::File(f) => to_file(client, plan, f, stop, on_event).await,
        Destination::Stream(w) => to_stream(client, plan, w, stop, on_event).await,
    }
}

/// The filter text without the range, as the checkpoint keeps it.
fn base_filter(plan: &ExportPlan) -> Result<String, FilterError> {
    let q = LogQuery {
        since: None,
        until: None,
        ..plan.query.clone()
    };
    Ok(q.filter()?
        .map(|f| f.as_str().to_owned())
        .unwrap_or_default())
}

/// A new export's checkpoint (before the header is written).
fn fresh(plan: &ExportPlan) -> Result<Checkpoint, ExportError> {
    let since = plan.since.as_ref().ok_or(ExportError::NoStart)?;
    let now = crate::output::time::now();
    let until = plan.until.as_ref().map_or(now, |u| u.at);
    if since.at >= until {
        return Err(ExportError::EmptyRange {
            since: since.at,
            until,
        });
    }
    let header = plan.format.header();
    Ok(Checkpoint {
        version: CHECKPOINT_VERSION,
        format: plan.format,
        filter: base_filter(plan)?,
        api: plan.query.version.as_str().to_owned(),
        page_size: plan.query.page_size,
        since: since.at,
        since_text: Some(since.text.clone()),
        until,
        until_text: plan.until.as_ref().map(|u| u.text.clone()),
        offset: header.len() as u64,
        count: 0,
        position: Position::default(),
        tail: Fingerprint::of(&header),
        complete: false,
        written_at: Utc::now(),
    })
}

/// The query a checkpoint's export crawls.
fn query_of(plan: &ExportPlan, cp: &Checkpoint) -> LogQuery {
    LogQuery {
        since: Some(cp.since),
        until: Some(cp.until),
        page_size: cp.page_size,
        ..plan.query.clone()
    }
}

/// What differs between the plan of a resume and the checkpoint it resumes.
fn changes(plan: &ExportPlan, cp: &Checkpoint) -> Result<Vec<Change>, FilterError> {
    let mut out = Vec::new();
    let mut differ = |setting, saved: String, asked: String| {
        if saved != asked {
            out.push(Change {
                setting,
                saved,
                asked,
            });
        }
    };
    let shown = |f: &str| {
        if f.is_empty() {
            "(none)".to_owned()
        } else {
            f.to_owned()
        }
    };
    differ(
        Setting::Filters,
        shown(&cp.filter),
        shown(&base_filter(plan)?),
    );
    differ(
        Setting::Format,
        cp.format.to_string(),
        plan.format.to_string(),
    );
    differ(
        Setting::Api,
        cp.api.clone(),
        plan.query.version.as_str().to_owned(),
    );
    if let Some(p) = plan.query.page_size {
        let saved = cp
            .page_size
            .map_or("(default)".to_owned(), |s| s.to_string());
        differ(Setting::PageSize, saved, p.to_string());
    }
    // A bound given again must be the same instant, or the same words (`30d` then and now).
    let bound = |given: &Option<TimeArg>, at: DateTime<Utc>, text: &Option<String>| {
        given.as_ref().and_then(|g| {
            let same = g.at == at || text.as_deref() == Some(g.text.as_str());
            let saved = match text {
                Some(t) if DateTime::parse_from_rfc3339(t).is_err() => {
                    format!("{t} ({})", crate::graph::odata::datetime_literal(at))
                }
                _ => crate::graph::odata::datetime_literal(at),
            };
            (!same).then(|| (saved, g.text.clone()))
        })
    };
    if let Some((saved, asked)) = bound(&plan.since, cp.since, &cp.since_text) {
        differ(Setting::Since, saved, asked);
    }
    if let Some((saved, asked)) = bound(&plan.until, cp.until, &cp.until_text) {
        differ(Setting::Until, saved, asked);
    }
    Ok(out)
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Failure + 'a {
    move |source| Failure::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn failed(cause: Failure) -> ExportError {
    ExportError::Failed { cause, safe: None }
}

async fn to_file(
    client: &GraphClient,
    plan: &ExportPlan,
    dest: FileDestination,
    stop: impl Future<Output = ()>,
    on_event: &mut (dyn FnMut(ExportEvent<'_>) + Send),
) -> Result<ExportSummary, ExportError> {
    let out = dest.path.clone();
    let (partial, cp_path) = (partial_path(&out), checkpoint_path(&out));
    let seam = dest.seam.clone();
    let resuming = dest.resume && cp_path.exists();
    let (cp, file) = if resuming {
        let cp = Checkpoint::load(&cp_path).map_err(|problem| ExportError::BadCheckpoint {
            path: cp_path.clone(),
            problem,
        })?;
        let changes = changes(plan, &cp)?;
        if !changes.is_empty() {
            return Err(ExportError::Changed {
                checkpoint: cp_path,
                changes,
            });
        }
        let file = reopen(&partial, &cp)?;
        (cp, file)
    } else {
        if dest.resume && plan.since.is_none() {
            return Err(ExportError::NothingToResume(cp_path));
        }
        if cp_path.exists() && !dest.force {
            return Err(ExportError::Unfinished {
                out,
                checkpoint: cp_path,
            });
        }
        if out.exists() && !dest.force {
            return Err(ExportError::Exists(out));
        }
        let cp = fresh(plan)?;
        let file = create(&partial, &cp_path, &cp, seam.as_ref()).map_err(failed)?;
        (cp, file)
    };
    on_event(ExportEvent::Started {
        since: cp.since,
        until: cp.until,
        resumed_after: resuming.then_some(cp.count),
    });
    let start_count = cp.count;
    let mut written = cp.clone();
    if written.complete {
        // Not trusted: a crawl from the last record's time finds whatever a false claim skipped,
        // at the price of one request when it was true.
        written.complete = false;
        written.position.next_link = None;
    }
    let mut crawl = LogCrawl::resume(client, query_of(plan, &cp), written.position.clone())
        .map_err(|e| failed(e.into()))?;
    let writer = file
        .try_clone()
        .map(|f| seam.wrap(f, FileRole::Data))
        .map_err(|e| failed(io("open", &partial)(e)))?;
    let mut sink = FileSink {
        partial,
        cp_path,
        out,
        file,
        writer,
        seam,
        syncer: Syncer::default(),
        saved: cp,
    };
    let stop = std::pin::pin!(stop);
    let r = pump(&mut crawl, &mut written, &mut sink, stop, on_event).await;
    drop(crawl);
    match r {
        Ok(()) => sink.finish(&written).await,
        Err(cause) => Err(sink.abandon(&written, cause).await),
    }
    .map(|()| ExportSummary {
        count: written.count,
        added: written.count - start_count,
    })
}

/// Creates the partial file with its header, durable, and the first checkpoint. Nothing is left
/// behind if that fails.
fn create(
    partial: &Path,
    cp_path: &Path,
    cp: &Checkpoint,
    seam: &dyn WriteSeam,
) -> Result<File, Failure> {
    let r = (|| {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(true)
            .open(partial)
            .map_err(io("create", partial))?;
        let mut w = file
            .try_clone()
            .map(|f| seam.wrap(f, FileRole::Data))
            .map_err(io("create", partial))?;
        w.write_all(&cp.format.header())
            .and_then(|_| w.flush())
            .and_then(|_| file.sync_data())
            .map_err(io("write", partial))?;
        drop(w);
        cp.save(cp_path, seam).map_err(io("write", cp_path))?;
        Ok(file)
    })();
    if r.is_err() {
        let _ = fs::remove_file(partial);
    }
    r
}

/// Opens the partial file of a checkpoint, checks that it holds what the checkpoint vouches for,
/// and cuts off anything after (a page that was not confirmed is fetched again).
fn reopen(partial: &Path, cp: &Checkpoint) -> Result<File, ExportError> {
    let bad = |problem: String| ExportError::BadCheckpoint {
        path: partial.to_path_buf(),
        problem,
    };
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(partial)
        .map_err(|e| bad(format!("cannot be opened: {e}")))?;
    cp.matches_file(&mut f).map_err(bad)?;
    f.set_len(cp.offset)
        .and_then(|_| f.seek(SeekFrom::Start(cp.offset)))
        .map_err(|e| failed(io("truncate", partial)(e)))?;
    Ok(f)
}

async fn to_stream(
    client: &GraphClient,
    plan: &ExportPlan,
    mut w: Box<dyn Write + Send>,
    stop: impl Future<Output = ()>,
    on_event: &mut (dyn FnMut(ExportEvent<'_>) + Send),
) -> Result<ExportSummary, ExportError> {
    let mut written = fresh(plan)?;
    on_event(ExportEvent::Started {
        since: written.since,
        until: written.until,
        resumed_after: None,
    });
    let stdout = PathBuf::from("stdout");
    w.write_all(&plan.format.header())
        .map_err(|e| failed(io("write to", &stdout)(e)))?;
    let mut crawl = LogCrawl::resume(client, query_of(plan, &written), Position::default())
        .map_err(|e| failed(e.into()))?;
    let mut sink = StreamSink(w);
    let stop = std::pin::pin!(stop);
    pump(&mut crawl, &mut written, &mut sink, stop, on_event)
        .await
        .map_err(failed)?;
    sink.0
        .write_all(plan.format.footer())
        .and_then(|_| sink.0.flush())
        .map_err(|e| failed(io("write to", &stdout)(e)))?;
    Ok(ExportSummary {
        count: written.count,
        added: written.count,
    })
}

/// Where the pages go.
trait Sink {
    /// Writes a page's bytes (all of them, or an error).
    fn write(&mut self, data: &[u8]) -> Result<(), Failure>;
    /// After a page: `written` describes every byte written so far.
    async fn page_done(&mut self, written: &Checkpoint) -> Result<(), Failure>;
}

/// Crawls and writes until the last page; `written` always describes exactly the bytes written.
async fn pump<S: Sink>(
    crawl: &mut LogCrawl,
    written: &mut Checkpoint,
    sink: &mut S,
    mut stop: std::pin::Pin<&mut impl Future<Output = ()>>,
    on_event: &mut (dyn FnMut(ExportEvent<'_>) + Send),
) -> Result<(), Failure> {
    let format = written.format;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let next = tokio::select! {
            biased;
            () = &mut stop => return Err(Failure::Stopped),
            p = crawl.next_page() => p?,
        };
        let Some(mut page) = next else {
            return Ok(());
        };
        if let Some(e) = page.refused_link() {
            on_event(ExportEvent::LinkRefused(e));
        }
        let n = page.len() as u64;
        // The common case, NDJSON of a whole page (or of its tail): no copy at all.
        let in_place = match format {
            ExportFormat::Ndjson => page.ndjson_in_place(),
            _ => None,
        };
        let (data, last) = match in_place {
            Some((lines, last)) => (&page.body()[lines], last),
            None => {
                buf.clear();
                let mut last = 0;
                for (i, text) in page.records().enumerate() {
                    last = buf.len();
                    format
                        .write_record(written.count + i as u64, text, &mut buf)
                        .map_err(Failure::Record)?;
                }
                (&buf[..], last)
            }
        };
        sink.write(data)?;
        // Only now, with every byte of the page written, does the ledger move.
        written.offset += data.len() as u64;
        if n > 0 {
            written.tail = Fingerprint::of(&data[last..]);
        }
        written.count += n;
        written.position = page.position().clone();
        written.complete = page.is_last();
        crawl.recycle(page);
        sink.page_done(written).await?;
        on_event(ExportEvent::Progress {
            count: written.count,
            last_time: written.position.last_time.as_deref(),
        });
    }
}

struct StreamSink(Box<dyn Write + Send>);

impl Sink for StreamSink {
    fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.0
            .write_all(data)
            .map_err(io("write to", Path::new("stdout")))
    }

    async fn page_done(&mut self, _: &Checkpoint) -> Result<(), Failure> {
        Ok(())
    }
}

struct FileSink {
    partial: PathBuf,
    cp_path: PathBuf,
    out: PathBuf,
    /// For syncs and truncation (the writer writes through a clone of it).
    file: File,
    writer: Box<dyn Write + Send>,
    seam: Arc<dyn WriteSeam>,
    syncer: Syncer,
    /// The checkpoint on disk.
    saved: Checkpoint,
}

impl Sink for FileSink {
    fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.writer
            .write_all(data)
            .and_then(|_| self.writer.flush())
            .map_err(io("write", &self.partial))
    }

    async fn page_done(&mut self, written: &Checkpoint) -> Result<(), Failure> {
        // Checkpoint after the first page, the last, and at most every CHECKPOINT_EVERY between
        // (two fsyncs per 1000-record page would dominate an unthrottled export), in the
        // background while the next pages are written.
        if written.complete {
            self.wait().await?;
            let cp = checkpoint_now(
                &self.file,
                &self.partial,
                &self.cp_path,
                written,
                &*self.seam,
            )?;
            self.saved = cp;
        } else if self.syncer.due() {
            self.wait().await?;
            let file = self.file.try_clone().map_err(io("reopen", &self.partial))?;
            let (partial, path) = (self.partial.clone(), self.cp_path.clone());
            let (cp, seam) = (written.clone(), self.seam.clone());
            self.syncer.task = Some(tokio::task::spawn_blocking(move || {
                checkpoint_now(&file, &partial, &path, &cp, seam.as_ref())
            }));
            self.syncer.last = Some(Instant::now());
        }
        Ok(())
    }
}

impl FileSink {
    /// Waits for the checkpoint being written, if any, and records it as the one on disk.
    async fn wait(&mut self) -> Result<(), Failure> {
        if let Some(cp) = self.syncer.wait().await? {
            self.saved = cp;
        }
        Ok(())
    }

    /// Writes the footer, syncs, renames the partial file over FILE and removes the checkpoint.
    async fn finish(mut self, written: &Checkpoint) -> Result<(), ExportError> {
        let r = self.try_finish(written).await;
        match r {
            Ok(()) => Ok(()),
            Err(cause) => Err(self.abandon(written, cause).await),
        }
    }

    async fn try_finish(&mut self, written: &Checkpoint) -> Result<(), Failure> {
        self.wait().await?;
        self.writer
            .write_all(written.format.footer())
            .and_then(|_| self.writer.flush())
            .and_then(|_| self.file.sync_all())
            .map_err(io("write", &self.partial))?;
        fs::rename(&self.partial, &self.out).map_err(io("rename into place", &self.out))?;
        if let Some(dir) = self.out.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // The rename is durable once the directory is; some systems cannot open one.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        let _ = fs::remove_file(&self.cp_path);
        // A process killed while it replaced the checkpoint may have left its temporary file.
        let _ = fs::remove_file(checkpoint::tmp_path(&self.cp_path));
        Ok(())
    }

    /// After a failure: cuts the file back to the last whole page, syncs it, and checkpoints
    /// exactly that. Says what the checkpoint on disk then holds.
    async fn abandon(mut self, written: &Checkpoint, cause: Failure) -> ExportError {
        let _ = self.wait().await;
        // Truncating first also frees the space a half-written page took on a full disk.
        let r = self
            .file
            .set_len(written.offset)
            .and_then(|_| self.file.sync_data());
        if r.is_ok() {
            let mut cp = written.clone();
            cp.written_at = Utc::now();
            if cp.save(&self.cp_path, self.seam.as_ref()).is_ok() {
                self.saved = cp;
            }
        }
        ExportError::Failed {
            cause,
            safe: Some(Safe {
                count: self.saved.count,
                partial: self.partial.clone(),
            }),
        }
    }
}

/// Syncs the file, then replaces the checkpoint with `written` (all of whose bytes were written
/// to `file` before this began). Returns the checkpoint as saved.
fn checkpoint_now(
    file: &File,
    partial: &Path,
    path: &Path,
    written: &Checkpoint,
    seam: &dyn WriteSeam,
) -> Result<Checkpoint, Failure> {
    file.sync_data().map_err(io("write", partial))?;
    forget_written(file, written.offset);
    let mut cp = written.clone();
    cp.written_at = Utc::now();
    cp.save(path, seam).map_err(io("write", path))?;
    Ok(cp)
}

/// The checkpoint being written on a blocking thread beside the writer (one at a time).
#[derive(Default)]
struct Syncer {
    task: Option<tokio::task::JoinHandle<Result<Checkpoint, Failure>>>,
    last: Option<Instant>,
}

impl Syncer {
    /// True when no checkpoint is being written and the last one is old enough.
    fn due(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
            && self.last.is_none_or(|t| t.elapsed() >= CHECKPOINT_EVERY)
    }

    /// Waits for the checkpoint being written, if any: the one it saved.
    async fn wait(&mut self) -> Result<Option<Checkpoint>, Failure> {
        match self.task.take() {
            Some(t) => t
                .await
                .unwrap_or_else(|e| {
                    Err(Failure::Io {
                        what: "write the checkpoint",
                        path: PathBuf::new(),
                        source: std::io::Error::other(e),
                    })
                })
                .map(Some),
            None => Ok(None),
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
