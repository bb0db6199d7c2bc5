//! The wasm-bindgen facade: JS objects in, validation, calls into the core, JS objects out.
//! Errors become JS `Error`s whose message names the field; nothing panics across the boundary
//! on bad input. Knows nothing of training beyond calling `lab::Lab`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::error::LabError;
use crate::lab::{self, DatasetInfo, LabOptions};
use crate::train::{Progress, RunHooks};

pub const DEFAULT_DATA_URL: &str = "data/mnist.tlm";

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(error: &LabError) -> JsValue {
    JsError::new(&error.to_string()).into()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A plain JS value as JSON; a non-finite number, a function or a symbol is an error naming
/// its field (serde would quietly turn NaN into null).
fn js_to_json(value: &JsValue, path: &str) -> Result<Value, LabError> {
    let name = if path.is_empty() { "config" } else { path };
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(x) = value.as_f64() {
        return Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| LabError::config(name, format!("must be a finite number, got {x}")));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if value.is_function() || value.is_symbol() || value.is_bigint() || js_sys::ArrayBuffer::is_view(value) || value.is_instance_of::<js_sys::ArrayBuffer>() {
        return Err(LabError::config(name, "must be plain data (a number, string, array or object)"));
    }
    if Array::is_array(value) {
        let array: Array = value.clone().unchecked_into();
        return array.iter().enumerate().map(|(i, item)| js_to_json(&item, &format!("{name}[{i}]"))).collect::<Result<_, _>>().map(Value::Array);
    }
    if value.is_object() {
        let mut map = Map::new();
        for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            map.insert(key.clone(), js_to_json(&get(value, &key), &child)?);
        }
        return Ok(Value::Object(map));
    }
    Err(LabError::config(name, "unsupported value"))
}

