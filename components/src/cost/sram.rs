//! SRAM energy, leakage and area as functions of capacity, word width and banks.
//!
//! **Reference points.** CACTI 7 (`HewlettPackard/cacti@1ffd8db`, the commit the Accelergy
//! CACTI plug-in pins) run with the plug-in's default configuration at 65 nm: itrs-lstp
//! cells and periphery (Vdd 1.2 V), 300 K, access mode "fast", one read-write port, one bank,
//! a RAM without tags. Tables 1b and 1c of the project's technology reference sheet
//! (`shared/data/tech-reference.md`) list the outputs; they are model output, not silicon
//! measurements. Horowitz (ISSCC 2014, 45 nm: 10 / 20 / 100 pJ per 64-bit read of 8 KB /
//! 32 KB / 1 MB) agrees with CACTI's 45 nm run within 2×.
//!
//! **Fitting method.** No curve is fitted: the model interpolates the reference points
//! piecewise linearly in (log capacity, log value), so it returns every reference point
//! exactly and, between two, follows the local power law (energy grows about as
//! capacity^0.57 over 8 KiB..1 MiB). Word widths other than 64 bits scale the 64-bit value by
//! the ratio CACTI gives at the same capacity (measured at 1, 8, 32 and 256 KiB; interpolated
//! in log capacity between them and held at the end values outside), itself interpolated in
//! log width between 32, 64 and 128 bits. Outside the points (banks under 1 KiB or over
//! 1 MiB, words under 32 or over 128 bits) the model refuses rather than extrapolates.
//!
//! **Banks.** A banked array of capacity C in B banks is B independent arrays of C/B: one
//! access reads or writes one word of one bank (its energy), every bank leaks, and the areas
//! add. The wiring between banks is not modelled here (the interconnect carries the data).
//!
//! **Leakage** is CACTI's sub-threshold plus gate leakage for 64-bit words, used for every
//! width (it follows the number of cells; the periphery's share is not separated). LSTP
//! cells leak little: the choice of device is stated because it moves leakage by orders of
//! magnitude (CACTI 65 nm, 64 KiB: lstp 10.8 µW, lop 1.1 mW, hp 36 mW).

/// The supply voltage at which every figure of this model is given: CACTI's 65 nm itrs-lstp
/// Vdd (`tech_params/65nm.dat`). Dynamic energy scales from it as V², leakage as the
/// component's leakage law.
pub const NOMINAL_V: f64 = 1.2;

/// The smallest and largest bank the reference points cover, in bytes.
pub const BANK_BYTES_RANGE: (u64, u64) = (1024, 1024 * 1024);
/// The narrowest and widest word the reference points cover, in bits.
pub const WORD_BITS_RANGE: (u32, u32) = (32, 128);

/// CACTI 7, 65 nm lstp, 1.2 V, 64-bit word, one bank: capacity (KiB), read energy (pJ per
/// access), write energy (pJ per access), area (mm²), leakage (µW, sub-threshold + gate).
/// Source: tech-reference.md table 1b **[generated]**.
const WORD64: [(f64, f64, f64, f64, f64); 8] = [
    (1.0, 3.12, 6.49, 0.00751, 0.030 + 0.260),
    (8.0, 11.13, 14.69, 0.0548, 0.243 + 1.54),
    (16.0, 20.98, 20.11, 0.1059, 0.456 + 2.69),
    (32.0, 30.10, 28.69, 0.1979, 0.906 + 5.21),
    (64.0, 47.05, 37.30, 0.4362, 1.66 + 9.14),
    (128.0, 59.34, 49.60, 0.8964, 3.32 + 18.3),
    (256.0, 100.6, 73.1, 1.744, 6.30 + 33.3),
    (1024.0, 174.5, 146.1, 6.809, 25.1 + 132.5),
];

