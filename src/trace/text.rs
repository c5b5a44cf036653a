//! The text trace form (specified in `traces/FORMAT.md`): `#!` directives, then one line per
//! record, then the end:
//!
//! ```text
//! #! tasim-trace-text 1
//! #! topology paper-chip-small-buffer
//! #! clock_ps 625
//! #! peak_bytes_per_s 12800000000
//! #! instances gb dram
//! # time_ps issue_ps issuer target op addr bytes phase layer
//! 1180000 1175000 gb dram R 0x1fc0 64 load -
//! #! end_ps 3562140000 ran_out
//! ```
//!
//! It holds exactly what the binary form holds, so the two convert both ways without loss.
//! Lines starting with `#` (and not `#!`) are comments; blank lines are ignored.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use components::mem::{Cause, Phase};

use super::{Header, TraceEnd, TraceReader, TraceRecord, TraceWriter};
use crate::error::InputError;
use crate::output::AtomicFile;

pub const FIRST_LINE: &str = "#! tasim-trace-text 1";
const COLUMNS: &str = "# time_ps issue_ps issuer target op addr bytes phase layer";

/// Writes the text form as records come.
pub struct TextWriter {
    out: BufWriter<AtomicFile>,
    names: Vec<String>,
    last_time: u64,
}

/// The lines before the records.
pub fn header_lines(h: &Header) -> Result<String> {
    let topology = (!h.topology.is_empty()).then_some(&h.topology);
    for name in h.instances.iter().chain(topology) {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            bail!("instance or topology name `{name}` cannot be written in the text form (empty or with spaces)");
        }
    }
    let mut head = format!("{FIRST_LINE}\n");
    if !h.topology.is_empty() {
        head += &format!("#! topology {}\n", h.topology);
    }
    if h.clock_ps != 0 {
        head += &format!("#! clock_ps {}\n", h.clock_ps);
    }
    if h.peak_bytes_per_s != 0.0 {
        head += &format!("#! peak_bytes_per_s {}\n", h.peak_bytes_per_s);
    }
    head += &format!("#! instances {}\n{COLUMNS}\n", h.instances.join(" "));
    Ok(head)
}

/// One record's line (`names`: the instance table).
pub fn record_line(names: &[String], r: &TraceRecord) -> Result<String> {
    let name = |i: u32| names.get(i as usize).map(String::as_str).context("instance index beyond the table");
    let layer = if r.cause.layer == Cause::NO_LAYER { "-".to_string() } else { r.cause.layer.to_string() };
    let op = if r.write { 'W' } else { 'R' };
    Ok(format!(
        "{} {} {} {} {op} {:#x} {} {} {layer}\n",
        r.time_ps,
        r.issue_ps,
        name(r.issuer)?,
        name(r.target)?,
        r.addr,
        r.bytes,
        r.cause.phase
    ))
}

/// The last line.
/// The last line: how the run ended (nothing for a trace that did not come from a run).
pub fn end_line(end: Option<TraceEnd>) -> String {
    match end {
        Some(e) => format!("#! end_ps {} {}\n", e.ps, if e.inclusive { "ran_out" } else { "cut" }),
        None => String::new(),
    }
}

