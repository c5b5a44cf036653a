//! Reads a topology file with its includes and sub-topologies and flattens it.

use components::cost::scaling::Technology;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use super::locate::Locator;
use super::overrides;
use super::schema::{ComponentDecl, ConnectionDecl, FabricDecl, SubsystemDecl, TechnologyDecl, TopologyFile};
use super::units::{bytes_per_s_from_gb, check_ps, check_voltage, period_ps_from_mhz, to_ps};
use super::{join, Clock, Connection, Fabric, Instance, Latency, Origin, Rate, RunSettings, SourceFile, Topology};
use crate::error::{InputError, InputErrors};
use crate::suggest::fix_for;

#[path = "system.rs"]
mod system;

/// The fix for a clock whose frequency or period is out of range.
const CLOCK_FIX: &str = "give a frequency above 0 and at most 1,000,000 MHz (a 1 ps period), or the period itself \
                         as whole picoseconds in `period_ps`";
/// The fix for a supply voltage out of range.
const VOLTAGE_FIX: &str = "give the supply in volts, above 0 and at most 5 (the paper's chip runs at 0.5 to 1.0 V)";

/// A connection or fabric waiting for every instance to exist before its names resolve.
enum Pending {
    Connection { decl: ConnectionDecl, scope: String, origin: Origin },
    Fabric { decl: FabricDecl, scope: String, origin: Origin },
}

/// Instances a topology may expand to: 2^18 (262,144), twenty times a 1,000-chip system of
/// paper chips (about 12 each), reached in about a second and 300 MB; past it, counts that
/// multiply (`count:` of nested sub-topologies) would exhaust memory before any check ran.
pub const MAX_INSTANCES: usize = 1 << 18;

struct Loader {
    /// Set once the expansion passed [`MAX_INSTANCES`]: the one error, and expansion stops.
    too_many: Option<InputError>,
    files: Vec<Arc<SourceFile>>,
    /// Files being expanded, outermost first (include and instantiation loops): canonical
    /// path and the path as the user wrote it.
    stack: Vec<(PathBuf, PathBuf)>,
    errors: Vec<InputError>,
    clocks: Vec<Clock>,
    instances: Vec<Instance>,
    /// Array names (full, e.g. `chip0.pe`) with their instance names, for fabric attachments.
    arrays: Vec<(String, Vec<String>)>,
    pending: Vec<Pending>,
    /// Full name -> index in `clocks`, `instances`, `arrays`: every name check is a hash
    /// lookup, so loading stays linear in the number of instances (thousands of chips).
    clock_index: HashMap<String, usize>,
    instance_index: HashMap<String, usize>,
    array_index: HashMap<String, usize>,
    /// A system's chip template's `technology` (with its file), used when the system file
    /// gives none: a system of 28 nm chips is at 28 nm.
    chip_technology: Option<(Arc<SourceFile>, TechnologyDecl)>,
}

