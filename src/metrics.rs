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
