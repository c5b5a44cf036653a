//! MNIST-style IDX files: unsigned-byte images (`[n, h, w]`) and labels (`[n]`).

use super::{DataError, Dataset};
use crate::tensor::Shape3;

fn header(bytes: &[u8], what: &str, dims: usize) -> Result<Vec<usize>, DataError> {
    let fix = "give an uncompressed MNIST-format IDX file (gunzip *.gz first)";
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(DataError::new(format!("{what}: not an IDX file (bad magic number)"), fix));
    }
    if bytes[2] != 0x08 {
        return Err(DataError::new(
            format!("{what}: element type 0x{:02x} is not unsigned byte (0x08)", bytes[2]),
            fix,
        ));
    }
    if bytes[3] as usize != dims {
        return Err(DataError::new(format!("{what}: {} dimensions where {dims} are expected", bytes[3]), fix));
    }
    let head = 4 + 4 * dims;
    if bytes.len() < head {
        return Err(DataError::new(format!("{what}: the header is truncated"), fix));
    }
    let shape: Vec<usize> = (0..dims)
        .map(|d| u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize)
        .collect();
    let want = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).unwrap_or(usize::MAX);
    if bytes.len() - head != want {
        return Err(DataError::new(
            format!(
                "{what}: the header announces {want} bytes of data but the file has {} (truncated or corrupt)",
                bytes.len() - head
            ),
            fix,
        ));
    }
    Ok(shape)
}

/// Parse an images file and a labels file into a data set of `classes` classes.
pub fn parse(images: &[u8], labels: &[u8], classes: usize) -> Result<Dataset, DataError> {
    let s = header(images, "images", 3)?;
    let l = header(labels, "labels", 1)?;
    if s[0] != l[0] {
        return Err(DataError::new(
            format!("{} images but {} labels", s[0], l[0]),
            "give the labels file that belongs to the images file",
        ));
    }
    if s[0] == 0 || s[1] == 0 || s[2] == 0 {
        return Err(DataError::new("the images file holds no pixels", "give a non-empty IDX images file"));
    }
    let d = Dataset {
        shape: Shape3::new(1, s[1], s[2]),
        classes,
        images: images[16..].to_vec(),
        labels: labels[8..].to_vec(),
    };
    if let Some((i, v)) = d.label_out_of_range(classes) {
        return Err(DataError::new(
            format!("label {v} of sample {i} is out of range 0..{}", classes - 1),
            "labels must be class indices below `classes`",
        ));
    }
    Ok(d)
}

/// Encode a data set as IDX (images, labels): used by tests and tools.
pub fn encode(d: &Dataset) -> (Vec<u8>, Vec<u8>) {
    let mut im = vec![0, 0, 8, 3];
    for v in [d.len(), d.shape.h, d.shape.w] {
        im.extend_from_slice(&(v as u32).to_be_bytes());
    }
    im.extend_from_slice(&d.images);
    let mut lb = vec![0, 0, 8, 1];
    lb.extend_from_slice(&(d.len() as u32).to_be_bytes());
    lb.extend_from_slice(&d.labels);
    (im, lb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let d = Dataset { shape: Shape3::new(1, 2, 3), classes: 10, images: (0..12).collect(), labels: vec![3, 9] };
        let (im, lb) = encode(&d);
        assert_eq!(parse(&im, &lb, 10).unwrap(), d);
        assert!(parse(&im[..20], &lb, 10).unwrap_err().message.contains("truncated"));
        assert!(parse(&lb, &im, 10).unwrap_err().message.contains("dimensions"));
        let e = parse(&im, &lb, 5).unwrap_err();
        assert!(e.message.contains("label 9"), "{e}");
    }
}
