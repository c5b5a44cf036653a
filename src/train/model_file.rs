//! The model YAML schema (`models/*.yaml`) and its conversion into `train_math` types.
//!
//! ```yaml
//! name: paper-cnn
//! input: {channels: 1, height: 16, width: 16}
//! classes: 10
//! layers:                      # conv / fc, each optionally followed by relu, then maxpool
//!   - conv: {out_channels: 8, kernel: 3, stride: 1, padding: 1}
//!   - relu
//!   - maxpool: {window: 2}     # non-overlapping: stride = window
//!   - fc: {out: 10}            # the last layer gives the logits: no relu / maxpool
//! training:                    # all optional
//!   batch_size: 8
//!   optimizer: {type: sgd, learning_rate: 0.01, momentum: 0.9, weight_decay: 0.0001, lr_decay: 1.0}
//!   precision: int8            # or f32; --precision overrides
//!   int8: {master_bits: 16, rounding: stochastic}   # master_bits 8 = plain int8
//!   bp_path: mask              # or activations
//! ```

use crate::error::InputError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use train_math::{BpPath, LayerKind, LayerSpec, ModelSpec, Optimizer, Rounding, Shape3};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    name: String,
    input: InputShape,
    classes: usize,
    layers: Vec<LayerEntry>,
    #[serde(default)]
    training: TrainingSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputShape {
    channels: usize,
    height: usize,
    width: usize,
}

/// One entry of `layers`: `relu`, or a one-key map `conv: {...}` / `fc: {...}` / `maxpool: {...}`.
enum LayerEntry {
    Conv(ConvParams),
    Fc(FcParams),
    Relu,
    Maxpool(PoolParams),
}

const LAYER_KINDS: &[&str] = &["conv", "fc", "relu", "maxpool"];

