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

/// A trace being read, one record at a time, in trace order.
pub trait TraceReader: Send {
    fn header(&self) -> &Header;
    /// The next record, `None` after the last; a corrupt or malformed input is an
    /// [`InputError`] naming the file and the byte offset or line.
    fn next_record(&mut self) -> Result<Option<TraceRecord>, InputError>;
    /// How the recorded run ended, if the trace says (a binary trace in its header, a text
    /// trace on its last line); `None` for a trace that did not come from a run (imports).
    fn end(&self) -> Option<TraceEnd>;
}

/// A trace being written: records in trace order, then [`TraceWriter::finish`] with how the
/// run ended (`None`: the trace did not come from a run), which completes the file and gives
/// it its name. Dropping a writer unfinished leaves no file.
pub trait TraceWriter {
    fn write(&mut self, rec: &TraceRecord) -> anyhow::Result<()>;
    fn finish(self: Box<Self>, end: Option<TraceEnd>) -> anyhow::Result<()>;
}
