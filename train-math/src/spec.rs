//! Model descriptions and their derived geometry: shapes, MAC counts and tensor sizes.
//!
//! A model is a chain of *layers*. Each layer is a convolution or a fully connected (FC) layer,
//! optionally followed by ReLU and a non-overlapping max-pool: exactly the stage the chip fuses
//! (conv -> ReLU -> pool emits pooled activations and 1-bit masks). An FC layer is computed as a
//! convolution whose kernel covers its whole input, so one set of kernels serves both.

use crate::tensor::{Shape3, Tile};
use std::ops::Range;

/// What a layer computes before its optional ReLU and pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// 2-D convolution with a square kernel, equal stride and zero padding on both axes.
    Conv { out_channels: usize, kernel: usize, stride: usize, padding: usize },
    /// Fully connected: flattens its (C, H, W) input in channel-major order.
    Fc { out: usize },
}

/// One layer of a model as written by the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerSpec {
    pub kind: LayerKind,
    pub relu: bool,
    /// Max-pool window (and stride: pools never overlap, so one mask bit routes the error).
    pub pool: Option<usize>,
}

/// A model: input shape, number of classes and the chain of layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    pub name: String,
    pub input: Shape3,
    pub classes: usize,
    pub layers: Vec<LayerSpec>,
}

/// A shape problem found when a model is checked. `layer` is the index in `ModelSpec::layers`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", layer.map(|l| format!("layer {l}: ")).unwrap_or_default())]
pub struct SpecError {
    pub layer: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl SpecError {
    fn new(layer: Option<usize>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        SpecError { layer, message: message.into(), fix: fix.into() }
    }
}

/// Products of two saturated 8-bit values are at most 127^2; keeping the number of terms of any
/// sum below this bound lets every per-sample accumulator live in an i32 without overflow.
/// Every dimension of a model (input channels, height and width; output channels, kernel,
/// stride, padding, fc outputs, pool window) is at most this: far above any model for an
/// on-device chip, and low enough that a product of three stays inside 64 bits.
pub const MAX_DIM: usize = 1 << 16;

pub const MAX_TERMS: usize = (i32::MAX as usize) / (127 * 127) - 1;

/// The resolved geometry of one layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerGeom {
    pub index: usize,
    pub input: Shape3,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub padding: usize,
    /// Conv (or FC) outputs before ReLU and pool: what the activation path keeps for BP.
    pub conv_out: Shape3,
    pub relu: bool,
    pub pool: Option<usize>,
    /// The layer's output (pooled when there is a pool): the next layer's input.
    pub output: Shape3,
    pub is_fc: bool,
}

impl LayerGeom {
    pub fn fan_in(&self) -> usize {
        self.input.c * self.kernel_h * self.kernel_w
    }

    pub fn weight_len(&self) -> usize {
        self.conv_out.c * self.fan_in()
    }

    /// True when BP must route the error through ReLU and/or pool (so FP keeps a mask).
    pub fn has_mask(&self) -> bool {
        self.relu || self.pool.is_some()
    }

    /// The conv-output rows and columns that some pool window covers (all of them without
    /// a pool). Positions outside are never computed: nothing downstream reads them.
    pub fn covered(&self) -> (usize, usize) {
        match self.pool {
            Some(p) => (self.output.h * p, self.output.w * p),
            None => (self.conv_out.h, self.conv_out.w),
        }
    }

    /// Conv-output rows computed for a range of output (pooled) rows.
    pub fn conv_rows(&self, out_rows: &Range<usize>) -> Range<usize> {
        let p = self.pool.unwrap_or(1);
        out_rows.start * p..out_rows.end * p
    }

    /// Kernel taps that land inside the input (not on zero padding), summed over `outputs`
    /// positions along one axis.
    fn taps(&self, outputs: Range<usize>, k: usize, in_size: usize, inputs: Option<&Range<usize>>) -> usize {
        outputs
            .flat_map(|o| (0..k).map(move |t| o * self.stride + t))
            .filter(|&i| i >= self.padding && i - self.padding < in_size)
            .filter(|&i| inputs.is_none_or(|r| r.contains(&(i - self.padding))))
            .count()
    }

