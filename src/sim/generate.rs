//! Large generated tenants (`--generate sps=5000,jobs=800,logs=1000000,seed=7`), built
//! deterministically from the seed. Service principals and jobs are ordinary documents; logs are
//! never stored: record `i` (newest first, spread over 30 days) is computed from its index when a
//! page is served and written straight into the output buffer, and time-range filters become an
//! index range by binary search.

use super::SimError;
use super::odata::{FieldVal, Record, TimeBounds};
use super::tenant::{JobEntry, ServicePrincipal, fmt_time};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use std::borrow::Cow;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSpec {
    /// Number of service principals.
    pub sps: usize,
    /// Number of them that carry a synchronization job (one each).
    pub jobs: usize,
    /// Number of provisioning log records.
    pub logs: u64,
    /// Seed for every generated id and outcome.
    pub seed: u64,
}

impl Default for GenerateSpec {
    fn default() -> Self {
        Self {
            sps: 100,
            jobs: 20,
            logs: 10_000,
            seed: 1,
        }
    }
}

impl std::str::FromStr for GenerateSpec {
    type Err = SimError;
    fn from_str(s: &str) -> Result<Self, SimError> {
        const ACCEPTED: &str = "sps=N, jobs=N (<= sps), logs=N, seed=N";
        let mut spec = GenerateSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(SimError::Spec(format!(
                    "--generate: `{part}` is not name=value; accepted: {ACCEPTED}"
                )));
            };
            let n: u64 = value.trim().replace('_', "").parse().map_err(|_| {
                SimError::Spec(format!(
                    "--generate: {name}=`{value}` is not a non-negative integer"
                ))
            })?;
            match name.trim() {
                "sps" => spec.sps = n as usize,
                "jobs" => spec.jobs = n as usize,
                "logs" => spec.logs = n,
                "seed" => spec.seed = n,
                other => {
                    return Err(SimError::Spec(format!(
                        "--generate: unknown key `{other}`; accepted: {ACCEPTED}"
                    )));
                }
            }
        }
        if spec.jobs > spec.sps {
            return Err(SimError::Spec(format!(
                "--generate: jobs={} is more than sps={}; each job needs its own service principal",
                spec.jobs, spec.sps
            )));
        }
        Ok(spec)
    }
}

/// Generated logs: the spec, the instant record 0 happened, and per-service-principal strings
/// computed once so a record costs a few small writes.
#[derive(Debug, Clone)]
pub(crate) struct GenLogs {
    pub spec: GenerateSpec,
    pub anchor_ms: i64,
    sps: std::sync::Arc<Vec<GenSp>>,
}

#[derive(Debug)]
struct GenSp {
    id: String,
    name: String,
    job_id: String,
    app_id: String,
    source_system_id: String,
    target_system_id: String,
    cloud_sync: bool,
}

impl GenLogs {
    /// Prepare generated logs for a tenant.
    pub fn new(spec: &GenerateSpec, tenant_id: &str, anchor_ms: i64) -> Self {
        let tenant32 = tenant_id.replace('-', "");
        let n = if spec.jobs > 0 {
            spec.jobs
        } else {
            spec.sps.max(1)
        };
        let sps = (0..n)
            .map(|k| GenSp {
                id: guid(spec.seed, 1, k as u64),
                name: sp_name(k),
                job_id: job_id(spec.seed, &tenant32, k),
                app_id: guid(spec.seed, 2, k as u64),
                source_system_id: guid(spec.seed, 16, k as u64),
                target_system_id: guid(spec.seed, 17, k as u64),
                cloud_sync: is_cloud_sync(k),
            })
            .collect();
        Self {
            spec: spec.clone(),
            anchor_ms,
            sps: std::sync::Arc::new(sps),
        }
    }
}

const SPAN_MS: i64 = 30 * 86_400 * 1000;
const CLOUD_SYNC_TEMPLATE: &str = "1a4721b3-e57f-4451-ae87-ef078703ec94";

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn h(seed: u64, kind: u64, i: u64) -> u64 {
    mix(seed ^ mix(kind.wrapping_mul(0x1000_0001) ^ mix(i)))
}

fn guid(seed: u64, kind: u64, i: u64) -> String {
    let mut s = String::with_capacity(36);
    write_guid(&mut s, seed, kind, i);
    s
}

/// A GUID-shaped id derived deterministically from a string.
pub(crate) fn det_guid(s: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    guid(hash, 99, 0)
}

fn is_cloud_sync(k: usize) -> bool {
    k.is_multiple_of(4)
}

