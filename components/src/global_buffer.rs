//! `global_buffer`: the chip's banked on-chip SRAM, a write-back, write-allocate,
//! set-associative buffer in front of DRAM that holds real bytes.
//!
//! A request on `in` (from the interconnect) is split into line accesses. Line `a` lives in
//! bank `a % banks`; a bank serves `bank_bytes_per_cycle` bytes a cycle, so two accesses to
//! one bank queue behind each other (a *bank conflict*, counted with its wait), while
//! accesses to different banks proceed in parallel. A hit costs the bank time plus
//! `access_latency_cycles`. A miss evicts the least recently used line of its set (a dirty
//! victim is written back to DRAM through `dram_req`) and fetches the line from DRAM, unless
//! the access overwrites the whole line. The response leaves on `out` when the last of its
//! line accesses completes.
//!
//! Function and timing are separate: data moves in arrival order (accesses to a line whose
//! fill is pending wait for it, in order), so what a read returns is exactly what the last
//! earlier write left, whatever the timing. Evicted dirty lines stay in a write-back buffer
//! until DRAM acknowledges them, and a miss on such a line is served from there: correctness
//! never depends on how DRAM orders its queue.
//!
//! Statistics: `hits`, `misses` (of which `merged_misses` found their line already being
//! fetched), `line_accesses`, `bank_conflicts`, `bank_wait_ps`
//! (histogram), `bank.<b>.accesses`, `fills`, `writebacks`, `evictions`, `bytes_read`,
//! `bytes_written`, `dram_bytes_read`, `dram_bytes_written`, `latency_ps` (histogram, arrival
//! to response), `active` (time average of requests in service), `refused_responses`; the
//! energy coefficients charged, `sram.read_pj_per_byte`, `sram.write_pj_per_byte`,
//! `sram.leakage_mw` at `sram.nominal_v`; the SRAM model's `sram.model.read_pj_per_access`,
//! `sram.model.write_pj_per_access` (at 1.2 V, 65 nm) and `area_mm2` (at the chip's node) when
//! the model covers the geometry; the energy of one access now, `cost.read_pj_per_access` and
//! `cost.write_pj_per_access`; `traffic.series_bytes`, the bytes read and written per power
//! window (at the time their bank starts on them; the windows sum to `bytes_read` +
//! `bytes_written`).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{
    Component, Context, Histogram, PortId, PortSpec, Refused, SimDuration, SimTime, StatsWriter, TimeAverage,
};

use crate::cost::sram::{self, sram_cost, SramCost, SramGeometry};
use crate::energy::{power_windows, EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, MemReq, MemResp};
use crate::param::{self, Declared, ParamDecl, Range};
use crate::windows::Windows;
use crate::Msg;

/// Parameters (YAML `params` of a `global_buffer`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalBufferParams {
    /// Clock of the banks (the buffer runs on the system supply).
    pub clock: String,
    /// Capacity. Default 256 KiB: the paper's chip has a few hundred KiB of SRAM on 10.24 mm²
    /// of 65 nm core area (not published; a typical budget for such a die).
    pub capacity_kib: u32,
    /// Line (allocation and DRAM transfer) size. 64 B matches one LPDDR4 burst (BL16 × 32 bit).
    pub line_bytes: u32,
    /// Associativity. 8 ways keep conflict misses low at this size.
    pub ways: u32,
    /// Independent banks, lines interleaved across them. 8 banks let both propagation cores
    /// and the update core stream without constant conflicts.
    pub banks: u32,
    /// Bytes a bank reads or writes per cycle (its port width): 16 B = 128-bit SRAM macros.
    pub bank_bytes_per_cycle: u32,
    /// SRAM access pipeline, added to every line access.
    pub access_latency_cycles: u32,
    /// Requests in service at once; further requests wait in the channel (backpressure).
    pub max_active_requests: u32,
    pub energy: GlobalBufferEnergy,
}

