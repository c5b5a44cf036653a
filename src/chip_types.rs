//! Registry constructors of the paper chip's core and controller types. The controller's
//! constructor reads the model, data set and pre-trained weights (files are the edge's job)
//! through the same code as `tasim train`, and hands the controller a ready training plan.

use std::sync::{Arc, Mutex};

use components::chip::controller::{Controller, ControllerParams, Priority, Schedule, TrainPlan};
use components::chip::core::Core;
use components::chip::propagation_core::{PropagationCoreParams, PropagationDatapath};
use components::chip::update_core::{TrainingSink, UpdateCoreParams, UpdateDatapath};
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

/// What leaves a chip simulation besides statistics: the trained model (filled by the update
/// core) and the training set-up the controller was built from (for evaluation and saving).
#[derive(Default)]
pub struct Outputs {
    pub training: TrainingSink,
    pub setup: Mutex<Option<Arc<TrainSetup>>>,
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
        domain,
        p.energy.clone(),
        p.max_outstanding as usize,
        p.request_bytes,
        p.double_buffer,
    )))
}

pub fn build_update_core(ctx: &BuildCtx<'_>) -> Result<Box<dyn Component<Msg>>, InputError> {
    let p: UpdateCoreParams = ctx.declared()?;
    check(p.validate(), ctx)?;
    let domain = ctx.power_domain("clock", &p.clock)?;
    let dp = UpdateDatapath::new(&p, Arc::clone(&ctx.outputs.training));
    Ok(Box::new(Core::new(
        dp,
        p.array(),
        domain,
        p.energy.clone(),
        p.max_outstanding as usize,
        p.request_bytes,
        p.double_buffer,
    )))
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
    if ctx.outputs.setup.lock().expect("outputs lock").is_some() {
        return Err(ctx
            .error("", "a second training controller: a run trains one model on one chip")
            .fix("keep one `controller` (data-parallel training over several chips is not built yet)"));
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
    };
    // Problems with the model, data or weights keep their own file and position; those that
    // have none are about this controller's parameters.
    let s = setup(&choices).map_err(|e| {
        if e.file.is_some() {
            e
        } else {
            let field = match e.field.as_deref() {
                Some("--pretrained") => "pretrained",
                Some("--master-bits") => "master_bits",
                Some("--dataset") => "dataset",
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
    let plan = TrainPlan {
        geoms: s.model.geoms.clone(),
        model: model.clone(),
        config: s.config.clone(),
        images: (0..train.len()).map(|i| image_to_i8(train.image(i))).collect(),
        labels: (0..train.len()).map(|i| train.label(i)).collect(),
        orders: (0..y.epochs).map(|e| s.trainer.epoch_order(s.trainer.epochs_done + e, train.len())).collect(),
    };
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
    };
    let domain = ctx.power_domain("clock", &y.clock)?;
    *ctx.outputs.setup.lock().expect("outputs lock") = Some(Arc::new(s));
    Ok(Box::new(Controller::new(params, plan, domain)))
}
