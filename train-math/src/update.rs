//! The weight update (WU): SGD with optional momentum and weight decay.
//!
//! Float mode updates f32 weights directly. Int8 mode implements the *modified weight update*:
//! each layer keeps **master weights** as `bits`-bit integers with their own power-of-two
//! exponent, updated in exact integer arithmetic from the mini-batch gradient accumulators;
//! the datapath only ever receives the 8-bit copy made by [`MasterTensor::copy_i8`].
//! `bits = 8` is *plain int8*: the 8-bit weights are updated in place, without wider masters.

use crate::fixed::{bit_length, shift_round, Rounding, Q_MAX};
use crate::kernels::Real;
use crate::rng::RoundingStream;

/// SGD hyper-parameters (real numbers as the user wrote them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Optimizer {
    pub learning_rate: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    /// Per-epoch learning-rate factor: epoch `e` (0-based) uses `learning_rate * lr_decay^e`.
    pub lr_decay: f64,
}

impl Optimizer {
    /// Plain hyper-parameters with a constant learning rate.
    pub const fn sgd(learning_rate: f64, momentum: f64, weight_decay: f64) -> Self {
        Optimizer { learning_rate, momentum, weight_decay, lr_decay: 1.0 }
    }

    /// The hyper-parameters for a layer's biases: weight decay does not apply to biases
    /// (models/README.md; the usual practice, e.g. Goodfellow et al., Deep Learning, §7.1:
    /// decaying biases adds little and can underfit). Both numeric modes take their bias
    /// update from here, so they follow one rule.
    pub fn for_bias(&self) -> Optimizer {
        Optimizer { weight_decay: 0.0, ..*self }
    }

    /// The hyper-parameters in effect during epoch `epoch` (0-based). The power is a loop of
    /// multiplications, so it is the same on every machine.
    pub fn at_epoch(&self, epoch: usize) -> Optimizer {
        let mut lr = self.learning_rate;
        for _ in 0..epoch {
            lr *= self.lr_decay;
        }
        Optimizer { learning_rate: lr, ..*self }
    }
}

/// Float WU: `v = momentum * v + (grad / batch + decay * w)`, `w -= lr * v`.
pub fn sgd_float<T: Real>(w: &mut [T], velocity: &mut [T], grad: &[T], batch: usize, opt: &Optimizer) {
    let (lr, mu, wd, b) = (
        T::from_f64(opt.learning_rate),
        T::from_f64(opt.momentum),
        T::from_f64(opt.weight_decay),
        T::from_f64(batch as f64),
    );
    for ((w, v), &g) in w.iter_mut().zip(velocity.iter_mut()).zip(grad) {
        let g = g / b + wd * *w;
        *v = mu * *v + g;
        *w = *w - lr * *v;
    }
}

/// Fractional bits kept below the master's last bit in gradients and momentum.
const FRAC: i32 = 16;
/// Hyper-parameters are applied as Q24 fixed-point multipliers.
const HYPER_FRAC: i32 = 24;

fn q24(x: f64) -> i128 {
    (x * (1u64 << HYPER_FRAC) as f64).round_ties_even() as i128
}

/// Divide rounding to nearest, ties to even (d > 0).
fn div_round(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    if 2 * r > d || (2 * r == d && q & 1 == 1) {
        q + 1
    } else {
        q
    }
}

/// A tensor of master weights: `real = values[i] * 2^exp`, `|values[i]| < 2^(bits-1)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterTensor {
    pub values: Vec<i32>,
    pub exp: i32,
    pub bits: u32,
    /// Momentum, in units of `2^(exp - 16)`.
    pub velocity: Vec<i64>,
}

impl MasterTensor {
    fn limit(bits: u32) -> i64 {
        (1i64 << (bits - 1)) - 1
    }

