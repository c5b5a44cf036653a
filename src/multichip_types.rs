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
    let p: ChipLinkParams = ctx.declared()?;
    Ok(Box::new(ChipLink::new(p)))
}

pub fn build_switch(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: SwitchParams = ctx.declared()?;
    Ok(Box::new(Switch::new(p).map_err(|e| ctx.param_error(e))?))
}

pub fn build_collective_engine(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: EngineParams = ctx.declared()?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    Ok(Box::new(CollectiveEngine::new(p, domain).map_err(|e| ctx.param_error(e))?))
}

pub fn build_allreduce_driver(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: DriverParams = ctx.declared()?;
    Ok(Box::new(AllReduceDriver::new(p).map_err(|e| ctx.param_error(e))?))
}

/// The multi-chip entries of the registry.
pub const TYPES: [ComponentType; 4] = [
    ComponentType {
        name: "chip_link",
        summary: "point-to-point chip-to-chip SerDes link: FIFO, serialisation, energy per bit; ports: in (link, \
                  credits), out (link; its channel latency is the flight time)",
        params: "", // declared: see `registry::declared`
        build: build_chip_link,
    },
    ComponentType {
        name: "switch",
        summary: "N-port chip switch: cut-through forwarding by destination chip, per-port serialisation, input \
                  buffers as channel credits; ports: in<i>, out<i> (link)",
        params: "", // declared: see `registry::declared`
        build: build_switch,
    },
    ComponentType {
        name: "collective_engine",
        summary: "per-chip all-reduce engine: runs this chip's schedule over its links with real integer sums; \
                  ports: grads_in, grads_out (coll), d<k>_tx*/d<k>_rx* (link)",
        params: "", // declared: see `registry::declared`
        build: build_collective_engine,
    },
    ComponentType {
        name: "allreduce_driver",
        summary: "asks its engine for all-reduces of a given size and times them (benchmarks, α-β checks); ports: \
                  grads_out, grads_in (coll)",
        params: "", // declared: see `registry::declared`
        build: build_allreduce_driver,
    },
];
