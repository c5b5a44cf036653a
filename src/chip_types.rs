//! Registry constructors of the paper chip's core and controller types. The controller's
//! constructor reads the model, data set and pre-trained weights (files are the edge's job)
//! through the same code as `tasim train`, and hands the controller a ready training plan.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use components::chip::controller::{Controller, ControllerParams, Priority, Schedule, TrainPlan};
use components::chip::controller::{DataParallel, Overlap};
use components::chip::core::Core;
use components::chip::propagation_core::{PropagationCoreParams, PropagationDatapath};
use components::chip::update_core::{TrainingResult, TrainingSink, UpdateCoreParams, UpdateDatapath};
use components::param::{Declared, ParamDecl, Range};
use components::Msg;
use serde::{Deserialize, Serialize};
use sim_core::Component;
use train_math::data::image_to_i8;

use crate::error::InputError;
use crate::registry::BuildCtx;
use crate::train::model_file::{BpPathName, PrecisionName, RoundingName};
use crate::train::setup::{setup, TrainChoices, TrainSetup};
use crate::train::MAX_EPOCHS;

/// What leaves a chip simulation besides statistics: the trained model of each chip (filled
/// by its update core, keyed by the chip's scope: `""` for one chip, `chip3.` in a system)
/// and the training set-up the controllers were built from (for evaluation and saving).
#[derive(Default)]
pub struct Outputs {
    pub sinks: Mutex<BTreeMap<String, TrainingSink>>,
    pub setup: Mutex<Option<Arc<TrainSetup>>>,
    /// Controllers with the same choices share one prepared plan (a system of N chips loads
    /// its model, data and weights once).
    plans: Mutex<Vec<(TrainChoices, usize, Arc<TrainPlan>)>>,
}

impl Outputs {
    /// The sink of the update core in `scope`.
    pub fn sink(&self, scope: &str) -> TrainingSink {
        Arc::clone(self.sinks.lock().expect("outputs lock").entry(scope.to_string()).or_default())
    }

    /// Every chip's trained model, by scope (chip order: `chip0.`, `chip1.`, ..., `chip10.`).
    pub fn results(&self) -> Vec<(String, TrainingResult)> {
        let mut v: Vec<(String, TrainingResult)> = self
            .sinks
            .lock()
            .expect("outputs lock")
            .iter()
            .map(|(k, s)| (k.clone(), s.lock().expect("sink lock").clone()))
            .collect();
        v.sort_by_key(|(k, _)| chip_order(k));
        v
    }

    /// The models the first chip's update core handed out at the ends of epochs since the
    /// last call (the other chips' are the same, bit for bit, and are dropped), so that a run
    /// of many epochs keeps none of them.
    pub fn take_epoch_models(&self) -> Vec<(usize, train_math::Int8Model)> {
        let sinks = self.sinks.lock().expect("outputs lock");
        let mut first = None;
        let mut keys: Vec<&String> = sinks.keys().collect();
        keys.sort_by_key(|k| chip_order(k));
        for k in keys {
            let taken = std::mem::take(&mut sinks[k].lock().expect("sink lock").epochs);
            first.get_or_insert(taken);
        }
        first.unwrap_or_default()
    }
}

/// Chip scopes in rank order (`chip2.` before `chip10.`).
fn chip_order(scope: &str) -> (usize, String) {
    (scope.len(), scope.to_string())
}

