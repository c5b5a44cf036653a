//! The window protocol of partitioned runs: a blocking barrier, the board on which engines
//! publish their next event times and exchange events, and the loop one thread runs over
//! the engines it holds.
//!
//! One barrier per window. In window `w` every engine reads what all engines published in
//! window `w - 1` (slot `w % 3`): their next event times, the earliest event each has in the
//! mail, stop requests and aborts. From that it computes its horizon
//! `H_e = min(min over e' != e of next(e') + h, next(e) + 2h)`, processes its events before
//! `H_e`, posts the
//! events it sent to other engines (one batch per destination), publishes its own next time
//! in slot `(w + 1) % 3`, and waits at the barrier.
//!
//! Why `H_e` is safe: another engine `e'` processes only events at or after `next(e')` in
//! this window, and whatever it sends arrives at least one cross-partition latency later,
//! which is at least `h`; what `e` sends out itself comes back over at least two links. Why `h` (the smallest latency between partitions) and not the
//! latency of the links between `e'` and `e`: a stop at time `t` ends the run after every
//! event before `t + h` (crate docs, ordering rule 6), and a stop can come from any engine at
//! any event, so no engine may pass `next(e') + h` for any other `e'`. An engine waits for
//! itself only over a round trip, which is what widens windows over a global
//! `min(next) + h`: the engine that holds the earliest event runs up to the second-earliest
//! engine's next event plus `h`, or its own plus `2h`.
//!
//! Three slots, not two: the earliest-mail minimum of slot `(w + 1) % 3` is written by many
//! senders during window `w` with `fetch_min`; each engine resets its own entry of slot
//! `(w + 2) % 3` during window `w`, after everyone read it (window `w - 1`) and before anyone
//! writes it again (window `w + 1`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crossbeam::utils::CachePadded;

use crate::component::Message;
use crate::engine::Engine;
use crate::queue::Event;

