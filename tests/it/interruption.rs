//! Ctrl-C and SIGTERM in the middle of a run: the run's temporary files are removed, nothing
//! is left half-written, and the exit code is the shell's convention (128 + signal).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;

use crate::cli_support::{root, TempDir};

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[rstest]
#[case::sigint("INT", 130)]
#[case::sigterm("TERM", 143)]
fn an_interrupted_run_removes_its_temporary_files_and_exits_128_plus_the_signal(
    #[case] signal: &str,
    #[case] code: i32,
) {
    let dir = TempDir::new(&format!("interrupt_{signal}"));
    let trace = dir.str("run.mtrace");
    let out = dir.str("out");
    // Long enough never to finish before the signal: a thousand epochs of the paper chip.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tasim"))
        .args([
            "run",
            "topologies/paper-chip.yaml",
            "--set",
            "ctrl.epochs=1000",
            "--record-trace",
            &trace,
            "--out",
            &out,
        ])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tasim");
    // The recorder's spill file appears once the simulation runs.
    let start = Instant::now();
    while !names(&dir.0).iter().any(|n| n.contains(".spill")) {
        assert!(start.elapsed() < Duration::from_secs(120), "no spill file appeared: {:?}", names(&dir.0));
        assert!(child.try_wait().expect("poll").is_none(), "the run ended before the signal");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let done = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(code), "{err}");
    assert!(err.contains("removed 1 temporary file"), "{err}");
    assert_eq!(names(&dir.0), Vec::<String>::new(), "nothing left behind, no partial trace or out directory");
}
