//! The `system:` section: N copies of a chip topology and the network between them, expanded
//! into ordinary instances and connections (so `tasim graph` shows them and every link has
//! its statistics).
//!
//! For chip k (prefix `chip<k>.`, partition k, coordinates with dimension 0 fastest):
//! - `chip<k>.coll`, a `collective_engine` (rank k), wired to the chip's `attach` instance
//!   (`grads_out` → `grads_in` and back);
//! - per dimension d: ring `chip<k>.d<d>_next` (and `_prev` for a bidirectional ring), fully
//!   connected `chip<k>.d<d>_to<j>`, switch `chip<k>.d<d>_up`: `chip_link`s on the sending
//!   chip, whose outgoing channel carries the dimension's `latency_ns` (the lookahead between
//!   partitions);
//! - per switch dimension, one `sw_d<d>_<g>` per group of chips that differ only in d (g is
//!   the group's chip with coordinate 0), in that chip's partition.
//!
//! The chip's controller (unless `controller: none`) gets
//! `data_parallel: {rank, ranks, overlap}`; an `allreduce_driver` gets `rank` and `ranks`.

use std::sync::Arc;

use components::multichip::schedule;
use serde_yaml::{Mapping, Value};

use super::{Loader, Pending};
use crate::topology::schema::{ConnectionDecl, DimensionDecl, SystemDecl};
use crate::topology::units::to_ps;
use crate::topology::{Instance, Origin, SourceFile};

/// Most chips a system may have (elaboration and memory stay linear; this bounds a typo).
pub const MAX_CHIPS: u64 = 65_536;

/// A dimension resolved from its declaration.
struct Dim {
    kind: String,
    size: u32,
    decl: DimensionDecl,
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(Value::String(k.into()), v);
    }
    Value::Mapping(m)
}

fn num(v: f64) -> Value {
    Value::Number(v.into())
}

fn int(v: u64) -> Value {
    Value::Number(v.into())
}

fn conn(from: String, to: String, latency_ps: u64, depth: Option<u32>) -> ConnectionDecl {
    ConnectionDecl {
        from,
        to,
        latency_ps: Some(latency_ps),
        latency_ns: None,
        latency_cycles: None,
        clock: None,
        bandwidth_bytes_per_s: None,
        bandwidth_gb_per_s: None,
        bandwidth_bytes_per_cycle: None,
        depth,
    }
}

