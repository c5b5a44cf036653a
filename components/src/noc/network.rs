//! The NoC as a graph: endpoints and routers are nodes, links are directed edges (endpoint to
//! router, router to router, router to endpoint). Routes are computed once, at construction,
//! as shortest paths in that graph.
//!
//! **Tie-break.** Where several next links are equally short, the route takes the one of the
//! lowest dimension (links along a row are dimension 0, along a column dimension 1), then the
//! lowest router index. On a mesh that is dimension-ordered XY routing: first along the row
//! to the destination's column, then along the column; deadlock-free with one buffer per
//! port, and deterministic.

use petgraph::algo::dijkstra;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{EdgeRef, Reversed};

use super::params::{NocConfig, NocTopology};

/// A node of the NoC graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Endpoint(u32),
    Router(u32),
}

/// A directed link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub from: Node,
    pub to: Node,
    /// `<from>-><to>` with endpoint names and `r<k>` for routers, as in the statistics.
    pub name: String,
    /// 0 along a row (and for endpoint links), 1 along a column: the routing tie-break.
    dimension: u8,
}

/// Routers, links and the route between every pair of endpoints.
#[derive(Clone, Debug)]
pub struct Network {
    pub routers: u32,
    /// Links in a fixed order: injection links (by endpoint), router-to-router links (by
    /// source router, then target router), ejection links (by endpoint).
    pub links: Vec<Link>,
    /// The link from endpoint `i` into its router.
    pub injection: Vec<u32>,
    /// The link from its router to endpoint `i`.
    pub ejection: Vec<u32>,
    endpoints: usize,
    /// `routes[src * endpoints + dst]`: the links a packet takes, injection to ejection.
    routes: Vec<Vec<u32>>,
}

pub fn router_name(r: u32) -> String {
    format!("r{r}")
}

impl Network {
    pub fn new(cfg: &NocConfig) -> Network {
        let e = cfg.endpoints.len();
        let name = |n: Node| match n {
            Node::Endpoint(i) => cfg.endpoints[i as usize].clone(),
            Node::Router(r) => router_name(r),
        };
        let mut links = Vec::new();
        let mut add = |from: Node, to: Node, dimension: u8| {
            links.push(Link { from, to, name: format!("{}->{}", name(from), name(to)), dimension });
            (links.len() - 1) as u32
        };
        let injection: Vec<u32> =
            (0..e as u32).map(|i| add(Node::Endpoint(i), Node::Router(cfg.endpoint_routers[i as usize]), 0)).collect();
        let (rows, cols) = (cfg.rows, cfg.cols);
        let routers = rows * cols;
        if cfg.topology == NocTopology::Mesh {
            for r in 0..routers {
                let (row, col) = (r / cols, r % cols);
                // Neighbours in increasing index: up, left, right, down.
                let mut neighbours = Vec::with_capacity(4);
                if row > 0 {
                    neighbours.push((r - cols, 1));
                }
                if col > 0 {
                    neighbours.push((r - 1, 0));
                }
                if col + 1 < cols {
                    neighbours.push((r + 1, 0));
                }
                if row + 1 < rows {
                    neighbours.push((r + cols, 1));
                }
                for (n, dim) in neighbours {
                    add(Node::Router(r), Node::Router(n), dim);
                }
            }
        }
        let ejection: Vec<u32> =
            (0..e as u32).map(|i| add(Node::Router(cfg.endpoint_routers[i as usize]), Node::Endpoint(i), 0)).collect();
        let routes = compute_routes(e, routers, &links);
        Network { routers, links, injection, ejection, endpoints: e, routes }
    }

    /// The links from endpoint `src` to endpoint `dst`, in order.
    pub fn route(&self, src: u32, dst: u32) -> &[u32] {
        &self.routes[src as usize * self.endpoints + dst as usize]
    }

    /// Routers a packet from `src` to `dst` passes through.
    pub fn hops(&self, src: u32, dst: u32) -> usize {
        self.route(src, dst).len() - 1
    }
}

