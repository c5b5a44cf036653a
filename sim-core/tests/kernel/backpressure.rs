//! Backpressure: a depth-1 channel into a slow consumer throttles the producer.

use sim_core::*;

use crate::support::*;

#[test]
fn depth_one_channel_into_slow_consumer_throttles_producer() {
    let (latency, hold) = (10_000, 100_000);
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, (0..5).map(|id| send(0, 0, id)).collect(), &log));
    let r = b.add("r", Receiver::slow(hold, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration(latency)).depth(1));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    // A message arrives after the latency, is held, and its slot travels back: one message
    // per (latency + hold + latency).
    let period = 2 * latency + hold;
    let times: Vec<u64> = arrivals(&log).into_iter().map(|(t, _)| t).collect();
    assert_eq!(times, (0..5).map(|k| latency + k * period).collect::<Vec<_>>());
    let readies: Vec<u64> = entries(&log).into_iter().filter(|(_, e)| e == "ready out0").map(|(t, _)| t).collect();
    assert_eq!(readies, (1..5).map(|k| k * period).collect::<Vec<_>>(), "on_ready once per freed slot");
    let report = sim.finish();
    assert_eq!(report.stats.counter("s.out0.refused"), Some(4));
}

#[test]
fn unbounded_channel_never_refuses() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, (0..50).map(|id| send(0, 0, id)).collect(), &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ns(1)));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    assert_eq!(arrivals(&log).len(), 50);
    assert!(entries(&log).iter().all(|(_, e)| !e.starts_with("refused")));
}

#[test]
fn deeper_channel_pipelines_up_to_its_depth() {
    let (latency, hold) = (10_000, 100_000);
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, (0..6).map(|id| send(0, 0, id)).collect(), &log));
    let r = b.add("r", Receiver::slow(hold, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration(latency)).depth(3));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let times: Vec<u64> = arrivals(&log).into_iter().map(|(t, _)| t).collect();
    // Three go at once; each later one leaves when a slot returns (release + latency).
    assert_eq!(&times[..3], &[latency; 3]);
    let releases: Vec<u64> = entries(&log).into_iter().filter(|(_, e)| e == "release").map(|(t, _)| t).collect();
    for k in 3..6 {
        assert_eq!(times[k], releases[k - 3] + 2 * latency, "message {k}");
    }
}
