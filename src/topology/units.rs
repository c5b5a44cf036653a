//! Conversions of unit-suffixed fields to the kernel's integer picoseconds, with the checks
//! that make a bad value an error instead of a silent rounding.

use components::param::readable;
use sim_core::SimDuration;

/// `value` (in units of `ps_per_unit` picoseconds) as whole picoseconds, within the
/// simulator's input time range ([`SimDuration::from_units`]).
pub fn to_ps(value: f64, ps_per_unit: f64, field: &str) -> Result<u64, String> {
    SimDuration::from_units(value, ps_per_unit)
        .map(|d| d.as_ps())
        .map_err(|e| format!("`{field}` = {} {e}", readable(value)))
}

/// Whole picoseconds written as such (`latency_ps`, `end_ps`), within the input time range.
pub fn check_ps(ps: u64, field: &str) -> Result<u64, String> {
    SimDuration::from_input_ps(ps).map(|d| d.as_ps()).map_err(|e| format!("`{field}` = {ps} {e}"))
}

/// The largest error a clock period may take from rounding to whole picoseconds: 0.1%.
const PERIOD_ROUNDING: f64 = 1e-3;

/// Clock period in picoseconds for a frequency in MHz, rounded to the nearest picosecond
/// (33 MHz becomes 30303 ps, 0.001% fast). Refused when the rounding moves the period by more
/// than 0.1% (above about 500 GHz, where the 1 ps time step is too coarse) or the period is
/// beyond the input time range.
pub fn period_ps_from_mhz(mhz: f64, field: &str) -> Result<u64, String> {
    if !mhz.is_finite() || mhz <= 0.0 {
        return Err(format!("`{field}` must be a frequency above 0, not {}", readable(mhz)));
    }
    let exact = 1e6 / mhz;
    let ps = exact.round();
    if ps < 1.0 || (ps - exact).abs() > PERIOD_ROUNDING * exact {
        return Err(format!(
            "`{field}` = {} MHz has a period of {} ps, which the 1 ps time step cannot hold within 0.1% \
             (the limit is 1,000,000 MHz, a 1 ps period)",
            readable(mhz),
            readable(exact)
        ));
    }
    check_ps(ps as u64, field)
}

/// Supply voltages accepted, in volts: above 0 and at most 5 V, above any CMOS supply of the
/// nodes modelled (the paper's chip runs at 0.5 to 1.0 V); a larger value is a typo in
/// millivolts, and energies scale with V squared.
pub const VOLTAGE_RANGE_V: (f64, f64) = (0.0, 5.0);

/// A supply voltage in volts, checked against [`VOLTAGE_RANGE_V`].
pub fn check_voltage(v: f64, field: &str) -> Result<f64, String> {
    let (lo, hi) = VOLTAGE_RANGE_V;
    if v.is_finite() && v > lo && v <= hi {
        Ok(v)
    } else {
        Err(format!("`{field}` = {} is outside the supply range: above {lo} V and at most {hi} V", readable(v)))
    }
}

/// Bytes per second for a rate in GB/s (1 GB = 1e9 bytes): at least 1 B/s after conversion.
pub fn bytes_per_s_from_gb(gb: f64, field: &str) -> Result<u64, String> {
    if !gb.is_finite() || gb <= 0.0 {
        return Err(format!("`{field}` must be a rate above 0, not {}", readable(gb)));
    }
    let b = (gb * 1e9).round();
    if !(1.0..=1.8e19).contains(&b) {
        return Err(format!("`{field}` = {} GB/s is outside 1e-9 (1 B/s) to 1.8e10 GB/s", readable(gb)));
    }
    Ok(b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(to_ps(1.5, 1e3, "latency_ns"), Ok(1_500));
        assert!(to_ps(-1.0, 1e3, "latency_ns").unwrap_err().contains(">= 0"));
        assert!(to_ps(0.0004, 1e3, "latency_ns").unwrap_err().contains("resolution"));
        assert_eq!(period_ps_from_mhz(50.0, "f"), Ok(20_000));
        assert!(period_ps_from_mhz(0.0, "f").is_err());
        assert_eq!(bytes_per_s_from_gb(1.6, "b"), Ok(1_600_000_000));
        assert!(bytes_per_s_from_gb(1e-12, "b").unwrap_err().contains("1 B/s"));
        assert!(period_ps_from_mhz(2_000_000.0, "f").unwrap_err().contains("1 ps time step"));
        assert!(period_ps_from_mhz(1_500_000.0, "f").is_err());
        assert_eq!(period_ps_from_mhz(1_000_000.0, "f"), Ok(1));
        assert!(period_ps_from_mhz(1e-13, "f").unwrap_err().contains("time range"));
        assert!(check_ps(u64::MAX, "end_ps").unwrap_err().contains("time range"));
    }
}
