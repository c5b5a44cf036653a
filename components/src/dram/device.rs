//! The DRAM device as the controller sees it: per-bank open rows and timing state, per-rank
//! activation windows and refresh, per-channel command and data buses; and the FR-FCFS
//! scheduler that picks the next command.
//!
//! Everything here is plain arithmetic on picosecond times: no kernel, no events. The
//! controller calls [`Device::schedule`] at a time `now` and gets back the commands issued
//! at `now` and the next time a command could issue.

use std::collections::VecDeque;

use super::mapping::Location;
use super::params::Geometry;
use super::timing::Timing;

/// How a burst found its bank when it was served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowClass {
    /// Its row was open.
    Hit,
    /// The bank was closed: it needed an ACT.
    Miss,
    /// Another row was open: it needed a PRE and an ACT.
    Conflict,
}

/// One burst waiting in a bank queue.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    /// Arrival order over the whole controller (FR-FCFS's "first come").
    pub seq: u64,
    /// The request it belongs to.
    pub slot: u32,
    pub row: u32,
    pub write: bool,
    pub class: RowClass,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Activate,
    Precharge,
    Read,
    Write,
}

impl Command {
    fn is_column(self) -> bool {
        matches!(self, Command::Read | Command::Write)
    }
}

/// A command the scheduler issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    pub cmd: Command,
    pub at: u64,
    /// Flat bank index: (channel × ranks + rank) × banks + bank.
    pub bank: u32,
    /// The request of the burst the command serves.
    pub slot: u32,
    /// End of the data transfer for a column command; `at` otherwise.
    pub done: u64,
}

#[derive(Debug, Default)]
struct Bank {
    open: Option<u32>,
    next_act: u64,
    next_pre: u64,
    next_rd: u64,
    next_wr: u64,
    queue: VecDeque<Burst>,
    accesses: u64,
}

#[derive(Debug, Default)]
struct Rank {
    /// tRRD after the last ACT.
    next_act: u64,
    /// Times of the last four ACTs (a ring indexed by `acts % 4`), for tFAW.
    faw: [u64; 4],
    acts: u64,
    /// tWTR after the last write data.
    next_rd: u64,
    /// End of the refresh in progress.
    blocked_until: u64,
    next_refresh: u64,
    open_banks: u32,
    active_since: u64,
    active_ps: u64,
}

#[derive(Debug, Default)]
struct Channel {
    /// One command per clock on the command bus.
    cmd_free: u64,
    /// tCCD after the last column command.
    next_col: u64,
    /// End of the last data burst.
    bus_free: u64,
    last_read: bool,
    busy_ps: u64,
}

/// Counts of what the device did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    pub activates: u64,
    pub precharges: u64,
    pub refreshes: u64,
    pub row_hits: u64,
    pub row_misses: u64,
    pub row_conflicts: u64,
    /// Sum over ranks of the time from each refresh being due to the end of its tRFC.
    pub refresh_busy_ps: u64,
}

/// The device: banks, ranks, channels, and the bursts queued for each bank.
#[derive(Debug)]
pub struct Device {
    t: Timing,
    ranks_per_channel: usize,
    banks_per_rank: usize,
    banks: Vec<Bank>,
    ranks: Vec<Rank>,
    channels: Vec<Channel>,
    queued: u64,
    pub stats: DeviceStats,
}

impl Device {
    pub fn new(g: &Geometry, t: Timing) -> Self {
        let (nch, nr, nb) = (g.channels as usize, g.ranks as usize, g.banks as usize);
        let mut ranks: Vec<Rank> = (0..nch * nr).map(|_| Rank::default()).collect();
        // Ranks of a channel refresh staggered over tREFI (one at a time); channels together.
        for (i, r) in ranks.iter_mut().enumerate() {
            r.next_refresh = t.edge(t.refi * (i % nr + 1) as u64 / nr as u64);
        }
        Device {
            ranks_per_channel: nr,
            banks_per_rank: nb,
            banks: (0..nch * nr * nb).map(|_| Bank::default()).collect(),
            ranks,
            channels: (0..nch).map(|_| Channel::default()).collect(),
            queued: 0,
            stats: DeviceStats::default(),
            t,
        }
    }

    pub fn timing(&self) -> &Timing {
        &self.t
    }

    /// The flat bank index of a location.
    #[inline]
    pub fn bank_index(&self, loc: &Location) -> usize {
        (loc.channel as usize * self.ranks_per_channel + loc.rank as usize) * self.banks_per_rank + loc.bank as usize
    }

    /// Queues `burst` for the bank at `loc` (its row must be `loc.row`); returns the bank.
    pub fn enqueue(&mut self, loc: &Location, burst: Burst) -> usize {
        let b = self.bank_index(loc);
        self.banks[b].queue.push_back(burst);
        self.queued += 1;
        b
    }

