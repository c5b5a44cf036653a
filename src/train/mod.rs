//! `tasim train`: the standalone trainer's edge — model YAML, data-set specs, weight files,
//! JSON reports. The math lives in `train_math`; this module only reads and writes files.

pub mod cli;
pub mod dataset;
pub mod model_file;
pub mod report;
pub mod setup;
pub mod weights_dir;

/// Epochs of one run (`tasim train --epochs`, a chip controller's `epochs`) stop here: each
/// epoch's sample order is planned ahead (one index per sample), and 100,000 epochs of a
/// 1,200-sample set are 1 GB of plan; issue 9 asks for 1,000.
pub const MAX_EPOCHS: u64 = 100_000;
