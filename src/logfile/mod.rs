//! Offline files, the one reader every offline command uses (`logs search|show --file`,
//! `explain --file`, and whatever reads a file next), in memory bounded by the largest record, not
//! by the file.
//!
//! **Shapes.** Provisioning logs as NDJSON (our export, Azure Monitor one envelope per line), a
//! JSON array (our `--format json`, the portal's "Download", `logs search -o json`), Graph pages
//! (`{"value":[...]}`, one or several concatenated), CSV with a header row, Azure Monitor blob
//! files (`{"records":[...]}`; PascalCase or camelCase, enums as numbers or names, numbers as
//! strings); a synchronization job (`jobs show -o json`), a job list (Graph's, `jobs list` and
//! `quarantine list -o json`), `quarantine show -o json`, a Graph error envelope, a
//! provisionOnDemand answer (raw or decoded), and an agent list (Graph's, `agents list -o json`).
//! Every log record comes out in Graph's `provisioningObjectSummary` shape.
//!
//! **Detection.** The first 64 KiB decide between JSON, CSV and a refusal (binary bytes, text
//! that is neither) without reading on; then the first element (at most [`MAX_RECORD_BYTES`])
//! decides what the JSON holds ([`Content`]). Refusals quote at most [`ECHO_CHARS`] characters of
//! input. An empty file is an empty log.
//!
//! **Streaming API.** [`open`] gives a [`LogFile`]: an iterator of [`Record`]s in file order.
//! Each record carries its glanced fields ([`Record::fields`]: id, time, action, status and error
//! code, source/target/service principal ids and names, job, cycle, change and tenant ids) parsed
//! without building the rest, its Graph-shaped JSON text ([`Record::text`]), and, on demand, the
//! full model ([`Record::summary`]) or a JSON value ([`Record::json`]). [`LogFile::prefilter`]
//! installs a byte search ([`Prefilter::for_query`] from a [`LogQuery`](crate::graph::logs::LogQuery)) that skips records which
//! cannot match before any parsing. A summary of a large file is therefore:
//!
//! ```no_run
//! use provctl::graph::logs::LogQuery;
//! use provctl::logfile::{self, Prefilter};
//! let query = LogQuery::default(); // e.g. status = failure
//! let mut file = logfile::open("export.ndjson".as_ref())?;
//! file.prefilter(Prefilter::for_query(&query));
//! let mut failures = std::collections::BTreeMap::<String, u64>::new();
//! for record in file {
//!     let record = record?;
//!     let f = record.fields();
//!     if query.matches(f) {
//!         let code = f.error().and_then(|e| e.error_code).unwrap_or_default();
//!         *failures.entry(code).or_default() += 1;
//!     }
//! }
//! # Ok::<(), provctl::logfile::FileError>(())
//! ```
//!
//! **Several threads.** [`LogFile::fold_parallel`] reads the file on the calling thread and hands
//! batches of whole records to worker threads, which glance, filter and fold them (as
//! [`RecordRef`]s, without copying each record's text); the results are merged in file order,
//! so they do not depend on thread timing, and the first error in the file is the one returned.
//! `logs summary --file` counts this way.
//!
//! **What is checked.** A record parsed in full is checked whole by serde. A glance parses the
//! members it reads and steps over the others (the steps and modified properties, most of a
//! record's bytes) by matching quotes and brackets: a record cut short or unbalanced is an
//! error, but a bad value inside a member nobody reads is not looked at, as with a record the
//! prefilter skips.
//!
//! [`open_document`] reads any accepted shape ([`Document`]); [`first_by_time`] and
//! [`all_by_time`] give matches in time order in bounded memory; a [`ResumePoint`] lets [`reopen`]
//! read a regular file again from between two records.

mod csv_file;
mod glance;
mod head;
mod normalize;
mod order;
mod parallel;
mod scan;

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use crate::graph::ServiceError;
use crate::graph::model::logs::ProvisioningObjectSummary;
use crate::graph::model::{
    DecodedProvisionOnDemand, OnPremisesAgent, ProvisionOnDemandResponse, SynchronizationJob,
};

use glance::Glance;
pub use glance::{Prefilter, SuccessSkip};
pub use head::{ECHO_CHARS, echo};
use head::{Head, PREFIX_BYTES};
pub use order::{Delivered, SORT_IN_MEMORY, TimeOrder, TopN, all_by_time, first_by_time};
pub use parallel::MAX_WORKERS;
pub use scan::{MAX_RECORD_BYTES, Position};
use scan::{ScanError, Scanner};

/// One provisioning log record read from a file.
#[derive(Debug, Clone)]
pub struct Record {
    fields: ProvisioningObjectSummary,
    /// `fields` is the whole record, parsed (not only the glanced fields).
    full: bool,
    text: Box<str>,
    position: Position,
    path: Arc<Path>,
}

impl Record {
    /// The fields read without parsing the whole record: `id`, `activityDateTime`, `changeId`,
    /// `cycleId`, `jobId`, `tenantId`, the action, `provisioningStatusInfo` (status, error code and
    /// reason), source and target identity (id, display name) and the service principal (id,
    /// display name). Everything [`LogQuery::matches`](crate::graph::logs::LogQuery::matches) and a summary need; the steps and modified
    /// properties are empty here (see [`Record::summary`]).
    pub fn fields(&self) -> &ProvisioningObjectSummary {
        &self.fields
    }

    /// The whole record, parsed. A record that does not fit the model is an error naming the field.
    /// Borrowed when the record was read in full, parsed now otherwise.
    pub fn summary(&self) -> Result<Cow<'_, ProvisioningObjectSummary>, FileError> {
        if self.full {
            return Ok(Cow::Borrowed(&self.fields));
        }
        full_summary(self.text.as_bytes(), &self.path, self.position).map(Cow::Owned)
    }

    /// Like [`Record::summary`], without a copy when the record was read in full.
    pub fn into_summary(self) -> Result<ProvisioningObjectSummary, FileError> {
        if self.full {
            return Ok(self.fields);
        }
        full_summary(self.text.as_bytes(), &self.path, self.position)
    }

    /// The record's JSON in Graph's shape (camelCase names, enums as strings).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The record's JSON as a value.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// Where the record starts in the file.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The record, borrowed.
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            fields: Cow::Borrowed(&self.fields),
            full: self.full,
            text: Cow::Borrowed(self.text.as_bytes()),
            position: self.position,
            path: &self.path,
        }
    }
}

