//! From a flattened [`Topology`] to a running [`Simulation`]: clocks, components through the
//! registry, channels and fabrics; the kernel's elaboration errors are mapped back to the
//! lines of the topology that caused them.

use components::Msg;
use sim_core::{
    Bandwidth, ChannelSpec, ClockId, CompId, ElabError, Observer, SimBuilder, SimDuration, Simulation, ThreadPolicy,
};

use crate::error::{InputError, InputErrors};
use crate::registry::{lookup, registry, BuildCtx};
use crate::suggest::fix_for;
use crate::topology::{Latency, Origin, Rate, Topology};

/// Makes one observer per thread of a run.
pub type ObserverFactory = Box<dyn FnMut(usize) -> Box<dyn Observer<Msg>>>;

/// Two observers as one: each event goes to `a`'s observer, then `b`'s (a run that records a
/// trace, writes a timeline and feeds the live view chains them).
pub fn tee(mut a: ObserverFactory, mut b: ObserverFactory) -> ObserverFactory {
    Box::new(move |thread| Box::new(Tee(a(thread), b(thread))))
}

struct Tee(Box<dyn Observer<Msg>>, Box<dyn Observer<Msg>>);

impl Observer<Msg> for Tee {
    fn on_send(&mut self, r: &sim_core::SendRecord, m: &Msg) {
        self.0.on_send(r, m);
        self.1.on_send(r, m);
    }
    fn on_deliver(&mut self, r: &sim_core::DeliverRecord, m: &Msg) {
        self.0.on_deliver(r, m);
        self.1.on_deliver(r, m);
    }
    fn on_timer(&mut self, r: &sim_core::TimerRecord) {
        self.0.on_timer(r);
        self.1.on_timer(r);
    }
    fn on_mark(&mut self, r: &sim_core::MarkRecord<'_>) {
        self.0.on_mark(r);
        self.1.on_mark(r);
    }
    fn on_finish(&mut self, end: sim_core::SimTime) {
        self.0.on_finish(end);
        self.1.on_finish(end);
    }
}

/// Options of an elaboration.
#[derive(Default)]
pub struct Options {
    pub threads: usize,
    /// Always run partitions on every thread instead of choosing by measurement
    /// (`sim_core::ThreadPolicy::Fixed`; benchmarks use it to show what parallel costs).
    pub fixed_threads: bool,
    pub observer: Option<ObserverFactory>,
    /// Where non-statistical results land (the trained model of a chip run).
    pub outputs: std::sync::Arc<crate::chip_types::Outputs>,
    /// The trace a `trace_player` replays (`tasim replay`).
    pub trace: Option<components::trace::SourceSlot>,
}

/// Builds the simulation of `topo` (runs every component's `init`).
pub fn elaborate(topo: &Topology, opts: Options) -> Result<Simulation<Msg>, InputErrors> {
    let mut b = SimBuilder::<Msg>::new(topo.seed);
    b.threads(opts.threads.max(1));
    if opts.fixed_threads {
        b.thread_policy(ThreadPolicy::Fixed);
    }
    if let Some(f) = opts.observer {
        b.observe(f);
    }
    let clock_ids: Vec<ClockId> =
        topo.clocks.iter().map(|c| b.clock(c.name.clone(), SimDuration::ps(c.period_ps), c.partition)).collect();

    let mut errors = Vec::new();
    let mut ids: Vec<Option<CompId>> = Vec::with_capacity(topo.instances.len());
    for inst in &topo.instances {
        let Some(ty) = lookup(&inst.kind) else {
            let names = registry().iter().map(|t| t.name);
            let e = inst
                .origin
                .error("type", format!("unknown component type `{}`", inst.kind))
                .fix(format!("{} (`tasim types` lists them)", fix_for(&inst.kind, names)));
            errors.push(e);
            ids.push(None);
            continue;
        };
        let ctx = BuildCtx {
            instance: inst,
            topology: topo,
            clock_ids: &clock_ids,
            outputs: &opts.outputs,
            trace: opts.trace.as_ref(),
        };
        match (ty.build)(&ctx) {
            Ok(c) => ids.push(Some(b.add_boxed(inst.name.clone(), inst.partition, c))),
            Err(e) => {
                errors.push(e);
                ids.push(None);
            }
        }
    }
    if errors.is_empty() {
        errors.extend(crate::chip_types::check_chip(topo, &opts.outputs));
    }
    // Wiring half-built instances would only add confusing follow-on errors.
    if !errors.is_empty() {
        return Err(InputErrors(errors));
    }
    let id_of = |name: &str| ids[topo.instance_position(name).expect("names resolved at load")].expect("built");

    let clock_index = |name: &str| topo.clock_position(name).expect("clock names resolved at load");
    // Cycles of a clock, within the input time range ([`SimDuration::INPUT_LIMIT`]).
    let latency_ps = |l: &Latency, origin: &Origin| match l {
        Latency::Ps(ps) => Ok(*ps),
        Latency::Cycles { cycles, clock } => {
            let ps = cycles.checked_mul(topo.clocks[clock_index(clock)].period_ps).unwrap_or(u64::MAX);
            SimDuration::from_input_ps(ps).map(|d| d.as_ps()).map_err(|e| {
                origin.error("latency_cycles", format!("`latency_cycles` = {cycles} cycles of `{clock}` {e}"))
            })
        }
    };
    let latencies: Vec<Result<u64, InputError>> = topo
        .connections
        .iter()
        .map(|c| latency_ps(&c.latency, &c.origin))
        .chain(topo.fabrics.iter().map(|f| latency_ps(&f.latency, &f.origin)))
        .collect();
    let errors: Vec<InputError> = latencies.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
    if !errors.is_empty() {
        return Err(InputErrors(errors));
    }
    let mut latencies = latencies.into_iter().map(|r| r.expect("errors returned above"));
    for c in &topo.connections {
        let bandwidth = match &c.rate {
            Rate::Unlimited => Bandwidth::Unlimited,
            Rate::BytesPerSecond(b) => Bandwidth::BytesPerSecond(*b),
            Rate::BytesPerCycle { bytes, clock } => {
                Bandwidth::BytesPerCycle { bytes: *bytes, clock: clock_ids[clock_index(clock)] }
            }
        };
        let latency = latencies.next().expect("one latency per connection");
        let mut spec = ChannelSpec::new(SimDuration::ps(latency)).bandwidth(bandwidth);
        if let Some(d) = c.depth {
            spec = spec.depth(d);
        }
        b.connect(id_of(&c.from.0), &c.from.1, id_of(&c.to.0), &c.to.1, spec);
    }
    for f in &topo.fabrics {
        let fid = b.fabric(f.name.clone(), SimDuration::ps(latencies.next().expect("one latency per fabric")));
        for (inst, out, inp) in &f.endpoints {
            b.attach(fid, id_of(inst), out.as_deref(), inp.as_deref());
        }
    }
    b.build().map_err(|errs| InputErrors(errs.iter().map(|e| locate(topo, e)).collect()))
}

