use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "tasim", version, about = "Discrete-event simulator of an on-device CNN training accelerator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model standalone (the reference trainer, no simulation).
    Train(tasim::train::cli::TrainArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => tasim::train::cli::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if tasim::error::is_input_error(e.as_ref()) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
