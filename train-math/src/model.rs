//! Training configuration and the state of a model in each numeric mode.
//!
//! [`FloatModel`] holds f32 (or f64) weights. [`Int8Model`] holds, per layer, the master
//! weights and their 8-bit datapath copies ([`Int8Layer`]), plus the [`QuantState`]: the
//! exponents of every activation and error tensor, fixed for the duration of a step.

use crate::buffers::GradAccum;
use crate::fixed::{exponent_for_max, exponent_for_max_f64, Rounding, Q_MAX};
use crate::kernels::Real;
use crate::rng::{RoundingStream, SplitMix64, TensorKind};
use crate::spec::LayerGeom;
use crate::update::{sgd_float, MasterTensor, Optimizer};

/// Exponent of 8-bit input images: pixel `p` (0..255) enters as `p >> 1` = `p / 256` real.
pub const INPUT_EXP: i32 = -7;

/// Which stored data BP reads to route errors through ReLU and max-pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BpPath {
    /// 1 bit per conv output (the paper's masking scheme).
    Mask,
    /// The post-ReLU conv outputs, kept in the datapath type.
    Activations,
}

/// Int8 mode parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int8Config {
    /// Width of the master weights in the weight-update path, 8..=24. 8 is *plain int8*.
    pub master_bits: u32,
    /// Rounding of activations, errors and master updates.
    pub rounding: Rounding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    Int8(Int8Config),
}

/// Everything that decides how a model trains, besides its layers.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub batch_size: usize,
    pub optimizer: Optimizer,
    pub precision: Precision,
    pub bp_path: BpPath,
    /// Seeds weight initialisation, sample order and stochastic rounding.
    pub seed: u64,
}

/// Initial weights: He-uniform in ±sqrt(6 / fan_in), zero biases (f64, converted per mode).
pub fn init_weights(geoms: &[LayerGeom], seed: u64) -> Vec<(Vec<f64>, Vec<f64>)> {
    geoms
        .iter()
        .map(|g| {
            let mut r = SplitMix64::derived(seed, &[0x1417, g.index as u64]);
            let a = (6.0 / g.fan_in() as f64).sqrt();
            let w = (0..g.weight_len()).map(|_| r.uniform(-a, a)).collect();
            (w, vec![0.0; g.conv_out.c])
        })
        .collect()
}

/// One layer of a float model.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer<T> {
    pub weights: Vec<T>,
    pub bias: Vec<T>,
    pub vel_w: Vec<T>,
    pub vel_b: Vec<T>,
}

/// Float reference model.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatModel<T> {
    pub layers: Vec<FloatLayer<T>>,
}

impl<T: Real> FloatModel<T> {
    pub fn from_reals(reals: &[(Vec<f64>, Vec<f64>)]) -> Self {
        let conv = |v: &Vec<f64>| v.iter().map(|&x| T::from_f64(x)).collect::<Vec<T>>();
        let layers = reals
            .iter()
            .map(|(w, b)| FloatLayer {
                weights: conv(w),
                bias: conv(b),
                vel_w: vec![T::ZERO; w.len()],
                vel_b: vec![T::ZERO; b.len()],
            })
            .collect();
        FloatModel { layers }
    }

    /// WU of every layer from the mini-batch gradient sums.
    pub fn update(&mut self, grads: &[GradAccum<T>], batch: usize, opt: &Optimizer) {
        for (l, g) in self.layers.iter_mut().zip(grads) {
            sgd_float(&mut l.weights, &mut l.vel_w, &g.weights, batch, opt);
            sgd_float(&mut l.bias, &mut l.vel_b, &g.bias, batch, &opt.for_bias());
        }
    }

    pub fn reals(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        self.layers
            .iter()
            .map(|l| (l.weights.iter().map(|v| v.to_f64()).collect(), l.bias.iter().map(|v| v.to_f64()).collect()))
            .collect()
    }
}

