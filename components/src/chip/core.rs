//! The life of a task in a core, shared by the propagation cores and the update core: take a
//! task, read its operands from memory, compute (the datapath says how long, from its
//! dataflow), write the results, and report to the controller once they are written. Tasks
//! wait in order. With double buffering, the next task's operands load while the datapath
//! computes, and results are written while the next task computes.
//!
//! Ports: `mem_req` / `mem_resp` (protocol `mem`, towards the interconnect), `task` / `done`
//! (protocol `ctrl`, from and to the controller).
//!
//! Statistics: `tasks.<op>` (count), `busy_cycles.<op>`, `macs`, `busy_cycles`, `cycles`,
//! `utilisation` (MACs over MAC slots of the whole run), `active_utilisation` (MACs over MAC
//! slots while computing), `operand_wait_ps` (the datapath idle while a task's operands
//! load), `store_ps` (writing results, overlapped with later work), `bytes_read`,
//! `bytes_written`, `local_memory_bytes`, energy, area (`area_mm2`: the PE array and the
//! local storage, each also as `area.<part>_mm2`) and the energy of one action now (`cost.*`);
//! `busy.<phase>.series_ps` for each training phase the core computed in: its busy time per
//! power window on that phase's tasks (from the clock edge a task starts on to its end, as
//! the timeline's task slices), for the phase marks of `power.csv`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;
use sim_core::{ClockId, Component, Context, PortId, PortSpec, StatsWriter};

use super::dataflow::{Array, Work};
use super::mem_client::MemClient;
use super::protocol::{Done, Op, Region, Task};
use crate::cost::area::{self, PeWidths};
use crate::cost::pe;
use crate::energy::{power_windows, ClockActivity, EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, Phase};
use crate::windows::Windows;
use crate::Msg;

use crate::param::{ParamDecl, Range};

/// Energy coefficients of a core, at `nominal_v` (scaled as V² for dynamic energy). The
/// MAC, register and local-storage figures are derived from the PE widths and the buffer
/// sizes by the cost models ([`crate::cost::pe`]) unless given; see [`CoreEnergy::resolve`].
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreEnergy {
    /// One multiply of two operands with an accumulate, pJ. Absent: [`pe::mac_pj`] for the
    /// PE widths (Horowitz, ISSCC 2014, scaled to 65 nm: 0.372 pJ for 8-bit × 8-bit + 32-bit).
    pub mac_pj: Option<f64>,
    /// The PE's pipeline registers (operands and accumulator) per computing cycle, pJ.
    /// Absent: [`pe::register_pj_per_pe_cycle`] (Aladdin's flip-flop per bit).
    pub register_pj_per_pe_cycle: Option<f64>,
    /// Per byte read from the core's operand buffers. Absent: the SRAM model for each
    /// buffer's size and a row of operands as its word, averaged over the buffers by size.
    pub buffer_read_pj_per_byte: Option<f64>,
    pub buffer_write_pj_per_byte: Option<f64>,
    /// Per byte of the update core's local memory (master weights, momentum, gradient sums).
    /// Absent: the SRAM model for `local_kib` (read and write averaged).
    pub local_memory_pj_per_byte: Option<f64>,
    /// Clock distribution and control per PE per cycle while computing, beyond the PE's own
    /// registers. 0.5 pJ: an estimate (no published clock-tree figure was found: reference
    /// sheet §2, "gap"); the paper chip calibrates it.
    pub clock_pj_per_pe_cycle: f64,
    /// Share of the clock energy still spent in an idle cycle (clock gating is partial).
    pub idle_clock_fraction: f64,
    pub leakage_mw: f64,
    pub nominal_v: f64,
    pub leakage_voltage_exponent: f64,
}

/// What an absent PE coefficient is derived from.
const FROM_PE_MODEL: &str =
    "the PE model (cost::pe: Horowitz ISSCC 2014 MAC, Aladdin flip-flops) for pe_operand_bits, pe_accumulator_bits";
/// What an absent storage coefficient is derived from.
const FROM_STORAGE_MODEL: &str =
    "the SRAM model (cost::sram, CACTI 7 65 nm lstp) for the buffer sizes, a row of operands per word";

