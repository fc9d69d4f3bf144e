//! Auth, orgs, members, API keys, brand kits, audit log: through the API.

use crate::helpers::app::JWT_SECRET;
use crate::helpers::{Caller, code_of, data_of, spawn_app};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const VIEWER_Q: &str = "{ viewer { user { id email } memberships { role org { id slug } } currentOrg { id } role } }";

fn claims(sub: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": sub, "email": email, "iss": "campaign-studio", "aud": "campaign-studio", "exp": now + 600, "nbf": now - 5 })
}

fn sign(alg: Algorithm, key: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

#[tokio::test]
async fn a_new_user_is_created_on_first_sight_and_creates_an_org() {
    let app = spawn_app().await;
    let me = app.user("ana@example.com");
    let body = app.gql(&me, VIEWER_Q, json!({})).await;
    let d = data_of(&body);
    assert_eq!(d["viewer"]["user"]["email"], "ana@example.com");
    assert_eq!(d["viewer"]["memberships"], json!([]));
    assert!(d["viewer"]["currentOrg"].is_null());

    let (org, owner) = app.org_with_owner("ana@example.com", "acme").await;
    let body = app.gql(&owner, VIEWER_Q, json!({})).await;
    let d = data_of(&body);
    assert_eq!(d["viewer"]["currentOrg"]["id"], org.as_str());
    assert_eq!(d["viewer"]["role"], "OWNER");
    assert_eq!(d["viewer"]["memberships"][0]["org"]["slug"], "acme");

    let body = app.gql(&owner, "{ org { id name slug credits { available reserved } brandKit { primaryColor bannedWords } members { totalCount nodes { role user { email } } } } }", json!({})).await;
    let d = data_of(&body);
    assert_eq!(d["org"]["slug"], "acme");
    assert_eq!(d["org"]["credits"], json!({ "available": 0, "reserved": 0 }));
    assert_eq!(d["org"]["members"]["totalCount"], 1);
    assert_eq!(d["org"]["members"]["nodes"][0]["user"]["email"], "ana@example.com");
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let good = claims("sub-1", "u@example.com");
    let mut expired = good.clone();
    expired["exp"] = json!(now - 3600);
    let mut future = good.clone();
    future["nbf"] = json!(now + 3600);
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("someone-else");
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("another-api");
    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    let none_alg = {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            e.encode(br#"{"alg":"none","typ":"JWT"}"#),
            e.encode(good.to_string())
        )
    };
    let cases = vec![
        (
            "wrong secret",
            sign(Algorithm::HS256, b"another-secret-0123456789abcdef", &good),
        ),
        ("expired", sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &expired)),
        ("not yet valid", sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &future)),
        (
            "wrong issuer",
            sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &wrong_iss),
        ),
        (
            "wrong audience",
            sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &wrong_aud),
        ),
        ("no subject", sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &no_sub)),
        (
            "HS384 instead of HS256",
            sign(Algorithm::HS384, JWT_SECRET.as_bytes(), &good),
        ),
        ("alg none", none_alg),
        ("garbage", "not.a.token".to_string()),
        (
            "unknown API key",
            "cs_live_0000000000000000000000000000000000000000000000000000000000000000".to_string(),
        ),
    ];
    for (what, token) in cases {
        let body = app
            .gql(
                &Caller {
                    token: Some(token),
                    org: None,
                },
                "{ viewer { user { id } } }",
                json!({}),
            )
            .await;
        assert_eq!(code_of(&body), "UNAUTHENTICATED", "{what}: {body}");
        assert!(body["data"].is_null(), "{what}");
    }
    // the good one works
    let body = app
        .gql(
            &Caller {
                token: Some(sign(Algorithm::HS256, JWT_SECRET.as_bytes(), &good)),
                org: None,
            },
            "{ viewer { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["viewer"]["user"]["email"], "u@example.com");
}

