//! Training throughput of the standalone trainer (samples per second) in both numeric modes,
//! on paper-cnn (16x16 synthetic digits) and uci-cnn (8x8 UCI digits).
//!
//! `cargo bench --bench train` prints `thrpt: [.. elem/s ..]`: one element is one training
//! sample (FP + loss + BP + WG, and the WU at every mini-batch boundary).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::path::Path;
use std::time::Duration;
use tasim::train::model_file;
use train_math::data::synth::{generate, SynthKind};
use train_math::data::{uci, Dataset};
use train_math::{Int8Config, Precision, Rounding, TrainConfig, Trainer};

fn config(m: &model_file::LoadedModel, precision: Precision) -> TrainConfig {
    let t = &m.training;
    TrainConfig { batch_size: t.batch_size, optimizer: t.optimizer, precision, bp_path: t.bp_path.into(), seed: 1 }
}

fn bench_model(c: &mut Criterion, file: &str, data: &Dataset) {
    let m = model_file::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect("shipped model");
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

criterion_group!(benches, train_throughput);
criterion_main!(benches);
