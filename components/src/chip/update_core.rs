//! `update_core`: weight gradients, the modified weight update, and the fully connected
//! layer. It holds the model's master weights (wider than 8 bits, in the update path only)
//! and the mini-batch gradient sums in its local memory; the 8-bit copies the datapath uses
//! live in the chip's memory, rewritten after every update.
//!
//! - `wg`: weight gradients of a filter range for one sample, added to the local sums
//!   ("large window" dataflow: gradient elements stationary in the PEs, inputs and errors
//!   streaming past them).
//! - `wu`: the step boundary of `train_math` (`Int8Model::end_step`): masters updated from the
//!   sums, new 8-bit copies and exponents; the copies are written to memory.
//! - `logits`, `loss`, `bp` of the last (fully connected) layer.
//!
//! The trained model leaves the simulation through a [`TrainingSink`] (end of every epoch
//! and at the end of the run), which the edge reads after the run; nothing inside the
//! simulation reads it.

use std::sync::{Arc, Mutex};

use crate::param::{Declared, ParamDecl, Range};

use serde::Deserialize;
use sim_core::StatsWriter;
use train_math::kernels::{int8, loss};
use train_math::{GradAccum, Int8Model, LayerGeom, StepStats};

use crate::multichip::Collective;

use super::core::{shared_params, validate_core, CoreEnergy, Datapath, Executed};
use super::dataflow::{Array, Work};
use super::datapath_common::*;
use super::protocol::{Done, Op, QuantParams, Region};
use crate::cost::area::PeWidths;

/// What the update core hands out: the model at the end of each epoch and at the end.
#[derive(Clone, Debug, Default)]
pub struct TrainingResult {
    /// (epoch number from 1, model after it).
    pub epochs: Vec<(usize, Int8Model)>,
    pub last: Option<Int8Model>,
}

pub type TrainingSink = Arc<Mutex<TrainingResult>>;

/// Parameters (YAML `params` of an `update_core`).
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateCoreParams {
    pub clock: String,
    /// PE array (8×8 = 64 PEs; see `propagation_core`).
    pub pe_rows: u32,
    pub pe_cols: u32,
    /// PE widths: multiplier operands and accumulator, bits (8 and 32: the int8 kernels).
    pub pe_operand_bits: u32,
    pub pe_accumulator_bits: u32,
    /// Local memory for master weights, momentum and gradient sums. 64 KiB holds the
    /// paper-cnn's 3,818 parameters (16-bit masters, 32-bit momentum, 64-bit sums: 53 KiB).
    pub local_kib: f64,
    /// Operand buffer for a task's inputs read from memory.
    pub operand_buffer_kib: f64,
    /// Vector-unit operations per class of the softmax cross-entropy (exp, sum, divide,
    /// subtract), and per parameter of the weight update (momentum, decay, step, re-quantise).
    pub loss_ops_per_class: u32,
    pub wu_ops_per_param: u32,
    /// Load the next task's operands while computing, write results while the next task
    /// computes (two sets of buffers).
    pub double_buffer: bool,
    pub max_outstanding: u32,
    pub request_bytes: u32,
    pub energy: CoreEnergy,
}

impl Declared for UpdateCoreParams {
    const PARAMS: &'static [ParamDecl] = &[
        shared_params::CLOCK,
        shared_params::PE_ROWS,
        shared_params::PE_COLS,
        shared_params::PE_OPERAND_BITS,
        shared_params::PE_ACCUMULATOR_BITS,
        ParamDecl {
            name: "local_kib",
            default: "64.0",
            range: shared_params::KIB,
            doc: "master weights, momentum, gradient sums: 64 KiB holds the paper-cnn's 53 KiB",
        },
        ParamDecl {
            name: "operand_buffer_kib",
            default: "4.0",
            range: shared_params::KIB,
            doc: "operand buffer for a task's inputs",
        },
        ParamDecl {
            name: "loss_ops_per_class",
            default: "8",
            range: Range::count(0, 1 << 20),
            doc: "vector operations per class of softmax cross-entropy (exp, sum, divide, subtract)",
        },
        ParamDecl {
            name: "wu_ops_per_param",
            default: "6",
            range: Range::count(0, 1 << 20),
            doc: "vector operations per parameter of the weight update",
        },
        shared_params::DOUBLE_BUFFER,
        shared_params::MAX_OUTSTANDING,
        shared_params::REQUEST_BYTES,
        shared_params::ENERGY,
    ];
}

