//! Timelines of a run (`tasim run --timeline OUT.json`): Chrome trace-event JSON, which
//! Perfetto (ui.perfetto.dev) and chrome://tracing open; or, for an output named
//! `*.perfetto-trace`/`*.pftrace` ([`Format::of`]), the same tracks and events in Perfetto's
//! protobuf format ([`proto`]: slice begin/end, instant and counter `TrackEvent`s; slice args
//! as debug annotations). The observer writes either format at the one point it emits an event, so
//! both are streamed the same way.
//!
//! Format: the JSON object form of the Trace Event Format (Google, "Trace Event Format",
//! docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU): a
//! `traceEvents` array of events with `name`, `ph` (phase: `X` complete slice with `dur`,
//! `C` counter, `i` instant, `M` metadata), `ts` and `dur` in microseconds (fractions
//! allowed: we write exact picoseconds as six decimals), `pid` and `tid`. Slices on one
//! `tid` must nest; every track here has one activity at a time, so they never overlap.
//!
//! Layout: one process (`pid`) per partition — a chip in a multi-chip system — named after
//! it; one thread (`tid`) per component instance (its rank). What is shown:
//! - each core's tasks as slices while its datapath computes (`args`: operation, phase,
//!   layer, sample, cycles), from the core's `task_begin`/`task_cycles`/`task_end` marks and
//!   the task delivered to it before;
//! - each collective engine's all-reduces as slices (on lanes, since several may be in
//!   flight), from the gradients delivered by the update core to the answer sent back;
//! - counters: bytes per ns through every global buffer and DRAM controller (messages
//!   delivered and sent), each chip link's sending bandwidth and utilisation, DVFS clock and
//!   voltage (`clock_khz`/`voltage_mv` marks), with `fine` detail each core's task queue;
//!   the utilisation of resources inside a component, per counter window, from its busy
//!   marks ([`components::BUSY_MARK_PREFIX`]; `busy`): every NoC link (`link gb->r1 noc`);
//!   power per component from the energy meters' windows (written after the run, from the
//!   run's bounded windows);
//! - instants at epoch ends (and with `fine` detail, step ends) from the controller's marks.
//!
//! Bounded: events are streamed while the run goes (never built in memory) to one spill
//! file per partition; [`Timeline::finish`] joins them, in partition order, into `OUT`
//! written atomically. Each partition's events come in its own event order, whatever the
//! thread count, so the file is the same on any number of threads. A window
//! (`from_ps..to_ps`) and a detail level bound the size: nothing outside the window is written
//! (slices crossing its edges are clipped to it).

mod busy;
mod observer;
mod proto;
mod write;

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use sim_core::StatValue;

use crate::elaborate::ObserverFactory;
use crate::output::AtomicFile;
use crate::topology::Topology;
use write::{json_str, us};

/// How much a timeline shows: `Coarse` task slices, collectives, epoch marks and counters
/// per 10 µs; `Fine` as coarse plus step marks and task-queue counters, counters per 1 µs.
// (No doc comments on the variants: clap would turn them into a long `--help` layout.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Detail {
    Coarse,
    Fine,
}

impl Detail {
    /// The width of a counter's window (bandwidth is averaged over it).
    pub fn bin_ps(self) -> u64 {
        match self {
            Detail::Coarse => 10_000_000,
            Detail::Fine => 1_000_000,
        }
    }
}

/// What to write and when.
#[derive(Clone, Copy, Debug)]
pub struct TimelineOptions {
    /// Only events in `[from_ps, to_ps)` of simulated time are written.
    pub from_ps: u64,
    pub to_ps: u64,
    pub detail: Detail,
}

impl Default for TimelineOptions {
    fn default() -> Self {
        TimelineOptions { from_ps: 0, to_ps: u64::MAX, detail: Detail::Coarse }
    }
}

/// The file format, chosen by the output's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Chrome trace-event JSON (any extension but the ones below).
    Json,
    /// Perfetto's protobuf trace (`.perfetto-trace`, `.pftrace`): several times smaller,
    /// for runs whose JSON would be hundreds of MB.
    Perfetto,
}

impl Format {
    /// The format `out` is written in, by its extension.
    pub fn of(out: &Path) -> Format {
        let name = out.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with(".perfetto-trace") || name.ends_with(".pftrace") {
            Format::Perfetto
        } else {
            Format::Json
        }
    }
}

