//! What a training run needs from its host. The browser facade implements it with JS callbacks
//! and a `setTimeout` pause; native code with `NativeHooks`.

use std::future::Future;
use std::pin::Pin;

use super::run_loop::Progress;

pub trait RunHooks {
    /// Milliseconds from some fixed origin (for ms/step).
    fn now_ms(&self) -> f64;
    /// Whether the caller asked the run to stop.
    fn cancelled(&self) -> bool;
    /// Called at every logged step.
    fn progress(&mut self, progress: &Progress);
    /// Lets the host's event loop run (a click on Cancel, a repaint) between steps.
    fn pause(&self) -> Pin<Box<dyn Future<Output = ()>>>;
}

/// Hooks for native runs (tests, examples, benchmarks): a monotonic clock, the progress log, and
/// an optional step at which to cancel.
#[cfg(not(target_arch = "wasm32"))]
pub struct NativeHooks {
    pub start: std::time::Instant,
    pub log: Vec<Progress>,
    pub cancel_after_step: Option<usize>,
    pub echo: bool,
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for NativeHooks {
    fn default() -> Self {
        Self { start: std::time::Instant::now(), log: Vec::new(), cancel_after_step: None, echo: false }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl RunHooks for NativeHooks {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    fn cancelled(&self) -> bool {
        match (self.cancel_after_step, self.log.last()) {
            (Some(limit), Some(last)) => last.step >= limit,
            _ => false,
        }
    }

    fn progress(&mut self, progress: &Progress) {
        if self.echo {
            eprintln!(
                "{} step {}/{} loss {:.4} acc {} {:.1} ms/step",
                progress.phase,
                progress.step,
                progress.steps,
                progress.loss,
                progress.test_accuracy.map(|a| format!("{:.2}%", a * 100.0)).unwrap_or_else(|| "-".into()),
                progress.ms_per_step
            );
        }
        self.log.push(progress.clone());
    }

    fn pause(&self) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(std::future::ready(()))
    }
}
