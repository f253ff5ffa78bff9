//! A streaming JSON scanner that copies one value at a time out of a large file, so a file of a
//! million records is read in constant memory. It knows just enough JSON to find where a value ends
//! (strings, escapes, nesting) and tracks the line and byte offset for error messages; serde_json
//! parses each value it hands out. It also hands out whole lines (JSON lines), found with `memchr`
//! inside its buffer without copying. No value or line may exceed [`MAX_RECORD_BYTES`]: a file of
//! NUL bytes or one 50 MB line is an error, not 2 GB of memory.

use std::io::{self, Read};

/// The largest record (JSON value or line) read. Real provisioning records are a few KB; a job or
/// a provisionOnDemand answer some tens of KB.
pub const MAX_RECORD_BYTES: usize = 4 << 20;

/// The buffer a file is read through; it grows (up to [`MAX_RECORD_BYTES`]) only for a line that
/// does not fit.
const BUFFER: usize = 256 << 10;

/// Where something is in the file: 1-based line, 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 0-based byte offset.
    pub byte: u64,
}

/// Why scanning stopped.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// The file could not be read.
    Io(io::Error),
    /// The file ended inside a value that started at `start`.
    Eof { start: Position, at: Position },
    /// A byte that cannot appear here.
    Unexpected {
        at: Position,
        found: u8,
        expected: &'static str,
    },
    /// A value or line longer than [`MAX_RECORD_BYTES`] starts at `start`.
    TooLarge { start: Position },
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

