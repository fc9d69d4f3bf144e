//! The lead mutations: secrets, roles, tenancy, validation, events.

use super::{count, create_campaign, create_lead, create_source, deliver, deliver_ok, lead, update_lead};
use crate::helpers::db::enter_org;
use crate::helpers::{Caller, code_of, data_of, spawn_app};
use api::events::{Event, Topic};
use serde_json::{Value, json};

#[tokio::test]
async fn a_lead_source_secret_is_shown_once_and_stored_encrypted() {
    let app = spawn_app().await;
    let (org, admin) = app.org_with_owner("owner@secret.test", "secret").await;
    let source = create_source(&app, &admin, "Landing page").await;
    let hex = source.secret.strip_prefix("whsec_").expect("whsec_ prefix");
    assert_eq!(hex.len(), 64);
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(source.url, format!("{}/webhooks/leads/{}", app.base, source.id));

    let body = app
        .gql(&admin, "{ leadSources { id name ingestUrl createdAt } }", json!({}))
        .await;
    let sources = data_of(&body)["leadSources"].clone();
    assert_eq!(sources.as_array().unwrap().len(), 1);
    assert!(!sources.to_string().contains(hex), "the secret is never shown again");

    let mut c = app.db.app_conn().await;
    let mut tx = enter_org(&mut c, &org).await;
    let stored: String = sqlx::query_scalar("SELECT secret_ciphertext FROM lead_sources")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'lead_source.create' AND target_type = 'LeadSource'",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert!(!stored.contains(hex) && !stored.contains("whsec_"), "stored encrypted");
    assert_eq!(audit, 1);
    // and it signs deliveries
    deliver_ok(&app, &source, &json!({ "externalId": "1" })).await;
}

const CREATE_SOURCE: &str = "mutation { createLeadSource(input: { name: \"s\" }) { leadSource { id } } }";
const CREATE_RULE: &str = "mutation { createLeadScoringRule(input: { name: \"r\", field: \"email\", op: \"exists\", scoreDelta: 1 }) { rule { id } } }";

