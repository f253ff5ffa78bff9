//! Synchronization jobs: the Graph routes under `servicePrincipals/{id}/synchronization` and the
//! job simulation. State is computed lazily from elapsed time: an action (start/restart) begins a
//! run; for one cycle `GET job` shows `progress`, then the run completes with the tenant file's
//! scripted outcome (succeed, entry-level errors, quarantine) and a new `lastExecution`.

use super::server::{
    ApiError, ApiResult, ApiVersion, Perm, St, json_body, json_response, lock, no_content, require,
    throttle,
};
use super::tenant::{JobEntry, Tenant, default_schema, doc_id, fmt_time, sort_logs};
use super::throttle::Family;
use super::tokens::Claims;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Duration;

/// `synchronizationJobRestartScope` flag values.
const CONNECTOR_DATA_STORE: u32 = 1;
const ESCROWS: u32 = 2;
const WATERMARK: u32 = 4;
const QUARANTINE_STATE: u32 = 8;
const FULL: u32 = 15;
const FORCE_DELETES: u32 = 32;

/// Parse a `resetScope` string (`"Watermark, Escrows, QuarantineState"`); empty = the portal's restart.
pub(crate) fn parse_reset_scope(s: &str) -> Result<u32, ApiError> {
    if s.trim().is_empty() {
        return Ok(QUARANTINE_STATE | WATERMARK | ESCROWS);
    }
    let mut flags = 0;
    for name in s.split(',').map(str::trim) {
        flags |= match name.to_ascii_lowercase().as_str() {
            "none" => 0,
            "connectordatastore" => CONNECTOR_DATA_STORE,
            "escrows" => ESCROWS,
            "watermark" => WATERMARK,
            "quarantinestate" => QUARANTINE_STATE,
            "full" => FULL,
            "forcedeletes" => FORCE_DELETES,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid resetScope value '{name}'. Expected a comma-separated list of: None, ConnectorDataStore, Escrows, Watermark, QuarantineState, Full, ForceDeletes."
                )));
            }
        };
    }
    Ok(flags)
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(1))
}

fn status_mut(doc: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    if !doc["status"].is_object() {
        doc["status"] = json!({});
    }
    doc.get_mut("status").and_then(Value::as_object_mut)
}

/// What a completed run did (to write its provisioning log records).
pub(crate) struct RunReport {
    pub began: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub state: &'static str,
    pub exported: i64,
    pub escrowed: i64,
    pub cycle_id: String,
    pub run: usize,
}

/// Bring a job up to `now` and append the log records of a run that completed.
pub(crate) fn advance_job(
    t: &mut Tenant,
    sp_id: &str,
    job_index: usize,
    now: DateTime<Utc>,
    cycle: Duration,
) {
    let tenant_id = t.tenant_id.clone();
    let generated = t.generated_logs.is_some();
    let Some(sp) = t.sp_mut(sp_id) else {
        return;
    };
    let sp_name = sp.doc["displayName"].as_str().unwrap_or("").to_string();
    let Some(job) = sp.jobs.get_mut(job_index) else {
        return;
    };
    let Some(report) = advance(job, now, cycle) else {
        return;
    };
    if generated {
        return;
    }
    let job_id = doc_id(&job.doc).to_string();
    let template = job.doc["templateId"].as_str().unwrap_or("").to_string();
    let records = run_logs(&report, &tenant_id, sp_id, &sp_name, &job_id, &template);
    t.logs.extend(records);
    sort_logs(&mut t.logs);
}

