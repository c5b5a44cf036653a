//! The timing rules and FR-FCFS, command by command, on a device with a 1 ns clock and
//! round timings (ns): tRCD 15, tRP 15, tRPab 18, tCL 15, tCWL 8, tRAS 35, tWR 15, tRTP 8,
//! tCCD 4, tRRD 10, tFAW 50, tWTR 10, tRTW 2, tBURST 4 (BL8 on a 4-byte bus); every command
//! one command-bus cycle unless a test says otherwise.

use super::*;
use crate::dram::params::TimingParams;
use crate::dram::policy::Policy;

const NS: u64 = 1000;

pub(super) fn timing(refi_ns: f64) -> Timing {
    Timing::from_params(&timing_params(refi_ns), 8).unwrap()
}

pub(super) fn timing_params(refi_ns: f64) -> TimingParams {
    TimingParams {
        data_rate_mtps: 2000,
        trcd_ns: 15.0,
        trp_ns: 15.0,
        trpab_ns: 18.0,
        tcl_ns: 15.0,
        tcwl_ns: 8.0,
        tras_ns: 35.0,
        twr_ns: 15.0,
        trtp_ns: 8.0,
        tccd_ns: 4.0,
        trrd_ns: 10.0,
        tfaw_ns: 50.0,
        twtr_ns: 10.0,
        trtw_ns: 2.0,
        trefi_ns: refi_ns,
        trfc_ns: 100.0,
        // One command-bus cycle each, so that only the constraints under test show.
        act_command_cycles: 1,
        column_command_cycles: 1,
        pre_command_cycles: 1,
        ..TimingParams::default()
    }
}

pub(super) fn geometry() -> Geometry {
    Geometry {
        channels: 1,
        ranks: 1,
        banks: 8,
        rows: 1024,
        columns: 256,
        bus_bytes: 4,
        burst_bytes: 32,
        size_mib: None,
        bank_groups: 1,
    }
}

fn device(refi_ns: f64) -> Device {
    Device::new(&geometry(), timing(refi_ns), Policy::default())
}

/// Queues a burst for `bank`, `row`; its slot is its seq.
pub(super) fn put(d: &mut Device, seq: u64, bank: u32, row: u32, write: bool) {
    put_at(d, seq, 0, bank, row, write, 0);
}

/// Queues a burst for `rank`, `bank`, `row` at `now`.
pub(super) fn put_at(d: &mut Device, seq: u64, rank: u32, bank: u32, row: u32, write: bool, now: u64) {
    let loc = Location { channel: 0, rank, bank, row, column: 0 };
    d.enqueue(&loc, Burst { seq, slot: seq as u32, row, write, class: RowClass::Hit }, now);
}

/// Runs the scheduler from `now` until nothing waits; every command issued, in order.
pub(super) fn drain(d: &mut Device, mut now: u64) -> Vec<Issued> {
    let mut out = Vec::new();
    while let Some(next) = d.schedule(now, Serve::Any, &mut out) {
        assert!(next > now, "time moves forward");
        now = next;
    }
    out
}

pub(super) fn cmds(v: &[Issued]) -> Vec<(Command, u64, u32)> {
    v.iter().map(|i| (i.cmd, i.at / NS, i.bank)).collect()
}

use Command::*;

#[test]
fn closed_bank_then_hit_then_conflict() {
    let mut d = device(0.0);
    put(&mut d, 0, 0, 1, false);
    let v = drain(&mut d, 0);
    assert_eq!(cmds(&v), [(Activate, 0, 0), (Read, 15, 0)]);
    assert_eq!(v[1].done, (15 + 15 + 4) * NS, "tRCD + tCL + tBURST");

    put(&mut d, 1, 0, 1, false);
    let v = drain(&mut d, 100 * NS);
    assert_eq!(cmds(&v), [(Read, 100, 0)]);
    assert_eq!(v[0].done, (100 + 15 + 4) * NS, "a row hit: tCL + tBURST");

    put(&mut d, 2, 0, 2, false);
    let v = drain(&mut d, 200 * NS);
    assert_eq!(cmds(&v), [(Precharge, 200, 0), (Activate, 215, 0), (Read, 230, 0)]);
    assert_eq!(v[2].done, (200 + 15 + 15 + 15 + 4) * NS, "tRP + tRCD + tCL + tBURST");
    let s = &d.stats;
    assert_eq!((s.row_misses, s.row_hits, s.row_conflicts), (1, 1, 1));
    assert_eq!((s.activates, s.precharges), (2, 1));
}

