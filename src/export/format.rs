//! The file formats of a log export and how one record is laid out in each: NDJSON (each record
//! exactly as Graph sent it, one per line), a JSON array, or CSV with the columns admins filter on.
//! Also which format a file name asks for (`.ndjson`, `.jsonl`, `.json`, `.csv`), so `--out` and
//! `--format` cannot disagree silently.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::graph::model::logs::ProvisioningObjectSummary;

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One record per line, exactly as Graph sent it (`.ndjson`, `.jsonl`).
    Ndjson,
    /// A JSON array of records (`.json`).
    Json,
    /// CSV: id, activityDateTime, action, status, errorCode, reason, source/target id and name,
    /// jobId, cycleId, changeId (`.csv`).
    Csv,
}

/// `--format` and the extension of `--out` name different formats, or the extension names none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The explicit format is not the one the file name asks for.
    #[error(
        "--format {format} does not match --out {path}, whose extension means {by_name}: rename the file or change --format"
    )]
    Mismatch {
        /// `--format` as given.
        format: ExportFormat,
        /// The file.
        path: String,
        /// The format its extension names.
        by_name: ExportFormat,
    },
    /// No `--format`, and the extension is not one of a known format.
    #[error(
        "cannot tell the format of --out {path} from its name: end it in .ndjson or .jsonl, .json or .csv, or add --format ndjson|json|csv"
    )]
    Unknown {
        /// The file.
        path: String,
    },
}

impl ExportFormat {
    /// The format's name (as `--format` takes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }

