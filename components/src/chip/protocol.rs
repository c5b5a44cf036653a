//! The `ctrl` protocol between the training controller and the cores: tasks, their
//! completion, and the one-time setup of the update core.

use std::ops::Range;

use train_math::kernels::int8::Requant;
use train_math::{Int8Model, LayerGeom, Optimizer, Rounding, RoundingStream, StepStats};

use crate::mem::Cause;

/// A contiguous range of the chip's memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub addr: u64,
    pub bytes: u32,
}

impl Region {
    pub fn new(addr: u64, bytes: usize) -> Self {
        Region { addr, bytes: u32::try_from(bytes).expect("a region fits in 4 GiB") }
    }

    /// The part `[offset, offset + bytes)` of this region.
    pub fn slice(&self, offset: usize, bytes: usize) -> Region {
        assert!(offset + bytes <= self.bytes as usize, "slice beyond its region");
        Region::new(self.addr + offset as u64, bytes)
    }
}

/// One unit of work for a core. Every operand is named by its place in memory; the core
/// reads the bytes, computes with `train-math`, writes the results, and reports `Done`.
#[derive(Clone, Debug)]
pub struct Task {
    pub id: u64,
    pub cause: Cause,
    pub op: Op,
    /// The data-set index of the sample the task works on (none for per-step tasks: setup,
    /// reduce, weight update). Only timelines read it.
    pub sample: Option<u32>,
}

/// What to compute. Tensors are CHW; weights (Cout, Cin, Kh, Kw) i8; biases i32
/// little-endian; masks packed one bit per conv output in CHW order.
#[derive(Clone, Debug)]
pub enum Op {
    /// FP of output channels `channels` of a conv layer (all rows): pooled output, and the
    /// mask (masking) or the post-ReLU conv outputs (activation path) of those channels.
    ConvFp {
        geom: LayerGeom,
        channels: Range<usize>,
        input: Region,
        weights: Region,
        bias: Region,
        out: Region,
        keep: Region,
        masking: bool,
        requant: Requant,
    },
    /// BP through pool and ReLU of `channels`: the error at the conv outputs (`dz`) from the
    /// error at the layer output and the mask (or kept activations).
    Route { geom: LayerGeom, channels: Range<usize>, delta_out: Region, keep: Region, masking: bool, dz: Region },
    /// Error propagation to input channels `channels` of the layer (all rows); reads the whole
    /// `dz` and the whole layer's weights.
    Bp { geom: LayerGeom, channels: Range<usize>, dz: Region, weights: Region, out: Region, requant: Requant },
    /// The last layer's FP: wide logits (i64 little-endian).
    Logits { geom: LayerGeom, input: Region, weights: Region, bias: Region, out: Region },
    /// Softmax cross-entropy: the 8-bit output error, and the loss for the metrics.
    Loss {
        logits: Region,
        classes: usize,
        label: usize,
        logits_exp: i32,
        err_exp: i32,
        rounding: Rounding,
        stream: RoundingStream,
        delta: Region,
    },
    /// Weight gradients of filters `filters` for one sample, added to the update core's sums.
    Wg { geom: LayerGeom, filters: Range<usize>, input: Region, dz: Region },
    /// Data-parallel training: all-reduce the gradient sums of `layers` with the other
    /// chips (and, with `stats`, the step's scale statistics, by maximum); the sums are
    /// replaced by the totals over every chip. `tag` is the same on every chip; `pad` zero
    /// elements are appended (the barrier after the last step all-reduces one per chip).
    Reduce { layers: Range<usize>, stats: Option<StepStats>, tag: u64, pad: usize },
    /// Before the first task: the update core takes the model (master weights and
    /// exponents) and writes the 8-bit copies to memory.
    Setup(Box<Setup>),
    /// The step boundary: weight update of every layer from the summed gradients, new
    /// exponents, new 8-bit weights written to memory.
    Wu {
        stats: StepStats,
        batch: usize,
        optimizer: Optimizer,
        seed: u64,
        step: u64,
        weights: Vec<(Region, Region)>,
        epoch_end: Option<usize>,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::ConvFp { .. } => "conv_fp",
            Op::Route { .. } => "route",
            Op::Bp { .. } => "bp",
            Op::Logits { .. } => "logits",
            Op::Loss { .. } => "loss",
            Op::Wg { .. } => "wg",
            Op::Setup(_) => "setup",
            Op::Wu { .. } => "wu",
            Op::Reduce { .. } => "reduce",
        }
    }
}

/// The exponents the controller needs to build a step's tasks (from the update core).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantParams {
    pub fp_shift: Vec<i32>,
    pub bp_shift: Vec<i32>,
    pub logits_exp: i32,
    pub loss_err_exp: i32,
}

impl QuantParams {
    pub fn of(m: &Int8Model) -> Self {
        let n = m.layers.len();
        QuantParams {
            fp_shift: (0..n - 1).map(|l| m.fp_shift(l)).collect(),
            bp_shift: (0..n).map(|l| if l == 0 { 0 } else { m.bp_shift(l) }).collect(),
            logits_exp: m.acc_exp(n - 1),
            loss_err_exp: m.quant.err_exp[n - 1],
        }
    }
}

/// What a core reports when a task is done.
#[derive(Clone, Debug, Default)]
pub struct Done {
    pub id: u64,
    /// max |accumulator| of an FP or BP tile (the step's scale statistics).
    pub max_abs_acc: u64,
    /// Loss task: (loss, predicted class, max |delta|).
    pub loss: Option<(f64, usize, f64)>,
    /// Setup and WU: the exponents of the next step.
    pub quant: Option<QuantParams>,
    /// Cycles the core's datapath was busy on the task.
    pub busy_cycles: u64,
    /// Reduce with statistics: the step's statistics over every chip.
    pub stats: Option<StepStats>,
}

/// The controller hands the update core its model before the first task: the master
/// weights and exponents (pre-trained or fresh), and where the 8-bit copies live.
#[derive(Clone, Debug)]
pub struct Setup {
    pub model: Int8Model,
    pub geoms: Vec<LayerGeom>,
    pub weights: Vec<(Region, Region)>,
}
