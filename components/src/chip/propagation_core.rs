//! `propagation_core`: forward and backward propagation of conv layers on a PE array, with
//! the masking scheme. Stateless between tasks: every operand comes from memory and every
//! result goes back to it; the math is `train_math::kernels::int8`, unchanged.
//!
//! - `conv_fp`: conv + bias, requantise, ReLU, 2×2 max-pool, and either the 1-bit masks
//!   ("positive and chosen by the pool") or the post-ReLU activations for BP.
//! - `route`: BP through pool and ReLU, from the mask alone (or the kept activations).
//! - `bp`: error propagation (transposed conv) to a range of input channels.
//!
//! Timing: output-stationary `pe_rows × pe_cols` array (see [`super::dataflow`]); routing on
//! a `pe_cols`-lane vector unit. Local buffers (input, weight, output) must hold a task's
//! operands and results: a task that does not fit stops the run with the parameter to raise.

use serde::Deserialize;

use crate::param::{Declared, ParamDecl, Range};
use train_math::kernels::int8;
use train_math::kernels::route;
use train_math::{MaskBits, Tile};

use super::core::{shared_params, validate_core, CoreEnergy, Datapath, Executed};
use super::dataflow::Array;
use super::datapath_common::*;
use super::protocol::{Done, Op, Region};
use crate::cost::area::PeWidths;

/// Parameters (YAML `params` of a `propagation_core`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PropagationCoreParams {
    /// The compute clock (near-threshold domain in the paper's chip).
    pub clock: String,
    /// PE array. 8×8 = 64 PEs per core: with the update core's 64, ~190 MACs a cycle at full
    /// use, what the paper's ~58k cycles per epoch of a few tens of samples needs.
    pub pe_rows: u32,
    pub pe_cols: u32,
    /// PE widths: multiplier operands and accumulator, bits (8 and 32: the int8 kernels).
    pub pe_operand_bits: u32,
    pub pe_accumulator_bits: u32,
    /// Local buffers, KiB (not published; sized for the paper-cnn's largest task with room).
    pub input_buffer_kib: f64,
    pub weight_buffer_kib: f64,
    pub output_buffer_kib: f64,
    /// Vector-unit operations per element of BP routing through pool and ReLU.
    pub route_ops_per_element: u32,
    /// Load the next task's operands while computing, write results while the next task
    /// computes (two sets of buffers).
    pub double_buffer: bool,
    /// Memory requests in flight, and their largest size.
    pub max_outstanding: u32,
    pub request_bytes: u32,
    pub energy: CoreEnergy,
}

impl Declared for PropagationCoreParams {
    const PARAMS: &'static [ParamDecl] = &[
        shared_params::CLOCK,
        shared_params::PE_ROWS,
        shared_params::PE_COLS,
        shared_params::PE_OPERAND_BITS,
        shared_params::PE_ACCUMULATOR_BITS,
        ParamDecl {
            name: "input_buffer_kib",
            default: "4.0",
            range: shared_params::KIB,
            doc: "input buffer (not published; the paper-cnn's largest task with room)",
        },
        ParamDecl { name: "weight_buffer_kib", default: "2.0", range: shared_params::KIB, doc: "weight buffer" },
        ParamDecl { name: "output_buffer_kib", default: "4.0", range: shared_params::KIB, doc: "output buffer" },
        ParamDecl {
            name: "route_ops_per_element",
            default: "1",
            range: Range::count(0, 1 << 20),
            doc: "vector-unit operations per element of BP routing through pool and ReLU",
        },
        shared_params::DOUBLE_BUFFER,
        shared_params::MAX_OUTSTANDING,
        shared_params::REQUEST_BYTES,
        shared_params::ENERGY,
    ];
}

impl Default for PropagationCoreParams {
    fn default() -> Self {
        PropagationCoreParams {
            clock: "core_clk".into(),
            pe_rows: 8,
            pe_cols: 8,
            pe_operand_bits: 8,
            pe_accumulator_bits: 32,
            input_buffer_kib: 4.0,
            weight_buffer_kib: 2.0,
            output_buffer_kib: 4.0,
            route_ops_per_element: 1,
            double_buffer: true,
            max_outstanding: 4,
            request_bytes: 256,
            energy: CoreEnergy::default(),
        }
    }
}

impl PropagationCoreParams {
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let buffers = [
            ("input_buffer_kib", self.input_buffer_kib),
            ("weight_buffer_kib", self.weight_buffer_kib),
            ("output_buffer_kib", self.output_buffer_kib),
        ];
        validate_core(self.pe_rows, self.pe_cols, self.widths(), &buffers, self.max_outstanding, self.request_bytes)
    }

    pub fn array(&self) -> Array {
        Array { rows: u64::from(self.pe_rows), cols: u64::from(self.pe_cols) }
    }

    pub fn widths(&self) -> PeWidths {
        PeWidths { operand_bits: self.pe_operand_bits, accumulator_bits: self.pe_accumulator_bits }
    }
}

pub struct PropagationDatapath {
    input_bytes: usize,
    weight_bytes: usize,
    output_bytes: usize,
    route_ops: u64,
}

impl PropagationDatapath {
    pub fn new(p: &PropagationCoreParams) -> Self {
        let kib = |v: f64| (v * 1024.0) as usize;
        PropagationDatapath {
            input_bytes: kib(p.input_buffer_kib),
            weight_bytes: kib(p.weight_buffer_kib),
            output_bytes: kib(p.output_buffer_kib),
            route_ops: u64::from(p.route_ops_per_element),
        }
    }

