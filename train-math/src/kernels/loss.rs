//! Softmax cross-entropy: the loss of one sample and its error w.r.t. the logits.
//!
//! Computed in f64 with the deterministic [`crate::detmath`] exp/ln in both modes, so losses
//! and errors are bit-identical on any machine.

use crate::detmath;
use crate::fixed::{quantize_f64, Rounding};
use crate::rng::RoundingStream;

/// The loss of one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct LossOut<T> {
    /// Error w.r.t. each logit: softmax(logits) - onehot(label), in the datapath type.
    pub delta: Vec<T>,
    /// `-ln softmax(logits)[label]`.
    pub loss: f64,
    /// The arg-max class (first on ties).
    pub predicted: usize,
    /// max |softmax - onehot| before quantisation (a statistic for the error scale).
    pub max_abs_delta: f64,
}

/// Softmax probabilities and the loss for real-valued logits.
pub fn softmax_xent(logits: &[f64], label: usize) -> (Vec<f64>, f64, usize) {
    let mut predicted = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[predicted] {
            predicted = i;
        }
    }
    let m = logits[predicted];
    let e: Vec<f64> = logits.iter().map(|&l| detmath::exp(l - m)).collect();
    let sum: f64 = e.iter().sum();
    let loss = detmath::ln(sum) - (logits[label] - m);
    (e.iter().map(|&v| v / sum).collect(), loss, predicted)
}

fn delta_of(p: &[f64], label: usize) -> Vec<f64> {
    p.iter().enumerate().map(|(i, &v)| if i == label { v - 1.0 } else { v }).collect()
}

/// Float mode: the error in f32 or f64.
pub fn loss_float<T: crate::kernels::Real>(logits: &[T], label: usize) -> LossOut<T> {
    let l: Vec<f64> = logits.iter().map(|v| v.to_f64()).collect();
    let (p, loss, predicted) = softmax_xent(&l, label);
    let d = delta_of(&p, label);
    let max_abs_delta = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    LossOut { delta: d.into_iter().map(T::from_f64).collect(), loss, predicted, max_abs_delta }
}

/// Int8 mode: logits are the last layer's wide accumulators (`logit = acc * 2^logits_exp`);
/// the error is quantised to 8 bits at `err_exp` with the given rounding.
pub fn loss_i8(
    logits: &[i64],
    logits_exp: i32,
    label: usize,
    err_exp: i32,
    rounding: Rounding,
    stream: &RoundingStream,
) -> LossOut<i8> {
    let scale = detmath::pow2(logits_exp);
    let l: Vec<f64> = logits.iter().map(|&v| v as f64 * scale).collect();
    let (p, loss, predicted) = softmax_xent(&l, label);
    let d = delta_of(&p, label);
    let max_abs_delta = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let delta = d.iter().enumerate().map(|(i, &v)| quantize_f64(v, err_exp, rounding, stream.at(i))).collect();
    LossOut { delta, loss, predicted, max_abs_delta }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_of_equal_logits_is_uniform() {
        let (p, loss, pred) = softmax_xent(&[1.0, 1.0, 1.0, 1.0], 2);
        assert!(p.iter().all(|&v| (v - 0.25).abs() < 1e-15));
        assert!((loss - 4f64.ln()).abs() < 1e-14);
        assert_eq!(pred, 0);
    }

    #[test]
    fn int8_error_is_quantised_probability_minus_onehot() {
        let s = RoundingStream::new(0, 0, 0, 0, crate::rng::TensorKind::LossError);
        // logits 0 and ln(3) (as 2^-10 fixed point): p = (0.25, 0.75), label 1.
        let l1 = (3f64.ln() * 1024.0).round() as i64;
        let out = loss_i8(&[0, l1], -10, 1, -7, Rounding::NearestEven, &s);
        assert_eq!(out.delta, vec![32, -32]);
        assert_eq!(out.predicted, 1);
    }
}
