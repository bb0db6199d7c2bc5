//! Helpers for the browser tests: they drive the same `Lab` facade the page uses, with plain JS
//! objects, and read the reports back as JS objects.
#![allow(dead_code)]

use js_sys::{Function, Reflect, Uint8Array};
use serde::Serialize;
use transfer_lab::web::Lab;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub const ASSET: &[u8] = include_bytes!("../../www/data/mnist.tlm");

pub fn js(value: serde_json::Value) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap()
}

pub fn num(target: &JsValue, key: &str) -> f64 {
    get(target, key).as_f64().unwrap_or_else(|| panic!("{key} is not a number"))
}

/// `Lab.create({ backend, seed: 0, data })` with the asset bytes.
pub async fn create(backend: &str) -> Result<Lab, JsValue> {
    let options = js(serde_json::json!({ "backend": backend, "seed": 0 }));
    Reflect::set(&options, &"data".into(), &Uint8Array::from(ASSET)).unwrap();
    Lab::create(options).await.map_err(JsValue::from)
}

pub fn error_message(error: &JsValue) -> String {
    get(error, "message").as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// Runs `lab.pretrain(config, onProgress)`; returns the report and how many progress events came.
pub async fn pretrain(lab: &Lab, config: serde_json::Value) -> Result<(JsValue, u32), JsValue> {
    let count = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let seen = count.clone();
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |progress: JsValue| {
        assert!(get(&progress, "loss").as_f64().is_some());
        seen.set(seen.get() + 1);
    });
    let function: Function = callback.as_ref().clone().unchecked_into();
    let report = JsFuture::from(lab.pretrain(js(config), Some(function))).await?;
    Ok((report, count.get()))
}

/// The losses of a report's curve.
pub fn curve_losses(report: &JsValue) -> Vec<f64> {
    let curve: js_sys::Array = get(report, "curve").unchecked_into();
    curve.iter().map(|p| num(&p, "loss")).collect()
}

/// Runs `lab.finetune(config)`.
pub async fn finetune(lab: &Lab, config: serde_json::Value) -> Result<JsValue, JsValue> {
    JsFuture::from(lab.finetune(js(config), None)).await
}

/// The strategies and settings every browser test runs.
pub fn all_strategies() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!({ "strategy": "scratch" }),
        json!({ "strategy": "frozen" }),
        json!({ "strategy": "full", "shift": 2 }),
        json!({ "strategy": "joint", "jointWeight": 0.5 }),
        json!({ "strategy": "l2sp", "alpha": 0.1, "beta": 0.01 }),
        json!({ "strategy": "ball", "norm": "l2", "radius": 0.5 }),
        json!({ "strategy": "ball", "norm": "linf", "radius": 0.01, "scope": "base" }),
        json!({ "strategy": "ball", "norm": "l1", "radius": 5.0 }),
    ]
}

/// Every strategy through `lab.finetune`, each report's fields filled.
pub async fn run_every_strategy(lab: &Lab, steps: u32, batch_size: u32) {
    for settings in all_strategies() {
        let mut config = settings.clone();
        let common = serde_json::json!({ "task": { "classes": [4, 9], "fraction": 0.02, "subsetSeed": 1 }, "steps": steps, "batchSize": batch_size, "logEvery": 1, "evalEvery": 0 });
        config.as_object_mut().unwrap().extend(common.as_object().unwrap().clone());
        let report = finetune(lab, config).await.unwrap_or_else(|e| panic!("{settings}: {}", error_message(&e)));
        let strategy = settings["strategy"].as_str().unwrap();
        assert_eq!(get(&report, "strategy").as_string().unwrap(), strategy);
        assert_eq!(num(&report, "steps"), steps as f64);
        assert_eq!(get(&report, "cancelled").as_bool(), Some(false));
        assert_eq!(get(&report, "backend").as_string().unwrap(), lab.backend());
        let accuracy = num(&report, "testAccuracy");
        assert!((0.0..=1.0).contains(&accuracy));
        assert!(num(&report, "msPerStep") > 0.0);
        assert!(num(&report, "finalLoss").is_finite());
        assert_eq!(curve_losses(&report).len(), steps as usize);
        let confusion: js_sys::Array = get(&report, "confusion").unchecked_into();
        assert_eq!(confusion.length(), 2);
        let task = get(&report, "task");
        assert!(num(&task, "trainImages") >= 28.0 && num(&task, "testImages") > 300.0);
        let drift = get(&report, "drift");
        let per_layer: js_sys::Array = get(&drift, "perLayer").unchecked_into();
        assert_eq!(per_layer.length(), 3);
        let total_l2 = num(&get(&drift, "total"), "l2");
        match strategy {
            "frozen" => assert_eq!(total_l2, 0.0),
            "ball" => {
                let norm = settings["norm"].as_str().unwrap();
                let radius = settings["radius"].as_f64().unwrap();
                let size = num(&get(&drift, "total"), norm);
                let bound = if settings.get("scope").is_some() { radius } else { radius * 3.0 };
                assert!(size <= bound + 1e-5, "{settings}: drift {size}");
            }
            _ => assert!(total_l2 > 0.0, "{strategy} did not move the base"),
        }
        if strategy != "scratch" {
            assert!(num(&report, "baseTaskAccuracy") > 0.0);
        }
        wasm_bindgen_test::console_log!("{strategy}: accuracy {accuracy:.3}, {:.1} ms/step", num(&report, "msPerStep"));
    }
}

