//! Perfetto's native trace format, hand-encoded: a `Trace` is `repeated TracePacket packet = 1`,
//! each packet a length-delimited protobuf message, so packets can be streamed and files
//! concatenated. Protobuf wire format: protobuf.dev/programming-guides/encoding (varints,
//! wire types 0 varint, 1 fixed64, 2 length-delimited).
//!
//! Field numbers from Perfetto's published protos (github.com/google/perfetto, protos/perfetto/):
//! - trace/trace.proto: `Trace.packet = 1`;
//! - trace/trace_packet.proto: `timestamp = 8` (ns), `trusted_packet_sequence_id = 10`,
//!   `track_event = 11`, `sequence_flags = 13` (`SEQ_INCREMENTAL_STATE_CLEARED = 1`),
//!   `track_descriptor = 60`;
//! - trace/track_event/track_event.proto: `debug_annotations = 4`, `type = 9` (`TYPE_SLICE_BEGIN = 1`,
//!   `TYPE_SLICE_END = 2`, `TYPE_INSTANT = 3`, `TYPE_COUNTER = 4`), `track_uuid = 11`,
//!   `name = 23`, `double_counter_value = 44`;
//! - trace/track_event/track_descriptor.proto: `uuid = 1`, `name = 2`, `process = 3`,
//!   `thread = 4`, `parent_uuid = 5`, `counter = 8`;
//! - trace/track_event/process_descriptor.proto: `pid = 1`, `process_name = 6`;
//! - trace/track_event/thread_descriptor.proto: `pid = 1`, `tid = 2`, `thread_name = 5`;
//! - trace/track_event/debug_annotation.proto: `name = 10`, `uint_value = 3`, `int_value = 4`,
//!   `double_value = 5`, `string_value = 6`;
//! - trace/track_event/counter_descriptor.proto: `CounterDescriptor` (empty: a plain counter).
//!
//! Nothing is interned: names are written inline (simple, and a file stays readable on its
//! own whatever order its parts are joined in).

/// The one packet sequence every packet is on.
pub const SEQUENCE_ID: u64 = 1;

