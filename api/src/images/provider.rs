//! Where the IMAGES step gets its source picture: the built-in procedural
//! renderer (default, offline) or an OpenAI-compatible images endpoint
//! ([`super::OpenAiImages`]). Branding, crop and overlay are ours either way.

use super::{Brand, DEFAULT_SOURCE_SIZE, procedural_source};
use image::DynamicImage;

/// Why no source image could be had.
#[derive(Debug, thiserror::Error)]
pub enum ImageProviderError {
    /// The provider could not be reached or kept failing (after retries).
    #[error("image provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (4xx other than 429).
    #[error("image provider refused the request: {0}")]
    Rejected(String),
    /// The provider answered, but not with a usable image.
    #[error("image provider returned an invalid image: {0}")]
    InvalidOutput(String),
}

/// A source of the picture a set is rendered from.
#[async_trait::async_trait]
pub trait SourceImageProvider: Send + Sync {
    /// "builtin" or "openai-compatible"
    fn provider(&self) -> &str;
    fn model(&self) -> &str;
    /// A source picture for `prompt`. `seed` makes the built-in provider
    /// deterministic; remote providers may ignore it.
    async fn source(&self, prompt: &str, seed: u64, brand: &Brand) -> Result<DynamicImage, ImageProviderError>;
}

/// The built-in procedural renderer ([`procedural_source`]).
#[derive(Clone, Debug)]
pub struct BuiltinImages {
    size: u32,
}

impl Default for BuiltinImages {
    fn default() -> Self {
        Self {
            size: DEFAULT_SOURCE_SIZE,
        }
    }
}

impl BuiltinImages {
    /// A renderer producing `size` x `size` sources (2048 by default).
    pub fn with_size(size: u32) -> Self {
        Self { size }
    }
}

/// FNV-1a: a stable hash, so the same prompt gives the same picture on every
/// build (std's `DefaultHasher` makes no such promise).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[async_trait::async_trait]
impl SourceImageProvider for BuiltinImages {
    fn provider(&self) -> &str {
        "builtin"
    }

    fn model(&self) -> &str {
        "procedural-v1"
    }

    /// Deterministic in (`prompt`, `seed`, brand colours); the prompt is
    /// mixed into the seed so each angle gets its own composition.
    async fn source(&self, prompt: &str, seed: u64, brand: &Brand) -> Result<DynamicImage, ImageProviderError> {
        let colours = Brand {
            primary: brand.primary,
            secondary: brand.secondary,
            logo: None,
        };
        let seed = seed ^ fnv1a(prompt);
        let size = self.size;
        tokio::task::spawn_blocking(move || DynamicImage::ImageRgb8(procedural_source(seed, &colours, size)))
            .await
            .map_err(|e| ImageProviderError::Unavailable(format!("the renderer task failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn builtin_sources_are_deterministic_per_prompt_and_seed() {
        let provider = BuiltinImages::with_size(128);
        let brand = Brand::from_hex("#0f766e", "#fbbf24", None).unwrap();
        let a = provider.source("trail shoes", 7, &brand).await.unwrap();
        let b = provider.source("trail shoes", 7, &brand).await.unwrap();
        let c = provider.source("rain jacket", 7, &brand).await.unwrap();
        assert_eq!((a.width(), a.height()), (128, 128));
        assert!(a.as_bytes() == b.as_bytes());
        assert!(a.as_bytes() != c.as_bytes());
        assert_eq!((provider.provider(), provider.model()), ("builtin", "procedural-v1"));
    }
}
