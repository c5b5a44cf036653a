//! The paper's chip: three cores, their tasks, and the training schedule.
//!
//! - [`controller`]: the training schedule (what the reference trainer does, as tasks).
//! - [`propagation_core`]: FP and BP of conv layers with the masking scheme.
//! - [`update_core`]: weight gradients, the modified weight update (master weights), the FC
//!   layer and the loss.
//! - [`core`]: the task lifecycle both core types share; [`dataflow`]: cycle counts of the PE
//!   arrays; [`protocol`]: tasks and reports; [`layout`]: the memory map; [`mem_client`]:
//!   the requester side of the memory protocol.

pub mod controller;
pub mod core;
pub mod dataflow;
mod datapath_common;
pub mod layout;
pub mod mem_client;
pub mod propagation_core;
pub mod protocol;
pub mod update_core;

/// A propagation core: the shared task lifecycle around the propagation datapath.
pub type PropagationCore = core::Core<propagation_core::PropagationDatapath>;
/// The update core.
pub type UpdateCore = core::Core<update_core::UpdateDatapath>;