    /// Quantise real values (RNE) at the finest exponent that keeps one bit of headroom
    /// (max below 2^(bits-2)); all-zero tensors take `fallback_exp`.
    pub fn from_reals(reals: &[f64], bits: u32, fallback_exp: i32) -> Self {
        let max = reals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let head = (1i64 << (bits - 2)) as f64;
        let exp = if max > 0.0 {
            let mut e = 0i32;
            let mut lim = head;
            while max > lim {
                lim *= 2.0;
                e += 1;
            }
            while max <= lim * 0.5 {
                lim *= 0.5;
                e -= 1;
            }
            e // max is now in (head / 2 * 2^e, head * 2^e]
        } else {
            fallback_exp
        };
        Self::at_exp(reals, bits, exp)
    }

    /// Quantise real values (RNE) at a given exponent, saturating.
    pub fn at_exp(reals: &[f64], bits: u32, exp: i32) -> Self {
        let lim = Self::limit(bits) as f64;
        let scale = crate::detmath::pow2(-exp);
        let values = reals.iter().map(|&r| (r * scale).round_ties_even().clamp(-lim, lim) as i32).collect();
        MasterTensor { values, exp, bits, velocity: vec![0; reals.len()] }
    }

    /// The real values (exact in f64; exact in f32 too when bits <= 24).
    pub fn to_reals(&self) -> Vec<f64> {
        let s = crate::detmath::pow2(self.exp);
        self.values.iter().map(|&v| v as f64 * s).collect()
    }

    /// The 8-bit datapath copy and its exponent: the finest exponent at which the largest
    /// master value fits in 127, rounding to nearest even.
    pub fn copy_i8(&self) -> (Vec<i8>, i32) {
        let max = self.values.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as u128;
        let shift = (bit_length(max) - 7).max(0);
        let copy = self
            .values
            .iter()
            .map(|&v| shift_round(v as i128, shift, Rounding::NearestEven, 0) as i64)
            .collect::<Vec<_>>();
        // Rounding up can reach 128 only when max was just below a power of two: saturate.
        (copy.into_iter().map(|v| v.clamp(-Q_MAX, Q_MAX) as i8).collect(), self.exp + shift)
    }

    /// A copy at an accumulator exponent (biases: added to i32 accumulators), saturating.
    pub fn copy_at(&self, acc_exp: i32) -> Vec<i32> {
        let shift = acc_exp - self.exp;
        self.values
            .iter()
            .map(|&v| {
                shift_round(v as i128, shift, Rounding::NearestEven, 0).clamp(i32::MIN as i128 + 1, i32::MAX as i128)
                    as i32
            })
            .collect()
    }

    /// WU from mini-batch gradient sums `grad` (real = `grad * 2^grad_exp`, summed over
    /// `batch` samples). Integer arithmetic only; the final rounding to the master grid uses
    /// `rounding` with random words from `stream`. Afterwards the exponent is renormalised
    /// so the largest value stays within [2^(bits-4), 2^(bits-2)].
    pub fn update(
        &mut self,
        grad: &[i64],
        grad_exp: i32,
        batch: usize,
        opt: &Optimizer,
        rounding: Rounding,
        stream: &RoundingStream,
    ) {
        let (lr, mu, wd) = (q24(opt.learning_rate), q24(opt.momentum), q24(opt.weight_decay));
        let lim = Self::limit(self.bits) as i128;
        // Gradient in units of 2^(exp - FRAC): grad * 2^(grad_exp - exp + FRAC) / batch.
        let up = grad_exp - self.exp + FRAC;
        let b = batch.max(1) as i128;
        for (i, (m, v)) in self.values.iter_mut().zip(self.velocity.iter_mut()).enumerate() {
            let raw = grad[i] as i128;
            let mut g = if up >= 0 {
                div_round(raw << up.min(60), b)
            } else if -up < 100 {
                div_round(raw, b << (-up))
            } else {
                0
            };
            if wd != 0 {
                g += shift_round(((*m as i128) << FRAC) * wd, HYPER_FRAC, Rounding::NearestEven, 0);
            }
            let vel = if mu != 0 { shift_round(mu * *v as i128, HYPER_FRAC, Rounding::NearestEven, 0) + g } else { g };
            *v = vel.clamp(i64::MIN as i128 / 2, i64::MAX as i128 / 2) as i64;
            let step = shift_round(lr * vel, HYPER_FRAC, Rounding::NearestEven, 0);
            let rnd = if rounding == Rounding::Stochastic { stream.at(i) } else { 0 };
            let dm = shift_round(step, FRAC, rounding, rnd);
            *m = (*m as i128 - dm).clamp(-lim, lim) as i32;
        }
        self.renormalise();
    }

