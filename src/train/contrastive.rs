//! Contrastive pretraining on masked views: each image of a batch is shown twice, under two
//! masks, and base + projection head learn to pull the two views together and push every other
//! image away (NT-Xent, `positives: "views"`, no labels), or to pull together every image of
//! the same digit (SupCon, `positives: "labels"`).

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde_json::Value;

use super::augment::{self, Shifter};
use super::contrastive_loss;
use super::pretrain_settings::{ALL_CLASSES, BASE_TASK_CLASSES, PretrainDefaults, PretrainSettings};
use super::probe::ProbeSets;
use super::run_loop::StepTrainer;
use super::ssl_data::{SslData, SslTrainer};
use crate::config::Fields;
use crate::data::{Dataset, SIDE};
use crate::error::LabError;
use crate::masks::{MaskKind, MaskSpec};
use crate::metrics::Evaluation;
use crate::model::{ConvBase, ProjectionHead};

/// Which views count as positives of each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positives {
    /// The two views of one image (SimCLR's NT-Xent); labels are never read.
    Views,
    /// Every view of every image with the same label (SupCon).
    Labels,
}

impl Positives {
    /// The objective's name in reports.
    pub fn objective(self) -> &'static str {
        match self {
            Positives::Views => "contrastive",
            Positives::Labels => "supcon",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ContrastiveConfig {
    pub common: PretrainSettings,
    pub positives: Positives,
    pub masks: MaskSpec,
    pub temperature: f64,
    /// Each view is also moved by up to this many pixels in x and y before masking (0 = masks only).
    pub shift: usize,
}

pub const MIN_TEMPERATURE: f64 = 0.01;
pub const MAX_TEMPERATURE: f64 = 10.0;

impl ContrastiveConfig {
    pub const FIELDS: [&'static str; 6] = ["objective", "positives", "masks", "maskRatio", "temperature", "shift"];

    /// `objective` may be given as "contrastive" or "supcon"; it must agree with `positives`.
    pub fn parse(value: &Value, default_seed: u64) -> Result<Self, LabError> {
        let f = Fields::new(value, "")?;
        f.only(&[&Self::FIELDS[..], &PretrainSettings::fields()[..]].concat())?;
        let objective = f.choice("objective", "contrastive", &["contrastive", "supcon"])?;
        let default_positives = if objective == "supcon" { "labels" } else { "views" };
        let positives = match f.choice("positives", default_positives, &["views", "labels"])? {
            "labels" => Positives::Labels,
            _ => Positives::Views,
        };
        if f.has("objective") && positives.objective() != objective {
            return Err(LabError::config(
                "positives",
                format!("objective \"{objective}\" means positives \"{default_positives}\""),
            ));
        }
        // Without labels the objective may learn from every image; with labels only from the
        // base task's, so that the downstream task's labels are never seen.
        let classes: &'static [i64] = match positives {
            Positives::Views => &ALL_CLASSES,
            Positives::Labels => &BASE_TASK_CLASSES,
        };
        let defaults = PretrainDefaults { classes, batch_size: 128, lr: 1e-3 };
        let kind = MaskKind::parse(f.choice("masks", "random", &MaskKind::NAMES)?).expect("a listed name");
        let temperature = f.positive("temperature", 0.5)?;
        if !(MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&temperature) {
            return Err(LabError::config(
                "temperature",
                format!("must be in [{MIN_TEMPERATURE}, {MAX_TEMPERATURE}], got {temperature}"),
            ));
        }
        Ok(Self {
            masks: MaskSpec::new(kind, f.positive("maskRatio", 0.5)?, "maskRatio")?,
            positives,
            temperature,
            shift: augment::parse_shift(&f, 0)?,
            common: PretrainSettings::parse(&f, &defaults, default_seed)?.evaluate_by_probe_only(&f)?,
        })
    }
}

/// The base and its projection head.
#[derive(Module, Debug)]
pub struct ContrastiveModel {
    pub base: ConvBase,
    pub projection: ProjectionHead,
}

pub struct ContrastiveTrainer {
    model: Option<ContrastiveModel>,
    optim: ModuleOptimizer,
    data: SslData,
    config: ContrastiveConfig,
    shifter: Shifter,
}

impl ContrastiveTrainer {
    pub fn new(data: &Dataset, config: &ContrastiveConfig, train_device: &Device, eval_device: &Device) -> Result<Self, LabError> {
        let common = &config.common;
        let seed = common.run.seed;
        Ok(Self {
            model: Some(ContrastiveModel {
                base: ConvBase::init(common.activation, seed, train_device),
                projection: ProjectionHead::init(seed, train_device),
            }),
            optim: AdamConfig::new().init(),
            data: SslData::new(data, common, config.masks, train_device, eval_device)?,
            config: config.clone(),
            shifter: Shifter::new(seed, 10, config.shift),
        })
    }
}

impl SslTrainer for ContrastiveTrainer {
    fn probe(&self) -> Option<&ProbeSets> {
        self.data.probe.as_ref()
    }

    fn into_base(self) -> ConvBase {
        self.model.expect("model present between steps").base.valid()
    }
}

impl StepTrainer for ContrastiveTrainer {
    fn step(&mut self, _step: usize) -> Result<Tensor<1>, LabError> {
        let model = self.model.take().expect("model present between steps");
        let b = self.config.common.run.batch_size;
        let positions = self.data.sampler.next_batch(b);
        let labels: Vec<u32> = positions.iter().map(|&p| self.data.train.host_targets[p as usize]).collect();
        let (images, _) = self.data.train.batch(positions); // [B, 1, 28, 28]
        let device = images.device();
        let (first, second) = self.data.masks.pairs(b);
        let first = Tensor::from_data(TensorData::new(first, [b, 1, SIDE, SIDE]), &device);
        let second = Tensor::from_data(TensorData::new(second, [b, 1, SIDE, SIDE]), &device);
        let views = Tensor::cat(vec![self.shifter.apply(images.clone()) * first, self.shifter.apply(images) * second], 0); // [2B, 1, 28, 28]
        let z = model.projection.forward(model.base.forward(views)); // [2B, 64]
        let loss = match self.config.positives {
            Positives::Views => contrastive_loss::nt_xent(z, self.config.temperature),
            Positives::Labels => {
                let both: Vec<u32> = labels.iter().chain(&labels).copied().collect();
                contrastive_loss::supcon(z, &both, self.config.temperature)
            }
        };
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(self.config.common.run.lr, model, grads));
        Ok(loss.detach())
    }

    async fn evaluate(&mut self) -> Result<Evaluation, LabError> {
        let base = self.model.as_ref().expect("model present between steps").base.valid();
        self.data.evaluate(&base).await
    }
}
