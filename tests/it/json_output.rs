//! `--format json`: run, replay, trace stats, validate and types print one JSON document on
//! standard output (and nothing else), so a sweep needs no text parsing.

use serde_json::Value;

use crate::cli_support::{ok, tasim, TempDir};

/// Runs `tasim ARGS --format json`; the whole of stdout must be one JSON document.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = ok(&tasim(&all));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not one JSON document ({e}):\n{out}"))
}

#[test]
fn run_prints_its_figures_as_json() {
    let r = json(&["run", "tests/data/reports/two_drams.yaml"]);
    assert_eq!(r["topology"], "two-drams");
    assert!(r["end_ps"].as_u64().unwrap() > 0 && r["events"].as_u64().unwrap() > 0, "{r}");
    let hit = &r["by_type"]["dram_controller.row_hit_rate"];
    assert_eq!((hit["rule"].as_str(), hit["instances"].as_u64()), (Some("pooled"), Some(2)), "{hit}");
    assert!(r["stats"]["dram0.bursts"].as_u64().unwrap() > 0);
    assert!(r["chip"].is_null());
}

#[test]
fn a_chip_run_includes_its_summary() {
    let r = json(&["run", "topologies/paper-chip.yaml", "--until-ns", "50000"]);
    assert_eq!(r["chip"]["epochs_planned"], 3, "{}", r["chip"]);
    assert!(r["chip"]["energy"]["chip_uj"].as_f64().unwrap() > 0.0);
}

#[test]
fn replay_and_trace_stats_print_json() {
    let dir = TempDir::new("json_replay");
    let trace = dir.str("s.mtrace");
    ok(&tasim(&["run", "topologies/memory/traffic.yaml", "--set", "gen.requests=500", "--record-trace", &trace]));
    let r = json(&["replay", &trace, "--topology", "topologies/memory/paper-chip-dram.yaml"]);
    assert_eq!(r["player"]["completed"], 500, "{}", r["player"]);
    assert!(r["drams"][0]["breakdown"]["refresh"].as_f64().is_some());
    let s = json(&["trace", "stats", &trace]);
    assert_eq!(s["records"], 500, "{s}");
}

#[test]
fn validate_and_types_print_json_and_so_do_errors() {
    let v = json(&["validate", "topologies/paper-chip.yaml"]);
    assert_eq!((v["ok"].as_bool(), v["instances"].as_u64()), (Some(true), Some(8)), "{v}");
    let t = json(&["types"]);
    assert!(t["types"].as_array().unwrap().iter().any(|t| t["name"] == "dram_controller"), "{t}");
    // Declared parameters come as records, as many as the text lists (a new user found `[]`).
    let ctrl = t["types"].as_array().unwrap().iter().find(|t| t["name"] == "controller").expect("controller");
    let params = ctrl["params"].as_array().expect("params");
    assert!(params.len() >= 10, "{ctrl}");
    let epochs = params.iter().find(|p| p["name"] == "epochs").expect("epochs");
    assert!(epochs["default"].is_string() && epochs["range"].is_string() && epochs["doc"].is_string(), "{epochs}");

    let bad = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "uc.pe_rows=0", "--format", "json"]);
    assert_eq!(bad.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&bad.stdout).expect("the error as JSON");
    assert_eq!(e["error"]["exit_code"], 2);
    assert!(e["error"]["problems"][0]["message"].as_str().unwrap().contains("uc"), "{e}");

    // A command without a JSON form says so instead of printing text.
    let g = tasim(&["graph", "topologies/paper-chip.yaml", "--format", "json"]);
    assert_eq!((g.status.code(), g.stdout.is_empty()), (Some(2), true));
}
