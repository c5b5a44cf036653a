//! Memory transactions: the `mem` protocol spoken by cores, the interconnect, the global
//! buffer and the DRAM controller. Transactions carry real bytes: writes carry their data,
//! read responses return it.

use std::fmt;

/// The training phase that caused a transaction or a computation (for per-phase statistics,
/// energy and traces).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Moving training samples into memory.
    Load,
    /// Forward propagation.
    Fp,
    /// Softmax cross-entropy at the output.
    Loss,
    /// Backward (error) propagation.
    Bp,
    /// Weight gradients.
    Wg,
    /// Weight update.
    Wu,
    /// Anything else (synthetic traffic, replayed traces without tags).
    #[default]
    Other,
}

impl Phase {
    pub const ALL: [Phase; 7] = [Phase::Load, Phase::Fp, Phase::Loss, Phase::Bp, Phase::Wg, Phase::Wu, Phase::Other];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::Fp => "fp",
            Phase::Loss => "loss",
            Phase::Bp => "bp",
            Phase::Wg => "wg",
            Phase::Wu => "wu",
            Phase::Other => "other",
        }
    }

    pub fn from_name(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What caused a transaction: the phase and the model layer (`NO_LAYER` when none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cause {
    pub phase: Phase,
    pub layer: u16,
}

impl Default for Cause {
    /// No phase in particular, no layer.
    fn default() -> Self {
        Cause { phase: Phase::Other, layer: Cause::NO_LAYER }
    }
}

impl Cause {
    pub const NO_LAYER: u16 = u16::MAX;

    pub fn new(phase: Phase, layer: u16) -> Self {
        Cause { phase, layer }
    }
}

/// Bytes of address and command that travel with every request and response.
pub const HEADER_BYTES: u64 = 8;

/// A read or write of `bytes` bytes at `addr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemReq {
    /// The requester's tag, echoed in the response.
    pub id: u64,
    /// Where the response must go back to: an interconnect writes the index of the endpoint
    /// the request came in from; point-to-point links leave it alone.
    pub source: u32,
    pub addr: u64,
    pub bytes: u32,
    pub write: bool,
    /// The data of a write (`bytes` long); empty for a read.
    pub data: Vec<u8>,
    pub cause: Cause,
    /// When the original requester issued it (for end-to-end latency).
    pub issued_ps: u64,
}

/// The answer to a [`MemReq`]: read data, or the acknowledgement of a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemResp {
    pub id: u64,
    pub source: u32,
    pub addr: u64,
    pub bytes: u32,
    pub write: bool,
    /// The data of a read (`bytes` long); empty for a write.
    pub data: Vec<u8>,
    pub cause: Cause,
    pub issued_ps: u64,
}

impl MemReq {
    pub fn read(id: u64, addr: u64, bytes: u32, cause: Cause, issued_ps: u64) -> Self {
        MemReq { id, source: 0, addr, bytes, write: false, data: Vec::new(), cause, issued_ps }
    }

    pub fn write(id: u64, addr: u64, data: Vec<u8>, cause: Cause, issued_ps: u64) -> Self {
        let bytes = u32::try_from(data.len()).expect("a write fits in 4 GiB");
        MemReq { id, source: 0, addr, bytes, write: true, data, cause, issued_ps }
    }

    /// The response, carrying `data` for a read (empty for a write).
    pub fn respond(self, data: Vec<u8>) -> MemResp {
        debug_assert!(self.write || data.len() == self.bytes as usize);
        MemResp {
            id: self.id,
            source: self.source,
            addr: self.addr,
            bytes: self.bytes,
            write: self.write,
            data,
            cause: self.cause,
            issued_ps: self.issued_ps,
        }
    }

    /// Bytes on the wire.
    pub fn wire_bytes(&self) -> u64 {
        HEADER_BYTES + self.data.len() as u64
    }
}

impl MemResp {
    pub fn wire_bytes(&self) -> u64 {
        HEADER_BYTES + self.data.len() as u64
    }
}
