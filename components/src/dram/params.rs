//! Parameters of a `dram_controller`, as written in YAML (`serde`), with their defaults and
//! where each default comes from, and their validation into a [`Config`].
//!
//! The defaults describe one LPDDR4-3200 package of one 8 Gb dual-channel die (JESD209-4):
//! two x16 channels, one rank, 8 banks of 32768 rows of 2 KiB, BL16 (32-byte bursts),
//! 12.8 GB/s peak. Timings are the JESD209-4 speed-bin figures for 3200 MT/s.

use serde::Deserialize;

use super::mapping::AddressMapping;
use super::timing::Timing;
pub use crate::ParamError;

/// Everything a `dram_controller` instance takes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramParams {
    /// The clock of the on-chip controller and PHY: its power domain scales their energy,
    /// and `controller_latency_cycles` counts its cycles. Required.
    pub clock: String,
    /// Requests the controller holds at once (scheduling window). 32 is gem5's default
    /// read buffer of `MemCtrl`, a usual size for an LPDDR4 controller.
    #[serde(default = "default_queue_depth")]
    pub queue_depth: u32,
    /// Address bits from most to least significant, `:`-separated; the byte offset inside a
    /// burst is always the lowest bits. See [`AddressMapping`].
    #[serde(default = "default_mapping")]
    pub address_mapping: String,
    /// Cycles of `clock` from the last data beat to the response leaving the controller.
    /// 0: the channel latencies of the topology model the controller and PHY path.
    #[serde(default)]
    pub controller_latency_cycles: u64,
    #[serde(default)]
    pub geometry: Geometry,
    #[serde(default)]
    pub timing: TimingParams,
    #[serde(default)]
    pub energy: EnergyParams,
}

fn default_queue_depth() -> u32 {
    32
}

fn default_mapping() -> String {
    "row:rank:bank:channel:column".into()
}

/// The organisation of the device. Counts must be powers of two (the address mapping
/// slices address bits).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Geometry {
    /// Independent channels, each with its own command and data bus. LPDDR4 dies have 2.
    pub channels: u32,
    /// Ranks per channel (chip selects). 1: one die.
    pub ranks: u32,
    /// Banks per rank. LPDDR4: 8.
    pub banks: u32,
    /// Rows per bank. 8 Gb LPDDR4 die: 32768 (R0-R14) per channel.
    pub rows: u32,
    /// Columns per row, each `bus_bytes` wide. LPDDR4 x16: 1024 (C0-C9), a 2 KiB page.
    pub columns: u32,
    /// Data bus width of one channel in bytes. LPDDR4: x16 = 2.
    pub bus_bytes: u32,
    /// Bytes of one burst: bus width × burst length. LPDDR4 BL16 × 16 bit = 32.
    pub burst_bytes: u32,
    /// Capacity in MiB; when given it must match the geometry (a guard against typos).
    pub size_mib: Option<u64>,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            channels: 2,
            ranks: 1,
            banks: 8,
            rows: 32768,
            columns: 1024,
            bus_bytes: 2,
            burst_bytes: 32,
            size_mib: None,
        }
    }
}

/// Timing constraints in nanoseconds. Each is rounded up to whole cycles of the DRAM clock
/// (tCK = 2 / data rate), as a controller programs them (nCK = ceil(t / tCK)).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingParams {
    /// Transfers per second per data pin, in millions (DDR: two per clock). LPDDR4-3200.
    pub data_rate_mtps: u32,
    /// ACT to column command, same bank. JESD209-4: max(18 ns, 4 nCK).
    pub trcd_ns: f64,
    /// PRE to ACT, same bank (per-bank precharge). JESD209-4 tRPpb: max(18 ns, 4 nCK).
    pub trp_ns: f64,
    /// All-bank precharge (before a refresh) to REF. JESD209-4 tRPab: max(21 ns, 4 nCK).
    pub trpab_ns: f64,
    /// Read latency, RD to first data beat. RL = 28 nCK at 3200 MT/s (DBI off) = 17.5 ns.
    pub tcl_ns: f64,
    /// Write latency, WR to first data beat. WL set A = 14 nCK at 3200 MT/s = 8.75 ns.
    pub tcwl_ns: f64,
    /// ACT to PRE, same bank. JESD209-4: max(42 ns, 3 nCK).
    pub tras_ns: f64,
    /// Write recovery: last write data to PRE. JESD209-4: max(18 ns, 6 nCK).
    pub twr_ns: f64,
    /// RD to PRE. JESD209-4: max(7.5 ns, 8 nCK) = 7.5 ns at 3200 MT/s.
    pub trtp_ns: f64,
    /// Column command to column command, same channel. BL16: 8 nCK = 5 ns.
    pub tccd_ns: f64,
    /// ACT to ACT, different banks of a rank. JESD209-4: max(10 ns, 4 nCK).
    pub trrd_ns: f64,
    /// Window in which a rank may receive at most four ACTs. JESD209-4 at 3200: 40 ns.
    pub tfaw_ns: f64,
    /// Last write data to RD, same rank. JESD209-4: max(10 ns, 8 nCK).
    pub twtr_ns: f64,
    /// Read-to-write bus turnaround beyond the end of the read data: tDQSCK max (3.5 ns)
    /// plus the write preamble (2 nCK) = 4.75 ns.
    pub trtw_ns: f64,
    /// Average interval between all-bank refreshes of a rank. JESD209-4: 3.904 µs
    /// (8192 refreshes per 32 ms, up to 85 °C). 0 disables refresh.
    pub trefi_ns: f64,
    /// All-bank refresh duration. JESD209-4 tRFCab for an 8 Gb die: 180 ns.
    pub trfc_ns: f64,
}