    /// Bursts waiting.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Bursts served by each bank, in flat order.
    pub fn bank_accesses(&self) -> impl Iterator<Item = u64> + '_ {
        self.banks.iter().map(|b| b.accesses)
    }

    /// Data-bus busy time of each channel.
    pub fn bus_busy_ps(&self) -> impl Iterator<Item = u64> + '_ {
        self.channels.iter().map(|c| c.busy_ps)
    }

    /// Time each rank had at least one row open, summed over ranks.
    pub fn active_ps(&self) -> u64 {
        self.ranks.iter().map(|r| r.active_ps).sum()
    }

    /// Issues every command that may issue at `now` (appended to `out`) and returns the next
    /// time one could, if any burst is waiting. FR-FCFS per channel: among the commands whose
    /// constraints all allow issue at `now`, column commands (row hits) first, then the one
    /// serving the oldest burst; one command per channel per clock.
    pub fn schedule(&mut self, now: u64, out: &mut Vec<Issued>) -> Option<u64> {
        let mut wake = u64::MAX;
        for c in 0..self.channels.len() {
            for r in c * self.ranks_per_channel..(c + 1) * self.ranks_per_channel {
                self.refresh_until(r, now);
            }
            loop {
                match self.pick(c, now) {
                    Ok((b, idx, cmd)) => self.issue(b, idx, cmd, now, out),
                    Err(next) => {
                        wake = wake.min(next);
                        break;
                    }
                }
            }
        }
        (wake != u64::MAX).then_some(wake)
    }

    /// Performs the refreshes due up to `end` (the run is over) and closes the books.
    pub fn finish(&mut self, end: u64) {
        for r in 0..self.ranks.len() {
            self.refresh_until(r, end);
            let rank = &mut self.ranks[r];
            if rank.open_banks > 0 && end > rank.active_since {
                rank.active_ps += end - rank.active_since;
                rank.active_since = end;
            }
        }
    }

    /// The best command of channel `c` ready at `now`, or the earliest time one will be.
    fn pick(&self, c: usize, now: u64) -> Result<(usize, usize, Command), u64> {
        let per_channel = self.ranks_per_channel * self.banks_per_rank;
        let mut best: Option<((bool, u64), usize, usize, Command)> = None;
        let mut next = u64::MAX;
        for b in c * per_channel..(c + 1) * per_channel {
            let Some((idx, cmd)) = self.offer(b) else { continue };
            let t = self.ready_at(b, cmd, now);
            if t > now {
                next = next.min(t);
                continue;
            }
            let key = (!cmd.is_column(), self.banks[b].queue[idx].seq);
            if best.as_ref().is_none_or(|(k, ..)| key < *k) {
                best = Some((key, b, idx, cmd));
            }
        }
        match best {
            Some((_, b, idx, cmd)) => Ok((b, idx, cmd)),
            None => Err(next),
        }
    }

    /// The command bank `b` offers, and the queue index of the burst it serves: a column
    /// command for the oldest burst to the open row, else PRE (another row open) or ACT
    /// (closed) for the oldest burst. `None` when nothing waits.
    fn offer(&self, b: usize) -> Option<(usize, Command)> {
        let bank = &self.banks[b];
        bank.queue.front()?;
        Some(match bank.open {
            Some(row) => match bank.queue.iter().position(|x| x.row == row) {
                Some(i) => (i, if bank.queue[i].write { Command::Write } else { Command::Read }),
                None => (0, Command::Precharge),
            },
            None => (0, Command::Activate),
        })
    }

    /// When bank `b`'s offer may issue (at or after `now`), if it has one. New bursts change
    /// only their own bank's offer: the controller asks this after queueing them.
    pub fn bank_ready(&self, b: usize, now: u64) -> Option<u64> {
        let (_, cmd) = self.offer(b)?;
        Some(self.ready_at(b, cmd, now))
    }

    /// The first clock edge at or after `now` when `cmd` may issue to bank `b`.
    fn ready_at(&self, b: usize, cmd: Command, now: u64) -> u64 {
        let t = &self.t;
        let r = b / self.banks_per_rank;
        let (bank, rank, ch) = (&self.banks[b], &self.ranks[r], &self.channels[r / self.ranks_per_channel]);
        let base = now.max(ch.cmd_free).max(rank.blocked_until);
        let at = match cmd {
            Command::Activate => {
                let faw = if rank.acts >= 4 { rank.faw[(rank.acts % 4) as usize] + t.faw } else { 0 };
                base.max(bank.next_act).max(rank.next_act).max(faw)
            }
            Command::Precharge => base.max(bank.next_pre),
            Command::Read => {
                base.max(bank.next_rd).max(ch.next_col).max(rank.next_rd).max(ch.bus_free.saturating_sub(t.cl))
            }
            Command::Write => {
                let free = ch.bus_free + if ch.last_read { t.rtw } else { 0 };
                base.max(bank.next_wr).max(ch.next_col).max(free.saturating_sub(t.cwl))
            }
        };
        t.edge(at)
    }

    fn issue(&mut self, b: usize, idx: usize, cmd: Command, now: u64, out: &mut Vec<Issued>) {
        let t = self.t;
        let r = b / self.banks_per_rank;
        let c = r / self.ranks_per_channel;
        self.channels[c].cmd_free = now + t.tck;
        let bank = &mut self.banks[b];
        let mut done = now;
        let slot;
        match cmd {
            Command::Activate => {
                let front = &mut bank.queue[idx];
                if front.class == RowClass::Hit {
                    front.class = RowClass::Miss;
                }
                slot = front.slot;
                bank.open = Some(front.row);
                bank.next_rd = now + t.rcd;
                bank.next_wr = now + t.rcd;
                bank.next_pre = now + t.ras;
                bank.next_act = now + t.ras + t.rp;
                let rank = &mut self.ranks[r];
                rank.next_act = now + t.rrd;
                rank.faw[(rank.acts % 4) as usize] = now;
                rank.acts += 1;
                if rank.open_banks == 0 {
                    rank.active_since = now;
                }
                rank.open_banks += 1;
                self.stats.activates += 1;
            }
            Command::Precharge => {
                let front = &mut bank.queue[idx];
                front.class = RowClass::Conflict;
                slot = front.slot;
                bank.open = None;
                bank.next_act = bank.next_act.max(now + t.rp);
                self.close_one(r, now);
                self.stats.precharges += 1;
            }
            Command::Read | Command::Write => {
                let burst = bank.queue.remove(idx).expect("the picked burst is queued");
                self.queued -= 1;
                bank.accesses += 1;
                slot = burst.slot;
                match burst.class {
                    RowClass::Hit => self.stats.row_hits += 1,
                    RowClass::Miss => self.stats.row_misses += 1,
                    RowClass::Conflict => self.stats.row_conflicts += 1,
                }
                let ch = &mut self.channels[c];
                ch.next_col = now + t.ccd;
                let start = now + if cmd == Command::Read { t.cl } else { t.cwl };
                done = start + t.burst;
                ch.bus_free = done;
                ch.busy_ps += t.burst;
                ch.last_read = cmd == Command::Read;
                if cmd == Command::Read {
                    bank.next_pre = bank.next_pre.max(now + t.rtp);
                } else {
                    bank.next_pre = bank.next_pre.max(done + t.wr);
                    let rank = &mut self.ranks[r];
                    rank.next_rd = rank.next_rd.max(done + t.wtr);
                }
            }
        }
        out.push(Issued { cmd, at: now, bank: b as u32, slot, done });
    }

    /// One bank of rank `r` closed at `at`.
    fn close_one(&mut self, r: usize, at: u64) {
        let rank = &mut self.ranks[r];
        rank.open_banks -= 1;
        if rank.open_banks == 0 {
            rank.active_ps += at.saturating_sub(rank.active_since);
        }
    }

    /// Performs every refresh of rank `r` due at or before `now`. Nothing issues to a rank
    /// once its refresh is due (this runs first in every scheduling pass), so the refresh
    /// can be computed when it is noticed: PREA as soon as every open bank may precharge,
    /// REF tRPab later, the rank blocked until tRFC after that. An idle controller thus
    /// needs no event per refresh, and a run with nothing to do ends.
    fn refresh_until(&mut self, r: usize, now: u64) {
        let t = self.t;
        if t.refi == 0 {
            return;
        }
        let banks = r * self.banks_per_rank..(r + 1) * self.banks_per_rank;
        while self.ranks[r].next_refresh <= now {
            let due = self.ranks[r].next_refresh;
            let mut pre_at = due;
            let mut ref_at = due;
            let mut open = 0;
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
            for bank in &mut self.banks[banks.clone()] {
                bank.open = None;
                bank.next_act = bank.next_act.max(end);
            }
            let rank = &mut self.ranks[r];
            if open > 0 {
                rank.active_ps += pre_at.saturating_sub(rank.active_since);
                rank.open_banks = 0;
            }
            rank.blocked_until = end;
            rank.next_refresh = due + t.refi;
            self.stats.precharges += open;
            self.stats.refreshes += 1;
            self.stats.refresh_busy_ps += end - due;
            // Idle (banks closed and free when it fell due, and this refresh over before the
            // next): the refreshes up to `now` are all alike, so count them at once. Idle
            // time then costs nothing however long it is (`refi` is whole cycles, so each
            // waits for its clock edge alike).
            let skip = now.saturating_sub(rank.next_refresh) / t.refi;
            if open == 0 && ref_at == due && end <= due + t.refi && skip > 0 {
                let shift = skip * t.refi;
                rank.blocked_until = end + shift;
                rank.next_refresh += shift;
                for bank in &mut self.banks[banks.clone()] {
                    bank.next_act = bank.next_act.max(end + shift);
                }
                self.stats.refreshes += skip;
                self.stats.refresh_busy_ps += skip * (end - due);
            }
        }
    }
}

#[cfg(test)]
mod tests;
