//! What a replay measured, from its statistics: for each `dram_controller` the commands,
//! row-buffer behaviour, per-bank load, queue, latency, bandwidth against the peak and where
//! the rest of the peak went; for the `trace_player` the slip, end-to-end latency, bandwidth
//! over time and the breakdown by phase and layer.

use std::fmt::Write;

use serde_json::{json, Value};
use sim_core::{HistogramSummary, StatValue, StatsSnapshot};

/// One DRAM controller's figures.
#[derive(Clone, Debug)]
pub struct DramFigures {
    pub name: String,
    pub reads: u64,
    pub writes: u64,
    pub bytes: u64,
    pub bursts: u64,
    pub activates: u64,
    pub precharges: u64,
    pub refreshes: u64,
    pub row_hits: u64,
    pub row_misses: u64,
    pub row_conflicts: u64,
    pub row_hit_rate: f64,
    pub span_ps: u64,
    pub bandwidth: f64,
    pub peak: f64,
    pub channels: usize,
    pub ranks: usize,
    pub bus_busy_ps: u64,
    pub refresh_busy_ps: u64,
    pub queue_mean: f64,
    pub queue_max: f64,
    pub read_latency: HistogramSummary,
    pub write_latency: HistogramSummary,
    /// `(c.r.b, bursts)` per bank.
    pub banks: Vec<(String, u64)>,
}

