//! Training-level invariants: any tiling gives the whole-layer bytes, the mask path equals
//! the activation path, and the same seed gives the same weights.

use crate::data::synth::{generate, SynthKind};
use crate::data::Dataset;
use crate::fixed::Rounding;
use crate::model::{BpPath, Int8Config, Precision, TrainConfig};
use crate::rng::SplitMix64;
use crate::spec::{LayerGeom, LayerKind, LayerSpec, ModelSpec};
use crate::step::{Tiling, WholeLayer};
use crate::tensor::{Shape3, Tile};
use crate::trainer::Trainer;
use crate::update::Optimizer;
use rstest::rstest;
use std::ops::Range;

fn spec() -> ModelSpec {
    let conv = |c, pool| LayerSpec {
        kind: LayerKind::Conv { out_channels: c, kernel: 3, stride: 1, padding: 1 },
        relu: true,
        pool,
    };
    ModelSpec {
        name: "small".into(),
        input: Shape3::new(1, 12, 12),
        classes: 10,
        layers: vec![
            conv(5, Some(2)),
            conv(7, None),
            conv(6, Some(3)),
            LayerSpec { kind: LayerKind::Fc { out: 9 }, relu: true, pool: None },
            LayerSpec { kind: LayerKind::Fc { out: 10 }, relu: false, pool: None },
        ],
    }
}

fn config(precision: Precision, path: BpPath, seed: u64) -> TrainConfig {
    TrainConfig {
        batch_size: 6,
        optimizer: Optimizer { lr_decay: 0.9, ..Optimizer::sgd(0.05, 0.9, 1e-4) },
        precision,
        bp_path: path,
        seed,
    }
}

const INT8: Precision = Precision::Int8(Int8Config { master_bits: 16, rounding: Rounding::Stochastic });

fn data() -> Dataset {
    let d = generate(SynthKind::Population, 9, 12, 12).train;
    d.subset(&(0..40).collect::<Vec<_>>())
}

fn train(cfg: TrainConfig, tiling: &dyn Tiling, epochs: usize) -> Trainer {
    let mut t = Trainer::new(&spec(), cfg).unwrap();
    for _ in 0..epochs {
        t.train_epoch_tiled(&data(), tiling).unwrap();
    }
    t
}

/// Cuts each range into 1..=3 uneven parts, differently for every layer and seed.
struct RandomTiling(u64);

