//! Partitioned runs on threads: stretches of windows ([`crate::window`]) on all threads or on
//! one, chosen by measurement, and the report of what was chosen and why.
//!
//! Parallel windows pay only when each holds enough work to cover a barrier crossing, and
//! only when the threads get their cores. Neither is known before the run (it depends on the
//! model's traffic and on whatever else the machine is doing), so the run measures: it
//! alternates a short probe on all threads and one on a single thread (which runs the same
//! windows one engine after another, with no barrier), compares their event rates, and runs
//! on the faster for a longer stretch, doubling that stretch while the same choice keeps
//! winning. Every schedule of safe windows processes the same events in the same order at
//! every component (crate docs, "Ordering guarantees"), so the choice never changes a result.

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::component::Message;
use crate::engine::Engine;
use crate::window::{run_windows, Barrier, Board, StretchEnd, ThreadTally};

/// How a partitioned run chooses its threads ([`SimBuilder::thread_policy`](crate::SimBuilder::thread_policy)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadPolicy {
    /// Measure, and run on fewer threads when parallel windows are slower (the default).
    Adaptive,
    /// Always use every thread (one per engine), whatever it costs.
    Fixed,
    /// Switch between all threads and one every `windows` windows. For tests: it exercises
    /// the hand-over between thread counts at known points.
    Alternate { windows: u64 },
}

/// How a partitioned run used its threads. Wall-clock measurements: they vary from run to
/// run and are not part of the (bit-identical) statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    /// Engines the partitions were grouped into: the most threads the run can use.
    pub engines: usize,
    /// Windows (rounds of the conservative protocol), on any number of threads.
    pub windows: u64,
    /// Barrier crossings: windows run on more than one thread.
    pub synchronisations: u64,
    /// (engine, window) pairs in which the engine had no event to process.
    pub idle_engine_windows: u64,
    /// Events moved from one engine to another.
    pub exchanged: u64,
    /// Events processed on all threads and on one thread.
    pub events_parallel: u64,
    pub events_single: u64,
    /// Wall-clock seconds spent on all threads and on one thread.
    pub wall_parallel_s: f64,
    pub wall_single_s: f64,
    /// Seconds threads spent waiting at the barrier, summed over threads.
    pub barrier_wait_s: f64,
    /// Events per second of the latest probe on all threads and on one (0: not probed).
    pub probe_rate_parallel: f64,
    pub probe_rate_single: f64,
}

impl SyncReport {
    /// Threads that processed most events: `engines` or 1.
    pub fn threads_used(&self) -> usize {
        if self.engines > 1 && self.events_parallel >= self.events_single {
            self.engines
        } else {
            1
        }
    }

    /// One line: threads used and why.
    pub fn describe(&self) -> String {
        if self.engines <= 1 {
            return "1 thread (one engine: no partitions to run apart)".into();
        }
        let total = (self.events_parallel + self.events_single).max(1) as f64;
        let share = 100.0 * self.events_parallel as f64 / total;
        let why = if self.probe_rate_parallel > 0.0 && self.probe_rate_single > 0.0 {
            format!(
                "; probes: {:.2} M events/s on {} threads, {:.2} M on 1",
                self.probe_rate_parallel / 1e6,
                self.engines,
                self.probe_rate_single / 1e6
            )
        } else {
            String::new()
        };
        format!(
            "{} of {} threads ({share:.0}% of events on {} threads{why}); {} windows, {} synchronisations, \
             {:.0} events/window, {:.3} s waiting at barriers",
            self.threads_used(),
            self.engines,
            self.engines,
            self.windows,
            self.synchronisations,
            total / self.windows.max(1) as f64,
            self.barrier_wait_s
        )
    }
}

/// Wall time of a probe on each thread count.
const PROBE: Duration = Duration::from_millis(4);
/// The first stretch on the winner; doubled each time the same thread count wins again.
const FIRST_STRETCH: Duration = Duration::from_millis(32);
const LONGEST_STRETCH: Duration = Duration::from_secs(2);

/// The state of the choice between thread counts, kept across `run_until` calls.
pub(crate) struct Chooser {
    policy: ThreadPolicy,
    /// What to run next: (all threads?, wall budget, window budget).
    plan: Vec<(bool, Duration, u64)>,
    probe: [Option<f64>; 2],
    last_winner: Option<bool>,
    stretch: Duration,
    pub report: SyncReport,
}

impl Chooser {
    pub fn new(policy: ThreadPolicy, engines: usize) -> Self {
        Chooser {
            policy,
            plan: Vec::new(),
            probe: [None; 2],
            last_winner: None,
            stretch: FIRST_STRETCH,
            report: SyncReport { engines, ..SyncReport::default() },
        }
    }

