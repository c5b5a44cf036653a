//! # `dram_controller`: an LPDDR4-class memory controller and its device
//!
//! ```text
//!            req (mem, manual release)   +-----------------------------------+
//!  requester ──────────────────────────> | queue (queue_depth requests)      |
//!            <────────────────────────── | -> bursts -> per-bank FIFOs       |
//!            resp (mem)                  | FR-FCFS per channel -> ACT/PRE/RD/WR
//!                                        | device: banks, ranks, buses; store |
//!                                        +-----------------------------------+
//! ```
//!
//! ## Ports and semantics
//! - `req` (input, protocol `mem`, manual release): `Msg::MemReq`. A request enters the
//!   queue and its channel slot is released while the queue has room; when the queue is full
//!   the request stays in the channel unreleased, so a channel with a `depth` pushes back on
//!   the requester. (An unbounded `req` channel never pushes back: give it a depth.)
//! - `resp` (output, protocol `mem`): exactly one `Msg::MemResp` per request, echoing `id`,
//!   `source`, `cause` and `issued_ps`: read data, or an empty write acknowledgement. Sent
//!   when the last data beat of the request's last burst is done (plus
//!   `controller_latency_cycles` of `clock`); responses leave in completion order, and a
//!   refused one waits (in order) for `on_ready`. A request holds its queue entry until its
//!   response is sent, so a stalled `resp` fills the queue and then pushes back on `req`.
//! - Memory semantics: requests take effect in arrival order (writes are applied and reads
//!   copy their data when they enter the queue), as a controller that forwards queued write
//!   data to younger reads behaves; the command timing below is independent of this. Memory
//!   never written reads as zero. A request beyond the capacity aborts the run.
//!
//! ## The model
//! A request of any size and alignment is split into the bursts (`burst_bytes`, aligned)
//! that cover it; each burst goes to the FIFO of its bank, located by the address mapping
//! ([`AddressMapping`], bit order in its docs). Open-page policy: a row stays open until a
//! burst to another row, or a refresh, needs the bank.
//!
//! The scheduler is FR-FCFS, per channel, on the DRAM clock (tCK = 2 / data rate; every
//! timing is rounded up to whole cycles, commands issue on clock edges, one command per
//! channel per cycle). Each bank offers one command: a column command (RD/WR) for its oldest
//! burst to the open row (a row hit), else PRE (another row is open) or ACT (bank closed)
//! for its oldest burst. Among the offers whose constraints allow issue now, row hits win,
//! then the oldest burst. The controller is event-driven: after a pass it sleeps until the
//! earliest time an offer becomes legal, or a request arrives; it never ticks when idle.
//!
//! Timing rules (ps, from [`TimingParams`]):
//! - ACT: tRP after PRE of the bank, tRRD after the rank's last ACT, at most four ACTs per
//!   rank in tFAW, not during a refresh.
//! - RD/WR: tRCD after the bank's ACT, tCCD after the channel's last column command; read
//!   data starts tCL after RD and write data tCWL after WR, each lasting tBURST (beats / 2
//!   cycles) on the channel's data bus, which must be free (plus tRTW after a read, before
//!   write data). RD waits tWTR after the rank's last write data.
//! - PRE: tRAS after ACT, tRTP after RD, tWR after the last write data.
//! - Refresh: every tREFI per rank (ranks of a channel staggered over tREFI), all-bank:
//!   the rank stops issuing, precharges all banks once they may (PREA), refreshes tRPab later
//!   and is blocked for tRFC. Refreshes are computed when noticed (in the next scheduling
//!   pass, or at the end of the run), so an idle controller spends no events on them.
//!
//! Not modelled: power-down and self refresh, per-bank refresh, bank groups, rank-to-rank
//! switching, multi-cycle LPDDR4 commands, write queues drained in batches, a cap on row
//! hits bypassing older requests (a stream of hits can delay an older miss).
//!
//! ## Energy
//! Two meters. The device (`energy_offchip.*`, [`Scope::OffChip`], at `device_voltage_v`):
//! `act_pre` per ACT (with its PRE), `read`/`write` per burst bit, `refresh` per refresh,
//! `active_standby` while a rank has a row open, and standby power of every rank as leakage.
//! The on-chip controller and PHY (`energy.*`, [`Scope::Chip`], the power domain of
//! `clock`): `phy` per byte moved and its own leakage.
//!
//! ## Statistics (under the instance name; stable, the memory-trace tools read them)
//! - `reads`, `writes`: requests taken into the queue; `bytes_read`, `bytes_written`: their
//!   bytes (as requested; a burst moves `burst_bytes` whatever part of it is wanted).
//! - `bursts`: bursts served (RD + WR commands); `activates`, `precharges` (PREA counts
//!   each bank it closes), `refreshes` (per rank and channel).
//! - `row_hits`, `row_misses` (bank closed), `row_conflicts` (another row open): per burst;
//!   `row_hit_rate` = hits / bursts.
//! - `bank.<channel>.<rank>.<bank>.accesses`: bursts served by each bank.
//! - `read_latency_ps`, `write_latency_ps`: histograms, request arrival to response sent.
//! - `queue_occupancy`: time average (and max) of the requests in the controller.
//! - `channel.<c>.bus_busy_ps`: data-bus busy time; `refresh_busy_ps`: sum over ranks of the
//!   time from each refresh being due to the end of its tRFC.
//! - `span_ps`: first request arrival to last response; `bandwidth_bytes_per_s`: bytes
//!   read and written over `span_ps`; `peak_bytes_per_s`: channels × bus_bytes × data
//!   rate; `bandwidth_efficiency`: their ratio.
//! - `energy_offchip.*` and `energy.*`: see [`EnergyMeter::write_stats`].

