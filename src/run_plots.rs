//! SVG plots of a training chip's run for `run --out`: `power.svg` (on-chip power over time
//! per component, from the energy meters' windows), `utilisation.svg` (each core's share of
//! the run spent computing, per operation, from `busy_cycles.<op>` over `cycles`) and
//! `energy.svg` (on-chip energy per component, split by training phase, plus leakage).
//! Drawn as the sweep's plots are (`sweep::plot`: plotters' SVG backend without system
//! fonts, the same colours and tick labels), so the bytes are the same on every machine.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use components::mem::Phase;
use plotters::prelude::*;
use sim_core::{StatValue, StatsSnapshot};

use crate::sweep::plot::{tick, COLOURS, SIZE};
use crate::topology::Topology;

/// An SVG document, or what plotters could not draw.
pub(crate) type Plot = Result<String, Box<dyn std::error::Error>>;

/// The plots of a chip run: (file name, SVG text).
pub fn chip_plots(topo: &Topology, s: &StatsSnapshot) -> Result<Vec<(String, String)>> {
    let names: Vec<&str> = topo.instances.iter().map(|i| i.name.as_str()).collect();
    // Power: each metered component's windows as (µs, mW) points.
    let mut power: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for n in &names {
        if let Some(StatValue::Series { step_ps, values }) = s.get(&format!("{n}.energy.series_pj")) {
            let w = (*step_ps).max(1) as f64;
            // pJ per ps is W; x1000 for mW.
            let pts = values.iter().enumerate().map(|(k, pj)| (k as f64 * w * 1e-6, pj / w * 1e3)).collect();
            power.push((n.to_string(), pts));
        }
    }
    // Utilisation: per core, per operation, busy cycles over all cycles.
    let mut busy: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
    for i in topo.instances.iter().filter(|i| i.kind == "propagation_core" || i.kind == "update_core") {
        let cycles = s.counter(&format!("{}.cycles", i.name)).unwrap_or(0).max(1) as f64;
        let prefix = format!("{}.busy_cycles.", i.name);
        let ops = s
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v)))
            .filter_map(|(op, v)| match v {
                StatValue::Counter(c) => Some((op.to_string(), *c as f64 / cycles)),
                _ => None,
            })
            .collect();
        busy.push((i.name.clone(), ops));
    }
    // Energy: per component, per phase (dynamic) and leakage, in µJ.
    let mut energy: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
    for n in &names {
        let mut parts = BTreeMap::new();
        for p in Phase::ALL {
            if let Some(pj) = s.value(&format!("{n}.energy.phase.{}_pj", p.name())) {
                parts.insert(p.name().to_string(), pj * 1e-6);
            }
        }
        if let Some(pj) = s.value(&format!("{n}.energy.leakage_pj")) {
            parts.insert("leakage".to_string(), pj * 1e-6);
        }
        if !parts.is_empty() {
            energy.push((n.to_string(), parts));
        }
    }
    let mut out = Vec::new();
    if !power.is_empty() {
        let svg = lines("On-chip power per component", "simulated time (us)", "power (mW)", &power);
        out.push(("power.svg".to_string(), svg.map_err(err("power"))?));
    }
    if !busy.is_empty() {
        let svg = stacked("Core time computing, per operation", "share of the run", &busy).map_err(err("use"))?;
        out.push(("utilisation.svg".to_string(), svg));
    }
    if !energy.is_empty() {
        let svg = stacked("On-chip energy per component and phase", "uJ", &energy).map_err(err("energy"))?;
        out.push(("energy.svg".to_string(), svg));
    }
    Ok(out)
}

/// What plotters could not draw, as an error naming the plot.
pub(crate) fn err(what: &'static str) -> impl Fn(Box<dyn std::error::Error>) -> anyhow::Error {
    move |e| anyhow!("cannot plot {what}: {e}")
}

/// One line per named series of (x, y) points, on axes from 0 to the largest x and y: power
/// or bandwidth over time, a latency CDF.
pub(crate) fn lines(title: &str, x_desc: &str, y_desc: &str, series: &[(String, Vec<(f64, f64)>)]) -> Plot {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let x1 = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0, f64::max);
        let y1 = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(1.0, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x1, 0.0..y1)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        for (k, (name, pts)) in series.iter().enumerate() {
            let color = COLOURS[k % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(1)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}

/// The series' labels in a box at the upper right (both kinds of plot).
fn legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
) -> Result<(), Box<dyn std::error::Error>> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// One stacked bar per group (a core, a component, a bank), one colour per part.
pub(crate) fn stacked(title: &str, y_desc: &str, groups: &[(String, BTreeMap<String, f64>)]) -> Plot {
    let parts: Vec<&String> = {
        let mut p: Vec<&String> = groups.iter().flat_map(|(_, m)| m.keys()).collect();
        p.sort();
        p.dedup();
        p
    };
    let top = groups.iter().map(|(_, m)| m.values().sum::<f64>()).fold(0.0, f64::max);
    let y1 = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let n = groups.len() as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..y1)?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                groups.get(*i as usize).map(|g| g.0.clone()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_desc)
            // Every group named (plotters would thin out more than ten: banks).
            .x_labels(groups.len())
            .x_label_formatter(&label)
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        for (k, part) in parts.iter().enumerate() {
            let color = COLOURS[k % COLOURS.len()];
            let bars = groups.iter().enumerate().filter_map(|(i, (_, m))| {
                let v = *m.get(*part)?;
                // Parts stack in name order: this one starts where the earlier ones end.
                let below: f64 = m.iter().take_while(|(p, _)| p < part).map(|(_, v)| v).sum();
                let i = i as u32;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(i), below), (SegmentValue::Exact(i + 1), below + v)],
                    color.filled(),
                );
                bar.set_margin(0, 0, 12, 12);
                Some(bar)
            });
            chart
                .draw_series(bars)?
                .label(part.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        }
        legend(&mut chart)?;
        root.present()?;
    }
    Ok(svg)
}
