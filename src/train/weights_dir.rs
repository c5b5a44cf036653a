//! Weights on disk: a directory with one NumPy `.npy` file per tensor (float32, C order) and a
//! `manifest.json` listing them, readable from Python:
//!
//! ```python
//! import json, numpy
//! m = json.load(open("DIR/manifest.json"))
//! w = {t["name"]: numpy.load("DIR/" + t["file"]) for t in m["tensors"]}
//! ```
//!
//! Int8 weights are the master weights (exact in float32 for masters of up to 24 bits); the
//! manifest's `int8` block carries the exponents needed to resume bit-exactly.

use crate::error::InputError;
use crate::output::OutDir;
use serde::{Deserialize, Serialize};
use std::path::Path;
use train_math::weights::{tensor_name, weight_shape};
use train_math::{npy, Int8Snapshot, LayerGeom, LayerWeights, Weights};

pub const FORMAT: &str = "tasim-weights/1";

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub model: String,
    pub precision: String,
    pub tensors: Vec<TensorEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int8: Option<Int8Entry>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TensorEntry {
    pub name: String,
    pub file: String,
    pub shape: Vec<usize>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Int8Entry {
    pub master_bits: u32,
    pub weight_exp: Vec<i32>,
    pub bias_exp: Vec<i32>,
    pub act_exp: Vec<i32>,
    pub err_exp: Vec<i32>,
}

/// Save `weights` into `dir` (created if needed; files replaced atomically one by one, the
/// manifest last, so a reader never pairs a new manifest with missing tensors).
/// The directory is replaced whole or not at all ([`OutDir::commit`]): a save that fails
/// partway leaves the old weights and manifest as they were, never new tensors beside an
/// old manifest.
pub fn save(dir: &Path, model: &str, geoms: &[LayerGeom], weights: &Weights) -> anyhow::Result<()> {
    let mut files = OutDir::new();
    let mut tensors = Vec::new();
    for (g, lw) in geoms.iter().zip(&weights.layers) {
        for (bias, shape, data) in [(false, weight_shape(g), &lw.weight), (true, vec![g.conv_out.c], &lw.bias)] {
            let name = tensor_name(g.index, bias);
            let file = format!("{name}.npy");
            files.add(&file, npy::encode_f32(&shape, data));
            tensors.push(TensorEntry { name, file, shape });
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        model: model.into(),
        precision: if weights.int8.is_some() { "int8" } else { "f32" }.into(),
        tensors,
        int8: weights.int8.as_ref().map(|s| Int8Entry {
            master_bits: s.master_bits,
            weight_exp: s.weight_exp.clone(),
            bias_exp: s.bias_exp.clone(),
            act_exp: s.act_exp.clone(),
            err_exp: s.err_exp.clone(),
        }),
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    files.add("manifest.json", text);
    files.commit(dir, true)
}

/// Exponents of a saved int8 state are at most this far from 0: a scale of 2^64 is beyond any
/// 8-bit fixed-point tensor, and it keeps sums of exponents and shifts far from overflow.
const MAX_EXP: i32 = 64;

/// The int8 state's exponents in range; an error names the field (`int8.act_exp[2]`).
fn check_exponents(e: &Int8Entry) -> Result<(), (String, String)> {
    if !(8..=24).contains(&e.master_bits) {
        return Err(("int8.master_bits".into(), format!("master bits {} is not in 8..=24", e.master_bits)));
    }
    for (name, v) in
        [("weight_exp", &e.weight_exp), ("bias_exp", &e.bias_exp), ("act_exp", &e.act_exp), ("err_exp", &e.err_exp)]
    {
        if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| x.abs() > MAX_EXP) {
            return Err((format!("int8.{name}[{i}]"), format!("exponent {x} is out of range")));
        }
    }
    Ok(())
}

/// Load weights saved for a model of these layers.
pub fn load(dir: &Path, geoms: &[LayerGeom]) -> Result<Weights, InputError> {
    let mpath = dir.join("manifest.json");
    let text = std::fs::read_to_string(&mpath).map_err(|e| {
        InputError::new(format!("cannot read the weights manifest: {e}"))
            .in_file(&mpath)
            .field("--pretrained")
            .fix("give a directory written by `tasim train --save DIR`")
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        InputError::new(format!("malformed manifest: {e}"))
            .in_file(&mpath)
            .at(e.line(), e.column())
            .fix("give a directory written by `tasim train --save DIR`")
    })?;
    if manifest.format != FORMAT {
        return Err(InputError::new(format!("unknown format '{}'", manifest.format))
            .in_file(&mpath)
            .field("format")
            .fix(format!("tasim reads '{FORMAT}'")));
    }
    let mut layers = Vec::new();
    for g in geoms {
        let mut pair = Vec::new();
        for (bias, shape) in [(false, weight_shape(g)), (true, vec![g.conv_out.c])] {
            let name = tensor_name(g.index, bias);
            let entry = manifest.tensors.iter().find(|t| t.name == name).ok_or_else(|| {
                InputError::new(format!("the manifest has no tensor '{name}'"))
                    .in_file(&mpath)
                    .field("tensors")
                    .fix("these weights belong to another model: load weights saved from this model")
            })?;
            if entry.file.contains(['/', '\\']) || entry.file.starts_with('.') {
                return Err(InputError::new(format!("tensor file '{}' is not a plain file name", entry.file))
                    .in_file(&mpath)
                    .field("tensors")
                    .fix("tensor files must sit in the weights directory"));
            }
            let path = dir.join(&entry.file);
            let bytes = std::fs::read(&path).map_err(|e| {
                InputError::new(format!("cannot read tensor '{name}': {e}"))
                    .in_file(&path)
                    .fix("restore the file or save the weights again")
            })?;
            let (got, data) =
                npy::decode_f32(&bytes).map_err(|e| InputError::new(e.to_string()).in_file(&path).fix(e.fix()))?;
            if got != shape {
                return Err(InputError::new(format!(
                    "tensor '{name}' has shape {got:?} but model layer {} needs {shape:?}",
                    g.index
                ))
                .in_file(&path)
                .fix("load weights saved from this model (same layers and shapes)"));
            }
            if let Some(i) = data.iter().position(|v| !v.is_finite()) {
                return Err(InputError::new(format!("tensor '{name}' holds a non-finite value at index {i}"))
                    .in_file(&path)
                    .fix("replace NaN/inf values"));
            }
            pair.push(data);
        }
        let bias = pair.pop().expect("two tensors");
        layers.push(LayerWeights { weight: pair.pop().expect("two tensors"), bias });
    }
    if let Some(e) = &manifest.int8 {
        check_exponents(e).map_err(|(field, msg)| {
            InputError::new(msg).in_file(&mpath).field(field).fix(format!(
                "exponents are in -{MAX_EXP}..={MAX_EXP}: give a manifest written by `tasim train --save DIR`"
            ))
        })?;
    }
    let int8 = manifest.int8.map(|e| Int8Snapshot {
        master_bits: e.master_bits,
        weight_exp: e.weight_exp,
        bias_exp: e.bias_exp,
        act_exp: e.act_exp,
        err_exp: e.err_exp,
    });
    Ok(Weights { layers, int8 })
}