fn hist(s: &StatsSnapshot, name: &str) -> HistogramSummary {
    match s.get(name) {
        Some(StatValue::Histogram(h)) => h.clone(),
        _ => HistogramSummary { count: 0, mean: 0.0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    }
}

impl DramFigures {
    pub fn from_stats(s: &StatsSnapshot, name: &str) -> Self {
        let c = |k: &str| s.counter(&format!("{name}.{k}")).unwrap_or(0);
        let v = |k: &str| s.value(&format!("{name}.{k}")).unwrap_or(0.0);
        let prefix = format!("{name}.bank.");
        let banks: Vec<(String, u64)> = s
            .with_prefix(&prefix)
            .filter_map(|(k, v)| match v {
                StatValue::Counter(n) => k[prefix.len()..].strip_suffix(".accesses").map(|b| (b.to_string(), *n)),
                _ => None,
            })
            .collect();
        let channel_prefix = format!("{name}.channel.");
        let channels = s.with_prefix(&channel_prefix).filter(|(k, _)| k.ends_with(".bus_busy_ps")).count();
        let bus_busy_ps = s.with_prefix(&channel_prefix).filter_map(|(k, _)| s.counter(k)).sum();
        let ranks =
            banks.iter().filter_map(|(b, _)| b.split('.').nth(1)?.parse::<usize>().ok()).max().map_or(1, |r| r + 1);
        let (queue_mean, queue_max) = match s.get(&format!("{name}.queue_occupancy")) {
            Some(StatValue::TimeAverage { mean, max }) => (*mean, *max),
            _ => (0.0, 0.0),
        };
        DramFigures {
            name: name.to_string(),
            reads: c("reads"),
            writes: c("writes"),
            bytes: c("bytes_read") + c("bytes_written"),
            bursts: c("bursts"),
            activates: c("activates"),
            precharges: c("precharges"),
            refreshes: c("refreshes"),
            row_hits: c("row_hits"),
            row_misses: c("row_misses"),
            row_conflicts: c("row_conflicts"),
            row_hit_rate: v("row_hit_rate"),
            span_ps: v("span_ps") as u64,
            bandwidth: v("bandwidth_bytes_per_s"),
            peak: v("peak_bytes_per_s"),
            channels: channels.max(1),
            ranks,
            bus_busy_ps,
            refresh_busy_ps: c("refresh_busy_ps"),
            queue_mean,
            queue_max,
            read_latency: hist(s, &format!("{name}.read_latency_ps")),
            write_latency: hist(s, &format!("{name}.write_latency_ps")),
            banks,
        }
    }

    /// Where the peak went over the whole run, `[0, end_ps]`, as shares of `end × peak`
    /// (see [`Breakdown`]). Every numerator is measured over that same interval: bytes, bus
    /// and refresh time accrue only inside the run, and `idle_ps` must be the time nothing
    /// was in flight from time zero to the end (see [`idle_over_run`]). A share that still
    /// came out above 1 (a refresh whose tRFC runs past the end) is cut to 1.
    pub fn breakdown(&self, end_ps: u64, idle_ps: u64, rw_switches: u64) -> Breakdown {
        let run = end_ps as f64;
        if run == 0.0 || self.peak == 0.0 {
            return Breakdown { rw_switches, ..Breakdown::default() };
        }
        let share = |x: f64| x.clamp(0.0, 1.0);
        let useful = share(self.bytes as f64 / (run * 1e-12 * self.peak));
        let bus = share(self.bus_busy_ps as f64 / (run * self.channels as f64));
        let partial = share(bus - useful);
        let refresh = share(self.refresh_busy_ps as f64 / (run * (self.channels * self.ranks) as f64));
        let idle = share(idle_ps as f64 / run);
        // Refresh comes every tREFI whatever the traffic, so the part of it that fell while
        // requests were in flight is its share of that time.
        let in_flight = 1.0 - idle;
        let waiting = share(in_flight - bus - refresh * in_flight);
        Breakdown { useful, partial, refresh, idle, waiting, rw_switches }
    }

    pub fn json(&self) -> Value {
        let h = |h: &HistogramSummary| json!({"count": h.count, "mean": h.mean, "p50": h.p50, "p95": h.p95, "p99": h.p99, "max": h.max});
        json!({
            "name": self.name, "reads": self.reads, "writes": self.writes, "bytes": self.bytes,
            "bursts": self.bursts, "activates": self.activates, "precharges": self.precharges,
            "refreshes": self.refreshes, "row_hits": self.row_hits, "row_misses": self.row_misses,
            "row_conflicts": self.row_conflicts, "row_hit_rate": self.row_hit_rate, "span_ps": self.span_ps,
            "bandwidth_bytes_per_s": self.bandwidth, "peak_bytes_per_s": self.peak,
            "efficiency": if self.peak > 0.0 { self.bandwidth / self.peak } else { 0.0 },
            "queue_occupancy": {"mean": self.queue_mean, "max": self.queue_max},
            "read_latency_ps": h(&self.read_latency), "write_latency_ps": h(&self.write_latency),
            "banks": self.banks.iter().map(|(b, n)| json!({"bank": b, "bursts": n})).collect::<Vec<_>>(),
        })
    }
}

/// The time nothing was in flight over `[0, end_ps]`, from the player's statistics: before
/// its first send, its own `idle_ps` (gaps between its first send and last response, over
/// its `span_ps`), and after its last response.
pub fn idle_over_run(end_ps: u64, player_span_ps: u64, player_idle_ps: u64) -> u64 {
    end_ps.saturating_sub(player_span_ps).saturating_add(player_idle_ps).min(end_ps)
}

/// Shares of the peak over the whole run (`end × peak bytes`), each in `[0, 1]` and each
/// measured over that same interval, from the statistics:
/// - `useful`: bytes the requests asked for (the achieved efficiency);
/// - `partial`: data-bus time moving the rest of partially used bursts;
/// - `refresh`: time ranks were blocked by refresh (`refresh_busy_ps` per rank);
/// - `idle`: time no request was in flight at all (the trace asked for nothing);
/// - `waiting`: the rest — requests waited while the data bus was idle: row misses and
///   conflicts (ACT/PRE, tRCD, tRP, tRAS, tFAW), read/write turnarounds (tWTR, tRTW),
///   tCCD and bank conflicts. Its drivers are counted (activates, conflicts, switches), not
///   timed one by one. Refresh may overlap idle time, so the shares are approximate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Breakdown {
    pub useful: f64,
    pub partial: f64,
    pub refresh: f64,
    pub idle: f64,
    pub waiting: f64,
    pub rw_switches: u64,
}

