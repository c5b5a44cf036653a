//! Integration tests of tasim as a whole: one binary, one module per behaviour. Helpers that
//! touch the binary live in `support`; fixtures in `tests/data/`.

mod bad_topology;
mod cli;
mod dram;
mod phold;
mod support;
mod topology_features;
