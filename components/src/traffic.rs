//! Synthetic traffic: a packet source, a sink that can be slow (and push back), and a relay.
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
