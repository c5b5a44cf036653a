//! Plain tensor shapes, element types and packed mask bits.
//!
//! Tensors are flat slices in channel-major (C, H, W) order; weights are (Cout, Cin, Kh, Kw).
//! There is deliberately no tensor object with methods: kernels take slices plus a shape, which
//! is also what the simulated cores hold (raw bytes carried by transactions).

use std::fmt;
use std::ops::{Add, AddAssign, Mul, Range};

/// Shape of a (channels, height, width) feature map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape3 {
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Shape3 {
    pub const fn new(c: usize, h: usize, w: usize) -> Self {
        Shape3 { c, h, w }
    }

    pub const fn len(&self) -> usize {
        self.c * self.h * self.w
    }

    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub const fn index(&self, c: usize, y: usize, x: usize) -> usize {
        (c * self.h + y) * self.w + x
    }
}

impl fmt::Display for Shape3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.c, self.h, self.w)
    }
}

/// A rectangular part of a (C, H, W) tensor: a channel range and a row range, all columns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    pub channels: Range<usize>,
    pub rows: Range<usize>,
}

impl Tile {
    pub fn whole(shape: Shape3) -> Self {
        Tile { channels: 0..shape.c, rows: 0..shape.h }
    }

    pub fn channels(channels: Range<usize>, shape: Shape3) -> Self {
        Tile { channels, rows: 0..shape.h }
    }

    /// Number of elements of `shape` inside the tile.
    pub fn len(&self, shape: Shape3) -> usize {
        self.channels.len() * self.rows.len() * shape.w
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() || self.rows.is_empty()
    }

    /// True when the tile lies inside `shape`.
    pub fn fits(&self, shape: Shape3) -> bool {
        self.channels.start <= self.channels.end
            && self.channels.end <= shape.c
            && self.rows.start <= self.rows.end
            && self.rows.end <= shape.h
    }

    /// Copy a compact tile buffer (channels x rows x W) into the full tensor at its place.
    pub fn place<T: Copy>(&self, shape: Shape3, tile_data: &[T], full: &mut [T]) {
        let row_len = self.rows.len() * shape.w;
        for (i, c) in self.channels.clone().enumerate() {
            let dst = shape.index(c, self.rows.start, 0);
            full[dst..dst + row_len].copy_from_slice(&tile_data[i * row_len..(i + 1) * row_len]);
        }
    }
}

/// An element of the datapath: 8-bit integers (exact i32 products) or floats.
pub trait Element: Copy + PartialOrd + Default + fmt::Debug + Send + Sync + 'static {
    /// The accumulator type: i32 for i8, the float itself for floats.
    type Acc: Copy + Default + PartialOrd + fmt::Debug + Add<Output = Self::Acc> + AddAssign;
    /// What the packed matrix product of `kernels::conv` multiplies and adds in: the float
    /// itself for floats; f32 for i8, because the baseline x86-64 vector unit (SSE2) has f32
    /// multiplies but no 32-bit integer one, and f32 is exact here: an i8 product is an
    /// integer of magnitude at most 2^14, so a sum of at most [`Self::LANE_RUN`] = 2^10 of
    /// them stays an integer within ±2^24, where every f32 addition is exact.
    type Lane: Copy + Default + fmt::Debug + Add<Output = Self::Lane> + AddAssign + Mul<Output = Self::Lane>;
    /// Longest run of products summed in `Lane` before the run's sum moves to `Acc`
    /// (`usize::MAX`: one run, so floats keep their single left-to-right sum).
    const LANE_RUN: usize;
    const ZERO: Self;
    const ONE: Self;
    fn mul(a: Self, b: Self) -> Self::Acc;
    fn lane(self) -> Self::Lane;
    /// A run's sum as an accumulator: exact (an integer-valued f32 within ±2^24 for i8).
    fn acc_from_lane(sum: Self::Lane) -> Self::Acc;
}

impl Element for i8 {
    type Acc = i32;
    type Lane = f32;
    const LANE_RUN: usize = 1 << 10;
    const ZERO: Self = 0;
    const ONE: Self = 1;
    #[inline]
    fn mul(a: i8, b: i8) -> i32 {
        a as i32 * b as i32
    }
    #[inline]
    fn lane(self) -> f32 {
        self as f32
    }
    #[inline]
    fn acc_from_lane(sum: f32) -> i32 {
        sum as i32
    }
}

impl Element for f32 {
    type Acc = f32;
    type Lane = f32;
    const LANE_RUN: usize = usize::MAX;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn mul(a: f32, b: f32) -> f32 {
        a * b
    }
    #[inline]
    fn lane(self) -> f32 {
        self
    }
    #[inline]
    fn acc_from_lane(sum: f32) -> f32 {
        sum
    }
}

impl Element for f64 {
    type Acc = f64;
    type Lane = f64;
    const LANE_RUN: usize = usize::MAX;
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn mul(a: f64, b: f64) -> f64 {
        a * b
    }
    #[inline]
    fn lane(self) -> f64 {
        self
    }
    #[inline]
    fn acc_from_lane(sum: f64) -> f64 {
        sum
    }
}

/// Packed bits, least significant bit first within each byte: the 1-bit masks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MaskBits {
    len: usize,
    bytes: Vec<u8>,
}

impl MaskBits {
    pub fn zeros(len: usize) -> Self {
        MaskBits { len, bytes: vec![0; len.div_ceil(8)] }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.bytes[i / 8] >> (i % 8) & 1 == 1
    }

    #[inline]
    pub fn set(&mut self, i: usize, v: bool) {
        let b = &mut self.bytes[i / 8];
        if v {
            *b |= 1 << (i % 8);
        } else {
            *b &= !(1 << (i % 8));
        }
    }

    /// The packed bytes (what a core would store or send).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn from_bytes(len: usize, bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() == len.div_ceil(8)).then_some(MaskBits { len, bytes })
    }

    pub fn count_ones(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_bits_round_trip() {
        let mut m = MaskBits::zeros(13);
        m.set(0, true);
        m.set(12, true);
        m.set(5, true);
        m.set(5, false);
        assert!(m.get(0) && m.get(12) && !m.get(5));
        assert_eq!(m.as_bytes().len(), 2);
        assert_eq!(m.count_ones(), 2);
        let n = MaskBits::from_bytes(13, m.as_bytes().to_vec()).unwrap();
        assert_eq!(m, n);
    }

    #[test]
    fn tile_place_writes_its_region() {
        let shape = Shape3::new(2, 3, 2);
        let mut full = vec![0; shape.len()];
        let t = Tile { channels: 1..2, rows: 1..3 };
        t.place(shape, &[1, 2, 3, 4], &mut full);
        assert_eq!(full, vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    }
}
