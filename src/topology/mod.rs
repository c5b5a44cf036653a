//! Topology files: the YAML schema, includes and sub-topologies, and where every declaration
//! came from (file, line, column) so that any later problem can point back at it.
//!
//! [`load`] reads a file and everything it includes or instantiates, and flattens it into a
//! [`Topology`]: instances with full hierarchical names (`chip0.pc0`), clocks, connections and
//! fabrics with resolved names and timings in picoseconds. Nothing here knows the component
//! types; `elaborate` turns a `Topology` into a simulation through the registry.

mod flatten;
mod overrides;
pub(crate) use flatten::serde_fix;
pub mod locate;
pub mod nesting;
pub mod schema;
pub mod units;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use crate::error::{InputError, InputErrors, Location};
pub use flatten::load;
use locate::Locator;

/// One file read while loading a topology.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub locator: Locator,
}

/// Where a declaration came from: a file and a YAML path in it, or the command line.
#[derive(Clone, Debug)]
pub enum Origin {
    File { file: Arc<SourceFile>, path: String },
    CommandLine { arg: String },
}

impl Origin {
    pub fn at(file: &Arc<SourceFile>, path: impl Into<String>) -> Self {
        Origin::File { file: Arc::clone(file), path: path.into() }
    }

    /// An error located at this origin, or at its field `sub` (a YAML path below it) when
    /// that can be found.
    pub fn error(&self, sub: &str, message: impl Into<String>) -> InputError {
        match self {
            Origin::File { file, path } => {
                let full = join(path, sub);
                InputError::new(message).in_file(&file.path).at_location(file.locator.find(&full)).field(full)
            }
            Origin::CommandLine { arg } => {
                let e = InputError::new(message).field(format!("--set {arg}"));
                if sub.is_empty() {
                    e
                } else {
                    InputError { field: Some(format!("--set {arg} ({sub})")), ..e }
                }
            }
        }
    }

    pub fn location(&self) -> Option<(PathBuf, Option<Location>)> {
        match self {
            Origin::File { file, path } => Some((file.path.clone(), file.locator.find(path))),
            Origin::CommandLine { .. } => None,
        }
    }

    /// The directory relative paths in this declaration are resolved against.
    pub fn dir(&self) -> PathBuf {
        match self {
            Origin::File { file, .. } => file.path.parent().map(Path::to_path_buf).unwrap_or_default(),
            Origin::CommandLine { .. } => PathBuf::from("."),
        }
    }
}

/// `a` then `b` as a YAML path (`components[2]` + `params.x`).
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        (false, false) if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}

/// An operating point of a clock domain: (name, period in ps, supply voltage in V).
pub type ClockPoint = (String, u64, f64);

#[derive(Clone, Debug)]
pub struct Clock {
    /// Full name (`chip0.core_clk`).
    pub name: String,
    pub period_ps: u64,
    pub partition: u32,
    /// Supply voltage at the initial frequency.
    pub voltage_v: f64,
    /// Each operating point; empty without DVFS.
    pub operating_points: Vec<ClockPoint>,
    pub origin: Origin,
}

/// One component instance.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Full hierarchical name (`chip0.pc0`, `lp17`).
    pub name: String,
    /// Component type (`propagation_core`).
    pub kind: String,
    pub params: Value,
    pub partition: u32,
    /// Prefix of the subsystem it lives in (`chip0.`), for resolving clock names.
    pub scope: String,
    /// Index in its array (0 for a single instance) and the array size.
    pub index: u32,
    pub count: u32,
    pub origin: Origin,
    /// Parameter overrides applied to this instance: (parameter path, where it was set).
    pub overrides: Vec<(String, Origin)>,
}

impl Instance {
    /// An error about parameter `param` (a path inside `params`), located at the override
    /// that set it if any, else in the declaration.
    pub fn param_error(&self, param: &str, message: impl Into<String>) -> InputError {
        let message = format!("{}: {}", self.name, message.into());
        if let Some((_, origin)) =
            self.overrides.iter().rev().find(|(p, _)| param.starts_with(p.as_str()) && !param.is_empty())
        {
            return origin.error("", message);
        }
        self.origin.error(&join("params", param), message)
    }
}

/// Latency of a link: picoseconds or cycles of a clock.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    Ps(u64),
    Cycles { cycles: u64, clock: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rate {
    Unlimited,
    BytesPerSecond(u64),
    BytesPerCycle { bytes: u64, clock: String },
}

#[derive(Clone, Debug)]
pub struct Connection {
    /// (instance, port)
    pub from: (String, String),
    pub to: (String, String),
    pub latency: Latency,
    pub rate: Rate,
    pub depth: Option<u32>,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct Fabric {
    pub name: String,
    pub latency: Latency,
    /// (instance, output port, input port)
    pub endpoints: Vec<(String, Option<String>, Option<String>)>,
    pub origin: Origin,
}

/// How to run, from the file's `run` section.
#[derive(Clone, Debug, Default)]
pub struct RunSettings {
    pub end_ps: Option<u64>,
    pub threads: Option<usize>,
}

/// A whole topology, flattened.
#[derive(Debug)]
pub struct Topology {
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    pub run: RunSettings,
    /// The chip's technology node (`technology.node_nm`, 65 nm by default) as scale factors.
    pub technology: components::cost::scaling::Technology,
    pub clocks: Vec<Clock>,
    pub instances: Vec<Instance>,
    pub connections: Vec<Connection>,
    pub fabrics: Vec<Fabric>,
    /// Every file read, the top-level one first.
    pub files: Vec<Arc<SourceFile>>,
    /// Full name -> index in `clocks` and `instances` (filled by [`load`]; lookups by name
    /// are hash lookups so that elaboration stays linear in the instance count).
    clock_index: HashMap<String, usize>,
    instance_index: HashMap<String, usize>,
}

impl Topology {
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instance_position(name).map(|i| &self.instances[i])
    }

    /// Index of the instance named `name` in `instances`.
    pub fn instance_position(&self, name: &str) -> Option<usize> {
        self.instance_index.get(name).copied()
    }

    /// Index of the clock with full name `name` in `clocks`.
    pub fn clock_position(&self, name: &str) -> Option<usize> {
        self.clock_index.get(name).copied()
    }

    /// Resolves a clock name as seen from `scope` (`chip0.`): the innermost enclosing
    /// subsystem that declares it wins.
    pub fn resolve_clock(&self, scope: &str, name: &str) -> Option<usize> {
        let mut scope = scope;
        loop {
            let full = format!("{scope}{name}");
            if let Some(i) = self.clock_position(&full) {
                return Some(i);
            }
            if scope.is_empty() {
                return None;
            }
            // Drop the innermost prefix segment: `chip0.sub.` -> `chip0.`.
            let trimmed = &scope[..scope.len() - 1];
            scope = trimmed.rfind('.').map_or("", |i| &scope[..=i]);
        }
    }
}

impl From<Vec<InputError>> for InputErrors {
    fn from(v: Vec<InputError>) -> Self {
        InputErrors(v)
    }
}
