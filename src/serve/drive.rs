//! The run in slices: between two, a sample for the page, and the place where pause blocks
//! and stop ends the run.

use std::time::{Duration, Instant};

use anyhow::Result;
use components::Msg;
use sim_core::{RunOutcome, SimTime, Simulation};

use super::feed::{eta, push_point, Live, Point};

/// Runs `sim` to `end` (or to its end) in slices of about the sampling period of wall time,
/// publishing a sample between slices and obeying pause and stop there. `step` runs one
/// slice (`run_until`, with the run's error mapping); `after_slice` runs after each.
///
/// A stop returns [`RunOutcome::ReachedEnd`] at the last slice's end: the run then ends as
/// one given that `--until-ns` would.
pub fn drive(
    live: &Live,
    sim: &mut Simulation<Msg>,
    end: Option<u64>,
    step: &mut dyn FnMut(&mut Simulation<Msg>, SimTime) -> Result<RunOutcome>,
    after_slice: &mut dyn FnMut() -> Result<()>,
) -> Result<RunOutcome> {
    let target = live.sample;
    // Simulated time per slice, adapted so that a slice takes about `target` of wall time.
    let mut width_ps: u64 = 1_000_000;
    let mut last = Sampler { at: Instant::now(), events: 0, totals: [0; 4], now_ps: 0 };
    let mut running = Duration::ZERO;
    loop {
        let from = sim.next_event_time().unwrap_or(sim.now()).as_ps();
        let to = from.saturating_add(width_ps).min(end.unwrap_or(u64::MAX));
        let t0 = Instant::now();
        let outcome = step(sim, SimTime(to))?;
        // Epochs found by `after_slice` are placed at this slice's end.
        live.feed().now_ps = sim.now().as_ps();
        after_slice()?;
        let took = t0.elapsed();
        running += took;
        if took < target / 4 {
            width_ps = width_ps.saturating_mul(2);
        } else if took > target && width_ps > 1_000 {
            width_ps /= 2;
        }
        let finished = outcome != RunOutcome::ReachedEnd || Some(to) == end;
        // Before a pause too, so that the page shows where the run stands still.
        if finished || last.at.elapsed() >= target || live.pause_asked() {
            last.publish(live, sim, running);
        }
        if finished {
            return Ok(outcome);
        }
        let held = Instant::now();
        if live.checkpoint() {
            last.publish(live, sim, running);
            return Ok(RunOutcome::ReachedEnd);
        }
        // A pause is no part of the next sample's events/s.
        last.at += held.elapsed();
    }
}

/// The previous sample, for rates.
struct Sampler {
    at: Instant,
    events: u64,
    totals: [u64; 4],
    now_ps: u64,
}

impl Sampler {
    fn publish(&mut self, live: &Live, sim: &Simulation<Msg>, running: Duration) {
        let (now_ps, events, totals) = (sim.now().as_ps(), sim.events(), live.totals());
        let wall = self.at.elapsed().as_secs_f64().max(1e-9);
        let mut f = live.feed();
        f.now_ps = now_ps;
        f.events = events;
        f.events_per_s = (events - self.events.min(events)) as f64 / wall;
        f.running_s = running.as_secs_f64();
        f.eta_s = eta(&f);
        if now_ps > self.now_ps {
            let d = std::array::from_fn(|i| totals[i].saturating_sub(self.totals[i]));
            push_point(&mut f, Point { from_ps: self.now_ps, to_ps: now_ps, d });
        }
        drop(f);
        live.changed();
        *self = Sampler { at: Instant::now(), events, totals, now_ps };
    }
}