impl Loader {
    /// Expands `sys` (declared in `file`).
    pub(super) fn system(&mut self, file: &Arc<SourceFile>, sys: &SystemDecl) {
        let origin = Origin::at(file, "system");
        let Some(dims) = self.system_dims(file, sys) else { return };
        let chips: u32 = dims.iter().map(|d| d.size).product();
        let Some((f, d, canon)) = self.read_nested(&sys.chip, &origin, "chip") else { return };
        if let Some(t) = &d.technology {
            self.chip_technology = Some((Arc::clone(&f), t.clone()));
        }
        let coll = &sys.collective;
        let copt = Origin::at(file, "system.collective");
        let attach = coll.attach.clone().unwrap_or_else(|| "uc".into());
        let controller = coll.controller.clone().unwrap_or_else(|| "ctrl".into());
        let overlap = coll.overlap.clone().unwrap_or_else(|| "per_layer".into());
        if !["per_layer", "after_backward"].contains(&overlap.as_str()) {
            self.errors.push(
                copt.error("overlap", format!("unknown overlap `{overlap}`"))
                    .fix("use `per_layer` or `after_backward`"),
            );
            return;
        }
        let attach_ps = match to_ps(coll.attach_latency_ns.unwrap_or(20.0), 1e3, "attach_latency_ns") {
            Ok(ps) => ps,
            Err(m) => return self.errors.push(copt.error("attach_latency_ns", m)),
        };
        if !(coll.engine.is_null() || coll.engine.is_mapping()) {
            return self.errors.push(copt.error("engine", "`engine` is a mapping of collective_engine parameters"));
        }
        let dim_values: Vec<Value> = dims
            .iter()
            .map(|d| {
                let mut v = vec![("kind", Value::String(d.kind.clone())), ("size", int(d.size.into()))];
                if let Some(a) = &d.decl.algorithm {
                    v.push(("algorithm", Value::String(a.clone())));
                }
                map(v)
            })
            .collect();
        // Chip numbering as the collective schedules number ranks (dimension 0 fastest).
        let sizes: Vec<usize> = dims.iter().map(|d| d.size as usize).collect();
        let coords = |rank: u32| -> Vec<u32> {
            schedule::coords_in(&sizes, rank as usize).into_iter().map(|c| c as u32).collect()
        };
        let with_coord = |rank: u32, dd: usize, c: u32| -> u32 {
            schedule::with_coord_in(&sizes, rank as usize, dd, c as usize) as u32
        };
        let mut switches = std::collections::HashSet::new();
        self.stack.push(canon);
        for k in 0..chips {
            let prefix = format!("chip{k}.");
            let first = self.instances.len();
            self.expand(&f, &d, &prefix, k);
            for (key, value) in &sys.set {
                let o = Origin::at(file, format!("system.set.{key}"));
                self.apply_override(first, &format!("{prefix}{key}"), value.clone(), o);
            }
            let Some(att) = self.instances[first..].iter().position(|i| i.name == format!("{prefix}{attach}")) else {
                self.errors.push(
                    copt.error(
                        "attach",
                        format!("the chip topology has no instance `{attach}` to attach the collective engine to"),
                    )
                    .fix(
                        "name the instance with `grads_out`/`grads_in` ports (the update core, or an allreduce_driver)",
                    ),
                );
                break;
            };
            let att_kind = self.instances[first + att].kind.clone();
            if att_kind == "allreduce_driver" {
                let o = copt.clone();
                self.apply_override(first, &format!("{prefix}{attach}.rank"), int(k.into()), o.clone());
                self.apply_override(first, &format!("{prefix}{attach}.ranks"), int(chips.into()), o);
            }
            if controller != "none" {
                let dp = map(vec![
                    ("rank", int(k.into())),
                    ("ranks", int(chips.into())),
                    ("overlap", Value::String(overlap.clone())),
                ]);
                self.apply_override(first, &format!("{prefix}{controller}.data_parallel"), dp, origin.clone());
            }
            // The engine.
            let mut params = match &coll.engine {
                Value::Mapping(m) => m.clone(),
                _ => Mapping::new(),
            };
            params.insert(Value::String("rank".into()), int(k.into()));
            params.insert(Value::String("dimensions".into()), Value::Sequence(dim_values.clone()));
            self.push_generated(
                &format!("{prefix}coll"),
                "collective_engine",
                Value::Mapping(params),
                &prefix,
                k,
                &copt,
            );
            let pend = |from: String, to: String, ps: u64, depth: Option<u32>, origin: &Origin| Pending::Connection {
                decl: conn(from, to, ps, depth),
                scope: String::new(),
                origin: origin.clone(),
            };
            self.pending.push(pend(
                format!("{prefix}{attach}.grads_out"),
                format!("{prefix}coll.grads_in"),
                attach_ps,
                None,
                &copt,
            ));
            self.pending.push(pend(
                format!("{prefix}coll.grads_out"),
                format!("{prefix}{attach}.grads_in"),
                attach_ps,
                None,
                &copt,
            ));
            // The links.
            let me = coords(k);
            for (dd, dim) in dims.iter().enumerate() {
                if dim.size == 1 {
                    continue;
                }
                let o = Origin::at(file, format!("system.dimensions[{dd}]"));
                let lat = match to_ps(dim.decl.latency_ns.unwrap_or(100.0), 1e3, "latency_ns") {
                    Ok(ps) => ps,
                    Err(m) => return self.errors.push(o.error("latency_ns", m)),
                };
                let q = dim.decl.link_queue_packets.unwrap_or(4);
                let mut link_params = Vec::new();
                if let Some(v) = dim.decl.bandwidth_gb_per_s {
                    link_params.push(("bandwidth_gb_per_s", num(v)));
                }
                if let Some(v) = dim.decl.energy_pj_per_bit {
                    link_params.push(("energy_pj_per_bit", num(v)));
                }
                if let Some(v) = dim.decl.idle_power_mw {
                    link_params.push(("idle_power_mw", num(v)));
                }
                let link_params = map(link_params);
                let next = with_coord(k, dd, (me[dd] + 1) % dim.size);
                let prev = with_coord(k, dd, (me[dd] + dim.size - 1) % dim.size);
                let link = |l: &mut Self, name: String, tx: String, to: String, depth_out: Option<u32>| {
                    l.push_generated(&name, "chip_link", link_params.clone(), &prefix, k, &o);
                    l.pending.push(pend(format!("{prefix}coll.{tx}"), format!("{name}.in"), 0, Some(q), &o));
                    l.pending.push(pend(format!("{name}.out"), to, lat, depth_out, &o));
                };
                match dim.kind.as_str() {
                    "ring" | "bidirectional_ring" => {
                        link(
                            self,
                            format!("{prefix}d{dd}_next"),
                            format!("d{dd}_tx_next"),
                            format!("chip{next}.coll.d{dd}_rx_prev"),
                            None,
                        );
                        if dim.kind == "bidirectional_ring" {
                            link(
                                self,
                                format!("{prefix}d{dd}_prev"),
                                format!("d{dd}_tx_prev"),
                                format!("chip{prev}.coll.d{dd}_rx_next"),
                                None,
                            );
                        }
                    }
                    "fully_connected" => {
                        for j in (0..dim.size).filter(|j| *j != me[dd]) {
                            let peer = with_coord(k, dd, j);
                            let to = format!("chip{peer}.coll.d{dd}_rx{}", me[dd]);
                            link(self, format!("{prefix}d{dd}_to{j}"), format!("d{dd}_tx{j}"), to, None);
                        }
                    }
                    _ => {
                        let sw = self.switch_for(&mut switches, dd, dim, with_coord(k, dd, 0), &with_coord, &o);
                        let buffer = dim.decl.switch.as_ref().and_then(|s| s.buffer_packets).unwrap_or(8);
                        let c = me[dd];
                        link(
                            self,
                            format!("{prefix}d{dd}_up"),
                            format!("d{dd}_tx"),
                            format!("{sw}.in{c}"),
                            Some(buffer),
                        );
                        self.pending.push(pend(
                            format!("{sw}.out{c}"),
                            format!("{prefix}coll.d{dd}_rx"),
                            lat,
                            None,
                            &o,
                        ));
                    }
                }
            }
        }
        self.stack.pop();
    }