/// Log records for a completed run: a few exports, or the escrowed failures.
fn run_logs(
    r: &RunReport,
    tenant_id: &str,
    sp_id: &str,
    sp_name: &str,
    job_id: &str,
    template: &str,
) -> Vec<Value> {
    let cloud_sync = template.starts_with("AD2AAD");
    let (src_sys, tgt_sys) = if cloud_sync {
        ("Active Directory", "Azure Active Directory")
    } else {
        ("Azure Active Directory", sp_name)
    };
    let kind = if cloud_sync { "user" } else { "User" };
    let mut out = Vec::new();
    let successes = if r.state == "Failed" {
        0
    } else {
        r.exported.min(3)
    };
    let failures = r.escrowed.min(3);
    for k in 0..(successes + failures) {
        let failed = k >= successes;
        let key = format!("{job_id}/{}/{k}", r.run);
        let name = format!("Sim User {}", (r.run * 7 + k as usize) % 100);
        let (status, error, export_status) = if failed {
            let (code, reason) = if cloud_sync {
                (
                    "InvalidDomain",
                    "The userPrincipalName suffix of the object is not a verified domain of the tenant.",
                )
            } else {
                (
                    "Timeout",
                    "The target system took too long to respond; the operation will be retried in 40 minutes.",
                )
            };
            (
                "failure",
                json!({"errorCode": code, "reason": reason, "additionalDetails": null, "errorCategory": "nonServiceFailure", "recommendedAction": null}),
                "failure",
            )
        } else {
            ("success", Value::Null, "success")
        };
        let at =
            r.began + (r.ended - r.began) * (k as i32 + 1) / ((successes + failures) as i32 + 1);
        out.push(json!({
            "id": super::generate::det_guid(&format!("log:{key}")),
            "activityDateTime": fmt_time(at),
            "tenantId": tenant_id,
            "jobId": job_id,
            "cycleId": r.cycle_id,
            "changeId": super::generate::det_guid(&format!("change:{key}")),
            "provisioningAction": "update",
            "durationInMilliseconds": 250 + 40 * k,
            "sourceSystem": {"id": super::generate::det_guid(src_sys), "displayName": src_sys, "details": {}},
            "targetSystem": {"id": super::generate::det_guid(tgt_sys), "displayName": tgt_sys, "details": {"ServicePrincipalId": sp_id, "ServicePrincipalDisplayName": sp_name}},
            "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
            "servicePrincipal": {"id": sp_id, "displayName": sp_name},
            "sourceIdentity": {"id": super::generate::det_guid(&format!("source:{name}")), "displayName": name, "identityType": kind, "details": {}},
            "targetIdentity": {"id": if failed { String::new() } else { super::generate::det_guid(&format!("target:{name}")) }, "displayName": if failed { "" } else { name.as_str() }, "identityType": kind, "details": {}},
            "provisioningStatusInfo": {"status": status, "errorInformation": error},
            "provisioningSteps": [
                {"name": "EntryImport", "provisioningStepType": "import", "status": "success", "description": format!("Retrieved {kind} '{name}' from {src_sys}"), "details": {}},
                {"name": "EntrySynchronizationScoping", "provisioningStepType": "scoping", "status": "success", "description": format!("Determine if {kind} in scope by evaluating against each scoping filter"), "details": {"Scoping filter evaluation passed": "True"}},
                {"name": "EntryExportUpdate", "provisioningStepType": "export", "status": export_status, "description": format!("{kind} '{name}' {} in {tgt_sys}", if failed { "could not be updated" } else { "was updated" }), "details": {"ReportableIdentifier": name}}
            ],
            "modifiedProperties": [{"displayName": "displayName", "oldValue": null, "newValue": name}]
        }));
    }
    out
}

