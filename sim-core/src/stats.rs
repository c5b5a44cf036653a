//! Statistics: counters, histograms and time-weighted averages under hierarchical names
//! (`chip0.dram.row_hits`), and a plain snapshot that the edge serialises.
//!
//! Components keep their statistics as ordinary fields (an increment is an add, nothing
//! more) and write them out in [`Component::finish`](crate::Component::finish) through a
//! [`StatsWriter`], which prefixes every name with the instance name. The kernel adds its own
//! per-component and per-channel figures under the same names.

use crate::clock::{ClockDomain, ClockId};
use crate::time::SimTime;

/// A log-linear histogram of `u64` samples: exact below 32, then 32 buckets per power of two
/// (relative error of a percentile under 3.2%). Count, sum, min and max are exact.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

fn bucket_of(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // >= SUB_BITS
    let m = (v >> (e - SUB_BITS)) & (SUB - 1);
    ((e - SUB_BITS + 1) as u64 * SUB + m) as usize
}

/// The smallest value that falls in bucket `i`.
fn bucket_floor(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let e = i / SUB - 1 + u64::from(SUB_BITS);
    let m = i % SUB;
    (1u64 << e) | (m << (e - u64::from(SUB_BITS)))
}

impl Histogram {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        self.record_n(v, 1);
    }

    /// Records `n` samples of value `v`.
    pub fn record_n(&mut self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        let b = bucket_of(v);
        if b >= self.buckets.len() {
            self.buckets.resize(b + 1, 0);
        }
        self.buckets[b] += n;
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.count += n;
        self.sum += u128::from(v) * u128::from(n);
    }

    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
    }

    pub fn count(&self) -> u64 {
        self.count
    }
    pub fn sum(&self) -> u128 {
        self.sum
    }
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The value at quantile `q` in `[0, 1]` (nearest rank), to bucket precision, clamped to
    /// the exact min and max. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.buckets.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_floor(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

/// A time-weighted average of a piecewise-constant signal (queue occupancy, power, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeAverage {
    start: u64,
    last: u64,
    value: f64,
    integral: f64,
    max: f64,
}

impl TimeAverage {
    /// A signal that starts at `value` at time `start`.
    pub fn new(start: SimTime, value: f64) -> Self {
        TimeAverage { start: start.0, last: start.0, value, integral: 0.0, max: value }
    }

    fn advance(&mut self, now: SimTime) {
        let now = now.0.max(self.last);
        self.integral += self.value * (now - self.last) as f64;
        self.last = now;
    }

    /// The signal takes `value` from `now` on.
    pub fn set(&mut self, now: SimTime, value: f64) {
        self.advance(now);
        self.value = value;
        self.max = self.max.max(value);
    }

    /// The signal changes by `delta` at `now`.
    pub fn add(&mut self, now: SimTime, delta: f64) {
        let v = self.value + delta;
        self.set(now, v);
    }

    pub fn current(&self) -> f64 {
        self.value
    }

    /// Mean over `[start, now]`; the current value if no time has passed.
    pub fn mean(&self, now: SimTime) -> f64 {
        let now = now.0.max(self.last);
        let span = now - self.start;
        if span == 0 {
            return self.value;
        }
        (self.integral + self.value * (now - self.last) as f64) / span as f64
    }

    /// Integral of the signal over `[start, now]` in value × picoseconds.
    pub fn integral(&self, now: SimTime) -> f64 {
        let now = now.0.max(self.last);
        self.integral + self.value * (now - self.last) as f64
    }

    pub fn max(&self) -> f64 {
        self.max
    }
}

/// Summary of a histogram as it appears in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSummary {
    pub count: u64,
    pub mean: f64,
    pub min: u64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

impl From<&Histogram> for HistogramSummary {
    fn from(h: &Histogram) -> Self {
        HistogramSummary {
            count: h.count(),
            mean: h.mean().unwrap_or(0.0),
            min: h.min().unwrap_or(0),
            p50: h.quantile(0.50).unwrap_or(0),
            p95: h.quantile(0.95).unwrap_or(0),
            p99: h.quantile(0.99).unwrap_or(0),
            max: h.max().unwrap_or(0),
        }
    }
}

/// One statistic in a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub enum StatValue {
    /// An event count.
    Counter(u64),
    /// A measured or derived quantity (unit in the statistic's name).
    Value(f64),
    Histogram(HistogramSummary),
    /// Time-weighted mean and maximum of a signal.
    TimeAverage {
        mean: f64,
        max: f64,
    },
    /// Values per time window of `step_ps` from time zero (energy per window, ...).
    Series {
        step_ps: u64,
        values: Vec<f64>,
    },
    /// A rate or share, `num / den` (0 when `den` is 0): a row-hit rate, a utilisation, a
    /// bandwidth (bytes over seconds). Kept as its two terms so that instances pool.
    Ratio {
        num: f64,
        den: f64,
    },
    /// A quantity that does not add across instances: a span of time, a peak, a capacity.
    Extent(f64),
}

