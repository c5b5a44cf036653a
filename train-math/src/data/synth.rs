//! The built-in handwriting-personalisation data set: digit glyphs drawn with writer styles.
//!
//! Each digit is a few strokes (polylines and arcs) in a unit box. A *writer* has a style:
//! slant, stroke width, size, aspect, a habitual offset, how shaky the strokes are, how noisy
//! the "sensor" is, and for digits 1, 2, 4, 7 and 9 the probability of the alternate glyph
//! (flagged 1 with a base, looped 2, open 4, crossed 7, curved-tail 9). Every sample adds its
//! own jitter on top.
//!
//! * `population`: many writers with styles drawn from ordinary ranges, who rarely use the
//!   alternate glyphs. Training and test sets come from different writers.
//! * `personal`: one writer whose style lies outside those ranges (back-slanted, bold, narrow)
//!   and who always uses the alternate glyphs: the user the chip personalises for. A small
//!   training set and a larger held-out set, both from that writer.
//!
//! Only basic IEEE operations (and the own `sin_cos` below) are used: same seed, same bytes.

use super::{Dataset, Split};
use crate::detmath::sin_cos;
use crate::rng::SplitMix64;
use crate::tensor::Shape3;

/// Which set to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthKind {
    Population,
    Personal,
}

/// Sizes of the sets (defaults documented in the CLI help).
pub const POPULATION_TRAIN_WRITERS: usize = 60;
pub const POPULATION_TEST_WRITERS: usize = 20;
pub const POPULATION_SAMPLES_PER_WRITER: usize = 20;
pub const PERSONAL_TRAIN: usize = 40;
pub const PERSONAL_TEST: usize = 200;

/// The default data seed.
pub const DEFAULT_SEED: u64 = 2020;

/// Draw a set at the given image size (1 channel).
pub fn generate(kind: SynthKind, seed: u64, height: usize, width: usize) -> Split {
    let shape = Shape3::new(1, height, width);
    match kind {
        SynthKind::Population => {
            let draw = |first: usize, writers: usize| {
                let mut d = empty(shape);
                for wi in first..first + writers {
                    let style = Style::population(&mut SplitMix64::derived(seed, &[1, wi as u64]));
                    for k in 0..POPULATION_SAMPLES_PER_WRITER {
                        let digit = (k + wi) % 10;
                        push(&mut d, &style, digit, &mut SplitMix64::derived(seed, &[2, wi as u64, k as u64]));
                    }
                }
                d
            };
            Split {
                train: draw(0, POPULATION_TRAIN_WRITERS),
                test: draw(POPULATION_TRAIN_WRITERS, POPULATION_TEST_WRITERS),
            }
        }
        SynthKind::Personal => {
            let style = Style::personal(&mut SplitMix64::derived(seed, &[3]));
            let draw = |part: u64, n: usize| {
                let mut d = empty(shape);
                for k in 0..n {
                    push(&mut d, &style, k % 10, &mut SplitMix64::derived(seed, &[4, part, k as u64]));
                }
                d
            };
            Split { train: draw(0, PERSONAL_TRAIN), test: draw(1, PERSONAL_TEST) }
        }
    }
}

fn empty(shape: Shape3) -> Dataset {
    Dataset { shape, classes: 10, images: Vec::new(), labels: Vec::new() }
}

fn push(d: &mut Dataset, style: &Style, digit: usize, r: &mut SplitMix64) {
    d.images.extend(render(style, digit, d.shape.h, d.shape.w, r));
    d.labels.push(digit as u8);
}

/// A writer's habits.
#[derive(Clone, Debug)]
struct Style {
    /// Horizontal shear per unit height (positive leans right).
    slant: f64,
    /// Stroke width in pixels at 16 px image height (scaled with the image).
    width: f64,
    scale: f64,
    /// Width / height of the glyph box.
    aspect: f64,
    offset: (f64, f64),
    /// Per-point jitter (unit-box units) and pixel noise amplitude (0..1).
    shake: f64,
    noise: f64,
    /// Probability of the alternate glyph, per digit.
    alternate: [f64; 10],
}

