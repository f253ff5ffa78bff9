//! The matching records of a file in time order, newest or oldest first, in memory bounded by
//! what is printed rather than by the size of the file. A file can be in any order, so:
//!
//! - the N first by time ([`first_by_time`]) are kept in a heap of N while the file is read;
//! - every match ([`all_by_time`]): up to [`SORT_IN_MEMORY`] matches are sorted in memory. Beyond
//!   that, a file whose matches are already in the asked order is streamed as it is read; a file
//!   in the opposite order (a `provctl logs export` is oldest first, a search newest first) is read
//!   a second time, block by block from its end, and each block printed reversed; any other file
//!   is printed in file order, and the caller is told so ([`Delivered::FileOrder`]).
//!
//! Records with the same time keep their file order, as a stable sort would. Records waiting to be
//! printed are held as compact JSON text, not as parsed values: at most N for the first N, fewer
//! than twice [`SORT_IN_MEMORY`] for every match.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

use super::{FileError, FileErrorKind, LogFile, Position, Record, ResumePoint, reopen};

/// Matches sorted in memory by [`all_by_time`] (and the size of the blocks of a reversed file).
pub const SORT_IN_MEMORY: usize = 4_000;

/// The order asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOrder {
    /// Newest first (Graph's default for a search).
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// A record's place in the asked order: smaller comes first. No time sorts as the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    time: Option<DateTime<Utc>>,
    order: TimeOrder,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        let o = self.time.cmp(&other.time);
        match self.order {
            TimeOrder::OldestFirst => o,
            TimeOrder::NewestFirst => o.reverse(),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn key(r: &Record, order: TimeOrder) -> Key {
    Key {
        time: r.fields().activity_date_time,
        order,
    }
}

/// A record waiting to be printed: only its (Graph-shaped, compact) JSON text, read again when
/// it is printed, so the records held cost their text and no more.
#[derive(Debug, Clone)]
struct Held {
    text: Box<str>,
    position: Position,
}

impl Held {
    fn new(r: &Record) -> Held {
        #[cfg(test)]
        tests::held(1);
        Held {
            text: r.text().into(),
            position: r.position(),
        }
    }

    fn record(&self, file: &LogFile) -> Result<Record, FileError> {
        file.record_with(self.position, self.text.as_bytes(), true)
    }
}

#[cfg(test)]
impl Drop for Held {
    fn drop(&mut self) {
        tests::held(-1);
    }
}

/// The `n` smallest items by key, in a heap of `n`: ties keep the order they came in. Memory is
/// bounded by `n`, however many items are offered.
#[derive(Debug)]
pub struct TopN<K: Ord, T> {
    heap: BinaryHeap<Entry<K, T>>,
    n: usize,
    seq: u64,
}

#[derive(Debug)]
struct Entry<K, T> {
    key: K,
    seq: u64,
    item: T,
}

impl<K: Ord, T> PartialEq for Entry<K, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Ord, T> Eq for Entry<K, T> {}
impl<K: Ord, T> PartialOrd for Entry<K, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, T> Ord for Entry<K, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.key, self.seq).cmp(&(&other.key, other.seq))
    }
}

impl<K: Ord, T> TopN<K, T> {
    /// Keeps at most `n` items.
    pub fn new(n: usize) -> Self {
        TopN {
            heap: BinaryHeap::with_capacity(n.min(1024) + 1),
            n,
            seq: 0,
        }
    }

    /// Offers an item: kept if it is among the `n` smallest so far (the largest kept one leaves).
    pub fn offer(&mut self, key: K, item: impl FnOnce() -> T) {
        let seq = self.seq;
        self.seq += 1;
        if self.heap.len() < self.n {
            self.heap.push(Entry {
                key,
                seq,
                item: item(),
            });
        } else if let Some(mut worst) = self.heap.peek_mut()
            && (&key, seq) < (&worst.key, worst.seq)
        {
            *worst = Entry {
                key,
                seq,
                item: item(),
            };
        }
    }

    /// Items kept.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The kept items, smallest first.
    pub fn into_sorted(self) -> Vec<T> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|e| e.item)
            .collect()
    }
}

/// The first `n` matching records of a file in `order` (a stable sort's first `n`).
pub fn first_by_time(
    file: &mut LogFile,
    keep: impl Fn(&Record) -> bool,
    order: TimeOrder,
    n: usize,
) -> Result<Vec<Record>, FileError> {
    let mut top = TopN::new(n);
    for rec in file.by_ref() {
        let rec = rec?;
        if keep(&rec) {
            top.offer(key(&rec, order), || Held::new(&rec));
        }
    }
    top.into_sorted().iter().map(|h| h.record(file)).collect()
}

