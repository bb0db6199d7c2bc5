//! Test-set evaluation: predictions computed on the device in chunks, read back once.

use burn::prelude::*;

use super::device_data::DeviceSplit;
use crate::error::LabError;
use crate::metrics;

pub const EVAL_CHUNK: usize = 500;

/// Class predictions of `forward` (a model without autodiff) on every image of `split`.
pub async fn predict<F>(forward: F, split: &DeviceSplit) -> Result<Vec<u32>, LabError>
where
    F: Fn(Tensor<4>) -> Tensor<2>,
{
    let parts: Vec<Tensor<1, Int>> = split
        .chunks(EVAL_CHUNK)
        .into_iter()
        .map(|images| {
            let [b, _, _, _] = images.dims();
            forward(images).argmax(1).reshape([b]) // [b]
        })
        .collect();
    let all = Tensor::cat(parts, 0);
    let data = all.into_data_async().await.map_err(|e| LabError::Device(format!("reading predictions: {e:?}")))?;
    Ok(data.iter::<i64>().map(|p| p as u32).collect())
}

/// Accuracy and confusion of `forward` on `split`.
pub async fn evaluate<F>(forward: F, split: &DeviceSplit, classes: usize) -> Result<metrics::Evaluation, LabError>
where
    F: Fn(Tensor<4>) -> Tensor<2>,
{
    let predictions = predict(forward, split).await?;
    Ok(metrics::Evaluation::new(&predictions, &split.host_targets, classes))
}
