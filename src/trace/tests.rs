//! The forms against each other: text ⇄ binary without loss, DRAMSim3 and Ramulator 2 keeping
//! what they can hold, and guessing the form of a file.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use super::binary::tests::{header, records};
use super::open::{convert, create, detect, open, Assume, Format};
use super::*;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tasim-unit-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(path: &Path, format: Format, recs: &[TraceRecord], end: TraceEnd) {
    let mut w = create(path, format, &header(&["gb", "noc", "dram"]), Assume::default()).unwrap();
    for r in recs {
        w.write(r).unwrap();
    }
    w.finish(Some(end)).unwrap();
}

fn read(path: &Path, from: Option<Format>) -> (Header, Vec<TraceRecord>, Option<TraceEnd>) {
    let mut r = open(path, from, Assume::default()).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        v.push(rec);
    }
    (r.header().clone(), v, r.end())
}

fn conv(from: &Path, to: &Path, format: Format) {
    let r = open(from, None, Assume::default()).unwrap();
    convert(r, to, format, Assume::default(), &AtomicU64::new(0)).unwrap();
}

#[test]
fn text_and_binary_hold_the_same_and_convert_byte_for_byte() {
    let recs = records(9_000);
    let end = TraceEnd { ps: recs.last().unwrap().time_ps + 1, inclusive: false };
    let (bin, txt, bin2, txt2) = (tmp("a.mtrace"), tmp("a.txt"), tmp("b.mtrace"), tmp("b.txt"));
    write(&bin, Format::Binary, &recs, end);
    conv(&bin, &txt, Format::Text);
    conv(&txt, &bin2, Format::Binary);
    conv(&bin2, &txt2, Format::Text);
    assert_eq!(std::fs::read(&bin).unwrap(), std::fs::read(&bin2).unwrap());
    assert_eq!(std::fs::read(&txt).unwrap(), std::fs::read(&txt2).unwrap());
    let (h, back, e) = read(&txt, None);
    assert_eq!((back, e), (recs, Some(end)));
    assert_eq!((h.topology.as_str(), h.clock_ps, h.peak_bytes_per_s), ("unit", 625, 12.8e9));
}

#[test]
fn dramsim3_keeps_address_direction_and_cycle() {
    let recs = records(3_000);
    let (bin, d3, back, d3b) = (tmp("c.mtrace"), tmp("c.trace"), tmp("c2.mtrace"), tmp("c2.trace"));
    write(&bin, Format::Binary, &recs, TraceEnd { ps: recs.last().unwrap().time_ps, inclusive: true });
    conv(&bin, &d3, Format::Dramsim3);
    let text = std::fs::read_to_string(&d3).unwrap();
    let first = &recs[1];
    assert_eq!(text.lines().nth(1).unwrap(), format!("{:#x} READ {}", first.addr, first.time_ps / 625));
    conv(&d3, &back, Format::Binary);
    conv(&back, &d3b, Format::Dramsim3);
    assert_eq!(text, std::fs::read_to_string(&d3b).unwrap(), "export, import, export: the same lines");
    let (h, got, _) = read(&back, None);
    assert_eq!(h.instances, ["dramsim3", "memory"]);
    for (a, b) in recs.iter().zip(&got) {
        assert_eq!((a.addr, a.write, a.time_ps / 625 * 625), (b.addr, b.write, b.time_ps));
        assert_eq!((b.bytes, b.issue_ps, b.cause), (64, b.time_ps, components::mem::Cause::default()));
    }
}

#[test]
fn ramulator_keeps_address_direction_and_order() {
    let recs = records(3_000);
    let (bin, ram, back, ramb) = (tmp("d.mtrace"), tmp("d.trace"), tmp("d2.mtrace"), tmp("d2.trace"));
    write(&bin, Format::Binary, &recs, TraceEnd { ps: recs.last().unwrap().time_ps, inclusive: true });
    conv(&bin, &ram, Format::Ramulator);
    let text = std::fs::read_to_string(&ram).unwrap();
    assert_eq!(text.lines().next().unwrap(), format!("ST {:#x}", recs[0].addr));
    conv(&ram, &back, Format::Binary);
    conv(&back, &ramb, Format::Ramulator);
    assert_eq!(text, std::fs::read_to_string(&ramb).unwrap());
    let (_, got, _) = read(&back, None);
    let pace: Vec<u64> = got.iter().map(|r| r.time_ps).take(3).collect();
    assert_eq!(pace, [0, 625, 1250], "one a cycle");
    assert!(recs.iter().zip(&got).all(|(a, b)| (a.addr, a.write) == (b.addr, b.write)));
}