/// Bring a job up to `now`: show progress while a run is under way, complete it afterwards.
pub(crate) fn advance(j: &mut JobEntry, now: DateTime<Utc>, cycle: Duration) -> Option<RunReport> {
    let began = j.running_since?;
    let cycle = chrono_dur(cycle);
    let end = began + cycle;
    let total: i64 = if j.full_cycle { 1200 } else { 40 };
    if now < end {
        let frac = (now - began).num_milliseconds() as f64 / cycle.num_milliseconds().max(1) as f64;
        let done = ((total as f64) * frac.clamp(0.0, 1.0)) as i64;
        if let Some(s) = status_mut(&mut j.doc) {
            s.insert(
                "progress".into(),
                json!([{"completedUnits": done, "totalUnits": total, "units": "Entries",
                        "progressObservationDateTime": fmt_time(now)}]),
            );
        }
        return None;
    }
    j.running_since = None;
    let mut outcome = j
        .script
        .get(j.runs_done)
        .or(j.script.last())
        .cloned()
        .unwrap_or_else(|| json!({"result": "succeed"}));
    j.runs_done += 1;
    let blocked_deletes = j
        .last_quarantine
        .as_ref()
        .is_some_and(|q| q["reason"] == "TooManyDeletes");
    if blocked_deletes && !j.force_deletes {
        let error = j
            .last_quarantine
            .as_ref()
            .map(|q| q["error"].clone())
            .unwrap_or(Value::Null);
        outcome = json!({"result": "quarantine", "reason": "TooManyDeletes", "error": error});
    }
    j.force_deletes = false;
    let result = outcome["result"].as_str().unwrap_or("succeed").to_string();
    let escrowed = outcome["escrowed"]
        .as_i64()
        .unwrap_or(if result == "entryLevelErrors" { 3 } else { 0 });
    let (imported, exported) = if j.full_cycle { (total, 35) } else { (12, 3) };
    j.full_cycle = false;
    let error = match result.as_str() {
        "quarantine" | "failed" => {
            let e = &outcome["error"];
            if e.is_object() {
                e.clone()
            } else {
                json!({"code": "InternalError", "message": "The provisioning run failed.", "tenantActionable": false})
            }
        }
        _ => Value::Null,
    };
    let state = match result.as_str() {
        "entryLevelErrors" => "EntryLevelErrors",
        "quarantine" | "failed" => "Failed",
        _ => "Succeeded",
    };
    let cycle_id = uuid::Uuid::new_v4().to_string();
    let report = RunReport {
        began,
        ended: end,
        state,
        exported: if state == "Failed" { 0 } else { exported },
        escrowed,
        cycle_id: cycle_id.clone(),
        run: j.runs_done,
    };
    let exec = json!({
        "activityIdentifier": cycle_id,
        "countEntitled": imported,
        "countEntitledForProvisioning": imported,
        "countEscrowed": escrowed,
        "countEscrowedRaw": escrowed,
        "countExported": if state == "Failed" { 0 } else { exported },
        "countExports": if state == "Failed" { 0 } else { exported },
        "countImported": imported,
        "countImportedDeltas": imported,
        "countImportedReferenceDeltas": 0,
        "error": error,
        "state": state,
        "timeBegan": fmt_time(began),
        "timeEnded": fmt_time(end),
    });
    let last_q = j.last_quarantine.clone();
    let doc_code = j.doc["status"]["code"].as_str().unwrap_or("").to_string();
    let Some(s) = status_mut(&mut j.doc) else {
        return Some(report);
    };
    s.insert("progress".into(), json!([]));
    s.insert("lastExecution".into(), exec.clone());
    match state {
        "Failed" => {
            let failures = s
                .get("countSuccessiveCompleteFailures")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            s.insert(
                "countSuccessiveCompleteFailures".into(),
                json!(failures + 1),
            );
            if result == "quarantine" {
                let series_began = last_q
                    .as_ref()
                    .and_then(|q| q["seriesBegan"].as_str())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| fmt_time(end));
                let series_count = last_q
                    .as_ref()
                    .and_then(|q| q["seriesCount"].as_i64())
                    .map(|c| c + 1)
                    .unwrap_or(1);
                let backoff_hours = match series_count {
                    1 => 6,
                    2 => 12,
                    _ => 24,
                };
                let q = json!({
                    "currentBegan": fmt_time(end),
                    "nextAttempt": fmt_time(end + chrono::Duration::hours(backoff_hours)),
                    "reason": outcome["reason"].as_str().unwrap_or("EncounteredQuarantineException"),
                    "seriesBegan": series_began,
                    "seriesCount": series_count,
                    "error": error,
                });
                s.insert("quarantine".into(), q.clone());
                s.insert("code".into(), json!("Quarantine"));
                j.last_quarantine = Some(q);
            } else if doc_code != "Paused" {
                s.insert("code".into(), json!("Active"));
            }
        }
        _ => {
            s.insert("countSuccessiveCompleteFailures".into(), json!(0));
            s.insert("quarantine".into(), Value::Null);
            s.insert("code".into(), json!("Active"));
            if state == "Succeeded" {
                s.insert("lastSuccessfulExecution".into(), exec.clone());
                s.insert("lastSuccessfulExecutionWithExports".into(), exec);
                let never = s
                    .get("steadyStateFirstAchievedTime")
                    .and_then(Value::as_str)
                    .is_none_or(|t| t.starts_with("0001"));
                if never {
                    s.insert("steadyStateFirstAchievedTime".into(), json!(fmt_time(end)));
                }
                s.insert("steadyStateLastAchievedTime".into(), json!(fmt_time(end)));
            }
            j.last_quarantine = None;
        }
    }
    Some(report)
}

fn set_schedule_state(doc: &mut Value, state: &str) {
    if !doc["schedule"].is_object() {
        doc["schedule"] = json!({"expiration": null, "interval": "PT40M", "state": state});
    } else {
        doc["schedule"]["state"] = json!(state);
    }
}

