//! Synthetic traffic: a packet source, a sink that can be slow (and push back), a relay, and a
//! memory requester (`mem_traffic`) for exercising memories.
//! Small building blocks for testing links, interconnects and backpressure in isolation.

use sim_core::{Component, Context, Histogram, Message, PortId, PortSpec, Refused, SimDuration, StatsWriter};

/// A packet of synthetic traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub id: u64,
    pub bytes: u32,
    /// When the source created it, for latency statistics.
    pub created_ps: u64,
}

/// Sends `packets` packets of `bytes` bytes, one every `interval_ps` (0: as fast as the
/// channel accepts them).
pub struct TrafficSource<M> {
    pub protocol: String,
    pub packets: u64,
    pub bytes: u32,
    pub interval_ps: u64,
    pub start_ps: u64,
    next_id: u64,
    pending: Option<Packet>,
    refused: u64,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M> TrafficSource<M> {
    pub fn new(protocol: String, packets: u64, bytes: u32, interval_ps: u64, start_ps: u64) -> Self {
        TrafficSource {
            protocol,
            packets,
            bytes,
            interval_ps,
            start_ps,
            next_id: 0,
            pending: None,
            refused: 0,
            _m: Default::default(),
        }
    }
}

const OUT: PortId = PortId(0);

impl<M: Message + From<Packet> + TryInto<Packet>> TrafficSource<M> {
    /// Sends what may go now; returns false when the channel is full.
    fn pump(&mut self, ctx: &mut Context<'_, M>) -> bool {
        loop {
            let p = match self.pending.take() {
                Some(p) => p,
                None if self.next_id < self.packets => {
                    self.next_id += 1;
                    Packet { id: self.next_id - 1, bytes: self.bytes, created_ps: ctx.now().0 }
                }
                None => return true,
            };
            if let Err(Refused(m)) = ctx.send(OUT, p.into()) {
                self.refused += 1;
                self.pending = m.try_into().ok();
                return false;
            }
            if self.interval_ps > 0 {
                if self.next_id < self.packets {
                    ctx.schedule(SimDuration(self.interval_ps), 0);
                }
                return true;
            }
        }
    }
}

impl<M: Message + From<Packet> + TryInto<Packet>> Component<M> for TrafficSource<M> {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("out", self.protocol.clone())]
    }
    fn init(&mut self, ctx: &mut Context<'_, M>) {
        if self.packets > 0 {
            ctx.schedule(SimDuration(self.start_ps), 0);
        }
    }
    fn on_message(&mut self, _: &mut Context<'_, M>, _: PortId, _: M) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, M>, _: u64) {
        if self.pending.is_none() {
            self.pump(ctx);
        }
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, M>, _: PortId) {
        self.pump(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("sent", self.next_id - u64::from(self.pending.is_some()));
        stats.counter("refused", self.refused);
    }
}

/// Receives packets. With `service_ps` above 0 it serves them one at a time, holding each
/// one's channel slot until served: a slow consumer that pushes back on its producer.
pub struct Sink<M> {
    pub protocol: String,
    pub service_ps: u64,
    queued: u64,
    received: u64,
    bytes: u64,
    latency_ps: Histogram,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M> Sink<M> {
    pub fn new(protocol: String, service_ps: u64) -> Self {
        Sink {
            protocol,
            service_ps,
            queued: 0,
            received: 0,
            bytes: 0,
            latency_ps: Histogram::new(),
            _m: Default::default(),
        }
    }
}

impl<M: Message + TryInto<Packet>> Component<M> for Sink<M> {
    fn ports(&self) -> Vec<PortSpec> {
        let p = PortSpec::input("in", self.protocol.clone());
        vec![if self.service_ps > 0 { p.manual_release() } else { p }]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, M>, _: PortId, msg: M) {
        self.received += 1;
        self.bytes += msg.size_bytes();
        if let Ok(p) = msg.try_into() {
            self.latency_ps.record(ctx.now().0 - p.created_ps);
        }
        if self.service_ps > 0 {
            self.queued += 1;
            ctx.schedule(SimDuration(self.service_ps * self.queued), 0);
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, M>, _: u64) {
        self.queued -= 1;
        ctx.release(PortId(0));
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("received", self.received);
        stats.counter("bytes", self.bytes);
        stats.histogram("latency_ps", &self.latency_ps);
    }
}

/// Forwards every message from `in` to `out` unchanged (refused ones are kept in order).
pub struct Relay<M> {
    pub protocol: String,
    backlog: std::collections::VecDeque<M>,
    forwarded: u64,
}

impl<M> Relay<M> {
    pub fn new(protocol: String) -> Self {
        Relay { protocol, backlog: Default::default(), forwarded: 0 }
    }
}

impl<M: Message> Relay<M> {
    fn flush(&mut self, ctx: &mut Context<'_, M>) {
        while let Some(m) = self.backlog.pop_front() {
            if let Err(Refused(m)) = ctx.send(PortId(1), m) {
                self.backlog.push_front(m);
                return;
            }
            self.forwarded += 1;
        }
    }
}

impl<M: Message> Component<M> for Relay<M> {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("in", self.protocol.clone()), PortSpec::output("out", self.protocol.clone())]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, M>, _: PortId, msg: M) {
        self.backlog.push_back(msg);
        self.flush(ctx);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, M>, _: PortId) {
        self.flush(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("forwarded", self.forwarded);
    }
}

/// Where `mem_traffic` sends its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressPattern {
    /// `base_addr`, `base_addr + bytes`, ..., wrapping within `range_bytes`.
    Sequential,
    /// Uniform over the `bytes`-aligned addresses of the range, from the component's stream.
    Random,
}

