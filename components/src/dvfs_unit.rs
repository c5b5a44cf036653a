//! `dvfs_unit`: dynamic voltage and frequency scaling of the chip's clock/power domains.
//!
//! An operating point is a name that every controlled domain defines (a clock's
//! `operating_points` in the topology: frequency and supply voltage). The unit moves all its
//! domains together from one point to another, through the kernel's clock mechanism (a
//! period change takes effect at the domain's next edge), so every component's timing and,
//! through its power domain, its voltage follow.
//!
//! Transitions: raising the frequency must wait for the regulator to raise the voltage, so
//! the new frequency applies `transition_latency_ns` after the decision; lowering applies at
//! once (the voltage follows down afterwards). Each transition costs
//! `transition_energy_nj` (regulator and PLL). Requests arriving during a transition retarget
//! it; at most one transition is in flight.
//!
//! Policies: `fixed` (stay at `initial`), `per_phase` (a point per training phase, from the
//! controller's phase messages on `ctrl`), `race_to_idle` (`busy_point` while the controller
//! reports work, `idle_point` when it reports idle).
//!
//! Statistics: `transitions`, `residency.<point>_ps` (time at each point), and energy.

use serde::{Deserialize, Serialize};
use sim_core::{ClockId, Component, Context, PortId, PortSpec, SimDuration, StatsWriter};

use crate::energy::{EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, Phase};
use crate::param::{self, Declared, ParamDecl, Range};
use crate::Msg;

/// What the controller tells the DVFS unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DvfsRequest {
    /// The training schedule entered this phase.
    Phase(Phase),
    /// Work is pending.
    Busy,
    /// Nothing to do until further notice.
    Idle,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    #[default]
    Fixed,
    PerPhase,
    RaceToIdle,
}

/// Parameters (YAML `params` of a `dvfs_unit`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DvfsParams {
    /// The clocks (power domains) this unit controls; each must define every point named here.
    pub domains: Vec<String>,
    /// Operating point at start: the domains boot there, whatever frequency their clock
    /// declarations give.
    pub initial: String,
    #[serde(default)]
    pub policy: Policy,
    /// `per_phase`: the point for each phase (`load`, `fp`, `loss`, `bp`, `wg`, `wu`); phases
    /// not listed keep the current point.
    #[serde(default)]
    pub phase_points: std::collections::BTreeMap<String, String>,
    /// `race_to_idle`: the points while busy and while idle.
    pub busy_point: Option<String>,
    pub idle_point: Option<String>,
    /// Regulator settling before a higher frequency applies. 5 us: integrated buck/LDO
    /// regulators settle in single microseconds (a 1.16 ms epoch is not dominated by it).
    #[serde(default = "default_latency")]
    pub transition_latency_ns: f64,
    /// Energy per transition (charging the rail, relocking). 20 nJ: C_rail·ΔV² with a few
    /// tens of nF of decoupling and ~0.3 V swings, plus PLL relock.
    #[serde(default = "default_energy")]
    pub transition_energy_nj: f64,
    /// The unit's own leakage (control logic), mW at `nominal_v`.
    #[serde(default)]
    pub leakage_mw: f64,
    #[serde(default = "one")]
    pub nominal_v: f64,
}

impl Declared for DvfsParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "domains",
            default: "",
            range: Range::Other,
            doc: "clocks it controls, at least one; each defines every point used",
        },
        ParamDecl { name: "initial", default: "", range: Range::Other, doc: "operating point at start" },
        ParamDecl { name: "policy", default: "fixed", range: Range::Other, doc: "fixed | per_phase | race_to_idle" },
        ParamDecl {
            name: "phase_points",
            default: "{}",
            range: Range::Other,
            doc: "per_phase: point per phase (load, fp, loss, bp, wg, wu)",
        },
        ParamDecl { name: "busy_point", default: "(none)", range: Range::Other, doc: "race_to_idle: point while busy" },
        ParamDecl { name: "idle_point", default: "(none)", range: Range::Other, doc: "race_to_idle: point while idle" },
        ParamDecl {
            name: "transition_latency_ns",
            default: "5000",
            range: Range::NS,
            doc: "regulator settling before a higher frequency applies; integrated regulators settle in microseconds",
        },
        ParamDecl {
            name: "transition_energy_nj",
            default: "20",
            range: Range::Real { min: 0.0, max: MAX_TRANSITION_ENERGY_NJ, above_min: false },
            doc: "energy per transition: C_rail dV^2 with tens of nF and ~0.3 V swings, plus PLL relock; at most 1 mJ",
        },
        param::leakage_mw("0"),
        param::nominal_v("1.0"),
    ];
}

/// Energy of one transition stops here: 1e6 nJ (1 mJ), five orders of magnitude above an
/// on-chip regulator's tens of nJ; a larger value is a unit mistake.
const MAX_TRANSITION_ENERGY_NJ: f64 = 1e6;

fn default_latency() -> f64 {
    5_000.0
}

fn default_energy() -> f64 {
    20.0
}

