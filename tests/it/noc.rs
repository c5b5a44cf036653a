//! The `noc` component: exact unloaded latencies on a mesh and a crossbar, contention on a
//! shared link, backpressure from a slow target, DVFS changing serialisation, parameter
//! errors, run-time errors and determinism. Requesters and the target are the registered
//! `mem_requester` and `mem_target`, which check every byte that comes back.

use components::energy::PowerDomain;
use components::mem_traffic::{MemRequester, MemRequesterParams, MemTarget, MemTargetParams};
use components::noc::{Noc, NocParams};
use components::Msg;
use rstest::rstest;
use sim_core::{
    ChannelSpec, ClockId, Component, Context, HistogramSummary, PortId, PortSpec, RunOutcome, SimBuilder, SimDuration,
    SimError, SimTime, StatValue, StatsSnapshot,
};
use tasim::elaborate::{elaborate, Options};
use tasim::topology;

use crate::support::*;

/// Runs `tests/data/noc/<fixture>` with overrides until no event is left.
fn run(fixture: &str, set: &[&str]) -> StatsSnapshot {
    match try_run(fixture, set) {
        Ok(stats) => stats,
        Err(e) => panic!("{fixture}: {e}"),
    }
}

fn try_run(fixture: &str, set: &[&str]) -> Result<StatsSnapshot, SimError> {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let topo = topology::load(&data(&format!("noc/{fixture}")), &set).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = elaborate(&topo, Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.run()?, RunOutcome::Idle);
    Ok(sim.finish().stats)
}

fn counter(s: &StatsSnapshot, name: &str) -> u64 {
    s.counter(name).unwrap_or_else(|| panic!("no counter `{name}`"))
}

fn value(s: &StatsSnapshot, name: &str) -> f64 {
    s.value(name).unwrap_or_else(|| panic!("no statistic `{name}`"))
}

fn hist(s: &StatsSnapshot, name: &str) -> HistogramSummary {
    match s.get(name) {
        Some(StatValue::Histogram(h)) => h.clone(),
        other => panic!("`{name}` is not a histogram: {other:?}"),
    }
}

/// Time of the last response of any of `requesters`.
fn finish_ps(s: &StatsSnapshot, requesters: &[&str]) -> u64 {
    requesters.iter().map(|r| counter(s, &format!("{r}.last_response_ps"))).max().unwrap()
}

/// Every response came back to its requester, with the right data, in order.
fn all_answered(s: &StatsSnapshot, requester: &str, requests: u64) {
    assert_eq!(counter(s, &format!("{requester}.responses")), requests, "{requester}");
    for bad in ["unexpected", "bad_data", "out_of_order"] {
        assert_eq!(counter(s, &format!("{requester}.{bad}")), 0, "{requester}.{bad}");
    }
}

// ---- 0. The checks the tests rely on can fail -----------------------------------------------

/// What a [`Faulty`] link does to the second response.
#[derive(Clone, Copy)]
enum Fault {
    None,
    FlipDataBit,
    /// Another requester's response: same id, another address.
    OtherAddress,
    /// Held back and delivered after the third.
    Overtaken,
}

/// Passes responses from `in` to `out`, with a fault on the second: a broken interconnect,
/// to show that the requester notices.
struct Faulty {
    fault: Fault,
    seen: u64,
    held: Option<Msg>,
}

impl Component<Msg> for Faulty {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("in", "mem"), PortSpec::output("out", "mem")]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemResp(mut r) = msg else { panic!("responses only") };
        self.seen += 1;
        if self.seen == 2 {
            match self.fault {
                Fault::None => {}
                Fault::FlipDataBit => r.data[7] ^= 1,
                Fault::OtherAddress => r.addr += 4096,
                Fault::Overtaken => {
                    self.held = Some(Msg::MemResp(r));
                    return;
                }
            }
        }
        ctx.send(PortId(1), Msg::MemResp(r)).expect("unbounded");
        if let Some(m) = self.held.take() {
            ctx.send(PortId(1), m).expect("unbounded");
        }
    }
}

