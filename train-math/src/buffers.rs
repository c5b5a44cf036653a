//! Whole-layer buffers that tiles are placed into, and the mini-batch gradient accumulators.

use crate::kernels::{BpTile, FpTile, WgTile};
use crate::spec::LayerGeom;
use crate::tensor::{Element, MaskBits, Tile};
use std::ops::AddAssign;

/// What FP of one layer leaves for BP: the output (next layer's input), the 1-bit masks and
/// the post-ReLU conv outputs (read only by the activation path).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerFp<T> {
    pub out: Vec<T>,
    pub mask: MaskBits,
    pub kept: Vec<T>,
}

impl<T: Element> LayerFp<T> {
    pub fn new(g: &LayerGeom) -> Self {
        LayerFp {
            out: vec![T::ZERO; g.output.len()],
            mask: MaskBits::zeros(if g.has_mask() { g.conv_out.len() } else { 0 }),
            kept: vec![T::ZERO; g.conv_out.len()],
        }
    }

    /// Write a tile's results at their place in the layer's tensors.
    pub fn place(&mut self, g: &LayerGeom, t: &FpTile<T>) {
        t.tile.place(g.output, &t.out, &mut self.out);
        let region = Tile { channels: t.tile.channels.clone(), rows: t.conv_rows.clone() };
        region.place(g.conv_out, &t.kept, &mut self.kept);
        if g.has_mask() {
            let w = g.conv_out.w;
            let nrows = t.conv_rows.len();
            for (i, c) in t.tile.channels.clone().enumerate() {
                for (ri, y) in t.conv_rows.clone().enumerate() {
                    for x in 0..w {
                        self.mask.set(g.conv_out.index(c, y, x), t.mask.get((i * nrows + ri) * w + x));
                    }
                }
            }
        }
    }
}

/// Write a BP tile into the full input-error tensor.
pub fn place_bp<T: Copy>(g: &LayerGeom, t: &BpTile<T>, full: &mut [T]) {
    t.tile.place(g.input, &t.out, full);
}

/// Gradients of one layer summed over the samples of a mini-batch. Int8 mode uses `i64`
/// (integer addition is associative: the order of samples and tiles cannot matter).
#[derive(Clone, Debug, PartialEq)]
pub struct GradAccum<A> {
    pub weights: Vec<A>,
    pub bias: Vec<A>,
}

impl<A: Copy + Default + AddAssign> GradAccum<A> {
    pub fn zeros(g: &LayerGeom) -> Self {
        GradAccum { weights: vec![A::default(); g.weight_len()], bias: vec![A::default(); g.conv_out.c] }
    }

    /// Add one sample's WG tile at its filters' place.
    pub fn add<B: Copy>(&mut self, g: &LayerGeom, t: &WgTile<B>)
    where
        A: From<B>,
    {
        let fan_in = g.fan_in();
        let base = t.filters.start * fan_in;
        for (a, &b) in self.weights[base..base + t.weights.len()].iter_mut().zip(&t.weights) {
            *a += A::from(b);
        }
        for (a, &b) in self.bias[t.filters.clone()].iter_mut().zip(&t.bias) {
            *a += A::from(b);
        }
    }

    pub fn clear(&mut self) {
        self.weights.iter_mut().for_each(|v| *v = A::default());
        self.bias.iter_mut().for_each(|v| *v = A::default());
    }
}
