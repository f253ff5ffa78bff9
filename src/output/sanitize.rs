//! Text from Graph or from a file (display names, messages, error bodies) never reaches a terminal
//! with control characters in it: a crafted display name must not retitle the terminal (OSC),
//! clear the screen or move the cursor (CSI, also as the one-character C1 CSI U+009B), or hide
//! what follows. Every rendering seam of `crate::output` (table cells, CSV/TSV fields, text pages,
//! error messages, JSON strings) passes text through here.
//!
//! A control character is written as a visible escape (`\x1b`, `\u{9b}`), so the evidence still
//! shows what Graph sent; a line break or tab inside a table cell or a one-line message becomes a
//! space, since it would break the line's columns.

use std::borrow::Cow;

/// Whether `c` is a C0 control, DEL, or a C1 control (U+0080–U+009F).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// Where the text goes, which decides what happens to line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// One line (a table cell, a CSV field, an error message): `\n`, `\r` and `\t` become spaces.
    Line,
    /// A page of text: `\n` and `\t` are kept; every other control is escaped.
    Page,
    /// A page of text that provctl itself coloured: as `Page`, but SGR sequences (`ESC [ … m`,
    /// colour and bold only; they cannot move the cursor, retitle or clear) are kept.
    ColouredPage,
}

/// The text with every control character escaped (see the module docs); borrowed when clean.
pub fn clean(text: &str, ctx: Context) -> Cow<'_, str> {
    let keep = |c: char| match ctx {
        Context::Line => false,
        Context::Page | Context::ColouredPage => c == '\n' || c == '\t',
    };
    if !text.chars().any(|c| is_control(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_control(c) || keep(c) {
            out.push(c);
            continue;
        }
        if ctx == Context::ColouredPage
            && c == '\x1b'
            && let Some(len) = sgr_len(&text[i..])
        {
            out.push_str(&text[i..i + len]);
            // Skip the rest of the sequence (ASCII only, so one char per byte).
            for _ in 1..len {
                chars.next();
            }
            continue;
        }
        match c {
            '\n' | '\r' | '\t' if ctx == Context::Line => out.push(' '),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// The length of an SGR sequence (`ESC [` digits and `;` `m`) at the start of `s`.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// One line of text for a terminal or a CSV/TSV field ([`Context::Line`]).
pub fn line(text: &str) -> Cow<'_, str> {
    clean(text, Context::Line)
}

/// A page of text ([`Context::Page`]).
pub fn page(text: &str) -> Cow<'_, str> {
    clean(text, Context::Page)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETITLE: &str = "Alex\x1b]0;owned\x07";
    const CLEAR: &str = "Alex\x1b[2J\x1b[H";
    const C1_CSI: &str = "Alex\u{9b}2J";

    #[test]
    fn a_crafted_display_name_can_neither_retitle_nor_clear_the_terminal() {
        for ctx in [Context::Line, Context::Page, Context::ColouredPage] {
            for bad in [RETITLE, CLEAR, C1_CSI] {
                let s = clean(bad, ctx);
                assert!(
                    !s.chars()
                        .any(|c| c == '\x1b' || c == '\x07' || c == '\u{9b}'),
                    "{ctx:?}: {s:?}"
                );
            }
        }
        assert_eq!(line(RETITLE), "Alex\\x1b]0;owned\\x07");
        assert_eq!(line(C1_CSI), "Alex\\u{9b}2J");
        assert_eq!(line("a\x7fb"), "a\\x7fb");
    }

    #[test]
    fn clean_text_is_borrowed_and_line_breaks_depend_on_where_the_text_goes() {
        assert!(matches!(line("Alex Wilber"), Cow::Borrowed(_)));
        assert_eq!(line("two\nlines\tand\r"), "two lines and ");
        assert_eq!(page("two\nlines\tand\r"), "two\nlines\tand\\x0d");
    }

    #[test]
    fn a_coloured_page_keeps_colour_but_nothing_else() {
        let s = clean("\x1b[1;31mred\x1b[0m and \x1b[2J", Context::ColouredPage);
        assert_eq!(s, "\x1b[1;31mred\x1b[0m and \\x1b[2J");
    }
}
