//! `provctl jobs watch`: the tenant's jobs, looked at again every `--interval`. On a terminal, a
//! live view redrawn in place (crossterm): the jobs table with the running cycle's progress, the
//! rows that changed in the last refresh highlighted with what changed, until q, Esc or Ctrl-C.
//! Otherwise (a pipe, a file, `--follow`) one line per change, so a script can tail it: text
//! `TIME APPLICATION/JOB FIELD: FROM -> TO`, or one JSON object per line with `-o json`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};

use crate::cli::{CliError, Context};
use crate::graph::GraphClient;
use crate::graph::sync::DiscoverOptions;
use crate::monitor::watch::{Change, WatchKey, WatchedJob, changes};
use crate::output::sanitize::line as strip_controls;
use crate::output::time::now;
use crate::output::{Cell, Column, OutputError, OutputFormat, Table};

/// The shortest `--interval`: every refresh lists the tenant's service principals and jobs.
const MIN_INTERVAL: Duration = Duration::from_secs(2);

/// Arguments of `provctl jobs watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Only the jobs of this application (object id, appId or display name).
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// Only cloud sync configurations.
    #[arg(long)]
    pub cloud_sync: bool,

    /// Time between refreshes (at least 2s; each lists the service principals and their jobs).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval)]
    pub interval: Duration,

    /// Print one line per change instead of the live view (the default when stdout is not a
    /// terminal); the first refresh prints every job as it appears.
    #[arg(long)]
    pub follow: bool,
}

fn parse_interval(value: &str) -> Result<Duration, String> {
    crate::cli::parse_interval(
        value,
        MIN_INTERVAL,
        "so the watch stays within Graph's budgets",
    )
}

/// Runs `provctl jobs watch`.
pub async fn run(ctx: &Context, args: WatchArgs) -> Result<(), CliError> {
    let graph = ctx.graph().await?.clone();
    let opts = DiscoverOptions {
        service_principal: args.sp.clone(),
        cloud_sync_only: args.cloud_sync,
        ..DiscoverOptions::default()
    };
    let live = !args.follow
        && std::io::stdout().is_terminal()
        && ctx.out.format == OutputFormat::Table
        && !ctx.out.has_query();
    if live {
        live_view(ctx, &graph, &opts, args.interval).await
    } else {
        follow(ctx, &graph, &opts, args.interval).await
    }
}

/// One look at the jobs, through the one discovery every job-listing command uses: an `--sp` that
/// names no application is not found (5), a token that may read no job list a permission error
/// (4), never an empty watch.
async fn look(graph: &GraphClient, opts: &DiscoverOptions) -> Result<Vec<WatchedJob>, CliError> {
    let inv = crate::cli::resolve::discover(graph, opts.clone(), false).await?;
    Ok(inv.jobs.iter().map(|e| WatchedJob::of("", e)).collect())
}

/// What a change line says.
fn change_line(c: &Change) -> String {
    format!(
        "{} {}/{} {}: {} -> {}\n",
        crate::output::time::machine(c.at),
        strip_controls(&c.application),
        c.job_id,
        c.field,
        strip_controls(c.from.as_deref().unwrap_or("-")),
        strip_controls(c.to.as_deref().unwrap_or("-")),
    )
}

