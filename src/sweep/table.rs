//! The table of a sweep: one row per point (its values, status and headline results) as CSV
//! and JSON lines, and for a scaling study the speedup and parallel efficiency of each point
//! against the smallest x of its series.
//!
//! The table is built from the manifest and the result files only, so a sweep run in one go
//! and one gathered from shards by `tasim sweep merge` give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Number, Value};

use super::grid::{number, Manifest};
use super::point::{PointResult, Status};

/// The time metric of speedup: a chip run's `simulated_ps`, else any topology's `end_ps`.
const TIME_METRICS: [&str; 2] = ["simulated_ps", "end_ps"];

/// The columns a scaling study adds, apart from any `speedup` a run reports itself.
pub const SPEEDUP: &str = "scaling.speedup";
pub const EFFICIENCY: &str = "scaling.efficiency";

/// The gathered sweep.
#[derive(Debug)]
pub struct Table {
    /// The keys of the grid, in command-line order.
    pub keys: Vec<String>,
    /// Every metric some point reported, sorted, then `scaling.speedup` and
    /// `scaling.efficiency` when asked.
    pub metrics: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug)]
pub struct Row {
    pub index: usize,
    pub params: BTreeMap<String, String>,
    pub status: Status,
    /// The run's exit code (not in the table; it decides the sweep's own).
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub results: BTreeMap<String, Number>,
}

impl Table {
    /// Rows in point order; `results[k]` is point k's result.
    pub fn build(m: &Manifest, results: Vec<PointResult>) -> Table {
        let keys: Vec<String> = m.axes.iter().map(|a| a.key.clone()).collect();
        let mut rows: Vec<Row> = results
            .into_iter()
            .map(|r| Row {
                index: r.index,
                params: r.params,
                status: r.status,
                exit_code: r.exit_code,
                error: r.error,
                results: r.results,
            })
            .collect();
        let mut metrics: Vec<String> =
            rows.iter().flat_map(|r| r.results.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
        if m.scaling {
            if let (Some(x), Some(time)) =
                (&m.plot_x, TIME_METRICS.iter().find(|t| metrics.iter().any(|name| name == *t)))
            {
                add_scaling(&mut rows, x, time, &m.series_keys());
                metrics.extend([SPEEDUP.to_string(), EFFICIENCY.to_string()]);
            }
        }
        Table { keys, metrics, rows }
    }

    /// Points that failed.
    pub fn failed(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.status == Status::Failed).collect()
    }

    /// `index, KEY..., status, METRIC..., error` with a header line (RFC 4180 quoting).
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<&str> = ["index"]
            .into_iter()
            .chain(self.keys.iter().map(String::as_str))
            .chain(["status"])
            .chain(self.metrics.iter().map(String::as_str))
            .chain(["error"])
            .collect();
        push_line(&mut out, header.iter().map(|s| s.to_string()));
        for r in &self.rows {
            let cells = [r.index.to_string()]
                .into_iter()
                .chain(self.keys.iter().map(|k| r.params.get(k).cloned().unwrap_or_default()))
                .chain([status_name(r.status).to_string()])
                .chain(self.metrics.iter().map(|k| r.results.get(k).map(Number::to_string).unwrap_or_default()))
                .chain([r.error.clone().unwrap_or_default()]);
            push_line(&mut out, cells);
        }
        out
    }

    /// One JSON object per line: `{"index", "params", "status", "error", "results"}`; a
    /// value that is a number is written as one.
    pub fn jsonl(&self) -> String {
        let mut out = String::new();
        for r in &self.rows {
            let params: serde_json::Map<String, Value> =
                self.keys.iter().filter_map(|k| r.params.get(k).map(|v| (k.clone(), param_value(v)))).collect();
            let results: serde_json::Map<String, Value> =
                r.results.iter().map(|(k, n)| (k.clone(), Value::Number(n.clone()))).collect();
            let line = json!({
                "index": r.index,
                "params": params,
                "status": status_name(r.status),
                "error": r.error,
                "results": results,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Failed => "failed",
    }
}

/// A parameter as JSON: a number when it reads as one exactly, else its text.
fn param_value(v: &str) -> Value {
    match serde_json::from_str::<Number>(v.trim()) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(v.to_string()),
    }
}

fn push_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push('\n');
}

