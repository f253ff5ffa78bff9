//! Rendering a command's result: a table for people (fitted to the terminal), or
//! JSON/JSONC/NDJSON/YAML/CSV/TSV for scripts, optionally narrowed by a JMESPath `--query`.
//! Progress and messages go to stderr, results to stdout. A list too long to hold (every event of a
//! search) is written as it arrives through [`ListWriter`].
//!
//! This module owns the small facts every command shares: the one colour decision
//! ([`color_enabled`], for stdout, stderr and the `-v` logs alike), the one time format for people
//! and for scripts ([`time`]), the terminal width and its test seam ([`terminal_width`]), and the
//! one sanitizer that keeps control characters from Graph or a file off the terminal ([`sanitize`]).

mod list;
pub mod sanitize;
mod table;
pub mod time;
pub mod units;

use std::io::{self, Write};

use serde_json::Value;

pub use list::{ListWriter, Row, TABLE_BLOCK_ROWS};
pub use table::{Cell, Column, Field, Table};

/// The output formats and each command's JSON shape and CSV/TSV columns, for people and scripts
/// (`docs/json-output.md`; the README and the help topics show it).
pub const FORMATS_GUIDE: &str = include_str!("../../docs/json-output.md");

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people (the default).
    #[default]
    Table,
    /// Pretty JSON: the full Graph objects, stable for scripts.
    Json,
    /// JSON with colours (on a terminal).
    Jsonc,
    /// One JSON document per line (collections: one item per line).
    Ndjson,
    /// YAML.
    Yaml,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values, no header row (as `az`: `for id in $(…)` sees only values).
    Tsv,
    /// Nothing on stdout (exit code only).
    None,
}

/// An error while writing output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// stdout was closed (e.g. piped into `head`): not an error for the user.
    #[error("broken pipe")]
    BrokenPipe,
    /// Another write error.
    #[error("cannot write output: {0}")]
    Io(io::Error),
    /// The `--query` expression failed on this document.
    #[error("--query failed: {0}")]
    Query(String),
}

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            OutputError::BrokenPipe
        } else {
            OutputError::Io(e)
        }
    }
}

/// Where and how results are rendered.
pub struct Output {
    /// The format.
    pub format: OutputFormat,
    query: Option<jmespath::Expression<'static>>,
    /// Whether colour may be used on stdout.
    pub color: bool,
    /// Whether colour may be used on stderr (messages, hints, progress, `-v` logs).
    pub stderr_color: bool,
    /// Table width (see [`terminal_width`]); `None` = unlimited.
    pub width: Option<u16>,
    /// `--wide`: every column in full, whatever the width.
    pub wide: bool,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("format", &self.format)
            .field("color", &self.color)
            .field("width", &self.width)
            .field("wide", &self.wide)
            .finish()
    }
}

impl Output {
    /// Output settings. `query` is compiled here, so a bad expression is a usage error up front.
    pub fn new(
        format: OutputFormat,
        query: Option<&str>,
        no_color: bool,
    ) -> Result<Output, String> {
        let query =
            match query {
                Some(q) => Some(jmespath::compile(q).map_err(|e| {
                    format!("--query '{q}' is not a valid JMESPath expression: {e}")
                })?),
                None => None,
            };
        Ok(Output {
            format,
            query,
            color: color_enabled(no_color, Stream::Stdout),
            stderr_color: color_enabled(no_color, Stream::Stderr),
            width: terminal_width(),
            wide: false,
        })
    }

    /// The width tables are fitted to: none with `--wide`.
    pub fn table_width(&self) -> Option<u16> {
        if self.wide { None } else { self.width }
    }

    /// Whether a query is set.
    pub fn has_query(&self) -> bool {
        self.query.is_some()
    }

    /// Writes a result: `doc` (the Graph objects) in machine formats, `table()` in table/CSV/TSV.
    pub fn emit(&self, doc: &Value, table: impl FnOnce() -> Table) -> Result<(), OutputError> {
        let mut out = io::stdout().lock();
        self.emit_to(&mut out, doc, table)?;
        out.flush()?;
        Ok(())
    }

