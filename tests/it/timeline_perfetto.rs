//! `tasim run --timeline OUT.perfetto-trace`: Perfetto's protobuf format, decoded here with a
//! small wire-format reader and checked against the JSON timeline of the same run: every
//! packet parses, every event's track is described before it, slice begins and ends balance
//! per track, each track's slices and counter values are the JSON file's (times in ns),
//! timestamps never go back on a track, and the file is smaller.

use std::collections::{BTreeMap, HashMap};

use crate::support::*;
use crate::timeline::{check_format, ps, timeline, PAPER};

/// Reads a varint at `*at`.
fn varint(b: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).expect("a varint runs past its message");
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
    }
    panic!("a varint longer than 10 bytes");
}

/// A decoded field's value.
#[derive(Clone, Debug)]
enum Field<'a> {
    Int(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

/// The fields of one message, in order; panics on anything malformed.
fn fields(b: &[u8]) -> Vec<(u64, Field<'_>)> {
    let (mut at, mut out) = (0, Vec::new());
    while at < b.len() {
        let key = varint(b, &mut at);
        let value = match key & 7 {
            0 => Field::Int(varint(b, &mut at)),
            1 => {
                let v = u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
                at += 8;
                Field::Fixed64(v)
            }
            2 => {
                let n = varint(b, &mut at) as usize;
                assert!(at + n <= b.len(), "a length-delimited field runs past its message");
                at += n;
                Field::Bytes(&b[at - n..at])
            }
            w => panic!("unexpected wire type {w}"),
        };
        out.push((key >> 3, value));
    }
    out
}

fn int(f: &[(u64, Field<'_>)], n: u64) -> Option<u64> {
    f.iter().find_map(|(k, v)| match v {
        Field::Int(x) if *k == n => Some(*x),
        _ => None,
    })
}

fn bytes<'a>(f: &[(u64, Field<'a>)], n: u64) -> Option<&'a [u8]> {
    f.iter().find_map(|(k, v)| match v {
        Field::Bytes(x) if *k == n => Some(*x),
        _ => None,
    })
}

