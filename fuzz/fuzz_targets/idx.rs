//! The IDX (MNIST) reader on arbitrary bytes: the first 4 bytes (little endian) give the
//! length of the images file, the rest after it is the labels file, so both get mutated.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else { return };
    let at = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (images, labels) = rest.split_at(at);
    let _ = train_math::data::idx::parse(images, labels, 10);
});
