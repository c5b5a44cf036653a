//! What the file-reading targets share: the input goes to a file of this process (the
//! readers take paths, as the CLI does), then through the reader. Any `Err` is a correct
//! refusal; a panic, an abort, a hang or unbounded memory is a finding.

use std::path::PathBuf;

/// Writes `data` to this process's scratch file named `name` and returns its path.
pub fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tasim-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("the scratch file is written");
    path
}

/// Reads every record of the trace at `path` in `format` (at most a million: the fuzzer's
/// inputs are small, so more would be a reader that does not advance).
#[allow(dead_code)] // each target uses what it needs of this module
pub fn read_trace(data: &[u8], format: tasim::trace::open::Format, name: &str) {
    let path = scratch_file(name, data);
    let assume = tasim::trace::open::Assume::default();
    if let Ok(mut r) = tasim::trace::open::open(&path, Some(format), assume) {
        for _ in 0..1_000_000 {
            match r.next_record() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            }
        }
        panic!("a reader of {} bytes gave a million records", data.len());
    }
}
