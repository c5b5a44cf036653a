//! `controller`: the training schedule. It follows the reference trainer exactly (sample
//! order per epoch, mini-batches, the step counter that keys stochastic rounding, the
//! per-epoch optimizer), and turns each mini-batch into a graph of tasks that it hands to
//! idle cores, so that the three cores work at once wherever the data allow.
//!
//! Per sample (its tensors live in one of `samples_in_flight` memory slots):
//! load image → FP of each conv layer, its output channels split over the propagation cores →
//! logits → loss → BP of the FC layer → for each conv layer from the last: routing through
//! pool and ReLU (propagation cores) → error propagation (propagation cores) and weight
//! gradients (update core, in parallel). After every sample of the mini-batch: the weight
//! update (update core), whose new exponents the next mini-batch's tasks use.
//!
//! Dispatch: whenever a core is idle it gets the ready task of its kind with the smallest
//! priority key. `fp_first` puts every FP before any BP (the mini-batch's FP runs through the
//! propagation cores first, as a layer-wise batch schedule does, and the masking scheme is
//! what keeps that affordable); `sample_first` finishes earlier samples first. `serial`
//! runs one task at a time chip-wide (no overlap between the cores), for comparison.
//!
//! Ports: `mem_req`/`mem_resp` (images into memory), `pc<i>_task`/`pc<i>_done` per
//! propagation core, `uc_task`/`uc_done`, and `dvfs` (optional: phase, busy and idle).
//!
//! Statistics: `epoch.<e>.train_loss`, `.train_accuracy`, `.start_ps`, `.end_ps`,
//! `samples`, `steps`, `tasks.<op>`, and energy (task issue and the controller's leakage).

use std::collections::BTreeSet;

use sim_core::{Component, Context, PortId, PortSpec, StatsWriter};
use train_math::kernels::int8::Requant;
use train_math::{BpPath, Int8Model, LayerGeom, Precision, Rounding, SampleKey, StepStats, TensorKind, TrainConfig};

use super::layout::{mask_align, split_channels, Layout};
use super::mem_client::MemClient;
use super::protocol::{Done, Op, QuantParams, Setup, Task};
use crate::dvfs_unit::DvfsRequest;
use crate::energy::{EnergyMeter, Leakage, PowerDomain, Scope};
use crate::mem::{Cause, Phase};
use crate::Msg;

/// How tasks are dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Every core works whenever it has a ready task.
    Overlapped,
    /// One task at a time in the whole chip.
    Serial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    FpFirst,
    SampleFirst,
}

/// When a data-parallel chip all-reduces its gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// Each layer's as soon as every local sample's weight gradients of that layer are done,
    /// overlapping the BP of the layers below (as frameworks bucket gradients).
    PerLayer,
    /// All layers at once after the whole backward pass.
    AfterBackward,
}

/// This chip's place in data-parallel training. Sharding rule: of a global mini-batch of B
/// samples (positions 0..B in the epoch's order), chip r of N takes positions
/// ⌊r·B/N⌋..⌊(r+1)·B/N⌋ — contiguous, sizes differing by at most one, independent of
/// threads. Stochastic rounding is keyed by the global position, so every sample is rounded
/// as on one chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataParallel {
    pub rank: usize,
    pub ranks: usize,
    pub overlap: Overlap,
}

impl DataParallel {
    /// The positions of a batch of `b` samples that this chip trains.
    pub fn shard(&self, b: usize) -> std::ops::Range<usize> {
        self.rank * b / self.ranks..(self.rank + 1) * b / self.ranks
    }
}

/// The controller's own parameters (the training choices are resolved into a
/// [`TrainPlan`] by the edge).
#[derive(Clone, Debug)]
pub struct ControllerParams {
    pub epochs: usize,
    pub propagation_cores: usize,
    /// Samples whose tensors may be in memory at once (0: the mini-batch size).
    pub samples_in_flight: usize,
    pub schedule: Schedule,
    pub priority: Priority,
    /// Weight-gradient tasks per layer and sample (filter ranges).
    pub wg_tasks_per_layer: usize,
    /// Tasks a core may hold at once (2 lets a double-buffered core prefetch).
    pub tasks_per_core: usize,
    pub base_addr: u64,
    pub max_outstanding: usize,
    pub request_bytes: u32,
    /// Energy to issue a task (decode, send), at `nominal_v`.
    pub task_pj: f64,
    pub leakage_mw: f64,
    pub nominal_v: f64,
    /// Data-parallel training over several chips (None: one chip trains alone).
    pub data_parallel: Option<DataParallel>,
}

