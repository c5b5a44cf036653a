//! The write queue (watermarks, posted acknowledgement, read forwarding) seen from a
//! requester on the 1 ns test device of `dram.rs` (`small`), and the 2:1 read:write stream
//! on the LPDDR4-3200 preset that write draining brings to 90% of peak.

use super::driver::*;
use super::{arrivals, at, counter, run_yaml, small, value, NS};

/// The small device with a write queue of 8 (high watermark 4, low 2) and `extra` lines.
fn queued(extra: &str) -> String {
    format!(
        "{}\nwrite_queue: {{enabled: true, depth: 8, high_watermark_percent: 50, low_watermark_percent: 25}}\n{extra}",
        small(0)
    )
}

/// Response order of `writes` writes (ids 100..) to bank 1 sent before ten reads (ids 0..)
/// to bank 0, all at once.
fn order(yaml: &str, writes: u64) -> Vec<u64> {
    let mut script: Vec<_> = (0..writes).map(|i| (0, write(100 + i, at(yaml, 1, 1, i as u32), vec![7; 32]))).collect();
    script.extend((0..10).map(|i| (0, read(i, at(yaml, 0, 1, i as u32), 32))));
    let (seen, _) = run(yaml, script, Wiring::default());
    seen.responses.iter().map(|(_, r)| r.id).collect()
}

#[test]
fn writes_wait_below_the_high_watermark_and_drain_to_the_low_one() {
    let y = queued("");
    // Three writes (below the high watermark of 4): reads go first, writes when none wait.
    let mut expect: Vec<u64> = (0..10).collect();
    expect.extend([100, 101, 102]);
    assert_eq!(order(&y, 3), expect);
    // Four: drain down to the low watermark (2 left), serve the reads, then the rest.
    let mut expect = vec![100, 101];
    expect.extend(0..10);
    expect.extend([102, 103]);
    assert_eq!(order(&y, 4), expect);
    // Without the write queue, FR-FCFS takes the oldest first: the writes' bank opens first.
    assert_eq!(order(&small(0), 4)[..4], [100, 101, 102, 103]);
}

#[test]
fn posted_writes_are_acknowledged_when_queued() {
    let write_then_read = |y: &str| {
        let script = vec![(0, write(1, at(y, 1, 1, 0), vec![9; 32])), (100 * NS, read(2, at(y, 1, 1, 0), 32))];
        run(y, script, Wiring::default())
    };
    // Completion: 2 ns there, ACT + tRCD (15) + tCWL (8) + tBURST (4), 2 ns back.
    let (seen, _) = write_then_read(&queued(""));
    assert_eq!(arrivals(&seen)[0], (1, 2 + 15 + 8 + 4 + 2));
    // Posted: answered on entry; the write still reaches the DRAM, and reads back.
    let (seen, r) = write_then_read(&queued("write_ack: posted"));
    assert_eq!(arrivals(&seen)[0], (1, 4));
    assert_eq!(seen.responses[1].1.data, vec![9; 32]);
    assert_eq!((counter(&r, "dram.writes"), counter(&r, "dram.bursts")), (1, 2));
    // The write queue's slots are held until the writes drain: with room for 2, a third
    // posted write is answered only when the first has drained.
    let y = queued("write_ack: posted").replace("depth: 8", "depth: 2");
    let script: Vec<_> = (0..3).map(|i| (0, write(i, at(&y, 1, 1, i as u32), vec![1; 32]))).collect();
    let (seen, _) = run(&y, script, Wiring::default());
    let times = arrivals(&seen);
    assert_eq!(times[..2], [(0, 4), (1, 4)]);
    assert!(times[2].1 > 2 + 15, "third answered after a write issued: {times:?}");
}

#[test]
fn reads_of_queued_writes_are_served_from_the_queue() {
    let y = queued("");
    let data: Vec<u8> = (0..64).collect();
    let script = vec![
        // Written whole: two bursts. Below the watermark, so it waits while reads are served.
        (0, write(1, at(&y, 1, 1, 0), data.clone())),
        (0, read(2, at(&y, 1, 1, 0) + 8, 40)), // inside the write: forwarded
        (0, read(3, at(&y, 1, 1, 1), 64)),     // half outside: from the DRAM
    ];
    let (seen, r) = run(&y, script, Wiring::default());
    let got = |id| &seen.responses.iter().find(|(_, x)| x.id == id).unwrap().1;
    assert_eq!(arrivals(&seen)[0], (2, 4), "forwarded at once");
    assert_eq!(got(2).data, data[8..48].to_vec());
    assert_eq!(got(3).data[..32], data[32..64]);
    assert_eq!(counter(&r, "dram.forwarded_reads"), 1);
    assert_eq!(counter(&r, "dram.bursts"), 2 + 2, "the write's two, the unforwarded read's two");
}

