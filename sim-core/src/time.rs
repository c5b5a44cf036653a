//! Simulated time: integer picoseconds, never floats.
//!
//! The range is `u64` picoseconds (about 213 days). [`SimTime::MAX`] is the *end of time*: no
//! event happens there. Adding a duration to a time saturates at the end of time instead of
//! wrapping, and the kernel refuses to schedule an event there: the run ends with an error
//! naming the component ([`crate::SimError::Aborted`]). Values read from input (parameters,
//! trace times) are limited to [`SimDuration::INPUT_LIMIT`], half the range, so that a time
//! plus one such span cannot saturate.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in picoseconds since the start of the simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in picoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// Why a number read from input is not a simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeValueError {
    #[error("must be a finite number >= 0")]
    NotATime,
    #[error("is beyond the simulator's time range for inputs (9e18 ps, about 104 days)")]
    TooLarge,
    #[error("is finer than the 1 ps time resolution")]
    TooFine,
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time: `run_until(SimTime::MAX)` runs until no event is left.
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_ps(ps: u64) -> Self {
        SimTime(ps)
    }
    pub const fn from_ns(ns: u64) -> Self {
        SimTime(ns * 1_000)
    }
    pub const fn as_ps(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for reports only (never for scheduling).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-12
    }
    /// `self + d`, saturating at [`SimTime::MAX`] instead of wrapping.
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// `self + d`, or `None` at or past the end of time.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(t) if t < u64::MAX => Some(SimTime(t)),
            _ => None,
        }
    }
    /// Whether this is the end of time ([`SimTime::MAX`]), where no event may happen.
    pub const fn is_end(self) -> bool {
        self.0 == u64::MAX
    }
    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    /// The largest time or duration accepted from input: 9e18 ps (9,000,000 s, about 104
    /// days), just under half the `u64` range, so that any input time plus any input span
    /// stays below the end of time.
    pub const INPUT_LIMIT: SimDuration = SimDuration(9_000_000_000_000_000_000);

    pub const fn ps(ps: u64) -> Self {
        SimDuration(ps)
    }
    pub const fn ns(ns: u64) -> Self {
        SimDuration(ns * 1_000)
    }
    pub const fn us(us: u64) -> Self {
        SimDuration(us * 1_000_000)
    }
    pub const fn as_ps(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-12
    }
    /// `value` units of `ps_per_unit` picoseconds each (1e3 for ns), checked: finite, not
    /// negative, at most [`SimDuration::INPUT_LIMIT`], and a whole number of picoseconds
    /// (within 1e-6 relative, what an f64 decimal such as 0.1 ns keeps).
    pub fn from_units(value: f64, ps_per_unit: f64) -> Result<SimDuration, TimeValueError> {
        if !value.is_finite() || value < 0.0 {
            return Err(TimeValueError::NotATime);
        }
        let ps = value * ps_per_unit;
        if ps > Self::INPUT_LIMIT.0 as f64 {
            return Err(TimeValueError::TooLarge);
        }
        let rounded = ps.round();
        if (ps - rounded).abs() > 1e-6 * rounded.max(1.0) {
            return Err(TimeValueError::TooFine);
        }
        Ok(SimDuration(rounded as u64))
    }
    /// Whole picoseconds from input, checked against [`SimDuration::INPUT_LIMIT`].
    pub fn from_input_ps(ps: u64) -> Result<SimDuration, TimeValueError> {
        if ps > Self::INPUT_LIMIT.0 {
            return Err(TimeValueError::TooLarge);
        }
        Ok(SimDuration(ps))
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// Saturates at the end of time ([`SimTime::MAX`]) instead of wrapping.
impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

/// Saturates at the end of time ([`SimTime::MAX`]) instead of wrapping.
impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        *self = self.saturating_add(d);
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(self.0 - rhs.0)
    }
}

/// Saturates at `u64::MAX` picoseconds instead of wrapping.
impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ps(self.0, f)
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ps(self.0, f)
    }
}

/// Prints picoseconds in the largest unit that keeps the value exact-looking (`1.5 ns`, `20 us`).
fn fmt_ps(ps: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const UNITS: [(u64, &str); 5] =
        [(1_000_000_000_000, "s"), (1_000_000_000, "ms"), (1_000_000, "us"), (1_000, "ns"), (1, "ps")];
    if ps == u64::MAX {
        return f.write_str("end of time");
    }
    for (scale, unit) in UNITS {
        if ps >= scale || scale == 1 {
            if ps % scale == 0 {
                return write!(f, "{} {unit}", ps / scale);
            }
            return write!(f, "{:.3} {unit}", ps as f64 / scale as f64);
        }
    }
    unreachable!("the last unit has scale 1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_a_readable_unit() {
        assert_eq!(SimTime(0).to_string(), "0 ps");
        assert_eq!(SimTime(1_500).to_string(), "1.500 ns");
        assert_eq!(SimTime(20_000_000).to_string(), "20 us");
        assert_eq!(SimDuration::ns(3).to_string(), "3 ns");
        assert_eq!(SimTime::MAX.to_string(), "end of time");
    }

    #[test]
    fn arithmetic() {
        let t = SimTime::from_ns(2) + SimDuration::ps(5);
        assert_eq!(t.as_ps(), 2_005);
        assert_eq!(t - SimTime::from_ns(1), SimDuration::ps(1_005));
        assert_eq!(SimTime::MAX.saturating_add(SimDuration::ns(1)), SimTime::MAX);
        assert_eq!(SimTime(5).since(SimTime(9)), SimDuration::ZERO);
    }

    #[test]
    fn sums_stop_at_the_end_of_time() {
        let near = SimTime(u64::MAX - 3);
        assert_eq!(near + SimDuration::ps(10), SimTime::MAX);
        assert!((near + SimDuration::ps(10)).is_end());
        assert_eq!(near.checked_add(SimDuration::ps(2)), Some(SimTime(u64::MAX - 1)));
        assert_eq!(near.checked_add(SimDuration::ps(3)), None);
        let limit = SimTime(SimDuration::INPUT_LIMIT.as_ps());
        assert!(limit.checked_add(SimDuration::INPUT_LIMIT).is_some());
        assert_eq!(SimDuration::ps(u64::MAX) + SimDuration::ps(1), SimDuration::ps(u64::MAX));
    }

    #[test]
    fn input_values_are_checked() {
        assert_eq!(SimDuration::from_units(1.5, 1e3), Ok(SimDuration::ps(1_500)));
        assert_eq!(SimDuration::from_units(-1.0, 1e3), Err(TimeValueError::NotATime));
        assert_eq!(SimDuration::from_units(f64::NAN, 1.0), Err(TimeValueError::NotATime));
        assert_eq!(SimDuration::from_units(0.0004, 1e3), Err(TimeValueError::TooFine));
        assert_eq!(SimDuration::from_units(1e19, 1.0), Err(TimeValueError::TooLarge));
        assert_eq!(SimDuration::from_input_ps(u64::MAX), Err(TimeValueError::TooLarge));
        assert_eq!(SimDuration::from_input_ps(9_000_000_000_000_000_000), Ok(SimDuration::INPUT_LIMIT));
    }
}
