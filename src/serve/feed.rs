//! What the page is fed: the run's progress and its series, sampled between slices of the
//! run; and the control (pause, stop) the sim thread obeys there.
//!
//! Costs: the observer adds a table look-up per send and stores to its own atomics (no lock,
//! no allocation per event); a sample is taken at most every `sample_ms` of wall time; the
//! series keep at most [`MAX_POINTS`] points (past that neighbours merge, so memory does not
//! grow with simulated time); the page is told through a `watch` channel (one value, never a
//! queue that could grow).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Result;
use components::energy::{ENERGY_MARK, ENERGY_OFFCHIP_MARK};
use components::Msg;
use serde_json::{json, Value};
use sim_core::{MarkRecord, Observer, RunOutcome, SendRecord, SimTime, Simulation};

use crate::elaborate::ObserverFactory;
use crate::topology::Topology;

/// The most chart points kept (and sent to a page that connects late).
pub const MAX_POINTS: usize = 1024;

/// Counts of one observer thread, read by the sampler between slices (the slice's end joins
/// the threads, so relaxed loads see every store).
#[derive(Default)]
struct Slot {
    buffer_bytes: AtomicU64,
    dram_bytes: AtomicU64,
    chip_fj: AtomicU64,
    offchip_fj: AtomicU64,
}

/// Which memory a component is, for bandwidth (indexed by component rank = instance order).
#[derive(Clone, Copy, PartialEq)]
enum Memory {
    None,
    Buffer,
    Dram,
}

/// Sees the bytes of every message to or from a global buffer or DRAM controller, and the
/// energy marks of the meters ([`components::energy::ENERGY_MARK`]).
pub struct LiveObserver {
    memory: Arc<[Memory]>,
    slot: Arc<Slot>,
    totals: [u64; 4],
}

impl LiveObserver {
    fn add(&mut self, i: usize, v: u64) {
        self.totals[i] = self.totals[i].saturating_add(v);
        let s = &self.slot;
        let field = [&s.buffer_bytes, &s.dram_bytes, &s.chip_fj, &s.offchip_fj][i];
        field.store(self.totals[i], Ordering::Relaxed);
    }
}

impl Observer<Msg> for LiveObserver {
    fn on_send(&mut self, rec: &SendRecord, _msg: &Msg) {
        let kind = |c: sim_core::CompId| self.memory.get(c.0 as usize).copied().unwrap_or(Memory::None);
        match (kind(rec.from), kind(rec.to)) {
            (Memory::Dram, _) | (_, Memory::Dram) => self.add(1, rec.bytes),
            (Memory::Buffer, _) | (_, Memory::Buffer) => self.add(0, rec.bytes),
            _ => {}
        }
    }

    fn on_mark(&mut self, rec: &MarkRecord<'_>) {
        let v = rec.value.max(0) as u64;
        if rec.label == ENERGY_MARK {
            self.add(2, v);
        } else if rec.label == ENERGY_OFFCHIP_MARK {
            self.add(3, v);
        }
    }
}

/// Both observers of `a` and `b` (a recorded trace and the live view), in that order.
pub fn tee(mut a: ObserverFactory, mut b: ObserverFactory) -> ObserverFactory {
    Box::new(move |thread| Box::new(Tee(a(thread), b(thread))))
}

struct Tee(Box<dyn Observer<Msg>>, Box<dyn Observer<Msg>>);

impl Observer<Msg> for Tee {
    fn on_send(&mut self, rec: &SendRecord, msg: &Msg) {
        self.0.on_send(rec, msg);
        self.1.on_send(rec, msg);
    }
    fn on_deliver(&mut self, rec: &sim_core::DeliverRecord, msg: &Msg) {
        self.0.on_deliver(rec, msg);
        self.1.on_deliver(rec, msg);
    }
    fn on_timer(&mut self, rec: &sim_core::TimerRecord) {
        self.0.on_timer(rec);
        self.1.on_timer(rec);
    }
    fn on_mark(&mut self, rec: &MarkRecord<'_>) {
        self.0.on_mark(rec);
        self.1.on_mark(rec);
    }
    fn on_finish(&mut self, end: SimTime) {
        self.0.on_finish(end);
        self.1.on_finish(end);
    }
}

