//! Opening traces of any form, creating writers, converting, and handing a reader to the
//! simulation as a record source.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Result;
use components::trace::RecordSource;

use super::binary::{BinaryReader, BinaryWriter, MAGIC};
use super::foreign::{Dialect, LineReader, LineWriter};
use super::text::{TextReader, TextWriter, FIRST_LINE};
use super::{Header, TraceEnd, TraceReader, TraceRecord, TraceWriter};
use crate::error::InputError;

/// The trace forms tasim reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Binary,
    Text,
    Dramsim3,
    Ramulator,
}

/// What an import from a form without it assumes.
#[derive(Clone, Copy, Debug)]
pub struct Assume {
    /// The clock period of DRAMSim3 cycles and of Ramulator's one-record-per-cycle pace, and
    /// of DRAMSim3 exports; `None`: the trace's own (binary, text), else 625 ps (1600 MHz,
    /// LPDDR4-3200 as in the paper chip).
    pub clock_ps: Option<u64>,
    /// Size of every imported request.
    pub bytes: u32,
}

impl Default for Assume {
    fn default() -> Self {
        Assume { clock_ps: None, bytes: 64 }
    }
}

pub const DEFAULT_CLOCK_PS: u64 = 625;

/// The clock period for `--clock-mhz` (an error names the flag).
pub fn clock_ps_of_mhz(mhz: f64) -> Result<u64, InputError> {
    if !(mhz.is_finite() && mhz > 0.0 && mhz <= 1e6) {
        return Err(InputError::new(format!(
            "--clock-mhz {mhz}: a clock needs a frequency above 0 (and at most 1 THz)"
        ))
        .field("--clock-mhz"));
    }
    Ok((1e6 / mhz).round().max(1.0) as u64)
}

/// Guesses the form of `path` from its first bytes: the binary magic, the text form's first
/// line, or the shape of a DRAMSim3 or Ramulator line. Files that look binary are read as
/// binary (and their magic is checked there, with its offset).
pub fn detect(path: &Path) -> Result<Format, InputError> {
    let mut head = vec![0u8; 4096];
    let mut f =
        std::fs::File::open(path).map_err(|e| InputError::new(format!("cannot read the trace: {e}")).in_file(path))?;
    let n = f.read(&mut head).map_err(|e| InputError::new(format!("cannot read the trace: {e}")).in_file(path))?;
    head.truncate(n);
    if head.starts_with(&MAGIC) {
        return Ok(Format::Binary);
    }
    // Text is judged by structure, not by the first bytes being ASCII: a byte-order mark, a
    // `µs` in a comment (UTF-8, or a Windows code page) is still text. Binary is what has
    // control bytes other than tab, line feed, form feed and carriage return; the binary
    // reader then reports its magic with the offset.
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if head.is_empty() {
        return Err(InputError::new(format!("at byte 0: the trace is empty ({n} bytes): its form cannot be told"))
            .in_file(path)
            .fix("a binary or text tasim trace always has a header: was the recording cut short? An empty DRAMSim3 or Ramulator trace (no requests) is read with --from dramsim3 or --from ramulator"));
    }
    let control = |b: &u8| matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F);
    if head.iter().any(control) {
        return Ok(Format::Binary);
    }
    let text = String::from_utf8_lossy(head);
    if text.starts_with(FIRST_LINE) {
        return Ok(Format::Text);
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    let f: Vec<&str> = first.split_whitespace().collect();
    match f.as_slice() {
        ["LD" | "ST", _] => Ok(Format::Ramulator),
        [_, "READ" | "WRITE" | "P_MEM_RD" | "P_MEM_WR", _] => Ok(Format::Dramsim3),
        _ if text.starts_with("#!") => Ok(Format::Text),
        _ => Err(InputError::new("cannot tell the form of this trace from its first line")
            .in_file(path)
            .at(1, 1)
            .fix("tasim reads its binary and text forms, DRAMSim3 (`0x40 READ 12`) and Ramulator 2 (`LD 0x40`) lines; say which with --from")),
    }
}

/// Opens a trace of `format` (detected when `None`), streaming.
pub fn open(path: &Path, format: Option<Format>, assume: Assume) -> Result<Box<dyn TraceReader>, InputError> {
    let format = match format {
        Some(f) => f,
        None => detect(path)?,
    };
    let clock = assume.clock_ps.unwrap_or(DEFAULT_CLOCK_PS);
    Ok(match format {
        Format::Binary => Box::new(BinaryReader::open(path)?),
        Format::Text => Box::new(TextReader::open(path)?),
        Format::Dramsim3 => Box::new(LineReader::open(path, Dialect::Dramsim3, clock, assume.bytes)?),
        Format::Ramulator => Box::new(LineReader::open(path, Dialect::Ramulator, clock, assume.bytes)?),
    })
}

/// A writer of `format` for a trace with `header`.
pub fn create(path: &Path, format: Format, header: &Header, assume: Assume) -> Result<Box<dyn TraceWriter>> {
    let clock = assume.clock_ps.unwrap_or(if header.clock_ps != 0 { header.clock_ps } else { DEFAULT_CLOCK_PS });
    Ok(match format {
        Format::Binary => Box::new(BinaryWriter::create(path, header.clone())?),
        Format::Text => Box::new(TextWriter::create(path, header)?),
        Format::Dramsim3 => Box::new(LineWriter::create(path, Dialect::Dramsim3, clock)?),
        Format::Ramulator => Box::new(LineWriter::create(path, Dialect::Ramulator, clock)?),
    })
}

/// Copies every record of `reader` into a new trace at `out`; returns the records copied.
/// `progress` counts records as they go.
pub fn convert(
    mut reader: Box<dyn TraceReader>,
    out: &Path,
    to: Format,
    assume: Assume,
    progress: &AtomicU64,
) -> Result<u64> {
    let mut header = reader.header().clone();
    header.records = None;
    let mut w = create(out, to, &header, assume)?;
    let mut n = 0;
    while let Some(rec) = reader.next_record()? {
        w.write(&rec)?;
        n += 1;
        progress.store(n, Ordering::Relaxed);
    }
    w.finish(reader.end())?;
    Ok(n)
}

/// A trace reader as the `trace_player`'s record source, counting records for a progress
/// bar.
pub struct Source {
    reader: Box<dyn TraceReader>,
    instances: Vec<String>,
    pub read: Arc<AtomicU64>,
}

impl Source {
    pub fn new(reader: Box<dyn TraceReader>) -> Self {
        let instances = reader.header().instances.clone();
        Source { reader, instances, read: Arc::new(AtomicU64::new(0)) }
    }
}

impl RecordSource for Source {
    fn instances(&self) -> &[String] {
        &self.instances
    }
    fn next_record(&mut self) -> Result<Option<TraceRecord>, String> {
        let r = self.reader.next_record().map_err(|e| e.to_string())?;
        if r.is_some() {
            self.read.fetch_add(1, Ordering::Relaxed);
        }
        Ok(r)
    }
    fn end(&self) -> Option<TraceEnd> {
        self.reader.end()
    }
    fn position(&self) -> Option<String> {
        Some(self.reader.position())
    }
}