/// Energy coefficients. Each may be left out, and then comes from the SRAM model
/// ([`crate::cost::sram`]) for this buffer's geometry: `capacity_kib` in `banks` banks of
/// `bank_bytes_per_cycle`-byte words, 65 nm itrs-lstp, at the model's 1.2 V. A coefficient
/// given here overrides the model's; then `nominal_v`, the voltage it is given at, must be
/// given too. [`GlobalBufferParams::costs`] fills the gaps.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalBufferEnergy {
    /// Per byte read from the array, pJ at `nominal_v`. Model: one bank's read energy per
    /// access divided by the word's bytes.
    pub read_pj_per_byte: Option<f64>,
    /// Per byte written, pJ at `nominal_v`. Model: as a read, with CACTI's write energy.
    pub write_pj_per_byte: Option<f64>,
    /// Leakage of the whole array at `nominal_v`, mW. Model: every bank's CACTI leakage.
    pub leakage_mw: Option<f64>,
    /// The voltage the coefficients are given at. Model: 1.2 V (CACTI's 65 nm lstp Vdd).
    pub nominal_v: Option<f64>,
    /// Leakage scales as (V / nominal_v)^exponent (see [`crate::energy::Leakage`]).
    pub leakage_voltage_exponent: f64,
}

impl Default for GlobalBufferEnergy {
    fn default() -> Self {
        GlobalBufferEnergy {
            read_pj_per_byte: None,
            write_pj_per_byte: None,
            leakage_mw: None,
            nominal_v: None,
            leakage_voltage_exponent: 3.0,
        }
    }
}

/// The buffer's coefficients once the SRAM model has filled in what the YAML left out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalBufferCosts {
    /// pJ per byte read, at `nominal_v`.
    pub read_pj_per_byte: f64,
    /// pJ per byte written, at `nominal_v`.
    pub write_pj_per_byte: f64,
    /// Leakage of the whole array at `nominal_v`, mW.
    pub leakage_mw: f64,
    /// The voltage of the three figures above, V.
    pub nominal_v: f64,
    pub leakage_voltage_exponent: f64,
    /// The model's figures for this geometry at [`sram::NOMINAL_V`] (none when the geometry
    /// is outside the model's reference points and every coefficient is given).
    pub model: Option<SramCost>,
}

impl Default for GlobalBufferParams {
    fn default() -> Self {
        GlobalBufferParams {
            clock: "sys_clk".into(),
            capacity_kib: 256,
            line_bytes: 64,
            ways: 8,
            banks: 8,
            bank_bytes_per_cycle: 16,
            access_latency_cycles: 2,
            max_active_requests: 8,
            energy: GlobalBufferEnergy::default(),
        }
    }
}

impl Declared for GlobalBufferParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "clock",
            default: "sys_clk",
            range: Range::Other,
            doc: "clock of the banks (and its voltage): the system supply",
        },
        ParamDecl {
            name: "capacity_kib",
            default: "256",
            range: Range::count(1, 65_536),
            doc: "capacity; a few hundred KiB of SRAM fit the paper's 10.24 mm2 at 65 nm (not published); up to 64 MiB",
        },
        ParamDecl {
            name: "line_bytes",
            default: "64",
            range: Range::count(1, 4096),
            doc: "line (DRAM transfer) size, a power of two; 64 B = one LPDDR4 burst (BL16 x 32 bit)",
        },
        ParamDecl {
            name: "ways",
            default: "8",
            range: Range::count(1, 1024),
            doc: "associativity; 8 ways keep conflict misses low at this size",
        },
        ParamDecl {
            name: "banks",
            default: "8",
            range: Range::count(1, 1024),
            doc: "lines interleaved over banks; 8 let three cores stream without constant conflicts",
        },
        ParamDecl {
            name: "bank_bytes_per_cycle",
            default: "16",
            range: Range::count(1, 4096),
            doc: "port width of a bank: 16 B = 128-bit SRAM macros",
        },
        ParamDecl {
            name: "access_latency_cycles",
            default: "2",
            range: Range::count(0, 1 << 20),
            doc: "SRAM pipeline added to every line access",
        },
        ParamDecl {
            name: "max_active_requests",
            default: "8",
            range: Range::count(1, 1 << 16),
            doc: "requests in service at once; more wait in the channel (backpressure)",
        },
        ParamDecl {
            name: "energy",
            default: "",
            range: Range::Group(GlobalBufferEnergy::PARAMS),
            doc: "energy coefficients at nominal_v, each from the SRAM model unless given",
        },
    ];
}

