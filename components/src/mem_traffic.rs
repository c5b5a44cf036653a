//! Synthetic memory traffic: a requester that issues reads and writes and checks what comes
//! back, and a target that answers them after a service time. Building blocks for testing
//! interconnects and memories in isolation (`mem_requester`, `mem_target` in topologies).
//!
//! Data follows one deterministic pattern ([`pattern_byte`]): writes carry it, the target
//! checks it, reads return it and the requester checks it. A misrouted, corrupted, lost or
//! reordered transaction therefore shows in the statistics of one side or the other.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{Component, Context, Histogram, PortId, PortSpec, Refused, SimDuration, SimTime, StatsWriter};

use crate::mem::{Cause, MemReq, Phase};
use crate::param::{Declared, ParamDecl, Range};
use crate::Msg;

/// The byte every well-behaved memory holds at `addr` in these tests.
pub fn pattern_byte(addr: u64) -> u8 {
    (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

/// `len` pattern bytes from `addr`.
pub fn pattern(addr: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|k| pattern_byte(addr.wrapping_add(k))).collect()
}

/// What a requester asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemOp {
    #[default]
    Read,
    Write,
    /// Even-numbered requests write, odd ones read.
    Alternate,
}

/// Parameters of `mem_requester`; declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemRequesterParams {
    /// Requests to issue (default 1).
    #[serde(default = "one")]
    pub requests: u64,
    /// Bytes read or written by each (default 64, a cache-line-sized burst).
    #[serde(default = "sixty_four")]
    pub bytes: u32,
    /// Address of request 0 (default 0); request `k` is at `base_addr + k * stride_bytes`.
    #[serde(default)]
    pub base_addr: u64,
    /// Default: `bytes` (a sequential stream).
    #[serde(default)]
    pub stride_bytes: Option<u64>,
    #[serde(default)]
    pub op: MemOp,
    /// Requests in flight at most (default 1: one at a time).
    #[serde(default = "one_u32")]
    pub outstanding: u32,
    /// Time between two issues at least (default 0: as fast as allowed).
    #[serde(default)]
    pub interval_ps: u64,
    /// Time of the first issue (default 0).
    #[serde(default)]
    pub start_ps: u64,
}

fn one() -> u64 {
    1
}
fn one_u32() -> u32 {
    1
}
fn sixty_four() -> u32 {
    64
}

/// The largest request, bytes: a request's data is one allocation, built at once (1 MiB:
/// far above a burst or a line, far below what strains memory with many in flight).
const MAX_REQUEST_BYTES: u64 = 1 << 20;

impl Declared for MemRequesterParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "requests",
            default: "1",
            range: Range::count(0, u64::MAX),
            doc: "requests to issue; made one at a time (none stored ahead), so any count works",
        },
        ParamDecl {
            name: "bytes",
            default: "64",
            range: Range::count(1, MAX_REQUEST_BYTES),
            doc: "bytes per request, a cache-line-sized burst; each request's data is allocated, so at most 1 MiB",
        },
        ParamDecl {
            name: "base_addr",
            default: "0",
            range: Range::count(0, u64::MAX),
            doc: "address of request 0 (addresses wrap at 2^64)",
        },
        ParamDecl {
            name: "stride_bytes",
            default: "(bytes)",
            range: Range::count(0, u64::MAX),
            doc: "request k is at base_addr + k * stride_bytes (default: bytes, a sequential stream)",
        },
        ParamDecl {
            name: "op",
            default: "read",
            range: Range::Other,
            doc: "read, write, or alternate (even write, odd read)",
        },
        ParamDecl {
            name: "outstanding",
            default: "1",
            range: Range::count(1, 1 << 16),
            doc: "requests in flight at most (1: one at a time); each in flight is held, so at most 65536",
        },
        ParamDecl {
            name: "interval_ps",
            default: "0",
            range: Range::PS,
            doc: "time between issues at least (0: as fast as allowed)",
        },
        ParamDecl { name: "start_ps", default: "0", range: Range::PS, doc: "time of the first issue" },
    ];
}

const OUT: PortId = PortId(0);
const IN: PortId = PortId(1);