/// Reads bytes through its own buffer, counting lines.
pub(crate) struct Scanner<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    at: Position,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    pub fn new(inner: R) -> Self {
        Self::starting_at(inner, Position { line: 1, byte: 0 })
    }

    /// A scanner over a source that starts at `at` in the file (a file opened again mid-way).
    pub fn starting_at(inner: R, at: Position) -> Self {
        Scanner {
            inner,
            buf: vec![0u8; BUFFER],
            pos: 0,
            len: 0,
            at,
            eof: false,
        }
    }

    /// The unread bytes (buffered first, then the rest of the source) as a plain reader.
    pub fn into_reader(self) -> impl Read + Send + 'static
    where
        R: Send + 'static,
    {
        let rest = self.buf[self.pos..self.len].to_vec();
        io::Cursor::new(rest).chain(self.inner)
    }

    /// The position of the next byte.
    pub fn position(&self) -> Position {
        self.at
    }

    /// Up to `n` bytes from the next one on, without consuming them (fewer at the end of the
    /// file): the bounded prefix the shape of a file is decided from.
    pub fn prefix(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.len - self.pos < n.min(self.buf.len()) && self.read_more()? {}
        let end = self.len.min(self.pos + n);
        Ok(&self.buf[self.pos..end])
    }

    /// Reads more bytes after the buffered ones (moving them to the front first); false at the
    /// end of the source.
    fn read_more(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        self.pos = 0;
        self.len = 0;
        self.read_more()
    }

    /// The next byte without consuming it.
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    /// Consumes one byte.
    pub fn bump(&mut self) -> io::Result<Option<u8>> {
        if !self.fill()? {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        self.at.byte += 1;
        if b == b'\n' {
            self.at.line += 1;
        }
        Ok(Some(b))
    }

    /// Skips whitespace (and a UTF-8 byte-order mark); returns the next byte, unconsumed.
    pub fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump()?;
                }
                Some(0xEF) if self.at.byte == 0 => {
                    // BOM: EF BB BF
                    self.bump()?;
                    self.bump()?;
                    self.bump()?;
                }
                other => return Ok(other),
            }
        }
    }

    /// Expects `want` (after whitespace) and consumes it.
    pub fn expect(&mut self, want: u8, expected: &'static str) -> Result<(), ScanError> {
        let at = self.position();
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.bump()?;
                Ok(())
            }
            Some(found) => Err(ScanError::Unexpected {
                at,
                found,
                expected,
            }),
            None => Err(ScanError::Eof { start: at, at }),
        }
    }

    /// Consumes `n` buffered bytes, copying them to `out` and counting their lines.
    fn take(&mut self, n: usize, out: &mut Vec<u8>) {
        let chunk = &self.buf[self.pos..self.pos + n];
        out.extend_from_slice(chunk);
        self.at.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
        self.at.byte += n as u64;
        self.pos += n;
    }

    /// Copies one JSON value (starting at the next non-whitespace byte) into `out`.
    pub fn read_value(&mut self, out: &mut Vec<u8>) -> Result<Position, ScanError> {
        self.skip_ws()?;
        let start = self.position();
        let Some(first) = self.peek()? else {
            return Err(ScanError::Eof { start, at: start });
        };
        let base = out.len();
        match first {
            b'{' | b'[' | b'"' => {
                // Nesting depth, and whether inside a string (and just after its backslash).
                let mut depth = 0usize;
                let mut in_string = false;
                let mut escaped = false;
                loop {
                    if !self.fill()? {
                        return Err(ScanError::Eof {
                            start,
                            at: self.position(),
                        });
                    }
                    let avail = &self.buf[self.pos..self.len];
                    let mut end = None;
                    for (i, &b) in avail.iter().enumerate() {
                        if in_string {
                            if escaped {
                                escaped = false;
                            } else if b == b'\\' {
                                escaped = true;
                            } else if b == b'"' {
                                in_string = false;
                                if depth == 0 {
                                    end = Some(i + 1);
                                    break;
                                }
                            }
                            continue;
                        }
                        match b {
                            b'"' => in_string = true,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    end = Some(i + 1);
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let n = end.unwrap_or(avail.len());
                    if out.len() - base + n > MAX_RECORD_BYTES {
                        return Err(ScanError::TooLarge { start });
                    }
                    self.take(n, out);
                    if end.is_some() {
                        return Ok(start);
                    }
                }
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                while let Some(b) = self.peek()? {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    if out.len() - base >= MAX_RECORD_BYTES {
                        return Err(ScanError::TooLarge { start });
                    }
                    out.push(b);
                    self.bump()?;
                }
                Ok(start)
            }
            found => Err(ScanError::Unexpected {
                at: start,
                found,
                expected: "a JSON value",
            }),
        }
    }

    /// Whole lines (each with its `\n`; the file's last line may lack one) appended to `out`
    /// until at least `at_least` bytes were or the file ends, and where the first starts; `None`
    /// at the end of the file. For handing a JSON lines file out in large pieces, split into
    /// lines by whoever reads them ([`split_lines`]).
    pub fn whole_lines(
        &mut self,
        out: &mut Vec<u8>,
        at_least: usize,
    ) -> Result<Option<Position>, ScanError> {
        let start = self.position();
        let base = out.len();
        // What is buffered, then straight from the source into `out` (no second copy).
        out.extend_from_slice(&self.buf[self.pos..self.len]);
        (self.pos, self.len) = (0, 0);
        // Where the last line so far starts, and how far `out` was searched for it.
        let mut line_start = base;
        let mut searched = base;
        loop {
            if let Some(i) = memchr::memrchr(b'\n', &out[searched..]) {
                line_start = searched + i + 1;
            }
            searched = out.len();
            if out.len() - line_start > MAX_RECORD_BYTES {
                let lines = memchr::memchr_iter(b'\n', &out[base..line_start]).count();
                return Err(ScanError::TooLarge {
                    start: Position {
                        line: start.line + lines as u64,
                        byte: start.byte + (line_start - base) as u64,
                    },
                });
            }
            if self.eof || (line_start > base && line_start - base >= at_least) {
                break;
            }
            // Enough for `at_least`, in reads of 64 KiB to 256 KiB.
            let filled = out.len();
            let want = (base + at_least)
                .saturating_sub(filled)
                .clamp(64 << 10, BUFFER);
            out.resize(filled + want, 0);
            let n = loop {
                match self.inner.read(&mut out[filled..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        out.truncate(filled);
                        return Err(e.into());
                    }
                }
            };
            out.truncate(filled + n);
            self.eof = n == 0;
        }
        // The last line, unless the file ends with it, waits in the buffer for the next call.
        let end = if self.eof { out.len() } else { line_start };
        let rest = out.len() - end;
        if self.buf.len() < rest {
            self.buf.resize(rest, 0);
        }
        self.buf[..rest].copy_from_slice(&out[end..]);
        (self.pos, self.len) = (0, rest);
        out.truncate(end);
        let taken = &out[base..];
        self.at.line += memchr::memchr_iter(b'\n', taken).count() as u64;
        self.at.byte += taken.len() as u64;
        Ok((!taken.is_empty()).then_some(start))
    }

    /// The next line (without its `\n`), read in place, and where it starts; `None` at the end of
    /// the file. The line stays valid until the scanner is used again.
    pub fn line(&mut self) -> Result<Option<(Position, &[u8])>, ScanError> {
        let start = self.position();
        // Bytes after `pos` already searched for a newline.
        let mut searched = 0;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos + searched..self.len]) {
                let from = self.pos;
                let end = from + searched + i;
                self.pos = end + 1;
                self.at.byte += (end + 1 - from) as u64;
                self.at.line += 1;
                return Ok(Some((start, &self.buf[from..end])));
            }
            searched = self.len - self.pos;
            if searched > MAX_RECORD_BYTES {
                return Err(ScanError::TooLarge { start });
            }
            if searched == self.buf.len() {
                // A line longer than the buffer: grow it, up to the record limit.
                let grown = (self.buf.len() * 2).min(MAX_RECORD_BYTES + BUFFER);
                self.buf.resize(grown, 0);
            }
            if !self.read_more()? {
                // The end of the file: the last line may lack its newline.
                if self.pos == self.len {
                    return Ok(None);
                }
                let from = self.pos;
                let end = self.len;
                self.pos = end;
                self.at.byte += (end - from) as u64;
                return Ok(Some((start, &self.buf[from..end])));
            }
        }
    }
}

