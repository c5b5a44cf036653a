//! DRAM standards as data: geometry, timings, currents and the address mapping of each preset
//! a topology can name (`preset: ddr4_3200`) and then override field by field.
//!
//! Every value names its source beside it. Sources (the full table, with the figures read
//! from each, is `docs/dram-presets.md`):
//! - JESD209-4 (LPDDR4/4X), JESD209-5B (LPDDR5), JESD79-4C (DDR4), JESD235D (HBM2): the
//!   JEDEC standards, as their speed-bin tables are transcribed in the simulator configs below.
//! - DRAMSys `configs/memspec/JEDEC_1Gbx16_LPDDR4-4266.json` (tukl-msd/DRAMSys@2107966).
//! - Ramulator 2 `python/ramulator/dram/{lpddr5,hbm2}.py` (CMU-SAFARI/ramulator2@c5b1c3a).
//! - DRAMsim3 `configs/DDR4_8Gb_x8_3200.ini`, `configs/HBM2_8Gb_x128.ini`
//!   (umd-memsys/DRAMsim3@2981759), whose [power] blocks carry the IDD currents.
//! - gem5 `dram_interfaces/{lpddr5,hbm}.py`: cross-checks.
//!
//! Energy coefficients follow the Micron power-calculator method the LPDDR4 default uses
//! (`EnergyParams`): background power = IDD × VDD per state; ACT+PRE = (IDD0 − IDD3N) × VDD ×
//! tRC; read/write = (IDD4R/W − IDD3N) × VDD × tBURST per burst bit; refresh =
//! (IDD5 − IDD3N) × VDD × tRFC.
//!
//! Timings are written as `nck(n, tck_ns)`: n clocks of the standard's clock, as the
//! sources give them, so that rounding to our clock (tCK = 2 / data rate) gives n back.

use serde::{Deserialize, Serialize};

use super::params::{EnergyParams, Geometry, TimingParams};

/// A standard the controller can be configured as.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Preset {
    /// LPDDR4-3200, one 8 Gb dual-channel die (the default; unchanged since the first model).
    #[default]
    #[serde(rename = "lpddr4_3200")]
    Lpddr4_3200,
    /// LPDDR4X-4266, one 16 Gb-per-channel dual-channel die.
    #[serde(rename = "lpddr4x_4266")]
    Lpddr4x4266,
    /// LPDDR5-6400 in bank-group mode, two x16 channels of 8 Gb.
    #[serde(rename = "lpddr5_6400")]
    Lpddr5_6400,
    /// DDR4-3200AA (22-22-22), one rank of eight x8 8 Gb devices: a 64-bit channel.
    #[serde(rename = "ddr4_3200")]
    Ddr4_3200,
    /// HBM2 at 2 Gb/s/pin, one 4-high stack of 8 Gb dies in pseudo-channel mode (16 × 64 bit).
    #[serde(rename = "hbm2")]
    Hbm2,
}

/// One standard's data.
#[derive(Clone, Debug)]
pub struct Standard {
    pub geometry: Geometry,
    pub timing: TimingParams,
    pub energy: EnergyParams,
    /// Default address mapping (see `AddressMapping`).
    pub mapping: &'static str,
}

/// `n` clock cycles of `tck_ns` in ns.
fn nck(n: u32, tck_ns: f64) -> f64 {
    f64::from(n) * tck_ns
}

impl Preset {
    /// The name a topology writes.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Lpddr4_3200 => "lpddr4_3200",
            Preset::Lpddr4x4266 => "lpddr4x_4266",
            Preset::Lpddr5_6400 => "lpddr5_6400",
            Preset::Ddr4_3200 => "ddr4_3200",
            Preset::Hbm2 => "hbm2",
        }
    }

    pub const ALL: [Preset; 5] =
        [Preset::Lpddr4_3200, Preset::Lpddr4x4266, Preset::Lpddr5_6400, Preset::Ddr4_3200, Preset::Hbm2];

    pub fn standard(self) -> Standard {
        match self {
            Preset::Lpddr4_3200 => lpddr4_3200(),
            Preset::Lpddr4x4266 => lpddr4x_4266(),
            Preset::Lpddr5_6400 => lpddr5_6400(),
            Preset::Ddr4_3200 => ddr4_3200(),
            Preset::Hbm2 => hbm2(),
        }
    }
}

