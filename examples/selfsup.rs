//! Every pretraining objective, natively, judged the same way: the linear probe and k-NN on all
//! 10 digits (beside the same probe on a random base), then 4 vs 9 from 2 % of the training 4s
//! and 9s with `frozen` and `full` over several subset seeds. Prints a table, writes JSON.
//!
//!     cargo run --release --example selfsup [-- --steps 300 --seeds 5 --out bench-results/selfsup.json]
//!
//! Flags: --objectives supervised,masked,contrastive,supcon --steps N (pretraining)
//! --finetune-steps N --seeds N --extra '{"maskRatio":0.6}' (merged into every pretrain config)

use serde_json::{Value, json};
use transfer_lab::data::Dataset;
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::model::{Activation, ConvBase};
use transfer_lab::train::hooks::NativeHooks;
use transfer_lab::train::probe::{ProbeConfig, ProbeSets};

mod common;
use common::{arg, mean_std, write_json};

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");


fn merged(a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    if let (Some(o), Some(extra)) = (out.as_object_mut(), b.as_object()) {
        o.extend(extra.clone());
    }
    out
}

fn main() {
    let objectives = arg("--objectives", "supervised,masked,contrastive,supcon");
    let steps: u64 = arg("--steps", "300").parse().expect("--steps N");
    let finetune_steps: u64 = arg("--finetune-steps", "300").parse().expect("--finetune-steps N");
    let seeds: u64 = arg("--seeds", "5").parse().expect("--seeds N");
    let extra: Value = serde_json::from_str(&arg("--extra", "{}")).expect("--extra JSON");
    let out = arg("--out", "bench-results/selfsup.json");
    // Extra probes of each base with other label budgets (images per digit), e.g. "10,30".
    let extra_shots: Vec<u64> = arg("--probe-shots", "").split(',').filter(|s| !s.is_empty()).map(|s| s.parse().expect("--probe-shots N,M")).collect();
    let skip_transfer = std::env::args().any(|a| a == "--no-transfer");
    let mut lab = pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap();

    let probe_config = ProbeConfig::parse(&transfer_lab::config::Fields::new(&extra, "").unwrap()).unwrap();
    let data = Dataset::parse(ASSET).unwrap();
    let device = lab.device().device.clone();
    let random = ProbeSets::new(&data, &probe_config, 0, &device);
    let random_eval = pollster::block_on(random.evaluate(&ConvBase::init(Activation::Relu, 0, &device))).unwrap();
    println!("probe: {} labelled images, {} test images", random.report(&random_eval).train_images, random.report(&random_eval).test_images);
    println!("{:<12} {:>9} {:>9} {:>9} {:>16} {:>16} {:>9}", "objective", "linear %", "k-NN %", "ms/step", "frozen 4v9 %", "full 4v9 %", "seconds");
    println!("{:<12} {:>9.2} {:>9.2}", "random", random_eval.accuracy * 100.0, random_eval.knn_accuracy.unwrap() * 100.0);
    let probe_with_shots = |base: &ConvBase, shots: u64| {
        let config = ProbeConfig { shots_per_class: shots as usize, ..probe_config.clone() };
        let e = pollster::block_on(ProbeSets::new(&data, &config, 0, &device).evaluate(base)).unwrap();
        (e.accuracy * 100.0, e.knn_accuracy.unwrap() * 100.0)
    };
    for &shots in &extra_shots {
        let (l, k) = probe_with_shots(&ConvBase::init(Activation::Relu, 0, &device), shots);
        println!("  random, {shots} per digit: linear {l:.2}, k-NN {k:.2}");
    }
    let mut rows = vec![json!({ "objective": "random", "linearAccuracy": random_eval.accuracy, "knnAccuracy": random_eval.knn_accuracy })];
    for objective in objectives.split(',') {
        let start = std::time::Instant::now();
        let config = merged(&json!({ "objective": objective, "steps": steps, "seed": 0, "evalEvery": 0 }), &extra);
        let report = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap();
        let probe = report.probe.clone().unwrap();
        let mut transfer = vec![(f64::NAN, f64::NAN); 2];
        for &shots in &extra_shots {
            let (l, k) = probe_with_shots(&lab.base().unwrap().base, shots);
            println!("  {objective}, {shots} per digit: linear {l:.2}, k-NN {k:.2}");
        }
        for (i, strategy) in ["frozen", "full"].into_iter().enumerate() {
            if skip_transfer {
                break;
            }
            let accuracies: Vec<f64> = (0..seeds)
                .map(|seed| {
                    let config = json!({ "strategy": strategy, "task": { "classes": [4, 9], "fraction": 0.02, "subsetSeed": seed },
                                         "seed": seed, "steps": finetune_steps, "evalEvery": 0 });
                    pollster::block_on(lab.finetune(&config, &mut NativeHooks::default())).unwrap().test_accuracy.unwrap() * 100.0
                })
                .collect();
            transfer[i] = mean_std(&accuracies);
        }
        println!(
            "{objective:<12} {:>9.2} {:>9.2} {:>9.1} {:>9.2} ± {:<4.2} {:>9.2} ± {:<4.2} {:>9.0}",
            probe.linear_accuracy * 100.0,
            probe.knn_accuracy * 100.0,
            report.ms_per_step,
            transfer[0].0,
            transfer[0].1,
            transfer[1].0,
            transfer[1].1,
            start.elapsed().as_secs_f64()
        );
        rows.push(json!({ "objective": objective, "config": config, "linearAccuracy": probe.linear_accuracy, "knnAccuracy": probe.knn_accuracy,
                          "msPerStep": report.ms_per_step, "finalLoss": report.final_loss,
                          "frozen": { "mean": transfer[0].0, "std": transfer[0].1 }, "full": { "mean": transfer[1].0, "std": transfer[1].1 } }));
    }
    let table = json!({ "pretrainSteps": steps, "finetuneSteps": finetune_steps, "seeds": seeds, "extra": extra, "rows": rows });
    write_json(&out, &table);
}
