//! The notebook's experiment, natively: pretrain on the 8 digits that are not 4 or 9, then learn
//! 4 vs 9 from 2 % of the training 4s and 9s with every strategy over several subset seeds.
//! Prints a table (mean ± std test accuracy) and writes it as JSON.
//!
//!     cargo run --release --example transfer [-- --seeds 5 --steps 300 --out bench-results/transfer.json]

use serde_json::{Value, json};
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::train::hooks::NativeHooks;

mod common;
use common::{arg, mean_std, write_json};

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");


/// The runs of the table: a label and the strategy's settings.
pub fn strategies() -> Vec<(&'static str, Value)> {
    vec![
        ("scratch", json!({ "strategy": "scratch" })),
        ("frozen", json!({ "strategy": "frozen" })),
        ("full", json!({ "strategy": "full" })),
        ("joint (λ=1)", json!({ "strategy": "joint", "jointWeight": 1.0 })),
        ("l2sp (α=β=0.01)", json!({ "strategy": "l2sp", "alpha": 0.01, "beta": 0.01 })),
        ("l2sp (α=0.1, β=0.01)", json!({ "strategy": "l2sp", "alpha": 0.1, "beta": 0.01 })),
        ("ball l2 ε=1 layer", json!({ "strategy": "ball", "norm": "l2", "radius": 1.0, "scope": "layer" })),
        ("ball l2 ε=0.5 layer", json!({ "strategy": "ball", "norm": "l2", "radius": 0.5, "scope": "layer" })),
        ("ball linf ε=0.01 layer", json!({ "strategy": "ball", "norm": "linf", "radius": 0.01, "scope": "layer" })),
        ("ball l1 ε=10 layer", json!({ "strategy": "ball", "norm": "l1", "radius": 10.0, "scope": "layer" })),
    ]
}

fn main() {
    let seeds: u64 = arg("--seeds", "5").parse().expect("--seeds N");
    let steps: u64 = arg("--steps", "300").parse().expect("--steps N");
    let pretrain_steps: u64 = arg("--pretrain-steps", "300").parse().expect("--pretrain-steps N");
    let out = arg("--out", "bench-results/transfer.json");
    let activation = arg("--activation", "relu");
    let batch: u64 = arg("--batch", "32").parse().expect("--batch N");
    let only = arg("--only", "");
    let pretrain_lr: f64 = arg("--pretrain-lr", "0.001").parse().expect("--pretrain-lr X");
    let lr: f64 = arg("--lr", "0.001").parse().expect("--lr X");
    let pretrain_shift: u64 = arg("--pretrain-shift", "2").parse().expect("--pretrain-shift N");
    let shift: u64 = arg("--shift", "0").parse().expect("--shift N");
    let pretrain_seed: u64 = arg("--pretrain-seed", "0").parse().expect("--pretrain-seed N");
    let pretrain_batch: u64 = arg("--pretrain-batch", "128").parse().expect("--pretrain-batch N");
    let eval_every: u64 = arg("--eval-every", "0").parse().expect("--eval-every N");
    let mut curves = Vec::new();
    let mut lab = pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap();
    let pretrain = json!({ "objective": "supervised", "classes": [0, 1, 2, 3, 5, 6, 7, 8], "steps": pretrain_steps, "lr": pretrain_lr, "seed": pretrain_seed, "evalEvery": 0, "activation": activation, "shift": pretrain_shift, "batchSize": pretrain_batch });
    let report = pollster::block_on(lab.pretrain(&pretrain, &mut NativeHooks::default())).unwrap();
    println!(
        "pretrained on 8 digits ({} steps): base-task test accuracy {:.2} %",
        pretrain_steps,
        report.test_accuracy.unwrap() * 100.0
    );
    println!("4 vs 9 from 2 % of the training 4s and 9s; {steps} steps, Adam {lr}, batch {batch}; {seeds} subset seeds; activation {activation}");
    println!("{:<24} {:>16} {:>12} {:>14}", "strategy", "test acc %", "base task %", "drift L2");
    let mut rows = Vec::new();
    for (label, settings) in strategies() {
        if !only.is_empty() && !only.split(',').any(|o| label.starts_with(o)) {
            continue;
        }
        let mut accuracies = Vec::new();
        let mut base_task = Vec::new();
        let mut drift = Vec::new();
        let mut train_images = 0;
        for seed in 0..seeds {
            let mut config = settings.clone();
            let extra = json!({ "task": { "classes": [4, 9], "fraction": 0.02, "subsetSeed": seed }, "seed": seed, "steps": steps, "batchSize": batch, "lr": lr, "evalEvery": eval_every, "shift": shift });
            config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let r = pollster::block_on(lab.finetune(&config, &mut NativeHooks::default())).unwrap();
            accuracies.push(r.test_accuracy.unwrap() * 100.0);
            if let Some(b) = r.base_task_accuracy {
                base_task.push(b * 100.0);
            }
            drift.push(r.drift.total.l2);
            if eval_every > 0 {
                let points: Vec<String> =
                    r.curve.iter().filter_map(|p| p.test_accuracy.map(|a| format!("{}:{:.1}", p.step, a * 100.0))).collect();
                curves.push(format!("{label} seed {seed}: {}", points.join(" ")));
            }
            train_images = r.task.train_images;
        }
        let (mean, std) = mean_std(&accuracies);
        let base = if base_task.is_empty() { "-".to_string() } else { format!("{:.1}", mean_std(&base_task).0) };
        println!("{label:<24} {:>9.2} ± {:<4.2} {base:>12} {:>14.3}", mean, std, mean_std(&drift).0);
        rows.push(json!({ "label": label, "settings": settings, "meanAccuracy": mean, "stdAccuracy": std, "accuracies": accuracies,
                          "baseTaskAccuracies": base_task, "meanDriftL2": mean_std(&drift).0, "trainImages": train_images }));
    }
    for curve in &curves {
        println!("{curve}");
    }
    let table = json!({ "pretrainSteps": pretrain_steps, "pretrainedBaseTaskAccuracy": report.test_accuracy, "steps": steps, "seeds": seeds, "rows": rows });
    write_json(&out, &table);
}