/// One layer of an int8 model: master weights (update path) and datapath copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Int8Layer {
    pub master_w: MasterTensor,
    pub master_b: MasterTensor,
    /// 8-bit weights the cores use, real = `w * 2^w_exp`.
    pub w: Vec<i8>,
    pub w_exp: i32,
    /// Biases at the layer's accumulator exponent (`act_exp[l] + w_exp`), refreshed at every
    /// step boundary.
    pub b: Vec<i32>,
}

impl Int8Layer {
    pub fn new(master_w: MasterTensor, master_b: MasterTensor) -> Self {
        let (w, w_exp) = master_w.copy_i8();
        Int8Layer { master_w, master_b, w, w_exp, b: Vec::new() }
    }

    /// WU of the layer (update core): masters from the mini-batch sums, then the new 8-bit
    /// copy. `act_exp` / `err_exp` are the layer's input and conv-output error exponents of
    /// the step that produced the gradients.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        grads: &GradAccum<i64>,
        act_exp: i32,
        err_exp: i32,
        batch: usize,
        opt: &Optimizer,
        rounding: Rounding,
        seed: u64,
        step: u64,
        layer: u32,
    ) {
        let sw = RoundingStream::new(seed, step, 0, layer, TensorKind::WeightUpdate);
        let sb = RoundingStream::new(seed, step, 0, layer, TensorKind::BiasUpdate);
        self.master_w.update(&grads.weights, act_exp + err_exp, batch, opt, rounding, &sw);
        self.master_b.update(&grads.bias, err_exp, batch, &opt.for_bias(), rounding, &sb);
        (self.w, self.w_exp) = self.master_w.copy_i8();
    }

    /// Refresh the bias copy for a new accumulator exponent.
    pub fn refresh_bias(&mut self, act_exp: i32) {
        self.b = self.master_b.copy_at(act_exp + self.w_exp);
    }
}

/// Exponents of the activation and error tensors, fixed during a step.
/// `act_exp[l]` is the exponent of layer `l`'s input (`act_exp[0] = INPUT_EXP`);
/// `err_exp[l]` that of the error w.r.t. layer `l`'s output (the last one: the loss error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantState {
    pub act_exp: Vec<i32>,
    pub err_exp: Vec<i32>,
}

/// Maxima observed during a step, combined with `max` across tiles and samples (associative
/// and commutative, so any schedule gives the same result).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepStats {
    /// max |FP accumulator + bias| of layer `l` (unused for the last layer: logits stay wide).
    pub act_max: Vec<u64>,
    /// max |BP accumulator| producing the error w.r.t. layer `l`'s output (from layer l + 1).
    pub err_max: Vec<u64>,
    /// max |softmax - onehot|.
    pub loss_max: f64,
}

impl StepStats {
    pub fn new(layers: usize) -> Self {
        StepStats { act_max: vec![0; layers], err_max: vec![0; layers], loss_max: 0.0 }
    }

    pub fn merge(&mut self, other: &StepStats) {
        for (a, b) in self.act_max.iter_mut().zip(&other.act_max) {
            *a = (*a).max(*b);
        }
        for (a, b) in self.err_max.iter_mut().zip(&other.err_max) {
            *a = (*a).max(*b);
        }
        self.loss_max = self.loss_max.max(other.loss_max);
    }
}

/// Int8 model state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Int8Model {
    pub layers: Vec<Int8Layer>,
    pub quant: QuantState,
    pub config: Int8Config,
}

impl Int8Model {
    /// Masters from real weights; exponents are left for [`crate::Trainer`] to calibrate.
    pub fn from_reals(reals: &[(Vec<f64>, Vec<f64>)], config: Int8Config) -> Self {
        let layers: Vec<Int8Layer> = reals
            .iter()
            .map(|(w, b)| {
                let mw = MasterTensor::from_reals(w, config.master_bits, 0);
                let mb = MasterTensor::from_reals(b, config.master_bits, mw.exp);
                Int8Layer::new(mw, mb)
            })
            .collect();
        let n = layers.len();
        let mut m =
            Int8Model { layers, quant: QuantState { act_exp: vec![INPUT_EXP; n], err_exp: vec![0; n] }, config };
        m.refresh_biases();
        m
    }

