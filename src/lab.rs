//! The lab: one device, the data set and the current pretrained base. Every run the JS facade
//! offers is a method here, so native tests drive exactly what the page drives.

use burn::module::Module;
use serde::Serialize;
use serde_json::Value;

use crate::config::Fields;
use crate::data::{ClassSet, Dataset, NUM_CLASSES, PIXELS, SIDE, Split, TaskSplit};
use crate::masks::{MaskKind, MaskSampler, MaskSpec};
use crate::weights::{self, NetInfo};
use burn::prelude::*;
use crate::device::{self, BackendChoice, LabDevice};
use crate::error::LabError;
use crate::metrics::{self, Drift};
use crate::model::{Activation, ConvBase};
use burn::nn::Linear;
use crate::train::device_data::DeviceSplit;
use crate::train::eval;
use crate::train::finetune::{FinetuneConfig, FinetuneModel, FinetuneTrainer, StartingPoint, Strategy};
use crate::train::contrastive::{ContrastiveConfig, ContrastiveTrainer};
use crate::train::masked::{MaskedConfig, MaskedTrainer};
use crate::train::pretrain_settings::PretrainSettings;
use crate::train::probe::{self, ProbeReport, ProbeSets};
use crate::train::run_loop::{self, CurvePoint, LoopResult};
use crate::train::ssl_data::SslTrainer;
use crate::train::supervised::{SupervisedConfig, SupervisedTrainer};
use crate::train::RunHooks;

/// The base the lab holds after a pretraining run, on the lab's device (no autodiff).
pub struct PretrainedBase {
    pub base: ConvBase,
    /// The supervised objective's classifier head over `classes`; the other objectives have none.
    pub head: Option<Linear>,
    /// The digits whose training images the objective learned from.
    pub classes: ClassSet,
    pub objective: &'static str,
    /// The run's last test accuracy: the classifier's on the base task for `supervised`, the
    /// linear probe's on all 10 digits for the others.
    pub test_accuracy: Option<f64>,
    pub probe: Option<ProbeReport>,
}

/// The pretraining objectives `pretrain` accepts.
pub const OBJECTIVES: [&str; 4] = ["supervised", "masked", "contrastive", "supcon"];
/// The most points `embed` computes (its Gram matrix is n × n).
pub const MAX_EMBED: usize = 2000;

/// A finished run's probe, from its last evaluation.
fn probe_of(sets: Option<&ProbeSets>, result: &LoopResult) -> Option<ProbeReport> {
    match (sets, &result.last_eval, result.cancelled) {
        (Some(sets), Some(evaluation), false) => Some(sets.report(evaluation)),
        _ => None,
    }
}

/// The last fine-tuned net and what it tells apart.
pub struct FinetunedNet {
    pub model: FinetuneModel,
    pub strategy: &'static str,
    pub classes: ClassSet,
    pub test_accuracy: Option<f64>,
}

