//! The step loop every objective shares: it calls the objective's step, reads the loss back only
//! at logged steps (a read forces a device sync), evaluates every `eval_every` steps, reports
//! progress, honours cancellation and yields to the host between steps.

use burn::prelude::*;
use serde::Serialize;

use super::hooks::RunHooks;
use crate::config::Fields;
use crate::error::LabError;
use crate::metrics::Evaluation;

#[derive(Clone, Debug)]
pub struct LoopConfig {
    /// Named in progress events, e.g. "pretrain".
    pub phase: &'static str,
    pub steps: usize,
    /// Read the loss back every this many steps (and at steps 1 and last).
    pub log_every: usize,
    /// Evaluate on the test split every this many steps (and at the last); 0 = only at the end.
    pub eval_every: usize,
    /// Whether the last step is evaluated (false for a run that has no evaluation).
    pub eval_at_end: bool,
}

/// The settings every training run shares, read from the run's config object.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    pub log_every: usize,
    pub eval_every: usize,
}

impl RunSettings {
    pub const FIELDS: [&'static str; 6] = ["steps", "batchSize", "lr", "seed", "logEvery", "evalEvery"];

    /// `batch_size` and `lr` are this kind of run's defaults.
    pub fn parse(f: &Fields, batch_size: u64, lr: f64, default_seed: u64) -> Result<Self, LabError> {
        Ok(Self {
            steps: f.integer("steps", 300, 1, 1_000_000)? as usize,
            batch_size: f.integer("batchSize", batch_size, 1, 4096)? as usize,
            lr: f.positive("lr", lr)?,
            seed: f.integer("seed", default_seed, 0, u32::MAX as u64)?,
            log_every: f.integer("logEvery", 10, 1, 1_000_000)? as usize,
            eval_every: f.integer("evalEvery", 50, 0, 1_000_000)? as usize,
        })
    }

    pub fn loop_config(&self, phase: &'static str) -> LoopConfig {
        LoopConfig { phase, steps: self.steps, log_every: self.log_every, eval_every: self.eval_every, eval_at_end: true }
    }
}

/// What the host sees at each logged step.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: String,
    pub step: usize,
    pub steps: usize,
    pub loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    /// For runs judged by a probe: the k-NN accuracy beside the linear probe's (testAccuracy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knn_accuracy: Option<f64>,
    pub ms_per_step: f64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurvePoint {
    pub step: usize,
    /// The loss of this step's batch, before its update.
    pub loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knn_accuracy: Option<f64>,
}

/// One objective's training state.
#[allow(async_fn_in_trait)] // used only inside this crate, on one thread
pub trait StepTrainer {
    /// One optimizer step on the `step`-th batch; returns that batch's loss, not yet read back.
    fn step(&mut self, step: usize) -> Result<Tensor<1>, LabError>;
    /// The current weights on the test split.
    async fn evaluate(&mut self) -> Result<Evaluation, LabError>;
}

#[derive(Clone, Debug)]
pub struct LoopResult {
    pub steps_done: usize,
    pub cancelled: bool,
    pub curve: Vec<CurvePoint>,
    pub final_loss: f64,
    /// Mean training time per step after the first (which includes warm-up), evaluation excluded.
    pub ms_per_step: f64,
    pub last_eval: Option<Evaluation>,
}

pub async fn run<T: StepTrainer>(
    config: &LoopConfig,
    trainer: &mut T,
    hooks: &mut dyn RunHooks,
) -> Result<LoopResult, LabError> {
    let log_every = config.log_every.max(1);
    let mut result = LoopResult {
        steps_done: 0,
        cancelled: false,
        curve: Vec::new(),
        final_loss: f64::NAN,
        ms_per_step: 0.0,
        last_eval: None,
    };
    let (mut mark_ms, mut mark_step) = (hooks.now_ms(), 0usize);
    let (mut steady_ms, mut steady_steps) = (0.0f64, 0usize);
    let mut first_ms = 0.0;
    for step in 1..=config.steps {
        if hooks.cancelled() {
            result.cancelled = true;
            break;
        }
        let loss = trainer.step(step)?;
        result.steps_done = step;
        let last = step == config.steps;
        let evaluate = (last && config.eval_at_end) || (config.eval_every > 0 && step % config.eval_every == 0);
        if step == 1 || last || evaluate || step % log_every == 0 {
            let loss = loss
                .into_scalar_async::<f32>()
                .await
                .map_err(|e| LabError::Device(format!("reading the loss: {e:?}")))? as f64;
            let now = hooks.now_ms();
            let interval = (now - mark_ms) / (step - mark_step) as f64;
            if step == 1 {
                first_ms = now - mark_ms;
            } else {
                steady_ms += now - mark_ms;
                steady_steps += step - mark_step;
            }
            let (test_accuracy, knn_accuracy) = if evaluate {
                let evaluation = trainer.evaluate().await?;
                let accuracies = (Some(evaluation.accuracy), evaluation.knn_accuracy);
                result.last_eval = Some(evaluation);
                accuracies
            } else {
                (None, None)
            };
            result.final_loss = loss;
            result.curve.push(CurvePoint { step, loss, test_accuracy, knn_accuracy });
            hooks.progress(&Progress {
                phase: config.phase.to_string(),
                step,
                steps: config.steps,
                loss,
                test_accuracy,
                knn_accuracy,
                ms_per_step: interval,
            });
            mark_ms = hooks.now_ms();
            mark_step = step;
        }
        hooks.pause().await;
    }
    result.ms_per_step = if steady_steps > 0 { steady_ms / steady_steps as f64 } else { first_ms };
    Ok(result)
}
