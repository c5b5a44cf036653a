//! The standalone trainer: epochs of mini-batch steps composed of the kernels (whole-layer
//! tiles by default, any [`Tiling`] on request).

use crate::buffers::GradAccum;
use crate::calibrate::calibrate;
use crate::data::{image_to_float, image_to_i8, DataError, Dataset, Misfit};
use crate::error::Error;
use crate::fixed::Rounding;
use crate::model::{init_weights, FloatModel, Int8Layer, Int8Model, Precision, QuantState, StepStats, TrainConfig};
use crate::rng::SplitMix64;
use crate::spec::{LayerGeom, ModelSpec};
use crate::step::{float_forward, float_train_sample, int8_forward, int8_train_sample, SampleKey, Tiling, WholeLayer};
use crate::update::MasterTensor;
use crate::weights::{tensor_name, Int8Snapshot, LayerWeights, Weights};

/// The numeric state of the model being trained.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelState {
    F32(FloatModel<f32>),
    Int8(Int8Model),
}

/// Training figures of one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    pub steps: usize,
    pub samples: usize,
    /// Mean loss and accuracy of the training samples, as seen during the epoch's FP.
    pub train_loss: f64,
    pub train_accuracy: f64,
}

/// Loss and accuracy of a model on a data set (FP only, nothing changes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub samples: usize,
    pub loss: f64,
    pub accuracy: f64,
}

/// Trains one model on mini-batches. See the crate docs for the step sequence.
#[derive(Clone, Debug)]
pub struct Trainer {
    pub spec: ModelSpec,
    pub geoms: Vec<LayerGeom>,
    pub config: TrainConfig,
    pub state: ModelState,
    /// Mini-batch steps done (keys the stochastic rounding).
    pub step: u64,
    pub epochs_done: usize,
    calibrated: bool,
}

fn config_err(field: &str, message: String, fix: &str) -> Error {
    Error::Config { field: field.into(), message, fix: fix.into() }
}

impl Trainer {
    /// A model with fresh He-uniform weights drawn from the config's seed.
    pub fn new(spec: &ModelSpec, config: TrainConfig) -> Result<Self, Error> {
        let geoms = spec.geometry()?;
        let reals = init_weights(&geoms, config.seed);
        Self::build(spec, geoms, config, &reals, None)
    }

    /// A model starting from given weights (e.g. pre-trained). Int8 weights that carry an
    /// [`Int8Snapshot`] with the same master width resume exactly; others are re-quantised and
    /// calibrated on the first mini-batch.
    pub fn with_weights(spec: &ModelSpec, config: TrainConfig, weights: &Weights) -> Result<Self, Error> {
        let geoms = spec.geometry()?;
        if weights.layers.len() != geoms.len() {
            return Err(Error::Weights {
                tensor: None,
                message: format!("{} layers of weights for a model of {} layers", weights.layers.len(), geoms.len()),
                fix: "load weights saved from this model".into(),
            });
        }
        for (g, lw) in geoms.iter().zip(&weights.layers) {
            for (bias, have, want) in [(false, lw.weight.len(), g.weight_len()), (true, lw.bias.len(), g.conv_out.c)] {
                if have != want {
                    return Err(Error::Weights {
                        tensor: Some(tensor_name(g.index, bias)),
                        message: format!("{have} values where the model needs {want}"),
                        fix: "load weights saved from this model (same layers and shapes)".into(),
                    });
                }
            }
        }
        let reals: Vec<(Vec<f64>, Vec<f64>)> = weights
            .layers
            .iter()
            .map(|l| (l.weight.iter().map(|&v| v as f64).collect(), l.bias.iter().map(|&v| v as f64).collect()))
            .collect();
        Self::build(spec, geoms, config, &reals, weights.int8.as_ref())
    }

    fn build(
        spec: &ModelSpec,
        geoms: Vec<LayerGeom>,
        config: TrainConfig,
        reals: &[(Vec<f64>, Vec<f64>)],
        snap: Option<&Int8Snapshot>,
    ) -> Result<Self, Error> {
        check_config(&config)?;
        let mut calibrated = true;
        let state = match config.precision {
            Precision::F32 => ModelState::F32(FloatModel::from_reals(reals)),
            Precision::Int8(c) => {
                let n = geoms.len();
                let exact = snap.filter(|s| {
                    s.master_bits == c.master_bits
                        && [s.weight_exp.len(), s.bias_exp.len(), s.act_exp.len(), s.err_exp.len()] == [n; 4]
                });
                match exact {
                    Some(s) => {
                        let layers = reals
                            .iter()
                            .enumerate()
                            .map(|(l, (w, b))| {
                                Int8Layer::new(
                                    MasterTensor::at_exp(w, c.master_bits, s.weight_exp[l]),
                                    MasterTensor::at_exp(b, c.master_bits, s.bias_exp[l]),
                                )
                            })
                            .collect();
                        let mut m = Int8Model {
                            layers,
                            quant: QuantState { act_exp: s.act_exp.clone(), err_exp: s.err_exp.clone() },
                            config: c,
                        };
                        m.refresh_biases();
                        ModelState::Int8(m)
                    }
                    None => {
                        calibrated = false;
                        ModelState::Int8(Int8Model::from_reals(reals, c))
                    }
                }
            }
        };
        Ok(Trainer { spec: spec.clone(), geoms, config, state, step: 0, epochs_done: 0, calibrated })
    }