mod device;
mod mapping;
mod params;
mod store;
mod timing;

use std::collections::VecDeque;

use sim_core::{ClockId, Component, Context, Histogram, PortId, PortSpec, Refused, SimTime, StatsWriter, TimeAverage};

use crate::energy::{EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, MemReq, MemResp, Phase};
use crate::Msg;

pub use device::{Burst, Command, Device, DeviceStats, Issued, RowClass};
pub use mapping::{AddressMapping, Location};
pub use params::{Config, DramParams, EnergyParams, Geometry, ParamError, TimingParams, DEVICE_NOMINAL_V};
pub use store::Store;
pub use timing::Timing;

const REQ: PortId = PortId(0);
const RESP: PortId = PortId(1);
/// Timer tag of a scheduling pass; other tags are request slots completing.
const WAKE: u64 = u64::MAX;
/// Energy no request caused (refresh, background). `Cause::default()` would name layer 0.
const NO_CAUSE: Cause = Cause { phase: Phase::Other, layer: Cause::NO_LAYER };

/// A request in the queue.
#[derive(Debug, Default)]
struct Slot {
    req: Option<Box<MemReq>>,
    /// Read data, copied when the request entered.
    data: Vec<u8>,
    arrival: u64,
    bursts_left: u32,
    done: u64,
}

/// The `dram_controller` component.
pub struct DramController {
    cfg: Config,
    device: Device,
    store: Store,
    slots: Vec<Slot>,
    /// Free slot indices; popped from the end.
    free: Vec<u32>,
    /// Arrived while the queue was full: (arrival time, request), not yet released.
    held: VecDeque<(u64, Box<MemReq>)>,
    /// Completed, waiting for `resp` to take them, in completion order.
    outbox: VecDeque<(u32, Box<MemResp>)>,
    issued: Vec<Issued>,
    next_seq: u64,
    wake_at: Option<u64>,
    clock: ClockId,
    chip_energy: EnergyMeter,
    device_energy: EnergyMeter,
    reads: u64,
    writes: u64,
    bytes_read: u64,
    bytes_written: u64,
    bursts: u64,
    read_latency: Histogram,
    write_latency: Histogram,
    occupancy: TimeAverage,
    first_arrival: Option<u64>,
    last_response: u64,
}

