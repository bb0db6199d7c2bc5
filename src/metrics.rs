//! Host-side metrics over predictions: accuracy and the confusion matrix.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// Fraction of correct predictions, 0..=1.
    pub accuracy: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<u32>>,
}

impl Evaluation {
    pub fn new(predictions: &[u32], targets: &[u32], classes: usize) -> Self {
        Self { accuracy: accuracy(predictions, targets), confusion: confusion(predictions, targets, classes) }
    }
}

pub fn accuracy(predictions: &[u32], targets: &[u32]) -> f64 {
    if targets.is_empty() {
        return 0.0;
    }
    let correct = predictions.iter().zip(targets).filter(|(p, t)| p == t).count();
    correct as f64 / targets.len() as f64
}

pub fn confusion(predictions: &[u32], targets: &[u32], classes: usize) -> Vec<Vec<u32>> {
    let mut matrix = vec![vec![0; classes]; classes];
    for (&p, &t) in predictions.iter().zip(targets) {
        if (p as usize) < classes && (t as usize) < classes {
            matrix[t as usize][p as usize] += 1;
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_and_confusion() {
        let e = Evaluation::new(&[0, 1, 1, 0], &[0, 1, 0, 0], 2);
        assert_eq!(e.accuracy, 0.75);
        assert_eq!(e.confusion, vec![vec![2, 1], vec![0, 1]]);
    }
}

/// How far a base moved from its starting weights, per conv layer and in total.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    pub total: DriftNorms,
    pub per_layer: Vec<LayerDrift>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DriftNorms {
    pub l2: f64,
    pub linf: f64,
    pub l1: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerDrift {
    pub layer: &'static str,
    pub l2: f64,
    pub linf: f64,
    pub l1: f64,
}

impl LayerDrift {
    pub fn norms(&self) -> DriftNorms {
        DriftNorms { l2: self.l2, linf: self.linf, l1: self.l1 }
    }
}

impl DriftNorms {
    /// The norms of an offset vector, computed in f64 on the host.
    pub fn of(offset: &[f64]) -> Self {
        let l2 = offset.iter().map(|x| x * x).sum::<f64>().sqrt();
        let linf = offset.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let l1 = offset.iter().map(|x| x.abs()).sum();
        Self { l2, linf, l1 }
    }
}

/// Drift of `base` from `start`, read back from the device.
pub async fn base_drift(
    base: &crate::model::ConvBase,
    start: &crate::model::ConvBase,
) -> Result<Drift, crate::error::LabError> {
    use crate::train::constraints::{base_layers, flat_layer};
    let mut per_layer = Vec::new();
    let mut all = Vec::new();
    for ((name, conv), (_, conv0)) in base_layers(base).into_iter().zip(base_layers(start)) {
        // Both read back and subtracted on the host: exact differences of the f32 weights.
        let now = flat_layer(conv).into_data_async().await;
        let then = flat_layer(conv0).into_data_async().await;
        let read = |r: Result<burn::tensor::TensorData, _>| {
            r.map_err(|e| crate::error::LabError::Device(format!("reading weights: {e:?}")))
                .map(|d| d.iter::<f32>().collect::<Vec<f32>>())
        };
        let (now, then) = (read(now)?, read(then)?);
        let offset: Vec<f64> = now.iter().zip(&then).map(|(a, b)| *a as f64 - *b as f64).collect();
        let norms = DriftNorms::of(&offset);
        per_layer.push(LayerDrift { layer: name, l2: norms.l2, linf: norms.linf, l1: norms.l1 });
        all.extend(offset);
    }
    Ok(Drift { total: DriftNorms::of(&all), per_layer })
}
