//! The trace forms through the CLI: the binary fixture written from the specification reads
//! as its text form says; text ⇄ binary converts without loss; DRAMSim3 and Ramulator 2
//! keep what they can hold; `tasim trace stats` counts what is there.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

const SAMPLE: &str = "traces/paper-chip-small-buffer.mtrace";

fn convert(input: &Path, output: &Path, to: &str, extra: &[&str]) {
    let mut args = vec!["trace", "convert", input.to_str().unwrap(), output.to_str().unwrap(), "--to", to];
    args.extend_from_slice(extra);
    let out = tasim(&args);
    assert!(out.status.success(), "convert to {to}: {}", stderr(&out));
}

fn text_of(trace: &Path) -> String {
    let out = tasim(&["trace", "text", trace.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn the_fixture_written_from_the_specification_reads_as_its_text_form() {
    // make_fixtures.py wrote both from traces/FORMAT.md: two chunks, every delta rule.
    let text = text_of(&root().join("tests/data/traces/good.mtrace"));
    assert_eq!(text, std::fs::read_to_string(data("traces/good.txt")).unwrap());
}

#[test]
fn text_and_binary_convert_both_ways_without_loss() {
    let dir = scratch("trace_format_text");
    let (txt, bin, txt2) = (dir.join("a.txt"), dir.join("b.mtrace"), dir.join("c.txt"));
    convert(&root().join(SAMPLE), &txt, "text", &[]);
    convert(&txt, &bin, "binary", &[]);
    convert(&bin, &txt2, "text", &[]);
    assert_eq!(std::fs::read(root().join(SAMPLE)).unwrap(), std::fs::read(&bin).unwrap(), "binary, text, binary");
    assert_eq!(std::fs::read(&txt).unwrap(), std::fs::read(&txt2).unwrap());
    let text = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 17704);
    assert!(text.ends_with("#! end_ps 3615777500 ran_out\n"), "{}", &text[text.len() - 60..]);
    assert_eq!(text, text_of(&root().join(SAMPLE)), "`trace text` prints the same");
}

/// (address, write, arrival) of every record of a text trace.
fn essentials(text: &str) -> Vec<(u64, bool, u64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (u64::from_str_radix(&f[5][2..], 16).unwrap(), f[4] == "W", f[0].parse().unwrap())
        })
        .collect()
}

#[test]
fn dramsim3_holds_address_direction_and_cycle_and_round_trips() {
    let dir = scratch("trace_format_dramsim3");
    let (d3, back, d3b) = (dir.join("a.trace"), dir.join("b.mtrace"), dir.join("c.trace"));
    convert(&root().join(SAMPLE), &d3, "dramsim3", &[]);
    let lines = std::fs::read_to_string(&d3).unwrap();
    // The sample's first record: a read of 0x40 arriving at 645 ns = cycle 1032 of 625 ps.
    assert_eq!(lines.lines().next(), Some("0x40 READ 1032"));
    convert(&d3, &back, "binary", &[]);
    convert(&back, &d3b, "dramsim3", &[]);
    assert_eq!(lines, std::fs::read_to_string(&d3b).unwrap(), "export, import, export");
    let original = essentials(&text_of(&root().join(SAMPLE)));
    let imported = essentials(&text_of(&back));
    assert_eq!(original.len(), imported.len());
    for (o, i) in original.iter().zip(&imported) {
        assert_eq!((o.0, o.1, o.2 / 625 * 625), *i, "address, direction, arrival to the cycle");
    }
    // A different clock counts other cycles.
    let d3_800 = dir.join("d.trace");
    convert(&root().join(SAMPLE), &d3_800, "dramsim3", &["--clock-mhz", "800"]);
    assert_eq!(std::fs::read_to_string(&d3_800).unwrap().lines().next(), Some("0x40 READ 516"));
}

