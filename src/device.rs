//! Which device runs the lab: WebGPU when the browser gives an adapter, else burn's CPU backend
//! (`flex`), and a note that says why. One code path serves both: burn dispatches on the
//! `Device` value.

use burn::prelude::Device;

use crate::error::LabError;

/// What the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    WebGpu,
    Cpu,
}

impl BackendChoice {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(Self::Auto),
            "webgpu" => Some(Self::WebGpu),
            "cpu" => Some(Self::Cpu),
            _ => None,
        }
    }
}

/// What really runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// The chosen device, without autodiff, and why it was chosen.
#[derive(Clone, Debug)]
pub struct LabDevice {
    pub device: Device,
    pub kind: BackendKind,
    pub note: String,
}

impl LabDevice {
    pub fn cpu(note: impl Into<String>) -> Self {
        Self { device: Device::flex(), kind: BackendKind::Cpu, note: note.into() }
    }

    /// The same device with autodiff, for training.
    pub fn autodiff(&self) -> Device {
        self.device.clone().autodiff()
    }
}

/// Brings up the device for `choice`. `Auto` falls back to the CPU with a note; an explicit
/// `WebGpu` that cannot come up is an error.
pub async fn select(choice: BackendChoice) -> Result<LabDevice, LabError> {
    match choice {
        BackendChoice::Cpu => Ok(LabDevice::cpu("CPU backend (flex), as requested")),
        BackendChoice::WebGpu => gpu::init().await.map_err(LabError::Backend),
        BackendChoice::Auto => match gpu::init().await {
            Ok(device) => Ok(device),
            Err(why) => Ok(LabDevice::cpu(format!("CPU backend (flex): WebGPU unavailable: {why}"))),
        },
    }
}

#[cfg(target_arch = "wasm32")]
mod gpu {
    //! The browser's WebGPU: ask `navigator.gpu` for an adapter first (a clear reason when there
    //! is none), then bring up burn's wgpu runtime once per page and reuse it.
    use std::cell::RefCell;

    use burn::prelude::Device;
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{BackendKind, LabDevice};

    thread_local! {
        /// How bringing up WebGPU went, once per page (burn's runtime registers only once).
        static RESULT: RefCell<Option<Result<LabDevice, String>>> = const { RefCell::new(None) };
        /// The bring-up in progress, so that concurrent `Lab.create` calls share it.
        static PENDING: RefCell<Option<Promise>> = const { RefCell::new(None) };
    }

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn text(value: JsValue) -> Option<String> {
        value.as_string().filter(|s| !s.is_empty())
    }

    /// `navigator.gpu.requestAdapter()`; Ok(description) or Err(why not).
    async fn probe_adapter() -> Result<String, String> {
        let navigator = get(&js_sys::global(), "navigator");
        let gpu = get(&navigator, "gpu");
        if gpu.is_undefined() || gpu.is_null() {
            return Err("navigator.gpu is missing (this browser or context has no WebGPU)".into());
        }
        let request: Function = get(&gpu, "requestAdapter")
            .dyn_into()
            .map_err(|_| "navigator.gpu.requestAdapter is not a function".to_string())?;
        let promise: Promise = request
            .call0(&gpu)
            .map_err(|e| format!("requestAdapter() threw: {e:?}"))?
            .dyn_into()
            .map_err(|_| "requestAdapter() did not return a Promise".to_string())?;
        let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter() failed: {e:?}"))?;
        if adapter.is_null() || adapter.is_undefined() {
            return Err("navigator.gpu.requestAdapter() returned null (no adapter)".into());
        }
        let info = get(&adapter, "info");
        let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
            .iter()
            .filter_map(|k| if info.is_object() { text(get(&info, k)) } else { None })
            .collect();
        Ok(if parts.is_empty() { "WebGPU adapter".into() } else { format!("WebGPU adapter: {}", parts.join(", ")) })
    }

    async fn bring_up() -> Result<LabDevice, String> {
        let description = probe_adapter().await?;
        let device: Device = Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("burn's wgpu runtime did not start: {e}"))?;
        Ok(LabDevice { device, kind: BackendKind::WebGpu, note: description })
    }

    pub async fn init() -> Result<LabDevice, String> {
        let pending = PENDING.with(|slot| slot.borrow().clone());
        let promise = match pending {
            Some(promise) => promise,
            None => {
                let promise = wasm_bindgen_futures::future_to_promise(async {
                    let result = bring_up().await;
                    RESULT.with(|slot| *slot.borrow_mut() = Some(result));
                    Ok(JsValue::UNDEFINED)
                });
                PENDING.with(|slot| *slot.borrow_mut() = Some(promise.clone()));
                promise
            }
        };
        let _ = JsFuture::from(promise).await;
        RESULT.with(|slot| slot.borrow().clone()).unwrap_or_else(|| Err("WebGPU bring-up did not finish".into()))
    }
}

#[cfg(all(not(target_arch = "wasm32"), feature = "gpu"))]
mod gpu {
    //! Native builds with the `gpu` feature: burn's wgpu runtime on Vulkan (for benchmarks).
    use std::sync::OnceLock;

    use burn::prelude::Device;

    use super::{BackendKind, LabDevice};

    static WGPU: OnceLock<Result<LabDevice, String>> = OnceLock::new();

    pub async fn init() -> Result<LabDevice, String> {
        WGPU.get_or_init(|| {
            Device::wgpu_options()
                .init()
                .map(|device| LabDevice { device, kind: BackendKind::WebGpu, note: "wgpu (native Vulkan)".into() })
                .map_err(|e| format!("burn's wgpu runtime did not start: {e}"))
        })
        .clone()
    }
}

#[cfg(all(not(target_arch = "wasm32"), not(feature = "gpu")))]
mod gpu {
    use super::LabDevice;

    pub async fn init() -> Result<LabDevice, String> {
        Err("this native build has no GPU backend (build with --features gpu)".into())
    }
}