fn lift_quarantine(j: &mut JobEntry) {
    if let Some(s) = status_mut(&mut j.doc) {
        if s.get("code").and_then(Value::as_str) == Some("Quarantine") {
            s.insert("code".into(), json!("Active"));
        }
        s.insert("quarantine".into(), Value::Null);
    }
}

/// `POST .../start`: resume a paused job, clear a quarantine, begin a run.
pub(crate) fn start(j: &mut JobEntry, now: DateTime<Utc>) {
    let code = j.doc["status"]["code"].as_str().unwrap_or("").to_string();
    if code == "Quarantine" {
        lift_quarantine(j);
        if j.last_quarantine
            .as_ref()
            .is_some_and(|q| q["reason"] == "TooManyDeletes")
        {
            // start lifts the quarantine, but the blocked deletes still need ForceDeletes.
        } else {
            j.last_quarantine = None;
        }
    }
    if code == "Paused"
        && let Some(s) = status_mut(&mut j.doc)
    {
        s.insert("code".into(), json!("Active"));
    }
    set_schedule_state(&mut j.doc, "Active");
    if j.running_since.is_none() {
        j.running_since = Some(now);
    }
}

/// `POST .../pause`
pub(crate) fn pause(j: &mut JobEntry) {
    j.running_since = None;
    set_schedule_state(&mut j.doc, "Paused");
    if let Some(s) = status_mut(&mut j.doc) {
        s.insert("code".into(), json!("Paused"));
        s.insert("progress".into(), json!([]));
    }
}

/// `POST .../restart` with the given reset-scope flags.
pub(crate) fn restart(j: &mut JobEntry, flags: u32, now: DateTime<Utc>) {
    if flags & ESCROWS != 0 {
        for key in ["lastExecution", "lastSuccessfulExecution"] {
            if let Some(exec) = j.doc["status"].get_mut(key).filter(|e| e.is_object()) {
                exec["countEscrowed"] = json!(0);
                exec["countEscrowedRaw"] = json!(0);
            }
        }
    }
    if flags & (WATERMARK | CONNECTOR_DATA_STORE) != 0 {
        j.full_cycle = true;
    }
    if flags & FORCE_DELETES != 0 {
        j.force_deletes = true;
        let too_many = j.doc["status"]["quarantine"]["reason"] == "TooManyDeletes";
        if too_many {
            lift_quarantine(j);
        }
    }
    if flags & QUARANTINE_STATE != 0 {
        lift_quarantine(j);
    }
    if j.doc["status"]["code"] == "Paused"
        && let Some(s) = status_mut(&mut j.doc)
    {
        s.insert("code".into(), json!("Active"));
    }
    set_schedule_state(&mut j.doc, "Active");
    j.running_since = Some(now);
}

fn jobs_context(ver: ApiVersion, sp: &str, entity: bool) -> String {
    ver.context(&format!(
        "servicePrincipals('{sp}')/synchronization/jobs{}",
        if entity { "/$entity" } else { "" }
    ))
}

/// Run `f` on one job after bringing it up to date; 404s for unknown ids.
fn with_job<R>(
    st: &St,
    sp_id: &str,
    job_id: &str,
    f: impl FnOnce(&mut JobEntry, DateTime<Utc>) -> R,
) -> Result<R, ApiError> {
    let now = Utc::now();
    let mut t = lock(&st.tenant);
    let sp = t.sp(sp_id).ok_or_else(|| ApiError::not_found(sp_id))?;
    let index = sp
        .jobs
        .iter()
        .position(|j| doc_id(&j.doc) == job_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("The synchronization job '{job_id}' was not found on service principal '{sp_id}'."),
            )
        })?;
    advance_job(&mut t, sp_id, index, now, st.cycle);
    let job = t
        .sp_mut(sp_id)
        .and_then(|sp| sp.jobs.get_mut(index))
        .ok_or_else(|| ApiError::not_found(job_id))?;
    Ok(f(job, now))
}

