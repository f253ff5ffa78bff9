//! The export checkpoint (`FILE.checkpoint.json`): what the query was, and exactly which bytes of
//! `FILE.partial` are durable records (offset, count, the crawl's position after them, the time).
//!
//! It is trusted only when it proves itself: it carries a SHA-256 of its own content, and a
//! fingerprint of the file prefix it vouches for (the length and SHA-256 of the last record before
//! the offset, or of the header when there is none). A resume checks both, and that the record at
//! the fingerprint is the one whose id and time the checkpoint names; anything else is refused.
//! It is replaced atomically (temporary file, fsync, rename), and the temporary file never
//! outlives a failure.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use aws_lc_rs::digest;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::crawl::Position;
use super::format::ExportFormat;
use super::{FileRole, WriteSeam};

/// The version of the checkpoint layout; another version is refused, not guessed at.
pub const CHECKPOINT_VERSION: u32 = 2;

/// A length and SHA-256 of the last bytes before a checkpoint's offset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// How many bytes before the offset (the last record as written, or the header).
    pub bytes: u64,
    /// Their SHA-256, lowercase hex.
    pub sha256: String,
}

impl Fingerprint {
    /// The fingerprint of `bytes`.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint {
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}

/// What survives a crash. See the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`CHECKPOINT_VERSION`].
    pub version: u32,
    /// The file format.
    pub format: ExportFormat,
    /// The `$filter` without the time range.
    pub filter: String,
    /// The API version (`v1.0` or `beta`).
    pub api: String,
    /// `$top`, when one was asked for.
    pub page_size: Option<u32>,
    /// The start of the range, fixed when the export began.
    pub since: DateTime<Utc>,
    /// The start as the user wrote it (`30d`), so the same words on `--resume` mean the same range.
    pub since_text: Option<String>,
    /// The end of the range, fixed when the export began (the start time when none was given).
    pub until: DateTime<Utc>,
    /// The end as the user wrote it.
    pub until_text: Option<String>,
    /// Bytes of the partial file that are header and whole records, all durable.
    pub offset: u64,
    /// Records in those bytes.
    pub count: u64,
    /// The crawl's position after the last of them.
    #[serde(flatten)]
    pub position: Position,
    /// The fingerprint of the bytes just before `offset`.
    pub tail: Fingerprint,
    /// Every page is in; only the footer and the rename were left.
    pub complete: bool,
    /// When this checkpoint was written.
    pub written_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(flatten)]
    checkpoint: Checkpoint,
    /// `sha256:` and the SHA-256 of the checkpoint's JSON without this member.
    checksum: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, bytes);
    let mut s = String::with_capacity(64);
    for b in d.as_ref() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn checksum(cp: &Checkpoint) -> String {
    // Serialising a struct cannot fail; an empty body would only make the checksum not match.
    format!(
        "sha256:{}",
        sha256_hex(&serde_json::to_vec(cp).unwrap_or_default())
    )
}

