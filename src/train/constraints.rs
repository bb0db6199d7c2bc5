//! The constraints of constrained fine-tuning, as tensor ops (so they run on WebGPU too):
//! the L2-SP penalty (Li et al. 2018) and the projection of the base back into a ball around the
//! pretrained weights w₀ after every optimizer step.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use crate::model::ConvBase;

/// Which norm's ball.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallNorm {
    /// Euclidean ball: rescale the offset onto the sphere.
    L2,
    /// Cube: clamp every coordinate of the offset to [−ε, ε].
    Linf,
    /// Cross-polytope: the exact Euclidean projection onto the L1 ball (soft threshold).
    L1,
}

impl BallNorm {
    pub fn as_str(self) -> &'static str {
        match self {
            BallNorm::L2 => "l2",
            BallNorm::Linf => "linf",
            BallNorm::L1 => "l1",
        }
    }
}

/// Over what the norm is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallScope {
    /// One ball per conv layer (its weight and bias together).
    Layer,
    /// One ball for the whole base.
    Base,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ball {
    pub norm: BallNorm,
    pub radius: f64,
    pub scope: BallScope,
}

/// Bisection steps for the L1 threshold; 2⁻⁶⁰ of the largest offset is below f32 resolution.
const L1_BISECTION_STEPS: usize = 60;

/// Points outside the ball are projected onto radius ε·(1 − 10⁻⁵): f32 sums over thousands of
/// weights round by up to a few 10⁻⁶ relative, and the result must never measure more than ε.
/// (Points inside ε are still left exactly as they are.)
pub const ROUNDING_MARGIN: f64 = 1e-5;

