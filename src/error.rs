//! Every failure the lab reports. `web.rs` turns these into JS Errors with the same message.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LabError {
    /// A config value is missing, of the wrong type or out of range; `field` names it.
    #[error("{field}: {message}")]
    Config { field: String, message: String },
    /// The data asset is missing, truncated or corrupt.
    #[error("data asset: {0}")]
    Data(String),
    /// The requested backend cannot run here.
    #[error("backend: {0}")]
    Backend(String),
    /// The device failed while running (a read-back error, a lost GPU).
    #[error("device: {0}")]
    Device(String),
    /// Another run holds the lab.
    #[error("the lab is busy with another run; cancel it or wait for it to finish")]
    Busy,
}

impl LabError {
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config { field: field.into(), message: message.into() }
    }
}
