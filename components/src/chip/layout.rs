//! Where the controller puts every tensor in the chip's memory: weights per layer, and per
//! sample slot the image, layer outputs, masks (or kept activations), logits, errors.

use train_math::LayerGeom;

use super::protocol::Region;

const ALIGN: u64 = 64;

/// Per-sample regions.
#[derive(Clone, Debug)]
pub struct SampleRegions {
    pub image: Region,
    /// Output of every layer but the last (the next layer's input).
    pub out: Vec<Region>,
    /// Masks (bits) or kept post-ReLU conv outputs (bytes) of every layer but the last.
    pub keep: Vec<Region>,
    pub logits: Region,
    /// Error w.r.t. each layer's output (the last one: the loss error).
    pub delta: Vec<Region>,
    /// Error at the conv outputs of every layer but the last (the last uses its `delta`).
    pub dz: Vec<Region>,
}

/// The whole memory map.
#[derive(Clone, Debug)]
pub struct Layout {
    /// (weights, bias) of each layer.
    pub weights: Vec<(Region, Region)>,
    pub slots: Vec<SampleRegions>,
    /// Bytes in use.
    pub end: u64,
}

impl Layout {
    /// Lays out `geoms` with `slots` sample slots from `base`.
    pub fn new(geoms: &[LayerGeom], slots: usize, masking: bool, base: u64) -> Self {
        let mut at = base;
        let mut take = |bytes: usize| {
            let r = Region::new(at, bytes);
            at = (at + bytes as u64).div_ceil(ALIGN) * ALIGN;
            r
        };
        let n = geoms.len();
        let weights: Vec<(Region, Region)> =
            geoms.iter().map(|g| (take(g.weight_len()), take(4 * g.conv_out.c))).collect();
        let slots = (0..slots)
            .map(|_| {
                let image = take(geoms[0].input.len());
                let out = geoms[..n - 1].iter().map(|g| take(g.output.len())).collect();
                let keep = geoms[..n - 1]
                    .iter()
                    .map(|g| take(if masking { g.conv_out.len().div_ceil(8) } else { g.conv_out.len() }))
                    .collect();
                let logits = take(8 * geoms[n - 1].conv_out.c);
                let delta = geoms.iter().map(|g| take(g.output.len())).collect();
                let dz = geoms[..n - 1].iter().map(|g| take(g.conv_out.len())).collect();
                SampleRegions { image, out, keep, logits, delta, dz }
            })
            .collect();
        Layout { weights, slots, end: at }
    }
}

/// Bits of mask per output channel of a layer (the conv output plane).
pub fn mask_bits_per_channel(g: &LayerGeom) -> usize {
    g.conv_out.h * g.conv_out.w
}

/// Splits `0..channels` into `parts` contiguous ranges whose starts are multiples of `align`
/// (so that packed masks split on byte boundaries), as even as that allows. Empty ranges are
/// dropped.
pub fn split_channels(channels: usize, parts: usize, align: usize) -> Vec<std::ops::Range<usize>> {
    let units = channels.div_ceil(align);
    let parts = parts.clamp(1, units.max(1));
    (0..parts)
        .map(|k| ((k * units / parts) * align).min(channels)..(((k + 1) * units / parts) * align).min(channels))
        .filter(|r| !r.is_empty())
        .collect()
}

/// The channel alignment that keeps a layer's packed mask bytes whole per range.
pub fn mask_align(g: &LayerGeom) -> usize {
    let bits = mask_bits_per_channel(g);
    8 / gcd(bits, 8)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_even_and_aligned() {
        assert_eq!(split_channels(16, 2, 1), vec![0..8, 8..16]);
        assert_eq!(split_channels(10, 2, 1), vec![0..5, 5..10]);
        assert_eq!(split_channels(10, 2, 4), vec![0..4, 4..10]);
        assert_eq!(split_channels(3, 4, 1), vec![0..1, 1..2, 2..3]);
        assert_eq!(split_channels(8, 1, 8), vec![0..8]);
    }
}
