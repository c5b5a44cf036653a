//! Interruption by Ctrl-C (SIGINT) or SIGTERM: the temporary files and directories a command
//! is writing are removed, and the process exits with the conventional code 128 + the signal
//! number (130, 143), as a shell reports a killed command.
//!
//! Every temporary path (an output's `.tmp<pid>` sibling, a directory's staging copy, a
//! trace recorder's spill files) is held by a [`Temp`] guard while it exists. [`install`]
//! starts a thread that waits for the signals; on one, it removes every path still held and
//! exits. Work in progress on other threads is not waited for: no output is half-written,
//! because every output reaches its real name only by a rename that the removal precedes or
//! follows whole.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Temporary paths that exist now, each with the serial number of its guard.
pub struct Registry {
    temps: Mutex<Vec<(u64, PathBuf)>>,
    next: AtomicU64,
}

/// The process's registry, emptied by the signal thread.
static GLOBAL: Registry = Registry::new();

impl Registry {
    pub const fn new() -> Registry {
        Registry { temps: Mutex::new(Vec::new()), next: AtomicU64::new(0) }
    }

    /// Holds `path` (a file or a directory, existing or about to be created) until the guard
    /// is dropped.
    pub fn hold(&'static self, path: &Path) -> Temp {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.temps.lock().unwrap_or_else(|e| e.into_inner()).push((id, path.to_path_buf()));
        Temp { id, registry: self }
    }

    /// Removes every held path (files, and directories with their contents) and forgets
    /// them; returns how many were removed.
    pub fn remove_held(&self) -> usize {
        let held = std::mem::take(&mut *self.temps.lock().unwrap_or_else(|e| e.into_inner()));
        let mut removed = 0;
        for (_, p) in held {
            let gone = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            removed += usize::from(gone.is_ok());
        }
        removed
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

/// A temporary path, removed if the process is interrupted while the guard lives. Dropping
/// the guard only forgets the path (its owner removes or renames it itself).
#[derive(Debug)]
pub struct Temp {
    id: u64,
    registry: &'static Registry,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Temp {
    /// Holds `path` in the process's registry (see [`Registry::hold`]).
    pub fn hold(path: &Path) -> Temp {
        GLOBAL.hold(path)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        self.registry.temps.lock().unwrap_or_else(|e| e.into_inner()).retain(|(id, _)| *id != self.id);
    }
}

/// Child processes running now (their ids), and whether a signal has arrived: under one lock,
/// so that no child starts after the signal thread has stopped the others.
static CHILDREN: Mutex<(bool, Vec<u32>)> = Mutex::new((false, Vec::new()));

/// Runs `cmd` to completion like [`std::process::Command::output`], as a child that an
/// interruption of this process also stops (SIGTERM; the child, a tasim, then removes its
/// own temporary files). After an interruption no child starts: the call fails instead.
///
/// # Errors
/// The child could not start, or this process is being interrupted.
pub fn child_output(cmd: &mut std::process::Command) -> std::io::Result<std::process::Output> {
    let child = {
        let mut c = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        if c.0 {
            return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted"));
        }
        let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn()?;
        c.1.push(child.id());
        child
    };
    let id = child.id();
    let out = child.wait_with_output();
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner()).1.retain(|&p| p != id);
    out
}

/// Marks the process interrupted and sends SIGTERM to every child still running.
fn stop_children() {
    let mut c = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    c.0 = true;
    for &pid in &c.1 {
        if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
            // The child may have ended already: nothing to stop then.
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
}

/// Starts the thread that handles SIGINT and SIGTERM for the rest of the process: on either,
/// it stops the children started by [`child_output`], removes the held temporary paths, prints one line to standard error and exits with
/// 128 + the signal number. A second signal during the cleanup is ignored. If the handler
/// cannot be installed (no thread), the default action stays (exit without cleanup).
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(sig) = signals.forever().next() {
            stop_children();
            let removed = GLOBAL.remove_held();
            let name = if sig == SIGINT { "interrupted (SIGINT)" } else { "terminated (SIGTERM)" };
            let extra = if removed > 0 { format!("; removed {removed} temporary file(s)") } else { String::new() };
            // Not eprintln!: standard error may be a closed pipe (a sweep's child whose
            // parent is gone), and a panic here would leave the process running.
            let _ = writeln!(std::io::stderr(), "tasim: {name}{extra}");
            std::process::exit(128 + sig);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_paths_are_removed_and_released_ones_are_not() {
        let dir = std::env::temp_dir().join(format!("tasim-interrupt-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("stage")).unwrap();
        let (a, b, c) = (dir.join("a.tmp"), dir.join("stage"), dir.join("kept"));
        std::fs::write(&a, b"x").unwrap();
        std::fs::write(b.join("f"), b"x").unwrap();
        std::fs::write(&c, b"x").unwrap();
        static LOCAL: Registry = Registry::new();
        let ga = LOCAL.hold(&a);
        let gb = LOCAL.hold(&b);
        drop(LOCAL.hold(&c));
        assert_eq!(LOCAL.remove_held(), 2);
        assert!(!a.exists() && !b.exists() && c.exists());
        drop((ga, gb));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
