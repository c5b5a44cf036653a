#!/usr/bin/env python3
"""Writes the trace fixtures of tests/it/bad_trace.rs and trace_format.rs from the
specification in traces/FORMAT.md alone (a second implementation of the binary form, so
that tasim's reader is checked against the spec, not against its own writer).

    python3 tests/data/traces/make_fixtures.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = bytes([0x89, 0x54, 0x41, 0x54, 0x52, 0x0D, 0x0A, 0x1A])
PHASES = ["load", "fp", "loss", "bp", "wg", "wu", "other"]
INSTANCES = ["gb", "dram"]


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(d):
    return (d << 1) ^ (d >> 63) if d < 0 else d << 1


def string(s):
    b = s.encode()
    return varint(len(b)) + b


def header(records, end_ps, cut=False, version=1, instances=INSTANCES):
    body = struct.pack("<QQBQd", records, end_ps, 1 if cut else 0, 625, 12.8e9)
    body += string("fixture") + varint(len(instances)) + b"".join(map(string, instances))
    body += varint(len(PHASES)) + b"".join(map(string, PHASES))
    fixed = struct.pack("<HHI", version, 0, len(body))
    return MAGIC + fixed + body + struct.pack("<I", zlib.crc32(fixed + body))


# (time_ps, issue_ps, write, addr, bytes, phase, layer or None): issuer gb, target dram.
RECORDS = [
    (1000, 995, False, 0x40, 64, "load", None),
    (1000, 995, False, 0x80, 64, "load", None),
    (6000, 1000, True, 0x1000, 64, "other", None),
    (6000, 6000, False, 0xFC0, 32, "fp", 0),
    (7500, 7000, False, 0xFE0, 32, "fp", 0),
    (9000, 8000, True, 0x40, 64, "bp", 2),
    (9000, 9000, True, 0x0, 64, "bp", 2),
    (12000, 11000, False, 0x7FFFFFC0, 64, "wu", 65534),
]


def chunk(records, base=None):
    payload = bytearray()
    prev_time = records[0][0] if base is None else base
    base = prev_time
    next_addr, same = 0, None
    for (t, issue, write, addr, size, phase, layer) in records:
        cause = (phase, layer)
        flags = (1 if write else 0)
        if same is not None:
            flags |= 2  # issuer and target never change here
            if same[0] == size:
                flags |= 4
            if same[1] == cause:
                flags |= 8
        payload.append(flags)
        payload += varint(t - prev_time) + varint(t - issue)
        if not flags & 2:
            payload += varint(0) + varint(1)
        if not flags & 4:
            payload += varint(size)
        payload += varint(zigzag((addr - next_addr + 2**63) % 2**64 - 2**63))
        if not flags & 8:
            payload += bytes([PHASES.index(phase)]) + varint(0 if layer is None else layer + 1)
        prev_time, next_addr, same = t, addr + size, (size, cause)
    head = b"R" + struct.pack("<IIQ", len(records), len(payload), base)
    return head + payload + struct.pack("<I", zlib.crc32(head + payload))


def end(end_ps):
    head = b"E" + struct.pack("<IIQ", 0, 0, end_ps)
    return head + struct.pack("<I", zlib.crc32(head))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def text(records, end_ps):
    lines = ["#! tasim-trace-text 1", "#! topology fixture", "#! clock_ps 625",
             "#! peak_bytes_per_s 12800000000", "#! instances gb dram",
             "# time_ps issue_ps issuer target op addr bytes phase layer"]
    for (t, issue, write, addr, size, phase, layer) in records:
        op = "W" if write else "R"
        lines.append(f"{t} {issue} gb dram {op} {addr:#x} {size} {phase} {'-' if layer is None else layer}")
    lines.append(f"#! end_ps {end_ps} ran_out")
    return "\n".join(lines) + "\n"


END = 15000
first, second = chunk(RECORDS[:5]), chunk(RECORDS[5:])
good = header(len(RECORDS), END) + first + second + end(END)
write("good.mtrace", good)
write("good.txt", text(RECORDS, END).encode())

hlen = len(header(len(RECORDS), END))
bad = bytearray(good); bad[0:8] = b"TATRACE1"
write("bad/wrong-magic.mtrace", bad)
write("bad/version-2.mtrace", header(len(RECORDS), END, version=2) + first + second + end(END))
bad = bytearray(good); bad[20] ^= 0x01
write("bad/header-checksum.mtrace", bad)
# The second chunk stops 3 bytes into its payload.
write("bad/truncated-chunk.mtrace", good[: hlen + len(first) + 17 + 3])
bad = bytearray(good); bad[hlen + 17 + 4] ^= 0x40   # a payload byte of the first chunk
write("bad/bad-checksum.mtrace", bad)
# A second chunk whose base (5000 ps) is before the first chunk's last record (7500 ps).
late = [(5000, 5000, False, 0x100, 64, "wg", 1)]
write("bad/unsorted.mtrace", header(6, END) + first + chunk(late) + end(END))
write("bad/no-end.mtrace", good[: hlen + len(first) + len(second)])

good_text = text(RECORDS, END).splitlines(keepends=True)


def text_with(line_no, new):
    lines = list(good_text)
    lines[line_no - 1] = new + "\n"
    write_text = "".join(lines)
    return write_text


# Line 7 is the first record, 8 the second.
write("bad/fields.txt", text_with(8, "1000 995 gb dram R 0x80 64 load").encode())
write("bad/op.txt", text_with(8, "1000 995 gb dram X 0x80 64 load -").encode())
write("bad/instance.txt", text_with(8, "1000 995 gb ddr R 0x80 64 load -").encode())
write("bad/unsorted.txt", text_with(9, "900 900 gb dram W 0x1000 64 other -").encode())
write("bad/issue-after-time.txt", text_with(8, "1000 1005 gb dram R 0x80 64 load -").encode())
write("bad/phase.txt", text_with(8, "1000 995 gb dram R 0x80 64 forward -").encode())
write("bad/address.txt", text_with(8, "1000 995 gb dram R 0xZZ 64 load -").encode())
write("bad/no-instances.txt", text_with(5, "# (no instances line)").encode())
write("bad/directive.txt", text_with(3, "#! clock 625").encode())
write("bad/dramsim3-op.trace", b"0x40 READ 10\n0x80 FETCH 12\n")
write("bad/dramsim3-cycles.trace", b"0x40 READ 10\n0x80 READ 12\n0xc0 WRITE 11\n")
write("bad/ramulator-fields.trace", b"LD 0x40\nST 0x80 3\n")

# Issue 10: one reader, one set of checks for every command.
# An issuer name the text form cannot hold (a space).
write("bad/issuer-space.mtrace", header(len(RECORDS), END, instances=["g b", "dram"]) + first + second + end(END))
# A zero-byte request (refused in every form) and a time past the simulator's input range.
zero = [(1000, 995, False, 0x40, 0, "load", None)]
write("bad/zero-bytes.mtrace", header(1, END) + chunk(zero) + end(END))
write("bad/zero-bytes.txt", text_with(7, "1000 995 gb dram R 0x40 0 load -").encode())
write("bad/end-of-time.txt", text_with(7, "18446744073709551615 18446744073709551615 gb dram R 0x40 64 load -").encode())
# Text saved on Windows: a byte-order mark and CR LF, and DRAMSim3 lines after a comment with
# `µs` in UTF-8 and in Windows-1252. All are good traces.
write("good-bom-crlf.txt", b"\xef\xbb\xbf" + text(RECORDS, END).replace("\n", "\r\n").encode())
write("good-micro-utf8.dramsim3", "# times in \u00b5s\r\n0x40 READ 0\r\n0x80 WRITE 16\r\n".encode())
write("good-micro-cp1252.dramsim3", b"# times in \xb5s\n0x40 READ 0\n0x80 WRITE 16\n")
