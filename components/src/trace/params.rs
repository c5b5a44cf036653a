//! Parameters of a `trace_player` (YAML `params`), their defaults and their checks. What they
//! mean is in the [`player`](super::player) documentation.

use serde::{Deserialize, Serialize};

use crate::param::{Declared, ParamDecl, Range};
use crate::ParamError;

/// How records are paced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlayMode {
    /// At their recorded issue times.
    #[default]
    Timing,
    /// As fast as possible, with a bound on requests in flight.
    Afap,
}

/// How a record chooses its port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    #[default]
    Target,
    Address,
}

/// An address range served by one port (`route: address`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRange {
    pub base_addr: u64,
    pub size_bytes: u64,
}

/// Parameters (YAML `params` of a `trace_player`); declared in [`Declared::PARAMS`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracePlayerParams {
    pub mode: PlayMode,
    /// Requests in flight at most. Default: unbounded in `timing` mode (the recorded
    /// requesters' own limits are in the recorded times), 64 in `afap` mode.
    pub max_outstanding: Option<u32>,
    pub route: Route,
    /// `route: target`: the recorded target served by each port.
    pub targets: Vec<String>,
    /// `route: target`: skip (and count) records for targets not in `targets` instead of
    /// stopping: a trace recorded at two levels (`--trace-buffer`) replayed at one.
    pub skip_other_targets: bool,
    /// `route: address`: the range served by each port.
    pub ranges: Vec<AddressRange>,
    /// `timing` mode: go on after the recorded end until every request is answered.
    pub drain: bool,
    /// Initial width of the bandwidth windows (they double beyond 1024 windows).
    pub window_ns: u64,
}

impl Default for TracePlayerParams {
    fn default() -> Self {
        TracePlayerParams {
            mode: PlayMode::Timing,
            max_outstanding: None,
            route: Route::Target,
            targets: Vec::new(),
            skip_other_targets: false,
            ranges: Vec::new(),
            drain: false,
            window_ns: 100,
        }
    }
}

impl Declared for TracePlayerParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "mode",
            default: "timing",
            range: Range::Other,
            doc: "timing (send at recorded issue times) | afap (as fast as possible)",
        },
        ParamDecl {
            name: "max_outstanding",
            default: "(none)",
            range: Range::count(1, u32::MAX as u64),
            doc: "requests in flight at most (none: unbounded in timing mode, 64 in afap mode); a bound, not an allocation",
        },
        ParamDecl {
            name: "route",
            default: "target",
            range: Range::Other,
            doc: "target (port i serves targets[i]) | address (port i serves ranges[i])",
        },
        ParamDecl {
            name: "targets",
            default: "[]",
            range: Range::Other,
            doc: "recorded target names, one per port (none: one port for all)",
        },
        ParamDecl {
            name: "skip_other_targets",
            default: "false",
            range: Range::Other,
            doc: "skip records for targets not listed (else stop with an error)",
        },
        ParamDecl {
            name: "ranges",
            default: "[]",
            range: Range::Other,
            doc: "route: address; [{base_addr, size_bytes}], size_bytes >= 1, ending below 2^64; the port sees addr - base_addr",
        },
        ParamDecl {
            name: "drain",
            default: "false",
            range: Range::Other,
            doc: "timing: go on past the recorded end until all is answered",
        },
        ParamDecl {
            name: "window_ns",
            default: "100",
            range: Range::Time { ps_per_unit: 1e3, nonzero: true },
            doc: "initial bandwidth window (doubles beyond 1024 windows); 100 ns resolves a DRAM burst train",
        },
    ];
}

impl TracePlayerParams {
    /// Request and response ports: one pair per target or range.
    pub fn ports(&self) -> usize {
        match self.route {
            Route::Target => self.targets.len().max(1),
            Route::Address => self.ranges.len(),
        }
    }

    pub fn validate(&self) -> Result<(), ParamError> {
        // Ranges of numbers are declared (`Declared`) and checked by the edge; these are the
        // checks that relate parameters.
        if self.route == Route::Address {
            if self.ranges.is_empty() {
                return Err(ParamError::new("ranges", "`route: address` needs `ranges`")
                    .fix("list one {base_addr, size_bytes} per port"));
            }
            for (i, r) in self.ranges.iter().enumerate() {
                if r.size_bytes == 0 || r.base_addr.checked_add(r.size_bytes).is_none() {
                    return Err(ParamError::new(
                        format!("ranges[{i}]"),
                        "a range needs size_bytes >= 1 and must end below 2^64",
                    ));
                }
            }
        } else if !self.ranges.is_empty() {
            return Err(ParamError::new("ranges", "`ranges` only applies with `route: address`"));
        }
        if self.route == Route::Address && !self.targets.is_empty() {
            return Err(ParamError::new("targets", "`targets` only applies with `route: target`"));
        }
        if self.skip_other_targets && self.targets.is_empty() {
            return Err(ParamError::new(
                "skip_other_targets",
                "`skip_other_targets` needs `targets` to say which to keep",
            ));
        }
        Ok(())
    }
}