    /// The next stretch: on all threads or one, for how long, for how many windows at most.
    fn next(&mut self) -> (bool, Duration, u64) {
        match self.policy {
            ThreadPolicy::Fixed => (true, Duration::MAX, u64::MAX),
            ThreadPolicy::Alternate { windows } => {
                let all = self.last_winner != Some(true);
                self.last_winner = Some(all);
                (all, Duration::MAX, windows.max(1))
            }
            ThreadPolicy::Adaptive => {
                if self.plan.is_empty() {
                    // Probe both, then stretch on the winner (decided in `record`).
                    self.probe = [None; 2];
                    self.plan = vec![(true, PROBE, u64::MAX), (false, PROBE, u64::MAX)];
                }
                self.plan.remove(0)
            }
        }
    }

    fn record(&mut self, all: bool, events: u64, wall: Duration, probing: bool) {
        let r = &mut self.report;
        if all {
            r.events_parallel += events;
            r.wall_parallel_s += wall.as_secs_f64();
        } else {
            r.events_single += events;
            r.wall_single_s += wall.as_secs_f64();
        }
        if !(probing && self.policy == ThreadPolicy::Adaptive) {
            return;
        }
        let rate = events as f64 / wall.as_secs_f64().max(1e-9);
        self.probe[usize::from(all)] = Some(rate);
        if let [Some(single), Some(parallel)] = self.probe {
            (r.probe_rate_single, r.probe_rate_parallel) = (single, parallel);
            let winner = parallel > single;
            self.stretch = match self.last_winner {
                Some(w) if w == winner => (self.stretch * 2).min(LONGEST_STRETCH),
                _ => FIRST_STRETCH,
            };
            self.last_winner = Some(winner);
            self.plan = vec![(winner, self.stretch, u64::MAX)];
        }
    }
}

/// Runs the engines' events before `end` in windows of lookahead `horizon`, on as many
/// threads as there are engines or on one, as `chooser` decides.
pub(crate) fn run_partitioned<M: Message>(engines: &mut [Engine<M>], end: u64, horizon: u64, chooser: &mut Chooser) {
    let board = Board::new(engines);
    let mut w = 0u64;
    loop {
        let (all, budget, max_windows) = chooser.next();
        let probing = budget == PROBE;
        board.resume(w);
        let start = Instant::now();
        let deadline = start.checked_add(budget).unwrap_or_else(|| start + Duration::from_secs(1 << 32));
        let before: u64 = engines.iter().map(|e| e.core.events).sum();
        let (reached, how, tallies) = if all {
            stretch_on_threads(engines, &board, w, end, horizon, deadline, max_windows)
        } else {
            let mut tally = ThreadTally::default();
            let (reached, how) =
                run_windows(&board, None, engines, 0, w, end, horizon, deadline, max_windows, &mut tally);
            (reached, how, vec![tally])
        };
        let events = engines.iter().map(|e| e.core.events).sum::<u64>() - before;
        let r = &mut chooser.report;
        for t in &tallies {
            r.idle_engine_windows += t.idle_engine_windows;
            r.exchanged += t.exchanged;
            r.barrier_wait_s += t.barrier_wait.as_secs_f64();
        }
        let windows = reached - w;
        r.windows += windows;
        if all {
            r.synchronisations += windows;
        }
        chooser.record(all, events, start.elapsed(), probing && how == StretchEnd::Leave);
        w = reached;
        if how == StretchEnd::Finished {
            break;
        }
    }
    board.deliver_all(engines);
}

/// One stretch with a thread per engine. A panic on one thread poisons the barrier so the
/// others return, then resumes on the caller.
fn stretch_on_threads<M: Message>(
    engines: &mut [Engine<M>],
    board: &Board<M>,
    w: u64,
    end: u64,
    horizon: u64,
    deadline: Instant,
    max_windows: u64,
) -> (u64, StretchEnd, Vec<ThreadTally>) {
    let barrier = Barrier::new(engines.len());
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = engines
            .chunks_mut(1)
            .enumerate()
            .map(|(first, mine)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut tally = ThreadTally::default();
                    let r = panic::catch_unwind(AssertUnwindSafe(|| {
                        run_windows(
                            board,
                            Some(barrier),
                            mine,
                            first,
                            w,
                            end,
                            horizon,
                            deadline,
                            max_windows,
                            &mut tally,
                        )
                    }));
                    if r.is_err() {
                        barrier.poison();
                    }
                    r.map(|(reached, how)| (reached, how, tally))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("worker catches its panics")).collect()
    });
    let mut out = Vec::with_capacity(results.len());
    let mut outcome = (w, StretchEnd::Finished);
    for r in results {
        match r {
            Ok((reached, how, tally)) => {
                outcome = (reached, how);
                out.push(tally);
            }
            Err(p) => panic::resume_unwind(p),
        }
    }
    (outcome.0, outcome.1, out)
}
