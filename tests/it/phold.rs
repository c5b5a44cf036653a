//! PHOLD counts the same events as the baselines in shared/bench (their counts are the
//! reference), sequentially and partitioned, with the same per-LP statistics.

use components::phold::PholdParams;
use rstest::rstest;
use sim_core::ThreadPolicy;
use tasim::bench::{run_phold, run_phold_with};

use crate::support::*;

/// Counts printed by shared/bench/phold-bare and phold-systemc for these parameters.
#[rstest]
#[case::defaults(PholdParams::default(), 29_815_148)]
#[case::small(PholdParams { lps: 64, population: 8, end_ps: 1_000_000, ..PholdParams::default() }, 92_546)]
#[case::many_lps_short_lookahead(PholdParams { lps: 4096, population: 4, lookahead_ps: 500, spread_ps: 2000, end_ps: 2_000_000, seed: 7 }, 21_860_527)]
#[case::zero_spread(PholdParams { lps: 16, population: 2, lookahead_ps: 100, spread_ps: 0, end_ps: 100_000, seed: 3 }, 31_968)]
#[case::long_lookahead(PholdParams { lps: 1000, population: 3, lookahead_ps: 2500, spread_ps: 10_000, end_ps: 5_000_000, seed: 42 }, 1_998_831)]
fn phold_counts_match_the_baselines(#[case] p: PholdParams, #[case] expected: u64) {
    let seq = run_phold(p, 1, 1);
    assert_eq!(seq.events, expected);
    assert_eq!(seq.kernel_events, expected, "one kernel event per PHOLD event");
    // Every thread all the time, and the default that falls back to fewer where they cost.
    for (threads, policy) in [(2, ThreadPolicy::Fixed), (2, ThreadPolicy::Adaptive), (4, ThreadPolicy::Fixed)] {
        let par = run_phold_with(p, threads as u32, threads, policy);
        assert_eq!(par.threads, threads);
        assert_eq!(par.events, expected, "{threads} threads, {policy:?}");
        // Per-LP statistics (events and kernel counters of every LP) are identical.
        assert_eq!(par.stats, seq.stats, "{threads} threads, {policy:?}");
        assert_eq!(par.sync.events_parallel + par.sync.events_single, expected);
    }
}

#[test]
fn phold_topology_yaml_counts_the_same() {
    let out = tasim(&["run", "topologies/bench/phold.yaml", "--threads", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("events     29815148 in"), "{text}");
    assert!(text.contains("phold_lp.events                                  29815148 sum    (over 1024)"), "{text}");
}

/// An LP whose `lps` does not match the LPs on its fabric would draw destinations that do not
/// exist: refused at time zero, naming `lps` and the count (a mutant found a panic).
#[test]
fn lps_must_match_the_lps_on_the_fabric() {
    let o = crate::cli_support::tasim(&["validate", "topologies/bench/phold.yaml", "--set", "lp.count=1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`lps` = 1024") && err.contains("has 1 endpoints"), "{err}");
}
