//! The declarations of a `dram_controller`'s parameters ([`Declared`]): each number's range,
//! checked by the edge on the values written and again on the values the preset resolves
//! to ([`DramParams::resolved_view`]), so a preset's own figures meet the same bounds.
//!
//! Geometry, timing and energy defaults are the preset's (`(preset)`); the docs quote
//! lpddr4_3200's, and [`super::presets`] gives every preset's with its source.

use serde::Serialize;

use super::params::{DramParams, EnergyParams, Geometry, TimingParams, MAX_QUEUE_DEPTH};
use crate::param::{Declared, ParamDecl, Range};

/// A DRAM timing in ns: 0 to 1e9 (1 s, beyond any DRAM constraint; a larger value is a unit
/// mistake), so that a timing in ps times a command count stays far inside the kernel's range.
const TIMING_NS: Range = Range::Real { min: 0.0, max: 1e9, above_min: false };

/// A geometry count: a power of two (checked beside) from 1 to `max`.
const fn count(max: u64) -> Range {
    Range::count(1, max)
}

const fn timing(name: &'static str, doc: &'static str) -> ParamDecl {
    ParamDecl { name, default: "(preset)", range: TIMING_NS, doc }
}

const fn energy(name: &'static str, range: Range, doc: &'static str) -> ParamDecl {
    ParamDecl { name, default: "(preset)", range, doc }
}

const GEOMETRY: &[ParamDecl] = &[
    ParamDecl {
        name: "channels",
        default: "(preset)",
        range: count(1024),
        doc: "independent channels (HBM2: pseudo-channels), power of two; lpddr4_3200: 2; state is kept per bank",
    },
    ParamDecl {
        name: "ranks",
        default: "(preset)",
        range: count(64),
        doc: "ranks per channel, power of two; lpddr4_3200: 1",
    },
    ParamDecl {
        name: "bank_groups",
        default: "(preset)",
        range: count(64),
        doc: "bank groups per rank, power of two, at most banks (1: none); lpddr4_3200: 1",
    },
    ParamDecl {
        name: "banks",
        default: "(preset)",
        range: count(1024),
        doc: "banks per rank, power of two; lpddr4_3200: 8; channels x ranks x banks bank states are allocated",
    },
    ParamDecl {
        name: "rows",
        default: "(preset)",
        range: count(1 << 24),
        doc: "rows per bank, power of two; lpddr4_3200: 32768",
    },
    ParamDecl {
        name: "columns",
        default: "(preset)",
        range: count(1 << 20),
        doc: "columns of bus_bytes per row, power of two; lpddr4_3200: 1024 (2 KiB page)",
    },
    ParamDecl {
        name: "bus_bytes",
        default: "(preset)",
        range: count(1024),
        doc: "data bus of a channel, power of two; lpddr4_3200: 2 (x16)",
    },
    ParamDecl {
        name: "burst_bytes",
        default: "(preset)",
        range: count(1 << 16),
        doc: "bytes of a burst (bus x burst length, >= 2 beats), power of two; lpddr4_3200: 32 (BL16)",
    },
    ParamDecl {
        name: "size_mib",
        default: "(derived)",
        range: Range::count(1, 1 << 28),
        doc: "capacity, checked against the geometry if given; at most 256 TiB, what the model addresses",
    },
];

