//! The on-chip interconnect: routers joined by links, as a mesh or a crossbar, carrying `mem`
//! requests and responses between endpoints (cores, the global buffer, the controller).
//!
//! ```text
//!                         gb                   the paper chip's 2×3 mesh: each endpoint hangs
//!                         │                    on one router (`endpoint_routers`: 0 2 3 5 1);
//!   pc0 ─in0/out0─ r0 ── r1 ── r2 ─ pc1        a crossbar is a single router r0 with every
//!                  │     │     │               endpoint on it
//!    uc ─in2/out2─ r3 ── r4 ── r5 ─ ctrl
//! ```
//!
//! # Ports and routing
//! Endpoint `i` (the `i`-th name in `endpoints`) is the input port `in<i>` and the output port
//! `out<i>`, both of protocol `mem`. A `MemReq` entering on `in<i>` gets `source = i` written
//! into it and goes to the endpoint that `address_map` gives for its `addr`; a `MemResp`
//! goes to endpoint `source` (back to where its request came from). An address outside the
//! map, a response naming no endpoint, or any other kind of message ends the run with an
//! error naming it. Routes are computed once from the graph of routers and links: shortest
//! paths, ties broken towards the lower dimension, which on a mesh is XY routing (see
//! [`network`]). One route per endpoint pair, so packets between two endpoints stay in order.
//!
//! # Timing (store-and-forward, packet-granular buffers)
//! A packet is a whole message of `wire_bytes()` bytes (header and data); it is never split.
//! - Every link (endpoint to router, router to router, router to endpoint) serialises a
//!   packet for `ceil(bytes / link_bytes_per_cycle)` cycles of `clock`, at the period in force
//!   when the packet starts on the link (so DVFS changes apply to the next packet).
//! - A packet that has fully arrived in a router's input buffer may leave after
//!   `router_latency_cycles` (route computation and allocation, pipelined: packets queued
//!   behind it go through that stage while they wait).
//! - An unloaded packet crossing `h` routers therefore takes `(h + 1)` serialisations plus
//!   `h` router latencies, plus the latencies of the channels bound to the ports.
//! - Each router input port has a buffer of `buffer_bytes` (credit-based flow control, whole
//!   packets as in virtual cut-through): a packet takes a link only when the buffer at its
//!   far end has room for all of it, reserved from the start of the transfer and freed once
//!   the packet has left that buffer (credits return without delay). A packet larger than
//!   `buffer_bytes` could never move: the run ends with an error asking to raise it.
//! - Each endpoint has a network interface, a FIFO in front of its injection link. A slot of
//!   the channel into `in<i>` is released when the packet has entered the first router's
//!   buffer, so a full NoC pushes back on its senders. The packet leaving on `out<j>` is
//!   sent when its last byte has crossed the ejection link; if the channel refuses it, the
//!   ejection link holds it (and its router buffer space) until `on_ready`.
//! - Times are not snapped to clock edges (as the kernel's per-cycle channels): a packet that
//!   arrives between two edges starts at once, for whole cycles of the period in force.
//! - Nothing ticks while idle: link completions and the end of router latencies are timers.
//!
//! # Arbitration
//! Each input buffer is a FIFO: only its head may leave. When a link is free, it goes to the
//! eligible head, among the buffers of its upstream node that want it, that arrived at that
//! node first; ties go to the lower input port. A router's input ports are numbered with its
//! endpoints first (in endpoint order), then its neighbour routers by index. If the oldest
//! packet does not fit in the buffer downstream, the link waits for credits rather than
//! serve a younger one (no overtaking): deterministic, and no packet starves.
//!
//! # Statistics
//! Under the instance name (`noc.`); `<from>-><to>` names endpoints and routers `r<k>`:
//! - `link.<from>-><to>.bytes`, `.packets`, `.busy_ps` (time serialising), `.utilisation`
//!   (busy / elapsed run time); `link_utilisation_max`, `link_utilisation_mean` over links.
//! - `router.r<k>.packets`; `router.r<k>.queueing_ps` (histogram: time from the end of the
//!   router latency to winning the output link, waiting for the link or for credits);
//!   `router.r<k>.max_buffer_bytes` (the fullest any one of its input buffers got, bytes
//!   held or reserved).
//! - `endpoint.<name>.packets_in`, `.bytes_in` (entering on `in<i>`), `.packets_out`,
//!   `.bytes_out` (leaving on `out<i>`), `.refused` (sends `out<i>` refused),
//!   `.injection_wait_ps` (histogram: time in the network interface before the injection link).
//! - `packets` (delivered), `latency_ps` (histogram, entering `in<i>` to leaving `out<j>`),
//!   `hops` (histogram of routers crossed), `in_flight_at_end` (packets still inside when the
//!   run ended: non-zero after an idle end means the NoC was stuck).
//! - For observers, each packet's serialisation on a link is a busy mark
//!   (`busy_ps:link <from>-><to>`, [`crate::BUSY_MARK_PREFIX`]) at its start, for the time
//!   that `busy_ps` counts (and an empty one per link at time zero, so that idle links are
//!   known too): the timeline's link utilisation counters.
//! - `energy.*` (on-chip, [`EnergyMeter`]), kinds `noc_link` (per byte per link) and
//!   `noc_router` (per packet and per byte through a router), plus leakage of routers and
//!   buffers, all in the power domain of `clock`.
//!
//! # Not modelled
//! Flits and wormhole switching, virtual channels, and separate request and response
//! networks: requests and responses share every buffer. XY routing keeps the mesh free of
//! routing deadlock, but an endpoint that holds requests until its responses are sent can
//! deadlock against traffic of another such endpoint (message-dependent deadlock);
//! `in_flight_at_end` shows it.