/// Shortest paths by distance to each destination, walked from each source with the
/// dimension tie-break.
fn compute_routes(endpoints: usize, routers: u32, links: &[Link]) -> Vec<Vec<u32>> {
    let index = |n: Node| match n {
        Node::Endpoint(i) => NodeIndex::new(i as usize),
        Node::Router(r) => NodeIndex::new(endpoints + r as usize),
    };
    let mut g: DiGraph<(), u32> = DiGraph::with_capacity(endpoints + routers as usize, links.len());
    for _ in 0..endpoints + routers as usize {
        g.add_node(());
    }
    for (i, l) in links.iter().enumerate() {
        g.add_edge(index(l.from), index(l.to), i as u32);
    }
    let mut routes = vec![Vec::new(); endpoints * endpoints];
    for dst in 0..endpoints {
        let target = NodeIndex::new(dst);
        // Hops from every node to `dst`: distances on the reversed graph.
        let dist = dijkstra(Reversed(&g), target, None, |_| 1u32);
        for src in 0..endpoints {
            // The first link is the source's injection link even when src == dst (the
            // packet turns round in the router).
            let first = g.edges(NodeIndex::new(src)).next().expect("every endpoint has an injection link");
            let mut route = vec![*first.weight()];
            let mut at = first.target();
            while at != target {
                let here = dist[&at];
                let next = g
                    .edges(at)
                    .filter(|e| dist.get(&e.target()).is_some_and(|&d| d + 1 == here))
                    .min_by_key(|e| (links[*e.weight() as usize].dimension, e.target().index()))
                    .expect("a mesh or crossbar is connected");
                route.push(*next.weight());
                at = next.target();
            }
            routes[src * endpoints + dst] = route;
        }
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noc::params::tests::params;

    /// The routers a packet from `src` to `dst` passes through.
    fn routers_on(net: &Network, src: u32, dst: u32) -> Vec<u32> {
        net.route(src, dst)
            .iter()
            .filter_map(|&l| match net.links[l as usize].to {
                Node::Router(r) => Some(r),
                Node::Endpoint(_) => None,
            })
            .collect()
    }

    /// One endpoint on each router of a 2×3 mesh: e<k> on router k.
    fn mesh_2x3() -> Network {
        let mut p = params("mesh");
        p.endpoints = (0..6).map(|i| format!("e{i}")).collect();
        p.address_map[0].endpoint = "e0".into();
        Network::new(&p.validate().unwrap())
    }

    #[test]
    fn mesh_routes_are_xy() {
        let net = mesh_2x3();
        // Router k is at row k / 3, column k % 3:  0 1 2
        //                                          3 4 5
        assert_eq!(routers_on(&net, 3, 2), [3, 4, 5, 2], "along row 1 first, then up column 2");
        assert_eq!(routers_on(&net, 0, 5), [0, 1, 2, 5], "not 0 3 4 5 (that would be YX)");
        assert_eq!(routers_on(&net, 5, 0), [5, 4, 3, 0]);
        assert_eq!(routers_on(&net, 2, 3), [2, 1, 0, 3]);
        assert_eq!(routers_on(&net, 1, 4), [1, 4], "same column: straight down");
        assert_eq!(routers_on(&net, 4, 4), [4], "to itself: in and out of its own router");
        let names: Vec<&str> = net.route(3, 2).iter().map(|&l| net.links[l as usize].name.as_str()).collect();
        assert_eq!(names, ["e3->r3", "r3->r4", "r4->r5", "r5->r2", "r2->e2"]);
    }

    #[test]
    fn mesh_routes_are_shortest() {
        let net = mesh_2x3();
        for s in 0..6u32 {
            for d in 0..6u32 {
                let manhattan = (s / 3).abs_diff(d / 3) + (s % 3).abs_diff(d % 3);
                assert_eq!(net.hops(s, d), manhattan as usize + 1, "{s} -> {d}");
            }
        }
        // 7 router-to-router pairs, both directions, plus 6 links in and 6 out.
        assert_eq!(net.links.len(), 2 * 7 + 12);
    }

    #[test]
    fn endpoints_may_share_a_router() {
        let mut p = params("mesh");
        p.endpoints = vec!["a".into(), "b".into(), "c".into()];
        p.endpoint_routers = Some(vec![4, 4, 0]);
        p.address_map[0].endpoint = "a".into();
        let net = Network::new(&p.validate().unwrap());
        assert_eq!(routers_on(&net, 0, 1), [4]);
        assert_eq!(routers_on(&net, 1, 2), [4, 3, 0]);
    }

    #[test]
    fn crossbar_is_one_hop() {
        let mut p = params("crossbar");
        p.endpoints = (0..5).map(|i| format!("e{i}")).collect();
        p.address_map[0].endpoint = "e0".into();
        let net = Network::new(&p.validate().unwrap());
        assert_eq!(net.routers, 1);
        assert_eq!(net.links.len(), 10, "one link in and one out per endpoint, nothing else");
        for s in 0..5 {
            for d in 0..5 {
                assert_eq!(net.route(s, d), [net.injection[s as usize], net.ejection[d as usize]]);
            }
        }
        assert_eq!(net.links[net.ejection[3] as usize].name, "r0->e3");
    }
}
