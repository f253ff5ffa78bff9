//! `provctl scope check JOB --object ID`: evaluate a job's scoping filters for one object and say
//! which clause of which filter keeps it out — or that it is in scope. The handler resolves the
//! job, reads the schema, `filterOperators`, the object (the Entra user or group for app
//! provisioning; the attributes the provisioning log's import step recorded for cloud sync), the
//! log's own scoping record and the assignments, then calls [`crate::diagnose::scope`] and renders.
//! Offline: `--schema FILE --object-file FILE`.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use serde_json::{Map, Value, json};

use super::resolve::{JobArg, resolve};
use super::{CliError, Context, ErrorKind};
use crate::diagnose::scope::{
    AssignmentFacts, RecordedScope, ScopeEvaluation, ScopeInput, SyncScope, evaluate_scope,
    imported_attributes, is_scoping_skip, quote_values, reads_from_entra, recorded_scope,
    show_value,
};
use crate::graph::model::{FilterOperatorSchema, ProvisioningObjectSummary, SynchronizationSchema};
use crate::graph::{GraphClient, GraphError, logs, odata, scope, sync};

/// `provctl scope`
#[derive(Debug, clap::Subcommand)]
pub enum ScopeCommand {
    /// Evaluate the job's scoping filters for one object: every clause with the object's value and
    /// the verdict, the clause that excludes it, the log's own record beside it, and (for app jobs
    /// that sync only assigned users and groups) whether the object is assigned.
    Check(CheckArgs),
}

/// `provctl scope check`
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The job: a full job id, SP/JOB, or a template name or unique prefix (not needed with --schema).
    #[arg(value_name = "JOB", required_unless_present = "schema")]
    pub job: Option<String>,

    /// The application (service principal) the job belongs to: object id, appId or display name.
    #[arg(long, value_name = "SP")]
    pub sp: Option<String>,

    /// The object: for app provisioning the Entra object id of the user or group; for cloud sync
    /// the AD ObjectGuid (its attributes come from the log's import step).
    #[arg(long, value_name = "ID", required_unless_present = "object_file")]
    pub object: Option<String>,

    /// The object's type as the schema names it (default: a user, else a group).
    #[arg(long = "type", value_enum)]
    pub object_type: Option<ObjectType>,

    /// Offline: the job's schema (the JSON of GET .../jobs/{id}/schema).
    #[arg(long, value_name = "FILE", requires = "object_file")]
    pub schema: Option<PathBuf>,

    /// Offline: the object — a JSON object of its attributes (a Graph user or group works), or a
    /// provisioning log entry (the import step's attributes and the scoping step's record are read).
    #[arg(long, value_name = "FILE", requires = "schema")]
    pub object_file: Option<PathBuf>,
}

/// The object types scoping filters apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectType {
    /// A user.
    User,
    /// A group.
    Group,
}

impl ObjectType {
    fn as_str(self) -> &'static str {
        match self {
            ObjectType::User => "user",
            ObjectType::Group => "group",
        }
    }
}

/// Runs `provctl scope`.
pub async fn run(ctx: &Context, cmd: ScopeCommand) -> Result<(), CliError> {
    match cmd {
        ScopeCommand::Check(args) => check(ctx, args).await,
    }
}

/// Where the object's attributes came from, for the reader.
struct Subject {
    id: String,
    kind: Option<String>,
    display_name: Option<String>,
    source: String,
    job: Option<String>,
    unreadable: Vec<String>,
}

