//! Every elaboration problem is reported, each with its exact message naming the instances.

use sim_core::*;

use crate::support::*;

fn messages(b: SimBuilder<Msg>) -> Vec<String> {
    match b.build() {
        Ok(_) => panic!("expected elaboration errors"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn duplicate_instance_name() {
    let log = log();
    let mut b = SimBuilder::new(1);
    b.add("core", Receiver::new(0, &log));
    b.add("core", Receiver::new(0, &log));
    assert_eq!(messages(b), ["duplicate instance name `core`"]);
}

#[test]
fn unknown_port_lists_the_ports_there_are() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(2, vec![], &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(s, "out7", r, "in0", ChannelSpec::default());
    b.connect(s, "out0", r, "in0", ChannelSpec::default());
    let mut m = messages(b);
    m.sort();
    assert_eq!(
        m,
        [
            "`s` has no port `out7`; its ports are: out0, out1",
            "required output port `s.out1` (protocol `test`) is not bound"
        ]
    );
}

#[test]
fn wrong_direction() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, vec![], &log));
    let r = b.add("r", Receiver::new(1, &log));
    b.connect(r, "in0", s, "out0", ChannelSpec::default());
    let m = messages(b);
    assert!(m.contains(&"`r.in0` is an input port but is bound as an output".to_string()), "{m:?}");
    assert!(m.contains(&"`s.out0` is an output port but is bound as an input".to_string()), "{m:?}");
}

/// A component with one output speaking `mem`.
struct MemSource;
impl Component<Msg> for MemSource {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("req", "mem")]
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
}

#[test]
fn protocol_mismatch() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let m = b.add("pc0", MemSource);
    let r = b.add("noc", Receiver::new(1, &log));
    b.connect(m, "req", r, "in0", ChannelSpec::default());
    assert_eq!(messages(b), ["protocol mismatch: `pc0.req` speaks `mem` but `noc.in0` speaks `test`"]);
}

#[test]
fn port_bound_twice() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add("s", Sender::new(1, vec![], &log));
    let r = b.add("r", Receiver::new(2, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::default());
    b.connect(s, "out0", r, "in1", ChannelSpec::default());
    assert_eq!(messages(b), ["port `s.out0` is bound twice: to `r.in0` and to `r.in1`"]);
}

#[test]
fn unbound_required_port() {
    let log = log();
    let mut b = SimBuilder::new(1);
    b.add("r", Receiver::new(1, &log));
    assert_eq!(messages(b), ["required input port `r.in0` (protocol `test`) is not bound"]);
}

/// Forwards everything from `in` to `out`.
struct Relay;
impl Component<Msg> for Relay {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("in", "test"), PortSpec::output("out", "test")]
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let _ = ctx.send(PortId(1), msg);
    }
}

#[test]
fn zero_latency_cycle() {
    let mut b = SimBuilder::new(1);
    let a = b.add("a", Relay);
    let c = b.add("b", Relay);
    b.connect(a, "out", c, "in", ChannelSpec::new(SimDuration::ZERO));
    b.connect(c, "out", a, "in", ChannelSpec::new(SimDuration::ZERO));
    assert_eq!(
        messages(b),
        ["zero-latency cycle through `a`, `b`: events could chase each other forever at one instant; give one link in the loop a latency"]
    );
}

#[test]
fn a_cycle_with_latency_is_fine() {
    let mut b = SimBuilder::new(1);
    let a = b.add("a", Relay);
    let c = b.add("b", Relay);
    b.connect(a, "out", c, "in", ChannelSpec::new(SimDuration::ZERO));
    b.connect(c, "out", a, "in", ChannelSpec::new(SimDuration::ps(1)));
    assert!(b.build().is_ok());
}

#[test]
fn zero_latency_between_partitions() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let s = b.add_in("chip0.s", 0, Sender::new(1, vec![], &log));
    let r = b.add_in("chip1.r", 1, Receiver::new(1, &log));
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ZERO));
    assert_eq!(
        messages(b),
        ["`chip0.s.out0` -> `chip1.r.in0` crosses partitions 0 and 1 with zero latency; a link between partitions needs a latency above 0 (it is what lets partitions run in parallel)"]
    );
}

#[test]
fn clock_of_another_partition() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let clk = b.clock("chip1.clk", SimDuration::ns(1), 1);
    let s = b.add_in("chip0.s", 0, Sender::new(1, vec![], &log));
    let r = b.add_in("chip0.r", 0, Receiver::new(1, &log));
    let bw = Bandwidth::BytesPerCycle { bytes: 8, clock: clk };
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ZERO).bandwidth(bw));
    assert_eq!(
        messages(b),
        ["clock `chip1.clk` belongs to partition 1, but `chip0.s.out0` in partition 0 uses it; a clock domain serves one partition"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let log = log();
    let mut b = SimBuilder::new(1);
    b.add("x", Receiver::new(1, &log));
    b.add("x", Receiver::new(1, &log));
    let s = b.add("s", Sender::new(1, vec![], &log));
    let r = b.add("r", Receiver::new(0, &log));
    b.connect(s, "out0", r, "nope", ChannelSpec::default());
    // Duplicate name, unknown port, both x.in0 unbound. (s.out0 is not reported unbound: the
    // connection that names it is already reported.)
    assert_eq!(messages(b).len(), 4);
}
