//! The multiply-accumulate work of conv (and FC) layers, generic over the element type, as
//! matrix products: the input (FP, WG) or the conv-output error (BP) is unrolled into columns
//! (im2col, zero-padded) and multiplied by the weights with [`super::gemm`], whose register
//! blocks run the vector units across outputs.
//!
//! **Summation order** (unchanged from the direct loops in `reference`, which the tests
//! compare bit for bit): FP sums each output in (input channel, kernel row, kernel column)
//! order, BP in (output channel, kernel row, kernel column) order, WG in (output row, output
//! column) order, each starting from zero, whatever tile it is computed in. The one difference
//! is that zero-padding taps are now added as `w · 0` instead of skipped: with finite operands
//! that product is ±0 and an f32 sum that starts at +0 is never −0, so adding it changes no
//! bit; with an infinite weight the output becomes NaN where the skipped tap left ±∞.
//! Integer sums are exact either way. Stride > 1 in BP unrolls structural zeros too (up to
//! stride² more products, same values); an FC layer's BP (one output position) unrolls none.

use super::gemm::{copy_short, gemm, gemm_at, lanes_short};
use crate::spec::LayerGeom;
use crate::tensor::Element;
use std::ops::Range;

/// Output columns `ox` whose input column `ox * s + k - p` lies in `0..width`, capped at `limit`.
/// Empty (never reversed) when there are none, e.g. a 5-wide kernel padded by 2 over a
/// 1-wide input has no valid column for tap 0.
#[inline]
pub(crate) fn valid_cols(k: usize, p: usize, s: usize, width: usize, limit: usize) -> Range<usize> {
    let lo = if k >= p { 0 } else { (p - k).div_ceil(s) };
    let hi = if width + p > k { (width + p - k - 1) / s + 1 } else { 0 };
    lo..hi.min(limit).max(lo)
}

