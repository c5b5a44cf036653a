//! Each preset against figures worked out by hand from its standard's timings: the row
//! cycle (tRC = tRAS + tRP) that bounds row conflicts on one bank; the data bus that bounds
//! row hits, and tCCD_L that halves it within a bank group; DDR4's four-activate window.
//! The device is driven directly (the scheduler, no controller around it); then DDR4's bank
//! groups are shown through the whole controller on a stream.

use components::dram::{Burst, Command, Device, Issued, Location, Policy, Preset, RowClass, Serve, Timing};

use super::{counter, run_yaml, value};

fn device(p: Preset) -> Device {
    let s = p.standard();
    let beats = s.geometry.burst_bytes / s.geometry.bus_bytes;
    Device::new(&s.geometry, Timing::from_params(&s.timing, beats).unwrap(), Policy::default())
}

/// Queues one burst per (bank, row) at time 0 and runs the scheduler until all are served.
fn serve(d: &mut Device, bursts: &[(u32, u32)]) -> Vec<Issued> {
    for (seq, &(bank, row)) in bursts.iter().enumerate() {
        let loc = Location { channel: 0, rank: 0, bank, row, column: 0 };
        d.enqueue(&loc, Burst { seq: seq as u64, slot: seq as u32, row, write: false, class: RowClass::Hit }, 0);
    }
    let (mut out, mut now) = (Vec::new(), 0);
    while let Some(next) = d.schedule(now, Serve::Any, &mut out) {
        now = next;
    }
    out
}

fn times(v: &[Issued], cmd: Command) -> Vec<u64> {
    v.iter().filter(|i| i.cmd == cmd).map(|i| i.at).collect()
}

/// Row conflicts on one bank: one ACT per tRC. Each timing is rounded up to whole clocks of
/// tCK = 2 / data rate (ps): tRC = ceil(tRAS / tCK) + ceil(tRP / tCK) clocks.
#[rstest::rstest]
// LPDDR4-3200: tCK 625; tRAS 42 ns = 67.2 -> 68, tRP 18 ns = 28.8 -> 29: 97 x 625 (DRAMSys tRCpb 97).
#[case::lpddr4_3200(Preset::Lpddr4_3200, 97 * 625)]
// LPDDR4X-4266: tCK 469; tRAS 90 + tRP 39 nCK = 129 (DRAMSys tRCpb 129).
#[case::lpddr4x_4266(Preset::Lpddr4x4266, 129 * 469)]
// LPDDR5-6400: tCK 312.5 ps rounds to 313; tRAS 42.5 ns -> 136, tRP 18.75 ns -> 60: 196 x 313
// = 61.348 ns against the standard's 49 CK = 61.25 ns (the 1 ps grid).
#[case::lpddr5_6400(Preset::Lpddr5_6400, 196 * 313)]
// DDR4-3200: tRAS 52 + tRP 22 = 74 nCK of 625 ps (Ramulator 2 nRC 74).
#[case::ddr4_3200(Preset::Ddr4_3200, 74 * 625)]
// HBM2: tRAS 34 + tRP 14 = 48 nCK of 1 ns (Ramulator 2 nRC 48).
#[case::hbm2(Preset::Hbm2, 48_000)]
fn row_conflicts_on_one_bank_take_trc_each(#[case] preset: Preset, #[case] trc_ps: u64) {
    let mut d = device(preset);
    let v = serve(&mut d, &[(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)]);
    let acts = times(&v, Command::Activate);
    assert_eq!(acts.len(), 5);
    assert!(acts.windows(2).all(|w| w[1] - w[0] == trc_ps), "{}: ACTs at {acts:?} ps", preset.name());
}