impl Default for TimingParams {
    fn default() -> Self {
        TimingParams {
            data_rate_mtps: 3200,
            trcd_ns: 18.0,
            trp_ns: 18.0,
            trpab_ns: 21.0,
            tcl_ns: 17.5,
            tcwl_ns: 8.75,
            tras_ns: 42.0,
            twr_ns: 18.0,
            trtp_ns: 7.5,
            tccd_ns: 5.0,
            trrd_ns: 10.0,
            tfaw_ns: 40.0,
            twtr_ns: 10.0,
            trtw_ns: 4.75,
            trefi_ns: 3904.0,
            trfc_ns: 180.0,
        }
    }
}

/// Energy coefficients. The device figures are IDD-based (Micron power-calculator method:
/// E = ΔI × VDD2 × duration) from the Micron LPDDR3 EDF8132A1MC currents that gem5's
/// `LPDDR3_1600_1x32` carries (IDD02 60, IDD2N2 26, IDD3N2 34, IDD4R2 230, IDD4W2 190,
/// IDD52 150 mA), taken at LPDDR4's VDD2 of 1.1 V with LPDDR4 durations. They are given at
/// 1.1 V and scale as V² (dynamic) and V (standby) with `device_voltage_v`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnergyParams {
    /// Supply of the DRAM core (VDD2). LPDDR4: 1.1 V.
    pub device_voltage_v: f64,
    /// One ACT and its PRE: (IDD0 − IDD3N) × VDD2 × tRC = 26 mA × 1.1 V × 60 ns = 1716 pJ
    /// for LPDDR3's 4 KiB page, halved for the 2 KiB page = 858 pJ.
    pub act_pre_pj: f64,
    /// Read data: (IDD4R − IDD3N) × VDD2 × tBURST per bit of a burst = 196 mA × 1.1 V × 5 ns
    /// / 256 bits = 4.2 pJ/bit (a 32-byte burst takes 5 ns on both LPDDR3-1600 x32 and
    /// LPDDR4-3200 x16).
    pub read_pj_per_bit: f64,
    /// Write burst: (IDD4W − IDD3N) × VDD2 = 156 mA × 1.1 V × 5 ns per 256 bits = 3.35 pJ/bit.
    pub write_pj_per_bit: f64,
    /// One all-bank refresh of one rank of one channel: (IDD5 − IDD3N) × VDD2 × tRFC
    /// = 116 mA × 1.1 V × 180 ns = 22970 pJ.
    pub refresh_pj: f64,
    /// Background power of each rank of each channel, precharged standby without power-down:
    /// IDD2N × VDD2 = 26 mA × 1.1 V = 28.6 mW. (Power-down is not modelled.)
    pub standby_mw_per_rank: f64,
    /// Extra background power while a rank has a row open: (IDD3N − IDD2N) × VDD2
    /// = 8 mA × 1.1 V = 8.8 mW.
    pub active_standby_mw_per_rank: f64,
    /// On-chip controller and PHY energy per byte moved, at `controller_nominal_v`. 12 pJ/B
    /// (1.5 pJ/bit): with the device's 4.2 pJ/bit a streaming read costs ~5.7 pJ/bit,
    /// inside the 4–6 pJ/bit of LPDDR4 interfaces (DESIGN.md).
    pub phy_pj_per_byte: f64,
    /// The voltage at which `phy_pj_per_byte` and `controller_leakage_mw` are given.
    pub controller_nominal_v: f64,
    /// Leakage of the controller and PHY at `controller_nominal_v`: 0.5 mW, an assumption
    /// for a few kB of queues and a PHY in 65 nm.
    pub controller_leakage_mw: f64,
}

