//! Hardware models of tasim and the benchmark components, with the one message type that all
//! of them exchange ([`Msg`]).

pub mod dram;
pub mod energy;
pub mod mem;
pub mod phold;
pub mod traffic;

use sim_core::Message;

/// A component parameter that cannot be used: its path (`timing.tras_ns`) and why. The
/// topology edge turns it into an input error located at that parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub param: String,
    pub message: String,
}

impl ParamError {
    pub fn new(param: &str, message: impl Into<String>) -> Self {
        ParamError { param: param.into(), message: message.into() }
    }
}

/// Everything that travels on a tasim channel. One enum, so that any component can be wired
/// to any other whose ports speak the same protocol, and events carry plain values.
#[derive(Debug)]
pub enum Msg {
    Phold(phold::PholdToken),
    Packet(traffic::Packet),
    /// A memory request (`mem` protocol); boxed to keep every event small.
    MemReq(Box<mem::MemReq>),
    MemResp(Box<mem::MemResp>),
}

impl Message for Msg {
    fn size_bytes(&self) -> u64 {
        match self {
            Msg::Phold(_) => 0,
            Msg::Packet(p) => u64::from(p.bytes),
            Msg::MemReq(r) => r.wire_bytes(),
            Msg::MemResp(r) => r.wire_bytes(),
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