    /// The switch of the group whose coordinate-0 chip is `base` along dimension `dd`,
    /// declared when its first chip is expanded.
    fn switch_for(
        &mut self,
        declared: &mut std::collections::HashSet<String>,
        dd: usize,
        dim: &Dim,
        base: u32,
        with_coord: &dyn Fn(u32, usize, u32) -> u32,
        origin: &Origin,
    ) -> String {
        let name = format!("sw_d{dd}_{base}");
        if declared.insert(name.clone()) {
            let s = dim.decl.switch.clone().unwrap_or_default();
            let mut p =
                vec![("chips", Value::Sequence((0..dim.size).map(|c| int(with_coord(base, dd, c).into())).collect()))];
            if let Some(v) = s.port_bandwidth_gb_per_s.or(dim.decl.bandwidth_gb_per_s) {
                p.push(("port_bandwidth_gb_per_s", num(v)));
            }
            if let Some(v) = dim.decl.bandwidth_gb_per_s {
                p.push(("input_bandwidth_gb_per_s", num(v)));
            }
            if let Some(v) = s.forwarding_latency_ns {
                p.push(("forwarding_latency_ns", num(v)));
            }
            if let Some(v) = s.energy_pj_per_bit {
                p.push(("energy_pj_per_bit", num(v)));
            }
            self.push_generated(&name, "switch", map(p), "", base, origin);
        }
        name
    }

