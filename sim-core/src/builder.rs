//! Elaboration: add named components, clocks, channels and fabrics; `build` binds the ports,
//! checks the structure (reporting every problem), places partitions on threads and runs
//! each component's `init`.

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use crate::channel::{Bandwidth, ChannelId, ChannelSpec, FabricId};
use crate::clock::{ClockDomain, ClockId};
use crate::component::{CompId, Component, Direction, Message, PortSpec, Release};
use crate::engine::{Binding, ChannelState, CompState, Core, Engine, FabricEndpoint, FabricState, Place, Shared};
use crate::error::ElabError;
use crate::netlist::{EdgeKind, NetEdge, NetNode, Netlist};
use crate::observer::{EventKey, Observer};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::simulation::Simulation;
use crate::stats::TimeAverage;
use crate::sync::ThreadPolicy;
use crate::time::{SimDuration, SimTime};

struct Instance<M> {
    name: String,
    partition: u32,
    component: Box<dyn Component<M>>,
    ports: Vec<PortSpec>,
}

struct ChannelDef {
    from: (CompId, String),
    to: (CompId, String),
    spec: ChannelSpec,
}

struct FabricDef {
    name: String,
    latency: SimDuration,
    /// (component, output port, input port)
    attachments: Vec<(CompId, Option<String>, Option<String>)>,
}

type ObserverFactory<M> = Box<dyn FnMut(usize) -> Box<dyn Observer<M>>>;

/// Assembles a simulation. See the crate documentation for an example.
pub struct SimBuilder<M: Message> {
    seed: u64,
    threads: usize,
    policy: ThreadPolicy,
    instances: Vec<Instance<M>>,
    clocks: Vec<(String, u64, u32)>,
    channels: Vec<ChannelDef>,
    fabrics: Vec<FabricDef>,
    observer: Option<ObserverFactory<M>>,
}

impl<M: Message> SimBuilder<M> {
    /// An empty simulation whose random streams derive from `seed`.
    pub fn new(seed: u64) -> Self {
        SimBuilder {
            seed,
            threads: 1,
            policy: ThreadPolicy::Adaptive,
            instances: Vec::new(),
            clocks: Vec::new(),
            channels: Vec::new(),
            fabrics: Vec::new(),
            observer: None,
        }
    }

