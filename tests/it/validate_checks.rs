//! `tasim validate` makes every check the run would make at time zero: one that says "ok"
//! is not followed by a run that stops at its first message.

use crate::cli_support::{ok, tasim};

#[test]
fn a_model_too_large_for_the_update_core_fails_validation_at_its_line() {
    let o = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "uc.local_kib=1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "validate said: {}", String::from_utf8_lossy(&o.stdout));
    assert!(err.contains("does not fit") && err.contains("local_kib"), "{err}");
    assert!(err.contains("fix: set `local_kib` to at least 52.2"), "{err}");
    // And the run stops before it starts, with the same message.
    let r = tasim(&["run", "topologies/paper-chip.yaml", "--set", "uc.local_kib=1"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("set `local_kib` to at least"));
}

#[test]
fn a_router_buffer_too_small_for_the_packets_fails_validation() {
    let o = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "noc.buffer_bytes=64"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "validate said: {}", String::from_utf8_lossy(&o.stdout));
    assert!(
        err.contains("cannot hold the 72-byte packets") && err.contains("fix: set `buffer_bytes` to at least 72"),
        "{err}"
    );
}

/// The router-buffer check covers every requester type on a NoC, not only the chip's cores:
/// test requesters' `bytes` count too.
#[test]
fn a_router_buffer_too_small_for_a_test_requesters_packets_fails_validation() {
    let o = tasim(&["validate", "tests/data/noc/one_read.yaml", "--set", "pc1.bytes=600"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "validate said: {}", String::from_utf8_lossy(&o.stdout));
    assert!(err.contains("cannot hold the 608-byte packets of `pc1`"), "{err}");
    assert!(err.contains("fix: set `buffer_bytes` to at least 608"), "{err}");
    ok(&tasim(&[
        "validate",
        "tests/data/noc/one_read.yaml",
        "--set",
        "pc1.bytes=600",
        "--set",
        "noc.buffer_bytes=608",
    ]));
}

#[test]
fn validate_runs_time_zero_of_memory_and_chip_topologies() {
    for t in ["topologies/paper-chip.yaml", "topologies/memory/traffic.yaml", "topologies/bench/phold.yaml"] {
        let out = ok(&tasim(&["validate", t]));
        assert!(out.contains(": ok ("), "{out}");
    }
}

#[test]
fn a_path_that_cannot_be_read_says_where_it_came_from_and_how_it_was_resolved() {
    let o = tasim(&["validate", "tests/data/reports/bad_model_path.yaml"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("tests/data/reports/bad_model_path.yaml:4:"), "the line that set it: {err}");
    assert!(err.contains("`model: no-such-model.yaml` is `") && err.contains("relative to the topology file"), "{err}");
    assert!(err.contains("fix: give the path from the topology file's directory"), "{err}");
    // Named from its own directory, the topology's directory is still named (not ``).
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args(["validate", "paper-chip.yaml", "--set", "ctrl.model=no-such-model.yaml"])
        .current_dir(crate::cli_support::root().join("topologies"))
        .output()
        .expect("run tasim");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("directory (`") && err.contains("topologies`)") && !err.contains("(``)"), "{err}");
    // A pre-trained directory from YAML is named by its YAML field, not by a CLI flag.
    let o = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "ctrl.pretrained=nope"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`pretrained: nope`") && !err.contains("--pretrained"), "{err}");
}

#[test]
fn a_zero_count_and_a_bad_latency_name_the_field_and_the_fix() {
    let o = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "gb.banks=0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`banks` = 0") && !err.contains("`ways`"), "{err}");
    let o = tasim(&["validate", "topologies/paper-chip.yaml", "--set", "connections[0].latency_ns=-1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("fix: give a latency of 0 or more"), "{err}");
}
