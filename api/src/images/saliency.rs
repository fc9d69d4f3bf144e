//! Saliency on a small copy of the source, and the crop window it implies.
//!
//! One pass over the source (every second pixel of every second row) fills a
//! grid of at most 256 cells per side with the mean colour and the local
//! contrast (absolute luminance differences to the neighbours, so fine
//! texture counts even though the grid is coarse). Saliency is the mix of
//! contrast and colour distinctiveness (distance of a cell's blurred colour
//! from the image mean, as in frequency-tuned saliency), squared so a clear
//! subject outweighs a wide, mildly interesting background.

use super::Rect;
use image::RgbImage;

const GRID: u32 = 256;

/// What the layout needs to know about one source image; computed once per set.
pub(crate) struct Analysis {
    src_w: u32,
    src_h: u32,
    grid_w: u32,
    grid_h: u32,
    /// Mean local contrast per cell (0..=1020).
    edges: Vec<f32>,
    /// Combined saliency per cell (0..=1).
    saliency: Vec<f32>,
}

pub(crate) fn analyse(src: &RgbImage) -> Analysis {
    let (w, h) = src.dimensions();
    let scale = (w.max(h) as f32 / GRID as f32).max(1.0);
    let gw = ((w as f32 / scale).round() as u32).max(1);
    let gh = ((h as f32 / scale).round() as u32).max(1);
    let cells = (gw * gh) as usize;
    // Per cell: sums of R, G, B and contrast, and the sample count.
    let mut sums = vec![[0u32; 5]; cells];
    let raw = src.as_raw();
    let (wu, stride) = (w as usize, w as usize * 3);
    let xmap: Vec<usize> = (0..w)
        .step_by(2)
        .map(|x| (u64::from(x) * u64::from(gw) / u64::from(w)) as usize)
        .collect();
    let luma = |p: &[u8]| (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
    // l(x, y + 1) of the previous sampled row, per sampled column.
    let mut below_prev: Vec<u32> = vec![0; xmap.len()];
    for y in (0..h).step_by(2) {
        let row = &raw[y as usize * stride..(y as usize + 1) * stride];
        let below = if y + 1 < h {
            &raw[(y as usize + 1) * stride..(y as usize + 2) * stride]
        } else {
            row
        };
        let cell_row = (u64::from(y) * u64::from(gh) / u64::from(h)) as usize * gw as usize;
        // l(x + 1, y) of the previous sample in this row.
        let mut right_prev: Option<u32> = None;
        for (k, (&gx, bp)) in xmap.iter().zip(below_prev.iter_mut()).enumerate() {
            let i = 2 * k * 3;
            let px = &row[i..i + 3];
            let l = luma(px);
            let lr = if 2 * k + 1 < wu { luma(&row[i + 3..i + 6]) } else { l };
            let lb = luma(&below[i..i + 3]);
            // Every adjacent pair along sampled rows and columns is compared,
            // so even 1 px stripes register although only a quarter of the
            // pixels are visited.
            let mut contrast = l.abs_diff(lr) + l.abs_diff(lb) + right_prev.map_or(0, |p| p.abs_diff(l));
            if y > 0 {
                contrast += bp.abs_diff(l);
            }
            right_prev = Some(lr);
            *bp = lb;
            let acc = &mut sums[cell_row + gx];
            acc[0] += u32::from(px[0]);
            acc[1] += u32::from(px[1]);
            acc[2] += u32::from(px[2]);
            acc[3] += contrast;
            acc[4] += 1;
        }
    }
    let mut rgb = vec![[0f32; 3]; cells];
    let mut edges = vec![0f32; cells];
    for ((c, e), acc) in rgb.iter_mut().zip(edges.iter_mut()).zip(&sums) {
        let n = acc[4].max(1) as f32;
        *c = [acc[0] as f32 / n, acc[1] as f32 / n, acc[2] as f32 / n];
        *e = acc[3] as f32 / n;
    }
    let saliency = combine(&rgb, &edges, gw as usize, gh as usize);
    Analysis {
        src_w: w,
        src_h: h,
        grid_w: gw,
        grid_h: gh,
        edges,
        saliency,
    }
}

fn combine(rgb: &[[f32; 3]], edges: &[f32], gw: usize, gh: usize) -> Vec<f32> {
    // Opponent colour space: luminance, red-green, yellow-blue.
    let opp: Vec<[f32; 3]> = rgb
        .iter()
        .map(|c| {
            [
                0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2],
                c[0] - c[1],
                0.5 * (c[0] + c[1]) - c[2],
            ]
        })
        .collect();
    let n = opp.len().max(1) as f32;
    let mean = opp
        .iter()
        .fold([0f32; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]])
        .map(|v| v / n);
    let blurred = box_blur3(&opp, gw, gh);
    let distinct: Vec<f32> = blurred
        .iter()
        .map(|c| ((c[0] - mean[0]).powi(2) + (c[1] - mean[1]).powi(2) + (c[2] - mean[2]).powi(2)).sqrt())
        .collect();
    let edge_blur: Vec<f32> = box_blur3(&edges.iter().map(|&e| [e, 0.0, 0.0]).collect::<Vec<_>>(), gw, gh)
        .iter()
        .map(|c| c[0])
        .collect();
    let max_d = distinct.iter().copied().fold(0f32, f32::max).max(1e-6);
    let max_e = edge_blur.iter().copied().fold(0f32, f32::max).max(1e-6);
    distinct
        .iter()
        .zip(&edge_blur)
        .map(|(&d, &e)| (0.4 * d / max_d + 0.6 * e / max_e).powi(2))
        .collect()
}