/// What an absent energy coefficient is derived from.
const FROM_SRAM_MODEL: &str =
    "the SRAM model (cost::sram, CACTI 7 65 nm lstp points) for capacity_kib, banks, bank_bytes_per_cycle";

impl Declared for GlobalBufferEnergy {
    const PARAMS: &'static [ParamDecl] = &[
        param::derived(
            "read_pj_per_byte",
            &Range::ENERGY_PJ,
            FROM_SRAM_MODEL,
            "per byte read at nominal_v; model: a bank's read energy per access / word bytes",
        ),
        param::derived(
            "write_pj_per_byte",
            &Range::ENERGY_PJ,
            FROM_SRAM_MODEL,
            "per byte written at nominal_v; model: a bank's write energy per access / word bytes",
        ),
        param::derived(
            "leakage_mw",
            &Range::POWER_MW,
            FROM_SRAM_MODEL,
            "leakage of the whole array at nominal_v; model: every bank's sub-threshold + gate leakage",
        ),
        param::derived(
            "nominal_v",
            &Range::VOLTAGE_V,
            "the model's 1.2 V (CACTI 65 nm lstp Vdd); required when a coefficient is given",
            "voltage of the figures above",
        ),
        crate::param::LEAKAGE_VOLTAGE_EXPONENT,
    ];
}

impl GlobalBufferParams {
    /// Checks the geometry; the error names the parameter.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let pow2 = |v: u32| v != 0 && v.is_power_of_two();
        if !pow2(self.line_bytes) {
            return Err(("line_bytes", format!("must be a power of two, not {}", self.line_bytes)));
        }
        // Each count is named on its own: a zero `banks` is not the fault of `ways`.
        for (name, v) in [
            ("ways", self.ways),
            ("banks", self.banks),
            ("bank_bytes_per_cycle", self.bank_bytes_per_cycle),
            ("max_active_requests", self.max_active_requests),
        ] {
            if v == 0 {
                return Err((name, format!("`{name}` must be at least 1")));
            }
        }
        let lines = u64::from(self.capacity_kib) * 1024 / u64::from(self.line_bytes);
        if lines == 0 || lines % u64::from(self.ways) != 0 {
            return Err((
                "capacity_kib",
                format!(
                    "{} KiB is not a whole number of {}-way sets of {}-byte lines",
                    self.capacity_kib, self.ways, self.line_bytes
                ),
            ));
        }
        self.costs().map(|_| ())
    }

    /// The SRAM geometry the energy model prices: the whole capacity in `banks` banks whose
    /// word is one bank's port (`bank_bytes_per_cycle`).
    pub fn sram_geometry(&self) -> SramGeometry {
        SramGeometry {
            capacity_bytes: u64::from(self.capacity_kib) * 1024,
            word_bits: self.bank_bytes_per_cycle.saturating_mul(8),
            banks: self.banks,
        }
    }

    /// The energy coefficients: those given in `energy`, the rest from the SRAM model. Model
    /// figures mixed with given ones are restated at the given `nominal_v` (dynamic energy
    /// as V², leakage by its law), so a partial override does not rescale the rest. The
    /// error names the parameter and says what to do.
    pub fn costs(&self) -> Result<GlobalBufferCosts, (&'static str, String)> {
        let e = &self.energy;
        let given = [e.read_pj_per_byte, e.write_pj_per_byte, e.leakage_mw];
        let any_given = given.iter().any(Option::is_some);
        let model = match sram_cost(self.sram_geometry()) {
            Ok(m) => Some(m),
            Err(_) if given.iter().all(Option::is_some) => None,
            Err(err) => {
                let field = match err {
                    sram::SramError::WordWidth { .. } => "bank_bytes_per_cycle",
                    sram::SramError::Banks { .. } => "banks",
                    sram::SramError::BankSize { .. } => "capacity_kib",
                };
                return Err((
                    field,
                    format!(
                        "does not fit the SRAM model: {err}; change capacity_kib, banks or bank_bytes_per_cycle, \
                         or give energy.read_pj_per_byte, write_pj_per_byte, leakage_mw and nominal_v"
                    ),
                ));
            }
        };
        let nominal_v =
            match (e.nominal_v, any_given) {
                (Some(v), _) => v,
                (None, false) => sram::NOMINAL_V,
                (None, true) => return Err((
                    "energy.nominal_v",
                    "is needed with explicit energy coefficients: give `energy.nominal_v`, the voltage they hold at"
                        .into(),
                )),
            };
        let r = nominal_v / sram::NOMINAL_V;
        // `model` is `None` only when every coefficient is given, so `pick` never needs it then.
        let pick = |given: Option<f64>, f: fn(&SramCost) -> f64, scale: f64| match (given, &model) {
            (Some(g), _) => g,
            (None, Some(m)) => f(m) * scale,
            (None, None) => f64::NAN,
        };
        Ok(GlobalBufferCosts {
            read_pj_per_byte: pick(e.read_pj_per_byte, SramCost::read_pj_per_byte, r * r),
            write_pj_per_byte: pick(e.write_pj_per_byte, SramCost::write_pj_per_byte, r * r),
            leakage_mw: pick(e.leakage_mw, |m| m.leakage_mw, r.powf(e.leakage_voltage_exponent)),
            nominal_v,
            leakage_voltage_exponent: e.leakage_voltage_exponent,
            model,
        })
    }
}

