//! Reading one file on several threads ([`LogFile::fold_parallel`]): this thread reads the file
//! and cuts it into batches of whole records; workers skip, decode and fold them; the batches'
//! results are merged in file order. Memory stays bounded: at most
//! `workers × (QUEUED_PER_WORKER + 1)` batches of about [`BATCH_BYTES`] exist at once.

use std::collections::BTreeMap;
use std::ops::Range;

use super::scan::split_lines;
use super::{FileError, Inner, LogFile, Position, RecordRef, State};
use crate::graph::model::logs::ProvisioningObjectSummary;

/// Bytes of records per batch.
const BATCH_BYTES: usize = 256 << 10;
/// Batches queued per worker, beyond the one it is folding.
const QUEUED_PER_WORKER: usize = 2;
/// The most worker threads [`LogFile::fold_parallel`] starts.
pub const MAX_WORKERS: usize = 8;

/// Consecutive records of the file, copied into one buffer.
struct Batch {
    /// Its place among the batches, from 0.
    seq: u64,
    /// The ordinal in the file (from 1) of its first record.
    first: u64,
    data: Vec<u8>,
    /// Where each record is in `data`; or, for a piece of a JSON lines file, empty, and
    /// `lines_from` is where `data` starts in the file: the worker splits it into lines.
    items: Vec<(Position, Range<usize>)>,
    lines_from: Option<Position>,
}

impl Batch {
    /// A batch from the spare ones (their buffers are allocated once, on this thread, and
    /// handed back and forth), or a new one.
    fn next(spare: &mut Vec<Batch>, seq: u64, first: u64) -> Batch {
        let mut b = spare.pop().unwrap_or_else(|| Batch {
            seq: 0,
            first: 0,
            data: Vec::with_capacity(BATCH_BYTES + (BATCH_BYTES >> 2)),
            items: Vec::new(),
            lines_from: None,
        });
        b.data.clear();
        b.items.clear();
        b.lines_from = None;
        (b.seq, b.first) = (seq, first);
        b
    }
}

/// What a worker gives back for one batch: its result, and the batch to be filled again.
type Folded<A> = (Result<A, FileError>, Batch);

