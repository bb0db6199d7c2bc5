//! The weights file and predictions, CPU device: export → import gives the same predictions, and
//! a damaged or foreign file is refused with an error naming `weights`, leaving the lab as it was.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::json;
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::train::hooks::NativeHooks;

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");

fn lab() -> Lab {
    pollster::block_on(Lab::create(&LabOptions { backend: BackendChoice::Cpu, seed: 0 }, ASSET)).unwrap()
}

#[test]
fn exported_weights_give_the_same_predictions_after_import_and_bad_files_are_refused() {
    let mut a = lab();
    let (pixels, labels) = a.test_images(100);
    assert_eq!((pixels.len(), labels.len()), (100 * 784, 100));
    assert!(pollster::block_on(a.predict(&pixels)).unwrap_err().to_string().starts_with("model:"));
    assert!(pollster::block_on(a.export_weights()).unwrap_err().to_string().starts_with("weights:"));

    pollster::block_on(a.pretrain(&json!({ "steps": 30, "batchSize": 64, "evalEvery": 0, "probe": false }), &mut NativeHooks::default())).unwrap();
    let base_only = pollster::block_on(a.predict(&pixels)).unwrap();
    assert_eq!(base_only.len(), 100 * 10);
    for row in base_only.chunks(10) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!((row[4], row[9]), (0.0, 0.0), "the base task has no 4s or 9s");
    }
    let task = json!({ "classes": [4, 9], "fraction": 0.02 });
    pollster::block_on(a.finetune(&json!({ "strategy": "full", "task": task, "steps": 10, "evalEvery": 0 }), &mut NativeHooks::default())).unwrap();
    let tuned = pollster::block_on(a.predict(&pixels)).unwrap();
    assert!(tuned.chunks(10).all(|row| (row[4] + row[9] - 1.0).abs() < 1e-4));
    let file = pollster::block_on(a.export_weights()).unwrap();

    let mut b = lab();
    b.import_weights(&file).unwrap();
    assert_eq!(pollster::block_on(b.predict(&pixels)).unwrap(), tuned, "same predictions after import");
    assert_eq!(b.base().unwrap().objective, "supervised");
    assert_eq!(b.finetuned().unwrap().strategy, "full");

    let mut damaged = [
        (file[..file.len() - 4].to_vec(), "bytes of values"),
        (b"not weights".to_vec(), "magic"),
        (file[..14].to_vec(), "truncated"),
    ]
    .to_vec();
    // A header whose tensor shape does not fit the net.
    let text = String::from_utf8_lossy(&file).replace("[7744,2]", "[7744,3]");
    if text.len() == file.len() {
        damaged.push((text.into_bytes(), "values"));
    }
    for (bytes, why) in damaged {
        let error = b.import_weights(&bytes).unwrap_err().to_string();
        assert!(error.starts_with("weights:") && error.contains(why), "{why}: {error}");
    }
    assert_eq!(pollster::block_on(b.predict(&pixels)).unwrap(), tuned, "a refused file leaves the lab as it was");
}
