//! The binary trace format, version 1 (specified in `traces/FORMAT.md`): a header with a
//! CRC, then chunks of up to 4096 delta-encoded records, each chunk with its own CRC-32,
//! then an end chunk. Writing and reading both hold one chunk at a time.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use components::mem::{Cause, Phase};

use super::crc32::{crc32, Crc32};
use super::{varint, Header, TraceEnd, TraceReader, TraceRecord, TraceWriter};
use crate::error::InputError;
use crate::output::AtomicFile;

/// A high byte (spots 7-bit transfers), "TATR", CR LF (spots newline conversion), ^Z.
pub const MAGIC: [u8; 8] = [0x89, b'T', b'A', b'T', b'R', b'\r', b'\n', 0x1A];
pub const VERSION: u16 = 1;
/// Records per chunk: a few tens of KiB, the unit of streaming and of checking.
pub const CHUNK_RECORDS: u32 = 4096;
/// Largest payload a reader accepts (4096 records need at most ~200 KiB).
const MAX_PAYLOAD: u32 = 1 << 22;
const MAX_HEADER: u32 = 1 << 24;
/// kind (1) + records (4) + payload length (4) + base time (8).
const CHUNK_HEAD: usize = 17;
const RECORDS: u8 = b'R';
const END: u8 = b'E';

const F_WRITE: u8 = 1;
const F_SAME_ENDS: u8 = 2;
const F_SAME_BYTES: u8 = 4;
const F_SAME_CAUSE: u8 = 8;

/// What a record is encoded relative to; reset at every chunk so that chunks decode alone.
#[derive(Clone, Copy, Debug)]
struct Delta {
    time: u64,
    next_addr: u64,
    ends: Option<(u32, u32)>,
    bytes: Option<u32>,
    cause: Option<Cause>,
}

impl Delta {
    fn new(base: u64) -> Self {
        Delta { time: base, next_addr: 0, ends: None, bytes: None, cause: None }
    }
}

fn layer_code(layer: u16) -> u64 {
    if layer == Cause::NO_LAYER {
        0
    } else {
        u64::from(layer) + 1
    }
}

fn encode(rec: &TraceRecord, d: &mut Delta, out: &mut Vec<u8>) {
    let mut flags = if rec.write { F_WRITE } else { 0 };
    let ends = (rec.issuer, rec.target);
    if d.ends == Some(ends) {
        flags |= F_SAME_ENDS;
    }
    if d.bytes == Some(rec.bytes) {
        flags |= F_SAME_BYTES;
    }
    if d.cause == Some(rec.cause) {
        flags |= F_SAME_CAUSE;
    }
    out.push(flags);
    varint::put(out, rec.time_ps - d.time);
    varint::put(out, rec.time_ps - rec.issue_ps);
    if flags & F_SAME_ENDS == 0 {
        varint::put(out, u64::from(rec.issuer));
        varint::put(out, u64::from(rec.target));
    }
    if flags & F_SAME_BYTES == 0 {
        varint::put(out, u64::from(rec.bytes));
    }
    varint::put(out, varint::zigzag(rec.addr.wrapping_sub(d.next_addr) as i64));
    if flags & F_SAME_CAUSE == 0 {
        out.push(rec.cause.phase.index() as u8);
        varint::put(out, layer_code(rec.cause.layer));
    }
    *d = Delta {
        time: rec.time_ps,
        next_addr: rec.addr.wrapping_add(u64::from(rec.bytes)),
        ends: Some(ends),
        bytes: Some(rec.bytes),
        cause: Some(rec.cause),
    };
}

