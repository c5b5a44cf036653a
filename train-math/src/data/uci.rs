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

    /// SHA-256 (FIPS 180-4), enough to check the vendored bytes without a dependency.
    fn sha256(data: &[u8]) -> String {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
            0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
            0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
            0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
            0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
            0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
            0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let mut h: [u32; 8] =
            [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
        for block in msg.chunks(64) {
            let mut w = [0u32; 64];
            for i in 0..16 {
                w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
            }
            for (a, b) in h.iter_mut().zip(v) {
                *a = a.wrapping_add(b);
            }
        }
        h.iter().map(|x| format!("{x:08x}")).collect()
    }

    #[test]
    fn vendored_file_keeps_its_published_checksum() {
        assert_eq!(sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256(UCI_DIGITS_GZ), "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22");
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
