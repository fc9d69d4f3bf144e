use super::*;
use crate::images::layout::check_rules;
use crate::images::procedural::subject_centre;
use crate::images::procedural_source;
use image::Rgba;

const HEADLINE: &str = "Grip that holds on wet rock. Join the trail beta today";

fn brand_with_logo() -> Brand {
    // A solid magenta badge: easy to find on the canvas afterwards.
    let logo = RgbaImage::from_fn(240, 120, |x, _| {
        if x < 8 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([255, 0, 255, 255])
        }
    });
    Brand::from_hex("#1d4ed8", "#f59e0b", Some(logo)).unwrap()
}

fn source(seed: u64, size: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(procedural_source(seed, &brand_with_logo(), size))
}

#[test]
fn a_set_has_all_four_ratios_at_their_sizes_in_every_format() {
    let formats = [OutputFormat::Png, OutputFormat::Jpeg { quality: 80 }];
    let out = render_set_with(
        &source(3, 768),
        &brand_with_logo(),
        HEADLINE,
        &formats,
        &RenderOptions::default(),
    )
    .unwrap();
    assert_eq!(out.len(), 8);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.ratio, Ratio::ALL[i / 2]);
        assert_eq!((r.width, r.height), r.ratio.size());
        assert_eq!(r.mime, formats[i % 2].mime());
        let decoded = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), r.ratio.size(), "{:?}", r);
        let expected = if i % 2 == 0 {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        };
        assert_eq!(image::guess_format(&r.bytes).unwrap(), expected);
    }
}

#[test]
fn every_canvas_follows_the_layout_rules_and_shows_the_logo() {
    let brand = brand_with_logo();
    let out = render_set(&source(11, 768), &brand, HEADLINE, OutputFormat::Png).unwrap();
    for r in &out {
        let logo = r.logo.unwrap();
        let corner = r.logo_corner.unwrap();
        let layout = Layout {
            crop: r.crop,
            logo: Some((logo, corner)),
            text_box: r.text_box,
            text_at_top: r.text_box.y < r.height / 2,
            margin: crate::images::logo::margin(r.width, r.height),
        };
        check_rules(&layout, r.width, r.height);
        let canvas = image::load_from_memory(&r.bytes).unwrap().to_rgb8();
        let centre = canvas.get_pixel(logo.x + logo.width / 2, logo.y + logo.height / 2).0;
        assert_eq!(centre, [255, 0, 255], "{}: no logo at {logo:?}", r.ratio);
        // The transparent strip at the logo's left edge leaves the picture visible.
        let edge = canvas.get_pixel(logo.x + 1, logo.y + logo.height / 2).0;
        assert_ne!(edge, [255, 0, 255], "{}: logo alpha was ignored", r.ratio);
    }
}

#[test]
fn the_crop_follows_the_procedural_subject() {
    for seed in [1, 2, 3, 4] {
        let (sx, sy) = subject_centre(seed, 1024);
        let out = render_set(
            &source(seed, 1024),
            &brand_with_logo(),
            "",
            OutputFormat::Jpeg { quality: 70 },
        )
        .unwrap();
        for r in &out {
            let c = r.crop;
            let inside = sx >= c.x as f32 && sx < c.right() as f32 && sy >= c.y as f32 && sy < c.bottom() as f32;
            assert!(
                inside,
                "seed {seed} {}: crop {c:?} misses the subject at ({sx}, {sy})",
                r.ratio
            );
        }
    }
}

#[test]
fn the_headline_is_drawn_inside_its_box_over_a_scrim() {
    let src = source(5, 768);
    let brand = Brand {
        logo: None,
        ..brand_with_logo()
    };
    let with = render_set(&src, &brand, HEADLINE, OutputFormat::Png).unwrap();
    let without = render_set(&src, &brand, "", OutputFormat::Png).unwrap();
    for (a, b) in with.iter().zip(&without) {
        let (a_img, b_img) = (
            image::load_from_memory(&a.bytes).unwrap().to_rgb8(),
            image::load_from_memory(&b.bytes).unwrap().to_rgb8(),
        );
        let tb = a.text_box;
        let changed_inside =
            (tb.y..tb.bottom()).any(|y| (tb.x..tb.right()).any(|x| a_img.get_pixel(x, y) != b_img.get_pixel(x, y)));
        assert!(changed_inside, "{}: no headline in {tb:?}", a.ratio);
        // Above the scrim's fade, nothing changed.
        let untouched_row =
            tb.y.saturating_sub(3 * crate::images::logo::margin(a.width, a.height) + 2);
        assert!(
            (0..a.width).all(|x| a_img.get_pixel(x, untouched_row) == b_img.get_pixel(x, untouched_row)),
            "{}",
            a.ratio
        );
    }
}

#[test]
fn rtl_emoji_empty_and_huge_headlines_render_without_panicking() {
    let src = source(9, 256);
    for headline in [
        "שלום עולם! הצטרפו היום",
        "انضموا إلينا اليوم",
        "🚀🔥✨",
        "\u{202e}\u{0}",
    ] {
        let out = render_set(&src, &brand_with_logo(), headline, OutputFormat::Jpeg { quality: 60 }).unwrap();
        assert_eq!(out.len(), 4, "{headline:?}");
    }
}

#[test]
fn one_and_two_threads_give_identical_bytes() {
    let src = source(13, 512);
    let brand = brand_with_logo();
    let run = |threads| {
        render_set_with(
            &src,
            &brand,
            HEADLINE,
            &[OutputFormat::Png],
            &RenderOptions { threads: Some(threads) },
        )
        .unwrap()
    };
    let (one, two) = (run(1), run(2));
    assert!(
        one.iter()
            .zip(&two)
            .all(|(a, b)| a.bytes == b.bytes && a.crop == b.crop)
    );
}

#[test]
fn rgba_and_tiny_sources_are_accepted_and_empty_ones_refused() {
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(300, 200, Rgba([10, 200, 30, 255])));
    assert_eq!(
        render_set(&rgba, &brand_with_logo(), "Hi", OutputFormat::Png)
            .unwrap()
            .len(),
        4
    );
    let tiny = DynamicImage::ImageRgb8(RgbImage::new(1, 1));
    assert_eq!(
        render_set(&tiny, &brand_with_logo(), "Hi", OutputFormat::Png)
            .unwrap()
            .len(),
        4
    );
    let empty = DynamicImage::ImageRgb8(RgbImage::new(0, 0));
    assert!(render_set(&empty, &brand_with_logo(), "Hi", OutputFormat::Png).is_err());
}
