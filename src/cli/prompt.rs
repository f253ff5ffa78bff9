//! Asking before a change that cannot be undone: on a terminal, a y/N question on stderr; in a
//! script (stdin not a terminal), a refusal unless `--yes` was given — never a silent default.

use std::io::{BufRead, IsTerminal, Write};

use super::CliError;

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
    let _ = write!(err, "{what}. Proceed? [y/N] ");
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
