//! Scoring rules, attribution to campaigns and the daily rollups, through the API.

use super::{count, create_campaign, create_lead, create_rule, create_source, deliver_ok, lead, update_lead};
use crate::helpers::{code_of, data_of, spawn_app};
use serde_json::json;

#[tokio::test]
async fn leads_are_scored_and_tagged_by_rules_and_manual_tags_survive_rescoring() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("owner@score.test", "score").await;
    for rule in [
        json!({ "name": "Corporate email", "field": "email", "op": "contains", "value": "@acme.com", "scoreDelta": 10, "tag": "corporate" }),
        json!({ "name": "Big budget", "field": "attributes.budget", "op": "gt", "value": 1000, "scoreDelta": 20, "tag": "big" }),
        json!({ "name": "LinkedIn", "field": "utm.source", "op": "eq", "value": "linkedin", "scoreDelta": 5, "tag": "corporate" }),
        json!({ "name": "Qualified", "field": "stage", "op": "eq", "value": "QUALIFIED", "scoreDelta": 30, "tag": "qualified" }),
        json!({ "name": "No phone", "field": "phone", "op": "exists", "scoreDelta": 1 }),
    ] {
        data_of(&create_rule(&app, &owner, rule).await);
    }
    let body = app
        .gql(
            &owner,
            "{ leadScoringRules { name field op value scoreDelta tag } }",
            json!({}),
        )
        .await;
    let rules = data_of(&body)["leadScoringRules"].as_array().unwrap().clone();
    let names: Vec<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Corporate email", "Big budget", "LinkedIn", "Qualified", "No phone"]
    );
    assert_eq!(rules[1]["value"], 1000);
    assert!(rules[4]["value"].is_null());

    let source = create_source(&app, &owner, "Forms").await;
    let (id, _) = deliver_ok(
        &app,
        &source,
        &json!({ "externalId": "s-1", "email": "bo@ACME.com", "utm": { "source": "LinkedIn" }, "attributes": { "budget": "5000" } }),
    )
    .await;
    let l = lead(&app, &owner, &id).await;
    assert_eq!(l["score"], 35);
    assert_eq!(l["tags"], json!(["corporate", "big"]));

    let l = update_lead(
        &app,
        &owner,
        json!({ "leadId": id, "stage": "QUALIFIED", "tags": ["vip", " vip ", "big"] }),
    )
    .await;
    let l = &data_of(&l)["updateLead"]["lead"];
    assert_eq!(l["score"], 65);
    assert_eq!(l["tags"], json!(["vip", "big", "corporate", "qualified"]));

    let l = update_lead(&app, &owner, json!({ "leadId": id, "attributes": { "budget": 10 } })).await;
    let l = &data_of(&l)["updateLead"]["lead"];
    assert_eq!(l["score"], 45);
    assert_eq!(
        l["tags"],
        json!(["vip", "big", "corporate", "qualified"]),
        "manual 'big' stays"
    );
    assert_eq!(
        l["attributes"]["utm"]["source"], "LinkedIn",
        "attributes are merged, not replaced"
    );

    // A new delivery of the same lead adds a phone: re-scored, manual tags kept.
    deliver_ok(
        &app,
        &source,
        &json!({ "externalId": "s-1", "phone": "+44 20 7946 0958" }),
    )
    .await;
    let l = lead(&app, &owner, &id).await;
    assert_eq!(l["score"], 46);
    assert_eq!(l["tags"], json!(["vip", "big", "corporate", "qualified"]));
    assert_eq!(l["stage"], "QUALIFIED");

    let body = app
        .gql(
            &owner,
            "{ leads(filter: { tag: \"vip\", minScore: 40, stage: [QUALIFIED] }) { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["leads"]["totalCount"], 1);
    let body = app
        .gql(&owner, "{ leads(filter: { minScore: 100 }) { totalCount } }", json!({}))
        .await;
    assert_eq!(data_of(&body)["leads"]["totalCount"], 0);

    // Deleting a rule: later changes no longer count it.
    let body = app.gql(&owner, "{ leadScoringRules { id name } }", json!({})).await;
    let qualified = data_of(&body)["leadScoringRules"][3]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let del = "mutation($i: DeleteLeadScoringRuleInput!) { deleteLeadScoringRule(input: $i) { deletedRuleId } }";
    let body = app.gql(&owner, del, json!({ "i": { "ruleId": qualified } })).await;
    assert_eq!(
        data_of(&body)["deleteLeadScoringRule"]["deletedRuleId"],
        qualified.as_str()
    );
    let body = app.gql(&owner, del, json!({ "i": { "ruleId": qualified } })).await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    let l = update_lead(&app, &owner, json!({ "leadId": id, "tags": [] })).await;
    let l = &data_of(&l)["updateLead"]["lead"];
    assert_eq!(l["score"], 16);
    assert_eq!(l["tags"], json!(["corporate"]));
}