async fn check(ctx: &Context, args: CheckArgs) -> Result<(), CliError> {
    if let (Some(schema), Some(object)) = (&args.schema, &args.object_file) {
        return offline(ctx, &args, schema, object);
    }
    let job = args.job.clone().ok_or_else(|| {
        CliError::usage("give the job (JOB), or --schema FILE --object-file FILE")
    })?;
    let object = args
        .object
        .clone()
        .ok_or_else(|| CliError::usage("give the object with --object ID"))?;
    let entry = resolve(
        ctx,
        &JobArg {
            job,
            sp: args.sp.clone(),
        },
    )
    .await?;
    let graph = ctx.graph().await?;
    let key = sync::JobKey::new(entry.service_principal.id.clone(), entry.job.id.clone());
    let cloud_sync = entry.job.is_cloud_sync() || entry.service_principal.is_cloud_sync();
    let object_id = odata::guid(&object, "--object").map_err(|e| {
        CliError::usage(format!(
            "{e}; give the {} of the object",
            if cloud_sync {
                "AD ObjectGuid"
            } else {
                "Entra object id"
            }
        ))
    })?;
    let mut notes = Vec::new();
    let log_entries = match object_log(graph, &object_id, &entry.job.id).await {
        Ok(v) => v,
        Err(e) => {
            notes.push(format!(
                "The provisioning logs could not be read ({}); the log's own scoping record isn't shown.",
                short(&e)
            ));
            Vec::new()
        }
    };
    let type_wanted = args.object_type.map(ObjectType::as_str);
    let g = gather(graph, &key, &object_id, type_wanted, &log_entries, notes).await?;
    let x = g.evaluate();
    render(ctx, &g.subject, &x, g.operators.is_some())
}

/// Everything one online check reads.
struct Gathered {
    schema: SynchronizationSchema,
    operators: Option<Vec<FilterOperatorSchema>>,
    subject: Subject,
    attributes: Map<String, Value>,
    assignment: Option<AssignmentFacts>,
    recorded: Option<RecordedScope>,
    notes: Vec<String>,
}

impl Gathered {
    fn evaluate(&self) -> ScopeEvaluation {
        evaluate(
            &self.schema,
            &self.subject,
            &self.attributes,
            self.operators.as_deref(),
            self.assignment.as_ref(),
            self.recorded.as_ref(),
            self.notes.clone(),
        )
    }
}

/// Reads the schema, the operators and the object's attributes: from Entra ID when the job reads
/// from it, else from the newest of `log_entries` whose import step recorded them.
async fn gather(
    graph: &GraphClient,
    key: &sync::JobKey,
    object_id: &str,
    type_wanted: Option<&str>,
    log_entries: &[ProvisioningObjectSummary],
    mut notes: Vec<String>,
) -> Result<Gathered, CliError> {
    let schema = sync::get_schema(graph, key).await?;
    let operators = match scope::filter_operators(graph, key).await {
        Ok(ops) => Some(ops),
        Err(e) => {
            notes.push(format!(
                "The job's filterOperators could not be read ({}); operators are evaluated as Microsoft documents them.",
                short(&e)
            ));
            None
        }
    };
    let recorded = log_entries.iter().find_map(recorded_scope);
    let (subject, attributes, assignment) = if !reads_from_entra(&schema) {
        let Some((log, attrs)) = log_entries
            .iter()
            .find_map(|e| imported_attributes(e).map(|a| (e, a)))
        else {
            return Err(CliError::not_found(format!(
                "no provisioning log entry of this job records the attributes of {object_id}"
            ))
            .hint("cloud sync's scoping check reads the attributes the import step recorded: provision the object on demand (`provctl provision JOB --object DN`) or wait for a cycle, then try again"));
        };
        let kind = type_wanted.map(str::to_owned).or_else(|| {
            log.source_identity
                .as_ref()
                .and_then(|i| i.identity_type.clone())
                .map(|t| t.to_ascii_lowercase())
        });
        let subject = Subject {
            id: object_id.to_owned(),
            kind,
            display_name: log
                .source_identity
                .as_ref()
                .and_then(|i| i.display_name.clone()),
            source: format!("the import step of log entry {}", log.id),
            job: Some(key.to_string()),
            unreadable: Vec::new(),
        };
        (subject, attrs, None)
    } else {
        let mut found = None;
        for kind in ["user", "group"] {
            if type_wanted.is_some_and(|t| t != kind) {
                continue;
            }
            let attrs = clause_attributes(&schema, kind);
            if let Some(o) = scope::directory_object(graph, object_id, Some(kind), &attrs).await? {
                found = Some(o);
                break;
            }
        }
        let o = found.ok_or_else(|| {
            CliError::not_found(format!("no Entra user or group has the id {object_id}"))
        })?;
        let assignment = assignment_facts(graph, &key.service_principal_id, &o.id).await;
        let subject = Subject {
            id: o.id.clone(),
            kind: Some(o.kind.to_owned()),
            display_name: o.display_name.clone(),
            source: format!(
                "Entra ID ({} with $select of the clauses' attributes)",
                o.kind
            ),
            job: Some(key.to_string()),
            unreadable: o.unreadable.clone(),
        };
        (subject, o.attributes, Some(assignment))
    };
    Ok(Gathered {
        schema,
        operators,
        subject,
        attributes,
        assignment,
        recorded,
        notes,
    })
}