/// Loads `path` and everything it refers to. `overrides` are `instance.param=value` pairs
/// from the command line, applied last.
pub fn load(path: &Path, overrides: &[String]) -> Result<Topology, InputErrors> {
    let mut l = Loader {
        too_many: None,
        files: Vec::new(),
        stack: Vec::new(),
        errors: Vec::new(),
        clocks: Vec::new(),
        instances: Vec::new(),
        arrays: Vec::new(),
        chip_technology: None,
        pending: Vec::new(),
        clock_index: HashMap::new(),
        instance_index: HashMap::new(),
        array_index: HashMap::new(),
    };
    let (file, mut doc) = l.read(path, None).map_err(InputErrors::from)?;
    let overrides = l.structural_overrides(&file, &mut doc, overrides);
    let (system_sets, overrides): (Vec<String>, Vec<String>) =
        overrides.into_iter().partition(|a| a.trim_start().starts_with("system."));
    for arg in &system_sets {
        if let Err(e) = system::apply_cli_override(&mut doc, arg) {
            l.errors.push(e);
        }
    }
    l.stack.push((canonical(path), path.to_path_buf()));
    l.expand(&file, &doc, "", 0);
    l.stack.pop();
    if let Some(e) = l.too_many {
        // The expansion stopped part-way: what else it would say (unbound ports, unknown
        // instances in connections) follows from that, and would only bury the cause.
        return Err(InputErrors(vec![e]));
    }

    let mut connections = Vec::new();
    let mut fabrics = Vec::new();
    for p in std::mem::take(&mut l.pending) {
        match p {
            Pending::Connection { decl, scope, origin } => {
                if let Some(c) = l.connection(decl, &scope, origin) {
                    connections.push(c);
                }
            }
            Pending::Fabric { decl, scope, origin } => {
                if let Some(f) = l.fabric(decl, &scope, origin) {
                    fabrics.push(f);
                }
            }
        }
    }
    for arg in overrides {
        l.apply_cli_override(&arg);
    }
    let run = l.run_settings(&file, &doc);
    let technology = l.technology(&file, &doc);
    if l.errors.is_empty() && l.instances.is_empty() {
        l.errors.push(
            InputError::new("the topology declares no components")
                .in_file(path)
                .fix("add a `components:` list (or `subsystems:`); see topologies/README.md"),
        );
    }
    if !l.errors.is_empty() {
        return Err(InputErrors(l.errors));
    }
    let name = doc
        .name
        .clone()
        .unwrap_or_else(|| path.file_stem().map_or_else(|| "topology".into(), |s| s.to_string_lossy().into_owned()));
    Ok(Topology {
        name,
        description: doc.description.clone(),
        seed: doc.seed.unwrap_or(1),
        run,
        technology,
        clocks: l.clocks,
        instances: l.instances,
        connections,
        fabrics,
        files: l.files,
        clock_index: l.clock_index,
        instance_index: l.instance_index,
    })
}

/// A `--set` value as YAML (`8`, `true`, `[1, 2]`), or the text itself.
fn yaml_value(raw: &str) -> Value {
    serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// serde_yaml's message without its " at line L column C" (we print our own position).
fn strip_position(msg: &str) -> String {
    let msg = msg.replace("struct TopologyFile", "a topology (a mapping with `components`, `connections`, ...)");
    let Some(i) = msg.find(" at line ") else { return msg };
    let rest = &msg[i + " at line ".len()..];
    let skip = rest.find(" column ").map(|j| {
        let after = &rest[j + " column ".len()..];
        j + " column ".len() + after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len())
    });
    match skip {
        Some(k) => format!("{}{}", &msg[..i], &rest[k..]),
        None => msg[..i].to_string(),
    }
}

