//! Writing a list of records as they arrive (a search over many Graph pages, a large log file), in
//! memory bounded by the output rather than by the number of records: JSON item by item inside its
//! brackets (byte for byte what one pretty-printed array would be), NDJSON, YAML, CSV and TSV row by
//! row, and a table in blocks of [`TABLE_BLOCK_ROWS`] rows. Only `--query` needs the whole
//! document: with a query every item is held until the end, then the query runs once.
//!
//! The table keeps its usual look up to [`TABLE_BLOCK_ROWS`] rows (exactly [`Table::render`]).
//! A longer list stays one table: the header once, and each further block laid out in the columns
//! and widths of the first block (the first block decides which columns fit). On a terminal a
//! longer cell shortens with an ellipsis, as cells already do in the first block, except in the
//! last column ("why" in a search), which may use the rest of the line; in a pipe or a file, where
//! lines are never cut, a column widens for a block whose cells are longer. Chosen over one table
//! per block (a header every thousand rows, columns jumping between blocks) and over fixed widths
//! from the first row (short results would look different from a whole table).

use std::io::Write;

use serde_json::Value;

use super::table::{Layout, delimited_record};
use super::{Column, Output, OutputError, OutputFormat, Table};

/// Rows of a table held before they are printed as one block.
pub const TABLE_BLOCK_ROWS: usize = 1000;

pub use super::table::Row;

/// A list being written; see the module docs. Create with [`Output::list`], end with
/// [`ListWriter::finish`].
pub struct ListWriter<'o, W: Write> {
    output: &'o Output,
    out: W,
    kind: Kind,
    /// The columns (CSV/TSV: their keys and machine values).
    columns: Table,
    count: u64,
}

enum Kind {
    /// `--query`: the whole document is needed.
    Query(Vec<Value>),
    /// Pretty JSON, coloured or not.
    Json {
        color: bool,
    },
    Ndjson,
    Yaml,
    /// CSV (`,`) or TSV (`\t`).
    Delimited(u8),
    Table(TableBlocks),
    Nothing,
}

impl Output {
    /// Starts writing a list to `out`: `columns` are the table's or CSV's columns, and each item
    /// comes with its row (see [`ListWriter::push`]). Nothing is written before the first item
    /// or [`ListWriter::finish`] (so an error before the first item leaves stdout empty), and an
    /// empty list is still a valid document (`[]`, a CSV header row).
    pub fn list<W: Write, C: Into<Column>>(
        &self,
        out: W,
        columns: impl IntoIterator<Item = C>,
    ) -> ListWriter<'_, W> {
        self.list_in_blocks(out, columns, TABLE_BLOCK_ROWS)
    }

    fn list_in_blocks<W: Write, C: Into<Column>>(
        &self,
        out: W,
        columns: impl IntoIterator<Item = C>,
        block: usize,
    ) -> ListWriter<'_, W> {
        let columns = Table::new(columns);
        let kind = if self.query.is_some() {
            Kind::Query(Vec::new())
        } else {
            match self.format {
                OutputFormat::Json => Kind::Json { color: false },
                OutputFormat::Jsonc => Kind::Json { color: self.color },
                OutputFormat::Ndjson => Kind::Ndjson,
                OutputFormat::Yaml => Kind::Yaml,
                OutputFormat::Csv => Kind::Delimited(b','),
                OutputFormat::Tsv => Kind::Delimited(b'\t'),
                OutputFormat::Table => Kind::Table(TableBlocks::new(
                    columns.clone(),
                    block,
                    self.table_width(),
                    self.color,
                )),
                OutputFormat::None => Kind::Nothing,
            }
        };
        ListWriter {
            output: self,
            out,
            kind,
            columns,
            count: 0,
        }
    }
}

