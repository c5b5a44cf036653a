//! The kernel layer: pure functions over slices, shapes and explicit quantisation parameters.
//!
//! This is what the simulated cores call, tile by tile, and what the standalone trainer is
//! composed of. A tile must lie inside its tensor ([`Tile::fits`]); that is the caller's
//! contract, checked in debug builds. [`conv`] holds the generic multiply-accumulate loops, [`route`] the fused
//! ReLU + max-pool stage and its mask/activation backward paths, [`loss`] softmax
//! cross-entropy, [`int8`] and [`float`] the per-mode tile functions built on them.

pub mod conv;
pub mod float;
mod gemm;
pub mod int8;
pub mod loss;
#[cfg(any(test, feature = "bench-reference"))]
pub mod reference;
pub mod route;

pub use loss::LossOut;

use crate::tensor::{Element, MaskBits, Tile};
use std::ops::Range;

/// A float type of the reference path (f32 for training, f64 for gradient checks).
pub trait Real:
    Element<Acc = Self>
    + std::ops::Add<Output = Self>
    + std::ops::AddAssign
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// What FP of one tile of a layer's output produces.
#[derive(Clone, Debug, PartialEq)]
pub struct FpTile<T> {
    /// The tile of the layer output (pooled channels x rows).
    pub tile: Tile,
    /// Output values of the tile, compact: channels x rows x output width.
    pub out: Vec<T>,
    /// Conv-output rows the tile covered (its mask / kept-activation region).
    pub conv_rows: Range<usize>,
    /// Mask bits of the region channels x conv_rows x conv width (empty without ReLU/pool).
    pub mask: MaskBits,
    /// Post-ReLU conv outputs of the same region (what the activation path keeps).
    pub kept: Vec<T>,
    /// max |accumulator + bias| over the tile, in accumulator units (0 in float mode): the
    /// partial statistic for the next step's output scale.
    pub max_abs_acc: u64,
}

/// What BP of one tile of a layer's input error produces.
#[derive(Clone, Debug, PartialEq)]
pub struct BpTile<T> {
    /// The tile of the layer *input* (channels x rows).
    pub tile: Tile,
    /// Error values of the tile, compact: channels x rows x input width.
    pub out: Vec<T>,
    /// max |accumulator| over the tile, in accumulator units (0 in float mode).
    pub max_abs_acc: u64,
}

/// What WG of one sample and a range of filters produces.
#[derive(Clone, Debug, PartialEq)]
pub struct WgTile<A> {
    pub filters: Range<usize>,
    /// Weight gradients of the filters, laid out like the weights.
    pub weights: Vec<A>,
    pub bias: Vec<A>,
}
