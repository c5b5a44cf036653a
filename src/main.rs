//! The `tasim` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use components::phold::PholdParams;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use sim_core::{RunOutcome, SimTime, ThreadPolicy};
use tasim::elaborate::{elaborate, Options};
use tasim::error::is_input_error;
use tasim::output::{check_out_dir, ensure_dir, write_atomic, OutDir, OutputFormat};
use tasim::{graph, registry, report, topology, InputError};
use tracing_subscriber::EnvFilter;

/// Set once standard output is gone (`tasim ... | head`): later text is dropped, and the run
/// goes on (its `--out` files still get written).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set with `--format json`: the text report is not printed; the command's one JSON
/// document is, at the end.
static TEXT_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A write to standard output that failed for another reason than a closed pipe (a full
/// disk, `> /dev/full`): the command fails with it at the end, exit code 1.
static STDOUT_ERROR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Prints text to standard output (not with `--format json`).
fn emit(text: &str) {
    if !TEXT_OFF.load(std::sync::atomic::Ordering::Relaxed) {
        emit_raw(text);
    }
}

fn emit_raw(text: &str) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_ERROR.set(e.to_string());
        }
    }
}

/// Prints to standard output; false once nobody reads it any more.
fn emit_more(text: &str) -> bool {
    emit(text);
    !STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

macro_rules! say {
    ($($arg:tt)*) => { emit(&format!("{}\n", format_args!($($arg)*))) };
}

#[derive(Parser)]
#[command(name = "tasim", version, about = "Discrete-event simulator of an on-device CNN training accelerator")]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Standard output as text, or as one JSON document with the same figures (run, replay,
    /// trace stats, validate, types), for scripts and sweeps.
    #[arg(long, value_enum, global = true, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a topology and report its statistics.
    Run(RunArgs),
    /// Check a topology (YAML, types, parameters, wiring) without running it.
    Validate {
        /// The topology YAML file.
        file: PathBuf,
        /// Parameter overrides, `instance.param=value`.
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
        /// Also print the area of every component and the energy of one action (an access,
        /// a MAC, a byte-hop) at the initial operating points, without running.
        #[arg(long)]
        costs: bool,
    },
    /// Print the elaborated netlist as Graphviz DOT: clocks and key parameters as labels, a
    /// NoC as its routers and links.
    Graph {
        /// The topology YAML file.
        file: PathBuf,
        /// Write the DOT to this file (not a directory) instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Parameter overrides, `instance.param=value` (repeatable).
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
        /// Group instances by the first N levels of their names (1: one node per chip of a
        /// system, with the links between chips), laid out in a circle.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        depth: Option<u32>,
    },
    /// Train a model standalone (the reference trainer, no simulation).
    Train(tasim::train::cli::TrainArgs),
    /// List the component types and their parameters.
    Types,
    /// Replay a memory trace into a memory topology (one with a trace_player).
    Replay(tasim::trace::cli::ReplayArgs),
    /// Memory traces: print, convert (binary, text, DRAMSim3, Ramulator 2), analyse.
    Trace {
        #[command(subcommand)]
        which: tasim::trace::cli::TraceCommand,
    },
    /// Run a grid of `--set` values (each point an ordinary run) and gather a table and
    /// plots; `--index`/`--shard` run one share on a cluster, `sweep merge DIR` gathers it.
    Sweep(tasim::sweep::cli::SweepArgs),
    /// Run a topology (as `run`, same options) and watch it live in a browser: progress,
    /// power, bandwidth and accuracy, with pause and stop. Serves 127.0.0.1 only by default.
    Serve {
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        serve: tasim::serve::ServeArgs,
    },
    /// Kernel benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Args)]
struct RunArgs {
    /// The topology YAML file (see topologies/README.md).
    file: PathBuf,
    /// Parameter overrides for sweeps, `instance.param=value` (repeatable).
    #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
    set: Vec<String>,
    /// Threads for partitioned topologies (default: the file's `run.threads`, else 1); a
    /// topology runs on at most one thread per partition, and the run says so.
    #[arg(long)]
    threads: Option<usize>,
    /// Stop at this simulated time in nanoseconds (default: the file's `run` section).
    #[arg(long, value_name = "NS")]
    until_ns: Option<f64>,
    /// Write into this directory (created if missing): stats.json and stats.csv (every
    /// statistic); bandwidth.csv and bandwidth.svg when the topology has global buffers,
    /// DRAM controllers or chip links; for a chip run also summary.json, power.csv,
    /// epochs.csv, power.svg, utilisation.svg, energy.svg and energy_components.csv.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Seed of the kernel's random streams: components that draw random numbers (PHOLD,
    /// random traffic); default: the file's `seed`. A training `controller` draws its data
    /// and initial weights from its own `seed` parameter (`--set ctrl.seed=N`).
    #[arg(long)]
    seed: Option<u64>,
    /// A chip run: save the trained weights here (.npy per tensor + manifest.json, as
    /// `tasim train --save`).
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Record every request reaching a dram_controller into this memory trace (binary; the
    /// text form if it ends in `.txt`). See traces/FORMAT.md.
    #[arg(long, value_name = "OUT")]
    record_trace: Option<PathBuf>,
    /// With --record-trace: record the requests reaching every global_buffer too.
    #[arg(long, requires = "record_trace")]
    trace_buffer: bool,
    /// Write a timeline of the run here: Chrome trace-event JSON, which Perfetto
    /// (ui.perfetto.dev) and Chrome DevTools (Performance, Load profile) open. Streamed while the run goes.
    /// A name ending in .perfetto-trace or .pftrace gets Perfetto's protobuf format instead
    /// (about 40% of the size, for very large runs; open it at ui.perfetto.dev).
    #[arg(long, value_name = "OUT.json")]
    timeline: Option<PathBuf>,
    /// With --timeline: only events from this simulated time on (ns).
    #[arg(long, value_name = "NS", requires = "timeline")]
    timeline_from_ns: Option<f64>,
    /// With --timeline: only events before this simulated time (ns).
    #[arg(long, value_name = "NS", requires = "timeline")]
    timeline_to_ns: Option<f64>,
    /// With --timeline: coarse (task slices, epoch marks, counters per 10 us) or fine
    /// (also step marks and task queues, counters per 1 us).
    #[arg(long, value_enum, default_value = "coarse", requires = "timeline")]
    timeline_detail: tasim::timeline::Detail,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// PHOLD exactly as in benches/PHOLD.md, built from components on a fabric.
    Phold {
        #[arg(long, default_value_t = 1024)]
        lps: u64,
        #[arg(long, default_value_t = 16)]
        population: u64,
        #[arg(long = "lookahead-ps", alias = "lookahead_ps", default_value_t = 1000)]
        lookahead_ps: u64,
        #[arg(long = "spread-ps", alias = "spread_ps", default_value_t = 9000)]
        spread_ps: u64,
        #[arg(long = "end-ps", alias = "end_ps", default_value_t = 10_000_000)]
        end_ps: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Threads (partitions run in parallel when above 1).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Partitions of contiguous LPs (default: one per thread).
        #[arg(long)]
        partitions: Option<u32>,
        /// Repeat the run and report each (the first includes warm-up).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Use every thread even where one would be faster (shows what parallel costs).
        #[arg(long)]
        fixed_threads: bool,
    },
    /// Time a topology file (e.g. topologies/bench/ring16-100ns.yaml, or a multi-chip system):
    /// events/s, windows, synchronisations and the threads the run chose.
    Topology {
        /// The topology YAML file to time.
        file: PathBuf,
        /// Parameter overrides, `instance.param=value` (repeatable).
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
        /// Threads at most (the run may choose fewer where parallel windows cannot pay).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Repeat the run and report each (the first includes warm-up).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Use every thread even where one would be faster (shows what parallel costs).
        #[arg(long)]
        fixed_threads: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Under `mpirun` (built with `--features mpi`): MPI stays initialised until main returns.
    #[cfg(feature = "mpi")]
    let _mpi = tasim::mpi_run::start();
    // Ranks other than 0 of a run over MPI print nothing: rank 0 reports for all.
    let follower = tasim::ranks::is_follower();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
    let json = cli.format == OutputFormat::Json;
    if json && !has_json(&cli.command) {
        eprintln!(
            "error: `--format json` is for run, replay, trace stats, validate and types\n  fix: drop `--format json`"
        );
        return ExitCode::from(2);
    }
    TEXT_OFF.store(json || follower, std::sync::atomic::Ordering::Relaxed);
    // Ctrl-C / SIGTERM: temporary outputs removed, exit 130 / 143. `serve` handles Ctrl-C
    // itself (the run stops, its report and outputs are written, exit 130).
    if !matches!(cli.command, Command::Serve { .. }) {
        tasim::interrupt::install();
    }
    match dispatch(cli.command) {
        Ok(doc) => {
            if let (true, false, Some(doc)) = (json, follower, doc) {
                emit_raw(&format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()));
            }
            match STDOUT_ERROR.get() {
                None => ExitCode::SUCCESS,
                Some(e) => {
                    eprintln!("error: writing to standard output: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) if e.is::<tasim::serve::Interrupted>() => {
            eprintln!("{e}");
            ExitCode::from(130)
        }
        Err(e) if follower => ExitCode::from(if is_input_error(e.as_ref()) { 2 } else { 1 }),
        Err(e) => {
            if json {
                emit_raw(&format!("{}\n", serde_json::to_string_pretty(&error_json(e.as_ref())).unwrap_or_default()));
            }
            eprintln!("error: {e:#}");
            ExitCode::from(if is_input_error(e.as_ref()) { 2 } else { 1 })
        }
    }
}

/// The commands with a JSON form.
fn has_json(cmd: &Command) -> bool {
    use tasim::trace::cli::TraceCommand;
    matches!(
        cmd,
        Command::Run(_)
            | Command::Replay(_)
            | Command::Validate { .. }
            | Command::Types
            | Command::Trace { which: TraceCommand::Stats { .. } }
    )
}

/// An error as JSON: `{"error": {message, exit_code, problems: [{file, line, column, field,
/// message, fix}]}}` (a problem per located input error).
fn error_json(e: &(dyn std::error::Error + 'static)) -> Value {
    let one = |p: &InputError| {
        json!({"file": p.file.as_ref().map(|f| f.display().to_string()), "line": p.location.as_ref().map(|l| l.line),
               "column": p.location.as_ref().map(|l| l.column), "field": p.field, "message": p.message, "fix": p.fix})
    };
    let mut problems = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(p) = err.downcast_ref::<InputError>() {
            problems.push(one(p));
        } else if let Some(ps) = err.downcast_ref::<tasim::error::InputErrors>() {
            problems.extend(ps.0.iter().map(one));
        }
        cur = err.source();
    }
    json!({"error": {"message": e.to_string(), "exit_code": if is_input_error(e) { 2 } else { 1 }, "problems": problems}})
}

fn dispatch(cmd: Command) -> Result<Option<Value>> {
    match cmd {
        Command::Run(args) => run(args, None).map(Some),
        Command::Serve { run: args, serve } => {
            tasim::serve::serve(&serve, move |live| run(args, Some(live))).map(|_| None)
        }
        Command::Train(args) => tasim::train::cli::run(&args).map(|()| None),
        Command::Replay(args) => tasim::trace::cli::run_replay(&args, &mut emit_more).map(Some),
        Command::Trace { which } => tasim::trace::cli::trace(&which, &mut emit_more),
        Command::Sweep(args) => tasim::sweep::cli::run(&args, &mut emit_more).map(|()| None),
        Command::Validate { file, set, costs } => {
            let topo = topology::load(&file, &set)?;
            let mut sim = elaborate(&topo, Options::default())?;
            // Time zero: every component's `init` and what happens at once (a run stopped
            // there is the configuration's doing, reported as `run` would).
            sim.run_until(SimTime::ZERO).map_err(|e| aborted(&topo, e))?;
            let doc = json!({
                "file": file.display().to_string(), "ok": true, "topology": topo.name,
                "instances": topo.instances.len(), "connections": topo.connections.len(),
                "fabrics": topo.fabrics.len(), "clocks": topo.clocks.len(), "partitions": partitions(&topo),
            });
            say!("{}: ok ({})", file.display(), sizes(&topo));
            let mut doc = doc;
            if costs {
                let c = tasim::costs_report::costs(&topo, &sim.finish().stats);
                say!("{}", c.text.trim_end());
                doc["costs"] = c.json;
            } else {
                drop(sim);
            }
            Ok(Some(doc))
        }
        Command::Graph { file, out, set, depth } => {
            if let Some(p) = &out {
                tasim::output::check_out_file(p, "--out")?;
            }
            let topo = topology::load(&file, &set)?;
            let sim = elaborate(&topo, Options::default())?;
            let dot = match depth {
                Some(d) => graph::to_dot_grouped(&topo, sim.netlist(), d as usize),
                None => graph::to_dot(&topo, sim.netlist()),
            };
            match out {
                Some(p) => write_atomic(&p, dot.as_bytes()).map(|()| None),
                None => {
                    emit(&dot);
                    Ok(None)
                }
            }
        }
        Command::Types => {
            let mut types = Vec::new();
            for t in registry::registry() {
                say!("{}\n  {}\n  params:", t.name, t.summary);
                for line in registry::param_lines(t) {
                    say!("    {line}");
                }
                // Declared parameters as records (name with unit, default, range, doc); a type
                // without declarations keeps its listing lines.
                let params: Vec<Value> = match registry::declared(t.name) {
                    Some(decls) => components::param::flatten(decls)
                        .into_iter()
                        .map(|(name, d)| {
                            let range = match d.range {
                                components::param::Range::Other => Value::Null,
                                r => json!(r.to_string()),
                            };
                            let default = if d.default.is_empty() { Value::Null } else { json!(d.default) };
                            json!({"name": name, "default": default, "range": range, "doc": d.doc})
                        })
                        .collect(),
                    None => t.params.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| json!(l)).collect(),
                };
                types.push(json!({"name": t.name, "summary": t.summary, "params": params}));
            }
            Ok(Some(json!({ "types": types })))
        }
        Command::Bench {
            which:
                BenchCommand::Phold {
                    lps,
                    population,
                    lookahead_ps,
                    spread_ps,
                    end_ps,
                    seed,
                    threads,
                    partitions,
                    repeat,
                    fixed_threads,
                },
        } => {
            if threads == 0 {
                return Err(InputError::new("--threads 0").fix("use at least one thread").into());
            }
            let p = PholdParams { lps, population, lookahead_ps, spread_ps, end_ps, seed };
            // The same declared ranges as a `phold_lp` in a topology; named as options here.
            registry::check_phold(&p).map_err(|e| {
                let option = format!("--{}", e.param.replace('_', "-"));
                InputError::new(e.message.replace(&format!("`{}`", e.param), &format!("`{option}`")))
                    .field(option)
                    .fix(e.fix.unwrap_or_default())
            })?;
            for _ in 0..repeat.max(1) {
                let policy = if fixed_threads { ThreadPolicy::Fixed } else { ThreadPolicy::Adaptive };
                let r = tasim::bench::run_phold_with(p, partitions.unwrap_or(threads as u32), threads, policy);
                say!(
                    "events={} wall_s={:.6} events_per_s={:.0} threads={} windows={} synchronisations={} used: {}",
                    r.events,
                    r.wall_s,
                    r.events_per_s(),
                    r.threads,
                    r.sync.windows,
                    r.sync.synchronisations,
                    r.sync.describe()
                );
            }
            Ok(None)
        }
        Command::Bench { which: BenchCommand::Topology { file, set, threads, repeat, fixed_threads } } => {
            if threads == 0 {
                return Err(InputError::new("--threads 0").fix("use at least one thread").into());
            }
            // Under mpirun (`--features mpi`): the run over ranks, reported by rank 0.
            let mut ranked = tasim::ranks::transport()?;
            for _ in 0..repeat.max(1) {
                let r = match ranked.as_mut() {
                    Some(t) => match tasim::bench::run_topology_ranked(&file, &set, t.as_mut())? {
                        Some(r) => r,
                        None => continue,
                    },
                    None => tasim::bench::run_topology(&file, &set, threads, fixed_threads)?,
                };
                say!(
                    "events={} wall_s={:.6} events_per_s={:.0} threads={} windows={} synchronisations={} used: {}",
                    r.events,
                    r.wall_s,
                    r.events as f64 / r.wall_s,
                    r.sync.engines.max(1),
                    r.sync.windows,
                    r.sync.synchronisations,
                    r.sync.describe()
                );
            }
            Ok(None)
        }
    }
}

/// A run a component had to stop: in tasim that is always the configuration's doing (a
/// model that does not fit a buffer, an address outside memory), so it is an input error,
/// located at the declaration of the instance that stopped it.
fn aborted(topo: &topology::Topology, e: sim_core::SimError) -> InputError {
    let sim_core::SimError::Aborted { instance, .. } = &e;
    let message = format!("the simulation stopped: {e}");
    match topo.instance(instance) {
        Some(i) => i.origin.error("", message),
        None => InputError::new(message),
    }
}

/// `--timeline` and its window and detail, checked before the run (the file can be
/// written; the window is a range of simulated time).
fn timeline_options(args: &RunArgs) -> Result<Option<tasim::timeline::TimelineOptions>> {
    let Some(path) = &args.timeline else { return Ok(None) };
    tasim::output::check_out_file(path, "--timeline")?;
    let ps = |v: Option<f64>, flag: &str, default: u64| -> Result<u64> {
        match v {
            Some(ns) => Ok(topology::units::to_ps(ns, 1e3, flag).map_err(|m| InputError::new(m).field(flag))?),
            None => Ok(default),
        }
    };
    let from_ps = ps(args.timeline_from_ns, "--timeline-from-ns", 0)?;
    let to_ps = ps(args.timeline_to_ns, "--timeline-to-ns", u64::MAX)?;
    if to_ps <= from_ps {
        return Err(InputError::new(format!(
            "--timeline-to-ns ({}) is not after --timeline-from-ns ({})",
            args.timeline_to_ns.unwrap_or_default(),
            args.timeline_from_ns.unwrap_or_default()
        ))
        .field("--timeline-to-ns")
        .fix("give a window whose end is after its start")
        .into());
    }
    Ok(Some(tasim::timeline::TimelineOptions { from_ps, to_ps, detail: args.timeline_detail }))
}

fn partitions(topo: &topology::Topology) -> usize {
    let mut p: Vec<u32> = topo.instances.iter().map(|i| i.partition).collect();
    p.sort_unstable();
    p.dedup();
    p.len()
}

/// What a topology holds, for one line: "12 instances, 14 connections, 1 fabric, ...".
fn sizes(topo: &topology::Topology) -> String {
    use tasim::report::count;
    [
        count(topo.instances.len(), "instance"),
        count(topo.connections.len(), "connection"),
        count(topo.fabrics.len(), "fabric"),
        count(topo.clocks.len(), "clock"),
        count(partitions(topo), "partition"),
    ]
    .join(", ")
}

/// `tasim run`; returns the run as one JSON document (what `--format json` prints): the
/// topology, outcome, simulated time, events, the by-type summary with each figure's rule,
/// a chip run's summary (as `summary.json`), and every statistic (as `stats.json`).
/// With `live` (`tasim serve`), the run feeds the live view and obeys its pause and stop.
fn run(args: RunArgs, live: Option<&tasim::serve::Live>) -> Result<Value> {
    let mut topo = topology::load(&args.file, &args.set)?;
    tasim::trace::cli::reject_players(&topo)?;
    // Output places are checked before the run, not found wrong after it.
    for (dir, option) in [(&args.out, "--out"), (&args.save, "--save")] {
        if let Some(dir) = dir {
            check_out_dir(dir, option)?;
        }
    }
    let timeline_opts = timeline_options(&args)?;
    if let Some(seed) = args.seed {
        topo.seed = seed;
    }
    let threads = args.threads.or(topo.run.threads).unwrap_or(1);
    if threads == 0 {
        return Err(InputError::new("--threads 0").fix("use at least one thread").into());
    }
    // One rank of a run over MPI: one engine per rank (partitions in contiguous blocks).
    let mut ranked = tasim::ranks::transport()?;
    if ranked.is_some() {
        let asked = [
            (live.is_some(), "tasim serve"),
            (args.record_trace.is_some(), "--record-trace"),
            (args.timeline.is_some(), "--timeline"),
            (args.save.is_some(), "--save"),
        ];
        if let Some((_, option)) = asked.iter().find(|(on, _)| *on) {
            return Err(tasim::ranks::unsupported(option).into());
        }
    }
    let threads = ranked.as_ref().map_or(threads, |t| t.ranks());
    let end = match args.until_ns {
        Some(ns) => {
            Some(topology::units::to_ps(ns, 1e3, "--until-ns").map_err(|m| InputError::new(m).field("--until-ns"))?)
        }
        None => topo.run.end_ps,
    };
    tracing::info!("{}: {}, seed {}", args.file.display(), sizes(&topo), topo.seed);
    let outputs = std::sync::Arc::new(tasim::chip_types::Outputs::default());
    let recorder = match &args.record_trace {
        Some(path) => Some(tasim::trace::cli::recorder(&topo, path, args.trace_buffer)?),
        None => None,
    };
    let timeline = match (&args.timeline, timeline_opts) {
        (Some(path), Some(opts)) => Some(tasim::timeline::Timeline::new(&topo, path, opts)?),
        _ => None,
    };
    // Every observer the run has (trace recorder, timeline, live view) sees every event.
    let observer = [
        recorder.as_ref().map(|r| r.factory()),
        timeline.as_ref().map(|t| t.factory()),
        live.map(|l| l.observer(&topo)),
    ]
    .into_iter()
    .flatten()
    .reduce(tasim::elaborate::tee);
    let start = Instant::now();
    let mut sim = elaborate(&topo, Options { threads, outputs: outputs.clone(), observer, ..Options::default() })?;
    tracing::info!("elaborated in {:.3} s; running on {} thread(s)", start.elapsed().as_secs_f64(), sim.threads());
    let setup = outputs.setup.lock().expect("outputs lock").clone();
    if setup.is_some() && ranked.is_some() {
        // The trained model and the epochs' figures land in the controller's process.
        return Err(tasim::ranks::training_unsupported().into());
    }
    if setup.is_none() && args.save.is_some() {
        return Err(InputError::new("--save needs a chip topology (one with a `controller` that trains)")
            .field("--save")
            .into());
    }
    // Held-out figures are taken from each epoch's model as the run goes (between slices),
    // so the models are not kept to the end.
    let mut held = tasim::chip_report::HeldOut::default();
    let mut drain = || match &setup {
        Some(setup) => {
            held.drain(setup, &outputs)?;
            live.inspect(|l| l.epochs(held.epochs()));
            Ok(held.epochs_done())
        }
        None => Ok(0),
    };
    let outcome = match (live, ranked.as_mut()) {
        (_, Some(t)) => {
            sim.run_until_ranked(end.map_or(SimTime::MAX, SimTime), t.as_mut()).map_err(|e| aborted(&topo, e))?
        }
        (Some(live), None) => {
            live.start(&topo, end);
            let mut step = |sim: &mut sim_core::Simulation<components::Msg>, t| {
                sim.run_until(t).map_err(|e| anyhow::Error::from(aborted(&topo, e)))
            };
            tasim::serve::drive(live, &mut sim, end, &mut step, &mut || drain().map(drop).map_err(Into::into))?
        }
        (None, None) => {
            let planned = setup.as_ref().and(tasim::chip_types::training_epochs(&topo));
            let progress = tasim::progress::Progress::new(planned, end);
            run_with_progress(&topo, &mut sim, end, &progress, &mut drain)?
        }
    };
    drain()?;
    let wall = start.elapsed().as_secs_f64();
    tracing::info!("run ended ({outcome:?}) at {} after {} events", sim.now(), sim.events());
    let used_threads = sim.threads();
    let report = match ranked.as_mut() {
        // Rank 0 gathers every statistic; the other ranks are done.
        Some(t) => match sim.finish_ranked(t.as_mut()) {
            Some(report) => report,
            None => return Ok(Value::Null),
        },
        None => sim.finish(),
    };
    let recorded = match (&recorder, &args.record_trace) {
        (Some(r), Some(path)) => Some((r.finish(outcome, report.end)?, path)),
        _ => None,
    };
    let timeline_written = match (&timeline, &args.timeline) {
        (Some(t), Some(path)) => Some((t.finish(&report)?, path)),
        _ => None,
    };

    let summary = match &setup {
        Some(setup) => Some(tasim::chip_report::summarise(&topo, &report, setup, &held)?),
        None => None,
    };
    let outcome_line = outcome_text(outcome, summary.as_ref());
    say!("topology   {} ({})", topo.name, args.file.display());
    say!("outcome    {outcome_line}");
    say!("simulated  {}", report.end);
    // More threads than partitions cannot be used: say so rather than let it pass.
    let asked = if threads > used_threads {
        let p = partitions(&topo);
        format!("; {threads} asked for, but the topology has {p} partition{}", if p == 1 { "" } else { "s" })
    } else {
        String::new()
    };
    say!(
        "events     {} in {:.3} s wall ({:.2} M events/s, {} {}{}{asked})",
        report.events,
        wall,
        report.events as f64 / wall / 1e6,
        used_threads,
        if ranked.is_some() { "rank" } else { "thread" },
        if used_threads == 1 { "" } else { "s" }
    );
    say!("threads    {}", report.sync.describe());
    let system = tasim::system_report::summarise(&topo, &report);
    let by_type = report::summary_by_type(&topo, &report.stats);
    let chip = match (&setup, summary) {
        (Some(setup), Some(summary)) => {
            say!("\n{}", summary.text.trim_end());
            if let Some(dir) = &args.save {
                // One chip: DIR; a system: DIR/chip<k> for each chip.
                let results = outputs.results();
                let many = results.iter().any(|(scope, _)| !scope.is_empty());
                for (scope, result) in results {
                    let Some(last) = result.last.clone() else {
                        return Err(
                            InputError::new("the run ended before the model was set up: nothing to save").into()
                        );
                    };
                    let mut trainer = setup.trainer.clone();
                    trainer.state = train_math::ModelState::Int8(last);
                    let to = if scope.is_empty() { dir.clone() } else { dir.join(scope.trim_end_matches('.')) };
                    if !scope.is_empty() {
                        ensure_dir(dir)?;
                    }
                    tasim::train::weights_dir::save(
                        &to,
                        &setup.model.spec.name,
                        &setup.model.geoms,
                        &trainer.weights(),
                    )?;
                }
                say!("\nweights saved to {}{}", dir.display(), if many { " (one directory per chip)" } else { "" });
            }
            Some(summary)
        }
        _ if system.is_some() => None,
        _ => {
            say!("\nstatistics over the instances of each type (counts summed, rates pooled, spans and peaks the largest):");
            emit(&report::summary_text(&by_type));
            None
        }
    };
    if let Some(sys) = &system {
        say!("\n{}", sys.text.trim_end());
    }
    if let Some((n, path)) = &recorded {
        say!("\ntrace      {n} memory transactions recorded in {}", path.display());
    }
    if let Some((n, path)) = &timeline_written {
        let what = match tasim::timeline::Format::of(path) {
            tasim::timeline::Format::Json => "Chrome trace-event JSON: open in ui.perfetto.dev or Chrome DevTools",
            tasim::timeline::Format::Perfetto => "Perfetto protobuf: open in ui.perfetto.dev",
        };
        say!("timeline   {n} events in {} ({what})", path.display());
    }
    let mut written: Vec<String> = Vec::new();
    if let Some(dir) = &args.out {
        let json = serde_json::json!({
            "topology": topo.name,
            "seed": topo.seed,
            "end_ps": report.end.as_ps(),
            "events": report.events,
            "stats": report::stats_json(&report.stats),
        });
        let mut files = OutDir::new();
        files.add("stats.json", serde_json::to_string_pretty(&json)?);
        files.add("stats.csv", report::stats_csv(&report.stats));
        if let Some(bw) = tasim::bandwidth_report::Bandwidth::of_run(&topo, &report.stats) {
            files.add("bandwidth.csv", bw.csv());
            files.add("bandwidth.svg", bw.svg()?);
        }
        if let Some(c) = &chip {
            files.add("summary.json", serde_json::to_string_pretty(&c.json)?);
            files.add("power.csv", c.power_csv.as_str());
            files.add("epochs.csv", c.epochs_csv.as_str());
            files.add("energy_components.csv", c.components_csv.as_str());
            for (name, svg) in tasim::run_plots::chip_plots(&topo, &report.stats)? {
                files.add(&name, svg);
            }
        }
        if let Some(sys) = &system {
            let mut summary = chip.as_ref().map_or_else(|| serde_json::json!({}), |c| c.json.clone());
            summary["system"] = sys.json.clone();
            files.add("summary.json", serde_json::to_string_pretty(&summary)?);
            files.add("chips.csv", sys.chips_csv.as_str());
            files.add("links.csv", sys.links_csv.as_str());
        }
        written = files.names().iter().map(|n| n.to_string()).collect();
        files.commit(dir, false)?;
        say!("\nwrote {} in {}", written.join(", "), dir.display());
    }
    Ok(json!({
        "topology": topo.name,
        "file": args.file.display().to_string(),
        "seed": topo.seed,
        "outcome": outcome_line,
        "end_ps": report.end.as_ps(),
        "events": report.events,
        "threads": used_threads,
        "by_type": report::summary_json(&by_type),
        "chip": chip.as_ref().map(|c| &c.json),
        "system": system.as_ref().map(|s| &s.json),
        "trace": recorded.as_ref().map(|(n, p)| json!({"records": n, "file": p.display().to_string()})),
        "out": args.out.as_ref().map(|d| json!({"dir": d.display().to_string(), "files": written})),
        "stats": report::stats_json(&report.stats),
    }))
}

/// What ended the run, in words: a chip run says how far training got (its controller ends
/// a run that trained every epoch; anything else is a run cut short).
fn outcome_text(outcome: RunOutcome, chip: Option<&tasim::chip_report::ChipSummary>) -> String {
    let progress = chip.map(|c| format!("; {} of {} epochs trained", c.epochs_done, c.epochs_planned));
    match (outcome, chip) {
        (RunOutcome::Stopped, Some(c)) if c.epochs_done == c.epochs_planned => {
            format!(
                "training finished: the controller ended the run after {} of {} epochs",
                c.epochs_done, c.epochs_planned
            )
        }
        (RunOutcome::Stopped, _) => format!("a component ended the run{}", progress.unwrap_or_default()),
        (RunOutcome::ReachedEnd, _) => format!("reached the end time{}", progress.unwrap_or_default()),
        (RunOutcome::Idle, _) => format!("no events left{}", progress.unwrap_or_default()),
    }
}

/// Runs to `end` (or to the end of events) in slices, with a progress bar on a terminal;
/// `after_slice` runs after each slice.
fn run_with_progress(
    topo: &topology::Topology,
    sim: &mut sim_core::Simulation<components::Msg>,
    end: Option<u64>,
    progress: &tasim::progress::Progress,
    after_slice: &mut dyn FnMut() -> std::result::Result<u64, tasim::error::InputError>,
) -> Result<RunOutcome> {
    // Shown on a terminal only: epoch n/N, simulated time, events/s and the time left.
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(1000)
    } else {
        ProgressBar::hidden()
    };
    let show = |sim: &sim_core::Simulation<components::Msg>, epochs: u64| {
        let s = progress.snapshot(sim.now().as_ps(), sim.events(), epochs);
        if let Some(f) = s.fraction {
            bar.set_position((f * 1000.0) as u64);
        }
        bar.set_message(s.line());
        bar.tick();
    };
    let with_bar = end.is_some() || tasim::chip_types::training_epochs(topo).is_some();
    bar.set_style(
        ProgressStyle::with_template(if with_bar {
            "{bar:30} {percent:>3}% {msg} [{elapsed}]"
        } else {
            "{spinner} {msg} [{elapsed}]"
        })
        .expect("valid template"),
    );
    let outcome = match end {
        Some(end) => {
            let mut outcome = RunOutcome::ReachedEnd;
            for k in 1..=100u64 {
                let t = (u128::from(end) * u128::from(k) / 100) as u64;
                outcome = sim.run_until(SimTime(t)).map_err(|e| aborted(topo, e))?;
                let epochs = after_slice()?;
                show(sim, epochs);
                if outcome != RunOutcome::ReachedEnd {
                    break;
                }
            }
            outcome
        }
        None => loop {
            // Always run once: a component may have stopped the run in `init`, before
            // any event, and the run is what reports it.
            let from = sim.next_event_time().unwrap_or(sim.now());
            let outcome =
                sim.run_until(SimTime(from.as_ps().saturating_add(1_000_000_000))).map_err(|e| aborted(topo, e))?;
            let epochs = after_slice()?;
            show(sim, epochs);
            if outcome != RunOutcome::ReachedEnd {
                break outcome;
            }
        },
    };
    bar.finish_and_clear();
    Ok(outcome)
}
