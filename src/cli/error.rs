//! The one error type at the command-line edge: a kind (which picks the exit code), a message that
//! names the bad value or the failed call, and hints on what to do next. Library errors convert
//! into it with the hints an admin needs (which permission, which sign-in, which request-id).

use std::fmt;
use std::process::ExitCode;

use crate::graph::auth::AuthError;
use crate::graph::{GraphError, permissions};
use crate::output::OutputError;

/// What kind of failure, and so which exit code: the one definition of provctl's exit codes.
/// `provctl help exit-codes`, `--help` and the man pages' EXIT STATUS are generated from
/// [`ErrorKind::DOCUMENTED`]; a test holds the README's table to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 1: anything not covered below (Graph refused the request, a file could not be written, the
    /// user declined a confirmation).
    General,
    /// 2: bad flags or values.
    Usage,
    /// 3: no token, or the token was refused (401).
    Auth,
    /// 4: signed in, but not allowed (403).
    Permission,
    /// 5: the job, service principal, log entry or file does not exist.
    NotFound,
    /// 6: throttled or unavailable after retries (429, 5xx, network).
    Unavailable,
    /// 7: a job is quarantined or unhealthy (checks, `--wait`).
    Unhealthy,
    /// 8: some items of a multi-item operation failed.
    Partial,
    /// 9: `--wait` ran out of time.
    Timeout,
    /// 130: stopped by SIGINT (Ctrl-C), after saving what can be resumed.
    Interrupted,
    /// 143: stopped by SIGTERM (Ctrl-Break on Windows), after saving what can be resumed.
    Terminated,
    /// stdout closed early (`| head`): exit 0 quietly.
    BrokenPipe,
}

impl ErrorKind {
    /// The kinds a user can meet, in exit-code order ([`ErrorKind::BrokenPipe`] exits 0 quietly
    /// and is no status of its own).
    pub const DOCUMENTED: [ErrorKind; 11] = [
        ErrorKind::General,
        ErrorKind::Usage,
        ErrorKind::Auth,
        ErrorKind::Permission,
        ErrorKind::NotFound,
        ErrorKind::Unavailable,
        ErrorKind::Unhealthy,
        ErrorKind::Partial,
        ErrorKind::Timeout,
        ErrorKind::Interrupted,
        ErrorKind::Terminated,
    ];

    /// What the exit code means, as the README, the help topic and the man pages say it.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorKind::BrokenPipe => "success",
            ErrorKind::General => {
                "error not listed below (Graph refused the request, a write failed, a confirmation was declined)"
            }
            ErrorKind::Usage => "usage: a bad flag or value",
            ErrorKind::Auth => "authentication: no token, or the token was refused (401)",
            ErrorKind::Permission => "permission: signed in but not allowed (403)",
            ErrorKind::NotFound => "not found: job, service principal, log entry or file",
            ErrorKind::Unavailable => "throttled or unavailable after retries (429, 5xx, network)",
            ErrorKind::Unhealthy => "unhealthy: a job is quarantined or failing (checks, `--wait`)",
            ErrorKind::Partial => "partial failure: some items of a multi-item operation failed",
            ErrorKind::Timeout => "timed out waiting (`--wait --timeout`)",
            ErrorKind::Interrupted => {
                "interrupted (Ctrl-C / SIGINT); `logs export` saved its checkpoint first: `--resume` continues"
            }
            ErrorKind::Terminated => {
                "terminated (SIGTERM; Ctrl-Break on Windows); `logs export` saved its checkpoint first"
            }
        }
    }

    /// `(code, meaning)` for every exit status, 0 first.
    pub fn table() -> Vec<(u8, &'static str)> {
        std::iter::once((0, ErrorKind::BrokenPipe.meaning()))
            .chain(
                Self::DOCUMENTED
                    .iter()
                    .map(|k| (k.exit_code(), k.meaning())),
            )
            .collect()
    }

    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::BrokenPipe => 0,
            ErrorKind::General => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Auth => 3,
            ErrorKind::Permission => 4,
            ErrorKind::NotFound => 5,
            ErrorKind::Unavailable => 6,
            ErrorKind::Unhealthy => 7,
            ErrorKind::Partial => 8,
            ErrorKind::Timeout => 9,
            ErrorKind::Interrupted => 130,
            ErrorKind::Terminated => 143,
        }
    }
}