/// In what order [`all_by_time`] printed the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// In the asked order.
    InOrder,
    /// In file order: there were more than [`SORT_IN_MEMORY`] matches and the file is not sorted
    /// by time either way.
    FileOrder,
}

/// A block of a reversed file: where it starts, how many matches and distinct times it holds.
#[derive(Debug, Clone, Copy)]
struct Block {
    start: ResumePoint,
    matches: usize,
    times: usize,
}

/// What is known of the matches read so far.
struct Scan {
    cap: usize,
    last: Option<Key>,
    /// Every match so far comes at or after the one before it in the asked order.
    in_order: bool,
    /// Every match so far comes at or before the one before it: the file may be reversed.
    reversed: bool,
    /// While `reversed` holds: blocks of fewer than twice `cap` matches, cut between two times
    /// (so that a time never straddles two blocks, which are printed last block first), and a
    /// block of its own for a time shared by more than `cap` matches.
    blocks: Vec<Block>,
    /// Where the matches of the latest time start, and how many there are.
    run: Option<(ResumePoint, usize)>,
}

impl Scan {
    fn new(cap: usize) -> Scan {
        Scan {
            cap,
            last: None,
            in_order: true,
            reversed: true,
            blocks: Vec::new(),
            run: None,
        }
    }

    /// Notes a match read from `start` (the point before it).
    fn saw(&mut self, key: Key, start: ResumePoint, reopenable: bool) {
        let same_time = self.last == Some(key);
        if let Some(last) = self.last {
            self.in_order &= last <= key;
            self.reversed &= last >= key;
        }
        self.last = Some(key);
        if !(self.reversed && reopenable) {
            self.blocks = Vec::new();
            return;
        }
        let run = match self.run {
            Some((at, n)) if same_time => (at, n + 1),
            _ => (start, 1),
        };
        self.run = Some(run);
        match self.blocks.last_mut() {
            Some(b) if same_time || b.matches < self.cap => {
                b.matches += 1;
                b.times += usize::from(!same_time);
            }
            _ => self.blocks.push(Block {
                start,
                matches: 1,
                times: 1,
            }),
        }
        // A time shared by more than `cap` matches moves to a block of its own (read as it comes).
        let (run_start, run_len) = run;
        if run_len == self.cap + 1
            && let Some(b) = self.blocks.last_mut()
            && b.times > 1
        {
            b.matches -= run_len;
            b.times -= 1;
            self.blocks.push(Block {
                start: run_start,
                matches: run_len,
                times: 1,
            });
        }
    }
}

/// Every matching record of a file, given to `emit` in `order` when that can be done in bounded
/// memory (see the module docs), else in file order. `emit` may fail (e.g. stdout closed), which
/// stops the reading. The file is read once, twice when it turns out to be in the reverse order
/// (or every one of the first [`SORT_IN_MEMORY`] matches has the same time), and only a regular
/// file unchanged since it was opened is read a second time.
pub fn all_by_time<E: From<FileError>>(
    file: &mut LogFile,
    keep: impl Fn(&Record) -> bool,
    order: TimeOrder,
    emit: impl FnMut(Record) -> Result<(), E>,
) -> Result<Delivered, E> {
    all_by_time_with(file, keep, order, SORT_IN_MEMORY, emit)
}

