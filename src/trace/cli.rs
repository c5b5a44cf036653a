//! The trace commands of the CLI: `tasim trace text|convert|stats` and `tasim replay`, and
//! the checks `tasim run` makes before recording.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use clap::{Args, Subcommand};
use components::dram::DramParams;
use indicatif::{ProgressBar, ProgressStyle};
use serde_yaml::Value as Yaml;

use super::analysis::{analyse, Options as StatsOptions};
use super::open::{clock_ps_of_mhz, convert, open, Assume, Format};
use super::record::Recorder;
use super::replay::{replay, write_out, Request};
use super::text::{end_line, header_lines, record_line};
use crate::error::InputError;
use crate::topology::{self, Topology};

/// How to read forms that do not say everything (DRAMSim3, Ramulator 2).
#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    /// The input's form (default: guessed from its first bytes).
    #[arg(long, value_enum)]
    pub from: Option<Format>,
    /// Memory clock of DRAMSim3 cycles (and of the one-per-cycle pace given to Ramulator
    /// traces); default: the trace's own, else 1600 MHz (LPDDR4-3200).
    #[arg(long, value_name = "MHZ")]
    pub clock_mhz: Option<f64>,
    /// Bytes of every request read from DRAMSim3 or Ramulator lines.
    #[arg(long, default_value_t = 64)]
    pub bytes: u32,
}

impl ImportArgs {
    fn assume(&self) -> Result<Assume, InputError> {
        if self.bytes == 0 {
            return Err(InputError::new("--bytes 0: a request moves at least one byte").field("--bytes"));
        }
        Ok(Assume { clock_ps: self.clock_mhz.map(clock_ps_of_mhz).transpose()?, bytes: self.bytes })
    }
}

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Print a trace in the text form (or write it to a file with -o).
    Text {
        /// The trace: binary, text, DRAMSim3 or Ramulator 2 (traces/FORMAT.md).
        trace: PathBuf,
        /// Write the text to this file (not a directory) instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Convert a trace between the binary, text, DRAMSim3 and Ramulator 2 forms.
    Convert {
        /// The trace to read, in any form.
        input: PathBuf,
        /// The trace to write (atomically).
        output: PathBuf,
        #[arg(long, value_enum)]
        to: Format,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// What a trace asks of memory: volume, mix, bandwidth over time, footprint, reuse,
    /// phases and layers (and per-bank load with --topology).
    Stats {
        /// The trace: binary, text, DRAMSim3 or Ramulator 2 (traces/FORMAT.md).
        trace: PathBuf,
        /// Initial bandwidth window (windows double beyond 1024 of them).
        #[arg(long, default_value_t = 1000)]
        window_ns: u64,
        /// Line size for footprint and reuse.
        #[arg(long, default_value_t = 64)]
        line_bytes: u64,
        /// A memory topology whose first dram_controller maps addresses to banks.
        #[arg(long, value_name = "MEM.yaml")]
        topology: Option<PathBuf>,
        /// Write into this directory: trace_stats.json, windows.csv, causes.csv, bandwidth.svg
        /// (and banks.csv, banks.svg with --topology).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        import: ImportArgs,
    },
}

/// `tasim replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// The trace: binary, text, DRAMSim3 or Ramulator 2 (traces/FORMAT.md).
    trace: PathBuf,
    /// A memory topology with one trace_player (see topologies/memory/).
    #[arg(long, value_name = "MEM.yaml")]
    topology: PathBuf,
    /// timing: send at the recorded times (stalls and slip under backpressure); afap: as fast
    /// as possible with --max-outstanding in flight. Default: the player's `mode`.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Requests in flight at most (default: unbounded in timing mode, 64 in afap mode).
    #[arg(long)]
    max_outstanding: Option<u32>,
    /// Timing mode: go on past the recorded end until every request is answered.
    #[arg(long)]
    drain: bool,
    /// Initial bandwidth window of the player.
    #[arg(long)]
    window_ns: Option<u64>,
    /// Parameter overrides, `instance.param=value` (repeatable).
    #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
    set: Vec<String>,
    /// Write into this directory: replay.json, stats.json, stats.csv, bandwidth.csv, banks.csv,
    /// causes.csv, bandwidth.svg, latency_cdf.svg, banks.svg.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    import: ImportArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Mode {
    Timing,
    Afap,
}

fn bar(total: Option<u64>) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let b = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
    b.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records [{elapsed} < {eta}]").expect("valid template"),
    );
    b
}