/// CACTI 7, 65 nm lstp, 32-bit word (block 4 B, bus 32): capacity (KiB), read (pJ), write
/// (pJ), area (mm²). Source: tech-reference.md table 1c **[generated]**.
const WORD32: [(f64, f64, f64, f64); 4] =
    [(1.0, 1.81, 5.26, 0.0078), (8.0, 9.42, 8.99, 0.0535), (32.0, 21.32, 16.45, 0.221), (256.0, 60.5, 46.6, 1.714)];

/// CACTI 7, 65 nm lstp, 128-bit word (block 16 B, bus 128): as [`WORD32`]. Source: table 1c.
const WORD128: [(f64, f64, f64, f64); 4] = [
    (1.0, 6.39, 9.60, 0.0111),
    (8.0, 14.53, 26.10, 0.0578),
    (32.0, 36.35, 51.08, 0.2035),
    (256.0, 141.2, 121.7, 1.853),
];

/// The shape of an SRAM array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SramGeometry {
    /// Total capacity of all banks, bytes.
    pub capacity_bytes: u64,
    /// Bits read or written by one access of one bank (its port width).
    pub word_bits: u32,
    /// Independent banks, each of `capacity_bytes / banks`.
    pub banks: u32,
}

/// What an SRAM array costs at 65 nm and [`NOMINAL_V`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SramCost {
    /// Dynamic energy of one read of one word, pJ.
    pub read_pj_per_access: f64,
    /// Dynamic energy of one write of one word, pJ.
    pub write_pj_per_access: f64,
    /// Leakage of the whole array (all banks), mW.
    pub leakage_mw: f64,
    /// Area of the whole array (all banks), mm².
    pub area_mm2: f64,
    /// Bytes of one word, to turn energy per access into energy per byte.
    pub word_bytes: f64,
}

impl SramCost {
    /// Read energy per byte moved, pJ (a word access moves `word_bytes`).
    pub fn read_pj_per_byte(&self) -> f64 {
        self.read_pj_per_access / self.word_bytes
    }

    /// Write energy per byte moved, pJ.
    pub fn write_pj_per_byte(&self) -> f64 {
        self.write_pj_per_access / self.word_bytes
    }
}

/// Why the model cannot price a geometry. Fatal for a component that relies on the model;
/// the fix is a geometry inside the reference points or explicit coefficients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SramError {
    /// `banks` is zero.
    Banks { capacity_bytes: u64, banks: u32 },
    /// A bank is smaller or larger than the reference points cover (bytes, rounded down).
    BankSize { bank_bytes: u64 },
    /// The word is narrower or wider than the reference points cover.
    WordWidth { word_bits: u32 },
}

impl std::fmt::Display for SramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SramError::Banks { capacity_bytes, banks } => {
                write!(f, "{capacity_bytes} bytes cannot be split into {banks} banks")
            }
            SramError::BankSize { bank_bytes } => write!(
                f,
                "a bank of {} KiB is outside the SRAM model's reference points ({} KiB to {} KiB per bank)",
                *bank_bytes as f64 / 1024.0,
                BANK_BYTES_RANGE.0 / 1024,
                BANK_BYTES_RANGE.1 / 1024
            ),
            SramError::WordWidth { word_bits } => write!(
                f,
                "a {word_bits}-bit word is outside the SRAM model's reference points ({} to {} bits)",
                WORD_BITS_RANGE.0, WORD_BITS_RANGE.1
            ),
        }
    }
}

impl std::error::Error for SramError {}

/// Piecewise linear interpolation of `ys` over `xs` (both already in log space), held at the
/// end values outside `xs`. `xs` is strictly increasing.
fn interp(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    if x <= xs[0] {
        return ys[0];
    }
    let last = xs.len() - 1;
    if x >= xs[last] {
        return ys[last];
    }
    let i = xs.iter().position(|&a| a > x).expect("x is below the last point");
    let t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    ys[i - 1] + t * (ys[i] - ys[i - 1])
}

