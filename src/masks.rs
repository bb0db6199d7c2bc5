//! Masks for the self-supervised objectives, as data: for each image, 784 values, 1 where the
//! pixel stays visible and 0 where it is hidden. Drawn on the host from a seed, so a seed gives
//! the same views on every device.

use crate::data::{PIXELS, SIDE};
use crate::error::LabError;
use crate::rng::SplitMix64;

/// Side of one square patch of the patch grid (28 = 7 × 4).
pub const PATCH: usize = 4;
/// Patches per row and per column.
pub const GRID: usize = SIDE / PATCH;
pub const PATCHES: usize = GRID * GRID;

/// How the hidden region is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskKind {
    /// Random rectangles (sides 4–12 pixels) until the hidden fraction reaches the ratio.
    Random,
    /// A random subset of the 7 × 7 grid of 4 × 4 patches.
    Patches,
    /// Pairs of patch-grid views whose visible pixels never overlap (each view hides the other's
    /// visible patches and more); needs ratio ≥ 0.5.
    Disjoint,
}

impl MaskKind {
    pub const NAMES: [&'static str; 3] = ["random", "patches", "disjoint"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "random" => Self::Random,
            "patches" => Self::Patches,
            "disjoint" => Self::Disjoint,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Patches => "patches",
            Self::Disjoint => "disjoint",
        }
    }
}

/// What to hide: the kind of mask and the fraction of the image hidden per view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaskSpec {
    pub kind: MaskKind,
    /// Fraction of pixels hidden in each view, in (0, 0.95].
    pub ratio: f64,
}

pub const MAX_RATIO: f64 = 0.95;

impl MaskSpec {
    /// Checks the ratio against the kind; `field` names the ratio in errors.
    pub fn new(kind: MaskKind, ratio: f64, field: &str) -> Result<Self, LabError> {
        if !(ratio > 0.0 && ratio <= MAX_RATIO) {
            return Err(LabError::config(field, format!("must be in (0, {MAX_RATIO}], got {ratio}")));
        }
        if kind == MaskKind::Disjoint && ratio < 0.5 {
            return Err(LabError::config(
                field,
                format!("disjoint views each show at most half the image, so the ratio must be ≥ 0.5, got {ratio}"),
            ));
        }
        Ok(Self { kind, ratio })
    }

    /// Visible patches per view on the grid (for disjoint pairs, at most half the grid each).
    fn visible_patches(&self) -> usize {
        let most = if self.kind == MaskKind::Disjoint { PATCHES / 2 } else { PATCHES - 1 };
        (((1.0 - self.ratio) * PATCHES as f64).round() as usize).clamp(1, most)
    }
}

/// Draws masks for a run: one stream of random choices from a seed.
#[derive(Clone, Debug)]
pub struct MaskSampler {
    spec: MaskSpec,
    rng: SplitMix64,
}

impl MaskSampler {
    pub fn new(spec: MaskSpec, seed: u64) -> Self {
        Self { spec, rng: SplitMix64::derive(seed, 6) }
    }

    pub fn spec(&self) -> MaskSpec {
        self.spec
    }

    /// One view per image: [n * 784], 1 = visible. A `Disjoint` spec draws the first view of a
    /// pair.
    pub fn views(&mut self, n: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(n * PIXELS);
        for _ in 0..n {
            match self.spec.kind {
                MaskKind::Random => out.extend(self.random_rectangles()),
                MaskKind::Patches | MaskKind::Disjoint => {
                    let order = self.patch_order();
                    out.extend(patch_mask(&order[..self.spec.visible_patches()]));
                }
            }
        }
        out
    }

