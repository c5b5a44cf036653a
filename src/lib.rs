//! tasim: the edge of the simulator (YAML topologies, CLI, reports).

pub mod bench;
pub mod error;

pub use error::{InputError, InputErrors, Location};
