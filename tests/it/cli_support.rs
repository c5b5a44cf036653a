//! Running the `tasim` binary from tests: the one place that knows how.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root (tests run the binary from there, as a user would).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `tasim ARGS` in the repository root.
pub fn tasim(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tasim")).args(args).current_dir(root()).output().expect("run tasim")
}

/// A fresh empty directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("tasim-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn str(&self, rel: &str) -> String {
        self.path(rel).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Assert success and return stdout.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "tasim failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Read `metrics.json` from an --out directory.
pub fn metrics(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).expect("metrics.json")).expect("valid JSON")
}

/// Test accuracy of the last epoch.
pub fn final_test_accuracy(m: &serde_json::Value) -> f64 {
    m["epochs"].as_array().and_then(|e| e.last()).and_then(|e| e["test_accuracy"].as_f64()).expect("test accuracy")
}

/// All files of a directory with their bytes, sorted by name.
pub fn dir_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"))
        })
        .collect();
    v.sort();
    v
}