#[tokio::test]
async fn invalid_scoring_rules_are_bad_user_input_naming_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("owner@rules.test", "rules").await;
    let audit_before = count(&app, &org, "audit_events").await;
    let base = json!({ "name": "r", "field": "email", "op": "eq", "value": "x", "scoreDelta": 1 });
    let with = |k: &str, v: serde_json::Value| {
        let mut r = base.clone();
        r[k] = v;
        r
    };
    let cases = vec![
        (with("op", json!("matches")), "op"),
        (with("field", json!("password")), "field"),
        (with("field", json!("attributes.")), "field"),
        (
            json!({ "name": "r", "field": "attributes.size", "op": "gt", "value": "10", "scoreDelta": 1 }),
            "value",
        ),
        (
            json!({ "name": "r", "field": "attributes.size", "op": "lt", "scoreDelta": 1 }),
            "value",
        ),
        (
            json!({ "name": "r", "field": "email", "op": "contains", "value": 5, "scoreDelta": 1 }),
            "value",
        ),
        (
            json!({ "name": "r", "field": "email", "op": "exists", "value": "yes", "scoreDelta": 1 }),
            "value",
        ),
        (with("value", json!(["a", "b"])), "value"),
        (with("value", json!({ "a": 1 })), "value"),
        (
            json!({ "name": "r", "field": "stage", "op": "eq", "value": "WON", "scoreDelta": 1 }),
            "value",
        ),
        (with("scoreDelta", json!(2_000_000)), "scoreDelta"),
        (with("tag", json!("x".repeat(51))), "tag"),
        (with("name", json!("  ")), "name"),
    ];
    for (input, field) in cases {
        let body = create_rule(&app, &owner, input.clone()).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}: {body}");
    }
    assert_eq!(count(&app, &org, "lead_scoring_rules").await, 0);
    assert_eq!(count(&app, &org, "audit_events").await, audit_before);
}

