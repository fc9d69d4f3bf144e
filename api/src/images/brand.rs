//! The brand kit as the renderer sees it.

use image::RgbaImage;

/// Colours and logo applied to every rendered image.
#[derive(Clone)]
pub struct Brand {
    /// Main colour, `[r, g, b]`.
    pub primary: [u8; 3],
    /// Accent colour, `[r, g, b]`.
    pub secondary: [u8; 3],
    /// The decoded logo (see [`super::decode_logo`]); no logo is drawn when `None`.
    pub logo: Option<RgbaImage>,
}

impl Brand {
    /// A brand from two `#RRGGBB` colours and an optional logo.
    pub fn from_hex(primary: &str, secondary: &str, logo: Option<RgbaImage>) -> Result<Self, String> {
        Ok(Self {
            primary: parse_hex_color(primary)?,
            secondary: parse_hex_color(secondary)?,
            logo,
        })
    }
}

impl std::fmt::Debug for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The derived form would print every logo pixel.
        f.debug_struct("Brand")
            .field(
                "primary",
                &format_args!("#{:02x}{:02x}{:02x}", self.primary[0], self.primary[1], self.primary[2]),
            )
            .field(
                "secondary",
                &format_args!(
                    "#{:02x}{:02x}{:02x}",
                    self.secondary[0], self.secondary[1], self.secondary[2]
                ),
            )
            .field("logo", &self.logo.as_ref().map(|l| l.dimensions()))
            .finish()
    }
}

/// Parses `#RRGGBB` (the `#` is optional, hex digits in either case).
pub fn parse_hex_color(value: &str) -> Result<[u8; 3], String> {
    let v = value.trim();
    let hex = v.strip_prefix('#').unwrap_or(v);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("expected a colour like #1A2B3C, got {value:?}"));
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string());
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_hex_color("#1A2b3C"), Ok([0x1a, 0x2b, 0x3c]));
        assert_eq!(parse_hex_color("ff0000"), Ok([255, 0, 0]));
        for bad in ["", "#12345", "#1234567", "#GG0000", "#ééé"] {
            assert!(parse_hex_color(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