/// A requester reading 4 times from a target straight through a [`Faulty`] link.
fn requester_stats(fault: Fault) -> StatsSnapshot {
    let p: MemRequesterParams = serde_yaml::from_str("{requests: 4, outstanding: 4}").unwrap();
    let mut b = SimBuilder::<Msg>::new(1);
    let pc = b.add("pc", MemRequester::new(p));
    let gb = b.add("gb", MemTarget::new(MemTargetParams { service_ps: 1_000 }));
    let link = b.add("link", Faulty { fault, seen: 0, held: None });
    let ns = ChannelSpec::new(SimDuration::ns(1));
    b.connect(pc, "out", gb, "in", ns);
    b.connect(gb, "out", link, "in", ns);
    b.connect(link, "out", pc, "in", ns);
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    sim.finish().stats
}

#[test]
fn the_requester_notices_wrong_data_misrouting_and_reordering() {
    all_answered(&requester_stats(Fault::None), "pc", 4);
    let bad = |fault, stat| counter(&requester_stats(fault), &format!("pc.{stat}"));
    assert_eq!(bad(Fault::FlipDataBit, "bad_data"), 1);
    assert_eq!(bad(Fault::OtherAddress, "unexpected"), 1);
    assert_eq!(bad(Fault::Overtaken, "out_of_order"), 1);
}

// ---- 1. One packet, no contention: the latency formula, exactly -------------------------

/// Unloaded time through the NoCs of the fixtures (1 ns cycles, 16 bytes per cycle, 2-cycle
/// routers) for a packet of `bytes` crossing `hops` routers: `hops + 1` links.
fn unloaded_ps(hops: u64, bytes: u64) -> u64 {
    let ser = bytes.div_ceil(16);
    (hops * (2 + ser) + ser) * 1_000
}

/// A read request is its 8-byte header; the response carries 64 bytes more.
const READ_REQ: u64 = 8;
const READ_RESP: u64 = 72;
/// The channels out of the NoC take one cycle each way.
const CHANNELS: u64 = 2 * 1_000;

#[test]
fn one_read_takes_the_unloaded_latency_on_a_mesh() {
    let s = run("one_read.yaml", &[]);
    // pc0 -> gb crosses r0 r1 r2 r5 (XY); pc1 -> gb crosses r3 r4 r5; responses the reverse.
    let pc0 = unloaded_ps(4, READ_REQ) + unloaded_ps(4, READ_RESP) + CHANNELS;
    let pc1 = unloaded_ps(3, READ_REQ) + unloaded_ps(3, READ_RESP) + CHANNELS;
    assert_eq!((pc0, pc1), (48_000, 38_000), "the formula, by hand: 13 + 33 + 2 and 10 + 26 + 2 ns");
    for (name, expected) in [("pc0", pc0), ("pc1", pc1)] {
        let h = hist(&s, &format!("{name}.latency_ps"));
        assert_eq!((h.count, h.min, h.max), (1, expected, expected), "{name}");
        all_answered(&s, name, 1);
        assert_eq!(counter(&s, &format!("{name}.bytes_read")), 64);
        assert_eq!(counter(&s, &format!("noc.endpoint.{name}.packets_out")), 1);
        assert_eq!(counter(&s, &format!("noc.endpoint.{name}.bytes_out")), READ_RESP);
    }
    let noc = hist(&s, "noc.latency_ps");
    assert_eq!((noc.count, noc.min, noc.max), (4, unloaded_ps(3, READ_REQ), unloaded_ps(4, READ_RESP)));
    let hops = hist(&s, "noc.hops");
    assert_eq!((hops.min, hops.max), (3, 4));
    // gb's response to pc0 goes XY too: along row 1 (r5 r4 r3), then up to r0.
    assert_eq!(counter(&s, "noc.link.r3->r0.packets"), 1);
    assert_eq!(counter(&s, "noc.link.r5->r2.packets"), 0);
    assert_eq!(counter(&s, "noc.link.r5->r4.bytes"), 2 * READ_RESP);
    assert_eq!(counter(&s, "noc.link.r5->r4.busy_ps"), 2 * 5_000);
    assert_eq!(counter(&s, "noc.in_flight_at_end"), 0);
}

#[test]
fn one_read_takes_the_unloaded_latency_on_a_crossbar() {
    let s = run("one_read_crossbar.yaml", &[]);
    let expected = unloaded_ps(1, READ_REQ) + unloaded_ps(1, READ_RESP) + CHANNELS;
    assert_eq!(expected, 18_000, "4 + 12 + 2 ns");
    for name in ["pc0", "pc1"] {
        let h = hist(&s, &format!("{name}.latency_ps"));
        assert_eq!((h.count, h.min, h.max), (1, expected, expected), "{name}");
        all_answered(&s, name, 1);
    }
    let hops = hist(&s, "noc.hops");
    assert_eq!((hops.count, hops.min, hops.max), (4, 1, 1));
    assert_eq!(counter(&s, "noc.router.r0.packets"), 4);
}