    /// Check that a data set fits the model: image shape and labels.
    pub fn check_dataset(&self, data: &Dataset) -> Result<(), Error> {
        data.check_fits(self.spec.input, self.spec.classes).map_err(|m| {
            let fix = match m {
                Misfit::Shape { .. } => "use a model whose input shape matches the data set",
                Misfit::Label { .. } => "fix the labels or raise `classes` in the model",
            };
            DataError::new(format!("model '{}': {m}", self.spec.name), fix).into()
        })
    }

    /// The order in which epoch `epoch` (0-based) visits `n` training samples; mini-batches
    /// are consecutive chunks of `batch_size` (the last may be smaller).
    pub fn epoch_order(&self, epoch: usize, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        SplitMix64::derived(self.config.seed, &[0x5eed, epoch as u64]).shuffle(&mut order);
        order
    }

    /// Give an int8 model without exponents its starting exponents, from the first
    /// mini-batch training will see ([`calibrate`]). Training does this by itself; call it
    /// before evaluating a model that has not trained yet. A no-op otherwise.
    pub fn prepare(&mut self, train: &Dataset) -> Result<(), Error> {
        self.check_dataset(train)?;
        if self.calibrated || train.is_empty() {
            return Ok(());
        }
        let order = self.epoch_order(self.epochs_done, train.len());
        let batch = &order[..self.config.batch_size.min(order.len())];
        if let ModelState::Int8(m) = &mut self.state {
            let images: Vec<Vec<i8>> = batch.iter().map(|&i| image_to_i8(train.image(i))).collect();
            let labels: Vec<usize> = batch.iter().map(|&i| train.label(i)).collect();
            calibrate(m, &self.geoms, &images, &labels);
        }
        self.calibrated = true;
        Ok(())
    }

    /// One epoch over `data` in a seeded random order, whole-layer tiles.
    pub fn train_epoch(&mut self, data: &Dataset) -> Result<EpochMetrics, Error> {
        self.train_epoch_tiled(data, &WholeLayer)
    }

    /// One epoch with the given tiling (the result does not depend on it).
    pub fn train_epoch_tiled(&mut self, data: &Dataset, tiling: &dyn Tiling) -> Result<EpochMetrics, Error> {
        self.train_epoch_observed(data, tiling, &mut |_| {})
    }

    /// One epoch, calling `progress(samples done)` after every mini-batch.
    pub fn train_epoch_observed(
        &mut self,
        data: &Dataset,
        tiling: &dyn Tiling,
        progress: &mut dyn FnMut(usize),
    ) -> Result<EpochMetrics, Error> {
        self.prepare(data)?;
        let order = self.epoch_order(self.epochs_done, data.len());
        let (mut loss, mut correct, mut steps, mut done) = (0.0, 0usize, 0usize, 0usize);
        let seed = self.config.seed;
        let opt = self.config.optimizer.at_epoch(self.epochs_done);
        let path = self.config.bp_path;
        for batch in order.chunks(self.config.batch_size) {
            match &mut self.state {
                ModelState::F32(m) => {
                    let mut grads: Vec<GradAccum<f32>> = self.geoms.iter().map(GradAccum::zeros).collect();
                    for &i in batch {
                        let x = image_to_float::<f32>(data.image(i));
                        let (r, _) =
                            float_train_sample(m, &self.geoms, &x, data.label(i), path, tiling, &mut grads, false);
                        loss += r.loss;
                        correct += (r.predicted == data.label(i)) as usize;
                    }
                    m.update(&grads, batch.len(), &opt);
                }
                ModelState::Int8(m) => {
                    let mut grads: Vec<GradAccum<i64>> = self.geoms.iter().map(GradAccum::zeros).collect();
                    let mut stats = StepStats::new(self.geoms.len());
                    for (s, &i) in batch.iter().enumerate() {
                        let key = SampleKey { seed, step: self.step, sample: s as u32 };
                        let r = int8_train_sample(
                            m,
                            &self.geoms,
                            &image_to_i8(data.image(i)),
                            data.label(i),
                            key,
                            path,
                            tiling,
                            &mut grads,
                            &mut stats,
                        );
                        loss += r.loss;
                        correct += (r.predicted == data.label(i)) as usize;
                    }
                    m.end_step(&grads, &stats, batch.len(), &opt, seed, self.step);
                }
            }
            self.step += 1;
            steps += 1;
            done += batch.len();
            progress(done);
        }
        self.epochs_done += 1;
        let n = data.len().max(1) as f64;
        Ok(EpochMetrics {
            epoch: self.epochs_done,
            steps,
            samples: data.len(),
            train_loss: loss / n,
            train_accuracy: correct as f64 / n,
        })
    }

