//! Observers see sends, deliveries, timers and component marks without touching the model:
//! timelines and memory-trace writers hang here, outside the kernel.
//!
//! In a partitioned run each thread has its own observer (made by the factory given to
//! [`SimBuilder::observe`](crate::SimBuilder::observe)) that sees only that thread's events,
//! in the thread's order. Every record carries its [`EventKey`], so merging per-thread
//! records by key gives the sequential order exactly.

use crate::component::{CompId, PortId};
use crate::time::SimTime;

/// The total order of events: time, then send time, then origin (rank and per-origin
/// sequence). See the crate documentation for why this order is partition-independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    pub time: u64,
    pub send_time: u64,
    pub origin: u64,
}

/// A message leaving an output port.
#[derive(Clone, Copy, Debug)]
pub struct SendRecord {
    pub time: SimTime,
    /// When it will be delivered (after any annotation, queueing, serialisation and latency).
    pub arrival: SimTime,
    pub from: CompId,
    pub from_port: PortId,
    pub to: CompId,
    pub to_port: PortId,
    pub bytes: u64,
}

/// A message delivered to an input port (seen just before `on_message`).
#[derive(Clone, Copy, Debug)]
pub struct DeliverRecord {
    pub key: EventKey,
    pub from: CompId,
    pub to: CompId,
    pub port: PortId,
}

/// A timer firing (seen just before `on_timer`).
#[derive(Clone, Copy, Debug)]
pub struct TimerRecord {
    pub key: EventKey,
    pub comp: CompId,
    pub tag: u64,
}

/// A component's own annotation ([`Context::mark`](crate::Context::mark)): phase changes,
/// transaction boundaries, anything a timeline wants to show.
#[derive(Clone, Copy, Debug)]
pub struct MarkRecord<'a> {
    pub time: SimTime,
    pub comp: CompId,
    pub label: &'a str,
    pub value: i64,
}

/// Sees what happens in a simulation. All methods default to doing nothing.
pub trait Observer<M>: Send {
    fn on_send(&mut self, _rec: &SendRecord, _msg: &M) {}
    fn on_deliver(&mut self, _rec: &DeliverRecord, _msg: &M) {}
    fn on_timer(&mut self, _rec: &TimerRecord) {}
    fn on_mark(&mut self, _rec: &MarkRecord<'_>) {}
    /// The simulation finished at `end` (flush buffered output here).
    fn on_finish(&mut self, _end: SimTime) {}
}
