//! The report of a chip run: training results next to time, energy, power, utilisation and
//! traffic, as text for the terminal and as JSON and CSV for other tools.
//!
//! Everything here is derived from the run's statistics (and, for held-out accuracy, from
//! the weights the update core handed out after each epoch, evaluated with `train-math`
//! outside simulated time).

use std::collections::BTreeMap;
use std::fmt::Write;

use components::energy::POWER_WINDOW_PS;
use components::mem::Phase;
use components::windows::Windows;
use serde_json::{json, Value};
use sim_core::{Report, StatValue, StatsSnapshot};
use train_math::{storage_report, ModelState};

use crate::error::InputError;
use crate::topology::Topology;
use crate::train::setup::TrainSetup;

/// The report in its three forms.
pub struct ChipSummary {
    pub text: String,
    pub json: Value,
    /// time_us, chip_mw, offchip_mw, `<component>_mw` for each component with an energy
    /// meter, epoch (from 1; the epoch the window starts in) and phase (the training phase
    /// the cores spent most of the window's busy time on, or `idle`) per power window.
    pub power_csv: String,
    /// epoch, train loss/accuracy, held-out loss/accuracy, time and energy.
    pub epochs_csv: String,
    /// component, type, chip_uj, offchip_uj.
    pub components_csv: String,
    /// How far training got, for the run's outcome line ("3 of 3 epochs").
    pub epochs_done: usize,
    pub epochs_planned: usize,
}

fn counter(s: &StatsSnapshot, name: &str) -> u64 {
    s.counter(name).unwrap_or(0)
}

fn value(s: &StatsSnapshot, name: &str) -> f64 {
    s.value(name).unwrap_or(0.0)
}

/// Sum of every statistic named `<instance>.<suffix>` (0, not -0, when there is none).
fn sum_suffix(s: &StatsSnapshot, suffix: &str) -> f64 {
    s.iter().filter(|(k, _)| k.ends_with(suffix)).filter_map(|(k, _)| s.value(k)).sum::<f64>() + 0.0
}

/// A data rate with the unit that keeps three significant figures readable: a chip that
/// moves a kilobyte in milliseconds does not read as "0.000 GB/s".
pub fn rate(bytes_per_s: f64) -> String {
    let (v, unit) = match bytes_per_s {
        x if x >= 1e9 => (x / 1e9, "GB/s"),
        x if x >= 1e6 => (x / 1e6, "MB/s"),
        x if x >= 1e3 => (x / 1e3, "kB/s"),
        x => (x, "B/s"),
    };
    format!("{v:.3} {unit}")
}

/// The series named `*.<suffix>`, in snapshot (rank) order, with their window widths.
fn series_named<'a>(s: &'a StatsSnapshot, suffix: &'a str) -> impl Iterator<Item = (u64, &'a Vec<f64>)> + 'a {
    s.iter().filter(move |(k, _)| k.ends_with(suffix)).filter_map(|(_, v)| match v {
        StatValue::Series { step_ps, values } => Some((*step_ps, values)),
        _ => None,
    })
}

/// Element-wise sum of the series named `*.<suffix>`, in snapshot (rank) order, in windows of
/// `step` ps (series in narrower windows are merged to it; windows double as a run grows).
fn sum_series(s: &StatsSnapshot, suffix: &str, step: u64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for (st, values) in series_named(s, suffix) {
        let merged;
        let values = if st == step {
            values
        } else {
            merged = coarsened(st, values, step);
            &merged
        };
        if out.len() < values.len() {
            out.resize(values.len(), 0.0);
        }
        for (o, x) in out.iter_mut().zip(values) {
            *o += x;
        }
    }
    out
}

/// `values` in windows of `st` ps merged into windows of `step` ps (a power-of-two multiple
/// of `st`: windows double as a run grows, so series of one run line up once merged).
pub(crate) fn coarsened(st: u64, values: &[f64], step: u64) -> Vec<f64> {
    let mut w = Windows::new(st, usize::MAX);
    for (i, v) in values.iter().enumerate() {
        w.add(i as u64 * st, *v);
    }
    w.coarsen_to(step);
    w.values().to_vec()
}