/// How the same statistic of several instances combines into one figure. A summary names
/// the rule beside each statistic, so that nobody reads a sum of rates as a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// Counts and energies: the sum.
    Sum,
    /// Rates and shares: Σnum / Σden over the instances (pooled, not averaged).
    Pooled,
    /// Spans, peaks and capacities: the largest.
    Max,
}

impl Aggregate {
    /// The rule as a reader sees it beside a figure.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Pooled => "pooled",
            Aggregate::Max => "max",
        }
    }
}

impl StatValue {
    /// How this statistic combines across instances; `None` for distributions and series,
    /// which a single figure would misrepresent.
    pub fn aggregate(&self) -> Option<Aggregate> {
        match self {
            StatValue::Counter(_) | StatValue::Value(_) => Some(Aggregate::Sum),
            StatValue::Ratio { .. } => Some(Aggregate::Pooled),
            StatValue::Extent(_) => Some(Aggregate::Max),
            StatValue::Histogram(_) | StatValue::TimeAverage { .. } | StatValue::Series { .. } => None,
        }
    }

    /// The ratio `num / den`, 0 for an empty denominator (no accesses: no rate).
    pub fn ratio(num: f64, den: f64) -> f64 {
        if den == 0.0 {
            0.0
        } else {
            num / den
        }
    }
}

/// Combines the statistics of several instances by each one's [`Aggregate`] rule. `None`
/// when they are not all of one combinable kind.
pub fn combine<'a>(values: impl IntoIterator<Item = &'a StatValue>) -> Option<(Aggregate, f64)> {
    let mut rule = None;
    let (mut sum, mut num, mut den, mut max) = (0.0, 0.0, 0.0, f64::NEG_INFINITY);
    for v in values {
        let r = v.aggregate()?;
        if rule.is_some_and(|x| x != r) {
            return None;
        }
        rule = Some(r);
        match v {
            StatValue::Counter(c) => sum += *c as f64,
            StatValue::Value(x) => sum += x,
            StatValue::Ratio { num: n, den: d } => (num, den) = (num + n, den + d),
            StatValue::Extent(x) => max = f64::max(max, *x),
            _ => return None,
        }
    }
    rule.map(|r| match r {
        Aggregate::Sum => (r, sum),
        Aggregate::Pooled => (r, StatValue::ratio(num, den)),
        Aggregate::Max => (r, max),
    })
}

/// All statistics of a run, in a fixed order: components by rank, then the order each
/// component wrote them. Bit-identical for identical runs on any thread count.
#[derive(Clone, Debug, Default)]
pub struct StatsSnapshot {
    entries: Vec<(String, StatValue)>,
    /// Name -> first entry with it, built at the first lookup after a change: lookups by
    /// name are O(1), so reading every instance's statistics is linear in their number
    /// (a scan per lookup made 65,536 PHOLD LPs take half a minute).
    index: std::sync::OnceLock<std::collections::HashMap<String, usize>>,
}

impl PartialEq for StatsSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl StatsSnapshot {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &StatValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn get(&self, name: &str) -> Option<&StatValue> {
        let index = self.index.get_or_init(|| {
            let mut m = std::collections::HashMap::with_capacity(self.entries.len());
            for (i, (k, _)) in self.entries.iter().enumerate() {
                m.entry(k.clone()).or_insert(i);
            }
            m
        });
        index.get(name).map(|&i| &self.entries[i].1)
    }
    /// The counter `name`, if it exists and is a counter.
    pub fn counter(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            StatValue::Counter(c) => Some(*c),
            _ => None,
        }
    }
    /// The value `name` as a float (counters convert).
    pub fn value(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            StatValue::Counter(c) => Some(*c as f64),
            StatValue::Value(v) => Some(*v),
            StatValue::TimeAverage { mean, .. } => Some(*mean),
            StatValue::Histogram(h) => Some(h.mean),
            StatValue::Series { values, .. } => Some(values.iter().sum()),
            StatValue::Ratio { num, den } => Some(StatValue::ratio(*num, *den)),
            StatValue::Extent(x) => Some(*x),
        }
    }
    /// Entries whose name starts with `prefix` (e.g. one instance's statistics).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a StatValue)> {
        self.iter().filter(move |(k, _)| k.starts_with(prefix))
    }
    pub(crate) fn extend(&mut self, other: StatsSnapshot) {
        self.entries.extend(other.entries);
        self.index = std::sync::OnceLock::new();
    }
    pub(crate) fn push(&mut self, name: String, v: StatValue) {
        self.entries.push((name, v));
        self.index = std::sync::OnceLock::new();
    }
}

