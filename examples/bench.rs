//! Benchmark (not a test): ms per supervised training step, batch 128, on each native device this
//! build has; median of 20 steps after 3 warm-up steps. Prints a table and writes JSON.
//!
//!     cargo run --release --example bench [-- --out bench-results/native.json]
//!     cargo run --release --features gpu --example bench    # also burn's wgpu on Vulkan

use serde_json::json;
use transfer_lab::device::BackendChoice;
use transfer_lab::lab::{Lab, LabOptions};
use transfer_lab::train::hooks::NativeHooks;

const ASSET: &[u8] = include_bytes!("../www/data/mnist.tlm");
const WARMUP: usize = 3;
const MEASURED: usize = 20;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

fn main() {
    let out = std::env::args().skip_while(|a| a != "--out").nth(1).unwrap_or_else(|| "bench-results/native.json".into());
    let mut results = Vec::new();
    for choice in [BackendChoice::Cpu, BackendChoice::WebGpu] {
        let options = LabOptions { backend: choice, seed: 0 };
        let mut lab = match pollster::block_on(Lab::create(&options, ASSET)) {
            Ok(lab) => lab,
            Err(e) => {
                eprintln!("skipping {choice:?}: {e}");
                continue;
            }
        };
        let config = json!({ "steps": WARMUP + MEASURED, "batchSize": 128, "logEvery": 1, "evalEvery": 0, "seed": 0 });
        let mut hooks = NativeHooks::default();
        pollster::block_on(lab.pretrain(&config, &mut hooks)).expect("benchmark run");
        let steps: Vec<f64> = hooks.log.iter().skip(WARMUP).map(|p| p.ms_per_step).collect();
        let ms = median(steps.clone());
        let device = lab.device();
        println!("native {:<7} batch 128: {:8.1} ms/step (median of {}; {})", device.kind.as_str(), ms, steps.len(), device.note);
        results.push(json!({
            "where": "native", "backend": device.kind.as_str(), "note": device.note, "batchSize": 128,
            "msPerStepMedian": ms, "msPerStep": steps, "warmupSteps": WARMUP,
        }));
    }
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir).expect("output folder");
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json!({ "results": results })).unwrap()).expect("write JSON");
    println!("wrote {out}");
}
