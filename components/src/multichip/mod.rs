//! Many chips: chip-to-chip links, switches, and the collective engine that all-reduces the
//! weight gradients of data-parallel training over them.
//!
//! - [`schedule`]: all-reduce algorithms as per-rank schedules (plain data) and their α-β
//!   costs.
//! - [`engine`]: `collective_engine`, one per chip: executes a schedule over its link ports,
//!   moving real bytes and reducing them (time and energy charged to its adder).
//! - [`link`]: `chip_link`, a point-to-point SerDes link (serialisation, queueing, energy).
//! - [`switch`]: `switch`, N ports, cut-through forwarding by destination chip, credits.
//! - [`driver`]: `allreduce_driver`, asks for all-reduces of a given size (benchmarks and the
//!   α-β tests).
//!
//! Protocols: `coll` between a chip's update core (or a driver) and its engine, `link` between
//! engines, links and switches.

pub mod driver;
pub mod engine;
pub mod link;
pub mod schedule;
pub mod switch;

/// An all-reduce request (update core or driver → engine) and its answer (engine → back).
/// Elements `[0, sum_len)` are summed, the rest take the element-wise maximum (the step's
/// scale statistics travel with the gradient sums).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collective {
    /// Tells collectives apart; every chip uses the same tag for the same collective.
    pub tag: u64,
    /// Elements in the vector (8 bytes each on the wire).
    pub elements: usize,
    pub sum_len: usize,
    /// The values; `None` moves sizes only (timing studies), as a replay moves no data.
    pub data: Option<Vec<i64>>,
}

/// One packet on a chip-to-chip link: a chunk of a collective's step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPacket {
    pub tag: u64,
    pub step: u32,
    /// Source and destination ranks (chips).
    pub src: u32,
    pub dst: u32,
    /// Its place among the step's chunks from `src` to `dst` (how the receiver matches it).
    pub seq: u32,
    /// First element and element count of the chunk.
    pub start: u64,
    pub len: u64,
    pub data: Option<Vec<i64>>,
}

impl LinkPacket {
    /// Bytes on the wire: 8 per element (the wide gradient sums), no header modelled.
    pub fn wire_bytes(&self) -> u64 {
        self.len * 8
    }
}

/// Bytes per second from GB/s (10^9 bytes), rounded to whole bytes per second.
pub(crate) fn bytes_per_s(gb_per_s: f64) -> u64 {
    (gb_per_s * 1e9).round() as u64
}

/// Picoseconds to serialise `bytes` at `bytes_per_s`, rounded up.
pub(crate) fn serialise_ps(bytes: u64, bytes_per_s: u64) -> u64 {
    let ps = (u128::from(bytes) * 1_000_000_000_000u128).div_ceil(u128::from(bytes_per_s.max(1)));
    u64::try_from(ps).unwrap_or(u64::MAX)
}

/// The rate of a chip-to-chip link or switch port, GB/s: at least 0.001 (1 MB/s, which
/// [`bytes_per_s`] holds without rounding away), at most 10000 (10 TB/s, beyond any SerDes
/// port; a larger value is a unit mistake).
pub(crate) const LINK_GB_PER_S: crate::param::Range =
    crate::param::Range::Real { min: 0.001, max: 10_000.0, above_min: false };

/// Energy per bit on a link or through a switch, pJ: 0 to 1000 (three orders of magnitude
/// above a board-level SerDes).
pub(crate) const LINK_PJ_PER_BIT: crate::param::Range =
    crate::param::Range::Real { min: 0.0, max: 1000.0, above_min: false };