// ---- 2. Arbitration and contention on a shared link --------------------------------------

/// Round trip of a 64-byte write whose request leaves the NoC `ejected_ns` after it was sent
/// at `sent_ns`: 1 ns to gb, then the 8-byte acknowledgement's one hop (4 ns) and 1 ns back.
fn write_round_trip_ps(sent_ns: u64, ejected_ns: u64) -> u64 {
    (ejected_ns + 1 + unloaded_ps(1, 8) / 1_000 + 1 - sent_ns) * 1_000
}

#[test]
fn a_link_goes_to_the_packet_that_arrived_first() {
    let s = run("arbitration.yaml", &[]);
    // r0->gb is free again at 36 ns; p2 (in r0 since 19 ns) goes before p1 (in r0 since
    // 21 ns), each for 5 cycles.
    let latency = |pc: &str| hist(&s, &format!("{pc}.latency_ps")).max;
    assert_eq!(latency("p0"), 42_000, "17 + 2 + 17 ns to gb, 1 + 4 + 1 ns back");
    assert_eq!(latency("p2"), write_round_trip_ps(14, 41));
    assert_eq!(latency("p1"), write_round_trip_ps(16, 46));
    let q = hist(&s, "noc.router.r0.queueing_ps");
    assert_eq!(q.max, 41_000 - 23_000, "p1 eligible at 23 ns, on the link at 41 ns");
}

#[test]
fn a_tie_goes_to_the_lower_input_port() {
    let s = run("arbitration.yaml", &["p1.start_ps=14000"]);
    let latency = |pc: &str| hist(&s, &format!("{pc}.latency_ps")).max;
    assert_eq!(latency("p1"), write_round_trip_ps(14, 41));
    assert_eq!(latency("p2"), write_round_trip_ps(14, 46));
}

// ---- Contention on a shared link -------------------------------------------------------

/// A 64-byte write is 72 bytes on the wire: 5 cycles per link at 16 bytes per cycle.
const WRITE_CYCLES: u64 = 5;
const STREAM: u64 = 100;

#[test]
fn two_streams_through_a_shared_link_take_twice_as_long() {
    let both = run("contention.yaml", &[]);
    let alone = run("contention.yaml", &["pc1.requests=0"]);
    all_answered(&both, "pc0", STREAM);
    all_answered(&both, "pc1", STREAM);
    all_answered(&alone, "pc0", STREAM);
    let (t_both, t_alone) = (finish_ps(&both, &["pc0", "pc1"]), finish_ps(&alone, &["pc0"]));
    let ratio = t_both as f64 / t_alone as f64;
    assert!((1.85..2.05).contains(&ratio), "{t_both} ps vs {t_alone} ps: ratio {ratio}");
    // r1->r2 carried every write of both streams back to back, busy nearly all the run.
    assert_eq!(counter(&both, "noc.link.r1->r2.busy_ps"), 2 * STREAM * WRITE_CYCLES * 1_000);
    let u = value(&both, "noc.link.r1->r2.utilisation");
    assert!(u > 0.95, "shared link utilisation {u}");
    assert_eq!(value(&both, "noc.link_utilisation_max"), u.max(value(&both, "noc.link.r2->gb.utilisation")));
    // At r1 the two streams meet: packets waited for the link there, which they never do alone.
    let q_alone = hist(&alone, "noc.router.r1.queueing_ps");
    let q_both = hist(&both, "noc.router.r1.queueing_ps");
    assert_eq!(q_alone.max, 0, "{q_alone:?}");
    assert!(q_both.max >= WRITE_CYCLES * 1_000 && q_both.mean > 1_000.0, "{q_both:?}");
    assert_eq!(q_both.count, counter(&both, "noc.router.r1.packets"));
    // The contention filled r1's buffers, and pushed back on the requesters.
    assert!(counter(&both, "noc.router.r1.max_buffer_bytes") > counter(&alone, "noc.router.r1.max_buffer_bytes"));
    assert!(counter(&both, "noc.router.r1.max_buffer_bytes") <= 512);
}

