//! `switch`: N ports; a packet that arrives on `in<i>` leaves on the port of its destination
//! chip after `forwarding_latency_ns`, serialised at `port_bandwidth_gb_per_s` with the other
//! packets for that port (FIFO). Forwarding is virtual cut-through: a packet may start leaving
//! once its head is in and the port is free, so an idle switch adds only its forwarding
//! latency, and a busy port queues. Input buffers are the input channels' depth (set by the
//! system expansion from the dimension's `switch_buffer_packets`): a packet holds its slot
//! until it has left, so a congested output pushes back on the links feeding it.
//!
//! Ports: `in<i>` (protocol `link`, manual release), `out<i>` (`link`); `chips[i]` is the rank
//! reached through port i.
//!
//! Statistics: `packets`, `bytes`, `port<i>.busy_fraction`, `port<i>.queue_max`,
//! `queue_delay_ps` (histogram: ready to leave → left), `energy_link.*`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use sim_core::{Component, Context, Histogram, PortId, PortSpec, SimTime, StatsWriter};

use super::{bytes_per_s, serialise_ps, LinkPacket};
use crate::param::{Declared, ParamDecl, Range};
use crate::{Msg, ParamError};

/// Parameters (YAML `params` of a `switch`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwitchParams {
    /// The chip (rank) behind each port, in port order; 1..=4096 ports.
    pub chips: Vec<usize>,
    /// Port data rate, GB/s, 0.001..=10000. Default 25: as a `chip_link`.
    pub port_bandwidth_gb_per_s: f64,
    /// Rate of the links that feed the ports, GB/s (when a packet's head came in, for
    /// cut-through); default: `port_bandwidth_gb_per_s`. The system expansion sets it.
    pub input_bandwidth_gb_per_s: Option<f64>,
    /// Head-in to head-out latency, ns, 0..=1e6. Default 100 ns: the order of a cut-through
    /// HPC switch's port-to-port latency (not a published figure for any one part).
    pub forwarding_latency_ns: f64,
    /// Energy per bit switched, pJ, 0..=1000. Default 0.6: the delivered energy of a 4x4
    /// mesh NoC's routers and links (Park et al., DAC 2012, 45 nm SOI).
    pub energy_pj_per_bit: f64,
}

impl Default for SwitchParams {
    fn default() -> Self {
        SwitchParams {
            chips: Vec::new(),
            port_bandwidth_gb_per_s: 25.0,
            input_bandwidth_gb_per_s: None,
            forwarding_latency_ns: 100.0,
            energy_pj_per_bit: 0.6,
        }
    }
}

impl SwitchParams {
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.chips.is_empty() || self.chips.len() > 4096 {
            return Err(ParamError::new("chips", "a switch needs 1..=4096 ports (`chips`, one rank per port)"));
        }
        // The numbers' ranges are declared (`Declared`) and checked by the edge.
        Ok(())
    }
}

impl Declared for SwitchParams {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "chips",
            default: "(system expansion)",
            range: Range::Other,
            doc: "the chip (rank) behind each port, in port order; 1..=4096 ports",
        },
        ParamDecl {
            name: "port_bandwidth_gb_per_s",
            default: "25",
            range: super::LINK_GB_PER_S,
            doc: "port data rate: as a chip_link",
        },
        ParamDecl {
            name: "input_bandwidth_gb_per_s",
            default: "(port_bandwidth_gb_per_s)",
            range: super::LINK_GB_PER_S,
            doc: "rate of the links feeding the ports (for cut-through); set by the system expansion",
        },
        ParamDecl {
            name: "forwarding_latency_ns",
            default: "100",
            range: Range::Real { min: 0.0, max: 1e6, above_min: false },
            doc: "head in to head out: the order of a cut-through HPC switch (not one part's figure); at most 1 ms",
        },
        ParamDecl {
            name: "energy_pj_per_bit",
            default: "0.6",
            range: super::LINK_PJ_PER_BIT,
            doc: "per bit switched: a 4x4 mesh NoC's routers and links (Park et al., DAC 2012)",
        },
    ];
}

struct OutPort {
    /// (packet, input port, time its tail came in plus the forwarding latency).
    queue: VecDeque<(LinkPacket, usize, u64)>,
    /// The packet leaving now and its input port.
    leaving: Option<(LinkPacket, usize)>,
    free_at: u64,
    busy_ps: u64,
    queue_max: usize,
}

