//! Branded image rendering: a source image becomes the four-ratio set
//! (smart crop, resize, logo in the least busy corner, headline over a
//! contrast scrim, PNG/JPEG encode).
//!
//! Everything here is CPU-bound and synchronous except the source providers;
//! async callers run [`render_set`] inside `tokio::task::spawn_blocking`.

mod brand;
mod encode;
mod geometry;
mod layout;
mod logo;
mod openai;
mod procedural;
mod provider;
mod render;
mod resize;
mod saliency;
mod scrim;
mod text;
mod upload;

pub use brand::{Brand, parse_hex_color};
pub use geometry::{Corner, Ratio, Rect};
pub use openai::{DEFAULT_IMAGE_MODEL, OpenAiImages, RetryPolicy};
pub use procedural::{DEFAULT_SOURCE_SIZE, procedural_source};
pub use provider::{BuiltinImages, ImageProviderError, SourceImageProvider};
pub use render::{RenderOptions, Rendered, render_set, render_set_with};
pub use upload::{DecodedLogo, LogoError, LogoFormat, MAX_LOGO_BYTES, MAX_LOGO_SIDE, MIN_LOGO_SIDE, decode_logo};

/// How rendered images are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Png,
    Jpeg { quality: u8 },
}

impl Default for OutputFormat {
    fn default() -> Self {
        Self::Jpeg { quality: 85 }
    }
}

impl OutputFormat {
    /// `png`, `jpeg` or `jpeg:<quality 1-100>`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim().to_ascii_lowercase();
        match v.split_once(':') {
            None if v == "png" => Ok(Self::Png),
            None if v == "jpeg" || v == "jpg" => Ok(Self::default()),
            Some(("jpeg" | "jpg", q)) => match q.parse::<u8>() {
                Ok(q) if (1..=100).contains(&q) => Ok(Self::Jpeg { quality: q }),
                _ => Err(format!("JPEG quality must be 1 to 100, got {q:?}")),
            },
            _ => Err(format!("expected png, jpeg or jpeg:<quality>, got {value:?}")),
        }
    }

    /// The MIME type of the encoded bytes.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg { .. } => "image/jpeg",
        }
    }
}

/// The source-image provider the configuration asks for: the
/// OpenAI-compatible images endpoint when `LLM_BASE_URL` and `IMAGE_MODEL`
/// are set, else the built-in procedural renderer.
pub fn provider_from_config(config: &crate::config::Config) -> anyhow::Result<std::sync::Arc<dyn SourceImageProvider>> {
    match &config.llm {
        Some(llm) if llm.image_model.is_some() => Ok(std::sync::Arc::new(OpenAiImages::from_config(llm)?)),
        _ => Ok(std::sync::Arc::new(BuiltinImages::default())),
    }
}
