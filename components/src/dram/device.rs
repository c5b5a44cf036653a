//! The DRAM device as the controller sees it: per-bank open rows and timing state, per-rank
//! activation windows, bank groups, refresh and power states, per-channel command and data
//! buses; and the scheduler that picks the next command under the configured [`Policy`].
//!
//! Everything here is plain arithmetic on picosecond times: no kernel, no events. The
//! controller calls [`Device::schedule`] at a time `now` and gets back the commands issued
//! at `now` and the next time a command could issue. Refresh and power states are computed
//! lazily in `lowpower.rs`.

mod lowpower;

use std::collections::VecDeque;

use super::mapping::Location;
use super::params::Geometry;
use super::policy::{Policy, RowPolicy, Scheduler};
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

/// Which bursts a channel serves first: the controller's write-drain mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Serve {
    /// Reads and writes alike (no write queue).
    #[default]
    Any,
    /// Reads; writes only on a channel with no read queued.
    Reads,
    /// Writes; reads only on a channel with no write queued.
    Writes,
}

/// A command chosen for a bank: the bank, the queue index of the burst it serves (`None`: a
/// row-policy PRE), the command.
type Choice = (usize, Option<usize>, Command);

/// Marks a precharge that serves no burst (closed or timeout row policy).
pub const NO_SLOT: u32 = u32::MAX;

/// A command the scheduler issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    pub cmd: Command,
    pub at: u64,
    /// Flat bank index: (channel × ranks + rank) × banks + bank.
    pub bank: u32,
    /// The request of the burst the command serves ([`NO_SLOT`] for a row-policy PRE).
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
    /// Time of the last column command (timeout row policy).
    last_col: u64,
    /// Row hits served in a row past an older burst of this bank (`fr_fcfs_cap`).
    bypasses: u32,
    queue: VecDeque<Burst>,
    accesses: u64,
}

#[derive(Debug, Default)]
struct Rank {
    /// tRRD_S after the last ACT.
    next_act: u64,
    /// Times of the last four ACTs (a ring indexed by `acts % 4`), for tFAW.
    faw: [u64; 4],
    acts: u64,
    /// tWTR_S after the last write data.
    next_rd: u64,
    /// Per bank group: tRRD_L, tCCD_L and tWTR_L.
    group_next_act: Vec<u64>,
    group_next_col: Vec<u64>,
    group_next_rd: Vec<u64>,
    /// End of the refresh or power-state exit in progress.
    blocked_until: u64,
    next_refresh: u64,
    /// Next bank to refresh (per-bank refresh), within the rank.
    refresh_bank: usize,
    open_banks: u32,
    active_since: u64,
    active_ps: u64,
    /// Bursts queued for the rank; when 0 it has been idle since `idle_since`.
    queued: u64,
    idle_since: u64,
}

#[derive(Debug, Default)]
struct Channel {
    /// The command bus is free from this time.
    cmd_free: u64,
    /// tCCD_S after the last column command.
    next_col: u64,
    /// End of the last data burst.
    bus_free: u64,
    last_read: bool,
    last_rank: Option<usize>,
    busy_ps: u64,
    /// Bursts queued per direction.
    reads: u64,
    writes: u64,
}

/// Counts of what the device did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    pub activates: u64,
    pub precharges: u64,
    /// All-bank or per-bank refreshes, as configured.
    pub refreshes: u64,
    pub row_hits: u64,
    pub row_misses: u64,
    pub row_conflicts: u64,
    /// Sum over ranks of the time from each refresh being due to the end of its tRFC.
    pub refresh_busy_ps: u64,
    /// Data-bus direction changes (read data followed by write data or back).
    pub turnarounds: u64,
    /// Rank-time in precharge power-down, active power-down and self-refresh.
    pub precharge_power_down_ps: u64,
    pub active_power_down_ps: u64,
    pub self_refresh_ps: u64,
    pub power_down_entries: u64,
    pub self_refresh_entries: u64,
}

/// The device: banks, ranks, channels, and the bursts queued for each bank.
#[derive(Debug)]
pub struct Device {
    t: Timing,
    policy: Policy,
    ranks_per_channel: usize,
    banks_per_rank: usize,
    bank_groups: usize,
    banks: Vec<Bank>,
    ranks: Vec<Rank>,
    channels: Vec<Channel>,
    queued: u64,
    pub stats: DeviceStats,
}