/// For `explain log` / `explain object`: when the entry's decisive step says "out of scope" or
/// "not entitled", evaluates the job's scoping filters for its object and adds the failing clause
/// to the explanation. Any Graph failure only leaves the explanation as it was.
pub(crate) async fn add_to_explanation(
    graph: &GraphClient,
    entry: &ProvisioningObjectSummary,
    x: &mut crate::diagnose::Explanation,
) {
    if !is_scoping_skip(entry) {
        return;
    }
    let (Some(sp), Some(job), Some(object)) = (
        entry.service_principal.as_ref().and_then(|s| s.id.clone()),
        entry.job_id.clone(),
        entry.source_identity.as_ref().and_then(|i| i.id.clone()),
    ) else {
        return;
    };
    let key = sync::JobKey::new(sp, job);
    let kind = entry
        .source_identity
        .as_ref()
        .and_then(|i| i.identity_type.as_deref())
        .map(str::to_ascii_lowercase)
        .filter(|k| k == "user" || k == "group");
    match gather(
        graph,
        &key,
        &object,
        kind.as_deref(),
        std::slice::from_ref(entry),
        Vec::new(),
    )
    .await
    {
        Ok(g) => crate::diagnose::add_scope_check(x, &g.evaluate()),
        Err(e) => tracing::debug!("scope check for the explanation failed: {}", e.message),
    }
}

#[allow(clippy::too_many_arguments)]
fn evaluate(
    schema: &SynchronizationSchema,
    subject: &Subject,
    attributes: &Map<String, Value>,
    operators: Option<&[FilterOperatorSchema]>,
    assignment: Option<&AssignmentFacts>,
    recorded: Option<&RecordedScope>,
    notes: Vec<String>,
) -> ScopeEvaluation {
    let mut x = evaluate_scope(&ScopeInput {
        schema,
        object_type: subject.kind.as_deref(),
        attributes,
        operators,
        assignment,
        recorded,
    });
    for a in &subject.unreadable {
        x.notes.push(format!(
            "Graph would not select '{a}' on the object; its value is treated as empty."
        ));
    }
    x.notes.extend(notes);
    x
}

/// The attributes the clauses of `kind`'s mappings name.
fn clause_attributes(schema: &SynchronizationSchema, kind: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in schema
        .synchronization_rules
        .iter()
        .flat_map(|r| &r.object_mappings)
        .filter(|m| {
            m.source_object_name
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(kind))
        })
    {
        let Ok(Some(f)) = m.scope() else { continue };
        for c in f
            .groups
            .iter()
            .chain(&f.input_filter_groups)
            .flat_map(|g| &g.clauses)
        {
            if let Some(a) = c
                .source_operand_name
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                && !out.iter().any(|x| x.eq_ignore_ascii_case(a))
            {
                out.push(a.to_owned());
            }
        }
    }
    out
}

/// The job's scope setting and the object's assignment; what can't be read is said, not guessed.
async fn assignment_facts(graph: &GraphClient, sp: &str, object_id: &str) -> AssignmentFacts {
    let sync_scope = match scope::sync_all(graph, sp).await {
        Ok(Some(true)) => SyncScope::All,
        Ok(Some(false)) => SyncScope::AssignedOnly,
        Ok(None) => {
            SyncScope::Unknown("the job's synchronization secrets have no SyncAll setting".into())
        }
        Err(e) => SyncScope::Unknown(format!(
            "the synchronization secrets could not be read ({})",
            short(&e)
        )),
    };
    match scope::assignment(graph, sp, object_id).await {
        Ok(a) => AssignmentFacts {
            sync_scope,
            direct: Some(a.direct),
            via_groups: a.via_groups,
            error: None,
        },
        Err(e) => AssignmentFacts {
            sync_scope,
            direct: None,
            via_groups: Vec::new(),
            error: Some(short(&e)),
        },
    }
}

