//! An OpenAI-compatible images client (`POST {base}/images/generations`).
//!
//! Retries 429, 5xx, timeouts and connection failures with exponential
//! backoff and jitter, honouring `Retry-After`; other 4xx fail at once. The
//! API key is sent only in the `Authorization` header and is scrubbed from
//! every error message.

use super::{Brand, ImageProviderError, SourceImageProvider};
use crate::config::{LlmConfig, Secret};
pub use crate::pipeline::openai::RetryPolicy;
use crate::pipeline::openai::retry_after;
use base64::Engine as _;
use image::{DynamicImage, ImageReader, Limits};
use reqwest::StatusCode;
use std::io::Cursor;
use std::time::Duration;

/// Model used when `IMAGE_MODEL` is unset (it accepts `response_format`).
pub const DEFAULT_IMAGE_MODEL: &str = "dall-e-3";
/// Responses larger than this are refused (a 1024 px PNG in base64 is ~2-4 MB).
const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Longest wait between tries. A `Retry-After` longer than this ends the
/// retries at once (the job can be rescheduled) instead of stalling a worker.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);
const MAX_SIDE: u32 = 4096;

/// The OpenAI-compatible images provider.
pub struct OpenAiImages {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<Secret>,
    model: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for OpenAiImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiImages")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

enum Failure {
    Retry(ImageProviderError, Option<Duration>),
    Fatal(ImageProviderError),
}

impl OpenAiImages {
    /// A client for `cfg.base_url`, with `cfg.timeout` per request and the
    /// image model from `IMAGE_MODEL` (default [`DEFAULT_IMAGE_MODEL`]).
    pub fn from_config(cfg: &LlmConfig) -> Result<Self, ImageProviderError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| ImageProviderError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint: format!("{}/images/generations", cfg.base_url.trim_end_matches('/')),
            api_key: cfg.api_key.clone(),
            model: cfg
                .image_model
                .clone()
                .unwrap_or_else(|| DEFAULT_IMAGE_MODEL.to_owned()),
            retry: RetryPolicy {
                max_attempts: cfg.max_attempts,
                max_delay: MAX_RETRY_WAIT,
                ..RetryPolicy::default()
            },
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    fn redact(&self, text: &str) -> String {
        match &self.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "***"),
            _ => text.to_owned(),
        }
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<DynamicImage, Failure> {
        let mut req = self.http.post(&self.endpoint).json(body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose());
        }
        let transport = |e: reqwest::Error| {
            let retry = e.is_timeout() || e.is_connect() || e.is_request() || e.is_body();
            let msg = self.redact(&e.without_url().to_string());
            if retry {
                Failure::Retry(ImageProviderError::Unavailable(msg), None)
            } else {
                Failure::Fatal(ImageProviderError::Unavailable(msg))
            }
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        if resp.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
            return Err(Failure::Fatal(ImageProviderError::InvalidOutput(
                "the response is too large".into(),
            )));
        }
        let bytes = resp.bytes().await.map_err(transport)?;
        if status.is_success() {
            return self.parse(&bytes).map_err(Failure::Fatal);
        }
        let msg = format!("HTTP {}: {}", status.as_u16(), self.redact(&error_message(&bytes)));
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(Failure::Retry(ImageProviderError::Unavailable(msg), retry_after))
        } else if status.is_client_error() {
            Err(Failure::Fatal(ImageProviderError::Rejected(msg)))
        } else {
            Err(Failure::Fatal(ImageProviderError::Unavailable(msg)))
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<DynamicImage, ImageProviderError> {
        let invalid = |m: String| ImageProviderError::InvalidOutput(self.redact(&m));
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(invalid("the response is too large".into()));
        }
        let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let b64 = json
            .pointer("/data/0/b64_json")
            .and_then(|v| v.as_str())
            .ok_or_else(|| invalid("no data[0].b64_json in the response".into()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| invalid(format!("bad base64: {e}")))?;
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        let mut reader = ImageReader::new(Cursor::new(raw))
            .with_guessed_format()
            .map_err(|e| invalid(e.to_string()))?;
        reader.limits(limits);
        reader.decode().map_err(|e| invalid(format!("undecodable image: {e}")))
    }
}

/// The provider's own error text (`error.message` when it is JSON), shortened.
fn error_message(body: &[u8]) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text.to_owned(),
    }
}

#[async_trait::async_trait]
impl SourceImageProvider for OpenAiImages {
    fn provider(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        &self.model
    }

    /// The endpoint has no seed parameter, so `seed` is not sent; results are
    /// not reproducible (the IMAGES step caches them by input hash instead).
    async fn source(&self, prompt: &str, _seed: u64, brand: &Brand) -> Result<DynamicImage, ImageProviderError> {
        let [p, s] = [brand.primary, brand.secondary].map(|c| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]));
        let body = serde_json::json!({
            "model": self.model,
            "prompt": format!("{prompt}\n\nUse the brand colours {p} and {s}. No text, letters or logos in the image."),
            "size": "1024x1024",
            "response_format": "b64_json",
            "n": 1,
        });
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.attempt(&body).await {
                Ok(img) => return Ok(img),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(e, after)) => (e, after),
            };
            if attempt >= self.retry.max_attempts {
                return Err(error);
            }
            let wait = match retry_after {
                Some(after) if after > self.retry.max_delay => {
                    return Err(ImageProviderError::Unavailable(format!(
                        "{error}; the provider asks to wait {}s",
                        after.as_secs()
                    )));
                }
                Some(after) => after,
                None => self.retry.backoff(attempt - 1),
            };
            tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, %error, "image provider call failed, retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
#[path = "openai_tests.rs"]
mod tests;
