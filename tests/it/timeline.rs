//! `tasim run --timeline`: Chrome trace-event JSON checked against the format (every event
//! has name/ph/ts/pid/tid, slices have a duration and nest on their track, counters are
//! numeric) and against the run (each core's slices add up to its busy time, the epoch marks
//! are the summary's epoch ends); NoC link utilisation counters average to the NoC's
//! statistic; one process per chip; the same file on any thread count;
//! the window; errors before the run.

use std::collections::BTreeMap;
use std::path::Path;

use rstest::rstest;
use serde_json::Value;

use crate::support::*;

pub(crate) const PAPER: &str = "topologies/paper-chip.yaml";
/// The paper chip's cores run at 50 MHz (topologies/paper-chip.yaml, `core_clk`).
const PAPER_PERIOD_PS: u64 = 20_000;

/// Runs `topology` with `--timeline dir/name` and `--out`; returns the events and stats.
pub(crate) fn timeline(dir: &Path, topology: &str, name: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    let path = dir.join(name);
    let out_dir = dir.join(format!("{name}.out"));
    let mut args = vec!["run", topology, "--timeline", path.to_str().unwrap(), "--out", out_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = tasim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("events in {}", path.display())), "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("the timeline is JSON");
    let stats = serde_json::from_str(&std::fs::read_to_string(out_dir.join("stats.json")).unwrap()).unwrap();
    (doc["traceEvents"].as_array().expect("a traceEvents array").clone(), stats)
}

/// A time in the file (µs with six decimals) as picoseconds.
pub(crate) fn ps(v: &Value) -> u64 {
    (v.as_f64().expect("a number") * 1e6).round() as u64
}

/// Checks the trace-event format; returns the slices per (pid, tid) as (start, end) ps.
pub(crate) fn check_format(events: &[Value]) -> BTreeMap<(u64, u64), Vec<(u64, u64)>> {
    let mut tracks: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    for e in events {
        for field in ["name", "ph", "ts", "pid", "tid"] {
            assert!(e.get(field).is_some(), "event without `{field}`: {e}");
        }
        assert!(e["ts"].is_number() && e["pid"].is_u64() && e["tid"].is_u64(), "{e}");
        let track = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        match e["ph"].as_str().unwrap() {
            "X" => {
                let dur = e.get("dur").unwrap_or_else(|| panic!("a slice without `dur`: {e}"));
                assert!(dur.as_f64().unwrap() >= 0.0, "{e}");
                tracks.entry(track).or_default().push((ps(&e["ts"]), ps(&e["ts"]) + ps(dur)));
            }
            "C" => {
                let args = e["args"].as_object().expect("a counter has args");
                assert!(!args.is_empty() && args.values().all(Value::is_number), "counters are numeric: {e}");
            }
            "i" => assert!(matches!(e["s"].as_str(), Some("g" | "p" | "t")), "{e}"),
            "M" => assert!(e["args"]["name"].is_string() || e["args"]["sort_index"].is_u64(), "{e}"),
            ph => panic!("unexpected phase {ph}: {e}"),
        }
    }
    // Slices on a track nest: sorted by start, each starts after the previous one ended or
    // lies inside it.
    for (track, slices) in &mut tracks {
        slices.sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        let mut open: Vec<u64> = Vec::new();
        for &(s, e) in slices.iter() {
            while open.last().is_some_and(|&end| end <= s) {
                open.pop();
            }
            if let Some(&end) = open.last() {
                assert!(e <= end, "slices overlap partially on {track:?}: one ends at {end}, ({s}, {e})");
            }
            open.push(e);
        }
    }
    tracks
}

/// The thread names of the file: (pid, tid) -> name.
fn threads(events: &[Value]) -> BTreeMap<(u64, u64), String> {
    events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| ((e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()), e["args"]["name"].as_str().unwrap().into()))
        .collect()
}