    fn push_generated(&mut self, name: &str, kind: &str, params: Value, scope: &str, partition: u32, origin: &Origin) {
        if self.instance_index.contains_key(name) {
            self.errors.push(
                origin
                    .error("", format!("the system declares `{name}`, which the chip topology declares too"))
                    .fix("rename the chip's instance: the system's engine is `coll`, its links `d<k>_...`, its switches `sw_d<k>_<g>`"),
            );
            return;
        }
        self.instance_index.insert(name.to_string(), self.instances.len());
        self.instances.push(Instance {
            name: name.into(),
            kind: kind.into(),
            params,
            partition,
            scope: scope.into(),
            index: 0,
            count: 1,
            origin: origin.clone(),
            overrides: Vec::new(),
        });
    }

    /// The dimensions with their sizes, checked against `chips`.
    fn system_dims(&mut self, file: &Arc<SourceFile>, sys: &SystemDecl) -> Option<Vec<Dim>> {
        let origin = Origin::at(file, "system");
        if sys.dimensions.is_empty() {
            self.errors.push(
                origin
                    .error("dimensions", "a system needs at least one dimension")
                    .fix("for example `dimensions: [{kind: ring, size: 4}]`"),
            );
            return None;
        }
        let mut dims = Vec::new();
        let mut open = None;
        for (i, d) in sys.dimensions.iter().enumerate() {
            let o = Origin::at(file, format!("system.dimensions[{i}]"));
            if !components::multichip::schedule::DimKind::NAMES.contains(&d.kind.as_str()) {
                self.errors.push(o.error("kind", format!("unknown dimension kind `{}`", d.kind)).fix(
                    crate::suggest::fix_for(&d.kind, components::multichip::schedule::DimKind::NAMES.iter().copied()),
                ));
                return None;
            }
            if d.switch.is_some() && d.kind != "switch" {
                self.errors.push(
                    o.error("switch", "`switch` parameters on a dimension that is not a switch")
                        .fix("remove them or set `kind: switch`"),
                );
                return None;
            }
            match d.size {
                Some(0) => {
                    self.errors.push(o.error("size", "`size` must be at least 1"));
                    return None;
                }
                None if open.is_some() || sys.chips.is_none() => {
                    self.errors.push(
                        o.error("size", "a dimension without `size`").fix(
                            "give every dimension a size, or give `chips` and leave out the size of one dimension",
                        ),
                    );
                    return None;
                }
                None => open = Some(i),
                Some(_) => {}
            }
            if let Some(ns) = d.latency_ns {
                if !(ns.is_finite() && ns > 0.0) {
                    self.errors.push(o.error("latency_ns", format!("`latency_ns` must be above 0, not {ns}")).fix(
                        "a chip-to-chip link's latency is the lookahead that lets chips run in parallel; give it a positive value",
                    ));
                    return None;
                }
            }
            dims.push(Dim { kind: d.kind.clone(), size: d.size.unwrap_or(1), decl: d.clone() });
        }
        let known: u64 = dims.iter().map(|d| u64::from(d.size)).product();
        if let Some(n) = sys.chips {
            let n = u64::from(n);
            match open {
                Some(i) if n % known == 0 && n > 0 => dims[i].size = (n / known) as u32,
                _ if known == n => {}
                Some(i) => {
                    let o = Origin::at(file, format!("system.dimensions[{i}]"));
                    self.errors.push(
                        o.error(
                            "size",
                            format!("the other dimensions hold {known} chips, which does not divide `chips: {n}`"),
                        )
                        .fix("make `chips` a multiple of the product of the given sizes"),
                    );
                    return None;
                }
                None => {
                    self.errors.push(origin.error("chips", format!(
                        "`chips: {n}` but the dimensions hold {known} ({})",
                        dims.iter().map(|d| d.size.to_string()).collect::<Vec<_>>().join(" x ")
                    )).fix("make the product of the dimension sizes equal `chips`, or leave out one dimension's size"));
                    return None;
                }
            }
        }
        let total: u64 = dims.iter().map(|d| u64::from(d.size)).product();
        if total > MAX_CHIPS {
            self.errors.push(origin.error("chips", format!("{total} chips; at most {MAX_CHIPS}")));
            return None;
        }
        for (i, d) in dims.iter().enumerate() {
            let kind = components::multichip::schedule::DimKind::parse(&d.kind).expect("checked");
            let alg = match &d.decl.algorithm {
                None => continue,
                Some(a) => a,
            };
            let o = Origin::at(file, format!("system.dimensions[{i}]"));
            let Some(alg) = components::multichip::schedule::Algorithm::parse(alg) else {
                let names = components::multichip::schedule::Algorithm::NAMES;
                self.errors.push(
                    o.error("algorithm", format!("unknown algorithm `{alg}`"))
                        .fix(crate::suggest::fix_for(alg, names.iter().copied())),
                );
                return None;
            };
            if let Some(why) = alg.misfit(kind, d.size as usize) {
                self.errors.push(o.error("algorithm", format!("`{}` does not fit this dimension: {why}", alg.name())).fix(
                    "use `ring`, which runs on any dimension, or a `switch`/`fully_connected` dimension with a power-of-two size",
                ));
                return None;
            }
        }
        Some(dims)
    }
}

