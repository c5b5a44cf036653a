//! `tasim bench phold`: PHOLD (benches/PHOLD.md) on the kernel, sequential or
//! partitioned, from ordinary components on a fabric.

use std::time::Instant;

use components::phold::{PholdLp, PholdParams, PholdToken};
use sim_core::{SimBuilder, SimDuration, SimTime, StatsSnapshot};

/// What one PHOLD run measured.
#[derive(Clone, Debug)]
pub struct PholdResult {
    /// Events processed by the LPs (the number PHOLD.md fixes).
    pub events: u64,
    /// Kernel events (equal to `events`: PHOLD uses neither timers nor credits).
    pub kernel_events: u64,
    /// Seconds for initial scheduling plus the event loop (elaboration included).
    pub wall_s: f64,
    pub threads: usize,
    pub stats: StatsSnapshot,
}

impl PholdResult {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s
    }
}

/// Runs PHOLD with `partitions` contiguous groups of LPs on up to `threads` threads.
pub fn run_phold(p: PholdParams, partitions: u32, threads: usize) -> PholdResult {
    let partitions = u64::from(partitions.max(1)).min(p.lps);
    let mut b = SimBuilder::<PholdToken>::new(p.seed);
    b.threads(threads);
    let net = b.fabric("net", SimDuration::ps(p.lookahead_ps));
    for l in 0..p.lps {
        let part = (l * partitions / p.lps) as u32;
        let id = b.add_in(format!("lp{l}"), part, PholdLp::new(p));
        b.attach(net, id, Some("out"), Some("in"));
    }
    let start = Instant::now();
    let mut sim = b.build().expect("the PHOLD netlist is well formed");
    sim.run_until(SimTime::MAX).expect("PHOLD never aborts");
    let wall_s = start.elapsed().as_secs_f64();
    let threads = sim.threads();
    let report = sim.finish();
    let events = (0..p.lps).filter_map(|l| report.stats.counter(&format!("lp{l}.events"))).sum();
    PholdResult { events, kernel_events: report.events, wall_s, threads, stats: report.stats }
}
