//! Trained weights as plain real-valued tensors, plus the int8 state needed to resume
//! bit-exactly (exponents). Serialised by the `tasim` side as `.npy` files and a manifest.

use crate::spec::LayerGeom;

/// Weights and biases of one layer, as real numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    /// (Cout, Cin, Kh, Kw) for conv, (out, in) for FC (input flattened in (C, H, W) order).
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The int8 state that real-valued weights alone do not carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Int8Snapshot {
    pub master_bits: u32,
    /// Exponent of each layer's master weights and master biases.
    pub weight_exp: Vec<i32>,
    pub bias_exp: Vec<i32>,
    /// Activation and error exponents ([`crate::model::QuantState`]).
    pub act_exp: Vec<i32>,
    pub err_exp: Vec<i32>,
}

/// A model's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub layers: Vec<LayerWeights>,
    pub int8: Option<Int8Snapshot>,
}

/// The array shape of a layer's weight tensor as saved (`[Cout, Cin, Kh, Kw]` or `[out, in]`).
pub fn weight_shape(g: &LayerGeom) -> Vec<usize> {
    if g.is_fc {
        vec![g.conv_out.c, g.fan_in()]
    } else {
        vec![g.conv_out.c, g.input.c, g.kernel_h, g.kernel_w]
    }
}

/// The name of a layer's tensor: `layer0.weight`, `layer0.bias`, ...
pub fn tensor_name(layer: usize, bias: bool) -> String {
    format!("layer{layer}.{}", if bias { "bias" } else { "weight" })
}
