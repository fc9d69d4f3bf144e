//! Unit tests of the scoring engine.

use super::*;
use serde_json::json;

fn rule(field: &str, op: &str, value: Value, delta: i32, tag: Option<&str>) -> Rule {
    Rule::parse(field, op, Some(value), delta, tag).unwrap()
}

fn facts(attributes: &Value) -> LeadFacts<'_> {
    LeadFacts {
        name: Some("Ana Lima"),
        email: Some("ana@Example.com"),
        phone: None,
        external_id: Some("ext-1"),
        stage: "NEW",
        campaign_id: None,
        attributes,
    }
}

#[test]
fn score_is_the_sum_of_matching_deltas_and_tags_are_deduplicated_in_rule_order() {
    let attrs =
        json!({ "company": { "size": 250 }, "utm": { "source": "LinkedIn" }, "interests": ["pricing", "demo"] });
    let rules = vec![
        rule("email", "contains", json!("@example.com"), 10, Some("corporate")),
        rule("attributes.company.size", "gt", json!(100), 20, Some("enterprise")),
        rule("utm.source", "eq", json!("linkedin"), 5, Some("corporate")),
        rule("attributes.interests", "contains", json!("Pricing"), 7, Some("hot")),
        rule("phone", "exists", Value::Null, 3, Some("reachable")),
        rule("attributes.company.size", "lt", json!(10), -50, None),
        rule("stage", "neq", json!("DISQUALIFIED"), 1, None),
    ];
    let got = score(&rules, &facts(&attrs));
    assert_eq!(got.score, 10 + 20 + 5 + 7 + 1);
    assert_eq!(got.rule_tags, vec!["corporate", "enterprise", "hot"]);
}

#[test]
fn missing_fields_match_only_neq() {
    let attrs = json!({});
    let lead = facts(&attrs);
    for (op, value) in [
        ("eq", json!("x")),
        ("contains", json!("x")),
        ("gt", json!(1)),
        ("lt", json!(1)),
    ] {
        assert!(!rule("attributes.nope", op, value, 1, None).matches(&lead), "{op}");
    }
    assert!(rule("attributes.nope", "neq", json!("x"), 1, None).matches(&lead));
    assert!(
        !Rule::parse("attributes.nope", "exists", None, 1, None)
            .unwrap()
            .matches(&lead)
    );
}

#[test]
fn numbers_compare_numerically_also_from_strings() {
    let attrs = json!({ "budget": "1500", "seats": 12, "items": [{ "qty": 3 }] });
    let lead = facts(&attrs);
    assert!(rule("attributes.budget", "gt", json!(1000), 1, None).matches(&lead));
    assert!(rule("attributes.seats", "eq", json!(12.0), 1, None).matches(&lead));
    assert!(rule("attributes.items.0.qty", "lt", json!(5), 1, None).matches(&lead));
    assert!(!rule("attributes.seats", "gt", json!(12), 1, None).matches(&lead));
}

#[test]
fn exists_ignores_null_and_blank_strings() {
    let attrs = json!({ "a": null, "b": "  ", "c": 0, "d": false });
    let lead = facts(&attrs);
    let exists = |f: &str| Rule::parse(f, "exists", None, 1, None).unwrap().matches(&lead);
    assert!(!exists("attributes.a"));
    assert!(!exists("attributes.b"));
    assert!(exists("attributes.c"));
    assert!(exists("attributes.d"));
    assert!(exists("name"));
    assert!(!exists("phone"));
}

#[test]
fn invalid_rules_name_the_offending_input() {
    let field_of = |r: Result<Rule, AppError>| match r {
        Err(AppError::Validation { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    };
    type Case<'a> = (&'a str, &'a str, Option<Value>, i32, Option<&'a str>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("email", "matches", Some(json!("x")), 1, None, "op"),
        ("password", "eq", Some(json!("x")), 1, None, "field"),
        ("attributes.", "exists", None, 1, None, "field"),
        ("attributes.a..b", "exists", None, 1, None, "field"),
        ("attributes.size", "gt", Some(json!("10")), 1, None, "value"),
        ("attributes.size", "lt", None, 1, None, "value"),
        ("email", "gt", Some(json!(10)), 1, None, "op"),
        ("email", "contains", Some(json!(5)), 1, None, "value"),
        ("email", "contains", Some(json!("")), 1, None, "value"),
        ("email", "exists", Some(json!(true)), 1, None, "value"),
        ("email", "eq", Some(json!(["a"])), 1, None, "value"),
        ("email", "neq", Some(json!({ "a": 1 })), 1, None, "value"),
        ("email", "eq", None, 1, None, "value"),
        ("stage", "eq", Some(json!("WON")), 1, None, "value"),
        ("campaignId", "eq", Some(json!("abc")), 1, None, "value"),
        ("email", "exists", None, MAX_DELTA + 1, None, "scoreDelta"),
        ("email", "exists", None, 1, Some("  "), "tag"),
    ];
    for (field, op, value, delta, tag, want) in cases {
        assert_eq!(
            field_of(Rule::parse(field, op, value, delta, tag)),
            want,
            "{field} {op}"
        );
    }
    assert!(Rule::parse("email", "exists", Some(Value::Null), 1, None).is_ok());
    assert!(Rule::parse("stage", "eq", Some(json!("qualified")), 1, None).is_ok());
}

#[test]
fn tags_keep_manual_ones_first_without_repeats() {
    let manual = vec!["vip".to_string(), "hot".to_string()];
    let rules = vec!["hot".to_string(), "enterprise".to_string()];
    assert_eq!(all_tags(&manual, &rules), vec!["vip", "hot", "enterprise"]);
    assert_eq!(
        clean_tags("tags", &[" a ".into(), "b".into(), "a".into()]).unwrap(),
        vec!["a", "b"]
    );
    assert!(clean_tags("tags", &["x".repeat(MAX_TAG_CHARS + 1)]).is_err());
}

#[test]
fn score_saturates_instead_of_overflowing() {
    let attrs = json!({});
    let rules: Vec<Rule> = (0..3000)
        .map(|_| Rule::parse("name", "exists", None, MAX_DELTA, None).unwrap())
        .collect();
    assert_eq!(score(&rules, &facts(&attrs)).score, i32::MAX);
}
