//! A task's images and targets uploaded to the device once per run; each batch is gathered there
//! from a small index tensor, so a step uploads 4 bytes per image instead of 3 KiB.

use burn::prelude::*;

use crate::data::{Dataset, SIDE, TaskSplit};

pub struct DeviceSplit {
    pub images: Tensor<4>,       // [N, 1, 28, 28], pixels in [0, 1]
    pub targets: Tensor<1, Int>, // [N]
    pub host_targets: Vec<u32>,
}

impl DeviceSplit {
    pub fn upload(data: &Dataset, split: &TaskSplit, device: &Device) -> Self {
        let n = split.len();
        let images = Tensor::from_data(TensorData::new(split.pixels_f32(data), [n, 1, SIDE, SIDE]), device);
        let targets_i32: Vec<i32> = split.targets.iter().map(|&t| t as i32).collect();
        let targets = Tensor::from_data(TensorData::new(targets_i32, [n]), device);
        Self { images, targets, host_targets: split.targets.clone() }
    }

    pub fn len(&self) -> usize {
        self.host_targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.host_targets.is_empty()
    }

    /// The images and targets at `positions` (into this split).
    pub fn batch(&self, positions: Vec<i32>) -> (Tensor<4>, Tensor<1, Int>) {
        let b = positions.len();
        let device = self.images.device();
        let index: Tensor<1, Int> = Tensor::from_data(TensorData::new(positions, [b]), &device);
        (self.images.clone().select(0, index.clone()), self.targets.clone().select(0, index))
    }

    /// Consecutive chunks of at most `size` images, for evaluation.
    pub fn chunks(&self, size: usize) -> Vec<Tensor<4>> {
        let n = self.len();
        (0..n).step_by(size.max(1)).map(|start| self.images.clone().slice(start..(start + size).min(n))).collect()
    }
}
