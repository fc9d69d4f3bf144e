use super::*;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{RgbImage, Rgba};

fn logo_pixels(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        Rgba([x as u8, y as u8, 200, if x < w / 2 { 255 } else { 90 }])
    })
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(logo_pixels(w, h).as_raw(), w, h, ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// Bitwise CRC-32 (IEEE), as PNG chunks use.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid PNG whose IHDR was rewritten to claim `w` x `h` (CRC fixed up).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(16, 16);
    // Signature (8) + length (4) + "IHDR" (4), then width and height.
    assert_eq!(&bytes[12..16], b"IHDR");
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

#[test]
fn small_real_png_jpeg_and_webp_files_are_accepted() {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&RgbImage::from_pixel(40, 20, image::Rgb([10, 120, 200])))
        .unwrap();
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(&mut webp)
        .write_image(logo_pixels(32, 24).as_raw(), 32, 24, ExtendedColorType::Rgba8)
        .unwrap();
    for (bytes, format, size) in [
        (png(64, 32), LogoFormat::Png, (64, 32)),
        (jpeg, LogoFormat::Jpeg, (40, 20)),
        (webp, LogoFormat::WebP, (32, 24)),
    ] {
        let logo = decode_logo(&bytes).unwrap_or_else(|e| panic!("{format:?} refused: {e}"));
        assert_eq!(logo.format, format);
        assert_eq!(logo.mime, format.mime());
        assert_eq!((logo.width, logo.height), size);
        assert_eq!(logo.image.dimensions(), size);
        let stored = image::load_from_memory_with_format(&logo.png_bytes, ImageFormat::Png).unwrap();
        assert_eq!(
            stored.to_rgba8(),
            logo.image,
            "{format:?}: stored PNG differs from the decoded pixels"
        );
    }
}

#[test]
fn alpha_survives_the_round_trip() {
    let logo = decode_logo(&png(64, 32)).unwrap();
    assert_eq!(logo.image.get_pixel(40, 3).0[3], 90);
    assert_eq!(logo.image, logo_pixels(64, 32));
}

#[test]
fn the_format_comes_from_the_bytes_not_from_a_name_or_claimed_type() {
    // decode_logo never sees a file name: a PNG uploaded as "logo.jpg" is a PNG.
    assert_eq!(decode_logo(&png(20, 20)).unwrap().format, LogoFormat::Png);
    let text = b"<svg xmlns='http://www.w3.org/2000/svg'>not a raster image</svg>";
    assert_eq!(decode_logo(text).unwrap_err(), LogoError::UnsupportedFormat);
    assert_eq!(decode_logo(b"GIF89a....").unwrap_err(), LogoError::UnsupportedFormat);
    assert_eq!(decode_logo(b"").unwrap_err(), LogoError::Empty);
}

#[test]
fn files_over_5_mb_are_refused_before_anything_is_parsed() {
    let mut big = png(16, 16);
    big.resize(MAX_LOGO_BYTES + 1, 0);
    let err = decode_logo(&big).unwrap_err();
    assert_eq!(
        err,
        LogoError::TooLarge {
            size: MAX_LOGO_BYTES + 1,
            max: MAX_LOGO_BYTES
        }
    );
    assert!(err.to_string().contains("5 MB"), "{err}");
}

#[test]
fn a_tiny_png_claiming_60000_by_60000_pixels_is_refused_from_its_header() {
    let bomb = png_claiming(60_000, 60_000);
    assert!(bomb.len() < 200, "the bomb is {} bytes", bomb.len());
    let err = decode_logo(&bomb).unwrap_err();
    assert_eq!(
        err,
        LogoError::DimensionsTooLarge {
            width: 60_000,
            height: 60_000,
            max: MAX_LOGO_SIDE
        }
    );
    assert!(err.to_string().contains("60000x60000"), "{err}");
}

#[test]
fn a_header_within_limits_with_missing_pixel_data_is_corrupt_not_a_panic() {
    let err = decode_logo(&png_claiming(4000, 4000)).unwrap_err();
    assert!(matches!(err, LogoError::Corrupt { format: "PNG", .. }), "{err:?}");
    let mut truncated = png(64, 64);
    truncated.truncate(60);
    assert!(matches!(
        decode_logo(&truncated).unwrap_err(),
        LogoError::Corrupt { .. }
    ));
}

#[test]
fn logos_under_16_pixels_are_refused() {
    let err = decode_logo(&png(8, 64)).unwrap_err();
    assert_eq!(
        err,
        LogoError::TooSmall {
            width: 8,
            height: 64,
            min: MIN_LOGO_SIDE
        }
    );
}