/// `TrackEvent.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    SliceBegin = 1,
    SliceEnd = 2,
    Instant = 3,
    Counter = 4,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn double(out: &mut Vec<u8>, field: u32, v: f64) {
    key(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends one `Trace.packet` holding `body` as field `field` of a `TracePacket` (with the
/// timestamp `ts_ns` if any, and the sequence flags if `first`).
fn packet(out: &mut Vec<u8>, ts_ns: Option<u64>, field: u32, body: &[u8], first: bool) {
    let mut p = Vec::with_capacity(body.len() + 16);
    if let Some(ts) = ts_ns {
        uint(&mut p, 8, ts);
    }
    uint(&mut p, 10, SEQUENCE_ID);
    if first {
        uint(&mut p, 13, 1);
    }
    bytes(&mut p, field, body);
    bytes(out, 1, &p);
}

/// A track's description.
pub enum Track<'a> {
    /// A process (`pid`, its name).
    Process(u32, &'a str),
    /// A thread of process `pid` (`tid`, its name) under the process's track.
    Thread { pid: u32, tid: u64, name: &'a str },
    /// A counter track named `name` under track `parent`.
    Counter { parent: u64, name: &'a str },
}

/// Appends a `TrackDescriptor` packet for track `uuid`. `first`: the sequence's first packet
/// (marks its incremental state cleared, which Perfetto needs before track events).
pub fn descriptor(out: &mut Vec<u8>, uuid: u64, track: Track<'_>, first: bool) {
    let mut d = Vec::new();
    uint(&mut d, 1, uuid);
    match track {
        Track::Process(pid, name) => {
            let mut p = Vec::new();
            uint(&mut p, 1, u64::from(pid));
            bytes(&mut p, 6, name.as_bytes());
            bytes(&mut d, 3, &p);
        }
        Track::Thread { pid, tid, name } => {
            uint(&mut d, 5, process_uuid(pid));
            let mut t = Vec::new();
            uint(&mut t, 1, u64::from(pid));
            uint(&mut t, 2, tid);
            bytes(&mut t, 5, name.as_bytes());
            bytes(&mut d, 4, &t);
        }
        Track::Counter { parent, name } => {
            uint(&mut d, 5, parent);
            bytes(&mut d, 2, name.as_bytes());
            bytes(&mut d, 8, &[]);
        }
    }
    packet(out, None, 60, &d, first);
}

/// Appends a `TrackEvent` packet at `ts_ns` on track `uuid`: a slice edge or instant named
/// `name`, or a counter value.
pub fn event(out: &mut Vec<u8>, ts_ns: u64, uuid: u64, ty: EventType, name: Option<&str>, value: Option<f64>) {
    event_with_args(out, ts_ns, uuid, ty, name, value, None);
}

/// As [`event`], with `args` (a JSON object, as the JSON timeline writes it) as debug
/// annotations: strings, integers and numbers; anything else as its JSON text.
pub fn event_with_args(
    out: &mut Vec<u8>,
    ts_ns: u64,
    uuid: u64,
    ty: EventType,
    name: Option<&str>,
    value: Option<f64>,
    args: Option<&serde_json::Map<String, serde_json::Value>>,
) {
    let mut e = Vec::new();
    for (k, v) in args.into_iter().flatten() {
        let mut a = Vec::new();
        bytes(&mut a, 10, k.as_bytes());
        match v {
            serde_json::Value::String(s) => bytes(&mut a, 6, s.as_bytes()),
            v if v.is_u64() => uint(&mut a, 3, v.as_u64().unwrap_or_default()),
            // Two's complement, as protobuf's int64.
            v if v.is_i64() => uint(&mut a, 4, v.as_i64().unwrap_or_default() as u64),
            v if v.is_f64() => double(&mut a, 5, v.as_f64().unwrap_or_default()),
            v => bytes(&mut a, 6, v.to_string().as_bytes()),
        }
        bytes(&mut e, 4, &a);
    }
    uint(&mut e, 9, ty as u64);
    uint(&mut e, 11, uuid);
    if let Some(n) = name {
        bytes(&mut e, 23, n.as_bytes());
    }
    if let Some(v) = value {
        double(&mut e, 44, v);
    }
    packet(out, Some(ts_ns), 11, &e, false);
}

/// The uuid of process `pid`'s track (thread tracks are `tid + 1`, below these).
pub fn process_uuid(pid: u32) -> u64 {
    (1 << 48) + u64::from(pid)
}

/// The uuid of thread `tid`'s track.
pub fn thread_uuid(tid: u64) -> u64 {
    tid + 1
}

/// The uuid of the counter track named `name` in process `pid`: FNV-1a (64-bit) of both,
/// with the top bit set so it is apart from process and thread tracks.
pub fn counter_uuid(pid: u32, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pid.to_le_bytes().iter().chain(name.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | (1 << 63)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_the_wire_format() {
        let mut v = Vec::new();
        varint(&mut v, 1);
        varint(&mut v, 300);
        varint(&mut v, u64::MAX);
        assert_eq!(v[..3], [0x01, 0xac, 0x02]);
        assert_eq!(v.len(), 3 + 10);
        assert_eq!(v[12], 0x01);
    }

    #[test]
    fn an_event_is_one_length_delimited_packet() {
        let mut v = Vec::new();
        event(&mut v, 5, 7, EventType::Instant, Some("e"), None);
        // Trace.packet (field 1, wire 2), then its length covers the rest.
        assert_eq!(v[0], 0x0a);
        assert_eq!(v[1] as usize, v.len() - 2);
        // timestamp = 5, trusted_packet_sequence_id = 1, then track_event (field 11, wire 2).
        assert_eq!(v[2..6], [0x40, 5, 0x50, 1]);
        assert_eq!(v[6], (11 << 3) | 2);
    }
}
