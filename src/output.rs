//! Writing output files whole or not at all: write a temporary sibling, then rename.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

/// What a command prints on standard output: its text report, or one JSON document with
/// the same figures (`--format json`, for scripts and sweeps: no text parsing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Writes `bytes` to `path` atomically (a reader never sees half a file; a failed run leaves
/// no partial output behind).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_name(path);
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
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self> {
        let tmp = tmp_name(path);
        let file = fs::File::create(&tmp).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(AtomicFile { path: path.to_path_buf(), tmp, file: Some(file) })
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
