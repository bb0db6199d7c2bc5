//! The constraints of constrained fine-tuning, tested as maths on the CPU device.
#![cfg(not(target_arch = "wasm32"))]

use burn::prelude::*;
use transfer_lab::model::{Activation, ConvBase, FEATURES, linear_layer};
use transfer_lab::rng::SplitMix64;
use transfer_lab::train::constraints::{BallNorm, Ball, BallScope, base_layers, flat_layer, l2sp_penalty, project, project_base};

fn host(t: Tensor<1>) -> Vec<f64> {
    t.into_data().iter::<f32>().map(|x| x as f64).collect()
}

fn random_vec(rng: &mut SplitMix64, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-scale, scale)).collect()
}

fn l1(v: &[f64]) -> f64 {
    v.iter().map(|x| x.abs()).sum()
}

/// Brute force: the projection onto the L1 ball is a soft threshold; try every threshold that can
/// be optimal ((sum of the k largest |v| − ε)/k for every k) and keep the feasible one closest to v.
fn l1_projection_reference(v: &[f64], radius: f64) -> Vec<f64> {
    if l1(v) <= radius {
        return v.to_vec();
    }
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut mags: Vec<f64> = v.iter().map(|x| x.abs()).collect();
    mags.sort_by(|a, b| b.total_cmp(a));
    for k in 1..=v.len() {
        let theta = (mags[..k].iter().sum::<f64>() - radius) / k as f64;
        if theta < 0.0 {
            continue;
        }
        let x: Vec<f64> = v.iter().map(|&a| a.signum() * (a.abs() - theta).max(0.0)).collect();
        if (l1(&x) - radius).abs() > 1e-9 {
            continue;
        }
        let dist: f64 = x.iter().zip(v).map(|(a, b)| (a - b).powi(2)).sum();
        if best.as_ref().is_none_or(|(d, _)| dist < *d) {
            best = Some((dist, x));
        }
    }
    best.expect("a feasible threshold").1
}

#[test]
fn l1_projection_matches_brute_force() {
    let device = Device::flex();
    let mut rng = SplitMix64::new(11);
    for (n, radius) in [(5, 0.3), (17, 1.0), (64, 0.05), (300, 2.0), (1000, 0.5)] {
        let v = random_vec(&mut rng, n, 0.2);
        let got = host(project(Tensor::from_data(TensorData::new(v.clone(), [n]), &device), BallNorm::L1, radius));
        let want = l1_projection_reference(&v.iter().map(|&x| x as f64).collect::<Vec<_>>(), radius);
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-6, "n {n} radius {radius}: max difference {worst}");
        assert!(l1(&got) <= radius + 1e-6, "n {n}: L1 {}", l1(&got));
    }
}

#[test]
fn projections_land_in_the_ball_and_leave_inside_points_alone() {
    let device = Device::flex();
    let mut rng = SplitMix64::new(5);
    for norm in [BallNorm::L2, BallNorm::Linf, BallNorm::L1] {
        for &radius in &[0.01, 0.1, 1.0] {
            let v = random_vec(&mut rng, 500, 0.5);
            let t = Tensor::<1>::from_data(TensorData::new(v.clone(), [500]), &device);
            let p = host(project(t, norm, radius));
            let size = match norm {
                BallNorm::L2 => p.iter().map(|x| x * x).sum::<f64>().sqrt(),
                BallNorm::Linf => p.iter().fold(0.0f64, |m, x| m.max(x.abs())),
                BallNorm::L1 => l1(&p),
            };
            assert!(size <= radius + 1e-6, "{norm:?} radius {radius}: norm {size}");
            // A point inside comes back bit-identical.
            let inside: Vec<f32> = v.iter().map(|x| x * 1e-6).collect();
            let t = Tensor::<1>::from_data(TensorData::new(inside.clone(), [500]), &device);
            let back: Vec<f32> = project(t, norm, radius).into_data().iter::<f32>().collect();
            assert_eq!(back, inside, "{norm:?} moved a point inside the ball");
        }
    }
}