fn box_blur3(v: &[[f32; 3]], w: usize, h: usize) -> Vec<[f32; 3]> {
    let mut out = vec![[0f32; 3]; v.len()];
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0f32; 3];
            let mut n = 0f32;
            for yy in y.saturating_sub(1)..(y + 2).min(h) {
                for xx in x.saturating_sub(1)..(x + 2).min(w) {
                    let c = v[yy * w + xx];
                    acc = [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2]];
                    n += 1.0;
                }
            }
            out[y * w + x] = acc.map(|a| a / n);
        }
    }
    out
}

impl Analysis {
    /// The largest window of aspect `out_w:out_h` inside the source that holds
    /// the most saliency. Among windows within 2% of the best, the one whose
    /// centre is nearest the salient mass wins, so the subject is not pushed
    /// against an edge when there is room.
    pub(crate) fn best_crop(&self, out_w: u32, out_h: u32) -> Rect {
        let (sw, sh) = (u64::from(self.src_w), u64::from(self.src_h));
        let (ow, oh) = (u64::from(out_w.max(1)), u64::from(out_h.max(1)));
        // Compare sw/sh with ow/oh without floats.
        let (cw, ch) = if sw * oh > ow * sh {
            (((sh * ow + oh / 2) / oh).clamp(1, sw), sh)
        } else {
            (sw, ((sw * oh + ow / 2) / ow).clamp(1, sh))
        };
        let (cw, ch) = (cw as u32, ch as u32);
        if cw < self.src_w {
            let profile = self.profile(true);
            let x = slide(&profile, self.src_w, cw);
            Rect::new(x, 0, cw, ch)
        } else {
            let profile = self.profile(false);
            let y = slide(&profile, self.src_h, ch);
            Rect::new(0, y, cw, ch)
        }
    }

    /// Saliency summed over columns (`by_column`) or rows.
    fn profile(&self, by_column: bool) -> Vec<f32> {
        let (gw, gh) = (self.grid_w as usize, self.grid_h as usize);
        let mut p = vec![0f32; if by_column { gw } else { gh }];
        for y in 0..gh {
            for x in 0..gw {
                p[if by_column { x } else { y }] += self.saliency[y * gw + x];
            }
        }
        p
    }

    /// Mean local contrast of the source pixels under `region` (source
    /// coordinates); how "busy" that part of the picture is.
    pub(crate) fn busyness(&self, region: Rect) -> f32 {
        self.mean_over(&self.edges, region)
    }

    /// Mean saliency (0..=1) under `region` (source coordinates).
    pub(crate) fn salience(&self, region: Rect) -> f32 {
        self.mean_over(&self.saliency, region)
    }

    fn mean_over(&self, grid: &[f32], region: Rect) -> f32 {
        let to_grid = |v: u32, src: u32, cells: u32| (u64::from(v) * u64::from(cells) / u64::from(src.max(1))) as u32;
        let x0 = to_grid(region.x, self.src_w, self.grid_w).min(self.grid_w - 1);
        let y0 = to_grid(region.y, self.src_h, self.grid_h).min(self.grid_h - 1);
        let x1 = to_grid(region.right(), self.src_w, self.grid_w).clamp(x0 + 1, self.grid_w);
        let y1 = to_grid(region.bottom(), self.src_h, self.grid_h).clamp(y0 + 1, self.grid_h);
        let mut sum = 0f32;
        for y in y0..y1 {
            let row = (y * self.grid_w) as usize;
            sum += grid[row + x0 as usize..row + x1 as usize].iter().sum::<f32>();
        }
        sum / ((x1 - x0) * (y1 - y0)) as f32
    }
}

