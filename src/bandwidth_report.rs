//! Bandwidth over time for `run --out`: `bandwidth.csv` and `bandwidth.svg`, from the
//! `traffic.series_bytes` statistic ([`components::windows::TRAFFIC_SERIES`]) of every
//! component that moves bytes: global buffers (bytes read and written by their clients), DRAM
//! controllers (bytes of the requests they take in) and chip links (bytes sent), in the
//! topology's declaration order. The bytes come from the models themselves, in their power
//! windows (1 µs, doubling in long runs so memory stays bounded), so each column's windows
//! times their width add up to the component's byte counters.

use std::fmt::Write;

use anyhow::Result;
use components::windows::TRAFFIC_SERIES;
use sim_core::{StatValue, StatsSnapshot};

use crate::chip_report::coarsened;
use crate::run_plots::{err, lines};
use crate::topology::Topology;

/// Bandwidth per window of every component that moves bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandwidth {
    /// The common window width, ps (the widest any component had to take).
    pub step_ps: u64,
    /// (instance, GB/s (10^9 B/s) per window from time zero), in declaration order.
    pub series: Vec<(String, Vec<f64>)>,
}

impl Bandwidth {
    /// The components of `topo` with a traffic series in `s`; `None` when there is none.
    pub fn of_run(topo: &Topology, s: &StatsSnapshot) -> Option<Bandwidth> {
        Self::of(topo.instances.iter().map(|i| i.name.as_str()), s)
    }

    /// Every component with a traffic series in `s`, in snapshot order (a run without its
    /// topology at hand: a replay).
    pub fn of_stats(s: &StatsSnapshot) -> Option<Bandwidth> {
        let suffix = format!(".{TRAFFIC_SERIES}");
        Self::of(s.iter().filter_map(|(k, _)| k.strip_suffix(suffix.as_str())), s)
    }

    /// The instances `names` that have a traffic series in `s`, in that order.
    fn of<'a>(names: impl Iterator<Item = &'a str>, s: &StatsSnapshot) -> Option<Bandwidth> {
        let found: Vec<(&str, u64, &Vec<f64>)> = names
            .filter_map(|name| match s.get(&format!("{name}.{TRAFFIC_SERIES}")) {
                Some(StatValue::Series { step_ps, values }) => Some((name, (*step_ps).max(1), values)),
                _ => None,
            })
            .collect();
        let step = found.iter().map(|f| f.1).max()?;
        // Bytes per ps × 1e12 = B/s; / 1e9 = GB/s.
        let gbs = 1e3 / step as f64;
        let series = found
            .into_iter()
            .map(|(name, st, values)| {
                let bytes = if st == step { values.clone() } else { coarsened(st, values, step) };
                (name.to_string(), bytes.iter().map(|b| b * gbs).collect())
            })
            .collect();
        Some(Bandwidth { step_ps: step, series })
    }

    /// Windows in the longest series (they all reach the end of the run).
    fn windows(&self) -> usize {
        self.series.iter().map(|(_, v)| v.len()).max().unwrap_or(0)
    }

    /// `time_us` (the window's start), then `<instance>_gb_per_s` per component.
    pub fn csv(&self) -> String {
        let mut out = String::from("time_us");
        for (name, _) in &self.series {
            let _ = write!(out, ",{name}_gb_per_s");
        }
        out.push('\n');
        for i in 0..self.windows() {
            let _ = write!(out, "{}", (i as u64 * self.step_ps) as f64 * 1e-6);
            for (_, v) in &self.series {
                let _ = write!(out, ",{:.9}", v.get(i).copied().unwrap_or(0.0));
            }
            out.push('\n');
        }
        out
    }

    /// Each component's (µs, GB/s) points, a window per point at its start.
    pub fn points(&self) -> Vec<(String, Vec<(f64, f64)>)> {
        self.series.iter().map(|(n, v)| (n.clone(), time_points(self.step_ps, v))).collect()
    }

    /// Bandwidth over time, one line per component.
    pub fn svg(&self) -> Result<String> {
        lines("Bandwidth per component", TIME_AXIS, BANDWIDTH_AXIS, &self.points()).map_err(err("bandwidth"))
    }
}

/// The axes of every bandwidth-over-time plot.
pub const TIME_AXIS: &str = "simulated time (us)";
pub const BANDWIDTH_AXIS: &str = "bandwidth (GB/s)";

/// (µs, value) per window of `step_ps`, at the window's start.
pub fn time_points(step_ps: u64, values: &[f64]) -> Vec<(f64, f64)> {
    let w_us = step_ps as f64 * 1e-6;
    values.iter().enumerate().map(|(k, v)| (k as f64 * w_us, *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_gives_each_windows_start_in_us_and_gb_per_s() {
        // 2 us windows: 4,000 bytes in the first is 2 GB/s.
        let bw =
            Bandwidth { step_ps: 2_000_000, series: vec![("gb".into(), vec![2.0, 0.5]), ("dram".into(), vec![1.0])] };
        assert_eq!(
            bw.csv(),
            "time_us,gb_gb_per_s,dram_gb_per_s\n0,2.000000000,1.000000000\n2,0.500000000,0.000000000\n"
        );
        assert_eq!(time_points(2_000_000, &[2.0, 0.5]), vec![(0.0, 2.0), (2.0, 0.5)]);
        let svg = bw.svg().unwrap();
        assert!(svg.contains(">\ngb\n<") && svg.contains(">\ndram\n<"), "the legend names the components");
    }
}
