//! Lanczos3 resizing through `fast_image_resize` (SIMD, chosen at run time).
//! `image::imageops::resize` does the same maths in f32 with a column-major
//! inner loop and was 14-22x slower for the four crops of a set in
//! `bench_images --compare-resize` (e.g. 1037 ms against 73 ms).

use super::Rect;
use anyhow::Context as _;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{RgbImage, RgbaImage};

fn lanczos3() -> ResizeOptions {
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
}

/// Crops `crop` out of `src` and resizes it to `width` x `height` in one pass
/// (the crop is never copied).
pub(crate) fn crop_resize_rgb(src: &RgbImage, crop: Rect, width: u32, height: u32) -> anyhow::Result<RgbImage> {
    let view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3).context("source buffer")?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let opts = lanczos3().crop(
        f64::from(crop.x),
        f64::from(crop.y),
        f64::from(crop.width),
        f64::from(crop.height),
    );
    Resizer::new().resize(&view, &mut dst, &opts).context("resize")?;
    RgbImage::from_raw(width, height, dst.into_vec()).context("resized buffer has the wrong size")
}

/// Resizes an RGBA image; colour is premultiplied by alpha while filtering so
/// transparent pixels do not bleed dark fringes into the edges.
pub(crate) fn resize_rgba(src: &RgbaImage, width: u32, height: u32) -> anyhow::Result<RgbaImage> {
    if src.dimensions() == (width, height) {
        return Ok(src.clone());
    }
    let view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x4).context("logo buffer")?;
    let mut dst = Image::new(width, height, PixelType::U8x4);
    Resizer::new()
        .resize(&view, &mut dst, &lanczos3().use_alpha(true))
        .context("resize logo")?;
    RgbaImage::from_raw(width, height, dst.into_vec()).context("resized logo has the wrong size")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_resize_takes_pixels_from_the_crop_only() {
        // Left half red, right half blue: a crop of the right half must be blue.
        let src = RgbImage::from_fn(200, 100, |x, _| {
            if x < 100 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let out = crop_resize_rgb(&src, Rect::new(100, 0, 100, 100), 30, 30).unwrap();
        assert_eq!(out.dimensions(), (30, 30));
        // The filter reads up to its support (3 lobes = 10 source px, i.e. 3
        // output px here) past the crop edge, so there is no hard seam; past
        // that the crop is pure.
        assert!(
            out.enumerate_pixels()
                .filter(|(x, _, _)| *x >= 3)
                .all(|(_, _, p)| p.0 == [0, 0, 255])
        );
        assert!(out.pixels().all(|p| p.0[2] > p.0[0]), "red dominates part of the crop");
    }

    #[test]
    fn rgba_resize_keeps_transparency() {
        let src = RgbaImage::from_fn(64, 64, |x, _| {
            if x < 32 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([255, 255, 255, 255])
            }
        });
        let out = resize_rgba(&src, 16, 16).unwrap();
        assert_eq!(out.get_pixel(0, 0).0[3], 0);
        assert_eq!(out.get_pixel(15, 8).0, [255, 255, 255, 255]);
    }
}
