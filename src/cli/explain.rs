//! `provctl explain`: a job, a provisioning log entry, an object's history, or a file an admin already
//! has, turned into the cause and the next step. The handler fetches (or reads), calls
//! [`crate::diagnose`], and renders: text for people, the explanation's stable JSON for scripts.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use futures::TryStreamExt;
use serde::Serialize;

use super::logs::file_error;
use super::resolve::JobArg;
use super::{CliError, Context};
use crate::diagnose::{self, Explanation, Severity};
use crate::graph::model::logs::{ProvisionedIdentity, ProvisioningResult};
use crate::graph::model::{ODataCollection, OnPremisesAgent, ProvisioningObjectSummary};
use crate::graph::odata::{Filter, LogField, guid};
use crate::graph::permissions::Operation;
use crate::graph::{ApiVersion, GraphClient, GraphError, GraphPath, GraphRequest};
use crate::logfile::{self, Document, LogFile, Prefilter, Record, TopN};
use crate::output::time;
use crate::output::{Cell, Field, ListWriter, OutputFormat};

/// Arguments of `provctl explain`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExplainArgs {
    /// What to explain from the tenant.
    #[command(subcommand)]
    pub what: Option<ExplainCommand>,

    /// Explain a file instead of asking Graph: provisioning logs in every shape `logs search
    /// --file` reads (provctl's exports, Graph pages, the portal's download, CSV, Azure Monitor),
    /// a job or job list, a Graph error answer, a provisionOnDemand answer, a provisioning agent
    /// list, or provctl's own `-o json` of these. `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// With --file: the record to explain — a log entry id or changeId, a source or target object
    /// id (explained as that object's history), or a job id. Without it, every entry of a log file
    /// that didn't simply succeed is explained.
    #[arg(long, value_name = "ID", requires = "file")]
    pub id: Option<String>,
}

/// `provctl explain <what>`.
#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// Why a job is quarantined or failing, how long until it is disabled, and how to clear it.
    Job {
        /// Which job (JOB and --sp, as every job command takes them).
        #[command(flatten)]
        job: JobArg,
    },
    /// Why a provisioning log entry was skipped or failed (by entry id or changeId).
    Log {
        /// The log entry id or changeId.
        #[arg(value_name = "ID")]
        id: String,
    },
    /// An object's provisioning history: its latest events, where it stopped and why. For cloud sync
    /// use the AD ObjectGuid; for app provisioning the Entra object id.
    Object {
        /// The object's id (sourceIdentity or targetIdentity id).
        #[arg(value_name = "GUID")]
        guid: String,
        /// How many of its most recent events to read.
        #[arg(long, default_value_t = 100, value_name = "N")]
        limit: usize,
    },
}

/// Runs `provctl explain`.
pub async fn run(ctx: &Context, args: ExplainArgs) -> Result<(), CliError> {
    match (args.what, args.file) {
        (_, Some(file)) => explain_file(ctx, &file, args.id.as_deref()),
        (Some(ExplainCommand::Job { job }), None) => {
            // The listing the resolver reads carries the whole job: no second request.
            let entry = super::resolve::resolve(ctx, &job).await?;
            let mut x =
                diagnose::explain_job(&entry.job, Some(&entry.service_principal), time::now());
            super::logs::add_dominant_error(ctx, &entry.job, &mut x).await?;
            super::quarantine::add_held_back_deletes(ctx, &entry.job, &mut x).await?;
            show(ctx, &x)
        }
        (Some(ExplainCommand::Log { id }), None) => {
            let g = ctx.graph().await?;
            let entry = fetch_log(g, &id)
                .await
                .map_err(|e| graph_failure(e, Operation::ReadProvisioningLogs))?
                .ok_or_else(|| {
                    CliError::not_found(format!("no provisioning log entry with id or changeId '{id}'"))
                        .hint("provisioning logs are kept 30 days (7 without Entra ID P1/P2); `provctl explain object GUID` searches by object")
                })?;
            let mut x = diagnose::explain_log(&entry);
            super::scope::add_to_explanation(g, &entry, &mut x).await;
            show(ctx, &x)
        }
        (Some(ExplainCommand::Object { guid, limit }), None) => {
            // A GUID in any case or with braces is the id Graph stores (lower case); anything else
            // is taken as it is, so the `logs search --object-id` the findings suggest finds it.
            let guid = crate::graph::odata::guid(&guid, "GUID").unwrap_or(guid);
            let g = ctx.graph().await?;
            let entries = fetch_object_logs(g, &guid, limit)
                .await
                .map_err(|e| graph_failure(e, Operation::ReadProvisioningLogs))?;
            let mut x = diagnose::explain_object(&guid, &entries);
            if let Some(latest) = entries.iter().max_by_key(|e| e.activity_date_time) {
                super::scope::add_to_explanation(g, latest, &mut x).await;
            }
            show(ctx, &x)
        }
        (None, None) => Err(CliError::usage(
            "say what to explain: `provctl explain job JOB`, `explain log ID`, `explain object GUID`, or `explain --file FILE`",
        )),
    }
}

