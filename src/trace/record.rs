//! Recording a run's memory transactions (`tasim run --record-trace OUT`).
//!
//! An [`Observer`] on every simulation thread sees each message delivered; the requests
//! (`MemReq`) delivered to a recorded instance — every `dram_controller`, and with
//! `--trace-buffer` every `global_buffer` — become records. The record's time is the
//! delivery (arrival at the memory component) and its issue time the delivery's send time,
//! both from the kernel's [`EventKey`]: a replay that sends each request at its issue time
//! through the same channel delivers it at the same time and in the same order, which is
//! what makes the round trip exact.
//!
//! Each thread writes its records as they come to a spill file of fixed-size records, in
//! its own event order (bounded memory, whatever the run's length). When the run is over,
//! the spills are merged by event key — the order of a sequential run, so the trace is the
//! same on any number of threads — into the trace, written atomically.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use components::dram::DramParams;
use components::mem::{Cause, Phase};
use components::Msg;
use sim_core::{DeliverRecord, EventKey, Observer, RunOutcome, SimTime};

use super::open::{create, Assume, Format};
use super::{Header, TraceEnd, TraceRecord};
use crate::elaborate::ObserverFactory;
use crate::topology::Topology;

/// Bytes of one spilled record: key (3 × 8), addr (8), from, to, bytes (3 × 4), write,
/// phase (2 × 1), layer (2).
const SPILL: usize = 48;

/// What one thread's observer leaves behind.
#[derive(Debug)]
struct Spill {
    path: PathBuf,
    records: u64,
    error: Option<String>,
}

/// Records the memory transactions of one run into a trace file.
pub struct Recorder {
    out: PathBuf,
    format: Format,
    names: Vec<String>,
    targets: Arc<Vec<bool>>,
    header: Header,
    spills: Arc<Mutex<Vec<Spill>>>,
    /// Every spill file made, removed when the recorder goes (whether the run finished), or
    /// on Ctrl-C or SIGTERM (the guard).
    created: Arc<Mutex<Vec<(PathBuf, crate::interrupt::Temp)>>>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        for (p, _) in self.created.lock().expect("spill list").iter() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The trace form for `path`: text for `.txt`, else binary.
pub fn format_for(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("txt") => Format::Text,
        _ => Format::Binary,
    }
}

impl Recorder {
    /// A recorder of `topo`'s memory components (global buffers too with `buffers`) into
    /// `out`. Instance ranks are the topology's instance order (as elaboration adds them).
    pub fn new(topo: &Topology, out: &Path, buffers: bool) -> Self {
        let recorded = |kind: &str| kind == "dram_controller" || (buffers && kind == "global_buffer");
        let targets: Vec<bool> = topo.instances.iter().map(|i| recorded(&i.kind)).collect();
        // The recorded DRAMs' clock (for cycle-counting exports) and their summed peak.
        let (mut clock_ps, mut peak) = (0, 0.0);
        for inst in topo.instances.iter().filter(|i| i.kind == "dram_controller") {
            let cfg = serde_yaml::from_value::<DramParams>(inst.params.clone())
                .ok()
                .filter(|p| crate::registry::check_dram(p).is_ok())
                .and_then(|p| p.validate().ok());
            if let Some(cfg) = cfg {
                if clock_ps == 0 {
                    clock_ps = cfg.timing.tck;
                }
                peak += cfg.peak_bytes_per_s;
            }
        }
        let header = Header {
            topology: topo.name.replace(char::is_whitespace, "_"),
            clock_ps,
            peak_bytes_per_s: peak,
            instances: Vec::new(),
            records: None,
            end: None,
        };
        Recorder {
            out: out.to_path_buf(),
            format: format_for(out),
            names: topo.instances.iter().map(|i| i.name.clone()).collect(),
            targets: Arc::new(targets),
            header,
            spills: Arc::default(),
            created: Arc::default(),
        }
    }

    /// Whether the topology has anything to record.
    pub fn has_targets(&self) -> bool {
        self.targets.iter().any(|&t| t)
    }

    /// The observer factory for [`crate::elaborate::Options::observer`].
    pub fn factory(&self) -> ObserverFactory {
        let (targets, spills, out) = (self.targets.clone(), self.spills.clone(), self.out.clone());
        let created = self.created.clone();
        Box::new(move |thread| {
            let path = spill_path(&out, thread);
            let held = crate::interrupt::Temp::hold(&path);
            created.lock().expect("spill list").push((path.clone(), held));
            let file = File::create(&path).map(|f| BufWriter::with_capacity(1 << 18, f));
            let (file, error) = match file {
                Ok(f) => (Some(f), None),
                Err(e) => (None, Some(format!("cannot write {}: {e}", path.display()))),
            };
            Box::new(SpillObserver {
                targets: targets.clone(),
                spills: spills.clone(),
                path,
                file,
                records: 0,
                error,
                buf: [0; SPILL],
            })
        })
    }

