//! `tasim train`: train a model standalone (no simulation) and report loss and accuracy.

use crate::error::InputError;
use crate::output::OutDir;
use crate::train::model_file::{BpPathName, PrecisionName, RoundingName};
use crate::train::report::{self, EpochRecord, Metrics};
use crate::train::setup::{setup, TrainChoices, TrainSetup};
use crate::train::weights_dir;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use train_math::{storage_report, Precision, Trainer, WholeLayer};

/// Print a line to stdout, ignoring a closed pipe (`tasim train ... | head` must not panic,
/// and the run still saves its outputs).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Train a model standalone and print per-epoch loss and accuracy.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Data sets (--dataset):\n  \
    synth:population[,seed=N]   built-in handwriting, 60 writers (1,200 train) + 20 other writers (400 test)\n  \
    synth:personal[,seed=N]     built-in handwriting of one distinct writer: 40 train, 200 held out\n  \
    uci                         UCI digits 8x8, embedded (1,435 train / 362 test, fixed split)\n  \
    idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS]   MNIST-format IDX files\n\
    Synthetic digits are drawn at the model's input size; the default data seed is 2020.")]
pub struct TrainArgs {
    /// Model YAML file (e.g. models/paper-cnn.yaml).
    #[arg(long)]
    pub model: PathBuf,
    /// Data set spec (see below).
    #[arg(long)]
    pub dataset: String,
    /// Numeric mode; default: the model file's `training.precision` (int8 if absent).
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionName>,
    /// Master-weight width for int8 (8 = plain int8, no wider masters); default: the model file's.
    #[arg(long)]
    pub master_bits: Option<u32>,
    /// Int8 rounding; default: the model file's.
    #[arg(long, value_enum)]
    pub rounding: Option<RoundingName>,
    /// BP path through ReLU and max-pool; default: the model file's.
    #[arg(long, value_enum)]
    pub bp_path: Option<BpPathName>,
    /// Number of epochs.
    #[arg(long, default_value_t = 1)]
    pub epochs: usize,
    /// Mini-batch size (default: the model file's `training.batch_size`).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Start from weights saved by --save (a directory with manifest.json).
    #[arg(long)]
    pub pretrained: Option<PathBuf>,
    /// Save the trained weights into this directory (.npy per tensor + manifest.json).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Write metrics.json and storage.json into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of weight initialisation, sample order and stochastic rounding.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Run `tasim train`. Input problems come back as [`InputError`] (exit code 2).
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    // Output places are checked before the training, not found wrong after it.
    if let Some(dir) = &args.save {
        crate::output::check_out_dir(dir, "--save")?;
    }
    if let Some(dir) = &args.out {
        crate::output::check_out_dir(dir, "--out")?;
    }
    if args.epochs as u64 > super::MAX_EPOCHS {
        return Err(InputError::new(format!("--epochs {} is more than {}", args.epochs, super::MAX_EPOCHS))
            .field("--epochs")
            .fix(format!("train at most {} epochs in one run (continue with --pretrained)", super::MAX_EPOCHS))
            .into());
    }
    if args.epochs == 0 && args.save.is_none() && args.out.is_none() && args.pretrained.is_none() {
        return Err(InputError::new("--epochs 0 with nothing to evaluate or save")
            .field("--epochs")
            .fix("give --epochs N >= 1")
            .into());
    }
    let TrainSetup { model, data, config, rounding, bp_path, mut trainer } = setup(&TrainChoices {
        model: args.model.clone(),
        dataset: args.dataset.clone(),
        precision: args.precision,
        master_bits: args.master_bits,
        rounding: args.rounding,
        bp_path: args.bp_path,
        pretrained: args.pretrained.clone(),
        seed: args.seed,
        batch_size: args.batch_size,
    })?;
    let precision = config.precision;
    let macs = report::mac_counts(&model.geoms);
    let rounding_name =
        clap::ValueEnum::to_possible_value(&rounding).map(|v| v.get_name().to_string()).unwrap_or_default();
    let mode = match precision {
        Precision::F32 => "f32".to_string(),
        Precision::Int8(c) if c.master_bits == 8 => {
            format!("int8, plain (no master weights), {rounding_name} rounding")
        }
        Precision::Int8(c) => format!("int8, {}-bit master weights, {rounding_name} rounding", c.master_bits),
    };
    say!(
        "model {} ({}): {} layers, {} MACs per training sample (FP {}, BP {}, WG {})",
        model.spec.name,
        model.path.display(),
        model.geoms.len(),
        macs.fp + macs.bp + macs.wg,
        macs.fp,
        macs.bp,
        macs.wg
    );
    say!("data: {} ({} training, {} test samples)", data.description, data.split.train.len(), data.split.test.len());
    say!(
        "mode: {mode}, BP path {}, batch {}, seed {}",
        format!("{bp_path:?}").to_lowercase(),
        config.batch_size,
        args.seed
    );
    let storage = storage_report(&model.geoms);
    say!("{}", report::storage_text(&storage));

