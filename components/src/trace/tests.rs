//! The player against a scripted memory: when records leave in each mode, slip under
//! backpressure, routing, and the recorded end.

use std::sync::{Arc, Mutex};

use sim_core::{ChannelSpec, Component, Context, PortId, PortSpec, RunOutcome, SimBuilder, SimDuration, StatsWriter};

use super::*;
use crate::mem::{MemReq, Phase};
use crate::Msg;

/// An arrival at a [`Memory`]: (time, address, write).
type Arrival = (u64, u64, bool);
type Log = Arc<Mutex<Vec<Arrival>>>;

/// Answers each request `service_ps` after it arrives, one at a time, holding its channel
/// slot until then (so a channel with a depth pushes back).
struct Memory {
    service_ps: u64,
    queue: std::collections::VecDeque<Box<MemReq>>,
    log: Log,
}

impl Component<Msg> for Memory {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("req", "mem").manual_release(), PortSpec::output("resp", "mem")]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemReq(r) = msg else { panic!("not a request") };
        self.log.lock().unwrap().push((ctx.now().0, r.addr, r.write));
        if self.queue.is_empty() {
            ctx.schedule(SimDuration(self.service_ps), 0);
        }
        self.queue.push_back(r);
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        let r = self.queue.pop_front().unwrap();
        ctx.release(PortId(0));
        let data = if r.write { Vec::new() } else { vec![0; r.bytes as usize] };
        ctx.send(PortId(1), Msg::MemResp(Box::new(r.respond(data)))).unwrap();
        if !self.queue.is_empty() {
            ctx.schedule(SimDuration(self.service_ps), 0);
        }
    }
    fn finish(&mut self, _: &mut StatsWriter<'_>) {}
}

fn rec(time_ps: u64, issue_ps: u64, target: u32, addr: u64, write: bool) -> TraceRecord {
    TraceRecord { time_ps, issue_ps, issuer: 0, target, addr, bytes: 64, write, cause: Cause::new(Phase::Fp, 1) }
}

fn source(records: Vec<TraceRecord>, end: Option<TraceEnd>) -> Box<dyn RecordSource> {
    let instances = ["gb", "dram0", "dram1"].map(String::from).to_vec();
    Box::new(VecSource { instances, records: records.into(), end })
}

/// Runs a player over `records` into `memories` memories (each behind a channel of 1 ns,
/// depth `depth`, answering after `service_ps`); returns each memory's arrivals and stats.
fn play(
    p: TracePlayerParams,
    records: Vec<TraceRecord>,
    end: Option<TraceEnd>,
    service_ps: u64,
    depth: u32,
) -> (Vec<Vec<Arrival>>, sim_core::Report, RunOutcome) {
    let ports = p.ports();
    let mut b = SimBuilder::<Msg>::new(1);
    let player = b.add("player", TracePlayer::new(p, source(records, end)).unwrap());
    let logs: Vec<Log> = (0..ports).map(|_| Log::default()).collect();
    for (i, log) in logs.iter().enumerate() {
        let m = b.add(format!("mem{i}"), Memory { service_ps, queue: Default::default(), log: log.clone() });
        let ns = SimDuration::ns(1);
        b.connect(player, &format!("req{i}"), m, "req", ChannelSpec::new(ns).depth(depth));
        b.connect(m, "resp", player, &format!("resp{i}"), ChannelSpec::new(ns));
    }
    let mut sim = b.build().unwrap();
    let outcome = sim.run().unwrap();
    let report = sim.finish();
    (logs.iter().map(|l| l.lock().unwrap().clone()).collect(), report, outcome)
}