/// Line mode: every change as a line, flushed at once, until Ctrl-C. The first refresh must work
/// (a sign-in or permission problem ends the command with its exit code); later failures are
/// warnings and the watch goes on.
async fn follow(
    ctx: &Context,
    graph: &GraphClient,
    opts: &DiscoverOptions,
    interval: Duration,
) -> Result<(), CliError> {
    let json = matches!(
        ctx.out.format,
        OutputFormat::Json | OutputFormat::Jsonc | OutputFormat::Ndjson
    );
    let mut before: Option<Vec<WatchedJob>> = None;
    loop {
        let looked = tokio::select! {
            r = look(graph, opts) => r,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match looked {
            Ok(jobs) => {
                let mut out = std::io::stdout().lock();
                for c in changes(before.as_deref().unwrap_or(&[]), &jobs, now()) {
                    let line = if json {
                        serde_json::to_string(&c).unwrap_or_default() + "\n"
                    } else {
                        change_line(&c)
                    };
                    out.write_all(line.as_bytes()).map_err(OutputError::from)?;
                }
                out.flush().map_err(OutputError::from)?;
                before = Some(jobs);
            }
            Err(e) if before.is_none() => return Err(e),
            Err(e) => eprintln!(
                "provctl: warning: refresh failed, trying again in {}: {}",
                humantime::format_duration(interval),
                strip_controls(&e.to_string())
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// Puts the terminal back however the live view ends.
struct Screen;

impl Screen {
    fn enter() -> Result<Screen, CliError> {
        terminal::enable_raw_mode()
            .map_err(|e| CliError::general(format!("cannot take over the terminal: {e}")))?;
        let screen = Screen;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )
        .map_err(OutputError::from)?;
        Ok(screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(
            std::io::stdout(),
            cursor::Show,
            terminal::LeaveAlternateScreen
        );
        let _ = terminal::disable_raw_mode();
    }
}

/// Reads keys on a thread of its own (crossterm's reads block) and reports q, Esc or Ctrl-C.
fn quit_keys(stop: Arc<AtomicBool>) -> tokio::sync::oneshot::Receiver<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let Ok(Event::Key(k)) = event::read() else {
                continue;
            };
            let quit = k.kind == KeyEventKind::Press
                && (matches!(k.code, KeyCode::Char('q' | 'Q') | KeyCode::Esc)
                    || (k.code == KeyCode::Char('c')
                        && k.modifiers.contains(KeyModifiers::CONTROL)));
            if quit {
                let _ = tx.send(());
                break;
            }
        }
    });
    rx
}

/// A last run (`Succeeded 2026-12-05T13:28:21Z`) as `jobs list` shows it (`Succeeded 9m ago`):
/// a relative time is shorter, and it never splits.
fn last_run_text(last_run: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let when = last_run.rsplit_once(' ').and_then(|(state, t)| {
        let t = chrono::DateTime::parse_from_rfc3339(t).ok()?;
        Some(format!(
            "{state} {}",
            crate::output::time::relative(t.to_utc(), now)
        ))
    });
    strip_controls(&when.unwrap_or_else(|| last_run.to_owned())).into_owned()
}

/// The CHANGED cell of each job that changed, short enough to read whole beside the row (which
/// already shows the new values): `status Paused→Active, new run: Succeeded`. Progress has its own
/// highlighted column and moves on every refresh of a run, and health follows from a status
/// change, so neither is repeated; a new run reads by its state, not two timestamps.
fn changed_cells(all: &[Change]) -> BTreeMap<WatchKey, String> {
    let mut changed: BTreeMap<WatchKey, String> = BTreeMap::new();
    for c in all {
        let status_changed = all
            .iter()
            .any(|o| o.field == "status" && o.key() == c.key());
        let what = match c.field {
            "progress" => continue,
            "health" if status_changed => continue,
            "lastRun" => format!(
                "new run: {}",
                c.to.as_deref()
                    .and_then(|r| r.split(' ').next())
                    .unwrap_or("-")
            ),
            field => format!(
                "{field} {}→{}",
                c.from.as_deref().unwrap_or("-"),
                c.to.as_deref().unwrap_or("-")
            ),
        };
        let entry = changed.entry(c.key()).or_default();
        if !entry.is_empty() {
            entry.push_str(", ");
        }
        entry.push_str(&strip_controls(&what));
    }
    changed
}

/// What the live view shows.
struct View {
    jobs: Vec<WatchedJob>,
    /// What changed per job in the last refresh (`status Quarantine→Active`).
    changed: BTreeMap<WatchKey, String>,
    refreshed: Option<chrono::DateTime<chrono::Utc>>,
    refreshing: bool,
    error: Option<String>,
    interval: Duration,
}

impl View {
    fn table(&self) -> Table {
        // What changed is why the view is open: it stays. Ids, codes, times and counts never
        // split; on a narrow terminal the quarantine reason (as in `jobs list`), the escrow
        // count, the last run and the progress drop first.
        let mut t = Table::new([
            Column::new("APPLICATION", "application").min_width(16),
            Column::new("JOB", "jobId").keep(),
            Column::new("STATUS", "status").keep(),
            Column::new("QUARANTINE", "quarantineReason").priority(3),
            Column::new("HEALTH", "health").keep(),
            Column::new("PROGRESS", "progress").keep().priority(1),
            Column::new("LAST RUN", "lastRun").keep().priority(2),
            Column::new("ESCROWED", "escrowed").keep().priority(2),
            Column::new("CHANGED", "changed").min_width(24),
        ]);
        for j in &self.jobs {
            let health_style = match j.health.as_str() {
                "healthy" => Cell::Good,
                "quarantined" | "failed" => Cell::Bad,
                "paused" => Cell::Warn,
                _ => Cell::Dim,
            };
            let change = self.changed.get(&j.key());
            let name_style = if change.is_some() {
                Cell::Warn
            } else {
                Cell::Plain
            };
            t.styled_row(vec![
                (strip_controls(&j.application).into_owned(), name_style),
                (super::short_id(&j.job_id), Cell::Dim),
                (strip_controls(&j.status).into_owned(), health_style),
                (
                    j.quarantine
                        .as_deref()
                        .map(|r| strip_controls(r).into_owned())
                        .unwrap_or_else(|| "-".into()),
                    Cell::Plain,
                ),
                (j.health.clone(), health_style),
                (
                    j.progress.clone().unwrap_or_else(|| "-".into()),
                    if j.progress.is_some() {
                        Cell::Warn
                    } else {
                        Cell::Dim
                    },
                ),
                (
                    j.last_run
                        .as_deref()
                        .map(|r| last_run_text(r, self.refreshed.unwrap_or_else(now)))
                        .unwrap_or_else(|| "never".into()),
                    Cell::Plain,
                ),
                (
                    j.escrowed
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "-".into()),
                    Cell::Plain,
                ),
                (
                    change.cloned().unwrap_or_default(),
                    if change.is_some() {
                        Cell::Warn
                    } else {
                        Cell::Plain
                    },
                ),
            ]);
        }
        t
    }

    fn draw(&self, ctx: &Context) -> Result<(), CliError> {
        let width = terminal::size().ok().map(|(w, _)| w).or(ctx.out.width);
        let refreshed = match (self.refreshing, self.refreshed) {
            (true, _) => "refreshing…".to_owned(),
            (false, Some(t)) => format!("refreshed {}", crate::output::time::short(t)),
            (false, None) => "not refreshed yet".to_owned(),
        };
        let mut text = format!(
            "provctl jobs watch · {} job(s) · {refreshed} · every {} · q quits\n\n",
            self.jobs.len(),
            humantime::format_duration(self.interval)
        );
        if !self.jobs.is_empty() || self.refreshed.is_some() {
            text.push_str(&self.table().render(width, ctx.out.color));
            text.push('\n');
        }
        let changed = self.changed.len();
        if self.refreshed.is_some() {
            text.push_str(&format!("\n{changed} job(s) changed in the last refresh\n"));
        }
        if let Some(e) = &self.error {
            text.push_str(&format!(
                "last refresh failed (showing the one before): {}\n",
                strip_controls(e)
            ));
        }
        let mut out = std::io::stdout().lock();
        queue!(
            out,
            cursor::MoveTo(0, 0),
            terminal::Clear(terminal::ClearType::All)
        )
        .map_err(OutputError::from)?;
        // Raw mode: a newline does not return the carriage.
        out.write_all(text.replace('\n', "\r\n").as_bytes())
            .map_err(OutputError::from)?;
        out.flush().map_err(OutputError::from)?;
        Ok(())
    }
}

