//! The DVFS unit moves its clock domains between operating points: up after the regulator
//! settles, down at once; unknown points are rejected with the names there are.

use std::sync::{Arc, Mutex};

use components::dvfs_unit::{DvfsParams, DvfsRequest, DvfsUnit, OperatingPoint, Policy};
use components::energy::PowerDomain;
use components::mem::Phase;
use components::Msg;
use sim_core::*;

use crate::support::*;

/// Sends phase changes at given times, and records the core clock's period at each.
struct Phases {
    script: Vec<(u64, Phase)>,
    clock: ClockId,
    seen: Arc<Mutex<Vec<(u64, u64)>>>,
}

impl Component<Msg> for Phases {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("dvfs", "dvfs")]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for (i, (t, _)) in self.script.iter().enumerate() {
            ctx.schedule_at(SimTime(*t), i as u64);
        }
        // Sample the clock every microsecond.
        for k in 1..40u64 {
            ctx.schedule_at(SimTime(k * 1_000_000), 1_000 + k);
        }
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if tag >= 1_000 {
            let now = ctx.now();
            let p = ctx.clock(self.clock).period_at(now).as_ps();
            self.seen.lock().unwrap().push((now.0, p));
        } else {
            let phase = self.script[tag as usize].1;
            ctx.send(PortId(0), Msg::Dvfs(DvfsRequest::Phase(phase))).unwrap();
        }
    }
}

#[test]
fn per_phase_policy_switches_after_the_regulator_settles() {
    let mut b = SimBuilder::<Msg>::new(1);
    let core = b.clock("core_clk", SimDuration::ps(20_000), 0); // 50 MHz
    let sys = b.clock("sys_clk", SimDuration::ps(20_000), 0);
    let points = vec![
        OperatingPoint { name: "op50".into(), periods: vec![20_000, 20_000] },
        OperatingPoint { name: "op100".into(), periods: vec![10_000, 10_000] },
    ];
    let params = DvfsParams {
        domains: vec!["core_clk".into(), "sys_clk".into()],
        initial: "op50".into(),
        policy: Policy::PerPhase,
        phase_points: Default::default(),
        busy_point: None,
        idle_point: None,
        transition_latency_ns: 5_000.0,
        transition_energy_nj: 20.0,
        leakage_mw: 0.0,
        nominal_v: 1.0,
    };
    let mut phase_points = [None; Phase::ALL.len()];
    phase_points[Phase::Fp.index()] = Some(1);
    phase_points[Phase::Wu.index()] = Some(0);
    let domain = PowerDomain::new(core, vec![(20_000, 0.5), (10_000, 0.6)]);
    let dvfs = b.add("dvfs", DvfsUnit::new(&params, vec![core, sys], points, 0, phase_points, None, None, domain));
    let seen = Arc::new(Mutex::new(Vec::new()));
    // FP at 2 us (up: applies after 5 us, at the next edge), WU at 20 us (down: at once).
    let ctl = b.add(
        "ctl",
        Phases { script: vec![(2_000_000, Phase::Fp), (20_000_000, Phase::Wu)], clock: core, seen: seen.clone() },
    );
    b.connect(ctl, "dvfs", dvfs, "ctrl", ChannelSpec::new(SimDuration::ZERO));
    let _ = sys;
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let r = sim.finish();
    let seen = seen.lock().unwrap().clone();
    let period_at = |us: u64| seen.iter().find(|(t, _)| *t == us * 1_000_000).unwrap().1;
    assert_eq!(period_at(6), 20_000, "still settling");
    assert_eq!(period_at(8), 10_000, "100 MHz after 2 + 5 us");
    assert_eq!(period_at(19), 10_000);
    assert_eq!(period_at(21), 20_000, "down at once");
    assert_eq!(r.stats.counter("dvfs.transitions"), Some(2));
    assert_eq!(r.stats.counter("dvfs.residency.op100_ps"), Some(20_000_000 - 7_000_000));
    // Two transitions of 20 nJ each.
    assert_eq!(r.stats.value("dvfs.energy.dynamic_pj"), Some(40_000.0));
}

#[test]
fn unknown_operating_point_names_the_ones_there_are() {
    let out = tasim(&["validate", "tests/data/dvfs/bad_point.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: tests/data/dvfs/bad_point.yaml:16:7: dvfs: unknown operating point `op75`; the domains core_clk all define: op50, op100\n  field: components[0].params.initial\n  fix: did you mean `op50`?"
    );
}
