//! tasim: the edge of the simulator (YAML topologies, CLI, reports).

pub mod error;
pub mod train;

pub use error::{InputError, InputErrors, Location};
