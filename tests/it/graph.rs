//! `tasim graph`: NoCs drawn as their routers and links (a mesh as a grid), endpoints on
//! their routers, clocks and key parameters as labels; the DOT parses (Graphviz's `dot`, which
//! `.ci/run` installs: in CI these tests fail rather than skip without it).

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use rstest::rstest;

use crate::support::*;

/// `tasim graph args...`, which must succeed; its DOT text.
fn graph(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend(args);
    let out = tasim(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// Nodes declared (`id [label=...]`) and edges (`a -> b [...]`) of DOT written by tasim (one
/// statement per line), with the check that every edge joins declared nodes and that the
/// braces balance: a parse that does not need Graphviz.
fn parse(dot: &str) -> (BTreeSet<String>, Vec<(String, String, String)>) {
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut depth = 0i32;
    for line in dot.lines().map(str::trim) {
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        assert!(depth >= 0, "unbalanced braces at {line}");
        if let Some((a, rest)) = line.split_once(" -> ") {
            let (b, attrs) = rest.split_once(' ').unwrap_or((rest.trim_end_matches(';'), ""));
            edges.push((a.to_string(), b.to_string(), attrs.to_string()));
        } else if let Some((id, _)) = line.split_once(" [label=") {
            nodes.insert(id.to_string());
        }
    }
    assert_eq!(depth, 0, "unbalanced braces");
    for (a, b, _) in &edges {
        assert!(nodes.contains(a) && nodes.contains(b), "edge {a} -> {b} joins an undeclared node:\n{dot}");
    }
    (nodes, edges)
}

/// Whether Graphviz's `dot` is here; panics in CI when it is missing.
fn dot_available() -> bool {
    let present = Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Graphviz's `dot` is missing (.ci/run installs graphviz)"
        );
        eprintln!("SKIPPED the Graphviz half of this test: `dot` is not installed (apt-get install graphviz)");
    }
    present
}

/// `dot -T<format>` of `text`: its output, asserting that dot accepted it without warnings.
fn render(text: &str, format: &str) -> String {
    let mut child = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dot runs");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dot refused the graph: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "dot warned: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Router node ids (`n4r0`, ...) and drawn router-to-router edges as directed links.
fn routers_and_links(dot: &str) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let (nodes, edges) = parse(dot);
    let is_router = |id: &str| id.rsplit_once('r').is_some_and(|(n, k)| n.starts_with('n') && !k.is_empty());
    let routers: BTreeSet<String> = nodes.into_iter().filter(|n| is_router(n)).collect();
    let mut links = BTreeSet::new();
    for (a, b, attrs) in edges {
        if routers.contains(&a) && routers.contains(&b) {
            links.insert((a.clone(), b.clone()));
            if attrs.contains("dir=both") {
                links.insert((b, a));
            }
        }
    }
    (routers, links)
}

/// The NoC's own directed router-to-router links (`components::noc::Network`), as ids of
/// the drawing `n<node>r<k>` with the NoC's node `prefix`.
fn network_links(file: &str, set: &[&str], prefix: &str) -> (u32, BTreeSet<(String, String)>) {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let topo = tasim::topology::load(&root().join(file), &set).unwrap();
    let inst = topo.instances.iter().find(|i| i.kind == "noc").unwrap();
    let p: components::noc::NocParams = serde_yaml::from_value(inst.params.clone()).unwrap();
    let net = components::noc::Network::new(&p.validate().unwrap());
    let mut links = BTreeSet::new();
    for l in &net.links {
        if let (components::noc::Node::Router(a), components::noc::Node::Router(b)) = (l.from, l.to) {
            links.insert((format!("{prefix}r{a}"), format!("{prefix}r{b}")));
        }
    }
    (net.routers, links)
}

#[rstest]
#[case::paper_chip("topologies/paper-chip.yaml", &[], 2, 3)]
#[case::mesh_3x3("tests/data/noc/contention.yaml", &["--set", "noc.rows=3"], 3, 3)]
#[case::mesh_4x2("tests/data/noc/contention.yaml", &["--set", "noc.rows=4", "--set", "noc.cols=2"], 4, 2)]
#[case::crossbar("tests/data/noc/one_read_crossbar.yaml", &[], 1, 1)]
fn noc_routers_and_links_are_the_nocs(#[case] file: &str, #[case] set: &[&str], #[case] rows: u32, #[case] cols: u32) {
    let mut args = vec![file];
    args.extend(set);
    let dot = graph(&args);
    let (routers, links) = routers_and_links(&dot);
    let prefix = routers.iter().next().expect("routers drawn").rsplit_once('r').unwrap().0.to_string();
    let set_values: Vec<&str> = set.iter().copied().filter(|s| *s != "--set").collect();
    let (n, expected) = network_links(file, &set_values, &prefix);
    assert_eq!(routers.len() as u32, n, "{dot}");
    assert_eq!(n, rows * cols);
    assert_eq!(links, expected, "{dot}");
    // A mesh has each neighbour pair linked both ways: 2 (rows (cols - 1) + cols (rows - 1)).
    assert_eq!(links.len() as u32, 2 * (rows * (cols - 1) + cols * (rows - 1)));
}