#[tokio::test]
async fn rs256_tokens_verify_with_the_configured_key_and_hs_confusion_is_refused() {
    // An RSA key pair made for this test with openssl.
    let dir = std::env::temp_dir().join(format!("cs-rsa-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key.pem");
    let public = dir.join("public.pem");
    let ok = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("openssl is not available; RS256 test skipped");
        return;
    }
    assert!(
        std::process::Command::new("openssl")
            .args(["rsa", "-in"])
            .arg(&key)
            .args(["-pubout", "-out"])
            .arg(&public)
            .status()
            .unwrap()
            .success()
    );
    let public_path = public.display().to_string();
    let app = crate::helpers::spawn_app_with(|s| {
        s.insert("JWT_PUBLIC_KEY_FILE".into(), public_path);
    })
    .await;
    let private = std::fs::read(&key).unwrap();
    let c = claims("rsa-user", "rsa@example.com");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &c,
        &EncodingKey::from_rsa_pem(&private).unwrap(),
    )
    .unwrap();
    let body = app
        .gql(
            &Caller {
                token: Some(token),
                org: None,
            },
            "{ viewer { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["viewer"]["user"]["email"], "rsa@example.com");
    // HS256 signed with the public key as the secret: the classic confusion.
    let forged = sign(Algorithm::HS256, &std::fs::read(&public).unwrap(), &c);
    let body = app
        .gql(
            &Caller {
                token: Some(forged),
                org: None,
            },
            "{ viewer { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&body), "UNAUTHENTICATED", "{body}");

    // The same key from a JWKS file, picked by `kid`; an unknown kid is refused.
    let modulus = std::process::Command::new("openssl")
        .args(["rsa", "-in"])
        .arg(&key)
        .args(["-noout", "-modulus"])
        .output()
        .unwrap();
    let hex_n = String::from_utf8_lossy(&modulus.stdout)
        .trim()
        .trim_start_matches("Modulus=")
        .to_string();
    use base64::Engine as _;
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hex::decode(hex_n).unwrap());
    let jwks = dir.join("jwks.json");
    std::fs::write(
        &jwks,
        json!({ "keys": [
        { "kty": "RSA", "kid": "other", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB" },
        { "kty": "RSA", "kid": "main", "use": "sig", "alg": "RS256", "n": n, "e": "AQAB" }
    ] })
        .to_string(),
    )
    .unwrap();
    let jwks_path = jwks.display().to_string();
    let app = crate::helpers::spawn_app_with(|s| {
        s.insert("JWT_JWKS_FILE".into(), jwks_path);
    })
    .await;
    let with_kid = |kid: &str| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(kid.to_string());
        jsonwebtoken::encode(&h, &c, &EncodingKey::from_rsa_pem(&private).unwrap()).unwrap()
    };
    let body = app
        .gql(
            &Caller {
                token: Some(with_kid("main")),
                org: None,
            },
            "{ viewer { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["viewer"]["user"]["email"], "rsa@example.com", "{body}");
    for kid in ["other", "missing"] {
        let body = app
            .gql(
                &Caller {
                    token: Some(with_kid(kid)),
                    org: None,
                },
                "{ viewer { user { email } } }",
                json!({}),
            )
            .await;
        assert_eq!(code_of(&body), "UNAUTHENTICATED", "kid {kid}: {body}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn org_header_must_name_an_org_the_caller_belongs_to() {
    let app = spawn_app().await;
    let (org_a, _) = app.org_with_owner("a@example.com", "org-a").await;
    let outsider = app.user("b@example.com").in_org(&org_a);
    let body = app.gql(&outsider, "{ org { id name } }", json!({})).await;
    assert_eq!(code_of(&body), "FORBIDDEN", "{body}");
    assert!(!body.to_string().contains("org-a"));
    // an org that does not exist looks the same
    let nowhere = app.user("b@example.com").in_org(&uuid::Uuid::new_v4().to_string());
    assert_eq!(
        code_of(&app.gql(&nowhere, "{ org { id } }", json!({})).await),
        "FORBIDDEN"
    );
    let garbage = app.user("b@example.com").in_org("not-a-uuid");
    assert_eq!(
        code_of(&app.gql(&garbage, "{ org { id } }", json!({})).await),
        "BAD_USER_INPUT"
    );
    // no org chosen: org-scoped fields are refused, viewer still works
    let body = app.gql(&app.user("a@example.com"), "{ org { id } }", json!({})).await;
    assert_eq!(code_of(&body), "FORBIDDEN");
    let anon = app.gql(&Caller::anonymous(), "{ org { id } }", json!({})).await;
    assert_eq!(code_of(&anon), "UNAUTHENTICATED");
}

const ADD: &str = "mutation($i: AddMemberInput!) { addMember(input: $i) { membership { id role user { email } } } }";
const SET_ROLE: &str =
    "mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { membership { id role } } }";
const REMOVE: &str = "mutation($i: RemoveMemberInput!) { removeMember(input: $i) { removedMembershipId } }";
const CREATE_KEY: &str =
    "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id prefix role } } }";
const REVOKE_KEY: &str = "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id revokedAt } } }";
const BRAND: &str =
    "mutation($i: BrandKitInput!) { updateBrandKit(input: $i) { brandKit { primaryColor bannedWords voice } } }";

/// Each mutation tried by each role: only the allowed ones succeed.
#[tokio::test]
async fn role_matrix_for_org_mutations() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("owner@example.com", "matrix").await;
    let roles = ["OWNER", "ADMIN", "EDITOR", "VIEWER"];
    let mut callers = vec![("OWNER", owner.clone())];
    for r in &roles[1..] {
        callers.push((
            r,
            app.member(&owner, &format!("{}@example.com", r.to_lowercase()), r)
                .await,
        ));
    }
    for (role, caller) in &callers {
        let admin_plus = matches!(*role, "OWNER" | "ADMIN");
        // addMember (as EDITOR)
        let target = format!("new-{}@example.com", role.to_lowercase());
        let body = app
            .gql(caller, ADD, json!({ "i": { "email": target, "role": "EDITOR" } }))
            .await;
        assert_eq!(body["errors"].is_null(), admin_plus, "{role} addMember: {body}");
        if !admin_plus {
            assert_eq!(code_of(&body), "FORBIDDEN");
        }
        // updateBrandKit
        let body = app
            .gql(caller, BRAND, json!({ "i": { "voice": format!("voice by {role}") } }))
            .await;
        assert_eq!(body["errors"].is_null(), admin_plus, "{role} updateBrandKit: {body}");
        // createApiKey (VIEWER role key)
        let body = app
            .gql(caller, CREATE_KEY, json!({ "i": { "name": "k", "role": "VIEWER" } }))
            .await;
        assert_eq!(body["errors"].is_null(), admin_plus, "{role} createApiKey: {body}");
        if admin_plus {
            let key_id = body["data"]["createApiKey"]["apiKey"]["id"].clone();
            let body = app
                .gql(caller, REVOKE_KEY, json!({ "i": { "apiKeyId": key_id } }))
                .await;
            assert!(body["errors"].is_null(), "{role} revokeApiKey: {body}");
        }
    }
    // Only an OWNER may make another OWNER.
    let admin = &callers[1].1;
    let body = app
        .gql(
            admin,
            ADD,
            json!({ "i": { "email": "x@example.com", "role": "OWNER" } }),
        )
        .await;
    assert_eq!(code_of(&body), "FORBIDDEN");
    let body = app
        .gql(
            &owner,
            ADD,
            json!({ "i": { "email": "x@example.com", "role": "OWNER" } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // An ADMIN cannot demote or remove an OWNER; an EDITOR cannot change roles at all.
    let x = app.membership_id(&owner, "x@example.com").await;
    assert_eq!(
        code_of(
            &app.gql(admin, SET_ROLE, json!({ "i": { "membershipId": x, "role": "VIEWER" } }))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code_of(&app.gql(admin, REMOVE, json!({ "i": { "membershipId": x } })).await),
        "FORBIDDEN"
    );
    let viewer = app.membership_id(&owner, "viewer@example.com").await;
    assert_eq!(
        code_of(
            &app.gql(
                &callers[2].1,
                SET_ROLE,
                json!({ "i": { "membershipId": viewer, "role": "EDITOR" } })
            )
            .await
        ),
        "FORBIDDEN"
    );
    let body = app
        .gql(
            admin,
            SET_ROLE,
            json!({ "i": { "membershipId": viewer, "role": "EDITOR" } }),
        )
        .await;
    assert_eq!(data_of(&body)["updateMemberRole"]["membership"]["role"], "EDITOR");
    let body = app.gql(admin, REMOVE, json!({ "i": { "membershipId": viewer } })).await;
    assert_eq!(data_of(&body)["removeMember"]["removedMembershipId"], viewer.as_str());
    // An admin's key cannot outrank the admin.
    assert_eq!(
        code_of(
            &app.gql(admin, CREATE_KEY, json!({ "i": { "name": "k", "role": "OWNER" } }))
                .await
        ),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_leave_or_be_demoted() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("solo@example.com", "solo").await;
    let me = app.membership_id(&owner, "solo@example.com").await;
    assert_eq!(
        code_of(
            &app.gql(
                &owner,
                SET_ROLE,
                json!({ "i": { "membershipId": me, "role": "ADMIN" } })
            )
            .await
        ),
        "CONFLICT"
    );
    assert_eq!(
        code_of(&app.gql(&owner, REMOVE, json!({ "i": { "membershipId": me } })).await),
        "CONFLICT"
    );
}

#[tokio::test]
async fn api_keys_act_for_their_org_and_a_revoked_key_is_refused_at_once() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("k@example.com", "keys").await;
    let body = app
        .gql(&owner, CREATE_KEY, json!({ "i": { "name": "ci", "role": "EDITOR" } }))
        .await;
    let d = data_of(&body);
    let secret = d["createApiKey"]["secret"].as_str().unwrap().to_string();
    let key_id = d["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("cs_live_"));
    assert!(secret.starts_with(d["createApiKey"]["apiKey"]["prefix"].as_str().unwrap()));
    // The secret is not stored and not listed.
    let list = app
        .gql(
            &owner,
            "{ apiKeys { id name prefix role lastUsedAt revokedAt } }",
            json!({}),
        )
        .await;
    assert!(!list.to_string().contains(&secret));
    let key = Caller {
        token: Some(secret.clone()),
        org: None,
    };
    let body = app.gql(&key, "{ org { id } viewer { role } }", json!({})).await;
    assert_eq!(body["data"]["org"]["id"], org.as_str(), "{body}");
    // API keys are not users
    assert_eq!(code_of(&body), "FORBIDDEN");
    // bound to their org: another X-Org-Id is refused
    let other = key.in_org(&uuid::Uuid::new_v4().to_string());
    assert_eq!(
        code_of(&app.gql(&other, "{ org { id } }", json!({})).await),
        "FORBIDDEN"
    );
    // its role applies: EDITOR may not manage keys
    assert_eq!(
        code_of(
            &app.gql(&key, CREATE_KEY, json!({ "i": { "name": "x", "role": "VIEWER" } }))
                .await
        ),
        "FORBIDDEN"
    );
    // lastUsedAt is recorded (just after the request, outside its transaction)
    let mut recorded = false;
    for _ in 0..50 {
        let list = app.gql(&owner, "{ apiKeys { id lastUsedAt } }", json!({})).await;
        if data_of(&list)["apiKeys"][0]["lastUsedAt"].is_string() {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(recorded, "lastUsedAt was never set");
    // revoke: the very next request is refused
    let body = app
        .gql(&owner, REVOKE_KEY, json!({ "i": { "apiKeyId": key_id } }))
        .await;
    assert!(data_of(&body)["revokeApiKey"]["apiKey"]["revokedAt"].is_string());
    assert_eq!(
        code_of(&app.gql(&key, "{ org { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
}

/// A request expects the role the database answered last time and sends
/// its first statement together with the entry. The database still checks
/// every time: a role changed or a membership removed in between applies to
/// the very next request, whether it reads, writes or only shows the role,
/// and what the request did under the old role is not kept.
#[tokio::test]
async fn a_changed_role_applies_to_the_very_next_request() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("entry-owner@example.com", "entry").await;
    let member = app.member(&owner, "entry-member@example.com", "EDITOR").await;
    let create = |name: &str| json!({ "i": { "name": name, "brief": crate::helpers::fixtures::brief(), "locales": ["en"], "platforms": ["X"] } });
    const CREATE: &str = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }";
    let named = async |name: &str| {
        let body = app
            .gql(
                &owner,
                "query($s: String) { campaigns(filter: {search: $s}) { totalCount } }",
                json!({ "s": name }),
            )
            .await;
        data_of(&body)["campaigns"]["totalCount"].as_i64().unwrap()
    };
    let body = app.gql(&member, CREATE, create("Entry one")).await;
    assert!(body["errors"].is_null(), "{body}");
    let rechecks = app.counter("graphql_entry_rechecks_total").await;
    let membership = app.membership_id(&owner, "entry-member@example.com").await;
    let set_role = async |role: &str| {
        let body = app
            .gql(
                &owner,
                SET_ROLE,
                json!({ "i": { "membershipId": membership, "role": role } }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    };

    // EDITOR -> VIEWER: the next write is refused, and wrote nothing.
    set_role("VIEWER").await;
    let body = app.gql(&member, CREATE, create("Entry two")).await;
    assert_eq!(code_of(&body), "FORBIDDEN", "{body}");
    assert_eq!(named("Entry two").await, 0);
    // A role shown without reading anything is checked too.
    let body = app.gql(&member, "{ viewer { role } }", json!({})).await;
    assert_eq!(data_of(&body)["viewer"]["role"], "VIEWER", "{body}");

    // VIEWER -> EDITOR: the next write is allowed, not refused on the old role.
    set_role("EDITOR").await;
    let body = app.gql(&member, CREATE, create("Entry three")).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(named("Entry three").await, 1);

    // Removed: the next read is refused.
    let body = app
        .gql(&owner, REMOVE, json!({ "i": { "membershipId": membership } }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = app.gql(&member, "{ campaigns { totalCount } }", json!({})).await;
    assert_eq!(code_of(&body), "FORBIDDEN", "{body}");

    // Each change was noticed by the database's own check and the request
    // run again: VIEWER (write), EDITOR (write), removed (read).
    assert!(
        app.counter("graphql_entry_rechecks_total").await >= rechecks + 3,
        "the changed entries were not rechecked"
    );
}

/// Org B's caller with org A's ids: NOT_FOUND everywhere, and lists never
/// contain org A's rows.
#[tokio::test]
async fn another_orgs_ids_are_not_found() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("a@example.com", "tenant-a").await;
    let (_, b) = app.org_with_owner("b@example.com", "tenant-b").await;
    let key = app
        .gql(&a, CREATE_KEY, json!({ "i": { "name": "a-key", "role": "VIEWER" } }))
        .await;
    let key_id = data_of(&key)["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let member = app.membership_id(&a, "a@example.com").await;
    let audit = app.gql(&a, "{ auditLog { nodes { id } } }", json!({})).await;
    let audit_id = data_of(&audit)["auditLog"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_user = data_of(&app.gql(&a, "{ viewer { user { id } } }", json!({})).await)["viewer"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for id in [&org_a, &key_id, &member, &audit_id, &a_user] {
        let body = app
            .gql(&b, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(code_of(&body), "NOT_FOUND", "node({id}): {body}");
    }
    assert_eq!(
        code_of(&app.gql(&b, REVOKE_KEY, json!({ "i": { "apiKeyId": key_id } })).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code_of(
            &app.gql(
                &b,
                SET_ROLE,
                json!({ "i": { "membershipId": member, "role": "VIEWER" } })
            )
            .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        code_of(&app.gql(&b, REMOVE, json!({ "i": { "membershipId": member } })).await),
        "NOT_FOUND"
    );
    let lists = app
        .gql(
            &b,
            "{ apiKeys { id } auditLog { nodes { id } } org { members { nodes { id user { id } } } } }",
            json!({}),
        )
        .await;
    let text = lists.to_string();
    for id in [&key_id, &member, &audit_id, &a_user, &org_a] {
        assert!(!text.contains(id.as_str()), "org B's lists contain {id}: {text}");
    }
    // and org A still works
    let body = app
        .gql(
            &a,
            "query($id: ID!) { node(id: $id) { id ... on ApiKey { name } } }",
            json!({ "id": key_id }),
        )
        .await;
    assert_eq!(data_of(&body)["node"]["name"], "a-key");
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("bad@example.com", "bad-input").await;
    let user = app.user("bad@example.com");
    let create = "mutation($i: CreateOrgInput!) { createOrg(input: $i) { org { id } } }";
    let long = "x".repeat(10_000);
    let cases = vec![
        (json!({ "name": "", "slug": "ok-slug" }), "BAD_USER_INPUT"),
        (json!({ "name": long, "slug": "ok-slug" }), "BAD_USER_INPUT"),
        (json!({ "name": "Fine", "slug": "Not A Slug" }), "BAD_USER_INPUT"),
        (json!({ "name": "Fine", "slug": "bad-input" }), "CONFLICT"),
    ];
    let audit_before =
        app.gql(&owner, "{ auditLog { totalCount } }", json!({})).await["data"]["auditLog"]["totalCount"].clone();
    for (input, code) in cases {
        let body = app.gql(&user, create, json!({ "i": input })).await;
        assert_eq!(code_of(&body), code, "{input}: {body}");
        if code == "BAD_USER_INPUT" {
            assert!(
                body["errors"][0]["extensions"]["field"].is_string(),
                "names the field: {body}"
            );
        }
    }
    let viewer = app.gql(&user, "{ viewer { memberships { id } } }", json!({})).await;
    assert_eq!(
        data_of(&viewer)["viewer"]["memberships"].as_array().unwrap().len(),
        1,
        "no org was created"
    );
    let body = app
        .gql(
            &owner,
            ADD,
            json!({ "i": { "email": "not-an-email", "role": "EDITOR" } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let body = app
        .gql(
            &owner,
            ADD,
            json!({ "i": { "email": "ok@example.com", "role": "EMPEROR" } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let body = app
        .gql(&owner, REVOKE_KEY, json!({ "i": { "apiKeyId": "not-a-uuid" } }))
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "apiKeyId");
    let body = app.gql(&owner, BRAND, json!({ "i": { "primaryColor": "red" } })).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let members = app
        .gql(
            &owner,
            "{ org { members { totalCount } brandKit { primaryColor } } auditLog { totalCount } }",
            json!({}),
        )
        .await;
    let d = data_of(&members);
    assert_eq!(d["org"]["members"]["totalCount"], 1);
    assert_eq!(d["org"]["brandKit"]["primaryColor"], "#1F6FEB");
    assert_eq!(
        d["auditLog"]["totalCount"], audit_before,
        "failed mutations leave no audit events"
    );
}

#[tokio::test]
async fn a_failed_mutation_rolls_back_everything_the_request_did() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("tx@example.com", "tx-org").await;
    // The first field succeeds, the second fails: nothing is kept.
    let q = "mutation { a: updateBrandKit(input: { voice: \"kept?\" }) { brandKit { voice } } b: addMember(input: { email: \"bad\", role: EDITOR }) { membership { id } } }";
    let body = app.gql(&owner, q, json!({})).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "{body}");
    let kit = app.gql(&owner, "{ org { brandKit { voice } } }", json!({})).await;
    assert!(
        data_of(&kit)["org"]["brandKit"]["voice"].is_null(),
        "the first mutation must be rolled back: {kit}"
    );
}

#[tokio::test]
async fn every_state_change_is_in_the_audit_log_newest_first() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("audit@example.com", "audited").await;
    app.gql(&owner, BRAND, json!({ "i": { "voice": "calm" } })).await;
    app.member(&owner, "m@example.com", "VIEWER").await;
    let body = app
        .gql(
            &owner,
            "{ auditLog(first: 10) { totalCount nodes { action targetType targetId actor { email } metadata at } } }",
            json!({}),
        )
        .await;
    let d = data_of(&body);
    let actions: Vec<&str> = d["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["member.add", "brand_kit.update", "org.create"]);
    assert_eq!(d["auditLog"]["nodes"][2]["targetId"], org.as_str());
    assert_eq!(d["auditLog"]["nodes"][0]["actor"]["email"], "audit@example.com");
    assert_eq!(d["auditLog"]["nodes"][0]["metadata"]["role"], "VIEWER");
}

#[tokio::test]
async fn an_invited_member_claims_the_membership_on_first_sign_in() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("boss@example.com", "invites").await;
    app.member(&owner, "Newbie@Example.com", "EDITOR").await;
    let newbie = app.user("newbie@example.com").in_org(&org);
    let body = app.gql(&newbie, "{ viewer { role user { email } } }", json!({})).await;
    assert_eq!(data_of(&body)["viewer"]["role"], "EDITOR", "{body}");
}

#[tokio::test]
async fn members_page_with_cursors() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("p@example.com", "paging").await;
    for i in 0..4 {
        app.member(&owner, &format!("m{i}@example.com"), "VIEWER").await;
    }
    let q = "query($after: String) { org { members(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { user { email } } } } }";
    let mut emails = Vec::new();
    let mut after = Value::Null;
    for page in 0..3 {
        let body = app.gql(&owner, q, json!({ "after": after })).await;
        let m = &data_of(&body)["org"]["members"];
        assert_eq!(m["totalCount"], 5);
        assert_eq!(m["pageInfo"]["hasPreviousPage"], page > 0);
        for n in m["nodes"].as_array().unwrap() {
            emails.push(n["user"]["email"].as_str().unwrap().to_string());
        }
        after = m["pageInfo"]["endCursor"].clone();
        assert_eq!(m["pageInfo"]["hasNextPage"], page < 2);
    }
    assert_eq!(
        emails,
        vec![
            "p@example.com",
            "m0@example.com",
            "m1@example.com",
            "m2@example.com",
            "m3@example.com"
        ]
    );
    let body = app
        .gql(&owner, "{ org { members(first: 101) { totalCount } } }", json!({}))
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let body = app
        .gql(
            &owner,
            "{ org { members(after: \"bogus\") { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
}