/// A fix for serde's "unknown field `x`, expected one of `a`, `b`" messages.
pub(crate) fn serde_fix(msg: &str) -> Option<String> {
    let rest = msg.split("unknown field `").nth(1).or_else(|| msg.split("unknown variant `").nth(1))?;
    let (name, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    if expected.is_empty() {
        return Some("remove it: this place takes no fields".into());
    }
    Some(fix_for(name, expected.iter().copied()))
}

impl Loader {
    /// Reads and parses one file. `from` is where it was referred to (an include or
    /// subsystem line), for the error if it cannot be read.
    fn read(
        &mut self,
        path: &Path,
        from: Option<(&Origin, &str)>,
    ) -> Result<(Arc<SourceFile>, TopologyFile), InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let msg = format!("cannot read topology file `{}`: {e}", path.display());
            match from {
                Some((origin, field)) => {
                    origin.error(field, msg).fix("check the path; it is relative to the file that names it")
                }
                None => InputError::new(msg).fix("check the path"),
            }
        })?;
        super::nesting::refuse_deep(path, &text)?;
        let doc: TopologyFile = serde_yaml::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let mut err = InputError::new(strip_position(&msg)).in_file(path);
            if let Some(loc) = e.location() {
                err = err.at(loc.line(), loc.column());
            }
            if let Some(fix) = serde_fix(&msg) {
                err = err.fix(fix);
            } else if msg.contains("invalid type") || msg.contains("invalid value") || msg.contains("missing field") {
                err = err.fix("see topologies/README.md for each field's type and unit");
            } else if let Some(loc) = e.location() {
                err = err.fix(format!(
                    "check the YAML syntax (indentation, colons, brackets) at and just before line {}",
                    loc.line()
                ));
            }
            err
        })?;
        let file = Arc::new(SourceFile { path: path.to_path_buf(), locator: Locator::new(&text), text });
        self.files.push(Arc::clone(&file));
        Ok((file, doc))
    }

    /// Reads `rel` (relative to `origin`'s file) unless that would loop back.
    fn read_nested(
        &mut self,
        rel: &str,
        origin: &Origin,
        field: &str,
    ) -> Option<(Arc<SourceFile>, TopologyFile, (PathBuf, PathBuf))> {
        let path = origin.dir().join(rel);
        let canon = canonical(&path);
        if let Some(i) = self.stack.iter().position(|(p, _)| *p == canon) {
            let chain: Vec<String> = self.stack[i..]
                .iter()
                .map(|(_, shown)| shown.display().to_string())
                .chain([path.display().to_string()])
                .collect();
            self.errors.push(
                origin
                    .error(field, format!("include loop: {}", chain.join(" -> ")))
                    .fix("a file may not include or instantiate itself, directly or through others"),
            );
            return None;
        }
        match self.read(&path, Some((origin, field))) {
            Ok((f, d)) => Some((f, d, (canon, path))),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    fn expand(&mut self, file: &Arc<SourceFile>, doc: &TopologyFile, scope: &str, partition: u32) {
        let first = self.instances.len();
        self.expand_declarations(file, doc, scope, partition);
        for (key, value) in &doc.set {
            let o = Origin::at(file, format!("set.{key}"));
            self.apply_override(first, &format!("{scope}{key}"), value.clone(), o);
        }
    }

    fn expand_declarations(&mut self, file: &Arc<SourceFile>, doc: &TopologyFile, scope: &str, partition: u32) {
        for (i, inc) in doc.include.iter().enumerate() {
            let origin = Origin::at(file, format!("include[{i}]"));
            if let Some((f, d, canon)) = self.read_nested(inc, &origin, "") {
                self.stack.push(canon);
                self.expand(&f, &d, scope, partition);
                self.stack.pop();
            }
        }
        for (i, c) in doc.clocks.iter().enumerate() {
            let origin = Origin::at(file, format!("clocks[{i}]"));
            if self.clock_index.contains_key(&format!("{scope}{}", c.name)) {
                self.errors.push(origin.error("name", format!("duplicate clock name `{scope}{}`", c.name)));
                continue;
            }
            let period = match (c.frequency_mhz, c.period_ps) {
                (Some(mhz), None) => period_ps_from_mhz(mhz, "frequency_mhz").map_err(|m| ("frequency_mhz", m)),
                (None, Some(0)) => Err(("period_ps", "`period_ps` must be at least 1".to_string())),
                (None, Some(ps)) => check_ps(ps, "period_ps").map_err(|m| ("period_ps", m)),
                _ => Err(("", format!("clock `{}` needs exactly one of `frequency_mhz` and `period_ps`", c.name))),
            };
            // A bad clock is reported once and still declared (with a stand-in period), so
            // that the instances naming it get no second, spurious "unknown clock" error.
            let period_ps = match period {
                Ok(p) => p,
                Err((field, m)) => {
                    self.errors.push(origin.error(field, m).fix(CLOCK_FIX));
                    1
                }
            };
            let mut points = Vec::new();
            for (k, op) in c.operating_points.iter().enumerate() {
                let field = format!("operating_points[{k}]");
                match period_ps_from_mhz(op.frequency_mhz, "frequency_mhz") {
                    _ if check_voltage(op.voltage_v, "voltage_v").is_err() => {
                        let m = check_voltage(op.voltage_v, "voltage_v").unwrap_err();
                        self.errors.push(origin.error(&join(&field, "voltage_v"), m).fix(VOLTAGE_FIX));
                    }
                    _ if points.iter().any(|(n, _, _): &(String, u64, f64)| *n == op.name) => {
                        self.errors.push(
                            origin.error(&join(&field, "name"), format!("duplicate operating point `{}`", op.name)),
                        );
                    }
                    Ok(p) => points.push((op.name.clone(), p, op.voltage_v)),
                    Err(m) => self.errors.push(origin.error(&join(&field, "frequency_mhz"), m).fix(CLOCK_FIX)),
                }
            }
            let voltage_v = match (points.iter().find(|p| p.1 == period_ps), c.voltage_v) {
                (Some(p), None) => p.2,
                (Some(p), Some(v)) if (p.2 - v).abs() < 1e-9 => v,
                (Some(p), Some(v)) => {
                    let m =
                        format!("`voltage_v` {v} contradicts operating point `{}` ({} V at this frequency)", p.0, p.2);
                    self.errors
                        .push(origin.error("voltage_v", m).fix("omit `voltage_v`; the operating point gives it"));
                    1.0
                }
                (None, _) if !points.is_empty() => {
                    let m = format!("the initial frequency of clock `{}` is none of its operating points", c.name);
                    self.errors.push(
                        origin.error("frequency_mhz", m).fix("start at one of the operating points' frequencies"),
                    );
                    1.0
                }
                (None, Some(v)) => match check_voltage(v, "voltage_v") {
                    Ok(v) => v,
                    Err(m) => {
                        self.errors.push(origin.error("voltage_v", m).fix(VOLTAGE_FIX));
                        1.0
                    }
                },
                (None, None) => 1.0,
            };
            self.clock_index.insert(format!("{scope}{}", c.name), self.clocks.len());
            self.clocks.push(Clock {
                name: format!("{scope}{}", c.name),
                period_ps,
                partition: partition + c.partition.unwrap_or(0),
                voltage_v,
                operating_points: points,
                origin,
            });
        }
        for (i, c) in doc.components.iter().enumerate() {
            self.component(c, Origin::at(file, format!("components[{i}]")), scope, partition);
        }
        for (i, c) in doc.connections.iter().enumerate() {
            let decl = c.clone();
            self.pending.push(Pending::Connection {
                decl,
                scope: scope.into(),
                origin: Origin::at(file, format!("connections[{i}]")),
            });
        }
        for (i, f) in doc.fabrics.iter().enumerate() {
            let decl = f.clone();
            self.pending.push(Pending::Fabric {
                decl,
                scope: scope.into(),
                origin: Origin::at(file, format!("fabrics[{i}]")),
            });
        }
        for (i, s) in doc.subsystems.iter().enumerate() {
            self.subsystem(s, Origin::at(file, format!("subsystems[{i}]")), scope, partition);
        }
        if let Some(sys) = &doc.system {
            if scope.is_empty() && self.stack.len() == 1 {
                self.system(file, sys);
            } else {
                self.errors.push(
                    Origin::at(file, "system")
                        .error("", "a `system` inside an included or instantiated file")
                        .fix("declare `system:` in the top-level topology only"),
                );
            }
        }
    }

    fn component(&mut self, c: &ComponentDecl, origin: Origin, scope: &str, partition: u32) {
        if c.name.is_empty() || c.name.contains(['.', ' ']) {
            self.errors.push(
                origin.error("name", format!("instance name `{}` must be non-empty, without dots or spaces", c.name)),
            );
            return;
        }
        let count = c.count.unwrap_or(1);
        if count == 0 {
            self.errors
                .push(origin.error("count", "`count` must be at least 1").fix("remove the component or set count: 1"));
            return;
        }
        let base = partition + c.partition.unwrap_or(0);
        let spread = c.spread_partitions.unwrap_or(1);
        if spread == 0 {
            self.errors.push(origin.error("spread_partitions", "`spread_partitions` must be at least 1"));
            return;
        }
        if self.instances.len() + count as usize > MAX_INSTANCES {
            if self.too_many.is_none() {
                let at = format!("{scope}{}", c.name);
                self.too_many = Some(
                    origin
                        .error(
                            "count",
                            format!("the topology expands to more than {MAX_INSTANCES} instances (at `{at}`)"),
                        )
                        .fix("lower `count` (or the counts of the sub-topologies that contain it)"),
                );
            }
            return;
        }
        let mut names = Vec::new();
        for k in 0..count {
            let name = if c.count.is_some() { format!("{scope}{}{k}", c.name) } else { format!("{scope}{}", c.name) };
            if let Some(first) = self.instance_index.get(&name).map(|&i| &self.instances[i]) {
                let at = first.origin.location().and_then(|(f, l)| {
                    l.map(|l| format!(" (first declared at {}:{}:{})", f.display(), l.line, l.column))
                });
                self.errors.push(
                    origin
                        .error("name", format!("duplicate instance name `{name}`{}", at.unwrap_or_default()))
                        .fix("rename one of them"),
                );
                return;
            }
            names.push(name.clone());
            self.instance_index.insert(name.clone(), self.instances.len());
            self.instances.push(Instance {
                name,
                kind: c.kind.clone(),
                params: c.params.clone(),
                partition: base + (u64::from(k) * u64::from(spread) / u64::from(count)) as u32,
                scope: scope.into(),
                index: k,
                count,
                origin: origin.clone(),
                overrides: Vec::new(),
            });
        }
        let array = format!("{scope}{}", c.name);
        self.array_index.entry(array.clone()).or_insert(self.arrays.len());
        self.arrays.push((array, names));
    }

    fn subsystem(&mut self, s: &SubsystemDecl, origin: Origin, scope: &str, partition: u32) {
        let count = s.count.unwrap_or(1);
        let spread = s.spread_partitions.unwrap_or(1);
        if count == 0 || spread == 0 {
            self.errors.push(origin.error("", "`count` and `spread_partitions` must be at least 1"));
            return;
        }
        // Read and parse once; every instance expands the same document.
        let Some((f, d, canon)) = self.read_nested(&s.topology, &origin, "topology") else { return };
        for k in 0..count {
            if self.too_many.is_some() {
                break;
            }
            let prefix =
                if s.count.is_some() { format!("{scope}{}{k}.", s.name) } else { format!("{scope}{}.", s.name) };
            let part =
                partition + s.partition.unwrap_or(0) + (u64::from(k) * u64::from(spread) / u64::from(count)) as u32;
            let first = self.instances.len();
            self.stack.push(canon.clone());
            self.expand(&f, &d, &prefix, part);
            self.stack.pop();
            if self.too_many.is_some() {
                break;
            }
            for (key, value) in &s.set {
                let o = Origin::at(origin_file(&origin), join(&origin_path(&origin), &format!("set.{key}")));
                self.apply_override(first, &format!("{prefix}{key}"), value.clone(), o);
            }
        }
    }

    /// Sets `key` = `instance.param.path` on instances from index `first` on.
    fn apply_override(&mut self, first: usize, key: &str, value: Value, origin: Origin) {
        // The longest instance (or array) name that `key` continues with a `.`: its prefixes
        // ending before each `.`, longest first, looked up by hash (a scan per override was
        // quadratic for an array override over thousands of elements).
        let prefixes =
            || key.char_indices().rev().filter(|&(i, c)| c == '.' && i + 1 < key.len()).map(|(i, _)| &key[..i]);
        let found = prefixes().find_map(|p| self.instance_index.get(p).copied().filter(|&i| i >= first));
        let array = prefixes()
            .find_map(|p| self.array_index.get(p).map(|&a| &self.arrays[a]))
            .map(|(n, elements)| (n, elements));
        if let (None, Some((name, elements))) = (found, array) {
            // An array's name sets the parameter on every element (`pc.pe_rows` -> pc0, pc1).
            let param = key[name.len() + 1..].to_string();
            for e in elements.clone() {
                self.apply_override(first, &format!("{e}.{param}"), value.clone(), origin.clone());
            }
            return;
        }
        let Some(idx) = found else {
            let names: Vec<&str> = self.instances[first..].iter().map(|i| i.name.as_str()).collect();
            let inst = key.rsplit_once('.').map_or(key, |(a, _)| a);
            let e = origin
                .error("", format!("`{key}` names no instance parameter: there is no instance `{inst}`"))
                .fix(fix_for(inst, names.iter().copied()));
            self.errors.push(e);
            return;
        };
        let inst = &mut self.instances[idx];
        let param = key[inst.name.len() + 1..].to_string();
        if !inst.params.is_mapping() {
            inst.params = Value::Mapping(Default::default());
        }
        let mut node = &mut inst.params;
        let parts: Vec<&str> = param.split('.').collect();
        for (j, part) in parts.iter().enumerate() {
            let map = node.as_mapping_mut().expect("made a mapping above");
            let k = Value::String((*part).to_string());
            if j + 1 == parts.len() {
                map.insert(k, value);
                break;
            }
            let entry = map.entry(k).or_insert_with(|| Value::Mapping(Default::default()));
            if !entry.is_mapping() {
                *entry = Value::Mapping(Default::default());
            }
            node = entry;
        }
        inst.overrides.push((param, origin));
    }

    /// Applies the overrides of the top-level file's structure (clocks, array counts,
    /// connections; see [`overrides`]) to its YAML and reads it again; returns the rest.
    fn structural_overrides(&mut self, file: &SourceFile, doc: &mut TopologyFile, all: &[String]) -> Vec<String> {
        let mut yaml: Value = serde_yaml::from_str(&file.text).unwrap_or(Value::Null);
        let (mut rest, mut changed) = (Vec::new(), false);
        for arg in all {
            let Some((key, raw)) = arg.split_once('=') else {
                rest.push(arg.clone());
                continue;
            };
            match overrides::target(&yaml, key.trim()) {
                overrides::Target::Parameter => rest.push(arg.clone()),
                t => match overrides::apply(&mut yaml, &t, yaml_value(raw), arg) {
                    Ok(()) => changed = true,
                    Err(e) => self.errors.push(e),
                },
            }
        }
        if changed {
            match serde_yaml::from_value(yaml) {
                Ok(d) => *doc = d,
                Err(e) => self.errors.push(
                    InputError::new(format!("after --set: {}", strip_position(&e.to_string())))
                        .in_file(&file.path)
                        .fix("give the overridden field a value of its type (see topologies/README.md)"),
                ),
            }
        }
        rest
    }

    fn apply_cli_override(&mut self, arg: &str) {
        let origin = Origin::CommandLine { arg: arg.to_string() };
        let Some((key, raw)) = arg.split_once('=') else {
            self.errors.push(
                origin
                    .error("", "an override is `instance.param=value`")
                    .fix("for example --set noc.link_bytes_per_cycle=8"),
            );
            return;
        };
        self.apply_override(0, key.trim(), yaml_value(raw), origin);
    }

    /// The top-level file's technology node, else a system's chip template's, else 65 nm.
    fn technology(&mut self, file: &Arc<SourceFile>, doc: &TopologyFile) -> Technology {
        let (file, decl) = match (&doc.technology, &self.chip_technology) {
            (Some(t), _) => (Arc::clone(file), t.clone()),
            (None, Some((f, t))) => (Arc::clone(f), t.clone()),
            (None, None) => return Technology::default(),
        };
        let Some(node) = decl.node_nm else { return Technology::default() };
        Technology::at(node).unwrap_or_else(|m| {
            self.errors.push(
                Origin::at(&file, "technology")
                    .error("node_nm", format!("`node_nm` = {node}: {m}"))
                    .fix("give a node from 7 to 65 nm (the nodes of Stillmaker & Baas 2017 and between them)"),
            );
            Technology::default()
        })
    }

    fn run_settings(&mut self, file: &Arc<SourceFile>, doc: &TopologyFile) -> RunSettings {
        let Some(r) = &doc.run else { return RunSettings::default() };
        let origin = Origin::at(file, "run");
        let end = match (r.end_ps, r.end_ns, r.end_us) {
            (None, None, None) => None,
            (Some(ps), None, None) => Some(check_ps(ps, "end_ps")),
            (None, Some(ns), None) => Some(to_ps(ns, 1e3, "end_ns")),
            (None, None, Some(us)) => Some(to_ps(us, 1e6, "end_us")),
            _ => Some(Err("give at most one of `end_ps`, `end_ns`, `end_us`".to_string())),
        };
        let end_ps = match end {
            Some(Ok(ps)) => Some(ps),
            Some(Err(m)) => {
                self.errors.push(origin.error("", m));
                None
            }
            None => None,
        };
        if r.threads == Some(0) {
            self.errors.push(origin.error("threads", "`threads` must be at least 1"));
        }
        RunSettings { end_ps, threads: r.threads }
    }

    /// Resolves `inst.port` seen from `scope`.
    fn endpoint(&mut self, text: &str, scope: &str, origin: &Origin, field: &str) -> Option<(String, String)> {
        let Some((inst, port)) = text.rsplit_once('.') else {
            self.errors.push(
                origin
                    .error(field, format!("`{text}` is not `instance.port`"))
                    .fix("write the instance name, a dot, and the port name"),
            );
            return None;
        };
        let full = format!("{scope}{inst}");
        if self.instance_index.contains_key(&full) {
            return Some((full, port.to_string()));
        }
        let local: Vec<&str> = self.instances.iter().filter_map(|i| i.name.strip_prefix(scope)).collect();
        let e = origin
            .error(field, format!("unknown instance `{inst}` in `{text}`"))
            .fix(fix_for(inst, local.iter().copied()));
        self.errors.push(e);
        None
    }

    fn latency(
        &mut self,
        ps: Option<u64>,
        ns: Option<f64>,
        cycles: Option<u64>,
        clock: Option<&str>,
        scope: &str,
        origin: &Origin,
    ) -> Option<Latency> {
        let r = match (ps, ns, cycles) {
            (Some(ps), None, None) => check_ps(ps, "latency_ps").map(Latency::Ps).map_err(|m| ("latency_ps", m)),
            (None, Some(ns), None) => to_ps(ns, 1e3, "latency_ns").map(Latency::Ps).map_err(|m| ("latency_ns", m)),
            (None, None, Some(cycles)) => match clock {
                Some(c) => self
                    .clock_name(c, scope, origin)
                    .map(|clock| Latency::Cycles { cycles, clock })
                    .ok_or(("", String::new())),
                None => Err(("latency_cycles", "`latency_cycles` needs a `clock`".to_string())),
            },
            (None, None, None) => {
                Err(("", "give a latency: `latency_ps`, `latency_ns` or `latency_cycles` (0 is allowed)".to_string()))
            }
            _ => Err(("", "give only one of `latency_ps`, `latency_ns`, `latency_cycles`".to_string())),
        };
        match r {
            Ok(l) => Some(l),
            Err((_, m)) if m.is_empty() => None,
            Err((field, m)) => {
                let fix = match field {
                    "" if m.starts_with("give only one") => "keep one latency field and delete the others",
                    "" => "add `latency_ns: 1` (or latency_ps / latency_cycles with a clock)",
                    "latency_cycles" => "add `clock: <clock name>` beside `latency_cycles`",
                    _ => "give a latency of 0 or more (a channel cannot deliver before it sends)",
                };
                self.errors.push(origin.error(field, m).fix(fix));
                None
            }
        }
    }

    fn clock_name(&mut self, name: &str, scope: &str, origin: &Origin) -> Option<String> {
        let mut s = scope;
        loop {
            let full = format!("{s}{name}");
            if self.clock_index.contains_key(&full) {
                return Some(full);
            }
            if s.is_empty() {
                break;
            }
            let trimmed = &s[..s.len() - 1];
            s = trimmed.rfind('.').map_or("", |i| &s[..=i]);
        }
        let names: Vec<&str> = self.clocks.iter().map(|c| c.name.as_str()).collect();
        self.errors
            .push(origin.error("clock", format!("unknown clock `{name}`")).fix(fix_for(name, names.iter().copied())));
        None
    }

    fn connection(&mut self, d: ConnectionDecl, scope: &str, origin: Origin) -> Option<Connection> {
        let from = self.endpoint(&d.from, scope, &origin, "from");
        let to = self.endpoint(&d.to, scope, &origin, "to");
        let latency = self.latency(d.latency_ps, d.latency_ns, d.latency_cycles, d.clock.as_deref(), scope, &origin);
        let rate = match (d.bandwidth_bytes_per_s, d.bandwidth_gb_per_s, d.bandwidth_bytes_per_cycle) {
            (None, None, None) => Some(Rate::Unlimited),
            (Some(0), None, None) => {
                self.errors.push(
                    origin
                        .error("bandwidth_bytes_per_s", "a bandwidth must be above 0")
                        .fix("omit it for an unlimited link"),
                );
                None
            }
            (Some(b), None, None) => Some(Rate::BytesPerSecond(b)),
            (None, Some(gb), None) => match bytes_per_s_from_gb(gb, "bandwidth_gb_per_s") {
                Ok(b) => Some(Rate::BytesPerSecond(b)),
                Err(m) => {
                    self.errors.push(
                        origin
                            .error("bandwidth_gb_per_s", m)
                            .fix("give the rate in GB/s (1 GB = 1e9 bytes), or omit it for an unlimited link"),
                    );
                    None
                }
            },
            (None, None, Some(0)) => {
                self.errors.push(
                    origin
                        .error("bandwidth_bytes_per_cycle", "a bandwidth must be above 0")
                        .fix("omit it for an unlimited link"),
                );
                None
            }
            (None, None, Some(bytes)) => match d.clock.as_deref() {
                Some(c) => self.clock_name(c, scope, &origin).map(|clock| Rate::BytesPerCycle { bytes, clock }),
                None => {
                    self.errors
                        .push(origin.error("bandwidth_bytes_per_cycle", "`bandwidth_bytes_per_cycle` needs a `clock`"));
                    None
                }
            },
            _ => {
                self.errors.push(origin.error("", "give at most one bandwidth field"));
                None
            }
        };
        if d.depth == Some(0) {
            self.errors
                .push(origin.error("depth", "`depth` must be at least 1").fix("omit it for an unbounded channel"));
            return None;
        }
        Some(Connection { from: from?, to: to?, latency: latency?, rate: rate?, depth: d.depth, origin })
    }

    fn fabric(&mut self, d: FabricDecl, scope: &str, origin: Origin) -> Option<Fabric> {
        let latency = self.latency(d.latency_ps, d.latency_ns, d.latency_cycles, d.clock.as_deref(), scope, &origin);
        let mut endpoints = Vec::new();
        for (i, a) in d.attach.iter().enumerate() {
            let field = format!("attach[{i}]");
            if a.out.is_none() && a.input.is_none() {
                self.errors.push(origin.error(&field, "an attachment needs an `out` port, an `in` port, or both"));
                continue;
            }
            for name in a.instances.names() {
                let full = format!("{scope}{name}");
                // An array's name stands for all its instances; a single instance for itself.
                let members: Vec<String> = if let Some(&a) = self.array_index.get(&full) {
                    self.arrays[a].1.clone()
                } else {
                    let local: Vec<&str> = self.arrays.iter().filter_map(|(n, _)| n.strip_prefix(scope)).collect();
                    let e = origin
                        .error(&join(&field, "instances"), format!("unknown instance `{name}`"))
                        .fix(fix_for(name, local.iter().copied()));
                    self.errors.push(e);
                    continue;
                };
                for m in members {
                    endpoints.push((m, a.out.clone(), a.input.clone()));
                }
            }
        }
        Some(Fabric { name: format!("{scope}{}", d.name), latency: latency?, endpoints, origin })
    }
}

fn origin_file(o: &Origin) -> &Arc<SourceFile> {
    match o {
        Origin::File { file, .. } => file,
        Origin::CommandLine { .. } => unreachable!("subsystems come from files"),
    }
}

fn origin_path(o: &Origin) -> String {
    match o {
        Origin::File { path, .. } => path.clone(),
        Origin::CommandLine { .. } => String::new(),
    }
}
