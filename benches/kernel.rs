//! Kernel benchmarks: PHOLD (benches/PHOLD.md) sequential and partitioned, reported as
//! events per second (criterion's "elements/s").
//!
//! `cargo bench --bench kernel`. The full default PHOLD (29.8 M events) is
//! `tasim bench phold`; here the run is cut at 2 us of simulated time (about 6 M events) so
//! that criterion can take several samples.

use components::phold::PholdParams;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tasim::bench::run_phold;

fn phold(c: &mut Criterion) {
    let p = PholdParams { end_ps: 2_000_000, ..PholdParams::default() };
    let events = run_phold(p, 1, 1).events;
    let mut g = c.benchmark_group("phold");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    for (name, partitions, threads) in
        [("sequential", 1, 1), ("2_partitions_1_thread", 2, 1), ("2_partitions_2_threads", 2, 2)]
    {
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = run_phold(p, partitions, threads);
                assert_eq!(r.events, events);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, phold);
criterion_main!(benches);
