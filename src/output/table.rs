//! A table model that renders as aligned columns fitted to the terminal for people, or as CSV/TSV
//! for scripts, from the same rows.
//!
//! Each [`Column`] says what it holds. A column people read (`JOB`, `LAST RUN`) has a header; a
//! column scripts read has a key (`jobId`, `lastRunEnded`); most have both. A cell ([`Field`])
//! carries the text people read (`…4d5e01`, `3h ago`) and, where it differs, the value scripts
//! read (the full id, RFC 3339 UTC), so `-o csv` never carries a shortened id or a relative time,
//! and its columns are the same on every run.
//!
//! Fitting a width: ids, times, codes and numbers ([`Column::keep`]) never shorten, wrap or split,
//! since people copy them; text columns shorten with an ellipsis, down to their
//! [`Column::min_width`] (or header's width). Only when even that does not fit do whole columns
//! drop, those of the highest [`Column::priority`] number first (the rightmost of equals first).
//! The room left goes to the shortened text columns a priority tier at a time, and within a tier
//! to the narrowest first, so the longest cells shorten and the short ones stay whole.
//! `--wide` shows every column in full. Cells may carry a style, shown only when colour is on.
//! Every cell passes through [`super::sanitize`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use super::sanitize;

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

/// Columns separated by this many spaces.
const GAP: usize = 2;
/// A text column shortens down to this many characters (or its header's width, when wider).
const MIN_TEXT: usize = 12;

/// One column: its header for people, its key for scripts, and how it fits a narrow terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    header: Option<String>,
    key: Option<String>,
    keep: bool,
    priority: u8,
    min_width: usize,
}

impl Column {
    /// A text column shown to people as `header` and to scripts as `key`; it shortens with an
    /// ellipsis on a narrow terminal.
    pub fn new(header: impl Into<String>, key: impl Into<String>) -> Column {
        Column {
            header: Some(header.into()),
            key: Some(key.into()),
            keep: false,
            priority: 0,
            min_width: MIN_TEXT,
        }
    }

    /// A column only people read (a summary such as `Failed 3h ago` that scripts get as separate
    /// columns).
    pub fn human(header: impl Into<String>) -> Column {
        Column {
            key: None,
            ..Column::new(header, "")
        }
    }

    /// A column only scripts read (`-o csv|tsv`): a full id or a time the table shows differently.
    pub fn machine(key: impl Into<String>) -> Column {
        Column {
            header: None,
            ..Column::new("", key)
        }
    }

    /// Never shortened, wrapped or split (ids, times, codes, numbers): on a narrow terminal the
    /// column drops whole instead.
    pub fn keep(mut self) -> Column {
        self.keep = true;
        self
    }

    /// A text column worth showing only this wide (a reason cut to a dozen characters says little):
    /// narrower terminals drop lower-priority columns first, then this one.
    pub fn min_width(mut self, width: usize) -> Column {
        self.min_width = width;
        self
    }

    /// How soon the column drops on a narrow terminal: 0 (the default) last; higher numbers first.
    pub fn priority(mut self, priority: u8) -> Column {
        self.priority = priority;
        self
    }
}

impl From<&str> for Column {
    fn from(h: &str) -> Column {
        Column::new(h, h)
    }
}

impl From<String> for Column {
    fn from(h: String) -> Column {
        Column::new(h.clone(), h)
    }
}

/// One cell: what people read, what scripts read when it differs, and its emphasis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Field {
    text: String,
    machine: Option<String>,
    style: Cell,
}

impl Field {
    /// A plain cell, the same for people and scripts.
    pub fn new(text: impl Into<String>) -> Field {
        Field {
            text: text.into(),
            machine: None,
            style: Cell::Plain,
        }
    }

    /// An id shown shortened (`shown`) to people and in full to scripts.
    pub fn id(full: impl Into<String>, shown: impl Into<String>) -> Field {
        Field::new(shown).machine(full).style(Cell::Dim)
    }

    /// A time shown as `shown` (relative, or `never`) to people and as RFC 3339 UTC to scripts
    /// (empty when there is none).
    pub fn time(t: Option<DateTime<Utc>>, shown: impl Into<String>) -> Field {
        Field::new(shown).machine(t.map(super::time::machine).unwrap_or_default())
    }

    /// What scripts read instead of the text.
    pub fn machine(mut self, value: impl Into<String>) -> Field {
        self.machine = Some(value.into());
        self
    }

    /// The emphasis on a colour terminal.
    pub fn style(mut self, style: Cell) -> Field {
        self.style = style;
        self
    }