/// The declaration most responsible for a kernel elaboration error.
fn locate(topo: &Topology, e: &ElabError) -> InputError {
    let message = e.to_string();
    let decl_of = |name: &str| topo.instance(name).map(|i| i.origin.clone());
    // The connection (or fabric) that binds `inst.port`, the last one if several do.
    let binding = |path: &str| -> Option<Origin> {
        let conn = topo.connections.iter().rev().find(|c| {
            let from = format!("{}.{}", c.from.0, c.from.1);
            let to = format!("{}.{}", c.to.0, c.to.1);
            from == path || to == path
        });
        if let Some(c) = conn {
            return Some(c.origin.clone());
        }
        topo.fabrics
            .iter()
            .find(|f| {
                f.endpoints.iter().any(|(i, o, n)| {
                    o.as_ref().is_some_and(|o| format!("{i}.{o}") == path)
                        || n.as_ref().is_some_and(|n| format!("{i}.{n}") == path)
                })
            })
            .map(|f| f.origin.clone())
    };
    let (origin, fix) = match e {
        ElabError::DuplicateName { name } => {
            let second = topo.instances.iter().filter(|i| i.name == *name).nth(1).map(|i| i.origin.clone());
            (second, "rename one of them".to_string())
        }
        ElabError::UnknownPort { instance, port, available } => {
            let names: Vec<&str> = available.split(", ").collect();
            (binding(&format!("{instance}.{port}")), fix_for(port, names.iter().copied()))
        }
        ElabError::WrongDirection { instance, port, .. } => {
            (binding(&format!("{instance}.{port}")), "`from` takes an output port and `to` an input port".into())
        }
        ElabError::ProtocolMismatch { to, .. } => (binding(to), "connect ports of the same protocol".into()),
        ElabError::BoundTwice { port, .. } => {
            (binding(port), "a port takes one channel; add a router, a buffer or a fabric to share it".into())
        }
        ElabError::Unbound { instance, port, .. } => {
            (decl_of(instance), format!("add a connection from or to `{instance}.{port}`"))
        }
        ElabError::ZeroLatencyCycle { instances } => {
            (instances.first().and_then(|i| decl_of(i)), "give one link of the loop a latency (even 1 ps)".into())
        }
        ElabError::ZeroLatencyCrossing { from, .. } => {
            (binding(from).or_else(|| topo.fabrics.first().map(|f| f.origin.clone())), "give the link a latency".into())
        }
        ElabError::ClockPartition { clock, .. } => (
            topo.clocks.iter().find(|c| c.name == *clock).map(|c| c.origin.clone()),
            "declare a clock in each partition (each chip has its own)".into(),
        ),
        ElabError::BadClock { .. } => (None, "give the clock a frequency above 0".into()),
    };
    let err = match origin {
        Some(o) => o.error("", message),
        None => InputError::new(message).in_file(&topo.files[0].path),
    };
    err.fix(fix)
}
