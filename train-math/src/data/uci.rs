//! The UCI "Optical Recognition of Handwritten Digits" test set (1,797 8x8 digits, pixel
//! values 0..16), vendored gzip'd at `train-math/data/uci-digits.csv.gz` and embedded.
//!
//! Fixed split: sample `i` (0-based line number) is a test sample when
//! `rng::mix64(i) % 5 == 0` (the SplitMix64 output function), a training sample otherwise: 1,435 training and 362 test samples, every class in both.
//! A hash rather than `i % 5`: the file cycles through the digits 0..9 in long runs, so any
//! rule on `i % 5` would put only two classes in the test set.

use super::{DataError, Dataset, Split};
use crate::tensor::Shape3;
use std::io::Read;

/// The vendored file (sha256 09f66e6d...23aa22, CC BY 4.0, see `train-math/data/README.md`).
pub const UCI_DIGITS_GZ: &[u8] = include_bytes!("../../data/uci-digits.csv.gz");

/// Parse the CSV: 64 pixel values (0..16, row-major) then the label (0..9) per line.
/// Pixels are scaled to 0..255 (`min(16 p, 255)`).
pub fn parse_csv(text: &str) -> Result<Dataset, DataError> {
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 65 {
            return Err(DataError::new(
                format!(
                    "line {}: expected 65 comma-separated values (64 pixels and a label), found {}",
                    n + 1,
                    fields.len()
                ),
                "use the UCI optdigits CSV format",
            ));
        }
        for (k, f) in fields.iter().enumerate() {
            let v: u8 = f.parse().ok().filter(|&v| if k < 64 { v <= 16 } else { v <= 9 }).ok_or_else(|| {
                DataError::new(
                    format!(
                        "line {}, value {}: '{f}' is not {}",
                        n + 1,
                        k + 1,
                        if k < 64 { "a pixel in 0..16" } else { "a label in 0..9" }
                    ),
                    "use the UCI optdigits CSV format",
                )
            })?;
            if k < 64 {
                images.push((v as u16 * 16).min(255) as u8);
            } else {
                labels.push(v);
            }
        }
    }
    if labels.is_empty() {
        return Err(DataError::new("the CSV holds no samples", "use the UCI optdigits CSV format"));
    }
    Ok(Dataset { shape: Shape3::new(1, 8, 8), classes: 10, images, labels })
}

/// Gunzip and parse.
pub fn parse_gz(bytes: &[u8]) -> Result<Dataset, DataError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).map_err(|e| {
        DataError::new(format!("not a readable gzip'd CSV: {e}"), "give the uci-digits.csv.gz file unchanged")
    })?;
    parse_csv(&text)
}

/// Split by the fixed rule (`mix64(i) % 5 == 0` is test).
pub fn split(all: &Dataset) -> Split {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..all.len()).partition(|&i| crate::rng::mix64(i as u64) % 5 == 0);
    Split { train: all.subset(&train), test: all.subset(&test) }
}

/// The embedded data set, split.
pub fn embedded() -> Split {
    split(&parse_gz(UCI_DIGITS_GZ).expect("the vendored UCI file is valid (checked by a test)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_set_has_the_documented_split() {
        let s = embedded();
        assert_eq!((s.train.len(), s.test.len()), (1435, 362));
        for c in 0..10u8 {
            assert!(s.test.labels.iter().filter(|&&l| l == c).count() > 25);
        }
        // First line of the file: 0,0,5,13,9,1,... label 0.
        let all = parse_gz(UCI_DIGITS_GZ).unwrap();
        assert_eq!(&all.image(0)[..4], &[0, 0, 80, 208]);
        assert_eq!(all.label(0), 0);
    }

    #[test]
    fn bad_csv_names_line_and_value() {
        let e = parse_csv("1,2,3\n").unwrap_err();
        assert!(e.message.contains("line 1") && e.message.contains("found 3"), "{e}");
        let mut line = vec!["0"; 64];
        line.push("12");
        let e = parse_csv(&line.join(",")).unwrap_err();
        assert!(e.message.contains("label"), "{e}");
        assert!(parse_gz(b"not gzip").is_err());
    }
}
