//! Corrupt and malformed traces: each gives a clear error naming the file and the byte
//! offset (binary) or line and column (text, DRAMSim3, Ramulator), exit code 2, never a
//! panic, and no output file from a conversion that failed. The binary fixtures are written
//! from traces/FORMAT.md by `tests/data/traces/make_fixtures.py`, not by tasim.

use rstest::rstest;

use crate::support::*;

/// Every trace command on `fixture` fails with exit 2 and `expected` (with `{f}` for the
/// file's path) in the message.
fn check(fixture: &str, expected: &str) {
    let path = format!("tests/data/traces/bad/{fixture}");
    let expected = expected.replace("{f}", &path);
    let dir = scratch(&format!("bad_trace_{fixture}"));
    let out_file = dir.join("out.mtrace");
    let out_str = out_file.to_str().unwrap();
    for args in [
        vec!["trace", "stats", &path],
        vec!["trace", "text", &path],
        vec!["trace", "convert", &path, out_str, "--to", "binary"],
        vec!["replay", &path, "--topology", "topologies/memory/paper-chip-dram.yaml"],
    ] {
        let out = tasim(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{fixture} {args:?}: {err}");
        assert!(err.contains(&expected), "{fixture} {args:?}:\n{err}\nwanted: {expected}");
        assert!(!err.contains("panicked"), "{fixture}: {err}");
    }
    assert!(!out_file.exists(), "{fixture}: a failed conversion leaves no output");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{fixture}: nor a temporary file");
}

#[rstest]
#[case::wrong_magic(
    "wrong-magic.mtrace",
    "{f}: at byte 0: not a binary tasim trace (its first 8 bytes are not the trace magic 89 54 41 54 52 0D 0A 1A)"
)]
#[case::unknown_version("version-2.mtrace", "{f}: at byte 8: trace format version 2; this tasim reads version 1")]
#[case::header_checksum("header-checksum.mtrace", "{f}: at byte 8: header checksum mismatch")]
#[case::truncated_chunk(
    "truncated-chunk.mtrace",
    "{f}: truncated: the chunk at byte 157 needs 51 bytes up to byte 208, but the file ends at byte 177"
)]
#[case::bad_checksum("bad-checksum.mtrace", "{f}: at byte 99: checksum mismatch in this chunk (stored 0x")]
#[case::unsorted_times(
    "unsorted.mtrace",
    "{f}: at byte 157: times go backwards: this chunk starts at 5000 ps, after a record at 7500 ps"
)]
#[case::no_end_chunk("no-end.mtrace", "{f}: truncated: the file ends at byte 208 without its end chunk")]
#[case::issuer_name_with_a_space(
    "issuer-space.mtrace",
    "{f}: at byte 16 (the header): the instance or topology name \"g b\" is empty or has spaces or control characters"
)]
#[case::zero_byte_request("zero-bytes.mtrace", "{f}: at byte 116: a request of 0 bytes moves nothing")]
fn corrupt_binary_traces_name_the_byte(#[case] fixture: &str, #[case] expected: &str) {
    check(fixture, expected);
}

