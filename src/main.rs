use std::process::ExitCode;

use clap::{Parser, Subcommand};
use components::phold::PholdParams;

#[derive(Parser)]
#[command(name = "tasim", version, about = "Discrete-event simulator of an on-device CNN training accelerator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Kernel benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// PHOLD as in shared/bench/PHOLD.md.
    Phold {
        #[arg(long, default_value_t = 1024)]
        lps: u64,
        #[arg(long, default_value_t = 16)]
        population: u64,
        #[arg(long, default_value_t = 1000)]
        lookahead_ps: u64,
        #[arg(long, default_value_t = 9000)]
        spread_ps: u64,
        #[arg(long, default_value_t = 10_000_000)]
        end_ps: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long)]
        partitions: Option<u32>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench {
            which: BenchCommand::Phold { lps, population, lookahead_ps, spread_ps, end_ps, seed, threads, partitions },
        } => {
            let p = PholdParams { lps, population, lookahead_ps, spread_ps, end_ps, seed };
            let r = tasim::bench::run_phold(p, partitions.unwrap_or(threads as u32), threads);
            println!("events={} wall_s={:.6} events_per_s={:.0}", r.events, r.wall_s, r.events_per_s());
        }
    }
    ExitCode::SUCCESS
}
