//! Building a trainer from the user's choices: one path for `tasim train` and for the
//! simulated chip's controller, so both start from the same model state and configuration.

use std::path::PathBuf;

use train_math::{Int8Config, Precision, TrainConfig, Trainer};

use crate::error::InputError;
use crate::train::dataset::{self, LoadedData};
use crate::train::model_file::{self, BpPathName, LoadedModel, PrecisionName, RoundingName};
use crate::train::weights_dir;

/// What the user chose; `None` takes the model file's `training` default.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainChoices {
    pub model: PathBuf,
    pub dataset: String,
    pub precision: Option<PrecisionName>,
    pub master_bits: Option<u32>,
    pub rounding: Option<RoundingName>,
    pub bp_path: Option<BpPathName>,
    pub pretrained: Option<PathBuf>,
    pub seed: u64,
    /// Mini-batch size instead of the model file's (1..=65536).
    pub batch_size: Option<usize>,
}

/// A trainer ready for its first epoch (int8 exponents calibrated if it had none), with its
/// model and data.
pub struct TrainSetup {
    pub model: LoadedModel,
    pub data: LoadedData,
    pub config: TrainConfig,
    pub rounding: RoundingName,
    pub bp_path: BpPathName,
    pub trainer: Trainer,
}

/// Loads the model, the data and the starting weights, and prepares the trainer.
pub fn setup(c: &TrainChoices) -> Result<TrainSetup, InputError> {
    let model = model_file::load(&c.model)?;
    let t = &model.training;
    let master_bits = c.master_bits.unwrap_or(t.master_bits);
    if !(8..=24).contains(&master_bits) {
        return Err(InputError::new(format!("master bits {master_bits} is not in 8..=24"))
            .field("--master-bits")
            .fix("use 16 or 24 (8 means plain int8, no wider master weights)"));
    }
    let rounding = c.rounding.unwrap_or(t.rounding);
    let bp_path = c.bp_path.unwrap_or(t.bp_path);
    let precision = match c.precision.unwrap_or(t.precision) {
        PrecisionName::F32 => Precision::F32,
        PrecisionName::Int8 => Precision::Int8(Int8Config { master_bits, rounding: rounding.into() }),
    };
    let batch_size = c.batch_size.unwrap_or(t.batch_size);
    if !(1..=65_536).contains(&batch_size) {
        return Err(InputError::new(format!("batch size {batch_size} is not in 1..=65536"))
            .field("--batch-size")
            .fix("use a mini-batch of 1 to 65536 samples"));
    }
    let config = TrainConfig { batch_size, optimizer: t.optimizer, precision, bp_path: bp_path.into(), seed: c.seed };
    let data = dataset::load(&c.dataset, model.spec.input, model.spec.classes)?;
    dataset::check_fits(&data, &c.dataset, &model.spec, &model.path)?;
    let mut trainer = match &c.pretrained {
        Some(dir) => {
            let w = weights_dir::load(dir, &model.geoms)?;
            Trainer::with_weights(&model.spec, config.clone(), &w).map_err(|e| {
                InputError::new(e.to_string()).in_file(dir.join("manifest.json")).field("--pretrained").fix(e.fix())
            })?
        }
        None => Trainer::new(&model.spec, config.clone()).map_err(|e| model.input_error(&e))?,
    };
    // Int8 weights without exponents (fresh, or from f32) take them from the first mini-batch.
    trainer.prepare(&data.split.train).map_err(|e| InputError::new(e.to_string()).field("--dataset").fix(e.fix()))?;
    Ok(TrainSetup { model, data, config, rounding, bp_path, trainer })
}