/// LPDDR4-3200 (JESD209-4), as the controller has always defaulted to. The values of the
/// first model are kept; the power-down, per-bank refresh, command-bus and bank-group fields
/// are new (their sources beside them).
pub fn lpddr4_3200() -> Standard {
    Standard {
        geometry: Geometry {
            channels: 2, // an LPDDR4 die has two x16 channels
            ranks: 1,
            bank_groups: 1, // LPDDR4 has no bank groups
            banks: 8,
            rows: 32768,     // 8 Gb die: R0-R14 per channel
            columns: 1024,   // C0-C9: 2 KiB page
            bus_bytes: 2,    // x16
            burst_bytes: 32, // BL16
            size_mib: None,
        },
        timing: TimingParams {
            data_rate_mtps: 3200,
            trcd_ns: 18.0,     // JESD209-4: max(18 ns, 4 nCK)
            trp_ns: 18.0,      // tRPpb: max(18 ns, 4 nCK)
            trpab_ns: 21.0,    // tRPab: max(21 ns, 4 nCK)
            tcl_ns: 17.5,      // RL 28 nCK (DBI off)
            tcwl_ns: 8.75,     // WL set A 14 nCK
            tras_ns: 42.0,     // max(42 ns, 3 nCK)
            twr_ns: 18.0,      // max(18 ns, 6 nCK)
            trtp_ns: 7.5,      // max(7.5 ns, 8 nCK)
            tccd_ns: 5.0,      // BL16: 8 nCK
            tccd_l_ns: 5.0,    // no bank groups: = tCCD
            trrd_ns: 10.0,     // max(10 ns, 4 nCK)
            trrd_l_ns: 10.0,   // = tRRD
            tfaw_ns: 40.0,     // 40 ns at 3200
            twtr_ns: 10.0,     // max(10 ns, 8 nCK)
            twtr_l_ns: 10.0,   // = tWTR
            trtw_ns: 4.75,     // tDQSCK max 3.5 ns + 2 nCK write preamble
            trtrs_ns: 1.25,    // 2 nCK rank-to-rank bus gap, as DDR4 (JESD209-4 names none) [unconfirmed]
            trefi_ns: 3904.0,  // 8192 refreshes per 32 ms up to 85 °C
            trfc_ns: 180.0,    // tRFCab, 4 Gb per channel (8 Gb die)
            trefipb_ns: 488.0, // tREFIpb = tREFI / 8 banks
            trfcpb_ns: 90.0,   // tRFCpb, 4 Gb per channel
            txp_ns: 7.5,       // max(7.5 ns, 5 nCK); DRAMSys LPDDR4-3200 memspec: 12 nCK
            tcke_ns: 7.5,      // max(7.5 ns, 4 nCK); DRAMSys: 12 nCK
            txsr_ns: 187.5,    // tRFCab + 7.5 ns
            tsr_ns: 15.0,      // minimum self-refresh time; DRAMSys: 24 nCK
            // JESD209-4 as commonly described [unconfirmed]: ACT-1 + ACT-2, each 2 clocks
            // on the 6-bit SDR CA bus.
            act_command_cycles: 4,
            column_command_cycles: 4, // RD-1/WR-1 + CAS-2
            pre_command_cycles: 2,    // one 2-clock command
        },
        energy: EnergyParams {
            device_voltage_v: 1.1,
            act_pre_pj: 858.0,
            read_pj_per_bit: 4.2,
            write_pj_per_bit: 3.35,
            refresh_pj: 22970.0,
            // Per-bank refresh refreshes 1/8 of the rows of an all-bank one: 22970 / 8.
            refresh_pb_pj: 2871.0,
            standby_mw_per_rank: 28.6,
            active_standby_mw_per_rank: 8.8,
            // DRAMSys LPDDR4-3200 memspec (Micron-derived) VDD2 currents × 1.1 V:
            // IDD2P 3.0 mA, IDD3P 9.0 mA, IDD6 0.5 mA.
            precharge_power_down_mw_per_rank: 3.3,
            active_power_down_mw_per_rank: 9.9,
            self_refresh_mw_per_rank: 0.55,
            phy_pj_per_byte: 12.0,
            controller_nominal_v: 1.0,
            controller_leakage_mw: 0.5,
        },
        mapping: "row:rank:bank:channel:column",
    }
}

