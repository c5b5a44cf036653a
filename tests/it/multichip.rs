//! Many chips: data-parallel training equals one chip bit for bit; collectives on an idle
//! network follow the α-β model; links and switches slow down as their arithmetic says; runs
//! are identical on any thread count; bad systems are refused with their line.

use std::path::Path;

use components::multichip::schedule::{alpha_beta_ns, Algorithm, Dim, DimCost, DimKind};
use rstest::rstest;
use serde_json::Value;

use crate::support::{scratch, stderr, stdout, tasim};

const MC: &str = "tests/data/topologies/multichip";

fn run_json(args: &[&str], out: &Path) -> Value {
    let out_s = out.to_str().unwrap();
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--out", out_s]);
    let o = tasim(&a);
    assert!(o.status.success(), "tasim {args:?}: {}{}", stdout(&o), stderr(&o));
    serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap()
}

fn stat(v: &Value, name: &str) -> f64 {
    v["stats"][name].as_f64().unwrap_or_else(|| panic!("no statistic {name}"))
}

// ---------------------------------------------------------------- training equivalence

/// `tasim train` with the paper chip's choices and the global batch, saved to a directory.
fn reference_weights(tag: &str, epochs: usize) -> std::path::PathBuf {
    let dir = scratch(&format!("mc_reference_{tag}"));
    let w = dir.join("w");
    let o =
        crate::support::paper_train(&["--epochs", &epochs.to_string(), "--seed", "1", "--save", w.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    w
}

fn assert_same_dir(a: &Path, b: &Path) {
    for e in std::fs::read_dir(a).unwrap() {
        let f = e.unwrap().file_name();
        let (x, y) = (std::fs::read(a.join(&f)).unwrap(), std::fs::read(b.join(&f)).unwrap());
        assert!(x == y, "{} differs from {}", b.join(&f).display(), a.join(&f).display());
    }
}

#[rstest]
fn every_chip_trains_the_one_chip_model_bit_for_bit(
    #[values("train-ring.yaml", "train-switch.yaml")] topo: &str,
    #[values(1, 2, 4, 8)] chips: usize,
    #[values("per_layer", "after_backward")] overlap: &str,
) {
    let reference = reference_weights(&format!("{topo}_{chips}_{overlap}"), 2);
    let dir = scratch(&format!("mc_train_{topo}_{chips}_{overlap}"));
    let w = dir.join("w");
    let file = format!("{MC}/{topo}");
    let o = tasim(&[
        "run",
        &file,
        "--set",
        &format!("system.dimensions.0.size={chips}"),
        "--set",
        &format!("system.collective.overlap={overlap}"),
        "--save",
        w.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    for k in 0..chips {
        assert_same_dir(&reference, &w.join(format!("chip{k}")));
    }
}

// ---------------------------------------------------------------- α-β on an idle network

/// γ of the fixtures' engine: 4 adds of 8 bytes per 1 ns cycle.
const GAMMA_NS_PER_BYTE: f64 = 1.0 / 32.0;

fn measured_ns(file: &str, sets: &[String], tag: &str) -> f64 {
    let mut args: Vec<&str> = vec!["run", file];
    for s in sets {
        args.extend(["--set", s.as_str()]);
    }
    let v = run_json(&args, &scratch(&format!("mc_ab_{tag}")));
    stat(&v, "chip0.coll.collective_ps") / 1e3
}

fn check_alpha_beta(measured: f64, model: f64, what: &str) {
    let err = (measured - model).abs() / model;
    assert!(err < 0.05, "{what}: simulated {measured:.1} ns, α-β {model:.1} ns ({:.1}% off)", 100.0 * err);
}

#[rstest]
fn ring_all_reduce_follows_alpha_beta(#[values(2, 8, 64)] p: usize, #[values(1 << 10, 1 << 20, 64 << 20)] bytes: u64) {
    let sets = vec![format!("system.dimensions.0.size={p}"), format!("system.set.drv.bytes={bytes}")];
    let t = measured_ns(&format!("{MC}/ab-ring.yaml"), &sets, &format!("ring_{p}_{bytes}"));
    let dims = [Dim { kind: DimKind::Ring, size: p, algorithm: Algorithm::Ring }];
    let cost = [DimCost { alpha_ns: 100.0, beta_ns_per_byte: 1.0 / 25.0 }];
    check_alpha_beta(t, alpha_beta_ns(&dims, &cost, bytes as f64, GAMMA_NS_PER_BYTE), &format!("ring p={p} n={bytes}"));
}

#[rstest]
fn halving_doubling_on_a_switch_follows_alpha_beta(
    #[values(2, 16, 64)] p: usize,
    #[values(1 << 10, 1 << 20, 64 << 20)] bytes: u64,
) {
    let sets = vec![format!("system.dimensions.0.size={p}"), format!("system.set.drv.bytes={bytes}")];
    let t = measured_ns(&format!("{MC}/ab-switch.yaml"), &sets, &format!("hd_{p}_{bytes}"));
    let dims = [Dim { kind: DimKind::Switch, size: p, algorithm: Algorithm::HalvingDoubling }];
    // Chip to switch, forwarding (cut-through), switch to chip.
    let cost = [DimCost { alpha_ns: 100.0 + 50.0 + 100.0, beta_ns_per_byte: 1.0 / 25.0 }];
    check_alpha_beta(t, alpha_beta_ns(&dims, &cost, bytes as f64, GAMMA_NS_PER_BYTE), &format!("hd p={p} n={bytes}"));
}

#[rstest]
fn two_d_torus_hierarchical_follows_alpha_beta(
    #[values((2, 2), (4, 4), (8, 8))] (p1, p2): (usize, usize),
    #[values(1 << 10, 1 << 20, 64 << 20)] bytes: u64,
) {
    let sets = vec![
        format!("system.dimensions.0.size={p1}"),
        format!("system.dimensions.1.size={p2}"),
        format!("system.set.drv.bytes={bytes}"),
    ];
    let t = measured_ns(&format!("{MC}/ab-torus.yaml"), &sets, &format!("torus_{p1}_{p2}_{bytes}"));
    let dims = [
        Dim { kind: DimKind::Ring, size: p1, algorithm: Algorithm::Ring },
        Dim { kind: DimKind::Ring, size: p2, algorithm: Algorithm::Ring },
    ];
    let cost = [
        DimCost { alpha_ns: 100.0, beta_ns_per_byte: 1.0 / 25.0 },
        DimCost { alpha_ns: 300.0, beta_ns_per_byte: 1.0 / 10.0 },
    ];
    check_alpha_beta(
        t,
        alpha_beta_ns(&dims, &cost, bytes as f64, GAMMA_NS_PER_BYTE),
        &format!("torus {p1}x{p2} n={bytes}"),
    );
}

#[test]
fn all_reduce_results_are_the_sums_on_every_algorithm() {
    let cases = [
        ("ab-ring.yaml", 5, "ring"),
        ("ab-switch.yaml", 8, "halving_doubling"),
        ("ab-switch.yaml", 7, "double_binary_tree"),
        ("ab-switch.yaml", 6, "ring"),
        ("ab-torus.yaml", 4, "ring"),
    ];
    for (file, p, algorithm) in cases {
        let mut args = vec!["run".to_string(), format!("{MC}/{file}")];
        for s in [
            format!("system.dimensions.0.size={p}"),
            format!("system.dimensions.0.algorithm={algorithm}"),
            "system.set.drv.with_data=true".into(),
            "system.set.drv.bytes=8008".into(),
        ] {
            args.extend(["--set".to_string(), s]);
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        // The driver stops the run with an error if any element is not the sum over the chips.
        let o = tasim(&a);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
    }
}

#[test]
fn a_vector_smaller_than_the_chips_is_still_summed() {
    // One element on a 2-chip bidirectional ring: the halves hold 0 and 1 elements, and the
    // receiver tells a step's packets from one chip apart by their order, not their place.
    let o = tasim(&[
        "run",
        &format!("{MC}/ab-ring.yaml"),
        "--set",
        "system.dimensions.0.kind=bidirectional_ring",
        "--set",
        "system.dimensions.0.algorithm=bidirectional_ring",
        "--set",
        "system.set.drv.with_data=true",
        "--set",
        "system.set.drv.bytes=8",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("all-reduce  1 per chip"), "{}", stdout(&o));
}

#[test]
fn chunking_pipelines_the_steps_of_a_ring() {
    let base = ["system.dimensions.0.size=8".to_string(), "system.set.drv.bytes=8388608".to_string()];
    let whole = measured_ns(&format!("{MC}/ab-ring.yaml"), &base, "chunk_whole");
    let mut chunked = base.to_vec();
    chunked.extend((0..8).map(|k| format!("chip{k}.coll.chunk_kib=16")));
    let piped = measured_ns(&format!("{MC}/ab-ring.yaml"), &chunked, "chunk_16k");
    // Pipelining overlaps each step's reduction with the next chunk's transfer.
    assert!(piped < 0.9 * whole, "chunked {piped} ns, whole {whole} ns");
}

// ---------------------------------------------------------------- contention

#[test]
fn two_all_reduces_sharing_the_links_take_twice_the_wire_time() {
    // A fast adder, so the wire is the limit: 2 chips, 4 MiB, chunks of 64 KiB interleave.
    let mut sets = vec!["system.dimensions.0.size=2".to_string(), "system.set.drv.bytes=4194304".to_string()];
    for k in 0..2 {
        sets.push(format!("chip{k}.coll.reduce_elements_per_cycle=1024"));
        sets.push(format!("chip{k}.coll.chunk_kib=64"));
    }
    let one = measured_ns(&format!("{MC}/ab-ring.yaml"), &sets, "share_one");
    sets.push("system.set.drv.concurrent=2".to_string());
    let v = run_json(
        &["run", &format!("{MC}/ab-ring.yaml")]
            .iter()
            .copied()
            .chain(sets.iter().flat_map(|s| ["--set", s.as_str()]))
            .collect::<Vec<_>>(),
        &scratch("mc_share_two"),
    );
    let two = stat(&v, "chip0.drv.last_ps") / 1e3;
    // Link arithmetic: each all-reduce puts n bytes on each link (n/2 each way per phase);
    // two of them put 2n through the same 25 GB/s.
    let wire_one = 4194304.0 / 25.0;
    assert!((one - wire_one).abs() / wire_one < 0.05, "one flow: {one} ns against {wire_one} ns of wire time");
    assert!(
        (two - 2.0 * wire_one).abs() / (2.0 * wire_one) < 0.05,
        "two flows: {two} ns against {} ns",
        2.0 * wire_one
    );
}

#[test]
fn an_oversubscribed_switch_sets_the_pace_of_its_port() {
    // Links at 25 GB/s into switch ports of 10 GB/s: the ports are the bottleneck and push
    // back on the links through their buffers.
    let bytes = 8u64 << 20;
    let sets = vec![
        "system.dimensions.0.size=4".to_string(),
        "system.dimensions.0.switch.port_bandwidth_gb_per_s=10".to_string(),
        format!("system.set.drv.bytes={bytes}"),
    ];
    let t = measured_ns(&format!("{MC}/ab-switch.yaml"), &sets, "oversub");
    let dims = [Dim { kind: DimKind::Switch, size: 4, algorithm: Algorithm::HalvingDoubling }];
    let cost = [DimCost { alpha_ns: 250.0, beta_ns_per_byte: 1.0 / 10.0 }];
    check_alpha_beta(t, alpha_beta_ns(&dims, &cost, bytes as f64, GAMMA_NS_PER_BYTE), "switch ports at 10 GB/s");
    // In 64 KiB chunks the links outrun the ports: the switch's input buffers (8 packets)
    // fill and hold the links back, and the ports still set the pace.
    let mut chunked = sets.clone();
    chunked.extend((0..4).map(|k| format!("chip{k}.coll.chunk_kib=64")));
    let mut args = vec!["run".to_string(), format!("{MC}/ab-switch.yaml")];
    args.extend(chunked.iter().flat_map(|s| ["--set".to_string(), s.clone()]));
    let v = run_json(&args.iter().map(String::as_str).collect::<Vec<_>>(), &scratch("mc_oversub_stats"));
    assert!(stat(&v, "chip0.d0_up.blocked_ps") > 0.0, "the link was held back by the switch's full buffer");
    let wire = 2.0 * 0.75 * bytes as f64 / 10.0;
    let piped = stat(&v, "chip0.coll.collective_ps") / 1e3;
    assert!(piped > wire, "chunked {piped} ns: faster than the ports allow ({wire} ns)");
}

// ---------------------------------------------------------------- determinism

#[test]
fn a_sixteen_chip_run_is_identical_on_one_two_and_four_threads() {
    let mut outs = Vec::new();
    for threads in ["1", "2", "4"] {
        let dir = scratch(&format!("mc_det_{threads}"));
        let o = tasim(&[
            "run",
            &format!("{MC}/train-ring.yaml"),
            "--set",
            "system.dimensions.0.size=16",
            "--set",
            "system.set.ctrl.batch_size=16",
            "--set",
            "system.set.ctrl.epochs=1",
            "--threads",
            threads,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(dir);
    }
    for f in [
        "stats.json",
        "stats.csv",
        "summary.json",
        "chips.csv",
        "links.csv",
        "epochs.csv",
        "power.csv",
        "bandwidth.csv",
        "bandwidth.svg",
    ] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        for d in &outs[1..] {
            assert!(a == std::fs::read(d.join(f)).unwrap(), "{f} differs between 1 thread and {}", d.display());
        }
    }
}

// ---------------------------------------------------------------- reports

#[test]
fn the_report_has_chips_links_phases_and_the_system() {
    let dir = scratch("mc_report");
    let o = tasim(&[
        "run",
        &format!("{MC}/train-ring.yaml"),
        "--set",
        "system.dimensions.0.size=4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for want in ["system     4 chips", "exposed communication", "samples/s", "links    4", "d0.reduce_scatter"] {
        assert!(text.contains(want), "no `{want}` in\n{text}");
    }
    let s: Value = serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let sys = &s["system"];
    assert_eq!(sys["chips"], 4);
    assert_eq!(sys["per_chip"].as_array().unwrap().len(), 4);
    assert_eq!(sys["per_link"].as_array().unwrap().len(), 4);
    // Every chip trained a quarter of the 40 samples per epoch.
    assert!(sys["per_chip"].as_array().unwrap().iter().all(|c| c["samples"] == 20));
    assert!(sys["energy_uj_per_epoch"]["links"].as_f64().unwrap() > 0.0);
    let links = std::fs::read_to_string(dir.join("links.csv")).unwrap();
    assert_eq!(links.lines().count(), 5);
    // Every byte sent is received once (packets that arrive before their collective
    // starts are counted when it takes them).
    let total = |k: &str| sys["per_chip"].as_array().unwrap().iter().map(|c| c[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total("bytes_sent"), total("bytes_received"));
    assert!(total("bytes_sent") > 0);
}

// ---------------------------------------------------------------- bad input

fn refused(args: &[&str], file: &str, line: usize, field: &str) {
    let o = tasim(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", stdout(&o), stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("{file}:{line}:")), "no {file}:{line}: in {e}");
    assert!(e.contains(field), "no `{field}` in {e}");
    assert!(e.contains("fix:"), "no fix in {e}");
}

#[test]
fn bad_systems_are_refused_at_their_line() {
    let bad = "tests/data/topologies/bad";
    refused(&["validate", &format!("{bad}/system_missing_port.yaml")], "system_missing_port.yaml", 9, "d0_rx_next");
    refused(&["validate", &format!("{bad}/system_size_not_dividing.yaml")], "system_size_not_dividing.yaml", 7, "size");
    refused(
        &["validate", &format!("{bad}/system_hd_not_power_of_two.yaml")],
        "system_hd_not_power_of_two.yaml",
        6,
        "algorithm",
    );
    refused(
        &["validate", &format!("{MC}/train-ring.yaml"), "--set", "system.dimensions.0.size=16"],
        "train-ring.yaml",
        3,
        "batch",
    );
}

/// A system run cut before its first epoch gives its energy in all, not "per epoch" (a new
/// user saw a per-epoch figure for zero epochs).
#[test]
fn a_system_cut_before_an_epoch_reports_totals_not_per_epoch() {
    let out = crate::cli_support::ok(&crate::cli_support::tasim(&[
        "run",
        "topologies/multichip/ring4.yaml",
        "--until-ns",
        "100000",
    ]));
    let line = out.lines().find(|l| l.starts_with("  energy   ")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("in all (no epoch complete)") && !line.contains("per epoch"), "{line}");
}
