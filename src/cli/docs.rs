//! Shell completions and the man page, generated from the same clap definitions as `--help`, so the
//! three cannot drift apart.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CliError};

/// Arguments of `provctl completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, ignore_case = true)]
    pub shell: Shell,
}

/// `provctl completions <shell>`.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "provctl", &mut buf);
    write_stdout(&buf)
}

/// `provctl man`.
pub fn man() -> Result<(), CliError> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| CliError::general(format!("cannot render the man page: {e}")))?;
    write_stdout(&buf)
}

fn write_stdout(buf: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(buf)
        .and_then(|_| out.flush())
        .map_err(|e| crate::output::OutputError::from(e).into())
}
