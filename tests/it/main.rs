//! Integration tests of tasim as a whole: one binary, one module per behaviour. Helpers that
//! touch the binary live in `support`; fixtures in `tests/data/`.

mod bad_topology;
mod bad_trace;
mod bad_train_input;
mod bad_values;
mod cli;
mod cli_support;
mod costs;
mod docs;
mod dram;
mod dvfs;
mod global_buffer;
mod graph;
mod interruption;
mod json_output;
mod long_and_large;
mod multichip;
mod noc;
mod paper_chip;
mod parallel_sync;
mod phold;
mod report_figures;
mod run_plots;
mod serve;
mod set_overrides;
mod support;
mod sweep;
mod timeline;
mod topology_features;
mod trace_format;
mod trace_record;
mod trace_replay;
mod train_cli;
mod train_storage;
mod validate_checks;
