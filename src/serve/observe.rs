//! What the live view observes of a run: bytes on the memories' ports and the meters' energy
//! marks, counted per thread in atomics that the sampler reads between slices.
//!
//! Cost per event: a table look-up per send and a store to the thread's own atomic (no lock,
//! no allocation).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use components::energy::{ENERGY_MARK, ENERGY_OFFCHIP_MARK};
use components::Msg;
use sim_core::{MarkRecord, Observer, SendRecord};

/// Counts of one observer thread, read by the sampler between slices (the slice's end joins
/// the threads, so relaxed loads see every store).
#[derive(Default)]
pub(super) struct Slot {
    buffer_bytes: AtomicU64,
    dram_bytes: AtomicU64,
    chip_fj: AtomicU64,
    offchip_fj: AtomicU64,
}

/// Which memory a component is, for bandwidth (indexed by component rank = instance order).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Memory {
    None,
    Buffer,
    Dram,
}

/// Sees the bytes of every message to or from a global buffer or DRAM controller, and the
/// energy marks of the meters ([`components::energy::ENERGY_MARK`]).
pub struct LiveObserver {
    memory: Arc<[Memory]>,
    slot: Arc<Slot>,
    totals: [u64; 4],
}

impl Slot {
    /// [buffer bytes, DRAM bytes, chip fJ, off-chip fJ] so far.
    pub(super) fn load(&self) -> [u64; 4] {
        [&self.buffer_bytes, &self.dram_bytes, &self.chip_fj, &self.offchip_fj].map(|a| a.load(Ordering::Relaxed))
    }
}

impl LiveObserver {
    pub(super) fn new(memory: Arc<[Memory]>, slot: Arc<Slot>) -> Self {
        LiveObserver { memory, slot, totals: [0; 4] }
    }

    fn add(&mut self, i: usize, v: u64) {
        self.totals[i] = self.totals[i].saturating_add(v);
        let s = &self.slot;
        let field = [&s.buffer_bytes, &s.dram_bytes, &s.chip_fj, &s.offchip_fj][i];
        field.store(self.totals[i], Ordering::Relaxed);
    }
}

impl Observer<Msg> for LiveObserver {
    fn on_send(&mut self, rec: &SendRecord, _msg: &Msg) {
        let kind = |c: sim_core::CompId| self.memory.get(c.0 as usize).copied().unwrap_or(Memory::None);
        match (kind(rec.from), kind(rec.to)) {
            (Memory::Dram, _) | (_, Memory::Dram) => self.add(1, rec.bytes),
            (Memory::Buffer, _) | (_, Memory::Buffer) => self.add(0, rec.bytes),
            _ => {}
        }
    }

    fn on_mark(&mut self, rec: &MarkRecord<'_>) {
        let v = rec.value.max(0) as u64;
        if rec.label == ENERGY_MARK {
            self.add(2, v);
        } else if rec.label == ENERGY_OFFCHIP_MARK {
            self.add(3, v);
        }
    }
}