#[test]
fn a_3x3_mesh_is_laid_out_as_3x3() {
    let dot = graph(&["tests/data/noc/contention.yaml", "--set", "noc.rows=3"]);
    if !dot_available() {
        return;
    }
    // `-Tplain`: `node NAME X Y ...`, y growing upwards.
    let plain = render(&dot, "plain");
    let mut at = std::collections::BTreeMap::new();
    for line in plain.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"node") {
            if let Some((_, k)) = f[1].rsplit_once('r') {
                if let Ok(k) = k.parse::<u32>() {
                    at.insert(k, (f[2].parse::<f64>().unwrap(), f[3].parse::<f64>().unwrap()));
                }
            }
        }
    }
    assert_eq!(at.len(), 9, "{plain}");
    // Rows run one way up or down the page (dot chooses which), the same way for all.
    let down = if at[&3].1 < at[&0].1 { 1.0 } else { -1.0 };
    for k in 0..9u32 {
        let (x, y) = at[&k];
        let (row, col) = (k / 3, k % 3);
        // Same column, same x; same row, same y; the next column to the right, the next
        // row further on: a 3x3 grid.
        assert!((x - at[&col].0).abs() < 1e-6 && (y - at[&(row * 3)].1).abs() < 1e-6, "r{k} off the grid: {plain}");
        if col > 0 {
            assert!(x > at[&(k - 1)].0, "r{k} not right of r{}: {plain}", k - 1);
        }
        if row > 0 {
            assert!(down * (at[&(k - 3)].1 - y) > 0.0, "r{k} not a row on from r{}: {plain}", k - 3);
        }
    }
}

#[test]
fn endpoints_hang_on_their_routers_and_labels_give_clocks_and_parameters() {
    let dot = graph(&["topologies/paper-chip.yaml"]);
    let (_, edges) = parse(&dot);
    // `endpoint_routers: [0, 2, 4, 3, 1]` for [pc0, pc1, uc, ctrl, gb].
    let node = |name: &str| {
        let line = dot.lines().find(|l| l.contains(&format!("[label=\"{name}\\n"))).unwrap_or_else(|| panic!("{name}"));
        line.trim().split_once(' ').unwrap().0.to_string()
    };
    for (name, port, router) in
        [("pc0", "in0", 0), ("pc1", "in1", 2), ("uc", "in2", 4), ("ctrl", "in3", 3), ("gb", "in4", 1)]
    {
        let into: Vec<_> =
            edges.iter().filter(|(a, _, l)| *a == node(name) && l.contains(&format!("-> {port}\\n"))).collect();
        assert_eq!(into.len(), 1, "{name}: {dot}");
        assert!(into[0].1.ends_with(&format!("r{router}")), "{name} on {}: {dot}", into[0].1);
        let out = format!("out{}", &port[2..]);
        assert!(
            edges.iter().any(|(a, b, l)| a.ends_with(&format!("r{router}")) && *b == node(name) && l.contains(&out)),
            "{name}: {dot}"
        );
    }
    for label in [
        // 32 bytes per cycle at 50 MHz: 1.6 GB/s; 2 router cycles at 50 MHz: 40 ns.
        "noc: 2x3 mesh, sys_clk 50 MHz (DVFS 50-200)\\nlinks 32 B/cycle (1.6 GB/s), router 2 cycles (40 ns), buffers 512 B",
        "[label=\"1.6 GB/s\", dir=both]",
        "gb\\nglobal_buffer\\nsys_clk 50 MHz (DVFS 50-200)\\n64 KiB, 8 banks",
        "pc0\\npropagation_core\\ncore_clk 50 MHz (DVFS 50-200)\\n16x8 PEs",
    ] {
        assert!(dot.contains(label), "{label} missing: {dot}");
    }
    // The clock follows --set, and so does the bandwidth.
    let fast = graph(&["topologies/paper-chip.yaml", "--set", "clocks.sys_clk.frequency_mhz=100"]);
    assert!(fast.contains("sys_clk 100 MHz") && fast.contains("(3.2 GB/s)"), "{fast}");
}

#[rstest]
#[case::paper_chip(&["topologies/paper-chip.yaml"])]
#[case::four_chips_with_their_nocs(&["topologies/multichip/ring4.yaml"])]
#[case::sixteen_chips_grouped(&["topologies/multichip/ring.yaml", "--set", "system.dimensions.0.size=16", "--depth", "1"])]
#[case::nocs_grouped_per_chip(&["topologies/multichip/ring4.yaml", "--depth", "2"])]
fn dot_accepts_the_graph(#[case] args: &[&str]) {
    let text = graph(args);
    parse(&text);
    if dot_available() {
        let svg = render(&text, "svg");
        assert!(svg.contains("<svg"), "{svg}");
    }
}

#[test]
fn each_chip_of_a_system_draws_its_own_noc() {
    let dot = graph(&["topologies/multichip/ring4.yaml"]);
    let clusters = dot.lines().filter(|l| l.trim_start().starts_with("subgraph cluster_n")).count();
    assert_eq!(clusters, 4, "{dot}");
    assert_eq!(dot.matches("[label=\"r5\", shape=circle]").count(), 4, "{dot}");
}