/// One chart point: the span of simulated time it covers and what happened in it.
#[derive(Clone, Copy, Debug, Default)]
struct Point {
    from_ps: u64,
    to_ps: u64,
    /// [buffer bytes, DRAM bytes, chip fJ, off-chip fJ] in the span.
    d: [u64; 4],
}

impl Point {
    /// As the page draws it: time in ms; power in mW (1 fJ/ps = 1 mW); bandwidth in GB/s
    /// (1 B/ps = 1000 GB/s).
    fn json(&self) -> Value {
        let ps = (self.to_ps - self.from_ps).max(1) as f64;
        json!([
            self.to_ps as f64 * 1e-9,
            self.d[2] as f64 / ps,
            self.d[3] as f64 / ps,
            self.d[0] as f64 / ps * 1e3,
            self.d[1] as f64 / ps * 1e3
        ])
    }
}

#[derive(Default)]
struct Feed {
    state: &'static str,
    topology: String,
    epochs_planned: Option<usize>,
    end_ps: Option<u64>,
    now_ps: u64,
    events: u64,
    events_per_s: f64,
    /// Wall time spent running (pauses excluded), s.
    running_s: f64,
    eta_s: Option<f64>,
    /// (epoch, simulated time it was seen at, held-out accuracy).
    epochs: Vec<(usize, u64, Option<f64>)>,
    points: Vec<Point>,
    /// Bumped when points merge: a page then takes the whole series again.
    generation: u64,
    /// Points pushed since the start (the page's cursor).
    pushed: u64,
    outcome: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct Control {
    paused: bool,
    stop: bool,
}

/// The link between the sim thread and the server: the feed, the control, and the observers'
/// counts. Made by [`super::serve`]; the run calls [`Live::observer`], [`Live::start`],
/// [`Live::drive`] and [`Live::epochs`].
pub struct Live {
    sample: Duration,
    feed: Mutex<Feed>,
    control: Mutex<Control>,
    wake: Condvar,
    slots: Arc<Mutex<Vec<Arc<Slot>>>>,
    notify: tokio::sync::watch::Sender<u64>,
    /// Printed on standard error when the run starts (the URL): not before, so that a
    /// topology that fails to load or elaborate prints its error alone.
    announce: Mutex<Option<String>>,
}

impl Live {
    pub fn new(sample: Duration) -> Self {
        let feed = Feed { state: "starting", ..Feed::default() };
        Live {
            sample,
            feed: Mutex::new(feed),
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            slots: Arc::default(),
            notify: tokio::sync::watch::channel(0).0,
            announce: Mutex::new(None),
        }
    }

    /// Sets the line [`Live::start`] prints.
    pub fn announce(&self, line: String) {
        *self.announce.lock().unwrap_or_else(|p| p.into_inner()) = Some(line);
    }

    fn feed(&self) -> MutexGuard<'_, Feed> {
        self.feed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.notify.send_modify(|v| *v += 1);
    }

