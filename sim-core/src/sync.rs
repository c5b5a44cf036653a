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
    /// Processes of a run over ranks ([`crate::Transport`]); 0 for a run in one process.
    pub ranks: usize,
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
        if self.ranks > 0 {
            return format!(
                "{} ranks ({} engines, one thread each); {} windows, {} synchronisations, {:.0} events/window, \
                 {} events between ranks, {:.3} s in collectives (this rank)",
                self.ranks,
                self.engines,
                self.windows,
                self.synchronisations,
                self.events_parallel as f64 / self.windows.max(1) as f64,
                self.exchanged,
                self.barrier_wait_s
            );
        }
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
            "{} of {} threads ({share:.0}% of events on {} threads{why}); {} window{}, {} synchronisation{}, \
             {:.0} events/window, {:.3} s waiting at barriers",
            self.threads_used(),
            self.engines,
            self.engines,
            self.windows,
            if self.windows == 1 { "" } else { "s" },
            self.synchronisations,
            if self.synchronisations == 1 { "" } else { "s" },
            total / self.windows.max(1) as f64,
            self.barrier_wait_s
        )
    }
}

/// Wall time of a probe on each thread count: longer than a scheduler time slice, so that a
/// probe that lost its core for one slice still measures something.
const PROBE: Duration = Duration::from_millis(20);
/// All threads win only when faster than one by this factor: near a tie, one thread is the
/// safer choice (it cannot be hurt by a busy core).
const PARALLEL_MARGIN: f64 = 1.1;
/// The first stretch on the winner; doubled each time the same thread count wins again.
const FIRST_STRETCH: Duration = Duration::from_millis(32);
const LONGEST_STRETCH: Duration = Duration::from_secs(2);
/// A stretch lasts at least this many times the losing probe's wall time.
const LOSER_SHARE: u32 = 32;
/// A probe of fewer windows measures one window's work, not the window protocol: a window
/// that holds a one-off burst (the 16-chip ring's sources queue all 100,000 packets in their
/// first event: 43 ms for 32 events) would make its side lose, and the loser's wall time
/// would then set a stretch of over a second. Such a pair is probed again.
const MIN_PROBE_WINDOWS: u64 = 4;
/// Pairs probed again in a row at most; then the last pair decides (every window of the
/// model is long, so few windows per probe is what it does).
const MAX_REPROBES: u32 = 3;

/// A stretch of windows to run: on all threads or one, for at most this wall time and this
/// many windows.
#[derive(Clone, Copy, Debug)]
struct Stretch {
    all: bool,
    budget: Duration,
    windows: u64,
    probe: bool,
}

/// What a probe on one thread count measured so far.
#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    events: u64,
    wall: Duration,
    windows: u64,
    done: bool,
}

/// The state of the choice between thread counts, kept across `run_until` calls (a run in
/// slices, as `tasim run` does for its progress bar, continues its stretch and its probes).
pub(crate) struct Chooser {
    policy: ThreadPolicy,
    plan: Vec<Stretch>,
    /// Events, wall time and windows of the current probes on one thread and on all, and
    /// whether each has run its budget out.
    probe: [Probe; 2],
    /// Probe pairs in a row with too few windows to decide (`MIN_PROBE_WINDOWS`).
    reprobes: u32,
    last_winner: Option<bool>,
    stretch: Duration,
    pub report: SyncReport,
}

impl Chooser {
    pub fn new(policy: ThreadPolicy, engines: usize) -> Self {
        Chooser {
            policy,
            plan: Vec::new(),
            probe: [Probe::default(); 2],
            reprobes: 0,
            last_winner: None,
            stretch: FIRST_STRETCH,
            report: SyncReport { engines, ..SyncReport::default() },
        }
    }

