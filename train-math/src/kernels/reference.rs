//! The direct multiply-accumulate loops that [`super::conv`] replaced, kept as the
//! *before* of `cargo bench --bench train` and as the oracle of the tests that the packed
//! kernels compute the same values (compiled for tests and with the `bench-reference` feature
//! only; nothing in a run calls them).
//!
//! Same signatures, shapes and summation orders as [`super::conv`]: FP sums each output in
//! (input channel, kernel row, kernel column) order, BP in (output channel, kernel row,
//! kernel column) order, WG in (output row, output column) order; zero-padding taps are
//! skipped. Their cost is per-row loop overhead and scalar arithmetic: rows are 8-16 wide on
//! the paper CNN, and the WG dot products are serial chains.

use super::conv::valid_cols;
use crate::spec::LayerGeom;
use crate::tensor::Element;
use std::ops::Range;

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
                    if cols.is_empty() {
                        continue; // (added: the loops below panicked on an empty range)
                    }
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
                    if cols.is_empty() {
                        continue; // (added: the loops below panicked on an empty range)
                    }
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
                    if cols.is_empty() {
                        continue; // (added: the loops below panicked on an empty range)
                    }
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
