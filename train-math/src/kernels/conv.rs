//! The multiply-accumulate loops of conv (and FC) layers, generic over the element type.
//!
//! Every output element sums its products in one fixed order (input channel, kernel row,
//! kernel column for FP) whatever tile it is computed in, so float results are tile-invariant
//! too; for integers the order does not matter at all.

use crate::spec::LayerGeom;
use crate::tensor::Element;
use std::ops::Range;

/// Output columns `ox` whose input column `ox * s + k - p` lies in `0..width`, capped at `limit`.
#[inline]
fn valid_cols(k: usize, p: usize, s: usize, width: usize, limit: usize) -> Range<usize> {
    let lo = if k >= p { 0 } else { (p - k).div_ceil(s) };
    let hi = if width + p > k { (width + p - k - 1) / s + 1 } else { 0 };
    lo..hi.min(limit)
}

/// `out[i] += w * x[i]`: the stride-1 inner loop, written over slices so it vectorises.
#[inline]
fn axpy<T: Element>(out: &mut [T::Acc], w: T, x: &[T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o += T::mul(w, v);
    }
}

/// `acc + sum(a[i] * b[i])`, in index order.
#[inline]
fn dot<T: Element>(mut acc: T::Acc, a: &[T], b: &[T]) -> T::Acc {
    for (&x, &y) in a.iter().zip(b) {
        acc += T::mul(x, y);
    }
    acc
}

