//! The `tasim` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use components::phold::PholdParams;
use indicatif::{ProgressBar, ProgressStyle};
use sim_core::{RunOutcome, SimTime, ThreadPolicy};
use tasim::elaborate::{elaborate, Options};
use tasim::error::is_input_error;
use tasim::output::{ensure_dir, write_atomic};
use tasim::{graph, registry, report, topology, InputError};
use tracing_subscriber::EnvFilter;

/// Set once standard output is gone (`tasim ... | head`): later text is dropped, and the run
/// goes on (its `--out` files still get written).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints to standard output.
fn emit(text: &str) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a topology and report its statistics.
    Run(RunArgs),
    /// Check a topology (YAML, types, parameters, wiring) without running it.
    Validate {
        file: PathBuf,
        /// Parameter overrides, `instance.param=value`.
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
    },
    /// Print the elaborated netlist as Graphviz DOT.
    Graph {
        file: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
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
    /// Kernel benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Args)]
struct RunArgs {
    file: PathBuf,
    /// Parameter overrides for sweeps, `instance.param=value` (repeatable).
    #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
    set: Vec<String>,
    /// Threads for partitioned topologies (default: the file's `run.threads`, else 1).
    #[arg(long)]
    threads: Option<usize>,
    /// Stop at this simulated time in nanoseconds (default: the file's `run` section).
    #[arg(long, value_name = "NS")]
    until_ns: Option<f64>,
    /// Write stats.json and stats.csv here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Seed of every random stream (default: the file's `seed`).
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
}

#[derive(Subcommand)]
enum BenchCommand {
    /// PHOLD exactly as in shared/bench/PHOLD.md, built from components on a fabric.
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
        file: PathBuf,
        #[arg(long = "set", value_name = "INSTANCE.PARAM=VALUE")]
        set: Vec<String>,
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
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if is_input_error(e.as_ref()) { 2 } else { 1 })
        }
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Run(args) => run(args),
        Command::Train(args) => tasim::train::cli::run(&args),
        Command::Replay(args) => tasim::trace::cli::run_replay(&args, &mut emit_more),
        Command::Trace { which } => tasim::trace::cli::trace(&which, &mut emit_more),
        Command::Validate { file, set } => {
            let topo = topology::load(&file, &set)?;
            let sim = elaborate(&topo, Options::default())?;
            say!(
                "{}: ok ({} instances, {} connections, {} fabrics, {} clocks, {} partitions)",
                file.display(),
                topo.instances.len(),
                topo.connections.len(),
                topo.fabrics.len(),
                topo.clocks.len(),
                partitions(&topo)
            );
            drop(sim);
            Ok(())
        }
        Command::Graph { file, out, set } => {
            let topo = topology::load(&file, &set)?;
            let sim = elaborate(&topo, Options::default())?;
            let dot = graph::to_dot(&topo, sim.netlist());
            match out {
                Some(p) => write_atomic(&p, dot.as_bytes()),
                None => {
                    emit(&dot);
                    Ok(())
                }
            }
        }
        Command::Types => {
            for t in registry::registry() {
                say!("{}\n  {}\n  params:", t.name, t.summary);
                for line in t.params.lines() {
                    say!("    {}", line.trim());
                }
            }
            Ok(())
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
            if lps == 0 || lps > u64::from(u32::MAX) {
                return Err(InputError::new(format!("--lps {lps} is out of range"))
                    .fix("use 1 to 4294967295 LPs")
                    .into());
            }
            if threads == 0 {
                return Err(InputError::new("--threads 0").fix("use at least one thread").into());
            }
            let p = PholdParams { lps, population, lookahead_ps, spread_ps, end_ps, seed };
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
            Ok(())
        }
        Command::Bench { which: BenchCommand::Topology { file, set, threads, repeat, fixed_threads } } => {
            if threads == 0 {
                return Err(InputError::new("--threads 0").fix("use at least one thread").into());
            }
            for _ in 0..repeat.max(1) {
                let r = tasim::bench::run_topology(&file, &set, threads, fixed_threads)?;
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
            Ok(())
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

fn partitions(topo: &topology::Topology) -> usize {
    let mut p: Vec<u32> = topo.instances.iter().map(|i| i.partition).collect();
    p.sort_unstable();
    p.dedup();
    p.len()
}

fn run(args: RunArgs) -> Result<()> {
    let mut topo = topology::load(&args.file, &args.set)?;
    tasim::trace::cli::reject_players(&topo)?;
    if let Some(seed) = args.seed {
        topo.seed = seed;
    }
    let threads = args.threads.or(topo.run.threads).unwrap_or(1);
    if threads == 0 {
        return Err(InputError::new("--threads 0").fix("use at least one thread").into());
    }
    let end = match args.until_ns {
        Some(ns) => {
            Some(topology::units::to_ps(ns, 1e3, "--until-ns").map_err(|m| InputError::new(m).field("--until-ns"))?)
        }
        None => topo.run.end_ps,
    };
    tracing::info!(
        "{}: {} instances, {} connections, {} fabrics, {} clocks, {} partitions, seed {}",
        args.file.display(),
        topo.instances.len(),
        topo.connections.len(),
        topo.fabrics.len(),
        topo.clocks.len(),
        partitions(&topo),
        topo.seed
    );
    let outputs = std::sync::Arc::new(tasim::chip_types::Outputs::default());
    let recorder = match &args.record_trace {
        Some(path) => Some(tasim::trace::cli::recorder(&topo, path, args.trace_buffer)?),
        None => None,
    };
    let observer = recorder.as_ref().map(|r| r.factory());
    let start = Instant::now();
    let mut sim = elaborate(&topo, Options { threads, outputs: outputs.clone(), observer, ..Options::default() })?;
    tracing::info!("elaborated in {:.3} s; running on {} thread(s)", start.elapsed().as_secs_f64(), sim.threads());
    let setup = outputs.setup.lock().expect("outputs lock").clone();
    if setup.is_none() && args.save.is_some() {
        return Err(InputError::new("--save needs a chip topology (one with a `controller` that trains)")
            .field("--save")
            .into());
    }
    let outcome = run_with_progress(&topo, &mut sim, end)?;
    let wall = start.elapsed().as_secs_f64();
    tracing::info!("run ended ({outcome:?}) at {} after {} events", sim.now(), sim.events());
    let used_threads = sim.threads();
    let report = sim.finish();
    let recorded = match (&recorder, &args.record_trace) {
        (Some(r), Some(path)) => Some((r.finish(outcome, report.end)?, path)),
        _ => None,
    };

    say!("topology   {} ({})", topo.name, args.file.display());
    say!(
        "outcome    {}",
        match outcome {
            RunOutcome::ReachedEnd => "reached the end time",
            RunOutcome::Idle => "no events left",
            RunOutcome::Stopped => "stopped by a component",
        }
    );
    say!("simulated  {}", report.end);
    say!(
        "events     {} in {:.3} s wall ({:.2} M events/s, {} thread{})",
        report.events,
        wall,
        report.events as f64 / wall / 1e6,
        used_threads,
        if used_threads == 1 { "" } else { "s" }
    );
    say!("threads    {}", report.sync.describe());
    let chip = match &setup {
        Some(setup) => {
            let result = outputs.training.lock().expect("sink lock").clone();
            let summary = tasim::chip_report::summarise(&topo, &report, setup, &result)?;
            say!("\n{}", summary.text.trim_end());
            if let Some(dir) = &args.save {
                let Some(last) = result.last.clone() else {
                    return Err(InputError::new("the run ended before the model was set up: nothing to save").into());
                };
                let mut trainer = setup.trainer.clone();
                trainer.state = train_math::ModelState::Int8(last);
                tasim::train::weights_dir::save(dir, &setup.model.spec.name, &setup.model.geoms, &trainer.weights())?;
                say!("\nweights saved to {}", dir.display());
            }
            Some(summary)
        }
        None => {
            say!("\nstatistics summed over the instances of each type:");
            for (name, n, sum) in report::summary_by_type(&topo, &report.stats) {
                say!("  {name:<40} {sum:>16} (over {n})");
            }
            None
        }
    };
    if let Some((n, path)) = recorded {
        say!("\ntrace      {n} memory transactions recorded in {}", path.display());
    }
    if let Some(dir) = &args.out {
        ensure_dir(dir)?;
        let json = serde_json::json!({
            "topology": topo.name,
            "seed": topo.seed,
            "end_ps": report.end.as_ps(),
            "events": report.events,
            "stats": report::stats_json(&report.stats),
        });
        write_atomic(&dir.join("stats.json"), serde_json::to_string_pretty(&json)?.as_bytes())?;
        write_atomic(&dir.join("stats.csv"), report::stats_csv(&report.stats).as_bytes())?;
        let mut written = vec!["stats.json", "stats.csv"];
        if let Some(c) = &chip {
            write_atomic(&dir.join("summary.json"), serde_json::to_string_pretty(&c.json)?.as_bytes())?;
            write_atomic(&dir.join("power.csv"), c.power_csv.as_bytes())?;
            write_atomic(&dir.join("epochs.csv"), c.epochs_csv.as_bytes())?;
            write_atomic(&dir.join("energy_components.csv"), c.components_csv.as_bytes())?;
            written.extend(["summary.json", "power.csv", "epochs.csv", "energy_components.csv"]);
        }
        say!("\nwrote {} in {}", written.join(", "), dir.display());
    }
    Ok(())
}

/// Runs to `end` (or to the end of events) in slices, with a progress bar on a terminal.
fn run_with_progress(
    topo: &topology::Topology,
    sim: &mut sim_core::Simulation<components::Msg>,
    end: Option<u64>,
) -> Result<RunOutcome> {
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(1000)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% simulated {msg} [{elapsed}]").expect("valid template"),
    );
    let outcome = match end {
        Some(end) => {
            let mut outcome = RunOutcome::ReachedEnd;
            for k in 1..=100u64 {
                let t = (u128::from(end) * u128::from(k) / 100) as u64;
                outcome = sim.run_until(SimTime(t)).map_err(|e| aborted(topo, e))?;
                bar.set_position(k * 10);
                bar.set_message(format!("{}", SimTime(t)));
                if outcome != RunOutcome::ReachedEnd {
                    break;
                }
            }
            outcome
        }
        None => {
            bar.set_style(
                ProgressStyle::with_template("{spinner} simulated {msg} [{elapsed}]").expect("valid template"),
            );
            loop {
                // Always run once: a component may have stopped the run in `init`, before
                // any event, and the run is what reports it.
                let from = sim.next_event_time().unwrap_or(sim.now());
                let outcome =
                    sim.run_until(SimTime(from.as_ps().saturating_add(1_000_000_000))).map_err(|e| aborted(topo, e))?;
                bar.set_message(format!("{}", sim.now()));
                bar.tick();
                if outcome != RunOutcome::ReachedEnd {
                    break outcome;
                }
            }
        }
    };
    bar.finish_and_clear();
    Ok(outcome)
}
