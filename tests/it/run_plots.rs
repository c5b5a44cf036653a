//! `run --out` on a chip: SVG plots (power over time per component, core time per
//! operation, energy per component and phase) that parse as SVG and hold the plotted series,
//! and `power.csv` with a column per component and the epoch of each window.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

fn svg(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn texts<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<&'a str> {
    doc.descendants().filter_map(|n| n.text()).map(str::trim).filter(|t| !t.is_empty()).collect()
}

#[test]
fn a_chip_run_writes_plots_of_its_power_core_time_and_energy() {
    let dir = scratch("run_plots_chip");
    let out = dir.join("out");
    let run = tasim(&["run", "topologies/paper-chip.yaml", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    let s = &stats["stats"];
    let metered = ["ctrl", "pc0", "pc1", "uc", "noc", "gb", "dram", "dvfs"];

    // Power: one line per metered component, a point per power window.
    let text = svg(&out, "power.svg");
    let doc = roxmltree::Document::parse(&text).expect("power.svg is SVG");
    assert!(doc.root_element().has_tag_name("svg"));
    let names = texts(&doc);
    for c in metered {
        assert!(names.contains(&c), "power.svg: no `{c}` in {names:?}");
    }
    let windows = s["pc0.energy.series_pj"]["values"].as_array().unwrap().len();
    let lines: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("1"))
        .map(|n| n.attribute("points").unwrap().split_whitespace().count())
        .filter(|&points| points > 2)
        .collect();
    assert_eq!(lines, vec![windows; metered.len()], "a line of {windows} points per component");

    // Core time: a bar segment per (core, operation) the stats count.
    let text = svg(&out, "utilisation.svg");
    let doc = roxmltree::Document::parse(&text).expect("utilisation.svg is SVG");
    let segments: usize = ["pc0", "pc1", "uc"]
        .iter()
        .map(|c| s.as_object().unwrap().keys().filter(|k| k.starts_with(&format!("{c}.busy_cycles."))).count())
        .sum();
    let ops: Vec<&str> = {
        let mut o: Vec<&str> =
            s.as_object().unwrap().keys().filter_map(|k| k.split_once(".busy_cycles.").map(|(_, op)| op)).collect();
        o.sort_unstable();
        o.dedup();
        o
    };
    // Bars plus one legend swatch per operation (not the white background nor the legend's
    // unfilled frame).
    let filled = |n: &roxmltree::Node| !matches!(n.attribute("fill"), Some("#FFFFFF" | "none") | None);
    let rects = doc.descendants().filter(|n| n.has_tag_name("rect") && filled(n)).count();
    assert_eq!(rects, segments + ops.len());
    let names = texts(&doc);
    for label in ["pc0", "pc1", "uc"].iter().chain(&ops) {
        assert!(names.contains(label), "utilisation.svg: no `{label}` in {names:?}");
    }
    // The tallest bar is the busiest core's share of the run.
    let share = |c: &str| s[format!("{c}.busy_cycles")].as_f64().unwrap() / s[format!("{c}.cycles")].as_f64().unwrap();
    assert!(share("uc") > share("pc0"), "the update core is the busiest in this run");

    // Energy: components and phases labelled.
    let text = svg(&out, "energy.svg");
    let doc = roxmltree::Document::parse(&text).expect("energy.svg is SVG");
    let names = texts(&doc);
    for label in ["pc0", "uc", "gb", "fp", "bp", "wg", "leakage"] {
        assert!(names.contains(&label), "energy.svg: no `{label}` in {names:?}");
    }

    // power.csv: the components' columns add up to the chip's; the epoch of each window.
    let csv = std::fs::read_to_string(out.join("power.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut want = vec!["time_us", "chip_mw", "offchip_mw"];
    let cols: Vec<String> = metered.iter().map(|c| format!("{c}_mw")).collect();
    want.extend(cols.iter().map(String::as_str));
    want.push("epoch");
    assert_eq!(header, want);
    let mut last_epoch = 1;
    for row in lines {
        let v: Vec<f64> = row.split(',').map(|x| x.parse().unwrap()).collect();
        let parts: f64 = v[3..v.len() - 1].iter().sum();
        assert!((parts - v[1]).abs() < 1e-5 * metered.len() as f64, "{row}");
        let (t_ps, epoch) = (v[0] as u64 * 1_000_000, v[v.len() - 1] as u64);
        assert!(epoch >= last_epoch, "{row}");
        last_epoch = epoch;
        let end = s[format!("ctrl.epoch.{epoch}.end_ps")].as_u64().unwrap();
        let start = s[format!("ctrl.epoch.{epoch}.start_ps")].as_u64().unwrap();
        assert!(t_ps < end && (epoch == 1 || t_ps >= start), "window at {t_ps} ps in epoch {epoch}: {row}");
    }
    assert_eq!(last_epoch, s["ctrl.epochs"].as_u64().unwrap());
}
