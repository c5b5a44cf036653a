//! `tasim graph`: the elaborated netlist in Graphviz DOT, one cluster per partition (named
//! by the scope its instances share: `chip3`). With a depth, instances are grouped by the
//! first `depth` levels of their names (`--depth 1`: `chip3.pc0` and `chip3.gb` are one node
//! `chip3`), so a system of many chips reads as its chips and the links between them.
//!
//! Without a depth, each node gives its clock (name and frequency) and its type's key
//! parameters (`labels`), and a `noc` is drawn as its routers and links (`noc`), with each
//! endpoint's channels attached to its router.

mod labels;
mod noc;

use std::collections::HashMap;
use std::fmt::Write;

use petgraph::visit::EdgeRef;
use sim_core::{NetNode, Netlist};

use crate::topology::Topology;
use noc::NocView;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// DOT text of `netlist`, labelled with component types from `topo`.
pub fn to_dot(topo: &Topology, netlist: &Netlist) -> String {
    let g = &netlist.graph;
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&topo.name));
    out.push_str(
        "  rankdir=LR;\n  fontname=\"Helvetica\";\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
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
    // NoCs drawn as their routers, by node index.
    let mut nocs: HashMap<usize, NocView> = HashMap::new();
    for p in &partitions {
        if clustered {
            let label = quote(&partition_name(topo, *p));
            let _ = writeln!(out, "  subgraph cluster_p{p} {{\n    label={label};");
        }
        for idx in g.node_indices() {
            if let NetNode::Component { name, partition, .. } = &g[idx] {
                if partition != p {
                    continue;
                }
                let Some(inst) = topo.instance(name) else {
                    let _ = writeln!(out, "    n{} [label={}];", idx.index(), quote(&format!("{name}\n?")));
                    continue;
                };
                if let Some(view) = NocView::of(topo, inst) {
                    view.write_cluster(&mut out, &format!("n{}", idx.index()), name, "    ");
                    nocs.insert(idx.index(), view);
                    continue;
                }
                let mut label = format!("{name}\n{}", inst.kind);
                for line in labels::instance_lines(topo, inst) {
                    label.push('\n');
                    label.push_str(&line);
                }
                let _ = writeln!(out, "    n{} [label={}];", idx.index(), quote(&label));
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
        // A channel to or from a NoC ends at the router its port's endpoint hangs on.
        let end = |idx: usize, port: &str| {
            let id = format!("n{idx}");
            match nocs.get(&idx).and_then(|v| v.router_of_port(port)) {
                Some(r) => NocView::router_id(&id, r),
                None => id,
            }
        };
        let (from, to) = (end(e.source().index(), &w.from_port), end(e.target().index(), &w.to_port));
        let _ = writeln!(out, "  {from} -> {to} [label={}];", quote(&label));
    }
    out.push_str("}\n");
    out
}

/// A partition's name: the scope all its instances share (`chip3`), else `partition N`.
fn partition_name(topo: &Topology, p: u32) -> String {
    let mut scopes = topo.instances.iter().filter(|i| i.partition == p).map(|i| i.scope.as_str());
    let first = scopes.next().unwrap_or("");
    match first.trim_end_matches('.') {
        s if !s.is_empty() && scopes.all(|x| x == first) => s.to_string(),
        _ => format!("partition {p}"),
    }
}

/// The group of instance `name` at `depth` levels (`chip3.pc0` at 1: `chip3`).
fn group_of(name: &str, depth: usize) -> &str {
    match name.match_indices('.').nth(depth.saturating_sub(1)) {
        Some((i, _)) => &name[..i],
        None => name,
    }
}

/// DOT text of `netlist` with instances grouped by the first `depth` levels of their names:
/// one node per group (its type, or its instance count), one edge per pair of groups joined by
/// channels (their count). Fabrics stay nodes. Laid out in a circle (`circo`): rings of chips
/// read as rings.
pub fn to_dot_grouped(topo: &Topology, netlist: &Netlist, depth: usize) -> String {
    use std::collections::BTreeMap;
    let g = &netlist.graph;
    let depth = depth.max(1);
    // Group of each node; groups in order of first appearance.
    let mut groups: Vec<String> = Vec::new();
    let mut members: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut of_node = vec![0usize; g.node_count()];
    for idx in g.node_indices() {
        let (key, kind) = match &g[idx] {
            NetNode::Component { name, .. } => {
                (group_of(name, depth).to_string(), topo.instance(name).map_or("?", |i| i.kind.as_str()))
            }
            NetNode::Fabric { name, .. } => (name.clone(), "fabric"),
        };
        let k = match groups.iter().position(|x| *x == key) {
            Some(k) => k,
            None => {
                groups.push(key.clone());
                groups.len() - 1
            }
        };
        of_node[idx.index()] = k;
        members.entry(key).or_default().push(kind);
    }
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&topo.name));
    out.push_str(
        "  layout=circo;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for (k, key) in groups.iter().enumerate() {
        let kinds = &members[key];
        // Short labels keep a large system legible: a group says how many instances it holds.
        let label =
            if kinds.len() == 1 { format!("{key}\n{}", kinds[0]) } else { format!("{key}\n{} instances", kinds.len()) };
        let _ = writeln!(out, "  g{k} [label={}];", quote(&label));
    }
    let mut edges: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for e in g.edge_references() {
        let (a, b) = (of_node[e.source().index()], of_node[e.target().index()]);
        if a != b {
            *edges.entry((a, b)).or_default() += 1;
        }
    }
    for ((a, b), n) in edges {
        let label = if n == 1 { String::new() } else { format!("{n} channels") };
        let _ = writeln!(out, "  g{a} -> g{b} [label={}];", quote(&label));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_name_prefixes() {
        assert_eq!(group_of("chip3.pc0", 1), "chip3");
        assert_eq!(group_of("chip3.noc.r1", 2), "chip3.noc");
        assert_eq!(group_of("ctrl", 1), "ctrl");
        assert_eq!(group_of("chip3.pc0", 5), "chip3.pc0");
    }
}
