//! `run --out` on a chip: SVG plots (power over time per component, core time per
//! operation, energy per component and phase, bandwidth over time) that parse as SVG and hold
//! the plotted series, `power.csv` with a column per component and the epoch of each window,
//! and `bandwidth.csv` whose windows add up to the components' byte counters.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

/// The paper chip's `run --out` directory, run once for the tests of this module.
fn paper_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = scratch("run_plots_paper").join("out");
        // With a timeline, whose task slices the phase marks are checked against (and which
        // must change no other output: the determinism test runs without one).
        let timeline = out.with_file_name("timeline.json");
        let run = tasim(&[
            "run",
            "topologies/paper-chip.yaml",
            "--out",
            out.to_str().unwrap(),
            "--timeline",
            timeline.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{}", stderr(&run));
        out
    })
}

fn stats_of(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("stats.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["stats"].take()
}

/// The points of each data line (plotters draws series 1 px wide, the mesh in other widths).
pub fn data_lines(doc: &roxmltree::Document) -> Vec<usize> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("1"))
        .map(|n| n.attribute("points").unwrap().split_whitespace().count())
        .filter(|&points| points > 2)
        .collect()
}

pub fn svg(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn texts<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<&'a str> {
    doc.descendants().filter_map(|n| n.text()).map(str::trim).filter(|t| !t.is_empty()).collect()
}

