//! The client against a local chat-completions server with scripted
//! responses: what it sends, how it retries, repairs and fails.

mod server;

use super::{OpenAiText, RetryPolicy};
use crate::config::{LlmConfig, Secret};
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, ProviderError, TextProvider};
use serde_json::{Value, json};
use server::{Server, ok, status};
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-VERY-SECRET-4242";

fn brief() -> Brief {
    Brief {
        product: "Lumen Desk Lamp".into(),
        audience: "remote workers".into(),
        goal: Some("pre-orders".into()),
        tone: None,
        key_messages: vec!["Flatters you on camera".into()],
        call_to_action: Some("Pre-order now".into()),
        landing_url: Some("https://lumen.example".into()),
    }
}

fn ctx() -> ContextPack {
    crate::pipeline::builtin::context_pack(&brief(), "de-AT", &BrandVoice::default())
}

fn brand() -> BrandVoice {
    BrandVoice {
        voice: Some("warm".into()),
        banned_words: vec!["cheap".into()],
    }
}

fn angles_json(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"title": format!("Angle {i}"), "hook": "Hook.", "rationale": "Why."}))
        .collect();
    json!({ "angles": items }).to_string()
}

async fn ask_angles(p: &OpenAiText, n: usize) -> Result<Vec<AngleDraft>, ProviderError> {
    p.angles(&brief(), &ctx(), &brand(), n, Some("more playful"), 77).await
}

const QUICK: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_good_reply_is_parsed_from_one_json_mode_request() {
    let server = Server::start(vec![ok(&angles_json(2))]).await;
    let p = server.provider(Some(KEY), QUICK, 4);
    let angles = ask_angles(&p, 2).await.unwrap();
    assert_eq!(angles.len(), 2);
    assert_eq!(angles[1].title, "Angle 1");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        r.path, "/v1/chat/completions",
        "a trailing slash on the base URL is tolerated"
    );
    assert_eq!(r.auth.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(r.body["model"], "test-model");
    assert_eq!(r.body["response_format"], json!({"type": "json_object"}));
    assert_eq!(r.body["seed"], 77);
    assert!(r.body["temperature"].is_number());
    let messages = r.body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let prompt = messages[1]["content"].as_str().unwrap();
    for needle in [
        "exactly 2",
        "Lumen Desk Lamp",
        "de-AT",
        "more playful",
        "cheap",
        "\"angles\"",
    ] {
        assert!(prompt.contains(needle), "the prompt lacks {needle:?}: {prompt}");
    }
}

