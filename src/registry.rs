//! The registry: component `type` names to constructors that read and validate their own
//! parameters. Adding a component type = one entry here.

use std::path::PathBuf;

use components::dram::{DramController, DramParams};
use components::dvfs_unit::{DvfsParams, DvfsUnit, OperatingPoint, Policy};
use components::energy::PowerDomain;
use components::global_buffer::{GlobalBuffer, GlobalBufferParams};
use components::mem::Phase;

use components::mem_traffic::{MemRequester, MemRequesterParams, MemTarget, MemTargetParams};
use components::noc::{Noc, NocParams};
use components::param::{Declared, Number, ParamDecl, Range};
use components::phold::{PholdLp, PholdParams};
use components::simple_memory::{SimpleMemory, SimpleMemoryParams};
use components::trace::{RecordSource, TracePlayer, TracePlayerParams, VecSource};
use components::traffic::{MemTraffic, MemTrafficParams, Relay, Sink, TrafficSource};
use components::{Msg, ParamError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use sim_core::{ClockId, Component};

use crate::error::InputError;
use crate::suggest::fix_for;
use crate::topology::{ClockPoint, Instance, Topology};

/// What a constructor sees: the instance, its parameters, and the topology around it.
pub struct BuildCtx<'a> {
    pub instance: &'a Instance,
    pub topology: &'a Topology,
    pub clock_ids: &'a [ClockId],
    /// Where results that are not statistics leave the simulation (the trained model).
    pub outputs: &'a crate::chip_types::Outputs,
    /// The trace for a `trace_player` to take (`tasim replay`).
    pub trace: Option<&'a components::trace::SourceSlot>,
}

impl BuildCtx<'_> {
    /// The parameters as `T` (which should `deny_unknown_fields` and give defaults); an
    /// error names the exact parameter and where it is written.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, InputError> {
        let value = match &self.instance.params {
            Value::Null => Value::Mapping(Default::default()),
            v => v.clone(),
        };
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let msg = e.inner().to_string();
            let fix = crate::topology::serde_fix(&msg)
                .unwrap_or_else(|| "see `tasim types` for the parameters and their units".into());
            // serde_path_to_error's path already ends with an unknown field's name.
            let field = path.clone();
            let what = if field.is_empty() { msg } else { format!("parameter `{field}`: {msg}") };
            self.instance.param_error(&field, what).fix(fix)
        })
    }

    /// The parameters as `T`, every declared number checked against its range
    /// ([`Declared::PARAMS`]) — the defaults included, after deserialisation and before
    /// the constructor allocates anything from them. The first value out of range is the
    /// error, located at its YAML line (or at its `--set`).
    pub fn declared<T: DeserializeOwned + Serialize + Declared>(&self) -> Result<T, InputError> {
        let p: T = self.params()?;
        check_declared(&p, T::PARAMS).map_err(|e| self.param_error(e))?;
        Ok(p)
    }

    /// An error about parameter `param` of this instance.
    pub fn error(&self, param: &str, message: impl Into<String>) -> InputError {
        self.instance.param_error(param, message)
    }

    /// The clock named by parameter `param`, resolved from this instance's scope.
    pub fn clock(&self, param: &str, name: &str) -> Result<ClockId, InputError> {
        match self.topology.resolve_clock(&self.instance.scope, name) {
            Some(i) => Ok(self.clock_ids[i]),
            None => {
                let names: Vec<&str> = self.topology.clocks.iter().map(|c| c.name.as_str()).collect();
                Err(self.error(param, format!("unknown clock `{name}`")).fix(fix_for(name, names.iter().copied())))
            }
        }
    }

    /// The power domain of the clock named by parameter `param`: its voltage at each
    /// operating point (or its one voltage).
    pub fn power_domain(&self, param: &str, name: &str) -> Result<PowerDomain, InputError> {
        let id = self.clock(param, name)?;
        let c = &self.topology.clocks[self.topology.resolve_clock(&self.instance.scope, name).expect("resolved above")];
        let points = if c.operating_points.is_empty() {
            vec![(c.period_ps, c.voltage_v)]
        } else {
            c.operating_points.iter().map(|(_, p, v)| (*p, *v)).collect()
        };
        Ok(PowerDomain::new(id, points).with_technology(self.topology.technology))
    }

    /// The operating points `(name, period_ps, voltage_v)` of the clock named by `param`.
    pub fn operating_points(&self, param: &str, name: &str) -> Result<(ClockId, Vec<ClockPoint>), InputError> {
        let id = self.clock(param, name)?;
        let c = &self.topology.clocks[self.topology.resolve_clock(&self.instance.scope, name).expect("resolved above")];
        Ok((id, c.operating_points.clone()))
    }

    /// A component's own verdict on its parameters, located at the parameter it names.
    pub fn param_error(&self, e: ParamError) -> InputError {
        let err = self.error(&e.param, e.message);
        match e.fix {
            Some(fix) => err.fix(fix),
            None => err,
        }
    }

    /// A path named by parameter `param`, relative to the file that declares the instance.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.instance.origin.dir().join(rel)
    }
}

