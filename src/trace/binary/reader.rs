//! Reading a binary trace: the header at once, then one chunk at a time, every check with
//! the byte offset where it failed.

use super::*;

/// Streams the records of a binary trace; holds one chunk (at most a few hundred KiB).
pub struct BinaryReader {
    path: PathBuf,
    file: BufReader<File>,
    len: u64,
    header: Header,
    /// The end time in the header (the last record's for a trace with no run).
    end_ps: u64,
    phases: Vec<Phase>,
    /// Offset of the next unread byte.
    offset: u64,
    buf: Vec<u8>,
    /// File offset of the current chunk and of its payload.
    chunk_at: u64,
    payload_at: u64,
    pos: usize,
    left: u32,
    delta: Delta,
    last_time: u64,
    seen: u64,
    done: bool,
}

/// A cursor over the header body that reports where it ran out.
struct Body<'a> {
    b: &'a [u8],
    pos: usize,
    at: u64,
}

impl Body<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let s = self
            .b
            .get(self.pos..self.pos + n)
            .ok_or_else(|| format!("at byte {}: the header body ends early", self.at))?;
        self.pos += n;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn varint(&mut self) -> Result<u64, String> {
        varint::get(self.b, &mut self.pos).ok_or_else(|| format!("at byte {}: a bad number in the header", self.at))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.varint()?;
        let s = self.take(usize::try_from(n).map_err(|_| "a header string is too long".to_string())?)?;
        String::from_utf8(s.to_vec()).map_err(|_| format!("at byte {}: a header string is not UTF-8", self.at))
    }
}

impl BinaryReader {
    /// Opens `path` and checks its header.
    pub fn open(path: &Path) -> Result<Self, InputError> {
        let f = File::open(path).map_err(|e| InputError::new(format!("cannot read the trace: {e}")).in_file(path))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut r = BinaryReader {
            path: path.to_path_buf(),
            file: BufReader::with_capacity(1 << 18, f),
            len,
            header: Header {
                topology: String::new(),
                clock_ps: 0,
                peak_bytes_per_s: 0.0,
                instances: Vec::new(),
                records: None,
                end: None,
            },
            end_ps: 0,
            phases: Vec::new(),
            offset: 0,
            buf: Vec::new(),
            chunk_at: 0,
            payload_at: 0,
            pos: 0,
            left: 0,
            delta: Delta::new(0),
            last_time: 0,
            seen: 0,
            done: false,
        };
        r.read_header()?;
        Ok(r)
    }

    fn err(&self, msg: impl Into<String>) -> InputError {
        InputError::new(msg).in_file(&self.path)
    }

    fn corrupt(&self, msg: impl Into<String>) -> InputError {
        self.err(msg)
            .fix("the file is damaged: record the run again, or rebuild it from a text form with `tasim trace convert`")
    }

    /// Reads `n` bytes at the current offset, for `what` (named in a truncation error).
    fn read(&mut self, n: usize, what: &str, started_at: u64) -> Result<Vec<u8>, InputError> {
        let mut v = vec![0; n];
        self.read_into(&mut v, what, started_at)?;
        Ok(v)
    }