/// The live view: redraw in place after every refresh, until q, Esc or Ctrl-C.
async fn live_view(
    ctx: &Context,
    graph: &GraphClient,
    opts: &DiscoverOptions,
    interval: Duration,
) -> Result<(), CliError> {
    // The first look happens before the screen is taken, so a sign-in error prints normally.
    let first = look(graph, opts).await?;
    let screen = Screen::enter()?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut quit = quit_keys(stop.clone());
    let mut view = View {
        changed: BTreeMap::new(),
        jobs: first,
        refreshed: Some(now()),
        refreshing: false,
        error: None,
        interval,
    };
    let result = async {
        loop {
            view.draw(ctx)?;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = &mut quit => return Ok(()),
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
            view.refreshing = true;
            view.draw(ctx)?;
            let looked = tokio::select! {
                r = look(graph, opts) => r,
                _ = &mut quit => return Ok(()),
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            view.refreshing = false;
            match looked {
                Ok(jobs) => {
                    let at = now();
                    let changed = changed_cells(&changes(&view.jobs, &jobs, at));
                    view.changed = changed;
                    view.jobs = jobs;
                    view.refreshed = Some(at);
                    view.error = None;
                }
                Err(e) => view.error = Some(e.to_string()),
            }
        }
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    drop(screen);
    result
}
