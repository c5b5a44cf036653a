//! Statistics as JSON and CSV for other tools, and a short summary for the terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Map, Value};
use sim_core::{combine, Aggregate, StatValue, StatsSnapshot};

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
        // A rate reads as its value; the terms are in the CSV (and pool in summaries).
        StatValue::Ratio { num, den } => json!(StatValue::ratio(*num, *den)),
        StatValue::Extent(x) => json!(x),
    }
}

/// `n` and `noun`, the noun in the plural unless `n` is 1 ("1 partition", "16 partitions").
/// `noun` is a regular English noun (plural by adding "s").
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
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

/// Every statistic as CSV: `name,kind,value,mean,max,count,p50,p95,p99,min,num,den`
/// (`num` and `den` are a ratio's terms, for pooling it with others).
pub fn stats_csv(stats: &StatsSnapshot) -> String {
    let mut out = String::from("name,kind,value,mean,max,count,p50,p95,p99,min,num,den\n");
    for (k, v) in stats.iter() {
        let _ = match v {
            StatValue::Counter(c) => writeln!(out, "{k},counter,{c},,,,,,,,,"),
            StatValue::Value(x) => writeln!(out, "{k},value,{x},,,,,,,,,"),
            StatValue::TimeAverage { mean, max } => writeln!(out, "{k},time_average,,{mean},{max},,,,,,,"),
            StatValue::Histogram(h) => {
                writeln!(
                    out,
                    "{k},histogram,,{},{},{},{},{},{},{},,",
                    h.mean, h.max, h.count, h.p50, h.p95, h.p99, h.min
                )
            }
            // A series stands here by its sum and length; the values are in the JSON.
            StatValue::Series { values, .. } => {
                writeln!(out, "{k},series,{},,,{},,,,,,", values.iter().sum::<f64>(), values.len())
            }
            StatValue::Ratio { num, den } => {
                writeln!(out, "{k},ratio,{},,,,,,,,{num},{den}", StatValue::ratio(*num, *den))
            }
            StatValue::Extent(x) => writeln!(out, "{k},extent,{x},,,,,,,,,"),
        };
    }
    out
}

/// One statistic combined over the instances of a component type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeFigure {
    /// `<type>.<statistic>`, e.g. `dram_controller.row_hit_rate`.
    pub name: String,
    /// How many instances contributed.
    pub instances: usize,
    /// How they combined: summed, pooled (Σnum/Σden) or the largest.
    pub rule: Aggregate,
    pub value: f64,
}

/// Each statistic combined over the instances of its component type (`phold_lp.events`) by
/// its own rule ([`Aggregate`]: counts add, rates pool, spans and peaks take the largest),
/// with how many instances contributed: a readable digest of thousands of statistics.
/// Distributions and series are left out (one figure would misrepresent them).
pub fn summary_by_type(topo: &Topology, stats: &StatsSnapshot) -> Vec<TypeFigure> {
    let kinds: BTreeMap<&str, &str> = topo.instances.iter().map(|i| (i.name.as_str(), i.kind.as_str())).collect();
    let mut acc: BTreeMap<String, Vec<&StatValue>> = BTreeMap::new();
    for (name, v) in stats.iter() {
        // The instance is the longest dotted prefix that names one.
        let mut inst = None;
        for (i, _) in name.match_indices('.') {
            if kinds.contains_key(&name[..i]) {
                inst = Some(i);
            }
        }
        let Some(cut) = inst else { continue };
        if v.aggregate().is_none() {
            continue;
        }
        acc.entry(format!("{}.{}", kinds[&name[..cut]], &name[cut + 1..])).or_default().push(v);
    }
    acc.into_iter()
        .filter_map(|(name, vs)| {
            let (rule, value) = combine(vs.iter().copied())?;
            Some(TypeFigure { name, instances: vs.len(), rule, value })
        })
        .collect()
}

/// The by-type summary as text lines: name, value, rule and instance count.
pub fn summary_text(figures: &[TypeFigure]) -> String {
    let mut out = String::new();
    for f in figures {
        let _ = writeln!(out, "  {:<40} {:>16} {:<6} (over {})", f.name, f.value, f.rule.name(), f.instances);
    }
    out
}

/// The by-type summary as JSON: `{name: {value, rule, instances}}`.
pub fn summary_json(figures: &[TypeFigure]) -> Value {
    let mut m = Map::new();
    for f in figures {
        m.insert(f.name.clone(), json!({"value": f.value, "rule": f.rule.name(), "instances": f.instances}));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_one_in_the_singular() {
        assert_eq!(count(1, "partition"), "1 partition");
        assert_eq!((count(0, "clock"), count(16, "chip")), ("0 clocks".into(), "16 chips".into()));
    }
}
