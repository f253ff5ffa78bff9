//! Scoping filters evaluated for one object: why an object is in or out of a job's scope. Pure code
//! (no I/O): the schema, the object's source attributes, the job's `filterOperators`, the
//! assignment facts and the log's own scoping record come in; a verdict per clause, per group,
//! per mapping and overall comes out, with the clause that excluded the object.
//!
//! What it follows, and where Microsoft says so:
//! - Groups are OR-ed, the clauses of a group AND-ed ("Scoping users or groups to be provisioned
//!   with scoping filters", learn.microsoft.com/entra/identity/app-provisioning/
//!   define-conditional-rules-for-provisioning-user-accounts; Graph "filter resource type",
//!   learn.microsoft.com/graph/api/resources/synchronization-filter). `inputFilterGroups` (where
//!   cloud sync keeps its default exclusions) and `groups` must both let the object through;
//!   the experimental `categoryFilterGroups` are listed as not evaluated.
//! - Operators, with the scoping-filter page's semantics: `EQUALS` / `NOT EQUALS` match the whole
//!   value, case-sensitive; `REGEX MATCH` / `NOT REGEX MATCH` search the value with the pattern,
//!   case-sensitive (`NOT REGEX MATCH` is false on an empty value); `Includes` is .NET
//!   `String.Contains` (ordinal, case-sensitive); `ENDS_WITH` is compared the same way (the page
//!   does not name its case rule); `IS TRUE` / `IS FALSE` need a Boolean value (`True`/`true`,
//!   read as .NET `Boolean.Parse` does, case-insensitively); `IS NULL` / `IS NOT NULL` test for an
//!   empty value; `Greater_Than` / `Greater_Than_OR_EQUALS` need integers on both sides. The
//!   `Less_Than` / `Less_Than_OR_EQUALS` and `NOT INCLUDES` spellings are the mirrors of those
//!   documented operators. The page also lists `&` and `!&` with a description that does not say
//!   how values compare: they are reported as undecided, never guessed. An operator not in this
//!   list is reported as unknown.
//! - Spellings: Graph's schemas write `IS NOT NULL`, `NOT REGEX MATCH`, `ENDS_WITH`,
//!   `Greater_Than` (the Graph `filterOperators` example writes `EQUALS`); names are compared
//!   ignoring case, spaces and underscores.
//! - "Scoping filters will return false if the value is null / empty" (same page): every operator
//!   but `IS NULL` / `IS NOT NULL` fails on an empty value. That page is about app provisioning;
//!   cloud sync's own default exclusions (`isCriticalSystemObject IS FALSE`, `adminDescription NOT
//!   REGEX MATCH ^User_`) would exclude every ordinary AD user under that rule, so for a source
//!   other than Entra ID an empty value leaves such a clause undecided.
//! - Multi-valued attributes: the scoping page says filtering them isn't supported; Graph's
//!   `filterOperatorSchema.multivaluedComparisonType` says `All` (the default) or `Any` value must
//!   satisfy the clause. A list value is compared value by value and combined that way, with a
//!   note.
//! - The scoping step of a log entry (`EntrySynchronizationScoping`) records
//!   `ScopeEvaluationResult`: a JSON object from `"<filter name>.<attribute> <OPERATOR> '<value>'"`
//!   to true/false (cross-tenant synchronization docs, "Configure cross-tenant synchronization
//!   using PowerShell or Microsoft Graph API", step 13). It is shown beside this evaluation, and
//!   every disagreement is named.
//! - Assignment: for jobs that sync only assigned users and groups (`SyncAll` = `false` in the
//!   synchronization secrets, same cross-tenant page, step 9), an unassigned object is skipped
//!   before any filter applies.
//!
//! Regular expressions: patterns are written for .NET; the `regex` crate reads the common syntax
//! the same way. A `{` that does not start a repetition is a literal in .NET and is escaped here;
//! `\0` octal escapes become `\x00`. A pattern the `regex` crate still can't read (look-around,
//! back-references) leaves the clause undecided with the reason.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::graph::model::{
    FilterClause, FilterGroup, FilterOperatorSchema, ProvisioningObjectSummary,
    ProvisioningStepType, SynchronizationSchema,
};