const IN: PortId = PortId(0);
const OUT: PortId = PortId(1);
const DRAM_REQ: PortId = PortId(2);
const DRAM_RESP: PortId = PortId(3);

#[derive(Clone, Copy, Default)]
struct Way {
    line: u64,
    valid: bool,
    dirty: bool,
    /// A fill from DRAM is pending: the line may not be evicted.
    filling: bool,
    last_use: u64,
    /// The phase and layer of the line's last write: its write-back's cause.
    writer: Cause,
}

/// A line access waiting for its line's fill.
struct Waiter {
    slot: usize,
    line: u64,
    /// Offset of this piece in the request, and in the line, and its length.
    req_off: usize,
    line_off: usize,
    len: usize,
}

struct Active {
    req: MemReq,
    arrived: u64,
    pieces_left: u32,
    done_at: u64,
    data: Vec<u8>,
}

/// The global buffer.
pub struct GlobalBuffer {
    p: GlobalBufferParams,
    sets: u64,
    ways: Vec<Way>,
    store: Vec<u8>,
    bank_free: Vec<u64>,
    active: Vec<Option<Active>>,
    /// Requests that arrived while `max_active_requests` were in service (slots not released).
    waiting: VecDeque<MemReq>,
    /// Line accesses waiting for a fill, by line.
    fill_waiters: BTreeMap<u64, Vec<Waiter>>,
    /// Dirty lines sent to DRAM and not yet acknowledged: the DRAM request id, the data and
    /// the cause of its last write.
    writebacks: BTreeMap<u64, (u64, Vec<u8>, Cause)>,
    /// Requests for DRAM that its channel refused, in order.
    dram_outbox: VecDeque<MemReq>,
    /// Responses the `out` channel refused, in order.
    out_backlog: VecDeque<MemResp>,
    /// Accesses blocked because every way of their set is filling.
    blocked: VecDeque<Waiter>,
    next_dram_id: u64,
    use_clock: u64,
    energy: EnergyMeter,
    costs: GlobalBufferCosts,
    stats: Stats,
    /// Bytes read and written per power window (bandwidth over time).
    traffic: Windows<u64>,
}

