//! Judging a base by what it transfers, the same way for every pretraining objective: a linear
//! probe (the base frozen, a linear head trained on labelled images of all 10 digits) and a
//! k-nearest-neighbour vote in feature space, both scored on the whole test split.
//!
//! The base's features are computed once per evaluation (in chunks, no autodiff) and cached on
//! the device; the probe's head then trains on the cached features, which costs little.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use serde::Serialize;

use super::contrastive_loss::unit_rows;
use super::device_data::DeviceSplit;
use super::eval::EVAL_CHUNK;
use crate::config::Fields;
use crate::data::{BatchSampler, ClassSet, Dataset, NUM_CLASSES, Split, SubsetSize, TaskSpec, TaskSplit};
use crate::error::LabError;
use crate::metrics::{self, Evaluation};
use crate::model::{ConvBase, FEATURES, linear_layer};
use crate::rng::SplitMix64;

/// How a base is probed.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeConfig {
    /// Labelled training images per digit for the probe's head and the k-NN memory.
    pub shots_per_class: usize,
    /// Adam steps of the probe's head (batch 100, lr 1e-3).
    pub steps: usize,
    /// Neighbours in the k-NN vote.
    pub k: usize,
    /// Test images scored (the first of the fixed-order test split); all 2,000 by default.
    pub test_images: usize,
}

impl ProbeConfig {
    pub const FIELDS: [&'static str; 4] = ["probeShots", "probeSteps", "knnK", "probeTestImages"];

    pub fn parse(f: &Fields) -> Result<Self, LabError> {
        Ok(Self {
            shots_per_class: f.integer("probeShots", 100, 1, 800)? as usize,
            steps: f.integer("probeSteps", 1000, 1, 100_000)? as usize,
            k: f.integer("knnK", 10, 1, 200)? as usize,
            test_images: f.integer("probeTestImages", 2000, 10, 100_000)? as usize,
        })
    }
}

pub const PROBE_BATCH: usize = 100;
pub const PROBE_LR: f64 = 1e-3;

/// What the probe measured.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    pub linear_accuracy: f64,
    pub knn_accuracy: f64,
    /// Labelled training images the probe used (all 10 digits).
    pub train_images: usize,
    pub test_images: usize,
}

/// The probe's labelled images on the device: a seeded stratified draw from the train split,
/// and the whole test split.
pub struct ProbeSets {
    train: DeviceSplit,
    test: DeviceSplit,
    config: ProbeConfig,
    seed: u64,
}

impl ProbeSets {
    pub fn new(data: &Dataset, config: &ProbeConfig, seed: u64, device: &Device) -> Self {
        let task = TaskSpec {
            classes: ClassSet::all(),
            size: SubsetSize::ShotsPerClass(config.shots_per_class),
            subset_seed: seed,
        };
        let train = task.train_subset(data);
        let mut test = TaskSplit::of_classes(data, Split::Test, &ClassSet::all());
        test.truncate(config.test_images);
        Self {
            train: DeviceSplit::upload(data, &train, device),
            test: DeviceSplit::upload(data, &test, device),
            config: config.clone(),
            seed,
        }
    }

    /// Probes `base` (without autodiff): the linear probe's accuracy and confusion, and the
    /// k-NN accuracy.
    pub async fn evaluate(&self, base: &ConvBase) -> Result<Evaluation, LabError> {
        let train_features = features(base, &self.train); // [n, 7744]
        let test_features = features(base, &self.test); // [m, 7744]
        let knn = knn_accuracy(train_features.clone(), &self.train.host_targets, test_features.clone(), &self.test.host_targets, self.config.k).await?;
        let head = self.train_head(train_features);
        let predictions = head.forward(test_features).argmax(1); // [m, 1]
        let data = predictions.into_data_async().await.map_err(|e| LabError::Device(format!("reading probe predictions: {e:?}")))?;
        let predictions: Vec<u32> = data.iter::<i64>().map(|p| p as u32).collect();
        let mut evaluation = Evaluation::new(&predictions, &self.test.host_targets, NUM_CLASSES);
        evaluation.knn_accuracy = Some(knn);
        Ok(evaluation)
    }

    pub fn report(&self, evaluation: &Evaluation) -> ProbeReport {
        ProbeReport {
            linear_accuracy: evaluation.accuracy,
            knn_accuracy: evaluation.knn_accuracy.unwrap_or(f64::NAN),
            train_images: self.train.len(),
            test_images: self.test.len(),
        }
    }

    /// A linear head trained with Adam on cached features; returned without autodiff.
    fn train_head(&self, features: Tensor<2>) -> burn::nn::Linear {
        let device = features.device().autodiff();
        let features = features.autodiff(); // constants for the head's graph
        let targets_i32: Vec<i32> = self.train.host_targets.iter().map(|&t| t as i32).collect();
        let n = targets_i32.len();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(targets_i32, [n]), &device);
        let mut head = linear_layer(&mut SplitMix64::derive(self.seed, 9), FEATURES, NUM_CLASSES, &device);
        let mut optim = AdamConfig::new().init();
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let mut sampler = BatchSampler::new(n, self.seed);
        for _ in 0..self.config.steps {
            let positions = sampler.next_batch(PROBE_BATCH.min(n));
            let b = positions.len();
            let index = Tensor::<1, Int>::from_data(TensorData::new(positions, [b]), &device);
            let x = features.clone().select(0, index.clone()); // [b, 7744]
            let y = targets.clone().select(0, index); // [b]
            let loss = loss_fn.forward(head.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &head);
            head = optim.step(PROBE_LR, head, grads);
        }
        head.valid()
    }
}

/// The base's flattened features of every image of `split`: [N, 7744].
pub fn features(base: &ConvBase, split: &DeviceSplit) -> Tensor<2> {
    Tensor::cat(split.chunks(EVAL_CHUNK).into_iter().map(|images| base.forward(images)).collect(), 0)
}

/// Accuracy of a k-NN vote (cosine similarity, each neighbour's vote weighted by its
/// similarity) of `test` against the labelled `train` features.
async fn knn_accuracy(train: Tensor<2>, train_labels: &[u32], test: Tensor<2>, test_labels: &[u32], k: usize) -> Result<f64, LabError> {
    let train_t = unit_rows(train).transpose(); // [7744, n]
    let n = train_labels.len();
    let mut predictions = Vec::with_capacity(test_labels.len());
    let [m, _] = test.dims();
    for start in (0..m).step_by(EVAL_CHUNK) {
        let end = (start + EVAL_CHUNK).min(m);
        let similarities = unit_rows(test.clone().slice(start..end)).matmul(train_t.clone()); // [c, n]
        let data = similarities.into_data_async().await.map_err(|e| LabError::Device(format!("reading k-NN similarities: {e:?}")))?;
        let values: Vec<f32> = data.iter::<f32>().collect();
        predictions.extend(values.chunks(n).map(|row| metrics::knn_vote(row, train_labels, k, NUM_CLASSES)));
    }
    Ok(metrics::accuracy(&predictions, test_labels))
}
