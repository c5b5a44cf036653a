//! Kernel benchmarks, reported as events per second (criterion's "elements/s"):
//! - PHOLD (benches/PHOLD.md) sequential and partitioned;
//! - the 16-chip toy ring (topologies/bench/ring16-*.yaml) with 5 ns, 100 ns and 1 us links,
//!   on 1 and 2 threads;
//! - any topology named by `TASIM_BENCH_TOPOLOGY` (a path; e.g. a multi-chip system), on 1
//!   and 2 threads.
//!
//! `cargo bench --bench kernel`. Before each group, one run per configuration prints its
//! windows, synchronisations and the threads the run chose (`SyncReport::describe`). The
//! full default PHOLD (29.8 M events) is `tasim bench phold`; here the run is cut at 2 us of
//! simulated time (about 6 M events) so that criterion can take several samples.

use std::path::{Path, PathBuf};

use components::phold::PholdParams;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use tasim::bench::{run_phold, run_topology};

fn phold(c: &mut Criterion) {
    let p = PholdParams { end_ps: 2_000_000, ..PholdParams::default() };
    let events = run_phold(p, 1, 1).events;
    let mut g = c.benchmark_group("phold");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    for (name, partitions, threads) in
        [("sequential", 1, 1), ("2_partitions_1_thread", 2, 1), ("2_partitions_2_threads", 2, 2)]
    {
        eprintln!("phold/{name}: {}", run_phold(p, partitions, threads).sync.describe());
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = run_phold(p, partitions, threads);
                assert_eq!(r.events, events);
            })
        });
    }
    g.finish();
}

/// One topology file on 1 and 2 threads.
fn topology_on_threads(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, name: &str, path: &Path) {
    let seq = run_topology(path, &[], 1, false).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    g.throughput(Throughput::Elements(seq.events));
    for threads in [1, 2] {
        let r = run_topology(path, &[], threads, false).expect("ran once already");
        eprintln!("{name}/{threads}_threads: {} events; {}", r.events, r.sync.describe());
        g.bench_function(format!("{name}/{threads}_threads"), |b| {
            b.iter(|| {
                let r = run_topology(path, &[], threads, false).expect("ran once already");
                assert_eq!(r.events, seq.events);
            })
        });
    }
}

fn ring16(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut g = c.benchmark_group("ring16");
    g.sample_size(10);
    for latency in ["5ns", "100ns", "1us"] {
        topology_on_threads(&mut g, latency, &root.join(format!("topologies/bench/ring16-{latency}.yaml")));
    }
    g.finish();
}

/// The hook for systems built elsewhere (the paper-chip multi-chip systems):
/// `TASIM_BENCH_TOPOLOGY=topologies/....yaml cargo bench --bench kernel -- topology`.
fn topology_from_env(c: &mut Criterion) {
    let Some(path) = std::env::var_os("TASIM_BENCH_TOPOLOGY").map(PathBuf::from) else { return };
    let mut g = c.benchmark_group("topology");
    g.sample_size(10);
    let name = path.file_stem().map_or_else(|| "topology".into(), |s| s.to_string_lossy().into_owned());
    topology_on_threads(&mut g, &name, &path);
    g.finish();
}

criterion_group!(benches, phold, ring16, topology_from_env);
criterion_main!(benches);
