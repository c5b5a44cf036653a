//! `chip_link`: a point-to-point chip-to-chip SerDes link, on the sending chip. Packets
//! queue (FIFO), serialise one after another at `bandwidth_gb_per_s`, and leave on `out`,
//! whose channel carries the link's flight latency (the connection's `latency_ns`, which is
//! also the lookahead between the two chips' partitions). A downstream that pushes back (a
//! switch whose buffer is full) holds the head packet: contention and backpressure emerge.
//!
//! Ports: `in` (protocol `link`, credits returned as packets leave), `out` (`link`).
//!
//! Statistics: `packets`, `bytes`, `busy_ps`, `busy_fraction`, `queue_delay_ps` (histogram:
//! arrival to start of serialisation), `blocked_ps` (ready but held by the downstream),
//! `traffic.series_bytes` (the bytes per power window, at the start of their serialisation;
//! they sum to `bytes`) and `energy_link.{dynamic,idle,total}_pj`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use sim_core::{Component, Context, Histogram, PortId, PortSpec, SimTime, StatsWriter};

use super::{bytes_per_s, serialise_ps, LinkPacket};
use crate::energy::power_windows;
use crate::param::{Declared, ParamDecl};
use crate::windows::Windows;
use crate::Msg;

/// Parameters (YAML `params` of a `chip_link`; the system expansion writes them from the
/// dimension's fields).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChipLinkParams {
    /// Data rate in one direction, GB/s (10^9 B/s), 0.001..=10000. Default 25 GB/s: ten
    /// 20 Gb/s lanes of a short-reach ground-referenced link (Poulton et al., JSSC 2013).
    pub bandwidth_gb_per_s: f64,
    /// Energy per bit moved, pJ, 0..=1000. Default 1.17 pJ/bit: a GRS link across a PCB at
    /// 25 Gb/s (Turner et al., "Ground-Referenced Signaling for Intra-Chip and Short-Reach
    /// Chip-to-Chip Interconnects").
    pub energy_pj_per_bit: f64,
    /// Power while idle, mW, 0..=100000. Default 0: the link is taken as power-gated between
    /// packets (no published idle figure for these links); set it for always-on SerDes.
    pub idle_power_mw: f64,
}

impl Default for ChipLinkParams {
    fn default() -> Self {
        ChipLinkParams { bandwidth_gb_per_s: 25.0, energy_pj_per_bit: 1.17, idle_power_mw: 0.0 }
    }
}

impl Declared for ChipLinkParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "bandwidth_gb_per_s",
            default: "25",
            range: super::LINK_GB_PER_S,
            doc: "one direction: ten 20 Gb/s GRS lanes (Poulton et al., JSSC 2013)",
        },
        ParamDecl {
            name: "energy_pj_per_bit",
            default: "1.17",
            range: super::LINK_PJ_PER_BIT,
            doc: "GRS across a PCB at 25 Gb/s (Turner et al.)",
        },
        ParamDecl {
            name: "idle_power_mw",
            default: "0",
            range: crate::param::Range::Real { min: 0.0, max: 100_000.0, above_min: false },
            doc: "power while idle: power-gated between packets (no published idle figure); at most 100 W",
        },
    ];
}

const IN: PortId = PortId(0);
const OUT: PortId = PortId(1);

pub struct ChipLink {
    p: ChipLinkParams,
    bytes_per_s: u64,
    queue: VecDeque<(LinkPacket, u64)>,
    /// The packet on the wire, and whether it has finished serialising (then it waits for
    /// the downstream to take it).
    head: Option<(LinkPacket, bool)>,
    blocked_since: Option<u64>,
    packets: u64,
    bytes: u64,
    busy_ps: u64,
    blocked_ps: u64,
    queue_delay: Histogram,
    /// Bytes sent per power window.
    traffic: Windows<u64>,
}

impl ChipLink {
    /// A link from parameters in their declared ranges ([`Declared::PARAMS`]).
    pub fn new(p: ChipLinkParams) -> Self {
        ChipLink {
            bytes_per_s: bytes_per_s(p.bandwidth_gb_per_s),
            p,
            queue: VecDeque::new(),
            head: None,
            blocked_since: None,
            packets: 0,
            bytes: 0,
            busy_ps: 0,
            blocked_ps: 0,
            queue_delay: Histogram::new(),
            traffic: power_windows(),
        }
    }

    fn next(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.head.is_some() {
            return;
        }
        let Some((pkt, arrived)) = self.queue.pop_front() else { return };
        let now = ctx.now().0;
        self.queue_delay.record(now - arrived);
        let ps = serialise_ps(pkt.wire_bytes(), self.bytes_per_s);
        self.busy_ps += ps;
        self.packets += 1;
        self.bytes += pkt.wire_bytes();
        self.traffic.add(now, pkt.wire_bytes());
        self.head = Some((pkt, false));
        ctx.schedule_at(SimTime(now.saturating_add(ps)), 0);
    }

    fn push_out(&mut self, ctx: &mut Context<'_, Msg>) {
        let Some((pkt, true)) = self.head.take() else { return };
        match ctx.send(OUT, Msg::Link(Box::new(pkt))) {
            Ok(()) => {
                if let Some(t) = self.blocked_since.take() {
                    self.blocked_ps += ctx.now().0 - t;
                }
                ctx.release(IN);
                self.next(ctx);
            }
            Err(r) => {
                let Msg::Link(p) = r.0 else { unreachable!("sent a link packet") };
                self.head = Some((*p, true));
                self.blocked_since.get_or_insert(ctx.now().0);
            }
        }
    }
}

impl Component<Msg> for ChipLink {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::input("in", "link").manual_release(), PortSpec::output("out", "link")]
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        match (port, msg) {
            (IN, Msg::Link(p)) => {
                self.queue.push_back((*p, ctx.now().0));
                self.next(ctx);
            }
            (p, m) => ctx.abort(format!("unexpected message on port {}: {m:?}", p.0)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, _: u64) {
        if let Some((_, done)) = self.head.as_mut() {
            *done = true;
        }
        self.push_out(ctx);
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, _: PortId) {
        self.push_out(ctx);
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let end = stats.now().0;
        stats.counter("packets", self.packets);
        stats.counter("bytes", self.bytes);
        stats.counter("busy_ps", self.busy_ps);
        stats.value("busy_fraction", if end == 0 { 0.0 } else { self.busy_ps as f64 / end as f64 });
        stats.counter("blocked_ps", self.blocked_ps);
        stats.histogram("queue_delay_ps", &self.queue_delay);
        self.traffic.write_traffic(stats);
        let dynamic = self.bytes as f64 * 8.0 * self.p.energy_pj_per_bit;
        // mW × ps = 1e-3 W × 1e-12 s = 1e-15 J = 1e-3 pJ.
        let idle = self.p.idle_power_mw * end.saturating_sub(self.busy_ps) as f64 * 1e-3;
        stats.value("energy_link.dynamic_pj", dynamic);
        stats.value("energy_link.idle_pj", idle);
        stats.value("energy_link.total_pj", dynamic + idle);
    }
}
