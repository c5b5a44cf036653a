//! Same-time FIFO order and order across channels of different latencies.

use sim_core::*;

use crate::support::*;

/// Timers set for one instant fire in the order they were set.
struct Timers {
    log: Log,
}
impl Component<Msg> for Timers {
    fn ports(&self) -> Vec<PortSpec> {
        vec![]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for tag in [3, 1, 4, 0, 2] {
            ctx.schedule(SimDuration::ns(5), tag);
        }
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        self.log.lock().unwrap().push((ctx.now().0, format!("timer {tag}")));
    }
}

#[test]
fn same_time_fifo_order() {
    let log = log();
    let mut b = SimBuilder::new(1);
    b.add("timers", Timers { log: log.clone() });
    // Three messages sent at one instant on one zero-latency channel.
    let s = b.add("s", Sender::new(1, vec![send(10, 0, 1), send(10, 0, 2), send(10, 0, 3)], &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ZERO));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let got = entries(&log);
    let timers: Vec<_> = got.iter().filter(|(_, e)| e.starts_with("timer")).map(|(_, e)| e.as_str()).collect();
    assert_eq!(timers, ["timer 3", "timer 1", "timer 4", "timer 0", "timer 2"]);
    assert_eq!(arrivals(&log), [(10, "in0 1".into()), (10, "in0 2".into()), (10, "in0 3".into())]);
}

#[test]
fn same_time_arrivals_are_ordered_by_send_time_then_sender_rank() {
    let log = log();
    let mut b = SimBuilder::new(1);
    // `late` is added first (lower rank) but sends later; `early` sends first.
    let late = b.add("late", Sender::new(1, vec![send(60, 0, 2)], &log));
    let early = b.add("early", Sender::new(1, vec![send(20, 0, 1)], &log));
    let tie_a = b.add("tie_a", Sender::new(1, vec![send(30, 0, 3)], &log));
    let tie_b = b.add("tie_b", Sender::new(1, vec![send(30, 0, 4)], &log));
    let r = b.add("r", Receiver::new(4, &log));
    // All four arrive at 100 ps.
    b.connect(late, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(40)));
    b.connect(early, "out0", r, "in1", ChannelSpec::new(SimDuration::ps(80)));
    b.connect(tie_b, "out0", r, "in3", ChannelSpec::new(SimDuration::ps(70)));
    b.connect(tie_a, "out0", r, "in2", ChannelSpec::new(SimDuration::ps(70)));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let order = arrivals(&log);
    assert_eq!(
        order,
        [(100, "in1 1".into()), (100, "in2 3".into()), (100, "in3 4".into()), (100, "in0 2".into())],
        "sent at 20 first; the two sent at 30 in rank order; the one sent at 60 last"
    );
}

#[test]
fn ordering_across_channels_with_different_latencies() {
    let log = log();
    let mut b = SimBuilder::new(1);
    // m1 at 0 on the slow channel, m2 at 0 on the fast one, m3 at 5 ns on the fast one.
    let s = b.add("s", Sender::new(2, vec![send(0, 0, 1), send(0, 1, 2), send(5_000, 1, 3)], &log));
    let r = b.add("r", Receiver::new(2, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ns(10)));
    b.connect(s, "out1", r, "in1", ChannelSpec::new(SimDuration::ns(3)));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    assert_eq!(arrivals(&log), [(3_000, "in1 2".into()), (8_000, "in1 3".into()), (10_000, "in0 1".into())]);
}

#[test]
fn timing_annotation_delays_entry_without_a_timer() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let script = vec![Send { at_ps: 1_000, port: 0, msg: Msg { id: 7, bytes: 0 }, delay_ps: 2_500 }];
    let s = b.add("s", Sender::new(1, script, &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(500)));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    assert_eq!(arrivals(&log), [(4_000, "in0 7".into())]);
    // One timer (the script's) and one delivery: the annotation cost no event.
    assert_eq!(sim.events(), 2);
}

#[test]
fn run_until_is_exclusive_and_resumable() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, vec![send(0, 0, 1), send(10, 0, 2)], &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(90)));
    let mut sim = b.build().unwrap();
    assert_eq!(sim.run_until(SimTime(90)).unwrap(), RunOutcome::ReachedEnd);
    assert!(arrivals(&log).is_empty(), "the event at 90 ps stays pending");
    assert_eq!(sim.now(), SimTime(90));
    assert_eq!(sim.run_until(SimTime(100)).unwrap(), RunOutcome::ReachedEnd);
    assert_eq!(arrivals(&log), [(90, "in0 1".into())]);
    assert_eq!(sim.run().unwrap(), RunOutcome::Idle);
    assert_eq!(arrivals(&log).len(), 2);
}
