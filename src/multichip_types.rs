//! Registry constructors of the multi-chip component types (`chip_link`, `switch`,
//! `collective_engine`, `allreduce_driver`). The system expansion
//! ([`crate::topology::system`]) writes most of their parameters.

use components::multichip::driver::{AllReduceDriver, DriverParams};
use components::multichip::engine::{CollectiveEngine, EngineParams};
use components::multichip::link::{ChipLink, ChipLinkParams};
use components::multichip::switch::{Switch, SwitchParams};
use components::Msg;
use sim_core::Component;

use crate::error::InputError;
use crate::registry::{BuildCtx, ComponentType};

pub fn build_chip_link(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: ChipLinkParams = ctx.params()?;
    Ok(Box::new(ChipLink::new(p).map_err(|e| ctx.param_error(e))?))
}

pub fn build_switch(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SwitchParams = ctx.params()?;
    Ok(Box::new(Switch::new(p).map_err(|e| ctx.param_error(e))?))
}

pub fn build_collective_engine(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: EngineParams = ctx.params()?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    Ok(Box::new(CollectiveEngine::new(p, domain).map_err(|e| ctx.param_error(e))?))
}

pub fn build_allreduce_driver(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: DriverParams = ctx.params()?;
    Ok(Box::new(AllReduceDriver::new(p).map_err(|e| ctx.param_error(e))?))
}

/// The multi-chip entries of the registry.
pub const TYPES: [ComponentType; 4] = [
    ComponentType {
        name: "chip_link",
        summary: "point-to-point chip-to-chip SerDes link: FIFO, serialisation, energy per bit; ports: in (link, \
                  credits), out (link; its channel latency is the flight time)",
        params: "bandwidth_gb_per_s: 25     one direction (10 x 20 Gb/s GRS lanes, Poulton JSSC 2013)\n\
                 energy_pj_per_bit: 1.17    GRS across a PCB (Turner et al.)\n\
                 idle_power_mw: 0           power-gated between packets",
        build: build_chip_link,
    },
    ComponentType {
        name: "switch",
        summary: "N-port chip switch: cut-through forwarding by destination chip, per-port serialisation, input \
                  buffers as channel credits; ports: in<i>, out<i> (link)",
        params: "chips: [ranks]                 the chip behind each port\n\
                 port_bandwidth_gb_per_s: 25\n\
                 forwarding_latency_ns: 100     head in to head out\n\
                 energy_pj_per_bit: 0.6         Park et al., DAC 2012",
        build: build_switch,
    },
    ComponentType {
        name: "collective_engine",
        summary: "per-chip all-reduce engine: runs this chip's schedule over its links with real integer sums; \
                  ports: grads_in, grads_out (coll), d<k>_tx*/d<k>_rx* (link)",
        params: "clock: sys_clk, rank: 0\n\
                 dimensions: [{kind, size, algorithm}]  written by the system expansion\n\
                 chunk_kib: 64                  pipelining chunk (0: one packet per transfer)\n\
                 reduce_elements_per_cycle: 4   64-bit adds per cycle\n\
                 energy: {add_pj_per_element: 0.3, buffer_pj_per_byte: 1.9, leakage_mw: 0.1, nominal_v: 0.9}",
        build: build_collective_engine,
    },
    ComponentType {
        name: "allreduce_driver",
        summary: "asks its engine for all-reduces of a given size and times them (benchmarks, α-β checks); ports: \
                  grads_out, grads_in (coll)",
        params: "bytes: 1048576, iterations: 1, with_data: false (check the sums), rank, ranks",
        build: build_allreduce_driver,
    },
];
