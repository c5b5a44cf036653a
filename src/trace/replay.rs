//! `tasim replay TRACE --topology MEM.yaml`: a trace into a memory-only topology through its
//! `trace_player`, with a progress bar, and the report of what the memory did.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use serde_yaml::Value as Yaml;
use sim_core::{RunOutcome, SimTime, StatValue, StatsSnapshot};

use super::memory_report::{dram_text, idle_over_run, sparkline, Breakdown, DramFigures};
use super::open::{open, Assume, Format, Source};
use crate::elaborate::{elaborate, Options};
use crate::error::InputError;
use crate::output::OutDir;
use crate::report;
use crate::topology::{self, Topology};

/// What `tasim replay` was asked.
#[derive(Clone, Debug)]
pub struct Request {
    pub trace: PathBuf,
    pub topology: PathBuf,
    pub set: Vec<String>,
    pub from: Option<Format>,
    pub assume: Assume,
    /// Overrides of the player's parameters: mode, max_outstanding, drain, window_ns.
    pub player: Vec<(&'static str, Yaml)>,
    pub out: Option<PathBuf>,
}

/// The outcome: the text summary, the JSON summary, every statistic.
pub struct Replayed {
    pub text: String,
    pub json: Value,
    pub stats: StatsSnapshot,
    pub end: SimTime,
}

/// The one `trace_player` of `topo`, with the overrides applied.
fn player<'a>(topo: &'a mut Topology, file: &Path, overrides: &[(&'static str, Yaml)]) -> Result<&'a str, InputError> {
    let players: Vec<usize> = (0..topo.instances.len()).filter(|&i| topo.instances[i].kind == "trace_player").collect();
    let &[i] = players.as_slice() else {
        let msg = match players.len() {
            0 => "the topology has no trace_player to replay the trace".to_string(),
            n => format!("the topology has {n} trace_players; a replay feeds one"),
        };
        return Err(InputError::new(msg)
            .in_file(file)
            .fix("add one component of type trace_player wired to the memory (see topologies/memory/)"));
    };
    let inst = &mut topo.instances[i];
    if !overrides.is_empty() {
        if inst.params.is_null() {
            inst.params = Yaml::Mapping(Default::default());
        }
        let Some(map) = inst.params.as_mapping_mut() else {
            return Err(inst.param_error("", "`params` must be a mapping"));
        };
        for (k, v) in overrides {
            map.insert(Yaml::String((*k).to_string()), v.clone());
        }
    }
    Ok(&topo.instances[i].name)
}

/// Runs the replay.
pub fn replay(req: &Request) -> Result<Replayed> {
    let reader = open(&req.trace, req.from, req.assume)?;
    let header = reader.header().clone();
    let mut topo = topology::load(&req.topology, &req.set)?;
    let player_name = player(&mut topo, &req.topology, &req.player)?.to_string();
    let source = Source::new(reader);
    let read = source.read.clone();
    let slot: components::trace::SourceSlot = Arc::new(Mutex::new(Some(Box::new(source))));
    let mut sim = elaborate(&topo, Options { trace: Some(slot), ..Options::default() })?;
    // A run that was cut at its end is cut there again, events at the end not processed
    // (the player only keeps such a run alive); other ends the player stops itself.
    let p = &topo.instances.iter().find(|i| i.name == player_name).expect("found above").params;
    let timing = p.get("mode").and_then(Yaml::as_str).is_none_or(|m| m == "timing");
    let drain = p.get("drain").and_then(Yaml::as_bool).unwrap_or(false);
    let targets: Vec<String> = p
        .get("targets")
        .and_then(Yaml::as_sequence)
        .map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let cut = header.end.filter(|e| timing && !drain && !e.inclusive).map(|e| e.ps);

    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        match header.records {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        }
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records, simulated {msg} [{elapsed} < {eta}]")
            .expect("valid template"),
    );
    let outcome = loop {
        // Slices of simulated time keep the bar moving; slicing does not change the run.
        // With no event left, one more call still reports an abort (even one from `init`).
        let mut until = sim.next_event_time().map_or(sim.now().as_ps(), |t| t.as_ps().saturating_add(10_000_000));
        if let Some(c) = cut {
            until = until.min(c);
        }
        let outcome = sim.run_until(SimTime(until)).map_err(|e| InputError::new(format!("the replay stopped: {e}")))?;
        bar.set_position(read.load(Ordering::Relaxed));
        bar.set_message(format!("{}", sim.now()));
        if outcome != RunOutcome::ReachedEnd || cut.is_some_and(|c| until >= c) {
            break outcome;
        }
    };
    bar.finish_and_clear();
    let report = sim.finish();
    let drams: Vec<String> =
        topo.instances.iter().filter(|i| i.kind == "dram_controller").map(|i| i.name.clone()).collect();
    let (text, json) =
        summarise(req, &header.topology, (&player_name, &targets), &drams, &report.stats, report.end, outcome, timing);
    Ok(Replayed { text, json, stats: report.stats, end: report.end })
}

fn counter(s: &StatsSnapshot, name: &str) -> u64 {
    s.counter(name).unwrap_or(0)
}

fn hist_json(s: &StatsSnapshot, name: &str) -> Value {
    match s.get(name) {
        Some(StatValue::Histogram(h)) => {
            json!({"count": h.count, "mean": h.mean, "p50": h.p50, "p95": h.p95, "p99": h.p99, "max": h.max})
        }
        _ => Value::Null,
    }
}

fn ns(ps: u64) -> String {
    format!("{:.1} ns", ps as f64 / 1e3)
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    req: &Request,
    recorded: &str,
    (player, targets): (&str, &[String]),
    drams: &[String],
    s: &StatsSnapshot,
    end: SimTime,
    outcome: RunOutcome,
    timing: bool,
) -> (String, Value) {
    use std::fmt::Write;
    let pc = |k: &str| counter(s, &format!("{player}.{k}"));
    let mut t = String::new();
    let mode = if timing { "timing-preserving" } else { "as fast as possible" };
    let _ = writeln!(t, "replay     {} ({recorded}) on {}, {mode}", req.trace.display(), req.topology.display());
    let how = match outcome {
        RunOutcome::Stopped => "at the recorded end",
        RunOutcome::Idle => "every request answered",
        RunOutcome::ReachedEnd => "cut at the recorded end",
    };
    let _ = writeln!(t, "simulated  {end} ({how})");
    let _ = writeln!(
        t,
        "player     {} records: {} sent ({} reads, {} writes), {} answered, {} unanswered, {} never sent",
        pc("records"),
        pc("issued"),
        pc("reads"),
        pc("writes"),
        pc("completed"),
        pc("unanswered"),
        pc("not_issued")
    );
    if pc("skipped") > 0 || !targets.is_empty() {
        let _ = writeln!(
            t,
            "  level    replayed the requests to {}; skipped {} records to other memories",
            if targets.is_empty() { "the trace's one target".to_string() } else { targets.join(", ") },
            pc("skipped")
        );
    }
    if let Some(StatValue::Histogram(h)) = s.get(&format!("{player}.latency_ps")) {
        let _ = writeln!(
            t,
            "  latency  p50 {} p95 {} p99 {} max {} (sent to answered)",
            ns(h.p50),
            ns(h.p95),
            ns(h.p99),
            ns(h.max)
        );
    }
    if timing {
        match s.get(&format!("{player}.lateness_ps")) {
            Some(StatValue::Histogram(h)) if h.count > 0 => {
                let _ = writeln!(
                    t,
                    "  slip     {} records sent late (backpressure): by p50 {} p95 {} p99 {} max {}",
                    h.count,
                    ns(h.p50),
                    ns(h.p95),
                    ns(h.p99),
                    ns(h.max)
                );
            }
            _ => {
                let _ = writeln!(t, "  slip     none: every record was sent at its recorded time");
            }
        }
    }
    let windows = match s.get(&format!("{player}.window_bytes_per_s")) {
        Some(StatValue::Series { step_ps, values }) => Some((*step_ps, values.clone())),
        _ => None,
    };
    if let Some((step, values)) = &windows {
        let peak = values.iter().cloned().fold(0.0, f64::max);
        let _ = writeln!(
            t,
            "  over time {} windows of {}: busiest {:.3} GB/s  {}",
            values.len(),
            ns(*step),
            peak / 1e9,
            sparkline(values, 48)
        );
    }
    let mut dram_json = Vec::new();
    for name in drams {
        let d = DramFigures::from_stats(s, name);
        let span = s.value(&format!("{player}.span_ps")).unwrap_or(0.0) as u64;
        let idle = idle_over_run(end.as_ps(), span, pc("idle_ps"));
        let b: Breakdown = d.breakdown(end.as_ps(), idle, pc("rw_switches"));
        let _ = write!(t, "\n{}", dram_text(&d, &b));
        let mut j = d.json();
        j["breakdown"] = b.json();
        dram_json.push(j);
    }
    let prefix = format!("{player}.cause.");
    let mut causes = Vec::new();
    for (k, v) in s.with_prefix(&prefix) {
        if let (Some(key), StatValue::Counter(n)) = (k[prefix.len()..].strip_suffix(".requests"), v) {
            let bytes = counter(s, &format!("{prefix}{key}.bytes"));
            let lat = hist_json(s, &format!("{prefix}{key}.latency_ps"));
            causes.push((key.to_string(), *n, bytes, lat));
        }
    }
    if !causes.is_empty() {
        let _ = writeln!(t, "\nby phase and layer (answered requests, bytes, mean and p99 latency)");
        for (key, n, bytes, lat) in &causes {
            let (mean, p99) = (lat["mean"].as_f64().unwrap_or(0.0), lat["p99"].as_u64().unwrap_or(0));
            let _ = writeln!(t, "  {key:<12} {n:>10} {bytes:>12} B  {:>10.1} ns {:>10}", mean / 1e3, ns(p99));
        }
    }
    let json = json!({
        "trace": req.trace.display().to_string(),
        "recorded_topology": recorded,
        "topology": req.topology.display().to_string(),
        "mode": if timing { "timing" } else { "afap" },
        "end_ps": end.as_ps(),
        "outcome": how,
        "player": {
            "name": player,
            "records": pc("records"), "issued": pc("issued"), "completed": pc("completed"),
            "unanswered": pc("unanswered"), "not_issued": pc("not_issued"), "late": pc("late"),
            "skipped": pc("skipped"), "targets": targets,
            "lateness_ps": hist_json(s, &format!("{player}.lateness_ps")),
            "latency_ps": hist_json(s, &format!("{player}.latency_ps")),
            "idle_ps": pc("idle_ps"), "rw_switches": pc("rw_switches"),
            "bandwidth_bytes_per_s": s.value(&format!("{player}.bandwidth_bytes_per_s")).unwrap_or(0.0),
            "windows": windows.as_ref().map(|(step, v)| json!({"step_ps": step, "bytes_per_s": v})),
        },
        "drams": dram_json,
        "causes": causes.iter().map(|(k, n, b, l)| json!({"cause": k, "requests": n, "bytes": b, "latency_ps": l})).collect::<Vec<_>>(),
    });
    (t, json)
}

/// Writes `replay.json`, `stats.json`, `stats.csv`, `bandwidth.csv`, `banks.csv`,
/// `causes.csv` and the plots ([`super::plots`]) into `dir` (each atomically); returns their
/// names.
pub fn write_out(dir: &Path, r: &Replayed) -> Result<Vec<&'static str>> {
    // Complete or absent: all six files are written aside, then moved in.
    let mut files = OutDir::new();
    files.add("replay.json", serde_json::to_string_pretty(&r.json)?);
    let stats = json!({"end_ps": r.end.as_ps(), "stats": report::stats_json(&r.stats)});
    files.add("stats.json", serde_json::to_string_pretty(&stats)?);
    files.add("stats.csv", report::stats_csv(&r.stats));
    let mut bw = String::from("start_ps,end_ps,bytes_per_s\n");
    if let Some(w) = r.json["player"]["windows"].as_object() {
        let step = w["step_ps"].as_u64().unwrap_or(0);
        for (i, v) in w["bytes_per_s"].as_array().into_iter().flatten().enumerate() {
            bw += &format!("{},{},{}\n", i as u64 * step, (i as u64 + 1) * step, v);
        }
    }
    files.add("bandwidth.csv", bw);
    let mut banks = String::from("dram,bank,bursts\n");
    for d in r.json["drams"].as_array().into_iter().flatten() {
        for b in d["banks"].as_array().into_iter().flatten() {
            banks +=
                &format!("{},{},{}\n", d["name"].as_str().unwrap_or(""), b["bank"].as_str().unwrap_or(""), b["bursts"]);
        }
    }
    files.add("banks.csv", banks);
    let mut causes = String::from("phase,layer,requests,bytes,latency_mean_ps,latency_p99_ps\n");
    for c in r.json["causes"].as_array().into_iter().flatten() {
        let (phase, layer) = c["cause"].as_str().unwrap_or(".").split_once('.').unwrap_or(("", ""));
        let l = &c["latency_ps"];
        causes += &format!("{phase},{layer},{},{},{},{}\n", c["requests"], c["bytes"], l["mean"], l["p99"]);
    }
    files.add("causes.csv", causes);
    let mut names = vec!["replay.json", "stats.json", "stats.csv", "bandwidth.csv", "banks.csv", "causes.csv"];
    for (name, svg) in super::plots::replay_plots(r)? {
        files.add(name, svg);
        names.push(name);
    }
    files.commit(dir, false)?;
    Ok(names)
}
