//! Validation of uploaded brand logos (`uploadBrandLogo`).
//!
//! The format comes from the file's magic bytes, never from its name or the
//! claimed content type. Dimensions are read from the header and checked
//! before any pixel is decoded, and the decoder runs under `image::Limits`,
//! so a small file that claims to be huge (a decompression bomb) is refused
//! without allocating for it.

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder as _, ImageFormat, ImageReader, Limits, RgbaImage};
use std::io::Cursor;

/// Largest accepted upload.
pub const MAX_LOGO_BYTES: usize = 5 * 1024 * 1024;
/// Largest accepted width and height.
pub const MAX_LOGO_SIDE: u32 = 4096;
/// Smallest accepted width and height.
pub const MIN_LOGO_SIDE: u32 = 16;

/// The image formats a logo may be uploaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
    WebP,
}

impl LogoFormat {
    /// Recognises PNG, JPEG and WebP by their signatures.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::WebP)
        } else {
            None
        }
    }

    /// MIME type of the uploaded file.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::WebP => "WebP",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Png => ImageFormat::Png,
            Self::Jpeg => ImageFormat::Jpeg,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// Why a logo upload was refused. The messages are meant for the uploader.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the logo file is empty")]
    Empty,
    #[error("the logo file is {size} bytes; the limit is {max} bytes (5 MB)")]
    TooLarge { size: usize, max: usize },
    #[error("the logo must be a PNG, JPEG or WebP image (the file content is none of these)")]
    UnsupportedFormat,
    #[error("the logo is {width}x{height} pixels; the limit is {max}x{max}")]
    DimensionsTooLarge { width: u32, height: u32, max: u32 },
    #[error("the logo is {width}x{height} pixels; it must be at least {min}x{min}")]
    TooSmall { width: u32, height: u32, min: u32 },
    #[error("the logo could not be read as a {format} image: {reason}")]
    Corrupt { format: &'static str, reason: String },
    #[error("the logo could not be converted to PNG: {0}")]
    Encode(String),
}

/// A validated logo, ready to store (`png_bytes`) and to draw (`image`).
#[derive(Clone)]
pub struct DecodedLogo {
    pub image: RgbaImage,
    /// Format of the uploaded file.
    pub format: LogoFormat,
    /// MIME type of the uploaded file.
    pub mime: &'static str,
    /// The logo re-encoded as PNG (what is stored).
    pub png_bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for DecodedLogo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedLogo")
            .field("format", &self.format)
            .field("size", &(self.width, self.height))
            .field("png_bytes", &self.png_bytes.len())
            .finish()
    }
}

/// Validates and decodes an uploaded logo: at most 5 MB, PNG/JPEG/WebP by
/// magic bytes, 16x16 to 4096x4096 pixels. CPU-bound for large files.
pub fn decode_logo(bytes: &[u8]) -> Result<DecodedLogo, LogoError> {
    if bytes.is_empty() {
        return Err(LogoError::Empty);
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoError::TooLarge {
            size: bytes.len(),
            max: MAX_LOGO_BYTES,
        });
    }
    let format = LogoFormat::detect(bytes).ok_or(LogoError::UnsupportedFormat)?;
    let corrupt = |e: image::ImageError| LogoError::Corrupt {
        format: format.name(),
        reason: e.to_string(),
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format.image_format())
        .into_dimensions()
        .map_err(corrupt)?;
    if width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE {
        return Err(LogoError::DimensionsTooLarge {
            width,
            height,
            max: MAX_LOGO_SIDE,
        });
    }
    if width < MIN_LOGO_SIDE || height < MIN_LOGO_SIDE {
        return Err(LogoError::TooSmall {
            width,
            height,
            min: MIN_LOGO_SIDE,
        });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_LOGO_SIDE);
    limits.max_image_height = Some(MAX_LOGO_SIDE);
    // RGBA8 at the largest size plus the decoder's own buffers.
    limits.max_alloc = Some(u64::from(MAX_LOGO_SIDE).pow(2) * 4 * 2);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits);
    let image = reader.decode().map_err(corrupt)?.to_rgba8();
    if image.dimensions() != (width, height) {
        return Err(LogoError::Corrupt {
            format: format.name(),
            reason: "the header and the pixel data disagree on the size".into(),
        });
    }
    let mut png_bytes = Vec::new();
    PngEncoder::new(&mut png_bytes)
        .write_image(image.as_raw(), width, height, ExtendedColorType::Rgba8)
        .map_err(|e| LogoError::Encode(e.to_string()))?;
    Ok(DecodedLogo {
        image,
        format,
        mime: format.mime(),
        png_bytes,
        width,
        height,
    })
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;