#[test]
fn ramulator_holds_address_direction_and_order_and_round_trips() {
    let dir = scratch("trace_format_ramulator");
    let (ram, back, ramb) = (dir.join("a.trace"), dir.join("b.mtrace"), dir.join("c.trace"));
    convert(&root().join(SAMPLE), &ram, "ramulator", &[]);
    let lines = std::fs::read_to_string(&ram).unwrap();
    assert_eq!(lines.lines().take(4).collect::<Vec<_>>(), ["LD 0x40", "LD 0x80", "LD 0xf80", "ST 0x100"]);
    convert(&ram, &back, "binary", &[]);
    convert(&back, &ramb, "ramulator", &[]);
    assert_eq!(lines, std::fs::read_to_string(&ramb).unwrap());
    let original = essentials(&text_of(&root().join(SAMPLE)));
    let imported = essentials(&text_of(&back));
    let strip = |v: &[(u64, bool, u64)]| v.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>();
    assert_eq!(strip(&original), strip(&imported));
    assert!(imported.iter().enumerate().all(|(k, r)| r.2 == k as u64 * 625), "one a cycle");
}

#[test]
fn an_import_says_what_it_assumed() {
    let dir = scratch("trace_format_import");
    let d3 = dir.join("x.trace");
    std::fs::write(&d3, "0x1000 WRITE 4\n0x1040 READ 8\n").unwrap();
    let bin = dir.join("x.mtrace");
    convert(&d3, &bin, "binary", &["--bytes", "32", "--clock-mhz", "1000"]);
    let text = text_of(&bin);
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        records,
        ["4000 4000 dramsim3 memory W 0x1000 32 other -", "8000 8000 dramsim3 memory R 0x1040 32 other -"]
    );
    assert!(text.contains("#! topology dramsim3:x.trace\n#! clock_ps 1000\n"), "{text}");
    assert!(!text.contains("#! end_ps"), "an import has no end: it did not come from a run");
}

fn stats(args: &[&str], name: &str) -> Value {
    let dir = scratch(name);
    let mut all = vec!["trace", "stats"];
    all.extend_from_slice(args);
    all.extend(["--out", dir.to_str().unwrap()]);
    let out = tasim(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(dir.join("trace_stats.json")).unwrap()).unwrap()
}

#[test]
fn trace_stats_counts_volume_mix_footprint_reuse_and_causes() {
    let j = stats(&["tests/data/traces/good.mtrace"], "trace_format_stats");
    assert_eq!((j["records"].as_u64(), j["reads"].as_u64(), j["writes"].as_u64()), (Some(8), Some(5), Some(3)));
    assert_eq!(j["bytes"], 64 * 6 + 32 * 2);
    // Lines of 64 B touched: 0x40 and 0x80 (1, 2), 0x1000 (64), 0xfc0 and 0xfe0 (63 twice),
    // 0x40 again, 0x0 (0), 0x7fffffc0: six lines, two touches of lines seen before.
    assert_eq!((j["footprint_lines"].as_u64(), j["reused_line_touches"].as_u64()), (Some(6), Some(2)));
    assert_eq!(j["rw_switches"], 4, "R R W R R W W R");
    // 448 bytes between the first (1 ns) and the last record (12 ns).
    assert!((j["offered_bytes_per_s"].as_f64().unwrap() - 448.0 / 11e-9).abs() < 1.0);
    let causes: Vec<(String, u64)> = j["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cause"].as_str().unwrap().to_string(), c["requests"].as_u64().unwrap()))
        .collect();
    let want = [("load.none", 2), ("fp.0", 2), ("bp.2", 2), ("wu.65534", 1), ("other.none", 1)];
    assert_eq!(causes, want.map(|(c, n)| (c.to_string(), n)));
    assert_eq!(j["end_ps"], 15000);
}

#[test]
fn trace_stats_with_a_memory_gives_the_load_per_bank() {
    let j = stats(&[SAMPLE, "--topology", "topologies/memory/paper-chip-dram.yaml"], "trace_format_banks");
    let banks: Vec<u64> = j["banks"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).collect();
    assert_eq!(banks.len(), 16, "2 channels x 8 banks");
    // Every 64-byte request is two 32-byte bursts.
    assert_eq!(banks.iter().sum::<u64>(), 2 * 17704);
    // The same counts as the DRAM served in the recorded run (stats of the chip run).
    let expected = [5362, 3120, 2864, 1966, 1076, 1620, 1470, 964, 5034, 2152, 2660, 1852, 1052, 1066, 1320, 1830];
    assert_eq!(banks, expected);
}
