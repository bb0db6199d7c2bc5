//! The lab: one device, the data set and the current pretrained base. Every run the JS facade
//! offers is a method here, so native tests drive exactly what the page drives.

use serde::Serialize;
use serde_json::Value;

use crate::config::Fields;
use crate::data::{Dataset, NUM_CLASSES};
use crate::device::{self, BackendChoice, LabDevice};
use crate::error::LabError;
use crate::model::Classifier;
use crate::train::run_loop::{self, CurvePoint, LoopConfig};
use crate::train::supervised::{SupervisedConfig, SupervisedTrainer};
use crate::train::RunHooks;

/// The base the lab holds after a pretraining run, on the lab's device (no autodiff).
pub struct PretrainedBase {
    pub model: Classifier,
    pub classes: Vec<u8>,
    pub objective: &'static str,
}

pub struct Lab {
    device: LabDevice,
    data: Dataset,
    seed: u64,
    base: Option<PretrainedBase>,
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
        Ok(Self { device, data, seed: options.seed, base: None })
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
        let loop_config = LoopConfig {
            phase: "pretrain",
            steps: config.steps,
            log_every: config.log_every,
            eval_every: config.eval_every,
        };
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
                classes: config.classes.digits().to_vec(),
                objective,
            });
        }
        Ok(report)
    }
}
