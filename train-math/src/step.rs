//! One sample through the layers: FP layer by layer, loss, BP layer by layer, WG accumulate.
//!
//! These functions are the reference *schedule*: they only call kernels and place tiles, in
//! the order the chip's controller follows. A [`Tiling`] decides how each layer is cut; the
//! result does not depend on it (tested).

use crate::buffers::{place_bp, GradAccum, LayerFp};
use crate::kernels::{float, int8, loss, route, Real};
use crate::model::{BpPath, FloatModel, Int8Model, StepStats};
use crate::rng::{RoundingStream, TensorKind};
use crate::spec::LayerGeom;
use crate::tensor::{Element, Tile};
use std::ops::Range;

/// How each layer is cut into tiles.
pub trait Tiling {
    /// Tiles of the layer *output* for FP.
    fn fp_tiles(&self, g: &LayerGeom) -> Vec<Tile>;
    /// Tiles of the layer *input* error for BP.
    fn bp_tiles(&self, g: &LayerGeom) -> Vec<Tile>;
    /// Filter ranges for WG.
    fn wg_tiles(&self, g: &LayerGeom) -> Vec<Range<usize>>;
}

/// One tile per layer: what the standalone trainer uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct WholeLayer;

impl Tiling for WholeLayer {
    fn fp_tiles(&self, g: &LayerGeom) -> Vec<Tile> {
        vec![Tile::whole(g.output)]
    }
    fn bp_tiles(&self, g: &LayerGeom) -> Vec<Tile> {
        vec![Tile::whole(g.input)]
    }
    fn wg_tiles(&self, g: &LayerGeom) -> Vec<Range<usize>> {
        std::iter::once(0..g.conv_out.c).collect()
    }
}

/// Identifies a sample inside the training run, for the rounding streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleKey {
    pub seed: u64,
    pub step: u64,
    /// Index of the sample inside its mini-batch.
    pub sample: u32,
}

impl SampleKey {
    pub fn stream(&self, layer: usize, kind: TensorKind) -> RoundingStream {
        RoundingStream::new(self.seed, self.step, self.sample, layer as u32, kind)
    }
}

/// Loss and prediction of one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleResult {
    pub loss: f64,
    pub predicted: usize,
}

/// Route the error of a layer output to its conv outputs along the chosen path.
pub fn route_layer<T: Element>(g: &LayerGeom, delta_out: &[T], fp: &LayerFp<T>, path: BpPath) -> Vec<T> {
    match path {
        BpPath::Mask => route::route_mask(g, delta_out, &fp.mask, 0..g.conv_out.c),
        BpPath::Activations => route::route_kept(g, delta_out, &fp.kept, 0..g.conv_out.c),
    }
}

/// Int8 FP of all layers but the last, then the wide logits. With `stats`, FP maxima are
/// recorded; `rounding` overrides the model's (evaluation uses nearest-even).
pub fn int8_forward(
    m: &Int8Model,
    geoms: &[LayerGeom],
    image: &[i8],
    key: SampleKey,
    tiling: &dyn Tiling,
    rounding: crate::fixed::Rounding,
    mut stats: Option<&mut StepStats>,
) -> (Vec<LayerFp<i8>>, Vec<i64>) {
    let n = geoms.len();
    let mut fps: Vec<LayerFp<i8>> = Vec::with_capacity(n - 1);
    for (l, g) in geoms[..n - 1].iter().enumerate() {
        let input = if l == 0 { image } else { &fps[l - 1].out };
        let q = int8::Requant { shift: m.fp_shift(l), rounding, stream: key.stream(l, TensorKind::Activation) };
        let mut fp = LayerFp::new(g);
        for tile in tiling.fp_tiles(g) {
            let t = int8::fp_tile(g, input, &m.layers[l].w, &m.layers[l].b, &q, &tile);
            if let Some(s) = stats.as_deref_mut() {
                s.act_max[l] = s.act_max[l].max(t.max_abs_acc);
            }
            fp.place(g, &t);
        }
        fps.push(fp);
    }
    let last = &geoms[n - 1];
    let input = if n == 1 { image } else { &fps[n - 2].out };
    let logits = int8::fp_logits(last, input, &m.layers[n - 1].w, &m.layers[n - 1].b);
    (fps, logits)
}