#[test]
fn halving_link_bandwidth_lengthens_the_transfer() {
    let full = run("contention.yaml", &[]);
    let half = run("contention.yaml", &["noc.link_bytes_per_cycle=8"]);
    all_answered(&half, "pc0", STREAM);
    all_answered(&half, "pc1", STREAM);
    // 72 bytes at 8 bytes per cycle: 9 cycles per link instead of 5.
    assert_eq!(counter(&half, "noc.link.r1->r2.busy_ps"), 2 * STREAM * 9 * 1_000);
    let (t_full, t_half) = (finish_ps(&full, &["pc0", "pc1"]), finish_ps(&half, &["pc0", "pc1"]));
    let ratio = t_half as f64 / t_full as f64;
    assert!((1.7..1.85).contains(&ratio), "{t_half} ps vs {t_full} ps: ratio {ratio}, expected about 9/5");
    // Energy per byte-hop does not depend on the link width: the same bytes cost the same.
    let link_pj = |s: &StatsSnapshot| value(s, "noc.energy.kind.noc_link_pj");
    let byte_hops: u64 = full
        .iter()
        .filter(|(k, _)| k.starts_with("noc.link.") && k.ends_with(".bytes"))
        .map(|(k, _)| counter(&full, k))
        .sum();
    // 1.6 pJ per byte per link at the clock's 1.0 V (the nominal voltage).
    assert!((link_pj(&full) - 1.6 * byte_hops as f64).abs() < 1e-6 * link_pj(&full), "{}", link_pj(&full));
    assert!((link_pj(&half) - link_pj(&full)).abs() < 1e-9 * link_pj(&full));
    // Leakage is paid for longer.
    assert!(value(&half, "noc.energy.leakage_pj") > value(&full, "noc.energy.leakage_pj"));
}

// ---- 3. Backpressure ---------------------------------------------------------------------------

#[test]
fn a_slow_target_stalls_the_noc_without_loss_or_reordering() {
    let s = run("backpressure.yaml", &[]);
    // The pushback reached every edge: gb refused the NoC, the NoC refused the requesters.
    assert!(counter(&s, "noc.endpoint.gb.refused") > 0);
    assert_eq!(counter(&s, "noc.endpoint.gb.refused"), counter(&s, "noc.out2.refused"));
    for pc in ["pc0", "pc1"] {
        assert!(counter(&s, &format!("{pc}.refused")) > 0, "{pc} was never refused");
        // Nothing lost, corrupted, misrouted or reordered between pc and gb, either way.
        all_answered(&s, pc, 12);
    }
    assert_eq!(counter(&s, "gb.requests"), 24);
    assert_eq!(counter(&s, "gb.reordered"), 0);
    assert_eq!(counter(&s, "gb.bad_write_data"), 0);
    assert_eq!(counter(&s, "noc.packets"), 48);
    assert_eq!(counter(&s, "noc.in_flight_at_end"), 0);
    // Buffers filled up to their 160 bytes (two writes and more) but never past them.
    for r in 0..6 {
        let max = counter(&s, &format!("noc.router.r{r}.max_buffer_bytes"));
        assert!(max <= 160, "r{r}: {max}");
    }
    assert!(counter(&s, "noc.router.r2.max_buffer_bytes") > 160 - 72);
    // The target set the pace: 24 requests, 50 ns each.
    assert!(finish_ps(&s, &["pc0", "pc1"]) >= 24 * 50_000);
}

#[test]
fn the_paper_configuration_answers_every_request() {
    let s = run("paper_mesh.yaml", &[]);
    for (pc, n) in [("pc0", 16), ("pc1", 16), ("uc", 16), ("ctrl", 4)] {
        all_answered(&s, pc, n);
    }
    assert_eq!(counter(&s, "gb.bad_write_data"), 0);
    let ins: u64 =
        ["pc0", "pc1", "uc", "ctrl", "gb"].iter().map(|e| counter(&s, &format!("noc.endpoint.{e}.packets_in"))).sum();
    let outs: u64 =
        ["pc0", "pc1", "uc", "ctrl", "gb"].iter().map(|e| counter(&s, &format!("noc.endpoint.{e}.packets_out"))).sum();
    assert_eq!((ins, outs, counter(&s, "noc.packets")), (104, 104, 104));
    let total = value(&s, "noc.energy.total_pj");
    let parts = value(&s, "noc.energy.kind.noc_link_pj")
        + value(&s, "noc.energy.kind.noc_router_pj")
        + value(&s, "noc.energy.leakage_pj");
    assert!(total > 0.0 && (total - parts).abs() < 1e-9 * total);
}

