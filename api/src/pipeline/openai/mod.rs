//! The OpenAI-compatible text provider: `POST {base_url}/chat/completions` in
//! JSON mode, one prompt per step, replies checked against the step's schema.
//!
//! An unusable reply gets exactly one repair request (the validation error
//! goes back to the model); a second one is `InvalidOutput`. Transport
//! failures are retried by [`RetryPolicy`]. The API key is only ever in the
//! `Authorization` header: never in logs, errors or `Debug` output.

mod prompts;
mod schema;
mod transport;

#[cfg(test)]
mod tests;

pub use transport::RetryPolicy;
pub(crate) use transport::retry_after;

use crate::config::LlmConfig;
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::builtin;
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft, ProviderError, TextProvider};
use prompts::Message;
use std::time::Duration;
use transport::{Reply, Transport};

/// Model output that goes back in a repair request is cut to this many characters.
const ECHO_MAX: usize = 8_000;

/// A [`TextProvider`] backed by any OpenAI-compatible chat-completions endpoint.
#[derive(Debug)]
pub struct OpenAiText {
    transport: Transport,
    model: String,
}

impl OpenAiText {
    /// What [`TextProvider::prompt_version`] reports; bump it whenever a prompt changes.
    pub const PROMPT_VERSION: &'static str = "chat-1";

    /// A client for `config`, with the default [`RetryPolicy`]. Each request
    /// may take `config.timeout`.
    pub fn new(config: &LlmConfig) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("the HTTP client could not be built: {e}"));
        Self {
            transport: Transport {
                client,
                endpoint: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
                api_key: config.api_key.clone(),
                timeout: config.timeout,
                retry: RetryPolicy {
                    max_attempts: config.max_attempts,
                    ..RetryPolicy::default()
                },
            },
            model: config.model.clone(),
        }
    }

    /// The same client with another retry policy (tests use short delays).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.transport.retry = policy;
        self
    }

    /// Sends `messages`, checks the reply with `parse`, and on failure asks
    /// once more with the validation error.
    #[tracing::instrument(skip_all, fields(step = %step, model = %self.model))]
    async fn complete<T>(
        &self,
        step: &str,
        mut messages: Vec<Message>,
        temperature: f64,
        seed: u64,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ProviderError> {
        let mut error = String::new();
        for attempt in 0..2 {
            if attempt == 1 {
                let shown = self.transport.redact(&error);
                tracing::warn!(error = %shown, "LLM reply failed validation, asking for a repair");
                messages.push(prompts::repair(&error));
            }
            let body = serde_json::json!({
                "model": self.model,
                "messages": messages,
                "response_format": {"type": "json_object"},
                "temperature": temperature,
                // Some servers reject seeds beyond i64.
                "seed": seed & (i64::MAX as u64),
            });
            match self.transport.chat(&body).await? {
                Reply::Content(content) => match parse(&content) {
                    Ok(value) => return Ok(value),
                    Err(e) => {
                        error = e;
                        messages.push(Message::assistant(crate::pipeline::text::shorten(&content, ECHO_MAX)));
                    }
                },
                Reply::Malformed(e) => error = e,
            }
        }
        let error = self.transport.redact(&error);
        Err(ProviderError::InvalidOutput(format!(
            "{step}: {error} (after one repair attempt)"
        )))
    }
}

fn check_count(n: usize) -> Result<(), ProviderError> {
    if (1..=10).contains(&n) {
        Ok(())
    } else {
        Err(ProviderError::Rejected(format!(
            "asked for {n} angles; 1 to 10 are allowed"
        )))
    }
}

#[async_trait::async_trait]
impl TextProvider for OpenAiText {
    fn provider(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn prompt_version(&self) -> &str {
        Self::PROMPT_VERSION
    }

    async fn context(&self, brief: &Brief, locale: &str, brand: &BrandVoice) -> Result<ContextPack, ProviderError> {
        let known = builtin::context_pack(brief, locale, brand);
        let messages = prompts::context(brief, locale, brand, &known);
        // Conventions are facts, not creative writing: low temperature, fixed seed.
        self.complete("context", messages, 0.2, 0, |c| schema::context(c, locale))
            .await
    }

    async fn angles(
        &self,
        brief: &Brief,
        ctx: &ContextPack,
        brand: &BrandVoice,
        n: usize,
        instructions: Option<&str>,
        seed: u64,
    ) -> Result<Vec<AngleDraft>, ProviderError> {
        check_count(n)?;
        let messages = prompts::angles(brief, ctx, brand, n, instructions);
        self.complete("angles", messages, 0.9, seed, |c| schema::angles(c, n))
            .await
    }

    async fn copy(
        &self,
        brief: &Brief,
        ctx: &ContextPack,
        brand: &BrandVoice,
        angle: &AngleDraft,
        platform: Platform,
        instructions: Option<&str>,
        seed: u64,
    ) -> Result<CopyDraft, ProviderError> {
        let messages = prompts::copy(brief, ctx, brand, angle, platform, instructions);
        self.complete("copy", messages, 0.7, seed, schema::copy).await
    }
}