/// Everything one evaluation reads.
#[derive(Debug, Clone, Copy)]
pub struct ScopeInput<'a> {
    /// The job's schema.
    pub schema: &'a SynchronizationSchema,
    /// The object's type as the schema's `sourceObjectName` spells it (`user`, `group`); `None`
    /// evaluates every enabled mapping.
    pub object_type: Option<&'a str>,
    /// The object's source attributes (names as the clauses spell them; matched exactly, then
    /// ignoring case).
    pub attributes: &'a Map<String, Value>,
    /// The job's `filterOperators`, when they could be read.
    pub operators: Option<&'a [FilterOperatorSchema]>,
    /// Assignment facts, for jobs that may sync only assigned objects.
    pub assignment: Option<&'a AssignmentFacts>,
    /// The scoping record of a log entry for the object, when there is one.
    pub recorded: Option<&'a RecordedScope>,
}

/// Whether a job syncs every user and group or only the assigned ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "mode", content = "reason")]
pub enum SyncScope {
    /// `SyncAll` = `false`: only assigned users and groups.
    AssignedOnly,
    /// `SyncAll` = `true`: every user and group.
    All,
    /// It could not be read (why).
    Unknown(String),
}

/// What is known of the object's assignment to the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentFacts {
    /// The job's scope setting.
    pub sync_scope: SyncScope,
    /// Directly assigned (`appRoleAssignedTo` names the object); `None` when unknown.
    pub direct: Option<bool>,
    /// The assigned groups the object is a (transitive) member of (display names or ids).
    pub via_groups: Vec<String>,
    /// Why the assignments could not be read, when they could not.
    pub error: Option<String>,
}

impl AssignmentFacts {
    /// Assigned directly or through a group; `None` when the assignments weren't read.
    pub fn assigned(&self) -> Option<bool> {
        if !self.via_groups.is_empty() || self.direct == Some(true) {
            return Some(true);
        }
        self.direct
    }
}

/// The scoping step of a log entry: its `ScopeEvaluationResult` and overall verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedScope {
    /// The log entry.
    pub log_id: String,
    /// `Scoping filter evaluation passed`, when recorded.
    pub passed: Option<bool>,
    /// Each recorded clause key and its result, in the order recorded.
    pub results: Vec<(String, bool)>,
    /// The raw `ScopeEvaluationResult` when it could not be read as a JSON object.
    pub unreadable: Option<String>,
}

/// One clause, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClauseEvaluation {
    /// `sourceOperandName`.
    pub attribute: String,
    /// `operatorName` as the schema writes it.
    pub operator: String,
    /// `targetOperand.values`, as text.
    pub expected: Vec<String>,
    /// The object's value (`null` when it has none).
    pub actual: Value,
    /// `true`/`false`, or `null` when it can't be decided (unknown operator, unreadable pattern...).
    pub passed: Option<bool>,
    /// True when provctl knows the operator's semantics.
    pub operator_known: bool,
    /// Why it passed, failed or is undecided, when that isn't obvious.
    pub reason: Option<String>,
    /// What the log's scoping step recorded for this clause, when it did.
    pub recorded: Option<bool>,
}

/// One filter group, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEvaluation {
    /// The group's name.
    pub name: String,
    /// Which set it belongs to: `groups` or `inputFilterGroups`.
    pub set: &'static str,
    /// All clauses true → `true`; any false → `false`; otherwise `null`.
    pub passed: Option<bool>,
    /// The clauses.
    pub clauses: Vec<ClauseEvaluation>,
}

/// One object mapping, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingEvaluation {
    /// The mapping's name.
    pub name: String,
    /// Its `sourceObjectName`.
    pub source_object_name: String,
    /// The rule's source directory.
    pub source_directory: Option<String>,
    /// Whether the object passes this mapping's filters (`null`: undecided).
    pub in_scope: Option<bool>,
    /// `true` when the mapping has no scoping filter at all.
    pub unfiltered: bool,
    /// The groups, `inputFilterGroups` first.
    pub groups: Vec<GroupEvaluation>,
    /// Why the mapping's scope could not be read, when it could not.
    pub error: Option<String>,
}