    /// Two views per image, ([n * 784], [n * 784]). For `Disjoint` the two views' visible patches
    /// are disjoint; otherwise the views are drawn independently.
    pub fn pairs(&mut self, n: usize) -> (Vec<f32>, Vec<f32>) {
        if self.spec.kind != MaskKind::Disjoint {
            let a = self.views(n);
            let b = self.views(n);
            return (a, b);
        }
        let visible = self.spec.visible_patches();
        let (mut a, mut b) = (Vec::with_capacity(n * PIXELS), Vec::with_capacity(n * PIXELS));
        for _ in 0..n {
            let order = self.patch_order();
            a.extend(patch_mask(&order[..visible]));
            b.extend(patch_mask(&order[visible..2 * visible]));
        }
        (a, b)
    }

    fn patch_order(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..PATCHES).collect();
        self.rng.shuffle(&mut order);
        order
    }

    fn random_rectangles(&mut self) -> Vec<f32> {
        let mut mask = vec![1.0f32; PIXELS];
        let target = (self.spec.ratio * PIXELS as f64).round() as usize;
        let mut hidden = 0;
        while hidden < target {
            let h = 4 + self.rng.below(9);
            let w = 4 + self.rng.below(9);
            let top = self.rng.below(SIDE - h + 1);
            let left = self.rng.below(SIDE - w + 1);
            for row in top..top + h {
                for col in left..left + w {
                    let pixel = &mut mask[row * SIDE + col];
                    if *pixel == 1.0 && hidden < target {
                        *pixel = 0.0;
                        hidden += 1;
                    }
                }
            }
        }
        mask
    }
}

/// A mask showing only the given patches of the grid.
fn patch_mask(visible: &[usize]) -> Vec<f32> {
    let mut mask = vec![0.0f32; PIXELS];
    for &patch in visible {
        let (top, left) = ((patch / GRID) * PATCH, (patch % GRID) * PATCH);
        for row in top..top + PATCH {
            for col in left..left + PATCH {
                mask[row * SIDE + col] = 1.0;
            }
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden_fraction(mask: &[f32]) -> f64 {
        mask.iter().filter(|&&v| v == 0.0).count() as f64 / mask.len() as f64
    }

    #[test]
    fn every_kind_hides_about_the_ratio_and_is_deterministic() {
        for kind in [MaskKind::Random, MaskKind::Patches, MaskKind::Disjoint] {
            let spec = MaskSpec::new(kind, 0.6, "maskRatio").unwrap();
            let a = MaskSampler::new(spec, 3).views(20);
            assert_eq!(a, MaskSampler::new(spec, 3).views(20), "{kind:?}");
            assert_ne!(a, MaskSampler::new(spec, 4).views(20), "{kind:?}");
            for view in a.chunks(PIXELS) {
                assert!((hidden_fraction(view) - 0.6).abs() < 0.02, "{kind:?}: {}", hidden_fraction(view));
                assert!(view.iter().all(|&v| v == 0.0 || v == 1.0));
            }
        }
    }

    #[test]
    fn disjoint_pairs_never_share_a_visible_pixel() {
        for ratio in [0.5, 0.7, 0.95] {
            let spec = MaskSpec::new(MaskKind::Disjoint, ratio, "maskRatio").unwrap();
            let (a, b) = MaskSampler::new(spec, 11).pairs(50);
            assert!(a.iter().zip(&b).all(|(x, y)| x * y == 0.0), "ratio {ratio}");
            assert!(a.chunks(PIXELS).all(|v| v.contains(&1.0)) && b.chunks(PIXELS).all(|v| v.contains(&1.0)));
        }
        // Independent views of the other kinds do overlap somewhere.
        let spec = MaskSpec::new(MaskKind::Patches, 0.5, "maskRatio").unwrap();
        let (a, b) = MaskSampler::new(spec, 11).pairs(50);
        assert!(a.iter().zip(&b).any(|(x, y)| x * y == 1.0));
    }

    #[test]
    fn bad_ratios_name_the_field() {
        for (kind, ratio) in [(MaskKind::Random, 0.0), (MaskKind::Patches, 0.99), (MaskKind::Disjoint, 0.3)] {
            let e = MaskSpec::new(kind, ratio, "maskRatio").unwrap_err().to_string();
            assert!(e.starts_with("maskRatio:"), "{e}");
        }
    }
}