/// A record's text parsed into the model; a mismatch names the field.
fn full_summary(
    text: &[u8],
    path: &Path,
    position: Position,
) -> Result<ProvisioningObjectSummary, FileError> {
    // The fast path; only a failure pays for the field path in the message.
    if let Ok(s) = serde_json::from_slice(text) {
        return Ok(s);
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        FileError::new(
            path,
            FileErrorKind::Malformed,
            Some(position),
            format!(
                "the record does not fit a provisioning log entry at '{}': {}",
                e.path(),
                head::capped(&e.inner().to_string())
            ),
        )
    })
}

/// A record borrowed from the buffer it was read into, as [`LogFile::fold_parallel`] hands it
/// out: the same fields and whole-record parse as a [`Record`] (its owned form), without copying
/// the record's text.
#[derive(Debug)]
pub struct RecordRef<'a> {
    fields: Cow<'a, ProvisioningObjectSummary>,
    full: bool,
    /// Graph-shaped JSON: the file's bytes, or the record normalised.
    text: Cow<'a, [u8]>,
    position: Position,
    path: &'a Arc<Path>,
}

impl RecordRef<'_> {
    /// The glanced fields (see [`Record::fields`]).
    pub fn fields(&self) -> &ProvisioningObjectSummary {
        &self.fields
    }

    /// The whole record, parsed (see [`Record::summary`]).
    pub fn summary(&self) -> Result<Cow<'_, ProvisioningObjectSummary>, FileError> {
        if self.full {
            return Ok(Cow::Borrowed(&*self.fields));
        }
        full_summary(&self.text, self.path, self.position).map(Cow::Owned)
    }

    /// Where the record starts in the file.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The owned form; text that is not UTF-8 is the error serde names.
    fn into_record(self) -> Result<Record, FileError> {
        let text = match std::str::from_utf8(&self.text) {
            Ok(t) => t,
            Err(_) => {
                let e = serde_json::from_slice::<Value>(&self.text)
                    .err()
                    .map(|e| Decoder::json_error_at(self.path, self.position, &e));
                return Err(e.unwrap_or_else(|| {
                    FileError::new(
                        self.path,
                        FileErrorKind::Malformed,
                        Some(self.position),
                        "the record is not UTF-8 text",
                    )
                }));
            }
        };
        Ok(Record {
            fields: self.fields.into_owned(),
            full: self.full,
            text: text.into(),
            position: self.position,
            path: self.path.clone(),
        })
    }
}

/// Turns an element's bytes into a record; shared by the reading thread and
/// [`LogFile::fold_parallel`]'s workers.
#[derive(Debug)]
struct Decoder {
    path: Arc<Path>,
    shape: glance::ShapeCheck,
}

impl Decoder {
    fn new(path: &Path) -> Decoder {
        Decoder {
            path: Arc::from(path),
            shape: glance::ShapeCheck::default(),
        }
    }

    fn err(&self, kind: FileErrorKind, at: Option<Position>, m: impl Into<String>) -> FileError {
        FileError::new(&self.path, kind, at, m)
    }

    fn json_error(&self, at: Position, e: &serde_json::Error) -> FileError {
        Decoder::json_error_at(&self.path, at, e)
    }

    fn json_error_at(path: &Path, at: Position, e: &serde_json::Error) -> FileError {
        let line = at.line + e.line().saturating_sub(1) as u64;
        // serde's own "at line L column C" counts from the record: said once, from the file.
        let text = e.to_string();
        let text = text.rfind(" at line ").map_or(&text[..], |i| &text[..i]);
        FileError::new(
            path,
            FileErrorKind::Malformed,
            Some(Position {
                line,
                byte: at.byte,
            }),
            format!(
                "the record starting here is not valid JSON (line {line}, column {}): {}",
                e.column(),
                head::capped(text)
            ),
        )
    }

    /// A log record, parsed in full (`full`: the caller needs most records whole) or glanced;
    /// normalised first when it is not in Graph's shape.
    fn decode<'a>(
        &'a self,
        at: Position,
        bytes: &'a [u8],
        full: bool,
    ) -> Result<RecordRef<'a>, FileError> {
        self.decode_reusing(at, bytes, full, None)
    }

    /// [`Decoder::decode`], with the glanced fields written into `scratch` when there is one
    /// (reusing its strings) and borrowed from it.
    fn decode_reusing<'a>(
        &'a self,
        at: Position,
        bytes: &'a [u8],
        full: bool,
        scratch: Option<&'a mut ProvisioningObjectSummary>,
    ) -> Result<RecordRef<'a>, FileError> {
        let borrowed = |fields, full| RecordRef {
            fields,
            full,
            text: Cow::Borrowed(bytes),
            position: at,
            path: &self.path,
        };
        if full && self.shape.surely_graph_shaped(bytes) {
            let fields = full_summary(bytes, &self.path, at)?;
            // Every Graph record has an id; without one it may be an envelope after all.
            if !fields.id.is_empty() {
                return Ok(borrowed(Cow::Owned(fields), true));
            }
        }
        if let Some(g) = Glance::of(bytes)
            && !g.needs_full_status()
        {
            let fields = match scratch {
                Some(s) => {
                    g.fill(s);
                    Cow::Borrowed(&*s)
                }
                None => Cow::Owned(g.to_summary()),
            };
            return Ok(borrowed(fields, false));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| self.json_error(at, &e))?;
        self.decode_value(at, value)
    }

    /// A record read as a JSON value (a CSV row, a record not in Graph's shape), normalised.
    fn decode_value(&self, at: Position, value: Value) -> Result<RecordRef<'_>, FileError> {
        let (raw, _envelope) = normalize::record(value)
            .map_err(|m| self.err(FileErrorKind::Malformed, Some(at), m))?;
        let text = raw.to_string();
        let fields = match Glance::of(text.as_bytes()).filter(|g| !g.needs_full_status()) {
            Some(g) => g.to_summary(),
            None => normalize::summary(&raw)
                .map_err(|m| self.err(FileErrorKind::Malformed, Some(at), head::capped(&m)))?,
        };
        Ok(RecordRef {
            fields: Cow::Owned(fields),
            full: false,
            text: Cow::Owned(text.into_bytes()),
            position: at,
            path: &self.path,
        })
    }
}

