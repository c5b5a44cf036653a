//! Errors of elaboration and of a run.

use thiserror::Error;

use crate::component::Direction;
use crate::time::SimTime;

/// A structural problem found at elaboration. All of them are reported at once; each is
/// fatal (the simulation is not built) and names the instances involved.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ElabError {
    #[error("duplicate instance name `{name}`")]
    DuplicateName { name: String },

    #[error("`{instance}` has no port `{port}`; its ports are: {available}")]
    UnknownPort { instance: String, port: String, available: String },

    #[error("`{instance}.{port}` is an {actual} port but is bound as an {expected}")]
    WrongDirection { instance: String, port: String, actual: Direction, expected: Direction },

    #[error("protocol mismatch: `{from}` speaks `{from_protocol}` but `{to}` speaks `{to_protocol}`")]
    ProtocolMismatch { from: String, from_protocol: String, to: String, to_protocol: String },

    #[error("port `{port}` is bound twice: to `{first}` and to `{second}`")]
    BoundTwice { port: String, first: String, second: String },

    #[error("required {direction} port `{instance}.{port}` (protocol `{protocol}`) is not bound")]
    Unbound { instance: String, port: String, direction: Direction, protocol: String },

    #[error(
        "zero-latency cycle through {}: events could chase each other forever at one instant; give one link in the loop a latency",
        .instances.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    )]
    ZeroLatencyCycle { instances: Vec<String> },

    #[error(
        "`{from}` -> `{to}` crosses partitions {from_partition} and {to_partition} with zero latency; a link between partitions needs a latency above 0 (it is what lets partitions run in parallel)"
    )]
    ZeroLatencyCrossing { from: String, to: String, from_partition: u32, to_partition: u32 },

    #[error(
        "clock `{clock}` belongs to partition {clock_partition}, but `{user}` in partition {user_partition} uses it; a clock domain serves one partition"
    )]
    ClockPartition { clock: String, clock_partition: u32, user: String, user_partition: u32 },

    #[error("invalid clock `{clock}`: {reason}")]
    BadClock { clock: String, reason: String },
}

impl ElabError {
    /// The instance names this error is about (for the edge to find them in its input).
    pub fn instances(&self) -> Vec<&str> {
        fn inst(p: &str) -> &str {
            p.rsplit_once('.').map_or(p, |(i, _)| i)
        }
        match self {
            ElabError::DuplicateName { name } => vec![name],
            ElabError::UnknownPort { instance, .. }
            | ElabError::WrongDirection { instance, .. }
            | ElabError::Unbound { instance, .. } => vec![instance],
            ElabError::ProtocolMismatch { from, to, .. } => vec![inst(from), inst(to)],
            ElabError::BoundTwice { port, first, second } => vec![inst(port), inst(first), inst(second)],
            ElabError::ZeroLatencyCycle { instances } => instances.iter().map(String::as_str).collect(),
            ElabError::ZeroLatencyCrossing { from, to, .. } => vec![inst(from), inst(to)],
            ElabError::ClockPartition { user, .. } => vec![user],
            ElabError::BadClock { .. } => vec![],
        }
    }
}

/// A run that could not go on.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimError {
    /// A component called [`Context::abort`](crate::Context::abort). Fatal: the run ends.
    #[error("{instance} at {time}: {message}")]
    Aborted { instance: String, time: SimTime, message: String },
}
