//! Clock domains: cycles to time, with a period that may change while running (DVFS).
//!
//! A domain's rising edges sit at `anchor + k * period`. [`ClockDomain::set_period`] does not
//! move edges that have already happened: the cycle in progress finishes at the old period and
//! the new period applies from the **next edge** on (from `now` itself if `now` is an edge).
//! This is how a PLL or clock divider switches glitch-free, and it keeps every edge on the
//! integer-picosecond grid.

use crate::time::{SimDuration, SimTime};

/// Index of a clock domain in a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockId(pub u32);

/// One clock domain.
#[derive(Clone, Debug)]
pub struct ClockDomain {
    name: String,
    /// An edge of the current segment; edges at `anchor + k * period` for `k >= 0`.
    anchor: u64,
    period: u64,
    /// The segment before `anchor`, still valid for times earlier than `anchor` (a period
    /// change requested between two edges waits for the next edge).
    before: Option<(u64, u64)>,
    /// Every period the clock has had: (time it took effect, period). For exact integrals over
    /// time (leakage energy across DVFS changes) and cycle counts.
    history: Vec<(u64, u64)>,
}

impl ClockDomain {
    /// A domain whose first edge is at time zero.
    ///
    /// # Panics
    /// If `period_ps` is zero (the topology edge validates frequencies before this).
    pub fn new(name: impl Into<String>, period_ps: u64) -> Self {
        assert!(period_ps > 0, "a clock period must be at least 1 ps");
        ClockDomain { name: name.into(), anchor: 0, period: period_ps, before: None, history: vec![(0, period_ps)] }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The period in force at `now`.
    pub fn period_at(&self, now: SimTime) -> SimDuration {
        match self.before {
            Some((_, p)) if now.0 < self.anchor => SimDuration(p),
            _ => SimDuration(self.period),
        }
    }

    /// Frequency in Hz at `now` (for reports).
    pub fn frequency_hz_at(&self, now: SimTime) -> f64 {
        1e12 / self.period_at(now).0 as f64
    }

    /// The duration of `n` cycles at the period in force at `now` (serialisation, pipelines).
    /// Saturates at `u64::MAX` ps (the end of time) instead of wrapping.
    pub fn cycles(&self, now: SimTime, n: u64) -> SimDuration {
        SimDuration(n.saturating_mul(self.period_at(now).0))
    }

    /// The time of the `n`-th edge strictly after `now` (`n >= 1`), honouring a pending
    /// period change. `n = 0` returns `now`. Past the end of time it is [`SimTime::MAX`],
    /// where the kernel schedules nothing.
    pub fn edge_after(&self, now: SimTime, n: u64) -> SimTime {
        if n == 0 {
            return now;
        }
        let t = now.0;
        if let Some((old_anchor, old_period)) = self.before {
            if t < self.anchor {
                // Old edges in (t, anchor]; `anchor` is itself an old edge.
                let first = next_edge_after(old_anchor, old_period, t);
                let old_count = (self.anchor - first) / old_period + 1;
                if n <= old_count {
                    return SimTime(first + (n - 1) * old_period);
                }
                return SimTime(self.anchor.saturating_add((n - old_count).saturating_mul(self.period)));
            }
        }
        let first = next_edge_after(self.anchor, self.period, t);
        SimTime(first.saturating_add((n - 1).saturating_mul(self.period)))
    }

    /// Changes the period; takes effect at the first edge at or after `now`.
    ///
    /// # Panics
    /// If `period_ps` is zero.
    pub fn set_period(&mut self, now: SimTime, period_ps: u64) {
        assert!(period_ps > 0, "a clock period must be at least 1 ps");
        let t = now.0;
        // Forget a segment that is wholly in the past.
        if self.before.is_some() && t >= self.anchor {
            self.before = None;
        }
        let switch_at = match self.before {
            // A change is already pending at `anchor`: replace its new period.
            Some(_) => self.anchor,
            None => {
                let (a, p) = (self.anchor, self.period);
                let e = if t <= a { a } else { a + (t - a).div_ceil(p) * p };
                if e > t {
                    self.before = Some((a, p));
                }
                e
            }
        };
        self.anchor = switch_at;
        self.period = period_ps;
        // A change replacing a pending one supersedes its history entry too.
        self.history.retain(|&(t, _)| t < switch_at);
        self.history.push((switch_at, period_ps));
    }

    /// The periods in force over `[from, to)`, as `(start, end, period_ps)` segments.
    pub fn segments(&self, from: SimTime, to: SimTime) -> Vec<(SimTime, SimTime, u64)> {
        let mut out = Vec::new();
        for (i, &(start, period)) in self.history.iter().enumerate() {
            let end = self.history.get(i + 1).map_or(u64::MAX, |&(t, _)| t);
            let (a, b) = (start.max(from.0), end.min(to.0));
            if a < b {
                out.push((SimTime(a), SimTime(b), period));
            }
        }
        out
    }

    /// Clock cycles (edges) in `[from, to)`, counted across period changes.
    pub fn cycles_between(&self, from: SimTime, to: SimTime) -> u64 {
        self.segments(from, to).iter().map(|&(a, b, p)| (b.0 - a.0) / p).sum()
    }
}

/// First edge strictly after `t` on the grid `anchor + k * period`.
fn next_edge_after(anchor: u64, period: u64, t: u64) -> u64 {
    if t < anchor {
        anchor
    } else {
        anchor.saturating_add(((t - anchor) / period + 1).saturating_mul(period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_on_a_fixed_clock() {
        let c = ClockDomain::new("clk", 1_000);
        assert_eq!(c.edge_after(SimTime(0), 1), SimTime(1_000));
        assert_eq!(c.edge_after(SimTime(999), 1), SimTime(1_000));
        assert_eq!(c.edge_after(SimTime(1_000), 1), SimTime(2_000));
        assert_eq!(c.edge_after(SimTime(1_500), 3), SimTime(4_000));
        assert_eq!(c.cycles(SimTime(0), 7), SimDuration(7_000));
    }

    #[test]
    fn change_between_edges_waits_for_the_next_edge() {
        let mut c = ClockDomain::new("clk", 1_000);
        c.set_period(SimTime(2_500), 500);
        // The cycle in progress ends at 3000 at the old period.
        assert_eq!(c.period_at(SimTime(2_600)), SimDuration(1_000));
        assert_eq!(c.edge_after(SimTime(2_500), 1), SimTime(3_000));
        assert_eq!(c.edge_after(SimTime(2_500), 2), SimTime(3_500));
        assert_eq!(c.edge_after(SimTime(3_000), 1), SimTime(3_500));
        assert_eq!(c.period_at(SimTime(3_000)), SimDuration(500));
    }

    #[test]
    fn change_on_an_edge_applies_at_once() {
        let mut c = ClockDomain::new("clk", 1_000);
        c.set_period(SimTime(2_000), 250);
        assert_eq!(c.edge_after(SimTime(2_000), 1), SimTime(2_250));
        assert_eq!(c.period_at(SimTime(2_000)), SimDuration(250));
    }

    #[test]
    fn second_change_before_the_switch_replaces_the_first() {
        let mut c = ClockDomain::new("clk", 1_000);
        c.set_period(SimTime(100), 500);
        c.set_period(SimTime(200), 2_000);
        assert_eq!(c.edge_after(SimTime(200), 1), SimTime(1_000));
        assert_eq!(c.edge_after(SimTime(200), 2), SimTime(3_000));
        assert_eq!(
            c.segments(SimTime(0), SimTime(5_000)),
            [(SimTime(0), SimTime(1_000), 1_000), (SimTime(1_000), SimTime(5_000), 2_000)]
        );
    }

    #[test]
    fn history_gives_segments_and_cycles() {
        let mut c = ClockDomain::new("clk", 1_000);
        c.set_period(SimTime(2_500), 500); // from 3000
        c.set_period(SimTime(5_000), 2_000); // from 5000
        let segs = c.segments(SimTime(1_000), SimTime(9_000));
        assert_eq!(
            segs,
            [
                (SimTime(1_000), SimTime(3_000), 1_000),
                (SimTime(3_000), SimTime(5_000), 500),
                (SimTime(5_000), SimTime(9_000), 2_000)
            ]
        );
        assert_eq!(c.cycles_between(SimTime(0), SimTime(9_000)), 3 + 4 + 2);
    }
}