fn check<T>(r: Result<T, (&'static str, String)>, ctx: &BuildCtx<'_>) -> Result<T, InputError> {
    r.map_err(|(field, m)| ctx.error(field, m))
}

pub fn build_propagation_core(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: PropagationCoreParams = ctx.declared()?;
    check(p.validate(), ctx)?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    let dp = PropagationDatapath::new(&p);
    Ok(Box::new(Core::new(
        dp,
        p.array(),
        p.widths(),
        domain,
        p.energy.clone(),
        p.max_outstanding as usize,
        p.request_bytes,
        p.double_buffer,
    )))
}

/// The largest `mem` message a requester sends or is answered with: a header and its request
/// size of data — `request_bytes` of the chip's cores and controller, `bytes` of the test
/// requesters (None for the types that only answer, whose answers are as large as the
/// requests, and for a `trace_player`, whose sizes are known only from its trace).
fn largest_mem_message(inst: &crate::topology::Instance) -> Option<(u64, &'static str)> {
    fn of<T: serde::de::DeserializeOwned>(inst: &crate::topology::Instance) -> Option<T> {
        serde_yaml::from_value::<T>(inst.params.clone()).ok()
    }
    let (bytes, field) = match inst.kind.as_str() {
        "propagation_core" => (of::<PropagationCoreParams>(inst)?.request_bytes, "request_bytes"),
        "update_core" => (of::<UpdateCoreParams>(inst)?.request_bytes, "request_bytes"),
        "controller" => (of::<ControllerYaml>(inst)?.request_bytes, "request_bytes"),
        "mem_requester" => (of::<components::mem_traffic::MemRequesterParams>(inst)?.bytes, "bytes"),
        "mem_traffic" => (of::<components::traffic::MemTrafficParams>(inst)?.bytes, "bytes"),
        _ => return None,
    };
    Some((components::mem::HEADER_BYTES + u64::from(bytes), field))
}

/// The checks between a chip's instances that no one component can make when it is built,
/// made once all are (by `elaborate`, so `validate` makes them too): every NoC router buffer
/// holds the largest packet its endpoints exchange, and the model the controller loaded
/// fits every update core's local memory (else the run stops at the first such packet, or
/// when the core receives the model).
pub fn check_chip(topo: &crate::topology::Topology, outputs: &Outputs) -> Vec<InputError> {
    let mut errors = Vec::new();
    for noc in topo.instances.iter().filter(|i| i.kind == "noc") {
        let Ok(p) = serde_yaml::from_value::<components::noc::NocParams>(noc.params.clone()) else { continue };
        let largest = p
            .endpoints
            .iter()
            .filter_map(|e| {
                let (bytes, field) = topo.instance(&format!("{}{e}", noc.scope)).and_then(largest_mem_message)?;
                Some((bytes, e, field))
            })
            .max();
        if let Some((bytes, who, field)) = largest.filter(|(b, _, _)| *b > p.buffer_bytes) {
            let msg = format!(
                "a router input buffer of {} bytes cannot hold the {bytes}-byte packets of `{who}` (an {}-byte header \
                 and its `{field}` of data; packets are not split into flits)",
                p.buffer_bytes,
                components::mem::HEADER_BYTES
            );
            errors.push(noc.param_error("buffer_bytes", msg).fix(format!("set `buffer_bytes` to at least {bytes}")));
        }
    }
    let Some(setup) = outputs.setup.lock().expect("outputs lock").clone() else { return errors };
    let train_math::ModelState::Int8(model) = &setup.trainer.state else { return errors };
    let need = components::chip::update_core::local_bytes_needed(&setup.model.geoms, model.config.master_bits);
    for inst in topo.instances.iter().filter(|i| i.kind == "update_core") {
        let Ok(p) = serde_yaml::from_value::<UpdateCoreParams>(inst.params.clone()) else { continue };
        let have = p.local_kib * 1024.0;
        if (need as f64) > have {
            let msg = format!(
                "the model does not fit the chip: its master weights, momentum and gradient sums need {:.1} KiB of \
                 update-core memory, but `local_kib` is {:.1} KiB",
                need as f64 / 1024.0,
                p.local_kib
            );
            let fix = format!("set `local_kib` to at least {:.1}, or train a smaller model", need as f64 / 1024.0);
            errors.push(inst.param_error("local_kib", msg).fix(fix));
        }
    }
    errors
}

pub fn build_update_core(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: UpdateCoreParams = ctx.declared()?;
    check(p.validate(), ctx)?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    let dp = UpdateDatapath::new(&p, ctx.outputs.sink(&ctx.instance.scope));
    Ok(Box::new(Core::new(
        dp,
        p.array(),
        p.widths(),
        domain,
        p.energy.clone(),
        p.max_outstanding as usize,
        p.request_bytes,
        p.double_buffer,
    )))
}

/// The epochs a `controller` instance is to train (its `epochs`, or the default), or None
/// if its parameters do not parse (the elaboration reports why).
pub fn planned_epochs(inst: &crate::topology::Instance) -> Option<usize> {
    serde_yaml::from_value::<ControllerYaml>(inst.params.clone()).ok().map(|y| y.epochs)
}

/// The epochs a training topology plans (its first controller's; none without a controller
/// or with parameters the run would refuse anyway), for progress displays.
pub fn training_epochs(topo: &crate::topology::Topology) -> Option<u64> {
    topo.instances.iter().find(|i| i.kind == "controller").and_then(planned_epochs).map(|e| e as u64)
}

/// YAML parameters of a `controller`; declared in [`Declared::PARAMS`].

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControllerYaml {
    #[serde(default = "sys_clk")]
    clock: String,
    /// Model file, relative to the topology file.
    model: String,
    /// Data set spec, as `tasim train --dataset`.
    #[serde(default = "personal")]
    dataset: String,
    /// Pre-trained weights directory, relative to the topology file.
    pretrained: Option<String>,
    #[serde(default = "one")]
    epochs: usize,
    /// Seed of sample order and stochastic rounding (as `tasim train --seed`).
    #[serde(default = "one_u64")]
    seed: u64,
    master_bits: Option<u32>,
    rounding: Option<RoundingName>,
    /// `true`: BP from 1-bit masks; `false`: from kept activations. Default: the model file's.
    masking: Option<bool>,
    #[serde(default = "two")]
    propagation_cores: usize,
    #[serde(default)]
    samples_in_flight: usize,
    #[serde(default = "overlapped")]
    schedule: String,
    #[serde(default = "fp_first")]
    priority: String,
    #[serde(default = "one")]
    wg_tasks_per_layer: usize,
    #[serde(default = "two")]
    tasks_per_core: usize,
    #[serde(default)]
    base_addr: u64,
    #[serde(default = "four")]
    max_outstanding: u32,
    #[serde(default = "bytes256")]
    request_bytes: u32,
    #[serde(default)]
    energy: ControllerEnergy,
    /// Mini-batch size (the global batch of a data-parallel system) instead of the model
    /// file's, 1..=65536.
    batch_size: Option<usize>,
    /// Written by a `system:` expansion: this chip's rank among `ranks`, and `overlap`
    /// (`per_layer` or `after_backward`).
    data_parallel: Option<DataParallelYaml>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DataParallelYaml {
    rank: usize,
    ranks: usize,
    #[serde(default = "per_layer")]
    overlap: String,
}

fn per_layer() -> String {
    "per_layer".into()
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
struct ControllerEnergy {
    /// Decoding and sending one task descriptor (a few hundred gates switching).
    task_pj: f64,
    leakage_mw: f64,
    nominal_v: f64,
}

impl Declared for ControllerYaml {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "clock",
            default: "sys_clk",
            range: Range::Other,
            doc: "clock and power domain of the controller",
        },
        ParamDecl { name: "model", default: "", range: Range::Other, doc: "model file, relative to the topology" },
        ParamDecl {
            name: "dataset",
            default: "synth:personal",
            range: Range::Other,
            doc: "data set spec, as tasim train --dataset",
        },
        ParamDecl {
            name: "pretrained",
            default: "(none: fresh)",
            range: Range::Other,
            doc: "starting weights directory, relative to the topology",
        },
        ParamDecl {
            name: "epochs",
            default: "1",
            range: Range::count(1, MAX_EPOCHS),
            doc: "epochs to train (as tasim train); each is planned ahead",
        },
        ParamDecl {
            name: "seed",
            default: "1",
            range: Range::Other,
            doc: "seed of sample order and stochastic rounding (as tasim train --seed)",
        },
        ParamDecl {
            name: "master_bits",
            default: "(the model file's)",
            range: Range::Other,
            doc: "master weight bits, as tasim train --master-bits",
        },
        ParamDecl {
            name: "rounding",
            default: "(the model file's)",
            range: Range::Other,
            doc: "nearest-even | stochastic",
        },
        ParamDecl {
            name: "masking",
            default: "(the model file's)",
            range: Range::Other,
            doc: "true: BP from 1-bit masks; false: from kept activations",
        },
        ParamDecl {
            name: "propagation_cores",
            default: "2",
            range: Range::count(1, 64),
            doc: "FP/BP tiles split over this many cores (the paper's 2)",
        },
        ParamDecl {
            name: "samples_in_flight",
            default: "0",
            range: Range::count(0, 1 << 16),
            doc: "sample slots in memory (0: the batch size)",
        },
        ParamDecl {
            name: "schedule",
            default: "overlapped",
            range: Range::Other,
            doc: "overlapped | serial (one task at a time)",
        },
        ParamDecl { name: "priority", default: "fp_first", range: Range::Other, doc: "fp_first | sample_first" },
        ParamDecl {
            name: "wg_tasks_per_layer",
            default: "1",
            range: Range::count(1, 4096),
            doc: "weight-gradient tasks per layer and sample",
        },
        ParamDecl {
            name: "tasks_per_core",
            default: "2",
            range: Range::count(1, 1024),
            doc: "tasks queued at a core (2 lets it prefetch)",
        },
        ParamDecl { name: "base_addr", default: "0", range: Range::Other, doc: "start of the chip's memory map" },
        ParamDecl {
            name: "max_outstanding",
            default: "4",
            range: Range::count(1, 4096),
            doc: "image-load requests in flight",
        },
        ParamDecl {
            name: "request_bytes",
            default: "256",
            range: Range::count(1, 1 << 20),
            doc: "largest image-load request",
        },
        ParamDecl {
            name: "energy",
            default: "",
            range: Range::Group(ControllerEnergy::PARAMS),
            doc: "energy coefficients at nominal_v",
        },
    ];
}

impl Declared for ControllerEnergy {
    const PARAMS: &'static [ParamDecl] = &[
        ParamDecl {
            name: "task_pj",
            default: "5.0",
            range: Range::ENERGY_PJ,
            doc: "decoding and sending one task descriptor (a few hundred gates switching)",
        },
        ParamDecl { name: "leakage_mw", default: "0.2", range: Range::POWER_MW, doc: "leakage at nominal_v" },
        ParamDecl { name: "nominal_v", default: "0.9", range: Range::VOLTAGE_V, doc: "voltage of the figures above" },
    ];
}

