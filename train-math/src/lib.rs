//! # train-math: the training math of the tasim chip
//!
//! Tensors, 8-bit dynamic fixed point, conv / ReLU / max-pool / FC / softmax cross-entropy,
//! and their forward (FP), error-propagation (BP), weight-gradient (WG) and weight-update (WU)
//! kernels, in an f32 reference mode and the chip's int8 mode. No simulation, no file IO.
//!
//! ## How the types relate
//! * [`ModelSpec`] (layers as written) → [`ModelSpec::geometry`] → one [`LayerGeom`] per
//!   layer: shapes, MAC counts ([`LayerGeom::fp_tile_macs`] …) and tensor sizes.
//! * [`kernels`]: pure tile functions over slices. [`kernels::int8`] is what the simulated
//!   cores call; [`kernels::float`] is the reference. Tile results are placed into whole-layer
//!   [`LayerFp`] buffers / error tensors, and WG tiles are summed into [`GradAccum`]s.
//! * [`Int8Model`]: per layer the master weights ([`MasterTensor`], wider, update path only)
//!   and their 8-bit copies; plus the [`QuantState`] (every tensor's exponent, fixed during a
//!   step). [`FloatModel`] is the f32 counterpart.
//! * [`step`] chains the kernels for one sample; [`Trainer`] runs epochs of mini-batch steps
//!   with whole-layer tiles. The same functions with another [`Tiling`] give identical bytes.
//! * [`data`]: the synthetic handwriting set, the embedded UCI digits and IDX parsing;
//!   [`npy`] for weights; [`storage_report`] for the masking figures.
//!
//! ## The step sequence (what the chip controller schedules)
//! For every mini-batch (step `t`), with `m: Int8Model` and `geoms` fixed for the step:
//! 1. For each sample `s` (any order; `key = SampleKey { seed, step: t, sample: s }`):
//!    * **FP**, layer `l = 0 .. L-2` (propagation cores), any output tiles:
//!      `int8::fp_tile(g, input, &m.layers[l].w, &m.layers[l].b, &Requant { shift:
//!      m.fp_shift(l), rounding, stream: key.stream(l, Activation) }, &tile)` → pooled
//!      activations (next input) + 1-bit masks; `stats.act_max[l] = max(.., tile.max_abs_acc)`.
//!    * **FC / logits**, layer `L-1` (update core): `int8::fp_logits(..)` → wide logits.
//!    * **Loss**: `loss::loss_i8(logits, m.acc_exp(L-1), label, m.quant.err_exp[L-1], ..)` →
//!      8-bit error; `stats.loss_max = max(.., out.max_abs_delta)`.
//!    * **BP**, `l = L-1 .. 0`: `route::route_mask(g, delta_out, &mask, channels)` gives the
//!      conv-output error `dz` (identity for the last layer; every BP tile reads all of `dz`,
//!      a WG tile only its filters' channels); for `l > 0`,
//!      `int8::bp_tile(g, &dz, &m.layers[l].w, &Requant { shift: m.bp_shift(l), stream:
//!      key.stream(l, Error), .. }, &tile)` gives the error of the layer input;
//!      `stats.err_max[l-1] = max(.., tile.max_abs_acc)`.
//!    * **WG** (update core), any filter ranges: `grads[l].add(g, &int8::wg_tile(g, input,
//!      &dz, filters))` (i64 sums: order-free).
//! 2. **WU + step boundary**: `m.end_step(&grads, &stats, batch_len, &opt, seed, t)` with
//!    `opt = config.optimizer.at_epoch(epoch)` — per layer [`Int8Layer::update`] (masters, new
//!    8-bit copy), then new exponents from the step's maxima, then bias copies at the new
//!    accumulator exponents. `t` counts mini-batches over the whole run (it keys rounding).
//!
//! Sample order: epoch `e` visits the training set in [`Trainer::epoch_order`]`(e, n)`, in
//! consecutive mini-batches of `batch_size` (the last one may be smaller).
//!
//! Tile results go to their place with [`LayerFp::place`] (FP) and [`buffers::place_bp`] (BP);
//! tiles may be any channel/row ranges, computed in any order. Per-tile work and traffic:
//! [`LayerGeom::fp_tile_macs`] / [`LayerGeom::fp_tile_bytes`] and their `bp_` / `wg_` twins.
//!
//! Starting state: `Trainer::new(&spec, config)` (or [`Trainer::with_weights`]), then
//! [`Trainer::prepare`]`(&train)`, which gives a fresh int8 model its first exponents
//! ([`calibrate::calibrate`] on the first mini-batch); the model is then
//! `ModelState::Int8(m)` in [`Trainer::state`]. The test
//! `equivalence::documented_step_sequence_reproduces_the_trainer` is this sequence written out
//! with the kernels, and checks it against [`Trainer::train_epoch`] byte for byte.
//!
//! ```
//! use train_math::*;
//! let spec = ModelSpec {
//!     name: "tiny".into(),
//!     input: Shape3::new(1, 8, 8),
//!     classes: 10,
//!     layers: vec![
//!         LayerSpec { kind: LayerKind::Conv { out_channels: 4, kernel: 3, stride: 1, padding: 1 }, relu: true, pool: Some(2) },
//!         LayerSpec { kind: LayerKind::Fc { out: 10 }, relu: false, pool: None },
//!     ],
//! };
//! let config = TrainConfig {
//!     batch_size: 8,
//!     optimizer: Optimizer::sgd(0.1, 0.9, 0.0),
//!     precision: Precision::Int8(Int8Config { master_bits: 16, rounding: Rounding::Stochastic }),
//!     bp_path: BpPath::Mask,
//!     seed: 1,
//! };
//! let data = data::uci::embedded();
//! let mut trainer = Trainer::new(&spec, config).unwrap();
//! let first = trainer.evaluate(&data.test).unwrap().accuracy;
//! trainer.train_epoch(&data.train).unwrap();
//! assert!(trainer.evaluate(&data.test).unwrap().accuracy > first + 0.3);
//! ```
//!
//! ## How int8 scales and rounding are decided
//! * Every tensor has a power-of-two exponent: real = `q * 2^e`, `q` in `[-127, 127]`.
//!   Inputs: pixel `p` → `p >> 1` at `e = -7`.
//! * Weights: after each WU, the copy exponent is the finest at which the layer's largest
//!   master value fits in 127 (round to nearest even).
//! * Activations and errors: the exponent used during step `t` is chosen at the end of step
//!   `t - 1` as the finest that holds the largest accumulator seen in step `t - 1` (max over
//!   all tiles and samples; [`fixed::exponent_for_max`]). Tiles report partial maxima.
//! * Accumulators are i32 (checked at load time never to overflow); mini-batch gradient sums
//!   are i64; requantisation rounds to nearest-even or stochastically, then saturates.
//! * Stochastic rounding reads a counter-based stream keyed by (seed, step, sample, layer,
//!   tensor kind) at the element's index in the whole tensor ([`RoundingStream`]).

pub mod buffers;
pub mod calibrate;
pub mod data;
pub mod detmath;
pub mod error;
pub mod fixed;
pub mod kernels;
pub mod model;
pub mod npy;
pub mod rng;
pub mod spec;
pub mod step;
pub mod storage;
pub mod tensor;
pub mod trainer;
pub mod update;
pub mod weights;

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod gradcheck;

pub use buffers::{GradAccum, LayerFp};
pub use error::Error;
pub use fixed::Rounding;
pub use model::{BpPath, FloatModel, Int8Config, Int8Layer, Int8Model, Precision, QuantState, StepStats, TrainConfig};
pub use rng::{RoundingStream, TensorKind};
pub use spec::{LayerGeom, LayerKind, LayerSizes, LayerSpec, ModelSpec, SpecError, TileBytes};
pub use step::{SampleKey, Tiling, WholeLayer};
pub use storage::{storage_report, StorageReport};
pub use tensor::{MaskBits, Shape3, Tile};
pub use trainer::{EpochMetrics, Evaluation, ModelState, Trainer};
pub use update::{MasterTensor, Optimizer};
pub use weights::{Int8Snapshot, LayerWeights, Weights};
