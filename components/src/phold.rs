//! PHOLD logical process, exactly as `benches/PHOLD.md` defines it: the standard
//! synthetic benchmark of event kernels, built from an ordinary component on a fabric.
//!
//! Each LP holds its own SplitMix64 stream (state `seed ^ index * golden`), because the
//! benchmark fixes the streams so that every implementation counts the same events; this is
//! the one place a component does not use the kernel's per-instance generator.
//! The fabric's latency is PHOLD's lookahead; the extra delay `d` travels as the send's
//! timing annotation, so an event costs one delivery and nothing else.

use std::marker::PhantomData;

use sim_core::{splitmix64, Component, Context, Message, PortId, PortSpec, SimDuration, StatsWriter};

/// The PHOLD message: carries nothing, counts as zero bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PholdToken;

impl Message for PholdToken {}

/// PHOLD parameters (PHOLD.md names; `lookahead_ps` is the fabric latency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PholdParams {
    pub lps: u64,
    pub population: u64,
    pub lookahead_ps: u64,
    pub spread_ps: u64,
    pub end_ps: u64,
    pub seed: u64,
}

impl Default for PholdParams {
    /// The defaults of PHOLD.md.
    fn default() -> Self {
        PholdParams { lps: 1024, population: 16, lookahead_ps: 1000, spread_ps: 9000, end_ps: 10_000_000, seed: 1 }
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const OUT: PortId = PortId(0);

/// One logical process. Its index is its endpoint index on the fabric.
pub struct PholdLp<M> {
    p: PholdParams,
    rng: u64,
    processed: u64,
    _message: PhantomData<fn() -> M>,
}

impl<M> PholdLp<M> {
    pub fn new(p: PholdParams) -> Self {
        PholdLp { p, rng: 0, processed: 0, _message: PhantomData }
    }

    #[inline]
    fn delay(&mut self) -> u64 {
        let r = splitmix64(&mut self.rng);
        if self.p.spread_ps == 0 {
            0
        } else {
            r % self.p.spread_ps
        }
    }
}

impl<M: Message + From<PholdToken>> Component<M> for PholdLp<M> {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::output("out", "phold"), PortSpec::input("in", "phold")]
    }

    fn init(&mut self, ctx: &mut Context<'_, M>) {
        // Destinations are drawn in 0..lps: every one must be an endpoint of the fabric.
        let endpoints = ctx.fabric_endpoints(OUT) as u64;
        if self.p.lps != endpoints {
            ctx.abort(format!(
                "`lps` = {} but the fabric `out` is on has {endpoints} endpoints; set `lps` to the number of \
                 phold_lp instances on it ({endpoints})",
                self.p.lps
            ));
            return;
        }
        let me = ctx.fabric_index(OUT);
        self.rng = self.p.seed ^ (me as u64).wrapping_mul(GOLDEN);
        for _ in 0..self.p.population {
            let d = self.delay();
            // Arrives at 0 + d + lookahead (the fabric latency).
            if self.p.lookahead_ps + d < self.p.end_ps {
                ctx.send_to_delayed(OUT, me, PholdToken.into(), SimDuration(d));
            }
        }
    }

    #[inline]
    fn on_message(&mut self, ctx: &mut Context<'_, M>, _port: PortId, _msg: M) {
        self.processed += 1;
        let dest = splitmix64(&mut self.rng) % self.p.lps;
        let d = self.delay();
        // Events at or after end_ps would be dropped uncounted: never create them.
        if ctx.now().0 + self.p.lookahead_ps + d < self.p.end_ps {
            ctx.send_to_delayed(OUT, dest as usize, PholdToken.into(), SimDuration(d));
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        stats.counter("events", self.processed);
    }
}