    fn renormalise(&mut self) {
        let max = self.values.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as i64;
        if max > 1i64 << (self.bits - 2) {
            self.exp += 1;
            for v in &mut self.values {
                *v = shift_round(*v as i128, 1, Rounding::NearestEven, 0) as i32;
            }
            for v in &mut self.velocity {
                *v = shift_round(*v as i128, 1, Rounding::NearestEven, 0) as i64;
            }
        } else if max > 0 && max < 1i64 << (self.bits - 4) {
            self.exp -= 1;
            self.values.iter_mut().for_each(|v| *v *= 2);
            self.velocity.iter_mut().for_each(|v| *v = v.saturating_mul(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::TensorKind;

    fn stream() -> RoundingStream {
        RoundingStream::new(1, 0, 0, 0, TensorKind::WeightUpdate)
    }

    #[test]
    fn learning_rate_decays_per_epoch() {
        let o = Optimizer { lr_decay: 0.5, ..Optimizer::sgd(0.1, 0.9, 0.0) };
        assert_eq!(o.at_epoch(0).learning_rate, 0.1);
        assert_eq!(o.at_epoch(3).learning_rate, 0.1 * 0.5 * 0.5 * 0.5);
        assert_eq!(o.at_epoch(3).momentum, 0.9);
        assert_eq!(Optimizer::sgd(0.1, 0.0, 0.0).at_epoch(7).learning_rate, 0.1);
    }

    #[test]
    fn master_round_trip_and_copy() {
        let m = MasterTensor::from_reals(&[0.5, -0.25, 0.125, 0.0], 16, 0);
        assert_eq!(m.to_reals(), vec![0.5, -0.25, 0.125, 0.0]);
        assert!(m.values[0] <= 1 << 14 && m.values[0] > 1 << 13);
        let (c, e) = m.copy_i8();
        assert_eq!(
            c.iter().map(|&v| v as f64 * crate::detmath::pow2(e)).collect::<Vec<_>>(),
            vec![0.5, -0.25, 0.125, 0.0]
        );
    }

    #[test]
    fn small_updates_accumulate_in_masters_but_vanish_in_plain_int8() {
        let opt = Optimizer::sgd(0.005, 0.0, 0.0);
        // Gradient 1.0 (grad 1, exponent 0) per step: 100 steps move the weight by 0.005 * 100.
        let mut wide = MasterTensor::from_reals(&[1.0], 16, 0);
        let mut plain = MasterTensor::from_reals(&[1.0], 8, 0);
        for _ in 0..100 {
            wide.update(&[1], 0, 1, &opt, Rounding::NearestEven, &stream());
            plain.update(&[1], 0, 1, &opt, Rounding::NearestEven, &stream());
        }
        assert!((wide.to_reals()[0] - 0.5).abs() < 1e-3, "{:?}", wide.to_reals());
        // Plain int8 has a step of 1/64 here: 0.005 rounds to 0, the weight never moves.
        assert_eq!(plain.to_reals()[0], 1.0);
    }

    #[test]
    fn integer_update_matches_float_sgd_with_momentum() {
        let opt = Optimizer::sgd(0.05, 0.9, 0.001);
        let mut m = MasterTensor::from_reals(&[0.3, -0.7], 24, 0);
        let mut w = [0.3f64, -0.7];
        let mut v = [0.0f64; 2];
        for k in 0..20 {
            let g = [(k as i64 - 7) * 3, 5 - k as i64];
            m.update(&g, -4, 4, &opt, Rounding::NearestEven, &stream());
            let gf = [g[0] as f64 / 16.0, g[1] as f64 / 16.0];
            sgd_float(&mut w, &mut v, &gf, 4, &opt);
        }
        for (a, b) in m.to_reals().iter().zip(&w) {
            assert!((a - b).abs() < 1e-4, "{a} {b}");
        }
    }
}
