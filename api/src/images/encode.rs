//! PNG and JPEG encoding of a finished canvas.

use super::OutputFormat;
use anyhow::Context as _;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder as _, RgbImage};

/// Encodes an RGB canvas (JPEG has no alpha, so canvases are RGB throughout).
///
/// PNG: zlib level 6 with adaptive filters, what Pillow's `compress_level=6`
/// does. JPEG: `jpeg-encoder` (AVX2 when the CPU has it) with 4:2:0 box-
/// averaged chroma below quality 90, like libjpeg's defaults; `image`'s own
/// JPEG encoder took about half of the whole set's time in the benchmark.
pub(crate) fn encode(img: &RgbImage, format: OutputFormat) -> anyhow::Result<Vec<u8>> {
    let (w, h) = img.dimensions();
    let mut out = Vec::with_capacity((w as usize * h as usize) / 2);
    match format {
        OutputFormat::Png => PngEncoder::new_with_quality(&mut out, CompressionType::Level(6), FilterType::Adaptive)
            .write_image(img.as_raw(), w, h, ExtendedColorType::Rgb8)
            .context("PNG encoding")?,
        OutputFormat::Jpeg { quality } => {
            let width = u16::try_from(w).context("too wide for JPEG")?;
            let height = u16::try_from(h).context("too tall for JPEG")?;
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
            encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
            encoder
                .encode(img.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
                .context("JPEG encoding")?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_decode_back_to_the_same_size() {
        let img = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 128]));
        for (format, expected) in [
            (OutputFormat::Png, image::ImageFormat::Png),
            (OutputFormat::Jpeg { quality: 80 }, image::ImageFormat::Jpeg),
        ] {
            let bytes = encode(&img, format).unwrap();
            assert_eq!(image::guess_format(&bytes).unwrap(), expected);
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (64, 48));
        }
        let png = image::load_from_memory(&encode(&img, OutputFormat::Png).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(png, img, "PNG is lossless");
    }
}