/// Runs `lab.contrastive(config)`.
pub async fn contrastive(lab: &Lab, config: serde_json::Value) -> Result<JsValue, JsValue> {
    JsFuture::from(lab.contrastive(js(config), None)).await
}

/// Every self-supervised objective through the JS API (`pretrain` for masked, `contrastive` for
/// views and labels), each report's fields filled; then `embed` and a fine-tuning run on the
/// last base.
pub async fn run_every_objective(lab: &Lab, steps: u32, batch_size: u32) {
    use serde_json::json;
    let probe = json!({ "steps": steps, "batchSize": batch_size, "logEvery": 1, "evalEvery": 0,
                        "probeShots": 3, "probeSteps": 5, "probeTestImages": 40, "knnK": 3 });
    let runs = [
        ("masked", json!({ "objective": "masked", "masks": "patches", "maskRatio": 0.6 })),
        ("masked", json!({ "objective": "masked", "masks": "random", "maskRatio": 0.4 })),
        ("contrastive", json!({ "positives": "views", "masks": "disjoint", "maskRatio": 0.5, "temperature": 0.5 })),
        ("supcon", json!({ "positives": "labels", "masks": "random", "maskRatio": 0.5, "shift": 2 })),
    ];
    for (objective, settings) in runs {
        let mut config = settings.clone();
        config.as_object_mut().unwrap().extend(probe.as_object().unwrap().clone());
        let report = if objective == "masked" { pretrain(lab, config).await.map(|(r, _)| r) } else { contrastive(lab, config).await };
        let report = report.unwrap_or_else(|e| panic!("{settings}: {}", error_message(&e)));
        assert_eq!(get(&report, "objective").as_string().unwrap(), objective);
        assert_eq!(num(&report, "steps"), steps as f64);
        assert_eq!(get(&report, "cancelled").as_bool(), Some(false));
        assert_eq!(get(&report, "backend").as_string().unwrap(), lab.backend());
        assert!(num(&report, "msPerStep") > 0.0 && num(&report, "finalLoss").is_finite());
        assert_eq!(curve_losses(&report).len(), steps as usize);
        let probe = get(&report, "probe");
        let (linear, knn) = (num(&probe, "linearAccuracy"), num(&probe, "knnAccuracy"));
        assert!((0.0..=1.0).contains(&linear) && (0.0..=1.0).contains(&knn));
        assert_eq!((num(&probe, "trainImages"), num(&probe, "testImages")), (30.0, 40.0));
        assert_eq!(num(&report, "testAccuracy"), linear);
        let last: JsValue = js_sys::Array::from(&get(&report, "curve")).pop();
        assert_eq!(num(&last, "knnAccuracy"), knn);
        wasm_bindgen_test::console_log!("{objective}: probe {linear:.3}, k-NN {knn:.3}, {:.1} ms/step", num(&report, "msPerStep"));
    }
    let embedding = JsFuture::from(lab.embed(js(json!({ "split": "test", "n": 20 })))).await.unwrap();
    let x: js_sys::Float32Array = get(&embedding, "x").dyn_into().unwrap();
    let y: js_sys::Float32Array = get(&embedding, "y").dyn_into().unwrap();
    let labels: Uint8Array = get(&embedding, "labels").dyn_into().unwrap();
    assert_eq!((x.length(), y.length(), labels.length()), (20, 20, 20));
    assert!(x.to_vec().iter().chain(&y.to_vec()).all(|v| v.is_finite()));
    // A self-supervised base has no base-task head: joint says so, frozen runs.
    let task = json!({ "classes": [4, 9], "fraction": 0.02 });
    let error = finetune(lab, json!({ "strategy": "joint", "task": task, "steps": 1 })).await.unwrap_err();
    assert!(error_message(&error).starts_with("strategy:"), "{}", error_message(&error));
    let report = finetune(lab, json!({ "strategy": "frozen", "task": task, "steps": 2, "batchSize": 8, "evalEvery": 0 })).await.unwrap();
    assert!(num(&report, "testAccuracy") >= 0.0);
}
