//! `tasim trace stats TRACE`: what a trace asks of memory, without simulating it — volume,
//! read/write mix, sizes, bandwidth offered over time against the recorded DRAM's peak,
//! inter-arrival times, footprint and reuse, per issuer and target, per phase and layer, and
//! (given a memory topology) the load it puts on each bank. One pass, bounded memory: the
//! footprint costs one bit per line touched, grouped by 64 lines, or one range for whole
//! groups a large request touches; every request costs the same whatever its size
//! ([`super::spans`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use components::dram::Config;
use components::mem::Cause;
use components::trace::Windows;
use serde_json::{json, Value};
use sim_core::{Histogram, HistogramSummary};

use super::memory_report::sparkline;
use super::spans::{BankCounter, Footprint};
use super::{TraceReader, TraceRecord};
use crate::error::InputError;

/// Options of the analysis.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Initial bandwidth window (windows double beyond 1024).
    pub window_ps: u64,
    /// Line size for footprint and reuse.
    pub line_bytes: u64,
}

#[derive(Default, Clone, Copy)]
struct Count {
    requests: u64,
    reads: u64,
    writes: u64,
    bytes: u64,
    bytes_written: u64,
}

impl Count {
    fn add(&mut self, r: &TraceRecord) {
        self.requests += 1;
        self.bytes += u64::from(r.bytes);
        if r.write {
            self.writes += 1;
            self.bytes_written += u64::from(r.bytes);
        } else {
            self.reads += 1;
        }
    }
    fn json(&self) -> Value {
        json!({"requests": self.requests, "reads": self.reads, "writes": self.writes, "bytes": self.bytes})
    }
}

/// The figures of one trace.
pub struct TraceStats {
    pub text: String,
    pub json: Value,
    /// `start_ps,end_ps,bytes_per_s` per window.
    pub windows_csv: String,
    /// `phase,layer,requests,reads,writes,bytes`.
    pub causes_csv: String,
    /// `bank,bursts`, when a memory was given.
    pub banks_csv: Option<String>,
    /// (bank as `channel.rank.bank`, bursts), when a memory was given.
    pub banks: Vec<(String, u64)>,
}

fn summary(h: &Histogram) -> Value {
    let s = HistogramSummary::from(h);
    json!({"count": s.count, "mean": s.mean, "p50": s.p50, "p95": s.p95, "p99": s.p99, "max": s.max})
}