/// Issues `requests` reads and/or writes on `out` and checks each response on `in`: that it
/// answers a request in flight, at its address, with the pattern's data, in issue order.
pub struct MemRequester {
    p: MemRequesterParams,
    issued: u64,
    /// The request a full channel refused, sent again on `on_ready`.
    pending: Option<Msg>,
    /// Requests in flight: id -> (address, write).
    in_flight: BTreeMap<u64, (u64, bool)>,
    next_issue_ps: u64,
    timer_set: bool,
    highest_answered: Option<u64>,
    responses: u64,
    refused: u64,
    unexpected: u64,
    bad_data: u64,
    out_of_order: u64,
    bytes_read: u64,
    bytes_written: u64,
    last_response_ps: u64,
    latency_ps: Histogram,
}

impl MemRequester {
    pub fn new(p: MemRequesterParams) -> Self {
        MemRequester {
            next_issue_ps: p.start_ps,
            p,
            issued: 0,
            pending: None,
            in_flight: BTreeMap::new(),
            timer_set: false,
            highest_answered: None,
            responses: 0,
            refused: 0,
            unexpected: 0,
            bad_data: 0,
            out_of_order: 0,
            bytes_read: 0,
            bytes_written: 0,
            last_response_ps: 0,
            latency_ps: Histogram::new(),
        }
    }

    fn request(&self, k: u64, now: u64) -> MemReq {
        let addr =
            self.p.base_addr.wrapping_add(k.wrapping_mul(self.p.stride_bytes.unwrap_or(u64::from(self.p.bytes))));
        let write = match self.p.op {
            MemOp::Read => false,
            MemOp::Write => true,
            MemOp::Alternate => k % 2 == 0,
        };
        // Synthetic traffic belongs to no phase or layer.
        let cause = Cause::new(Phase::Other, Cause::NO_LAYER);
        if write {
            MemReq::write(k, addr, pattern(addr, self.p.bytes as usize), cause, now)
        } else {
            MemReq::read(k, addr, self.p.bytes, cause, now)
        }
    }

    /// Issues what the window, the interval and the channel allow.
    fn pump(&mut self, ctx: &mut Context<'_, Msg>) {
        loop {
            let msg = match self.pending.take() {
                Some(m) => m,
                None => {
                    let now = ctx.now().as_ps();
                    if self.issued == self.p.requests || self.in_flight.len() as u64 >= u64::from(self.p.outstanding) {
                        return;
                    }
                    if now < self.next_issue_ps {
                        if !self.timer_set {
                            self.timer_set = true;
                            ctx.schedule_at(SimTime(self.next_issue_ps), 0);
                        }
                        return;
                    }
                    let req = self.request(self.issued, now);
                    self.in_flight.insert(req.id, (req.addr, req.write));
                    self.issued += 1;
                    self.next_issue_ps = now + self.p.interval_ps;
                    Msg::MemReq(Box::new(req))
                }
            };
            if let Err(Refused(m)) = ctx.send(OUT, msg) {
                self.pending = Some(m);
                self.refused += 1;
                return;
            }
        }
    }
}

impl Component<Msg> for MemRequester {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("out", "mem"), PortSpec::input("in", "mem")]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.p.requests > 0 {
            self.timer_set = true;
            ctx.schedule_at(SimTime(self.p.start_ps), 0);
        }
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemResp(r) = msg else {
            return ctx.abort("received something other than a MemResp on `in`");
        };
        let now = ctx.now().as_ps();
        self.responses += 1;
        self.last_response_ps = now;
        match self.in_flight.remove(&r.id) {
            Some((addr, write)) if addr == r.addr && write == r.write && r.bytes == self.p.bytes => {
                if write {
                    self.bytes_written += u64::from(r.bytes);
                } else {
                    self.bytes_read += u64::from(r.bytes);
                    if r.data != pattern(addr, r.bytes as usize) {
                        self.bad_data += 1;
                    }
                }
                self.latency_ps.record(now - r.issued_ps);
            }
            // Not ours, or not what we asked for: misrouted or corrupted.
            Some(entry) => {
                self.unexpected += 1;
                self.in_flight.insert(r.id, entry);
            }
            None => self.unexpected += 1,
        }
        if self.highest_answered.is_some_and(|h| r.id < h) {
            self.out_of_order += 1;
        }
        self.highest_answered = self.highest_answered.max(Some(r.id));
        self.pump(ctx);
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        self.timer_set = false;
        self.pump(ctx);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.pump(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("issued", self.issued - u64::from(self.pending.is_some()));
        stats.counter("responses", self.responses);
        stats.counter("refused", self.refused);
        stats.counter("unexpected", self.unexpected);
        stats.counter("bad_data", self.bad_data);
        stats.counter("out_of_order", self.out_of_order);
        stats.counter("bytes_read", self.bytes_read);
        stats.counter("bytes_written", self.bytes_written);
        stats.counter("last_response_ps", self.last_response_ps);
        stats.histogram("latency_ps", &self.latency_ps);
    }
}