#[tokio::test]
async fn leads_are_attributed_by_campaign_id_then_by_utm_campaign() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("owner@attr.test", "attr").await;
    let summer = create_campaign(&app, &owner, "Summer Sale").await;
    let winter = create_campaign(&app, &owner, "Winter Push").await;
    let source = create_source(&app, &owner, "Forms").await;
    let cases = [
        (
            json!({ "externalId": "a", "campaignId": winter, "utm": { "campaign": "summer-sale" } }),
            Some(&winter),
        ),
        (
            json!({ "externalId": "b", "utm": { "campaign": "summer-sale" } }),
            Some(&summer),
        ),
        (
            json!({ "externalId": "c", "utm": { "campaign": "Summer Sale" } }),
            Some(&summer),
        ),
        (json!({ "externalId": "d", "utm": { "campaign": "autumn" } }), None),
        (json!({ "externalId": "e" }), None),
    ];
    for (body, want) in cases {
        let (id, _) = deliver_ok(&app, &source, &body).await;
        let l = lead(&app, &owner, &id).await;
        assert_eq!(l["campaign"]["id"].as_str(), want.map(String::as_str), "{body}");
    }
    // A manual lead: by campaignId, or by utm.campaign in its attributes.
    let body = create_lead(&app, &owner, json!({ "name": "Walk-in", "campaignId": summer })).await;
    assert_eq!(data_of(&body)["createLead"]["lead"]["campaign"]["id"], summer.as_str());
    let body = create_lead(
        &app,
        &owner,
        json!({ "name": "Ad", "attributes": { "utm": { "campaign": "winter push" } } }),
    )
    .await;
    assert_eq!(data_of(&body)["createLead"]["lead"]["campaign"]["id"], winter.as_str());

    let body = app
        .gql(
            &owner,
            "query($id: ID!) { campaign(id: $id) { leads { totalCount nodes { externalId name } } } }",
            json!({ "id": summer }),
        )
        .await;
    let leads = &data_of(&body)["campaign"]["leads"];
    assert_eq!(leads["totalCount"], 3);
    assert_eq!(leads["nodes"][0]["name"], "Walk-in", "newest first");
}

#[tokio::test]
async fn lead_stats_count_leads_per_day_and_current_stage() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("owner@stats.test", "stats").await;
    let campaign = create_campaign(&app, &owner, "Launch").await;
    let source = create_source(&app, &owner, "Forms").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let (id, _) = deliver_ok(
            &app,
            &source,
            &json!({ "externalId": format!("l{i}"), "campaignId": campaign }),
        )
        .await;
        ids.push(id);
    }
    deliver_ok(&app, &source, &json!({ "externalId": "unattributed" })).await;
    let today = chrono::Utc::now().date_naive();
    let stats = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let (app, owner, campaign) = (&app, &owner, &campaign);
        async move {
            let body = app
                .gql(
                    owner,
                    "query($id: ID!, $from: NaiveDate!, $to: NaiveDate!) { campaign(id: $id) { leadStats(from: $from, to: $to) { day stage count } } }",
                    json!({ "id": campaign, "from": from.to_string(), "to": to.to_string() }),
                )
                .await;
            data_of(&body)["campaign"]["leadStats"].clone()
        }
    };
    let day = today.to_string();
    assert_eq!(
        stats(today, today).await,
        json!([{ "day": day, "stage": "NEW", "count": 4 }])
    );
    // Re-deliveries do not count twice.
    deliver_ok(
        &app,
        &source,
        &json!({ "externalId": "l0", "name": "again", "campaignId": campaign }),
    )
    .await;
    data_of(&update_lead(&app, &owner, json!({ "leadId": ids[0], "stage": "QUALIFIED" })).await);
    data_of(&update_lead(&app, &owner, json!({ "leadId": ids[1], "stage": "QUALIFIED" })).await);
    data_of(&update_lead(&app, &owner, json!({ "leadId": ids[1], "stage": "CONVERTED" })).await);
    // Same stage again and tag-only edits change nothing.
    data_of(
        &update_lead(
            &app,
            &owner,
            json!({ "leadId": ids[0], "stage": "QUALIFIED", "tags": ["x"] }),
        )
        .await,
    );
    let week_ago = today - chrono::Days::new(7);
    assert_eq!(
        stats(week_ago, today).await,
        json!([
            { "day": day, "stage": "CONVERTED", "count": 1 },
            { "day": day, "stage": "NEW", "count": 2 },
            { "day": day, "stage": "QUALIFIED", "count": 1 },
        ])
    );
    assert_eq!(stats(week_ago, week_ago).await, json!([]));
    let body = app
        .gql(
            &owner,
            "query($id: ID!) { campaign(id: $id) { leadStats(from: \"2026-02-01\", to: \"2026-01-01\") { count } } }",
            json!({ "id": campaign }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
}