impl Style {
    fn population(r: &mut SplitMix64) -> Style {
        let mut alternate = [0.0; 10];
        for d in [1, 2, 4, 7, 9] {
            alternate[d] = r.uniform(0.0, 0.15);
        }
        Style {
            slant: r.uniform(-0.08, 0.35),
            width: r.uniform(0.9, 1.5),
            scale: r.uniform(0.85, 1.0),
            aspect: r.uniform(0.8, 1.05),
            offset: (r.uniform(-0.04, 0.04), r.uniform(-0.04, 0.04)),
            shake: r.uniform(0.01, 0.035),
            noise: r.uniform(0.0, 0.08),
            alternate,
        }
    }

    fn personal(r: &mut SplitMix64) -> Style {
        let mut alternate = [0.0; 10];
        for d in [1, 2, 4, 7, 9] {
            alternate[d] = 1.0;
        }
        Style {
            slant: -0.32 + r.uniform(-0.02, 0.02),
            width: 1.9,
            scale: 0.9,
            aspect: 0.66,
            offset: (0.06, 0.03),
            shake: 0.025,
            noise: 0.05,
            alternate,
        }
    }
}

type Stroke = Vec<(f64, f64)>;

/// Points of an elliptic arc, angles in degrees (0 = right, 90 = down, as y grows downwards).
fn arc(cx: f64, cy: f64, rx: f64, ry: f64, a0: f64, a1: f64) -> Stroke {
    let n = (((a1 - a0).abs() / 20.0).ceil() as usize).max(2);
    (0..=n)
        .map(|i| {
            let a = (a0 + (a1 - a0) * i as f64 / n as f64) * std::f64::consts::PI / 180.0;
            let (s, c) = sin_cos(a);
            (cx + rx * c, cy + ry * s)
        })
        .collect()
}

fn glyph(digit: usize, alternate: bool) -> Vec<Stroke> {
    let l = |p: &[(f64, f64)]| p.to_vec();
    match (digit, alternate) {
        (0, _) => vec![arc(0.5, 0.5, 0.32, 0.45, 0.0, 360.0)],
        (1, false) => vec![l(&[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)])],
        (1, true) => vec![l(&[(0.15, 0.4), (0.55, 0.05), (0.55, 0.95)]), l(&[(0.3, 0.95), (0.8, 0.95)])],
        (2, false) => {
            let mut s = arc(0.5, 0.3, 0.32, 0.25, 190.0, 390.0);
            s.extend([(0.15, 0.95), (0.85, 0.95)]);
            vec![s]
        }
        (2, true) => {
            let mut s = arc(0.5, 0.3, 0.32, 0.25, 190.0, 390.0);
            s.extend([(0.25, 0.8)]);
            s.extend(arc(0.3, 0.85, 0.1, 0.1, 270.0, -60.0));
            s.extend([(0.85, 0.95)]);
            vec![s]
        }
        (3, _) => vec![arc(0.5, 0.28, 0.3, 0.22, 200.0, 450.0), arc(0.5, 0.72, 0.33, 0.23, 270.0, 520.0)],
        (4, false) => vec![l(&[(0.65, 0.95), (0.65, 0.05), (0.12, 0.65), (0.88, 0.65)])],
        (4, true) => vec![l(&[(0.2, 0.05), (0.2, 0.55), (0.88, 0.55)]), l(&[(0.65, 0.2), (0.65, 0.95)])],
        (5, _) => {
            let mut s = l(&[(0.8, 0.05), (0.27, 0.05), (0.22, 0.45)]);
            s.extend(arc(0.5, 0.68, 0.32, 0.27, 235.0, 500.0));
            vec![s]
        }
        (6, _) => {
            vec![l(&[(0.72, 0.05), (0.45, 0.25), (0.27, 0.55), (0.25, 0.72)]), arc(0.5, 0.72, 0.26, 0.23, 0.0, 360.0)]
        }
        (7, false) => vec![l(&[(0.15, 0.06), (0.85, 0.06), (0.4, 0.95)])],
        (7, true) => vec![l(&[(0.15, 0.06), (0.85, 0.06), (0.4, 0.95)]), l(&[(0.35, 0.5), (0.8, 0.5)])],
        (8, _) => vec![arc(0.5, 0.27, 0.25, 0.22, 0.0, 360.0), arc(0.5, 0.72, 0.3, 0.24, 0.0, 360.0)],
        (9, false) => vec![arc(0.5, 0.3, 0.28, 0.24, 0.0, 360.0), l(&[(0.78, 0.3), (0.72, 0.95)])],
        (9, true) => {
            vec![arc(0.5, 0.3, 0.28, 0.24, 0.0, 360.0), l(&[(0.78, 0.3), (0.76, 0.7), (0.55, 0.95), (0.28, 0.88)])]
        }
        _ => unreachable!("digits are 0..9"),
    }
}

