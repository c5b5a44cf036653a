//! Energy of a processing element by operand and accumulator width, and of storage of any
//! size per byte: what one MAC, one PE-cycle of pipeline registers and one byte of a core's
//! local buffer cost at 65 nm.
//!
//! **Sources** (the project's technology reference sheet, `shared/data/tech-reference.md` §2):
//! - multiply and add: Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm at 0.9 V:
//!   8-bit multiply 0.2 pJ, 32-bit multiply 3.1 pJ, 8-bit add 0.03 pJ, 32-bit add 0.1 pJ
//!   (**[secondary]** there: PMC8934428 Table 3 and `stillwater-sc/universal`'s
//!   `generic_45nm.hpp`). **Width rule**: a power law through the two points of each, in the
//!   product of the operand widths for the multiplier (exponent ln(3.1/0.2)/ln 16 = 0.988:
//!   nearly Accelergy's "linear in each operand" rule) and in the width for the adder
//!   (exponent ln(0.1/0.03)/ln 4 = 0.868). Widths are kept between the points (8 to 32 bits):
//!   no extrapolation.
//! - 45 nm → 65 nm: divided by Stillmaker & Baas' energy factor 65 → 45 nm
//!   ([`super::scaling::Technology::at`]`(45)`, 0.806: ×1.24), the method the rest of the
//!   model uses.
//! - pipeline registers: Aladdin's flip-flop, 0.009 pJ per bit per access at 40 nm
//!   (`hwcomponents-library@8b56f7e` `aladdin.py`, **[primary]** there), ×1.43 to 65 nm
//!   (`hwcomponents`' `tech_node_energy(65e-9, 40e-9)`, **[derived]** there). A PE clocks its
//!   two operand registers and its accumulator every cycle it computes. Aladdin states no
//!   voltage: taken at [`PE_V`] like Horowitz's figures (**assumption**).
//!
//! Architecture Invariant: pure functions of a geometry, like [`super::sram`].

use super::area::{storage_sram, PeWidths};
use super::scaling::Technology;
use super::sram::{sram_cost, NOMINAL_V as SRAM_V};

/// Voltage of the PE figures (Horowitz's 0.9 V).
pub const PE_V: f64 = 0.9;
/// The narrowest and widest operand or accumulator the reference points cover, bits.
pub const WIDTH_BITS_RANGE: (u32, u32) = (8, 32);
/// Horowitz, 45 nm, 0.9 V: 8-bit and 32-bit integer multiply, pJ.
const MULT_PJ_45NM: (f64, f64) = (0.2, 3.1);
/// Horowitz, 45 nm, 0.9 V: 8-bit and 32-bit integer add, pJ.
const ADD_PJ_45NM: (f64, f64) = (0.03, 0.1);
/// Aladdin register (flip-flop), pJ per bit per access at 40 nm.
const REGISTER_PJ_PER_BIT_40NM: f64 = 0.009;
/// Accelergy `hwcomponents` energy factor 40 nm → 65 nm at its default 0.8 V.
pub const ENERGY_40_TO_65_NM: f64 = 1.43;

/// 45 nm → 65 nm energy factor: the inverse of Stillmaker & Baas' 65 → 45 nm factor.
fn from_45nm() -> f64 {
    1.0 / Technology::at(45.0).expect("45 nm is a row of the table").energy
}

/// `lo` at `x = x0`, `hi` at `x = 4·x0` for the adder or `16·x0` for the multiplier: the
/// power law through both points, at `x`.
fn power_law((lo, hi): (f64, f64), ratio_of_points: f64, x_over_x0: f64) -> f64 {
    lo * x_over_x0.powf((hi / lo).ln() / ratio_of_points.ln())
}

/// One multiply of an `a_bits` by a `b_bits` operand (8 to 32 bits each), pJ at 65 nm, [`PE_V`].
pub fn multiplier_pj(a_bits: u32, b_bits: u32) -> f64 {
    power_law(MULT_PJ_45NM, 16.0, f64::from(a_bits) * f64::from(b_bits) / 64.0) * from_45nm()
}

/// One add of `bits` (8 to 32), pJ at 65 nm, [`PE_V`].
pub fn adder_pj(bits: u32) -> f64 {
    power_law(ADD_PJ_45NM, 4.0, f64::from(bits) / 8.0) * from_45nm()
}

/// One MAC: a multiply of two operands and an accumulate, pJ at 65 nm, [`PE_V`].
pub fn mac_pj(w: PeWidths) -> f64 {
    multiplier_pj(w.operand_bits, w.operand_bits) + adder_pj(w.accumulator_bits)
}

/// `bits` flip-flops clocked once, pJ at 65 nm, [`PE_V`].
pub fn register_pj(bits: u64) -> f64 {
    REGISTER_PJ_PER_BIT_40NM * ENERGY_40_TO_65_NM * bits as f64
}

/// The pipeline registers of one PE (two operands, the accumulator) in a computing cycle,
/// pJ at 65 nm, [`PE_V`].
pub fn register_pj_per_pe_cycle(w: PeWidths) -> f64 {
    register_pj(u64::from(2 * w.operand_bits + w.accumulator_bits))
}

/// Whether `w` is inside the reference points, or why not (names the field).
pub fn check_widths(w: PeWidths) -> Result<(), (&'static str, String)> {
    let (lo, hi) = WIDTH_BITS_RANGE;
    for (field, v) in [("pe_operand_bits", w.operand_bits), ("pe_accumulator_bits", w.accumulator_bits)] {
        if !(lo..=hi).contains(&v) {
            return Err((field, format!("`{field}` = {v} is outside the PE energy model's {lo} to {hi} bits")));
        }
    }
    Ok(())
}