#[tokio::test]
async fn lead_mutations_follow_the_role_matrix() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("owner@roles.test", "roles").await;
    let admin = app.member(&owner, "admin@roles.test", "ADMIN").await;
    let editor = app.member(&owner, "editor@roles.test", "EDITOR").await;
    let viewer = app.member(&owner, "viewer@roles.test", "VIEWER").await;
    let lead_id = data_of(&create_lead(&app, &owner, json!({ "name": "Seed" })).await)["createLead"]["lead"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first_rule = data_of(&app.gql(&owner, CREATE_RULE, json!({})).await)["createLeadScoringRule"]["rule"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let rule_ids = std::cell::RefCell::new(vec![first_rule]);
    let try_all = |caller: Caller| {
        let (app, lead_id, rule_ids) = (&app, &lead_id, &rule_ids);
        async move {
            let mut codes = Vec::new();
            let b = app.gql(&caller, CREATE_SOURCE, json!({})).await;
            codes.push(code_of(&b));
            let b = create_lead(app, &caller, json!({ "name": "x" })).await;
            codes.push(code_of(&b));
            let b = update_lead(app, &caller, json!({ "leadId": lead_id, "stage": "CONTACTED" })).await;
            codes.push(code_of(&b));
            let b = app.gql(&caller, CREATE_RULE, json!({})).await;
            codes.push(code_of(&b));
            if let Some(id) = b["data"]["createLeadScoringRule"]["rule"]["id"].as_str() {
                rule_ids.borrow_mut().push(id.to_string());
            }
            let rule = rule_ids.borrow_mut().pop().unwrap();
            let b = app
                .gql(
                    &caller,
                    "mutation($i: DeleteLeadScoringRuleInput!) { deleteLeadScoringRule(input: $i) { deletedRuleId } }",
                    json!({ "i": { "ruleId": rule } }),
                )
                .await;
            if !code_of(&b).is_empty() {
                rule_ids.borrow_mut().push(rule);
            }
            codes.push(code_of(&b));
            codes
        }
    };
    let (ok, forbidden) = (String::new(), "FORBIDDEN".to_string());
    assert_eq!(try_all(viewer).await, vec![forbidden.clone(); 5], "VIEWER");
    assert_eq!(
        try_all(editor).await,
        vec![
            forbidden.clone(),
            ok.clone(),
            ok.clone(),
            forbidden.clone(),
            forbidden.clone()
        ],
        "EDITOR"
    );
    assert_eq!(try_all(admin).await, vec![ok.clone(); 5], "ADMIN");
    assert_eq!(try_all(owner).await, vec![ok.clone(); 5], "OWNER");
    assert_eq!(
        try_all(Caller::anonymous()).await,
        vec!["UNAUTHENTICATED".to_string(); 5],
        "anonymous"
    );
    // Another org's member, pointing X-Org-Id here, is refused before any resolver runs.
    let (_, stranger) = app.org_with_owner("stranger@roles.test", "elsewhere").await;
    let body = app.gql(&stranger.in_org(&org), CREATE_SOURCE, json!({})).await;
    assert_eq!(code_of(&body), "FORBIDDEN", "{body}");
    assert_eq!(count(&app, &org, "lead_sources").await, 2);
}

#[tokio::test]
async fn one_org_never_sees_or_touches_another_orgs_leads() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("a@tenancy-leads.test", "org-a").await;
    let (org_b, b) = app.org_with_owner("b@tenancy-leads.test", "org-b").await;
    let source_a = create_source(&app, &a, "A forms").await;
    let campaign_a = create_campaign(&app, &a, "A launch").await;
    let campaign_b = create_campaign(&app, &b, "B launch").await;
    let rule_a = data_of(&app.gql(&a, CREATE_RULE, json!({})).await)["createLeadScoringRule"]["rule"]["id"].clone();

    // A's source, given B's campaign id and B's campaign name: never linked to B.
    let (lead_a, _) = deliver_ok(
        &app,
        &source_a,
        &json!({ "externalId": "x", "campaignId": campaign_b, "utm": { "campaign": "B launch" } }),
    )
    .await;
    let l = lead(&app, &a, &lead_a).await;
    assert!(l["campaign"].is_null(), "{l}");
    assert_eq!(l["attributes"]["ignoredCampaignId"], campaign_b.as_str());
    assert_eq!(count(&app, &org_b, "leads").await, 0);
    assert_eq!(count(&app, &org_a, "leads").await, 1);

    // B sees none of it.
    for (query, vars) in [
        ("query($id: ID!) { lead(id: $id) { id } }", json!({ "id": lead_a })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": lead_a })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": source_a.id })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": rule_a })),
    ] {
        let body = app.gql(&b, query, vars.clone()).await;
        assert_eq!(code_of(&body), "NOT_FOUND", "{query} {vars}: {body}");
    }
    let body = app
        .gql(
            &b,
            "{ leads { totalCount nodes { id } } leadSources { id } leadScoringRules { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data_of(&body),
        &json!({ "leads": { "totalCount": 0, "nodes": [] }, "leadSources": [], "leadScoringRules": [] })
    );
    let body = app
        .gql(
            &b,
            "query($c: ID!) { leads(filter: { campaignId: $c }) { totalCount } }",
            json!({ "c": campaign_a }),
        )
        .await;
    assert_eq!(data_of(&body)["leads"]["totalCount"], 0);

    // ... and cannot change it.
    let body = update_lead(&app, &b, json!({ "leadId": lead_a, "stage": "CONVERTED" })).await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    let body = app
        .gql(
            &b,
            "mutation($i: DeleteLeadScoringRuleInput!) { deleteLeadScoringRule(input: $i) { deletedRuleId } }",
            json!({ "i": { "ruleId": rule_a } }),
        )
        .await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    let body = create_lead(&app, &b, json!({ "name": "x", "campaignId": campaign_a })).await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    assert_eq!(lead(&app, &a, &lead_a).await["stage"], "NEW");
    assert_eq!(count(&app, &org_a, "lead_scoring_rules").await, 1);
    assert_eq!(count(&app, &org_b, "leads").await, 0);
}

