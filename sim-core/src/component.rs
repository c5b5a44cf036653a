//! What a component is: declared ports and the callbacks the kernel invokes.

use std::borrow::Cow;
use std::fmt;

use crate::context::Context;
use crate::stats::StatsWriter;

/// A value carried by channels. The kernel is generic over one message type per simulation
/// (an enum, typically), so events carry plain values and nothing is boxed per event.
pub trait Message: Send + 'static {
    /// Bytes on the wire; sets the serialisation time on channels with a bandwidth.
    fn size_bytes(&self) -> u64 {
        0
    }
}

impl Message for () {}
impl Message for u64 {
    fn size_bytes(&self) -> u64 {
        8
    }
}

/// Index of a port in the list a component declares ([`Component::ports`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortId(pub u16);

/// Index of a component instance; also its rank in same-time ordering (see the crate docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::In => "input",
            Direction::Out => "output",
        })
    }
}

/// When an input port hands a channel slot back to the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Release {
    /// As soon as `on_message` returns (the component consumed the message).
    Auto,
    /// When the component calls [`Context::release`]: the slot stays taken while the message
    /// waits inside the component. This is credit-based flow control, and how a slow consumer
    /// pushes back on its producers.
    Manual,
}

/// A declared port: name, direction, protocol, and whether it must be bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub name: Cow<'static, str>,
    pub direction: Direction,
    /// Both ends of a channel must speak the same protocol (`mem`, `noc`, `ctrl`, ...).
    pub protocol: Cow<'static, str>,
    pub required: bool,
    pub release: Release,
}

impl PortSpec {
    /// A required input port that releases its channel slot automatically.
    pub fn input(name: impl Into<Cow<'static, str>>, protocol: impl Into<Cow<'static, str>>) -> Self {
        PortSpec {
            name: name.into(),
            direction: Direction::In,
            protocol: protocol.into(),
            required: true,
            release: Release::Auto,
        }
    }

    /// A required output port.
    pub fn output(name: impl Into<Cow<'static, str>>, protocol: impl Into<Cow<'static, str>>) -> Self {
        PortSpec {
            name: name.into(),
            direction: Direction::Out,
            protocol: protocol.into(),
            required: true,
            release: Release::Auto,
        }
    }

    /// The port may stay unbound; the component checks [`Context::is_bound`] before using it.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// The component returns channel slots itself with [`Context::release`].
    pub fn manual_release(mut self) -> Self {
        self.release = Release::Manual;
        self
    }
}

/// A simulation component: an actor with named ports that reacts to messages and timers.
///
/// Components never know whom they are connected to; they talk through their ports, and the
/// topology binds ports with channels. A component's state is its own struct.
pub trait Component<M: Message>: Send + 'static {
    /// The ports, in [`PortId`] order. Called once, at elaboration.
    fn ports(&self) -> Vec<PortSpec>;

    /// Called once before the run starts, at time zero, in rank order.
    fn init(&mut self, _ctx: &mut Context<'_, M>) {}

    /// A message arrived on input port `port`.
    fn on_message(&mut self, ctx: &mut Context<'_, M>, port: PortId, msg: M);

    /// A timer set with [`Context::schedule`] fired.
    fn on_timer(&mut self, _ctx: &mut Context<'_, M>, _tag: u64) {}

    /// The channel behind output port `port` refused a send earlier and now has room.
    fn on_ready(&mut self, _ctx: &mut Context<'_, M>, _port: PortId) {}

    /// The run is over: write statistics (names are prefixed with the instance name).
    fn finish(&mut self, _stats: &mut StatsWriter<'_>) {}
}
