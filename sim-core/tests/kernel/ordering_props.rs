//! Property: for any set of senders, send times, annotations and latencies, a receiver sees
//! every message exactly once, at its channel's FIFO entry time + latency, and messages
//! arriving at the same instant in the documented order: (send time, sender rank, sender
//! sequence).

use proptest::prelude::*;
use sim_core::*;

use crate::support::*;

/// One sender's script: (send time, annotation) per message, and its channel latency.
type Script = (Vec<(u64, u64)>, u64);

fn script() -> impl Strategy<Value = Script> {
    // Small ranges, so that equal arrival times (the interesting case) are common.
    (proptest::collection::vec((0u64..20, prop_oneof![Just(0u64), 0u64..10]), 0..12), 0u64..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arrivals_follow_the_documented_order(scripts in proptest::collection::vec(script(), 1..5)) {
        let log = log();
        let mut b = SimBuilder::new(1);
        let r = b.add("r", Receiver::new(scripts.len(), &log));
        let mut expected = Vec::new();
        for (rank, (msgs, latency)) in scripts.iter().enumerate() {
            let sends: Vec<Send> = msgs
                .iter()
                .enumerate()
                .map(|(k, &(at, delay))| {
                    let id = (rank * 1000 + k) as u64;
                    Send { at_ps: at, port: 0, msg: Msg { id, bytes: 0 }, delay_ps: delay }
                })
                .collect();
            // The channel is FIFO: in send order ((time, script index)), each message enters
            // at max(send time + annotation, when the previous one entered).
            let mut order: Vec<usize> = (0..msgs.len()).collect();
            order.sort_by_key(|&k| (msgs[k].0, k));
            let mut busy = 0;
            for k in order {
                let (at, delay) = msgs[k];
                busy = (at + delay).max(busy);
                expected.push((busy + latency, at, rank, k, (rank * 1000 + k) as u64));
            }
            let s = b.add(format!("s{rank}"), Sender::new(1, sends, &log));
            b.connect(s, "out0", r, &format!("in{rank}"), ChannelSpec::new(SimDuration::ps(*latency)));
        }
        let mut sim = b.build().unwrap();
        sim.run().unwrap();
        // A sender's sends happen in (time, script index) order, so its sequence numbers
        // follow that order: the documented key is (arrival, send time, rank, index).
        expected.sort_by_key(|&(arrival, at, rank, k, _)| (arrival, at, rank, k));
        let want: Vec<(u64, String)> = expected
            .iter()
            .map(|&(arrival, _, rank, _, id)| (arrival, format!("in{rank} {id}")))
            .collect();
        prop_assert_eq!(arrivals(&log), want);
    }
}
