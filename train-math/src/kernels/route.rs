//! The fused ReLU + max-pool stage and its two backward paths.
//!
//! FP: `a = relu(z)`; each non-overlapping pool window outputs its largest `a`, taking the first
//! maximum in row-major order on ties. The mask bit of a conv output is 1 when that position is
//! the window's pick *and* it passed the ReLU (`a > 0`; with no ReLU every pick passes).
//!
//! BP: the error of a pooled output goes to the one conv output whose mask bit is set, zero
//! elsewhere. The *mask path* reads the bit; the *activation path* keeps `a` and re-derives the
//! pick with the same rule, so both give identical errors by construction (and by test).

use crate::spec::LayerGeom;
use crate::tensor::{Element, MaskBits, Shape3};
use std::ops::Range;

/// ReLU + pool of a computed conv-output region (`channels` x `conv_rows` x `conv_out.w`,
/// values already in the datapath type). Returns (pooled region, mask bits of the region, the
/// post-ReLU region that the activation path keeps).
pub fn relu_pool<T: Element>(g: &LayerGeom, z: &[T], nch: usize, conv_rows: usize) -> (Vec<T>, MaskBits, Vec<T>) {
    let w = g.conv_out.w;
    let act: Vec<T> =
        if g.relu { z.iter().map(|&v| if v > T::ZERO { v } else { T::ZERO }).collect() } else { z.to_vec() };
    let mut mask = MaskBits::zeros(if g.has_mask() { act.len() } else { 0 });
    let Some(p) = g.pool else {
        if g.relu {
            for (i, &v) in act.iter().enumerate() {
                mask.set(i, v > T::ZERO);
            }
        }
        return (act.clone(), mask, act);
    };
    let (ph, pw) = (conv_rows / p, g.output.w);
    let mut pooled = vec![T::ZERO; nch * ph * pw];
    for c in 0..nch {
        for py in 0..ph {
            for px in 0..pw {
                let (best, at) = window_pick(&act, w, c * conv_rows + py * p, px * p, p);
                pooled[(c * ph + py) * pw + px] = best;
                if !g.relu || best > T::ZERO {
                    mask.set(at, true);
                }
            }
        }
    }
    (pooled, mask, act)
}

/// First maximum of a `p` x `p` window whose top-left is (`row`, `col`) in a `w`-wide buffer.
#[inline]
fn window_pick<T: Element>(a: &[T], w: usize, row: usize, col: usize, p: usize) -> (T, usize) {
    let mut at = row * w + col;
    let mut best = a[at];
    for dy in 0..p {
        for dx in 0..p {
            let i = (row + dy) * w + col + dx;
            if a[i] > best {
                best = a[i];
                at = i;
            }
        }
    }
    (best, at)
}

/// Error of a conv output from the error of the layer output, for the mask path.
/// `delta_out` is the full output error, `mask` the full conv-output mask; returns the
/// conv-output error for `channels` (all rows and columns).
pub fn route_mask<T: Element>(g: &LayerGeom, delta_out: &[T], mask: &MaskBits, channels: Range<usize>) -> Vec<T> {
    let co = g.conv_out;
    if !g.has_mask() {
        return delta_out[co.index(channels.start, 0, 0)..co.index(channels.end, 0, 0)].to_vec();
    }
    let p = g.pool.unwrap_or(1);
    let out = g.output;
    let mut dz = vec![T::ZERO; channels.len() * co.h * co.w];
    for (i, c) in channels.enumerate() {
        for y in 0..co.h {
            for x in 0..co.w {
                let idx = co.index(c, y, x);
                if mask.get(idx) {
                    dz[(i * co.h + y) * co.w + x] = delta_out[out.index(c, y / p, x / p)];
                }
            }
        }
    }
    dz
}

/// Error of a conv output from the error of the layer output, for the activation path: `kept`
/// is the full post-ReLU conv output stored by FP.
pub fn route_kept<T: Element>(g: &LayerGeom, delta_out: &[T], kept: &[T], channels: Range<usize>) -> Vec<T> {
    let co = g.conv_out;
    if !g.has_mask() {
        return delta_out[co.index(channels.start, 0, 0)..co.index(channels.end, 0, 0)].to_vec();
    }
    let out = g.output;
    let mut dz = vec![T::ZERO; channels.len() * co.h * co.w];
    let Some(p) = g.pool else {
        for (i, c) in channels.enumerate() {
            for j in 0..co.h * co.w {
                if kept[c * co.h * co.w + j] > T::ZERO {
                    dz[i * co.h * co.w + j] = delta_out[c * co.h * co.w + j];
                }
            }
        }
        return dz;
    };
    let plane = Shape3::new(1, co.h, co.w);
    for (i, c) in channels.enumerate() {
        let a = &kept[c * plane.len()..][..plane.len()];
        for py in 0..out.h {
            for px in 0..out.w {
                let (best, at) = window_pick(a, co.w, py * p, px * p, p);
                if !g.relu || best > T::ZERO {
                    dz[i * plane.len() + at] = delta_out[out.index(c, py, px)];
                }
            }
        }
    }
    dz
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{LayerKind, LayerSpec, ModelSpec};
    use crate::tensor::Tile;
    use rstest::rstest;

    fn geom(relu: bool, pool: Option<usize>) -> LayerGeom {
        let conv = LayerKind::Conv { out_channels: 3, kernel: 3, stride: 1, padding: 1 };
        let spec = ModelSpec {
            name: "t".into(),
            input: Shape3::new(1, 7, 7),
            classes: 2,
            layers: vec![
                LayerSpec { kind: conv, relu, pool },
                LayerSpec { kind: LayerKind::Fc { out: 2 }, relu: false, pool: None },
            ],
        };
        spec.geometry().unwrap().remove(0)
    }

    /// Values in -2..=2: many ties and many zeros, the hard cases for the pick rule.
    #[rstest]
    #[case::relu_pool2(true, Some(2))]
    #[case::relu_pool3(true, Some(3))]
    #[case::pool_only(false, Some(2))]
    #[case::relu_only(true, None)]
    fn mask_and_kept_activations_route_identically(#[case] relu: bool, #[case] pool: Option<usize>) {
        let g = geom(relu, pool);
        let mut r = crate::rng::SplitMix64::new(17);
        for _ in 0..50 {
            let (hc, _) = g.covered();
            let z: Vec<i8> = (0..g.conv_out.c * hc * g.conv_out.w).map(|_| r.below(5) as i8 - 2).collect();
            let (out, mask_region, kept_region) = relu_pool(&g, &z, g.conv_out.c, hc);
            let mut mask = MaskBits::zeros(g.conv_out.len());
            let mut kept = vec![0i8; g.conv_out.len()];
            Tile { channels: 0..g.conv_out.c, rows: 0..hc }.place(g.conv_out, &kept_region, &mut kept);
            for i in 0..mask_region.len() {
                let (c, rest) = (i / (hc * g.conv_out.w), i % (hc * g.conv_out.w));
                mask.set(c * g.conv_out.h * g.conv_out.w + rest, mask_region.get(i));
            }
            assert_eq!(out.len(), g.output.len());
            let delta: Vec<i8> = (0..g.output.len()).map(|_| (r.below(255) as i32 - 127) as i8).collect();
            let a = route_mask(&g, &delta, &mask, 0..g.conv_out.c);
            let b = route_kept(&g, &delta, &kept, 0..g.conv_out.c);
            assert_eq!(a, b);
            // Each pooled error lands at most once, and only where a mask bit is set.
            assert!(a.iter().filter(|&&v| v != 0).count() <= mask.count_ones());
        }
    }
}