/// Int8 training work of one sample: FP, loss, BP, WG into `grads`, maxima into `stats`.
#[allow(clippy::too_many_arguments)]
pub fn int8_train_sample(
    m: &Int8Model,
    geoms: &[LayerGeom],
    image: &[i8],
    label: usize,
    key: SampleKey,
    path: BpPath,
    tiling: &dyn Tiling,
    grads: &mut [GradAccum<i64>],
    stats: &mut StepStats,
) -> SampleResult {
    let n = geoms.len();
    let rounding = m.config.rounding;
    let (fps, logits) = int8_forward(m, geoms, image, key, tiling, rounding, Some(stats));
    let out = loss::loss_i8(
        &logits,
        m.acc_exp(n - 1),
        label,
        m.quant.err_exp[n - 1],
        rounding,
        &key.stream(n - 1, TensorKind::LossError),
    );
    stats.loss_max = stats.loss_max.max(out.max_abs_delta);
    let mut delta = out.delta;
    for l in (0..n).rev() {
        let g = &geoms[l];
        let dz = if l == n - 1 { delta.clone() } else { route_layer(g, &delta, &fps[l], path) };
        let input = if l == 0 { image } else { &fps[l - 1].out };
        if l > 0 {
            let q = int8::Requant { shift: m.bp_shift(l), rounding, stream: key.stream(l, TensorKind::Error) };
            let mut next = vec![0i8; g.input.len()];
            for tile in tiling.bp_tiles(g) {
                let t = int8::bp_tile(g, &dz, &m.layers[l].w, &q, &tile);
                stats.err_max[l - 1] = stats.err_max[l - 1].max(t.max_abs_acc);
                place_bp(g, &t, &mut next);
            }
            delta = next;
        }
        for filters in tiling.wg_tiles(g) {
            grads[l].add(g, &int8::wg_tile(g, input, &dz, filters));
        }
    }
    SampleResult { loss: out.loss, predicted: out.predicted }
}

/// Float FP: per-layer buffers and the logits.
pub fn float_forward<T: Real>(
    m: &FloatModel<T>,
    geoms: &[LayerGeom],
    image: &[T],
    tiling: &dyn Tiling,
) -> (Vec<LayerFp<T>>, Vec<T>) {
    let n = geoms.len();
    let mut fps: Vec<LayerFp<T>> = Vec::with_capacity(n - 1);
    for (l, g) in geoms[..n - 1].iter().enumerate() {
        let input = if l == 0 { image } else { &fps[l - 1].out };
        let mut fp = LayerFp::new(g);
        for tile in tiling.fp_tiles(g) {
            fp.place(g, &float::fp_tile(g, input, &m.layers[l].weights, &m.layers[l].bias, &tile));
        }
        fps.push(fp);
    }
    let input = if n == 1 { image } else { &fps[n - 2].out };
    let logits = float::fp_logits(&geoms[n - 1], input, &m.layers[n - 1].weights, &m.layers[n - 1].bias);
    (fps, logits)
}

/// Float training work of one sample: FP, loss, BP, WG into `grads`. With `input_error`, also
/// returns the error w.r.t. the image (gradient checks; training skips that BP).
#[allow(clippy::too_many_arguments)]
pub fn float_train_sample<T: Real>(
    m: &FloatModel<T>,
    geoms: &[LayerGeom],
    image: &[T],
    label: usize,
    path: BpPath,
    tiling: &dyn Tiling,
    grads: &mut [GradAccum<T>],
    input_error: bool,
) -> (SampleResult, Option<Vec<T>>) {
    let n = geoms.len();
    let (fps, logits) = float_forward(m, geoms, image, tiling);
    let out = loss::loss_float(&logits, label);
    let mut delta = out.delta;
    for l in (0..n).rev() {
        let g = &geoms[l];
        let dz = if l == n - 1 { delta.clone() } else { route_layer(g, &delta, &fps[l], path) };
        let input = if l == 0 { image } else { &fps[l - 1].out };
        if l > 0 || input_error {
            let mut next = vec![T::ZERO; g.input.len()];
            for tile in tiling.bp_tiles(g) {
                place_bp(g, &float::bp_tile(g, &dz, &m.layers[l].weights, &tile), &mut next);
            }
            delta = next;
        }
        for filters in tiling.wg_tiles(g) {
            grads[l].add(g, &float::wg_tile(g, input, &dz, filters));
        }
    }
    (SampleResult { loss: out.loss, predicted: out.predicted }, input_error.then_some(delta))
}
