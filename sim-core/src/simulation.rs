//! A built simulation: run it (sequentially or on partition threads), then finish it.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::component::Message;
use crate::engine::{Engine, Shared};
use crate::error::SimError;
use crate::netlist::Netlist;
use crate::queue::Event;
use crate::stats::StatsSnapshot;
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
}

/// A simulation ready to run. Made by [`SimBuilder::build`](crate::SimBuilder::build).
pub struct Simulation<M: Message> {
    engines: Vec<Engine<M>>,
    netlist: Netlist,
    shared: Arc<Shared>,
    now: SimTime,
    stopped: bool,
}

impl<M: Message> Simulation<M> {
    pub(crate) fn start(mut engines: Vec<Engine<M>>, netlist: Netlist, shared: Arc<Shared>) -> Self {
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
        Simulation { engines, netlist, shared, now: SimTime::ZERO, stopped: false }
    }

    /// The elaborated structure.
    pub fn netlist(&self) -> &Netlist {
        &self.netlist
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Threads the run uses (one engine each).
    pub fn threads(&self) -> usize {
        self.engines.len()
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
            run_parallel(&mut self.engines, end.0, self.shared.stop_horizon);
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
        Report { stats, events, end: now }
    }
}

/// A barrier that spins briefly, then yields; a panicking thread poisons it so the others
/// return instead of waiting forever.
struct SpinBarrier {
    n: usize,
    /// Busy-wait this many times before yielding: worth it only when every thread has a core.
    spin_limit: u32,
    count: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        SpinBarrier {
            n,
            spin_limit: if n <= cores { 1_000 } else { 0 },
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    /// False when another thread panicked.
    fn wait(&self) -> bool {
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.store(gen.wrapping_add(1), Ordering::Release);
        } else {
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == gen {
                if self.poisoned.load(Ordering::Acquire) {
                    return false;
                }
                if spins < self.spin_limit {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
        !self.poisoned.load(Ordering::Acquire)
    }
}

/// What the threads of a partitioned run share.
struct Sync<M> {
    barrier: SpinBarrier,
    next: Vec<AtomicU64>,
    stop: Vec<AtomicU64>,
    aborted: Vec<AtomicBool>,
    /// `mail[src * n + dst]`: events from engine `src` for engine `dst`.
    mail: Vec<Mutex<Vec<Event<M>>>>,
}

/// Conservative synchronisation in windows. Each round, every engine publishes its next event
/// time; all agree on the global minimum `t`; each processes its events before
/// `t + horizon` (no event from another engine can land in that window, because every link
/// between partitions is at least `horizon` long); then engines exchange the events they sent
/// each other. Two barriers a round: after publishing, and after exchanging.
fn run_parallel<M: Message>(engines: &mut [Engine<M>], end: u64, horizon: u64) {
    let n = engines.len();
    let sync = Sync {
        barrier: SpinBarrier::new(n),
        next: (0..n).map(|_| AtomicU64::new(u64::MAX)).collect(),
        stop: (0..n).map(|_| AtomicU64::new(u64::MAX)).collect(),
        aborted: (0..n).map(|_| AtomicBool::new(false)).collect(),
        mail: (0..n * n).map(|_| Mutex::new(Vec::new())).collect(),
    };
    let panics: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = engines
            .iter_mut()
            .enumerate()
            .map(|(me, eng)| {
                let sync = &sync;
                s.spawn(move || {
                    let r = panic::catch_unwind(AssertUnwindSafe(|| worker(me, eng, sync, end, horizon)));
                    if r.is_err() {
                        sync.barrier.poisoned.store(true, Ordering::Release);
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().expect("worker catches its panics").err()).collect()
    });
    if let Some(p) = panics.into_iter().next() {
        panic::resume_unwind(p);
    }
}

fn worker<M: Message>(me: usize, eng: &mut Engine<M>, sync: &Sync<M>, end: u64, horizon: u64) {
    let n = sync.next.len();
    loop {
        for src in 0..n {
            if src != me {
                let mut inbox = sync.mail[src * n + me].lock().expect("mailbox lock");
                for ev in inbox.drain(..) {
                    eng.core.queue.push(ev);
                }
            }
        }
        sync.next[me].store(eng.core.queue.next_time(), Ordering::Relaxed);
        sync.stop[me].store(eng.core.stop_request, Ordering::Relaxed);
        sync.aborted[me].store(eng.core.abort.is_some(), Ordering::Relaxed);
        if !sync.barrier.wait() {
            return;
        }
        let gmin = sync.next.iter().map(|a| a.load(Ordering::Relaxed)).min().unwrap_or(u64::MAX);
        let gstop = sync.stop.iter().map(|a| a.load(Ordering::Relaxed)).min().unwrap_or(u64::MAX);
        let aborted = sync.aborted.iter().any(|a| a.load(Ordering::Relaxed));
        let end_now = end.min(gstop.saturating_add(horizon));
        if aborted || gmin >= end_now {
            return;
        }
        eng.run(gmin.saturating_add(horizon).min(end_now));
        for dst in 0..n {
            if dst != me && !eng.core.outboxes[dst].is_empty() {
                sync.mail[me * n + dst].lock().expect("mailbox lock").append(&mut eng.core.outboxes[dst]);
            }
        }
        if !sync.barrier.wait() {
            return;
        }
    }
}