/// The clause that excluded the object, or the assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exclusion {
    /// The mapping.
    pub mapping: String,
    /// The group (`null` when the assignment excluded it).
    pub group: Option<String>,
    /// The group's set.
    pub set: Option<&'static str>,
    /// The clause's attribute.
    pub attribute: Option<String>,
    /// The clause's operator.
    pub operator: Option<String>,
    /// The clause's values.
    pub expected: Vec<String>,
    /// The object's value.
    pub actual: Value,
    /// In words.
    pub reason: String,
}

/// One recorded clause result beside provctl's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedComparison {
    /// The key as the log wrote it.
    pub key: String,
    /// What the log recorded.
    pub recorded: bool,
    /// What provctl found for the same clause (`null`: no matching clause, or undecided).
    pub evaluated: Option<bool>,
    /// `false` when the two disagree; `null` when there's nothing to compare.
    pub agrees: Option<bool>,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeEvaluation {
    /// In scope (`true`), out of scope (`false`), or undecided (`null`).
    pub in_scope: Option<bool>,
    /// The object type evaluated.
    pub object_type: Option<String>,
    /// Assignment facts, when the job may sync only assigned objects.
    pub assignment: Option<AssignmentFacts>,
    /// The mappings that apply to the object's type.
    pub mappings: Vec<MappingEvaluation>,
    /// What excluded the object (one entry per failed group, or the assignment).
    pub excluded_by: Vec<Exclusion>,
    /// The log's scoping record beside this evaluation.
    pub recorded: Option<RecordedScope>,
    /// Recorded clause results compared with provctl's.
    pub comparison: Vec<RecordedComparison>,
    /// Where the log and provctl disagree, in words.
    pub disagreements: Vec<String>,
    /// Anything else worth knowing (unlisted operators, multi-valued attributes...).
    pub notes: Vec<String>,
}

impl ScopeEvaluation {
    /// The first clause that excluded the object, in words: `group 'Sales': department EQUALS
    /// 'Sales' (actual 'Marketing')`.
    pub fn failing_clause(&self) -> Option<String> {
        self.exclusions().into_iter().next()
    }

    /// Every exclusion in words, the assignment first: one per failed filter group.
    pub fn exclusions(&self) -> Vec<String> {
        self.excluded_by
            .iter()
            .map(|x| match (&x.group, &x.attribute) {
                (Some(g), Some(a)) => {
                    let op = x.operator.as_deref().unwrap_or("?");
                    let values = quote_values(&x.expected);
                    let clause = if values.is_empty() {
                        format!("{a} {op}")
                    } else {
                        format!("{a} {op} {values}")
                    };
                    format!("filter '{g}': {clause} (actual {})", show_value(&x.actual))
                }
                _ => x.reason.clone(),
            })
            .collect()
    }
}

/// `'a'`, `'a' or 'b'`, or `` for unary operators.
pub fn quote_values(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A value as a person reads it: `'Sales'`, `null`, `['a', 'b']`, `true`.
pub fn show_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(show_value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Operators

/// The operators provctl knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    NotEquals,
    IsTrue,
    IsFalse,
    IsNull,
    IsNotNull,
    RegexMatch,
    NotRegexMatch,
    GreaterThan,
    GreaterThanOrEquals,
    LessThan,
    LessThanOrEquals,
    Includes,
    NotIncludes,
    EndsWith,
    /// `&` and `!&`: documented, but not how they compare.
    Ampersand,
    NotAmpersand,
}

/// A spelling reduced to compare: upper case, no spaces or underscores.
fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn op_of(name: &str) -> Option<Op> {
    Some(match norm(name).as_str() {
        "EQUALS" => Op::Equals,
        "NOTEQUALS" => Op::NotEquals,
        "ISTRUE" => Op::IsTrue,
        "ISFALSE" => Op::IsFalse,
        "ISNULL" => Op::IsNull,
        "ISNOTNULL" => Op::IsNotNull,
        "REGEXMATCH" => Op::RegexMatch,
        "NOTREGEXMATCH" => Op::NotRegexMatch,
        "GREATERTHAN" => Op::GreaterThan,
        "GREATERTHANOREQUALS" => Op::GreaterThanOrEquals,
        "LESSTHAN" => Op::LessThan,
        "LESSTHANOREQUALS" => Op::LessThanOrEquals,
        "INCLUDES" => Op::Includes,
        "NOTINCLUDES" => Op::NotIncludes,
        "ENDSWITH" => Op::EndsWith,
        "&" => Op::Ampersand,
        "!&" => Op::NotAmpersand,
        _ => return None,
    })
}

impl Op {
    fn unary(self) -> bool {
        matches!(self, Op::IsTrue | Op::IsFalse | Op::IsNull | Op::IsNotNull)
    }
    /// Negated operators pass when no value matches.
    fn negated(self) -> bool {
        matches!(
            self,
            Op::NotEquals | Op::NotRegexMatch | Op::NotIncludes | Op::NotAmpersand
        )
    }
}

/// One clause result before it is dressed: the verdict and why.
type Verdict = (Option<bool>, Option<String>);

fn decided(b: bool) -> Verdict {
    (Some(b), None)
}

fn undecided(reason: impl Into<String>) -> Verdict {
    (None, Some(reason.into()))
}

/// True for `null`, `""`, `[]` (and whitespace-only strings: the log writes `""` for none).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.iter().all(is_empty),
        _ => false,
    }
}

