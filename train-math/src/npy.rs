//! NumPy `.npy` encoding and decoding of float arrays (format versions 1.0-3.0, C order).
//!
//! Written arrays are little-endian float32 (`<f4`); `<f4`, `>f4`, `<f8` and `>f8` are read.

/// A malformed or unsupported `.npy` payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a usable .npy array: {message}")]
pub struct NpyError {
    pub message: String,
    fix: String,
}

impl NpyError {
    fn new(message: impl Into<String>) -> Self {
        NpyError {
            message: message.into(),
            fix: "write it with numpy.save(path, array.astype(numpy.float32)) (C order)".into(),
        }
    }

    pub fn fix(&self) -> &str {
        &self.fix
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Encode an f32 array of `shape` as a version 1.0 `.npy` file.
pub fn encode_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    debug_assert_eq!(shape.iter().product::<usize>(), data.len());
    let dims = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    // Pad so the data starts on a 64-byte boundary; the header ends with a newline.
    let total = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 4 * data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Decode a float array: (shape, values as f32).
pub fn decode_f32(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), NpyError> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(NpyError::new("the file does not start with the \\x93NUMPY magic"));
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(NpyError::new(format!("unsupported format version {v}"))),
    };
    let header =
        bytes.get(start..start + header_len).ok_or_else(|| NpyError::new("the header is longer than the file"))?;
    let header = std::str::from_utf8(header).map_err(|_| NpyError::new("the header is not text"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| NpyError::new("the header has no 'descr'"))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran =
        dict_value(header, "fortran_order").ok_or_else(|| NpyError::new("the header has no 'fortran_order'"))?;
    if fortran != "False" {
        return Err(NpyError::new("Fortran-ordered arrays are not supported"));
    }
    let shape_text = dict_value(header, "shape").ok_or_else(|| NpyError::new("the header has no 'shape'"))?;
    let shape = parse_shape(shape_text)?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| NpyError::new("the shape is too large"))?;
    let body = &bytes[start + header_len..];
    let (width, little, is64) = match descr {
        "<f4" | "=f4" => (4, true, false),
        ">f4" => (4, false, false),
        "<f8" | "=f8" => (8, true, true),
        ">f8" => (8, false, true),
        d => return Err(NpyError::new(format!("dtype '{d}' is not a float32/float64 array"))),
    };
    if body.len() != count.saturating_mul(width) {
        return Err(NpyError::new(format!(
            "shape {shape:?} needs {} data bytes but the file has {} (truncated or corrupt)",
            count.saturating_mul(width),
            body.len()
        )));
    }
    let values = body
        .chunks_exact(width)
        .map(|c| match (is64, little) {
            (false, true) => f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            (false, false) => f32::from_be_bytes([c[0], c[1], c[2], c[3]]),
            (true, le) => {
                let a: [u8; 8] = c.try_into().expect("8 bytes");
                (if le { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) }) as f32
            }
        })
        .collect();
    Ok((shape, values))
}

/// The text of a value in the header's Python dict literal (up to the next top-level comma).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'")).or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

fn parse_shape(text: &str) -> Result<Vec<usize>, NpyError> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| NpyError::new(format!("shape '{text}' is not a tuple")))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| NpyError::new(format!("shape '{text}' is not a tuple of integers")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_alignment() {
        let data = [1.0f32, -2.5, 3.25, 0.0, 1e-7, 7.0];
        let bytes = encode_f32(&[2, 3], &data);
        assert_eq!((bytes.len() - 24) % 64, 0);
        assert_eq!(decode_f32(&bytes).unwrap(), (vec![2, 3], data.to_vec()));
        let one = encode_f32(&[3], &[1.0, 2.0, 3.0]);
        assert!(std::str::from_utf8(&one[10..74]).unwrap().contains("'shape': (3,)"));
        assert_eq!(decode_f32(&one).unwrap().0, vec![3]);
    }

    #[test]
    fn numpy_written_header_is_read() {
        // Header as numpy 1.x writes it for np.save('x.npy', np.zeros((2,), '<f8')).
        let mut h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".to_string();
        while h.len() < 117 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&1.5f64.to_le_bytes());
        b.extend_from_slice(&(-2.0f64).to_le_bytes());
        assert_eq!(decode_f32(&b).unwrap(), (vec![2], vec![1.5, -2.0]));
    }

    #[test]
    fn corrupt_files_are_errors() {
        assert!(decode_f32(b"hello").unwrap_err().message.contains("magic"));
        let mut b = encode_f32(&[4], &[1.0, 2.0, 3.0, 4.0]);
        b.truncate(b.len() - 3);
        assert!(decode_f32(&b).unwrap_err().message.contains("truncated"));
        let mut b = encode_f32(&[1], &[1.0]);
        let at = b.windows(3).position(|w| w == b"<f4").unwrap();
        b[at + 1] = b'i';
        assert!(decode_f32(&b).unwrap_err().message.contains("dtype"));
    }
}
