//! The policies, command by command, on the 1 ns test device of `tests.rs`: FCFS and the
//! FR-FCFS cap, closed and timeout rows, per-bank refresh, bank groups, multi-cycle
//! commands, rank switching, power-down and self-refresh. Expected times are worked out
//! from the timings in `tests.rs` (tRCD = tRP = tCL = 15, tRAS 35, tRTP 8, tCCD 4, tBURST 4).

use super::tests::{cmds, drain, geometry, put, put_at, timing, timing_params};
use super::*;
use crate::dram::params::TimingParams;
use crate::dram::policy::{Policy, RefreshMode, RowPolicy, Scheduler};

const NS: u64 = 1000;

use Command::*;

fn with(policy: Policy) -> Device {
    Device::new(&geometry(), timing(0.0), policy)
}

/// Opens row 1 of bank 0 (ACT 0, RD 15), then queues a conflict (row 2) and four hits.
fn conflict_behind_hits(d: &mut Device) -> Vec<Issued> {
    put(d, 0, 0, 1, false);
    assert_eq!(cmds(&drain(d, 0)), [(Activate, 0, 0), (Read, 15, 0)]);
    put(d, 1, 0, 2, false);
    for s in 2..6 {
        put(d, s, 0, 1, false);
    }
    drain(d, 100 * NS)
}

#[test]
fn fcfs_serves_the_oldest_first_hit_or_not() {
    let mut d = with(Policy { scheduler: Scheduler::Fcfs, ..Policy::default() });
    let v = conflict_behind_hits(&mut d);
    // The conflict first: PRE, ACT + tRP, RD + tRCD; then row 1 again (PRE after tRAS).
    assert_eq!(
        cmds(&v)[..5],
        [(Precharge, 100, 0), (Activate, 115, 0), (Read, 130, 0), (Precharge, 150, 0), (Activate, 165, 0)]
    );
    assert_eq!(cmds(&v)[5..], [(Read, 180, 0), (Read, 184, 0), (Read, 188, 0), (Read, 192, 0)]);
}

#[test]
fn fr_fcfs_lets_every_hit_pass_and_the_cap_stops_them() {
    let mut d = with(Policy::default());
    let v = conflict_behind_hits(&mut d);
    let reads = [(Read, 100, 0), (Read, 104, 0), (Read, 108, 0), (Read, 112, 0)];
    assert_eq!(cmds(&v)[..4], reads, "four hits bypass the older conflict");
    // With a cap of 2: two hits, then the conflict (PRE tRTP after the last RD), then the
    // two remaining row-1 bursts are conflicts themselves (PRE at ACT + tRAS).
    let mut d = with(Policy { scheduler: Scheduler::FrFcfsCap, row_hit_cap: 2, ..Policy::default() });
    let v = conflict_behind_hits(&mut d);
    assert_eq!(
        cmds(&v),
        [
            (Read, 100, 0),
            (Read, 104, 0),
            (Precharge, 112, 0),
            (Activate, 127, 0),
            (Read, 142, 0),
            (Precharge, 162, 0),
            (Activate, 177, 0),
            (Read, 192, 0),
            (Read, 196, 0)
        ]
    );
}

#[test]
fn closed_and_timeout_rows_close_without_a_request() {
    let mut d = with(Policy { row_policy: RowPolicy::Closed, ..Policy::default() });
    put(&mut d, 0, 0, 1, false);
    put(&mut d, 1, 0, 1, false);
    // Two hits, then PRE as soon as tRAS (35) and tRTP after the last RD (19 + 8) allow.
    assert_eq!(cmds(&drain(&mut d, 0)), [(Activate, 0, 0), (Read, 15, 0), (Read, 19, 0), (Precharge, 35, 0)]);
    put(&mut d, 2, 0, 1, false);
    assert_eq!(cmds(&drain(&mut d, 100 * NS)), [(Activate, 100, 0), (Read, 115, 0), (Precharge, 135, 0)]);
    assert_eq!((d.stats.row_hits, d.stats.row_misses), (1, 2));

    let mut d = with(Policy { row_policy: RowPolicy::Timeout, row_timeout: 50 * NS, ..Policy::default() });
    put(&mut d, 0, 0, 1, false);
    assert_eq!(cmds(&drain(&mut d, 0)), [(Activate, 0, 0), (Read, 15, 0), (Precharge, 65, 0)], "RD + 50 ns");
}

#[test]
fn per_bank_refresh_blocks_only_its_bank() {
    let p = TimingParams { trefi_ns: 800.0, trefipb_ns: 100.0, trfcpb_ns: 30.0, ..timing_params(0.0) };
    let t = Timing::from_params(&p, 8).unwrap();
    let mut d = Device::new(&geometry(), t, Policy { refresh: RefreshMode::PerBank, ..Policy::default() });
    put(&mut d, 0, 0, 1, false);
    drain(&mut d, 0);
    // Due at 100 for bank 0 (open): PRE at 100, REFpb tRP later, bank 0 blocked until 145.
    put_at(&mut d, 1, 0, 1, 1, false, 100 * NS);
    put_at(&mut d, 2, 0, 0, 1, false, 100 * NS);
    let v = drain(&mut d, 100 * NS);
    assert_eq!(cmds(&v), [(Activate, 100, 1), (Read, 115, 1), (Activate, 145, 0), (Read, 160, 0)]);
    assert_eq!((d.stats.refreshes, d.stats.precharges), (1, 1));
}

