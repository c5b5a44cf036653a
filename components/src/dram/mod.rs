//! # `dram_controller`: a DRAM controller and its device
//!
//! ```text
//!            req (mem, manual release)   +--------------------------------------------+
//!  requester ──────────────────────────> | read queue (queue_depth), write queue      |
//!            <────────────────────────── | -> bursts -> per-bank FIFOs                |
//!            resp (mem)                  | scheduler per channel -> ACT/PRE/RD/WR     |
//!                                        | device: banks, groups, ranks, buses; store |
//!                                        +--------------------------------------------+
//! ```
//!
//! The device is a standard chosen by `preset` ([`Preset`]: LPDDR4-3200 by default,
//! LPDDR4X-4266, LPDDR5-6400, DDR4-3200, HBM2; [`presets`] has every value and its source)
//! with any field overridden; the controller's policies are chosen beside it ([`Policy`]).
//!
//! ## Ports and semantics
//! - `req` (input, protocol `mem`, manual release): `Msg::MemReq`. A request enters its
//!   queue (the write queue for writes when it is enabled, else the one queue) and its
//!   channel slot is released while that queue has room; otherwise it stays in the channel
//!   unreleased (and so do the requests behind it), so a channel with a `depth` pushes back
//!   on the requester. (An unbounded `req` channel never pushes back: give it a depth.)
//! - `resp` (output, protocol `mem`): exactly one `Msg::MemResp` per request, echoing `id`,
//!   `source`, `cause` and `issued_ps`: read data, or an empty write acknowledgement. Sent
//!   when the last data beat of the request's last burst is done, or at once for a posted
//!   write (`write_ack: posted`) and for a read whose bursts a queued write holds whole
//!   (forwarded), plus `controller_latency_cycles` of `clock`; responses leave in
//!   completion order, and a refused one waits (in order) for `on_ready`. A request holds
//!   its queue entry until its response is sent and, for a posted write, until its bursts
//!   are issued; so a stalled `resp` fills the queue and then pushes back on `req`.
//! - Memory semantics: requests take effect in arrival order (writes are applied and reads
//!   copy their data when they enter the queue), as a controller that forwards queued write
//!   data to younger reads behaves; the command timing below is independent of this. Memory
//!   never written reads as zero. A request beyond the capacity aborts the run.
//!
//! ## The model
//! A request of any size and alignment is split into the bursts (`burst_bytes`, aligned)
//! that cover it; each burst goes to the FIFO of its bank, located by the address mapping
//! ([`AddressMapping`], bit order in its docs).
//!
//! The scheduler works per channel on the DRAM clock (tCK = 2 / data rate; every timing is
//! rounded up to whole cycles, commands issue on clock edges, each holding the command bus
//! for its `*_command_cycles`). Each bank offers one command: a column command (RD/WR) for
//! its oldest burst to the open row (a row hit), else PRE (another row is open) or ACT
//! (bank closed) for its oldest burst; with `closed`/`timeout` rows, a PRE when nothing
//! queued hits the open row (at once, or `row_timeout_ns` after the last column command).
//! `fr_fcfs`: among the offers whose constraints allow issue now, row hits win, then the
//! oldest burst; `fr_fcfs_cap`: a bank's hits may pass an older burst of the bank at most
//! `row_hit_cap` times per activation; `fcfs`: only the channel's oldest burst's command.
//! With the write queue, the controller serves reads until the queued writes reach the high
//! watermark (or no read waits), then writes until they fall to the low watermark while
//! reads wait (or none is left); a channel with nothing of the served direction serves the
//! other, and a bank with nothing of it prepares the row of the other's oldest burst. The
//! controller is event-driven: after a pass it sleeps until the earliest time an offer
//! becomes legal, or a request arrives; it never ticks when idle.
//!
//! Timing rules (ps, from [`TimingParams`]; `_l` within a bank group, bank b in group
//! b mod `bank_groups`):
//! - ACT: tRP after PRE of the bank, tRRD (tRRD_L) after the rank's (group's) last ACT, at
//!   most four ACTs per rank in tFAW, not during a refresh or a power-state exit.
//! - RD/WR: tRCD after the bank's ACT, tCCD after the channel's last column command,
//!   tCCD_L after the group's; read data starts tCL after RD and write data tCWL after WR,
//!   each lasting tBURST (beats / 2 cycles) on the channel's data bus, which must be free
//!   (plus tRTW after a read before write data, tRTRS when the rank changes). RD waits tWTR
//!   (tWTR_L in the group) after the rank's last write data.
//! - PRE: tRAS after ACT, tRTP after RD, tWR after the last write data.
//! - Refresh, all-bank: every tREFI per rank (ranks of a channel staggered), the rank stops
//!   issuing, precharges all banks once they may (PREA), refreshes tRPab later and is
//!   blocked for tRFC. Per-bank: every tREFIpb the next bank in turn is precharged and
//!   blocked for tRFCpb; the others go on.
//! - Power-down (`power_down.enabled`): a rank with nothing queued powers down `idle_ns`
//!   after its last command (active power-down with a row open, precharge power-down
//!   otherwise) and enters self-refresh `self_refresh_idle_ns` after it (all banks
//!   precharged; refreshes are then the device's own). A burst for it waits tXP (tXSR), and
//!   until tCKE (tSR) in the state has passed. A refresh due in power-down wakes it.
//!
//! Refreshes and power states are computed when noticed (in the next scheduling pass, when
//! a burst arrives for an idle rank, or at the end of the run), so an idle controller spends
//! no events on them. Not modelled: the command-bus slots of REF, PREA, and power-down entry
//! and exit commands; HBM2's separate row and column command buses (one shared bus here);
//! refresh postponing; timing constraints counted from a multi-cycle command's last cycle
//! (they count from its first).
//!
//! ## Energy
//! Two meters. The device (`energy_offchip.*`, [`Scope::OffChip`], at `device_voltage_v`):
//! `act_pre` per ACT (with its PRE), `read`/`write` per burst bit, `refresh` per refresh
//! (all-bank or per-bank), and background power per state and rank (`precharge_standby`,
//! `active_standby`, `precharge_power_down`, `active_power_down`, `self_refresh`: IDD × VDD
//! for the time in it). The on-chip controller and PHY (`energy.*`, [`Scope::Chip`], the
//! power domain of `clock`): `phy` per byte moved and its own leakage.
//!
//! ## Statistics (under the instance name; stable, the memory-trace tools read them)
//! - `reads`, `writes`: requests taken into the queue; `bytes_read`, `bytes_written`: their
//!   bytes (as requested; a burst moves `burst_bytes` whatever part of it is wanted).
//! - `bursts`: bursts served (RD + WR commands); `activates`, `precharges` (PREA counts
//!   each bank it closes), `refreshes` (per rank and channel, all-bank or per-bank).
//! - `row_hits`, `row_misses` (bank closed), `row_conflicts` (another row open): per burst;
//!   `row_hit_rate` = hits / bursts.
//! - `bank.<channel>.<rank>.<bank>.accesses`: bursts served by each bank.
//! - `read_latency_ps`, `write_latency_ps`: histograms, request arrival to response sent.
//! - `queue_occupancy`: time average (and max) of the requests in the controller.
//! - `channel.<c>.bus_busy_ps`: data-bus busy time; `refresh_busy_ps`: sum over ranks of the
//!   time from each refresh being due to the end of its tRFC; `bus_turnarounds`: data-bus
//!   direction changes (read to write or back), summed over channels.
//! - With the write queue: `forwarded_reads`, `write_drains` (switches into write mode).
//! - `state.<state>_ps`: rank-time in each power state (the five above; they sum to ranks ×
//!   the run); with power-down, `power_down_entries`, `self_refresh_entries`.
//! - `span_ps`: first request arrival to the last response or data beat, whichever is
//!   later; `bandwidth_bytes_per_s`: bytes read and written over `span_ps`;
//!   `peak_bytes_per_s`: channels × bus_bytes × data rate; `bandwidth_efficiency`: their
//!   ratio.
//! - `traffic.series_bytes`: the bytes of the requests taken into the queue per power
//!   window (they sum to `bytes_read` + `bytes_written`): bandwidth over time.
//! - `energy_offchip.*` and `energy.*`: see [`EnergyMeter::write_stats`].

