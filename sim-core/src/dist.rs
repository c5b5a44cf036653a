//! Partitioned runs over processes (MPI ranks): the window protocol of [`crate::window`] with
//! a second transport. Every process builds the same simulation; rank `r` of `R` runs the
//! contiguous block of engines `r * n / R .. (r + 1) * n / R` and leaves the others idle.
//!
//! Each window is one element-wise minimum over all ranks ([`Transport::all_min`]) of what
//! the threaded [`Board`](crate::window) publishes: per engine its next event time (the
//! earliest mail sent to it included), stop request and abort, and which rank sent events
//! to which. Every rank reads the same reduced values and computes the same horizons with the
//! same code ([`Horizons`]). The events a rank's engines sent to another rank's engines go as
//! one byte batch per destination rank ([`Transport::exchange`], encoded by [`crate::wire`]);
//! events between engines of one rank go straight into the destination queue (they lie at
//! or past its horizon, which is why it is safe). A run over ranks therefore processes the
//! same events in the same order at every component as the sequential run (crate docs,
//! ordering rule 4): its statistics are bit-identical.
//!
//! The transport is a trait so that the kernel needs no MPI: the binary implements it over
//! an MPI communicator, and [`local_ranks`] implements it over threads (for tests).

use std::ops::Range;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::engine::{Abort, Engine, SEQ_BITS};
use crate::error::SimError;
use crate::observer::EventKey;
use crate::simulation::{Report, RunOutcome, Simulation};
use crate::stats::StatsSnapshot;
use crate::sync::SyncReport;
use crate::time::SimTime;
use crate::window::Horizons;
use crate::wire::{get_event, get_stats, put_bytes, put_event, put_stats, Reader, Wire};

/// The collective operations a run over ranks needs. Every rank calls the same operations in
/// the same order (they are collective), as an MPI communicator requires.
pub trait Transport {
    /// This process's rank, `0..ranks()`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn ranks(&self) -> usize;
    /// Replaces `values` by their element-wise minimum over all ranks (same length on each).
    fn all_min(&mut self, values: &mut [u64]);
    /// Sends `out[r]` to every rank `r` whose buffer is not empty (never to itself), and
    /// receives one buffer from every rank `r` with `from[r]` set. Returns what arrived,
    /// indexed by source rank (empty where nothing came), and leaves `out` empty.
    fn exchange(&mut self, out: &mut [Vec<u8>], from: &[bool]) -> Vec<Vec<u8>>;
    /// Rank 0 receives every rank's `bytes` (its own included) in rank order; the others `None`.
    fn gather(&mut self, bytes: Vec<u8>) -> Option<Vec<Vec<u8>>>;

    /// One window's communication: [`all_min`](Self::all_min) of `values`, then
    /// [`exchange`](Self::exchange) of `out` with the senders that `from` reads from the
    /// reduced values. A transport may overlap the two (MPI posts its sends before the
    /// all-reduce, so a window costs about one round trip, not two); the result must be the
    /// same as this default's.
    fn all_min_then_exchange(
        &mut self,
        values: &mut [u64],
        out: &mut [Vec<u8>],
        from: &dyn Fn(&[u64]) -> Vec<bool>,
    ) -> Vec<Vec<u8>> {
        self.all_min(values);
        let senders = from(values);
        self.exchange(out, &senders)
    }
}

/// The engines rank `rank` of `ranks` runs, out of `n`: a contiguous block.
pub(crate) fn owned(rank: usize, ranks: usize, n: usize) -> Range<usize> {
    rank * n / ranks..(rank + 1) * n / ranks
}

