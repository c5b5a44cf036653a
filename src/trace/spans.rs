//! Accounting for the address span of a request in time independent of its size, so that
//! `tasim trace stats` works per request: a converted trace may hold requests of gigabytes
//! (a Ramulator line with a huge `--bytes`), and a loop per line or per burst of each took
//! 20 s for ten requests.

use std::collections::BTreeMap;

use components::dram::{AddressMapping, Config, Location};

/// Lines touched so far: one bit per line for lines touched piecemeal, grouped in words of
/// 64 lines, plus ranges of whole words touched by large requests. A word lives in one of
/// the two, never both.
#[derive(Debug, Default)]
pub struct Footprint {
    /// Word index (line / 64) -> bit per line.
    words: BTreeMap<u64, u64>,
    /// Whole words touched: start word -> end word (exclusive); disjoint, not adjacent.
    full: BTreeMap<u64, u64>,
    /// Line touches, and touches of a line touched before.
    pub touches: u64,
    pub reused: u64,
}

/// Bits `from..to` (within one word) set.
fn bits(from: u64, to: u64) -> u64 {
    let hi = if to >= 64 { u64::MAX } else { (1u64 << to) - 1 };
    hi & !((1u64 << from) - 1)
}

impl Footprint {
    /// Touches lines `[a, b)`.
    pub fn touch(&mut self, a: u64, b: u64) {
        if b <= a {
            return;
        }
        self.touches += b - a;
        let (fa, fb) = (a.div_ceil(64), b / 64);
        if fa >= fb {
            // Within one word or across one word boundary: at most two words.
            for w in a / 64..b.div_ceil(64) {
                let (lo, hi) = (a.max(w * 64) - w * 64, b.min(w * 64 + 64) - w * 64);
                self.touch_bits(w, bits(lo, hi));
            }
            return;
        }
        if a % 64 != 0 {
            self.touch_bits(a / 64, bits(a % 64, 64));
        }
        if b % 64 != 0 {
            self.touch_bits(fb, bits(0, b % 64));
        }
        self.touch_words(fa, fb);
    }

    fn in_full(&self, w: u64) -> bool {
        self.full.range(..=w).next_back().is_some_and(|(_, &e)| e > w)
    }

    fn touch_bits(&mut self, w: u64, mask: u64) {
        if !self.full.is_empty() && self.in_full(w) {
            self.reused += u64::from(mask.count_ones());
            return;
        }
        let word = self.words.entry(w).or_insert(0);
        self.reused += u64::from((*word & mask).count_ones());
        *word |= mask;
    }

    /// Touches whole words `[fa, fb)`: merges with the ranges it meets and absorbs the
    /// partial words inside (each range and word is merged once: amortised per request).
    fn touch_words(&mut self, fa: u64, fb: u64) {
        let (mut start, mut end) = (fa, fb);
        let meeting: Vec<(u64, u64)> = match self.full.range(..fa).next_back() {
            Some((&s, &e)) if e >= fa => {
                std::iter::once((s, e)).chain(self.full.range(fa..=fb).map(|(&s, &e)| (s, e))).collect()
            }
            _ => self.full.range(fa..=fb).map(|(&s, &e)| (s, e)).collect(),
        };
        for (s, e) in meeting {
            self.reused += 64 * e.min(fb).saturating_sub(s.max(fa));
            start = start.min(s);
            end = end.max(e);
            self.full.remove(&s);
        }
        let inside: Vec<(u64, u64)> = self.words.range(fa..fb).map(|(&w, &m)| (w, m)).collect();
        for (w, m) in inside {
            self.reused += u64::from(m.count_ones());
            self.words.remove(&w);
        }
        self.full.insert(start, end);
    }

    /// Distinct lines touched.
    pub fn lines(&self) -> u64 {
        let partial: u64 = self.words.values().map(|w| u64::from(w.count_ones())).sum();
        partial + 64 * self.full.iter().map(|(s, e)| e - s).sum::<u64>()
    }
}

/// Bursts per bank of a memory (index `(channel * ranks + rank) * banks + bank`).
pub struct BankCounter<'a> {
    mapping: &'a AddressMapping,
    burst_bytes: u64,
    ranks: u32,
    banks: u32,
    /// Bits of a burst index that select channel, rank and bank.
    mask: u64,
    /// Per bank: its index and the burst-index bits that select it.
    patterns: Vec<(usize, u64)>,
    pub counts: Vec<u64>,
}

/// Requests of up to this many bursts are counted burst by burst.
const SMALL_BURSTS: u64 = 64;