/// Per window of `step` ps: the training phase the cores (every core of every chip) were
/// busy on longest (`busy.<phase>.series_ps`; a tie goes to the earlier phase of
/// [`Phase::ALL`]), or `None` when no core computed. Cores overlap phases (the update core's
/// WG beside the propagation cores' BP): this names the one that held the datapaths most.
fn phase_marks(s: &StatsSnapshot, step: u64) -> Vec<Option<Phase>> {
    let busy: Vec<(Phase, Vec<f64>)> =
        Phase::ALL.iter().map(|&p| (p, sum_series(s, &format!(".busy.{p}.series_ps"), step))).collect();
    let n = busy.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    (0..n)
        .map(|i| {
            let mut best: Option<(Phase, f64)> = None;
            for (p, v) in &busy {
                let ps = v.get(i).copied().unwrap_or(0.0);
                if ps > 0.0 && best.is_none_or(|(_, b)| ps > b) {
                    best = Some((*p, ps));
                }
            }
            best.map(|(p, _)| p)
        })
        .collect()
}

/// Energy of `series` (pJ per window of `w` ps, the last one ending with the run at
/// `run_end`) over `[from, to)` ps: a window cut by `from` or `to` counts in proportion to
/// the time of it inside (windows coarsened by a long run share out more of an epoch).
fn energy_between(series: &[f64], w: u64, from: u64, to: u64, run_end: u64) -> f64 {
    let first = (from / w) as usize;
    let last = (to.div_ceil(w) as usize).min(series.len());
    series[first.min(last)..last]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let i = i + first;
            let (a, b) = (i as u64 * w, (i as u64 + 1) * w);
            let overlap = b.min(to).saturating_sub(a.max(from));
            // The last window holds only the energy up to the end of the run.
            let len = if b > run_end && run_end > a { run_end - a } else { w };
            e * overlap as f64 / len as f64
        })
        .sum()
}

/// Train loss and accuracy of epoch `e`: each controller's (a data-parallel chip's over its
/// shard) weighted by its samples.
fn train_metrics(topo: &Topology, s: &StatsSnapshot, e: usize) -> (f64, f64) {
    let (mut loss, mut acc, mut n) = (0.0, 0.0, 0.0);
    for c in of_kind(topo, "controller") {
        let p = format!("{c}.epoch.{e}");
        let k = counter(s, &format!("{p}.samples")) as f64;
        loss += value(s, &format!("{p}.train_loss")) * k;
        acc += value(s, &format!("{p}.train_accuracy")) * k;
        n += k;
    }
    if n == 0.0 {
        (0.0, 0.0)
    } else {
        (loss / n, acc / n)
    }
}

/// Instances of a component type, in declaration order.
fn of_kind<'a>(topo: &'a Topology, kind: &str) -> Vec<&'a str> {
    topo.instances.iter().filter(|i| i.kind == kind).map(|i| i.name.as_str()).collect()
}

/// Held-out (loss, accuracy) of the model in `state` (the pre-trained one if `None`), or
/// nothing without held-out samples.
fn evaluate(setup: &TrainSetup, state: Option<&train_math::Int8Model>) -> Result<Option<(f64, f64)>, InputError> {
    let test = &setup.data.split.test;
    if test.is_empty() {
        return Ok(None);
    }
    let mut tr = setup.trainer.clone();
    if let Some(m) = state {
        tr.state = ModelState::Int8(m.clone());
    }
    let e = tr.evaluate(test).map_err(|e| InputError::new(e.to_string()).fix(e.fix()))?;
    Ok(Some((e.loss, e.accuracy)))
}

/// Held-out loss and accuracy after each epoch, evaluated while the run goes on: each
/// [`HeldOut::drain`] takes the models the update core handed out since the last one, so a
/// run of any number of epochs keeps one small record per epoch, not a model per epoch.
#[derive(Debug, Default)]
pub struct HeldOut {
    /// (epoch from 1, held-out loss and accuracy after it).
    epochs: Vec<(usize, Option<(f64, f64)>)>,
}

impl HeldOut {
    /// Evaluates and drops the epoch models waiting in `sink`.
    pub fn drain(&mut self, setup: &TrainSetup, outputs: &crate::chip_types::Outputs) -> Result<(), InputError> {
        let models = outputs.take_epoch_models();
        for (e, m) in models {
            self.epochs.push((e, evaluate(setup, Some(&m))?));
        }
        Ok(())
    }

    /// (epoch from 1, held-out loss and accuracy after it) for the epochs drained so far.
    pub fn epochs(&self) -> &[(usize, Option<(f64, f64)>)] {
        &self.epochs
    }

