//! The Binary trace reader on arbitrary bytes (see common.rs).
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::read_trace(data, tasim::trace::open::Format::Binary, "trace.bin");
});