mod declared;
mod device;
mod mapping;
mod params;
mod policy;
pub mod presets;
mod report;
mod store;
mod timing;

use std::collections::{BTreeMap, VecDeque};

use sim_core::{ClockId, Component, Context, Histogram, PortId, PortSpec, Refused, SimTime, StatsWriter, TimeAverage};

use crate::energy::{power_windows, EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, MemReq, MemResp, Phase};
use crate::windows::Windows;
use crate::Msg;

pub use declared::ResolvedView;
pub use device::{Burst, Command, Device, DeviceStats, Issued, RowClass, Serve, NO_SLOT};
pub use mapping::{AddressMapping, Location};
pub use params::{
    Config, DramParams, EnergyOverrides, EnergyParams, Geometry, GeometryOverrides, ParamError, TimingOverrides,
    TimingParams, DEVICE_NOMINAL_V,
};
pub use policy::{Policy, PowerDownParams, RefreshMode, RowPolicy, Scheduler, WriteAck, WriteQueueParams};
pub use presets::{Preset, Standard};
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
    cause: Cause,
    write: bool,
    /// Read data, copied when the request entered.
    data: Vec<u8>,
    arrival: u64,
    bursts_left: u32,
    done: u64,
    /// Posted write: acknowledged on entry, its slot held until its bursts are issued.
    posted: bool,
    /// The posted acknowledgement has left.
    acked: bool,
    /// Bursts (burst-aligned addresses / burst_bytes) this write covers whole: reads of them
    /// are served from the queue while it waits.
    covers: (u64, u64),
}

