//! A clock-frequency change while running takes effect at the next edge.

use sim_core::*;

use crate::support::*;

/// Ticks every cycle of its clock; at `switch_at_ps` (a timer between edges) it halves the
/// frequency.
struct Ticker {
    clock: ClockId,
    ticks: u32,
    switch_at_ps: u64,
    log: Log,
}

const TICK: u64 = 0;
const SWITCH: u64 = 1;

impl Component<Msg> for Ticker {
    fn ports(&self) -> Vec<PortSpec> {
        vec![]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        ctx.schedule_cycles(self.clock, 1, TICK);
        ctx.schedule_at(SimTime(self.switch_at_ps), SWITCH);
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if tag == SWITCH {
            ctx.set_clock_period(self.clock, SimDuration::ps(2_000));
            return;
        }
        self.log.lock().unwrap().push((ctx.now().0, "tick".into()));
        self.ticks += 1;
        if self.ticks < 8 {
            ctx.schedule_cycles(self.clock, 1, TICK);
        }
    }
}

#[test]
fn clock_frequency_change_mid_run() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let clk = b.clock("core_clk", SimDuration::ps(1_000), 0);
    // The switch is requested at 4.5 ns, between the edges at 4 and 5 ns.
    b.add("t", Ticker { clock: clk, ticks: 0, switch_at_ps: 4_500, log: log.clone() });
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    let times: Vec<u64> = entries(&log).into_iter().map(|(t, _)| t).collect();
    // 1 GHz up to the 5 ns edge, then 500 MHz from there on.
    assert_eq!(times, [1_000, 2_000, 3_000, 4_000, 5_000, 7_000, 9_000, 11_000]);
}

#[test]
fn clock_change_slows_a_per_cycle_link() {
    let log = log();
    let mut b = SimBuilder::new(1);
    let clk = b.clock("link_clk", SimDuration::ps(1_000), 0);
    b.add("t", Ticker { clock: clk, ticks: 7, switch_at_ps: 2_000, log: log.clone() });
    let script = vec![
        Send { at_ps: 1_000, port: 0, msg: Msg { id: 1, bytes: 16 }, delay_ps: 0 },
        Send { at_ps: 10_000, port: 0, msg: Msg { id: 2, bytes: 16 }, delay_ps: 0 },
    ];
    let s = b.add("s", Sender::new(1, script, &log));
    let r = b.add("r", Receiver::new(1, &log));
    let bw = Bandwidth::BytesPerCycle { bytes: 4, clock: clk };
    b.connect(s, "out0", r, "in0", ChannelSpec::new(SimDuration::ZERO).bandwidth(bw));
    let mut sim = b.build().unwrap();
    sim.run().unwrap();
    // 4 cycles each: 4 ns before the change, 8 ns after it.
    assert_eq!(arrivals(&log), [(5_000, "in0 1".into()), (18_000, "in0 2".into())]);
}
