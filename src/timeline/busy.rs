//! Utilisation counters from busy marks ([`components::BUSY_MARK_PREFIX`]): a resource inside
//! a component (a NoC link) says "busy from now for `len` ps", one interval at a time, in
//! time order; a [`BusyTrack`] turns those intervals into the fraction of each counter window
//! the resource was busy. It keeps one open window per resource (bounded memory), writes a
//! value only when it changes (a counter holds its value until the next one), and steps
//! over a run of wholly busy windows at once (its cost is per interval, not per window).
//!
//! The counters' integral over time is the resource's total busy time: the value of window
//! `k` is `busy ps in [k w, (k + 1) w) / w`, held for `w`.

/// One resource's open counter window and the last value written.
#[derive(Debug, Default)]
pub(super) struct BusyTrack {
    /// The open window's index and the busy time in it so far, ps.
    bin: u64,
    busy_ps: u64,
    /// The last value written (none yet): equal values are not written again.
    last: Option<f64>,
}

/// Where counter points go: `(time ps, utilisation in [0, 1])`, only those in the window.
pub(super) struct Points<'a> {
    pub window: (u64, u64),
    pub out: &'a mut Vec<(u64, f64)>,
}

impl BusyTrack {
    /// Adds the interval `[start, start + len)` with counter windows of `w` ps: writes the
    /// windows it completes. `start` must not be before the end of the previous interval.
    pub(super) fn add(&mut self, w: u64, start: u64, len: u64, to: &mut Points<'_>) {
        let end = start.saturating_add(len);
        let mut t = start;
        while t < end {
            let bin = t / w;
            if bin != self.bin {
                self.close(w, bin, to);
            }
            let bin_start = bin * w;
            let bin_end = (bin + 1).saturating_mul(w);
            if t == bin_start && end / w > bin + 1 {
                // Windows bin .. end / w are wholly busy: one value for all of them; the
                // last stays open (its value, 1, is written again only if it changed).
                self.put(bin_start, 1.0, to);
                self.bin = end / w - 1;
                self.busy_ps = w;
                t = self.bin.saturating_add(1).saturating_mul(w);
                continue;
            }
            let upto = end.min(bin_end);
            self.busy_ps += upto - t;
            t = upto;
        }
    }

    /// Writes the open window and a zero after it: the track ends there.
    pub(super) fn finish(&mut self, w: u64, to: &mut Points<'_>) {
        self.close(w, self.bin.saturating_add(2), to);
    }

    /// Writes the open window's value and moves to window `next`; idle windows between
    /// show as one zero.
    fn close(&mut self, w: u64, next: u64, to: &mut Points<'_>) {
        let bin = self.bin;
        self.put(bin.saturating_mul(w), self.busy_ps as f64 / w as f64, to);
        if next > bin + 1 {
            self.put((bin + 1).saturating_mul(w), 0.0, to);
        }
        self.bin = next;
        self.busy_ps = 0;
    }

    fn put(&mut self, t: u64, value: f64, to: &mut Points<'_>) {
        if self.last != Some(value) && t >= to.window.0 && t < to.window.1 {
            to.out.push((t, value));
            self.last = Some(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The points written for `intervals` (start, len) with windows of 10 ps.
    fn points(intervals: &[(u64, u64)], window: (u64, u64)) -> Vec<(u64, f64)> {
        let mut out = Vec::new();
        let mut track = BusyTrack::default();
        let mut to = Points { window, out: &mut out };
        for &(s, l) in intervals {
            track.add(10, s, l, &mut to);
        }
        track.finish(10, &mut to);
        out
    }

    /// The integral of the counter: value times the time to the next point.
    fn integral(p: &[(u64, f64)]) -> f64 {
        p.windows(2).map(|w| w[0].1 * (w[1].0 - w[0].0) as f64).sum()
    }

    #[test]
    fn windows_give_the_busy_fraction() {
        let all = (0, u64::MAX);
        assert_eq!(points(&[(2, 3), (6, 2)], all), [(0, 0.5), (10, 0.0)]);
        // Across a window edge (0.2 twice: written once), a gap of idle windows as one zero.
        assert_eq!(points(&[(8, 4), (45, 5)], all), [(0, 0.2), (20, 0.0), (40, 0.5), (50, 0.0)]);
        // Wholly busy windows are one value; equal values are not repeated.
        assert_eq!(points(&[(5, 1000)], all), [(0, 0.5), (10, 1.0), (1000, 0.5), (1010, 0.0)]);
        assert_eq!(points(&[(0, 10), (10, 10), (20, 5)], all), [(0, 1.0), (20, 0.5), (30, 0.0)]);
    }

    #[test]
    fn the_integral_is_the_busy_time() {
        let intervals = [(3, 4), (7, 30), (50, 1), (51, 200), (300, 9), (1000, 1)];
        let busy: u64 = intervals.iter().map(|i| i.1).sum();
        assert!((integral(&points(&intervals, (0, u64::MAX))) - busy as f64).abs() < 1e-9);
    }

    #[test]
    fn only_the_window_is_written() {
        assert_eq!(points(&[(8, 4), (45, 5)], (10, 45)), [(10, 0.2), (20, 0.0), (40, 0.5)]);
    }
}