#[derive(Default)]
struct Stats {
    hits: u64,
    misses: u64,
    merged_misses: u64,
    line_accesses: u64,
    bank_conflicts: u64,
    bank_wait_ps: Histogram,
    bank_accesses: Vec<u64>,
    fills: u64,
    writebacks: u64,
    evictions: u64,
    bytes_read: u64,
    bytes_written: u64,
    dram_bytes_read: u64,
    dram_bytes_written: u64,
    latency_ps: Histogram,
    active: TimeAverage,
    refused_responses: u64,
}

impl GlobalBuffer {
    /// A buffer of validated parameters ([`GlobalBufferParams::validate`]).
    ///
    /// Panics: if `p.costs()` fails, which validation rules out.
    pub fn new(p: GlobalBufferParams, domain: PowerDomain) -> Self {
        let lines = u64::from(p.capacity_kib) * 1024 / u64::from(p.line_bytes);
        let sets = lines / u64::from(p.ways);
        let costs = p.costs().expect("validated parameters");
        let leakage = Leakage {
            mw_at_nominal: costs.leakage_mw,
            nominal_v: costs.nominal_v,
            voltage_exponent: costs.leakage_voltage_exponent,
        };
        let energy = EnergyMeter::new(domain, Scope::Chip, leakage);
        let stats = Stats { bank_accesses: vec![0; p.banks as usize], ..Stats::default() };
        GlobalBuffer {
            sets,
            ways: vec![Way::default(); lines as usize],
            store: vec![0; (lines * u64::from(p.line_bytes)) as usize],
            bank_free: vec![0; p.banks as usize],
            active: Vec::new(),
            waiting: VecDeque::new(),
            fill_waiters: BTreeMap::new(),
            writebacks: BTreeMap::new(),
            dram_outbox: VecDeque::new(),
            out_backlog: VecDeque::new(),
            blocked: VecDeque::new(),
            next_dram_id: 0,
            use_clock: 0,
            energy,
            costs,
            stats,
            traffic: power_windows(),
            p,
        }
    }

    fn line_bytes(&self) -> u64 {
        u64::from(self.p.line_bytes)
    }

    fn set_of(&self, line: u64) -> usize {
        ((line / self.line_bytes()) % self.sets) as usize
    }

    fn way_range(&self, line: u64) -> std::ops::Range<usize> {
        let s = self.set_of(line) * self.p.ways as usize;
        s..s + self.p.ways as usize
    }

    fn find(&self, line: u64) -> Option<usize> {
        self.way_range(line).find(|&w| self.ways[w].valid && self.ways[w].line == line)
    }

    /// Admits a request: splits it into line pieces and starts each.
    fn admit(&mut self, ctx: &mut Context<'_, Msg>, req: MemReq) {
        let now = ctx.now().0;
        let slot = match self.active.iter().position(Option::is_none) {
            Some(s) => s,
            None => {
                self.active.push(None);
                self.active.len() - 1
            }
        };
        let lb = self.line_bytes();
        let (start, end) = (req.addr, req.addr + u64::from(req.bytes));
        let mut pieces = Vec::new();
        let mut a = start;
        while a < end {
            let line = a / lb * lb;
            let stop = end.min(line + lb);
            pieces.push(Waiter {
                slot,
                line,
                req_off: (a - start) as usize,
                line_off: (a - line) as usize,
                len: (stop - a) as usize,
            });
            a = stop;
        }
        let data = if req.write { Vec::new() } else { vec![0; req.bytes as usize] };
        let n = pieces.len() as u32;
        self.active[slot] = Some(Active { req, arrived: now, pieces_left: n, done_at: now, data });
        self.stats.active.add(ctx.now(), 1.0);
        if n == 0 {
            self.finish_piece(ctx, slot, now);
        }
        for p in pieces {
            self.access(ctx, p);
        }
    }

    /// One line access: a hit is served now; a miss waits for its line.
    fn access(&mut self, ctx: &mut Context<'_, Msg>, w: Waiter) {
        self.stats.line_accesses += 1;
        self.try_access(ctx, w);
    }

