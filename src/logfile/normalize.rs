//! Bringing every accepted record shape to Graph's `provisioningObjectSummary` JSON: unwrap the
//! Azure Monitor envelope (the record is under `properties`; its own status wins over the
//! envelope's `resultType`), camelCase PascalCase names (but never the free-form keys of `details`),
//! parse nested objects that arrive as JSON text, and turn enums written as numbers into names in
//! the CSDL member order.

use serde_json::{Map, Value};

use crate::graph::model::logs::ProvisioningObjectSummary;

/// Normalises one element of a file; returns the Graph-shaped record and whether it came in an
/// Azure Monitor envelope.
pub(crate) fn record(value: Value) -> Result<(Value, bool), String> {
    let Value::Object(obj) = value else {
        return Err(format!(
            "expected a provisioning log record (a JSON object), found {}",
            kind(&value)
        ));
    };
    let props_key = obj
        .keys()
        .find(|k| k.eq_ignore_ascii_case("properties"))
        .cloned();
    let is_envelope = props_key.is_some()
        && obj.keys().any(|k| {
            [
                "category",
                "operationName",
                "time",
                "resultType",
                "resourceId",
                "tenantId",
            ]
            .iter()
            .any(|e| k.eq_ignore_ascii_case(e))
        });
    if !is_envelope {
        return Ok((normalize_object(obj, false), false));
    }
    let mut env = obj;
    let props = props_key
        .and_then(|k| env.remove(&k))
        .unwrap_or(Value::Null);
    let props = match props {
        Value::String(s) => serde_json::from_str(&s)
            .map_err(|e| format!("the envelope's properties are text but not JSON: {e}"))?,
        v => v,
    };
    let Value::Object(props) = props else {
        return Err("the Azure Monitor envelope's properties are not an object".into());
    };
    let get = |name: &str| {
        env.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if let Some(cat) = get("category").and_then(|c| c.as_str().map(str::to_owned))
        && !cat.eq_ignore_ascii_case("ProvisioningLogs")
    {
        return Err(format!(
            "this Azure Monitor record is of category {}, not ProvisioningLogs",
            super::head::echo(&cat)
        ));
    }
    let mut rec = match normalize_object(props, false) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if !rec.contains_key("activityDateTime")
        && let Some(t) = get("time")
    {
        rec.insert("activityDateTime".into(), t);
    }
    if !rec.contains_key("tenantId")
        && let Some(t) = get("tenantId")
    {
        rec.insert("tenantId".into(), t);
    }
    // The record's own status wins; the envelope's resultType only fills a gap.
    let has_status = rec
        .get("provisioningStatusInfo")
        .and_then(|p| p.get("status"))
        .is_some_and(|s| !s.is_null());
    if !has_status && let Some(Value::String(rt)) = get("resultType") {
        let info = rec
            .entry("provisioningStatusInfo")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = info {
            m.insert("status".into(), Value::String(rt.to_ascii_lowercase()));
        }
    }
    Ok((Value::Object(rec), true))
}

/// The typed record; a mismatch names the field.
pub(crate) fn summary(raw: &Value) -> Result<ProvisioningObjectSummary, String> {
    serde_path_to_error::deserialize(raw).map_err(|e| {
        format!(
            "the record does not fit a provisioning log entry at '{}': {}",
            e.path(),
            e.inner()
        )
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Fields whose value is an object or array that Log Analytics-style exports write as JSON text.
const NESTED: &[&str] = &[
    "sourceIdentity",
    "targetIdentity",
    "sourceSystem",
    "targetSystem",
    "servicePrincipal",
    "initiatedBy",
    "provisioningStatusInfo",
    "statusInfo",
    "errorInformation",
    "provisioningSteps",
    "modifiedProperties",
    "details",
];

// CSDL member orders, for enums written as numbers.
const RESULT: &[&str] = &[
    "success",
    "failure",
    "skipped",
    "warning",
    "unknownFutureValue",
];
const ACTION: &[&str] = &[
    "other",
    "create",
    "delete",
    "disable",
    "update",
    "stagedDelete",
    "unknownFutureValue",
];
const STEP_TYPE: &[&str] = &[
    "import",
    "scoping",
    "matching",
    "processing",
    "referenceResolution",
    "export",
    "unknownFutureValue",
];
const ERROR_CATEGORY: &[&str] = &[
    "failure",
    "nonServiceFailure",
    "success",
    "unknownFutureValue",
];
const INITIATOR: &[&str] = &["user", "application", "system", "unknownFutureValue"];

fn camel(key: &str) -> String {
    if key.eq_ignore_ascii_case("id") {
        return "id".into();
    }
    if key.starts_with('@') {
        return key.to_owned();
    }
    let mut c = key.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn normalize_object(obj: Map<String, Value>, in_step: bool) -> Value {
    let mut out = Map::with_capacity(obj.len());
    for (k, v) in obj {
        let key = camel(&k);
        let v = match v {
            Value::String(s)
                if NESTED.contains(&key.as_str())
                    && matches!(s.trim_start().as_bytes().first(), Some(b'{' | b'[')) =>
            {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            v => v,
        };
        let v = match key.as_str() {
            // Free-form: keep the keys as written.
            "details" => v,
            "provisioningAction" => enum_name(v, ACTION),
            "status" => enum_name(v, RESULT),
            "provisioningStepType" | "type" if in_step => enum_name(v, STEP_TYPE),
            "errorCategory" => enum_name(v, ERROR_CATEGORY),
            "initiatorType" => enum_name(v, INITIATOR),
            "provisioningSteps" => match v {
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Value::Object(m) => normalize_object(m, true),
                            other => other,
                        })
                        .collect(),
                ),
                other => other,
            },
            _ => normalize_value(v),
        };
        out.insert(key, v);
    }
    Value::Object(out)
}

fn normalize_value(v: Value) -> Value {
    match v {
        Value::Object(m) => normalize_object(m, false),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_value).collect()),
        other => other,
    }
}

fn enum_name(v: Value, members: &[&str]) -> Value {
    let n = match &v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    match n.and_then(|n| members.get(usize::try_from(n).ok()?)) {
        Some(name) => Value::String((*name).to_owned()),
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::model::logs::{ProvisioningAction, ProvisioningResult, ProvisioningStepType};
    use serde_json::json;

    #[test]
    fn azure_monitor_envelope_is_unwrapped_with_numbers_as_names() {
        let env = json!({
            "time": "2026-11-25T10:00:00Z", "category": "ProvisioningLogs", "resultType": "Success",
            "properties": {"Id": "x1", "ProvisioningAction": 1,
                "ProvisioningStatusInfo": {"Status": 1, "ErrorInformation": {"ErrorCode": "E", "ErrorCategory": 1}},
                "ProvisioningSteps": [{"Name": "EntryExportAdd", "ProvisioningStepType": 5, "Status": 1, "Details": {"SkipReason": "x"}}],
                "SourceIdentity": "{\"Id\":\"g\",\"DisplayName\":\"A\"}"}
        });
        let (raw, envelope) = record(env).unwrap();
        assert!(envelope);
        let s = summary(&raw).unwrap();
        assert_eq!(s.id, "x1");
        assert_eq!(s.action(), Some(ProvisioningAction::Create));
        // The record's own status (failure) wins over the envelope's resultType.
        assert_eq!(s.status(), Some(&ProvisioningResult::Failure));
        assert_eq!(s.error().and_then(|e| e.error_code), Some("E".into()));
        assert_eq!(
            s.provisioning_steps[0].provisioning_step_type,
            Some(ProvisioningStepType::Export)
        );
        assert_eq!(s.provisioning_steps[0].details.get("SkipReason"), Some("x"));
        assert_eq!(
            s.source_identity.and_then(|i| i.display_name),
            Some("A".into())
        );
        assert_eq!(
            s.activity_date_time.map(|t| t.to_rfc3339()),
            Some("2026-11-25T10:00:00+00:00".into())
        );
    }

    #[test]
    fn envelope_result_type_fills_a_missing_status_and_other_categories_are_refused() {
        let (raw, _) = record(json!({"time": "2026-11-25T10:00:00Z", "category": "ProvisioningLogs", "resultType": "Skipped", "properties": {"id": "1"}})).unwrap();
        assert_eq!(
            summary(&raw).unwrap().status(),
            Some(&ProvisioningResult::Skipped)
        );
        let e = record(json!({"category": "SignInLogs", "properties": {}})).unwrap_err();
        assert!(e.contains("SignInLogs"), "{e}");
        assert!(record(json!([1])).unwrap_err().contains("an array"));
    }
}