/// Applies `system.a.b.0.c=value` (a `--set` on the system section, before it is expanded):
/// numbers index sequences (`system.dimensions.0.size=8`).
pub(super) fn apply_cli_override(
    doc: &mut crate::topology::schema::TopologyFile,
    arg: &str,
) -> Result<(), crate::error::InputError> {
    let origin = Origin::CommandLine { arg: arg.to_string() };
    let (key, raw) = arg.split_once('=').ok_or_else(|| {
        origin.error("", "an override is `system.field=value`").fix("for example --set system.dimensions.0.size=8")
    })?;
    let Some(sys) = &doc.system else {
        return Err(origin
            .error("", "this topology has no `system:` section")
            .fix("set instance parameters as `instance.param=value`"));
    };
    let mut root = serde_yaml::to_value(sys).map_err(|e| origin.error("", e.to_string()))?;
    let value: Value = serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
    let mut path: Vec<&str> = key.trim().split('.').skip(1).collect();
    // `system.set.inst.param=v`: the keys of `set` are `inst.param` themselves.
    let joined;
    if path.len() > 2 && path[0] == "set" {
        joined = path[1..].join(".");
        path = vec!["set", joined.as_str()];
    }
    set_path(&mut root, &path, value).map_err(|m| {
        origin
            .error("", format!("`{key}`: {m}"))
            .fix("index lists from 0; see topologies/README.md, section Many chips")
    })?;
    let sys: SystemDecl = serde_yaml::from_value(root).map_err(|e| {
        let msg = e.to_string();
        let fix =
            crate::topology::serde_fix(&msg).unwrap_or_else(|| "see topologies/README.md, section Many chips".into());
        origin.error("", format!("`{key}`: {msg}")).fix(fix)
    })?;
    doc.system = Some(sys);
    Ok(())
}

fn set_path(node: &mut Value, path: &[&str], value: Value) -> Result<(), String> {
    let Some((part, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    if node.is_null() {
        *node = Value::Mapping(Mapping::new());
    }
    match node {
        Value::Sequence(v) => {
            let k: usize = part.parse().map_err(|_| format!("`{part}` indexes a list: use a number"))?;
            let len = v.len();
            let item = v.get_mut(k).ok_or_else(|| format!("index {k} but the list has {len} entries"))?;
            set_path(item, rest, value)
        }
        Value::Mapping(m) => set_path(m.entry(Value::String((*part).to_string())).or_insert(Value::Null), rest, value),
        _ => Err(format!("`{part}` is inside a value that is neither a mapping nor a list")),
    }
}