/// What to train, prepared by the edge with the same code as the standalone trainer.
#[derive(Clone, Debug)]
pub struct TrainPlan {
    pub geoms: Vec<LayerGeom>,
    /// The starting model (int8, exponents calibrated).
    pub model: Int8Model,
    pub config: TrainConfig,
    /// Training images as the datapath reads them, and labels.
    pub images: Vec<Vec<i8>>,
    pub labels: Vec<usize>,
    /// Sample order of each epoch (`Trainer::epoch_order`).
    pub orders: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Pc,
    Uc,
    /// The controller writes the image into memory.
    Load,
    /// Bookkeeping (a sample's end): done as soon as it is ready.
    Mark,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Ready,
    Running,
    Finished,
}

struct Planned {
    unit: Unit,
    op: Option<Op>,
    cause: Cause,
    /// Position in its batch and its priority.
    sample: usize,
    key: (u8, usize, usize),
    deps: usize,
    dependents: Vec<usize>,
    state: State,
    /// What the done report feeds: FP or BP maxima of a layer, or the loss.
    feeds: Feeds,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feeds {
    Nothing,
    ActMax(usize),
    ErrMax(usize),
    Loss {
        label: usize,
    },
    Update,
    /// An all-reduce of gradients (with the step's statistics, if it carries them).
    Reduced,
    /// The empty all-reduce after the last step: every chip has finished when it returns.
    Barrier,
}

const MEM_REQ: PortId = PortId(0);
const MEM_RESP: PortId = PortId(1);

pub struct Controller {
    p: ControllerParams,
    plan: std::sync::Arc<TrainPlan>,
    layout: Layout,
    masking: bool,
    rounding: Rounding,
    mem: MemClient,
    quant: Option<QuantParams>,
    epoch: usize,
    batch_in_epoch: usize,
    step: u64,
    /// Tasks of the current mini-batch and the id base that tells batches apart.
    tasks: Vec<Planned>,
    id_base: u64,
    ready: BTreeSet<((u8, usize, usize), usize)>,
    /// Tasks at each propagation core and at the update core.
    pc_busy: Vec<usize>,
    uc_busy: usize,
    /// Image loads in flight: the task, and the ids of its writes not yet acknowledged.
    loads_running: Vec<(usize, BTreeSet<u64>)>,
    running: usize,
    batch_stats: StepStats,
    batch_len: usize,
    epoch_loss: f64,
    epoch_correct: usize,
    /// Samples this chip trained in the epoch so far.
    epoch_samples: usize,
    /// When every local sample of the step was done, and the exposed communication so far
    /// (from then until the last all-reduce of the step came back).
    local_done_at: Option<u64>,
    comm_exposed_ps: u64,
    reduces_left: usize,
    ends_left: usize,
    /// When the current step was planned.
    step_start: u64,
    epoch_start: u64,
    /// Per epoch: mean train loss and accuracy over this chip's samples, start, end, samples.
    epochs_done: Vec<(f64, f64, u64, u64, usize)>,
    last_phase: Option<Phase>,
    tasks_issued: std::collections::BTreeMap<&'static str, u64>,
    energy: EnergyMeter,
}

impl Controller {
    /// A controller for `plan` (shared: every chip of a data-parallel system trains the same).
    pub fn new(p: ControllerParams, plan: std::sync::Arc<TrainPlan>, domain: PowerDomain) -> Self {
        let masking = plan.config.bp_path == BpPath::Mask;
        let rounding = match plan.config.precision {
            Precision::Int8(c) => c.rounding,
            Precision::F32 => Rounding::NearestEven,
        };
        let shard = match p.data_parallel {
            Some(dp) => plan.config.batch_size.div_ceil(dp.ranks),
            None => plan.config.batch_size,
        };
        let slots = if p.samples_in_flight == 0 { shard } else { p.samples_in_flight };
        let layout = Layout::new(&plan.geoms, slots.max(1), masking, p.base_addr);
        let leakage = Leakage { mw_at_nominal: p.leakage_mw, nominal_v: p.nominal_v, voltage_exponent: 3.0 };
        Controller {
            mem: MemClient::new(MEM_REQ, p.max_outstanding, p.request_bytes),
            pc_busy: vec![0; p.propagation_cores],
            energy: EnergyMeter::new(domain, Scope::Chip, leakage),
            p,
            layout,
            masking,
            rounding,
            quant: None,
            epoch: 0,
            batch_in_epoch: 0,
            step: 0,
            tasks: Vec::new(),
            id_base: 0,
            ready: BTreeSet::new(),
            uc_busy: 0,
            loads_running: Vec::new(),
            running: 0,
            batch_stats: StepStats::default(),
            batch_len: 0,
            epoch_loss: 0.0,
            epoch_correct: 0,
            epoch_samples: 0,
            local_done_at: None,
            comm_exposed_ps: 0,
            reduces_left: 0,
            ends_left: 0,
            step_start: 0,
            epoch_start: 0,
            epochs_done: Vec::new(),
            last_phase: None,
            tasks_issued: Default::default(),
            plan,
        }
    }