impl<'a> BankCounter<'a> {
    pub fn new(memory: &'a Config) -> Self {
        let g = &memory.geometry;
        let (mapping, burst_bytes) = (&memory.mapping, u64::from(g.burst_bytes));
        let (channels, ranks, banks) = (g.channels, g.ranks, g.banks);
        let burst_bits = burst_bytes.trailing_zeros();
        let select =
            |channel, rank, bank| mapping.encode(Location { channel, rank, bank, row: 0, column: 0 }) >> burst_bits;
        let mut patterns = Vec::new();
        for c in 0..channels {
            for r in 0..ranks {
                for b in 0..banks {
                    patterns.push((((c * ranks + r) * banks + b) as usize, select(c, r, b)));
                }
            }
        }
        BankCounter {
            mapping,
            burst_bytes,
            ranks,
            banks,
            mask: select(u32::MAX, u32::MAX, u32::MAX),
            counts: vec![0; (channels * ranks * banks) as usize],
            patterns,
        }
    }

    /// Counts the bursts of the bytes `[addr, end)`.
    pub fn add(&mut self, addr: u64, end: u64) {
        let (lo, hi) = (addr / self.burst_bytes, end.div_ceil(self.burst_bytes));
        if hi - lo <= SMALL_BURSTS {
            for b in lo..hi {
                let loc = self.mapping.decode(b * self.burst_bytes);
                let i = ((loc.channel * self.ranks + loc.rank) * self.banks + loc.bank) as usize;
                if let Some(n) = self.counts.get_mut(i) {
                    *n += 1;
                }
            }
            return;
        }
        for &(i, v) in &self.patterns {
            self.counts[i] += matching_below(hi, self.mask, v) - matching_below(lo, self.mask, v);
        }
    }
}

/// How many `x` in `[0, n)` have `x & mask == value` (`value` within `mask`): per bit of `n`
/// set, the numbers that agree with `n` above it, have 0 there and anything below.
fn matching_below(n: u64, mask: u64, value: u64) -> u64 {
    let mut count = 0u64;
    for i in (0..64).rev() {
        let bit = 1u64 << i;
        if n & bit == 0 {
            continue;
        }
        let above = if i == 63 { 0 } else { u64::MAX << (i + 1) };
        let fixed = above | bit;
        if (n & above & mask) == (value & fixed) {
            let free = ((bit - 1) & !mask).count_ones();
            count += 1u64 << free;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-by-line bitmap the footprint replaces.
    fn naive(touches: &[(u64, u64)]) -> (u64, u64, u64) {
        let mut seen = std::collections::HashSet::new();
        let (mut t, mut r) = (0, 0);
        for &(a, b) in touches {
            for l in a..b {
                t += 1;
                if !seen.insert(l) {
                    r += 1;
                }
            }
        }
        (t, r, seen.len() as u64)
    }

    #[test]
    fn footprint_matches_a_line_by_line_count() {
        let cases: Vec<Vec<(u64, u64)>> = vec![
            vec![(0, 1), (0, 1), (5, 7), (63, 65)],
            vec![(10, 300), (0, 64), (200, 700), (64, 128), (5, 6), (690, 1000), (1000, 1001)],
            vec![(1, 2), (3, 4), (100, 200), (0, 1000), (0, 1000), (999, 1300)],
            vec![(128, 256), (0, 64), (64, 128), (256, 320), (70, 71)],
        ];
        for touches in cases {
            let mut f = Footprint::default();
            for &(a, b) in &touches {
                f.touch(a, b);
            }
            assert_eq!((f.touches, f.reused, f.lines()), naive(&touches), "{touches:?}");
        }
    }

    #[test]
    fn a_huge_request_costs_no_more_than_a_small_one() {
        let mut f = Footprint::default();
        f.touch(0, 1 << 40);
        f.touch(1 << 39, (1 << 40) + 3);
        assert_eq!((f.touches, f.reused, f.lines()), ((1 << 40) + (1 << 39) + 3, 1 << 39, (1 << 40) + 3));
        assert!(f.full.len() + f.words.len() <= 2);
    }

    #[test]
    fn counting_by_bit_pattern_matches_enumeration() {
        for (mask, value) in [(0b1010u64, 0b1000u64), (0b111, 0b101), (0, 0), (0b1_1000_0000, 0b1_0000_0000)] {
            for n in [0u64, 1, 7, 8, 9, 100, 511, 512, 1000] {
                let want = (0..n).filter(|x| x & mask == value).count() as u64;
                assert_eq!(matching_below(n, mask, value), want, "n {n} mask {mask:b} value {value:b}");
            }
        }
    }
}
