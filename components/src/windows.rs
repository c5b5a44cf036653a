//! Values per window of simulated time in bounded memory: bytes for bandwidth over time,
//! picojoules for power over time, busy picoseconds for idle energy.

use std::ops::Add;

use sim_core::StatsWriter;

/// The statistic of a component's bytes moved per window (`<instance>.traffic.series_bytes`):
/// global buffers, DRAM controllers and chip links write it, `run --out` draws bandwidth from
/// it. Its windows sum to the component's byte counters (each says which).
pub const TRAFFIC_SERIES: &str = "traffic.series_bytes";

/// Values summed per window of `step_ps` from time zero. At most `max` windows are kept:
/// when a time beyond them comes, neighbours merge pairwise and the window doubles, so a run
/// of any length costs at most `max` numbers (and the result is the same whatever the order
/// of the merges: a window is always a sum over an aligned range of time; for floats, the
/// same up to rounding). Idle time costs nothing beyond the windows it spans.
#[derive(Clone, Debug, PartialEq)]
pub struct Windows<T = u64> {
    step_ps: u64,
    max: usize,
    values: Vec<T>,
}

impl<T: Copy + Default + Add<Output = T>> Windows<T> {
    /// Windows of `step_ps` (at least 1 ps), at most `max` of them (at least 2).
    pub fn new(step_ps: u64, max: usize) -> Self {
        Windows { step_ps: step_ps.max(1), max: max.max(2), values: Vec::new() }
    }

    /// Counts `v` at time `t_ps`.
    pub fn add(&mut self, t_ps: u64, v: T) {
        let i = self.index(t_ps);
        self.values[i] = self.values[i] + v;
    }

    /// Adds over `[from_ps, to_ps)`: each window it overlaps receives `part(overlap_ps)`.
    pub fn add_over(&mut self, from_ps: u64, to_ps: u64, mut part: impl FnMut(u64) -> T) {
        if to_ps <= from_ps {
            return;
        }
        self.index(to_ps - 1);
        let s = self.step_ps;
        let mut t = from_ps;
        while t < to_ps {
            let k = t / s;
            let stop = (k + 1).saturating_mul(s).min(to_ps);
            self.values[k as usize] = self.values[k as usize] + part(stop - t);
            t = stop;
        }
    }

    /// Makes sure the windows reach `t_ps` (empty windows up to the end of a run show).
    pub fn extend_to(&mut self, t_ps: u64) {
        if t_ps > 0 {
            self.index(t_ps - 1);
        }
    }

    fn index(&mut self, t_ps: u64) -> usize {
        while t_ps / self.step_ps >= self.max as u64 {
            self.merge();
        }
        let i = (t_ps / self.step_ps) as usize;
        if i >= self.values.len() {
            self.values.resize(i + 1, T::default());
        }
        i
    }

    fn merge(&mut self) {
        self.values = self.values.chunks(2).map(|c| c.iter().fold(T::default(), |a, &b| a + b)).collect();
        self.step_ps = self.step_ps.saturating_mul(2);
    }

    /// Merges until the windows are `step_ps` wide (a power-of-two multiple of today's), so
    /// that series recorded side by side can be added window by window.
    pub fn coarsen_to(&mut self, step_ps: u64) {
        while self.step_ps < step_ps {
            self.merge();
        }
    }

    pub fn step_ps(&self) -> u64 {
        self.step_ps
    }

    /// The value of each window.
    pub fn values(&self) -> &[T] {
        &self.values
    }
}

impl Windows<u64> {
    /// Bytes per window (for windows counting bytes).
    pub fn bytes(&self) -> &[u64] {
        &self.values
    }

    /// Bytes per second in each window.
    pub fn rates(&self) -> Vec<f64> {
        let s = self.step_ps as f64 * 1e-12;
        self.values.iter().map(|&b| b as f64 / s).collect()
    }

    /// Writes these windows (of bytes), reaching the end of the run, as [`TRAFFIC_SERIES`].
    /// Exact as long as a window holds under 2^53 bytes (f64 integers).
    pub fn write_traffic(&self, stats: &mut StatsWriter<'_>) {
        let mut w = self.clone();
        w.extend_to(stats.now().0);
        stats.series(TRAFFIC_SERIES, w.step_ps, w.values.iter().map(|&b| b as f64).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_land_in_their_window() {
        let mut w = Windows::new(10, 100);
        w.add(0, 1);
        w.add(9, 2);
        w.add(10, 4);
        w.add(35, 8);
        assert_eq!(w.bytes(), &[3, 4, 0, 8]);
        assert_eq!(w.rates()[1], 4.0 / 10e-12);
    }

    #[test]
    fn windows_double_instead_of_growing_past_the_limit() {
        let mut w = Windows::new(10, 4);
        for t in (0..80).step_by(10) {
            w.add(t, 1);
        }
        assert_eq!((w.step_ps(), w.bytes()), (20, &[2u64, 2, 2, 2][..]));
        // Merging first or counting in wide windows from the start is the same thing.
        let mut wide = Windows::new(20, 4);
        for t in (0..80).step_by(10) {
            wide.add(t, 1);
        }
        assert_eq!(w, wide);
        w.add(1000, 5);
        assert!(w.bytes().len() <= 4 && w.bytes().iter().sum::<u64>() == 13);
    }

    #[test]
    fn extend_to_shows_empty_windows_up_to_the_end() {
        let mut w = Windows::new(10, 100);
        w.add(5, 1);
        w.extend_to(40);
        assert_eq!(w.bytes(), &[1, 0, 0, 0]);
    }

    #[test]
    fn add_over_splits_by_overlap_and_stays_bounded_for_any_time() {
        let mut w: Windows<u64> = Windows::new(10, 8);
        w.add_over(5, 25, |d| d);
        assert_eq!(w.values(), &[5, 10, 5]);
        // A span ending near the end of time: a handful of numbers, no wrap-around.
        w.add_over(u64::MAX - 10, u64::MAX, |d| d);
        assert!(w.values().len() <= 8);
        assert_eq!(w.values().iter().sum::<u64>(), 30);
        let mut e: Windows<f64> = Windows::new(10, 8);
        e.add_over(0, 40, |d| 4.0 * d as f64 / 40.0);
        e.coarsen_to(20);
        assert_eq!((e.step_ps(), e.values()), (20, &[2.0, 2.0][..]));
    }
}
