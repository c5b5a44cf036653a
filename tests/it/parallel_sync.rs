//! Partitioned runs of the benchmarked systems give byte-identical results on 1, 2 and 4
//! threads, whether the run keeps every thread or falls back to fewer, and `tasim run` says
//! which it chose.

use std::path::Path;

use rstest::rstest;
use tasim::bench::run_topology;

use crate::support::*;

/// Fewer packets than the shipped 100,000 per chip, so that the test stays short.
const PACKETS: u32 = 3_000;

fn fewer_packets() -> Vec<String> {
    (0..16).map(|i| format!("chip{i}.src.packets={PACKETS}")).collect()
}

/// `tasim run` with `--out`: stdout and the bytes of stats.json and stats.csv.
fn run_cli(file: &str, threads: usize) -> (String, Vec<u8>, Vec<u8>) {
    let dir = scratch(&format!("parallel_sync_{}_{threads}", Path::new(file).file_stem().unwrap().to_string_lossy()));
    let (threads_arg, out_arg) = (threads.to_string(), dir.display().to_string());
    let sets = fewer_packets();
    let mut args = vec!["run", file, "--threads", &threads_arg, "--out", &out_arg];
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let out = tasim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    (stdout(&out), read("stats.json"), read("stats.csv"))
}

#[rstest]
#[case::links_5ns("topologies/bench/ring16-5ns.yaml")]
#[case::links_100ns("topologies/bench/ring16-100ns.yaml")]
#[case::links_1us("topologies/bench/ring16-1us.yaml")]
fn toy_ring_is_byte_identical_on_1_2_and_4_threads(#[case] file: &str) {
    let (text1, json1, csv1) = run_cli(file, 1);
    // Every packet crosses its chip, a link and the next chip: three deliveries, plus one
    // start timer per source.
    let events = 3 * 16 * u64::from(PACKETS) + 16;
    assert!(text1.contains(&format!("events     {events} in")), "{text1}");
    let received = text1.lines().find(|l| l.trim_start().starts_with("sink.received ")).unwrap_or_default();
    assert!(
        received.split_whitespace().collect::<Vec<_>>()[1..] == [&(16 * PACKETS).to_string(), "sum", "(over", "16)"],
        "{text1}"
    );
    assert!(text1.contains("threads    1 thread (one engine"), "{text1}");
    for threads in [2, 4] {
        let (text, json, csv) = run_cli(file, threads);
        assert_eq!(json, json1, "stats.json on {threads} threads");
        assert_eq!(csv, csv1, "stats.csv on {threads} threads");
        // The run says how it used its threads, whatever it chose.
        assert!(text.contains(&format!(" of {threads} threads (")), "{text}");
        assert!(text.contains(" windows, ") && text.contains(" synchronisations"), "{text}");
    }
    // Every thread all the time (no fallback): the same statistics, and one barrier crossing
    // per window.
    let root = root().join(file);
    let seq = run_topology(&root, &fewer_packets(), 1, true).unwrap();
    for threads in [2, 4] {
        let par = run_topology(&root, &fewer_packets(), threads, true).unwrap();
        assert_eq!(par.stats, seq.stats, "{threads} threads");
        assert_eq!((par.events, par.end), (seq.events, seq.end));
        assert_eq!(par.sync.engines, threads);
        assert!(par.sync.windows > 0);
        assert_eq!(par.sync.synchronisations, par.sync.windows);
        assert_eq!(par.sync.events_parallel, par.events);
    }
}

/// Longer links give fewer, fuller windows (the lookahead is the link latency).
#[test]
fn longer_links_mean_fewer_windows() {
    let windows = |file: &str| run_topology(&root().join(file), &fewer_packets(), 2, true).unwrap().sync.windows;
    let (w5, w100, w1000) = (
        windows("topologies/bench/ring16-5ns.yaml"),
        windows("topologies/bench/ring16-100ns.yaml"),
        windows("topologies/bench/ring16-1us.yaml"),
    );
    assert!(w5 > 2 * w100 && w100 > 4 * w1000, "{w5} {w100} {w1000}");
}