    /// MACs of the FP of a tile of the output: the products actually computed (taps on zero
    /// padding are skipped, by every kernel and in every count here).
    pub fn fp_tile_macs(&self, tile: &Tile) -> u64 {
        let (_, wc) = self.covered();
        let rows = self.taps(self.conv_rows(&tile.rows), self.kernel_h, self.input.h, None);
        let cols = self.taps(0..wc, self.kernel_w, self.input.w, None);
        (tile.channels.len() * self.input.c * rows * cols) as u64
    }

    pub fn fp_macs(&self) -> u64 {
        self.fp_tile_macs(&Tile::whole(self.output))
    }

    /// MACs of the BP of a tile of the input error (channels and rows of the input): the
    /// products of the transposed convolution that land in the tile.
    pub fn bp_tile_macs(&self, tile: &Tile) -> u64 {
        let (hc, wc) = self.covered();
        let rows = self.taps(0..hc, self.kernel_h, self.input.h, Some(&tile.rows));
        let cols = self.taps(0..wc, self.kernel_w, self.input.w, None);
        (tile.channels.len() * self.conv_out.c * rows * cols) as u64
    }

    /// BP MACs of the whole layer (0 for the first layer: nobody needs the image's error).
    pub fn bp_macs(&self) -> u64 {
        if self.index == 0 {
            0
        } else {
            self.bp_tile_macs(&Tile::whole(self.input))
        }
    }

    /// MACs of the WG of a filter range (one sample): the same products as FP.
    pub fn wg_tile_macs(&self, filters: &Range<usize>) -> u64 {
        self.fp_tile_macs(&Tile { channels: filters.clone(), rows: 0..self.output.h })
    }

    pub fn wg_macs(&self) -> u64 {
        self.wg_tile_macs(&(0..self.conv_out.c))
    }

    /// Input rows read by a range of conv-output rows (kernel halo included, clipped).
    pub fn input_rows_for(&self, conv_rows: &Range<usize>) -> Range<usize> {
        if conv_rows.is_empty() {
            return 0..0;
        }
        let lo = (conv_rows.start * self.stride).saturating_sub(self.padding).min(self.input.h);
        let hi = ((conv_rows.end - 1) * self.stride + self.kernel_h).saturating_sub(self.padding).min(self.input.h);
        lo..hi.max(lo)
    }

    /// Conv-output rows whose error reaches a range of input rows in BP (clipped to covered).
    pub fn conv_rows_for_input(&self, rows: &Range<usize>) -> Range<usize> {
        let (hc, _) = self.covered();
        if rows.is_empty() {
            return 0..0;
        }
        // oy * s + ky - p in rows for some ky in 0..kh.
        let lo = (rows.start + self.padding).saturating_sub(self.kernel_h - 1).div_ceil(self.stride).min(hc);
        let hi = ((rows.end - 1 + self.padding) / self.stride + 1).min(hc);
        lo..hi.max(lo)
    }

    /// Bytes an FP tile reads and writes.
    pub fn fp_tile_bytes(&self, tile: &Tile) -> TileBytes {
        let cr = self.conv_rows(&tile.rows);
        TileBytes {
            activations_in: self.input.c * self.input_rows_for(&cr).len() * self.input.w,
            errors_in: 0,
            weights: tile.channels.len() * self.fan_in(),
            bias: 4 * tile.channels.len(),
            mask: if self.has_mask() { (tile.channels.len() * cr.len() * self.conv_out.w).div_ceil(8) } else { 0 },
            out: tile.len(self.output),
        }
    }

