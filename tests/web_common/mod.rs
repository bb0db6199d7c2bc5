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
