//! Rendering a command's result: a table for people, or JSON/JSONC/NDJSON/YAML/CSV/TSV for scripts,
//! optionally narrowed by a JMESPath `--query`. Colour only on a terminal and never under `NO_COLOR`;
//! progress and messages go to stderr, results to stdout. A list too long to hold (every event of a
//! search) is written as it arrives through [`ListWriter`].

mod list;
mod table;
pub mod time;
pub mod units;

use std::io::{self, Write};

use serde_json::Value;

pub use list::{ListWriter, Row, TABLE_BLOCK_ROWS};
pub use table::{Cell, Table};

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
    /// Tab-separated values with a header row.
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

/// `text` without control characters (escape sequences in a display name must not reach a
/// terminal); tabs and newlines become spaces.
pub fn strip_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Where and how results are rendered.
pub struct Output {
    /// The format.
    pub format: OutputFormat,
    query: Option<jmespath::Expression<'static>>,
    /// Whether colour may be used on stdout.
    pub color: bool,
    /// Table width (terminal width, or `PROVCTL_TERM_WIDTH` in tests); `None` = unlimited.
    pub width: Option<u16>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("format", &self.format)
            .field("color", &self.color)
            .field("width", &self.width)
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
            color: color_allowed(no_color),
            width: terminal_width(),
        })
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
    pub fn emit_text(
        &self,
        doc: &Value,
        text: impl FnOnce(bool) -> String,
    ) -> Result<(), OutputError> {
        let mut out = io::stdout().lock();
        if self.format == OutputFormat::Table && self.query.is_none() {
            let s = text(self.color);
            out.write_all(s.as_bytes())?;
            if !s.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        } else if matches!(self.format, OutputFormat::Csv | OutputFormat::Tsv)
            && self.query.is_none()
        {
            self.write_doc(&mut out, doc, OutputFormat::Json)?;
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
                out.write_all(t.render(self.width, self.color).as_bytes())?;
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
                serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::from)?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Jsonc => {
                let s = if self.color {
                    colored_json(doc)
                } else {
                    serde_json::to_string_pretty(doc).unwrap_or_default()
                };
                out.write_all(s.as_bytes())?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Ndjson => match doc {
                Value::Array(items) => {
                    for item in items {
                        serde_json::to_writer(&mut *out, item).map_err(io::Error::from)?;
                        out.write_all(b"\n")?;
                    }
                }
                other => {
                    serde_json::to_writer(&mut *out, other).map_err(io::Error::from)?;
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
                    t.render(self.width, self.color)
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

/// Whether stdout may carry colour: a terminal, `NO_COLOR` unset, no `--no-color`
/// (`CLICOLOR_FORCE` forces it, for tests).
pub fn color_allowed(no_color: bool) -> bool {
    use std::io::IsTerminal;
    if no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    io::stdout().is_terminal()
}

/// The table width: `PROVCTL_TERM_WIDTH` (tests), else the terminal's, else unlimited.
pub fn terminal_width() -> Option<u16> {
    if let Some(w) = std::env::var("PROVCTL_TERM_WIDTH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Some(w);
    }
    use std::io::IsTerminal;
    if io::stdout().is_terminal() {
        comfy_table::Table::new().width()
    } else {
        None
    }
}

fn colored_json(doc: &Value) -> String {
    colorize(&serde_json::to_string_pretty(doc).unwrap_or_default())
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
        assert_eq!(
            render(&out(OutputFormat::Tsv, None), &doc),
            "ID\tNAME\n1\ta,b\n"
        );
        assert!(render(&out(OutputFormat::Yaml, None), &doc).contains("name: a,b"));
        assert_eq!(render(&out(OutputFormat::None, None), &doc), "");
        assert!(render(&out(OutputFormat::Table, None), &doc).contains("a,b"));
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