#[test]
fn arrivals_between_edges_wait_for_the_next_edge() {
    let mut d = device(0.0);
    put(&mut d, 0, 0, 1, false);
    let v = drain(&mut d, 2_500);
    assert_eq!(cmds(&v), [(Activate, 3, 0), (Read, 18, 0)]);
}

#[test]
fn row_hit_behind_a_conflict_is_served_first() {
    let mut d = device(0.0);
    put(&mut d, 0, 0, 1, false);
    drain(&mut d, 0); // row 1 open since 0, read at 15
                      // At 16 ns a conflict (row 2) arrives, then a hit (row 1): PRE must wait for tRAS (35).
    put(&mut d, 1, 0, 2, false);
    put(&mut d, 2, 0, 1, false);
    let v = drain(&mut d, 16 * NS);
    assert_eq!(cmds(&v), [(Read, 19, 0), (Precharge, 35, 0), (Activate, 50, 0), (Read, 65, 0)]);
    assert_eq!((v[0].slot, v[3].slot), (2, 1), "the younger hit went first");
    assert_eq!((d.stats.row_hits, d.stats.row_conflicts), (1, 1));
}

#[test]
fn row_hits_win_over_older_activations() {
    let mut d = device(0.0);
    put(&mut d, 0, 1, 1, false);
    drain(&mut d, 0); // bank 1 has row 1 open
                      // At 100 ns an older burst needs an ACT in bank 2, a younger one hits in bank 1; both
                      // commands are legal at once, one command bus: the hit goes first.
    put(&mut d, 1, 2, 7, false);
    put(&mut d, 2, 1, 1, false);
    let v = drain(&mut d, 100 * NS);
    assert_eq!(cmds(&v), [(Read, 100, 1), (Activate, 101, 2), (Read, 116, 2)]);
}

#[test]
fn oldest_first_among_equally_ready_commands() {
    let mut d = device(0.0);
    put(&mut d, 0, 5, 1, false);
    put(&mut d, 1, 3, 1, false);
    let v = drain(&mut d, 0);
    // Both ACTs are ready at 0; the oldest burst's bank goes first, the other after tRRD.
    assert_eq!(cmds(&v), [(Activate, 0, 5), (Activate, 10, 3), (Read, 15, 5), (Read, 25, 3)]);

    // Two hits in different banks, both ready: the older first, the other tCCD later.
    put(&mut d, 2, 3, 1, false);
    put(&mut d, 3, 5, 1, false);
    let v = drain(&mut d, 100 * NS);
    assert_eq!(cmds(&v), [(Read, 100, 3), (Read, 104, 5)]);
}

#[test]
fn four_activate_window() {
    let mut d = device(0.0);
    for b in 0..5 {
        put(&mut d, u64::from(b), b, 1, false);
    }
    let v = drain(&mut d, 0);
    let acts: Vec<u64> = v.iter().filter(|i| i.cmd == Activate).map(|i| i.at / NS).collect();
    assert_eq!(acts, [0, 10, 20, 30, 50], "the fifth ACT waits for tFAW after the first");
}

#[test]
fn data_bus_turnarounds() {
    // Write then read, same rank: the read waits tWTR after the write data.
    let mut d = device(0.0);
    put(&mut d, 0, 0, 1, true);
    put(&mut d, 1, 0, 1, false);
    let v = drain(&mut d, 0);
    assert_eq!(cmds(&v), [(Activate, 0, 0), (Write, 15, 0), (Read, 15 + 8 + 4 + 10, 0)]);
    assert_eq!(v[1].done, (15 + 8 + 4) * NS);

    // Read then write: the write data starts tRTW after the read data ends.
    let mut d = device(0.0);
    put(&mut d, 0, 0, 1, false);
    put(&mut d, 1, 0, 1, true);
    let v = drain(&mut d, 0);
    let read_end = (15 + 15 + 4) * NS;
    assert_eq!(v[2].cmd, Write);
    assert_eq!(v[2].at + 8 * NS, read_end + 2 * NS);
}