/// `GET .../synchronization/jobs`
pub(crate) async fn list_jobs(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(sp_id): Path<String>,
) -> ApiResult {
    require(&claims, Perm::JobsRead)?;
    throttle(&st, Family::General)?;
    let now = Utc::now();
    let mut t = lock(&st.tenant);
    let count = t
        .sp(&sp_id)
        .ok_or_else(|| ApiError::not_found(&sp_id))?
        .jobs
        .len();
    for index in 0..count {
        advance_job(&mut t, &sp_id, index, now, st.cycle);
    }
    let docs: Vec<Value> = t
        .sp(&sp_id)
        .map(|sp| sp.jobs.iter().map(|j| j.doc.clone()).collect())
        .unwrap_or_default();
    Ok(json_response(
        StatusCode::OK,
        &json!({"@odata.context": jobs_context(ver, &sp_id, false), "value": docs}),
    ))
}

/// `GET .../synchronization/jobs/{jobId}`
pub(crate) async fn get_job(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path((sp_id, job_id)): Path<(String, String)>,
) -> ApiResult {
    require(&claims, Perm::JobsRead)?;
    throttle(&st, Family::General)?;
    let doc = with_job(&st, &sp_id, &job_id, |j, _| j.doc.clone())?;
    let mut out = json!({"@odata.context": jobs_context(ver, &sp_id, true)});
    if let (Some(o), Some(d)) = (out.as_object_mut(), doc.as_object()) {
        o.extend(d.clone());
    }
    Ok(json_response(StatusCode::OK, &out))
}

/// `GET .../jobs/{jobId}/schema`
pub(crate) async fn get_schema(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path((sp_id, job_id, action)): Path<(String, String, String)>,
) -> ApiResult {
    if action != "schema" {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("GET is not supported on '{action}'."),
        ));
    }
    require(&claims, Perm::JobsRead)?;
    throttle(&st, Family::General)?;
    let schema = with_job(&st, &sp_id, &job_id, |j, _| {
        j.schema.clone().unwrap_or_else(|| default_schema(&j.doc))
    })?;
    let mut out = json!({"@odata.context": ver.context(&format!("servicePrincipals('{sp_id}')/synchronization/jobs('{job_id}')/schema/$entity"))});
    if let (Some(o), Some(d)) = (out.as_object_mut(), schema.as_object()) {
        o.extend(d.clone());
    }
    Ok(json_response(StatusCode::OK, &out))
}

/// The operators scoping filters support, as `filterOperators` lists them: the names Microsoft's
/// scoping-filter page documents, in the spellings Graph's schemas use.
pub(crate) fn filter_operator_list() -> Value {
    let op = |name: &str, arity: &str, types: &[&str]| json!({"name": name, "arity": arity, "multivaluedComparisonType": "All", "supportedAttributeTypes": types});
    let text = &["String", "Integer", "Reference", "Binary"];
    json!([
        op("EQUALS", "Binary", text),
        op("NOT EQUALS", "Binary", text),
        op("IS TRUE", "Unary", &["Boolean"]),
        op("IS FALSE", "Unary", &["Boolean"]),
        op(
            "IS NULL",
            "Unary",
            &["String", "Integer", "Boolean", "Reference", "Binary"]
        ),
        op(
            "IS NOT NULL",
            "Unary",
            &["String", "Integer", "Boolean", "Reference", "Binary"]
        ),
        op("REGEX MATCH", "Binary", &["String"]),
        op("NOT REGEX MATCH", "Binary", &["String"]),
        op("Greater_Than", "Binary", &["Integer"]),
        op("Greater_Than_OR_EQUALS", "Binary", &["Integer"]),
        op("Includes", "Binary", &["String"]),
        op("ENDS_WITH", "Binary", &["String"]),
        op("&", "Binary", &["Integer"]),
        op("!&", "Binary", &["Integer"]),
    ])
}

/// `GET .../jobs/{jobId}/schema/filterOperators` (Synchronization.ReadWrite.All, as documented).
pub(crate) async fn filter_operators(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path((sp_id, job_id)): Path<(String, String)>,
) -> ApiResult {
    require(&claims, Perm::JobsWrite)?;
    throttle(&st, Family::General)?;
    with_job(&st, &sp_id, &job_id, |_, _| ())?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"@odata.context": ver.context("Collection(microsoft.graph.filterOperatorSchema)"), "value": filter_operator_list()}),
    ))
}

