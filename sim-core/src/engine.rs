//! One engine: an event queue and the components of the partitions it runs. A sequential
//! simulation is one engine; a partitioned run has one engine per thread.

use std::sync::Arc;

use crate::channel::Bandwidth;
use crate::clock::ClockDomain;
use crate::component::{CompId, Component, Message, PortId};
use crate::context::Context;
use crate::observer::{DeliverRecord, EventKey, Observer, TimerRecord};
use crate::queue::{Event, EventQueue, Kind};
use crate::rng::SimRng;
use crate::stats::{StatsSnapshot, StatsWriter, TimeAverage};
use crate::time::SimTime;

/// Bits of an origin that hold the per-component sequence number; the rest hold the rank.
pub(crate) const SEQ_BITS: u32 = 40;

/// How a port of a component is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    Unbound,
    ChanOut(u32),
    ChanIn { chan: u32, manual: bool },
    FabricOut(u32),
    FabricIn(u32),
}

/// Where a component lives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub engine: u32,
    pub local: u32,
    pub rank: u32,
}

/// A channel: static parameters (every engine has a copy) and the sender-side dynamic state
/// (used only by the engine that owns the sending component).
pub(crate) struct ChannelState {
    pub latency: u64,
    pub bandwidth: Bandwidth,
    /// 0 means unbounded.
    pub depth: u32,
    pub src: Place,
    pub src_port: u16,
    pub dst: Place,
    pub dst_port: u16,
    pub busy_until: u64,
    pub occupancy: u32,
    pub refused: bool,
    pub messages: u64,
    pub bytes: u64,
    pub refusals: u64,
    pub busy_ps: u64,
    pub occupancy_avg: TimeAverage,
}

pub(crate) struct FabricEndpoint {
    pub place: Place,
    /// `u16::MAX` when the endpoint only sends.
    pub in_port: u16,
}

pub(crate) struct FabricState {
    pub name: String,
    pub latency: u64,
    pub endpoints: Vec<FabricEndpoint>,
    /// `(rank, endpoint index)` sorted by rank: a component finds its own index in
    /// O(log n) (a scan made PHOLD's start quadratic in its LPs).
    pub index_of_rank: Vec<(u32, u32)>,
}

/// Read-only facts shared by every engine.
pub(crate) struct Shared {
    pub names: Vec<String>,
    pub port_names: Vec<Vec<String>>,
    pub clock_partitions: Vec<u32>,
    pub fabrics: Vec<FabricState>,
    /// How long after a `stop()` the run ends (see the crate docs).
    pub stop_horizon: u64,
}

/// The first problem a component reported with [`Context::abort`].
#[derive(Clone, Debug)]
pub(crate) struct Abort {
    pub key: EventKey,
    pub rank: u32,
    pub message: String,
}

/// Engine state that a component's [`Context`] may touch.
pub(crate) struct Core<M> {
    pub now: u64,
    /// Key of the event being handled (`init` runs under a key at time zero).
    pub current: EventKey,
    pub engine: u32,
    pub queue: EventQueue<M>,
    pub channels: Vec<ChannelState>,
    pub clocks: Vec<ClockDomain>,
    pub outboxes: Vec<Vec<Event<M>>>,
    pub shared: Arc<Shared>,
    pub observer: Option<Box<dyn Observer<M>>>,
    /// Earliest `stop()` seen (`u64::MAX`: none).
    pub stop_request: u64,
    pub abort: Option<Abort>,
    /// Set by `stop` and `abort` so the loop checks them only when needed.
    pub interrupt: bool,
    pub events: u64,
}

/// Per-component kernel state.
pub(crate) struct CompState {
    pub rank: u32,
    pub local: u32,
    pub partition: u32,
    pub seq: u64,
    pub rng: SimRng,
    pub bindings: Vec<Binding>,
    pub messages: u64,
    pub timers: u64,
    pub readies: u64,
}

pub(crate) struct Engine<M> {
    pub core: Core<M>,
    pub comps: Vec<Box<dyn Component<M>>>,
    pub states: Vec<CompState>,
}

impl<M: Message> Core<M> {
    /// Queues `ev` here or in the outbox of the engine that owns its target.
    #[inline]
    pub fn push(&mut self, engine: u32, ev: Event<M>) {
        if engine == self.engine {
            self.queue.push(ev);
        } else {
            self.outboxes[engine as usize].push(ev);
        }
    }

    /// Hands a slot of channel `chan` back to its sender, `latency` from now.
    #[inline]
    pub fn return_credit(&mut self, chan: u32, st: &mut CompState) {
        let ch = &self.channels[chan as usize];
        if ch.depth == 0 {
            return;
        }
        // Past the end of time the credit never comes back: the sender stays blocked.
        let (time, engine) = (self.now.saturating_add(ch.latency), ch.src.engine);
        let key = EventKey { time, send_time: self.now, origin: next_origin(st) };
        self.push(engine, Event { key, kind: Kind::Credit { chan } });
    }
}

