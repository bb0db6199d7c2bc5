#![cfg(not(target_arch = "wasm32"))]
//! Native tests of the walking skeleton on the CPU device and the real data asset.

use serde_json::json;
use transfer_lab::data::{Dataset, EXPECTED_COUNT};
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::train::hooks::NativeHooks;

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");

fn cpu_lab(seed: u64) -> Lab {
    let options = LabOptions { backend: BackendChoice::Cpu, seed };
    pollster::block_on(Lab::create(&options, ASSET)).expect("lab on the CPU")
}

#[test]
fn asset_parses_with_the_fixed_split() {
    let data = Dataset::parse(ASSET).unwrap();
    assert_eq!(data.len(), EXPECTED_COUNT);
    assert_eq!((data.train_len(), data.test_len()), (8000, 2000));
    assert_eq!(data.per_class().iter().sum::<usize>(), EXPECTED_COUNT);
}

#[test]
fn broken_assets_are_named_errors() {
    let cases: Vec<(&[u8], &str)> = vec![
        (&[], "empty"),
        (&ASSET[..20], "truncated"),
        (&ASSET[..ASSET.len() - 1000], "truncated"),
    ];
    for (bytes, expected) in cases {
        let err = Dataset::parse(bytes).unwrap_err().to_string();
        assert!(err.starts_with("data asset:") && err.contains(expected), "{err}");
    }
    let mut bad_magic = ASSET.to_vec();
    bad_magic[0] = b'X';
    assert!(Dataset::parse(&bad_magic).unwrap_err().to_string().contains("magic"));
    let mut flipped = ASSET.to_vec();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x55;
    let err = Dataset::parse(&flipped).unwrap_err().to_string();
    assert!(err.contains("corrupt") || err.contains("checksum"), "{err}");
}

#[test]
fn bad_pretrain_configs_name_the_field() {
    let mut lab = cpu_lab(0);
    let mut hooks = NativeHooks::default();
    let cases = [
        (json!({ "objective": "telepathy" }), "objective:"),
        (json!({ "lr": 0 }), "lr:"),
        (json!({ "lr": -1e-3 }), "lr:"),
        (json!({ "steps": 0 }), "steps:"),
        (json!({ "classes": [4, 12] }), "classes:"),
        (json!({ "classes": [4] }), "classes:"),
        (json!({ "batchSize": 1.5 }), "batchSize:"),
        (json!({ "stepz": 10 }), "stepz:"),
        (json!({ "activation": "tanh" }), "activation:"),
        (json!({ "shift": 9 }), "shift:"),
        (json!({ "shift": -1 }), "shift:"),
    ];
    for (config, field) in cases {
        let err = pollster::block_on(lab.pretrain(&config, &mut hooks)).err().expect("rejected").to_string();
        assert!(err.starts_with(field), "{config} gave {err}");
    }
    // The lab is still usable after the errors.
    let report = pollster::block_on(lab.pretrain(&json!({ "steps": 2, "batchSize": 8 }), &mut hooks)).unwrap();
    assert_eq!(report.steps, 2);
}

#[test]
fn same_seed_same_curve() {
    let config = json!({ "steps": 6, "batchSize": 16, "logEvery": 1, "evalEvery": 0, "seed": 3 });
    let run = || {
        let mut lab = cpu_lab(0);
        let report = pollster::block_on(lab.pretrain(&config, &mut NativeHooks::default())).unwrap();
        report.curve.iter().map(|p| p.loss).collect::<Vec<_>>()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.len(), 6);
    assert_eq!(a, b, "the same seed gives the same curve");
}

#[test]
fn cancel_keeps_the_previous_base_and_reports_it() {
    let mut lab = cpu_lab(0);
    let first = pollster::block_on(lab.pretrain(&json!({ "steps": 3, "batchSize": 8 }), &mut NativeHooks::default())).unwrap();
    assert!(!first.cancelled);
    let weights_before = lab.base().unwrap().head.as_ref().unwrap().weight.val().into_data();
    let mut hooks = NativeHooks { cancel_after_step: Some(2), ..Default::default() };
    let config = json!({ "steps": 50, "batchSize": 8, "logEvery": 1 });
    let report = pollster::block_on(lab.pretrain(&config, &mut hooks)).unwrap();
    assert!(report.cancelled);
    assert_eq!(report.steps, 2);
    assert_eq!(lab.base().unwrap().head.as_ref().unwrap().weight.val().into_data(), weights_before);
}

/// Issue 2's bar: 300 steps of supervised pretraining on all 10 digits reach ≥ 95 % on the 2,000
/// test images (fixed seed), and the loss falls.
#[test]
fn supervised_pretraining_learns_all_ten_digits() {
    let mut lab = cpu_lab(0);
    let mut hooks = NativeHooks { echo: true, ..Default::default() };
    let config = json!({ "classes": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "steps": 300, "batchSize": 128, "lr": 1e-3, "seed": 0, "evalEvery": 100 });
    let report = pollster::block_on(lab.pretrain(&config, &mut hooks)).unwrap();
    let accuracy = report.test_accuracy.unwrap();
    eprintln!("300 steps: test accuracy {:.2}%, {:.1} ms/step", accuracy * 100.0, report.ms_per_step);
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    assert!(report.final_loss < report.curve[0].loss / 4.0);
    let confusion = report.confusion.unwrap();
    assert_eq!(confusion.iter().flatten().sum::<u32>(), 2000);
}
