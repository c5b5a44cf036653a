//! `tasim train`: the standalone trainer's edge — model YAML, data-set specs, weight files,
//! JSON reports. The math lives in `train_math`; this module only reads and writes files.

pub mod cli;
pub mod dataset;
pub mod model_file;
pub mod report;
pub mod setup;
pub mod weights_dir;
