//! Parameter declarations: each parameter of a component type is declared once — its name
//! with the unit in it, its default with the reason, its valid range, one line of doc — and
//! the range check, `tasim types` and the docs all read that declaration.
//!
//! A parameter struct implements [`Declared`]; the edge checks every declared number of the
//! parameters as built (the defaults included) against its [`Range`] after unit conversion,
//! before the constructor allocates anything from them, and reports the first value out of
//! range at its YAML line. Ranges bound what can work (counts that memory can hold, energies
//! that are physical, times inside the kernel's range), not what is typical.

use std::fmt;

use sim_core::SimDuration;

use crate::ParamError;

/// The values a parameter accepts, after conversion to the kernel's units.
#[derive(Clone, Copy, Debug)]
pub enum Range {
    /// A whole number in `min..=max`.
    Count { min: u64, max: u64 },
    /// A finite real number in `min..=max`; with `above_min`, strictly above `min`.
    Real { min: f64, max: f64, above_min: bool },
    /// A time or duration in units of `ps_per_unit` picoseconds (1 for `_ps`, 1e3 for `_ns`):
    /// whole picoseconds after conversion, at most [`SimDuration::INPUT_LIMIT`]; with
    /// `nonzero`, at least 1 ps.
    Time { ps_per_unit: f64, nonzero: bool },
    /// Not a number (a name, a choice, a list): the component checks it.
    Other,
    /// A nested mapping (`energy: {...}`) with parameters of its own.
    Group(&'static [ParamDecl]),
    /// A parameter that may be left out (its field is an `Option`): given, it must be in
    /// `of`, checked like any other; absent, the component derives it as `from` says (from
    /// a cost model for the structure's geometry, say). Its declaration's `default` is empty.
    Derived { of: &'static Range, from: &'static str },
}

/// A number as written in the input, before any conversion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Real(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Unsigned(v) => write!(f, "{v}"),
            Number::Signed(v) => write!(f, "{v}"),
            Number::Real(v) => f.write_str(&readable(*v)),
        }
    }
}

/// `v` as written by a person: plain decimals for ordinary magnitudes, `1e30` for extreme ones.
pub fn readable(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e9).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Unsigned(v) => v as f64,
            Number::Signed(v) => v as f64,
            Number::Real(v) => v,
        }
    }
}

/// Counts of things that are allocated one by one (epochs, samples in flight, requests
/// queued) stop here: 2^24, far above any sensible run, far below what exhausts memory.
pub const MAX_ALLOCATED_COUNT: u64 = 1 << 24;

/// Energy per action in pJ stops here: 1e6 pJ (1 µJ) per byte or operation is beyond any
/// circuit; a larger value is a unit mistake.
pub const MAX_ENERGY_PJ: f64 = 1e6;

/// Power in mW stops here: 1e6 mW (1 kW) for one component is beyond any chip.
pub const MAX_POWER_MW: f64 = 1e6;

impl Range {
    /// A count with bounds.
    pub const fn count(min: u64, max: u64) -> Range {
        Range::Count { min, max }
    }
    /// An energy per action, 0 to [`MAX_ENERGY_PJ`].
    pub const ENERGY_PJ: Range = Range::Real { min: 0.0, max: MAX_ENERGY_PJ, above_min: false };
    /// A power, 0 to [`MAX_POWER_MW`].
    pub const POWER_MW: Range = Range::Real { min: 0.0, max: MAX_POWER_MW, above_min: false };
    /// A voltage at which energy figures hold: above 0, at most 5 V (the supply range the
    /// topology accepts for clocks).
    pub const VOLTAGE_V: Range = Range::Real { min: 0.0, max: 5.0, above_min: true };
    /// A duration in picoseconds (0 allowed).
    pub const PS: Range = Range::Time { ps_per_unit: 1.0, nonzero: false };
    /// A duration in nanoseconds (0 allowed).
    pub const NS: Range = Range::Time { ps_per_unit: 1e3, nonzero: false };