pub mod address_map;
mod flow;
pub mod network;
mod params;

use std::collections::VecDeque;

use sim_core::{ClockId, Component, Context, Histogram, Message, PortId, PortSpec, StatsWriter};

pub use self::address_map::{AddressMap, Region};
pub use self::network::{Network, Node};
pub use self::params::{NocConfig, NocParams, NocTopology, RegionParams};
use crate::energy::{EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::Cause;
use crate::Msg;

/// Timer kinds (high half of the tag; the low half is a link or buffer index).
const LINK_DONE: u64 = 0;
const ELIGIBLE: u64 = 1;

fn tag(kind: u64, index: u32) -> u64 {
    (kind << 32) | u64::from(index)
}

/// A message in flight and where it is on its route.
struct Packet {
    msg: Msg,
    bytes: u64,
    src: u32,
    dst: u32,
    /// Index in the route of the next link to take.
    hop: u32,
    /// When it entered `in<src>` (end-to-end latency).
    entered_ps: u64,
    /// When it arrived in its current buffer (arbitration order).
    arrived_ps: u64,
    /// When it may leave its current buffer (arrival plus router latency).
    eligible_ps: u64,
    cause: Cause,
}

/// Where a buffer sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The network interface of an endpoint (unbounded: the channel into `in<i>` bounds it).
    Interface(u32),
    Router(u32),
}

/// A FIFO of packets: a network interface or a router input port.
struct Buffer {
    at: Place,
    /// Input port number at its node (arbitration tie-break).
    port: u32,
    /// The link that fills it (none for a network interface).
    feeder: Option<u32>,
    packets: VecDeque<Packet>,
    /// Bytes held plus bytes reserved by a transfer under way into it.
    reserved_bytes: u64,
    capacity_bytes: u64,
    /// The head is crossing its output link.
    head_moving: bool,
}

/// What a link delivers into.
#[derive(Clone, Copy)]
enum LinkEnd {
    Buffer(u32),
    Endpoint(u32),
}

struct LinkState {
    to: LinkEnd,
    /// The buffers of its upstream node, by input port: who may compete for it.
    sources: Vec<u32>,
    /// Serialising a packet, or holding one that `out<j>` refused.
    busy: bool,
    /// The buffer whose head is on the link.
    carrying: u32,
    /// Holding a packet that `out<j>` refused, until `on_ready`.
    held: bool,
    bytes: u64,
    packets: u64,
    busy_ps: u64,
}