impl Default for UpdateCoreParams {
    fn default() -> Self {
        UpdateCoreParams {
            clock: "core_clk".into(),
            pe_rows: 8,
            pe_cols: 8,
            pe_operand_bits: 8,
            pe_accumulator_bits: 32,
            local_kib: 64.0,
            operand_buffer_kib: 4.0,
            loss_ops_per_class: 8,
            wu_ops_per_param: 6,
            double_buffer: true,
            max_outstanding: 4,
            request_bytes: 256,
            energy: CoreEnergy::default(),
        }
    }
}

impl UpdateCoreParams {
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let buffers = [("local_kib", self.local_kib), ("operand_buffer_kib", self.operand_buffer_kib)];
        validate_core(self.pe_rows, self.pe_cols, self.widths(), &buffers, self.max_outstanding, self.request_bytes)
    }

    pub fn array(&self) -> Array {
        Array { rows: u64::from(self.pe_rows), cols: u64::from(self.pe_cols) }
    }

    pub fn widths(&self) -> PeWidths {
        PeWidths { operand_bits: self.pe_operand_bits, accumulator_bits: self.pe_accumulator_bits }
    }
}

pub struct UpdateDatapath {
    local_bytes: usize,
    operand_bytes: usize,
    loss_ops: u64,
    wu_ops: u64,
    model: Option<Int8Model>,
    geoms: Vec<LayerGeom>,
    grads: Vec<GradAccum<i64>>,
    /// Reduces waiting for their all-reduce: (tag, layers).
    reducing: Vec<(u64, std::ops::Range<usize>)>,
    sink: TrainingSink,
}

/// The all-reduce vector of `grads` (each layer's weight sums, then its bias sums) and, with
/// `stats`, the statistics after them (act_max, err_max, then loss_max as its f64 bits: for
/// non-negative floats the bit patterns order as the values, so the maximum is exact).
pub fn pack_gradients(grads: &[GradAccum<i64>], stats: Option<&StepStats>, tag: u64) -> Collective {
    let mut data: Vec<i64> = Vec::new();
    for g in grads {
        data.extend(&g.weights);
        data.extend(&g.bias);
    }
    let sum_len = data.len();
    if let Some(s) = stats {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        data.extend(s.act_max.iter().map(|&v| clamp(v)));
        data.extend(s.err_max.iter().map(|&v| clamp(v)));
        data.push(i64::try_from(s.loss_max.max(0.0).to_bits()).unwrap_or(i64::MAX));
    }
    Collective { tag, elements: data.len(), sum_len, data: Some(data) }
}

/// Writes an all-reduced vector back into `grads`; the statistics, if it carries them, for a
/// model of `layers` layers.
pub fn unpack_gradients(
    grads: &mut [GradAccum<i64>],
    c: &Collective,
    layers: usize,
) -> Result<Option<StepStats>, String> {
    let data = c.data.as_ref().ok_or("an all-reduce answer without data")?;
    let mut at = 0;
    for g in grads.iter_mut() {
        let (w, b) = (g.weights.len(), g.bias.len());
        let src = data.get(at..at + w + b).ok_or("an all-reduce answer shorter than the gradients")?;
        g.weights.copy_from_slice(&src[..w]);
        g.bias.copy_from_slice(&src[w..]);
        at += w + b;
    }
    if at == data.len() {
        return Ok(None);
    }
    let rest = &data[at..];
    if rest.len() != 2 * layers + 1 {
        return Err("an all-reduce answer of the wrong length".into());
    }
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Some(StepStats {
        act_max: rest[..layers].iter().map(|&v| u(v)).collect(),
        err_max: rest[layers..2 * layers].iter().map(|&v| u(v)).collect(),
        loss_max: f64::from_bits(u(rest[2 * layers])),
    }))
}

/// Local memory a model needs: masters (`master_bits`, rounded up to bytes), 32-bit momentum
/// and 64-bit gradient sums per parameter.
pub fn local_bytes_needed(geoms: &[LayerGeom], master_bits: u32) -> usize {
    let params: usize = geoms.iter().map(|g| g.weight_len() + g.conv_out.c).sum();
    params * ((master_bits as usize).div_ceil(8) + 4 + 8)
}