impl Breakdown {
    pub fn json(&self) -> Value {
        json!({"useful": self.useful, "partial_bursts": self.partial, "refresh": self.refresh,
               "idle": self.idle, "waiting_with_requests": self.waiting, "rw_switches": self.rw_switches})
    }
}

fn pct(x: f64) -> String {
    format!("{:5.1}%", 100.0 * x)
}

fn ns(ps: u64) -> String {
    format!("{:.1} ns", ps as f64 / 1e3)
}

/// Text for one DRAM.
pub fn dram_text(d: &DramFigures, b: &Breakdown) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "dram       {}: {} reads, {} writes, {} bytes over {}",
        d.name,
        d.reads,
        d.writes,
        d.bytes,
        ns(d.span_ps)
    );
    let _ = writeln!(
        t,
        "  commands   {} bursts (RD+WR), {} activates, {} precharges, {} refreshes",
        d.bursts, d.activates, d.precharges, d.refreshes
    );
    let _ = writeln!(
        t,
        "  rows       {} hits, {} misses (bank closed), {} conflicts (other row open): row-hit rate {:.1}%",
        d.row_hits,
        d.row_misses,
        d.row_conflicts,
        100.0 * d.row_hit_rate
    );
    let _ = writeln!(
        t,
        "  bandwidth  {:.3} GB/s of {:.3} GB/s peak ({:.1}%), first request to last response",
        d.bandwidth / 1e9,
        d.peak / 1e9,
        100.0 * d.bandwidth / d.peak.max(f64::MIN_POSITIVE)
    );
    let _ = writeln!(t, "  where the peak went (shares of the whole run x peak):");
    let _ = writeln!(t, "    {} data the requests asked for", pct(b.useful));
    let _ = writeln!(t, "    {} rest of partly used bursts", pct(b.partial));
    let _ = writeln!(t, "    {} ranks blocked by refresh", pct(b.refresh));
    let _ = writeln!(t, "    {} nothing in flight (the trace asked for nothing)", pct(b.idle));
    let _ = writeln!(
        t,
        "    {} requests waiting, bus idle: {} activates ({} row conflicts), {} read/write switches",
        pct(b.waiting),
        d.activates,
        d.row_conflicts,
        b.rw_switches
    );
    let _ = writeln!(t, "  queue      {:.2} requests on average, {} at most", d.queue_mean, d.queue_max);
    for (what, h) in [("read", &d.read_latency), ("write", &d.write_latency)] {
        if h.count > 0 {
            let _ = writeln!(
                t,
                "  {what:<5}      latency p50 {} p95 {} p99 {} max {} (arrival to response)",
                ns(h.p50),
                ns(h.p95),
                ns(h.p99),
                ns(h.max)
            );
        }
    }
    let total: u64 = d.banks.iter().map(|b| b.1).sum();
    if total > 0 {
        let (min, max) = d.banks.iter().fold((u64::MAX, 0), |(lo, hi), b| (lo.min(b.1), hi.max(b.1)));
        let mean = total as f64 / d.banks.len() as f64;
        let _ = write!(t, "  banks      {} banks, bursts min {min} mean {mean:.0} max {max}:", d.banks.len());
        for (b, n) in d.banks.iter().take(16) {
            let _ = write!(t, " {b}={n}");
        }
        let _ = writeln!(t, "{}", if d.banks.len() > 16 { " ..." } else { "" });
    }
    t
}

/// A one-line picture of a series (eight levels).
pub fn sparkline(values: &[f64], width: usize) -> String {
    if values.is_empty() {
        return String::new();
    }
    let per = values.len().div_ceil(width.max(1));
    let cols: Vec<f64> = values.chunks(per).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let max = cols.iter().cloned().fold(0.0, f64::max);
    let bars = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    cols.iter().map(|&v| if max == 0.0 { ' ' } else { bars[((v / max) * 7.0).round() as usize] }).collect()
}
