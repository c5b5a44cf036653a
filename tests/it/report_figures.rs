//! Figures in reports are right: rates pool across instances, shares stay within their
//! interval, and the chip summary says what happened.

use crate::cli_support::{ok, tasim};

/// The `(value, rule, instances)` of a by-type line of `tasim run`'s summary.
fn by_type(out: &str, name: &str) -> (f64, String, String) {
    let line =
        out.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("{name} in\n{out}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    (w[1].parse().expect("a number"), w[2].to_string(), w[3..].join(" "))
}

#[test]
fn rates_pool_across_instances_and_spans_do_not_add() {
    let out = ok(&tasim(&["run", "tests/data/reports/two_drams.yaml"]));
    let (hit, rule, n) = by_type(&out, "dram_controller.row_hit_rate");
    // Random 64-byte reads: the first burst misses, the second hits — about one half each.
    assert!((0.45..=0.55).contains(&hit), "row_hit_rate {hit}");
    assert_eq!((rule.as_str(), n.as_str()), ("pooled", "(over 2)"));
    let (eff, rule, _) = by_type(&out, "dram_controller.bandwidth_efficiency");
    assert!(eff > 0.0 && eff <= 1.0, "bandwidth_efficiency {eff}");
    assert_eq!(rule, "pooled");
    let (peak, rule, _) = by_type(&out, "dram_controller.peak_bytes_per_s");
    assert_eq!((peak, rule.as_str()), (12.8e9, "max"));
    let (span, rule, _) = by_type(&out, "dram_controller.span_ps");
    let (one, _, _) = by_type(
        &ok(&tasim(&[
            "run",
            "topologies/memory/traffic.yaml",
            "--set",
            "gen.requests=2000",
            "--set",
            "gen.pattern=random",
        ])),
        "dram_controller.span_ps",
    );
    assert_eq!(rule, "max");
    assert!(span < 1.5 * one, "span {span} against one controller's {one}");
    let (hits, rule, _) = by_type(&out, "dram_controller.row_hits");
    assert_eq!(rule, "sum");
    assert!(hits > 1500.0, "row_hits {hits}");
}

/// Replays `trace` on the paper chip's DRAM, always on (with power-down an idle die refreshes
/// itself in self-refresh, and the refresh share is not the tRFC/tREFI one these tests
/// check); returns the DRAM's breakdown from replay.json.
fn breakdown(dir: &crate::cli_support::TempDir, trace: &str, args: &[&str]) -> serde_json::Value {
    let out = dir.str("replay");
    let mut all = vec![
        "replay",
        trace,
        "--topology",
        "topologies/memory/paper-chip-dram.yaml",
        "--set",
        "dram.power_down.enabled=false",
        "--out",
        &out,
    ];
    all.extend_from_slice(args);
    ok(&tasim(&all));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("replay/replay.json")).unwrap()).unwrap();
    r["drams"][0]["breakdown"].clone()
}

fn share(b: &serde_json::Value, k: &str) -> f64 {
    b[k].as_f64().unwrap_or_else(|| panic!("{k} in {b}"))
}

/// No share exceeds the whole; each is over the run, so refresh is its tRFC/tREFI share.
fn assert_shares(b: &serde_json::Value) {
    for k in ["useful", "partial_bursts", "refresh", "idle", "waiting_with_requests"] {
        let x = share(b, k);
        assert!((0.0..=1.0).contains(&x), "{k} = {x} in {b}");
    }
    let r = share(b, "refresh");
    assert!((0.03..0.07).contains(&r), "refresh {r}: tRFC every tREFI is about 4.6%");
}

#[test]
fn one_read_in_a_long_trace_reports_shares_of_the_run() {
    let dir = crate::cli_support::TempDir::new("one_read_shares");
    let b = breakdown(&dir, "tests/data/reports/one_read.txt", &[]);
    assert_shares(&b);
    assert!(share(&b, "idle") > 0.99, "{b}");
}

