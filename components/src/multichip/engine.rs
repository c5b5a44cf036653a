//! `collective_engine`: one per chip. It takes a vector on `grads_in` (the update core's
//! gradient sums, or a driver's request), runs this chip's all-reduce schedule
//! ([`super::schedule`]) over its link ports — real bytes, real integer sums — and answers on
//! `grads_out` with the reduced vector.
//!
//! Execution is data-driven at chunk granularity: every transfer of the schedule is cut into
//! chunks of `chunk_kib`; a chunk is sent as soon as every earlier-step chunk it covers has
//! been received and reduced, and a received chunk is applied as soon as every chunk of the
//! same or an earlier step that reads its elements has been sent. So chunks pipeline through
//! the steps (a ring's step k+1 starts on chunk 0 while chunk 1 of step k is on the wire).
//! With `chunk_kib: 0` a transfer is one packet and the engine follows the α-β model's
//! step-by-step picture exactly.
//!
//! Reductions run on the engine's adder, `reduce_elements_per_cycle` 64-bit adds per cycle of
//! its clock, one chunk after another; copies (all-gather) cost buffer energy but no time.
//!
//! Ports: `grads_in` / `grads_out` (protocol `coll`); per dimension d: ring `d<d>_tx_next`,
//! `d<d>_rx_prev`; bidirectional ring also `d<d>_tx_prev`, `d<d>_rx_next`; fully connected
//! `d<d>_tx<j>` / `d<d>_rx<j>` for every other coordinate j; switch `d<d>_tx` / `d<d>_rx`
//! (protocol `link`).
//!
//! Statistics: `collectives`, `elements`, `bytes_sent`, `bytes_received`, `packets_sent`,
//! `reduced_elements`, `adder_busy_ps`, `collective_ps` (sum over collectives, request to
//! answer), `phase.d<d>.reduce_scatter_ps` / `.all_gather_ps` (summed), and energy.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Range;

use serde::{Deserialize, Serialize};
use sim_core::{ClockId, Component, Context, PortId, PortSpec, StatsWriter};

use super::schedule::{self, Algorithm, Apply, Dim, DimKind, Step};
use super::{Collective, LinkPacket};
use crate::energy::{EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, Phase};
use crate::param::{self, Declared, ParamDecl, MAX_ALLOCATED_COUNT};
use crate::{Msg, ParamError};

/// One network dimension as the engine is told it (by the system expansion).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DimParams {
    /// `ring`, `bidirectional_ring`, `fully_connected` or `switch`.
    pub kind: String,
    /// Chips along this dimension (>= 1).
    pub size: usize,
    /// `ring`, `bidirectional_ring` or `halving_doubling`; default by kind
    /// ([`Algorithm::default_for`]).
    pub algorithm: Option<String>,
}

/// Energy coefficients at `nominal_v` (dynamic energy scales as V²).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineEnergy {
    /// One 64-bit integer add. Horowitz (ISSCC 2014, 45 nm, 0.9 V): 32-bit add 0.1 pJ; ×2
    /// for 64 bits, ×1.5 for 65 nm = 0.3 pJ.
    pub add_pj_per_element: f64,
    /// Per byte read or written in the engine's buffer: as the cores' buffers (Horowitz: 10 pJ
    /// per 64-bit read of an 8 KB SRAM, ×1.5 for 65 nm = 1.9 pJ/B).
    pub buffer_pj_per_byte: f64,
    /// Leakage of the engine (its adder and buffer), mW at `nominal_v`: a tenth of a core's
    /// 1 mW, as it is a tenth of its size (a 256-bit adder row and a small buffer).
    pub leakage_mw: f64,
    pub nominal_v: f64,
}

impl Default for EngineEnergy {
    fn default() -> Self {
        EngineEnergy { add_pj_per_element: 0.3, buffer_pj_per_byte: 1.9, leakage_mw: 0.1, nominal_v: 0.9 }
    }
}

