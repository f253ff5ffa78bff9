//! Offline provisioning-log files, read as a stream of records in constant memory: our own exports
//! (NDJSON, JSON array, CSV), Graph response dumps (`{"value":[...]}`, several pages concatenated),
//! the portal's "Download" JSON, CSV with a header row, and the Azure Monitor diagnostic-settings
//! export (category `ProvisioningLogs`, the record under `properties`, PascalCase names and enums as
//! numbers). The shape is detected from the content; every record comes out as a Graph-shaped
//! [`ProvisioningObjectSummary`] plus its JSON. A [`ResumePoint`] taken between two records lets
//! [`reopen`] read a regular file again from there, for a second look at part of a large file.
//!
//! ```no_run
//! for record in provctl::logfile::open("provisioning.json".as_ref())? {
//!     let record = record?;
//!     println!("{} {:?}", record.summary.id, record.summary.status());
//! }
//! # Ok::<(), provctl::logfile::FileError>(())
//! ```

mod csv_file;
mod normalize;
mod order;
mod scan;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::graph::model::logs::ProvisioningObjectSummary;

pub use order::{Delivered, SORT_IN_MEMORY, TimeOrder, TopN, all_by_time, first_by_time};
pub use scan::Position;
use scan::{ScanError, Scanner};

/// One record read from a file.
#[derive(Debug, Clone)]
pub struct Record {
    /// The record as Graph's `provisioningObjectSummary`.
    pub summary: ProvisioningObjectSummary,
    /// The record's JSON in Graph's shape (camelCase names, enums as strings): for an Azure Monitor
    /// export the `properties` object, normalised; for CSV the columns mapped onto Graph's names.
    pub raw: Value,
    /// Where the record starts in the file.
    pub position: Position,
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

/// Opens a log file and detects its shape. Records are read as the iterator is advanced.
pub fn open(path: &Path) -> Result<LogFile, FileError> {
    let file = File::open(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            FileErrorKind::NotFound
        } else {
            FileErrorKind::Io
        };
        FileError::new(path, kind, None, format!("cannot open: {e}"))
    })?;
    let mut f = from_reader(path, Box::new(BufReader::with_capacity(64 * 1024, file)))?;
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

/// Reads log records from any reader (`path` only names it in errors).
pub fn from_reader(path: &Path, reader: Box<dyn Read + Send>) -> Result<LogFile, FileError> {
    let mut scanner = Scanner::new(reader);
    let first = scanner
        .skip_ws()
        .map_err(|e| FileError::new(path, FileErrorKind::Io, None, format!("cannot read: {e}")))?;
    let inner = match first {
        Some(b'{' | b'[') | None => Inner::Json(JsonState {
            scanner,
            state: State::Top,
            buf: Vec::new(),
        }),
        Some(_) => {
            let base = scanner.position();
            Inner::Csv(csv_file::CsvRecords::new(
                path,
                Box::new(scanner.into_reader()),
                base,
            )?)
        }
    };
    Ok(LogFile {
        path: path.to_path_buf(),
        format: if matches!(inner, Inner::Csv(_)) {
            FileFormat::Csv
        } else {
            FileFormat::Unknown
        },
        inner,
        failed: false,
        count: 0,
        stamp: None,
    })
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
        Ok(Box::new(BufReader::with_capacity(64 * 1024, file)))
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
            Inner::Csv(csv.resume(open_at(at.at.byte)?, at.at))
        }
        Some(state) => Inner::Json(JsonState {
            scanner: Scanner::starting_at(open_at(at.at.byte)?, at.at),
            state,
            buf: Vec::new(),
        }),
    };
    Ok(LogFile {
        path: path.to_path_buf(),
        format: at.format,
        inner,
        failed: false,
        count: 0,
        stamp: stamp(path),
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
    path: PathBuf,
    format: FileFormat,
    inner: Inner,
    failed: bool,
    count: u64,
    /// Set when the file is a regular file, which can be read again ([`reopen`]).
    stamp: Option<Stamp>,
}

impl fmt::Debug for LogFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogFile")
            .field("path", &self.path)
            .field("format", &self.format)
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
    /// Inside an array of records; `in_object` when the array is a `value`/`records` member.
    Array { in_object: bool, first: bool },
    /// After the records array of an object: skipping its remaining members.
    RestOfObject,
}

