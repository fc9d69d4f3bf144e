//! Logo size, corner choice and alpha blending.

use super::{Corner, Rect};
use image::{RgbImage, RgbaImage};

/// The logo fits in a square of this fraction of the canvas's shorter side.
const LOGO_FRACTION: f32 = 0.14;
/// Safe margin from the canvas edges, as a fraction of the shorter side.
const MARGIN_FRACTION: f32 = 0.04;

/// Safe margin in pixels for a canvas.
pub(crate) fn margin(canvas_w: u32, canvas_h: u32) -> u32 {
    ((canvas_w.min(canvas_h) as f32 * MARGIN_FRACTION).round() as u32).max(1)
}

/// The logo's size on a canvas: it fits in a square of 14% of the shorter
/// side, aspect ratio kept, never smaller than 1 px per side.
pub(crate) fn logo_size(logo_w: u32, logo_h: u32, canvas_w: u32, canvas_h: u32) -> (u32, u32) {
    let side = canvas_w.min(canvas_h) as f32 * LOGO_FRACTION;
    let scale = side / logo_w.max(logo_h).max(1) as f32;
    let w = ((logo_w as f32 * scale).round() as u32).max(1);
    let h = ((logo_h as f32 * scale).round() as u32).max(1);
    (w, h)
}

/// The corner whose logo box (plus half a margin around it) is least busy
/// according to `busyness` (canvas coordinates in, higher is busier). Ties
/// go to the earlier corner of [`Corner::ALL`].
pub(crate) fn choose_corner(
    canvas_w: u32,
    canvas_h: u32,
    size: (u32, u32),
    margin: u32,
    busyness: impl Fn(Rect) -> f32,
) -> Corner {
    let pad = margin / 2;
    let mut best = (Corner::TopLeft, f32::INFINITY);
    for corner in Corner::ALL {
        let r = corner.place(canvas_w, canvas_h, size.0, size.1, margin);
        let probe = Rect::new(
            r.x.saturating_sub(pad),
            r.y.saturating_sub(pad),
            (r.width + 2 * pad).min(canvas_w),
            (r.height + 2 * pad).min(canvas_h),
        );
        let score = busyness(probe);
        // A small tolerance keeps the preferred order when corners are equally plain.
        if score < best.1 * 0.97 {
            best = (corner, score);
        }
    }
    best.0
}

/// Draws `logo` over `canvas` with its top-left at (`x`, `y`), using the
/// logo's alpha ("over" compositing). Parts outside the canvas are clipped.
pub(crate) fn blend_over(canvas: &mut RgbImage, logo: &RgbaImage, x: u32, y: u32) {
    let (cw, ch) = canvas.dimensions();
    let w = logo.width().min(cw.saturating_sub(x)) as usize;
    let h = logo.height().min(ch.saturating_sub(y));
    let stride = cw as usize * 3;
    let logo_stride = logo.width() as usize * 4;
    let dst = canvas.as_mut();
    let src = logo.as_raw();
    for row in 0..h {
        let d0 = (y + row) as usize * stride + x as usize * 3;
        let s0 = row as usize * logo_stride;
        let drow = &mut dst[d0..d0 + w * 3];
        let srow = &src[s0..s0 + w * 4];
        for (d, s) in drow.chunks_exact_mut(3).zip(srow.chunks_exact(4)) {
            let a = u32::from(s[3]);
            if a == 0 {
                continue;
            }
            for c in 0..3 {
                let v = u32::from(s[c]) * a + u32::from(d[c]) * (255 - a);
                d[c] = ((v + 127) / 255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, Rgba};

    #[test]
    fn logo_keeps_its_aspect_and_scales_with_the_shorter_side() {
        assert_eq!(logo_size(240, 120, 1080, 1920), (151, 76));
        assert_eq!(logo_size(100, 400, 1920, 1080), (38, 151));
        assert_eq!(margin(1920, 1080), 43);
    }

    #[test]
    fn the_quiet_corner_wins_over_three_busy_ones() {
        for quiet in Corner::ALL {
            // Busy everywhere except the quiet corner's quadrant.
            let busy = |r: Rect| {
                let cx = r.x + r.width / 2;
                let cy = r.y + r.height / 2;
                let in_quiet = (cx < 500) == quiet.is_left() && (cy < 500) == quiet.is_top();
                if in_quiet { 1.0 } else { 40.0 }
            };
            assert_eq!(choose_corner(1000, 1000, (140, 70), 40, busy), quiet);
        }
    }

    #[test]
    fn blending_respects_alpha_and_clips() {
        let mut canvas = RgbImage::from_pixel(4, 4, Rgb([0, 0, 0]));
        let logo = RgbaImage::from_fn(3, 3, |x, _| match x {
            0 => Rgba([255, 255, 255, 0]),
            1 => Rgba([255, 255, 255, 128]),
            _ => Rgba([255, 0, 0, 255]),
        });
        blend_over(&mut canvas, &logo, 2, 2);
        assert_eq!(
            canvas.get_pixel(2, 2).0,
            [0, 0, 0],
            "transparent pixel changed the canvas"
        );
        assert_eq!(canvas.get_pixel(3, 2).0, [128, 128, 128]);
        assert_eq!(canvas.get_pixel(1, 1).0, [0, 0, 0]);
    }
}
