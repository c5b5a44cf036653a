//! Partitioned runs are bit-identical to the sequential run: statistics, event counts and the
//! order of messages at every component, including stop and abort.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rstest::rstest;
use sim_core::*;

use crate::support::Msg;

/// Random traffic: on each message or timer, either forwards to a random neighbour channel
/// (depth-limited, so credits cross partitions), sends over the fabric to a random
/// endpoint, or sets a timer. Refused messages wait and go on `on_ready`.
pub(crate) struct Gossip {
    neighbours: usize,
    backlog: Vec<(u16, Msg)>,
    seen: u64,
    checksum: u64,
    pub(crate) stop_after: Option<u64>,
    pub(crate) abort_at_seen: Option<u64>,
}

impl Gossip {
    fn new(neighbours: usize) -> Self {
        Gossip { neighbours, backlog: Vec::new(), seen: 0, checksum: 0, stop_after: None, abort_at_seen: None }
    }

    fn act(&mut self, ctx: &mut Context<'_, Msg>, id: u64) {
        let choice = ctx.rng().below(10);
        let msg = Msg { id: id.wrapping_mul(31).wrapping_add(ctx.id().0 as u64), bytes: 1 + ctx.rng().below(64) };
        if choice < 4 {
            let port = ctx.rng().below(self.neighbours as u64) as u16;
            self.backlog.push((port, msg));
            self.flush(ctx);
        } else if choice < 8 {
            let fabric = PortId(2 * self.neighbours as u16);
            let endpoints = ctx.fabric_endpoints(fabric) as u64;
            let dest = ctx.rng().below(endpoints) as usize;
            let delay = SimDuration(ctx.rng().below(3_000));
            ctx.send_to_delayed(fabric, dest, msg, delay);
        } else {
            let delay = SimDuration(ctx.rng().below(5_000));
            ctx.schedule(delay, msg.id);
        }
    }

    fn flush(&mut self, ctx: &mut Context<'_, Msg>) {
        let mut keep = Vec::new();
        for (port, msg) in std::mem::take(&mut self.backlog) {
            if let Err(Refused(m)) = ctx.send(PortId(port), msg) {
                keep.push((port, m));
            }
        }
        self.backlog = keep;
    }
}

impl Component<Msg> for Gossip {
    fn ports(&self) -> Vec<PortSpec> {
        let mut p: Vec<PortSpec> = (0..self.neighbours).map(|i| PortSpec::output(format!("out{i}"), "g")).collect();
        p.extend((0..self.neighbours).map(|i| PortSpec::input(format!("in{i}"), "g")));
        p.push(PortSpec::output("fab_out", "g"));
        p.push(PortSpec::input("fab_in", "g"));
        p
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for k in 0..3 {
            self.act(ctx, k);
        }
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _port: PortId, msg: Msg) {
        self.seen += 1;
        self.checksum = self.checksum.rotate_left(7) ^ msg.id ^ ctx.now().0;
        if self.stop_after == Some(self.seen) {
            ctx.stop();
        }
        if self.abort_at_seen == Some(self.seen) {
            ctx.abort(format!("saw {} messages", self.seen));
        }
        self.act(ctx, msg.id);
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        self.act(ctx, tag);
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _port: PortId) {
        self.flush(ctx);
    }
    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("seen", self.seen);
        stats.counter("checksum", self.checksum);
        stats.counter("backlog", self.backlog.len() as u64);
    }
}

/// Delivery order per receiving component, as each thread's observer saw it.
pub(crate) type Orders = Arc<Mutex<BTreeMap<u32, Vec<EventKey>>>>;

struct OrderObserver {
    orders: Orders,
    local: BTreeMap<u32, Vec<EventKey>>,
}