/// The lines of `data` (read by [`Scanner::whole_lines`] from `start`) that are not blank:
/// where each value starts (past leading blanks) and its bytes' range, trimmed, as
/// [`Scanner::line`] and a trim would give them one by one.
pub(crate) fn split_lines(
    data: &[u8],
    start: Position,
) -> impl Iterator<Item = (Position, std::ops::Range<usize>)> + '_ {
    let mut from = 0;
    let mut line = start.line;
    std::iter::from_fn(move || {
        while from < data.len() {
            let end = memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i);
            let (at, this) = (line, from);
            line += 1;
            from = end + 1;
            let text = &data[this..end];
            let trimmed = text.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            let lead = text.len() - text.trim_ascii_start().len();
            let position = Position {
                line: at,
                byte: start.byte + (this + lead) as u64,
            };
            return Some((position, this + lead..this + lead + trimmed.len()));
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_copied_whole_and_positions_counted() {
        let text = b"  {\"a\":\"x}\\\"y\",\"b\":[1,{\"c\":2}]}\n  [true] 12.5,";
        let mut s = Scanner::new(&text[..]);
        let mut out = Vec::new();
        let p = s.read_value(&mut out).unwrap();
        assert_eq!(p, Position { line: 1, byte: 2 });
        assert_eq!(out, b"{\"a\":\"x}\\\"y\",\"b\":[1,{\"c\":2}]}");
        out.clear();
        let p = s.read_value(&mut out).unwrap();
        assert_eq!((p.line, out.as_slice()), (2, &b"[true]"[..]));
        out.clear();
        s.read_value(&mut out).unwrap();
        assert_eq!(out, b"12.5");
    }

    #[test]
    fn a_value_cut_short_reports_where_it_started() {
        let mut s = Scanner::new(&b"\n{\"a\": [1, 2"[..]);
        match s.read_value(&mut Vec::new()) {
            Err(ScanError::Eof { start, .. }) => assert_eq!(start.line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_come_whole_across_buffer_refills_with_their_positions() {
        // Lines longer than the first read, and a last line without a newline.
        let long = "x".repeat(BUFFER + 10);
        let text = format!("a\n{long}\n\nb");
        let mut s = Scanner::new(std::io::Cursor::new(text.into_bytes()));
        let mut got = Vec::new();
        while let Some((at, line)) = s.line().unwrap() {
            got.push((at.line, at.byte, line.len()));
        }
        let l = long.len() as u64;
        assert_eq!(
            got,
            vec![(1, 0, 1), (2, 2, long.len()), (3, 3 + l, 0), (4, 4 + l, 1)]
        );
    }

    #[test]
    fn whole_lines_come_in_pieces_and_split_as_line_by_line() {
        let long = "y".repeat(BUFFER * 2);
        let text = format!("a\n\n  b \r\n{long}\nc");
        let mut s = Scanner::new(std::io::Cursor::new(text.clone().into_bytes()));
        let mut got = Vec::new();
        loop {
            let mut out = Vec::new();
            let Some(from) = s.whole_lines(&mut out, 10).unwrap() else {
                break;
            };
            got.extend(split_lines(&out, from).map(|(at, r)| (at.line, at.byte, r.len())));
        }
        let mut one = Scanner::new(std::io::Cursor::new(text.into_bytes()));
        let mut want = Vec::new();
        while let Some((at, line)) = one.line().unwrap() {
            let lead = line.len() - line.trim_ascii_start().len();
            if !line.trim_ascii().is_empty() {
                want.push((at.line, at.byte + lead as u64, line.trim_ascii().len()));
            }
        }
        assert_eq!(got, want);
        assert_eq!(got.len(), 4);
        // A line past the limit is an error naming where it starts.
        let huge = std::io::Cursor::new(b"x\n".to_vec())
            .chain(std::io::repeat(b'z').take((MAX_RECORD_BYTES + BUFFER) as u64));
        let mut s = Scanner::new(huge);
        let mut out = Vec::new();
        let mut r = s.whole_lines(&mut out, 1);
        while let Ok(Some(_)) = r {
            out.clear();
            r = s.whole_lines(&mut out, 1);
        }
        match r {
            Err(ScanError::TooLarge { start }) => assert_eq!((start.line, start.byte), (2, 2)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_line_or_value_beyond_the_limit_is_an_error_not_memory() {
        let zeros = std::io::repeat(0).take((MAX_RECORD_BYTES + BUFFER * 2) as u64);
        let mut s = Scanner::new(zeros);
        assert!(matches!(s.line(), Err(ScanError::TooLarge { .. })));
        let open = std::io::Cursor::new(b"[".to_vec())
            .chain(std::io::repeat(b' ').take((MAX_RECORD_BYTES + 10) as u64));
        let mut s = Scanner::new(open);
        assert!(matches!(
            s.read_value(&mut Vec::new()),
            Err(ScanError::TooLarge { .. })
        ));
    }
}