impl Default for ControllerEnergy {
    fn default() -> Self {
        ControllerEnergy { task_pj: 5.0, leakage_mw: 0.2, nominal_v: 0.9 }
    }
}

fn sys_clk() -> String {
    "sys_clk".into()
}
fn personal() -> String {
    "synth:personal".into()
}
fn one() -> usize {
    1
}
fn one_u64() -> u64 {
    1
}
fn two() -> usize {
    2
}
fn four() -> u32 {
    4
}
fn bytes256() -> u32 {
    256
}
fn overlapped() -> String {
    "overlapped".into()
}
fn fp_first() -> String {
    "fp_first".into()
}

pub fn build_controller(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let y: ControllerYaml = ctx.declared()?;
    let data_parallel = match &y.data_parallel {
        None => None,
        Some(d) => {
            let overlap = match d.overlap.as_str() {
                "per_layer" => Overlap::PerLayer,
                "after_backward" => Overlap::AfterBackward,
                other => {
                    return Err(ctx
                        .error("data_parallel.overlap", format!("unknown overlap `{other}`"))
                        .fix("use `per_layer` or `after_backward`"))
                }
            };
            if d.ranks == 0 || d.rank >= d.ranks {
                return Err(ctx.error("data_parallel.rank", format!("rank {} outside 0..{}", d.rank, d.ranks)));
            }
            Some(DataParallel { rank: d.rank, ranks: d.ranks, overlap })
        }
    };
    let first = ctx.outputs.setup.lock().expect("outputs lock").is_some();
    if first && data_parallel.is_none() {
        return Err(ctx
            .error(
                "",
                "a second training controller: a chip trains one model, and chips train together only in a `system:`",
            )
            .fix("keep one `controller`, or declare the chips as a `system:` (see topologies/multichip/)"));
    }
    let schedule = match y.schedule.as_str() {
        "overlapped" => Schedule::Overlapped,
        "serial" => Schedule::Serial,
        other => {
            return Err(ctx
                .error("schedule", format!("unknown schedule `{other}`"))
                .fix("use `overlapped` or `serial`"))
        }
    };
    let priority = match y.priority.as_str() {
        "fp_first" => Priority::FpFirst,
        "sample_first" => Priority::SampleFirst,
        other => {
            return Err(ctx
                .error("priority", format!("unknown priority `{other}`"))
                .fix("use `fp_first` or `sample_first`"))
        }
    };
    if y.propagation_cores == 0 {
        return Err(ctx.error("propagation_cores", "`propagation_cores` must be at least 1"));
    }
    for (field, v) in [
        ("epochs", y.epochs),
        ("wg_tasks_per_layer", y.wg_tasks_per_layer),
        ("tasks_per_core", y.tasks_per_core),
        ("max_outstanding", y.max_outstanding as usize),
        ("request_bytes", y.request_bytes as usize),
    ] {
        if v == 0 {
            return Err(ctx.error(field, format!("`{field}` must be at least 1")));
        }
    }
    let choices = TrainChoices {
        model: ctx.path(&y.model),
        dataset: y.dataset.clone(),
        precision: Some(PrecisionName::Int8),
        master_bits: y.master_bits,
        rounding: y.rounding,
        bp_path: y.masking.map(|m| if m { BpPathName::Mask } else { BpPathName::Activations }),
        pretrained: y.pretrained.as_ref().map(|p| ctx.path(p)),
        seed: y.seed,
        batch_size: y.batch_size,
    };
    let plan = controller_plan(ctx, &y, &choices, y.epochs)?;
    // Reported once (by chip 0), at the system's declaration.
    if let Some(dp) = data_parallel.filter(|dp| dp.rank == 0) {
        let b = plan.config.batch_size;
        if b < dp.ranks {
            return Err(ctx
                .error(
                    "data_parallel",
                    format!("a global mini-batch of {b} samples cannot be shared by {} chips", dp.ranks),
                )
                .fix(format!("use at most {b} chips, or a global batch of at least {} (`ctrl.batch_size` in the system's `set:`, or `--set system.set.ctrl.batch_size={}`)", dp.ranks, dp.ranks)));
        }
    }
    let params = ControllerParams {
        epochs: y.epochs,
        propagation_cores: y.propagation_cores,
        samples_in_flight: y.samples_in_flight,
        schedule,
        priority,
        wg_tasks_per_layer: y.wg_tasks_per_layer,
        tasks_per_core: y.tasks_per_core,
        base_addr: y.base_addr,
        max_outstanding: y.max_outstanding as usize,
        request_bytes: y.request_bytes,
        task_pj: y.energy.task_pj,
        leakage_mw: y.energy.leakage_mw,
        nominal_v: y.energy.nominal_v,
        data_parallel,
    };
    let domain = ctx.power_domain("clock", &y.clock)?;
    Ok(Box::new(Controller::new(params, plan, domain)))
}

