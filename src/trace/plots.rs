//! SVG plots of the memory-trace reports, drawn with `run --out`'s helpers
//! ([`crate::run_plots`]): for `tasim replay --out`, `bandwidth.svg` (the player's answered
//! bytes and every memory component's traffic over time), `latency_cdf.svg` (the share of
//! requests answered within a latency, from the player's `latency_cdf.<q>_ps` points) and
//! `banks.svg` (bursts per DRAM bank); for `tasim trace stats --out`, `bandwidth.svg` (the
//! bandwidth the trace offers over time) and, with `--topology`, `banks.svg`.

use std::collections::BTreeMap;

use anyhow::Result;
use components::trace::player::LATENCY_CDF_PERMILLE;
use serde_json::Value;

use super::analysis::TraceStats;
use super::replay::Replayed;
use crate::bandwidth_report::{time_points, Bandwidth, BANDWIDTH_AXIS, TIME_AXIS};
use crate::run_plots::{err, lines, stacked};

/// (file name, SVG) pairs.
pub type Plots = Vec<(&'static str, String)>;

/// A `{step_ps, bytes_per_s}` object (the reports' window series) as (µs, GB/s) points.
fn window_points(w: &Value) -> Option<Vec<(f64, f64)>> {
    let step = w["step_ps"].as_u64()?;
    let gbs: Vec<f64> = w["bytes_per_s"].as_array()?.iter().map(|v| v.as_f64().unwrap_or(0.0) / 1e9).collect();
    Some(time_points(step, &gbs))
}

/// Bars of bursts per bank: one group per bank (in the first memory's order), one part per
/// memory.
fn banks_svg(title: &str, per_memory: &[(String, Vec<(String, u64)>)]) -> Result<Option<String>> {
    let mut groups: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
    for (memory, banks) in per_memory {
        for (bank, bursts) in banks {
            let at = match groups.iter().position(|g| &g.0 == bank) {
                Some(i) => i,
                None => {
                    groups.push((bank.clone(), BTreeMap::new()));
                    groups.len() - 1
                }
            };
            groups[at].1.insert(memory.clone(), *bursts as f64);
        }
    }
    if groups.is_empty() {
        return Ok(None);
    }
    Ok(Some(stacked(title, "bursts", &groups).map_err(err("banks"))?))
}

/// The plots of a replay.
pub fn replay_plots(r: &Replayed) -> Result<Plots> {
    let mut out = Plots::new();
    let player = r.json["player"]["name"].as_str().unwrap_or("player").to_string();
    let mut bandwidth = Vec::new();
    if let Some(p) = window_points(&r.json["player"]["windows"]) {
        bandwidth.push((format!("{player} (answered)"), p));
    }
    if let Some(b) = Bandwidth::of_stats(&r.stats) {
        bandwidth.extend(b.points());
    }
    if !bandwidth.is_empty() {
        let svg = lines("Bandwidth over time", TIME_AXIS, BANDWIDTH_AXIS, &bandwidth).map_err(err("bandwidth"))?;
        out.push(("bandwidth.svg", svg));
    }
    let cdf: Vec<(f64, f64)> = LATENCY_CDF_PERMILLE
        .iter()
        .filter_map(|q| {
            let ps = r.stats.value(&format!("{player}.latency_cdf.{q}_ps"))?;
            Some((ps * 1e-3, f64::from(*q) / 1000.0))
        })
        .collect();
    if !cdf.is_empty() {
        let series = [(player.clone(), cdf)];
        let svg = lines("Latency CDF (sent to answered)", "latency (ns)", "share of requests answered", &series)
            .map_err(err("latency CDF"))?;
        out.push(("latency_cdf.svg", svg));
    }
    let per_dram: Vec<(String, Vec<(String, u64)>)> = r.json["drams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let banks = d["banks"].as_array().into_iter().flatten();
            let banks =
                banks.map(|b| (b["bank"].as_str().unwrap_or("").to_string(), b["bursts"].as_u64().unwrap_or(0)));
            (d["name"].as_str().unwrap_or("").to_string(), banks.collect())
        })
        .collect();
    if let Some(svg) = banks_svg("Bursts per DRAM bank (channel.rank.bank)", &per_dram)? {
        out.push(("banks.svg", svg));
    }
    Ok(out)
}

/// The plots of a trace's statistics.
pub fn trace_stats_plots(s: &TraceStats) -> Result<Plots> {
    let mut out = Plots::new();
    if let Some(p) = window_points(&s.json["windows"]) {
        let svg = lines("Bandwidth the trace offers", TIME_AXIS, BANDWIDTH_AXIS, &[("offered".to_string(), p)])
            .map_err(err("bandwidth"))?;
        out.push(("bandwidth.svg", svg));
    }
    if !s.banks.is_empty() {
        let per = [("bursts".to_string(), s.banks.clone())];
        if let Some(svg) = banks_svg("Bursts per DRAM bank (channel.rank.bank)", &per)? {
            out.push(("banks.svg", svg));
        }
    }
    Ok(out)
}
