//! # `trace_player`: a memory trace replayed into a memory system
//!
//! ```text
//!   RecordSource ──> trace_player ── req<i> ──> memory (dram_controller, global_buffer, noc…)
//!   (the edge's             <──────── resp<i> ──
//!    streaming reader)
//! ```
//!
//! The player stands in for whatever requesters the recorded run had. It pulls records one at
//! a time from the [`RecordSource`] the edge hands it and sends each as a `MemReq` (writes
//! carry zero bytes: a trace keeps addresses, not data). Records leave in trace order.
//!
//! ## Modes
//! - **`timing`** (timing-preserving): each record is sent at its recorded `issue_ps`, the
//!   time its requester sent it. Through a channel like the recorded one (same latency and
//!   depth) it reaches memory at its recorded arrival time, so a replay on the recorded memory
//!   repeats the recorded run's memory traffic exactly. When the memory pushes back (a full
//!   channel) or `max_outstanding` is reached, the record waits and everything behind it
//!   slips: `late` counts records sent after their time, `lateness_ps` is the histogram of
//!   by how much. The run ends where the recorded run ended (see [`TraceEnd`]); with `drain`,
//!   or for a trace that did not come from a run (an import), it goes on until every request
//!   is answered.
//! - **`afap`** (as fast as possible): times are ignored; records are sent as soon as fewer
//!   than `max_outstanding` (default 64) are in flight and the channel takes them: the peak
//!   throughput of the memory for this address stream.
//!
//! ## Routing (several memories)
//! Ports `req<i>`/`resp<i>` for `i` in `0..n`. `route: target` (default): port `i` serves the
//! records whose recorded target is `targets[i]`; with no `targets`, one port serves all.
//! With `skip_other_targets`, records for other targets are skipped (a trace recorded at
//! two levels with `--trace-buffer`, replayed at one). `route: address`: port `i` serves the records inside `ranges[i]`, with `base_addr`
//! subtracted (each memory sees its own addresses from 0). A record no port serves stops the
//! replay with a message naming it.
//!
//! ## Statistics (under the instance name)
//! `records`, `skipped` (`skip_other_targets`), `issued`, `reads`, `writes`, `bytes_read`, `bytes_written`, `completed`,
//! `unanswered` (in flight when the run ended), `not_issued` (never sent: the run ended
//! first), `refused` (sends the channel refused), `late` and `lateness_ps` (timing mode),
//! `latency_ps`, `read_latency_ps`, `write_latency_ps` (send to response, histograms),
//! `latency_cdf.<q>_ps` (the latency within which q‰ of the answered requests were answered,
//! for q in [`LATENCY_CDF_PERMILLE`]: 0 is the minimum, 1000 the maximum; to the histogram's
//! precision, under 3.2%),
//! `outstanding` (time average and max), `idle_ps` (time with nothing in flight between the
//! first send and the last response), `rw_switches` (read/write changes in send order),
//! `span_ps`, `bandwidth_bytes_per_s` (answered bytes over the span), `window_bytes_per_s`
//! (a series: answered bytes per window, by response time), and per cause
//! `cause.<phase>.<layer|none>.{requests,bytes,latency_ps}`.

use std::collections::BTreeMap;

use sim_core::{Component, Context, Histogram, PortId, PortSpec, Refused, SimTime, StatsWriter, TimeAverage};

pub use super::params::{AddressRange, PlayMode, Route, TracePlayerParams};

/// The points of the latency CDF a player reports, in per mille of the answered requests:
/// every 5% and the tails a memory study reads (p99, p99.9).
pub const LATENCY_CDF_PERMILLE: [u16; 25] = [
    0, 10, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700, 750, 800, 850, 900, 950, 975, 990, 999,
    1000,
];
use super::{RecordSource, TraceEnd, TraceRecord, Windows};
use crate::mem::{Cause, MemReq, Phase};
use crate::{Msg, ParamError};

const ISSUE: u64 = 0;
/// The recorded end: stop there (an inclusive end) or just be alive until then.
const END: u64 = 1;

#[derive(Default)]
struct CauseStats {
    requests: u64,
    bytes: u64,
    latency: Histogram,
}