impl DramController {
    /// A controller for `params`; `domain` is the power domain of its `clock`.
    pub fn new(params: &DramParams, domain: PowerDomain) -> Result<Self, ParamError> {
        let cfg = params.validate()?;
        let e = &cfg.energy;
        let g = &cfg.geometry;
        let ranks = f64::from(g.channels * g.ranks);
        let clock = domain.clock;
        // The device runs at one fixed voltage whatever the controller's clock does.
        let device_domain = PowerDomain::new(clock, vec![(1, e.device_voltage_v)]);
        // Standby current is roughly constant in V, so its power scales as V.
        let standby = Leakage {
            mw_at_nominal: e.standby_mw_per_rank * ranks,
            nominal_v: DEVICE_NOMINAL_V,
            voltage_exponent: 1.0,
        };
        // 65 nm leakage rises steeply with V (energy.rs: exponent 3 is a common fit).
        let controller = Leakage {
            mw_at_nominal: e.controller_leakage_mw,
            nominal_v: e.controller_nominal_v,
            voltage_exponent: 3.0,
        };
        let depth = cfg.queue_depth;
        Ok(DramController {
            device: Device::new(g, cfg.timing),
            store: Store::new(),
            slots: (0..depth).map(|_| Slot::default()).collect(),
            free: (0..depth).rev().collect(),
            held: VecDeque::new(),
            outbox: VecDeque::new(),
            issued: Vec::new(),
            next_seq: 0,
            wake_at: None,
            clock,
            chip_energy: EnergyMeter::new(domain, Scope::Chip, controller),
            device_energy: EnergyMeter::new(device_domain, Scope::OffChip, standby),
            reads: 0,
            writes: 0,
            bytes_read: 0,
            bytes_written: 0,
            bursts: 0,
            read_latency: Histogram::new(),
            write_latency: Histogram::new(),
            occupancy: TimeAverage::new(SimTime::ZERO, 0.0),
            first_arrival: None,
            last_response: 0,
            cfg,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn used(&self) -> f64 {
        (self.slots.len() - self.free.len()) as f64
    }

    /// Takes `req` into the queue (a slot is free) and releases its channel slot.
    fn admit(&mut self, ctx: &mut Context<'_, Msg>, arrival: u64, mut req: Box<MemReq>) {
        let now = ctx.now().0;
        let cap = self.cfg.capacity;
        let end = req.addr.checked_add(u64::from(req.bytes));
        if end.is_none_or(|e| e > cap) {
            ctx.abort(format!(
                "request {} for {} bytes at address {:#x} goes beyond the capacity of {cap} bytes ({} MiB, addresses \
                 0x0..{cap:#x})",
                req.id,
                req.bytes,
                req.addr,
                cap as f64 / f64::from(1 << 20)
            ));
            return;
        }
        if req.write && req.data.len() != req.bytes as usize {
            ctx.abort(format!("write request {} says {} bytes but carries {}", req.id, req.bytes, req.data.len()));
            return;
        }
        let s = self.free.pop().expect("admit is called with a free slot");
        ctx.release(REQ);
        self.first_arrival.get_or_insert(arrival);
        let slot = &mut self.slots[s as usize];
        if req.write {
            self.store.write(req.addr, &req.data);
            req.data = Vec::new();
            self.writes += 1;
            self.bytes_written += u64::from(req.bytes);
        } else {
            slot.data = vec![0; req.bytes as usize];
            self.store.read(req.addr, &mut slot.data);
            self.reads += 1;
            self.bytes_read += u64::from(req.bytes);
        }
        let bb = u64::from(self.cfg.geometry.burst_bytes);
        let (first, last) = (req.addr / bb, (req.addr + u64::from(req.bytes)).div_ceil(bb));
        // Only the banks the new bursts join change their offers: the earliest of those is
        // when a pass may issue something new (a pass is already due for the others).
        let (mut ready, mut prev) = (u64::MAX, usize::MAX);
        for b in first..last {
            let loc = self.cfg.mapping.decode(b * bb);
            let burst = Burst { seq: self.next_seq, slot: s, row: loc.row, write: req.write, class: RowClass::Hit };
            self.next_seq += 1;
            let bank = self.device.enqueue(&loc, burst);
            if bank != prev {
                ready = ready.min(self.device.bank_ready(bank, now).unwrap_or(u64::MAX));
                prev = bank;
            }
        }
        slot.bursts_left = (last - first) as u32;
        slot.arrival = arrival;
        slot.done = now;
        slot.req = Some(req);
        self.occupancy.set(SimTime(now), self.used());
        if first == last {
            // Zero bytes: nothing to move, answer at once.
            self.complete_at(ctx, s, now);
        } else {
            self.wake(ctx, ready);
        }
    }

    /// Asks for a scheduling pass at the first DRAM clock edge at or after `t`.
    fn wake(&mut self, ctx: &mut Context<'_, Msg>, t: u64) {
        let now = ctx.now().0;
        let t = self.device.timing().edge(t.max(now));
        if self.wake_at.is_some_and(|w| w >= now && w <= t) {
            return; // an earlier pass will look again
        }
        self.wake_at = Some(t);
        ctx.schedule_at(SimTime(t), WAKE);
    }

    /// Issues the commands the device allows now and accounts for them.
    fn pass(&mut self, ctx: &mut Context<'_, Msg>) {
        let now = ctx.now().0;
        let mut issued = std::mem::take(&mut self.issued);
        issued.clear();
        let next = self.device.schedule(now, &mut issued);
        let e = &self.cfg.energy;
        let (v_dev, act_pj, read_pj, write_pj, phy_pj) =
            (e.device_voltage_v, e.act_pre_pj, e.read_pj_per_bit, e.write_pj_per_bit, e.phy_pj_per_byte);
        let v_chip = self.chip_energy.at(ctx);
        self.device_energy.at(ctx);
        let burst_bytes = f64::from(self.cfg.geometry.burst_bytes);
        for i in &issued {
            let slot = &mut self.slots[i.slot as usize];
            let cause = slot.req.as_ref().map_or(NO_CAUSE, |r| r.cause);
            match i.cmd {
                Command::Activate => self.device_energy.add(v_dev, "act_pre", act_pj, 1.0, cause),
                Command::Precharge => {}
                Command::Read | Command::Write => {
                    self.bursts += 1;
                    let (kind, pj) = if i.cmd == Command::Read { ("read", read_pj) } else { ("write", write_pj) };
                    self.device_energy.add(v_dev, kind, pj, burst_bytes * 8.0, cause);
                    self.chip_energy.add(v_chip, "phy", phy_pj, burst_bytes, cause);
                    slot.bursts_left -= 1;
                    slot.done = slot.done.max(i.done);
                    if slot.bursts_left == 0 {
                        let done = slot.done;
                        self.complete_at(ctx, i.slot, done);
                    }
                }
            }
        }
        self.issued = issued;
        if let Some(t) = next {
            self.wake(ctx, t);
        }
    }

    /// The data of slot `s` is all moved at `done`: its response leaves after the
    /// controller's latency.
    fn complete_at(&mut self, ctx: &mut Context<'_, Msg>, s: u32, done: u64) {
        let lat = ctx.clock(self.clock).cycles(SimTime(done), self.cfg.controller_latency_cycles).as_ps();
        ctx.schedule_at(SimTime(done + lat), u64::from(s));
    }

    /// Sends what `resp` takes, in order; frees their slots and admits held requests.
    fn flush(&mut self, ctx: &mut Context<'_, Msg>) {
        let now = ctx.now().0;
        while let Some((s, resp)) = self.outbox.pop_front() {
            let write = resp.write;
            match ctx.send(RESP, Msg::MemResp(resp)) {
                Ok(()) => {
                    let latency = now - self.slots[s as usize].arrival;
                    if write { &mut self.write_latency } else { &mut self.read_latency }.record(latency);
                    self.last_response = now;
                    self.free.push(s);
                    self.occupancy.set(SimTime(now), self.used());
                    while !self.free.is_empty() {
                        let Some((arrival, req)) = self.held.pop_front() else { break };
                        self.admit(ctx, arrival, req);
                    }
                }
                Err(Refused(Msg::MemResp(resp))) => {
                    self.outbox.push_front((s, resp));
                    return;
                }
                Err(Refused(_)) => unreachable!("a refused send hands back the message sent"),
            }
        }
    }
}

impl Component<Msg> for DramController {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("req", "mem").manual_release(), PortSpec::output("resp", "mem")]
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemReq(req) = msg else {
            ctx.abort("`req` takes memory requests (Msg::MemReq); something else arrived");
            return;
        };
        let now = ctx.now().0;
        if self.free.is_empty() || !self.held.is_empty() {
            self.held.push_back((now, req));
        } else {
            self.admit(ctx, now, req);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if tag == WAKE {
            if self.wake_at == Some(ctx.now().0) {
                self.wake_at = None;
            }
            self.pass(ctx);
            return;
        }
        let slot = &mut self.slots[tag as usize];
        let req = slot.req.take().expect("a completing slot holds its request");
        let data = std::mem::take(&mut slot.data);
        self.outbox.push_back((tag as u32, Box::new((*req).respond(data))));
        self.flush(ctx);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.flush(ctx);
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let end = stats.now().0;
        self.device.finish(end);
        let d = self.device.stats.clone();
        stats.counter("reads", self.reads);
        stats.counter("writes", self.writes);
        stats.counter("bytes_read", self.bytes_read);
        stats.counter("bytes_written", self.bytes_written);
        stats.counter("bursts", self.bursts);
        stats.counter("activates", d.activates);
        stats.counter("precharges", d.precharges);
        stats.counter("refreshes", d.refreshes);
        stats.counter("row_hits", d.row_hits);
        stats.counter("row_misses", d.row_misses);
        stats.counter("row_conflicts", d.row_conflicts);
        let served = d.row_hits + d.row_misses + d.row_conflicts;
        stats.ratio("row_hit_rate", d.row_hits as f64, served as f64);
        let g = &self.cfg.geometry;
        let (nr, nb) = (g.ranks as usize, g.banks as usize);
        for (i, n) in self.device.bank_accesses().enumerate() {
            stats.counter(&format!("bank.{}.{}.{}.accesses", i / (nr * nb), i / nb % nr, i % nb), n);
        }
        stats.histogram("read_latency_ps", &self.read_latency);
        stats.histogram("write_latency_ps", &self.write_latency);
        stats.time_average("queue_occupancy", &self.occupancy);
        for (c, busy) in self.device.bus_busy_ps().enumerate() {
            stats.counter(&format!("channel.{c}.bus_busy_ps"), busy);
        }
        stats.counter("refresh_busy_ps", d.refresh_busy_ps);
        let span = self.first_arrival.map_or(0, |f| self.last_response.saturating_sub(f));
        let bytes = (self.bytes_read + self.bytes_written) as f64;
        let bandwidth = sim_core::StatValue::ratio(bytes, span as f64 * 1e-12);
        stats.extent("span_ps", span as f64);
        stats.ratio("bandwidth_bytes_per_s", bytes, span as f64 * 1e-12);
        stats.extent("peak_bytes_per_s", self.cfg.peak_bytes_per_s);
        stats.ratio("bandwidth_efficiency", bandwidth, self.cfg.peak_bytes_per_s);

        // Refresh and open-row background are known only now (refreshes are computed lazily);
        // both accrue over the whole run, so that is where their power goes.
        let e = &self.cfg.energy;
        let v = e.device_voltage_v;
        self.device_energy.spread(sim_core::SimTime::ZERO, stats.now());
        self.device_energy.add(v, "refresh", e.refresh_pj, d.refreshes as f64, NO_CAUSE);
        let active_mw = e.active_standby_mw_per_rank * v / DEVICE_NOMINAL_V;
        // mW × ps = 1e-3 pJ.
        self.device_energy.add_pj("active_standby", active_mw * self.device.active_ps() as f64 * 1e-3, NO_CAUSE);
        self.device_energy.write_stats(stats);
        self.chip_energy.write_stats(stats);
    }
}
