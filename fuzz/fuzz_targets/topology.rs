//! The topology loader and elaboration on arbitrary bytes: load (YAML, includes, overrides,
//! units), then build every component through the registry (parameter checks, `init`).
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch_file("topology.yaml", data);
    if let Ok(topo) = tasim::topology::load(&path, &[]) {
        let _ = tasim::elaborate::elaborate(&topo, tasim::elaborate::Options::default());
    }
});