    /// Whether `n` is in range, else why not.
    pub fn check(&self, n: Number) -> Result<(), String> {
        match *self {
            Range::Count { min, max } => {
                let ok = match n {
                    Number::Unsigned(v) => (min..=max).contains(&v),
                    Number::Signed(v) => u64::try_from(v).is_ok_and(|v| (min..=max).contains(&v)),
                    Number::Real(_) => false,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("must be a whole number from {min} to {max}"))
                }
            }
            Range::Real { min, max, above_min } => {
                let v = n.as_f64();
                let low_ok = if above_min { v > min } else { v >= min };
                if v.is_finite() && low_ok && v <= max {
                    Ok(())
                } else {
                    Err(format!(
                        "must be a finite number {} {min} and at most {max}",
                        if above_min { "above" } else { "from" }
                    ))
                }
            }
            Range::Time { ps_per_unit, nonzero } => {
                let d = match n {
                    Number::Unsigned(v) if ps_per_unit == 1.0 => SimDuration::from_input_ps(v),
                    Number::Signed(v) if ps_per_unit == 1.0 && v >= 0 => SimDuration::from_input_ps(v as u64),
                    _ => SimDuration::from_units(n.as_f64(), ps_per_unit),
                };
                match d {
                    Ok(d) if nonzero && d.is_zero() => Err("must be at least 1 ps".into()),
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Range::Derived { of, .. } => of.check(n),
            Range::Other | Range::Group(_) => Ok(()),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Range::Count { min, max } => write!(f, "{min}..={max}"),
            Range::Real { min, max, above_min: true } => write!(f, "({min}, {max}]"),
            Range::Real { min, max, above_min: false } => write!(f, "[{min}, {max}]"),
            Range::Time { nonzero, .. } => write!(f, "{}..=9e18 ps", if nonzero { 1 } else { 0 }),
            Range::Derived { of, from } => write!(f, "{of}, or absent: {from}"),
            Range::Other | Range::Group(_) => f.write_str("see doc"),
        }
    }
}

/// `leakage_mw` with its default: leakage at `nominal_v`.
pub const fn leakage_mw(default: &'static str) -> ParamDecl {
    ParamDecl { name: "leakage_mw", default, range: Range::POWER_MW, doc: "leakage at nominal_v" }
}

/// `nominal_v` with its default: the voltage the energy figures of its group hold at.
pub const fn nominal_v(default: &'static str) -> ParamDecl {
    ParamDecl { name: "nominal_v", default, range: Range::VOLTAGE_V, doc: "voltage of the figures of this group" }
}

/// `leakage_voltage_exponent` (default 3): leakage scales as (V/nominal_v)^exponent; 3 fits
/// DIBL-dominated leakage at 65 nm.
pub const LEAKAGE_VOLTAGE_EXPONENT: ParamDecl = ParamDecl {
    name: "leakage_voltage_exponent",
    default: "3.0",
    range: Range::Real { min: 0.0, max: 10.0, above_min: false },
    doc: "leakage scales as (V/nominal_v)^exponent; 3 fits DIBL-dominated 65 nm leakage",
};

/// A parameter that may be left out, derived when absent (see [`Range::Derived`]): given,
/// it must be in `of`.
pub const fn derived(name: &'static str, of: &'static Range, from: &'static str, doc: &'static str) -> ParamDecl {
    ParamDecl { name, default: "", range: Range::Derived { of, from }, doc }
}

/// One parameter: the single source of its check and its documentation.
#[derive(Clone, Copy, Debug)]
pub struct ParamDecl {
    /// Path under `params`, dotted for nested fields (`energy.read_pj_per_byte`); the unit is
    /// in the name.
    pub name: &'static str,
    /// The default as YAML; empty when the parameter is required, or derived when absent
    /// ([`Range::Derived`]).
    pub default: &'static str,
    pub range: Range,
    /// One line: what it is, and the reason and source of the default.
    pub doc: &'static str,
}

impl ParamDecl {
    /// Checks `n`, the value this parameter has (written or default); `path` is its full
    /// dotted path (see [`flatten`]).
    pub fn check(&self, path: &str, n: Number) -> Result<(), ParamError> {
        self.range.check(n).map_err(|why| {
            ParamError::new(path, format!("`{path}` = {n} {why}"))
                .fix(format!("use a value in {} (`tasim types` lists every parameter's range)", self.range))
        })
    }
}

/// A parameter struct whose every parameter is declared.
pub trait Declared {
    /// The declarations, in the order `tasim types` lists them.
    const PARAMS: &'static [ParamDecl];
}

/// Every declaration of `decls` with its full dotted path, groups expanded, in order.
pub fn flatten(decls: &'static [ParamDecl]) -> Vec<(String, &'static ParamDecl)> {
    let mut out = Vec::new();
    for d in decls {
        match d.range {
            Range::Group(inner) => {
                out.extend(flatten(inner).into_iter().map(|(path, d2)| (format!("{}.{path}", d.name), d2)))
            }
            _ => out.push((d.name.to_string(), d)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_check_after_conversion() {
        let c = Range::count(1, 10);
        assert!(c.check(Number::Unsigned(10)).is_ok());
        assert!(c.check(Number::Unsigned(0)).is_err());
        assert!(c.check(Number::Signed(-1)).is_err());
        assert!(c.check(Number::Real(2.0)).is_err());
        assert!(Range::ENERGY_PJ.check(Number::Real(-5.0)).is_err());
        assert!(Range::ENERGY_PJ.check(Number::Real(f64::NAN)).is_err());
        assert!(Range::ENERGY_PJ.check(Number::Unsigned(0)).is_ok());
        assert!(Range::VOLTAGE_V.check(Number::Real(0.0)).is_err());
        assert!(Range::VOLTAGE_V.check(Number::Real(1e30)).is_err());
        assert!(Range::PS.check(Number::Unsigned(u64::MAX)).unwrap_err().contains("time range"));
        assert!(Range::PS.check(Number::Unsigned(9_000_000_000_000_000_000)).is_ok());
        assert!(Range::NS.check(Number::Real(0.0005)).unwrap_err().contains("resolution"));
        assert!(Range::NS.check(Number::Real(1e16)).is_err());
        let nz = Range::Time { ps_per_unit: 1.0, nonzero: true };
        assert!(nz.check(Number::Unsigned(0)).is_err());
    }

    #[test]
    fn an_error_names_the_parameter_and_the_range() {
        let d = ParamDecl { name: "epochs", default: "1", range: Range::count(1, 100), doc: "" };
        let e = d.check("epochs", Number::Unsigned(1000)).unwrap_err();
        assert_eq!(e.param, "epochs");
        assert!(e.message.contains("`epochs` = 1000"), "{}", e.message);
        assert!(e.fix.unwrap().contains("1..=100"));
    }

    #[test]
    fn a_derived_parameter_is_checked_against_its_range_when_given() {
        const D: ParamDecl = derived("read_pj_per_byte", &Range::ENERGY_PJ, "from the SRAM model", "");
        assert!(D.check("energy.read_pj_per_byte", Number::Real(2.5)).is_ok());
        let e = D.check("energy.read_pj_per_byte", Number::Real(-1.0)).unwrap_err();
        assert_eq!(e.param, "energy.read_pj_per_byte");
        let fix = e.fix.unwrap();
        assert!(fix.contains("[0, 1000000]") && fix.contains("or absent: from the SRAM model"), "{fix}");
        assert!(D.default.is_empty());
    }

    #[test]
    fn groups_flatten_to_dotted_paths() {
        const INNER: &[ParamDecl] = &[ParamDecl { name: "mac_pj", default: "0.45", range: Range::ENERGY_PJ, doc: "" }];
        const OUTER: &[ParamDecl] = &[
            ParamDecl { name: "pe_rows", default: "8", range: Range::count(1, 64), doc: "" },
            ParamDecl { name: "energy", default: "", range: Range::Group(INNER), doc: "" },
        ];
        let paths: Vec<String> = flatten(OUTER).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["pe_rows", "energy.mac_pj"]);
    }
}
