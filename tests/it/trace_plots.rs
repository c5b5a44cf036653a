//! `tasim replay --out` and `tasim trace stats --out` draw their reports: bandwidth over
//! time, the replay's latency CDF and the bursts per bank, as SVG that parses and holds the
//! plotted series; the same inputs draw the same bytes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::run_plots::{data_lines, svg, texts};
use crate::support::*;

const TRACE: &str = "traces/paper-chip-small-buffer.mtrace";
const CHIP_DRAM: &str = "topologies/memory/paper-chip-dram.yaml";

fn replay_into(name: &str) -> PathBuf {
    let out = scratch(name).join("out");
    let o = tasim(&["replay", TRACE, "--topology", CHIP_DRAM, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

/// The shipped trace replayed on the chip's own DRAM, once for this module.
fn replayed() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| replay_into("trace_plots_replay"))
}

fn json(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(text).expect("SVG parses as XML");
    assert!(doc.root_element().has_tag_name("svg"));
    doc
}

/// Filled rectangles but the white background and the legend's frame: bars and swatches.
fn bars(doc: &roxmltree::Document) -> usize {
    let filled = |n: &roxmltree::Node| !matches!(n.attribute("fill"), Some("#FFFFFF" | "none") | None);
    doc.descendants().filter(|n| n.has_tag_name("rect") && filled(n)).count()
}

#[test]
fn a_replay_plots_its_bandwidth_latency_cdf_and_bank_load() {
    let out = replayed();
    let r = json(out.join("replay.json"));
    let s = &json(out.join("stats.json"))["stats"];
    let player = r["player"]["name"].as_str().unwrap();

    // Bandwidth: the player's answered bytes (its windows) and the DRAM's traffic (1 us).
    let text = svg(out, "bandwidth.svg");
    let doc = parse(&text);
    let names = texts(&doc);
    let answered = format!("{player} (answered)");
    assert!(names.contains(&answered.as_str()) && names.contains(&"dram"), "{names:?}");
    let player_windows = r["player"]["windows"]["bytes_per_s"].as_array().unwrap().len();
    let dram_windows = s["dram.traffic.series_bytes"]["values"].as_array().unwrap().len();
    assert_eq!(data_lines(&doc), vec![player_windows, dram_windows]);
    let csv_rows = std::fs::read_to_string(out.join("bandwidth.csv")).unwrap().lines().count() - 1;
    assert_eq!(csv_rows, player_windows, "the plot draws bandwidth.csv");

    // Latency CDF: a point per reported quantile, rising from the minimum to the maximum.
    let cdf: Vec<f64> = components::trace::player::LATENCY_CDF_PERMILLE
        .iter()
        .map(|q| s[format!("{player}.latency_cdf.{q}_ps")].as_f64().unwrap())
        .collect();
    assert!(cdf.windows(2).all(|w| w[0] <= w[1]), "{cdf:?}");
    let lat = &r["player"]["latency_ps"];
    assert_eq!(cdf[cdf.len() - 1], lat["max"].as_f64().unwrap());
    let median = components::trace::player::LATENCY_CDF_PERMILLE.iter().position(|&q| q == 500).unwrap();
    assert_eq!(cdf[median], lat["p50"].as_f64().unwrap());
    assert!(cdf[0] < cdf[cdf.len() - 1], "latencies differ: {cdf:?}");
    let text = svg(out, "latency_cdf.svg");
    let doc = parse(&text);
    assert_eq!(data_lines(&doc), vec![cdf.len()]);
    assert!(texts(&doc).contains(&player));

    // Bank load: a bar per bank that served bursts, one legend swatch (one DRAM).
    let banks = r["drams"][0]["banks"].as_array().unwrap();
    let busy = banks.iter().filter(|b| b["bursts"].as_u64().unwrap() > 0).count();
    assert!(busy > 1, "the trace spreads over banks: {banks:?}");
    let text = svg(out, "banks.svg");
    let doc = parse(&text);
    assert_eq!(bars(&doc), busy + 1);
    let names = texts(&doc);
    for b in banks {
        let bank = b["bank"].as_str().unwrap();
        assert!(names.contains(&bank), "banks.svg: no {bank} in {names:?}");
    }
}

#[test]
fn trace_stats_plots_the_offered_bandwidth_and_bank_load() {
    let out = scratch("trace_plots_stats").join("out");
    let o = tasim(&["trace", "stats", TRACE, "--topology", CHIP_DRAM, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("bandwidth.svg") && stdout(&o).contains("banks.svg"), "{}", stdout(&o));
    let st = json(out.join("trace_stats.json"));
    let text = svg(&out, "bandwidth.svg");
    let doc = parse(&text);
    let windows = st["windows"]["bytes_per_s"].as_array().unwrap().len();
    assert_eq!(data_lines(&doc), vec![windows]);
    assert!(texts(&doc).contains(&"offered"));
    let banks = st["banks"].as_array().unwrap();
    let busy = banks.iter().filter(|b| b.as_u64().unwrap() > 0).count();
    let text = svg(&out, "banks.svg");
    assert_eq!(bars(&parse(&text)), busy + 1);

    // Without a memory to map banks, no bank plot.
    let bare = scratch("trace_plots_stats_bare").join("out");
    let o = tasim(&["trace", "stats", TRACE, "--out", bare.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(bare.join("bandwidth.svg").exists() && !bare.join("banks.svg").exists());
}

#[test]
fn the_same_inputs_draw_the_same_plots() {
    let again = replay_into("trace_plots_again");
    for f in ["bandwidth.svg", "latency_cdf.svg", "banks.svg"] {
        let (a, b) = (std::fs::read(replayed().join(f)).unwrap(), std::fs::read(again.join(f)).unwrap());
        assert!(a == b, "{f} differs between two replays of the same trace");
    }
    let stats: Vec<PathBuf> = (0..2)
        .map(|k| {
            let out = scratch(&format!("trace_plots_stats_{k}")).join("out");
            let o = tasim(&["trace", "stats", TRACE, "--topology", CHIP_DRAM, "--out", out.to_str().unwrap()]);
            assert!(o.status.success(), "{}", stderr(&o));
            out
        })
        .collect();
    for f in ["bandwidth.svg", "banks.svg"] {
        let (a, b) = (std::fs::read(stats[0].join(f)).unwrap(), std::fs::read(stats[1].join(f)).unwrap());
        assert!(a == b, "trace stats: {f} differs between two runs");
    }
}