/// Checks `p` against `decls` (see [`BuildCtx::declared`]).
pub fn check_declared<T: Serialize>(p: &T, decls: &'static [ParamDecl]) -> Result<(), ParamError> {
    // Plain parameter structs always serialise; a failure would be a bug worth a message.
    let value = serde_yaml::to_value(p)
        .map_err(|e| ParamError::new("", format!("internal: parameters do not serialise: {e}")))?;
    for (path, d) in components::param::flatten(decls) {
        let mut v = &value;
        for key in path.split('.') {
            match v.get(key) {
                Some(inner) => v = inner,
                None => break,
            }
        }
        if let Value::Number(n) = v {
            let n = match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Number::Unsigned(u),
                (None, Some(i), _) => Number::Signed(i),
                (None, None, Some(f)) => Number::Real(f),
                _ => continue,
            };
            d.check(&path, n)?;
        }
    }
    Ok(())
}

/// Checks the values a `dram_controller`'s preset resolves to (its geometry, timing and
/// energy, written or not) against the same declarations as the written ones: what the
/// topology leaves out comes from the preset, and is held to the same ranges. Every reader of
/// DRAM parameters calls this before [`DramParams::validate`].
pub fn check_dram(p: &DramParams) -> Result<(), ParamError> {
    check_declared(p, DramParams::PARAMS)?;
    check_declared(&p.resolved_view(), DramParams::PARAMS).map_err(|e| {
        let fix = format!(
            "{} (the value is the `{}` preset's unless written)",
            e.fix.as_deref().unwrap_or(""),
            p.preset.name()
        );
        ParamError { fix: Some(fix), ..e }
    })
}

/// The declared parameters of the component type `name`, for the types whose parameters
/// are declared ([`Declared`]); `tasim types` prints these, and their constructors check them.
pub fn declared(name: &str) -> Option<&'static [ParamDecl]> {
    Some(match name {
        "phold_lp" => PholdYaml::PARAMS,
        "traffic_source" => SourceYaml::PARAMS,
        "sink" => SinkYaml::PARAMS,
        "relay" => RelayYaml::PARAMS,
        "global_buffer" => GlobalBufferParams::PARAMS,
        "propagation_core" => components::chip::propagation_core::PropagationCoreParams::PARAMS,
        "update_core" => components::chip::update_core::UpdateCoreParams::PARAMS,
        "controller" => crate::chip_types::ControllerYaml::PARAMS,
        "simple_memory" => SimpleMemoryParams::PARAMS,
        "mem_traffic" => MemTrafficParams::PARAMS,
        "mem_requester" => MemRequesterParams::PARAMS,
        "mem_target" => MemTargetParams::PARAMS,
        "trace_player" => TracePlayerParams::PARAMS,
        "dvfs_unit" => DvfsParams::PARAMS,
        "noc" => NocParams::PARAMS,
        "dram_controller" => DramParams::PARAMS,
        "chip_link" => components::multichip::link::ChipLinkParams::PARAMS,
        "switch" => components::multichip::switch::SwitchParams::PARAMS,
        "collective_engine" => components::multichip::engine::EngineParams::PARAMS,
        "allreduce_driver" => components::multichip::driver::DriverParams::PARAMS,
        _ => return None,
    })
}

