//! `provctl logs show ID`: one provisioning event in full — who and what, the source and target
//! systems, the provisioning steps as a timeline with their details, and the modified properties as
//! old → new. From Graph (`$filter=id eq`) or an offline file.

use std::fmt::Write as _;

use clap::Args;
use futures::StreamExt;
use serde_json::Value;

use super::{FileArg, file_error, identity_text, why};
use crate::cli::{CliError, Context};
use crate::graph::ApiVersion;
use crate::graph::logs::{self, LogQuery};
use crate::graph::model::logs::{ProvisioningObjectSummary, ProvisioningResult};

/// `provctl logs show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The event id (the ID column of `provctl logs search`).
    #[arg(value_name = "ID")]
    id: String,

    /// Ask the beta endpoint (adds the deprecated `action` and `statusInfo` fields).
    #[arg(long)]
    beta: bool,

    #[command(flatten)]
    file: FileArg,
}

pub(super) async fn run(ctx: &Context, args: ShowArgs) -> Result<(), CliError> {
    let id = args.id.trim();
    if id.is_empty() {
        return Err(CliError::usage(
            "the event ID is empty: give the ID column of `provctl logs search`",
        ));
    }
    let found = match &args.file.file {
        Some(path) => {
            let mut file = crate::logfile::open(path).map_err(file_error)?;
            // Only records holding the id's bytes are parsed.
            file.prefilter(crate::logfile::Prefilter::for_value(id));
            let mut hit = None;
            for rec in file {
                let rec = rec.map_err(file_error)?;
                if rec.fields().id == id {
                    let json = rec.json();
                    hit = Some((rec.into_summary().map_err(file_error)?, json));
                    break;
                }
            }
            hit
        }
        None => {
            let graph = ctx.graph().await?;
            let query = LogQuery {
                limit: Some(1),
                version: if args.beta {
                    ApiVersion::Beta
                } else {
                    ApiVersion::V1
                },
                ..Default::default()
            };
            // `id eq` is a documented filter; there is no documented GET by id.
            let mut req = query.to_request()?;
            let f = crate::graph::odata::Filter::eq(crate::graph::odata::LogField::Id, id)?;
            req.query
                .insert(0, ("$filter".into(), f.as_str().to_owned()));
            let mut s = logs::search_request(graph, req, Some(1));
            match s.next().await {
                Some(r) => {
                    let r = r?;
                    let raw = serde_json::to_value(&r).unwrap_or(Value::Null);
                    Some((r, raw))
                }
                None => None,
            }
        }
    };
    let Some((summary, raw)) = found else {
        let mut e = CliError::not_found(format!("no provisioning event has the id '{id}'"));
        e = match &args.file.file {
            Some(p) => e.hint(format!("{} holds no such event; check the id", p.display())),
            None => e.hint("logs are kept 30 days (7 without Entra ID P1/P2); `provctl logs search` lists the ids"),
        };
        return Err(e);
    };
    ctx.out.emit_text(&raw, |color| {
        render(&summary, color, crate::output::time::now())
    })?;
    Ok(())
}