const TIMING: &[ParamDecl] = &[
    ParamDecl {
        name: "data_rate_mtps",
        default: "(preset)",
        range: Range::count(1, 4_000_000),
        doc: "transfers per second per pin, millions; tCK = 2 / rate, at least the 1 ps step; lpddr4_3200: 3200",
    },
    timing("trcd_ns", "ACT to column command (tRCD); each timing rounds up to whole tCK; lpddr4_3200: 18"),
    timing("trp_ns", "PRE to ACT, same bank (tRP); lpddr4_3200: 18"),
    timing("trpab_ns", "all-bank PRE to REF (tRPab); lpddr4_3200: 21"),
    timing("tcl_ns", "RD to first data (tCL); lpddr4_3200: 17.5"),
    timing("tcwl_ns", "WR to first data (tCWL); lpddr4_3200: 8.75"),
    timing("tras_ns", "ACT to PRE (tRAS); lpddr4_3200: 42"),
    timing("twr_ns", "last write data to PRE (tWR); lpddr4_3200: 18"),
    timing("trtp_ns", "RD to PRE (tRTP); lpddr4_3200: 7.5"),
    timing("tccd_ns", "column to column (tCCD_S); lpddr4_3200: 5"),
    timing("tccd_l_ns", "column to column, same bank group (tCCD_L); lpddr4_3200: 5"),
    timing("trrd_ns", "ACT to ACT, different banks (tRRD_S); lpddr4_3200: 10"),
    timing("trrd_l_ns", "ACT to ACT, same bank group (tRRD_L); lpddr4_3200: 10"),
    timing("tfaw_ns", "window of four ACTs (tFAW); lpddr4_3200: 40"),
    timing("twtr_ns", "write data to RD (tWTR_S); lpddr4_3200: 10"),
    timing("twtr_l_ns", "write data to RD, same bank group (tWTR_L); lpddr4_3200: 10"),
    timing("trtw_ns", "read-to-write turnaround (tRTW); lpddr4_3200: 4.75"),
    timing("trtrs_ns", "rank-to-rank data-bus gap (tRTRS); lpddr4_3200: 1.25"),
    timing("trefi_ns", "all-bank refresh interval (tREFI; 0: no refresh); lpddr4_3200: 3904"),
    timing("trfc_ns", "all-bank refresh time (tRFCab); lpddr4_3200: 180"),
    timing("trefipb_ns", "per-bank refresh interval (tREFIpb; 0: none); lpddr4_3200: 488"),
    timing("trfcpb_ns", "per-bank refresh time (tRFCpb); lpddr4_3200: 90"),
    timing("txp_ns", "power-down exit (tXP); lpddr4_3200: 7.5"),
    timing("tcke_ns", "minimum power-down time (tCKE); lpddr4_3200: 7.5"),
    timing("txsr_ns", "self-refresh exit (tXSR); lpddr4_3200: 187.5"),
    timing("tsr_ns", "minimum self-refresh time (tSR); lpddr4_3200: 15"),
    ParamDecl {
        name: "act_command_cycles",
        default: "(preset)",
        range: Range::count(1, 16),
        doc: "DRAM clocks an ACT holds the command bus (LPDDR4: two 2-clock halves = 4; 16 covers every standard)",
    },
    ParamDecl {
        name: "column_command_cycles",
        default: "(preset)",
        range: Range::count(1, 16),
        doc: "DRAM clocks a RD/WR holds the command bus; lpddr4_3200: 4",
    },
    ParamDecl {
        name: "pre_command_cycles",
        default: "(preset)",
        range: Range::count(1, 16),
        doc: "DRAM clocks a PRE/REF holds the command bus; lpddr4_3200: 2",
    },
];

const ENERGY: &[ParamDecl] = &[
    energy(
        "device_voltage_v",
        Range::VOLTAGE_V,
        "DRAM core supply (VDD2/VDD); figures scale V^2 / V from the preset's; lpddr4_3200: 1.1",
    ),
    energy("act_pre_pj", Range::ENERGY_PJ, "an ACT and its PRE: (IDD0 - IDD3N) x VDD x tRC; lpddr4_3200: 858"),
    energy("read_pj_per_bit", Range::ENERGY_PJ, "read data per bit: (IDD4R - IDD3N) x VDD x tBURST; lpddr4_3200: 4.2"),
    energy(
        "write_pj_per_bit",
        Range::ENERGY_PJ,
        "write data per bit: (IDD4W - IDD3N) x VDD x tBURST; lpddr4_3200: 3.35",
    ),
    energy(
        "refresh_pj",
        Range::ENERGY_PJ,
        "an all-bank refresh of a rank: (IDD5 - IDD3N) x VDD x tRFC; lpddr4_3200: 22970",
    ),
    energy("refresh_pb_pj", Range::ENERGY_PJ, "a per-bank refresh; lpddr4_3200: 2871 (1/8 of all-bank)"),
    energy("standby_mw_per_rank", Range::POWER_MW, "precharged standby: IDD2N x VDD; lpddr4_3200: 28.6"),
    energy(
        "active_standby_mw_per_rank",
        Range::POWER_MW,
        "extra while a row is open: (IDD3N - IDD2N) x VDD; lpddr4_3200: 8.8",
    ),
    energy("precharge_power_down_mw_per_rank", Range::POWER_MW, "precharge power-down: IDD2P x VDD; lpddr4_3200: 3.3"),
    energy("active_power_down_mw_per_rank", Range::POWER_MW, "active power-down: IDD3P x VDD; lpddr4_3200: 9.9"),
    energy("self_refresh_mw_per_rank", Range::POWER_MW, "self-refresh: IDD6 x VDD; lpddr4_3200: 0.55"),
    energy(
        "phy_pj_per_byte",
        Range::ENERGY_PJ,
        "controller and PHY per byte: 12 (1.5 pJ/bit, LPDDR4 interfaces 4-6 pJ/bit in all)",
    ),
    energy("controller_nominal_v", Range::VOLTAGE_V, "voltage of phy_pj_per_byte and controller_leakage_mw; 1.0"),
    energy("controller_leakage_mw", Range::POWER_MW, "controller and PHY leakage: 0.5, an assumption for 65 nm"),
];