/// Runs the window protocol over `t` until nothing is left before `end` (ps): this rank's
/// engines only. Returns (windows, events exchanged with other ranks, idle engine windows,
/// time in collective operations).
fn run_windows_ranked<M: Wire>(
    engines: &mut [Engine<M>],
    end: u64,
    horizon: u64,
    t: &mut dyn Transport,
) -> (u64, u64, u64, Duration) {
    let (n, ranks, me) = (engines.len(), t.ranks(), t.rank());
    let mine = owned(me, ranks, n);
    let rank_of: Vec<usize> =
        (0..n).map(|e| (0..ranks).find(|&r| owned(r, ranks, n).contains(&e)).expect("covered")).collect();
    let (stop_at, abort_at, mail_at) = (n, 2 * n, 3 * n);
    let publish = |engines: &[Engine<M>], v: &mut [u64]| {
        for e in mine.clone() {
            let core = &engines[e].core;
            v[e] = v[e].min(core.queue.next_time());
            v[stop_at + e] = core.stop_request;
            v[abort_at + e] = if core.abort.is_some() { 0 } else { u64::MAX };
        }
    };
    let mut wait = Duration::ZERO;
    let mut v = vec![u64::MAX; 3 * n + ranks * ranks];
    publish(engines, &mut v);
    let start = Instant::now();
    t.all_min(&mut v);
    wait += start.elapsed();
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); ranks];
    let (mut windows, mut exchanged, mut idle) = (0u64, 0u64, 0u64);
    loop {
        let view = Horizons::new((0..n).map(|e| (v[e], v[stop_at + e], v[abort_at + e] == 0)), end, horizon);
        if view.finished() {
            return (windows, exchanged, idle, wait);
        }
        let mut next = vec![u64::MAX; v.len()];
        for e in mine.clone() {
            let before = engines[e].core.events;
            engines[e].run(view.limit(e, v[e]));
            idle += u64::from(engines[e].core.events == before);
            for dst in 0..n {
                if dst == e || engines[e].core.outboxes[dst].is_empty() {
                    continue;
                }
                let batch = std::mem::take(&mut engines[e].core.outboxes[dst]);
                if mine.contains(&dst) {
                    batch.into_iter().for_each(|ev| engines[dst].core.queue.push(ev));
                    continue;
                }
                exchanged += batch.len() as u64;
                let buf = &mut out[rank_of[dst]];
                for ev in &batch {
                    match put_event(buf, dst as u32, ev) {
                        Ok(()) => next[dst] = next[dst].min(ev.key.time),
                        Err(err) => {
                            let core = &mut engines[e].core;
                            let rank = (ev.key.origin >> SEQ_BITS) as u32;
                            core.abort.get_or_insert(Abort { key: ev.key, rank, message: err.to_string() });
                        }
                    }
                }
            }
        }
        publish(engines, &mut next);
        for (r, buf) in out.iter().enumerate() {
            if !buf.is_empty() {
                next[mail_at + me * ranks + r] = 0;
            }
        }
        let start = Instant::now();
        let senders =
            |v: &[u64]| -> Vec<bool> { (0..ranks).map(|r| r != me && v[mail_at + r * ranks + me] == 0).collect() };
        let got = t.all_min_then_exchange(&mut next, &mut out, &senders);
        wait += start.elapsed();
        for bytes in got {
            let mut r = Reader::new(&bytes);
            while !r.is_empty() {
                let (dst, ev) = get_event::<M>(&mut r).expect("both ends are the same binary");
                engines[dst as usize].core.queue.push(ev);
            }
        }
        v = next;
        windows += 1;
    }
}