/// Parameters (YAML `params` of a `collective_engine`; the system expansion writes `rank`
/// and `dimensions`).
/// Declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineParams {
    pub clock: String,
    /// This chip's rank (0-based; dimension 0 varies fastest).
    pub rank: usize,
    pub dimensions: Vec<DimParams>,
    /// Chunk size for pipelining, KiB (0: one packet per transfer). Default 64 KiB, the order
    /// of the slices NCCL pipelines rings with (its 4 MiB buffer in 8 steps of 512 KiB, scaled
    /// to this chip's kilobyte-sized gradients).
    pub chunk_kib: f64,
    /// 64-bit adds per cycle (1..=1024). 4: a 256-bit adder row, as wide as the NoC's links.
    pub reduce_elements_per_cycle: u32,
    pub energy: EngineEnergy,
}

impl Default for EngineParams {
    fn default() -> Self {
        EngineParams {
            clock: "sys_clk".into(),
            rank: 0,
            dimensions: Vec::new(),
            chunk_kib: 64.0,
            reduce_elements_per_cycle: 4,
            energy: EngineEnergy::default(),
        }
    }
}

impl Declared for EngineEnergy {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "add_pj_per_element",
            default: "0.3",
            range: param::Range::ENERGY_PJ,
            doc: "one 64-bit add: Horowitz (ISSCC 2014) 0.1 pJ per 32-bit add, x2 for 64 bits, x1.5 for 65 nm",
        },
        ParamDecl {
            name: "buffer_pj_per_byte",
            default: "1.9",
            range: param::Range::ENERGY_PJ,
            doc: "per byte through the engine's buffer: Horowitz 8 KB SRAM read, x1.5 for 65 nm",
        },
        ParamDecl {
            name: "leakage_mw",
            default: "0.1",
            range: param::Range::POWER_MW,
            doc: "adder and buffer leakage at nominal_v: a tenth of a core's 1 mW, as a tenth of its size",
        },
        param::nominal_v("0.9"),
    ];
}

impl Declared for EngineParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl { name: "clock", default: "sys_clk", range: param::Range::Other, doc: "clock and power domain" },
        ParamDecl {
            name: "rank",
            default: "0",
            range: param::Range::count(0, MAX_ALLOCATED_COUNT),
            doc: "this chip's rank (dimension 0 fastest), below the product of the sizes; set by the system expansion",
        },
        ParamDecl {
            name: "dimensions",
            default: "(system expansion)",
            range: param::Range::Other,
            doc: "[{kind, size (1..=65536), algorithm}]: the network, written by the system expansion",
        },
        ParamDecl {
            name: "chunk_kib",
            default: "64",
            range: param::Range::Real { min: 0.0, max: 1_048_576.0, above_min: false },
            doc: "pipelining chunk (0: one packet per transfer), the order of NCCL's ring slices; at most 1 GiB",
        },
        ParamDecl {
            name: "reduce_elements_per_cycle",
            default: "4",
            range: param::Range::count(1, 1024),
            doc: "64-bit adds per cycle: a 256-bit adder row, as wide as the NoC's links",
        },
        ParamDecl {
            name: "energy",
            default: "",
            range: param::Range::Group(EngineEnergy::PARAMS),
            doc: "energy at nominal_v",
        },
    ];
}

impl EngineParams {
    /// The dimensions as schedules need them, or the parameter that is wrong.
    pub fn dims(&self) -> Result<Vec<Dim>, ParamError> {
        let mut out = Vec::new();
        for (d, p) in self.dimensions.iter().enumerate() {
            let field = |f: &str| format!("dimensions[{d}].{f}");
            let kind = DimKind::parse(&p.kind).ok_or_else(|| {
                ParamError::new(field("kind"), format!("unknown dimension kind `{}`", p.kind))
                    .fix(format!("use one of {}", DimKind::NAMES.join(", ")))
            })?;
            if p.size == 0 || p.size > 65_536 {
                return Err(ParamError::new(field("size"), format!("`size` must be 1..=65536, not {}", p.size)));
            }
            let algorithm = match &p.algorithm {
                None => Algorithm::default_for(kind, p.size),
                Some(a) => Algorithm::parse(a).ok_or_else(|| {
                    ParamError::new(field("algorithm"), format!("unknown algorithm `{a}`"))
                        .fix(format!("use one of {}", Algorithm::NAMES.join(", ")))
                })?,
            };
            if let Some(why) = algorithm.misfit(kind, p.size) {
                return Err(ParamError::new(field("algorithm"), why)
                    .fix("choose `ring` (any dimension) or change the dimension's kind or size"));
            }
            out.push(Dim { kind, size: p.size, algorithm });
        }
        let chips: usize = out.iter().map(|d| d.size).product();
        if self.rank >= chips.max(1) {
            return Err(ParamError::new("rank", format!("rank {} outside the {chips} chips", self.rank)));
        }
        Ok(out)
    }

