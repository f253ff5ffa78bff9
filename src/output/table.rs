//! A plain table model that renders as aligned columns (comfy-table) for people, or as CSV/TSV for
//! spreadsheets, from the same rows. Cells may carry a style, shown only when colour is on.

use comfy_table::{Attribute, Color, ColumnConstraint, ContentArrangement, Width, presets};
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

    /// Puts a column in front of the others (`TENANT` when one run covers several tenants): one
    /// cell per row, in row order; rows beyond `cells` get an empty cell.
    pub fn prepend_column(&mut self, header: impl Into<String>, cells: Vec<(String, Cell)>) {
        self.headers.insert(0, header.into());
        let mut cells = cells.into_iter();
        for row in &mut self.rows {
            row.insert(0, cells.next().unwrap_or_default());
        }
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
        let t = self.comfy(Some(&self.headers), width, color, None);
        let s = lines_trimmed(&t);
        if s.is_empty() { "\n".into() } else { s }
    }

    /// The width of each column (padding included) in [`Table::render`] at `width`, so that later
    /// rows can continue the same table ([`Table::render_continued`]). comfy-table keeps its
    /// arrangement to itself, so it is read back from a render whose header cells are made of
    /// one marker letter per column (same lengths and spaces, so the same arrangement): a column
    /// starts one padding space before its marker. `None` when that cannot be read (more columns
    /// than marker letters, or a header character that may be wider than a marker letter).
    pub fn column_widths(&self, width: Option<u16>) -> Option<Vec<u16>> {
        const MARKERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        // ASCII, general punctuation, letterlike symbols and arrows (`→`) are one column wide.
        let narrow =
            |c: char| c.is_ascii_graphic() || c == ' ' || ('\u{2000}'..='\u{21FF}').contains(&c);
        if self.headers.is_empty()
            || self.headers.len() > MARKERS.len()
            || !self.headers.iter().all(|h| h.chars().all(narrow))
        {
            return None;
        }
        let marked: Vec<String> = self
            .headers
            .iter()
            .zip(MARKERS)
            .map(|(h, &m)| {
                let m = char::from(m);
                let text: String = h.chars().map(|c| if c == ' ' { ' ' } else { m }).collect();
                if text.trim().is_empty() {
                    m.to_string()
                } else {
                    text
                }
            })
            .collect();
        let t = self.comfy(Some(&marked), width, false, None);
        let line = t.lines().next()?;
        let mut starts = Vec::with_capacity(marked.len());
        for &m in &MARKERS[..marked.len()] {
            let at = line.bytes().position(|b| b == m)?;
            starts.push(u16::try_from(at.checked_sub(1)?).ok()?);
        }
        starts.push(u16::try_from(line.len()).ok()?);
        let widths: Option<Vec<u16>> = starts
            .windows(2)
            .map(|w| w[1].checked_sub(w[0]).filter(|&d| d > 2))
            .collect();
        widths.filter(|_| starts[0] == 0)
    }

    /// Renders the rows alone (no header) in columns of these `widths` (from
    /// [`Table::column_widths`]): the next block of a table too long to hold at once. Fitted to a
    /// width, a longer cell wraps inside its column as in the first block, except in the last
    /// column, which may use the rest of the line; without a width (a pipe or a file) lines are
    /// never wrapped, so a column widens for a block whose cells are longer.
    pub fn render_continued(&self, widths: &[u16], width: Option<u16>, color: bool) -> String {
        let t = self.comfy(None, width, color, Some(widths));
        lines_trimmed(&t)
    }

    fn comfy(
        &self,
        headers: Option<&[String]>,
        width: Option<u16>,
        color: bool,
        widths: Option<&[u16]>,
    ) -> comfy_table::Table {
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
        if let Some(headers) = headers {
            t.set_header(headers.iter().map(|h| {
                let c = comfy_table::Cell::new(h);
                if color {
                    c.add_attribute(Attribute::Bold)
                } else {
                    c
                }
            }));
        }
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
        if let Some(widths) = widths {
            t.set_constraints(continued(widths, width));
        }
        t
    }

    /// CSV (`,`) or TSV (`\t`) with a header row.
    pub fn to_delimited(&self, sep: u8) -> String {
        let mut out = Vec::new();
        delimited_record(sep, self.headers.iter().map(String::as_str), &mut out);
        for row in &self.rows {
            delimited_record(sep, row.iter().map(|(t, _)| t.as_str()), &mut out);
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Drops the rows, keeping the headers (the next block of a table written in blocks).
    pub(crate) fn clear_rows(&mut self) {
        self.rows.clear();
    }
}

/// The constraints that continue a table in the first block's column `widths`. Fitted to a
/// `width`, every column keeps its width except the last, which may take what the first block
/// left of the line (a later "why" longer than any in the first block need not wrap); without a
/// width, columns only widen.
fn continued(widths: &[u16], width: Option<u16>) -> Vec<ColumnConstraint> {
    let Some(width) = width else {
        return widths
            .iter()
            .map(|&w| ColumnConstraint::LowerBoundary(Width::Fixed(w)))
            .collect();
    };
    let (last, others) = widths.split_last().unwrap_or((&0, &[]));
    let rest = width.saturating_sub(others.iter().sum());
    others
        .iter()
        .copied()
        .chain([rest.max(*last)])
        .map(|w| ColumnConstraint::Absolute(Width::Fixed(w)))
        .collect()
}

/// Appends one CSV (`,`) or TSV (`\t`) record to `out`: CSV quoted where needed, TSV never quoted
/// (tabs and newlines inside a cell become spaces).
pub(crate) fn delimited_record<'a>(
    sep: u8,
    cells: impl IntoIterator<Item = &'a str>,
    out: &mut Vec<u8>,
) {
    let mut b = csv::WriterBuilder::new();
    b.delimiter(sep).terminator(csv::Terminator::Any(b'\n'));
    if sep == b'\t' {
        b.quote_style(csv::QuoteStyle::Never);
    }
    let mut w = b.from_writer(out);
    for cell in cells {
        let _ = if sep == b'\t' && cell.contains(['\t', '\n']) {
            w.write_field(cell.replace(['\t', '\n'], " "))
        } else {
            w.write_field(cell)
        };
    }
    let _ = w.write_record(None::<&[u8]>);
    let _ = w.flush();
}

/// comfy-table pads the first column with one space; trim trailing spaces line by line.
fn lines_trimmed(t: &comfy_table::Table) -> String {
    t.lines().map(|l| l.trim_end().to_owned() + "\n").collect()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_where_needed_and_tsv_never_does() {
        let mut t = Table::new(["id", "reason"]);
        t.row(["1", "say \"no\", twice"]);
        t.row(["2", "line\nbreak\tand tab"]);
        assert_eq!(
            t.to_delimited(b','),
            "id,reason\n1,\"say \"\"no\"\", twice\"\n2,\"line\nbreak\tand tab\"\n"
        );
        assert_eq!(
            t.to_delimited(b'\t'),
            "id\treason\n1\tsay \"no\", twice\n2\tline break and tab\n"
        );
    }
}
