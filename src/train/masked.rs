//! Masked-region prediction: hide part of each image, encode what is left with the conv base, and
//! let a small decoder reconstruct the image; the loss counts the hidden pixels only. No labels.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde_json::Value;

use super::pretrain_settings::{ALL_CLASSES, PretrainDefaults, PretrainSettings};
use super::probe::ProbeSets;
use super::run_loop::StepTrainer;
use super::ssl_data::{SslData, SslTrainer};
use crate::config::Fields;
use crate::data::{Dataset, SIDE};
use crate::error::LabError;
use crate::masks::{MaskKind, MaskSpec};
use crate::metrics::Evaluation;
use crate::model::{ConvBase, Decoder};

#[derive(Clone, Debug)]
pub struct MaskedConfig {
    pub common: PretrainSettings,
    pub masks: MaskSpec,
}

impl MaskedConfig {
    pub const FIELDS: [&'static str; 3] = ["objective", "masks", "maskRatio"];

    pub fn parse(value: &Value, default_seed: u64) -> Result<Self, LabError> {
        let f = Fields::new(value, "")?;
        f.only(&[&Self::FIELDS[..], &PretrainSettings::fields()[..]].concat())?;
        let defaults = PretrainDefaults { classes: &ALL_CLASSES, batch_size: 128, lr: 1e-3 };
        let kind = match f.choice("masks", "patches", &["patches", "random"])? {
            "random" => MaskKind::Random,
            _ => MaskKind::Patches,
        };
        let ratio = f.positive("maskRatio", 0.75)?;
        Ok(Self {
            masks: MaskSpec::new(kind, ratio, "maskRatio")?,
            common: PretrainSettings::parse(&f, &defaults, default_seed)?.evaluate_by_probe_only(&f)?,
        })
    }
}

/// The base and its decoder.
#[derive(Module, Debug)]
pub struct MaskedModel {
    pub base: ConvBase,
    pub decoder: Decoder,
}

/// Mean squared error over the hidden pixels only: Σ (pred − target)² · (1 − visible) / hidden.
/// `visible` is 1 where the pixel was shown to the encoder; `hidden` is the number of zeros in it.
pub fn masked_mse(pred: Tensor<4>, target: Tensor<4>, visible: Tensor<4>, hidden: usize) -> Tensor<1> {
    let hidden_mask = visible.neg().add_scalar(1.0); // [B, 1, 28, 28]
    (pred - target).powf_scalar(2.0).mul(hidden_mask).sum().div_scalar(hidden.max(1) as f64)
}

pub struct MaskedTrainer {
    model: Option<MaskedModel>,
    optim: ModuleOptimizer,
    data: SslData,
    batch_size: usize,
    lr: f64,
}

impl MaskedTrainer {
    pub fn new(data: &Dataset, config: &MaskedConfig, train_device: &Device, eval_device: &Device) -> Result<Self, LabError> {
        let common = &config.common;
        let seed = common.run.seed;
        Ok(Self {
            model: Some(MaskedModel {
                base: ConvBase::init(common.activation, seed, train_device),
                decoder: Decoder::init(seed, train_device),
            }),
            optim: AdamConfig::new().init(),
            data: SslData::new(data, common, config.masks, train_device, eval_device)?,
            batch_size: common.run.batch_size,
            lr: common.run.lr,
        })
    }
}

impl SslTrainer for MaskedTrainer {
    fn probe(&self) -> Option<&ProbeSets> {
        self.data.probe.as_ref()
    }

    fn into_base(self) -> ConvBase {
        self.model.expect("model present between steps").base.valid()
    }
}

impl StepTrainer for MaskedTrainer {
    fn step(&mut self, _step: usize) -> Result<Tensor<1>, LabError> {
        let model = self.model.take().expect("model present between steps");
        let (images, _) = self.data.train.batch(self.data.sampler.next_batch(self.batch_size)); // [B, 1, 28, 28]
        let b = self.batch_size;
        let visible = self.data.masks.views(b);
        let hidden = visible.iter().filter(|&&v| v == 0.0).count();
        let visible = Tensor::from_data(TensorData::new(visible, [b, 1, SIDE, SIDE]), &images.device()); // [B, 1, 28, 28]
        let reconstruction = model.decoder.forward(model.base.feature_maps(images.clone() * visible.clone())); // [B, 1, 28, 28]
        let loss = masked_mse(reconstruction, images, visible, hidden);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(self.lr, model, grads));
        Ok(loss.detach())
    }

    async fn evaluate(&mut self) -> Result<Evaluation, LabError> {
        let base = self.model.as_ref().expect("model present between steps").base.valid();
        self.data.evaluate(&base).await
    }
}
