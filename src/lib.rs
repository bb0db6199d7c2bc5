//! Transfer Lab: a small conv net trained in the browser (burn on WebGPU or the CPU) to show how
//! transfer learning works. This file is the module map; each module has one job.

pub mod config;   // JSON-like config objects -> typed configs, errors that name the field
pub mod data;     // the packed MNIST asset: parse + validate, splits, subsets, batches
pub mod device;   // WebGPU when an adapter comes up, else the CPU backend; records why
pub mod error;    // LabError: every failure the lab reports
pub mod lab;      // the lab's state (device, data, pretrained base) and its runs
pub mod masks;    // masks for the self-supervised objectives: rectangles, patch grids, disjoint pairs
pub mod metrics;  // accuracy, confusion, k-NN vote, weight drift, 2-D PCA
pub mod model;    // ConvNet: conv base + heads
pub mod rng;      // SplitMix64: deterministic init, subsets and batches on every platform
pub mod train;    // training loops (one file per objective) and the shared step/eval loop

pub mod weights;  // the weights file: export and import of the base and the fine-tuned net

#[cfg(target_arch = "wasm32")]
pub mod web;      // the wasm-bindgen facade
