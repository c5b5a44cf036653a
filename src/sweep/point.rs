//! One point of a sweep: an ordinary `tasim run` of the topology with the point's values, in
//! a child process, and its result file.
//!
//! A point runs as a child `tasim run FILE --set ... --out points/K` rather than in-process:
//! its output directory is then what `tasim run` writes, byte for byte, by construction; a point
//! that aborts or runs out of memory fails alone; and each run's memory goes back to the system
//! when it ends. The result file `points/K.json` is written atomically after the child exits:
//! it is the record that the point is done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::grid::{run_args, Manifest, Point};
use crate::error::InputError;
use crate::output::write_atomic;

/// How a point ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
}

/// The result file of one point (`points/K.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointResult {
    pub index: usize,
    pub params: BTreeMap<String, String>,
    pub status: Status,
    /// The run's exit code (2: bad input; none: killed by a signal).
    pub exit_code: Option<i32>,
    /// The run's error message, for a failed point.
    pub error: Option<String>,
    /// Wall time of the run in seconds (not in the table: it differs from run to run).
    pub wall_s: f64,
    /// The headline results (see [`headline`]).
    pub results: BTreeMap<String, Number>,
}

/// The directory and result file of point `index`.
pub fn paths(dir: &Path, m: &Manifest, index: usize) -> (PathBuf, PathBuf) {
    let name = format!("{index:0w$}", w = m.width());
    let points = dir.join("points");
    (points.join(&name), points.join(format!("{name}.json")))
}

/// The result of point `p` if it is recorded in `dir` (a missing file is `None`; an
/// unreadable one, or one for other values, is an error).
pub fn load(dir: &Path, m: &Manifest, p: &Point) -> Result<Option<PointResult>> {
    let (_, file) = paths(dir, m, p.index);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let r: PointResult = serde_json::from_str(&text).map_err(|e| {
        InputError::new(format!("not a point result: {e}"))
            .in_file(&file)
            .at(e.line(), e.column())
            .fix("delete the file and run the point again (--index K or --resume)")
    })?;
    if r.index != p.index || r.params != p.params {
        return Err(InputError::new(format!("this result is not point {} of the manifest (other values)", p.index))
            .in_file(&file)
            .fix("delete the file and run the point again (--index K or --resume)")
            .into());
    }
    Ok(Some(r))
}

/// Runs point `p` with the `tasim` binary `exe` and writes its result file. A run that fails
/// is a result too (status `failed`); only a failure to start the child or to write the
/// result is an error.
pub fn run(exe: &Path, dir: &Path, m: &Manifest, p: &Point) -> Result<PointResult> {
    let (out, file) = paths(dir, m, p.index);
    // A stale result or directory from an earlier attempt must not outlive this one.
    for r in [std::fs::remove_file(&file), std::fs::remove_dir_all(&out)] {
        if let Err(e) = r {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e).with_context(|| format!("cannot clear {}", out.display()));
            }
        }
    }
    let start = Instant::now();
    // Started through `interrupt`: Ctrl-C of the sweep stops the point's run too.
    let child = crate::interrupt::child_output(
        Command::new(exe).arg("run").arg(&m.topology).args(run_args(p)).arg("--out").arg(&out).stdin(Stdio::null()),
    )
    .with_context(|| format!("cannot start {}", exe.display()))?;
    let wall_s = start.elapsed().as_secs_f64();
    let mut log = child.stdout.clone();
    log.extend_from_slice(&child.stderr);
    write_atomic(&file.with_extension("log"), &log)?;
    let mut result = PointResult {
        index: p.index,
        params: p.params.clone(),
        status: Status::Ok,
        exit_code: child.status.code(),
        error: None,
        wall_s,
        results: BTreeMap::new(),
    };
    if child.status.success() {
        match headline_of_dir(&out) {
            Ok(results) => result.results = results,
            Err(e) => {
                result.status = Status::Failed;
                result.error = Some(format!("{e:#}"));
            }
        }
    } else {
        result.status = Status::Failed;
        result.error = Some(error_text(&child.stderr, child.status));
    }
    write_atomic(&file, serde_json::to_string_pretty(&result)?.as_bytes())?;
    Ok(result)
}

/// The run's own message (from its `error:` line on), else how it ended.
fn error_text(stderr: &[u8], status: std::process::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.rfind("error:") {
        Some(at) => text[at..].trim().to_string(),
        None if text.trim().is_empty() => format!("tasim run ended with {status}"),
        None => format!("tasim run ended with {status}: {}", text.trim()),
    }
}

/// The headline results of a run's `--out` directory: from `summary.json` (a chip run), else
/// from `stats.json` (any topology).
fn headline_of_dir(out: &Path) -> Result<BTreeMap<String, Number>> {
    let summary = out.join("summary.json");
    let path = if summary.exists() { summary } else { out.join("stats.json") };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    Ok(headline(&v))
}

/// The numeric scalars of a run's summary, named by their path (`energy.chip_uj`). Lists are
/// per-item detail and left out, except `epochs`: its length (`epochs`) and the scalars of
/// its last entry (`last_epoch.held_out_accuracy`), the trained model's figures. The top-level
/// `seed` is an input, not a result (sweep it with `--set seed=...`). New summary fields (a
/// multi-chip `speedup`) appear without a change here.
pub fn headline(v: &Value) -> BTreeMap<String, Number> {
    let mut out = BTreeMap::new();
    flatten("", v, &mut out);
    out.remove("seed");
    if let Some(epochs) = v.get("epochs").and_then(Value::as_array) {
        out.insert("epochs".to_string(), Number::from(epochs.len()));
        if let Some(last) = epochs.last() {
            flatten("last_epoch", last, &mut out);
        }
    }
    out
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Number>) {
    match v {
        Value::Number(n) => {
            out.insert(prefix.to_string(), n.clone());
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_takes_numeric_scalars_and_the_last_epoch() {
        let v: Value = serde_json::from_str(
            r#"{"model": "m", "seed": 3, "simulated_ps": 7, "energy": {"chip_uj": 1.5, "per_layer_uj": [1, 2]},
                "masking": true, "epochs": [{"epoch": 1, "acc": 0.5}, {"epoch": 2, "acc": 0.75}]}"#,
        )
        .unwrap();
        let h = headline(&v);
        let got: Vec<(&str, String)> = h.iter().map(|(k, n)| (k.as_str(), n.to_string())).collect();
        assert_eq!(
            got,
            vec![
                ("energy.chip_uj", "1.5".to_string()),
                ("epochs", "2".to_string()),
                ("last_epoch.acc", "0.75".to_string()),
                ("last_epoch.epoch", "2".to_string()),
                ("simulated_ps", "7".to_string()),
            ]
        );
    }

    #[test]
    fn error_text_starts_at_the_error_line() {
        let status = std::process::Command::new("false").status().unwrap();
        let t = error_text(b"WARN something\nerror: bad\n  field: x\n", status);
        assert_eq!(t, "error: bad\n  field: x");
        assert!(error_text(b"", status).contains("ended with"));
    }
}