/// Parameters of `mem_target`; declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemTargetParams {
    /// Time to serve one request (default 0: answered at once). Requests are served one at a
    /// time, in arrival order.
    #[serde(default)]
    pub service_ps: u64,
}

impl Declared for MemTargetParams {
    const PARAMS: &'static [ParamDecl] = &[ParamDecl {
        name: "service_ps",
        default: "0",
        range: Range::PS,
        doc: "time to serve one request (0: at once)",
    }];
}

/// Answers requests on `in` with responses on `out`, one at a time, `service_ps` each: reads
/// return the pattern's data; writes are checked against it and acknowledged (not stored).
/// A request keeps its slot of the input channel until its response has been sent, so a
/// slow target pushes back through a bounded channel.
pub struct MemTarget {
    p: MemTargetParams,
    queue: VecDeque<MemReq>,
    serving: bool,
    /// A response the output channel refused.
    pending: Option<Msg>,
    /// Highest request id seen from each source, to catch reordering per source.
    last_id: BTreeMap<u32, u64>,
    requests: u64,
    reads: u64,
    writes: u64,
    bad_write_data: u64,
    reordered: u64,
    refused: u64,
}

impl MemTarget {
    pub fn new(p: MemTargetParams) -> Self {
        MemTarget {
            p,
            queue: VecDeque::new(),
            serving: false,
            pending: None,
            last_id: BTreeMap::new(),
            requests: 0,
            reads: 0,
            writes: 0,
            bad_write_data: 0,
            reordered: 0,
            refused: 0,
        }
    }

    fn start(&mut self, ctx: &mut Context<'_, Msg>) {
        if !self.serving && !self.queue.is_empty() {
            self.serving = true;
            ctx.schedule(SimDuration(self.p.service_ps), 0);
        }
    }

    fn send_response(&mut self, ctx: &mut Context<'_, Msg>) {
        let Some(msg) = self.pending.take() else { return };
        match ctx.send(OUT, msg) {
            Ok(()) => {
                ctx.release(IN);
                self.serving = false;
                self.start(ctx);
            }
            Err(Refused(m)) => {
                self.pending = Some(m);
                self.refused += 1;
            }
        }
    }
}

impl Component<Msg> for MemTarget {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("out", "mem"), PortSpec::input("in", "mem").manual_release()]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemReq(r) = msg else {
            return ctx.abort("received something other than a MemReq on `in`");
        };
        self.requests += 1;
        let last = self.last_id.entry(r.source).or_insert(r.id);
        if r.id < *last {
            self.reordered += 1;
        }
        *last = (*last).max(r.id);
        self.queue.push_back(*r);
        self.start(ctx);
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        let req = self.queue.pop_front().expect("serving a queued request");
        let data = if req.write {
            self.writes += 1;
            if req.data != pattern(req.addr, req.bytes as usize) {
                self.bad_write_data += 1;
            }
            Vec::new()
        } else {
            self.reads += 1;
            pattern(req.addr, req.bytes as usize)
        };
        self.pending = Some(Msg::MemResp(Box::new(req.respond(data))));
        self.send_response(ctx);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.send_response(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("requests", self.requests);
        stats.counter("reads", self.reads);
        stats.counter("writes", self.writes);
        stats.counter("bad_write_data", self.bad_write_data);
        stats.counter("reordered", self.reordered);
        stats.counter("refused", self.refused);
    }
}
