//! `provctl logs export`: maps the flags to an [`crate::export`] plan, runs it with SIGINT/SIGTERM
//! as the stop signal (exit 130/143 after the checkpoint is written), and draws its progress. The
//! engine (crawl, formats, checkpoint, resume) is the library's.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use clap::Args;

use super::FilterArgs;
use crate::cli::{CliError, Context, ErrorKind};
use crate::export::format::ExportFormat;
use crate::export::{
    self, Destination, ExportError, ExportEvent, ExportPlan, Failure, FileDestination, Setting,
    TimeArg,
};
use crate::graph::logs::parse_time;

/// `provctl logs export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: FilterArgs,

    /// The file to write (through FILE.partial, renamed into place when complete), or `-` for
    /// stdout (no checkpoint: not resumable).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,

    /// File format [default: from the extension of --out: .ndjson/.jsonl, .json, .csv; ndjson
    /// for stdout].
    #[arg(long, value_enum, ignore_case = true)]
    format: Option<ExportFormat>,

    /// Continue an interrupted export of FILE from its checkpoint (the same filters, format and
    /// page size; --since/--until may be left out).
    #[arg(long)]
    resume: bool,

    /// Replace FILE if it exists, and discard an interrupted export of it.
    #[arg(long)]
    force: bool,

    /// Do not pace requests to Graph's budget (only for an unthrottled emulator or a benchmark).
    #[arg(long, hide_short_help = true)]
    no_pacing: bool,
}

pub(super) async fn run(ctx: &Context, args: ExportArgs) -> Result<(), CliError> {
    let to_stdout = args.out.as_os_str() == "-";
    if args.filters.since.is_none() && !args.resume {
        return Err(CliError::usage(
            "--since is required: say where the export starts (e.g. --since 30d, or --since 2026-11-01T00:00:00Z)",
        ));
    }
    if to_stdout && args.resume {
        return Err(CliError::usage(
            "--resume needs a file: an export to stdout (--out -) keeps no checkpoint",
        ));
    }
    let format = match (to_stdout, args.format) {
        (true, f) => f.unwrap_or(ExportFormat::Ndjson),
        (false, f) => {
            ExportFormat::for_file(f, &args.out).map_err(|e| CliError::usage(e.to_string()))?
        }
    };
    let plan = plan(ctx, &args, format).await?;
    let graph = ctx.graph().await?;
    let client = graph.with_pacing(!args.no_pacing);
    let destination = if to_stdout {
        eprintln!(
            "provctl: writing to stdout: no checkpoint is kept, so an interrupted export starts over"
        );
        Destination::Stream(Box::new(std::io::stdout()))
    } else {
        Destination::File(FileDestination::new(&args.out, args.resume, args.force))
    };
    let signal = Arc::new(AtomicU8::new(0));
    let stop = stop_signal(signal.clone())?;
    let mut progress = Progress::new(ctx);
    let started = Instant::now();
    let r = export::run(&client, &plan, destination, stop, &mut |e| {
        progress.event(e)
    })
    .await;
    progress.finish();
    let summary = r.map_err(|e| cli_error(e, &args, signal.load(Ordering::SeqCst)))?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "provctl: exported {} records to {} ({} in {secs:.1} s, {:.0} records/s)",
        summary.count,
        if to_stdout {
            "stdout".to_owned()
        } else {
            args.out.display().to_string()
        },
        summary.added,
        if secs > 0.0 {
            summary.added as f64 / secs
        } else {
            0.0
        }
    );
    Ok(())
}

/// The plan from the flags (`--since`/`--until` keep their words, for a resume to recognise).
async fn plan(
    ctx: &Context,
    args: &ExportArgs,
    format: ExportFormat,
) -> Result<ExportPlan, CliError> {
    let since = args.filters.since.take_time("--since")?;
    let until = args.filters.until.take_time("--until")?;
    let filters = FilterArgs {
        since: None,
        until: None,
        ..args.filters.clone()
    };
    Ok(ExportPlan {
        // --job/--sp names go through the one resolver (a bare job id needs no Graph call).
        query: filters.to_query(ctx, false).await?,
        since,
        until,
        format,
    })
}

trait TakeTime {
    fn take_time(&self, flag: &str) -> Result<Option<TimeArg>, CliError>;
}