/// LPDDR4X-4266 (JESD209-4B speed bin; DRAMSys `JEDEC_1Gbx16_LPDDR4-4266.json`, all values in
/// nCK of 0.469 ns). The die is 16 Gb per channel. IDD currents: DRAMSys stores zeros, so
/// the LPDDR4-3200 ones are kept [unconfirmed] (VDD2 is 1.1 V in both).
pub fn lpddr4x_4266() -> Standard {
    const T: f64 = 0.469;
    let base = lpddr4_3200();
    Standard {
        geometry: Geometry { rows: 131072, ..base.geometry }, // 16 Gb per channel
        timing: TimingParams {
            data_rate_mtps: 4266,
            trcd_ns: nck(39, T),
            trp_ns: nck(39, T),
            trpab_ns: nck(45, T),
            tcl_ns: nck(36, T),
            tcwl_ns: nck(18, T),
            tras_ns: nck(90, T),
            twr_ns: nck(39, T),
            trtp_ns: nck(17, T),
            tccd_ns: nck(8, T),
            tccd_l_ns: nck(8, T),
            trrd_ns: nck(22, T),
            trrd_l_ns: nck(22, T),
            tfaw_ns: nck(86, T),
            twtr_ns: nck(22, T),
            twtr_l_ns: nck(22, T),
            trtw_ns: 3.5 + nck(2, T), // tDQSCK max + 2 nCK preamble, as at 3200
            trtrs_ns: nck(2, T),      // [unconfirmed], as LPDDR4-3200
            trefi_ns: 3904.0,         // DRAMSys: 8341 nCK
            trfc_ns: nck(812, T),     // tRFCab 380.8 ns
            trefipb_ns: 488.0,        // DRAMSys: 1042 nCK
            trfcpb_ns: nck(406, T),   // tRFCpb 190.4 ns
            txp_ns: nck(17, T),
            tcke_ns: nck(17, T),
            txsr_ns: nck(828, T),
            tsr_ns: nck(33, T),
            ..base.timing
        },
        energy: base.energy,
        mapping: base.mapping,
    }
}

/// LPDDR5-6400 in BG mode (JESD209-5B as cited by Ramulator 2 `lpddr5.py`: CK 800 MHz,
/// WCK:CK 4:1). Our clock is the data clock (tCK = 2 / 6400 MT/s = 0.3125 ns, 4 per CK), so
/// commands take 4 of its cycles per CK. IDD currents were not found (a gap in the open
/// sources): the LPDDR4 coefficients are kept at VDD2H 1.05 V (Micron MT62F) [unconfirmed].
pub fn lpddr5_6400() -> Standard {
    const CK: f64 = 1.25;
    let base = lpddr4_3200();
    Standard {
        geometry: Geometry {
            channels: 2,
            ranks: 1,
            bank_groups: 4, // BG mode: 4 BG x 4 banks
            banks: 16,
            rows: 32768, // 8 Gb per channel
            columns: 1024,
            bus_bytes: 2,
            burst_bytes: 32, // BL16
            size_mib: None,
        },
        timing: TimingParams {
            data_rate_mtps: 6400,
            trcd_ns: nck(15, CK),
            trp_ns: nck(15, CK),
            trpab_ns: nck(17, CK),
            tcl_ns: nck(17, CK),
            tcwl_ns: nck(9, CK),
            tras_ns: nck(34, CK),
            twr_ns: nck(28, CK),
            trtp_ns: nck(8, CK),
            tccd_ns: nck(2, CK),   // tCCD_S, BL16
            tccd_l_ns: nck(4, CK), // tCCD_L
            trrd_ns: 5.0,          // tRRD_S = tRRD_L = max(4 nCK, 5 ns)
            trrd_l_ns: 5.0,
            tfaw_ns: 20.0,
            twtr_ns: nck(5, CK),
            twtr_l_ns: nck(10, CK),
            trtw_ns: base.timing.trtw_ns, // not in the sources: LPDDR4's [unconfirmed]
            trtrs_ns: nck(1, CK),         // [unconfirmed]
            trefi_ns: 3906.0,
            trfc_ns: 210.0, // tRFCab, 8 Gb (JESD209-5B Table 235)
            trefipb_ns: 488.0,
            trfcpb_ns: 120.0,
            txp_ns: 7.0,              // max(3 nCK, 7 ns) (gem5 lpddr5.py)
            tcke_ns: 7.0,             // not found: taken = tXP [unconfirmed]
            txsr_ns: 217.5,           // tRFCab + 7.5 ns (gem5)
            tsr_ns: 15.0,             // not found: LPDDR4's [unconfirmed]
            act_command_cycles: 8,    // ACT-1 + ACT-2, one CK each
            column_command_cycles: 4, // one CK
            pre_command_cycles: 4,
        },
        energy: EnergyParams { device_voltage_v: 1.05, ..base.energy },
        // Bank groups alternate burst by burst (a row stream would otherwise pay tCCD_L).
        mapping: "row:column:rank:bank:channel",
    }
}