/// The conv layers of a base, by name.
pub fn base_layers(base: &ConvBase) -> [(&'static str, &Conv2d); 3] {
    [("conv1", &base.conv1), ("conv2", &base.conv2), ("conv3", &base.conv3)]
}

/// A layer's parameters as one flat vector: weight then bias.
pub fn flat_layer(conv: &Conv2d) -> Tensor<1> {
    let weight = conv.weight.val().flatten::<1>(0, 3);
    match &conv.bias {
        Some(bias) => Tensor::cat(vec![weight, bias.val()], 0),
        None => weight,
    }
}

/// α/2 ‖w − w₀‖² over the base plus β/2 ‖W‖² over the head's weight matrix.
pub fn l2sp_penalty(base: &ConvBase, start: &ConvBase, head_weight: Tensor<2>, alpha: f64, beta: f64) -> Tensor<1> {
    let drift: Vec<Tensor<1>> = base_layers(base)
        .iter()
        .zip(base_layers(start))
        .map(|((_, conv), (_, conv0))| {
            let offset = flat_layer(conv) - flat_layer(conv0).detach(); // [n]
            offset.powf_scalar(2.0).sum() // [1]
        })
        .collect();
    let base_term = Tensor::cat(drift, 0).sum().mul_scalar(alpha / 2.0); // [1]
    let head_term = head_weight.powf_scalar(2.0).sum().mul_scalar(beta / 2.0); // [1]
    base_term + head_term
}

/// The Euclidean projection of `offset` onto the `norm` ball of `radius` around 0 (for L2 and
/// L1 onto radius·(1 − ROUNDING_MARGIN), see there). A vector already inside comes back
/// bit-identical.
pub fn project(offset: Tensor<1>, norm: BallNorm, radius: f64) -> Tensor<1> {
    let [n] = offset.dims();
    let target = radius * (1.0 - ROUNDING_MARGIN);
    match norm {
        BallNorm::Linf => offset.clamp(-radius, radius),
        BallNorm::L2 => {
            let length = offset.clone().powf_scalar(2.0).sum().sqrt(); // [1]
            let outside = length.clone().greater_elem(radius).expand([n]); // [n]
            let scaled = offset.clone() * length.recip().mul_scalar(target); // [n]
            offset.mask_where(outside, scaled)
        }
        BallNorm::L1 => {
            let magnitude = offset.clone().abs(); // [n]
            let outside = magnitude.clone().sum().greater_elem(radius).expand([n]); // [n]
            // θ solves Σ max(|d| − θ, 0) = ε; bracket it by bisection on [0, max |d|] ...
            let mut hi = magnitude.clone().max(); // [1]
            let mut lo = hi.zeros_like(); // [1]
            for _ in 0..L1_BISECTION_STEPS {
                let mid = (lo.clone() + hi.clone()).mul_scalar(0.5); // [1]
                let excess = (magnitude.clone() - mid.clone()).clamp_min(0.0).sum().sub_scalar(target); // [1]
                let too_small = excess.greater_elem(0.0); // θ > mid
                lo = lo.mask_where(too_small.clone(), mid.clone());
                hi = mid.mask_where(too_small, hi);
            }
            // ... then solve exactly on the support it found: θ = (Σ_S |d| − ε) / |S|.
            let support = magnitude.clone().greater(lo.expand([n])).float(); // [n] of 0/1
            let count = support.clone().sum().clamp_min(1.0); // [1]
            let theta = ((magnitude.clone() * support).sum().sub_scalar(target) / count).clamp_min(0.0); // [1]
            let shrunk = (magnitude - theta.expand([n])).clamp_min(0.0) * offset.clone().sign(); // [n]
            offset.mask_where(outside, shrunk)
        }
    }
}

/// Moves `conv` back into its ball: `offset` is its current offset from w₀ (`start`) and
/// `projected` that offset projected; coordinates whose offset did not change keep their exact
/// value (w₀ + offset would round differently).
fn write_back(conv: Conv2d, start: &Conv2d, offset: Tensor<1>, projected: Tensor<1>) -> Conv2d {
    let flat = flat_layer(&conv).detach();
    let moved = offset.not_equal(projected.clone()); // [n]
    let new_flat = flat.mask_where(moved, flat_layer(start).detach() + projected); // [n]
    let weight_len = conv.weight.val().dims().iter().product::<usize>();
    let weight_shape = conv.weight.val().dims();
    let mut conv = conv;
    let weight = new_flat.clone().slice(0..weight_len).reshape(weight_shape);
    conv.weight = Param::map(conv.weight, |w| weight.detach().set_require_grad(w.is_require_grad()));
    if let Some(bias) = conv.bias.take() {
        let [total] = new_flat.dims();
        let values = new_flat.slice(weight_len..total);
        conv.bias = Some(bias.map(|b| values.detach().set_require_grad(b.is_require_grad())));
    }
    conv
}

/// Projects every conv layer of `base` into the ball around `start` (w₀).
pub fn project_base(base: ConvBase, start: &ConvBase, ball: &Ball) -> ConvBase {
    let offsets: Vec<Tensor<1>> = base_layers(&base)
        .iter()
        .zip(base_layers(start))
        .map(|((_, conv), (_, conv0))| flat_layer(conv).detach() - flat_layer(conv0).detach())
        .collect();
    let projected: Vec<Tensor<1>> = match ball.scope {
        BallScope::Layer => offsets.iter().map(|o| project(o.clone(), ball.norm, ball.radius)).collect(),
        BallScope::Base => {
            let lengths: Vec<usize> = offsets.iter().map(|o| o.dims()[0]).collect();
            let all = project(Tensor::cat(offsets.clone(), 0), ball.norm, ball.radius);
            let mut start_at = 0;
            lengths
                .iter()
                .map(|&len| {
                    let part = all.clone().slice(start_at..start_at + len);
                    start_at += len;
                    part
                })
                .collect()
        }
    };
    let mut offsets = offsets.into_iter();
    let mut projected = projected.into_iter();
    let mut next = |conv: Conv2d, conv0: &Conv2d| {
        write_back(conv, conv0, offsets.next().expect("3 layers"), projected.next().expect("3 layers"))
    };
    ConvBase {
        conv1: next(base.conv1, &start.conv1),
        conv2: next(base.conv2, &start.conv2),
        conv3: next(base.conv3, &start.conv3),
        activation: base.activation,
    }
}