fn cut(r: &mut SplitMix64, n: usize) -> Vec<Range<usize>> {
    let parts = 1 + r.below(3).min(n - 1);
    let mut cuts: Vec<usize> = (0..parts - 1).map(|_| 1 + r.below(n - 1)).collect();
    cuts.extend([0, n]);
    cuts.sort();
    cuts.dedup();
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

impl RandomTiling {
    fn tiles(&self, g: &LayerGeom, kind: u64, shape: Shape3) -> Vec<Tile> {
        let mut r = SplitMix64::derived(self.0, &[g.index as u64, kind]);
        let chans = cut(&mut r, shape.c);
        let rows = cut(&mut r, shape.h);
        // Reverse order too: tiles may be computed in any order.
        let mut v: Vec<Tile> =
            chans.iter().flat_map(|c| rows.iter().map(|rw| Tile { channels: c.clone(), rows: rw.clone() })).collect();
        v.reverse();
        v
    }
}

impl Tiling for RandomTiling {
    fn fp_tiles(&self, g: &LayerGeom) -> Vec<Tile> {
        self.tiles(g, 1, g.output)
    }
    fn bp_tiles(&self, g: &LayerGeom) -> Vec<Tile> {
        self.tiles(g, 2, g.input)
    }
    fn wg_tiles(&self, g: &LayerGeom) -> Vec<Range<usize>> {
        cut(&mut SplitMix64::derived(self.0, &[g.index as u64, 3]), g.conv_out.c)
    }
}

#[rstest]
#[case(1)]
#[case(2)]
#[case(3)]
fn any_tiling_trains_bit_identically_to_whole_layers(#[case] seed: u64) {
    let whole = train(config(INT8, BpPath::Mask, 1), &WholeLayer, 1);
    let tiled = train(config(INT8, BpPath::Mask, 1), &RandomTiling(seed), 1);
    assert_eq!(whole.state, tiled.state);
    assert!(RandomTiling(seed).fp_tiles(&whole.geoms[0]).len() > 1 || seed == 1);
}

#[test]
fn f32_tiling_is_bit_identical_too() {
    let cfg = config(Precision::F32, BpPath::Mask, 1);
    assert_eq!(train(cfg.clone(), &WholeLayer, 1).state, train(cfg, &RandomTiling(2), 1).state);
}

#[rstest]
#[case::f32(Precision::F32)]
#[case::int8_stochastic(INT8)]
#[case::plain_int8_nearest(Precision::Int8(Int8Config { master_bits: 8, rounding: Rounding::NearestEven }))]
fn mask_path_trains_bit_identically_to_activation_path(#[case] precision: Precision) {
    let a = train(config(precision, BpPath::Mask, 4), &WholeLayer, 2);
    let b = train(config(precision, BpPath::Activations, 4), &WholeLayer, 2);
    assert_eq!(a.state, b.state);
    // And training did move the weights.
    assert_ne!(a.weights(), Trainer::new(&spec(), config(precision, BpPath::Mask, 4)).unwrap().weights());
}

#[rstest]
#[case::f32(Precision::F32)]
#[case::int8(INT8)]
fn same_seed_same_weights_other_seed_other_weights(#[case] precision: Precision) {
    let a = train(config(precision, BpPath::Mask, 7), &WholeLayer, 2);
    let b = train(config(precision, BpPath::Mask, 7), &WholeLayer, 2);
    let c = train(config(precision, BpPath::Mask, 8), &WholeLayer, 2);
    assert_eq!(a.weights(), b.weights());
    assert_ne!(a.weights(), c.weights());
}

/// The step sequence of the crate docs, written out by hand with the kernels (samples of each
/// mini-batch in reverse order, tiles of two channels), trains exactly like the trainer.
#[test]
fn documented_step_sequence_reproduces_the_trainer() {
    use crate::buffers::{GradAccum, LayerFp};
    use crate::data::image_to_i8;
    use crate::kernels::{int8, loss, route};
    use crate::model::StepStats;
    use crate::rng::TensorKind;
    use crate::step::SampleKey;
    use crate::trainer::ModelState;

    let cfg = config(INT8, BpPath::Mask, 3);
    let data = data();
    let mut reference = Trainer::new(&spec(), cfg.clone()).unwrap();
    reference.train_epoch(&data).unwrap();

    let mut t = Trainer::new(&spec(), cfg.clone()).unwrap();
    t.prepare(&data).unwrap();
    let geoms = t.geoms.clone();
    let n = geoms.len();
    let ModelState::Int8(mut m) = t.state.clone() else { unreachable!() };
    let two = |c: usize| (0..c).step_by(2).map(move |s| s..(s + 2).min(c));
    let opt = cfg.optimizer.at_epoch(0);
    let rounding = m.config.rounding;
    for (step, batch) in t.epoch_order(0, data.len()).chunks(cfg.batch_size).enumerate() {
        let mut grads: Vec<GradAccum<i64>> = geoms.iter().map(GradAccum::zeros).collect();
        let mut stats = StepStats::new(n);
        for (s, &i) in batch.iter().enumerate().rev() {
            let key = SampleKey { seed: cfg.seed, step: step as u64, sample: s as u32 };
            let image = image_to_i8(data.image(i));
            // FP (propagation cores): fused conv + ReLU + pool tiles, masks kept.
            let mut fps: Vec<LayerFp<i8>> = Vec::new();
            for (l, g) in geoms[..n - 1].iter().enumerate() {
                let input = if l == 0 { &image } else { &fps[l - 1].out };
                let q = int8::Requant { shift: m.fp_shift(l), rounding, stream: key.stream(l, TensorKind::Activation) };
                let mut fp = LayerFp::new(g);
                for ch in two(g.output.c) {
                    let tile =
                        int8::fp_tile(g, input, &m.layers[l].w, &m.layers[l].b, &q, &Tile::channels(ch, g.output));
                    stats.act_max[l] = stats.act_max[l].max(tile.max_abs_acc);
                    fp.place(g, &tile);
                }
                fps.push(fp);
            }
            // Logits and loss (update core).
            let last = &geoms[n - 1];
            let logits = int8::fp_logits(last, &fps[n - 2].out, &m.layers[n - 1].w, &m.layers[n - 1].b);
            let lo = loss::loss_i8(
                &logits,
                m.acc_exp(n - 1),
                data.label(i),
                m.quant.err_exp[n - 1],
                rounding,
                &key.stream(n - 1, TensorKind::LossError),
            );
            stats.loss_max = stats.loss_max.max(lo.max_abs_delta);
            // BP with masks, WG accumulated per filter range.
            let mut delta = lo.delta;
            for l in (0..n).rev() {
                let g = &geoms[l];
                let dz = if l == n - 1 {
                    delta.clone()
                } else {
                    route::route_mask(g, &delta, &fps[l].mask, 0..g.conv_out.c)
                };
                let input = if l == 0 { &image } else { &fps[l - 1].out };
                if l > 0 {
                    let q = int8::Requant { shift: m.bp_shift(l), rounding, stream: key.stream(l, TensorKind::Error) };
                    let mut next = vec![0i8; g.input.len()];
                    for ch in two(g.input.c) {
                        let tile = int8::bp_tile(g, &dz, &m.layers[l].w, &q, &Tile::channels(ch, g.input));
                        stats.err_max[l - 1] = stats.err_max[l - 1].max(tile.max_abs_acc);
                        crate::buffers::place_bp(g, &tile, &mut next);
                    }
                    delta = next;
                }
                for f in two(g.conv_out.c) {
                    grads[l].add(g, &int8::wg_tile(g, input, &dz, f));
                }
            }
        }
        // WU and the step boundary.
        m.end_step(&grads, &stats, batch.len(), &opt, cfg.seed, step as u64);
    }
    assert_eq!(ModelState::Int8(m), reference.state);
}
