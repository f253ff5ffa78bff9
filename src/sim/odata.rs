//! The OData `$filter` subset the emulator understands: `eq`, `ne`, `gt`, `lt`, `ge`, `le`,
//! `contains(field,'x')`, `startswith(field,'x')`, `and`, `or`, `not`, parentheses; string literals
//! in single quotes (`''` escapes a quote), unquoted datetime literals (fractional seconds
//! allowed), numbers. Each resource declares which fields and operators it accepts; anything else
//! is a Graph-style 400 naming what is wrong.

use super::server::ApiError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

/// How a field may be filtered.
#[derive(Debug)]
pub(crate) struct FieldSpec {
    pub name: &'static str,
    pub ops: &'static [&'static str],
    pub time: bool,
    pub case_insensitive: bool,
}

/// The filterable fields of one resource.
pub(crate) struct Fields {
    pub type_name: &'static str,
    pub fields: &'static [FieldSpec],
}

const fn f(name: &'static str, ops: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        name,
        ops,
        time: false,
        case_insensitive: false,
    }
}

const EQ_CONTAINS: &[&str] = &["eq", "contains"];

pub(crate) static SERVICE_PRINCIPAL_FIELDS: Fields = Fields {
    type_name: "microsoft.graph.servicePrincipal",
    fields: &[
        f("applicationTemplateId", &["eq", "ne"]),
        f("displayName", &["eq", "ne", "startswith"]),
        f("appId", &["eq", "ne"]),
        f("id", &["eq", "ne"]),
        f("servicePrincipalType", &["eq", "ne"]),
    ],
};

pub(crate) static LOG_FIELDS: Fields = Fields {
    type_name: "microsoft.graph.provisioningObjectSummary",
    fields: &[
        f("id", EQ_CONTAINS),
        FieldSpec {
            name: "activityDateTime",
            ops: &["eq", "gt", "lt", "ge", "le"],
            time: true,
            case_insensitive: false,
        },
        f("jobId", EQ_CONTAINS),
        f("cycleId", EQ_CONTAINS),
        f("changeId", EQ_CONTAINS),
        f("tenantId", EQ_CONTAINS),
        f("servicePrincipal/id", &["eq"]),
        f("servicePrincipal/displayName", &["eq"]),
        f("sourceIdentity/id", EQ_CONTAINS),
        f("sourceIdentity/displayName", EQ_CONTAINS),
        f("sourceIdentity/identityType", EQ_CONTAINS),
        f("targetIdentity/id", EQ_CONTAINS),
        f("targetIdentity/displayName", EQ_CONTAINS),
        f("targetIdentity/identityType", EQ_CONTAINS),
        f("sourceSystem/displayName", EQ_CONTAINS),
        f("targetSystem/displayName", EQ_CONTAINS),
        f("provisioningAction", EQ_CONTAINS),
        FieldSpec {
            name: "provisioningStatusInfo/status",
            ops: EQ_CONTAINS,
            time: false,
            case_insensitive: true,
        },
        f("initiatedBy/displayName", EQ_CONTAINS),
    ],
};

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Time(DateTime<Utc>),
    Num(f64),
    Bool(bool),
    Null,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Contains,
    StartsWith,
}

/// A parsed filter expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: &'static FieldSpec,
        op: Op,
        lit: Lit,
    },
}

/// A field value from a record.
pub(crate) enum FieldVal<'a> {
    Str(Cow<'a, str>),
    Time(DateTime<Utc>),
    Null,
}

/// Anything a filter can be evaluated against.
pub(crate) trait Record {
    fn field(&self, name: &str, time: bool) -> FieldVal<'_>;
}

impl Record for Value {
    fn field(&self, name: &str, time: bool) -> FieldVal<'_> {
        let mut cur = self;
        for part in name.split('/') {
            cur = &cur[part];
        }
        match cur.as_str() {
            Some(s) if time => DateTime::parse_from_rfc3339(s)
                .map(|t| FieldVal::Time(t.with_timezone(&Utc)))
                .unwrap_or(FieldVal::Null),
            Some(s) => FieldVal::Str(Cow::Borrowed(s)),
            None => FieldVal::Null,
        }
    }
}

impl Expr {
    pub fn eval(&self, r: &dyn Record) -> bool {
        match self {
            Expr::And(a, b) => a.eval(r) && b.eval(r),
            Expr::Or(a, b) => a.eval(r) || b.eval(r),
            Expr::Not(a) => !a.eval(r),
            Expr::Cmp { field, op, lit } => {
                let v = r.field(field.name, field.time);
                compare(field, *op, &v, lit)
            }
        }
    }