    let has_test = !data.split.test.is_empty();
    let evaluate = |tr: &Trainer| -> anyhow::Result<Option<train_math::Evaluation>> {
        Ok(if has_test {
            Some(tr.evaluate(&data.split.test).map_err(|e| InputError::new(e.to_string()).fix(e.fix()))?)
        } else {
            None
        })
    };
    let initial = if args.pretrained.is_some() { evaluate(&trainer)? } else { None };
    if let Some(e) = initial {
        say!("before training: test loss {:.4}, test accuracy {:.2}%", e.loss, 100.0 * e.accuracy);
    }
    let bar = ProgressBar::with_draw_target(
        Some((args.epochs * data.split.train.len()) as u64),
        ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} samples, epoch {msg} [{elapsed_precise}, eta {eta}]")
            .expect("valid template"),
    );
    let mut epochs = Vec::new();
    for e in 0..args.epochs {
        bar.set_message(format!("{}/{}", e + 1, args.epochs));
        let base = (e * data.split.train.len()) as u64;
        let m = trainer
            .train_epoch_observed(&data.split.train, &WholeLayer, &mut |done| bar.set_position(base + done as u64))
            .map_err(|err| InputError::new(err.to_string()).field("--dataset").fix(err.fix()))?;
        let test = evaluate(&trainer)?;
        let line = match test {
            Some(t) => format!(
                "epoch {}/{}: train loss {:.4}, train accuracy {:.2}%, test loss {:.4}, test accuracy {:.2}%",
                m.epoch,
                args.epochs,
                m.train_loss,
                100.0 * m.train_accuracy,
                t.loss,
                100.0 * t.accuracy
            ),
            None => format!(
                "epoch {}/{}: train loss {:.4}, train accuracy {:.2}% (no test set)",
                m.epoch,
                args.epochs,
                m.train_loss,
                100.0 * m.train_accuracy
            ),
        };
        bar.suspend(|| say!("{line}"));
        epochs.push(EpochRecord {
            epoch: m.epoch,
            steps: m.steps,
            train_loss: m.train_loss,
            train_accuracy: m.train_accuracy,
            test_loss: test.map(|t| t.loss),
            test_accuracy: test.map(|t| t.accuracy),
        });
    }
    bar.finish_and_clear();

    if let Some(dir) = &args.save {
        weights_dir::save(dir, &model.spec.name, &model.geoms, &trainer.weights())
            .with_context(|| format!("writing weights to {}", dir.display()))?;
        say!("weights saved to {}", dir.display());
    }
    if let Some(dir) = &args.out {
        let metrics = Metrics {
            model: model.spec.name.clone(),
            dataset: args.dataset.clone(),
            precision: if matches!(precision, Precision::F32) { "f32".into() } else { "int8".into() },
            master_bits: match precision {
                Precision::Int8(c) => Some(c.master_bits),
                Precision::F32 => None,
            },
            rounding: matches!(precision, Precision::Int8(_)).then(|| rounding_name.clone()),
            bp_path: format!("{bp_path:?}").to_lowercase(),
            batch_size: config.batch_size,
            seed: args.seed,
            macs_per_sample: macs,
            initial_test_loss: initial.map(|e| e.loss),
            initial_test_accuracy: initial.map(|e| e.accuracy),
            epochs,
        };
        let mut m = serde_json::to_string_pretty(&metrics)?;
        m.push('\n');
        let mut s = serde_json::to_string_pretty(&report::storage_json(&storage))?;
        s.push('\n');
        let mut files = OutDir::new();
        files.add("metrics.json", m);
        files.add("storage.json", s);
        files.commit(dir, false)?;
        say!("metrics written to {}", dir.display());
    }
    Ok(())
}
