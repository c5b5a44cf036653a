//! Memory-trace throughput in records per second: writing the binary form (what recording
//! costs beyond the simulation), reading it back (chunks, CRC-32, delta decoding), reading
//! the text form, and replaying a trace as fast as possible into the paper chip's DRAM (the
//! simulation of the memory dominates).
//!
//! `cargo bench --bench traces` prints `thrpt: [.. elem/s ..]`: one element is one record.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use components::mem::{Cause, Phase};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tasim::trace::binary::{BinaryReader, BinaryWriter};
use tasim::trace::open::{convert, Assume, Format};
use tasim::trace::replay::{replay, Request};
use tasim::trace::{Header, TraceEnd, TraceReader, TraceRecord, TraceWriter};

const N: u64 = 200_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A paper-chip-like mix: mostly 64-byte lines going up, some jumps, a third writes.
fn records() -> Vec<TraceRecord> {
    let mut t = 0;
    (0..N)
        .map(|i| {
            t += 1_250 + (i % 7) * 625;
            TraceRecord {
                time_ps: t,
                issue_ps: t - 5_000.min(t),
                issuer: 0,
                target: 1,
                addr: if i % 16 == 0 { ((i * 2_654_435_761) % (1 << 26)) & !63 } else { i * 64 },
                bytes: 64,
                write: i % 3 == 0,
                cause: Cause::new(Phase::ALL[(i / 5_000 % 6) as usize], (i / 1_000 % 3) as u16),
            }
        })
        .collect()
}

fn header() -> Header {
    Header {
        topology: "bench".into(),
        clock_ps: 625,
        peak_bytes_per_s: 12.8e9,
        instances: vec!["gb".into(), "dram".into()],
        records: None,
        end: None,
    }
}

fn write(path: &Path, recs: &[TraceRecord]) {
    let mut w = Box::new(BinaryWriter::create(path, header()).expect("temp file"));
    for r in recs {
        w.write(r).expect("in order");
    }
    w.finish(Some(TraceEnd { ps: recs.last().unwrap().time_ps, inclusive: true })).expect("written");
}

fn read_all(r: &mut dyn TraceReader) -> u64 {
    let mut n = 0;
    while r.next_record().expect("valid").is_some() {
        n += 1;
    }
    n
}

fn traces(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("tasim-bench-traces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let recs = records();
    let bin: PathBuf = dir.join("b.mtrace");
    write(&bin, &recs);
    let txt = dir.join("b.txt");
    let reader = tasim::trace::open::open(&bin, None, Assume::default()).unwrap();
    convert(reader, &txt, Format::Text, Assume::default(), &AtomicU64::new(0)).unwrap();

    let mut g = c.benchmark_group("trace");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    g.bench_function("write_binary", |b| b.iter(|| write(&dir.join("w.mtrace"), &recs)));
    g.bench_function("read_binary", |b| b.iter(|| read_all(&mut BinaryReader::open(&bin).unwrap())));
    g.bench_function("read_text", |b| {
        b.iter(|| read_all(tasim::trace::open::open(&txt, None, Assume::default()).unwrap().as_mut()))
    });
    g.finish();

    // The checksum alone, per byte.
    let mut g = c.benchmark_group("trace");
    let bytes: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_secs(1));
    g.bench_function("crc32", |b| b.iter(|| tasim::trace::crc32::crc32(&bytes)));
    g.finish();

    // Replay: the sample trace of the paper chip, as fast as possible, into its DRAM.
    let sample = root().join("traces/paper-chip-small-buffer.mtrace");
    let records = BinaryReader::open(&sample).unwrap().header().records.unwrap();
    let req = Request {
        trace: sample,
        topology: root().join("topologies/memory/paper-chip-dram.yaml"),
        set: Vec::new(),
        from: None,
        assume: Assume::default(),
        player: vec![("mode", serde_yaml::Value::String("afap".into()))],
        out: None,
    };
    let mut g = c.benchmark_group("trace");
    g.throughput(Throughput::Elements(records));
    g.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    g.bench_function("replay_afap", |b| b.iter(|| replay(&req).expect("replays")));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, traces);
criterion_main!(benches);
