//! Initial int8 exponents for a model that has none yet (fresh weights, or weights from f32).
//!
//! Scales normally come from the previous step's maxima, so the very first step needs a
//! starting point: run the first mini-batch through the kernels once, layer by layer, and give
//! every activation and error tensor the finest exponent that holds the batch's largest value.
//! Weights are not changed. Everything rounds to nearest-even here, so it is deterministic.

use crate::buffers::LayerFp;
use crate::fixed::{exponent_for_max, exponent_for_max_f64, Rounding, Q_MAX};
use crate::kernels::{int8, loss};
use crate::model::{BpPath, Int8Model};
use crate::rng::{RoundingStream, TensorKind};
use crate::spec::LayerGeom;
use crate::step::route_layer;
use crate::tensor::Tile;

fn requant(shift: i32) -> int8::Requant {
    int8::Requant {
        shift,
        rounding: Rounding::NearestEven,
        stream: RoundingStream::new(0, 0, 0, 0, TensorKind::Activation),
    }
}

/// Set `m.quant` from a batch of int8 images and their labels.
pub fn calibrate(m: &mut Int8Model, geoms: &[LayerGeom], images: &[Vec<i8>], labels: &[usize]) {
    let n = geoms.len();
    let mut inputs: Vec<Vec<i8>> = images.to_vec();
    // fps[l][s]: FP results of layer l for sample s (needed for BP routing).
    let mut fps: Vec<Vec<LayerFp<i8>>> = Vec::with_capacity(n);
    let mut layer_inputs: Vec<Vec<Vec<i8>>> = Vec::with_capacity(n);
    for (l, g) in geoms[..n - 1].iter().enumerate() {
        m.layers[l].refresh_bias(m.quant.act_exp[l]);
        let whole = Tile::whole(g.output);
        let (w, b) = (&m.layers[l].w, &m.layers[l].b);
        let max = inputs.iter().map(|x| int8::fp_tile(g, x, w, b, &requant(0), &whole).max_abs_acc).max().unwrap_or(0);
        if let Some(e) = exponent_for_max(max as u128, m.acc_exp(l), Q_MAX as u128) {
            m.quant.act_exp[l + 1] = e;
        }
        let q = requant(m.fp_shift(l));
        let outs: Vec<LayerFp<i8>> = inputs
            .iter()
            .map(|x| {
                let mut fp = LayerFp::new(g);
                fp.place(g, &int8::fp_tile(g, x, w, b, &q, &whole));
                fp
            })
            .collect();
        layer_inputs.push(std::mem::replace(&mut inputs, outs.iter().map(|f| f.out.clone()).collect()));
        fps.push(outs);
    }
    m.layers[n - 1].refresh_bias(m.quant.act_exp[n - 1]);
    layer_inputs.push(inputs);
    let last = &geoms[n - 1];
    let logits: Vec<Vec<i64>> =
        layer_inputs[n - 1].iter().map(|x| int8::fp_logits(last, x, &m.layers[n - 1].w, &m.layers[n - 1].b)).collect();
    let stream = RoundingStream::new(0, 0, 0, 0, TensorKind::LossError);
    let acc = m.acc_exp(n - 1);
    let loss_max = logits
        .iter()
        .zip(labels)
        .map(|(z, &y)| loss::loss_i8(z, acc, y, 0, Rounding::NearestEven, &stream).max_abs_delta)
        .fold(0.0, f64::max);
    if let Some(e) = exponent_for_max_f64(loss_max) {
        m.quant.err_exp[n - 1] = e;
    }
    let mut deltas: Vec<Vec<i8>> = logits
        .iter()
        .zip(labels)
        .map(|(z, &y)| loss::loss_i8(z, acc, y, m.quant.err_exp[n - 1], Rounding::NearestEven, &stream).delta)
        .collect();
    for l in (1..n).rev() {
        let g = &geoms[l];
        let dzs: Vec<Vec<i8>> = deltas
            .iter()
            .enumerate()
            .map(|(s, d)| if l == n - 1 { d.clone() } else { route_layer(g, d, &fps[l][s], BpPath::Mask) })
            .collect();
        let whole = Tile::whole(g.input);
        let w = &m.layers[l].w;
        let max = dzs.iter().map(|dz| int8::bp_tile(g, dz, w, &requant(0), &whole).max_abs_acc).max().unwrap_or(0);
        if let Some(e) = exponent_for_max(max as u128, m.layers[l].w_exp + m.quant.err_exp[l], Q_MAX as u128) {
            m.quant.err_exp[l - 1] = e;
        }
        let q = requant(m.bp_shift(l));
        deltas = dzs.iter().map(|dz| int8::bp_tile(g, dz, w, &q, &whole).out).collect();
    }
}