/// The event as a page of text.
pub(crate) fn render(
    r: &ProvisioningObjectSummary,
    color: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let (b, b0) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let paint = |s: &str, res: Option<&ProvisioningResult>| -> String {
        if !color {
            return s.to_owned();
        }
        let code = match res {
            Some(ProvisioningResult::Success) => "32",
            Some(ProvisioningResult::Failure) => "31",
            Some(ProvisioningResult::Skipped | ProvisioningResult::Warning) => "33",
            _ => return s.to_owned(),
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    };
    let opt = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or("-").to_owned();
    let mut s = String::new();
    let status = r.status();
    let _ = writeln!(
        s,
        "{b}Event {}{b0}  {} {}",
        r.id,
        r.action()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_else(|| "-".into()),
        paint(status.map(|x| x.as_str()).unwrap_or("-"), status)
    );
    let _ = writeln!(
        s,
        "  When:       {}",
        crate::output::time::with_relative(r.activity_date_time, now)
    );
    if let Some(d) = r.duration_in_milliseconds {
        let _ = writeln!(s, "  Duration:   {d} ms");
    }
    let _ = writeln!(
        s,
        "  Source:     {}{}",
        identity_text(r.source_identity.as_ref()),
        type_of(r.source_identity.as_ref())
    );
    let _ = writeln!(
        s,
        "  Target:     {}{}",
        identity_text(r.target_identity.as_ref()),
        type_of(r.target_identity.as_ref())
    );
    let sys = |x: Option<&crate::graph::model::logs::ProvisioningSystem>| {
        opt(x.and_then(|x| x.display_name.as_deref()))
    };
    let _ = writeln!(
        s,
        "  Systems:    {} → {}",
        sys(r.source_system.as_ref()),
        sys(r.target_system.as_ref())
    );
    let sp = r.service_principal.as_ref();
    let _ = writeln!(
        s,
        "  Service principal: {} [{}]",
        opt(sp.and_then(|x| x.display_name.as_deref())),
        opt(sp.and_then(|x| x.id.as_deref()))
    );
    let _ = writeln!(s, "  Job:        {}", opt(r.job_id.as_deref()));
    let _ = writeln!(s, "  Cycle:      {}", opt(r.cycle_id.as_deref()));
    let _ = writeln!(
        s,
        "  Change:     {}  (quote this to support)",
        opt(r.change_id.as_deref())
    );
    if let Some(i) = &r.initiated_by {
        let _ = writeln!(s, "  Initiated by: {}", opt(i.display_name.as_deref()));
    }
    if let Some(e) = r.error() {
        let _ = writeln!(s, "\n{b}Error{b0}");
        let _ = writeln!(s, "  Code:       {}", opt(e.error_code.as_deref()));
        if let Some(c) = &e.error_category {
            let _ = writeln!(s, "  Category:   {}", c.as_str());
        }
        let _ = writeln!(s, "  Reason:     {}", opt(e.reason.as_deref()));
        if let Some(a) = e.additional_details.as_deref().filter(|x| !x.is_empty()) {
            let _ = writeln!(s, "  Details:    {a}");
        }
        if let Some(a) = e.recommended_action.as_deref().filter(|x| !x.is_empty()) {
            let _ = writeln!(s, "  Recommended: {a}");
        }
    } else if matches!(status, Some(ProvisioningResult::Skipped)) {
        let _ = writeln!(s, "\n{b}Why skipped{b0}\n  {}", why(r));
    }
    if !r.provisioning_steps.is_empty() {
        let _ = writeln!(s, "\n{b}Steps{b0}");
        let n = r.provisioning_steps.len();
        for (i, st) in r.provisioning_steps.iter().enumerate() {
            let last = i + 1 == n;
            let st_status = st.status.as_ref();
            let when = st
                .timestamp
                .map(|t| format!(" {}", crate::output::time::short(t)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} {}. {} ({}) {}{when}",
                if last { "└─" } else { "├─" },
                i + 1,
                opt(st.name.as_deref()),
                st.provisioning_step_type
                    .as_ref()
                    .map(|t| t.as_str())
                    .unwrap_or("-"),
                paint(st_status.map(|x| x.as_str()).unwrap_or("-"), st_status),
            );
            let bar = if last { "     " } else { "  │  " };
            if let Some(d) = st.description.as_deref().filter(|d| !d.is_empty()) {
                let _ = writeln!(s, "{bar}{d}");
            }
            for (k, v) in st.details.iter() {
                let _ = writeln!(s, "{bar}  {k}: {v}");
            }
        }
    }
    if !r.modified_properties.is_empty() {
        let _ = writeln!(s, "\n{b}Modified properties{b0}");
        let width = r
            .modified_properties
            .iter()
            .map(|m| m.display_name.as_deref().unwrap_or("").chars().count())
            .max()
            .unwrap_or(0);
        for m in &r.modified_properties {
            let old = m
                .old_value
                .as_deref()
                .map(|v| format!("'{v}'"))
                .unwrap_or_else(|| "(none)".into());
            let new = m
                .new_value
                .as_deref()
                .map(|v| format!("'{v}'"))
                .unwrap_or_else(|| "(none)".into());
            let _ = writeln!(
                s,
                "  {:width$}  {old} → {new}",
                m.display_name.as_deref().unwrap_or("-"),
            );
        }
    }
    if matches!(
        status,
        Some(ProvisioningResult::Failure | ProvisioningResult::Skipped)
    ) {
        let _ = writeln!(s, "\nNext: `provctl explain log {}`", r.id);
    }
    s
}

fn type_of(i: Option<&crate::graph::model::logs::ProvisionedIdentity>) -> String {
    i.and_then(|i| i.identity_type.as_deref())
        .filter(|t| !t.is_empty())
        .map(|t| format!(" ({t})"))
        .unwrap_or_default()
}
