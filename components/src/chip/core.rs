//! The life of a task in a core, shared by the propagation cores and the update core: take a
//! task, read its operands from memory, compute (the datapath says how long, from its
//! dataflow), write the results, and report to the controller. One task at a time; tasks
//! that arrive meanwhile wait in order.
//!
//! Ports: `mem_req` / `mem_resp` (protocol `mem`, towards the interconnect), `task` / `done`
//! (protocol `ctrl`, from and to the controller).
//!
//! Statistics: `tasks.<op>` (count), `busy_cycles.<op>`, `macs`, `busy_cycles`,
//! `utilisation` (MACs over MAC slots of the whole run), `active_utilisation` (MACs over MAC
//! slots while computing), `load_wait_ps` and `store_wait_ps` (time waiting for memory),
//! `bytes_read`, `bytes_written`, and energy.

use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;
use sim_core::{ClockId, Component, Context, PortId, PortSpec, StatsWriter};

use super::dataflow::{Array, Work};
use super::mem_client::MemClient;
use super::protocol::{Done, Op, Region, Task};
use crate::energy::{ClockActivity, EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::Cause;
use crate::Msg;

/// Energy coefficients of a core, at `nominal_v` (scaled as V² for dynamic energy).
#[derive(Clone, Debug, Deserialize)]
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
    /// Clock tree, pipeline registers and control per cycle while computing.
    pub clock_pj_per_cycle: f64,
    /// Share of `clock_pj_per_cycle` still spent in an idle cycle (clock gating is partial).
    pub idle_clock_fraction: f64,
    pub leakage_mw: f64,
    pub nominal_v: f64,
    pub leakage_voltage_exponent: f64,
}

impl Default for CoreEnergy {
    fn default() -> Self {
        CoreEnergy {
            mac_pj: 0.45,
            buffer_read_pj_per_byte: 1.9,
            buffer_write_pj_per_byte: 1.9,
            local_memory_pj_per_byte: 4.5,
            clock_pj_per_cycle: 20.0,
            idle_clock_fraction: 0.1,
            leakage_mw: 1.0,
            nominal_v: 0.9,
            leakage_voltage_exponent: 3.0,
        }
    }
}

/// What a datapath produced for a task.
pub struct Executed {
    /// (address, bytes) to write back.
    pub writes: Vec<(u64, Vec<u8>)>,
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
}

const MEM_REQ: PortId = PortId(0);
const MEM_RESP: PortId = PortId(1);
const TASK: PortId = PortId(2);
const DONE: PortId = PortId(3);

enum Stage {
    Idle,
    Loading { task: Task, ids: BTreeMap<u64, (usize, usize)>, buffers: Vec<Vec<u8>>, left: usize, since: u64 },
    Computing { cause: Cause, writes: Vec<(u64, Vec<u8>)>, done: Done },
    Storing { acks: usize, done: Done, since: u64 },
}

#[derive(Default)]
struct CoreStats {
    per_op: BTreeMap<&'static str, (u64, u64)>,
    macs: u64,
    load_wait_ps: u64,
    store_wait_ps: u64,
    local_bytes: u64,
}

/// A core: a datapath `D` with its PE array, memory client and task lifecycle.
pub struct Core<D> {
    pub(crate) dp: D,
    array: Array,
    clock: ClockId,
    mem: MemClient,
    queue: VecDeque<Task>,
    stage: Stage,
    energy: EnergyMeter,
    coeff: CoreEnergy,
    activity: ClockActivity,
    stats: CoreStats,
}

impl<D: Datapath> Core<D> {
    pub fn new(dp: D, array: Array, domain: PowerDomain, coeff: CoreEnergy, max_outstanding: usize, request_bytes: u32) -> Self {
        let leakage = Leakage { mw_at_nominal: coeff.leakage_mw, nominal_v: coeff.nominal_v, voltage_exponent: coeff.leakage_voltage_exponent };
        Core {
            dp,
            array,
            clock: domain.clock,
            mem: MemClient::new(MEM_REQ, max_outstanding, request_bytes),
            queue: VecDeque::new(),
            stage: Stage::Idle,
            energy: EnergyMeter::new(domain, Scope::Chip, leakage),
            coeff,
            activity: ClockActivity::default(),
            stats: CoreStats::default(),
        }
    }

    fn start_next(&mut self, ctx: &mut Context<'_, Msg>) {
        if !matches!(self.stage, Stage::Idle) {
            return;
        }
        let Some(task) = self.queue.pop_front() else { return };
        let regions = match self.dp.operands(&task.op) {
            Ok(r) => r,
            Err(m) => return ctx.abort(m),
        };
        let buffers: Vec<Vec<u8>> = regions.iter().map(|r| vec![0; r.bytes as usize]).collect();
        let mut ids = BTreeMap::new();
        let cause = task.cause;
        for (k, r) in regions.iter().enumerate() {
            for (id, off) in self.mem.read(ctx, *r, cause) {
                ids.insert(id, (k, off));
            }
        }
        let left = ids.len();
        self.stage = Stage::Loading { task, ids, buffers, left, since: ctx.now().0 };
        if left == 0 {
            self.compute(ctx);
        }
    }