/// The shapes of file recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// One JSON object per line (`provctl logs export --format ndjson`, Azure Monitor JSON lines).
    JsonLines,
    /// A JSON array of records (`--format json`, the portal's "Download" JSON).
    JsonArray,
    /// A Graph response: `{"value":[...]}`, possibly several pages one after another.
    GraphPages,
    /// Azure Monitor diagnostic settings (storage account): `{"records":[...]}` envelopes.
    AzureMonitor,
    /// CSV with a header row.
    Csv,
    /// Nothing recognised yet (empty file).
    Unknown,
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::JsonLines => "JSON lines",
            FileFormat::JsonArray => "JSON array",
            FileFormat::GraphPages => "Graph response",
            FileFormat::AzureMonitor => "Azure Monitor export",
            FileFormat::Csv => "CSV",
            FileFormat::Unknown => "unknown",
        })
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Provisioning log records (also: an empty file).
    ProvisioningLogs,
    /// Synchronization jobs (one, or a list).
    Jobs,
    /// Cloud sync provisioning agents.
    Agents,
    /// A Graph error envelope.
    GraphError,
    /// A provisionOnDemand answer.
    OnDemand,
}

impl fmt::Display for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Content::ProvisioningLogs => "provisioning log entries",
            Content::Jobs => "synchronization jobs",
            Content::Agents => "provisioning agents",
            Content::GraphError => "a Graph error",
            Content::OnDemand => "a provisionOnDemand answer",
        })
    }
}

/// What went wrong reading a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileErrorKind {
    /// The file does not exist.
    NotFound,
    /// It could not be read.
    Io,
    /// It is not in an accepted shape, or a record is not valid JSON / CSV.
    Malformed,
    /// It ends in the middle of a record.
    Truncated,
}

/// A file that could not be read, with where.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: {message}", path.display(), position.map(|p| format!(":{} (byte {})", p.line, p.byte)).unwrap_or_default())]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// The kind of failure.
    pub kind: FileErrorKind,
    /// Where, when known.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    fn new(
        path: &Path,
        kind: FileErrorKind,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Self {
        FileError {
            path: path.to_path_buf(),
            kind,
            position,
            message: message.into(),
        }
    }
}

/// A file in any accepted shape, by what it holds.
pub enum Document {
    /// Provisioning log records, streamed.
    Logs(LogFile),
    /// Synchronization jobs, streamed.
    Jobs(Items<SynchronizationJob>),
    /// Provisioning agents, streamed.
    Agents(Items<OnPremisesAgent>),
    /// A Graph error envelope.
    GraphError(Box<ServiceError>),
    /// A provisionOnDemand answer, decoded.
    OnDemand(Box<DecodedProvisionOnDemand>),
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::Logs(_) => "Document::Logs",
            Document::Jobs(_) => "Document::Jobs",
            Document::Agents(_) => "Document::Agents",
            Document::GraphError(_) => "Document::GraphError",
            Document::OnDemand(_) => "Document::OnDemand",
        })
    }
}

/// The items of a job or agent document, parsed one at a time.
pub struct Items<T> {
    file: LogFile,
    _item: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned> Iterator for Items<T> {
    type Item = Result<T, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.file.next_element().and_then(|el| match el {
            Some((at, bytes)) => self.file.typed::<T>(at, &bytes).map(Some),
            None => Ok(None),
        });
        self.file.step(r)
    }
}

/// Opens a file of any accepted shape. The first element is read to decide what the file holds.
pub fn open_document(path: &Path) -> Result<Document, FileError> {
    open_any(path)?.into_document()
}

/// Reads a document of any accepted shape from a reader, e.g. stdin (`path` names it in errors).
pub fn document_from_reader(
    path: &Path,
    reader: Box<dyn Read + Send>,
) -> Result<Document, FileError> {
    from_reader(path, reader)?.into_document()
}

impl LogFile {
    fn into_document(self) -> Result<Document, FileError> {
        let mut file = self;
        Ok(match file.content {
            Content::ProvisioningLogs => Document::Logs(file),
            Content::Jobs => Document::Jobs(Items {
                file,
                _item: std::marker::PhantomData,
            }),
            Content::Agents => Document::Agents(Items {
                file,
                _item: std::marker::PhantomData,
            }),
            Content::GraphError => {
                let (_, bytes) = file.take_single()?;
                Document::GraphError(Box::new(ServiceError::from_body(0, &bytes, "", "")))
            }
            Content::OnDemand => {
                let (at, bytes) = file.take_single()?;
                Document::OnDemand(Box::new(file.on_demand(at, &bytes)?))
            }
        })
    }
}

/// Opens a provisioning log file. Records are read as the iterator is advanced; a file that holds
/// something else (a job, an error, ...) is refused, naming what it holds.
pub fn open(path: &Path) -> Result<LogFile, FileError> {
    let file = open_any(path)?;
    if file.content != Content::ProvisioningLogs {
        return Err(FileError::new(
            path,
            FileErrorKind::Malformed,
            None,
            format!(
                "this file holds {}, not provisioning log entries: `provctl explain --file` reads it",
                file.content
            ),
        ));
    }
    Ok(file)
}

/// The name that reads standard input (`--file -`), for a file piped in (`az ... | provctl ...`).
pub const STDIN: &str = "-";

fn open_any(path: &Path) -> Result<LogFile, FileError> {
    if path == Path::new(STDIN) {
        // Read once as it comes: not a regular file, so never read a second time.
        return from_reader(Path::new("(standard input)"), Box::new(std::io::stdin()));
    }
    let file = File::open(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            FileErrorKind::NotFound
        } else {
            FileErrorKind::Io
        };
        FileError::new(path, kind, None, format!("cannot open: {e}"))
    })?;
    let mut f = from_reader(path, Box::new(file))?;
    f.stamp = stamp(path);
    Ok(f)
}

/// A regular file's length and modification time (`None` for a pipe or a device, which cannot be
/// read twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
    })
}