/// A failed command.
#[derive(Debug, Clone)]
pub struct CliError {
    /// The kind (exit code).
    pub kind: ErrorKind,
    /// What went wrong, naming the value or call.
    pub message: String,
    /// What to do about it.
    pub hints: Vec<String>,
}

impl CliError {
    /// An error of a kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CliError {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(ErrorKind::Usage, message)
    }

    /// A not-found error (exit 5).
    pub fn not_found(message: impl Into<String>) -> Self {
        CliError::new(ErrorKind::NotFound, message)
    }

    /// A general error (exit 1).
    pub fn general(message: impl Into<String>) -> Self {
        CliError::new(ErrorKind::General, message)
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }

    /// Writes `provctl: error: ...` and the hints to stderr.
    pub fn report(&self, color: bool) {
        if self.kind == ErrorKind::BrokenPipe || (self.message.is_empty() && self.hints.is_empty())
        {
            return;
        }
        let red = anstyle::Style::new()
            .fg_color(Some(anstyle::AnsiColor::Red.into()))
            .bold();
        let cyan = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Cyan.into()));
        let (r, r0, c, c0) = if color {
            (
                red.render().to_string(),
                red.render_reset().to_string(),
                cyan.render().to_string(),
                cyan.render_reset().to_string(),
            )
        } else {
            Default::default()
        };
        // Messages quote Graph and files: their control characters are escaped before colouring.
        use crate::output::sanitize::page;
        let mut s = format!("{r}provctl: error:{r0} {}\n", page(&self.message));
        for h in &self.hints {
            s.push_str(&format!("  {c}hint:{c0} {}\n", page(h)));
        }
        use std::io::Write;
        let _ = std::io::stderr().write_all(s.as_bytes());
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for h in &self.hints {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

impl From<GraphError> for CliError {
    fn from(e: GraphError) -> Self {
        match &e {
            GraphError::Service(s) => {
                let kind = match s.status {
                    401 => ErrorKind::Auth,
                    403 => ErrorKind::Permission,
                    404 => ErrorKind::NotFound,
                    429 | 500..=599 => ErrorKind::Unavailable,
                    _ => ErrorKind::General,
                };
                let mut err = CliError::new(kind, e.to_string());
                match s.status {
                    401 => err = err.hint("the token was refused: sign in again (`provctl login`) or check --auth / the AZURE_* variables; `provctl whoami` shows who you are"),
                    403 => {
                        if let Some(op) = permissions::operation_of_request(&s.method, &s.url) {
                            err = err.hint(permissions::grant_sentence(op));
                            if !permissions::grant(op).app_only_supported() {
                                err = err.hint("Graph refuses app-only tokens (client secret, certificate, managed identity) for it: sign in as a user with `provctl login`, then run this again with `--auth device-code`");
                            }
                        }
                        err = err.hint("`provctl doctor auth` shows what your token carries and what each command needs; `provctl help permissions` lists them all");
                    }
                    429 => err = err.hint("Graph kept throttling this call; wait a minute, or narrow the time range (--since/--until)"),
                    500..=599 => err = err.hint("Graph is having trouble; try again later, and quote the request-id to Microsoft support if it persists"),
                    _ => {}
                }
                err
            }
            GraphError::Transport { .. } => {
                CliError::new(ErrorKind::Unavailable, e.to_string()).hint("check the network path to Graph (proxy: HTTPS_PROXY / --proxy; TLS inspection: --ca-file)")
            }
            GraphError::Certificate { host, .. } => {
                CliError::new(ErrorKind::Unavailable, e.to_string())
                    .hint(format!("if a proxy inspects TLS on the way to {host}, pass its root certificate with --ca-file <PEM file>"))
                    .hint("`provctl doctor network` shows which certificate the network path presents")
            }
            GraphError::Redirect { .. } => CliError::general(e.to_string()).hint(
                "Graph does not redirect its API calls: check --graph-url and any proxy or gateway in between",
            ),
            GraphError::Auth(a) => CliError::from(a.clone()),
            GraphError::Config(_) | GraphError::InvalidInput(_) => CliError::usage(e.to_string()),
            GraphError::Decode { .. } => CliError::general(e.to_string()).hint("Graph answered with a shape provctl does not understand; please report it with the command you ran"),
        }
    }
}

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        let (message, hints) = crate::diagnose::explain_auth_error(&e);
        // The identity provider could not be reached: a network failure (6), not a refusal (3).
        let kind = match e {
            AuthError::Unavailable { .. } => ErrorKind::Unavailable,
            _ => ErrorKind::Auth,
        };
        CliError {
            kind,
            message,
            hints,
        }
    }
}

