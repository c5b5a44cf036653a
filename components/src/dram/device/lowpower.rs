//! Refresh and power states, computed when noticed.
//!
//! Nothing issues to a rank once its refresh is due (refresh runs first in every scheduling
//! pass), and nothing happens to an idle rank until a burst arrives for it; so both can be
//! computed lazily, from the state at the time they began: an idle controller spends no
//! events on them, and a run with nothing to do ends.
//!
//! Power states (JESD209-4 / JESD79-4 CKE protocol, as DRAMPower accounts them): a rank with
//! nothing queued enters power-down `idle` after its last command (active power-down with a
//! row open, precharge power-down otherwise), and self-refresh `self_refresh_idle` after it
//! (all banks precharged first). Leaving takes tXP (tXSR from self-refresh), and not before
//! tCKE (tSR) in the state. A refresh due in power-down wakes the rank (tXP) and lets it
//! power down again afterwards; in self-refresh the device refreshes itself. A row-policy
//! precharge (closed or timeout rows) of an idle rank restarts its idle time: if it came
//! after the power-down entry, that stretch counts as standby and the PRE pays no exit.

use super::Device;
use crate::dram::policy::{Policy, RefreshMode};
use crate::dram::timing::Timing;

/// The refresh interval of a rank under `policy` (0: no refresh).
pub(super) fn interval(t: &Timing, policy: &Policy) -> u64 {
    match policy.refresh {
        _ if t.refi == 0 => 0,
        RefreshMode::AllBank => t.refi,
        RefreshMode::PerBank => t.refipb,
    }
}

impl Device {
    /// Performs every refresh of rank `r` due at or before `now`. All-bank: PREA as soon as
    /// every open bank may precharge, REF tRPab later, the rank blocked until tRFC after
    /// that. Per-bank: the next bank in turn, PRE if open, REFpb tRP later, that bank
    /// blocked for tRFCpb.
    pub(super) fn refresh_until(&mut self, r: usize, now: u64) {
        let t = self.t;
        let refi = interval(&t, &self.policy);
        if refi == 0 {
            return;
        }
        while self.ranks[r].next_refresh <= now {
            let due = self.ranks[r].next_refresh;
            if self.ranks[r].queued == 0 && self.skip_idle_refreshes(r, due, now, refi) {
                continue;
            }
            self.ranks[r].next_refresh = due + refi;
            let mut start = due;
            if self.ranks[r].queued == 0 {
                match self.idle_state_at(r, due) {
                    Some(true) => continue, // self-refresh: the device refreshes itself
                    Some(false) => start = self.leave_idle(r, due),
                    None => {}
                }
            }
            let end = match self.policy.refresh {
                RefreshMode::AllBank => self.refresh_all_banks(r, start),
                RefreshMode::PerBank => self.refresh_one_bank(r, start),
            };
            let rank = &mut self.ranks[r];
            if rank.queued == 0 {
                rank.idle_since = rank.idle_since.max(end);
            }
            self.stats.refreshes += 1;
            self.stats.refresh_busy_ps += end - due;
        }
    }

    /// The refreshes of idle rank `r` due from `due` to `now`, all at once, when each would be
    /// the same as the last: in self-refresh (the device refreshes itself: nothing to do), or
    /// always on with every bank closed and free, all-bank refresh, and tREFI a whole number
    /// of tCK (each REF then starts at its due time's clock edge and ends tRFC later, before
    /// the next is due). A long idle stretch then costs a few operations instead of one step
    /// per tREFI (a source starting at 8e18 ps would otherwise walk 2e12 refreshes).
    /// Returns false, changing nothing, where a refresh could differ (power-down exits,
    /// per-bank refresh, a bank still busy): the caller steps one refresh.
    fn skip_idle_refreshes(&mut self, r: usize, due: u64, now: u64, refi: u64) -> bool {
        let n = (now - due) / refi + 1;
        if n < 2 {
            return false;
        }
        let t = self.t;
        let next = due + n * refi;
        match self.idle_state_at(r, due) {
            // Self-refresh lasts while the rank stays idle (`idle_since` does not move).
            Some(true) => {
                self.ranks[r].next_refresh = next;
                true
            }
            Some(false) => false,
            None => {
                let banks = r * self.banks_per_rank..(r + 1) * self.banks_per_rank;
                let lag = t.edge(due) - due;
                let steady = self.policy.power_down.is_none()
                    && self.policy.refresh == RefreshMode::AllBank
                    && refi % t.tck == 0
                    && lag + t.rfc < refi
                    && self.ranks[r].open_banks == 0
                    && self.banks[banks.clone()].iter().all(|b| b.open.is_none() && b.next_act <= due);
                if !steady {
                    return false;
                }
                let end = due + (n - 1) * refi + lag + t.rfc;
                for bank in &mut self.banks[banks] {
                    bank.next_act = bank.next_act.max(end);
                }
                let rank = &mut self.ranks[r];
                rank.blocked_until = rank.blocked_until.max(end);
                rank.idle_since = rank.idle_since.max(end);
                rank.next_refresh = next;
                self.stats.refreshes += n;
                self.stats.refresh_busy_ps += n * (lag + t.rfc);
                true
            }
        }
    }

