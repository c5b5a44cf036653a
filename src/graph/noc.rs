//! A `noc` instance drawn as what it is inside: a cluster of its routers laid out as its
//! mesh (router `k` at row `k / cols`, column `k % cols`; a crossbar is one router), its
//! router-to-router links as edges labelled with their bandwidth, and the ports `in<i>` /
//! `out<i>` of endpoint `i` attached to the router `endpoint_routers[i]` names (the
//! component's own [`Network`], so the drawing is the network the run uses).

use std::collections::HashSet;
use std::fmt::Write;

use components::noc::{Network, NocConfig, NocParams, NocTopology, Node};

use super::labels::{clock_label, number};
use super::quote;
use crate::topology::{Instance, Topology};

/// What the drawing of one `noc` instance needs.
pub(super) struct NocView {
    cfg: NocConfig,
    net: Network,
    /// `sys_clk 50 MHz` and the clock's frequency at its start, MHz.
    clock: Option<(String, f64)>,
}

impl NocView {
    /// The view of `inst` if it is a `noc` whose parameters validate (elaboration has
    /// checked them already; otherwise the instance is drawn as a plain node).
    pub(super) fn of(topo: &Topology, inst: &Instance) -> Option<NocView> {
        if inst.kind != "noc" {
            return None;
        }
        let p: NocParams = serde_yaml::from_value(inst.params.clone()).ok()?;
        let cfg = p.validate().ok()?;
        let net = Network::new(&cfg);
        let clock = topo.resolve_clock(&inst.scope, &p.clock).and_then(|c| {
            let mhz = 1e6 / topo.clocks[c].period_ps as f64;
            clock_label(topo, &inst.scope, &p.clock).map(|l| (l, mhz))
        });
        Some(NocView { cfg, net, clock })
    }

    /// The router that port `in<i>` or `out<i>` of the NoC attaches to.
    pub(super) fn router_of_port(&self, port: &str) -> Option<u32> {
        let i: usize = port.strip_prefix("in").or_else(|| port.strip_prefix("out"))?.parse().ok()?;
        self.cfg.endpoint_routers.get(i).copied()
    }

    /// The DOT node id of router `r` of the NoC drawn as `id`.
    pub(super) fn router_id(id: &str, r: u32) -> String {
        format!("{id}r{r}")
    }

    /// Writes the NoC named `name` as a cluster of router nodes `<id>r<k>` and its links.
    ///
    /// Layout: the graph runs left to right, so each mesh column is one rank (`rank=same`)
    /// and the links along a column are drawn top to bottom: dot then places router `k` at
    /// row `k / cols` of column `k % cols`, and a 3×3 mesh looks 3×3. A link and its reverse
    /// are one edge with arrows at both ends.
    pub(super) fn write_cluster(&self, out: &mut String, id: &str, name: &str, indent: &str) {
        let c = &self.cfg;
        let shape = match c.topology {
            NocTopology::Mesh => format!("{}x{} mesh", c.rows, c.cols),
            NocTopology::Crossbar => "crossbar".to_string(),
        };
        let mut label = format!("{name}\nnoc: {shape}");
        let mut bandwidth = format!("{} B/cycle", c.link_bytes_per_cycle);
        if let Some((clock, mhz)) = &self.clock {
            let _ = write!(label, ", {clock}");
            // Bytes per cycle at MHz: MB/s; /1000: GB/s.
            bandwidth = format!("{} GB/s", number(c.link_bytes_per_cycle as f64 * mhz / 1e3));
            let _ = write!(
                label,
                "\nlinks {} B/cycle ({bandwidth}), router {} cycles ({} ns), buffers {} B",
                c.link_bytes_per_cycle,
                c.router_latency_cycles,
                number(c.router_latency_cycles as f64 * 1e3 / mhz),
                c.buffer_bytes
            );
        } else {
            let _ = write!(
                label,
                "\nlinks {} B/cycle, router {} cycles, buffers {} B",
                c.link_bytes_per_cycle, c.router_latency_cycles, c.buffer_bytes
            );
        }
        let _ = writeln!(
            out,
            "{indent}subgraph cluster_{id} {{\n{indent}  label={};\n{indent}  style=rounded;",
            quote(&label)
        );
        for r in 0..self.net.routers {
            let _ = writeln!(out, "{indent}  {} [label=\"r{r}\", shape=circle];", Self::router_id(id, r));
        }
        if c.topology == NocTopology::Mesh && c.rows > 1 {
            for col in 0..c.cols {
                let column: Vec<String> = (0..c.rows).map(|row| Self::router_id(id, row * c.cols + col)).collect();
                let _ = writeln!(out, "{indent}  {{ rank=same; {}; }}", column.join("; "));
            }
        }
        for (a, b, both) in self.router_pairs() {
            let dir = if both { ", dir=both" } else { "" };
            let _ = writeln!(
                out,
                "{indent}  {} -> {} [label={}{dir}];",
                Self::router_id(id, a),
                Self::router_id(id, b),
                quote(&bandwidth)
            );
        }
        let _ = writeln!(out, "{indent}}}");
    }

    /// Router-to-router links as drawn edges: `(a, b, both)` with `a < b`, `both` when the
    /// link `b -> a` exists too (always, on a mesh), in the network's link order.
    fn router_pairs(&self) -> Vec<(u32, u32, bool)> {
        let links: Vec<(u32, u32)> = self
            .net
            .links
            .iter()
            .filter_map(|l| match (l.from, l.to) {
                (Node::Router(a), Node::Router(b)) => Some((a, b)),
                _ => None,
            })
            .collect();
        let set: HashSet<(u32, u32)> = links.iter().copied().collect();
        let has = |a: u32, b: u32| set.contains(&(a, b));
        links
            .iter()
            .filter_map(|&(a, b)| match (a < b, has(b, a)) {
                (true, both) => Some((a, b, both)),
                (false, false) => Some((a, b, false)),
                (false, true) => None, // drawn with its reverse
            })
            .collect()
    }
}
