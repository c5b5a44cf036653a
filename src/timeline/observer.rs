//! The observer of one simulation thread: turns marks, deliveries and sends into trace
//! events and streams them to their partition's spill (buffered per partition, flushed in
//! blocks). Its per-instance state is small and bounded: the tasks queued at a core, the
//! collectives in flight at an engine, one open counter window per instance and per resource
//! with busy marks (a NoC link).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use components::mem::Cause;
use components::{Msg, BUSY_MARK_PREFIX};
use sim_core::{DeliverRecord, MarkRecord, Message, Observer, SendRecord, SimTime};

use super::busy::{BusyTrack, Points};
use super::proto::{self, EventType, Track};
use super::write::{json_str, us};
use super::{Detail, Format, Role, Shared};

/// Spill a partition's buffer when it grows past this.
const FLUSH_BYTES: usize = 1 << 16;

/// A task known to a core: delivered, not yet on its datapath.
#[derive(Clone, Copy)]
struct TaskInfo {
    id: u64,
    op: &'static str,
    cause: Cause,
    sample: Option<u32>,
}

#[derive(Default)]
struct CompState {
    /// Core: tasks delivered and waiting (in order), the one computing (begin, cycles, busy
    /// ps), and when the last one ended.
    queued: Vec<TaskInfo>,
    computing: Option<(TaskInfo, u64, u64, u64)>,
    last_end: u64,
    /// Counter window: index and bytes so far (bandwidth).
    bin: u64,
    bytes: u64,
    /// Collective engine: (tag, start) per lane, `None` when free.
    lanes: Vec<Option<(u64, u64)>>,
    lanes_named: usize,
    /// Resources inside it with busy marks (a NoC's links), by name.
    busy: HashMap<String, BusyTrack>,
}

pub struct TimelineObserver {
    shared: Arc<Shared>,
    comps: Vec<CompState>,
    /// Per partition: events not yet spilled, and how many.
    bufs: Vec<(Vec<u8>, u64)>,
    /// Perfetto: the tracks whose descriptor this observer has written.
    described: HashSet<u64>,
    bin_ps: u64,
    /// Counter points of a busy track, reused.
    points: Vec<(u64, f64)>,
}