/// The object's latest log entries in this job (newest first, at most 20).
async fn object_log(
    graph: &GraphClient,
    object_id: &str,
    job_id: &str,
) -> Result<Vec<ProvisioningObjectSummary>, GraphError> {
    let query = logs::LogQuery {
        object_guid: Some(object_id.to_owned()),
        job_id: Some(job_id.to_owned()),
        limit: Some(20),
        page_size: Some(20),
        ..logs::LogQuery::default()
    };
    logs::search(graph, &query)
        .map_err(|e| GraphError::InvalidInput(e.0))?
        .try_collect()
        .await
}

/// A Graph error in one line, for notes.
fn short(e: &GraphError) -> String {
    match (e.status(), e.code()) {
        (Some(s), Some(c)) => format!("HTTP {s} {c}"),
        _ => e.to_string(),
    }
}

fn read_json(path: &Path, flag: &str) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Usage
        };
        CliError::new(kind, format!("{flag} '{}': {e}", path.display()))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("{flag} '{}' is not JSON: {e}", path.display())))
}

fn offline(ctx: &Context, args: &CheckArgs, schema: &Path, object: &Path) -> Result<(), CliError> {
    let schema_doc = read_json(schema, "--schema")?;
    let schema: SynchronizationSchema = serde_json::from_value(schema_doc).map_err(|e| {
        CliError::usage(format!(
            "--schema '{}' is not a synchronizationSchema (GET .../jobs/{{id}}/schema): {e}",
            schema.display()
        ))
    })?;
    let doc = read_json(object, "--object-file")?;
    let Value::Object(map) = doc else {
        return Err(CliError::usage(format!(
            "--object-file '{}' must hold a JSON object: the object's attributes, or a provisioning log entry",
            object.display()
        )));
    };
    let (attributes, recorded, source, id, name, kind) = if map.contains_key("provisioningSteps") {
        let entry: ProvisioningObjectSummary =
            serde_json::from_value(Value::Object(map)).map_err(|e| {
                CliError::usage(format!("--object-file: not a provisioning log entry: {e}"))
            })?;
        let attrs = imported_attributes(&entry).ok_or_else(|| {
            CliError::usage("--object-file: the log entry has no import step with attributes")
        })?;
        let identity = entry.source_identity.clone().unwrap_or_default();
        (
            attrs,
            recorded_scope(&entry),
            format!("the import step of log entry {}", entry.id),
            identity.id.unwrap_or_default(),
            identity.display_name,
            identity.identity_type.map(|t| t.to_ascii_lowercase()),
        )
    } else {
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let name = map
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let kind = map.get("@odata.type").and_then(Value::as_str).map(|t| {
            t.trim_start_matches("#microsoft.graph.")
                .to_ascii_lowercase()
        });
        (
            map,
            None,
            format!("the file '{}'", object.display()),
            id,
            name,
            kind,
        )
    };
    let subject = Subject {
        id: args.object.clone().unwrap_or(id),
        kind: args.object_type.map(|t| t.as_str().to_owned()).or(kind),
        display_name: name,
        source,
        job: None,
        unreadable: Vec::new(),
    };
    let x = evaluate(
        &schema,
        &subject,
        &attributes,
        None,
        None,
        recorded.as_ref(),
        Vec::new(),
    );
    render(ctx, &subject, &x, false)
}

fn render(
    ctx: &Context,
    subject: &Subject,
    x: &ScopeEvaluation,
    operators_read: bool,
) -> Result<(), CliError> {
    let mut doc =
        serde_json::to_value(x).map_err(|e| CliError::general(format!("cannot serialise: {e}")))?;
    if let Some(o) = doc.as_object_mut() {
        o.insert(
            "object".into(),
            json!({"id": subject.id, "type": subject.kind, "displayName": subject.display_name,
                   "attributesFrom": subject.source}),
        );
        o.insert("job".into(), json!(subject.job));
        o.insert("filterOperatorsRead".into(), json!(operators_read));
    }
    // Values and names come from Graph or a file: no control character reaches the terminal.
    ctx.out.emit_text(&doc, |_| {
        text(subject, x)
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect()
    })?;
    Ok(())
}

fn verdict(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "pass",
        Some(false) => "FAIL",
        None => "undecided",
    }
}