/// Explains a file read by [`crate::logfile`] (the reader `logs search --file` uses): each job,
/// each log entry that did not simply succeed (or the one asked for), an error, an answer, or an
/// agent list. Explanations are written as they are made, so a large export is explained in
/// bounded memory.
fn explain_file(ctx: &Context, file: &Path, id: Option<&str>) -> Result<(), CliError> {
    let select = id.map(str::trim).filter(|s| !s.is_empty());
    // (`-` is standard input: the reader knows it.)
    let doc = logfile::open_document(file).map_err(file_error)?;
    let stdout = std::io::stdout();
    let mut out = Explained::new(ctx, BufWriter::new(stdout.lock()));
    let now = time::now();
    match doc {
        Document::GraphError(e) => out.push(&diagnose::explain_error(&e, None))?,
        Document::OnDemand(d) => out.push(&diagnose::explain_on_demand(&d))?,
        Document::Agents(agents) => {
            // The agents are judged together (is any active?): a list holds a handful.
            let agents: Vec<OnPremisesAgent> = agents
                .take(MAX_AGENTS + 1)
                .collect::<Result<_, _>>()
                .map_err(file_error)?;
            if agents.len() > MAX_AGENTS {
                return Err(CliError::usage(format!(
                    "--file '{}' lists more than {MAX_AGENTS} agents: not an agent list provctl explains",
                    file.display()
                )));
            }
            out.push(&diagnose::explain_agents(&agents))?;
        }
        Document::Jobs(jobs) => {
            for job in jobs {
                let job = job.map_err(file_error)?;
                out.records += 1;
                if select.is_none_or(|id| job.id == id) {
                    out.push(&diagnose::explain_job(&job, None, now))?;
                }
            }
            if let Some(id) = select
                && out.count == 0
            {
                return Err(not_in_file(id, file));
            }
        }
        Document::Logs(records) => {
            out.logs = true;
            match select {
                Some(id) => explain_selected(records, id, file, &mut out)?,
                None => explain_problems(records, &mut out)?,
            }
        }
    }
    out.finish()
}

/// Agents more than this in one list are not an agent list (they are judged together).
const MAX_AGENTS: usize = 10_000;

/// The history of an object read from a file: its newest events, as `explain object` reads.
const OBJECT_HISTORY: usize = 1000;

/// Every entry that did not simply succeed; a file of one entry has it explained whatever it is.
fn explain_problems<W: Write>(
    mut records: LogFile,
    out: &mut Explained<'_, W>,
) -> Result<(), CliError> {
    records.skip_plain_successes();
    let mut first_success = None;
    for rec in records.by_ref() {
        let rec = rec.map_err(file_error)?;
        let f = rec.fields();
        if f.status() == Some(&ProvisioningResult::Success) && f.error().is_none() {
            if first_success.is_none() && out.count == 0 {
                first_success = Some(rec);
            }
            continue;
        }
        let summary = rec.into_summary().map_err(file_error)?;
        out.push(&diagnose::explain_log(&summary))?;
    }
    out.records = records.records_read();
    if out.records == 1
        && let Some(rec) = first_success
    {
        out.push(&diagnose::explain_log(
            &rec.into_summary().map_err(file_error)?,
        ))?;
    }
    Ok(())
}

