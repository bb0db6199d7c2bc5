//! What the self-supervised objectives share: their training images on the device, the batch
//! order, the mask sampler and the probe that evaluates their base.

use burn::prelude::*;

use super::device_data::DeviceSplit;
use super::pretrain_settings::PretrainSettings;
use super::probe::ProbeSets;
use crate::data::{BatchSampler, Dataset, Split, TaskSplit};
use crate::error::LabError;
use crate::masks::{MaskSampler, MaskSpec};
use crate::metrics::Evaluation;
use crate::model::ConvBase;

pub struct SslData {
    pub train: DeviceSplit,
    pub sampler: BatchSampler,
    pub masks: MaskSampler,
    pub probe: Option<ProbeSets>,
}

impl SslData {
    pub fn new(data: &Dataset, common: &PretrainSettings, masks: MaskSpec, train_device: &Device, eval_device: &Device) -> Result<Self, LabError> {
        let split = TaskSplit::of_classes(data, Split::Train, &common.classes);
        if split.is_empty() {
            return Err(LabError::config("classes", "no images of these classes in the data set"));
        }
        let seed = common.run.seed;
        Ok(Self {
            sampler: BatchSampler::new(split.len(), seed),
            train: DeviceSplit::upload(data, &split, train_device),
            masks: MaskSampler::new(masks, seed),
            probe: common.probe.as_ref().map(|p| ProbeSets::new(data, p, seed, eval_device)),
        })
    }

    /// Probes `base` (without autodiff); an error when the run has no probe.
    pub async fn evaluate(&self, base: &ConvBase) -> Result<Evaluation, LabError> {
        match &self.probe {
            Some(probe) => probe.evaluate(base).await,
            None => Err(LabError::config("probe", "this objective is evaluated by its probe; set probe: true")),
        }
    }
}

/// A self-supervised run in progress, as the lab finishes it.
pub trait SslTrainer: super::StepTrainer {
    fn probe(&self) -> Option<&ProbeSets>;
    /// The trained base, without autodiff.
    fn into_base(self) -> ConvBase;
}
