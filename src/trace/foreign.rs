//! DRAMSim3 and Ramulator 2 trace lines, written and read.
//!
//! - **DRAMSim3** (`TraceBasedCPU`): `0x1fc0 READ 1884` — hex address, `READ` or `WRITE`,
//!   the memory-clock cycle at which the transaction enters the memory system. Holds the
//!   address, the direction and the time in whole cycles. Export: cycle = arrival time /
//!   clock period, rounded down. Import: arrival = issue = cycle × clock period; every
//!   request is `bytes` long (default 64: DRAMSim3 moves one transaction of its configured
//!   size per line).
//! - **Ramulator 2** (`LoadStoreTrace` frontend): `LD 0x1fc0` / `ST 0x1fc0`. Holds the address,
//!   the direction and the order, no time (Ramulator issues one a cycle when it can).
//!   Import: record k arrives at k × clock period (a pace only an as-fast-as-possible replay
//!   should rely on), every request `bytes` long.
//!
//! Neither holds request sizes, the issue time (separately from the arrival), sub-cycle
//! times, the issuer and target, the phase and layer, or the run's end: an import names the
//! issuer `dramsim3`/`ramulator` and the target `memory`, the cause `other` without a layer,
//! and has no end (a timing-preserving replay goes on until every request is answered).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use components::mem::Cause;

use super::{Header, TraceEnd, TraceReader, TraceRecord, TraceWriter};
use crate::error::InputError;
use crate::output::AtomicFile;

/// The two line formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Dramsim3,
    Ramulator,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Dramsim3 => "dramsim3",
            Dialect::Ramulator => "ramulator",
        }
    }
}

/// Writes DRAMSim3 or Ramulator 2 lines.
pub struct LineWriter {
    out: BufWriter<AtomicFile>,
    dialect: Dialect,
    clock_ps: u64,
}

impl LineWriter {
    /// `clock_ps`: the memory clock period DRAMSim3 cycles count (unused by Ramulator).
    pub fn create(path: &Path, dialect: Dialect, clock_ps: u64) -> Result<Self> {
        let out = BufWriter::with_capacity(1 << 18, AtomicFile::create(path)?);
        Ok(LineWriter { out, dialect, clock_ps: clock_ps.max(1) })
    }
}

impl TraceWriter for LineWriter {
    fn write(&mut self, r: &TraceRecord) -> Result<()> {
        let res = match self.dialect {
            Dialect::Dramsim3 => {
                let op = if r.write { "WRITE" } else { "READ" };
                writeln!(self.out, "{:#x} {op} {}", r.addr, r.time_ps / self.clock_ps)
            }
            Dialect::Ramulator => writeln!(self.out, "{} {:#x}", if r.write { "ST" } else { "LD" }, r.addr),
        };
        res.with_context(|| format!("cannot write {}", self.out.get_ref().path().display()))
    }

    fn finish(self: Box<Self>, _end: Option<TraceEnd>) -> Result<()> {
        let path = self.out.get_ref().path().to_path_buf();
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        file.commit()
    }
}

/// Reads DRAMSim3 or Ramulator 2 lines as records.
pub struct LineReader {
    path: PathBuf,
    lines: BufReader<File>,
    /// The bytes of the current line, before decoding into `line`.
    bytes_buf: Vec<u8>,
    line: String,
    n: usize,
    dialect: Dialect,
    header: Header,
    bytes: u32,
    index: u64,
    last: Option<(u64, usize)>,
    done: bool,
}

impl LineReader {
    /// `clock_ps`: what one cycle (DRAMSim3) or one record (Ramulator) is worth; `bytes`: the
    /// size of every request.
    pub fn open(path: &Path, dialect: Dialect, clock_ps: u64, bytes: u32) -> Result<Self, InputError> {
        let f = File::open(path).map_err(|e| InputError::new(format!("cannot read the trace: {e}")).in_file(path))?;
        let stem = path.file_name().map_or("trace".into(), |n| n.to_string_lossy().replace(char::is_whitespace, "_"));
        let header = Header {
            topology: format!("{}:{stem}", dialect.name()),
            clock_ps,
            peak_bytes_per_s: 0.0,
            instances: vec![dialect.name().to_string(), "memory".to_string()],
            records: None,
            end: None,
        };
        let lines = BufReader::with_capacity(1 << 16, f);
        Ok(LineReader {
            path: path.to_path_buf(),
            lines,
            bytes_buf: Vec::new(),
            line: String::new(),
            n: 0,
            dialect,
            header,
            bytes,
            index: 0,
            last: None,
            done: false,
        })
    }