/// The lines `tasim types` prints for a type's parameters: from its declarations when it
/// has them (name, default, range, doc), else its hand-written listing.
pub fn param_lines(t: &ComponentType) -> Vec<String> {
    match declared(t.name) {
        Some(decls) => components::param::flatten(decls)
            .into_iter()
            .map(|(path, d)| {
                let default = match d.range {
                    Range::Derived { .. } => "(derived)",
                    _ if d.default.is_empty() => "(required)",
                    _ => d.default,
                };
                let range = match d.range {
                    Range::Other => String::new(),
                    r => format!("  in {r}"),
                };
                format!("{path}: {default}{range}  — {}", d.doc)
            })
            .collect(),
        None => t.params.lines().map(|l| l.trim().to_string()).collect(),
    }
}

type Constructor = fn(&BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError>;

/// One component type.
#[derive(Clone, Copy)]
pub struct ComponentType {
    pub name: &'static str,
    pub summary: &'static str,
    /// Parameters with units and defaults, one per line, for `tasim types`; empty for the
    /// types whose parameters are declared ([`declared`]), which `tasim types` prints instead.
    pub params: &'static str,
    pub build: Constructor,
}

/// Every component type, by name.
pub fn registry() -> &'static [ComponentType] {
    static ALL: std::sync::OnceLock<Vec<ComponentType>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| BASE.iter().chain(&crate::multichip_types::TYPES).copied().collect())
}

const BASE: &[ComponentType] = &[
    ComponentType {
        name: "phold_lp",
        summary: "PHOLD logical process (benches/PHOLD.md); ports: out, in (protocol phold) on a fabric",
        params: "", // declared: see `declared`
        build: build_phold,
    },
    ComponentType {
        name: "traffic_source",
        summary: "sends fixed-size packets at an interval or as fast as its channel takes them; port: out",
        params: "", // declared: see `declared`
        build: build_source,
    },
    ComponentType {
        name: "sink",
        summary: "receives packets, records their latency; with service_ps > 0 a slow consumer that pushes back; port: in",
        params: "", // declared: see `declared`
        build: build_sink,
    },
    ComponentType {
        name: "controller",
        summary: "the training schedule: tasks to the cores, images into memory; ports: mem_req, mem_resp, pc<i>_task, pc<i>_done, uc_task, uc_done, dvfs (optional)",
        params: "", // declared: see `declared`
        build: crate::chip_types::build_controller,
    },
    ComponentType {
        name: "propagation_core",
        summary: "FP and BP of conv layers with the masking scheme, on a PE array; ports: mem_req, mem_resp, task, done",
        params: "", // declared: see `declared`
        build: crate::chip_types::build_propagation_core,
    },
    ComponentType {
        name: "update_core",
        summary: "weight gradients (large window), the weight update with master weights, the FC layer and the loss; ports: mem_req, mem_resp, task, done",
        params: "", // declared: see `declared`
        build: crate::chip_types::build_update_core,
    },
    ComponentType {
        name: "dvfs_unit",
        summary: "moves clock/power domains between operating points (fixed, per phase, race to idle); port: ctrl (optional)",
        params: "", // declared: see `declared`
        build: build_dvfs,
    },
    ComponentType {
        name: "global_buffer",
        summary: "banked write-back SRAM buffer in front of DRAM (real bytes); ports: in, out (from/to the interconnect), dram_req, dram_resp",
        params: "", // declared: see `declared`
        build: build_global_buffer,
    },
    ComponentType {
        name: "simple_memory",
        summary: "ideal memory: fixed latency, optional bandwidth, real bytes, in order; ports: req, resp",
        params: "", // declared: see `declared`
        build: build_simple_memory,
    },
    ComponentType {
        name: "mem_traffic",
        summary: "memory requester: reads/writes at sequential or random addresses as fast as allowed; \
                  ports: req (out, mem), resp (in, mem)",
        params: "", // declared: see `declared`
        build: build_mem_traffic,
    },
    ComponentType {
        name: "dram_controller",
        summary: "DRAM controller and device over a real backing store: standards as presets (LPDDR4/4X/5, DDR4, \
                  HBM2), FR-FCFS/FCFS, open/closed/timeout rows, refresh, write queue, power-down, energy; ports: \
                  req (in, mem, push back when full), resp (out, mem)",
        params: "", // declared: see `declared`
        build: build_dram,
    },
    ComponentType {
        name: "trace_player",
        summary: "replays a memory trace (`tasim replay TRACE --topology FILE`) at its recorded times or as fast as \
                  possible; ports: req<i> (out, mem), resp<i> (in, mem)",
        params: "", // declared: see `declared`
        build: build_trace_player,
    },
    ComponentType {
        name: "relay",
        summary: "forwards messages from its input to its output unchanged; ports: in, out",
        params: "", // declared: see `declared`
        build: build_relay,
    },
    ComponentType {
        name: "noc",
        summary: "on-chip interconnect, mesh or crossbar: routers, per-link serialisation, credits, XY routing; \
                  ports: in<i> (mem, manual release), out<i> (mem) per endpoint",
        params: "", // declared: see `declared`
        build: build_noc,
    },
    ComponentType {
        name: "mem_requester",
        summary: "issues reads/writes of a data pattern and checks the responses (a test driver for memories and \
                  interconnects); ports: out, in (mem)",
        params: "", // declared: see `declared`
        build: build_mem_requester,
    },
    ComponentType {
        name: "mem_target",
        summary: "answers mem requests one at a time: reads return the data pattern, writes are checked; holds each \
                  request's channel slot until answered; ports: in, out (mem)",
        params: "", // declared: see `declared`
        build: build_mem_target,
    },
];