    /// FP requantisation shift of layer `l` (l < last): output exponent - accumulator exponent.
    pub fn fp_shift(&self, l: usize) -> i32 {
        self.quant.act_exp[l + 1] - self.acc_exp(l)
    }

    /// Exponent of layer `l`'s FP accumulators (and of the logits for the last layer).
    pub fn acc_exp(&self, l: usize) -> i32 {
        self.quant.act_exp[l] + self.layers[l].w_exp
    }

    /// BP requantisation shift of layer `l` (l >= 1): the error w.r.t. its input.
    pub fn bp_shift(&self, l: usize) -> i32 {
        self.quant.err_exp[l - 1] - (self.layers[l].w_exp + self.quant.err_exp[l])
    }

    pub fn refresh_biases(&mut self) {
        for (l, layer) in self.layers.iter_mut().enumerate() {
            layer.refresh_bias(self.quant.act_exp[l]);
        }
    }

    /// The step boundary: WU of every layer with the step's gradient sums, then new
    /// activation/error exponents from the step's maxima, then bias copies at the new
    /// accumulator exponents. Exponents without information (a zero maximum) are kept.
    pub fn end_step(
        &mut self,
        grads: &[GradAccum<i64>],
        stats: &StepStats,
        batch: usize,
        opt: &Optimizer,
        seed: u64,
        step: u64,
    ) {
        let old = self.quant.clone();
        let old_w_exp: Vec<i32> = self.layers.iter().map(|l| l.w_exp).collect();
        let n = self.layers.len();
        for (l, layer) in self.layers.iter_mut().enumerate() {
            layer.update(
                &grads[l],
                old.act_exp[l],
                old.err_exp[l],
                batch,
                opt,
                self.config.rounding,
                seed,
                step,
                l as u32,
            );
        }
        for l in 0..n - 1 {
            let acc = old.act_exp[l] + old_w_exp[l];
            if let Some(e) = exponent_for_max(stats.act_max[l] as u128, acc, Q_MAX as u128) {
                self.quant.act_exp[l + 1] = e;
            }
            let acc = old_w_exp[l + 1] + old.err_exp[l + 1];
            if let Some(e) = exponent_for_max(stats.err_max[l] as u128, acc, Q_MAX as u128) {
                self.quant.err_exp[l] = e;
            }
        }
        if let Some(e) = exponent_for_max_f64(stats.loss_max) {
            self.quant.err_exp[n - 1] = e;
        }
        self.refresh_biases();
    }
}

#[cfg(test)]
mod weight_decay_tests {
    use super::*;

    /// With no gradient, weight decay alone moves the weights toward zero and leaves the
    /// biases where they were — in f32 and in int8 alike.
    #[test]
    fn weight_decay_shrinks_weights_and_spares_biases_in_both_modes() {
        let opt = Optimizer::sgd(0.5, 0.0, 0.1);
        let reals = vec![(vec![0.5, -0.25], vec![0.5, -0.25])];
        let grads = GradAccum { weights: vec![0.0f32; 2], bias: vec![0.0f32; 2] };
        let mut f = FloatModel::<f32>::from_reals(&reals);
        f.update(&[grads], 1, &opt);
        let (w, b) = &f.reals()[0];
        assert!(w[0] < 0.5 && w[1] > -0.25, "weights decay: {w:?}");
        assert_eq!(b, &reals[0].1, "biases do not decay in f32");

        let mut l =
            Int8Layer::new(MasterTensor::from_reals(&reals[0].0, 16, 0), MasterTensor::from_reals(&reals[0].1, 16, 0));
        let zero = GradAccum { weights: vec![0i64; 2], bias: vec![0i64; 2] };
        l.update(&zero, 0, 0, 1, &opt, Rounding::NearestEven, 1, 0, 0);
        let (w, b) = (l.master_w.to_reals(), l.master_b.to_reals());
        assert!(w[0] < 0.5 && w[1] > -0.25, "weights decay: {w:?}");
        assert_eq!(b, reals[0].1, "biases do not decay in int8");
    }
}