    fn bad(&self, col: usize, msg: impl Into<String>) -> InputError {
        let fix = match self.dialect {
            Dialect::Dramsim3 => "a DRAMSim3 line is `0xADDR READ|WRITE CYCLE`, e.g. `0x1fc0 READ 1884`",
            Dialect::Ramulator => "a Ramulator 2 line is `LD|ST 0xADDR`, e.g. `LD 0x1fc0`",
        };
        InputError::new(msg).in_file(&self.path).at(self.n, col).fix(fix)
    }

    fn parse(&self, l: &str) -> Result<(u64, bool, u64), InputError> {
        let f: Vec<&str> = l.split_whitespace().collect();
        let col = |i: usize| l.find(f[i]).map_or(1, |c| c + 1);
        let hex = |i: usize, bare_is_hex: bool| -> Result<u64, InputError> {
            let s = f[i];
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16),
                None if bare_is_hex => u64::from_str_radix(s, 16),
                None => s.parse(),
            }
            .map_err(|_| self.bad(col(i), format!("`{s}` is not an address")))
        };
        match self.dialect {
            Dialect::Dramsim3 => {
                if f.len() != 3 {
                    return Err(self.bad(1, format!("expected 3 fields, found {}", f.len())));
                }
                // DRAMSim3 reads the address with std::hex: bare digits are hex too.
                let addr = hex(0, true)?;
                let write = match f[1] {
                    "READ" | "P_MEM_RD" => false,
                    "WRITE" | "P_MEM_WR" => true,
                    op => return Err(self.bad(col(1), format!("unknown operation `{op}` (READ or WRITE)"))),
                };
                let cycle =
                    f[2].parse::<u64>().map_err(|_| self.bad(col(2), format!("`{}` is not a cycle number", f[2])))?;
                let t = cycle.checked_mul(self.header.clock_ps).ok_or_else(|| self.bad(col(2), "cycle too large"))?;
                Ok((addr, write, t))
            }
            Dialect::Ramulator => {
                if f.len() != 2 {
                    return Err(self.bad(1, format!("expected 2 fields, found {}", f.len())));
                }
                let write = match f[0] {
                    "LD" => false,
                    "ST" => true,
                    op => return Err(self.bad(col(0), format!("unknown operation `{op}` (LD or ST)"))),
                };
                let t = self.index.checked_mul(self.header.clock_ps).ok_or_else(|| self.bad(1, "cycle too large"))?;
                Ok((hex(1, false)?, write, t))
            }
        }
    }
}

impl TraceReader for LineReader {
    fn header(&self) -> &Header {
        &self.header
    }
    fn position(&self) -> String {
        format!("{}:{}", self.path.display(), self.n)
    }

    fn next_record(&mut self) -> Result<Option<TraceRecord>, InputError> {
        while !self.done {
            self.line.clear();
            match super::read_text_line(&mut self.lines, &mut self.bytes_buf, &mut self.line, self.n == 0) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.n += 1;
                    let l = self.line.trim();
                    if l.is_empty() || l.starts_with('#') {
                        continue;
                    }
                    let (addr, write, t) = self.parse(l)?;
                    if let Some((prev, at)) = self.last.filter(|(p, _)| *p > t) {
                        return Err(self
                            .bad(
                                1,
                                format!(
                                    "cycles go backwards: {} after {} at line {at}",
                                    t / self.header.clock_ps,
                                    prev / self.header.clock_ps
                                ),
                            )
                            .fix("sort the lines by cycle"));
                    }
                    self.last = Some((t, self.n));
                    self.index += 1;
                    let rec = TraceRecord {
                        time_ps: t,
                        issue_ps: t,
                        issuer: 0,
                        target: 1,
                        addr,
                        bytes: self.bytes,
                        write,
                        cause: Cause::default(),
                    };
                    super::check_record(&rec).map_err(|m| self.bad(1, m))?;
                    return Ok(Some(rec));
                }
                Err(e) => return Err(self.bad(1, format!("cannot read this line: {e}"))),
            }
        }
        Ok(None)
    }

    /// These forms do not come from a tasim run: no end.
    fn end(&self) -> Option<TraceEnd> {
        None
    }
}