    /// Threads to run partitions on (at most one per partition; 1 = sequential).
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = n.max(1);
        self
    }

    /// How a partitioned run chooses between its threads and one (default: adaptive, by
    /// measurement; results are identical either way).
    pub fn thread_policy(&mut self, policy: ThreadPolicy) -> &mut Self {
        self.policy = policy;
        self
    }

    /// Adds a component in partition 0.
    pub fn add(&mut self, name: impl Into<String>, component: impl Component<M>) -> CompId {
        self.add_boxed(name, 0, Box::new(component))
    }

    /// Adds a component in `partition`.
    pub fn add_in(&mut self, name: impl Into<String>, partition: u32, component: impl Component<M>) -> CompId {
        self.add_boxed(name, partition, Box::new(component))
    }

    /// Adds an already boxed component (what a registry of component types produces).
    pub fn add_boxed(&mut self, name: impl Into<String>, partition: u32, component: Box<dyn Component<M>>) -> CompId {
        let ports = component.ports();
        let id = CompId(self.instances.len() as u32);
        self.instances.push(Instance { name: name.into(), partition, component, ports });
        id
    }

    /// Number of components added so far.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The ports a component declared.
    pub fn ports_of(&self, id: CompId) -> &[PortSpec] {
        &self.instances[id.0 as usize].ports
    }

    /// Adds a clock domain owned by `partition`, with its first edge at time zero.
    pub fn clock(&mut self, name: impl Into<String>, period: SimDuration, partition: u32) -> ClockId {
        self.clocks.push((name.into(), period.0, partition));
        ClockId(self.clocks.len() as u32 - 1)
    }

    /// Binds output `from_port` of `from` to input `to_port` of `to` through a channel.
    pub fn connect(
        &mut self,
        from: CompId,
        from_port: &str,
        to: CompId,
        to_port: &str,
        spec: ChannelSpec,
    ) -> ChannelId {
        self.channels.push(ChannelDef { from: (from, from_port.into()), to: (to, to_port.into()), spec });
        ChannelId(self.channels.len() as u32 - 1)
    }

    /// Adds a fabric (a many-to-many channel) with one latency.
    pub fn fabric(&mut self, name: impl Into<String>, latency: SimDuration) -> FabricId {
        self.fabrics.push(FabricDef { name: name.into(), latency, attachments: Vec::new() });
        FabricId(self.fabrics.len() as u32 - 1)
    }

    /// Attaches a component to a fabric with an output port (to send), an input port (to
    /// receive), or both. Returns its endpoint index (the `dest` of `send_to`).
    pub fn attach(&mut self, fabric: FabricId, comp: CompId, out_port: Option<&str>, in_port: Option<&str>) -> usize {
        let f = &mut self.fabrics[fabric.0 as usize];
        f.attachments.push((comp, out_port.map(Into::into), in_port.map(Into::into)));
        f.attachments.len() - 1
    }

    /// Gives every thread an observer made by `factory(thread_index)`.
    pub fn observe(&mut self, factory: impl FnMut(usize) -> Box<dyn Observer<M>> + 'static) -> &mut Self {
        self.observer = Some(Box::new(factory));
        self
    }

    /// Elaborates: binds and checks everything, then runs `init` on every component.
    pub fn build(self) -> Result<Simulation<M>, Vec<ElabError>> {
        let mut errors = Vec::new();
        let n = self.instances.len();

        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, inst) in self.instances.iter().enumerate() {
            if seen.insert(&inst.name, i).is_some() {
                errors.push(ElabError::DuplicateName { name: inst.name.clone() });
            }
        }
        for (name, period, _) in &self.clocks {
            if *period == 0 {
                errors.push(ElabError::BadClock { clock: name.clone(), reason: "its period is 0 ps".into() });
            }
        }

        let mut netlist = Netlist::default();
        for (i, inst) in self.instances.iter().enumerate() {
            let node = NetNode::Component { id: CompId(i as u32), name: inst.name.clone(), partition: inst.partition };
            netlist.component_nodes.push(netlist.graph.add_node(node));
        }
        for (i, f) in self.fabrics.iter().enumerate() {
            let node = NetNode::Fabric { id: FabricId(i as u32), name: f.name.clone() };
            netlist.fabric_nodes.push(netlist.graph.add_node(node));
        }

        let mut bindings: Vec<Vec<Binding>> =
            self.instances.iter().map(|i| vec![Binding::Unbound; i.ports.len()]).collect();
        let mut bound_to: Vec<Vec<Option<String>>> = self.instances.iter().map(|i| vec![None; i.ports.len()]).collect();
        let mut cross_latency = u64::MAX;
        // Valid ends of connections whose other end is wrong: that connection's error says
        // what to fix, so these ports are not also reported as unbound.
        let mut broken_ends: Vec<(usize, usize)> = Vec::new();

        for (ci, ch) in self.channels.iter().enumerate() {
            let from = self.resolve(ch.from.0, &ch.from.1, Direction::Out, &mut errors);
            let to = self.resolve(ch.to.0, &ch.to.1, Direction::In, &mut errors);
            let (Some(fp), Some(tp)) = (from, to) else {
                for (c, name) in [&ch.from, &ch.to] {
                    if let Some(p) = self.instances[c.0 as usize].ports.iter().position(|p| p.name == name.as_str()) {
                        broken_ends.push((c.0 as usize, p));
                    }
                }
                continue;
            };
            let (fi, ti) = (ch.from.0 .0 as usize, ch.to.0 .0 as usize);
            let (fname, tname) = (self.port_path(fi, fp), self.port_path(ti, tp));
            let (fspec, tspec) = (&self.instances[fi].ports[fp], &self.instances[ti].ports[tp]);
            if fspec.protocol != tspec.protocol {
                errors.push(ElabError::ProtocolMismatch {
                    from: fname.clone(),
                    from_protocol: fspec.protocol.to_string(),
                    to: tname.clone(),
                    to_protocol: tspec.protocol.to_string(),
                });
            }
            mark_bound(&mut bound_to, fi, fp, &fname, &tname, &mut errors);
            mark_bound(&mut bound_to, ti, tp, &tname, &fname, &mut errors);
            bindings[fi][fp] = Binding::ChanOut(ci as u32);
            bindings[ti][tp] = Binding::ChanIn { chan: ci as u32, manual: tspec.release == Release::Manual };
            let (pf, pt) = (self.instances[fi].partition, self.instances[ti].partition);
            if pf != pt {
                if ch.spec.latency.is_zero() {
                    errors.push(ElabError::ZeroLatencyCrossing {
                        from: fname.clone(),
                        to: tname.clone(),
                        from_partition: pf,
                        to_partition: pt,
                    });
                }
                cross_latency = cross_latency.min(ch.spec.latency.0);
            }
            if let Bandwidth::BytesPerCycle { clock, .. } = ch.spec.bandwidth {
                if let Some((cname, _, cp)) = self.clocks.get(clock.0 as usize) {
                    if *cp != pf {
                        errors.push(ElabError::ClockPartition {
                            clock: cname.clone(),
                            clock_partition: *cp,
                            user: fname.clone(),
                            user_partition: pf,
                        });
                    }
                } else {
                    errors.push(ElabError::BadClock { clock: format!("#{}", clock.0), reason: "no such clock".into() });
                }
            }
            netlist.graph.add_edge(
                netlist.component_nodes[fi],
                netlist.component_nodes[ti],
                NetEdge {
                    kind: EdgeKind::Channel(ChannelId(ci as u32)),
                    from_port: fspec.name.to_string(),
                    to_port: tspec.name.to_string(),
                    latency: ch.spec.latency,
                },
            );
        }

        for (fi, f) in self.fabrics.iter().enumerate() {
            let hub = netlist.fabric_nodes[fi];
            let mut protocol: Option<(String, String)> = None;
            let mut partitions = Vec::new();
            for (comp, out, inp) in &f.attachments {
                let ci = comp.0 as usize;
                partitions.push(self.instances[ci].partition);
                for (port, dir) in [(out, Direction::Out), (inp, Direction::In)] {
                    let Some(port) = port else { continue };
                    let Some(p) = self.resolve(*comp, port, dir, &mut errors) else { continue };
                    let path = self.port_path(ci, p);
                    let spec = &self.instances[ci].ports[p];
                    match &protocol {
                        None => protocol = Some((spec.protocol.to_string(), path.clone())),
                        Some((proto, first)) if *proto != spec.protocol => {
                            errors.push(ElabError::ProtocolMismatch {
                                from: first.clone(),
                                from_protocol: proto.clone(),
                                to: path.clone(),
                                to_protocol: spec.protocol.to_string(),
                            });
                        }
                        Some(_) => {}
                    }
                    mark_bound(&mut bound_to, ci, p, &path, &format!("fabric {}", f.name), &mut errors);
                    let node = netlist.component_nodes[ci];
                    let (binding, edge) = match dir {
                        Direction::Out => (
                            Binding::FabricOut(fi as u32),
                            (node, hub, EdgeKind::IntoFabric, spec.name.to_string(), String::new(), f.latency),
                        ),
                        Direction::In => (
                            Binding::FabricIn(fi as u32),
                            (hub, node, EdgeKind::OutOfFabric, String::new(), spec.name.to_string(), SimDuration::ZERO),
                        ),
                    };
                    bindings[ci][p] = binding;
                    let (a, b, kind, from_port, to_port, latency) = edge;
                    netlist.graph.add_edge(a, b, NetEdge { kind, from_port, to_port, latency });
                }
            }
            partitions.sort_unstable();
            partitions.dedup();
            if partitions.len() > 1 {
                if f.latency.is_zero() {
                    errors.push(ElabError::ZeroLatencyCrossing {
                        from: format!("fabric {}", f.name),
                        to: format!("fabric {}", f.name),
                        from_partition: partitions[0],
                        to_partition: partitions[1],
                    });
                }
                cross_latency = cross_latency.min(f.latency.0);
            }
        }

        for (c, p) in broken_ends {
            bound_to[c][p].get_or_insert_with(|| "a broken connection".into());
        }
        for (ci, inst) in self.instances.iter().enumerate() {
            for (pi, port) in inst.ports.iter().enumerate() {
                if port.required && bound_to[ci][pi].is_none() {
                    errors.push(ElabError::Unbound {
                        instance: inst.name.clone(),
                        port: port.name.to_string(),
                        direction: port.direction,
                        protocol: port.protocol.to_string(),
                    });
                }
            }
        }

        errors.extend(zero_latency_cycles(&netlist));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(self.assemble(n, bindings, cross_latency, netlist))
    }

    /// Index of port `name` of `comp` if it exists with direction `dir`.
    fn resolve(&self, comp: CompId, name: &str, dir: Direction, errors: &mut Vec<ElabError>) -> Option<usize> {
        let inst = &self.instances[comp.0 as usize];
        let Some(i) = inst.ports.iter().position(|p| p.name == name) else {
            let available = inst.ports.iter().map(|p| p.name.as_ref()).collect::<Vec<_>>().join(", ");
            errors.push(ElabError::UnknownPort {
                instance: inst.name.clone(),
                port: name.to_string(),
                available: if available.is_empty() { "(none)".into() } else { available },
            });
            return None;
        };
        if inst.ports[i].direction != dir {
            errors.push(ElabError::WrongDirection {
                instance: inst.name.clone(),
                port: name.to_string(),
                actual: inst.ports[i].direction,
                expected: dir,
            });
            return None;
        }
        Some(i)
    }

    fn port_path(&self, comp: usize, port: usize) -> String {
        format!("{}.{}", self.instances[comp].name, self.instances[comp].ports[port].name)
    }

    fn assemble(
        mut self,
        n: usize,
        bindings: Vec<Vec<Binding>>,
        cross_latency: u64,
        netlist: Netlist,
    ) -> Simulation<M> {
        let mut partitions: Vec<u32> = self.instances.iter().map(|i| i.partition).collect();
        partitions.sort_unstable();
        partitions.dedup();
        // Without links between partitions there is no lookahead to run them apart safely.
        let engines_n = if cross_latency == u64::MAX { 1 } else { self.threads.min(partitions.len()).max(1) };
        let stop_horizon = if cross_latency == u64::MAX { 1 } else { cross_latency };

        // Partitions to engines: contiguous runs of partitions in order, balanced by component
        // count (a partition goes to the engine its first component's share points at).
        let mut engine_of_partition = HashMap::new();
        let mut before = 0usize;
        for &p in &partitions {
            let e = (before * engines_n / n.max(1)).min(engines_n - 1);
            engine_of_partition.insert(p, e as u32);
            before += self.instances.iter().filter(|i| i.partition == p).count();
        }

        let mut places = Vec::with_capacity(n);
        let mut locals = vec![0u32; engines_n];
        for (rank, inst) in self.instances.iter().enumerate() {
            let engine = engine_of_partition[&inst.partition];
            places.push(Place { engine, local: locals[engine as usize], rank: rank as u32 });
            locals[engine as usize] += 1;
        }

        let fabrics = self
            .fabrics
            .iter()
            .map(|f| {
                let endpoints: Vec<FabricEndpoint> = f
                    .attachments
                    .iter()
                    .map(|(comp, _, inp)| {
                        let inst = &self.instances[comp.0 as usize];
                        let in_port = inp
                            .as_ref()
                            .and_then(|p| inst.ports.iter().position(|s| s.name == p.as_str()))
                            .map_or(u16::MAX, |p| p as u16);
                        FabricEndpoint { place: places[comp.0 as usize], in_port }
                    })
                    .collect();
                let mut index_of_rank: Vec<(u32, u32)> =
                    endpoints.iter().enumerate().map(|(i, e)| (e.place.rank, i as u32)).collect();
                // Stable: a component attached twice finds its first index, as a scan would.
                index_of_rank.sort_by_key(|&(rank, _)| rank);
                FabricState { name: f.name.clone(), latency: f.latency.0, endpoints, index_of_rank }
            })
            .collect();
        let shared = Arc::new(Shared {
            names: self.instances.iter().map(|i| i.name.clone()).collect(),
            port_names: self.instances.iter().map(|i| i.ports.iter().map(|p| p.name.to_string()).collect()).collect(),
            clock_partitions: self.clocks.iter().map(|c| c.2).collect(),
            fabrics,
            stop_horizon,
        });
        let clocks: Vec<ClockDomain> =
            self.clocks.iter().map(|(name, p, _)| ClockDomain::new(name.clone(), *p)).collect();

        let channel_table = || -> Vec<ChannelState> {
            self.channels
                .iter()
                .map(|c| {
                    let (fi, ti) = (c.from.0 .0 as usize, c.to.0 .0 as usize);
                    let port_of = |i: usize, name: &str| {
                        self.instances[i].ports.iter().position(|p| p.name == name).expect("checked") as u16
                    };
                    ChannelState {
                        latency: c.spec.latency.0,
                        bandwidth: c.spec.bandwidth,
                        depth: c.spec.depth.map_or(0, |d| d.get()),
                        src: places[fi],
                        src_port: port_of(fi, &c.from.1),
                        dst: places[ti],
                        dst_port: port_of(ti, &c.to.1),
                        busy_until: 0,
                        occupancy: 0,
                        refused: false,
                        messages: 0,
                        bytes: 0,
                        refusals: 0,
                        busy_ps: 0,
                        occupancy_avg: TimeAverage::new(SimTime::ZERO, 0.0),
                    }
                })
                .collect()
        };

        let mut engines: Vec<Engine<M>> = (0..engines_n)
            .map(|e| Engine {
                core: Core {
                    now: 0,
                    current: EventKey { time: 0, send_time: 0, origin: 0 },
                    engine: e as u32,
                    queue: EventQueue::new(),
                    channels: channel_table(),
                    clocks: clocks.clone(),
                    outboxes: (0..engines_n).map(|_| Vec::new()).collect(),
                    shared: Arc::clone(&shared),
                    observer: self.observer.as_mut().map(|f| f(e)),
                    stop_request: u64::MAX,
                    abort: None,
                    interrupt: false,
                    events: 0,
                },
                comps: Vec::new(),
                states: Vec::new(),
            })
            .collect();

        for ((rank, inst), binding) in self.instances.into_iter().enumerate().zip(bindings) {
            let place = places[rank];
            let eng = &mut engines[place.engine as usize];
            eng.states.push(CompState {
                rank: rank as u32,
                local: place.local,
                partition: inst.partition,
                seq: 0,
                rng: SimRng::for_instance(self.seed, &inst.name),
                bindings: binding,
                messages: 0,
                timers: 0,
                readies: 0,
            });
            eng.comps.push(inst.component);
        }
        Simulation::start(engines, netlist, shared, self.policy)
    }
}

