//! A streaming JSON scanner that copies one value at a time out of a large file, so a file of a
//! million records is read in constant memory. It knows just enough JSON to find where a value ends
//! (strings, escapes, nesting) and tracks the line and byte offset for error messages; serde_json
//! parses each value it hands out.

use std::io::{self, Read};

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
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

/// Reads bytes through its own buffer, counting lines.
pub(crate) struct Scanner<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    at: Position,
}

impl<R: Read> Scanner<R> {
    pub fn new(inner: R) -> Self {
        Self::starting_at(inner, Position { line: 1, byte: 0 })
    }

    /// A scanner over a source that starts at `at` in the file (a file opened again mid-way).
    pub fn starting_at(inner: R, at: Position) -> Self {
        Scanner {
            inner,
            buf: vec![0u8; 64 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            at,
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

    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
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

    /// Copies one JSON value (starting at the next non-whitespace byte) into `out`.
    pub fn read_value(&mut self, out: &mut Vec<u8>) -> Result<Position, ScanError> {
        self.skip_ws()?;
        let start = self.position();
        let Some(first) = self.peek()? else {
            return Err(ScanError::Eof { start, at: start });
        };
        match first {
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    let Some(b) = self.bump()? else {
                        return Err(ScanError::Eof {
                            start,
                            at: self.position(),
                        });
                    };
                    out.push(b);
                    match b {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Ok(start);
                            }
                        }
                        b'"' => self.read_string_rest(out, start)?,
                        _ => {}
                    }
                }
            }
            b'"' => {
                self.bump()?;
                out.push(b'"');
                self.read_string_rest(out, start)?;
                Ok(start)
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                while let Some(b) = self.peek()? {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
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

    /// After an opening quote: copies up to and including the closing quote.
    fn read_string_rest(&mut self, out: &mut Vec<u8>, start: Position) -> Result<(), ScanError> {
        loop {
            let Some(b) = self.bump()? else {
                return Err(ScanError::Eof {
                    start,
                    at: self.position(),
                });
            };
            out.push(b);
            match b {
                b'\\' => {
                    let Some(e) = self.bump()? else {
                        return Err(ScanError::Eof {
                            start,
                            at: self.position(),
                        });
                    };
                    out.push(e);
                }
                b'"' => return Ok(()),
                _ => {}
            }
        }
    }
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
}
