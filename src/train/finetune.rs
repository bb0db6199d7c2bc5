//! Fine-tuning a pretrained base on a tiny task, in each of the notebook's ways (`Strategy`).
//! Every strategy starts from the same base weights and the same head init for a seed, so runs
//! are comparable; the lab's base itself is never changed.

use burn::nn::Linear;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde_json::Value;

use super::augment::{self, Shifter};
use super::constraints::{self, Ball, BallNorm, BallScope};
use super::device_data::DeviceSplit;
use super::eval;
use super::run_loop::{RunSettings, StepTrainer};
use crate::config::Fields;
use crate::data::{BatchSampler, ClassSet, Dataset, Split, SubsetSize, TaskSpec, TaskSplit};
use crate::error::LabError;
use crate::metrics::Evaluation;
use crate::model::{ConvBase, FEATURES, linear_layer};
use crate::rng::SplitMix64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Same net, random init: the baseline.
    Scratch,
    /// Pretrained base frozen; only the new head trains (linear probe).
    Frozen,
    /// Base and new head train from the pretrained weights.
    Full,
    /// Base trains on the base task and the new task at once: loss = base + λ·new.
    Joint,
    /// Full fine-tuning + α/2‖w−w₀‖² on the base and β/2‖W‖² on the head.
    L2Sp,
    /// Full fine-tuning, the base projected back into a ball around w₀ after every step.
    Ball,
}

impl Strategy {
    pub const NAMES: [&'static str; 6] = ["scratch", "frozen", "full", "joint", "l2sp", "ball"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "scratch" => Self::Scratch,
            "frozen" => Self::Frozen,
            "full" => Self::Full,
            "joint" => Self::Joint,
            "l2sp" => Self::L2Sp,
            "ball" => Self::Ball,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn uses_pretrained_base(self) -> bool {
        self != Self::Scratch
    }
}

#[derive(Clone, Debug)]
pub struct FinetuneConfig {
    pub task: TaskSpec,
    pub strategy: Strategy,
    pub alpha: f64,
    pub beta: f64,
    pub ball: Ball,
    pub joint_weight: f64,
    /// Each training image of the task is moved by up to this many pixels in x and y.
    pub shift: usize,
    pub run: RunSettings,
}

impl FinetuneConfig {
    pub const FIELDS: [&'static str; 9] = ["task", "strategy", "alpha", "beta", "norm", "radius", "scope", "jointWeight", "shift"];
    pub const TASK_FIELDS: [&'static str; 4] = ["classes", "fraction", "shotsPerClass", "subsetSeed"];

    pub fn parse(value: &Value, default_seed: u64) -> Result<Self, LabError> {
        let f = Fields::new(value, "")?;
        f.only(&[&Self::FIELDS[..], &RunSettings::FIELDS[..]].concat())?;
        let strategy = f.choice("strategy", "full", &Strategy::NAMES)?;
        let task = parse_task(&f.object("task")?)?;
        Ok(Self {
            task,
            strategy: Strategy::parse(strategy).expect("a listed name"),
            alpha: f.non_negative("alpha", 0.01)?,
            beta: f.non_negative("beta", 0.01)?,
            ball: Ball {
                norm: match f.choice("norm", "l2", &["l2", "linf", "l1"])? {
                    "linf" => BallNorm::Linf,
                    "l1" => BallNorm::L1,
                    _ => BallNorm::L2,
                },
                radius: f.positive("radius", 1.0)?,
                scope: match f.choice("scope", "layer", &["layer", "base"])? {
                    "base" => BallScope::Base,
                    _ => BallScope::Layer,
                },
            },
            joint_weight: f.non_negative("jointWeight", 1.0)?,
            shift: augment::parse_shift(&f, 0)?,
            run: RunSettings::parse(&f, 32, 1e-3, default_seed)?,
        })
    }
}

fn parse_task(value: &Value) -> Result<TaskSpec, LabError> {
    let f = Fields::new(value, "task")?;
    f.only(&FinetuneConfig::TASK_FIELDS)?;
    let classes = ClassSet::new(&f.path("classes"), &f.integers("classes")?.unwrap_or_else(|| vec![4, 9]))?;
    let size = match (f.has("fraction"), f.has("shotsPerClass")) {
        (true, true) => return Err(LabError::config("task", "give fraction or shotsPerClass, not both")),
        (_, true) => SubsetSize::ShotsPerClass(f.integer("shotsPerClass", 1, 1, 100_000)? as usize),
        _ => SubsetSize::Fraction(f.in_half_open("fraction", 0.02, 0.0, 1.0)?),
    };
    Ok(TaskSpec { classes, size, subset_seed: f.integer("subsetSeed", 0, 0, u32::MAX as u64)? })
}

/// The net being fine-tuned: a base, the new task's head and, for `joint`, the base task's head.
#[derive(Module, Debug)]
pub struct FinetuneModel {
    pub base: ConvBase,
    pub head: Linear,
    pub base_head: Option<Linear>,
}

impl FinetuneModel {
    /// [B, 1, 28, 28] → [B, task classes] logits.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.base.forward(images))
    }
}

/// Where a fine-tuning run starts: the base (w₀) and, when there is one, the base task's head.
pub struct StartingPoint {
    pub base: ConvBase,
    pub base_head: Option<Linear>,
    pub base_classes: Option<ClassSet>,
}

/// A fine-tuning run in progress.
pub struct FinetuneTrainer {
    model: Option<FinetuneModel>,
    /// w₀ on the training device, never trained.
    start: ConvBase,
    strategy: Strategy,
    config: FinetuneConfig,
    optim: ModuleOptimizer,
    loss: CrossEntropyLoss,
    train: DeviceSplit,
    test: DeviceSplit,
    sampler: BatchSampler,
    base_train: Option<(DeviceSplit, BatchSampler)>,
    shifter: Shifter,
    train_images: usize,
}

impl FinetuneTrainer {
    /// `start` is on `train_device` (autodiff); `eval_device` is the same device without it.
    pub fn new(
        data: &Dataset,
        config: &FinetuneConfig,
        start: StartingPoint,
        train_device: &Device,
        eval_device: &Device,
    ) -> Result<Self, LabError> {
        let classes = &config.task.classes;
        let train_split = config.task.train_subset(data);
        let test_split = config.task.test_split(data);
        if train_split.is_empty() || test_split.is_empty() {
            return Err(LabError::config("task.classes", "no images of these classes in the data set"));
        }
        let head = linear_layer(&mut SplitMix64::derive(config.run.seed, 4), FEATURES, classes.len(), train_device);
        let base = match config.strategy {
            Strategy::Frozen => start.base.clone().no_grad(),
            _ => start.base.clone(),
        };
        let base_train = match (config.strategy, &start.base_classes) {
            (Strategy::Joint, Some(base_classes)) => {
                let split = TaskSplit::of_classes(data, Split::Train, base_classes);
                let sampler = BatchSampler::new(split.len(), config.run.seed ^ 0x5eed);
                Some((DeviceSplit::upload(data, &split, train_device), sampler))
            }
            (Strategy::Joint, None) => {
                return Err(LabError::config("strategy", "joint needs a base pretrained on labels (objective: supervised)"));
            }
            _ => None,
        };
        let base_head = if config.strategy == Strategy::Joint { start.base_head.clone() } else { None };
        Ok(Self {
            model: Some(FinetuneModel { base, head, base_head }),
            start: start.base.no_grad(),
            strategy: config.strategy,
            config: config.clone(),
            optim: AdamConfig::new().init(),
            loss: CrossEntropyLossConfig::new().init(train_device),
            sampler: BatchSampler::new(train_split.len(), config.run.seed),
            train_images: train_split.len(),
            train: DeviceSplit::upload(data, &train_split, train_device),
            test: DeviceSplit::upload(data, &test_split, eval_device),
            base_train,
            shifter: Shifter::new(config.run.seed, 10, config.shift),
        })
    }

