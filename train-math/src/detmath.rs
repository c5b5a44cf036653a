//! Deterministic `exp`, `ln` and `sin_cos` built from basic IEEE-754 operations only.
//!
//! libm's transcendental functions may return different last bits on different platforms;
//! `+ - * /` and `round_ties_even` are correctly rounded everywhere (Rust never contracts to FMA
//! implicitly), so these give bit-identical results on any machine.

const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
const INV_LN2: f64 = std::f64::consts::LOG2_E;

/// 2^e for integer e, exact (saturates to 0 / infinity outside the normal range).
pub fn pow2(e: i32) -> f64 {
    if e < -1022 {
        0.0
    } else if e > 1023 {
        f64::INFINITY
    } else {
        f64::from_bits(((e + 1023) as u64) << 52)
    }
}

/// e^x with relative error below 1e-15 on the whole range.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    // x = k ln2 + r, |r| <= ln2 / 2 (Cody–Waite split of ln2 keeps r exact).
    let k = (x * INV_LN2).round_ties_even();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series to degree 13: the remainder is below 1e-17 for |r| <= 0.35.
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=13 {
        term = term * r / n as f64;
        sum += term;
    }
    let k = k as i32;
    // Split the scale so results near the subnormal edge do not flush early.
    if k < -1000 {
        sum * pow2(k + 60) * pow2(-60)
    } else {
        sum * pow2(k)
    }
}

/// Natural logarithm for x > 0 (NaN for x <= 0 or NaN, infinity for infinity).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Normalise subnormals, then x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
    let (x, bias) = if x < f64::MIN_POSITIVE { (x * pow2(54), -54) } else { (x, 0) };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i32 - 1023 + bias;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172: the odd series converges fast.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut n = 1.0;
    while n < 40.0 {
        sum += term / n;
        term *= s2;
        n += 2.0;
    }
    2.0 * sum + e as f64 * LN2_HI + e as f64 * LN2_LO
}

/// sin and cos of `t` (radians) by range reduction and Taylor series: deterministic.
pub fn sin_cos(t: f64) -> (f64, f64) {
    let two_pi = 2.0 * std::f64::consts::PI;
    let k = (t / two_pi).round_ties_even();
    let x = t - k * two_pi;
    let (mut s, mut c) = (0.0, 0.0);
    let (mut ts, mut tc) = (x, 1.0);
    for n in 0..15 {
        s += ts;
        c += tc;
        let a = (2 * n + 2) as f64;
        ts = -ts * x * x / (a * (a + 1.0));
        tc = -tc * x * x / ((a - 1.0) * a);
    }
    (s, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_closely() {
        for i in -2000..=2000 {
            let x = i as f64 * 0.173;
            let (a, b) = (exp(x), x.exp());
            assert!(((a - b) / b).abs() < 4e-15, "x={x} {a} {b}");
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn ln_matches_std_closely() {
        for i in 1..=4000 {
            let x = i as f64 * 0.0137 + 1e-9;
            let (a, b) = (ln(x), x.ln());
            assert!((a - b).abs() <= 4e-16 * b.abs().max(1.0), "x={x} {a} {b}");
        }
        assert_eq!(ln(1.0), 0.0);
        assert!((ln(1e-300) - 1e-300f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn pow2_is_exact() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-3), 0.125);
        assert_eq!(pow2(10), 1024.0);
    }

    #[test]
    fn own_sin_cos_is_accurate() {
        for i in -100..100 {
            let t = i as f64 * 0.1;
            let (s, c) = sin_cos(t);
            assert!((s - t.sin()).abs() < 1e-13 && (c - t.cos()).abs() < 1e-13);
        }
    }
}
