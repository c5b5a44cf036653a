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

/// Rows of the register block (one broadcast each per `l`).
const MR: usize = 4;
/// Columns of the register block (the vectorised direction): two SSE registers of f32/i32.
const NR: usize = 8;

/// `C` (m×n, row-major) from `a` (k×m) and `b` (k×n), summing in ascending `l`.
///
/// Picks the orientation that wastes fewer padded lanes (computing `Cᵀ = Bᵀ·A` has the same
/// sums in the same order) so thin products (an FC layer's single output position) stay
/// vectorised. Panics if a slice is shorter than its shape, which the callers in
/// [`super::conv`] rule out by construction.
pub fn gemm<T: Element>(a: &[T], b: &[T], m: usize, n: usize, k: usize) -> Vec<T::Acc> {
    assert!(a.len() >= k * m && b.len() >= k * n, "gemm operands shorter than {k}x{m} and {k}x{n}");
    if n.next_multiple_of(NR) * m <= m.next_multiple_of(NR) * n {
        oriented(a, b, m, n, k)
    } else {
        let ct = oriented(b, a, n, m, k);
        let mut c = vec![T::Acc::default(); m * n];
        for (j, row) in ct.chunks_exact(m).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                c[i * n + j] = v;
            }
        }
        c
    }
}

/// [`gemm`] with the vector lanes along `n`.
fn oriented<T: Element>(a: &[T], b: &[T], m: usize, n: usize, k: usize) -> Vec<T::Acc> {
    let mut c = vec![T::Acc::default(); m * n];
    if m == 0 || n == 0 || k == 0 {
        return c;
    }
    // Full panels of NR columns are read in place; the last, partial one is copied once into
    // a zero-padded k×NR buffer: its padded lanes compute outputs that are dropped.
    let full = n / NR;
    let tail = n % NR;
    let mut last = vec![T::ZERO; if tail > 0 { k * NR } else { 0 }];
    for (l, dst) in last.chunks_exact_mut(NR).enumerate() {
        copy_short(&mut dst[..tail], &b[l * n + full * NR..][..tail]);
    }
    let mut i = 0;
    while i < m {
        if m - i >= MR {
            for p in 0..full {
                let acc = block::<T, MR>(a, m, i, b, n, p * NR, k);
                for (r, row) in acc.iter().enumerate() {
                    c[(i + r) * n + p * NR..][..NR].copy_from_slice(row);
                }
            }
            if tail > 0 {
                let acc = block::<T, MR>(a, m, i, &last, NR, 0, k);
                for (r, row) in acc.iter().enumerate() {
                    copy_short(&mut c[(i + r) * n + full * NR..][..tail], &row[..tail]);
                }
            }
            i += MR;
        } else {
            for p in 0..full {
                let acc = block::<T, 1>(a, m, i, b, n, p * NR, k);
                c[i * n + p * NR..][..NR].copy_from_slice(&acc[0]);
            }
            if tail > 0 {
                let acc = block::<T, 1>(a, m, i, &last, NR, 0, k);
                copy_short(&mut c[i * n + full * NR..][..tail], &acc[0][..tail]);
            }
            i += 1;
        }
    }
    c
}

/// The micro-kernel: the `R`×NR block of sums at rows `i..i + R` of `a` (k×m) and columns
/// `j..j + NR` of `b` (k rows of stride `ldb`), one outer product per `l`.
#[inline(always)]
fn block<T: Element, const R: usize>(
    a: &[T],
    m: usize,
    i: usize,
    b: &[T],
    ldb: usize,
    j: usize,
    k: usize,
) -> [[T::Acc; NR]; R] {
    let mut acc = [[T::Acc::default(); NR]; R];
    for l in 0..k {
        let av: &[T; R] = a[l * m + i..][..R].try_into().expect("R values");
        let bv: &[T; NR] = b[l * ldb + j..][..NR].try_into().expect("NR values");
        for (row, &x) in acc.iter_mut().zip(av) {
            for (o, &y) in row.iter_mut().zip(bv) {
                *o += T::mul(x, y);
            }
        }
    }
    acc
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
        let got = gemm(&a, &b, m, n, k);
        let want = naive(&a, &b, m, n, k);
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
