//! Human-readable and JSON reports of a training run.

use serde::Serialize;
use train_math::{LayerGeom, StorageReport};

/// One epoch's figures (test figures absent when there is no test set).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct EpochRecord {
    pub epoch: usize,
    pub steps: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: Option<f64>,
    pub test_accuracy: Option<f64>,
}

/// `metrics.json`.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Metrics {
    pub model: String,
    pub dataset: String,
    pub precision: String,
    pub master_bits: Option<u32>,
    pub rounding: Option<String>,
    pub bp_path: String,
    pub batch_size: usize,
    pub seed: u64,
    pub macs_per_sample: MacCounts,
    /// Test figures before the first epoch (meaningful with --pretrained).
    pub initial_test_loss: Option<f64>,
    pub initial_test_accuracy: Option<f64>,
    pub epochs: Vec<EpochRecord>,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MacCounts {
    pub fp: u64,
    pub bp: u64,
    pub wg: u64,
}

pub fn mac_counts(geoms: &[LayerGeom]) -> MacCounts {
    MacCounts {
        fp: geoms.iter().map(|g| g.fp_macs()).sum(),
        bp: geoms.iter().map(|g| g.bp_macs()).sum(),
        wg: geoms.iter().map(|g| g.wg_macs()).sum(),
    }
}

/// `storage.json`: bytes kept between FP and BP per sample.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct StorageJson {
    pub layers: Vec<StorageLayer>,
    pub activation_bytes: usize,
    pub switch_bytes: usize,
    pub mask_bytes: usize,
    pub wg_input_bytes: usize,
    pub reduction: f64,
    pub reduction_vs_activations_and_switches: f64,
    pub reduction_including_wg_inputs: f64,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct StorageLayer {
    pub layer: usize,
    pub conv_outputs: usize,
    pub activation_bytes: usize,
    pub switch_bytes: usize,
    pub mask_bytes: usize,
    pub wg_input_bytes: usize,
}

pub fn storage_json(r: &StorageReport) -> StorageJson {
    StorageJson {
        layers: r
            .layers
            .iter()
            .map(|l| StorageLayer {
                layer: l.layer,
                conv_outputs: l.conv_outputs,
                activation_bytes: l.activation_bytes,
                switch_bytes: l.switch_bytes,
                mask_bytes: l.mask_bytes,
                wg_input_bytes: l.wg_input_bytes,
            })
            .collect(),
        activation_bytes: r.activation_bytes,
        switch_bytes: r.switch_bytes,
        mask_bytes: r.mask_bytes,
        wg_input_bytes: r.wg_input_bytes,
        reduction: r.reduction(),
        reduction_vs_activations_and_switches: r.reduction_vs_switches(),
        reduction_including_wg_inputs: r.reduction_total(),
    }
}

/// The storage report as text lines.
pub fn storage_text(r: &StorageReport) -> String {
    let mut s = String::from("intermediate data kept between FP and BP, per sample (bytes):\n");
    s.push_str("  layer  conv outputs  activations  mask  pool switches  WG input\n");
    for l in &r.layers {
        s.push_str(&format!(
            "  {:>5}  {:>12}  {:>11}  {:>4}  {:>13}  {:>8}\n",
            l.layer, l.conv_outputs, l.activation_bytes, l.mask_bytes, l.switch_bytes, l.wg_input_bytes
        ));
    }
    s.push_str(&format!(
        "  masking keeps {} B instead of {} B: {:.1}% less (vs activations + pool switches: {:.1}%; counting the WG inputs both paths keep: {:.1}%)",
        r.mask_bytes,
        r.activation_bytes,
        100.0 * r.reduction(),
        100.0 * r.reduction_vs_switches(),
        100.0 * r.reduction_total()
    ));
    s
}