    fn try_access(&mut self, ctx: &mut Context<'_, Msg>, w: Waiter) {
        if let Some(waiters) = self.fill_waiters.get_mut(&w.line) {
            // A miss on a line already being fetched: wait for it, in arrival order.
            waiters.push(w);
            self.stats.misses += 1;
            self.stats.merged_misses += 1;
            return;
        }
        if let Some(way) = self.find(w.line) {
            self.stats.hits += 1;
            self.serve(ctx, way, w);
            return;
        }
        let full_write = {
            let a = self.active[w.slot].as_ref().expect("active");
            a.req.write && w.len as u64 == self.line_bytes()
        };
        let Some(way) = self.allocate(ctx, w.line) else {
            self.blocked.push_back(w);
            return;
        };
        self.stats.misses += 1;
        if let Some((_, data, writer)) = self.writebacks.get(&w.line).cloned() {
            // The line is on its way back to DRAM: take it from the write-back buffer.
            let off = way * self.p.line_bytes as usize;
            self.store[off..off + data.len()].copy_from_slice(&data);
            self.ways[way].dirty = true;
            self.ways[way].writer = writer;
            self.serve(ctx, way, w);
        } else if full_write {
            self.serve(ctx, way, w);
        } else {
            self.ways[way].filling = true;
            let line = w.line;
            self.fill_waiters.insert(line, vec![w]);
            let cause = self.active_cause(line);
            let id = self.next_dram_id;
            self.next_dram_id += 1;
            self.stats.fills += 1;
            self.send_dram(ctx, MemReq::read(id, line, self.p.line_bytes, cause, ctx.now().0));
        }
    }

    fn active_cause(&self, line: u64) -> Cause {
        self.fill_waiters
            .get(&line)
            .and_then(|ws| ws.first())
            .and_then(|w| self.active[w.slot].as_ref())
            .map_or(Cause::default(), |a| a.req.cause)
    }

    /// A way for `line` in its set (evicting the LRU line, writing it back if dirty), or
    /// `None` when every way is waiting for a fill.
    fn allocate(&mut self, ctx: &mut Context<'_, Msg>, line: u64) -> Option<usize> {
        let range = self.way_range(line);
        let way = range
            .clone()
            .filter(|&w| !self.ways[w].filling)
            .min_by_key(|&w| (self.ways[w].valid, self.ways[w].last_use))?;
        let victim = self.ways[way];
        if victim.valid {
            self.stats.evictions += 1;
            if victim.dirty {
                let off = way * self.p.line_bytes as usize;
                let data = self.store[off..off + self.p.line_bytes as usize].to_vec();
                let id = self.next_dram_id;
                self.next_dram_id += 1;
                self.writebacks.insert(victim.line, (id, data.clone(), victim.writer));
                self.stats.writebacks += 1;
                self.send_dram(ctx, MemReq::write(id, victim.line, data, victim.writer, ctx.now().0));
            }
        }
        self.ways[way] =
            Way { line, valid: true, dirty: false, filling: false, last_use: self.use_clock, writer: Cause::default() };
        Some(way)
    }

    fn send_dram(&mut self, ctx: &mut Context<'_, Msg>, req: MemReq) {
        if req.write {
            self.stats.dram_bytes_written += u64::from(req.bytes);
        } else {
            self.stats.dram_bytes_read += u64::from(req.bytes);
        }
        if self.dram_outbox.is_empty() {
            if let Err(Refused(Msg::MemReq(r))) = ctx.send(DRAM_REQ, Msg::MemReq(Box::new(req))) {
                self.dram_outbox.push_back(*r);
            }
        } else {
            self.dram_outbox.push_back(req);
        }
    }