    fn slots(&self) -> usize {
        self.layout.slots.len()
    }

    fn pc_task_port(&self, i: usize) -> PortId {
        PortId((2 + 2 * i) as u16)
    }

    fn uc_task_port(&self) -> PortId {
        PortId((2 + 2 * self.p.propagation_cores) as u16)
    }

    fn dvfs_port(&self) -> PortId {
        PortId((4 + 2 * self.p.propagation_cores) as u16)
    }

    fn batch_samples(&self) -> Vec<usize> {
        let order = &self.plan.orders[self.epoch];
        let b = self.plan.config.batch_size;
        let start = self.batch_in_epoch * b;
        order[start..(start + b).min(order.len())].to_vec()
    }

    /// The positions of the current global mini-batch that this chip trains.
    fn shard(&self) -> std::ops::Range<usize> {
        let b = self.batch_samples().len();
        self.p.data_parallel.map_or(0..b, |dp| dp.shard(b))
    }

    /// The data-set index of the batch's local sample `local`, for a per-sample phase (none
    /// for weight update and reduce tasks, whose `local` is past the shard, nor after the
    /// last epoch: the final barrier).
    fn sample_index(&self, phase: Phase, local: usize) -> Option<u32> {
        if matches!(phase, Phase::Wu | Phase::Other) || self.epoch >= self.plan.orders.len() {
            return None;
        }
        let shard = self.shard();
        (local < shard.len()).then(|| self.batch_samples().get(shard.start + local).map(|&i| i as u32)).flatten()
    }

    fn batches_in_epoch(&self) -> usize {
        self.plan.orders[self.epoch].len().div_ceil(self.plan.config.batch_size)
    }