#[test]
fn bank_groups_space_column_commands_by_tccd_l() {
    let p = TimingParams { tccd_l_ns: 8.0, ..timing_params(0.0) };
    let g = Geometry { bank_groups: 2, ..geometry() };
    let t = Timing::from_params(&p, 8).unwrap();
    for (banks, gap) in [([0, 1], 4), ([0, 2], 8)] {
        let mut d = Device::new(&g, t, Policy::default());
        put(&mut d, 0, banks[0], 1, false);
        put(&mut d, 1, banks[1], 1, false);
        drain(&mut d, 0);
        for s in 2..10 {
            put(&mut d, s, banks[s as usize % 2], 1, false);
        }
        let reads: Vec<u64> = drain(&mut d, 100 * NS).iter().map(|i| i.at / NS).collect();
        let expect: Vec<u64> = (0..8).map(|i| 100 + i * gap).collect();
        assert_eq!(reads, expect, "banks {banks:?}: groups {} and {}", banks[0] % 2, banks[1] % 2);
    }
}

#[test]
fn multi_cycle_commands_hold_the_command_bus() {
    let p = TimingParams { trrd_ns: 1.0, act_command_cycles: 4, ..timing_params(0.0) };
    let mut d = Device::new(&geometry(), Timing::from_params(&p, 8).unwrap(), Policy::default());
    for b in 0..3 {
        put(&mut d, b.into(), b, 1, false);
    }
    let acts: Vec<u64> = drain(&mut d, 0).iter().filter(|i| i.cmd == Activate).map(|i| i.at / NS).collect();
    assert_eq!(acts, [0, 4, 8], "tRRD is 1 ns but each ACT holds the bus for 4 cycles");
}

#[test]
fn a_rank_switch_leaves_trtrs_on_the_data_bus() {
    let p = TimingParams { trtrs_ns: 3.0, ..timing_params(0.0) };
    let g = Geometry { ranks: 2, ..geometry() };
    let t = Timing::from_params(&p, 8).unwrap();
    // FCFS alternates ranks: bursts of 4 ns, one every 4 + 3 ns. FR-FCFS takes the rank-0
    // hit that is ready first, and switches once.
    for (scheduler, expect) in [(Scheduler::Fcfs, [100, 107, 114, 121]), (Scheduler::FrFcfs, [100, 104, 111, 115])] {
        let mut d = Device::new(&g, t, Policy { scheduler, ..Policy::default() });
        put_at(&mut d, 0, 0, 0, 1, false, 0);
        put_at(&mut d, 1, 1, 0, 1, false, 0);
        drain(&mut d, 0);
        for s in 2..6 {
            put_at(&mut d, s, (s % 2) as u32, 0, 1, false, 100 * NS);
        }
        let reads: Vec<u64> = drain(&mut d, 100 * NS).iter().map(|i| i.at / NS).collect();
        assert_eq!(reads, expect, "{scheduler:?}");
    }
}

#[test]
fn idle_ranks_power_down_then_self_refresh() {
    let p = TimingParams { txp_ns: 5.0, tcke_ns: 5.0, txsr_ns: 50.0, tsr_ns: 20.0, ..timing_params(0.0) };
    let policy = Policy { power_down: Some((10 * NS, Some(200 * NS))), ..Policy::default() };
    let mut d = Device::new(&geometry(), Timing::from_params(&p, 8).unwrap(), policy);
    put_at(&mut d, 0, 0, 0, 1, false, 0);
    assert_eq!(cmds(&drain(&mut d, 0)), [(Activate, 0, 0), (Read, 15, 0)]);
    // Data done at 34; active power-down (row open) from 44; the hit at 100 waits tXP.
    put_at(&mut d, 1, 0, 0, 1, false, 100 * NS);
    assert_eq!(cmds(&drain(&mut d, 100 * NS)), [(Read, 105, 0)]);
    assert_eq!(d.stats.active_power_down_ps, 56 * NS);
    // Done at 124: power-down from 134, self-refresh from 324 (PREA first); the read at
    // 1000 waits tXSR and finds its row closed.
    put_at(&mut d, 2, 0, 0, 1, false, 1000 * NS);
    assert_eq!(cmds(&drain(&mut d, 1000 * NS)), [(Activate, 1050, 0), (Read, 1065, 0)]);
    let s = &d.stats;
    assert_eq!((s.active_power_down_ps, s.self_refresh_ps), ((56 + 190) * NS, 676 * NS));
    assert_eq!((s.power_down_entries, s.self_refresh_entries, s.precharges, s.row_misses), (2, 1, 1, 2));
}

/// An idle stretch refreshed in one call (the O(1) paths: always-on all-bank, and
/// self-refresh) books exactly what one refresh interval at a time books.
#[test]
fn idle_refreshes_at_once_equal_refreshes_one_interval_at_a_time() {
    let policies = [
        Policy::default(),
        Policy { power_down: Some((10 * NS, Some(1000 * NS))), ..Policy::default() },
        Policy { power_down: Some((10 * NS, None)), ..Policy::default() },
        Policy { refresh: RefreshMode::PerBank, ..Policy::default() },
    ];
    for policy in policies {
        let refi = 3900.0;
        let mut stepped = Device::new(&geometry(), timing(refi), policy.clone());
        let mut jumped = Device::new(&geometry(), timing(refi), policy.clone());
        put(&mut stepped, 0, 0, 1, false);
        put(&mut jumped, 0, 0, 1, false);
        drain(&mut stepped, 0);
        drain(&mut jumped, 0);
        let end = 10_000_000 * NS + 123;
        // Steps shorter than tREFI: at most one refresh per call, the per-interval path.
        let mut t = 0;
        while t < end {
            t = (t + 1000 * NS).min(end);
            for r in 0..stepped.ranks.len() {
                stepped.refresh_until(r, t);
            }
        }
        stepped.finish(end);
        jumped.finish(end);
        assert_eq!(stepped.stats, jumped.stats, "{policy:?}");
        assert!(jumped.stats.refreshes + jumped.stats.self_refresh_entries > 0, "{policy:?}");
    }
}