/// A single value as the provisioning service's text: Booleans as .NET writes them (`True`).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".to_owned()),
        Value::Bool(false) => Some("False".to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A .NET pattern as the `regex` crate reads it (see the module docs).
fn dotnet_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                if next == '0' {
                    // .NET: \0 followed by up to two octal digits.
                    let mut j = i + 2;
                    let mut value = 0u32;
                    while j < chars.len() && j < i + 4 && chars[j].is_digit(8) {
                        value = value * 8 + chars[j].to_digit(8).unwrap_or(0);
                        j += 1;
                    }
                    out.push_str(&format!("\\x{{{value:x}}}"));
                    i = j;
                    continue;
                }
                out.push(c);
                out.push(next);
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                match repetition_len(&chars[i..]) {
                    Some(n) => out.extend(&chars[i..i + n]),
                    None => out.push_str("\\{"),
                }
                i += repetition_len(&chars[i..]).unwrap_or(1);
                continue;
            }
            '}' if !in_class => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of `{n}`, `{n,}` or `{n,m}` at the start of `s`, when it is one.
fn repetition_len(s: &[char]) -> Option<usize> {
    let end = s.iter().position(|&c| c == '}')?;
    let body: String = s[1..end].iter().collect();
    let mut parts = body.splitn(2, ',');
    let first = parts.next().unwrap_or("");
    let digits = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    let ok = digits(first)
        && match parts.next() {
            None => true,
            Some(second) => second.is_empty() || digits(second),
        };
    ok.then_some(end + 1)
}

/// Compares one (non-empty, non-list) value with one clause value.
fn compare_one(op: Op, actual: &Value, expected: &str) -> Verdict {
    let positive = match op {
        Op::Equals | Op::NotEquals | Op::Includes | Op::NotIncludes | Op::EndsWith => {
            let Some(text) = as_text(actual) else {
                return undecided("the value is not a single string, number or Boolean");
            };
            match op {
                Op::Equals | Op::NotEquals => text == expected,
                Op::Includes | Op::NotIncludes => text.contains(expected),
                _ => text.ends_with(expected),
            }
        }
        Op::RegexMatch | Op::NotRegexMatch => {
            let Some(text) = as_text(actual) else {
                return undecided("the value is not a single string, number or Boolean");
            };
            match regex::Regex::new(&dotnet_pattern(expected)) {
                Ok(re) => re.is_match(&text),
                Err(e) => {
                    return undecided(format!(
                        "the pattern '{expected}' can't be read here: {}",
                        last_line(&e.to_string())
                    ));
                }
            }
        }
        Op::GreaterThan | Op::GreaterThanOrEquals | Op::LessThan | Op::LessThanOrEquals => {
            let (Some(a), Some(e)) = (as_int(actual), expected.trim().parse::<i64>().ok()) else {
                return undecided(
                    "Microsoft requires an integer on both sides of this operator, and one side isn't",
                );
            };
            match op {
                Op::GreaterThan => a > e,
                Op::GreaterThanOrEquals => a >= e,
                Op::LessThan => a < e,
                _ => a <= e,
            }
        }
        Op::Ampersand | Op::NotAmpersand => {
            return undecided(
                "Microsoft documents & and !& without saying how the values compare; provctl doesn't decide this clause",
            );
        }
        Op::IsTrue | Op::IsFalse | Op::IsNull | Op::IsNotNull => {
            return undecided("a unary operator was compared with a value");
        }
    };
    decided(positive != op.negated())
}

