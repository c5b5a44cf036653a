//! The [`Context`]: everything a component may do while handling an event.

use crate::clock::{ClockDomain, ClockId};
use crate::component::{CompId, Message, PortId};
use crate::engine::{next_origin, Abort, Binding, CompState, Core, Place};
use crate::observer::{EventKey, MarkRecord, SendRecord};
use crate::queue::{Event, Kind};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// A send the channel could not take (it is full): the message comes back to the sender,
/// which will get `on_ready` for that port when a slot frees.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused<M>(pub M);

/// A component's handle on the simulation during `init`, `on_message`, `on_timer` and
/// `on_ready`.
///
/// Methods that take a [`PortId`] panic when the port is not bound the way the call needs
/// (a programming error in the component: optional ports must be checked with
/// [`Context::is_bound`]).
pub struct Context<'a, M> {
    pub(crate) core: &'a mut Core<M>,
    pub(crate) st: &'a mut CompState,
}

impl<M: Message> Context<'_, M> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        SimTime(self.core.now)
    }

    /// This component's id (its rank).
    pub fn id(&self) -> CompId {
        CompId(self.st.rank)
    }

    /// This component's instance name.
    pub fn name(&self) -> &str {
        &self.core.shared.names[self.st.rank as usize]
    }

    /// The instance name of another component.
    pub fn name_of(&self, id: CompId) -> &str {
        &self.core.shared.names[id.0 as usize]
    }

    /// This component's random stream (derived from the seed and the instance name).
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.st.rng
    }

    fn port_name(&self, port: PortId) -> &str {
        &self.core.shared.port_names[self.st.rank as usize][port.0 as usize]
    }

    fn binding(&self, port: PortId) -> Binding {
        match self.st.bindings.get(port.0 as usize) {
            Some(b) => *b,
            None => panic!("{}: no port with index {}", self.name(), port.0),
        }
    }

    /// Whether `port` is bound (to a channel or a fabric).
    pub fn is_bound(&self, port: PortId) -> bool {
        !matches!(self.binding(port), Binding::Unbound)
    }

    /// Sends `msg` on output `port` now. See [`Context::send_delayed`].
    #[inline]
    pub fn send(&mut self, port: PortId, msg: M) -> Result<(), Refused<M>> {
        self.send_delayed(port, msg, SimDuration::ZERO)
    }

    /// Sends `msg` on output `port`, entering the channel `delay` from now (a loosely-timed
    /// annotation, as TLM-2.0's `b_transport` carries: no timer event is spent). Refused, and
    /// handed back, when the channel is full.
    pub fn send_delayed(&mut self, port: PortId, msg: M, delay: SimDuration) -> Result<(), Refused<M>> {
        let chan = match self.binding(port) {
            Binding::ChanOut(c) => c,
            Binding::FabricOut(_) => {
                panic!("{}.{}: bound to a fabric; use send_to", self.name(), self.port_name(port))
            }
            _ => panic!("{}.{}: not a bound output port", self.name(), self.port_name(port)),
        };
        let core = &mut *self.core;
        let now = core.now;
        let ch = &mut core.channels[chan as usize];
        if ch.depth != 0 && ch.occupancy >= ch.depth {
            ch.refused = true;
            ch.refusals += 1;
            return Err(Refused(msg));
        }
        let bytes = msg.size_bytes();
        let start = now.saturating_add(delay.0).max(ch.busy_until);
        let ser = ch.bandwidth.serialisation(bytes, SimTime(start), &core.clocks);
        ch.busy_until = start.saturating_add(ser);
        ch.busy_ps = ch.busy_ps.saturating_add(ser);
        ch.messages += 1;
        ch.bytes += bytes;
        if ch.depth != 0 {
            ch.occupancy += 1;
            ch.occupancy_avg.set(SimTime(now), f64::from(ch.occupancy));
        }
        let arrival = start.saturating_add(ser).saturating_add(ch.latency);
        let (dst, dst_port) = (ch.dst, ch.dst_port);
        self.deliver(port, dst, dst_port, arrival, msg);
        Ok(())
    }

    /// Shows a send to the observers and queues its delivery at `arrival` (channels and
    /// fabrics alike).
    #[inline]
    fn deliver(&mut self, port: PortId, to: Place, to_port: u16, arrival: u64, msg: M) {
        if arrival == u64::MAX {
            let what = format!("a message on port `{}`", self.port_name(port));
            return self.past_the_end(&what);
        }
        let core = &mut *self.core;
        let now = core.now;
        let key = EventKey { time: arrival, send_time: now, origin: next_origin(self.st) };
        if let Some(obs) = core.observer.as_mut() {
            let rec = SendRecord {
                time: SimTime(now),
                arrival: SimTime(arrival),
                from: CompId(self.st.rank),
                from_port: port,
                to: CompId(to.rank),
                to_port: PortId(to_port),
                bytes: msg.size_bytes(),
            };
            obs.on_send(&rec, &msg);
        }
        core.push(to.engine, Event { key, kind: Kind::Deliver { comp: to.local, port: to_port, msg } });
    }

    /// Whether a `send` on output `port` would be accepted now.
    pub fn can_send(&self, port: PortId) -> bool {
        match self.binding(port) {
            Binding::ChanOut(c) => {
                let ch = &self.core.channels[c as usize];
                ch.depth == 0 || ch.occupancy < ch.depth
            }
            Binding::FabricOut(_) => true,
            _ => false,
        }
    }

    /// Sends `msg` over the fabric bound to output `port`, to the endpoint with index `dest`.
    #[inline]
    pub fn send_to(&mut self, port: PortId, dest: usize, msg: M) {
        self.send_to_delayed(port, dest, msg, SimDuration::ZERO)
    }

    /// As [`Context::send_to`], entering the fabric `delay` from now.
    pub fn send_to_delayed(&mut self, port: PortId, dest: usize, msg: M, delay: SimDuration) {
        let Binding::FabricOut(f) = self.binding(port) else {
            panic!("{}.{}: not bound to a fabric", self.name(), self.port_name(port));
        };
        let core = &mut *self.core;
        let shared = &*core.shared;
        let fabric = &shared.fabrics[f as usize];
        let Some(ep) = fabric.endpoints.get(dest) else {
            panic!("fabric {}: no endpoint {dest} (it has {})", fabric.name, fabric.endpoints.len());
        };
        assert!(ep.in_port != u16::MAX, "fabric {}: endpoint {dest} only sends", fabric.name);
        let arrival = core.now.saturating_add(delay.0).saturating_add(fabric.latency);
        let (place, in_port) = (ep.place, ep.in_port);
        self.deliver(port, place, in_port, arrival, msg);
    }

    /// Number of endpoints on the fabric bound to `port`.
    pub fn fabric_endpoints(&self, port: PortId) -> usize {
        match self.binding(port) {
            Binding::FabricOut(f) | Binding::FabricIn(f) => self.core.shared.fabrics[f as usize].endpoints.len(),
            _ => panic!("{}.{}: not bound to a fabric", self.name(), self.port_name(port)),
        }
    }

    /// This component's endpoint index on the fabric bound to `port`.
    pub fn fabric_index(&self, port: PortId) -> usize {
        let (Binding::FabricOut(f) | Binding::FabricIn(f)) = self.binding(port) else {
            panic!("{}.{}: not bound to a fabric", self.name(), self.port_name(port));
        };
        let rank = self.st.rank;
        let by_rank = &self.core.shared.fabrics[f as usize].index_of_rank;
        let at = by_rank.partition_point(|&(r, _)| r < rank);
        match by_rank.get(at) {
            Some(&(r, i)) if r == rank => i as usize,
            _ => unreachable!("an attached component is an endpoint"),
        }
    }

    /// Returns one slot of the channel behind a [`manual_release`] input `port` to its
    /// sender (it arrives there after the channel latency).
    ///
    /// [`manual_release`]: crate::PortSpec::manual_release
    pub fn release(&mut self, port: PortId) {
        let Binding::ChanIn { chan, manual: true } = self.binding(port) else {
            panic!("{}.{}: release needs a manual-release input port", self.name(), self.port_name(port));
        };
        self.core.return_credit(chan, self.st);
    }

    /// Calls `on_timer(tag)` after `delay`.
    #[inline]
    pub fn schedule(&mut self, delay: SimDuration, tag: u64) {
        let at = SimTime(self.core.now).saturating_add(delay);
        self.schedule_at(at, tag);
    }

    /// Calls `on_timer(tag)` at time `at` (not before now). At the end of time
    /// ([`SimTime::MAX`], where sums of times saturate) nothing is scheduled and the run ends
    /// with an error naming this instance.
    ///
    /// # Panics
    /// If `at` is in the past (a bug in the component, not an input).
    pub fn schedule_at(&mut self, at: SimTime, tag: u64) {
        let now = self.core.now;
        if at.is_end() {
            return self.past_the_end("a timer");
        }
        assert!(at.0 >= now, "{}: timer at {at} is before now ({})", self.name(), SimTime(now));
        let key = EventKey { time: at.0, send_time: now, origin: next_origin(self.st) };
        let kind = Kind::Timer { comp: self.st.local, tag };
        self.core.queue.push(Event { key, kind });
    }

    /// Calls `on_timer(tag)` at the `cycles`-th edge of `clock` after now (see
    /// [`ClockDomain::edge_after`]; zero cycles means now).
    pub fn schedule_cycles(&mut self, clock: ClockId, cycles: u64, tag: u64) {
        let now = self.now();
        let at = self.clock(clock).edge_after(now, cycles);
        self.schedule_at(at, tag);
    }

    /// Ends the run: `what` would happen at or past the end of simulated time.
    fn past_the_end(&mut self, what: &str) {
        let msg = format!(
            "{what} would fall at or past the end of simulated time (2^64 ps, about 213 days; now {}): \
             a time or duration in the input is too large",
            SimTime(self.core.now)
        );
        self.abort(msg);
    }

    /// A clock domain of this component's partition.
    pub fn clock(&mut self, id: ClockId) -> &ClockDomain {
        self.check_clock(id);
        &self.core.clocks[id.0 as usize]
    }

    /// Changes the period of a clock domain of this component's partition; it takes effect at
    /// the next edge ([`ClockDomain::set_period`]).
    pub fn set_clock_period(&mut self, id: ClockId, period: SimDuration) {
        self.check_clock(id);
        if period.0 == 0 {
            let msg = format!("clock `{}`: a period of 0 ps is impossible", self.core.clocks[id.0 as usize].name());
            self.abort(msg);
            return;
        }
        let now = self.now();
        self.core.clocks[id.0 as usize].set_period(now, period.0);
    }

    fn check_clock(&mut self, id: ClockId) {
        let owner = self.core.shared.clock_partitions[id.0 as usize];
        if owner != self.st.partition {
            let msg = format!(
                "uses clock `{}` of partition {owner} from partition {}; a clock domain serves one partition",
                self.core.clocks[id.0 as usize].name(),
                self.st.partition
            );
            self.abort(msg);
        }
    }

    /// Ends the run: every event before `now + stop horizon` is still processed (the horizon
    /// is the smallest cross-partition latency, or 1 ps without partitions), none after.
    pub fn stop(&mut self) {
        self.core.stop_request = self.core.stop_request.min(self.core.now);
        self.core.interrupt = true;
    }

    /// Ends the run with an error naming this instance (a model that cannot go on: a request
    /// to a missing address, a configuration found impossible at run time).
    pub fn abort(&mut self, message: impl Into<String>) {
        let key = self.core.current;
        if self.core.abort.as_ref().is_none_or(|a| key < a.key) {
            self.core.abort = Some(Abort { key, rank: self.st.rank, message: message.into() });
        }
        self.core.interrupt = true;
    }

    /// Shows `label = value` to the observers (phase changes, transaction boundaries).
    pub fn mark(&mut self, label: &str, value: i64) {
        if let Some(obs) = self.core.observer.as_mut() {
            obs.on_mark(&MarkRecord { time: SimTime(self.core.now), comp: CompId(self.st.rank), label, value });
        }
    }

    /// Whether an observer is attached (skip building expensive marks otherwise).
    pub fn observed(&self) -> bool {
        self.core.observer.is_some()
    }
}