/// Reads any accepted shape from a reader (`path` only names it in errors).
pub fn from_reader(path: &Path, reader: Box<dyn Read + Send>) -> Result<LogFile, FileError> {
    let io_err = |e: std::io::Error| {
        FileError::new(path, FileErrorKind::Io, None, format!("cannot read: {e}"))
    };
    let mut scanner = Scanner::new(reader);
    let prefix = scanner.prefix(PREFIX_BYTES).map_err(io_err)?;
    let at_end = prefix.len() < PREFIX_BYTES;
    let head = head::classify(prefix, at_end);
    let inner = match head {
        Head::Refused(m) => return Err(FileError::new(path, FileErrorKind::Malformed, None, m)),
        Head::Json | Head::Empty => Inner::Json(JsonState {
            scanner,
            state: State::Top,
            buf: Vec::new(),
        }),
        Head::Csv => {
            scanner.skip_ws().map_err(io_err)?;
            let base = scanner.position();
            Inner::Csv(csv_file::CsvRecords::new(
                path,
                Box::new(csv_file::LineCap::new(scanner.into_reader())),
                base,
            )?)
        }
    };
    let mut file = LogFile {
        path: Arc::from(path),
        format: if matches!(inner, Inner::Csv(_)) {
            FileFormat::Csv
        } else {
            FileFormat::Unknown
        },
        content: Content::ProvisioningLogs,
        inner,
        failed: false,
        stamp: None,
        prefilter: Prefilter::default(),
        pending: None,
        slow: None,
        read: 0,
        full: false,
        decoder: Arc::new(Decoder::new(path)),
    };
    if let Inner::Json(_) = file.inner {
        let point = file.resume_point();
        if let Some((at, bytes, container)) = file.next_raw()? {
            file.content = file.classify(at, &bytes, container)?;
            file.pending = Some(Pending { point, at, bytes });
        }
    }
    Ok(file)
}

/// Opens `path` again where a [`LogFile::resume_point`] of it was taken, to read the records from
/// there on (a second look at part of a large file without holding it). The file must be the same
/// (unchanged) regular file, since reading starts at a byte offset.
pub fn reopen(path: &Path, at: &ResumePoint) -> Result<LogFile, FileError> {
    let open_at = |byte: u64| -> Result<Box<dyn Read + Send>, FileError> {
        let mut file = File::open(path).map_err(|e| {
            FileError::new(
                path,
                FileErrorKind::Io,
                None,
                format!("cannot open again: {e}"),
            )
        })?;
        file.seek(SeekFrom::Start(byte)).map_err(|e| {
            FileError::new(path, FileErrorKind::Io, None, format!("cannot seek: {e}"))
        })?;
        Ok(Box::new(file))
    };
    let inner = match at.state {
        None => {
            // The columns come from the header row; the rows from the resume point on.
            let Inner::Csv(csv) = open(path)?.inner else {
                return Err(FileError::new(
                    path,
                    FileErrorKind::Malformed,
                    None,
                    "the file is no longer CSV: it changed while it was read",
                ));
            };
            Inner::Csv(csv.resume(
                Box::new(csv_file::LineCap::new(open_at(at.at.byte)?)),
                at.at,
            ))
        }
        Some(state) => Inner::Json(JsonState {
            scanner: Scanner::starting_at(open_at(at.at.byte)?, at.at),
            state,
            buf: Vec::new(),
        }),
    };
    Ok(LogFile {
        path: Arc::from(path),
        format: at.format,
        content: Content::ProvisioningLogs,
        inner,
        failed: false,
        stamp: stamp(path),
        prefilter: Prefilter::default(),
        pending: None,
        slow: None,
        read: 0,
        full: false,
        decoder: Arc::new(Decoder::new(path)),
    })
}

/// A point between two records of a file where [`reopen`] can continue reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    at: Position,
    format: FileFormat,
    /// The JSON reader's state there (`None`: a CSV file, whose reader only needs the position).
    state: Option<State>,
}

impl ResumePoint {
    /// Where in the file the next record is read from (or the whitespace before it).
    pub fn position(&self) -> Position {
        self.at
    }
}

/// The records of a file, in file order.
pub struct LogFile {
    path: Arc<Path>,
    format: FileFormat,
    content: Content,
    inner: Inner,
    failed: bool,
    /// Set when the file is a regular file, which can be read again ([`reopen`]).
    stamp: Option<Stamp>,
    prefilter: Prefilter,
    /// The first element, read to decide what the file holds, and the point before it.
    pending: Option<Pending>,
    /// Skips records that surely simply succeeded (explain).
    slow: Option<SuccessSkip>,
    /// Records read so far, skipped ones included.
    read: u64,
    /// Parse records in full as they are read (the caller needs most of them whole), rather
    /// than glancing first.
    full: bool,
    decoder: Arc<Decoder>,
}

struct Pending {
    point: ResumePoint,
    at: Position,
    bytes: Vec<u8>,
}

impl fmt::Debug for LogFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("content", &self.content)
            .finish()
    }
}

enum Inner {
    Json(JsonState),
    Csv(csv_file::CsvRecords),
}

struct JsonState {
    scanner: Scanner<Box<dyn Read + Send>>,
    state: State,
    buf: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between top-level values.
    Top,
    /// One JSON value per line (the first record was a line of its own).
    Lines,
    /// Inside an array of elements: top-level (`member` is `None`) or a member of an object.
    Array { member: Container, first: bool },
    /// After the records array of an object: skipping its remaining members.
    RestOfObject,
}

/// Which array of an object the elements come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// Not from a member array: a top-level array, a line, an object on its own.
    None,
    /// `value` (a Graph page).
    Value,
    /// `records` (Azure Monitor).
    Records,
    /// `agents` (`agents list -o json`).
    Agents,
}

impl LogFile {
    /// The shape detected (known after the first record).
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// What the file holds.
    pub fn content(&self) -> Content {
        self.content
    }

    /// How many records were read so far, those a prefilter skipped included.
    pub fn records_read(&self) -> u64 {
        self.read
    }

    /// Skips, before parsing, the records whose bytes cannot match (see [`Prefilter`]). A skipped
    /// record is not checked for being well-formed.
    pub fn prefilter(&mut self, p: Prefilter) {
        // What passes a byte search mostly matches: parse it once, in full.
        self.full = !p.is_open();
        self.prefilter = p;
    }