#[test]
fn a_chip_run_writes_plots_of_its_power_core_time_and_energy() {
    let out = paper_out();
    let stats = stats_of(out);
    let s = &stats;
    let metered = ["ctrl", "pc0", "pc1", "uc", "noc", "gb", "dram", "dvfs"];

    // Power: one line per metered component, a point per power window.
    let text = svg(out, "power.svg");
    let doc = roxmltree::Document::parse(&text).expect("power.svg is SVG");
    assert!(doc.root_element().has_tag_name("svg"));
    let names = texts(&doc);
    for c in metered {
        assert!(names.contains(&c), "power.svg: no `{c}` in {names:?}");
    }
    let windows = s["pc0.energy.series_pj"]["values"].as_array().unwrap().len();
    assert_eq!(data_lines(&doc), vec![windows; metered.len()], "a line of {windows} points per component");

    // Core time: a bar segment per (core, operation) the stats count.
    let text = svg(out, "utilisation.svg");
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
    let text = svg(out, "energy.svg");
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
    want.extend(["epoch", "phase"]);
    assert_eq!(header, want);
    let mut last_epoch = 1;
    for row in lines {
        let (row, _phase) = row.rsplit_once(',').unwrap();
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

#[test]
fn bandwidth_over_time_adds_up_to_each_components_bytes() {
    let out = paper_out();
    let s = stats_of(out);
    let moving = ["gb", "dram"];
    let total =
        |c: &str| s[format!("{c}.bytes_read")].as_u64().unwrap() + s[format!("{c}.bytes_written")].as_u64().unwrap();
    // The models' own windows: bytes per window, summing exactly to the byte counters.
    let mut step = 0;
    for c in moving {
        let series = &s[format!("{c}.traffic.series_bytes")];
        let bytes: f64 = series["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
        assert!(total(c) > 0, "{c} moved bytes");
        assert_eq!(bytes, total(c) as f64, "{c}: windows add up to bytes_read + bytes_written");
        step = step.max(series["step_ps"].as_u64().unwrap());
    }
    assert_eq!(step, 1_000_000, "a 3-epoch run fits 1 us windows");

    // bandwidth.csv: time in us, GB/s per component; times the window width, the bytes.
    let csv = std::fs::read_to_string(out.join("bandwidth.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(header, ["time_us", "gb_gb_per_s", "dram_gb_per_s"]);
    let rows: Vec<Vec<f64>> = rows.map(|r| r.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    let end_ps = std::fs::read_to_string(out.join("stats.json")).unwrap();
    let end_ps = serde_json::from_str::<Value>(&end_ps).unwrap()["end_ps"].as_u64().unwrap();
    assert_eq!(rows.len() as u64, end_ps.div_ceil(step), "windows reach the end of the run");
    for (k, c) in moving.iter().enumerate() {
        let bytes: f64 = rows.iter().map(|r| r[k + 1] * 1e9 * step as f64 * 1e-12).sum();
        let want = total(c) as f64;
        assert!((bytes - want).abs() <= 1e-6 * want, "{c}: {bytes} B in bandwidth.csv, {want} B counted");
    }
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], i as f64, "window {i} starts at {i} us");
    }

    // bandwidth.svg: a line per component, a point per window, named in the legend.
    let text = svg(out, "bandwidth.svg");
    let doc = roxmltree::Document::parse(&text).expect("bandwidth.svg is SVG");
    let names = texts(&doc);
    for c in moving {
        assert!(names.contains(&c), "bandwidth.svg: no `{c}` in {names:?}");
    }
    assert!(names.contains(&"bandwidth (GB/s)"), "{names:?}");
    assert_eq!(data_lines(&doc), vec![rows.len(); moving.len()]);
}

#[test]
fn the_same_run_writes_the_same_plots_and_tables() {
    let first = paper_out();
    let again = scratch("run_plots_again").join("out");
    let run = tasim(&["run", "topologies/paper-chip.yaml", "--out", again.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    for f in ["bandwidth.csv", "bandwidth.svg", "power.csv", "power.svg", "utilisation.svg", "energy.svg"] {
        let (a, b) = (std::fs::read(first.join(f)).unwrap(), std::fs::read(again.join(f)).unwrap());
        assert!(a == b, "{f} differs between two runs of the same inputs");
    }
}

#[test]
fn chip_links_show_in_bandwidth_over_time() {
    let out = scratch("run_plots_ring4").join("out");
    let run = tasim(&[
        "run",
        "topologies/multichip/ring4.yaml",
        "--set",
        "system.dimensions.0.size=2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let s = stats_of(&out);
    let csv = std::fs::read_to_string(out.join("bandwidth.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for k in 0..2 {
        for c in ["gb", "dram", "d0_next"] {
            let col = format!("chip{k}.{c}_gb_per_s");
            assert!(header.contains(&col.as_str()), "no {col} in {header:?}");
        }
        // A link's windows add up to the bytes it sent.
        let series = &s[format!("chip{k}.d0_next.traffic.series_bytes")];
        let bytes: f64 = series["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
        let sent = s[format!("chip{k}.d0_next.bytes")].as_u64().unwrap();
        assert!(sent > 0, "chip{k}'s link carried the all-reduce");
        assert_eq!(bytes, sent as f64, "chip{k}.d0_next");
    }
}

/// The training phase of each power window in `power.csv` is the one the run's task slices
/// (the timeline the same run wrote, from the cores' task marks) spent most core time on.
#[test]
fn power_csv_marks_each_window_with_the_phase_the_cores_computed() {
    let out = paper_out();
    let timeline = std::fs::read_to_string(out.with_file_name("timeline.json")).unwrap();
    let timeline: Value = serde_json::from_str(&timeline).unwrap();
    // Busy ps per (1 us window, phase) from every task slice of every core.
    let mut busy: std::collections::BTreeMap<(u64, String), u64> = Default::default();
    let ps = |v: &Value| (v.as_f64().unwrap() * 1e6).round() as u64;
    let slices = timeline["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == "X" && e["cat"] == "task");
    let mut n = 0;
    for e in slices {
        let phase = e["args"]["phase"].as_str().unwrap().to_string();
        let (mut t, end) = (ps(&e["ts"]), ps(&e["ts"]) + ps(&e["dur"]));
        while t < end {
            let w = t / 1_000_000;
            let stop = ((w + 1) * 1_000_000).min(end);
            *busy.entry((w, phase.clone())).or_default() += stop - t;
            t = stop;
        }
        n += 1;
    }
    assert!(n > 1000, "the timeline has the run's tasks: {n}");
    let order = ["load", "fp", "loss", "bp", "wg", "wu", "other"];
    let csv = std::fs::read_to_string(out.join("power.csv")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (w, row) in csv.lines().skip(1).enumerate() {
        let got = row.rsplit(',').next().unwrap();
        let mut want = ("idle", 0);
        for p in order {
            let b = busy.get(&(w as u64, p.to_string())).copied().unwrap_or(0);
            if b > want.1 {
                want = (p, b);
            }
        }
        assert_eq!(got, want.0, "window {w} ({row}): the cores spent most time on {want:?}");
        seen.insert(got.to_string());
    }
    // A training run shows its forward, backward and gradient phases, and idle gaps.
    for p in ["fp", "bp", "wg", "idle"] {
        assert!(seen.contains(p), "no window marked {p}: {seen:?}");
    }
}