// serde_yaml 0.9 wants YAML tags (`!conv`) for enums; a hand-written visitor accepts the
// plain one-key-map form, and errors inside the parameters keep their line and column.
impl<'de> Deserialize<'de> for LayerEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LayerEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`relu` or a one-key map such as `conv: {out_channels: 8, kernel: 3}`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LayerEntry, E> {
                match v {
                    "relu" => Ok(LayerEntry::Relu),
                    "conv" | "fc" | "maxpool" => Err(E::custom(format!("`{v}` needs parameters, e.g. `{v}: {{...}}`"))),
                    _ => Err(E::unknown_variant(v, LAYER_KINDS)),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LayerEntry, A::Error> {
                use serde::de::Error;
                let key: String = map.next_key()?.ok_or_else(|| A::Error::custom("empty layer entry"))?;
                let entry = match key.as_str() {
                    "conv" => LayerEntry::Conv(map.next_value()?),
                    "fc" => LayerEntry::Fc(map.next_value()?),
                    "maxpool" => LayerEntry::Maxpool(map.next_value()?),
                    "relu" => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        LayerEntry::Relu
                    }
                    other => return Err(A::Error::unknown_variant(other, LAYER_KINDS)),
                };
                if let Some(k) = map.next_key::<String>()? {
                    return Err(A::Error::custom(format!("one layer per list entry: `{k}` needs its own `- ` line")));
                }
                Ok(entry)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvParams {
    out_channels: usize,
    kernel: usize,
    #[serde(default = "one")]
    stride: usize,
    #[serde(default)]
    padding: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FcParams {
    out: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolParams {
    window: usize,
    stride: Option<usize>,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TrainingSection {
    batch_size: usize,
    optimizer: OptimizerSection,
    precision: PrecisionName,
    int8: Int8Section,
    bp_path: BpPathName,
}

impl Default for TrainingSection {
    fn default() -> Self {
        TrainingSection {
            batch_size: 8,
            optimizer: OptimizerSection::default(),
            precision: PrecisionName::Int8,
            int8: Int8Section::default(),
            bp_path: BpPathName::Mask,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct OptimizerSection {
    /// Only `sgd` exists; serde refuses any other value, nothing else reads it.
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: OptimizerKind,
    learning_rate: f64,
    momentum: f64,
    weight_decay: f64,
    /// Per-epoch learning-rate factor (1 = constant).
    lr_decay: f64,
}

impl Default for OptimizerSection {
    fn default() -> Self {
        OptimizerSection {
            kind: OptimizerKind::Sgd,
            learning_rate: 0.01,
            momentum: 0.9,
            weight_decay: 0.0,
            lr_decay: 1.0,
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum OptimizerKind {
    Sgd,
}

/// The numeric mode named in a model file or on the command line.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrecisionName {
    F32,
    Int8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Int8Section {
    master_bits: u32,
    rounding: RoundingName,
}

impl Default for Int8Section {
    fn default() -> Self {
        Int8Section { master_bits: 16, rounding: RoundingName::Stochastic }
    }
}

/// Rounding mode names (`nearest-even`, `stochastic`).
#[derive(Deserialize, serde::Serialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingName {
    NearestEven,
    Stochastic,
}

impl From<RoundingName> for Rounding {
    fn from(r: RoundingName) -> Rounding {
        match r {
            RoundingName::NearestEven => Rounding::NearestEven,
            RoundingName::Stochastic => Rounding::Stochastic,
        }
    }
}

/// BP path names (`mask`, `activations`).
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BpPathName {
    Mask,
    Activations,
}

impl From<BpPathName> for BpPath {
    fn from(b: BpPathName) -> BpPath {
        match b {
            BpPathName::Mask => BpPath::Mask,
            BpPathName::Activations => BpPath::Activations,
        }
    }
}

/// Training defaults from the model file (the CLI may override some).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingDefaults {
    pub batch_size: usize,
    pub optimizer: Optimizer,
    pub precision: PrecisionName,
    pub master_bits: u32,
    pub rounding: RoundingName,
    pub bp_path: BpPathName,
}

/// A model file, checked: its spec (shapes valid) and training defaults.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    pub path: PathBuf,
    text: String,
    pub spec: ModelSpec,
    pub geoms: Vec<train_math::LayerGeom>,
    pub training: TrainingDefaults,
    /// For each spec layer, the index of its first entry in the file's `layers` list.
    entry_of_layer: Vec<usize>,
}

/// Read and check a model file.
pub fn load(path: &Path) -> Result<LoadedModel, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::new(format!("cannot read the model file: {e}"))
            .in_file(path)
            .fix("give the path of a model YAML file (e.g. models/paper-cnn.yaml)")
    })?;
    parse(path, text)
}

/// Check a model given as text (`path` is only used in messages).
pub fn parse(path: &Path, text: String) -> Result<LoadedModel, InputError> {
    crate::topology::nesting::refuse_deep(path, &text)?;
    let file: ModelFile = serde_yaml::from_str(&text).map_err(|e| {
        let loc = e.location();
        let mut err = InputError::new(format!("malformed model: {}", strip_location(&e.to_string())))
            .in_file(path)
            .fix("follow the schema in models/README.md (layers: conv / fc / relu / maxpool entries)");
        if let Some(l) = loc {
            err = err.at(l.line(), l.column());
        }
        err
    })?;
    let located = |entry: usize, msg: String, fix: &str| {
        let mut e = InputError::new(msg).in_file(path).field(format!("layers[{entry}]")).fix(fix);
        if let Some((l, c)) = locate_list_item(&text, "layers", entry) {
            e = e.at(l, c);
        }
        e
    };
    let mut layers: Vec<LayerSpec> = Vec::new();
    let mut entry_of_layer = Vec::new();
    for (i, entry) in file.layers.iter().enumerate() {
        match entry {
            LayerEntry::Conv(c) => {
                entry_of_layer.push(i);
                layers.push(LayerSpec {
                    kind: LayerKind::Conv {
                        out_channels: c.out_channels,
                        kernel: c.kernel,
                        stride: c.stride,
                        padding: c.padding,
                    },
                    relu: false,
                    pool: None,
                });
            }
            LayerEntry::Fc(f) => {
                entry_of_layer.push(i);
                layers.push(LayerSpec { kind: LayerKind::Fc { out: f.out }, relu: false, pool: None });
            }
            LayerEntry::Relu => match layers.last_mut() {
                None => {
                    return Err(located(i, "relu before any conv or fc layer".into(), "start with a conv or fc entry"))
                }
                Some(l) if l.pool.is_some() => {
                    return Err(located(
                        i,
                        "relu after maxpool".into(),
                        "write relu before maxpool (they commute; the chip fuses conv -> relu -> pool)",
                    ))
                }
                Some(l) if l.relu => return Err(located(i, "two relu in a row".into(), "remove one")),
                Some(l) => l.relu = true,
            },
            LayerEntry::Maxpool(p) => {
                if p.stride.is_some_and(|s| s != p.window) {
                    return Err(located(
                        i,
                        format!("maxpool stride {} differs from window {}", p.stride.unwrap_or(0), p.window),
                        "use non-overlapping pools (omit stride, or make it equal to window): one mask bit must route each error",
                    ));
                }
                match layers.last_mut() {
                    None => return Err(located(i, "maxpool before any conv layer".into(), "start with a conv entry")),
                    Some(l) if l.pool.is_some() => {
                        return Err(located(
                            i,
                            "two maxpools after one layer".into(),
                            "merge them into one larger window",
                        ))
                    }
                    Some(l) => l.pool = Some(p.window),
                }
            }
        }
    }
    let spec = ModelSpec {
        name: file.name.clone(),
        input: Shape3::new(file.input.channels, file.input.height, file.input.width),
        classes: file.classes,
        layers,
    };
    let geoms = spec.geometry().map_err(|e| match e.layer {
        Some(l) => located(entry_of_layer[l], e.message.clone(), &e.fix),
        None => {
            let mut err = InputError::new(e.message.clone()).in_file(path).fix(e.fix.clone());
            let key = if e.message.contains("classes") { "classes" } else { "input" };
            if let Some((l, c)) = locate_key(&text, key) {
                err = err.at(l, c);
            }
            err.field(key)
        }
    })?;
    let t = &file.training;
    let training = TrainingDefaults {
        batch_size: t.batch_size,
        optimizer: Optimizer {
            learning_rate: t.optimizer.learning_rate,
            momentum: t.optimizer.momentum,
            weight_decay: t.optimizer.weight_decay,
            lr_decay: t.optimizer.lr_decay,
        },
        precision: t.precision,
        master_bits: t.int8.master_bits,
        rounding: t.int8.rounding,
        bp_path: t.bp_path,
    };
    Ok(LoadedModel { path: path.to_path_buf(), text, spec, geoms, training, entry_of_layer })
}

impl LoadedModel {
    /// Turn a `train_math` error about this model into an input error with its place.
    pub fn input_error(&self, e: &train_math::Error) -> InputError {
        let base = InputError::new(e.to_string()).in_file(&self.path).fix(e.fix());
        match e {
            train_math::Error::Config { field, message, .. } => {
                let yaml_field = format!("training.{field}");
                let key = field.rsplit('.').next().unwrap_or(field);
                let at = locate_key(&self.text, key);
                let mut err = InputError::new(message.clone()).in_file(&self.path).field(yaml_field).fix(e.fix());
                if let Some((l, c)) = at {
                    err = err.at(l, c);
                }
                err
            }
            train_math::Error::Spec(s) => match s.layer {
                Some(l) => {
                    let entry = self.entry_of_layer[l];
                    let mut err = base.field(format!("layers[{entry}]"));
                    if let Some((line, col)) = locate_list_item(&self.text, "layers", entry) {
                        err = err.at(line, col);
                    }
                    err
                }
                None => base,
            },
            _ => base,
        }
    }
}

/// serde_yaml appends " at line L column C" to messages; the location is shown separately.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// 1-based (line, column) of the first `key:` in the text (block or flow style).
pub fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(n, line)| {
        line.match_indices(key).find_map(|(at, _)| {
            let before_ok = line[..at].chars().next_back().is_none_or(|c| matches!(c, ' ' | '{' | ',' | '-'));
            let after_ok = line[at + key.len()..].trim_start().starts_with(':');
            (before_ok && after_ok && !line[..at].contains('#')).then_some((n + 1, at + 1))
        })
    })
}

/// 1-based (line, column) of item `index` of the block sequence under top-level `key:`.
pub fn locate_list_item(text: &str, key: &str, index: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))?;
    let mut item_indent = None;
    let mut count = 0;
    for (n, line) in lines.iter().enumerate().skip(start + 1) {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = line.len() - t.len();
        if t.starts_with('-') {
            let want = *item_indent.get_or_insert(indent);
            if indent == want {
                if count == index {
                    return Some((n + 1, indent + 1));
                }
                count += 1;
            }
        } else if indent == 0 {
            return None; // the next top-level key: the list has ended
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name: t\ninput: {channels: 1, height: 8, width: 8}\nclasses: 10\nlayers:\n  - conv: {out_channels: 4, kernel: 3, padding: 1}\n  - relu\n  - maxpool: {window: 2}\n  - fc: {out: 10}\n";

    #[test]
    fn parses_layers_into_fused_stages() {
        let m = parse(Path::new("m.yaml"), GOOD.into()).unwrap();
        assert_eq!(m.spec.layers.len(), 2);
        assert!(m.spec.layers[0].relu && m.spec.layers[0].pool == Some(2));
        assert_eq!(m.training.batch_size, 8);
        assert_eq!(m.training.precision, PrecisionName::Int8);
    }

    #[test]
    fn shape_error_points_at_the_layer_entry() {
        let bad = GOOD.replace("fc: {out: 10}", "fc: {out: 7}");
        let e = parse(Path::new("m.yaml"), bad).unwrap_err();
        assert_eq!(e.location.map(|l| (l.line, l.column)), Some((8, 3)));
        assert_eq!(locate_key("a: 1\nb: {c: 2, learning_rate: 3}\n", "learning_rate"), Some((2, 11)));
        assert_eq!(e.field.as_deref(), Some("layers[3]"));
        assert!(e.message.contains("7 outputs"), "{e}");
    }

    #[test]
    fn syntax_error_has_a_location() {
        let bad = GOOD.replace("kernel: 3", "kernal: 3");
        let e = parse(Path::new("m.yaml"), bad).unwrap_err();
        assert!(e.location.is_some(), "{e}");
        assert!(e.message.contains("kernal"), "{e}");
    }

    #[test]
    fn relu_after_pool_is_refused() {
        let bad = GOOD.replace("  - relu\n  - maxpool: {window: 2}\n", "  - maxpool: {window: 2}\n  - relu\n");
        let e = parse(Path::new("m.yaml"), bad).unwrap_err();
        assert_eq!(e.location.map(|l| l.line), Some(7));
        assert!(e.fix.unwrap().contains("relu before maxpool"));
    }
}