    /// Moves the bytes of piece `w` of its request through way `way`, and times it on its bank.
    fn serve(&mut self, ctx: &mut Context<'_, Msg>, way: usize, w: Waiter) {
        let now = ctx.now().0;
        self.use_clock += 1;
        self.ways[way].last_use = self.use_clock;
        let off = way * self.p.line_bytes as usize + w.line_off;
        let a = self.active[w.slot].as_mut().expect("active");
        let v = self.energy.at(ctx);
        let cause = a.req.cause;
        if a.req.write {
            self.store[off..off + w.len].copy_from_slice(&a.req.data[w.req_off..w.req_off + w.len]);
            self.ways[way].dirty = true;
            self.ways[way].writer = cause;
            self.stats.bytes_written += w.len as u64;
            self.energy.add(v, "sram_write", self.costs.write_pj_per_byte, w.len as f64, cause);
        } else {
            a.data[w.req_off..w.req_off + w.len].copy_from_slice(&self.store[off..off + w.len]);
            self.stats.bytes_read += w.len as u64;
            self.energy.add(v, "sram_read", self.costs.read_pj_per_byte, w.len as f64, cause);
        }
        let bank = ((w.line / self.line_bytes()) % u64::from(self.p.banks)) as usize;
        self.stats.bank_accesses[bank] += 1;
        let start = now.max(self.bank_free[bank]);
        self.traffic.add(start, w.len as u64);
        if start > now {
            self.stats.bank_conflicts += 1;
            self.stats.bank_wait_ps.record(start - now);
        }
        let clock = ctx.clock(self.energy.domain().clock);
        let busy = clock.cycles(SimTime(start), (w.len as u64).div_ceil(u64::from(self.p.bank_bytes_per_cycle))).0;
        let latency = clock.cycles(SimTime(start), u64::from(self.p.access_latency_cycles)).0;
        self.bank_free[bank] = start + busy;
        self.finish_piece(ctx, w.slot, start + busy + latency);
    }

    fn finish_piece(&mut self, ctx: &mut Context<'_, Msg>, slot: usize, done_at: u64) {
        let a = self.active[slot].as_mut().expect("active");
        a.done_at = a.done_at.max(done_at);
        a.pieces_left = a.pieces_left.saturating_sub(1);
        if a.pieces_left == 0 {
            let delay = a.done_at - ctx.now().0;
            ctx.schedule(SimDuration(delay), slot as u64);
        }
    }

    fn respond(&mut self, ctx: &mut Context<'_, Msg>, slot: usize) {
        let a = self.active[slot].take().expect("active");
        self.stats.active.add(ctx.now(), -1.0);
        self.stats.latency_ps.record(ctx.now().0 - a.arrived);
        let resp = a.req.respond(a.data);
        self.send_out(ctx, resp);
        // A slot is free: admit a waiting request, and let the next one in.
        if let Some(req) = self.waiting.pop_front() {
            ctx.release(IN);
            self.admit(ctx, req);
        }
    }

    fn send_out(&mut self, ctx: &mut Context<'_, Msg>, resp: MemResp) {
        if self.out_backlog.is_empty() {
            if let Err(Refused(Msg::MemResp(r))) = ctx.send(OUT, Msg::MemResp(Box::new(resp))) {
                self.stats.refused_responses += 1;
                self.out_backlog.push_back(*r);
            }
        } else {
            self.out_backlog.push_back(resp);
        }
    }

    fn fill(&mut self, ctx: &mut Context<'_, Msg>, resp: MemResp) {
        let line = resp.addr;
        let way = self.find(line).expect("a filling line keeps its way");
        let off = way * self.p.line_bytes as usize;
        self.store[off..off + resp.data.len()].copy_from_slice(&resp.data);
        self.ways[way].filling = false;
        let v = self.energy.at(ctx);
        self.energy.add(v, "sram_write", self.costs.write_pj_per_byte, resp.data.len() as f64, resp.cause);
        for w in self.fill_waiters.remove(&line).unwrap_or_default() {
            self.serve(ctx, way, w);
        }
        self.retry_blocked(ctx);
    }

    fn retry_blocked(&mut self, ctx: &mut Context<'_, Msg>) {
        for _ in 0..self.blocked.len() {
            let w = self.blocked.pop_front().expect("counted");
            self.try_access(ctx, w);
        }
    }
}