impl Checkpoint {
    /// Reads a checkpoint and checks it against itself: it parses, it is this version, its
    /// checksum matches, and its fields agree with each other. The error says what is wrong.
    pub fn load(path: &Path) -> Result<Checkpoint, String> {
        let mut text = Vec::new();
        File::open(path)
            .and_then(|f| f.take(64 << 20).read_to_end(&mut text))
            .map_err(|e| format!("cannot be read: {e}"))?;
        let v: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| format!("is not a provctl export checkpoint: {e}"))?;
        if let Some(version) = v.get("version").and_then(|v| v.as_u64())
            && version != u64::from(CHECKPOINT_VERSION)
        {
            return Err(format!(
                "was written by another provctl version (checkpoint version {version})"
            ));
        }
        let sealed: Sealed = serde_json::from_value(v)
            .map_err(|e| format!("is not a provctl export checkpoint: {e}"))?;
        let cp = sealed.checkpoint;
        if checksum(&cp) != sealed.checksum {
            return Err(
                "was changed or damaged: its checksum does not match its content".to_owned(),
            );
        }
        cp.consistent()?;
        Ok(cp)
    }

    /// Fields that must agree whatever else is true.
    fn consistent(&self) -> Result<(), String> {
        if let Some(t) = &self.position.last_time
            && DateTime::parse_from_rfc3339(t).is_err()
        {
            return Err(format!("names a last record time '{t}' that is not a time"));
        }
        let has_records = self.count > 0;
        if has_records != self.position.last_time.is_some()
            || has_records == self.position.tail_ids.is_empty()
        {
            return Err(format!(
                "counts {} records but names {} last record",
                self.count,
                if self.position.last_time.is_some() {
                    "a"
                } else {
                    "no"
                }
            ));
        }
        if self.complete && self.position.next_link.is_some() {
            return Err("says it is complete but names a next page".to_owned());
        }
        if self.tail.bytes > self.offset {
            return Err(format!(
                "fingerprints {} bytes before offset {}",
                self.tail.bytes, self.offset
            ));
        }
        Ok(())
    }

    /// Checks that `file` holds what this checkpoint vouches for: at least `offset` bytes, the
    /// fingerprinted bytes before the offset, and there the record the checkpoint names.
    pub fn matches_file(&self, file: &mut File) -> Result<(), String> {
        let len = file
            .metadata()
            .map_err(|e| format!("cannot be read: {e}"))?
            .len();
        if len < self.offset {
            return Err(format!(
                "holds {len} bytes but the checkpoint vouches for {}: the file lost data",
                self.offset
            ));
        }
        let n = usize::try_from(self.tail.bytes)
            .ok()
            .filter(|&n| n <= 64 << 20)
            .ok_or_else(|| format!("fingerprint of {} bytes is too long", self.tail.bytes))?;
        let from = self.offset.checked_sub(self.tail.bytes).ok_or_else(|| {
            format!(
                "fingerprints {} bytes before offset {}",
                self.tail.bytes, self.offset
            )
        })?;
        let mut tail = vec![0; n];
        file.seek(SeekFrom::Start(from))
            .and_then(|_| file.read_exact(&mut tail))
            .map_err(|e| format!("cannot be read: {e}"))?;
        if Fingerprint::of(&tail) != self.tail {
            return Err(format!(
                "does not hold, before byte {}, the record the checkpoint fingerprinted",
                self.offset
            ));
        }
        let records = count_records(file, self.format, self.offset)
            .map_err(|e| format!("cannot be read: {e}"))?;
        if records != self.count {
            return Err(format!(
                "holds {records} records before byte {}, not the {} the checkpoint counts",
                self.offset, self.count
            ));
        }
        if self.count == 0 {
            return if tail == self.format.header() {
                Ok(())
            } else {
                Err("does not start with the header the checkpoint names".to_owned())
            };
        }
        let (id, time) = self.format.read_back(&tail).ok_or_else(|| {
            format!(
                "does not end in a whole {} record at byte {}",
                self.format, self.offset
            )
        })?;
        let same_time = self.position.last_time.as_deref().is_some_and(|t| {
            DateTime::parse_from_rfc3339(t).ok() == DateTime::parse_from_rfc3339(&time).ok()
        });
        if !same_time || !self.position.tail_ids.contains(&id) {
            return Err(format!(
                "ends in record {id} at {time}, not in the last record the checkpoint names"
            ));
        }
        Ok(())
    }

    /// Replaces the checkpoint at `path` atomically: a crash leaves the old one or the new one,
    /// never half of one, and a failure leaves no temporary file.
    pub fn save(&self, path: &Path, seam: &dyn WriteSeam) -> std::io::Result<()> {
        let sealed = Sealed {
            checkpoint: self.clone(),
            checksum: checksum(self),
        };
        let body = serde_json::to_vec_pretty(&sealed).map_err(std::io::Error::other)?;
        let tmp = tmp_path(path);
        let r = write_synced(&tmp, &body, seam).and_then(|_| fs::rename(&tmp, path));
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r
    }
}

/// The records in the first `offset` bytes of `file`, as `format` lays them out: one line each
/// in NDJSON and in provctl's JSON arrays (a record's own line breaks are escaped), CSV rows
/// after the header. Read in blocks: memory does not grow with the file.
fn count_records(file: &mut File, format: ExportFormat, offset: u64) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut prefix = std::io::BufReader::with_capacity(1 << 20, (&*file).take(offset));
    match format {
        ExportFormat::Ndjson | ExportFormat::Json => {
            let mut n = 0;
            loop {
                let block = std::io::BufRead::fill_buf(&mut prefix)?;
                if block.is_empty() {
                    return Ok(n);
                }
                n += memchr::memchr_iter(b'\n', block).count() as u64;
                let len = block.len();
                std::io::BufRead::consume(&mut prefix, len);
            }
        }
        ExportFormat::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(prefix);
            let mut rec = csv::ByteRecord::new();
            let mut n = 0;
            while r
                .read_byte_record(&mut rec)
                .map_err(std::io::Error::other)?
            {
                n += 1;
            }
            Ok(n)
        }
    }
}

/// `FILE.checkpoint.json.tmp`: where the next checkpoint is written before the rename.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

