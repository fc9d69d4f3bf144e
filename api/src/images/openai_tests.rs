//! Against a scripted local server (axum on 127.0.0.1:0).

use super::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as Status, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const KEY: &str = "sk-test-5ecret-key-0123";

#[derive(Clone)]
enum Step {
    Image,
    Status(u16, Option<&'static str>, String),
    Stall(Duration),
}

#[derive(Debug)]
struct Seen {
    path: String,
    auth: Option<String>,
    body: serde_json::Value,
}

#[derive(Default)]
struct Script {
    steps: Mutex<VecDeque<Step>>,
    seen: Mutex<Vec<Seen>>,
}

fn png_b64() -> String {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 90]));
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(png)
}

async fn handler(State(script): State<Arc<Script>>, uri: Uri, headers: HeaderMap, body: String) -> Response {
    script.seen.lock().unwrap().push(Seen {
        path: uri.path().to_owned(),
        auth: headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()),
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    });
    let step = script
        .steps
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Step::Status(599, None, "script ran out".into()));
    match step {
        Step::Image => axum::Json(serde_json::json!({"created": 1, "data": [{"b64_json": png_b64()}]})).into_response(),
        Step::Status(code, retry_after, body) => {
            let mut resp = (Status::from_u16(code).unwrap(), body).into_response();
            if let Some(after) = retry_after {
                resp.headers_mut().insert("retry-after", after.parse().unwrap());
            }
            resp
        }
        Step::Stall(d) => {
            tokio::time::sleep(d).await;
            axum::Json(serde_json::json!({"data": [{"b64_json": png_b64()}]})).into_response()
        }
    }
}

/// Starts the server with `steps` and returns a client pointed at it.
async fn serve(steps: Vec<Step>, timeout: Duration) -> (OpenAiImages, Arc<Script>) {
    let script = Arc::new(Script {
        steps: Mutex::new(steps.into()),
        ..Script::default()
    });
    let app = axum::Router::new()
        .route("/v1/images/generations", axum::routing::post(handler))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let cfg = LlmConfig {
        base_url: format!("http://{addr}/v1/"),
        api_key: Some(Secret::new(KEY)),
        model: "gpt-4o-mini".into(),
        image_model: Some("img-model-x".into()),
        timeout,
        max_attempts: 3,
    };
    let client = OpenAiImages::from_config(&cfg).unwrap().with_retry(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(2),
    });
    (client, script)
}

fn brand() -> Brand {
    Brand::from_hex("#112233", "#ddeeff", None).unwrap()
}

#[tokio::test]
async fn a_successful_call_sends_the_documented_request_and_decodes_the_image() {
    let (client, script) = serve(vec![Step::Image], Duration::from_secs(5)).await;
    let img = client.source("a red kayak", 1, &brand()).await.unwrap();
    assert_eq!((img.width(), img.height()), (64, 48));
    let seen = script.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/images/generations");
    assert_eq!(seen[0].auth.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    let body = &seen[0].body;
    assert_eq!(body["model"], "img-model-x");
    assert_eq!(body["size"], "1024x1024");
    assert_eq!(body["response_format"], "b64_json");
    let prompt = body["prompt"].as_str().unwrap();
    assert!(
        prompt.starts_with("a red kayak") && prompt.contains("#112233"),
        "{prompt}"
    );
    assert_eq!(
        (client.provider(), client.model()),
        ("openai-compatible", "img-model-x")
    );
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_delay() {
    let steps = vec![
        Step::Status(429, Some("1"), r#"{"error":{"message":"slow down"}}"#.into()),
        Step::Image,
    ];
    let (client, script) = serve(steps, Duration::from_secs(5)).await;
    let started = Instant::now();
    client.source("p", 1, &brand()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "retried after {:?}",
        started.elapsed()
    );
    assert_eq!(script.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_gives_up_at_once() {
    let steps = vec![Step::Status(429, Some("3600"), "quota".into()), Step::Image];
    let (client, script) = serve(steps, Duration::from_secs(5)).await;
    let err = client.source("p", 1, &brand()).await.unwrap_err();
    assert!(matches!(err, ImageProviderError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("3600s"), "{err}");
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_the_attempts_run_out() {
    let steps = vec![Step::Status(500, None, "boom".into()); 5];
    let (client, script) = serve(steps, Duration::from_secs(5)).await;
    let err = client.source("p", 1, &brand()).await.unwrap_err();
    assert!(matches!(err, ImageProviderError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("HTTP 500: boom"), "{err}");
    assert_eq!(script.seen.lock().unwrap().len(), 3, "max_attempts is 3");
}

#[tokio::test]
async fn a_400_is_not_retried_and_the_key_never_shows_in_the_error() {
    let echo = format!(r#"{{"error":{{"message":"invalid prompt for key {KEY}"}}}}"#);
    let (client, script) = serve(vec![Step::Status(400, None, echo), Step::Image], Duration::from_secs(5)).await;
    let err = client.source("p", 1, &brand()).await.unwrap_err();
    assert!(matches!(err, ImageProviderError::Rejected(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("invalid prompt for key ***"), "{text}");
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(!format!("{client:?}").contains(KEY));
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let steps = vec![Step::Stall(Duration::from_secs(2)), Step::Image];
    let (client, script) = serve(steps, Duration::from_millis(300)).await;
    let img = client.source("p", 1, &brand()).await.unwrap();
    assert_eq!(img.width(), 64);
    assert_eq!(script.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_success_without_an_image_is_invalid_output_not_a_retry() {
    let (client, script) = serve(
        vec![Step::Status(200, None, r#"{"data":[]}"#.into())],
        Duration::from_secs(5),
    )
    .await;
    let err = client.source("p", 1, &brand()).await.unwrap_err();
    assert!(matches!(err, ImageProviderError::InvalidOutput(_)), "{err:?}");
    assert_eq!(script.seen.lock().unwrap().len(), 1);
}

#[test]
fn backoff_grows_exponentially_with_bounded_jitter() {
    let cfg = LlmConfig {
        base_url: "http://127.0.0.1:9".into(),
        api_key: None,
        model: "m".into(),
        image_model: None,
        timeout: Duration::from_secs(1),
        max_attempts: 3,
    };
    let client = OpenAiImages::from_config(&cfg).unwrap();
    assert_eq!(client.model(), DEFAULT_IMAGE_MODEL);
    for attempt in 1..=8 {
        let d = client.retry.backoff(attempt - 1);
        let full = (Duration::from_millis(500) * (1 << (attempt - 1))).min(Duration::from_secs(20));
        assert!(
            d >= full / 2 && d <= full,
            "attempt {attempt}: {d:?} outside [{:?}, {full:?}]",
            full / 2
        );
    }
}