#[test]
fn the_paper_chip_timeline_is_well_formed_and_agrees_with_the_run() {
    let dir = scratch("timeline_paper");
    let (events, stats) = timeline(&dir, PAPER, "paper.json", &[]);
    let s = &stats["stats"];
    let tracks = check_format(&events);
    let names = threads(&events);
    // Each core's slices add up to its busy time, and their cycles to its busy cycles.
    for core in ["pc0", "pc1", "uc"] {
        let (&track, _) = names.iter().find(|(_, n)| *n == core).expect("a track per core");
        let busy_cycles = s[format!("{core}.busy_cycles")].as_u64().unwrap();
        assert!(busy_cycles > 0);
        let busy_ps: u64 = tracks[&track].iter().map(|(a, b)| b - a).sum();
        assert_eq!(busy_ps, busy_cycles * PAPER_PERIOD_PS, "{core}");
        let cycles: u64 = events
            .iter()
            .filter(|e| e["ph"] == "X" && (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()) == track)
            .map(|e| e["args"]["cycles"].as_u64().unwrap())
            .sum();
        assert_eq!(cycles, busy_cycles, "{core}");
    }
    // The slices say what they are.
    let conv = events.iter().find(|e| e["name"] == "conv_fp").expect("a forward conv slice");
    assert_eq!(conv["args"]["phase"], "fp");
    assert!(conv["args"]["layer"].is_u64() && conv["args"]["sample"].is_u64(), "{conv}");
    // The epoch marks are the summary's epoch ends.
    let epochs = s["ctrl.epochs"].as_u64().unwrap();
    let marks: Vec<u64> = events.iter().filter(|e| e["ph"] == "i").map(|e| ps(&e["ts"])).collect();
    let ends: Vec<u64> = (1..=epochs).map(|k| s[format!("ctrl.epoch.{k}.end_ps")].as_u64().unwrap()).collect();
    assert_eq!(marks, ends);
    // Counters: power per component, buffer and DRAM bandwidth, clock and supply.
    for name in ["power pc0 (mW)", "power gb (mW)", "bandwidth gb", "bandwidth dram", "clock dvfs", "supply dvfs"] {
        assert!(events.iter().any(|e| e["ph"] == "C" && e["name"] == name), "no counter `{name}`");
    }
    // The energy in the power counters is the chip's energy.
    let chip_uj: f64 = events
        .iter()
        .filter(|e| e["ph"] == "C" && e["name"].as_str().unwrap().starts_with("power "))
        .map(|e| e["args"]["mW"].as_f64().unwrap() * 1e-3 * 1e-6 * 1e6) // mW over a 1 µs window, in µJ
        .sum();
    let stats_uj: f64 = ["ctrl", "pc0", "pc1", "uc", "noc", "gb", "dram", "dvfs"]
        .iter()
        .map(|c| {
            s[format!("{c}.energy.series_pj")]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .sum::<f64>()
        })
        .sum::<f64>()
        * 1e-6;
    assert!((chip_uj - stats_uj).abs() < 1e-3 * stats_uj, "{chip_uj} vs {stats_uj}");
    // Written whole: nothing else is left beside it.
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["paper.json", "paper.json.out"]);
}

/// Link utilisation counters (`link <from>-><to> noc`) of a NoC, from its busy marks: every
/// link has one, its values are fractions in [0, 1], and its time average over the run is the
/// NoC's `link.<from>-><to>.utilisation` statistic (busy time / run time).
#[rstest]
#[case::paper_chip_coarse(PAPER, &[], 24)]
#[case::contention_fine("tests/data/noc/contention.yaml", &["--timeline-detail", "fine"], 2 * 7 + 6)]
fn noc_link_utilisation_counters_average_to_the_nocs_statistic(
    #[case] topology: &str,
    #[case] extra: &[&str],
    #[case] links: usize,
) {
    let dir = scratch(&format!("timeline_noc_{links}"));
    let (events, stats) = timeline(&dir, topology, "noc.json", extra);
    check_format(&events);
    let end = stats["end_ps"].as_u64().unwrap() as f64;
    let mut tracks: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "C") {
        let name = e["name"].as_str().unwrap();
        if let Some(link) = name.strip_prefix("link ").and_then(|n| n.strip_suffix(" noc")) {
            let u = e["args"]["utilisation"].as_f64().unwrap_or_else(|| panic!("a number: {e}"));
            assert!((0.0..=1.0).contains(&u), "utilisation in [0, 1]: {e}");
            tracks.entry(link.to_string()).or_default().push((ps(&e["ts"]), u));
        }
    }
    assert_eq!(tracks.len(), links, "a track per link: {:?}", tracks.keys());
    let mut busy_links = 0;
    for (link, points) in &tracks {
        let stat = stats["stats"][format!("noc.link.{link}.utilisation")].as_f64().unwrap();
        // A counter holds its value until the next point; the last point is a zero.
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0), "{link}: points in time order");
        assert_eq!(points.last().unwrap().1, 0.0, "{link}");
        let integral: f64 = points.windows(2).map(|w| w[0].1 * (w[1].0 - w[0].0) as f64).sum();
        assert!(
            (integral / end - stat).abs() < 1e-6,
            "{link}: counters average {} but the statistic is {stat}",
            integral / end
        );
        busy_links += usize::from(stat > 0.0);
    }
    assert!(busy_links >= 2, "some links carried traffic");
}