#[derive(Default)]
struct RouterStats {
    packets: u64,
    queueing_ps: Histogram,
    max_buffer_bytes: u64,
}

#[derive(Default)]
struct EndpointStats {
    packets_in: u64,
    bytes_in: u64,
    packets_out: u64,
    bytes_out: u64,
    refused: u64,
    injection_wait_ps: Histogram,
}

/// The `noc` component. Build it from validated parameters ([`NocParams::validate`]).
pub struct Noc {
    cfg: NocConfig,
    net: Network,
    clock: ClockId,
    meter: EnergyMeter,
    /// Network interfaces first (buffer `i` is endpoint `i`'s), then router input ports.
    buffers: Vec<Buffer>,
    links: Vec<LinkState>,
    routers: Vec<RouterStats>,
    endpoints: Vec<EndpointStats>,
    delivered: u64,
    latency_ps: Histogram,
    hops: Histogram,
    /// Area at the chip's node, mm²: (routers, router-to-router links).
    area_mm2: (f64, f64),
    /// Per link, the label of its busy marks for observers (`busy_ps:link gb->r1`).
    busy_marks: Vec<String>,
}

/// Area of the routers (input buffers and crossbar per router, [`crate::cost::area::router_mm2`])
/// and of the router-to-router links (`link_length_mm` of wire per bit); `inputs[r]` is the
/// number of links into router `r`. Links between an endpoint and its router are taken as
/// short against the mesh links and not counted.
fn area(net: &Network, inputs: &[u32], cfg: &NocConfig) -> (f64, f64) {
    use crate::cost::area::{link_mm2, router_mm2};
    let width_bits = u32::try_from(cfg.link_bytes_per_cycle.saturating_mul(8)).unwrap_or(u32::MAX);
    let mut outputs = vec![0u32; inputs.len()];
    let mut links = 0.0;
    for l in &net.links {
        if let Node::Router(r) = l.from {
            outputs[r as usize] += 1;
            if matches!(l.to, Node::Router(_)) {
                links += link_mm2(width_bits, cfg.link_length_mm);
            }
        }
    }
    let routers = inputs.iter().zip(&outputs).map(|(&i, &o)| router_mm2(i, o, cfg.buffer_bytes, width_bits)).sum();
    (routers, links)
}

fn in_port(i: u32) -> PortId {
    PortId((2 * i) as u16)
}

fn out_port(i: u32) -> PortId {
    PortId((2 * i + 1) as u16)
}

impl Noc {
    /// A NoC clocked by (and drawing power from) `domain`.
    pub fn new(cfg: NocConfig, domain: PowerDomain) -> Noc {
        let net = Network::new(&cfg);
        let e = cfg.endpoints.len() as u32;
        let mut buffers: Vec<Buffer> = (0..e)
            .map(|i| Buffer {
                at: Place::Interface(i),
                port: 0,
                feeder: None,
                packets: VecDeque::new(),
                reserved_bytes: 0,
                capacity_bytes: u64::MAX,
                head_moving: false,
            })
            .collect();
        // One input buffer per link into a router, numbered per router in link order.
        let mut ports_of = vec![0u32; net.routers as usize];
        let mut ends = Vec::with_capacity(net.links.len());
        for (l, link) in net.links.iter().enumerate() {
            ends.push(match link.to {
                Node::Endpoint(j) => LinkEnd::Endpoint(j),
                Node::Router(r) => {
                    buffers.push(Buffer {
                        at: Place::Router(r),
                        port: ports_of[r as usize],
                        feeder: Some(l as u32),
                        packets: VecDeque::new(),
                        reserved_bytes: 0,
                        capacity_bytes: cfg.buffer_bytes,
                        head_moving: false,
                    });
                    ports_of[r as usize] += 1;
                    LinkEnd::Buffer(buffers.len() as u32 - 1)
                }
            });
        }
        let links = net
            .links
            .iter()
            .zip(ends)
            .map(|(link, to)| {
                let here = match link.from {
                    Node::Endpoint(i) => Place::Interface(i),
                    Node::Router(r) => Place::Router(r),
                };
                let sources = (0..buffers.len() as u32).filter(|&b| buffers[b as usize].at == here).collect();
                LinkState { to, sources, busy: false, carrying: 0, held: false, bytes: 0, packets: 0, busy_ps: 0 }
            })
            .collect();
        let router_buffers = buffers.len() - e as usize;
        let node = domain.technology.area;
        let area_mm2 = area(&net, &ports_of, &cfg);
        let area_mm2 = (area_mm2.0 * node, area_mm2.1 * node);
        let leakage_uw = f64::from(net.routers) * cfg.leakage_uw_per_router
            + router_buffers as f64 * cfg.buffer_bytes as f64 / 1024.0 * cfg.leakage_uw_per_buffer_kib;
        let leakage = Leakage {
            mw_at_nominal: leakage_uw / 1000.0,
            nominal_v: cfg.nominal_v,
            voltage_exponent: cfg.leakage_voltage_exponent,
        };
        let busy_marks = net.links.iter().map(|l| format!("{}link {}", crate::BUSY_MARK_PREFIX, l.name)).collect();
        Noc {
            busy_marks,
            clock: domain.clock,
            meter: EnergyMeter::new(domain, Scope::Chip, leakage),
            routers: (0..net.routers).map(|_| RouterStats::default()).collect(),
            endpoints: (0..e).map(|_| EndpointStats::default()).collect(),
            buffers,
            links,
            net,
            cfg,
            delivered: 0,
            latency_ps: Histogram::new(),
            hops: Histogram::new(),
            area_mm2,
        }
    }