    /// A receiver that changes whenever the feed does.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.notify.subscribe()
    }

    /// The observers' factory for the run of `topo` (one observer per thread).
    pub fn observer(&self, topo: &Topology) -> ObserverFactory {
        let memory: Arc<[Memory]> = topo
            .instances
            .iter()
            .map(|i| match i.kind.as_str() {
                "global_buffer" => Memory::Buffer,
                "dram_controller" => Memory::Dram,
                _ => Memory::None,
            })
            .collect();
        let slots = self.slots.clone();
        Box::new(move |_thread| {
            let slot = Arc::new(Slot::default());
            slots.lock().unwrap_or_else(|p| p.into_inner()).push(slot.clone());
            Box::new(LiveObserver { memory: memory.clone(), slot, totals: [0; 4] })
        })
    }

    /// The run of `topo` begins; it ends at `end_ps` if given.
    pub fn start(&self, topo: &Topology, end_ps: Option<u64>) {
        let planned: Vec<usize> = topo
            .instances
            .iter()
            .filter(|i| i.kind == "controller")
            .filter_map(crate::chip_types::planned_epochs)
            .collect();
        let mut f = self.feed();
        f.state = "running";
        f.topology = topo.name.clone();
        f.end_ps = end_ps;
        // Chips of a data-parallel system train the same epochs together.
        f.epochs_planned = planned.iter().copied().max();
        drop(f);
        self.changed();
        if let Some(line) = self.announce.lock().unwrap_or_else(|p| p.into_inner()).take() {
            eprintln!("{line}");
        }
    }

    /// The held-out results per epoch so far, `(epoch, Some((loss, accuracy)))`; the new ones
    /// are added to the feed at the current simulated time.
    pub fn epochs(&self, held: &[(usize, Option<(f64, f64)>)]) {
        let mut f = self.feed();
        let (seen, now) = (f.epochs.len(), f.now_ps);
        if held.len() > seen {
            f.epochs.extend(held[seen..].iter().map(|&(e, h)| (e, now, h.map(|h| h.1))));
        }
    }

    /// Pause (the sim thread blocks between slices; the page shows `paused` once it has),
    /// or resume.
    pub fn pause(&self, paused: bool) {
        let mut c = self.control();
        if !c.stop {
            c.paused = paused;
        }
        drop(c);
        self.wake.notify_all();
    }

    /// Stop: the run ends at the end of the current slice (a paused run at once).
    pub fn stop(&self) {
        self.control().stop = true;
        self.wake.notify_all();
        self.set_state("stopping");
    }

    /// Sets the state shown, unless the run has ended.
    fn set_state(&self, state: &'static str) {
        let mut f = self.feed();
        if f.state != "ended" && (f.state != "stopping" || state == "ended") {
            f.state = state;
        }
        drop(f);
        self.changed();
    }

    fn pause_asked(&self) -> bool {
        let c = self.control();
        c.paused && !c.stop
    }

    /// Waits while paused (showing `paused` meanwhile); true if the run is to stop.
    fn checkpoint(&self) -> bool {
        let mut c = self.control();
        if c.paused && !c.stop {
            self.set_state("paused");
            while c.paused && !c.stop {
                c = self.wake.wait(c).unwrap_or_else(|p| p.into_inner());
            }
            self.set_state("running");
        }
        c.stop
    }

    /// The run ended with `result` (its JSON document carries the outcome in words).
    pub fn end(&self, result: &Result<Value>) {
        let mut f = self.feed();
        f.state = "ended";
        f.eta_s = None;
        match result {
            Ok(doc) => f.outcome = doc["outcome"].as_str().map(str::to_string),
            Err(e) => f.error = Some(format!("{e:#}")),
        }
        drop(f);
        self.changed();
    }

    fn totals(&self) -> [u64; 4] {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut t = [0u64; 4];
        for s in slots.iter() {
            for (i, a) in [&s.buffer_bytes, &s.dram_bytes, &s.chip_fj, &s.offchip_fj].into_iter().enumerate() {
                t[i] = t[i].saturating_add(a.load(Ordering::Relaxed));
            }
        }
        t
    }
}

/// Runs `sim` to `end` (or to its end) in slices of about the sampling period of wall time,
/// publishing a sample between slices and obeying pause and stop there. `step` runs one
/// slice (`run_until`, with the run's error mapping); `after_slice` runs after each.
///
/// A stop returns [`RunOutcome::ReachedEnd`] at the last slice's end: the run then ends as
/// one given that `--until-ns` would.
pub fn drive(
    live: &Live,
    sim: &mut Simulation<Msg>,
    end: Option<u64>,
    step: &mut dyn FnMut(&mut Simulation<Msg>, SimTime) -> Result<RunOutcome>,
    after_slice: &mut dyn FnMut() -> Result<()>,
) -> Result<RunOutcome> {
    let target = live.sample;
    // Simulated time per slice, adapted so that a slice takes about `target` of wall time.
    let mut width_ps: u64 = 1_000_000;
    let mut last = Sampler { at: Instant::now(), events: 0, totals: [0; 4], now_ps: 0 };
    let mut running = Duration::ZERO;
    loop {
        let from = sim.next_event_time().unwrap_or(sim.now()).as_ps();
        let to = from.saturating_add(width_ps).min(end.unwrap_or(u64::MAX));
        let t0 = Instant::now();
        let outcome = step(sim, SimTime(to))?;
        // Epochs found by `after_slice` are placed at this slice's end.
        live.feed().now_ps = sim.now().as_ps();
        after_slice()?;
        let took = t0.elapsed();
        running += took;
        if took < target / 4 {
            width_ps = width_ps.saturating_mul(2);
        } else if took > target && width_ps > 1_000 {
            width_ps /= 2;
        }
        let finished = outcome != RunOutcome::ReachedEnd || Some(to) == end;
        // Before a pause too, so that the page shows where the run stands still.
        if finished || last.at.elapsed() >= target || live.pause_asked() {
            last.publish(live, sim, running);
        }
        if finished {
            return Ok(outcome);
        }
        if live.checkpoint() {
            last.publish(live, sim, running);
            return Ok(RunOutcome::ReachedEnd);
        }
    }
}

