//! Unit tests of the scoping-filter evaluator: every operator on strings, Booleans, empty values,
//! numbers and multi-valued attributes with case variations; the OR/AND structure; the log's
//! record beside the evaluation; assignment; and a property test that no schema or object JSON
//! makes it panic.

use super::*;
use crate::graph::model::SynchronizationSchema;
use proptest::prelude::*;
use serde_json::json;

fn schema_with(source_dir: &str, scope: Value) -> SynchronizationSchema {
    serde_json::from_value(json!({
        "synchronizationRules": [{
            "id": "r", "sourceDirectoryName": source_dir,
            "objectMappings": [{"name": "Provision users", "enabled": true,
                "sourceObjectName": "user", "targetObjectName": "User", "scope": scope}]
        }]
    }))
    .unwrap_or_else(|e| panic!("schema: {e}"))
}

/// Evaluates `schema` for a user with these attributes.
fn eval_user(
    schema: &SynchronizationSchema,
    attributes: &Map<String, Value>,
    operators: Option<&[FilterOperatorSchema]>,
    assignment: Option<&AssignmentFacts>,
    recorded: Option<&RecordedScope>,
) -> ScopeEvaluation {
    evaluate_scope(&ScopeInput {
        schema,
        object_type: Some("user"),
        attributes,
        operators,
        assignment,
        recorded,
    })
}

fn one_clause(op: &str, attr: &str, values: Option<Vec<&str>>) -> Value {
    let target = values.map(|v| json!({"values": v})).unwrap_or(Value::Null);
    json!({"groups": [{"name": "F", "clauses": [
        {"operatorName": op, "sourceOperandName": attr, "targetOperand": target}
    ]}]})
}

/// The clause's verdict for an app provisioning job (source Entra ID).
fn verdict(op: &str, values: Option<Vec<&str>>, actual: Value) -> Option<bool> {
    verdict_in("Azure Active Directory", op, values, actual)
}

fn verdict_in(dir: &str, op: &str, values: Option<Vec<&str>>, actual: Value) -> Option<bool> {
    let schema = schema_with(dir, one_clause(op, "attr", values));
    let mut attrs = Map::new();
    attrs.insert("attr".into(), actual);
    let x = eval_user(&schema, &attrs, None, None, None);
    x.mappings[0].groups[0].clauses[0].passed
}

#[test]
fn equals_and_not_equals_are_case_sensitive_whole_value_matches() {
    assert_eq!(
        verdict("EQUALS", Some(vec!["Sales"]), json!("Sales")),
        Some(true)
    );
    assert_eq!(
        verdict("EQUALS", Some(vec!["Sales"]), json!("sales")),
        Some(false)
    );
    assert_eq!(
        verdict("EQUALS", Some(vec!["Sales"]), json!("Sales EMEA")),
        Some(false)
    );
    assert_eq!(
        verdict("NOT EQUALS", Some(vec!["Sales"]), json!("sales")),
        Some(true)
    );
    assert_eq!(
        verdict("NOT EQUALS", Some(vec!["Sales"]), json!("Sales")),
        Some(false)
    );
    // Graph's spellings vary in case, spaces and underscores.
    assert_eq!(
        verdict("equals", Some(vec!["Sales"]), json!("Sales")),
        Some(true)
    );
    assert_eq!(
        verdict("NOT_EQUALS", Some(vec!["x"]), json!("y")),
        Some(true)
    );
    assert_eq!(
        verdict("NotEquals", Some(vec!["x"]), json!("y")),
        Some(true)
    );
}

#[test]
fn numbers_and_booleans_compare_as_the_services_text() {
    assert_eq!(verdict("EQUALS", Some(vec!["42"]), json!(42)), Some(true));
    assert_eq!(
        verdict("EQUALS", Some(vec!["True"]), json!(true)),
        Some(true)
    );
    assert_eq!(
        verdict("EQUALS", Some(vec!["true"]), json!(true)),
        Some(false)
    );
}

