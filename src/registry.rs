//! The registry: component `type` names to constructors that read and validate their own
//! parameters. Adding a component type = one entry here.

use std::path::PathBuf;

use components::energy::PowerDomain;
use components::mem_traffic::{MemRequester, MemRequesterParams, MemTarget, MemTargetParams};
use components::noc::{Noc, NocParams};
use components::phold::{PholdLp, PholdParams};
use components::traffic::{Relay, Sink, TrafficSource};
use components::{Msg, ParamError};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml::Value;
use sim_core::{ClockId, Component};

use crate::error::InputError;
use crate::suggest::fix_for;
use crate::topology::{Instance, Topology};

/// What a constructor sees: the instance, its parameters, and the topology around it.
pub struct BuildCtx<'a> {
    pub instance: &'a Instance,
    pub topology: &'a Topology,
    pub clock_ids: &'a [ClockId],
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
        Ok(PowerDomain::new(id, points))
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

type Constructor = fn(&BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError>;

/// One component type.
pub struct ComponentType {
    pub name: &'static str,
    pub summary: &'static str,
    /// Parameters with units and defaults, one per line, for `tasim types`.
    pub params: &'static str,
    pub build: Constructor,
}

/// Every component type, by name.
pub fn registry() -> &'static [ComponentType] {
    &[
    ComponentType {
        name: "phold_lp",
        summary: "PHOLD logical process (shared/bench/PHOLD.md); ports: out, in (protocol phold) on a fabric",
        params: "lps: 1024          logical processes (destinations drawn in 0..lps)\n\
                 population: 16     events each LP starts with\n\
                 lookahead_ps: 1000 must equal the fabric latency\n\
                 spread_ps: 9000    extra delay drawn in [0, spread_ps)\n\
                 end_ps: 10000000   events at or after this time are dropped\n\
                 seed: 1            PHOLD's own seed (its streams are fixed by the benchmark)",
        build: build_phold,
    },
    ComponentType {
        name: "traffic_source",
        summary: "sends fixed-size packets at an interval or as fast as its channel takes them; port: out",
        params: "packets: 1          packets to send\n\
                 bytes: 64           size of each packet\n\
                 interval_ps: 0      time between packets (0: as fast as the channel accepts)\n\
                 start_ps: 0         time of the first packet\n\
                 protocol: data      protocol of the port",
        build: build_source,
    },
    ComponentType {
        name: "sink",
        summary: "receives packets, records their latency; with service_ps > 0 a slow consumer that pushes back; port: in",
        params: "service_ps: 0       time to serve one packet, holding its channel slot (0: instant)\n\
                 protocol: data      protocol of the port",
        build: build_sink,
    },
    ComponentType {
        name: "relay",
        summary: "forwards messages from its input to its output unchanged; ports: in, out",
        params: "protocol: data      protocol of both ports",
        build: build_relay,
    },
    ComponentType {
        name: "noc",
        summary: "on-chip interconnect, mesh or crossbar: routers, per-link serialisation, credits, XY routing; \
                  ports: in<i> (mem, manual release), out<i> (mem) per endpoint",
        params: "topology: mesh               required: mesh or crossbar\n\
                 rows: 2 / cols: 3            mesh only, required: router k at row k/cols, column k%cols\n\
                 endpoints: [pc0, gb]         required: endpoint i = ports in<i>/out<i>; names in stats and address_map\n\
                 endpoint_routers: [0, 5]     mesh only: the router of each endpoint (default: endpoint i on router i)\n\
                 clock: sys_clk               required: clock and power domain of routers and links\n\
                 address_map: [{endpoint: gb, base_addr: 0, size_bytes: 4294967296}]  required: where requests go\n\
                 link_bytes_per_cycle: 16     bytes a link moves per cycle (128-bit links)\n\
                 router_latency_cycles: 2     cycles through a router (two-stage router)\n\
                 buffer_bytes: 512            input buffer per router port, whole packets (credits)\n\
                 link_pj_per_byte: 1.6        energy per byte per link traversal at nominal_v\n\
                 router_pj_per_byte: 1.1      energy per byte through a router (buffer write+read)\n\
                 router_pj_per_packet: 2.0    energy per packet through a router (routing, allocation)\n\
                 leakage_uw_per_router: 10    router logic leakage at nominal_v\n\
                 leakage_uw_per_buffer_kib: 5 input buffer leakage at nominal_v\n\
                 nominal_v: 1.0               voltage of the energy figures\n\
                 leakage_voltage_exponent: 3  leakage scales as (V/nominal_v)^exponent\n\
                 (reasons and sources of the defaults: components/src/noc/params.rs)",
        build: build_noc,
    },
    ComponentType {
        name: "mem_requester",
        summary: "issues reads/writes of a data pattern and checks the responses (a test driver for memories and \
                  interconnects); ports: out, in (mem)",
        params: "requests: 1          requests to issue\n\
                 bytes: 64            bytes per request\n\
                 base_addr: 0         address of request 0\n\
                 stride_bytes: bytes  request k is at base_addr + k * stride_bytes\n\
                 op: read             read, write, or alternate (even write, odd read)\n\
                 outstanding: 1       requests in flight at most\n\
                 interval_ps: 0       time between issues at least\n\
                 start_ps: 0          time of the first issue",
        build: build_mem_requester,
    },
    ComponentType {
        name: "mem_target",
        summary: "answers mem requests one at a time: reads return the data pattern, writes are checked; holds each \
                  request's channel slot until answered; ports: in, out (mem)",
        params: "service_ps: 0        time to serve one request",
        build: build_mem_target,
    },
    ]
}

/// The type called `name`.
pub fn lookup(name: &str) -> Option<&'static ComponentType> {
    registry().iter().find(|t| t.name == name)
}

#[derive(Deserialize)]
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

fn build_phold(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: PholdYaml = ctx.params()?;
    if p.lps == 0 {
        return Err(ctx.error("lps", "`lps` must be at least 1"));
    }
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

#[derive(Deserialize)]
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

fn build_source(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SourceYaml = ctx.params()?;
    Ok(Box::new(TrafficSource::<Msg>::new(p.protocol, p.packets, p.bytes, p.interval_ps, p.start_ps)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkYaml {
    #[serde(default)]
    service_ps: u64,
    #[serde(default = "default_protocol")]
    protocol: String,
}

fn build_sink(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SinkYaml = ctx.params()?;
    Ok(Box::new(Sink::<Msg>::new(p.protocol, p.service_ps)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelayYaml {
    #[serde(default = "default_protocol")]
    protocol: String,
}

fn build_relay(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: RelayYaml = ctx.params()?;
    Ok(Box::new(Relay::<Msg>::new(p.protocol)))
}

fn build_noc(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: NocParams = ctx.params()?;
    let cfg = p.validate().map_err(|e| ctx.param_error(e))?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    Ok(Box::new(Noc::new(cfg, domain)))
}

fn build_mem_requester(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemRequesterParams = ctx.params()?;
    p.validate().map_err(|e| ctx.param_error(e))?;
    Ok(Box::new(MemRequester::new(p)))
}

fn build_mem_target(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemTargetParams = ctx.params()?;
    Ok(Box::new(MemTarget::new(p)))
}
