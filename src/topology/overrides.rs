//! `--set` on the structure of the top-level file, applied to its YAML before it is read:
//! clock fields (`clocks.core_clk.frequency_mhz=100`), an array's size (`pc.count=4`, a
//! component or subsystem declared with `count`) and connection fields
//! (`connections[2].latency_ns=10`, by position in the file's `connections` list) and the
//! technology node (`technology.node_nm=28`). Every
//! other override names instance parameters and is applied after expansion (`flatten`).

use serde_yaml::{Mapping, Value};

use super::Origin;
use crate::error::InputError;
use crate::suggest::fix_for;

/// What a `--set` argument addresses.
#[derive(Debug, PartialEq)]
pub(crate) enum Target<'a> {
    /// `clocks.<name>.<field>`.
    Clock { name: &'a str, field: &'a str },
    /// `<array>.count` for a component or subsystem of the top-level file with `count`.
    Count { name: &'a str },
    /// `connections[<index>].<field>`.
    Connection { index: usize, field: &'a str },
    /// `technology.<field>`: the chip's node (for a system, every chip's).
    Technology { field: &'a str },
    /// An instance parameter (`pc0.pe_rows`, or `pc.pe_rows` for every element of `pc`).
    Parameter,
}

/// Sorts `key` (the part before `=`) given the top-level YAML `doc`.
pub(crate) fn target<'a>(doc: &Value, key: &'a str) -> Target<'a> {
    if let Some((name, field)) = key.strip_prefix("clocks.").and_then(|r| r.rsplit_once('.')) {
        return Target::Clock { name, field };
    }
    if let Some(field) = key.strip_prefix("technology.") {
        return Target::Technology { field };
    }
    if let Some((index, field)) = key.strip_prefix("connections[").and_then(|r| r.split_once("].")) {
        if let Ok(index) = index.parse() {
            return Target::Connection { index, field };
        }
    }
    if let Some(name) = key.strip_suffix(".count") {
        let is_array = ["components", "subsystems"].iter().any(|list| {
            doc.get(list)
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .any(|d| d.get("name").and_then(Value::as_str) == Some(name) && d.get("count").is_some())
        });
        if is_array {
            return Target::Count { name };
        }
    }
    Target::Parameter
}

fn entry_named<'a>(doc: &'a mut Value, list: &str, name: &str) -> Option<&'a mut Mapping> {
    doc.get_mut(list)?
        .as_sequence_mut()?
        .iter_mut()
        .find(|d| d.get("name").and_then(Value::as_str) == Some(name))?
        .as_mapping_mut()
}

fn names(doc: &Value, list: &str) -> Vec<String> {
    let items = doc.get(list).and_then(Value::as_sequence).into_iter().flatten();
    items.filter_map(|d| d.get("name").and_then(Value::as_str).map(str::to_string)).collect()
}

