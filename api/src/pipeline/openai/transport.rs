//! One chat-completions call with retries: exponential backoff with jitter on
//! 429, 5xx, timeouts and connection failures, honouring `Retry-After`; no
//! retry on other 4xx. Error messages never carry the API key.

use crate::config::Secret;
use crate::pipeline::provider::ProviderError;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

/// How a failed request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The first backoff; it doubles on each retry, with jitter.
    pub base_delay: Duration,
    /// No wait is longer than this, a server's `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first): `base * 2^retry`,
    /// capped, then a random point in its upper half so clients that failed
    /// together don't come back together.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if nanos == 0 { 0 } else { random_u64() % (nanos + 1) })
    }
}

fn random_u64() -> u64 {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    // Without randomness the jitter is zero, which still retries correctly.
    let _ = SystemRandom::new().fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// What a successful HTTP exchange produced.
#[derive(Debug)]
pub(super) enum Reply {
    /// `choices[0].message.content`.
    Content(String),
    /// A 200 whose body is not a usable completion (counts as invalid output).
    Malformed(String),
}

enum Attempt {
    Done(Reply),
    Fatal(ProviderError),
    Retry { reason: String, after: Option<Duration> },
}

/// The HTTP side of the provider.
#[derive(Debug)]
pub(super) struct Transport {
    /// Building a client fails only when TLS can't initialise; that is
    /// reported on use, so choosing the provider stays infallible.
    pub(super) client: Result<reqwest::Client, String>,
    pub(super) endpoint: String,
    pub(super) api_key: Option<Secret>,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
}

impl Transport {
    /// POSTs `body` and returns the completion's content, retrying as the policy says.
    pub(super) async fn chat(&self, body: &Value) -> Result<Reply, ProviderError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| ProviderError::Unavailable(e.clone()))?;
        let attempts = self.retry.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let after = match self.once(client, body).await {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Fatal(err) => return Err(err),
                Attempt::Retry { reason, after } => {
                    last = reason;
                    after
                }
            };
            if attempt == attempts {
                break;
            }
            let delay = after.map_or_else(|| self.retry.backoff(attempt - 1), |d| d.min(self.retry.max_delay));
            tracing::warn!(
                attempt,
                max_attempts = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                reason = %last,
                "LLM request failed, retrying"
            );
            tokio::time::sleep(delay).await;
        }
        Err(ProviderError::Unavailable(format!(
            "{last} (gave up after {attempts} attempts)"
        )))
    }

    async fn once(&self, client: &reqwest::Client, body: &Value) -> Attempt {
        let mut request = client.post(&self.endpoint).timeout(self.timeout).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return self.transport_error(&e),
        };
        let status = response.status();
        let after = retry_after(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return self.transport_error(&e),
        };
        if status.is_success() {
            return parse_completion(&text);
        }
        let reason = format!("HTTP {status}: {}", self.redact(&error_detail(&text)));
        if status.as_u16() == 429 || status.is_server_error() {
            Attempt::Retry { reason, after }
        } else {
            Attempt::Fatal(ProviderError::Rejected(reason))
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> Attempt {
        if e.is_timeout() {
            return Attempt::Retry {
                reason: format!("no complete answer within {} ms", self.timeout.as_millis()),
                after: None,
            };
        }
        // The URL may carry credentials of its own; the message never needs it.
        let detail = self.redact(&error_chain(e));
        Attempt::Retry {
            reason: format!("request failed: {detail}"),
            after: None,
        }
    }

    /// `text` with the API key blanked out (servers do echo keys back in 401s).
    pub(super) fn redact(&self, text: &str) -> String {
        match &self.api_key {
            Some(key) if key.expose().len() >= 4 => text.replace(key.expose(), "[redacted]"),
            _ => text.to_string(),
        }
    }
}

/// The error and its causes, without the request URL.
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if !out.is_empty() {
            out.push_str(": ");
        }
        let mut text = s.to_string();
        if let Some(url) = e.url() {
            text = text.replace(url.as_str(), "[url]");
        }
        out.push_str(&text);
        source = s.source();
    }
    out
}

/// `retry-after-ms` (OpenAI's) or `Retry-After` in seconds; HTTP dates are ignored.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    get("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The provider's own error message when it sent one (`{"error": {"message"}}`),
/// else the start of the body.
fn error_detail(body: &str) -> String {
    let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = message.unwrap_or_else(|| body.trim().to_string());
    if text.is_empty() {
        return "empty body".into();
    }
    crate::pipeline::text::shorten(&text, 300)
}

fn parse_completion(body: &str) -> Attempt {
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return Attempt::Done(Reply::Malformed(format!("the response body is not JSON ({e})"))),
    };
    let message = value.pointer("/choices/0/message");
    if let Some(content) = message.and_then(|m| m.get("content")).and_then(Value::as_str) {
        return Attempt::Done(Reply::Content(content.to_string()));
    }
    if let Some(refusal) = message.and_then(|m| m.get("refusal")).and_then(Value::as_str) {
        return Attempt::Fatal(ProviderError::Rejected(format!(
            "the model refused: {}",
            crate::pipeline::text::shorten(refusal, 300)
        )));
    }
    Attempt::Done(Reply::Malformed(
        "the response has no choices[0].message.content".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_within_the_upper_half() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        };
        for _ in 0..50 {
            let d0 = p.backoff(0);
            assert!(
                d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100),
                "{d0:?}"
            );
            let d1 = p.backoff(1);
            assert!(
                d1 >= Duration::from_millis(100) && d1 <= Duration::from_millis(200),
                "{d1:?}"
            );
            let d5 = p.backoff(5);
            assert!(
                d5 >= Duration::from_millis(175) && d5 <= Duration::from_millis(350),
                "{d5:?}"
            );
        }
        assert!(p.backoff(40) <= p.max_delay, "huge retry numbers don't overflow");
    }

    #[test]
    fn retry_after_reads_milliseconds_then_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut h = HeaderMap::new();
        h.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_detail_prefers_the_providers_message() {
        assert_eq!(
            error_detail(r#"{"error":{"message":"bad model","type":"x"}}"#),
            "bad model"
        );
        assert_eq!(error_detail("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_detail(""), "empty body");
    }
}
