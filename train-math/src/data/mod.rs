//! Data sets: 8-bit grey images with class labels, and their parsers and generators.
//!
//! Parsers take bytes (the `tasim` side reads files): [`uci`] (the vendored UCI digits CSV),
//! [`idx`] (MNIST IDX files). [`synth`] draws the built-in handwriting-personalisation set.

pub mod idx;
pub mod synth;
pub mod uci;

use crate::tensor::Shape3;

/// Images (`u8` pixels, 0 = background) with labels in `0..classes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    pub shape: Shape3,
    pub classes: usize,
    /// `len() * shape.len()` pixels, image after image, each in (C, H, W) order.
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * self.shape.len()..][..self.shape.len()]
    }

    pub fn label(&self, i: usize) -> usize {
        self.labels[i] as usize
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            shape: self.shape,
            classes: self.classes,
            images: indices.iter().flat_map(|&i| self.image(i).iter().copied()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// The first label that is not below `classes`, as (sample index, label).
    pub fn label_out_of_range(&self, classes: usize) -> Option<(usize, usize)> {
        self.labels.iter().position(|&l| l as usize >= classes).map(|i| (i, self.labels[i] as usize))
    }

    /// Check that the images have the model's input shape and the labels its classes.
    pub fn check_fits(&self, input: Shape3, classes: usize) -> Result<(), Misfit> {
        if self.shape != input {
            return Err(Misfit::Shape { images: self.shape, model: input });
        }
        match self.label_out_of_range(classes) {
            Some((sample, label)) => Err(Misfit::Label { sample, label, classes }),
            None => Ok(()),
        }
    }
}

/// How a data set fails to fit a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Misfit {
    #[error("images are {images} (CxHxW) but the model expects {model}")]
    Shape { images: Shape3, model: Shape3 },
    #[error("sample {sample} has label {label}, but the model has {classes} classes")]
    Label { sample: usize, label: usize, classes: usize },
}

/// A training set and a held-out test set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Dataset,
    pub test: Dataset,
}

/// A data set that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DataError {
    pub message: String,
    pub fix: String,
}

impl DataError {
    pub(crate) fn new(message: impl Into<String>, fix: impl Into<String>) -> Self {
        DataError { message: message.into(), fix: fix.into() }
    }
}

/// Int8 datapath input: pixel `p` becomes `p >> 1` at exponent [`crate::model::INPUT_EXP`].
pub fn image_to_i8(pixels: &[u8]) -> Vec<i8> {
    pixels.iter().map(|&p| (p >> 1) as i8).collect()
}

/// Float input: pixel `p` becomes `p / 256` (the same real value as the int8 input, up to its
/// dropped last bit).
pub fn image_to_float<T: crate::kernels::Real>(pixels: &[u8]) -> Vec<T> {
    pixels.iter().map(|&p| T::from_f64(p as f64 / 256.0)).collect()
}
