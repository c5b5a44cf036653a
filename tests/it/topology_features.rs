//! Includes, sub-topologies instantiated N times under a prefix, overrides, partitions, DOT,
//! and output files.

use tasim::elaborate::{elaborate, Options};
use tasim::topology;

use crate::support::*;

fn load(rel: &str, set: &[&str]) -> topology::Topology {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    topology::load(&data(rel), &set).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn include_merges_declarations() {
    let t = load("topologies/pipeline.yaml", &[]);
    assert_eq!(t.clocks.len(), 1);
    assert_eq!(t.clocks[0].name, "core_clk");
    assert_eq!(t.clocks[0].period_ps, 2_000);
    assert_eq!(t.seed, 7);
}

#[test]
fn subsystems_are_prefixed_partitioned_and_overridden() {
    let t = load("topologies/two_chips.yaml", &["chip1.sink.service_ps=100"]);
    let names: Vec<&str> = t.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "chip0.src",
            "chip0.sink",
            "chip0.link_out",
            "chip0.link_in",
            "chip1.src",
            "chip1.sink",
            "chip1.link_out",
            "chip1.link_in"
        ]
    );
    assert_eq!(t.instances.iter().map(|i| i.partition).collect::<Vec<_>>(), [0, 0, 0, 0, 1, 1, 1, 1]);
    // Each chip has its own clock in its own partition.
    assert_eq!(
        t.clocks.iter().map(|c| (c.name.as_str(), c.partition)).collect::<Vec<_>>(),
        [("chip0.clk", 0), ("chip1.clk", 1)]
    );
    // `set: {src.packets: 8}` applies inside every instance; --set to one.
    for i in ["chip0.src", "chip1.src"] {
        assert_eq!(t.instance(i).unwrap().params["packets"], serde_yaml::Value::from(8));
    }
    assert_eq!(t.instance("chip1.sink").unwrap().params["service_ps"], serde_yaml::Value::from(100));
    assert!(t.instance("chip0.sink").unwrap().params.get("service_ps").is_none());
}

#[test]
fn partitioned_topology_runs_identically_on_one_and_two_threads() {
    let t = load("topologies/two_chips.yaml", &[]);
    let run = |threads| {
        let mut sim = elaborate(&t, Options { threads, ..Options::default() }).unwrap();
        assert_eq!(sim.threads(), threads);
        sim.run().unwrap();
        sim.finish()
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.stats, two.stats);
    assert_eq!(one.events, two.events);
    assert_eq!(one.stats.counter("chip1.sink.received"), Some(8));
}

#[test]
fn backpressure_shows_in_the_statistics() {
    let t = load("topologies/pipeline.yaml", &[]);
    let mut sim = elaborate(&t, Options::default()).unwrap();
    sim.run().unwrap();
    let r = sim.finish();
    assert_eq!(r.stats.counter("sink.received"), Some(20));
    assert!(r.stats.counter("relay.out.refused").unwrap() > 0, "the slow sink pushed back");
    // 20 packets served 50 ns apart: the run lasts at least a microsecond.
    assert!(r.end.as_ps() >= 20 * 50_000);
}

#[test]
fn graph_writes_dot_with_partitions() {
    let dir = scratch("graph");
    let dot = dir.join("two_chips.dot");
    let out = tasim(&["graph", "tests/data/topologies/two_chips.yaml", "-o", dot.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dot).unwrap();
    assert!(text.starts_with("digraph \"two-chips\" {"));
    assert!(text.contains("subgraph cluster_p1"));
    assert!(text.contains("\"chip1.link_in\\nrelay\""), "{text}");
    assert!(text.contains("out -> in\\n5 ns"), "{text}");
}

#[test]
fn graph_depth_draws_a_16_chip_ring_as_16_chips() {
    let out =
        tasim(&["graph", "topologies/multichip/ring.yaml", "--set", "system.dimensions.0.size=16", "--depth", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let nodes: Vec<&str> = text.lines().filter(|l| l.contains("[label=\"chip")).collect();
    assert_eq!(nodes.len(), 16, "{text}");
    assert!(nodes.iter().all(|l| l.contains("11 instances")), "{text}");
    // A bidirectional ring: each chip sends to its two neighbours, and nothing else is drawn.
    let edges: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(edges.len(), 32, "{text}");
    assert!(text.contains("  g0 -> g1 ") && text.contains("  g0 -> g15 ") && !text.contains("  g0 -> g2 "), "{text}");
    // Without a depth, each chip is a cluster named after it.
    let full = stdout(&tasim(&["graph", "topologies/multichip/ring4.yaml"]));
    assert!(full.contains("label=\"chip3\";"), "{full}");
    let zero = tasim(&["graph", "topologies/multichip/ring4.yaml", "--depth", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn run_writes_json_and_csv() {
    let dir = scratch("run_out");
    let out = tasim(&["run", "tests/data/topologies/pipeline.yaml", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert_eq!(json["stats"]["sink.received"], 20);
    assert_eq!(json["seed"], 7);
    let csv = std::fs::read_to_string(dir.join("stats.csv")).unwrap();
    assert!(csv.starts_with("name,kind,value,mean,max,count,p50,p95,p99,min,num,den\n"));
    assert!(csv.contains("sink.received,counter,20,"));
    // Same inputs, same bytes.
    let dir2 = scratch("run_out2");
    tasim(&["run", "tests/data/topologies/pipeline.yaml", "--out", dir2.to_str().unwrap()]);
    assert_eq!(std::fs::read(dir.join("stats.json")).unwrap(), std::fs::read(dir2.join("stats.json")).unwrap());
}
