//! Area at 65 nm of the logic and storage a component is made of: PEs by operand and
//! accumulator width, storage of any size (flip-flop register files below the SRAM model's
//! smallest bank, SRAM from [`super::sram`] above it), NoC routers (input buffers and
//! crossbar) and links (wires by width and length).
//!
//! **Sources** (the project's technology reference sheet, `shared/data/tech-reference.md`):
//! - logic: Aladdin's 40 nm figures as Accelergy's `hwcomponents-library` encodes them
//!   (`aladdin.py@8b56f7e`): 32-bit adder 278 µm², 32×32 multiplier 6350 µm², register
//!   5.98 µm² per bit; Accelergy's width rules (adder and register linear in width,
//!   multiplier linear in each operand's width); 40 nm → 65 nm ×2.19, what `hwcomponents`'
//!   `tech_node_area(65e-9, 40e-9)` computes (reference sheet §2, **[derived]** there).
//!   Cross-check: the Timeloop MAC (8-bit multiply, 16-bit add) is 191.8 µm² at 32 nm,
//!   about 620 µm² at 65 nm (÷0.31, Stillmaker & Baas' area factor); these rules give
//!   1174 µm² for the same MAC: the area model is pessimistic by up to 2× for logic.
//! - wires: CACTI 7's 65 nm wire, 0.065 µm wide at 0.065 µm spacing (reference sheet §3,
//!   **[generated]**): a 0.13 µm track per bit. Repeaters are not counted.
//! - multiplexers: a 2:1 multiplexer per bit as half a flip-flop bit. **Assumption**
//!   (standard-cell libraries put a MUX2 at about half a DFF; no source was read).
//!
//! Architecture Invariant: pure functions of a geometry, like [`super::sram`].

use super::sram::{sram_cost, BANK_BYTES_RANGE, WORD_BITS_RANGE};

/// Aladdin 40 nm → 65 nm area factor (Accelergy `hwcomponents` technology scaling).
pub const AREA_40_TO_65_NM: f64 = 2.19;
/// Aladdin 32-bit adder, µm² at 40 nm.
const ADDER32_UM2_40NM: f64 = 278.0;
/// Aladdin 32×32-bit multiplier, µm² at 40 nm.
const MULTIPLIER32_UM2_40NM: f64 = 6350.0;
/// Aladdin register (flip-flop), µm² per bit at 40 nm.
const REGISTER_UM2_PER_BIT_40NM: f64 = 5.98;
/// A 2:1 multiplexer per bit, in flip-flop bits (assumption, see the module docs).
const MUX2_PER_REGISTER_BIT: f64 = 0.5;
/// One wire track at 65 nm (CACTI: 0.065 µm width + 0.065 µm spacing), µm.
pub const WIRE_PITCH_UM: f64 = 0.13;

/// An adder of `bits`, µm² at 65 nm.
pub fn adder_um2(bits: u32) -> f64 {
    ADDER32_UM2_40NM * f64::from(bits) / 32.0 * AREA_40_TO_65_NM
}

/// A multiplier of an `a_bits` by a `b_bits` operand, µm² at 65 nm.
pub fn multiplier_um2(a_bits: u32, b_bits: u32) -> f64 {
    MULTIPLIER32_UM2_40NM * f64::from(a_bits) / 32.0 * f64::from(b_bits) / 32.0 * AREA_40_TO_65_NM
}

/// `bits` flip-flops, µm² at 65 nm.
pub fn register_um2(bits: u64) -> f64 {
    REGISTER_UM2_PER_BIT_40NM * bits as f64 * AREA_40_TO_65_NM
}

/// The widths of a multiply-accumulate PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeWidths {
    /// Bits of each multiplier operand (8 in the paper chip's datapath).
    pub operand_bits: u32,
    /// Bits of the accumulator (adder and its register).
    pub accumulator_bits: u32,
}

/// One PE, µm² at 65 nm: a multiplier of two operands, an accumulator adder, and registers
/// for both operands and the accumulator.
pub fn pe_um2(w: PeWidths) -> f64 {
    multiplier_um2(w.operand_bits, w.operand_bits)
        + adder_um2(w.accumulator_bits)
        + register_um2(u64::from(2 * w.operand_bits + w.accumulator_bits))
}

/// The SRAM that holds `bytes` read and written `word_bits` at a time: banks of at most the
/// SRAM model's largest (1 MiB), the word clamped to the model's 32..128 bits; `None` below
/// its smallest bank (1 KiB), where storage is flip-flops.
pub fn storage_sram(bytes: u64, word_bits: u32) -> Option<super::sram::SramGeometry> {
    let (lo, hi) = BANK_BYTES_RANGE;
    if bytes < lo {
        return None;
    }
    let banks = u32::try_from(bytes.div_ceil(hi)).unwrap_or(u32::MAX);
    let word_bits = word_bits.clamp(WORD_BITS_RANGE.0, WORD_BITS_RANGE.1);
    Some(super::sram::SramGeometry { capacity_bytes: bytes, word_bits, banks })
}