/// Writes one instance's statistics into a snapshot, prefixing names with the instance name.
pub struct StatsWriter<'a> {
    prefix: &'a str,
    now: SimTime,
    out: &'a mut StatsSnapshot,
    clocks: &'a [ClockDomain],
}

impl<'a> StatsWriter<'a> {
    pub(crate) fn new(prefix: &'a str, now: SimTime, out: &'a mut StatsSnapshot, clocks: &'a [ClockDomain]) -> Self {
        StatsWriter { prefix, now, out, clocks }
    }

    /// Simulated time at which the statistics are taken.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// A clock domain as it ended the run (with its whole period history), for figures
    /// integrated over time.
    pub fn clock(&self, id: ClockId) -> &ClockDomain {
        &self.clocks[id.0 as usize]
    }

    fn name(&self, name: &str) -> String {
        let mut s = String::with_capacity(self.prefix.len() + 1 + name.len());
        s.push_str(self.prefix);
        s.push('.');
        s.push_str(name);
        s
    }

    pub fn counter(&mut self, name: &str, v: u64) {
        let n = self.name(name);
        self.out.push(n, StatValue::Counter(v));
    }
    pub fn value(&mut self, name: &str, v: f64) {
        let n = self.name(name);
        self.out.push(n, StatValue::Value(v));
    }
    /// A rate or share as its two terms (`row_hits` over bursts); see [`StatValue::Ratio`].
    pub fn ratio(&mut self, name: &str, num: f64, den: f64) {
        let n = self.name(name);
        self.out.push(n, StatValue::Ratio { num, den });
    }
    /// A span, peak or capacity; see [`StatValue::Extent`].
    pub fn extent(&mut self, name: &str, v: f64) {
        let n = self.name(name);
        self.out.push(n, StatValue::Extent(v));
    }
    pub fn histogram(&mut self, name: &str, h: &Histogram) {
        let n = self.name(name);
        self.out.push(n, StatValue::Histogram(h.into()));
    }
    pub fn series(&mut self, name: &str, step_ps: u64, values: Vec<f64>) {
        let n = self.name(name);
        self.out.push(n, StatValue::Series { step_ps, values });
    }

    pub fn time_average(&mut self, name: &str, t: &TimeAverage) {
        let n = self.name(name);
        let v = StatValue::TimeAverage { mean: t.mean(self.now), max: t.max() };
        self.out.push(n, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_round_trip() {
        for v in [0u64, 1, 31, 32, 33, 63, 64, 100, 1_000, 123_456_789, u64::MAX] {
            let b = bucket_of(v);
            let lo = bucket_floor(b);
            assert!(lo <= v, "{v}: floor {lo}");
            assert_eq!(bucket_of(lo), b, "{v}");
            if v >= SUB {
                assert!((v - lo) as f64 / v as f64 <= 1.0 / SUB as f64);
            }
        }
    }

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::new();
        for v in 1..=100u64 {
            h.record(v);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.min(), Some(1));
        assert_eq!(h.max(), Some(100));
        assert_eq!(h.quantile(0.0), Some(1));
        let p50 = h.quantile(0.5).unwrap();
        assert!((48..=50).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99).unwrap();
        assert!((96..=99).contains(&p99), "{p99}");
        assert_eq!(h.quantile(1.0), Some(100));
        assert_eq!(Histogram::new().quantile(0.5), None);
    }

    #[test]
    fn rates_pool_spans_take_the_largest_counts_add() {
        // Two controllers: 90 hits of 100 bursts and 10 of 100. Pooled 100/200, not 1.0.
        let a = [StatValue::Ratio { num: 90.0, den: 100.0 }, StatValue::Ratio { num: 10.0, den: 100.0 }];
        assert_eq!(combine(&a), Some((Aggregate::Pooled, 0.5)));
        let s = [StatValue::Extent(7.0), StatValue::Extent(5.0)];
        assert_eq!(combine(&s), Some((Aggregate::Max, 7.0)));
        let c = [StatValue::Counter(3), StatValue::Counter(4)];
        assert_eq!(combine(&c), Some((Aggregate::Sum, 7.0)));
        assert_eq!(combine(&[StatValue::Counter(1), StatValue::Extent(1.0)]), None);
        assert_eq!(combine(&[StatValue::Ratio { num: 0.0, den: 0.0 }]), Some((Aggregate::Pooled, 0.0)));
    }

    #[test]
    fn time_average_weights_by_duration() {
        let mut t = TimeAverage::new(SimTime(0), 0.0);
        t.set(SimTime(10), 4.0);
        t.set(SimTime(30), 1.0);
        // 0 for 10 ps, 4 for 20 ps, 1 for 10 ps: (0 + 80 + 10) / 40.
        assert_eq!(t.mean(SimTime(40)), 90.0 / 40.0);
        assert_eq!(t.max(), 4.0);
    }
}
