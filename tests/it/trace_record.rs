//! `tasim run --record-trace`: every request reaching a DRAM controller (and with
//! `--trace-buffer` a global buffer), the same trace on any number of threads, nothing left
//! behind when a run fails, and clear errors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

const SMALL_BUFFER: &str = "topologies/paper-chip-small-buffer.yaml";

/// Runs `topology` recording into `dir/name`; returns the trace's path and stats.json.
fn record(dir: &Path, topology: &str, name: &str, extra: &[&str]) -> (PathBuf, Value) {
    let trace = dir.join(name);
    let out_dir = dir.join(format!("{name}.out"));
    let mut args = vec!["run", topology, "--record-trace", trace.to_str().unwrap(), "--out", out_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = tasim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("memory transactions recorded in {}", trace.display())));
    let stats = serde_json::from_str(&std::fs::read_to_string(out_dir.join("stats.json")).unwrap()).unwrap();
    (trace, stats)
}

fn text(trace: &Path) -> String {
    let out = tasim(&["trace", "text", trace.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn records(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn the_paper_chip_trace_holds_every_dram_request_and_the_end_of_the_run() {
    let dir = scratch("trace_record_chip");
    let (trace, stats) = record(&dir, SMALL_BUFFER, "sb.mtrace", &[]);
    let t = text(&trace);
    let s = &stats["stats"];
    let dram_requests = s["dram.reads"].as_u64().unwrap() + s["dram.writes"].as_u64().unwrap();
    assert_eq!(records(&t).len() as u64, dram_requests);
    assert!(t.contains(
        "#! topology paper-chip-small-buffer\n#! clock_ps 625\n#! peak_bytes_per_s 12800000000\n#! instances gb dram\n"
    ));
    // The chip's controller stops the run: it ran out, and ended where the stats say.
    assert!(t.ends_with(&format!("#! end_ps {} ran_out\n", stats["end_ps"])), "{}", &t[t.len() - 50..]);
    // Every request crossed the buffer's 5 ns channel, and the writes are its write-backs.
    for l in records(&t) {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(f[0].parse::<u64>().unwrap() - f[1].parse::<u64>().unwrap(), 5_000, "{l}");
    }
    let writes = records(&t).iter().filter(|l| l.contains(" W ")).count() as u64;
    assert_eq!(writes, s["gb.writebacks"].as_u64().unwrap());
    let shipped = std::fs::read(root().join("traces/paper-chip-small-buffer.mtrace")).unwrap();
    assert!(
        shipped == std::fs::read(&trace).unwrap(),
        "traces/paper-chip-small-buffer.mtrace is stale: make it again with the command in traces/FORMAT.md"
    );
}

#[test]
fn the_trace_is_the_same_on_any_number_of_threads() {
    let dir = scratch("trace_record_threads");
    let topo = "tests/data/traces/two-partitions.yaml";
    let (one, _) = record(&dir, topo, "one.mtrace", &["--threads", "1"]);
    let (two, _) = record(&dir, topo, "two.mtrace", &["--threads", "2"]);
    let (a, b) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert!(a == b, "the trace depends on the thread count");
    let t = text(&one);
    assert!(t.contains("#! instances gen0 far dram0 gen1 dram1 dram2\n"), "{t:.300}");
    assert_eq!(records(&t).len(), 8000);
    // No spill files stay behind.
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["one.mtrace", "one.mtrace.out", "two.mtrace", "two.mtrace.out"]);
}

#[test]
fn trace_buffer_adds_the_requests_reaching_the_global_buffer() {
    let dir = scratch("trace_record_buffer");
    let (dram_only, _) = record(&dir, SMALL_BUFFER, "dram.mtrace", &[]);
    let (both, stats) = record(&dir, SMALL_BUFFER, "both.txt", &["--trace-buffer"]);
    let t = std::fs::read_to_string(&both).unwrap();
    assert!(t.starts_with("#! tasim-trace-text 1\n"), "a .txt path gets the text form");
    let dram_lines: Vec<&str> = records(&t).into_iter().filter(|l| l.contains(" gb dram ")).collect();
    assert_eq!(dram_lines, records(&text(&dram_only)), "the DRAM's records are the same");
    // The buffer's requests come from the NoC, on its port out4.
    let gb_lines: Vec<&str> = records(&t).into_iter().filter(|l| l.contains(" noc gb ")).collect();
    assert_eq!(gb_lines.len() as u64, stats["stats"]["noc.out4.messages"].as_u64().unwrap());
    assert_eq!(gb_lines.len() + dram_lines.len(), records(&t).len());
}

#[test]
fn a_failed_run_leaves_no_trace() {
    let dir = scratch("trace_record_failed");
    let trace = dir.join("x.mtrace");
    // The generator's addresses start beyond the DRAM's 1 GiB: the controller stops the run.
    let out = tasim(&[
        "run",
        "topologies/memory/traffic.yaml",
        "--set",
        "gen.base_addr=2147483648",
        "--record-trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("goes beyond the capacity"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no trace, no spill");
}

#[test]
fn recording_errors_are_input_errors() {
    let dir = scratch("trace_record_errors");
    let nowhere = dir.join("missing/x.mtrace");
    let out = tasim(&["run", SMALL_BUFFER, "--record-trace", nowhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--record-trace: cannot write in"), "{}", stderr(&out));
    let x = dir.join("x.mtrace");
    let out = tasim(&["run", "topologies/bench/phold.yaml", "--until-ns", "1", "--record-trace", x.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the topology has no dram_controller"), "{}", stderr(&out));
    let out = tasim(&["run", "topologies/memory/paper-chip-dram.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("run it with `tasim replay TRACE --topology"), "{}", stderr(&out));
}
