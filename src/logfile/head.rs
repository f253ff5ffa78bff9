//! What a file is, decided from a bounded prefix (its first 64 KiB) before any record is read:
//! nothing at all, JSON, CSV with a header row, or something refused at once (binary bytes such
//! as a file of NULs, or text that is neither). Also the one way input is quoted in a message:
//! at most [`ECHO_CHARS`] characters, control characters escaped.

use super::csv_file;

/// How much of a file decides its shape.
pub(crate) const PREFIX_BYTES: usize = 64 << 10;

/// The most characters of a file (or of a value in it) repeated in a message.
pub const ECHO_CHARS: usize = 200;

/// The shape a prefix shows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// Whitespace only (or nothing).
    Empty,
    /// JSON: an object or an array first.
    Json,
    /// A CSV header row naming at least one known column.
    Csv,
    /// Refused, with why.
    Refused(String),
}

/// Classifies the start of a file (after a byte-order mark and whitespace).
pub(crate) fn classify(prefix: &[u8], at_end: bool) -> Head {
    let text = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    let Some(start) = start else {
        return Head::Empty;
    };
    let text = &text[start..];
    if matches!(text[0], b'{' | b'[') {
        return Head::Json;
    }
    if let Some(i) = text
        .iter()
        .position(|&b| b == 0 || (b < 0x20 && !b"\t\r\n\x0c".contains(&b)))
    {
        return Head::Refused(format!(
            "not a text file: byte 0x{:02x} at byte {} (a binary file, or a file of NUL bytes?); expected JSON, JSON lines or CSV",
            text[i],
            i + start
        ));
    }
    // A header row: the first line, which must end within the prefix (or the file).
    let line_end = memchr::memchr(b'\n', text);
    let header = match line_end {
        Some(e) => &text[..e],
        None if at_end => text,
        None => {
            return Head::Refused(format!(
                "not JSON, and no line ends in its first {} KiB, so it is not CSV either: it starts with {}",
                PREFIX_BYTES >> 10,
                echo_bytes(text)
            ));
        }
    };
    let Ok(header) = std::str::from_utf8(header) else {
        return Head::Refused(format!(
            "not JSON, and its first line is not UTF-8 text: it starts with {}",
            echo_bytes(text)
        ));
    };
    let known = header
        .split([',', ';', '\t'])
        .any(|c| csv_file::is_known_column(c.trim().trim_matches('"')));
    if known {
        Head::Csv
    } else {
        Head::Refused(format!(
            "not a provisioning file: it is not JSON (an object or array), and its first line names no column provctl knows, so it is not a CSV export either; it starts with {}",
            echo(header)
        ))
    }
}

/// `text` quoted for a message: at most [`ECHO_CHARS`] characters, control characters escaped.
pub fn echo(text: &str) -> String {
    let mut out = String::from("'");
    let mut chars = text.chars();
    for c in chars.by_ref().take(ECHO_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    if chars.next().is_some() {
        out.push_str(&format!("… ({} bytes in all)", text.len()));
    }
    out
}

/// Like [`echo`], for bytes that may not be UTF-8 (only the first ones are looked at).
pub(crate) fn echo_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(ECHO_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let shown = echo(&text);
    if bytes.len() > head.len() && !shown.ends_with("in all)") {
        format!("{shown}…")
    } else {
        shown
    }
}

/// A message from a parser (serde's can quote a whole value) cut to a readable length.
pub(crate) fn capped(message: &str) -> String {
    let limit = ECHO_CHARS + 100;
    if message.chars().count() <= limit {
        return message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
    }
    let mut s: String = message
        .chars()
        .take(limit)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_decided_from_the_prefix_alone() {
        assert_eq!(classify(b"", true), Head::Empty);
        assert_eq!(classify(b"\xEF\xBB\xBF \n\t", true), Head::Empty);
        assert_eq!(classify(b"\n  {\"id\"", false), Head::Json);
        assert_eq!(classify(b"[", false), Head::Json);
        assert_eq!(classify(b"Id,Date,Status\n1,", false), Head::Csv);
        assert_eq!(classify(b"\"Id\";\"Status\"", true), Head::Csv);
        let zeros = vec![0u8; PREFIX_BYTES];
        assert!(matches!(classify(&zeros, false), Head::Refused(m) if m.contains("0x00")));
        // A long first line without a newline in the prefix: refused without reading on.
        let long = vec![b'x'; PREFIX_BYTES];
        match classify(&long, false) {
            Head::Refused(m) => assert!(m.len() < 450, "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(classify(b"hello world\n", true), Head::Refused(_)));
    }

    #[test]
    fn echoed_input_is_capped_and_escaped() {
        let long = "é".repeat(1000);
        let e = echo(&long);
        assert_eq!(e.chars().filter(|c| *c == 'é').count(), ECHO_CHARS);
        assert!(e.ends_with("(2000 bytes in all)"), "{e}");
        assert_eq!(echo("a\u{1b}[31mb"), "'a\\u{1b}[31mb'");
        assert!(capped(&"x".repeat(10_000)).chars().count() <= ECHO_CHARS + 101);
    }
}
