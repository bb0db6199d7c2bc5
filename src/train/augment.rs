//! Random shifts of a batch, done on the device with one gather: each image moves by up to
//! `max_shift` pixels in x and y, and pixels moved in from outside are black. (Small random
//! rotations were tried for pretraining as well and did not help transfer: see the README.)

use burn::prelude::*;

use crate::config::Fields;
use crate::data::{PIXELS, SIDE};
use crate::error::LabError;
use crate::rng::SplitMix64;

/// The largest shift a config may ask for, in pixels.
pub const MAX_SHIFT: u64 = 8;

/// The config's `shift` field: an integer in 0..=MAX_SHIFT.
pub fn parse_shift(f: &Fields, default: u64) -> Result<usize, LabError> {
    Ok(f.integer("shift", default, 0, MAX_SHIFT)? as usize)
}

/// A seeded source of random shifts; `max_shift` 0 leaves images as they are.
pub struct Shifter {
    rng: SplitMix64,
    max_shift: usize,
}

impl Shifter {
    pub fn new(seed: u64, stream: u64, max_shift: usize) -> Self {
        Self { rng: SplitMix64::derive(seed, stream), max_shift }
    }

    /// `images` [B, 1, 28, 28], each moved by a random (dx, dy).
    pub fn apply(&mut self, images: Tensor<4>) -> Tensor<4> {
        if self.max_shift == 0 {
            return images;
        }
        let [b, _, _, _] = images.dims();
        let device = images.device();
        let indices = shift_indices(&mut self.rng, b, self.max_shift);
        let indices = Tensor::<2, Int>::from_data(TensorData::new(indices, [b, PIXELS]), &device); // [B, 784]
        let rows = Tensor::cat(vec![images.reshape([b, PIXELS]), Tensor::zeros([b, 1], &device)], 1); // [B, 785]
        rows.gather(1, indices).reshape([b, 1, SIDE, SIDE]) // [B, 1, 28, 28]
    }
}

/// Random translations as gather indices: for each of `n` images, 784 source positions into a
/// row of 785 values whose last one is 0 (black). Each image moves by (dx, dy), both uniform
/// integers in [−max_shift, max_shift].
pub fn shift_indices(rng: &mut SplitMix64, n: usize, max_shift: usize) -> Vec<i32> {
    let mut out = Vec::with_capacity(n * PIXELS);
    let span = 2 * max_shift + 1;
    for _ in 0..n {
        let dx = rng.below(span) as i64 - max_shift as i64;
        let dy = rng.below(span) as i64 - max_shift as i64;
        for row in 0..SIDE as i64 {
            for col in 0..SIDE as i64 {
                let (from_row, from_col) = (row - dy, col - dx);
                let inside = (0..SIDE as i64).contains(&from_row) && (0..SIDE as i64).contains(&from_col);
                out.push(if inside { (from_row * SIDE as i64 + from_col) as i32 } else { PIXELS as i32 });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_move_pixels_and_fill_with_black() {
        let mut rng = SplitMix64::new(5);
        let indices = shift_indices(&mut rng, 30, 2);
        assert_eq!(indices.len(), 30 * PIXELS);
        for view in indices.chunks(PIXELS) {
            // Every source index is a pixel or the black sentinel, and the centre pixel comes
            // from at most 2 rows/columns away.
            assert!(view.iter().all(|&i| (0..=PIXELS as i32).contains(&i)));
            let centre = view[14 * SIDE + 14] as usize;
            assert!((centre / SIDE).abs_diff(14) <= 2 && (centre % SIDE).abs_diff(14) <= 2);
            assert!(view.contains(&(PIXELS as i32)) || view.iter().enumerate().all(|(i, &j)| i as i32 == j));
        }
        let still = shift_indices(&mut rng, 1, 0);
        assert!(still.iter().enumerate().all(|(i, &j)| i as i32 == j));
    }
}