fn text(f: &[(u64, Field<'_>)], n: u64) -> Option<String> {
    bytes(f, n).map(|b| String::from_utf8(b.to_vec()).expect("UTF-8 names"))
}

/// Per tid: each slice's begin (ns) and its args as text.
type SliceArgs = BTreeMap<u64, Vec<(u64, BTreeMap<String, String>)>>;

#[derive(Default)]
struct Decoded {
    /// Thread tracks: uuid -> tid; counter tracks: uuid -> name.
    threads: HashMap<u64, u64>,
    counters: HashMap<u64, String>,
    /// Per tid: slices (begin, end) ns, in the file's order.
    slices: BTreeMap<u64, Vec<(u64, u64)>>,
    /// Per tid: each slice's begin and args (debug annotations as text).
    args: SliceArgs,
    /// Per counter name: (ts ns, value).
    values: BTreeMap<String, Vec<(u64, f64)>>,
    instants: usize,
}

fn decode(file: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    let mut open: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut last_ts: HashMap<u64, u64> = HashMap::new();
    let mut first = true;
    for (n, packet) in fields(file) {
        assert_eq!(n, 1, "a Trace holds only packets (field 1)");
        let Field::Bytes(packet) = packet else { panic!("a packet is length-delimited") };
        let p = fields(packet);
        assert_eq!(int(&p, 10), Some(1), "trusted_packet_sequence_id");
        if std::mem::take(&mut first) {
            assert_eq!(int(&p, 13), Some(1), "the first packet clears the incremental state");
        }
        if let Some(desc) = bytes(&p, 60) {
            let t = fields(desc);
            let uuid = int(&t, 1).expect("a track has a uuid");
            if let Some(thread) = bytes(&t, 4) {
                let tid = int(&fields(thread), 2).expect("a thread has a tid");
                d.threads.insert(uuid, tid);
            } else if bytes(&t, 8).is_some() {
                d.counters.insert(uuid, text(&t, 2).expect("a counter track has a name"));
            } else {
                assert!(bytes(&t, 3).is_some(), "a track is a process, thread or counter");
            }
            continue;
        }
        let e = fields(bytes(&p, 11).expect("a packet is a descriptor or a track event"));
        let ts = int(&p, 8).expect("an event has a timestamp");
        let uuid = int(&e, 11).expect("an event has a track");
        let prev = last_ts.insert(uuid, ts).unwrap_or(0);
        assert!(ts >= prev, "time goes back on track {uuid}: {prev} then {ts}");
        match int(&e, 9).expect("an event has a type") {
            1 => {
                assert!(text(&e, 23).is_some_and(|n| !n.is_empty()), "a slice has a name");
                open.entry(uuid).or_default().push(ts);
                let mut args = BTreeMap::new();
                for (k, v) in &e {
                    let Field::Bytes(a) = v else { continue };
                    if *k != 4 {
                        continue;
                    }
                    let a = fields(a);
                    let value = match a.iter().find(|(k, _)| *k != 10).expect("an annotation has a value") {
                        (3, Field::Int(v)) => v.to_string(),
                        (6, Field::Bytes(s)) => String::from_utf8(s.to_vec()).unwrap(),
                        other => panic!("unexpected annotation {other:?}"),
                    };
                    args.insert(text(&a, 10).expect("an annotation has a name"), value);
                }
                let tid = *d.threads.get(&uuid).expect("a slice's track is a described thread");
                d.args.entry(tid).or_default().push((ts, args));
            }
            2 => {
                let begin = open.get_mut(&uuid).and_then(Vec::pop).expect("a slice ends after it begins");
                let tid = *d.threads.get(&uuid).expect("a slice's track is a described thread");
                d.slices.entry(tid).or_default().push((begin, ts));
            }
            3 => {
                assert!(d.threads.contains_key(&uuid), "an instant's track is a described thread");
                d.instants += 1;
            }
            4 => {
                let name = d.counters.get(&uuid).expect("a counter's track is described before it").clone();
                let v = e.iter().find_map(|(k, v)| match v {
                    Field::Fixed64(x) if *k == 44 => Some(f64::from_bits(*x)),
                    _ => None,
                });
                d.values.entry(name).or_default().push((ts, v.expect("a counter has a double value")));
            }
            t => panic!("unexpected event type {t}"),
        }
    }
    assert!(open.values().all(Vec::is_empty), "every slice that begins ends");
    d
}

#[test]
fn the_paper_chips_perfetto_timeline_has_the_json_timelines_slices_and_counters() {
    let dir = scratch("timeline_perfetto");
    let (events, _) = timeline(&dir, PAPER, "paper.json", &[]);
    let path = dir.join("paper.perfetto-trace");
    let out_dir = dir.join("paper.perfetto-trace.out");
    let out = tasim(&["run", PAPER, "--timeline", path.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = format!("events in {} (Perfetto protobuf", path.display());
    assert!(stdout(&out).contains(&said), "{}", stdout(&out));
    let file = std::fs::read(&path).unwrap();
    let d = decode(&file);

    // Slices per core (and any other) track: the JSON file's, in ns.
    let json_slices = check_format(&events);
    let mut want: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for ((_, tid), s) in json_slices {
        want.insert(tid, s.iter().map(|&(b, e)| (b / 1000, e / 1000)).collect());
    }
    // Their args (operation, phase, layer, sample, cycles, task), in the file's order.
    let mut want_args: SliceArgs = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let args = e["args"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)));
        want_args.entry(e["tid"].as_u64().unwrap()).or_default().push((ps(&e["ts"]) / 1000, args.collect()));
    }
    assert!(want_args.values().flatten().all(|(_, a)| a.contains_key("phase")));
    assert_eq!(d.args, want_args, "slice args");
    let mut got = d.slices.clone();
    for s in got.values_mut() {
        s.sort_unstable_by_key(|&(b, e)| (b, std::cmp::Reverse(e)));
    }
    assert!(want.len() >= 2, "the paper chip's cores have slices: {:?}", want.keys());
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (tid, w) in &want {
        assert_eq!(got[tid].len(), w.len(), "slices on thread {tid}");
        assert_eq!(&got[tid], w, "slice times on thread {tid}");
    }

    // Counters: one track per (counter, key), the JSON values at the same times.
    let mut json_values: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    let mut instants = 0;
    for e in &events {
        match e["ph"].as_str() {
            Some("C") => {
                for (k, v) in e["args"].as_object().unwrap() {
                    let name = e["name"].as_str().unwrap();
                    // Power counters are already named with their unit.
                    let track = if k == "mW" { name.to_string() } else { format!("{name} {k}") };
                    json_values.entry(track).or_default().push((ps(&e["ts"]) / 1000, v.as_f64().unwrap()));
                }
            }
            Some("i") => instants += 1,
            _ => {}
        }
    }
    assert!(json_values.keys().any(|k| k.starts_with("power ")), "{:?}", json_values.keys());
    assert_eq!(d.values.keys().collect::<Vec<_>>(), json_values.keys().collect::<Vec<_>>());
    for (track, want) in &json_values {
        let got = &d.values[track];
        assert_eq!(got.len(), want.len(), "values on {track}");
        for ((gt, gv), (wt, wv)) in got.iter().zip(want) {
            assert_eq!(gt, wt, "a time on {track}");
            // The JSON file rounds to at most 4 decimals; the protobuf holds the double.
            assert!((gv - wv).abs() <= 5e-5 + 1e-9 * wv.abs(), "{track} at {gt} ns: {gv} vs {wv}");
        }
    }
    assert!(instants > 0);
    assert_eq!(d.instants, instants, "epoch marks");

    let json_len = std::fs::metadata(dir.join("paper.json")).unwrap().len();
    assert!((file.len() as u64) < json_len, "{} bytes, JSON {json_len}", file.len());
}