/// `--id`: the entry with that id or changeId, else the history of the object with that id.
fn explain_selected<W: Write>(
    mut records: LogFile,
    id: &str,
    file: &Path,
    out: &mut Explained<'_, W>,
) -> Result<(), CliError> {
    records.prefilter(Prefilter::for_value(id));
    let mut history = TopN::new(OBJECT_HISTORY);
    for rec in records.by_ref() {
        let rec = rec.map_err(file_error)?;
        let f = rec.fields();
        if f.id == id || f.change_id.as_deref() == Some(id) {
            out.push(&diagnose::explain_log(
                &rec.into_summary().map_err(file_error)?,
            ))?;
            return Ok(());
        }
        let same = |i: Option<&ProvisionedIdentity>| {
            i.and_then(|i| i.id.as_deref())
                .is_some_and(|s| s.eq_ignore_ascii_case(id))
        };
        if same(f.source_identity.as_ref()) || same(f.target_identity.as_ref()) {
            let time = std::cmp::Reverse(f.activity_date_time);
            history.offer(time, || rec.clone());
        }
    }
    out.records = records.records_read();
    if history.is_empty() {
        return Err(not_in_file(id, file));
    }
    let entries: Vec<ProvisioningObjectSummary> = history
        .into_sorted()
        .into_iter()
        .map(Record::into_summary)
        .collect::<Result<_, _>>()
        .map_err(file_error)?;
    out.push(&diagnose::explain_object(id, &entries))
}

fn not_in_file(id: &str, file: &Path) -> CliError {
    CliError::not_found(format!(
        "no record with id {} in {} (tried entry id, changeId, source and target ids, job id)",
        logfile::echo(id),
        file.display()
    ))
}

/// Explanations written as they are made: text blocks for people, a list (one item per
/// explanation) in the machine formats.
struct Explained<'o, W: Write> {
    ctx: &'o Context,
    text: Option<W>,
    list: Option<ListWriter<'o, W>>,
    width: usize,
    /// Explanations written.
    count: usize,
    /// Records read (jobs or log entries).
    records: u64,
    /// The file held log entries (said in a last line).
    logs: bool,
}

impl<'o, W: Write> Explained<'o, W> {
    fn new(ctx: &'o Context, out: W) -> Self {
        let human = ctx.out.format == OutputFormat::Table && !ctx.out.has_query();
        let (text, list) = if human {
            (Some(out), None)
        } else {
            let headers = ["KIND", "ID", "NAME", "SEVERITY", "CODE", "TITLE"];
            (None, Some(ctx.out.list(out, headers)))
        };
        Explained {
            ctx,
            text,
            list,
            width: text_width(ctx),
            count: 0,
            records: 0,
            logs: false,
        }
    }

    fn push(&mut self, x: &Explanation) -> Result<(), CliError> {
        self.count += 1;
        if let Some(list) = &mut self.list {
            // The kind and severity as the JSON names them.
            let name = |v: serde_json::Result<serde_json::Value>| {
                v.ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            };
            let kind = name(serde_json::to_value(x.subject.kind));
            let severity = name(serde_json::to_value(x.severity()));
            // Serialising our own explanation cannot fail; only formats that print it pay.
            let json = || serde_json::to_value(x).unwrap_or_default();
            list.push_with(json, || {
                let f = x.headline();
                vec![
                    (kind, Cell::Plain),
                    (x.subject.id.clone(), Cell::Plain),
                    (
                        x.subject.display_name.clone().unwrap_or_default(),
                        Cell::Plain,
                    ),
                    (severity, Cell::Plain),
                    (
                        f.and_then(|f| f.code.clone()).unwrap_or_default(),
                        Cell::Plain,
                    ),
                    (f.map(|f| f.title.clone()).unwrap_or_default(), Cell::Plain),
                ]
                .into_iter()
                .map(Field::from)
                .collect()
            })?;
            return Ok(());
        }
        let Some(out) = &mut self.text else {
            return Ok(());
        };
        let mut s = String::new();
        if self.count > 1 {
            s.push_str(&format!("\n{}\n\n", "─".repeat(self.width.min(60))));
        }
        if self.logs || self.records > 0 {
            s.push_str(&format!(
                "{} {}\n",
                x.subject.display_name.as_deref().unwrap_or("(unnamed)"),
                x.subject.id
            ));
        }
        s.push_str(&diagnose::render_text(x, self.width));
        // The evidence quotes the file: its control characters are escaped before colouring.
        let s = crate::output::sanitize::page(&s);
        out.write_all(paint(&s, self.ctx.out.color).as_bytes())
            .map_err(write_error)?;
        Ok(())
    }

