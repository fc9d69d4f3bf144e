//! The contrast scrim behind the headline.

use image::RgbImage;

/// Scrim and text colours, picked from what lies under the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Black scrim, white text: for mid and dark backgrounds.
    Dark,
    /// White scrim, near-black text: for bright backgrounds.
    Light,
}

impl Tone {
    /// (scrim colour, strongest scrim opacity out of 256, text colour)
    fn params(self) -> ([u8; 3], u32, [u8; 3]) {
        match self {
            Self::Dark => ([0, 0, 0], 160, [255, 255, 255]),
            Self::Light => ([255, 255, 255], 180, [24, 24, 24]),
        }
    }

    /// The headline colour that goes with this scrim.
    pub(crate) fn text_color(self) -> [u8; 3] {
        self.params().2
    }
}

/// Mean Rec. 601 luma (0-255) of rows `y0..y1`, sampling every 4th pixel.
pub(crate) fn mean_luma(canvas: &RgbImage, y0: u32, y1: u32) -> f32 {
    let (w, h) = canvas.dimensions();
    let (mut sum, mut n) = (0u64, 0u64);
    for y in (y0.min(h)..y1.min(h)).step_by(4) {
        for x in (0..w).step_by(4) {
            let p = canvas.get_pixel(x, y).0;
            sum += u64::from(77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum as f32 / n as f32 }
}

/// Dark scrim unless the background is bright; a light scrim under dark text
/// then needs less change to reach good contrast.
pub(crate) fn choose_tone(luma: f32) -> Tone {
    if luma > 165.0 { Tone::Light } else { Tone::Dark }
}

/// Darkens (or lightens) the band between the canvas edge and `inner_edge`
/// (the row where the band ends, towards the middle of the canvas): full
/// strength from the edge to `solid_until`, then fading to nothing over the
/// rows up to `inner_edge`. `at_top` says which edge the band touches.
pub(crate) fn draw(canvas: &mut RgbImage, tone: Tone, at_top: bool, solid_until: u32, inner_edge: u32) {
    let (w, h) = canvas.dimensions();
    let (color, strength, _) = tone.params();
    let stride = w as usize * 3;
    let rows: Box<dyn Iterator<Item = u32>> = if at_top {
        Box::new(0..inner_edge.min(h))
    } else {
        Box::new(inner_edge.min(h)..h)
    };
    let fade = solid_until.abs_diff(inner_edge).max(1);
    let buf: &mut [u8] = canvas.as_mut();
    for y in rows {
        let into = if at_top {
            inner_edge.saturating_sub(y)
        } else {
            y.saturating_sub(inner_edge)
        };
        let t = (into.min(fade) as f32 / fade as f32).powf(1.5);
        let a = (strength as f32 * t).round() as u32;
        if a == 0 {
            continue;
        }
        let keep = 256 - a;
        let add = [color[0], color[1], color[2]].map(|c| u32::from(c) * a);
        let row = &mut buf[y as usize * stride..(y as usize + 1) * stride];
        for px in row.chunks_exact_mut(3) {
            for c in 0..3 {
                px[c] = ((u32::from(px[c]) * keep + add[c]) >> 8) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn bright_backgrounds_get_a_light_scrim_and_dark_ones_a_dark_scrim() {
        assert_eq!(
            choose_tone(mean_luma(&RgbImage::from_pixel(64, 64, Rgb([250, 250, 240])), 0, 64)),
            Tone::Light
        );
        assert_eq!(
            choose_tone(mean_luma(&RgbImage::from_pixel(64, 64, Rgb([20, 40, 90])), 0, 64)),
            Tone::Dark
        );
    }

    #[test]
    fn the_band_is_solid_at_the_edge_and_fades_inwards() {
        let mut c = RgbImage::from_pixel(10, 100, Rgb([200, 200, 200]));
        draw(&mut c, Tone::Dark, false, 80, 60);
        assert_eq!(c.get_pixel(5, 59).0, [200, 200, 200], "above the band changed");
        let mid = c.get_pixel(5, 70).0[0];
        let solid = c.get_pixel(5, 95).0[0];
        assert!(solid < mid && mid < 200, "no fade: {solid} {mid}");
        assert_eq!(solid, c.get_pixel(5, 80).0[0]);
    }
}