    /// Bytes a BP tile (channels and rows of the input error) reads and writes: the conv-output
    /// error rows it needs (after routing), all filters' weights for its channels, its output.
    pub fn bp_tile_bytes(&self, tile: &Tile) -> TileBytes {
        let cr = self.conv_rows_for_input(&tile.rows);
        TileBytes {
            activations_in: 0,
            errors_in: self.conv_out.c * cr.len() * self.conv_out.w,
            weights: self.conv_out.c * tile.channels.len() * self.kernel_h * self.kernel_w,
            bias: 0,
            mask: if self.has_mask() { (self.conv_out.c * cr.len() * self.conv_out.w).div_ceil(8) } else { 0 },
            out: tile.len(self.input),
        }
    }

    /// Bytes a WG tile (a filter range, one sample) reads and writes: the whole layer input,
    /// the filters' conv-output errors, and i32 gradients (weights and biases) out.
    pub fn wg_tile_bytes(&self, filters: &Range<usize>) -> TileBytes {
        TileBytes {
            activations_in: self.input.len(),
            errors_in: filters.len() * self.conv_out.h * self.conv_out.w,
            weights: 0,
            bias: 0,
            mask: 0,
            out: 4 * filters.len() * (self.fan_in() + 1),
        }
    }

    /// Bytes of 8-bit tensors and of the i32 bias, as the chip stores them.
    pub fn sizes(&self) -> LayerSizes {
        LayerSizes {
            input: self.input.len(),
            weights: self.weight_len(),
            bias: 4 * self.conv_out.c,
            conv_out: self.conv_out.len(),
            mask: if self.has_mask() { self.conv_out.len().div_ceil(8) } else { 0 },
            output: self.output.len(),
        }
    }
}

/// Bytes one tile moves in the int8 datapath (1 byte per activation, weight and error; 4 per
/// bias and per gradient accumulator; masks packed 8 per byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TileBytes {
    pub activations_in: usize,
    pub errors_in: usize,
    pub weights: usize,
    pub bias: usize,
    pub mask: usize,
    pub out: usize,
}

/// Byte sizes of one layer's tensors in the int8 datapath.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerSizes {
    pub input: usize,
    pub weights: usize,
    pub bias: usize,
    /// Pre-pool activations (one byte per conv output).
    pub conv_out: usize,
    /// Packed 1-bit masks (0 when the layer has neither ReLU nor pool).
    pub mask: usize,
    pub output: usize,
}