#[test]
fn is_true_and_is_false_read_booleans_and_boolean_text_in_any_case() {
    assert_eq!(verdict("IS TRUE", None, json!(true)), Some(true));
    assert_eq!(verdict("IS TRUE", None, json!("True")), Some(true));
    assert_eq!(verdict("IS TRUE", None, json!("TRUE")), Some(true));
    assert_eq!(verdict("IS TRUE", None, json!(false)), Some(false));
    assert_eq!(verdict("IS FALSE", None, json!("false")), Some(true));
    assert_eq!(verdict("IS FALSE", None, json!(true)), Some(false));
    // Not a Boolean: undecided, never guessed.
    assert_eq!(verdict("IS TRUE", None, json!("yes")), None);
    assert_eq!(verdict("IS TRUE", None, json!(1)), None);
}

#[test]
fn empty_values_fail_every_operator_but_is_null_in_app_provisioning() {
    for empty in [Value::Null, json!(""), json!([]), json!("  ")] {
        assert_eq!(verdict("IS NULL", None, empty.clone()), Some(true));
        assert_eq!(verdict("IS NOT NULL", None, empty.clone()), Some(false));
        for op in [
            "EQUALS",
            "NOT EQUALS",
            "REGEX MATCH",
            "NOT REGEX MATCH",
            "Includes",
        ] {
            assert_eq!(
                verdict(op, Some(vec!["x"]), empty.clone()),
                Some(false),
                "{op}"
            );
        }
        assert_eq!(verdict("IS TRUE", None, empty.clone()), Some(false));
        assert_eq!(verdict("IS FALSE", None, empty.clone()), Some(false));
        assert_eq!(
            verdict("Greater_Than", Some(vec!["1"]), empty.clone()),
            Some(false)
        );
    }
    assert_eq!(verdict("IS NULL", None, json!("x")), Some(false));
    assert_eq!(verdict("IS NOT NULL", None, json!(0)), Some(true));
    assert_eq!(verdict("IS NOT NULL", None, json!(false)), Some(true));
}

#[test]
fn empty_values_are_undecided_for_cloud_sync_except_the_null_tests() {
    let ad = "Active Directory";
    assert_eq!(verdict_in(ad, "IS FALSE", None, Value::Null), None);
    assert_eq!(
        verdict_in(ad, "NOT REGEX MATCH", Some(vec!["^User_"]), Value::Null),
        None
    );
    assert_eq!(verdict_in(ad, "IS NULL", None, Value::Null), Some(true));
    assert_eq!(verdict_in(ad, "IS NOT NULL", None, json!("")), Some(false));
    assert_eq!(
        verdict_in(ad, "EQUALS", Some(vec!["Sales"]), json!("Sales")),
        Some(true)
    );
}

#[test]
fn regex_match_searches_case_sensitively_and_reads_dotnet_literal_braces() {
    assert_eq!(
        verdict(
            "REGEX MATCH",
            Some(vec![".*@contoso.com"]),
            json!("a@contoso.com")
        ),
        Some(true)
    );
    assert_eq!(
        verdict("REGEX MATCH", Some(vec!["([1-9][0-9])"]), json!("x42")),
        Some(true)
    );
    assert_eq!(
        verdict("REGEX MATCH", Some(vec!["^Sales"]), json!("sales")),
        Some(false)
    );
    assert_eq!(
        verdict("NOT REGEX MATCH", Some(vec!["^Sales"]), json!("sales")),
        Some(true)
    );
    assert_eq!(
        verdict("NOT REGEX MATCH", Some(vec!["^Sales"]), json!("Sales 1")),
        Some(false)
    );
    // Cloud sync's default exclusions: `{` as a literal, `\0` as NUL.
    assert_eq!(
        verdict(
            "REGEX MATCH",
            Some(vec!["^SystemMailbox{"]),
            json!("SystemMailbox{abc}")
        ),
        Some(true)
    );
    assert_eq!(
        verdict("REGEX MATCH", Some(vec!["^CAS_([^{]*){"]), json!("CAS_x{")),
        Some(true)
    );
    assert_eq!(
        verdict("REGEX MATCH", Some(vec!["a{2}"]), json!("aa")),
        Some(true)
    );
    assert_eq!(
        verdict(
            "REGEX MATCH",
            Some(vec!["^CN\\s*=\\s*([^\\,]*)\\0ACNF"]),
            json!("CN=x\u{0}ACNF:1")
        ),
        Some(true)
    );
    // A pattern the regex crate can't read is undecided with the reason.
    assert_eq!(
        verdict("REGEX MATCH", Some(vec!["(?<=a)b"]), json!("ab")),
        None
    );
}

