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
use crate::cost::area;
use crate::energy::{power_windows, ClockActivity, EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, Phase};
use crate::windows::Windows;
use crate::Msg;

use crate::param::{ParamDecl, Range};

/// Energy coefficients of a core, at `nominal_v` (scaled as V² for dynamic energy).
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreEnergy {
    /// One 8-bit multiply with a 32-bit accumulate. Horowitz (ISSCC 2014, 45 nm, 0.9 V):
    /// 0.2 pJ + 0.1 pJ; ×1.5 for 65 nm = 0.45 pJ.
    pub mac_pj: f64,
    /// Per byte read from the core's local buffers. Horowitz: 10 pJ per 64-bit read of an
    /// 8 KB SRAM = 1.25 pJ/B; ×1.5 for 65 nm.
    pub buffer_read_pj_per_byte: f64,
    pub buffer_write_pj_per_byte: f64,
    /// Per byte of the update core's local memory (master weights, momentum, gradient sums):
    /// a 64 KiB SRAM, between Horowitz's 32 KB (20 pJ/64 bit) and 1 MB points, ×1.5 for 65 nm.
    pub local_memory_pj_per_byte: f64,
    /// Clock distribution, pipeline registers and control, per PE per cycle while
    /// computing. 0.5 pJ: a PE clocks about 64 flip-flops (operands, accumulator, control),
    /// a few fJ each at 65 nm and 0.9 V, plus its share of the clock tree.
    pub clock_pj_per_pe_cycle: f64,
    /// Share of the clock energy still spent in an idle cycle (clock gating is partial).
    pub idle_clock_fraction: f64,
    pub leakage_mw: f64,
    pub nominal_v: f64,
    pub leakage_voltage_exponent: f64,
}

impl crate::param::Declared for CoreEnergy {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "mac_pj",
            default: "0.45",
            range: Range::ENERGY_PJ,
            doc: "8-bit multiply + 32-bit accumulate; Horowitz (ISSCC 2014): 0.2 + 0.1 pJ at 45 nm, x1.5 for 65 nm",
        },
        ParamDecl {
            name: "buffer_read_pj_per_byte",
            default: "1.9",
            range: Range::ENERGY_PJ,
            doc: "per byte read from local buffers; Horowitz: 10 pJ per 64 bit of 8 KB SRAM, x1.5 for 65 nm",
        },
        ParamDecl {
            name: "buffer_write_pj_per_byte",
            default: "1.9",
            range: Range::ENERGY_PJ,
            doc: "per byte written to local buffers: as a read",
        },
        ParamDecl {
            name: "local_memory_pj_per_byte",
            default: "4.5",
            range: Range::ENERGY_PJ,
            doc: "per byte of the update core's 64 KiB local memory, between Horowitz's 32 KB and 1 MB points",
        },
        ParamDecl {
            name: "clock_pj_per_pe_cycle",
            default: "0.5",
            range: Range::ENERGY_PJ,
            doc: "clock, registers and control per PE per computing cycle (~64 flip-flops of a few fJ)",
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
            mac_pj: 0.45,
            buffer_read_pj_per_byte: 1.9,
            buffer_write_pj_per_byte: 1.9,
            local_memory_pj_per_byte: 4.5,
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
    buffers_kib: &[(&'static str, f64)],
    max_outstanding: u32,
    request_bytes: u32,
) -> Result<(), (&'static str, String)> {
    if pe_rows == 0 || pe_cols == 0 {
        return Err(("pe_rows", "a PE array needs at least one row and one column (`pe_rows`, `pe_cols`)".into()));
    }
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
    coeff: CoreEnergy,
    activity: ClockActivity,
    stats: CoreStats,
    /// Busy time per power window, per training phase ([`Phase::index`]), ps.
    phase_busy: [Windows<u64>; Phase::ALL.len()],
    /// When the last task's busy time ended (the next one's starts no earlier).
    busy_until: u64,
}

impl<D: Datapath> Core<D> {
    /// A core around `dp`. With `double_buffer`, the next task's operands load while the
    /// current one computes, and results are written while the next one computes.
    pub fn new(
        dp: D,
        array: Array,
        domain: PowerDomain,
        coeff: CoreEnergy,
        max_outstanding: usize,
        request_bytes: u32,
        double_buffer: bool,
    ) -> Self {
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
            coeff,
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

/// The PE of both core types: 8-bit operands (the all-8-bit datapath of Choi et al. 2020,
/// `train_math::kernels::int8`) into 32-bit accumulators (the kernels' `i32` sums).
pub const PE_WIDTHS: area::PeWidths = area::PeWidths { operand_bits: 8, accumulator_bits: 32 };

impl<D: Datapath> Core<D> {
    /// Area (`area.pe_array_mm2`, `area.<buffer>_mm2`, `area_mm2` in total) and the energy of
    /// one action at the present voltage (`cost.mac_pj`, `cost.buffer_read_pj_per_byte`,
    /// `cost.buffer_write_pj_per_byte`, `cost.clock_pj_per_pe_cycle`). Local storage is read
    /// a row of 8-bit operands at a time: `8 x pe_cols`-bit words.
    fn write_costs(&self, stats: &mut StatsWriter<'_>) {
        let node = self.energy.domain().technology.area;
        let pe_array = area::pe_um2(PE_WIDTHS) * self.array.pes() as f64 * 1e-6 * node;
        stats.value("area.pe_array_mm2", pe_array);
        let word_bits = u32::try_from(8 * self.array.cols).unwrap_or(u32::MAX);
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
            ("buffer_read_pj_per_byte", c.buffer_read_pj_per_byte),
            ("buffer_write_pj_per_byte", c.buffer_write_pj_per_byte),
            ("clock_pj_per_pe_cycle", c.clock_pj_per_pe_cycle),
        ] {
            stats.extent(&format!("cost.{name}"), self.energy.at_present_voltage(stats, pj));
        }
    }
}