/// `POST .../jobs/{jobId}/{start|pause|restart|provisionOnDemand|validateCredentials}`
pub(crate) async fn job_action(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path((sp_id, job_id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    match action.as_str() {
        "start" | "pause" | "restart" | "validateCredentials" => {
            require(&claims, Perm::JobsWrite)?;
            throttle(&st, Family::General)?;
        }
        "provisionOnDemand" => {
            require(&claims, Perm::JobsWrite)?;
            throttle(&st, Family::ProvisionOnDemand)?;
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "Resource not found for the segment '{other}'."
            )));
        }
    }
    if matches!(action.as_str(), "start" | "pause" | "restart")
        && let Some(e) = with_job(&st, &sp_id, &job_id, |j, _| j.action_error.clone())?
    {
        return Err(scripted_action_error(&e));
    }
    match action.as_str() {
        "start" => {
            with_job(&st, &sp_id, &job_id, start)?;
            Ok(no_content())
        }
        "pause" => {
            with_job(&st, &sp_id, &job_id, |j, _| pause(j))?;
            Ok(no_content())
        }
        "restart" => {
            let v = json_body(&headers, &body, false)?;
            let scope = match &v["criteria"]["resetScope"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid resetScope value {other}; expected a string such as \"Watermark, Escrows, QuarantineState\"."
                    )));
                }
            };
            let flags = parse_reset_scope(&scope)?;
            with_job(&st, &sp_id, &job_id, |j, now| restart(j, flags, now))?;
            Ok(no_content())
        }
        "validateCredentials" => {
            json_body(&headers, &body, false)?;
            let valid = with_job(&st, &sp_id, &job_id, |j, _| j.credentials_valid)?;
            if valid {
                Ok(no_content())
            } else {
                Err(invalid_credentials())
            }
        }
        _ => {
            let v = json_body(&headers, &body, true)?;
            let (cloud_sync, template) = with_job(&st, &sp_id, &job_id, |j, _| {
                let t = j.doc["templateId"].as_str().unwrap_or("").to_string();
                (t.starts_with("AD2AAD"), t)
            })?;
            provision_on_demand(&v, ver, cloud_sync, &template)
        }
    }
}

/// The tenant file's `actionError` of a job (`{"status": 409, "code": "...", "message": "..."}`)
/// as the Graph error envelope; a status that is no HTTP error is read as 400.
fn scripted_action_error(e: &Value) -> ApiError {
    let status = e["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::BAD_REQUEST);
    ApiError::new(
        status,
        e["code"].as_str().unwrap_or("BadRequest"),
        e["message"]
            .as_str()
            .unwrap_or("The job cannot take this action now."),
    )
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "CredentialValidationUnavailable",
        "Could not validate the credentials: the target application rejected them. Verify the admin credentials (user name, password, secret token, tenant URL).",
    )
}