impl Observer<Msg> for OrderObserver {
    fn on_deliver(&mut self, rec: &DeliverRecord, _msg: &Msg) {
        self.local.entry(rec.to.0).or_default().push(rec.key);
    }
    fn on_finish(&mut self, _end: SimTime) {
        let mut all = self.orders.lock().unwrap();
        for (comp, keys) in std::mem::take(&mut self.local) {
            assert!(all.insert(comp, keys).is_none(), "a component lives on one thread");
        }
    }
}

pub(crate) const PARTITIONS: u32 = 4;
const PER_PARTITION: u32 = 6;

/// Four partitions of six components in a ring of depth-2 channels (one per neighbour, long
/// links between partitions), plus one fabric over everything.
pub(crate) fn build(
    threads: usize,
    policy: ThreadPolicy,
    tweak: impl Fn(u32, &mut Gossip),
) -> (Simulation<Msg>, Orders) {
    let mut b = SimBuilder::new(77);
    b.threads(threads).thread_policy(policy);
    let orders: Orders = Arc::default();
    let o = orders.clone();
    b.observe(move |_| Box::new(OrderObserver { orders: o.clone(), local: BTreeMap::new() }));
    let n = PARTITIONS * PER_PARTITION;
    let ids: Vec<CompId> = (0..n)
        .map(|i| {
            let mut g = Gossip::new(2);
            tweak(i, &mut g);
            b.add_in(format!("p{}.g{}", i / PER_PARTITION, i % PER_PARTITION), i / PER_PARTITION, g)
        })
        .collect();
    for i in 0..n {
        for (k, j) in [(0, (i + 1) % n), (1, (i + n - 1) % n)] {
            let cross = i / PER_PARTITION != j / PER_PARTITION;
            let latency = if cross { SimDuration::ns(2) } else { SimDuration::ps(300) };
            let spec = ChannelSpec::new(latency).depth(2).bandwidth(Bandwidth::BytesPerSecond(4_000_000_000));
            // out0 goes clockwise into the neighbour's in1, out1 anticlockwise into its in0.
            b.connect(ids[i as usize], &format!("out{k}"), ids[j as usize], &format!("in{}", 1 - k), spec);
        }
    }
    let fab = b.fabric("net", SimDuration::ns(3));
    for id in &ids {
        b.attach(fab, *id, Some("fab_out"), Some("fab_in"));
    }
    (b.build().unwrap(), orders)
}

type Outcome = (Result<RunOutcome, SimError>, Report, BTreeMap<u32, Vec<EventKey>>);

fn outcome(threads: usize, tweak: impl Fn(u32, &mut Gossip)) -> Outcome {
    outcome_with(threads, ThreadPolicy::Fixed, tweak)
}

fn outcome_with(threads: usize, policy: ThreadPolicy, tweak: impl Fn(u32, &mut Gossip)) -> Outcome {
    let (mut sim, orders) = build(threads, policy, tweak);
    assert_eq!(sim.threads(), threads.min(PARTITIONS as usize));
    let r = sim.run_until(SimTime::from_ns(20_000));
    let report = sim.finish();
    let orders = orders.lock().unwrap().clone();
    (r, report, orders)
}

#[rstest]
#[case::two_threads(2)]
#[case::three_threads(3)]
#[case::four_threads(4)]
fn partitioned_run_is_bit_identical_to_sequential(#[case] threads: usize) {
    let (r1, seq, orders1) = outcome(1, |_, _| {});
    let (rn, par, ordersn) = outcome(threads, |_, _| {});
    assert_eq!(r1, Ok(RunOutcome::ReachedEnd));
    assert_eq!(rn, r1);
    assert!(seq.events > 10_000, "a busy model: {} events", seq.events);
    assert_eq!(par.events, seq.events);
    assert_eq!(par.stats, seq.stats);
    assert_eq!(ordersn, orders1, "message order at every component");
    // Backpressure did happen, across partitions too.
    let refused: u64 =
        seq.stats.iter().filter(|(k, _)| k.ends_with(".refused")).map(|(k, _)| seq.stats.counter(k).unwrap()).sum();
    assert!(refused > 0);
}