/// A quantity of the 64-bit table at `kib`, interpolated in log-log.
fn word64(kib: f64, column: impl Fn(&(f64, f64, f64, f64, f64)) -> f64) -> f64 {
    let xs: Vec<f64> = WORD64.iter().map(|r| r.0.ln()).collect();
    let ys: Vec<f64> = WORD64.iter().map(|r| column(r).ln()).collect();
    interp(&xs, &ys, kib.ln()).exp()
}

/// The log of the ratio (width `table` / 64-bit) of one quantity at `kib`.
fn log_ratio(
    table: &[(f64, f64, f64, f64); 4],
    kib: f64,
    column: impl Fn(&(f64, f64, f64, f64)) -> f64,
    column64: impl Fn(&(f64, f64, f64, f64, f64)) -> f64,
) -> f64 {
    let xs: Vec<f64> = table.iter().map(|r| r.0.ln()).collect();
    let ys: Vec<f64> = table.iter().map(|r| (column(r) / word64(r.0, &column64)).ln()).collect();
    interp(&xs, &ys, kib.ln())
}

/// One quantity at `kib` and `word_bits`: the 64-bit value times the width ratio.
fn at(
    kib: f64,
    word_bits: u32,
    column: impl Fn(&(f64, f64, f64, f64)) -> f64 + Copy,
    column64: impl Fn(&(f64, f64, f64, f64, f64)) -> f64 + Copy,
) -> f64 {
    let base = word64(kib, column64);
    let widths = [32f64.ln(), 64f64.ln(), 128f64.ln()];
    let ratios = [log_ratio(&WORD32, kib, column, column64), 0.0, log_ratio(&WORD128, kib, column, column64)];
    base * interp(&widths, &ratios, f64::from(word_bits).ln()).exp()
}

