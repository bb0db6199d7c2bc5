//! Host-side metrics over predictions: accuracy and the confusion matrix.

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// Fraction of correct predictions, 0..=1.
    pub accuracy: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<u32>>,
    /// For probes of a base: the k-NN vote's accuracy beside the linear probe's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knn_accuracy: Option<f64>,
}

impl Evaluation {
    pub fn new(predictions: &[u32], targets: &[u32], classes: usize) -> Self {
        Self {
            accuracy: accuracy(predictions, targets),
            confusion: confusion(predictions, targets, classes),
            knn_accuracy: None,
        }
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

/// The class of the `k` most similar memory items, each voting with its similarity (ties: the
/// lower class). `similarities[j]` is the query's similarity to item j, labelled `labels[j]`.
pub fn knn_vote(similarities: &[f32], labels: &[u32], k: usize, classes: usize) -> u32 {
    let mut order: Vec<usize> = (0..similarities.len()).collect();
    let k = k.min(order.len());
    if k == 0 {
        return 0;
    }
    let by_similarity = |a: &usize, b: &usize| similarities[*b].total_cmp(&similarities[*a]).then(a.cmp(b));
    order.select_nth_unstable_by(k - 1, by_similarity);
    let mut votes = vec![0.0f64; classes];
    for &j in &order[..k] {
        if let Some(v) = votes.get_mut(labels[j] as usize) {
            *v += similarities[j].max(0.0) as f64 + 1e-9;
        }
    }
    let mut best = 0;
    for (class, &v) in votes.iter().enumerate() {
        if v > votes[best] {
            best = class;
        }
    }
    best as u32
}

/// The first two principal components' coordinates of n points, from their centred Gram matrix
/// G = XcXcᵀ ([n * n], row-major): coordinate_k(i) = u_k(i)·√λ_k for the top eigenpairs of G,
/// found by power iteration with deflation (in f64, from a fixed start, signs fixed so the
/// largest |coordinate| is positive). Returns (x, y).
pub fn pca_2d(gram: &[f32], n: usize) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(gram.len(), n * n, "gram is n × n");
    let mut g: Vec<f64> = gram.iter().map(|&v| v as f64).collect();
    let mut axes = Vec::with_capacity(2);
    for component in 0..2 {
        let mut u: Vec<f64> = (0..n).map(|i| 1.0 + ((i * 7 + component * 13) % 11) as f64 / 11.0).collect();
        let mut lambda = 0.0;
        for _ in 0..300 {
            let mut next = vec![0.0; n];
            for (i, row) in g.chunks(n).enumerate() {
                next[i] = row.iter().zip(&u).map(|(a, b)| a * b).sum();
            }
            let norm = next.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            lambda = norm;
            u = next.into_iter().map(|v| v / norm).collect();
        }
        // Deflate: G -= λ u uᵀ.
        for i in 0..n {
            for j in 0..n {
                g[i * n + j] -= lambda * u[i] * u[j];
            }
        }
        let scale = lambda.max(0.0).sqrt();
        let mut coords: Vec<f32> = u.iter().map(|v| (v * scale) as f32).collect();
        let largest = coords.iter().copied().fold(0.0f32, |m, v| if v.abs() > m.abs() { v } else { m });
        if largest < 0.0 {
            coords.iter_mut().for_each(|v| *v = -*v);
        }
        axes.push(coords);
    }
    let y = axes.pop().expect("two axes");
    let x = axes.pop().expect("two axes");
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_vote_weighs_the_nearest() {
        // Two close neighbours of class 1 outvote three far ones of class 0 when k = 2.
        let sims = [0.1, 0.9, 0.2, 0.8, 0.15];
        let labels = [0, 1, 0, 1, 0];
        assert_eq!(knn_vote(&sims, &labels, 2, 2), 1);
        assert_eq!(knn_vote(&sims, &labels, 5, 2), 1); // 1.7 against 0.45
        assert_eq!(knn_vote(&[0.5, 0.5, 0.5], &[2, 0, 0], 3, 3), 0);
    }

    #[test]
    fn pca_recovers_the_spread_of_points_on_two_axes() {
        // Points on a plane in 3-D with spreads 3 (along e1) and 1 (along e2).
        let points: Vec<[f64; 3]> = (0..8)
            .map(|i| {
                let a = (i as f64 * std::f64::consts::FRAC_PI_4).cos() * 3.0;
                let b = (i as f64 * std::f64::consts::FRAC_PI_4).sin();
                [a, b, 0.0]
            })
            .collect();
        let n = points.len();
        let mean: Vec<f64> = (0..3).map(|d| points.iter().map(|p| p[d]).sum::<f64>() / n as f64).collect();
        let centred: Vec<Vec<f64>> = points.iter().map(|p| (0..3).map(|d| p[d] - mean[d]).collect()).collect();
        let gram: Vec<f32> = (0..n * n)
            .map(|ij| centred[ij / n].iter().zip(&centred[ij % n]).map(|(a, b)| a * b).sum::<f64>() as f32)
            .collect();
        let (x, y) = pca_2d(&gram, n);
        for i in 0..n {
            assert!((x[i].abs() as f64 - centred[i][0].abs()).abs() < 1e-3, "x[{i}] = {} vs {}", x[i], centred[i][0]);
            assert!((y[i].abs() as f64 - centred[i][1].abs()).abs() < 1e-3, "y[{i}] = {} vs {}", y[i], centred[i][1]);
        }
    }

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