#[tokio::test]
async fn bad_lead_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("owner@input.test", "input").await;
    let existing =
        data_of(&create_lead(&app, &owner, json!({ "name": "Kept", "email": "kept@example.com" })).await)["createLead"]
            ["lead"]["id"]
            .as_str()
            .unwrap()
            .to_string();
    let leads_before = count(&app, &org, "leads").await;
    let audit_before = count(&app, &org, "audit_events").await;
    for (input, field) in [
        (json!({ "email": "nope" }), "email"),
        (json!({ "phone": "phone: ask" }), "phone"),
        (json!({ "name": "x".repeat(201) }), "name"),
        (json!({ "externalId": "e".repeat(201) }), "externalId"),
        (json!({ "attributes": [1, 2] }), "attributes"),
        (json!({ "campaignId": "not-an-id" }), "campaignId"),
    ] {
        let body = create_lead(&app, &owner, input.clone()).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    let body = create_lead(&app, &owner, json!({ "name": "x", "campaignId": uuid::Uuid::new_v4() })).await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    for (input, field) in [
        (json!({ "leadId": existing, "tags": ["ok", ""] }), "tags"),
        (
            json!({ "leadId": existing, "tags": vec!["t"; 51].iter().enumerate().map(|(i, _)| format!("t{i}")).collect::<Vec<_>>() }),
            "tags",
        ),
        (
            json!({ "leadId": existing, "attributes": "x", "stage": "CONVERTED" }),
            "attributes",
        ),
        (json!({ "leadId": "nope" }), "leadId"),
    ] {
        let body = update_lead(&app, &owner, input.clone()).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    let body = update_lead(
        &app,
        &owner,
        json!({ "leadId": uuid::Uuid::new_v4(), "stage": "CONVERTED" }),
    )
    .await;
    assert_eq!(code_of(&body), "NOT_FOUND");
    let body = app
        .gql(
            &owner,
            "mutation { createLeadSource(input: { name: \" \" }) { signingSecret } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");

    assert_eq!(count(&app, &org, "leads").await, leads_before);
    assert_eq!(count(&app, &org, "lead_sources").await, 0);
    assert_eq!(count(&app, &org, "audit_events").await, audit_before);
    let l = lead(&app, &owner, &existing).await;
    assert_eq!((l["stage"].clone(), l["name"].clone()), (json!("NEW"), json!("Kept")));
}

#[tokio::test]
async fn lead_captured_is_published_after_commit_for_new_leads_only() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("owner@events.test", "events").await;
    let org_id: uuid::Uuid = org.parse().unwrap();
    let mut rx = app.state().events.subscribe(Topic::OrgLeads(org_id));
    let source = create_source(&app, &owner, "Forms").await;

    let body = create_lead(&app, &owner, json!({ "name": "Manual", "externalId": "m-1" })).await;
    let manual: uuid::Uuid = data_of(&body)["createLead"]["lead"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (hooked, _) = deliver_ok(&app, &source, &json!({ "externalId": "w-1" })).await;
    let hooked: uuid::Uuid = hooked.parse().unwrap();
    // Updates and failures publish nothing.
    create_lead(&app, &owner, json!({ "name": "Manual again", "externalId": "m-1" })).await;
    deliver_ok(&app, &source, &json!({ "externalId": "w-1", "name": "again" })).await;
    assert_eq!(
        code_of(&create_lead(&app, &owner, json!({ "email": "bad" })).await),
        "BAD_USER_INPUT"
    );
    let resp = deliver(&app, &source, &json!({ "email": "bad" })).await;
    assert_eq!(resp.status().as_u16(), 422);

    let mut got = Vec::new();
    while let Ok(Ok(e)) = tokio::time::timeout(std::time::Duration::from_millis(300), rx.recv()).await {
        got.push((*e).clone());
    }
    assert_eq!(
        got,
        vec![
            Event::LeadCaptured {
                org_id,
                lead_id: manual
            },
            Event::LeadCaptured {
                org_id,
                lead_id: hooked
            },
        ]
    );
    let body = app
        .gql(
            &owner,
            "{ leads { totalCount nodes { name externalId source { id } } } }",
            json!({}),
        )
        .await;
    let d: &Value = data_of(&body);
    assert_eq!(d["leads"]["totalCount"], 2);
    assert_eq!(d["leads"]["nodes"][0]["source"]["id"], source.id.as_str());
    assert_eq!(d["leads"]["nodes"][1]["name"], "Manual again");
}
