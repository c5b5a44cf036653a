//! # sim-core: the tasim event kernel
//!
//! A deterministic discrete-event kernel shaped like SystemC/TLM-2.0: **components** with
//! named, declared **ports**, bound at **elaboration** by **channels** (latency, bandwidth,
//! depth) or **fabrics** (many-to-many, one latency), exchanging plain messages under one
//! event order; **clock domains** whose frequency can change while running; per-component
//! **random streams**; **statistics** under hierarchical names; **observers** for timelines and
//! traces; and **partitions** that run on threads with results bit-identical to one thread.
//! It knows nothing of hardware, files or training.
//!
//! The types relate like this: a [`SimBuilder`] collects [`Component`]s (each declaring
//! [`PortSpec`]s), [`ClockDomain`]s, channels ([`ChannelSpec`]) and fabrics; [`SimBuilder::build`]
//! checks the structure ([`ElabError`], all problems at once), produces a [`Netlist`] and a
//! [`Simulation`]; [`Simulation::run_until`] drives events, during which each component sees a
//! [`Context`]; [`Simulation::finish`] returns a [`Report`] with a [`StatsSnapshot`].
//!
//! ## Writing a component, assembling a simulation, running it
//!
//! ```text
//!  +----------+  out -> in   +----------+
//!  | producer | -----------> | consumer |    channel: 10 ns, 1 GB/s, depth 2
//!  +----------+              +----------+    consumer takes 50 ns per message
//! ```
//!
//! ```
//! use sim_core::*;
//!
//! struct Packet(u64); // bytes
//! impl Message for Packet {
//!     fn size_bytes(&self) -> u64 { self.0 }
//! }
//!
//! /// Sends `left` packets of 100 bytes as fast as the channel lets it.
//! struct Producer { left: u32, sent: u64 }
//! const OUT: PortId = PortId(0);
//! impl Producer {
//!     fn pump(&mut self, ctx: &mut Context<'_, Packet>) {
//!         while self.left > 0 {
//!             match ctx.send(OUT, Packet(100)) {
//!                 Ok(()) => { self.left -= 1; self.sent += 1; }
//!                 Err(Refused(_)) => return, // on_ready will call us again
//!             }
//!         }
//!     }
//! }
//! impl Component<Packet> for Producer {
//!     fn ports(&self) -> Vec<PortSpec> { vec![PortSpec::output("out", "data")] }
//!     fn init(&mut self, ctx: &mut Context<'_, Packet>) { self.pump(ctx) }
//!     fn on_message(&mut self, _: &mut Context<'_, Packet>, _: PortId, _: Packet) {}
//!     fn on_ready(&mut self, ctx: &mut Context<'_, Packet>, _: PortId) { self.pump(ctx) }
//!     fn finish(&mut self, stats: &mut StatsWriter<'_>) { stats.counter("sent", self.sent) }
//! }
//!
//! /// Holds each packet for 50 ns before releasing its channel slot (credit flow control).
//! struct Consumer { waiting: u32, done: u64 }
//! const IN: PortId = PortId(0);
//! impl Component<Packet> for Consumer {
//!     fn ports(&self) -> Vec<PortSpec> { vec![PortSpec::input("in", "data").manual_release()] }
//!     fn on_message(&mut self, ctx: &mut Context<'_, Packet>, _: PortId, _: Packet) {
//!         self.waiting += 1;
//!         ctx.schedule(SimDuration::ns(50 * u64::from(self.waiting)), 0);
//!     }
//!     fn on_timer(&mut self, ctx: &mut Context<'_, Packet>, _: u64) {
//!         self.waiting -= 1;
//!         self.done += 1;
//!         ctx.release(IN);
//!     }
//!     fn finish(&mut self, stats: &mut StatsWriter<'_>) { stats.counter("done", self.done) }
//! }
//!
//! let mut b = SimBuilder::new(42);
//! let p = b.add("producer", Producer { left: 5, sent: 0 });
//! let c = b.add("consumer", Consumer { waiting: 0, done: 0 });
//! let gbps = Bandwidth::BytesPerSecond(1_000_000_000);
//! b.connect(p, "out", c, "in", ChannelSpec::new(SimDuration::ns(10)).bandwidth(gbps).depth(2));
//! let mut sim = b.build().expect("the structure is sound");
//! assert_eq!(sim.run().unwrap(), RunOutcome::Idle);
//! let report = sim.finish();
//! assert_eq!(report.stats.counter("consumer.done"), Some(5));
//! assert_eq!(report.stats.counter("producer.out.refused"), Some(3));
//! assert!(report.end > SimTime::from_ns(250)); // the consumer set the pace
//! ```
//!
//! ## Ordering guarantees
//!
//! Every event has a key `(time, send time, origin)`, and events are processed in increasing
//! key order. The origin is the rank of the component that caused the event (its index in
//! the builder) and that component's own count of events caused so far. Hence:
//!
//! 1. **Time order.** An event is never processed before an event of earlier time.
//! 2. **FIFO among equal times.** Of two events for the same time, the one *sent* earlier is
//!    processed first; of two sent at the same instant by one component, the one sent first
//!    (timers, messages and credits alike). Messages on one channel are delivered in the order
//!    they were sent (a channel is a pipe: a send waits for the one before it).
//! 3. **Ties between components.** Events for the same time, sent at the same instant by
//!    different components, are processed in rank order of the senders.
//! 4. **Partition independence.** The key is computed by the sender alone, from its own
//!    state. A single global insertion counter would depend on how partitions interleave;
//!    this key does not, so a partitioned run processes the same events in the same order at
//!    every component as the sequential run: statistics, event counts and results are
//!    bit-identical on any number of threads.
//! 5. **Init.** `init` runs at time zero in rank order, before any event.
//! 6. **Stop.** [`Context::stop`] at time `t` ends the run after every event before
//!    `t + h`, where `h` is the smallest latency between partitions (1 ps when there is one
//!    partition): the same events on any number of threads.
//! 7. **Backpressure.** A channel with a depth refuses a send when that many messages are
//!    unreleased. The sender gets exactly one `on_ready` after a refusal, when a slot comes
//!    back (a slot travels back over the channel latency, like a credit).
//!
//! ## Partitions
//!
//! Components are placed in partitions ([`SimBuilder::add_in`]); every channel or fabric
//! that joins two partitions must have a latency above zero, and the smallest such latency
//! is the synchronisation window. With [`SimBuilder::threads`] above 1, contiguous groups of
//! partitions run on threads that advance window by window (conservative synchronisation:
//! nothing from another thread can arrive inside a window). A clock domain belongs to one
//! partition; only that partition's components may read or change it.
//!
//! Parallel windows pay only when they hold enough events and the threads have their cores.
//! By default ([`ThreadPolicy::Adaptive`]) a run measures both and runs stretches of windows
//! on one thread where that is faster; any schedule of safe windows gives the same results,
//! so the choice is invisible except in [`Report::sync`] ([`SyncReport`]: windows,
//! synchronisations, barrier waits, threads used and why).
//!
//! The same windows run over processes (MPI ranks) through a [`Transport`]: every process
//! builds the same simulation and calls [`Simulation::run_until_ranked`] and
//! [`Simulation::finish_ranked`]; the messages that cross ranks implement [`Wire`]. The kernel
//! has no MPI dependency: the binary provides the transport over MPI.