/// `POST .../jobs/validateCredentials` (bound to the collection)
pub(crate) async fn validate_credentials_collection(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Path(sp_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require(&claims, Perm::JobsWrite)?;
    throttle(&st, Family::General)?;
    json_body(&headers, &body, false)?;
    let t = lock(&st.tenant);
    let sp = t.sp(&sp_id).ok_or_else(|| ApiError::not_found(&sp_id))?;
    if sp.jobs.iter().all(|j| j.credentials_valid) {
        Ok(no_content())
    } else {
        Err(invalid_credentials())
    }
}

fn provision_on_demand(
    body: &Value,
    ver: ApiVersion,
    cloud_sync: bool,
    template: &str,
) -> ApiResult {
    let subject = body
        .pointer("/parameters/0/subjects/0")
        .filter(|s| s.is_object())
        .ok_or_else(|| {
            ApiError::bad_request(
                "The request must contain parameters[0].subjects[0] with objectId and objectTypeName.",
            )
        })?;
    if body
        .pointer("/parameters/0/ruleId")
        .and_then(Value::as_str)
        .is_none()
    {
        return Err(ApiError::bad_request("parameters[0].ruleId is required."));
    }
    let object_id = subject["objectId"].as_str().unwrap_or("");
    let type_name = subject["objectTypeName"].as_str().unwrap_or("");
    if object_id.is_empty() || type_name.is_empty() {
        return Err(ApiError::bad_request(
            "Each subject needs objectId and objectTypeName.",
        ));
    }
    let now = Utc::now();
    let ts = format!(
        "{}.{:07}Z",
        now.format("%Y-%m-%dT%H:%M:%S"),
        now.timestamp_subsec_nanos() / 100
    );
    let change_id = uuid::Uuid::new_v4().to_string();
    if template.starts_with("Azure2Azure") {
        // Cross-tenant synchronization answers with a type name in `key` and a JSON array of
        // records in `value` (Entra docs, "Configure cross-tenant synchronization using Microsoft
        // Graph", step "Test provision on demand").
        let value = json!([{
            "provisioningSteps": [
                {"name": "EntryImport", "type": "Import", "status": "Success",
                 "description": format!("Retrieved {type_name} '{object_id}' from Azure Active Directory"),
                 "timestamp": ts, "details": {"objectId": object_id}},
                {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
                 "description": format!("Determine if {type_name} in scope by evaluating against each scoping filter"),
                 "timestamp": ts, "details": {"Scoping filter evaluation passed": "True"}},
                {"name": "EntryExportUpdate", "type": "Export", "status": "Success",
                 "description": format!("{type_name} '{object_id}' was updated in Azure Active Directory (target tenant)"),
                 "timestamp": ts, "details": {}}
            ]
        }]);
        return Ok(json_response(
            StatusCode::OK,
            &json!({
                "@odata.context": ver.context("microsoft.graph.stringKeyStringValuePair"),
                "key": "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo",
                "value": value.to_string(),
            }),
        ));
    }
    let (key, value) = if type_name.eq_ignore_ascii_case("group") {
        (
            json!({"result": "Success", "details": {}}),
            "{}".to_string(),
        )
    } else if cloud_sync {
        let source_guid = super::generate::det_guid(&format!("source:{object_id}"));
        let target_id = super::generate::det_guid(&format!("target:{object_id}"));
        let cn = object_id
            .split(',')
            .next()
            .and_then(|c| c.strip_prefix("CN="))
            .unwrap_or(object_id);
        let value = json!({
            "provisioningSteps": [
                {"name": "EntryImportAdd", "type": "Import", "status": "Success",
                 "description": format!("Received {type_name} '{cn}' change of type (Add) from Active Directory"),
                 "timestamp": ts, "details": {"distinguishedName": object_id}},
                {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
                 "description": format!("Determine if {type_name} in scope by evaluating against each scoping filter"),
                 "timestamp": ts, "details": {"Scoping filter evaluation passed": "True", "ScopeEvaluationResult": "{}"}},
                {"name": "EntryExportUpdate", "type": "Export", "status": "Success",
                 "description": format!("{type_name} '{cn}' was updated in Azure Active Directory"),
                 "timestamp": ts, "details": {"ReportableIdentifier": cn}}
            ],
            "action": "Update",
            "changeId": change_id,
            "startTime": ts, "endTime": ts,
            "modifiedProperties": [{"displayName": "displayName", "oldValue": null, "newValue": cn}],
            "reportableIdentifier": cn,
            "statusInfo": {"status": "Success", "errorCode": null, "reason": null, "additionalDetails": null, "errorCategory": null, "recommendedAction": null},
            "sourceIdentity": {"id": source_guid, "type": type_name, "displayName": null, "details": null},
            "sourceSystem": {"id": null, "name": "Active Directory", "details": null},
            "targetIdentity": {"id": target_id, "type": "User", "displayName": null, "details": null},
            "targetSystem": {"id": null, "name": "Azure Active Directory", "details": null}
        });
        (
            json!({"result": "Success", "details": {}}),
            value.to_string(),
        )
    } else {
        let target_id = super::generate::det_guid(&format!("target:{object_id}"));
        let value = json!({
            "action": "Other",
            "changeId": change_id,
            "endTime": ts,
            "modifiedProperties": [{"displayName": "objectId", "oldValue": null, "newValue": object_id}],
            "provisioningSteps": [
                {"name": "EntryImport", "type": "Import", "status": "Success",
                 "description": format!("Retrieved {type_name} '{object_id}' from Azure Active Directory"),
                 "timestamp": ts, "details": {"objectId": object_id}},
                {"name": "EntryImport", "type": "Matching", "status": "Success",
                 "description": format!("Retrieved  '{object_id}' from {template}"),
                 "timestamp": ts, "details": {"id": target_id}},
                {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
                 "description": format!("Determine if {type_name} in scope by evaluating against each scoping filter"),
                 "timestamp": ts, "details": {"IsActive": "True", "Assigned": "True", "IsEffectivelyEntitledForProvisioning": "True", "IsInProvisioningScopeDisplayName": "True", "ScopeEvaluationResult": "{}"}},
                {"name": "EntrySynchronizationSkip", "type": "Export", "status": "Skipped",
                 "description": format!("The state of the user in both the source and target systems already match. No change to the {type_name} '{object_id}' currently needs to be made."),
                 "timestamp": ts, "details": {"SkipReason": "RedundantExport"}}
            ],
            "reportableIdentifier": object_id,
            "startTime": ts,
            "statusInfo": {"status": "Skipped", "errorCode": null, "reason": null, "additionalDetails": null, "errorCategory": null, "recommendedAction": null},
            "sourceIdentity": {"id": object_id, "type": type_name, "displayName": null, "details": null},
            "sourceSystem": {"id": null, "name": "Azure Active Directory", "details": null},
            "targetIdentity": {"id": target_id, "type": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "displayName": null, "details": null},
            "targetSystem": {"id": null, "name": template, "details": null}
        });
        (
            json!({"result": "Skipped", "details": {"errorCode": "RedundantExport", "errorMessage": "The state of the user in both the source and target systems already match."}}),
            value.to_string(),
        )
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": ver.context("microsoft.graph.stringKeyStringValuePair"),
            "key": key.to_string(),
            "value": value,
        }),
    ))
}