    /// Plans the tasks of the current mini-batch.
    fn plan_batch(&mut self) {
        let global = self.batch_samples();
        let shard = self.shard();
        let samples = &global[shard.clone()];
        let q = self.quant.clone().expect("the model is set up before any batch");
        let g = self.plan.geoms.clone();
        let n = g.len();
        let seed = self.plan.config.seed;
        let pcs = self.p.propagation_cores;
        let mut tasks: Vec<Planned> = Vec::new();
        let add = |tasks: &mut Vec<Planned>, unit, op, cause, sample, group, rank, deps: &[usize], feeds| {
            let id = tasks.len();
            for &d in deps {
                tasks[d].dependents.push(id);
            }
            tasks.push(Planned {
                unit,
                op,
                cause,
                sample,
                key: (group, sample, rank),
                deps: deps.len(),
                dependents: Vec::new(),
                state: State::Waiting,
                feeds,
            });
            id
        };
        let fp_group = 0;
        let bp_group = if self.p.priority == Priority::FpFirst { 1 } else { 0 };
        let mut sample_ends: Vec<usize> = Vec::new();
        // Weight-gradient tasks of each layer (all local samples), for per-layer reduces.
        let mut wg_of_layer: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, &idx) in samples.iter().enumerate() {
            let slot = &self.layout.slots[k % self.slots()];
            let key = SampleKey { seed, step: self.step, sample: (shard.start + k) as u32 };
            let mut rank = 0;
            let mut next_rank = || {
                rank += 1;
                rank
            };
            let load_deps: Vec<usize> = if k >= self.slots() { vec![sample_ends[k - self.slots()]] } else { vec![] };
            let load = add(
                &mut tasks,
                Unit::Load,
                None,
                Cause::new(Phase::Load, Cause::NO_LAYER),
                k,
                fp_group,
                next_rank(),
                &load_deps,
                Feeds::Nothing,
            );
            let mut prev: Vec<usize> = vec![load];
            let mut all: Vec<usize> = vec![load];
            // FP of the conv layers.
            for (l, gl) in g[..n - 1].iter().enumerate() {
                let input = if l == 0 { slot.image } else { slot.out[l - 1] };
                let requant = Requant {
                    shift: q.fp_shift[l],
                    rounding: self.rounding,
                    stream: key.stream(l, TensorKind::Activation),
                };
                let mut tiles = Vec::new();
                let r = next_rank();
                for ch in split_channels(gl.conv_out.c, pcs, mask_align(gl)) {
                    let op = Op::ConvFp {
                        geom: gl.clone(),
                        channels: ch,
                        input,
                        weights: self.layout.weights[l].0,
                        bias: self.layout.weights[l].1,
                        out: slot.out[l],
                        keep: slot.keep[l],
                        masking: self.masking,
                        requant,
                    };
                    tiles.push(add(
                        &mut tasks,
                        Unit::Pc,
                        Some(op),
                        Cause::new(Phase::Fp, l as u16),
                        k,
                        fp_group,
                        r,
                        &prev,
                        Feeds::ActMax(l),
                    ));
                }
                all.extend(&tiles);
                prev = tiles;
            }
            // The FC layer, the loss, and the FC layer's BP and WG on the update core.
            let last = &g[n - 1];
            let fc_in = if n == 1 { slot.image } else { slot.out[n - 2] };
            let logits = Op::Logits {
                geom: last.clone(),
                input: fc_in,
                weights: self.layout.weights[n - 1].0,
                bias: self.layout.weights[n - 1].1,
                out: slot.logits,
            };
            let lg = add(
                &mut tasks,
                Unit::Uc,
                Some(logits),
                Cause::new(Phase::Fp, (n - 1) as u16),
                k,
                fp_group,
                next_rank(),
                &prev,
                Feeds::Nothing,
            );
            let loss = Op::Loss {
                logits: slot.logits,
                classes: last.conv_out.c,
                label: self.plan.labels[idx],
                logits_exp: q.logits_exp,
                err_exp: q.loss_err_exp,
                rounding: self.rounding,
                stream: key.stream(n - 1, TensorKind::LossError),
                delta: slot.delta[n - 1],
            };
            let ls = add(
                &mut tasks,
                Unit::Uc,
                Some(loss),
                Cause::new(Phase::Loss, (n - 1) as u16),
                k,
                fp_group,
                next_rank(),
                &[lg],
                Feeds::Loss { label: self.plan.labels[idx] },
            );
            all.extend([lg, ls]);
            let mut wg_tasks = Vec::new();
            for filters in split_channels(last.conv_out.c, self.p.wg_tasks_per_layer, 1) {
                let op = Op::Wg { geom: last.clone(), filters, input: fc_in, dz: slot.delta[n - 1] };
                wg_of_layer[n - 1].push(tasks.len());
                wg_tasks.push(add(
                    &mut tasks,
                    Unit::Uc,
                    Some(op),
                    Cause::new(Phase::Wg, (n - 1) as u16),
                    k,
                    bp_group,
                    next_rank(),
                    &[ls],
                    Feeds::Nothing,
                ));
            }
            let mut delta_ready: Vec<usize> = vec![ls];
            if n > 1 {
                let requant = Requant {
                    shift: q.bp_shift[n - 1],
                    rounding: self.rounding,
                    stream: key.stream(n - 1, TensorKind::Error),
                };
                let op = Op::Bp {
                    geom: last.clone(),
                    channels: 0..last.input.c,
                    dz: slot.delta[n - 1],
                    weights: self.layout.weights[n - 1].0,
                    out: slot.delta[n - 2],
                    requant,
                };
                delta_ready = vec![add(
                    &mut tasks,
                    Unit::Uc,
                    Some(op),
                    Cause::new(Phase::Bp, (n - 1) as u16),
                    k,
                    bp_group,
                    next_rank(),
                    &[ls],
                    Feeds::ErrMax(n - 2),
                )];
                all.extend(&delta_ready);
            }
            // BP and WG of the conv layers, from the last.
            for l in (0..n - 1).rev() {
                let gl = &g[l];
                let r = next_rank();
                let routes: Vec<usize> = split_channels(gl.conv_out.c, pcs, mask_align(gl))
                    .into_iter()
                    .map(|ch| {
                        let op = Op::Route {
                            geom: gl.clone(),
                            channels: ch,
                            delta_out: slot.delta[l],
                            keep: slot.keep[l],
                            masking: self.masking,
                            dz: slot.dz[l],
                        };
                        add(
                            &mut tasks,
                            Unit::Pc,
                            Some(op),
                            Cause::new(Phase::Bp, l as u16),
                            k,
                            bp_group,
                            r,
                            &delta_ready,
                            Feeds::Nothing,
                        )
                    })
                    .collect();
                all.extend(&routes);
                let input = if l == 0 { slot.image } else { slot.out[l - 1] };
                let r = next_rank();
                for filters in split_channels(gl.conv_out.c, self.p.wg_tasks_per_layer, 1) {
                    let op = Op::Wg { geom: gl.clone(), filters, input, dz: slot.dz[l] };
                    wg_of_layer[l].push(tasks.len());
                    wg_tasks.push(add(
                        &mut tasks,
                        Unit::Uc,
                        Some(op),
                        Cause::new(Phase::Wg, l as u16),
                        k,
                        bp_group,
                        r,
                        &routes,
                        Feeds::Nothing,
                    ));
                }
                if l > 0 {
                    let requant = Requant {
                        shift: q.bp_shift[l],
                        rounding: self.rounding,
                        stream: key.stream(l, TensorKind::Error),
                    };
                    let r = next_rank();
                    delta_ready = split_channels(gl.input.c, pcs, 1)
                        .into_iter()
                        .map(|ch| {
                            let op = Op::Bp {
                                geom: gl.clone(),
                                channels: ch,
                                dz: slot.dz[l],
                                weights: self.layout.weights[l].0,
                                out: slot.delta[l - 1],
                                requant,
                            };
                            add(
                                &mut tasks,
                                Unit::Pc,
                                Some(op),
                                Cause::new(Phase::Bp, l as u16),
                                k,
                                bp_group,
                                r,
                                &routes,
                                Feeds::ErrMax(l - 1),
                            )
                        })
                        .collect();
                    all.extend(&delta_ready);
                }
            }
            all.extend(&wg_tasks);
            let end =
                add(&mut tasks, Unit::Mark, None, Cause::default(), k, bp_group, next_rank(), &all, Feeds::Nothing);
            sample_ends.push(end);
        }
        // Data-parallel: all-reduce the gradient sums (and the step's statistics) first.
        let mut wu_deps = sample_ends.clone();
        if let Some(dp) = self.p.data_parallel {
            let groups: Vec<(std::ops::Range<usize>, Vec<usize>)> = match dp.overlap {
                Overlap::PerLayer => (0..n).rev().map(|l| (l..l + 1, wg_of_layer[l].clone())).collect(),
                Overlap::AfterBackward => vec![(0..n, sample_ends.clone())],
            };
            let last = groups.len() - 1;
            for (g, (layers, mut deps)) in groups.into_iter().enumerate() {
                // The last reduce carries the statistics: it waits for every sample's end.
                let stats = (g == last).then(|| StepStats::new(n));
                if g == last {
                    deps.extend(&sample_ends);
                    deps.sort_unstable();
                    deps.dedup();
                }
                let tag = (self.step << 16) | g as u64;
                let op = Op::Reduce { layers, stats, tag, pad: 0 };
                let r = add(
                    &mut tasks,
                    Unit::Uc,
                    Some(op),
                    Cause::new(Phase::Wu, Cause::NO_LAYER),
                    samples.len(),
                    2,
                    g,
                    &deps,
                    Feeds::Reduced,
                );
                wu_deps.push(r);
            }
        }
        let optimizer = self.plan.config.optimizer.at_epoch(self.epoch);
        let epoch_end = (self.batch_in_epoch + 1 == self.batches_in_epoch()).then_some(self.epoch + 1);
        let wu = Op::Wu {
            stats: StepStats::new(n),
            batch: global.len(),
            optimizer,
            seed,
            step: self.step,
            weights: self.layout.weights.clone(),
            epoch_end,
        };
        add(
            &mut tasks,
            Unit::Uc,
            Some(wu),
            Cause::new(Phase::Wu, Cause::NO_LAYER),
            samples.len(),
            3,
            0,
            &wu_deps,
            Feeds::Update,
        );
        self.reduces_left = wu_deps.len() - sample_ends.len();
        self.ends_left = sample_ends.len();
        self.local_done_at = None;
        self.tasks = tasks;
        self.id_base += 1 << 32;
        self.ready.clear();
        self.batch_stats = StepStats::new(n);
        self.batch_len = samples.len();
        self.epoch_samples += samples.len();
        for i in 0..self.tasks.len() {
            if self.tasks[i].deps == 0 {
                self.make_ready(i);
            }
        }
    }