/// Parameters of [`MemTraffic`]; declared in [`Declared::PARAMS`](crate::param::Declared).
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemTrafficParams {
    /// Requests to send in all.
    pub requests: u64,
    /// Bytes of each request.
    pub bytes: u32,
    pub pattern: AddressPattern,
    /// Share of writes in percent (each request drawn from the component's random stream).
    pub write_percent: u32,
    pub base_addr: u64,
    /// Addresses stay in `[base_addr, base_addr + range_bytes)`.
    pub range_bytes: u64,
    /// Requests sent and not yet answered, at most.
    pub max_outstanding: u32,
    /// Time of the first request.
    pub start_ps: u64,
}

impl Default for MemTrafficParams {
    fn default() -> Self {
        MemTrafficParams {
            requests: 1000,
            bytes: 64,
            pattern: AddressPattern::Sequential,
            write_percent: 0,
            base_addr: 0,
            range_bytes: 1 << 20,
            max_outstanding: 16,
            start_ps: 0,
        }
    }
}

impl crate::param::Declared for MemTrafficParams {
    const PARAMS: &'static [crate::param::ParamDecl] = {
        use crate::param::{ParamDecl, Range};
        &[
            ParamDecl {
                name: "requests",
                default: "1000",
                range: Range::count(0, u64::MAX),
                doc: "requests in all; made one at a time (none stored ahead), so any count works",
            },
            ParamDecl {
                name: "bytes",
                default: "64",
                range: Range::count(1, 1 << 20),
                doc: "bytes per request (a cache line); each write's data is one allocation, so at most 1 MiB",
            },
            ParamDecl {
                name: "pattern",
                default: "sequential",
                range: Range::Other,
                doc: "sequential (wrapping in the range) or random (bytes-aligned)",
            },
            ParamDecl {
                name: "write_percent",
                default: "0",
                range: Range::count(0, 100),
                doc: "share of writes, percent",
            },
            ParamDecl {
                name: "base_addr",
                default: "0",
                range: Range::count(0, u64::MAX),
                doc: "first address of the range",
            },
            ParamDecl {
                name: "range_bytes",
                default: "1048576",
                range: Range::count(1, u64::MAX),
                doc:
                    "addresses in [base_addr, base_addr + range_bytes); 1 MiB; must hold one request and end below 2^64",
            },
            ParamDecl {
                name: "max_outstanding",
                default: "16",
                range: Range::count(1, 1 << 16),
                doc: "requests in flight at most; each in flight is held, so at most 65536",
            },
            ParamDecl { name: "start_ps", default: "0", range: Range::PS, doc: "time of the first request" },
        ]
    };
}

/// The byte a `mem_traffic` write puts at address `addr` (so that a reader can check it).
pub fn pattern_byte(addr: u64) -> u8 {
    (addr ^ (addr >> 8) ^ (addr >> 16) ^ 0xA5) as u8
}

/// A memory requester for exercising memories: reads and writes of a fixed size at
/// sequential or random addresses, as fast as the `req` channel and `max_outstanding` allow.
/// Ports: `req` (out, mem), `resp` (in, mem). Statistics: `sent`, `completed`, `reads`,
/// `writes`, `refused` (sends the channel refused), `bytes` (answered), `latency_ps`
/// (histogram, issue to response), `bandwidth_bytes_per_s` (answered bytes from the first
/// send to the last response).
pub struct MemTraffic {
    p: MemTrafficParams,
    started: bool,
    made: u64,
    outstanding: u32,
    pending: Option<Box<crate::mem::MemReq>>,
    reads: u64,
    writes: u64,
    refused: u64,
    completed: u64,
    bytes: u64,
    first_send: Option<u64>,
    last_response: u64,
    latency_ps: Histogram,
}