/// A symmetric bump in [-1, 1] (sum of uniforms: close to a normal, cheap and exact).
fn bump(r: &mut SplitMix64) -> f64 {
    (r.next_f64() + r.next_f64() + r.next_f64()) / 1.5 - 1.0
}

fn render(style: &Style, digit: usize, h: usize, w: usize, r: &mut SplitMix64) -> Vec<u8> {
    let alternate = r.next_f64() < style.alternate[digit];
    let slant = style.slant + 0.05 * bump(r);
    let scale = style.scale * (1.0 + 0.06 * bump(r));
    let aspect = style.aspect * (1.0 + 0.05 * bump(r));
    let (ox, oy) = (style.offset.0 + 0.04 * bump(r), style.offset.1 + 0.04 * bump(r));
    let rot = 0.08 * bump(r);
    let (sr, cr) = sin_cos(rot);
    let px = h.min(w) as f64;
    let half = 0.5 * style.width * (1.0 + 0.1 * bump(r)) * px / 16.0;
    let size = 0.78 * px * scale;
    // Unit-box point -> pixel coordinates: shake, slant, rotate, scale, centre.
    let strokes: Vec<Stroke> = glyph(digit, alternate)
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|(x, y)| {
                    let x = x + style.shake * bump(r) + slant * (0.5 - y);
                    let y = y + style.shake * bump(r);
                    let (x, y) = ((x - 0.5) * aspect, y - 0.5);
                    let (x, y) = (cr * x - sr * y, sr * x + cr * y);
                    (w as f64 / 2.0 + (x + ox) * size, h as f64 / 2.0 + (y + oy) * size)
                })
                .collect()
        })
        .collect();
    let mut img = Vec::with_capacity(h * w);
    for py in 0..h {
        for pxl in 0..w {
            let (cx, cy) = (pxl as f64 + 0.5, py as f64 + 0.5);
            let mut d2 = f64::INFINITY;
            for s in &strokes {
                for seg in s.windows(2) {
                    d2 = d2.min(seg_dist2((cx, cy), seg[0], seg[1]));
                }
            }
            let ink = (half + 0.5 - d2.sqrt()).clamp(0.0, 1.0);
            let v = ink + style.noise * (r.next_f64() - 0.5);
            img.push((v.clamp(0.0, 1.0) * 255.0).round_ties_even() as u8);
        }
    }
    img
}

fn seg_dist2(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (ex, ey) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    ex * ex + ey * ey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = generate(SynthKind::Personal, 5, 16, 16);
        let b = generate(SynthKind::Personal, 5, 16, 16);
        let c = generate(SynthKind::Personal, 6, 16, 16);
        assert_eq!(a, b);
        assert_ne!(a.train.images, c.train.images);
        assert_eq!((a.train.len(), a.test.len()), (PERSONAL_TRAIN, PERSONAL_TEST));
        let p = generate(SynthKind::Population, 5, 12, 12);
        assert_eq!(p.train.len(), POPULATION_TRAIN_WRITERS * POPULATION_SAMPLES_PER_WRITER);
        assert_eq!(p.train.shape, Shape3::new(1, 12, 12));
    }

    #[test]
    fn glyphs_have_ink_inside_the_image() {
        let s = generate(SynthKind::Population, 1, 16, 16);
        for i in 0..s.train.len() {
            let img = s.train.image(i);
            let ink = img.iter().filter(|&&v| v > 128).count();
            assert!((8..200).contains(&ink), "sample {i} has {ink} inked pixels");
        }
    }
}