impl crate::param::Declared for CoreEnergy {
    const PARAMS: &'static [ParamDecl] = &[
        crate::param::derived(
            "mac_pj",
            &Range::ENERGY_PJ,
            FROM_PE_MODEL,
            "one multiply + accumulate at nominal_v; model: Horowitz's 8/32-bit points, power law in width",
        ),
        crate::param::derived(
            "register_pj_per_pe_cycle",
            &Range::ENERGY_PJ,
            FROM_PE_MODEL,
            "a PE's operand and accumulator registers per computing cycle; model: Aladdin 0.009 pJ/bit at 40 nm",
        ),
        crate::param::derived(
            "buffer_read_pj_per_byte",
            &Range::ENERGY_PJ,
            FROM_STORAGE_MODEL,
            "per byte read from the operand buffers; model: their mean by size",
        ),
        crate::param::derived(
            "buffer_write_pj_per_byte",
            &Range::ENERGY_PJ,
            FROM_STORAGE_MODEL,
            "per byte written to the operand buffers; model: their mean by size",
        ),
        crate::param::derived(
            "local_memory_pj_per_byte",
            &Range::ENERGY_PJ,
            FROM_STORAGE_MODEL,
            "per byte of the update core's local memory; model: mean of read and write for local_kib",
        ),
        ParamDecl {
            name: "clock_pj_per_pe_cycle",
            default: "0.5",
            range: Range::ENERGY_PJ,
            doc: "clock distribution and control per PE per computing cycle beyond its registers (estimate; no published figure)",
        },
        ParamDecl {
            name: "idle_clock_fraction",
            default: "0.1",
            range: Range::Real { min: 0.0, max: 1.0, above_min: false },
            doc: "share of the clock energy still spent in an idle cycle (partial clock gating)",
        },
        crate::param::leakage_mw("1.0"),
        ParamDecl {
            name: "nominal_v",
            default: "0.9",
            range: Range::VOLTAGE_V,
            doc: "voltage of the figures above (Horowitz's 0.9 V)",
        },
        crate::param::LEAKAGE_VOLTAGE_EXPONENT,
    ];
}

/// A core's energy coefficients with every derived one filled in, pJ at `nominal_v`.
#[derive(Clone, Debug, PartialEq)]
pub struct CoreCosts {
    pub mac_pj: f64,
    pub register_pj_per_pe_cycle: f64,
    pub buffer_read_pj_per_byte: f64,
    pub buffer_write_pj_per_byte: f64,
    pub local_memory_pj_per_byte: f64,
    pub clock_pj_per_pe_cycle: f64,
    pub idle_clock_fraction: f64,
}

/// The storage a core's local memory is called in [`Datapath::storage`]; every other entry
/// is an operand buffer.
pub const LOCAL_MEMORY: &str = "local_memory";

