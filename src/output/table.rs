//! A plain table model that renders as aligned columns (comfy-table) for people, or as CSV/TSV for
//! spreadsheets, from the same rows. Cells may carry a style, shown only when colour is on.

use comfy_table::{Attribute, Color, ContentArrangement, presets};
use serde_json::Value;

/// How a cell is emphasised on a colour terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cell {
    /// No emphasis.
    #[default]
    Plain,
    /// Good news (healthy, success).
    Good,
    /// Needs attention (paused, skipped, warning).
    Warn,
    /// Bad news (quarantined, failure).
    Bad,
    /// De-emphasised (ids, "never").
    Dim,
}

/// Rows and headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<(String, Cell)>>,
}

impl Table {
    /// A table with these headers.
    pub fn new<I, S>(headers: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of plain cells.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows
            .push(cells.into_iter().map(|c| (c.into(), Cell::Plain)).collect());
    }

    /// Adds a row of styled cells.
    pub fn styled_row(&mut self, cells: Vec<(String, Cell)>) {
        self.rows.push(cells);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A table from a JSON array of objects (columns = keys of the first object) or a scalar.
    pub fn from_json(doc: &Value) -> Table {
        let items: Vec<&Value> = match doc {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let headers: Vec<String> = match items.first() {
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            _ => vec!["value".into()],
        };
        let mut t = Table::new(headers.clone());
        for item in items {
            match item {
                Value::Object(m) => t.row(
                    headers
                        .iter()
                        .map(|h| scalar_text(m.get(h).unwrap_or(&Value::Null))),
                ),
                other => t.row([scalar_text(other)]),
            }
        }
        t
    }

    /// Renders aligned columns, fitted to `width` when given.
    pub fn render(&self, width: Option<u16>, color: bool) -> String {
        let mut t = comfy_table::Table::new();
        t.load_style(presets::NOTHING);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        match width {
            Some(w) => {
                t.set_width(w);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !color {
            t.force_no_tty();
        } else {
            t.enforce_styling();
        }
        t.set_header(self.headers.iter().map(|h| {
            let c = comfy_table::Cell::new(h);
            if color {
                c.add_attribute(Attribute::Bold)
            } else {
                c
            }
        }));
        for row in &self.rows {
            t.add_row(row.iter().map(|(text, style)| {
                let c = comfy_table::Cell::new(text);
                if !color {
                    return c;
                }
                match style {
                    Cell::Plain => c,
                    Cell::Good => c.fg(Color::Green),
                    Cell::Warn => c.fg(Color::Yellow),
                    Cell::Bad => c.fg(Color::Red),
                    Cell::Dim => c.fg(Color::DarkGrey),
                }
            }));
        }
        // comfy-table pads the first column with one space; trim trailing spaces line by line.
        let mut s: String = t
            .to_string()
            .lines()
            .map(|l| l.trim_end().to_owned() + "\n")
            .collect();
        if s.is_empty() {
            s.push('\n');
        }
        s
    }

    /// CSV (`,`) or TSV (`\t`) with a header row.
    pub fn to_delimited(&self, sep: u8) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(sep)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        if sep == b'\t' {
            w = csv::WriterBuilder::new()
                .delimiter(sep)
                .quote_style(csv::QuoteStyle::Never)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
        }
        let clean = |s: &str| {
            if sep == b'\t' {
                s.replace(['\t', '\n'], " ")
            } else {
                s.to_owned()
            }
        };
        let _ = w.write_record(self.headers.iter().map(|h| clean(h)));
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(|(t, _)| clean(t)));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