    fn plan_barrier(&mut self, ctx: &mut Context<'_, Msg>) {
        // One element per chip, so that every chip's answer depends on every chip's part.
        let pad = self.p.data_parallel.map_or(1, |dp| dp.ranks);
        let op = Op::Reduce { layers: 0..0, stats: None, tag: (self.step << 16) | 0xffff, pad };
        self.tasks = vec![Planned {
            unit: Unit::Uc,
            op: Some(op),
            cause: Cause::new(Phase::Wu, Cause::NO_LAYER),
            sample: 0,
            key: (0, 0, 0),
            deps: 0,
            dependents: Vec::new(),
            state: State::Waiting,
            feeds: Feeds::Barrier,
        }];
        self.id_base += 1 << 32;
        self.ready.clear();
        self.make_ready(0);
        self.pump(ctx);
    }

    fn make_ready(&mut self, i: usize) {
        self.tasks[i].state = State::Ready;
        self.ready.insert((self.tasks[i].key, i));
    }

    fn complete(&mut self, ctx: &mut Context<'_, Msg>, i: usize) {
        self.tasks[i].state = State::Finished;
        if self.tasks[i].unit == Unit::Mark {
            self.ends_left -= 1;
            if self.ends_left == 0 {
                self.local_done_at = Some(ctx.now().0);
            }
        }
        for d in std::mem::take(&mut self.tasks[i].dependents) {
            self.tasks[d].deps -= 1;
            if self.tasks[d].deps == 0 {
                self.make_ready(d);
            }
        }
        self.pump(ctx);
    }