/// The cost of an SRAM array of this geometry at 65 nm, [`NOMINAL_V`], itrs-lstp devices.
///
/// Errors: [`SramError`] when the geometry is outside the reference points.
pub fn sram_cost(g: SramGeometry) -> Result<SramCost, SramError> {
    if g.banks == 0 {
        return Err(SramError::Banks { capacity_bytes: g.capacity_bytes, banks: g.banks });
    }
    // Banks need not divide the capacity evenly (lines interleave over any number): price
    // the mean bank.
    let bank_bytes = g.capacity_bytes as f64 / f64::from(g.banks);
    let (lo, hi) = (BANK_BYTES_RANGE.0 as f64, BANK_BYTES_RANGE.1 as f64);
    if !(lo..=hi).contains(&bank_bytes) {
        return Err(SramError::BankSize { bank_bytes: bank_bytes as u64 });
    }
    if !(WORD_BITS_RANGE.0..=WORD_BITS_RANGE.1).contains(&g.word_bits) {
        return Err(SramError::WordWidth { word_bits: g.word_bits });
    }
    let kib = bank_bytes / 1024.0;
    let w = g.word_bits;
    let banks = f64::from(g.banks);
    Ok(SramCost {
        read_pj_per_access: at(kib, w, |r| r.1, |r| r.1),
        write_pj_per_access: at(kib, w, |r| r.2, |r| r.2),
        // µW -> mW.
        leakage_mw: banks * word64(kib, |r| r.4) * 1e-3,
        area_mm2: banks * at(kib, w, |r| r.3, |r| r.3),
        word_bytes: f64::from(w) / 8.0,
    })
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn cost(kib: u64, word_bits: u32, banks: u32) -> SramCost {
        sram_cost(SramGeometry { capacity_bytes: kib * 1024, word_bits, banks }).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a / b - 1.0).abs() < 1e-9
    }

    #[test]
    fn returns_every_64_bit_reference_point() {
        for &(kib, rd, wr, area, leak_uw) in &WORD64 {
            let c = cost(kib as u64, 64, 1);
            assert!(close(c.read_pj_per_access, rd), "{kib} KiB read {}", c.read_pj_per_access);
            assert!(close(c.write_pj_per_access, wr), "{kib} KiB write");
            assert!(close(c.area_mm2, area), "{kib} KiB area");
            assert!(close(c.leakage_mw, leak_uw * 1e-3), "{kib} KiB leakage");
        }
    }

    #[rstest]
    #[case(32, &WORD32)]
    #[case(128, &WORD128)]
    fn returns_every_other_width_reference_point(#[case] bits: u32, #[case] table: &[(f64, f64, f64, f64); 4]) {
        for &(kib, rd, wr, area) in table {
            let c = cost(kib as u64, bits, 1);
            assert!(close(c.read_pj_per_access, rd), "{bits} b {kib} KiB read {} vs {rd}", c.read_pj_per_access);
            assert!(close(c.write_pj_per_access, wr), "{bits} b {kib} KiB write");
            assert!(close(c.area_mm2, area), "{bits} b {kib} KiB area");
        }
    }

    #[test]
    fn between_points_follows_the_local_power_law() {
        // 64-bit, 2 KiB: a third of the way (in log) from 1 KiB to 8 KiB.
        let c = cost(2, 64, 1);
        let expect = 3.12 * (11.13f64 / 3.12).powf(1.0 / 3.0);
        assert!(close(c.read_pj_per_access, expect), "{}", c.read_pj_per_access);
        // 48-bit words lie between the 32- and 64-bit values.
        let (a, b, m) = (cost(8, 32, 1), cost(8, 64, 1), cost(8, 48, 1));
        assert!(a.read_pj_per_access < m.read_pj_per_access && m.read_pj_per_access < b.read_pj_per_access);
    }

    #[test]
    fn banks_split_the_capacity_and_add_leakage_and_area() {
        let one = cost(8, 128, 1);
        let eight = cost(64, 128, 8);
        assert!(close(eight.read_pj_per_access, one.read_pj_per_access));
        assert!(close(eight.leakage_mw, 8.0 * one.leakage_mw));
        assert!(close(eight.area_mm2, 8.0 * one.area_mm2));
        // One big bank costs more per access than eight small ones.
        assert!(cost(64, 128, 1).read_pj_per_access > eight.read_pj_per_access);
        // Three banks of 8 KiB whatever the rounding: 24 KiB.
        assert!(close(cost(24, 128, 3).area_mm2, 3.0 * one.area_mm2));
    }

    #[test]
    fn a_bigger_buffer_costs_more_per_access_leaks_more_and_is_larger() {
        let sizes = [16, 64, 256, 1024].map(|k| cost(k, 128, 8));
        for w in sizes.windows(2) {
            assert!(w[1].read_pj_per_access > w[0].read_pj_per_access);
            assert!(w[1].write_pj_per_access > w[0].write_pj_per_access);
            assert!(w[1].leakage_mw > w[0].leakage_mw);
            assert!(w[1].area_mm2 > w[0].area_mm2);
        }
        assert!(close(sizes[0].read_pj_per_byte() * 16.0, sizes[0].read_pj_per_access));
    }

    #[rstest]
    #[case(SramGeometry { capacity_bytes: 512, word_bits: 64, banks: 1 }, SramError::BankSize { bank_bytes: 512 })]
    #[case(SramGeometry { capacity_bytes: 4 << 20, word_bits: 64, banks: 2 }, SramError::BankSize { bank_bytes: 2 << 20 })]
    #[case(SramGeometry { capacity_bytes: 8192, word_bits: 256, banks: 1 }, SramError::WordWidth { word_bits: 256 })]
    #[case(SramGeometry { capacity_bytes: 8192, word_bits: 16, banks: 1 }, SramError::WordWidth { word_bits: 16 })]
    #[case(SramGeometry { capacity_bytes: 8192, word_bits: 64, banks: 0 }, SramError::Banks { capacity_bytes: 8192, banks: 0 })]
    fn refuses_geometries_outside_the_reference_points(#[case] g: SramGeometry, #[case] e: SramError) {
        assert_eq!(sram_cost(g), Err(e.clone()));
        assert!(!e.to_string().is_empty());
    }
}
