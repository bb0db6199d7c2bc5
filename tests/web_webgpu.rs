//! In headless Chromium WITH the WebGPU flags (SwiftShader): "webgpu" must really run on WebGPU,
//! start from the same loss as the CPU backend (same seed), and a few steps must lower it.
//! SwiftShader is slow (seconds per batch-128 step), so the runs are short and small.
#![cfg(target_arch = "wasm32")]

mod web_common;

use wasm_bindgen_test::*;
use web_common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn webgpu_matches_cpu_at_step_one_and_learns() {
    let gpu = create("webgpu").await.unwrap();
    assert_eq!(gpu.backend(), "webgpu");
    assert!(gpu.backend_note().contains("WebGPU adapter"), "{}", gpu.backend_note());
    let auto = create("auto").await.unwrap();
    assert_eq!(auto.backend(), "webgpu", "auto picks WebGPU when an adapter comes up");
    let cpu = create("cpu").await.unwrap();
    assert_eq!(cpu.backend(), "cpu");

    let config = serde_json::json!({ "steps": 8, "batchSize": 32, "logEvery": 1, "evalEvery": 0, "seed": 0, "probe": false });
    let (gpu_report, _) = pretrain(&gpu, config.clone()).await.unwrap();
    let (cpu_report, _) = pretrain(&cpu, config).await.unwrap();
    let (g, c) = (curve_losses(&gpu_report), curve_losses(&cpu_report));
    console_log!("webgpu losses {g:?}, {:.1} ms/step", num(&gpu_report, "msPerStep"));
    console_log!("cpu losses {c:?}, {:.1} ms/step", num(&cpu_report, "msPerStep"));
    assert_eq!(get(&gpu_report, "backend").as_string().unwrap(), "webgpu");
    assert!((g[0] - c[0]).abs() < 1e-3, "initial loss: webgpu {} vs cpu {}", g[0], c[0]);
    assert!(g.last().unwrap() < &(g[0] - 0.1), "webgpu loss did not fall: {g:?}");
    assert!(num(&gpu_report, "testAccuracy") > 0.0);
}

#[wasm_bindgen_test]
async fn every_strategy_runs_on_webgpu() {
    let lab = create("webgpu").await.unwrap();
    assert_eq!(lab.backend(), "webgpu");
    pretrain(&lab, serde_json::json!({ "steps": 3, "batchSize": 16, "evalEvery": 0, "probe": false })).await.unwrap();
    run_every_strategy(&lab, 2, 8).await;
}

#[wasm_bindgen_test]
async fn every_self_supervised_objective_runs_on_webgpu() {
    let lab = create("webgpu").await.unwrap();
    assert_eq!(lab.backend(), "webgpu");
    run_every_objective(&lab, 2, 8).await;
}