impl Default for EnergyParams {
    fn default() -> Self {
        EnergyParams {
            device_voltage_v: 1.1,
            act_pre_pj: 858.0,
            read_pj_per_bit: 4.2,
            write_pj_per_bit: 3.35,
            refresh_pj: 22970.0,
            standby_mw_per_rank: 28.6,
            active_standby_mw_per_rank: 8.8,
            phy_pj_per_byte: 12.0,
            controller_nominal_v: 1.0,
            controller_leakage_mw: 0.5,
        }
    }
}

/// A bound that keeps a typo from allocating gigabytes of queue.
pub const MAX_QUEUE_DEPTH: u32 = 1 << 16;

/// The voltage at which the device coefficients are given (LPDDR4 VDD2).
pub const DEVICE_NOMINAL_V: f64 = 1.1;

/// Validated parameters: geometry, the mapping, timings in picoseconds.
#[derive(Clone, Debug)]
pub struct Config {
    pub geometry: Geometry,
    pub mapping: AddressMapping,
    pub timing: Timing,
    pub energy: EnergyParams,
    pub queue_depth: u32,
    pub controller_latency_cycles: u64,
    /// Bytes of the whole device.
    pub capacity: u64,
    /// channels × bus_bytes × data rate.
    pub peak_bytes_per_s: f64,
}

impl DramParams {
    /// Checks every parameter; the first problem found is returned.
    pub fn validate(&self) -> Result<Config, ParamError> {
        let g = &self.geometry;
        for (name, v) in [
            ("geometry.channels", g.channels),
            ("geometry.ranks", g.ranks),
            ("geometry.banks", g.banks),
            ("geometry.rows", g.rows),
            ("geometry.columns", g.columns),
            ("geometry.bus_bytes", g.bus_bytes),
            ("geometry.burst_bytes", g.burst_bytes),
        ] {
            if v == 0 {
                return Err(ParamError::new(name, format!("`{name}` must be at least 1")));
            }
            if !v.is_power_of_two() {
                return Err(ParamError::new(
                    name,
                    format!("`{name}` must be a power of two (the address mapping slices address bits), not {v}"),
                ));
            }
        }
        if g.burst_bytes % g.bus_bytes != 0 {
            return Err(ParamError::new(
                "geometry.burst_bytes",
                format!(
                    "`geometry.burst_bytes` ({}) must be a multiple of `geometry.bus_bytes` ({})",
                    g.burst_bytes, g.bus_bytes
                ),
            ));
        }
        let beats = g.burst_bytes / g.bus_bytes;
        if beats < 2 {
            return Err(ParamError::new(
                "geometry.burst_bytes",
                format!(
                    "a burst of {} bytes on a {}-byte bus is {beats} beat; a DDR burst has at least 2",
                    g.burst_bytes, g.bus_bytes
                ),
            ));
        }
        let row_bytes = u64::from(g.columns) * u64::from(g.bus_bytes);
        if row_bytes < u64::from(g.burst_bytes) {
            return Err(ParamError::new(
                "geometry.columns",
                format!(
                    "a row of `geometry.columns` {} × {} bytes = {row_bytes} bytes is smaller than one burst ({} bytes)",
                    g.columns, g.bus_bytes, g.burst_bytes
                ),
            ));
        }
        let capacity = u64::from(g.channels) * u64::from(g.ranks) * u64::from(g.banks) * u64::from(g.rows) * row_bytes;
        if capacity > 1 << 48 {
            return Err(ParamError::new(
                "geometry",
                format!("the geometry gives {capacity} bytes, more than the 256 TiB this model addresses"),
            ));
        }
        if let Some(mib) = g.size_mib {
            if mib.checked_mul(1 << 20) != Some(capacity) {
                return Err(ParamError::new(
                    "geometry.size_mib",
                    format!(
                        "`geometry.size_mib` is {mib} but the geometry gives {} MiB ({} channels × {} ranks × {} banks × \
                         {} rows × {row_bytes}-byte rows)",
                        capacity as f64 / f64::from(1 << 20),
                        g.channels,
                        g.ranks,
                        g.banks,
                        g.rows
                    ),
                ));
            }
        }
        if self.queue_depth == 0 {
            return Err(ParamError::new("queue_depth", "`queue_depth` must be at least 1"));
        }
        if self.queue_depth > MAX_QUEUE_DEPTH {
            return Err(ParamError::new(
                "queue_depth",
                format!("`queue_depth` must be at most {MAX_QUEUE_DEPTH}, not {}", self.queue_depth),
            ));
        }
        let mapping =
            AddressMapping::parse(&self.address_mapping, g).map_err(|m| ParamError::new("address_mapping", m))?;
        let timing = Timing::from_params(&self.timing, beats)?;
        self.check_energy()?;
        let peak_bytes_per_s =
            f64::from(g.channels) * f64::from(g.bus_bytes) * f64::from(self.timing.data_rate_mtps) * 1e6;
        Ok(Config {
            geometry: g.clone(),
            mapping,
            timing,
            energy: self.energy.clone(),
            queue_depth: self.queue_depth,
            controller_latency_cycles: self.controller_latency_cycles,
            capacity,
            peak_bytes_per_s,
        })
    }