    /// Hands ready tasks to idle units.
    fn pump(&mut self, ctx: &mut Context<'_, Msg>) {
        loop {
            if self.p.schedule == Schedule::Serial && self.running > 0 {
                return;
            }
            let depth = self.p.tasks_per_core;
            let pick = self.ready.iter().find(|(_, i)| match self.tasks[*i].unit {
                Unit::Pc => self.pc_busy.iter().any(|b| *b < depth),
                Unit::Uc if matches!(self.tasks[*i].feeds, Feeds::Reduced | Feeds::Barrier) => true,
                Unit::Uc => self.uc_busy < depth,
                Unit::Load | Unit::Mark => true,
            });
            let Some(&(key, i)) = pick else { return };
            self.ready.remove(&(key, i));
            self.dispatch(ctx, i);
        }
    }

    fn dispatch(&mut self, ctx: &mut Context<'_, Msg>, i: usize) {
        let t = &mut self.tasks[i];
        t.state = State::Running;
        let (unit, cause) = (t.unit, t.cause);
        match unit {
            Unit::Mark => {
                self.complete(ctx, i);
            }
            Unit::Load => {
                let sample = t.sample;
                let idx = self.batch_samples()[self.shard().start + sample];
                let slot = self.layout.slots[sample % self.slots()].image;
                let bytes: Vec<u8> = self.plan.images[idx].iter().map(|&v| v as u8).collect();
                let acks: BTreeSet<u64> = self.mem.write(ctx, slot.addr, &bytes, cause).into_iter().collect();
                self.running += 1;
                self.loads_running.push((i, acks));
                self.signal_phase(ctx, Phase::Load);
            }
            Unit::Pc | Unit::Uc => {
                let t_sample = t.sample;
                let mut op = t.op.take().expect("a core task has its op");
                match &mut op {
                    // Dispatched after every other task of the batch: the maxima are complete
                    // (on this chip; a data-parallel chip all-reduces them first).
                    Op::Wu { stats, .. } | Op::Reduce { stats: Some(stats), .. } => *stats = self.batch_stats.clone(),
                    _ => {}
                }
                *self.tasks_issued.entry(op.name()).or_default() += 1;
                let is_reduce = matches!(op, Op::Reduce { .. });
                // The data-set index, only when a timeline is watching (it costs a lookup).
                let sample = if ctx.observed() { self.sample_index(cause.phase, t_sample) } else { None };
                let task = Task { id: self.id_base + i as u64, cause, op, sample };
                let port = if unit == Unit::Pc {
                    // The least loaded core, the lowest index on ties.
                    let core =
                        (0..self.pc_busy.len()).min_by_key(|&c| (self.pc_busy[c], c)).expect("at least one core");
                    self.pc_busy[core] += 1;
                    self.signal_phase(ctx, cause.phase);
                    self.pc_task_port(core)
                } else {
                    if !is_reduce {
                        self.uc_busy += 1;
                    }
                    if cause.phase == Phase::Wu {
                        self.signal_phase(ctx, Phase::Wu);
                    }
                    self.uc_task_port()
                };
                self.running += 1;
                let v = self.energy.at(ctx);
                self.energy.add(v, "task_issue", self.p.task_pj, 1.0, cause);
                if ctx.send(port, Msg::Task(Box::new(task))).is_err() {
                    ctx.abort("a task channel refused a task; give the controller's task channels no depth limit");
                }
            }
        }
    }

