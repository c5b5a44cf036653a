//! The `dram_controller`: exact command timing seen from a requester, data integrity,
//! FR-FCFS, refresh, bandwidth against the peak, backpressure, parameter errors and
//! determinism.
//!
//! Exact-timing tests use a scripted requester (`driver`) and a small device on a 1 ns DRAM
//! clock with round timings; bandwidth tests run `tests/data/dram/stream.yaml`, a
//! `mem_traffic` generator against the default LPDDR4-3200 die, through the YAML edge.

mod driver;
mod policies;
mod power;
mod presets;

use components::dram::{DramParams, Location};
use sim_core::{Report, StatValue};
use tasim::elaborate::{elaborate, Options};
use tasim::topology;

use crate::support::*;
use driver::*;

const NS: u64 = 1_000;

/// One channel, one rank, 4 banks of 256 rows of 1 KiB, 32-byte bursts on a 4-byte bus
/// (BL8: 4 ns), 1 ns DRAM clock; tRCD = tRP = tCL = 15 ns, tCWL 8, tRAS 35, tRRD 10.
fn small(trefi_ns: u64) -> String {
    format!(
        "clock: clk
geometry: {{channels: 1, ranks: 1, banks: 4, rows: 256, columns: 256, bus_bytes: 4, burst_bytes: 32}}
timing: {{data_rate_mtps: 2000, trcd_ns: 15, trp_ns: 15, trpab_ns: 18, tcl_ns: 15, tcwl_ns: 8, tras_ns: 35,
         twr_ns: 15, trtp_ns: 8, tccd_ns: 4, trrd_ns: 10, tfaw_ns: 50, twtr_ns: 10, trtw_ns: 2,
         trefi_ns: {trefi_ns}, trfc_ns: 100}}"
    )
}

/// The address of burst `column` of `row` in `bank` under `yaml`'s mapping.
fn at(yaml: &str, bank: u32, row: u32, column: u32) -> u64 {
    let p: DramParams = serde_yaml::from_str(yaml).unwrap();
    p.validate().unwrap().mapping.encode(Location { channel: 0, rank: 0, bank, row, column })
}

/// (id, arrival time in ns) of each response, in arrival order.
fn arrivals(seen: &Seen) -> Vec<(u64, u64)> {
    seen.responses.iter().map(|(t, r)| (r.id, t / NS)).collect()
}

fn counter(r: &Report, name: &str) -> u64 {
    r.stats.counter(name).unwrap_or_else(|| panic!("no counter {name}"))
}

fn value(r: &Report, name: &str) -> f64 {
    r.stats.value(name).unwrap_or_else(|| panic!("no statistic {name}"))
}

fn histogram_mean(r: &Report, name: &str) -> f64 {
    match r.stats.get(name) {
        Some(StatValue::Histogram(h)) => h.mean,
        other => panic!("{name} is not a histogram: {other:?}"),
    }
}