    pub fn model(&self) -> &FinetuneModel {
        self.model.as_ref().expect("model present between steps")
    }

    /// w₀ (on the training device).
    pub fn start(&self) -> &ConvBase {
        &self.start
    }

    pub fn train_images(&self) -> usize {
        self.train_images
    }

    pub fn test_images(&self) -> usize {
        self.test.len()
    }

    /// The trained net, without autodiff.
    pub fn into_model(self) -> FinetuneModel {
        self.model.expect("model present between steps").valid()
    }
}

impl StepTrainer for FinetuneTrainer {
    fn step(&mut self, _step: usize) -> Result<Tensor<1>, LabError> {
        let model = self.model.take().expect("model present between steps");
        let (images, targets) = self.train.batch(self.sampler.next_batch(self.config.run.batch_size)); // [B, 1, 28, 28], [B]
        let task_loss = self.loss.forward(model.forward(self.shifter.apply(images)), targets); // [1]
        let loss = match self.strategy {
            Strategy::Joint => {
                let (split, sampler) = self.base_train.as_mut().expect("joint has the base task");
                let (base_images, base_targets) = split.batch(sampler.next_batch(self.config.run.batch_size));
                let base_head = model.base_head.as_ref().expect("joint has the base head");
                let base_logits = base_head.forward(model.base.forward(base_images)); // [B, base classes]
                self.loss.forward(base_logits, base_targets) + task_loss.mul_scalar(self.config.joint_weight)
            }
            Strategy::L2Sp => {
                let penalty = constraints::l2sp_penalty(
                    &model.base,
                    &self.start,
                    model.head.weight.val(),
                    self.config.alpha,
                    self.config.beta,
                );
                task_loss + penalty
            }
            _ => task_loss,
        };
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let mut model = self.optim.step(self.config.run.lr, model, grads);
        if self.strategy == Strategy::Ball {
            model.base = constraints::project_base(model.base, &self.start, &self.config.ball);
        }
        self.model = Some(model);
        Ok(loss.detach())
    }

    async fn evaluate(&mut self) -> Result<Evaluation, LabError> {
        let model = self.model().valid();
        eval::evaluate(|images| model.forward(images), &self.test, self.config.task.classes.len()).await
    }
}