/// The `dram_controller` component.
pub struct DramController {
    cfg: Config,
    device: Device,
    store: Store,
    slots: Vec<Slot>,
    /// Free slot indices per pool (0: reads, or all requests without a write queue; 1: the
    /// write queue); popped from the end.
    free: [Vec<u32>; 2],
    /// Arrived while their queue was full: (arrival time, request), not yet released.
    held: VecDeque<(u64, Box<MemReq>)>,
    /// Completed, waiting for `resp` to take them, in completion order.
    outbox: VecDeque<(u32, Box<MemResp>)>,
    issued: Vec<Issued>,
    next_seq: u64,
    wake_at: Option<u64>,
    clock: ClockId,
    chip_energy: EnergyMeter,
    device_energy: EnergyMeter,
    /// Write-drain mode and the requests with bursts still queued, per direction.
    draining: bool,
    pending_reads: u32,
    pending_writes: u32,
    /// Whole bursts held by queued writes, with how many writes hold each.
    queued_write_bursts: BTreeMap<u64, u32>,
    stats: report::Counters,
    read_latency: Histogram,
    write_latency: Histogram,
    occupancy: TimeAverage,
    first_arrival: Option<u64>,
    last_response: u64,
    last_done: u64,
    /// Bytes of the requests taken in, per power window.
    traffic: Windows<u64>,
}