/// The previous sample, for rates.
struct Sampler {
    at: Instant,
    events: u64,
    totals: [u64; 4],
    now_ps: u64,
}

impl Sampler {
    fn publish(&mut self, live: &Live, sim: &Simulation<Msg>, running: Duration) {
        let (now_ps, events, totals) = (sim.now().as_ps(), sim.events(), live.totals());
        let wall = self.at.elapsed().as_secs_f64().max(1e-9);
        let mut f = live.feed();
        f.now_ps = now_ps;
        f.events = events;
        f.events_per_s = (events - self.events.min(events)) as f64 / wall;
        f.running_s = running.as_secs_f64();
        f.eta_s = eta(&f);
        if now_ps > self.now_ps {
            let d = std::array::from_fn(|i| totals[i].saturating_sub(self.totals[i]));
            push_point(&mut f, Point { from_ps: self.now_ps, to_ps: now_ps, d });
        }
        drop(f);
        live.changed();
        *self = Sampler { at: Instant::now(), events, totals, now_ps };
    }
}

/// Keeps at most [`MAX_POINTS`]: when full, neighbours merge (their sums add, so the rates
/// stay exact over the wider spans).
fn push_point(f: &mut Feed, p: Point) {
    if f.points.len() >= MAX_POINTS {
        f.points = f
            .points
            .chunks(2)
            .map(|c| {
                let last = c[c.len() - 1];
                Point {
                    from_ps: c[0].from_ps,
                    to_ps: last.to_ps,
                    d: std::array::from_fn(|i| c.iter().map(|p| p.d[i]).sum()),
                }
            })
            .collect();
        f.generation += 1;
    }
    f.points.push(p);
    f.pushed += 1;
}

/// Wall seconds left at the rate of simulated time per running second so far, to the end
/// time or to the planned epochs (their simulated length estimated from those done).
fn eta(f: &Feed) -> Option<f64> {
    let rate = f.now_ps as f64 / f.running_s.max(1e-9);
    let by_epochs = match (f.epochs_planned, f.epochs.last()) {
        (Some(n), Some(&(done, at, _))) if done > 0 && at > 0 => {
            let total = at as f64 / done as f64 * n as f64;
            Some((total - f.now_ps as f64).max(0.0))
        }
        _ => None,
    };
    let by_end = f.end_ps.map(|e| e.saturating_sub(f.now_ps) as f64);
    let left = match (by_epochs, by_end) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    (rate > 0.0).then(|| left / rate)
}