/// Zero-padded im2col of the input for conv-output `rows` (all below `covered().0`) and the
/// covered columns: `fan_in` rows in (input channel, kernel row, kernel column) order, each
/// `rows.len() * wc` pixels wide (row-major), as lanes.
fn im2col<T: Element>(g: &LayerGeom, input: &[T], rows: Range<usize>) -> Vec<T::Lane> {
    let (_, wc) = g.covered();
    let (cin, ih, iw) = (g.input.c, g.input.h, g.input.w);
    let (kh, kw, s, p) = (g.kernel_h, g.kernel_w, g.stride, g.padding);
    // The input rows the tile reads, as lanes with `p` zeros on each side, so every tap's
    // row is one contiguous (or strided) run without range arithmetic.
    let (hp, wp) = ((rows.len().max(1) - 1) * s + kh, iw + 2 * p);
    let top = rows.start * s;
    let mut padded = vec![T::Lane::default(); cin * hp * wp];
    for ci in 0..cin {
        for y in 0..hp {
            let iy = top + y;
            if iy >= p && iy - p < ih {
                lanes_short(&mut padded[(ci * hp + y) * wp + p..][..iw], &input[(ci * ih + iy - p) * iw..][..iw]);
            }
        }
    }
    let n = rows.len() * wc;
    let mut col = vec![T::Lane::default(); g.fan_in() * n];
    let mut dst = col.chunks_exact_mut(wc.max(1));
    for ci in 0..cin {
        for ky in 0..kh {
            for kx in 0..kw {
                for ri in 0..rows.len() {
                    let src = &padded[(ci * hp + ri * s + ky) * wp + kx..];
                    let d = dst.next().unwrap_or_default();
                    if s == 1 {
                        copy_short(d, &src[..wc]);
                    } else {
                        d.iter_mut().zip(src.iter().step_by(s)).for_each(|(d, &v)| *d = v);
                    }
                }
            }
        }
    }
    col
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
    let ow = g.conv_out.w;
    let (m, nrows, k) = (channels.len(), rows.len(), g.fan_in());
    let live = rows.start.min(hc)..rows.end.min(hc);
    let n = live.len() * wc;
    if m == 0 || n == 0 {
        return vec![T::Acc::default(); m * nrows * ow];
    }
    let col = im2col(g, input, live.clone());
    // The filters of the tile, transposed to (tap, filter).
    let mut wt = vec![T::Lane::default(); k * m];
    for (i, filter) in weights[channels.start * k..channels.end * k].chunks_exact(k).enumerate() {
        for (l, &w) in filter.iter().enumerate() {
            wt[l * m + i] = w.lane();
        }
    }
    let c = gemm::<T>(&wt, &col, m, n, k);
    if wc == ow && live == rows {
        return c; // already channels x rows x ow
    }
    // Zeroed only here: most tiles cover whole rows and return the product itself.
    let mut out = vec![T::Acc::default(); m * nrows * ow];
    for (i, sums) in c.chunks_exact(n).enumerate() {
        for (ri, oy) in live.clone().enumerate() {
            copy_short(&mut out[(i * nrows + oy - rows.start) * ow..][..wc], &sums[ri * wc..][..wc]);
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
    let (cin, iw) = (g.input.c, g.input.w);
    let (kh, kw, s, p) = (g.kernel_h, g.kernel_w, g.stride, g.padding);
    let (cout, oh, ow) = (g.conv_out.c, g.conv_out.h, g.conv_out.w);
    let (m, nrows) = (channels.len(), rows.len());
    let n = nrows * iw;
    if m == 0 || n == 0 || hc == 0 || wc == 0 {
        return vec![T::Acc::default(); m * n];
    }
    let tap = |oc: usize, ci: usize, ky: usize, kx: usize| weights[((oc * cin + ci) * kh + ky) * kw + kx].lane();
    if hc == 1 && wc == 1 {
        // One output position (an FC layer): input (ci, iy, ix) meets only the tap
        // (iy + p, ix + p), so the sum runs over output channels alone: a vector-matrix
        // product of the error and the matching weights, with no unrolled zeros.
        let d: Vec<T::Lane> = (0..cout).map(|oc| delta_z[oc * oh * ow].lane()).collect();
        let mut b = vec![T::Lane::default(); cout * m * n];
        for (oc, dst) in b.chunks_exact_mut(m * n).enumerate() {
            for (i, ci) in channels.clone().enumerate() {
                for (ri, iy) in rows.clone().enumerate().filter(|&(_, iy)| iy + p < kh) {
                    for ix in (0..iw).filter(|&ix| ix + p < kw) {
                        dst[(i * nrows + ri) * iw + ix] = tap(oc, ci, iy + p, ix + p);
                    }
                }
            }
        }
        return gemm::<T>(&d, &b, 1, m * n, cout);
    }
    // Unrolled error: row (oc, ky, kx) holds, at input pixel (iy, ix) of the tile, the error
    // of the conv output that reads that pixel through that tap, or zero.
    let k = cout * kh * kw;
    let mut dcol = vec![T::Lane::default(); k * n];
    let mut wt = vec![T::Lane::default(); k * m];
    for (l, w) in wt.chunks_exact_mut(m).enumerate() {
        let (oc, ky, kx) = (l / (kh * kw), l / kw % kh, l % kw);
        for (w, ci) in w.iter_mut().zip(channels.clone()) {
            *w = tap(oc, ci, ky, kx);
        }
    }
    if s == 1 {
        // The error zero-padded so that row (oc, ky, kx) is, per tile row, one contiguous run:
        // q[oc][y][x] = delta_z[oc][rows.start + y + p - (kh - 1)][x + p - (kw - 1)], zero
        // outside the covered outputs.
        let (hq, wq) = (nrows + kh - 1, iw + kw - 1);
        let mut q = vec![T::Lane::default(); cout * hq * wq];
        let x0 = (kw - 1).saturating_sub(p); // first x with ox >= 0
        let ox0 = p.saturating_sub(kw - 1); // its ox
        let len = wc.saturating_sub(ox0).min(wq - x0);
        for oc in 0..cout {
            for y in 0..hq {
                let oy = (rows.start + y + p).checked_sub(kh - 1).filter(|&oy| oy < hc);
                if let Some(oy) = oy {
                    let d_row = &delta_z[(oc * oh + oy) * ow + ox0..][..len];
                    lanes_short(&mut q[(oc * hq + y) * wq + x0..][..len], d_row);
                }
            }
        }
        for (l, dst) in dcol.chunks_exact_mut(n).enumerate() {
            let (oc, ky, kx) = (l / (kh * kw), l / kw % kh, l % kw);
            for (ri, d) in dst.chunks_exact_mut(iw).enumerate() {
                copy_short(d, &q[(oc * hq + ri + kh - 1 - ky) * wq + kw - 1 - kx..][..iw]);
            }
        }
        return gemm::<T>(&wt, &dcol, m, n, k);
    }
    let mut l = 0;
    for oc in 0..cout {
        for ky in 0..kh {
            for kx in 0..kw {
                let dst = &mut dcol[l * n..][..n];
                l += 1;
                let cols = valid_cols(kx, p, s, iw, wc);
                if cols.is_empty() {
                    continue;
                }
                for oy in 0..hc {
                    let iy = oy * s + ky;
                    if iy < p || !rows.contains(&(iy - p)) {
                        continue;
                    }
                    let d_row = &delta_z[(oc * oh + oy) * ow..][..ow];
                    let out_row = &mut dst[(iy - p - rows.start) * iw..][..iw];
                    if s == 1 {
                        lanes_short(&mut out_row[cols.start + kx - p..cols.end + kx - p], &d_row[cols.clone()]);
                    } else {
                        for ox in cols.clone() {
                            out_row[ox * s + kx - p] = d_row[ox].lane();
                        }
                    }
                }
            }
        }
    }
    gemm::<T>(&wt, &dcol, m, n, k)
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
    let (oh, ow) = (g.conv_out.h, g.conv_out.w);
    let (m, n, k) = (filters.len(), hc * wc, g.fan_in());
    let plane = |oc: usize| &delta_z[oc * oh * ow..][..oh * ow];
    let covered = |oc: usize| plane(oc).chunks_exact(ow).take(hc).flat_map(|row| &row[..wc]);
    let db = filters.clone().map(|oc| covered(oc).fold(T::Acc::default(), |b, &d| b + T::mul(d, T::ONE))).collect();
    if m == 0 || n == 0 {
        return (vec![T::Acc::default(); m * k], db);
    }
    // dW^T = col · dZ^T: each gradient sums over pixels in row-major order, the vector
    // lanes run across filters.
    let col = im2col(g, input, 0..hc);
    let mut dt = vec![T::Lane::default(); n * m];
    for (i, oc) in filters.enumerate() {
        for (px, &d) in covered(oc).enumerate() {
            dt[px * m + i] = d.lane();
        }
    }
    let dwt = gemm_at::<T>(&col, &dt, k, m, n);
    let mut dw = vec![T::Acc::default(); m * k];
    for (l, sums) in dwt.chunks_exact(m).enumerate() {
        for (i, &v) in sums.iter().enumerate() {
            dw[i * k + l] = v;
        }
    }
    (dw, db)
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

/// The packed kernels against the direct loops they replaced, on random layers and tiles:
/// equal for i8, the same bits for f32.
#[cfg(test)]
mod same_as_reference {
    use super::super::reference;
    use super::*;
    use crate::rng::SplitMix64;
    use crate::spec::{LayerKind, LayerSpec, ModelSpec};
    use crate::tensor::Shape3;
    use proptest::prelude::*;

    /// A random sub-range of `0..n` (never empty when `n > 0`).
    fn part(r: &mut SplitMix64, n: usize) -> Range<usize> {
        let a = r.below(n);
        a..a + 1 + r.below(n - a)
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Every kernel on layer `g`, whole and on one random tile, both element types.
    fn check(g: &LayerGeom, r: &mut SplitMix64) {
        let i8s = |r: &mut SplitMix64, n: usize| -> Vec<i8> { (0..n).map(|_| (r.below(256) as u8) as i8).collect() };
        let f32s = |r: &mut SplitMix64, n: usize| -> Vec<f32> {
            (0..n).map(|_| if r.below(8) == 0 { 0.0 } else { r.uniform(-2.0, 2.0) as f32 }).collect()
        };
        let (x, w, d) = (i8s(r, g.input.len()), i8s(r, g.weight_len()), i8s(r, g.conv_out.len()));
        let (xf, wf, df) = (f32s(r, g.input.len()), f32s(r, g.weight_len()), f32s(r, g.conv_out.len()));
        let fp_tiles = [(0..g.conv_out.c, 0..g.conv_out.h), (part(r, g.conv_out.c), g.conv_rows(&part(r, g.output.h)))];
        for (ch, rows) in fp_tiles {
            assert_eq!(
                fp_acc(g, &x, &w, ch.clone(), rows.clone()),
                reference::fp_acc(g, &x, &w, ch.clone(), rows.clone())
            );
            assert_eq!(
                bits(&fp_acc(g, &xf, &wf, ch.clone(), rows.clone())),
                bits(&reference::fp_acc(g, &xf, &wf, ch, rows))
            );
        }
        for (ch, rows) in [(0..g.input.c, 0..g.input.h), (part(r, g.input.c), part(r, g.input.h))] {
            assert_eq!(
                bp_acc(g, &d, &w, ch.clone(), rows.clone()),
                reference::bp_acc(g, &d, &w, ch.clone(), rows.clone())
            );
            assert_eq!(
                bits(&bp_acc(g, &df, &wf, ch.clone(), rows.clone())),
                bits(&reference::bp_acc(g, &df, &wf, ch, rows))
            );
        }
        for filters in [0..g.conv_out.c, part(r, g.conv_out.c)] {
            assert_eq!(wg_acc(g, &x, &d, filters.clone()), reference::wg_acc(g, &x, &d, filters.clone()));
            let (a, b) = (wg_acc(g, &xf, &df, filters.clone()), reference::wg_acc(g, &xf, &df, filters));
            assert_eq!((bits(&a.0), bits(&a.1)), (bits(&b.0), bits(&b.1)));
        }
    }

    /// Found by the property test: the direct loops panicked when a tap has no valid column.
    #[test]
    fn kernel_wider_than_the_padded_input_has_taps_without_columns() {
        let spec = ModelSpec {
            name: "wide".into(),
            input: Shape3::new(1, 1, 1),
            classes: 2,
            layers: vec![
                LayerSpec {
                    kind: LayerKind::Conv { out_channels: 1, kernel: 5, stride: 1, padding: 2 },
                    relu: false,
                    pool: None,
                },
                LayerSpec { kind: LayerKind::Fc { out: 2 }, relu: false, pool: None },
            ],
        };
        let mut r = SplitMix64::new(0);
        for g in &spec.geometry().expect("valid layer") {
            check(g, &mut r);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn packed_kernels_equal_the_direct_loops(
            (cin, h, w) in (1..5usize, 1..12usize, 1..12usize),
            (cout, k, s, p) in (1..11usize, 1..6usize, 1..4usize, 0..3usize),
            pool in prop::option::of(1..4usize),
            fc_out in 1..12usize,
            seed in any::<u64>(),
        ) {
            let spec = ModelSpec {
                name: "prop".into(),
                input: Shape3::new(cin, h, w),
                classes: fc_out,
                layers: vec![
                    LayerSpec { kind: LayerKind::Conv { out_channels: cout, kernel: k, stride: s, padding: p }, relu: pool.is_some(), pool },
                    LayerSpec { kind: LayerKind::Fc { out: fc_out }, relu: false, pool: None },
                ],
            };
            let geometry = spec.geometry();
            prop_assume!(geometry.is_ok());
            let mut r = SplitMix64::new(seed);
            for g in &geometry.unwrap() {
                check(g, &mut r);
            }
        }
    }
}
