//! How much intermediate data each BP path keeps between FP and BP.
//!
//! Per layer, BP needs (a) the layer input, for WG: the same in both paths; and (b) whatever
//! routes the error through ReLU and max-pool: the 8-bit conv outputs (activation path) or
//! one mask bit per conv output (mask path). The headline reduction compares (b), which is
//! what masking replaces. A conventional design that also stores max-pool switch indices
//! (ceil(log2(window^2)) bits per pooled output) is reported as a second baseline.

use crate::spec::LayerGeom;

/// Bytes kept by one layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerStorage {
    pub layer: usize,
    pub conv_outputs: usize,
    /// 8-bit post-ReLU conv outputs (activation path; 0 without ReLU/pool).
    pub activation_bytes: usize,
    /// Max-pool switch indices of a conventional design (0 without pool).
    pub switch_bytes: usize,
    /// Packed 1-bit masks (mask path).
    pub mask_bytes: usize,
    /// The layer input kept for WG (both paths).
    pub wg_input_bytes: usize,
}

/// The storage report of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageReport {
    pub layers: Vec<LayerStorage>,
    pub activation_bytes: usize,
    pub switch_bytes: usize,
    pub mask_bytes: usize,
    pub wg_input_bytes: usize,
}

impl StorageReport {
    /// 1 - mask / activations: the routing data masking removes.
    pub fn reduction(&self) -> f64 {
        ratio(self.mask_bytes, self.activation_bytes)
    }

    /// 1 - mask / (activations + pool switches).
    pub fn reduction_vs_switches(&self) -> f64 {
        ratio(self.mask_bytes, self.activation_bytes + self.switch_bytes)
    }

    /// 1 - (mask + WG inputs) / (activations + WG inputs): everything kept between FP and BP.
    pub fn reduction_total(&self) -> f64 {
        ratio(self.mask_bytes + self.wg_input_bytes, self.activation_bytes + self.wg_input_bytes)
    }
}

fn ratio(kept: usize, baseline: usize) -> f64 {
    if baseline == 0 {
        0.0
    } else {
        1.0 - kept as f64 / baseline as f64
    }
}

/// Build the report from the layer geometry.
pub fn storage_report(geoms: &[LayerGeom]) -> StorageReport {
    let layers: Vec<LayerStorage> = geoms
        .iter()
        .map(|g| {
            let s = g.sizes();
            let switch_bits = g.pool.map(|p| (usize::BITS - (p * p - 1).leading_zeros()) as usize).unwrap_or(0);
            LayerStorage {
                layer: g.index,
                conv_outputs: g.conv_out.len(),
                activation_bytes: if g.has_mask() { s.conv_out } else { 0 },
                switch_bytes: (g.output.len() * switch_bits).div_ceil(8),
                mask_bytes: s.mask,
                wg_input_bytes: s.input,
            }
        })
        .collect();
    let sum = |f: fn(&LayerStorage) -> usize| layers.iter().map(f).sum();
    StorageReport {
        activation_bytes: sum(|l| l.activation_bytes),
        switch_bytes: sum(|l| l.switch_bytes),
        mask_bytes: sum(|l| l.mask_bytes),
        wg_input_bytes: sum(|l| l.wg_input_bytes),
        layers,
    }
}