    pub fn validate(&self) -> Result<(), ParamError> {
        // The numbers' ranges are declared (`Declared`) and checked by the edge.
        self.dims().map(|_| ())
    }
}

/// The link ports of a chip: (name, dimension, role) in port order after `grads_in`/`grads_out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    TxNext,
    TxPrev,
    RxPrev,
    RxNext,
    Tx(usize),
    Rx(usize),
    TxSwitch,
    RxSwitch,
}

fn link_ports(dims: &[Dim], rank: usize) -> Vec<(String, usize, Role)> {
    let me = schedule::coords(dims, rank);
    let mut v = Vec::new();
    for (d, dim) in dims.iter().enumerate() {
        if dim.size == 1 {
            continue;
        }
        match dim.kind {
            DimKind::Ring => {
                v.push((format!("d{d}_tx_next"), d, Role::TxNext));
                v.push((format!("d{d}_rx_prev"), d, Role::RxPrev));
            }
            DimKind::BidirectionalRing => {
                v.push((format!("d{d}_tx_next"), d, Role::TxNext));
                v.push((format!("d{d}_tx_prev"), d, Role::TxPrev));
                v.push((format!("d{d}_rx_prev"), d, Role::RxPrev));
                v.push((format!("d{d}_rx_next"), d, Role::RxNext));
            }
            DimKind::FullyConnected => {
                for j in (0..dim.size).filter(|j| *j != me[d]) {
                    v.push((format!("d{d}_tx{j}"), d, Role::Tx(j)));
                    v.push((format!("d{d}_rx{j}"), d, Role::Rx(j)));
                }
            }
            DimKind::Switch => {
                v.push((format!("d{d}_tx"), d, Role::TxSwitch));
                v.push((format!("d{d}_rx"), d, Role::RxSwitch));
            }
        }
    }
    v
}

const GRADS_IN: PortId = PortId(0);
const GRADS_OUT: PortId = PortId(1);

/// A send chunk: waits for `deps` earlier-step receives covering its elements.
struct SendChunk {
    port: PortId,
    peer: usize,
    /// Its place among this step's chunks to `peer`.
    seq: u32,
    step: usize,
    range: Range<usize>,
    deps: u32,
    /// Receives (ids) that wait for this chunk to be sent.
    unblocks: Vec<usize>,
}

/// A receive chunk: waits for its packet and for `deps` sends that read its elements first.
struct RecvChunk {
    step: usize,
    range: Range<usize>,
    apply: Apply,
    deps: u32,
    data: Option<Option<Vec<i64>>>,
    /// Sends (ids) that wait for this chunk to be applied.
    unblocks: Vec<usize>,
}

/// One collective in progress.
struct Running {
    req: Collective,
    steps: Vec<Step>,
    sends: Vec<SendChunk>,
    recvs: Vec<RecvChunk>,
    /// (step, source chip, the packet's place among that chip's packets to this one in the
    /// step) -> receive chunk. Both sides cut and order a step's transfers alike.
    by_key: HashMap<(u32, u32, u32), usize>,
    left: usize,
    start: u64,
    /// Receives of each step not yet applied, and when each step's last one was.
    step_left: Vec<usize>,
    step_done: Vec<u64>,
}

/// Elementary intervals over element indices, each with the ids that touched it.
#[derive(Default)]
struct Cover {
    segs: BTreeMap<usize, (usize, Vec<usize>)>,
}

impl Cover {
    fn split(&mut self, at: usize) {
        let Some((&s, (e, ids))) = self.segs.range(..at).next_back() else { return };
        if *e > at {
            let (e, ids) = (*e, ids.clone());
            self.segs.insert(s, (at, ids.clone()));
            self.segs.insert(at, (e, ids));
        }
    }

