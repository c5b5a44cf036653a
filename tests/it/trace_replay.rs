//! `tasim replay`: a timing-preserving replay of the paper chip's trace on its own memory
//! reproduces the DRAM exactly; as fast as possible, a stream reaches the peak and random
//! addresses pay for row misses (and, with one bank, lose the bandwidth); a slower memory
//! makes the replay slip; routing; what `--out` writes.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

const SMALL_BUFFER: &str = "topologies/paper-chip-small-buffer.yaml";
const CHIP_DRAM: &str = "topologies/memory/paper-chip-dram.yaml";
const ONE_BANK: &str = "topologies/memory/one-bank.yaml";
const TRAFFIC: &str = "topologies/memory/traffic.yaml";

/// Records `topology` (with `args`) into `dir/name`; returns the trace and stats.json.
fn record(dir: &Path, topology: &str, name: &str, args: &[&str]) -> (PathBuf, Value) {
    let trace = dir.join(name);
    let out = dir.join(format!("{name}.run"));
    let mut all = vec!["run", topology, "--record-trace", trace.to_str().unwrap(), "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = tasim(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    (trace, serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap())
}

/// Replays `trace` on `topology`; returns replay.json and stats.json.
fn replay(trace: &Path, topology: &str, name: &str, args: &[&str]) -> (Value, Value) {
    let out = trace.with_file_name(name);
    let mut all = vec!["replay", trace.to_str().unwrap(), "--topology", topology, "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = tasim(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |f: &str| serde_json::from_str::<Value>(&std::fs::read_to_string(out.join(f)).unwrap()).unwrap();
    (read("replay.json"), read("stats.json"))
}

/// Every statistic of instance `inst`.
fn of(stats: &Value, inst: &str) -> Vec<(String, Value)> {
    let prefix = format!("{inst}.");
    stats["stats"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn assert_same_dram(original: &Value, replayed: &Value) {
    let (a, b) = (of(original, "dram"), of(replayed, "dram"));
    for name in
        ["bursts", "activates", "precharges", "refreshes", "row_hits", "row_misses", "row_conflicts", "bytes_read"]
    {
        let v = a.iter().find(|(k, _)| *k == format!("dram.{name}")).map(|(_, v)| v.as_u64().unwrap());
        assert!(v.is_some_and(|v| v > 0), "dram.{name} is compared and not trivially zero");
    }
    assert!(a.iter().filter(|(k, _)| k.starts_with("dram.bank.")).count() == 16, "per-bank counts compared");
    let differ: Vec<String> =
        a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| format!("{} {} -> {} {}", x.0, x.1, y.0, y.1)).collect();
    assert_eq!((a.len(), differ), (b.len(), Vec::<String>::new()), "every DRAM statistic equal");
    assert_eq!(original["end_ps"], replayed["end_ps"]);
}

#[test]
fn a_timing_replay_of_the_paper_chip_reproduces_its_dram_exactly() {
    let dir = scratch("trace_replay_exact");
    let (trace, original) = record(&dir, SMALL_BUFFER, "sb.mtrace", &[]);
    let (r, replayed) = replay(&trace, CHIP_DRAM, "sb.replay", &[]);
    assert_same_dram(&original, &replayed);
    let p = &r["player"];
    assert_eq!((p["late"].as_u64(), p["unanswered"].as_u64(), p["issued"].as_u64()), (Some(0), Some(0), Some(17704)));
    assert_eq!(r["outcome"], "at the recorded end");
}

#[test]
fn a_run_cut_short_replays_to_the_same_cut() {
    let dir = scratch("trace_replay_cut");
    let (trace, original) = record(&dir, SMALL_BUFFER, "cut.mtrace", &["--until-ns", "1000000"]);
    let (r, replayed) = replay(&trace, CHIP_DRAM, "cut.replay", &[]);
    assert_eq!(original["end_ps"], 1_000_000_000);
    assert_same_dram(&original, &replayed);
    assert_eq!(r["outcome"], "cut at the recorded end");
}

/// A synthetic trace from topologies/memory/traffic.yaml (20000 64-byte reads over 64 MiB).
fn synthetic(dir: &Path, pattern: &str) -> PathBuf {
    record(dir, TRAFFIC, &format!("{pattern}.mtrace"), &["--set", &format!("gen.pattern={pattern}")]).0
}

fn dram(r: &Value) -> &Value {
    &r["drams"][0]
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn a_stream_as_fast_as_possible_reaches_90_percent_of_peak() {
    let dir = scratch("trace_replay_stream");
    let trace = synthetic(&dir, "sequential");
    let (r, _) = replay(&trace, CHIP_DRAM, "afap", &["--mode", "afap"]);
    let d = dram(&r);
    assert_eq!(f(&d["peak_bytes_per_s"]), 12.8e9);
    assert!(f(&d["efficiency"]) >= 0.90, "{:.1}% of peak", 100.0 * f(&d["efficiency"]));
    assert!(f(&d["row_hit_rate"]) > 0.95);
    // What the rest went to: refresh mostly (tRFC / tREFI = 4.6%), nothing idle.
    let b = &d["breakdown"];
    assert!(f(&b["refresh"]) > 0.04 && f(&b["idle"]) < 0.01, "{b}");
}

#[test]
fn random_addresses_pay_for_row_misses_and_one_bank_cannot_hide_them() {
    let dir = scratch("trace_replay_random");
    let (stream, random) = (synthetic(&dir, "sequential"), synthetic(&dir, "random"));
    // Always-on (the chip's memory powers down between requests, which a request alone pays).
    let run = |t: &Path, topo: &str, name: &str, outstanding: &str| {
        let args = ["--mode", "afap", "--max-outstanding", outstanding, "--set", "dram.power_down.enabled=false"];
        replay(t, topo, name, &args).0
    };
    let (s, r) = (run(&stream, CHIP_DRAM, "s64", "64"), run(&random, CHIP_DRAM, "r64", "64"));
    // Every 64-byte request is two bursts: random requests still hit the row on the second.
    let (hs, hr) = (f(&dram(&s)["row_hit_rate"]), f(&dram(&r)["row_hit_rate"]));
    assert!(hs > 0.95 && hr < 0.55, "row-hit rate: stream {hs}, random {hr}");
    let conflicts = dram(&r)["row_conflicts"].as_u64().unwrap();
    assert!(conflicts > 19_000, "random requests find another row open: {conflicts}");
    // Alone (one request in flight), a request to a closed or other row takes tRP + tRCD
    // (36 ns) longer than a row hit.
    let (s1, r1) = (run(&stream, CHIP_DRAM, "s1", "1"), run(&random, CHIP_DRAM, "r1", "1"));
    let mean = |r: &Value| f(&r["player"]["latency_ps"]["mean"]) / 1e3;
    assert!(mean(&r1) - mean(&s1) > 25.0, "unloaded latency: stream {} ns, random {} ns", mean(&s1), mean(&r1));
    // Loaded, too, random requests wait longer.
    assert!(mean(&r) > mean(&s), "loaded latency: stream {} ns, random {} ns", mean(&s), mean(&r));
    let p99 = |r: &Value| r["player"]["latency_ps"]["p99"].as_u64().unwrap();
    assert!(p99(&r) > p99(&s));
    // 16 banks overlap the row misses: the bandwidth drops a little.
    let bw = |r: &Value| f(&dram(r)["bandwidth_bytes_per_s"]);
    assert!(bw(&r) > 0.8 * bw(&s), "16 banks: stream {} GB/s, random {} GB/s", bw(&s) / 1e9, bw(&r) / 1e9);
    // One bank: every row change waits for the last (tRAS + tRP + tRCD) — the bandwidth goes.
    let (s_one, r_one) = (run(&stream, ONE_BANK, "s_one", "64"), run(&random, ONE_BANK, "r_one", "64"));
    assert!(
        bw(&r_one) < 0.3 * bw(&s_one),
        "one bank: stream {} GB/s, random {} GB/s",
        bw(&s_one) / 1e9,
        bw(&r_one) / 1e9
    );
    // And the statistics say why: requests waiting on row changes, not refresh or idleness.
    let b = &dram(&r_one)["breakdown"];
    assert!(f(&b["waiting_with_requests"]) > 0.5 && f(&b["idle"]) < 0.01, "{b}");
    assert!(f(&dram(&s_one)["breakdown"]["waiting_with_requests"]) < 0.2);
}

#[test]
fn a_slower_memory_makes_a_timing_replay_slip() {
    let dir = scratch("trace_replay_slip");
    // Recorded at 12 GB/s on the paper chip's DRAM, replayed at its times on a 6.4 GB/s one.
    let trace = synthetic(&dir, "sequential");
    let (r, _) = replay(&trace, ONE_BANK, "drain", &["--drain"]);
    let p = &r["player"];
    assert!(p["late"].as_u64().unwrap() > 10_000, "{p}");
    assert!(p["lateness_ps"]["max"].as_u64().unwrap() > 1_000_000, "the slip accumulates: {p}");
    assert_eq!((p["completed"].as_u64(), p["unanswered"].as_u64()), (Some(20_000), Some(0)));
    // Without --drain the replay ends where the recording did, with work left.
    let (r, _) = replay(&trace, ONE_BANK, "no_drain", &[]);
    let p = &r["player"];
    assert!(p["unanswered"].as_u64().unwrap() + p["not_issued"].as_u64().unwrap() > 0, "{p}");
}

#[test]
fn an_imported_trace_plays_until_every_request_is_answered() {
    // DRAMSim3 lines have no end of run: the replay does not stop at the last arrival.
    let dir = scratch("trace_replay_import");
    let d3 = dir.join("sb.trace");
    let o =
        tasim(&["trace", "convert", "traces/paper-chip-small-buffer.mtrace", d3.to_str().unwrap(), "--to", "dramsim3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (r, _) = replay(&d3, CHIP_DRAM, "out", &[]);
    assert_eq!((r["player"]["completed"].as_u64(), r["player"]["unanswered"].as_u64()), (Some(17704), Some(0)));
    assert_eq!(r["outcome"], "every request answered");
}

#[test]
fn records_route_by_address_to_two_controllers() {
    let dir = scratch("trace_replay_route");
    let txt = dir.join("two.txt");
    let lines = "#! tasim-trace-text 1\n#! topology two\n#! instances cpu memory\n\
                 0 0 cpu memory R 0x100 64 other -\n0 0 cpu memory W 0x40000100 64 other -\n\
                 0 0 cpu memory R 0x40000200 64 other -\n";
    std::fs::write(&txt, lines).unwrap();
    let (r, s) = replay(&txt, "topologies/memory/two-controllers.yaml", "out", &["--mode", "afap"]);
    let c = |k: &str| s["stats"][k].as_u64().unwrap();
    assert_eq!((c("dram0.reads"), c("dram1.writes"), c("dram1.reads")), (1, 1, 1));
    assert_eq!(r["drams"].as_array().unwrap().len(), 2);
}

#[test]
fn a_buffer_level_trace_replays_through_a_buffer() {
    let dir = scratch("trace_replay_buffer");
    let (trace, original) = record(&dir, SMALL_BUFFER, "gb.mtrace", &["--trace-buffer"]);
    let topo = "topologies/memory/paper-chip-buffer.yaml";
    let (r, small) = replay(&trace, topo, "small", &["--drain"]);
    let c = |s: &Value, k: &str| s["stats"][k].as_u64().unwrap();
    assert_eq!(c(&small, "player.skipped"), c(&original, "dram.reads") + c(&original, "dram.writes"));
    assert_eq!(c(&small, "player.issued"), c(&original, "noc.out4.messages"));
    assert_eq!(r["player"]["unanswered"], 0);
    // What if the buffer were 64 KiB: far fewer misses reach the DRAM.
    let (_, big) = replay(&trace, topo, "big", &["--drain", "--set", "gb.capacity_kib=64"]);
    let dram_requests = |s: &Value| c(s, "dram.reads") + c(s, "dram.writes");
    assert!(dram_requests(&big) * 4 < dram_requests(&small), "{} vs {}", dram_requests(&big), dram_requests(&small));
}

#[test]
fn replay_writes_json_and_csv() {
    let dir = scratch("trace_replay_out");
    let out = dir.join("out");
    let o = tasim(&[
        "replay",
        "traces/paper-chip-small-buffer.mtrace",
        "--topology",
        CHIP_DRAM,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for want in
        ["row-hit rate 84.5%", "where the peak went", "slip     none", "by phase and layer", "wrote replay.json"]
    {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    assert_eq!(read("banks.csv").lines().count(), 1 + 16);
    assert!(read("causes.csv").lines().any(|l| l.starts_with("bp,1,4227,270528,")), "{}", read("causes.csv"));
    let bw = read("bandwidth.csv");
    let bytes: f64 = bw
        .lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            v[2] * (v[1] - v[0]) * 1e-12
        })
        .sum();
    assert!((bytes - 17704.0 * 64.0).abs() < 1.0, "the windows hold every byte: {bytes}");
}