    fn finish(self) -> Result<(), CliError> {
        if let Some(list) = self.list {
            list.finish()?;
        }
        if let Some(mut out) = self.text {
            if self.logs && self.records != 1 {
                let sep = if self.count > 0 { "\n" } else { "" };
                let line = format!(
                    "{sep}Read {} provisioning log entries; {} did not simply succeed.\n",
                    self.records, self.count
                );
                out.write_all(line.as_bytes()).map_err(write_error)?;
            } else if self.count > 0 {
                out.write_all(b"\n").map_err(write_error)?;
            }
            out.flush().map_err(write_error)?;
        }
        Ok(())
    }
}

fn write_error(e: std::io::Error) -> CliError {
    CliError::from(crate::output::OutputError::from(e))
}

/// Renders one explanation: text for people, the same structure as JSON for scripts.
pub(crate) fn show(ctx: &Context, x: &Explanation) -> Result<(), CliError> {
    let json = to_json(x)?;
    let width = text_width(ctx);
    ctx.out.emit_text(&json, |color| {
        paint(
            &crate::output::sanitize::page(&diagnose::render_text(x, width)),
            color,
        )
    })?;
    Ok(())
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(v).map_err(|e| CliError::general(format!("cannot serialise: {e}")))
}

fn text_width(ctx: &Context) -> usize {
    ctx.out.width.map_or(100, |w| usize::from(w).min(120))
}

/// Colour for a terminal: the severity tags and the commands to copy.
fn paint(text: &str, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    use anstyle::{AnsiColor, Style};
    let style_for = |line: &str| -> Option<Style> {
        let sev = [
            ("[critical]", Severity::Critical),
            ("[error]", Severity::Error),
            ("[warning]", Severity::Warning),
            ("[info]", Severity::Info),
        ]
        .into_iter()
        .find(|(tag, _)| line.starts_with(tag))
        .map(|(_, s)| s);
        match sev {
            Some(Severity::Critical | Severity::Error) => {
                Some(Style::new().fg_color(Some(AnsiColor::Red.into())).bold())
            }
            Some(Severity::Warning) => {
                Some(Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold())
            }
            Some(Severity::Info) => {
                Some(Style::new().fg_color(Some(AnsiColor::Green.into())).bold())
            }
            None if line.trim_start().starts_with("$ provctl") => {
                Some(Style::new().fg_color(Some(AnsiColor::Cyan.into())))
            }
            None => None,
        }
    };
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match style_for(body) {
            Some(s) => out.push_str(&format!("{}{body}{}{nl}", s.render(), s.render_reset())),
            None => out.push_str(line),
        }
    }
    out
}

/// `SP/JOB`: the service principal id, then the job id (job ids contain dots, never slashes).
/// A Graph failure, with the diagnose engine's first step as a hint (which permission, which id).
fn graph_failure(e: GraphError, op: Operation) -> CliError {
    let x = diagnose::explain_graph_error(&e, Some(op));
    let mut err = CliError::from(e);
    if let Some(step) = x.headline().and_then(|f| f.next_steps.first()) {
        let hint = match &step.command {
            Some(c) => format!("{} (`{c}`)", step.text),
            None => step.text.clone(),
        };
        // A 403 already names the permission, from the same table.
        if !err.hints.contains(&hint) {
            err = err.hint(hint);
        }
    }
    err
}