    /// Loss and accuracy on `data` (int8 rounds to nearest-even here: evaluation is not noisy).
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation, Error> {
        self.check_dataset(data)?;
        let (mut loss, mut correct) = (0.0, 0usize);
        for i in 0..data.len() {
            let y = data.label(i);
            let (l, p) = match &self.state {
                ModelState::F32(m) => {
                    let (_, logits) = float_forward(m, &self.geoms, &image_to_float::<f32>(data.image(i)), &WholeLayer);
                    let o = crate::kernels::loss::loss_float(&logits, y);
                    (o.loss, o.predicted)
                }
                ModelState::Int8(m) => {
                    let key = SampleKey { seed: 0, step: 0, sample: 0 };
                    let (_, logits) = int8_forward(
                        m,
                        &self.geoms,
                        &image_to_i8(data.image(i)),
                        key,
                        &WholeLayer,
                        Rounding::NearestEven,
                        None,
                    );
                    let n = self.geoms.len();
                    let scale = crate::detmath::pow2(m.acc_exp(n - 1));
                    let z: Vec<f64> = logits.iter().map(|&v| v as f64 * scale).collect();
                    let (_, l, p) = crate::kernels::loss::softmax_xent(&z, y);
                    (l, p)
                }
            };
            loss += l;
            correct += (p == y) as usize;
        }
        let n = data.len().max(1) as f64;
        Ok(Evaluation { samples: data.len(), loss: loss / n, accuracy: correct as f64 / n })
    }

    /// The current weights as real numbers (int8: the master weights, exact in f32 for
    /// masters of up to 24 bits) plus the int8 exponents.
    pub fn weights(&self) -> Weights {
        match &self.state {
            ModelState::F32(m) => Weights {
                layers: m
                    .layers
                    .iter()
                    .map(|l| LayerWeights { weight: l.weights.clone(), bias: l.bias.clone() })
                    .collect(),
                int8: None,
            },
            ModelState::Int8(m) => Weights {
                layers: m
                    .layers
                    .iter()
                    .map(|l| LayerWeights {
                        weight: l.master_w.to_reals().iter().map(|&v| v as f32).collect(),
                        bias: l.master_b.to_reals().iter().map(|&v| v as f32).collect(),
                    })
                    .collect(),
                int8: Some(Int8Snapshot {
                    master_bits: m.config.master_bits,
                    weight_exp: m.layers.iter().map(|l| l.master_w.exp).collect(),
                    bias_exp: m.layers.iter().map(|l| l.master_b.exp).collect(),
                    act_exp: m.quant.act_exp.clone(),
                    err_exp: m.quant.err_exp.clone(),
                }),
            },
        }
    }
}

fn check_config(c: &TrainConfig) -> Result<(), Error> {
    if c.batch_size == 0 {
        return Err(config_err("batch_size", "must be at least 1".into(), "set batch_size to a positive integer"));
    }
    let o = &c.optimizer;
    if !(o.learning_rate.is_finite() && o.learning_rate > 0.0 && o.learning_rate < 64.0) {
        return Err(config_err(
            "optimizer.learning_rate",
            format!("{} is not in (0, 64)", o.learning_rate),
            "use a value such as 0.05",
        ));
    }
    if !(o.momentum.is_finite() && (0.0..1.0).contains(&o.momentum)) {
        return Err(config_err(
            "optimizer.momentum",
            format!("{} is not in [0, 1)", o.momentum),
            "use 0 (plain SGD) or e.g. 0.9",
        ));
    }
    if !(o.lr_decay.is_finite() && o.lr_decay > 0.0 && o.lr_decay <= 1.0) {
        return Err(config_err(
            "optimizer.lr_decay",
            format!("{} is not in (0, 1]", o.lr_decay),
            "use 1 (constant) or e.g. 0.9 per epoch",
        ));
    }
    if !(o.weight_decay.is_finite() && (0.0..1.0).contains(&o.weight_decay)) {
        return Err(config_err(
            "optimizer.weight_decay",
            format!("{} is not in [0, 1)", o.weight_decay),
            "use 0 or a small value such as 1e-4",
        ));
    }
    if let Precision::Int8(i) = c.precision {
        if !(8..=24).contains(&i.master_bits) {
            return Err(config_err(
                "int8.master_bits",
                format!("{} is not in 8..=24", i.master_bits),
                "use 16 or 24 (8 means plain int8, no wider masters)",
            ));
        }
    }
    Ok(())
}
