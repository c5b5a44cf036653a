//! Dynamic fixed point: 8-bit values with power-of-two scales, rounding and saturation.
//!
//! A quantised value `q` with exponent `e` stands for the real number `q * 2^e`. Products of
//! two 8-bit operands accumulate in wide integers whose exponent is the sum of the operands'
//! exponents; [`requantize`] brings an accumulator back to 8 bits at a chosen exponent.
//!
//! 8-bit values saturate symmetrically to `[-127, 127]`, so negation never overflows.

use crate::detmath::pow2;

/// Largest magnitude of an 8-bit datapath value.
pub const Q_MAX: i64 = 127;

/// How a value that falls between two representable numbers is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Round to nearest, ties to even.
    NearestEven,
    /// Round down or up with probability proportional to the distance (seeded, counter-based).
    Stochastic,
}

/// `v * 2^-shift`, rounded, without saturation. `rnd` is the random word used by
/// [`Rounding::Stochastic`] (ignored otherwise). Negative `shift` multiplies exactly.
pub fn shift_round(v: i128, shift: i32, rounding: Rounding, rnd: u64) -> i128 {
    if shift <= 0 {
        let s = (-shift).min(100) as u32;
        return v.checked_shl(s).filter(|r| r >> s == v).unwrap_or(if v < 0 { i128::MIN } else { i128::MAX });
    }
    if shift >= 120 {
        // Everything rounds to zero or to -1/0/+1 neighbourhood; keep it simple and exact-ish.
        return 0;
    }
    let s = shift as u32;
    match rounding {
        Rounding::NearestEven => {
            let q = v >> s; // floor
            let rem = v - (q << s);
            let half = 1i128 << (s - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        }
        Rounding::Stochastic => {
            // floor((v + r) / 2^s) with r uniform in [0, 2^s): rounds up with probability
            // rem / 2^s. For shifts above 64 bits the low random bits are zero-extended.
            let mask = if s >= 64 { u64::MAX as i128 } else { (1i128 << s) - 1 };
            let r = (rnd as i128) & mask;
            let r = if s > 64 { r << (s - 64) } else { r };
            (v + r) >> s
        }
    }
}

/// Clamp to the 8-bit datapath range.
#[inline]
pub fn saturate_i8(v: i128) -> i8 {
    v.clamp(-Q_MAX as i128, Q_MAX as i128) as i8
}

/// Requantise a wide accumulator to 8 bits: `acc * 2^(acc_exp - out_exp)`, rounded, saturated.
/// `shift` is `out_exp - acc_exp`.
#[inline]
pub fn requantize(acc: i64, shift: i32, rounding: Rounding, rnd: u64) -> i8 {
    saturate_i8(shift_round(acc as i128, shift, rounding, rnd))
}

/// Quantise a real value to 8 bits at exponent `exp`. `rnd` supplies stochastic bits.
pub fn quantize_f64(x: f64, exp: i32, rounding: Rounding, rnd: u64) -> i8 {
    let y = x * pow2(-exp);
    let r = match rounding {
        Rounding::NearestEven => y.round_ties_even(),
        Rounding::Stochastic => (y + (rnd >> 11) as f64 * (1.0 / (1u64 << 53) as f64)).floor(),
    };
    r.clamp(-(Q_MAX as f64), Q_MAX as f64) as i8
}

/// Number of bits needed for |v| (0 for 0).
pub fn bit_length(v: u128) -> i32 {
    128 - v.leading_zeros() as i32
}

/// The smallest exponent `e` such that a magnitude `max_abs * 2^acc_exp` fits in `limit * 2^e`,
/// or `None` when `max_abs` is 0 (no information: keep the previous exponent).
pub fn exponent_for_max(max_abs: u128, acc_exp: i32, limit: u128) -> Option<i32> {
    if max_abs == 0 {
        return None;
    }
    let mut k = bit_length(max_abs) - bit_length(limit) - 1;
    loop {
        let fits = if k >= 0 {
            max_abs <= limit.checked_shl(k as u32).unwrap_or(u128::MAX)
        } else {
            max_abs.checked_shl((-k) as u32).is_some_and(|m| m <= limit)
        };
        if fits {
            return Some(acc_exp + k);
        }
        k += 1;
    }
}

/// The smallest exponent `e` with `max_abs <= 127 * 2^e` for a real magnitude, or `None` for 0
/// (or a non-finite value). Uses only exact multiplications by two.
pub fn exponent_for_max_f64(max_abs: f64) -> Option<i32> {
    if !(max_abs.is_finite() && max_abs > 0.0) {
        return None;
    }
    let mut e = 0i32;
    let mut limit = Q_MAX as f64;
    while max_abs > limit {
        limit *= 2.0;
        e += 1;
    }
    while max_abs <= limit * 0.5 && e > -1000 {
        limit *= 0.5;
        e -= 1;
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(5, 1, 2)] // 2.5 -> 2 (tie to even)
    #[case(7, 1, 4)] // 3.5 -> 4
    #[case(-5, 1, -2)]
    #[case(-7, 1, -4)]
    #[case(13, 2, 3)] // 3.25 -> 3
    #[case(14, 2, 4)] // 3.5 -> 4
    #[case(3, -2, 12)]
    fn nearest_even(#[case] v: i128, #[case] shift: i32, #[case] want: i128) {
        assert_eq!(shift_round(v, shift, Rounding::NearestEven, 0), want);
    }

    #[test]
    fn stochastic_rounding_is_unbiased() {
        let s = crate::rng::RoundingStream::new(9, 0, 0, 0, crate::rng::TensorKind::Activation);
        // 13 / 4 = 3.25: expect 3 three times out of four.
        let n = 40_000;
        let sum: i128 = (0..n).map(|i| shift_round(13, 2, Rounding::Stochastic, s.at(i))).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 3.25).abs() < 0.01, "{mean}");
        for i in 0..100 {
            let r = shift_round(-13, 2, Rounding::Stochastic, s.at(i));
            assert!(r == -4 || r == -3);
        }
    }

    #[test]
    fn requantize_saturates_symmetrically() {
        assert_eq!(requantize(1 << 20, 4, Rounding::NearestEven, 0), 127);
        assert_eq!(requantize(-(1 << 20), 4, Rounding::NearestEven, 0), -127);
        assert_eq!(requantize(100, -1, Rounding::NearestEven, 0), 127);
    }

    #[rstest]
    #[case(127, 0, Some(0))]
    #[case(128, 0, Some(1))]
    #[case(254, 3, Some(4))]
    #[case(255, 3, Some(5))]
    #[case(63, 0, Some(-1))]
    #[case(1, -4, Some(-10))]
    #[case(0, 0, None)]
    fn exponent_choice(#[case] max: u128, #[case] acc_exp: i32, #[case] want: Option<i32>) {
        assert_eq!(exponent_for_max(max, acc_exp, 127), want);
        if let Some(e) = want {
            // Fits at e, not at e - 1.
            let real = max as f64 * pow2(acc_exp);
            assert!(real <= 127.0 * pow2(e));
            assert!(real > 127.0 * pow2(e - 1));
        }
    }

    #[test]
    fn exponent_for_real_max() {
        assert_eq!(exponent_for_max_f64(1.0), Some(-6));
        assert_eq!(exponent_for_max_f64(127.0), Some(0));
        assert_eq!(exponent_for_max_f64(127.5), Some(1));
        assert_eq!(exponent_for_max_f64(0.0), None);
        assert_eq!(quantize_f64(0.5, -7, Rounding::NearestEven, 0), 64);
        assert_eq!(quantize_f64(-2.0, -7, Rounding::NearestEven, 0), -127);
    }
}