/// DDR4-3200AA, one rank of eight x8 8 Gb devices (DRAMsim3 `DDR4_8Gb_x8_3200.ini`; Ramulator 2
/// `ddr4.py` DDR4_3200AA agrees; JESD79-4C). Currents are the ini's, per device, × 8 devices
/// at VDD 1.2 V.
pub fn ddr4_3200() -> Standard {
    const T: f64 = 0.625;
    let base = lpddr4_3200();
    let v = 1.2;
    let dev = 8.0 * v; // eight devices: mA -> mW per rank
    Standard {
        geometry: Geometry {
            channels: 1,
            ranks: 1,
            bank_groups: 4,
            banks: 16,
            rows: 65536,
            columns: 1024,   // x 8 bytes: 8 KiB rank row (1 KiB per device)
            bus_bytes: 8,    // 64-bit channel
            burst_bytes: 64, // BL8
            size_mib: None,
        },
        timing: TimingParams {
            data_rate_mtps: 3200,
            trcd_ns: nck(22, T),
            trp_ns: nck(22, T),
            trpab_ns: nck(22, T), // PREA takes tRP
            tcl_ns: nck(22, T),
            tcwl_ns: nck(16, T),
            tras_ns: nck(52, T),
            twr_ns: nck(24, T),
            trtp_ns: nck(12, T),
            tccd_ns: nck(4, T),
            tccd_l_ns: nck(8, T),
            trrd_ns: nck(4, T),
            trrd_l_ns: nck(8, T),
            tfaw_ns: nck(34, T),
            twtr_ns: nck(4, T),
            twtr_l_ns: nck(12, T),
            trtw_ns: nck(2, T),  // RD-to-WR = CL + BL/2 + 2 - CWL: 2 nCK of bus gap
            trtrs_ns: nck(2, T), // DRAMsim3-style simulator parameter [unconfirmed]
            trefi_ns: nck(12480, T),
            trfc_ns: nck(560, T), // tRFC1 350 ns (Ramulator 2: 360 ns)
            trefipb_ns: 0.0,      // DDR4 has no per-bank refresh
            trfcpb_ns: 0.0,
            txp_ns: nck(10, T),
            tcke_ns: nck(8, T),
            txsr_ns: nck(576, T), // tXS
            tsr_ns: nck(9, T),    // tCKESR
            act_command_cycles: 1,
            column_command_cycles: 1,
            pre_command_cycles: 1,
        },
        energy: EnergyParams {
            device_voltage_v: v,
            act_pre_pj: (57.0 - 52.0) * dev * nck(74, T), // (IDD0 - IDD3N) x tRC 46.25 ns
            read_pj_per_bit: (168.0 - 52.0) * dev * nck(4, T) / 512.0, // IDD4R, 64-byte burst
            write_pj_per_bit: (150.0 - 52.0) * dev * nck(4, T) / 512.0, // IDD4W
            refresh_pj: (250.0 - 52.0) * dev * nck(560, T), // IDD5B over tRFC1
            refresh_pb_pj: 0.0,
            standby_mw_per_rank: 37.0 * dev,                 // IDD2N
            active_standby_mw_per_rank: (52.0 - 37.0) * dev, // IDD3N - IDD2N
            precharge_power_down_mw_per_rank: 25.0 * dev,    // IDD2P
            active_power_down_mw_per_rank: 43.0 * dev,       // IDD3P
            self_refresh_mw_per_rank: 30.0 * dev,            // IDD6x
            ..base.energy
        },
        mapping: "row:column:rank:bank:channel",
    }
}