/// The page for people.
fn text(subject: &Subject, x: &ScopeEvaluation) -> String {
    let mut s = String::new();
    let who = match &subject.display_name {
        Some(n) => format!(
            "{} '{n}' ({})",
            subject.kind.as_deref().unwrap_or("object"),
            subject.id
        ),
        None => format!(
            "{} {}",
            subject.kind.as_deref().unwrap_or("object"),
            subject.id
        ),
    };
    s.push_str(&format!("Scope check of {who}"));
    if let Some(j) = &subject.job {
        s.push_str(&format!(" in {j}"));
    }
    s.push_str(&format!("\nAttributes from {}\n", subject.source));
    let result = match x.in_scope {
        Some(true) => "IN SCOPE".to_owned(),
        Some(false) => format!("OUT OF SCOPE: {}", x.exclusions().join("; ")),
        None => "UNDECIDED: some clauses can't be evaluated (see below)".to_owned(),
    };
    s.push_str(&format!("Result: {result}\n"));
    if let Some(a) = &x.assignment {
        let mode = match &a.sync_scope {
            SyncScope::AssignedOnly => "the job syncs only assigned users and groups".to_owned(),
            SyncScope::All => "the job syncs all users and groups".to_owned(),
            SyncScope::Unknown(why) => format!(
                "whether the job syncs only assigned users and groups cannot be known: {why}"
            ),
        };
        let assigned = match (a.assigned(), a.direct, a.via_groups.is_empty()) {
            (_, _, false) if a.direct == Some(true) => {
                format!("assigned directly and through {}", a.via_groups.join(", "))
            }
            (_, _, false) => format!("assigned through the group(s) {}", a.via_groups.join(", ")),
            (Some(true), _, _) => "assigned directly".to_owned(),
            (Some(false), _, _) => "not assigned to the application".to_owned(),
            (None, _, _) => format!(
                "assignments could not be read ({})",
                a.error.as_deref().unwrap_or("unknown error")
            ),
        };
        s.push_str(&format!("Assignment: {assigned}; {mode}\n"));
    }
    for m in &x.mappings {
        s.push_str(&format!(
            "\nMapping '{}' ({}): {}\n",
            m.name,
            m.source_object_name,
            verdict(m.in_scope)
        ));
        if let Some(e) = &m.error {
            s.push_str(&format!("  {e}\n"));
        }
        if m.unfiltered {
            s.push_str("  no scoping filter: every object of this type is in scope\n");
        }
        for g in &m.groups {
            s.push_str(&format!(
                "  {} '{}': {}\n",
                g.set,
                g.name,
                verdict(g.passed)
            ));
            for c in &g.clauses {
                s.push_str(&format!(
                    "    [{}] {} {}{}  (actual {})\n",
                    verdict(c.passed),
                    c.attribute,
                    c.operator,
                    if c.expected.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", quote_values(&c.expected))
                    },
                    show_value(&c.actual)
                ));
                if let Some(r) = &c.reason {
                    s.push_str(&format!("          {r}\n"));
                }
                if let Some(r) = c.recorded {
                    s.push_str(&format!("          the log recorded: {r}\n"));
                }
            }
        }
    }
    if let Some(r) = &x.recorded {
        s.push_str(&format!("\nThe log's scoping record (entry {}):", r.log_id));
        if let Some(p) = r.passed {
            s.push_str(&format!(" Scoping filter evaluation passed = {p}"));
        }
        s.push('\n');
        for c in &x.comparison {
            let ours = match c.agrees {
                Some(true) => "provctl agrees".to_owned(),
                Some(false) => "provctl DISAGREES".to_owned(),
                None => "nothing to compare".to_owned(),
            };
            s.push_str(&format!("  {} = {} ({ours})\n", c.key, c.recorded));
        }
        if let Some(u) = &r.unreadable {
            s.push_str(&format!("  ScopeEvaluationResult could not be read: {u}\n"));
        }
    }
    for d in &x.disagreements {
        s.push_str(&format!("Disagreement: {d}\n"));
    }
    if !x.notes.is_empty() {
        s.push('\n');
        for n in &x.notes {
            s.push_str(&format!("Note: {n}\n"));
        }
    }
    s
}