impl UpdateDatapath {
    pub fn new(p: &UpdateCoreParams, sink: TrainingSink) -> Self {
        let kib = |v: f64| (v * 1024.0) as usize;
        UpdateDatapath {
            local_bytes: kib(p.local_kib),
            operand_bytes: kib(p.operand_buffer_kib),
            loss_ops: u64::from(p.loss_ops_per_class),
            wu_ops: u64::from(p.wu_ops_per_param),
            model: None,
            geoms: Vec::new(),
            grads: Vec::new(),
            reducing: Vec::new(),
            sink,
        }
    }

    fn model(&mut self) -> Result<&mut Int8Model, String> {
        self.model.as_mut().ok_or_else(|| "a task before the model was set up".to_string())
    }

    fn operand_fit(&self, op: &Op, bytes: usize) -> Result<(), String> {
        if bytes > self.operand_bytes {
            return Err(format!(
                "`{}` needs {:.2} KiB of operand buffer but `operand_buffer_kib` is {:.2} KiB; raise `operand_buffer_kib`",
                op.name(),
                bytes as f64 / 1024.0,
                self.operand_bytes as f64 / 1024.0
            ));
        }
        Ok(())
    }

    fn weight_writes(m: &Int8Model, weights: &[(Region, Region)]) -> Vec<(u64, Vec<u8>)> {
        m.layers.iter().zip(weights).flat_map(|(l, (w, b))| [(w.addr, u8s(&l.w)), (b.addr, i32_bytes(&l.b))]).collect()
    }
}

impl Datapath for UpdateDatapath {
    fn storage(&self) -> Vec<(&'static str, usize)> {
        vec![(super::core::LOCAL_MEMORY, self.local_bytes), ("operand_buffer", self.operand_bytes)]
    }

    fn operands(&self, op: &Op) -> Result<Vec<Region>, String> {
        let regions = match op {
            Op::Setup(s) => {
                let need = local_bytes_needed(&s.geoms, s.model.config.master_bits);
                if need > self.local_bytes {
                    return Err(format!(
                        "the model does not fit the chip: its master weights, momentum and gradient sums need {:.1} KiB of update-core memory, but `local_kib` is {:.1} KiB",
                        need as f64 / 1024.0,
                        self.local_bytes as f64 / 1024.0
                    ));
                }
                vec![]
            }
            Op::Logits { input, weights, bias, .. } => vec![*input, *weights, *bias],
            Op::Loss { logits, .. } => vec![*logits],
            Op::Bp { dz, weights, .. } => vec![*dz, *weights],
            Op::Wg { geom: g, filters, input, dz } => {
                let plane = conv_plane(g);
                vec![*input, dz.slice(filters.start * plane, filters.len() * plane)]
            }
            Op::Wu { .. } | Op::Reduce { .. } => vec![],
            other => return Err(unsupported("update core", other)),
        };
        self.operand_fit(op, regions.iter().map(|r| r.bytes as usize).sum())?;
        Ok(regions)
    }

