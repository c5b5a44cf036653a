//! Long and large runs: memory that does not grow with simulated time or with a request's
//! size, and inputs whose cost stays linear (issue 9). Timings are README measurements and
//! benchmarks; these tests check what can be counted: windows kept, file sizes, errors, and
//! that a run fits in an address-space limit the old behaviour overran several times.

use std::path::Path;
use std::process::{Command, Output};

use tasim::elaborate::{elaborate, Options};
use tasim::topology;

use crate::support::*;

/// Runs `tasim args...` with its address space limited to `limit_kib` (`ulimit -v`): an
/// allocation past it fails and the run aborts.
fn tasim_within(limit_kib: u64, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_tasim");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {limit_kib} && exec '{bin}' {}", quoted.join(" ")))
        .current_dir(root())
        .output()
        .expect("sh runs")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "tasim failed ({:?}):\n{}\n{}", o.status.code(), stdout(o), stderr(o));
    stdout(o)
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// 150 MB of address space: the replays below need under 10 MB of memory; before, a 10 s gap
/// took 318 MB and 100,000 writes 412 MB.
const REPLAY_LIMIT_KIB: u64 = 150_000;

#[test]
fn a_ten_second_gap_in_a_replay_costs_no_memory() {
    let dir = scratch("gap-replay");
    // Two reads 10 s apart at LPDDR4-3200's clock (625 ps): 16e9 cycles.
    let trace = write(&dir.join("gap.trace"), "0x40 READ 0\n0x80 READ 16000000000\n");
    let out = dir.join("out").to_string_lossy().into_owned();
    let o = tasim_within(
        REPLAY_LIMIT_KIB,
        // Always on: in self-refresh an idle die refreshes itself, uncounted.
        &[
            "replay",
            &trace,
            "--topology",
            "topologies/memory/paper-chip-dram.yaml",
            "--set",
            "dram.power_down.enabled=false",
            "--out",
            &out,
        ],
    );
    let text = ok(&o);
    assert!(text.contains("simulated  10.000 s"), "{text}");
    // Refreshes went on through the gap (one per tREFI, 3.9 us): counted, not simulated.
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/stats.json")).unwrap()).unwrap();
    let refreshes = stats["stats"]["dram.refreshes"].as_u64().expect("dram.refreshes");
    assert!(refreshes > 5_000_000, "two channels refreshing every 3.9 us for 10 s: {refreshes}");
    assert!(std::fs::metadata(dir.join("out/stats.json")).unwrap().len() < 1_000_000);
}

/// A source that starts at 8e18 ps: the DRAM idles that long, refreshing every 3.9 us (2e12
/// refreshes per channel), counted in one step, not walked (that took days). `timeout` only
/// turns a hang into a failure; the run takes milliseconds.
#[test]
fn an_idle_stretch_of_three_months_costs_no_time_or_memory() {
    let bin = env!("CARGO_BIN_EXE_tasim");
    let o = Command::new("timeout")
        .args(["120", bin, "run", "topologies/memory/traffic.yaml", "--set", "gen.start_ps=8000000000000000000"])
        .args(["--set", "gen.requests=100", "--format", "json"])
        .current_dir(root())
        .output()
        .expect("timeout runs");
    let doc: serde_json::Value = serde_json::from_str(&ok(&o)).expect("one JSON document");
    let n = doc["stats"]["dram.refreshes"].as_u64().expect("dram.refreshes");
    // Two channels, each refreshing every 3.904 us for 8e18 ps: 4.1e12.
    assert!(n > 4_000_000_000_000, "{n}");
}

#[test]
fn replayed_writes_allocate_no_backing_store() {
    let dir = scratch("writes-replay");
    let lines: String = (0..100_000u64).map(|k| format!("0x{:x} WRITE {}\n", k * 4096, k * 16)).collect();
    let trace = write(&dir.join("writes.trace"), &lines);
    let o = tasim_within(REPLAY_LIMIT_KIB, &["replay", &trace, "--topology", "topologies/memory/paper-chip-dram.yaml"]);
    let text = ok(&o);
    assert!(text.contains("100000 records: 100000 sent (0 reads, 100000 writes), 100000 answered"), "{text}");
}

