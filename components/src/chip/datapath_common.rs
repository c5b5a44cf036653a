//! Conversions between memory bytes and the tensors the kernels take, shared by the cores.

use std::ops::Range;

use train_math::kernels::int8;
use train_math::{LayerGeom, MaskBits, Tile};

use super::core::Executed;
use super::dataflow::Array;
use super::protocol::{Done, Op};

pub(crate) fn i8s(bytes: &[u8]) -> Vec<i8> {
    bytes.iter().map(|&b| b as i8).collect()
}

pub(crate) fn u8s(values: &[i8]) -> Vec<u8> {
    values.iter().map(|&v| v as u8).collect()
}

pub(crate) fn i32s(bytes: &[u8]) -> Vec<i32> {
    bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

pub(crate) fn i32_bytes(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub(crate) fn i64s(bytes: &[u8]) -> Vec<i64> {
    bytes.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

pub(crate) fn i64_bytes(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A whole-length vector of zeros with `part` placed at `at` (kernels index whole tensors).
pub(crate) fn placed<T: Copy + Default>(len: usize, at: usize, part: &[T]) -> Vec<T> {
    let mut v = vec![T::default(); len];
    v[at..at + part.len()].copy_from_slice(part);
    v
}

/// Bytes per channel of a layer's conv-output plane, its output plane and its input plane.
pub(crate) fn conv_plane(g: &LayerGeom) -> usize {
    g.conv_out.h * g.conv_out.w
}

pub(crate) fn out_plane(g: &LayerGeom) -> usize {
    g.output.h * g.output.w
}

pub(crate) fn in_plane(g: &LayerGeom) -> usize {
    g.input.h * g.input.w
}

/// Error propagation to input channels `channels` (shared by both core types: the update
/// core runs it for the fully connected layer).
pub(crate) fn bp(
    g: &LayerGeom,
    channels: Range<usize>,
    dz: &[u8],
    weights: &[u8],
    requant: &int8::Requant,
    out_addr: u64,
    array: Array,
) -> Executed {
    let tile = Tile::channels(channels.clone(), g.input);
    let t = int8::bp_tile(g, &i8s(dz), &i8s(weights), requant, &tile);
    let at = out_addr + (channels.start * in_plane(g)) as u64;
    let work = array.output_stationary(in_plane(g) as u64, channels.len() as u64, g.bp_tile_macs(&tile));
    Executed {
        exchange: None,
        writes: vec![(at, u8s(&t.out))],
        work,
        done: Done { max_abs_acc: t.max_abs_acc, ..Done::default() },
        local_bytes: 0,
    }
}

/// The packed mask bytes of `channels` from an FP tile's mask (its region is
/// channels × covered conv rows × conv width, in that order).
pub(crate) fn channel_mask(g: &LayerGeom, t: &train_math::kernels::FpTile<i8>) -> Vec<u8> {
    let (h, w) = (g.conv_out.h, g.conv_out.w);
    let n = t.tile.channels.len();
    let nrows = t.conv_rows.len();
    let mut m = MaskBits::zeros(n * h * w);
    for i in 0..n {
        for (ri, y) in t.conv_rows.clone().enumerate() {
            for x in 0..w {
                if t.mask.get((i * nrows + ri) * w + x) {
                    m.set((i * h + y) * w + x, true);
                }
            }
        }
    }
    m.as_bytes().to_vec()
}

/// The kept post-ReLU conv outputs of `channels`, as whole planes (rows no pool window
/// covers stay zero).
pub(crate) fn channel_kept(g: &LayerGeom, t: &train_math::kernels::FpTile<i8>) -> Vec<u8> {
    let (h, w) = (g.conv_out.h, g.conv_out.w);
    let n = t.tile.channels.len();
    let nrows = t.conv_rows.len();
    let mut out = vec![0u8; n * h * w];
    for i in 0..n {
        for (ri, y) in t.conv_rows.clone().enumerate() {
            let src = (i * nrows + ri) * w;
            out[(i * h + y) * w..(i * h + y) * w + w].copy_from_slice(&u8s(&t.kept[src..src + w]));
        }
    }
    out
}

pub(crate) fn unsupported(core: &str, op: &Op) -> String {
    format!("a {core} cannot run a `{}` task; the controller sent it to the wrong core", op.name())
}