    fn check_energy(&self) -> Result<(), ParamError> {
        let e = &self.energy;
        for (name, v) in [
            ("energy.act_pre_pj", e.act_pre_pj),
            ("energy.read_pj_per_bit", e.read_pj_per_bit),
            ("energy.write_pj_per_bit", e.write_pj_per_bit),
            ("energy.refresh_pj", e.refresh_pj),
            ("energy.standby_mw_per_rank", e.standby_mw_per_rank),
            ("energy.active_standby_mw_per_rank", e.active_standby_mw_per_rank),
            ("energy.phy_pj_per_byte", e.phy_pj_per_byte),
            ("energy.controller_leakage_mw", e.controller_leakage_mw),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ParamError::new(name, format!("`{name}` must be a finite number >= 0, not {v}")));
            }
        }
        for (name, v) in
            [("energy.device_voltage_v", e.device_voltage_v), ("energy.controller_nominal_v", e.controller_nominal_v)]
        {
            if !v.is_finite() || v <= 0.0 {
                return Err(ParamError::new(name, format!("`{name}` must be a voltage above 0, not {v}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> DramParams {
        DramParams {
            clock: "clk".into(),
            queue_depth: default_queue_depth(),
            address_mapping: default_mapping(),
            controller_latency_cycles: 0,
            geometry: Geometry::default(),
            timing: TimingParams::default(),
            energy: EnergyParams::default(),
        }
    }

    fn err(p: &DramParams) -> (String, String) {
        let e = p.validate().expect_err("invalid");
        (e.param, e.message)
    }

    #[test]
    fn defaults_are_one_lpddr4_3200_die() {
        let c = params().validate().unwrap();
        assert_eq!(c.capacity, 1 << 30, "8 Gb");
        assert_eq!(c.peak_bytes_per_s, 12.8e9);
        assert_eq!(c.timing.tck, 625);
        assert_eq!(c.timing.burst, 5_000, "BL16 on a DDR bus is 8 tCK");
    }

    #[test]
    fn bad_geometry_names_the_parameter() {
        let mut p = params();
        p.geometry.banks = 0;
        assert_eq!(err(&p), ("geometry.banks".into(), "`geometry.banks` must be at least 1".into()));
        let mut p = params();
        p.geometry.rows = 3000;
        assert_eq!(err(&p).0, "geometry.rows");
        let mut p = params();
        p.geometry.bus_bytes = 64;
        p.geometry.burst_bytes = 32;
        assert_eq!(
            err(&p),
            (
                "geometry.burst_bytes".into(),
                "`geometry.burst_bytes` (32) must be a multiple of `geometry.bus_bytes` (64)".into()
            )
        );
        let mut p = params();
        p.geometry.size_mib = Some(512);
        assert_eq!(err(&p).0, "geometry.size_mib");
        p.geometry.size_mib = Some(1024);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn bad_queue_and_mapping() {
        let mut p = params();
        p.queue_depth = 0;
        assert_eq!(err(&p).0, "queue_depth");
        let mut p = params();
        p.address_mapping = "row:bank:column".into();
        assert_eq!(err(&p).0, "address_mapping");
    }

    #[test]
    fn bad_energy() {
        let mut p = params();
        p.energy.read_pj_per_bit = -1.0;
        assert_eq!(
            err(&p),
            ("energy.read_pj_per_bit".into(), "`energy.read_pj_per_bit` must be a finite number >= 0, not -1".into())
        );
        let mut p = params();
        p.energy.device_voltage_v = 0.0;
        assert_eq!(err(&p).0, "energy.device_voltage_v");
    }
}