impl TimelineObserver {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        let comps = (0..shared.pid.len()).map(|_| CompState::default()).collect();
        let bufs = (0..shared.lanes.len()).map(|_| (Vec::new(), 0)).collect();
        let bin_ps = shared.opts.detail.bin_ps();
        TimelineObserver { shared, comps, bufs, described: HashSet::new(), bin_ps, points: Vec::new() }
    }

    fn in_window(&self, t: u64) -> bool {
        t >= self.shared.opts.from_ps && t < self.shared.opts.to_ps
    }

    /// Appends one event (a JSON object without its separator) to `rank`'s partition.
    fn emit(&mut self, rank: usize, event: std::fmt::Arguments<'_>) {
        let pid = self.shared.pid[rank] as usize;
        let (buf, n) = &mut self.bufs[pid];
        let _ = std::io::Write::write_fmt(buf, event);
        buf.extend_from_slice(b",\n");
        *n += 1;
        if buf.len() >= FLUSH_BYTES {
            self.flush(pid);
        }
    }

    fn perfetto(&self) -> bool {
        self.shared.format == Format::Perfetto
    }

    /// Appends `events` Perfetto packets written by `f` to `rank`'s partition.
    fn emit_proto(&mut self, rank: usize, events: u64, f: impl FnOnce(&mut Vec<u8>)) {
        let pid = self.shared.pid[rank] as usize;
        let (buf, n) = &mut self.bufs[pid];
        f(buf);
        *n += events;
        if buf.len() >= FLUSH_BYTES {
            self.flush(pid);
        }
    }

    /// Writes the descriptor of track `uuid` (in `rank`'s partition) unless written before.
    fn describe(&mut self, rank: usize, uuid: u64, track: Track<'_>) {
        if self.described.insert(uuid) {
            self.emit_proto(rank, 0, |b| proto::descriptor(b, uuid, track, false));
        }
    }

    fn flush(&mut self, pid: usize) {
        let (buf, n) = &mut self.bufs[pid];
        if !buf.is_empty() {
            self.shared.lanes[pid].lock().expect("lane").write(buf, *n);
            buf.clear();
            *n = 0;
        }
    }

    /// A slice `[begin, end)` on `tid`, clipped to the window; `args` is a JSON object body.
    fn slice(&mut self, rank: usize, tid: usize, name: &str, begin: u64, end: u64, args: &str) {
        let (from, to) = (self.shared.opts.from_ps, self.shared.opts.to_ps);
        let (b, e) = (begin.max(from), end.min(to));
        if b >= e && !(begin == end && self.in_window(begin)) {
            return;
        }
        if self.perfetto() {
            let uuid = proto::thread_uuid(tid as u64);
            // The args as the JSON form has them (a few per slice; never fails on our text).
            let args: Option<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_str(&format!("{{{args}}}")).ok();
            self.emit_proto(rank, 2, |buf| {
                let begin = EventType::SliceBegin;
                proto::event_with_args(buf, b / 1000, uuid, begin, Some(name), None, args.as_ref());
                proto::event(buf, e / 1000, uuid, EventType::SliceEnd, None, None);
            });
            return;
        }
        let pid = self.shared.pid[rank];
        self.emit(
            rank,
            format_args!(
                "{{\"name\":\"{name}\",\"cat\":\"task\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":{pid},\"tid\":{tid},\"args\":{{{args}}}}}",
                us(b),
                us(e.saturating_sub(b))
            ),
        );
    }

    /// A counter `what` of `rank` at `t`: `args` its JSON object body, `vals` the same values
    /// for Perfetto (one counter track per key, `<what> <instance> <key>`).
    fn counter(&mut self, rank: usize, what: &str, t: u64, args: &str, vals: &[(&str, f64)]) {
        if !self.in_window(t) {
            return;
        }
        let pid = self.shared.pid[rank];
        let shared = self.shared.clone();
        let name = &shared.name[rank];
        let name = &name[1..name.len() - 1];
        if self.perfetto() {
            for &(k, v) in vals {
                let track = format!("{what} {name} {k}");
                let uuid = proto::counter_uuid(pid, &track);
                self.describe(rank, uuid, Track::Counter { parent: proto::process_uuid(pid), name: &track });
                self.emit_proto(rank, 1, |b| proto::event(b, t / 1000, uuid, EventType::Counter, None, Some(v)));
            }
            return;
        }
        self.emit(
            rank,
            format_args!(
                "{{\"name\":\"{what} {name}\",\"ph\":\"C\",\"ts\":{},\"pid\":{pid},\"tid\":{rank},\"args\":{{{args}}}}}",
                us(t)
            ),
        );
    }

    fn instant(&mut self, rank: usize, name: &str, t: u64, args: &str) {
        if !self.in_window(t) {
            return;
        }
        if self.perfetto() {
            let uuid = proto::thread_uuid(rank as u64);
            self.emit_proto(rank, 1, |b| proto::event(b, t / 1000, uuid, EventType::Instant, Some(name), None));
            return;
        }
        let pid = self.shared.pid[rank];
        self.emit(
            rank,
            format_args!(
                "{{\"name\":\"{name}\",\"ph\":\"i\",\"s\":\"p\",\"ts\":{},\"pid\":{pid},\"tid\":{rank},\"args\":{{{args}}}}}",
                us(t)
            ),
        );
    }

    /// Counts `bytes` at `t` through `rank`, closing its counter window(s) before `t`.
    fn traffic(&mut self, rank: usize, t: u64, bytes: u64) {
        let bin = t / self.bin_ps;
        if bin != self.comps[rank].bin {
            self.close_bin(rank, bin);
        }
        self.comps[rank].bytes += bytes;
    }

    /// Writes the open window's bandwidth and moves to window `next`; a gap of idle
    /// windows shows as one zero.
    fn close_bin(&mut self, rank: usize, next: u64) {
        let (bin, bytes) = (self.comps[rank].bin, self.comps[rank].bytes);
        let w = self.bin_ps;
        if bytes > 0 || bin > 0 {
            // Bytes per ns = GB/s.
            let gbs = bytes as f64 / (w as f64 / 1e3);
            let (args, util) = match self.shared.role[rank] {
                Role::Link(bps) => {
                    let u = gbs * 1e9 / bps;
                    (format!("\"GB/s\":{gbs:.4},\"utilisation\":{u:.4}"), Some(u))
                }
                _ => (format!("\"GB/s\":{gbs:.4}"), None),
            };
            let vals: &[(&str, f64)] = match util {
                Some(u) => &[("GB/s", gbs), ("utilisation", u)],
                None => &[("GB/s", gbs)],
            };
            self.counter(
                rank,
                if matches!(self.shared.role[rank], Role::Link(_)) { "link" } else { "bandwidth" },
                bin * w,
                &args,
                vals,
            );
            if next > bin + 1 {
                let (zero, zeros): (&str, &[(&str, f64)]) = if matches!(self.shared.role[rank], Role::Link(_)) {
                    ("\"GB/s\":0,\"utilisation\":0", &[("GB/s", 0.0), ("utilisation", 0.0)])
                } else {
                    ("\"GB/s\":0", &[("GB/s", 0.0)])
                };
                self.counter(
                    rank,
                    if matches!(self.shared.role[rank], Role::Link(_)) { "link" } else { "bandwidth" },
                    (bin + 1) * w,
                    zero,
                    zeros,
                );
            }
        }
        self.comps[rank].bin = next;
        self.comps[rank].bytes = 0;
    }

    /// A busy interval `[t, t + len)` of resource `resource` of `rank` (a busy mark).
    fn busy(&mut self, rank: usize, resource: &str, t: u64, len: u64) {
        let opts = self.shared.opts;
        let track = match self.comps[rank].busy.get_mut(resource) {
            Some(track) => track,
            None => self.comps[rank].busy.entry(resource.to_string()).or_default(),
        };
        let mut to = Points { window: (opts.from_ps, opts.to_ps), out: &mut self.points };
        track.add(self.bin_ps, t, len, &mut to);
        self.busy_points(rank, resource);
    }

    /// Writes the points a busy track produced as `utilisation` counters named
    /// `<resource> <instance>` (`link gb->r1 noc`).
    fn busy_points(&mut self, rank: usize, resource: &str) {
        if self.points.is_empty() {
            return;
        }
        let what = json_str(resource);
        let what = &what[1..what.len() - 1];
        let points = std::mem::take(&mut self.points);
        for &(t, u) in &points {
            self.counter(rank, what, t, &format!("\"utilisation\":{u:.7}"), &[("utilisation", u)]);
        }
        self.points = points;
        self.points.clear();
    }

    fn queue(&mut self, rank: usize, t: u64) {
        if self.shared.opts.detail == Detail::Fine {
            let n = self.comps[rank].queued.len();
            self.counter(rank, "task queue", t, &format!("\"tasks\":{n}"), &[("tasks", n as f64)]);
        }
    }
}

