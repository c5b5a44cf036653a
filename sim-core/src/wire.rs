//! Plain byte encoding of what crosses process boundaries in a distributed run
//! ([`crate::dist`]): events with their messages, and the final statistics. Little-endian,
//! fixed-width fields, no framing beyond what each decoder reads; both ends are the same
//! binary, so there is no versioning. Kept apart from the event loop: a run on threads never
//! encodes anything.

use crate::component::Message;
use crate::observer::EventKey;
use crate::queue::{Event, Kind};
use crate::stats::{HistogramSummary, StatValue, StatsSnapshot};

/// Why bytes could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message has no encoding: the kind of message, to name in the error.
    #[error("a {0} message cannot cross process boundaries (it has no wire encoding)")]
    NotEncodable(&'static str),
    /// The bytes ended early or hold an unknown tag (a bug: both ends are one binary).
    #[error("malformed wire data: {0}")]
    Malformed(&'static str),
}

/// A message type that can travel between processes. Only the messages that cross
/// partitions need an encoding; the others return [`WireError::NotEncodable`], and a
/// distributed run that meets one ends with an abort naming it.
pub trait Wire: Message + Sized {
    /// Appends the message's bytes to `out`.
    ///
    /// # Errors
    /// [`WireError::NotEncodable`] for a message that has no encoding.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError>;

    /// Reads one message written by [`encode`](Self::encode).
    ///
    /// # Errors
    /// [`WireError::Malformed`] when the bytes do not hold one.
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError>;
}

impl Wire for () {
    fn encode(&self, _: &mut Vec<u8>) -> Result<(), WireError> {
        Ok(())
    }
    fn decode(_: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(())
    }
}

impl Wire for u64 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.to_le_bytes());
        Ok(())
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        input.u64()
    }
}

/// Reads fixed-width little-endian fields from a byte slice.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// No bytes left.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `n` bytes.
    ///
    /// # Errors
    /// [`WireError::Malformed`] when fewer are left.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.buf.len() < n {
            return Err(WireError::Malformed("the bytes end inside a field"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A byte string written by [`put_bytes`].
    pub fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let n = usize::try_from(self.u64()?).map_err(|_| WireError::Malformed("length"))?;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, WireError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| WireError::Malformed("a name is not UTF-8"))
    }
}

/// Appends a length-prefixed byte string (read by [`Reader::bytes`]).
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, v: f64) {
    put_u64(out, v.to_bits());
}

const DELIVER: u8 = 0;
const TIMER: u8 = 1;
const CREDIT: u8 = 2;

