//! Headline layout: word wrap, auto-size and drawing with the bundled
//! DejaVu Sans Bold.
//!
//! ab_glyph rasterises glyphs but does no shaping and no bidi: Arabic letters
//! come out in their isolated forms (not joined) and mixed-direction lines are
//! not reordered. Right-to-left headlines are laid out in reverse character
//! order with Latin/digit runs kept left-to-right and right-aligned, which
//! reads correctly for Hebrew and is legible, if unjoined, for Arabic.

use super::Rect;
use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use image::RgbImage;
use std::sync::LazyLock;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static FONT: LazyLock<Option<FontRef<'static>>> = LazyLock::new(|| FontRef::try_from_slice(FONT_BYTES).ok());

/// Longer headlines are cut here (with an ellipsis) before layout.
const MAX_CHARS: usize = 280;
const MIN_PX: u32 = 12;
const LINE_SPACING: f32 = 1.15;

/// The bundled headline font.
pub(crate) fn font() -> anyhow::Result<&'static FontRef<'static>> {
    FONT.as_ref()
        .ok_or_else(|| anyhow::anyhow!("the bundled font failed to parse"))
}

/// A headline fitted into a box.
#[derive(Debug)]
pub(crate) struct TextLayout {
    pub(crate) px: f32,
    /// Lines in logical order.
    pub(crate) lines: Vec<String>,
    pub(crate) rtl: bool,
}

/// Drops control characters and characters the font has no glyph for
/// (emoji, most CJK), collapses whitespace and caps the length.
fn clean(font: &FontRef<'static>, headline: &str) -> String {
    let mut out = String::new();
    let mut budget = MAX_CHARS;
    for word in headline.split_whitespace() {
        let kept: Vec<char> = word
            .chars()
            .filter(|&c| !c.is_control() && font.glyph_id(c) != GlyphId(0))
            .collect();
        if kept.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if kept.len() >= budget {
            out.extend(&kept[..budget]);
            out.push('…');
            break;
        }
        budget -= kept.len() + 1;
        out.extend(kept);
    }
    out
}

fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

/// Direction of the first strong character (Hebrew/Arabic ranges count as RTL).
fn first_strong_is_rtl(text: &str) -> bool {
    text.chars().find(|c| c.is_alphabetic()).is_some_and(is_rtl)
}