/// The type called `name`.
pub fn lookup(name: &str) -> Option<&'static ComponentType> {
    registry().iter().find(|t| t.name == name)
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct PholdYaml {
    lps: u64,
    population: u64,
    lookahead_ps: u64,
    spread_ps: u64,
    end_ps: u64,
    seed: u64,
}

impl Default for PholdYaml {
    fn default() -> Self {
        let p = PholdParams::default();
        PholdYaml {
            lps: p.lps,
            population: p.population,
            lookahead_ps: p.lookahead_ps,
            spread_ps: p.spread_ps,
            end_ps: p.end_ps,
            seed: p.seed,
        }
    }
}

impl Declared for PholdYaml {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "lps",
            default: "1024",
            range: Range::count(1, 1 << 20),
            doc: "logical processes (destinations drawn in 0..lps); benches/PHOLD.md",
        },
        ParamDecl {
            name: "population",
            default: "16",
            range: Range::count(0, 1 << 20),
            doc: "events each LP starts with (PHOLD.md)",
        },
        ParamDecl {
            name: "lookahead_ps",
            default: "1000",
            range: Range::Time { ps_per_unit: 1.0, nonzero: true },
            doc: "minimum delay of an event; must equal the fabric latency (PHOLD.md)",
        },
        ParamDecl {
            name: "spread_ps",
            default: "9000",
            range: Range::PS,
            doc: "extra delay drawn in [0, spread_ps) (PHOLD.md)",
        },
        ParamDecl {
            name: "end_ps",
            default: "10000000",
            range: Range::PS,
            doc: "events at or after this time are dropped (PHOLD.md)",
        },
        ParamDecl {
            name: "seed",
            default: "1",
            range: Range::Other,
            doc: "PHOLD's own seed (its streams are fixed by the benchmark)",
        },
    ];
}

/// Checks PHOLD parameters given elsewhere than in a topology (`tasim bench phold`)
/// against the same declarations as a `phold_lp`'s.
pub fn check_phold(p: &PholdParams) -> Result<(), ParamError> {
    let y = PholdYaml {
        lps: p.lps,
        population: p.population,
        lookahead_ps: p.lookahead_ps,
        spread_ps: p.spread_ps,
        end_ps: p.end_ps,
        seed: p.seed,
    };
    check_declared(&y, PholdYaml::PARAMS)?;
    // Every LP starts with `population` events: all are in the queue at once.
    let limit = components::param::MAX_ALLOCATED_COUNT;
    if p.lps.saturating_mul(p.population) > limit {
        return Err(ParamError::new(
            "population",
            format!("`population` = {} with `lps` = {} is more than {limit} events in flight", p.population, p.lps),
        )
        .fix("use fewer LPs or a smaller population"));
    }
    Ok(())
}