    /// Writes a result whose human form is text (a `show` or `explain` page) rather than a table.
    /// In CSV/TSV the document's fields are printed as `key`/`value` rows ([`Table::from_object`]).
    /// The text passes through [`sanitize`]: `text(color)` may colour it, but any other control
    /// character is escaped.
    pub fn emit_text(
        &self,
        doc: &Value,
        text: impl FnOnce(bool) -> String,
    ) -> Result<(), OutputError> {
        let mut out = io::stdout().lock();
        if self.format == OutputFormat::Table && self.query.is_none() {
            let s = text(self.color);
            let context = if self.color {
                sanitize::Context::ColouredPage
            } else {
                sanitize::Context::Page
            };
            let s = sanitize::clean(&s, context);
            out.write_all(s.as_bytes())?;
            if !s.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        } else if matches!(self.format, OutputFormat::Csv | OutputFormat::Tsv)
            && self.query.is_none()
        {
            let sep = if self.format == OutputFormat::Tsv {
                b'\t'
            } else {
                b','
            };
            out.write_all(Table::from_object(doc).to_delimited(sep).as_bytes())?;
        } else {
            self.emit_to(&mut out, doc, || Table::new(Vec::<String>::new()))?;
        }
        out.flush()?;
        Ok(())
    }

    /// Like [`Output::emit`], into any writer (tests).
    pub fn emit_to(
        &self,
        out: &mut dyn Write,
        doc: &Value,
        table: impl FnOnce() -> Table,
    ) -> Result<(), OutputError> {
        if let Some(q) = &self.query {
            let result = apply_query(q, doc)?;
            let fmt = match self.format {
                OutputFormat::Table => OutputFormat::Json,
                f => f,
            };
            return self.write_doc(out, &result, fmt);
        }
        match self.format {
            OutputFormat::Table => {
                let t = table();
                out.write_all(t.render(self.table_width(), self.color).as_bytes())?;
            }
            OutputFormat::Csv => out.write_all(table().to_delimited(b',').as_bytes())?,
            OutputFormat::Tsv => out.write_all(table().to_delimited(b'\t').as_bytes())?,
            f => self.write_doc(out, doc, f)?,
        }
        Ok(())
    }

