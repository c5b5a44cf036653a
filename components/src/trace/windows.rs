//! Bytes per time window in bounded memory, for bandwidth over time.

/// Bytes counted per window of `step_ps` from time zero. At most `max` windows are kept:
/// when a time beyond them comes, neighbours merge pairwise and the window doubles, so a run
/// of any length costs at most `max` numbers (and the result is the same whatever the order
/// of the merges: a window is always a sum over an aligned range of time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Windows {
    step_ps: u64,
    max: usize,
    values: Vec<u64>,
}

impl Windows {
    /// Windows of `step_ps` (at least 1 ps), at most `max` of them (at least 2).
    pub fn new(step_ps: u64, max: usize) -> Self {
        Windows { step_ps: step_ps.max(1), max: max.max(2), values: Vec::new() }
    }

    /// Counts `bytes` at time `t_ps`.
    pub fn add(&mut self, t_ps: u64, bytes: u64) {
        let i = self.index(t_ps);
        self.values[i] += bytes;
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
            self.values.resize(i + 1, 0);
        }
        i
    }

    fn merge(&mut self) {
        self.values = self.values.chunks(2).map(|c| c.iter().sum()).collect();
        self.step_ps *= 2;
    }

    pub fn step_ps(&self) -> u64 {
        self.step_ps
    }

    /// Bytes per window.
    pub fn bytes(&self) -> &[u64] {
        &self.values
    }

    /// Bytes per second in each window.
    pub fn rates(&self) -> Vec<f64> {
        let s = self.step_ps as f64 * 1e-12;
        self.values.iter().map(|&b| b as f64 / s).collect()
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
}
