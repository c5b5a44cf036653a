//! What a `dram_controller` reports at the end of a run: its counters, the device's, the
//! time and background energy per power state, and the energy meters.

use sim_core::{SimTime, StatsWriter};

use super::{DramController, RefreshMode, NO_CAUSE};

/// The controller's own counts.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub reads: u64,
    pub writes: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub bursts: u64,
    /// Reads answered from a queued write's data, without the DRAM.
    pub forwarded_reads: u64,
    /// Switches into write-drain mode.
    pub write_drains: u64,
}

impl DramController {
    pub(super) fn write_report(&mut self, stats: &mut StatsWriter<'_>) {
        let end = stats.now().0;
        self.device.finish(end);
        let d = self.device.stats.clone();
        let c = &self.stats;
        stats.counter("reads", c.reads);
        stats.counter("writes", c.writes);
        stats.counter("bytes_read", c.bytes_read);
        stats.counter("bytes_written", c.bytes_written);
        stats.counter("bursts", c.bursts);
        stats.counter("activates", d.activates);
        stats.counter("precharges", d.precharges);
        stats.counter("refreshes", d.refreshes);
        stats.counter("row_hits", d.row_hits);
        stats.counter("row_misses", d.row_misses);
        stats.counter("row_conflicts", d.row_conflicts);
        let served = d.row_hits + d.row_misses + d.row_conflicts;
        stats.ratio("row_hit_rate", d.row_hits as f64, served as f64);
        let g = &self.cfg.geometry;
        let (nr, nb) = (g.ranks as usize, g.banks as usize);
        for (i, n) in self.device.bank_accesses().enumerate() {
            stats.counter(&format!("bank.{}.{}.{}.accesses", i / (nr * nb), i / nb % nr, i % nb), n);
        }
        stats.histogram("read_latency_ps", &self.read_latency);
        stats.histogram("write_latency_ps", &self.write_latency);
        stats.time_average("queue_occupancy", &self.occupancy);
        for (ch, busy) in self.device.bus_busy_ps().enumerate() {
            stats.counter(&format!("channel.{ch}.bus_busy_ps"), busy);
        }
        stats.counter("refresh_busy_ps", d.refresh_busy_ps);
        stats.counter("bus_turnarounds", d.turnarounds);
        if self.cfg.policy.write_queue.is_some() {
            stats.counter("forwarded_reads", c.forwarded_reads);
            stats.counter("write_drains", c.write_drains);
        }
        let span = self.first_arrival.map_or(0, |f| self.last_response.max(self.last_done).saturating_sub(f));
        let bytes = (c.bytes_read + c.bytes_written) as f64;
        let bandwidth = sim_core::StatValue::ratio(bytes, span as f64 * 1e-12);
        stats.extent("span_ps", span as f64);
        stats.ratio("bandwidth_bytes_per_s", bytes, span as f64 * 1e-12);
        stats.extent("peak_bytes_per_s", self.cfg.peak_bytes_per_s);
        stats.ratio("bandwidth_efficiency", bandwidth, self.cfg.peak_bytes_per_s);
        self.write_energy(stats, &d, end);
    }

    /// Refresh and background energy are known only now (refreshes and power states are
    /// computed lazily); both accrue over the whole run, so that is where their power goes.
    fn write_energy(&mut self, stats: &mut StatsWriter<'_>, d: &super::DeviceStats, end: u64) {
        let e = &self.cfg.energy;
        let v = e.device_voltage_v;
        self.device_energy.spread(SimTime::ZERO, stats.now());
        let refresh_pj = match self.cfg.policy.refresh {
            RefreshMode::AllBank => e.refresh_pj,
            RefreshMode::PerBank => e.refresh_pb_pj,
        };
        self.device_energy.add(v, "refresh", refresh_pj, d.refreshes as f64, NO_CAUSE);
        // Rank-time per state; the active power-down time is part of the time a row is open.
        let g = &self.cfg.geometry;
        let rank_ps = end * u64::from(g.channels * g.ranks);
        let (ppd, apd, sr) = (d.precharge_power_down_ps, d.active_power_down_ps, d.self_refresh_ps);
        let active = self.device.active_ps().saturating_sub(apd);
        let standby = rank_ps.saturating_sub(ppd + apd + sr + active);
        let states = [
            ("precharge_standby", standby, e.standby_mw_per_rank),
            ("active_standby", active, e.standby_mw_per_rank + e.active_standby_mw_per_rank),
            ("precharge_power_down", ppd, e.precharge_power_down_mw_per_rank),
            ("active_power_down", apd, e.active_power_down_mw_per_rank),
            ("self_refresh", sr, e.self_refresh_mw_per_rank),
        ];
        // Background current is roughly constant in V, so its power scales as V.
        let scale = v / self.cfg.device_nominal_v;
        for (name, ps, mw) in states {
            stats.counter(&format!("state.{name}_ps"), ps);
            // mW × ps = 1e-3 pJ.
            self.device_energy.add_pj(name, mw * scale * ps as f64 * 1e-3, NO_CAUSE);
        }
        if self.cfg.policy.power_down.is_some() {
            stats.counter("power_down_entries", d.power_down_entries);
            stats.counter("self_refresh_entries", d.self_refresh_entries);
        }
        self.traffic.write_traffic(stats);
        self.device_energy.write_stats(stats);
        self.chip_energy.write_stats(stats);
    }
}
