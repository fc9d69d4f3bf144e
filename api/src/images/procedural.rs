//! The built-in source renderer: a brand-coloured gradient with soft shapes
//! and one textured focal subject placed off-centre, so the smart crop has
//! something to find. Same seed and colours give the same pixels.

use super::Brand;
use image::{Rgb, RgbImage};

/// Side of the square source the built-in provider renders.
pub const DEFAULT_SOURCE_SIZE: u32 = 2048;

const MIN_SIZE: u32 = 16;
const MAX_SIZE: u32 = 4096;

/// Renders a `size` x `size` source image (clamped to 16..=4096) from a seed
/// and the brand's colours. Deterministic: the same inputs give identical pixels.
pub fn procedural_source(seed: u64, brand: &Brand, size: u32) -> RgbImage {
    let size = size.clamp(MIN_SIZE, MAX_SIZE);
    let scene = Scene::new(seed, brand, size);
    RgbImage::from_fn(size, size, |x, y| {
        let c = scene.shade(x as f32 + 0.5, y as f32 + 0.5);
        Rgb([to_u8(c[0]), to_u8(c[1]), to_u8(c[2])])
    })
}

/// Centre of the focal subject in pixels (the tests check that crops keep it).
#[cfg(test)]
pub(crate) fn subject_centre(seed: u64, size: u32) -> (f32, f32) {
    let mut rng = SplitMix64(seed);
    let _angle = rng.next_u64();
    subject_from(&mut rng, size.clamp(MIN_SIZE, MAX_SIZE) as f32)
}

/// Near one of the four rule-of-thirds points, never the centre.
fn subject_from(rng: &mut SplitMix64, size: f32) -> (f32, f32) {
    let quadrant = rng.next_u64() % 4;
    let fx = if quadrant.is_multiple_of(2) { 0.24 } else { 0.76 } + rng.range(-0.04, 0.04);
    let fy = if quadrant < 2 { 0.30 } else { 0.68 } + rng.range(-0.04, 0.04);
    (fx * size, fy * size)
}

type Color = [f32; 3];

struct Blob {
    cx: f32,
    cy: f32,
    r: f32,
    color: Color,
    alpha: f32,
}

struct Scene {
    dir: (f32, f32),
    size: f32,
    bg0: Color,
    bg1: Color,
    blobs: Vec<Blob>,
    subject: (f32, f32, f32),
    ring_colors: [Color; 2],
    core: Color,
    dots: Vec<Blob>,
}

impl Scene {
    fn new(seed: u64, brand: &Brand, size: u32) -> Self {
        let mut rng = SplitMix64(seed);
        let angle = rng.range(0.0, std::f32::consts::TAU);
        let s = size as f32;
        let (sx, sy) = subject_from(&mut rng, s);
        let primary = rgb(brand.primary);
        let secondary = rgb(brand.secondary);
        let white = [1.0; 3];
        let bg0 = mix(primary, [0.0; 3], 0.45);
        let bg1 = mix(mix(secondary, primary, 0.35), white, 0.15);
        let palette = [mix(primary, white, 0.25), secondary, mix(secondary, white, 0.6)];
        let blobs = (0..6)
            .map(|i| Blob {
                cx: rng.range(0.0, s),
                cy: rng.range(0.0, s),
                r: rng.range(0.12, 0.30) * s,
                color: palette[i % palette.len()],
                alpha: rng.range(0.10, 0.25),
            })
            .collect();
        let r = 0.12 * s;
        let dots = (0..4)
            .map(|i| {
                let a = rng.range(0.0, std::f32::consts::TAU);
                let d = rng.range(1.35, 1.9) * r;
                Blob {
                    cx: sx + a.cos() * d,
                    cy: sy + a.sin() * d,
                    r: rng.range(0.06, 0.14) * r,
                    color: if i % 2 == 0 { white } else { secondary },
                    alpha: 0.9,
                }
            })
            .collect();
        Self {
            dir: (angle.cos(), angle.sin()),
            size: s,
            bg0,
            bg1,
            blobs,
            subject: (sx, sy, r),
            ring_colors: [mix(secondary, white, 0.75), mix(secondary, [0.0; 3], 0.15)],
            core: mix(primary, white, 0.8),
            dots,
        }
    }