    fn signal_phase(&mut self, ctx: &mut Context<'_, Msg>, phase: Phase) {
        if self.last_phase != Some(phase) {
            self.last_phase = Some(phase);
            self.dvfs(ctx, DvfsRequest::Phase(phase));
        }
    }

    fn dvfs(&mut self, ctx: &mut Context<'_, Msg>, r: DvfsRequest) {
        let port = self.dvfs_port();
        if ctx.is_bound(port) {
            let _ = ctx.send(port, Msg::Dvfs(r));
        }
    }

    fn on_done(&mut self, ctx: &mut Context<'_, Msg>, from_pc: Option<usize>, done: Done) {
        self.running -= 1;
        if self.quant.is_none() {
            // The update core is set up: start training.
            self.uc_busy -= 1;
            self.quant = done.quant;
            self.epoch_start = ctx.now().0;
            self.step_start = ctx.now().0;
            self.plan_batch();
            self.pump(ctx);
            return;
        }
        let Some(i) = done.id.checked_sub(self.id_base).map(|i| i as usize).filter(|i| *i < self.tasks.len()) else {
            return ctx.abort(format!("a done report for an unknown task {}", done.id));
        };
        match from_pc {
            Some(c) => self.pc_busy[c] -= 1,
            // An all-reduce holds no place in the update core's queue (see `dispatch`).
            None if matches!(self.tasks[i].feeds, Feeds::Reduced | Feeds::Barrier) => {}
            None => self.uc_busy -= 1,
        }
        match self.tasks[i].feeds {
            Feeds::ActMax(l) => self.batch_stats.act_max[l] = self.batch_stats.act_max[l].max(done.max_abs_acc),
            Feeds::ErrMax(l) => self.batch_stats.err_max[l] = self.batch_stats.err_max[l].max(done.max_abs_acc),
            Feeds::Loss { label } => {
                let (loss, predicted, max_delta) = done.loss.unwrap_or_default();
                self.epoch_loss += loss;
                self.epoch_correct += usize::from(predicted == label);
                self.batch_stats.loss_max = self.batch_stats.loss_max.max(max_delta);
            }
            Feeds::Update => {
                self.quant = done.quant;
                return self.end_batch(ctx, i);
            }
            Feeds::Reduced => {
                if let Some(st) = done.stats {
                    self.batch_stats = st;
                }
                self.reduces_left -= 1;
                if self.reduces_left == 0 {
                    let now = ctx.now().0;
                    self.comm_exposed_ps += now.saturating_sub(self.local_done_at.unwrap_or(self.step_start));
                }
            }
            Feeds::Barrier => {
                self.dvfs(ctx, DvfsRequest::Idle);
                return ctx.stop();
            }
            Feeds::Nothing => {}
        }
        self.complete(ctx, i);
    }

    fn end_batch(&mut self, ctx: &mut Context<'_, Msg>, i: usize) {
        self.tasks[i].state = State::Finished;
        self.step += 1;
        self.batch_in_epoch += 1;
        // Timelines show step and epoch boundaries (the value counts from 1).
        ctx.mark("step_end", self.step as i64);
        if self.batch_in_epoch == self.batches_in_epoch() {
            ctx.mark("epoch_end", self.epoch as i64 + 1);
            let n = self.epoch_samples;
            let d = n.max(1) as f64;
            let now = ctx.now().0;
            self.epochs_done.push((self.epoch_loss / d, self.epoch_correct as f64 / d, self.epoch_start, now, n));
            self.epoch_loss = 0.0;
            self.epoch_correct = 0;
            self.epoch_samples = 0;
            self.epoch_start = now;
            self.epoch += 1;
            self.batch_in_epoch = 0;
            if self.epoch == self.p.epochs {
                if self.p.data_parallel.is_some() {
                    // Stop only when every chip is done: after an empty all-reduce.
                    return self.plan_barrier(ctx);
                }
                self.dvfs(ctx, DvfsRequest::Idle);
                ctx.stop();
                return;
            }
        }
        self.step_start = ctx.now().0;
        self.plan_batch();
        self.pump(ctx);
    }
}

