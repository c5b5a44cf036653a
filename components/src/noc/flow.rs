//! How packets move: link arbitration with credits, link completion, delivery at the edges.
//! Every step is triggered by an event (a message in, a link done, a router latency over,
//! a refused output ready again); nothing polls.

use sim_core::{Context, Refused, SimDuration, SimTime};

use super::{cycles_from_now, in_port, out_port, tag, LinkEnd, Noc, Packet, Place, ELIGIBLE, LINK_DONE};
use crate::Msg;

impl Noc {
    /// Gives free link `l` to the eligible head that arrived first (then lower input port),
    /// if the buffer at its far end has room for the whole packet.
    pub(super) fn arbitrate(&mut self, ctx: &mut Context<'_, Msg>, l: u32) {
        let link = &self.links[l as usize];
        if link.busy {
            return;
        }
        let now = ctx.now().as_ps();
        let mut best: Option<(u64, u32, u32)> = None;
        for &b in &link.sources {
            let buf = &self.buffers[b as usize];
            let Some(p) = buf.packets.front() else { continue };
            if buf.head_moving || p.eligible_ps > now || self.net.route(p.src, p.dst)[p.hop as usize] != l {
                continue;
            }
            let key = (p.arrived_ps, buf.port, b);
            if best.is_none_or(|k| key < k) {
                best = Some(key);
            }
        }
        let Some((_, _, b)) = best else { return };
        let head = self.buffers[b as usize].packets.front().expect("the winner is a head");
        let (bytes, cause, waited) = (head.bytes, head.cause, now - head.eligible_ps);
        if let LinkEnd::Buffer(d) = link.to {
            let down = &mut self.buffers[d as usize];
            if down.reserved_bytes + bytes > down.capacity_bytes {
                return; // no credits: the link stays idle until that buffer frees space
            }
            down.reserved_bytes += bytes;
            if let Place::Router(r) = down.at {
                let rs = &mut self.routers[r as usize];
                rs.max_buffer_bytes = rs.max_buffer_bytes.max(down.reserved_bytes);
            }
        }
        let buf = &mut self.buffers[b as usize];
        buf.head_moving = true;
        match buf.at {
            Place::Router(r) => self.routers[r as usize].queueing_ps.record(waited),
            Place::Interface(i) => self.endpoints[i as usize].injection_wait_ps.record(waited),
        }
        let ser = cycles_from_now(ctx, self.clock, bytes.div_ceil(self.cfg.link_bytes_per_cycle));
        let link = &mut self.links[l as usize];
        link.busy = true;
        link.carrying = b;
        link.bytes += bytes;
        link.packets += 1;
        link.busy_ps += ser;
        if ctx.observed() {
            ctx.mark(&self.busy_marks[l as usize], i64::try_from(ser).unwrap_or(i64::MAX));
        }
        let v = self.meter.at(ctx);
        self.meter.add(v, "noc_link", self.cfg.link_pj_per_byte, bytes as f64, cause);
        ctx.schedule(SimDuration(ser), tag(LINK_DONE, l));
    }

    /// The last byte of the packet on link `l` has crossed it.
    pub(super) fn link_done(&mut self, ctx: &mut Context<'_, Msg>, l: u32) {
        let d = match self.links[l as usize].to {
            LinkEnd::Endpoint(j) => return self.deliver(ctx, l, j),
            LinkEnd::Buffer(d) => d,
        };
        let b = self.links[l as usize].carrying;
        let mut p = self.take_head(b);
        let now = ctx.now().as_ps();
        p.hop += 1;
        p.arrived_ps = now;
        p.eligible_ps = now + cycles_from_now(ctx, self.clock, self.cfg.router_latency_cycles);
        let Place::Router(r) = self.buffers[d as usize].at else { unreachable!("links deliver into routers") };
        self.routers[r as usize].packets += 1;
        let v = self.meter.at(ctx);
        let pj = self.cfg.router_pj_per_packet + self.cfg.router_pj_per_byte * p.bytes as f64;
        self.meter.add(v, "noc_router", pj, 1.0, p.cause);
        ctx.schedule_at(SimTime(p.eligible_ps), tag(ELIGIBLE, d));
        self.buffers[d as usize].packets.push_back(p);
        self.links[l as usize].busy = false;
        self.departed(ctx, b);
        self.arbitrate(ctx, l);
    }

    /// Sends the packet that crossed ejection link `l` on `out<j>`; if refused, the link holds
    /// it until `on_ready`.
    pub(super) fn deliver(&mut self, ctx: &mut Context<'_, Msg>, l: u32, j: u32) {
        let b = self.links[l as usize].carrying;
        let mut p = self.buffers[b as usize].packets.pop_front().expect("a packet is on the link");
        match ctx.send(out_port(j), p.msg) {
            Ok(()) => {
                let buf = &mut self.buffers[b as usize];
                buf.reserved_bytes -= p.bytes;
                buf.head_moving = false;
                let ep = &mut self.endpoints[j as usize];
                ep.packets_out += 1;
                ep.bytes_out += p.bytes;
                self.delivered += 1;
                self.latency_ps.record(ctx.now().as_ps() - p.entered_ps);
                self.hops.record(self.net.hops(p.src, p.dst) as u64);
                self.links[l as usize].busy = false;
                self.departed(ctx, b);
                self.arbitrate(ctx, l);
            }
            Err(Refused(m)) => {
                p.msg = m;
                self.buffers[b as usize].packets.push_front(p);
                self.links[l as usize].held = true;
                self.endpoints[j as usize].refused += 1;
            }
        }
    }

    /// A router latency ended in buffer `b`: its head may now compete for its next link.
    pub(super) fn head_eligible(&mut self, ctx: &mut Context<'_, Msg>, b: u32) {
        let buf = &self.buffers[b as usize];
        if let Some(p) = buf.packets.front() {
            if !buf.head_moving && p.eligible_ps <= ctx.now().as_ps() {
                let next = self.net.route(p.src, p.dst)[p.hop as usize];
                self.arbitrate(ctx, next);
            }
        }
    }

    /// Removes the head of buffer `b`, which has fully left it, and frees its space.
    fn take_head(&mut self, b: u32) -> Packet {
        let buf = &mut self.buffers[b as usize];
        let p = buf.packets.pop_front().expect("the moving head is there");
        buf.reserved_bytes -= p.bytes;
        buf.head_moving = false;
        p
    }

    /// A packet left buffer `b`: return the sender's slot (network interface) or the credits
    /// (router port) and let the new head compete.
    fn departed(&mut self, ctx: &mut Context<'_, Msg>, b: u32) {
        let buf = &self.buffers[b as usize];
        match (buf.at, buf.feeder) {
            (Place::Interface(i), _) => ctx.release(in_port(i)),
            (Place::Router(_), Some(f)) => self.arbitrate(ctx, f),
            (Place::Router(_), None) => unreachable!("every router buffer has a feeding link"),
        }
        self.head_eligible(ctx, b);
    }
}