    fn write_doc(
        &self,
        out: &mut dyn Write,
        doc: &Value,
        format: OutputFormat,
    ) -> Result<(), OutputError> {
        match format {
            OutputFormat::None => {}
            OutputFormat::Json => {
                out.write_all(json_pretty(doc).as_bytes())?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Jsonc => {
                let s = if self.color {
                    colorize(&json_pretty(doc))
                } else {
                    json_pretty(doc)
                };
                out.write_all(s.as_bytes())?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Ndjson => match doc {
                Value::Array(items) => {
                    for item in items {
                        out.write_all(json_line(item).as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                }
                other => {
                    out.write_all(json_line(other).as_bytes())?;
                    out.write_all(b"\n")?;
                }
            },
            OutputFormat::Yaml => {
                let s = serde_yaml::to_string(doc).map_err(|e| io::Error::other(e.to_string()))?;
                out.write_all(s.as_bytes())?;
            }
            OutputFormat::Csv | OutputFormat::Tsv | OutputFormat::Table => {
                let sep = if format == OutputFormat::Tsv {
                    b'\t'
                } else {
                    b','
                };
                let t = Table::from_json(doc);
                let s = if format == OutputFormat::Table {
                    t.render(self.table_width(), self.color)
                } else {
                    t.to_delimited(sep)
                };
                out.write_all(s.as_bytes())?;
            }
        }
        Ok(())
    }
}

fn apply_query(q: &jmespath::Expression<'static>, doc: &Value) -> Result<Value, OutputError> {
    let data = jmespath::Variable::from_json(&doc.to_string())
        .map_err(|e| OutputError::Query(e.to_string()))?;
    let result = q
        .search(data)
        .map_err(|e| OutputError::Query(e.to_string()))?;
    serde_json::to_value(&*result).map_err(|e| OutputError::Query(e.to_string()))
}

/// An output stream of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Results.
    Stdout,
    /// Messages, hints, progress and the `-v` logs.
    Stderr,
}

/// The one colour decision, for every stream: never with `--no-color` or with `NO_COLOR` set and
/// non-empty (as no-color.org defines it; an empty `NO_COLOR` is as if unset); always with
/// `CLICOLOR_FORCE` set and not `0` (tests, `less -R`); otherwise when the stream is a terminal.
pub fn color_enabled(no_color: bool, stream: Stream) -> bool {
    use std::io::IsTerminal;
    if no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    match stream {
        Stream::Stdout => io::stdout().is_terminal(),
        Stream::Stderr => io::stderr().is_terminal(),
    }
}

/// The width tables are fitted to: `PROVCTL_TERM_WIDTH` (the test seam, as xh's), else `COLUMNS`
/// when set (a user's explicit choice, also for a pipe), else the terminal's; `None` (unlimited)
/// for a pipe or a file.
pub fn terminal_width() -> Option<u16> {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .filter(|&w| w > 0)
    };
    if let Some(w) = from_env("PROVCTL_TERM_WIDTH").or_else(|| from_env("COLUMNS")) {
        return Some(w);
    }
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        terminal_size::terminal_size().map(|(w, _)| w.0)
    } else {
        None
    }
}

/// Pretty JSON with every control character escaped: serde_json escapes C0 itself; DEL and the C1
/// controls (U+0080–U+009F, among them the one-character CSI U+009B) it writes raw, so they are
/// escaped here. They can only occur inside strings, where `\u009b` means the same character.
pub fn json_pretty(doc: &Value) -> String {
    escape_json_controls(serde_json::to_string_pretty(doc).unwrap_or_default())
}

/// One-line JSON (NDJSON), escaped as [`json_pretty`].
pub fn json_line(doc: &Value) -> String {
    escape_json_controls(serde_json::to_string(doc).unwrap_or_default())
}

fn escape_json_controls(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        // Raw C0 (line breaks of pretty JSON) are structure, not string content.
        if c.is_control() && (c as u32) >= 0x7f {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Pretty JSON text with keys, strings and literals coloured. The scan starts afresh at every
/// structural character, so colouring the items of an array one by one gives the same text.
fn colorize(text: &str) -> String {
    // Colour keys and strings by scanning the pretty text; escapes inside strings are kept.
    let key = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::Blue.into()))
        .bold();
    let string = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Green.into()));
    let lit = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Yellow.into()));
    let mut out = String::with_capacity(text.len() * 2);
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                if bytes[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            let s: String = bytes[start..=i.min(bytes.len() - 1)].iter().collect();
            let is_key = bytes.get(i + 1) == Some(&':');
            let style = if is_key { key } else { string };
            out.push_str(&format!("{style}{s}{style:#}"));
            i += 1;
        } else if c.is_ascii_digit() || c == '-' || c == 't' || c == 'f' || c == 'n' {
            let start = i;
            while i < bytes.len() && !matches!(bytes[i], ',' | '\n' | ']' | '}') {
                i += 1;
            }
            let s: String = bytes[start..i].iter().collect();
            out.push_str(&format!("{lit}{s}{lit:#}"));
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn out(format: OutputFormat, query: Option<&str>) -> Output {
        Output {
            color: false,
            width: Some(80),
            ..Output::new(format, query, true).unwrap()
        }
    }

    fn render(o: &Output, doc: &Value) -> String {
        let mut buf = Vec::new();
        o.emit_to(&mut buf, doc, || {
            let mut t = Table::new(["ID", "NAME"]);
            t.row(["1", "a,b"]);
            t
        })
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn every_format_renders() {
        let doc = json!([{"id": "1", "name": "a,b"}]);
        assert_eq!(
            render(&out(OutputFormat::Ndjson, None), &doc),
            "{\"id\":\"1\",\"name\":\"a,b\"}\n"
        );
        assert_eq!(
            render(&out(OutputFormat::Csv, None), &doc),
            "ID,NAME\n1,\"a,b\"\n"
        );
        assert_eq!(render(&out(OutputFormat::Tsv, None), &doc), "1\ta,b\n");
        assert!(render(&out(OutputFormat::Yaml, None), &doc).contains("name: a,b"));
        assert_eq!(render(&out(OutputFormat::None, None), &doc), "");
        assert!(render(&out(OutputFormat::Table, None), &doc).contains("a,b"));
    }

    #[test]
    fn json_escapes_every_control_character() {
        let doc = json!({"displayName": "Alex\u{1b}]0;owned\u{7}\u{9b}2J\u{7f}"});
        for format in [OutputFormat::Json, OutputFormat::Ndjson, OutputFormat::Yaml] {
            let s = render(&out(format, None), &doc);
            assert!(
                !s.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{7f}']),
                "{format:?}: {s:?}"
            );
        }
        let s = render(&out(OutputFormat::Json, None), &doc);
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, doc, "escaped, not changed");
    }

    #[test]
    fn tsv_of_a_query_is_bare_values_and_csv_keeps_its_header() {
        let doc = json!([{"id": "1"}, {"id": "2"}]);
        assert_eq!(
            render(&out(OutputFormat::Tsv, Some("[].id")), &doc),
            "1\n2\n"
        );
        assert_eq!(
            render(&out(OutputFormat::Csv, Some("[].id")), &doc),
            "value\n1\n2\n"
        );
    }

    #[test]
    fn query_narrows_the_document() {
        let doc = json!([{"id": "1", "name": "x"}, {"id": "2", "name": "y"}]);
        assert_eq!(
            render(&out(OutputFormat::Json, Some("[].id")), &doc),
            "[\n  \"1\",\n  \"2\"\n]\n"
        );
        assert!(
            Output::new(OutputFormat::Json, Some("[.bad"), true)
                .unwrap_err()
                .contains("--query '[.bad'")
        );
    }
}