pub struct Switch {
    p: SwitchParams,
    bytes_per_s: u64,
    input_bytes_per_s: u64,
    fwd_ps: u64,
    out: Vec<OutPort>,
    packets: u64,
    bytes: u64,
    queue_delay: Histogram,
}

impl Switch {
    pub fn new(p: SwitchParams) -> Result<Self, ParamError> {
        p.validate()?;
        let n = p.chips.len();
        Ok(Switch {
            bytes_per_s: bytes_per_s(p.port_bandwidth_gb_per_s),
            input_bytes_per_s: bytes_per_s(p.input_bandwidth_gb_per_s.unwrap_or(p.port_bandwidth_gb_per_s)),
            fwd_ps: (p.forwarding_latency_ns * 1e3).round() as u64,
            out: (0..n)
                .map(|_| OutPort { queue: VecDeque::new(), leaving: None, free_at: 0, busy_ps: 0, queue_max: 0 })
                .collect(),
            p,
            packets: 0,
            bytes: 0,
            queue_delay: Histogram::new(),
        })
    }

    fn n(&self) -> usize {
        self.p.chips.len()
    }

    fn start(&mut self, ctx: &mut Context<'_, Msg>, o: usize) {
        let now = ctx.now().0;
        let port = &mut self.out[o];
        if port.leaving.is_some() {
            return;
        }
        let Some((pkt, input, ready)) = port.queue.pop_front() else { return };
        let ser = serialise_ps(pkt.wire_bytes(), self.bytes_per_s);
        let ser_in = serialise_ps(pkt.wire_bytes(), self.input_bytes_per_s);
        // Cut-through: the head may leave `fwd` after it came in (`ser_in` before the tail),
        // and the tail cannot leave before it came in (plus `fwd`).
        let head_ready = ready.saturating_sub(ser_in);
        let start = port.free_at.max(head_ready);
        let end = (start + ser).max(ready).max(now);
        self.queue_delay.record(start - head_ready);
        port.busy_ps += ser;
        port.leaving = Some((pkt, input));
        port.free_at = end;
        ctx.schedule_at(SimTime(end), o as u64);
    }
}

impl Component<Msg> for Switch {
    fn ports(&self) -> Vec<PortSpec> {
        let mut v: Vec<PortSpec> =
            (0..self.n()).map(|i| PortSpec::input(format!("in{i}"), "link").manual_release()).collect();
        v.extend((0..self.n()).map(|i| PortSpec::output(format!("out{i}"), "link")));
        v
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        let i = port.0 as usize;
        let Msg::Link(pkt) = msg else {
            return ctx.abort(format!("unexpected message on port in{i}"));
        };
        let Some(o) = self.p.chips.iter().position(|&c| c == pkt.dst as usize) else {
            return ctx.abort(format!("a packet for chip {} which no port of this switch reaches", pkt.dst));
        };
        let ready = ctx.now().0 + self.fwd_ps;
        self.packets += 1;
        self.bytes += pkt.wire_bytes();
        let q = &mut self.out[o];
        q.queue.push_back((*pkt, i, ready));
        q.queue_max = q.queue_max.max(q.queue.len());
        self.start(ctx, o);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        let o = tag as usize;
        let (pkt, input) = self.out[o].leaving.take().expect("a timer ends a departure");
        if ctx.send(PortId((self.n() + o) as u16), Msg::Link(Box::new(pkt))).is_err() {
            return ctx.abort("a switch output channel refused a packet; give switch-to-chip channels no depth");
        }
        ctx.release(PortId(input as u16));
        self.start(ctx, o);
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let end = stats.now().0.max(1);
        stats.counter("packets", self.packets);
        stats.counter("bytes", self.bytes);
        for (i, p) in self.out.iter().enumerate() {
            stats.value(&format!("port{i}.busy_fraction"), p.busy_ps as f64 / end as f64);
            stats.counter(&format!("port{i}.queue_max"), p.queue_max as u64);
        }
        stats.histogram("queue_delay_ps", &self.queue_delay);
        let e = self.bytes as f64 * 8.0 * self.p.energy_pj_per_bit;
        stats.value("energy_link.dynamic_pj", e);
        stats.value("energy_link.idle_pj", 0.0);
        stats.value("energy_link.total_pj", e);
    }
}
