//! A packed matrix product whose every output sums its products in one fixed order.
//!
//! `C[i][j] = Σ_{l = 0, 1, .., k-1} A[l][i] · B[l][j]`, both operands stored *l-major*
//! (`A` is k×m, `B` is k×n, row-major), each sum starting from zero and adding its products
//! one at a time in ascending `l`. The products are computed as outer products of an `MR`-row
//! slice of `A` and an `NR`-column panel of `B` into an `MR`×`NR` block of accumulators held
//! in registers (the register-blocked micro-kernel of Goto & van de Geijn, "Anatomy of
//! high-performance matrix multiplication", ACM TOMS 34(3), 2008). The vector lanes run across
//! `j` (different outputs), never across `l`, so the compiler vectorises the block without
//! reassociating any sum: f32 results are the same bits as a plain loop in `l` order, and
//! integer results are exact.
//!
//! Safe Rust only: the fixed-size blocks and exact-chunk iteration let LLVM drop the bounds
//! checks and emit SIMD on the baseline target (SSE2 on x86-64).

use crate::tensor::Element;
use std::ops::{AddAssign, Mul, Range};

/// Rows of the register block (one broadcast each per `l`).
const MR: usize = 4;
/// Columns of the register block (the vectorised direction): two SSE registers of f32/i32.
const NR: usize = 8;

/// `C` (m×n, row-major) from `a` (k×m) and `b` (k×n), summing in ascending `l`, in the
/// element's lane type ([`Element::Lane`]: f32 for i8, exact in runs of
/// [`Element::LANE_RUN`] products whose sums are then added as accumulators).
///
/// Picks the orientation that wastes fewer padded lanes (computing `Cᵀ = Bᵀ·A` has the same
/// sums in the same order) so thin products (an FC layer's single output position) stay
/// vectorised. Panics if a slice is shorter than its shape, which the callers in
/// [`super::conv`] rule out by construction.
pub fn gemm<T: Element>(a: &[T::Lane], b: &[T::Lane], m: usize, n: usize, k: usize) -> Vec<T::Acc> {
    assert!(a.len() >= k * m && b.len() >= k * n, "gemm operands shorter than {k}x{m} and {k}x{n}");
    if n.next_multiple_of(NR) * m <= m.next_multiple_of(NR) * n {
        oriented::<T>(|l, i| a[l * m + i], b, m, n, k)
    } else {
        let ct = oriented::<T>(|l, j| b[l * n + j], a, n, m, k);
        // Transposed back row by row into fresh memory: no zeroing of what is overwritten.
        let mut c = Vec::with_capacity(m * n);
        for i in 0..m {
            c.extend(ct[i..].iter().step_by(m.max(1)).take(n));
        }
        c
    }
}

/// [`gemm`] with `A` given transposed (`a_t` is m×k: row `i` holds `A[·][i]`), so a caller
/// whose data is already laid out that way needs no transposed copy. The vector lanes run
/// along `n`.
pub fn gemm_at<T: Element>(a_t: &[T::Lane], b: &[T::Lane], m: usize, n: usize, k: usize) -> Vec<T::Acc> {
    assert!(a_t.len() >= k * m && b.len() >= k * n, "gemm operands shorter than {m}x{k} and {k}x{n}");
    oriented::<T>(|l, i| a_t[i * k + l], b, m, n, k)
}

/// [`gemm`] with the vector lanes along `n`; `a(l, i)` reads `A[l][i]`.
fn oriented<T: Element>(
    a: impl Fn(usize, usize) -> T::Lane,
    b: &[T::Lane],
    m: usize,
    n: usize,
    k: usize,
) -> Vec<T::Acc> {
    let mut c = vec![T::Acc::default(); m * n];
    if m == 0 || n == 0 || k == 0 {
        return c;
    }
    // Full panels of NR columns are read in place; the last, partial one is copied once into
    // a zero-padded k×NR buffer: its padded lanes compute outputs that are dropped.
    let full = n / NR;
    let tail = n % NR;
    let mut last = vec![T::Lane::default(); if tail > 0 { k * NR } else { 0 }];
    for (l, dst) in last.chunks_exact_mut(NR).enumerate() {
        copy_short(&mut dst[..tail], &b[l * n + full * NR..][..tail]);
    }
    // Each output starts at zero and adds the sum of each run (one run for floats).
    let runs = (0..k).step_by(T::LANE_RUN).map(|l| l..k.min(l.saturating_add(T::LANE_RUN)));
    for run in runs {
        let mut i = 0;
        while i < m {
            let rows = if m - i >= MR { MR } else { 1 };
            for p in 0..full + usize::from(tail > 0) {
                let (panel, ldb, j, w) = if p < full { (b, n, p * NR, NR) } else { (&last[..], NR, 0, tail) };
                let mut add = |r: usize, sums: &[T::Lane; NR]| {
                    for (o, &v) in c[(i + r) * n + p * NR..][..w].iter_mut().zip(sums) {
                        *o += T::acc_from_lane(v);
                    }
                };
                if rows == MR {
                    let acc = block::<T::Lane, MR>(&a, i, panel, ldb, j, run.clone());
                    acc.iter().enumerate().for_each(|(r, sums)| add(r, sums));
                } else {
                    add(0, &block::<T::Lane, 1>(&a, i, panel, ldb, j, run.clone())[0]);
                }
            }
            i += rows;
        }
    }
    c
}

