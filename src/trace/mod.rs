//! Memory traces at the edge: the file formats (binary, text, DRAMSim3, Ramulator 2), the
//! recorder that writes a run's memory transactions, the replay command and the analyses.
//!
//! The record itself ([`TraceRecord`]) and the replaying component live in
//! `components::trace`; this module is the only place that reads or writes trace files.
//! Every reader streams (one chunk or one line at a time) behind [`TraceReader`], every
//! writer writes as records come and commits its file atomically at the end
//! ([`TraceWriter`]), so traces of any length cost bounded memory.
//!
//! The formats are specified in `traces/FORMAT.md`:
//! - [`binary`]: the compact native form (chunks with CRC-32, delta-encoded varints);
//! - [`text`]: the same information one line per record, for people and `diff`;
//! - [`foreign`]: DRAMSim3 (`0xADDR READ cycle`) and Ramulator 2 (`LD 0xADDR`) lines.

pub mod analysis;
pub mod binary;
pub mod cli;
pub mod crc32;
pub mod foreign;
pub mod memory_report;
pub mod open;
pub mod plots;
pub mod record;
pub mod replay;
mod spans;
pub mod text;
mod varint;

#[cfg(test)]
mod tests;

pub use components::trace::{TraceEnd, TraceRecord};

use crate::error::InputError;

/// What a trace says about itself besides its records.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The recorded topology's name (or where an imported trace came from).
    pub topology: String,
    /// The memory clock period of the recorded DRAM (its tCK), for exports that count
    /// cycles; 0 when unknown.
    pub clock_ps: u64,
    /// The theoretical peak bandwidth of the recorded DRAM controllers together; 0 when
    /// unknown.
    pub peak_bytes_per_s: f64,
    /// Instance names: what a record's `issuer` and `target` index.
    pub instances: Vec<String>,
    /// Number of records, when known before reading them (binary traces).
    pub records: Option<u64>,
    /// How the recorded run ended, when known before reading the records (and recorded at
    /// all: an imported trace has no end).
    pub end: Option<TraceEnd>,
}

impl Header {
    pub fn name(&self, index: u32) -> &str {
        self.instances.get(index as usize).map_or("?", |s| s.as_str())
    }
}

/// The checks every reader applies to its header, whatever the form, so that every command
/// (`trace text`, `trace stats`, `replay`, ...) accepts and refuses the same traces: instance
/// names that the text form can hold (non-empty, printable, no spaces), times within the
/// simulator's input range.
pub fn check_header(h: &Header) -> Result<(), String> {
    // The text form's own rule (`text::header_lines`): what it cannot write, no reader takes.
    let topology = (!h.topology.is_empty()).then_some(&h.topology);
    for name in h.instances.iter().chain(topology) {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("the instance or topology name {name:?} is empty or has spaces or control characters"));
        }
    }
    let limit = sim_core::SimDuration::INPUT_LIMIT.as_ps();
    if h.clock_ps > limit {
        return Err(format!("the clock period {} ps is beyond the simulator's time range", h.clock_ps));
    }
    if let Some(e) = h.end.filter(|e| e.ps > limit) {
        return Err(format!("the end time {} ps is beyond the simulator's time range", e.ps));
    }
    if !(h.peak_bytes_per_s.is_finite() && h.peak_bytes_per_s >= 0.0) {
        return Err(format!("the peak bandwidth {} B/s is not a number >= 0", h.peak_bytes_per_s));
    }
    Ok(())
}

/// The checks every reader applies to every record (see [`check_header`]): a time within the
/// simulator's input range ([`sim_core::SimDuration::INPUT_LIMIT`]), at least one byte (a
/// zero-byte request moves nothing: refused in every form, one rule everywhere), and an
/// address range that does not run past the end of the 64-bit address space.
pub fn check_record(r: &TraceRecord) -> Result<(), String> {
    let limit = sim_core::SimDuration::INPUT_LIMIT.as_ps();
    if r.time_ps > limit {
        return Err(format!(
            "the time {} ps is beyond the simulator's time range for inputs (9e18 ps, about 104 days)",
            r.time_ps
        ));
    }
    if r.bytes == 0 {
        return Err("a request of 0 bytes moves nothing; tasim refuses zero-byte requests".into());
    }
    if r.addr.checked_add(u64::from(r.bytes) - 1).is_none() {
        return Err(format!("{} bytes at {:#x} run past the end of the 64-bit address space", r.bytes, r.addr));
    }
    Ok(())
}

/// Reads one line of a text form into `line` through the byte buffer `buf`: a UTF-8 byte-order
/// mark on the first line is dropped, bytes that are not UTF-8 (a comment saved in a Windows
/// code page) become U+FFFD, which a record's fields then refuse with their column. CR LF
/// endings are whitespace to the field splitters. Returns the bytes read (0 at the end).
pub(crate) fn read_text_line(
    r: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    line: &mut String,
    first: bool,
) -> std::io::Result<usize> {
    buf.clear();
    line.clear();
    let n = r.read_until(b'\n', buf)?;
    let bytes = if first { buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf) } else { &buf[..] };
    line.push_str(&String::from_utf8_lossy(bytes));
    Ok(n)
}

/// A trace being read, one record at a time, in trace order.
pub trait TraceReader: Send {
    fn header(&self) -> &Header;
    /// The next record, `None` after the last; a corrupt or malformed input is an
    /// [`InputError`] naming the file and the byte offset or line.
    fn next_record(&mut self) -> Result<Option<TraceRecord>, InputError>;
    /// How the recorded run ended, if the trace says (a binary trace in its header, a text
    /// trace on its last line); `None` for a trace that did not come from a run (imports).
    fn end(&self) -> Option<TraceEnd>;
    /// Where the last record returned came from, for messages about it: `FILE:LINE` for the
    /// line forms, `FILE: record K (in the chunk at byte B)` for the binary form.
    fn position(&self) -> String;
}

/// A trace being written: records in trace order, then [`TraceWriter::finish`] with how the
/// run ended (`None`: the trace did not come from a run), which completes the file and gives
/// it its name. Dropping a writer unfinished leaves no file.
pub trait TraceWriter {
    fn write(&mut self, rec: &TraceRecord) -> anyhow::Result<()>;
    fn finish(self: Box<Self>, end: Option<TraceEnd>) -> anyhow::Result<()>;
}
