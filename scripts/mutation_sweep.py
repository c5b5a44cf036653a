#!/usr/bin/env python3
"""Mutation sweep over every input tasim reads (issue 10).

For each kind of input (topologies, models, .npy weights, weights manifests, IDX data, the four
trace forms, command-line values) it makes N mutants of the shipped files, runs the tasim
command that reads them under a time limit and an address-space limit, and classifies the
outcome. Accepted: exit code 0 (the mutant is valid) or 2 (refused as bad input). Findings:
a panic (exit 101 or "panicked" on stderr), an abort or other signal, a hang (time limit), any
other exit code. Each finding is kept under OUT/findings/KIND-N with its command and stderr.

    scripts/mutation_sweep.py --tasim target/release/tasim --mutants 3000 --timeout 10 --mem-gib 3

Mutants are deterministic for a given --seed. Runs in parallel with --jobs (default 1).
"""

import argparse
import concurrent.futures
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Values that break naive arithmetic: zero, negative, extremes of u32/u64/f64, NaN, inf.
EXTREMES = [
    "0", "-1", "1", "-0", "255", "256", "65535", "65536", "4294967295", "4294967296",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
    "1e308", "1e-308", "-1e308", "1e-12", "1e12", "1e19", ".nan", ".inf", "-.inf", "NaN", "0.5",
    "3.999999", "1e6", "2000000", "0x10", "",
]