/// Reads every record of `reader` and sums it up; `memory`, when given, maps addresses to
/// banks (the first `dram_controller` of a memory topology).
pub fn analyse(reader: &mut dyn TraceReader, opts: Options, memory: Option<&Config>) -> Result<TraceStats, InputError> {
    let h = reader.header().clone();
    let line = opts.line_bytes.max(1);
    let mut all = Count::default();
    let mut by_issuer: BTreeMap<u32, Count> = BTreeMap::new();
    let mut by_target: BTreeMap<u32, Count> = BTreeMap::new();
    let mut by_cause: BTreeMap<(usize, u16), Count> = BTreeMap::new();
    let (mut sizes, mut gaps, mut leads) = (Histogram::new(), Histogram::new(), Histogram::new());
    let mut windows = Windows::new(opts.window_ps, 1024);
    let mut footprint = Footprint::default();
    let mut banks = memory.map(BankCounter::new);
    let (mut first, mut last, mut switches, mut prev_write) = (None, 0u64, 0u64, None);
    while let Some(r) = reader.next_record()? {
        all.add(&r);
        by_issuer.entry(r.issuer).or_default().add(&r);
        by_target.entry(r.target).or_default().add(&r);
        by_cause.entry((r.cause.phase.index(), r.cause.layer)).or_default().add(&r);
        sizes.record(u64::from(r.bytes));
        leads.record(r.time_ps - r.issue_ps);
        if first.is_some() {
            gaps.record(r.time_ps - last);
        }
        first.get_or_insert(r.time_ps);
        last = r.time_ps;
        windows.add(r.time_ps, u64::from(r.bytes));
        if prev_write.is_some_and(|w| w != r.write) {
            switches += 1;
        }
        prev_write = Some(r.write);
        let end = r.addr.saturating_add(u64::from(r.bytes).max(1));
        footprint.touch(r.addr / line, end.div_ceil(line));
        if let Some(b) = &mut banks {
            b.add(r.addr, end);
        }
    }
    let end = reader.end();
    let first = first.unwrap_or(0);
    let active_ps = last - first;
    let offered = if active_ps == 0 { 0.0 } else { all.bytes as f64 / (active_ps as f64 * 1e-12) };
    let footprint_lines = footprint.lines();
    let (line_touches, reused) = (footprint.touches, footprint.reused);
    let reuse = if line_touches == 0 { 0.0 } else { reused as f64 / line_touches as f64 };
    let banks: Vec<u64> = banks.map(|b| b.counts).unwrap_or_default();
    if let Some(e) = end {
        windows.extend_to(e.ps);
    }
    let rates = windows.rates();
    let busiest = rates.iter().cloned().fold(0.0, f64::max);
    let peak = h.peak_bytes_per_s;

    let mut t = String::new();
    let _ = writeln!(t, "trace      recorded from {}", h.topology);
    let _ = writeln!(
        t,
        "records    {} ({} reads, {} writes: {:.1}% reads)",
        all.requests,
        all.reads,
        all.writes,
        100.0 * all.reads as f64 / all.requests.max(1) as f64
    );
    let _ =
        writeln!(t, "bytes      {} ({} read, {} written)", all.bytes, all.bytes - all.bytes_written, all.bytes_written);
    let s = HistogramSummary::from(&sizes);
    let _ = writeln!(t, "sizes      min {} p50 {} max {} bytes", s.min, s.p50, s.max);
    let end_txt = end.map_or("not recorded (not from a run)".to_string(), |e| {
        format!("{} ps ({})", e.ps, if e.inclusive { "ran out" } else { "cut" })
    });
    let _ = writeln!(t, "time       first {first} ps, last {last} ps, run ended at {end_txt}");
    let _ = write!(t, "offered    {:.3} GB/s between the first and last record", offered / 1e9);
    if peak > 0.0 {
        let _ = write!(t, ": {:.1}% of the recorded DRAM's {:.1} GB/s peak", 100.0 * offered / peak, peak / 1e9);
    }
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "over time  {} windows of {:.1} ns, busiest {:.3} GB/s  {}",
        rates.len(),
        windows.step_ps() as f64 / 1e3,
        busiest / 1e9,
        sparkline(&rates, 48)
    );
    let g = HistogramSummary::from(&gaps);
    let _ = writeln!(t, "gaps       between arrivals p50 {} p95 {} p99 {} max {} ps", g.p50, g.p95, g.p99, g.max);
    let l = HistogramSummary::from(&leads);
    let _ = writeln!(t, "last hop   send to arrival p50 {} max {} ps", l.p50, l.max);
    let _ = writeln!(
        t,
        "footprint  {} lines of {line} bytes = {} bytes; {:.1}% of line touches reuse a line touched before",
        footprint_lines,
        footprint_lines * line,
        100.0 * reuse
    );
    let _ = writeln!(t, "switches   {switches} between reads and writes, in arrival order");
    for (what, map) in [("issuers", &by_issuer), ("targets", &by_target)] {
        let list: Vec<String> =
            map.iter().map(|(i, c)| format!("{} {} ({} B)", h.name(*i), c.requests, c.bytes)).collect();
        let _ = writeln!(t, "{what:<10} {}", list.join(", "));
    }
    let cause_name = |(p, l): &(usize, u16)| {
        let phase = components::mem::Phase::ALL[*p].name();
        if *l == Cause::NO_LAYER {
            format!("{phase}.none")
        } else {
            format!("{phase}.{l}")
        }
    };
    let _ = writeln!(t, "by phase and layer (requests, reads, writes, bytes, share of bytes)");
    for (k, c) in &by_cause {
        let share = 100.0 * c.bytes as f64 / all.bytes.max(1) as f64;
        let _ = writeln!(
            t,
            "  {:<12} {:>10} {:>10} {:>10} {:>12} {share:5.1}%",
            cause_name(k),
            c.requests,
            c.reads,
            c.writes,
            c.bytes
        );
    }
    let mut bank_load = Vec::new();
    let banks_csv = memory.map(|m| {
        let g = &m.geometry;
        let total: u64 = banks.iter().sum();
        let mean = total as f64 / banks.len().max(1) as f64;
        let max = banks.iter().copied().max().unwrap_or(0);
        let _ = writeln!(
            t,
            "banks      {} bursts over {} banks: mean {mean:.0}, busiest {max} ({:.2}x the mean)",
            total,
            banks.len(),
            max as f64 / mean.max(f64::MIN_POSITIVE)
        );
        let mut csv = String::from("bank,bursts\n");
        for (i, n) in banks.iter().enumerate() {
            let (c, r, b) = (i as u32 / (g.ranks * g.banks), i as u32 / g.banks % g.ranks, i as u32 % g.banks);
            csv += &format!("{c}.{r}.{b},{n}\n");
            bank_load.push((format!("{c}.{r}.{b}"), *n));
        }
        csv
    });
    let mut windows_csv = String::from("start_ps,end_ps,bytes_per_s\n");
    for (i, r) in rates.iter().enumerate() {
        let s = windows.step_ps();
        windows_csv += &format!("{},{},{r}\n", i as u64 * s, (i as u64 + 1) * s);
    }
    let mut causes_csv = String::from("phase,layer,requests,reads,writes,bytes\n");
    for (k, c) in &by_cause {
        let name = cause_name(k);
        let (p, l) = name.split_once('.').expect("phase.layer");
        causes_csv += &format!("{p},{l},{},{},{},{}\n", c.requests, c.reads, c.writes, c.bytes);
    }
    let named = |m: &BTreeMap<u32, Count>| {
        m.iter().map(|(i, c)| (h.name(*i).to_string(), c.json())).collect::<serde_json::Map<_, _>>()
    };
    let json = json!({
        "topology": h.topology,
        "records": all.requests, "reads": all.reads, "writes": all.writes, "bytes": all.bytes,
        "first_ps": first, "last_ps": last, "end_ps": end.map(|e| e.ps), "end_inclusive": end.map(|e| e.inclusive),
        "offered_bytes_per_s": offered, "peak_bytes_per_s": peak,
        "sizes": summary(&sizes), "gaps_ps": summary(&gaps), "last_hop_ps": summary(&leads),
        "windows": {"step_ps": windows.step_ps(), "bytes_per_s": rates},
        "footprint_lines": footprint_lines, "line_bytes": line, "footprint_bytes": footprint_lines * line,
        "line_touches": line_touches, "reused_line_touches": reused, "reuse": reuse,
        "rw_switches": switches,
        "issuers": named(&by_issuer), "targets": named(&by_target),
        "causes": by_cause.iter().map(|(k, c)| { let mut j = c.json(); j["cause"] = json!(cause_name(k)); j }).collect::<Vec<_>>(),
        "banks": if memory.is_some() { json!(banks) } else { Value::Null },
    });
    Ok(TraceStats { text: t, json, windows_csv, causes_csv, banks_csv, banks: bank_load })
}