    fn fits(&self, what: &str, op: &Op, input: usize, weights: usize, output: usize) -> Result<(), String> {
        for (need, have, param) in [
            (input, self.input_bytes, "input_buffer_kib"),
            (weights, self.weight_bytes, "weight_buffer_kib"),
            (output, self.output_bytes, "output_buffer_kib"),
        ] {
            if need > have {
                return Err(format!(
                    "{what} (`{}`) needs {:.2} KiB of local buffer but `{param}` is {:.2} KiB; raise `{param}`",
                    op.name(),
                    need as f64 / 1024.0,
                    have as f64 / 1024.0
                ));
            }
        }
        Ok(())
    }
}

impl Datapath for PropagationDatapath {
    fn storage(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("input_buffer", self.input_bytes),
            ("weight_buffer", self.weight_bytes),
            ("output_buffer", self.output_bytes),
        ]
    }

    fn operands(&self, op: &Op) -> Result<Vec<Region>, String> {
        match op {
            Op::ConvFp { geom: g, channels, input, weights, bias, masking, .. } => {
                let n = channels.len();
                let w = weights.slice(channels.start * g.fan_in(), n * g.fan_in());
                let b = bias.slice(channels.start * 4, n * 4);
                let keep = if *masking { (n * conv_plane(g)).div_ceil(8) } else { n * conv_plane(g) };
                let what = format!("layer {} FP of channels {channels:?}", g.index);
                self.fits(&what, op, input.bytes as usize, (w.bytes + b.bytes) as usize, n * out_plane(g) + keep)?;
                Ok(vec![*input, w, b])
            }
            Op::Route { geom: g, channels, delta_out, keep, masking, .. } => {
                let n = channels.len();
                let d = delta_out.slice(channels.start * out_plane(g), n * out_plane(g));
                let k = if *masking {
                    keep.slice(channels.start * conv_plane(g) / 8, (n * conv_plane(g)).div_ceil(8))
                } else {
                    keep.slice(channels.start * conv_plane(g), n * conv_plane(g))
                };
                let what = format!("layer {} routing of channels {channels:?}", g.index);
                self.fits(&what, op, (d.bytes + k.bytes) as usize, 0, n * conv_plane(g))?;
                Ok(vec![d, k])
            }
            Op::Bp { geom: g, channels, dz, weights, .. } => {
                let what = format!("layer {} BP to input channels {channels:?}", g.index);
                self.fits(&what, op, dz.bytes as usize, weights.bytes as usize, channels.len() * in_plane(g))?;
                Ok(vec![*dz, *weights])
            }
            other => Err(unsupported("propagation core", other)),
        }
    }

    fn execute(&mut self, op: Op, ops: Vec<Vec<u8>>, array: Array) -> Result<Executed, String> {
        match op {
            Op::ConvFp { geom: g, channels, out, keep, masking, requant, .. } => {
                let f = g.fan_in();
                let w = placed(g.weight_len(), channels.start * f, &i8s(&ops[1]));
                let b = placed(g.conv_out.c, channels.start, &i32s(&ops[2]));
                let tile = Tile::channels(channels.clone(), g.output);
                let t = int8::fp_tile(&g, &i8s(&ops[0]), &w, &b, &requant, &tile);
                let mut writes = vec![(out.addr + (channels.start * out_plane(&g)) as u64, u8s(&t.out))];
                if masking {
                    writes.push((keep.addr + (channels.start * conv_plane(&g) / 8) as u64, channel_mask(&g, &t)));
                } else {
                    writes.push((keep.addr + (channels.start * conv_plane(&g)) as u64, channel_kept(&g, &t)));
                }
                let (hc, wc) = g.covered();
                let work = array.output_stationary((hc * wc) as u64, channels.len() as u64, g.fp_tile_macs(&tile));
                Ok(Executed {
                    exchange: None,
                    writes,
                    work,
                    done: Done { max_abs_acc: t.max_abs_acc, ..Done::default() },
                    local_bytes: 0,
                })
            }
            Op::Route { geom: g, channels, masking, dz, .. } => {
                let delta = placed(g.output.len(), channels.start * out_plane(&g), &i8s(&ops[0]));
                let routed = if masking {
                    let bytes = placed(g.conv_out.len().div_ceil(8), channels.start * conv_plane(&g) / 8, &ops[1]);
                    let mask = MaskBits::from_bytes(g.conv_out.len(), bytes).ok_or("a mask of the wrong length")?;
                    route::route_mask(&g, &delta, &mask, channels.clone())
                } else {
                    let kept = placed(g.conv_out.len(), channels.start * conv_plane(&g), &i8s(&ops[1]));
                    route::route_kept(&g, &delta, &kept, channels.clone())
                };
                let at = dz.addr + (channels.start * conv_plane(&g)) as u64;
                let work = array.vector((channels.len() * conv_plane(&g)) as u64, self.route_ops);
                Ok(Executed {
                    exchange: None,
                    writes: vec![(at, u8s(&routed))],
                    work,
                    done: Done::default(),
                    local_bytes: 0,
                })
            }
            Op::Bp { geom: g, channels, out, requant, .. } => {
                Ok(bp(&g, channels, &ops[0], &ops[1], &requant, out.addr, array))
            }
            other => Err(unsupported("propagation core", &other)),
        }
    }
}