/// The last non-empty line of a multi-line message (the `regex` crate puts the reason last).
fn last_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or(s)
        .to_owned()
}

/// One non-empty, non-list value against the clause (every expected value).
fn compare_value(op: Op, actual: &Value, expected: &[String]) -> Verdict {
    match op {
        Op::IsTrue | Op::IsFalse => {
            let Some(b) = as_bool(actual) else {
                return undecided(format!("the value {} is not a Boolean", show_value(actual)));
            };
            decided(b == (op == Op::IsTrue))
        }
        Op::IsNull => decided(false),
        Op::IsNotNull => decided(true),
        _ => {
            if expected.is_empty() {
                return undecided("the clause has no value to compare with");
            }
            let results: Vec<Verdict> = expected
                .iter()
                .map(|e| compare_one(op, actual, e))
                .collect();
            if let Some(r) = results.iter().find(|r| r.0.is_none()) {
                return r.clone();
            }
            let first = results[0].0;
            if results.iter().all(|r| r.0 == first) {
                (first, None)
            } else {
                undecided(format!(
                    "the clause has {} values, they give different answers, and Microsoft doesn't document how several values combine",
                    expected.len()
                ))
            }
        }
    }
}

/// Evaluates one clause against the object's attributes.
fn evaluate_clause(
    clause: &FilterClause,
    attributes: &Map<String, Value>,
    operators: Option<&[FilterOperatorSchema]>,
    entra_source: bool,
    notes: &mut Vec<String>,
) -> ClauseEvaluation {
    let attribute = clause.source_operand_name.clone().unwrap_or_default();
    let operator = clause.operator_name.clone().unwrap_or_default();
    let expected: Vec<String> = clause
        .target_operand
        .as_ref()
        .map(|t| {
            t.values
                .iter()
                .map(|v| as_text(v).unwrap_or_else(|| v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let actual = lookup(attributes, &attribute)
        .cloned()
        .unwrap_or(Value::Null);
    let listed = operators.map(|ops| {
        ops.iter().find(|o| {
            o.name
                .as_deref()
                .is_some_and(|n| norm(n) == norm(&operator))
        })
    });
    let mut out = ClauseEvaluation {
        attribute: attribute.clone(),
        operator: operator.clone(),
        expected: expected.clone(),
        actual: actual.clone(),
        passed: None,
        operator_known: false,
        reason: None,
        recorded: None,
    };
    let Some(op) = op_of(&operator) else {
        out.reason = Some(format!(
            "unknown operator '{operator}': provctl doesn't evaluate operators Microsoft hasn't documented"
        ));
        return out;
    };
    out.operator_known = true;
    if attribute.trim().is_empty() {
        out.reason = Some("the clause names no attribute (sourceOperandName)".into());
        return out;
    }
    if matches!(listed, Some(None)) {
        push_once(
            notes,
            format!(
                "The job's filterOperators don't list '{operator}'; it is evaluated as Microsoft documents it."
            ),
        );
    }
    let expected = if op.unary() { Vec::new() } else { expected };
    let (passed, reason) = if is_empty(&actual) {
        match op {
            Op::IsNull => decided(true),
            Op::IsNotNull => decided(false),
            _ if entra_source => (
                Some(false),
                Some("the value is empty, and Microsoft's scoping filters return false for an empty value".into()),
            ),
            _ => undecided(
                "the value is empty; Microsoft documents false for an empty value in app provisioning, but cloud sync's own default exclusions show it applies another rule to AD attributes",
            ),
        }
    } else if let Value::Array(items) = &actual {
        let comparison = listed
            .flatten()
            .and_then(|o| o.multivalued_comparison_type.clone())
            .unwrap_or_else(|| "All".to_owned());
        let any = comparison.eq_ignore_ascii_case("any");
        push_once(
            notes,
            format!(
                "'{attribute}' has several values: Microsoft's scoping page says multi-valued attributes aren't supported; compared value by value, {} must match (filterOperators multivaluedComparisonType {comparison}).",
                if any { "any one" } else { "every one" }
            ),
        );
        let results: Vec<Verdict> = items
            .iter()
            .filter(|v| !is_empty(v))
            .map(|v| compare_value(op, v, &expected))
            .collect();
        if let Some(r) = results.iter().find(|r| r.0.is_none()) {
            r.clone()
        } else if any {
            decided(results.iter().any(|r| r.0 == Some(true)))
        } else {
            decided(results.iter().all(|r| r.0 == Some(true)))
        }
    } else {
        compare_value(op, &actual, &expected)
    };
    out.passed = passed;
    out.reason = reason;
    out
}

fn push_once(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// An attribute: exact name first, then ignoring case (AD attribute names are case-insensitive).
fn lookup<'a>(attributes: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    attributes.get(name).or_else(|| {
        attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// AND over clauses (or groups' sets): false wins, then undecided, then true.
fn all_of(results: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(true);
    for r in results {
        match r {
            Some(false) => return Some(false),
            None => out = None,
            Some(true) => {}
        }
    }
    out
}

/// OR over groups: true wins, then undecided, then false.
fn any_of(results: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(false);
    for r in results {
        match r {
            Some(true) => return Some(true),
            None => out = None,
            Some(false) => {}
        }
    }
    out
}

fn evaluate_groups(
    set: &'static str,
    groups: &[FilterGroup],
    input: &ScopeInput<'_>,
    entra_source: bool,
    notes: &mut Vec<String>,
) -> Vec<GroupEvaluation> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let clauses: Vec<ClauseEvaluation> = g
                .clauses
                .iter()
                .map(|c| evaluate_clause(c, input.attributes, input.operators, entra_source, notes))
                .collect();
            GroupEvaluation {
                name: g
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| format!("{set}[{i}]")),
                set,
                passed: all_of(clauses.iter().map(|c| c.passed)),
                clauses,
            }
        })
        .collect()
}

/// True when a rule's source directory is Entra ID (app provisioning, cross-tenant sync).
fn is_entra(directory: Option<&str>) -> bool {
    directory.is_some_and(|d| {
        let d = norm(d);
        d == "AZUREACTIVEDIRECTORY" || d == "MICROSOFTENTRAID" || d == "ENTRAID" || d == "AAD"
    })
}

/// True when the schema's rules read from Entra ID (app provisioning, cross-tenant sync), false
/// for another source such as Active Directory (cloud sync).
pub fn reads_from_entra(schema: &SynchronizationSchema) -> bool {
    schema
        .synchronization_rules
        .iter()
        .any(|r| is_entra(r.source_directory_name.as_deref()))
}

/// Evaluates the job's scoping filters for one object.
pub fn evaluate_scope(input: &ScopeInput<'_>) -> ScopeEvaluation {
    let mut notes = Vec::new();
    let mut mappings = Vec::new();
    for rule in &input.schema.synchronization_rules {
        let entra_source = is_entra(rule.source_directory_name.as_deref());
        for m in &rule.object_mappings {
            if m.enabled == Some(false) {
                continue;
            }
            let source = m.source_object_name.clone().unwrap_or_default();
            if let Some(t) = input.object_type
                && !source.eq_ignore_ascii_case(t)
            {
                continue;
            }
            let mut eval = MappingEvaluation {
                name: m.name.clone().unwrap_or_default(),
                source_object_name: source,
                source_directory: rule.source_directory_name.clone(),
                in_scope: None,
                unfiltered: false,
                groups: Vec::new(),
                error: None,
            };
            match m.scope() {
                Err(e) => eval.error = Some(format!("the mapping's scope could not be read: {e}")),
                Ok(filter) => {
                    let filter = filter.unwrap_or_default();
                    if !filter.category_filter_groups.is_empty() {
                        push_once(
                            &mut notes,
                            "The experimental categoryFilterGroups are not evaluated.".into(),
                        );
                    }
                    let inputs = evaluate_groups(
                        "inputFilterGroups",
                        &filter.input_filter_groups,
                        input,
                        entra_source,
                        &mut notes,
                    );
                    let main =
                        evaluate_groups("groups", &filter.groups, input, entra_source, &mut notes);
                    let pass = |gs: &[GroupEvaluation]| {
                        if gs.is_empty() {
                            Some(true)
                        } else {
                            any_of(gs.iter().map(|g| g.passed))
                        }
                    };
                    eval.unfiltered = inputs.is_empty() && main.is_empty();
                    eval.in_scope = all_of([pass(&inputs), pass(&main)]);
                    eval.groups = inputs.into_iter().chain(main).collect();
                }
            }
            mappings.push(eval);
        }
    }
    let mut out = ScopeEvaluation {
        in_scope: None,
        object_type: input.object_type.map(str::to_owned),
        assignment: input.assignment.cloned(),
        mappings,
        excluded_by: Vec::new(),
        recorded: input.recorded.cloned(),
        comparison: Vec::new(),
        disagreements: Vec::new(),
        notes,
    };
    if out.mappings.is_empty() {
        out.notes.push(match input.object_type {
            Some(t) => format!("The job's schema has no enabled object mapping for '{t}'."),
            None => "The job's schema has no enabled object mapping.".into(),
        });
    } else {
        out.in_scope = any_of(out.mappings.iter().map(|m| m.in_scope));
    }
    if out.in_scope == Some(false) {
        out.excluded_by = exclusions(&out.mappings);
    }
    apply_assignment(&mut out);
    if let Some(rec) = input.recorded {
        compare_recorded(&mut out, rec);
    }
    out
}

fn exclusions(mappings: &[MappingEvaluation]) -> Vec<Exclusion> {
    let mut out = Vec::new();
    for m in mappings.iter().filter(|m| m.in_scope == Some(false)) {
        for set in ["inputFilterGroups", "groups"] {
            let groups: Vec<&GroupEvaluation> = m.groups.iter().filter(|g| g.set == set).collect();
            if groups.is_empty() || groups.iter().any(|g| g.passed != Some(false)) {
                continue;
            }
            for g in groups {
                if let Some(c) = g.clauses.iter().find(|c| c.passed == Some(false)) {
                    out.push(Exclusion {
                        mapping: m.name.clone(),
                        group: Some(g.name.clone()),
                        set: Some(g.set),
                        attribute: Some(c.attribute.clone()),
                        operator: Some(c.operator.clone()),
                        expected: c.expected.clone(),
                        actual: c.actual.clone(),
                        reason: format!(
                            "{} {} {} is false (actual {})",
                            c.attribute,
                            c.operator,
                            quote_values(&c.expected),
                            show_value(&c.actual)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// An unassigned object in an assigned-only job is skipped before any filter applies.
fn apply_assignment(out: &mut ScopeEvaluation) {
    let Some(a) = &out.assignment else { return };
    match (&a.sync_scope, a.assigned()) {
        (SyncScope::AssignedOnly, Some(false)) => {
            out.in_scope = Some(false);
            out.excluded_by.insert(
                0,
                Exclusion {
                    mapping: out.mappings.first().map(|m| m.name.clone()).unwrap_or_default(),
                    group: None,
                    set: None,
                    attribute: None,
                    operator: None,
                    expected: Vec::new(),
                    actual: Value::Null,
                    reason: "not assigned to the application, and the job syncs only assigned users and groups: it is skipped before any scoping filter applies".into(),
                },
            );
        }
        (SyncScope::AssignedOnly, None) => {
            if out.in_scope == Some(true) {
                out.in_scope = None;
            }
            out.notes.push(
                "The job syncs only assigned users and groups, and the assignments could not be read: the filters' verdict is not the whole answer.".into(),
            );
        }
        (SyncScope::Unknown(why), _) => out.notes.push(format!(
            "Whether the job syncs all users and groups or only assigned ones cannot be known: {why}."
        )),
        _ => {}
    }
}

/// Compares the log's `ScopeEvaluationResult` with the clauses evaluated here.
fn compare_recorded(out: &mut ScopeEvaluation, rec: &RecordedScope) {
    for (key, recorded) in &rec.results {
        let mut evaluated = None;
        let mut found = false;
        for m in &mut out.mappings {
            for g in &mut m.groups {
                for c in &mut g.clauses {
                    if recorded_key_matches(key, &g.name, c) {
                        c.recorded = Some(*recorded);
                        evaluated = c.passed;
                        found = true;
                    }
                }
            }
        }
        let agrees = evaluated.map(|e| e == *recorded);
        if agrees == Some(false) {
            out.disagreements.push(format!(
                "the log recorded {key} = {recorded}; provctl finds {}",
                !recorded
            ));
        } else if !found {
            out.notes.push(format!(
                "The log recorded {key} = {recorded}, which matches no clause of the current schema (the filter may have changed since)."
            ));
        }
        out.comparison.push(RecordedComparison {
            key: key.clone(),
            recorded: *recorded,
            evaluated,
            agrees,
        });
    }
    if let (Some(passed), Some(ours)) = (rec.passed, out.in_scope)
        && rec.results.is_empty()
        && passed != ours
        && out
            .assignment
            .as_ref()
            .is_none_or(|a| a.assigned() != Some(false))
    {
        out.disagreements.push(format!(
            "the log recorded 'Scoping filter evaluation passed' = {passed}; provctl finds {ours}"
        ));
    }
}

/// `"<filter name>.<attribute> <OPERATOR> '<value>'"` (or without the filter name / value).
fn recorded_key_matches(key: &str, group: &str, c: &ClauseEvaluation) -> bool {
    let key = key.trim();
    let body = format!("{} {}", c.attribute, c.operator);
    let mut forms = Vec::new();
    for prefix in [format!("{group}."), String::new()] {
        if c.expected.is_empty() {
            forms.push(format!("{prefix}{body}"));
        }
        for v in &c.expected {
            forms.push(format!("{prefix}{body} '{v}'"));
        }
    }
    forms.iter().any(|f| f.eq_ignore_ascii_case(key))
}

// ---------------------------------------------------------------------------------------------
// Reading a log entry

/// The scoping step's record in a log entry (`ScopeEvaluationResult`, `Scoping filter evaluation
/// passed`), when it has one.
pub fn recorded_scope(entry: &ProvisioningObjectSummary) -> Option<RecordedScope> {
    let step = entry.provisioning_steps.iter().find(|s| {
        s.details.get("ScopeEvaluationResult").is_some()
            || s.details.get("Scoping filter evaluation passed").is_some()
    })?;
    let passed = step
        .details
        .get("Scoping filter evaluation passed")
        .and_then(|v| as_bool(&Value::String(v.to_owned())));
    let mut results = Vec::new();
    let mut unreadable = None;
    if let Some(raw) = step
        .details
        .get("ScopeEvaluationResult")
        .filter(|r| !r.trim().is_empty())
    {
        match serde_json::from_str::<Map<String, Value>>(raw) {
            Ok(map) => {
                for (k, v) in map {
                    match as_bool(&v) {
                        Some(b) => results.push((k, b)),
                        None => unreadable = Some(raw.to_owned()),
                    }
                }
            }
            Err(_) => unreadable = Some(raw.to_owned()),
        }
    }
    Some(RecordedScope {
        log_id: entry.id.clone(),
        passed,
        results,
        unreadable,
    })
}

/// The source attributes the import step recorded (`details` of the first `import` step), with
/// `""` read as no value. `None` when the entry has no import step with details.
pub fn imported_attributes(entry: &ProvisioningObjectSummary) -> Option<Map<String, Value>> {
    let step = entry.provisioning_steps.iter().find(|s| {
        s.provisioning_step_type == Some(ProvisioningStepType::Import) && !s.details.is_empty()
    })?;
    Some(
        step.details
            .iter()
            .map(|(k, v)| {
                let v = if v.is_empty() {
                    Value::Null
                } else {
                    Value::String(v.to_owned())
                };
                (k.to_owned(), v)
            })
            .collect(),
    )
}

/// True when the entry's decisive step says the object is out of scope or not entitled: the
/// entries `scope check` can explain further.
pub fn is_scoping_skip(entry: &ProvisioningObjectSummary) -> bool {
    let says = |k: &str, v: &str| {
        entry.provisioning_steps.iter().any(|s| {
            s.details
                .get(k)
                .is_some_and(|x| x.trim().eq_ignore_ascii_case(v))
        })
    };
    says("Scoping filter evaluation passed", "false")
        || says("IsEffectivelyEntitledForProvisioning", "false")
        || says("IsInProvisioningScope", "false")
        || says("Assigned", "false")
        || says("SkipReason", "NotInScope")
        || says("SkipReason", "NotEffectivelyEntitled")
}

#[cfg(test)]
#[path = "scope_tests.rs"]
mod tests;