fn all_by_time_with<E: From<FileError>>(
    file: &mut LogFile,
    keep: impl Fn(&Record) -> bool,
    order: TimeOrder,
    cap: usize,
    mut emit: impl FnMut(Record) -> Result<(), E>,
) -> Result<Delivered, E> {
    let reopenable = file.stamp.is_some();
    let start = file.resume_point();
    let mut scan = Scan::new(cap.max(1));
    // Matches held while they may still be sorted in memory; `None` once streaming or scanning.
    let mut held: Option<Vec<(Key, Held)>> = Some(Vec::new());
    let mut streaming = false;
    loop {
        let point = file.resume_point();
        let Some(rec) = file.next() else { break };
        let rec = rec?;
        if !keep(&rec) {
            continue;
        }
        let k = key(&rec, order);
        scan.saw(k, point, reopenable);
        if streaming {
            emit(rec)?;
            continue;
        }
        let Some(buf) = held.as_mut() else {
            continue; // scanning: the second pass prints
        };
        buf.push((k, Held::new(&rec)));
        if buf.len() <= scan.cap {
            continue;
        }
        // Too many to sort in memory. In order (and not possibly reversed): print as read.
        // Possibly reversed, in a file that can be read again: read on, decide at the end.
        // Neither: file order.
        let buf = held.take().unwrap_or_default();
        if scan.reversed && reopenable {
            // Scanning: only the matches' times are needed until the second pass.
            file.full = false;
            continue;
        }
        streaming = true;
        for (_, h) in buf {
            emit(h.record(file)?)?;
        }
    }
    if let Some(mut buf) = held {
        buf.sort_by_key(|(k, _)| *k);
        for (_, h) in buf {
            emit(h.record(file)?)?;
        }
        return Ok(Delivered::InOrder);
    }
    if streaming {
        return Ok(if scan.in_order {
            Delivered::InOrder
        } else {
            Delivered::FileOrder
        });
    }
    // Scanned without printing: a second pass.
    file.check_unchanged()?;
    if scan.reversed && !scan.in_order {
        for block in scan.blocks.iter().rev() {
            let mut part = file.reopen_at(&block.start)?;
            // Glanced to be matched and held; parsed in full when printed.
            part.full = false;
            // One time: file order is the order. Several: sorted (stable) in memory.
            let mut buf = Vec::new();
            let mut left = block.matches;
            while left > 0 {
                let Some(rec) = part.next() else {
                    return Err(changed(file).into());
                };
                let rec = rec?;
                if !keep(&rec) {
                    continue;
                }
                left -= 1;
                if block.times == 1 {
                    emit(rec)?;
                } else {
                    buf.push((key(&rec, order), Held::new(&rec)));
                }
            }
            buf.sort_by_key(|(k, _)| *k);
            for (_, h) in buf {
                emit(h.record(&part)?)?;
            }
        }
        return Ok(Delivered::InOrder);
    }
    for rec in file.reopen_at(&start)? {
        let rec = rec?;
        if keep(&rec) {
            emit(rec)?;
        }
    }
    Ok(if scan.in_order {
        Delivered::InOrder
    } else {
        Delivered::FileOrder
    })
}

fn changed(file: &LogFile) -> FileError {
    FileError::new(
        &file.path,
        FileErrorKind::Io,
        None,
        "the file changed while it was read: search it again once it is complete",
    )
}

impl LogFile {
    /// The same file from `at` on, read the same way (prefilter included).
    fn reopen_at(&self, at: &ResumePoint) -> Result<LogFile, FileError> {
        let mut part = reopen(&self.path, at)?;
        part.prefilter(self.prefilter.clone());
        part.slow = self.slow.clone();
        part.full |= self.slow.is_some();
        Ok(part)
    }

    /// Fails when the file is no longer the one opened (its length or modification time moved).
    fn check_unchanged(&self) -> Result<(), FileError> {
        match (&self.stamp, super::stamp(&self.path)) {
            (Some(a), Some(b)) if *a == b => Ok(()),
            _ => Err(changed(self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Records held on this thread now, and the most at once.
        static HELD: Cell<(i64, i64)> = const { Cell::new((0, 0)) };
    }

    pub(super) fn held(change: i64) {
        HELD.with(|h| {
            let (now, peak) = h.get();
            h.set((now + change, peak.max(now + change)));
        });
    }

    /// The most records held at once since the last call.
    fn peak() -> i64 {
        HELD.with(|h| {
            let (now, peak) = h.get();
            h.set((now, now));
            peak
        })
    }

    #[test]
    fn top_n_keeps_n_items_at_most_and_gives_a_stable_sorts_first_n() {
        let mut top = TopN::new(5);
        let made = Cell::new(0);
        // 10,000 items whose keys repeat: the first five by key, ties in arrival order.
        let items: Vec<(u32, usize)> = (0..10_000usize)
            .map(|i| (((i * 7919) % 1000) as u32, i))
            .collect();
        for &(k, i) in &items {
            top.offer(k, || {
                made.set(made.get() + 1);
                i
            });
            assert!(top.len() <= 5, "the heap never holds more than N");
        }
        let mut want = items.clone();
        want.sort_by_key(|&(k, _)| k);
        let want: Vec<usize> = want.iter().take(5).map(|&(_, i)| i).collect();
        assert_eq!(top.into_sorted(), want);
        assert!(made.get() < 100, "an item is only built when kept");
    }

    fn write(dir: &std::path::Path, name: &str, times: &[u32]) -> std::path::PathBuf {
        let path = dir.join(name);
        let text: String = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "{{\"id\":\"r{i}\",\"activityDateTime\":\"2026-11-01T00:{:02}:{:02}Z\"}}\n",
                    t / 60,
                    t % 60
                )
            })
            .collect();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// `all_by_time` with a small cap: the ids printed and how; never more than twice the cap held.
    fn all(path: &std::path::Path, order: TimeOrder, cap: usize) -> (Vec<String>, Delivered) {
        peak();
        let mut f = super::super::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut ids = Vec::new();
        let d = all_by_time_with(
            &mut f,
            |r| !r.fields().id.ends_with('7'),
            order,
            cap,
            |r| -> Result<(), FileError> {
                ids.push(r.fields().id.clone());
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            peak() <= 2 * cap as i64,
            "held more than twice the cap ({cap})"
        );
        (ids, d)
    }

    /// What a stable sort of every match gives.
    fn sorted(times: &[u32], order: TimeOrder) -> Vec<String> {
        let mut v: Vec<(u32, usize)> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, i))
            .filter(|(_, i)| !format!("r{i}").ends_with('7'))
            .collect();
        match order {
            TimeOrder::OldestFirst => v.sort_by_key(|&(t, _)| t),
            TimeOrder::NewestFirst => v.sort_by_key(|&(t, _)| std::cmp::Reverse(t)),
        }
        v.iter().map(|(_, i)| format!("r{i}")).collect()
    }

