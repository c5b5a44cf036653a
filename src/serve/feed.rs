//! What the page is fed: the run's progress and its series, sampled between slices of the
//! run ([`super::drive`]); and the control (pause, stop) the sim thread obeys there.
//!
//! Costs: a sample is taken at most every `sample_ms` of wall time; the series keep at most
//! [`MAX_POINTS`] points (past that neighbours merge, so memory does not
//! grow with simulated time); the page is told through a `watch` channel (one value, never a
//! queue that could grow).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};

use super::observe::{LiveObserver, Memory, Slot};
use crate::elaborate::ObserverFactory;
use crate::topology::Topology;

/// The most chart points kept (and sent to a page that connects late).
pub const MAX_POINTS: usize = 1024;

/// One chart point: the span of simulated time it covers and what happened in it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Point {
    pub(super) from_ps: u64,
    pub(super) to_ps: u64,
    /// [buffer bytes, DRAM bytes, chip fJ, off-chip fJ] in the span.
    pub(super) d: [u64; 4],
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
pub(super) struct Feed {
    state: &'static str,
    topology: String,
    epochs_planned: Option<usize>,
    end_ps: Option<u64>,
    pub(super) now_ps: u64,
    pub(super) events: u64,
    pub(super) events_per_s: f64,
    /// Wall time spent running (pauses excluded), s.
    pub(super) running_s: f64,
    pub(super) eta_s: Option<f64>,
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
/// [`super::drive`] and [`Live::epochs`].
pub struct Live {
    pub(super) sample: Duration,
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

    pub(super) fn feed(&self) -> MutexGuard<'_, Feed> {
        self.feed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn changed(&self) {
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
            Box::new(LiveObserver::new(memory.clone(), slot))
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

    pub(super) fn pause_asked(&self) -> bool {
        let c = self.control();
        c.paused && !c.stop
    }

    /// Waits while paused (showing `paused` meanwhile); true if the run is to stop.
    pub(super) fn checkpoint(&self) -> bool {
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

    pub(super) fn totals(&self) -> [u64; 4] {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut t = [0u64; 4];
        for s in slots.iter() {
            for (i, v) in s.load().into_iter().enumerate() {
                t[i] = t[i].saturating_add(v);
            }
        }
        t
    }
}

/// Keeps at most [`MAX_POINTS`]: when full, neighbours merge (their sums add, so the rates
/// stay exact over the wider spans).
pub(super) fn push_point(f: &mut Feed, p: Point) {
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
pub(super) fn eta(f: &Feed) -> Option<f64> {
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
