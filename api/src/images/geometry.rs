//! Output ratios, rectangles and corners.

/// One of the four output formats of an image set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ratio {
    /// 1080x1080
    Square1x1,
    /// 1080x1350
    Portrait4x5,
    /// 1080x1920
    Story9x16,
    /// 1920x1080
    Landscape16x9,
}

impl Ratio {
    /// Every ratio, in the order a set is rendered and stored.
    pub const ALL: [Ratio; 4] = [Self::Square1x1, Self::Portrait4x5, Self::Story9x16, Self::Landscape16x9];

    /// The stable name used in the API and storage keys, e.g. `SQUARE_1_1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Square1x1 => "SQUARE_1_1",
            Self::Portrait4x5 => "PORTRAIT_4_5",
            Self::Story9x16 => "STORY_9_16",
            Self::Landscape16x9 => "LANDSCAPE_16_9",
        }
    }

    /// The inverse of [`Ratio::as_str`] (case-insensitive).
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(v))
            .ok_or_else(|| {
                format!("expected one of SQUARE_1_1, PORTRAIT_4_5, STORY_9_16, LANDSCAPE_16_9, got {value:?}")
            })
    }

    /// Output size in pixels, `(width, height)`.
    pub fn size(self) -> (u32, u32) {
        match self {
            Self::Square1x1 => (1080, 1080),
            Self::Portrait4x5 => (1080, 1350),
            Self::Story9x16 => (1080, 1920),
            Self::Landscape16x9 => (1920, 1080),
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An axis-aligned rectangle in pixels; `x`/`y` is the top-left corner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self { x, y, width, height }
    }

    /// One past the last column.
    pub fn right(&self) -> u32 {
        self.x.saturating_add(self.width)
    }

    /// One past the last row.
    pub fn bottom(&self) -> u32 {
        self.y.saturating_add(self.height)
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x && other.y >= self.y && other.right() <= self.right() && other.bottom() <= self.bottom()
    }

    /// Area of the overlap of two rectangles (0 when they are disjoint).
    pub fn intersection_area(&self, other: &Rect) -> u64 {
        let w = self.right().min(other.right()).saturating_sub(self.x.max(other.x));
        let h = self.bottom().min(other.bottom()).saturating_sub(self.y.max(other.y));
        u64::from(w) * u64::from(h)
    }

    /// Width times height.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// A corner of the canvas (where the logo goes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl Corner {
    /// All corners; on a tie in busyness the earlier one wins, so the logo
    /// prefers the top and the headline keeps the bottom.
    pub const ALL: [Corner; 4] = [Self::TopLeft, Self::TopRight, Self::BottomLeft, Self::BottomRight];

    /// Stable name, e.g. `TOP_LEFT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TopLeft => "TOP_LEFT",
            Self::TopRight => "TOP_RIGHT",
            Self::BottomLeft => "BOTTOM_LEFT",
            Self::BottomRight => "BOTTOM_RIGHT",
        }
    }

    /// Whether the corner is on the top edge.
    pub fn is_top(self) -> bool {
        matches!(self, Self::TopLeft | Self::TopRight)
    }

    /// Whether the corner is on the left edge.
    pub fn is_left(self) -> bool {
        matches!(self, Self::TopLeft | Self::BottomLeft)
    }

    /// The `width` x `height` box in this corner of a `canvas_w` x `canvas_h`
    /// canvas, `margin` pixels from both edges.
    pub fn place(self, canvas_w: u32, canvas_h: u32, width: u32, height: u32, margin: u32) -> Rect {
        let x = if self.is_left() {
            margin
        } else {
            canvas_w.saturating_sub(margin).saturating_sub(width)
        };
        let y = if self.is_top() {
            margin
        } else {
            canvas_h.saturating_sub(margin).saturating_sub(height)
        };
        Rect::new(x, y, width, height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_names_round_trip_and_sizes_match_their_ratio() {
        for r in Ratio::ALL {
            assert_eq!(Ratio::parse(r.as_str()), Ok(r));
            assert_eq!(Ratio::parse(&r.as_str().to_ascii_lowercase()), Ok(r));
        }
        assert!(Ratio::parse("SQUARE").is_err());
        assert_eq!(Ratio::Story9x16.size(), (1080, 1920));
        assert_eq!(Ratio::Landscape16x9.size(), (1920, 1080));
        assert_eq!(Ratio::Portrait4x5.as_str(), "PORTRAIT_4_5");
    }

    #[test]
    fn rect_overlap_and_containment() {
        let a = Rect::new(0, 0, 10, 10);
        assert_eq!(a.intersection_area(&Rect::new(5, 5, 10, 10)), 25);
        assert_eq!(a.intersection_area(&Rect::new(10, 0, 5, 5)), 0);
        assert!(a.contains(&Rect::new(2, 2, 8, 8)));
        assert!(!a.contains(&Rect::new(2, 2, 9, 8)));
    }

    #[test]
    fn corners_place_boxes_at_their_margins() {
        let r = Corner::BottomRight.place(100, 50, 20, 10, 5);
        assert_eq!(r, Rect::new(75, 35, 20, 10));
        assert_eq!(Corner::TopLeft.place(100, 50, 20, 10, 5), Rect::new(5, 5, 20, 10));
    }
}