fn write_synced(path: &Path, body: &[u8], seam: &dyn WriteSeam) -> std::io::Result<()> {
    let f = File::create(path)?;
    let mut w = seam.wrap(f.try_clone()?, FileRole::Checkpoint);
    w.write_all(body)?;
    w.flush()?;
    drop(w);
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(format: ExportFormat) -> (Checkpoint, Vec<u8>) {
        let mut file = format.header();
        let text = r#"{"id":"r1","activityDateTime":"2026-11-01T00:00:00.123Z"}"#;
        let mut rec = Vec::new();
        format.write_record(0, text, &mut rec).unwrap();
        file.extend_from_slice(&rec);
        let cp = Checkpoint {
            version: CHECKPOINT_VERSION,
            format,
            filter: String::new(),
            api: "v1.0".into(),
            page_size: None,
            since: "2026-10-01T00:00:00Z".parse().unwrap(),
            since_text: Some("2026-10-01".into()),
            until: "2026-12-01T00:00:00Z".parse().unwrap(),
            until_text: None,
            offset: file.len() as u64,
            count: 1,
            position: Position {
                next_link: Some("https://g/x?$skiptoken=a".into()),
                last_time: Some("2026-11-01T00:00:00.123Z".into()),
                tail_ids: vec!["r1".into()],
            },
            tail: Fingerprint::of(&rec),
            complete: false,
            written_at: "2026-11-02T00:00:00Z".parse().unwrap(),
        };
        (cp, file)
    }

    #[test]
    fn a_saved_checkpoint_loads_and_matches_its_file_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        for format in [ExportFormat::Ndjson, ExportFormat::Json, ExportFormat::Csv] {
            let (cp, data) = sample(format);
            let path = dir.path().join(format!("{format}.checkpoint.json"));
            cp.save(&path, &super::super::Passthrough).unwrap();
            assert!(!tmp_path(&path).exists());
            let back = Checkpoint::load(&path).unwrap();
            assert_eq!(back, cp);
            let file_path = dir.path().join(format!("{format}.partial"));
            fs::write(&file_path, &data).unwrap();
            back.matches_file(&mut File::open(&file_path).unwrap())
                .unwrap_or_else(|e| panic!("{format}: {e}"));
        }
    }

    #[test]
    fn a_checkpoint_that_does_not_match_its_file_is_refused() {
        let (cp, data) = sample(ExportFormat::Ndjson);
        let dir = tempfile::tempdir().unwrap();
        let file_path = dir.path().join("p");
        let check = |cp: &Checkpoint, data: &[u8]| {
            fs::write(&file_path, data).unwrap();
            cp.matches_file(&mut File::open(&file_path).unwrap())
        };
        assert!(check(&cp, &data).is_ok());
        // The offset inside the record.
        let mut c = cp.clone();
        c.offset -= 3;
        assert!(check(&c, &data).is_err());
        // The file shorter than the offset.
        assert!(check(&cp, &data[..data.len() - 1]).is_err());
        // Another record with the same length.
        let other = String::from_utf8(data.clone()).unwrap().replace("r1", "r2");
        assert!(check(&cp, other.as_bytes()).is_err());
        // A fingerprint recomputed over a moved offset still names the wrong record.
        let mut c = cp.clone();
        c.offset = 5;
        c.tail = Fingerprint::of(&data[..5]);
        assert!(check(&c, &data).is_err());
        // The right record but another last time or id.
        let mut c = cp.clone();
        c.position.last_time = Some("2026-11-01T00:00:00.124Z".into());
        assert!(check(&c, &data).is_err());
        let mut c = cp;
        c.position.tail_ids = vec!["r9".into()];
        assert!(check(&c, &data).is_err());
    }

    #[test]
    fn every_edited_field_is_detected_by_the_checksum() {
        let (cp, _) = sample(ExportFormat::Ndjson);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        cp.save(&path, &super::super::Passthrough).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let fields: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert!(fields.len() >= 17, "{fields:?}");
        for field in fields.iter().filter(|f| *f != "checksum") {
            let mut edited = v.clone();
            edited[field.as_str()] = match &v[field.as_str()] {
                serde_json::Value::Number(n) => (n.as_u64().unwrap_or(0) + 1).into(),
                serde_json::Value::Bool(b) => (!b).into(),
                serde_json::Value::Null => "x".into(),
                serde_json::Value::Array(_) => serde_json::json!(["r1", "r0"]),
                serde_json::Value::Object(_) => serde_json::json!({"bytes": 1, "sha256": "00"}),
                serde_json::Value::String(s) if field == "format" => {
                    (if s == "csv" { "json" } else { "csv" }).into()
                }
                serde_json::Value::String(s) => format!("{s}0").into(),
            };
            fs::write(&path, serde_json::to_vec(&edited).unwrap()).unwrap();
            assert!(
                Checkpoint::load(&path).is_err(),
                "an edited {field} was trusted"
            );
        }
    }

    #[test]
    fn a_failed_save_leaves_the_old_checkpoint_and_no_temporary_file() {
        struct Full;
        impl WriteSeam for Full {
            fn wrap(&self, file: File, _: FileRole) -> Box<dyn Write + Send> {
                Box::new(super::super::FailingWriter::new(
                    file,
                    10,
                    std::io::ErrorKind::StorageFull,
                ))
            }
        }
        let (cp, _) = sample(ExportFormat::Ndjson);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        cp.save(&path, &super::super::Passthrough).unwrap();
        let mut next = cp.clone();
        next.count = 2;
        assert!(next.save(&path, &Full).is_err());
        assert!(!tmp_path(&path).exists(), "temporary file left behind");
        assert_eq!(Checkpoint::load(&path).unwrap(), cp);
    }
}