    /// Evaluate against a JSON document.
    pub fn eval_value(&self, v: &Value) -> bool {
        self.eval(v)
    }

    /// The literal of a top-level `field eq 'x'` conjunct, if any.
    pub fn eq_constraint(&self, name: &str) -> Option<&str> {
        match self {
            Expr::And(a, b) => a.eq_constraint(name).or_else(|| b.eq_constraint(name)),
            Expr::Cmp {
                field,
                op: Op::Eq,
                lit: Lit::Str(s),
            } if field.name == name && !field.case_insensitive => Some(s),
            _ => None,
        }
    }

    /// The activityDateTime range every match must fall in: (lower, lower inclusive, upper, upper inclusive).
    pub fn time_bounds(&self) -> TimeBounds {
        match self {
            Expr::And(a, b) => a.time_bounds().intersect(b.time_bounds()),
            Expr::Cmp {
                field,
                op,
                lit: Lit::Time(t),
            } if field.time => {
                let mut tb = TimeBounds::default();
                match op {
                    Op::Gt => tb.lo = Some((*t, false)),
                    Op::Ge => tb.lo = Some((*t, true)),
                    Op::Lt => tb.hi = Some((*t, false)),
                    Op::Le => tb.hi = Some((*t, true)),
                    Op::Eq => {
                        tb.lo = Some((*t, true));
                        tb.hi = Some((*t, true));
                    }
                    _ => {}
                }
                tb
            }
            Expr::Or(a, b) => a.time_bounds().union(b.time_bounds()),
            _ => TimeBounds::default(),
        }
    }
}

/// A time range; `None` = unbounded. The bool says whether the bound itself is included.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeBounds {
    pub lo: Option<(DateTime<Utc>, bool)>,
    pub hi: Option<(DateTime<Utc>, bool)>,
}

