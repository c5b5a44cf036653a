//! The pending-event set: a radix heap on time, and the current instant's events in key order.
//!
//! Event times are monotone (nothing is scheduled before the event being handled), which a
//! radix heap exploits: an event waits in the bucket of the highest bit in which its time
//! differs from `last` (the time of the latest event popped), so a push is an XOR, a
//! leading-zero count and a `Vec::push` (and a minimum kept per bucket). When the current
//! instant runs dry, the lowest non-empty bucket's earliest time becomes `last`, and its events
//! move down to lower buckets; each event moves a few times in its life instead of sifting
//! through a binary heap of thousands. Events *at* `last` are ordered by the full
//! [`EventKey`], which provides the tie-breaking order among equal times: those that arrived
//! when `last` advanced are sorted once, those pushed during the instant wait in a small
//! binary heap, and a pop takes the earlier of the two heads.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::observer::EventKey;

/// What happens when an event fires.
pub(crate) enum Kind<M> {
    /// Deliver `msg` to input port `port` of local component `comp`.
    Deliver { comp: u32, port: u16, msg: M },
    /// Fire timer `tag` of local component `comp`.
    Timer { comp: u32, tag: u64 },
    /// A released slot returns to channel `chan`, owned by this engine.
    Credit { chan: u32 },
}

pub(crate) struct Event<M> {
    pub key: EventKey,
    pub kind: Kind<M>,
}

impl<M> PartialEq for Event<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<M> Eq for Event<M> {}
impl<M> PartialOrd for Event<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Event<M> {
    /// Reversed, so that the std max-heap pops the smallest key first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Pending events, smallest key first. Every pushed time must be at least the time of the
/// latest event popped.
pub(crate) struct EventQueue<M> {
    last: u64,
    current: BinaryHeap<Event<M>>,
    /// The events that became current when `last` advanced, sorted by key, last first (so
    /// `pop` takes the earliest). All were sent before `last`, so they usually all precede
    /// what is pushed during the instant (its send time is `last`); one sort of the batch
    /// is cheaper than sifting each into `current`. `pop` still compares both heads.
    arrived: Vec<Event<M>>,
    /// `buckets[b]`: events whose time differs from `last` first at bit `b`.
    buckets: Vec<Vec<Event<M>>>,
    /// Bit `b` set when `buckets[b]` is not empty.
    occupied: u64,
    /// `mins[b]`: the earliest time in `buckets[b]` (meaningful while it is occupied). Kept
    /// on push so that asking for the next time is O(1): a partitioned run asks at the end of
    /// every window, and a scan of the lowest bucket there (thousands of PHOLD events) is
    /// not paid back by the `advance` that follows it in a sequential run.
    mins: [u64; 64],
}

impl<M> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            last: 0,
            current: BinaryHeap::new(),
            arrived: Vec::new(),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            occupied: 0,
            mins: [u64::MAX; 64],
        }
    }

    #[inline]
    pub fn push(&mut self, ev: Event<M>) {
        let t = ev.key.time;
        debug_assert!(t >= self.last, "event at {t} pushed after time {}", self.last);
        if t == self.last {
            self.current.push(ev);
        } else {
            let b = 63 - (t ^ self.last).leading_zeros() as usize;
            self.put(b, ev);
        }
    }

    #[inline]
    fn put(&mut self, b: usize, ev: Event<M>) {
        let t = ev.key.time;
        if self.occupied & (1 << b) == 0 {
            self.occupied |= 1 << b;
            self.mins[b] = t;
        } else if t < self.mins[b] {
            self.mins[b] = t;
        }
        self.buckets[b].push(ev);
    }

    /// Earliest time in the lowest occupied bucket (the next instant), if any.
    fn lowest_bucket_min(&self) -> Option<(usize, u64)> {
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize;
        Some((b, self.mins[b]))
    }

    /// The next event's time, or `u64::MAX` when empty.
    pub fn next_time(&self) -> u64 {
        if !self.current.is_empty() || !self.arrived.is_empty() {
            return self.last;
        }
        self.lowest_bucket_min().map_or(u64::MAX, |(_, t)| t)
    }

    /// Pops the next event if its time is before `end`. Never moves `last` past `end`, so
    /// events may still be pushed at any time from the last one popped.
    #[inline]
    pub fn pop_before(&mut self, end: u64) -> Option<Event<M>> {
        if self.current.is_empty() && self.arrived.is_empty() {
            let (b, min) = self.lowest_bucket_min()?;
            if min >= end {
                return None;
            }
            self.advance(b, min);
        } else if self.last >= end {
            return None;
        }
        match (self.arrived.last(), self.current.peek()) {
            (Some(a), Some(c)) if c.key < a.key => self.current.pop(),
            (Some(_), _) => self.arrived.pop(),
            (None, _) => self.current.pop(),
        }
    }

    /// Makes `min` (the earliest time of bucket `b`) the current instant and moves the
    /// bucket's events down.
    fn advance(&mut self, b: usize, min: u64) {
        self.last = min;
        let mut events = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << b);
        for ev in events.drain(..) {
            let t = ev.key.time;
            if t == min {
                self.arrived.push(ev);
            } else {
                let nb = 63 - (t ^ min).leading_zeros() as usize;
                self.put(nb, ev);
            }
        }
        // Keep the allocation for the next events that land in this bucket.
        self.buckets[b] = events;
        self.arrived.sort_unstable_by_key(|e| std::cmp::Reverse(e.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    fn ev(time: u64, send_time: u64, origin: u64) -> Event<()> {
        Event { key: EventKey { time, send_time, origin }, kind: Kind::Timer { comp: 0, tag: 0 } }
    }

    /// Random pushes interleaved with pops, checked against a sorted reference.
    #[test]
    fn pops_in_key_order_like_a_sorted_list() {
        let mut rng = SimRng::from_seed(11);
        let mut q = EventQueue::new();
        let mut reference: Vec<EventKey> = Vec::new();
        let mut now = 0u64;
        let mut origin = 0;
        for round in 0..20_000 {
            let pushes = rng.below(3);
            for _ in 0..pushes {
                // Mix same-instant events, near ones and far ones.
                let dt = match rng.below(4) {
                    0 => 0,
                    1 => rng.below(4),
                    2 => rng.below(1_000),
                    _ => rng.below(1 << 40),
                };
                origin += 1;
                let e = ev(now + dt, now, rng.below(8) << 40 | origin);
                reference.push(e.key);
                q.push(e);
            }
            let end = if round % 7 == 0 { now + rng.below(50) } else { u64::MAX };
            reference.sort();
            match q.pop_before(end) {
                Some(e) => {
                    assert_eq!(e.key, reference.remove(0));
                    assert!(e.key.time < end);
                    now = e.key.time;
                }
                None => assert!(reference.first().is_none_or(|k| k.time >= end)),
            }
            assert_eq!(q.next_time(), reference.first().map_or(u64::MAX, |k| k.time));
        }
    }
}
