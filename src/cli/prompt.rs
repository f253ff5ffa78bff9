//! Asking before a change that cannot be undone: on a terminal, a y/N question on stderr; in a
//! script (stdin not a terminal), a refusal unless `--yes` was given — never a silent default.
//! And the other answer to a write request: when things are already as asked, "nothing to
//! change", exit 0, nothing sent.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::Value;

use super::{CliError, Context};

/// Says that `said` (e.g. "Box/BoxOutDelta.… is already Paused") is already as asked and that
/// nothing was sent: every idempotent request of every command exits 0 with the same words. `-o
/// json` gets `doc` (an object) with `"action": "none", "changed": false` added.
pub(crate) fn nothing_to_change(ctx: &Context, said: &str, doc: Value) -> Result<(), CliError> {
    let mut doc = match doc {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    doc.insert("action".into(), "none".into());
    doc.insert("changed".into(), false.into());
    let said = said.trim_end().trim_end_matches('.');
    ctx.out.emit_text(&Value::Object(doc), |_| {
        format!("{said}: nothing to change.\n")
    })?;
    Ok(())
}

/// Whether to go ahead with `what`. `yes` = the user passed `--yes`.
pub fn confirm(what: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        let what = what.trim_end().trim_end_matches('.');
        return Err(CliError::usage(format!(
            "{what}: refusing to proceed without --yes, because stdin is not a terminal to ask on"
        ))
        .hint("re-run with --yes to confirm, or --dry-run to see the exact request first"));
    }
    let mut err = std::io::stderr().lock();
    // `what` may end in a sentence's own full stop: never "queue.. Proceed?".
    let what = what.trim_end().trim_end_matches('.');
    // It names Graph's objects: no control character reaches the terminal.
    let _ = write!(
        err,
        "{}. Proceed? [y/N] ",
        crate::output::sanitize::line(what)
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::general(format!("cannot read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError::general("cancelled; nothing was sent")),
    }
}