    fn read_into(&mut self, v: &mut [u8], what: &str, started_at: u64) -> Result<(), InputError> {
        match self.file.read_exact(v) {
            Ok(()) => {
                self.offset += v.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(self.corrupt(format!(
                "truncated: {what} at byte {started_at} needs {} bytes up to byte {}, but the file ends at byte {}",
                self.offset + v.len() as u64 - started_at,
                self.offset + v.len() as u64,
                self.len
            ))),
            Err(e) => Err(self.err(format!("cannot read the trace at byte {}: {e}", self.offset))),
        }
    }

    fn read_header(&mut self) -> Result<(), InputError> {
        let mut magic = [0u8; 8];
        let got = read_up_to(&mut self.file, &mut magic);
        if got < 8 || magic != MAGIC {
            return Err(self
                .err("at byte 0: not a binary tasim trace (its first 8 bytes are not the trace magic 89 54 41 54 52 0D 0A 1A)")
                .fix("text, DRAMSim3 and Ramulator traces are read by `tasim trace convert IN OUT --to binary`; a file changed by a text-mode transfer (CR LF) must be copied again in binary mode"));
        }
        self.offset = 8;
        let fixed = self.read(8, "the header", 0)?;
        let version = u16::from_le_bytes([fixed[0], fixed[1]]);
        if version != VERSION {
            return Err(self
                .err(format!("at byte 8: trace format version {version}; this tasim reads version {VERSION}"))
                .fix("convert it to text with the tasim that wrote it (`tasim trace convert IN OUT --to text`), then back with this one"));
        }
        let flags = u16::from_le_bytes([fixed[2], fixed[3]]);
        if flags != 0 {
            return Err(self.corrupt(format!("at byte 10: header flags {flags:#06x}, but version 1 defines none")));
        }
        let body_len = u32::from_le_bytes(fixed[4..8].try_into().expect("4 bytes"));
        if body_len > MAX_HEADER {
            return Err(self.corrupt(format!("at byte 12: a header of {body_len} bytes is not plausible")));
        }
        let body = self.read(body_len as usize + 4, "the header", 0)?;
        let (body, stored) = body.split_at(body_len as usize);
        let mut crc = Crc32::new();
        crc.update(&fixed);
        crc.update(body);
        let (stored, computed) = (u32::from_le_bytes(stored.try_into().expect("4 bytes")), crc.finish());
        if stored != computed {
            return Err(self.corrupt(format!(
                "at byte 8: header checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            )));
        }
        self.parse_body(body).map_err(|m| self.corrupt(m))?;
        crate::trace::check_header(&self.header).map_err(|m| self.err(format!("at byte 16 (the header): {m}")))
    }

    fn parse_body(&mut self, b: &[u8]) -> Result<(), String> {
        let mut c = Body { b, pos: 0, at: 16 };
        let records = c.u64()?;
        let end_ps = c.u64()?;
        let kind = c.take(1)?[0];
        if kind > NO_RUN {
            return Err(format!("at byte 32: end kind {kind} is none of 0 (ran out), 1 (cut), 2 (no run)"));
        }
        let clock_ps = c.u64()?;
        let peak = f64::from_le_bytes(c.take(8)?.try_into().expect("8 bytes"));
        let topology = c.str()?;
        let n = c.varint()?;
        let mut instances = Vec::new();
        for _ in 0..n {
            instances.push(c.str()?);
        }
        let m = c.varint()?;
        for _ in 0..m {
            let name = c.str()?;
            let p = Phase::from_name(&name)
                .ok_or_else(|| format!("the header names a phase `{name}` that this tasim does not know"))?;
            self.phases.push(p);
        }
        if c.pos != b.len() {
            return Err(format!(
                "at byte {}: {} unexpected bytes at the end of the header",
                16 + c.pos,
                b.len() - c.pos
            ));
        }
        self.end_ps = end_ps;
        self.header = Header {
            topology,
            clock_ps,
            peak_bytes_per_s: peak,
            instances,
            records: Some(records),
            end: (kind != NO_RUN).then_some(TraceEnd { ps: end_ps, inclusive: kind == RAN_OUT }),
        };
        Ok(())
    }

    /// Reads the next chunk; false after the end chunk.
    fn next_chunk(&mut self) -> Result<bool, InputError> {
        let at = self.offset;
        if at == self.len {
            return Err(self.corrupt(format!(
                "truncated: the file ends at byte {at} without its end chunk (the recording did not finish?)"
            )));
        }
        let mut head = [0u8; CHUNK_HEAD];
        self.read_into(&mut head, "the chunk", at)?;
        let count = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes"));
        let len = u32::from_le_bytes(head[5..9].try_into().expect("4 bytes"));
        let base = u64::from_le_bytes(head[9..17].try_into().expect("8 bytes"));
        let kind = head[0];
        if kind != RECORDS && kind != END {
            return Err(self.corrupt(format!("at byte {at}: unknown chunk kind {kind:#04x} (expected `R` or `E`)")));
        }
        if len > MAX_PAYLOAD
            || (kind == RECORDS && (count == 0 || count > CHUNK_RECORDS))
            || (kind == END && (count | len) != 0)
        {
            return Err(
                self.corrupt(format!("at byte {at}: a chunk of {count} records in {len} bytes is not plausible"))
            );
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(len as usize + 4, 0);
        self.payload_at = self.offset;
        self.read_into(&mut buf, "the chunk", at)?;
        let mut crc = Crc32::new();
        crc.update(&head);
        crc.update(&buf[..len as usize]);
        let stored = u32::from_le_bytes(buf[len as usize..].try_into().expect("4 bytes"));
        if stored != crc.finish() {
            return Err(self.corrupt(format!(
                "at byte {at}: checksum mismatch in this chunk (stored {stored:#010x}, computed {:#010x})",
                crc.finish()
            )));
        }
        buf.truncate(len as usize);
        self.buf = buf;
        if kind == END {
            let want = self.header.records.unwrap_or(0);
            if base != self.end_ps || self.seen != want {
                return Err(self.corrupt(format!(
                    "at byte {at}: the end chunk (end {base} ps, after {} records) disagrees with the header (end {} ps, {want} records)",
                    self.seen, self.end_ps
                )));
            }
            if self.offset != self.len {
                return Err(self.corrupt(format!(
                    "at byte {}: {} bytes after the end chunk",
                    self.offset,
                    self.len - self.offset
                )));
            }
            return Ok(false);
        }
        if base < self.last_time {
            return Err(self
                .err(format!(
                    "at byte {at}: times go backwards: this chunk starts at {base} ps, after a record at {} ps",
                    self.last_time
                ))
                .fix("a trace is in arrival order; sort its text form by time and convert it again"));
        }
        self.chunk_at = at;
        self.delta = Delta::new(base);
        self.pos = 0;
        self.left = count;
        Ok(true)
    }
}

/// Reads as much of `buf` as the reader has; how many bytes that was.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

impl TraceReader for BinaryReader {
    fn header(&self) -> &Header {
        &self.header
    }
    fn position(&self) -> String {
        // Records are delta-coded inside compressed chunks: a record has no byte offset of
        // its own, its chunk has.
        format!("{}: record {} (in the chunk at byte {})", self.path.display(), self.seen, self.chunk_at)
    }

    fn next_record(&mut self) -> Result<Option<TraceRecord>, InputError> {
        if self.done {
            return Ok(None);
        }
        if self.left == 0 && !self.next_chunk()? {
            self.done = true;
            return Ok(None);
        }
        let at = self.pos;
        let rec = decode(&self.buf, &mut self.pos, &mut self.delta, self.header.instances.len(), &self.phases)
            .map_err(|(p, m)| {
                self.corrupt(format!(
                    "at byte {}: {m} (in the chunk at byte {})",
                    self.payload_at + p as u64,
                    self.chunk_at
                ))
            })?;
        if let Err(m) = crate::trace::check_record(&rec) {
            return Err(self.err(format!("at byte {}: {m}", self.payload_at + at as u64)));
        }
        self.left -= 1;
        if self.left == 0 && self.pos != self.buf.len() {
            return Err(self.corrupt(format!(
                "at byte {}: {} bytes follow the last record of the chunk at byte {}",
                self.payload_at + self.pos as u64,
                self.buf.len() - self.pos,
                self.chunk_at
            )));
        }
        self.last_time = rec.time_ps;
        self.seen += 1;
        Ok(Some(rec))
    }

    fn end(&self) -> Option<TraceEnd> {
        self.header.end
    }
}