impl Observer<Msg> for TimelineObserver {
    fn on_deliver(&mut self, rec: &DeliverRecord, msg: &Msg) {
        let (rank, t) = (rec.to.0 as usize, rec.key.time);
        match (&self.shared.role[rank], msg) {
            (Role::Core, Msg::Task(task)) => {
                let info = TaskInfo { id: task.id, op: task.op.name(), cause: task.cause, sample: task.sample };
                self.comps[rank].queued.push(info);
                self.queue(rank, t);
            }
            (Role::Memory, m) => self.traffic(rank, t, m.size_bytes()),
            (Role::Collective, Msg::Coll(c)) => {
                let lanes = &mut self.comps[rank].lanes;
                let k = match lanes.iter().position(Option::is_none) {
                    Some(k) => k,
                    None => {
                        lanes.push(None);
                        lanes.len() - 1
                    }
                };
                lanes[k] = Some((c.tag, t));
            }
            _ => {}
        }
    }

    fn on_send(&mut self, rec: &SendRecord, msg: &Msg) {
        let (rank, t) = (rec.from.0 as usize, rec.time.0);
        match (&self.shared.role[rank], msg) {
            (Role::Memory | Role::Link(_), m) => self.traffic(rank, t, m.size_bytes()),
            (Role::Collective, Msg::Coll(c)) => {
                let Some(k) = self.comps[rank].lanes.iter().position(|l| l.is_some_and(|(tag, _)| tag == c.tag)) else {
                    return;
                };
                let (_, start) = self.comps[rank].lanes[k].take().expect("found");
                // Lane k of engine `rank`: a thread of its own (tids above every rank).
                let tid = self.shared.pid.len() + rank * 64 + k;
                if self.comps[rank].lanes_named <= k {
                    self.comps[rank].lanes_named = k + 1;
                    let shared = self.shared.clone();
                    let name = &shared.name[rank];
                    let name = &name[1..name.len() - 1];
                    let pid = self.shared.pid[rank];
                    if self.perfetto() {
                        let lane = format!("{name} all-reduce {k}");
                        let track = Track::Thread { pid, tid: tid as u64, name: &lane };
                        self.describe(rank, proto::thread_uuid(tid as u64), track);
                    } else {
                        self.emit(
                        rank,
                        format_args!(
                            "{{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":\"{name} all-reduce {k}\"}}}}"
                        ),
                    );
                    }
                }
                let args = format!("\"tag\":{},\"elements\":{},\"bytes\":{}", c.tag, c.elements, msg.size_bytes());
                self.slice(rank, tid, "all-reduce", start, t, &args);
            }
            _ => {}
        }
    }

