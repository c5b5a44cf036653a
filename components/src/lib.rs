//! Hardware models of tasim and the benchmark components, with the one message type that all
//! of them exchange ([`Msg`]).

pub mod chip;
pub mod cost;
pub mod dram;
pub mod dvfs_unit;
pub mod energy;
pub mod global_buffer;
pub mod mem;
pub mod mem_traffic;
pub mod multichip;
pub mod noc;
pub mod param;
pub mod phold;
pub mod simple_memory;
pub mod trace;
pub mod traffic;
pub mod windows;
mod wire;

use sim_core::Message;

/// A component parameter that cannot work: its path under `params` (`endpoint_routers[2]`),
/// what is wrong, and how to fix it when there is something useful to say. The edge turns it
/// into an input error located in the topology file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub param: String,
    pub message: String,
    pub fix: Option<String>,
}

impl ParamError {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError { param: param.into(), message: message.into(), fix: None }
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Prefix of the label of a mark ([`sim_core::Context::mark`]) saying that a resource inside a
/// component (`busy_ps:link gb->r1`: a link of a NoC) is busy from now for `value` ps. A
/// component marks each resource's busy intervals in time order, never overlapping, and only
/// when observed ([`sim_core::Context::observed`]); observers turn them into utilisation over
/// time (the timeline's counters) without knowing the component.
pub const BUSY_MARK_PREFIX: &str = "busy_ps:";

/// Everything that travels on a tasim channel. One enum, so that any component can be wired
/// to any other whose ports speak the same protocol, and events carry plain values.
#[derive(Debug)]
pub enum Msg {
    Phold(phold::PholdToken),
    Packet(traffic::Packet),
    /// A memory request (`mem` protocol); boxed to keep every event small.
    MemReq(Box<mem::MemReq>),
    MemResp(Box<mem::MemResp>),
    /// The training controller to the DVFS unit.
    Dvfs(dvfs_unit::DvfsRequest),
    /// The training controller to a core, and the core's report back (`ctrl` protocol).
    Task(Box<chip::protocol::Task>),
    Done(Box<chip::protocol::Done>),
    /// Gradients to a chip's collective engine and the all-reduced result back (`coll`).
    Coll(Box<multichip::Collective>),
    /// A chunk of a collective on a chip-to-chip link (`link`).
    Link(Box<multichip::LinkPacket>),
}

impl Message for Msg {
    fn size_bytes(&self) -> u64 {
        match self {
            Msg::Phold(_) => 0,
            Msg::Packet(p) => u64::from(p.bytes),
            Msg::MemReq(r) => r.wire_bytes(),
            Msg::MemResp(r) => r.wire_bytes(),
            Msg::Dvfs(_) => 4,
            // Task descriptors and reports are a few words on the control bus.
            Msg::Task(_) => 32,
            Msg::Done(_) => 16,
            Msg::Coll(c) => 8 * c.elements as u64,
            Msg::Link(p) => p.wire_bytes(),
        }
    }
}

impl From<phold::PholdToken> for Msg {
    fn from(t: phold::PholdToken) -> Self {
        Msg::Phold(t)
    }
}

impl From<traffic::Packet> for Msg {
    fn from(p: traffic::Packet) -> Self {
        Msg::Packet(p)
    }
}

impl TryFrom<Msg> for traffic::Packet {
    type Error = Msg;
    fn try_from(m: Msg) -> Result<Self, Msg> {
        match m {
            Msg::Packet(p) => Ok(p),
            other => Err(other),
        }
    }
}