#[test]
fn forms_are_told_apart_by_their_first_bytes() {
    let cases = [
        ("t.txt", "#! tasim-trace-text 1\n", Some(Format::Text)),
        ("d.trc", "0x40 READ 10\n0x80 WRITE 12\n", Some(Format::Dramsim3)),
        ("r.trc", "\n# loads\nLD 0x40\n", Some(Format::Ramulator)),
        ("b.bin", "\u{0}\u{1}garbage", Some(Format::Binary)),
        ("x.txt", "hello world\n", None),
    ];
    for (name, text, want) in cases {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        assert_eq!(detect(&p).ok(), want, "{name}");
    }
}

#[test]
fn a_trace_without_a_run_has_no_end_in_either_form() {
    let recs = records(10);
    let (bin, txt, bin2) = (tmp("e.mtrace"), tmp("e.txt"), tmp("e2.mtrace"));
    let mut w = create(&bin, Format::Binary, &header(&["gb", "noc", "dram"]), Assume::default()).unwrap();
    for r in &recs {
        w.write(r).unwrap();
    }
    w.finish(None).unwrap();
    conv(&bin, &txt, Format::Text);
    conv(&txt, &bin2, Format::Binary);
    assert_eq!(std::fs::read(&bin).unwrap(), std::fs::read(&bin2).unwrap());
    assert!(!std::fs::read_to_string(&txt).unwrap().contains("end_ps"));
    let (h, back, end) = read(&bin, None);
    assert_eq!((h.end, back.len(), end), (None, 10, None));
}

#[test]
fn text_without_a_topology_and_with_crlf_lines_reads() {
    let p = tmp("crlf.txt");
    std::fs::write(&p, "#! tasim-trace-text 1\r\n#! instances a b\r\n10 5 a b R 0x40 64 fp 0\r\n").unwrap();
    let (h, recs, end) = read(&p, None);
    assert_eq!((h.topology.as_str(), recs.len(), recs[0].addr, end), ("", 1, 0x40, None));
    conv(&p, &tmp("crlf.mtrace"), Format::Binary);
    conv(&tmp("crlf.mtrace"), &tmp("crlf2.txt"), Format::Text);
    assert_eq!(std::fs::read_to_string(tmp("crlf2.txt")).unwrap().lines().nth(1), Some("#! instances a b"));
}

mod round_trip_props {
    //! Property: any trace the readers accept round-trips through the binary and text forms
    //! unchanged (records, header, end), whatever the times, sizes, addresses and causes.

    use components::mem::{Cause, Phase};
    use proptest::prelude::*;

    use super::*;

    /// One record's free choices: time step, issue lead, issuer, address, size, op, cause.
    type Step = (u64, u64, bool, u64, u32, bool, usize, Option<u16>);

    fn step() -> impl Strategy<Value = Step> {
        (
            prop_oneof![Just(0u64), 0u64..10_000, 0u64..(1 << 40)],
            0u64..100_000,
            any::<bool>(),
            any::<u64>(),
            prop_oneof![Just(1u32), 1u32..=64, 1u32..=(1 << 20)],
            any::<bool>(),
            0usize..Phase::ALL.len(),
            proptest::option::of(0u16..Cause::NO_LAYER),
        )
    }

    fn records(base: u64, steps: &[Step]) -> Vec<TraceRecord> {
        let mut t = base;
        steps
            .iter()
            .map(|&(dt, lead, issuer, addr, bytes, write, phase, layer)| {
                t += dt;
                TraceRecord {
                    time_ps: t,
                    issue_ps: t.saturating_sub(lead),
                    issuer: u32::from(issuer),
                    target: 2,
                    // Keep the request inside the 64-bit address space (the readers refuse
                    // one that runs past it).
                    addr: addr.min(u64::MAX - u64::from(bytes) + 1),
                    bytes,
                    write,
                    cause: Cause { phase: Phase::ALL[phase], layer: layer.unwrap_or(Cause::NO_LAYER) },
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_valid_trace_round_trips(
            base in prop_oneof![Just(0u64), 0u64..(1 << 60)],
            steps in proptest::collection::vec(step(), 0..300),
            case in 0u32..1_000_000,
        ) {
            let recs = records(base, &steps);
            for r in &recs {
                prop_assert!(check_record(r).is_ok(), "{r:?}");
            }
            let end = TraceEnd { ps: recs.last().map_or(base, |r| r.time_ps) + 1, inclusive: case % 2 == 0 };
            let (bin, txt, bin2) = (tmp(&format!("p{case}.mtrace")), tmp(&format!("p{case}.txt")), tmp(&format!("p{case}b.mtrace")));
            write(&bin, Format::Binary, &recs, end);
            conv(&bin, &txt, Format::Text);
            conv(&txt, &bin2, Format::Binary);
            for p in [&bin, &txt, &bin2] {
                let (h, back, e) = read(p, None);
                prop_assert_eq!(&back, &recs);
                prop_assert_eq!(e, Some(end));
                prop_assert_eq!(h.instances, vec!["gb".to_string(), "noc".into(), "dram".into()]);
            }
            prop_assert_eq!(std::fs::read(&bin).unwrap(), std::fs::read(&bin2).unwrap());
            for p in [bin, txt, bin2] {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