fn text_width<F: Font, S: ScaleFont<F>>(font: &S, text: &str) -> f32 {
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Greedy word wrap at `px`; words wider than the box are broken between
/// characters. Returns `None` when the lines do not fit in `max_lines`.
fn wrap(font: &'static FontRef<'static>, text: &str, px: f32, box_w: f32, max_lines: usize) -> Option<Vec<String>> {
    let scaled = font.as_scaled(PxScale::from(px));
    let space = text_width(&scaled, " ");
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0.0;
    for word in text.split(' ') {
        let w = text_width(&scaled, word);
        if !cur.is_empty() && cur_w + space + w <= box_w {
            cur.push(' ');
            cur.push_str(word);
            cur_w += space + w;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if w <= box_w {
            cur = word.to_owned();
            cur_w = w;
        } else {
            for c in word.chars() {
                let cw = text_width(&scaled, c.encode_utf8(&mut [0; 4]));
                if !cur.is_empty() && text_width(&scaled, &cur) + cw > box_w {
                    lines.push(std::mem::take(&mut cur));
                }
                cur.push(c);
            }
            cur_w = text_width(&scaled, &cur);
        }
        if lines.len() > max_lines {
            return None;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    (lines.len() <= max_lines).then_some(lines)
}

fn line_height(font: &'static FontRef<'static>, px: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    (scaled.ascent() - scaled.descent()) * LINE_SPACING
}

/// The largest size (binary search between 12 px and `max_px`) at which the
/// headline wraps into `text_box`. When even 12 px does not fit, the lines
/// that fit are kept and the last one ends with an ellipsis. `None` when
/// nothing drawable is left (empty or emoji-only headline).
pub(crate) fn fit(headline: &str, text_box: Rect, max_px: u32) -> anyhow::Result<Option<TextLayout>> {
    let font = font()?;
    let text = clean(font, headline);
    if text.is_empty() || text_box.width == 0 || text_box.height == 0 {
        return Ok(None);
    }
    let rtl = first_strong_is_rtl(&text);
    let box_w = text_box.width as f32;
    let lines_at = |px: u32| {
        let max_lines = (text_box.height as f32 / line_height(font, px as f32)).floor() as usize;
        if max_lines == 0 {
            None
        } else {
            wrap(font, &text, px as f32, box_w, max_lines)
        }
    };
    let (mut lo, mut hi) = (MIN_PX, max_px.max(MIN_PX));
    let mut best = None;
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        match lines_at(mid) {
            Some(lines) => {
                best = Some((mid, lines));
                lo = mid + 1;
            }
            None => hi = mid - 1,
        }
    }
    let (px, lines) = match best {
        Some(found) => found,
        None => (MIN_PX, truncated(font, &text, MIN_PX as f32, box_w, text_box.height)),
    };
    Ok((!lines.is_empty()).then_some(TextLayout {
        px: px as f32,
        lines,
        rtl,
    }))
}

/// As many lines as fit at `px`, the last one shortened to end with "…".
fn truncated(font: &'static FontRef<'static>, text: &str, px: f32, box_w: f32, box_h: u32) -> Vec<String> {
    let max_lines = (box_h as f32 / line_height(font, px)).floor() as usize;
    if max_lines == 0 {
        return Vec::new();
    }
    let mut lines = wrap(font, text, px, box_w, usize::MAX).unwrap_or_default();
    lines.truncate(max_lines);
    let scaled = font.as_scaled(PxScale::from(px));
    if let Some(last) = lines.last_mut() {
        last.push('…');
        while text_width(&scaled, last) > box_w && last.chars().count() > 1 {
            let keep = last.chars().count() - 2;
            *last = last.chars().take(keep).chain(['…']).collect();
        }
    }
    lines
}

/// Characters of a line in drawing order (left to right on the canvas).
fn visual_order(line: &str, rtl: bool) -> Vec<char> {
    if !rtl {
        return line.chars().collect();
    }
    let mut out: Vec<char> = line.chars().rev().collect();
    // Put runs of Latin letters, digits and their punctuation back in reading order.
    let ltr = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '%' | ':' | '$' | '€' | '-' | '+');
    let mut i = 0;
    while i < out.len() {
        let start = i;
        while i < out.len() && ltr(out[i]) {
            i += 1;
        }
        if i > start {
            if out[start..i].iter().any(char::is_ascii_alphanumeric) {
                out[start..i].reverse();
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Draws the layout inside `text_box` in `color`: lines left-aligned (right-
/// aligned for RTL), the block centred vertically. Glyphs are clipped to the canvas.
pub(crate) fn draw(canvas: &mut RgbImage, layout: &TextLayout, text_box: Rect, color: [u8; 3]) -> anyhow::Result<()> {
    let font = font()?;
    let scaled = font.as_scaled(PxScale::from(layout.px));
    let lh = line_height(font, layout.px);
    let block_h = lh * layout.lines.len() as f32;
    let top = text_box.y as f32 + ((text_box.height as f32 - block_h) / 2.0).max(0.0);
    let (cw, ch) = canvas.dimensions();
    for (i, line) in layout.lines.iter().enumerate() {
        let chars = visual_order(line, layout.rtl);
        let drawn: String = chars.iter().collect();
        let width = text_width(&scaled, &drawn);
        let mut x = if layout.rtl {
            text_box.right() as f32 - width
        } else {
            text_box.x as f32
        };
        let baseline = top + i as f32 * lh + (lh - (scaled.ascent() - scaled.descent())) / 2.0 + scaled.ascent();
        let mut prev: Option<GlyphId> = None;
        for c in chars {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(layout.px, point(x, baseline));
            x += scaled.h_advance(id);
            prev = Some(id);
            let Some(outlined) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= i64::from(cw) || py >= i64::from(ch) {
                    return;
                }
                let a = coverage.clamp(0.0, 1.0);
                let p = canvas.get_pixel_mut(px as u32, py as u32);
                for (d, &s) in p.0.iter_mut().zip(&color) {
                    *d = (f32::from(*d) + (f32::from(s) - f32::from(*d)) * a).round() as u8;
                }
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOX: Rect = Rect::new(40, 800, 1000, 240);

    #[test]
    fn longer_headlines_get_smaller_type_and_more_lines() {
        let short = fit("Trail beta", BOX, 100).unwrap().unwrap();
        let long = fit(
            "Grip that holds on wet rock. Join the trail beta today and tell us how it went",
            BOX,
            100,
        )
        .unwrap()
        .unwrap();
        assert_eq!(short.lines, vec!["Trail beta"]);
        assert!(long.px < short.px, "{} !< {}", long.px, short.px);
        assert!(long.lines.len() > 1);
        let font = font().unwrap();
        let scaled = font.as_scaled(PxScale::from(long.px));
        for line in &long.lines {
            assert!(text_width(&scaled, line) <= BOX.width as f32, "{line:?} overflows");
        }
        assert!(line_height(font, long.px) * long.lines.len() as f32 <= BOX.height as f32);
    }

    #[test]
    fn empty_emoji_only_and_huge_headlines_do_not_panic() {
        assert!(fit("", BOX, 100).unwrap().is_none());
        assert!(fit("   \n\t ", BOX, 100).unwrap().is_none());
        assert!(fit("🚀🔥✨", BOX, 100).unwrap().is_none());
        let mixed = fit("Launch 🚀 day", BOX, 100).unwrap().unwrap();
        assert_eq!(mixed.lines.concat(), "Launch day");
        let huge = "word ".repeat(5000) + &"x".repeat(10_000);
        let layout = fit(&huge, BOX, 100).unwrap().unwrap();
        assert!(layout.lines.last().unwrap().ends_with('…'));
        let one_word = fit(&"x".repeat(10_000), BOX, 100).unwrap().unwrap();
        assert!(
            one_word.lines.concat().chars().filter(|&c| c == 'x').count() > 10,
            "{one_word:?}"
        );
        let unbroken = fit(&"W".repeat(500), Rect::new(0, 0, 50, 40), 100).unwrap().unwrap();
        assert!(!unbroken.lines.is_empty());
    }

    #[test]
    fn hebrew_and_arabic_have_glyphs_and_are_right_aligned() {
        let font = font().unwrap();
        for text in ["שלום עולם, הצטרפו היום", "انضموا إلينا اليوم"] {
            assert!(
                text.chars()
                    .filter(|c| c.is_alphabetic())
                    .all(|c| font.glyph_id(c) != GlyphId(0)),
                "{text}"
            );
            let layout = fit(text, BOX, 40).unwrap().unwrap();
            assert!(layout.rtl);
            assert_eq!(layout.lines.len(), 1);
            let mut canvas = RgbImage::new(1080, 1080);
            draw(&mut canvas, &layout, BOX, [255, 255, 255]).unwrap();
            // Right-aligned: ink near the right edge of the box, none near the left edge.
            let ink = |x0: u32, x1: u32| {
                (BOX.y..BOX.bottom())
                    .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                    .any(|(x, y)| canvas.get_pixel(x, y).0[0] > 128)
            };
            assert!(ink(BOX.right() - 60, BOX.right()), "{text}: no ink at the right edge");
            assert!(!ink(BOX.x, BOX.x + 60), "{text}: ink at the left edge");
        }
        assert_eq!(visual_order("אב 50% גד", true).iter().collect::<String>(), "דג 50% בא");
    }
}
