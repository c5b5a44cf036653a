//! `simple_memory`: an ideal memory with a fixed latency and an optional bandwidth, over a
//! real backing store. A baseline to compare a DRAM model against, and a stand-in behind a
//! buffer in tests. Requests are served in arrival order.
//!
//! Statistics: `reads`, `writes`, `bytes_read`, `bytes_written`.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{Component, Context, PortId, PortSpec, Refused, SimDuration, StatsWriter};

use crate::mem::MemResp;
use crate::param::{Declared, ParamDecl, Range};
use crate::Msg;

/// Parameters (YAML `params` of a `simple_memory`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimpleMemoryParams {
    /// From request arrival to the response leaving (service only; add channel latency).
    pub latency_ns: f64,
    /// Bytes served per nanosecond, requests one after another; 0 = unlimited.
    pub bytes_per_ns: f64,
}

impl Default for SimpleMemoryParams {
    fn default() -> Self {
        SimpleMemoryParams { latency_ns: 50.0, bytes_per_ns: 0.0 }
    }
}

/// The fastest rate, B/ns (1 TB/s): beyond any memory one component stands for.
const MAX_BYTES_PER_NS: f64 = 1e3;

impl Declared for SimpleMemoryParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "latency_ns",
            default: "50.0",
            range: Range::NS,
            doc: "request arrival to response (service only); 50 ns is a DRAM access as seen from a chip",
        },
        ParamDecl {
            name: "bytes_per_ns",
            default: "0.0",
            range: Range::Real { min: 0.0, max: MAX_BYTES_PER_NS, above_min: false },
            doc: "bandwidth, requests served one after another (0: unlimited); at most 1e3 (1 TB/s); \
                  a very low rate makes service times pass the end of simulated time, which stops the run",
        },
    ];
}

const PAGE: u64 = 4096;

pub struct SimpleMemory {
    latency_ps: u64,
    ps_per_byte: f64,
    busy_until: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
    /// Responses waiting for their time (FIFO: times are increasing).
    pending: VecDeque<MemResp>,
    backlog: VecDeque<MemResp>,
    reads: u64,
    writes: u64,
    bytes_read: u64,
    bytes_written: u64,
}

impl SimpleMemory {
    pub fn new(p: &SimpleMemoryParams) -> Self {
        SimpleMemory {
            latency_ps: (p.latency_ns * 1e3).round() as u64,
            ps_per_byte: if p.bytes_per_ns > 0.0 { 1e3 / p.bytes_per_ns } else { 0.0 },
            busy_until: 0,
            pages: BTreeMap::new(),
            pending: VecDeque::new(),
            backlog: VecDeque::new(),
            reads: 0,
            writes: 0,
            bytes_read: 0,
            bytes_written: 0,
        }
    }

    fn copy(&mut self, addr: u64, data: &mut [u8], write: bool) {
        let mut done = 0usize;
        while done < data.len() {
            let a = addr + done as u64;
            let (page, off) = (a / PAGE, (a % PAGE) as usize);
            let n = (PAGE as usize - off).min(data.len() - done);
            if write {
                let p = self.pages.entry(page).or_insert_with(|| vec![0; PAGE as usize].into_boxed_slice());
                p[off..off + n].copy_from_slice(&data[done..done + n]);
            } else if let Some(p) = self.pages.get(&page) {
                data[done..done + n].copy_from_slice(&p[off..off + n]);
            }
            done += n;
        }
    }
}

impl Component<Msg> for SimpleMemory {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("req", "mem"), PortSpec::output("resp", "mem")]
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemReq(mut req) = msg else {
            ctx.abort(format!("expects memory requests, got {msg:?}"));
            return;
        };
        let now = ctx.now().0;
        let start = now.max(self.busy_until);
        // Saturating: a tiny rate gives a time past the end of simulated time, which the kernel
        // refuses with an error (instead of wrapping around).
        self.busy_until = start.saturating_add((f64::from(req.bytes) * self.ps_per_byte).round() as u64);
        let data = if req.write {
            self.writes += 1;
            self.bytes_written += u64::from(req.bytes);
            let mut d = std::mem::take(&mut req.data);
            self.copy(req.addr, &mut d, true);
            Vec::new()
        } else {
            self.reads += 1;
            self.bytes_read += u64::from(req.bytes);
            let mut d = vec![0; req.bytes as usize];
            self.copy(req.addr, &mut d, false);
            d
        };
        self.pending.push_back(req.respond(data));
        ctx.schedule(SimDuration(self.busy_until.saturating_add(self.latency_ps) - now), 0);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        let resp = self.pending.pop_front().expect("one timer per response");
        if self.backlog.is_empty() {
            if let Err(Refused(Msg::MemResp(r))) = ctx.send(PortId(1), Msg::MemResp(Box::new(resp))) {
                self.backlog.push_back(*r);
            }
        } else {
            self.backlog.push_back(resp);
        }
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        while let Some(r) = self.backlog.pop_front() {
            if let Err(Refused(Msg::MemResp(r))) = ctx.send(PortId(1), Msg::MemResp(Box::new(r))) {
                self.backlog.push_front(*r);
                return;
            }
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("reads", self.reads);
        stats.counter("writes", self.writes);
        stats.counter("bytes_read", self.bytes_read);
        stats.counter("bytes_written", self.bytes_written);
    }
}