impl LogFile {
    /// The shape detected (known after the first record).
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// Where the next record will be read from: [`reopen`] continues from here.
    pub fn resume_point(&self) -> ResumePoint {
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

    fn next_json(&mut self) -> Result<Option<Record>, FileError> {
        let path = self.path.clone();
        let Inner::Json(js) = &mut self.inner else {
            return Ok(None);
        };
        let err = |e: ScanError| scan_error(&path, e);
        loop {
            match js.state {
                State::Top => {
                    let Some(b) = js.scanner.skip_ws().map_err(|e| err(e.into()))? else {
                        return Ok(None);
                    };
                    match b {
                        b'[' => {
                            js.scanner.bump().map_err(|e| err(e.into()))?;
                            js.state = State::Array {
                                in_object: false,
                                first: true,
                            };
                            if self.format == FileFormat::Unknown {
                                self.format = FileFormat::JsonArray;
                            }
                        }
                        b'{' => {
                            if let Some(r) = top_object(&path, js, &mut self.format)? {
                                return Ok(Some(r));
                            }
                        }
                        b',' => {
                            // Tolerate records separated by commas without an enclosing array.
                            js.scanner.bump().map_err(|e| err(e.into()))?;
                        }
                        found => {
                            return Err(err(ScanError::Unexpected {
                                at: js.scanner.position(),
                                found,
                                expected: "a JSON object or array",
                            }));
                        }
                    }
                }
                State::Array { in_object, first } => {
                    let at = js.scanner.position();
                    match js.scanner.skip_ws().map_err(|e| err(e.into()))? {
                        Some(b']') => {
                            js.scanner.bump().map_err(|e| err(e.into()))?;
                            js.state = if in_object {
                                State::RestOfObject
                            } else {
                                State::Top
                            };
                            continue;
                        }
                        None => {
                            return Err(FileError::new(
                                &path,
                                FileErrorKind::Truncated,
                                Some(at),
                                "the file ends inside the array of records (no closing ']'): it was cut short",
                            ));
                        }
                        _ => {}
                    }
                    if !first {
                        js.scanner.expect(b',', "',' or ']'").map_err(err)?;
                    }
                    js.state = State::Array {
                        in_object,
                        first: false,
                    };
                    js.buf.clear();
                    let start = js.scanner.read_value(&mut js.buf).map_err(err)?;
                    let value = parse_json(&path, &js.buf, start)?;
                    return element(&path, value, start, &mut self.format).map(Some);
                }
                State::RestOfObject => {
                    let at = js.scanner.position();
                    match js.scanner.skip_ws().map_err(|e| err(e.into()))? {
                        Some(b'}') => {
                            js.scanner.bump().map_err(|e| err(e.into()))?;
                            js.state = State::Top;
                        }
                        Some(b',') => {
                            js.scanner.bump().map_err(|e| err(e.into()))?;
                            js.buf.clear();
                            js.scanner.read_value(&mut js.buf).map_err(err)?;
                            js.scanner.expect(b':', "':'").map_err(err)?;
                            js.buf.clear();
                            js.scanner.read_value(&mut js.buf).map_err(err)?;
                        }
                        Some(found) => {
                            return Err(err(ScanError::Unexpected {
                                at,
                                found,
                                expected: "',' or '}'",
                            }));
                        }
                        None => {
                            return Err(FileError::new(
                                &path,
                                FileErrorKind::Truncated,
                                Some(at),
                                "the file ends inside a JSON object (no closing '}'): it was cut short",
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// A top-level `{`: a Graph page / Azure Monitor `records` wrapper (switch to streaming its array),
/// or a record on its own (a JSON line).
fn top_object(
    path: &Path,
    js: &mut JsonState,
    format: &mut FileFormat,
) -> Result<Option<Record>, FileError> {
    let err = |e: ScanError| scan_error(path, e);
    let start = js.scanner.position();
    js.scanner.bump().map_err(|e| err(e.into()))?;
    // The members read so far, re-assembled as an object in case this is a record.
    let mut obj = Vec::with_capacity(2048);
    obj.push(b'{');
    let mut first = true;
    loop {
        let at = js.scanner.position();
        match js.scanner.skip_ws().map_err(|e| err(e.into()))? {
            Some(b'}') => {
                js.scanner.bump().map_err(|e| err(e.into()))?;
                obj.push(b'}');
                let value = parse_json(path, &obj, start)?;
                if *format == FileFormat::Unknown {
                    *format = FileFormat::JsonLines;
                }
                return element(path, value, start, format).map(Some);
            }
            None => {
                return Err(FileError::new(
                    path,
                    FileErrorKind::Truncated,
                    Some(start),
                    format!(
                        "the file ends inside the JSON object that starts here (reached byte {}): it was cut short",
                        at.byte
                    ),
                ));
            }
            _ => {}
        }
        if !first {
            js.scanner.expect(b',', "',' or '}'").map_err(err)?;
            obj.push(b',');
        }
        first = false;
        js.buf.clear();
        let key_at = js.scanner.read_value(&mut js.buf).map_err(err)?;
        if js.buf.first() != Some(&b'"') {
            return Err(FileError::new(
                path,
                FileErrorKind::Malformed,
                Some(key_at),
                "expected a member name in quotes",
            ));
        }
        let key = js.buf.clone();
        js.scanner.expect(b':', "':'").map_err(err)?;
        let is_container = matches!(&key[..], b"\"value\"" | b"\"records\"" | b"\"Records\"");
        if is_container && js.scanner.skip_ws().map_err(|e| err(e.into()))? == Some(b'[') {
            js.scanner.bump().map_err(|e| err(e.into()))?;
            js.state = State::Array {
                in_object: true,
                first: true,
            };
            if *format == FileFormat::Unknown {
                *format = if key == b"\"value\"" {
                    FileFormat::GraphPages
                } else {
                    FileFormat::AzureMonitor
                };
            }
            return Ok(None);
        }
        obj.extend_from_slice(&key);
        obj.push(b':');
        js.scanner.read_value(&mut obj).map_err(err)?;
    }
}

fn parse_json(path: &Path, bytes: &[u8], start: Position) -> Result<Value, FileError> {
    serde_json::from_slice(bytes).map_err(|e| {
        // serde's line/column are relative to the value; make them absolute.
        let line = start.line + e.line().saturating_sub(1) as u64;
        FileError::new(
            path,
            FileErrorKind::Malformed,
            Some(Position {
                line,
                byte: start.byte,
            }),
            format!(
                "the record starting here is not valid JSON (line {line}, column {}): {e}",
                e.column()
            ),
        )
    })
}

fn element(
    path: &Path,
    value: Value,
    start: Position,
    format: &mut FileFormat,
) -> Result<Record, FileError> {
    let (raw, envelope) = normalize::record(value)
        .map_err(|m| FileError::new(path, FileErrorKind::Malformed, Some(start), m))?;
    if envelope
        && matches!(
            *format,
            FileFormat::JsonLines | FileFormat::JsonArray | FileFormat::Unknown
        )
    {
        *format = FileFormat::AzureMonitor;
    }
    let summary = normalize::summary(&raw)
        .map_err(|m| FileError::new(path, FileErrorKind::Malformed, Some(start), m))?;
    Ok(Record {
        summary,
        raw,
        position: start,
    })
}

fn scan_error(path: &Path, e: ScanError) -> FileError {
    match e {
        ScanError::Io(e) => {
            FileError::new(path, FileErrorKind::Io, None, format!("cannot read: {e}"))
        }
        ScanError::Eof { start, at } => FileError::new(
            path,
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
        } => FileError::new(
            path,
            FileErrorKind::Malformed,
            Some(at),
            format!("expected {expected}, found {}", describe_byte(found)),
        ),
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
        let r = match &mut self.inner {
            Inner::Json(_) => self.next_json(),
            Inner::Csv(c) => c.next_record(),
        };
        match r {
            Ok(Some(rec)) => {
                self.count += 1;
                Some(Ok(rec))
            }
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
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
            Ok(v) => v.iter().map(|r| r.summary.id.clone()).collect(),
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
        assert_eq!(f, FileFormat::AzureMonitor);
        let recs = r.unwrap_or_default();
        assert_eq!(
            recs[1].summary.action().map(|a| a.as_str().to_owned()),
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
        let s = &recs[0].summary;
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
                all.push((r.summary.id, r.position));
                points.push(f.resume_point());
            }
            assert_eq!(all.len(), 3, "shape {i}");
            for (k, point) in points.iter().enumerate() {
                let again: Vec<(String, Position)> = reopen(&path, point)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .map(|r| r.map(|r| (r.summary.id, r.position)))
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