    fn compute(&mut self, ctx: &mut Context<'_, Msg>) {
        let Stage::Loading { task, buffers, since, .. } = std::mem::replace(&mut self.stage, Stage::Idle) else {
            unreachable!("compute follows loading")
        };
        self.stats.load_wait_ps += ctx.now().0 - since;
        let loaded: u64 = buffers.iter().map(|b| b.len() as u64).sum();
        let (cause, name, id) = (task.cause, task.op.name(), task.id);
        let ex = match self.dp.execute(task.op, buffers, self.array) {
            Ok(e) => e,
            Err(m) => return ctx.abort(m),
        };
        let v = self.energy.at(ctx);
        let stored: u64 = ex.writes.iter().map(|(_, d)| d.len() as u64).sum();
        let c = &self.coeff;
        self.energy.add(v, "mac", c.mac_pj, ex.work.macs as f64, cause);
        self.energy.add(v, "buffer_read", c.buffer_read_pj_per_byte, ex.work.buffer_reads as f64, cause);
        self.energy.add(v, "buffer_write", c.buffer_write_pj_per_byte, (loaded + stored) as f64, cause);
        self.energy.add(v, "local_memory", c.local_memory_pj_per_byte, ex.local_bytes as f64, cause);
        self.energy.add(v, "clock", c.clock_pj_per_cycle, ex.work.cycles as f64, cause);
        self.stats.local_bytes += ex.local_bytes;
        let now = ctx.now();
        let period = ctx.clock(self.clock).period_at(now).as_ps();
        self.activity.busy(period, ex.work.cycles);
        self.stats.macs += ex.work.macs;
        let e = self.stats.per_op.entry(name).or_default();
        e.0 += 1;
        e.1 += ex.work.cycles;
        let mut done = ex.done;
        done.id = id;
        done.busy_cycles = ex.work.cycles;
        self.stage = Stage::Computing { cause, writes: ex.writes, done };
        ctx.schedule_cycles(self.clock, ex.work.cycles, 0);
    }

    fn store(&mut self, ctx: &mut Context<'_, Msg>) {
        let Stage::Computing { cause, writes, done } = std::mem::replace(&mut self.stage, Stage::Idle) else {
            unreachable!("a timer only ends computing")
        };
        let mut acks = 0;
        for (addr, data) in &writes {
            acks += self.mem.write(ctx, *addr, data, cause);
        }
        self.stage = Stage::Storing { acks, done, since: ctx.now().0 };
        if acks == 0 {
            self.report(ctx);
        }
    }

    fn report(&mut self, ctx: &mut Context<'_, Msg>) {
        let Stage::Storing { done, since, .. } = std::mem::replace(&mut self.stage, Stage::Idle) else {
            unreachable!("report follows storing")
        };
        self.stats.store_wait_ps += ctx.now().0 - since;
        if ctx.send(DONE, Msg::Done(Box::new(done))).is_err() {
            return ctx.abort("the `done` channel to the controller refused a report; give it no depth limit");
        }
        self.start_next(ctx);
    }
}

impl<D: Datapath> Component<Msg> for Core<D> {
    fn ports(&self) -> Vec<PortSpec> {
        vec![
            PortSpec::output("mem_req", "mem"),
            PortSpec::input("mem_resp", "mem"),
            PortSpec::input("task", "ctrl"),
            PortSpec::output("done", "ctrl"),
        ]
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        match (port, msg) {
            (TASK, Msg::Task(t)) => {
                self.queue.push_back(*t);
                self.start_next(ctx);
            }
            (MEM_RESP, Msg::MemResp(r)) => {
                self.mem.on_response(ctx, &r);
                match &mut self.stage {
                    Stage::Loading { ids, buffers, left, .. } if !r.write => {
                        let Some((k, off)) = ids.remove(&r.id) else {
                            return ctx.abort(format!("a read response with unknown id {}", r.id));
                        };
                        buffers[k][off..off + r.data.len()].copy_from_slice(&r.data);
                        *left -= 1;
                        if *left == 0 {
                            self.compute(ctx);
                        }
                    }
                    Stage::Storing { acks, .. } if r.write => {
                        *acks -= 1;
                        if *acks == 0 {
                            self.report(ctx);
                        }
                    }
                    _ => ctx.abort(format!("an unexpected memory response (id {})", r.id)),
                }
            }
            (p, m) => ctx.abort(format!("unexpected message on port {}: {m:?}", p.0)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        self.store(ctx);
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
        stats.value("utilisation", if total == 0 { 0.0 } else { self.stats.macs as f64 / (total * pes) as f64 });
        stats.value("active_utilisation", if busy == 0 { 0.0 } else { self.stats.macs as f64 / (busy * pes) as f64 });
        stats.counter("load_wait_ps", self.stats.load_wait_ps);
        stats.counter("store_wait_ps", self.stats.store_wait_ps);
        stats.counter("bytes_read", self.mem.bytes_read);
        stats.counter("bytes_written", self.mem.bytes_written);
        stats.counter("local_memory_bytes", self.stats.local_bytes);
        self.dp.finish(stats);
        self.activity.charge_idle(&mut self.energy, stats, self.coeff.clock_pj_per_cycle, self.coeff.idle_clock_fraction);
        self.energy.write_stats(stats);
    }
}