/// The training plan for `choices` and `epochs`, prepared once per distinct choice (the
/// chips of a system share it), with the set-up kept for the report.
fn controller_plan(
    ctx: &BuildCtx<'_>,
    y: &ControllerYaml,
    choices: &TrainChoices,
    epochs: usize,
) -> Result<Arc<TrainPlan>, InputError> {
    if let Some((_, _, p)) =
        ctx.outputs.plans.lock().expect("outputs lock").iter().find(|(c, e, _)| c == choices && *e == epochs)
    {
        return Ok(Arc::clone(p));
    }
    // Problems with the model, data or weights keep their own file and position; those that
    // have none are about this controller's parameters.
    let s = setup(choices).map_err(|e| {
        // A file that cannot be opened at all is a path this controller gave: say where the
        // path came from and how it was resolved, at the controller's line.
        let unreadable = e.file.is_some() && e.location.is_none() && e.message.contains("cannot read");
        let from_yaml = |field: &str, rel: &str| {
            let resolved = e.file.as_ref().map_or_else(String::new, |f| f.display().to_string());
            // A topology named from its own directory has an empty one: say which it is.
            let dir = ctx.path("");
            let dir = if dir.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { dir };
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            let message = format!(
                "`{field}: {rel}` is `{resolved}` (relative to the topology file's directory): {}",
                e.message.trim_start_matches(&format!("{resolved}: "))
            );
            ctx.error(field, message)
                .fix(format!("give the path from the topology file's directory (`{}`)", dir.display()))
        };
        if unreadable && e.field.as_deref() == Some("--pretrained") {
            if let Some(rel) = &y.pretrained {
                return from_yaml("pretrained", rel);
            }
        }
        if unreadable && e.file.as_deref() == Some(choices.model.as_path()) {
            return from_yaml("model", &y.model);
        }
        if e.file.is_some() {
            e
        } else {
            let field = match e.field.as_deref() {
                Some("--pretrained") => "pretrained",
                Some("--master-bits") => "master_bits",
                Some("--dataset") => "dataset",
                Some("--batch-size") => "batch_size",
                _ => "model",
            };
            InputError { field: None, ..ctx.error(field, e.message.clone()) }.fix(e.fix.clone().unwrap_or_default())
        }
    })?;
    let train_math::ModelState::Int8(model) = &s.trainer.state else { unreachable!("the chip trains in int8") };
    let train = &s.data.split.train;
    if train.is_empty() {
        return Err(ctx.error("dataset", "the data set has no training samples"));
    }
    let plan = Arc::new(TrainPlan {
        geoms: s.model.geoms.clone(),
        model: model.clone(),
        config: s.config.clone(),
        images: (0..train.len()).map(|i| image_to_i8(train.image(i))).collect(),
        labels: (0..train.len()).map(|i| train.label(i)).collect(),
        orders: (0..epochs).map(|e| s.trainer.epoch_order(s.trainer.epochs_done + e, train.len())).collect(),
    });
    let mut setup_slot = ctx.outputs.setup.lock().expect("outputs lock");
    if setup_slot.is_none() {
        *setup_slot = Some(Arc::new(s));
    }
    ctx.outputs.plans.lock().expect("outputs lock").push((choices.clone(), epochs, Arc::clone(&plan)));
    Ok(plan)
}