impl LogFile {
    /// Folds every remaining record into accumulators on `workers` threads (at most
    /// [`MAX_WORKERS`]; with 0 or 1, everything runs on this thread): each batch of records read from the file is folded by `fold` into a
    /// fresh accumulator from `new`, and the accumulators are handed to `merge` on this thread
    /// in file order, so the result does not depend on which thread ran first. The installed
    /// [`Prefilter`](super::Prefilter) and success skip apply as for iteration.
    ///
    /// The first error in file order (a record that does not parse, an error from `fold`, or the
    /// file itself) stops the reading and is returned; accumulators after it are not merged. A
    /// CSV file is read on this thread, in one accumulator.
    pub fn fold_parallel<A, N, F, M>(
        self,
        workers: usize,
        new: N,
        fold: F,
        merge: M,
    ) -> Result<(), FileError>
    where
        A: Send,
        N: Fn() -> A + Sync,
        F: Fn(&mut A, RecordRef<'_>) -> Result<(), FileError> + Sync,
        M: FnMut(A),
    {
        self.fold_in_batches(workers, BATCH_BYTES, new, fold, merge)
    }

    fn fold_in_batches<A, N, F, M>(
        mut self,
        workers: usize,
        batch_bytes: usize,
        new: N,
        fold: F,
        mut merge: M,
    ) -> Result<(), FileError>
    where
        A: Send,
        N: Fn() -> A + Sync,
        F: Fn(&mut A, RecordRef<'_>) -> Result<(), FileError> + Sync,
        M: FnMut(A),
    {
        // One core: no thread to hand work to.
        if matches!(self.inner, Inner::Csv(_)) || workers <= 1 {
            let mut acc = new();
            for record in self.by_ref() {
                fold(&mut acc, record?.as_ref())?;
            }
            merge(acc);
            return Ok(());
        }
        let workers = workers.min(MAX_WORKERS);
        let decoder = self.decoder.clone();
        let prefilter = self.prefilter.clone();
        let slow = self.slow.clone();
        let full = self.full;
        std::thread::scope(|scope| {
            let (work_tx, work_rx) =
                crossbeam_channel::bounded::<Batch>(workers * QUEUED_PER_WORKER);
            let (done_tx, done_rx) = crossbeam_channel::unbounded::<Folded<A>>();
            for _ in 0..workers {
                let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
                let (decoder, prefilter, slow, new, fold) =
                    (&*decoder, &prefilter, &slow, &new, &fold);
                scope.spawn(move || {
                    let mut scratch = ProvisioningObjectSummary::default();
                    for batch in work_rx {
                        let mut acc = new();
                        let mut one = |at: Position, span: Range<usize>, ordinal: u64| {
                            let bytes = &batch.data[span];
                            // (The first record is always read, as in iteration.)
                            if !prefilter.may_match(bytes)
                                || (ordinal > 1
                                    && slow
                                        .as_ref()
                                        .is_some_and(|s| s.surely_simple_success(bytes)))
                            {
                                return Ok(());
                            }
                            fold(
                                &mut acc,
                                decoder.decode_reusing(at, bytes, full, Some(&mut scratch))?,
                            )
                        };
                        let r =
                            match batch.lines_from {
                                // (Never the first record: that one was read to open the file.)
                                Some(from) => split_lines(&batch.data, from)
                                    .try_for_each(|(at, span)| one(at, span, u64::MAX)),
                                None => batch.items.iter().enumerate().try_for_each(
                                    |(i, (at, span))| {
                                        one(*at, span.clone(), batch.first + i as u64)
                                    },
                                ),
                            };
                        if done_tx.send((r.map(|()| acc), batch)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop((work_rx, done_tx));

            let mut merger = Merger {
                next: 0,
                waiting: BTreeMap::new(),
                error: None,
                failed_somewhere: false,
                spare: Vec::new(),
            };
            let mut batch = Batch::next(&mut merger.spare, 0, self.read + 1);
            // Sends `batch` to the workers and puts an empty one in its place; false when no
            // worker is left.
            let ship = |batch: &mut Batch, spare: &mut Vec<Batch>, first: u64| {
                let next = Batch::next(spare, batch.seq + 1, first);
                work_tx.send(std::mem::replace(batch, next)).is_ok()
            };
            let read_error = loop {
                if merger.failed_somewhere {
                    break None;
                }
                // The rest of a JSON lines file goes out in large pieces, split by the workers.
                if self.pending.is_none()
                    && let Inner::Json(js) = &mut self.inner
                    && js.state == State::Lines
                {
                    if !batch.items.is_empty()
                        && !ship(&mut batch, &mut merger.spare, self.read + 1)
                    {
                        break None;
                    }
                    let from = match js.scanner.whole_lines(&mut batch.data, batch_bytes) {
                        Ok(Some(from)) => from,
                        Ok(None) => break None,
                        Err(e) => break Some(self.scan_error(e)),
                    };
                    batch.lines_from = Some(from);
                    if !ship(&mut batch, &mut merger.spare, self.read + 1) {
                        break None;
                    }
                    merger.take(done_rx.try_iter(), &mut merge);
                    continue;
                }
                let start = batch.data.len();
                let at = match self.append_element(&mut batch.data) {
                    Ok(Some(at)) => at,
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                };
                self.read += 1;
                batch.items.push((at, start..batch.data.len()));
                if batch.data.len() >= batch_bytes {
                    if !ship(&mut batch, &mut merger.spare, self.read + 1) {
                        break None;
                    }
                    merger.take(done_rx.try_iter(), &mut merge);
                }
            };
            if !batch.items.is_empty() {
                // (A worker only stops when the channel closes: this cannot fail.)
                let _ = work_tx.send(batch);
            }
            drop(work_tx);
            merger.take(done_rx.iter(), &mut merge);
            if read_error.is_some() {
                self.failed = true;
            }
            match merger.error.or(read_error) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }
}

/// Merges the batches' accumulators in file order.
struct Merger<A> {
    /// The next batch to merge.
    next: u64,
    /// Batches done before their turn.
    waiting: BTreeMap<u64, Result<A, FileError>>,
    /// The first error in file order; nothing after it is merged.
    error: Option<FileError>,
    /// Some batch failed (maybe not yet in turn): reading stops.
    failed_somewhere: bool,
    /// Batches given back, to be filled again.
    spare: Vec<Batch>,
}

impl<A> Merger<A> {
    fn take(&mut self, done: impl Iterator<Item = Folded<A>>, merge: &mut impl FnMut(A)) {
        for (r, batch) in done {
            self.failed_somewhere |= r.is_err();
            self.waiting.insert(batch.seq, r);
            self.spare.push(batch);
            while let Some(r) = self.waiting.remove(&self.next) {
                self.next += 1;
                match r {
                    Ok(acc) if self.error.is_none() => merge(acc),
                    Ok(_) => {}
                    Err(e) => {
                        self.error.get_or_insert(e);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::logfile::{Prefilter, from_reader};

    fn file(text: &str) -> LogFile {
        from_reader(
            Path::new("t.ndjson"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn record(i: usize) -> String {
        let status = ["success", "failure", "skipped"][i % 3];
        format!(
            r#"{{"id":"r{i}","jobId":"j{}","provisioningStatusInfo":{{"status":"{status}"}},"provisioningSteps":[{{"description":"step \"{i}\" ]}}"}}]}}"#,
            i % 5
        )
    }

    /// The ids in the order `merge` saw them, read in batches of about `batch` bytes.
    fn ids(
        text: &str,
        workers: usize,
        batch: usize,
        setup: impl FnOnce(&mut LogFile),
    ) -> Result<Vec<String>, FileError> {
        let mut f = file(text);
        setup(&mut f);
        let mut out = Vec::new();
        f.fold_in_batches(
            workers,
            batch,
            Vec::new,
            |acc: &mut Vec<String>, r| {
                let at = r.position();
                acc.push(format!("{}@{}:{}", r.fields().id, at.line, at.byte));
                Ok(())
            },
            |part| out.extend(part),
        )?;
        Ok(out)
    }

    /// What iterating gives, in the form of [`ids`].
    fn iterated(text: &str, setup: impl FnOnce(&mut LogFile)) -> Vec<String> {
        let mut f = file(text);
        setup(&mut f);
        f.map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{e}"));
            let at = r.position();
            format!("{}@{}:{}", r.fields().id, at.line, at.byte)
        })
        .collect()
    }

    #[test]
    fn every_record_is_folded_once_and_merged_in_file_order() {
        let lines: Vec<String> = (0..2_000).map(record).collect();
        let ndjson = lines.join("\n");
        // Blank lines, CRLF, leading blanks and no final newline, in JSON lines.
        let ragged: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| match i % 4 {
                0 => format!("{l}\r\n"),
                1 => format!("  {l}\n\n"),
                2 => format!("\t{l} \n \n"),
                _ => format!("{l}\n"),
            })
            .collect::<String>()
            .trim_end()
            .to_owned();
        let array = format!("[\n{}\n]", lines.join(",\n"));
        for text in [&ndjson, &ragged, &array] {
            let want = iterated(text, |_| {});
            assert_eq!(want.len(), 2_000);
            for (workers, batch) in [(1, 1), (2, 1), (2, 700), (4, 1), (8, 64 << 10)] {
                assert_eq!(ids(text, workers, batch, |_| {}).ok(), Some(want.clone()));
            }
        }
        // The installed prefilter applies.
        let q = crate::graph::logs::LogQuery {
            status: Some(crate::graph::logs::StatusFilter::Failure),
            ..Default::default()
        };
        let failures = ids(&ndjson, 2, 500, |f| f.prefilter(Prefilter::for_query(&q)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(failures.len(), 667);
        // So does the success skip; the first record is read whatever it is.
        let text = format!("{}\n{ndjson}", record(3));
        let want = iterated(&text, LogFile::skip_plain_successes);
        assert_eq!(want.len(), 1 + 2 * 2_000 / 3);
        for (workers, batch) in [(2, 1), (4, 500)] {
            let got = ids(&text, workers, batch, LogFile::skip_plain_successes);
            assert_eq!(got.ok(), Some(want.clone()));
        }
        assert!(failures.iter().all(|id| {
            let n = id[1..].split('@').next().unwrap_or("");
            n.parse::<usize>().is_ok_and(|i| i % 3 == 1)
        }));
    }

    #[test]
    fn the_first_error_in_the_file_wins_whatever_the_threads_do() {
        let mut lines: Vec<String> = (0..3_000).map(record).collect();
        lines[1_234] = r#"{"id":"bad","provisioningStatusInfo":{"status":1}"#.into();
        lines[2_500] = "{not json".into();
        let text = lines.join("\n");
        // Iterating gives the same error as folding, at the same place.
        let want = file(&text)
            .find_map(Result::err)
            .unwrap_or_else(|| panic!("no error"));
        assert_eq!(want.position.map(|p| p.line), Some(1_235));
        for (workers, batch) in [(1, 1), (2, 1), (2, 300), (3, 1), (8, 4_096)] {
            let got = ids(&text, workers, batch, |_| {}).err();
            assert_eq!(got.map(|e| e.to_string()), Some(want.to_string()));
        }
        // A file cut inside its last record.
        let cut = &text[..text.len() - 3];
        let mut lines = cut.lines().take(1_000).collect::<Vec<_>>().join("\n");
        lines.push_str("\n{\"id\":\"x\",\"jobId\":\"j");
        for workers in [1, 2] {
            let e = ids(&lines, workers, 1_000, |_| {}).err();
            assert_eq!(e.and_then(|e| e.position).map(|p| p.line), Some(1_001));
        }
    }
}
