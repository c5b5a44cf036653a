//! `tasim graph`: the elaborated netlist in Graphviz DOT, one cluster per partition.

use std::fmt::Write;

use petgraph::visit::EdgeRef;
use sim_core::{NetNode, Netlist};

use crate::topology::Topology;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// DOT text of `netlist`, labelled with component types from `topo`.
pub fn to_dot(topo: &Topology, netlist: &Netlist) -> String {
    let g = &netlist.graph;
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&topo.name));
    out.push_str(
        "  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    let mut partitions: Vec<u32> = g
        .node_weights()
        .filter_map(|n| match n {
            NetNode::Component { partition, .. } => Some(*partition),
            NetNode::Fabric { .. } => None,
        })
        .collect();
    partitions.sort_unstable();
    partitions.dedup();
    let clustered = partitions.len() > 1;
    for p in &partitions {
        if clustered {
            let _ = writeln!(out, "  subgraph cluster_p{p} {{\n    label=\"partition {p}\";");
        }
        for idx in g.node_indices() {
            if let NetNode::Component { name, partition, .. } = &g[idx] {
                if partition == p {
                    let kind = topo.instance(name).map_or("?", |i| i.kind.as_str());
                    let _ = writeln!(out, "    n{} [label={}];", idx.index(), quote(&format!("{name}\n{kind}")));
                }
            }
        }
        if clustered {
            out.push_str("  }\n");
        }
    }
    for idx in g.node_indices() {
        if let NetNode::Fabric { name, .. } = &g[idx] {
            let _ = writeln!(out, "  n{} [label={}, shape=ellipse];", idx.index(), quote(&format!("{name}\nfabric")));
        }
    }
    for e in g.edge_references() {
        let w = e.weight();
        let label = match (w.from_port.is_empty(), w.to_port.is_empty()) {
            (false, false) => format!("{} -> {}\n{}", w.from_port, w.to_port, w.latency),
            (false, true) => format!("{}\n{}", w.from_port, w.latency),
            (true, false) => w.to_port.clone(),
            (true, true) => String::new(),
        };
        let _ = writeln!(out, "  n{} -> n{} [label={}];", e.source().index(), e.target().index(), quote(&label));
    }
    out.push_str("}\n");
    out
}
