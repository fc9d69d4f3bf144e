//! Benchmark of the branded four-ratio set, doing what
//! `shared/bench-peer/pillow_set.py` does: the same 2048x2048 source
//! (gradient + 40 discs), the same 240x120 "ACME" logo, the same headline,
//! and per ratio a saliency crop, Lanczos resize, logo paste, scrim,
//! auto-fitted headline, PNG (zlib level 6) and JPEG (quality 85).
//!
//! usage: bench_images [--sets N] [--threads T] [--write DIR] [--compare-resize] [--procedural SEED]
//! (`--procedural` renders from the built-in source instead of the peer's, to look at it.)
//! Prints one `key=value` line that scripts/bench-images.sh parses.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use api::images::{Brand, OutputFormat, Ratio, RenderOptions, procedural_source, render_set_with};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};
use std::time::Instant;

const HEADLINE: &str = "Grip that holds on wet rock. Join the trail beta today";
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// pillow_set.py `source()`: a vertical grey gradient with 40 flat discs.
fn peer_source(seed: i64) -> RgbImage {
    let (w, h) = (2048i64, 2048i64);
    let mut img = RgbImage::from_fn(w as u32, h as u32, |_, y| {
        let v = (y as f32 * 255.0 / (h - 1) as f32).round() as u8;
        Rgb([v, v, v])
    });
    for i in 0..40i64 {
        let (x0, y0) = ((seed * 97 * (i + 1)) % w, (seed * 61 * (i + 3)) % h);
        let colour = Rgb([((i * 53) % 256) as u8, ((i * 91) % 256) as u8, ((i * 29) % 256) as u8]);
        let r = 90.5f32;
        let (cx, cy) = (x0 as f32 + r, y0 as f32 + r);
        for y in y0..(y0 + 181).min(h) {
            for x in x0..(x0 + 181).min(w) {
                if (x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2) <= r * r {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    img
}

/// pillow_set.py `logo()`: a translucent white rounded rectangle with "ACME".
fn peer_logo() -> RgbaImage {
    let (w, h, r) = (240i32, 120i32, 24i32);
    let mut logo = RgbaImage::from_fn(w as u32, h as u32, |x, y| {
        let (x, y) = (x as i32, y as i32);
        let dx = (r - x).max(x - (w - 1 - r)).max(0);
        let dy = (r - y).max(y - (h - 1 - r)).max(0);
        if dx * dx + dy * dy <= r * r {
            Rgba([255, 255, 255, 220])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    if let Ok(font) = FontRef::try_from_slice(FONT) {
        let scaled = font.as_scaled(PxScale::from(48.0));
        let mut x = 30.0;
        for c in "ACME".chars() {
            let glyph = scaled.scaled_glyph(c);
            let advance = scaled.h_advance(glyph.id);
            let positioned = glyph.id.with_scale_and_position(48.0, point(x, 35.0 + scaled.ascent()));
            if let Some(outlined) = font.outline_glyph(positioned) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x as u32 + gx, b.min.y as u32 + gy);
                    if px < w as u32 && py < h as u32 && cov > 0.0 {
                        let p = logo.get_pixel_mut(px, py);
                        for c in 0..3 {
                            p.0[c] = (f32::from(p.0[c]) * (1.0 - cov) + 20.0 * cov) as u8;
                        }
                        p.0[3] = (f32::from(p.0[3]) * (1.0 - cov) + 255.0 * cov) as u8;
                    }
                });
            }
            x += advance;
        }
    }
    logo
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// image::imageops::resize vs fast_image_resize on the four crops (ms per set).
fn compare_resize(src: &RgbImage) -> anyhow::Result<()> {
    let crops = Ratio::ALL.map(|r| {
        let (w, h) = r.size();
        let (cw, ch) = if w >= h {
            (2048, 2048 * h / w)
        } else {
            (2048 * w / h, 2048)
        };
        (r, cw, ch)
    });
    let t = Instant::now();
    for &(r, cw, ch) in &crops {
        let (w, h) = r.size();
        let crop = image::imageops::crop_imm(src, 0, 0, cw, ch).to_image();
        let _ = image::imageops::resize(&crop, w, h, image::imageops::FilterType::Lanczos3);
    }
    let image_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3)?;
    for &(r, cw, ch) in &crops {
        let (w, h) = r.size();
        let mut dst = Image::new(w, h, PixelType::U8x3);
        let opts = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .crop(0.0, 0.0, f64::from(cw), f64::from(ch));
        Resizer::new().resize(&view, &mut dst, &opts)?;
    }
    let fir_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "resize-only per set (4 crops, Lanczos3): image::imageops {image_ms:.1} ms, fast_image_resize {fir_ms:.1} ms"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let sets: usize = arg(&args, "--sets").unwrap_or(20).max(1);
    let threads: usize = arg(&args, "--threads").unwrap_or(1).max(1);
    let src = peer_source(7);
    if args.iter().any(|a| a == "--compare-resize") {
        return compare_resize(&src);
    }
    let brand = Brand {
        primary: [29, 78, 216],
        secondary: [245, 158, 11],
        logo: Some(peer_logo()),
    };
    let source = match arg::<u64>(&args, "--procedural") {
        Some(seed) => DynamicImage::ImageRgb8(procedural_source(seed, &brand, 2048)),
        None => DynamicImage::ImageRgb8(src),
    };
    let formats = [OutputFormat::Png, OutputFormat::Jpeg { quality: 85 }];
    let opts = RenderOptions { threads: Some(threads) };
    let warm = render_set_with(&source, &brand, HEADLINE, &formats, &opts)?;
    if let Some(dir) = arg::<String>(&args, "--write") {
        std::fs::create_dir_all(&dir)?;
        for r in &warm {
            let ext = if r.mime == "image/png" { "png" } else { "jpg" };
            std::fs::write(format!("{dir}/{}.{ext}", r.ratio.as_str().to_lowercase()), &r.bytes)?;
        }
    }
    let size_of = |mime: &str| {
        warm.iter()
            .filter(|r| r.mime == mime)
            .map(|r| r.bytes.len())
            .sum::<usize>()
    };
    let mut times = Vec::with_capacity(sets);
    for _ in 0..sets {
        let t = Instant::now();
        let out = render_set_with(&source, &brand, HEADLINE, &formats, &opts)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(out);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "impl=ours threads={threads} sets={sets} median_ms={median:.1} min_ms={:.1} max_ms={:.1} sets_per_s={:.2} png_bytes={} jpeg_bytes={} vm_hwm_kb={}",
        times[0],
        times[times.len() - 1],
        1000.0 / median,
        size_of("image/png"),
        size_of("image/jpeg"),
        vm_hwm_kb().unwrap_or(0),
    );
    Ok(())
}