/// The next origin of component `st`: its rank, then its own sequence number.
#[inline]
pub(crate) fn next_origin(st: &mut CompState) -> u64 {
    let seq = st.seq;
    st.seq += 1;
    assert!(seq < 1 << SEQ_BITS, "component rank {} sent more than 2^40 events", st.rank);
    (u64::from(st.rank) << SEQ_BITS) | seq
}

impl<M: Message> Engine<M> {
    /// Runs `init` on every component of this engine, in rank order, at time zero.
    pub fn init(&mut self) {
        for i in 0..self.comps.len() {
            let st = &mut self.states[i];
            self.core.current = EventKey { time: 0, send_time: 0, origin: u64::from(st.rank) << SEQ_BITS };
            let mut ctx = Context { core: &mut self.core, st };
            self.comps[i].init(&mut ctx);
        }
    }

    /// Processes every event with time before `end`, or until an abort; a `stop()` pulls
    /// `end` in to the stop horizon. Returns the `end` actually used.
    pub fn run(&mut self, mut end: u64) -> u64 {
        if self.core.stop_request != u64::MAX {
            end = end.min(self.core.stop_request.saturating_add(self.core.shared.stop_horizon));
        }
        while let Some(ev) = self.core.queue.pop_before(end) {
            self.dispatch(ev);
            if self.core.interrupt {
                self.core.interrupt = false;
                if self.core.abort.is_some() {
                    break;
                }
                let stop = self.core.stop_request.saturating_add(self.core.shared.stop_horizon);
                end = end.min(stop);
            }
        }
        end
    }

    #[inline]
    fn dispatch(&mut self, ev: Event<M>) {
        let core = &mut self.core;
        core.now = ev.key.time;
        core.current = ev.key;
        core.events += 1;
        match ev.kind {
            Kind::Deliver { comp, port, msg } => {
                let st = &mut self.states[comp as usize];
                st.messages += 1;
                if let Some(obs) = core.observer.as_mut() {
                    let rec = DeliverRecord {
                        key: ev.key,
                        from: CompId((ev.key.origin >> SEQ_BITS) as u32),
                        to: CompId(st.rank),
                        port: PortId(port),
                    };
                    obs.on_deliver(&rec, &msg);
                }
                let binding = st.bindings[port as usize];
                let mut ctx = Context { core: &mut *core, st: &mut *st };
                self.comps[comp as usize].on_message(&mut ctx, PortId(port), msg);
                if let Binding::ChanIn { chan, manual: false } = binding {
                    core.return_credit(chan, st);
                }
            }
            Kind::Timer { comp, tag } => {
                let st = &mut self.states[comp as usize];
                st.timers += 1;
                if let Some(obs) = core.observer.as_mut() {
                    obs.on_timer(&TimerRecord { key: ev.key, comp: CompId(st.rank), tag });
                }
                let mut ctx = Context { core, st };
                self.comps[comp as usize].on_timer(&mut ctx, tag);
            }
            Kind::Credit { chan } => {
                let now = SimTime(core.now);
                let ch = &mut core.channels[chan as usize];
                ch.occupancy -= 1;
                ch.occupancy_avg.set(now, f64::from(ch.occupancy));
                if ch.refused {
                    ch.refused = false;
                    let (local, port) = (ch.src.local as usize, ch.src_port);
                    let st = &mut self.states[local];
                    st.readies += 1;
                    let mut ctx = Context { core, st };
                    self.comps[local].on_ready(&mut ctx, PortId(port));
                }
            }
        }
    }

    /// Calls `finish` on this engine's components and collects their statistics and the
    /// kernel's, one snapshot per component, keyed by rank.
    pub fn finish(&mut self, now: SimTime) -> Vec<(u32, StatsSnapshot)> {
        let shared = Arc::clone(&self.core.shared);
        let mut out = Vec::with_capacity(self.comps.len());
        for (i, comp) in self.comps.iter_mut().enumerate() {
            let st = &self.states[i];
            let name = &shared.names[st.rank as usize];
            let mut snap = StatsSnapshot::default();
            let mut w = StatsWriter::new(name, now, &mut snap, &self.core.clocks);
            w.counter("kernel.messages", st.messages);
            w.counter("kernel.timers", st.timers);
            comp.finish(&mut w);
            for (p, b) in st.bindings.iter().enumerate() {
                if let Binding::ChanOut(c) = *b {
                    let ch = &self.core.channels[c as usize];
                    let port = &shared.port_names[st.rank as usize][p];
                    let mut w = StatsWriter::new(name, now, &mut snap, &self.core.clocks);
                    w.counter(&format!("{port}.messages"), ch.messages);
                    w.counter(&format!("{port}.bytes"), ch.bytes);
                    if !matches!(ch.bandwidth, Bandwidth::Unlimited) {
                        w.counter(&format!("{port}.busy_ps"), ch.busy_ps);
                    }
                    if ch.depth != 0 {
                        w.counter(&format!("{port}.refused"), ch.refusals);
                        w.time_average(&format!("{port}.occupancy"), &ch.occupancy_avg);
                    }
                }
            }
            out.push((st.rank, snap));
        }
        out
    }
}