impl TextWriter {
    pub fn create(path: &Path, h: &Header) -> Result<Self> {
        let head = header_lines(h)?;
        let mut out = BufWriter::with_capacity(1 << 18, AtomicFile::create(path)?);
        out.write_all(head.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(TextWriter { out, names: h.instances.clone(), last_time: 0 })
    }
}

impl TraceWriter for TextWriter {
    fn write(&mut self, r: &TraceRecord) -> Result<()> {
        if r.time_ps < self.last_time {
            bail!("trace records out of order: {r:?} after time {} ps", self.last_time);
        }
        self.last_time = r.time_ps;
        let line = record_line(&self.names, r)?;
        let path = self.out.get_ref().path().to_path_buf();
        self.out.write_all(line.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
    }

    fn finish(mut self: Box<Self>, end: Option<TraceEnd>) -> Result<()> {
        let path = self.out.get_ref().path().to_path_buf();
        let io = |e: std::io::Error| anyhow::Error::new(e).context(format!("cannot write {}", path.display()));
        self.out.write_all(end_line(end).as_bytes()).map_err(io)?;
        self.out.into_inner().map_err(|e| io(e.into_error()))?.commit()
    }
}

/// Reads the text form a line at a time.
pub struct TextReader {
    path: PathBuf,
    lines: BufReader<File>,
    /// The bytes of the current line, before decoding into `line`.
    bytes: Vec<u8>,
    line: String,
    n: usize,
    header: Header,
    /// Line of the `instances` directive, once seen.
    have_instances: bool,
    last: Option<(u64, usize)>,
    end: Option<(TraceEnd, usize)>,
    done: bool,
}

impl TextReader {
    pub fn open(path: &Path) -> Result<Self, InputError> {
        let f = File::open(path).map_err(|e| InputError::new(format!("cannot read the trace: {e}")).in_file(path))?;
        let header = Header {
            topology: String::new(),
            clock_ps: 0,
            peak_bytes_per_s: 0.0,
            instances: Vec::new(),
            records: None,
            end: None,
        };
        let mut r = TextReader {
            path: path.to_path_buf(),
            lines: BufReader::with_capacity(1 << 16, f),
            bytes: Vec::new(),
            line: String::new(),
            n: 0,
            header,
            have_instances: false,
            last: None,
            end: None,
            done: false,
        };
        if !r.read_line()? || r.line.trim_end() != FIRST_LINE {
            return Err(r
                .at(1, 1, "not a tasim text trace: the first line must be `#! tasim-trace-text 1`")
                .fix("binary, DRAMSim3 and Ramulator traces are converted with `tasim trace convert`"));
        }
        // Directives up to the first record fill the header.
        r.read_directives()?;
        // Checked where the first record (or the end of the file) is: the header is complete.
        super::check_header(&r.header).map_err(|m| r.at(r.n, 1, m))?;
        Ok(r)
    }

    fn at(&self, line: usize, col: usize, msg: impl Into<String>) -> InputError {
        InputError::new(msg).in_file(&self.path).at(line, col)
    }

    /// Reads the next line into `self.line`; false at the end of the file.
    fn read_line(&mut self) -> Result<bool, InputError> {
        self.line.clear();
        match super::read_text_line(&mut self.lines, &mut self.bytes, &mut self.line, self.n == 0) {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.n += 1;
                Ok(true)
            }
            Err(e) => Err(self.at(self.n + 1, 1, format!("cannot read this line: {e}"))),
        }
    }

    /// Handles directive and comment lines until a record line is in `self.line` (true) or
    /// the file ends (false).
    fn read_directives(&mut self) -> Result<bool, InputError> {
        loop {
            if !self.read_line()? {
                return Ok(false);
            }
            let l = self.line.trim();
            if let Some(d) = l.strip_prefix("#!") {
                let d = d.trim().to_string();
                self.directive(&d)?;
            } else if !(l.is_empty() || l.starts_with('#')) {
                if let Some((_, at)) = self.end {
                    return Err(self
                        .at(self.n, 1, format!("a record after the end line (line {at})"))
                        .fix("the `#! end_ps` line comes last"));
                }
                return Ok(true);
            }
        }
    }

    fn directive(&mut self, d: &str) -> Result<(), InputError> {
        let (key, value) = d.split_once(char::is_whitespace).map_or((d, ""), |(k, v)| (k, v.trim()));
        let line = self.n;
        let in_header = self.last.is_none();
        let number = |v: &str| -> Result<u64, InputError> {
            v.parse().map_err(|_| self.at(line, 4 + key.len(), format!("`{key}` takes a whole number, not `{v}`")))
        };
        match key {
            "topology" | "clock_ps" | "peak_bytes_per_s" | "instances" if !in_header => {
                return Err(self
                    .at(line, 1, format!("`#! {key}` after the first record"))
                    .fix("header lines come before the records"));
            }
            "topology" => self.header.topology = value.to_string(),
            "clock_ps" => self.header.clock_ps = number(value)?,
            "peak_bytes_per_s" => {
                self.header.peak_bytes_per_s =
                    value.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| {
                        self.at(line, 4 + key.len(), format!("`{key}` takes a number >= 0, not `{value}`"))
                    })?
            }
            "instances" => {
                self.header.instances = value.split_whitespace().map(str::to_string).collect();
                self.have_instances = true;
            }
            "end_ps" => {
                let mut it = value.split_whitespace();
                let ps = number(it.next().unwrap_or(""))?;
                let inclusive = match it.next() {
                    Some("ran_out") | None => true,
                    Some("cut") => false,
                    Some(other) => {
                        return Err(self.at(line, 1, format!("end kind `{other}`: expected `ran_out` or `cut`")));
                    }
                };
                if let Some((t, at)) = self.last.filter(|(t, _)| *t > ps) {
                    return Err(self.at(
                        line,
                        1,
                        format!("the end ({ps} ps) is before the record at line {at} ({t} ps)"),
                    ));
                }
                self.end = Some((TraceEnd { ps, inclusive }, line));
            }
            "tasim-trace-text" => return Err(self.at(line, 1, "a second `#! tasim-trace-text` line")),
            other => {
                return Err(self.at(line, 4, format!("unknown directive `{other}`")).fix(
                    "known: topology, clock_ps, peak_bytes_per_s, instances, end_ps; a plain comment starts with `# `",
                ));
            }
        }
        Ok(())
    }