/// What one byte of a core's local storage costs to read and write, and at which voltage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorageEnergy {
    pub read_pj_per_byte: f64,
    pub write_pj_per_byte: f64,
    /// Voltage of the two figures: the SRAM model's 1.2 V, or [`PE_V`] for flip-flops.
    pub v: f64,
}

impl StorageEnergy {
    /// The figures restated at `v` (dynamic energy as V²).
    pub fn at(self, v: f64) -> StorageEnergy {
        let r = (v / self.v).powi(2);
        StorageEnergy { read_pj_per_byte: self.read_pj_per_byte * r, write_pj_per_byte: self.write_pj_per_byte * r, v }
    }
}

/// Storage of `bytes` read and written `word_bits` at a time, per byte at 65 nm: flip-flops
/// below the SRAM model's smallest bank (1 KiB; [`register_pj`] per bit), else the SRAM model
/// ([`sram_cost`]) for [`storage_sram`], as [`super::area::storage_mm2`] prices the area.
pub fn storage_energy(bytes: u64, word_bits: u32) -> StorageEnergy {
    let Some(g) = storage_sram(bytes, word_bits) else {
        let pj = register_pj(8);
        return StorageEnergy { read_pj_per_byte: pj, write_pj_per_byte: pj, v: PE_V };
    };
    match sram_cost(g) {
        Ok(c) => StorageEnergy {
            read_pj_per_byte: c.read_pj_per_byte(),
            write_pj_per_byte: c.write_pj_per_byte(),
            v: SRAM_V,
        },
        // Inside the model's range by construction (see `storage_sram`).
        Err(_) => StorageEnergy { read_pj_per_byte: f64::NAN, write_pj_per_byte: f64::NAN, v: SRAM_V },
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a / b - 1.0).abs() < 1e-9
    }

    #[test]
    fn returns_horowitzs_points_scaled_to_65_nm() {
        let k = 1.0 / Technology::at(45.0).unwrap().energy;
        assert!((k - 1.24).abs() < 0.01, "{k}");
        assert!(close(multiplier_pj(8, 8), 0.2 * k));
        assert!(close(multiplier_pj(32, 32), 3.1 * k));
        assert!(close(adder_pj(8), 0.03 * k));
        assert!(close(adder_pj(32), 0.1 * k));
        // The paper chip's PE: 8-bit multiply, 32-bit accumulate.
        assert!(close(mac_pj(PeWidths { operand_bits: 8, accumulator_bits: 32 }), 0.3 * k));
    }

    #[test]
    fn between_points_the_power_law_holds() {
        // 16x16 is four times the product of 8x8: 0.2 x 4^0.988 at 45 nm.
        let k = 1.0 / Technology::at(45.0).unwrap().energy;
        let want = 0.2 * 4f64.powf((3.1f64 / 0.2).ln() / 16f64.ln()) * k;
        assert!(close(multiplier_pj(16, 16), want));
        assert!(close(multiplier_pj(8, 32), want), "the product decides");
        assert!(adder_pj(8) < adder_pj(16) && adder_pj(16) < adder_pj(32));
    }

    #[rstest]
    #[case(PeWidths { operand_bits: 8, accumulator_bits: 16 }, PeWidths { operand_bits: 8, accumulator_bits: 32 })]
    #[case(PeWidths { operand_bits: 8, accumulator_bits: 32 }, PeWidths { operand_bits: 16, accumulator_bits: 32 })]
    #[case(PeWidths { operand_bits: 16, accumulator_bits: 32 }, PeWidths { operand_bits: 32, accumulator_bits: 32 })]
    fn a_wider_pe_costs_more_per_mac_and_per_cycle(#[case] narrow: PeWidths, #[case] wide: PeWidths) {
        assert!(mac_pj(wide) > mac_pj(narrow));
        assert!(register_pj_per_pe_cycle(wide) > register_pj_per_pe_cycle(narrow));
    }

    #[test]
    fn registers_are_aladdins_flip_flop_per_bit() {
        // 8 + 8 + 32 bits at 0.009 pJ (40 nm) x 1.43.
        let w = PeWidths { operand_bits: 8, accumulator_bits: 32 };
        assert!(close(register_pj_per_pe_cycle(w), 48.0 * 0.009 * 1.43));
    }

    #[rstest]
    #[case(PeWidths { operand_bits: 4, accumulator_bits: 32 }, "pe_operand_bits")]
    #[case(PeWidths { operand_bits: 8, accumulator_bits: 64 }, "pe_accumulator_bits")]
    fn widths_outside_the_points_are_refused(#[case] w: PeWidths, #[case] field: &str) {
        let (f, m) = check_widths(w).unwrap_err();
        assert_eq!(f, field);
        assert!(m.contains("8 to 32 bits"), "{m}");
        assert!(check_widths(PeWidths { operand_bits: 8, accumulator_bits: 32 }).is_ok());
    }

    #[test]
    fn storage_is_flip_flops_below_a_kib_and_the_sram_model_above() {
        let ff = storage_energy(512, 64);
        assert!(close(ff.read_pj_per_byte, 8.0 * 0.009 * 1.43) && ff.v == PE_V);
        // An 8 KiB 64-bit array is a CACTI reference point (tech-reference.md table 1b).
        let s = storage_energy(8 << 10, 64);
        assert!(close(s.read_pj_per_byte, 11.13 / 8.0) && close(s.write_pj_per_byte, 14.69 / 8.0));
        assert_eq!(s.v, 1.2);
        // Restated at 0.9 V as V².
        assert!(close(s.at(0.9).read_pj_per_byte, 11.13 / 8.0 * 0.5625));
        // A bigger buffer costs more per byte.
        assert!(storage_energy(64 << 10, 64).read_pj_per_byte > s.read_pj_per_byte);
    }
}
