//! In headless Chromium WITHOUT WebGPU flags: `requestAdapter()` gives null, so "auto" must fall
//! back to the CPU backend with a note, and training there must work.
#![cfg(target_arch = "wasm32")]

mod web_common;

use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn auto_falls_back_to_cpu_with_a_note() {
    let lab = create("auto").await.unwrap();
    assert_eq!(lab.backend(), "cpu");
    let note = lab.backend_note();
    assert!(note.contains("WebGPU unavailable"), "{note}");
    let info = lab.dataset();
    assert_eq!((num(&info, "images"), num(&info, "train"), num(&info, "test")), (10000.0, 8000.0, 2000.0));
}

#[wasm_bindgen_test]
async fn explicit_webgpu_without_adapter_rejects() {
    let error = create("webgpu").await.err().expect("no adapter here");
    let message = error_message(&error);
    assert!(message.starts_with("backend:"), "{message}");
}

#[wasm_bindgen_test]
async fn fifty_cpu_steps_halve_the_loss_and_bad_configs_reject() {
    let lab = create("cpu").await.unwrap();
    for (config, field) in [
        (serde_json::json!({ "lr": -1 }), "lr:"),
        (serde_json::json!({ "steps": 0 }), "steps:"),
        (serde_json::json!({ "objective": "nope" }), "objective:"),
        (serde_json::json!({ "classes": [3, 10] }), "classes:"),
    ] {
        let error = pretrain(&lab, config).await.err().expect("rejected");
        assert!(error_message(&error).starts_with(field), "{}", error_message(&error));
    }
    // NaN cannot be written in JSON: set it on the object directly.
    let config = js(serde_json::json!({ "steps": 5 }));
    js_sys::Reflect::set(&config, &"lr".into(), &f64::NAN.into()).unwrap();
    let error = wasm_bindgen_futures::JsFuture::from(lab.pretrain(config, None)).await.err().unwrap();
    assert!(error_message(&error).starts_with("lr:"), "{}", error_message(&error));

    let (report, events) = pretrain(&lab, serde_json::json!({ "steps": 50, "batchSize": 128, "logEvery": 10, "evalEvery": 0, "seed": 0, "probeTestImages": 200 })).await.unwrap();
    let losses = curve_losses(&report);
    let (first, last) = (losses[0], *losses.last().unwrap());
    log(&format!("cpu: 50 steps, loss {first:.4} -> {last:.4}, {:.1} ms/step", num(&report, "msPerStep")));
    assert!(last <= first / 2.0, "loss {first} -> {last}");
    assert_eq!(get(&report, "backend").as_string().unwrap(), "cpu");
    assert_eq!(num(&report, "steps"), 50.0);
    assert!(num(&report, "testAccuracy") > 0.5);
    assert!(events >= 6);
    let probe = get(&report, "probe");
    assert!(num(&probe, "linearAccuracy") > 0.5 && num(&probe, "knnAccuracy") > 0.5, "the supervised base is probed too");
}

#[wasm_bindgen_test]
async fn every_strategy_runs_on_cpu_and_cancel_leaves_the_lab_usable() {
    let lab = create("cpu").await.unwrap();
    let error = finetune(&lab, serde_json::json!({ "strategy": "full" })).await.err().unwrap();
    assert!(error_message(&error).contains("pretrain first"), "{}", error_message(&error));
    pretrain(&lab, serde_json::json!({ "steps": 20, "batchSize": 64, "evalEvery": 0, "probe": false })).await.unwrap();
    run_every_strategy(&lab, 5, 16).await;
    for (config, field) in [
        (serde_json::json!({ "strategy": "nope" }), "strategy:"),
        (serde_json::json!({ "strategy": "ball", "norm": "l7" }), "norm:"),
        (serde_json::json!({ "strategy": "ball", "radius": 0 }), "radius:"),
        (serde_json::json!({ "task": { "fraction": 2 } }), "task.fraction:"),
        (serde_json::json!({ "steps": 0 }), "steps:"),
    ] {
        let error = finetune(&lab, config).await.err().expect("rejected");
        assert!(error_message(&error).starts_with(field), "{}", error_message(&error));
    }

    // Cancel: a long run resolves soon with cancelled = true, and the lab still works.
    let promise = lab.pretrain(js(serde_json::json!({ "steps": 100000, "batchSize": 32, "logEvery": 1 })), None);
    let busy = wasm_bindgen_futures::JsFuture::from(lab.finetune(js(serde_json::json!({ "strategy": "full" })), None)).await.err().unwrap();
    assert!(error_message(&busy).contains("busy"), "{}", error_message(&busy));
    lab.cancel();
    let report = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    assert_eq!(get(&report, "cancelled").as_bool(), Some(true));
    assert!(num(&report, "steps") < 100000.0);
    let after = finetune(&lab, serde_json::json!({ "strategy": "frozen", "steps": 3, "evalEvery": 0 })).await.unwrap();
    assert_eq!(get(&after, "cancelled").as_bool(), Some(false));
}

fn log(message: &str) {
    wasm_bindgen_test::console_log!("{message}");
}

#[wasm_bindgen_test]
async fn every_self_supervised_objective_runs_on_cpu() {
    let lab = create("cpu").await.unwrap();
    assert_eq!(lab.backend(), "cpu");
    run_every_objective(&lab, 3, 16).await;
}