    /// The format a file name's extension names (case-insensitive), if any.
    pub fn from_extension(path: &Path) -> Option<ExportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "ndjson" | "jsonl" => Some(ExportFormat::Ndjson),
            "json" => Some(ExportFormat::Json),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }

    /// The format to write to `path`: the explicit one when its extension agrees or names no
    /// format, otherwise the one the extension names. A disagreement is refused, never guessed.
    pub fn for_file(explicit: Option<ExportFormat>, path: &Path) -> Result<Self, FormatError> {
        let shown = || path.display().to_string();
        match (explicit, ExportFormat::from_extension(path)) {
            (Some(f), Some(by_name)) if f != by_name => Err(FormatError::Mismatch {
                format: f,
                path: shown(),
                by_name,
            }),
            (Some(f), _) | (None, Some(f)) => Ok(f),
            (None, None) => Err(FormatError::Unknown { path: shown() }),
        }
    }

    /// What the file starts with before any record.
    pub fn header(self) -> Vec<u8> {
        match self {
            ExportFormat::Ndjson => Vec::new(),
            ExportFormat::Json => b"[".to_vec(),
            ExportFormat::Csv => {
                let mut w = csv_writer(Vec::new());
                // Writing to a Vec cannot fail.
                let _ = w.write_record(CSV_HEADERS);
                w.into_inner().unwrap_or_default()
            }
        }
    }

    /// What the file ends with after the last record.
    pub fn footer(self) -> &'static [u8] {
        match self {
            ExportFormat::Json => b"\n]\n",
            _ => b"",
        }
    }

    /// Appends record number `index` (from 0), Graph's JSON text `text`, to `buf` in this format.
    /// NDJSON and JSON keep the record as Graph sent it (re-serialised on one line only when
    /// Graph pretty-printed it); CSV reads the columns.
    pub fn write_record(self, index: u64, text: &str, buf: &mut Vec<u8>) -> Result<(), String> {
        match self {
            ExportFormat::Ndjson | ExportFormat::Json => {
                if self == ExportFormat::Json {
                    buf.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
                }
                if memchr::memchr(b'\n', text.as_bytes()).is_some() {
                    // Pretty-printed by the server: one line per record is the format's promise.
                    let v: serde_json::Value = serde_json::from_str(text)
                        .map_err(|e| format!("Graph sent a record that is not JSON: {e}"))?;
                    serde_json::to_writer(&mut *buf, &v).map_err(|e| e.to_string())?;
                } else {
                    buf.extend_from_slice(text.as_bytes());
                }
                if self == ExportFormat::Ndjson {
                    buf.push(b'\n');
                }
            }
            ExportFormat::Csv => {
                let r: ProvisioningObjectSummary = serde_json::from_str(text)
                    .map_err(|e| format!("Graph sent a record provctl cannot read for CSV: {e}"))?;
                let mut w = csv_writer(&mut *buf);
                w.write_record(csv_row(&r))
                    .and_then(|_| w.flush().map_err(csv::Error::from))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// The id and time of the one record that `bytes` holds as this format wrote it (see
    /// [`ExportFormat::write_record`]), to check a checkpoint against its file.
    pub(crate) fn read_back(self, bytes: &[u8]) -> Option<(String, String)> {
        #[derive(Deserialize)]
        struct Head {
            id: String,
            #[serde(rename = "activityDateTime")]
            time: String,
        }
        match self {
            ExportFormat::Ndjson | ExportFormat::Json => {
                let text = bytes.strip_prefix(b",").unwrap_or(bytes);
                let h: Head = serde_json::from_slice(text).ok()?;
                Some((h.id, h.time))
            }
            ExportFormat::Csv => {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(bytes);
                let rec = r.records().next()?.ok()?;
                let more = r.records().next().is_some();
                if more || rec.len() != CSV_HEADERS.len() {
                    return None;
                }
                Some((rec.get(0)?.to_owned(), rec.get(1)?.to_owned()))
            }
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn csv_writer<W: std::io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// The CSV columns of `logs search -o csv` and of a CSV export.
pub const CSV_HEADERS: [&str; 13] = [
    "id",
    "activityDateTime",
    "action",
    "status",
    "errorCode",
    "reason",
    "sourceId",
    "sourceName",
    "targetId",
    "targetName",
    "jobId",
    "cycleId",
    "changeId",
];

/// A skip's reason, which Graph puts in a step's `SkipReason` (or the skipped step's description),
/// not in `errorInformation`: the reason column is filled for skips as for failures.
fn skip_reason(r: &ProvisioningObjectSummary) -> String {
    let step = r.decisive_step();
    match (r.skip_reason(), step.and_then(|s| s.description.as_deref())) {
        (Some(reason), _) => reason.to_owned(),
        (None, Some(d)) if r.is_skipped() => d.to_owned(),
        _ => String::new(),
    }
}

/// One record as a CSV row in [`CSV_HEADERS`] order: full ids, RFC 3339 UTC times, and the reason
/// of a failure or a skip.
pub fn csv_row(r: &ProvisioningObjectSummary) -> [String; 13] {
    let e = r.error().unwrap_or_default();
    let s = |v: Option<&str>| v.unwrap_or("").to_owned();
    let src = r.source_identity.as_ref();
    let tgt = r.target_identity.as_ref();
    [
        r.id.clone(),
        r.activity_date_time
            .map(crate::output::time::machine)
            .unwrap_or_default(),
        r.action()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        r.status()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        s(e.error_code.as_deref()),
        match e.reason.as_deref().filter(|r| !r.is_empty()) {
            Some(reason) => reason.to_owned(),
            None => skip_reason(r),
        },
        s(src.and_then(|i| i.id.as_deref())),
        s(src.and_then(|i| i.display_name.as_deref())),
        s(tgt.and_then(|i| i.id.as_deref())),
        s(tgt.and_then(|i| i.display_name.as_deref())),
        s(r.job_id.as_deref()),
        s(r.cycle_id.as_deref()),
        s(r.change_id.as_deref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_decides_and_a_disagreeing_format_is_refused() {
        let f = |explicit, name: &str| ExportFormat::for_file(explicit, Path::new(name));
        assert_eq!(f(None, "a.ndjson"), Ok(ExportFormat::Ndjson));
        assert_eq!(f(None, "a.JSONL"), Ok(ExportFormat::Ndjson));
        assert_eq!(f(None, "a.json"), Ok(ExportFormat::Json));
        assert_eq!(f(None, "dir.v2/a.csv"), Ok(ExportFormat::Csv));
        assert_eq!(
            f(Some(ExportFormat::Csv), "a.log"),
            Ok(ExportFormat::Csv),
            "an extension that names no format does not argue"
        );
        let e = f(Some(ExportFormat::Csv), "a.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--format csv") && e.contains("a.json") && e.contains("means json"));
        let e = f(None, "export").unwrap_err().to_string();
        assert!(e.contains("export") && e.contains(".ndjson"), "{e}");
    }

    #[test]
    fn a_written_record_reads_back_as_its_id_and_time_in_every_format() {
        let text = r#"{"id":"a,1","activityDateTime":"2026-11-01T00:00:00Z","jobId":"j"}"#;
        for format in [ExportFormat::Ndjson, ExportFormat::Json, ExportFormat::Csv] {
            for index in [0, 1] {
                let mut buf = Vec::new();
                format.write_record(index, text, &mut buf).unwrap();
                assert_eq!(
                    format.read_back(&buf),
                    Some(("a,1".into(), "2026-11-01T00:00:00Z".into())),
                    "{format} {index}: {}",
                    String::from_utf8_lossy(&buf)
                );
                // Half a record is not a record.
                assert_eq!(format.read_back(&buf[buf.len() / 2..]), None, "{format}");
            }
        }
    }
}