/// A barrier that spins for a short budget, then blocks (a futex through `Condvar`), so a
/// thread whose partner lost its core does not burn the core that partner needs. A
/// panicking thread poisons it so the others return instead of waiting forever.
pub(crate) struct Barrier {
    n: usize,
    spin: Duration,
    count: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Barrier {
    /// A barrier for `n` threads. Spinning is worth it only when every thread has a core.
    pub fn new(n: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        Barrier {
            n,
            spin: if n <= cores { Duration::from_micros(20) } else { Duration::ZERO },
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Waits for all `n` threads. False when another thread panicked.
    pub fn wait(&self) -> bool {
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            // Under the lock, so a thread about to sleep either sees the new generation or
            // is already counted among the sleepers.
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.generation.store(gen.wrapping_add(1), Ordering::Release);
            if self.sleepers.load(Ordering::Relaxed) > 0 {
                self.wake.notify_all();
            }
        } else {
            let start = Instant::now();
            let mut spins = 0u32;
            while self.generation.load(Ordering::Acquire) == gen && !self.poisoned.load(Ordering::Acquire) {
                spins += 1;
                if spins % 64 == 0 && start.elapsed() >= self.spin {
                    let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                    self.sleepers.fetch_add(1, Ordering::Relaxed);
                    while self.generation.load(Ordering::Acquire) == gen && !self.poisoned.load(Ordering::Acquire) {
                        g = self.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                    }
                    self.sleepers.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
                std::hint::spin_loop();
            }
        }
        !self.poisoned.load(Ordering::Acquire)
    }

    /// Wakes every waiting thread and makes every later `wait` return false.
    pub fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.wake.notify_all();
    }
}

/// What an engine publishes at the end of a window: written by its own thread only.
struct Published {
    /// Its next event time.
    next: AtomicU64,
    stop: AtomicU64,
    aborted: AtomicBool,
}

/// A batch from one engine to another. Senders and the receiver touch a box in different
/// phases of a window, so its lock is never contended; `has_mail` lets a receiver skip an
/// empty box without taking it.
struct MailBox<M> {
    has_mail: AtomicBool,
    batch: Mutex<Vec<Event<M>>>,
}

/// What engines publish for each other, in three slots (see the module docs). Everything one
/// thread writes while others write too sits on a cache line of its own ([`CachePadded`]):
/// with the engines' entries side by side, every window of a 16-chip ring on two threads
/// paid several cache-line transfers for writes that never conflict (false sharing).
pub(crate) struct Board<M> {
    n: usize,
    public: [Vec<CachePadded<Published>>; 3],
    /// Earliest time among the events posted to each engine in the window before.
    mail_min: [Vec<CachePadded<AtomicU64>>; 3],
    /// Set by the thread that holds engine 0: the stretch of windows ends here.
    leave: [CachePadded<AtomicBool>; 3],
    /// `mail[src * n + dst]`: the batch from `src` for `dst`.
    mail: Vec<CachePadded<MailBox<M>>>,
}

impl<M: Message> Board<M> {
    /// A board whose slot 0 holds the engines' current state (window 0 reads it).
    pub fn new(engines: &[Engine<M>]) -> Self {
        let n = engines.len();
        let board = Board {
            n,
            public: std::array::from_fn(|_| {
                (0..n)
                    .map(|_| {
                        CachePadded::new(Published {
                            next: AtomicU64::new(u64::MAX),
                            stop: AtomicU64::new(u64::MAX),
                            aborted: AtomicBool::new(false),
                        })
                    })
                    .collect()
            }),
            mail_min: std::array::from_fn(|_| (0..n).map(|_| CachePadded::new(AtomicU64::new(u64::MAX))).collect()),
            leave: std::array::from_fn(|_| CachePadded::new(AtomicBool::new(false))),
            mail: (0..n * n)
                .map(|_| CachePadded::new(MailBox { has_mail: AtomicBool::new(false), batch: Mutex::new(Vec::new()) }))
                .collect(),
        };
        for (e, eng) in engines.iter().enumerate() {
            board.publish(0, e, eng, Ordering::Relaxed);
        }
        board
    }

    /// Publishes engine `e`'s next time, stop request and abort in `slot`.
    fn publish(&self, slot: usize, e: usize, eng: &Engine<M>, order: Ordering) {
        let p = &self.public[slot][e];
        p.next.store(eng.core.queue.next_time(), order);
        p.stop.store(eng.core.stop_request, order);
        p.aborted.store(eng.core.abort.is_some(), order);
    }

    /// Prepares a new stretch of windows from window `w` (the last one may have left there).
    pub fn resume(&self, w: u64) {
        self.leave[(w % 3) as usize].store(false, Ordering::Release);
    }

    /// Moves every posted batch into its engine's queue (after the last window of a run).
    pub fn deliver_all(&self, engines: &mut [Engine<M>]) {
        for (dst, eng) in engines.iter_mut().enumerate() {
            self.drain(dst, eng);
        }
    }

    fn drain(&self, dst: usize, eng: &mut Engine<M>) -> u64 {
        let mut moved = 0;
        for src in 0..self.n {
            let b = &self.mail[src * self.n + dst];
            if b.has_mail.swap(false, Ordering::Acquire) {
                // Drained in place, so the box keeps its allocation: the sender swaps its
                // outbox with it next time and gets that capacity back (no allocation per
                // window, and none freed on another thread than the one that made it).
                let mut batch = b.batch.lock().expect("mailbox lock");
                moved += batch.len() as u64;
                for ev in batch.drain(..) {
                    eng.core.queue.push(ev);
                }
            }
        }
        moved
    }
}

/// What every engine published for a window, reduced to what each engine needs for its
/// horizon (module docs): the two earliest next times (mail included) and which engine holds
/// the earliest, the earliest stop and whether any engine aborted. Shared by every transport
/// of the window protocol (the [`Board`] of threads, [`crate::dist`] over ranks), so that they
/// compute the same horizons. Times in picoseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Horizons {
    min1: u64,
    min1_at: usize,
    min2: u64,
    /// The run's end, pulled in to the earliest stop plus the stop horizon.
    end_now: u64,
    aborted: bool,
    horizon: u64,
    /// Engines that published: with one, nothing can come back to it.
    engines: usize,
}

impl Horizons {
    /// From `(next event time or earliest mail, stop request, aborted)` of every engine in
    /// engine order, the run's `end` and the lookahead `horizon` (ps).
    pub fn new(published: impl Iterator<Item = (u64, u64, bool)>, end: u64, horizon: u64) -> Self {
        let (mut min1, mut min1_at, mut min2) = (u64::MAX, usize::MAX, u64::MAX);
        let (mut gstop, mut aborted, mut engines) = (u64::MAX, false, 0);
        for (e, (t, stop, abort)) in published.enumerate() {
            engines += 1;
            if t < min1 {
                (min2, min1, min1_at) = (min1, t, e);
            } else if t < min2 {
                min2 = t;
            }
            gstop = gstop.min(stop);
            aborted |= abort;
        }
        let end_now = end.min(gstop.saturating_add(horizon));
        Horizons { min1, min1_at, min2, end_now, aborted, horizon, engines }
    }

    /// Nothing is left before the end (or a stop's horizon), or an engine aborted.
    pub fn finished(&self) -> bool {
        self.aborted || self.min1 >= self.end_now
    }

