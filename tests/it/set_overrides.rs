//! `--set` reaches everything a topology declares: an array's name sets every element, and
//! clock frequencies, array sizes and connection parameters of the top-level file change too.

use crate::cli_support::{ok, tasim};

const CHIP: &str = "topologies/paper-chip.yaml";

fn fails(args: &[&str]) -> String {
    let o = tasim(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_array_name_sets_every_element() {
    ok(&tasim(&["validate", CHIP, "--set", "pc.pe_rows=8"]));
    // Proof that both were set: an invalid value is reported for each.
    let err = fails(&["validate", CHIP, "--set", "pc.pe_rows=0"]);
    assert!(err.contains("pc0:") && err.contains("pc1:"), "{err}");
}

#[test]
fn clock_frequencies_counts_and_connections_can_be_overridden() {
    ok(&tasim(&["validate", CHIP, "--set", "clocks.core_clk.frequency_mhz=100"]));
    // 75 MHz is none of core_clk's operating points: the override took effect.
    let err = fails(&["validate", CHIP, "--set", "clocks.core_clk.frequency_mhz=75"]);
    assert!(err.contains("operating points"), "{err}");
    let err = fails(&["validate", CHIP, "--set", "clocks.core.frequency_mhz=100"]);
    assert!(err.contains("core_clk"), "did you mean: {err}");

    let out = ok(&tasim(&["validate", "topologies/bench/phold.yaml", "--set", "lp.count=8", "--set", "lp.lps=8"]));
    assert!(out.contains("ok (8 instances"), "{out}");

    let err = fails(&["validate", CHIP, "--set", "connections[0].latency_ns=-1"]);
    assert!(err.contains("connections[0].latency_ns"), "{err}");
    ok(&tasim(&["validate", CHIP, "--set", "connections[0].latency_ps=100"]));
}
