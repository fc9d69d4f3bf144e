//! A local chat-completions server that plays a script of responses and
//! records every request it gets.

use crate::config::{LlmConfig, Secret};
use crate::pipeline::openai::{OpenAiText, RetryPolicy};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Clone)]
pub(super) struct Step {
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) delay: Duration,
}

/// A 200 completion whose message content is `content`.
pub(super) fn ok(content: &str) -> Step {
    let body = json!({
        "id": "cmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    });
    Step {
        status: 200,
        body: body.to_string(),
        headers: vec![],
        delay: Duration::ZERO,
    }
}

pub(super) fn status(code: u16, body: &str) -> Step {
    Step {
        status: code,
        body: body.to_string(),
        headers: vec![],
        delay: Duration::ZERO,
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) path: String,
    pub(super) auth: Option<String>,
    pub(super) body: Value,
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    seen: Vec<Seen>,
}

pub(super) struct Server {
    pub(super) addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Server {
    pub(super) async fn start(steps: Vec<Step>) -> Self {
        let script = Arc::new(Mutex::new(Script {
            steps: steps.into(),
            seen: vec![],
        }));
        let app = axum::Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, script }
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    pub(super) fn provider(&self, key: Option<&str>, timeout: Duration, attempts: u32) -> OpenAiText {
        OpenAiText::new(&LlmConfig {
            base_url: format!("http://{}/v1/", self.addr),
            api_key: key.map(Secret::new),
            model: "test-model".into(),
            image_model: None,
            timeout,
            max_attempts: attempts,
        })
        .with_retry(RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(5),
        })
    }
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let step = {
        let mut s = script.lock().unwrap();
        s.seen.push(Seen {
            path: uri.path().to_string(),
            auth: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        s.steps.pop_front().unwrap_or_else(|| status(599, "the script ran out"))
    };
    tokio::time::sleep(step.delay).await;
    let mut response = (StatusCode::from_u16(step.status).unwrap(), step.body).into_response();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    for (name, value) in step.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}