    fn shade(&self, x: f32, y: f32) -> Color {
        let (u, v) = (x / self.size - 0.5, y / self.size - 0.5);
        let t = smoothstep(-0.6, 0.6, u * self.dir.0 + v * self.dir.1);
        let vignette = 1.0 - 0.35 * (u * u + v * v);
        let mut c = mix(self.bg0, self.bg1, t).map(|ch| ch * vignette);
        for b in &self.blobs {
            let d = ((x - b.cx).powi(2) + (y - b.cy).powi(2)).sqrt();
            if d < b.r {
                c = mix(c, b.color, b.alpha * (1.0 - smoothstep(0.55 * b.r, b.r, d)));
            }
        }
        let (sx, sy, r) = self.subject;
        // Soft drop shadow below and right of the subject.
        let ds = ((x - sx - 0.04 * r).powi(2) + (y - sy - 0.08 * r).powi(2)).sqrt();
        if ds < 1.25 * r {
            c = mix(c, [0.0; 3], 0.45 * (1.0 - smoothstep(0.9 * r, 1.25 * r, ds)));
        }
        let d = ((x - sx).powi(2) + (y - sy).powi(2)).sqrt();
        if d < r + 1.0 {
            c = mix(c, self.rings(d, r), (r - d + 0.5).clamp(0.0, 1.0));
        }
        for dot in &self.dots {
            let dd = ((x - dot.cx).powi(2) + (y - dot.cy).powi(2)).sqrt();
            if dd < dot.r + 1.0 {
                c = mix(c, dot.color, dot.alpha * (dot.r - dd + 0.5).clamp(0.0, 1.0));
            }
        }
        c
    }

    /// Concentric rings with anti-aliased boundaries and a bright core.
    fn rings(&self, d: f32, r: f32) -> Color {
        let core_r = 0.22 * r;
        if d < core_r {
            return mix(self.core, [1.0; 3], 0.5 * (1.0 - d / core_r));
        }
        let width = r / 7.0;
        let u = d / width;
        let k = u.floor();
        let frac = u - k;
        let own = self.ring_colors[(k as usize) % 2];
        let other = self.ring_colors[(k as usize + 1) % 2];
        let px_to_edge = frac.min(1.0 - frac) * width;
        mix(own, other, 0.5 * (1.0 - px_to_edge.clamp(0.0, 1.0)))
    }
}

/// splitmix64: tiny, seedable and stable across platforms and releases.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * unit
    }
}

fn rgb(c: [u8; 3]) -> Color {
    c.map(|v| f32::from(v) / 255.0)
}

fn mix(a: Color, b: Color, t: f32) -> Color {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn to_u8(v: f32) -> u8 {
    (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand {
        Brand::from_hex("#1d4ed8", "#f59e0b", None).unwrap()
    }

    #[test]
    fn same_seed_and_brand_give_identical_pixels() {
        let a = procedural_source(42, &brand(), 256);
        let b = procedural_source(42, &brand(), 256);
        assert_eq!(a.dimensions(), (256, 256));
        assert!(a.as_raw() == b.as_raw(), "two renders of seed 42 differ");
        let c = procedural_source(43, &brand(), 256);
        assert!(a.as_raw() != c.as_raw(), "seeds 42 and 43 rendered the same image");
        let other = Brand::from_hex("#10b981", "#ef4444", None).unwrap();
        assert!(a.as_raw() != procedural_source(42, &other, 256).as_raw());
    }

    #[test]
    fn subject_is_off_centre_and_drawn_where_it_is_said_to_be() {
        for seed in 0..32 {
            let (x, y) = subject_centre(seed, 2048);
            let off = ((x - 1024.0).powi(2) + (y - 1024.0).powi(2)).sqrt();
            assert!(off > 0.2 * 2048.0, "seed {seed}: subject only {off} px from the centre");
        }
        let img = procedural_source(5, &brand(), 512);
        let (x, y) = subject_centre(5, 512);
        // The core is a near-white disc.
        let px = img.get_pixel(x as u32, y as u32);
        assert!(px.0.iter().all(|&c| c > 200), "core pixel {px:?} is not bright");
    }

    #[test]
    fn degenerate_sizes_are_clamped() {
        assert_eq!(procedural_source(1, &brand(), 0).dimensions(), (16, 16));
    }
}
