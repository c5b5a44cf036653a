//! Int8 tile kernels: 8-bit operands, i32 accumulators, explicit requantisation.
//!
//! A tile's result depends only on its inputs and on the [`Requant`] parameters, which are
//! per-layer state fixed before the layer starts; stochastic rounding draws the random word of
//! each element from its index in the *whole* tensor. So any tiling, in any order, gives the
//! same bytes as the whole-layer call.

use super::{conv, route, BpTile, FpTile, WgTile};
use crate::fixed::{requantize, Rounding};
use crate::rng::RoundingStream;
use crate::spec::LayerGeom;
use crate::tensor::Tile;
use std::ops::Range;

/// How a tile turns accumulators into 8-bit values: `shift = out_exp - acc_exp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    pub shift: i32,
    pub rounding: Rounding,
    /// Random words for stochastic rounding, indexed by the element's place in the tensor.
    pub stream: RoundingStream,
}

impl Requant {
    #[inline]
    fn apply(&self, acc: i64, index: usize) -> i8 {
        let rnd = match self.rounding {
            Rounding::Stochastic => self.stream.at(index),
            Rounding::NearestEven => 0,
        };
        requantize(acc, self.shift, self.rounding, rnd)
    }
}

/// FP of one output tile: conv + bias, requantise, ReLU, max-pool, masks.
/// `bias` is at the accumulator exponent (input exponent + weight exponent).
pub fn fp_tile(g: &LayerGeom, input: &[i8], weights: &[i8], bias: &[i32], q: &Requant, tile: &Tile) -> FpTile<i8> {
    debug_assert!(tile.fits(g.output), "FP tile {tile:?} outside the {} output", g.output);
    let conv_rows = g.conv_rows(&tile.rows);
    let acc = conv::fp_acc(g, input, weights, tile.channels.clone(), conv_rows.clone());
    let (_, wc) = g.covered();
    let ow = g.conv_out.w;
    let nrows = conv_rows.len();
    let mut z = vec![0i8; acc.len()];
    let mut max = 0u64;
    for (i, oc) in tile.channels.clone().enumerate() {
        for (ri, oy) in conv_rows.clone().enumerate() {
            for ox in 0..wc {
                let j = (i * nrows + ri) * ow + ox;
                let a = acc[j] as i64 + bias[oc] as i64;
                max = max.max(a.unsigned_abs());
                z[j] = q.apply(a, g.conv_out.index(oc, oy, ox));
            }
        }
    }
    let (out, mask, kept) = route::relu_pool(g, &z, tile.channels.len(), nrows);
    FpTile { tile: tile.clone(), out, conv_rows, mask, kept, max_abs_acc: max }
}

/// FP of the last layer: the logits stay wide (accumulator + bias, exponent = input + weight).
pub fn fp_logits(g: &LayerGeom, input: &[i8], weights: &[i8], bias: &[i32]) -> Vec<i64> {
    let acc = conv::fp_acc(g, input, weights, 0..g.conv_out.c, 0..g.conv_out.h);
    let plane = g.conv_out.h * g.conv_out.w;
    acc.iter().enumerate().map(|(i, &a)| a as i64 + bias[i / plane] as i64).collect()
}

/// BP of one tile of the layer's input error from the full conv-output error `delta_z`.
pub fn bp_tile(g: &LayerGeom, delta_z: &[i8], weights: &[i8], q: &Requant, tile: &Tile) -> BpTile<i8> {
    debug_assert!(tile.fits(g.input), "BP tile {tile:?} outside the {} input", g.input);
    let acc = conv::bp_acc(g, delta_z, weights, tile.channels.clone(), tile.rows.clone());
    let iw = g.input.w;
    let nrows = tile.rows.len();
    let mut out = vec![0i8; acc.len()];
    let mut max = 0u64;
    for (i, ci) in tile.channels.clone().enumerate() {
        for (ri, iy) in tile.rows.clone().enumerate() {
            for ix in 0..iw {
                let j = (i * nrows + ri) * iw + ix;
                max = max.max(acc[j].unsigned_abs() as u64);
                out[j] = q.apply(acc[j] as i64, g.input.index(ci, iy, ix));
            }
        }
    }
    BpTile { tile: tile.clone(), out, max_abs_acc: max }
}

/// WG of one sample for a range of filters: exact i32 gradients (exponent = input exponent +
/// conv-output error exponent), to be added into the mini-batch accumulators.
pub fn wg_tile(g: &LayerGeom, input: &[i8], delta_z: &[i8], filters: Range<usize>) -> WgTile<i32> {
    let (weights, bias) = conv::wg_acc(g, input, delta_z, filters.clone());
    WgTile { filters, weights, bias }
}