    #[test]
    fn every_match_comes_in_the_asked_order_when_the_file_is_sorted_either_way() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // Ascending with runs of equal times, as an export is.
        let asc: Vec<u32> = (0..200).map(|i| i / 3).collect();
        let desc: Vec<u32> = asc.iter().rev().copied().collect();
        let same = vec![5; 50];
        let mut late_turn = vec![0; 20];
        late_turn.extend(0..30);
        for (name, times) in [
            ("asc", &asc),
            ("desc", &desc),
            ("same", &same),
            ("late", &late_turn),
        ] {
            let path = write(dir.path(), name, times);
            for order in [TimeOrder::NewestFirst, TimeOrder::OldestFirst] {
                for cap in [1, 2, 4, 10, 1000] {
                    let (ids, d) = all(&path, order, cap);
                    assert_eq!(d, Delivered::InOrder, "{name} {order:?} cap {cap}");
                    assert_eq!(ids, sorted(times, order), "{name} {order:?} cap {cap}");
                }
            }
        }
    }

    #[test]
    fn an_unsorted_file_is_sorted_up_to_the_cap_and_else_printed_in_file_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let times: Vec<u32> = (0..300).map(|i| (i * 7919) % 1000).collect();
        let path = write(dir.path(), "shuffled", &times);
        let (ids, d) = all(&path, TimeOrder::NewestFirst, 1000);
        assert_eq!(
            (ids, d),
            (sorted(&times, TimeOrder::NewestFirst), Delivered::InOrder)
        );
        let file_order = sorted(&(0..300).collect::<Vec<u32>>(), TimeOrder::OldestFirst);
        for cap in [1, 10, 100] {
            let (ids, d) = all(&path, TimeOrder::NewestFirst, cap);
            assert_eq!((&ids, d), (&file_order, Delivered::FileOrder), "cap {cap}");
        }
    }

    #[test]
    fn first_by_time_gives_the_first_n_of_a_stable_sort() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let times: Vec<u32> = (0..500).map(|i| (i * 7919) % 200).collect();
        let path = write(dir.path(), "shuffled", &times);
        for order in [TimeOrder::NewestFirst, TimeOrder::OldestFirst] {
            peak();
            let mut f = super::super::open(&path).unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<String> =
                first_by_time(&mut f, |r| !r.fields().id.ends_with('7'), order, 25)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .into_iter()
                    .map(|r| r.fields().id.clone())
                    .collect();
            assert_eq!(got, sorted(&times, order)[..25].to_vec(), "{order:?}");
            assert!(peak() <= 26, "a heap of 25 (and the one coming in)");
        }
    }

    #[test]
    fn a_file_changed_between_the_two_readings_is_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let asc: Vec<u32> = (0..50).collect();
        let path = write(dir.path(), "growing", &asc);
        let mut f = super::super::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let appended = Cell::new(false);
        let r = all_by_time_with(
            &mut f,
            |r| {
                if !appended.replace(true) {
                    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
                    text.push_str("{\"id\":\"late\"}\n");
                    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
                }
                r.fields().id != "late"
            },
            TimeOrder::NewestFirst,
            5,
            |_| -> Result<(), FileError> { Ok(()) },
        );
        let e = r.err().unwrap_or_else(|| panic!("the change is noticed"));
        assert!(e.message.contains("changed while it was read"), "{e}");
    }
}