#[test]
fn twenty_thousand_instances_load_with_every_name_resolved() {
    let t = topology::load(&data("topologies/large/leaves-10000.yaml"), &["leaf9999.src.packets=3".into()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((t.instances.len(), t.clocks.len(), t.connections.len()), (20_000, 10_000, 10_000));
    assert_eq!(t.instance("leaf9999.src").unwrap().params["packets"], serde_yaml::Value::from(3));
    assert_eq!(t.instance_position("leaf0.sink"), Some(1));
    assert_eq!(t.connections[9_999].from.0, "leaf9999.src");
    let c = &t.clocks[t.resolve_clock("leaf4321.", "clk").unwrap()];
    assert_eq!(c.name, "leaf4321.clk");
    let mut sim = elaborate(&t, Options::default()).unwrap_or_else(|e| panic!("{e}"));
    sim.run().unwrap();
    let r = sim.finish();
    assert_eq!(r.stats.counter("leaf9999.sink.received"), Some(3));
    assert_eq!(r.stats.counter("leaf0.sink.received"), Some(1));
}

#[test]
fn nesting_past_the_limit_is_refused_with_its_place() {
    let dir = scratch("deep-yaml");
    let deep = format!("a: {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let topo = write(&dir.join("deep.yaml"), &format!("name: deep\n{deep}"));
    let o = tasim(&["validate", &topo]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("deep.yaml:2:103") && err.contains("nests more than 100 levels"), "{err}");
    let model = write(&dir.join("deep-model.yaml"), &deep);
    let o = tasim(&["train", "--model", &model, "--dataset", "synth:personal", "--epochs", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("deep-model.yaml:1:103"), "{}", stderr(&o));
}

#[test]
fn a_trace_of_huge_requests_is_analysed_per_request() {
    let dir = scratch("huge-requests");
    // Ten requests of 4 GiB - 1 byte, 256 MiB apart: 6.25 GiB touched, most of it twice.
    let lines: String =
        (0..10u64).map(|k| format!("{} 0x{:x}\n", if k % 2 == 0 { "LD" } else { "ST" }, k << 28)).collect();
    let trace = write(&dir.join("huge.ramulator"), &lines);
    let o = tasim(&[
        "trace",
        "stats",
        &trace,
        "--bytes",
        "4294967295",
        "--topology",
        "topologies/memory/paper-chip-dram.yaml",
    ]);
    let text = ok(&o);
    assert!(text.contains("footprint  104857600 lines of 64 bytes = 6710886400 bytes"), "{text}");
    // 2^27 bursts of 32 bytes per request, spread evenly over 2 channels x 8 banks.
    assert!(text.contains("1342177280 bursts over 16 banks: mean 83886080, busiest 83886080"), "{text}");
}

#[test]
fn a_long_training_run_keeps_power_windows_bounded() {
    let dir = scratch("long-training");
    let out = dir.to_string_lossy().into_owned();
    // 100 epochs of a 6-sample set: 20 ms simulated, past the 8,192 windows of 1 us.
    let o = tasim(&[
        "run",
        "topologies/paper-chip.yaml",
        "--set",
        "ctrl.dataset=idx:tests/data/train/tiny16-images.idx,tests/data/train/tiny16-labels.idx",
        "--set",
        "ctrl.epochs=100",
        "--out",
        &out,
    ]);
    let text = ok(&o);
    assert!(text.contains("(4 us windows)"), "{text}");
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    let series: Vec<(&String, &serde_json::Value)> = stats["stats"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("series_pj") || k.ends_with("series_bytes"))
        .collect();
    assert!(series.len() >= 9, "energy and traffic windows: {}", series.len());
    for (k, v) in series {
        let n = v["values"].as_array().unwrap().len();
        assert!(n <= components::energy::POWER_WINDOWS_MAX, "{k}: {n} windows");
        assert_eq!(v["step_ps"], 4_000_000, "{k}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let epochs = summary["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 100);
    // Per-epoch energy from 4 us windows shared out by time: the epochs add up to the run.
    let sum: f64 = epochs.iter().map(|e| e["chip_energy_uj"].as_f64().unwrap()).sum();
    let total = summary["energy"]["chip_uj"].as_f64().unwrap();
    assert!(sum <= total * 1.0001 && sum > 0.98 * total, "{sum} of {total}");
    assert_eq!(std::fs::read_to_string(dir.join("epochs.csv")).unwrap().lines().count(), 101);
}
