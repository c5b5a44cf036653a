//! Progress of a run for people watching it: epochs done of those planned, simulated time,
//! kernel events per second of wall time, and an estimate of the time left. Plain numbers,
//! no terminal: `tasim run` draws them with indicatif (on a terminal only); a live view can
//! send the same [`Snapshot`].
//!
//! The estimate assumes the rest of the run goes as fast as what ran so far: the fraction
//! done is the larger of epochs done over epochs planned and simulated time over the end
//! time (whichever the run has); time left = wall time so far × (1 − f) / f.

use std::time::Instant;

/// Measures a run from its start.
#[derive(Clone, Debug)]
pub struct Progress {
    start: Instant,
    epochs_planned: Option<u64>,
    end_ps: Option<u64>,
}

/// The state of a run at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub epochs_done: u64,
    pub epochs_planned: Option<u64>,
    pub simulated_ps: u64,
    pub events: u64,
    pub wall_s: f64,
    pub events_per_s: f64,
    /// Fraction done, 0..=1, when the run has an end to measure it by.
    pub fraction: Option<f64>,
    /// Estimated wall seconds left (none until some of the run is done).
    pub eta_s: Option<f64>,
}

impl Progress {
    /// A run that plans `epochs_planned` epochs (a training chip) and/or stops at `end_ps`.
    pub fn new(epochs_planned: Option<u64>, end_ps: Option<u64>) -> Self {
        Progress { start: Instant::now(), epochs_planned: epochs_planned.filter(|&n| n > 0), end_ps }
    }

    /// The state after `events` kernel events, at `simulated_ps`, with `epochs_done`.
    pub fn snapshot(&self, simulated_ps: u64, events: u64, epochs_done: u64) -> Snapshot {
        self.snapshot_at(self.start.elapsed().as_secs_f64(), simulated_ps, events, epochs_done)
    }

    fn snapshot_at(&self, wall_s: f64, simulated_ps: u64, events: u64, epochs_done: u64) -> Snapshot {
        let by_epochs = self.epochs_planned.map(|n| epochs_done.min(n) as f64 / n as f64);
        let by_time = self.end_ps.filter(|&e| e > 0).map(|e| simulated_ps.min(e) as f64 / e as f64);
        let fraction = match (by_epochs, by_time) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let eta_s = fraction.filter(|&f| f > 0.0).map(|f| wall_s * (1.0 - f) / f);
        let events_per_s = if wall_s > 0.0 { events as f64 / wall_s } else { 0.0 };
        Snapshot {
            epochs_done,
            epochs_planned: self.epochs_planned,
            simulated_ps,
            events,
            wall_s,
            events_per_s,
            fraction,
            eta_s,
        }
    }
}

impl Snapshot {
    /// One line: `epoch 2/3, simulated 2.360 ms, 2.81 M events/s, about 0.4 s left`.
    pub fn line(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.epochs_planned {
            s.push_str(&format!("epoch {}/{n}, ", self.epochs_done));
        }
        s.push_str(&format!(
            "simulated {}, {:.2} M events/s",
            sim_core::SimTime(self.simulated_ps),
            self.events_per_s / 1e6
        ));
        if let Some(eta) = self.eta_s {
            s.push_str(&format!(", about {} left", human_s(eta)));
        }
        s
    }
}

/// Seconds as `0.4 s`, `12 s`, `3 min 5 s`, `2 h 10 min`.
fn human_s(s: f64) -> String {
    let s = s.max(0.0);
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 60.0 {
        format!("{s:.0} s")
    } else if s < 3600.0 {
        format!("{} min {} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{} h {} min", (s / 3600.0) as u64, ((s % 3600.0) / 60.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_scales_the_time_so_far_by_what_is_left() {
        let p = Progress::new(Some(4), None);
        let s = p.snapshot_at(2.0, 1_000_000, 1_000_000, 1);
        assert_eq!(s.fraction, Some(0.25));
        assert_eq!(s.eta_s, Some(6.0));
        assert_eq!(s.events_per_s, 500_000.0);
        assert_eq!(s.line(), "epoch 1/4, simulated 1 us, 0.50 M events/s, about 6.0 s left");
    }

    #[test]
    fn nothing_done_has_no_estimate_and_the_larger_fraction_wins() {
        let p = Progress::new(Some(10), Some(1_000));
        assert_eq!(p.snapshot_at(1.0, 0, 0, 0).eta_s, None);
        assert_eq!(p.snapshot_at(1.0, 500, 0, 1).fraction, Some(0.5));
        assert_eq!(p.snapshot_at(1.0, 100, 0, 3).fraction, Some(0.3));
        // No plan and no end: no fraction, still a line.
        let open = Progress::new(None, None).snapshot_at(1.0, 5, 7, 0);
        assert_eq!((open.fraction, open.eta_s), (None, None));
        assert!(open.line().starts_with("simulated"));
    }

    #[test]
    fn long_waits_read_in_minutes_and_hours() {
        assert_eq!(human_s(75.0), "1 min 15 s");
        assert_eq!(human_s(7800.0), "2 h 10 min");
        assert_eq!(human_s(-1.0), "0.0 s");
    }
}
