//! The `.npy` decoder on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = train_math::npy::decode_f32(data);
});
