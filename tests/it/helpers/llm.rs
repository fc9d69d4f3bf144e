//! A local stand-in for an OpenAI-compatible chat-completions provider: it
//! answers the pipeline's three kinds of request with valid JSON, counts
//! what it received, and can be told to be slow or to fail.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct Script {
    pub requests: AtomicUsize,
    /// Milliseconds to wait before answering.
    pub delay_ms: AtomicU64,
    /// Answer with this status instead (0: answer normally).
    pub fail_status: AtomicU64,
    pub bodies: std::sync::Mutex<Vec<Value>>,
}

pub struct FakeLlm {
    pub url: String,
    pub script: Arc<Script>,
}

impl FakeLlm {
    pub async fn start() -> FakeLlm {
        let script = Arc::new(Script::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLlm { url, script }
    }

    pub fn requests(&self) -> usize {
        self.script.requests.load(Ordering::SeqCst)
    }

    /// Settings that point the server at this provider.
    pub fn settings(&self, s: &mut std::collections::HashMap<String, String>) {
        s.insert("LLM_BASE_URL".into(), self.url.clone());
        s.insert("LLM_API_KEY".into(), "sk-test-secret-key".into());
        s.insert("LLM_MODEL".into(), "fake-model-1".into());
        s.insert("LLM_MAX_ATTEMPTS".into(), "2".into());
    }
}

fn completion(content: Value) -> Value {
    json!({ "id": "x", "object": "chat.completion", "choices": [{ "index": 0, "finish_reason": "stop",
            "message": { "role": "assistant", "content": content.to_string() } }] })
}

async fn answer(State(script): State<Arc<Script>>, body: axum::Json<Value>) -> Response {
    let n = script.requests.fetch_add(1, Ordering::SeqCst);
    script.bodies.lock().expect("lock").push(body.0.clone());
    let delay = script.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let fail = script.fail_status.load(Ordering::SeqCst);
    if fail > 0 {
        return (
            StatusCode::from_u16(fail as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "scripted failure",
        )
            .into_response();
    }
    let prompt = body.0["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    let content = if prompt.starts_with("Describe the advertising conventions") {
        json!({ "tone": "warm", "formality": "informal", "dateFormat": "DD/MM/YYYY", "numberFormat": "1,234.56",
                "currency": "EUR", "adDisclosure": "#ad", "legalNotes": ["Mark paid posts."] })
    } else if let Some(rest) = prompt.strip_prefix("Write exactly ") {
        let count: usize = rest.split_whitespace().next().and_then(|w| w.parse().ok()).unwrap_or(1);
        let angles: Vec<Value> = (0..count)
            .map(|i| json!({ "title": format!("Angle {i} of request {n}"), "hook": format!("Hook {i}"), "rationale": "Because." }))
            .collect();
        json!({ "angles": angles })
    } else {
        json!({ "headline": format!("Headline {n}"), "body": format!("Body of copy {n} #ad"), "callToAction": "Try it",
                "hashtags": ["#one", "#two", "#three", "#four", "#five", "#six", "#seven", "#eight"] })
    };
    axum::Json(completion(content)).into_response()
}