// ---- 4. A clock change mid-run ----------------------------------------------------------------

/// Sets `clock` to `period_ps` at `at_ps`, as a DVFS unit would.
struct Dvfs {
    clock: ClockId,
    at_ps: u64,
    period_ps: u64,
}

impl Component<Msg> for Dvfs {
    fn ports(&self) -> Vec<PortSpec> {
        vec![]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        ctx.schedule_at(SimTime(self.at_ps), 0);
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        ctx.set_clock_period(self.clock, SimDuration::ps(self.period_ps));
    }
}

/// pc0 reads twice, one read after the other, from gb across a crossbar at 1 GHz; the clock
/// switches to `period_ps` at `switch_ps`.
fn two_reads_with_a_clock_change(switch_ps: u64, period_ps: u64) -> StatsSnapshot {
    let params: NocParams = serde_yaml::from_str(
        "{topology: crossbar, endpoints: [pc0, gb], clock: sys_clk, \
          address_map: [{endpoint: gb, base_addr: 0, size_bytes: 4096}]}",
    )
    .unwrap();
    let requester: MemRequesterParams = serde_yaml::from_str("{requests: 2, bytes: 64}").unwrap();
    let mut b = SimBuilder::<Msg>::new(1);
    let clk = b.clock("sys_clk", SimDuration::ps(1_000), 0);
    let noc = b.add("noc", Noc::new(params.validate().unwrap(), PowerDomain::new(clk, vec![(1_000, 1.0)])));
    let pc0 = b.add("pc0", MemRequester::new(requester));
    let gb = b.add("gb", MemTarget::new(MemTargetParams { service_ps: 0 }));
    b.add("dvfs", Dvfs { clock: clk, at_ps: switch_ps, period_ps });
    let one_ns = ChannelSpec::new(SimDuration::ns(1));
    b.connect(pc0, "out", noc, "in0", ChannelSpec::new(SimDuration::ZERO).depth(2));
    b.connect(noc, "out0", pc0, "in", one_ns);
    b.connect(gb, "out", noc, "in1", ChannelSpec::new(SimDuration::ZERO).depth(2));
    b.connect(noc, "out1", gb, "in", one_ns);
    let mut sim = b.build().unwrap();
    assert_eq!(sim.run().unwrap(), RunOutcome::Idle);
    sim.finish().stats
}

#[test]
fn a_clock_change_mid_run_changes_serialisation_times() {
    // The first round trip ends at 18 ns (4 + 1 + 12 + 1). The change, asked for at 17.5 ns,
    // takes effect at the 18 ns edge, just as the second read enters the NoC.
    let s = two_reads_with_a_clock_change(17_500, 2_000);
    let rt = hist(&s, "pc0.latency_ps");
    // At 500 MHz every NoC cycle counts twice; the 1 ns channels stay 1 ns.
    assert_eq!((rt.count, rt.min, rt.max), (2, 18_000, 2 * 16_000 + 2_000));
    let noc = hist(&s, "noc.latency_ps");
    assert_eq!((noc.count, noc.min, noc.max), (4, 4_000, 24_000));
    // The 72-byte response crossed the ejection link in 5 cycles, then in 5 slower ones.
    assert_eq!(counter(&s, "noc.link.r0->pc0.busy_ps"), 5_000 + 10_000);
    all_answered(&s, "pc0", 2);

    // Control: the same run with the change after the end leaves both round trips at 18 ns.
    let s = two_reads_with_a_clock_change(1_000_000, 2_000);
    let rt = hist(&s, "pc0.latency_ps");
    assert_eq!((rt.min, rt.max), (18_000, 18_000));
}

// ---- 5. Bad parameters and run-time impossibilities ------------------------------------------

/// `tasim validate` on a fixture fails with exit code 2 and exactly `expected` on stderr.
fn check_invalid(fixture: &str, set: &[&str], expected: &str) {
    let path = format!("tests/data/noc/{fixture}");
    let mut args = vec!["validate", path.as_str()];
    for s in set {
        args.extend(["--set", s]);
    }
    let out = tasim(&args);
    assert_eq!(out.status.code(), Some(2), "{fixture}: {}", stderr(&out));
    assert_eq!(stderr(&out).trim_end(), expected.replace("{f}", &path).trim_end(), "{fixture}");
    assert!(stdout(&out).is_empty());
}