/// speedup = time(x0) / time(x) and efficiency = speedup · x0 / x, where x0 is the smallest
/// x of the point's series (the points sharing the other swept keys' values) that has a
/// time. A strong-scaling definition: the same work on more chips (Amdahl; Hennessy &
/// Patterson, ch. 1).
fn add_scaling(rows: &mut [Row], x_key: &str, time: &str, series_keys: &[&str]) {
    let series = |r: &Row| -> Vec<String> { series_keys.iter().map(|k| r.params[*k].clone()).collect() };
    let mut base: BTreeMap<Vec<String>, (f64, f64)> = BTreeMap::new();
    for r in rows.iter() {
        let (Some(x), Some(t)) = (number(&r.params[x_key]), r.results.get(time).and_then(Number::as_f64)) else {
            continue;
        };
        let e = base.entry(series(r)).or_insert((x, t));
        if x < e.0 {
            *e = (x, t);
        }
    }
    for r in rows.iter_mut() {
        let (Some(x), Some(t)) = (number(&r.params[x_key]), r.results.get(time).and_then(Number::as_f64)) else {
            continue;
        };
        let Some(&(x0, t0)) = base.get(&series(r)) else { continue };
        if t > 0.0 && x > 0.0 {
            let speedup = t0 / t;
            for (name, v) in [(SPEEDUP, speedup), (EFFICIENCY, speedup * x0 / x)] {
                if let Some(n) = Number::from_f64(v) {
                    r.results.insert(name.to_string(), n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn result(m: &Manifest, index: usize, time: Option<u64>) -> PointResult {
        PointResult {
            index,
            params: m.points[index].params.clone(),
            status: if time.is_some() { Status::Ok } else { Status::Failed },
            exit_code: Some(if time.is_some() { 0 } else { 2 }),
            error: time.is_none().then(|| "error: bad, \"really\"".to_string()),
            wall_s: 0.5,
            results: time.map(|t| [("simulated_ps".to_string(), Number::from(t))].into()).unwrap_or_default(),
        }
    }

    #[test]
    fn scaling_is_against_the_smallest_x_of_each_series() {
        let sets = vec!["sys.chips=1,2,4".to_string(), "link.gbps=10,20".to_string()];
        let m = Manifest::new(Path::new("t"), &sets, None, true).unwrap();
        // chips 1,2,4 x gbps 10,20: times 100/60/40 at 10 GB/s, 100/50/25 at 20 GB/s.
        let times = [100, 100, 60, 50, 40, 25];
        let rs = (0..6).map(|i| result(&m, i, Some(times[i]))).collect();
        let t = Table::build(&m, rs);
        let col = |name: &str| -> Vec<f64> { t.rows.iter().map(|r| r.results[name].as_f64().unwrap()).collect() };
        assert_eq!(col(SPEEDUP), vec![1.0, 1.0, 100.0 / 60.0, 2.0, 2.5, 4.0]);
        assert_eq!(col(EFFICIENCY), vec![1.0, 1.0, 100.0 / 120.0, 1.0, 0.625, 1.0]);
        assert_eq!(t.metrics, vec!["simulated_ps", SPEEDUP, EFFICIENCY]);
    }

    #[test]
    fn csv_quotes_and_failed_rows_keep_their_error() {
        let sets = vec!["a.x=1,2".to_string()];
        let m = Manifest::new(Path::new("t"), &sets, None, false).unwrap();
        let t = Table::build(&m, vec![result(&m, 0, Some(5)), result(&m, 1, None)]);
        assert_eq!(
            t.csv(),
            "index,a.x,status,simulated_ps,error\n0,1,ok,5,\n1,2,failed,,\"error: bad, \"\"really\"\"\"\n"
        );
        let lines: Vec<Value> = t.jsonl().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0]["params"]["a.x"], json!(1));
        assert_eq!(lines[1]["status"], "failed");
        assert_eq!(t.failed().len(), 1);
    }
}