#[test]
fn closed_bank_row_hit_and_row_conflict_latencies() {
    let y = small(0);
    let mut first = read(1, at(&y, 0, 1, 0), 32);
    first.source = 7;
    first.issued_ps = 123;
    let script = vec![(0, first), (100 * NS, read(2, at(&y, 0, 1, 5), 32)), (200 * NS, read(3, at(&y, 0, 2, 0), 32))];
    let (seen, r) = run(&y, script, Wiring::default());
    // 2 ns each way on the channels; closed bank: tRCD + tCL + tBURST; row hit: tCL + tBURST;
    // another row open: tRP + tRCD + tCL + tBURST.
    assert_eq!(
        arrivals(&seen),
        [(1, 2 + 15 + 15 + 4 + 2), (2, 100 + 2 + 15 + 4 + 2), (3, 200 + 2 + 15 + 15 + 15 + 4 + 2)]
    );
    let resp = &seen.responses[0].1;
    assert_eq!((resp.source, resp.issued_ps, resp.cause, resp.bytes, resp.write), (7, 123, cause(), 32, false));
    assert_eq!(resp.data, vec![0; 32], "never-written memory reads as zero");
    assert_eq!(
        ["dram.row_misses", "dram.row_hits", "dram.row_conflicts", "dram.activates", "dram.precharges"]
            .map(|n| counter(&r, n)),
        [1, 1, 1, 2, 1]
    );
    assert_eq!(counter(&r, "dram.bank.0.0.0.accesses"), 3);
    assert_eq!(counter(&r, "dram.bank.0.0.1.accesses"), 0);
    match r.stats.get("dram.read_latency_ps") {
        Some(StatValue::Histogram(h)) => assert_eq!((h.count, h.min, h.max), (3, 19 * NS, 49 * NS)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_request_is_answered_when_its_last_burst_is_done() {
    let y = small(0);
    // 96 bytes from byte 16 of a row: bursts 0..=3, read back to back every tCCD = 4 ns.
    let (seen, r) = run(&y, vec![(0, read(1, at(&y, 1, 9, 0) + 16, 96))], Wiring::default());
    assert_eq!(arrivals(&seen), [(1, 2 + 15 + 3 * 4 + 15 + 4 + 2)]);
    assert_eq!((counter(&r, "dram.bursts"), counter(&r, "dram.bytes_read")), (4, 96));
    assert_eq!(seen.responses[0].1.data.len(), 96);
}

#[test]
fn row_hit_behind_a_conflict_is_served_first() {
    let y = small(0);
    let script = vec![
        (0, read(1, at(&y, 0, 1, 0), 32)),
        // Row 2 (a conflict) then row 1 (a hit), both before tRAS lets row 1 close.
        (10 * NS, read(2, at(&y, 0, 2, 0), 32)),
        (11 * NS, read(3, at(&y, 0, 1, 1), 32)),
    ];
    let (seen, _) = run(&y, script, Wiring::default());
    // The hit reads at 21 (tCCD after the first read); the conflict precharges at tRAS (37).
    assert_eq!(arrivals(&seen), [(1, 38), (3, 21 + 15 + 4 + 2), (2, 37 + 15 + 15 + 15 + 4 + 2)]);

    // Arriving together, with the precharge already legal: still the hit first.
    let script = vec![
        (0, read(1, at(&y, 0, 1, 0), 32)),
        (100 * NS, read(2, at(&y, 0, 2, 0), 32)),
        (100 * NS, read(3, at(&y, 0, 1, 1), 32)),
    ];
    let (seen, _) = run(&y, script, Wiring::default());
    assert_eq!(arrivals(&seen), [(1, 38), (3, 102 + 15 + 4 + 2), (2, 110 + 15 + 15 + 15 + 4 + 2)]);
}

#[test]
fn oldest_first_among_equals() {
    let y = small(0);
    for (first, second) in [(2, 1), (1, 2)] {
        // Two closed banks, requests sent at the same instant: the older one activates first,
        // the other tRRD later, whatever the bank numbers.
        let script = vec![(0, read(1, at(&y, first, 3, 0), 32)), (0, read(2, at(&y, second, 3, 0), 32))];
        let (seen, _) = run(&y, script, Wiring::default());
        assert_eq!(arrivals(&seen), [(1, 2 + 15 + 15 + 4 + 2), (2, 2 + 10 + 15 + 15 + 4 + 2)]);
    }
}

#[test]
fn refresh_every_trefi_blocks_a_request_for_trfc() {
    let y = small(1000);
    let script = vec![
        (0, read(1, at(&y, 0, 1, 0), 32)),
        // Arrives at 1001, just after the refresh due at 1000: without it, a row hit at 1022.
        (999 * NS, read(2, at(&y, 0, 1, 1), 32)),
        (10_500 * NS, read(3, at(&y, 0, 1, 2), 32)),
    ];
    let (seen, r) = run(&y, script, Wiring::default());
    // PREA at 1000, REF tRPab later, rank blocked for tRFC: ACT at 1118.
    let refreshed = 1000 + 18 + 100;
    assert_eq!(arrivals(&seen), [(1, 38), (2, refreshed + 15 + 15 + 4 + 2), (3, 10_502 + 15 + 15 + 4 + 2)]);
    // Due at 1, 2, ... 10 µs; the run ends at 10.538 µs.
    assert_eq!(counter(&r, "dram.refreshes"), 10);
    // The refreshes at 1 and 2 µs close an open row (PREA + tRPab); the rest find it closed.
    assert_eq!(counter(&r, "dram.refresh_busy_ps"), (2 * 118 + 8 * 100) * NS);
    assert_eq!(counter(&r, "dram.precharges"), 2);
    assert_eq!(counter(&r, "dram.row_misses"), 3, "every request found its row closed by a refresh");
}

#[test]
fn written_bytes_read_back_across_bursts_and_pages() {
    // The default LPDDR4 die; 400 random reads and writes of 1..300 bytes at unaligned
    // addresses around a few 4 KiB page and 2 KiB row boundaries, checked against a shadow.
    let y = "clock: clk";
    let mut rng = sim_core::SimRng::from_seed(9);
    let span = 3 * 4096 + 100;
    let base = (1 << 29) - 4096 - 50;
    let mut shadow = vec![0u8; span as usize];
    let mut script = Vec::new();
    let mut expect = Vec::new();
    for id in 0..400u64 {
        let len = 1 + rng.below(300);
        let off = rng.below(span - len);
        let addr = base + off;
        let (lo, hi) = (off as usize, (off + len) as usize);
        if rng.chance(0.5) {
            let data: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            shadow[lo..hi].copy_from_slice(&data);
            script.push((id * 3 * NS, write(id, addr, data)));
            expect.push((id, Vec::new()));
        } else {
            script.push((id * 3 * NS, read(id, addr, len as u32)));
            expect.push((id, shadow[lo..hi].to_vec()));
        }
    }
    let w = Wiring { req_depth: Some(4), ..Wiring::default() };
    let (seen, r) = run(y, script, w);
    let mut got: Vec<(u64, Vec<u8>)> = seen.responses.into_iter().map(|(_, r)| (r.id, r.data)).collect();
    got.sort_by_key(|(id, _)| *id);
    assert_eq!(got.len(), 400, "one response per request");
    for ((id, data), (eid, edata)) in got.iter().zip(&expect) {
        assert_eq!(id, eid);
        assert_eq!(data, edata, "request {id}");
    }
    assert!(counter(&r, "dram.writes") > 150 && counter(&r, "dram.reads") > 150);
}

/// Runs a topology fixture under `tests/data/dram/` with overrides.
fn run_yaml(rel: &str, set: &[&str], seed: Option<u64>) -> Report {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let mut t = topology::load(&data(&format!("dram/{rel}")), &set).unwrap_or_else(|e| panic!("{e}"));
    if let Some(s) = seed {
        t.seed = s;
    }
    let mut sim = elaborate(&t, Options::default()).unwrap_or_else(|e| panic!("{e}"));
    sim.run().expect("the run ends");
    sim.finish()
}

#[test]
fn streaming_reads_reach_90_percent_of_peak() {
    let r = run_yaml("stream.yaml", &[], None);
    let peak = value(&r, "dram.peak_bytes_per_s");
    assert_eq!(peak, 2.0 * 2.0 * 3200e6, "2 channels x 2 bytes x 3200 MT/s");
    let bw = value(&r, "dram.bandwidth_bytes_per_s");
    assert!(bw >= 0.90 * peak && bw <= peak, "streaming: {:.1}% of peak", 100.0 * bw / peak);
    assert_eq!(counter(&r, "gen.completed"), 20_000);
    assert_eq!(counter(&r, "dram.bytes_read"), 20_000 * 64);
    assert!(value(&r, "dram.row_hit_rate") > 0.95);
    // Refresh still happens on time under load: one per tREFI (3904.375 ns on the tCK grid)
    // per channel.
    assert_eq!(counter(&r, "dram.refreshes"), 2 * (r.end.as_ps() / 3_904_375));
}

#[test]
fn random_reads_miss_rows_and_wait_longer() {
    let stream = run_yaml("stream.yaml", &["gen.range_bytes=67108864"], None);
    let random = run_yaml("stream.yaml", &["gen.range_bytes=67108864", "gen.pattern=random"], None);
    let (hs, hr) = (value(&stream, "dram.row_hit_rate"), value(&random, "dram.row_hit_rate"));
    // A 64-byte request is two bursts in one row: the second one hits even at random.
    assert!(hs > 0.95 && hr < 0.55, "row-hit rate: stream {hs}, random {hr}");
    let (ls, lr) = (histogram_mean(&stream, "dram.read_latency_ps"), histogram_mean(&random, "dram.read_latency_ps"));
    assert!(lr > ls, "mean read latency: stream {ls} ps, random {lr} ps");

    // One request at a time, the latency is the access itself: row hits against conflicts.
    let one = ["gen.range_bytes=67108864", "gen.max_outstanding=1", "gen.requests=2000"];
    let stream1 = run_yaml("stream.yaml", &one, None);
    let random1 = run_yaml("stream.yaml", &[&one[..], &["gen.pattern=random"]].concat(), None);
    let (ls, lr) = (histogram_mean(&stream1, "dram.read_latency_ps"), histogram_mean(&random1, "dram.read_latency_ps"));
    assert!(lr > ls + 15_000.0, "unloaded mean read latency: stream {ls} ps, random {lr} ps");

    // A single bank per channel: every random access waits for tRP + tRCD in turn.
    let single =
        run_yaml("stream.yaml", &["gen.range_bytes=67108864", "gen.pattern=random", "dram.geometry.banks=1"], None);
    let (bs, b1) = (value(&stream, "dram.bandwidth_bytes_per_s"), value(&single, "dram.bandwidth_bytes_per_s"));
    assert!(b1 < 0.3 * bs, "single bank random {b1:.3e} B/s against streaming {bs:.3e} B/s");
}

#[test]
fn a_full_queue_pushes_back_and_loses_nothing() {
    let set = ["gen.max_outstanding=40", "gen.requests=2000"];
    // 40 requests at once into a 16-deep channel: 24 refused at the start; after that the
    // 32-entry queue releases every slot at once and the channel never fills again.
    let roomy = run_yaml("stream.yaml", &set, None);
    assert_eq!(counter(&roomy, "gen.refused"), 40 - 16);
    // With 4 entries, 4 + 16 channel slots < 40 in flight: the requester is pushed back all along.
    let tight = run_yaml("stream.yaml", &[&set[..], &["dram.queue_depth=4"]].concat(), None);
    assert!(counter(&tight, "gen.refused") > 1000, "{}", counter(&tight, "gen.refused"));
    assert_eq!(counter(&tight, "gen.completed"), 2000);
    assert_eq!(counter(&tight, "dram.reads"), 2000);
    assert_eq!(counter(&tight, "dram.bytes_read"), 2000 * 64);
    for (r, depth) in [(&roomy, 32.0), (&tight, 4.0)] {
        match r.stats.get("dram.queue_occupancy") {
            Some(StatValue::TimeAverage { max, .. }) => assert_eq!(*max, depth),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_slow_consumer_stalls_responses_then_requests() {
    let y = format!("{}\nqueue_depth: 4", small(0));
    let script: Vec<_> = (0..20).map(|i| (0, read(i, at(&y, (i % 4) as u32, 1, (i / 4) as u32), 32))).collect();
    // The requester takes 50 ns per response through a 1-deep response channel.
    let w = Wiring { req_depth: Some(2), resp_depth: Some(1), hold_ps: Some(50 * NS), ..Wiring::default() };
    let (seen, r) = run(&y, script, w);
    let mut ids: Vec<u64> = seen.responses.iter().map(|(_, r)| r.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..20).collect::<Vec<_>>(), "every request answered exactly once");
    assert!(seen.refused > 0, "the requester was pushed back");
    assert!(counter(&r, "dram.resp.refused") > 0, "the controller waited for the consumer");
    // Responses leave at the consumer's pace, one per 50 ns.
    let times: Vec<u64> = seen.responses.iter().map(|(t, _)| *t).collect();
    assert!(times.windows(2).skip(2).all(|w| w[1] - w[0] >= 50 * NS), "{times:?}");
}

#[test]
fn energy_follows_the_commands() {
    let y = "clock: clk";
    let script: Vec<_> = (0..10).map(|i| (i * 100 * NS, read(i, i * 4096, 64))).collect();
    let (_, r) = run(y, script, Wiring::default());
    let bursts = counter(&r, "dram.bursts") as f64;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert_eq!(bursts, 20.0);
    // Device at its nominal 1.1 V: 4.2 pJ per bit read, 858 pJ per ACT + PRE.
    assert!(close(value(&r, "dram.energy_offchip.kind.read_pj"), bursts * 256.0 * 4.2));
    assert!(close(value(&r, "dram.energy_offchip.kind.act_pre_pj"), counter(&r, "dram.activates") as f64 * 858.0));
    // Background of the two channels over the run, by state: 28.6 mW each in precharge
    // standby, 28.6 + 8.8 mW while a row is open; no power-down (off by default).
    let state_ps = |s: &str| counter(&r, &format!("dram.state.{s}_ps")) as f64;
    assert_eq!(state_ps("precharge_standby") + state_ps("active_standby"), 2.0 * r.end.as_ps() as f64);
    assert_eq!(state_ps("precharge_power_down") + state_ps("active_power_down") + state_ps("self_refresh"), 0.0);
    let pj = |s: &str| value(&r, &format!("dram.energy_offchip.kind.{s}_pj"));
    assert!(close(pj("precharge_standby"), 28.6e-3 * state_ps("precharge_standby")));
    assert!(close(pj("active_standby"), (28.6 + 8.8) * 1e-3 * state_ps("active_standby")));
    assert_eq!(value(&r, "dram.energy_offchip.leakage_pj"), 0.0, "background is charged by state");
    // Controller + PHY at the clock's 1.0 V: 12 pJ per byte moved, attributed to the cause.
    assert!(close(value(&r, "dram.energy.kind.phy_pj"), bursts * 32.0 * 12.0));
    assert!(close(value(&r, "dram.energy.phase.fp_pj"), bursts * 32.0 * 12.0));
    assert!(close(value(&r, "dram.energy.layer.3_pj"), bursts * 32.0 * 12.0));
}

#[test]
fn same_seed_same_statistics() {
    let set = ["gen.pattern=random", "gen.write_percent=30", "gen.requests=5000"];
    let a = run_yaml("stream.yaml", &set, Some(5));
    let b = run_yaml("stream.yaml", &set, Some(5));
    assert_eq!(a.stats, b.stats);
    assert_eq!(a.end, b.end);
    let c = run_yaml("stream.yaml", &set, Some(6));
    assert_ne!(a.stats, c.stats, "the seed drives the random addresses");
}

#[test]
fn an_address_beyond_the_capacity_aborts_the_run() {
    let out = tasim(&[
        "run",
        "tests/data/dram/stream.yaml",
        "--set",
        "gen.base_addr=1073741800",
        "--set",
        "gen.range_bytes=64",
    ]);
    assert_eq!(out.status.code(), Some(2), "a configuration problem found while running");
    assert_eq!(
        stderr(&out).trim_end(),
        "error: tests/data/dram/stream.yaml:19:5: the simulation stopped: dram at 1.250 ns: request 0 for 64 bytes at \
         address 0x3fffffe8 goes beyond the capacity of 1073741824 bytes (1024 MiB, addresses 0x0..0x40000000)\n  \
         field: components[1]"
    );
}

/// `tasim validate` on a bad fixture fails with exit code 2 and exactly `expected`.
#[rstest::rstest]
#[case::zero_banks(
    "zero_banks.yaml",
    "error: {f}:8:31: dram: `geometry.banks` = 0 must be a whole number from 1 to 1024
  field: components[0].params.geometry.banks
  fix: use a value in 1..=1024 (`tasim types` lists every parameter's range)"
)]
#[case::burst_not_a_multiple_of_the_bus(
    "burst_not_multiple.yaml",
    "error: {f}:10:9: dram: `geometry.burst_bytes` (2) must be a multiple of `geometry.bus_bytes` (4)
  field: components[0].params.geometry.burst_bytes"
)]
#[case::tras_below_trcd(
    "tras_below_trcd.yaml",
    "error: {f}:10:9: dram: `timing.tras_ns` (15 ns) must be at least `timing.trcd_ns` (18 ns): a row stays open \
     until its column access
  field: components[0].params.timing.tras_ns"
)]
#[case::size_not_matching_the_geometry(
    "size_mismatch.yaml",
    "error: {f}:9:9: dram: `geometry.size_mib` is 512 but the geometry gives 1024 MiB (2 channels × 1 ranks × 8 \
     banks × 32768 rows × 2048-byte rows)
  field: components[0].params.geometry.size_mib"
)]
#[case::unknown_mapping_field(
    "unknown_mapping.yaml",
    "error: {f}:8:7: dram: unknown field `bnak` in `address_mapping` `row:rank:bnak:channel:column`: name `row`, \
     `rank`, `bank`, `channel` and `column` once each, most significant first, separated by `:` (e.g. \
     `row:rank:bank:channel:column`)
  field: components[0].params.address_mapping"
)]
#[case::zero_queue_depth(
    "zero_queue.yaml",
    "error: {f}:8:7: dram: `queue_depth` = 0 must be a whole number from 1 to 65536
  field: components[0].params.queue_depth
  fix: use a value in 1..=65536 (`tasim types` lists every parameter's range)"
)]
#[case::misspelt_timing(
    "unknown_param.yaml",
    "error: {f}:9:9: dram: parameter `timing.trcd`: unknown field `trcd`, expected one of `data_rate_mtps`, \
     `trcd_ns`, `trp_ns`, `trpab_ns`, `tcl_ns`, `tcwl_ns`, `tras_ns`, `twr_ns`, `trtp_ns`, `tccd_ns`, \
     `tccd_l_ns`, `trrd_ns`, `trrd_l_ns`, `tfaw_ns`, `twtr_ns`, `twtr_l_ns`, `trtw_ns`, `trtrs_ns`, `trefi_ns`, `trfc_ns`, \
     `trefipb_ns`, `trfcpb_ns`, `txp_ns`, `tcke_ns`, `txsr_ns`, `tsr_ns`, `act_command_cycles`, `column_command_cycles`, \
     `pre_command_cycles`
  field: components[0].params.timing.trcd
  fix: did you mean `trcd_ns`?"
)]
#[case::missing_clock(
    "missing_clock.yaml",
    "error: {f}:6:5: dram: missing field `clock`
  field: components[0].params
  fix: see `tasim types` for the parameters and their units"
)]
#[case::unknown_clock(
    "unknown_clock.yaml",
    "error: {f}:6:14: dram: unknown clock `ctl_clk`
  field: components[0].params.clock
  fix: did you mean `ctrl_clk`?"
)]
#[case::unknown_traffic_pattern(
    "bad_traffic.yaml",
    "error: {f}:10:14: gen: parameter `pattern`: unknown variant `strided`, expected `sequential` or `random`
  field: components[1].params.pattern
  fix: use one of `sequential`, `random`"
)]
#[case::posted_writes_need_the_write_queue(
    "posted_without_queue.yaml",
    "error: {f}:8:7: dram: `write_ack: posted` acknowledges writes as they enter the write queue
  field: components[0].params.write_ack
  fix: set `write_queue: {enabled: true}` too, or use `write_ack: completion`"
)]
#[case::per_bank_refresh_on_ddr4(
    "per_bank_ddr4.yaml",
    "error: {f}:9:7: dram: `refresh: per_bank` needs `timing.trefipb_ns` and `timing.trfcpb_ns` above 0 (the \
     ddr4_3200 preset has no per-bank refresh)
  field: components[0].params.refresh
  fix: use `refresh: all_bank`, or set both timings"
)]
#[case::unknown_preset(
    "unknown_preset.yaml",
    "error: {f}:8:7: dram: parameter `preset`: unknown variant `ddr5_4800`, expected one of `lpddr4_3200`, \
     `lpddr4x_4266`, `lpddr5_6400`, `ddr4_3200`, `hbm2`
  field: components[0].params.preset
  fix: did you mean `ddr4_3200`?"
)]
#[case::watermarks_crossed(
    "watermarks_crossed.yaml",
    "error: {f}:8:64: dram: `write_queue.low_watermark_percent` (60) must be below \
     `write_queue.high_watermark_percent` (50)
  field: components[0].params.write_queue.low_watermark_percent"
)]
#[case::tccd_l_below_tccd(
    "tccd_l_below_tccd.yaml",
    "error: {f}:9:16: dram: `timing.tccd_l_ns` (same bank group) must be at least `timing.tccd_ns` (other groups)
  field: components[0].params.timing.tccd_l_ns"
)]
fn bad_parameters(#[case] fixture: &str, #[case] expected: &str) {
    let path = format!("tests/data/dram/bad/{fixture}");
    let out = tasim(&["validate", &path]);
    assert_eq!(out.status.code(), Some(2), "{fixture}: {}", stderr(&out));
    assert_eq!(stderr(&out).trim_end(), expected.replace("{f}", &path));
    assert!(stdout(&out).is_empty());
}