impl Component<Msg> for Controller {
    fn ports(&self) -> Vec<PortSpec> {
        let mut p = vec![PortSpec::output("mem_req", "mem"), PortSpec::input("mem_resp", "mem")];
        for i in 0..self.p.propagation_cores {
            p.push(PortSpec::output(format!("pc{i}_task"), "ctrl"));
            p.push(PortSpec::input(format!("pc{i}_done"), "ctrl"));
        }
        p.push(PortSpec::output("uc_task", "ctrl"));
        p.push(PortSpec::input("uc_done", "ctrl"));
        p.push(PortSpec::output("dvfs", "dvfs").optional());
        p
    }

    fn init(&mut self, ctx: &mut Context<'_, Msg>) {
        if self.p.epochs == 0 || self.plan.orders.iter().any(Vec::is_empty) {
            ctx.stop();
            return;
        }
        self.dvfs(ctx, DvfsRequest::Busy);
        let setup = Setup {
            model: self.plan.model.clone(),
            geoms: self.plan.geoms.clone(),
            weights: self.layout.weights.clone(),
        };
        let task = Task {
            id: u64::MAX,
            cause: Cause::new(Phase::Load, Cause::NO_LAYER),
            op: Op::Setup(Box::new(setup)),
            sample: None,
        };
        self.uc_busy += 1;
        self.running += 1;
        let port = self.uc_task_port();
        if ctx.send(port, Msg::Task(Box::new(task))).is_err() {
            ctx.abort("the update core's task channel refused the setup");
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg>, port: PortId, msg: Msg) {
        let p = port.0 as usize;
        match msg {
            Msg::MemResp(r) if port == MEM_RESP => {
                self.mem.on_response(ctx, &r);
                // The load this write belongs to: only its own acknowledgements complete it.
                let Some(k) = self.loads_running.iter().position(|(_, acks)| acks.contains(&r.id)) else {
                    return ctx.abort(format!("a memory response (id {}) for no load in progress", r.id));
                };
                self.loads_running[k].1.remove(&r.id);
                if self.loads_running[k].1.is_empty() {
                    let (i, _) = self.loads_running.remove(k);
                    self.running -= 1;
                    self.complete(ctx, i);
                }
            }
            Msg::Done(d) if p >= 3 && (p - 3) % 2 == 0 && (p - 3) / 2 < self.p.propagation_cores => {
                self.on_done(ctx, Some((p - 3) / 2), *d)
            }
            Msg::Done(d) if p == 3 + 2 * self.p.propagation_cores => self.on_done(ctx, None, *d),
            m => ctx.abort(format!("unexpected message on port {p}: {m:?}")),
        }
    }

    fn on_ready(&mut self, ctx: &mut Context<'_, Msg>, port: PortId) {
        if port == MEM_REQ {
            self.mem.on_ready(ctx);
        }
    }

    fn finish(&mut self, stats: &mut StatsWriter<'_>) {
        for (e, (loss, acc, start, end, n)) in self.epochs_done.iter().enumerate() {
            stats.counter(&format!("epoch.{}.samples", e + 1), *n as u64);
            stats.value(&format!("epoch.{}.train_loss", e + 1), *loss);
            stats.value(&format!("epoch.{}.train_accuracy", e + 1), *acc);
            stats.counter(&format!("epoch.{}.start_ps", e + 1), *start);
            stats.counter(&format!("epoch.{}.end_ps", e + 1), *end);
        }
        stats.counter("epochs", self.epochs_done.len() as u64);
        stats.counter("epochs_planned", self.p.epochs as u64);
        stats.counter("steps", self.step);
        stats.counter("samples", self.epochs_done.iter().map(|e| e.4 as u64).sum());
        if self.p.data_parallel.is_some() {
            stats.counter("comm_exposed_ps", self.comm_exposed_ps);
        }
        for (op, n) in &self.tasks_issued {
            stats.counter(&format!("tasks.{op}"), *n);
        }
        stats.counter("memory_bytes", self.layout.end - self.p.base_addr);
        self.energy.write_stats(stats);
    }
}