    fn on_mark(&mut self, rec: &MarkRecord<'_>) {
        let (rank, t) = (rec.comp.0 as usize, rec.time.0);
        match rec.label {
            "task_begin" => {
                let id = rec.value as u64;
                let q = &mut self.comps[rank].queued;
                if let Some(k) = q.iter().position(|i| i.id == id) {
                    let info = q.remove(k);
                    self.comps[rank].computing = Some((info, t, 0, 0));
                    self.queue(rank, t);
                }
            }
            "task_cycles" => {
                if let Some(c) = self.comps[rank].computing.as_mut() {
                    c.2 = rec.value as u64;
                }
            }
            "task_busy_ps" => {
                if let Some(c) = self.comps[rank].computing.as_mut() {
                    c.3 = rec.value as u64;
                }
            }
            "task_end" => {
                if let Some((info, _, cycles, busy)) = self.comps[rank].computing.take() {
                    // The busy time ends at the timer; it began on the clock edge of the
                    // cycle in progress when the task started (as the core counts it), never
                    // before the previous task's end (a period change in between).
                    let begin = t.saturating_sub(busy).max(self.comps[rank].last_end);
                    self.comps[rank].last_end = t;
                    let mut args = format!("\"op\":\"{}\",\"phase\":\"{}\"", info.op, info.cause.phase);
                    if info.cause.layer != Cause::NO_LAYER {
                        let _ = write!(args, ",\"layer\":{}", info.cause.layer);
                    }
                    if let Some(s) = info.sample {
                        let _ = write!(args, ",\"sample\":{s}");
                    }
                    let _ = write!(args, ",\"cycles\":{cycles},\"task\":{}", info.id);
                    self.slice(rank, rank, info.op, begin, t, &args);
                }
            }
            "epoch_end" => {
                self.instant(rank, &format!("epoch {} end", rec.value), t, &format!("\"epoch\":{}", rec.value))
            }
            "step_end" if self.shared.opts.detail == Detail::Fine => {
                self.instant(rank, &format!("step {} end", rec.value), t, &format!("\"step\":{}", rec.value))
            }
            label if label.starts_with(BUSY_MARK_PREFIX) => {
                self.busy(rank, &label[BUSY_MARK_PREFIX.len()..], t, rec.value.max(0) as u64)
            }
            "clock_khz" => {
                let mhz = rec.value as f64 / 1e3;
                self.counter(rank, "clock", t, &format!("\"MHz\":{mhz}"), &[("MHz", mhz)])
            }
            "voltage_mv" => {
                let v = rec.value as f64 / 1e3;
                self.counter(rank, "supply", t, &format!("\"V\":{v}"), &[("V", v)])
            }
            _ => {}
        }
    }

    fn on_finish(&mut self, end: SimTime) {
        // Close every open bandwidth window this thread saw traffic in.
        let end_bin = end.0 / self.bin_ps + 1;
        for rank in 0..self.comps.len() {
            if self.comps[rank].bytes > 0 {
                self.close_bin(rank, end_bin);
            }
            // Busy tracks end with their last window, in name order (the same file on any
            // thread count).
            let mut busy: Vec<(String, BusyTrack)> = self.comps[rank].busy.drain().collect();
            busy.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (resource, mut track) in busy {
                let opts = self.shared.opts;
                let mut to = Points { window: (opts.from_ps, opts.to_ps), out: &mut self.points };
                track.finish(self.bin_ps, &mut to);
                self.busy_points(rank, &resource);
            }
        }
        for pid in 0..self.bufs.len() {
            self.flush(pid);
        }
    }
}