    /// Merges the threads' records into the trace; `outcome` and `end` say how the run
    /// ended. Returns the number of records.
    pub fn finish(&self, outcome: RunOutcome, end: SimTime) -> Result<u64> {
        let spills = std::mem::take(&mut *self.spills.lock().expect("spill list"));
        if let Some(e) = spills.iter().find_map(|s| s.error.clone()) {
            anyhow::bail!("recording the trace failed: {e}");
        }
        let mut readers = Vec::new();
        for s in &spills {
            let f = File::open(&s.path).with_context(|| format!("cannot read {}", s.path.display()))?;
            readers.push(BufReader::with_capacity(1 << 18, f));
        }
        // First pass: which instances appear (the trace's table holds only those).
        let mut used = vec![false; self.names.len()];
        let mut buf = [0u8; SPILL];
        for r in &mut readers {
            while read_spill(r, &mut buf)? {
                let (_, rec) = decode_spill(&buf);
                used[rec.issuer as usize] = true;
                used[rec.target as usize] = true;
            }
        }
        let mut index = vec![u32::MAX; self.names.len()];
        let mut header = self.header.clone();
        for (rank, _) in used.iter().enumerate().filter(|(_, u)| **u) {
            index[rank] = header.instances.len() as u32;
            header.instances.push(self.names[rank].clone());
        }
        let mut w = create(&self.out, self.format, &header, Assume::default())?;
        let mut readers = Vec::new();
        for s in &spills {
            readers.push(BufReader::with_capacity(1 << 18, File::open(&s.path)?));
        }
        // k-way merge by event key: the order of a sequential run.
        let mut heap = BinaryHeap::new();
        for (k, r) in readers.iter_mut().enumerate() {
            if read_spill(r, &mut buf)? {
                let (key, rec) = decode_spill(&buf);
                heap.push(std::cmp::Reverse((key, k, Rec(rec))));
            }
        }
        let mut n = 0;
        while let Some(std::cmp::Reverse((_, k, Rec(mut rec)))) = heap.pop() {
            rec.issuer = index[rec.issuer as usize];
            rec.target = index[rec.target as usize];
            w.write(&rec)?;
            n += 1;
            if read_spill(&mut readers[k], &mut buf)? {
                let (key, rec) = decode_spill(&buf);
                heap.push(std::cmp::Reverse((key, k, Rec(rec))));
            }
        }
        let spilled: u64 = spills.iter().map(|s| s.records).sum();
        anyhow::ensure!(n == spilled, "the trace spills held {spilled} records, {n} were merged");
        let inclusive = !matches!(outcome, RunOutcome::ReachedEnd);
        w.finish(Some(TraceEnd { ps: end.as_ps(), inclusive }))?;
        Ok(n)
    }
}

/// A record ordered only by its place in the heap key (the event key comes first).
#[derive(PartialEq, Eq)]
struct Rec(TraceRecord);

impl PartialOrd for Rec {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Rec {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

fn spill_path(out: &Path, thread: usize) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".spill{thread}.{}", std::process::id()));
    out.with_file_name(name)
}

/// One thread's recorder.
struct SpillObserver {
    targets: Arc<Vec<bool>>,
    spills: Arc<Mutex<Vec<Spill>>>,
    path: PathBuf,
    file: Option<BufWriter<File>>,
    records: u64,
    error: Option<String>,
    buf: [u8; SPILL],
}

impl Observer<Msg> for SpillObserver {
    fn on_deliver(&mut self, rec: &DeliverRecord, msg: &Msg) {
        let Msg::MemReq(req) = msg else { return };
        if !self.targets.get(rec.to.0 as usize).copied().unwrap_or(false) {
            return;
        }
        let Some(file) = self.file.as_mut() else { return };
        let b = &mut self.buf;
        b[0..8].copy_from_slice(&rec.key.time.to_le_bytes());
        b[8..16].copy_from_slice(&rec.key.send_time.to_le_bytes());
        b[16..24].copy_from_slice(&rec.key.origin.to_le_bytes());
        b[24..32].copy_from_slice(&req.addr.to_le_bytes());
        b[32..36].copy_from_slice(&rec.from.0.to_le_bytes());
        b[36..40].copy_from_slice(&rec.to.0.to_le_bytes());
        b[40..44].copy_from_slice(&req.bytes.to_le_bytes());
        b[44] = u8::from(req.write);
        b[45] = req.cause.phase.index() as u8;
        b[46..48].copy_from_slice(&req.cause.layer.to_le_bytes());
        if let Err(e) = file.write_all(b) {
            self.error = Some(format!("cannot write {}: {e}", self.path.display()));
            self.file = None;
        }
        self.records += 1;
    }

    fn on_finish(&mut self, _end: SimTime) {
        if let Some(mut f) = self.file.take() {
            if let Err(e) = f.flush() {
                self.error.get_or_insert(format!("cannot write {}: {e}", self.path.display()));
            }
        }
        let spill = Spill { path: self.path.clone(), records: self.records, error: self.error.take() };
        self.spills.lock().expect("spill list").push(spill);
    }
}

fn read_spill(r: &mut impl Read, buf: &mut [u8; SPILL]) -> Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e).context("cannot read a trace spill file"),
    }
}

fn decode_spill(b: &[u8; SPILL]) -> (EventKey, TraceRecord) {
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
    let key = EventKey { time: u64_at(0), send_time: u64_at(8), origin: u64_at(16) };
    let rec = TraceRecord {
        time_ps: key.time,
        issue_ps: key.send_time,
        issuer: u32_at(32),
        target: u32_at(36),
        addr: u64_at(24),
        bytes: u32_at(40),
        write: b[44] != 0,
        cause: Cause { phase: Phase::ALL[b[45] as usize], layer: u16::from_le_bytes([b[46], b[47]]) },
    };
    (key, rec)
}