fn logs_request(filter: &Filter, top: usize) -> GraphRequest {
    GraphRequest::get(
        ApiVersion::V1,
        GraphPath::new().lit("auditLogs/provisioning"),
    )
    .query("$filter", filter.as_str())
    .query("$orderby", "activityDateTime desc")
    .query("$top", top.clamp(1, 1000).to_string())
}

async fn fetch_log(
    g: &GraphClient,
    id: &str,
) -> Result<Option<ProvisioningObjectSummary>, GraphError> {
    let filter = Filter::any([
        Filter::eq(LogField::Id, id).map_err(filter_error)?,
        Filter::eq(LogField::ChangeId, id).map_err(filter_error)?,
    ])
    .ok_or_else(|| GraphError::InvalidInput("empty filter".into()))?;
    let page: ODataCollection<ProvisioningObjectSummary> =
        g.get_json(&logs_request(&filter, 10)).await?;
    let mut entries = page.value;
    let pos = entries.iter().position(|e| e.id == id).or_else(|| {
        entries
            .iter()
            .position(|e| e.change_id.as_deref() == Some(id))
    });
    Ok(pos.map(|i| entries.swap_remove(i)))
}

async fn fetch_object_logs(
    g: &GraphClient,
    object: &str,
    limit: usize,
) -> Result<Vec<ProvisioningObjectSummary>, GraphError> {
    // Filters are case-sensitive and Graph writes GUIDs in lower case.
    let id = guid(object, "GUID").unwrap_or_else(|_| object.trim().to_owned());
    let filter = Filter::any([
        Filter::eq(LogField::SourceIdentityId, &id).map_err(filter_error)?,
        Filter::eq(LogField::TargetIdentityId, &id).map_err(filter_error)?,
    ])
    .ok_or_else(|| GraphError::InvalidInput("empty filter".into()))?;
    let limit = limit.max(1);
    g.items::<ProvisioningObjectSummary>(logs_request(&filter, limit.min(100)))
        .try_take_while({
            let mut seen = 0usize;
            move |_| {
                seen += 1;
                std::future::ready(Ok(seen <= limit))
            }
        })
        .try_collect()
        .await
}