impl TimeBounds {
    fn intersect(self, o: TimeBounds) -> TimeBounds {
        let lo = match (self.lo, o.lo) {
            (Some(a), Some(b)) => Some(if a.0 > b.0 || (a.0 == b.0 && !a.1) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        let hi = match (self.hi, o.hi) {
            (Some(a), Some(b)) => Some(if a.0 < b.0 || (a.0 == b.0 && !a.1) {
                a
            } else {
                b
            }),
            (a, b) => a.or(b),
        };
        TimeBounds { lo, hi }
    }
    fn union(self, o: TimeBounds) -> TimeBounds {
        let lo = match (self.lo, o.lo) {
            (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
            _ => None,
        };
        let hi = match (self.hi, o.hi) {
            (Some(a), Some(b)) => Some(if a.0 > b.0 { a } else { b }),
            _ => None,
        };
        TimeBounds { lo, hi }
    }
}

fn compare(field: &FieldSpec, op: Op, v: &FieldVal<'_>, lit: &Lit) -> bool {
    match (v, lit) {
        (FieldVal::Time(t), Lit::Time(l)) => match op {
            Op::Eq => t == l,
            Op::Ne => t != l,
            Op::Gt => t > l,
            Op::Lt => t < l,
            Op::Ge => t >= l,
            Op::Le => t <= l,
            _ => false,
        },
        (FieldVal::Str(s), Lit::Str(l)) => {
            let (s, l): (Cow<str>, Cow<str>) = if field.case_insensitive {
                (s.to_lowercase().into(), l.to_lowercase().into())
            } else {
                (Cow::Borrowed(s.as_ref()), Cow::Borrowed(l.as_str()))
            };
            match op {
                Op::Eq => s == l,
                Op::Ne => s != l,
                Op::Contains => s.contains(l.as_ref()),
                Op::StartsWith => s.starts_with(l.as_ref()),
                Op::Gt => s > l,
                Op::Lt => s < l,
                Op::Ge => s >= l,
                Op::Le => s <= l,
            }
        }
        (FieldVal::Null, Lit::Null) => matches!(op, Op::Eq),
        (FieldVal::Null, _) => matches!(op, Op::Ne),
        _ => matches!(op, Op::Ne),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Other(String),
    LParen,
    RParen,
    Comma,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(format!("Invalid filter clause: {}", msg.into()))
}

fn tokenize(s: &str) -> Result<Vec<Tok>, ApiError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' => {
                let mut lit = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(bad(format!("unterminated string literal in '{s}'")));
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            lit.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            lit.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(lit));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '/' | '.'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || matches!(chars[i], '-' | ':' | '.' | '+'))
                {
                    i += 1;
                }
                out.push(Tok::Other(chars[start..i].iter().collect()));
            }
            other => {
                return Err(bad(format!(
                    "unexpected character '{other}' at position {i} in '{s}'"
                )));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    fields: &'static Fields,
    src: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(i)) if i == kw)
    }
    fn or(&mut self) -> Result<Expr, ApiError> {
        let mut e = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, ApiError> {
        let mut e = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }
    fn unary(&mut self) -> Result<Expr, ApiError> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }
    fn field(&self, name: &str) -> Result<&'static FieldSpec, ApiError> {
        let fields = self.fields;
        fields.fields.iter().find(|f| f.name == name).ok_or_else(|| {
            bad(format!(
                "Could not find a filterable property named '{name}' on type '{}'. Filterable: {}.",
                fields.type_name,
                fields.fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            ))
        })
    }
    fn check_op(&self, field: &FieldSpec, op: &str) -> Result<(), ApiError> {
        if field.ops.contains(&op) {
            Ok(())
        } else {
            Err(bad(format!(
                "The operator '{op}' is not supported for '{}'. Supported: {}.",
                field.name,
                field.ops.join(", ")
            )))
        }
    }
    fn literal(&mut self, field: &FieldSpec) -> Result<Lit, ApiError> {
        let lit = match self.next() {
            Some(Tok::Str(s)) => Lit::Str(s),
            Some(Tok::Ident(i)) if i == "null" => Lit::Null,
            Some(Tok::Ident(i)) if i == "true" => Lit::Bool(true),
            Some(Tok::Ident(i)) if i == "false" => Lit::Bool(false),
            Some(Tok::Other(o)) => {
                if let Ok(t) = DateTime::parse_from_rfc3339(&o) {
                    Lit::Time(t.with_timezone(&Utc))
                } else if let Ok(n) = o.parse::<f64>() {
                    Lit::Num(n)
                } else {
                    return Err(bad(format!(
                        "'{o}' is not a valid literal (datetimes look like 2024-05-01T00:00:00Z)."
                    )));
                }
            }
            other => {
                return Err(bad(format!(
                    "expected a literal after '{}' in '{}', found {}",
                    field.name,
                    self.src,
                    describe(other.as_ref())
                )));
            }
        };
        let compatible = matches!(
            (&lit, field.time),
            (Lit::Time(_), true) | (Lit::Str(_), false) | (Lit::Null, _)
        );
        if !compatible {
            let found = match &lit {
                Lit::Str(_) => "Edm.String",
                Lit::Time(_) => "Edm.DateTimeOffset",
                Lit::Num(_) => "Edm.Int32",
                Lit::Bool(_) => "Edm.Boolean",
                Lit::Null => "null",
            };
            let want = if field.time {
                "Edm.DateTimeOffset"
            } else {
                "Edm.String"
            };
            return Err(bad(format!(
                "A binary operator with incompatible types was detected. Found operand types '{want}' and '{found}' for '{}'.",
                field.name
            )));
        }
        Ok(lit)
    }
    fn primary(&mut self) -> Result<Expr, ApiError> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    other => Err(bad(format!(
                        "expected ')' in '{}', found {}",
                        self.src,
                        describe(other.as_ref())
                    ))),
                }
            }
            Some(Tok::Ident(name)) if self.peek() == Some(&Tok::LParen) => {
                let op = match name.as_str() {
                    "contains" => Op::Contains,
                    "startswith" => Op::StartsWith,
                    other => {
                        return Err(bad(format!(
                            "the function '{other}' is not supported; use contains or startswith."
                        )));
                    }
                };
                self.pos += 1;
                let field = match self.next() {
                    Some(Tok::Ident(f)) => self.field(&f)?,
                    other => {
                        return Err(bad(format!(
                            "expected a property name in {name}(), found {}",
                            describe(other.as_ref())
                        )));
                    }
                };
                self.check_op(field, &name)?;
                if self.next() != Some(Tok::Comma) {
                    return Err(bad(format!("expected ',' in {name}() in '{}'", self.src)));
                }
                let lit = self.literal(field)?;
                if !matches!(lit, Lit::Str(_)) {
                    return Err(bad(format!("{name}() needs a string literal")));
                }
                if self.next() != Some(Tok::RParen) {
                    return Err(bad(format!("expected ')' after {name}( in '{}'", self.src)));
                }
                Ok(Expr::Cmp { field, op, lit })
            }
            Some(Tok::Ident(name)) => {
                let field = self.field(&name)?;
                let op_name = match self.next() {
                    Some(Tok::Ident(o)) => o,
                    other => {
                        return Err(bad(format!(
                            "expected an operator after '{name}', found {}",
                            describe(other.as_ref())
                        )));
                    }
                };
                let op = match op_name.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "gt" => Op::Gt,
                    "lt" => Op::Lt,
                    "ge" => Op::Ge,
                    "le" => Op::Le,
                    other => {
                        return Err(bad(format!(
                            "'{other}' is not a supported operator; use eq, gt, lt (and contains() for strings)."
                        )));
                    }
                };
                self.check_op(field, &op_name)?;
                let lit = self.literal(field)?;
                Ok(Expr::Cmp { field, op, lit })
            }
            other => Err(bad(format!(
                "expected a property or '(' in '{}', found {}",
                self.src,
                describe(other.as_ref())
            ))),
        }
    }
}

