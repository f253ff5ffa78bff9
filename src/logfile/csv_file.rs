//! CSV log files with a header row: our own `--format csv` export and the portal's CSV download.
//! Columns are matched by name (case, spaces and punctuation ignored); unknown columns are reported
//! as warnings, not errors. Each row becomes a Graph-shaped record.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

use super::scan::MAX_RECORD_BYTES;
use super::{FileError, FileErrorKind, Position, head};

/// Which record field a column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Time,
    Action,
    Status,
    ErrorCode,
    Reason,
    SourceId,
    SourceName,
    SourceType,
    TargetId,
    TargetName,
    TargetType,
    JobId,
    CycleId,
    ChangeId,
    TenantId,
    SpId,
    SpName,
    SourceSystem,
    TargetSystem,
    Duration,
    Initiator,
}

/// Whether a header names a column provctl reads (how a CSV file is recognised).
pub(crate) fn is_known_column(header: &str) -> bool {
    column(header).is_some()
}

/// A reader that fails on a line longer than [`MAX_RECORD_BYTES`], so a CSV row without an end
/// cannot grow the csv reader's record without bound.
pub(crate) struct LineCap<R> {
    inner: R,
    run: usize,
}

impl<R> LineCap<R> {
    pub fn new(inner: R) -> Self {
        LineCap { inner, run: 0 }
    }
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        let got = &out[..n];
        self.run = match memchr::memrchr(b'\n', got) {
            Some(i) => n - i - 1,
            None => self.run + n,
        };
        if self.run > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(format!(
                "a line longer than {} MiB: not a CSV export provctl reads",
                MAX_RECORD_BYTES >> 20
            )));
        }
        Ok(n)
    }
}

fn column(header: &str) -> Option<Col> {
    let k: String = header
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    use Col::*;
    Some(match k.as_str() {
        "id" | "logid" | "eventid" => Id,
        "activitydatetime" | "date" | "datetime" | "time" | "timestamp" | "activitydate"
        | "datetimeutc" | "dateutc" => Time,
        "action" | "provisioningaction" => Action,
        "status" | "provisioningstatus" | "result" => Status,
        "errorcode" => ErrorCode,
        "reason" | "errorreason" | "failurereason" | "statusreason" => Reason,
        "sourceid" | "sourceidentityid" | "sourceobjectid" => SourceId,
        "sourcename" | "sourceidentityname" | "sourcedisplayname" | "sourceidentitydisplayname" => {
            SourceName
        }
        "sourcetype" | "sourceidentitytype" | "identitytype" => SourceType,
        "targetid" | "targetidentityid" | "targetobjectid" => TargetId,
        "targetname" | "targetidentityname" | "targetdisplayname" | "targetidentitydisplayname" => {
            TargetName
        }
        "targettype" | "targetidentitytype" => TargetType,
        "jobid" => JobId,
        "cycleid" => CycleId,
        "changeid" => ChangeId,
        "tenantid" => TenantId,
        "serviceprincipalid" | "spid" => SpId,
        "serviceprincipalname"
        | "serviceprincipaldisplayname"
        | "serviceprincipal"
        | "application" => SpName,
        "sourcesystem" | "sourcesystemname" => SourceSystem,
        "targetsystem" | "targetsystemname" => TargetSystem,
        "durationinmilliseconds" | "durationms" | "duration" => Duration,
        "initiatedby" | "initiator" => Initiator,
        _ => return None,
    })
}

/// The rows of a CSV file.
pub(crate) struct CsvRecords {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read + Send>>,
    /// Where in the file the reader's source starts (after a byte-order mark, or mid-way).
    base: Position,
    columns: Vec<Option<Col>>,
    unknown: Vec<String>,
    row: csv::StringRecord,
}

