//! Memory traces inside the simulator: the record of one memory transaction
//! ([`TraceRecord`]), the stream of records a replay pulls from ([`RecordSource`]), and the
//! `trace_player` component that replays them ([`player`]).
//!
//! Only the `tasim` package reads files: it implements [`RecordSource`] over a trace file
//! (streaming, a chunk at a time) and hands the source to the player when it builds the
//! topology. The player pulls one record at a time, so a replay holds no more of the trace
//! than the requests in flight.
//!
//! ## What a record means
//! A record is one request that reached a memory component: `time_ps` is when it arrived
//! there (the kernel's delivery time), `issue_ps` when its requester put it on the channel
//! that brought it (`issue_ps <= time_ps`). A trace is ordered by arrival, exactly as the
//! memory component saw the requests (ties in the kernel's event order). `issuer` and
//! `target` index the trace's table of instance names.

mod params;
pub mod player;

use crate::mem::Cause;

pub use crate::windows::Windows;
pub use player::{AddressRange, PlayMode, Route, TracePlayer, TracePlayerParams};

/// One memory transaction of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// Arrival at the memory component, in picoseconds.
    pub time_ps: u64,
    /// When the requester sent it on the channel to the memory component (`<= time_ps`).
    pub issue_ps: u64,
    /// The instance that delivered it (index into the trace's instance table).
    pub issuer: u32,
    /// The memory component it reached (index into the instance table).
    pub target: u32,
    pub addr: u64,
    pub bytes: u32,
    pub write: bool,
    /// The training phase and layer that caused it.
    pub cause: Cause,
}

/// How the recorded run ended, which a timing-preserving replay repeats (a DRAM's refreshes
/// are counted up to the end of the run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEnd {
    pub ps: u64,
    /// The run ended by itself at `ps` (a component stopped it, or no event was left): the
    /// events at `ps` were processed. Otherwise it was cut at `ps` (`--until-ns`): events at
    /// `ps` were not processed.
    pub inclusive: bool,
}

/// A stream of trace records in trace order, pulled by a replay one at a time.
pub trait RecordSource: Send {
    /// The trace's instance names (what `issuer` and `target` index).
    fn instances(&self) -> &[String];
    /// The next record, `None` after the last. An error is a message naming the file and the
    /// place in it (a corrupt trace met halfway through a replay).
    fn next_record(&mut self) -> Result<Option<TraceRecord>, String>;
    /// How the recorded run ended, when the trace says (a binary trace knows from its header;
    /// other forms may know only once every record has been read).
    fn end(&self) -> Option<TraceEnd>;
    /// Where the last record returned came from (`FILE:LINE`, or a binary trace's record and
    /// chunk offset), for messages about it; `None` for sources without a file.
    fn position(&self) -> Option<String> {
        None
    }
}

/// Where the edge leaves the source for the one `trace_player` of a topology to take.
pub type SourceSlot = std::sync::Arc<std::sync::Mutex<Option<Box<dyn RecordSource>>>>;

/// A source over records in memory (tests and small tools).
#[derive(Debug, Clone, Default)]
pub struct VecSource {
    pub instances: Vec<String>,
    pub records: std::collections::VecDeque<TraceRecord>,
    pub end: Option<TraceEnd>,
}

impl RecordSource for VecSource {
    fn instances(&self) -> &[String] {
        &self.instances
    }
    fn next_record(&mut self) -> Result<Option<TraceRecord>, String> {
        Ok(self.records.pop_front())
    }
    fn end(&self) -> Option<TraceEnd> {
        self.end
    }
}

#[cfg(test)]
mod tests;