fn filter_error(e: crate::graph::odata::FilterError) -> GraphError {
    GraphError::InvalidInput(e.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Category;
    use crate::graph::auth::StaticToken;
    use crate::graph::{Cloud, Endpoints, HttpOptions};
    use crate::sim::{Sim, SimConfig, SimHandle, ThrottleConfig, TokenSpec, demo};

    async fn sim_client(roles: &[&str]) -> (SimHandle, GraphClient) {
        // No log budget: these tests read more than 5 pages in 10 s and check answers, not pacing.
        let sim = Sim::start(SimConfig {
            throttle: ThrottleConfig {
                logs: None,
                provision_on_demand: None,
                general: None,
            },
            ..SimConfig::for_tests()
        })
        .await
        .unwrap_or_else(|e| panic!("emulator starts: {e}"));
        let base = sim.base_url().as_str().to_owned();
        let http = crate::graph::http_client(&HttpOptions {
            extra_roots_pem: vec![sim.ca_pem().as_bytes().to_vec()],
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let token = sim.issue_token(TokenSpec::app(&sim.demo_app().client_id, roles));
        let client = GraphClient::builder()
            .endpoints(
                Endpoints::custom(&base, Some(&base), Cloud::Global)
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .http_client(http)
            .token_provider(StaticToken::new(token))
            .pacing(false)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        (sim, client)
    }

    const ALL: &[&str] = &[
        "Application.Read.All",
        "Synchronization.ReadWrite.All",
        "ProvisioningLog.Read.All",
    ];

    #[tokio::test]
    async fn the_demo_tenants_jobs_are_explained_with_the_right_cause_and_clearing_command() {
        let (_sim, g) = sim_client(ALL).await;
        for (sp, job, code, command) in [
            (
                demo::SP_CORP,
                demo::JOB_CORP_PROVISIONING,
                "EncounteredEscrowProportionThreshold",
                Some("--reset escrows,quarantine"),
            ),
            (
                demo::SP_EMEA,
                demo::JOB_EMEA_PROVISIONING,
                "TooManyDeletes",
                Some("--reset force-deletes"),
            ),
            (
                demo::SP_SALESFORCE,
                demo::JOB_SALESFORCE,
                "SalesforceInvalidCredentials",
                Some("provctl quarantine clear"),
            ),
            (
                demo::SP_SERVICENOW,
                demo::JOB_SERVICENOW,
                "job-entry-level-errors",
                None,
            ),
            (
                demo::SP_BOX,
                demo::JOB_BOX,
                "job-paused",
                Some("provctl jobs start"),
            ),
            (
                demo::SP_DROPBOX,
                demo::JOB_DROPBOX,
                "job-not-run",
                Some("provctl jobs start"),
            ),
            (demo::SP_CORP, demo::JOB_CORP_PHS, "job-healthy", None),
        ] {
            let e = crate::graph::sync::JobRef::parse(&format!("{sp}/{job}"), None)
                .resolve(&g)
                .await
                .unwrap_or_else(|e| panic!("{job}: {e}"));
            let x = diagnose::explain_job(&e.job, Some(&e.service_principal), time::now());
            let f = &x.findings[0];
            assert_eq!(f.code.as_deref(), Some(code), "{job}: {x:#?}");
            if let Some(c) = command {
                assert!(
                    f.next_steps
                        .iter()
                        .filter_map(|s| s.command.as_deref())
                        .any(|s| s.contains(c) && s.contains(job)),
                    "{job}: no `{c}` step in {:?}",
                    f.next_steps
                );
            }
        }
    }

    #[tokio::test]
    async fn the_demo_tenants_objects_and_log_entries_are_explained() {
        let (_sim, g) = sim_client(ALL).await;
        for (object, code) in [
            (demo::OG_SOURCE_ONLY, "agent-filtered"),
            (demo::OG_CRITICAL, "IsCriticalSystemObject"),
            (demo::OG_INVALID_DOMAIN, "InvalidDomain"),
            (demo::USER_SN_CONFLICT, "ServiceNowEntryConflict"),
            (demo::USER_SN_NOT_ENTITLED, "NotEffectivelyEntitled"),
            (demo::USER_SN_REDUNDANT, "RedundantExport"),
        ] {
            let entries = fetch_object_logs(&g, object, 50)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let x = diagnose::explain_object(object, &entries);
            assert_eq!(x.findings[0].code.as_deref(), Some(code), "{object}");
            let id = &x.history[0].id;
            let one = fetch_log(&g, id).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(one.map(|e| e.id), Some(id.clone()));
        }
        let none = fetch_object_logs(&g, "A3F1C9D2-5B6E-4F70-8A91-B2C3D4E5F699", 50)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_empty());
        assert_eq!(fetch_log(&g, "no-such-entry").await.ok().flatten(), None);
    }

    #[tokio::test]
    async fn a_denied_log_read_names_the_permission_in_the_hint() {
        let (_sim, g) = sim_client(&["Synchronization.Read.All"]).await;
        let e = fetch_object_logs(&g, demo::OG_CREATED, 10)
            .await
            .err()
            .unwrap_or_else(|| panic!("denied"));
        let x = diagnose::explain_graph_error(&e, Some(Operation::ReadProvisioningLogs));
        assert_eq!(x.findings[0].category, Category::Permissions, "{x:#?}");
        let err = graph_failure(e, Operation::ReadProvisioningLogs);
        assert!(
            err.hints
                .iter()
                .any(|h| h.contains("ProvisioningLog.Read.All")),
            "{:?}",
            err.hints
        );
    }

    #[test]
    fn paint_colours_only_tags_and_commands_and_only_when_asked() {
        let text = "[critical] X (escrow)\nsummary\n     $ provctl jobs start a/b\n";
        assert_eq!(paint(text, false), text);
        let c = paint(text, true);
        assert!(c.contains("\u{1b}["));
        assert!(c.contains("summary\n"));
        assert_eq!(c.matches("\u{1b}[0m").count(), 2);
    }
}
