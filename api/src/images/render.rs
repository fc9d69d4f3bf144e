//! The four-ratio set: analyse once, then crop, resize, brand and encode
//! each ratio (in parallel on a rayon pool).

use super::encode::encode;
use super::layout::{Layout, plan};
use super::logo::blend_over;
use super::resize::{crop_resize_rgb, resize_rgba};
use super::saliency::analyse;
use super::{Brand, Corner, OutputFormat, Ratio, Rect, scrim, text};
use anyhow::Context as _;
use image::{DynamicImage, RgbImage, RgbaImage};
use rayon::prelude::*;
use std::borrow::Cow;

/// One encoded image of a set, with the placement decisions made for it.
#[derive(Clone)]
pub struct Rendered {
    pub ratio: Ratio,
    pub width: u32,
    pub height: u32,
    /// `image/png` or `image/jpeg`.
    pub mime: &'static str,
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// The crop window, in source pixels.
    pub crop: Rect,
    /// Where the logo was drawn (canvas pixels); `None` without a logo.
    pub logo: Option<Rect>,
    pub logo_corner: Option<Corner>,
    /// The box the headline was fitted into (canvas pixels).
    pub text_box: Rect,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("ratio", &self.ratio)
            .field("size", &(self.width, self.height))
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .field("crop", &self.crop)
            .field("logo", &self.logo)
            .field("logo_corner", &self.logo_corner)
            .field("text_box", &self.text_box)
            .finish()
    }
}

/// How to run a render.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// `None`: the ratios run on rayon's global pool. `Some(n)`: on a pool of
    /// exactly `n` threads built for this call (`Some(1)` is fully sequential).
    pub threads: Option<usize>,
}

/// Renders the four-ratio set in one format. CPU-bound (a 2048 px source
/// takes tens of milliseconds per ratio): call it from `spawn_blocking`.
pub fn render_set(
    source: &DynamicImage,
    brand: &Brand,
    headline: &str,
    format: OutputFormat,
) -> anyhow::Result<Vec<Rendered>> {
    render_set_with(source, brand, headline, &[format], &RenderOptions::default())
}

/// Renders the set once and encodes every canvas in each of `formats`;
/// results are ordered by ratio ([`Ratio::ALL`]), then by format.
pub fn render_set_with(
    source: &DynamicImage,
    brand: &Brand,
    headline: &str,
    formats: &[OutputFormat],
    opts: &RenderOptions,
) -> anyhow::Result<Vec<Rendered>> {
    anyhow::ensure!(!formats.is_empty(), "no output format asked for");
    anyhow::ensure!(source.width() > 0 && source.height() > 0, "the source image is empty");
    let work = || render_all(source, brand, headline, formats);
    match opts.threads {
        None => work(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .context("building the render thread pool")?
            .install(work),
    }
}

fn render_all(
    source: &DynamicImage,
    brand: &Brand,
    headline: &str,
    formats: &[OutputFormat],
) -> anyhow::Result<Vec<Rendered>> {
    let rgb: Cow<'_, RgbImage> = match source {
        DynamicImage::ImageRgb8(img) => Cow::Borrowed(img),
        other => Cow::Owned(other.to_rgb8()),
    };
    let analysis = analyse(&rgb);
    let logo_dims = brand.logo.as_ref().map(|l| l.dimensions());
    let layouts: Vec<(Ratio, Layout)> = Ratio::ALL
        .iter()
        .map(|&r| {
            let (w, h) = r.size();
            (r, plan(&analysis, w, h, logo_dims))
        })
        .collect();
    // Every ratio shares the 1080 px shorter side, so this is usually one resize.
    let mut logos: Vec<(u32, u32, RgbaImage)> = Vec::new();
    if let Some(logo) = &brand.logo {
        for (_, layout) in &layouts {
            if let Some((r, _)) = layout.logo
                && !logos.iter().any(|(w, h, _)| (*w, *h) == (r.width, r.height))
            {
                logos.push((r.width, r.height, resize_rgba(logo, r.width, r.height)?));
            }
        }
    }
    let per_ratio: Vec<anyhow::Result<Vec<Rendered>>> = layouts
        .par_iter()
        .map(|(ratio, layout)| {
            let logo = layout.logo.and_then(|(r, _)| {
                logos
                    .iter()
                    .find(|(w, h, _)| (*w, *h) == (r.width, r.height))
                    .map(|(_, _, img)| img)
            });
            let canvas = compose(&rgb, *ratio, layout, logo, headline).with_context(|| format!("composing {ratio}"))?;
            formats
                .par_iter()
                .map(|&format| {
                    Ok(Rendered {
                        ratio: *ratio,
                        width: canvas.width(),
                        height: canvas.height(),
                        mime: format.mime(),
                        bytes: encode(&canvas, format).with_context(|| format!("encoding {ratio}"))?,
                        crop: layout.crop,
                        logo: layout.logo.map(|(r, _)| r),
                        logo_corner: layout.logo.map(|(_, c)| c),
                        text_box: layout.text_box,
                    })
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(Ratio::ALL.len() * formats.len());
    for r in per_ratio {
        out.extend(r?);
    }
    Ok(out)
}

/// Crop + resize, then scrim and headline, then the logo on top.
pub(crate) fn compose(
    src: &RgbImage,
    ratio: Ratio,
    layout: &Layout,
    logo: Option<&RgbaImage>,
    headline: &str,
) -> anyhow::Result<RgbImage> {
    let (w, h) = ratio.size();
    let mut canvas = crop_resize_rgb(src, layout.crop, w, h)?;
    if let Some(fitted) = text::fit(headline, layout.text_box, layout.max_text_px(w, h))? {
        let tb = layout.text_box;
        let tone = scrim::choose_tone(scrim::mean_luma(&canvas, tb.y, tb.bottom()));
        let (solid_until, inner_edge) = layout.scrim_rows(h);
        scrim::draw(&mut canvas, tone, layout.text_at_top, solid_until, inner_edge);
        text::draw(&mut canvas, &fitted, tb, tone.text_color())?;
    }
    if let (Some(img), Some((r, _))) = (logo, layout.logo) {
        blend_over(&mut canvas, img, r.x, r.y);
    }
    Ok(canvas)
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