    fn execute(&mut self, op: Op, ops: Vec<Vec<u8>>, array: Array) -> Result<Executed, String> {
        match op {
            Op::Setup(s) => {
                let writes = Self::weight_writes(&s.model, &s.weights);
                self.grads = s.geoms.iter().map(GradAccum::zeros).collect();
                let quant = QuantParams::of(&s.model);
                let params: u64 = s.geoms.iter().map(|g| (g.weight_len() + g.conv_out.c) as u64).sum();
                self.geoms = s.geoms;
                self.model = Some(s.model);
                let work = array.vector(params, 1);
                Ok(Executed {
                    exchange: None,
                    writes,
                    work,
                    done: Done { quant: Some(quant), ..Done::default() },
                    local_bytes: 0,
                })
            }
            Op::Logits { geom: g, out, .. } => {
                let logits = int8::fp_logits(&g, &i8s(&ops[0]), &i8s(&ops[1]), &i32s(&ops[2]));
                let work = array.fully_connected(g.conv_out.c as u64, g.fan_in() as u64, g.fp_macs());
                Ok(Executed {
                    exchange: None,
                    writes: vec![(out.addr, i64_bytes(&logits))],
                    work,
                    done: Done::default(),
                    local_bytes: 0,
                })
            }
            Op::Loss { classes, label, logits_exp, err_exp, rounding, stream, delta, .. } => {
                let o = loss::loss_i8(&i64s(&ops[0]), logits_exp, label, err_exp, rounding, &stream);
                let work = array.vector(classes as u64, self.loss_ops);
                let done = Done { loss: Some((o.loss, o.predicted, o.max_abs_delta)), ..Done::default() };
                Ok(Executed { exchange: None, writes: vec![(delta.addr, u8s(&o.delta))], work, done, local_bytes: 0 })
            }
            Op::Bp { geom: g, channels, out, requant, .. } => {
                Ok(bp(&g, channels, &ops[0], &ops[1], &requant, out.addr, array))
            }
            Op::Wg { geom: g, filters, .. } => {
                let plane = conv_plane(&g);
                let dz = placed(g.conv_out.len(), filters.start * plane, &i8s(&ops[1]));
                let t = int8::wg_tile(&g, &i8s(&ops[0]), &dz, filters.clone());
                let grads = self.grads.get_mut(g.index).ok_or("a gradient task for a layer the model does not have")?;
                grads.add(&g, &t);
                let elements = (t.weights.len() + t.bias.len()) as u64;
                let (hc, wc) = g.covered();
                let work = array.gradient_stationary(elements, (hc * wc) as u64, g.wg_tile_macs(&filters));
                // Each sum is read, added to and written back (8 bytes each way).
                Ok(Executed { exchange: None, writes: vec![], work, done: Done::default(), local_bytes: 16 * elements })
            }
            Op::Wu { stats, batch, optimizer, seed, step, weights, epoch_end } => {
                let grads = std::mem::take(&mut self.grads);
                let m = self.model()?;
                m.end_step(&grads, &stats, batch, &optimizer, seed, step);
                let master_bytes = u64::from(m.config.master_bits.div_ceil(8));
                let writes = Self::weight_writes(m, &weights);
                let quant = QuantParams::of(m);
                let snapshot = epoch_end.map(|e| (e, m.clone()));
                let params: u64 = self.geoms.iter().map(|g| (g.weight_len() + g.conv_out.c) as u64).sum();
                self.grads = grads;
                self.grads.iter_mut().for_each(GradAccum::clear);
                if let Some(s) = snapshot {
                    self.sink.lock().expect("sink lock").epochs.push(s);
                }
                let work: Work = array.vector(params, self.wu_ops);
                // Masters, momentum and sums each read and written once per parameter.
                let local_bytes = 2 * params * (master_bytes + 4 + 8);
                Ok(Executed {
                    exchange: None,
                    writes,
                    work,
                    done: Done { quant: Some(quant), ..Done::default() },
                    local_bytes,
                })
            }
            Op::Reduce { layers, stats, tag, pad } => {
                let grads = self.grads.get(layers.clone()).ok_or("a reduce of layers the model does not have")?;
                let mut c = pack_gradients(grads, stats.as_ref(), tag);
                if pad > 0 {
                    let d = c.data.get_or_insert_with(Vec::new);
                    d.extend(std::iter::repeat_n(0, pad));
                    // Zeros are neutral for the sums and for the maxima (all non-negative).
                    c.elements += pad;
                }
                let n = c.elements as u64;
                // The sums are read out of local memory (8 bytes each) at the vector rate.
                let work = array.vector(n, 1);
                self.reducing.push((tag, layers));
                Ok(Executed { exchange: Some(c), writes: vec![], work, done: Done::default(), local_bytes: 8 * n })
            }
            other => Err(unsupported("update core", &other)),
        }
    }

    const EXCHANGES: bool = true;

    fn exchanged(&mut self, c: Collective, done: &mut Done) -> Result<(), String> {
        let k = self.reducing.iter().position(|(t, _)| *t == c.tag).ok_or("an all-reduce answer for no reduce")?;
        let (_, layers) = self.reducing.remove(k);
        if layers.is_empty() {
            return Ok(());
        }
        let n = self.geoms.len();
        let grads = self.grads.get_mut(layers).ok_or("a reduce of layers the model does not have")?;
        done.stats = unpack_gradients(grads, &c, n)?;
        Ok(())
    }

    fn finish(&mut self, _stats: &mut StatsWriter<'_>) {
        if let Some(m) = &self.model {
            self.sink.lock().expect("sink lock").last = Some(m.clone());
        }
    }
}
