//! What every pretraining objective reads from its config besides its own fields: the images it
//! learns from, the activation, the shared run settings and how the base gets probed.

use crate::config::Fields;
use crate::data::ClassSet;
use crate::error::LabError;
use crate::model::Activation;
use super::probe::ProbeConfig;
use super::run_loop::RunSettings;

/// The base task when none is given: the 8 digits that are neither 4 nor 9.
pub const BASE_TASK_CLASSES: [i64; 8] = [0, 1, 2, 3, 5, 6, 7, 8];
pub const ALL_CLASSES: [i64; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

#[derive(Clone, Debug)]
pub struct PretrainSettings {
    /// The digits whose training images the objective sees.
    pub classes: ClassSet,
    pub activation: Activation,
    pub run: RunSettings,
    /// How the finished base is probed; `None` with `probe: false`.
    pub probe: Option<ProbeConfig>,
}

/// Defaults that differ between objectives.
pub struct PretrainDefaults {
    pub classes: &'static [i64],
    pub batch_size: u64,
    pub lr: f64,
}

impl PretrainSettings {
    pub const FIELDS: [&'static str; 3] = ["classes", "activation", "probe"];

    /// Every field this struct reads, for `Fields::only`.
    pub fn fields() -> Vec<&'static str> {
        [&Self::FIELDS[..], &RunSettings::FIELDS[..], &ProbeConfig::FIELDS[..]].concat()
    }

    pub fn parse(f: &Fields, defaults: &PretrainDefaults, default_seed: u64) -> Result<Self, LabError> {
        let classes = ClassSet::new("classes", &f.integers("classes")?.unwrap_or_else(|| defaults.classes.to_vec()))?;
        Ok(Self {
            classes,
            activation: match f.choice("activation", "relu", &["relu", "none"])? {
                "none" => Activation::None,
                _ => Activation::Relu,
            },
            run: RunSettings::parse(f, defaults.batch_size, defaults.lr, default_seed)?,
            probe: if f.boolean("probe", true)? { Some(ProbeConfig::parse(f)?) } else { None },
        })
    }

    /// For objectives whose only evaluation is the probe: without it nothing is evaluated, and
    /// asking for evaluations is an error.
    pub fn evaluate_by_probe_only(mut self, f: &Fields) -> Result<Self, LabError> {
        if self.probe.is_none() {
            if f.has("evalEvery") && self.run.eval_every > 0 {
                return Err(LabError::config("evalEvery", "this objective is evaluated by its probe; set probe: true or evalEvery: 0"));
            }
            self.run.eval_every = 0;
        }
        Ok(self)
    }
}