impl Component<Msg> for GlobalBuffer {
    fn ports(&self) -> Vec<PortSpec> {
        vec![
            PortSpec::input("in", "mem").manual_release(),
            PortSpec::output("out", "mem"),
            PortSpec::output("dram_req", "mem"),
            PortSpec::input("dram_resp", "mem"),
        ]
    }

    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        self.stats.active = TimeAverage::new(ctx.now(), 0.0);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        match (port, msg) {
            (IN, Msg::MemReq(req)) => {
                let busy = self.active.iter().filter(|a| a.is_some()).count() as u32;
                if busy < self.p.max_active_requests && self.waiting.is_empty() {
                    ctx.release(IN);
                    self.admit(ctx, *req);
                } else {
                    self.waiting.push_back(*req);
                }
            }
            (DRAM_RESP, Msg::MemResp(resp)) => {
                if resp.write {
                    // Only the latest write-back of a line may retire its buffered copy.
                    if self.writebacks.get(&resp.addr).is_some_and(|(id, _, _)| *id == resp.id) {
                        self.writebacks.remove(&resp.addr);
                    }
                } else {
                    self.fill(ctx, *resp);
                }
            }
            (p, m) => ctx.abort(format!("unexpected message on port {}: {m:?}", p.0)),
        }
    }

    /// A request finished at this time: its slot is the tag.
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        self.respond(ctx, tag as usize);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        if port == OUT {
            while let Some(r) = self.out_backlog.pop_front() {
                if let Err(Refused(Msg::MemResp(r))) = ctx.send(OUT, Msg::MemResp(Box::new(r))) {
                    self.out_backlog.push_front(*r);
                    return;
                }
            }
        } else {
            while let Some(r) = self.dram_outbox.pop_front() {
                if let Err(Refused(Msg::MemReq(r))) = ctx.send(DRAM_REQ, Msg::MemReq(Box::new(r))) {
                    self.dram_outbox.push_front(*r);
                    return;
                }
            }
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let s = &self.stats;
        stats.counter("hits", s.hits);
        stats.counter("misses", s.misses);
        stats.counter("merged_misses", s.merged_misses);
        stats.counter("line_accesses", s.line_accesses);
        stats.counter("bank_conflicts", s.bank_conflicts);
        stats.histogram("bank_wait_ps", &s.bank_wait_ps);
        for (b, n) in s.bank_accesses.iter().enumerate() {
            stats.counter(&format!("bank.{b}.accesses"), *n);
        }
        stats.counter("fills", s.fills);
        stats.counter("writebacks", s.writebacks);
        stats.counter("evictions", s.evictions);
        stats.counter("bytes_read", s.bytes_read);
        stats.counter("bytes_written", s.bytes_written);
        stats.counter("dram_bytes_read", s.dram_bytes_read);
        stats.counter("dram_bytes_written", s.dram_bytes_written);
        stats.histogram("latency_ps", &s.latency_ps);
        stats.time_average("active", &s.active);
        stats.counter("refused_responses", s.refused_responses);
        self.traffic.write_traffic(stats);
        // The coefficients charged (extents: they do not add across instances) and the
        // model's figures for this geometry.
        let c = &self.costs;
        stats.extent("sram.read_pj_per_byte", c.read_pj_per_byte);
        stats.extent("sram.write_pj_per_byte", c.write_pj_per_byte);
        stats.extent("sram.leakage_mw", c.leakage_mw);
        stats.extent("sram.nominal_v", c.nominal_v);
        let word = f64::from(self.p.bank_bytes_per_cycle);
        stats.extent("cost.read_pj_per_access", self.energy.at_present_voltage(stats, c.read_pj_per_byte * word));
        stats.extent("cost.write_pj_per_access", self.energy.at_present_voltage(stats, c.write_pj_per_byte * word));
        if let Some(m) = &c.model {
            stats.extent("sram.model.read_pj_per_access", m.read_pj_per_access);
            stats.extent("sram.model.write_pj_per_access", m.write_pj_per_access);
            stats.value("area_mm2", m.area_mm2 * self.energy.domain().technology.area);
        }
        self.energy.write_stats(stats);
    }
}
