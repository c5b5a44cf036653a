//! Writing output files whole or not at all: write a temporary sibling, then rename.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::interrupt::Temp;

/// What a command prints on standard output: its text report, or one JSON document with
/// the same figures (`--format json`, for scripts and sweeps: no text parsing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Writes `bytes` to `path` atomically (a reader never sees half a file; a failed or
/// interrupted run leaves no partial output behind: the temporary name is held for
/// [`crate::interrupt`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_name(path);
    let _held = Temp::hold(&tmp);
    let res = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.with_context(|| format!("cannot write {}", path.display()))
}

/// A file written under a temporary sibling name and renamed into place by
/// [`AtomicFile::commit`]; dropped without a commit, it is removed (a failed or interrupted
/// run leaves no partial output). For outputs too large to hold in memory (traces).
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<fs::File>,
    /// Removes `tmp` on Ctrl-C or SIGTERM.
    _held: Temp,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self> {
        let tmp = tmp_name(path);
        let _held = Temp::hold(&tmp);
        let file = fs::File::create(&tmp).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(AtomicFile { path: path.to_path_buf(), tmp, file: Some(file), _held })
    }

    /// The file being written (its temporary name on disk).
    pub fn file(&mut self) -> &mut fs::File {
        self.file.as_mut().expect("not yet committed")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Syncs the file and gives it its real name.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("committed once");
        let res = file.sync_all().and_then(|()| fs::rename(&self.tmp, &self.path));
        if res.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        res.with_context(|| format!("cannot write {}", self.path.display()))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file().flush()
    }
}

impl std::io::Seek for AtomicFile {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file().seek(pos)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn tmp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Creates the output directory (and parents).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create output directory {}", dir.display()))
}

/// A directory of outputs written whole or not at all: every file is written into a staging
/// directory beside it first, and only then moved into place. A run that fails while writing
/// leaves the destination as it was.
#[derive(Debug, Default)]
pub struct OutDir {
    files: Vec<(String, Vec<u8>)>,
}

impl OutDir {
    pub fn new() -> Self {
        OutDir::default()
    }

    /// Adds file `name` with `bytes` (written at [`OutDir::commit`]); a second `add` of the
    /// same name replaces the first.
    pub fn add(&mut self, name: &str, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        match self.files.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = bytes,
            None => self.files.push((name.to_string(), bytes)),
        }
    }

    /// The names added, in order.
    pub fn names(&self) -> Vec<&str> {
        self.files.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Writes the files to `dir`. A new `dir` appears complete (one rename of the staging
    /// directory). An existing `dir` keeps its other files: with `replace`, it is swapped
    /// whole for the new one (a weights directory, whose files belong together); without,
    /// the new files are renamed into it one by one after all of them are written.
    pub fn commit(self, dir: &Path, replace: bool) -> Result<()> {
        let stage = sibling(dir, "tmp");
        let _held = Temp::hold(&stage);
        let res = self.commit_via(dir, &stage, replace);
        if stage.exists() {
            let _ = fs::remove_dir_all(&stage);
        }
        res.with_context(|| format!("cannot write the output directory {}", dir.display()))
    }

    fn commit_via(&self, dir: &Path, stage: &Path, replace: bool) -> std::io::Result<()> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let _ = fs::remove_dir_all(stage);
        fs::create_dir(stage)?;
        for (name, bytes) in &self.files {
            let mut f = fs::File::create(stage.join(name))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        if !dir.exists() {
            return fs::rename(stage, dir);
        }
        if replace {
            let old = sibling(dir, "old");
            let _held = Temp::hold(&old);
            fs::rename(dir, &old)?;
            if let Err(e) = fs::rename(stage, dir) {
                let _ = fs::rename(&old, dir);
                return Err(e);
            }
            return fs::remove_dir_all(&old);
        }
        for (name, _) in &self.files {
            fs::rename(stage.join(name), dir.join(name))?;
        }
        Ok(())
    }
}

/// `DIR.<what><pid>` beside `dir`.
fn sibling(dir: &Path, what: &str) -> PathBuf {
    let mut name = dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "out".into());
    name.push(format!(".{what}{}", std::process::id()));
    dir.with_file_name(name)
}

/// Checks before any work that an output directory can be made at `dir` (given by `option`):
/// not an existing file, and inside a directory that exists and takes new files.
pub fn check_out_dir(dir: &Path, option: &str) -> Result<(), crate::InputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(crate::InputError::new(format!("{option} {}: exists and is not a directory", dir.display()))
            .field(option)
            .fix("name a directory (new or existing) for the output files"));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    check_writable(parent, option)
}

/// Checks before any work that an output file can be written at `path` (given by `option`):
/// not a directory, and in a directory that exists and takes new files.
pub fn check_out_file(path: &Path, option: &str) -> Result<(), crate::InputError> {
    if path.is_dir() {
        return Err(crate::InputError::new(format!("{option} {}: is a directory", path.display()))
            .field(option)
            .fix("name a file to write"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    check_writable(parent, option)
}

/// `dir` exists, is a directory and takes a new file (probed with an empty file, removed).
fn check_writable(dir: &Path, option: &str) -> Result<(), crate::InputError> {
    let fail = |why: String| {
        crate::InputError::new(format!("{option}: cannot write in {}: {why}", dir.display()))
            .field(option)
            .fix("create the directory first, or choose one you can write to")
    };
    if !dir.is_dir() {
        return Err(fail("no such directory".into()));
    }
    let probe = dir.join(format!(".tasim-probe{}", std::process::id()));
    match fs::File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tasim-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_directory_is_written_whole() {
        let root = scratch("whole");
        let dir = root.join("out");
        let mut o = OutDir::new();
        o.add("a.txt", "a");
        o.add("b.txt", "b");
        o.commit(&dir, false).unwrap();
        assert_eq!(fs::read_to_string(dir.join("b.txt")).unwrap(), "b");
        // A failing commit (a file name that cannot exist) leaves the old directory as it was.
        let mut bad = OutDir::new();
        bad.add("a.txt", "new a");
        bad.add("no/such/dir/c.txt", "c");
        assert!(bad.commit(&dir, true).is_err());
        assert_eq!(fs::read_to_string(dir.join("a.txt")).unwrap(), "a");
        let left: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["out"], "no staging directory left behind");
        // Replacing swaps the whole directory: old files do not survive beside new ones.
        let mut new = OutDir::new();
        new.add("c.txt", "c");
        new.commit(&dir, true).unwrap();
        assert!(!dir.join("a.txt").exists());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn output_paths_are_checked_before_work() {
        let root = scratch("check");
        let file = root.join("f");
        fs::write(&file, "x").unwrap();
        assert!(check_out_dir(&file, "--out").unwrap_err().message.contains("is not a directory"));
        assert!(check_out_file(&root, "--record-trace").unwrap_err().message.contains("is a directory"));
        assert!(check_out_file(&root.join("missing/x.txt"), "OUT").unwrap_err().message.contains("no such directory"));
        assert!(check_out_dir(&root.join("new"), "--out").is_ok());
        fs::remove_dir_all(&root).unwrap();
    }
}
