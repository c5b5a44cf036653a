//! Gradient checks: f32 BP and WG against central finite differences (computed on the f64
//! instantiation of the same generic kernels, at the same f32-representable points).

use crate::buffers::GradAccum;
use crate::kernels::{float, loss, route};
use crate::model::{BpPath, FloatModel};
use crate::rng::SplitMix64;
use crate::spec::{LayerGeom, LayerKind, LayerSpec, ModelSpec};
use crate::step::{float_forward, float_train_sample, WholeLayer};
use crate::tensor::{Shape3, Tile};
use rstest::rstest;

/// ||a - b|| / ||b||.
fn rel_err(a: &[f32], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(&x, &y)| (x as f64 - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den.max(1e-30)).sqrt()
}

fn random(n: usize, r: &mut SplitMix64, scale: f64) -> Vec<f32> {
    (0..n).map(|_| r.uniform(-scale, scale) as f32).collect()
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// One layer, as the first of a two-layer model (the second only completes the model).
fn layer(input: Shape3, kind: LayerKind, relu: bool, pool: Option<usize>) -> LayerGeom {
    let spec = ModelSpec {
        name: "check".into(),
        input,
        classes: 2,
        layers: vec![
            LayerSpec { kind, relu, pool },
            LayerSpec { kind: LayerKind::Fc { out: 2 }, relu: false, pool: None },
        ],
    };
    spec.geometry().expect("valid test layer").remove(0)
}

/// L = sum(c * layer(x)) in f64.
fn functional(g: &LayerGeom, x: &[f64], w: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let t = float::fp_tile(g, x, w, b, &Tile::whole(g.output));
    t.out.iter().zip(c).map(|(y, c)| y * c).sum()
}

fn conv(c: usize, k: usize, s: usize, p: usize) -> LayerKind {
    LayerKind::Conv { out_channels: c, kernel: k, stride: s, padding: p }
}

#[rstest]
#[case::conv3x3(Shape3::new(2, 6, 6), conv(3, 3, 1, 1), false, None)]
#[case::conv3x3_stride2(Shape3::new(2, 7, 7), conv(3, 3, 2, 1), false, None)]
#[case::conv5x5_relu(Shape3::new(1, 8, 8), conv(2, 5, 1, 2), true, None)]
#[case::conv_relu_pool2(Shape3::new(2, 8, 8), conv(3, 3, 1, 1), true, Some(2))]
#[case::conv_pool3_uncovered(Shape3::new(1, 7, 8), conv(2, 2, 1, 0), false, Some(3))]
#[case::fc(Shape3::new(3, 2, 2), LayerKind::Fc { out: 5 }, false, None)]
#[case::fc_relu(Shape3::new(12, 1, 1), LayerKind::Fc { out: 6 }, true, None)]
fn layer_gradients_match_finite_differences(
    #[case] input: Shape3,
    #[case] kind: LayerKind,
    #[case] relu: bool,
    #[case] pool: Option<usize>,
) {
    let g = layer(input, kind, relu, pool);
    let mut r = SplitMix64::new(42 + g.weight_len() as u64);
    let x = random(g.input.len(), &mut r, 1.0);
    let w = random(g.weight_len(), &mut r, 0.5);
    let b = random(g.conv_out.c, &mut r, 0.2);
    let c = random(g.output.len(), &mut r, 1.0);
    // Analytic, in f32: route the upstream error, then BP and WG.
    let fp = float::fp_tile(&g, &x, &w, &b, &Tile::whole(g.output));
    let mut lf = crate::buffers::LayerFp::new(&g);
    lf.place(&g, &fp);
    let dz = route::route_mask(&g, &c, &lf.mask, 0..g.conv_out.c);
    let dx = float::bp_tile(&g, &dz, &w, &Tile::whole(g.input)).out;
    let wg = float::wg_tile(&g, &x, &dz, 0..g.conv_out.c);
    // Numeric, in f64.
    let (xd, wd, bd, cd) = (widen(&x), widen(&w), widen(&b), widen(&c));
    let h = 1e-6;
    let fd = |which: usize, i: usize| {
        let (mut a, mut z) = ([xd.clone(), wd.clone(), bd.clone()], [xd.clone(), wd.clone(), bd.clone()]);
        a[which][i] += h;
        z[which][i] -= h;
        (functional(&g, &a[0], &a[1], &a[2], &cd) - functional(&g, &z[0], &z[1], &z[2], &cd)) / (2.0 * h)
    };
    let nx: Vec<f64> = (0..x.len()).map(|i| fd(0, i)).collect();
    let nw: Vec<f64> = (0..w.len()).map(|i| fd(1, i)).collect();
    let nb: Vec<f64> = (0..b.len()).map(|i| fd(2, i)).collect();
    assert!(nx.iter().any(|v| v.abs() > 1e-3), "degenerate check: no input gradient");
    assert!(rel_err(&dx, &nx) < 1e-3, "BP: {}", rel_err(&dx, &nx));
    assert!(rel_err(&wg.weights, &nw) < 1e-3, "WG weights: {}", rel_err(&wg.weights, &nw));
    assert!(rel_err(&wg.bias, &nb) < 1e-3, "WG bias: {}", rel_err(&wg.bias, &nb));
}

#[test]
fn softmax_cross_entropy_gradient_matches_finite_differences() {
    let mut r = SplitMix64::new(3);
    let z = random(7, &mut r, 3.0);
    let analytic = loss::loss_float(&z, 4).delta;
    let zd = widen(&z);
    let h = 1e-6;
    let numeric: Vec<f64> = (0..7)
        .map(|i| {
            let (mut a, mut b) = (zd.clone(), zd.clone());
            a[i] += h;
            b[i] -= h;
            (loss::softmax_xent(&a, 4).1 - loss::softmax_xent(&b, 4).1) / (2.0 * h)
        })
        .collect();
    assert!(rel_err(&analytic, &numeric) < 1e-3);
}

#[rstest]
#[case::mask(BpPath::Mask)]
#[case::activations(BpPath::Activations)]
fn whole_model_gradients_match_finite_differences(#[case] path: BpPath) {
    let spec = ModelSpec {
        name: "check".into(),
        input: Shape3::new(1, 8, 8),
        classes: 10,
        layers: vec![
            LayerSpec { kind: conv(3, 3, 1, 1), relu: true, pool: Some(2) },
            LayerSpec { kind: conv(4, 3, 1, 1), relu: true, pool: Some(2) },
            LayerSpec { kind: LayerKind::Fc { out: 6 }, relu: true, pool: None },
            LayerSpec { kind: LayerKind::Fc { out: 10 }, relu: false, pool: None },
        ],
    };
    let geoms = spec.geometry().unwrap();
    let mut r = SplitMix64::new(11);
    let reals: Vec<(Vec<f64>, Vec<f64>)> = crate::model::init_weights(&geoms, 5)
        .into_iter()
        .map(|(w, b)| {
            (
                widen(&w.iter().map(|&v| v as f32).collect::<Vec<_>>()),
                b.iter().map(|_| r.uniform(0.0, 0.1) as f32 as f64).collect(),
            )
        })
        .collect();
    let image = random(64, &mut r, 1.0);
    let label = 3;
    let m32: FloatModel<f32> = FloatModel::from_reals(&reals);
    let mut grads: Vec<GradAccum<f32>> = geoms.iter().map(GradAccum::zeros).collect();
    let (_, dx) = float_train_sample(&m32, &geoms, &image, label, path, &WholeLayer, &mut grads, true);
    let loss64 = |m: &FloatModel<f64>, x: &[f64]| {
        let (_, logits) = float_forward(m, &geoms, x, &WholeLayer);
        loss::softmax_xent(&logits, label).1
    };
    let m64: FloatModel<f64> = FloatModel::from_reals(&reals);
    let x64 = widen(&image);
    let h = 1e-6;
    for l in 0..geoms.len() {
        let numeric: Vec<f64> = (0..reals[l].0.len())
            .map(|i| {
                let (mut a, mut b) = (m64.clone(), m64.clone());
                a.layers[l].weights[i] += h;
                b.layers[l].weights[i] -= h;
                (loss64(&a, &x64) - loss64(&b, &x64)) / (2.0 * h)
            })
            .collect();
        let e = rel_err(&grads[l].weights, &numeric);
        assert!(e < 1e-3, "layer {l} WG: {e}");
        let numeric_b: Vec<f64> = (0..reals[l].1.len())
            .map(|i| {
                let (mut a, mut b) = (m64.clone(), m64.clone());
                a.layers[l].bias[i] += h;
                b.layers[l].bias[i] -= h;
                (loss64(&a, &x64) - loss64(&b, &x64)) / (2.0 * h)
            })
            .collect();
        assert!(rel_err(&grads[l].bias, &numeric_b) < 1e-3, "layer {l} bias");
    }
    let numeric_x: Vec<f64> = (0..64)
        .map(|i| {
            let (mut a, mut b) = (x64.clone(), x64.clone());
            a[i] += h;
            b[i] -= h;
            (loss64(&m64, &a) - loss64(&m64, &b)) / (2.0 * h)
        })
        .collect();
    let e = rel_err(&dx.unwrap(), &numeric_x);
    assert!(e < 1e-3, "BP to the image: {e}");
}