    /// The time before which engine `e`, whose own next time (mail included) is `own`, may
    /// process events in this window.
    pub fn limit(&self, e: usize, own: u64) -> u64 {
        if self.engines == 1 {
            // No other engine to wait for, and no link out and back: run to the end (a
            // stop still ends the run at its horizon, inside `Engine::run`).
            return self.end_now;
        }
        let others = if self.min1_at == e { self.min2 } else { self.min1 };
        // A chain from this engine's own next event can come back to it over two links.
        let limit = others.saturating_add(self.horizon).min(own.saturating_add(self.horizon.saturating_mul(2)));
        limit.min(self.end_now)
    }
}

/// What one thread did in a stretch of windows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ThreadTally {
    pub windows: u64,
    /// (engine, window) pairs in which the engine had no event before its horizon.
    pub idle_engine_windows: u64,
    /// Events moved between engines.
    pub exchanged: u64,
    pub barrier_wait: Duration,
}

/// How a stretch of windows ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StretchEnd {
    /// Nothing left before the end (or a stop's horizon, or an abort).
    Finished,
    /// The stretch's wall-clock budget ran out; the run goes on.
    Leave,
}

/// Events this thread's engines processed since the count `checked`.
fn events_since<M: Message>(mine: &[Engine<M>], checked: u64) -> u64 {
    mine.iter().map(|e| e.core.events).sum::<u64>() - checked
}

/// The window loop of one thread holding engines `first..first + mine.len()`, starting at
/// window `w`. The thread that holds engine 0 decides when the stretch ends: at `deadline`,
/// or after `max_windows`. Returns the window reached and how the stretch ended.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_windows<M: Message>(
    board: &Board<M>,
    barrier: Option<&Barrier>,
    mine: &mut [Engine<M>],
    first: usize,
    mut w: u64,
    end: u64,
    horizon: u64,
    deadline: Instant,
    max_windows: u64,
    tally: &mut ThreadTally,
) -> (u64, StretchEnd) {
    let n = board.n;
    let leader = first == 0;
    let mut ran = 0u64;
    let mut checked: u64 = mine.iter().map(|e| e.core.events).sum();
    loop {
        let (now, later, reset) = ((w % 3) as usize, ((w + 1) % 3) as usize, ((w + 2) % 3) as usize);
        let view = Horizons::new(
            (0..n).map(|e| {
                let p = &board.public[now][e];
                let next = p.next.load(Ordering::Acquire).min(board.mail_min[now][e].load(Ordering::Acquire));
                (next, p.stop.load(Ordering::Acquire), p.aborted.load(Ordering::Acquire))
            }),
            end,
            horizon,
        );
        if view.finished() {
            return (w, StretchEnd::Finished);
        }
        if board.leave[now].load(Ordering::Acquire) {
            return (w, StretchEnd::Leave);
        }
        for (i, eng) in mine.iter_mut().enumerate() {
            let e = first + i;
            tally.exchanged += board.drain(e, eng);
            board.mail_min[reset][e].store(u64::MAX, Ordering::Relaxed);
            let own =
                board.public[now][e].next.load(Ordering::Acquire).min(board.mail_min[now][e].load(Ordering::Acquire));
            let before = eng.core.events;
            eng.run(view.limit(e, own));
            tally.idle_engine_windows += u64::from(eng.core.events == before);
            for dst in 0..n {
                let out = &mut eng.core.outboxes[dst];
                if dst == e || out.is_empty() {
                    continue;
                }
                let earliest = out.iter().map(|ev| ev.key.time).min().expect("not empty");
                board.mail_min[later][dst].fetch_min(earliest, Ordering::AcqRel);
                let b = &board.mail[e * n + dst];
                let mut slot = b.batch.lock().expect("mailbox lock");
                if slot.is_empty() {
                    std::mem::swap(&mut *slot, out);
                } else {
                    slot.append(out);
                }
                drop(slot);
                b.has_mail.store(true, Ordering::Release);
            }
            board.publish(later, e, eng, Ordering::Release);
        }
        ran += 1;
        tally.windows += 1;
        if leader {
            // On one thread, reading the clock costs about as much as a short window: look at
            // it every 64 windows, or sooner once they have held a few thousand events. On
            // several, a barrier crossing costs far more (and may take milliseconds on busy
            // cores), so look every window.
            let busy = events_since(mine, checked) >= 4_096;
            let look = barrier.is_some() || busy || ran % 64 == 0;
            let leave = ran >= max_windows || (look && Instant::now() >= deadline);
            if look {
                checked = mine.iter().map(|e| e.core.events).sum();
            }
            board.leave[later].store(leave, Ordering::Release);
        }
        w += 1;
        if let Some(b) = barrier {
            let t = Instant::now();
            let ok = b.wait();
            tally.barrier_wait += t.elapsed();
            if !ok {
                return (w, StretchEnd::Finished);
            }
        }
    }
}
