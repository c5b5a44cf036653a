//! Float tile kernels (f32 reference; f64 for gradient checks). Same shapes and tiles as
//! [`super::int8`], without quantisation.

use super::{conv, route, BpTile, FpTile, Real, WgTile};
use crate::spec::LayerGeom;
use crate::tensor::Tile;
use std::ops::Range;

/// FP of one output tile: conv + bias, ReLU, max-pool, masks.
pub fn fp_tile<T: Real>(g: &LayerGeom, input: &[T], weights: &[T], bias: &[T], tile: &Tile) -> FpTile<T> {
    debug_assert!(tile.fits(g.output), "FP tile {tile:?} outside the {} output", g.output);
    let conv_rows = g.conv_rows(&tile.rows);
    let mut z = conv::fp_acc(g, input, weights, tile.channels.clone(), conv_rows.clone());
    let (_, wc) = g.covered();
    let ow = g.conv_out.w;
    let nrows = conv_rows.len();
    for (i, oc) in tile.channels.clone().enumerate() {
        for ri in 0..nrows {
            for v in &mut z[(i * nrows + ri) * ow..][..wc] {
                *v += bias[oc];
            }
        }
    }
    let (out, mask, kept) = route::relu_pool(g, &z, tile.channels.len(), nrows);
    FpTile { tile: tile.clone(), out, conv_rows, mask, kept, max_abs_acc: 0 }
}

/// FP of the last layer: the logits.
pub fn fp_logits<T: Real>(g: &LayerGeom, input: &[T], weights: &[T], bias: &[T]) -> Vec<T> {
    let acc = conv::fp_acc(g, input, weights, 0..g.conv_out.c, 0..g.conv_out.h);
    let plane = g.conv_out.h * g.conv_out.w;
    acc.iter().enumerate().map(|(i, &a)| a + bias[i / plane]).collect()
}

/// BP of one tile of the layer's input error.
pub fn bp_tile<T: Real>(g: &LayerGeom, delta_z: &[T], weights: &[T], tile: &Tile) -> BpTile<T> {
    debug_assert!(tile.fits(g.input), "BP tile {tile:?} outside the {} input", g.input);
    let out = conv::bp_acc(g, delta_z, weights, tile.channels.clone(), tile.rows.clone());
    BpTile { tile: tile.clone(), out, max_abs_acc: 0 }
}

/// WG of one sample for a range of filters.
pub fn wg_tile<T: Real>(g: &LayerGeom, input: &[T], delta_z: &[T], filters: Range<usize>) -> WgTile<T> {
    let (weights, bias) = conv::wg_acc(g, input, delta_z, filters.clone());
    WgTile { filters, weights, bias }
}
