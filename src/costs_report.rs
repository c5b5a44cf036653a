//! What the hardware costs, from the statistics the components write: the area of each
//! component (`<instance>.area_mm2`, and its parts `<instance>.area.<part>_mm2`) and in total,
//! and the energy of one action in this configuration (`<instance>.cost.<action>`: one SRAM
//! access, one MAC, one byte-hop, ... at the supply voltage of the moment the statistics
//! were taken). The chip report shows it after a run; `tasim validate --costs` shows it
//! without running (statistics taken at time zero, at the initial operating points).

use std::fmt::Write;

use serde_json::{json, Value};
use sim_core::StatsSnapshot;

use crate::topology::Topology;

/// The costs as text (a few lines) and as JSON (`area`, `energy_per_action`).
pub struct Costs {
    pub text: String,
    pub json: Value,
    /// Total area of the components that report one, mm².
    pub total_mm2: f64,
}

/// The costs of the instances of `topo` whose statistics are in `s`.
pub fn costs(topo: &Topology, s: &StatsSnapshot) -> Costs {
    let mut text = String::new();
    let mut components = Vec::new();
    let mut actions = Vec::new();
    let mut total = 0.0;
    for inst in &topo.instances {
        let name = &inst.name;
        if let Some(a) = s.value(&format!("{name}.area_mm2")) {
            let prefix = format!("{name}.area.");
            let parts: Vec<(String, f64)> = s
                .with_prefix(&prefix)
                .filter_map(|(k, _)| Some((k.strip_prefix(&prefix)?.strip_suffix("_mm2")?.to_string(), s.value(k)?)))
                .collect();
            total += a;
            components.push(json!({
                "name": name, "type": inst.kind, "mm2": a,
                "parts_mm2": parts.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            }));
        }
        let prefix = format!("{name}.cost.");
        for (k, _) in s.with_prefix(&prefix) {
            if let (Some(action), Some(pj)) = (k.strip_prefix(&prefix), s.value(k)) {
                actions.push(json!({ "name": name, "type": inst.kind, "action": action, "pj": pj }));
            }
        }
    }
    if !components.is_empty() {
        let _ =
            writeln!(text, "area       {total:.3} mm2 at {} nm (model; per component below)", topo.technology.node_nm);
        for c in &components {
            let parts = c["parts_mm2"].as_object().map_or(String::new(), |m| {
                m.iter().map(|(k, v)| format!("{k} {:.3}", v.as_f64().unwrap_or(0.0))).collect::<Vec<_>>().join(", ")
            });
            let _ = writeln!(
                text,
                "    {:<8} {:<18} {:>7.3}{}",
                c["name"].as_str().unwrap_or(""),
                c["type"].as_str().unwrap_or(""),
                c["mm2"].as_f64().unwrap_or(0.0),
                if parts.is_empty() { String::new() } else { format!("  ({parts})") }
            );
        }
    }
    if !actions.is_empty() {
        let _ = writeln!(text, "actions    energy of one action in this configuration (pJ at the supply voltage now)");
        for a in &actions {
            let _ = writeln!(
                text,
                "    {:<8} {:<32} {:>9.4}",
                a["name"].as_str().unwrap_or(""),
                a["action"].as_str().unwrap_or(""),
                a["pj"].as_f64().unwrap_or(0.0)
            );
        }
    }
    let json = json!({
        "area": { "total_mm2": total, "node_nm": topo.technology.node_nm, "per_component": components },
        "energy_per_action": actions,
    });
    Costs { text, json, total_mm2: total }
}
