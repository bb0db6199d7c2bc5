//! Training: one file per objective, plus what they share: the host hooks, the step loop, data
//! on the device and evaluation.

pub mod augment;     // random shifts of a batch, gathered on the device
pub mod constraints; // L2-SP penalty, projection into a ball around w₀
pub mod contrastive; // contrastive pretraining on masked pairs: NT-Xent (views) or SupCon (labels)
pub mod contrastive_loss; // NT-Xent and SupCon as tensor functions
pub mod device_data; // a task's images uploaded once, batches gathered on the device
pub mod eval;        // test-set predictions and accuracy
pub mod finetune;    // fine-tuning a pretrained base on a tiny task, every strategy
pub mod hooks;       // RunHooks: the host's clock, progress sink, cancel flag and event-loop pause
pub mod masked;      // masked-region prediction: base + decoder, loss on hidden pixels
pub mod pretrain_settings; // what every pretraining objective reads: images, activation, run, probe
pub mod probe;       // linear probe and k-NN accuracy of a base on all 10 digits
pub mod run_loop;    // the shared step loop: logging, evaluation, cancellation, timing, curve
pub mod ssl_data;    // what the self-supervised objectives share: images, batches, masks, probe
pub mod supervised;  // supervised pretraining on a base task

pub use hooks::RunHooks;
pub use run_loop::{CurvePoint, LoopConfig, LoopResult, Progress, StepTrainer};
