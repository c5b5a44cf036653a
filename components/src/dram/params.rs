//! Parameters of a `dram_controller`, as written in YAML (`serde`), and their validation
//! into a [`Config`].
//!
//! A topology names a standard (`preset`, default `lpddr4_3200`: one LPDDR4-3200 package of
//! one 8 Gb dual-channel die, JESD209-4: two x16 channels, one rank, 8 banks of 32768 rows of
//! 2 KiB, BL16, 12.8 GB/s peak) and overrides any field of its `geometry`, `timing` and
//! `energy` one by one; the preset values and their sources are in [`super::presets`]. The
//! controller's policies (scheduler, row policy, refresh, write queue, power-down) are
//! chosen beside them ([`super::policy`]).

use serde::{Deserialize, Serialize};

use super::mapping::AddressMapping;
use super::policy::{Policy, PowerDownParams, RefreshMode, RowPolicy, Scheduler, WriteAck, WriteQueueParams};
use super::presets::Preset;
use super::timing::Timing;
pub use crate::ParamError;

/// Declares a parameter group twice: the full struct the model uses, and its overrides (every
/// field optional) that a topology writes over a preset.
macro_rules! with_overrides {
    (
        $(#[$sm:meta])*
        pub struct $name:ident, overrides $over:ident {
            $( $(#[$fm:meta])* pub $f:ident: $t:ty, )*
        }
    ) => {
        $(#[$sm])*
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct $name { $( $(#[$fm])* pub $f: $t, )* }

        #[doc = concat!("The fields of [`", stringify!($name), "`] a topology sets over its preset.")]
        #[derive(Clone, Debug, Default, Deserialize, Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $over { $( pub $f: Option<$t>, )* }

        impl $over {
            /// Writes the fields that are set over `base`.
            pub fn apply(&self, base: &mut $name) {
                $( if let Some(v) = &self.$f { base.$f = v.clone(); } )*
            }
        }
    };
}

/// Everything a `dram_controller` instance takes; declared in
/// [`Declared::PARAMS`](crate::param::Declared) (`declared.rs`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DramParams {
    /// The clock of the on-chip controller and PHY: its power domain scales their energy,
    /// and `controller_latency_cycles` counts its cycles. Required.
    pub clock: String,
    /// The DRAM standard whose geometry, timings and currents the fields below override.
    #[serde(default)]
    pub preset: Preset,
    /// Requests the controller holds at once (scheduling window; reads only when the write
    /// queue is enabled). 32 is gem5's default read buffer of `MemCtrl`, a usual size for an
    /// LPDDR4 controller.
    #[serde(default = "default_queue_depth")]
    pub queue_depth: u32,
    /// Address bits from most to least significant, `:`-separated; the byte offset inside a
    /// burst is always the lowest bits. See [`AddressMapping`]. Default: the preset's.
    #[serde(default)]
    pub address_mapping: Option<String>,
    /// Cycles of `clock` from the last data beat to the response leaving the controller.
    /// 0: the channel latencies of the topology model the controller and PHY path.
    #[serde(default)]
    pub controller_latency_cycles: u64,
    #[serde(default)]
    pub geometry: GeometryOverrides,
    #[serde(default)]
    pub timing: TimingOverrides,
    #[serde(default)]
    pub energy: EnergyOverrides,
    /// Which command goes first: `fr_fcfs` (row hits, then the oldest), `fr_fcfs_cap` (the
    /// same, but at most `row_hit_cap` hits bypass an older request to another row of their
    /// bank), `fcfs` (strictly the oldest).
    #[serde(default)]
    pub scheduler: Scheduler,
    /// `fr_fcfs_cap`: row hits in a row that may bypass an older request of their bank,
    /// 1..=1024. 16: gem5 `MemCtrl`'s `max_accesses_per_row`.
    #[serde(default = "super::policy::default_row_hit_cap")]
    pub row_hit_cap: u32,
    /// When a bank closes its row: `open` (when another row is needed), `closed` (as soon
    /// as no queued request hits it), `timeout` (after `row_timeout_ns` without a hit).
    #[serde(default)]
    pub row_policy: RowPolicy,
    /// `row_policy: timeout`: idle time after the last column command before the row closes.
    #[serde(default = "super::policy::default_row_timeout_ns")]
    pub row_timeout_ns: f64,
    /// `all_bank` (REFab every tREFI) or `per_bank` (REFpb every tREFIpb, one bank at a time).
    #[serde(default)]
    pub refresh: RefreshMode,
    /// Writes held in their own queue and drained in batches between watermarks.
    #[serde(default)]
    pub write_queue: WriteQueueParams,
    /// When a write is acknowledged: `completion` (its data is in the DRAM) or `posted`
    /// (it entered the write queue; needs `write_queue.enabled`).
    #[serde(default)]
    pub write_ack: WriteAck,
    /// Power-down and self-refresh of idle ranks.
    #[serde(default)]
    pub power_down: PowerDownParams,
}

pub(crate) fn default_queue_depth() -> u32 {
    32
}

with_overrides! {
    /// The organisation of the device. Counts must be powers of two (the address mapping
    /// slices address bits).
    pub struct Geometry, overrides GeometryOverrides {
        /// Independent channels (pseudo-channels for HBM2), each with its own command and
        /// data bus.
        pub channels: u32,
        /// Ranks per channel (chip selects).
        pub ranks: u32,
        /// Bank groups per rank; bank b is in group b mod bank_groups (the low bits of the
        /// bank field, so consecutive banks alternate groups). 1: no bank groups.
        pub bank_groups: u32,
        /// Banks per rank (all groups).
        pub banks: u32,
        /// Rows per bank.
        pub rows: u32,
        /// Columns per row, each `bus_bytes` wide.
        pub columns: u32,
        /// Data bus width of one channel in bytes.
        pub bus_bytes: u32,
        /// Bytes of one burst: bus width × burst length.
        pub burst_bytes: u32,
        /// Capacity in MiB; when given it must match the geometry (a guard against typos).
        pub size_mib: Option<u64>,
    }
}

with_overrides! {
    /// Timing constraints in nanoseconds. Each is rounded up to whole cycles of the DRAM
    /// clock (tCK = 2 / data rate), as a controller programs them (nCK = ceil(t / tCK)).
    /// `_l` values apply within a bank group, the others between groups (equal without
    /// groups).
    pub struct TimingParams, overrides TimingOverrides {
        /// Transfers per second per data pin, in millions (DDR: two per clock).
        pub data_rate_mtps: u32,
        /// ACT to column command, same bank.
        pub trcd_ns: f64,
        /// PRE to ACT, same bank (per-bank precharge).
        pub trp_ns: f64,
        /// All-bank precharge (before a refresh) to REF.
        pub trpab_ns: f64,
        /// Read latency, RD to first data beat.
        pub tcl_ns: f64,
        /// Write latency, WR to first data beat.
        pub tcwl_ns: f64,
        /// ACT to PRE, same bank.
        pub tras_ns: f64,
        /// Write recovery: last write data to PRE.
        pub twr_ns: f64,
        /// RD to PRE.
        pub trtp_ns: f64,
        /// Column command to column command, same channel (tCCD_S).
        pub tccd_ns: f64,
        /// Column command to column command, same bank group (tCCD_L).
        pub tccd_l_ns: f64,
        /// ACT to ACT, different banks of a rank (tRRD_S).
        pub trrd_ns: f64,
        /// ACT to ACT, same bank group (tRRD_L).
        pub trrd_l_ns: f64,
        /// Window in which a rank may receive at most four ACTs.
        pub tfaw_ns: f64,
        /// Last write data to RD, same rank (tWTR_S).
        pub twtr_ns: f64,
        /// Last write data to RD, same bank group (tWTR_L).
        pub twtr_l_ns: f64,
        /// Read-to-write bus turnaround beyond the end of the read data.
        pub trtw_ns: f64,
        /// Data-bus gap between bursts of different ranks (rank-to-rank switch).
        pub trtrs_ns: f64,
        /// Average interval between all-bank refreshes of a rank. 0 disables refresh.
        pub trefi_ns: f64,
        /// All-bank refresh duration (tRFCab).
        pub trfc_ns: f64,
        /// Average interval between per-bank refreshes of a rank (`refresh: per_bank`);
        /// 0: the standard has none.
        pub trefipb_ns: f64,
        /// Per-bank refresh duration (tRFCpb).
        pub trfcpb_ns: f64,
        /// Power-down exit to the next command.
        pub txp_ns: f64,
        /// Minimum time in power-down (CKE low).
        pub tcke_ns: f64,
        /// Self-refresh exit to the next command.
        pub txsr_ns: f64,
        /// Minimum time in self-refresh.
        pub tsr_ns: f64,
        /// DRAM clock cycles an ACT occupies on the command bus.
        pub act_command_cycles: u32,
        /// DRAM clock cycles a RD or WR occupies on the command bus.
        pub column_command_cycles: u32,
        /// DRAM clock cycles a PRE (or REF) occupies on the command bus.
        pub pre_command_cycles: u32,
    }
}

with_overrides! {
    /// Energy coefficients, IDD-based (Micron power-calculator method: E = ΔI × VDD ×
    /// duration; see [`super::presets`] for each preset's currents). The device figures are
    /// given at `device_voltage_v` and scale as V² (dynamic) and V (background) with it.
    pub struct EnergyParams, overrides EnergyOverrides {
        /// Supply of the DRAM core (VDD2 for LPDDR, VDD for DDR4 and HBM2).
        pub device_voltage_v: f64,
        /// One ACT and its PRE: (IDD0 − IDD3N) × VDD × tRC.
        pub act_pre_pj: f64,
        /// Read data: (IDD4R − IDD3N) × VDD × tBURST per bit of a burst.
        pub read_pj_per_bit: f64,
        /// Write data: (IDD4W − IDD3N) × VDD × tBURST per bit of a burst.
        pub write_pj_per_bit: f64,
        /// One all-bank refresh of one rank: (IDD5 − IDD3N) × VDD × tRFC.
        pub refresh_pj: f64,
        /// One per-bank refresh.
        pub refresh_pb_pj: f64,
        /// Background power of each rank of each channel, precharged standby: IDD2N × VDD.
        pub standby_mw_per_rank: f64,
        /// Extra background power while a rank has a row open: (IDD3N − IDD2N) × VDD.
        pub active_standby_mw_per_rank: f64,
        /// Background power in precharge power-down: IDD2P × VDD.
        pub precharge_power_down_mw_per_rank: f64,
        /// Background power in active power-down (a row open): IDD3P × VDD.
        pub active_power_down_mw_per_rank: f64,
        /// Background power in self-refresh: IDD6 × VDD.
        pub self_refresh_mw_per_rank: f64,
        /// On-chip controller and PHY energy per byte moved, at `controller_nominal_v`.
        /// 12 pJ/B (1.5 pJ/bit): with LPDDR4's 4.2 pJ/bit a streaming read costs ~5.7 pJ/bit,
        /// inside the 4–6 pJ/bit of LPDDR4 interfaces (DESIGN.md).
        pub phy_pj_per_byte: f64,
        /// The voltage at which `phy_pj_per_byte` and `controller_leakage_mw` are given.
        pub controller_nominal_v: f64,
        /// Leakage of the controller and PHY at `controller_nominal_v`: 0.5 mW, an assumption
        /// for a few kB of queues and a PHY in 65 nm.
        pub controller_leakage_mw: f64,
    }
}

impl Default for Geometry {
    /// LPDDR4-3200's.
    fn default() -> Self {
        Preset::default().standard().geometry
    }
}

impl Default for TimingParams {
    /// LPDDR4-3200's.
    fn default() -> Self {
        Preset::default().standard().timing
    }
}

impl Default for EnergyParams {
    /// LPDDR4-3200's.
    fn default() -> Self {
        Preset::default().standard().energy
    }
}

/// A bound that keeps a typo from allocating gigabytes of queue.
pub const MAX_QUEUE_DEPTH: u32 = 1 << 16;

/// The voltage at which the LPDDR4 device coefficients are given (VDD2).
pub const DEVICE_NOMINAL_V: f64 = 1.1;

/// Validated parameters: geometry, the mapping, timings in picoseconds, policies.
#[derive(Clone, Debug)]
pub struct Config {
    pub preset: Preset,
    pub geometry: Geometry,
    pub mapping: AddressMapping,
    pub timing: Timing,
    pub energy: EnergyParams,
    /// The voltage at which the preset gives its energy coefficients; `energy` scales from
    /// it to `energy.device_voltage_v`.
    pub device_nominal_v: f64,
    pub policy: Policy,
    pub queue_depth: u32,
    pub controller_latency_cycles: u64,
    /// Bytes of the whole device.
    pub capacity: u64,
    /// channels × bus_bytes × data rate.
    pub peak_bytes_per_s: f64,
}

impl DramParams {
    /// The defaults (LPDDR4-3200, the first model's policies) on controller clock `clock`.
    pub fn new(clock: &str) -> Self {
        DramParams {
            clock: clock.into(),
            preset: Preset::default(),
            queue_depth: default_queue_depth(),
            address_mapping: None,
            controller_latency_cycles: 0,
            geometry: GeometryOverrides::default(),
            timing: TimingOverrides::default(),
            energy: EnergyOverrides::default(),
            scheduler: Scheduler::default(),
            row_hit_cap: super::policy::default_row_hit_cap(),
            row_policy: RowPolicy::default(),
            row_timeout_ns: super::policy::default_row_timeout_ns(),
            refresh: RefreshMode::default(),
            write_queue: WriteQueueParams::default(),
            write_ack: WriteAck::default(),
            power_down: PowerDownParams::default(),
        }
    }

    /// The preset with this topology's overrides applied.
    pub fn resolved(&self) -> (Geometry, TimingParams, EnergyParams, String) {
        let s = self.preset.standard();
        let (mut g, mut t, mut e) = (s.geometry, s.timing, s.energy);
        self.geometry.apply(&mut g);
        self.timing.apply(&mut t);
        self.energy.apply(&mut e);
        (g, t, e, self.address_mapping.clone().unwrap_or_else(|| s.mapping.to_string()))
    }

    /// Checks every parameter; the first problem found is returned.
    pub fn validate(&self) -> Result<Config, ParamError> {
        let (g, mut timing, energy, mapping_text) = self.resolved();
        let g = &g;
        if g.bank_groups == 1 {
            // One group: the timings between groups are the only ones.
            (timing.tccd_l_ns, timing.trrd_l_ns, timing.twtr_l_ns) = (timing.tccd_ns, timing.trrd_ns, timing.twtr_ns);
        }
        for (name, v) in [
            ("geometry.channels", g.channels),
            ("geometry.ranks", g.ranks),
            ("geometry.bank_groups", g.bank_groups),
            ("geometry.banks", g.banks),
            ("geometry.rows", g.rows),
            ("geometry.columns", g.columns),
            ("geometry.bus_bytes", g.bus_bytes),
            ("geometry.burst_bytes", g.burst_bytes),
        ] {
            // The range (at least 1) is declared; a power of two is this type's own rule.
            if !v.is_power_of_two() {
                return Err(ParamError::new(
                    name,
                    format!("`{name}` must be a power of two (the address mapping slices address bits), not {v}"),
                ));
            }
        }
        if g.bank_groups > g.banks {
            return Err(ParamError::new(
                "geometry.bank_groups",
                format!("`geometry.bank_groups` ({}) must be at most `geometry.banks` ({})", g.bank_groups, g.banks),
            ));
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
        let mapping = AddressMapping::parse(&mapping_text, g).map_err(|m| ParamError::new("address_mapping", m))?;
        let t = Timing::from_params(&timing, beats)?;
        let policy = super::policy::validate(self, &t, g)?;
        let peak_bytes_per_s = f64::from(g.channels) * f64::from(g.bus_bytes) * f64::from(timing.data_rate_mtps) * 1e6;
        Ok(Config {
            preset: self.preset,
            geometry: g.clone(),
            mapping,
            timing: t,
            energy,
            device_nominal_v: self.preset.standard().energy.device_voltage_v,
            policy,
            queue_depth: self.queue_depth,
            controller_latency_cycles: self.controller_latency_cycles,
            capacity,
            peak_bytes_per_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dram::presets::Preset;

    fn params() -> DramParams {
        DramParams::new("clk")
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
    fn every_preset_validates_to_its_capacity_and_peak() {
        // (preset, capacity in GiB, peak = channels x bus bytes x data rate)
        for (preset, gib, peak) in [
            (Preset::Lpddr4_3200, 1, 2.0 * 2.0 * 3200e6),
            (Preset::Lpddr4x4266, 4, 2.0 * 2.0 * 4266e6),
            (Preset::Lpddr5_6400, 2, 2.0 * 2.0 * 6400e6),
            (Preset::Ddr4_3200, 8, 8.0 * 3200e6),
            (Preset::Hbm2, 4, 16.0 * 8.0 * 2000e6),
        ] {
            let c = DramParams { preset, ..params() }.validate().unwrap_or_else(|e| panic!("{preset:?}: {e:?}"));
            assert_eq!((c.capacity, c.peak_bytes_per_s), (gib << 30, peak), "{}", preset.name());
            assert_eq!(c.device_nominal_v, preset.standard().energy.device_voltage_v);
        }
        // An override changes one field and keeps the preset's others.
        let mut p = DramParams { preset: Preset::Ddr4_3200, ..params() };
        p.timing.tcl_ns = Some(15.0);
        let c = p.validate().unwrap();
        assert_eq!((c.timing.cl, c.timing.ccd_l, c.geometry.bank_groups), (24 * 625, 8 * 625, 4));
    }

    #[test]
    fn bad_geometry_names_the_parameter() {
        let mut p = params();
        // Ranges (banks >= 1) are the edge's (tests/it/bad_values.rs); a power of two is this type's.
        p.geometry.banks = Some(12);
        assert_eq!(err(&p).0, "geometry.banks");
        let mut p = params();
        p.geometry.rows = Some(3000);
        assert_eq!(err(&p).0, "geometry.rows");
        let mut p = params();
        p.geometry.bus_bytes = Some(64);
        p.geometry.burst_bytes = Some(32);
        assert_eq!(
            err(&p),
            (
                "geometry.burst_bytes".into(),
                "`geometry.burst_bytes` (32) must be a multiple of `geometry.bus_bytes` (64)".into()
            )
        );
        let mut p = params();
        p.geometry.size_mib = Some(Some(512));
        assert_eq!(err(&p).0, "geometry.size_mib");
        p.geometry.size_mib = Some(Some(1024));
        assert!(p.validate().is_ok());
    }

    #[test]
    fn bad_queue_and_mapping() {
        let mut p = params();
        p.address_mapping = Some("row:bank:column".into());
        assert_eq!(err(&p).0, "address_mapping");
    }
}