#[test]
fn includes_and_ends_with_are_ordinal_and_case_sensitive() {
    assert_eq!(
        verdict("Includes", Some(vec!["ale"]), json!("Sales")),
        Some(true)
    );
    assert_eq!(
        verdict("INCLUDES", Some(vec!["SAL"]), json!("Sales")),
        Some(false)
    );
    assert_eq!(
        verdict("NOT INCLUDES", Some(vec!["SAL"]), json!("Sales")),
        Some(true)
    );
    assert_eq!(
        verdict("ENDS_WITH", Some(vec!["DC=tld"]), json!("OU=Cloud,DC=tld")),
        Some(true)
    );
    assert_eq!(
        verdict("ENDS_WITH", Some(vec!["dc=tld"]), json!("OU=Cloud,DC=tld")),
        Some(false)
    );
}

#[test]
fn greater_and_less_than_need_integers_on_both_sides() {
    assert_eq!(
        verdict("Greater_Than", Some(vec!["1000000"]), json!("1500000")),
        Some(true)
    );
    assert_eq!(
        verdict("Greater_Than", Some(vec!["10"]), json!(10)),
        Some(false)
    );
    assert_eq!(
        verdict("Greater_Than_OR_EQUALS", Some(vec!["10"]), json!(10)),
        Some(true)
    );
    assert_eq!(
        verdict("GREATER THAN OR EQUALS", Some(vec!["10"]), json!("9")),
        Some(false)
    );
    assert_eq!(verdict("Less_Than", Some(vec!["10"]), json!(9)), Some(true));
    assert_eq!(
        verdict("Less_Than_OR_EQUALS", Some(vec!["10"]), json!(11)),
        Some(false)
    );
    assert_eq!(
        verdict("Greater_Than", Some(vec!["10"]), json!("ten")),
        None
    );
    assert_eq!(verdict("Greater_Than", Some(vec!["1.5"]), json!(2)), None);
}

#[test]
fn unknown_and_undocumented_operators_are_never_guessed() {
    let schema = schema_with(
        "Azure Active Directory",
        one_clause("IsMemberOf", "attr", Some(vec!["x"])),
    );
    let attrs: Map<String, Value> = [("attr".to_owned(), json!("x"))].into_iter().collect();
    let x = eval_user(&schema, &attrs, None, None, None);
    let c = &x.mappings[0].groups[0].clauses[0];
    assert_eq!((c.passed, c.operator_known), (None, false));
    assert!(
        c.reason
            .as_deref()
            .unwrap_or("")
            .contains("unknown operator 'IsMemberOf'")
    );
    assert_eq!(x.in_scope, None);
    assert_eq!(verdict("&", Some(vec!["4"]), json!("4")), None);
    assert_eq!(verdict("!&", Some(vec!["566259712"]), json!("1")), None);
}

#[test]
fn multi_valued_attributes_use_the_operators_comparison_type_default_all() {
    let vals = json!(["Sales", "Marketing"]);
    assert_eq!(
        verdict("EQUALS", Some(vec!["Sales"]), vals.clone()),
        Some(false)
    );
    assert_eq!(
        verdict("NOT EQUALS", Some(vec!["HR"]), vals.clone()),
        Some(true)
    );
    let schema = schema_with(
        "Azure Active Directory",
        one_clause("EQUALS", "attr", Some(vec!["Sales"])),
    );
    let attrs: Map<String, Value> = [("attr".to_owned(), vals)].into_iter().collect();
    let ops: Vec<FilterOperatorSchema> = serde_json::from_value(json!([
        {"name": "EQUALS", "arity": "Binary", "multivaluedComparisonType": "Any", "supportedAttributeTypes": ["String"]}
    ]))
    .unwrap_or_default();
    let x = eval_user(&schema, &attrs, Some(&ops), None, None);
    assert_eq!(x.mappings[0].groups[0].clauses[0].passed, Some(true));
    assert!(
        x.notes.iter().any(|n| n.contains("multi-valued")),
        "{:?}",
        x.notes
    );
}