/// The `trace_player` component.
pub struct TracePlayer {
    p: TracePlayerParams,
    limit: u32,
    source: Box<dyn RecordSource>,
    /// Port of each recorded target (by instance index), `route: target`.
    port_of: Vec<Option<usize>>,
    next: Option<(TraceRecord, usize)>,
    records: u64,
    end_scheduled: bool,
    skipped: u64,
    /// With no `targets`: the target of the first record, which every record must share.
    sole_target: Option<u32>,
    exhausted: bool,
    blocked: bool,
    timer_at: Option<u64>,
    outstanding: u32,
    last_write: Option<bool>,
    issued: u64,
    reads: u64,
    writes: u64,
    bytes_read: u64,
    bytes_written: u64,
    completed: u64,
    refused: u64,
    late: u64,
    rw_switches: u64,
    lateness: Histogram,
    latency: Histogram,
    read_latency: Histogram,
    write_latency: Histogram,
    occupancy: TimeAverage,
    idle_ps: u64,
    idle_since: Option<u64>,
    first_send: Option<u64>,
    last_response: u64,
    windows: Windows,
    causes: BTreeMap<(Phase, u16), CauseStats>,
}

impl TracePlayer {
    pub fn new(p: TracePlayerParams, source: Box<dyn RecordSource>) -> Result<Self, ParamError> {
        p.validate()?;
        let limit = p.max_outstanding.unwrap_or(match p.mode {
            PlayMode::Timing => u32::MAX,
            PlayMode::Afap => 64,
        });
        let port_of = source
            .instances()
            .iter()
            .map(|name| match p.targets.is_empty() {
                true => Some(0),
                false => p.targets.iter().position(|t| t == name),
            })
            .collect();
        Ok(TracePlayer {
            limit,
            source,
            port_of,
            next: None,
            records: 0,
            end_scheduled: false,
            skipped: 0,
            sole_target: None,
            exhausted: false,
            blocked: false,
            timer_at: None,
            outstanding: 0,
            last_write: None,
            issued: 0,
            reads: 0,
            writes: 0,
            bytes_read: 0,
            bytes_written: 0,
            completed: 0,
            refused: 0,
            late: 0,
            rw_switches: 0,
            lateness: Histogram::new(),
            latency: Histogram::new(),
            read_latency: Histogram::new(),
            write_latency: Histogram::new(),
            occupancy: TimeAverage::new(SimTime::ZERO, 0.0),
            idle_ps: 0,
            idle_since: None,
            first_send: None,
            last_response: 0,
            windows: Windows::new(p.window_ns * 1000, 1024),
            causes: BTreeMap::new(),
            p,
        })
    }

    /// The record just fetched, for messages: where it is in its file when the source knows
    /// (`the record at t.trace:12`), else its index from 0.
    fn which(&self) -> String {
        match self.source.position() {
            Some(at) => format!("the record at {at}"),
            None => format!("record {}", self.records - 1),
        }
    }

    /// The port for `rec` and its address there (`None`: skip it), or why no port serves it.
    /// With no `targets`, the one port serves one memory: a trace with requests to two (a
    /// buffer and the DRAM behind it, `--trace-buffer`) would mix levels, and is refused.
    fn route(&mut self, rec: &TraceRecord) -> Result<Option<(usize, u64)>, String> {
        match self.p.route {
            Route::Target => {
                let name = self.source.instances().get(rec.target as usize).map_or("?", |s| s.as_str());
                if self.p.targets.is_empty() {
                    let first = *self.sole_target.get_or_insert(rec.target);
                    if first != rec.target {
                        let first = self.source.instances().get(first as usize).map_or("?", |s| s.as_str());
                        return Err(format!(
                            "{} goes to `{name}`, earlier ones to `{first}`: the trace holds requests to two \
                             memory levels (recorded with --trace-buffer?) and this player, with no `targets`, would \
                             send both to one memory; replay one level: --set player.targets=[{first}] --set \
                             player.skip_other_targets=true (or a topology for the other level, e.g. \
                             topologies/memory/paper-chip-buffer.yaml)",
                            self.which()
                        ));
                    }
                }
                match self.port_of.get(rec.target as usize).copied().flatten() {
                    Some(port) => Ok(Some((port, rec.addr))),
                    None if self.p.skip_other_targets => Ok(None),
                    None => Err(format!(
                        "{} goes to `{name}`, which is not in `targets` ({}); list it, or route by address",
                        self.which(),
                        self.p.targets.join(", ")
                    )),
                }
            }
            Route::Address => {
                let end = rec.addr.saturating_add(u64::from(rec.bytes));
                match self.p.ranges.iter().position(|r| rec.addr >= r.base_addr && end <= r.base_addr + r.size_bytes) {
                    Some(port) => Ok(Some((port, rec.addr - self.p.ranges[port].base_addr))),
                    None => Err(format!(
                        "{} ({} bytes at {:#x}) is inside none of `ranges`",
                        self.which(),
                        rec.bytes,
                        rec.addr
                    )),
                }
            }
        }
    }