/// Best start (in source pixels) of a window `win` long on an axis `len`
/// long, given the saliency profile of that axis on the grid.
fn slide(profile: &[f32], len: u32, win: u32) -> u32 {
    let n = profile.len();
    let scale = n as f64 / f64::from(len);
    let mut prefix = vec![0f64; n + 1];
    for (i, &v) in profile.iter().enumerate() {
        prefix[i + 1] = prefix[i] + f64::from(v);
    }
    // Sum over a fractional grid interval, with linear coverage of the end cells.
    let at = |g: f64| {
        let g = g.clamp(0.0, n as f64);
        let i = (g.floor() as usize).min(n.saturating_sub(1));
        prefix[i] + (g - i as f64) * (prefix[i + 1] - prefix[i])
    };
    let max_start = len - win;
    let step = (1.0 / scale).max(1.0);
    let mut starts: Vec<u32> = (0..)
        .map(|k| (f64::from(k) * step) as u32)
        .take_while(|&s| s < max_start)
        .collect();
    starts.push(max_start);
    let score = |s: u32| at(f64::from(s + win) * scale) - at(f64::from(s) * scale);
    let best = starts.iter().map(|&s| score(s)).fold(f64::MIN, f64::max);
    if best <= 0.0 {
        return max_start / 2;
    }
    let best_start = starts
        .iter()
        .copied()
        .find(|&s| score(s) >= best)
        .unwrap_or(max_start / 2);
    // Centroid of the saliency inside the best window, in source pixels.
    let (lo, hi) = (f64::from(best_start) * scale, f64::from(best_start + win) * scale);
    let (mut mass, mut moment) = (0f64, 0f64);
    for (i, &v) in profile.iter().enumerate() {
        let c = i as f64 + 0.5;
        if c >= lo && c < hi {
            mass += f64::from(v);
            moment += f64::from(v) * c;
        }
    }
    let centroid = if mass > 0.0 {
        moment / mass / scale
    } else {
        f64::from(best_start) + f64::from(win) / 2.0
    };
    starts
        .iter()
        .copied()
        .filter(|&s| score(s) >= 0.98 * best)
        .min_by(|&a, &b| {
            let da = (f64::from(a) + f64::from(win) / 2.0 - centroid).abs();
            let db = (f64::from(b) + f64::from(win) / 2.0 - centroid).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(best_start)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::images::Ratio;
    use image::Rgb;

    /// A flat grey background with a bright, striped disc of radius `r` at (`cx`, `cy`).
    pub(crate) fn planted(w: u32, h: u32, cx: f32, cy: f32, r: f32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if d < r {
                if (x / 6 + y / 6) % 2 == 0 {
                    Rgb([255, 240, 40])
                } else {
                    Rgb([250, 30, 30])
                }
            } else {
                Rgb([90, 100, 110])
            }
        })
    }

    #[test]
    fn every_crop_window_contains_a_planted_off_centre_disc() {
        // Disc near the right edge of a square source, and near the top of a tall one.
        let cases = [(1024, 1024, 880.0, 300.0, 70.0), (800, 1600, 200.0, 180.0, 90.0)];
        for (w, h, cx, cy, r) in cases {
            let src = planted(w, h, cx, cy, r);
            let analysis = analyse(&src);
            let disc = Rect::new((cx - r) as u32, (cy - r) as u32, (2.0 * r) as u32, (2.0 * r) as u32);
            for ratio in Ratio::ALL {
                let (ow, oh) = ratio.size();
                let crop = analysis.best_crop(ow, oh);
                assert!(
                    Rect::new(0, 0, w, h).contains(&crop),
                    "{ratio}: crop {crop:?} leaves the source"
                );
                let aspect = f64::from(crop.width) / f64::from(crop.height);
                assert!(
                    (aspect - f64::from(ow) / f64::from(oh)).abs() < 0.01,
                    "{ratio}: aspect {aspect}"
                );
                assert!(
                    crop.width == w || crop.height == h,
                    "{ratio}: crop {crop:?} is not the largest window"
                );
                assert!(crop.contains(&disc), "{ratio}: crop {crop:?} misses the disc {disc:?}");
            }
        }
    }

    #[test]
    fn crop_is_not_a_blind_centre_crop() {
        let src = planted(1024, 1024, 900.0, 512.0, 60.0);
        let crop = analyse(&src).best_crop(1080, 1920);
        let centred = (1024 - crop.width) / 2;
        assert!(crop.x > centred + 100, "crop {crop:?} stayed near the centre");
    }

    #[test]
    fn busyness_separates_texture_from_flat_areas() {
        let src = planted(512, 512, 100.0, 100.0, 80.0);
        let a = analyse(&src);
        assert!(a.busyness(Rect::new(40, 40, 120, 120)) > 10.0 * a.busyness(Rect::new(350, 350, 120, 120)).max(0.1));
    }
}
