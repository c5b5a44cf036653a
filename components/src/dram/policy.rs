//! The controller's policies, chosen in the config as small enums (Ramulator 2's scheduler,
//! row-policy and refresh-manager interfaces, as data): which command goes first, when a row
//! closes, how refresh is done, whether writes wait in their own queue, and when idle ranks
//! power down. Their validation into a [`Policy`] in picoseconds.

use serde::{Deserialize, Serialize};

use super::params::{DramParams, Geometry, ParamError};
use super::timing::Timing;

/// Which ready command the scheduler issues first.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scheduler {
    /// First-ready FCFS (Rixner et al., ISCA 2000): row hits first, then the oldest.
    #[default]
    FrFcfs,
    /// FR-FCFS with a cap on the row hits that may bypass an older request of their bank
    /// (a starvation guard).
    FrFcfsCap,
    /// Strictly the oldest request of the channel, hit or not.
    Fcfs,
}

/// When an open row is closed.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RowPolicy {
    /// Open page: a row stays open until another row of its bank, or a refresh, needs it.
    #[default]
    Open,
    /// Closed page: precharged as soon as no queued request hits it.
    Closed,
    /// Adaptive: precharged `row_timeout_ns` after its last column command with no hit queued.
    Timeout,
}

/// How refresh is done.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshMode {
    /// REFab every tREFI: the whole rank is blocked for tRFCab.
    #[default]
    AllBank,
    /// REFpb every tREFIpb, banks in turn: only that bank is blocked, for tRFCpb (LPDDR4/5
    /// REFpb, HBM2 REFSB).
    PerBank,
}

/// When a write is acknowledged.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WriteAck {
    /// When its last burst's data is in the DRAM.
    #[default]
    Completion,
    /// When it enters the write queue (needs `write_queue.enabled`).
    Posted,
}

/// The write queue: writes wait apart from reads and drain in batches.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriteQueueParams {
    /// Off (default, the first model's behaviour): writes queue and schedule with reads.
    pub enabled: bool,
    /// Write requests held, 1..=65536. 64: gem5 `MemCtrl`'s `write_buffer_size` (Ramulator 2
    /// uses 32; longer batches amortise the bus turnarounds, README "Policies").
    pub depth: u32,
    /// Drain writes once this share of the queue is full, 1..=100. 80: Ramulator 2's
    /// `wr_high_watermark` (0.8).
    pub high_watermark_percent: u32,
    /// Stop draining at this share while reads wait, 0..high. 20: Ramulator 2's
    /// `wr_low_watermark` (0.2).
    pub low_watermark_percent: u32,
}

impl Default for WriteQueueParams {
    fn default() -> Self {
        WriteQueueParams { enabled: false, depth: 64, high_watermark_percent: 80, low_watermark_percent: 20 }
    }
}

/// Power-down and self-refresh of idle ranks.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PowerDownParams {
    /// Off (default): ranks stay in standby whenever idle.
    pub enabled: bool,
    /// Idle time (no request queued for the rank) before power-down, ns, in [0, 1e9].
    /// 10 ns (16 nCK at 3200 MT/s): "after a few idle cycles", as DRAMSys' staggered policy.
    pub idle_ns: f64,
    /// Idle time before self-refresh, ns, in [idle_ns, 1e9]; 0 disables self-refresh.
    /// 1000 ns: about 3.5 × tXSR (LPDDR4), so that the exit cost is small against the stay.
    pub self_refresh_idle_ns: f64,
}

impl Default for PowerDownParams {
    fn default() -> Self {
        PowerDownParams { enabled: false, idle_ns: 10.0, self_refresh_idle_ns: 1000.0 }
    }
}

pub(crate) fn default_row_hit_cap() -> u32 {
    16
}

pub(crate) fn default_row_timeout_ns() -> f64 {
    // An assumption: about two row cycles (tRC is 60 ns at LPDDR4-3200), so that hits
    // arriving close together keep their row while an idle row closes before the next miss.
    100.0
}

