//! The text-generation interface the pipeline's steps call. Two providers
//! implement it: the built-in deterministic generator (default, offline)
//! and an OpenAI-compatible chat-completions client.
//!
//! Providers produce drafts; the steps own the rules (platform limits,
//! hashtag clean-up, moderation, caching, credits).

use crate::domain::campaign::{Brief, Platform};
use serde::{Deserialize, Serialize};

/// Per-locale conventions the later steps write in (the CONTEXT step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextPack {
    /// The locale asked for, e.g. `pt-BR`.
    pub locale: String,
    /// The language actually written (`en` when the locale has no built-in language).
    pub language: String,
    /// Set when `language` is a fallback for `locale`.
    pub fallback: bool,
    pub tone: String,
    /// e.g. "informal (tu)", "formal (Sie)"
    pub formality: String,
    /// e.g. "DD/MM/YYYY"
    pub date_format: String,
    /// e.g. "1.234,56"
    pub number_format: String,
    /// ISO 4217, e.g. "EUR"
    pub currency: String,
    /// How paid posts must be marked, e.g. "#ad" / "#publicidad" / "#Werbung".
    pub ad_disclosure: String,
    pub legal_notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AngleDraft {
    pub title: String,
    pub hook: String,
    pub rationale: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyDraft {
    pub headline: Option<String>,
    pub body: String,
    pub call_to_action: Option<String>,
    pub hashtags: Vec<String>,
}

/// What the brand kit adds to every request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrandVoice {
    pub voice: Option<String>,
    pub banned_words: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or kept failing (after retries).
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider answered, but not with what the step's schema needs
    /// (after one repair attempt).
    #[error("provider returned invalid output: {0}")]
    InvalidOutput(String),
    /// The provider refused the request (4xx other than 429).
    #[error("provider refused the request: {0}")]
    Rejected(String),
}

#[async_trait::async_trait]
pub trait TextProvider: Send + Sync {
    /// "builtin" or "openai-compatible"
    fn provider(&self) -> &str;
    fn model(&self) -> &str;
    /// Bumped whenever prompts or templates change (part of every cache key).
    fn prompt_version(&self) -> &str;

    async fn context(&self, brief: &Brief, locale: &str, brand: &BrandVoice) -> Result<ContextPack, ProviderError>;

    /// `n` distinct angles (1 to 10) for one locale.
    async fn angles(
        &self,
        brief: &Brief,
        ctx: &ContextPack,
        brand: &BrandVoice,
        n: usize,
        instructions: Option<&str>,
        seed: u64,
    ) -> Result<Vec<AngleDraft>, ProviderError>;

    /// One copy of one angle for one platform.
    #[expect(clippy::too_many_arguments, reason = "one generation request, spelled out")]
    async fn copy(
        &self,
        brief: &Brief,
        ctx: &ContextPack,
        brand: &BrandVoice,
        angle: &AngleDraft,
        platform: Platform,
        instructions: Option<&str>,
        seed: u64,
    ) -> Result<CopyDraft, ProviderError>;
}
