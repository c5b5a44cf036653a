//! `tasim sweep`: a grid of `--set` values, each point an ordinary `tasim run`, gathered into a
//! table and plots — on the local cores, or sharded over a cluster's job array.
//!
//! ```text
//!  --set a=1,2 --set b=x,y ──> grid ──> manifest.json (points 0..n, stable indices)
//!                                          │  all points (threads), or --index K / --shard I/N
//!                                          ▼
//!                  point K: tasim run FILE --set a=.. --set b=.. --out points/K
//!                           ──> points/K.json (status, headline results; atomic)
//!                                          │  merge (the same code locally and after shards)
//!                                          ▼
//!                            table.csv, table.jsonl, plots/METRIC.svg
//! ```
//! `grid` expands the arguments and holds the manifest, `point` runs one point and records
//! it, `table` gathers the rows (and speedup and efficiency for a scaling study), `plot`
//! draws them, `cli` is the command line.

pub mod cli;
pub mod grid;
pub mod plot;
pub mod point;
pub mod table;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::elaborate::{elaborate, Options};
use crate::error::{InputError, InputErrors};
use crate::output::{ensure_dir, write_atomic, OutDir};
use grid::{overrides, Manifest};
use point::{PointResult, Status};
use table::Table;

/// Which points this invocation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Select {
    All,
    /// Point K.
    Index(usize),
    /// Every point whose index is I modulo N (round robin: shares differ by at most one).
    Shard(usize, usize),
}

impl Select {
    pub fn indices(self, n: usize) -> Result<Vec<usize>, InputError> {
        match self {
            Select::All => Ok((0..n).collect()),
            Select::Index(k) if k < n => Ok(vec![k]),
            Select::Index(k) => Err(InputError::new(format!("point {k} does not exist: the sweep has {n} points"))
                .field("--index")
                .fix(format!("use 0 to {} (a Slurm array: --array=0-{})", n - 1, n - 1))),
            Select::Shard(i, count) => Ok((i..n).step_by(count).collect()),
        }
    }
}

/// What `tasim sweep FILE ...` was asked to do.
#[derive(Debug)]
pub struct Request {
    pub manifest: Manifest,
    pub out: PathBuf,
    pub jobs: usize,
    pub select: Select,
    pub resume: bool,
    /// The `tasim` binary each point runs (the one running now).
    pub exe: PathBuf,
}

/// How the points of one invocation went.
#[derive(Debug)]
pub struct Ran {
    pub ran: usize,
    /// Points skipped by `--resume` (already done).
    pub skipped: usize,
    pub failed: Vec<PointResult>,
}

/// Writes `manifest.json` in `dir`, or checks that the one there is this sweep's (the tasks
/// of a job array all write the same one).
pub fn prepare(dir: &Path, m: &Manifest) -> Result<()> {
    let path = dir.join("manifest.json");
    // A directory with files but no manifest is not a sweep's: writing points into it would
    // mix them with whatever it holds.
    if !path.exists() {
        let foreign = std::fs::read_dir(dir)
            // `points/` and a manifest being written by another task of the same array
            // (`manifest.json.tmp<pid>`) are a sweep's own.
            .map(|d| {
                d.filter_map(|e| e.ok()).any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name != "points" && !name.starts_with("manifest.json")
                })
            })
            .unwrap_or(false);
        if foreign {
            return Err(InputError::new(format!(
                "--out {}: the directory holds files and no sweep manifest",
                dir.display()
            ))
            .field("--out")
            .fix("give a new or empty --out directory (or a sweep's, to resume or merge it)")
            .into());
        }
    }
    ensure_dir(&dir.join("points"))?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let same = serde_json::from_str::<Manifest>(&text).is_ok_and(|old| old == *m);
            if !same {
                return Err(InputError::new("the directory holds another sweep (other file, keys, values or options)")
                    .in_file(&path)
                    .field("--out")
                    .fix("give a new --out directory, or delete this one")
                    .into());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_atomic(&path, serde_json::to_string_pretty(m)?.as_bytes())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Checks the points as `tasim validate` would (every parameter known and in range), all of
/// them before any runs, on `jobs` threads: bad input stops the sweep with every problem
/// listed (in point order, each once), exit code 2.
pub fn validate(m: &Manifest, indices: &[usize], jobs: usize) -> Result<(), InputErrors> {
    let check = |k: usize| -> Vec<InputError> {
        let p = &m.points[k];
        let checked = crate::topology::load(Path::new(&m.topology), &overrides(p))
            .and_then(|topo| elaborate(&topo, Options::default()).map(drop));
        checked.err().map(|InputErrors(e)| e).unwrap_or_default()
    };
    let chunk = indices.len().div_ceil(jobs.max(1)).max(1);
    let found: Vec<Vec<InputError>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            indices.chunks(chunk).map(|part| s.spawn(move || part.iter().flat_map(|&k| check(k)).collect())).collect();
        handles.into_iter().map(|h| h.join().expect("a validation thread panicked")).collect()
    });
    let mut problems: Vec<InputError> = Vec::new();
    for e in found.into_iter().flatten() {
        if !problems.contains(&e) {
            problems.push(e);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(problems))
    }
}

