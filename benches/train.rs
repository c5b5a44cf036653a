//! Training throughput of the standalone trainer, and of its conv/FC kernels.
//!
//! `cargo bench --bench train` prints, per criterion function, `thrpt: [.. elem/s ..]`:
//! * `train/<model>/<mode>`: one element is one training sample (FP + loss + BP + WG, and the
//!   WU at every mini-batch boundary), on paper-cnn (16x16 synthetic digits) and uci-cnn (8x8
//!   UCI digits).
//! * `kernels/paper-cnn/<kernel>/<mode>/<before|after>`: one element is one multiply-accumulate
//!   (the MACs `LayerGeom` counts, padding taps excluded): the kernel over every layer of
//!   paper-cnn for one sample, `before` = the direct loops (`kernels::reference`), `after` =
//!   the packed kernels (`kernels::conv`), measured in the same run.
//!
//! Then (unless a name filter excludes `kernels/paper-cnn/before-after`) it prints a table of
//! before and after in G MAC/s from interleaved runs (median of 15 rounds), so both see the
//! same machine load.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};
use tasim::train::model_file;
use train_math::data::synth::{generate, SynthKind};
use train_math::data::{uci, Dataset};
use train_math::kernels::{conv, reference};
use train_math::rng::SplitMix64;
use train_math::spec::LayerGeom;
use train_math::tensor::Element;
use train_math::{Int8Config, Precision, Rounding, TrainConfig, Trainer};

fn load(file: &str) -> model_file::LoadedModel {
    model_file::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect("shipped model")
}

fn config(m: &model_file::LoadedModel, precision: Precision) -> TrainConfig {
    let t = &m.training;
    TrainConfig { batch_size: t.batch_size, optimizer: t.optimizer, precision, bp_path: t.bp_path.into(), seed: 1 }
}

fn bench_model(c: &mut Criterion, file: &str, data: &Dataset) {
    let m = load(file);
    let mut group = c.benchmark_group(format!("train/{}", m.spec.name));
    group.throughput(Throughput::Elements(data.len() as u64));
    group.sample_size(10).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    let modes = [
        ("f32", Precision::F32),
        ("int8", Precision::Int8(Int8Config { master_bits: 16, rounding: Rounding::Stochastic })),
    ];
    for (name, precision) in modes {
        let mut trainer = Trainer::new(&m.spec, config(&m, precision)).expect("valid config");
        trainer.train_epoch(data).expect("data fits"); // calibrates int8 scales outside the timing
        group.bench_function(name, |b| {
            b.iter_batched(|| trainer.clone(), |mut t| t.train_epoch(data).expect("data fits"), BatchSize::LargeInput)
        });
    }
    group.finish();
}

fn train_throughput(c: &mut Criterion) {
    let personal = generate(SynthKind::Personal, 2020, 16, 16).train;
    bench_model(c, "models/paper-cnn.yaml", &personal);
    let digits = uci::embedded().train;
    let first256: Vec<usize> = (0..256).collect();
    bench_model(c, "models/uci-cnn.yaml", &digits.subset(&first256));
}

/// One layer's operands: input, weights, conv-output error (random, fixed seed).
struct Operands<T> {
    x: Vec<T>,
    w: Vec<T>,
    d: Vec<T>,
}

fn operands<T>(g: &LayerGeom, mut draw: impl FnMut() -> T) -> Operands<T> {
    let mut v = |n: usize| (0..n).map(|_| draw()).collect::<Vec<T>>();
    Operands { x: v(g.input.len()), w: v(g.weight_len()), d: v(g.conv_out.len()) }
}

/// The three kernels; `before` picks the direct loops.
#[derive(Clone, Copy)]
enum Kernel {
    Fp,
    Bp,
    Wg,
}