/// `GET .../synchronization/secrets`
pub(crate) async fn get_secrets(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Extension(ver): Extension<ApiVersion>,
    Path(sp_id): Path<String>,
) -> ApiResult {
    require(&claims, Perm::JobsWrite)?;
    throttle(&st, Family::General)?;
    let t = lock(&st.tenant);
    let sp = t.sp(&sp_id).ok_or_else(|| ApiError::not_found(&sp_id))?;
    let value: Vec<Value> = sp.secrets.iter().map(masked_secret).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": ver.context(&format!("servicePrincipals('{sp_id}')/synchronization/secrets")),
            "value": value,
        }),
    ))
}

/// Keys whose values Graph reads back as `"*"`: the credentials (settings such as
/// `SyncNotificationSettings`, `BaseAddress` or `Domain` are returned as stored).
const SENSITIVE_SECRETS: &[&str] = &[
    "Password",
    "SecretToken",
    "AppKey",
    "ClientSecret",
    "ConsumerSecret",
    "TokenKey",
    "Oauth2AccessToken",
    "Oauth2RefreshToken",
    "Oauth2ClientSecret",
    "Oauth2AuthorizationCode",
    "ConnectionString",
];

/// A stored secret as GET returns it: a sensitive, non-empty value becomes `"*"`.
fn masked_secret(item: &Value) -> Value {
    let sensitive = item["key"]
        .as_str()
        .is_some_and(|k| SENSITIVE_SECRETS.iter().any(|s| s.eq_ignore_ascii_case(k)));
    let has_value = item["value"].as_str().is_some_and(|v| !v.is_empty());
    if sensitive && has_value {
        let mut masked = item.clone();
        masked["value"] = Value::from("*");
        masked
    } else {
        item.clone()
    }
}

/// `PUT .../synchronization/secrets` (replaces them all)
pub(crate) async fn put_secrets(
    State(st): State<St>,
    Extension(claims): Extension<Claims>,
    Path(sp_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require(&claims, Perm::JobsWrite)?;
    throttle(&st, Family::General)?;
    let v = json_body(&headers, &body, true)?;
    let items = v["value"].as_array().ok_or_else(|| {
        ApiError::bad_request("The body must be {\"value\":[{\"key\":...,\"value\":...}]}.")
    })?;
    for item in items {
        if item["key"].as_str().is_none() {
            return Err(ApiError::bad_request(format!(
                "Each secret needs a string `key`; got {item}."
            )));
        }
    }
    let mut t = lock(&st.tenant);
    let sp = t
        .sp_mut(&sp_id)
        .ok_or_else(|| ApiError::not_found(&sp_id))?;
    sp.secrets = items.clone();
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_scope_accepts_both_joiners_and_names_bad_values() {
        assert_eq!(
            parse_reset_scope("Watermark, Escrows, QuarantineState").ok(),
            Some(14)
        );
        assert_eq!(parse_reset_scope("Escrows,Watermark").ok(), Some(6));
        assert_eq!(parse_reset_scope("").ok(), Some(14));
        assert_eq!(parse_reset_scope("Full").ok(), Some(15));
        assert_eq!(parse_reset_scope("ForceDeletes").ok(), Some(32));
        let err = parse_reset_scope("Watermark, Bogus").unwrap_err();
        assert!(err.message.contains("'Bogus'"), "{}", err.message);
    }
}