fn sp_name(k: usize) -> String {
    if is_cloud_sync(k) {
        format!("corp{k}.contoso.com")
    } else {
        format!("Contoso App {k}")
    }
}

fn job_id(seed: u64, tenant32: &str, k: usize) -> String {
    let template = if is_cloud_sync(k) {
        "AD2AADProvisioning"
    } else {
        "scim"
    };
    format!("{template}.{tenant32}.{}", guid(seed, 3, k as u64))
}

/// The generated service principals (the first `jobs` with one job each).
pub(crate) fn service_principals(
    spec: &GenerateSpec,
    tenant_id: &str,
    now: DateTime<Utc>,
) -> Vec<ServicePrincipal> {
    let tenant32 = tenant_id.replace('-', "");
    (0..spec.sps)
        .map(|k| {
            let id = guid(spec.seed, 1, k as u64);
            let cloud = is_cloud_sync(k);
            let doc = json!({
                "id": id,
                "accountEnabled": true,
                "appId": guid(spec.seed, 2, k as u64),
                "appDisplayName": sp_name(k),
                "applicationTemplateId": if cloud { json!(CLOUD_SYNC_TEMPLATE) } else if k % 3 == 0 { json!(null) } else { json!("8adf8e6e-67b2-4cf2-a259-e3dc5476c621") },
                "displayName": sp_name(k),
                "servicePrincipalType": "Application",
                "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            });
            let mut jobs = Vec::new();
            if k < spec.jobs {
                jobs.push(generated_job(spec, &tenant32, k, now));
            }
            ServicePrincipal {
                doc,
                jobs,
                secrets: Vec::new(),
                app_role_assigned_to: Vec::new(),
            }
        })
        .collect()
}

fn generated_job(spec: &GenerateSpec, tenant32: &str, k: usize, now: DateTime<Utc>) -> JobEntry {
    let id = job_id(spec.seed, tenant32, k);
    let template = id.split('.').next().unwrap_or("scim").to_string();
    let began = now - chrono::Duration::minutes(20 + (k % 30) as i64);
    let ended = began + chrono::Duration::minutes(3);
    let variant = h(spec.seed, 4, k as u64) % 10;
    let exec = |state: &str, escrowed: i64, error: serde_json::Value| {
        json!({"activityIdentifier": guid(spec.seed, 5, k as u64), "countEntitled": 500, "countEntitledForProvisioning": 500,
               "countEscrowed": escrowed, "countEscrowedRaw": escrowed, "countExported": 12, "countExports": 12,
               "countImported": 500, "countImportedDeltas": 20, "countImportedReferenceDeltas": 0,
               "error": error, "state": state, "timeBegan": fmt_time(began), "timeEnded": fmt_time(ended)})
    };
    let ok = exec("Succeeded", 0, json!(null));
    let (code, schedule, last, quarantine, script) = match variant {
        6 => {
            let err = json!({"code": "SalesforceInvalidCredentials", "message": "Your credentials are invalid.", "tenantActionable": true});
            (
                "Quarantine",
                "Active",
                exec("Failed", 0, err.clone()),
                json!({"currentBegan": fmt_time(ended), "nextAttempt": fmt_time(ended + chrono::Duration::hours(6)),
                       "reason": "EncounteredQuarantineException", "seriesBegan": fmt_time(ended - chrono::Duration::days(1)),
                       "seriesCount": 2, "error": err}),
                vec![json!({"result": "succeed"})],
            )
        }
        7 => ("Paused", "Paused", ok.clone(), json!(null), vec![]),
        8 => ("NotRun", "Active", json!(null), json!(null), vec![]),
        9 => (
            "Active",
            "Active",
            exec("EntryLevelErrors", 7, json!(null)),
            json!(null),
            vec![json!({"result": "entryLevelErrors", "escrowed": 7})],
        ),
        _ => ("Active", "Active", ok.clone(), json!(null), vec![]),
    };
    let doc = json!({
        "id": id,
        "templateId": template,
        "schedule": {"expiration": null, "interval": "PT40M", "state": schedule},
        "status": {
            "code": code,
            "countSuccessiveCompleteFailures": if code == "Quarantine" { 2 } else { 0 },
            "escrowsPruned": false,
            "lastExecution": last,
            "lastSuccessfulExecution": if code == "NotRun" { json!(null) } else { ok.clone() },
            "lastSuccessfulExecutionWithExports": if code == "NotRun" { json!(null) } else { ok },
            "progress": [],
            "quarantine": quarantine,
            "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
            "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z",
            "synchronizedEntryCountByType": [{"key": "user to User", "value": 480}, {"key": "group to Group", "value": 20}],
            "troubleshootingUrl": null
        },
        "synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]
    });
    JobEntry {
        last_quarantine: doc
            .pointer("/status/quarantine")
            .filter(|q| !q.is_null())
            .cloned(),
        doc,
        script,
        runs_done: 0,
        credentials_valid: variant != 6,
        schema: None,
        running_since: None,
        full_cycle: false,
        force_deletes: false,
        action_error: None,
    }
}

impl GenLogs {
    /// Record `i`'s time in whole seconds (non-increasing in `i`).
    fn time_secs(&self, i: u64) -> i64 {
        let step = (SPAN_MS / (self.spec.logs.max(1) as i64)).max(1);
        (self.anchor_ms - (i as i64) * step).div_euclid(1000)
    }
}

impl GenLogs {
    /// Number of service principals the records cycle through (record `i` belongs to `i % n`).
    pub fn sp_count(&self) -> u64 {
        self.sps.len().max(1) as u64
    }

    /// The service principal index whose records carry this job id / service principal id.
    pub fn sp_index_of(&self, job_id: Option<&str>, sp_id: Option<&str>) -> Option<usize> {
        self.sps
            .iter()
            .position(|s| job_id.is_none_or(|j| s.job_id == j) && sp_id.is_none_or(|id| s.id == id))
    }
}

/// The index range `[lo, hi)` of records that can match the time bounds.
pub(crate) fn index_range(g: &GenLogs, bounds: Option<TimeBounds>) -> (u64, u64) {
    let n = g.spec.logs;
    let Some(b) = bounds else {
        return (0, n);
    };
    // First index whose time no longer satisfies "t <= hi" is irrelevant: times fall with i,
    // so "t <= hi" holds from some index on, and "t >= lo" holds up to some index.
    let first = |pred: &dyn Fn(i64) -> bool| -> u64 {
        // smallest i in [0, n) with pred(time(i)), pred monotone false→true; n if none
        let (mut a, mut z) = (0u64, n);
        while a < z {
            let m = a + (z - a) / 2;
            if pred(g.time_secs(m)) {
                z = m;
            } else {
                a = m + 1;
            }
        }
        a
    };
    let lo = match b.hi {
        None => 0,
        Some((h, incl)) => {
            let h = h.timestamp();
            let hfrac =
                b.hi.map(|(t, _)| t.timestamp_subsec_nanos() > 0)
                    .unwrap_or(false);
            first(&|t| if incl || hfrac { t <= h } else { t < h })
        }
    };
    let hi = match b.lo {
        None => n,
        Some((l, incl)) => {
            let lsec = l.timestamp();
            let lfrac = l.timestamp_subsec_nanos() > 0;
            // records with t > l (or >=): first index where that fails
            first(&|t| if incl && !lfrac { t < lsec } else { t <= lsec })
        }
    };
    (lo, hi.max(lo))
}

/// One generated record.
pub(crate) struct GenLog<'a> {
    i: u64,
    seed: u64,
    tenant_id: &'a str,
    time: i64,
    sp_index: usize,
    sp: &'a GenSp,
    roll: u64,
    /// How many jobs the records go round-robin over.
    jobs: u64,
}

const ACTIONS: [&str; 5] = ["create", "update", "update", "delete", "disable"];
const FAILURES: [(&str, &str, &str); 4] = [
    (
        "AzureActiveDirectoryCannotUpdateObjectsOriginatedInExternalService",
        "Failed to update the object because it originated in an external service.",
        "nonServiceFailure",
    ),
    (
        "DuplicateTargetEntries",
        "The operation failed because more than one object in the target system matches the matching attribute.",
        "nonServiceFailure",
    ),
    (
        "InvalidAnchor",
        "The user that was previously created or matched no longer exists in the target system.",
        "nonServiceFailure",
    ),
    (
        "Timeout",
        "The target system did not respond in time; the operation will be retried.",
        "failure",
    ),
];

/// The skips a generated record can carry: the step type, the description around the user's
/// number, and the `SkipReason` (reasons the knowledge file explains), so a summary sees several.
const SKIPS: [(&str, &str, &str, &str); 3] = [
    (
        "export",
        "The state of the user 'User ",
        "' in both the source and target systems already match.",
        "RedundantExport",
    ),
    (
        "scoping",
        "The user 'User ",
        "' is not effectively entitled for provisioning (IsEffectivelyEntitledForProvisioning = False).",
        "NotEffectivelyEntitled",
    ),
    (
        "scoping",
        "The user 'User ",
        "' is a critical system object (isCriticalSystemObject = TRUE) and is excluded by the default scoping.",
        "IsCriticalSystemObject",
    ),
];

/// Records of one job per generated cycle: every job has several cycles once it has more than
/// this many records.
const RECORDS_PER_CYCLE: u64 = 25;

/// Write a GUID-shaped id (version 4 layout) without allocating: this runs several times for
/// every record served, so it fills the 36 characters by hand instead of through `fmt`.
fn write_guid(out: &mut String, seed: u64, kind: u64, i: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let a = h(seed, kind, i);
    let b = h(seed, kind ^ 0xABCD, i);
    let mut g = [b'-'; 36];
    let mut put = |at: usize, digits: usize, v: u64| {
        for k in 0..digits {
            g[at + k] = HEX[((v >> (4 * (digits - 1 - k))) & 0xf) as usize];
        }
    };
    put(0, 8, a >> 32);
    put(9, 4, (a >> 16) & 0xffff);
    put(15, 3, a & 0xfff);
    put(20, 3, b >> 52);
    put(24, 12, b & 0xffff_ffff_ffff);
    g[14] = b'4';
    g[19] = b'a';
    out.push_str(std::str::from_utf8(&g).unwrap_or_default());
}

/// Appends every part in order (the record writer's building block: no format parsing).
fn push_all(out: &mut String, parts: &[&str]) {
    for p in parts {
        out.push_str(p);
    }
}

/// Two decimal digits.
fn push_2(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

impl<'a> GenLog<'a> {
    pub fn new(g: &'a GenLogs, tenant_id: &'a str, i: u64) -> Self {
        let roll = h(g.spec.seed, 10, i);
        // Round-robin over the service principals, so a filter on one job is a stride.
        let sp_index = (i % g.sps.len().max(1) as u64) as usize;
        GenLog {
            i,
            seed: g.spec.seed,
            tenant_id,
            time: g.time_secs(i),
            sp_index,
            sp: &g.sps[sp_index],
            roll,
            jobs: g.sp_count(),
        }
    }

    fn user(&self) -> u64 {
        (self.roll >> 20) % 50_000
    }
    /// The job's own record number (records go round-robin over the jobs), in cycles of
    /// [`RECORDS_PER_CYCLE`].
    fn cycle_key(&self) -> u64 {
        (self.sp_index as u64) << 32 | (self.i / self.jobs / RECORDS_PER_CYCLE)
    }
    fn skip_index(&self) -> usize {
        ((self.roll >> 16) % SKIPS.len() as u64) as usize
    }

    fn status(&self) -> &'static str {
        match self.roll % 20 {
            0..=13 => "success",
            14..=16 => "failure",
            _ => "skipped",
        }
    }
    fn action(&self) -> &'static str {
        if self.status() == "skipped" {
            "other"
        } else {
            ACTIONS[((self.roll >> 8) % 5) as usize]
        }
    }
    fn systems(&self) -> (&'static str, &str) {
        if self.sp.cloud_sync {
            ("Active Directory", "Azure Active Directory")
        } else {
            ("Azure Active Directory", &self.sp.name)
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as Graph writes whole seconds.
    fn write_time(&self, out: &mut String) {
        use chrono::{Datelike, Timelike};
        if let Some(t) = Utc.timestamp_opt(self.time, 0).single() {
            let mut y = itoa::Buffer::new();
            out.push_str(y.format(t.year()));
            out.push('-');
            push_2(out, t.month());
            out.push('-');
            push_2(out, t.day());
            out.push('T');
            push_2(out, t.hour());
            out.push(':');
            push_2(out, t.minute());
            out.push(':');
            push_2(out, t.second());
            out.push('Z');
        }
    }

    /// Append the record's JSON to `out`. Written piece by piece (no `fmt`, no allocation): the
    /// emulator serves hundreds of thousands of these a second in the export benchmark.
    pub fn write_json(&self, out: &mut String, beta: bool) {
        let status = self.status();
        let action = self.action();
        let (src_sys, tgt_sys) = self.systems();
        let sp = self.sp;
        let sp_name = sp.name.as_str();
        let mut user_buf = itoa::Buffer::new();
        let user = user_buf.format(self.user());
        let mut duration_buf = itoa::Buffer::new();
        let duration = duration_buf.format(200 + (self.roll >> 40) % 3000);
        out.push_str("{\"id\":\"");
        write_guid(out, self.seed, 11, self.i);
        out.push_str("\",\"activityDateTime\":\"");
        self.write_time(out);
        push_all(
            out,
            &[
                "\",\"tenantId\":\"",
                self.tenant_id,
                "\",\"jobId\":\"",
                &sp.job_id,
                "\",\"cycleId\":\"",
            ],
        );
        write_guid(out, self.seed, 14, self.cycle_key());
        out.push_str("\",\"changeId\":\"");
        write_guid(out, self.seed, 15, self.i);
        out.push_str("\",");
        if beta {
            let (first, rest) = action.split_at(action.len().min(1));
            out.push_str("\"action\":\"");
            out.push_str(&first.to_ascii_uppercase());
            push_all(out, &[rest, "\","]);
        }
        push_all(
            out,
            &[
                "\"provisioningAction\":\"",
                action,
                "\",\"durationInMilliseconds\":",
                duration,
                ",\"sourceSystem\":{\"id\":\"",
                &sp.source_system_id,
                "\",\"displayName\":\"",
                src_sys,
                "\",\"details\":{}},\"targetSystem\":{\"id\":\"",
                &sp.target_system_id,
                "\",\"displayName\":\"",
                tgt_sys,
                "\",\"details\":{\"ApplicationId\":\"",
                &sp.app_id,
                "\",\"ServicePrincipalId\":\"",
                &sp.id,
                "\",\"ServicePrincipalDisplayName\":\"",
                sp_name,
                "\"}},\"initiatedBy\":{\"id\":\"\",\"displayName\":\"Azure AD Provisioning Service\",\"initiatorType\":\"system\"},\"servicePrincipal\":{\"id\":\"",
                &sp.id,
                "\",\"displayName\":\"",
                sp_name,
                "\"},\"sourceIdentity\":{\"id\":\"",
            ],
        );
        write_guid(out, self.seed, 12, self.user());
        push_all(
            out,
            &[
                "\",\"displayName\":\"User ",
                user,
                "\",\"identityType\":\"User\",\"details\":{}},\"targetIdentity\":{\"id\":\"",
            ],
        );
        if !(action == "create" && status != "success") {
            write_guid(out, self.seed, 13, self.user());
        }
        push_all(
            out,
            &[
                "\",\"displayName\":\"User ",
                user,
                "\",\"identityType\":\"User\",\"details\":{}},",
            ],
        );
        let (code, reason, category) = FAILURES[((self.roll >> 12) % 4) as usize];
        let error_fields = [
            "\"errorCode\":\"",
            code,
            "\",\"reason\":\"",
            reason,
            "\",\"additionalDetails\":null,\"errorCategory\":\"",
            category,
            "\",\"recommendedAction\":null",
        ];
        if beta {
            if status == "failure" {
                out.push_str("\"statusInfo\":{\"@odata.type\":\"#microsoft.graph.statusDetails\",\"status\":\"failure\",");
                push_all(out, &error_fields);
                out.push_str("},");
            } else {
                push_all(
                    out,
                    &[
                        "\"statusInfo\":{\"@odata.type\":\"#microsoft.graph.statusBase\",\"status\":\"",
                        status,
                        "\"},",
                    ],
                );
            }
        }
        if status == "failure" {
            out.push_str(
                "\"provisioningStatusInfo\":{\"status\":\"failure\",\"errorInformation\":{",
            );
            push_all(out, &error_fields);
            out.push_str("}},");
        } else {
            push_all(
                out,
                &[
                    "\"provisioningStatusInfo\":{\"status\":\"",
                    status,
                    "\",\"errorInformation\":null},",
                ],
            );
        }
        push_all(
            out,
            &[
                "\"provisioningSteps\":[{\"name\":\"EntryImport\",\"provisioningStepType\":\"import\",\"status\":\"success\",\"description\":\"Retrieved User 'User ",
                user,
                "' from ",
                src_sys,
                "\",\"details\":{}},{\"name\":\"EntrySynchronizationScoping\",\"provisioningStepType\":\"scoping\",\"status\":\"success\",\"description\":\"Determine if User in scope by evaluating against each scoping filter\",\"details\":{\"Scoping filter evaluation passed\":\"True\"}},{\"name\":\"",
            ],
        );
        if status == "skipped" {
            let (kind, before, after, reason) = SKIPS[self.skip_index()];
            push_all(
                out,
                &[
                    "EntrySynchronizationSkip\",\"provisioningStepType\":\"",
                    kind,
                    "\",\"status\":\"skipped\",\"description\":\"",
                    before,
                    user,
                    after,
                    "\",\"details\":{\"SkipReason\":\"",
                    reason,
                    "\"}}",
                ],
            );
        } else {
            let export_status = if status == "failure" {
                "failure"
            } else {
                "success"
            };
            push_all(
                out,
                &[
                    "EntryExportUpdate\",\"provisioningStepType\":\"export\",\"status\":\"",
                    export_status,
                    "\",\"description\":\"User 'User ",
                    user,
                    "' was processed (",
                    action,
                    ") in ",
                    tgt_sys,
                    "\",\"details\":{\"ReportableIdentifier\":\"User ",
                    user,
                    "\"}}",
                ],
            );
        }
        push_all(
            out,
            &[
                "],\"modifiedProperties\":[{\"displayName\":\"displayName\",\"oldValue\":null,\"newValue\":\"User ",
                user,
                "\"},{\"displayName\":\"accountEnabled\",\"oldValue\":null,\"newValue\":\"",
                if action == "disable" { "False" } else { "True" },
                "\"}]}",
            ],
        );
    }
}

impl Record for GenLog<'_> {
    fn field(&self, name: &str, _time: bool) -> FieldVal<'_> {
        let s = |v: String| FieldVal::Str(Cow::Owned(v));
        let b = |v: &'static str| FieldVal::Str(Cow::Borrowed(v));
        match name {
            "activityDateTime" => Utc
                .timestamp_opt(self.time, 0)
                .single()
                .map(FieldVal::Time)
                .unwrap_or(FieldVal::Null),
            "id" => s(guid(self.seed, 11, self.i)),
            "jobId" => FieldVal::Str(Cow::Borrowed(&self.sp.job_id)),
            "tenantId" => FieldVal::Str(Cow::Borrowed(self.tenant_id)),
            "cycleId" => s(guid(self.seed, 14, self.cycle_key())),
            "changeId" => s(guid(self.seed, 15, self.i)),
            "servicePrincipal/id" => FieldVal::Str(Cow::Borrowed(&self.sp.id)),
            "servicePrincipal/displayName" => FieldVal::Str(Cow::Borrowed(&self.sp.name)),
            "sourceIdentity/id" => s(guid(self.seed, 12, self.user())),
            "targetIdentity/id" => {
                if self.action() == "create" && self.status() != "success" {
                    b("")
                } else {
                    s(guid(self.seed, 13, self.user()))
                }
            }
            "sourceIdentity/displayName" | "targetIdentity/displayName" => {
                s(format!("User {}", self.user()))
            }
            "sourceIdentity/identityType" | "targetIdentity/identityType" => b("User"),
            "sourceSystem/displayName" => b(self.systems().0),
            "targetSystem/displayName" => FieldVal::Str(Cow::Borrowed(self.systems().1)),
            "provisioningAction" => b(self.action()),
            "provisioningStatusInfo/status" => b(self.status()),
            "initiatedBy/displayName" => b("Azure AD Provisioning Service"),
            _ => FieldVal::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses_and_names_bad_values() {
        let s: GenerateSpec = "sps=5000,jobs=800,logs=1000000,seed=7".parse().unwrap();
        assert_eq!((s.sps, s.jobs, s.logs, s.seed), (5000, 800, 1_000_000, 7));
        let e = "sps=ten".parse::<GenerateSpec>().unwrap_err().to_string();
        assert!(e.contains("sps=`ten`"), "{e}");
        let e = "sps=1,jobs=2"
            .parse::<GenerateSpec>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("jobs=2"), "{e}");
        let e = "users=1".parse::<GenerateSpec>().unwrap_err().to_string();
        assert!(e.contains("`users`"), "{e}");
    }

    #[test]
    fn generated_records_are_valid_json_and_deterministic() {
        let g = GenLogs::new(&GenerateSpec::default(), "t", 1_700_000_000_000);
        for beta in [false, true] {
            let mut a = String::new();
            let mut b = String::new();
            for i in 0..200 {
                a.clear();
                b.clear();
                GenLog::new(&g, "t", i).write_json(&mut a, beta);
                GenLog::new(&g, "t", i).write_json(&mut b, beta);
                assert_eq!(a, b);
                let v: serde_json::Value = serde_json::from_str(&a).unwrap();
                assert!(v["provisioningSteps"].is_array());
            }
        }
    }
}
