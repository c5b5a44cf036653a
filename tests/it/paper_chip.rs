//! The paper chip end to end: it trains exactly as the standalone trainer does, reproduces
//! the published power and energy at 50 MHz, and its trade-offs (DVFS, masking, contention,
//! overlap) show in time, energy and traffic.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

const CHIP: &str = "topologies/paper-chip.yaml";

/// Runs a chip topology with `--out` (and extra arguments); returns summary.json and the
/// statistics of stats.json.
fn chip(name: &str, topology: &str, args: &[&str]) -> (Value, Value) {
    let dir = scratch(name);
    let mut all = vec!["run", topology, "--out", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = tasim(&all);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let read = |f: &str| serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
    (read("summary.json"), read("stats.json")["stats"].clone())
}

fn epoch_ms(summary: &Value) -> f64 {
    let e = summary["epochs"].as_array().unwrap();
    let last = &e[e.len() - 1];
    (last["end_ps"].as_u64().unwrap() - last["start_ps"].as_u64().unwrap()) as f64 * 1e-9
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// `tasim train` with the chip's defaults (model, data, pre-trained weights, 3 epochs, seed
/// 1), writing `output` (`--save` or `--out`) into a scratch directory.
fn train_into(name: &str, output: &str, extra: &[&str]) -> std::path::PathBuf {
    let dir = scratch(name);
    let mut args = vec!["train", "--model", "models/paper-cnn.yaml", "--dataset", "synth:personal"];
    args.extend(["--precision", "int8", "--pretrained", "models/paper-cnn.pretrained", "--epochs", "3", "--seed", "1"]);
    args.extend([output, dir.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let out = tasim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn train(name: &str, extra: &[&str]) -> std::path::PathBuf {
    train_into(name, "--save", extra)
}

fn chip_weights(name: &str, topology: &str, set: &[&str]) -> std::path::PathBuf {
    let dir = scratch(name);
    let mut args = vec!["run", topology, "--save", dir.to_str().unwrap()];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = tasim(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn simulated_training_is_bit_identical_to_tasim_train() {
    let reference = files(&train("train_ref", &[]));
    assert!(reference.iter().any(|(f, _)| f == "layer1.weight.npy"));
    // The default schedule, and others that split and order the work differently.
    for (name, set) in [
        ("chip_default", vec![]),
        (
            "chip_sample_first",
            vec!["ctrl.priority=sample_first", "ctrl.samples_in_flight=2", "ctrl.wg_tasks_per_layer=3"],
        ),
        ("chip_serial", vec!["ctrl.schedule=serial", "pc0.double_buffer=false"]),
        ("chip_op200", vec!["dvfs.initial=op200"]),
    ] {
        assert_eq!(files(&chip_weights(name, CHIP, &set)), reference, "{name}: weights differ from tasim train");
    }
    // Without masking the chip matches the trainer's activation path.
    let reference = files(&train("train_ref_act", &["--bp-path", "activations"]));
    assert_eq!(files(&chip_weights("chip_nomask", "topologies/paper-chip-nomask.yaml", &[])), reference);
}

#[test]
fn held_out_accuracy_matches_tasim_train() {
    let dir = scratch("train_metrics");
    let out = crate::support::paper_train(&["--epochs", "3", "--seed", "1", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    let (summary, _) = chip("chip_metrics", CHIP, &[]);
    for (m, c) in metrics["epochs"].as_array().unwrap().iter().zip(summary["epochs"].as_array().unwrap()) {
        assert_eq!(m["train_loss"], c["train_loss"]);
        assert_eq!(m["train_accuracy"], c["train_accuracy"]);
        assert_eq!(m["test_accuracy"], c["held_out_accuracy"]);
    }
    // Personalisation works on the chip: the writer's held-out accuracy rises.
    let before = summary["held_out_before"]["accuracy"].as_f64().unwrap();
    let after = summary["epochs"][2]["held_out_accuracy"].as_f64().unwrap();
    assert!(after > before + 0.15, "{before} -> {after}");
}

#[test]
fn calibrated_to_the_published_power_and_energy_at_50_mhz() {
    let (s, _) = chip("calibration", CHIP, &[]);
    for e in s["epochs"].as_array().unwrap() {
        let uj = e["chip_energy_uj"].as_f64().unwrap();
        assert!((uj / 47.4 - 1.0).abs() < 0.05, "epoch {}: {uj} uJ", e["epoch"]);
    }
    let per_epoch = s["energy"]["chip_uj_per_epoch"].as_f64().unwrap();
    let mw = s["power"]["chip_average_mw"].as_f64().unwrap();
    assert!((per_epoch / 47.4 - 1.0).abs() < 0.05, "{per_epoch} uJ per epoch");
    assert!((mw / 40.7 - 1.0).abs() < 0.05, "{mw} mW");
}

#[test]
fn energy_per_epoch_rises_with_the_operating_point() {
    let points = ["op50", "op100", "op150", "op200"];
    let mut last = (0.0, f64::MAX);
    for p in points {
        let (s, _) = chip(&format!("dvfs_{p}"), CHIP, &["--set", &format!("dvfs.initial={p}")]);
        let uj = s["energy"]["chip_uj_per_epoch"].as_f64().unwrap();
        let ms = epoch_ms(&s);
        assert!(uj > last.0, "{p}: {uj} uJ per epoch is not above {}", last.0);
        assert!(ms < last.1, "{p}: {ms} ms per epoch is not below {}", last.1);
        last = (uj, ms);
    }
}

#[test]
fn masking_cuts_intermediate_data_and_dram_traffic() {
    let (with, sw) = chip("mask_on", CHIP, &[]);
    let (without, so) = chip("mask_off", "topologies/paper-chip-nomask.yaml", &[]);
    let d = &with["intermediate_data"];
    let reduction = d["reduction"].as_f64().unwrap();
    // One bit instead of eight per conv output: 87.5% (the paper: 88.3%).
    assert_eq!(
        reduction,
        1.0 - d["per_sample_mask_bytes"].as_f64().unwrap() / d["per_sample_activation_bytes"].as_f64().unwrap()
    );
    assert!((0.85..0.90).contains(&reduction), "{reduction}");
    assert!(without["intermediate_data"]["working_set_bytes"].as_u64() > d["working_set_bytes"].as_u64());
    let dram = |s: &Value| s["dram.bytes_read"].as_u64().unwrap() + s["dram.bytes_written"].as_u64().unwrap();
    assert!(dram(&so) > 100 * dram(&sw).max(1), "DRAM bytes: masking {} vs none {}", dram(&sw), dram(&so));
}

#[test]
fn contention_lengthens_the_epoch_and_the_stats_show_where() {
    let (base, sb) = chip("contention_base", CHIP, &[]);
    let t0 = epoch_ms(&base);

    let (noc, sn) = chip("contention_noc", CHIP, &["--set", "noc.link_bytes_per_cycle=16"]);
    assert!(epoch_ms(&noc) > t0 * 1.02, "halved NoC links: {} vs {t0} ms", epoch_ms(&noc));
    let util = |s: &Value| s["noc.link.gb->r1.utilisation"].as_f64().unwrap();
    assert!(util(&sn) > util(&sb), "the buffer's link is busier");
    let queue = |s: &Value| s["noc.router.r1.queueing_ps"]["mean"].as_f64().unwrap();
    assert!(queue(&sn) > queue(&sb), "and packets wait longer at its router");

    let (gb, sg) = chip("contention_gb", CHIP, &["--set", "gb.banks=1"]);
    assert!(epoch_ms(&gb) > t0 * 1.01, "one buffer bank: {} vs {t0} ms", epoch_ms(&gb));
    let conflicts = |s: &Value| s["gb.bank_conflicts"].as_u64().unwrap();
    assert!(conflicts(&sg) > 5 * conflicts(&sb));

    // The DRAM matters when the buffer spills: on the small-buffer variant, one bank.
    let small = "topologies/paper-chip-small-buffer.yaml";
    let (d16, sd16) = chip("contention_dram_base", small, &[]);
    let (d1, sd1) = chip("contention_dram", small, &["--set", "dram.geometry.banks=1"]);
    assert!(epoch_ms(&d1) > epoch_ms(&d16), "one DRAM bank: {} vs {} ms", epoch_ms(&d1), epoch_ms(&d16));
    let lat = |s: &Value| s["dram.read_latency_ps"]["mean"].as_f64().unwrap();
    assert!(lat(&sd1) > lat(&sd16), "reads queue in the one bank");
    let hits = |s: &Value| s["dram.row_hit_rate"].as_f64().unwrap();
    assert!(hits(&sd1) < hits(&sd16), "and its row buffer thrashes");

    let (serial, _) = chip("serial", CHIP, &["--set", "ctrl.schedule=serial"]);
    assert!(epoch_ms(&serial) > 1.5 * t0, "no overlap between the cores: {} vs {t0} ms", epoch_ms(&serial));
}

#[test]
fn energy_bookkeeping_adds_up() {
    let (s, stats) = chip("bookkeeping", CHIP, &[]);
    let e = &s["energy"];
    let total = e["chip_uj"].as_f64().unwrap();
    let components: f64 = e["per_component"].as_array().unwrap().iter().map(|c| c["chip_uj"].as_f64().unwrap()).sum();
    assert!((components - total).abs() < 1e-9 * total, "{components} vs {total}");
    let kinds: f64 = e["per_kind_uj"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    assert!((kinds + e["leakage_uj"].as_f64().unwrap() - total).abs() < 1e-6 * total, "kinds + leakage = total");
    let seconds = s["simulated_ps"].as_f64().unwrap() * 1e-12;
    let mw = s["power"]["chip_average_mw"].as_f64().unwrap();
    assert!((mw * 1e-3 * seconds * 1e6 - total).abs() < 1e-9 * total, "power x time = energy");
    let epochs: f64 = s["epochs"].as_array().unwrap().iter().map(|x| x["chip_energy_uj"].as_f64().unwrap()).sum();
    assert!(epochs <= total && epochs > 0.99 * total, "epochs {epochs} of {total}");
    // Every component's series sums to its total.
    for (k, v) in stats.as_object().unwrap() {
        if let Some(base) = k.strip_suffix("series_pj") {
            let sum: f64 = v["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).sum();
            let t = stats[format!("{base}total_pj")].as_f64().unwrap();
            assert!((sum - t).abs() <= 1e-6 * t.max(1.0), "{k}: {sum} vs {t}");
        }
    }
}

#[test]
fn same_seed_same_report_byte_for_byte() {
    let run = |name: &str| {
        let dir = scratch(name);
        let out = tasim(&["run", CHIP, "--out", dir.to_str().unwrap()]);
        assert!(out.status.success());
        // Wall time and the output directory's name are the only lines that may differ.
        let text = stdout(&out)
            .lines()
            .filter(|l| !l.starts_with("events") && !l.starts_with("wrote"))
            .collect::<Vec<_>>()
            .join("\n");
        (files(&dir), text)
    };
    let (a, ta) = run("same_a");
    let (b, tb) = run("same_b");
    assert_eq!(a, b);
    assert_eq!(ta, tb);
}

/// `tasim run` fails with exit code 2 and a first line containing `expected`.
fn rejects(set: &[&str], expected: &str) {
    let mut args = vec!["run", CHIP];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = tasim(&args);
    assert_eq!(out.status.code(), Some(2), "{set:?}: {}", stderr(&out));
    assert!(stderr(&out).contains(expected), "{set:?}: {}", stderr(&out));
}

#[test]
fn bad_chip_parameters_name_the_field() {
    rejects(&["pc0.pe_rows=0"], "pc0: `pe_rows` = 0 must be a whole number from 1 to 1024");
    rejects(&["pc0.input_buffer_kib=0.1"], "needs 0.25 KiB of local buffer but `input_buffer_kib` is 0.10 KiB");
    rejects(&["dvfs.initial=op75"], "unknown operating point `op75`");
    rejects(&["dvfs.transition_latency_ns=-5"], "`transition_latency_ns` = -5 must be a finite number >= 0");
    rejects(&["gb.access_latency_cycles=-1"], "invalid value: integer `-1`");
    rejects(&["uc.local_kib=16"], "the model does not fit the chip: its master weights, momentum and gradient sums need 52.2 KiB of update-core memory, but `local_kib` is 16.0 KiB");
    rejects(&["ctrl.schedule=parallel"], "unknown schedule `parallel`");
}