impl<M: Wire> Simulation<M> {
    /// [`run_until`](Self::run_until) as one rank of a run over `t.ranks()` processes, each of
    /// which built the same simulation and calls this with the same `end`. Every rank returns
    /// the same outcome (or the same abort). Afterwards only this rank's engines hold their
    /// state: [`events`](Self::events) counts this rank's, and the results come from
    /// [`finish_ranked`](Self::finish_ranked).
    ///
    /// # Errors
    /// The earliest abort on any rank, as [`run_until`](Self::run_until) returns it; a message
    /// that has no wire encoding but crosses ranks aborts the run.
    pub fn run_until_ranked(&mut self, end: SimTime, t: &mut dyn Transport) -> Result<RunOutcome, SimError> {
        if self.stopped {
            return Ok(RunOutcome::Stopped);
        }
        let (ranks, me) = (t.ranks(), t.rank());
        let start = Instant::now();
        let (windows, exchanged, idle, wait) =
            run_windows_ranked(&mut self.engines, end.0, self.shared.stop_horizon, t);
        let r = &mut self.chooser.report;
        r.ranks = ranks;
        r.windows += windows;
        r.synchronisations += windows;
        r.exchanged += exchanged;
        r.idle_engine_windows += idle;
        r.barrier_wait_s += wait.as_secs_f64();
        r.wall_parallel_s += start.elapsed().as_secs_f64();
        // What `run_until` reads from all engines, reduced over ranks: the latest time
        // reached (as MAX - t, for a minimum), the earliest stop and next event, and which
        // ranks hold an abort.
        let mine = owned(me, ranks, self.engines.len());
        let own = &self.engines[mine];
        let mut f = vec![u64::MAX; 3 + ranks];
        f[0] = u64::MAX - own.iter().map(|e| e.core.now).max().unwrap_or(0);
        f[1] = own.iter().map(|e| e.core.stop_request).min().unwrap_or(u64::MAX);
        f[2] = own.iter().map(|e| e.core.queue.next_time()).min().unwrap_or(u64::MAX);
        let abort = own.iter().filter_map(|e| e.core.abort.as_ref()).min_by_key(|a| a.key).cloned();
        if abort.is_some() {
            f[3 + me] = 0;
        }
        t.all_min(&mut f);
        let (last, stop, next) = (SimTime(u64::MAX - f[0]), f[1], f[2]);
        self.chooser.report.events_parallel = self.events();
        if f[3..].contains(&0) {
            return Err(self.earliest_abort(abort, &f[3..], t));
        }
        if stop != u64::MAX {
            self.stopped = true;
            self.now = last.max(self.now);
            return Ok(RunOutcome::Stopped);
        }
        let idle = next == u64::MAX;
        self.now = if idle || end == SimTime::MAX { last.max(self.now) } else { end };
        Ok(if idle { RunOutcome::Idle } else { RunOutcome::ReachedEnd })
    }

    /// Every rank learns every rank's abort and returns the earliest (by event key).
    fn earliest_abort(&self, mine: Option<Abort>, flags: &[u64], t: &mut dyn Transport) -> SimError {
        let me = t.rank();
        let mut bytes = Vec::new();
        if let Some(a) = &mine {
            for v in [a.key.time, a.key.send_time, a.key.origin, u64::from(a.rank)] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            put_bytes(&mut bytes, a.message.as_bytes());
        }
        let mut out: Vec<Vec<u8>> = (0..t.ranks()).map(|r| if r == me { Vec::new() } else { bytes.clone() }).collect();
        let from: Vec<bool> = flags.iter().enumerate().map(|(r, f)| r != me && *f == 0).collect();
        let got = t.exchange(&mut out, &from);
        let decode = |b: &[u8]| -> Option<Abort> {
            let mut r = Reader::new(b);
            let key = EventKey { time: r.u64().ok()?, send_time: r.u64().ok()?, origin: r.u64().ok()? };
            let rank = u32::try_from(r.u64().ok()?).ok()?;
            let message = String::from_utf8_lossy(r.bytes().ok()?).into_owned();
            Some(Abort { key, rank, message })
        };
        let a = got.iter().filter_map(|b| decode(b)).chain(mine).min_by_key(|a| a.key).expect("some rank aborted");
        SimError::Aborted {
            instance: self.shared.names[a.rank as usize].clone(),
            time: SimTime(a.key.time),
            message: a.message,
        }
    }