/// Applies one structural override to `doc`. A new frequency replaces `period_ps` (and the
/// reverse); with operating points, the voltage then follows the point (as in the file).
pub(crate) fn apply(doc: &mut Value, t: &Target<'_>, value: Value, arg: &str) -> Result<(), InputError> {
    let origin = Origin::CommandLine { arg: arg.to_string() };
    let key = |s: &str| Value::String(s.to_string());
    match *t {
        Target::Clock { name, field } => {
            let known = names(doc, "clocks");
            let Some(clock) = entry_named(doc, "clocks", name) else {
                let msg = format!("the top-level file declares no clock `{name}`");
                return Err(origin.error("", msg).fix(fix_for(name, known.iter().map(String::as_str))));
            };
            match field {
                "frequency_mhz" | "period_ps" => {
                    clock.remove(key(if field == "period_ps" { "frequency_mhz" } else { "period_ps" }));
                    if clock.get("operating_points").is_some() {
                        clock.remove(key("voltage_v"));
                    }
                }
                "voltage_v" | "partition" => {}
                other => {
                    let fields = ["frequency_mhz", "period_ps", "voltage_v", "partition"];
                    let msg = format!("a clock has no field `{other}` that --set can change");
                    return Err(origin.error("", msg).fix(fix_for(other, fields)));
                }
            }
            clock.insert(key(field), value);
        }
        Target::Count { name } => {
            let list = if entry_named(doc, "components", name).is_some() { "components" } else { "subsystems" };
            entry_named(doc, list, name).expect("target() found it").insert(key("count"), value);
        }
        Target::Connection { index, field } => {
            let n = doc.get("connections").and_then(Value::as_sequence).map_or(0, Vec::len);
            let Some(c) = doc.get_mut("connections").and_then(|c| c.get_mut(index)).and_then(Value::as_mapping_mut)
            else {
                let msg = format!("the top-level file has {n} connections; there is no connections[{index}]");
                return Err(origin.error("", msg).fix("count the `connections:` entries from 0"));
            };
            // One latency and one bandwidth: the new one replaces whichever the file gave.
            for group in [
                &["latency_ps", "latency_ns", "latency_cycles"][..],
                &["bandwidth_bytes_per_s", "bandwidth_gb_per_s", "bandwidth_bytes_per_cycle"][..],
            ] {
                if group.contains(&field) {
                    for other in group {
                        c.remove(key(other));
                    }
                }
            }
            c.insert(key(field), value);
        }
        Target::Technology { field } => {
            if field != "node_nm" {
                let msg = format!("`technology` has no field `{field}` that --set can change");
                return Err(origin.error("", msg).fix(fix_for(field, ["node_nm"])));
            }
            let Some(top) = doc.as_mapping_mut() else {
                return Err(origin.error("", "the top-level file is not a mapping"));
            };
            let tech = top.entry(key("technology")).or_insert_with(|| Value::Mapping(Mapping::new()));
            if !tech.is_mapping() {
                *tech = Value::Mapping(Mapping::new());
            }
            tech.as_mapping_mut().expect("a mapping").insert(key(field), value);
        }
        Target::Parameter => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_yaml::from_str(
            "clocks: [{name: core_clk, frequency_mhz: 50, voltage_v: 0.5}]\n\
             components: [{name: pc, type: propagation_core, count: 2}, {name: uc, type: update_core}]\n\
             connections: [{from: a.x, to: b.y, latency_ns: 5}]\n",
        )
        .unwrap()
    }

    #[test]
    fn keys_sort_into_structure_and_parameters() {
        let d = doc();
        assert_eq!(
            target(&d, "clocks.core_clk.frequency_mhz"),
            Target::Clock { name: "core_clk", field: "frequency_mhz" }
        );
        assert_eq!(target(&d, "pc.count"), Target::Count { name: "pc" });
        assert_eq!(target(&d, "uc.count"), Target::Parameter, "uc is not an array");
        assert_eq!(target(&d, "connections[0].latency_ps"), Target::Connection { index: 0, field: "latency_ps" });
        assert_eq!(target(&d, "pc.pe_rows"), Target::Parameter);
        assert_eq!(target(&d, "technology.node_nm"), Target::Technology { field: "node_nm" });
    }

    #[test]
    fn a_new_latency_replaces_the_old_unit() {
        let mut d = doc();
        let t = target(&d, "connections[0].latency_ps");
        apply(&mut d, &t, Value::from(7), "connections[0].latency_ps=7").unwrap();
        let c = &d["connections"][0];
        assert_eq!((c.get("latency_ns"), c["latency_ps"].as_u64()), (None, Some(7)));
        let t = target(&d, "clocks.core_clk.period_ps");
        apply(&mut d, &t, Value::from(10000), "x").unwrap();
        assert_eq!(d["clocks"][0].get("frequency_mhz"), None);
        let t = target(&d, "clocks.core.frequency_mhz");
        let e = apply(&mut d, &t, Value::from(1), "clocks.core.frequency_mhz=1").unwrap_err();
        assert!(e.to_string().contains("core_clk"), "{e}");
    }
}
