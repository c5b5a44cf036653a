//! `allreduce_driver`: asks its chip's collective engine for `iterations` all-reduces of
//! `bytes` each, one after another (`concurrent` at a time, sharing the links), and measures
//! each iteration, from the requests to the last answer. With `with_data`, rank r contributes
//! element e = (r + 1)·1000 + e and the driver checks that the answer is the sum over all
//! ranks (a wrong sum stops the run); without, only sizes move (timing studies).
//!
//! Ports: `grads_out` (to the engine's `grads_in`), `grads_in` (from its `grads_out`).
//!
//! Statistics: `collectives`, `time_ps` (histogram per all-reduce), `total_ps`, `last_ps`.

use serde::{Deserialize, Serialize};
use sim_core::{Component, Context, Histogram, PortId, PortSpec, StatsWriter};

use super::Collective;
use crate::param::{Declared, ParamDecl, Range, MAX_ALLOCATED_COUNT};
use crate::{Msg, ParamError};

/// Parameters (YAML `params` of an `allreduce_driver`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriverParams {
    /// Size of each all-reduce, bytes (a multiple of 8: 64-bit elements), 8..=2^40.
    pub bytes: u64,
    /// All-reduces, one after another, 1..=1_000_000.
    pub iterations: u32,
    /// All-reduces asked for at once in each iteration (they share the links), 1..=64.
    pub concurrent: u32,
    /// Move real values and check the sums (costs memory: `bytes` per chip).
    pub with_data: bool,
    /// This chip's rank and the number of chips (for the expected sum); the system expansion
    /// sets them.
    pub rank: usize,
    pub ranks: usize,
}

impl Default for DriverParams {
    fn default() -> Self {
        DriverParams { bytes: 1 << 20, iterations: 1, concurrent: 1, with_data: false, rank: 0, ranks: 1 }
    }
}

impl DriverParams {
    pub fn validate(&self) -> Result<(), ParamError> {
        // The numbers' ranges are declared (`Declared`) and checked by the edge; these checks
        // go beyond a range or relate two parameters.
        if self.bytes % 8 != 0 {
            return Err(ParamError::new(
                "bytes",
                format!("`bytes` must be a multiple of 8 (64-bit elements), not {}", self.bytes),
            ));
        }
        if self.ranks == 0 || self.rank >= self.ranks {
            return Err(ParamError::new("rank", format!("rank {} outside 0..{}", self.rank, self.ranks)));
        }
        Ok(())
    }
}

impl Declared for DriverParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "bytes",
            default: "1048576",
            range: Range::count(8, 1 << 40),
            doc: "size of each all-reduce, a multiple of 8 (64-bit elements); 1 MiB; at most 2^40 (schedules index elements)",
        },
        ParamDecl {
            name: "iterations",
            default: "1",
            range: Range::count(1, 1_000_000),
            doc: "all-reduces one after another; at most 1e6 (each is a histogram sample)",
        },
        ParamDecl {
            name: "concurrent",
            default: "1",
            range: Range::count(1, 64),
            doc: "all-reduces asked for at once in each iteration; each holds its schedule, so at most 64",
        },
        ParamDecl { name: "with_data", default: "false", range: Range::Other, doc: "move real values and check the sums" },
        ParamDecl {
            name: "rank",
            default: "0",
            range: Range::count(0, MAX_ALLOCATED_COUNT),
            doc: "this chip's rank, below `ranks`; set by the system expansion",
        },
        ParamDecl {
            name: "ranks",
            default: "1",
            range: Range::count(1, MAX_ALLOCATED_COUNT),
            doc: "chips in the all-reduce (for the expected sum); set by the system expansion",
        },
    ];
}

const OUT: PortId = PortId(0);
const IN: PortId = PortId(1);

pub struct AllReduceDriver {
    p: DriverParams,
    done: u32,
    /// Answers still to come in this iteration.
    waiting: u32,
    started: u64,
    times: Histogram,
    total_ps: u64,
    last_ps: u64,
}

impl AllReduceDriver {
    pub fn new(p: DriverParams) -> Result<Self, ParamError> {
        p.validate()?;
        Ok(AllReduceDriver { p, done: 0, waiting: 0, started: 0, times: Histogram::new(), total_ps: 0, last_ps: 0 })
    }

    fn elements(&self) -> usize {
        (self.p.bytes / 8) as usize
    }

    fn value(rank: usize, e: usize) -> i64 {
        (rank as i64 + 1) * 1000 + e as i64
    }

    fn ask(&mut self, ctx: &mut Context<'_, Msg>) {
        let n = self.elements();
        let data = self.p.with_data.then(|| (0..n).map(|e| Self::value(self.p.rank, e)).collect());
        self.started = ctx.now().0;
        self.waiting = self.p.concurrent;
        for k in 0..self.p.concurrent {
            let tag = u64::from(self.done) * 64 + u64::from(k);
            let c = Collective { tag, elements: n, sum_len: n, data: data.clone() };
            if ctx.send(OUT, Msg::Coll(Box::new(c))).is_err() {
                return ctx.abort("the driver's `grads_out` channel refused a request; give it no depth limit");
            }
        }
    }
}

impl Component<Msg> for AllReduceDriver {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("grads_out", "coll"), PortSpec::input("grads_in", "coll")]
    }

    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        self.ask(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        let (IN, Msg::Coll(c)) = (port, msg) else { return ctx.abort("unexpected message") };
        if let Some(d) = &c.data {
            let ranks = self.p.ranks;
            if let Some(e) = (0..d.len()).find(|&e| d[e] != (0..ranks).map(|r| Self::value(r, e)).sum::<i64>()) {
                return ctx.abort(format!("all-reduce {}: element {e} is {}, not the sum over the chips", c.tag, d[e]));
            }
        }
        self.waiting -= 1;
        if self.waiting > 0 {
            return;
        }
        let t = ctx.now().0 - self.started;
        self.times.record(t);
        self.total_ps += t;
        self.last_ps = t;
        self.done += 1;
        if self.done < self.p.iterations {
            self.ask(ctx);
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("collectives", u64::from(self.done));
        stats.histogram("time_ps", &self.times);
        stats.counter("total_ps", self.total_ps);
        stats.counter("last_ps", self.last_ps);
    }
}
