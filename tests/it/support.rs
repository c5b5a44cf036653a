//! Running the `tasim` binary from the repository root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// Runs `tasim args...` in the repository root.
pub fn tasim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tasim")).args(args).current_dir(root()).output().expect("tasim runs")
}

/// `tasim train` with the paper chip's model, data, precision and pre-trained weights (what
/// `topologies/paper-chip.yaml` trains), then `extra` (epochs, seed, outputs).
pub fn paper_train(extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--model",
        "models/paper-cnn.yaml",
        "--dataset",
        "synth:personal",
        "--precision",
        "int8",
        "--pretrained",
        "models/paper-cnn.pretrained",
    ];
    args.extend(extra);
    tasim(&args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory under the target directory, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