    /// Reads the next record into `next`; false at the end of the trace or on an error (the
    /// run is then aborted).
    fn fetch(&mut self, ctx: &mut Context<'_, Msg>) -> bool {
        loop {
            return match self.source.next_record() {
                Ok(Some(rec)) => {
                    self.records += 1;
                    match self.route(&rec) {
                        Ok(Some((port, addr))) => {
                            self.next = Some((TraceRecord { addr, ..rec }, port));
                            true
                        }
                        Ok(None) => {
                            self.skipped += 1;
                            continue;
                        }
                        Err(e) => {
                            ctx.abort(e);
                            false
                        }
                    }
                }
                Ok(None) => {
                    self.exhausted = true;
                    self.at_end_of_trace(ctx);
                    false
                }
                Err(e) => {
                    ctx.abort(e);
                    false
                }
            };
        }
    }

    /// Timing mode: the run lasts until the recorded end (and stops there unless draining),
    /// as soon as the end is known: at the start for a trace that says, else after its last
    /// record.
    fn at_end_of_trace(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.p.mode != PlayMode::Timing || self.end_scheduled {
            return;
        }
        if let Some(end) = self.end() {
            self.end_scheduled = true;
            ctx.schedule_at(SimTime(end.ps.max(ctx.now().0)), END);
        }
    }

    /// The recorded end; `None` for a trace that did not come from a run (an import), which
    /// plays until every request is answered.
    fn end(&self) -> Option<TraceEnd> {
        self.source.end()
    }

    fn pump(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.blocked {
            return;
        }
        loop {
            if self.next.is_none() && (self.exhausted || !self.fetch(ctx)) {
                return;
            }
            let (rec, port) = self.next.expect("fetched");
            let now = ctx.now().0;
            if self.p.mode == PlayMode::Timing && rec.issue_ps > now {
                if self.timer_at != Some(rec.issue_ps) {
                    self.timer_at = Some(rec.issue_ps);
                    ctx.schedule_at(SimTime(rec.issue_ps), ISSUE);
                }
                return;
            }
            if self.outstanding >= self.limit {
                return; // a response will call again
            }
            let data = if rec.write { vec![0; rec.bytes as usize] } else { Vec::new() };
            let req = MemReq {
                id: self.issued,
                source: 0,
                addr: rec.addr,
                bytes: rec.bytes,
                write: rec.write,
                data,
                cause: rec.cause,
                issued_ps: now,
            };
            if let Err(Refused(_)) = ctx.send(PortId(2 * port as u16), Msg::MemReq(Box::new(req))) {
                self.refused += 1;
                self.blocked = true;
                return;
            }
            self.next = None;
            self.sent(rec, now);
        }
    }

    fn sent(&mut self, rec: TraceRecord, now: u64) {
        self.issued += 1;
        self.first_send.get_or_insert(now);
        if let Some(since) = self.idle_since.take() {
            self.idle_ps += now - since;
        }
        self.outstanding += 1;
        self.occupancy.set(SimTime(now), f64::from(self.outstanding));
        if self.p.mode == PlayMode::Timing && now > rec.issue_ps {
            self.late += 1;
            self.lateness.record(now - rec.issue_ps);
        }
        if self.last_write.is_some_and(|w| w != rec.write) {
            self.rw_switches += 1;
        }
        self.last_write = Some(rec.write);
        let n = u64::from(rec.bytes);
        if rec.write {
            self.writes += 1;
            self.bytes_written += n;
        } else {
            self.reads += 1;
            self.bytes_read += n;
        }
    }
}

