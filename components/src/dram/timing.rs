//! Timing constraints in picoseconds, on the grid of the DRAM clock.
//!
//! A controller programs each constraint as a whole number of DRAM clock cycles,
//! nCK = ceil(t / tCK), and issues commands on clock edges; this model does the same, so
//! every constraint below is a multiple of `tck` and every command issues on an edge.

use super::params::{ParamError, TimingParams};

/// The constraints the scheduler enforces, in ps (multiples of `tck`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// DRAM clock period: two data beats (DDR).
    pub tck: u64,
    pub rcd: u64,
    pub rp: u64,
    pub rpab: u64,
    pub cl: u64,
    pub cwl: u64,
    pub ras: u64,
    /// One burst on the data bus: beats / 2 clock cycles.
    pub burst: u64,
    pub wr: u64,
    pub rtp: u64,
    pub ccd: u64,
    pub rrd: u64,
    pub faw: u64,
    pub wtr: u64,
    pub rtw: u64,
    /// 0: no refresh.
    pub refi: u64,
    pub rfc: u64,
    /// Same-bank-group variants of ccd, rrd, wtr (equal to them without bank groups).
    pub ccd_l: u64,
    pub rrd_l: u64,
    pub wtr_l: u64,
    /// Rank-to-rank data-bus gap.
    pub rtrs: u64,
    /// Per-bank refresh interval and duration (0: none).
    pub refipb: u64,
    pub rfcpb: u64,
    pub xp: u64,
    pub cke: u64,
    pub xsr: u64,
    pub sr: u64,
    /// Command-bus occupancy of ACT, RD/WR and PRE/REF.
    pub act_cmd: u64,
    pub col_cmd: u64,
    pub pre_cmd: u64,
}

impl Timing {
    /// Converts and checks the nanosecond parameters; `beats` is the burst length in
    /// transfers (burst_bytes / bus_bytes, even).
    pub fn from_params(p: &TimingParams, beats: u32) -> Result<Timing, ParamError> {
        // The ranges are declared (`dram/declared.rs`) and checked by the edge: a rate of
        // 1..=4e6 MT/s gives tCK >= 1 ps, timings of 0..=1e9 ns stay far inside u64 ps.
        // Two transfers per clock: tCK = 2 / rate.
        let tck = (2e6 / f64::from(p.data_rate_mtps)).round() as u64;
        let cycles = |ns: f64| -> u64 { ((ns * 1000.0).round() as u64).div_ceil(tck) * tck };
        let t = Timing {
            tck,
            rcd: cycles(p.trcd_ns),
            rp: cycles(p.trp_ns),
            rpab: cycles(p.trpab_ns),
            cl: cycles(p.tcl_ns),
            cwl: cycles(p.tcwl_ns),
            ras: cycles(p.tras_ns),
            burst: u64::from(beats / 2) * tck,
            wr: cycles(p.twr_ns),
            rtp: cycles(p.trtp_ns),
            ccd: cycles(p.tccd_ns),
            rrd: cycles(p.trrd_ns),
            faw: cycles(p.tfaw_ns),
            wtr: cycles(p.twtr_ns),
            rtw: cycles(p.trtw_ns),
            refi: cycles(p.trefi_ns),
            rfc: cycles(p.trfc_ns),
            ccd_l: cycles(p.tccd_l_ns),
            rrd_l: cycles(p.trrd_l_ns),
            wtr_l: cycles(p.twtr_l_ns),
            rtrs: cycles(p.trtrs_ns),
            refipb: cycles(p.trefipb_ns),
            rfcpb: cycles(p.trfcpb_ns),
            xp: cycles(p.txp_ns),
            cke: cycles(p.tcke_ns),
            xsr: cycles(p.txsr_ns),
            sr: cycles(p.tsr_ns),
            act_cmd: u64::from(p.act_command_cycles) * tck,
            col_cmd: u64::from(p.column_command_cycles) * tck,
            pre_cmd: u64::from(p.pre_command_cycles) * tck,
        };
        for (long, short, l, s) in [
            ("tccd_l_ns", "tccd_ns", t.ccd_l, t.ccd),
            ("trrd_l_ns", "trrd_ns", t.rrd_l, t.rrd),
            ("twtr_l_ns", "twtr_ns", t.wtr_l, t.wtr),
        ] {
            if l < s {
                return Err(err(
                    &format!("timing.{long}"),
                    format!("`timing.{long}` (same bank group) must be at least `timing.{short}` (other groups)"),
                ));
            }
        }
        if t.refipb > 0 && t.refipb <= t.rfcpb + t.rp {
            return Err(err(
                "timing.trefipb_ns",
                format!(
                    "`timing.trefipb_ns` ({} ns) must exceed `timing.trfcpb_ns` + `timing.trp_ns` ({} ns)",
                    p.trefipb_ns,
                    p.trfcpb_ns + p.trp_ns
                ),
            ));
        }
        if t.ras < t.rcd {
            return Err(err(
                "timing.tras_ns",
                format!(
                    "`timing.tras_ns` ({} ns) must be at least `timing.trcd_ns` ({} ns): a row stays open until its column access",
                    p.tras_ns, p.trcd_ns
                ),
            ));
        }
        if t.refi > 0 {
            if t.rfc == 0 {
                return Err(err(
                    "timing.trfc_ns",
                    "`timing.trfc_ns` must be above 0 when refresh is on (`timing.trefi_ns` > 0)".into(),
                ));
            }
            if t.refi <= t.rfc + t.rpab {
                return Err(err(
                    "timing.trefi_ns",
                    format!(
                        "`timing.trefi_ns` ({} ns) must exceed `timing.trfc_ns` + `timing.trpab_ns` ({} ns), or the rank would refresh forever",
                        p.trefi_ns,
                        p.trfc_ns + p.trpab_ns
                    ),
                ));
            }
        }
        Ok(t)
    }