    /// The routers, links and routes.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Where a message entering on `in<i>` goes, with `source` written into a request; the
    /// reason it cannot go anywhere otherwise.
    fn destination(&self, i: u32, msg: Msg) -> Result<(u32, Cause, Msg), String> {
        let name = &self.cfg.endpoints[i as usize];
        match msg {
            Msg::MemReq(mut r) => {
                r.source = i;
                match self.cfg.address_map.lookup(r.addr) {
                    Some(d) => Ok((d, r.cause, Msg::MemReq(r))),
                    None => Err(format!(
                        "request to address {:#x} from endpoint `{name}` (in{i}): no `address_map` range holds it",
                        r.addr
                    )),
                }
            }
            Msg::MemResp(r) if (r.source as usize) < self.cfg.endpoints.len() => Ok((r.source, r.cause, Msg::MemResp(r))),
            Msg::MemResp(r) => Err(format!(
                "response from endpoint `{name}` (in{i}) is for source {}, but the endpoints are 0 to {}",
                r.source,
                self.cfg.endpoints.len() - 1
            )),
            _ => Err(format!(
                "endpoint `{name}` (in{i}) sent a message that is neither a MemReq nor a MemResp; the NoC carries `mem` traffic only"
            )),
        }
    }
}

impl Component<Msg> for Noc {
    fn ports(&self) -> Vec<PortSpec> {
        (0..self.cfg.endpoints.len())
            .flat_map(|i| {
                [PortSpec::input(format!("in{i}"), "mem").manual_release(), PortSpec::output(format!("out{i}"), "mem")]
            })
            .collect()
    }

    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        // An empty busy interval per link: observers learn every link, idle ones too.
        if ctx.observed() {
            for label in &self.busy_marks {
                ctx.mark(label, 0);
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        let i = u32::from(port.0 / 2);
        let (dst, cause, msg) = match self.destination(i, msg) {
            Ok(d) => d,
            Err(why) => return ctx.abort(why),
        };
        let bytes = msg.size_bytes();
        if bytes > self.cfg.buffer_bytes {
            let (from, to) = (&self.cfg.endpoints[i as usize], &self.cfg.endpoints[dst as usize]);
            return ctx.abort(format!(
                "a {bytes}-byte packet from `{from}` to `{to}` does not fit in a router input buffer of `buffer_bytes` = {}; \
                 raise `buffer_bytes` to at least {bytes} (packets are not split into flits)",
                self.cfg.buffer_bytes
            ));
        }
        let ep = &mut self.endpoints[i as usize];
        ep.packets_in += 1;
        ep.bytes_in += bytes;
        let now = ctx.now().0;
        let p = Packet { msg, bytes, src: i, dst, hop: 0, entered_ps: now, arrived_ps: now, eligible_ps: now, cause };
        let ni = &mut self.buffers[i as usize];
        ni.reserved_bytes += bytes;
        ni.packets.push_back(p);
        self.arbitrate(ctx, self.net.injection[i as usize]);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg>, tag: u64) {
        let index = tag as u32;
        match tag >> 32 {
            LINK_DONE => self.link_done(ctx, index),
            ELIGIBLE => self.head_eligible(ctx, index),
            _ => unreachable!("the NoC sets only its own timer kinds"),
        }
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        let j = u32::from(port.0 / 2);
        let l = self.net.ejection[j as usize];
        if self.links[l as usize].held {
            self.links[l as usize].held = false;
            self.deliver(ctx, l, j);
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        let elapsed = stats.now().as_ps();
        let utilisation = |busy: u64| sim_core::StatValue::ratio(busy as f64, elapsed as f64);
        let mut sum = 0.0f64;
        let mut max = 0.0f64;
        for (link, state) in self.net.links.iter().zip(&self.links) {
            let u = utilisation(state.busy_ps);
            sum += u;
            max = max.max(u);
            let n = &link.name;
            stats.counter(&format!("link.{n}.bytes"), state.bytes);
            stats.counter(&format!("link.{n}.packets"), state.packets);
            stats.counter(&format!("link.{n}.busy_ps"), state.busy_ps);
            stats.ratio(&format!("link.{n}.utilisation"), state.busy_ps as f64, elapsed as f64);
        }
        stats.extent("link_utilisation_max", max);
        stats.value("area.routers_mm2", self.area_mm2.0);
        stats.value("area.links_mm2", self.area_mm2.1);
        stats.value("area_mm2", self.area_mm2.0 + self.area_mm2.1);
        // One byte-hop: a link traversal and a pass through a router's buffer and crossbar.
        let c = &self.cfg;
        let hop = self.meter.at_present_voltage(stats, c.link_pj_per_byte + c.router_pj_per_byte);
        stats.extent("cost.byte_hop_pj", hop);
        stats.extent("cost.router_pj_per_packet", self.meter.at_present_voltage(stats, c.router_pj_per_packet));
        stats.ratio("link_utilisation_mean", sum, self.links.len() as f64);
        for (r, rs) in self.routers.iter().enumerate() {
            let n = network::router_name(r as u32);
            stats.counter(&format!("router.{n}.packets"), rs.packets);
            stats.histogram(&format!("router.{n}.queueing_ps"), &rs.queueing_ps);
            stats.counter(&format!("router.{n}.max_buffer_bytes"), rs.max_buffer_bytes);
        }
        for (name, es) in self.cfg.endpoints.iter().zip(&self.endpoints) {
            stats.counter(&format!("endpoint.{name}.packets_in"), es.packets_in);
            stats.counter(&format!("endpoint.{name}.bytes_in"), es.bytes_in);
            stats.counter(&format!("endpoint.{name}.packets_out"), es.packets_out);
            stats.counter(&format!("endpoint.{name}.bytes_out"), es.bytes_out);
            stats.counter(&format!("endpoint.{name}.refused"), es.refused);
            stats.histogram(&format!("endpoint.{name}.injection_wait_ps"), &es.injection_wait_ps);
        }
        stats.counter("packets", self.delivered);
        stats.histogram("latency_ps", &self.latency_ps);
        stats.histogram("hops", &self.hops);
        stats.counter("in_flight_at_end", self.buffers.iter().map(|b| b.packets.len() as u64).sum());
        self.meter.write_stats(stats);
    }
}

/// The time `cycles` cycles of `clock` take from now, at the period in force now.
fn cycles_from_now(ctx: &mut Context<'_, Msg>, clock: ClockId, cycles: u64) -> u64 {
    let now = ctx.now();
    ctx.clock(clock).cycles(now, cycles).as_ps()
}