impl ModelSpec {
    /// Check every shape and resolve the geometry of each layer.
    pub fn geometry(&self) -> Result<Vec<LayerGeom>, SpecError> {
        let g = |layer, m: String, f: &str| Err(SpecError::new(layer, m, f));
        // Bounded first, so that no product of shapes below can overflow.
        let Shape3 { c, h, w } = self.input;
        if c.max(h).max(w) > MAX_DIM {
            return g(
                None,
                format!("input shape {} has a dimension above {MAX_DIM}", self.input),
                "use smaller inputs",
            );
        }
        for (i, l) in self.layers.iter().enumerate() {
            let dims = match l.kind {
                LayerKind::Conv { out_channels, kernel, stride, padding } => [out_channels, kernel, stride, padding],
                LayerKind::Fc { out } => [out, 0, 0, 0],
            };
            if dims.into_iter().chain(l.pool).any(|d| d > MAX_DIM) {
                return g(
                    Some(i),
                    format!("a size of this layer is above {MAX_DIM}"),
                    "use channels, kernels, strides, padding, outputs and pool windows of at most 65536",
                );
            }
        }
        if self.input.is_empty() {
            return g(None, format!("input shape {} is empty", self.input), "give channels, height and width >= 1");
        }
        if self.input.len() > 1 << 24 {
            return g(None, format!("input shape {} is too large", self.input), "use at most 16M input values");
        }
        if self.classes < 2 {
            return g(None, format!("{} classes: a classifier needs at least 2", self.classes), "set classes >= 2");
        }
        if self.layers.is_empty() {
            return g(None, "the model has no layers".into(), "add at least one fc layer");
        }
        let mut geoms = Vec::with_capacity(self.layers.len());
        let mut shape = self.input;
        for (i, l) in self.layers.iter().enumerate() {
            let l_err = |m: String, f: &str| Err(SpecError::new(Some(i), m, f));
            let (cout, kh, kw, stride, padding, is_fc) = match l.kind {
                LayerKind::Conv { out_channels, kernel, stride, padding } => {
                    if out_channels == 0 || kernel == 0 || stride == 0 {
                        return l_err(
                            "out_channels, kernel and stride must be at least 1".into(),
                            "set them to positive integers",
                        );
                    }
                    if padding >= kernel {
                        return l_err(
                            format!("padding {padding} is not smaller than kernel {kernel}"),
                            "use padding < kernel (e.g. (kernel - 1) / 2 keeps the size)",
                        );
                    }
                    if shape.h + 2 * padding < kernel || shape.w + 2 * padding < kernel {
                        return l_err(
                            format!("kernel {kernel} does not fit the {shape} input with padding {padding}"),
                            "use a smaller kernel, more padding, or fewer pools before this layer",
                        );
                    }
                    (out_channels, kernel, kernel, stride, padding, false)
                }
                LayerKind::Fc { out } => {
                    if out == 0 {
                        return l_err("fc with 0 outputs".into(), "set out >= 1");
                    }
                    (out, shape.h, shape.w, 1, 0, true)
                }
            };
            let conv_out =
                Shape3::new(cout, (shape.h + 2 * padding - kh) / stride + 1, (shape.w + 2 * padding - kw) / stride + 1);
            let output = match l.pool {
                None => conv_out,
                Some(0) => return l_err("maxpool window 0".into(), "use a window of at least 1 (2 is usual)"),
                Some(p) if p > conv_out.h || p > conv_out.w => {
                    return l_err(
                        format!("maxpool window {p} is larger than the {conv_out} conv output"),
                        "use a smaller window or remove the pool",
                    )
                }
                Some(p) => Shape3::new(cout, conv_out.h / p, conv_out.w / p),
            };
            let geom = LayerGeom {
                index: i,
                input: shape,
                kernel_h: kh,
                kernel_w: kw,
                stride,
                padding,
                conv_out,
                relu: l.relu,
                pool: l.pool,
                output,
                is_fc,
            };
            let (hc, wc) = geom.covered();
            if geom.fan_in() > MAX_TERMS || hc * wc > MAX_TERMS || cout * kh * kw > MAX_TERMS {
                return l_err(
                    format!(
                        "layer too large for 32-bit accumulators (fan-in {}, {}x{} outputs)",
                        geom.fan_in(),
                        hc,
                        wc
                    ),
                    "split it into smaller layers",
                );
            }
            if geom.weight_len() > 1 << 26 {
                return l_err(format!("{} weights are too many", geom.weight_len()), "use a smaller layer");
            }
            shape = output;
            geoms.push(geom);
        }
        let last = geoms.last().expect("non-empty");
        if last.relu || last.pool.is_some() {
            return g(
                Some(last.index),
                "the last layer produces the logits and cannot have relu or maxpool".into(),
                "end the model with a plain fc layer",
            );
        }
        if last.output.len() != self.classes {
            return g(
                Some(last.index),
                format!("the last layer has {} outputs but the model has {} classes", last.output.len(), self.classes),
                "end with an fc layer whose out equals classes",
            );
        }
        Ok(geoms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn conv(c: usize, k: usize, p: usize, pool: Option<usize>) -> LayerSpec {
        LayerSpec { kind: LayerKind::Conv { out_channels: c, kernel: k, stride: 1, padding: p }, relu: true, pool }
    }

    fn paper_like() -> ModelSpec {
        ModelSpec {
            name: "t".into(),
            input: Shape3::new(1, 16, 16),
            classes: 10,
            layers: vec![
                conv(8, 3, 1, Some(2)),
                conv(16, 3, 1, Some(2)),
                LayerSpec { kind: LayerKind::Fc { out: 10 }, relu: false, pool: None },
            ],
        }
    }

    #[test]
    fn shapes_and_macs() {
        let g = paper_like().geometry().unwrap();
        assert_eq!(g[0].conv_out, Shape3::new(8, 16, 16));
        assert_eq!(g[0].output, Shape3::new(8, 8, 8));
        assert_eq!(g[1].output, Shape3::new(16, 4, 4));
        assert_eq!(g[2].output, Shape3::new(10, 1, 1));
        // 3x3 "same" conv on 16x16: per axis 16 * 3 - 2 taps land inside the image.
        assert_eq!(g[0].fp_macs(), 8 * 46 * 46);
        assert_eq!(g[1].fp_macs(), 16 * 8 * 22 * 22);
        assert_eq!(g[2].fp_macs(), 2560);
        assert_eq!(g[0].bp_macs(), 0);
        assert_eq!(g[1].bp_macs(), g[1].fp_macs());
        assert_eq!(g[2].bp_macs(), 2560);
        assert_eq!(g[1].wg_macs(), g[1].fp_macs());
        assert_eq!(g[1].sizes().mask, 16 * 8 * 8 / 8);
    }

    #[test]
    fn macs_count_the_products_the_kernels_compute() {
        // Count by running the FP loop with an element type whose "product" counts itself.
        let g = paper_like().geometry().unwrap();
        for l in &g {
            let x = vec![1i8; l.input.len()];
            let w = vec![1i8; l.weight_len()];
            let acc = crate::kernels::conv::fp_acc(l, &x, &w, 0..l.conv_out.c, 0..l.covered().0);
            assert_eq!(acc.iter().map(|&a| a as u64).sum::<u64>(), l.fp_macs());
            let tile = Tile { channels: 1..3, rows: 1..3 };
            if l.output.h >= 3 {
                let part = crate::kernels::conv::fp_acc(l, &x, &w, 1..3, l.conv_rows(&tile.rows));
                assert_eq!(part.iter().map(|&a| a as u64).sum::<u64>(), l.fp_tile_macs(&tile));
            }
        }
    }

    #[test]
    fn bp_tile_macs_add_up() {
        let g = paper_like().geometry().unwrap();
        let whole = g[1].bp_macs();
        let a = g[1].bp_tile_macs(&Tile { channels: 0..3, rows: 0..8 });
        let b = g[1].bp_tile_macs(&Tile { channels: 3..8, rows: 0..5 });
        let c = g[1].bp_tile_macs(&Tile { channels: 3..8, rows: 5..8 });
        assert_eq!(a + b + c, whole);
    }

    #[test]
    fn tile_bytes_cover_the_halo() {
        let g = paper_like().geometry().unwrap();
        // conv2 (8x8 input, 3x3, pad 1, pool 2): pooled rows 1..2 are conv rows 2..4, which
        // read input rows 1..5.
        let t = Tile { channels: 0..4, rows: 1..2 };
        let b = g[1].fp_tile_bytes(&t);
        assert_eq!(b.activations_in, 8 * 4 * 8);
        assert_eq!(b.out, 4 * 4);
        assert_eq!(b.mask, 4 * 2 * 8 / 8);
        // BP of input rows 0..2 needs conv-output error rows 0..3.
        assert_eq!(g[1].conv_rows_for_input(&(0..2)), 0..3);
        assert_eq!(g[1].conv_rows_for_input(&(7..8)), 6..8);
        assert_eq!(g[1].bp_tile_bytes(&Tile::whole(g[1].input)).errors_in, 16 * 8 * 8);
        assert_eq!(g[2].wg_tile_bytes(&(0..10)).out, 4 * 10 * 257);
    }

    #[test]
    fn shape_errors_name_the_layer() {
        let mut m = paper_like();
        m.layers[2] = LayerSpec { kind: LayerKind::Fc { out: 7 }, relu: false, pool: None };
        let e = m.geometry().unwrap_err();
        assert_eq!(e.layer, Some(2));
        assert!(e.to_string().contains("7 outputs"), "{e}");

        let mut m = paper_like();
        m.layers[1].pool = Some(16);
        assert_eq!(m.geometry().unwrap_err().layer, Some(1));

        let mut m = paper_like();
        m.layers[0] = conv(8, 3, 3, None);
        assert!(m.geometry().unwrap_err().message.contains("padding"));
    }
}