const WRITE_QUEUE: &[ParamDecl] = &[
    ParamDecl {
        name: "enabled",
        default: "false",
        range: Range::Other,
        doc: "writes in their own queue, drained in batches",
    },
    ParamDecl {
        name: "depth",
        default: "64",
        range: Range::count(1, MAX_QUEUE_DEPTH as u64),
        doc: "writes held: gem5 MemCtrl's write_buffer_size; queued requests are held, so at most 65536",
    },
    ParamDecl {
        name: "high_watermark_percent",
        default: "80",
        range: Range::count(1, 100),
        doc: "drain once this share is full: Ramulator 2's wr_high_watermark",
    },
    ParamDecl {
        name: "low_watermark_percent",
        default: "20",
        range: Range::count(0, 99),
        doc: "stop draining at this share while reads wait, below high: Ramulator 2's wr_low_watermark",
    },
];

const POWER_DOWN: &[ParamDecl] = &[
    ParamDecl {
        name: "enabled",
        default: "false",
        range: Range::Other,
        doc: "power-down and self-refresh of idle ranks",
    },
    ParamDecl {
        name: "idle_ns",
        default: "10",
        range: TIMING_NS,
        doc: "idle time before power-down: a few idle cycles (16 nCK at 3200), as DRAMSys",
    },
    ParamDecl {
        name: "self_refresh_idle_ns",
        default: "1000",
        range: TIMING_NS,
        doc: "idle time before self-refresh, at least idle_ns (0: none): ~3.5 x tXSR so the exit cost is small",
    },
];

impl Declared for DramParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl { name: "clock", default: "", range: Range::Other, doc: "controller + PHY clock (power domain)" },
        ParamDecl {
            name: "preset",
            default: "lpddr4_3200",
            range: Range::Other,
            doc: "lpddr4_3200 | lpddr4x_4266 | lpddr5_6400 | ddr4_3200 | hbm2; geometry, timing and energy override it",
        },
        ParamDecl {
            name: "queue_depth",
            default: "32",
            range: Range::count(1, MAX_QUEUE_DEPTH as u64),
            doc: "requests held (reads only with the write queue): gem5 MemCtrl's read buffer; at most 65536",
        },
        ParamDecl {
            name: "address_mapping",
            default: "(preset)",
            range: Range::Other,
            doc: "fields MSB first, e.g. row:rank:bank:channel:column",
        },
        ParamDecl {
            name: "controller_latency_cycles",
            default: "0",
            range: Range::count(0, 1 << 20),
            doc:
                "cycles of clock from last data to response (0: channels model it); at most 2^20 to stay in time range",
        },
        ParamDecl { name: "geometry", default: "", range: Range::Group(GEOMETRY), doc: "organisation" },
        ParamDecl { name: "timing", default: "", range: Range::Group(TIMING), doc: "timings" },
        ParamDecl { name: "energy", default: "", range: Range::Group(ENERGY), doc: "IDD-based energy" },
        ParamDecl { name: "scheduler", default: "fr_fcfs", range: Range::Other, doc: "fr_fcfs | fr_fcfs_cap | fcfs" },
        ParamDecl {
            name: "row_hit_cap",
            default: "16",
            range: Range::count(1, 1024),
            doc: "fr_fcfs_cap: hits that may bypass an older request of their bank: gem5 max_accesses_per_row",
        },
        ParamDecl { name: "row_policy", default: "open", range: Range::Other, doc: "open | closed | timeout" },
        ParamDecl {
            name: "row_timeout_ns",
            default: "100",
            range: TIMING_NS,
            doc: "timeout: idle time before a row closes; about two row cycles (an assumption)",
        },
        ParamDecl {
            name: "refresh",
            default: "all_bank",
            range: Range::Other,
            doc: "all_bank | per_bank (LPDDR4/5, HBM2)",
        },
        ParamDecl { name: "write_queue", default: "", range: Range::Group(WRITE_QUEUE), doc: "write queue" },
        ParamDecl {
            name: "write_ack",
            default: "completion",
            range: Range::Other,
            doc: "completion | posted (needs the write queue)",
        },
        ParamDecl { name: "power_down", default: "", range: Range::Group(POWER_DOWN), doc: "power-down" },
    ];
}

/// The geometry, timing and energy a preset resolves to, under the paths of
/// [`DramParams::PARAMS`]: what the edge checks a second time.
#[derive(Serialize)]
pub struct ResolvedView {
    pub geometry: Geometry,
    pub timing: TimingParams,
    pub energy: EnergyParams,
}

impl DramParams {
    /// The values the preset and the overrides resolve to, for the range check.
    pub fn resolved_view(&self) -> ResolvedView {
        let (geometry, timing, energy, _) = self.resolved();
        ResolvedView { geometry, timing, energy }
    }
}
