use super::*;

pub(crate) fn header(instances: &[&str]) -> Header {
    Header {
        topology: "unit".into(),
        clock_ps: 625,
        peak_bytes_per_s: 12.8e9,
        instances: instances.iter().map(|s| s.to_string()).collect(),
        records: None,
        end: None,
    }
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tasim-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Varied records: sequential streams, jumps back, every field changing now and then.
pub(crate) fn records(n: u64) -> Vec<TraceRecord> {
    let mut t = 0;
    (0..n)
        .map(|i| {
            t += [0, 1, 625, 5_000, 1 << 40][(i % 5) as usize] * u64::from(i % 7 != 0);
            let addr = if i % 11 == 0 { (i * 7919) << 6 } else { i * 64 };
            TraceRecord {
                time_ps: t,
                issue_ps: t.saturating_sub([0, 5_000, 1][(i % 3) as usize]),
                issuer: (i % 13 == 0) as u32,
                target: 2,
                addr,
                bytes: if i % 17 == 0 { 1 } else { 64 },
                write: i % 3 == 0,
                cause: Cause::new(
                    Phase::ALL[(i / 100 % 7) as usize],
                    if i % 9 == 0 { Cause::NO_LAYER } else { (i % 4) as u16 },
                ),
            }
        })
        .collect()
}

fn write(path: &Path, recs: &[TraceRecord], end: TraceEnd) {
    let mut w = Box::new(BinaryWriter::create(path, header(&["gb", "noc", "dram"])).unwrap());
    for r in recs {
        w.write(r).unwrap();
    }
    w.finish(Some(end)).unwrap();
}

fn read_all(path: &Path) -> Result<Vec<TraceRecord>, InputError> {
    let mut r = BinaryReader::open(path)?;
    let mut v = Vec::new();
    while let Some(rec) = r.next_record()? {
        v.push(rec);
    }
    Ok(v)
}

#[test]
fn records_round_trip_across_chunks() {
    let path = tmp("round.mtrace");
    let recs = records(10_000);
    let end = TraceEnd { ps: recs.last().unwrap().time_ps + 7, inclusive: false };
    write(&path, &recs, end);
    let mut r = BinaryReader::open(&path).unwrap();
    assert_eq!(r.header().records, Some(10_000));
    assert_eq!(r.header().end, Some(end));
    assert_eq!(r.header().instances, ["gb", "noc", "dram"]);
    assert_eq!((r.header().clock_ps, r.header().peak_bytes_per_s), (625, 12.8e9));
    let mut back = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        back.push(rec);
    }
    assert_eq!(back, recs);
}

#[test]
fn a_streaming_record_takes_a_few_bytes() {
    let path = tmp("compact.mtrace");
    let recs: Vec<TraceRecord> = (0..100_000u64)
        .map(|i| TraceRecord {
            time_ps: 5_000 * i,
            issue_ps: 5_000 * i,
            issuer: 0,
            target: 1,
            addr: 64 * i,
            bytes: 64,
            write: false,
            cause: Cause::default(),
        })
        .collect();
    write(&path, &recs, TraceEnd { ps: 5_000 * 100_000, inclusive: true });
    let size = std::fs::metadata(&path).unwrap().len();
    // flags, time delta (2), lead, address delta: 5 bytes, plus chunk framing.
    assert!(size < 100_000 * 5 + 4096, "{size} bytes");
    assert_eq!(read_all(&path).unwrap(), recs);
}

#[test]
fn an_unfinished_writer_leaves_no_file() {
    let path = tmp("unfinished.mtrace");
    let _ = std::fs::remove_file(&path);
    {
        let mut w = BinaryWriter::create(&path, header(&["a", "b", "c"])).unwrap();
        w.write(&records(1)[0]).unwrap();
    }
    assert!(!path.exists());
    let leftovers = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("unfinished"))
        .count();
    assert_eq!(leftovers, 0, "no temporary file either");
}

#[test]
fn writing_out_of_order_is_refused() {
    let mut w = BinaryWriter::create(&tmp("order.mtrace"), header(&["a", "b", "c"])).unwrap();
    let mut r = records(1)[0];
    r.time_ps = 10;
    r.issue_ps = 10;
    w.write(&r).unwrap();
    r.time_ps = 9;
    r.issue_ps = 9;
    assert!(w.write(&r).is_err());
}

/// Every corruption is found, with its byte offset.
#[test]
fn damage_is_reported_with_its_offset() {
    let path = tmp("good.mtrace");
    let recs = records(5_000);
    write(&path, &recs, TraceEnd { ps: recs.last().unwrap().time_ps, inclusive: true });
    let good = std::fs::read(&path).unwrap();
    let header_len = 16 + u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize + 4;
    let check = |name: &str, bytes: &[u8], expect: &str| {
        let p = tmp(name);
        std::fs::write(&p, bytes).unwrap();
        let e = read_all(&p).expect_err(name).to_string();
        assert!(e.contains(expect), "{name}: {e}");
    };
    let mut b = good.clone();
    b[0] = b'T';
    check("magic", &b, "at byte 0: not a binary tasim trace");
    let mut b = good.clone();
    b[8] = 9;
    check("version", &b, "at byte 8: trace format version 9");
    let mut b = good.clone();
    b[20] ^= 1;
    check("header", &b, "at byte 8: header checksum mismatch");
    let mut b = good.clone();
    b[header_len + 40] ^= 0x10;
    check("chunk", &b, &format!("at byte {header_len}: checksum mismatch in this chunk"));
    check("cut", &good[..header_len + 100], &format!("truncated: the chunk at byte {header_len}"));
    check("no end", &good[..good.len() - 21], "without its end chunk");
    let mut b = good.clone();
    b.push(0);
    check("trailing", &b, "bytes after the end chunk");
}
