//! The end of time: sums of times saturate at `SimTime::MAX`, and an event that would happen
//! there ends the run with an error naming the component, never a wrap-around or a panic.

use rstest::rstest;
use sim_core::*;

use crate::support::*;

fn aborted(r: Result<RunOutcome, SimError>) -> (String, String) {
    match r {
        Err(SimError::Aborted { instance, message, .. }) => (instance, message),
        other => panic!("expected an abort, got {other:?}"),
    }
}

/// A receiver that holds each message `u64::MAX` ps: its release timer is past the end.
#[test]
fn a_timer_past_the_end_ends_the_run_with_an_error() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, vec![send(10, 0, 1)], &log));
    let r = b.add("r", Receiver::slow(u64::MAX, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(5)).depth(1));
    let mut sim = b.build().unwrap();
    let (instance, message) = aborted(sim.run());
    assert_eq!(instance, "r");
    assert!(
        message.starts_with("a timer would fall at or past the end of simulated time") && message.contains("213 days"),
        "{message}"
    );
    // The message itself arrived; nothing ran at a wrapped-around time.
    assert_eq!(arrivals(&log), [(15, "in0 1".to_string())]);
}

/// Annotations and latencies that reach the end of time are refused the same way.
#[rstest]
#[case::annotation(u64::MAX - 5, 0)]
#[case::latency(0, u64::MAX - 5)]
#[case::both_halves(u64::MAX / 2 + 1, u64::MAX / 2 + 1)]
fn a_delivery_past_the_end_ends_the_run(#[case] delay_ps: u64, #[case] latency_ps: u64) {
    let log = log();
    let mut b = SimBuilder::new(1);
    let script = vec![Send { at_ps: 7, port: 0, msg: Msg { id: 1, bytes: 0 }, delay_ps: delay_ps.max(1) }];
    let s = b.add("s", Sender::new(1, script, &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(latency_ps)));
    let mut sim = b.build().unwrap();
    let (instance, message) = aborted(sim.run());
    assert_eq!(instance, "s");
    assert!(message.contains("out0"), "{message}");
    assert!(arrivals(&log).is_empty());
}

/// A time just before the end is still an ordinary time.
#[test]
fn the_last_picosecond_before_the_end_is_usable() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, vec![send(u64::MAX - 2, 0, 1)], &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ps(1)));
    let mut sim = b.build().unwrap();
    assert_eq!(sim.run().unwrap(), RunOutcome::Idle);
    assert_eq!(arrivals(&log), [(u64::MAX - 1, "in0 1".to_string())]);
}