/// Storage of `bytes` read and written `word_bits` at a time, mm² at 65 nm: a flip-flop
/// register file below the SRAM model's smallest bank, else the SRAM of [`storage_sram`].
pub fn storage_mm2(bytes: u64, word_bits: u32) -> f64 {
    match storage_sram(bytes, word_bits) {
        None => register_um2(bytes * 8) * 1e-6,
        // Inside the model's range by construction (1 KiB..=1 MiB per bank, clamped word).
        Some(g) => sram_cost(g).map(|c| c.area_mm2).unwrap_or(f64::NAN),
    }
}

/// A router with `inputs` input ports of `buffer_bytes` each and `outputs` output ports,
/// `width_bits` wide, mm² at 65 nm: its input buffers ([`storage_mm2`]) and a crossbar of
/// `outputs × width_bits` multiplexers of `inputs` ways ((inputs − 1) 2:1 multiplexers each).
/// Allocators and routing logic are not counted (small next to buffers and crossbar).
pub fn router_mm2(inputs: u32, outputs: u32, buffer_bytes: u64, width_bits: u32) -> f64 {
    let buffers = f64::from(inputs) * storage_mm2(buffer_bytes, width_bits);
    let mux2 = f64::from(outputs) * f64::from(width_bits) * f64::from(inputs.saturating_sub(1));
    buffers + register_um2(1) * MUX2_PER_REGISTER_BIT * mux2 * 1e-6
}

/// A one-way link of `width_bits` wires over `length_mm`, mm²: one wire track per bit.
pub fn link_mm2(width_bits: u32, length_mm: f64) -> f64 {
    f64::from(width_bits) * WIRE_PITCH_UM * 1e-3 * length_mm
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a / b - 1.0).abs() < 1e-9
    }

    #[test]
    fn logic_follows_accelergys_width_rules_from_aladdins_points() {
        // The 32-bit points themselves, scaled to 65 nm.
        assert!(close(adder_um2(32), 278.0 * 2.19));
        assert!(close(multiplier_um2(32, 32), 6350.0 * 2.19));
        // Reference sheet §2 [derived] at 40 nm: adder 8 b 70 µm², 16 b 139 µm²; multiplier
        // 8×8 397 µm², 16×16 1588 µm² (rounded there).
        assert!((adder_um2(8) / 2.19 - 70.0).abs() <= 0.5);
        assert!((adder_um2(16) / 2.19 - 139.0).abs() <= 0.5);
        assert!((multiplier_um2(8, 8) / 2.19 - 397.0).abs() <= 0.5);
        assert!((multiplier_um2(16, 16) / 2.19 - 1588.0).abs() <= 0.5);
    }

    #[rstest]
    #[case(PeWidths { operand_bits: 8, accumulator_bits: 16 }, PeWidths { operand_bits: 8, accumulator_bits: 32 })]
    #[case(PeWidths { operand_bits: 8, accumulator_bits: 32 }, PeWidths { operand_bits: 16, accumulator_bits: 32 })]
    #[case(PeWidths { operand_bits: 16, accumulator_bits: 32 }, PeWidths { operand_bits: 32, accumulator_bits: 32 })]
    fn a_wider_pe_is_larger(#[case] narrow: PeWidths, #[case] wide: PeWidths) {
        assert!(pe_um2(wide) > pe_um2(narrow));
    }

    #[test]
    fn an_8_bit_pe_with_a_32_bit_accumulator() {
        // 397 (8x8) + 278 (32-bit add) + 48 x 5.98 (registers) µm² at 40 nm.
        let want = (6350.0 * 64.0 / 1024.0 + 278.0 + 48.0 * 5.98) * 2.19;
        assert!(close(pe_um2(PeWidths { operand_bits: 8, accumulator_bits: 32 }), want));
    }

    #[test]
    fn storage_is_flip_flops_below_a_kib_and_sram_above() {
        assert!(close(storage_mm2(512, 64), 4096.0 * 5.98 * 2.19 * 1e-6));
        // An 8 KiB 64-bit array is CACTI's reference point (tech-reference.md table 1b).
        assert!(close(storage_mm2(8 << 10, 64), 0.0548));
        // 2 MiB: two 1 MiB banks.
        assert!(close(storage_mm2(2 << 20, 64), 2.0 * 6.809));
        // The word is clamped to the model's range.
        assert!(close(storage_mm2(8 << 10, 256), storage_mm2(8 << 10, 128)));
        // At the edge a KiB of SRAM is far smaller than a KiB of flip-flops.
        assert!(storage_mm2(1024, 64) < storage_mm2(1023, 64));
    }

    #[test]
    fn routers_grow_with_ports_width_and_buffers_and_links_with_width_and_length() {
        let base = router_mm2(5, 5, 512, 256);
        assert!(router_mm2(6, 6, 512, 256) > base);
        assert!(router_mm2(5, 5, 1024 - 1, 256) > base);
        assert!(router_mm2(5, 5, 512, 128) < base);
        assert!(close(link_mm2(256, 1.0), 256.0 * 0.13e-3));
        assert!(close(link_mm2(256, 2.0), 2.0 * link_mm2(256, 1.0)));
    }
}
