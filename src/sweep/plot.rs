//! SVG plots of a sweep: each metric against the x key, one line per series (a combination of
//! the other swept keys' values). Drawn with `plotters`' SVG backend and its built-in text
//! estimate (no system fonts: the `ttf` feature is off), so the bytes do not depend on the
//! machine.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use super::grid::{number, Manifest};
use super::point::Status;
use super::table::{Table, SPEEDUP};

/// Pixels of every plot.
pub(crate) const SIZE: (u32, u32) = (720, 480);

/// Line colours (Tableau 10: distinct, readable on white); the ideal line is grey.
pub(crate) const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const IDEAL: &str = "ideal (linear)";

/// One SVG per metric: (file name, SVG text). Failed points and points without the metric
/// are left out; a metric no point has is not plotted.
pub fn plots(m: &Manifest, t: &Table) -> Result<Vec<(String, String)>> {
    let Some(x_key) = &m.plot_x else { return Ok(Vec::new()) };
    let series_keys = m.series_keys();
    let mut out = Vec::new();
    for metric in &t.metrics {
        // series label -> (x, y) points sorted by x
        let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for r in t.rows.iter().filter(|r| r.status == Status::Ok) {
            let (Some(x), Some(y)) = (number(&r.params[x_key]), r.results.get(metric).and_then(|n| n.as_f64())) else {
                continue;
            };
            let label: Vec<String> = series_keys.iter().map(|k| format!("{k}={}", r.params[*k])).collect();
            series.entry(label.join(", ")).or_default().push((x, y));
        }
        if series.is_empty() {
            continue;
        }
        for pts in series.values_mut() {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        if metric == SPEEDUP {
            // Linear speedup from the smallest x, the line to compare against.
            let xs: Vec<f64> = series.values().flatten().map(|p| p.0).collect();
            let x0 = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let mut ideal: Vec<(f64, f64)> = xs.iter().map(|&x| (x, x / x0)).collect();
            ideal.sort_by(|a, b| a.0.total_cmp(&b.0));
            ideal.dedup();
            series.insert(IDEAL.to_string(), ideal);
        }
        let svg = draw(metric, x_key, &series).map_err(|e| anyhow!("cannot plot {metric}: {e}"))?;
        out.push((format!("{}.svg", file_stem(metric)), svg));
    }
    Ok(out)
}

/// A metric's name as a file name (`energy.chip_uj`).
fn file_stem(metric: &str) -> String {
    metric.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect()
}

/// A tick label: whole numbers as such, large and small ones in scientific notation, the
/// rest with at most four significant digits.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if v == v.round() {
        format!("{v:.0}")
    } else {
        let digits = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let t = format!("{v:.digits$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    }
}

/// [lo, hi] widened by 5% (or by 1 when flat), so no point sits on the frame.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.05 };
    (lo - pad, hi + pad)
}

/// An x axis spanning a factor of 16 or more (chip counts 1-64, sizes) is drawn in log 2, so
/// that 1, 2, 4 and 8 do not crowd into the left edge.
fn log_x(series: &BTreeMap<String, Vec<(f64, f64)>>) -> Option<(f64, f64)> {
    let xs = || series.values().flatten().map(|p| p.0);
    let lo = xs().fold(f64::INFINITY, f64::min);
    let hi = xs().fold(f64::NEG_INFINITY, f64::max);
    (lo > 0.0 && hi / lo >= 16.0).then(|| (lo / 1.15, hi * 1.15))
}

/// The chart body, once per kind of x axis (linear or log: different coordinate types).
macro_rules! chart {
    ($root:expr, $x_range:expr, $y_range:expr, $metric:expr, $x_key:expr, $series:expr) => {{
        let mut chart = ChartBuilder::on(&$root)
            .caption(format!("{} against {}", $metric, $x_key), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d($x_range, $y_range)?;
        chart
            .configure_mesh()
            .x_desc($x_key)
            .y_desc($metric)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let mut next = 0;
        for (label, pts) in $series {
            let color = if label == IDEAL {
                BLACK.mix(0.45)
            } else {
                next += 1;
                COLOURS[(next - 1) % COLOURS.len()].to_rgba()
            };
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
                .label(if label.is_empty() { $metric } else { label.as_str() })
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        // Speedup rises to the right (the ideal line ends top right); most other metrics
        // fall or level off there.
        let corner = if $metric == SPEEDUP { SeriesLabelPosition::UpperLeft } else { SeriesLabelPosition::UpperRight };
        chart.configure_series_labels().position(corner).background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }};
}

fn draw(
    metric: &str,
    x_key: &str,
    series: &BTreeMap<String, Vec<(f64, f64)>>,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let (y0, y1) = range(series.values().flatten().map(|p| p.1));
        match log_x(series) {
            Some((x0, x1)) => chart!(root, (x0..x1).log_scale().base(2.0), y0..y1, metric, x_key, series),
            None => {
                let (x0, x1) = range(series.values().flatten().map(|p| p.0));
                chart!(root, x0..x1, y0..y1, metric, x_key, series)
            }
        }
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_never_collapse() {
        assert_eq!(range([2.0, 2.0].into_iter()), (1.9, 2.1));
        assert_eq!(range([0.0].into_iter()), (-0.05, 0.05));
        let (lo, hi) = range([0.0, 10.0].into_iter());
        assert!(lo < 0.0 && hi > 10.0);
    }

    #[test]
    fn ticks_are_short() {
        let got: Vec<String> = [4.8e9, 16.0, 0.5, 0.125, 1234.5678, 1230.4, 0.0, -3.0, 2e-5].map(tick).to_vec();
        assert_eq!(got, ["4.800e9", "16", "0.5", "0.125", "1235", "1230", "0", "-3", "2.000e-5"]);
    }

    #[test]
    fn a_wide_positive_x_is_drawn_in_log_2() {
        let series = |xs: &[f64]| -> BTreeMap<String, Vec<(f64, f64)>> {
            [(String::new(), xs.iter().map(|&x| (x, 1.0)).collect())].into()
        };
        assert!(log_x(&series(&[1.0, 2.0, 4.0, 64.0])).is_some());
        assert!(log_x(&series(&[1.0, 8.0])).is_none());
        assert!(log_x(&series(&[0.0, 64.0])).is_none());
    }

    #[test]
    fn file_names_are_plain() {
        assert_eq!(file_stem("energy.chip_uj"), "energy.chip_uj");
        assert_eq!(file_stem("a/b c"), "a_b_c");
    }
}
