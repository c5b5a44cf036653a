//! The registry: component `type` names to constructors that read and validate their own
//! parameters. Adding a component type = one entry here.

use std::path::PathBuf;

use components::dram::{DramController, DramParams};
use components::energy::PowerDomain;
use components::phold::{PholdLp, PholdParams};
use components::traffic::{MemTraffic, MemTrafficParams, Relay, Sink, TrafficSource};
use components::Msg;
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
        name: "mem_traffic",
        summary: "memory requester: reads/writes at sequential or random addresses as fast as allowed; \
                  ports: req (out, mem), resp (in, mem)",
        params: "requests: 1000        requests in all\n\
                 bytes: 64             bytes per request\n\
                 pattern: sequential   sequential (wrapping in the range) or random (bytes-aligned)\n\
                 write_percent: 0      share of writes, 0..=100\n\
                 base_addr: 0\n\
                 range_bytes: 1048576  addresses in [base_addr, base_addr + range_bytes)\n\
                 max_outstanding: 16   requests in flight at most\n\
                 start_ps: 0           time of the first request",
        build: build_mem_traffic,
    },
    ComponentType {
        name: "dram_controller",
        summary: "LPDDR4-class memory controller and device over a real backing store (FR-FCFS, open page, \
                  refresh, energy); ports: req (in, mem, push back when full), resp (out, mem)",
        params: "clock: <name>                  controller + PHY clock (power domain); required\n\
                 queue_depth: 32                requests held at once\n\
                 address_mapping: row:rank:bank:channel:column   fields MSB first (any order of the five)\n\
                 controller_latency_cycles: 0   cycles of `clock` from last data to response\n\
                 geometry.channels: 2           (LPDDR4 8 Gb die: 2 x16 channels)\n\
                 geometry.ranks: 1\n\
                 geometry.banks: 8\n\
                 geometry.rows: 32768\n\
                 geometry.columns: 1024         columns of bus_bytes per row (2 KiB page)\n\
                 geometry.bus_bytes: 2          data bus per channel\n\
                 geometry.burst_bytes: 32       BL16 x 16 bit\n\
                 geometry.size_mib: (derived)   if given, must match the geometry\n\
                 timing.data_rate_mtps: 3200    tCK = 2 / rate; timings round up to whole tCK\n\
                 timing.trcd_ns: 18  trp_ns: 18  trpab_ns: 21  tcl_ns: 17.5  tcwl_ns: 8.75  tras_ns: 42\n\
                 timing.twr_ns: 18  trtp_ns: 7.5  tccd_ns: 5  trrd_ns: 10  tfaw_ns: 40  twtr_ns: 10  trtw_ns: 4.75\n\
                 timing.trefi_ns: 3904 (0: no refresh)  trfc_ns: 180\n\
                 energy.device_voltage_v: 1.1   act_pre_pj: 858  read_pj_per_bit: 4.2  write_pj_per_bit: 3.35\n\
                 energy.refresh_pj: 22970  standby_mw_per_rank: 28.6  active_standby_mw_per_rank: 8.8\n\
                 energy.phy_pj_per_byte: 12  controller_nominal_v: 1.0  controller_leakage_mw: 0.5",
        build: build_dram,
    },
    ComponentType {
        name: "relay",
        summary: "forwards messages from its input to its output unchanged; ports: in, out",
        params: "protocol: data      protocol of both ports",
        build: build_relay,
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

fn build_dram(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: DramParams = ctx.params()?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    match DramController::new(&p, domain) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) => Err(ctx.error(&e.param, e.message)),
    }
}

fn build_mem_traffic(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: MemTrafficParams = ctx.params()?;
    match MemTraffic::new(p) {
        Ok(c) => Ok(Box::new(c)),
        Err(e) => Err(ctx.error(&e.param, e.message)),
    }
}
