//! The command line of `tasim sweep` and `tasim sweep merge`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::grid::Manifest;
use super::{failure, merge, prepare, run_points, validate, Request, Select};
use crate::error::InputError;

/// Variables a cluster sets to the task's index, in the order `--index env` reads them.
pub const INDEX_VARIABLES: [&str; 2] = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The topology every point runs (as `tasim run FILE`).
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// A key and its values, `instance.param=V1,V2,...` (repeatable; the grid is their
    /// cartesian product; one value is a fixed override; `seed=...` sets the run's seed).
    #[arg(long = "set", value_name = "INSTANCE.PARAM=V1,V2,...")]
    pub set: Vec<String>,
    /// Output directory: the manifest, the points' results, the table and the plots go here.
    #[arg(long, value_name = "DIR", default_value = "sweep-out")]
    pub out: PathBuf,
    /// Points run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Run only point K (`env`: the index in SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K|env", conflicts_with = "shard")]
    pub index: Option<String>,
    /// Run only share I of N (the points whose index is I modulo N; I may be `env`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Skip the points that already have a successful result in --out.
    #[arg(long)]
    pub resume: bool,
    /// The swept key on the plots' x axis (default: the first key swept over numbers).
    #[arg(long, value_name = "KEY")]
    pub plot_x: Option<String>,
    /// A scaling study: add speedup and parallel efficiency against the smallest x.
    #[arg(long)]
    pub scaling: bool,
    /// Write the manifest and list the points; run nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum SweepCommand {
    /// Gather the points' results in DIR into table.csv, table.jsonl and plots/ (after a
    /// sharded sweep; a local sweep does this itself).
    Merge {
        /// The --out directory of the sweep.
        dir: PathBuf,
    },
}

/// Runs `tasim sweep ...`; `emit` prints to standard output.
pub fn run(args: &SweepArgs, emit: &mut dyn FnMut(&str) -> bool) -> Result<()> {
    if let Some(SweepCommand::Merge { dir }) = &args.command {
        return gather(dir, emit);
    }
    let Some(file) = &args.file else {
        return Err(InputError::new("no topology file").fix("tasim sweep FILE --set KEY=V1,V2,...").into());
    };
    let manifest = Manifest::new(file, &args.set, args.plot_x.as_deref(), args.scaling)?;
    let select = match (&args.index, &args.shard) {
        (Some(k), _) => Select::Index(parse_index(k, "--index")?),
        (None, Some(s)) => parse_shard(s)?,
        (None, None) => Select::All,
    };
    let jobs = match args.jobs {
        Some(0) => {
            return Err(InputError::new("--jobs 0").field("--jobs").fix("run at least one point at a time").into())
        }
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let n = manifest.points.len();
    let indices = select.indices(n)?;
    validate(&manifest, &indices, jobs)?;
    prepare(&args.out, &manifest)?;
    if args.dry_run {
        let mut text = format!("points {n}\n");
        for p in &manifest.points {
            let values: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            text.push_str(&format!("{} {}\n", p.index, values.join(" ")));
        }
        emit(&text);
        return Ok(());
    }
    let exe = std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot find the tasim binary: {e}"))?;
    let req = Request { manifest, out: args.out.clone(), jobs, select, resume: args.resume, exe };
    let start = Instant::now();
    let ran = run_points(&req, &indices)?;
    emit(&format!(
        "sweep      {} of {n} points of {} on {} job{}: {} ran, {} already done, {} failed, {:.1} s wall\n",
        indices.len(),
        file.display(),
        jobs.min(indices.len()).max(1),
        if jobs.min(indices.len()) > 1 { "s" } else { "" },
        ran.ran,
        ran.skipped,
        ran.failed.len(),
        start.elapsed().as_secs_f64()
    ));
    if select == Select::All {
        gather(&args.out, emit)
    } else {
        emit(&format!(
            "results    in {}; when every point is done: tasim sweep merge {}\n",
            args.out.join("points").display(),
            args.out.display()
        ));
        let failed: Vec<(usize, Option<i32>)> = ran.failed.iter().map(|r| (r.index, r.exit_code)).collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failure(&failed, indices.len()))
        }
    }
}

/// `tasim sweep merge DIR` (and the end of a local sweep).
fn gather(dir: &Path, emit: &mut dyn FnMut(&str) -> bool) -> Result<()> {
    let (m, table, plots) = merge(dir)?;
    emit(&format!(
        "wrote      table.csv, table.jsonl ({} rows, {} metrics) and {plots} plots{} in {}\n",
        table.rows.len(),
        table.metrics.len(),
        m.plot_x.as_ref().map(|x| format!(" against {x}")).unwrap_or_default(),
        dir.display()
    ));
    let failed: Vec<(usize, Option<i32>)> = table.failed().iter().map(|r| (r.index, r.exit_code)).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failure(&failed, m.points.len()))
    }
}

/// A point index, or `env`: the first of [`INDEX_VARIABLES`] that is set.
fn parse_index(text: &str, option: &str) -> Result<usize, InputError> {
    let (source, value) = if text == "env" {
        let found = INDEX_VARIABLES.iter().find_map(|v| std::env::var(v).ok().map(|val| (*v, val)));
        let Some((var, val)) = found else {
            return Err(InputError::new(format!("{option} env: neither {} is set", INDEX_VARIABLES.join(" nor ")))
                .field(option)
                .fix("run inside a Slurm job array (sbatch --array) or a Kubernetes Indexed Job, or give the index"));
        };
        (format!("{var}={val}"), val)
    } else {
        (format!("{option} {text}"), text.to_string())
    };
    value.trim().parse::<usize>().map_err(|_| {
        InputError::new(format!("{source}: not a point index")).field(option).fix("give a whole number from 0")
    })
}

/// `I/N` (I may be `env`).
fn parse_shard(text: &str) -> Result<Select, InputError> {
    let bad = || InputError::new(format!("--shard {text}: not I/N")).field("--shard").fix("for example --shard 0/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    let i = parse_index(i.trim(), "--shard")?;
    if n == 0 || i >= n {
        return Err(InputError::new(format!("--shard {text}: share {i} of {n} does not exist"))
            .field("--shard")
            .fix("shares are numbered 0 to N-1, and N is at least 1"));
    }
    Ok(Select::Shard(i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_round_robin() {
        assert_eq!(parse_shard("1/3").unwrap(), Select::Shard(1, 3));
        assert_eq!(Select::Shard(1, 3).indices(8).unwrap(), vec![1, 4, 7]);
        assert_eq!(Select::Shard(2, 3).indices(2).unwrap(), Vec::<usize>::new());
        for bad in ["3/3", "1/0", "x/2", "1"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
        assert!(Select::Index(8).indices(8).is_err());
    }
}