/// FP accumulators (no bias) for conv-output `channels` x `rows`, all `conv_out.w` columns.
/// Columns and rows not covered by a pool window stay zero (they are never used).
pub fn fp_acc<T: Element>(
    g: &LayerGeom,
    input: &[T],
    weights: &[T],
    channels: Range<usize>,
    rows: Range<usize>,
) -> Vec<T::Acc> {
    let (hc, wc) = g.covered();
    let (cin, ih, iw) = (g.input.c, g.input.h, g.input.w);
    let (kh, kw, s, p, ow) = (g.kernel_h, g.kernel_w, g.stride, g.padding, g.conv_out.w);
    let nrows = rows.len();
    let mut out = vec![T::Acc::default(); channels.len() * nrows * ow];
    for (oi, oc) in channels.enumerate() {
        for ci in 0..cin {
            for ky in 0..kh {
                for kx in 0..kw {
                    let w = weights[((oc * cin + ci) * kh + ky) * kw + kx];
                    let cols = valid_cols(kx, p, s, iw, wc);
                    for (ri, oy) in rows.clone().enumerate() {
                        let iy = oy * s + ky;
                        if oy >= hc || iy < p || iy - p >= ih {
                            continue;
                        }
                        let in_row = &input[(ci * ih + iy - p) * iw..][..iw];
                        let out_row = &mut out[(oi * nrows + ri) * ow..][..ow];
                        if s == 1 {
                            axpy(&mut out_row[cols.clone()], w, &in_row[cols.start + kx - p..cols.end + kx - p]);
                        } else {
                            for ox in cols.clone() {
                                out_row[ox] += T::mul(w, in_row[ox * s + kx - p]);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// BP accumulators: the error w.r.t. the layer input for input `channels` x `rows` (all
/// columns), from the error `delta_z` w.r.t. the conv outputs (full tensor).
pub fn bp_acc<T: Element>(
    g: &LayerGeom,
    delta_z: &[T],
    weights: &[T],
    channels: Range<usize>,
    rows: Range<usize>,
) -> Vec<T::Acc> {
    let (hc, wc) = g.covered();
    let (cin, ih, iw) = (g.input.c, g.input.h, g.input.w);
    let (kh, kw, s, p) = (g.kernel_h, g.kernel_w, g.stride, g.padding);
    let (cout, oh, ow) = (g.conv_out.c, g.conv_out.h, g.conv_out.w);
    let nrows = rows.len();
    let mut out = vec![T::Acc::default(); channels.len() * nrows * iw];
    for (ii, ci) in channels.enumerate() {
        for oc in 0..cout {
            for ky in 0..kh {
                for kx in 0..kw {
                    let w = weights[((oc * cin + ci) * kh + ky) * kw + kx];
                    let cols = valid_cols(kx, p, s, iw, wc);
                    for oy in 0..hc {
                        let iy = oy * s + ky;
                        if iy < p || !rows.contains(&(iy - p)) || iy - p >= ih {
                            continue;
                        }
                        let d_row = &delta_z[(oc * oh + oy) * ow..][..ow];
                        let out_row = &mut out[(ii * nrows + iy - p - rows.start) * iw..][..iw];
                        if s == 1 {
                            axpy(&mut out_row[cols.start + kx - p..cols.end + kx - p], w, &d_row[cols.clone()]);
                        } else {
                            for ox in cols.clone() {
                                out_row[ox * s + kx - p] += T::mul(w, d_row[ox]);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// WG of one sample for the filters `filters`: (weight gradients, bias gradients), laid out
/// as the weights (filter-major) restricted to the range.
pub fn wg_acc<T: Element>(
    g: &LayerGeom,
    input: &[T],
    delta_z: &[T],
    filters: Range<usize>,
) -> (Vec<T::Acc>, Vec<T::Acc>) {
    let (hc, wc) = g.covered();
    let (cin, ih, iw) = (g.input.c, g.input.h, g.input.w);
    let (kh, kw, s, p) = (g.kernel_h, g.kernel_w, g.stride, g.padding);
    let (oh, ow) = (g.conv_out.h, g.conv_out.w);
    let fan_in = g.fan_in();
    let mut dw = vec![T::Acc::default(); filters.len() * fan_in];
    let mut db = vec![T::Acc::default(); filters.len()];
    for (fi, oc) in filters.enumerate() {
        let d = &delta_z[oc * oh * ow..][..oh * ow];
        let mut b = T::Acc::default();
        for oy in 0..hc {
            for ox in 0..wc {
                b += T::mul(d[oy * ow + ox], one::<T>());
            }
        }
        db[fi] = b;
        for ci in 0..cin {
            for ky in 0..kh {
                for kx in 0..kw {
                    let cols = valid_cols(kx, p, s, iw, wc);
                    let mut acc = T::Acc::default();
                    for oy in 0..hc {
                        let iy = oy * s + ky;
                        if iy < p || iy - p >= ih {
                            continue;
                        }
                        let in_row = &input[(ci * ih + iy - p) * iw..][..iw];
                        let d_row = &d[oy * ow..][..ow];
                        if s == 1 {
                            acc = dot(acc, &d_row[cols.clone()], &in_row[cols.start + kx - p..cols.end + kx - p]);
                        } else {
                            for ox in cols.clone() {
                                acc += T::mul(d_row[ox], in_row[ox * s + kx - p]);
                            }
                        }
                    }
                    dw[fi * fan_in + (ci * kh + ky) * kw + kx] = acc;
                }
            }
        }
    }
    (dw, db)
}

/// The multiplicative identity of an element type, so sums reuse `Element::mul`.
fn one<T: Element>() -> T {
    T::ONE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{LayerKind, LayerSpec, ModelSpec};
    use crate::tensor::Shape3;

    fn geom(k: usize, s: usize, p: usize) -> LayerGeom {
        let m = ModelSpec {
            name: "t".into(),
            input: Shape3::new(2, 5, 6),
            classes: 2,
            layers: vec![
                LayerSpec {
                    kind: LayerKind::Conv { out_channels: 3, kernel: k, stride: s, padding: p },
                    relu: false,
                    pool: None,
                },
                LayerSpec { kind: LayerKind::Fc { out: 2 }, relu: false, pool: None },
            ],
        };
        m.geometry().unwrap().remove(0)
    }

    /// Direct definition of the convolution, for comparison.
    fn naive(g: &LayerGeom, x: &[i8], w: &[i8]) -> Vec<i32> {
        let mut out = vec![0; g.conv_out.len()];
        for oc in 0..g.conv_out.c {
            for oy in 0..g.conv_out.h {
                for ox in 0..g.conv_out.w {
                    let mut a = 0;
                    for ci in 0..g.input.c {
                        for ky in 0..g.kernel_h {
                            for kx in 0..g.kernel_w {
                                let iy = (oy * g.stride + ky) as isize - g.padding as isize;
                                let ix = (ox * g.stride + kx) as isize - g.padding as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < g.input.h && (ix as usize) < g.input.w {
                                    a += x[g.input.index(ci, iy as usize, ix as usize)] as i32
                                        * w[((oc * g.input.c + ci) * g.kernel_h + ky) * g.kernel_w + kx] as i32;
                                }
                            }
                        }
                    }
                    out[g.conv_out.index(oc, oy, ox)] = a;
                }
            }
        }
        out
    }

    #[rstest::rstest]
    #[case(3, 1, 1)]
    #[case(3, 2, 1)]
    #[case(2, 2, 0)]
    #[case(5, 1, 2)]
    #[case(1, 1, 0)]
    fn fp_matches_definition_and_bp_is_its_transpose(#[case] k: usize, #[case] s: usize, #[case] p: usize) {
        let g = geom(k, s, p);
        let mut r = crate::rng::SplitMix64::new(5);
        let x: Vec<i8> = (0..g.input.len()).map(|_| r.below(21) as i8 - 10).collect();
        let w: Vec<i8> = (0..g.weight_len()).map(|_| r.below(21) as i8 - 10).collect();
        let y = fp_acc(&g, &x, &w, 0..g.conv_out.c, 0..g.conv_out.h);
        assert_eq!(y, naive(&g, &x, &w));
        // <conv(x), d> == <x, conv^T(d)> and == sum(dW * W) for the WG.
        let d: Vec<i8> = (0..g.conv_out.len()).map(|_| r.below(21) as i8 - 10).collect();
        let lhs: i64 = y.iter().zip(&d).map(|(&a, &b)| a as i64 * b as i64).sum();
        let bx = bp_acc(&g, &d, &w, 0..g.input.c, 0..g.input.h);
        let rhs: i64 = bx.iter().zip(&x).map(|(&a, &b)| a as i64 * b as i64).sum();
        assert_eq!(lhs, rhs);
        let (dw, _) = wg_acc(&g, &x, &d, 0..g.conv_out.c);
        let rhs2: i64 = dw.iter().zip(&w).map(|(&a, &b)| a as i64 * b as i64).sum();
        assert_eq!(lhs, rhs2);
    }
}