#[test]
fn groups_are_or_ed_clauses_and_ed_and_input_filters_must_pass_too() {
    let scope = json!({
    "inputFilterGroups": [{"name": "Defaults", "clauses": [
        {"operatorName": "IS NOT NULL", "sourceOperandName": "sAMAccountName", "targetOperand": null}]}],
    "groups": [
        {"name": "Sales in NY", "clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}},
            {"operatorName": "EQUALS", "sourceOperandName": "state", "targetOperand": {"values": ["NY"]}}]},
        {"name": "Engineering", "clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Engineering"]}}]}
    ]});
    let schema = schema_with("Active Directory", scope);
    let run = |attrs: Value| {
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        evaluate_scope(&ScopeInput {
            schema: &schema,
            object_type: Some("USER"),
            attributes: &attrs,
            operators: None,
            assignment: None,
            recorded: None,
        })
    };
    let ny = run(json!({"sAMAccountName": "a", "department": "Sales", "state": "NY"}));
    assert_eq!(ny.in_scope, Some(true));
    assert!(ny.excluded_by.is_empty());
    let eng = run(json!({"samaccountname": "b", "Department": "Engineering"}));
    assert_eq!(eng.in_scope, Some(true), "attribute names ignore case");
    let out = run(json!({"sAMAccountName": "c", "department": "Sales", "state": "CA"}));
    assert_eq!(out.in_scope, Some(false));
    let names: Vec<_> = out
        .excluded_by
        .iter()
        .map(|e| (e.group.clone(), e.attribute.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some("Sales in NY".into()), Some("state".into())),
            (Some("Engineering".into()), Some("department".into()))
        ]
    );
    assert!(
        out.failing_clause()
            .unwrap_or_default()
            .contains("state EQUALS 'NY'")
    );
    let no_sam = run(json!({"department": "Engineering"}));
    assert_eq!(no_sam.in_scope, Some(false));
    assert_eq!(no_sam.excluded_by[0].set, Some("inputFilterGroups"));
    // A mapping without a scope lets everything through.
    let open = schema_with("Azure Active Directory", Value::Null);
    let x = eval_user(&open, &Map::new(), None, None, None);
    assert_eq!((x.in_scope, x.mappings[0].unfiltered), (Some(true), true));
    // No mapping for the type: undecided, with a note.
    let g = evaluate_scope(&ScopeInput {
        schema: &open,
        object_type: Some("group"),
        attributes: &Map::new(),
        operators: None,
        assignment: None,
        recorded: None,
    });
    assert_eq!(g.in_scope, None);
    assert!(g.notes[0].contains("'group'"));
}

#[test]
fn the_logs_record_is_shown_beside_and_disagreements_are_named() {
    let schema = schema_with(
        "Azure Active Directory",
        json!({"groups": [{"name": "Marketing department filter", "clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Marketing"]}}]}]}),
    );
    let attrs: Map<String, Value> = [("department".to_owned(), json!("Sales"))]
        .into_iter()
        .collect();
    // The shape of Microsoft's cross-tenant synchronization example.
    let rec = RecordedScope {
        log_id: "l".into(),
        passed: Some(true),
        results: vec![(
            "Marketing department filter.department EQUALS 'Marketing'".into(),
            true,
        )],
        unreadable: None,
    };
    let x = eval_user(&schema, &attrs, None, None, Some(&rec));
    assert_eq!(x.in_scope, Some(false));
    assert_eq!(x.comparison[0].agrees, Some(false));
    assert_eq!(x.mappings[0].groups[0].clauses[0].recorded, Some(true));
    assert_eq!(x.disagreements.len(), 1, "{:?}", x.disagreements);
}

#[test]
fn an_unassigned_user_is_skipped_before_any_filter_in_an_assigned_only_job() {
    let schema = schema_with("Azure Active Directory", Value::Null);
    let unassigned = AssignmentFacts {
        sync_scope: SyncScope::AssignedOnly,
        direct: Some(false),
        via_groups: Vec::new(),
        error: None,
    };
    let run = |a: &AssignmentFacts| eval_user(&schema, &Map::new(), None, Some(a), None);
    let x = run(&unassigned);
    assert_eq!(x.in_scope, Some(false));
    assert!(x.excluded_by[0].reason.contains("not assigned"));
    let via_group = AssignmentFacts {
        via_groups: vec!["Sales team".into()],
        ..unassigned.clone()
    };
    assert_eq!(run(&via_group).in_scope, Some(true));
    let all = AssignmentFacts {
        sync_scope: SyncScope::All,
        ..unassigned.clone()
    };
    assert_eq!(run(&all).in_scope, Some(true));
    let unknown = AssignmentFacts {
        sync_scope: SyncScope::Unknown("the secrets could not be read".into()),
        ..unassigned
    };
    let u = run(&unknown);
    assert!(
        u.notes.iter().any(|n| n.contains("cannot be known")),
        "{:?}",
        u.notes
    );
}