mod builder;
mod channel;
mod clock;
mod component;
mod context;
mod dist;
mod engine;
mod error;
mod netlist;
mod observer;
mod queue;
mod rng;
mod simulation;
mod stats;
mod sync;
mod time;
mod window;
mod wire;

pub use builder::SimBuilder;
pub use channel::{Bandwidth, ChannelId, ChannelSpec, FabricId};
pub use clock::{ClockDomain, ClockId};
pub use component::{CompId, Component, Direction, Message, PortId, PortSpec, Release};
pub use context::{Context, Refused};
pub use dist::{local_ranks, LocalTransport, Transport};
pub use error::{ElabError, SimError};
pub use netlist::{EdgeKind, NetEdge, NetNode, Netlist};
pub use observer::{DeliverRecord, EventKey, MarkRecord, Observer, SendRecord, TimerRecord};
pub use rng::{derive_seed, splitmix64, SimRng};
pub use simulation::{Report, RunOutcome, Simulation};
pub use stats::{combine, Aggregate, Histogram, HistogramSummary, StatValue, StatsSnapshot, StatsWriter, TimeAverage};
pub use sync::{SyncReport, ThreadPolicy};
pub use time::{SimDuration, SimTime, TimeValueError};
pub use wire::{put_bytes, Reader, Wire, WireError};
