//! A built simulation: run it (sequentially or on partition threads), then finish it.

use std::sync::Arc;

use crate::component::Message;
use crate::engine::{Engine, Shared};
use crate::error::SimError;
use crate::netlist::Netlist;
use crate::stats::StatsSnapshot;
use crate::sync::{run_partitioned, Chooser, SyncReport, ThreadPolicy};
use crate::time::SimTime;

/// Why a run returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Simulated time reached the requested end; events remain.
    ReachedEnd,
    /// No event is left.
    Idle,
    /// A component called [`Context::stop`](crate::Context::stop).
    Stopped,
}

/// The results of a finished simulation.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every statistic, components in rank order.
    pub stats: StatsSnapshot,
    /// Events processed (message deliveries, timers, channel credits).
    pub events: u64,
    /// Simulated time at the end.
    pub end: SimTime,
    /// How the partitions used threads (wall-clock figures, not results).
    pub sync: SyncReport,
}

/// A simulation ready to run. Made by [`SimBuilder::build`](crate::SimBuilder::build).
pub struct Simulation<M: Message> {
    pub(crate) engines: Vec<Engine<M>>,
    netlist: Netlist,
    pub(crate) shared: Arc<Shared>,
    pub(crate) chooser: Chooser,
    pub(crate) now: SimTime,
    pub(crate) stopped: bool,
}

impl<M: Message> Simulation<M> {
    pub(crate) fn start(
        mut engines: Vec<Engine<M>>,
        netlist: Netlist,
        shared: Arc<Shared>,
        policy: ThreadPolicy,
    ) -> Self {
        for e in &mut engines {
            e.init();
        }
        // Events sent during init to other engines go straight to their queues.
        for src in 0..engines.len() {
            for dst in 0..engines.len() {
                let evs = std::mem::take(&mut engines[src].core.outboxes[dst]);
                for ev in evs {
                    engines[dst].core.queue.push(ev);
                }
            }
        }
        let chooser = Chooser::new(policy, engines.len());
        Simulation { engines, netlist, shared, chooser, now: SimTime::ZERO, stopped: false }
    }

    /// The elaborated structure.
    pub fn netlist(&self) -> &Netlist {
        &self.netlist
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Threads the run may use (one engine each); [`sync_report`](Self::sync_report) says
    /// how many it did use.
    pub fn threads(&self) -> usize {
        self.engines.len()
    }

    /// How the run used its threads so far.
    pub fn sync_report(&self) -> &SyncReport {
        &self.chooser.report
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.engines.iter().map(|e| e.core.events).sum()
    }

    /// Time of the earliest pending event.
    pub fn next_event_time(&self) -> Option<SimTime> {
        let t = self.engines.iter().map(|e| e.core.queue.next_time()).min().unwrap_or(u64::MAX);
        (t != u64::MAX).then_some(SimTime(t))
    }

    /// Runs until no event is left or a component stops the run.
    pub fn run(&mut self) -> Result<RunOutcome, SimError> {
        self.run_until(SimTime::MAX)
    }

    /// Processes every event with time before `end` (events at `end` stay pending, so
    /// `run_until(a)` then `run_until(b)` is the same as `run_until(b)`). Afterwards
    /// [`now`](Self::now) is `end`, or the time of the last event if none is left (the time
    /// the model finished its work).
    pub fn run_until(&mut self, end: SimTime) -> Result<RunOutcome, SimError> {
        if self.stopped {
            return Ok(RunOutcome::Stopped);
        }
        if self.engines.len() == 1 {
            self.engines[0].run(end.0);
        } else {
            run_partitioned(&mut self.engines, end.0, self.shared.stop_horizon, &mut self.chooser);
        }
        if let Some(a) = self.engines.iter().filter_map(|e| e.core.abort.as_ref()).min_by_key(|a| a.key) {
            return Err(SimError::Aborted {
                instance: self.shared.names[a.rank as usize].clone(),
                time: SimTime(a.key.time),
                message: a.message.clone(),
            });
        }
        let last = SimTime(self.engines.iter().map(|e| e.core.now).max().unwrap_or(0));
        if self.engines.iter().any(|e| e.core.stop_request != u64::MAX) {
            self.stopped = true;
            self.now = last.max(self.now);
            return Ok(RunOutcome::Stopped);
        }
        let idle = self.next_event_time().is_none();
        self.now = if idle || end == SimTime::MAX { last.max(self.now) } else { end };
        Ok(if idle { RunOutcome::Idle } else { RunOutcome::ReachedEnd })
    }

    /// Ends the simulation: every component's `finish`, and all statistics.
    pub fn finish(mut self) -> Report {
        let now = self.now;
        let mut parts: Vec<(u32, StatsSnapshot)> = self.engines.iter_mut().flat_map(|e| e.finish(now)).collect();
        parts.sort_by_key(|(rank, _)| *rank);
        let mut stats = StatsSnapshot::default();
        for (_, s) in parts {
            stats.extend(s);
        }
        let events = self.events();
        for e in &mut self.engines {
            if let Some(obs) = e.core.observer.as_mut() {
                obs.on_finish(now);
            }
        }
        Report { stats, events, end: now, sync: self.chooser.report.clone() }
    }
}