fn counter(r: &sim_core::Report, name: &str) -> u64 {
    r.stats.counter(&format!("player.{name}")).unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn timing_mode_sends_each_record_at_its_issue_time() {
    let records = vec![rec(1_000, 0, 1, 0x40, false), rec(5_000, 4_000, 1, 0x80, true), rec(9_000, 8_000, 1, 0, false)];
    let end = TraceEnd { ps: 20_000, inclusive: true };
    let (logs, r, outcome) = play(TracePlayerParams::default(), records, Some(end), 100, 4);
    // One 1 ns channel, like the recorded one: each arrives at its recorded time.
    assert_eq!(logs[0], [(1_000, 0x40, false), (5_000, 0x80, true), (9_000, 0, false)]);
    assert_eq!((counter(&r, "issued"), counter(&r, "completed"), counter(&r, "late")), (3, 3, 0));
    assert_eq!((counter(&r, "reads"), counter(&r, "writes"), counter(&r, "rw_switches")), (2, 1, 2));
    // The run lasts until the recorded end, and a component (the player) ended it.
    assert_eq!((r.end.as_ps(), outcome), (20_000, RunOutcome::Stopped));
    assert_eq!(counter(&r, "cause.fp.1.requests"), 3);
}

#[test]
fn backpressure_makes_records_late_and_the_slip_is_counted() {
    // Ten records all due at time 0; the memory takes 10 ns each and its channel holds one.
    // Drain: the recorded run ended at 1 ns, long before this memory is done.
    let records = (0..10).map(|i| rec(1_000, 0, 1, i * 64, false)).collect();
    let p = TracePlayerParams { drain: true, ..Default::default() };
    let (logs, r, _) = play(p, records, None, 10_000, 1);
    assert_eq!(logs[0].len(), 10);
    assert_eq!(counter(&r, "late"), 9, "all but the first wait for the channel");
    let Some(sim_core::StatValue::Histogram(h)) = r.stats.get("player.lateness_ps") else { panic!() };
    assert_eq!(h.count, 9);
    assert!(h.max >= 80_000, "the last one slips by about nine services: {}", h.max);
    assert_eq!(counter(&r, "refused"), 9);
}

#[test]
fn afap_ignores_times_and_keeps_at_most_max_outstanding_in_flight() {
    let records = (0..8).map(|i| rec(1_000_000 * i, 1_000_000 * i, 1, i * 64, false)).collect();
    let p = TracePlayerParams { mode: PlayMode::Afap, max_outstanding: Some(2), ..Default::default() };
    let (logs, r, outcome) = play(p, records, None, 1_000, 16);
    let times: Vec<u64> = logs[0].iter().map(|l| l.0).collect();
    // Two go at once; the memory serves them one after the other, and each response (1 ns
    // back) lets one more go.
    assert_eq!(times[..4], [1_000, 1_000, 4_000, 5_000]);
    assert!(r.end.as_ps() < 20_000, "no waiting for recorded times");
    assert_eq!(outcome, RunOutcome::Idle);
    let Some(sim_core::StatValue::TimeAverage { max, .. }) = r.stats.get("player.outstanding") else { panic!() };
    assert_eq!(*max, 2.0);
}

#[test]
fn records_route_by_target_name_or_by_address_range() {
    let records = vec![rec(1_000, 0, 2, 0x100, false), rec(2_000, 1_000, 1, 0x200, false)];
    let p = TracePlayerParams { targets: vec!["dram0".into(), "dram1".into()], ..Default::default() };
    let (logs, ..) = play(p, records.clone(), None, 100, 4);
    assert_eq!((logs[0].clone(), logs[1].clone()), (vec![(2_000, 0x200, false)], vec![(1_000, 0x100, false)]));

    let ranges =
        vec![AddressRange { base_addr: 0, size_bytes: 0x180 }, AddressRange { base_addr: 0x180, size_bytes: 0x200 }];
    let p = TracePlayerParams { route: Route::Address, ranges, ..Default::default() };
    let (logs, ..) = play(p, records, None, 100, 4);
    assert_eq!(logs[0], [(1_000, 0x100, false)]);
    assert_eq!(logs[1], [(2_000, 0x80, false)], "rebased to the range");
}

#[test]
fn records_for_other_targets_can_be_skipped() {
    let records = vec![rec(1_000, 0, 0, 0x100, false), rec(2_000, 1_000, 1, 0x200, false)];
    let p = TracePlayerParams { targets: vec!["dram0".into()], skip_other_targets: true, ..Default::default() };
    let (logs, r, _) = play(p, records, None, 100, 4);
    assert_eq!(logs[0], [(2_000, 0x200, false)]);
    assert_eq!((counter(&r, "records"), counter(&r, "skipped"), counter(&r, "issued")), (2, 1, 1));
}

#[test]
fn a_record_no_port_serves_stops_the_replay_with_its_name() {
    let p = TracePlayerParams { targets: vec!["dram0".into()], ..Default::default() };
    let mut b = SimBuilder::<Msg>::new(1);
    let player = b.add("player", TracePlayer::new(p, source(vec![rec(0, 0, 2, 0, false)], None)).unwrap());
    let log = Log::default();
    let m = b.add("mem", Memory { service_ps: 1, queue: Default::default(), log });
    b.connect(player, "req0", m, "req", ChannelSpec::new(SimDuration::ns(1)));
    b.connect(m, "resp", player, "resp0", ChannelSpec::new(SimDuration::ns(1)));
    let err = b.build().unwrap().run().unwrap_err().to_string();
    assert!(err.contains("`dram1`, which is not in `targets` (dram0)"), "{err}");
}

#[test]
fn an_exclusive_end_keeps_the_run_alive_without_stopping_it() {
    let end = TraceEnd { ps: 50_000, inclusive: false };
    let (_, r, outcome) = play(TracePlayerParams::default(), vec![rec(1_000, 0, 1, 0, false)], Some(end), 100, 4);
    // The edge cuts such a run at the end itself; the player only holds it open.
    assert_eq!((r.end.as_ps(), outcome), (50_000, RunOutcome::Idle));
}

#[test]
fn without_drain_the_replay_ends_at_the_recorded_end_and_says_what_was_left() {
    let records = (0..10).map(|i| rec(1_000, 0, 1, i * 64, false)).collect();
    let end = TraceEnd { ps: 1_000, inclusive: true };
    let (logs, r, _) = play(TracePlayerParams::default(), records, Some(end), 10_000, 1);
    assert_eq!(r.end.as_ps(), 1_000);
    assert_eq!(logs[0].len(), 1);
    // The channel holds one request and the memory holds it for 10 ns: one went.
    assert_eq!((counter(&r, "records"), counter(&r, "issued"), counter(&r, "not_issued")), (10, 1, 9));
    assert_eq!(counter(&r, "unanswered"), 1);
}

#[test]
fn bad_parameters_name_the_parameter() {
    let bad = |p: TracePlayerParams| p.validate().unwrap_err().param;
    assert_eq!(bad(TracePlayerParams { route: Route::Address, ..Default::default() }), "ranges");
    let r = vec![AddressRange { base_addr: 1, size_bytes: 0 }];
    assert_eq!(bad(TracePlayerParams { route: Route::Address, ranges: r, ..Default::default() }), "ranges[0]");
}