#[test]
fn back_to_back_hits_fill_the_bus() {
    let mut d = device(0.0);
    for s in 0..8 {
        put(&mut d, s, 0, 1, false);
    }
    let v = drain(&mut d, 0);
    let reads: Vec<u64> = v.iter().filter(|i| i.cmd == Read).map(|i| i.at / NS).collect();
    assert_eq!(reads, [15, 19, 23, 27, 31, 35, 39, 43], "one burst every tCCD = tBURST");
    assert_eq!(d.bus_busy_ps().collect::<Vec<_>>(), [8 * 4 * NS]);
}

#[test]
fn refresh_closes_rows_and_blocks_the_rank() {
    let mut d = device(1000.0);
    put(&mut d, 0, 0, 1, false);
    drain(&mut d, 0);
    // Due at 1000 ns: PREA then (tRPab) REF, the rank busy until 1000 + 18 + 100.
    put(&mut d, 1, 0, 1, false);
    let v = drain(&mut d, 1_000_500);
    assert_eq!(cmds(&v), [(Activate, 1118, 0), (Read, 1133, 0)]);
    assert_eq!(d.stats.refreshes, 1);
    assert_eq!(d.stats.precharges, 1, "the open row was closed by the refresh");
    assert_eq!(d.stats.row_misses, 2, "the row was closed again");
    assert_eq!(d.stats.refresh_busy_ps, 118 * NS);
    // Idle time: refreshes happen without any event, counted when noticed.
    d.finish(10_500 * NS);
    assert_eq!(d.stats.refreshes, 10);
    // The one at 2000 closes the row read at 1133 (PREA + tRPab again); the rest find it closed.
    assert_eq!(d.stats.refresh_busy_ps, 2 * 118 * NS + 8 * 100 * NS);
    assert_eq!(d.stats.precharges, 2);
}

#[test]
fn refresh_waits_for_tras_of_an_open_row() {
    let mut d = device(1000.0);
    // ACT at 990: the precharge before the refresh due at 1000 must wait for tRAS (1025).
    put(&mut d, 0, 0, 1, true);
    let v = drain(&mut d, 990 * NS);
    assert_eq!(cmds(&v), [(Activate, 990, 0), (Activate, 1025 + 18 + 100, 0), (Write, 1158, 0)]);
    assert_eq!(d.stats.refresh_busy_ps, (1025 + 18 + 100 - 1000) * NS);
}

#[test]
fn idle_refreshes_are_counted_at_once_and_alike() {
    // Ten seconds idle at tREFI 1 µs: ten million refreshes counted in one step, the same
    // figures as noticing them a microsecond at a time, and a request after them waits for
    // the last one only.
    let (mut once, mut piecemeal) = (device(1000.0), device(1000.0));
    once.finish(10_000_000_000 * NS);
    assert_eq!(once.stats.refreshes, 10_000_000);
    assert_eq!(once.stats.refresh_busy_ps, 10_000_000 * 100 * NS);
    for k in 1..=5000 {
        piecemeal.finish(k * 1000 * NS + 500 * NS);
    }
    let mut jump = device(1000.0);
    jump.finish(5000 * 1000 * NS + 500 * NS);
    assert_eq!((jump.stats.refreshes, jump.stats.refresh_busy_ps), (5000, 5000 * 100 * NS));
    assert_eq!(
        (piecemeal.stats.refreshes, piecemeal.stats.refresh_busy_ps),
        (jump.stats.refreshes, jump.stats.refresh_busy_ps)
    );
    put(&mut jump, 0, 0, 1, false);
    let v = drain(&mut jump, 5_000_050 * NS);
    assert_eq!(cmds(&v), [(Activate, 5_000_100, 0), (Read, 5_000_115, 0)], "after the REF at 5,000,000 ns");
}