/// What a page is sent: the progress, and the points and epochs after its cursor
/// `(generation, points seen, epochs seen)` (all of them after a merge); the new cursor.
pub fn message(live: &Live, cursor: (u64, u64, usize)) -> (Value, (u64, u64, usize)) {
    let f = live.feed();
    let (gen, seen, epochs_seen) = cursor;
    let reset = gen != f.generation;
    let new_points = if reset { f.points.len() } else { (f.pushed - seen.min(f.pushed)) as usize };
    let points: Vec<Value> =
        f.points[f.points.len() - new_points.min(f.points.len())..].iter().map(Point::json).collect();
    let epochs_from = if reset { 0 } else { epochs_seen.min(f.epochs.len()) };
    let epochs: Vec<Value> = f.epochs[epochs_from..]
        .iter()
        .map(|&(e, at, acc)| json!({"epoch": e, "ms": at as f64 * 1e-9, "held_out_accuracy": acc}))
        .collect();
    let doc = json!({
        "state": f.state, "topology": f.topology,
        "epochs_done": f.epochs.len(), "epochs_planned": f.epochs_planned,
        "simulated_ms": f.now_ps as f64 * 1e-9, "end_ms": f.end_ps.map(|e| e as f64 * 1e-9),
        "events": f.events, "events_per_s": f.events_per_s, "running_s": f.running_s, "eta_s": f.eta_s,
        "reset": reset, "points": points, "epochs": epochs,
        "outcome": f.outcome, "error": f.error,
    });
    (doc, (f.generation, f.pushed, f.epochs.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_points_keeps_sums_and_bounds_memory() {
        let mut f = Feed::default();
        for k in 0..(3 * MAX_POINTS as u64) {
            push_point(&mut f, Point { from_ps: k * 10, to_ps: (k + 1) * 10, d: [1, 2, 3, 4] });
        }
        assert!(f.points.len() <= MAX_POINTS);
        assert!(f.generation >= 2);
        let sum: u64 = f.points.iter().map(|p| p.d[2]).sum();
        assert_eq!(sum, 3 * 3 * MAX_POINTS as u64);
        assert_eq!(f.points[0].from_ps, 0);
        assert_eq!(f.points.last().unwrap().to_ps, 3 * MAX_POINTS as u64 * 10);
        // Spans stay contiguous.
        assert!(f.points.windows(2).all(|w| w[0].to_ps == w[1].from_ps));
    }

    #[test]
    fn a_cursor_gets_only_what_is_new_and_everything_after_a_merge() {
        let live = Live::new(Duration::from_millis(10));
        for k in 0..3 {
            push_point(&mut live.feed(), Point { from_ps: k, to_ps: k + 1, d: [0; 4] });
        }
        let (doc, cursor) = message(&live, (0, 0, 0));
        assert_eq!(doc["points"].as_array().unwrap().len(), 3);
        push_point(&mut live.feed(), Point { from_ps: 3, to_ps: 4, d: [0; 4] });
        let (doc, cursor) = message(&live, cursor);
        assert_eq!(doc["points"].as_array().unwrap().len(), 1);
        assert_eq!(doc["reset"], false);
        live.feed().generation += 1;
        let (doc, _) = message(&live, cursor);
        assert_eq!(doc["reset"], true);
        assert_eq!(doc["points"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn power_and_bandwidth_units() {
        // 1e6 fJ over 1e6 ps = 1 mW; 1e3 bytes over 1e6 ps = 1 GB/s.
        let p = Point { from_ps: 0, to_ps: 1_000_000, d: [1_000, 2_000, 1_000_000, 0] };
        let v = p.json();
        assert_eq!(v[1].as_f64(), Some(1.0));
        assert_eq!(v[3].as_f64(), Some(1.0));
        assert_eq!(v[4].as_f64(), Some(2.0));
    }

    #[test]
    fn eta_follows_the_epochs_done() {
        let mut f = Feed { epochs_planned: Some(4), now_ps: 2_000, running_s: 2.0, ..Feed::default() };
        assert_eq!(eta(&f), None);
        f.epochs.push((1, 1_000, None));
        // 4 epochs of 1000 ps at 1000 ps/s: 2000 ps left, 2 s.
        assert_eq!(eta(&f), Some(2.0));
        f.end_ps = Some(3_000);
        assert_eq!(eta(&f), Some(1.0));
    }

    #[test]
    fn stop_releases_a_paused_run() {
        let live = Arc::new(Live::new(Duration::from_millis(10)));
        live.pause(true);
        let l = live.clone();
        let t = std::thread::spawn(move || l.checkpoint());
        std::thread::sleep(Duration::from_millis(20));
        live.stop();
        assert!(t.join().unwrap());
    }
}
