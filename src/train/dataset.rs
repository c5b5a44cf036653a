//! Data-set specs of the `--dataset` option, and reading the files they name.
//!
//! | spec | data |
//! |------|------|
//! | `synth:population[,seed=N]` | built-in handwriting, many writers (train 1,200 / test 400 from 20 other writers), drawn at the model's input size |
//! | `synth:personal[,seed=N]` | built-in handwriting, one distinct writer (train 40 / held-out 200) |
//! | `uci` | the embedded UCI digits, 8x8 (fixed split 1,435 / 362) |
//! | `idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]` | MNIST-format IDX files (uncompressed); without test files there is no test set |

use crate::error::InputError;
use std::path::Path;
use train_math::data::synth::{self, SynthKind};
use train_math::data::{idx, uci, Dataset, Misfit, Split};
use train_math::Shape3;

/// A loaded data set with a one-line description.
#[derive(Clone, Debug)]
pub struct LoadedData {
    pub split: Split,
    pub description: String,
}

fn spec_error(spec: &str, message: impl Into<String>) -> InputError {
    InputError::new(format!("--dataset '{spec}': {}", message.into()))
        .field("--dataset")
        .fix("use synth:population, synth:personal (optionally ,seed=N), uci, or idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]")
}

/// Load the data set named by `spec` for a model with input shape `input` and `classes`.
pub fn load(spec: &str, input: Shape3, classes: usize) -> Result<LoadedData, InputError> {
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    match kind {
        "synth" => {
            let mut parts = rest.split(',');
            let which = match parts.next() {
                Some("population") => SynthKind::Population,
                Some("personal") => SynthKind::Personal,
                _ => return Err(spec_error(spec, "synth needs population or personal")),
            };
            let mut seed = synth::DEFAULT_SEED;
            for p in parts {
                match p.split_once('=') {
                    Some(("seed", v)) => {
                        seed = v.parse().map_err(|_| spec_error(spec, format!("seed '{v}' is not an integer")))?
                    }
                    _ => return Err(spec_error(spec, format!("unknown option '{p}'"))),
                }
            }
            if input.c != 1 || input.h < 6 || input.w < 6 {
                return Err(spec_error(
                    spec,
                    format!("synthetic digits are grey images of at least 6x6, but the model input is {input}"),
                )
                .fix("use a model with input channels 1 and height, width >= 6"));
            }
            Ok(LoadedData {
                split: synth::generate(which, seed, input.h, input.w),
                description: format!(
                    "synthetic handwriting, {} set, seed {seed}, {}x{}",
                    rest.split(',').next().unwrap_or(""),
                    input.h,
                    input.w
                ),
            })
        }
        "uci" if rest.is_empty() => {
            Ok(LoadedData { split: uci::embedded(), description: "UCI digits (embedded), 8x8".into() })
        }
        "idx" => {
            let paths: Vec<&str> = rest.split(',').collect();
            if paths.len() != 2 && paths.len() != 4 || paths.iter().any(|p| p.is_empty()) {
                return Err(spec_error(spec, "idx needs 2 paths (images, labels) or 4 (and test images, test labels)"));
            }
            let read = |p: &str| {
                std::fs::read(p).map_err(|e| {
                    InputError::new(format!("cannot read the IDX file: {e}"))
                        .in_file(p)
                        .field("--dataset")
                        .fix("check the path")
                })
            };
            let pair = |i: usize| -> Result<Dataset, InputError> {
                let (im, lb) = (read(paths[i])?, read(paths[i + 1])?);
                idx::parse(&im, &lb, classes).map_err(|e| {
                    let file = if e.message.starts_with("labels") || e.message.contains("label ") {
                        paths[i + 1]
                    } else {
                        paths[i]
                    };
                    InputError::new(e.message.clone()).in_file(file).field("--dataset").fix(e.fix.clone())
                })
            };
            let train = pair(0)?;
            let test = if paths.len() == 4 {
                pair(2)?
            } else {
                Dataset { shape: train.shape, classes, images: vec![], labels: vec![] }
            };
            Ok(LoadedData { description: format!("IDX {}", paths.join(", ")), split: Split { train, test } })
        }
        _ => Err(spec_error(spec, "unknown data set")),
    }
}

/// Check that a loaded data set fits the model, with a message naming the spec.
pub fn check_fits(
    data: &LoadedData,
    spec_text: &str,
    model: &train_math::ModelSpec,
    model_path: &Path,
) -> Result<(), InputError> {
    for (part, d) in [("training", &data.split.train), ("test", &data.split.test)] {
        if d.is_empty() {
            continue;
        }
        d.check_fits(model.input, model.classes).map_err(|m| {
            let fix = match m {
                Misfit::Shape { .. } => {
                    "use a model whose input matches the data (models/uci-cnn.yaml for uci, models/paper-cnn.yaml for synth)"
                }
                Misfit::Label { .. } => "fix the labels, or raise `classes` in the model",
            };
            InputError::new(format!("--dataset '{spec_text}' and model '{}' ({}): {part} {m}", model.name, model_path.display()))
                .field("--dataset")
                .fix(fix)
        })?;
    }
    if data.split.train.is_empty() {
        return Err(InputError::new(format!("--dataset '{spec_text}': no training samples"))
            .field("--dataset")
            .fix("give a non-empty data set"));
    }
    Ok(())
}