#[test]
fn a_2_to_1_read_write_stream_reaches_90_percent_with_write_draining() {
    // 64-byte requests, sequential, a third of them writes (seeded), 64 in flight; queues of
    // 64 reads and 64 writes, drained from 90% to 10% full: batches of ~51 writes (~50
    // bursts per channel, 250 ns of data) between bus turnarounds that each cost tWTR + RL
    // (27.5 ns, write to read) and tRTW (4.75 ns, read to write); refresh takes ~5%.
    let mixed = ["gen.write_percent=33", "gen.requests=20000"];
    let queue = [
        "dram.queue_depth=64",
        "dram.write_queue.enabled=true",
        "dram.write_queue.depth=64",
        "dram.write_queue.high_watermark_percent=90",
        "dram.write_queue.low_watermark_percent=10",
        "dram.write_ack=posted",
    ];
    let drained = run_yaml("stream.yaml", &[&mixed[..], &queue[..]].concat(), None);
    let plain = run_yaml("stream.yaml", &mixed, None);
    let peak = value(&drained, "dram.peak_bytes_per_s");
    let (bw, bw0) = (value(&drained, "dram.bandwidth_bytes_per_s"), value(&plain, "dram.bandwidth_bytes_per_s"));
    assert!(bw >= 0.90 * peak, "with write draining: {:.2}% of peak", 100.0 * bw / peak);
    assert!(bw0 < 0.80 * peak, "in trace order: {:.2}% of peak", 100.0 * bw0 / peak);
    let turns = |r| counter(r, "dram.bus_turnarounds");
    assert!(turns(&drained) * 10 < turns(&plain), "turnarounds {} vs {}", turns(&drained), turns(&plain));
    assert_eq!(counter(&drained, "gen.completed"), 20_000);
    assert!(counter(&drained, "dram.write_drains") > 100);
}

/// Every policy and preset keeps memory semantics: one response per request, reads see the
/// latest write before them (a shadow copy), nothing left queued, and the ranks' power-state
/// times add up to the run.
#[rstest::rstest]
#[case::defaults("")]
#[case::fcfs_closed("scheduler: fcfs\nrow_policy: closed")]
#[case::cap_timeout("scheduler: fr_fcfs_cap\nrow_hit_cap: 2\nrow_policy: timeout\nrow_timeout_ns: 30")]
#[case::write_queue("write_queue: {enabled: true, depth: 8}")]
#[case::posted_per_bank("write_queue: {enabled: true, depth: 4}\nwrite_ack: posted\nrefresh: per_bank")]
#[case::power_down("power_down: {enabled: true, idle_ns: 5, self_refresh_idle_ns: 200}\nrefresh: per_bank")]
#[case::ddr4_everything(
    "preset: ddr4_3200\nwrite_queue: {enabled: true}\nwrite_ack: posted\npower_down: {enabled: true}\nrow_policy: closed"
)]
#[case::lpddr5("preset: lpddr5_6400\nwrite_queue: {enabled: true}\npower_down: {enabled: true, idle_ns: 0}")]
#[case::hbm2("preset: hbm2\nscheduler: fr_fcfs_cap\nwrite_queue: {enabled: true, depth: 2}\nwrite_ack: posted")]
fn every_policy_keeps_memory_semantics(#[case] policy: &str) {
    let y = format!("clock: clk\n{policy}");
    let mut rng = sim_core::SimRng::from_seed(3);
    let (span, base) = (6 * 4096, 1 << 20);
    let mut shadow = vec![0u8; span as usize];
    let (mut script, mut expect) = (Vec::new(), Vec::new());
    for id in 0..300u64 {
        let len = [32, 64, 1 + rng.below(200)][rng.below(3) as usize];
        let off = rng.below(span - len);
        let (lo, hi) = (off as usize, (off + len) as usize);
        // Bursts of requests with idle gaps between them (so that ranks power down).
        let t = id * 3 * NS + (id / 50) * 3_000 * NS;
        if rng.chance(0.4) {
            let data: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            shadow[lo..hi].copy_from_slice(&data);
            script.push((t, write(id, base + off, data)));
            expect.push((id, Vec::new()));
        } else {
            script.push((t, read(id, base + off, len as u32)));
            expect.push((id, shadow[lo..hi].to_vec()));
        }
    }
    let (seen, r) = run(&y, script, Wiring { req_depth: Some(8), ..Wiring::default() });
    let mut got: Vec<(u64, Vec<u8>)> = seen.responses.into_iter().map(|(_, x)| (x.id, x.data)).collect();
    got.sort_by_key(|(id, _)| *id);
    assert_eq!(got, expect, "{policy}");
    let ranks = r.stats.iter().filter(|(k, _)| k.starts_with("dram.bank.") && k.ends_with(".0.accesses")).count();
    let states = ["precharge_standby", "active_standby", "precharge_power_down", "active_power_down", "self_refresh"];
    let total: u64 = states.iter().map(|s| counter(&r, &format!("dram.state.{s}_ps"))).sum();
    assert_eq!(total, ranks as u64 * r.end.as_ps(), "{policy}: state times");
}
