//! The model file reader on arbitrary text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = tasim::train::model_file::parse(std::path::Path::new("model.yaml"), text);
});