fn build_phold(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: PholdYaml = ctx.declared()?;
    Ok(Box::new(PholdLp::<Msg>::new(PholdParams {
        lps: p.lps,
        population: p.population,
        lookahead_ps: p.lookahead_ps,
        spread_ps: p.spread_ps,
        end_ps: p.end_ps,
        seed: p.seed,
    })))
}

fn default_protocol() -> String {
    "data".into()
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SourceYaml {
    #[serde(default = "one")]
    packets: u64,
    #[serde(default = "sixty_four")]
    bytes: u32,
    #[serde(default)]
    interval_ps: u64,
    #[serde(default)]
    start_ps: u64,
    #[serde(default = "default_protocol")]
    protocol: String,
}

fn one() -> u64 {
    1
}

fn sixty_four() -> u32 {
    64
}

impl Declared for SourceYaml {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "packets",
            default: "1",
            range: Range::count(0, 1 << 22),
            doc: "packets to send; with interval_ps 0 into an unbounded channel all are queued at once, so at most 4M",
        },
        ParamDecl {
            name: "bytes",
            default: "64",
            range: Range::count(0, u32::MAX as u64),
            doc: "size of each packet (a cache line)",
        },
        ParamDecl {
            name: "interval_ps",
            default: "0",
            range: Range::PS,
            doc: "time between packets (0: as fast as the channel accepts)",
        },
        ParamDecl { name: "start_ps", default: "0", range: Range::PS, doc: "time of the first packet" },
        ParamDecl { name: "protocol", default: "data", range: Range::Other, doc: "protocol of the port" },
    ];
}

fn build_source(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SourceYaml = ctx.declared()?;
    Ok(Box::new(TrafficSource::<Msg>::new(p.protocol, p.packets, p.bytes, p.interval_ps, p.start_ps)))
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SinkYaml {
    #[serde(default)]
    service_ps: u64,
    #[serde(default = "default_protocol")]
    protocol: String,
}

impl Declared for SinkYaml {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "service_ps",
            default: "0",
            range: Range::PS,
            doc: "time to serve one packet, holding its channel slot (0: instant)",
        },
        ParamDecl { name: "protocol", default: "data", range: Range::Other, doc: "protocol of the port" },
    ];
}