impl From<OutputError> for CliError {
    fn from(e: OutputError) -> Self {
        match e {
            OutputError::BrokenPipe => CliError::new(ErrorKind::BrokenPipe, ""),
            OutputError::Query(_) => CliError::usage(e.to_string()),
            OutputError::Io(_) => CliError::general(e.to_string()),
        }
    }
}

impl From<crate::graph::odata::FilterError> for CliError {
    fn from(e: crate::graph::odata::FilterError) -> Self {
        CliError::usage(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ServiceError;

    #[test]
    fn graph_statuses_map_to_documented_exit_codes() {
        let svc = |status| {
            GraphError::Service(Box::new(ServiceError::from_body(status, b"{}", "GET", "u")))
        };
        assert_eq!(CliError::from(svc(401)).kind.exit_code(), 3);
        assert_eq!(CliError::from(svc(403)).kind.exit_code(), 4);
        assert_eq!(CliError::from(svc(404)).kind.exit_code(), 5);
        assert_eq!(CliError::from(svc(429)).kind.exit_code(), 6);
        assert_eq!(CliError::from(svc(503)).kind.exit_code(), 6);
        assert_eq!(CliError::from(svc(400)).kind.exit_code(), 1);
    }

    #[test]
    fn a_403_names_the_permission_of_the_refused_call_from_the_table() {
        let e = GraphError::Service(Box::new(ServiceError::from_body(
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges."}}"#,
            "POST",
            "https://graph.microsoft.com/v1.0/servicePrincipals/s/synchronization/jobs/j/start",
        )));
        let err = CliError::from(e);
        assert_eq!(err.kind, ErrorKind::Permission);
        assert!(
            err.hints[0].starts_with("To start a job")
                && err.hints[0].contains("Synchronization.ReadWrite.All"),
            "{:?}",
            err.hints
        );
    }

    #[test]
    fn a_403_on_a_delegated_only_call_says_to_sign_in_as_a_user() {
        let e = GraphError::Service(Box::new(ServiceError::from_body(
            403,
            b"{}",
            "GET",
            "https://graph.microsoft.com/v1.0/directory/onPremisesSynchronization",
        )));
        let hints = CliError::from(e).hints.join("\n");
        assert!(
            hints.contains("OnPremDirectorySynchronization.Read.All")
                && hints.contains("only to a signed-in user")
                && hints.contains("`provctl login`"),
            "{hints}"
        );
    }

    #[test]
    fn the_exit_code_table_lists_each_code_once_in_order() {
        let codes: Vec<u8> = ErrorKind::table().iter().map(|(c, _)| *c).collect();
        let want: Vec<u8> = (0..=9).chain([130, 143]).collect();
        assert_eq!(codes, want);
    }
}