/// Runs the selected points on `jobs` threads, each driving one child run. Points already
/// done are skipped with `resume`; a failing point is recorded and the others go on.
pub fn run_points(req: &Request, indices: &[usize]) -> Result<Ran> {
    let m = &req.manifest;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(indices.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} points {msg} [{elapsed}, eta {eta}]")
            .expect("valid template"),
    );
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let skipped = AtomicUsize::new(0);
    let done: Mutex<Vec<PointResult>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..req.jobs.min(indices.len()).max(1) {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(&k) = indices.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    let p = &m.points[k];
                    let outcome = match point::load(&req.out, m, p) {
                        Ok(Some(r)) if req.resume && r.status == Status::Ok => {
                            skipped.fetch_add(1, Ordering::Relaxed);
                            Ok(None)
                        }
                        _ => point::run(&req.exe, &req.out, m, p).map(Some),
                    };
                    match outcome {
                        Ok(r) => {
                            let mut done = done.lock().expect("results lock");
                            if let Some(r) = r {
                                done.push(r);
                            }
                            let failed = done.iter().filter(|r| r.status == Status::Failed).count();
                            if failed > 0 {
                                bar.set_message(format!("({failed} failed)"));
                            }
                            bar.inc(1);
                        }
                        Err(e) => {
                            first_error.lock().expect("error lock").get_or_insert(e);
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = first_error.into_inner().expect("error lock") {
        return Err(e);
    }
    let mut done = done.into_inner().expect("results lock");
    done.sort_by_key(|r| r.index);
    let ran = done.len();
    Ok(Ran {
        ran,
        skipped: skipped.into_inner(),
        failed: done.into_iter().filter(|r| r.status == Status::Failed).collect(),
    })
}

/// The gathered sweep in `dir`: its manifest and table, after writing `table.csv`,
/// `table.jsonl` and `plots/*.svg`. Every point must have a result.
pub fn merge(dir: &Path) -> Result<(Manifest, Table, usize)> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InputError::new(format!("cannot read the sweep's manifest: {e}"))
            .in_file(&path)
            .fix("give the --out directory of a sweep (it holds manifest.json and points/)")
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| {
        InputError::new(format!("not a sweep manifest: {e}"))
            .in_file(&path)
            .at(e.line(), e.column())
            .fix("write it again: run the same `tasim sweep` command with --dry-run into a new --out directory")
    })?;
    let mut results = Vec::with_capacity(m.points.len());
    let mut missing = Vec::new();
    for p in &m.points {
        match point::load(dir, &m, p)? {
            Some(r) => results.push(r),
            None => missing.push(p.index),
        }
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(20).map(usize::to_string).collect();
        let more = if missing.len() > 20 { format!(" and {} more", missing.len() - 20) } else { String::new() };
        return Err(InputError::new(format!(
            "{} of {} points have no result: {}{more}",
            missing.len(),
            m.points.len(),
            shown.join(", ")
        ))
        .in_file(dir.join("points"))
        .fix("run them (tasim sweep ... --index K, or the whole sweep with --resume), then merge again")
        .into());
    }
    let table = Table::build(&m, results);
    // Whole or not at all: the plots directory is swapped for a complete new one (plots of
    // metrics the table no longer has go with the old one), then the two tables are renamed
    // in, each written in full beside it first.
    let plots = plot::plots(&m, &table)?;
    let mut plot_files = OutDir::new();
    for (name, svg) in &plots {
        plot_files.add(name, svg.as_bytes());
    }
    plot_files.commit(&dir.join("plots"), true)?;
    let mut tables = OutDir::new();
    tables.add("table.csv", table.csv());
    tables.add("table.jsonl", table.jsonl());
    tables.commit(dir, false)?;
    let n = plots.len();
    Ok((m, table, n))
}

/// The error a sweep with failed points ends with: exit code 2 when every failure was bad
/// input (each run exited with 2), else 1.
pub fn failure(failed: &[(usize, Option<i32>)], total: usize) -> anyhow::Error {
    let shown: Vec<String> = failed.iter().take(20).map(|(k, _)| k.to_string()).collect();
    let message = format!(
        "{} of {} points failed ({}{}); their rows give the errors, points/K.log the whole output",
        failed.len(),
        total,
        shown.join(", "),
        if failed.len() > 20 { ", ..." } else { "" }
    );
    if failed.iter().all(|(_, code)| *code == Some(2)) {
        InputError::new(message).fix("correct the values of those points and run again with --resume").into()
    } else {
        anyhow!(message)
    }
}