fn build_sink(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SinkYaml = ctx.declared()?;
    Ok(Box::new(Sink::<Msg>::new(p.protocol, p.service_ps)))
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RelayYaml {
    #[serde(default = "default_protocol")]
    protocol: String,
}

impl Declared for RelayYaml {
    const PARAMS: &'static [ParamDecl] =
        &[ParamDecl { name: "protocol", default: "data", range: Range::Other, doc: "protocol of both ports" }];
}

fn build_relay(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: RelayYaml = ctx.declared()?;
    Ok(Box::new(Relay::<Msg>::new(p.protocol)))
}

fn build_global_buffer(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: GlobalBufferParams = ctx.declared()?;
    p.validate().map_err(|(field, m)| ctx.error(field, format!("`{field}` {m}")))?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    Ok(Box::new(GlobalBuffer::new(p, domain)))
}

fn build_simple_memory(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SimpleMemoryParams = ctx.declared()?;
    Ok(Box::new(SimpleMemory::new(&p)))
}

fn build_dvfs(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: DvfsParams = ctx.declared()?;
    if p.domains.is_empty() {
        return Err(ctx.error("domains", "`domains` lists no clock").fix("name the clocks this unit controls"));
    }
    let mut clocks = Vec::new();
    let mut tables = Vec::new();
    for (k, name) in p.domains.iter().enumerate() {
        let (id, points) = ctx.operating_points(&format!("domains[{k}]"), name)?;
        if points.is_empty() {
            return Err(ctx
                .error(&format!("domains[{k}]"), format!("clock `{name}` has no operating points"))
                .fix("give the clock `operating_points: [{name, frequency_mhz, voltage_v}, ...]`"));
        }
        clocks.push(id);
        tables.push((name.clone(), points));
    }
    // The points every domain defines, in the first domain's order.
    let points: Vec<OperatingPoint> = tables[0]
        .1
        .iter()
        .filter_map(|(n, _, _)| {
            let periods: Option<Vec<u64>> =
                tables.iter().map(|(_, t)| t.iter().find(|(m, _, _)| m == n).map(|(_, per, _)| *per)).collect();
            periods.map(|periods| OperatingPoint { name: n.clone(), periods })
        })
        .collect();
    let resolve = |field: &str, name: &str| -> Result<usize, InputError> {
        points.iter().position(|op| op.name == name).ok_or_else(|| {
            let names: Vec<&str> = points.iter().map(|op| op.name.as_str()).collect();
            ctx.error(
                field,
                format!(
                    "unknown operating point `{name}`; the domains {} all define: {}",
                    p.domains.join(", "),
                    names.join(", ")
                ),
            )
            .fix(crate::suggest::fix_for(name, names.iter().copied()))
        })
    };
    let initial = resolve("initial", &p.initial)?;
    let mut phase_points = [None; Phase::ALL.len()];
    for (phase, point) in &p.phase_points {
        let Some(ph) = Phase::from_name(phase) else {
            let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
            return Err(ctx
                .error(&format!("phase_points.{phase}"), format!("unknown phase `{phase}`"))
                .fix(crate::suggest::fix_for(phase, names.iter().copied())));
        };
        phase_points[ph.index()] = Some(resolve(&format!("phase_points.{phase}"), point)?);
    }
    let busy = p.busy_point.as_deref().map(|n| resolve("busy_point", n)).transpose()?;
    let idle = p.idle_point.as_deref().map(|n| resolve("idle_point", n)).transpose()?;
    match p.policy {
        Policy::PerPhase if p.phase_points.is_empty() => {
            return Err(ctx.error("phase_points", "policy `per_phase` needs `phase_points`"));
        }
        Policy::RaceToIdle if busy.is_none() || idle.is_none() => {
            return Err(ctx.error("busy_point", "policy `race_to_idle` needs `busy_point` and `idle_point`"));
        }
        _ => {}
    }
    let domain = ctx.power_domain("domains[0]", &p.domains[0])?;
    Ok(Box::new(DvfsUnit::new(&p, clocks, points, initial, phase_points, busy, idle, domain)))
}

fn build_noc(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: NocParams = ctx.declared()?;
    let cfg = p.validate().map_err(|e| ctx.param_error(e))?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    Ok(Box::new(Noc::new(cfg, domain)))
}

fn build_mem_requester(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemRequesterParams = ctx.declared()?;
    Ok(Box::new(MemRequester::new(p)))
}

fn build_mem_target(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemTargetParams = ctx.declared()?;
    Ok(Box::new(MemTarget::new(p)))
}

fn build_dram(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: DramParams = ctx.declared()?;
    check_dram(&p).map_err(|e| ctx.param_error(e))?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    match DramController::new(&p, domain) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) => Err(ctx.param_error(e)),
    }
}

fn build_mem_traffic(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemTrafficParams = ctx.declared()?;
    match MemTraffic::new(p) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) => Err(ctx.param_error(e)),
    }
}

fn build_trace_player(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: TracePlayerParams = ctx.declared()?;
    p.validate().map_err(|e| ctx.param_error(e))?;
    // Without a trace (`tasim validate`, `tasim graph`) the player is built over an empty
    // one: the structure can be checked all the same.
    let source: Box<dyn RecordSource> = match ctx.trace {
        None => Box::new(VecSource::default()),
        Some(slot) => match slot.lock().expect("trace slot").take() {
            Some(source) => source,
            None => {
                return Err(ctx
                    .error("", "a second trace_player: a replay feeds its one trace to one player")
                    .fix("keep one trace_player in the topology"))
            }
        },
    };
    Ok(Box::new(TracePlayer::new(p, source).map_err(|e| ctx.param_error(e))?))
}