/// The micro-kernel: the `R`×NR block of sums over `l` in `run` at rows `i..i + R` of `A`
/// (read by `a(l, i)`) and columns `j..j + NR` of `b` (k rows of stride `ldb`), one outer
/// product per `l`.
#[inline(always)]
fn block<L, const R: usize>(
    a: &impl Fn(usize, usize) -> L,
    i: usize,
    b: &[L],
    ldb: usize,
    j: usize,
    run: Range<usize>,
) -> [[L; NR]; R]
where
    L: Copy + Default + AddAssign + Mul<Output = L>,
{
    let mut acc = [[L::default(); NR]; R];
    for l in run {
        let av: [L; R] = std::array::from_fn(|r| a(l, i + r));
        let bv: &[L; NR] = b[l * ldb + j..][..NR].try_into().expect("NR values");
        for (row, x) in acc.iter_mut().zip(av) {
            for (o, &y) in row.iter_mut().zip(bv) {
                *o += x * y;
            }
        }
    }
    acc
}

/// `dst[i] = src[i].lane()` for a few elements, in fixed-size chunks the compiler unrolls.
#[inline(always)]
pub(super) fn lanes_short<T: Element>(dst: &mut [T::Lane], src: &[T]) {
    let mut d = dst.chunks_exact_mut(NR);
    let mut s = src.chunks_exact(NR);
    for (d, s) in (&mut d).zip(&mut s) {
        let d: &mut [T::Lane; NR] = d.try_into().expect("NR lanes");
        let s: &[T; NR] = s.try_into().expect("NR values");
        *d = s.map(T::lane);
    }
    for (d, &s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = s.lane();
    }
}

/// `dst.copy_from_slice(src)` for a few elements, without a call to `memcpy` (which costs
/// more than the copy at these lengths).
#[inline(always)]
pub(super) fn copy_short<T: Copy>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(NR);
    let mut s = src.chunks_exact(NR);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// The definition, one output at a time.
    fn naive(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for l in 0..k {
                    c[i * n + j] += a[l * m + i] * b[l * n + j];
                }
            }
        }
        c
    }

    #[rstest::rstest]
    #[case(1, 1, 1)]
    #[case(10, 1, 256)]
    #[case(1, 10, 256)]
    #[case(8, 9, 256)]
    #[case(16, 64, 72)]
    #[case(5, 13, 0)]
    #[case(0, 3, 4)]
    #[case(7, 17, 3)]
    fn equals_the_definition_bit_for_bit(#[case] m: usize, #[case] n: usize, #[case] k: usize) {
        let mut r = SplitMix64::new(3);
        let a: Vec<f32> = (0..m * k).map(|_| r.uniform(-1.0, 1.0) as f32).collect();
        let b: Vec<f32> = (0..n * k).map(|_| r.uniform(-1.0, 1.0) as f32).collect();
        let got = gemm::<f32>(&a, &b, m, n, k);
        let want = naive(&a, &b, m, n, k);
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    /// Sums longer than one exact f32 run (2^10 products) at the largest i8 products: the
    /// runs' sums add in i32, so every sum is exact (a single f32 sum would round past 2^24).
    #[rstest::rstest]
    #[case(1024, -128)]
    #[case(1025, -128)]
    #[case(3000, -128)]
    #[case(3000, 0)]
    fn int8_sums_stay_exact_past_one_f32_run(#[case] k: usize, #[case] fill: i8) {
        let (m, n) = (5, 11);
        let mut r = SplitMix64::new(k as u64);
        let draw = |r: &mut SplitMix64| if fill == 0 { (r.below(256) as u8) as i8 } else { fill };
        let a: Vec<i8> = (0..m * k).map(|_| draw(&mut r)).collect();
        let b: Vec<i8> = (0..n * k).map(|_| draw(&mut r)).collect();
        let lanes = |v: &[i8]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let got = gemm::<i8>(&lanes(&a), &lanes(&b), m, n, k);
        for i in 0..m {
            for j in 0..n {
                let want: i32 = (0..k).map(|l| a[l * m + i] as i32 * b[l * n + j] as i32).sum();
                assert_eq!(got[i * n + j], want, "C[{i}][{j}]");
            }
        }
    }
}