fn describe(t: Option<&Tok>) -> String {
    match t {
        None => "the end of the expression".into(),
        Some(Tok::Ident(i)) | Some(Tok::Other(i)) => format!("'{i}'"),
        Some(Tok::Str(s)) => format!("'{s}'"),
        Some(Tok::LParen) => "'('".into(),
        Some(Tok::RParen) => "')'".into(),
        Some(Tok::Comma) => "','".into(),
    }
}

/// Parse `$filter` for a resource with the given fields.
pub(crate) fn parse(src: &str, fields: &'static Fields) -> Result<Expr, ApiError> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(bad("the $filter expression is empty"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        fields,
        src,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(bad(format!(
            "unexpected {} in '{}'",
            describe(p.peek()),
            src
        )));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Value {
        json!({"jobId": "AD2AADProvisioning.abc.def", "activityDateTime": "2024-05-02T10:00:00Z",
               "provisioningStatusInfo": {"status": "failure"}, "sourceIdentity": {"id": "o'brien"}})
    }

    #[test]
    fn parses_and_evaluates_the_documented_subset() {
        let e = parse(
            "jobId eq 'AD2AADProvisioning.abc.def' and provisioningStatusInfo/status eq 'Failure' and activityDateTime gt 2024-05-01T00:00:00.5Z",
            &LOG_FIELDS,
        )
        .unwrap();
        assert!(e.eval_value(&rec()));
        let e = parse(
            "(contains(jobId,'abc') or jobId eq 'x') and sourceIdentity/id eq 'o''brien'",
            &LOG_FIELDS,
        )
        .unwrap();
        assert!(e.eval_value(&rec()));
        let e = parse("jobId eq 'ad2aadprovisioning.abc.def'", &LOG_FIELDS).unwrap();
        assert!(
            !e.eval_value(&rec()),
            "string comparisons are case-sensitive"
        );
    }

    #[test]
    fn rejects_unknown_fields_operators_and_syntax() {
        let msg = |s: &str| parse(s, &LOG_FIELDS).unwrap_err().message;
        assert!(msg("bogus eq 'x'").contains("'bogus'"));
        assert!(msg("startswith(jobId,'x')").contains("'startswith'"));
        assert!(msg("jobId eq 'x").contains("unterminated"));
        assert!(msg("activityDateTime gt '2024-01-01'").contains("incompatible"));
        assert!(msg("jobId foo 'x'").contains("'foo'"));
        assert!(msg("(jobId eq 'x'").contains("')'"));
    }

    #[test]
    fn time_bounds_come_from_conjunctions() {
        let e = parse(
            "activityDateTime gt 2024-01-01T00:00:00Z and activityDateTime lt 2024-02-01T00:00:00Z and jobId eq 'x'",
            &LOG_FIELDS,
        )
        .unwrap();
        let b = e.time_bounds();
        assert!(b.lo.is_some() && b.hi.is_some());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,60}") {
            let _ = parse(&input, &LOG_FIELDS);
            let _ = parse(&input, &SERVICE_PRINCIPAL_FIELDS);
        }

        #[test]
        fn parsing_filter_like_input_never_panics(
            input in "(\\(|\\)|jobId|activityDateTime|eq|gt|and|or|not|contains|,|'[a-z']{0,4}'|2024-01-01T00:00:00Z| ){0,12}"
        ) {
            let _ = parse(&input, &LOG_FIELDS);
        }
    }
}