impl CoreEnergy {
    /// The coefficients: those given, the rest from the cost models for a PE of `widths` and
    /// the core's `storage` ((name, bytes), [`LOCAL_MEMORY`] apart) read `word_bits` at a
    /// time, restated from the models' voltages at `nominal_v` as V².
    pub fn resolve(&self, widths: PeWidths, storage: &[(&'static str, usize)], word_bits: u32) -> CoreCosts {
        let at_nominal = |pj: f64, v: f64| pj * (self.nominal_v / v).powi(2);
        let energy = |bytes: usize| pe::storage_energy(bytes as u64, word_bits).at(self.nominal_v);
        let buffers: Vec<_> =
            storage.iter().filter(|(n, _)| *n != LOCAL_MEMORY).map(|&(_, b)| (b, energy(b))).collect();
        let total: usize = buffers.iter().map(|(b, _)| b).sum();
        let mean = |f: fn(&pe::StorageEnergy) -> f64| {
            buffers.iter().map(|(b, e)| *b as f64 * f(e)).sum::<f64>() / (total.max(1) as f64)
        };
        let local = storage.iter().find(|(n, _)| *n == LOCAL_MEMORY).map(|&(_, b)| energy(b));
        CoreCosts {
            mac_pj: self.mac_pj.unwrap_or_else(|| at_nominal(pe::mac_pj(widths), pe::PE_V)),
            register_pj_per_pe_cycle: self
                .register_pj_per_pe_cycle
                .unwrap_or_else(|| at_nominal(pe::register_pj_per_pe_cycle(widths), pe::PE_V)),
            buffer_read_pj_per_byte: self.buffer_read_pj_per_byte.unwrap_or_else(|| mean(|e| e.read_pj_per_byte)),
            buffer_write_pj_per_byte: self.buffer_write_pj_per_byte.unwrap_or_else(|| mean(|e| e.write_pj_per_byte)),
            // No local memory: nothing is ever charged to it.
            local_memory_pj_per_byte: self
                .local_memory_pj_per_byte
                .unwrap_or_else(|| local.map_or(0.0, |e| (e.read_pj_per_byte + e.write_pj_per_byte) / 2.0)),
            clock_pj_per_pe_cycle: self.clock_pj_per_pe_cycle,
            idle_clock_fraction: self.idle_clock_fraction,
        }
    }
}

/// The parameters both core types share, declared once.
pub mod shared_params {
    use crate::param::{ParamDecl, Range};

    pub const CLOCK: ParamDecl = ParamDecl {
        name: "clock",
        default: "core_clk",
        range: Range::Other,
        doc: "compute clock (and its voltage): the near-threshold domain",
    };
    pub const PE_ROWS: ParamDecl = ParamDecl {
        name: "pe_rows",
        default: "8",
        range: Range::count(1, 1024),
        doc: "output-stationary PE array rows; 8x8 per core, with the update core's 64 ~190 MACs/cycle",
    };
    pub const PE_COLS: ParamDecl =
        ParamDecl { name: "pe_cols", default: "8", range: Range::count(1, 1024), doc: "PE array columns" };
    /// Operand and accumulator widths: inside the PE energy model's reference points.
    const WIDTH: Range =
        Range::count(crate::cost::pe::WIDTH_BITS_RANGE.0 as u64, crate::cost::pe::WIDTH_BITS_RANGE.1 as u64);
    pub const PE_OPERAND_BITS: ParamDecl = ParamDecl {
        name: "pe_operand_bits",
        default: "8",
        range: WIDTH,
        doc: "bits of each multiplier operand: the all-8-bit datapath of Choi et al. 2020 (train_math int8 kernels)",
    };
    pub const PE_ACCUMULATOR_BITS: ParamDecl = ParamDecl {
        name: "pe_accumulator_bits",
        default: "32",
        range: WIDTH,
        doc: "bits of the accumulator: the int8 kernels' i32 sums",
    };
    pub const DOUBLE_BUFFER: ParamDecl = ParamDecl {
        name: "double_buffer",
        default: "true",
        range: Range::Other,
        doc: "load the next task's operands while computing",
    };
    pub const MAX_OUTSTANDING: ParamDecl = ParamDecl {
        name: "max_outstanding",
        default: "4",
        range: Range::count(1, 4096),
        doc: "memory requests in flight at most",
    };
    pub const REQUEST_BYTES: ParamDecl = ParamDecl {
        name: "request_bytes",
        default: "256",
        range: Range::count(1, 1 << 20),
        doc: "largest memory request",
    };
    pub const ENERGY: ParamDecl = ParamDecl {
        name: "energy",
        default: "",
        range: Range::Group(<super::CoreEnergy as crate::param::Declared>::PARAMS),
        doc: "energy coefficients at nominal_v",
    };
    /// A core buffer size: above 0, at most 64 MiB (far above any core's local SRAM).
    pub const KIB: Range = Range::Real { min: 0.0, max: 65_536.0, above_min: true };
}

impl Default for CoreEnergy {
    fn default() -> Self {
        CoreEnergy {
            mac_pj: None,
            register_pj_per_pe_cycle: None,
            buffer_read_pj_per_byte: None,
            buffer_write_pj_per_byte: None,
            local_memory_pj_per_byte: None,
            clock_pj_per_pe_cycle: 0.5,
            idle_clock_fraction: 0.1,
            leakage_mw: 1.0,
            nominal_v: 0.9,
            leakage_voltage_exponent: 3.0,
        }
    }
}

/// Checks what every core's parameters share: the PE array, buffer sizes (KiB, by name) and
/// the memory client. The error names the parameter.
pub fn validate_core(
    pe_rows: u32,
    pe_cols: u32,
    widths: PeWidths,
    buffers_kib: &[(&'static str, f64)],
    max_outstanding: u32,
    request_bytes: u32,
) -> Result<(), (&'static str, String)> {
    if pe_rows == 0 || pe_cols == 0 {
        return Err(("pe_rows", "a PE array needs at least one row and one column (`pe_rows`, `pe_cols`)".into()));
    }
    pe::check_widths(widths)?;
    for &(f, v) in buffers_kib {
        if !(v.is_finite() && v > 0.0) {
            return Err((f, format!("`{f}` must be above 0, not {v}")));
        }
    }
    if max_outstanding == 0 || request_bytes == 0 {
        return Err(("max_outstanding", "`max_outstanding` and `request_bytes` must be at least 1".into()));
    }
    Ok(())
}

/// What a datapath produced for a task.
pub struct Executed {
    /// (address, bytes) to write back.
    pub writes: Vec<(u64, Vec<u8>)>,
    /// A vector to all-reduce with the other chips (sent on `grads_out` when the datapath is
    /// done; the task completes when the answer is back on `grads_in`).
    pub exchange: Option<crate::multichip::Collective>,
    pub work: Work,
    pub done: Done,
    /// Bytes moved in the core's own local memory (not operand buffers).
    pub local_bytes: u64,
}

/// The compute part of a core: what a new core type implements.
pub trait Datapath: Send + 'static {
    /// The memory regions a task reads, in order, or why this core cannot run it.
    fn operands(&self, op: &Op) -> Result<Vec<Region>, String>;
    /// Computes the task on the bytes of its operands.
    fn execute(&mut self, op: Op, operands: Vec<Vec<u8>>, array: Array) -> Result<Executed, String>;
    /// Statistics of the datapath's own state.
    fn finish(&mut self, _stats: &mut StatsWriter<'_>) {}
    /// The core's local storage, (name, bytes), for its area.
    fn storage(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }
    /// Whether the core has `grads_out`/`grads_in` ports (a datapath that exchanges).
    const EXCHANGES: bool = false;
    /// The all-reduced answer to an exchange: takes it in and completes the task's report.
    fn exchanged(&mut self, _answer: crate::multichip::Collective, _done: &mut Done) -> Result<(), String> {
        Err("this core exchanges nothing".into())
    }
}

const MEM_REQ: PortId = PortId(0);
const MEM_RESP: PortId = PortId(1);
const TASK: PortId = PortId(2);
const DONE: PortId = PortId(3);
const GRADS_OUT: PortId = PortId(4);
const GRADS_IN: PortId = PortId(5);

/// A task whose operands are being read.
struct Loading {
    task: Task,
    ids: BTreeMap<u64, (usize, usize)>,
    buffers: Vec<Vec<u8>>,
    left: usize,
    started: u64,
}

/// The task on the datapath: its cause, the results it will write, and its report.
struct Computing {
    cause: Cause,
    writes: Vec<(u64, Vec<u8>)>,
    exchange: Option<crate::multichip::Collective>,
    done: Done,
}

/// A task whose results are being written (posted: the datapath has moved on).
struct Storing {
    ids: BTreeSet<u64>,
    done: Done,
    started: u64,
}

#[derive(Default)]
struct CoreStats {
    per_op: BTreeMap<&'static str, (u64, u64)>,
    macs: u64,
    operand_wait_ps: u64,
    store_ps: u64,
    local_bytes: u64,
}

/// A core: a datapath `D` with its PE array, memory client and task lifecycle.
pub struct Core<D> {
    pub(crate) dp: D,
    array: Array,
    clock: ClockId,
    mem: MemClient,
    double_buffer: bool,
    queue: VecDeque<Task>,
    loading: Option<Loading>,
    /// The task on the datapath.
    computing: Option<Computing>,
    storing: Vec<Storing>,
    /// Tasks waiting for an all-reduce: (collective tag, report).
    exchanging: Vec<(u64, Done)>,
    /// When the datapath last became free.
    free_since: u64,
    energy: EnergyMeter,
    coeff: CoreCosts,
    widths: PeWidths,
    activity: ClockActivity,
    stats: CoreStats,
    /// Busy time per power window, per training phase ([`Phase::index`]), ps.
    phase_busy: [Windows<u64>; Phase::ALL.len()],
    /// When the last task's busy time ended (the next one's starts no earlier).
    busy_until: u64,
}

impl<D: Datapath> Core<D> {
    /// A core around `dp` with PEs of `widths`. With `double_buffer`, the next task's operands
    /// load while the current one computes, and results are written while the next one
    /// computes. Energy coefficients absent from `coeff` come from the cost models.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        dp: D,
        array: Array,
        widths: PeWidths,
        domain: PowerDomain,
        coeff: CoreEnergy,
        max_outstanding: usize,
        request_bytes: u32,
        double_buffer: bool,
    ) -> Self {
        let costs = coeff.resolve(widths, &dp.storage(), storage_word_bits(widths, array));
        let leakage = Leakage {
            mw_at_nominal: coeff.leakage_mw,
            nominal_v: coeff.nominal_v,
            voltage_exponent: coeff.leakage_voltage_exponent,
        };
        Core {
            dp,
            array,
            clock: domain.clock,
            mem: MemClient::new(MEM_REQ, max_outstanding, request_bytes),
            double_buffer,
            queue: VecDeque::new(),
            loading: None,
            computing: None,
            storing: Vec::new(),
            exchanging: Vec::new(),
            free_since: 0,
            energy: EnergyMeter::new(domain, Scope::Chip, leakage),
            coeff: costs,
            widths,
            activity: ClockActivity::default(),
            stats: CoreStats::default(),
            phase_busy: std::array::from_fn(|_| power_windows()),
            busy_until: 0,
        }
    }

    /// Moves tasks along: starts computing a loaded task when the datapath is free, and
    /// starts loading the next task when the buffers allow.
    fn advance(&mut self, ctx: &mut Context<'_, Msg>) {
        loop {
            if self.computing.is_none() && self.loading.as_ref().is_some_and(|l| l.left == 0) {
                let l = self.loading.take().expect("checked");
                self.compute(ctx, l);
                continue;
            }
            let may_load = self.double_buffer || (self.computing.is_none() && self.storing.is_empty());
            if self.loading.is_none() && may_load {
                if let Some(task) = self.queue.pop_front() {
                    self.load(ctx, task);
                    continue;
                }
            }
            return;
        }
    }

    fn load(&mut self, ctx: &mut Context<'_, Msg>, task: Task) {
        let regions = match self.dp.operands(&task.op) {
            Ok(r) => r,
            Err(m) => return ctx.abort(m),
        };
        let buffers: Vec<Vec<u8>> = regions.iter().map(|r| vec![0; r.bytes as usize]).collect();
        let mut ids = BTreeMap::new();
        for (k, r) in regions.iter().enumerate() {
            for (id, off) in self.mem.read(ctx, *r, task.cause) {
                ids.insert(id, (k, off));
            }
        }
        let left = ids.len();
        self.loading = Some(Loading { task, ids, buffers, left, started: ctx.now().0 });
    }

    fn compute(&mut self, ctx: &mut Context<'_, Msg>, l: Loading) {
        let now = ctx.now();
        // The datapath waited for operands from when it was free (or the load began) until now.
        self.stats.operand_wait_ps += now.0.saturating_sub(self.free_since.max(l.started));
        let loaded: u64 = l.buffers.iter().map(|b| b.len() as u64).sum();
        let (cause, name, id) = (l.task.cause, l.task.op.name(), l.task.id);
        let ex = match self.dp.execute(l.task.op, l.buffers, self.array) {
            Ok(e) => e,
            Err(m) => return ctx.abort(m),
        };
        let v = self.energy.at(ctx);
        let period = ctx.clock(self.clock).period_at(now).as_ps();
        let until = ctx.clock(self.clock).edge_after(now, ex.work.cycles);
        self.energy.spread(now, until);
        let stored: u64 = ex.writes.iter().map(|(_, d)| d.len() as u64).sum();
        let c = &self.coeff;
        self.energy.add(v, "mac", c.mac_pj, ex.work.macs as f64, cause);
        let active_pe_cycles = ex.work.cycles as f64 * self.array.pes() as f64;
        self.energy.add(v, "register", c.register_pj_per_pe_cycle, active_pe_cycles, cause);
        self.energy.add(v, "buffer_read", c.buffer_read_pj_per_byte, ex.work.buffer_reads as f64, cause);
        self.energy.add(v, "buffer_write", c.buffer_write_pj_per_byte, (loaded + stored) as f64, cause);
        self.energy.add(v, "local_memory", c.local_memory_pj_per_byte, ex.local_bytes as f64, cause);
        let pes = self.array.pes() as f64;
        self.energy.add(v, "clock", c.clock_pj_per_pe_cycle * pes, ex.work.cycles as f64, cause);
        self.stats.local_bytes += ex.local_bytes;
        self.activity.busy(period, ex.work.cycles, now);
        // Busy from the edge of the cycle in progress until the task's timer.
        let busy_from = until.0.saturating_sub(ex.work.cycles.saturating_mul(period)).max(self.busy_until);
        self.phase_busy[cause.phase.index()].add_over(busy_from, until.0, |d| d);
        self.busy_until = self.busy_until.max(until.0);
        self.stats.macs += ex.work.macs;
        let e = self.stats.per_op.entry(name).or_default();
        e.0 += 1;
        e.1 += ex.work.cycles;
        let mut done = ex.done;
        done.id = id;
        done.busy_cycles = ex.work.cycles;
        // A timeline's slice: the task (delivered earlier, so the observer knows it) holds
        // the datapath for `task_cycles` cycles, `task_busy_ps` of busy time as `activity`
        // counts it (from the edge of the cycle in progress), until its timer.
        ctx.mark("task_begin", id as i64);
        ctx.mark("task_cycles", ex.work.cycles as i64);
        ctx.mark("task_busy_ps", ex.work.cycles.saturating_mul(period) as i64);
        self.computing = Some(Computing { cause, writes: ex.writes, exchange: ex.exchange, done });
        ctx.schedule_cycles(self.clock, ex.work.cycles, 0);
    }

    /// The datapath finished: post the results, free the datapath.
    fn computed(&mut self, ctx: &mut Context<'_, Msg>) {
        let Computing { cause, writes, exchange, done } = self.computing.take().expect("a timer only ends computing");
        ctx.mark("task_end", done.id as i64);
        if let Some(c) = exchange {
            self.exchanging.push((c.tag, done));
            if !ctx.is_bound(GRADS_OUT) {
                return ctx.abort("an all-reduce on a core whose `grads_out` is not connected (declare a `system:`)");
            }
            if ctx.send(GRADS_OUT, Msg::Coll(Box::new(c))).is_err() {
                return ctx.abort("the `grads_out` channel refused gradients; give it no depth limit");
            }
            self.free_since = ctx.now().0;
            self.advance(ctx);
            return;
        }
        let mut ids = BTreeSet::new();
        for (addr, data) in &writes {
            ids.extend(self.mem.write(ctx, *addr, data, cause));
        }
        self.free_since = ctx.now().0;
        self.storing.push(Storing { ids, done, started: ctx.now().0 });
        self.retire(ctx);
        self.advance(ctx);
    }

    /// Reports every task whose results are all written.
    fn retire(&mut self, ctx: &mut Context<'_, Msg>) {
        while let Some(k) = self.storing.iter().position(|s| s.ids.is_empty()) {
            let s = self.storing.remove(k);
            self.stats.store_ps += ctx.now().0 - s.started;
            if ctx.send(DONE, Msg::Done(Box::new(s.done))).is_err() {
                return ctx.abort("the `done` channel to the controller refused a report; give it no depth limit");
            }
        }
    }
}

impl<D: Datapath> Component<Msg> for Core<D> {
    fn ports(&self) -> Vec<PortSpec> {
        let mut v = vec![
            PortSpec::output("mem_req", "mem"),
            PortSpec::input("mem_resp", "mem"),
            PortSpec::input("task", "ctrl"),
            PortSpec::output("done", "ctrl"),
        ];
        if D::EXCHANGES {
            v.push(PortSpec::output("grads_out", "coll").optional());
            v.push(PortSpec::input("grads_in", "coll").optional());
        }
        v
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        match (port, msg) {
            (GRADS_IN, Msg::Coll(c)) => {
                let Some(k) = self.exchanging.iter().position(|(tag, _)| *tag == c.tag) else {
                    return ctx.abort(format!("an all-reduce answer (tag {}) for no task", c.tag));
                };
                let (_, mut done) = self.exchanging.remove(k);
                if let Err(m) = self.dp.exchanged(*c, &mut done) {
                    return ctx.abort(m);
                }
                if ctx.send(DONE, Msg::Done(Box::new(done))).is_err() {
                    ctx.abort("the `done` channel to the controller refused a report; give it no depth limit");
                }
            }
            (TASK, Msg::Task(t)) => {
                self.queue.push_back(*t);
                self.advance(ctx);
            }
            (MEM_RESP, Msg::MemResp(r)) => {
                self.mem.on_response(ctx, &r);
                if r.write {
                    let Some(s) = self.storing.iter_mut().find(|s| s.ids.contains(&r.id)) else {
                        return ctx.abort(format!("an unexpected write acknowledgement (id {})", r.id));
                    };
                    s.ids.remove(&r.id);
                    self.retire(ctx);
                } else {
                    let Some(l) = self.loading.as_mut() else {
                        return ctx.abort(format!("an unexpected read response (id {})", r.id));
                    };
                    let Some((k, off)) = l.ids.remove(&r.id) else {
                        return ctx.abort(format!("a read response with unknown id {}", r.id));
                    };
                    l.buffers[k][off..off + r.data.len()].copy_from_slice(&r.data);
                    l.left -= 1;
                }
                self.advance(ctx);
            }
            (p, m) => ctx.abort(format!("unexpected message on port {}: {m:?}", p.0)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        self.computed(ctx);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        if port == MEM_REQ {
            self.mem.on_ready(ctx);
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let total = ClockActivity::total_cycles(stats, self.clock);
        let busy = self.activity.busy_cycles();
        let pes = self.array.pes();
        for (op, (n, cycles)) in &self.stats.per_op {
            stats.counter(&format!("tasks.{op}"), *n);
            stats.counter(&format!("busy_cycles.{op}"), *cycles);
        }
        stats.counter("macs", self.stats.macs);
        stats.counter("busy_cycles", busy);
        stats.counter("cycles", total);
        stats.ratio("utilisation", self.stats.macs as f64, (total * pes) as f64);
        stats.ratio("active_utilisation", self.stats.macs as f64, (busy * pes) as f64);
        stats.counter("operand_wait_ps", self.stats.operand_wait_ps);
        stats.counter("store_ps", self.stats.store_ps);
        stats.counter("bytes_read", self.mem.bytes_read);
        stats.counter("bytes_written", self.mem.bytes_written);
        stats.counter("local_memory_bytes", self.stats.local_bytes);
        for (phase, w) in Phase::ALL.iter().zip(&mut self.phase_busy) {
            if !w.values().is_empty() {
                w.extend_to(stats.now().0);
                let ps = w.values().iter().map(|&v| v as f64).collect();
                stats.series(&format!("busy.{phase}.series_ps"), w.step_ps(), ps);
            }
        }
        self.dp.finish(stats);
        self.activity.charge_idle(
            &mut self.energy,
            stats,
            self.coeff.clock_pj_per_pe_cycle * self.array.pes() as f64,
            self.coeff.idle_clock_fraction,
        );
        self.energy.write_stats(stats);
        self.write_costs(stats);
    }
}

/// The word a core's local storage is read and written in: a row of operands, one per column
/// (`pe_operand_bits x pe_cols`).
pub fn storage_word_bits(widths: PeWidths, array: Array) -> u32 {
    u32::try_from(u64::from(widths.operand_bits) * array.cols).unwrap_or(u32::MAX)
}

impl<D: Datapath> Core<D> {
    /// Area (`area.pe_array_mm2`, `area.<buffer>_mm2`, `area_mm2` in total) and the energy of
    /// one action at the present voltage (`cost.mac_pj`, `cost.register_pj_per_pe_cycle`,
    /// `cost.buffer_read_pj_per_byte`, `cost.buffer_write_pj_per_byte`,
    /// `cost.local_memory_pj_per_byte`, `cost.clock_pj_per_pe_cycle`). Local storage is read a
    /// row of operands at a time ([`storage_word_bits`]).
    fn write_costs(&self, stats: &mut StatsWriter<'_>) {
        let node = self.energy.domain().technology.area;
        let pe_array = area::pe_um2(self.widths) * self.array.pes() as f64 * 1e-6 * node;
        stats.value("area.pe_array_mm2", pe_array);
        let word_bits = storage_word_bits(self.widths, self.array);
        let mut total = pe_array;
        for (name, bytes) in self.dp.storage() {
            let a = area::storage_mm2(bytes as u64, word_bits) * node;
            stats.value(&format!("area.{name}_mm2"), a);
            total += a;
        }
        stats.value("area_mm2", total);
        let c = &self.coeff;
        for (name, pj) in [
            ("mac_pj", c.mac_pj),
            ("register_pj_per_pe_cycle", c.register_pj_per_pe_cycle),
            ("buffer_read_pj_per_byte", c.buffer_read_pj_per_byte),
            ("buffer_write_pj_per_byte", c.buffer_write_pj_per_byte),
            ("local_memory_pj_per_byte", c.local_memory_pj_per_byte),
            ("clock_pj_per_pe_cycle", c.clock_pj_per_pe_cycle),
        ] {
            if name == "local_memory_pj_per_byte" && !self.dp.storage().iter().any(|(n, _)| *n == LOCAL_MEMORY) {
                continue;
            }
            stats.extent(&format!("cost.{name}"), self.energy.at_present_voltage(stats, pj));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a / b - 1.0).abs() < 1e-9
    }

    const W: PeWidths = PeWidths { operand_bits: 8, accumulator_bits: 32 };

    #[test]
    fn absent_coefficients_come_from_the_cost_models_at_nominal_v() {
        let e = CoreEnergy { nominal_v: 0.6, ..CoreEnergy::default() };
        let storage = [("input", 4096), ("weights", 2048), (LOCAL_MEMORY, 64 << 10)];
        let c = e.resolve(W, &storage, 64);
        let v = (0.6f64 / 0.9).powi(2);
        assert!(close(c.mac_pj, pe::mac_pj(W) * v));
        assert!(close(c.register_pj_per_pe_cycle, pe::register_pj_per_pe_cycle(W) * v));
        // The operand buffers' mean by size; the local memory apart.
        let (a, b) = (pe::storage_energy(4096, 64).at(0.6), pe::storage_energy(2048, 64).at(0.6));
        assert!(close(c.buffer_read_pj_per_byte, (4096.0 * a.read_pj_per_byte + 2048.0 * b.read_pj_per_byte) / 6144.0));
        assert!(close(
            c.buffer_write_pj_per_byte,
            (4096.0 * a.write_pj_per_byte + 2048.0 * b.write_pj_per_byte) / 6144.0
        ));
        let l = pe::storage_energy(64 << 10, 64).at(0.6);
        assert!(close(c.local_memory_pj_per_byte, (l.read_pj_per_byte + l.write_pj_per_byte) / 2.0));
        // Without a local memory nothing is charged to it.
        assert_eq!(e.resolve(W, &storage[..2], 64).local_memory_pj_per_byte, 0.0);
    }

    #[test]
    fn given_coefficients_win_and_wider_pes_cost_more() {
        let e = CoreEnergy { mac_pj: Some(1.5), buffer_write_pj_per_byte: Some(2.0), ..CoreEnergy::default() };
        let c = e.resolve(W, &[("input", 4096)], 64);
        assert_eq!((c.mac_pj, c.buffer_write_pj_per_byte), (1.5, 2.0));
        let d = CoreEnergy::default();
        let wide = PeWidths { operand_bits: 16, accumulator_bits: 32 };
        let (n, w) = (d.resolve(W, &[("input", 4096)], 64), d.resolve(wide, &[("input", 4096)], 128));
        assert!(w.mac_pj > n.mac_pj && w.register_pj_per_pe_cycle > n.register_pj_per_pe_cycle);
    }
}