#[test]
fn a_stream_that_starts_late_reports_the_same_refresh_share_as_one_from_zero() {
    let dir = crate::cli_support::TempDir::new("late_stream_shares");
    let record = |name: &str, args: &[&str]| {
        let t = dir.str(name);
        let mut all = vec!["run", "topologies/memory/traffic.yaml", "--set", "gen.requests=2000", "--record-trace", &t];
        all.extend_from_slice(args);
        ok(&tasim(&all));
        t
    };
    let (early, late) = (record("early.mtrace", &[]), record("late.mtrace", &["--set", "gen.start_ps=500000000"]));
    let (b0, b1) = (breakdown(&dir, &early, &[]), breakdown(&dir, &late, &[]));
    assert_shares(&b0);
    assert_shares(&b1);
    // The same stream: over its own time it waited as much; the late one idled first.
    assert!(share(&b1, "idle") > 0.9, "{b1}");
    assert!(share(&b1, "waiting_with_requests") > 0.0, "{b1}");
}

#[test]
fn a_chip_run_says_how_it_ended_and_what_its_figures_cover() {
    let out = ok(&tasim(&["run", "topologies/paper-chip.yaml", "--set", "ctrl.epochs=1"]));
    assert!(out.contains("outcome    training finished: the controller ended the run after 1 of 1 epochs"), "{out}");
    let dram = out.lines().find(|l| l.starts_with("dram ")).expect("a dram line");
    assert!(!dram.contains(" 0.000 ") && dram.contains("B/s average over the run"), "{dram}");
    assert!(out.contains("of it is DRAM background"), "the off-chip figure says what dominates it:\n{out}");
    assert!(!out.contains("-0.0"), "{out}");

    let cut = ok(&tasim(&["run", "topologies/paper-chip.yaml", "--until-ns", "100000"]));
    assert!(cut.contains("reached the end time; 0 of 3 epochs trained"), "{cut}");
    assert!(cut.contains("(0 of 3 epochs complete)") && cut.contains("no complete epoch"), "{cut}");
    assert!(!cut.contains("per epoch)"), "no per-epoch figure without an epoch:\n{cut}");

    let zero = tasim(&["run", "topologies/paper-chip.yaml", "--set", "ctrl.epochs=0"]);
    let err = String::from_utf8_lossy(&zero.stderr);
    assert_eq!(zero.status.code(), Some(2), "{err}");
    assert!(err.contains("`epochs` = 0") && err.contains("from 1"), "{err}");
}

#[test]
fn a_replay_says_which_level_it_replayed_and_refuses_to_mix_two() {
    let dir = crate::cli_support::TempDir::new("replay_levels");
    let trace = dir.str("both.mtrace");
    let small = "topologies/paper-chip-small-buffer.yaml";
    ok(&tasim(&["run", small, "--until-ns", "300000", "--record-trace", &trace, "--trace-buffer"]));
    let dram = "topologies/memory/paper-chip-dram.yaml";
    let mixed = tasim(&["replay", &trace, "--topology", dram]);
    let err = String::from_utf8_lossy(&mixed.stderr);
    assert_eq!(mixed.status.code(), Some(2), "{err}");
    assert!(err.contains("two memory levels") && err.contains("skip_other_targets=true"), "{err}");

    let one = ok(&tasim(&[
        "replay",
        &trace,
        "--topology",
        dram,
        "--set",
        "player.targets=[dram]",
        "--set",
        "player.skip_other_targets=true",
    ]));
    let line = one.lines().find(|l| l.contains("replayed the requests to dram")).unwrap_or_else(|| panic!("{one}"));
    let skipped: u64 = line.split("skipped ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!(skipped > 0, "{line}");
    let gb = ok(&tasim(&["replay", &trace, "--topology", "topologies/memory/paper-chip-buffer.yaml", "--drain"]));
    assert!(gb.contains("replayed the requests to gb; skipped"), "{gb}");
}

#[test]
fn a_write_back_carries_the_cause_of_the_lines_last_writer() {
    let dir = crate::cli_support::TempDir::new("writeback_cause");
    let trace = dir.str("sb.txt");
    ok(&tasim(&["run", "topologies/paper-chip-small-buffer.yaml", "--until-ns", "600000", "--record-trace", &trace]));
    let text = std::fs::read_to_string(&trace).unwrap();
    let writes: Vec<&str> = text.lines().filter(|l| l.split_whitespace().nth(4) == Some("W")).collect();
    assert!(!writes.is_empty(), "the 8 KiB buffer writes lines back within 600 us");
    let uncaused: Vec<&&str> = writes.iter().filter(|l| l.ends_with(" other -")).collect();
    assert!(
        uncaused.is_empty(),
        "{} of {} write-backs have no cause, e.g. {:?}",
        uncaused.len(),
        writes.len(),
        uncaused.first()
    );
}