#[test]
fn a_window_and_fine_detail_bound_what_is_written() {
    let dir = scratch("timeline_window");
    let (from, to) = (100_000u64, 300_000u64); // ns
    let (events, _) = timeline(
        &dir,
        PAPER,
        "w.json",
        &["--timeline-from-ns", "100000", "--timeline-to-ns", "300000", "--timeline-detail", "fine"],
    );
    check_format(&events);
    for e in events.iter().filter(|e| e["ph"] != "M") {
        let t = ps(&e["ts"]);
        assert!(t >= from * 1000 && t < to * 1000, "outside the window: {e}");
        if e["ph"] == "X" {
            assert!(t + ps(&e["dur"]) <= to * 1000, "a slice past the window: {e}");
        }
    }
    assert!(events.iter().any(|e| e["ph"] == "X"));
    assert!(events.iter().any(|e| e["ph"] == "i" && e["name"].as_str().unwrap().starts_with("step ")));
    assert!(events.iter().any(|e| e["ph"] == "C" && e["name"] == "task queue pc0"));
}

#[test]
fn a_multichip_timeline_has_a_process_per_chip_and_is_the_same_on_any_thread_count() {
    let dir = scratch("timeline_multichip");
    let sys = "topologies/multichip/ring4.yaml";
    let (events, _) = timeline(&dir, sys, "one.json", &["--threads", "1"]);
    let _ = timeline(&dir, sys, "four.json", &["--threads", "4"]);
    assert_eq!(std::fs::read(dir.join("one.json")).unwrap(), std::fs::read(dir.join("four.json")).unwrap());
    check_format(&events);
    let processes: Vec<&str> =
        events.iter().filter(|e| e["name"] == "process_name").map(|e| e["args"]["name"].as_str().unwrap()).collect();
    assert_eq!(processes, ["chip0", "chip1", "chip2", "chip3"]);
    // Every chip shows its all-reduces, and its links' bandwidth and utilisation.
    for pid in 0..4u64 {
        let mine = |e: &&Value| e["pid"].as_u64() == Some(pid);
        assert!(events.iter().filter(mine).any(|e| e["name"] == "all-reduce" && e["ph"] == "X"), "chip{pid}");
        let links: Vec<f64> = events
            .iter()
            .filter(mine)
            .filter(|e| e["ph"] == "C" && e["name"].as_str().unwrap().starts_with("link "))
            .map(|e| e["args"]["utilisation"].as_f64().unwrap())
            .collect();
        assert!(links.iter().any(|&u| u > 0.0), "chip{pid}");
        assert!(links.iter().all(|&u| (0.0..=1.0 + 1e-9).contains(&u)), "utilisation in [0, 1]: {links:?}");
    }
}

#[rstest]
#[case::a_directory(&["--timeline", "tests"], "is a directory")]
#[case::no_such_directory(&["--timeline", "no/such/dir/t.json"], "no such directory")]
#[case::an_empty_window(
    &["--timeline", "TMP", "--timeline-from-ns", "500", "--timeline-to-ns", "100"],
    "is not after --timeline-from-ns"
)]
#[case::a_negative_time(&["--timeline", "TMP", "--timeline-from-ns=-5"], "must be a finite number >= 0")]
fn bad_timeline_options_are_refused_before_the_run(#[case] extra: &[&str], #[case] message: &str) {
    let dir = scratch(&format!("timeline_bad_{}", message.len()));
    let tmp = dir.join("t.json");
    let extra: Vec<&str> = extra.iter().map(|a| if *a == "TMP" { tmp.to_str().unwrap() } else { a }).collect();
    let mut args = vec!["run", PAPER];
    args.extend(extra);
    let out = tasim(&args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(message), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "refused before the run");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written");
}

#[test]
fn a_run_that_stops_on_an_error_leaves_no_timeline() {
    let dir = scratch("timeline_failed");
    let path = dir.join("t.json");
    let out = tasim(&[
        "run",
        "tests/data/dram/stream.yaml",
        "--set",
        "gen.base_addr=1073741800",
        "--set",
        "gen.range_bytes=64",
        "--timeline",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the simulation stopped"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no timeline, no spill left behind");
}