/// Row hits: one burst per max(tCCD, tBURST) on the data bus; within a bank group tCCD_L.
/// (column command period in ps on one bank, and alternating two banks of different groups)
#[rstest::rstest]
// LPDDR4-3200: BL16 = 8 tCK = tCCD: the bus is the limit, 5 ns per 32 bytes; no groups.
#[case::lpddr4_3200(Preset::Lpddr4_3200, 8 * 625, 8 * 625)]
// LPDDR4X-4266: tCCD 8 nCK = BL16.
#[case::lpddr4x_4266(Preset::Lpddr4x4266, 8 * 469, 8 * 469)]
// LPDDR5-6400: tCCD_L 4 CK = 16 tCK (5 ns); tCCD_S 2 CK = 8 tCK = BL16: half the bus in a group.
#[case::lpddr5_6400(Preset::Lpddr5_6400, 16 * 313, 8 * 313)]
// DDR4-3200: tCCD_L 8 nCK, tCCD_S 4 nCK = BL8.
#[case::ddr4_3200(Preset::Ddr4_3200, 8 * 625, 4 * 625)]
// HBM2: tCCD_L 4 nCK, tCCD_S 2 nCK = BL4.
#[case::hbm2(Preset::Hbm2, 4_000, 2_000)]
fn row_hits_stream_at_the_bus_or_tccd_l(#[case] preset: Preset, #[case] same_group: u64, #[case] other_group: u64) {
    for (banks, period) in [([0, 0], same_group), ([0, 1], other_group)] {
        let mut d = device(preset);
        let bursts: Vec<(u32, u32)> = (0..16).map(|i| (banks[i % 2], 1)).collect();
        let v = serve(&mut d, &bursts);
        let reads = times(&v, Command::Read);
        // After the second ACT (the first reads may wait for it), every RD follows the last.
        let steady: Vec<u64> = reads[4..].windows(2).map(|w| w[1] - w[0]).collect();
        assert!(steady.iter().all(|&p| p == period), "{} banks {banks:?}: RD gaps {steady:?} ps", preset.name());
    }
}

#[test]
fn ddr4_activates_four_per_tfaw() {
    // Banks 0-3 are in groups 0-3 (tRRD_S = 4 nCK apart), bank 4 in group 0 again. The fifth
    // ACT is due at tFAW = 34 nCK after the first, but bank 3's RD (ACT 12 + tRCD 22 = 34)
    // takes the command bus then (column commands first): 35.
    let mut d = device(Preset::Ddr4_3200);
    let v = serve(&mut d, &[(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]);
    let acts: Vec<u64> = times(&v, Command::Activate).iter().map(|t| t / 625).collect();
    // The sixth: tRRD_S after the fifth (39) and tFAW after the second (4 + 34 = 38): 39.
    assert_eq!(acts, [0, 4, 8, 12, 35, 39]);
}

#[test]
fn a_ddr4_stream_in_one_bank_group_runs_at_half_the_alternating_one() {
    // 64-byte reads (one BL8 burst each) through the controller. The preset's mapping puts
    // consecutive bursts in consecutive banks (alternating groups); `bank:row:rank:channel:column`
    // keeps the whole stream in bank 0, one group: tCCD_L (8 nCK) per burst, and a row
    // change (PRE, ACT) every 128 bursts.
    let base = ["dram.preset=ddr4_3200", "gen.requests=8000"];
    let alternating = run_yaml("stream.yaml", &base, None);
    let one_group =
        run_yaml("stream.yaml", &[&base[..], &["dram.address_mapping=bank:row:rank:channel:column"]].concat(), None);
    let (a, g) = (value(&alternating, "dram.bandwidth_bytes_per_s"), value(&one_group, "dram.bandwidth_bytes_per_s"));
    let peak = value(&alternating, "dram.peak_bytes_per_s");
    assert_eq!(peak, 25.6e9, "8 bytes x 3200 MT/s");
    assert!(a >= 0.85 * peak, "alternating groups: {:.1}% of peak", 100.0 * a / peak);
    // tCCD_L / tCCD_S = 2, times the one-group stream's row changes: 128 bursts of 8 nCK
    // (1024 nCK), then PRE tRTP (12) after the last RD, ACT tRP (22) later, RD tRCD (22)
    // later: 56 nCK instead of 8, so 1072 / 1024. Expected 2 x 1.047 = 2.094.
    let ratio = a / g;
    assert!((ratio - 2.094).abs() < 0.03, "alternating {a:.3e} / one group {g:.3e} = {ratio:.3}");
    assert!(counter(&one_group, "dram.row_hits") > 7800);
}