    /// Epochs whose models were taken so far (progress while the run goes).
    pub fn epochs_done(&self) -> u64 {
        self.epochs.last().map_or(0, |(e, _)| *e as u64)
    }

    fn after(&self, epoch: usize) -> Option<(f64, f64)> {
        self.epochs.iter().find(|(n, _)| *n == epoch).and_then(|(_, h)| *h)
    }
}

/// Builds the report. `held` holds the held-out figures after each epoch; `setup` the trainer
/// the run started from (for evaluation and the storage figures).
pub fn summarise(topo: &Topology, r: &Report, setup: &TrainSetup, held: &HeldOut) -> Result<ChipSummary, InputError> {
    let s = &r.stats;
    let ctrl = of_kind(topo, "controller").first().copied().unwrap_or("ctrl").to_string();
    let end_ps = r.end.as_ps().max(1);
    let secs = end_ps as f64 * 1e-12;
    let mut t = String::new();

    // Training.
    let before = evaluate(setup, None)?;
    let epochs = counter(s, &format!("{ctrl}.epochs")) as usize;
    let epochs_planned = counter(s, &format!("{ctrl}.epochs_planned")) as usize;
    // One window width for every series: the widest any meter had to take.
    let busy_names: Vec<String> = Phase::ALL.iter().map(|p| format!(".busy.{p}.series_ps")).collect();
    let step = series_named(s, ".energy.series_pj")
        .chain(series_named(s, ".energy_offchip.series_pj"))
        .chain(busy_names.iter().flat_map(|n| series_named(s, n)))
        .map(|(st, _)| st)
        .fold(POWER_WINDOW_PS, u64::max);
    let chip_series = sum_series(s, ".energy.series_pj", step);
    let off_series = sum_series(s, ".energy_offchip.series_pj", step);
    let mut epoch_rows = Vec::new();
    let _ = writeln!(t, "training   {} on {}", setup.model.spec.name, setup.data.description);
    if let Some((l, a)) = before {
        let _ = writeln!(t, "  before   held-out loss {l:.4}, accuracy {:.2}%", 100.0 * a);
    }
    for e in 1..=epochs {
        let p = format!("{ctrl}.epoch.{e}");
        let (start, end) = (counter(s, &format!("{p}.start_ps")), counter(s, &format!("{p}.end_ps")));
        let (loss, acc) = train_metrics(topo, s, e);
        let held = held.after(e);
        let chip_uj = energy_between(&chip_series, step, start, end, end_ps) * 1e-6;
        let off_uj = energy_between(&off_series, step, start, end, end_ps) * 1e-6;
        let ms = (end - start) as f64 * 1e-9;
        let _ = write!(t, "  epoch {e}  train loss {loss:.4}, accuracy {:.2}%", 100.0 * acc);
        if let Some((hl, ha)) = held {
            let _ = write!(t, "; held-out loss {hl:.4}, accuracy {:.2}%", 100.0 * ha);
        }
        let _ = writeln!(t, "; {ms:.3} ms, {chip_uj:.2} uJ chip ({:.2} mW)", chip_uj / ms);
        epoch_rows.push(json!({
            "epoch": e, "train_loss": loss, "train_accuracy": acc,
            "held_out_loss": held.map(|h| h.0), "held_out_accuracy": held.map(|h| h.1),
            "start_ps": start, "end_ps": end, "chip_energy_uj": chip_uj, "offchip_energy_uj": off_uj,
        }));
    }

    // Energy and power.
    let chip_pj = sum_suffix(s, ".energy.total_pj");
    let off_pj = sum_suffix(s, ".energy_offchip.total_pj");
    let leak_pj = sum_suffix(s, ".energy.leakage_pj");
    let avg_mw = chip_pj * 1e-12 / secs * 1e3;
    let peak_mw = chip_series.iter().cloned().fold(0.0, f64::max) * 1e-12 / (step as f64 * 1e-12) * 1e3;
    // Background power of the DRAM ranks, by power state (standby, power-down, self-refresh).
    let off_standby_pj: f64 =
        ["precharge_standby", "active_standby", "precharge_power_down", "active_power_down", "self_refresh"]
            .iter()
            .map(|k| sum_suffix(s, &format!(".energy_offchip.kind.{k}_pj")))
            .sum::<f64>()
            + sum_suffix(s, ".energy_offchip.leakage_pj");
    let _ = writeln!(t, "\ntime       {} simulated ({epochs} of {epochs_planned} epochs complete)", r.end);
    // Per-epoch energy needs a complete epoch; a run cut inside its first has none.
    let per_epoch = if epochs == 0 {
        "no complete epoch".to_string()
    } else {
        format!("{:.2} uJ per epoch", chip_pj * 1e-6 / epochs as f64)
    };
    let _ = writeln!(
        t,
        "energy     chip {:.2} uJ ({per_epoch}), leakage {:.1}%; off-chip DRAM {:.2} uJ; system {:.2} uJ",
        chip_pj * 1e-6,
        100.0 * leak_pj / chip_pj.max(1e-30),
        off_pj * 1e-6,
        (chip_pj + off_pj) * 1e-6
    );
    if off_pj > 0.0 {
        let _ = writeln!(
            t,
            "           off-chip: {:.2} uJ of it is DRAM background (every rank's standby, power-down or \
             self-refresh power for the whole run, however little it moves), {:.2} uJ commands, data and refresh",
            off_standby_pj * 1e-6,
            (off_pj - off_standby_pj) * 1e-6
        );
    }
    let _ = writeln!(
        t,
        "power      chip average {avg_mw:.2} mW, peak {peak_mw:.2} mW ({} us windows); off-chip average {:.2} mW",
        step / 1_000_000,
        off_pj * 1e-12 / secs * 1e3
    );

    let mut components = Vec::new();
    let _ = writeln!(t, "  per component (uJ)");
    for inst in &topo.instances {
        let chip = value(s, &format!("{}.energy.total_pj", inst.name)) * 1e-6;
        let off = value(s, &format!("{}.energy_offchip.total_pj", inst.name)) * 1e-6;
        if chip == 0.0 && off == 0.0 {
            continue;
        }
        let _ = writeln!(
            t,
            "    {:<8} {:<18} {chip:>9.3}{}",
            inst.name,
            inst.kind,
            if off > 0.0 { format!("  + {off:.3} off-chip") } else { String::new() }
        );
        components.push(json!({ "name": inst.name, "type": inst.kind, "chip_uj": chip, "offchip_uj": off }));
    }
    let phases: BTreeMap<String, f64> = components::mem::Phase::ALL
        .iter()
        .map(|p| (p.name().to_string(), sum_suffix(s, &format!(".energy.phase.{}_pj", p.name())) * 1e-6))
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let _ = writeln!(
        t,
        "  per phase (uJ, dynamic; leakage {:.3} apart)  {}",
        leak_pj * 1e-6,
        phases.iter().map(|(k, v)| format!("{k} {v:.3}")).collect::<Vec<_>>().join(", ")
    );
    let layers: Vec<f64> =
        (0..setup.model.geoms.len()).map(|l| sum_suffix(s, &format!(".energy.layer.{l}_pj")) * 1e-6).collect();
    let _ = writeln!(
        t,
        "  per layer (uJ, dynamic)  {}",
        layers.iter().enumerate().map(|(l, v)| format!("layer {l} {v:.3}")).collect::<Vec<_>>().join(", ")
    );
    let mut kinds: BTreeMap<String, f64> = BTreeMap::new();
    for (k, _) in s.iter() {
        if let Some((_, kind)) = k.split_once(".energy.kind.") {
            *kinds.entry(kind.trim_end_matches("_pj").to_string()).or_default() += value(s, k) * 1e-6;
        }
    }

    // Cores.
    let _ = writeln!(t, "\ncores      utilisation (of all cycles / while computing), waiting for operands");
    let mut cores = Vec::new();
    for kind in ["propagation_core", "update_core"] {
        for c in of_kind(topo, kind) {
            let (u, au) = (value(s, &format!("{c}.utilisation")), value(s, &format!("{c}.active_utilisation")));
            let busy =
                counter(s, &format!("{c}.busy_cycles")) as f64 / counter(s, &format!("{c}.cycles")).max(1) as f64;
            let wait = counter(s, &format!("{c}.operand_wait_ps")) as f64 / end_ps as f64;
            let _ = writeln!(
                t,
                "  {c:<8} {:5.1}% / {:5.1}%, busy {:5.1}% of the time, waiting {:5.1}%",
                100.0 * u,
                100.0 * au,
                100.0 * busy,
                100.0 * wait
            );
            cores.push(json!({ "name": c, "type": kind, "utilisation": u, "active_utilisation": au, "busy_fraction": busy, "operand_wait_fraction": wait }));
        }
    }

    // Memory system.
    let mut memory = serde_json::Map::new();
    for gb in of_kind(topo, "global_buffer") {
        let (h, m) = (counter(s, &format!("{gb}.hits")), counter(s, &format!("{gb}.misses")));
        let conflicts = counter(s, &format!("{gb}.bank_conflicts"));
        let _ = writeln!(
            t,
            "buffer     {gb}: {h} hits, {m} misses ({:.1}% hit rate), {conflicts} bank conflicts, {} evictions, {} write-backs",
            100.0 * h as f64 / (h + m).max(1) as f64,
            counter(s, &format!("{gb}.evictions")),
            counter(s, &format!("{gb}.writebacks"))
        );
        memory.insert(gb.into(), json!({ "hits": h, "misses": m, "bank_conflicts": conflicts }));
    }
    for d in of_kind(topo, "dram_controller") {
        let (rd, wr) = (counter(s, &format!("{d}.reads")), counter(s, &format!("{d}.writes")));
        let (br, bw) = (counter(s, &format!("{d}.bytes_read")), counter(s, &format!("{d}.bytes_written")));
        let hit = value(s, &format!("{d}.row_hit_rate"));
        let bps = (br + bw) as f64 / secs;
        let _ = writeln!(
            t,
            "dram       {d}: {rd} reads ({br} B), {wr} writes ({bw} B), row-hit rate {:.1}%, {} average over the run of {} peak",
            100.0 * hit,
            rate(bps),
            rate(value(s, &format!("{d}.peak_bytes_per_s")))
        );
        memory.insert(d.into(), json!({ "reads": rd, "writes": wr, "bytes_read": br, "bytes_written": bw, "row_hit_rate": hit, "bytes_per_s": bps }));
    }
    for n in of_kind(topo, "noc") {
        let mut links: Vec<(f64, String)> = s
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(&format!("{n}.link."))
                    .and_then(|l| l.strip_suffix(".utilisation"))
                    .map(|l| (value(s, k), l.to_string()))
            })
            .collect();
        links.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<String> = links.iter().take(3).map(|(u, l)| format!("{l} {:.1}%", 100.0 * u)).collect();
        let _ = writeln!(
            t,
            "noc        {n}: link utilisation mean {:.1}%, busiest {}",
            100.0 * value(s, &format!("{n}.link_utilisation_mean")),
            top.join(", ")
        );
        memory.insert(n.into(), json!({ "link_utilisation_mean": value(s, &format!("{n}.link_utilisation_mean")), "links": links.iter().map(|(u, l)| json!({"link": l, "utilisation": u})).collect::<Vec<_>>() }));
    }

    // Intermediate data between FP and BP.
    let st = storage_report(&setup.model.geoms);
    let _ = writeln!(
        t,
        "masking    intermediate data kept per sample: {} B with masks, {} B without ({:.1}% less); this run {} masks, working set {} B in memory",
        st.mask_bytes,
        st.activation_bytes,
        100.0 * st.reduction(),
        if setup.config.bp_path == train_math::BpPath::Mask { "uses" } else { "does not use" },
        counter(s, &format!("{ctrl}.memory_bytes"))
    );
    for d in of_kind(topo, "dvfs_unit") {
        let res: Vec<String> = s
            .iter()
            .filter_map(|(k, _)| {
                k.strip_prefix(&format!("{d}.residency."))
                    .map(|p| (p.trim_end_matches("_ps").to_string(), counter(s, k)))
            })
            .filter(|(_, ps)| *ps > 0)
            .map(|(p, ps)| format!("{p} {:.1}%", 100.0 * ps as f64 / end_ps as f64))
            .collect();
        let _ = writeln!(
            t,
            "dvfs       {d}: {} transitions; time at {}",
            counter(s, &format!("{d}.transitions")),
            res.join(", ")
        );
    }

    let costs = crate::costs_report::costs(topo, s);
    t.push_str(&costs.text);

    // Power per window: the chip and off-chip sums, each component's on-chip power, and the
    // epoch the window starts in (0 before the first, as set-up).
    let per_comp: Vec<(&str, Vec<f64>)> = topo
        .instances
        .iter()
        .filter_map(|i| match s.get(&format!("{}.energy.series_pj", i.name)) {
            // This instance's own series, by its whole name: matching by suffix would add
            // `xgb`'s into `gb`'s column.
            Some(StatValue::Series { step_ps, values }) => Some((
                i.name.as_str(),
                if *step_ps == step { values.clone() } else { coarsened(*step_ps, values, step) },
            )),
            _ => None,
        })
        .collect();
    let mut power_csv = String::from("time_us,chip_mw,offchip_mw");
    for (name, _) in &per_comp {
        let _ = write!(power_csv, ",{name}_mw");
    }
    power_csv.push_str(",epoch,phase\n");
    let marks = phase_marks(s, step);
    let w_s = step as f64 * 1e-12;
    let mw = |series: &[f64], i: usize| series.get(i).copied().unwrap_or(0.0) * 1e-12 / w_s * 1e3;
    let epoch_ends: Vec<u64> = epoch_rows.iter().filter_map(|e| e["end_ps"].as_u64()).collect();
    for i in 0..chip_series.len().max(off_series.len()) {
        let t = i as u64 * step;
        let _ = write!(power_csv, "{},{:.6},{:.6}", t / 1_000_000, mw(&chip_series, i), mw(&off_series, i));
        for (_, series) in &per_comp {
            let _ = write!(power_csv, ",{:.6}", mw(series, i));
        }
        let epoch = epoch_ends.iter().take_while(|&&end| end <= t).count() + usize::from(!epoch_rows.is_empty());
        let phase = marks.get(i).copied().flatten().map_or("idle", |p| p.name());
        let _ = writeln!(power_csv, ",{},{phase}", epoch.min(epoch_rows.len()));
    }
    let mut epochs_csv = String::from("epoch,train_loss,train_accuracy,held_out_loss,held_out_accuracy,start_ps,end_ps,chip_energy_uj,offchip_energy_uj\n");
    for e in &epoch_rows {
        let opt = |v: &Value| v.as_f64().map_or(String::new(), |x| x.to_string());
        let _ = writeln!(
            epochs_csv,
            "{},{},{},{},{},{},{},{},{}",
            e["epoch"],
            e["train_loss"],
            e["train_accuracy"],
            opt(&e["held_out_loss"]),
            opt(&e["held_out_accuracy"]),
            e["start_ps"],
            e["end_ps"],
            e["chip_energy_uj"],
            e["offchip_energy_uj"]
        );
    }
    let mut components_csv = String::from("component,type,chip_uj,offchip_uj\n");
    for c in &components {
        let _ = writeln!(
            components_csv,
            "{},{},{},{}",
            c["name"].as_str().unwrap_or(""),
            c["type"].as_str().unwrap_or(""),
            c["chip_uj"],
            c["offchip_uj"]
        );
    }
    let json = json!({
        "model": setup.model.spec.name,
        "data": setup.data.description,
        "held_out_before": before.map(|(l, a)| json!({"loss": l, "accuracy": a})),
        "epochs": epoch_rows,
        "simulated_ps": end_ps,
        "epochs_complete": epochs, "epochs_planned": epochs_planned,
        "energy": {
            "chip_uj": chip_pj * 1e-6,
            "chip_uj_per_epoch": if epochs == 0 { None } else { Some(chip_pj * 1e-6 / epochs as f64) },
            "leakage_uj": leak_pj * 1e-6, "offchip_uj": off_pj * 1e-6, "offchip_standby_uj": off_standby_pj * 1e-6,
            "system_uj": (chip_pj + off_pj) * 1e-6,
            "per_phase_uj": phases, "per_layer_uj": layers, "per_kind_uj": kinds, "per_component": components,
        },
        "power": { "chip_average_mw": avg_mw, "chip_peak_mw": peak_mw, "window_ps": step, "offchip_average_mw": off_pj * 1e-12 / secs * 1e3 },
        "cores": cores,
        "memory": memory,
        "area": costs.json["area"],
        "energy_per_action": costs.json["energy_per_action"],
        "intermediate_data": {
            "per_sample_mask_bytes": st.mask_bytes, "per_sample_activation_bytes": st.activation_bytes,
            "reduction": st.reduction(), "masking": setup.config.bp_path == train_math::BpPath::Mask,
            "working_set_bytes": counter(s, &format!("{ctrl}.memory_bytes")),
        },
    });
    Ok(ChipSummary { text: t, json, power_csv, epochs_csv, components_csv, epochs_done: epochs, epochs_planned })
}