pub struct Lab {
    device: LabDevice,
    data: Dataset,
    seed: u64,
    base: Option<PretrainedBase>,
    /// The net of the last fine-tuning run that finished (for predictions and inspection).
    finetuned: Option<FinetunedNet>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetInfo {
    pub images: usize,
    pub train: usize,
    pub test: usize,
    pub per_class: [usize; NUM_CLASSES],
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PretrainReport {
    pub objective: &'static str,
    pub classes: Vec<u8>,
    /// Steps completed (fewer than asked when cancelled).
    pub steps: usize,
    pub cancelled: bool,
    pub backend: &'static str,
    pub ms_per_step: f64,
    pub final_loss: f64,
    pub test_accuracy: Option<f64>,
    pub curve: Vec<CurvePoint>,
    pub confusion: Option<Vec<Vec<u32>>>,
    /// The finished base probed on all 10 digits (linear probe and k-NN); absent when cancelled
    /// or with `probe: false`.
    pub probe: Option<ProbeReport>,
}

/// `embed`'s answer: 2-D PCA coordinates of the base's features, one point per image.
#[derive(Clone, Debug)]
pub struct Embedding {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub labels: Vec<u8>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    pub classes: Vec<u8>,
    pub train_images: usize,
    pub test_images: usize,
    pub subset_seed: u64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinetuneReport {
    pub strategy: &'static str,
    pub task: TaskInfo,
    /// Steps completed (fewer than asked when cancelled).
    pub steps: usize,
    pub cancelled: bool,
    pub backend: &'static str,
    pub seed: u64,
    pub ms_per_step: f64,
    /// The objective's last logged value (task loss, plus the penalty or the base-task loss).
    pub final_loss: f64,
    pub test_accuracy: Option<f64>,
    pub curve: Vec<CurvePoint>,
    pub confusion: Option<Vec<Vec<u32>>>,
    /// How far each base layer moved from where the run started (w₀; a fresh init for scratch).
    pub drift: Drift,
    /// The fine-tuned base with the base task's head (co-trained for joint, else the pretrained
    /// one) on the base task's test images; absent for scratch.
    pub base_task_accuracy: Option<f64>,
    pub pretrained_base_task_accuracy: Option<f64>,
}

/// `Lab.create`'s options.
#[derive(Clone, Debug)]
pub struct LabOptions {
    pub backend: BackendChoice,
    pub seed: u64,
}

impl LabOptions {
    pub const FIELDS: [&'static str; 4] = ["backend", "seed", "data", "dataUrl"];

    pub fn parse(value: &Value) -> Result<Self, LabError> {
        let f = Fields::new(value, "")?;
        f.only(&Self::FIELDS)?;
        let backend = f.choice("backend", "auto", &["auto", "webgpu", "cpu"])?;
        Ok(Self {
            backend: BackendChoice::parse(backend).expect("choice() returned a listed name"),
            seed: f.integer("seed", 0, 0, u32::MAX as u64)?,
        })
    }
}

impl Lab {
    /// Brings up the device and checks the data asset.
    pub async fn create(options: &LabOptions, asset: &[u8]) -> Result<Self, LabError> {
        let data = Dataset::parse(asset)?;
        let device = device::select(options.backend).await?;
        Ok(Self { device, data, seed: options.seed, base: None, finetuned: None })
    }

    pub fn device(&self) -> &LabDevice {
        &self.device
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    pub fn base(&self) -> Option<&PretrainedBase> {
        self.base.as_ref()
    }

    pub fn finetuned(&self) -> Option<&FinetunedNet> {
        self.finetuned.as_ref()
    }

    pub fn dataset_info(&self) -> DatasetInfo {
        DatasetInfo {
            images: self.data.len(),
            train: self.data.train_len(),
            test: self.data.test_len(),
            per_class: self.data.per_class(),
        }
    }

    /// Pretrains a new base with `objective` ("supervised" by default, "masked", "contrastive",
    /// "supcon"). On success it replaces the lab's base; a cancelled run keeps the old one and
    /// returns what it had.
    pub async fn pretrain(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<PretrainReport, LabError> {
        let objective = Fields::new(config, "")?.choice("objective", "supervised", &OBJECTIVES)?;
        match objective {
            "masked" => self.pretrain_masked(config, hooks).await,
            "contrastive" | "supcon" => self.contrastive(config, hooks).await,
            _ => self.pretrain_supervised(config, hooks).await,
        }
    }

    async fn pretrain_supervised(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<PretrainReport, LabError> {
        let config = SupervisedConfig::parse(config, self.seed)?;
        let common = &config.common;
        let mut trainer = SupervisedTrainer::new(&self.data, &config, &self.device.autodiff(), &self.device.device)?;
        let result = run_loop::run(&common.run.loop_config("pretrain"), &mut trainer, hooks).await?;
        let model = trainer.into_model();
        let probe = match (&common.probe, result.cancelled) {
            (Some(probe), false) => {
                let sets = ProbeSets::new(&self.data, probe, common.run.seed, &self.device.device);
                Some(sets.report(&sets.evaluate(&model.base).await?))
            }
            _ => None,
        };
        Ok(self.finish_pretrain("supervised", common, result, model.base, Some(model.head), probe))
    }

    async fn pretrain_masked(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<PretrainReport, LabError> {
        let config = MaskedConfig::parse(config, self.seed)?;
        let trainer = MaskedTrainer::new(&self.data, &config, &self.device.autodiff(), &self.device.device)?;
        self.run_self_supervised("masked", &config.common, trainer, hooks).await
    }

    /// Contrastive pretraining on masked pairs: `positives: "views"` (NT-Xent, no labels) or
    /// `"labels"` (SupCon). Replaces the base like `pretrain`.
    pub async fn contrastive(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<PretrainReport, LabError> {
        let config = ContrastiveConfig::parse(config, self.seed)?;
        let trainer = ContrastiveTrainer::new(&self.data, &config, &self.device.autodiff(), &self.device.device)?;
        self.run_self_supervised(config.positives.objective(), &config.common, trainer, hooks).await
    }

    /// Runs a self-supervised objective, evaluated by its probe (at the end, and every
    /// `evalEvery` steps).
    async fn run_self_supervised<T: SslTrainer>(
        &mut self,
        objective: &'static str,
        common: &PretrainSettings,
        mut trainer: T,
        hooks: &mut dyn RunHooks,
    ) -> Result<PretrainReport, LabError> {
        let mut loop_config = common.run.loop_config("pretrain");
        loop_config.eval_at_end = common.probe.is_some();
        let result = run_loop::run(&loop_config, &mut trainer, hooks).await?;
        let probe = probe_of(trainer.probe(), &result);
        Ok(self.finish_pretrain(objective, common, result, trainer.into_base(), None, probe))
    }

    /// The report of a pretraining run; keeps its base unless the run was cancelled.
    fn finish_pretrain(
        &mut self,
        objective: &'static str,
        common: &PretrainSettings,
        result: LoopResult,
        base: ConvBase,
        head: Option<Linear>,
        probe: Option<ProbeReport>,
    ) -> PretrainReport {
        let report = PretrainReport {
            objective,
            classes: common.classes.digits().to_vec(),
            steps: result.steps_done,
            cancelled: result.cancelled,
            backend: self.device.kind.as_str(),
            ms_per_step: result.ms_per_step,
            final_loss: result.final_loss,
            test_accuracy: result.last_eval.as_ref().map(|e| e.accuracy),
            confusion: result.last_eval.map(|e| e.confusion),
            curve: result.curve,
            probe,
        };
        if !result.cancelled {
            self.base = Some(PretrainedBase {
                base,
                head,
                classes: common.classes.clone(),
                objective,
                test_accuracy: report.test_accuracy,
                probe: report.probe.clone(),
            });
        }
        report
    }

    /// 2-D PCA of the features of the first `n` images of a split, from the lab's base
    /// (`model: "base"`) or the last fine-tuned net's base (`"finetuned"`).
    pub async fn embed(&self, config: &Value) -> Result<Embedding, LabError> {
        let f = Fields::new(config, "")?;
        f.only(&["split", "n", "model"])?;
        let split = match f.choice("split", "test", &["test", "train"])? {
            "train" => Split::Train,
            _ => Split::Test,
        };
        let n = f.integer("n", 500, 2, MAX_EMBED as u64)? as usize;
        let base = self.chosen_base(&f)?;
        let mut images = TaskSplit::of_classes(&self.data, split, &ClassSet::all());
        images.truncate(n);
        let n = images.len();
        let uploaded = DeviceSplit::upload(&self.data, &images, &self.device.device);
        let features = probe::features(base, &uploaded); // [n, 7744]
        let centred = features.clone() - features.mean_dim(0); // [n, 7744]
        let gram = centred.clone().matmul(centred.transpose()); // [n, n]
        let gram = gram.into_data_async().await.map_err(|e| LabError::Device(format!("reading the Gram matrix: {e:?}")))?;
        let gram: Vec<f32> = gram.iter::<f32>().collect();
        let (x, y) = metrics::pca_2d(&gram, n);
        Ok(Embedding { x, y, labels: images.indices.iter().map(|&i| self.data.label(i)).collect() })
    }

    /// Where a fine-tuning run starts, on the training device.
    pub fn starting_point(&self, config: &FinetuneConfig) -> Result<StartingPoint, LabError> {
        let train_device = self.device.autodiff();
        match (config.strategy, &self.base) {
            (Strategy::Scratch, base) => {
                let activation = base.as_ref().map_or(Activation::Relu, |b| b.base.activation);
                Ok(StartingPoint { base: ConvBase::init(activation, config.run.seed, &train_device), base_head: None, base_classes: None })
            }
            (strategy, None) => Err(LabError::config(
                "strategy",
                format!("\"{}\" fine-tunes the lab's pretrained base; run pretrain first", strategy.as_str()),
            )),
            (_, Some(base)) => Ok(StartingPoint {
                base: base.base.clone().train(),
                base_head: base.head.as_ref().map(|h| h.clone().train()),
                base_classes: base.head.as_ref().map(|_| base.classes.clone()),
            }),
        }
    }

    /// Fine-tunes a copy of the base on a tiny task with one strategy. Never changes the base.
    pub async fn finetune(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<FinetuneReport, LabError> {
        let config = FinetuneConfig::parse(config, self.seed)?;
        let start = self.starting_point(&config)?;
        let base_head = start.base_head.as_ref().map(|h| h.valid());
        let base_classes = start.base_classes.clone();
        let mut trainer = FinetuneTrainer::new(&self.data, &config, start, &self.device.autodiff(), &self.device.device)?;
        let loop_config = config.run.loop_config("finetune");
        let result = run_loop::run(&loop_config, &mut trainer, hooks).await?;
        let drift = metrics::base_drift(&trainer.model().base, trainer.start()).await?;
        let task = TaskInfo {
            classes: config.task.classes.digits().to_vec(),
            train_images: trainer.train_images(),
            test_images: trainer.test_images(),
            subset_seed: config.task.subset_seed,
        };
        let model = trainer.into_model();
        let base_task_accuracy = match (&base_classes, base_head, result.cancelled) {
            (Some(classes), Some(pretrained_head), false) => {
                let head = model.base_head.clone().unwrap_or(pretrained_head);
                let split = DeviceSplit::upload(&self.data, &TaskSplit::of_classes(&self.data, Split::Test, classes), &self.device.device);
                let evaluation = eval::evaluate(|x| head.forward(model.base.forward(x)), &split, classes.len()).await?;
                Some(evaluation.accuracy)
            }
            _ => None,
        };
        let report = FinetuneReport {
            strategy: config.strategy.as_str(),
            task,
            steps: result.steps_done,
            cancelled: result.cancelled,
            backend: self.device.kind.as_str(),
            seed: config.run.seed,
            ms_per_step: result.ms_per_step,
            final_loss: result.final_loss,
            test_accuracy: result.last_eval.as_ref().map(|e| e.accuracy),
            confusion: result.last_eval.map(|e| e.confusion),
            curve: result.curve,
            drift,
            base_task_accuracy,
            pretrained_base_task_accuracy: match &self.base {
                Some(base) if config.strategy.uses_pretrained_base() && base.head.is_some() => base.test_accuracy,
                _ => None,
            },
        };
        if !result.cancelled {
            self.finetuned = Some(FinetunedNet {
                model,
                strategy: config.strategy.as_str(),
                classes: config.task.classes.clone(),
                test_accuracy: report.test_accuracy,
            });
        }
        Ok(report)
    }

    /// The first `n` test images (pixels in [0, 1], [n * 784]) and their digits.
    pub fn test_images(&self, n: usize) -> (Vec<f32>, Vec<u8>) {
        let mut split = TaskSplit::of_classes(&self.data, Split::Test, &ClassSet::all());
        split.truncate(n);
        (split.pixels_f32(&self.data), split.indices.iter().map(|&i| self.data.label(i)).collect())
    }

    /// Class probabilities per digit ([n * 10]; 0 for digits the net does not know) of the last
    /// fine-tuned net, or of the supervised base's classifier when nothing was fine-tuned yet.
    pub async fn predict(&self, pixels: &[f32]) -> Result<Vec<f32>, LabError> {
        if pixels.is_empty() || pixels.len() % PIXELS != 0 || pixels.iter().any(|p| !p.is_finite()) {
            return Err(LabError::config("pixels", format!("must hold 784 finite values per image, got {}", pixels.len())));
        }
        let n = pixels.len() / PIXELS;
        let device = &self.device.device;
        let images = Tensor::<4>::from_data(TensorData::new(pixels.to_vec(), [n, 1, SIDE, SIDE]), device); // [n, 1, 28, 28]
        let (logits, classes) = match (&self.finetuned, &self.base) {
            (Some(net), _) => (net.model.forward(images), &net.classes),
            (None, Some(PretrainedBase { base, head: Some(head), classes, .. })) => (head.forward(base.forward(images)), classes),
            _ => return Err(LabError::config("model", "no classifier yet: pretrain with objective \"supervised\" or fine-tune first")),
        };
        let probabilities = burn::tensor::activation::softmax(logits, 1); // [n, classes]
        let data = probabilities.into_data_async().await.map_err(|e| LabError::Device(format!("reading predictions: {e:?}")))?;
        let values: Vec<f32> = data.iter::<f32>().collect();
        let mut out = vec![0.0f32; n * NUM_CLASSES];
        for (i, row) in values.chunks(classes.len()).enumerate() {
            for (&digit, &p) in classes.digits().iter().zip(row) {
                out[i * NUM_CLASSES + digit as usize] = p;
            }
        }
        Ok(out)
    }

    /// The weights file of the base and the last fine-tuned net.
    pub async fn export_weights(&self) -> Result<Vec<u8>, LabError> {
        if self.base.is_none() && self.finetuned.is_none() {
            return Err(LabError::config("weights", "nothing to export yet: pretrain first"));
        }
        let base_info = self.base.as_ref().map(|b| NetInfo {
            kind: b.objective.to_string(),
            classes: b.classes.digits().to_vec(),
            activation: b.base.activation.as_str().to_string(),
            has_head: b.head.is_some(),
            test_accuracy: b.test_accuracy,
        });
        let tuned_info = self.finetuned.as_ref().map(|t| NetInfo {
            kind: t.strategy.to_string(),
            classes: t.classes.digits().to_vec(),
            activation: t.model.base.activation.as_str().to_string(),
            has_head: true,
            test_accuracy: t.test_accuracy,
        });
        weights::export(
            self.base.as_ref().zip(base_info.as_ref()).map(|(b, info)| (info, &b.base, b.head.as_ref())),
            self.finetuned.as_ref().zip(tuned_info.as_ref()).map(|(t, info)| (info, &t.model.base, Some(&t.model.head))),
        )
        .await
    }

    /// Loads a weights file: its base and fine-tuned net replace the lab's (all or nothing).
    pub fn import_weights(&mut self, bytes: &[u8]) -> Result<(), LabError> {
        let (base, finetuned) = weights::import(bytes, &self.device.device)?;
        let base = match base {
            Some(net) => {
                let objective = OBJECTIVES
                    .iter()
                    .copied()
                    .find(|o| *o == net.info.kind)
                    .ok_or_else(|| LabError::config("weights", format!("unknown objective \"{}\"", net.info.kind)))?;
                let classes: Vec<i64> = net.info.classes.iter().map(|&c| c as i64).collect();
                Some(PretrainedBase {
                    base: net.base,
                    head: net.head,
                    classes: ClassSet::new("weights.base.classes", &classes)?,
                    objective,
                    test_accuracy: net.info.test_accuracy,
                    probe: None,
                })
            }
            None => None,
        };
        let finetuned = match finetuned {
            Some(net) => {
                let strategy = Strategy::parse(&net.info.kind)
                    .ok_or_else(|| LabError::config("weights", format!("unknown strategy \"{}\"", net.info.kind)))?
                    .as_str();
                let classes: Vec<i64> = net.info.classes.iter().map(|&c| c as i64).collect();
                let head = net.head.ok_or_else(|| LabError::config("weights", "the fine-tuned net has no head"))?;
                Some(FinetunedNet {
                    model: FinetuneModel { base: net.base, head, base_head: None },
                    strategy,
                    classes: ClassSet::new("weights.finetuned.classes", &classes)?,
                    test_accuracy: net.info.test_accuracy,
                })
            }
            None => None,
        };
        if base.is_none() && finetuned.is_none() {
            return Err(LabError::config("weights", "the file holds no net"));
        }
        self.base = base;
        self.finetuned = finetuned;
        Ok(())
    }

    /// The base a `model: "base" | "finetuned"` field names: the lab's base or the last fine-tuned
    /// net's.
    fn chosen_base(&self, f: &Fields) -> Result<&ConvBase, LabError> {
        Ok(match f.choice("model", "base", &["base", "finetuned"])? {
            "finetuned" => &self.finetuned.as_ref().ok_or_else(|| LabError::config("model", "no fine-tuned net yet; run finetune first"))?.model.base,
            _ => &self.base.as_ref().ok_or_else(|| LabError::config("model", "no base yet; run pretrain first"))?.base,
        })
    }

    /// `filters({ model })`: the first conv layer's 16 filters ([16 * 9], filter by filter, 3×3
    /// row-major) of the lab's base or of the fine-tuned net.
    pub async fn filters(&self, config: &Value) -> Result<Vec<f32>, LabError> {
        let f = Fields::new(config, "")?;
        f.only(&["model"])?;
        let base = self.chosen_base(&f)?;
        let weight = base.conv1.weight.val(); // [16, 1, 3, 3]
        let data = weight.into_data_async().await.map_err(|e| LabError::Device(format!("reading filters: {e:?}")))?;
        Ok(data.iter::<f32>().collect())
    }

    /// Sample views for the self-supervised objectives: the first `n` test images and, per
    /// image, two masked views drawn as a run with this seed would draw them. Returns
    /// (images, first views, second views), each [n * 784].
    pub fn mask_samples(&self, config: &Value) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>), LabError> {
        let f = Fields::new(config, "")?;
        f.only(&["masks", "maskRatio", "n", "seed"])?;
        let kind = MaskKind::parse(f.choice("masks", "random", &MaskKind::NAMES)?).expect("a listed name");
        let spec = MaskSpec::new(kind, f.positive("maskRatio", 0.5)?, "maskRatio")?;
        let n = f.integer("n", 8, 1, 64)? as usize;
        let seed = f.integer("seed", self.seed, 0, u32::MAX as u64)?;
        let (images, _) = self.test_images(n);
        let (first, second) = MaskSampler::new(spec, seed).pairs(n);
        let apply = |mask: &[f32]| images.iter().zip(mask).map(|(p, m)| p * m).collect::<Vec<f32>>();
        let (a, b) = (apply(&first), apply(&second));
        Ok((images, a, b))
    }
}