impl DramController {
    /// A controller for `params`; `domain` is the power domain of its `clock`.
    pub fn new(params: &DramParams, domain: PowerDomain) -> Result<Self, ParamError> {
        let cfg = params.validate()?;
        let e = &cfg.energy;
        let clock = domain.clock;
        // The device runs at one fixed voltage whatever the controller's clock does; its
        // background power is charged per power state at the end (report.rs), not as leakage.
        let device_domain = PowerDomain::new(clock, vec![(1, e.device_voltage_v)]);
        let background = Leakage { mw_at_nominal: 0.0, nominal_v: cfg.device_nominal_v, voltage_exponent: 1.0 };
        // 65 nm leakage rises steeply with V (energy.rs: exponent 3 is a common fit).
        let controller = Leakage {
            mw_at_nominal: e.controller_leakage_mw,
            nominal_v: e.controller_nominal_v,
            voltage_exponent: 3.0,
        };
        let depth = cfg.queue_depth;
        let wq = cfg.policy.write_queue.map_or(0, |(d, ..)| d);
        Ok(DramController {
            device: Device::new(&cfg.geometry, cfg.timing, cfg.policy.clone()),
            store: Store::new(),
            slots: (0..depth + wq).map(|_| Slot::default()).collect(),
            free: [(0..depth).rev().collect(), (depth..depth + wq).rev().collect()],
            held: VecDeque::new(),
            outbox: VecDeque::new(),
            issued: Vec::new(),
            next_seq: 0,
            wake_at: None,
            clock,
            chip_energy: EnergyMeter::new(domain, Scope::Chip, controller),
            device_energy: EnergyMeter::new(device_domain, Scope::OffChip, background),
            draining: false,
            pending_reads: 0,
            pending_writes: 0,
            queued_write_bursts: BTreeMap::new(),
            stats: report::Counters::default(),
            read_latency: Histogram::new(),
            write_latency: Histogram::new(),
            occupancy: TimeAverage::new(SimTime::ZERO, 0.0),
            first_arrival: None,
            last_response: 0,
            last_done: 0,
            traffic: power_windows(),
            cfg,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn used(&self) -> f64 {
        (self.slots.len() - self.free[0].len() - self.free[1].len()) as f64
    }

    /// The slot pool of a request.
    fn pool(&self, write: bool) -> usize {
        usize::from(write && self.cfg.policy.write_queue.is_some())
    }

    /// Takes `req` into its queue (a slot is free) and releases its channel slot.
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
        let pool = self.pool(req.write);
        let s = self.free[pool].pop().expect("admit is called with a free slot");
        ctx.release(REQ);
        self.first_arrival.get_or_insert(arrival);
        self.traffic.add(now, u64::from(req.bytes));
        let bb = u64::from(self.cfg.geometry.burst_bytes);
        let (first, last) = (req.addr / bb, (req.addr + u64::from(req.bytes)).div_ceil(bb));
        let queued_writes = self.cfg.policy.write_queue.is_some();
        let slot = &mut self.slots[s as usize];
        *slot = Slot { cause: req.cause, write: req.write, arrival, done: now, ..Slot::default() };
        let mut forwarded = false;
        if req.write {
            self.store.write(req.addr, &req.data);
            req.data = Vec::new();
            self.stats.writes += 1;
            self.stats.bytes_written += u64::from(req.bytes);
            if queued_writes {
                // The bursts this write fills whole: a later read of them needs no DRAM.
                slot.covers = (req.addr.div_ceil(bb), (req.addr + u64::from(req.bytes)) / bb);
                for b in slot.covers.0..slot.covers.1 {
                    *self.queued_write_bursts.entry(b).or_default() += 1;
                }
            }
        } else {
            slot.data = vec![0; req.bytes as usize];
            self.store.read(req.addr, &mut slot.data);
            self.stats.reads += 1;
            self.stats.bytes_read += u64::from(req.bytes);
            forwarded =
                queued_writes && first < last && (first..last).all(|b| self.queued_write_bursts.contains_key(&b));
        }
        let write = req.write;
        slot.req = Some(req);
        self.occupancy.set(SimTime(now), self.used());
        if first == last || forwarded {
            // Zero bytes, or a read of data a queued write holds: answer at once.
            self.stats.forwarded_reads += u64::from(forwarded);
            self.complete_at(ctx, s, now);
            return;
        }
        // Only the banks the new bursts join change their offers: the earliest of those is
        // when a pass may issue something new (a pass is already due for the others).
        let (mut ready, mut prev) = (u64::MAX, usize::MAX);
        for b in first..last {
            let loc = self.cfg.mapping.decode(b * bb);
            let burst = Burst { seq: self.next_seq, slot: s, row: loc.row, write, class: RowClass::Hit };
            self.next_seq += 1;
            let bank = self.device.enqueue(&loc, burst, now);
            if bank != prev {
                ready = ready.min(self.device.bank_ready(bank, now).unwrap_or(u64::MAX));
                prev = bank;
            }
        }
        self.slots[s as usize].bursts_left = (last - first) as u32;
        if write {
            self.pending_writes += 1;
            if self.cfg.policy.write_ack == WriteAck::Posted {
                self.slots[s as usize].posted = true;
                self.complete_at(ctx, s, now);
            }
        } else {
            self.pending_reads += 1;
        }
        if self.wanted_mode() != self.draining {
            ready = now; // the next pass switches modes
        }
        self.wake(ctx, ready);
    }

    /// Switches between serving reads and draining writes (write queue on): drain from the
    /// high watermark, or whenever no read waits; back to reads at the low watermark while
    /// reads wait, or when the queue is empty. Returns whether the mode changed.
    /// Checked at each scheduling pass (not as requests arrive: requests arriving together
    /// are all seen before the choice).
    fn update_mode(&mut self) -> bool {
        let drain = self.wanted_mode();
        let changed = drain != self.draining;
        if changed && drain {
            self.stats.write_drains += 1;
        }
        self.draining = drain;
        changed
    }

    fn wanted_mode(&self) -> bool {
        let Some((_, high, low)) = self.cfg.policy.write_queue else { return false };
        let (w, r) = (self.pending_writes, self.pending_reads);
        if self.draining {
            !(w == 0 || (w <= low && r > 0))
        } else {
            w >= high || (r == 0 && w > 0)
        }
    }

    fn serve(&self) -> Serve {
        match (self.cfg.policy.write_queue, self.draining) {
            (None, _) => Serve::Any,
            (Some(_), false) => Serve::Reads,
            (Some(_), true) => Serve::Writes,
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
        self.update_mode();
        let mut next = self.device.schedule(now, self.serve(), &mut issued);
        let e = &self.cfg.energy;
        let (v_dev, act_pj, read_pj, write_pj, phy_pj) =
            (e.device_voltage_v, e.act_pre_pj, e.read_pj_per_bit, e.write_pj_per_bit, e.phy_pj_per_byte);
        let v_chip = self.chip_energy.at(ctx);
        self.device_energy.at(ctx);
        let burst_bytes = f64::from(self.cfg.geometry.burst_bytes);
        let mut freed = false;
        for i in &issued {
            let cause = self.slots.get(i.slot as usize).map_or(NO_CAUSE, |s| s.cause);
            match i.cmd {
                Command::Activate => self.device_energy.add(v_dev, "act_pre", act_pj, 1.0, cause),
                Command::Precharge => {}
                Command::Read | Command::Write => {
                    self.stats.bursts += 1;
                    let (kind, pj) = if i.cmd == Command::Read { ("read", read_pj) } else { ("write", write_pj) };
                    self.device_energy.add(v_dev, kind, pj, burst_bytes * 8.0, cause);
                    self.chip_energy.add(v_chip, "phy", phy_pj, burst_bytes, cause);
                    self.last_done = self.last_done.max(i.done);
                    let slot = &mut self.slots[i.slot as usize];
                    slot.bursts_left -= 1;
                    slot.done = slot.done.max(i.done);
                    if slot.bursts_left == 0 {
                        freed |= self.drained(ctx, i.slot);
                    }
                }
            }
        }
        self.issued = issued;
        if self.update_mode() {
            next = Some(now + self.device.timing().tck);
        }
        if freed {
            self.occupancy.set(SimTime(now), self.used());
            self.admit_held(ctx);
        }
        if let Some(t) = next {
            self.wake(ctx, t);
        }
    }

    /// The last burst of slot `s` is issued: a read or unposted write answers when its data
    /// is moved; a posted write leaves the write queue (its slot frees now if its
    /// acknowledgement has left). Returns whether the slot was freed.
    fn drained(&mut self, ctx: &mut Context<'_, Msg>, s: u32) -> bool {
        let slot = &self.slots[s as usize];
        if slot.write {
            self.pending_writes -= 1;
            for b in slot.covers.0..slot.covers.1 {
                if let std::collections::btree_map::Entry::Occupied(mut e) = self.queued_write_bursts.entry(b) {
                    *e.get_mut() -= 1;
                    if *e.get() == 0 {
                        e.remove();
                    }
                }
            }
        } else {
            self.pending_reads -= 1;
        }
        let slot = &self.slots[s as usize];
        if !slot.posted {
            let done = slot.done;
            self.complete_at(ctx, s, done);
            false
        } else if slot.acked {
            self.free[1].push(s);
            true
        } else {
            false
        }
    }

    /// The data of slot `s` is all moved at `done`: its response leaves after the
    /// controller's latency.
    fn complete_at(&mut self, ctx: &mut Context<'_, Msg>, s: u32, done: u64) {
        let lat = ctx.clock(self.clock).cycles(SimTime(done), self.cfg.controller_latency_cycles).as_ps();
        ctx.schedule_at(SimTime(done + lat), u64::from(s));
    }

    /// Admits held requests, in order, while the first one's queue has room.
    fn admit_held(&mut self, ctx: &mut Context<'_, Msg>) {
        while let Some((_, req)) = self.held.front() {
            if self.free[self.pool(req.write)].is_empty() {
                break;
            }
            let (arrival, req) = self.held.pop_front().expect("looked at");
            self.admit(ctx, arrival, req);
        }
    }

    /// Sends what `resp` takes, in order; frees their slots and admits held requests.
    fn flush(&mut self, ctx: &mut Context<'_, Msg>) {
        let now = ctx.now().0;
        while let Some((s, resp)) = self.outbox.pop_front() {
            let write = resp.write;
            match ctx.send(RESP, Msg::MemResp(resp)) {
                Ok(()) => {
                    let slot = &mut self.slots[s as usize];
                    let latency = now - slot.arrival;
                    if write { &mut self.write_latency } else { &mut self.read_latency }.record(latency);
                    self.last_response = now;
                    if slot.posted && slot.bursts_left > 0 {
                        slot.acked = true; // the slot frees when the write drains
                        continue;
                    }
                    let pool = self.pool(write);
                    self.free[pool].push(s);
                    self.occupancy.set(SimTime(now), self.used());
                    self.admit_held(ctx);
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
        if self.free[self.pool(req.write)].is_empty() || !self.held.is_empty() {
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
        self.write_report(stats);
    }
}