    /// Skips, before parsing, the records that surely simply succeeded (see [`SuccessSkip`]);
    /// the others are parsed in full, as they are read.
    pub fn skip_plain_successes(&mut self) {
        self.slow = Some(SuccessSkip::default());
        self.full = true;
    }

    /// Where the next record will be read from: [`reopen`] continues from here.
    pub fn resume_point(&self) -> ResumePoint {
        if let Some(p) = &self.pending {
            return p.point;
        }
        match &self.inner {
            Inner::Json(js) => ResumePoint {
                at: js.scanner.position(),
                format: self.format,
                state: Some(js.state),
            },
            Inner::Csv(c) => ResumePoint {
                at: c.next_position(),
                format: self.format,
                state: None,
            },
        }
    }

    /// Notes about the file that did not stop reading (CSV columns that are not known).
    pub fn warnings(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv(c) => c.warnings(),
            Inner::Json(_) => Vec::new(),
        }
    }

    fn err(&self, kind: FileErrorKind, at: Option<Position>, m: impl Into<String>) -> FileError {
        FileError::new(&self.path, kind, at, m)
    }

    fn scan_error(&self, e: ScanError) -> FileError {
        match e {
            ScanError::Io(e) => self.err(FileErrorKind::Io, None, format!("cannot read: {e}")),
            ScanError::Eof { start, at } => self.err(
                FileErrorKind::Truncated,
                Some(start),
                format!(
                    "the file ends (byte {}) inside the value that starts here: it was cut short",
                    at.byte
                ),
            ),
            ScanError::Unexpected {
                at,
                found,
                expected,
            } => self.err(
                FileErrorKind::Malformed,
                Some(at),
                format!("expected {expected}, found {}", describe_byte(found)),
            ),
            ScanError::TooLarge { start } => self.err(
                FileErrorKind::Malformed,
                Some(start),
                format!(
                    "a record (or line) longer than {} MiB starts here: not a provisioning file, or not one provctl reads",
                    MAX_RECORD_BYTES >> 20
                ),
            ),
        }
    }

    /// The next JSON element (a record, a job, ...) with where it starts.
    fn next_element(&mut self) -> Result<Option<(Position, Vec<u8>)>, FileError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some((p.at, p.bytes)));
        }
        Ok(self.next_raw()?.map(|(at, b, _)| (at, b)))
    }

    /// The next element appended to `out`, with where it starts.
    fn append_element(&mut self, out: &mut Vec<u8>) -> Result<Option<Position>, FileError> {
        let Some((at, bytes)) = self.next_element()? else {
            return Ok(None);
        };
        out.extend_from_slice(&bytes);
        self.recycle(bytes);
        Ok(Some(at))
    }

    /// Reads the next element of the JSON structure.
    fn next_raw(&mut self) -> Result<Option<(Position, Vec<u8>, Container)>, FileError> {
        loop {
            let Inner::Json(js) = &mut self.inner else {
                return Ok(None);
            };
            let step = js.step(&mut self.format);
            match step {
                Ok(Step::Again) => {}
                Ok(Step::Element(at, container)) => {
                    let bytes = std::mem::take(&mut js.buf);
                    return Ok(Some((at, bytes, container)));
                }
                Ok(Step::Line(at)) => {
                    let bytes = std::mem::take(&mut js.buf);
                    return Ok(Some((at, bytes, Container::None)));
                }
                Ok(Step::End) => return Ok(None),
                Err(StepError::Scan(e)) => return Err(self.scan_error(e)),
                Err(StepError::File(kind, at, m)) => return Err(self.err(kind, Some(at), m)),
            }
        }
    }

    /// Decides what the file holds from its first element.
    fn classify(
        &mut self,
        at: Position,
        bytes: &[u8],
        container: Container,
    ) -> Result<Content, FileError> {
        match container {
            Container::Agents => return Ok(Content::Agents),
            Container::Records => return Ok(Content::ProvisioningLogs),
            Container::Value | Container::None => {}
        }
        let keys: std::collections::BTreeMap<std::borrow::Cow<'_, str>, IgnoredAny> =
            match serde_json::from_slice(bytes) {
                Ok(k) => k,
                Err(e) if e.is_data() => {
                    return Err(self.err(
                        FileErrorKind::Malformed,
                        Some(at),
                        format!(
                            "expected a JSON object (a record, a job, an error, ...), found {}",
                            head::echo_bytes(bytes)
                        ),
                    ));
                }
                Err(e) => return Err(self.json_error(at, &e)),
            };
        let has = |k: &str| keys.keys().any(|have| have.eq_ignore_ascii_case(k));
        let top = container == Container::None;
        let content = if top && has("error") && !has("id") {
            Content::GraphError
        } else if top && has("key") && has("value") && !has("id") {
            Content::OnDemand
        } else if has("subject") && has("findings") {
            return Err(self.err(
                FileErrorKind::Malformed,
                Some(at),
                "this is provctl's own explanation (`explain -o json`), not a document to explain: explain the job, log file or error it came from",
            ));
        } else if [
            "provisioningSteps",
            "provisioningStatusInfo",
            "statusInfo",
            "activityDateTime",
            "sourceIdentity",
            "targetIdentity",
            "changeId",
            "cycleId",
            "provisioningAction",
            "properties",
        ]
        .iter()
        .any(|k| has(k))
        {
            Content::ProvisioningLogs
        } else if has("machineName") || has("supportedPublishingTypes") {
            Content::Agents
        } else if [
            "templateId",
            "schedule",
            "synchronizationJobSettings",
            "status",
        ]
        .iter()
        .any(|k| has(k))
            || (has("job") && has("explanation"))
        {
            Content::Jobs
        } else if has("id") {
            // A record with nothing but ids: read as a log entry.
            Content::ProvisioningLogs
        } else {
            let names: Vec<String> = keys.keys().take(8).map(|k| head::echo(k)).collect();
            return Err(self.err(
                FileErrorKind::Malformed,
                Some(at),
                format!(
                    "not a document provctl reads: its first object has {} (expected provisioning log entries, a synchronization job or job list, a Graph error envelope, a provisionOnDemand answer, or a provisioning agent list)",
                    if names.is_empty() {
                        "no members".to_owned()
                    } else {
                        format!("the members {}", names.join(", "))
                    }
                ),
            ));
        };
        Ok(content)
    }

    fn json_error(&self, at: Position, e: &serde_json::Error) -> FileError {
        self.decoder.json_error(at, e)
    }

    /// One item of a job or agent document; `quarantine show -o json`'s job is under `job`.
    fn typed<T: DeserializeOwned>(&self, at: Position, bytes: &[u8]) -> Result<T, FileError> {
        let mut value: Value =
            serde_json::from_slice(bytes).map_err(|e| self.json_error(at, &e))?;
        if let Some(job) = value
            .get_mut("job")
            .filter(|_| value_has(bytes, "explanation"))
        {
            value = job.take();
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            self.err(
                FileErrorKind::Malformed,
                Some(at),
                format!(
                    "this {} does not fit at '{}': {}",
                    match self.content {
                        Content::Agents => "agent",
                        _ => "job",
                    },
                    e.path(),
                    head::capped(&e.inner().to_string())
                ),
            )
        })
    }

    /// The one element of a single-object document; more after it is an error.
    fn take_single(&mut self) -> Result<(Position, Vec<u8>), FileError> {
        let first = self.next_element()?;
        let Some(first) = first else {
            return Err(self.err(FileErrorKind::Malformed, None, "the file is empty"));
        };
        if let Some((at, _)) = self.next_element()? {
            return Err(self.err(
                FileErrorKind::Malformed,
                Some(at),
                format!("a second document after {}: one per file", self.content),
            ));
        }
        Ok(first)
    }

    /// A raw answer (`key`/`value` hold JSON strings) or an already decoded one (they hold objects).
    fn on_demand(&self, at: Position, bytes: &[u8]) -> Result<DecodedProvisionOnDemand, FileError> {
        let bad = |m: String| self.err(FileErrorKind::Malformed, Some(at), m);
        let value: Value = serde_json::from_slice(bytes).map_err(|e| self.json_error(at, &e))?;
        let raw = value.get("key").is_some_and(Value::is_string);
        let fit = |e: serde_path_to_error::Error<serde_json::Error>| {
            bad(format!(
                "this provisionOnDemand answer does not fit at '{}': {}",
                e.path(),
                head::capped(&e.inner().to_string())
            ))
        };
        if raw {
            let r: ProvisionOnDemandResponse =
                serde_path_to_error::deserialize(value).map_err(fit)?;
            r.decode()
                .map_err(|e| bad(head::capped(&format!("cannot decode the answer: {e}"))))
        } else {
            serde_path_to_error::deserialize(value).map_err(fit)
        }
    }

    /// A log record from an element's bytes: glanced when it is in Graph's shape, else
    /// normalised first.
    fn record(&self, at: Position, bytes: &[u8]) -> Result<Record, FileError> {
        self.record_with(at, bytes, self.full)
    }

    /// A log record, parsed in full or glanced.
    fn record_with(&self, at: Position, bytes: &[u8], full: bool) -> Result<Record, FileError> {
        self.decoder.decode(at, bytes, full)?.into_record()
    }

    fn record_from_value(&self, at: Position, value: Value) -> Result<Record, FileError> {
        self.decoder.decode_value(at, value)?.into_record()
    }

    fn next_record(&mut self) -> Result<Option<Record>, FileError> {
        if let Inner::Csv(c) = &mut self.inner {
            return match c.next_row()? {
                Some((at, value)) => {
                    self.read += 1;
                    self.record_from_value(at, value).map(Some)
                }
                None => Ok(None),
            };
        }
        loop {
            let Some((at, bytes)) = self.next_element()? else {
                return Ok(None);
            };
            self.read += 1;
            // (The first record is always read: a file of one entry has it explained whatever
            // it is.)
            if !self.prefilter.may_match(&bytes)
                || (self.read > 1
                    && self
                        .slow
                        .as_ref()
                        .is_some_and(|s| s.surely_simple_success(&bytes)))
            {
                self.recycle(bytes);
                continue;
            }
            let r = self.record(at, &bytes);
            self.recycle(bytes);
            return r.map(Some);
        }
    }

    /// Gives an element's buffer back to the scanner, so the next one reuses its allocation.
    fn recycle(&mut self, mut bytes: Vec<u8>) {
        if let Inner::Json(js) = &mut self.inner
            && js.buf.capacity() < bytes.capacity()
        {
            bytes.clear();
            js.buf = bytes;
        }
    }

    fn step<T>(&mut self, r: Result<Option<T>, FileError>) -> Option<Result<T, FileError>> {
        if self.failed {
            return None;
        }
        match r {
            Ok(Some(x)) => Some(Ok(x)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn value_has(bytes: &[u8], key: &str) -> bool {
    memchr::memmem::find(bytes, format!("\"{key}\"").as_bytes()).is_some()
}

enum Step {
    /// Structure consumed; call again.
    Again,
    /// An element is in `buf`, from an array (or an object on its own).
    Element(Position, Container),
    /// A line is in `buf`.
    Line(Position),
    /// The end of the file.
    End,
}

enum StepError {
    Scan(ScanError),
    File(FileErrorKind, Position, String),
}

impl From<ScanError> for StepError {
    fn from(e: ScanError) -> Self {
        StepError::Scan(e)
    }
}

impl From<std::io::Error> for StepError {
    fn from(e: std::io::Error) -> Self {
        StepError::Scan(ScanError::Io(e))
    }
}

impl JsonState {
    /// One step of the JSON structure: an element, the end, or structure consumed.
    fn step(&mut self, format: &mut FileFormat) -> Result<Step, StepError> {
        self.buf.clear();
        match self.state {
            State::Lines => Ok(match next_line(&mut self.scanner, &mut self.buf)? {
                Some(at) => Step::Line(at),
                None => Step::End,
            }),
            State::Top => {
                let Some(b) = self.scanner.skip_ws()? else {
                    return Ok(Step::End);
                };
                match b {
                    b'[' => {
                        self.scanner.bump()?;
                        self.state = State::Array {
                            member: Container::None,
                            first: true,
                        };
                        if *format == FileFormat::Unknown {
                            *format = FileFormat::JsonArray;
                        }
                        Ok(Step::Again)
                    }
                    b'{' => self.top_object(format),
                    b',' => {
                        // Tolerate records separated by commas without an enclosing array.
                        self.scanner.bump()?;
                        Ok(Step::Again)
                    }
                    found => Err(ScanError::Unexpected {
                        at: self.scanner.position(),
                        found,
                        expected: "a JSON object or array",
                    }
                    .into()),
                }
            }
            State::Array { member, first } => {
                let at = self.scanner.position();
                match self.scanner.skip_ws()? {
                    Some(b']') => {
                        self.scanner.bump()?;
                        self.state = if member == Container::None {
                            State::Top
                        } else {
                            State::RestOfObject
                        };
                        return Ok(Step::Again);
                    }
                    None => {
                        return Err(StepError::File(
                            FileErrorKind::Truncated,
                            at,
                            "the file ends inside the array of records (no closing ']'): it was cut short".into(),
                        ));
                    }
                    _ => {}
                }
                if !first {
                    self.scanner.expect(b',', "',' or ']'")?;
                }
                self.state = State::Array {
                    member,
                    first: false,
                };
                let start = self.scanner.read_value(&mut self.buf)?;
                Ok(Step::Element(start, member))
            }
            State::RestOfObject => {
                let at = self.scanner.position();
                match self.scanner.skip_ws()? {
                    Some(b'}') => {
                        self.scanner.bump()?;
                        self.state = State::Top;
                        Ok(Step::Again)
                    }
                    Some(b',') => {
                        self.scanner.bump()?;
                        self.scanner.read_value(&mut self.buf)?;
                        self.scanner.expect(b':', "':'")?;
                        self.buf.clear();
                        self.scanner.read_value(&mut self.buf)?;
                        self.buf.clear();
                        Ok(Step::Again)
                    }
                    Some(found) => Err(ScanError::Unexpected {
                        at,
                        found,
                        expected: "',' or '}'",
                    }
                    .into()),
                    None => Err(StepError::File(
                        FileErrorKind::Truncated,
                        at,
                        "the file ends inside a JSON object (no closing '}'): it was cut short"
                            .into(),
                    )),
                }
            }
        }
    }

    /// A top-level `{`: a Graph page / Azure Monitor `records` / agent-list wrapper (switch to
    /// streaming its array), or an object on its own (a record, a job, an error).
    fn top_object(&mut self, format: &mut FileFormat) -> Result<Step, StepError> {
        let start = self.scanner.position();
        self.scanner.bump()?;
        // The members read so far, re-assembled as an object in case this is a record.
        self.buf.push(b'{');
        let mut first = true;
        let mut key = Vec::new();
        loop {
            let at = self.scanner.position();
            match self.scanner.skip_ws()? {
                Some(b'}') => {
                    self.scanner.bump()?;
                    self.buf.push(b'}');
                    if *format == FileFormat::Unknown {
                        *format = FileFormat::JsonLines;
                    }
                    // A record that is a line of its own: read the rest line by line.
                    if *format == FileFormat::JsonLines
                        && self.scanner.position().line == start.line
                        && self.at_line_end()?
                    {
                        self.state = State::Lines;
                    }
                    return Ok(Step::Element(start, Container::None));
                }
                None => {
                    return Err(StepError::File(
                        FileErrorKind::Truncated,
                        start,
                        format!(
                            "the file ends inside the JSON object that starts here (reached byte {}): it was cut short",
                            at.byte
                        ),
                    ));
                }
                _ => {}
            }
            if !first {
                self.scanner.expect(b',', "',' or '}'")?;
                self.buf.push(b',');
            }
            first = false;
            key.clear();
            let key_at = self.scanner.read_value(&mut key)?;
            if key.first() != Some(&b'"') {
                return Err(StepError::File(
                    FileErrorKind::Malformed,
                    key_at,
                    "expected a member name in quotes".into(),
                ));
            }
            self.scanner.expect(b':', "':'")?;
            let container = match &key[..] {
                b"\"value\"" => Some((Container::Value, FileFormat::GraphPages)),
                b"\"records\"" | b"\"Records\"" => {
                    Some((Container::Records, FileFormat::AzureMonitor))
                }
                b"\"agents\"" => Some((Container::Agents, FileFormat::JsonArray)),
                _ => None,
            };
            if let Some((member, shape)) = container
                && self.scanner.skip_ws()? == Some(b'[')
            {
                self.scanner.bump()?;
                self.state = State::Array {
                    member,
                    first: true,
                };
                if *format == FileFormat::Unknown {
                    *format = shape;
                }
                self.buf.clear();
                return Ok(Step::Again);
            }
            self.buf.extend_from_slice(&key);
            self.buf.push(b':');
            self.scanner.read_value(&mut self.buf)?;
        }
    }

    /// True when only blanks remain on the current line (or the file ends).
    fn at_line_end(&mut self) -> Result<bool, StepError> {
        loop {
            match self.scanner.peek()? {
                Some(b' ' | b'\t' | b'\r') => {
                    self.scanner.bump()?;
                }
                Some(b'\n') | None => return Ok(true),
                Some(_) => return Ok(false),
            }
        }
    }
}

/// The next line that is not blank, trimmed, appended to `out`, and where its value starts;
/// `None` at the end of the file.
fn next_line(
    scanner: &mut Scanner<Box<dyn Read + Send>>,
    out: &mut Vec<u8>,
) -> Result<Option<Position>, ScanError> {
    loop {
        let Some((at, line)) = scanner.line()? else {
            return Ok(None);
        };
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        // Where the value starts, past leading blanks.
        let lead = line.len() - line.trim_ascii_start().len();
        out.extend_from_slice(trimmed);
        return Ok(Some(Position {
            line: at.line,
            byte: at.byte + lead as u64,
        }));
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

impl Iterator for LogFile {
    type Item = Result<Record, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.next_record();
        self.step(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (FileFormat, Result<Vec<Record>, FileError>) {
        let mut f = from_reader(
            Path::new("t.json"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r: Result<Vec<Record>, FileError> = f.by_ref().collect();
        (f.format(), r)
    }

    fn ids(r: &Result<Vec<Record>, FileError>) -> Vec<String> {
        match r {
            Ok(v) => v.iter().map(|r| r.fields().id.clone()).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn every_json_shape_is_detected_and_streamed() {
        let (f, r) = read("{\"id\":\"1\"}\n{\"id\":\"2\"}\n");
        assert_eq!(
            (f, ids(&r)),
            (FileFormat::JsonLines, vec!["1".into(), "2".into()])
        );
        let (f, r) = read("[\n{\"id\":\"1\"},\n{\"id\":\"2\"}\n]\n");
        assert_eq!(
            (f, ids(&r)),
            (FileFormat::JsonArray, vec!["1".into(), "2".into()])
        );
        let (f, r) = read(
            "{\"@odata.context\":\"x\",\"value\":[{\"id\":\"1\"}],\"@odata.nextLink\":\"y\"}{\"value\":[{\"id\":\"2\"}]}",
        );
        assert_eq!(
            (f, ids(&r)),
            (FileFormat::GraphPages, vec!["1".into(), "2".into()])
        );
        let env = |id: &str| {
            format!(
                "{{\"time\":\"2026-11-25T00:00:00Z\",\"category\":\"ProvisioningLogs\",\"resultType\":\"Success\",\"properties\":{{\"Id\":\"{id}\",\"ProvisioningAction\":4}}}}"
            )
        };
        let (f, r) = read(&format!("{{\"records\":[{},{}]}}", env("a"), env("b")));
        assert_eq!(
            (f, ids(&r)),
            (FileFormat::AzureMonitor, vec!["a".into(), "b".into()])
        );
        let (f, r) = read(&format!("{}\n{}\n", env("a"), env("b")));
        assert_eq!(f, FileFormat::JsonLines);
        let recs = r.unwrap_or_default();
        assert_eq!(
            recs[1].fields().action().map(|a| a.as_str().to_owned()),
            Some("update".into())
        );
        let (f, r) = read("");
        assert_eq!((f, ids(&r).len()), (FileFormat::Unknown, 0));
    }

    #[test]
    fn csv_rows_map_by_column_name() {
        let text = "Id,Date,Action,Status,Error Code,Source Identity Id,Job Id,Colour\n1,2026-11-25T10:00:00Z,Create,Failure,E1,g1,j,red\n";
        let mut f = from_reader(
            Path::new("t.csv"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let recs: Vec<Record> = f
            .by_ref()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.format(), FileFormat::Csv);
        let s = recs[0].fields();
        assert!(s.is_failure());
        assert_eq!(s.error().and_then(|e| e.error_code), Some("E1".into()));
        assert_eq!(
            s.source_identity.as_ref().and_then(|i| i.id.clone()),
            Some("g1".into())
        );
        assert_eq!(f.warnings().len(), 1);
        assert!(f.warnings()[0].contains("'Colour'"));
    }

    #[test]
    fn a_file_cut_at_any_byte_is_records_or_a_clear_error_never_a_panic() {
        let full = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/azure-monitor-provisioninglogs.json"
        ))
        .unwrap_or_default();
        let portal = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/portal-download.json"
        ))
        .unwrap_or_default();
        for text in [full, portal] {
            assert!(read(&text).1.is_ok());
            for cut in (1..text.len()).step_by(7) {
                let Some(part) = text.get(..cut) else {
                    continue;
                };
                let Ok(mut f) = from_reader(
                    Path::new("cut.json"),
                    Box::new(std::io::Cursor::new(part.as_bytes().to_vec())),
                ) else {
                    continue;
                };
                if let Some(Err(e)) = f.by_ref().find(Result::is_err) {
                    assert!(
                        e.position.is_some() || e.kind == FileErrorKind::Malformed,
                        "{e}"
                    );
                    assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn reading_resumes_at_any_point_between_records_in_every_shape() {
        let env = |id: &str| {
            format!(
                "{{\"time\":\"2026-11-25T00:00:00Z\",\"category\":\"ProvisioningLogs\",\"properties\":{{\"Id\":\"{id}\"}}}}"
            )
        };
        let shapes = [
            "{\"id\":\"1\"}\n{\"id\":\"2\"}\n{\"id\":\"3\"}\n".to_owned(),
            "[\n{\"id\":\"1\"},\n{\"id\":\"2\"} , {\"id\":\"3\"}\n]\n".to_owned(),
            "{\"value\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"@odata.nextLink\":\"x\"}\n{\"value\":[{\"id\":\"3\"}]}".to_owned(),
            format!("{{\"records\":[{},{}]}}\n{{\"records\":[{}]}}", env("1"), env("2"), env("3")),
            "\u{feff}id,status\n1,success\n\"2\",\"fail\nure\"\n3,skipped\n".to_owned(),
        ];
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for (i, text) in shapes.iter().enumerate() {
            let path = dir.path().join(format!("shape{i}"));
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            let mut f = open(&path).unwrap_or_else(|e| panic!("{e}"));
            let mut points = vec![f.resume_point()];
            let mut all = Vec::new();
            while let Some(r) = f.next() {
                let r = r.unwrap_or_else(|e| panic!("{e}"));
                all.push((r.fields().id.clone(), r.position()));
                points.push(f.resume_point());
            }
            assert_eq!(all.len(), 3, "shape {i}");
            for (k, point) in points.iter().enumerate() {
                let again: Vec<(String, Position)> = reopen(&path, point)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .map(|r| r.map(|r| (r.fields().id.clone(), r.position())))
                    .collect::<Result<_, _>>()
                    .unwrap_or_else(|e| panic!("shape {i} from {k}: {e}"));
                assert_eq!(again, all[k..], "shape {i} from {k}");
            }
        }
    }

    #[test]
    fn a_truncated_array_names_the_record_where_it_stops() {
        let (_, r) = read("[\n{\"id\":\"1\"},\n{\"id\":\"2\",\n\"x\": [1,");
        let e = r.err().unwrap_or_else(|| panic!("truncated"));
        assert_eq!(e.kind, FileErrorKind::Truncated);
        assert_eq!(e.position.map(|p| p.line), Some(3));
        assert!(e.to_string().contains("t.json:3 (byte 14)"), "{e}");
    }
}