#[rstest]
#[case::zero_rows(
    "zero_rows.yaml",
    "error: {f}:10:7: noc: `rows` = 0 must be a whole number from 1 to 4096
  field: components[0].params.rows
  fix: use a value in 1..=4096 (`tasim types` lists every parameter's range)"
)]
#[case::endpoint_on_a_missing_router(
    "router_out_of_range.yaml",
    "error: {f}:13:32: noc: endpoint `gb` is on router 6, but the mesh has routers 0 to 5
  field: components[0].params.endpoint_routers[2]"
)]
#[case::duplicate_endpoint(
    "duplicate_endpoint.yaml",
    "error: {f}:12:24: noc: duplicate endpoint name `pc0` (also endpoints[0])
  field: components[0].params.endpoints[1]"
)]
#[case::address_map_names_an_unknown_endpoint(
    "unknown_map_endpoint.yaml",
    "error: {f}:17:12: noc: unknown endpoint `gbb`
  field: components[0].params.address_map[0].endpoint
  fix: use one of: pc0, pc1, gb"
)]
#[case::overlapping_ranges(
    "overlapping_map.yaml",
    "error: {f}:18:11: noc: range 0x800..0x1800 of `pc1` overlaps address_map[0] (0x0..0x1000 of `gb`)
  field: components[0].params.address_map[1]"
)]
#[case::zero_link_bandwidth(
    "zero_link_bandwidth.yaml",
    "error: {f}:15:7: noc: `link_bytes_per_cycle` = 0 must be a whole number from 1 to 1048576
  field: components[0].params.link_bytes_per_cycle
  fix: use a value in 1..=1048576 (`tasim types` lists every parameter's range)"
)]
#[case::unknown_topology(
    "unknown_topology.yaml",
    "error: {f}:9:7: noc: parameter `topology`: unknown variant `ring`, expected `mesh` or `crossbar`
  field: components[0].params.topology
  fix: use one of `mesh`, `crossbar`"
)]
fn bad_parameters(#[case] fixture: &str, #[case] expected: &str) {
    check_invalid(&format!("bad/{fixture}"), &[], expected);
}

#[test]
fn a_bad_override_is_reported_at_the_command_line() {
    check_invalid(
        "contention.yaml",
        &["noc.link_bytes_per_cycle=0"],
        "error: noc: `link_bytes_per_cycle` = 0 must be a whole number from 1 to 1048576\n  \
         field: --set noc.link_bytes_per_cycle=0\n  \
         fix: use a value in 1..=1048576 (`tasim types` lists every parameter's range)",
    );
}

#[test]
fn a_request_outside_the_address_map_ends_the_run() {
    let err = try_run("one_read.yaml", &["pc1.base_addr=2097152"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "noc at 200 ns: request to address 0x200000 from endpoint `pc1` (in1): no `address_map` range holds it"
    );
}

#[test]
fn a_packet_larger_than_a_buffer_is_refused_before_the_run_naming_the_parameter() {
    // The 8-byte request header and the requesters' 64 bytes make 72-byte packets: they cannot fit in
    // 64-byte buffers, which elaboration (and so `tasim validate`) says before any event.
    let topo = topology::load(&data("noc/one_read.yaml"), &["noc.buffer_bytes=64".to_string()]).unwrap();
    let Err(err) = elaborate(&topo, Options::default()) else { panic!("64-byte buffers were accepted") };
    let err = err.to_string();
    assert!(err.contains("cannot hold the 72-byte packets of `pc"), "{err}");
    assert!(err.contains("set `buffer_bytes` to at least 72"), "{err}");
}

#[test]
fn a_message_other_than_mem_traffic_ends_the_run() {
    let err = try_run("wrong_message.yaml", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "noc at 0 ps: endpoint `src` (in0) sent a message that is neither a MemReq nor a MemResp; \
         the NoC carries `mem` traffic only"
    );
}

// ---- 6. Determinism ----------------------------------------------------------------------------

#[test]
fn identical_runs_give_identical_statistics() {
    for fixture in ["contention.yaml", "backpressure.yaml", "paper_mesh.yaml"] {
        let (a, b) = (run(fixture, &[]), run(fixture, &[]));
        assert!(a.len() > 100, "{fixture}: {} statistics", a.len());
        assert_eq!(a, b, "{fixture}");
    }
}