/// What the observers know of each instance (by rank).
#[derive(Clone, Debug, PartialEq)]
enum Role {
    Core,
    /// Bandwidth through it: global buffers, DRAM controllers.
    Memory,
    /// A chip link: its sending bandwidth (bytes per second) for utilisation.
    Link(f64),
    Collective,
    Controller,
    Dvfs,
    Other,
}

struct Shared {
    opts: TimelineOptions,
    format: Format,
    /// Per rank: its process (dense partition index), role, JSON-quoted name.
    pid: Vec<u32>,
    role: Vec<Role>,
    name: Vec<String>,
    lanes: Vec<Mutex<Lane>>,
}

/// One partition's spill file.
struct Lane {
    path: PathBuf,
    file: Option<std::io::BufWriter<File>>,
    events: u64,
    error: Option<String>,
}

impl Lane {
    fn write(&mut self, data: &[u8], events: u64) {
        if let Some(f) = self.file.as_mut() {
            if let Err(e) = f.write_all(data) {
                self.error.get_or_insert(format!("cannot write {}: {e}", self.path.display()));
                self.file = None;
            }
            self.events += events;
        }
    }
}

/// Writes one run's timeline. Make it before elaboration (its [`Timeline::factory`] goes
/// into the elaboration's options) and call [`Timeline::finish`] after the run.
pub struct Timeline {
    out: PathBuf,
    shared: Arc<Shared>,
    /// Process names, by dense partition index; instance names, by rank.
    processes: Vec<String>,
    names: Vec<String>,
}

impl Drop for Timeline {
    fn drop(&mut self) {
        for lane in &self.shared.lanes {
            let _ = std::fs::remove_file(&lane.lock().expect("lane").path);
        }
    }
}

impl Timeline {
    /// A timeline of `topo` into `out` (checked writable by the caller). Creates one spill
    /// file per partition beside `out`.
    pub fn new(topo: &Topology, out: &Path, opts: TimelineOptions) -> Result<Self> {
        let mut parts: Vec<u32> = topo.instances.iter().map(|i| i.partition).collect();
        parts.sort_unstable();
        parts.dedup();
        let pid: Vec<u32> =
            topo.instances.iter().map(|i| parts.binary_search(&i.partition).expect("listed") as u32).collect();
        let role = topo.instances.iter().map(role_of).collect();
        let name = topo.instances.iter().map(|i| json_str(&i.name)).collect();
        // A partition is named by the scope its instances share (`chip0.`), else its number.
        let processes: Vec<String> = parts
            .iter()
            .map(|p| {
                let mut scopes = topo.instances.iter().filter(|i| i.partition == *p).map(|i| i.scope.as_str());
                let first = scopes.next().unwrap_or("");
                match first.trim_end_matches('.') {
                    s if !s.is_empty() && scopes.all(|x| x == first) => s.to_string(),
                    _ if parts.len() == 1 => topo.name.clone(),
                    _ => format!("partition {p}"),
                }
            })
            .collect();
        let mut lanes = Vec::new();
        for k in 0..parts.len() {
            let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            name.push(format!(".part{k}.{}", std::process::id()));
            let path = out.with_file_name(name);
            let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
            lanes.push(Mutex::new(Lane {
                path,
                file: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
                events: 0,
                error: None,
            }));
        }
        let shared = Arc::new(Shared { opts, format: Format::of(out), pid, role, name, lanes });
        let names = topo.instances.iter().map(|i| i.name.clone()).collect();
        Ok(Timeline { out: out.to_path_buf(), shared, processes, names })
    }

    /// The observer factory for [`crate::elaborate::Options::observer`].
    pub fn factory(&self) -> ObserverFactory {
        let shared = self.shared.clone();
        Box::new(move |_| Box::new(observer::TimelineObserver::new(shared.clone())))
    }

