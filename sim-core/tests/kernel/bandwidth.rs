//! Bandwidth serialisation: N messages of S bytes over bandwidth B take N·S/B (+ latency).

use rstest::rstest;
use sim_core::*;

use crate::support::*;

fn burst(n: u64, bytes: u64) -> Vec<Send> {
    (0..n).map(|id| Send { at_ps: 0, port: 0, msg: Msg { id, bytes }, delay_ps: 0 }).collect()
}

#[rstest]
#[case::one_gb_per_s(10, 64, 1_000_000_000, 64_000)]
#[case::odd_sizes_round_up(3, 100, 3_000_000_000, 33_334)]
#[case::many_small(1000, 8, 8_000_000_000, 1_000)]
fn bandwidth_serialisation(#[case] n: u64, #[case] bytes: u64, #[case] bytes_per_s: u64, #[case] per_msg_ps: u64) {
    let latency = 5_000;
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, burst(n, bytes), &log));
    let r = b.add("r", Receiver::new(1, &log));
    let spec = ChannelSpec::new(SimDuration(latency)).bandwidth(Bandwidth::BytesPerSecond(bytes_per_s));
    b.connect(s, "out0", r, "in0", spec);
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let got = arrivals(&log);
    assert_eq!(got.len() as u64, n);
    for (k, (t, _)) in got.iter().enumerate() {
        assert_eq!(*t, (k as u64 + 1) * per_msg_ps + latency, "message {k}");
    }
    let report = sim.finish();
    assert_eq!(report.stats.counter("s.out0.bytes"), Some(n * bytes));
    assert_eq!(report.stats.counter("s.out0.busy_ps"), Some(n * per_msg_ps));
}

#[test]
fn bandwidth_per_cycle_follows_the_clock() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let clk = b.clock("link_clk", SimDuration::ps(2_000), 0); // 500 MHz
    let s = b.add("s", Sender::new(1, burst(4, 20), &log));
    let r = b.add("r", Receiver::new(1, &log));
    let spec = ChannelSpec::new(SimDuration::ZERO).bandwidth(Bandwidth::BytesPerCycle { bytes: 8, clock: clk });
    b.connect(s, "out0", r, "in0", spec);
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    // 20 bytes at 8 bytes/cycle = 3 cycles = 6 ns each.
    let times: Vec<u64> = arrivals(&log).into_iter().map(|(t, _)| t).collect();
    assert_eq!(times, [6_000, 12_000, 18_000, 24_000]);
}

#[test]
fn a_later_send_queues_behind_a_busy_channel() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let script = vec![
        Send { at_ps: 0, port: 0, msg: Msg { id: 1, bytes: 1_000 }, delay_ps: 0 },
        Send { at_ps: 400_000, port: 0, msg: Msg { id: 2, bytes: 1_000 }, delay_ps: 0 },
    ];
    let s = b.add("s", Sender::new(1, script, &log));
    let r = b.add("r", Receiver::new(1, &log));
    let spec = ChannelSpec::new(SimDuration::ZERO).bandwidth(Bandwidth::BytesPerSecond(1_000_000_000));
    b.connect(s, "out0", r, "in0", spec);
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    // 1 us each: the second waits for the first to finish at 1 us.
    assert_eq!(arrivals(&log), [(1_000_000, "in0 1".into()), (2_000_000, "in0 2".into())]);
}