    fn next(&mut self) -> Stretch {
        if let Some(s) = self.plan.pop() {
            return s;
        }
        match self.policy {
            ThreadPolicy::Fixed => Stretch { all: true, budget: Duration::MAX, windows: u64::MAX, probe: false },
            ThreadPolicy::Alternate { windows } => {
                let all = self.last_winner != Some(true);
                self.last_winner = Some(all);
                Stretch { all, budget: Duration::MAX, windows: windows.max(1), probe: false }
            }
            ThreadPolicy::Adaptive => {
                // Probe both (all threads first), then stretch on the winner (`record`).
                self.probe = [Probe::default(); 2];
                self.plan.push(Stretch { all: false, budget: PROBE, windows: u64::MAX, probe: true });
                Stretch { all: true, budget: PROBE, windows: u64::MAX, probe: true }
            }
        }
    }

    /// Accounts for a stretch that ran `windows` windows and `events` events in `wall`;
    /// `left` when its budget ran out (otherwise the run ended first and the rest of the
    /// stretch waits for the next call).
    fn record(&mut self, s: Stretch, windows: u64, events: u64, wall: Duration, left: bool) {
        let r = &mut self.report;
        if s.all {
            r.events_parallel += events;
            r.wall_parallel_s += wall.as_secs_f64();
        } else {
            r.events_single += events;
            r.wall_single_s += wall.as_secs_f64();
        }
        if !left {
            let rest = Stretch { budget: s.budget.saturating_sub(wall), windows: s.windows - windows, ..s };
            if !rest.budget.is_zero() && rest.windows > 0 {
                self.plan.push(rest);
            }
        }
        if !s.probe {
            return;
        }
        let p = &mut self.probe[usize::from(s.all)];
        (p.events, p.wall, p.windows, p.done) = (p.events + events, p.wall + wall, p.windows + windows, left);
        if let [one @ Probe { done: true, .. }, all @ Probe { done: true, .. }] = self.probe {
            if one.windows.min(all.windows) < MIN_PROBE_WINDOWS && self.reprobes < MAX_REPROBES {
                // Inconclusive: the plan is empty, so `next` probes both again.
                self.reprobes += 1;
                return;
            }
            self.reprobes = 0;
            let rate = |p: Probe| p.events as f64 / p.wall.as_secs_f64().max(1e-9);
            let (single, parallel) = (rate(one), rate(all));
            (r.probe_rate_single, r.probe_rate_parallel) = (single, parallel);
            let winner = parallel > single * PARALLEL_MARGIN;
            self.stretch = match self.last_winner {
                Some(w) if w == winner => (self.stretch * 2).min(LONGEST_STRETCH),
                _ => FIRST_STRETCH,
            };
            // A probe on the losing side costs its time again on the next cycle: keep that
            // within about 3% of the cycle, however slow the loser was (long windows on
            // threads that lost their cores make even a short probe long).
            self.stretch = self.stretch.max(self.probe[usize::from(!winner)].wall * LOSER_SHARE);
            self.last_winner = Some(winner);
            self.plan.push(Stretch { all: winner, budget: self.stretch, windows: u64::MAX, probe: false });
        }
    }
}

