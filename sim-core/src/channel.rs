//! Channel and fabric parameters: what a binding between ports costs in time.
//!
//! A **channel** binds one output port to one input port. A message sent at `now` with a
//! timing annotation `delay` starts serialising at `max(now + delay, busy_until)`, occupies
//! the channel for `size_bytes / bandwidth`, and arrives `latency` after its last byte left.
//! A channel with a `depth` admits at most that many messages that the receiver has not yet
//! released; a further `send` is refused and the sender gets `on_ready` once a slot returns.
//! A released slot travels back to the sender over the same latency (a credit), so a
//! depth-`d` channel sustains at most `d` messages per round trip: the bandwidth-delay rule
//! of real credit-based links.
//!
//! A **fabric** is one many-to-many channel: many output ports, many indexed input ports, one
//! latency, no bandwidth or depth (contention belongs to an explicit interconnect model).

use std::num::NonZeroU32;

use crate::clock::{ClockDomain, ClockId};
use crate::time::{SimDuration, SimTime};

/// Index of a channel in a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u32);

/// Index of a fabric in a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FabricId(pub u32);

/// How fast a channel moves bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Bandwidth {
    /// Messages take no time to serialise.
    #[default]
    Unlimited,
    /// Bytes per second: `ceil(size * 1e12 / rate)` picoseconds per message.
    BytesPerSecond(u64),
    /// Bytes per cycle of a clock domain: `ceil(size / rate)` cycles at the period in force
    /// when the message starts (so DVFS changes link speed too).
    BytesPerCycle { bytes: u64, clock: ClockId },
}

/// The parameters of a point-to-point channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChannelSpec {
    pub latency: SimDuration,
    pub bandwidth: Bandwidth,
    /// Messages the receiver has not yet released; `None` is unbounded.
    pub depth: Option<NonZeroU32>,
}

impl ChannelSpec {
    pub fn new(latency: SimDuration) -> Self {
        ChannelSpec { latency, ..Default::default() }
    }
    pub fn bandwidth(mut self, bandwidth: Bandwidth) -> Self {
        self.bandwidth = bandwidth;
        self
    }
    /// # Panics
    /// If `depth` is zero (a channel that can never carry anything).
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = Some(NonZeroU32::new(depth).expect("channel depth must be at least 1"));
        self
    }
}

impl Bandwidth {
    /// Time to serialise `bytes` starting at `start`.
    #[inline]
    pub(crate) fn serialisation(&self, bytes: u64, start: SimTime, clocks: &[ClockDomain]) -> u64 {
        if bytes == 0 {
            return 0;
        }
        match *self {
            Bandwidth::Unlimited => 0,
            Bandwidth::BytesPerSecond(rate) => {
                // Saturates at the end of time (a zero rate is refused at elaboration).
                let ps = (u128::from(bytes) * 1_000_000_000_000u128).div_ceil(u128::from(rate));
                u64::try_from(ps).unwrap_or(u64::MAX)
            }
            Bandwidth::BytesPerCycle { bytes: rate, clock } => {
                clocks[clock.0 as usize].cycles(start, bytes.div_ceil(rate)).0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialisation_rounds_up() {
        let clocks = [ClockDomain::new("clk", 1_000)];
        let per_s = Bandwidth::BytesPerSecond(3_000_000_000); // 3 GB/s
        assert_eq!(per_s.serialisation(3, SimTime(0), &clocks), 1_000);
        assert_eq!(per_s.serialisation(1, SimTime(0), &clocks), 334);
        let per_cycle = Bandwidth::BytesPerCycle { bytes: 8, clock: ClockId(0) };
        assert_eq!(per_cycle.serialisation(64, SimTime(0), &clocks), 8_000);
        assert_eq!(per_cycle.serialisation(65, SimTime(0), &clocks), 9_000);
        assert_eq!(Bandwidth::Unlimited.serialisation(1 << 30, SimTime(0), &clocks), 0);
    }
}
