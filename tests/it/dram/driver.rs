//! A scripted memory requester for the DRAM tests, and a bench that wires it to a
//! `dram_controller` built from YAML parameters. The log is shared with the test through
//! `Arc<Mutex<..>>`, which only tests do.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use components::dram::{DramController, DramParams};
use components::energy::PowerDomain;
use components::mem::{Cause, MemReq, MemResp, Phase};
use components::Msg;
use sim_core::*;

/// What the requester saw: every response with its arrival time, and the sends refused.
#[derive(Debug, Default)]
pub struct Seen {
    pub responses: Vec<(u64, MemResp)>,
    pub refused: u64,
}

pub type Log = Arc<Mutex<Seen>>;

const REQ: PortId = PortId(0);
const RESP: PortId = PortId(1);
const RELEASE: u64 = u64::MAX;

/// Sends each scripted request at its time, in script order; a refused one is kept and
/// retried on `on_ready` (those behind it wait). With `hold_ps`, holds each response that
/// long (one at a time) before releasing its channel slot: a slow consumer.
pub struct Requester {
    script: Vec<(u64, MemReq)>,
    backlog: VecDeque<MemReq>,
    hold_ps: Option<u64>,
    held: u64,
    log: Log,
}

impl Requester {
    pub fn new(script: Vec<(u64, MemReq)>, hold_ps: Option<u64>, log: &Log) -> Self {
        Requester { script, backlog: VecDeque::new(), hold_ps, held: 0, log: log.clone() }
    }

    fn push(&mut self, ctx: &mut Context<'_, Msg>) {
        while let Some(r) = self.backlog.pop_front() {
            if let Err(Refused(m)) = ctx.send(REQ, Msg::MemReq(Box::new(r))) {
                self.log.lock().unwrap().refused += 1;
                let Msg::MemReq(r) = m else { unreachable!() };
                self.backlog.push_front(*r);
                return;
            }
        }
    }
}

impl Component<Msg> for Requester {
    fn ports(&self) -> Vec<PortSpec> {
        let resp = PortSpec::input("resp", "mem");
        vec![PortSpec::output("req", "mem"), if self.hold_ps.is_some() { resp.manual_release() } else { resp }]
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for (i, (at, _)) in self.script.iter().enumerate() {
            ctx.schedule_at(SimTime(*at), i as u64);
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        if tag == RELEASE {
            self.held -= 1;
            ctx.release(RESP);
            return;
        }
        let waiting = !self.backlog.is_empty();
        self.backlog.push_back(self.script[tag as usize].1.clone());
        if !waiting {
            self.push(ctx);
        }
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.push(ctx);
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, _: PortId, msg: Msg) {
        let Msg::MemResp(r) = msg else { panic!("the DRAM answers with responses") };
        self.log.lock().unwrap().responses.push((ctx.now().0, *r));
        if let Some(hold) = self.hold_ps {
            self.held += 1;
            ctx.schedule(SimDuration(hold * self.held), RELEASE);
        }
    }
}

pub fn cause() -> Cause {
    Cause::new(Phase::Fp, 3)
}

pub fn read(id: u64, addr: u64, bytes: u32) -> MemReq {
    MemReq::read(id, addr, bytes, cause(), 0)
}

pub fn write(id: u64, addr: u64, data: Vec<u8>) -> MemReq {
    MemReq::write(id, addr, data, cause(), 0)
}

/// How the requester and the DRAM are wired.
pub struct Wiring {
    /// Latency of `req` and of `resp`, ps.
    pub latency_ps: u64,
    /// Depth of the `req` channel (None: unbounded).
    pub req_depth: Option<u32>,
    pub resp_depth: Option<u32>,
    pub hold_ps: Option<u64>,
}

impl Default for Wiring {
    fn default() -> Self {
        Wiring { latency_ps: 2_000, req_depth: None, resp_depth: None, hold_ps: None }
    }
}

/// Runs `script` against a `dram_controller` with parameters `yaml` (its controller clock:
/// 1 GHz at 1.0 V); returns what the requester saw and the statistics.
pub fn run(yaml: &str, script: Vec<(u64, MemReq)>, w: Wiring) -> (Seen, Report) {
    let params: DramParams = serde_yaml::from_str(yaml).expect("test parameters parse");
    let log = Log::default();
    let mut b = SimBuilder::<Msg>::new(1);
    let clk = b.clock("clk", SimDuration(1_000), 0);
    let dram = DramController::new(&params, PowerDomain::new(clk, vec![(1_000, 1.0)])).expect("valid parameters");
    let r = b.add("cpu", Requester::new(script, w.hold_ps, &log));
    let d = b.add("dram", dram);
    let mut req = ChannelSpec::new(SimDuration(w.latency_ps));
    if let Some(depth) = w.req_depth {
        req = req.depth(depth);
    }
    let mut resp = ChannelSpec::new(SimDuration(w.latency_ps));
    if let Some(depth) = w.resp_depth {
        resp = resp.depth(depth);
    }
    b.connect(r, "req", d, "req", req);
    b.connect(d, "resp", r, "resp", resp);
    let mut sim = b.build().expect("the bench is sound");
    sim.run().expect("the run ends");
    let report = sim.finish();
    let seen = std::mem::take(&mut *log.lock().unwrap());
    (seen, report)
}
