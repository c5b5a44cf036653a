//! tasim: the edge of the simulator. It reads topology YAML ([`topology`]), builds simulations
//! through the registry of component types ([`registry`], [`elaborate`]), runs them and writes
//! reports; the binary's subcommands live in `main.rs`.

pub mod bandwidth_report;
pub mod bench;
pub mod chip_report;
pub mod chip_types;
pub mod costs_report;
pub mod elaborate;
pub mod error;
pub mod graph;
pub mod interrupt;
#[cfg(feature = "mpi")]
pub mod mpi_run;
pub mod multichip_types;
pub mod output;
pub mod progress;
pub mod ranks;
pub mod registry;
pub mod report;
pub mod run_plots;
pub mod serve;
pub mod suggest;
pub mod sweep;
pub mod system_report;
pub mod timeline;
pub mod topology;
pub mod trace;
pub mod train;

pub use error::{InputError, InputErrors, Location};