/// HBM2 at 2 Gb/s/pin in pseudo-channel mode: 16 pseudo-channels of 64 bits (8 channels × 2)
/// of a 4-high stack of 8 Gb dies, 16 banks in 4 groups, 1 KiB rows (gem5 `hbm.py`
/// HBM_2000_4H_1x64). Core timings: Ramulator 2 `hbm2.py` HBM2_2000Mbps (JESD235D); power-down
/// timings and currents: DRAMsim3 `HBM2_8Gb_x128.ini` (a 128-bit channel: halved per
/// pseudo-channel [derived]; the ini does not say where its currents come from [unconfirmed]).
/// Row and column commands have separate buses in HBM2; here they share one.
pub fn hbm2() -> Standard {
    const T: f64 = 1.0;
    let base = lpddr4_3200();
    let v = 1.2;
    let pc = 0.5 * v; // mA of a 128-bit channel -> mW of one pseudo-channel
    Standard {
        geometry: Geometry {
            channels: 16,
            ranks: 1,
            bank_groups: 4,
            banks: 16,
            rows: 16384,  // 256 MiB per pseudo-channel
            columns: 128, // x 8 bytes: 1 KiB row
            bus_bytes: 8,
            burst_bytes: 32, // BL4
            size_mib: None,
        },
        timing: TimingParams {
            data_rate_mtps: 2000,
            trcd_ns: nck(14, T), // nRCDRD (nRCDWR is 12)
            trp_ns: nck(14, T),
            trpab_ns: nck(14, T),
            tcl_ns: nck(14, T),
            tcwl_ns: nck(5, T),
            tras_ns: nck(34, T),
            twr_ns: nck(16, T),
            trtp_ns: nck(5, T), // nRTPL
            tccd_ns: nck(2, T),
            tccd_l_ns: nck(4, T),
            trrd_ns: 4.0,
            trrd_l_ns: 4.0,
            tfaw_ns: 15.0, // "vendor-specific" in Ramulator 2
            twtr_ns: nck(6, T),
            twtr_l_ns: nck(8, T),
            trtw_ns: nck(2, T),  // [unconfirmed]
            trtrs_ns: nck(2, T), // no ranks in HBM2 pseudo-channels [unconfirmed]
            trefi_ns: 3900.0,
            trfc_ns: 350.0,            // tRFC, 8 Gb
            trefipb_ns: 3900.0 / 16.0, // tREFISB: tREFI over 16 banks (DRAMSys: 244 ns)
            trfcpb_ns: 160.0,          // tRFCSB
            txp_ns: nck(8, T),         // DRAMsim3
            tcke_ns: nck(8, T),
            txsr_ns: nck(268, T), // tXS
            tsr_ns: nck(10, T),   // tCKSRE
            act_command_cycles: 1,
            column_command_cycles: 1,
            pre_command_cycles: 1,
        },
        energy: EnergyParams {
            device_voltage_v: v,
            act_pre_pj: (65.0 - 55.0) * pc * 48.0, // (IDD0 - IDD3N) x tRC 48 ns
            read_pj_per_bit: (390.0 - 55.0) * pc * 2.0 / 256.0,
            write_pj_per_bit: (500.0 - 55.0) * pc * 2.0 / 256.0,
            refresh_pj: (250.0 - 55.0) * pc * 350.0,
            refresh_pb_pj: (250.0 - 55.0) * pc * 350.0 / 16.0,
            standby_mw_per_rank: 40.0 * pc,
            active_standby_mw_per_rank: (55.0 - 40.0) * pc,
            precharge_power_down_mw_per_rank: 28.0 * pc,
            active_power_down_mw_per_rank: 40.0 * pc,
            self_refresh_mw_per_rank: 31.0 * pc,
            ..base.energy
        },
        mapping: "row:column:rank:bank:channel",
    }
}