    /// The first clock edge at or after `t`.
    #[inline]
    pub fn edge(&self, t: u64) -> u64 {
        t.div_ceil(self.tck) * self.tck
    }
}

fn err(param: &str, message: String) -> ParamError {
    ParamError::new(param, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_round_up_to_whole_clocks() {
        let t = Timing::from_params(&TimingParams::default(), 16).unwrap();
        assert_eq!(t.tck, 625);
        assert_eq!(t.rcd, 29 * 625, "18 ns is 28.8 tCK: 29");
        assert_eq!(t.cl, 28 * 625, "17.5 ns is exactly RL = 28");
        assert_eq!(t.cwl, 14 * 625);
        assert_eq!(t.burst, 8 * 625);
        assert_eq!(t.ccd, 8 * 625);
        assert_eq!(t.refi, 6247 * 625, "3904 ns is 6246.4 tCK");
        assert_eq!(t.edge(0), 0);
        assert_eq!(t.edge(1), 625);
        assert_eq!(t.edge(1250), 1250);
    }

    #[test]
    fn a_1_ns_clock_keeps_integer_nanoseconds() {
        let p = TimingParams { data_rate_mtps: 2000, trcd_ns: 15.0, tcl_ns: 15.0, ..TimingParams::default() };
        let t = Timing::from_params(&p, 8).unwrap();
        assert_eq!((t.tck, t.rcd, t.cl, t.burst), (1000, 15_000, 15_000, 4_000));
    }

    #[test]
    fn inconsistent_timings_are_refused() {
        let p = TimingParams { tras_ns: 10.0, ..TimingParams::default() };
        let e = Timing::from_params(&p, 16).unwrap_err();
        assert_eq!(e.param, "timing.tras_ns");
        assert_eq!(
            e.message,
            "`timing.tras_ns` (10 ns) must be at least `timing.trcd_ns` (18 ns): a row stays open until its column access"
        );
        let p = TimingParams { trefi_ns: 150.0, ..TimingParams::default() };
        assert_eq!(Timing::from_params(&p, 16).unwrap_err().param, "timing.trefi_ns");
        let p = TimingParams { trefi_ns: 0.0, trfc_ns: 0.0, ..TimingParams::default() };
        assert_eq!(Timing::from_params(&p, 16).unwrap().refi, 0, "refresh off");
    }
}