    /// REFab of rank `r` starting at `start`; returns its end.
    fn refresh_all_banks(&mut self, r: usize, start: u64) -> u64 {
        let t = self.t;
        let banks = r * self.banks_per_rank..(r + 1) * self.banks_per_rank;
        let (mut pre_at, mut ref_at, mut open) = (start, start, 0u64);
        for bank in &self.banks[banks.clone()] {
            if bank.open.is_some() {
                open += 1;
                pre_at = pre_at.max(bank.next_pre);
            } else {
                ref_at = ref_at.max(bank.next_act);
            }
        }
        let pre_at = t.edge(pre_at);
        if open > 0 {
            ref_at = ref_at.max(pre_at + t.rpab);
        }
        let end = t.edge(ref_at) + t.rfc;
        for bank in &mut self.banks[banks] {
            bank.open = None;
            bank.next_act = bank.next_act.max(end);
        }
        let rank = &mut self.ranks[r];
        if open > 0 {
            rank.active_ps += pre_at.saturating_sub(rank.active_since);
            rank.open_banks = 0;
        }
        rank.blocked_until = rank.blocked_until.max(end);
        self.stats.precharges += open;
        end
    }

    /// REFpb of the next bank of rank `r` starting at `start`; returns its end.
    fn refresh_one_bank(&mut self, r: usize, start: u64) -> u64 {
        let t = self.t;
        let rank = &mut self.ranks[r];
        let b = r * self.banks_per_rank + rank.refresh_bank;
        rank.refresh_bank = (rank.refresh_bank + 1) % self.banks_per_rank;
        let bank = &self.banks[b];
        let ref_at = if bank.open.is_some() {
            let pre_at = t.edge(start.max(bank.next_pre));
            self.banks[b].open = None;
            self.close_one(r, pre_at);
            self.stats.precharges += 1;
            pre_at + t.rp
        } else {
            start.max(bank.next_act)
        };
        let end = t.edge(ref_at) + t.rfcpb;
        let bank = &mut self.banks[b];
        bank.next_act = bank.next_act.max(end);
        end
    }

    /// The power state of idle rank `r` at `at`: `None` (standby), `Some(false)`
    /// (power-down), `Some(true)` (self-refresh).
    fn idle_state_at(&self, r: usize, at: u64) -> Option<bool> {
        let (pd, sr) = self.policy.power_down?;
        let since = self.ranks[r].idle_since;
        if sr.is_some_and(|sr| at >= since + sr) {
            Some(true)
        } else {
            (at >= since + pd).then_some(false)
        }
    }

    /// Rank `r`, idle so far, is needed at `now`: accounts the power states it went through
    /// and blocks it for the exit. Returns when it may take a command.
    pub(super) fn leave_idle(&mut self, r: usize, now: u64) -> u64 {
        let Some(state) = self.idle_state_at(r, now) else { return now };
        let ready = self.account_idle(r, now);
        let t = self.t;
        let (pd, sr) = self.policy.power_down.expect("a power state needs power-down on");
        let since = self.ranks[r].idle_since;
        let ready = if state {
            let entry = t.edge(since + sr.expect("in self-refresh"));
            ready.max(entry + t.sr) + t.xsr
        } else {
            ready.max(t.edge(since + pd) + t.cke) + t.xp
        };
        let rank = &mut self.ranks[r];
        rank.blocked_until = rank.blocked_until.max(ready);
        rank.idle_since = now;
        ready
    }

    /// Adds the power-state time of idle rank `r` from its idle start to `until`; returns
    /// `until`.
    fn account_idle(&mut self, r: usize, until: u64) -> u64 {
        let Some((pd, sr)) = self.policy.power_down else { return until };
        let t = self.t;
        let since = self.ranks[r].idle_since;
        let pd_at = t.edge(since + pd);
        if until <= pd_at {
            return until;
        }
        let sr_at = sr.map(|sr| t.edge(since + sr)).filter(|&s| s < until);
        let pd_end = sr_at.unwrap_or(until);
        let open = self.ranks[r].open_banks > 0;
        if pd_end > pd_at {
            self.stats.power_down_entries += 1;
            if open {
                self.stats.active_power_down_ps += pd_end - pd_at;
            } else {
                self.stats.precharge_power_down_ps += pd_end - pd_at;
            }
        }
        if let Some(sr_at) = sr_at {
            // Self-refresh needs every bank precharged: PREA at entry.
            let banks = r * self.banks_per_rank..(r + 1) * self.banks_per_rank;
            let mut closed = 0;
            for bank in &mut self.banks[banks] {
                if bank.open.take().is_some() {
                    closed += 1;
                }
            }
            if closed > 0 {
                let rank = &mut self.ranks[r];
                rank.active_ps += sr_at.saturating_sub(rank.active_since);
                rank.open_banks = 0;
                self.stats.precharges += closed;
            }
            self.stats.self_refresh_entries += 1;
            self.stats.self_refresh_ps += until - sr_at;
        }
        until
    }

    /// Performs the refreshes due up to `end` (the run is over) and closes the books.
    pub fn finish(&mut self, end: u64) {
        for r in 0..self.ranks.len() {
            self.refresh_until(r, end);
            if self.ranks[r].queued == 0 && self.ranks[r].idle_since < end {
                self.account_idle(r, end);
                self.ranks[r].idle_since = end;
            }
            let rank = &mut self.ranks[r];
            if rank.open_banks > 0 && end > rank.active_since {
                rank.active_ps += end - rank.active_since;
                rank.active_since = end;
            }
        }
    }
}