fn one() -> f64 {
    1.0
}

/// A resolved operating point: its name and, per domain, (period in ps).
#[derive(Clone, Debug, PartialEq)]
pub struct OperatingPoint {
    pub name: String,
    pub periods: Vec<u64>,
}

const TRANSITION_DONE: u64 = 0;

pub struct DvfsUnit {
    policy: Policy,
    clocks: Vec<ClockId>,
    points: Vec<OperatingPoint>,
    phase_points: [Option<usize>; Phase::ALL.len()],
    busy_point: Option<usize>,
    idle_point: Option<usize>,
    latency_ps: u64,
    energy_pj: f64,
    current: usize,
    target: usize,
    in_transition: bool,
    since: u64,
    residency: Vec<u64>,
    transitions: u64,
    energy: EnergyMeter,
}

impl DvfsUnit {
    /// `points` are resolved by the registry (every domain defines each); indices below refer
    /// to them.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        p: &DvfsParams,
        clocks: Vec<ClockId>,
        points: Vec<OperatingPoint>,
        initial: usize,
        phase_points: [Option<usize>; Phase::ALL.len()],
        busy_point: Option<usize>,
        idle_point: Option<usize>,
        domain: PowerDomain,
    ) -> Self {
        let leakage = Leakage { mw_at_nominal: p.leakage_mw, nominal_v: p.nominal_v, voltage_exponent: 3.0 };
        let n = points.len();
        DvfsUnit {
            policy: p.policy,
            clocks,
            points,
            phase_points,
            busy_point,
            idle_point,
            latency_ps: (p.transition_latency_ns * 1e3).round() as u64,
            energy_pj: p.transition_energy_nj * 1e3,
            current: initial,
            target: initial,
            in_transition: false,
            since: 0,
            residency: vec![0; n],
            transitions: 0,
            energy: EnergyMeter::new(domain, Scope::Chip, leakage),
        }
    }

    fn request(&mut self, ctx: &mut Context<'_, Msg>, target: usize) {
        self.target = target;
        if !self.in_transition && target != self.current {
            self.start(ctx);
        }
    }

    fn start(&mut self, ctx: &mut Context<'_, Msg>) {
        let up = self.points[self.target].periods[0] < self.points[self.current].periods[0];
        self.in_transition = true;
        let delay = if up { self.latency_ps } else { 0 };
        ctx.schedule(SimDuration(delay), TRANSITION_DONE);
    }

    fn apply(&mut self, ctx: &mut Context<'_, Msg>) {
        let now = ctx.now().0;
        self.residency[self.current] += now - self.since;
        self.since = now;
        self.current = self.target;
        for (k, clock) in self.clocks.iter().enumerate() {
            ctx.set_clock_period(*clock, SimDuration(self.points[self.current].periods[k]));
        }
        self.transitions += 1;
        self.energy.at(ctx);
        self.energy.add_pj("transition", self.energy_pj, Cause::new(Phase::Other, Cause::NO_LAYER));
        ctx.mark("dvfs_point", self.current as i64);
        self.mark_point(ctx);
    }

    /// Shows timelines the new point: the first controlled domain's clock (kHz) and the
    /// supply (mV) the unit's power domain gives that period (the paper chip's domains share
    /// one table).
    fn mark_point(&mut self, ctx: &mut Context<'_, Msg>) {
        if ctx.observed() {
            let period = self.points[self.current].periods[0].max(1);
            ctx.mark("clock_khz", (1_000_000_000 / period) as i64);
            let v = self.energy.domain().voltage_at_period(period);
            ctx.mark("voltage_mv", (v * 1e3).round() as i64);
        }
    }
}

impl Component<Msg> for DvfsUnit {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("ctrl", "dvfs").optional()]
    }

    /// The initial point is a boot setting: the domains start there, with no transition.
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for (k, clock) in self.clocks.iter().enumerate() {
            ctx.set_clock_period(*clock, SimDuration(self.points[self.current].periods[k]));
        }
        self.mark_point(ctx);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::Dvfs(req) = msg else {
            ctx.abort(format!("expects DVFS requests, got {msg:?}"));
            return;
        };
        let target = match (self.policy, req) {
            (Policy::PerPhase, DvfsRequest::Phase(p)) => self.phase_points[p.index()],
            (Policy::RaceToIdle, DvfsRequest::Busy) => self.busy_point,
            (Policy::RaceToIdle, DvfsRequest::Idle) => self.idle_point,
            _ => None,
        };
        if let Some(t) = target {
            self.request(ctx, t);
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        self.apply(ctx);
        self.in_transition = false;
        if self.target != self.current {
            self.start(ctx);
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let mut residency = self.residency.clone();
        residency[self.current] += stats.now().0.saturating_sub(self.since);
        stats.counter("transitions", self.transitions);
        for (p, r) in self.points.iter().zip(&residency) {
            stats.counter(&format!("residency.{}_ps", p.name), *r);
        }
        self.energy.write_stats(stats);
    }
}