impl Kernel {
    const ALL: [(Kernel, &'static str); 3] = [(Kernel::Fp, "fp"), (Kernel::Bp, "bp"), (Kernel::Wg, "wg")];

    fn macs(self, layers: &[LayerGeom]) -> u64 {
        layers
            .iter()
            .map(|g| match self {
                Kernel::Fp => g.fp_macs(),
                Kernel::Bp => g.bp_macs(),
                Kernel::Wg => g.wg_macs(),
            })
            .sum()
    }

    /// The kernel over every layer for one sample (BP skips layer 0, as training does).
    fn run<T: Element>(self, layers: &[LayerGeom], ops: &[Operands<T>], before: bool) {
        for (g, o) in layers.iter().zip(ops) {
            let (c, h) = (g.conv_out.c, g.conv_out.h);
            match (self, before) {
                (Kernel::Fp, false) => drop(black_box(conv::fp_acc(g, &o.x, &o.w, 0..c, 0..h))),
                (Kernel::Fp, true) => drop(black_box(reference::fp_acc(g, &o.x, &o.w, 0..c, 0..h))),
                (Kernel::Bp, _) if g.index == 0 => {}
                (Kernel::Bp, false) => drop(black_box(conv::bp_acc(g, &o.d, &o.w, 0..g.input.c, 0..g.input.h))),
                (Kernel::Bp, true) => drop(black_box(reference::bp_acc(g, &o.d, &o.w, 0..g.input.c, 0..g.input.h))),
                (Kernel::Wg, false) => drop(black_box(conv::wg_acc(g, &o.x, &o.d, 0..c))),
                (Kernel::Wg, true) => drop(black_box(reference::wg_acc(g, &o.x, &o.d, 0..c))),
            }
        }
    }
}

fn paper_layers() -> Vec<LayerGeom> {
    load("models/paper-cnn.yaml").spec.geometry().expect("valid model")
}

fn paper_operands(layers: &[LayerGeom]) -> (Vec<Operands<i8>>, Vec<Operands<f32>>) {
    let mut r = SplitMix64::new(9);
    let i8s = layers.iter().map(|g| operands(g, || (r.below(256) as u8) as i8)).collect();
    let f32s = layers.iter().map(|g| operands(g, || r.uniform(-1.0, 1.0) as f32)).collect();
    (i8s, f32s)
}

fn kernel_throughput(c: &mut Criterion) {
    let layers = paper_layers();
    let (ops_i8, ops_f32) = paper_operands(&layers);
    let mut group = c.benchmark_group("kernels/paper-cnn");
    group.sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for (kernel, name) in Kernel::ALL {
        group.throughput(Throughput::Elements(kernel.macs(&layers)));
        for (when, before) in [("before", true), ("after", false)] {
            group.bench_function(format!("{name}/int8/{when}"), |b| b.iter(|| kernel.run(&layers, &ops_i8, before)));
            group.bench_function(format!("{name}/f32/{when}"), |b| b.iter(|| kernel.run(&layers, &ops_f32, before)));
        }
    }
    group.finish();
}

/// G MAC/s of `kernel`, before and after, from interleaved rounds of about 20 ms each.
fn side_by_side<T: Element>(kernel: Kernel, layers: &[LayerGeom], ops: &[Operands<T>]) -> (f64, f64) {
    let macs = kernel.macs(layers) as f64;
    let mut rates = [Vec::new(), Vec::new()];
    for _ in 0..15 {
        for (side, before) in [(0, true), (1, false)] {
            let (start, mut reps) = (Instant::now(), 0u32);
            while start.elapsed() < Duration::from_millis(20) {
                kernel.run(layers, ops, before);
                reps += 1;
            }
            rates[side].push(macs * reps as f64 / start.elapsed().as_secs_f64() / 1e9);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut rates[0]), median(&mut rates[1]))
}

/// Whether this run asked for the table: not when profiling, nor when a name filter excludes
/// `kernels/paper-cnn/before-after`.
fn table_wanted() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filtered_out = args
        .iter()
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .any(|f| !"kernels/paper-cnn/before-after".contains(f.as_str()));
    !filtered_out && !args.iter().any(|a| a == "--profile-time")
}

fn before_after_table(_: &mut Criterion) {
    if !table_wanted() {
        return;
    }
    let layers = paper_layers();
    let (ops_i8, ops_f32) = paper_operands(&layers);
    println!("\nkernels on paper-cnn, one sample, G MAC/s (median of 15 interleaved rounds):");
    println!("{:<6} {:>12} {:>10} {:>10} {:>8}", "kernel", "MACs/sample", "before", "after", "speedup");
    for (kernel, name) in Kernel::ALL {
        for (mode, (b, a)) in
            [("int8", side_by_side(kernel, &layers, &ops_i8)), ("f32", side_by_side(kernel, &layers, &ops_f32))]
        {
            let label = format!("{name} {mode}");
            println!("{label:<10} {:>8} {b:>10.2} {a:>10.2} {:>7.1}x", kernel.macs(&layers), a / b);
        }
    }
}

criterion_group!(benches, kernel_throughput, before_after_table, train_throughput);
criterion_main!(benches);