/// Runs the engines' events before `end` in windows of lookahead `horizon`, on as many
/// threads as there are engines or on one, as `chooser` decides.
pub(crate) fn run_partitioned<M: Message>(engines: &mut [Engine<M>], end: u64, horizon: u64, chooser: &mut Chooser) {
    let board = Board::new(engines);
    let mut w = 0u64;
    loop {
        let stretch = chooser.next();
        board.resume(w);
        let start = Instant::now();
        let deadline = start.checked_add(stretch.budget).unwrap_or_else(|| start + Duration::from_secs(1 << 32));
        let before: u64 = engines.iter().map(|e| e.core.events).sum();
        let (reached, how, tallies) = if stretch.all {
            stretch_on_threads(engines, &board, w, end, horizon, deadline, stretch.windows)
        } else {
            let mut tally = ThreadTally::default();
            let (reached, how) =
                run_windows(&board, None, engines, 0, w, end, horizon, deadline, stretch.windows, &mut tally);
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
        if stretch.all {
            r.synchronisations += windows;
        }
        chooser.record(stretch, windows, events, start.elapsed(), how == StretchEnd::Leave);
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Runs `s` as if it did `events` in `wall`, leaving at the end of its budget.
    fn ran(c: &mut Chooser, events: u64, wall: Duration, left: bool) -> Stretch {
        let s = c.next();
        c.record(s, 10, events, wall, left);
        s
    }

    #[test]
    fn probes_both_then_runs_the_faster_for_longer_each_time_it_wins() {
        let mut c = Chooser::new(ThreadPolicy::Adaptive, 2);
        let p = ran(&mut c, 1_000, 4 * MS, true);
        assert!(p.all && p.probe && p.budget == PROBE);
        let p = ran(&mut c, 3_000, 4 * MS, true);
        assert!(!p.all && p.probe);
        assert_eq!((c.report.probe_rate_parallel, c.report.probe_rate_single), (250_000.0, 750_000.0));
        // At least 32 times the losing probe's 4 ms.
        let s = ran(&mut c, 0, FIRST_STRETCH, true);
        assert!(!s.all && !s.probe && s.budget == 128 * MS, "{s:?}");
        ran(&mut c, 1_000, 4 * MS, true);
        ran(&mut c, 3_000, 4 * MS, true);
        assert_eq!(c.next().budget, 256 * MS, "the same winner again: twice as long");
        // A loser that takes long costs a longer stretch.
        ran(&mut c, 1_000, 40 * MS, true);
        ran(&mut c, 3_000, 4 * MS, true);
        assert_eq!(c.next().budget, 40 * 32 * MS);
    }

    #[test]
    fn a_stretch_cut_short_by_the_end_of_a_call_goes_on_in_the_next() {
        let mut c = Chooser::new(ThreadPolicy::Adaptive, 2);
        // The probe on all threads is cut after 1 ms by the end of `run_until`...
        let p = ran(&mut c, 100, MS, false);
        assert!(p.all && p.probe);
        // ... and the next call finishes it rather than starting a new probe.
        let rest = c.next();
        assert!(rest.all && rest.probe && rest.budget == PROBE - MS, "{rest:?}");
        c.record(rest, 10, 300, 3 * MS, true);
        ran(&mut c, 100, 4 * MS, true);
        // 400 events in 4 ms on all threads against 100: all threads win.
        assert_eq!(c.report.probe_rate_parallel, 100_000.0);
        assert!(c.next().all);
        assert_eq!(c.report.events_parallel, 400);
    }

    #[test]
    fn a_probe_of_too_few_windows_is_probed_again() {
        let mut c = Chooser::new(ThreadPolicy::Adaptive, 2);
        // One long window on all threads (a burst of work in the model's first event)...
        let s = c.next();
        c.record(s, 1, 32, 43 * MS, true);
        ran(&mut c, 271_360, 20 * MS, true);
        // ... decides nothing: both are probed again, and the second pair decides.
        let p = ran(&mut c, 600_000, 20 * MS, true);
        assert!(p.all && p.probe, "{p:?}");
        ran(&mut c, 271_360, 20 * MS, true);
        let s = c.next();
        assert!(s.all && !s.probe && s.budget == FIRST_STRETCH.max(20 * MS * LOSER_SHARE), "{s:?}");
        // A model whose every window is long still gets a decision after MAX_REPROBES.
        let mut c = Chooser::new(ThreadPolicy::Adaptive, 2);
        for _ in 0..=MAX_REPROBES {
            for events in [2_000, 1_000] {
                let s = c.next();
                assert!(s.probe);
                c.record(s, 1, events, 20 * MS, true);
            }
        }
        assert!(c.next().all, "decided by the last pair");
    }

    #[test]
    fn all_threads_must_win_by_a_margin() {
        let mut c = Chooser::new(ThreadPolicy::Adaptive, 2);
        ran(&mut c, 1_050, 4 * MS, true);
        ran(&mut c, 1_000, 4 * MS, true);
        assert!(!c.next().all, "5% faster on all threads is not enough");
    }
}
