//! Costs follow the architecture: the paper chip's global buffer takes its energy, leakage
//! and area from the SRAM model for its geometry, so a bigger buffer costs more; a
//! coefficient given in the YAML overrides the model's and is range-checked like any other;
//! a geometry the model does not cover is refused with a fix unless coefficients are given.

use components::cost::area::{pe_um2, storage_mm2, PeWidths};
use components::cost::sram::{sram_cost, SramCost, SramGeometry};
use serde_json::Value;

use crate::support::*;

const CHIP: &str = "topologies/paper-chip.yaml";

/// One epoch of the paper chip with `set`; its stats.json statistics.
fn run(name: &str, set: &[&str]) -> Value {
    run_out(name, set).0
}

/// One epoch of the paper chip with `set`; its statistics and its summary.json.
fn run_out(name: &str, set: &[&str]) -> (Value, Value) {
    let dir = scratch(name);
    let mut args = vec!["run", CHIP, "--out", dir.to_str().unwrap(), "--set", "ctrl.epochs=1"];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = tasim(&args);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let read = |f: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap() };
    (read("stats.json")["stats"].clone(), read("summary.json"))
}

fn num(stats: &Value, key: &str) -> f64 {
    stats[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {stats}"))
}

/// Equal to the last bits that the JSON statistics keep.
fn same(a: f64, b: f64) -> bool {
    (a / b - 1.0).abs() < 1e-12
}

/// `tasim validate FILE --costs` with `set`: its `costs` (`area`, `energy_per_action`).
fn validate_costs(file: &str, set: &[&str]) -> Value {
    let mut args = vec!["validate", file, "--costs", "--format", "json"];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = tasim(&args);
    assert!(out.status.success(), "{file} {set:?}: {}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out)).unwrap()["costs"].clone()
}

/// The energy of `action` of instance `name` in `costs`, pJ.
fn action_pj(costs: &Value, name: &str, action: &str) -> f64 {
    let a = costs["energy_per_action"].as_array().unwrap();
    a.iter().find(|a| a["name"] == name && a["action"] == action).unwrap()["pj"].as_f64().unwrap()
}

/// The paper chip's buffer at `kib`: 8 banks of 16-byte (128-bit) words.
fn model(kib: u64) -> SramCost {
    sram_cost(SramGeometry { capacity_bytes: kib * 1024, word_bits: 128, banks: 8 }).unwrap()
}

/// The sweep of the acceptance (16 / 64 / 256 / 1024 KiB, same 8 banks): the buffer charges
/// the model's figures, they grow with capacity, and at 64 and 256 KiB (8 and 32 KiB banks)
/// they are the CACTI reference points themselves (tech-reference.md tables 1b and 1c:
/// 128-bit read 14.53 / 36.35 pJ, write 26.10 / 51.08 pJ, area 0.0578 / 0.2035 mm² per bank;
/// leakage of a 64-bit bank 0.243 + 1.54 / 0.906 + 5.21 µW).
#[test]
fn a_bigger_buffer_costs_what_the_sram_model_says() {
    let reference = [(64u64, 14.53, 26.10, 0.0578, 0.243 + 1.54), (256, 36.35, 51.08, 0.2035, 0.906 + 5.21)];
    for (kib, rd, wr, area, leak_uw) in reference {
        let m = model(kib);
        assert!((m.read_pj_per_access / rd - 1.0).abs() < 1e-9, "{kib} KiB read {}", m.read_pj_per_access);
        assert!((m.write_pj_per_access / wr - 1.0).abs() < 1e-9, "{kib} KiB write");
        assert!((m.area_mm2 / (8.0 * area) - 1.0).abs() < 1e-9, "{kib} KiB area");
        assert!((m.leakage_mw / (8.0 * leak_uw * 1e-3) - 1.0).abs() < 1e-9, "{kib} KiB leakage");
    }
    let mut last: Option<(f64, f64, f64, f64)> = None;
    for kib in [16u64, 64, 256, 1024] {
        let s = run(&format!("costs_gb_{kib}"), &[&format!("gb.capacity_kib={kib}")]);
        let m = model(kib);
        for (key, want) in [
            ("gb.sram.model.read_pj_per_access", m.read_pj_per_access),
            ("gb.sram.model.write_pj_per_access", m.write_pj_per_access),
            ("gb.sram.read_pj_per_byte", m.read_pj_per_access / 16.0),
            ("gb.sram.leakage_mw", m.leakage_mw),
            ("gb.sram.nominal_v", 1.2),
            ("gb.area_mm2", m.area_mm2),
        ] {
            assert!(same(num(&s, key), want), "{kib} KiB {key}: {} vs {want}", num(&s, key));
        }
        // The energy charged is the model's per byte at the supply's V² from 1.2 V (0.63 V at 50 MHz).
        let bytes = num(&s, "gb.bytes_read");
        let read = num(&s, "gb.energy.kind.sram_read_pj");
        assert!((read / (bytes * m.read_pj_per_byte() * (0.63f64 / 1.2).powi(2)) - 1.0).abs() < 1e-9);
        let now = (m.read_pj_per_access, m.write_pj_per_access, num(&s, "gb.energy.leakage_pj"), m.area_mm2);
        if let Some(prev) = last {
            assert!(now.0 > prev.0 && now.1 > prev.1 && now.2 > prev.2 && now.3 > prev.3, "{prev:?} -> {now:?}");
        }
        last = Some(now);
    }
}

#[test]
fn explicit_coefficients_override_the_model() {
    let s = run(
        "costs_gb_explicit",
        &[
            "gb.energy.read_pj_per_byte=2",
            "gb.energy.write_pj_per_byte=3",
            "gb.energy.leakage_mw=1",
            "gb.energy.nominal_v=0.9",
        ],
    );
    for (key, want) in [
        ("gb.sram.read_pj_per_byte", 2.0),
        ("gb.sram.write_pj_per_byte", 3.0),
        ("gb.sram.leakage_mw", 1.0),
        ("gb.sram.nominal_v", 0.9),
    ] {
        assert_eq!(num(&s, key), want, "{key}");
    }
    // The energy charged follows the given coefficient and voltage.
    let want = num(&s, "gb.bytes_read") * 2.0 * (0.63f64 / 0.9).powi(2);
    assert!(same(num(&s, "gb.energy.kind.sram_read_pj"), want));
    // Given in part, at 0.9 V: the model's write energy is restated at 0.9 V, so the energy
    // charged is the model's whatever voltage the other coefficients are given at.
    let mixed = run("costs_gb_mixed", &["gb.energy.read_pj_per_byte=2", "gb.energy.nominal_v=0.9"]);
    let m = model(64);
    assert!(same(num(&mixed, "gb.sram.write_pj_per_byte"), m.write_pj_per_byte() * (0.9f64 / 1.2).powi(2)));
    let plain = run("costs_gb_model", &[]);
    assert!(same(num(&mixed, "gb.energy.kind.sram_write_pj"), num(&plain, "gb.energy.kind.sram_write_pj")));
}

#[test]
fn a_bank_outside_the_model_is_an_input_error_with_a_fix() {
    // 4 KiB in 8 banks: 512-byte banks, below the smallest reference point (1 KiB).
    let out = tasim(&["validate", CHIP, "--set", "gb.capacity_kib=4"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains("capacity_kib") && e.contains("0.5 KiB") && e.contains("give energy.read_pj_per_byte"), "{e}");
    // ... unless every coefficient is given.
    let out = tasim(&[
        "validate",
        CHIP,
        "--set",
        "gb.capacity_kib=4",
        "--set",
        "gb.energy.read_pj_per_byte=1",
        "--set",
        "gb.energy.write_pj_per_byte=1",
        "--set",
        "gb.energy.leakage_mw=0.01",
        "--set",
        "gb.energy.nominal_v=1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Coefficients given without their voltage are refused, naming the missing field.
    let out = tasim(&["validate", CHIP, "--set", "gb.energy.read_pj_per_byte=2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("energy.nominal_v"), "{}", stderr(&out));
}

/// An optional, model-derived coefficient is still range-checked when given, and `tasim
/// types` says what its absence means.
#[test]
fn a_derived_parameter_is_declared_and_checked() {
    let out = tasim(&["validate", CHIP, "--set", "gb.energy.leakage_mw=-1", "--set", "gb.energy.nominal_v=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains("`energy.leakage_mw` = -1 must be a finite number from 0"), "{e}");
    assert!(e.contains("or absent: the SRAM model"), "{e}");
    let types = stdout(&tasim(&["types"]));
    assert!(
        types.contains("energy.read_pj_per_byte: (derived)  in [0, 1000000], or absent: the SRAM model"),
        "{types}"
    );
}

/// The area of each component is its parts from the area model, the chip report adds them
/// up, and `validate --costs` gives the same figures (and the energy of one action at the
/// initial operating point) without running.
#[test]
fn area_per_component_follows_the_model_and_adds_up() {
    let (s, summary) = run_out("costs_area", &[]);
    let pe = pe_um2(PeWidths { operand_bits: 8, accumulator_bits: 32 }) * 1e-6;
    // 16x8 PEs, 4 + 2 + 4 KiB buffers read 64 bits (8 columns of 8-bit operands) at a time.
    let pc = 128.0 * pe + 2.0 * storage_mm2(4096, 64) + storage_mm2(2048, 64);
    assert!(same(num(&s, "pc0.area_mm2"), pc), "{} vs {pc}", num(&s, "pc0.area_mm2"));
    assert!(same(num(&s, "pc0.area.pe_array_mm2"), 128.0 * pe));
    // 16x16 PEs, 64 KiB local memory and a 4 KiB operand buffer, 128-bit words.
    let uc = 256.0 * pe + storage_mm2(64 << 10, 128) + storage_mm2(4096, 128);
    assert!(same(num(&s, "uc.area_mm2"), uc));
    let parts = num(&s, "noc.area.routers_mm2") + num(&s, "noc.area.links_mm2");
    assert!(same(num(&s, "noc.area_mm2"), parts));
    // 7 router-to-router pairs of the 2x3 mesh, both ways, 256 wires of 1 mm at 0.13 um.
    assert!(same(num(&s, "noc.area.links_mm2"), 14.0 * 256.0 * 0.13e-3));

    let area = &summary["area"];
    let listed: f64 = area["per_component"].as_array().unwrap().iter().map(|c| c["mm2"].as_f64().unwrap()).sum();
    let want: f64 = ["pc0", "pc1", "uc", "noc", "gb"].iter().map(|c| num(&s, &format!("{c}.area_mm2"))).sum();
    assert!(same(listed, want) && same(area["total_mm2"].as_f64().unwrap(), want), "{area}");

    let out = tasim(&["validate", CHIP, "--costs", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["costs"]["area"], summary["area"]);
    let actions = v["costs"]["energy_per_action"].as_array().unwrap();
    let pj = |name: &str, action: &str| {
        actions.iter().find(|a| a["name"] == name && a["action"] == action).unwrap()["pj"].as_f64().unwrap()
    };
    // One MAC at the 0.5 V core supply: the PE model's 8 x 8-bit multiply and 32-bit add at
    // 0.9 V (Horowitz's 0.2 + 0.1 pJ at 45 nm, x1.24 to 65 nm), scaled as V².
    let mac = components::cost::pe::mac_pj(PeWidths { operand_bits: 8, accumulator_bits: 32 });
    assert!(same(pj("pc0", "mac_pj"), mac * (0.5f64 / 0.9).powi(2)));
    assert!((mac - 0.3 * 1.24).abs() < 0.003, "{mac}");
    // One operand-buffer byte: the SRAM model for 4 + 2 + 4 KiB of 64-bit words, by size.
    let e = |b: u64| components::cost::pe::storage_energy(b, 64);
    let read = (2.0 * 4096.0 * e(4096).read_pj_per_byte + 2048.0 * e(2048).read_pj_per_byte) / 10240.0;
    assert!(same(pj("pc0", "buffer_read_pj_per_byte"), read * (0.5f64 / 1.2).powi(2)));
    // The update core's 64 KiB local memory (mean of read and write); none in a propagation core.
    let l = components::cost::pe::storage_energy(64 << 10, 128);
    let local = (l.read_pj_per_byte + l.write_pj_per_byte) / 2.0 * (0.5f64 / 1.2).powi(2);
    assert!(same(pj("uc", "local_memory_pj_per_byte"), local));
    assert!(!actions.iter().any(|a| a["name"] == "pc0" && a["action"] == "local_memory_pj_per_byte"));
    // One buffer access at 0.63 V: the SRAM model's 128-bit read of an 8 KiB bank at 1.2 V.
    assert!(same(pj("gb", "read_pj_per_access"), 14.53 * (0.63f64 / 1.2).powi(2)));
    // One byte-hop at 0.63 V: a 1 mm link (8 bits x 0.2 pJ/bit/mm) and the router's 512-byte
    // flip-flop input buffer written and read (given at 1.0 V).
    let b = components::cost::pe::storage_energy(512, 256).at(1.0);
    let hop = 8.0 * 0.2 * 1.0 + b.read_pj_per_byte + b.write_pj_per_byte;
    assert!(same(pj("noc", "byte_hop_pj"), hop * 0.63f64.powi(2)));
}

#[rstest::rstest]
#[case::more_pes("pc0.pe_cols=16", "pc0.area_mm2")]
#[case::wider_links("noc.link_bytes_per_cycle=64", "noc.area_mm2")]
#[case::longer_links("noc.link_length_mm=2", "noc.area_mm2")]
#[case::bigger_local_memory("uc.local_kib=128", "uc.area_mm2")]
#[case::bigger_buffer("gb.capacity_kib=256", "gb.area_mm2")]
fn a_bigger_structure_has_a_bigger_area(#[case] set: &str, #[case] key: &str) {
    let area = |set: &[&str]| {
        let v = validate_costs(CHIP, set);
        let (name, _) = key.split_once('.').unwrap();
        let c = v["area"]["per_component"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned();
        (c.unwrap()["mm2"].as_f64().unwrap(), v["area"]["total_mm2"].as_f64().unwrap())
    };
    let (base, base_total) = area(&[]);
    let (bigger, total) = area(&[set]);
    assert!(bigger > base && total > base_total, "{set}: {base} -> {bigger}");
}

/// The 28 nm variant: the same run in time and traffic, every on-chip dynamic energy, leakage
/// and area scaled from 65 nm by the node's factors (Stillmaker & Baas as
/// `cost::scaling` applies them); the off-chip DRAM unchanged.
#[test]
fn a_smaller_node_scales_energy_leakage_and_area() {
    use components::cost::scaling::Technology;
    let t = Technology::at(28.0).unwrap();
    let (s65, sum65) = run_out("costs_node_65", &[]);
    let dir = scratch("costs_node_28");
    let out =
        tasim(&["run", "topologies/paper-chip-28nm.yaml", "--out", dir.to_str().unwrap(), "--set", "ctrl.epochs=1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |f: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap() };
    let (s28, sum28) = (read("stats.json")["stats"].clone(), read("summary.json"));
    assert_eq!(sum28["simulated_ps"], sum65["simulated_ps"]);
    // Sums of many scaled terms: equal to the scaled sum up to rounding.
    let near = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-9;
    for c in ["pc0", "uc", "noc", "gb"] {
        let dynamic = format!("{c}.energy.dynamic_pj");
        let (a, b) = (num(&s28, &dynamic), num(&s65, &dynamic) * t.energy);
        assert!(near(a, b), "{dynamic}: {a} vs {b}");
        let leak = format!("{c}.energy.leakage_pj");
        assert!(near(num(&s28, &leak), num(&s65, &leak) * t.leakage), "{leak}");
        let area = format!("{c}.area_mm2");
        assert!(same(num(&s28, &area), num(&s65, &area) * t.area), "{area}");
    }
    assert_eq!(num(&s28, "dram.energy_offchip.total_pj"), num(&s65, "dram.energy_offchip.total_pj"));
    assert!(same(sum28["area"]["total_mm2"].as_f64().unwrap(), sum65["area"]["total_mm2"].as_f64().unwrap() * t.area));
    assert_eq!(sum28["area"]["node_nm"], 28.0);
    // A node outside the table is an input error at its line.
    let out = tasim(&["validate", "tests/data/topologies/bad/node_3nm.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("node_3nm.yaml:4:3: `node_nm` = 3: a 3 nm node is outside") && e.contains("fix: give a node"),
        "{e}"
    );
}

/// The node is settable from the command line (`--set technology.node_nm=28` is the 28 nm
/// variant), and a system of chips takes its chips' node from the chip template unless the
/// system file (or `--set`) gives one.
#[test]
fn the_node_is_settable_and_systems_take_their_chips_node() {
    let costs = |file: &str, set: &[&str]| validate_costs(file, set)["area"].clone();
    let variant = costs("topologies/paper-chip-28nm.yaml", &[]);
    assert_eq!(costs(CHIP, &["technology.node_nm=28"]), variant);
    assert_eq!(costs("topologies/paper-chip-28nm.yaml", &["technology.node_nm=65"]), costs(CHIP, &[]));

    // A ring of 28 nm chips: the system file names the 28 nm chip and gives no node.
    let dir = scratch("costs_system_node");
    let ring = std::fs::read_to_string("topologies/multichip/ring.yaml").unwrap();
    let ring28 = ring
        .replace("chip: ../paper-chip.yaml", &format!("chip: {}/topologies/paper-chip-28nm.yaml", root().display()));
    let path = dir.join("ring28.yaml");
    std::fs::write(&path, ring28).unwrap();
    let (a28, a65) = (costs(path.to_str().unwrap(), &[]), costs("topologies/multichip/ring.yaml", &[]));
    assert_eq!(a28["node_nm"], 28.0);
    assert_eq!(a65["node_nm"], 65.0);
    let t = components::cost::scaling::Technology::at(28.0).unwrap();
    let total = |a: &Value| a["total_mm2"].as_f64().unwrap();
    assert!((total(&a28) / (total(&a65) * t.area) - 1.0).abs() < 1e-9, "{} vs {}", total(&a28), total(&a65));
    // The system file's node (here from --set) wins over its chips'.
    assert_eq!(costs(path.to_str().unwrap(), &["technology.node_nm=65"])["total_mm2"], a65["total_mm2"]);

    // A field `technology` does not have is refused with the one it has.
    let out = tasim(&["validate", CHIP, "--set", "technology.node=28"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("`technology` has no field `node`") && e.contains("did you mean `node_nm`?"), "{e}");
}

/// A PE's operand and accumulator widths are parameters: a wider PE costs more per MAC and
/// per cycle of its registers and is larger, as the PE models say; its buffers are read a
/// wider row at a time. Widths outside the models' reference points are refused.
#[rstest::rstest]
#[case::accumulator_16(8, 16)]
#[case::operands_16(16, 32)]
#[case::operands_32(32, 32)]
fn pe_widths_follow_the_pe_models(#[case] operand: u32, #[case] accumulator: u32) {
    use components::cost::pe::{mac_pj, register_pj_per_pe_cycle};
    let set = [format!("pc0.pe_operand_bits={operand}"), format!("pc0.pe_accumulator_bits={accumulator}")];
    let (base, wide) = (validate_costs(CHIP, &[]), validate_costs(CHIP, &[&set[0], &set[1]]));
    let pj = |c: &Value, action: &str| action_pj(c, "pc0", action);
    let (w8, w) = (
        PeWidths { operand_bits: 8, accumulator_bits: 32 },
        PeWidths { operand_bits: operand, accumulator_bits: accumulator },
    );
    assert!(same(pj(&wide, "mac_pj") / pj(&base, "mac_pj"), mac_pj(w) / mac_pj(w8)));
    let reg = pj(&wide, "register_pj_per_pe_cycle") / pj(&base, "register_pj_per_pe_cycle");
    assert!(same(reg, register_pj_per_pe_cycle(w) / register_pj_per_pe_cycle(w8)));
    let area = |c: &Value| {
        let p = c["area"]["per_component"].as_array().unwrap().iter().find(|c| c["name"] == "pc0").cloned().unwrap();
        p["parts_mm2"]["pe_array"].as_f64().unwrap()
    };
    assert!(same(area(&wide), 128.0 * pe_um2(w) * 1e-6));
    assert_eq!(accumulator < 32, pj(&wide, "mac_pj") < pj(&base, "mac_pj"));

    let out = tasim(&["validate", CHIP, "--set", "pc0.pe_operand_bits=4"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("pc0: `pe_operand_bits` = 4") && e.contains("fix:"), "{e}");
}

/// The paper chip's bottom-up area against the published 10.24 mm² core (Choi et al., JSSC
/// 2020): no area calibration factor is applied, and the model is short of the ±15% the
/// issue asks for. The README reports the gap as 3.73 mm², 36.4% of the published core; this
/// holds the model to that statement (±0.5 points), so a change to the area model must
/// restate it, and a model that reaches ±15% fails here until the README says so.
#[test]
fn the_bottom_up_area_is_the_stated_share_of_the_published_core() {
    const PUBLISHED_MM2: f64 = 10.24;
    let total = validate_costs(CHIP, &[])["area"]["total_mm2"].as_f64().unwrap();
    let share = total / PUBLISHED_MM2;
    assert!((share - 0.364).abs() < 0.005, "{total} mm2 is {:.1}% of the published core", 100.0 * share);
    assert!((share - 1.0).abs() > 0.15, "within ±15% of the published area: restate the README");
}

/// A NoC byte-hop costs its link's wire by length and its router's input buffer by size.
#[test]
fn a_byte_hop_follows_link_length_and_router_buffers() {
    let hop = |set: &[&str]| action_pj(&validate_costs(CHIP, set), "noc", "byte_hop_pj");
    let base = hop(&[]);
    // One more mm of wire: 8 bits x 0.2 pJ/bit/mm at 1.0 V, charged at the 0.63 V supply.
    assert!(same(hop(&["noc.link_length_mm=2"]) - base, 1.6 * 0.63f64.powi(2)));
    // A 2 KiB input buffer is SRAM, read 256 bits at a time (the model's 128-bit word).
    let b = components::cost::pe::storage_energy(2048, 256).at(1.0);
    let big = (1.6 + b.read_pj_per_byte + b.write_pj_per_byte) * 0.63f64.powi(2);
    assert!(same(hop(&["noc.buffer_bytes=2048"]), big));
    // Given coefficients win.
    assert!(same(hop(&["noc.link_pj_per_byte=1", "noc.router_pj_per_byte=1"]), 2.0 * 0.63f64.powi(2)));
}
