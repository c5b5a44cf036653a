//! Statistics as JSON and CSV for other tools, and a short summary for the terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Map, Value};
use sim_core::{StatValue, StatsSnapshot};

use crate::topology::Topology;

fn stat_json(v: &StatValue) -> Value {
    match v {
        StatValue::Counter(c) => json!(c),
        StatValue::Value(x) => json!(x),
        StatValue::TimeAverage { mean, max } => json!({ "mean": mean, "max": max }),
        StatValue::Histogram(h) => json!({
            "count": h.count, "mean": h.mean, "min": h.min, "p50": h.p50, "p95": h.p95, "p99": h.p99, "max": h.max,
        }),
        StatValue::Series { step_ps, values } => json!({ "step_ps": step_ps, "values": values }),
    }
}

/// Every statistic as a JSON object keyed by hierarchical name, in snapshot order.
pub fn stats_json(stats: &StatsSnapshot) -> Value {
    let mut m = Map::new();
    for (k, v) in stats.iter() {
        m.insert(k.to_string(), stat_json(v));
    }
    Value::Object(m)
}

/// Every statistic as CSV: `name,kind,value,mean,max,count,p50,p95,p99,min`.
pub fn stats_csv(stats: &StatsSnapshot) -> String {
    let mut out = String::from("name,kind,value,mean,max,count,p50,p95,p99,min\n");
    for (k, v) in stats.iter() {
        let _ = match v {
            StatValue::Counter(c) => writeln!(out, "{k},counter,{c},,,,,,,"),
            StatValue::Value(x) => writeln!(out, "{k},value,{x},,,,,,,"),
            StatValue::TimeAverage { mean, max } => writeln!(out, "{k},time_average,,{mean},{max},,,,,"),
            StatValue::Histogram(h) => {
                writeln!(out, "{k},histogram,,{},{},{},{},{},{},{}", h.mean, h.max, h.count, h.p50, h.p95, h.p99, h.min)
            }
            // A series stands here by its sum and length; the values are in the JSON.
            StatValue::Series { values, .. } => {
                writeln!(out, "{k},series,{},,,{},,,,", values.iter().sum::<f64>(), values.len())
            }
        };
    }
    out
}

/// Counters and values summed over the instances of each component type (`phold_lp.events`),
/// with how many instances contributed: a readable digest of thousands of statistics.
pub fn summary_by_type(topo: &Topology, stats: &StatsSnapshot) -> Vec<(String, usize, f64)> {
    let kinds: BTreeMap<&str, &str> = topo.instances.iter().map(|i| (i.name.as_str(), i.kind.as_str())).collect();
    let mut acc: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for (name, v) in stats.iter() {
        // The instance is the longest dotted prefix that names one.
        let mut inst = None;
        for (i, _) in name.match_indices('.') {
            if kinds.contains_key(&name[..i]) {
                inst = Some(i);
            }
        }
        let Some(cut) = inst else { continue };
        let key = format!("{}.{}", kinds[&name[..cut]], &name[cut + 1..]);
        let x = match v {
            StatValue::Counter(c) => *c as f64,
            StatValue::Value(x) => *x,
            _ => continue,
        };
        let e = acc.entry(key).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += x;
    }
    acc.into_iter().map(|(k, (n, s))| (k, n, s)).collect()
}