TOPOLOGIES = [
    "topologies/paper-chip.yaml", "topologies/paper-chip-small-buffer.yaml",
    "topologies/memory/paper-chip-dram.yaml", "topologies/memory/traffic.yaml",
    "topologies/memory/one-bank.yaml", "topologies/bench/phold.yaml",
    "tests/data/topologies/pipeline.yaml", "tests/data/topologies/two_chips.yaml",
    "tests/data/noc/paper_mesh.yaml", "tests/data/dram/stream.yaml",
]
MODELS = ["models/paper-cnn.yaml", "models/uci-cnn.yaml"]
WEIGHTS = "models/paper-cnn.pretrained"
IDX = ("tests/data/train/tiny16-images.idx", "tests/data/train/tiny16-labels.idx")
TRACES = {
    "trace_binary": "traces/paper-chip-small-buffer.mtrace",
    "trace_text": "tests/data/traces/good.txt",
    "trace_dramsim3": None,  # made by converting the binary trace (see prepare)
    "trace_ramulator": None,
}


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Byte-level mutations: flips, random bytes, deletions, insertions, duplication, cuts."""
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        op = rng.randrange(7)
        if not b:
            b += bytes([rng.randrange(256)])
            continue
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif op == 2:
            del b[i:i + rng.randrange(1, 16)]
        elif op == 3:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        elif op == 4:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randrange(1, 64)]
        elif op == 5:
            del b[i:]
        else:
            # Overwrite 8 bytes with an extreme little-endian integer.
            v = rng.choice([0, 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1])
            b[i:i + 8] = v.to_bytes(8, "little")
    return bytes(b)


NUMBER = re.compile(rb"(?<![A-Za-z_])-?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)")


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    """Text mutations: numbers to extreme values, lines deleted/duplicated/swapped, a BOM,
    CR LF endings, non-ASCII, and some byte-level noise."""
    b = data
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(10)
        nums = list(NUMBER.finditer(b))
        lines = b.split(b"\n")
        if op <= 3 and nums:
            m = rng.choice(nums)
            b = b[:m.start()] + rng.choice(EXTREMES).encode() + b[m.end():]
        elif op == 4 and len(lines) > 1:
            del lines[rng.randrange(len(lines))]
            b = b"\n".join(lines)
        elif op == 5 and lines:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            b = b"\n".join(lines)
        elif op == 6 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            b = b"\n".join(lines)
        elif op == 7:
            b = rng.choice([b"\xef\xbb\xbf" + b, b.replace(b"\n", b"\r\n"), b"# 1 \xc2\xb5s \xb5\n" + b])
        elif op == 8 and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i] + rng.choice([b" ", b" x", b"\t", b" [[[[", b": {", b"\xff"])
            b = b"\n".join(lines)
        else:
            b = mutate_bytes(b, rng)
    return b


class Sweep:
    def __init__(self, args):
        self.args = args
        self.tasim = str(Path(args.tasim).resolve())
        self.work = Path(tempfile.mkdtemp(prefix="tasim-sweep-"))
        self.out = Path(args.out).resolve()
        (self.out / "findings").mkdir(parents=True, exist_ok=True)
        # A copy of the inputs, so that mutants sit beside the files they include.
        for d in ["topologies", "models", "tests/data", "traces"]:
            shutil.copytree(ROOT / d, self.work / d)
        self.prepare()

    def prepare(self):
        src = self.work / TRACES["trace_binary"]
        for kind, form in [("trace_dramsim3", "dramsim3"), ("trace_ramulator", "ramulator")]:
            dst = self.work / f"seed.{form}"
            subprocess.run([self.tasim, "trace", "convert", str(src), str(dst), "--to", form],
                           check=True, capture_output=True, cwd=self.work)
            TRACES[kind] = dst.name

    def limits(self):
        limit = int(self.args.mem_gib * (1 << 30))
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def run(self, kind, n, argv, files):
        """Runs `argv` in the scratch directory of mutant n; classifies the outcome."""
        t0 = time.time()
        try:
            p = subprocess.run([self.tasim] + argv, capture_output=True, cwd=self.work, timeout=self.args.timeout,
                               preexec_fn=self.limits)
            code, err = p.returncode, p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            code, err = "timeout", (e.stderr or b"").decode(errors="replace")
        wall = time.time() - t0
        bad = None
        if code == "timeout":
            bad = "hang"
        elif "panicked" in err or code == 101:
            bad = "panic"
        elif isinstance(code, int) and code < 0:
            bad = f"signal {-code}"
        elif code not in (0, 2):
            bad = f"exit {code}"
        if bad:
            d = self.out / "findings" / f"{kind}-{n}"
            d.mkdir(parents=True, exist_ok=True)
            for f in files:
                if f.is_file():
                    shutil.copy(f, d / f.name)
                elif f.is_dir():
                    shutil.copytree(f, d / f.name, dirs_exist_ok=True)
            (d / "command").write_text(" ".join(["tasim"] + argv) + "\n")
            (d / "stderr").write_text(err[-20000:])
        return code, bad, wall

    def mutant(self, kind, n):
        rng = random.Random(f"{self.args.seed}:{kind}:{n}")
        tmp = self.work / "m" / f"{kind}-{n}"
        tmp.mkdir(parents=True, exist_ok=True)
        w = self.work
        if kind == "topology":
            src = w / rng.choice(TOPOLOGIES)
            m = src.with_name(f".mut-{n}-{src.name}")
            m.write_bytes(mutate_text(src.read_bytes(), rng))
            cmd = rng.choice([["validate", str(m)], ["run", str(m), "--until-ns", "2000"]])
            try:
                return self.run(kind, n, cmd, [m])
            finally:
                m.unlink()
        if kind == "model":
            src = w / rng.choice(MODELS)
            m = tmp / src.name
            m.write_bytes(mutate_text(src.read_bytes(), rng))
            return self.run(kind, n, ["train", "--model", str(m), "--dataset", "synth:personal", "--epochs", "1"], [m])
        if kind in ("npy", "manifest"):
            d = tmp / "weights"
            shutil.copytree(w / WEIGHTS, d)
            if kind == "npy":
                f = d / rng.choice([p.name for p in d.glob("*.npy")])
                f.write_bytes(mutate_bytes(f.read_bytes(), rng) if rng.random() < 0.7 else mutate_text(f.read_bytes(), rng))
            else:
                f = d / "manifest.json"
                f.write_bytes(mutate_text(f.read_bytes(), rng))
            cmd = ["train", "--model", str(w / "models/paper-cnn.yaml"), "--dataset", "synth:personal",
                   "--precision", "int8", "--pretrained", str(d), "--epochs", "1"]
            return self.run(kind, n, cmd, [d])
        if kind == "idx":
            im, lb = tmp / "images.idx", tmp / "labels.idx"
            shutil.copy(w / IDX[0], im)
            shutil.copy(w / IDX[1], lb)
            f = rng.choice([im, lb])
            f.write_bytes(mutate_bytes(f.read_bytes(), rng))
            cmd = ["train", "--model", str(w / "models/paper-cnn.yaml"), "--dataset", f"idx:{im},{lb}", "--epochs", "1"]
            return self.run(kind, n, cmd, [im, lb])
        if kind.startswith("trace_"):
            src = w / TRACES[kind]
            m = tmp / src.name
            data = src.read_bytes()
            m.write_bytes(mutate_bytes(data, rng) if kind == "trace_binary" or rng.random() < 0.3 else mutate_text(data, rng))
            cmd = rng.choice([
                ["trace", "stats", str(m)],
                ["trace", "text", str(m)],
                ["trace", "convert", str(m), str(tmp / "out.mtrace")],
                ["replay", str(m), "--topology", str(w / "topologies/memory/paper-chip-dram.yaml")],
            ])
            return self.run(kind, n, cmd, [m])
        if kind == "cli":
            v = rng.choice(EXTREMES)
            cmd = rng.choice([
                ["run", str(w / "tests/data/topologies/pipeline.yaml"), "--set", f"sink.service_ps={v}"],
                ["run", str(w / "tests/data/topologies/pipeline.yaml"), "--set", f"src.packets={v}"],
                ["run", str(w / "tests/data/topologies/pipeline.yaml"), "--until-ns", v],
                ["run", str(w / "tests/data/topologies/pipeline.yaml"), "--threads", v],
                ["run", str(w / "topologies/paper-chip.yaml"), "--set", f"ctrl.epochs={v}", "--until-ns", "200000"],
                ["run", str(w / "topologies/paper-chip.yaml"), "--set", f"gb.energy.read_pj_per_byte={v}",
                 "--until-ns", "200000"],
                ["run", str(w / "topologies/paper-chip.yaml"), "--set", f"ctrl.samples_in_flight={v}",
                 "--until-ns", "200000"],
                ["validate", str(w / "topologies/paper-chip.yaml"), "--set", f"noc.link_bytes_per_cycle={v}"],
                ["validate", str(w / "topologies/paper-chip.yaml"), "--set", f"dram.timing.trcd_ns={v}"],
                ["bench", "phold", "--lps", "4", "--end-ps", "100000", "--lookahead-ps", v],
                ["bench", "phold", "--lps", v, "--end-ps", "1000"],
                ["bench", "phold", "--lps", "4", "--end-ps", v, "--spread-ps", "100"],
                ["train", "--model", str(w / "models/paper-cnn.yaml"), "--dataset", "synth:personal", "--epochs", v],
                ["train", "--model", str(w / "models/paper-cnn.yaml"), "--dataset", "synth:personal",
                 "--master-bits", v, "--epochs", "1"],
                ["trace", "stats", str(w / TRACES["trace_binary"]), "--window-ns", v],
                ["trace", "convert", str(w / TRACES["trace_binary"]), str(tmp / "o.txt"), "--to", "dramsim3",
                 "--clock-mhz", v],
            ])
            return self.run(kind, n, cmd, [])
        raise ValueError(kind)


KINDS = ["topology", "model", "npy", "manifest", "idx", "trace_binary", "trace_text", "trace_dramsim3",
         "trace_ramulator", "cli"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasim", default=str(ROOT / "target/release/tasim"))
    ap.add_argument("--mutants", type=int, default=3000, help="mutants per kind")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--mem-gib", type=float, default=3.0, help="address space per run, GiB")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--out", default=str(ROOT / "target/mutation-sweep"))
    args = ap.parse_args()
    sweep = Sweep(args)
    total = 0
    bad_total = 0
    for kind in args.kinds.split(","):
        counts = {}
        findings = []
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for n, (code, bad, wall) in enumerate(pool.map(lambda n: sweep.mutant(kind, n), range(args.mutants))):
                counts[code] = counts.get(code, 0) + 1
                if bad:
                    findings.append((n, bad))
        total += args.mutants
        bad_total += len(findings)
        summary = ", ".join(f"exit {c}: {k}" for c, k in sorted(counts.items(), key=str))
        print(f"{kind:16} {args.mutants} mutants in {time.time() - t0:.0f} s; {summary}; findings {len(findings)}",
              flush=True)
        for n, bad in findings[:10]:
            print(f"    {kind}-{n}: {bad}", flush=True)
    shutil.rmtree(sweep.work, ignore_errors=True)
    print(f"total {total} mutants, {bad_total} findings (kept in {sweep.out / 'findings'})")
    sys.exit(1 if bad_total else 0)


if __name__ == "__main__":
    main()