    /// [`finish`](Self::finish) as one rank of a run over ranks: each rank finishes its own
    /// engines' components and rank 0 gathers every statistic, in component rank order, into
    /// the report (the same as a sequential run's), with the events, exchanged events and
    /// idle engine windows of all ranks in its [`SyncReport`]. `None` on the other ranks.
    pub fn finish_ranked(mut self, t: &mut dyn Transport) -> Option<Report> {
        let now = self.now;
        let mine = owned(t.rank(), t.ranks(), self.engines.len());
        let parts: Vec<(u32, StatsSnapshot)> =
            self.engines[mine.clone()].iter_mut().flat_map(|e| e.finish(now)).collect();
        // Counts that the report sums over ranks, then the statistics.
        let r = &self.chooser.report;
        let events = self.engines[mine].iter().map(|e| e.core.events).sum::<u64>();
        let mut bytes: Vec<u8> =
            [events, r.exchanged, r.idle_engine_windows].iter().flat_map(|v| v.to_le_bytes()).collect();
        put_stats(&mut bytes, &parts);
        let all = t.gather(bytes)?;
        let (mut sums, mut parts) = ([0u64; 3], Vec::new());
        for b in &all {
            let mut r = Reader::new(b);
            for s in &mut sums {
                *s += r.u64().expect("both ends are the same binary");
            }
            parts.extend(get_stats(&mut r).expect("both ends are the same binary"));
        }
        let [events, exchanged, idle_engine_windows] = sums;
        parts.sort_by_key(|(rank, _)| *rank);
        let mut stats = StatsSnapshot::default();
        for (_, s) in parts {
            stats.extend(s);
        }
        // Events of all ranks, so that the report's events per window are the run's.
        let sync =
            SyncReport { events_parallel: events, exchanged, idle_engine_windows, ..self.chooser.report.clone() };
        Some(Report { stats, events, end: now, sync })
    }
}

/// One rank of [`local_ranks`]: ranks on threads of one process, linked by channels.
#[derive(Debug)]
pub struct LocalTransport {
    rank: usize,
    /// `to[r]`: the channel to rank `r`; `from[r]`: the channel from rank `r`. One channel per
    /// ordered pair keeps each pair's messages in order, which is all a collective needs.
    to: Vec<Sender<Vec<u8>>>,
    from: Vec<Receiver<Vec<u8>>>,
}

/// `n` connected ranks, to be moved onto `n` threads: a [`Transport`] without MPI, so the
/// protocol over ranks is tested by a plain `cargo test`.
pub fn local_ranks(n: usize) -> Vec<LocalTransport> {
    let mut to: Vec<Vec<Sender<Vec<u8>>>> = (0..n).map(|_| Vec::new()).collect();
    let mut from: Vec<Vec<Receiver<Vec<u8>>>> = (0..n).map(|_| Vec::new()).collect();
    // Sources in order, so `from[dst][src]` is the channel from `src`.
    for to in to.iter_mut() {
        for from in from.iter_mut() {
            let (s, r) = channel();
            to.push(s);
            from.push(r);
        }
    }
    to.into_iter().zip(from).enumerate().map(|(rank, (to, from))| LocalTransport { rank, to, from }).collect()
}

impl LocalTransport {
    fn send(&self, dst: usize, bytes: Vec<u8>) {
        self.to[dst].send(bytes).expect("the other rank is alive");
    }
    fn recv(&self, src: usize) -> Vec<u8> {
        self.from[src].recv().expect("the other rank is alive")
    }
}

impl Transport for LocalTransport {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.to.len()
    }
    fn all_min(&mut self, values: &mut [u64]) {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        (0..self.ranks()).filter(|&r| r != self.rank).for_each(|r| self.send(r, bytes.clone()));
        for r in (0..self.ranks()).filter(|&r| r != self.rank) {
            for (v, b) in values.iter_mut().zip(self.recv(r).chunks_exact(8)) {
                *v = (*v).min(u64::from_le_bytes(b.try_into().expect("8 bytes")));
            }
        }
    }
    fn exchange(&mut self, out: &mut [Vec<u8>], from: &[bool]) -> Vec<Vec<u8>> {
        for (r, buf) in out.iter_mut().enumerate() {
            if !buf.is_empty() && r != self.rank {
                self.send(r, std::mem::take(buf));
            }
        }
        (0..self.ranks()).map(|r| if from[r] { self.recv(r) } else { Vec::new() }).collect()
    }
    fn gather(&mut self, bytes: Vec<u8>) -> Option<Vec<Vec<u8>>> {
        if self.rank != 0 {
            self.send(0, bytes);
            return None;
        }
        let mut all = vec![bytes];
        all.extend((1..self.ranks()).map(|r| self.recv(r)));
        Some(all)
    }
}
