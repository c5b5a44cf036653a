//! The report of a system of chips (a topology with `system:`): per chip, per link, per
//! collective phase, and for the whole system. Everything comes from the statistics.
//!
//! - per chip: samples trained, busy share of its cores, exposed communication (time from
//!   the end of its last local sample of a step until the step's last all-reduce came back,
//!   summed over steps, as a share of the run), bytes sent and received, energy;
//! - per link (`chip_link`, `switch` port): bytes, utilisation, queueing delay, energy;
//! - per collective: time by phase (reduce-scatter and all-gather per dimension);
//! - system: epoch time, samples/s, energy per epoch (chips, links, off-chip DRAM).

use std::fmt::Write;

use serde_json::{json, Value};
use sim_core::{Report, StatValue, StatsSnapshot};

use crate::topology::Topology;

/// The report in its forms.
pub struct SystemSummary {
    pub text: String,
    pub json: Value,
    /// chip, samples, busy, exposed_comm, bytes_sent, bytes_received, chip_uj, link_uj, offchip_uj.
    pub chips_csv: String,
    /// link, type, bytes, busy_fraction, queue_delay_mean_ps, queue_delay_max_ps, energy_uj.
    pub links_csv: String,
}

fn counter(s: &StatsSnapshot, name: &str) -> u64 {
    s.counter(name).unwrap_or(0)
}

fn value(s: &StatsSnapshot, name: &str) -> f64 {
    s.value(name).unwrap_or(0.0)
}

/// Sum of the values of the statistics named `<prefix>*<suffix>`.
fn sum_in(s: &StatsSnapshot, prefix: &str, suffix: &str) -> f64 {
    s.with_prefix(prefix).filter(|(k, _)| k.ends_with(suffix)).filter_map(|(k, _)| s.value(k)).sum()
}

/// The chips of a system (scopes `chip<k>.`, in rank order), or none for a single chip.
pub fn chips(topo: &Topology) -> Vec<String> {
    topo.instances.iter().filter(|i| i.kind == "collective_engine").map(|i| i.scope.clone()).collect()
}