#[tokio::test]
async fn context_and_copy_replies_are_parsed_too() {
    let context = json!({
        "tone": "herzlich", "formality": "formal (Sie)", "dateFormat": "DD.MM.YYYY", "numberFormat": "1.234,56",
        "currency": "EUR", "adDisclosure": "#Werbung", "legalNotes": ["Kennzeichnung als Werbung"],
    });
    let copy =
        json!({"headline": "H", "body": "Text #Werbung", "callToAction": "Jetzt vorbestellen", "hashtags": ["#Lumen"]});
    let server = Server::start(vec![ok(&context.to_string()), ok(&copy.to_string())]).await;
    let p = server.provider(None, QUICK, 4);
    let c = p.context(&brief(), "de-AT", &brand()).await.unwrap();
    assert_eq!(
        (c.locale.as_str(), c.language.as_str(), c.fallback),
        ("de-AT", "de", false)
    );
    assert_eq!(c.legal_notes, vec!["Kennzeichnung als Werbung"]);
    let angle = AngleDraft {
        title: "T".into(),
        hook: "H".into(),
        rationale: None,
    };
    let d = p
        .copy(&brief(), &c, &brand(), &angle, Platform::Instagram, None, 5)
        .await
        .unwrap();
    assert_eq!((d.body.as_str(), d.hashtags.len()), ("Text #Werbung", 1));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.auth.is_none()), "no key, no Authorization header");
    let copy_prompt = seen[1].body["messages"][1]["content"].as_str().unwrap().to_string();
    for needle in ["Instagram", "2200", "exactly 8 hashtags", "#Werbung", "link in the bio"] {
        assert!(
            copy_prompt.contains(needle),
            "the copy prompt lacks {needle:?}: {copy_prompt}"
        );
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_servers_retry_after() {
    let mut busy = status(429, r#"{"error":{"message":"Rate limit reached"}}"#);
    busy.headers.push(("retry-after", "1".into()));
    let server = Server::start(vec![busy, ok(&angles_json(1))]).await;
    let p = server.provider(Some(KEY), QUICK, 4);
    let started = Instant::now();
    assert_eq!(ask_angles(&p, 1).await.unwrap().len(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}, not Retry-After",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 2);

    let mut busy = status(429, "{}");
    busy.headers.push(("retry-after-ms", "150".into()));
    let server = Server::start(vec![busy, ok(&angles_json(1))]).await;
    let started = Instant::now();
    ask_angles(&server.provider(Some(KEY), QUICK, 4), 1).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(140) && waited < Duration::from_millis(900),
        "{waited:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_the_attempts_run_out() {
    let server = Server::start(vec![
        status(500, "boom"),
        status(502, "bad gateway"),
        status(503, "down"),
        ok("{}"),
    ])
    .await;
    let err = ask_angles(&server.provider(Some(KEY), QUICK, 3), 1).await.unwrap_err();
    let ProviderError::Unavailable(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("503") && msg.contains("3 attempts"), "{msg}");
    assert_eq!(server.seen().len(), 3, "no fourth request");
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let server = Server::start(vec![
        status(400, r#"{"error":{"message":"Unknown model test-model"}}"#),
        ok(&angles_json(1)),
    ])
    .await;
    let err = ask_angles(&server.provider(Some(KEY), QUICK, 4), 1).await.unwrap_err();
    let ProviderError::Rejected(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("400") && msg.contains("Unknown model"), "{msg}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn an_invalid_reply_gets_one_repair_request_with_the_error() {
    let server = Server::start(vec![ok(&angles_json(2)), ok(&angles_json(3))]).await;
    let angles = ask_angles(&server.provider(Some(KEY), QUICK, 4), 3).await.unwrap();
    assert_eq!(angles.len(), 3);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let messages = seen[1].body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "system, request, the bad reply, the repair ask");
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["content"], angles_json(2));
    let repair = messages[3]["content"].as_str().unwrap();
    assert!(repair.contains("must hold exactly 3 angles, not 2"), "{repair}");
    assert_eq!(seen[1].body["response_format"], json!({"type": "json_object"}));
}

#[tokio::test]
async fn malformed_json_then_a_valid_repair_succeeds() {
    let server = Server::start(vec![ok("Sure! Here are your angles: {"), ok(&angles_json(1))]).await;
    assert_eq!(
        ask_angles(&server.provider(Some(KEY), QUICK, 4), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let repair = seen[1].body["messages"][3]["content"].as_str().unwrap();
    assert!(repair.contains("not valid JSON"), "{repair}");
}

#[tokio::test]
async fn two_invalid_replies_are_invalid_output() {
    let server = Server::start(vec![ok("not json"), ok(r#"{"angles": "many"}"#), ok(&angles_json(1))]).await;
    let err = ask_angles(&server.provider(Some(KEY), QUICK, 4), 1).await.unwrap_err();
    let ProviderError::InvalidOutput(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(
        msg.contains("angles") && msg.contains("must be an array") && msg.contains("repair"),
        "{msg}"
    );
    assert_eq!(server.seen().len(), 2, "exactly one repair");

    // A 200 that isn't a completion at all counts as invalid output as well.
    let server = Server::start(vec![
        status(200, "<html>proxy</html>"),
        status(200, r#"{"choices":[]}"#),
    ])
    .await;
    let err = ask_angles(&server.provider(Some(KEY), QUICK, 4), 1).await.unwrap_err();
    assert!(
        matches!(&err, ProviderError::InvalidOutput(m) if m.contains("no choices[0].message.content")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_retried_then_unavailable() {
    let mut slow = ok(&angles_json(1));
    slow.delay = Duration::from_secs(3);
    let server = Server::start(vec![slow.clone(), slow.clone(), slow]).await;
    let started = Instant::now();
    let err = ask_angles(&server.provider(Some(KEY), Duration::from_millis(200), 2), 1)
        .await
        .unwrap_err();
    let ProviderError::Unavailable(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("within 200 ms") && msg.contains("2 attempts"), "{msg}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up after {:?}",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn the_api_key_never_shows_in_errors_or_debug_output() {
    let echo = format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#);
    let mut slow = ok("{}");
    slow.delay = Duration::from_secs(3);
    let scripts = vec![
        vec![status(401, &echo)],
        vec![status(500, &echo), status(500, &echo)],
        vec![slow.clone(), slow],
        vec![ok(&format!("not json {KEY}")), ok(&format!("still not json {KEY}"))],
    ];
    let mut errors = Vec::new();
    for script in scripts {
        let server = Server::start(script).await;
        let p = server.provider(Some(KEY), Duration::from_millis(200), 2);
        assert!(!format!("{p:?}").contains(KEY), "{p:?}");
        errors.push(ask_angles(&p, 1).await.unwrap_err());
    }
    // Nothing listens here: connection refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let p = OpenAiText::new(&LlmConfig {
        base_url: format!("http://{addr}/v1"),
        api_key: Some(Secret::new(KEY)),
        model: "m".into(),
        image_model: None,
        timeout: QUICK,
        max_attempts: 2,
    })
    .with_retry(RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: QUICK,
    });
    errors.push(ask_angles(&p, 1).await.unwrap_err());

    assert!(matches!(errors[0], ProviderError::Rejected(_)), "{:?}", errors[0]);
    assert!(matches!(errors[4], ProviderError::Unavailable(_)), "{:?}", errors[4]);
    for e in &errors {
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains(KEY), "the key leaked: {shown}");
        }
    }
    assert!(errors[0].to_string().contains("[redacted]"), "{}", errors[0]);
}