/// Runs `tasim trace ...`; `emit` prints to standard output and says whether to go on.
/// Runs a `tasim trace` command; `trace stats` also returns its figures as JSON.
pub fn trace(cmd: &TraceCommand, emit: &mut dyn FnMut(&str) -> bool) -> Result<Option<serde_json::Value>> {
    match cmd {
        TraceCommand::Text { trace, out: Some(out), import } => {
            crate::output::check_out_file(out, "--out")?;
            let n = convert_file(trace, out, Format::Text, import)?;
            emit(&format!("{n} records written to {}\n", out.display()));
        }
        TraceCommand::Text { trace, out: None, import } => {
            let mut r = open(trace, import.from, import.assume()?)?;
            let names = r.header().instances.clone();
            let mut buf = header_lines(r.header())?;
            while let Some(rec) = r.next_record()? {
                buf += &record_line(&names, &rec)?;
                if buf.len() > 1 << 16 {
                    if !emit(&buf) {
                        return Ok(None);
                    }
                    buf.clear();
                }
            }
            buf += &end_line(r.end());
            emit(&buf);
        }
        TraceCommand::Convert { input, output, to, import } => {
            crate::output::check_out_file(output, "OUTPUT")?;
            let n = convert_file(input, output, *to, import)?;
            emit(&format!("{n} records written to {}\n", output.display()));
        }
        TraceCommand::Stats { trace, window_ns, line_bytes, topology, out, import } => {
            if let Some(dir) = out {
                crate::output::check_out_dir(dir, "--out")?;
            }
            let memory = match topology {
                Some(t) => Some(first_dram(&topology::load(t, &[])?, t)?),
                None => None,
            };
            let mut r = open(trace, import.from, import.assume()?)?;
            let opts = StatsOptions { window_ps: window_ns.saturating_mul(1000).max(1), line_bytes: *line_bytes };
            let s = analyse(r.as_mut(), opts, memory.as_ref())?;
            emit(&s.text);
            if let Some(dir) = out {
                let mut files = crate::output::OutDir::new();
                files.add("trace_stats.json", serde_json::to_string_pretty(&s.json)?);
                files.add("windows.csv", s.windows_csv.as_str());
                files.add("causes.csv", s.causes_csv.as_str());
                if let Some(b) = &s.banks_csv {
                    files.add("banks.csv", b.as_str());
                }
                for (name, svg) in super::plots::trace_stats_plots(&s)? {
                    files.add(name, svg);
                }
                let names = files.names().join(", ");
                files.commit(dir, false)?;
                emit(&format!("\nwrote {names} in {}\n", dir.display()));
            }
            return Ok(Some(s.json));
        }
    }
    Ok(None)
}

fn convert_file(input: &Path, output: &Path, to: Format, import: &ImportArgs) -> Result<u64> {
    let assume = import.assume()?;
    let reader = open(input, import.from, assume)?;
    let progress = AtomicU64::new(0);
    let b = bar(reader.header().records);
    let n = std::thread::scope(|s| {
        let worker = s.spawn(|| convert(reader, output, to, assume, &progress));
        while !worker.is_finished() {
            b.set_position(progress.load(Ordering::Relaxed));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        worker.join().expect("the conversion does not panic")
    })?;
    b.finish_and_clear();
    Ok(n)
}

/// The configuration of the first `dram_controller` of `topo`.
fn first_dram(topo: &Topology, file: &Path) -> Result<components::dram::Config, InputError> {
    let Some(inst) = topo.instances.iter().find(|i| i.kind == "dram_controller") else {
        return Err(InputError::new("the topology has no dram_controller to map addresses to banks").in_file(file));
    };
    let p: DramParams = serde_yaml::from_value(inst.params.clone()).map_err(|e| inst.param_error("", e.to_string()))?;
    crate::registry::check_dram(&p).and_then(|()| p.validate()).map_err(|e| inst.param_error(&e.param, e.message))
}

/// `tasim replay`; returns the text to print.
pub fn run_replay(a: &ReplayArgs, emit: &mut dyn FnMut(&str) -> bool) -> Result<serde_json::Value> {
    if let Some(dir) = &a.out {
        crate::output::check_out_dir(dir, "--out")?;
    }
    let mut player = Vec::new();
    if let Some(m) = a.mode {
        player.push(("mode", Yaml::String(format!("{m:?}").to_lowercase())));
    }
    if let Some(n) = a.max_outstanding {
        player.push(("max_outstanding", Yaml::Number(n.into())));
    }
    if a.drain {
        player.push(("drain", Yaml::Bool(true)));
    }
    if let Some(w) = a.window_ns {
        player.push(("window_ns", Yaml::Number(w.into())));
    }
    let req = Request {
        trace: a.trace.clone(),
        topology: a.topology.clone(),
        set: a.set.clone(),
        from: a.import.from,
        assume: a.import.assume()?,
        player,
        out: a.out.clone(),
    };
    let r = replay(&req)?;
    emit(&r.text);
    if let Some(dir) = &req.out {
        let names = write_out(dir, &r)?;
        emit(&format!("\nwrote {} in {}\n", names.join(", "), dir.display()));
    }
    Ok(r.json)
}

/// The recorder for `tasim run --record-trace OUT`, after checking it has something to record
/// and somewhere to write.
pub fn recorder(topo: &Topology, out: &Path, buffers: bool) -> Result<Recorder, InputError> {
    let r = Recorder::new(topo, out, buffers);
    if !r.has_targets() {
        let what = if buffers { "dram_controller or global_buffer" } else { "dram_controller" };
        return Err(InputError::new(format!("--record-trace: the topology has no {what} whose requests to record"))
            .field("--record-trace"));
    }
    crate::output::check_out_file(out, "--record-trace")?;
    Ok(r)
}

/// `tasim run` of a topology with a trace_player: that is `tasim replay`'s job.
pub fn reject_players(topo: &Topology) -> Result<(), InputError> {
    match topo.instances.iter().find(|i| i.kind == "trace_player") {
        Some(p) => Err(p
            .origin
            .error("", format!("`{}` is a trace_player, which replays a trace", p.name))
            .fix(format!("run it with `tasim replay TRACE --topology {}`", topo.files[0].path.display()))),
        None => Ok(()),
    }
}
