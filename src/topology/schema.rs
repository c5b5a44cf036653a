//! The topology file format (serde). Every field's unit is in its name; see
//! `topologies/README.md` for a guided tour.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml::Value;

/// One topology file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    /// Shown in reports; defaults to the file name.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Seed of the kernel's random streams (default 1): components that draw random numbers.
    /// A training controller has its own `seed`. Ignored in included and sub-topology files.
    pub seed: Option<u64>,
    /// Files whose declarations are merged into this one, without a prefix.
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub clocks: Vec<ClockDecl>,
    #[serde(default)]
    pub components: Vec<ComponentDecl>,
    #[serde(default)]
    pub connections: Vec<ConnectionDecl>,
    #[serde(default)]
    pub fabrics: Vec<FabricDecl>,
    /// Other topology files instantiated here under a name prefix.
    #[serde(default)]
    pub subsystems: Vec<SubsystemDecl>,
    /// Many chips: a chip topology instantiated once per chip, wired per network dimension,
    /// with a collective engine per chip (top-level file only; see `topologies/multichip/`).
    pub system: Option<SystemDecl>,
    /// How to run (top-level file only).
    pub run: Option<RunDecl>,
    /// The chip's process (top-level file only; default 65 nm, the paper chip's).
    pub technology: Option<TechnologyDecl>,
    /// Parameter overrides, `instance.param: value`, applied after everything in this file
    /// (includes and subsystems too) is declared: variants of a topology are an include and
    /// a `set`.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockDecl {
    pub name: String,
    /// Exactly one of `frequency_mhz` and `period_ps`.
    pub frequency_mhz: Option<f64>,
    pub period_ps: Option<u64>,
    /// Partition that owns the clock (relative to the enclosing subsystem; default 0).
    pub partition: Option<u32>,
    /// Supply voltage of the domain at its initial frequency (default 1.0, or the matching
    /// operating point's).
    pub voltage_v: Option<f64>,
    /// Frequency/voltage pairs the domain may run at (DVFS); the initial frequency must be one.
    #[serde(default)]
    pub operating_points: Vec<OperatingPointDecl>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatingPointDecl {
    pub name: String,
    pub frequency_mhz: f64,
    pub voltage_v: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDecl {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// An array of `count` instances named `name0`, `name1`, ...
    pub count: Option<u32>,
    /// Partition (relative to the enclosing subsystem; default 0).
    pub partition: Option<u32>,
    /// Spread an array over this many consecutive partitions, in contiguous groups.
    pub spread_partitions: Option<u32>,
    /// The component type's parameters (see `tasim types`).
    #[serde(default)]
    pub params: Value,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDecl {
    /// `instance.port` (an output port).
    pub from: String,
    /// `instance.port` (an input port).
    pub to: String,
    /// Exactly one of `latency_ps`, `latency_ns`, `latency_cycles` (cycles of `clock`).
    pub latency_ps: Option<u64>,
    pub latency_ns: Option<f64>,
    pub latency_cycles: Option<u64>,
    /// Clock for `latency_cycles` and `bandwidth_bytes_per_cycle`.
    pub clock: Option<String>,
    /// At most one bandwidth; none means unlimited.
    pub bandwidth_bytes_per_s: Option<u64>,
    pub bandwidth_gb_per_s: Option<f64>,
    pub bandwidth_bytes_per_cycle: Option<u64>,
    /// Unreleased messages the channel admits (credit flow control); none means unbounded.
    pub depth: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricDecl {
    pub name: String,
    /// Exactly one of `latency_ps`, `latency_ns`, `latency_cycles` (cycles of `clock`).
    pub latency_ps: Option<u64>,
    pub latency_ns: Option<f64>,
    pub latency_cycles: Option<u64>,
    pub clock: Option<String>,
    #[serde(default)]
    pub attach: Vec<AttachDecl>,
}

/// Instances attached to a fabric: a name, an array's name (all its instances in order), or
/// a list of those.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachDecl {
    pub instances: OneOrMany,
    /// Output port that sends into the fabric.
    pub out: Option<String>,
    /// Input port the fabric delivers to.
    #[serde(rename = "in")]
    pub input: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn names(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsystemDecl {
    pub name: String,
    /// The topology file to instantiate, relative to this file.
    pub topology: String,
    /// `count` instances prefixed `name0.`, `name1.`, ...; without it, one prefixed `name.`.
    pub count: Option<u32>,
    pub partition: Option<u32>,
    /// One partition per instance (or spread over this many).
    pub spread_partitions: Option<u32>,
    /// Parameter overrides inside the subsystem: `instance.param: value`.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

/// `technology:` the node every on-chip energy, leakage and area scales to from 65 nm
/// (Stillmaker & Baas 2017; `components::cost::scaling`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnologyDecl {
    /// Feature size, nm: 7 to 65 (default 65, the paper chip's 65 nm CMOS).
    pub node_nm: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDecl {
    /// Run until this time (at most one); without one, until no event is left or a
    /// component stops the run.
    pub end_ps: Option<u64>,
    pub end_ns: Option<f64>,
    pub end_us: Option<f64>,
    /// Threads for partitioned runs (default 1).
    pub threads: Option<usize>,
}

/// A system of chips (`system:`).
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SystemDecl {
    /// The topology of one chip, relative to this file; instantiated as `chip0.`, `chip1.`, ...
    /// each in its own partition.
    pub chip: String,
    /// Number of chips; if given, the product of the dimension sizes must equal it, and one
    /// dimension may leave out its size (it is then `chips` over the others').
    pub chips: Option<u32>,
    /// Network dimensions, the first varying fastest (ASTRA-sim's network file).
    pub dimensions: Vec<DimensionDecl>,
    #[serde(default)]
    pub collective: CollectiveDecl,
    /// Parameter overrides in every chip: `instance.param: value`.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

/// One network dimension.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionDecl {
    /// `ring`, `bidirectional_ring`, `fully_connected` or `switch`.
    pub kind: String,
    /// Chips along the dimension.
    pub size: Option<u32>,
    /// Link data rate per direction, GB/s (default 25).
    pub bandwidth_gb_per_s: Option<f64>,
    /// Link flight latency, ns, above 0 (default 100).
    pub latency_ns: Option<f64>,
    /// Link energy, pJ/bit (default 1.17) and idle power, mW (default 0).
    pub energy_pj_per_bit: Option<f64>,
    pub idle_power_mw: Option<f64>,
    /// Packets a link's input queue holds before the engine waits (default 4).
    pub link_queue_packets: Option<u32>,
    /// All-reduce algorithm along this dimension (default by kind).
    pub algorithm: Option<String>,
    /// For `switch` dimensions: the switch's parameters.
    pub switch: Option<SwitchDecl>,
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchDecl {
    pub port_bandwidth_gb_per_s: Option<f64>,
    pub forwarding_latency_ns: Option<f64>,
    pub energy_pj_per_bit: Option<f64>,
    /// Packets each input port buffers (credits; default 8).
    pub buffer_packets: Option<u32>,
}

/// How the chips exchange gradients.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CollectiveDecl {
    /// The chip's instance that hands the engine its vectors (`grads_out`/`grads_in` ports):
    /// default `uc`, the update core.
    pub attach: Option<String>,
    /// The chip's training controller, told its rank (default `ctrl`; `none` for a chip
    /// without one, such as an `allreduce_driver`).
    pub controller: Option<String>,
    /// When gradients are all-reduced: `per_layer` (as soon as a layer's are ready,
    /// overlapping the rest of BP; default) or `after_backward`.
    pub overlap: Option<String>,
    /// Latency of the channels between the attached instance and the engine, ns (default
    /// 20: one cycle of the paper chip's 50 MHz system clock).
    pub attach_latency_ns: Option<f64>,
    /// Parameters of every chip's `collective_engine` (see `tasim types`).
    #[serde(default)]
    pub engine: Value,
}