    /// Parses the record line in `self.line`.
    fn parse(&self) -> Result<TraceRecord, InputError> {
        let line = self.n;
        let fields: Vec<(usize, &str)> = fields(&self.line);
        if fields.len() != 9 {
            return Err(self.at(line, 1, format!("a record has 9 fields, this line has {}", fields.len())).fix(
                "time_ps issue_ps issuer target op addr bytes phase layer, e.g. `1000 995 gb dram R 0x40 64 fp 0`",
            ));
        }
        let bad = |i: usize, what: &str| self.at(line, fields[i].0, format!("{what}: `{}`", fields[i].1));
        let num = |i: usize, what: &str| fields[i].1.parse::<u64>().map_err(|_| bad(i, what));
        let time_ps = num(0, "time_ps is not a whole number of picoseconds")?;
        let issue_ps = num(1, "issue_ps is not a whole number of picoseconds")?;
        if issue_ps > time_ps {
            return Err(bad(1, "issue_ps is after time_ps (a request arrives after it is sent)"));
        }
        if !self.have_instances {
            return Err(self
                .at(line, 1, "a record before the `#! instances` line")
                .fix("name the instances first: `#! instances gb dram`"));
        }
        let index = |i: usize| {
            let names = &self.header.instances;
            names.iter().position(|n| n == fields[i].1).map(|k| k as u32).ok_or_else(|| {
                bad(i, "not in the `#! instances` line").fix(format!("add it there (now: {})", names.join(" ")))
            })
        };
        let (issuer, target) = (index(2)?, index(3)?);
        let write = match fields[4].1 {
            "R" => false,
            "W" => true,
            _ => return Err(bad(4, "op must be R or W")),
        };
        let a = fields[5].1;
        let addr = match a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => a.parse(),
        }
        .map_err(|_| bad(5, "addr is not a 64-bit number (hex with 0x, or decimal)"))?;
        let bytes =
            u32::try_from(num(6, "bytes is not a whole number")?).map_err(|_| bad(6, "bytes is above 4 GiB"))?;
        let phase = Phase::from_name(fields[7].1).ok_or_else(|| {
            bad(7, "unknown phase").fix(format!("one of {}", Phase::ALL.map(|p| p.name()).join(", ")))
        })?;
        let layer = match fields[8].1 {
            "-" => Cause::NO_LAYER,
            l => l
                .parse::<u16>()
                .ok()
                .filter(|&l| l != Cause::NO_LAYER)
                .ok_or_else(|| bad(8, "layer is `-` or 0..65534"))?,
        };
        if let Some((t, at)) = self.last.filter(|(t, _)| *t > time_ps) {
            return Err(self
                .at(line, fields[0].0, format!("times go backwards: {time_ps} ps after {t} ps at line {at}"))
                .fix("records are in arrival order: sort the lines by their first field"));
        }
        let rec = TraceRecord { time_ps, issue_ps, issuer, target, addr, bytes, write, cause: Cause { phase, layer } };
        super::check_record(&rec).map_err(|m| self.at(line, 1, m))?;
        Ok(rec)
    }
}

/// Whitespace-separated fields with their 1-based columns.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s + 1, &line[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out
}

impl TraceReader for TextReader {
    fn header(&self) -> &Header {
        &self.header
    }
    fn position(&self) -> String {
        format!("{}:{}", self.path.display(), self.n)
    }

    fn next_record(&mut self) -> Result<Option<TraceRecord>, InputError> {
        if self.done {
            return Ok(None);
        }
        // The first record line was read with the header; later ones are read here.
        let have = if self.last.is_none() && !self.line.trim().is_empty() && !self.line.trim_start().starts_with('#') {
            true
        } else {
            self.read_directives()?
        };
        if !have {
            self.done = true;
            return Ok(None);
        }
        let rec = self.parse()?;
        self.last = Some((rec.time_ps, self.n));
        self.line.clear();
        Ok(Some(rec))
    }

    fn end(&self) -> Option<TraceEnd> {
        self.end.map(|(e, _)| e)
    }
}