pub fn summarise(topo: &Topology, r: &Report) -> Option<SystemSummary> {
    let chips = chips(topo);
    if chips.is_empty() {
        return None;
    }
    let s = &r.stats;
    let end = r.end.as_ps().max(1);
    let mut t = String::new();
    let ctrls: Vec<String> = topo
        .instances
        .iter()
        .filter(|i| i.kind == "controller" && chips.contains(&i.scope))
        .map(|i| i.name.clone())
        .collect();
    let first = ctrls.first().cloned();
    let epochs = first.as_ref().map_or(0, |c| counter(s, &format!("{c}.epochs")));
    let _ = writeln!(t, "system     {}", crate::report::count(chips.len(), "chip"));

    // Per chip.
    let mut chips_csv =
        String::from("chip,samples,core_busy,exposed_comm,bytes_sent,bytes_received,chip_uj,link_uj,offchip_uj\n");
    let mut chip_rows = Vec::new();
    let (mut chip_pj, mut off_pj, mut link_pj) = (0.0, 0.0, 0.0);
    for scope in &chips {
        let cores: Vec<&str> = topo
            .instances
            .iter()
            .filter(|i| i.scope == *scope && (i.kind == "propagation_core" || i.kind == "update_core"))
            .map(|i| i.name.as_str())
            .collect();
        let busy = if cores.is_empty() {
            0.0
        } else {
            cores
                .iter()
                .map(|c| {
                    let (b, n) = (counter(s, &format!("{c}.busy_cycles")), counter(s, &format!("{c}.cycles")));
                    if n == 0 {
                        0.0
                    } else {
                        b as f64 / n as f64
                    }
                })
                .sum::<f64>()
                / cores.len() as f64
        };
        let ctrl = ctrls.iter().find(|c| c.starts_with(scope.as_str()));
        let samples = ctrl.map_or(0, |c| counter(s, &format!("{c}.samples")));
        let exposed = ctrl.map_or(0, |c| counter(s, &format!("{c}.comm_exposed_ps"))) as f64 / end as f64;
        let sent = counter(s, &format!("{scope}coll.bytes_sent"));
        let received = counter(s, &format!("{scope}coll.bytes_received"));
        let c_pj = sum_in(s, scope, ".energy.total_pj");
        let o_pj = sum_in(s, scope, ".energy_offchip.total_pj");
        let l_pj = sum_in(s, scope, ".energy_link.total_pj");
        chip_pj += c_pj;
        off_pj += o_pj;
        link_pj += l_pj;
        let name = scope.trim_end_matches('.');
        let _ = writeln!(
            chips_csv,
            "{name},{samples},{busy},{exposed},{sent},{received},{},{},{}",
            c_pj * 1e-6,
            l_pj * 1e-6,
            o_pj * 1e-6
        );
        chip_rows.push(json!({
            "chip": name, "samples": samples, "core_busy": busy, "exposed_comm": exposed,
            "bytes_sent": sent, "bytes_received": received,
            "chip_uj": c_pj * 1e-6, "link_uj": l_pj * 1e-6, "offchip_uj": o_pj * 1e-6,
        }));
    }
    // Switches are outside the chips.
    let switch_pj: f64 = topo
        .instances
        .iter()
        .filter(|i| i.kind == "switch")
        .map(|i| value(s, &format!("{}.energy_link.total_pj", i.name)))
        .sum();
    link_pj += switch_pj;
    let mean =
        |key: &str| chip_rows.iter().map(|c| c[key].as_f64().unwrap_or(0.0)).sum::<f64>() / chip_rows.len() as f64;
    let worst = chip_rows.iter().map(|c| c["exposed_comm"].as_f64().unwrap_or(0.0)).fold(0.0, f64::max);
    let training = !ctrls.is_empty();
    if training {
        let _ = writeln!(
            t,
            "  chips    cores busy {:.1}% of the time (mean), exposed communication {:.1}% (mean; worst chip {:.1}%)",
            100.0 * mean("core_busy"),
            100.0 * mean("exposed_comm"),
            100.0 * worst
        );
    }

    // Epochs and energy.
    let mut epoch_ps = Vec::new();
    if let Some(c) = &first {
        for e in 1..=epochs {
            let (a, b) = (counter(s, &format!("{c}.epoch.{e}.start_ps")), counter(s, &format!("{c}.epoch.{e}.end_ps")));
            epoch_ps.push(b.saturating_sub(a));
        }
    }
    let samples_per_epoch: u64 = ctrls.iter().map(|c| counter(s, &format!("{c}.epoch.1.samples"))).sum();
    let last_epoch_s = epoch_ps.last().copied().unwrap_or(0) as f64 * 1e-12;
    let rate = if last_epoch_s > 0.0 { samples_per_epoch as f64 / last_epoch_s } else { 0.0 };
    let per_epoch = |pj: f64| pj * 1e-6 / epochs.max(1) as f64;
    if let Some(&last) = epoch_ps.last() {
        let _ = writeln!(
            t,
            "  epoch    {:.3} ms (last of {epochs}), {samples_per_epoch} samples: {rate:.0} samples/s",
            last as f64 * 1e-9
        );
    }
    if training {
        // Per epoch only when an epoch completed; a run cut before the first says its totals.
        let (label, f): (&str, &dyn Fn(f64) -> f64) =
            if epochs > 0 { ("per epoch", &per_epoch) } else { ("in all (no epoch complete)", &|pj| pj * 1e-6) };
        let _ = writeln!(
            t,
            "  energy   {label}: chips {:.2} uJ, links {:.2} uJ, off-chip DRAM {:.2} uJ; total {:.2} uJ",
            f(chip_pj),
            f(link_pj),
            f(off_pj),
            f(chip_pj + link_pj + off_pj)
        );
    }

    // Collectives by phase.
    let collectives: u64 = chips.iter().map(|c| counter(s, &format!("{c}coll.collectives"))).sum();
    let mut phases: Vec<(String, f64)> = Vec::new();
    for (k, v) in s.iter() {
        if let (Some((_, phase)), StatValue::Counter(n)) = (k.split_once(".coll.phase."), v) {
            let phase = phase.trim_end_matches("_ps").to_string();
            match phases.iter_mut().find(|(p, _)| *p == phase) {
                Some(e) => e.1 += *n as f64,
                None => phases.push((phase, *n as f64)),
            }
        }
    }
    for p in &mut phases {
        p.1 /= collectives.max(1) as f64;
    }
    let coll_ps: f64 = chips.iter().map(|c| counter(s, &format!("{c}coll.collective_ps")) as f64).sum::<f64>()
        / collectives.max(1) as f64;
    let _ = writeln!(
        t,
        "  all-reduce  {} per chip, {:.2} us each on average: {}",
        collectives / chips.len() as u64,
        coll_ps * 1e-6,
        phases.iter().map(|(p, v)| format!("{p} {:.2} us", v * 1e-6)).collect::<Vec<_>>().join(", ")
    );

    // Links.
    let mut links_csv =
        String::from("link,type,bytes,busy_fraction,queue_delay_mean_ps,queue_delay_max_ps,energy_uj\n");
    let mut link_rows = Vec::new();
    for i in topo.instances.iter().filter(|i| i.kind == "chip_link" || i.kind == "switch") {
        let n = &i.name;
        let (qmean, qmax) = match s.get(&format!("{n}.queue_delay_ps")) {
            Some(StatValue::Histogram(h)) => (h.mean, h.max),
            _ => (0.0, 0),
        };
        let busy = if i.kind == "switch" {
            // The busiest port.
            s.with_prefix(&format!("{n}.port"))
                .filter(|(k, _)| k.ends_with(".busy_fraction"))
                .filter_map(|(k, _)| s.value(k))
                .fold(0.0, f64::max)
        } else {
            value(s, &format!("{n}.busy_fraction"))
        };
        let bytes = counter(s, &format!("{n}.bytes"));
        let e = value(s, &format!("{n}.energy_link.total_pj")) * 1e-6;
        let _ = writeln!(links_csv, "{n},{},{bytes},{busy},{qmean},{qmax},{e}", i.kind);
        link_rows.push(json!({
            "link": n, "type": i.kind, "bytes": bytes, "busy_fraction": busy,
            "queue_delay_mean_ps": qmean, "queue_delay_max_ps": qmax, "energy_uj": e,
        }));
    }
    let mut busiest: Vec<&Value> = link_rows.iter().collect();
    busiest.sort_by(|a, b| b["busy_fraction"].as_f64().partial_cmp(&a["busy_fraction"].as_f64()).expect("finite"));
    let _ = writeln!(
        t,
        "  links    {} ({}), busiest: {}",
        link_rows.len(),
        if link_rows.iter().any(|l| l["type"] == "switch") { "with switches" } else { "point to point" },
        busiest
            .iter()
            .take(3)
            .map(|l| format!(
                "{} {:.1}% (queueing mean {:.1} ns)",
                l["link"].as_str().unwrap_or(""),
                100.0 * l["busy_fraction"].as_f64().unwrap_or(0.0),
                l["queue_delay_mean_ps"].as_f64().unwrap_or(0.0) * 1e-3
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let json = json!({
        "chips": chips.len(),
        "epochs": epochs,
        "epoch_ps": epoch_ps,
        "samples_per_epoch": samples_per_epoch,
        "samples_per_s": rate,
        "energy_uj_per_epoch": {
            "chips": per_epoch(chip_pj), "links": per_epoch(link_pj), "offchip": per_epoch(off_pj),
            "total": per_epoch(chip_pj + link_pj + off_pj),
        },
        "exposed_comm_mean": mean("exposed_comm"),
        "busiest_link": busiest.first().map(|l| json!({"link": l["link"], "busy_fraction": l["busy_fraction"],
                                                         "queue_delay_mean_ps": l["queue_delay_mean_ps"]})),
        "core_busy_mean": mean("core_busy"),
        "allreduce": { "per_chip": collectives / chips.len() as u64, "mean_ps": coll_ps,
                       "phases_mean_ps": phases.iter().map(|(p, v)| (p.clone(), json!(v))).collect::<serde_json::Map<_, _>>() },
        "per_chip": chip_rows,
        "per_link": link_rows,
    });
    Some(SystemSummary { text: t, json, chips_csv, links_csv })
}
