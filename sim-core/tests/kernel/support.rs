//! Test components: a scripted sender and a recording receiver. Their logs are shared with
//! the test through `Arc<Mutex<..>>`, which only tests do.

use std::sync::{Arc, Mutex};

use sim_core::*;

/// A message with an id and a size on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    pub id: u64,
    pub bytes: u64,
}

impl Message for Msg {
    fn size_bytes(&self) -> u64 {
        self.bytes
    }
}

impl Wire for Msg {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.bytes.to_le_bytes());
        Ok(())
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Msg { id: input.u64()?, bytes: input.u64()? })
    }
}

/// One entry of a log: (time in ps, what happened).
pub type Log = Arc<Mutex<Vec<(u64, String)>>>;

pub fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn entries(log: &Log) -> Vec<(u64, String)> {
    log.lock().unwrap().clone()
}

/// What a [`Sender`] does at a time: send on an output port, possibly with an annotation.
#[derive(Clone, Debug)]
pub struct Send {
    pub at_ps: u64,
    pub port: u16,
    pub msg: Msg,
    pub delay_ps: u64,
}

pub fn send(at_ps: u64, port: u16, id: u64) -> Send {
    Send { at_ps, port, msg: Msg { id, bytes: 0 }, delay_ps: 0 }
}

/// Sends a script of messages at given times (a timer each); a refused message is kept and
/// retried on `on_ready`, in order.
pub struct Sender {
    pub outputs: usize,
    pub script: Vec<Send>,
    pub backlog: Vec<(u16, Msg)>,
    pub log: Log,
}

impl Sender {
    pub fn new(outputs: usize, script: Vec<Send>, log: &Log) -> Self {
        Sender { outputs, script, backlog: Vec::new(), log: log.clone() }
    }

    fn push_backlog(&mut self, ctx: &mut Context<'_, Msg>) {
        while let Some(&(port, msg)) = self.backlog.first() {
            match ctx.send(PortId(port), msg) {
                Ok(()) => {
                    self.log.lock().unwrap().push((ctx.now().0, format!("sent {}", msg.id)));
                    self.backlog.remove(0);
                }
                Err(Refused(_)) => {
                    self.log.lock().unwrap().push((ctx.now().0, format!("refused {}", msg.id)));
                    return;
                }
            }
        }
    }
}

impl Component<Msg> for Sender {
    fn ports(&self) -> Vec<PortSpec> {
        (0..self.outputs).map(|i| PortSpec::output(format!("out{i}"), "test")).collect()
    }
    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        for (i, s) in self.script.iter().enumerate() {
            ctx.schedule_at(SimTime(s.at_ps), i as u64);
        }
    }
    fn on_message(&mut self, _: &mut Context<'_, Msg>, _: PortId, _: Msg) {}
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        let s = self.script[tag as usize].clone();
        if s.delay_ps > 0 {
            ctx.send_delayed(PortId(s.port), s.msg, SimDuration(s.delay_ps))
                .expect("annotated sends use unbounded channels");
            return;
        }
        self.backlog.push((s.port, s.msg));
        if self.backlog.len() == 1 {
            self.push_backlog(ctx);
        }
    }
    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        self.log.lock().unwrap().push((ctx.now().0, format!("ready out{}", port.0)));
        self.push_backlog(ctx);
    }
}

/// Records every arrival as `in<port> <id>`. With `hold_ps`, holds each message that long
/// (one at a time, in arrival order) before releasing its channel slot.
pub struct Receiver {
    pub inputs: usize,
    pub hold_ps: Option<u64>,
    pub held: u64,
    pub log: Log,
}

impl Receiver {
    pub fn new(inputs: usize, log: &Log) -> Self {
        Receiver { inputs, hold_ps: None, held: 0, log: log.clone() }
    }
    pub fn slow(hold_ps: u64, log: &Log) -> Self {
        Receiver { inputs: 1, hold_ps: Some(hold_ps), held: 0, log: log.clone() }
    }
}

impl Component<Msg> for Receiver {
    fn ports(&self) -> Vec<PortSpec> {
        (0..self.inputs)
            .map(|i| {
                let p = PortSpec::input(format!("in{i}"), "test");
                if self.hold_ps.is_some() {
                    p.manual_release()
                } else {
                    p
                }
            })
            .collect()
    }
    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        self.log.lock().unwrap().push((ctx.now().0, format!("in{} {}", port.0, msg.id)));
        if let Some(hold) = self.hold_ps {
            self.held += 1;
            // Served one after another: this one finishes `hold` after the previous one.
            ctx.schedule(SimDuration(hold * self.held), 0);
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        self.held -= 1;
        self.log.lock().unwrap().push((ctx.now().0, "release".into()));
        ctx.release(PortId(0));
    }
}

/// The arrivals only (`in...` entries), as (time, text).
pub fn arrivals(log: &Log) -> Vec<(u64, String)> {
    entries(log).into_iter().filter(|(_, s)| s.starts_with("in")).collect()
}
