//! Shell completions and man pages, generated from the same clap definitions as `--help`, so the
//! three cannot drift apart. Completions take every closed value set (`--status`, `-o`, `--auth`,
//! ...) from clap's `ValueEnum`s; man pages add the EXAMPLES, EXIT STATUS and ENVIRONMENT that
//! `--help` shows as text, from [`super::help`] and [`super::ErrorKind`].

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};

use super::{Cli, CliError, ErrorKind, help};

/// Arguments of `provctl completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, ignore_case = true)]
    pub shell: Shell,
}

/// Arguments of `provctl man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command into this directory (provctl.1, provctl-jobs-restart.1, ...).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `provctl completions <shell>`.
pub fn completions(args: &CompletionsArgs) -> Result<(), CliError> {
    write_stdout(&completion_script(args.shell))
}

/// The completion script of `shell`, from [`Cli::command`] (the global options visible on every
/// subcommand, so they complete everywhere).
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "provctl", &mut buf);
    buf
}

/// Variables provctl reads that no option names (those behind an option are taken from clap).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "PROVCTL_ACCESS_TOKEN",
        "a ready access token (sign-in method token)",
    ),
    (
        "AZURE_TENANT_ID",
        "the tenant of an application sign-in (env, workload-identity)",
    ),
    (
        "AZURE_CLIENT_ID",
        "the application (client) id of an application sign-in",
    ),
    (
        "AZURE_CLIENT_SECRET",
        "the client secret of sign-in method env",
    ),
    (
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "a certificate (PEM or PFX) instead of the secret",
    ),
    (
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "the certificate's password",
    ),
    (
        "AZURE_FEDERATED_TOKEN_FILE",
        "the federated token of sign-in method workload-identity",
    ),
    (
        "IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT",
        "the managed identity endpoint (App Service, Functions)",
    ),
    ("PROVCTL_CONFIG_DIR", "where the profiles are kept"),
    ("PROVCTL_CACHE_DIR", "where sign-ins are cached"),
    ("HTTPS_PROXY", "the proxy for HTTPS (also --proxy)"),
    ("NO_COLOR", "set and not empty: no colour"),
    ("RUST_LOG", "log filter for -v output (overrides -v)"),
];

/// Every environment variable: those behind options (from their clap definitions), then the rest.
pub fn environment() -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut cmd = Cli::command();
    cmd.build();
    collect_env(&cmd, &mut vars);
    for (name, what) in ENVIRONMENT {
        vars.push(((*name).to_owned(), (*what).to_owned()));
    }
    vars
}

fn collect_env(cmd: &clap::Command, vars: &mut Vec<(String, String)>) {
    for a in cmd.get_arguments() {
        if let Some(env) = a.get_env() {
            let name = env.to_string_lossy().into_owned();
            if !vars.iter().any(|(n, _)| *n == name) {
                let flag = a
                    .get_long()
                    .map(|l| format!("--{l}"))
                    .unwrap_or_else(|| a.get_id().to_string());
                vars.push((name, format!("the default of {flag}")));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        collect_env(sub, vars);
    }
}

/// `provctl man [--out DIR]`.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let mut root = help::command();
    root.build();
    match &args.out {
        None => write_stdout(&page(&root, "")?),
        Some(dir) => {
            let n = write_pages(&root, "", dir)?;
            eprintln!("provctl: wrote {n} man pages to {}", dir.display());
            Ok(())
        }
    }
}

/// Writes the page of `cmd` and of each subcommand below it; returns how many.
fn write_pages(cmd: &clap::Command, path: &str, dir: &Path) -> Result<usize, CliError> {
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned();
    write_file(&dir.join(format!("{name}.1")), &page(cmd, path)?)?;
    let mut n = 1;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_path = if path.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{path} {}", sub.get_name())
        };
        n += write_pages(sub, &sub_path, dir)?;
    }
    Ok(n)
}

/// A file is written whole or not at all: a temporary file beside it, then a rename.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail =
        |e: std::io::Error| CliError::general(format!("cannot write {}: {e}", path.display()));
    let tmp = path.with_extension("1.tmp");
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// One man page: clap_mangen's sections, then EXAMPLES, EXIT STATUS, ENVIRONMENT and SEE ALSO.
pub fn page(cmd: &clap::Command, path: &str) -> Result<Vec<u8>, CliError> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    let fail = |e: std::io::Error| CliError::general(format!("cannot render the man page: {e}"));
    man.render_title(&mut buf).map_err(fail)?;
    man.render_name_section(&mut buf).map_err(fail)?;
    man.render_synopsis_section(&mut buf).map_err(fail)?;
    man.render_description_section(&mut buf).map_err(fail)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).map_err(fail)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf).map_err(fail)?;
    }
    let mut roff = Roff::default();
    if let Some(own) = own_after_help(path) {
        // Laid out as columns in the definition: kept as written.
        roff.control("SH", ["NOTES"]);
        roff.control("nf", []);
        for line in own.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
    }
    if let Some(examples) = help::examples(path) {
        roff.control("SH", ["EXAMPLES"]);
        for (what, line) in examples {
            roff.control("TP", []);
            roff.text([roman(format!("{what}:"))]);
            roff.text([bold(*line)]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in ErrorKind::table() {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in environment() {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    let topics: Vec<&str> = help::TOPICS.iter().map(|(t, _)| *t).collect();
    roff.text([
        italic("provctl"),
        roman(format!(
            "(1) for the global options; the help topics of provctl help TOPIC: {}",
            topics.join(", ")
        )),
    ]);
    roff.to_writer(&mut buf).map_err(fail)?;
    man.render_version_section(&mut buf).map_err(fail)?;
    Ok(buf)
}

/// The text a command's own definition puts after its help (`jobs restart`'s reset scopes), without
/// the examples and footer [`help::command`] adds.
fn own_after_help(path: &str) -> Option<String> {
    let root = Cli::command();
    let mut at = &root;
    for w in path.split_whitespace() {
        at = at.find_subcommand(w)?;
    }
    (!path.is_empty())
        .then(|| at.get_after_help().map(|h| h.to_string()))
        .flatten()
}

/// Writes `buf` to stdout; a closed pipe ends quietly.
pub(super) fn write_stdout(buf: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(buf)
        .and_then(|_| out.flush())
        .map_err(|e| crate::output::OutputError::from(e).into())
}