#[rstest]
#[case::field_count("fields.txt", "{f}:8:1: a record has 9 fields, this line has 8")]
#[case::bad_op("op.txt", "{f}:8:18: op must be R or W: `X`")]
#[case::unknown_instance("instance.txt", "{f}:8:13: not in the `#! instances` line: `ddr`")]
#[case::unsorted_times("unsorted.txt", "{f}:9:1: times go backwards: 900 ps after 1000 ps at line 8")]
#[case::issue_after_arrival(
    "issue-after-time.txt",
    "{f}:8:6: issue_ps is after time_ps (a request arrives after it is sent): `1005`"
)]
#[case::unknown_phase("phase.txt", "{f}:8:28: unknown phase: `forward`")]
#[case::bad_address("address.txt", "{f}:8:20: addr is not a 64-bit number (hex with 0x, or decimal): `0xZZ`")]
#[case::no_instances("no-instances.txt", "{f}:7:1: a record before the `#! instances` line")]
#[case::unknown_directive("directive.txt", "{f}:3:4: unknown directive `clock`")]
#[case::dramsim3_op("dramsim3-op.trace", "{f}:2:6: unknown operation `FETCH` (READ or WRITE)")]
#[case::dramsim3_unsorted("dramsim3-cycles.trace", "{f}:3:1: cycles go backwards: 11 after 12 at line 2")]
#[case::ramulator_fields("ramulator-fields.trace", "{f}:2:1: expected 2 fields, found 3")]
#[case::zero_byte_request("zero-bytes.txt", "{f}:7:1: a request of 0 bytes moves nothing")]
#[case::time_past_the_range(
    "end-of-time.txt",
    "{f}:7:1: the time 18446744073709551615 ps is beyond the simulator's time range"
)]
fn malformed_text_lines_name_the_line(#[case] fixture: &str, #[case] expected: &str) {
    check(fixture, expected);
}

#[test]
fn a_file_that_is_no_trace_at_all_says_so() {
    let dir = scratch("bad_trace_none");
    let p = dir.join("notes.txt");
    std::fs::write(&p, "hello world\n").unwrap();
    let out = tasim(&["trace", "stats", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("notes.txt:1:1: cannot tell the form of this trace"), "{}", stderr(&out));
    let out = tasim(&["trace", "stats", "tests/data/traces/none.mtrace"]);
    assert_eq!(out.status.code(), Some(2), "a missing file is the user's: {}", stderr(&out));
}

/// An empty file (or one holding only a byte-order mark) says it is empty, at byte 0, and how
/// to read an empty import; a record a replay cannot route is named by its file and line.
#[test]
fn empty_traces_and_unroutable_records_name_their_place() {
    let dir = scratch("bad_trace_place");
    for (name, bytes) in [("empty.trace", &b""[..]), ("bom.trace", &b"\xEF\xBB\xBF"[..])] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = tasim(&["trace", "stats", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(&format!("{name}: at byte 0: the trace is empty")), "{}", stderr(&out));
        assert!(stderr(&out).contains("fix: ") && stderr(&out).contains("--from dramsim3"), "{}", stderr(&out));
    }
    let two = "tests/data/traces/two-levels.txt";
    let out = tasim(&["replay", two, "--topology", "topologies/memory/paper-chip-dram.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the record at tests/data/traces/two-levels.txt:9 goes to `gb`"), "{}", stderr(&out));
}

#[test]
fn bad_import_options_are_input_errors() {
    let good = "tests/data/traces/good.txt";
    let out = tasim(&["trace", "stats", good, "--clock-mhz", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--clock-mhz 0: a clock needs a frequency above 0"), "{}", stderr(&out));
    let out = tasim(&["trace", "stats", good, "--bytes", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Text traces saved on Windows (a byte-order mark, CR LF, `µs` in a comment in UTF-8 or
/// Windows-1252) are text, read like their plain forms: detection looks at structure.
#[test]
fn windows_text_traces_read_like_plain_ones() {
    let stats = |path: &str| {
        let out = tasim(&["trace", "stats", path]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        stdout(&out).replace(path, "TRACE")
    };
    assert_eq!(stats("tests/data/traces/good-bom-crlf.txt"), stats("tests/data/traces/good.txt"));
    let utf8 = stats("tests/data/traces/good-micro-utf8.dramsim3");
    let cp1252 = stats("tests/data/traces/good-micro-cp1252.dramsim3");
    assert_eq!(utf8.replace("utf8", "X"), cp1252.replace("cp1252", "X"));
    assert!(utf8.contains("2 requests") || utf8.contains("requests"), "{utf8}");
    let out = tasim(&["trace", "text", "tests/data/traces/good-bom-crlf.txt"]);
    assert_eq!(stdout(&out), std::fs::read_to_string("tests/data/traces/good.txt").unwrap());
}
