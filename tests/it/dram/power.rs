//! Power-down and self-refresh on the paper chip: its idle DRAM's energy with power-down on,
//! next to always-on, and the chip's own figures unchanged.

use serde_json::Value;

use crate::support::*;

/// stats.json and summary.json of the paper chip with `power_down.enabled` set.
fn chip(power_down: bool) -> (Value, Value) {
    let dir = scratch(&format!("dram_power_{power_down}"));
    let set = format!("dram.power_down.enabled={power_down}");
    let out = tasim(&["run", "topologies/paper-chip.yaml", "--set", &set, "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |f: &str| serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
    (read("stats.json"), read("summary.json"))
}

#[test]
fn the_paper_chips_idle_dram_powers_down_without_slowing_the_chip() {
    let ((on, sum_on), (off, sum_off)) = (chip(true), chip(false));
    let (s_on, s_off) = (&on["stats"], &off["stats"]);
    let f = |s: &Value, k: &str| s[k].as_f64().unwrap_or_else(|| panic!("{k}"));
    let u = |s: &Value, k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k}"));
    // Always-on: standby all the run, 2 channels x 28.6 mW, plus refresh.
    let end_ps = u(&on, "end_ps");
    let end_off = u(&off, "end_ps");
    assert!(end_ps.abs_diff(end_off) * 10_000 < end_off, "the chip takes as long: {end_ps} vs {end_off} ps");
    let always_on = f(s_off, "dram.energy_offchip.total_pj");
    assert!(always_on > 2.0 * 28.6e-3 * end_off as f64, "always-on {always_on} pJ");
    // Power-down: the ranks spend nearly all the run in self-refresh (idle > 1 us), and the
    // device energy falls by more than 40x.
    let rank_ps = 2 * end_ps;
    let states = ["precharge_standby", "active_standby", "precharge_power_down", "active_power_down", "self_refresh"];
    let total: u64 = states.iter().map(|st| u(s_on, &format!("dram.state.{st}_ps"))).sum();
    assert_eq!(total, rank_ps, "every rank is in one state at a time");
    assert!(u(s_on, "dram.state.self_refresh_ps") as f64 > 0.99 * rank_ps as f64);
    assert!(u(s_on, "dram.self_refresh_entries") > 0 && u(s_on, "dram.power_down_entries") > 0);
    let powered_down = f(s_on, "dram.energy_offchip.total_pj");
    assert!(powered_down * 40.0 < always_on, "power-down {powered_down} pJ, always-on {always_on} pJ");
    // Self-refresh energy is its state time at IDD6 x VDD2 = 0.55 mW.
    let sr_pj = f(s_on, "dram.energy_offchip.kind.self_refresh_pj");
    assert!((sr_pj - 0.55e-3 * u(s_on, "dram.state.self_refresh_ps") as f64).abs() < 1.0);
    // The chip: same reads, same on-chip energy (within a wake's few cycles of waiting).
    assert_eq!(u(s_on, "dram.reads"), u(s_off, "dram.reads"));
    let chip = |s: &Value| s["energy"]["chip_uj"].as_f64().unwrap();
    assert!((chip(&sum_on) / chip(&sum_off) - 1.0).abs() < 1e-4, "chip {} vs {} uJ", chip(&sum_on), chip(&sum_off));
    let off_chip = |s: &Value| s["energy"]["offchip_uj"].as_f64().unwrap();
    assert!((off_chip(&sum_on) - powered_down * 1e-6).abs() < 1e-9, "the summary reports it");
    assert!(off_chip(&sum_off) > 200.0 && off_chip(&sum_on) < 6.0, "{} / {}", off_chip(&sum_off), off_chip(&sum_on));
}
