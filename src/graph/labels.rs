//! What a node of `tasim graph` says besides its name and type: the clock it runs on (with
//! its frequency) and a few key parameters of its type, read from the instance's parameters
//! with the component's own defaults (so an omitted parameter shows its default value).

use components::chip::propagation_core::PropagationCoreParams;
use components::chip::update_core::UpdateCoreParams;
use components::global_buffer::GlobalBufferParams;
use components::multichip::link::ChipLinkParams;
use serde::de::DeserializeOwned;

use crate::topology::{Instance, Topology};

/// `name MHz` of a clock (`sys_clk 50 MHz`), with its DVFS range when it has operating
/// points (`sys_clk 50 MHz (DVFS 50-200)`): the frequency it starts at, from its period.
pub(super) fn clock_label(topo: &Topology, scope: &str, clock: &str) -> Option<String> {
    let c = &topo.clocks[topo.resolve_clock(scope, clock)?];
    let mhz = |period_ps: f64| 1e6 / period_ps;
    let mut label = format!("{clock} {} MHz", number(mhz(c.period_ps as f64)));
    let freqs = c.operating_points.iter().map(|p| mhz(p.1 as f64));
    if let (Some(lo), Some(hi)) = (freqs.clone().reduce(f64::min), freqs.reduce(f64::max)) {
        label.push_str(&format!(" (DVFS {}-{})", number(lo), number(hi)));
    }
    Some(label)
}

/// Extra label lines of instance `inst`: its clock, then its type's key parameters (PE
/// array, buffer capacity and banks, link bandwidth). Empty for types without either.
pub(super) fn instance_lines(topo: &Topology, inst: &Instance) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(clock) = inst.params.get("clock").and_then(|c| c.as_str()) {
        lines.extend(clock_label(topo, &inst.scope, clock));
    }
    let key = match inst.kind.as_str() {
        "propagation_core" => params::<PropagationCoreParams>(inst).map(|p| pes(p.pe_rows, p.pe_cols)),
        "update_core" => params::<UpdateCoreParams>(inst).map(|p| pes(p.pe_rows, p.pe_cols)),
        "global_buffer" => {
            params::<GlobalBufferParams>(inst).map(|p| format!("{} KiB, {} banks", p.capacity_kib, p.banks))
        }
        "chip_link" => params::<ChipLinkParams>(inst).map(|p| format!("{} GB/s", number(p.bandwidth_gb_per_s))),
        _ => None,
    };
    lines.extend(key);
    lines
}

/// The instance's parameters with its type's defaults (none when they do not parse: the
/// label then just leaves them out; elaboration has already reported any such problem).
fn params<T: DeserializeOwned>(inst: &Instance) -> Option<T> {
    let value = match &inst.params {
        serde_yaml::Value::Null => serde_yaml::Value::Mapping(Default::default()),
        v => v.clone(),
    };
    serde_yaml::from_value(value).ok()
}

fn pes(rows: u32, cols: u32) -> String {
    format!("{rows}x{cols} PEs")
}

/// A number as short as it reads: `50`, `1.6`, `0.333`.
pub(super) fn number(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(50.0), "50");
        assert_eq!(number(1.6), "1.6");
        assert_eq!(number(1.0 / 3.0), "0.333");
        assert_eq!(number(0.0), "0");
    }
}