impl Component<Msg> for TracePlayer {
    fn ports(&self) -> Vec<PortSpec> {
        (0..self.p.ports())
            .flat_map(|i| [PortSpec::output(format!("req{i}"), "mem"), PortSpec::input(format!("resp{i}"), "mem")])
            .collect()
    }

    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.source.end().is_some() {
            self.at_end_of_trace(ctx);
        }
        self.pump(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if tag == END {
            let inclusive = self.end().is_none_or(|e| e.inclusive);
            if !self.p.drain && inclusive {
                ctx.stop();
            }
            return;
        }
        if self.timer_at == Some(ctx.now().0) {
            self.timer_at = None;
        }
        self.pump(ctx);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.blocked = false;
        self.pump(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemResp(r) = msg else {
            ctx.abort("`resp` ports take memory responses (Msg::MemResp); something else arrived");
            return;
        };
        let now = ctx.now().0;
        let latency = now - r.issued_ps;
        self.outstanding -= 1;
        self.occupancy.set(SimTime(now), f64::from(self.outstanding));
        if self.outstanding == 0 {
            self.idle_since = Some(now);
        }
        self.completed += 1;
        self.last_response = now;
        self.latency.record(latency);
        if r.write { &mut self.write_latency } else { &mut self.read_latency }.record(latency);
        self.windows.add(now, u64::from(r.bytes));
        let c = self.causes.entry((r.cause.phase, r.cause.layer)).or_default();
        c.requests += 1;
        c.bytes += u64::from(r.bytes);
        c.latency.record(latency);
        self.pump(ctx);
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        // What the run never got to: the record held back and the rest of the trace.
        let mut unread = 0;
        while let Ok(Some(_)) = self.source.next_record() {
            unread += 1;
        }
        let not_issued = unread + u64::from(self.next.is_some());
        let end = stats.now().0;
        stats.counter("records", self.records + unread);
        stats.counter("issued", self.issued);
        stats.counter("reads", self.reads);
        stats.counter("writes", self.writes);
        stats.counter("bytes_read", self.bytes_read);
        stats.counter("bytes_written", self.bytes_written);
        stats.counter("completed", self.completed);
        stats.counter("unanswered", u64::from(self.outstanding));
        stats.counter("not_issued", not_issued);
        stats.counter("skipped", self.skipped);
        stats.counter("refused", self.refused);
        stats.counter("late", self.late);
        stats.histogram("lateness_ps", &self.lateness);
        stats.histogram("latency_ps", &self.latency);
        for q in LATENCY_CDF_PERMILLE {
            // The quantile is a bucket's floor; the ends are exact.
            let ps = match q {
                1000 => self.latency.max(),
                _ => self.latency.quantile(f64::from(q) / 1000.0),
            };
            if let Some(ps) = ps {
                stats.extent(&format!("latency_cdf.{q}_ps"), ps as f64);
            }
        }
        stats.histogram("read_latency_ps", &self.read_latency);
        stats.histogram("write_latency_ps", &self.write_latency);
        stats.time_average("outstanding", &self.occupancy);
        stats.counter("idle_ps", self.idle_ps);
        stats.counter("rw_switches", self.rw_switches);
        let span = self.first_send.map_or(0, |f| self.last_response.saturating_sub(f));
        let bytes = (self.bytes_read + self.bytes_written) as f64;
        stats.extent("span_ps", span as f64);
        stats.ratio("bandwidth_bytes_per_s", bytes, span as f64 * 1e-12);
        self.windows.extend_to(end);
        stats.series("window_bytes_per_s", self.windows.step_ps(), self.windows.rates());
        for ((phase, layer), c) in &self.causes {
            let layer = if *layer == Cause::NO_LAYER { "none".to_string() } else { layer.to_string() };
            stats.counter(&format!("cause.{phase}.{layer}.requests"), c.requests);
            stats.counter(&format!("cause.{phase}.{layer}.bytes"), c.bytes);
            stats.histogram(&format!("cause.{phase}.{layer}.latency_ps"), &c.latency);
        }
    }
}