impl CsvRecords {
    /// Reads the header row from `source`, which starts at `base` in the file.
    pub fn new(
        path: &Path,
        source: Box<dyn Read + Send>,
        base: Position,
    ) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(source);
        let headers = reader
            .headers()
            .map_err(|e| csv_error(path, base, &e))?
            .clone();
        let columns: Vec<Option<Col>> = headers.iter().map(column).collect();
        if !columns.contains(&Some(Col::Id)) {
            return Err(FileError::new(
                path,
                FileErrorKind::Malformed,
                Some(base),
                format!(
                    "not a provisioning log file: it is not JSON, and as CSV its header row ({}) has no 'id' column",
                    head::echo(&headers.iter().take(6).collect::<Vec<_>>().join(", "))
                ),
            ));
        }
        let unknown = headers
            .iter()
            .zip(&columns)
            .filter(|(_, c)| c.is_none())
            .map(|(h, _)| h.to_owned())
            .collect();
        Ok(CsvRecords {
            path: path.to_path_buf(),
            reader,
            base,
            columns,
            unknown,
            row: csv::StringRecord::new(),
        })
    }

    /// Continues with the rows of `source`, which starts at `base` in the same file, at the start
    /// of a row (a point from [`CsvRecords::next_position`]); the columns stay those of the header.
    pub fn resume(mut self, source: Box<dyn Read + Send>, base: Position) -> Self {
        self.reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(source);
        self.base = base;
        self
    }

    /// Where the next row starts in the file.
    pub fn next_position(&self) -> Position {
        absolute(self.base, self.reader.position())
    }

    pub fn warnings(&self) -> Vec<String> {
        self.unknown
            .iter()
            .map(|c| {
                format!(
                    "{}: CSV column {} is not known to provctl and was ignored",
                    self.path.display(),
                    head::echo(c)
                )
            })
            .collect()
    }

    /// The next row as a Graph-shaped record value, and where it starts.
    pub fn next_row(&mut self) -> Result<Option<(Position, Value)>, FileError> {
        match self.reader.read_record(&mut self.row) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(csv_error(&self.path, self.base, &e)),
        }
        let pos = self.row.position().map(|p| absolute(self.base, p));
        let mut rec = Map::new();
        let mut status = Map::new();
        let mut error = Map::new();
        let mut src = Map::new();
        let mut tgt = Map::new();
        let mut sp = Map::new();
        for (value, col) in self.row.iter().zip(&self.columns) {
            let Some(col) = col else { continue };
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            let s = || Value::String(v.to_owned());
            use Col::*;
            match col {
                Id => {
                    rec.insert("id".into(), s());
                }
                Time => {
                    let t = parse_time(v).ok_or_else(|| {
                        FileError::new(
                            &self.path,
                            FileErrorKind::Malformed,
                            pos,
                            format!(
                                "{} is not a date and time (expected e.g. 2026-11-25T10:00:00Z)",
                                head::echo(v)
                            ),
                        )
                    })?;
                    rec.insert(
                        "activityDateTime".into(),
                        json!(crate::output::time::machine(t)),
                    );
                }
                Action => {
                    rec.insert("provisioningAction".into(), s());
                }
                Status => {
                    status.insert("status".into(), Value::String(v.to_ascii_lowercase()));
                }
                ErrorCode => {
                    error.insert("errorCode".into(), s());
                }
                Reason => {
                    error.insert("reason".into(), s());
                }
                SourceId => {
                    src.insert("id".into(), s());
                }
                SourceName => {
                    src.insert("displayName".into(), s());
                }
                SourceType => {
                    src.insert("identityType".into(), s());
                }
                TargetId => {
                    tgt.insert("id".into(), s());
                }
                TargetName => {
                    tgt.insert("displayName".into(), s());
                }
                TargetType => {
                    tgt.insert("identityType".into(), s());
                }
                JobId => {
                    rec.insert("jobId".into(), s());
                }
                CycleId => {
                    rec.insert("cycleId".into(), s());
                }
                ChangeId => {
                    rec.insert("changeId".into(), s());
                }
                TenantId => {
                    rec.insert("tenantId".into(), s());
                }
                SpId => {
                    sp.insert("id".into(), s());
                }
                SpName => {
                    sp.insert("displayName".into(), s());
                }
                SourceSystem => {
                    rec.insert("sourceSystem".into(), json!({"displayName": v}));
                }
                TargetSystem => {
                    rec.insert("targetSystem".into(), json!({"displayName": v}));
                }
                Duration => {
                    if let Ok(n) = v.parse::<i64>() {
                        rec.insert("durationInMilliseconds".into(), json!(n));
                    }
                }
                Initiator => {
                    rec.insert("initiatedBy".into(), json!({"displayName": v}));
                }
            }
        }
        if !error.is_empty() {
            status.insert("errorInformation".into(), Value::Object(error));
        }
        for (k, m) in [
            ("provisioningStatusInfo", status),
            ("sourceIdentity", src),
            ("targetIdentity", tgt),
            ("servicePrincipal", sp),
        ] {
            if !m.is_empty() {
                rec.insert(k.into(), Value::Object(m));
            }
        }
        Ok(Some((pos.unwrap_or_default(), Value::Object(rec))))
    }
}

fn parse_time(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y, %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// A position of the csv reader (relative to its source) as a position in the file.
fn absolute(base: Position, p: &csv::Position) -> Position {
    Position {
        line: base.line + p.line().saturating_sub(1),
        byte: base.byte + p.byte(),
    }
}

fn csv_error(path: &Path, base: Position, e: &csv::Error) -> FileError {
    let pos = e.position().map(|p| absolute(base, p));
    let kind = if matches!(e.kind(), csv::ErrorKind::Io(_)) {
        FileErrorKind::Io
    } else {
        FileErrorKind::Malformed
    };
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this CSV row has {len} fields but the header row has {expected_len} (a row cut short, or a comma inside an unquoted value)"
        ),
        csv::ErrorKind::Utf8 { .. } => "this CSV row is not valid UTF-8".into(),
        _ => format!("not valid CSV: {}", head::capped(&e.to_string())),
    };
    FileError::new(path, kind, pos, message)
}