impl MemTraffic {
    pub fn new(p: MemTrafficParams) -> Result<Self, crate::ParamError> {
        use crate::ParamError as E;
        // Ranges are declared (`Declared`) and checked by the edge; these relate two parameters.
        if p.range_bytes < u64::from(p.bytes) {
            return Err(E::new(
                "range_bytes",
                format!("`range_bytes` ({}) must hold at least one request of `bytes` ({})", p.range_bytes, p.bytes),
            ));
        }
        if p.base_addr.checked_add(p.range_bytes).is_none() {
            return Err(E::new("range_bytes", "`base_addr` + `range_bytes` is beyond 64-bit addresses"));
        }
        Ok(MemTraffic {
            p,
            started: false,
            made: 0,
            outstanding: 0,
            pending: None,
            reads: 0,
            writes: 0,
            refused: 0,
            completed: 0,
            bytes: 0,
            first_send: None,
            last_response: 0,
            latency_ps: Histogram::new(),
        })
    }

    fn make(&mut self, ctx: &mut Context<'_, crate::Msg>) -> Box<crate::mem::MemReq> {
        use crate::mem::{Cause, MemReq, Phase};
        let cause = Cause::new(Phase::Other, Cause::NO_LAYER);
        let n = u64::from(self.p.bytes);
        let slots = self.p.range_bytes / n;
        let offset = match self.p.pattern {
            AddressPattern::Sequential => self.made % slots * n,
            AddressPattern::Random => ctx.rng().below(slots) * n,
        };
        let addr = self.p.base_addr + offset;
        let write = match self.p.write_percent {
            0 => false,
            100 => true,
            w => ctx.rng().below(100) < u64::from(w),
        };
        let (id, now) = (self.made, ctx.now().0);
        self.made += 1;
        if write {
            self.writes += 1;
            let data = (addr..addr + n).map(pattern_byte).collect();
            Box::new(MemReq::write(id, addr, data, cause, now))
        } else {
            self.reads += 1;
            Box::new(MemReq::read(id, addr, self.p.bytes, cause, now))
        }
    }

    fn pump(&mut self, ctx: &mut Context<'_, crate::Msg>) {
        while self.started && self.outstanding < self.p.max_outstanding {
            let req = match self.pending.take() {
                Some(r) => r,
                None if self.made < self.p.requests => self.make(ctx),
                None => return,
            };
            match ctx.send(OUT, crate::Msg::MemReq(req)) {
                Ok(()) => {
                    self.outstanding += 1;
                    self.first_send.get_or_insert(ctx.now().0);
                }
                Err(Refused(crate::Msg::MemReq(r))) => {
                    self.refused += 1;
                    self.pending = Some(r);
                    return;
                }
                Err(Refused(_)) => unreachable!("a refused send hands back the message sent"),
            }
        }
    }
}

impl Component<crate::Msg> for MemTraffic {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("req", "mem"), PortSpec::input("resp", "mem")]
    }
    fn init(&mut self, ctx: &mut Context<'_, crate::Msg>) {
        if self.p.requests > 0 {
            ctx.schedule(SimDuration(self.p.start_ps), 0);
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, crate::Msg>, _: u64) {
        self.started = true;
        self.pump(ctx);
    }
    fn on_message(&mut self, ctx: &mut Context<'_, crate::Msg>, _: PortId, msg: crate::Msg) {
        let crate::Msg::MemResp(r) = msg else {
            ctx.abort("`resp` takes memory responses (Msg::MemResp); something else arrived");
            return;
        };
        let now = ctx.now().0;
        self.outstanding -= 1;
        self.completed += 1;
        self.bytes += u64::from(r.bytes);
        self.latency_ps.record(now - r.issued_ps);
        self.last_response = now;
        self.pump(ctx);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, crate::Msg>, _: PortId) {
        self.pump(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("sent", self.made - u64::from(self.pending.is_some()));
        stats.counter("completed", self.completed);
        stats.counter("reads", self.reads);
        stats.counter("writes", self.writes);
        stats.counter("refused", self.refused);
        stats.counter("bytes", self.bytes);
        stats.histogram("latency_ps", &self.latency_ps);
        let span = self.first_send.map_or(0, |f| self.last_response.saturating_sub(f));
        stats.ratio("bandwidth_bytes_per_s", self.bytes as f64, span as f64 * 1e-12);
    }
}
