//! `tasim train`: the standalone trainer's edge — model YAML, data-set specs, weight files,
//! JSON reports. The math lives in `train_math`; this module only reads and writes files.

pub mod cli;
pub mod dataset;
pub mod model_file;
pub mod report;
pub mod setup;
pub mod weights_dir;

use std::path::Path;

/// Write a file so that readers never see it half-written: a temporary sibling, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
