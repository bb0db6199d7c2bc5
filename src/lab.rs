//! The lab: one device, the data set and the current pretrained base. Every run the JS facade
//! offers is a method here, so native tests drive exactly what the page drives.

use burn::module::Module;
use serde::Serialize;
use serde_json::Value;

use crate::config::Fields;
use crate::data::{ClassSet, Dataset, NUM_CLASSES, Split, TaskSplit};
use crate::device::{self, BackendChoice, LabDevice};
use crate::error::LabError;
use crate::metrics::{self, Drift};
use crate::model::{Activation, Classifier, ConvBase};
use crate::train::device_data::DeviceSplit;
use crate::train::eval;
use crate::train::finetune::{FinetuneConfig, FinetuneModel, FinetuneTrainer, StartingPoint, Strategy};
use crate::train::run_loop::{self, CurvePoint};
use crate::train::supervised::{SupervisedConfig, SupervisedTrainer};
use crate::train::RunHooks;

/// The base the lab holds after a pretraining run, on the lab's device (no autodiff).
pub struct PretrainedBase {
    pub model: Classifier,
    pub classes: ClassSet,
    pub objective: &'static str,
    /// Its accuracy on the base task's test images, when the run evaluated it.
    pub test_accuracy: Option<f64>,
}

pub struct Lab {
    device: LabDevice,
    data: Dataset,
    seed: u64,
    base: Option<PretrainedBase>,
    /// The net of the last fine-tuning run that finished (for predictions and inspection).
    finetuned: Option<FinetuneModel>,
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

    pub fn finetuned(&self) -> Option<&FinetuneModel> {
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

    /// Pretrains a new base. On success it replaces the lab's base; a cancelled run keeps the old
    /// one and returns what it had.
    pub async fn pretrain(&mut self, config: &Value, hooks: &mut dyn RunHooks) -> Result<PretrainReport, LabError> {
        let objective = Fields::new(config, "")?.choice("objective", "supervised", &["supervised"])?;
        let config = SupervisedConfig::parse(config, self.seed)?;
        let mut trainer = SupervisedTrainer::new(&self.data, &config, &self.device.autodiff(), &self.device.device)?;
        let loop_config = config.run.loop_config("pretrain");
        let result = run_loop::run(&loop_config, &mut trainer, hooks).await?;
        let report = PretrainReport {
            objective,
            classes: config.classes.digits().to_vec(),
            steps: result.steps_done,
            cancelled: result.cancelled,
            backend: self.device.kind.as_str(),
            ms_per_step: result.ms_per_step,
            final_loss: result.final_loss,
            test_accuracy: result.last_eval.as_ref().map(|e| e.accuracy),
            confusion: result.last_eval.map(|e| e.confusion),
            curve: result.curve,
        };
        if !result.cancelled {
            self.base = Some(PretrainedBase {
                model: trainer.into_model(),
                classes: config.classes.clone(),
                objective,
                test_accuracy: report.test_accuracy,
            });
        }
        Ok(report)
    }

    /// Where a fine-tuning run starts, on the training device.
    pub fn starting_point(&self, config: &FinetuneConfig) -> Result<StartingPoint, LabError> {
        let train_device = self.device.autodiff();
        match (config.strategy, &self.base) {
            (Strategy::Scratch, base) => {
                let activation = base.as_ref().map_or(Activation::Relu, |b| b.model.base.activation);
                Ok(StartingPoint { base: ConvBase::init(activation, config.run.seed, &train_device), base_head: None, base_classes: None })
            }
            (strategy, None) => Err(LabError::config(
                "strategy",
                format!("\"{}\" fine-tunes the lab's pretrained base; run pretrain first", strategy.as_str()),
            )),
            (_, Some(base)) => Ok(StartingPoint {
                base: base.model.base.clone().train(),
                base_head: Some(base.model.head.clone().train()),
                base_classes: Some(base.classes.clone()),
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
            pretrained_base_task_accuracy: if config.strategy.uses_pretrained_base() {
                self.base.as_ref().and_then(|b| b.test_accuracy)
            } else {
                None
            },
        };
        if !result.cancelled {
            self.finetuned = Some(model);
        }
        Ok(report)
    }
}
