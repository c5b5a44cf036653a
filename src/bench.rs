//! `tasim bench`: PHOLD (benches/PHOLD.md) on the kernel, sequential or partitioned,
//! from ordinary components on a fabric; and any topology file, timed, with the report of
//! how its partitions used their threads (the hook for multi-chip systems).

use std::path::Path;
use std::time::Instant;

use components::phold::{PholdLp, PholdParams, PholdToken};
use sim_core::{
    Report, SimBuilder, SimDuration, SimError, SimTime, StatsSnapshot, SyncReport, ThreadPolicy, Transport,
};

use crate::elaborate::{elaborate, Options};
use crate::error::{InputError, InputErrors};
use crate::topology;

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
    /// Windows, synchronisations and the threads the run chose.
    pub sync: SyncReport,
}

impl PholdResult {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s
    }
}

/// Runs PHOLD with `partitions` contiguous groups of LPs on up to `threads` threads, which
/// the run uses only where they pay (see [`run_phold_with`]).
pub fn run_phold(p: PholdParams, partitions: u32, threads: usize) -> PholdResult {
    run_phold_with(p, partitions, threads, ThreadPolicy::Adaptive)
}

/// [`run_phold`] with a chosen thread policy (`Fixed`: every thread, whatever it costs).
pub fn run_phold_with(p: PholdParams, partitions: u32, threads: usize, policy: ThreadPolicy) -> PholdResult {
    let partitions = u64::from(partitions.max(1)).min(p.lps);
    let mut b = SimBuilder::<PholdToken>::new(p.seed);
    b.threads(threads).thread_policy(policy);
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
    PholdResult { events, kernel_events: report.events, wall_s, threads, stats: report.stats, sync: report.sync }
}

/// What one timed run of a topology measured.
#[derive(Clone, Debug)]
pub struct TopologyResult {
    /// Kernel events (message deliveries, timers, credits).
    pub events: u64,
    /// Seconds of the run itself (elaboration excluded).
    pub wall_s: f64,
    /// Simulated time at the end.
    pub end: SimTime,
    pub stats: StatsSnapshot,
    pub sync: SyncReport,
}

/// Loads the topology at `path` (with `--set` style `overrides`), runs it to its `run` end
/// (or until no event is left) on up to `threads` threads, and times the run.
///
/// # Errors
/// The topology's input errors, and a component's abort as an input error.
pub fn run_topology(
    path: &Path,
    overrides: &[String],
    threads: usize,
    fixed: bool,
) -> Result<TopologyResult, InputErrors> {
    let topo = topology::load(path, overrides)?;
    let mut sim = elaborate(&topo, Options { threads, fixed_threads: fixed, ..Options::default() })?;
    let start = Instant::now();
    sim.run_until(topo.run.end_ps.map_or(SimTime::MAX, SimTime)).map_err(|e| stopped(path, e))?;
    let wall_s = start.elapsed().as_secs_f64();
    Ok(TopologyResult::new(sim.finish(), wall_s))
}

/// [`run_topology`] as one rank of a run over `t.ranks()` processes (one engine each; MPI
/// under `mpirun`), timed from the first window on this rank. The result on rank 0 (whose
/// report holds every rank's statistics and events), `None` on the others.
///
/// # Errors
/// As [`run_topology`].
pub fn run_topology_ranked(
    path: &Path,
    overrides: &[String],
    t: &mut dyn Transport,
) -> Result<Option<TopologyResult>, InputErrors> {
    let topo = topology::load(path, overrides)?;
    let mut sim = elaborate(&topo, Options { threads: t.ranks(), ..Options::default() })?;
    let start = Instant::now();
    sim.run_until_ranked(topo.run.end_ps.map_or(SimTime::MAX, SimTime), t).map_err(|e| stopped(path, e))?;
    let wall_s = start.elapsed().as_secs_f64();
    Ok(sim.finish_ranked(t).map(|report| TopologyResult::new(report, wall_s)))
}

fn stopped(path: &Path, e: SimError) -> InputError {
    InputError::new(format!("{}: the simulation stopped: {e}", path.display()))
}

impl TopologyResult {
    fn new(report: Report, wall_s: f64) -> Self {
        TopologyResult { events: report.events, wall_s, end: report.end, stats: report.stats, sync: report.sync }
    }
}