    /// The text people read.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl From<(String, Cell)> for Field {
    fn from((text, style): (String, Cell)) -> Field {
        Field::new(text).style(style)
    }
}

impl From<String> for Field {
    fn from(text: String) -> Field {
        Field::new(text)
    }
}

impl From<&str> for Field {
    fn from(text: &str) -> Field {
        Field::new(text)
    }
}

/// One table row: a [`Field`] per column, in column order.
pub type Row = Vec<Field>;

/// Columns and rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Row>,
}

impl Table {
    /// A table with these columns (`&str` headers are text columns keyed by the header).
    pub fn new<I, C>(columns: I) -> Table
    where
        I: IntoIterator<Item = C>,
        C: Into<Column>,
    {
        Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a column at the end (rows added later carry a field for it).
    pub fn add_column(&mut self, column: impl Into<Column>) {
        self.columns.push(column.into());
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Adds a row of plain cells.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows
            .push(cells.into_iter().map(|c| Field::new(c)).collect());
    }

    /// Adds a row of styled cells.
    pub fn styled_row(&mut self, cells: Vec<(String, Cell)>) {
        self.rows.push(cells.into_iter().map(Field::from).collect());
    }

    /// Adds a row of fields.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Puts a column in front of the others (`TENANT` when one run covers several tenants): one
    /// cell per row, in row order; rows beyond `cells` get an empty cell.
    pub fn prepend_column(&mut self, column: impl Into<Column>, cells: Vec<(String, Cell)>) {
        self.columns.insert(0, column.into());
        let mut cells = cells.into_iter().map(Field::from);
        for row in &mut self.rows {
            row.insert(0, cells.next().unwrap_or_else(|| Field::new("")));
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

    /// A `key`/`value` table of one object's fields, nested keys joined with `.` and array items
    /// numbered (`job.schedule.interval`, `steps[0].name`): an object in CSV/TSV.
    pub fn from_object(doc: &Value) -> Table {
        let mut t = Table::new(["key", "value"]);
        flatten("", doc, &mut |k, v| t.row([k, v]));
        t
    }

    /// Renders aligned columns fitted to `width` (see the module docs); `None` = unlimited.
    pub fn render(&self, width: Option<u16>, color: bool) -> String {
        let layout = self.layout(width);
        let mut out = self.render_rows(&layout, width, color, true);
        if out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Which columns show and how wide, for `width` (see the module docs).
    pub(crate) fn layout(&self, width: Option<u16>) -> Layout {
        let visible: Vec<usize> = (0..self.columns.len())
            .filter(|&c| self.columns[c].header.is_some())
            .collect();
        let natural: Vec<usize> = visible.iter().map(|&c| self.natural_width(c)).collect();
        let Some(width) = width.map(usize::from) else {
            return Layout {
                columns: visible,
                widths: natural,
            };
        };
        let minimum: Vec<usize> = visible
            .iter()
            .zip(&natural)
            .map(|(&c, &n)| {
                let col = &self.columns[c];
                if col.keep {
                    n
                } else {
                    n.min(
                        col.min_width
                            .max(display_width(col.header.as_deref().unwrap_or(""))),
                    )
                }
            })
            .collect();
        let mut shown: Vec<usize> = (0..visible.len()).collect();
        let needed = |shown: &[usize]| -> usize {
            shown.iter().map(|&i| minimum[i]).sum::<usize>() + GAP * shown.len().saturating_sub(1)
        };
        while shown.len() > 1 && needed(&shown) > width {
            // The highest priority number drops first; of equals, the rightmost.
            let drop = shown
                .iter()
                .enumerate()
                .max_by_key(|&(pos, &i)| (self.columns[visible[i]].priority, pos))
                .map(|(pos, _)| pos)
                .unwrap_or(shown.len() - 1);
            shown.remove(drop);
        }
        // What is left goes to the shortened text columns, a priority tier at a time (0 first):
        // the reason a search is for gets room before the job's name. Within a tier the room is
        // shared out level by level, so the longest cells shorten and the short ones stay whole,
        // rather than the leftmost column taking it all and the rightmost one being cut.
        let mut widths: Vec<usize> = shown.iter().map(|&i| minimum[i]).collect();
        let mut spare = width.saturating_sub(needed(&shown));
        let mut tiers: Vec<u8> = shown
            .iter()
            .map(|&i| self.columns[visible[i]].priority)
            .collect();
        tiers.sort_unstable();
        tiers.dedup();
        for tier in tiers {
            let tier: Vec<usize> = (0..shown.len())
                .filter(|&k| self.columns[visible[shown[k]]].priority == tier)
                .collect();
            spare = share_out(&mut widths, &tier, |k| natural[shown[k]], spare);
        }
        Layout {
            columns: shown.iter().map(|&i| visible[i]).collect(),
            widths,
        }
    }

    /// The rows (and the header when `header`) in `layout`. Without a `width` a cell longer than
    /// its column widens it (a later block of a list in a pipe); with one, the last column may use
    /// the rest of the line and any other cell shortens.
    pub(crate) fn render_rows(
        &self,
        layout: &Layout,
        width: Option<u16>,
        color: bool,
        header: bool,
    ) -> String {
        let mut widths = layout.widths.clone();
        match width {
            None => {
                for (k, &c) in layout.columns.iter().enumerate() {
                    widths[k] = widths[k].max(self.natural_width(c));
                }
            }
            Some(w) => {
                if let Some((last, others)) = widths.split_last_mut() {
                    let used = others.iter().sum::<usize>() + GAP * others.len();
                    *last = (*last).max(usize::from(w).saturating_sub(used));
                }
            }
        }
        let mut out = String::new();
        if header {
            let cells = layout.columns.iter().map(|&c| {
                let h = self.columns[c].header.as_deref().unwrap_or("");
                (Cow::Owned(h.to_owned()), Some(Cell::Plain), true)
            });
            line(&mut out, cells, &widths, color);
        }
        for row in &self.rows {
            let cells = layout.columns.iter().map(|&c| {
                let f = row.get(c);
                let text = f.map(|f| sanitize::line(&f.text)).unwrap_or_default();
                (text, f.map(|f| f.style), false)
            });
            line(&mut out, cells, &widths, color);
        }
        out
    }

    /// CSV (`,`, with a header row of the column keys) or TSV (`\t`, no header row, as `az`
    /// does, so `for id in $(provctl … -o tsv)` sees only values).
    pub fn to_delimited(&self, sep: u8) -> String {
        let mut out = Vec::new();
        if sep != b'\t' {
            delimited_record(sep, self.machine_headers(), &mut out);
        }
        for row in &self.rows {
            delimited_record(sep, self.machine_cells(row), &mut out);
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// The keys of the columns scripts read.
    pub(crate) fn machine_headers(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().filter_map(|c| c.key.as_deref())
    }

    /// A row's values in the columns scripts read.
    pub(crate) fn machine_cells<'a>(&'a self, row: &'a [Field]) -> impl Iterator<Item = &'a str> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key.is_some())
            .map(|(i, _)| {
                row.get(i)
                    .map(|f| f.machine.as_deref().unwrap_or(&f.text))
                    .unwrap_or("")
            })
    }

    /// Drops the rows, keeping the columns (the next block of a table written in blocks).
    pub(crate) fn clear_rows(&mut self) {
        self.rows.clear();
    }

    fn natural_width(&self, c: usize) -> usize {
        let header = display_width(self.columns[c].header.as_deref().unwrap_or(""));
        self.rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|f| display_width(&sanitize::line(&f.text)))
            .fold(header, usize::max)
    }
}

/// Which columns a rendered table shows, and their widths: decided by the first block of a list
/// and kept for the next ones.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    columns: Vec<usize>,
    widths: Vec<usize>,
}

/// Appends one line: cells padded to their widths, shortened with `…` where longer, no trailing
/// spaces.
fn line<'a>(
    out: &mut String,
    cells: impl Iterator<Item = (Cow<'a, str>, Option<Cell>, bool)>,
    widths: &[usize],
    color: bool,
) {
    let start = out.len();
    for (k, (text, style, bold)) in cells.enumerate() {
        let w = widths.get(k).copied().unwrap_or(0);
        if k > 0 {
            out.push_str(&" ".repeat(GAP));
        }
        let shown = shorten(&text, w);
        let pad = w.saturating_sub(display_width(&shown));
        let style = match (color, bold, style.unwrap_or_default()) {
            (false, _, _) => None,
            (true, true, _) => Some(anstyle::Style::new().bold()),
            (true, false, Cell::Plain) => None,
            (true, false, Cell::Good) => Some(fg(anstyle::AnsiColor::Green)),
            (true, false, Cell::Warn) => Some(fg(anstyle::AnsiColor::Yellow)),
            (true, false, Cell::Bad) => Some(fg(anstyle::AnsiColor::Red)),
            (true, false, Cell::Dim) => Some(fg(anstyle::AnsiColor::BrightBlack)),
        };
        match style {
            Some(s) => out.push_str(&format!("{s}{shown}{s:#}")),
            None => out.push_str(&shown),
        }
        out.push_str(&" ".repeat(pad));
    }
    let trimmed = out[start..].trim_end().len();
    out.truncate(start + trimmed);
    out.push('\n');
}

fn fg(c: anstyle::AnsiColor) -> anstyle::Style {
    anstyle::Style::new().fg_color(Some(c.into()))
}

/// Widens the columns `tier` (indexes into `widths`) towards their natural widths with at most
/// `spare` columns of room, raising the narrowest first (a water level), so the room goes where
/// it shows the most whole cells; returns the room left.
fn share_out(
    widths: &mut [usize],
    tier: &[usize],
    natural: impl Fn(usize) -> usize,
    mut spare: usize,
) -> usize {
    while spare > 0 {
        let short: Vec<usize> = tier
            .iter()
            .copied()
            .filter(|&k| widths[k] < natural(k))
            .collect();
        let Some(level) = short.iter().map(|&k| widths[k]).min() else {
            break;
        };
        // Raise every column at the lowest level by one (left first when room runs out).
        for k in short {
            if spare == 0 {
                break;
            }
            if widths[k] != level {
                continue;
            }
            widths[k] += 1;
            spare -= 1;
        }
    }
    spare
}

/// How many terminal columns `s` takes.
pub(crate) fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` in at most `width` terminal columns, ending in `…` when shortened.
pub(crate) fn shorten(s: &str, width: usize) -> Cow<'_, str> {
    if display_width(s) <= width {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Appends one CSV (`,`) or TSV (`\t`) record to `out`: CSV quoted where needed, TSV never quoted
/// (tabs and newlines inside a cell become spaces). Control characters are escaped.
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
        // CSV keeps a line break inside a quoted field; TSV cannot.
        let clean = if sep == b'\t' {
            sanitize::line(cell)
        } else {
            sanitize::clean(cell, sanitize::Context::Page)
        };
        let clean = if sep != b'\t' && clean.contains('\t') {
            Cow::Owned(clean.replace('\t', " "))
        } else {
            clean
        };
        let _ = w.write_field(clean.as_bytes());
    }
    let _ = w.write_record(None::<&[u8]>);
    let _ = w.flush();
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut dyn FnMut(String, String)) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Object(_) => out(prefix.to_owned(), "{}".into()),
        Value::Array(_) => out(prefix.to_owned(), "[]".into()),
        other => out(prefix.to_owned(), scalar_text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_where_needed_and_tsv_never_does_nor_prints_a_header() {
        let mut t = Table::new(["id", "reason"]);
        t.row(["1", "say \"no\", twice"]);
        t.row(["2", "line\nbreak\tand tab"]);
        assert_eq!(
            t.to_delimited(b','),
            "id,reason\n1,\"say \"\"no\"\", twice\"\n2,\"line\nbreak and tab\"\n"
        );
        assert_eq!(
            t.to_delimited(b'\t'),
            "1\tsay \"no\", twice\n2\tline break and tab\n"
        );
    }

    fn jobs() -> Table {
        let mut t = Table::new([
            Column::new("APPLICATION", "application"),
            Column::new("JOB", "jobId").keep(),
            Column::new("TEMPLATE", "templateId").priority(2),
            Column::new("STATUS", "status").keep(),
            Column::new("CAUSE", "cause").priority(1),
        ]);
        t.push(vec![
            Field::new("emea.corp.contoso.com"),
            Field::id(
                "AD2AADProvisioning.8f14e45fceea167a5a36dedd4bea2543.4d5e01",
                "…4d5e01",
            ),
            Field::new("AD2AADProvisioning"),
            Field::new("Quarantine"),
            Field::new("The escrow proportion threshold was exceeded by the synchronization job"),
        ]);
        t
    }

    #[test]
    fn a_narrow_table_shortens_text_and_drops_low_priority_columns_but_never_splits_an_id() {
        let wide = jobs().render(None, false);
        assert!(
            wide.contains(
                "emea.corp.contoso.com  …4d5e01  AD2AADProvisioning  Quarantine  The escrow"
            ),
            "{wide}"
        );
        let at_60 = jobs().render(Some(60), false);
        for l in at_60.lines() {
            assert!(display_width(l) <= 60, "{at_60}");
        }
        assert!(
            at_60.contains("…4d5e01") && at_60.contains("Quarantine"),
            "{at_60}"
        );
        assert!(
            !at_60.contains("TEMPLATE"),
            "the lowest priority drops first: {at_60}"
        );
        assert!(
            at_60.contains("The escrow") && at_60.contains('…'),
            "{at_60}"
        );
        let at_30 = jobs().render(Some(30), false);
        assert!(
            at_30.contains("…4d5e01") && !at_30.contains("CAUSE"),
            "{at_30}"
        );
        assert_eq!(at_30.lines().count(), 2, "one line per row: {at_30}");
    }

    #[test]
    fn the_longest_text_shortens_first_and_no_column_drops_while_shortening_is_enough() {
        // The watch view's shape: a long status beside a short change the view is open for.
        let mut t = Table::new([
            Column::new("APPLICATION", "application").min_width(16),
            Column::new("JOB", "jobId").keep(),
            Column::new("STATUS", "status").min_width(10),
            Column::new("LAST RUN", "lastRun").keep().priority(2),
            Column::new("CHANGED", "changed").min_width(24),
        ]);
        t.row([
            "emea.corp.contoso.com",
            "…4d5e03",
            "Quarantine (EncounteredEscrowProportionThreshold)",
            "Succeeded 2026-12-05T13:28:21Z",
            "status Paused→Active, escrowed 0→2",
        ]);
        let full = t.render(None, false);
        let natural = display_width(full.lines().nth(1).unwrap_or(""));
        let at = |w: u16| t.render(Some(w), false);
        // Ten columns short: only the status shortens; the change, the id and the time stay whole.
        let tight = at(natural as u16 - 10);
        assert!(
            tight.contains("status Paused→Active, escrowed 0→2")
                && tight.contains("Succeeded 2026-12-05T13:28:21Z")
                && tight.contains("emea.corp.contoso.com")
                && tight.contains("Quarantine (Encountere"),
            "{tight}"
        );
        // Narrower: the texts shorten towards one level before the time's column drops.
        let narrower = at(natural as u16 - 30);
        assert!(narrower.contains("LAST RUN"), "{narrower}");
        for l in narrower.lines() {
            assert!(display_width(l) <= natural - 30, "{narrower}");
        }
        // When even the shortest texts do not fit, the kept time drops whole rather than split.
        let narrow = at(80);
        assert!(
            !narrow.contains("LAST RUN") && !narrow.contains("2026-12"),
            "{narrow}"
        );
        assert!(narrow.contains("…4d5e03"), "{narrow}");
    }

    #[test]
    fn scripts_read_full_ids_and_their_own_columns() {
        let mut t = jobs();
        t.add_column(Column::machine("servicePrincipalId"));
        t.add_column(Column::human("SEEN"));
        t.rows[0].push(Field::new("8f14e45f-ceea-167a-5a36-dedd4bea2543"));
        t.rows[0].push(Field::new("3h ago"));
        let csv = t.to_delimited(b',');
        assert!(
            csv.starts_with("application,jobId,templateId,status,cause,servicePrincipalId\n"),
            "{csv}"
        );
        assert!(
            csv.contains(",AD2AADProvisioning.8f14e45fceea167a5a36dedd4bea2543.4d5e01,"),
            "{csv}"
        );
        assert!(!csv.contains("3h ago") && !csv.contains('…'));
        let table = t.render(None, false);
        assert!(
            table.contains("SEEN") && !table.contains("servicePrincipalId"),
            "{table}"
        );
    }

    #[test]
    fn control_characters_never_reach_the_table_or_csv() {
        let mut t = Table::new(["NAME"]);
        t.row(["Alex\x1b]0;owned\x07\u{9b}2J"]);
        for s in [
            t.render(Some(80), false),
            t.render(None, true),
            t.to_delimited(b','),
            t.to_delimited(b'\t'),
        ] {
            assert!(
                !s.contains(['\x1b', '\x07', '\u{9b}'])
                    || s.matches('\x1b').count() == s.matches("\x1b[").count()
                        && !s.contains("\x1b]"),
                "{s:?}"
            );
            assert!(s.contains("\\x1b]0;owned\\x07\\u{9b}2J"), "{s:?}");
        }
    }

    #[test]
    fn an_object_becomes_key_value_rows() {
        let doc = serde_json::json!({"job": {"id": "j", "steps": [{"name": "a"}], "tags": []}, "ok": true});
        assert_eq!(
            Table::from_object(&doc).to_delimited(b','),
            "key,value\njob.id,j\njob.steps[0].name,a\njob.tags,[]\nok,true\n"
        );
    }
}