    /// Joins the spills and the power counters (from `report`'s energy windows) into the
    /// timeline, written atomically. Returns the number of events.
    pub fn finish(&self, report: &sim_core::Report) -> Result<u64> {
        let mut f = AtomicFile::create(&self.out)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f.file());
        let werr = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", self.out.display());
        let perfetto = self.shared.format == Format::Perfetto;
        let mut events = 0;
        if perfetto {
            // Track descriptors first: Perfetto resolves an event's track when it reads it.
            let mut d = Vec::new();
            for (pid, name) in self.processes.iter().enumerate() {
                proto::descriptor(
                    &mut d,
                    proto::process_uuid(pid as u32),
                    proto::Track::Process(pid as u32, name),
                    pid == 0,
                );
            }
            for (rank, name) in self.names.iter().enumerate() {
                let (pid, tid) = (self.shared.pid[rank], rank as u64);
                proto::descriptor(&mut d, proto::thread_uuid(tid), proto::Track::Thread { pid, tid, name }, false);
            }
            w.write_all(&d).map_err(werr)?;
        } else {
            w.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n").map_err(werr)?;
        }
        for lane in &self.shared.lanes {
            let mut lane = lane.lock().expect("lane");
            if let Some(e) = lane.error.take() {
                anyhow::bail!("writing the timeline failed: {e}");
            }
            if let Some(mut file) = lane.file.take() {
                file.flush().map_err(werr)?;
            }
            let r = File::open(&lane.path).with_context(|| format!("cannot read {}", lane.path.display()))?;
            std::io::copy(&mut BufReader::new(r), &mut w).map_err(werr)?;
            events += lane.events;
        }
        events += self.power(report, &mut w).map_err(werr)?;
        if perfetto {
            w.flush().map_err(werr)?;
            drop(w);
            f.commit()?;
            return Ok(events);
        }
        // Metadata last: its last event closes the array without a trailing comma.
        let mut meta = Vec::new();
        for (pid, name) in self.processes.iter().enumerate() {
            meta.push(format!(
                "{{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":{pid},\"tid\":0,\"args\":{{\"name\":{}}}}}",
                json_str(name)
            ));
        }
        for (rank, name) in self.shared.name.iter().enumerate() {
            let pid = self.shared.pid[rank];
            meta.push(format!(
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":{pid},\"tid\":{rank},\"args\":{{\"name\":{name}}}}}"
            ));
            meta.push(format!(
                "{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":{pid},\"tid\":{rank},\"args\":{{\"sort_index\":{rank}}}}}"
            ));
        }
        events += meta.len() as u64;
        w.write_all(meta.join(",\n").as_bytes()).map_err(werr)?;
        w.write_all(b"\n]}\n").map_err(werr)?;
        w.flush().map_err(werr)?;
        drop(w);
        f.commit()?;
        Ok(events)
    }

    /// Power counters (mW) per component from its energy windows (`*.energy.series_pj`,
    /// on-chip and off-chip), within the window.
    fn power(&self, report: &sim_core::Report, w: &mut impl Write) -> std::io::Result<u64> {
        let o = self.shared.opts;
        let mut n = 0;
        for rank in 0..self.names.len() {
            let pid = self.shared.pid[rank];
            let raw = &self.names[rank];
            for (suffix, label) in [("energy.series_pj", "power"), ("energy_offchip.series_pj", "off-chip power")] {
                let Some(StatValue::Series { step_ps, values }) = report.stats.get(&format!("{raw}.{suffix}")) else {
                    continue;
                };
                let step = (*step_ps).max(1);
                let title = json_str(&format!("{label} {raw} (mW)"));
                let track = proto::counter_uuid(pid, &format!("{label} {raw} (mW)"));
                let mut described = false;
                for (k, pj) in values.iter().enumerate() {
                    let t = k as u64 * step;
                    if t < o.from_ps || t >= o.to_ps {
                        continue;
                    }
                    // pJ per ps is W; x1000 for mW.
                    let mw = pj / step as f64 * 1e3;
                    n += 1;
                    if self.shared.format == Format::Perfetto {
                        let mut b = Vec::new();
                        if !std::mem::replace(&mut described, true) {
                            let name = format!("{label} {raw} (mW)");
                            let parent = proto::process_uuid(pid);
                            proto::descriptor(&mut b, track, proto::Track::Counter { parent, name: &name }, false);
                        }
                        proto::event(&mut b, t / 1000, track, proto::EventType::Counter, None, Some(mw));
                        w.write_all(&b)?;
                        continue;
                    }
                    writeln!(
                        w,
                        "{{\"name\":{title},\"ph\":\"C\",\"ts\":{},\"pid\":{pid},\"tid\":{rank},\"args\":{{\"mW\":{mw:.4}}}}},",
                        us(t)
                    )?;
                }
            }
        }
        Ok(n)
    }
}

fn role_of(i: &crate::topology::Instance) -> Role {
    match i.kind.as_str() {
        "propagation_core" | "update_core" => Role::Core,
        "global_buffer" | "dram_controller" => Role::Memory,
        "chip_link" => {
            let p: components::multichip::link::ChipLinkParams =
                serde_yaml::from_value(i.params.clone()).unwrap_or_default();
            Role::Link(p.bandwidth_gb_per_s * 1e9)
        }
        "collective_engine" => Role::Collective,
        "controller" => Role::Controller,
        "dvfs_unit" => Role::Dvfs,
        _ => Role::Other,
    }
}