impl Device {
    pub fn new(g: &Geometry, mut t: Timing, policy: Policy) -> Self {
        if g.bank_groups == 1 {
            // One group: the timings between groups are the only ones.
            (t.ccd_l, t.rrd_l, t.wtr_l) = (t.ccd, t.rrd, t.wtr);
        }
        let (nch, nr, nb, ng) = (g.channels as usize, g.ranks as usize, g.banks as usize, g.bank_groups as usize);
        let mut ranks: Vec<Rank> = (0..nch * nr)
            .map(|_| Rank {
                group_next_act: vec![0; ng],
                group_next_col: vec![0; ng],
                group_next_rd: vec![0; ng],
                ..Rank::default()
            })
            .collect();
        // Ranks of a channel refresh staggered over the interval (one at a time); channels
        // together.
        let refi = lowpower::interval(&t, &policy);
        for (i, r) in ranks.iter_mut().enumerate() {
            r.next_refresh = t.edge(refi * (i % nr + 1) as u64 / nr as u64);
        }
        Device {
            ranks_per_channel: nr,
            banks_per_rank: nb,
            bank_groups: ng,
            banks: (0..nch * nr * nb).map(|_| Bank::default()).collect(),
            ranks,
            channels: (0..nch).map(|_| Channel::default()).collect(),
            queued: 0,
            stats: DeviceStats::default(),
            t,
            policy,
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

    #[inline]
    fn group(&self, b: usize) -> usize {
        b % self.banks_per_rank % self.bank_groups
    }

    /// Queues `burst` for the bank at `loc` (its row must be `loc.row`) at `now`; returns the
    /// bank. A rank that was idle leaves its power state (paying tXP or tXSR).
    pub fn enqueue(&mut self, loc: &Location, burst: Burst, now: u64) -> usize {
        let b = self.bank_index(loc);
        let r = b / self.banks_per_rank;
        if self.ranks[r].queued == 0 {
            self.refresh_until(r, now);
            self.leave_idle(r, now);
        }
        self.ranks[r].queued += 1;
        let ch = &mut self.channels[r / self.ranks_per_channel];
        if burst.write {
            ch.writes += 1;
        } else {
            ch.reads += 1;
        }
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
    /// time one could, if any is pending. Per channel, among the commands whose constraints
    /// all allow issue at `now` and that `serve` admits: FR-FCFS takes column commands (row
    /// hits) first, then the one serving the oldest burst; FCFS only the oldest burst's.
    pub fn schedule(&mut self, now: u64, serve: Serve, out: &mut Vec<Issued>) -> Option<u64> {
        let mut wake = u64::MAX;
        for c in 0..self.channels.len() {
            for r in c * self.ranks_per_channel..(c + 1) * self.ranks_per_channel {
                self.refresh_until(r, now);
            }
            loop {
                match self.pick(c, now, serve) {
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

    /// Whether channel `c` serves writes under `serve`.
    fn writes_first(&self, c: usize, serve: Serve) -> Option<bool> {
        let ch = &self.channels[c];
        match serve {
            Serve::Any => None,
            Serve::Reads => Some(ch.reads == 0),
            Serve::Writes => Some(ch.writes > 0),
        }
    }

    /// The best command of channel `c` ready at `now`, or the earliest time one will be.
    fn pick(&self, c: usize, now: u64, serve: Serve) -> Result<Choice, u64> {
        let per_channel = self.ranks_per_channel * self.banks_per_rank;
        let banks = c * per_channel..(c + 1) * per_channel;
        let class = self.writes_first(c, serve);
        if self.policy.scheduler == Scheduler::Fcfs {
            return self.pick_fcfs(banks, class, now);
        }
        let mut best: Option<((bool, u64), Choice)> = None;
        let mut next = u64::MAX;
        for b in banks {
            let Some((idx, cmd)) = self.offer(b, class) else { continue };
            let t = self.ready_at(b, cmd, idx.is_none(), now);
            if t > now {
                next = next.min(t);
                continue;
            }
            let seq = idx.map_or(u64::MAX, |i| self.banks[b].queue[i].seq);
            let key = (!cmd.is_column(), seq);
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, (b, idx, cmd)));
            }
        }
        best.map(|(_, c)| c).ok_or(next)
    }

    /// FCFS: the command the channel's oldest eligible burst needs, when it may issue; then
    /// row-policy precharges of banks with nothing queued.
    fn pick_fcfs(&self, banks: std::ops::Range<usize>, class: Option<bool>, now: u64) -> Result<Choice, u64> {
        let eligible = |x: &Burst| class.is_none_or(|w| x.write == w);
        let oldest = banks
            .clone()
            .filter_map(|b| self.banks[b].queue.iter().position(eligible).map(|i| (self.banks[b].queue[i].seq, b, i)))
            .min();
        let mut next = u64::MAX;
        if let Some((_, b, i)) = oldest {
            let bank = &self.banks[b];
            let cmd = match bank.open {
                Some(row) if row == bank.queue[i].row => {
                    if bank.queue[i].write {
                        Command::Write
                    } else {
                        Command::Read
                    }
                }
                Some(_) => Command::Precharge,
                None => Command::Activate,
            };
            let t = self.ready_at(b, cmd, false, now);
            if t <= now {
                return Ok((b, Some(i), cmd));
            }
            next = t;
        }
        for b in banks {
            if let Some((None, cmd)) = self.offer(b, class) {
                let t = self.ready_at(b, cmd, true, now);
                if t <= now {
                    return Ok((b, None, cmd));
                }
                next = next.min(t);
            }
        }
        Err(next)
    }

    /// The command bank `b` offers, and the queue index of the burst it serves (`None`: a
    /// row-policy PRE): a column command for the oldest eligible burst to the open row
    /// (unless `fr_fcfs_cap` has let enough hits pass an older burst), else PRE (another row
    /// open) or ACT (closed) for the oldest eligible burst. A bank with no eligible burst
    /// (write-drain mode serves one direction) prepares the row of its oldest burst of the
    /// other direction, so that the switch back finds it open; else the row policy's PRE.
    fn offer(&self, b: usize, class: Option<bool>) -> Option<(Option<usize>, Command)> {
        let bank = &self.banks[b];
        let eligible = |x: &Burst| class.is_none_or(|w| x.write == w);
        let oldest = bank.queue.iter().position(eligible);
        match bank.open {
            Some(row) => {
                let hit = bank.queue.iter().position(|x| x.row == row && eligible(x));
                let capped = self.policy.scheduler == Scheduler::FrFcfsCap && bank.bypasses >= self.policy.row_hit_cap;
                match (hit, oldest) {
                    (Some(i), Some(o)) if !(capped && o < i) => {
                        Some((Some(i), if bank.queue[i].write { Command::Write } else { Command::Read }))
                    }
                    (_, Some(o)) => Some((Some(o), Command::Precharge)),
                    (_, None) => {
                        let hit = bank.queue.iter().any(|x| x.row == row);
                        if !bank.queue.is_empty() && !hit {
                            // Nothing of the class served now: prepare the other's oldest.
                            Some((Some(0), Command::Precharge))
                        } else {
                            let keep = self.policy.row_policy == RowPolicy::Open || hit;
                            (!keep).then_some((None, Command::Precharge))
                        }
                    }
                }
            }
            // A closed bank with nothing of the class served now opens the other's oldest row.
            None => oldest.or_else(|| (!bank.queue.is_empty()).then_some(0)).map(|o| (Some(o), Command::Activate)),
        }
    }

    /// When bank `b`'s offer may issue (at or after `now`), if it has one, whatever the
    /// write-drain mode. New bursts change only their own bank's offer: the controller asks
    /// this after queueing them.
    pub fn bank_ready(&self, b: usize, now: u64) -> Option<u64> {
        let (idx, cmd) = self.offer(b, None)?;
        Some(self.ready_at(b, cmd, idx.is_none(), now))
    }

    /// The first clock edge at or after `now` when `cmd` may issue to bank `b`; `policy_pre`
    /// marks a row-policy precharge (the timeout policy waits for its timeout).
    fn ready_at(&self, b: usize, cmd: Command, policy_pre: bool, now: u64) -> u64 {
        let t = &self.t;
        let r = b / self.banks_per_rank;
        let g = self.group(b);
        let c = r / self.ranks_per_channel;
        let (bank, rank, ch) = (&self.banks[b], &self.ranks[r], &self.channels[c]);
        let base = now.max(ch.cmd_free).max(rank.blocked_until);
        // The data bus: a rank switch leaves tRTRS, a read-to-write switch tRTW.
        let switch = ch.last_rank.is_some_and(|l| l != r);
        let rtrs = if switch { t.rtrs } else { 0 };
        let at = match cmd {
            Command::Activate => {
                let faw = if rank.acts >= 4 { rank.faw[(rank.acts % 4) as usize] + t.faw } else { 0 };
                base.max(bank.next_act).max(rank.next_act).max(rank.group_next_act[g]).max(faw)
            }
            Command::Precharge => {
                let timeout = if policy_pre && self.policy.row_policy == RowPolicy::Timeout {
                    bank.last_col + self.policy.row_timeout
                } else {
                    0
                };
                base.max(bank.next_pre).max(timeout)
            }
            Command::Read => base
                .max(bank.next_rd)
                .max(ch.next_col)
                .max(rank.group_next_col[g])
                .max(rank.next_rd)
                .max(rank.group_next_rd[g])
                .max((ch.bus_free + rtrs).saturating_sub(t.cl)),
            Command::Write => {
                let gap = rtrs.max(if ch.last_read { t.rtw } else { 0 });
                base.max(bank.next_wr)
                    .max(ch.next_col)
                    .max(rank.group_next_col[g])
                    .max((ch.bus_free + gap).saturating_sub(t.cwl))
            }
        };
        t.edge(at)
    }

    fn issue(&mut self, b: usize, idx: Option<usize>, cmd: Command, now: u64, out: &mut Vec<Issued>) {
        let t = self.t;
        let r = b / self.banks_per_rank;
        let g = self.group(b);
        let c = r / self.ranks_per_channel;
        self.channels[c].cmd_free = now
            + match cmd {
                Command::Activate => t.act_cmd,
                Command::Precharge => t.pre_cmd,
                Command::Read | Command::Write => t.col_cmd,
            };
        let bank = &mut self.banks[b];
        let mut done = now;
        let mut slot = NO_SLOT;
        match cmd {
            Command::Activate => {
                let front = &mut bank.queue[idx.expect("an ACT serves a burst")];
                if front.class == RowClass::Hit {
                    front.class = RowClass::Miss;
                }
                slot = front.slot;
                bank.open = Some(front.row);
                bank.bypasses = 0;
                bank.next_rd = now + t.rcd;
                bank.next_wr = now + t.rcd;
                bank.next_pre = now + t.ras;
                bank.next_act = now + t.ras + t.rp;
                let rank = &mut self.ranks[r];
                rank.next_act = now + t.rrd;
                rank.group_next_act[g] = now + t.rrd_l;
                rank.faw[(rank.acts % 4) as usize] = now;
                rank.acts += 1;
                if rank.open_banks == 0 {
                    rank.active_since = now;
                }
                rank.open_banks += 1;
                self.stats.activates += 1;
            }
            Command::Precharge => {
                if let Some(i) = idx {
                    let front = &mut bank.queue[i];
                    front.class = RowClass::Conflict;
                    slot = front.slot;
                }
                bank.open = None;
                bank.next_act = bank.next_act.max(now + t.rp);
                self.close_one(r, now);
                let rank = &mut self.ranks[r];
                if rank.queued == 0 {
                    rank.idle_since = rank.idle_since.max(now + t.pre_cmd);
                }
                self.stats.precharges += 1;
            }
            Command::Read | Command::Write => {
                let i = idx.expect("a column command serves a burst");
                let burst = bank.queue.remove(i).expect("the picked burst is queued");
                if i > 0 {
                    bank.bypasses += 1;
                }
                bank.last_col = now;
                self.queued -= 1;
                bank.accesses += 1;
                slot = burst.slot;
                match burst.class {
                    RowClass::Hit => self.stats.row_hits += 1,
                    RowClass::Miss => self.stats.row_misses += 1,
                    RowClass::Conflict => self.stats.row_conflicts += 1,
                }
                let read = cmd == Command::Read;
                let start = now + if read { t.cl } else { t.cwl };
                done = start + t.burst;
                if read {
                    bank.next_pre = bank.next_pre.max(now + t.rtp);
                } else {
                    bank.next_pre = bank.next_pre.max(done + t.wr);
                }
                let ch = &mut self.channels[c];
                if ch.busy_ps > 0 && ch.last_read != read {
                    self.stats.turnarounds += 1;
                }
                ch.next_col = now + t.ccd;
                ch.bus_free = done;
                ch.busy_ps += t.burst;
                ch.last_read = read;
                ch.last_rank = Some(r);
                if read {
                    ch.reads -= 1;
                } else {
                    ch.writes -= 1;
                }
                let rank = &mut self.ranks[r];
                rank.group_next_col[g] = now + t.ccd_l;
                if !read {
                    rank.next_rd = rank.next_rd.max(done + t.wtr);
                    rank.group_next_rd[g] = rank.group_next_rd[g].max(done + t.wtr_l);
                }
                rank.queued -= 1;
                if rank.queued == 0 {
                    rank.idle_since = done;
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
}

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;