fn mark_bound(
    bound_to: &mut [Vec<Option<String>>],
    comp: usize,
    port: usize,
    path: &str,
    peer: &str,
    errors: &mut Vec<ElabError>,
) {
    match &bound_to[comp][port] {
        Some(first) => errors.push(ElabError::BoundTwice {
            port: path.to_string(),
            first: first.clone(),
            second: peer.to_string(),
        }),
        None => bound_to[comp][port] = Some(peer.to_string()),
    }
}

/// Cycles made only of zero-latency links (channels and fabric hops), each reported once
/// with the components on it.
fn zero_latency_cycles(netlist: &Netlist) -> Vec<ElabError> {
    let g = &netlist.graph;
    let mut zero = DiGraph::<usize, ()>::with_capacity(g.node_count(), g.edge_count());
    for n in g.node_indices() {
        zero.add_node(n.index());
    }
    let mut self_loops = vec![false; g.node_count()];
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("edge exists");
        if g[e].latency.is_zero() {
            zero.add_edge(a, b, ());
            if a == b {
                self_loops[a.index()] = true;
            }
        }
    }
    let mut out = Vec::new();
    for scc in tarjan_scc(&zero) {
        if scc.len() > 1 || self_loops[scc[0].index()] {
            let mut nodes: Vec<usize> = scc.iter().map(|n| n.index()).collect();
            nodes.sort_unstable();
            let instances = nodes
                .into_iter()
                .filter_map(|i| match &g[petgraph::graph::NodeIndex::new(i)] {
                    NetNode::Component { name, .. } => Some(name.clone()),
                    NetNode::Fabric { .. } => None,
                })
                .collect();
            out.push(ElabError::ZeroLatencyCycle { instances });
        }
    }
    out
}