impl TakeTime for Option<String> {
    fn take_time(&self, flag: &str) -> Result<Option<TimeArg>, CliError> {
        let now = crate::output::time::now();
        self.as_deref()
            .map(|text| {
                Ok(TimeArg {
                    at: parse_time(text, now, flag)?,
                    text: text.trim().to_owned(),
                })
            })
            .transpose()
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (Ctrl-Break on Windows), recording which in `which`
/// (2 or 15). The handlers are installed now, so a signal during the first request counts.
fn stop_signal(which: Arc<AtomicU8>) -> Result<impl std::future::Future<Output = ()>, CliError> {
    let failed = |e: std::io::Error| CliError::general(format!("cannot watch for signals: {e}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).map_err(failed)?;
        let mut term = signal(SignalKind::terminate()).map_err(failed)?;
        Ok(async move {
            let n = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            which.store(n, Ordering::SeqCst);
        })
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_break, ctrl_c};
        let mut int = ctrl_c().map_err(failed)?;
        let mut brk = ctrl_break().map_err(failed)?;
        Ok(async move {
            let n = tokio::select! {
                _ = int.recv() => 2,
                _ = brk.recv() => 15,
            };
            which.store(n, Ordering::SeqCst);
        })
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = failed;
        Ok(async move {
            let _ = tokio::signal::ctrl_c().await;
            which.store(2, Ordering::SeqCst);
        })
    }
}

/// The flag a setting comes from.
fn flag(s: Setting) -> &'static str {
    match s {
        Setting::Filters => "the filters",
        Setting::Since => "--since",
        Setting::Until => "--until",
        Setting::PageSize => "--page-size",
        Setting::Format => "--format",
        Setting::Api => "--beta",
    }
}

fn cli_error(e: ExportError, args: &ExportArgs, signal: u8) -> CliError {
    let out = args.out.display();
    match e {
        ExportError::NoStart => {
            CliError::usage("--since is required: say where the export starts (e.g. --since 30d)")
        }
        ExportError::EmptyRange { since, until } => CliError::usage(format!(
            "--since {} is not before --until {}: the time range is empty",
            crate::output::time::short(since),
            crate::output::time::short(until)
        )),
        ExportError::Filter(f) => f.into(),
        ExportError::Exists(_) => CliError::usage(format!(
            "{out} already exists; choose another --out, or add --force to replace it"
        )),
        ExportError::Unfinished { .. } => CliError::usage(e.to_string())
            .hint("add --resume to continue it, or --force to start over"),
        ExportError::NothingToResume(cp) => CliError::usage(format!(
            "--resume: there is no checkpoint {} to resume; start the export with --since",
            cp.display()
        )),
        ExportError::Changed {
            checkpoint,
            changes,
        } => {
            let list: Vec<String> = changes
                .iter()
                .map(|c| format!("{} (then {}, now {})", flag(c.setting), c.saved, c.asked))
                .collect();
            CliError::usage(format!(
                "--resume: {} was started with other settings: {}",
                checkpoint.display(),
                list.join("; ")
            ))
            .hint("resume with the settings it was started with, or start over with --force")
        }
        ExportError::BadCheckpoint { .. } => CliError::general(format!(
            "--resume refused: {e}; it cannot be trusted to continue the export"
        ))
        .hint(format!(
            "start over with --force (the interrupted export of {out} is discarded)"
        )),
        ExportError::Failed { cause, safe } => {
            let mut err = match cause {
                Failure::Stopped => {
                    let (kind, name) = if signal == 15 {
                        (ErrorKind::Terminated, "terminated")
                    } else {
                        (ErrorKind::Interrupted, "interrupted")
                    };
                    CliError::new(kind, format!("{name}: the export of {out} stopped"))
                }
                Failure::Graph(g) => (*g).into(),
                // `| head` closed stdout: the reader has what it wanted.
                Failure::Io { source, .. }
                    if safe.is_none() && source.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    CliError::new(ErrorKind::BrokenPipe, "")
                }
                other => CliError::general(other.to_string()),
            };
            if let Some(s) = safe {
                err = err.hint(format!(
                    "{} records are safe in {}; run the same command with --resume to continue",
                    s.count,
                    s.partial.display()
                ));
            }
            err
        }
    }
}

/// The progress bar on stderr (a terminal only): records, rate, and the ETA from how far the
/// last record's time is through the range. Also says what the engine reports on the way.
struct Progress {
    on: bool,
    bar: Option<indicatif::ProgressBar>,
    since: DateTime<Utc>,
    started: Instant,
    start_count: u64,
}

impl Progress {
    fn new(ctx: &Context) -> Progress {
        use std::io::IsTerminal;
        Progress {
            on: std::io::stderr().is_terminal()
                && ctx.out.format != crate::output::OutputFormat::None,
            bar: None,
            since: DateTime::<Utc>::MIN_UTC,
            started: Instant::now(),
            start_count: 0,
        }
    }

    fn event(&mut self, e: ExportEvent<'_>) {
        match e {
            ExportEvent::Started {
                since,
                until,
                resumed_after,
            } => {
                if let Some(n) = resumed_after {
                    eprintln!("provctl: resuming the export after {n} records");
                    self.start_count = n;
                }
                self.since = since;
                let span = (until - since).num_milliseconds().max(1) as u64;
                self.bar = self.on.then(|| {
                    let b = indicatif::ProgressBar::new(span);
                    b.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    b
                });
            }
            ExportEvent::LinkRefused(s) => {
                let line = format!(
                    "provctl: Graph refused the saved page link ({}); continuing from the last record's time instead",
                    crate::output::sanitize::line(&s.code)
                );
                match &self.bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
            }
            ExportEvent::Progress { count, last_time } => {
                let Some(b) = &self.bar else { return };
                if let Some(t) = last_time.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
                    let done = (t.with_timezone(&Utc) - self.since)
                        .num_milliseconds()
                        .max(0) as u64;
                    b.set_position(done);
                }
                let secs = self.started.elapsed().as_secs_f64().max(0.001);
                let rate = count.saturating_sub(self.start_count) as f64 / secs;
                b.set_message(format!("{count} records, {rate:.0}/s"));
            }
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
