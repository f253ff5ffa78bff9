//! `provctl provision JOB --object ID`: provision one object on demand (Graph's provisionOnDemand),
//! decode the answer (in any of the shapes Graph sends) and explain it with the same engine as a log
//! entry. Jobs that read from AD take the AD distinguishedName; jobs that read from Entra ID (app
//! provisioning, group writeback) take the Entra object id — decided by the job's direction, checked
//! up front.

use super::jobs::{JobArg, resolve};
use super::{CliError, Context, ErrorKind};
use crate::graph::model::{
    ProvisionOnDemandRequest, ProvisionOnDemandResponse, ProvisioningResult,
    SynchronizationJobSubject, SynchronizationLinkedObjects,
};
use crate::graph::{odata, sync};

/// `provctl provision`
#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// The job to run the object through.
    #[command(flatten)]
    pub job: JobArg,

    /// The object: for cloud sync from AD (AD → Entra ID) its AD distinguishedName
    /// (`CN=Adele Vance,OU=Users,DC=corp,DC=contoso,DC=com`); for app provisioning and Entra ID → AD
    /// jobs (group writeback) its Entra object id.
    #[arg(long, value_name = "ID")]
    pub object: String,

    /// The object's type.
    #[arg(long = "type", value_enum, ignore_case = true, default_value_t = ObjectType::User)]
    pub object_type: ObjectType,

    /// With `--type group`: provision only these members with it (Entra object ids), repeatable.
    #[arg(long = "member", value_name = "ID")]
    pub members: Vec<String>,

    /// The synchronization rule id (default: the rule of the job's schema that maps this type).
    #[arg(long, value_name = "RULE_ID")]
    pub rule: Option<String>,

    /// Print the exact request and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// The kinds of object provisionOnDemand takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectType {
    /// A user.
    User,
    /// A group (optionally with `--member`s).
    Group,
}

/// Runs `provctl provision`.
pub async fn run(ctx: &Context, args: ProvisionArgs) -> Result<(), CliError> {
    let entry = resolve(ctx, &args.job).await?;
    // The job's direction decides the subject: AD → Entra jobs take a distinguishedName; Entra →
    // AD jobs (group writeback, `AAD2AD…`) and app provisioning take an Entra object id.
    let from_ad = entry.job.source_is_active_directory();
    let (object_id, type_name) = subject(&args, from_ad)?;
    let mut subject = SynchronizationJobSubject::new(object_id, type_name);
    if !args.members.is_empty() {
        if args.object_type != ObjectType::Group {
            return Err(CliError::usage("--member is only for --type group"));
        }
        let mut members = Vec::new();
        for m in &args.members {
            members.push(SynchronizationJobSubject::new(
                odata::guid(m, "--member")?,
                "User",
            ));
        }
        subject.links = Some(SynchronizationLinkedObjects {
            members,
            ..Default::default()
        });
    }
    let graph = ctx.graph().await?;
    let key = sync::JobKey::new(entry.service_principal.id.clone(), entry.job.id.clone());
    let rule = match &args.rule {
        Some(r) => r.clone(),
        None => rule_from_schema(graph, &key, args.object_type).await?,
    };
    let body = ProvisionOnDemandRequest::single(rule, subject);
    if args.dry_run {
        let req = sync::provision_on_demand_request(&key, &body)?;
        print!("{}", req.to_http_text(&graph.endpoints().graph));
        return Ok(());
    }
    let answer = graph
        .send(&sync::provision_on_demand_request(&key, &body)?)
        .await?;
    let decoded = match ProvisionOnDemandResponse::read(&answer.body) {
        Ok(d) => d,
        // Graph accepted the request (2xx) and may already have provisioned the object: an answer
        // we cannot read is shown as sent, and the exit code follows Graph's status, not our parser.
        Err(e) => return show_raw(ctx, answer.status, &answer.body, &e.to_string()),
    };
    let explanation = crate::diagnose::explain_on_demand(&decoded);
    super::explain::show(ctx, &explanation)?;
    match decoded.status() {
        Some(ProvisioningResult::Failure) => Err(CliError::new(ErrorKind::General, "")),
        _ => Ok(()),
    }
}

/// Prints an answer that could not be read, as Graph sent it, and says so on stderr.
fn show_raw(ctx: &Context, status: u16, body: &[u8], why: &str) -> Result<(), CliError> {
    eprintln!(
        "Graph answered HTTP {status} but provctl could not read the answer ({}); it is shown as sent. \
         Check the outcome with `provctl logs search` before provisioning again.",
        crate::output::sanitize::line(why)
    );
    let text = String::from_utf8_lossy(body).into_owned();
    let doc = serde_json::from_slice(body).unwrap_or(serde_json::Value::String(text.clone()));
    ctx.out.emit_text(&doc, |_| text)?;
    Ok(())
}

/// The subject's id and type name in the form the job's direction needs.
fn subject(args: &ProvisionArgs, from_ad: bool) -> Result<(String, &'static str), CliError> {
    let object = args.object.trim();
    if from_ad {
        let upper = object.to_ascii_uppercase();
        let looks_like_dn =
            upper.contains("DC=") && object.contains('=') && !object.starts_with('{');
        if !looks_like_dn {
            return Err(CliError::usage(format!(
                "--object '{object}' is not an AD distinguishedName: cloud sync provisions on demand by DN, e.g. \"CN=Adele Vance,OU=Users,DC=corp,DC=contoso,DC=com\""
            ))
            .hint("find the DN in Active Directory (Get-ADUser -Identity <name>); to look an object up by its ObjectGuid, use `provctl logs search --object-guid`"));
        }
        // The cloud sync example sends the type in lower case.
        let t = match args.object_type {
            ObjectType::User => "user",
            ObjectType::Group => "group",
        };
        Ok((object.to_owned(), t))
    } else {
        let id = odata::guid(object, "--object").map_err(|e| {
            CliError::usage(format!("{e}; this job reads from Entra ID (app provisioning, or Entra ID → AD such as group writeback) and provisions on demand by the Entra object id of the user or group"))
        })?;
        let t = match args.object_type {
            ObjectType::User => "User",
            ObjectType::Group => "Group",
        };
        Ok((id, t))
    }
}

async fn rule_from_schema(
    graph: &crate::graph::GraphClient,
    key: &sync::JobKey,
    object_type: ObjectType,
) -> Result<String, CliError> {
    let schema = sync::get_schema(graph, key).await?;
    let source = match object_type {
        ObjectType::User => "user",
        ObjectType::Group => "group",
    };
    schema
        .rule_for_object(source)
        .or_else(|| schema.synchronization_rules.first())
        .and_then(|r| r.id.clone())
        .ok_or_else(|| {
            CliError::general(format!("the job's schema has no synchronization rule for {source}s"))
                .hint("pass the rule id with --rule (GET .../jobs/{id}/schema lists synchronizationRules)")
        })
}
