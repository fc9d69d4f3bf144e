//! The built-in text generator: offline, deterministic copy from templates.
//!
//! Same brief, locale, brand, `n`, instructions and seed give byte-identical
//! output. It writes English, Spanish, French, German and Portuguese (any
//! region); other locales get English copy and a context pack marked
//! `fallback`. Brief fields are used as written (nothing is translated), so a
//! brief in the campaign's language reads best.
//!
//! Tone keywords in the brief's tone, the brand voice or the instructions
//! ("playful", "formal", "urgent", "short", "warm", "bold", "no emoji", in
//! any of the five languages) change the wording; the instructions also seed
//! every choice. Banned words of the brand never appear in the output.

mod angles;
mod compose;
mod hashtags;
mod layout;
mod locales;
mod phrases;
mod platforms;
mod rng;
mod style;
mod words;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft, ProviderError, TextProvider};

/// The default [`TextProvider`]: no network, no configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltinText;

impl BuiltinText {
    /// What [`TextProvider::model`] reports.
    pub const MODEL: &'static str = "builtin-templates-v1";
    /// Bump whenever a template or rule changes (part of every step cache key),
    /// and regenerate the golden files.
    pub const PROMPT_VERSION: &'static str = "builtin-1";
    /// The most angles one locale can get (one per archetype).
    pub const MAX_ANGLES: usize = angles::MAX_ANGLES;

    /// The generator; it holds no state, so one instance serves every request.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl TextProvider for BuiltinText {
    fn provider(&self) -> &str {
        "builtin"
    }

    fn model(&self) -> &str {
        Self::MODEL
    }

    fn prompt_version(&self) -> &str {
        Self::PROMPT_VERSION
    }

    async fn context(&self, brief: &Brief, locale: &str, brand: &BrandVoice) -> Result<ContextPack, ProviderError> {
        Ok(locales::context_pack(brief, locale, brand))
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
        angles::angles(brief, ctx, brand, n, instructions, seed)
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
        Ok(compose::copy(&compose::Request {
            brief,
            ctx,
            brand,
            angle,
            platform,
            instructions,
            seed,
        }))
    }
}

/// The built-in conventions for a locale, outside the trait (the
/// OpenAI-compatible provider hands them to the model to verify).
pub(crate) fn context_pack(brief: &Brief, locale: &str, brand: &BrandVoice) -> ContextPack {
    locales::context_pack(brief, locale, brand)
}