/// Decodes one record at `*pos`; an error is (offset in `buf`, what is wrong).
fn decode(
    buf: &[u8],
    pos: &mut usize,
    d: &mut Delta,
    instances: usize,
    phases: &[Phase],
) -> Result<TraceRecord, (usize, String)> {
    let at = *pos;
    // Errors are built lazily: decoding must not allocate per record.
    let num = |pos: &mut usize, what: &str| {
        let at = *pos;
        varint::get(buf, pos).ok_or_else(|| (at, format!("bad or cut varint ({what})")))
    };
    let flags = *buf.get(*pos).ok_or_else(|| (at, "the payload ends inside a record".to_string()))?;
    *pos += 1;
    if flags & 0xF0 != 0 {
        return Err((at, format!("record flags {flags:#04x} use reserved bits")));
    }
    let time = d.time.checked_add(num(pos, "time delta")?).ok_or_else(|| (at, "time overflows".to_string()))?;
    let lead = num(pos, "issue lead")?;
    let issue_ps = time.checked_sub(lead).ok_or_else(|| (at, "issue time before zero".to_string()))?;
    let ends = if flags & F_SAME_ENDS != 0 {
        d.ends.ok_or_else(|| (at, "record says `same issuer and target` but is first in its chunk".to_string()))?
    } else {
        let i = num(pos, "issuer")?;
        let t = num(pos, "target")?;
        for (what, v) in [("issuer", i), ("target", t)] {
            if v >= instances as u64 {
                return Err((at, format!("{what} {v} is not in the instance table ({instances} names)")));
            }
        }
        (i as u32, t as u32)
    };
    let bytes = if flags & F_SAME_BYTES != 0 {
        d.bytes.ok_or_else(|| (at, "record says `same size` but is first in its chunk".to_string()))?
    } else {
        u32::try_from(num(pos, "bytes")?).map_err(|_| (at, "request size above 4 GiB".to_string()))?
    };
    let addr = d.next_addr.wrapping_add(varint::unzigzag(num(pos, "address delta")?) as u64);
    let cause = if flags & F_SAME_CAUSE != 0 {
        d.cause.ok_or_else(|| (at, "record says `same cause` but is first in its chunk".to_string()))?
    } else {
        let p = *buf.get(*pos).ok_or_else(|| (*pos, "the payload ends inside a record".to_string()))?;
        *pos += 1;
        let phase = *phases.get(p as usize).ok_or_else(|| (at, format!("phase {p} is not in the phase table")))?;
        let code = num(pos, "layer")?;
        let layer = match code {
            0 => Cause::NO_LAYER,
            c if c <= u64::from(Cause::NO_LAYER) => (c - 1) as u16,
            c => return Err((at, format!("layer code {c} is out of range"))),
        };
        Cause { phase, layer }
    };
    let rec = TraceRecord {
        time_ps: time,
        issue_ps,
        issuer: ends.0,
        target: ends.1,
        addr,
        bytes,
        write: flags & F_WRITE != 0,
        cause,
    };
    *d = Delta {
        time,
        next_addr: addr.wrapping_add(u64::from(bytes)),
        ends: Some(ends),
        bytes: Some(bytes),
        cause: Some(cause),
    };
    Ok(rec)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    varint::put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// End kinds in the header: the run ran out, was cut, or there was no run (an import).
const RAN_OUT: u8 = 0;
const CUT: u8 = 1;
const NO_RUN: u8 = 2;

/// The whole header: magic, version, flags, body length, body, CRC. Without an end (no run)
/// the end time is the last record's.
fn header_bytes(h: &Header, records: u64, end: Option<TraceEnd>, last_time: u64) -> Vec<u8> {
    let (end_ps, kind) = match end {
        Some(e) => (e.ps, if e.inclusive { RAN_OUT } else { CUT }),
        None => (last_time, NO_RUN),
    };
    let mut body = Vec::new();
    body.extend_from_slice(&records.to_le_bytes());
    body.extend_from_slice(&end_ps.to_le_bytes());
    body.push(kind);
    body.extend_from_slice(&h.clock_ps.to_le_bytes());
    body.extend_from_slice(&h.peak_bytes_per_s.to_le_bytes());
    put_str(&mut body, &h.topology);
    varint::put(&mut body, h.instances.len() as u64);
    for name in &h.instances {
        put_str(&mut body, name);
    }
    varint::put(&mut body, Phase::ALL.len() as u64);
    for p in Phase::ALL {
        put_str(&mut body, p.name());
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32(&out[8..]);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Writes a binary trace as records come; the header's record count and end are filled in
/// by [`TraceWriter::finish`], which then renames the file into place.
pub struct BinaryWriter {
    out: BufWriter<AtomicFile>,
    header: Header,
    chunk: Vec<u8>,
    count: u32,
    base: u64,
    delta: Delta,
    last_time: u64,
    records: u64,
}

impl BinaryWriter {
    pub fn create(path: &Path, header: Header) -> Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 18, AtomicFile::create(path)?);
        out.write_all(&header_bytes(&header, 0, None, 0))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(BinaryWriter {
            out,
            header,
            chunk: Vec::with_capacity(64 << 10),
            count: 0,
            base: 0,
            delta: Delta::new(0),
            last_time: 0,
            records: 0,
        })
    }

    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let mut head = [0u8; CHUNK_HEAD];
        head[0] = RECORDS;
        head[1..5].copy_from_slice(&self.count.to_le_bytes());
        head[5..9].copy_from_slice(&(self.chunk.len() as u32).to_le_bytes());
        head[9..17].copy_from_slice(&self.base.to_le_bytes());
        let mut crc = Crc32::new();
        crc.update(&head);
        crc.update(&self.chunk);
        self.out.write_all(&head)?;
        self.out.write_all(&self.chunk)?;
        self.out.write_all(&crc.finish().to_le_bytes())?;
        self.chunk.clear();
        self.count = 0;
        Ok(())
    }

    fn path(&self) -> &Path {
        self.out.get_ref().path()
    }
}

impl TraceWriter for BinaryWriter {
    fn write(&mut self, rec: &TraceRecord) -> Result<()> {
        if rec.time_ps < self.last_time || rec.issue_ps > rec.time_ps {
            bail!("trace records out of order: {rec:?} after time {} ps", self.last_time);
        }
        if rec.issuer as usize >= self.header.instances.len() || rec.target as usize >= self.header.instances.len() {
            bail!("trace record names instance {} or {}, beyond the table", rec.issuer, rec.target);
        }
        if self.count == 0 {
            self.base = rec.time_ps;
            self.delta = Delta::new(rec.time_ps);
        }
        encode(rec, &mut self.delta, &mut self.chunk);
        self.count += 1;
        self.records += 1;
        self.last_time = rec.time_ps;
        if self.count == CHUNK_RECORDS {
            let path = self.path().to_path_buf();
            self.flush_chunk().with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, end: Option<TraceEnd>) -> Result<()> {
        let path = self.path().to_path_buf();
        let io = |e| anyhow::Error::new(e).context(format!("cannot write {}", path.display()));
        let end_ps = end.map_or(self.last_time, |e| e.ps);
        if end_ps < self.last_time {
            bail!("trace end {end_ps} ps is before its last record ({} ps)", self.last_time);
        }
        self.flush_chunk().map_err(io)?;
        let mut tail = [0u8; CHUNK_HEAD];
        tail[0] = END;
        tail[9..17].copy_from_slice(&end_ps.to_le_bytes());
        self.out.write_all(&tail).map_err(io)?;
        self.out.write_all(&crc32(&tail).to_le_bytes()).map_err(io)?;
        let records = self.records;
        let header = header_bytes(&self.header, records, end, self.last_time);
        let mut file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.commit()
    }
}

mod reader;
pub use reader::BinaryReader;

#[cfg(test)]
pub(crate) mod tests;