/// The ball step on a whole base, both scopes: every layer (or the whole base) ends within ε of
/// w₀ in its norm, measured on the host in f64 from the f32 weights.
#[test]
fn project_base_bounds_every_layer() {
    let device = Device::flex();
    let start = ConvBase::init(Activation::Relu, 1, &device);
    let moved = ConvBase::init(Activation::Relu, 2, &device); // far from start
    for norm in [BallNorm::L2, BallNorm::Linf, BallNorm::L1] {
        for scope in [BallScope::Layer, BallScope::Base] {
            let radius = 0.05;
            let ball = Ball { norm, radius, scope };
            let projected = project_base(moved.clone(), &start, &ball);
            let mut all = Vec::new();
            for ((name, conv), (_, conv0)) in base_layers(&projected).into_iter().zip(base_layers(&start)) {
                let d: Vec<f64> = host(flat_layer(conv)).iter().zip(host(flat_layer(conv0))).map(|(a, b)| a - b).collect();
                if scope == BallScope::Layer {
                    assert!(norm_of(norm, &d) <= radius + 1e-6, "{norm:?} {name}: {}", norm_of(norm, &d));
                }
                all.extend(d);
            }
            if scope == BallScope::Base {
                assert!(norm_of(norm, &all) <= radius + 1e-6, "{norm:?} base: {}", norm_of(norm, &all));
            }
            // Projecting again changes nothing.
            let again = project_base(projected.clone(), &start, &ball);
            assert_eq!(flat_layer(&again.conv2).into_data(), flat_layer(&projected.conv2).into_data());
        }
    }
}

fn norm_of(norm: BallNorm, d: &[f64]) -> f64 {
    match norm {
        BallNorm::L2 => d.iter().map(|x| x * x).sum::<f64>().sqrt(),
        BallNorm::Linf => d.iter().fold(0.0f64, |m, x| m.max(x.abs())),
        BallNorm::L1 => l1(d),
    }
}

/// ∂/∂w of α/2‖w−w₀‖² is α(w−w₀) (autodiff against the formula), and a finite difference of the
/// penalty agrees with it; on the head, ∂/∂W of β/2‖W‖² is βW.
#[test]
fn l2sp_gradient_is_alpha_times_offset() {
    let device = Device::flex().autodiff();
    let (alpha, beta) = (0.3, 0.7);
    let start = ConvBase::init(Activation::Relu, 1, &device).no_grad();
    let base = ConvBase::init(Activation::Relu, 2, &device);
    let head = linear_layer(&mut SplitMix64::new(3), FEATURES, 2, &device);
    let penalty = l2sp_penalty(&base, &start, head.weight.val(), alpha, beta);
    let grads = penalty.backward();
    let grad = host(base.conv2.weight.val().grad(&grads).unwrap().flatten::<1>(0, 3));
    let w: Vec<f64> = host(base.conv2.weight.val().inner().flatten::<1>(0, 3));
    let w0: Vec<f64> = host(start.conv2.weight.val().inner().flatten::<1>(0, 3));
    for i in 0..grad.len() {
        let want = alpha * (w[i] - w0[i]);
        assert!((grad[i] - want).abs() < 1e-6, "coordinate {i}: {} vs {want}", grad[i]);
    }
    let head_grad = host(head.weight.val().grad(&grads).unwrap().flatten::<1>(0, 1));
    let head_w = host(head.weight.val().inner().flatten::<1>(0, 1));
    for i in (0..head_grad.len()).step_by(997) {
        assert!((head_grad[i] - beta * head_w[i]).abs() < 1e-6);
    }

    // Finite differences of the penalty itself (evaluated without autodiff) on conv1's bias.
    let (plain_base, plain_start) = (base.valid(), start.valid());
    let head_w = head.weight.val().inner();
    let g = host(base.conv1.bias.as_ref().unwrap().val().grad(&grads).unwrap());
    let bias = host(plain_base.conv1.bias.as_ref().unwrap().val());
    let penalty_with_bias = |values: Vec<f64>| -> f64 {
        let mut b = plain_base.clone();
        let data: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        b.conv1.bias = Some(burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(data, [16]), &Device::flex())));
        host(l2sp_penalty(&b, &plain_start, head_w.clone(), alpha, beta))[0]
    };
    for i in [0, 7, 15] {
        let h = 0.05;
        let (mut up, mut down) = (bias.clone(), bias.clone());
        up[i] += h;
        down[i] -= h;
        let numeric = (penalty_with_bias(up) - penalty_with_bias(down)) / (2.0 * h);
        assert!((numeric - g[i]).abs() < 5e-4, "bias {i}: finite difference {numeric} vs autodiff {}", g[i]);
    }
}
