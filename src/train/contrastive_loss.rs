//! The contrastive losses, as tensor functions of a batch of embeddings. Rows are views; with
//! N images and two views each, row i and row i + N are the two views of image i.
//!
//! With ẑ the L2-normalised rows and s = ẑẑᵀ/τ:
//! - NT-Xent (SimCLR, Chen et al. 2020): for each anchor i, cross-entropy of the row s[i, k≠i]
//!   against its partner view p(i): −log(exp(s_ip) / Σ_{k≠i} exp(s_ik)), averaged over the 2N rows.
//! - SupCon (Khosla et al. 2020, L_out): every other row with the anchor's label is a positive:
//!   −1/|P(i)| Σ_{p∈P(i)} log(exp(s_ip) / Σ_{k≠i} exp(s_ik)), averaged over anchors with a positive.
//!
//! The two are written independently (NT-Xent as a cross-entropy over targets, SupCon over a
//! positive mask), so a test can check that SupCon with all-distinct labels equals NT-Xent.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;

/// Added to the self-similarity so that exp() of it is 0; far beyond any |s| ≤ 1/τ.
const EXCLUDED: f32 = 1e9;

/// Each row divided by its L2 norm: [n, d] → [n, d]. ε inside the root keeps the gradient
/// finite for an all-zero row (e.g. a view whose mask hid every stroke, through a net with zero
/// biases): d√x/dx is infinite at 0.
pub fn unit_rows(z: Tensor<2>) -> Tensor<2> {
    let norms = z.clone().powf_scalar(2.0).sum_dim(1).add_scalar(1e-12).sqrt(); // [n, 1]
    z / norms
}

/// Cosine similarities divided by τ, with the diagonal pushed to −1e9: [n, d] → [n, n].
fn similarities(z: Tensor<2>, temperature: f64) -> Tensor<2> {
    let [n, _] = z.dims();
    let device = z.device();
    let unit = unit_rows(z); // [n, d]
    let s = unit.clone().matmul(unit.transpose()).div_scalar(temperature); // [n, n]
    let diagonal: Vec<f32> = (0..n * n).map(|i| if i / n == i % n { EXCLUDED } else { 0.0 }).collect();
    s - Tensor::from_data(TensorData::new(diagonal, [n, n]), &device)
}

/// NT-Xent over 2N views (rows i and i + N are one image's two views).
pub fn nt_xent(z: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [rows, _] = z.dims();
    assert!(rows % 2 == 0 && rows >= 2, "NT-Xent needs pairs of views, got {rows} rows");
    let half = rows / 2;
    let device = z.device();
    let logits = similarities(z, temperature); // [2N, 2N]
    let partners: Vec<i32> = (0..rows).map(|i| ((i + half) % rows) as i32).collect();
    let targets = Tensor::from_data(TensorData::new(partners, [rows]), &device); // [2N]
    CrossEntropyLossConfig::new().init(&device).forward(logits, targets)
}

/// SupCon over the rows of `z`, `labels[i]` being row i's label (rows with the same label are
/// positives of each other).
pub fn supcon(z: Tensor<2>, labels: &[u32], temperature: f64) -> Tensor<1> {
    let [rows, _] = z.dims();
    assert_eq!(rows, labels.len(), "one label per row");
    let device = z.device();
    let mut positives = vec![0.0f32; rows * rows];
    let mut weights = vec![0.0f32; rows]; // 1 / |P(i)| / (anchors with a positive)
    for i in 0..rows {
        let count = (0..rows).filter(|&k| k != i && labels[k] == labels[i]).count();
        for k in 0..rows {
            if k != i && labels[k] == labels[i] {
                positives[i * rows + k] = 1.0;
            }
        }
        if count > 0 {
            weights[i] = 1.0 / count as f32;
        }
    }
    let anchors = weights.iter().filter(|&&w| w > 0.0).count().max(1) as f32;
    let weights: Vec<f32> = weights.iter().map(|w| w / anchors).collect();
    let s = similarities(z, temperature); // [n, n]
    let shift = s.clone().max_dim(1).detach(); // [n, 1], for a stable log-sum-exp
    let log_denominator = (s.clone() - shift.clone()).exp().sum_dim(1).log() + shift; // [n, 1]
    let log_prob = s - log_denominator; // [n, n]; the diagonal is never a positive
    let positives = Tensor::<2>::from_data(TensorData::new(positives, [rows, rows]), &device);
    let per_anchor = (log_prob * positives).sum_dim(1); // [n, 1]
    let weights = Tensor::<2>::from_data(TensorData::new(weights, [rows, 1]), &device);
    (per_anchor * weights).sum().neg() // [1]
}
