//! The crate's error type. Every variant is a problem with the caller's input (model, config,
//! data, weights); the library never fails for internal reasons.

use crate::data::DataError;
use crate::npy::NpyError;
use crate::spec::SpecError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A shape problem in the model.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A training-configuration value out of range; `field` names it.
    #[error("{field}: {message}")]
    Config { field: String, message: String, fix: String },
    /// Weights that do not fit the model; `tensor` names the offending tensor.
    #[error("{}{message}", tensor.as_ref().map(|t| format!("{t}: ")).unwrap_or_default())]
    Weights { tensor: Option<String>, message: String, fix: String },
    /// A data set that does not fit the model or could not be parsed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A malformed `.npy` file.
    #[error(transparent)]
    Npy(#[from] NpyError),
}

impl Error {
    /// How to fix the problem, in one sentence.
    pub fn fix(&self) -> &str {
        match self {
            Error::Spec(e) => &e.fix,
            Error::Config { fix, .. } | Error::Weights { fix, .. } => fix,
            Error::Data(e) => &e.fix,
            Error::Npy(e) => e.fix(),
        }
    }
}
