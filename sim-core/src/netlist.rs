//! The elaborated structure as a `petgraph` graph: components and fabrics are nodes, channels
//! and fabric attachments are edges. Used for the elaboration checks and for DOT export.

use petgraph::graph::{DiGraph, NodeIndex};

use crate::channel::{ChannelId, FabricId};
use crate::component::CompId;
use crate::time::SimDuration;

#[derive(Clone, Debug)]
pub enum NetNode {
    Component {
        id: CompId,
        name: String,
        partition: u32,
    },
    /// A fabric hub: attachments are edges to and from it.
    Fabric {
        id: FabricId,
        name: String,
    },
}

impl NetNode {
    pub fn name(&self) -> &str {
        match self {
            NetNode::Component { name, .. } | NetNode::Fabric { name, .. } => name,
        }
    }
}

#[derive(Clone, Debug)]
pub enum EdgeKind {
    Channel(ChannelId),
    /// A component's output port into a fabric (carries the fabric latency).
    IntoFabric,
    /// A fabric delivering to a component's input port.
    OutOfFabric,
}

#[derive(Clone, Debug)]
pub struct NetEdge {
    pub kind: EdgeKind,
    /// Port name on the source node (empty for a fabric hub).
    pub from_port: String,
    /// Port name on the target node (empty for a fabric hub).
    pub to_port: String,
    pub latency: SimDuration,
}

/// The netlist of a simulation.
#[derive(Clone, Debug, Default)]
pub struct Netlist {
    pub graph: DiGraph<NetNode, NetEdge>,
    /// Node of each component, by [`CompId`].
    pub component_nodes: Vec<NodeIndex>,
    /// Node of each fabric, by [`FabricId`].
    pub fabric_nodes: Vec<NodeIndex>,
}
