//! Where things go on one canvas: crop window, logo corner, text box.
//!
//! Rules: the logo takes the least busy corner; the headline takes the top
//! or bottom band, whichever hides less of the salient subject (bottom
//! unless the top is clearly calmer). When both end up on the same edge the
//! text box gives up the logo's columns plus a margin, so the logo never
//! overlaps the text.

use super::logo::{choose_corner, logo_size, margin};
use super::saliency::Analysis;
use super::{Corner, Rect};

/// The placement decisions for one output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Crop window in source pixels.
    pub(crate) crop: Rect,
    /// Logo box on the canvas and its corner.
    pub(crate) logo: Option<(Rect, Corner)>,
    /// Where the headline is fitted.
    pub(crate) text_box: Rect,
    pub(crate) text_at_top: bool,
    pub(crate) margin: u32,
}

impl Layout {
    /// Rows the scrim covers: from the canvas edge to two margins past the
    /// text box (the fade), as `(solid_until, inner_edge)`.
    pub(crate) fn scrim_rows(&self, canvas_h: u32) -> (u32, u32) {
        let fade = 2 * self.margin;
        if self.text_at_top {
            (self.text_box.bottom(), (self.text_box.bottom() + fade).min(canvas_h))
        } else {
            (self.text_box.y, self.text_box.y.saturating_sub(fade))
        }
    }

    /// Largest headline size: 9% of the shorter side (97 px on 1080).
    pub(crate) fn max_text_px(&self, canvas_w: u32, canvas_h: u32) -> u32 {
        (canvas_w.min(canvas_h) as f32 * 0.09).round() as u32
    }
}

/// Height of the text box: a fifth of the canvas height, kept between 22%
/// and 30% of the shorter side.
fn text_box_height(w: u32, h: u32) -> u32 {
    let short = w.min(h) as f32;
    (h as f32 * 0.2).clamp(0.22 * short, 0.30 * short).round() as u32
}

/// Maps a canvas rectangle back to the source through the crop window.
fn to_source(r: Rect, crop: Rect, w: u32, h: u32) -> Rect {
    let sx = |v: u32| crop.x + (u64::from(v) * u64::from(crop.width) / u64::from(w.max(1))) as u32;
    let sy = |v: u32| crop.y + (u64::from(v) * u64::from(crop.height) / u64::from(h.max(1))) as u32;
    let (x0, y0) = (sx(r.x), sy(r.y));
    Rect::new(x0, y0, (sx(r.right()) - x0).max(1), (sy(r.bottom()) - y0).max(1))
}

/// Plans a `w` x `h` canvas; `logo_dims` are the logo's original pixel size.
pub(crate) fn plan(analysis: &Analysis, w: u32, h: u32, logo_dims: Option<(u32, u32)>) -> Layout {
    let crop = analysis.best_crop(w, h);
    let m = margin(w, h);
    let logo = logo_dims.map(|(lw, lh)| {
        let size = logo_size(lw, lh, w, h);
        let corner = choose_corner(w, h, size, m, |r| analysis.busyness(to_source(r, crop, w, h)));
        (corner.place(w, h, size.0, size.1, m), corner)
    });
    let box_h = text_box_height(w, h);
    let band_h = (box_h + 3 * m).min(h);
    let salience = |y: u32| analysis.salience(to_source(Rect::new(0, y, w, band_h), crop, w, h));
    let text_at_top = salience(0) < 0.8 * salience(h - band_h);
    let y = if text_at_top { m } else { h.saturating_sub(m + box_h) };
    let mut text_box = Rect::new(m, y, w.saturating_sub(2 * m), box_h);
    if let Some((r, corner)) = logo
        && corner.is_top() == text_at_top
    {
        let give_up = (r.width + m).min(text_box.width);
        text_box.width -= give_up;
        if corner.is_left() {
            text_box.x += give_up;
        }
    }
    Layout {
        crop,
        logo,
        text_box,
        text_at_top,
        margin: m,
    }
}

/// The layout rules every canvas must satisfy.
#[cfg(test)]
pub(crate) fn check_rules(layout: &Layout, w: u32, h: u32) {
    let canvas = Rect::new(0, 0, w, h);
    let m = layout.margin;
    assert!(
        canvas.contains(&layout.text_box),
        "text box {:?} leaves the canvas",
        layout.text_box
    );
    assert!(layout.text_box.height > 0 && layout.text_box.width > 0);
    if let Some((logo, corner)) = layout.logo {
        // Inside the corner's quarter, exactly `m` from both of its edges.
        assert!(canvas.contains(&logo));
        let x_ok = if corner.is_left() {
            logo.x == m
        } else {
            logo.right() == w - m
        };
        let y_ok = if corner.is_top() {
            logo.y == m
        } else {
            logo.bottom() == h - m
        };
        assert!(x_ok && y_ok, "logo {logo:?} not at the {corner:?} margin box");
        assert!(logo.right() <= w / 2 || logo.x >= w / 2 || logo.width > w / 2);
        // Never over the text box, and at least one margin away from it.
        let t = layout.text_box;
        let apart_x = logo.right() + m <= t.x || t.right() + m <= logo.x;
        let apart_y = logo.bottom() + m <= t.y || t.bottom() + m <= logo.y;
        assert!(
            apart_x || apart_y,
            "logo {logo:?} is within {m} px of the text box {t:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::Ratio;
    use crate::images::saliency::analyse;
    use image::{Rgb, RgbImage};

    /// A fine checkerboard over three quadrants; the `quiet` one is flat.
    fn three_busy_corners(w: u32, h: u32, quiet: Corner) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let is_quiet = (x < w / 2) == quiet.is_left() && (y < h / 2) == quiet.is_top();
            if !is_quiet && (x / 3 + y / 3) % 2 == 0 {
                Rgb([250, 250, 250])
            } else {
                Rgb([60, 70, 80])
            }
        })
    }

    #[test]
    fn the_logo_goes_to_the_quiet_corner_and_keeps_clear_of_the_text() {
        for quiet in Corner::ALL {
            let src = three_busy_corners(2048, 2048, quiet);
            let analysis = analyse(&src);
            for ratio in Ratio::ALL {
                let (w, h) = ratio.size();
                let layout = plan(&analysis, w, h, Some((240, 120)));
                let (_, corner) = layout.logo.unwrap();
                assert_eq!(corner, quiet, "{ratio}");
                check_rules(&layout, w, h);
            }
        }
    }

    #[test]
    fn the_text_band_avoids_the_subject() {
        use crate::images::saliency::tests::planted;
        for (cy, expect_top) in [(300.0, false), (1750.0, true)] {
            let analysis = analyse(&planted(2048, 2048, 700.0, cy, 160.0));
            for ratio in Ratio::ALL {
                let (w, h) = ratio.size();
                let layout = plan(&analysis, w, h, Some((240, 120)));
                assert_eq!(layout.text_at_top, expect_top, "{ratio}: subject at y={cy}");
                check_rules(&layout, w, h);
            }
        }
    }

    #[test]
    fn without_a_logo_the_text_sits_at_the_bottom() {
        let analysis = analyse(&RgbImage::from_pixel(512, 512, Rgb([10, 20, 30])));
        for ratio in Ratio::ALL {
            let (w, h) = ratio.size();
            let layout = plan(&analysis, w, h, None);
            assert!(layout.logo.is_none());
            assert!(!layout.text_at_top);
            assert_eq!(layout.text_box.bottom(), h - layout.margin);
            check_rules(&layout, w, h);
        }
    }
}