#[test]
fn a_log_entrys_scoping_record_and_import_attributes_are_read() {
    let entry: ProvisioningObjectSummary = serde_json::from_value(json!({
        "id": "log-1",
        "provisioningSteps": [
            {"name": "EntryImportAdd", "provisioningStepType": "import", "status": "success",
             "details": {"department": "Marketing", "jobTitle": ""}},
            {"name": "EntrySynchronizationScoping", "provisioningStepType": "scoping", "status": "success",
             "details": {"Scoping filter evaluation passed": "True",
                         "ScopeEvaluationResult": "{\"Marketing department filter.department EQUALS 'Marketing'\":true}"}}
        ]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let rec = recorded_scope(&entry).unwrap_or_else(|| panic!("a record"));
    assert_eq!(rec.passed, Some(true));
    assert_eq!(
        rec.results,
        vec![(
            "Marketing department filter.department EQUALS 'Marketing'".to_owned(),
            true
        )]
    );
    let attrs = imported_attributes(&entry).unwrap_or_default();
    assert_eq!(attrs.get("department"), Some(&json!("Marketing")));
    assert_eq!(attrs.get("jobTitle"), Some(&Value::Null));
    assert!(!is_scoping_skip(&entry));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~{}\\\\\\[\\]()*+?^$|.]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "EQUALS",
            "NOT EQUALS",
            "IS TRUE",
            "IS FALSE",
            "IS NULL",
            "IS NOT NULL",
            "REGEX MATCH",
            "NOT REGEX MATCH",
            "Greater_Than",
            "Less_Than_OR_EQUALS",
            "Includes",
            "ENDS_WITH",
            "&",
            "!&",
            "groups",
            "clauses",
            "scope",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "synchronizationRules",
                        "objectMappings",
                        "scope",
                        "groups",
                        "inputFilterGroups",
                        "clauses",
                        "operatorName",
                        "sourceOperandName",
                        "targetOperand",
                        "values",
                        "name",
                        "sourceObjectName",
                        "enabled",
                        "sourceDirectoryName",
                        "attr",
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn the_evaluator_never_panics_on_any_schema_or_object_json(
        schema in arb_json(), object in arb_json(), op in arb_json(), pattern in "\\PC{0,16}",
        scope in arb_json(), clause_op in arb_json(), attr in arb_json(), values in arb_json(),
        entra in any::<bool>(),
    ) {
        // Arbitrary JSON as a whole schema, and arbitrary parts in a schema's usual places.
        let whole: SynchronizationSchema = serde_json::from_value(schema).unwrap_or_default();
        let shaped: SynchronizationSchema = serde_json::from_value(json!({
            "synchronizationRules": [{
                "sourceDirectoryName": if entra { "Azure Active Directory" } else { "Active Directory" },
                "objectMappings": [
                    {"sourceObjectName": "user", "scope": scope},
                    {"sourceObjectName": "user", "scope": {"groups": [{"clauses": [
                        {"operatorName": clause_op, "sourceOperandName": attr,
                         "targetOperand": {"values": values}}]}]}}
                ]
            }]
        }))
        .unwrap_or_default();
        for schema in [whole, shaped] {
        let attrs = object.as_object().cloned().unwrap_or_default();
        let ops: Vec<FilterOperatorSchema> = serde_json::from_value(op.clone()).unwrap_or_default();
        let x = evaluate_scope(&ScopeInput {
            schema: &schema,
            object_type: None,
            attributes: &attrs,
            operators: Some(&ops),
            assignment: None,
            recorded: None,
        });
        let _ = x.failing_clause();
        }
        let _ = verdict("REGEX MATCH", Some(vec![pattern.as_str()]), json!("text"));
    }
}