impl<W: Write> ListWriter<'_, W> {
    /// Writes one item: `item` (the Graph object) in the machine formats, `row()` in a table, CSV
    /// or TSV (its styles matter only in a table on a colour terminal).
    pub fn push(&mut self, item: Value, row: impl FnOnce() -> Row) -> Result<(), OutputError> {
        let first = self.count == 0;
        if first {
            self.open()?;
        }
        self.count += 1;
        match &mut self.kind {
            Kind::Query(items) => items.push(item),
            Kind::Json { color } => {
                let text = json_item(&item, first);
                let text = if *color { super::colorize(&text) } else { text };
                self.out.write_all(text.as_bytes())?;
            }
            Kind::Ndjson => {
                self.out.write_all(super::json_line(&item).as_bytes())?;
                self.out.write_all(b"\n")?;
            }
            Kind::Yaml => {
                // A one-item sequence is the item's `- ` entry of the whole list.
                let s = serde_yaml::to_string(std::slice::from_ref(&item))
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                self.out.write_all(s.as_bytes())?;
            }
            Kind::Delimited(sep) => {
                let cells = row();
                let mut line = Vec::new();
                delimited_record(*sep, self.columns.machine_cells(&cells), &mut line);
                self.out.write_all(&line)?;
            }
            Kind::Table(blocks) => {
                if let Some(text) = blocks.push(row()) {
                    self.out.write_all(text.as_bytes())?;
                }
            }
            Kind::Nothing => {}
        }
        Ok(())
    }

    /// Like [`ListWriter::push`], building the item only for a format that prints it (not for a
    /// table, CSV, TSV or `-o none`): a large file's records are not turned into values for nothing.
    pub fn push_with(
        &mut self,
        item: impl FnOnce() -> Value,
        row: impl FnOnce() -> Row,
    ) -> Result<(), OutputError> {
        match self.kind {
            Kind::Delimited(_) | Kind::Table(_) | Kind::Nothing => self.push(Value::Null, row),
            _ => self.push(item(), row),
        }
    }

    /// The opening of the document: `[` for JSON, the header row for CSV (TSV has none).
    fn open(&mut self) -> Result<(), OutputError> {
        match &self.kind {
            Kind::Json { .. } => self.out.write_all(b"[")?,
            Kind::Delimited(sep) if *sep != b'\t' => {
                let mut line = Vec::new();
                delimited_record(*sep, self.columns.machine_headers(), &mut line);
                self.out.write_all(&line)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// How many items were pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sends what is buffered on (e.g. while waiting for the next page).
    pub fn flush(&mut self) -> Result<(), OutputError> {
        self.out.flush()?;
        Ok(())
    }

    /// Writes the end of the list (`]`, the last table block, or the query's result) and flushes.
    /// An empty table prints nothing: the command says on stderr that nothing matched.
    pub fn finish(mut self) -> Result<W, OutputError> {
        if self.count == 0 {
            self.open()?;
        }
        match std::mem::replace(&mut self.kind, Kind::Nothing) {
            Kind::Query(items) => {
                self.output
                    .emit_to(&mut self.out, &Value::Array(items), Table::default)?;
            }
            Kind::Json { .. } => {
                let end: &[u8] = if self.count == 0 { b"]\n" } else { b"\n]\n" };
                self.out.write_all(end)?;
            }
            Kind::Table(blocks) => self.out.write_all(blocks.finish().as_bytes())?,
            Kind::Yaml if self.count == 0 => self.out.write_all(b"[]\n")?,
            Kind::Ndjson | Kind::Yaml | Kind::Delimited(_) | Kind::Nothing => {}
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One item of a pretty-printed JSON array, with the separator before it: exactly the text
/// `serde_json::to_string_pretty` gives it inside the whole array (JSON strings hold no raw
/// newline, so indenting every line is safe).
fn json_item(item: &Value, first: bool) -> String {
    let pretty = super::json_pretty(item);
    let mut text = String::with_capacity(pretty.len() + pretty.len() / 8 + 4);
    text.push_str(if first { "\n" } else { ",\n" });
    for (i, line) in pretty.split('\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str("  ");
        text.push_str(line);
    }
    text
}

/// A table printed a block at a time (see the module docs); holds at most one block of rows.
pub(crate) struct TableBlocks {
    table: Table,
    block: usize,
    width: Option<u16>,
    color: bool,
    /// After the first block: its columns and widths.
    layout: Option<Layout>,
}

impl TableBlocks {
    pub(crate) fn new(table: Table, block: usize, width: Option<u16>, color: bool) -> Self {
        TableBlocks {
            table,
            block: block.max(1),
            width,
            color,
            layout: None,
        }
    }

    /// Adds a row; returns the text of a block when one is complete.
    pub(crate) fn push(&mut self, row: Row) -> Option<String> {
        self.table.push(row);
        (self.table.len() >= self.block).then(|| self.print_block())
    }

    /// The rows not printed yet.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.table.len()
    }

    /// The last block (nothing when no row is left).
    pub(crate) fn finish(mut self) -> String {
        if self.table.is_empty() {
            String::new()
        } else {
            self.print_block()
        }
    }

    fn print_block(&mut self) -> String {
        let text = match &self.layout {
            None => {
                let layout = self.table.layout(self.width);
                let text = self
                    .table
                    .render_rows(&layout, self.width, self.color, true);
                self.layout = Some(layout);
                text
            }
            Some(layout) => self
                .table
                .render_rows(layout, self.width, self.color, false),
        };
        self.table.clear_rows();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Cell;
    use serde_json::json;

    fn output(format: OutputFormat, query: Option<&str>, width: Option<u16>) -> Output {
        Output {
            color: false,
            width,
            ..Output::new(format, query, true).unwrap()
        }
    }

    fn items(n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                json!({"id": format!("id-{i:04}"), "n": i, "name": "a,b\tc", "tags": [], "nested": {"ok": i.is_multiple_of(2), "none": null}})
            })
            .collect()
    }

    fn row(v: &Value) -> Row {
        vec![
            (v["id"].as_str().unwrap_or("").to_owned(), Cell::Dim).into(),
            ("a,b".to_owned(), Cell::Plain).into(),
            (
                "x".repeat(v["n"].as_u64().unwrap_or(0) as usize % 13),
                Cell::Bad,
            )
                .into(),
        ]
    }

    /// The list written item by item, and the same list rendered whole by [`Output::emit_to`].
    fn streamed_and_whole(o: &Output, items: &[Value], block: usize) -> (String, String) {
        let headers = ["ID", "NAME", "WHY"];
        let mut list = o.list_in_blocks(Vec::new(), headers, block);
        for v in items {
            list.push(v.clone(), || row(v)).unwrap();
        }
        let streamed = String::from_utf8(list.finish().unwrap()).unwrap();
        let mut whole = Vec::new();
        o.emit_to(&mut whole, &Value::Array(items.to_vec()), || {
            let mut t = Table::new(headers);
            for v in items {
                t.push(row(v));
            }
            t
        })
        .unwrap();
        (streamed, String::from_utf8(whole).unwrap())
    }

    #[test]
    fn machine_formats_stream_the_same_bytes_as_the_whole_document() {
        for format in [
            OutputFormat::Json,
            OutputFormat::Jsonc,
            OutputFormat::Ndjson,
            OutputFormat::Yaml,
            OutputFormat::Csv,
            OutputFormat::Tsv,
            OutputFormat::None,
        ] {
            let o = output(format, None, None);
            for n in [0, 1, 2, 7] {
                let (streamed, whole) = streamed_and_whole(&o, &items(n), 3);
                assert_eq!(streamed, whole, "{format:?} with {n} items");
            }
        }
        let (empty, _) = streamed_and_whole(&output(OutputFormat::Json, None, None), &[], 3);
        assert_eq!(empty, "[]\n");
    }

    #[test]
    fn coloured_json_streams_the_same_bytes_as_the_whole_document() {
        let o = Output {
            color: true,
            ..output(OutputFormat::Jsonc, None, None)
        };
        let (streamed, whole) = streamed_and_whole(&o, &items(4), 3);
        assert!(streamed.contains("\u{1b}["), "{streamed}");
        assert_eq!(streamed, whole);
    }

    #[test]
    fn a_query_sees_the_whole_list() {
        for format in [OutputFormat::Json, OutputFormat::Table, OutputFormat::Csv] {
            let o = output(format, Some("[?n > `2`].id"), Some(80));
            let (streamed, whole) = streamed_and_whole(&o, &items(6), 2);
            assert_eq!(streamed, whole, "{format:?}");
            assert!(streamed.contains("id-0005") && !streamed.contains("id-0001"));
        }
    }

    #[test]
    fn a_table_up_to_one_block_looks_exactly_as_before_and_an_empty_one_prints_nothing() {
        for width in [None, Some(40), Some(250)] {
            let o = output(OutputFormat::Table, None, width);
            let (streamed, whole) = streamed_and_whole(&o, &items(5), 5);
            assert_eq!(streamed, whole, "{width:?}");
            let (streamed, _) = streamed_and_whole(&o, &[], 5);
            assert_eq!(streamed, "");
        }
    }

    /// Where each column starts on a line of the table, found from a known row's cells.
    fn starts(line: &str, cells: &[&str]) -> Vec<usize> {
        let mut at = 0;
        cells
            .iter()
            .map(|c| {
                let i = at
                    + line[at..]
                        .find(c)
                        .unwrap_or_else(|| panic!("{c} in {line}"));
                at = i + c.len();
                i
            })
            .collect()
    }

    #[test]
    fn a_long_table_is_printed_in_blocks_holding_one_block_at_most_and_stays_one_table() {
        for width in [None, Some(60), Some(250)] {
            let mut blocks = TableBlocks::new(Table::new(["ID", "NAME", "WHY"]), 4, width, false);
            let mut text = String::new();
            let mut printed = 0;
            for v in items(1000) {
                if let Some(t) = blocks.push(row(&v)) {
                    printed += 1;
                    text.push_str(&t);
                }
                assert!(blocks.held() < 4, "the table holds one block at most");
            }
            text.push_str(&blocks.finish());
            assert_eq!(printed, 250);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.iter().filter(|l| l.contains("NAME")).count(), 1);
            // Every row starts its columns where the first block's rows do.
            assert_eq!(
                lines.len(),
                1001,
                "{width:?}: one line per row, no wrapping"
            );
            let first = starts(lines[1], &["id-0000", "a,b"]);
            for (i, line) in lines.iter().skip(1).enumerate() {
                assert_eq!(
                    starts(line, &[&format!("id-{i:04}"), "a,b"]),
                    first,
                    "{width:?} row {i}: {line}"
                );
            }
        }
    }

    #[test]
    fn later_blocks_use_the_first_blocks_columns_and_widths() {
        // The same rows rendered as a continuation are the first block's lines without the header.
        for width in [None, Some(30), Some(60), Some(250)] {
            let mut t = Table::new(["ID", "SOURCE → TARGET", "WHY"]);
            for v in items(9) {
                t.push(row(&v));
            }
            let first = t.render(width, false);
            let layout = t.layout(width);
            let again = t.render_rows(&layout, width, false, false);
            let body: Vec<&str> = first.lines().skip(1).collect();
            assert_eq!(again.lines().collect::<Vec<_>>(), body, "{width:?}");
        }
        // Without a width a longer cell later widens its column instead of being cut.
        let mut t = Table::new(["A", "B"]);
        t.row(["1", "short"]);
        let layout = t.layout(None);
        let mut later = Table::new(["A", "B"]);
        later.row(["2", "a much longer cell than before"]);
        assert_eq!(
            later.render_rows(&layout, None, false, false),
            "2  a much longer cell than before\n"
        );
    }
}