/// Appends event `ev` for engine `engine`.
pub(crate) fn put_event<M: Wire>(out: &mut Vec<u8>, engine: u32, ev: &Event<M>) -> Result<(), WireError> {
    let start = out.len();
    out.extend_from_slice(&engine.to_le_bytes());
    for v in [ev.key.time, ev.key.send_time, ev.key.origin] {
        put_u64(out, v);
    }
    let r = match &ev.kind {
        Kind::Deliver { comp, port, msg } => {
            out.push(DELIVER);
            out.extend_from_slice(&comp.to_le_bytes());
            out.extend_from_slice(&port.to_le_bytes());
            msg.encode(out)
        }
        Kind::Timer { comp, tag } => {
            out.push(TIMER);
            out.extend_from_slice(&comp.to_le_bytes());
            put_u64(out, *tag);
            Ok(())
        }
        Kind::Credit { chan } => {
            out.push(CREDIT);
            out.extend_from_slice(&chan.to_le_bytes());
            Ok(())
        }
    };
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Reads one event written by [`put_event`]: its engine and the event.
pub(crate) fn get_event<M: Wire>(r: &mut Reader<'_>) -> Result<(u32, Event<M>), WireError> {
    let engine = r.u32()?;
    let key = EventKey { time: r.u64()?, send_time: r.u64()?, origin: r.u64()? };
    let kind = match r.u8()? {
        DELIVER => Kind::Deliver { comp: r.u32()?, port: r.u16()?, msg: M::decode(r)? },
        TIMER => Kind::Timer { comp: r.u32()?, tag: r.u64()? },
        CREDIT => Kind::Credit { chan: r.u32()? },
        _ => return Err(WireError::Malformed("unknown event kind")),
    };
    Ok((engine, Event { key, kind }))
}

/// Appends the statistics of components, each under its rank.
pub(crate) fn put_stats(out: &mut Vec<u8>, parts: &[(u32, StatsSnapshot)]) {
    put_u64(out, parts.len() as u64);
    for (rank, snap) in parts {
        out.extend_from_slice(&rank.to_le_bytes());
        put_u64(out, snap.len() as u64);
        for (name, v) in snap.iter() {
            put_bytes(out, name.as_bytes());
            match v {
                StatValue::Counter(c) => {
                    out.push(0);
                    put_u64(out, *c);
                }
                StatValue::Value(x) => {
                    out.push(1);
                    put_f64(out, *x);
                }
                StatValue::Histogram(h) => {
                    out.push(2);
                    put_u64(out, h.count);
                    put_f64(out, h.mean);
                    for q in [h.min, h.p50, h.p95, h.p99, h.max] {
                        put_u64(out, q);
                    }
                }
                StatValue::TimeAverage { mean, max } => {
                    out.push(3);
                    put_f64(out, *mean);
                    put_f64(out, *max);
                }
                StatValue::Series { step_ps, values } => {
                    out.push(4);
                    put_u64(out, *step_ps);
                    put_u64(out, values.len() as u64);
                    values.iter().for_each(|x| put_f64(out, *x));
                }
                StatValue::Ratio { num, den } => {
                    out.push(5);
                    put_f64(out, *num);
                    put_f64(out, *den);
                }
                StatValue::Extent(x) => {
                    out.push(6);
                    put_f64(out, *x);
                }
            }
        }
    }
}

/// Reads what [`put_stats`] wrote.
pub(crate) fn get_stats(r: &mut Reader<'_>) -> Result<Vec<(u32, StatsSnapshot)>, WireError> {
    let parts = r.u64()?;
    let mut out = Vec::new();
    for _ in 0..parts {
        let rank = r.u32()?;
        let mut snap = StatsSnapshot::default();
        for _ in 0..r.u64()? {
            let name = r.string()?;
            let v = match r.u8()? {
                0 => StatValue::Counter(r.u64()?),
                1 => StatValue::Value(r.f64()?),
                2 => StatValue::Histogram(HistogramSummary {
                    count: r.u64()?,
                    mean: r.f64()?,
                    min: r.u64()?,
                    p50: r.u64()?,
                    p95: r.u64()?,
                    p99: r.u64()?,
                    max: r.u64()?,
                }),
                3 => StatValue::TimeAverage { mean: r.f64()?, max: r.f64()? },
                4 => {
                    let step_ps = r.u64()?;
                    let n = r.u64()?;
                    let values = (0..n).map(|_| r.f64()).collect::<Result<_, _>>()?;
                    StatValue::Series { step_ps, values }
                }
                5 => StatValue::Ratio { num: r.f64()?, den: r.f64()? },
                6 => StatValue::Extent(r.f64()?),
                _ => return Err(WireError::Malformed("unknown statistic kind")),
            };
            snap.push(name, v);
        }
        out.push((rank, snap));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_every_kind_round_trip_bit_for_bit() {
        let mut snap = StatsSnapshot::default();
        snap.push("a.count".into(), StatValue::Counter(7));
        snap.push("a.nan".into(), StatValue::Value(f64::NAN));
        let h = HistogramSummary { count: 3, mean: 1.5, min: 1, p50: 2, p95: 3, p99: 3, max: 4 };
        snap.push("a.h".into(), StatValue::Histogram(h));
        snap.push("a.t".into(), StatValue::TimeAverage { mean: 0.25, max: 2.0 });
        snap.push("a.s".into(), StatValue::Series { step_ps: 10, values: vec![1.0, -0.0] });
        snap.push("a.r".into(), StatValue::Ratio { num: 1.0, den: 3.0 });
        snap.push("a.e".into(), StatValue::Extent(9.5));
        let mut out = Vec::new();
        put_stats(&mut out, &[(3, snap.clone())]);
        let back = get_stats(&mut Reader::new(&out)).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].0, 3);
        // Compared as bits: NaN and -0.0 must survive.
        assert_eq!(
            format!("{:?}", back[0].1.iter().collect::<Vec<_>>()),
            format!("{:?}", snap.iter().collect::<Vec<_>>())
        );
        assert!(matches!(back[0].1.get("a.nan"), Some(StatValue::Value(x)) if x.is_nan()));
    }

    #[test]
    fn events_round_trip_and_truncated_bytes_are_an_error() {
        let ev = Event {
            key: EventKey { time: 5, send_time: 2, origin: 9 },
            kind: Kind::Deliver { comp: 1, port: 2, msg: 42u64 },
        };
        let mut out = Vec::new();
        put_event(&mut out, 4, &ev).unwrap();
        let (engine, back) = get_event::<u64>(&mut Reader::new(&out)).unwrap();
        assert_eq!((engine, back.key), (4, ev.key));
        assert!(matches!(back.kind, Kind::Deliver { comp: 1, port: 2, msg: 42 }));
        assert!(get_event::<u64>(&mut Reader::new(&out[..out.len() - 1])).is_err());
    }
}
