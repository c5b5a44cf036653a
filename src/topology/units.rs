//! Conversions of unit-suffixed fields to the kernel's integer picoseconds, with the checks
//! that make a bad value an error instead of a silent rounding.

/// `value` (in units of `ps_per_unit` picoseconds) as whole picoseconds.
pub fn to_ps(value: f64, ps_per_unit: f64, field: &str) -> Result<u64, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{field}` must be a finite number >= 0, not {value}"));
    }
    let ps = value * ps_per_unit;
    if ps > 1.8e19 {
        return Err(format!("`{field}` = {value} is beyond the simulator's time range (about 213 days)"));
    }
    let rounded = ps.round();
    if (ps - rounded).abs() > 1e-6 * rounded.max(1.0) {
        return Err(format!("`{field}` = {value} is finer than the 1 ps time resolution"));
    }
    Ok(rounded as u64)
}

/// Clock period in picoseconds for a frequency in MHz (rounded to the nearest picosecond;
/// 33 MHz becomes 30303 ps, 0.001% fast).
pub fn period_ps_from_mhz(mhz: f64, field: &str) -> Result<u64, String> {
    if !mhz.is_finite() || mhz <= 0.0 {
        return Err(format!("`{field}` must be a frequency above 0, not {mhz}"));
    }
    let ps = (1e6 / mhz).round();
    if ps < 1.0 {
        return Err(format!("`{field}` = {mhz} MHz is above 1 THz, the limit of a 1 ps time step"));
    }
    Ok(ps as u64)
}

/// Bytes per second for a rate in GB/s (1 GB = 1e9 bytes).
pub fn bytes_per_s_from_gb(gb: f64, field: &str) -> Result<u64, String> {
    if !gb.is_finite() || gb <= 0.0 {
        return Err(format!("`{field}` must be a rate above 0, not {gb}"));
    }
    Ok((gb * 1e9).round() as u64)
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
    }
}
