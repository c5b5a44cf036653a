//! The paper chip end to end: elaboration (loading the model, data and weights) plus three
//! simulated epochs of personalisation. Criterion reports runs per second; the bench also
//! prints kernel events per second and simulated cycles (50 MHz) per second.
//!
//! `three_epochs_with_timeline` is the same run writing a `--timeline` (fine detail, the
//! largest) to a temporary file, side by side with `three_epochs` (issue 12 asks for
//! within 2x).
//!
//! `cargo bench --bench chip`

use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use tasim::elaborate::{elaborate, Options};
use tasim::timeline::{Detail, Timeline, TimelineOptions};
use tasim::topology;

fn run_chip() -> (u64, u64) {
    let topo = topology::load(Path::new("topologies/paper-chip.yaml"), &[]).expect("the shipped topology loads");
    let mut sim = elaborate(&topo, Options::default()).expect("and elaborates");
    sim.run().expect("and runs");
    let r = sim.finish();
    (r.events, r.end.as_ps())
}

/// As `run_chip`, writing a fine timeline to `out`; returns its events.
fn run_chip_with_timeline(out: &Path) -> u64 {
    let topo = topology::load(Path::new("topologies/paper-chip.yaml"), &[]).expect("the shipped topology loads");
    let opts = TimelineOptions { detail: Detail::Fine, ..TimelineOptions::default() };
    let t = Timeline::new(&topo, out, opts).expect("a timeline");
    let mut sim = elaborate(&topo, Options { observer: Some(t.factory()), ..Options::default() }).expect("elaborates");
    sim.run().expect("and runs");
    let r = sim.finish();
    t.finish(&r).expect("the timeline is written")
}

fn chip(c: &mut Criterion) {
    let start = Instant::now();
    let (events, end_ps) = run_chip();
    let wall = start.elapsed().as_secs_f64();
    let cycles = end_ps / 20_000; // 50 MHz
    println!(
        "paper chip, 3 epochs: {events} events, {cycles} cycles at 50 MHz in {wall:.3} s: {:.2} M events/s, {:.2} M simulated cycles/s",
        events as f64 / wall / 1e6,
        cycles as f64 / wall / 1e6
    );
    let mut g = c.benchmark_group("paper_chip");
    g.sample_size(10);
    g.bench_function("three_epochs", |b| b.iter(run_chip));
    let out = std::env::temp_dir().join(format!("tasim-bench-timeline-{}.json", std::process::id()));
    g.bench_function("three_epochs_with_timeline", |b| b.iter(|| run_chip_with_timeline(&out)));
    let _ = std::fs::remove_file(&out);
    g.finish();
}

criterion_group!(benches, chip);
criterion_main!(benches);