    fn add(&mut self, r: &Range<usize>, id: usize) {
        if r.is_empty() {
            return;
        }
        self.split(r.start);
        self.split(r.end);
        // Fill holes so that every element of r is in some segment.
        let mut pos = r.start;
        let keys: Vec<usize> = self.segs.range(r.start..r.end).map(|(k, _)| *k).collect();
        for k in keys {
            if k > pos {
                self.segs.insert(pos, (k, Vec::new()));
            }
            pos = self.segs[&k].0;
        }
        if pos < r.end {
            self.segs.insert(pos, (r.end, Vec::new()));
        }
        for (_, (_, ids)) in self.segs.range_mut(r.start..r.end) {
            ids.push(id);
        }
    }

    fn touching(&self, r: &Range<usize>) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        if r.is_empty() {
            return out;
        }
        let from = self.segs.range(..=r.start).next_back().map_or(r.start, |(k, _)| *k);
        for (_, (e, ids)) in self.segs.range(from..r.end) {
            if *e > r.start {
                out.extend(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

pub struct CollectiveEngine {
    p: EngineParams,
    dims: Vec<Dim>,
    clock: ClockId,
    /// Port of each link role, by dimension.
    ports: Vec<(String, usize, Role)>,
    chunk_elems: usize,
    running: BTreeMap<u64, Running>,
    /// Packets for collectives this chip has not been asked for yet.
    early: BTreeMap<u64, Vec<LinkPacket>>,
    /// Packets waiting for their port, per port.
    outq: Vec<VecDeque<LinkPacket>>,
    /// Reductions waiting for the adder: (tag, receive id); the first is on it.
    adder: VecDeque<(u64, usize)>,
    adder_busy_ps: u64,
    energy: EnergyMeter,
    stats: EngineStats,
}

#[derive(Default)]
struct EngineStats {
    collectives: u64,
    elements: u64,
    bytes_sent: u64,
    bytes_received: u64,
    packets_sent: u64,
    reduced: u64,
    collective_ps: u64,
    phase_ps: BTreeMap<String, u64>,
}

impl CollectiveEngine {
    pub fn new(p: EngineParams, domain: PowerDomain) -> Result<Self, ParamError> {
        p.validate()?;
        let dims = p.dims()?;
        let ports = link_ports(&dims, p.rank);
        let chunk_elems = if p.chunk_kib == 0.0 { usize::MAX } else { ((p.chunk_kib * 1024.0 / 8.0) as usize).max(1) };
        let e = &p.energy;
        let leakage = Leakage { mw_at_nominal: e.leakage_mw, nominal_v: e.nominal_v, voltage_exponent: 3.0 };
        Ok(CollectiveEngine {
            clock: domain.clock,
            energy: EnergyMeter::new(domain, Scope::Chip, leakage),
            outq: vec![VecDeque::new(); ports.len() + 2],
            ports,
            dims,
            chunk_elems,
            running: BTreeMap::new(),
            early: BTreeMap::new(),
            adder: VecDeque::new(),
            adder_busy_ps: 0,
            stats: EngineStats::default(),
            p,
        })
    }

    /// The output port that reaches `peer` along dimension `d` going `dir`.
    fn route(&self, d: usize, dir: i8, peer: usize) -> PortId {
        let dim = self.dims[d];
        let me = schedule::coords(&self.dims, self.p.rank)[d];
        let them = schedule::coords(&self.dims, peer)[d];
        let want = match dim.kind {
            DimKind::Switch => Role::TxSwitch,
            DimKind::FullyConnected => Role::Tx(them),
            DimKind::BidirectionalRing if dir < 0 => Role::TxPrev,
            DimKind::BidirectionalRing if dir == 0 && them != (me + 1) % dim.size => Role::TxPrev,
            DimKind::Ring | DimKind::BidirectionalRing => Role::TxNext,
        };
        let k =
            self.ports.iter().position(|(_, pd, r)| *pd == d && *r == want).expect("schedules only use existing links");
        PortId((k + 2) as u16)
    }

    fn start(&mut self, ctx: &mut Context<'_, Msg>, req: Collective) {
        let n = req.elements;
        let steps = schedule::all_reduce(&self.dims, self.p.rank, n);
        let mut sends = Vec::new();
        let mut recvs = Vec::new();
        let mut by_key = HashMap::new();
        let mut written = Cover::default();
        let mut read = Cover::default();
        for (s, st) in steps.iter().enumerate() {
            let first_send = sends.len();
            let mut send_seq: HashMap<usize, u32> = HashMap::new();
            for t in &st.sends {
                for range in chunks(&t.range, self.chunk_elems) {
                    let deps = written.touching(&range);
                    let id = sends.len();
                    for &r in &deps {
                        let rc: &mut RecvChunk = &mut recvs[r];
                        rc.unblocks.push(id);
                    }
                    let seq = send_seq.entry(t.peer).or_insert(0u32);
                    *seq += 1;
                    let seq = *seq - 1;
                    sends.push(SendChunk {
                        port: self.route(st.dim, t.dir, t.peer),
                        peer: t.peer,
                        seq,
                        step: s,
                        range,
                        deps: deps.len() as u32,
                        unblocks: Vec::new(),
                    });
                }
            }
            for (id, send) in sends.iter().enumerate().skip(first_send) {
                read.add(&send.range, id);
            }
            let first_recv = recvs.len();
            let mut recv_seq: HashMap<usize, u32> = HashMap::new();
            for t in &st.recvs {
                for range in chunks(&t.range, self.chunk_elems) {
                    let id = recvs.len();
                    let deps = read.touching(&range);
                    for &x in &deps {
                        sends[x].unblocks.push(id);
                    }
                    let seq = recv_seq.entry(t.peer).or_insert(0u32);
                    by_key.insert((s as u32, t.peer as u32, *seq), id);
                    *seq += 1;
                    recvs.push(RecvChunk {
                        step: s,
                        range,
                        apply: st.apply,
                        // The packet itself is one more thing to wait for.
                        deps: deps.len() as u32 + 1,
                        data: None,
                        unblocks: Vec::new(),
                    });
                }
            }
            for (id, recv) in recvs.iter().enumerate().skip(first_recv) {
                written.add(&recv.range, id);
            }
        }
        let mut step_left = vec![0; steps.len()];
        for r in &recvs {
            step_left[r.step] += 1;
        }
        let tag = req.tag;
        self.stats.collectives += 1;
        self.stats.elements += n as u64;
        let left = sends.len() + recvs.len();
        let run = Running {
            req,
            step_done: vec![ctx.now().0; steps.len()],
            steps,
            sends,
            recvs,
            by_key,
            left,
            start: ctx.now().0,
            step_left,
        };
        self.running.insert(tag, run);
        let ready: Vec<usize> =
            self.running[&tag].sends.iter().enumerate().filter(|(_, s)| s.deps == 0).map(|(i, _)| i).collect();
        for i in ready {
            self.send(ctx, tag, i);
        }
        for pkt in self.early.remove(&tag).unwrap_or_default() {
            self.arrive(ctx, pkt);
        }
        self.maybe_finish(ctx, tag);
    }

    /// Captures send chunk `i`'s data into a packet and queues it on its port.
    fn send(&mut self, ctx: &mut Context<'_, Msg>, tag: u64, i: usize) {
        let rank = self.p.rank as u32;
        let run = self.running.get_mut(&tag).expect("running");
        let s = &run.sends[i];
        let pkt = LinkPacket {
            tag,
            step: s.step as u32,
            src: rank,
            dst: s.peer as u32,
            seq: s.seq,
            start: s.range.start as u64,
            len: s.range.len() as u64,
            data: run.req.data.as_ref().map(|d| d[s.range.clone()].to_vec()),
        };
        let port = s.port;
        let unblocks = std::mem::take(&mut run.sends[i].unblocks);
        run.left -= 1;
        self.stats.bytes_sent += pkt.wire_bytes();
        self.stats.packets_sent += 1;
        let v = self.energy.at(ctx);
        self.energy.add(v, "buffer", self.p.energy.buffer_pj_per_byte, pkt.wire_bytes() as f64, cause());
        self.outq[port.0 as usize].push_back(pkt);
        self.drain(ctx, port);
        for r in unblocks {
            self.unblock_recv(ctx, tag, r);
        }
    }

    /// Sends queued packets until the port refuses one (a refusal is what brings `on_ready`).
    fn drain(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        loop {
            let Some(pkt) = self.outq[port.0 as usize].pop_front() else { return };
            if let Err(r) = ctx.send(port, Msg::Link(Box::new(pkt))) {
                let Msg::Link(p) = r.0 else { unreachable!("sent a link packet") };
                self.outq[port.0 as usize].push_front(*p);
                return;
            }
        }
    }

    fn unblock_recv(&mut self, ctx: &mut Context<'_, Msg>, tag: u64, r: usize) {
        let run = self.running.get_mut(&tag).expect("running");
        run.recvs[r].deps -= 1;
        if run.recvs[r].deps == 0 {
            self.apply(ctx, tag, r);
        }
    }

    fn arrive(&mut self, ctx: &mut Context<'_, Msg>, pkt: LinkPacket) {
        let Some(run) = self.running.get_mut(&pkt.tag) else {
            // Counted when its collective starts and takes it.
            self.early.entry(pkt.tag).or_default().push(pkt);
            return;
        };
        self.stats.bytes_received += pkt.wire_bytes();
        let Some(&r) = run.by_key.get(&(pkt.step, pkt.src, pkt.seq)) else {
            return ctx.abort(format!(
                "a link packet this chip's schedule does not expect (collective {}, step {}, from chip {}, element {}): every chip's engine must be given the same dimensions",
                pkt.tag, pkt.step, pkt.src, pkt.start
            ));
        };
        if run.recvs[r].range.len() as u64 != pkt.len || run.recvs[r].data.is_some() {
            return ctx.abort(format!(
                "a link packet of the wrong size or twice (collective {}, step {})",
                pkt.tag, pkt.step
            ));
        }
        run.recvs[r].data = Some(pkt.data);
        self.unblock_recv(ctx, pkt.tag, r);
    }

    /// Receive `r` may be applied: copies go at once, reductions queue for the adder.
    fn apply(&mut self, ctx: &mut Context<'_, Msg>, tag: u64, r: usize) {
        let run = self.running.get_mut(&tag).expect("running");
        match run.recvs[r].apply {
            Apply::Copy => {
                let bytes = 8.0 * run.recvs[r].range.len() as f64;
                let v = self.energy.at(ctx);
                self.energy.add(v, "buffer", self.p.energy.buffer_pj_per_byte, bytes, cause());
                self.applied(ctx, tag, r);
            }
            Apply::Reduce => {
                self.adder.push_back((tag, r));
                if self.adder.len() == 1 {
                    self.start_adder(ctx);
                }
            }
        }
    }

    fn start_adder(&mut self, ctx: &mut Context<'_, Msg>) {
        let Some(&(tag, r)) = self.adder.front() else { return };
        let n = self.running[&tag].recvs[r].range.len() as u64;
        let cycles = n.div_ceil(u64::from(self.p.reduce_elements_per_cycle));
        let now = ctx.now();
        let until = ctx.clock(self.clock).edge_after(now, cycles);
        self.adder_busy_ps += until.0 - now.0;
        let v = self.energy.at(ctx);
        self.energy.spread(now, until);
        let e = &self.p.energy;
        self.energy.add(v, "add", e.add_pj_per_element, n as f64, cause());
        // Read both operands, write the sum.
        self.energy.add(v, "buffer", e.buffer_pj_per_byte, 24.0 * n as f64, cause());
        self.stats.reduced += n;
        ctx.schedule_at(until, 0);
    }

    /// Receive `r`'s data is in place: sends that waited for it may go.
    fn applied(&mut self, ctx: &mut Context<'_, Msg>, tag: u64, r: usize) {
        let now = ctx.now().0;
        let run = self.running.get_mut(&tag).expect("running");
        let rc = &mut run.recvs[r];
        let incoming = rc.data.take().flatten();
        if let (Some(local), Some(inc)) = (run.req.data.as_mut(), incoming) {
            let sum_len = run.req.sum_len;
            for (k, x) in rc.range.clone().zip(inc) {
                match rc.apply {
                    Apply::Copy => local[k] = x,
                    Apply::Reduce if k < sum_len => local[k] = local[k].wrapping_add(x),
                    Apply::Reduce => local[k] = local[k].max(x),
                }
            }
        }
        let step = rc.step;
        let unblocks = std::mem::take(&mut rc.unblocks);
        run.left -= 1;
        run.step_left[step] -= 1;
        if run.step_left[step] == 0 {
            run.step_done[step] = now;
        }
        for s in unblocks {
            let run = self.running.get_mut(&tag).expect("running");
            run.sends[s].deps -= 1;
            if run.sends[s].deps == 0 {
                self.send(ctx, tag, s);
            }
        }
        self.maybe_finish(ctx, tag);
    }

    fn maybe_finish(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if self.running.get(&tag).is_none_or(|r| r.left > 0) {
            return;
        }
        let run = self.running.remove(&tag).expect("checked");
        let now = ctx.now().0;
        self.stats.collective_ps += now - run.start;
        // Phase times: from the end of the previous phase to the end of this one's last step.
        let mut prev = run.start;
        let mut k = 0;
        while k < run.steps.len() {
            let (dim, apply) = (run.steps[k].dim, run.steps[k].apply);
            let mut end = prev;
            while k < run.steps.len() && run.steps[k].dim == dim && run.steps[k].apply == apply {
                end = end.max(run.step_done[k]);
                k += 1;
            }
            let name = match apply {
                Apply::Reduce => format!("phase.d{dim}.reduce_scatter_ps"),
                Apply::Copy => format!("phase.d{dim}.all_gather_ps"),
            };
            *self.stats.phase_ps.entry(name).or_default() += end - prev;
            prev = end;
        }
        if ctx.send(GRADS_OUT, Msg::Coll(Box::new(run.req))).is_err() {
            ctx.abort("the `grads_out` channel refused the all-reduced vector; give it no depth limit");
        }
    }
}

/// `r` cut into chunks of at most `size` elements (an empty range stays one empty chunk, so
/// that both sides still exchange a packet).
fn chunks(r: &Range<usize>, size: usize) -> Vec<Range<usize>> {
    if r.is_empty() {
        return vec![r.clone()];
    }
    let mut v = Vec::new();
    let mut a = r.start;
    while a < r.end {
        let b = a.saturating_add(size).min(r.end);
        v.push(a..b);
        a = b;
    }
    v
}

fn cause() -> Cause {
    Cause::new(Phase::Wu, Cause::NO_LAYER)
}

impl Component<Msg> for CollectiveEngine {
    fn ports(&self) -> Vec<PortSpec> {
        let mut v = vec![PortSpec::input("grads_in", "coll"), PortSpec::output("grads_out", "coll")];
        for (name, _, role) in &self.ports {
            v.push(match role {
                Role::TxNext | Role::TxPrev | Role::Tx(_) | Role::TxSwitch => PortSpec::output(name.clone(), "link"),
                Role::RxPrev | Role::RxNext | Role::Rx(_) | Role::RxSwitch => PortSpec::input(name.clone(), "link"),
            });
        }
        v
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        match (port, msg) {
            (GRADS_IN, Msg::Coll(c)) => {
                let c = *c;
                if c.data.as_ref().is_some_and(|d| d.len() != c.elements) || c.sum_len > c.elements {
                    return ctx.abort("a collective request whose data does not match its element count");
                }
                if self.running.contains_key(&c.tag) {
                    return ctx.abort(format!("collective {} asked for twice", c.tag));
                }
                self.start(ctx, c);
            }
            (_, Msg::Link(p)) => self.arrive(ctx, *p),
            (p, m) => ctx.abort(format!("unexpected message on port {}: {m:?}", p.0)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        let (tag, r) = self.adder.pop_front().expect("a timer ends a reduction");
        self.start_adder(ctx);
        self.applied(ctx, tag, r);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        self.drain(ctx, port);
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let s = &self.stats;
        stats.counter("collectives", s.collectives);
        stats.counter("elements", s.elements);
        stats.counter("bytes_sent", s.bytes_sent);
        stats.counter("bytes_received", s.bytes_received);
        stats.counter("packets_sent", s.packets_sent);
        stats.counter("reduced_elements", s.reduced);
        stats.counter("adder_busy_ps", self.adder_busy_ps);
        stats.counter("collective_ps", s.collective_ps);
        for (k, v) in &s.phase_ps {
            stats.counter(k, *v);
        }
        self.energy.write_stats(stats);
    }
}