/// Validated policies, times in ps on the DRAM clock grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub scheduler: Scheduler,
    pub row_hit_cap: u32,
    pub row_policy: RowPolicy,
    pub row_timeout: u64,
    pub refresh: RefreshMode,
    /// (depth, high watermark, low watermark) in requests, when enabled.
    pub write_queue: Option<(u32, u32, u32)>,
    pub write_ack: WriteAck,
    /// (power-down idle, self-refresh idle or `None`), when enabled.
    pub power_down: Option<(u64, Option<u64>)>,
}

/// `ns` (in its declared range, [0, 1e9]) in ps on the DRAM clock grid.
fn ns_to_ps(ns: f64, t: &Timing) -> u64 {
    t.edge((ns * 1000.0).round() as u64)
}

/// Checks the policy fields of `p` against the validated timings.
pub fn validate(p: &DramParams, t: &Timing, _g: &Geometry) -> Result<Policy, ParamError> {
    let row_timeout = ns_to_ps(p.row_timeout_ns, t);
    if p.refresh == RefreshMode::PerBank && t.refi > 0 && (t.refipb == 0 || t.rfcpb == 0) {
        return Err(ParamError::new(
            "refresh",
            format!(
                "`refresh: per_bank` needs `timing.trefipb_ns` and `timing.trfcpb_ns` above 0 (the {} preset has no \
                 per-bank refresh)",
                p.preset.name()
            ),
        )
        .fix("use `refresh: all_bank`, or set both timings"));
    }
    let w = &p.write_queue;
    let write_queue = if w.enabled {
        if w.low_watermark_percent >= w.high_watermark_percent {
            return Err(ParamError::new(
                "write_queue.low_watermark_percent",
                format!(
                    "`write_queue.low_watermark_percent` ({}) must be below `write_queue.high_watermark_percent` ({})",
                    w.low_watermark_percent, w.high_watermark_percent
                ),
            ));
        }
        // Watermarks in whole requests: high at least 1, low below it.
        let high = (u64::from(w.depth) * u64::from(w.high_watermark_percent)).div_ceil(100).max(1) as u32;
        let low = ((u64::from(w.depth) * u64::from(w.low_watermark_percent)) / 100) as u32;
        Some((w.depth, high, low.min(high - 1)))
    } else {
        None
    };
    if p.write_ack == WriteAck::Posted && write_queue.is_none() {
        return Err(ParamError::new(
            "write_ack",
            "`write_ack: posted` acknowledges writes as they enter the write queue",
        )
        .fix("set `write_queue: {enabled: true}` too, or use `write_ack: completion`"));
    }
    let pd = &p.power_down;
    let power_down = if pd.enabled {
        let idle = ns_to_ps(pd.idle_ns, t);
        let sr = ns_to_ps(pd.self_refresh_idle_ns, t);
        if sr != 0 && sr < idle {
            return Err(ParamError::new(
                "power_down.self_refresh_idle_ns",
                format!(
                    "`power_down.self_refresh_idle_ns` ({} ns) must be at least `power_down.idle_ns` ({} ns), or 0 for no \
                     self-refresh",
                    pd.self_refresh_idle_ns, pd.idle_ns
                ),
            ));
        }
        Some((idle, (sr != 0).then_some(sr)))
    } else {
        None
    };
    Ok(Policy {
        scheduler: p.scheduler,
        row_hit_cap: p.row_hit_cap,
        row_policy: p.row_policy,
        row_timeout,
        refresh: p.refresh,
        write_queue,
        write_ack: p.write_ack,
        power_down,
    })
}

impl Default for Policy {
    /// The first model's behaviour: FR-FCFS, open page, all-bank refresh, writes with reads,
    /// acknowledged at completion, no power-down.
    fn default() -> Self {
        Policy {
            scheduler: Scheduler::FrFcfs,
            row_hit_cap: default_row_hit_cap(),
            row_policy: RowPolicy::Open,
            row_timeout: 100_000,
            refresh: RefreshMode::AllBank,
            write_queue: None,
            write_ack: WriteAck::Completion,
            power_down: None,
        }
    }
}