#[rstest]
#[case(2)]
#[case(4)]
fn stop_ends_at_the_same_event_on_any_thread_count(#[case] threads: usize) {
    let tweak = |i: u32, g: &mut Gossip| {
        if i == 9 {
            g.stop_after = Some(40);
        }
    };
    let (r1, seq, o1) = outcome(1, tweak);
    let (rn, par, on) = outcome(threads, tweak);
    assert_eq!(r1, Ok(RunOutcome::Stopped));
    assert_eq!(rn, r1);
    assert_eq!(par.events, seq.events);
    assert_eq!(par.end, seq.end);
    assert_eq!(par.stats, seq.stats);
    assert_eq!(on, o1);
}

#[rstest]
#[case(2)]
#[case(4)]
fn abort_reports_the_same_error_on_any_thread_count(#[case] threads: usize) {
    let tweak = |i: u32, g: &mut Gossip| {
        if i == 3 || i == 20 {
            g.abort_at_seen = Some(30);
        }
    };
    let (r1, _, _) = outcome(1, tweak);
    let (rn, _, _) = outcome(threads, tweak);
    let Err(SimError::Aborted { instance, message, .. }) = &r1 else { panic!("expected an abort, got {r1:?}") };
    assert!(instance == "p0.g3" || instance == "p3.g2", "{instance}");
    assert_eq!(message, "saw 30 messages");
    assert_eq!(rn, r1);
}

/// Switching between all threads and one at arbitrary windows changes nothing: every
/// schedule of safe windows processes the same events in the same order.
#[rstest]
#[case::every_window(2, 1)]
#[case::every_seven(2, 7)]
#[case::four_threads_every_three(4, 3)]
fn switching_thread_counts_mid_run_changes_nothing(#[case] threads: usize, #[case] windows: u64) {
    let (_, seq, orders1) = outcome(1, |_, _| {});
    let (rn, par, ordersn) = outcome_with(threads, ThreadPolicy::Alternate { windows }, |_, _| {});
    assert_eq!(rn, Ok(RunOutcome::ReachedEnd));
    assert_eq!(par.stats, seq.stats);
    assert_eq!(ordersn, orders1);
    // Both thread counts really ran, each for about half of the windows.
    assert!(par.sync.events_parallel > 0 && par.sync.events_single > 0, "{:?}", par.sync);
    assert!(par.sync.synchronisations * 3 > par.sync.windows, "{:?}", par.sync);
    assert!(par.sync.synchronisations < par.sync.windows, "{:?}", par.sync);
    // The stop rule holds across switches too.
    let tweak = |i: u32, g: &mut Gossip| {
        if i == 9 {
            g.stop_after = Some(40);
        }
    };
    let (_, seq, o1) = outcome(1, tweak);
    let (rn, par, on) = outcome_with(threads, ThreadPolicy::Alternate { windows }, tweak);
    assert_eq!(rn, Ok(RunOutcome::Stopped));
    assert_eq!((par.end, &par.stats), (seq.end, &seq.stats));
    assert_eq!(on, o1);
}

/// The adaptive policy (the default) gives the sequential results whatever it chooses, and
/// reports the windows and synchronisations it used.
#[test]
fn adaptive_threads_give_the_sequential_results() {
    let (_, seq, orders1) = outcome(1, |_, _| {});
    let (_, par, ordersn) = outcome_with(2, ThreadPolicy::Adaptive, |_, _| {});
    assert_eq!(par.stats, seq.stats);
    assert_eq!(ordersn, orders1);
    assert_eq!(seq.sync.windows, 0, "one engine runs without windows");
    assert_eq!(par.sync.engines, 2);
    assert!(par.sync.windows > 100, "{:?}", par.sync);
    assert_eq!(par.sync.events_parallel + par.sync.events_single, par.events);
}