fn global_fn(name: &str) -> Result<(JsValue, Function), LabError> {
    let global: JsValue = js_sys::global().into();
    let function = get(&global, name).dyn_into::<Function>().map_err(|_| LabError::Backend(format!("{name} is not available here")))?;
    Ok((global, function))
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, LabError> {
    let fail = |why: String| LabError::Data(format!("could not load {url}: {why}"));
    let (global, fetch) = global_fn("fetch")?;
    let promise: Promise = fetch.call1(&global, &JsValue::from_str(url)).map_err(|e| fail(format!("{e:?}")))?.unchecked_into();
    let response = JsFuture::from(promise).await.map_err(|e| fail(format!("{e:?}")))?;
    if get(&response, "ok").as_bool() != Some(true) {
        return Err(fail(format!("HTTP {}", get(&response, "status").as_f64().unwrap_or(0.0))));
    }
    let array_buffer: Function = get(&response, "arrayBuffer").unchecked_into();
    let promise: Promise = array_buffer.call0(&response).map_err(|e| fail(format!("{e:?}")))?.unchecked_into();
    let buffer = JsFuture::from(promise).await.map_err(|e| fail(format!("{e:?}")))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Run hooks backed by the page: performance.now(), a JS progress callback, the cancel flag and
/// a setTimeout(0) pause so clicks and messages get through between steps.
struct WebHooks {
    cancel: Rc<Cell<bool>>,
    on_progress: Option<Function>,
}

impl RunHooks for WebHooks {
    fn now_ms(&self) -> f64 {
        let performance = get(&js_sys::global(), "performance");
        let now = get(&performance, "now");
        match now.dyn_ref::<Function>() {
            Some(f) => f.call0(&performance).ok().and_then(|v| v.as_f64()).unwrap_or_else(js_sys::Date::now),
            None => js_sys::Date::now(),
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.get()
    }

    fn progress(&mut self, progress: &Progress) {
        if let Some(callback) = &self.on_progress {
            if let Err(e) = callback.call1(&JsValue::NULL, &to_js(progress)) {
                console_warn(&format!("onProgress threw: {e:?}"));
            }
        }
    }

    fn pause(&self) -> Pin<Box<dyn Future<Output = ()>>> {
        let promise = Promise::new(&mut |resolve, _reject| {
            if let Ok((global, set_timeout)) = global_fn("setTimeout") {
                let _ = set_timeout.call2(&global, &resolve, &JsValue::from_f64(0.0));
            } else {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }
}

fn console_warn(message: &str) {
    let console = get(&js_sys::global(), "console");
    if let Ok(warn) = get(&console, "warn").dyn_into::<Function>() {
        let _ = warn.call1(&console, &JsValue::from_str(message));
    }
}

/// The lab as JS sees it. Long calls return Promises; while one runs, the core is taken out of
/// its slot, so a second call is answered "busy" instead of racing it.
#[wasm_bindgen]
pub struct Lab {
    core: Rc<RefCell<Option<lab::Lab>>>,
    cancel: Rc<Cell<bool>>,
    backend: String,
    note: String,
    info: DatasetInfo,
}

#[wasm_bindgen]
impl Lab {
    /// `Lab.create({ backend: "auto" | "webgpu" | "cpu", seed, data?: Uint8Array, dataUrl? })`.
    pub async fn create(options: JsValue) -> Result<Lab, JsError> {
        Self::create_inner(options).await.map_err(|e| JsError::new(&e.to_string()))
    }

    async fn create_inner(options: JsValue) -> Result<Lab, LabError> {
        let data = get(&options, "data");
        // `data` holds bytes, not config: read every other field.
        let rest = Object::new();
        if options.is_object() {
            let _ = Object::assign(&rest, options.unchecked_ref::<Object>());
            let _ = Reflect::delete_property(&rest, &JsValue::from_str("data"));
        } else if !options.is_undefined() && !options.is_null() {
            return Err(LabError::config("options", "must be an object"));
        }
        let plain = js_to_json(&rest, "")?;
        let parsed = LabOptions::parse(&plain)?;
        let bytes = if data.is_undefined() || data.is_null() {
            let url = match plain.get("dataUrl") {
                None | Some(Value::Null) => DEFAULT_DATA_URL.to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(LabError::config("dataUrl", "must be a string")),
            };
            fetch_bytes(&url).await?
        } else {
            bytes_of(&data, "data")?
        };
        let core = lab::Lab::create(&parsed, &bytes).await?;
        Ok(Lab {
            backend: core.device().kind.as_str().to_string(),
            note: core.device().note.clone(),
            info: core.dataset_info(),
            core: Rc::new(RefCell::new(Some(core))),
            cancel: Rc::new(Cell::new(false)),
        })
    }

    /// "webgpu" or "cpu": what really runs.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// The adapter, or why WebGPU was not used.
    #[wasm_bindgen(getter, js_name = backendNote)]
    pub fn backend_note(&self) -> String {
        self.note.clone()
    }

    /// `{ images, train, test, perClass }`.
    pub fn dataset(&self) -> JsValue {
        to_js(&self.info)
    }

    /// Asks the running call to stop; it resolves soon with `cancelled: true`.
    pub fn cancel(&self) {
        self.cancel.set(true);
    }

    /// `pretrain({ objective: "supervised" | "masked" | "contrastive" | "supcon", classes, steps,
    /// batchSize, lr, seed, probe, probeShots, ... }, onProgress)`. Replaces the lab's base when it
    /// finishes (a cancelled run keeps the old one).
    pub fn pretrain(&self, config: JsValue, on_progress: Option<Function>) -> Promise {
        self.start(Run::Pretrain, config, on_progress)
    }

    /// `contrastive({ positives: "views" | "labels", masks: "random" | "patches" | "disjoint",
    /// maskRatio, temperature, steps, batchSize, lr, ... }, onProgress)`: pretraining on masked
    /// pairs (NT-Xent, or SupCon with labels). Replaces the lab's base like `pretrain`.
    pub fn contrastive(&self, config: JsValue, on_progress: Option<Function>) -> Promise {
        self.start(Run::Contrastive, config, on_progress)
    }

    /// `embed({ split: "test" | "train", n, model: "base" | "finetuned" })` →
    /// `{ x: Float32Array, y: Float32Array, labels: Uint8Array }`: 2-D PCA of the base's features.
    pub fn embed(&self, config: JsValue) -> Promise {
        self.start(Run::Embed, config, None)
    }

    /// `predict(pixels: Float32Array)` (784 values in [0, 1] per image, n images) →
    /// Float32Array(n × 10) of probabilities per digit, from the last fine-tuned net (or the
    /// supervised base's classifier).
    pub fn predict(&self, pixels: JsValue) -> Promise {
        self.start(Run::Predict, pixels, None)
    }

    /// `testImages({ n })` → `{ pixels: Float32Array(n × 784), labels: Uint8Array(n) }`: the
    /// first n held-out images, for galleries and checks.
    #[wasm_bindgen(js_name = testImages)]
    pub fn test_images(&self, config: JsValue) -> Result<JsValue, JsError> {
        let parsed = js_to_json(&config, "").and_then(|v| {
            let f = crate::config::Fields::new(&v, "")?;
            f.only(&["n"])?;
            f.integer("n", 100, 1, self.info.test as u64)
        });
        let n = parsed.map_err(|e| JsError::new(&e.to_string()))? as usize;
        let core = self.core.borrow();
        let core = core.as_ref().ok_or_else(|| JsError::new(&LabError::Busy.to_string()))?;
        let (pixels, labels) = core.test_images(n);
        let out = Object::new();
        let _ = Reflect::set(&out, &"pixels".into(), &js_sys::Float32Array::from(&pixels[..]));
        let _ = Reflect::set(&out, &"labels".into(), &Uint8Array::from(&labels[..]));
        Ok(out.into())
    }

    /// `exportWeights()` → Promise<Uint8Array>: the base and the last fine-tuned net (a Promise
    /// because reading weights off a GPU is asynchronous).
    #[wasm_bindgen(js_name = exportWeights)]
    pub fn export_weights(&self) -> Promise {
        self.start(Run::ExportWeights, JsValue::UNDEFINED, None)
    }

    /// `importWeights(bytes: Uint8Array)` → Promise: replaces the base and the fine-tuned net
    /// with the file's, or rejects (naming `weights`) and changes nothing.
    #[wasm_bindgen(js_name = importWeights)]
    pub fn import_weights(&self, bytes: JsValue) -> Promise {
        self.start(Run::ImportWeights, bytes, None)
    }

    /// `filters({ model: "base" | "finetuned" })` → Promise<Float32Array(16 × 9)>: the first
    /// conv layer's 3×3 filters.
    pub fn filters(&self, config: JsValue) -> Promise {
        self.start(Run::Filters, config, None)
    }

    /// `maskSamples({ masks, maskRatio, n, seed })` → `{ images, first, second }` (Float32Arrays of
    /// n × 784): test images and two masked views of each, as the objectives see them.
    #[wasm_bindgen(js_name = maskSamples)]
    pub fn mask_samples(&self, config: JsValue) -> Result<JsValue, JsError> {
        let core = self.core.borrow();
        let core = core.as_ref().ok_or_else(|| JsError::new(&LabError::Busy.to_string()))?;
        let (images, first, second) = js_to_json(&config, "")
            .and_then(|c| core.mask_samples(&c))
            .map_err(|e| JsError::new(&e.to_string()))?;
        let out = Object::new();
        for (key, values) in [("images", images), ("first", first), ("second", second)] {
            let _ = Reflect::set(&out, &key.into(), &js_sys::Float32Array::from(&values[..]));
        }
        Ok(out.into())
    }

    /// `finetune({ task: { classes, fraction | shotsPerClass, subsetSeed }, strategy, alpha, beta,
    /// norm, radius, scope, jointWeight, steps, batchSize, lr, seed }, onProgress)`.
    /// Never changes the lab's base.
    pub fn finetune(&self, config: JsValue, on_progress: Option<Function>) -> Promise {
        self.start(Run::Finetune, config, on_progress)
    }
}

/// The long calls, all run the same way.
#[derive(Clone, Copy)]
enum Run {
    Pretrain,
    Contrastive,
    Finetune,
    Embed,
    Predict,
    Filters,
    ExportWeights,
    ImportWeights,
}

impl Run {
    /// Whether the call's argument is a plain config object (else bytes or pixels).
    fn takes_config(self) -> bool {
        !matches!(self, Run::Predict | Run::ImportWeights | Run::ExportWeights)
    }
}

fn pixels_of(value: &JsValue) -> Result<Vec<f32>, LabError> {
    value
        .dyn_ref::<js_sys::Float32Array>()
        .map(|a| a.to_vec())
        .ok_or_else(|| LabError::config("pixels", "must be a Float32Array of 784 values per image"))
}

fn bytes_of(value: &JsValue, field: &str) -> Result<Vec<u8>, LabError> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        Ok(array.to_vec())
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
        Ok(Uint8Array::new(value).to_vec())
    } else {
        Err(LabError::config(field, "must be a Uint8Array or ArrayBuffer"))
    }
}

fn embedding_to_js(embedding: &lab::Embedding) -> JsValue {
    let out = Object::new();
    let _ = Reflect::set(&out, &"x".into(), &js_sys::Float32Array::from(&embedding.x[..]));
    let _ = Reflect::set(&out, &"y".into(), &js_sys::Float32Array::from(&embedding.y[..]));
    let _ = Reflect::set(&out, &"labels".into(), &Uint8Array::from(&embedding.labels[..]));
    out.into()
}

impl Lab {
    /// Takes the core out of its slot for the whole call (a second call meanwhile gets "busy"),
    /// runs it with the page's hooks, and always puts the core back.
    fn start(&self, run: Run, config: JsValue, on_progress: Option<Function>) -> Promise {
        let (slot, cancel) = (self.core.clone(), self.cancel.clone());
        future_to_promise(async move {
            let raw = config.clone();
            let config = if run.takes_config() { js_to_json(&config, "").map_err(|e| js_error(&e))? } else { Value::Null };
            let mut core = slot.borrow_mut().take().ok_or_else(|| js_error(&LabError::Busy))?;
            cancel.set(false);
            let mut hooks = WebHooks { cancel, on_progress };
            let result = match run {
                Run::Pretrain => core.pretrain(&config, &mut hooks).await.map(|r| to_js(&r)),
                Run::Contrastive => core.contrastive(&config, &mut hooks).await.map(|r| to_js(&r)),
                Run::Finetune => core.finetune(&config, &mut hooks).await.map(|r| to_js(&r)),
                Run::Embed => core.embed(&config).await.map(|e| embedding_to_js(&e)),
                Run::Predict => match pixels_of(&raw) {
                    Ok(pixels) => core.predict(&pixels).await.map(|p| js_sys::Float32Array::from(&p[..]).into()),
                    Err(e) => Err(e),
                },
                Run::Filters => core.filters(&config).await.map(|w| js_sys::Float32Array::from(&w[..]).into()),
                Run::ExportWeights => core.export_weights().await.map(|b| Uint8Array::from(&b[..]).into()),
                Run::ImportWeights => bytes_of(&raw, "weights").and_then(|b| core.import_weights(&b)).map(|_| JsValue::UNDEFINED),
            };
            *slot.borrow_mut() = Some(core);
            result.map_err(|e| js_error(&e))
        })
    }
}
